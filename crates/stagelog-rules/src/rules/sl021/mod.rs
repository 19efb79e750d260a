//! SL021 log-group-encryption: access log groups should be encrypted with a KMS key you control.
use crate::rules::receiving_log_groups;
use crate::frameworks::{control, NIST, PCI};
use crate::{describe, located_finding, Check, Config, Rule};
use stagelog_model::{Finding, Inventory, Remedy, Severity};

pub(crate) const RULE: Rule = Rule {
    id: "SL021",
    name: "log-group-encryption",
    // CloudWatch Logs encrypts every log group at rest; a customer-managed key is a policy
    // choice (`[severity] SL021 = "low"` in stagelog.toml makes it fail a build).
    severity: Severity::Info,
    summary: "log group receiving access logs is not encrypted with a customer-managed KMS key (info by default: CloudWatch Logs encrypts at rest anyway)",
    applies_to: "log groups that receive access logs, and (live) the execution log groups API Gateway creates",
    doc: include_str!("doc.md"),
    fixes: "`kms_key_id` with `--kms-key ARN` (SL021 is `info` by default, so `fix` leaves it alone unless `[severity] SL021 = \"low\"` raises it)",
    live_only: false,
    bad_terraform: Some(include_str!("examples/bad.tf")),
    mappings: &[
        control(NIST, "AU-9, SC-28"),
        control(PCI, "10.3.2"),
    ],
    check: Check::Stage(check),
    across: None,
};

fn check(inv: &Inventory, _: &Config, out: &mut Vec<Finding>) {
    for (group, stage, what) in receiving_log_groups(inv) {
        if group.kms_key.is_some() {
            continue;
        }
        out.push(located_finding(
            &RULE,
            stage,
            &group.location,
            format!(
                "log group `{}` ({what} of {}) is not encrypted with a KMS key",
                group.name,
                describe(stage)
            ),
            Remedy::KmsKey,
        ));
    }
}

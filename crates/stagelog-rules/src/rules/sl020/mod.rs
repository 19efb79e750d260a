//! SL020 log-group-retention: access log groups must keep events for the configured time,
//! and must not keep them forever by default.
use crate::rules::receiving_log_groups;
use crate::frameworks::{control, CIS_V8, NIST, PCI};
use crate::{describe, located_finding, Check, Config, Rule};
use stagelog_model::{Finding, Inventory, Remedy, Severity, Value};

pub(crate) const RULE: Rule = Rule {
    id: "SL020",
    name: "log-group-retention",
    severity: Severity::Medium,
    summary: "log group receiving access logs has no retention (never expires) or fewer days than required",
    applies_to: "log groups that receive access logs, and (live) the execution log groups API Gateway creates",
    doc: include_str!("doc.md"),
    fixes: "`retention_in_days` on the log group",
    live_only: false,
    bad_terraform: Some(include_str!("examples/bad.tf")),
    mappings: &[
        control(NIST, "AU-11"),
        control(PCI, "10.5.1"),
        control(CIS_V8, "8.10"),
    ],
    check: Check::Stage(check),
    across: None,
};

fn check(inv: &Inventory, config: &Config, out: &mut Vec<Finding>) {
    for (group, stage, what) in receiving_log_groups(inv) {
        let problem = match &group.retention_days {
            None | Some(Value::Known(0)) => format!(
                "has no retention policy: events never expire (required: {} days)",
                config.min_retention
            ),
            Some(Value::Known(d)) if *d < config.min_retention.days() => format!(
                "keeps events {d} days, fewer than the required {}",
                config.min_retention
            ),
            _ => continue,
        };
        out.push(located_finding(
            &RULE,
            stage,
            &group.location,
            format!(
                "log group `{}` ({what} of {}) {problem}",
                group.name,
                describe(stage)
            ),
            Remedy::Retention {
                days: config.min_retention,
            },
        ));
    }
}

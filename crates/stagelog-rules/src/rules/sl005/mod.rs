//! SL005 access-log-format-complete: the format must carry the fields an audit needs.
use crate::context_vars::{fields_to_keep, references, AUDIT_FIELDS};
use crate::rules::access_log;
use crate::frameworks::{control, CIS_V8, NIST, PCI};
use crate::{describe, stage_finding, Check, Config, Rule};
use stagelog_model::{Finding, Inventory, Remedy, Severity};

pub(crate) const RULE: Rule = Rule {
    id: "SL005",
    name: "access-log-format-complete",
    severity: Severity::Low,
    summary: "access log format lacks audit fields (request id, source IP, caller, time, method, path, status, protocol, length)",
    applies_to: "every stage with access logging",
    doc: include_str!("doc.md"),
    fixes: "the recommended `jsonencode({...})` format, which carries every SL005 field valid for the API kind",
    live_only: false,
    bad_terraform: Some(include_str!("examples/bad.tf")),
    mappings: &[
        control(NIST, "AU-3"),
        control(PCI, "10.2.2"),
        control(CIS_V8, "8.5"),
    ],
    check: Check::Stage(check),
    across: None,
};

fn check(inv: &Inventory, config: &Config, out: &mut Vec<Finding>) {
    for stage in &inv.stages {
        let Some(format) = access_log(stage).and_then(|a| a.format.as_ref()) else {
            continue;
        };
        // Unresolved parts may carry any variable: only a fully known format can be judged.
        let Some(text) = format.as_known() else {
            continue;
        };
        let vars = references(&text);
        let missing: Vec<&str> = AUDIT_FIELDS
            .iter()
            .filter(|f| config.required_fields.iter().any(|r| r == f.key))
            .filter(|f| !f.not_on.contains(&stage.api_kind))
            .filter(|f| !f.satisfied_by(&vars))
            .map(|f| f.label)
            .collect();
        if missing.is_empty() {
            continue;
        }
        let mut f = stage_finding(
            &RULE,
            stage,
            format!(
                "{}: access log format lacks {}",
                describe(stage),
                missing.join(", ")
            ),
            Remedy::RecommendedFormat {
                keep: fields_to_keep(stage.api_kind, &text),
            },
        );
        f.location.line = access_log(stage).and_then(|a| a.line).or(f.location.line);
        out.push(f);
    }
}

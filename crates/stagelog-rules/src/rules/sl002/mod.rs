//! SL002 v2-access-logging: an HTTP or WebSocket API stage must write access logs.
use crate::rules::check_access_logging;
use crate::{Config, Rule};
use stagelog_model::{ApiKind, Finding, Inventory, Severity};

pub(crate) const RULE: Rule = Rule {
    id: "SL002",
    name: "v2-access-logging",
    severity: Severity::High,
    summary: "HTTP or WebSocket API stage has no access log settings or destination",
    applies_to: "HTTP and WebSocket API (v2) stages, including quick-create `$default` stages",
    doc: include_str!("doc.md"),
    live_only: false,
    bad_terraform: include_str!("examples/bad.tf"),
    examples_dir: "src/rules/sl002/examples",
    check,
};

fn check(inv: &Inventory, config: &Config, out: &mut Vec<Finding>) {
    check_access_logging(&RULE, inv, config, ApiKind::is_v2, out);
}

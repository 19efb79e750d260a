//! SL001 rest-access-logging: a REST API stage must write access logs.
use crate::rules::check_access_logging;
use crate::{Config, Rule};
use stagelog_model::{ApiKind, Finding, Inventory, Severity};

pub(crate) const RULE: Rule = Rule {
    id: "SL001",
    name: "rest-access-logging",
    severity: Severity::High,
    summary: "REST API stage has no access log destination",
    applies_to: "REST API (v1) stages",
    doc: include_str!("doc.md"),
    live_only: false,
    bad_terraform: include_str!("examples/bad.tf"),
    examples_dir: "src/rules/sl001/examples",
    check,
};

fn check(inv: &Inventory, config: &Config, out: &mut Vec<Finding>) {
    check_access_logging(&RULE, inv, config, |k| k == ApiKind::Rest, out);
}

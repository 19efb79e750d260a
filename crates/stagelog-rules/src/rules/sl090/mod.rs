//! SL090 suppression-without-reason: a suppression mark (inline comment, CloudFormation
//! Metadata, or a peer tool's mark) must say why. Raised by the suppression pass, not by a
//! check of the inventory, so this module has no check and no source examples.
use crate::{Config, Rule};
use stagelog_model::{Finding, Inventory, Severity};

pub(crate) const RULE: Rule = Rule {
    id: "SL090",
    name: "suppression-without-reason",
    severity: Severity::Info,
    summary: "a finding is suppressed by a mark that gives no reason",
    applies_to:
        "inline suppressions (stagelog, Checkov, Trivy/tfsec, KICS, cfn_nag, cdk-nag, Guard marks)",
    doc: include_str!("doc.md"),
    live_only: false,
    bad_terraform: "",
    examples_dir: "",
    check,
};

fn check(_: &Inventory, _: &Config, _: &mut Vec<Finding>) {}

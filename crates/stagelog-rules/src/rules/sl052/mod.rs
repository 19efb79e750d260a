//! SL052 drift-not-deployed: a stage the code declares that the account does not have
//! (checked by `stagelog drift`).
use super::context_of;
use crate::frameworks::{control, NIST};
use crate::{describe, stage_finding, Check, Config, Rule};
use stagelog_model::{Finding, Inventory, Remedy, Severity};

pub(crate) const RULE: Rule = Rule {
    id: "SL052",
    name: "drift-not-deployed",
    severity: Severity::Info,
    summary: "a stage the code declares is not deployed where its stack or state says",
    applies_to: "declared stages whose stack or Terraform state is known (stagelog drift)",
    doc: include_str!("doc.md"),
    fixes: "nothing: deploy the code, or remove the declaration",
    live_only: true,
    bad_terraform: None,
    mappings: &[control(NIST, "CM-8")],
    check: Check::Stage(check),
    across: None,
};

const FIX: &str = "deploy the code, or remove the declaration if the stage is gone for good";

fn check(inv: &Inventory, _: &Config, out: &mut Vec<Finding>) {
    for pair in &inv.drift {
        let (Some(declared), None) = (&pair.declared, &pair.live) else {
            continue;
        };
        let context = context_of(pair);
        out.push(stage_finding(
            &RULE,
            declared,
            format!("{} is declared but not deployed{context}", describe(declared)),
            Remedy::manual(FIX),
        ));
    }
}

//! SL053 drift-not-in-code: a live stage no code under `--iac` declares (checked by
//! `stagelog drift`).
use super::context_of;
use crate::frameworks::{control, NIST};
use crate::{describe, stage_finding, Check, Config, Rule};
use stagelog_model::{Finding, Inventory, Remedy, Severity};

pub(crate) const RULE: Rule = Rule {
    id: "SL053",
    name: "drift-not-in-code",
    severity: Severity::Info,
    summary: "a live stage is declared by no code under --iac",
    applies_to: "live stages (stagelog drift)",
    doc: include_str!("doc.md"),
    fixes: "nothing: import the stage into code, or delete it",
    live_only: true,
    bad_terraform: None,
    mappings: &[control(NIST, "CM-8")],
    check: Check::Stage(check),
    across: None,
};

const FIX: &str = "bring the stage into code (terraform import, CloudFormation's resource import) or delete it if nothing uses it; if its code is elsewhere, add it to --iac, or name its stack (--stack NAME=TEMPLATE) or state (--tf-state FILE)";

fn check(inv: &Inventory, _: &Config, out: &mut Vec<Finding>) {
    for pair in &inv.drift {
        let (None, Some(live)) = (&pair.declared, &pair.live) else {
            continue;
        };
        let context = context_of(pair);
        out.push(stage_finding(
            &RULE,
            live,
            format!("{} is declared by no code under --iac{context}", describe(live)),
            Remedy::manual(FIX),
        ));
    }
}

//! SL050 drift-logging-off-live: logging the code declares is off in the account (checked by
//! `stagelog drift`).
use super::{declared_at, on_here_off_there};
use crate::frameworks::{control, NIST, SOC2};
use crate::{describe, stage_finding, Check, Config, Rule};
use stagelog_model::{Finding, Inventory, Remedy, Severity};

pub(crate) const RULE: Rule = Rule {
    id: "SL050",
    name: "drift-logging-off-live",
    severity: Severity::High,
    summary: "logging the code declares is off on the live stage",
    applies_to: "live stages linked to their code (stagelog drift)",
    doc: include_str!("doc.md"),
    fixes: "nothing: deploy the code again; `drift` names where it is declared",
    live_only: true,
    bad_terraform: None,
    mappings: &[control(NIST, "CM-3"), control(NIST, "AU-12"), control(SOC2, "CC8.1")],
    check: Check::Stage(check),
    across: None,
};

const FIX: &str = "deploy the code again (terraform apply, the stack's update, serverless deploy) to put its logging back, and find who turned it off (CloudTrail's UpdateStage events for the stage)";

fn check(inv: &Inventory, _: &Config, out: &mut Vec<Finding>) {
    for pair in &inv.drift {
        let (Some(declared), Some(live)) = (&pair.declared, &pair.live) else {
            continue;
        };
        if let Some(what) = on_here_off_there(declared, live) {
            out.push(stage_finding(
                &RULE,
                live,
                format!(
                    "{}: {what} declared on at {} is off in the account",
                    describe(live),
                    declared_at(live)
                ),
                Remedy::manual(FIX),
            ));
        }
    }
}

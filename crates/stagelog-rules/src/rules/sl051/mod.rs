//! SL051 drift-logging-outside-code: logging on in the account that the code does not declare
//! (checked by `stagelog drift`).
use super::{context_of, declared_at, on_here_off_there};
use crate::frameworks::{control, NIST, SOC2};
use crate::{describe, stage_finding, Check, Config, Rule};
use stagelog_model::{Finding, Inventory, Remedy, Severity};

pub(crate) const RULE: Rule = Rule {
    id: "SL051",
    name: "drift-logging-outside-code",
    severity: Severity::Medium,
    summary: "logging is on in the account but not declared in the code that owns the stage",
    applies_to: "live stages linked to their code (stagelog drift)",
    doc: include_str!("doc.md"),
    fixes: "nothing live: declare it in the code (`stagelog fix PATH` writes it)",
    live_only: true,
    bad_terraform: None,
    mappings: &[control(NIST, "CM-3"), control(SOC2, "CC8.1")],
    check: Check::Stage(check),
    across: None,
};

const FIX: &str = "declare the logging in the code that owns the stage (`stagelog fix PATH` writes it), so that the next deploy keeps it";

fn check(inv: &Inventory, _: &Config, out: &mut Vec<Finding>) {
    for pair in &inv.drift {
        let (Some(declared), Some(live)) = (&pair.declared, &pair.live) else {
            continue;
        };
        if let Some(what) = on_here_off_there(live, declared) {
            let cause = context_of(pair);
            out.push(stage_finding(
                &RULE,
                live,
                format!(
                    "{}: {what} is on in the account but not declared at {}{cause}",
                    describe(live),
                    declared_at(live)
                ),
                Remedy::manual(FIX),
            ));
        }
    }
}

//! SL090 suppression-without-reason: a suppression mark (inline comment, CloudFormation
//! Metadata, or a peer tool's mark) must say why. A post-check: it judges the findings the
//! policy silenced, with the mark that did, not an inventory (so it has no source examples).
use crate::frameworks::{control, NIST, SOC2};
use crate::{Check, Rule, Silenced};
use stagelog_model::{Finding, Location, Remedy, Severity, SourceKind};

pub(crate) const RULE: Rule = Rule {
    id: "SL090",
    name: "suppression-without-reason",
    severity: Severity::Info,
    summary: "a finding is suppressed by a mark that gives no reason",
    applies_to:
        "inline suppressions (stagelog, Checkov, Trivy/tfsec, KICS, cfn_nag, cdk-nag, Guard marks)",
    doc: include_str!("doc.md"),
    fixes: "nothing: the reason goes after the mark",
    live_only: false,
    bad_terraform: None,
    mappings: &[
        // Documented exceptions: deficiencies tracked with a reason (a plan of action).
        control(NIST, "CA-5"),
        control(SOC2, "CC4.2"),
    ],
    check: Check::Suppressed(check),
    across: None,
};

/// Each silenced finding whose mark gives no reason, at the mark's line.
fn check(silenced: &[Silenced], out: &mut Vec<Finding>) {
    for s in silenced.iter().filter(|s| s.reason.is_none()) {
        let f = s.finding;
        let how = match f.location.source {
            SourceKind::Terraform => {
                "add the reason after the mark: `# stagelog:ignore SL001 -- why`, `#checkov:skip=CKV_AWS_76:why`"
            }
            SourceKind::CloudFormation
            | SourceKind::Sam
            | SourceKind::Serverless
            | SourceKind::Live => {
                "add `reason:` to the Metadata entry (`comment:` for checkov.skip)"
            }
        };
        out.push(Finding {
            rule_id: RULE.id,
            severity: RULE.severity,
            message: format!(
                "`{}` suppresses {} on {} without a reason",
                s.mark, f.rule_id, f.location.resource
            ),
            remedy: Remedy::manual(how),
            fix: String::new(),
            location: Box::new(Location {
                line: s.line.or(f.location.line),
                ..(*f.location).clone()
            }),
            stage: f.stage.clone(),
            api_kind: f.api_kind,
            api: f.api.clone(),
        });
    }
}

//! SL006 access-log-group-shared: access logs must not go to the group API Gateway writes a
//! stage's execution logs to (`API-Gateway-Execution-Logs_{api-id}/{stage}`).
use crate::rules::access_log;
use crate::frameworks::{control, CIS_V8, NIST};
use crate::{describe, stage_finding, Check, Config, Rule};
use stagelog_model::{Finding, Inventory, Remedy, Severity, Text};

pub(crate) const RULE: Rule = Rule {
    id: "SL006",
    name: "access-log-group-shared",
    severity: Severity::Medium,
    summary: "access logs go to an execution-log group (API-Gateway-Execution-Logs_…), where execution events mix with them",
    applies_to: "every stage with access logging",
    doc: include_str!("doc.md"),
    fixes: "`destination_arn` pointed at a new log group of the stage's own, named as for SL001",
    live_only: false,
    bad_terraform: Some(include_str!("examples/bad.tf")),
    mappings: &[
        control(NIST, "AU-9"),
        control(CIS_V8, "8.9"),
    ],
    check: Check::Stage(check),
    across: None,
};

/// The prefix of the log groups API Gateway creates for execution logs.
const EXECUTION_GROUP: &str = "API-Gateway-Execution-Logs_";

fn check(inv: &Inventory, config: &Config, out: &mut Vec<Finding>) {
    for stage in &inv.stages {
        let Some(dest) = access_log(stage).and_then(|a| a.destination.as_ref()) else {
            continue;
        };
        let name = match inv.log_group_of(dest) {
            Some(group) => group.name.to_string(),
            None => match crate::arn::LogGroupArn::parse(&dest.arn.to_string()) {
                Some(arn) => arn.name,
                None => continue,
            },
        };
        let Some(rest) = name.strip_prefix(EXECUTION_GROUP) else {
            continue;
        };
        let whose = if own_stage(rest, &stage.name) {
            "its own execution-log group"
        } else {
            "an execution-log group"
        };
        out.push(stage_finding(
            &RULE,
            stage,
            format!(
                "{} sends access logs to {whose} `{name}`: API Gateway writes execution events there too, so lines stop parsing with the access log format and one retention serves both",
                describe(stage)
            ),
            Remedy::DedicatedLogGroup {
                retention: config.min_retention,
            },
        ));
    }
}

/// `{api-id}/{stage}` names this stage (as far as both are known).
fn own_stage(rest: &str, stage: &Text) -> bool {
    rest.rsplit_once('/')
        .is_some_and(|(_, s)| s == stage.to_string())
}

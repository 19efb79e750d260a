//! SL002 v2-access-logging: an HTTP or WebSocket API stage must write access logs.
use crate::rules::{missing_access_log, ACCESS_LOG_FIX_LIVE, ACCESS_LOG_FIX_TF};
use crate::{describe, hint, stage_finding, Config, Rule};
use stagelog_model::{Finding, Inventory, Severity};

pub(crate) const RULE: Rule = Rule {
    id: "SL002",
    name: "v2-access-logging",
    severity: Severity::High,
    summary: "HTTP or WebSocket API stage has no access log settings or destination",
    applies_to: "HTTP and WebSocket API (v2) stages, including quick-create `$default` stages",
    doc: include_str!("doc.md"),
    live_only: false,
    examples_dir: "src/rules/sl002/examples",
    check,
};

fn check(inv: &Inventory, _: &Config, out: &mut Vec<Finding>) {
    for stage in inv.stages.iter().filter(|s| s.api_kind.is_v2()) {
        if let Some(why) = missing_access_log(stage) {
            out.push(stage_finding(
                &RULE,
                stage,
                format!("{} {why}", describe(stage)),
                hint(
                    &stage.location,
                    ACCESS_LOG_FIX_TF,
                    "add AccessLogSettings with DestinationArn (!GetAtt <LogGroup>.Arn) and Format",
                    ACCESS_LOG_FIX_LIVE,
                ),
            ));
        }
    }
}

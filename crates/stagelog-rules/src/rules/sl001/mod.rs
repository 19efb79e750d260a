//! SL001 rest-access-logging: a REST API stage must write access logs.
use crate::rules::{missing_access_log, ACCESS_LOG_FIX_LIVE, ACCESS_LOG_FIX_TF};
use crate::{describe, hint, stage_finding, Config, Rule};
use stagelog_model::{ApiKind, Finding, Inventory, Severity};

pub(crate) const RULE: Rule = Rule {
    id: "SL001",
    name: "rest-access-logging",
    severity: Severity::High,
    summary: "REST API stage has no access log destination",
    applies_to: "REST API (v1) stages",
    doc: include_str!("doc.md"),
    live_only: false,
    examples_dir: "src/rules/sl001/examples",
    check,
};

fn check(inv: &Inventory, _: &Config, out: &mut Vec<Finding>) {
    for stage in inv.stages.iter().filter(|s| s.api_kind == ApiKind::Rest) {
        if let Some(why) = missing_access_log(stage) {
            out.push(stage_finding(
                &RULE,
                stage,
                format!("{} {why}", describe(stage)),
                hint(
                    &stage.location,
                    ACCESS_LOG_FIX_TF,
                    "add AccessLogSetting with DestinationArn (!GetAtt <LogGroup>.Arn) and Format",
                    ACCESS_LOG_FIX_LIVE,
                ),
            ));
        }
    }
}

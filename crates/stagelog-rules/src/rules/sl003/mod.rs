//! SL003 access-log-destination: the destination must be somewhere API Gateway can deliver to.
use crate::arn::{judge_destination, region_of, DestinationVerdict};
use crate::rules::access_log;
use crate::frameworks::{control, ISO, NIST, SOC2};
use crate::{describe, stage_finding, Check, Config, Rule};
use stagelog_model::{Finding, Inventory, Remedy, Severity};

pub(crate) const RULE: Rule = Rule {
    id: "SL003",
    name: "access-log-destination",
    severity: Severity::High,
    summary: "access log destination is not a valid CloudWatch Logs log group or amazon-apigateway- Firehose stream ARN",
    applies_to: "every stage with access logging",
    doc: include_str!("doc.md"),
    fixes: "`destination_arn` pointed at a new log group of the stage's own, named as for SL001",
    live_only: false,
    bad_terraform: Some(include_str!("examples/bad.tf")),
    mappings: &[
        control(SOC2, "CC7.2"),
        control(NIST, "AU-9"),
        control(ISO, "A.8.15"),
    ],
    check: Check::Stage(check),
    across: None,
};

fn check(inv: &Inventory, config: &Config, out: &mut Vec<Finding>) {
    for stage in &inv.stages {
        let Some(dest) = access_log(stage).and_then(|a| a.destination.as_ref()) else {
            continue;
        };
        // A reference to a log group the same source declares is a log group ARN by construction.
        if dest.log_group.is_some() {
            continue;
        }
        let verdict = judge_destination(&dest.arn);
        let problem = match &verdict {
            DestinationVerdict::Invalid(why) => Some(why.clone()),
            DestinationVerdict::Unknown => None,
            DestinationVerdict::LogGroup | DestinationVerdict::Firehose => {
                match (&stage.location.region, region_of(&dest.arn)) {
                    (Some(stage_region), Some(dest_region)) if *stage_region != dest_region => {
                        Some(format!(
                            "the destination is in {dest_region} but the stage is in {stage_region}; API Gateway delivers only within the stage's region"
                        ))
                    }
                    // Live, every log group a destination names was looked up.
                    _ if verdict == DestinationVerdict::LogGroup
                        && inv.log_groups_complete
                        && dest.arn.as_known().is_some() =>
                    {
                        Some("the log group does not exist".to_string())
                    }
                    _ => None,
                }
            }
        };
        if let Some(why) = problem {
            out.push(stage_finding(
                &RULE,
                stage,
                format!(
                    "{} has an access log destination API Gateway cannot deliver to: {why}",
                    describe(stage)
                ),
                Remedy::DedicatedLogGroup {
                    retention: config.min_retention,
                },
            ));
        }
    }
}

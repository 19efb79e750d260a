//! AWS Config custom Lambda rules: what an invocation asks to evaluate, and the evaluations
//! returned with `PutEvaluations`.
//!
//! Config invokes a custom rule's function with `configRuleName`, `resultToken` and
//! `invokingEvent` (a JSON string) whose `messageType` is `ConfigurationItemChangeNotification`
//! (the stage's configuration item), `OversizedConfigurationItemChangeNotification` (its
//! summary) or `ScheduledNotification` (a periodic run: every stage of the region). AWS Config
//! Developer Guide, "Example Events for AWS Config Rules" and "Writing AWS Config Custom Lambda
//! Rules"; AWS Config API Reference, "PutEvaluations" (at most 100 evaluations a call, an
//! annotation of at most 256 characters).

use crate::cloudtrail::Focus;
use crate::sdk_error;
use aws_config::SdkConfig;
use aws_sdk_config::primitives::{DateTime, DateTimeFormat};
use aws_sdk_config::types::{ComplianceType, Evaluation as SdkEvaluation};
use serde_json::Value as Json;
use stagelog_model::arn::StageArn;

/// The resource types Config records for API Gateway stages.
pub const REST_STAGE: &str = "AWS::ApiGateway::Stage";
pub const V2_STAGE: &str = "AWS::ApiGatewayV2::Stage";

/// PutEvaluations takes at most this many evaluations.
pub const BATCH: usize = 100;

/// One invocation of a Config custom rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    pub rule_name: String,
    pub result_token: String,
    /// The account and region the rule runs in (from `configRuleArn`, else `accountId`).
    pub account: Option<String>,
    pub region: Option<String>,
    pub what: Subject,
}

/// What an invocation asks to evaluate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// One resource's configuration changed.
    Item(Item),
    /// A periodic run: every stage of the account and region.
    Scheduled { ordering_time: String },
}

/// A configuration item (or its summary): what a change-triggered evaluation is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub resource_type: String,
    pub resource_id: String,
    pub arn: Option<String>,
    pub account: Option<String>,
    pub region: Option<String>,
    /// `configurationItemCaptureTime`: the evaluation's ordering timestamp.
    pub capture_time: String,
    /// Deleted, or out of the rule's scope now: NOT_APPLICABLE without reading anything.
    pub gone: bool,
}

impl Item {
    /// The stage the item names, read from its ARN (or a resource id that is one).
    pub fn stage(&self) -> Option<StageArn> {
        if self.resource_type != REST_STAGE && self.resource_type != V2_STAGE {
            return None;
        }
        self.arn
            .as_deref()
            .and_then(StageArn::parse)
            .or_else(|| StageArn::parse(&self.resource_id))
    }
}

/// The focus that reads exactly this stage.
pub fn focus_of(stage: &StageArn) -> Focus {
    Focus {
        rest: stage.rest,
        api_id: stage.api_id.clone(),
        stage: Some(stage.stage.clone()),
    }
}

fn text(v: &Json) -> Option<String> {
    v.as_str().filter(|s| !s.is_empty()).map(str::to_string)
}

/// True for what Config sends a custom rule's function (and nothing else stagelog is sent).
pub fn is_invocation(event: &Json) -> bool {
    event.get("resultToken").is_some() && event.get("invokingEvent").is_some()
}

/// Reads a Config rule invocation.
pub fn invocation(event: &Json) -> Result<Invocation, String> {
    let rule_name = text(&event["configRuleName"]).ok_or("the event has no configRuleName")?;
    let result_token = text(&event["resultToken"]).ok_or("the event has no resultToken")?;
    let invoking: Json = match &event["invokingEvent"] {
        Json::String(s) => {
            serde_json::from_str(s).map_err(|e| format!("invokingEvent is not JSON: {e}"))?
        }
        // Accepted as an object too (hand-made test events often are).
        v @ Json::Object(_) => v.clone(),
        _ => return Err("the event has no invokingEvent".into()),
    };
    // arn:PARTITION:config:REGION:ACCOUNT:config-rule/ID
    let rule_arn = text(&event["configRuleArn"]).unwrap_or_default();
    let mut arn_parts = rule_arn.split(':');
    let region = arn_parts
        .nth(3)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    let account = arn_parts
        .next()
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .or_else(|| text(&event["accountId"]));
    let message_type = text(&invoking["messageType"]).ok_or("invokingEvent has no messageType")?;
    let what = match message_type.as_str() {
        "ConfigurationItemChangeNotification" | "OversizedConfigurationItemChangeNotification" => {
            let ci = if message_type.starts_with("Oversized") {
                &invoking["configurationItemSummary"]
            } else {
                &invoking["configurationItem"]
            };
            if !ci.is_object() {
                return Err(format!("a {message_type} without its configuration item"));
            }
            let status = ci["configurationItemStatus"].as_str().unwrap_or("OK");
            let left_scope = event["eventLeftScope"].as_bool().unwrap_or(false);
            Subject::Item(Item {
                resource_type: text(&ci["resourceType"])
                    .ok_or("the configuration item has no resourceType")?,
                resource_id: text(&ci["resourceId"])
                    .ok_or("the configuration item has no resourceId")?,
                arn: text(&ci["ARN"]).or_else(|| text(&ci["arn"])),
                account: text(&ci["awsAccountId"]),
                region: text(&ci["awsRegion"]),
                capture_time: text(&ci["configurationItemCaptureTime"])
                    .or_else(|| text(&invoking["notificationCreationTime"]))
                    .ok_or("the configuration item has no configurationItemCaptureTime")?,
                gone: left_scope
                    || matches!(status, "ResourceDeleted" | "ResourceDeletedNotRecorded"),
            })
        }
        "ScheduledNotification" => Subject::Scheduled {
            ordering_time: text(&invoking["notificationCreationTime"])
                .ok_or("a ScheduledNotification without notificationCreationTime")?,
        },
        other => return Err(format!("unknown Config messageType {other}")),
    };
    Ok(Invocation {
        rule_name,
        result_token,
        account,
        region,
        what,
    })
}

/// One resource's verdict.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Evaluation {
    pub resource_type: String,
    pub resource_id: String,
    /// COMPLIANT, NON_COMPLIANT or NOT_APPLICABLE.
    pub compliance: &'static str,
    pub annotation: String,
    pub ordering_time: String,
}

/// At most 256 characters, cut on a character boundary.
pub fn annotation(text: &str) -> String {
    if text.chars().count() <= 256 {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(255).collect();
    cut.push('…');
    cut
}

/// Sends the evaluations with the invocation's token, 100 a call; Config's refusals of single
/// evaluations come back as messages.
pub async fn put_evaluations(
    conf: &SdkConfig,
    result_token: &str,
    evaluations: &[Evaluation],
) -> Result<Vec<String>, String> {
    let client = aws_sdk_config::Client::new(conf);
    let mut refused = Vec::new();
    for chunk in evaluations.chunks(BATCH) {
        let mut sdk = Vec::new();
        for e in chunk {
            let time = DateTime::from_str(&e.ordering_time, DateTimeFormat::DateTime)
                .map_err(|err| format!("ordering time {}: {err}", e.ordering_time))?;
            sdk.push(
                SdkEvaluation::builder()
                    .compliance_resource_type(&e.resource_type)
                    .compliance_resource_id(&e.resource_id)
                    .compliance_type(ComplianceType::from(e.compliance))
                    .annotation(annotation(&e.annotation))
                    .ordering_timestamp(time)
                    .build()
                    .map_err(|err| format!("evaluation of {}: {err}", e.resource_id))?,
            );
        }
        let out = client
            .put_evaluations()
            .result_token(result_token)
            .set_evaluations(Some(sdk))
            .send()
            .await
            .map_err(|e| format!("PutEvaluations failed: {}", sdk_error(&e)))?;
        refused.extend(out.failed_evaluations().iter().map(|f| {
            format!(
                "Config refused the evaluation of {}",
                f.compliance_resource_id()
            )
        }));
    }
    Ok(refused)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn change(status: &str, left: bool) -> Json {
        let item = json!({
            "configurationItemCaptureTime": "2026-12-07T01:02:03.456Z",
            "awsAccountId": "123456789012",
            "configurationItemStatus": status,
            "resourceId": "arn:aws:apigateway:eu-west-1::/restapis/a1b2c3/stages/prod",
            "resourceName": "prod",
            "ARN": "arn:aws:apigateway:eu-west-1::/restapis/a1b2c3/stages/prod",
            "awsRegion": "eu-west-1",
            "resourceType": "AWS::ApiGateway::Stage",
            "configuration": {"stageName": "prod"}
        });
        json!({
            "configRuleId": "config-rule-0123456",
            "version": "1.0",
            "configRuleName": "stagelog",
            "configRuleArn": "arn:aws:config:eu-west-1:123456789012:config-rule/config-rule-0123456",
            "invokingEvent": json!({
                "configurationItem": item,
                "notificationCreationTime": "2026-12-07T01:02:04.000Z",
                "messageType": "ConfigurationItemChangeNotification",
                "recordVersion": "1.3"
            }).to_string(),
            "resultToken": "token",
            "eventLeftScope": left,
            "executionRoleArn": "arn:aws:iam::123456789012:role/config-role",
            "accountId": "123456789012"
        })
    }

    #[test]
    fn change_notifications_name_the_stage() {
        let inv = invocation(&change("OK", false)).unwrap();
        assert_eq!(inv.region.as_deref(), Some("eu-west-1"));
        assert_eq!(inv.account.as_deref(), Some("123456789012"));
        let Subject::Item(item) = inv.what else {
            panic!("an item")
        };
        assert!(!item.gone);
        let stage = item.stage().unwrap();
        assert_eq!(focus_of(&stage).api_id, "a1b2c3");
        assert!(stage.rest);
        for (status, left) in [("ResourceDeleted", false), ("OK", true)] {
            let Subject::Item(item) = invocation(&change(status, left)).unwrap().what else {
                panic!("an item")
            };
            assert!(item.gone, "{status} {left}");
        }
    }

    #[test]
    fn scheduled_and_broken_invocations() {
        let scheduled = json!({
            "configRuleName": "stagelog",
            "configRuleArn": "arn:aws:config:us-east-1:123456789012:config-rule/config-rule-1",
            "resultToken": "token",
            "invokingEvent": "{\"awsAccountId\":\"123456789012\",\"notificationCreationTime\":\"2026-12-07T00:00:00.000Z\",\"messageType\":\"ScheduledNotification\",\"recordVersion\":\"1.0\"}"
        });
        let inv = invocation(&scheduled).unwrap();
        assert_eq!(inv.region.as_deref(), Some("us-east-1"));
        assert!(matches!(inv.what, Subject::Scheduled { .. }));
        let mut broken = scheduled.clone();
        broken["invokingEvent"] = json!("{not json");
        assert!(invocation(&broken).unwrap_err().contains("not JSON"));
        assert!(!is_invocation(&json!({"detail": {}})));
    }

    #[test]
    fn annotations_fit_config() {
        assert_eq!(annotation(&"é".repeat(300)).chars().count(), 256);
        assert_eq!(annotation("short"), "short");
    }
}

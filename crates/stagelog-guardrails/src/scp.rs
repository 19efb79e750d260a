//! The SCP: what IAM can refuse. API Gateway has four access-logging condition keys
//! (`apigateway:Request/AccessLoggingDestination` and `…/AccessLoggingFormat` on CreateStage
//! and UpdateStage, `apigateway:Resource/…` on UpdateStage and DeleteStage, for the REST and v2
//! stage resources) and `apigateway:Request/StageName` on CreateDeployment (Service
//! Authorization Reference, "Actions, resources, and condition keys for Amazon API Gateway
//! Management" and "… Management V2"). Nothing keys the logging level, data trace or route
//! settings: those are the holes the header and docs name, for Guard and the EventBridge rule.
//!
//! Statement ids carry the version and the rules (SCPs allow no comments), and the policy is
//! written minified: AWS Organizations limits an SCP to 5,120 characters.

use crate::{rule, Artefact, Engine, Options};
use serde_json::{json, Value as Json};

/// AWS Organizations' size limit for a service control policy, in characters.
pub(crate) const SCP_LIMIT: usize = 5_120;

/// The stage collections (CreateStage is a POST on them) and stages (UpdateStage a PATCH).
const STAGE_COLLECTIONS: [&str; 2] = [
    "arn:aws:apigateway:*::/restapis/*/stages",
    "arn:aws:apigateway:*::/apis/*/stages",
];
const STAGES: [&str; 2] = [
    "arn:aws:apigateway:*::/restapis/*/stages/*",
    "arn:aws:apigateway:*::/apis/*/stages/*",
];

/// `StagelogV010SL001SL002…`: statement ids are alphanumeric only.
fn sid(rules: &[&str], what: &str) -> String {
    let v: String = env!("CARGO_PKG_VERSION")
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    format!("StagelogV{v}{}{what}", rules.concat())
}

/// Deny `action` on `resources` naming an access log destination none of the allowed
/// patterns matches (SL003).
fn outside_destinations(what: &str, action: &str, resources: &[&str], opts: &Options) -> Json {
    json!({
        "Sid": sid(&["SL003"], what),
        "Effect": "Deny",
        "Action": action,
        "Resource": resources,
        "Condition": {
            "Null": {"apigateway:Request/AccessLoggingDestination": "false"},
            "StringNotLike": {"apigateway:Request/AccessLoggingDestination": opts.log_destinations}
        }
    })
}

pub(crate) fn render(opts: &Options) -> Result<Artefact, String> {
    if opts.log_destinations.is_empty() {
        return Err("no allowed log destination: give --log-destination-pattern".into());
    }
    let mut statements: Vec<Json> = vec![
        // CreateStage without an access log destination (SL001 REST, SL002 v2).
        json!({
            "Sid": sid(&["SL001", "SL002"], "DenyStageWithoutAccessLogs"),
            "Effect": "Deny",
            "Action": "apigateway:POST",
            "Resource": STAGE_COLLECTIONS,
            "Condition": {"Null": {"apigateway:Request/AccessLoggingDestination": "true"}}
        }),
        // A destination outside the allowed ones, on create (a POST on the stage collection)
        // and on update (a PATCH on the stage) (SL003): one statement each, as each action
        // has its own resource type.
        outside_destinations(
            "DenyNewStageLoggingOutsideAllowedDestinations",
            "apigateway:POST",
            &STAGE_COLLECTIONS,
            opts,
        ),
        outside_destinations(
            "DenyStageLoggingOutsideAllowedDestinations",
            "apigateway:PATCH",
            &STAGES,
            opts,
        ),
        // A REST deployment naming a stage creates that stage with no logging settings, where
        // the access-log keys do not reach (SL001). v2's CreateDeployment only deploys to a
        // stage that exists, so it is left alone.
        json!({
            "Sid": sid(&["SL001"], "DenyDeploymentCreatingStage"),
            "Effect": "Deny",
            "Action": "apigateway:POST",
            "Resource": "arn:aws:apigateway:*::/restapis/*/deployments",
            "Condition": {"Null": {"apigateway:Request/StageName": "false"}}
        }),
    ];
    if opts.deny_unlogged_updates {
        // An update after which a logged stage has no destination. A choice, not a default:
        // it also refuses an update of a logged stage that does not restate its destination
        // wherever IAM leaves the request key empty for it.
        statements.push(json!({
            "Sid": sid(&["SL001", "SL002"], "DenyUpdateLeavingStageUnlogged"),
            "Effect": "Deny",
            "Action": "apigateway:PATCH",
            "Resource": STAGES,
            "Condition": {"Null": {
                "apigateway:Request/AccessLoggingDestination": "true",
                "apigateway:Resource/AccessLoggingDestination": "false"
            }}
        }));
    }
    let policy = json!({"Version": "2012-10-17", "Statement": statements});
    let text = serde_json::to_string(&policy).map_err(|e| e.to_string())?;
    if text.len() > SCP_LIMIT {
        return Err(format!(
            "the SCP is {} characters, over AWS Organizations' limit of {SCP_LIMIT}: give fewer --log-destination-pattern",
            text.len()
        ));
    }
    let mut holes = vec![
        format!(
            "{}: execution logging level, data trace and route settings have no IAM condition key; use the Guard rules or the EventBridge rule",
            [rule("SL010").id, rule("SL011").id].join(", ")
        ),
        "an HTTP API made with quick-create (CreateApi with a target) gets a $default stage no condition key reaches".to_string(),
        format!(
            "{}: log group retention and encryption are not keyed on CreateLogGroup",
            [rule("SL020").id, rule("SL021").id].join(", ")
        ),
        format!(
            "{}, {}: IAM cannot read a format's fields (API Gateway itself requires $context.requestId)",
            rule("SL004").id,
            rule("SL005").id
        ),
    ];
    if !opts.deny_unlogged_updates {
        holes.push(
            "an UpdateStage that removes a stage's access logs (--deny-unlogged-updates adds a statement for it)".into(),
        );
    }
    Ok(Artefact {
        engine: Engine::Scp,
        text: format!("{text}\n"),
        rules: vec![rule("SL001").id, rule("SL002").id, rule("SL003").id],
        holes,
    })
}

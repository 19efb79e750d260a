//! What a CloudTrail event about API Gateway names: the account, the region, and the API (and
//! stage) a change touched — so `audit --cloudtrail-event` reads exactly that, not the region.
//!
//! Accepted as CloudTrail records it (`eventSource: apigateway.amazonaws.com`, REST and v2
//! alike) or as EventBridge delivers it (`detail-type: AWS API Call via CloudTrail`, the record
//! under `detail`). REST calls name `restApiId` in `requestParameters`; v2 calls `apiId`
//! (CreateApi returns it in `responseElements`). CloudTrail User Guide, "CloudTrail record
//! contents"; API Gateway Developer Guide, "Logging Amazon API Gateway API calls by using AWS
//! CloudTrail".

use serde_json::Value as Json;

/// One API (and stage) to read instead of the whole region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Focus {
    /// A REST API (`/restapis/…`), else an HTTP or WebSocket one (`/apis/…`).
    pub rest: bool,
    pub api_id: String,
    /// The stage the event names, when it names one.
    pub stage: Option<String>,
}

/// What an event asks to audit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventScope {
    pub account: Option<String>,
    pub region: String,
    pub event_name: String,
    /// `None`: the account's settings changed (UpdateAccount): the region is audited.
    pub focus: Option<Focus>,
}

fn text(v: &Json) -> Option<String> {
    v.as_str().filter(|s| !s.is_empty()).map(str::to_string)
}

/// The scope of a CloudTrail record, or of an EventBridge event carrying one.
pub fn event_scope(event: &Json) -> Result<EventScope, String> {
    let record = if event.get("detail").is_some_and(Json::is_object) {
        &event["detail"]
    } else {
        event
    };
    if record["eventSource"] != "apigateway.amazonaws.com" {
        return Err(format!(
            "not an API Gateway event (eventSource {})",
            record["eventSource"]
        ));
    }
    let event_name = text(&record["eventName"]).ok_or("the event has no eventName")?;
    let region = text(&record["awsRegion"])
        .or_else(|| text(&event["region"]))
        .ok_or("the event has no awsRegion")?;
    let account = text(&record["recipientAccountId"])
        .or_else(|| text(&record["userIdentity"]["accountId"]))
        .or_else(|| text(&event["account"]));
    let params = &record["requestParameters"];
    let stage = text(&params["stageName"])
        .or_else(|| text(&params["createDeploymentInput"]["stageName"]))
        .or_else(|| text(&params["createStageInput"]["stageName"]));
    let focus = if let Some(id) = text(&params["restApiId"]) {
        Some(Focus {
            rest: true,
            api_id: id,
            stage,
        })
    } else if let Some(id) =
        text(&params["apiId"]).or_else(|| text(&record["responseElements"]["apiId"]))
    {
        Some(Focus {
            rest: false,
            api_id: id,
            stage,
        })
    } else if event_name == "UpdateAccount" {
        None
    } else {
        return Err(format!(
            "the {event_name} event names no API (requestParameters.restApiId or apiId)"
        ));
    };
    Ok(EventScope {
        account,
        region,
        event_name,
        focus,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rest_and_v2_calls_as_cloudtrail_and_eventbridge_deliver_them() {
        let rest = json!({
            "eventVersion": "1.09",
            "eventSource": "apigateway.amazonaws.com",
            "eventName": "UpdateStage",
            "awsRegion": "eu-west-1",
            "recipientAccountId": "123456789012",
            "requestParameters": {"restApiId": "a1b2c3", "stageName": "prod"}
        });
        let scope = event_scope(&rest).unwrap();
        assert_eq!(scope.account.as_deref(), Some("123456789012"));
        assert_eq!(
            scope.focus,
            Some(Focus {
                rest: true,
                api_id: "a1b2c3".into(),
                stage: Some("prod".into())
            })
        );
        let bridged = json!({
            "detail-type": "AWS API Call via CloudTrail",
            "source": "aws.apigateway",
            "account": "123456789012",
            "region": "us-east-1",
            "detail": {
                "eventSource": "apigateway.amazonaws.com",
                "eventName": "CreateApi",
                "awsRegion": "us-east-1",
                "requestParameters": {"name": "quick", "protocolType": "HTTP", "target": "arn:aws:lambda:…"},
                "responseElements": {"apiId": "q1w2e3"}
            }
        });
        let scope = event_scope(&bridged).unwrap();
        assert_eq!(scope.account.as_deref(), Some("123456789012"));
        assert_eq!(scope.region, "us-east-1");
        assert_eq!(scope.focus.unwrap().api_id, "q1w2e3");
        let account = json!({"eventSource": "apigateway.amazonaws.com", "eventName": "UpdateAccount", "awsRegion": "eu-west-1"});
        assert_eq!(event_scope(&account).unwrap().focus, None);
        let lambda = json!({"eventSource": "lambda.amazonaws.com", "eventName": "UpdateStage", "awsRegion": "eu-west-1"});
        assert!(event_scope(&lambda)
            .unwrap_err()
            .contains("not an API Gateway event"));
    }
}

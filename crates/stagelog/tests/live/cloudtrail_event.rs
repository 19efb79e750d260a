//! `audit --cloudtrail-event`: the stage a CloudTrail event names, in its account and region,
//! judged alone — with a few reads (GetRestApi, GetStages), never the region's listings — as
//! the stagelog Lambda does for each event EventBridge hands it.
use crate::aws_server::{account_config, requests, rest_api, rest_stage, stagelog};
use serde_json::{json, Value};

/// A region no other live test uses: the requests counted here are this test's.
const REGION: &str = "ca-central-1";

#[tokio::test]
async fn an_event_is_judged_on_the_stage_it_names_with_a_few_reads() {
    let account = "565600000001";
    let conf = account_config(account, REGION).await;
    let orders = rest_api(&conf, "orders").await;
    rest_stage(&conf, &orders, "prod", &[]).await;
    rest_stage(&conf, &orders, "beta", &[]).await;
    let billing = rest_api(&conf, "billing").await;
    rest_stage(&conf, &billing, "prod", &[]).await;
    // UpdateStage on orders/prod, as EventBridge delivers CloudTrail's record of it.
    let event = json!({
        "version": "0",
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.apigateway",
        "account": account,
        "region": REGION,
        "detail": {
            "eventVersion": "1.09",
            "eventSource": "apigateway.amazonaws.com",
            "eventName": "UpdateStage",
            "awsRegion": REGION,
            "recipientAccountId": account,
            "requestParameters": {
                "restApiId": orders,
                "stageName": "prod",
                "patchOperations": [{"op": "remove", "path": "/accessLogSettings"}]
            },
            "responseElements": null
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("event.json");
    std::fs::write(&file, event.to_string()).unwrap();
    let role = format!("arn:aws:iam::{account}:role/stagelog");
    let path = file.to_str().unwrap().to_string();
    let out = tokio::task::spawn_blocking(move || {
        stagelog(&[
            "audit",
            "--cloudtrail-event",
            &path,
            "--role-arn",
            &role,
            "--format",
            "json",
            "--ignore",
            "SL030",
        ])
    })
    .await
    .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert_eq!(report["errors"], json!([]), "{report}");
    let resources: std::collections::BTreeSet<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["resource"].as_str().unwrap())
        .collect();
    let named = format!("arn:aws:apigateway:{REGION}::/restapis/{orders}/stages/prod");
    assert_eq!(
        resources.into_iter().collect::<Vec<_>>(),
        [named.as_str()],
        "{report}"
    );
    let rules: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    assert!(
        rules.contains(&"SL001") && rules.contains(&"SL010"),
        "{rules:?}"
    );
    // Politely: the API and its stages, never the region's APIs.
    let ops: Vec<String> = requests()
        .iter()
        .filter(|r| {
            r["region"] == REGION
                && r["user_agent"]
                    .as_str()
                    .unwrap_or("")
                    .contains("app/stagelog")
        })
        .map(|r| r["operation"].as_str().unwrap().to_string())
        .collect();
    assert!(ops.contains(&"GetRestApi".to_string()), "{ops:?}");
    for listing in ["GetRestApis", "GetApis"] {
        assert!(!ops.contains(&listing.to_string()), "{listing}: {ops:?}");
    }
}

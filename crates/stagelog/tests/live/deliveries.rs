//! Execution-log deliveries live, against the test server: a delivery source on a stage is
//! refused while its logging is OFF (as AWS refuses it); `audit` judges the delivered log
//! group (SL020/SL021) and reports a delivery from a stage whose logging was later turned OFF
//! (SL010); `verify` looks for events in the delivered group (SL040).
use crate::aws_server;

use aws_server::{account_config, patch_rest_stage, rest_api, rest_stage, stagelog};
use serde_json::Value;

const ACCOUNT: &str = "999900000001";
const REGION: &str = "eu-west-1";

async fn deliver(
    logs: &aws_sdk_cloudwatchlogs::Client,
    source: &str,
    stage_arn: &str,
    destination: &str,
) -> Result<(), String> {
    logs.put_delivery_source()
        .name(source)
        .log_type("EXECUTION_LOGS")
        .resource_arn(stage_arn)
        .send()
        .await
        .map_err(|e| format!("{:?}", e.into_service_error()))?;
    logs.create_delivery()
        .delivery_source_name(source)
        .delivery_destination_arn(destination)
        .send()
        .await
        .map_err(|e| format!("{:?}", e.into_service_error()))?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_are_read_judged_and_verified() {
    let conf = account_config(ACCOUNT, REGION).await;
    aws_server::cloudwatch_role(&conf, ACCOUNT, "cw", "apigateway.amazonaws.com", true).await;
    let api = rest_api(&conf, "orders").await;
    for stage in ["prod", "canary", "dark"] {
        rest_stage(&conf, &api, stage, &[("/*/*/logging/loglevel", "ERROR")]).await;
    }
    patch_rest_stage(&conf, &api, "dark", &[("/*/*/logging/loglevel", "OFF")]).await;
    let logs = aws_sdk_cloudwatchlogs::Client::new(&conf);
    let group = "/aws/vendedlogs/apigateway/orders/execution";
    logs.create_log_group()
        .log_group_name(group)
        .send()
        .await
        .unwrap();
    logs.put_retention_policy()
        .log_group_name(group)
        .retention_in_days(7)
        .send()
        .await
        .unwrap();
    let destination = logs
        .put_delivery_destination()
        .name("orders-execution")
        .delivery_destination_configuration(
            aws_sdk_cloudwatchlogs::types::DeliveryDestinationConfiguration::builder()
                .destination_resource_arn(format!(
                    "arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{group}"
                ))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .delivery_destination
        .unwrap()
        .arn
        .unwrap();
    let stage_arn =
        |s: &str| format!("arn:aws:apigateway:{REGION}:{ACCOUNT}:/restapis/{api}/stages/{s}");

    // A stage logging OFF cannot have its execution logs delivered.
    let refused = deliver(&logs, "orders-dark", &stage_arn("dark"), &destination).await;
    assert!(
        refused
            .as_ref()
            .is_err_and(|e| e.contains("Execution logging must be enabled")),
        "{refused:?}"
    );
    deliver(&logs, "orders-prod", &stage_arn("prod"), &destination)
        .await
        .unwrap();
    deliver(&logs, "orders-canary", &stage_arn("canary"), &destination)
        .await
        .unwrap();
    // Someone turned canary's logging off afterwards: its delivery now delivers nothing.
    patch_rest_stage(&conf, &api, "canary", &[("/*/*/logging/loglevel", "OFF")]).await;
    // prod served traffic in the last day, and nothing arrived in the delivered group.
    {
        use aws_sdk_cloudwatch::types::{Dimension, MetricDatum};
        aws_sdk_cloudwatch::Client::new(&conf)
            .put_metric_data()
            .namespace("AWS/ApiGateway")
            .metric_data(
                MetricDatum::builder()
                    .metric_name("Count")
                    .dimensions(Dimension::builder().name("ApiName").value("orders").build())
                    .dimensions(Dimension::builder().name("Stage").value("prod").build())
                    .timestamp(aws_sdk_cloudwatch::primitives::DateTime::from_secs(
                        std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)
                            .unwrap()
                            .as_secs() as i64
                            - 1800,
                    ))
                    .value(42.0)
                    .build(),
            )
            .send()
            .await
            .unwrap();
    }

    let role = format!("arn:aws:iam::{ACCOUNT}:role/audit");
    let (audit, verify) = tokio::task::spawn_blocking(move || {
        (
            stagelog(&[
                "audit",
                "--role-arn",
                &role,
                "--region",
                REGION,
                "--format",
                "json",
                "--select",
                "SL010,SL020,SL021",
            ]),
            stagelog(&[
                "verify",
                "--role-arn",
                &role,
                "--region",
                REGION,
                "--format",
                "json",
            ]),
        )
    })
    .await
    .unwrap();
    let json: Value = serde_json::from_slice(&audit.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&audit.stderr)));
    assert_eq!(json["errors"], serde_json::json!([]), "{json:#}");
    let findings = json["findings"].as_array().unwrap();
    let of =
        |rule: &str| -> Vec<&Value> { findings.iter().filter(|f| f["rule_id"] == rule).collect() };

    // The delivered group: 7 days of retention, no KMS key.
    let sl020: Vec<&Value> = of("SL020")
        .into_iter()
        .filter(|f| f["resource"].as_str().unwrap().ends_with(group))
        .collect();
    assert_eq!(sl020.len(), 1, "{json:#}");
    let message = sl020[0]["message"].as_str().unwrap();
    assert!(
        message.contains("delivered execution logs of REST API `orders` stage"),
        "{message}"
    );
    assert!(of("SL021")
        .iter()
        .any(|f| f["resource"].as_str().unwrap().ends_with(group)));

    // canary's and dark's logging is OFF; only canary has a delivery that now delivers nothing.
    let sl010 = of("SL010");
    assert_eq!(sl010.len(), 2, "{json:#}");
    let canary = sl010.iter().find(|f| f["stage"] == "canary").unwrap();
    let message = canary["message"].as_str().unwrap();
    assert!(
        message.contains(&format!(
            "so its execution-log delivery to `arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{group}` (arn:aws:logs:{REGION}:{ACCOUNT}:delivery:"
        )) && message.contains("delivers nothing"),
        "{message}"
    );
    let dark = sl010.iter().find(|f| f["stage"] == "dark").unwrap();
    assert!(!dark["message"].as_str().unwrap().contains("delivery"));

    // verify: prod had traffic and its delivered group has no event.
    let json: Value = serde_json::from_slice(&verify.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&verify.stderr)));
    let delivered: Vec<&Value> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["rule_id"] == "SL040"
                && f["message"]
                    .as_str()
                    .unwrap()
                    .contains("delivered execution log")
        })
        .collect();
    assert_eq!(delivered.len(), 2, "{json:#}");
    let prod = delivered.iter().find(|f| f["stage"] == "prod").unwrap();
    assert_eq!(prod["severity"], "high");
    assert!(
        prod["message"]
            .as_str()
            .unwrap()
            .contains(&format!("served 42 requests in the last 1d but no delivered execution log event arrived in `{group}`")),
        "{prod}"
    );
}

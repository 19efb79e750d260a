//! The test server's own extension (scripts/aws_test_server/extension.py): the operations it
//! adds to moto behave as the AWS API reference says, so fix/rollback tests can rely on them.
use crate::aws_server;

use aws_sdk_apigatewayv2::types::{AccessLogSettings, LoggingLevel, ProtocolType, RouteSettings};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v2_update_stage_changes_only_what_the_request_names() {
    let conf = aws_server::account_config("555500000005", "eu-west-1").await;
    let c = aws_sdk_apigatewayv2::Client::new(&conf);
    let api = c
        .create_api()
        .name("ws")
        .protocol_type(ProtocolType::Websocket)
        .route_selection_expression("$request.body.action")
        .send()
        .await
        .unwrap()
        .api_id
        .unwrap();
    c.create_stage()
        .api_id(&api)
        .stage_name("prod")
        .description("kept")
        .access_log_settings(
            AccessLogSettings::builder()
                .destination_arn("arn:aws:logs:eu-west-1:555500000005:log-group:a")
                .format("$context.requestId")
                .build(),
        )
        .default_route_settings(
            RouteSettings::builder()
                .logging_level(LoggingLevel::Off)
                .data_trace_enabled(true)
                .throttling_burst_limit(7)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let updated = c
        .update_stage()
        .api_id(&api)
        .stage_name("prod")
        .default_route_settings(
            RouteSettings::builder()
                .logging_level(LoggingLevel::Error)
                .build(),
        )
        .route_settings(
            "$connect",
            RouteSettings::builder()
                .logging_level(LoggingLevel::Info)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(updated.stage_name(), Some("prod"));
    let stage = c
        .get_stage()
        .api_id(&api)
        .stage_name("prod")
        .send()
        .await
        .unwrap();
    let d = stage.default_route_settings().unwrap();
    assert_eq!(d.logging_level(), Some(&LoggingLevel::Error));
    assert_eq!(
        d.data_trace_enabled(),
        Some(true),
        "unnamed fields are left unchanged"
    );
    assert_eq!(d.throttling_burst_limit(), Some(7));
    assert_eq!(stage.description(), Some("kept"));
    assert_eq!(
        stage.access_log_settings().unwrap().destination_arn(),
        Some("arn:aws:logs:eu-west-1:555500000005:log-group:a")
    );
    assert_eq!(
        stage.route_settings().unwrap()["$connect"].logging_level(),
        Some(&LoggingLevel::Info)
    );

    c.delete_access_log_settings()
        .api_id(&api)
        .stage_name("prod")
        .send()
        .await
        .unwrap();
    let stage = c
        .get_stage()
        .api_id(&api)
        .stage_name("prod")
        .send()
        .await
        .unwrap();
    assert!(stage.access_log_settings().is_none());
    assert_eq!(
        stage.default_route_settings().unwrap().logging_level(),
        Some(&LoggingLevel::Error)
    );

    let missing = c
        .update_stage()
        .api_id(&api)
        .stage_name("nope")
        .send()
        .await;
    assert!(missing
        .unwrap_err()
        .into_service_error()
        .is_not_found_exception());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_the_cloudwatch_role_leaves_the_account_without_one() {
    use aws_sdk_apigateway::types::{Op, PatchOperation};
    let conf = aws_server::account_config("555500000006", "eu-west-1").await;
    let c = aws_sdk_apigateway::Client::new(&conf);
    let patch = |op: Op, value: Option<&str>| {
        PatchOperation::builder()
            .op(op)
            .path("/cloudwatchRoleArn")
            .set_value(value.map(str::to_string))
            .build()
    };
    c.update_account()
        .patch_operations(patch(
            Op::Replace,
            Some("arn:aws:iam::555500000006:role/cw"),
        ))
        .send()
        .await
        .unwrap();
    assert!(c
        .get_account()
        .send()
        .await
        .unwrap()
        .cloudwatch_role_arn()
        .is_some());
    let after = c
        .update_account()
        .patch_operations(patch(Op::Remove, None))
        .send()
        .await
        .unwrap();
    assert_eq!(after.cloudwatch_role_arn(), None);
    assert_eq!(
        c.get_account().send().await.unwrap().cloudwatch_role_arn(),
        None
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cloudwatch_metrics_over_rpc_v2_cbor() {
    use aws_sdk_cloudwatch::primitives::DateTime;
    use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricDatum, MetricStat};
    let conf = aws_server::account_config("555500000007", "eu-west-1").await;
    let c = aws_sdk_cloudwatch::Client::new(&conf);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let dims = |stage: &str| {
        vec![
            Dimension::builder().name("ApiName").value("shop").build(),
            Dimension::builder().name("Stage").value(stage).build(),
        ]
    };
    for (stage, value, age) in [
        ("prod", 5.0, 600),
        ("prod", 7.0, 1200),
        ("dev", 100.0, 600),
        ("prod", 1000.0, 7200),
    ] {
        c.put_metric_data()
            .namespace("AWS/ApiGateway")
            .metric_data(
                MetricDatum::builder()
                    .metric_name("Count")
                    .set_dimensions(Some(dims(stage)))
                    .timestamp(DateTime::from_secs(now - age))
                    .value(value)
                    .build(),
            )
            .send()
            .await
            .unwrap();
    }
    // The last hour, one period: prod's two recent datapoints, not dev's, not the old one.
    let out = c
        .get_metric_data()
        .start_time(DateTime::from_secs(now - 3600))
        .end_time(DateTime::from_secs(now))
        .metric_data_queries(
            MetricDataQuery::builder()
                .id("m0")
                .metric_stat(
                    MetricStat::builder()
                        .metric(
                            Metric::builder()
                                .namespace("AWS/ApiGateway")
                                .metric_name("Count")
                                .set_dimensions(Some(dims("prod")))
                                .build(),
                        )
                        .period(3600)
                        .stat("Sum")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let r = &out.metric_data_results()[0];
    assert_eq!(r.id(), Some("m0"));
    assert_eq!(r.values(), [12.0]);
    assert_eq!(r.timestamps().len(), 1);
}

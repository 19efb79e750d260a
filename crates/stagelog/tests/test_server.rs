//! The test server's own extension (scripts/aws_test_server/extension.py): the operations it
//! adds to moto behave as the AWS API reference says, so fix/rollback tests can rely on them.
mod aws_server;

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

//! `stagelog audit` against the AWS test server (moto): seeded problems are found, exactly,
//! across two accounts and two regions, in text and JSON; audit calls no write API; throttling
//! does not change the result; unreachable or forbidden scopes are errors, not silence.
use crate::aws_server;

use aws_server::{account_config, cloudwatch_role, requests, rest_api, rest_stage, stagelog};
use serde_json::Value;
use std::collections::BTreeSet;

const FULL_FORMAT: &str = r#"{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","caller":"$context.identity.caller","user":"$context.identity.user","requestTime":"$context.requestTime","httpMethod":"$context.httpMethod","resourcePath":"$context.resourcePath","status":"$context.status","protocol":"$context.protocol","responseLength":"$context.responseLength"}"#;
const V2_FORMAT: &str = r#"{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","user":"$context.identity.user","requestTime":"$context.requestTime","eventType":"$context.eventType","routeKey":"$context.routeKey","status":"$context.status"}"#;

fn group_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:logs:{region}:{account}:log-group:{name}")
}

async fn log_group(conf: &aws_config::SdkConfig, name: &str, retention: Option<i32>, kms: bool) {
    let c = aws_sdk_cloudwatchlogs::Client::new(conf);
    let mut req = c.create_log_group().log_group_name(name);
    if kms {
        req = req.kms_key_id("arn:aws:kms:eu-west-1:111111111111:key/test");
    }
    req.send().await.unwrap();
    if let Some(days) = retention {
        c.put_retention_policy()
            .log_group_name(name)
            .retention_in_days(days)
            .send()
            .await
            .unwrap();
    }
}

async fn v2_stage(
    conf: &aws_config::SdkConfig,
    protocol: aws_sdk_apigatewayv2::types::ProtocolType,
    stage: &str,
    access: Option<(String, &str)>,
    level: Option<aws_sdk_apigatewayv2::types::LoggingLevel>,
) -> String {
    let c = aws_sdk_apigatewayv2::Client::new(conf);
    let api = c
        .create_api()
        .name(format!("api-{stage}"))
        .protocol_type(protocol)
        .route_selection_expression("$request.body.action")
        .send()
        .await
        .unwrap()
        .api_id
        .unwrap();
    let mut req = c.create_stage().api_id(&api).stage_name(stage);
    if let Some((dest, format)) = access {
        req = req.access_log_settings(
            aws_sdk_apigatewayv2::types::AccessLogSettings::builder()
                .destination_arn(dest)
                .format(format)
                .build(),
        );
    }
    if let Some(level) = level {
        req = req.default_route_settings(
            aws_sdk_apigatewayv2::types::RouteSettings::builder()
                .logging_level(level)
                .build(),
        );
    }
    req.send().await.unwrap();
    api
}

/// Seeds two accounts × two regions; returns the expected findings as
/// `RULE account region resource-suffix`.
async fn seed(a: &str, b: &str) -> BTreeSet<String> {
    use aws_sdk_apigatewayv2::types::{LoggingLevel, ProtocolType};
    let mut expect = BTreeSet::new();
    let mut want = |rule: &str, account: &str, region: &str, resource: String| {
        expect.insert(format!("{rule} {account} {region} {resource}"));
    };

    // Account A, eu-west-1: a clean REST stage and an unlogged sibling; an HTTP stage logging
    // to a group that does not exist; a WebSocket stage with logging OFF and a short retention.
    let r = "eu-west-1";
    let conf = account_config(a, r).await;
    cloudwatch_role(
        &conf,
        a,
        "apigw-cloudwatch",
        "apigateway.amazonaws.com",
        true,
    )
    .await;
    let orders = rest_api(&conf, "orders").await;
    log_group(
        &conf,
        "/aws/vendedlogs/apigateway/orders/prod",
        Some(365),
        true,
    )
    .await;
    rest_stage(
        &conf,
        &orders,
        "prod",
        &[
            (
                "/accessLogSettings/destinationArn",
                &group_arn(r, a, "/aws/vendedlogs/apigateway/orders/prod"),
            ),
            ("/accessLogSettings/format", FULL_FORMAT),
            ("/*/*/logging/loglevel", "ERROR"),
        ],
    )
    .await;
    // The execution log group API Gateway created, never expiring.
    log_group(
        &conf,
        &format!("API-Gateway-Execution-Logs_{orders}/prod"),
        None,
        false,
    )
    .await;
    want(
        "SL020",
        a,
        r,
        format!("log-group:API-Gateway-Execution-Logs_{orders}/prod"),
    );
    want(
        "SL021",
        a,
        r,
        format!("log-group:API-Gateway-Execution-Logs_{orders}/prod"),
    );
    rest_stage(&conf, &orders, "dev", &[]).await;
    want("SL001", a, r, format!("/restapis/{orders}/stages/dev"));
    want("SL010", a, r, format!("/restapis/{orders}/stages/dev"));
    let http = v2_stage(
        &conf,
        ProtocolType::Http,
        "$default",
        Some((group_arn(r, a, "/aws/vendedlogs/apigateway/missing"), r#"{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","user":"$context.identity.user","requestTime":"$context.requestTime","httpMethod":"$context.httpMethod","routeKey":"$context.routeKey","status":"$context.status","protocol":"$context.protocol","responseLength":"$context.responseLength"}"#)),
        None,
    )
    .await;
    want("SL003", a, r, format!("/apis/{http}/stages/$default"));
    log_group(&conf, "/aws/vendedlogs/apigateway/chat", Some(30), true).await;
    let ws = v2_stage(
        &conf,
        ProtocolType::Websocket,
        "prod",
        Some((
            group_arn(r, a, "/aws/vendedlogs/apigateway/chat"),
            V2_FORMAT,
        )),
        Some(LoggingLevel::Off),
    )
    .await;
    want("SL010", a, r, format!("/apis/{ws}/stages/prod"));
    want(
        "SL020",
        a,
        r,
        "log-group:/aws/vendedlogs/apigateway/chat".into(),
    );

    // Account A, us-east-1: no CloudWatch role; a REST stage with data trace and a thin format.
    let r = "us-east-1";
    let conf = account_config(a, r).await;
    let api = rest_api(&conf, "reports").await;
    log_group(&conf, "/aws/vendedlogs/apigateway/reports", Some(400), true).await;
    rest_stage(
        &conf,
        &api,
        "v1",
        &[
            (
                "/accessLogSettings/destinationArn",
                &group_arn(r, a, "/aws/vendedlogs/apigateway/reports"),
            ),
            (
                "/accessLogSettings/format",
                "$context.requestId $context.status",
            ),
            ("/*/*/logging/loglevel", "INFO"),
            ("/*/*/logging/dataTrace", "true"),
        ],
    )
    .await;
    want("SL005", a, r, format!("/restapis/{api}/stages/v1"));
    want("SL011", a, r, format!("/restapis/{api}/stages/v1"));
    want("SL030", a, r, "/account".into());

    // Account B, eu-west-1: a role trusted by the wrong service with no permissions.
    let r = "eu-west-1";
    let conf = account_config(b, r).await;
    cloudwatch_role(&conf, b, "wrong-role", "lambda.amazonaws.com", false).await;
    want("SL031", b, r, "/account".into()); // untrusted
    want("SL031", b, r, "/account".into()); // no logs permissions (same key, counted below)
    let api = rest_api(&conf, "billing").await;
    log_group(
        &conf,
        "/aws/vendedlogs/apigateway/billing",
        Some(3653),
        true,
    )
    .await;
    rest_stage(
        &conf,
        &api,
        "prod",
        &[
            (
                "/accessLogSettings/destinationArn",
                &group_arn(r, b, "/aws/vendedlogs/apigateway/billing"),
            ),
            ("/accessLogSettings/format", FULL_FORMAT),
            ("/*/*/logging/loglevel", "ERROR"),
        ],
    )
    .await;
    // Account B, us-east-1: nothing at all.
    expect
}

fn findings(json: &Value) -> BTreeSet<String> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let resource = f["resource"].as_str().unwrap();
            let tail = resource
                .split_once("::")
                .map(|(_, t)| t.to_string())
                .or_else(|| {
                    resource
                        .split_once(":log-group:")
                        .map(|(_, t)| format!("log-group:{t}"))
                })
                .unwrap_or_else(|| resource.to_string());
            format!(
                "{} {} {} {}",
                f["rule_id"].as_str().unwrap(),
                f["account"].as_str().unwrap(),
                f["region"].as_str().unwrap(),
                tail
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_finds_every_seeded_problem_and_nothing_else_across_accounts_and_regions() {
    let (a, b) = ("111100000001", "222200000002");
    let expect = seed(a, b).await;
    let roles = [
        format!("arn:aws:iam::{a}:role/audit"),
        format!("arn:aws:iam::{b}:role/audit"),
    ];
    let args = move |format: &str| -> Vec<String> {
        let mut v: Vec<String> = [
            "audit",
            "--region",
            "eu-west-1",
            "--region",
            "us-east-1",
            "--format",
            format,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for r in &roles {
            v.push("--role-arn".into());
            v.push(r.clone());
        }
        v
    };
    let run = move |format: &str| {
        let a = args(format);
        stagelog(&a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let out = tokio::task::spawn_blocking(move || (run("json"), run("text")))
        .await
        .unwrap();
    let (json_out, text_out) = out;
    assert_eq!(
        json_out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&json_out.stderr)
    );
    let json: Value = serde_json::from_slice(&json_out.stdout).unwrap();
    assert_eq!(json["errors"], serde_json::json!([]), "{json}");
    assert_eq!(findings(&json), expect, "{json:#}");
    let sl031: Vec<_> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "SL031")
        .collect();
    assert_eq!(
        sl031.len(),
        2,
        "one for trust, one for permissions: {sl031:?}"
    );
    assert!(sl031
        .iter()
        .any(|f| f["message"].as_str().unwrap().contains("trust policy")));
    assert!(sl031
        .iter()
        .any(|f| f["message"].as_str().unwrap().contains("logs:PutLogEvents")));
    let stage = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "SL001")
        .unwrap();
    assert!(stage["resource"]
        .as_str()
        .unwrap()
        .starts_with("arn:aws:apigateway:eu-west-1::/restapis/"));
    assert_eq!(stage["stage"], "dev");
    assert_eq!(stage["api_kind"], "rest");

    let text = String::from_utf8(text_out.stdout).unwrap();
    assert!(text.contains(&format!("account {a}, eu-west-1")), "{text}");
    assert!(text.contains(&format!("account {b}, eu-west-1")), "{text}");
    for f in json["findings"].as_array().unwrap() {
        assert!(
            text.contains(f["message"].as_str().unwrap()),
            "text lacks {}",
            f["message"]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_calls_only_read_apis() {
    let account = "333300000003";
    let conf = account_config(account, "eu-west-1").await;
    cloudwatch_role(&conf, account, "cw", "apigateway.amazonaws.com", true).await;
    let api = rest_api(&conf, "ro").await;
    rest_stage(&conf, &api, "prod", &[("/*/*/logging/loglevel", "ERROR")]).await;
    v2_stage(
        &conf,
        aws_sdk_apigatewayv2::types::ProtocolType::Http,
        "$default",
        None,
        None,
    )
    .await;
    let role = format!("arn:aws:iam::{account}:role/audit");
    let out = tokio::task::spawn_blocking(move || {
        stagelog(&[
            "audit",
            "--role-arn",
            &role,
            "--region",
            "eu-west-1",
            "--all-regions",
            "--format",
            "json",
        ])
    })
    .await
    .unwrap();
    // --region and --all-regions conflict: a usage error, exit 2, nothing sent.
    assert_eq!(out.status.code(), Some(2));
    let role = format!("arn:aws:iam::{account}:role/audit");
    let out = tokio::task::spawn_blocking(move || {
        stagelog(&[
            "audit",
            "--role-arn",
            &role,
            "--all-regions",
            "--format",
            "json",
        ])
    })
    .await
    .unwrap();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["errors"], serde_json::json!([]), "{json}");
    // stagelog's requests carry `app/stagelog` in the user agent (the seeding's do not).
    let ops: BTreeSet<(String, String)> = requests()
        .iter()
        .filter(|r| {
            r["user_agent"]
                .as_str()
                .unwrap_or("")
                .contains("app/stagelog")
        })
        .map(|r| {
            (
                r["service"].as_str().unwrap().to_string(),
                r["operation"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for want in [
        ("apigateway", "GetRestApis"),
        ("apigateway", "GetStages"),
        ("apigateway", "GetAccount"),
        ("apigatewayv2", "GetApis"),
        ("apigatewayv2", "GetStages"),
        ("iam", "GetRole"),
        ("account", "ListRegions"),
        ("sts", "AssumeRole"),
    ] {
        assert!(
            ops.contains(&(want.0.to_string(), want.1.to_string())),
            "{want:?} not called: {ops:?}"
        );
    }
    for (service, op) in &ops {
        let read = ["Get", "List", "Describe"]
            .iter()
            .any(|p| op.starts_with(p));
        let identity = service == "sts" && (op == "AssumeRole" || op == "GetCallerIdentity");
        assert!(
            read || identity,
            "audit called the write API {service} {op}"
        );
    }
    // --all-regions read exactly the regions ListRegions calls enabled (6 of the 8 the test
    // server knows; af-south-1 and me-central-1 are DISABLED there).
    let read: BTreeSet<String> = requests()
        .iter()
        .filter(|r| {
            r["user_agent"]
                .as_str()
                .unwrap_or("")
                .contains("app/stagelog")
                && r["operation"] == "GetRestApis"
        })
        .map(|r| r["region"].as_str().unwrap().to_string())
        .collect();
    for enabled in [
        "us-east-1",
        "us-west-2",
        "eu-west-1",
        "eu-central-1",
        "ap-southeast-2",
        "eu-south-1",
    ] {
        assert!(read.contains(enabled), "{enabled} not read: {read:?}");
    }
    assert!(
        !read.contains("af-south-1") && !read.contains("me-central-1"),
        "{read:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_does_not_change_the_result() {
    let _faults = aws_server::faults_lock().await;
    use aws_sdk_apigatewayv2::types::ProtocolType;
    let account = "444400000004";
    let conf = account_config(account, "eu-west-1").await;
    let mut expect = BTreeSet::new();
    for i in 0..6 {
        let api = rest_api(&conf, &format!("t{i}")).await;
        rest_stage(&conf, &api, "prod", &[]).await;
        expect.insert(format!(
            "SL001 {account} eu-west-1 /restapis/{api}/stages/prod"
        ));
        expect.insert(format!(
            "SL010 {account} eu-west-1 /restapis/{api}/stages/prod"
        ));
        let v2 = v2_stage(&conf, ProtocolType::Http, &format!("s{i}"), None, None).await;
        expect.insert(format!("SL002 {account} eu-west-1 /apis/{v2}/stages/s{i}"));
    }
    // A third of stagelog's requests answered with each protocol's throttling error.
    aws_server::faults(&format!(
        r#"{{"rate": 0.33, "seed": 11, "user_agent_contains": "app/stagelog", "accounts": ["{account}"]}}"#
    ));
    let role = format!("arn:aws:iam::{account}:role/audit");
    let out = tokio::task::spawn_blocking(move || {
        stagelog(&[
            "audit",
            "--role-arn",
            &role,
            "--region",
            "eu-west-1",
            "--format",
            "json",
        ])
    })
    .await
    .unwrap();
    aws_server::faults(r#"{"rate": 0}"#);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["errors"], serde_json::json!([]), "{json}");
    assert_eq!(findings(&json), expect);
}

#[test]
fn an_unreachable_endpoint_is_an_error_not_an_empty_report() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_stagelog"))
        .args([
            "audit",
            "--region",
            "eu-west-1",
            "--endpoint-url",
            "http://127.0.0.1:9",
            "--format",
            "json",
        ])
        .env("AWS_ACCESS_KEY_ID", aws_server::BASE_KEY)
        .env("AWS_SECRET_ACCESS_KEY", aws_server::BASE_SECRET)
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let message = json["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("cannot read the caller's identity"),
        "{message}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        !stdout.contains(aws_server::BASE_SECRET),
        "credentials never printed"
    );
}

/// SL032 live: what owners of the account setting leave behind. A region whose settings name a
/// role that was deleted (high), and, with --all-regions, the roles trusted by API Gateway that
/// no region's settings name (info, with their names) — never a role a setting uses, nor one
/// another service assumes. Without --all-regions that cannot be told, and a note says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_left_behind_by_owners_of_the_account_setting() {
    let account = "232300000001";
    let eu = account_config(account, "eu-west-1").await;
    cloudwatch_role(&eu, account, "apigw-used", "apigateway.amazonaws.com", true).await;
    let us = account_config(account, "us-west-2").await;
    cloudwatch_role(&us, account, "apigw-gone", "apigateway.amazonaws.com", true).await;
    let iam = aws_sdk_iam::Client::new(&us);
    iam.detach_role_policy()
        .role_name("apigw-gone")
        .policy_arn("arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs")
        .send()
        .await
        .unwrap();
    iam.delete_role()
        .role_name("apigw-gone")
        .send()
        .await
        .unwrap();
    for (name, service) in [
        ("orders-apigw-cloudwatch", "apigateway.amazonaws.com"),
        ("billing-apigw-cloudwatch", "apigateway.amazonaws.com"),
        ("orders-lambda", "lambda.amazonaws.com"),
    ] {
        iam.create_role()
            .role_name(name)
            .assume_role_policy_document(format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Service":"{service}"}},"Action":"sts:AssumeRole"}}]}}"#
            ))
            .send()
            .await
            .unwrap();
    }
    let audit = |regions: &'static [&'static str]| {
        let role = format!("arn:aws:iam::{account}:role/audit");
        tokio::task::spawn_blocking(move || {
            let mut args = vec!["audit", "--role-arn", role.as_str(), "--select", "SL032"];
            args.extend_from_slice(regions);
            args.extend(["--format", "json", "--fail-on", "none"]);
            stagelog(&args)
        })
    };
    let out = audit(&["--all-regions"]).await.unwrap();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["errors"], serde_json::json!([]), "{json}");
    let findings = json["findings"].as_array().unwrap();
    let gone: Vec<&Value> = findings
        .iter()
        .filter(|f| f["severity"] == "high")
        .collect();
    assert_eq!(gone.len(), 1, "{json}");
    assert_eq!(gone[0]["region"], "us-west-2");
    assert!(
        gone[0]["message"]
            .as_str()
            .unwrap()
            .contains("role/apigw-gone`, which no longer exists"),
        "{}",
        gone[0]["message"]
    );
    let unused: Vec<&str> = findings
        .iter()
        .filter(|f| f["severity"] == "info")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(unused.len(), 1, "{json}");
    assert!(
        unused[0].starts_with(
            "2 role(s) trusted by apigateway.amazonaws.com are named by no region's API Gateway account settings: billing-apigw-cloudwatch, orders-apigw-cloudwatch"
        ),
        "{}",
        unused[0]
    );
    assert!(!unused[0].contains("apigw-used") && !unused[0].contains("orders-lambda"));

    // Some regions only: the gone role is still found, the unused ones cannot be told (as -v
    // says).
    let out = audit(&["--region", "us-west-2", "-v"]).await.unwrap();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let severities: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["severity"].as_str().unwrap())
        .collect();
    assert_eq!(severities, ["high"], "{json}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("(SL032) are looked for with --all-regions"),
        "{stderr}"
    );
}

//! `stagelog verify` and `stagelog logs` against the AWS test server (moto): log groups with
//! and without recent events, with and without traffic, events in and out of format; logs
//! read from a log group and through a stage's own format; the Insights round trip with what
//! moto honours (`fields`, `sort`, `limit`).
use crate::aws_server;

use aws_server::{account_config, cloudwatch_role, rest_api, rest_stage, stagelog};
use serde_json::Value;

const FORMAT: &str = r#"{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","caller":"$context.identity.caller","requestTime":"$context.requestTime","httpMethod":"$context.httpMethod","resourcePath":"$context.resourcePath","status":"$context.status","protocol":"$context.protocol","responseLength":"$context.responseLength","responseLatency":"$context.responseLatency"}"#;

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// An access log line as API Gateway writes it for `FORMAT`.
fn line(i: usize, status: u16, path: &str, ip: &str) -> String {
    format!(
        r#"{{"requestId":"r{i}","ip":"{ip}","caller":"-","requestTime":"24/Nov/2026:01:02:03 +0000","httpMethod":"GET","resourcePath":"{path}","status":"{status}","protocol":"HTTP/1.1","responseLength":"12","responseLatency":"{}"}}"#,
        10 + i
    )
}

async fn group_with_events(conf: &aws_config::SdkConfig, name: &str, events: &[(i64, String)]) {
    let c = aws_sdk_cloudwatchlogs::Client::new(conf);
    c.create_log_group()
        .log_group_name(name)
        .send()
        .await
        .unwrap();
    if events.is_empty() {
        return;
    }
    c.create_log_stream()
        .log_group_name(name)
        .log_stream_name("s1")
        .send()
        .await
        .unwrap();
    let events = events
        .iter()
        .map(|(t, m)| {
            aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                .timestamp(*t)
                .message(m)
                .build()
                .unwrap()
        })
        .collect();
    c.put_log_events()
        .log_group_name(name)
        .log_stream_name("s1")
        .set_log_events(Some(events))
        .send()
        .await
        .unwrap();
}

/// A REST stage logging to `group` with `FORMAT`.
async fn logged_stage(
    conf: &aws_config::SdkConfig,
    api: &str,
    stage: &str,
    account: &str,
    group: &str,
) {
    let destination = format!("arn:aws:logs:us-east-1:{account}:log-group:{group}");
    rest_stage(
        conf,
        api,
        stage,
        &[
            ("/accessLogSettings/destinationArn", &destination),
            ("/accessLogSettings/format", FORMAT),
        ],
    )
    .await;
}

async fn requests_metric(conf: &aws_config::SdkConfig, api_name: &str, stage: &str, count: f64) {
    use aws_sdk_cloudwatch::types::{Dimension, MetricDatum};
    aws_sdk_cloudwatch::Client::new(conf)
        .put_metric_data()
        .namespace("AWS/ApiGateway")
        .metric_data(
            MetricDatum::builder()
                .metric_name("Count")
                .dimensions(Dimension::builder().name("ApiName").value(api_name).build())
                .dimensions(Dimension::builder().name("Stage").value(stage).build())
                .timestamp(aws_sdk_cloudwatch::primitives::DateTime::from_millis(
                    now_ms() - 3_600_000,
                ))
                .value(count)
                .build(),
        )
        .send()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_finds_empty_groups_and_events_out_of_format() {
    let account = "444444444401";
    let conf = account_config(account, "us-east-1").await;
    cloudwatch_role(&conf, account, "apigw-cw", "apigateway.amazonaws.com", true).await;
    let api = rest_api(&conf, "shop").await;
    let now = now_ms();
    let recent = |n: usize| -> Vec<(i64, String)> {
        (0..n)
            .map(|i| (now - 600_000 + i as i64, line(i, 200, "/pets", "10.0.0.1")))
            .collect()
    };
    // flowing: recent events in format. silent: traffic, no event. idle: no traffic, no event.
    // stale: its newest event is three days old, with traffic. mixed: a Lambda also writes here.
    group_with_events(&conf, "/shop/flowing", &recent(5)).await;
    group_with_events(&conf, "/shop/silent", &[]).await;
    group_with_events(&conf, "/shop/idle", &[]).await;
    group_with_events(
        &conf,
        "/shop/stale",
        &[(now - 3 * 86_400_000, line(0, 200, "/", "10.0.0.9"))],
    )
    .await;
    let mut mixed = recent(3);
    mixed.push((
        now - 1000,
        "START RequestId: 8f0e Version: $LATEST".to_string(),
    ));
    group_with_events(&conf, "/shop/mixed", &mixed).await;
    for stage in ["flowing", "silent", "idle", "stale", "mixed"] {
        logged_stage(&conf, &api, stage, account, &format!("/shop/{stage}")).await;
    }
    // A stage whose destination group was deleted.
    logged_stage(&conf, &api, "gone", account, "/shop/gone").await;
    requests_metric(&conf, "shop", "silent", 120.0).await;
    requests_metric(&conf, "shop", "stale", 7.0).await;

    let role = format!("arn:aws:iam::{account}:role/audit");
    let out = stagelog(&[
        "verify",
        "--region",
        "us-east-1",
        "--role-arn",
        &role,
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert_eq!(v["errors"], serde_json::json!([]), "{v}");
    let mut got: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let resource = f["resource"].as_str().unwrap();
            format!(
                "{} {} {}",
                f["rule_id"].as_str().unwrap(),
                f["severity"].as_str().unwrap(),
                resource.rsplit('/').next().unwrap()
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            "SL040 high gone",
            "SL040 high silent",
            "SL040 high stale",
            "SL040 info idle",
            "SL041 medium mixed",
        ],
        "{v}"
    );
    let message = |stage: &str, rule: &str| -> String {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule_id"] == rule && f["resource"].as_str().unwrap().ends_with(stage))
            .unwrap()["message"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(message("silent", "SL040").contains("served 120 requests in the last 1d"));
    assert!(message("stale", "SL040").contains("the newest event is 3d old"));
    assert!(message("gone", "SL040").contains("does not exist"));
    let mixed = message("mixed", "SL041");
    assert!(
        mixed.contains("1 of the 4 most recent events") && mixed.contains("START RequestId: 8f0e"),
        "{mixed}"
    );
    assert_eq!(out.status.code(), Some(1));

    // A narrower window makes the flowing group's ten-minute-old events too old as well.
    let out = stagelog(&[
        "verify",
        "--region",
        "us-east-1",
        "--role-arn",
        &role,
        "--format",
        "json",
        "--window",
        "5m",
    ]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["findings"].as_array().unwrap().iter().any(
            |f| f["rule_id"] == "SL040" && f["resource"].as_str().unwrap().ends_with("flowing")
        ),
        "{v}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_from_a_log_group_a_stage_and_insights() {
    let account = "444444444402";
    let conf = account_config(account, "us-east-1").await;
    let api = rest_api(&conf, "pets").await;
    let now = now_ms();
    let mut events = Vec::new();
    for i in 0..60 {
        let status = [200, 404, 403, 200, 500][i % 5];
        let path = ["/pets", "/pets/{id}"][i % 2];
        let ip = ["10.0.0.1", "10.0.0.2", "10.0.0.3"][i % 3];
        events.push((now - 60_000 + i as i64, line(i, status, path, ip)));
    }
    events.push((now - 30_000, "not an access log line".into()));
    events.sort();
    group_with_events(&conf, "/pets/prod", &events).await;
    logged_stage(&conf, &api, "prod", account, "/pets/prod").await;

    // Seed 002's question: all 4XX requests, by route and caller.
    let expected = |f: &dyn Fn(&str) -> bool| events.iter().filter(|(_, l)| f(l)).count() as u64;
    let creds = account_env(account).await;
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_stagelog"))
            .args(args)
            .args([
                "--endpoint-url",
                aws_server::endpoint(),
                "--region",
                "us-east-1",
            ])
            .envs(creds.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("AWS_CONFIG_FILE", "/nonexistent")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    };
    let out = run(&[
        "logs",
        "--log-group",
        "/pets/prod",
        "--where",
        "status = 4xx",
        "--count-by",
        "route,ip",
        "-f",
        "json",
    ]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    // No --log-format: the format of the stage that writes to the group (a read-only lookup).
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&format!(
            "format: arn:aws:apigateway:us-east-1::/restapis/{api}/stages/prod's, which writes its access logs to /pets/prod"
        )),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(v["lines"], 61);
    assert_eq!(v["unparsed"], 1);
    let total: u64 = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["count"].as_u64().unwrap())
        .sum();
    assert_eq!(total, expected(&|l| l.contains("\"status\":\"40")));
    assert!(
        v["rows"][0].get("resourcePath").is_some() && v["rows"][0].get("ip").is_some(),
        "{v}"
    );

    // Through the stage: its own format, and a time window that excludes everything.
    let arn = format!("arn:aws:apigateway:us-east-1::/restapis/{api}/stages/prod");
    let out = run(&[
        "logs",
        "--stage",
        &arn,
        "--count-by",
        "status",
        "--latency",
        "latency",
        "-f",
        "json",
    ]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows[0]["count"], 24, "{v}"); // status 200: 2 of every 5
    assert!(rows[0]["p50"].as_u64().unwrap() > 10, "{v}");
    let out = run(&[
        "logs",
        "--stage",
        &arn,
        "--until",
        "1h",
        "--count-by",
        "status",
        "-f",
        "json",
    ]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["lines"], 0);

    // Insights: moto runs `fields`, `sort` and `limit` (not `filter` or `stats`); the three
    // newest events come back and are parsed here: the newest is the stray line.
    let out = run(&[
        "logs",
        "--stage",
        &arn,
        "--insights",
        "--top",
        "3",
        "-f",
        "json",
    ]);
    let ids: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["requestId"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(ids, ["r59", "r58"]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("3 events from Insights"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let explain = run(&[
        "logs",
        "--stage",
        &arn,
        "--insights",
        "--explain",
        "--where",
        "status = 4xx",
        "--count-by",
        "route,caller",
    ]);
    assert_eq!(
        String::from_utf8(explain.stdout).unwrap(),
        "filter status like /^4\\d\\d$/\n| stats count(*) as count by resourcePath, caller\n| sort count desc\n"
    );
}

/// Environment credentials for `account` in the test server.
async fn account_env(account: &str) -> Vec<(String, String)> {
    use aws_credential_types::provider::ProvideCredentials;
    let conf = account_config(account, "us-east-1").await;
    let c = conf
        .credentials_provider()
        .unwrap()
        .provide_credentials()
        .await
        .unwrap();
    vec![
        ("AWS_ACCESS_KEY_ID".into(), c.access_key_id().into()),
        ("AWS_SECRET_ACCESS_KEY".into(), c.secret_access_key().into()),
        (
            "AWS_SESSION_TOKEN".into(),
            c.session_token().unwrap_or_default().into(),
        ),
    ]
}

/// An Infrequent Access log group (FilterLogEvents refuses it) read by `logs` and `verify`
/// through Logs Insights: the same rows as a Standard group holding the same events, over more
/// events than one Insights query returns (the window is split until each part fits).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn infrequent_access_groups_are_read_with_insights_with_the_same_rows() {
    use aws_sdk_cloudwatchlogs::types::{InputLogEvent, LogGroupClass};
    let account = "444444444409";
    let conf = account_config(account, "us-east-1").await;
    let logs = aws_sdk_cloudwatchlogs::Client::new(&conf);
    let now = now_ms();
    // 25,000 events over the last hour (more than Insights' 10,000 rows a query), then a line
    // out of format as the newest.
    let n = 25_000usize;
    let mut events: Vec<(i64, String)> = (0..n)
        .map(|i| {
            let status = [200, 404, 403, 200, 500, 201][i % 6];
            let path = ["/pets", "/pets/{id}", "/orders"][i % 3];
            let ip = ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"][i % 4];
            (
                now - 3_600_000 + (i as i64) * 140,
                line(i, status, path, ip),
            )
        })
        .collect();
    events.push((now - 1_000, "START RequestId: 42 Version: $LATEST".into()));
    for (name, class) in [
        ("/pets/ia", LogGroupClass::InfrequentAccess),
        ("/pets/standard", LogGroupClass::Standard),
    ] {
        logs.create_log_group()
            .log_group_name(name)
            .log_group_class(class)
            .send()
            .await
            .unwrap();
        logs.create_log_stream()
            .log_group_name(name)
            .log_stream_name("s")
            .send()
            .await
            .unwrap();
        for batch in events.chunks(5_000) {
            logs.put_log_events()
                .log_group_name(name)
                .log_stream_name("s")
                .set_log_events(Some(
                    batch
                        .iter()
                        .map(|(t, m)| {
                            InputLogEvent::builder()
                                .timestamp(*t)
                                .message(m)
                                .build()
                                .unwrap()
                        })
                        .collect(),
                ))
                .send()
                .await
                .unwrap();
        }
    }
    // The test server refuses FilterLogEvents on the Infrequent Access group, as AWS does.
    let refused = logs
        .filter_log_events()
        .log_group_name("/pets/ia")
        .send()
        .await;
    let e = refused.unwrap_err().into_service_error();
    assert!(
        format!("{e:?}").contains("InvalidOperationException"),
        "{e:?}"
    );

    let api = rest_api(&conf, "pets-ia").await;
    logged_stage(&conf, &api, "prod", account, "/pets/ia").await;
    aws_server::cloudwatch_role(&conf, account, "cw", "apigateway.amazonaws.com", true).await;

    let creds = account_env(account).await;
    let run = move |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_stagelog"))
            .args(args)
            .args([
                "--endpoint-url",
                aws_server::endpoint(),
                "--region",
                "us-east-1",
            ])
            .envs(creds.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("AWS_CONFIG_FILE", "/nonexistent")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
            .output()
            .unwrap()
    };
    let (ia, standard, verify) = tokio::task::spawn_blocking(move || {
        let query = |group: &str| {
            run(&[
                "logs",
                "--log-group",
                group,
                "--log-format",
                FORMAT,
                "--since",
                "2h",
                "--where",
                "status = 4xx",
                "--count-by",
                "route,ip",
                "-f",
                "json",
                "--verbose",
            ])
        };
        let verify = run(&["verify", "--format", "json", "--verbose"]);
        (query("/pets/ia"), query("/pets/standard"), verify)
    })
    .await
    .unwrap();
    assert_eq!(
        ia.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ia.stderr)
    );
    assert!(
        String::from_utf8_lossy(&ia.stderr).contains("/pets/ia is an Infrequent Access log group, which FilterLogEvents cannot read: reading it with Logs Insights"),
        "{}",
        String::from_utf8_lossy(&ia.stderr)
    );
    assert!(!String::from_utf8_lossy(&standard.stderr).contains("Infrequent Access"));
    let ia: Value = serde_json::from_slice(&ia.stdout).unwrap();
    let standard: Value = serde_json::from_slice(&standard.stdout).unwrap();
    assert_eq!(ia, standard, "the same rows either way");
    assert_eq!(ia["lines"], (n + 1) as u64);
    assert_eq!(ia["unparsed"], 1);
    let total: u64 = ia["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["count"].as_u64().unwrap())
        .sum();
    assert_eq!(
        total,
        events
            .iter()
            .filter(|(_, l)| l.contains("\"status\":\"40"))
            .count() as u64
    );

    // verify samples the Infrequent Access group through Insights too: the newest line is out
    // of format (SL041), and events arrive (no SL040).
    let stderr = String::from_utf8_lossy(&verify.stderr);
    assert!(
        stderr.contains("/pets/ia is an Infrequent Access log group"),
        "{stderr}"
    );
    let v: Value = serde_json::from_slice(&verify.stdout).unwrap();
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(v["errors"], serde_json::json!([]), "{v:#}");
    assert!(findings.iter().all(|f| f["rule_id"] != "SL040"), "{v:#}");
    let sl041: Vec<&Value> = findings
        .iter()
        .filter(|f| f["rule_id"] == "SL041")
        .collect();
    assert_eq!(sl041.len(), 1, "{v:#}");
    assert!(
        sl041[0]["message"]
            .as_str()
            .unwrap()
            .contains("START RequestId: 42"),
        "{v:#}"
    );
}

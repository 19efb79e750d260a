//! `stagelog cost` against the AWS test server: the bytes each stage's log groups took in
//! (seeded `AWS/Logs` `IncomingBytes`) and hold (moto's `storedBytes` of the events put),
//! priced from the table for the region, the estimate for a stage that does not log yet
//! (seeded `AWS/ApiGateway` `Count` × one recommended line), every metric read in one
//! GetMetricData call, in JSON, text, CSV and an HTML page checked in headless Chromium.
use crate::aws_server;

use aws_server::{account_config, rest_api, rest_stage, stagelog};
use serde_json::Value;

const ACCOUNT: &str = "888800000001";
// A region of the price table ($0.76 per GB ingested, $0.033 per GB-month stored) that no
// other test uses, so the request log below is this test's alone.
const REGION: &str = "ap-northeast-1";
const GB: f64 = 1_073_741_824.0;

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

async fn metric(
    conf: &aws_config::SdkConfig,
    namespace: &str,
    name: &str,
    dims: &[(&str, &str)],
    value: f64,
) {
    use aws_sdk_cloudwatch::types::{Dimension, MetricDatum};
    let mut datum = MetricDatum::builder()
        .metric_name(name)
        .timestamp(aws_sdk_cloudwatch::primitives::DateTime::from_millis(
            now_ms() - 2 * 86_400_000,
        ))
        .value(value);
    for (k, v) in dims {
        datum = datum.dimensions(Dimension::builder().name(*k).value(*v).build());
    }
    aws_sdk_cloudwatch::Client::new(conf)
        .put_metric_data()
        .namespace(namespace)
        .metric_data(datum.build())
        .send()
        .await
        .unwrap();
}

/// A log group holding `events` (moto counts their bytes as stored).
async fn group(conf: &aws_config::SdkConfig, name: &str, events: &[&str]) -> u64 {
    let c = aws_sdk_cloudwatchlogs::Client::new(conf);
    c.create_log_group()
        .log_group_name(name)
        .send()
        .await
        .unwrap();
    c.create_log_stream()
        .log_group_name(name)
        .log_stream_name("s")
        .send()
        .await
        .unwrap();
    let events = events
        .iter()
        .map(|m| {
            aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                .timestamp(now_ms() - 60_000)
                .message(*m)
                .build()
                .unwrap()
        })
        .collect();
    c.put_log_events()
        .log_group_name(name)
        .log_stream_name("s")
        .set_log_events(Some(events))
        .send()
        .await
        .unwrap();
    // What DescribeLogGroups will say.
    c.describe_log_groups()
        .log_group_name_prefix(name)
        .send()
        .await
        .unwrap()
        .log_groups()[0]
        .stored_bytes()
        .unwrap() as u64
}

struct Seeded {
    orders: String,
    access_stored: u64,
    execution_stored: u64,
    http_api: String,
}

/// A REST stage logging access and execution logs, and an HTTP stage that logs nothing but
/// served a million requests.
async fn seed() -> Seeded {
    let conf = account_config(ACCOUNT, REGION).await;
    let orders = rest_api(&conf, "orders").await;
    let access = "/aws/vendedlogs/apigateway/orders/prod";
    let access_stored = group(
        &conf,
        access,
        &[
            r#"{"requestId":"a1","status":"200"}"#,
            r#"{"requestId":"a2","status":"404"}"#,
        ],
    )
    .await;
    let execution = format!("API-Gateway-Execution-Logs_{orders}/prod");
    let execution_stored = group(
        &conf,
        &execution,
        &["(a1) Method request body before transformations"],
    )
    .await;
    rest_stage(
        &conf,
        &orders,
        "prod",
        &[
            (
                "/accessLogSettings/destinationArn",
                &format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{access}"),
            ),
            (
                "/accessLogSettings/format",
                r#"{"requestId":"$context.requestId","status":"$context.status"}"#,
            ),
            ("/*/*/logging/loglevel", "ERROR"),
        ],
    )
    .await;
    metric(
        &conf,
        "AWS/Logs",
        "IncomingBytes",
        &[("LogGroupName", access)],
        3.0 * GB,
    )
    .await;
    metric(
        &conf,
        "AWS/Logs",
        "IncomingBytes",
        &[("LogGroupName", &execution)],
        1.5 * GB,
    )
    .await;
    // A group nobody writes to: not a stage's, so not in the report.
    metric(
        &conf,
        "AWS/Logs",
        "IncomingBytes",
        &[("LogGroupName", "/other/app")],
        9.0 * GB,
    )
    .await;

    let http_api = aws_sdk_apigatewayv2::Client::new(&conf)
        .create_api()
        .name("search")
        .protocol_type(aws_sdk_apigatewayv2::types::ProtocolType::Http)
        .send()
        .await
        .unwrap()
        .api_id
        .unwrap();
    aws_sdk_apigatewayv2::Client::new(&conf)
        .create_stage()
        .api_id(&http_api)
        .stage_name("dev")
        .send()
        .await
        .unwrap();
    metric(
        &conf,
        "AWS/ApiGateway",
        "Count",
        &[("ApiId", &http_api), ("Stage", "dev")],
        1_000_000.0,
    )
    .await;
    Seeded {
        orders,
        access_stored,
        execution_stored,
        http_api,
    }
}

fn approx(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6 * b.max(1.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cost_prices_what_each_stage_ingests_and_stores_and_estimates_the_rest() {
    let s = seed().await;
    let role = format!("arn:aws:iam::{ACCOUNT}:role/cost");
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("cost.html");
    let page_arg = page.display().to_string();
    let (json_out, text_out, csv_out, html_out, requests) =
        tokio::task::spawn_blocking(move || {
            let run = |extra: &[&str]| {
                let mut args = vec![
                    "cost",
                    "--region",
                    REGION,
                    "--role-arn",
                    &role,
                    "--window",
                    "30d",
                ];
                args.extend_from_slice(extra);
                stagelog(&args)
            };
            let before = aws_server::requests().len();
            let json = run(&["--format", "json"]);
            let requests: Vec<Value> = aws_server::requests()[before..].to_vec();
            (
                json,
                run(&[]),
                run(&["--format", "csv"]),
                run(&["--format", "html", "--output", &page_arg]),
                requests,
            )
        })
        .await
        .unwrap();
    assert_eq!(
        json_out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&json_out.stderr)
    );
    let json: Value = serde_json::from_slice(&json_out.stdout).unwrap();
    assert_eq!(json["version"], 1);
    assert_eq!(json["window_days"], 30.0);
    let rows = json["stages"].as_array().unwrap();
    assert_eq!(rows.len(), 3, "{json:#}");

    // Costliest first: the access log group, 3 GB in 30 days at $0.76 plus what it stores.
    let access = &rows[0];
    assert_eq!(access["log_kind"], "access");
    assert_eq!(access["stage"], "prod");
    assert_eq!(access["api"], "orders");
    assert_eq!(access["api_kind"], "rest");
    assert_eq!(
        access["log_group"],
        "/aws/vendedlogs/apigateway/orders/prod"
    );
    assert_eq!(access["ingested_bytes"], (3.0 * GB) as u64);
    assert_eq!(access["stored_bytes"], s.access_stored);
    assert_eq!(access["estimated"], false);
    assert_eq!(access["price_source"], "table (ap-northeast-1)");
    let want = 3.0 * 0.76 + s.access_stored as f64 / GB * 0.033;
    assert!(
        approx(access["monthly_usd"].as_f64().unwrap(), want),
        "{access}"
    );
    assert_eq!(
        access["resource"],
        format!(
            "arn:aws:apigateway:{REGION}::/restapis/{}/stages/prod",
            s.orders
        )
    );

    let execution = &rows[1];
    assert_eq!(execution["log_kind"], "execution");
    assert_eq!(
        execution["log_group"],
        format!("API-Gateway-Execution-Logs_{}/prod", s.orders)
    );
    assert_eq!(execution["stored_bytes"], s.execution_stored);
    let want_exec = 1.5 * 0.76 + s.execution_stored as f64 / GB * 0.033;
    assert!(approx(
        execution["monthly_usd"].as_f64().unwrap(),
        want_exec
    ));

    // The HTTP stage that does not log: a million requests × one recommended line.
    let estimate = &rows[2];
    assert_eq!(estimate["estimated"], true);
    assert_eq!(estimate["stage"], "dev");
    assert_eq!(estimate["requests"], 1_000_000);
    assert_eq!(estimate["log_group"], Value::Null);
    let per = stagelog_report::cost::bytes_per_request(stagelog_model::ApiKind::Http).unwrap();
    assert_eq!(estimate["ingested_bytes"], 1_000_000 * per);
    assert!(approx(
        estimate["monthly_usd"].as_f64().unwrap(),
        1_000_000.0 * per as f64 / GB * 0.76
    ));
    assert!(estimate["resource"].as_str().unwrap().contains(&s.http_api));

    let totals = &json["totals"];
    assert!(approx(
        totals["monthly_usd"].as_f64().unwrap(),
        want + want_exec
    ));
    assert!(approx(
        totals["estimated_monthly_usd"].as_f64().unwrap(),
        estimate["monthly_usd"].as_f64().unwrap()
    ));
    assert_eq!(totals["ingested_bytes"], (4.5 * GB) as u64);
    assert_eq!(totals["by_scope"][0]["account"], ACCOUNT);
    assert_eq!(json["accounts"], 1);

    // Every metric in one GetMetricData call, never one per group; nothing written.
    let metric_calls = requests
        .iter()
        .filter(|r| r["operation"] == "GetMetricData" && r["region"] == REGION)
        .count();
    assert_eq!(metric_calls, 1, "{requests:#?}");
    assert!(
        requests.iter().filter(|r| r["region"] == REGION).all(|r| {
            let op = r["operation"].as_str().unwrap_or_default();
            ["Get", "List", "Describe", "AssumeRole"]
                .iter()
                .any(|p| op.starts_with(p))
        }),
        "{requests:#?}"
    );

    let text = String::from_utf8_lossy(&text_out.stdout);
    assert!(text.contains("orders/prod"), "{text}");
    assert!(text.contains("(none: 1000000 requests)"), "{text}");
    assert!(
        text.contains(&format!(
            "{ACCOUNT} {REGION}: ${:.2} per month",
            want + want_exec
        )),
        "{text}"
    );
    assert!(text.contains("in 1 account and 1 region"), "{text}");

    let csv = String::from_utf8_lossy(&csv_out.stdout);
    let mut lines = csv.lines();
    assert!(lines
        .next()
        .unwrap()
        .starts_with("account,region,resource,stage,api,api_kind,log_group,log_kind"));
    assert_eq!(lines.count(), 3);

    assert_eq!(html_out.status.code(), Some(0));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        !html.contains("http://") && !html.contains("https://") && !html.contains("src="),
        "self-contained"
    );
    let dom = crate::html_report::chromium_dom(&format!("file://{}", page.display()));
    assert!(dom.contains("data-bars=\"3\""), "{dom}");
    // The bars were drawn, the costliest widest.
    let drawn: Vec<f64> = dom
        .split("data-drawn=\"")
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].parse().unwrap())
        .collect();
    assert_eq!(drawn.len(), 3, "{dom}");
    assert!(
        drawn[0] > drawn[1] && drawn[1] > drawn[2] && drawn[2] > 0.0,
        "{drawn:?}"
    );
}

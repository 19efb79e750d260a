//! `audit --export securityhub` against the AWS test server (moto implements BatchImportFindings
//! and GetFindings): the findings arrive (in batches of at most 100), and a re-run after a fix
//! marks the fixed ones resolved while the others stay active.
use crate::aws_server;

use aws_server::{account_config, patch_rest_stage, requests, rest_api, rest_stage, stagelog};
use serde_json::Value;

async fn hub(conf: &aws_config::SdkConfig) -> Vec<aws_sdk_securityhub::types::AwsSecurityFinding> {
    let c = aws_sdk_securityhub::Client::new(conf);
    let mut all = Vec::new();
    let mut token = None;
    loop {
        let page = c
            .get_findings()
            .max_results(100)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        all.extend(page.findings().iter().cloned());
        token = page
            .next_token()
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if token.is_none() {
            return all;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn findings_arrive_and_fixed_ones_are_resolved() {
    let account = "444444444403";
    let conf = account_config(account, "eu-central-1").await;
    let api = rest_api(&conf, "ledger").await;
    // 60 stages without any logging: SL001 and SL010 each, and more than one batch of 100.
    for i in 0..60 {
        rest_stage(&conf, &api, &format!("s{i:02}"), &[]).await;
    }
    let role = format!("arn:aws:iam::{account}:role/audit");
    let run = || {
        let out = stagelog(&[
            "audit",
            "--region",
            "eu-central-1",
            "--role-arn",
            &role,
            "--export",
            "securityhub",
            "--format",
            "json",
        ]);
        let v: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
        assert_eq!(v["errors"], serde_json::json!([]), "{v}");
        (v, String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let before_calls = requests()
        .iter()
        .filter(|r| r["operation"] == "BatchImportFindings" && r["region"] == "eu-central-1")
        .count();
    let (report, stderr) = run();
    let reported = report["findings"].as_array().unwrap().len();
    assert_eq!(reported, 120, "SL001 and SL010 for each of 60 stages");
    assert!(
        stderr.contains(&format!(
            "security hub {account} eu-central-1: {reported} findings imported, 0 resolved"
        )),
        "{stderr}"
    );
    let calls = requests()
        .iter()
        .filter(|r| r["operation"] == "BatchImportFindings" && r["region"] == "eu-central-1")
        .count()
        - before_calls;
    assert_eq!(calls, reported.div_ceil(100), "batches of 100");

    let found = hub(&conf).await;
    assert_eq!(found.len(), reported);
    let sl001 = found
        .iter()
        .find(|f| {
            f.id()
                .is_some_and(|id| id.starts_with("stagelog/SL001/") && id.ends_with("/stages/s07"))
        })
        .expect("SL001 for s07");
    assert_eq!(sl001.aws_account_id(), Some(account));
    assert_eq!(
        sl001.severity().and_then(|s| s.label()).map(|l| l.as_str()),
        Some("HIGH")
    );
    assert_eq!(sl001.resources()[0].r#type(), Some("AwsApiGatewayStage"));
    assert_eq!(
        sl001
            .compliance()
            .and_then(|c| c.status())
            .map(|s| s.as_str()),
        Some("FAILED")
    );

    // Fix s07's access logging; the next export resolves exactly that finding.
    let logs = aws_sdk_cloudwatchlogs::Client::new(&conf);
    logs.create_log_group()
        .log_group_name("/ledger/s07")
        .send()
        .await
        .unwrap();
    let format = r#"{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","caller":"$context.identity.caller","user":"$context.identity.user","requestTime":"$context.requestTime","httpMethod":"$context.httpMethod","resourcePath":"$context.resourcePath","status":"$context.status","protocol":"$context.protocol","responseLength":"$context.responseLength"}"#;
    let destination = format!("arn:aws:logs:eu-central-1:{account}:log-group:/ledger/s07");
    patch_rest_stage(
        &conf,
        &api,
        "s07",
        &[
            ("/accessLogSettings/destinationArn", &destination),
            ("/accessLogSettings/format", format),
        ],
    )
    .await;
    let (report, stderr) = run();
    let now_reported = report["findings"].as_array().unwrap().len();
    // SL001 fixed; the new log group brings its own (retention, encryption) findings.
    assert!(stderr.contains(", 1 resolved"), "{stderr}");
    let found = hub(&conf).await;
    let sl001 = found.iter().find(|f| f.id() == sl001.id()).unwrap();
    assert_eq!(
        sl001
            .workflow()
            .and_then(|w| w.status())
            .map(|s| s.as_str()),
        Some("RESOLVED")
    );
    assert_eq!(sl001.record_state().map(|s| s.as_str()), Some("ARCHIVED"));
    assert_eq!(
        sl001
            .compliance()
            .and_then(|c| c.status())
            .map(|s| s.as_str()),
        Some("PASSED")
    );
    let active = found
        .iter()
        .filter(|f| f.record_state().map(|s| s.as_str()) == Some("ACTIVE"))
        .count();
    assert_eq!(active, now_reported);
}

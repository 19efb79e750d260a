//! The AWS examples of README.md and docs/, run as written against the test server: an
//! account (the management account of an Organization whose members have the roles the
//! examples name) holding the API, stage and log group they name.
use crate::aws_server;
use crate::docs::{examples, run_example, sandbox};

use aws_server::{cloudwatch_role, role_config, role_credentials};

const ACCOUNT: &str = "123400000777";
const REGION: &str = "eu-west-1";
const FORMAT: &str = r#"{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","requestTime":"$context.requestTime","httpMethod":"$context.httpMethod","resourcePath":"$context.resourcePath","status":"$context.status","protocol":"$context.protocol","responseLength":"$context.responseLength","responseLatency":"$context.responseLatency"}"#;

/// What the examples name: `/restapis/a1b2c3/stages/prod` logging to
/// `/aws/vendedlogs/apigateway/orders/prod`, the account's CloudWatch role, and two member
/// accounts entered with `stagelog-audit` or `OrganizationAccountAccessRole`; returns one
/// member (the examples' sandboxes.txt).
async fn seed() -> String {
    let conf = role_config(&format!("arn:aws:iam::{ACCOUNT}:role/docs"), REGION).await;
    cloudwatch_role(&conf, ACCOUNT, "cw", "apigateway.amazonaws.com", true).await;
    let v1 = aws_sdk_apigateway::Client::new(&conf);
    let api = v1
        .create_rest_api()
        .name("orders")
        .tags("_custom_id_", "a1b2c3")
        .send()
        .await
        .unwrap()
        .id
        .unwrap();
    assert_eq!(api, "a1b2c3");
    let root = v1
        .get_resources()
        .rest_api_id(&api)
        .send()
        .await
        .unwrap()
        .items
        .unwrap()[0]
        .id
        .clone()
        .unwrap();
    v1.put_method()
        .rest_api_id(&api)
        .resource_id(&root)
        .http_method("GET")
        .authorization_type("NONE")
        .send()
        .await
        .unwrap();
    v1.put_integration()
        .rest_api_id(&api)
        .resource_id(&root)
        .http_method("GET")
        .r#type(aws_sdk_apigateway::types::IntegrationType::Mock)
        .send()
        .await
        .unwrap();
    let group = "/aws/vendedlogs/apigateway/orders/prod";
    aws_server::rest_stage(
        &conf,
        &api,
        "prod",
        &[
            (
                "/accessLogSettings/destinationArn",
                &format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{group}"),
            ),
            ("/accessLogSettings/format", FORMAT),
        ],
    )
    .await;
    let logs = aws_sdk_cloudwatchlogs::Client::new(&conf);
    logs.create_log_group()
        .log_group_name(group)
        .send()
        .await
        .unwrap();
    logs.create_log_stream()
        .log_group_name(group)
        .log_stream_name("s")
        .send()
        .await
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let events = (0..30)
        .map(|i| {
            let status = ["200", "404", "500"][i % 3];
            aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                .timestamp(now - 600_000 + i as i64 * 1000)
                .message(format!(
                    r#"{{"requestId":"r{i}","ip":"198.51.100.{i}","requestTime":"24/Nov/2026:10:00:00 +0000","httpMethod":"GET","resourcePath":"/pets","status":"{status}","protocol":"HTTP/1.1","responseLength":"12","responseLatency":"{}"}}"#,
                    10 + i
                ))
                .build()
                .unwrap()
        })
        .collect();
    logs.put_log_events()
        .log_group_name(group)
        .log_stream_name("s")
        .set_log_events(Some(events))
        .send()
        .await
        .unwrap();

    let org = aws_sdk_organizations::Client::new(&conf);
    org.create_organization()
        .feature_set(aws_sdk_organizations::types::OrganizationFeatureSet::All)
        .send()
        .await
        .unwrap();
    let mut members = Vec::new();
    for name in ["shop", "sandbox"] {
        let id = org
            .create_account()
            .account_name(name)
            .email(format!("aws+docs-{name}@example.com"))
            .role_name("stagelog-audit")
            .send()
            .await
            .unwrap()
            .create_account_status
            .unwrap()
            .account_id
            .unwrap();
        // The other name the examples use, in the same account.
        let member = role_config(&format!("arn:aws:iam::{id}:role/stagelog-audit"), REGION).await;
        aws_sdk_iam::Client::new(&member)
            .create_role()
            .role_name("OrganizationAccountAccessRole")
            .assume_role_policy_document(format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":"sts:AssumeRole"}}]}}"#
            ))
            .send()
            .await
            .unwrap();
        members.push(id);
    }
    members.pop().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_aws_example_runs_as_written_against_the_test_server() {
    let sandbox_account = seed().await;
    let creds = role_credentials(&format!("arn:aws:iam::{ACCOUNT}:role/docs")).await;
    let env: Vec<(String, String)> = vec![
        ("AWS_ACCESS_KEY_ID".into(), creds.access_key_id().into()),
        (
            "AWS_SECRET_ACCESS_KEY".into(),
            creds.secret_access_key().into(),
        ),
        (
            "AWS_SESSION_TOKEN".into(),
            creds.session_token().unwrap_or_default().into(),
        ),
        ("AWS_ENDPOINT_URL".into(), aws_server::endpoint().into()),
        ("AWS_REGION".into(), REGION.into()),
        ("AWS_CONFIG_FILE".into(), "/nonexistent".into()),
        ("AWS_SHARED_CREDENTIALS_FILE".into(), "/nonexistent".into()),
        ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
    ];
    let live: Vec<_> = examples(&aws_server::root())
        .into_iter()
        .filter(|e| e.is_live())
        .collect();
    assert!(live.len() >= 10, "found {} AWS examples", live.len());
    let results = tokio::task::spawn_blocking(move || {
        let dir = sandbox();
        std::fs::write(
            dir.path().join("sandboxes.txt"),
            format!("{sandbox_account}\n"),
        )
        .unwrap();
        let results: Vec<_> = live
            .into_iter()
            .map(|e| {
                let out = run_example(dir.path(), &e.command, &env);
                (e, out)
            })
            .collect();
        let org = std::fs::read_to_string(dir.path().join("org.json")).unwrap_or_default();
        (results, org)
    })
    .await
    .unwrap();
    let (results, org) = results;
    for (e, out) in &results {
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{}: `{}` exited {:?}\n{}{}",
            e.file,
            e.command,
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // They did real work: the organisation walk read all three accounts, and the stage's
    // logs were read through its own format.
    let org: serde_json::Value = serde_json::from_str(&org).expect("the example wrote org.json");
    assert_eq!(org["summary"]["accounts"], 3, "{org:#}");
    let stage_logs = results
        .iter()
        .find(|(e, _)| {
            e.command
                .contains("--stage arn:aws:apigateway:eu-west-1::/restapis/a1b2c3/stages/prod")
        })
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&stage_logs.1.stdout).unwrap();
    assert_eq!(json["rows"][0]["count"], 10, "{json}");
}

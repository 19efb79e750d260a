//! stagelog as a Lambda function: the binary of the `lambda` build, started as a Lambda runtime
//! starts `bootstrap` (no arguments, `AWS_LAMBDA_RUNTIME_API` set) against cargo-lambda's
//! runtime emulator (PyPI `cargo-lambda`, which scripts/test installs), invoked through the
//! emulator with EventBridge (CloudTrail) and AWS Config events shaped as AWS documents them,
//! reading and writing the AWS test server with the temporary credentials of its role. Measures
//! the time from a change (UpdateStage) to its finding and to its Config evaluation.
use crate::aws_server::{
    cloudwatch_role, endpoint, patch_rest_stage, rest_api, rest_stage, role_config,
    role_credentials, root,
};
use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A region no other live test uses.
const REGION: &str = "sa-east-1";
const ACCOUNT: &str = "565600000003";

fn cargo_lambda() -> std::path::PathBuf {
    std::env::var_os("STAGELOG_CARGO_LAMBDA")
        .map(Into::into)
        .unwrap_or_else(|| root().join("target/tools/venv/bin/cargo-lambda"))
}

/// A child process stopped when the test ends, passing or not.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// cargo-lambda's emulator of the Lambda runtime and invoke APIs, without building anything.
fn emulator(port: u16) -> Running {
    let child = Command::new(cargo_lambda())
        .args([
            "lambda",
            "watch",
            "--only-lambda-apis",
            "-A",
            "127.0.0.1",
            "-P",
        ])
        .arg(port.to_string())
        .arg("--manifest-path")
        .arg(root().join("crates/stagelog/Cargo.toml"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", cargo_lambda().display()));
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the Lambda emulator did not listen on {port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Running(child)
}

/// The function as Lambda runs it: `bootstrap` without arguments, its role's credentials and
/// the runtime's variables; Security Hub export on.
fn function(
    port: u16,
    creds: &aws_credential_types::Credentials,
    cwd: &std::path::Path,
) -> Running {
    let child = Command::new(env!("CARGO_BIN_EXE_stagelog"))
        .env(
            "AWS_LAMBDA_RUNTIME_API",
            format!("http://127.0.0.1:{port}/.rt"),
        )
        .env("AWS_LAMBDA_FUNCTION_NAME", "_")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_REGION", REGION)
        .env("AWS_ENDPOINT_URL", endpoint())
        .env("AWS_ACCESS_KEY_ID", creds.access_key_id())
        .env("AWS_SECRET_ACCESS_KEY", creds.secret_access_key())
        .env(
            "AWS_SESSION_TOKEN",
            creds.session_token().unwrap_or_default(),
        )
        .env("STAGELOG_SECURITY_HUB", "true")
        .env_remove("AWS_PROFILE")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .current_dir(cwd)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts the stagelog function");
    Running(child)
}

/// `cargo lambda invoke` of the function under the emulator with `event`.
fn invocation(port: u16, event: &Value) -> std::process::Output {
    Command::new(cargo_lambda())
        .args(["lambda", "invoke", "_", "--invoke-address", "127.0.0.1"])
        .arg("--invoke-port")
        .arg(port.to_string())
        .args(["--output-format", "json", "--data-ascii"])
        .arg(event.to_string())
        .output()
        .expect("runs cargo lambda invoke")
}

/// One invocation through the emulator: the function's answer.
fn invoke(port: u16, event: &Value) -> Value {
    let out = invocation(port, event);
    assert!(
        out.status.success(),
        "invocation failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

/// UpdateStage as EventBridge delivers CloudTrail's record of it.
fn update_stage_event(api: &str, stage: &str, ops: Value) -> Value {
    json!({
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.apigateway",
        "account": ACCOUNT,
        "time": "2026-12-07T01:02:03Z",
        "region": REGION,
        "resources": [],
        "detail": {
            "eventVersion": "1.09",
            "userIdentity": {"type": "AssumedRole", "accountId": ACCOUNT},
            "eventTime": "2026-12-07T01:02:03Z",
            "eventSource": "apigateway.amazonaws.com",
            "eventName": "UpdateStage",
            "awsRegion": REGION,
            "requestParameters": {"restApiId": api, "stageName": stage, "patchOperations": ops},
            "responseElements": null,
            "eventType": "AwsApiCall",
            "managementEvent": true,
            "recipientAccountId": ACCOUNT,
            "eventCategory": "Management"
        }
    })
}

/// A Config custom rule invocation for a stage's configuration item.
fn config_event(rule: &str, token: &str, stage_arn: &str, stage: &str) -> Value {
    let item = json!({
        "configurationItemCaptureTime": "2026-12-07T01:02:05.123Z",
        "awsAccountId": ACCOUNT,
        "configurationItemStatus": "OK",
        "resourceId": stage_arn,
        "resourceName": stage,
        "ARN": stage_arn,
        "awsRegion": REGION,
        "availabilityZone": "Not Applicable",
        "resourceType": "AWS::ApiGateway::Stage",
        "tags": {},
        "relatedEvents": [],
        "relationships": [],
        "configuration": {"stageName": stage},
        "supplementaryConfiguration": {},
        "configurationStateId": 1,
        "configurationItemVersion": "1.3"
    });
    json!({
        "version": "1.0",
        "invokingEvent": json!({
            "configurationItemDiff": null,
            "configurationItem": item,
            "notificationCreationTime": "2026-12-07T01:02:06.000Z",
            "messageType": "ConfigurationItemChangeNotification",
            "recordVersion": "1.3"
        }).to_string(),
        "ruleParameters": "{}",
        "resultToken": token,
        "eventLeftScope": false,
        "executionRoleArn": format!("arn:aws:iam::{ACCOUNT}:role/config-role"),
        "configRuleArn": format!("arn:aws:config:{REGION}:{ACCOUNT}:config-rule/config-rule-stagelog"),
        "configRuleName": rule,
        "configRuleId": "config-rule-stagelog",
        "accountId": ACCOUNT
    })
}

/// A result token for `rule`, as Config hands one to the function it invokes (the test
/// server's extension issues it for a rule moto keeps).
fn result_token(rule: &str) -> String {
    let body = crate::aws_server::server_post(
        "/_stagelog/config/result-token",
        &json!({"account": ACCOUNT, "region": REGION, "rule": rule}).to_string(),
    );
    let v: Value = serde_json::from_str(&body).unwrap_or_else(|_| panic!("{body}"));
    v["token"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_string()
}

async fn compliance(conf: &aws_config::SdkConfig, rule: &str) -> Vec<(String, String, String)> {
    let out = aws_sdk_config::Client::new(conf)
        .get_compliance_details_by_config_rule()
        .config_rule_name(rule)
        .send()
        .await
        .unwrap();
    out.evaluation_results()
        .iter()
        .map(|r| {
            let q = r
                .evaluation_result_identifier()
                .and_then(|i| i.evaluation_result_qualifier())
                .unwrap();
            (
                q.resource_id().unwrap_or_default().to_string(),
                r.compliance_type()
                    .map(|c| c.as_str().to_string())
                    .unwrap_or_default(),
                r.annotation().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

async fn active_hub_findings(conf: &aws_config::SdkConfig) -> Vec<(String, String)> {
    let out = aws_sdk_securityhub::Client::new(conf)
        .get_findings()
        .send()
        .await
        .unwrap();
    out.findings()
        .iter()
        .filter(|f| f.record_state() == Some(&aws_sdk_securityhub::types::RecordState::Active))
        .map(|f| {
            (
                f.generator_id().unwrap_or_default().to_string(),
                f.resources()[0].id().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_change_is_judged_by_the_function_within_seconds_and_reported_to_config() {
    let role = format!("arn:aws:iam::{ACCOUNT}:role/stagelog-function");
    let conf = role_config(&role, REGION).await;
    cloudwatch_role(
        &conf,
        ACCOUNT,
        "apigw-cloudwatch",
        "apigateway.amazonaws.com",
        true,
    )
    .await;
    let logs = aws_sdk_cloudwatchlogs::Client::new(&conf);
    logs.create_log_group()
        .log_group_name("orders-access")
        .send()
        .await
        .unwrap();
    logs.put_retention_policy()
        .log_group_name("orders-access")
        .retention_in_days(365)
        .send()
        .await
        .unwrap();
    let destination = format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:orders-access");
    let format = "{\"requestId\":\"$context.requestId\",\"ip\":\"$context.identity.sourceIp\",\"caller\":\"$context.identity.caller\",\"user\":\"$context.identity.user\",\"requestTime\":\"$context.requestTime\",\"httpMethod\":\"$context.httpMethod\",\"resourcePath\":\"$context.resourcePath\",\"status\":\"$context.status\",\"protocol\":\"$context.protocol\",\"responseLength\":\"$context.responseLength\"}";
    let orders = rest_api(&conf, "orders").await;
    let logged: [(&str, &str); 4] = [
        ("/accessLogSettings/destinationArn", &destination),
        ("/accessLogSettings/format", format),
        ("/*/*/logging/loglevel", "ERROR"),
        ("/*/*/logging/dataTrace", "false"),
    ];
    rest_stage(&conf, &orders, "prod", &logged).await;
    rest_stage(&conf, &orders, "beta", &logged).await;
    let stage_arn = format!("arn:aws:apigateway:{REGION}::/restapis/{orders}/stages/prod");

    let setup = Command::new(root().join(".venv/bin/python"))
        .arg(root().join("crates/stagelog/tests/live/guardrails_check.py"))
        .args(["config-rule", endpoint(), REGION, "stagelog-stage-logging"])
        .envs(credentials_env(&role).await)
        .output()
        .unwrap();
    assert!(
        setup.status.success(),
        "{}",
        String::from_utf8_lossy(&setup.stderr)
    );

    let port = free_port();
    let _emulator = emulator(port);
    let cwd = tempfile::tempdir().unwrap();
    let _function = function(port, &role_credentials(&role).await, cwd.path());

    // A logged stage: nothing to say, nothing in Security Hub.
    let calm = invoke(port, &update_stage_event(&orders, "prod", json!([])));
    assert_eq!(above_info(&calm), Vec::<String>::new(), "{calm}");
    assert_eq!(calm["stages"], json!(1), "{calm}");

    // Someone turns access logging off.
    let changed = Instant::now();
    aws_sdk_apigateway::Client::new(&conf)
        .update_stage()
        .rest_api_id(&orders)
        .stage_name("prod")
        .patch_operations(
            aws_sdk_apigateway::types::PatchOperation::builder()
                .op(aws_sdk_apigateway::types::Op::Remove)
                .path("/accessLogSettings")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let ops = json!([{"op": "remove", "path": "/accessLogSettings"}]);
    let answer = invoke(port, &update_stage_event(&orders, "prod", ops.clone()));
    let to_finding = changed.elapsed();
    let rules = above_info(&answer);
    assert!(rules.contains(&"SL001".to_string()), "{answer}");
    assert!(
        answer["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["resource"] == stage_arn.as_str()),
        "only the stage the event names: {answer}"
    );
    assert_eq!(
        answer["security_hub"][0]["imported"],
        json!(answer["findings"].as_array().unwrap().len()),
        "{answer}"
    );
    let hub = active_hub_findings(&conf).await;
    assert!(
        hub.contains(&("stagelog-SL001".to_string(), stage_arn.clone())),
        "{hub:?}"
    );

    // Config's change-triggered evaluation of the same stage.
    let config_started = Instant::now();
    let token = result_token("stagelog-stage-logging");
    let evaluated = invoke(
        port,
        &config_event("stagelog-stage-logging", &token, &stage_arn, "prod"),
    );
    let to_evaluation = changed.elapsed();
    let config_alone = config_started.elapsed();
    assert_eq!(
        evaluated["evaluations"][0]["compliance"], "NON_COMPLIANT",
        "{evaluated}"
    );
    // The same findings go to Security Hub from Config's invocation too.
    assert!(
        evaluated["security_hub"][0]["imported"].as_u64().unwrap() >= 1,
        "{evaluated}"
    );
    let results = compliance(&conf, "stagelog-stage-logging").await;
    assert_eq!(results.len(), 1, "{results:?}");
    assert_eq!(results[0].0, stage_arn);
    assert_eq!(results[0].1, "NON_COMPLIANT");
    assert!(results[0].2.contains("SL001"), "{results:?}");

    // Logging back on: the Security Hub findings are resolved, and a periodic Config run finds
    // both stages compliant.
    patch_rest_stage(&conf, &orders, "prod", &logged[..2]).await;
    let fixed = invoke(
        port,
        &update_stage_event(
            &orders,
            "prod",
            json!([{"op": "replace", "path": "/accessLogSettings/destinationArn", "value": destination}]),
        ),
    );
    assert_eq!(above_info(&fixed), Vec::<String>::new(), "{fixed}");
    assert!(
        fixed["security_hub"][0]["resolved"].as_u64().unwrap() >= 1,
        "{fixed}"
    );
    let still: Vec<_> = active_hub_findings(&conf).await;
    assert!(
        still.iter().all(|(rule, _)| rule == "stagelog-SL021"),
        "only the info finding on the log group stays: {still:?}"
    );
    let token = result_token("stagelog-stage-logging");
    let scheduled = json!({
        "version": "1.0",
        "invokingEvent": json!({"awsAccountId": ACCOUNT, "notificationCreationTime": "2026-12-07T02:00:00.000Z", "messageType": "ScheduledNotification", "recordVersion": "1.0"}).to_string(),
        "ruleParameters": "{}",
        "resultToken": token,
        "eventLeftScope": false,
        "configRuleArn": format!("arn:aws:config:{REGION}:{ACCOUNT}:config-rule/config-rule-stagelog"),
        "configRuleName": "stagelog-stage-logging",
        "accountId": ACCOUNT
    });
    let periodic = invoke(port, &scheduled);
    assert_eq!(
        periodic["evaluations"].as_array().unwrap().len(),
        2,
        "{periodic}"
    );
    let results = compliance(&conf, "stagelog-stage-logging").await;
    assert_eq!(results.len(), 2, "{results:?}");
    assert!(results.iter().all(|r| r.1 == "COMPLIANT"), "{results:?}");

    // An event of another account (forwarded to this account's bus) is refused by name, not
    // judged on this account's API.
    let mut foreign = update_stage_event(&orders, "prod", json!([]));
    foreign["account"] = json!("999988887777");
    foreign["detail"]["recipientAccountId"] = json!("999988887777");
    let out = invocation(port, &foreign);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("deploy the function in each account"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // A stolen or made-up token is refused by Config: the invocation fails, loudly.
    let forged = config_event("stagelog-stage-logging", "forged", &stage_arn, "prod");
    let out = invocation(port, &forged);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("InvalidResultToken"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // What scripts/bench-audit reports.
    let hour = Duration::from_secs(3600);
    eprintln!(
        "lambda: change to finding {} ms, change to Config evaluation {} ms (Config invocation alone {} ms); a periodic Config rule's shortest frequency (One_Hour) is {:.0}x that",
        to_finding.as_millis(),
        to_evaluation.as_millis(),
        config_alone.as_millis(),
        hour.as_secs_f64() / to_evaluation.as_secs_f64()
    );
}

/// The rules of the answer's findings above info (info: the log group's default encryption).
fn above_info(answer: &Value) -> Vec<String> {
    answer["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("{answer}"))
        .iter()
        .filter(|f| f["severity"] != "info")
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

/// The role's temporary credentials as environment variables, for boto3.
async fn credentials_env(role: &str) -> Vec<(String, String)> {
    let c = role_credentials(role).await;
    vec![
        ("AWS_ACCESS_KEY_ID".into(), c.access_key_id().into()),
        ("AWS_SECRET_ACCESS_KEY".into(), c.secret_access_key().into()),
        (
            "AWS_SESSION_TOKEN".into(),
            c.session_token().unwrap_or_default().into(),
        ),
    ]
}

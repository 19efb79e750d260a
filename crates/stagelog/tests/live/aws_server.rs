//! The AWS test server (moto, through scripts/aws-test-server) for live tests: the one
//! scripts/test started (STAGELOG_TEST_AWS_ENDPOINT), or one started here for this test binary
//! that stops when the binary exits. Each test works in accounts of its own (moto keeps
//! state per account, and AssumeRole into an account gives credentials for it), so tests
//! run in parallel without resets.
#![allow(dead_code)]

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

pub const BASE_KEY: &str = "AKIASTAGELOGTEST0001";
pub const BASE_SECRET: &str = "stagelog-test-secret";

pub use crate::examples::root;

/// The endpoint URL of a running test server.
pub fn endpoint() -> &'static str {
    static EP: OnceLock<String> = OnceLock::new();
    EP.get_or_init(|| {
        if let Ok(ep) = std::env::var("STAGELOG_TEST_AWS_ENDPOINT") {
            return ep;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        // Not waited for: it stops itself when this test binary exits (--exit-with-pid).
        #[allow(clippy::zombie_processes)]
        let mut child = Command::new(root().join("scripts/aws-test-server"))
            .args([
                "--port",
                &port.to_string(),
                "--exit-with-pid",
                &std::process::id().to_string(),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starts scripts/aws-test-server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(
            line.starts_with("listening on"),
            "test server did not start: {line:?}"
        );
        format!("http://127.0.0.1:{port}")
    })
}

fn base(region: &str) -> aws_config::ConfigLoader {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint())
        .region(Region::new(region.to_string()))
        .credentials_provider(Credentials::new(
            BASE_KEY,
            BASE_SECRET,
            None,
            None,
            "stagelog-test",
        ))
}

/// SDK config with credentials for `account` (moto's AssumeRole gives that account's state).
pub async fn account_config(account: &str, region: &str) -> SdkConfig {
    role_config(&format!("arn:aws:iam::{account}:role/seed"), region).await
}

/// Credentials from assuming `role_arn` from the base test credentials.
pub async fn role_credentials(role_arn: &str) -> Credentials {
    let base_conf = base("us-east-1").load().await;
    let c = aws_sdk_sts::Client::new(&base_conf)
        .assume_role()
        .role_arn(role_arn)
        .role_session_name("seed")
        .send()
        .await
        .expect("assume role in the test server")
        .credentials
        .expect("credentials");
    Credentials::new(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token().to_string()),
        None,
        "seed",
    )
}

/// SDK config with the credentials of `role_arn` (an Organization member's
/// OrganizationAccountAccessRole, which the test server requires to exist).
pub async fn role_config(role_arn: &str, region: &str) -> SdkConfig {
    base(region)
        .credentials_provider(role_credentials(role_arn).await)
        .load()
        .await
}

/// The operations the server received since the last `reset_requests`.
pub fn requests() -> Vec<serde_json::Value> {
    let body = http("GET", "/_stagelog/requests", "");
    serde_json::from_str(&body).unwrap()
}

/// Fault injection is one setting for the whole server: tests that set it hold this lock, so
/// one test's reset never ends another's faults early (they share one test binary).
pub async fn faults_lock() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: OnceLock<tokio::sync::Mutex<()>> = OnceLock::new();
    LOCK.get_or_init(|| tokio::sync::Mutex::new(()))
        .lock()
        .await
}

pub fn faults(json: &str) {
    http("POST", "/_stagelog/faults", json);
}

/// An AWS Organization of `management` with a member account per name (moto's CreateAccount
/// makes each member's OrganizationAccountAccessRole): the members' ids, in order.
pub async fn organization_with(management: &str, names: &[String]) -> Vec<String> {
    use aws_sdk_organizations::types::OrganizationFeatureSet;
    let conf = account_config(management, "eu-west-1").await;
    let org = aws_sdk_organizations::Client::new(&conf);
    org.create_organization()
        .feature_set(OrganizationFeatureSet::All)
        .send()
        .await
        .unwrap();
    let mut ids = Vec::new();
    for name in names {
        let status = org
            .create_account()
            .account_name(name)
            .email(format!("aws+{name}@example.com"))
            .send()
            .await
            .unwrap()
            .create_account_status
            .unwrap();
        ids.push(status.account_id.unwrap());
    }
    ids
}

/// Forgets the requests recorded so far.
pub fn server_delete_requests() -> String {
    http("DELETE", "/_stagelog/requests", "")
}

/// POSTs to one of the server's own endpoints; its answer's body.
pub fn server_post(path: &str, body: &str) -> String {
    http("POST", path, body)
}

/// A tiny HTTP/1.0 client for the server's own endpoints (no extra crate needed).
fn http(method: &str, path: &str, body: &str) -> String {
    use std::io::{Read, Write};
    let addr = endpoint().trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.0\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out.split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default()
}

/// Runs the stagelog binary with the base test credentials and the server's endpoint.
pub fn stagelog(args: &[&str]) -> std::process::Output {
    stagelog_command(args).output().expect("runs stagelog")
}

/// Runs the stagelog binary with `creds` (e.g. an Organization's management account).
pub fn stagelog_as(creds: &Credentials, args: &[&str]) -> std::process::Output {
    let mut cmd = stagelog_command(args);
    cmd.env("AWS_ACCESS_KEY_ID", creds.access_key_id())
        .env("AWS_SECRET_ACCESS_KEY", creds.secret_access_key());
    if let Some(token) = creds.session_token() {
        cmd.env("AWS_SESSION_TOKEN", token);
    }
    cmd.output().expect("runs stagelog")
}

fn stagelog_command(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_stagelog"));
    cmd.args(args)
        .args(["--endpoint-url", endpoint()])
        .env("AWS_ACCESS_KEY_ID", BASE_KEY)
        .env("AWS_SECRET_ACCESS_KEY", BASE_SECRET)
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        // Politeness is its own test's subject (organizations.rs); elsewhere the test server
        // is read as fast as it answers.
        .env("STAGELOG_MAX_RATE", "10000")
        .current_dir(root());
    cmd
}

/// A REST API with one GET method on `/` (a deployment needs a method).
pub async fn rest_api(conf: &aws_config::SdkConfig, name: &str) -> String {
    rest_api_tagged(conf, name, vec![]).await
}

/// [`rest_api`] with tags given at creation (the test server has no TagResource for API
/// Gateway; `_custom_id_` chooses its id).
pub async fn rest_api_tagged(
    conf: &aws_config::SdkConfig,
    name: &str,
    tags: Vec<(String, String)>,
) -> String {
    let c = aws_sdk_apigateway::Client::new(conf);
    let id = c
        .create_rest_api()
        .name(name)
        .set_tags((!tags.is_empty()).then(|| tags.into_iter().collect()))
        .send()
        .await
        .unwrap()
        .id
        .unwrap();
    let root = c
        .get_resources()
        .rest_api_id(&id)
        .send()
        .await
        .unwrap()
        .items
        .unwrap()[0]
        .id
        .clone()
        .unwrap();
    c.put_method()
        .rest_api_id(&id)
        .resource_id(&root)
        .http_method("GET")
        .authorization_type("NONE")
        .send()
        .await
        .unwrap();
    c.put_integration()
        .rest_api_id(&id)
        .resource_id(&root)
        .http_method("GET")
        .r#type(aws_sdk_apigateway::types::IntegrationType::Mock)
        .send()
        .await
        .unwrap();
    id
}

/// Creates a role trusted by `trusted` (with the managed policy when `policy`) and sets it as
/// the account's CloudWatch role in the config's region.
pub async fn cloudwatch_role(
    conf: &aws_config::SdkConfig,
    account: &str,
    name: &str,
    trusted: &str,
    policy: bool,
) -> String {
    let iam = aws_sdk_iam::Client::new(conf);
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Service":"{trusted}"}},"Action":"sts:AssumeRole"}}]}}"#
    );
    iam.create_role()
        .role_name(name)
        .assume_role_policy_document(trust)
        .send()
        .await
        .unwrap();
    if policy {
        iam.attach_role_policy()
            .role_name(name)
            .policy_arn("arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs")
            .send()
            .await
            .unwrap();
    }
    let arn = format!("arn:aws:iam::{account}:role/{name}");
    aws_sdk_apigateway::Client::new(conf)
        .update_account()
        .patch_operations(
            aws_sdk_apigateway::types::PatchOperation::builder()
                .op(aws_sdk_apigateway::types::Op::Replace)
                .path("/cloudwatchRoleArn")
                .value(&arn)
                .build(),
        )
        .send()
        .await
        .unwrap();
    arn
}

/// A REST stage on a new deployment of `api`, then `patches` (path, value) as UpdateStage
/// `replace` operations.
pub async fn rest_stage(
    conf: &aws_config::SdkConfig,
    api: &str,
    stage: &str,
    patches: &[(&str, &str)],
) {
    let c = aws_sdk_apigateway::Client::new(conf);
    let dep = c
        .create_deployment()
        .rest_api_id(api)
        .send()
        .await
        .unwrap()
        .id
        .unwrap();
    c.create_stage()
        .rest_api_id(api)
        .stage_name(stage)
        .deployment_id(dep)
        .send()
        .await
        .unwrap();
    patch_rest_stage(conf, api, stage, patches).await;
}

/// UpdateStage with `replace` operations (path, value) on a REST stage.
pub async fn patch_rest_stage(
    conf: &aws_config::SdkConfig,
    api: &str,
    stage: &str,
    patches: &[(&str, &str)],
) {
    if patches.is_empty() {
        return;
    }
    let ops = patches
        .iter()
        .map(|(path, value)| {
            aws_sdk_apigateway::types::PatchOperation::builder()
                .op(aws_sdk_apigateway::types::Op::Replace)
                .path(*path)
                .value(*value)
                .build()
        })
        .collect();
    aws_sdk_apigateway::Client::new(conf)
        .update_stage()
        .rest_api_id(api)
        .stage_name(stage)
        .set_patch_operations(Some(ops))
        .send()
        .await
        .unwrap();
}

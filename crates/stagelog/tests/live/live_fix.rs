//! `stagelog fix --live --apply` then `audit` is clean; `stagelog rollback` gives back the
//! exact previous state of every stage and log group, also after a failure part-way.
use crate::aws_server;

use aws_sdk_apigatewayv2::types::{AccessLogSettings, LoggingLevel, ProtocolType, RouteSettings};
use aws_server::{account_config, stagelog};
use serde_json::Value;

struct Seeded {
    rest: String,
    ws: String,
    http: String,
}

async fn seed(account: &str) -> Seeded {
    use aws_sdk_apigateway::types::{Op, PatchOperation};
    let conf = account_config(account, "eu-west-1").await;
    let v1 = aws_sdk_apigateway::Client::new(&conf);
    let patch = |path: &str, value: &str| {
        PatchOperation::builder()
            .op(Op::Replace)
            .path(path)
            .value(value)
            .build()
    };
    aws_server::cloudwatch_role(&conf, account, "cw", "apigateway.amazonaws.com", true).await;
    let logs = aws_sdk_cloudwatchlogs::Client::new(&conf);
    logs.create_log_group()
        .log_group_name("/existing/access")
        .send()
        .await
        .unwrap();
    logs.put_retention_policy()
        .log_group_name("/existing/access")
        .retention_in_days(7)
        .send()
        .await
        .unwrap();

    let rest = aws_server::rest_api(&conf, "orders").await;
    let dep = v1
        .create_deployment()
        .rest_api_id(&rest)
        .send()
        .await
        .unwrap()
        .id
        .unwrap();
    for s in ["bare", "thin"] {
        v1.create_stage()
            .rest_api_id(&rest)
            .stage_name(s)
            .deployment_id(&dep)
            .send()
            .await
            .unwrap();
    }
    v1.update_stage()
        .rest_api_id(&rest)
        .stage_name("thin")
        .patch_operations(patch(
            "/accessLogSettings/destinationArn",
            &format!("arn:aws:logs:eu-west-1:{account}:log-group:/existing/access"),
        ))
        .patch_operations(patch("/accessLogSettings/format", "$context.requestId"))
        .patch_operations(patch("/*/*/logging/loglevel", "OFF"))
        .patch_operations(patch("/*/*/logging/dataTrace", "true"))
        .send()
        .await
        .unwrap();

    let v2 = aws_sdk_apigatewayv2::Client::new(&conf);
    let ws = v2
        .create_api()
        .name("chat")
        .protocol_type(ProtocolType::Websocket)
        .route_selection_expression("$request.body.action")
        .send()
        .await
        .unwrap()
        .api_id
        .unwrap();
    v2.create_stage()
        .api_id(&ws)
        .stage_name("prod")
        .default_route_settings(
            RouteSettings::builder()
                .logging_level(LoggingLevel::Off)
                .data_trace_enabled(true)
                .build(),
        )
        .route_settings(
            "$connect",
            RouteSettings::builder()
                .logging_level(LoggingLevel::Off)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let http = v2
        .create_api()
        .name("pay")
        .protocol_type(ProtocolType::Http)
        .send()
        .await
        .unwrap()
        .api_id
        .unwrap();
    v2.create_stage()
        .api_id(&http)
        .stage_name("$default")
        .access_log_settings(
            AccessLogSettings::builder()
                .destination_arn("not-an-arn")
                .format("x")
                .build(),
        )
        .send()
        .await
        .unwrap();
    Seeded { rest, ws, http }
}

/// Everything about the stages and the log group that a fix may touch, as AWS returns it.
async fn state(account: &str, s: &Seeded) -> String {
    let conf = account_config(account, "eu-west-1").await;
    let v1 = aws_sdk_apigateway::Client::new(&conf);
    let v2 = aws_sdk_apigatewayv2::Client::new(&conf);
    let mut out = String::new();
    for name in ["bare", "thin"] {
        let st = v1
            .get_stage()
            .rest_api_id(&s.rest)
            .stage_name(name)
            .send()
            .await
            .unwrap();
        let mut methods: Vec<_> = st
            .method_settings
            .clone()
            .unwrap_or_default()
            .into_iter()
            .collect();
        methods.sort_by(|a, b| a.0.cmp(&b.0));
        out += &format!(
            "{name}: {:?} {:?} {:?} {:?} {:?}\n",
            st.access_log_settings, methods, st.deployment_id, st.description, st.tracing_enabled
        );
    }
    for (api, name) in [(&s.ws, "prod"), (&s.http, "$default")] {
        let st = v2
            .get_stage()
            .api_id(api)
            .stage_name(name)
            .send()
            .await
            .unwrap();
        let mut routes: Vec<_> = st
            .route_settings
            .clone()
            .unwrap_or_default()
            .into_iter()
            .collect();
        routes.sort_by(|a, b| a.0.cmp(&b.0));
        out += &format!(
            "{name}: {:?} {:?} {:?} {:?} {:?}\n",
            st.access_log_settings,
            st.default_route_settings,
            routes,
            st.description,
            st.stage_variables
        );
    }
    let groups = aws_sdk_cloudwatchlogs::Client::new(&conf)
        .describe_log_groups()
        .send()
        .await
        .unwrap();
    for g in groups.log_groups() {
        out += &format!("{:?} {:?}\n", g.log_group_name(), g.retention_in_days());
    }
    out
}

/// Runs stagelog in the account `role` opens, in eu-west-1, off the async runtime.
async fn run_as(role: &str, args: &[&str]) -> std::process::Output {
    let mut all: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    all.extend(["--role-arn", role, "--region", "eu-west-1"].map(String::from));
    tokio::task::spawn_blocking(move || {
        stagelog(&all.iter().map(String::as_str).collect::<Vec<_>>())
    })
    .await
    .unwrap()
}

/// `fix --live --apply` as `role`, journalled to `journal`, with `extra` options.
async fn apply_as(role: &str, journal: &std::path::Path, extra: &[&str]) -> std::process::Output {
    let journal = journal.to_str().unwrap();
    let args: Vec<&str> = ["fix", "--live", "--apply"]
        .into_iter()
        .chain(extra.iter().copied())
        .chain(["--journal", journal])
        .collect();
    run_as(role, &args).await
}

async fn audit_ids(role: &str) -> Vec<String> {
    let out = run_as(role, &["audit", "--format", "json", "--ignore", "SL021"]).await;
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["errors"], serde_json::json!([]), "{v}");
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{} {}", f["rule_id"], f["resource"]))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fix_apply_then_audit_is_clean_and_rollback_restores_exactly() {
    let account = "666600000007";
    let seeded = seed(account).await;
    // Two million requests on the stage without access logs in the last 30 days: what the
    // plan prices turning its access logging on at.
    {
        use aws_sdk_cloudwatch::types::{Dimension, MetricDatum};
        let conf = account_config(account, "eu-west-1").await;
        aws_sdk_cloudwatch::Client::new(&conf)
            .put_metric_data()
            .namespace("AWS/ApiGateway")
            .metric_data(
                MetricDatum::builder()
                    .metric_name("Count")
                    .dimensions(Dimension::builder().name("ApiName").value("orders").build())
                    .dimensions(Dimension::builder().name("Stage").value("bare").build())
                    .timestamp(aws_sdk_cloudwatch::primitives::DateTime::from_secs(
                        std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)
                            .unwrap()
                            .as_secs() as i64
                            - 86_400,
                    ))
                    .value(2_000_000.0)
                    .build(),
            )
            .send()
            .await
            .unwrap();
    }
    let before = state(account, &seeded).await;
    let role = format!("arn:aws:iam::{account}:role/fixer");
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("j.jsonl");
    let plan = run_as(&role, &["fix", "--live"]).await;
    assert_eq!(
        state(account, &seeded).await,
        before,
        "the plan alone changes nothing"
    );
    let applied = apply_as(&role, &journal, &[]).await;
    let after_ids = audit_ids(&role).await;
    let again = run_as(&role, &["fix", "--live"]).await;
    let plan_text = String::from_utf8(plan.stdout).unwrap();
    assert_eq!(plan.status.code(), Some(1), "{plan_text}");
    assert!(
        plan_text.contains("aws apigateway update-stage"),
        "{plan_text}"
    );
    assert!(
        plan_text.contains("aws apigatewayv2 update-stage"),
        "{plan_text}"
    );
    assert!(
        plan_text.contains("aws logs create-log-group"),
        "{plan_text}"
    );
    // The plan says what its access logs will cost: 2M requests × one recommended REST line
    // at eu-west-1's price (the table's default, $0.50 per GB).
    let per = stagelog_report::cost::bytes_per_request(stagelog_model::ApiKind::Rest).unwrap();
    let usd = (2_000_000 * per) as f64 / 1_073_741_824.0 * 0.50;
    assert!(
        plan_text.contains(&format!(
            "# estimated cost: ~${usd:.2} per month for the access logs of "
        )),
        "{plan_text}"
    );
    assert_eq!(
        applied.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&applied.stderr)
    );
    assert_eq!(after_ids, Vec::<String>::new(), "audit after fix");
    assert_eq!(
        again.status.code(),
        Some(0),
        "re-running fix changes nothing: {}",
        String::from_utf8_lossy(&again.stdout)
    );
    assert!(String::from_utf8_lossy(&again.stdout).contains("nothing to change"));
    let rb1 = run_as(&role, &["rollback", journal.to_str().unwrap()]).await;
    let rb2 = run_as(&role, &["rollback", journal.to_str().unwrap()]).await;
    assert_eq!(
        rb1.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&rb1.stderr)
    );
    assert_eq!(
        rb2.status.code(),
        Some(0),
        "rollback is idempotent: {}",
        String::from_utf8_lossy(&rb2.stderr)
    );
    // The second rollback wrote a journal of its own beside the first's, which is kept.
    let first = std::fs::read_to_string(dir.path().join("j.rollback.jsonl")).unwrap();
    let second = std::fs::read_to_string(dir.path().join("j.rollback-2.jsonl")).unwrap();
    assert!(first.contains("\"state\":\"done\""), "{first}");
    assert!(second.contains("\"state\":\"done\""), "{second}");
    let restored = state(account, &seeded).await;
    // Created log groups are kept (data is never deleted by default); everything else is back.
    let without_created: String = restored
        .lines()
        .filter(|l| !l.contains("/aws/vendedlogs/"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(without_created, before);
    assert!(
        restored.contains("/aws/vendedlogs/apigateway/"),
        "{restored}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waived_findings_are_not_fixed_live() {
    let account = "666600000017";
    let seeded = seed(account).await;
    let before = state(account, &seeded).await;
    let role = format!("arn:aws:iam::{account}:role/fixer");
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("stagelog.toml");
    std::fs::write(
        &policy,
        "[[waiver]]\nrule = \"SL0\"\nresource = \"arn:aws:*\"\nreason = \"migrating this account in OPS-7\"\n",
    )
    .unwrap();
    let journal = dir.path().join("j.jsonl");
    let out = apply_as(&role, &journal, &["--config", policy.to_str().unwrap()]).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("nothing to change"), "{stdout}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("suppressed or waived"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(state(account, &seeded).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_part_way_leaves_a_journal_that_rolls_back_everything() {
    let _faults = aws_server::faults_lock().await;
    let account = "666600000008";
    let seeded = seed(account).await;
    let before = state(account, &seeded).await;
    let role = format!("arn:aws:iam::{account}:role/fixer");
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("j.jsonl");
    // Every v2 UpdateStage from stagelog fails: the REST stages and log groups change first.
    aws_server::faults(&format!(
        r#"{{"rate": 1.0, "user_agent_contains": "app/stagelog", "services": ["apigatewayv2"], "operations": ["UpdateStage"], "accounts": ["{account}"]}}"#
    ));
    let applied = apply_as(&role, &journal, &[]).await;
    aws_server::faults(r#"{"rate": 0}"#);
    assert_eq!(
        applied.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&applied.stderr)
    );
    assert!(String::from_utf8_lossy(&applied.stderr).contains("stagelog rollback"));
    assert_ne!(
        state(account, &seeded).await,
        before,
        "some changes were made before the failure"
    );
    let text = std::fs::read_to_string(&journal).unwrap();
    assert!(text.lines().any(|l| l.contains("\"done\"")), "{text}");
    let rb = run_as(
        &role,
        &["rollback", journal.to_str().unwrap(), "--delete-created"],
    )
    .await;
    assert_eq!(
        rb.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&rb.stderr)
    );
    assert_eq!(state(account, &seeded).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_cloudwatch_role_execution_logging_is_skipped_with_the_reason() {
    // moto accepts execution logging without the account's CloudWatch role; real AWS refuses
    // it ("CloudWatch Logs role ARN must be set in account settings"), so stagelog must not try.
    let account = "666600000009";
    let conf = account_config(account, "eu-west-1").await;
    let v1 = aws_sdk_apigateway::Client::new(&conf);
    let api = aws_server::rest_api(&conf, "norole").await;
    let dep = v1
        .create_deployment()
        .rest_api_id(&api)
        .send()
        .await
        .unwrap()
        .id
        .unwrap();
    v1.create_stage()
        .rest_api_id(&api)
        .stage_name("prod")
        .deployment_id(&dep)
        .send()
        .await
        .unwrap();
    let role = format!("arn:aws:iam::{account}:role/fixer");
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("j.jsonl");
    let out = apply_as(&role, &journal, &[]).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plan = String::from_utf8(out.stdout).unwrap();
    assert!(
        !plan.contains("logging/loglevel"),
        "no execution logging without a role: {plan}"
    );
    assert!(plan.contains("/accessLogSettings/destinationArn"), "{plan}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("SL010") && stderr.contains("no CloudWatch role"),
        "{stderr}"
    );
    let stage = v1
        .get_stage()
        .rest_api_id(&api)
        .stage_name("prod")
        .send()
        .await
        .unwrap();
    assert!(stage.method_settings.unwrap_or_default().is_empty());
    assert!(stage.access_log_settings.is_some());
}

/// A small deterministic generator: the same seed gives the same mix on every run.
struct Rng(u64);

impl Rng {
    fn pick(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_mixes_of_stages_fix_clean_and_roll_back_exactly() {
    use aws_sdk_apigateway::types::{Op, PatchOperation};
    for (i, seed) in [
        0x9E37_79B9_7F4A_7C15u64,
        0xD1B5_4A32_D192_ED03,
        0x8CB9_2BA7_2F3D_8DD7,
    ]
    .into_iter()
    .enumerate()
    {
        let account = format!("77770000000{i}");
        let mut rng = Rng(seed);
        let conf = account_config(&account, "eu-west-1").await;
        // A CloudWatch role, so every rule the fix handles can be fixed.
        let v1 = aws_sdk_apigateway::Client::new(&conf);
        let patch = |path: &str, value: &str| {
            PatchOperation::builder()
                .op(Op::Replace)
                .path(path)
                .value(value)
                .build()
        };
        aws_server::cloudwatch_role(&conf, &account, "cw", "apigateway.amazonaws.com", true).await;
        let logs = aws_sdk_cloudwatchlogs::Client::new(&conf);
        logs.create_log_group()
            .log_group_name("/prior/logs")
            .send()
            .await
            .unwrap();
        if rng.pick(2) == 0 {
            logs.put_retention_policy()
                .log_group_name("/prior/logs")
                .retention_in_days(30)
                .send()
                .await
                .unwrap();
        }
        let prior = format!("arn:aws:logs:eu-west-1:{account}:log-group:/prior/logs");
        let destinations = [None, Some(prior.as_str()), Some("not-an-arn")];
        let formats = [
            "$context.requestId",
            r#"{"requestId":"$context.requestId","ip":"$context.identity.sourceIp"}"#,
        ];

        let api = aws_server::rest_api(&conf, "r").await;
        let dep = v1
            .create_deployment()
            .rest_api_id(&api)
            .send()
            .await
            .unwrap()
            .id
            .unwrap();
        let rest_stages: Vec<String> = (0..3).map(|n| format!("s{n}")).collect();
        for s in &rest_stages {
            v1.create_stage()
                .rest_api_id(&api)
                .stage_name(s)
                .deployment_id(&dep)
                .send()
                .await
                .unwrap();
            let mut ops = Vec::new();
            if let Some(d) = destinations[rng.pick(3) as usize] {
                ops.push(patch("/accessLogSettings/destinationArn", d));
                ops.push(patch(
                    "/accessLogSettings/format",
                    formats[rng.pick(2) as usize],
                ));
            }
            match rng.pick(4) {
                0 => {}
                n => ops.push(patch(
                    "/*/*/logging/loglevel",
                    ["OFF", "ERROR", "INFO"][n as usize - 1],
                )),
            }
            if rng.pick(2) == 0 {
                ops.push(patch("/*/*/logging/dataTrace", "true"));
            }
            if !ops.is_empty() {
                v1.update_stage()
                    .rest_api_id(&api)
                    .stage_name(s)
                    .set_patch_operations(Some(ops))
                    .send()
                    .await
                    .unwrap();
            }
        }
        let v2 = aws_sdk_apigatewayv2::Client::new(&conf);
        let mut v2_stages = Vec::new();
        for (n, protocol) in [
            ProtocolType::Websocket,
            ProtocolType::Http,
            ProtocolType::Websocket,
        ]
        .into_iter()
        .enumerate()
        {
            let id = v2
                .create_api()
                .name(format!("v{n}"))
                .protocol_type(protocol.clone())
                .route_selection_expression("$request.body.action")
                .send()
                .await
                .unwrap()
                .api_id
                .unwrap();
            let mut req = v2.create_stage().api_id(&id).stage_name("prod");
            if let Some(d) = destinations[rng.pick(3) as usize] {
                req = req.access_log_settings(
                    AccessLogSettings::builder()
                        .destination_arn(d)
                        .format(formats[rng.pick(2) as usize])
                        .build(),
                );
            }
            if protocol == ProtocolType::Websocket {
                let level = [LoggingLevel::Off, LoggingLevel::Error, LoggingLevel::Info]
                    [rng.pick(3) as usize]
                    .clone();
                req = req.default_route_settings(
                    RouteSettings::builder()
                        .logging_level(level)
                        .data_trace_enabled(rng.pick(2) == 0)
                        .build(),
                );
                if rng.pick(2) == 0 {
                    req = req.route_settings(
                        "$connect",
                        RouteSettings::builder()
                            .logging_level(LoggingLevel::Off)
                            .build(),
                    );
                }
            }
            req.send().await.unwrap();
            v2_stages.push(id);
        }

        let snapshot = || async {
            let mut out = String::new();
            for s in &rest_stages {
                let st = v1
                    .get_stage()
                    .rest_api_id(&api)
                    .stage_name(s)
                    .send()
                    .await
                    .unwrap();
                let mut m: Vec<_> = st
                    .method_settings
                    .clone()
                    .unwrap_or_default()
                    .into_iter()
                    .collect();
                m.sort_by(|a, b| a.0.cmp(&b.0));
                out += &format!("{s}: {:?} {m:?}\n", st.access_log_settings);
            }
            for id in &v2_stages {
                let st = v2
                    .get_stage()
                    .api_id(id)
                    .stage_name("prod")
                    .send()
                    .await
                    .unwrap();
                let mut r: Vec<_> = st
                    .route_settings
                    .clone()
                    .unwrap_or_default()
                    .into_iter()
                    .collect();
                r.sort_by(|a, b| a.0.cmp(&b.0));
                out += &format!(
                    "{id}: {:?} {:?} {r:?}\n",
                    st.access_log_settings, st.default_route_settings
                );
            }
            let groups = logs.describe_log_groups().send().await.unwrap();
            for g in groups.log_groups() {
                out += &format!("{:?} {:?}\n", g.log_group_name(), g.retention_in_days());
            }
            out
        };
        let before = snapshot().await;
        let role = format!("arn:aws:iam::{account}:role/fixer");
        let dir = tempfile::tempdir().unwrap();
        let journal = dir.path().join("j.jsonl");
        let applied = apply_as(&role, &journal, &[]).await;
        let ids = audit_ids(&role).await;
        assert_eq!(
            applied.status.code(),
            Some(0),
            "seed {i}: {}",
            String::from_utf8_lossy(&applied.stderr)
        );
        assert_eq!(
            ids,
            Vec::<String>::new(),
            "seed {i}: audit after fix\n{before}"
        );
        let rb = run_as(
            &role,
            &["rollback", journal.to_str().unwrap(), "--delete-created"],
        )
        .await;
        assert_eq!(
            rb.status.code(),
            Some(0),
            "seed {i}: {}",
            String::from_utf8_lossy(&rb.stderr)
        );
        assert_eq!(snapshot().await, before, "seed {i}: rollback");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_cloudwatch_role_sets_the_role_first_and_rollback_removes_it() {
    let account = "666600000010";
    let conf = account_config(account, "eu-west-1").await;
    let v2 = aws_sdk_apigatewayv2::Client::new(&conf);
    let ws = v2
        .create_api()
        .name("chat")
        .protocol_type(ProtocolType::Websocket)
        .route_selection_expression("$request.body.action")
        .send()
        .await
        .unwrap()
        .api_id
        .unwrap();
    v2.create_stage()
        .api_id(&ws)
        .stage_name("prod")
        .default_route_settings(
            RouteSettings::builder()
                .logging_level(LoggingLevel::Off)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let role = format!("arn:aws:iam::{account}:role/fixer");
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("j.jsonl");
    let applied = apply_as(&role, &journal, &["--create-cloudwatch-role"]).await;
    let ids = audit_ids(&role).await;
    assert_eq!(
        applied.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&applied.stderr)
    );
    let plan = String::from_utf8(applied.stdout).unwrap();
    let role_at = plan
        .find("aws iam create-role")
        .expect("the role is created");
    let stage_at = plan
        .find("aws apigatewayv2 update-stage")
        .expect("the stage is fixed");
    assert!(role_at < stage_at, "the role comes first: {plan}");
    // SL030 gone, and SL031 clean: the role is trusted and has the managed policy.
    assert_eq!(ids, Vec::<String>::new());
    let v1 = aws_sdk_apigateway::Client::new(&conf);
    assert_eq!(
        v1.get_account().send().await.unwrap().cloudwatch_role_arn(),
        Some(format!("arn:aws:iam::{account}:role/stagelog-apigateway-cloudwatch").as_str())
    );
    let rb = run_as(
        &role,
        &["rollback", journal.to_str().unwrap(), "--delete-created"],
    )
    .await;
    assert_eq!(
        rb.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&rb.stderr)
    );
    assert_eq!(
        v1.get_account().send().await.unwrap().cloudwatch_role_arn(),
        None
    );
    let gone = aws_sdk_iam::Client::new(&conf)
        .get_role()
        .role_name("stagelog-apigateway-cloudwatch")
        .send()
        .await;
    assert!(
        gone.is_err(),
        "--delete-created removes the role it created"
    );
    let stage = v2
        .get_stage()
        .api_id(&ws)
        .stage_name("prod")
        .send()
        .await
        .unwrap();
    assert_eq!(
        stage.default_route_settings().unwrap().logging_level(),
        Some(&LoggingLevel::Off)
    );
    assert!(stage.access_log_settings().is_none());
}

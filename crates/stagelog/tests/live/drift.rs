//! `--iac` and `stagelog drift` against the AWS test server: an account seeded as the code in
//! `fixtures/drift/` would deploy it — stages and APIs tagged as CloudFormation tags what it
//! creates (SAM, CDK, Serverless, a hand-deployed template), a REST API whose id a Terraform
//! state records — then changed by hand. Each live stage is linked to its declaration; every
//! kind of difference is found with both locations; `fix --live` leaves code-owned stages to
//! the code.
use crate::aws_server::{account_config, rest_api_tagged, stagelog};
use serde_json::Value;
use std::collections::BTreeSet;

const ACCOUNT: &str = "444455556666";
const REGION: &str = "eu-central-1";
const FORMAT: &str = r#"{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","caller":"$context.identity.caller","user":"$context.identity.user","requestTime":"$context.requestTime","httpMethod":"$context.httpMethod","resourcePath":"$context.resourcePath","status":"$context.status","protocol":"$context.protocol","responseLength":"$context.responseLength"}"#;

/// The fixture tree, as a user in the repository's root names it (the reports say paths as
/// they were given).
fn tree() -> String {
    "crates/stagelog/tests/live/fixtures/drift".to_string()
}

fn cfn(stack: &str, logical_id: &str) -> [(String, String); 2] {
    [
        ("aws:cloudformation:stack-name".into(), stack.into()),
        ("aws:cloudformation:logical-id".into(), logical_id.into()),
    ]
}

/// Live stage ARNs by what the test calls them.
struct Seeded {
    orders: String,
    chat: String,
    billing: String,
    payments: String,
    scratch: String,
    inventory: String,
}

static SEEDED: tokio::sync::OnceCell<Seeded> = tokio::sync::OnceCell::const_new();

async fn seeded() -> &'static Seeded {
    SEEDED.get_or_init(seed).await
}

async fn seed() -> Seeded {
    use aws_sdk_apigateway::types::PatchOperation;
    let conf = account_config(ACCOUNT, REGION).await;
    let v1 = aws_sdk_apigateway::Client::new(&conf);
    let v2 = aws_sdk_apigatewayv2::Client::new(&conf);
    let logs = aws_sdk_cloudwatchlogs::Client::new(&conf);
    let group = |name: &str| format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{name}");
    for name in ["/manual/chat", "/manual/billing", "/legacy/partners"] {
        logs.create_log_group()
            .log_group_name(name)
            .send()
            .await
            .unwrap();
    }
    // A REST API as CloudFormation leaves it: tagged, one GET method, one deployment.
    let rest = |name: &'static str, tags: Vec<(String, String)>| {
        let (v1, conf) = (v1.clone(), conf.clone());
        async move {
            let id = rest_api_tagged(&conf, name, tags).await;
            let deployment = v1
                .create_deployment()
                .rest_api_id(&id)
                .send()
                .await
                .unwrap();
            (id, deployment.id.unwrap())
        }
    };
    let stage = |api: String,
                 deployment: String,
                 name: &'static str,
                 tags: Vec<(String, String)>,
                 access: Option<String>| {
        let v1 = v1.clone();
        async move {
            v1.create_stage()
                .rest_api_id(&api)
                .stage_name(name)
                .deployment_id(deployment)
                .set_tags((!tags.is_empty()).then(|| tags.into_iter().collect()))
                .send()
                .await
                .unwrap();
            if let Some(dest) = access {
                v1.update_stage()
                    .rest_api_id(&api)
                    .stage_name(name)
                    .patch_operations(
                        PatchOperation::builder()
                            .op(aws_sdk_apigateway::types::Op::Replace)
                            .path("/accessLogSettings/destinationArn")
                            .value(dest)
                            .build(),
                    )
                    .patch_operations(
                        PatchOperation::builder()
                            .op(aws_sdk_apigateway::types::Op::Replace)
                            .path("/accessLogSettings/format")
                            .value(FORMAT)
                            .build(),
                    )
                    .send()
                    .await
                    .unwrap();
            }
            format!("arn:aws:apigateway:{REGION}::/restapis/{api}/stages/{name}")
        }
    };

    // SAM (orders-prod): the prod stage's logging turned off by hand; SAM's own `Stage` stage
    // (a deployment's, untagged) as deployed. OrdersAdminApi was never deployed.
    let (api, dep) = rest("orders", cfn("orders-prod", "OrdersApi").into()).await;
    let orders = stage(
        api.clone(),
        dep.clone(),
        "prod",
        cfn("orders-prod", "OrdersApiprodStage").into(),
        None,
    )
    .await;
    stage(api, dep, "Stage", vec![], None).await;

    // The Serverless service billing (stack billing-prod): the framework's REST stage is a
    // deployment's (untagged), its API tagged; access logs turned on by hand.
    let (api, dep) = rest(
        "prod-billing",
        cfn("billing-prod", "ApiGatewayRestApi").into(),
    )
    .await;
    let billing = stage(api, dep, "prod", vec![], Some(group("/manual/billing"))).await;

    // The hand-deployed template (stack legacy-api, named only by --stack): as declared.
    let (api, dep) = rest("partners", cfn("legacy-api", "PartnerApi").into()).await;
    stage(
        api,
        dep,
        "live",
        cfn("legacy-api", "LiveStage").into(),
        Some(group("/legacy/partners")),
    )
    .await;

    // A stack whose template is not under --iac.
    let (api, dep) = rest("inventory", cfn("inventory-prod", "InventoryApi").into()).await;
    let inventory = stage(
        api,
        dep,
        "v1",
        cfn("inventory-prod", "InventoryApiv1Stage").into(),
        None,
    )
    .await;

    // Terraform: the REST API whose id the state records (`_custom_id_` is moto's way to choose
    // an id); its stage applied, then its access logs and execution logging removed by hand.
    let (id, dep) = rest(
        "payments",
        vec![("_custom_id_".to_string(), "pay1prod".to_string())],
    )
    .await;
    assert_eq!(id, "pay1prod", "the test server honours _custom_id_");
    let payments = stage(id, dep, "prod", vec![], None).await;

    // CDK (ChatStack): a WebSocket stage whose access logs someone turned on.
    let chat_api = v2
        .create_api()
        .name("chat")
        .protocol_type(aws_sdk_apigatewayv2::types::ProtocolType::Websocket)
        .route_selection_expression("$request.body.action")
        .set_tags(Some(
            cfn("ChatStack", "ChatApi1B2C3D4E").into_iter().collect(),
        ))
        .send()
        .await
        .unwrap()
        .api_id
        .unwrap();
    v2.create_stage()
        .api_id(&chat_api)
        .stage_name("live")
        .set_tags(Some(cfn("ChatStack", "ChatApiLiveStage5F6A7B8C").into_iter().collect()))
        .access_log_settings(
            aws_sdk_apigatewayv2::types::AccessLogSettings::builder()
                .destination_arn(group("/manual/chat"))
                .format("$context.requestId $context.identity.sourceIp $context.routeKey $context.status")
                .build(),
        )
        .send()
        .await
        .unwrap();

    // Made by hand: an HTTP API no code declares.
    let scratch_api = v2
        .create_api()
        .name("scratch")
        .protocol_type(aws_sdk_apigatewayv2::types::ProtocolType::Http)
        .send()
        .await
        .unwrap()
        .api_id
        .unwrap();
    v2.create_stage()
        .api_id(&scratch_api)
        .stage_name("$default")
        .send()
        .await
        .unwrap();

    Seeded {
        orders,
        chat: format!("arn:aws:apigateway:{REGION}::/apis/{chat_api}/stages/live"),
        billing,
        payments,
        scratch: format!("arn:aws:apigateway:{REGION}::/apis/{scratch_api}/stages/$default"),
        inventory,
    }
}

/// stagelog in the seeded account with --iac over the fixture tree, off the async runtime.
async fn run(args: &[&str]) -> std::process::Output {
    let tree = tree();
    let mut all: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    all.extend([
        "--role-arn".into(),
        format!("arn:aws:iam::{ACCOUNT}:role/audit"),
        "--region".into(),
        REGION.into(),
        "--iac".into(),
        tree.clone(),
        "--tf-state".into(),
        format!("{tree}/payments/envs/prod/terraform.tfstate"),
        "--stack".into(),
        format!("legacy-api={tree}/legacy/api.yaml"),
    ]);
    tokio::task::spawn_blocking(move || {
        stagelog(&all.iter().map(String::as_str).collect::<Vec<_>>())
    })
    .await
    .unwrap()
}

/// [`run`], its standard output read as JSON.
async fn run_json(args: &[&str]) -> Value {
    let out = run(args).await;
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: {e}\n{}", String::from_utf8_lossy(&out.stderr)))
}

/// The line of the first line of `file` (under the tree) that starts with `start`, trimmed.
fn line_of(file: &str, start: &str) -> u64 {
    let text = std::fs::read_to_string(crate::aws_server::root().join(tree()).join(file)).unwrap();
    text.lines()
        .position(|l| l.trim_start().starts_with(start))
        .unwrap_or_else(|| panic!("{file} has no line starting {start}")) as u64
        + 1
}

/// A path relative to the fixture tree (reports name files as given, or relative to the
/// working directory).
fn rel(file: &str) -> &str {
    file.split_once("fixtures/drift/").map_or(file, |(_, r)| r)
}

/// `file:line (id)` relative to the tree, from a finding's `defined_at`.
fn origin(f: &Value) -> Option<String> {
    let o = f.get("defined_at")?;
    let file = rel(o["file"].as_str().unwrap());
    Some(format!(
        "{file}:{} ({})",
        o["line"],
        o["id"].as_str().unwrap()
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drift_finds_every_kind_of_difference_with_both_locations() {
    let s = seeded().await;
    let out = run(&["drift", "--format", "json"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "differences found: {stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["errors"], serde_json::json!([]), "{stderr}");
    let findings = report["findings"].as_array().unwrap();
    let got: BTreeSet<(String, String, Option<String>)> = findings
        .iter()
        .map(|f| {
            let at = match f.get("file") {
                Some(file) => format!("{}:{}", rel(file.as_str().unwrap()), f["line"]),
                None => f["resource"].as_str().unwrap().to_string(),
            };
            (f["rule_id"].as_str().unwrap().to_string(), at, origin(f))
        })
        .collect();
    let module_stage = line_of(
        "payments/modules/rest-stage/main.tf",
        "resource \"aws_api_gateway_stage\"",
    );
    let want: BTreeSet<(String, String, Option<String>)> = [
        // Declared on, off live: SAM by its stage's tags, Terraform by the state's id.
        ("SL050", s.orders.clone(), Some(format!("orders/template.yaml:{} (orders-prod/OrdersApi)", line_of("orders/template.yaml", "OrdersApi:")))),
        ("SL050", s.payments.clone(), Some(format!("payments/modules/rest-stage/main.tf:{module_stage} (module.payments.aws_api_gateway_stage.this)"))),
        // On live, not declared: CDK by tags, Serverless by its API's tags.
        ("SL051", s.chat.clone(), Some(format!("chat/cdk.out/ChatStack.template.json:{} (ChatStack/ChatApiLiveStage5F6A7B8C)", line_of("chat/cdk.out/ChatStack.template.json", "\"ChatApiLiveStage5F6A7B8C\"")))),
        ("SL051", s.billing.clone(), Some(format!("billing/serverless.yml:{} (billing-prod/ApiGatewayRestApi)", line_of("billing/serverless.yml", "- http:")))),
        // Declared, not deployed: the SAM API never deployed (its two stages), the canary.
        ("SL052", format!("orders/template.yaml:{}", line_of("orders/template.yaml", "OrdersAdminApi:")), None),
        ("SL052", format!("payments/envs/prod/main.tf:{}", line_of("payments/envs/prod/main.tf", "resource \"aws_api_gateway_stage\" \"canary\"")), None),
        // Live, in no code: made by hand; a stack whose template is elsewhere.
        ("SL053", s.scratch.clone(), None),
        ("SL053", s.inventory.clone(), None),
    ]
    .into_iter()
    .map(|(r, at, o)| (r.to_string(), at, o))
    .collect();
    assert_eq!(
        got,
        want,
        "{}",
        serde_json::to_string_pretty(findings).unwrap()
    );

    let message = |rule: &str, resource: &str| {
        findings
            .iter()
            .find(|f| f["rule_id"] == rule && f["resource"] == resource)
            .map(|f| f["message"].as_str().unwrap().to_string())
            .unwrap()
    };
    // What differs, and what the source says about who set it.
    assert!(
        message("SL050", &s.orders).contains("access logging and execution logging declared on")
    );
    assert!(
        message("SL050", &s.payments).contains("access logging and execution logging declared on")
    );
    assert!(message("SL051", &s.billing).contains("the Serverless Framework applies a REST stage's logging with UpdateStage after each deploy"));
    assert!(message("SL051", &s.chat).contains("CloudFormation puts the template's settings back"));
    assert!(message("SL053", &s.inventory).contains("CloudFormation stack `inventory-prod` made it (InventoryApiv1Stage), and no template under --iac deploys as that stack"));
    assert!(message("SL053", &s.scratch)
        .contains("no CloudFormation tags and no given Terraform state name it"));
    let declared = findings
        .iter()
        .filter(|f| f["rule_id"] == "SL052")
        .map(|f| f["message"].as_str().unwrap())
        .collect::<Vec<_>>();
    assert!(
        declared.iter().any(|m| m.contains("the state")
            && m.contains("records no stage at aws_api_gateway_stage.canary")),
        "{declared:?}"
    );
    assert_eq!(
        declared
            .iter()
            .filter(|m| m.contains("stack `orders-prod` is deployed where the audit read"))
            .count(),
        2,
        "OrdersAdminApi's prod and SAM's Stage stage: {declared:?}"
    );
    // The module chain of the Terraform declaration travels with it.
    let payments = findings
        .iter()
        .find(|f| f["rule_id"] == "SL050" && f["resource"] == s.payments.as_str())
        .unwrap();
    assert_eq!(payments["defined_at"]["by"], "terraform state");
    assert_eq!(payments["defined_at"]["via"][0]["call"], "module.payments");
    // A CDK stage names the construct that made it, from the cloud assembly's metadata.
    let chat = findings
        .iter()
        .find(|f| f["resource"] == s.chat.as_str())
        .unwrap();
    assert_eq!(
        chat["defined_at"]["construct"],
        "/ChatStack/ChatApi/LiveStage"
    );

    // Both locations in the other formats: text names the code under the ARN, SARIF places the
    // result on the code, GitHub annotates the code's line.
    let text = String::from_utf8(run(&["drift", "--select", "SL050"]).await.stdout).unwrap();
    assert!(
        text.contains(&s.orders)
            && text.contains(&format!("defined at: {}/orders/template.yaml:", tree())),
        "{text}"
    );
    let sarif = run_json(&["drift", "--select", "SL050", "--format", "sarif"]).await;
    let uris: BTreeSet<&str> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(
        uris,
        [
            format!("{}/orders/template.yaml", tree()),
            format!("{}/payments/modules/rest-stage/main.tf", tree())
        ]
        .iter()
        .map(String::as_str)
        .collect()
    );
    let github = String::from_utf8(
        run(&["drift", "--select", "SL051", "--format", "github"])
            .await
            .stdout,
    )
    .unwrap();
    assert!(
        github.contains(&format!(
            "file={}/billing/serverless.yml,line={}",
            tree(),
            line_of("billing/serverless.yml", "- http:")
        )),
        "{github}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_iac_says_where_every_code_made_stage_is_defined() {
    let s = seeded().await;
    let out = run(&["audit", "--format", "json", "--select", "SL001,SL002"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let defined: BTreeSet<(String, Option<String>)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["resource"].as_str().unwrap().to_string(), origin(f)))
        .collect();
    for (arn, want) in [
        (&s.orders, Some("orders-prod/OrdersApi")),
        (
            &s.payments,
            Some("module.payments.aws_api_gateway_stage.this"),
        ),
        (&s.scratch, None),
        (&s.inventory, None),
    ] {
        let (_, got) = defined
            .iter()
            .find(|(r, _)| r == arn)
            .unwrap_or_else(|| panic!("no SL001/SL002 on {arn}: {defined:?}"));
        assert_eq!(
            got.as_ref()
                .map(|g| g.ends_with(&format!("({})", want.unwrap_or("")))),
            want.map(|_| true),
            "{arn}: {got:?}"
        );
    }
    assert!(
        stderr.contains("live stage(s) linked to their code")
            && stderr.contains("stack `inventory-prod`"),
        "{stderr}"
    );

    // verify too: the chat stage logs to a group nothing arrived in (SL040), defined by CDK.
    let verify = run_json(&["verify", "--format", "json", "--window", "1h"]).await;
    let sl040 = verify["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "SL040" && f["resource"] == s.chat.as_str())
        .unwrap_or_else(|| panic!("no SL040 on the chat stage: {verify:#}"));
    assert_eq!(
        sl040["defined_at"]["id"],
        "ChatStack/ChatApiLiveStage5F6A7B8C"
    );

    // cost reports the declaration beside each stage too.
    let cost = run_json(&["cost", "--format", "json", "--window", "1h"]).await;
    let row = cost["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["resource"] == s.chat.as_str())
        .unwrap();
    assert!(
        row["defined_at"].as_str().unwrap().ends_with(
            "(ChatStack/ChatApiLiveStage5F6A7B8C, CDK construct /ChatStack/ChatApi/LiveStage)"
        ),
        "{row}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fix_live_leaves_code_owned_stages_to_the_code_unless_forced() {
    let s = seeded().await;
    let planned = |out: &std::process::Output, id: &str| {
        String::from_utf8_lossy(&out.stdout)
            .contains(&format!("--rest-api-id {id} --stage-name prod"))
    };
    let orders_api = s.orders.split('/').nth(2).unwrap().to_string();
    let billing_api = s.billing.split('/').nth(2).unwrap().to_string();

    let held = run(&["fix", "--live", "--select", "SL001"]).await;
    let stderr = String::from_utf8_lossy(&held.stderr);
    assert_eq!(held.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "code owns it: SL001 {} is defined at {}/orders/template.yaml:",
            s.orders,
            tree()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("stagelog fix {}", tree())),
        "{stderr}"
    );
    // The code declares the orders prod stage's access logs (the account drifted): deploy it
    // again. SAM's `Stage` stage has none in the code either: the code's own fix is offered.
    let said_of = |arn: &str| {
        let from = stderr.find(&format!("SL001 {arn} is defined at")).unwrap();
        stderr[from..].lines().nth(1).unwrap().to_string()
    };
    assert_eq!(
        said_of(&s.orders),
        "  the code declares what SL001 asks: deploy it again to put it back"
    );
    let sam_stage = s.orders.replace("/stages/prod", "/stages/Stage");
    assert!(
        said_of(&sam_stage).starts_with("  fix the code: "),
        "{stderr}"
    );
    assert!(
        !planned(&held, &orders_api),
        "{}",
        String::from_utf8_lossy(&held.stdout)
    );
    assert!(!planned(&held, "pay1prod"));
    // A stage no code owns is still planned.
    let inventory_api = s.inventory.split('/').nth(2).unwrap();
    assert!(String::from_utf8_lossy(&held.stdout)
        .contains(&format!("--rest-api-id {inventory_api} --stage-name v1")));
    // billing logs already: nothing to plan there, owned or not.
    assert!(!planned(&held, &billing_api));

    let forced = run(&["fix", "--live", "--select", "SL001", "--force"]).await;
    assert!(
        planned(&forced, &orders_api) && planned(&forced, "pay1prod"),
        "{}",
        String::from_utf8_lossy(&forced.stdout)
    );
    assert!(!String::from_utf8_lossy(&forced.stderr).contains("code owns it"));
}

/// What stagelog asked of `account`, by operation, in the order received.
fn operations_in(account: &str) -> Vec<String> {
    crate::aws_server::requests()
        .into_iter()
        .filter(|r| {
            r["account"] == account
                && r["user_agent"]
                    .as_str()
                    .unwrap_or("")
                    .contains("app/stagelog")
        })
        .map(|r| r["operation"].as_str().unwrap_or("").to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn linking_to_code_costs_no_request() {
    // Nothing else deletes the request log or injects faults while this counts.
    let _quiet = crate::aws_server::faults_lock().await;
    let account = "444455557777";
    let conf = account_config(account, REGION).await;
    let api = rest_api_tagged(&conf, "orders", cfn("orders-prod", "OrdersApi").into()).await;
    let v1 = aws_sdk_apigateway::Client::new(&conf);
    let dep = v1
        .create_deployment()
        .rest_api_id(&api)
        .send()
        .await
        .unwrap();
    v1.create_stage()
        .rest_api_id(&api)
        .stage_name("prod")
        .deployment_id(dep.id.unwrap())
        .set_tags(Some(
            cfn("orders-prod", "OrdersApiprodStage")
                .into_iter()
                .collect(),
        ))
        .send()
        .await
        .unwrap();
    let audit = |iac: bool| {
        let mut args = vec![
            "audit".to_string(),
            "--format".into(),
            "json".into(),
            "--role-arn".into(),
            format!("arn:aws:iam::{account}:role/audit"),
            "--region".into(),
            REGION.into(),
        ];
        if iac {
            args.extend(["--iac".into(), format!("{}/orders", tree())]);
        }
        async move {
            tokio::task::spawn_blocking(move || {
                stagelog(&args.iter().map(String::as_str).collect::<Vec<_>>())
            })
            .await
            .unwrap()
        }
    };
    let before = operations_in(account).len();
    let plain = audit(false).await;
    let after_plain = operations_in(account);
    let linked = audit(true).await;
    let after_linked = operations_in(account);
    let json: Value = serde_json::from_slice(&linked.stdout).unwrap();
    assert!(
        json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["defined_at"]["id"] == "orders-prod/OrdersApi"),
        "linked: {json:#}"
    );
    assert!(plain.status.code().is_some());
    let mut without: Vec<String> = after_plain[before..].to_vec();
    let mut with: Vec<String> = after_linked[after_plain.len()..].to_vec();
    without.sort();
    with.sort();
    assert!(!without.is_empty());
    assert_eq!(with, without, "the same requests with --iac as without");
}

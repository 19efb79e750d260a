//! An organisation walked politely: on the test server, each member account has API Gateway's
//! quota (a token bucket of 10 requests a second, as AWS meters it per account and region) and
//! every request takes 20 ms more, as a real region answers. At the default `--max-rate` (5)
//! no account and region sees more than 5 of stagelog's API Gateway requests in any second, by
//! the server's own clock (two more where earlier requests were received late), and none is
//! throttled; unpaced, against a quota of 2 a second, the same walk is throttled and still
//! finishes complete, the throttling retried and never reported.
use crate::aws_server::{self, faults, faults_lock, rest_api, rest_stage, role_config};
use serde_json::Value;
use std::collections::BTreeMap;

const ROLE: &str = "OrganizationAccountAccessRole";
const REGIONS: [&str; 2] = ["eu-west-1", "us-east-1"];

/// REST APIs (of one stage) in each member account and region: enough that an unpaced walk
/// reads faster than the quota.
const APIS: usize = 12;

/// An Organization of `members` accounts with [`APIS`] REST APIs in each region.
async fn organization(management: &str, members: usize) -> Vec<String> {
    let names: Vec<String> = (0..members).map(|i| format!("team-{i}")).collect();
    let ids = aws_server::organization_with(management, &names).await;
    for id in &ids {
        for region in REGIONS {
            let conf = role_config(&format!("arn:aws:iam::{id}:role/{ROLE}"), region).await;
            for i in 0..APIS {
                let api = rest_api(&conf, &format!("service-{i}")).await;
                rest_stage(&conf, &api, "prod", &[]).await;
            }
        }
    }
    ids
}

/// Of stagelog's API Gateway requests in `accounts`: the most any account and region received
/// in one second (a sliding window over the server's receive times), and how many the server
/// throttled.
fn api_gateway_pace(requests: &[Value], accounts: &[String]) -> (usize, usize) {
    let mut times: BTreeMap<(String, String), Vec<f64>> = BTreeMap::new();
    let mut throttled = 0;
    for r in requests.iter().filter(|r| {
        r["service"] == "apigateway"
            && r["user_agent"]
                .as_str()
                .unwrap_or("")
                .contains("app/stagelog")
            && accounts.iter().any(|a| r["account"] == a.as_str())
    }) {
        throttled += usize::from(r["throttled"] == true);
        times
            .entry((
                r["account"].as_str().unwrap().to_string(),
                r["region"].as_str().unwrap().to_string(),
            ))
            .or_default()
            .push(r["time"].as_f64().unwrap());
    }
    let most = times
        .values_mut()
        .map(|t| {
            t.sort_by(f64::total_cmp);
            (0..t.len())
                .map(|i| t[i..].iter().take_while(|&&x| x < t[i] + 1.0).count())
                .max()
                .unwrap_or(0)
        })
        .max()
        .unwrap_or(0);
    (most, throttled)
}

fn stage_findings(json: &Value) -> usize {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "SL001")
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organisation_is_walked_within_each_accounts_rate() {
    let management = "772200000001";
    let members = organization(management, 3).await;
    let creds =
        aws_server::role_credentials(&format!("arn:aws:iam::{management}:role/admin")).await;
    let _lock = faults_lock().await;
    // `rate`: stagelog's --max-rate; `quota`: the server's rate (and burst) per account and
    // region.
    let audit = |rate: &'static str, quota: u32| {
        let creds = creds.clone();
        let members = members.clone();
        async move {
            faults(
                &serde_json::json!({
                    "rate": 0,
                    "latency_ms": 20,
                    "rate_limits": {"apigateway": {"rate": quota, "burst": quota}},
                    "accounts": members,
                })
                .to_string(),
            );
            let _ = aws_server::server_delete_requests();
            let out = tokio::task::spawn_blocking(move || {
                aws_server::stagelog_as(
                    &creds,
                    &[
                        "audit",
                        "--org-role",
                        ROLE,
                        "--region",
                        REGIONS[0],
                        "--region",
                        REGIONS[1],
                        "--select",
                        "SL001",
                        "--format",
                        "json",
                        "--max-rate",
                        rate,
                    ],
                )
            })
            .await
            .unwrap();
            let requests = aws_server::requests();
            faults(r#"{"rate": 0}"#);
            let json: Value = serde_json::from_slice(&out.stdout)
                .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
            (json, requests)
        }
    };

    let (polite, requests) = audit("5", 10).await;
    assert_eq!(polite["errors"], serde_json::json!([]), "{polite}");
    assert_eq!(
        stage_findings(&polite),
        members.len() * REGIONS.len() * APIS
    );
    let (most, throttled) = api_gateway_pace(&requests, &members);
    eprintln!("politeness: --max-rate 5: at most {most} API Gateway requests in a second in one account and region, {throttled} throttled");
    // 5 a second, evenly spaced; up to two more where the server received earlier requests
    // late (a busy machine), and never the quota's 10.
    assert!(most <= 7, "{most} requests in one second");
    assert_eq!(throttled, 0);
    // Each member's role is assumed once, for every client of the account.
    let assumed = requests
        .iter()
        .filter(|r| {
            r["operation"] == "AssumeRole"
                && r["user_agent"]
                    .as_str()
                    .unwrap_or("")
                    .contains("app/stagelog")
        })
        .count();
    assert_eq!(assumed, members.len(), "AssumeRole calls");

    // Unpaced, the same walk goes over the accounts' quota — a small one, 2 a second, so it
    // does however busy the machine is: throttled, retried, complete.
    let (eager, requests) = audit("10000", 2).await;
    assert_eq!(eager["errors"], serde_json::json!([]), "{eager}");
    assert_eq!(stage_findings(&eager), stage_findings(&polite));
    let (most, throttled) = api_gateway_pace(&requests, &members);
    eprintln!("politeness: unpaced: at most {most} in a second, {throttled} throttled and retried");
    assert!(
        throttled > 0,
        "the unpaced walk stayed under the quota: {most}/s"
    );
}

/// An account with many log groups of its own costs what its stages need: their groups are
/// read by name, 50 a call, never by listing the account's groups.
#[tokio::test]
async fn log_groups_are_read_by_name_not_by_listing_the_account() {
    let account = "772200000009";
    let region = "ap-southeast-2";
    let conf = aws_server::account_config(account, region).await;
    let logs = aws_sdk_cloudwatchlogs::Client::new(&conf);
    for i in 0..120 {
        logs.create_log_group()
            .log_group_name(format!("/aws/lambda/unrelated-{i:03}"))
            .send()
            .await
            .unwrap();
    }
    let mut stages = 0;
    for i in 0..60 {
        let group = format!("/aws/vendedlogs/apigateway/api-{i:02}");
        logs.create_log_group()
            .log_group_name(&group)
            .send()
            .await
            .unwrap();
        let api = rest_api(&conf, &format!("api-{i:02}")).await;
        let destination = format!("arn:aws:logs:{region}:{account}:log-group:{group}");
        rest_stage(
            &conf,
            &api,
            "prod",
            &[
                ("/accessLogSettings/destinationArn", &destination),
                ("/accessLogSettings/format", "$context.requestId"),
            ],
        )
        .await;
        stages += 1;
    }
    let role = format!("arn:aws:iam::{account}:role/seed");
    let out = tokio::task::spawn_blocking(move || {
        aws_server::stagelog(&[
            "audit",
            "--role-arn",
            &role,
            "--region",
            region,
            "--select",
            "SL003,SL020",
            "--format",
            "json",
        ])
    })
    .await
    .unwrap();
    let json: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(json["errors"], serde_json::json!([]), "{json}");
    // Every destination exists (no SL003) and has no retention (SL020 on each): all were read.
    let sl020 = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "SL020")
        .count();
    assert_eq!(sl020, stages, "{json}");
    let describes: Vec<Value> = aws_server::requests()
        .into_iter()
        .filter(|r| {
            r["operation"] == "DescribeLogGroups"
                && r["region"] == region
                && r["account"] == account
                && r["user_agent"]
                    .as_str()
                    .unwrap_or("")
                    .contains("app/stagelog")
        })
        .collect();
    // 60 access log groups and 60 execution log group names: 120 names, 3 calls of 50.
    assert_eq!(describes.len(), 3, "{describes:?}");
}

//! `--org-role`: an AWS Organization walked from its management account against the test
//! server (moto's Organizations): every active member read through its role, the management
//! account with its own credentials, a suspended account skipped, a member whose role cannot
//! be assumed an error entry while the rest goes on, and `--accounts` / `--exclude-accounts`.
use crate::aws_server;

use aws_server::{account_config, rest_api, rest_stage, role_config, role_credentials};
use serde_json::Value;
use std::collections::BTreeSet;

const ROLE: &str = "OrganizationAccountAccessRole";

struct Org {
    management: String,
    payments: String,
    shop: String,
    legacy: String,
    sandbox: String,
}

/// An Organization of a management account and four members: payments and shop active,
/// legacy closed (SUSPENDED), sandbox whose access role was deleted. Every active account
/// gets a REST API `api-ACCOUNT` with an unlogged stage `prod`.
async fn organization(management: &str) -> Org {
    let names = ["payments", "shop", "legacy", "sandbox"].map(String::from);
    let ids = aws_server::organization_with(management, &names).await;
    let o = Org {
        management: management.to_string(),
        payments: ids[0].clone(),
        shop: ids[1].clone(),
        legacy: ids[2].clone(),
        sandbox: ids[3].clone(),
    };
    let org = aws_sdk_organizations::Client::new(&account_config(management, "eu-west-1").await);
    org.close_account()
        .account_id(&o.legacy)
        .send()
        .await
        .unwrap();
    for account in [&o.management, &o.payments, &o.shop, &o.sandbox] {
        let conf = if *account == o.management {
            account_config(account, "eu-west-1").await
        } else {
            role_config(&format!("arn:aws:iam::{account}:role/{ROLE}"), "eu-west-1").await
        };
        let api = rest_api(&conf, &format!("api-{account}")).await;
        rest_stage(&conf, &api, "prod", &[]).await;
    }
    // Whoever removed sandbox's access role left the organisation unable to enter it.
    let sandbox = role_config(
        &format!("arn:aws:iam::{}:role/{ROLE}", o.sandbox),
        "eu-west-1",
    )
    .await;
    aws_sdk_iam::Client::new(&sandbox)
        .delete_role()
        .role_name(ROLE)
        .send()
        .await
        .unwrap();
    o
}

/// The accounts with an SL001 finding on their `prod` stage.
fn sl001_accounts(json: &Value) -> BTreeSet<String> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "SL001")
        .map(|f| f["account"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_walks_every_active_account_of_the_organization() {
    let o = organization("772100000001").await;
    let creds = role_credentials(&format!("arn:aws:iam::{}:role/admin", o.management)).await;
    let dir = tempfile::tempdir().unwrap();
    let only = dir.path().join("accounts.txt");
    std::fs::write(&only, format!("# payments only\n{}\n", o.payments)).unwrap();
    let only_arg = format!("@{}", only.display());
    let runs = {
        let (creds, shop) = (creds.clone(), o.shop.clone());
        tokio::task::spawn_blocking(move || {
            let audit = |extra: &[&str]| {
                let mut args = vec![
                    "audit",
                    "--org-role",
                    ROLE,
                    "--region",
                    "eu-west-1",
                    "--select",
                    "SL001",
                ];
                args.extend_from_slice(extra);
                aws_server::stagelog_as(&creds, &args)
            };
            (
                audit(&["--format", "json"]),
                audit(&["--format", "text", "--verbose"]),
                audit(&["--format", "json", "--exclude-accounts", &shop]),
                audit(&["--format", "json", "--accounts", &only_arg]),
                audit(&[
                    "--format",
                    "json",
                    "--accounts",
                    &format!("{shop},999999999999"),
                ]),
            )
        })
        .await
        .unwrap()
    };
    let (json_out, text_out, excluded_out, only_out, unknown_out) = runs;

    // Every active account read (the management account with its own credentials), the
    // suspended one skipped without an error, the one without its role an error entry.
    assert_eq!(
        json_out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&json_out.stderr)
    );
    let json: Value = serde_json::from_slice(&json_out.stdout).unwrap();
    assert_eq!(
        sl001_accounts(&json),
        BTreeSet::from([o.management.clone(), o.payments.clone(), o.shop.clone()]),
        "{json:#}"
    );
    let errors = json["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["account"], o.sandbox.as_str());
    let message = errors[0]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!(
            "cannot assume arn:aws:iam::{}:role/{ROLE}",
            o.sandbox
        )) && message.contains("AccessDenied"),
        "{message}"
    );
    assert_eq!(json["summary"]["accounts"], 3);
    assert_eq!(json["summary"]["regions"], 1);
    let notes: Vec<&str> = json["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert_eq!(
        notes,
        [format!(
            "account {} skipped: the Organization says it is SUSPENDED",
            o.legacy
        )]
    );

    // The text report says where it looked; --verbose lists each account's regions.
    let text = String::from_utf8_lossy(&text_out.stdout);
    assert!(
        text.contains("3 findings (3 high, 0 medium, 0 low, 0 info) in 3 stages in 3 accounts and 1 region; 1 error"),
        "{text}"
    );
    let stderr = String::from_utf8_lossy(&text_out.stderr);
    for account in [&o.management, &o.payments, &o.shop] {
        assert!(
            stderr.contains(&format!("  {account}: eu-west-1")),
            "{stderr}"
        );
    }
    assert!(
        stderr.contains(&format!("  {}: skipped (SUSPENDED)", o.legacy)),
        "{stderr}"
    );

    // --exclude-accounts and --accounts @FILE narrow the walk.
    let excluded: Value = serde_json::from_slice(&excluded_out.stdout).unwrap();
    assert_eq!(
        sl001_accounts(&excluded),
        BTreeSet::from([o.management.clone(), o.payments.clone()])
    );
    let only: Value = serde_json::from_slice(&only_out.stdout).unwrap();
    assert_eq!(only_out.status.code(), Some(1), "{only}");
    assert_eq!(sl001_accounts(&only), BTreeSet::from([o.payments.clone()]));
    assert_eq!(only["errors"], serde_json::json!([]));
    // An account the Organization does not list is said, not silently dropped.
    let unknown: Value = serde_json::from_slice(&unknown_out.stdout).unwrap();
    assert_eq!(sl001_accounts(&unknown), BTreeSet::from([o.shop.clone()]));
    assert_eq!(unknown["errors"][0]["account"], "999999999999", "{unknown}");
    assert_eq!(
        unknown["errors"][0]["message"],
        "--accounts names it, but the Organization does not list it"
    );
}

#[test]
fn account_lists_are_checked_before_any_aws_call() {
    let out = aws_server::stagelog(&[
        "audit",
        "--org-role",
        ROLE,
        "--region",
        "eu-west-1",
        "--accounts",
        "12345,111111111111",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--accounts: `12345` is not an AWS account id (12 digits)"),
        "{stderr}"
    );
    // --accounts narrows an organisation walk; without one it is a usage error.
    let out = aws_server::stagelog(&["audit", "--accounts", "111111111111"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--org-role"));
}

#[test]
fn a_caller_outside_any_organization_is_told_where_to_run_from() {
    let out = aws_server::stagelog(&[
        "audit",
        "--org-role",
        ROLE,
        "--region",
        "eu-west-1",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let message = json["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("--org-role: cannot list the Organization's accounts")
            && message.contains("management account"),
        "{message}"
    );
}

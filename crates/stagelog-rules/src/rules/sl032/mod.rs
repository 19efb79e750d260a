//! SL032 account-role-ownership: API Gateway has one CloudWatch role setting per account and
//! region, shared by every REST and WebSocket API there. It belongs to one baseline
//! configuration or stack; one that also declares APIs takes it down when it is destroyed.
use crate::frameworks::{control, NIST, SOC2};
use crate::{describe, Check, Config, Rule};
use stagelog_model::{AccountSettings, Finding, Inventory, Remedy, Severity, SourceKind};

pub(crate) const RULE: Rule = Rule {
    id: "SL032",
    name: "account-role-ownership",
    severity: Severity::Medium,
    summary: "the account's CloudWatch role setting is declared beside APIs, so destroying them resets or orphans it for the whole region (live: it names a role that is gone, or roles for it are left unused)",
    applies_to: "account settings in code (aws_api_gateway_account, AWS::ApiGateway::Account, CDK's CfnAccount, the Serverless Framework's own role); live, the settings' roles and the roles API Gateway may assume",
    doc: include_str!("doc.md"),
    fixes: "nothing: moving the setting to a baseline configuration is listed for a person, with how to move it without resetting it",
    live_only: false,
    bad_terraform: Some(include_str!("examples/bad.tf")),
    mappings: &[
        control(NIST, "CM-2, AU-12"),
        control(SOC2, "CC7.2, CC8.1"),
    ],
    check: Check::Configuration(check),
    across: Some(owners_of_one_setting),
};

fn check(inv: &Inventory, _: &Config, out: &mut Vec<Finding>) {
    if inv.live {
        live(inv, out);
        return;
    }
    // In code: an owner that also declares APIs.
    let Some(first) = inv.stages.first() else {
        return;
    };
    for account in &inv.accounts {
        let (holder, gone) = match account.location.source {
            SourceKind::Terraform => (
                "configuration",
                "destroying it resets the setting (Terraform's AWS provider 6 and later)",
            ),
            SourceKind::Serverless => (
                "service",
                "each service that sets it overwrites it, and removing the service can take its role with it",
            ),
            SourceKind::CloudFormation | SourceKind::Sam | SourceKind::Live => (
                "stack",
                "each stack that declares one overwrites it, and deleting the stack can delete the role it names",
            ),
        };
        out.push(Finding {
            rule_id: RULE.id,
            severity: RULE.severity,
            message: format!(
                "the region's API Gateway CloudWatch role is set in a {holder} that also declares {} stage(s) ({}): {gone}, and every REST and WebSocket API in the account and region stops writing execution logs",
                inv.stages.len(),
                describe(first)
            ),
            remedy: Remedy::manual(
                "keep the account's CloudWatch role setting in one baseline configuration or stack per account and region that declares no APIs; `stagelog explain SL032` shows how to move it without resetting it",
            ),
            fix: String::new(),
            location: Box::new(account.location.clone()),
            stage: None,
            api_kind: None,
            api: None,
        });
    }
}

/// Across a scan: two or more configurations or stacks that set the same account and
/// region's setting (where both are known: a Terraform provider's `region` and
/// `allowed_account_ids` or `assume_role`, a CDK stack's environment). Whichever is applied
/// last wins, and destroying either resets or orphans it: one finding, at the first, naming
/// all.
fn owners_of_one_setting(accounts: &[AccountSettings], out: &mut Vec<Finding>) {
    let mut by_place: std::collections::BTreeMap<(&str, &str), Vec<&AccountSettings>> =
        Default::default();
    for a in accounts.iter().filter(|a| a.location.source != SourceKind::Live) {
        if let (Some(account), Some(region)) = (&a.location.account, &a.location.region) {
            by_place.entry((account, region)).or_default().push(a);
        }
    }
    for ((account, region), mut owners) in by_place {
        if owners.len() < 2 {
            continue;
        }
        let place = |a: &AccountSettings| {
            let called = a
                .location
                .via
                .first()
                .map(|site| format!(", called at {}:{}", site.file, site.line))
                .unwrap_or_default();
            format!(
                "{} ({}:{}{called})",
                a.location.resource,
                a.location.file.as_deref().unwrap_or("?"),
                a.location.line.unwrap_or(0)
            )
        };
        owners.sort_by_key(|a| (a.location.file.clone(), a.location.line));
        let named: Vec<String> = owners.iter().map(|a| place(a)).collect();
        out.push(Finding {
            rule_id: RULE.id,
            severity: RULE.severity,
            message: format!(
                "{} declarations set the API Gateway CloudWatch role of account {account} in {region}: {}; whichever is applied last wins, and destroying any of them resets the setting for every REST and WebSocket API there",
                owners.len(),
                named.join(", ")
            ),
            remedy: Remedy::manual(
                "keep one account resource per account and region, in a baseline configuration or stack that declares no APIs; remove the others from state without destroying them (`stagelog explain SL032` shows how)",
            ),
            fix: String::new(),
            location: Box::new(owners[0].location.clone()),
            stage: None,
            api_kind: None,
            api: None,
        });
    }
}

/// Live: a setting naming a role that is gone (what a deleted owner leaves), and roles trusted
/// by API Gateway that no region's setting uses (what owners that came and went leave; they
/// count toward IAM's role quota).
fn live(inv: &Inventory, out: &mut Vec<Finding>) {
    let finding = |severity, message: String, remedy, location: &stagelog_model::Location| {
        Finding {
            rule_id: RULE.id,
            severity,
            message,
            remedy,
            fix: String::new(),
            location: Box::new(location.clone()),
            stage: None,
            api_kind: None,
            api: None,
        }
    };
    for account in &inv.accounts {
        let (Some(role), Some(arn)) = (&account.role, &account.cloudwatch_role_arn) else {
            continue;
        };
        if !role.exists {
            out.push(finding(
                Severity::High,
                format!(
                    "the API Gateway account settings name the CloudWatch role `{arn}`, which no longer exists (deleted with the stack or configuration that set it?): REST and WebSocket APIs here write no execution logs"
                ),
                Remedy::CloudWatchRole,
                &account.location,
            ));
        }
    }
    if let Some(first) = inv.unused_roles.first() {
        let names: Vec<&str> = inv.unused_roles.iter().map(|r| r.name.as_str()).collect();
        out.push(finding(
            Severity::Info,
            format!(
                "{} role(s) trusted by apigateway.amazonaws.com are named by no region's API Gateway account settings: {} (left behind by stacks that set the account's role, and counting toward IAM's role quota)",
                names.len(),
                names.join(", ")
            ),
            Remedy::manual(
                "delete the roles no setting uses, after checking nothing else assumes them (IAM's last-used date says), and set the account's role from one baseline",
            ),
            &first.location,
        ));
    }
}

//! SL030 account-cloudwatch-role: REST and WebSocket stages write logs only when the account's
//! API Gateway settings name a CloudWatch role in that region.
use crate::frameworks::{control, CIS_AWS, NIST, SOC2};
use crate::{Check, Config, Rule};
use stagelog_model::{Finding, Inventory, Remedy, Severity, Stage};

pub(crate) const RULE: Rule = Rule {
    id: "SL030",
    name: "account-cloudwatch-role",
    severity: Severity::High,
    summary: "no CloudWatch role ARN in API Gateway account settings where REST or WebSocket stages log (info in code that declares no account resource)",
    applies_to:
        "each account and region with REST or WebSocket stages that log (HTTP APIs need no role)",
    doc: include_str!("doc.md"),
    fixes: "nothing in files: the account's CloudWatch role is listed for a person (`fix --live --create-cloudwatch-role` sets one live)",
    live_only: false,
    bad_terraform: Some(include_str!("examples/bad.tf")),
    mappings: &[
        control(CIS_AWS, "4.10"),
        control(NIST, "AU-12"),
        control(SOC2, "CC7.2"),
    ],
    check: Check::Account(check),
    across: None,
};

fn check(inv: &Inventory, _: &Config, out: &mut Vec<Finding>) {
    let logging: Vec<&Stage> = inv
        .stages
        .iter()
        .filter(|s| s.api_kind.has_execution_logging() && s.logs_something())
        .collect();
    let Some(first) = logging.first() else {
        return;
    };
    if inv.accounts.is_empty() {
        // IaC: the role is usually set once per account elsewhere, so this is only a reminder.
        let severity = if inv.live {
            Severity::High
        } else {
            Severity::Info
        };
        out.push(Finding {
            rule_id: RULE.id,
            severity,
            message: format!(
                "{} REST/WebSocket stage(s) here write logs, but this configuration sets no API Gateway account CloudWatch role; logs are delivered only if the account has one in this region",
                logging.len()
            ),
            remedy: Remedy::CloudWatchRole,
            fix: String::new(),
            location: Box::new(first.location.clone()),
            stage: None,
            api_kind: None,
            api: None,
        });
        return;
    }
    for account in &inv.accounts {
        let region_has_logging = logging.iter().any(|s| {
            s.location.region == account.location.region
                && s.location.account == account.location.account
        });
        if account
            .cloudwatch_role_arn
            .as_ref()
            .is_none_or(|r| r.is_empty())
            && region_has_logging
        {
            out.push(Finding {
                rule_id: RULE.id,
                severity: RULE.severity,
                message: "API Gateway account settings have no CloudWatch role ARN, so REST and WebSocket stages cannot write execution or access logs".into(),
                remedy: Remedy::CloudWatchRole,
                fix: String::new(),
                location: Box::new(account.location.clone()),
                stage: None,
                api_kind: None,
                api: None,
            });
        }
    }
}

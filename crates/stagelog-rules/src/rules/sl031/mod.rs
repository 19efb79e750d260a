//! SL031 cloudwatch-role-permissions: the account's CloudWatch role must be assumable by API
//! Gateway and allowed to write logs.
use crate::frameworks::{control, CIS_AWS, NIST, SOC2};
use crate::{Check, Config, Rule};
use stagelog_model::{Finding, Inventory, Remedy, Severity};

pub(crate) const RULE: Rule = Rule {
    id: "SL031",
    name: "cloudwatch-role-permissions",
    severity: Severity::High,
    summary: "the account's CloudWatch role is not trusted by apigateway.amazonaws.com, or lacks logs permissions (a role that no longer exists is SL032's)",
    applies_to: "the CloudWatch role named in API Gateway account settings (live)",
    doc: include_str!("doc.md"),
    fixes: "nothing: a role that exists but is wrong is listed for a person",
    live_only: true,
    bad_terraform: None,
    mappings: &[
        control(CIS_AWS, "4.10"),
        control(NIST, "AU-12, AC-6"),
        control(SOC2, "CC7.2"),
    ],
    check: Check::Account(check),
    across: None,
};

/// What API Gateway needs the role to allow (AmazonAPIGatewayPushToCloudWatchLogs grants these).
pub const REQUIRED_ACTIONS: &[&str] = &[
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:DescribeLogGroups",
    "logs:DescribeLogStreams",
    "logs:PutLogEvents",
    "logs:GetLogEvents",
    "logs:FilterLogEvents",
];

fn check(inv: &Inventory, _: &Config, out: &mut Vec<Finding>) {
    for account in &inv.accounts {
        let (Some(role), Some(arn)) = (&account.role, &account.cloudwatch_role_arn) else {
            continue;
        };
        let mut problems = Vec::new();
        // A setting that names a role that is gone is SL032's: who owns the setting.
        if role.exists {
            if !role.trusts_apigateway {
                problems.push(
                    "has a trust policy that does not let apigateway.amazonaws.com assume it"
                        .to_string(),
                );
            }
            let missing: Vec<&str> = REQUIRED_ACTIONS
                .iter()
                .filter(|a| {
                    !role.allowed_actions.iter().any(|p| action_matches(p, a))
                        || role.denied_actions.iter().any(|p| action_matches(p, a))
                })
                .copied()
                .collect();
            if !missing.is_empty() {
                problems.push(format!("is not allowed {}", missing.join(", ")));
            }
        }
        for p in problems {
            out.push(Finding {
                rule_id: RULE.id,
                severity: RULE.severity,
                message: format!("the API Gateway CloudWatch role `{arn}` {p}"),
                remedy: Remedy::CloudWatchRolePolicy,
                fix: String::new(),
                location: Box::new(account.location.clone()),
                stage: None,
                api_kind: None,
                api: None,
            });
        }
    }
}

/// IAM action matching: case-insensitive, `*` and `?` wildcards.
pub fn action_matches(pattern: &str, action: &str) -> bool {
    fn go(p: &[u8], a: &[u8]) -> bool {
        match (p.first(), a.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&p[1..], a) || (!a.is_empty() && go(p, &a[1..])),
            (Some(b'?'), Some(_)) => go(&p[1..], &a[1..]),
            (Some(x), Some(y)) if x.eq_ignore_ascii_case(y) => go(&p[1..], &a[1..]),
            _ => false,
        }
    }
    go(pattern.as_bytes(), action.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(action_matches("logs:*", "logs:PutLogEvents"));
        assert!(action_matches("*", "logs:PutLogEvents"));
        assert!(action_matches("LOGS:put*", "logs:PutLogEvents"));
        assert!(action_matches("logs:Describe*", "logs:DescribeLogStreams"));
        assert!(!action_matches("logs:Describe*", "logs:PutLogEvents"));
        assert!(!action_matches("s3:*", "logs:PutLogEvents"));
    }
}

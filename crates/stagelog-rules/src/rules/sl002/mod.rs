//! SL002 v2-access-logging: an HTTP or WebSocket API stage must write access logs.
use crate::rules::check_access_logging;
use crate::frameworks::{control, KICS, CDK_NAG, CFN_NAG, CHECKOV, CIS_AWS, CIS_V8, CONFIG, CONTROL_TOWER, FSBP, GUARD, ISO, NIST, PCI, PROWLER, SOC2, TFSEC, TRIVY};
use crate::{Check, Config, Rule};
use stagelog_model::{ApiKind, Finding, Inventory, Severity};

pub(crate) const RULE: Rule = Rule {
    id: "SL002",
    name: "v2-access-logging",
    severity: Severity::High,
    summary: "HTTP or WebSocket API stage has no access log settings or destination",
    applies_to: "HTTP and WebSocket API (v2) stages, including quick-create `$default` stages",
    doc: include_str!("doc.md"),
    fixes: "as SL001: `access_log_settings` on the v2 stage and a new log group",
    live_only: false,
    bad_terraform: Some(include_str!("examples/bad.tf")),
    mappings: &[
        control(CIS_AWS, "4.10"),
        // W46: a v2 stage without AccessLogSettings.
        control(CFN_NAG, "W46"),
        control(CONTROL_TOWER, "CT.APIGATEWAY.PR.4"),
        control(SOC2, "CC7.2, CC7.3"),
        control(NIST, "AU-2, AU-3, AU-12"),
        control(PCI, "10.2.1"),
        control(ISO, "A.8.15"),
        control(FSBP, "APIGateway.9"),
        control(CIS_V8, "8.2, 8.5"),
        control(CONFIG, "api-gwv2-access-logs-enabled"),
        control(CHECKOV, "CKV_AWS_95"),
        // AVD-AWS-0116 is SAM's `AWS::Serverless::HttpApi` access logging.
        control(TRIVY, "AVD-AWS-0001, AVD-AWS-0116"),
        // Terraform's "API Gateway Access Logging Disabled"; CloudFormation's "API Gateway V2
        // Stage Access Logging Settings Not Defined".
        control(
            KICS,
            "1b6799eb-4a7a-4b04-9001-8cceb9999326, 80d45af4-4920-4236-a56e-b7ef419d1941",
        ),
        control(CDK_NAG, "AwsSolutions-APIG1"),
        control(GUARD, "API_GWV2_ACCESS_LOGS_ENABLED"),
        control(TFSEC, "aws-api-gateway-enable-access-logging"),
        control(PROWLER, "apigatewayv2_api_access_logging_enabled"),
    ],
    check: Check::Stage(check),
    across: None,
};

fn check(inv: &Inventory, config: &Config, out: &mut Vec<Finding>) {
    check_access_logging(&RULE, inv, config, ApiKind::is_v2, out);
}

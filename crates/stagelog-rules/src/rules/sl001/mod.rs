//! SL001 rest-access-logging: a REST API stage must write access logs.
use crate::rules::check_access_logging;
use crate::frameworks::{control, KICS, CDK_NAG, CFN_NAG, CHECKOV, CIS_AWS, CIS_V8, CONFIG, GUARD, ISO, NIST, PCI, SOC2, TFSEC, TRIVY};
use crate::{Check, Config, Rule};
use stagelog_model::{ApiKind, Finding, Inventory, Severity};

pub(crate) const RULE: Rule = Rule {
    id: "SL001",
    name: "rest-access-logging",
    severity: Severity::High,
    summary: "REST API stage has no access log destination",
    applies_to: "REST API (v1) stages",
    doc: include_str!("doc.md"),
    fixes: "an `access_log_settings` block with a JSON format carrying every SL005 field valid for the API kind, and a new `aws_cloudwatch_log_group` named by `--log-group-name` (default `/aws/vendedlogs/apigateway/{api-name}/{stage}`: `{api-name}` is the API's name, `{api}` its id, `{stage}` the stage's name or the expression it is written with; an unknown placeholder is an error) with the policy's retention (`min_retention_days`, default 365; `--retention-days` must be a value CloudWatch Logs accepts)",
    live_only: false,
    bad_terraform: Some(include_str!("examples/bad.tf")),
    mappings: &[
        control(CIS_AWS, "4.10"),
        control(SOC2, "CC7.2, CC7.3"),
        control(NIST, "AU-2, AU-3, AU-12"),
        control(PCI, "10.2.1"),
        control(ISO, "A.8.15"),
        control(CIS_V8, "8.2, 8.5"),
        // AWS Config's rule for AWS::ApiGateway::Stage (REST) access logging.
        control(CONFIG, "apigateway-stage-access-logs-enabled"),
        control(CHECKOV, "CKV_AWS_76"),
        // AVD-AWS-0113 is SAM's `AWS::Serverless::Api` (REST) access logging.
        control(TRIVY, "AVD-AWS-0001, AVD-AWS-0113"),
        // Terraform's "API Gateway Access Logging Disabled" (v1 and v2 stages); CloudFormation's
        // "API Gateway Deployment Without Access Log Setting".
        control(
            KICS,
            "1b6799eb-4a7a-4b04-9001-8cceb9999326, 06ec63e3-9f72-4fe2-a218-2eb9200b8db5",
        ),
        control(CDK_NAG, "AwsSolutions-APIG1"),
        control(GUARD, "API_GW_STAGE_ACCESS_LOGGING_RULE"),
        control(TFSEC, "aws-api-gateway-enable-access-logging"),
        // W45 is a Deployment's StageDescription without AccessLogSetting: access logging.
        control(CFN_NAG, "W69, W45"),
    ],
    check: Check::Stage(check),
    across: None,
};

fn check(inv: &Inventory, config: &Config, out: &mut Vec<Finding>) {
    check_access_logging(&RULE, inv, config, |k| k == ApiKind::Rest, out);
}

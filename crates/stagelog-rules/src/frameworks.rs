//! Compliance frameworks and peer tools, mapped to rules. The one place this mapping lives:
//! `explain` prints it and machine-readable reports carry it.

pub struct Mapping {
    pub rule_id: &'static str,
    pub framework: &'static str,
    pub control: &'static str,
}

const fn m(rule_id: &'static str, framework: &'static str, control: &'static str) -> Mapping {
    Mapping {
        rule_id,
        framework,
        control,
    }
}

pub const CIS_AWS: &str = "CIS AWS Foundations Benchmark v7.0.0";
pub const CONTROL_TOWER: &str = "AWS Control Tower";
pub const SOC2: &str = "SOC 2";
pub const NIST: &str = "NIST 800-53 rev5";
pub const PCI: &str = "PCI DSS 4.0";
pub const ISO: &str = "ISO 27001:2022";
pub const FSBP: &str = "AWS Security Hub (FSBP)";
pub const CIS_V8: &str = "CIS Controls v8";
pub const CHECKOV: &str = "Checkov";
pub const TRIVY: &str = "Trivy";
pub const TFSEC: &str = "tfsec";
pub const PROWLER: &str = "Prowler";
pub const CFN_NAG: &str = "cfn_nag";
pub const KICS: &str = "KICS";
pub const CDK_NAG: &str = "cdk-nag";
pub const GUARD: &str = "AWS Guard";
pub const CONFIG: &str = "AWS Config";

/// Scanners whose ids the table maps so their suppressions carry over; not compliance
/// frameworks (ASFF's RelatedRequirements leaves them out).
pub const PEER_TOOLS: &[&str] = &[
    CHECKOV, TRIVY, TFSEC, PROWLER, CFN_NAG, KICS, CDK_NAG, GUARD,
];

pub const MAPPINGS: &[Mapping] = &[
    m("SL001", CIS_AWS, "4.10"),
    m("SL001", SOC2, "CC7.2, CC7.3"),
    m("SL001", NIST, "AU-2, AU-3, AU-12"),
    m("SL001", PCI, "10.2.1"),
    m("SL001", ISO, "A.8.15"),
    m("SL001", CIS_V8, "8.2, 8.5"),
    m("SL001", CHECKOV, "CKV_AWS_76"),
    // AVD-AWS-0113 is SAM's `AWS::Serverless::Api` (REST) access logging.
    m("SL001", TRIVY, "AVD-AWS-0001, AVD-AWS-0113"),
    // Terraform's "API Gateway Access Logging Disabled" (v1 and v2 stages); CloudFormation's
    // "API Gateway Deployment Without Access Log Setting".
    m(
        "SL001",
        KICS,
        "1b6799eb-4a7a-4b04-9001-8cceb9999326, 06ec63e3-9f72-4fe2-a218-2eb9200b8db5",
    ),
    m("SL001", CDK_NAG, "AwsSolutions-APIG1"),
    m("SL001", GUARD, "API_GW_STAGE_ACCESS_LOGGING_RULE"),
    m("SL001", TFSEC, "aws-api-gateway-enable-access-logging"),
    // W45 is a Deployment's StageDescription without AccessLogSetting: access logging.
    m("SL001", CFN_NAG, "W69, W45"),
    m("SL002", CIS_AWS, "4.10"),
    // W46: a v2 stage without AccessLogSettings.
    m("SL002", CFN_NAG, "W46"),
    m("SL002", CONTROL_TOWER, "CT.APIGATEWAY.PR.4"),
    m("SL002", SOC2, "CC7.2, CC7.3"),
    m("SL002", NIST, "AU-2, AU-3, AU-12"),
    m("SL002", PCI, "10.2.1"),
    m("SL002", ISO, "A.8.15"),
    m("SL002", FSBP, "APIGateway.9"),
    m("SL002", CIS_V8, "8.2, 8.5"),
    m("SL002", CONFIG, "api-gwv2-access-logs-enabled"),
    m("SL002", CHECKOV, "CKV_AWS_95"),
    // AVD-AWS-0116 is SAM's `AWS::Serverless::HttpApi` access logging.
    m("SL002", TRIVY, "AVD-AWS-0001, AVD-AWS-0116"),
    // Terraform's "API Gateway Access Logging Disabled"; CloudFormation's "API Gateway V2
    // Stage Access Logging Settings Not Defined".
    m(
        "SL002",
        KICS,
        "1b6799eb-4a7a-4b04-9001-8cceb9999326, 80d45af4-4920-4236-a56e-b7ef419d1941",
    ),
    m("SL002", CDK_NAG, "AwsSolutions-APIG1"),
    m("SL002", GUARD, "API_GWV2_ACCESS_LOGS_ENABLED"),
    m("SL002", TFSEC, "aws-api-gateway-enable-access-logging"),
    m("SL002", PROWLER, "apigatewayv2_api_access_logging_enabled"),
    m("SL003", SOC2, "CC7.2"),
    m("SL003", NIST, "AU-9"),
    m("SL003", ISO, "A.8.15"),
    m("SL004", SOC2, "CC7.2"),
    m("SL004", NIST, "AU-3"),
    m("SL004", PCI, "10.2.2"),
    m("SL005", NIST, "AU-3"),
    m("SL005", PCI, "10.2.2"),
    m("SL005", CIS_V8, "8.5"),
    m("SL010", SOC2, "CC7.2, CC7.3, A1.2, PI1.2"),
    m("SL010", NIST, "AU-2, AU-12"),
    m("SL010", PCI, "10.2.1"),
    m("SL010", ISO, "A.8.15"),
    m("SL010", FSBP, "APIGateway.1"),
    m("SL010", CONFIG, "api-gw-execution-logging-enabled"),
    m("SL010", CONTROL_TOWER, "CT.APIGATEWAY.PR.1"),
    m("SL010", CHECKOV, "CKV2_AWS_4"),
    // "API Gateway With CloudWatch Logging Disabled" (no execution log group).
    m("SL010", KICS, "982aa526-6970-4c59-8b9b-2ce7e019fe36"),
    m("SL010", CDK_NAG, "AwsSolutions-APIG6"),
    m("SL010", GUARD, "API_GW_EXECUTION_LOGGING_ENABLED"),
    m("SL010", PROWLER, "apigateway_restapi_logging_enabled"),
    m("SL011", NIST, "SI-11"),
    m("SL011", PCI, "3.3.1"),
    m("SL011", CHECKOV, "CKV_AWS_276"),
    m("SL006", NIST, "AU-9"),
    m("SL006", CIS_V8, "8.9"),
    m("SL020", NIST, "AU-11"),
    m("SL020", PCI, "10.5.1"),
    m("SL020", CIS_V8, "8.10"),
    m("SL021", NIST, "AU-9, SC-28"),
    m("SL021", PCI, "10.3.2"),
    m("SL030", CIS_AWS, "4.10"),
    m("SL030", NIST, "AU-12"),
    m("SL030", SOC2, "CC7.2"),
    m("SL031", CIS_AWS, "4.10"),
    m("SL031", NIST, "AU-12, AC-6"),
    m("SL031", SOC2, "CC7.2"),
    m("SL040", SOC2, "CC7.2"),
    m("SL040", NIST, "AU-5, AU-12"),
    m("SL040", PCI, "10.7.1"),
    m("SL040", ISO, "A.8.15"),
    m("SL041", NIST, "AU-3"),
    m("SL041", PCI, "10.2.2"),
    // Documented exceptions: deficiencies tracked with a reason (a plan of action).
    m("SL090", NIST, "CA-5"),
    m("SL090", SOC2, "CC4.2"),
];

pub fn for_rule(rule_id: &str) -> impl Iterator<Item = &'static Mapping> + '_ {
    MAPPINGS.iter().filter(move |m| m.rule_id == rule_id)
}

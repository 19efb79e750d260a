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
pub const CONFIG: &str = "AWS Config";

pub const MAPPINGS: &[Mapping] = &[
    m("SL001", CIS_AWS, "4.10"),
    m("SL001", SOC2, "CC7.2, CC7.3"),
    m("SL001", NIST, "AU-2, AU-3, AU-12"),
    m("SL001", PCI, "10.2.1"),
    m("SL001", ISO, "A.8.15"),
    m("SL001", CIS_V8, "8.2, 8.5"),
    m("SL001", CHECKOV, "CKV_AWS_76"),
    m("SL001", TRIVY, "AVD-AWS-0001"),
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
    m("SL002", TRIVY, "AVD-AWS-0001"),
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

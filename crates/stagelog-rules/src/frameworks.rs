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

// Each framework by its name and version, as auditors cite it.
pub const CIS_AWS: &str = "CIS AWS Foundations Benchmark v7.0.0";
pub const CONTROL_TOWER: &str = "AWS Control Tower proactive controls";
pub const SOC2: &str = "SOC 2 (2017 Trust Services Criteria, rev. 2022)";
pub const NIST: &str = "NIST SP 800-53 Rev. 5";
pub const PCI: &str = "PCI DSS v4.0";
pub const ISO: &str = "ISO/IEC 27001:2022";
pub const FSBP: &str = "AWS Foundational Security Best Practices v1.0.0 (Security Hub)";
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

/// Where each framework or peer tool defines what it maps.
const SOURCES: &[(&str, &str)] = &[
    (CIS_AWS, "https://www.cisecurity.org/benchmark/amazon_web_services"),
    (CIS_V8, "https://www.cisecurity.org/controls/v8"),
    (SOC2, "https://www.aicpa-cima.com/resources/download/2017-trust-services-criteria-with-revised-points-of-focus-2022"),
    (NIST, "https://csrc.nist.gov/pubs/sp/800/53/r5/upd1/final"),
    (PCI, "https://www.pcisecuritystandards.org/document_library/"),
    (ISO, "https://www.iso.org/standard/27001"),
    (FSBP, "https://docs.aws.amazon.com/securityhub/latest/userguide/apigateway-controls.html"),
    (CONTROL_TOWER, "https://docs.aws.amazon.com/controltower/latest/controlreference/api-gateway-rules.html"),
    (CONFIG, "https://docs.aws.amazon.com/config/latest/developerguide/managed-rules-by-aws-config.html"),
    (CHECKOV, "https://www.checkov.io/5.Policy%20Index/all.html"),
    (TRIVY, "https://avd.aquasec.com/misconfig/aws/api-gateway/"),
    (TFSEC, "https://aquasecurity.github.io/tfsec/latest/checks/aws/api-gateway/"),
    (PROWLER, "https://hub.prowler.com/"),
    (CFN_NAG, "https://github.com/stelligent/cfn_nag"),
    (KICS, "https://docs.kics.io/latest/queries/all-queries/"),
    (CDK_NAG, "https://github.com/cdklabs/cdk-nag/blob/main/RULES.md"),
    (GUARD, "https://github.com/aws-cloudformation/aws-guard-rules-registry"),
];

/// The controls' own titles, as each framework words them (the ones stagelog maps to).
const TITLES: &[(&str, &str, &str)] = &[
    (CIS_AWS, "4.10", "Ensure all AWS-managed web front-end services have access logging enabled"),
    (FSBP, "APIGateway.1", "API Gateway REST and WebSocket API execution logging should be enabled"),
    (FSBP, "APIGateway.9", "Access logging should be configured for API Gateway V2 Stages"),
    (CONTROL_TOWER, "CT.APIGATEWAY.PR.1", "Require an Amazon API Gateway REST and WebSocket API to have logging activated"),
    (CONTROL_TOWER, "CT.APIGATEWAY.PR.4", "Require Amazon API Gateway V2 stages to have access logging activated"),
    (CIS_V8, "8.2", "Collect Audit Logs"),
    (CIS_V8, "8.5", "Collect Detailed Audit Logs"),
    (CIS_V8, "8.9", "Centralize Audit Logs"),
    (CIS_V8, "8.10", "Retain Audit Logs"),
    (NIST, "AU-2", "Event Logging"),
    (NIST, "AU-3", "Content of Audit Records"),
    (NIST, "AU-5", "Response to Audit Logging Process Failures"),
    (NIST, "AU-9", "Protection of Audit Information"),
    (NIST, "AU-11", "Audit Record Retention"),
    (NIST, "AU-12", "Audit Record Generation"),
    (NIST, "AC-6", "Least Privilege"),
    (NIST, "CA-5", "Plan of Action and Milestones"),
    (NIST, "SC-28", "Protection of Information at Rest"),
    (NIST, "SI-11", "Error Handling"),
    (PCI, "3.3.1", "Sensitive authentication data is not retained after authorization"),
    (PCI, "10.2.1", "Audit logs are enabled and active for all system components and cardholder data"),
    (PCI, "10.2.2", "Audit logs record the details of each auditable event"),
    (PCI, "10.3.2", "Audit log files are protected to prevent modifications by individuals"),
    (PCI, "10.5.1", "Retain audit log history for at least 12 months"),
    (PCI, "10.7.1", "Failures of critical security control systems are detected, alerted, and addressed promptly"),
    (ISO, "A.8.15", "Logging"),
    (SOC2, "CC4.2", "The entity evaluates and communicates internal control deficiencies"),
    (SOC2, "CC7.2", "The entity monitors system components for anomalies"),
    (SOC2, "CC7.3", "The entity evaluates security events"),
    (SOC2, "A1.2", "Environmental protections, software, data back-up and recovery infrastructure"),
    (SOC2, "PI1.2", "System inputs are complete and accurate"),
];

/// Where `framework` is defined.
pub fn source(framework: &str) -> Option<&'static str> {
    SOURCES
        .iter()
        .find(|(f, _)| *f == framework)
        .map(|(_, u)| *u)
}

/// The title of one control of a framework, where stagelog quotes it.
pub fn title(framework: &str, control: &str) -> Option<&'static str> {
    TITLES
        .iter()
        .find(|(f, c, _)| *f == framework && *c == control)
        .map(|(_, _, t)| *t)
}

impl Mapping {
    /// Each control id of the mapping (`AU-2, AU-12` is two), with its title when known.
    pub fn controls(&self) -> impl Iterator<Item = (&'static str, Option<&'static str>)> + '_ {
        self.control
            .split(", ")
            .map(|c| (c, title(self.framework, c)))
    }

    /// `NIST SP 800-53 Rev. 5 AU-2 (Event Logging), AU-12 (Audit Record Generation)`.
    pub fn cited(&self) -> String {
        let controls: Vec<String> = self
            .controls()
            .map(|(c, t)| match t {
                Some(t) => format!("{c} \"{t}\""),
                None => c.to_string(),
            })
            .collect();
        format!("{} {}", self.framework, controls.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_framework_and_tool_says_where_it_is_defined_and_frameworks_their_version() {
        for m in MAPPINGS {
            assert!(source(m.framework).is_some(), "{}: no source", m.framework);
            // AWS Config rules and Control Tower controls are service catalogs without versions.
            let is_tool = PEER_TOOLS.contains(&m.framework)
                || m.framework == CONFIG
                || m.framework == CONTROL_TOWER;
            if !is_tool {
                assert!(
                    m.framework.chars().any(|c| c.is_ascii_digit()),
                    "{}: a framework is cited with its version",
                    m.framework
                );
            }
        }
        // Titles name controls the table maps.
        for (f, c, _) in TITLES {
            assert!(
                MAPPINGS
                    .iter()
                    .any(|m| m.framework == *f && m.controls().any(|(x, _)| x == *c)),
                "{f} {c} is titled but not mapped"
            );
        }
        let cis = MAPPINGS
            .iter()
            .find(|m| m.rule_id == "SL001" && m.framework == CIS_AWS)
            .unwrap();
        assert_eq!(
            cis.cited(),
            "CIS AWS Foundations Benchmark v7.0.0 4.10 \"Ensure all AWS-managed web front-end services have access logging enabled\""
        );
    }
}

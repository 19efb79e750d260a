//! Compliance frameworks and peer tools: their names, where each is defined, the titles of the
//! controls stagelog cites. Which controls a rule maps to is declared with the rule
//! ([`crate::Rule::mappings`]); `explain` prints it, machine-readable reports carry it, and
//! suppression marks written for a peer tool map through it.

/// One rule's mapping to one framework or peer tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mapping {
    pub rule_id: &'static str,
    pub framework: &'static str,
    /// The control id(s), comma-separated: `AU-2, AU-12`.
    pub control: &'static str,
}

/// A control of a framework, as a rule declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Control {
    pub framework: &'static str,
    pub control: &'static str,
}

/// `framework`'s `control`, for a rule's `mappings`.
pub const fn control(framework: &'static str, control: &'static str) -> Control {
    Control { framework, control }
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

/// Every rule's mappings, in the registry's order.
pub fn mappings() -> impl Iterator<Item = Mapping> {
    crate::registry().iter().flat_map(|r| {
        r.mappings.iter().map(|c| Mapping {
            rule_id: r.id,
            framework: c.framework,
            control: c.control,
        })
    })
}

/// One rule's mappings, as it declares them.
pub fn for_rule(rule_id: &str) -> impl Iterator<Item = Mapping> + '_ {
    mappings().filter(move |m| m.rule_id == rule_id)
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
    // AWS Config's managed rules, as their pages (checked 2026-12-06) describe them.
    (CONFIG, "apigateway-stage-access-logs-enabled", "Checks if Amazon API Gateway stages (AWS::ApiGateway::Stage) have access logging enabled"),
    (CONFIG, "api-gwv2-access-logs-enabled", "Checks if Amazon API Gateway V2 stages have access logging enabled"),
    (CONFIG, "api-gw-execution-logging-enabled", "Checks if all methods in Amazon API Gateway stages have logging enabled at ERROR or INFO"),
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
        for m in mappings() {
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
                mappings().any(|m| m.framework == *f && m.controls().any(|(x, _)| x == *c)),
                "{f} {c} is titled but not mapped"
            );
        }
        // AWS Config's rule for REST stages' access logs is SL001's; v2 stages' is SL002's.
        let config = |rule: &str| {
            mappings()
                .filter(|m| m.rule_id == rule && m.framework == CONFIG)
                .map(|m| m.control)
                .collect::<Vec<_>>()
        };
        assert_eq!(config("SL001"), ["apigateway-stage-access-logs-enabled"]);
        assert_eq!(config("SL002"), ["api-gwv2-access-logs-enabled"]);
        assert_eq!(config("SL010"), ["api-gw-execution-logging-enabled"]);
        let cis = mappings()
            .find(|m| m.rule_id == "SL001" && m.framework == CIS_AWS)
            .unwrap();
        assert_eq!(
            cis.cited(),
            "CIS AWS Foundations Benchmark v7.0.0 4.10 \"Ensure all AWS-managed web front-end services have access logging enabled\""
        );
    }
}

//! Which findings the suppression marks in the sources silence. The adapters collect marks as
//! written (`stagelog_model::Mark`, with the peer tool's own ids); here a mark's id is mapped
//! to rules — stagelog's ids and prefixes directly, a peer's through the one framework table
//! (`stagelog_rules::frameworks`) — so a team moving from Checkov, Trivy/tfsec, KICS, cfn_nag,
//! cdk-nag or Guard keeps its marks.

use stagelog_model::{Finding, Mark, MarkTool};
use stagelog_rules::frameworks;

/// A mark that suppresses a finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    pub by: MarkTool,
    /// The reason given, if any: a suppression without one is reported (SL090).
    pub reason: Option<String>,
    /// The mark as written, for messages.
    pub mark: String,
    pub line: Option<u32>,
}

/// The framework table's name for a tool's ids.
fn framework(tool: MarkTool) -> Option<&'static str> {
    match tool {
        MarkTool::Stagelog => None,
        MarkTool::Checkov => Some(frameworks::CHECKOV),
        MarkTool::Trivy => Some(frameworks::TRIVY),
        MarkTool::Tfsec => Some(frameworks::TFSEC),
        MarkTool::Kics => Some(frameworks::KICS),
        MarkTool::CfnNag => Some(frameworks::CFN_NAG),
        MarkTool::CdkNag => Some(frameworks::CDK_NAG),
        MarkTool::Guard => Some(frameworks::GUARD),
    }
}

/// Rule ids a mark names: stagelog ids (or prefixes) directly, peer ids through the table.
pub fn rules_for(by: MarkTool, id: &str) -> Vec<&'static str> {
    let id = id.trim();
    let Some(framework) = framework(by) else {
        return stagelog_rules::registry()
            .iter()
            .filter(|r| stagelog_rules::id_matches(id, r.id))
            .map(|r| r.id)
            .collect();
    };
    let mut rules: Vec<&'static str> = frameworks::mappings()
        .filter(|m| {
            // Trivy reads tfsec's marks too.
            (m.framework == framework
                || (by == MarkTool::Trivy && m.framework == frameworks::TFSEC))
                // KICS's ignore-line/ignore-block silence every KICS query there.
                && (id == Mark::ANY
                    || m.control
                        .split(',')
                        .any(|c| c.trim().eq_ignore_ascii_case(id)))
        })
        .map(|m| m.rule_id)
        .collect();
    rules.dedup();
    rules
}

/// A mark as its tool writes it, for messages.
fn written(m: &Mark) -> String {
    match m.by {
        MarkTool::Stagelog => format!("stagelog:ignore {}", m.id),
        MarkTool::Checkov => format!("checkov:skip={}", m.id),
        MarkTool::Trivy => format!("trivy:ignore:{}", m.id),
        MarkTool::Tfsec => format!("tfsec:ignore:{}", m.id),
        MarkTool::Kics if m.id == Mark::ANY => "kics-scan ignore".to_string(),
        MarkTool::Kics => format!("kics-scan disable={}", m.id),
        MarkTool::CdkNag => format!("cdk_nag rules_to_suppress {}", m.id),
        MarkTool::Guard => format!("guard SuppressedRules {}", m.id),
        MarkTool::CfnNag => format!("cfn_nag rules_to_suppress {}", m.id),
    }
}

/// For each finding, the mark the scan collected that suppresses it, if any.
pub fn inline_suppressions<'m>(
    findings: &[Finding],
    marks: impl Iterator<Item = &'m Mark> + Clone,
) -> Vec<Option<Suppression>> {
    // Indexed by file once: a scan has thousands of findings and of files with no mark.
    let mut by_file: std::collections::HashMap<&str, Vec<&Mark>> = Default::default();
    for m in marks {
        by_file.entry(m.file.as_str()).or_default().push(m);
    }
    findings
        .iter()
        .map(|f| {
            let file = f.location.file.as_deref()?;
            by_file
                .get(file)?
                .iter()
                .copied()
                .filter(|m| match (m.lines, &m.resource) {
                    (Some((first, last)), _) => {
                        f.location.line.is_some_and(|l| l >= first && l <= last)
                    }
                    (None, Some(r)) => *r == f.location.resource,
                    (None, None) => false,
                })
                .find(|m| rules_for(m.by, &m.id).contains(&f.rule_id))
                .map(|m| Suppression {
                    by: m.by,
                    mark: written(m),
                    reason: m.reason.clone(),
                    line: Some(m.line),
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_ids_map_to_rules_through_the_framework_table() {
        assert_eq!(rules_for(MarkTool::Checkov, "CKV_AWS_76"), ["SL001"]);
        assert_eq!(
            rules_for(MarkTool::Trivy, "AVD-AWS-0001"),
            ["SL001", "SL002"]
        );
        assert_eq!(
            rules_for(MarkTool::Trivy, "aws-api-gateway-enable-access-logging"),
            ["SL001", "SL002"]
        );
        // cfn_nag's W45 and W46 are access-logging rules.
        assert_eq!(rules_for(MarkTool::CfnNag, "W45"), ["SL001"]);
        assert_eq!(rules_for(MarkTool::CfnNag, "W46"), ["SL002"]);
        assert_eq!(rules_for(MarkTool::Trivy, "AVD-AWS-0113"), ["SL001"]);
        assert_eq!(rules_for(MarkTool::Trivy, "AVD-AWS-0116"), ["SL002"]);
        assert_eq!(
            rules_for(MarkTool::CdkNag, "AwsSolutions-APIG1"),
            ["SL001", "SL002"]
        );
        assert_eq!(rules_for(MarkTool::CdkNag, "AwsSolutions-APIG6"), ["SL010"]);
        assert_eq!(
            rules_for(MarkTool::Guard, "API_GWV2_ACCESS_LOGS_ENABLED"),
            ["SL002"]
        );
        assert_eq!(
            rules_for(MarkTool::Kics, Mark::ANY),
            ["SL001", "SL002", "SL010"]
        );
    }

    #[test]
    fn stagelog_ids_and_prefixes_name_the_registry_rules() {
        let all: Vec<&str> = stagelog_rules::registry().iter().map(|r| r.id).collect();
        let under = |prefix: &str| -> Vec<&str> {
            all.iter()
                .copied()
                .filter(|id| id.starts_with(prefix))
                .collect()
        };
        assert_eq!(rules_for(MarkTool::Stagelog, "sl00"), under("SL00"));
        assert!(rules_for(MarkTool::Stagelog, "sl00").len() >= 6);
        assert_eq!(rules_for(MarkTool::Stagelog, "SL010"), ["SL010"]);
        assert!(rules_for(MarkTool::Stagelog, "SL999").is_empty());
    }
}

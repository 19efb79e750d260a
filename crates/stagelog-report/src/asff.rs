//! AWS Security Finding Format (ASFF) for Security Hub: one finding per stage × rule, with the
//! Security Hub control id where one exists, the framework requirements, compliance status and
//! a remediation URL. Ids are stable (rule + file + resource), so a later import updates the
//! same finding and findings no longer reported can be marked RESOLVED.

use crate::Report;
use serde_json::{json, Value};
use stagelog_model::{Finding, Severity};
use stagelog_rules::frameworks;

/// What ASFF needs that a finding may not carry (IaC findings have no account or region).
#[derive(Debug, Clone)]
pub struct AsffOptions {
    /// RFC 3339 time for `CreatedAt`/`UpdatedAt`.
    pub generated_at: String,
    pub default_account: String,
    pub default_region: String,
}

impl AsffOptions {
    /// Now (or `SOURCE_DATE_EPOCH`, for reproducible output), account `000000000000` and
    /// region `us-east-1` where a finding has none.
    pub fn from_env() -> AsffOptions {
        AsffOptions {
            generated_at: rfc3339(now_secs()),
            default_account: "000000000000".into(),
            default_region: "us-east-1".into(),
        }
    }
}

/// Seconds since the epoch: `SOURCE_DATE_EPOCH` when set (reproducible reports), else now.
pub fn now_secs() -> i64 {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0)
        })
}

/// `2026-11-24T01:02:03Z`.
pub fn rfc3339(secs: i64) -> String {
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs.max(0) as u64);
    humantime::format_rfc3339_seconds(at).to_string()
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}

/// The stable id of a finding: the same problem in the same place keeps it across runs.
pub fn finding_id(f: &Finding) -> String {
    // One IaC resource can declare several stages (SAM's `Prod` and `Stage`).
    match (&f.location.file, &f.stage) {
        (Some(file), Some(stage)) => {
            format!(
                "stagelog/{}/{file}/{}/{stage}",
                f.rule_id, f.location.resource
            )
        }
        (Some(file), None) => format!("stagelog/{}/{file}/{}", f.rule_id, f.location.resource),
        (None, _) => format!("stagelog/{}/{}", f.rule_id, f.location.resource),
    }
}

fn resource_type(resource: &str) -> &'static str {
    if resource.starts_with("arn:aws:logs:")
        || resource.starts_with("arn:aws-") && resource.contains(":logs:")
    {
        "AwsLogsLogGroup"
    } else if resource.contains("/restapis/") && resource.contains("/stages/") {
        "AwsApiGatewayStage"
    } else if resource.contains("/apis/") && resource.contains("/stages/") {
        "AwsApiGatewayV2Stage"
    } else if resource.ends_with("::/account") {
        "AwsAccount"
    } else {
        "Other"
    }
}

/// The findings as ASFF objects.
pub fn asff_findings(report: &Report, opts: &AsffOptions) -> Vec<Value> {
    report
        .findings
        .iter()
        .map(|f| {
            let account = f.location.account.as_deref().unwrap_or(&opts.default_account);
            let region = f.location.region.as_deref().unwrap_or(&opts.default_region);
            let rule = stagelog_rules::find(f.rule_id);
            let label = match f.severity {
                Severity::High => "HIGH",
                Severity::Medium => "MEDIUM",
                Severity::Low => "LOW",
                Severity::Info => "INFORMATIONAL",
            };
            let url = rule
                .and_then(|r| r.doc().section("References").map(str::to_string))
                .and_then(|refs| {
                    refs.lines()
                        .find_map(|l| l.trim().strip_prefix("- ").filter(|u| u.starts_with("https://")).map(str::to_string))
                })
                .unwrap_or_else(|| "https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html".into());
            let mapped: Vec<_> = frameworks::for_rule(f.rule_id)
                .filter(|m| !frameworks::PEER_TOOLS.contains(&m.framework))
                .take(32)
                .collect();
            // Each requirement with the framework's version and the control's title.
            let requirements: Vec<String> = mapped.iter().map(|m| truncate(&m.cited(), 256)).collect();
            let mut sources: Vec<String> = mapped
                .iter()
                .filter_map(|m| frameworks::source(m.framework).map(|u| format!("{}: {u}", m.framework)))
                .collect();
            sources.dedup();
            let control = frameworks::for_rule(f.rule_id)
                .find(|m| m.framework == frameworks::FSBP)
                .map(|m| m.control.split(',').next().unwrap_or(m.control).trim().to_string());
            let mut compliance = json!({"Status": "FAILED", "RelatedRequirements": requirements});
            if let Some(c) = control {
                compliance["SecurityControlId"] = json!(c);
            }
            let mut product_fields = json!({
                "stagelog/RuleId": f.rule_id,
                "stagelog/RuleName": rule.map(|r| r.name).unwrap_or(""),
            });
            if !sources.is_empty() {
                product_fields["stagelog/RequirementSources"] = json!(truncate(&sources.join(" | "), 2048));
            }
            if let Some(file) = &f.location.file {
                let at = match f.location.line {
                    Some(l) => format!("{file}:{l}"),
                    None => file.clone(),
                };
                product_fields["stagelog/Location"] = json!(at);
            }
            if let Some(origin) = &f.location.defined_at {
                // ProductFields values hold at most 2,048 characters.
                product_fields["stagelog/DefinedAt"] = json!(truncate(&origin.to_string(), 2048));
            }
            json!({
                "SchemaVersion": "2018-10-08",
                "Id": finding_id(f),
                "ProductArn": stagelog_model::arn::securityhub_default_product(region, account),
                "ProductName": "stagelog",
                "CompanyName": "stagelog",
                "GeneratorId": format!("stagelog-{}", f.rule_id),
                "AwsAccountId": account,
                "Region": region,
                "Types": ["Software and Configuration Checks/Industry and Regulatory Standards"],
                "CreatedAt": opts.generated_at,
                "UpdatedAt": opts.generated_at,
                "Severity": {"Label": label, "Original": f.severity.as_str()},
                "Title": truncate(&format!("{} {}: {}", f.rule_id, rule.map(|r| r.name).unwrap_or(""), rule.map(|r| r.summary).unwrap_or("")), 256),
                "Description": truncate(&f.message, 1024),
                "Remediation": {"Recommendation": {"Text": truncate(&f.fix, 512), "Url": url}},
                "ProductFields": product_fields,
                "Resources": [{
                    "Type": resource_type(&f.location.resource),
                    "Id": f.location.resource,
                    "Partition": "aws",
                    "Region": region,
                }],
                "Compliance": compliance,
                "RecordState": "ACTIVE",
                "Workflow": {"Status": "NEW"},
            })
        })
        .collect()
}

/// A JSON array of ASFF findings (what `aws securityhub batch-import-findings --findings` takes).
pub fn render(report: &Report, opts: &AsffOptions) -> String {
    let mut s =
        serde_json::to_string_pretty(&asff_findings(report, opts)).expect("asff serialises");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn rfc3339_dates() {
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::rfc3339(1_795_482_123), "2026-11-24T01:02:03Z");
        assert_eq!(super::rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }
}

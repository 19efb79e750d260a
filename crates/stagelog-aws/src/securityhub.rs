//! `audit --export securityhub`: the audit's findings (ASFF, built by stagelog-report) sent to
//! each account and region's Security Hub with BatchImportFindings, 100 at a time, retried by
//! the SDK; stagelog findings there that this audit no longer reports are marked resolved
//! (Compliance PASSED, RecordState ARCHIVED, Workflow RESOLVED).

use crate::{base_config, sdk_error, AuditOptions};
use aws_config::{Region, SdkConfig};
use aws_sdk_securityhub::types::{
    AwsSecurityFinding, Compliance, ComplianceStatus, Recommendation, RecordState, Remediation,
    Resource, Severity, SeverityLabel, Workflow, WorkflowStatus,
};
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};

/// Security Hub takes at most this many findings per BatchImportFindings.
pub const BATCH: usize = 100;

/// What an export did, per account and region.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ExportOutcome {
    pub account: String,
    pub region: String,
    pub imported: usize,
    pub resolved: usize,
    pub failed: Vec<String>,
}

fn str_of(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

/// One ASFF JSON finding as the SDK's type.
fn to_sdk(f: &Value) -> AwsSecurityFinding {
    let label = match f["Severity"]["Label"].as_str().unwrap_or("INFORMATIONAL") {
        "HIGH" => SeverityLabel::High,
        "MEDIUM" => SeverityLabel::Medium,
        "LOW" => SeverityLabel::Low,
        "CRITICAL" => SeverityLabel::Critical,
        _ => SeverityLabel::Informational,
    };
    let resources = f["Resources"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            Resource::builder()
                .set_type(str_of(r, "Type"))
                .set_id(str_of(r, "Id"))
                .set_partition(str_of(r, "Partition").map(|p| p.as_str().into()))
                .set_region(str_of(r, "Region"))
                .build()
        })
        .collect();
    let product_fields = f["ProductFields"].as_object().map(|m| {
        m.iter()
            .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
            .collect()
    });
    let compliance = Compliance::builder()
        .status(ComplianceStatus::Failed)
        .set_security_control_id(str_of(&f["Compliance"], "SecurityControlId"))
        .set_related_requirements(f["Compliance"]["RelatedRequirements"].as_array().map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        }))
        .build();
    AwsSecurityFinding::builder()
        .set_schema_version(str_of(f, "SchemaVersion"))
        .set_id(str_of(f, "Id"))
        .set_product_arn(str_of(f, "ProductArn"))
        .set_product_name(str_of(f, "ProductName"))
        .set_company_name(str_of(f, "CompanyName"))
        .set_generator_id(str_of(f, "GeneratorId"))
        .set_aws_account_id(str_of(f, "AwsAccountId"))
        .set_region(str_of(f, "Region"))
        .set_types(f["Types"].as_array().map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        }))
        .set_created_at(str_of(f, "CreatedAt"))
        .set_updated_at(str_of(f, "UpdatedAt"))
        .severity(
            Severity::builder()
                .label(label)
                .set_original(str_of(&f["Severity"], "Original"))
                .build(),
        )
        .set_title(str_of(f, "Title"))
        .set_description(str_of(f, "Description"))
        .remediation(
            Remediation::builder()
                .recommendation(
                    Recommendation::builder()
                        .set_text(str_of(&f["Remediation"]["Recommendation"], "Text"))
                        .set_url(str_of(&f["Remediation"]["Recommendation"], "Url"))
                        .build(),
                )
                .build(),
        )
        .set_product_fields(product_fields)
        .set_resources(Some(resources))
        .compliance(compliance)
        .record_state(RecordState::Active)
        .build()
}

/// The config for an account: the role given for it, or the caller's own credentials.
async fn account_config(opts: &AuditOptions, base: &SdkConfig, account: &str) -> SdkConfig {
    let role = opts
        .role_arns
        .iter()
        .find(|arn| arn.split(':').nth(4) == Some(account));
    match role {
        Some(arn) => {
            let provider = aws_config::sts::AssumeRoleProvider::builder(arn.clone())
                .session_name("stagelog-export")
                .configure(base)
                .build()
                .await;
            base.to_builder()
                .credentials_provider(crate::aws_credential_provider(provider))
                .build()
        }
        None => base.clone(),
    }
}

/// Which of stagelog's earlier findings an export may resolve: all of the scope's (an audit of
/// whole regions), or only those about resources an audit of one API or stage read (the
/// Lambda's: the rest of the region was not looked at, so its findings stand).
#[derive(Debug, Clone, Default)]
pub enum Resolve {
    #[default]
    Scope,
    /// Resources by ARN; an entry ending in `/` stands for every ARN it starts.
    Only(Vec<String>),
}

impl Resolve {
    fn covers(&self, finding: &AwsSecurityFinding) -> bool {
        let Resolve::Only(list) = self else {
            return true;
        };
        finding.resources().iter().filter_map(|r| r.id()).any(|id| {
            list.iter().any(|r| {
                if r.ends_with('/') {
                    id.starts_with(r.as_str())
                } else {
                    id == r
                }
            })
        })
    }
}

/// Sends `findings` (ASFF JSON) to Security Hub per account and region, and resolves stagelog's
/// earlier findings there that are not in `findings`, for every audited `scopes` pair (so a
/// scope whose problems were all fixed gets its old findings resolved too).
pub fn export_blocking(
    opts: &AuditOptions,
    findings: &[Value],
    scopes: &[(String, String)],
    now: &str,
) -> Vec<ExportOutcome> {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt.block_on(export(opts, findings, scopes, now, &Resolve::Scope)),
        Err(e) => vec![ExportOutcome {
            failed: vec![format!("cannot start the async runtime: {e}")],
            ..ExportOutcome::default()
        }],
    }
}

/// [`export_blocking`] on the caller's runtime, resolving only what `resolve` covers.
pub async fn export(
    opts: &AuditOptions,
    findings: &[Value],
    scopes: &[(String, String)],
    now: &str,
    resolve: &Resolve,
) -> Vec<ExportOutcome> {
    let base = base_config(opts).await;
    let mut by_scope: BTreeMap<(String, String), Vec<&Value>> =
        scopes.iter().map(|s| (s.clone(), Vec::new())).collect();
    for f in findings {
        let key = (
            str_of(f, "AwsAccountId").unwrap_or_default(),
            str_of(f, "Region").unwrap_or_default(),
        );
        by_scope.entry(key).or_default().push(f);
    }
    let mut out = Vec::new();
    for ((account, region), list) in by_scope {
        let conf = account_config(opts, &base, &account).await;
        let conf = conf
            .to_builder()
            .region(Region::new(region.clone()))
            .build();
        let client = aws_sdk_securityhub::Client::new(&conf);
        out.push(export_scope(&client, &account, &region, &list, now, resolve).await);
    }
    out
}

async fn export_scope(
    client: &aws_sdk_securityhub::Client,
    account: &str,
    region: &str,
    findings: &[&Value],
    now: &str,
    resolve: &Resolve,
) -> ExportOutcome {
    let mut outcome = ExportOutcome {
        account: account.to_string(),
        region: region.to_string(),
        ..ExportOutcome::default()
    };
    let current: HashSet<String> = findings.iter().filter_map(|f| str_of(f, "Id")).collect();
    // stagelog's findings already there and still open: those not reported now are resolved.
    let mut stale: Vec<AwsSecurityFinding> = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .get_findings()
            .filters(
                aws_sdk_securityhub::types::AwsSecurityFindingFilters::builder()
                    .generator_id(
                        aws_sdk_securityhub::types::StringFilter::builder()
                            .value("stagelog-")
                            .comparison(aws_sdk_securityhub::types::StringFilterComparison::Prefix)
                            .build(),
                    )
                    .record_state(
                        aws_sdk_securityhub::types::StringFilter::builder()
                            .value("ACTIVE")
                            .comparison(aws_sdk_securityhub::types::StringFilterComparison::Equals)
                            .build(),
                    )
                    .build(),
            )
            .max_results(100)
            .set_next_token(token.take())
            .send()
            .await;
        let page = match page {
            Ok(p) => p,
            Err(e) => {
                outcome
                    .failed
                    .push(format!("GetFindings failed: {}", sdk_error(&e)));
                break;
            }
        };
        // Filters are applied here too: not every Security Hub implementation honours them.
        stale.extend(
            page.findings()
                .iter()
                .filter(|f| {
                    f.id()
                        .is_some_and(|id| id.starts_with("stagelog/") && !current.contains(id))
                        && f.generator_id().is_some_and(|g| g.starts_with("stagelog-"))
                        && f.aws_account_id() == Some(account)
                        && f.record_state() != Some(&RecordState::Archived)
                        && resolve.covers(f)
                })
                .cloned(),
        );
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    let mut batch: Vec<AwsSecurityFinding> = findings.iter().map(|f| to_sdk(f)).collect();
    let new_count = batch.len();
    for mut f in stale {
        f.updated_at = Some(now.to_string());
        f.record_state = Some(RecordState::Archived);
        f.compliance = Some(
            Compliance::builder()
                .status(ComplianceStatus::Passed)
                .set_security_control_id(
                    f.compliance
                        .as_ref()
                        .and_then(|c| c.security_control_id.clone()),
                )
                .set_related_requirements(
                    f.compliance
                        .as_ref()
                        .and_then(|c| c.related_requirements.clone()),
                )
                .build(),
        );
        f.workflow = Some(Workflow::builder().status(WorkflowStatus::Resolved).build());
        batch.push(f);
    }
    for (i, chunk) in batch.chunks(BATCH).enumerate() {
        match client
            .batch_import_findings()
            .set_findings(Some(chunk.to_vec()))
            .send()
            .await
        {
            Ok(r) => {
                for failed in r.failed_findings() {
                    outcome.failed.push(format!(
                        "{}: {} {}",
                        failed.id().unwrap_or("?"),
                        failed.error_code().unwrap_or(""),
                        failed.error_message().unwrap_or("")
                    ));
                }
                let ok_ids: HashSet<&str> =
                    r.failed_findings().iter().filter_map(|f| f.id()).collect();
                for (j, f) in chunk.iter().enumerate() {
                    if f.id().is_some_and(|id| ok_ids.contains(id)) {
                        continue;
                    }
                    if i * BATCH + j < new_count {
                        outcome.imported += 1;
                    } else {
                        outcome.resolved += 1;
                    }
                }
            }
            Err(e) => outcome
                .failed
                .push(format!("BatchImportFindings failed: {}", sdk_error(&e))),
        }
    }
    outcome
}

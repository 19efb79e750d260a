//! `stagelog audit`: live accounts, judged by the same pipeline as `scan`.

use super::live::{report_live, LiveReport};
use crate::cli::AuditArgs;
use crate::Ui;
use anyhow::{Context, Result};
use stagelog_pipeline::ExitStatus;

pub fn run(args: AuditArgs, ui: Ui) -> Result<ExitStatus> {
    // A CloudTrail event (as CloudTrail or EventBridge writes it): the API and stage it names,
    // in its region, read alone — what the stagelog Lambda does with each event.
    let event = match &args.cloudtrail_event {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let json: serde_json::Value = serde_json::from_str(&text)
                .with_context(|| format!("{}: not JSON", path.display()))?;
            let scope = stagelog_aws::cloudtrail::event_scope(&json)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            if !ui.quiet() {
                eprintln!(
                    "{}: {} in {}{}",
                    path.display(),
                    scope.event_name,
                    scope.region,
                    match &scope.focus {
                        Some(f) => format!(
                            ", {} API {}{}",
                            if f.rest { "REST" } else { "v2" },
                            f.api_id,
                            f.stage
                                .as_deref()
                                .map(|s| format!(" stage {s}"))
                                .unwrap_or_default()
                        ),
                        None => " (the account's settings: the region is read)".into(),
                    }
                );
            }
            Some(scope)
        }
        None => None,
    };
    let mut policy = crate::inputs::policy(&args.policy);
    policy.min_retention_days = args.min_retention_days;
    report_live(
        LiveReport {
            scope: &args.scope,
            report: &args.report,
            verify: None,
            export: args.export,
            event,
            iac: &args.iac,
            drift: false,
        },
        policy,
        ui,
    )
}

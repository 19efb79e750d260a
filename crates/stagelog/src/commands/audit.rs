//! `stagelog audit`: live accounts, judged by the same pipeline as `scan`.

use super::live::{report_live, LiveReport};
use crate::cli::AuditArgs;
use crate::Ui;
use anyhow::Result;
use stagelog_pipeline::ExitStatus;

pub fn run(args: AuditArgs, ui: Ui) -> Result<ExitStatus> {
    let mut policy = crate::inputs::policy(&args.policy);
    policy.min_retention_days = args.min_retention_days;
    report_live(
        LiveReport {
            scope: &args.scope,
            report: &args.report,
            verify: None,
            export: args.export,
        },
        policy,
        ui,
    )
}

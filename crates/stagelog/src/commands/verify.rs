use super::live::{report_live, LiveReport};
use crate::cli::VerifyArgs;
use crate::Ui;
use anyhow::{anyhow, Result};
use stagelog_pipeline::ExitStatus;

/// `stagelog verify`: the audit's inventory plus what arrives in each log group, judged by
/// SL040 and SL041 (or the rules --select names).
pub fn run(args: VerifyArgs, ui: Ui) -> Result<ExitStatus> {
    let window_ms = crate::duration::parse_ms(&args.window)
        .ok_or_else(|| anyhow!("--window `{}`: expected 90s, 15m, 24h or 7d", args.window))?;
    let mut policy = crate::inputs::policy(&args.policy);
    if policy.select.is_empty() {
        policy.select = vec!["SL04".into()];
    }
    report_live(
        LiveReport {
            scope: &args.scope,
            report: &args.report,
            verify: Some(stagelog_aws::VerifyOptions::new(window_ms, args.sample)),
            export: None,
            event: None,
            iac: &args.iac,
            drift: false,
        },
        policy,
        ui,
    )
}

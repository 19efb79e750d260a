//! `stagelog drift`: the code under --iac and the live accounts side by side, judged by the
//! drift rules (SL050–SL053).

use super::live::{report_live, LiveReport};
use crate::cli::DriftArgs;
use crate::Ui;
use anyhow::{bail, Result};
use stagelog_pipeline::ExitStatus;

pub fn run(args: DriftArgs, ui: Ui) -> Result<ExitStatus> {
    if args.iac.paths.is_empty() {
        bail!("drift compares code with accounts: name the code with --iac PATH (e.g. `stagelog drift --iac . --region eu-west-1`)");
    }
    let mut policy = crate::inputs::policy(&args.policy);
    if policy.select.is_empty() {
        policy.select = vec!["SL05".into()];
    }
    report_live(
        LiveReport {
            scope: &args.scope,
            report: &args.report,
            verify: None,
            export: None,
            event: None,
            iac: &args.iac,
            drift: true,
        },
        policy,
        ui,
    )
}

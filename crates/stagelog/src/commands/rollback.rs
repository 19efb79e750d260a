//! `stagelog rollback JOURNAL`: undo a live fix from its journal.

use super::live::tokio_runtime;
use crate::cli::RollbackArgs;
use anyhow::Result;
use stagelog_pipeline::ExitStatus;

pub fn run(args: RollbackArgs) -> Result<ExitStatus> {
    // Only how to reach the accounts: which accounts and regions is the journal's.
    let opts = stagelog_aws::AuditOptions {
        profile: args.profile.clone(),
        regions: args.region.iter().cloned().collect(),
        role_arns: args.role_arns.clone(),
        endpoint_url: args.endpoint_url.clone(),
        ..Default::default()
    };
    let rt = tokio_runtime()?;
    match rt.block_on(stagelog_aws::fix::rollback(
        &args.journal,
        &opts,
        args.delete_created,
    )) {
        Ok(n) => {
            eprintln!("restored: {n} undo step(s) applied");
            Ok(ExitStatus::Clean)
        }
        Err(e) => {
            eprintln!("stagelog: error: {e}");
            Ok(ExitStatus::Error)
        }
    }
}

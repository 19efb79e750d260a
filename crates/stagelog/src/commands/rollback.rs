//! `stagelog rollback JOURNAL`: undo a live fix from its journal.

use super::live::{options, tokio_runtime};
use crate::cli::RollbackArgs;
use anyhow::Result;
use stagelog_pipeline::ExitStatus;

pub fn run(args: RollbackArgs) -> Result<ExitStatus> {
    let opts = options(&args.scope, None)?;
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
            eprintln!("error: {e}");
            Ok(ExitStatus::Error)
        }
    }
}

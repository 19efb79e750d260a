//! `stagelog rollback JOURNAL`: undo a live fix from its journal.

use crate::cli::RollbackArgs;
use crate::pipeline::ExitStatus;
use anyhow::Result;

pub fn run(args: RollbackArgs) -> Result<ExitStatus> {
    crate::live::rollback(args)
}

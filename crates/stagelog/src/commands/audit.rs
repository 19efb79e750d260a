//! `stagelog audit`: live accounts, judged by the same pipeline as `scan`.

use crate::cli::AuditArgs;
use crate::pipeline::ExitStatus;
use anyhow::Result;

pub fn run(args: AuditArgs) -> Result<ExitStatus> {
    crate::live::audit(args)
}

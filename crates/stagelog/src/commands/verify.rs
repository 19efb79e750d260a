//! `stagelog verify`: do logs really arrive, in the stage's format (SL040, SL041).

use crate::cli::VerifyArgs;
use crate::pipeline::ExitStatus;
use anyhow::Result;

pub fn run(args: VerifyArgs) -> Result<ExitStatus> {
    crate::live::verify(args)
}

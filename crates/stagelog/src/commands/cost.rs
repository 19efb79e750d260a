//! `stagelog cost`: what each live stage's logs cost, and what turning logging on would.

use crate::cli::CostArgs;
use crate::pipeline::ExitStatus;
use anyhow::Result;

pub fn run(args: CostArgs) -> Result<ExitStatus> {
    crate::live::cost(args)
}

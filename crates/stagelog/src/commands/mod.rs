//! One file per subcommand. Commands share the pipeline (`crate::pipeline`) and the live
//! switch (`crate::live`), never each other.

mod audit;
mod completions;
mod cost;
mod explain;
mod fix;
pub(crate) mod logs;
mod man;
mod rollback;
mod rules;
mod scan;
mod verify;

use crate::cli::{Cli, Command};
use crate::pipeline::ExitStatus;
use anyhow::Result;

pub fn run(cli: Cli) -> Result<ExitStatus> {
    match cli.command {
        Command::Scan(args) => scan::run(args),
        Command::Audit(args) => audit::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Cost(args) => cost::run(args),
        Command::Logs(args) => logs::run(args),
        Command::Fix(args) => fix::run(args),
        Command::Rollback(args) => rollback::run(args),
        Command::Rules { format } => Ok(rules::run(format)),
        Command::Completions { shell } => Ok(completions::run(shell)),
        Command::Man { out_dir } => man::run(out_dir),
        Command::Explain { rule } => explain::run(&rule),
    }
}

//! `stagelog completions SHELL`.

use crate::cli::Cli;
use stagelog_pipeline::ExitStatus;

pub fn run(shell: clap_complete::Shell) -> ExitStatus {
    let mut cmd = <Cli as clap::CommandFactory>::command();
    clap_complete::generate(shell, &mut cmd, "stagelog", &mut std::io::stdout());
    ExitStatus::Clean
}

//! The `stagelog` command line.

mod audit;
mod cli;
mod commands;
mod fix;
mod live_fix;
mod logs;
mod policy;

use clap::Parser;
use std::process::ExitCode;

// Parsing thousands of small files is allocation-bound; mimalloc halves that cost here.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match commands::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("stagelog: error: {e:#}");
            ExitCode::from(commands::EXIT_ERROR)
        }
    }
}

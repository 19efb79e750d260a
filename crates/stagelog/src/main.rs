//! The `stagelog` command line.

mod audit;
mod cli;
mod commands;
mod fix;
mod live_fix;
mod logs;
mod policy;

/// How much to say on stderr (`--quiet`, `--verbose`), set once from the command line.
pub(crate) mod ui {
    use std::sync::atomic::{AtomicU8, Ordering};
    static LEVEL: AtomicU8 = AtomicU8::new(1);

    pub fn set(quiet: bool, verbose: bool) {
        LEVEL.store(
            if quiet {
                0
            } else if verbose {
                2
            } else {
                1
            },
            Ordering::Relaxed,
        );
    }

    pub fn quiet() -> bool {
        LEVEL.load(Ordering::Relaxed) == 0
    }

    pub fn verbose() -> bool {
        LEVEL.load(Ordering::Relaxed) == 2
    }
}

use clap::Parser;
use std::process::ExitCode;

// Parsing thousands of small files is allocation-bound; mimalloc halves that cost here.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    ui::set(cli.quiet, cli.verbose);
    match commands::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("stagelog: error: {e:#}");
            ExitCode::from(commands::EXIT_ERROR)
        }
    }
}

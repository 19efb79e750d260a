//! stagelog as a library: the command line (`cli`), the one pipeline every command runs
//! (`pipeline`), the team policy (`policy`), one file per subcommand (`commands`), and the
//! switch between the live AWS commands and their absence (`live`). The binary is a thin
//! `main` around [`run`].

pub mod cli;
mod commands;
mod duration;
mod live;
pub mod pipeline;
pub mod policy;

pub use pipeline::ExitStatus;

/// How much to say on stderr (`--quiet`, `--verbose`), set once from the command line.
pub mod ui {
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

/// Runs one command line to its exit status; errors are printed here.
pub fn run(cli: cli::Cli) -> ExitStatus {
    ui::set(cli.quiet, cli.verbose);
    match commands::run(cli) {
        Ok(status) => status,
        Err(e) => {
            eprintln!("stagelog: error: {e:#}");
            ExitStatus::Error
        }
    }
}

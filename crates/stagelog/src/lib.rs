//! stagelog as a library: the command line (`cli`), what it names read and checked
//! (`inputs`), each finding's fix hint rendered by its source (`hints`), and one file per
//! subcommand (`commands`), which run the pipeline (`stagelog-pipeline`). The binary is a thin
//! `main` around [`run`].

pub mod cli;
mod commands;
mod duration;
mod hints;
mod inputs;

pub use stagelog_pipeline::ExitStatus;

/// How much to say on stderr (`--quiet`, `--verbose`), decided once from the command line and
/// handed to each command.
#[derive(Debug, Clone, Copy)]
pub struct Ui {
    quiet: bool,
    verbose: bool,
}

impl Ui {
    pub fn new(quiet: bool, verbose: bool) -> Ui {
        Ui {
            quiet,
            verbose: verbose && !quiet,
        }
    }

    /// Only the report and errors: no progress, summaries or notes.
    pub fn quiet(self) -> bool {
        self.quiet
    }

    /// Also what was read and how long it took.
    pub fn verbose(self) -> bool {
        self.verbose
    }
}

/// Runs one command line to its exit status; errors are printed here.
pub fn run(cli: cli::Cli) -> ExitStatus {
    let ui = Ui::new(cli.quiet, cli.verbose);
    match commands::run(cli, ui) {
        Ok(status) => status,
        Err(e) => {
            eprintln!("stagelog: error: {e:#}");
            ExitStatus::Error
        }
    }
}

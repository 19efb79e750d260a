//! The `stagelog` command line; everything it does is in the library.

use std::process::ExitCode;

// Parsing thousands of small files is allocation-bound; mimalloc halves that cost here.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = stagelog::cli::Cli::from_command_line();
    ExitCode::from(stagelog::run(cli).code())
}

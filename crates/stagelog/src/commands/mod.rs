//! One file per subcommand. Commands share the pipeline (`stagelog-pipeline`), what the
//! command line names (`crate::inputs`) and, the live ones, `live`; never each other.
//!
//! The `aws` feature is switched here, where the live commands are declared: without it they
//! are not compiled, and their arms say so. The `lambda` feature adds `lambda`, the function's
//! entry point.

mod completions;
mod explain;
mod fix;
mod guardrails;
mod logs;
mod man;
mod rules;
mod scan;

#[cfg(feature = "aws")]
mod audit;
#[cfg(feature = "aws")]
mod cost;
#[cfg(feature = "aws")]
mod drift;
#[cfg(feature = "aws")]
mod fix_live;
#[cfg(feature = "lambda")]
mod lambda;
#[cfg(feature = "aws")]
mod live;
#[cfg(feature = "aws")]
mod rollback;
#[cfg(feature = "aws")]
mod verify;

use crate::cli::{Cli, Command};
use crate::Ui;
use anyhow::Result;
use stagelog_pipeline::ExitStatus;

pub fn run(cli: Cli, ui: Ui) -> Result<ExitStatus> {
    match cli.command {
        Command::Scan(args) => scan::run(args, ui),
        Command::Fix(args) if args.live => fix_live(args, ui),
        Command::Fix(args) => fix::run(args, ui),
        Command::Logs(args) => logs::run(args, ui),
        Command::Guardrails(args) => guardrails::run(args, ui),
        Command::Rules { format } => Ok(rules::run(format)),
        Command::Completions { shell } => Ok(completions::run(shell)),
        Command::Man { out_dir } => man::run(out_dir),
        Command::Explain { rule } => explain::run(&rule),
        #[cfg(feature = "aws")]
        Command::Audit(args) => audit::run(args, ui),
        #[cfg(feature = "aws")]
        Command::Verify(args) => verify::run(args, ui),
        #[cfg(feature = "aws")]
        Command::Cost(args) => cost::run(args, ui),
        #[cfg(feature = "aws")]
        Command::Drift(args) => drift::run(args, ui),
        #[cfg(feature = "aws")]
        Command::Rollback(args) => rollback::run(args),
        #[cfg(feature = "lambda")]
        Command::Lambda => lambda::run(),
        #[cfg(not(feature = "aws"))]
        Command::Audit(_)
        | Command::Verify(_)
        | Command::Cost(_)
        | Command::Drift(_)
        | Command::Rollback(_) => {
            anyhow::bail!(NO_AWS)
        }
    }
}

#[cfg(feature = "aws")]
fn fix_live(args: crate::cli::FixArgs, ui: Ui) -> Result<ExitStatus> {
    fix_live::run(&args, ui)
}

#[cfg(not(feature = "aws"))]
fn fix_live(_: crate::cli::FixArgs, _: Ui) -> Result<ExitStatus> {
    anyhow::bail!(NO_AWS)
}

/// What a live command says in a build without the `aws` feature.
#[cfg(not(feature = "aws"))]
const NO_AWS: &str =
    "this stagelog was built without AWS support (cargo feature `aws`); `scan` and `fix` on files work";

/// The policy options of `fix`, on files and live alike.
fn fix_policy(args: &crate::cli::FixArgs) -> stagelog_pipeline::PolicyOptions {
    stagelog_pipeline::PolicyOptions {
        retention_days: args.retention_days,
        execution_level: args.execution_level,
        ..crate::inputs::policy(&args.policy)
    }
}

/// With --verbose: the policy, the rules run and what was judged.
fn say_policy(
    pipeline: &stagelog_pipeline::Pipeline,
    report: &stagelog_report::Report,
    sources: usize,
    started: std::time::Instant,
) {
    eprintln!(
        "policy: {}",
        pipeline
            .policy
            .path
            .as_deref()
            .map_or("none (no stagelog.toml found)".to_string(), |p| p
                .display()
                .to_string())
    );
    eprintln!("rules: {}", report.rules.join(", "));
    eprintln!(
        "judged {} stages from {} sources; report made in {:.1} ms",
        report.stages,
        sources,
        started.elapsed().as_secs_f64() * 1000.0
    );
}

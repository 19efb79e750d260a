//! Without the `aws` feature (`cargo install --no-default-features`): the live commands say
//! so clearly; `scan`, `fix` (files), `logs` (files) and the rest work.

use crate::cli::{AuditArgs, CostArgs, FixArgs, LogsArgs, RollbackArgs, VerifyArgs};
use crate::pipeline::ExitStatus;
use anyhow::{bail, Result};
use stagelog_accesslog::{insights, Format, Output, Piece, Query};
use std::io;

type Pieces = Box<dyn Iterator<Item = io::Result<Piece>>>;

const NO_AWS: &str =
    "this stagelog was built without AWS support (cargo feature `aws`); `scan` and `fix` on files work";

pub fn hint(f: &stagelog_model::Finding) -> String {
    match &f.remedy {
        stagelog_model::Remedy::Manual { reason } => reason.clone(),
        _ => "stagelog fix --live (needs a stagelog built with AWS support)".into(),
    }
}

pub fn audit(_: AuditArgs) -> Result<ExitStatus> {
    bail!(NO_AWS)
}

pub fn verify(_: VerifyArgs) -> Result<ExitStatus> {
    bail!(NO_AWS)
}

pub fn cost(_: CostArgs) -> Result<ExitStatus> {
    bail!(NO_AWS)
}

pub fn fix(_: &FixArgs) -> Result<ExitStatus> {
    bail!(NO_AWS)
}

pub fn rollback(_: RollbackArgs) -> Result<ExitStatus> {
    bail!(NO_AWS)
}

pub fn stage_settings(_: &LogsArgs, _: &str) -> Result<(Option<String>, String, String)> {
    bail!("this stagelog was built without AWS support (cargo feature `aws`)")
}

pub fn format_of_group(_: &LogsArgs, _: &str) -> Result<Option<(String, String)>> {
    bail!("this stagelog was built without AWS support (cargo feature `aws`)")
}

pub fn cloudwatch_pieces(
    _: &LogsArgs,
    _: &str,
    _: Option<String>,
    _: i64,
    _: i64,
) -> Result<Pieces> {
    bail!("this stagelog was built without AWS support (cargo feature `aws`); read files instead")
}

#[allow(clippy::too_many_arguments)]
pub fn run_insights(
    _: &LogsArgs,
    _: &str,
    _: Option<&str>,
    _: &Format,
    _: &Query,
    _: &insights::InsightsQuery,
    _: Output,
    _: (i64, i64),
) -> Result<ExitStatus> {
    bail!("this stagelog was built without AWS support (cargo feature `aws`); --explain prints the query")
}

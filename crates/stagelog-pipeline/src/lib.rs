//! The one pipeline every stagelog command runs, as a library: load the policy (`--config`
//! or the nearest `stagelog.toml`) → select rules → (the command adapts its sources) → judge →
//! render fix hints from the remedies → apply severities, suppression marks and waivers →
//! report → exit status. `scan`, `fix`, `fix --live`, `audit` and `verify` all judge through
//! [`Pipeline::judge`], so `fix` changes exactly what `scan` reports under the same policy.
//!
//! It knows no command line: its options are its own types ([`PolicyOptions`],
//! [`OutputOptions`], [`FailOn`]), the hint renderer is given to it (each source renders its
//! own), and it prints nothing (what a command says on stderr is the command's business).
//!
//! - [`pipeline`]: [`Pipeline`], loaded once per run.
//! - [`policy`]: `stagelog.toml` and its waivers, compliance frameworks, applying the policy.
//! - [`suppress`]: which findings the suppression marks in the sources silence.
//! - [`output`]: reports written in every format asked for, and the exit status.

pub mod baseline;
pub mod output;
pub mod pipeline;
pub mod policy;
pub mod suppress;

pub use output::{exit_status, write_reports, ExitStatus, FailOn, Format, OutputOptions};
pub use pipeline::{to_fix, Hints, Judged, Pipeline, PolicyOptions};

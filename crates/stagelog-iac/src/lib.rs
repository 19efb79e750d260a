//! Infrastructure-as-code adapters: find the files (`scan`), read each source into the model
//! (`terraform`, `cloudformation`, `serverless`), with the suppression marks written in them
//! (`marks`), and report what could not be read. Nothing here judges (see `stagelog-rules`)
//! and nothing here writes (see `stagelog-fix`).

pub mod cloudformation;
mod delivery;
pub mod marks;
mod paths;
mod prefilter;
mod scan;
pub mod serverless;
pub mod terraform;
mod value;

/// `a/b/../c` → `a/c`, as module sources are resolved, without touching the file system.
pub use paths::normalize as normalize_path;
pub use scan::{
    scan, scan_each, scan_sources, scan_with, Exclusions, PatternSet, PatternUse, ScanOptions,
    ScanOutput, MAX_FILE_BYTES,
};

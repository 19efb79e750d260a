//! What a scan could not read or understand: a file, and the line when known.

/// A file (and line, when known) that could not be read or understood.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SourceError {
    pub file: String,
    pub line: Option<u32>,
    pub message: String,
}

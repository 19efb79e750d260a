//! API Gateway access logs: a `$context` format compiled into a line parser, filters and
//! aggregations over the records, run in parallel over streams of any size, and the same
//! query for CloudWatch Logs Insights. No AWS SDK here: reading from CloudWatch lives in
//! `stagelog-aws`, which feeds lines to [`Engine`].

pub mod engine;
pub mod format;
pub mod insights;
pub mod parse;
pub mod presets;
pub mod query;

pub use engine::{
    decompressed, open_log, pieces, pieces_of_size, stream_pieces, write_table, Engine, Output,
    Piece, Summary, Table, MAX_LINE,
};
pub use format::{Format, FormatError, Kind, UnknownField};
pub use parse::{Parser, Record, Unparsed};
pub use query::{Filter, FilterError, Query};

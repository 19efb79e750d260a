//! Streaming, parallel reading: input is cut into pieces of whole lines (a file into byte
//! ranges each worker reads itself, a stream into blocks), a window of pieces is parsed in
//! parallel, and results are merged and written in input order. Memory is a window of pieces
//! plus the groups, whatever the input size.

use crate::parse::{Parser, Record, Unparsed};
use crate::query::{number, parse_time, Groups, Query, KEY_SEP};
use rayon::prelude::*;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A file is read in pieces this size: small enough that a piece read into a worker's buffer
/// is still in its core's cache when parsed (8 MiB pieces spent a sixth of the time in the
/// kernel's copy and parsed from memory).
const PIECE: u64 = 512 << 10;

/// Pieces are read from this boundary before their start (see [`Piece::load_into`]).
const ALIGN: u64 = 4096;

/// A stream is cut into blocks this size: more than the longest line kept (a block without a
/// newline is a line too long to be an event).
const STREAM_BLOCK: usize = 2 << 20;

/// CloudWatch Logs takes events of at most 1 MiB (256 KiB before 2025): a longer line is no
/// access log event. It is counted as unparsed and skipped; no more than this much of it (and
/// one piece) is ever held, however long it is.
pub const MAX_LINE: usize = 1 << 20;
const _: () = assert!(STREAM_BLOCK > MAX_LINE);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    Table,
    Json,
    Csv,
}

/// Whole lines of input, and where they come from.
pub enum Piece {
    /// The lines that start in `start..end` of a file.
    Range {
        path: Arc<PathBuf>,
        start: u64,
        end: u64,
    },
    Bytes {
        source: Arc<str>,
        bytes: Vec<u8>,
    },
}

impl Piece {
    fn source(&self) -> String {
        match self {
            Piece::Range { path, .. } => path.display().to_string(),
            Piece::Bytes { source, .. } => source.to_string(),
        }
    }

    /// Reads the piece's lines into `buf` (reused between pieces: fresh 8 MiB buffers cost
    /// the kernel a page-clearing each time); returns where in `buf` its first line starts.
    fn load_into(self, buf: &mut Vec<u8>) -> io::Result<usize> {
        buf.clear();
        let (path, start, end) = match self {
            Piece::Bytes { bytes, .. } => {
                *buf = bytes;
                return Ok(0);
            }
            Piece::Range { path, start, end } => (path, start, end),
        };
        let mut file = File::open(&*path)?;
        // Read from a page boundary (pieces start on one), not from `start - 1`: the kernel
        // copies from the page cache at half the speed when the file offset is one byte off
        // the buffer's alignment (measured: 0.26 → 0.54 s of system time per GB).
        let from = start.saturating_sub(ALIGN);
        file.seek(SeekFrom::Start(from))?;
        buf.reserve((end - from) as usize + 4096);
        (&mut file).take(end - from).read_to_end(buf)?;
        let mut first = 0;
        if start > 0 {
            // The line running through `start - 1` belongs to the piece before.
            let before = (start - 1 - from) as usize;
            match buf.get(before..).and_then(|b| memchr::memchr(b'\n', b)) {
                Some(i) => first = before + i + 1,
                None => {
                    buf.clear();
                    return Ok(0);
                }
            }
        }
        // The last line started here: read on to its end, or until it is too long to be an
        // event (the rest is then read past, not kept: it is unparsed whatever it holds).
        if buf.len() > first && buf.last() != Some(&b'\n') {
            let line_start = memchr::memrchr(b'\n', &buf[first..]).map_or(first, |i| first + i + 1);
            let mut block = [0u8; 64 * 1024];
            let mut keep = true;
            loop {
                let n = file.read(&mut block)?;
                if n == 0 {
                    break;
                }
                let (chunk, done) = match memchr::memchr(b'\n', &block[..n]) {
                    Some(i) => (&block[..=i], true),
                    None => (&block[..n], false),
                };
                if keep {
                    let room = (MAX_LINE + 1).saturating_sub(buf.len() - line_start);
                    if chunk.len() > room {
                        buf.extend_from_slice(&chunk[..room]);
                        keep = false;
                    } else {
                        buf.extend_from_slice(chunk);
                    }
                }
                if done {
                    if !keep {
                        buf.push(b'\n');
                    }
                    break;
                }
            }
        }
        Ok(first)
    }
}

thread_local! {
    static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Pieces for files (`-` is standard input), made lazily.
pub fn pieces(paths: Vec<PathBuf>) -> impl Iterator<Item = io::Result<Piece>> {
    pieces_of_size(paths, PIECE)
}

/// [`pieces`] with pieces of `size` bytes (tests use small ones to cross many boundaries).
pub fn pieces_of_size(paths: Vec<PathBuf>, size: u64) -> impl Iterator<Item = io::Result<Piece>> {
    let size = size.max(1);
    paths.into_iter().flat_map(move |path| {
        let out: Box<dyn Iterator<Item = io::Result<Piece>>> = if path.as_os_str() == "-" {
            Box::new(stream_pieces("stdin", decompressed(io::stdin())))
        } else if is_gzip(&path) {
            // Read as one stream: a gzip file cannot be split into ranges.
            Box::new(stream_pieces(&path.display().to_string(), open_log(&path)))
        } else {
            match std::fs::metadata(&path) {
                Err(e) => Box::new(std::iter::once(Err(io::Error::new(
                    e.kind(),
                    format!("{}: {e}", path.display()),
                )))),
                Ok(m) if !m.is_file() => Box::new(stream_pieces(
                    "input",
                    File::open(&path)
                        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display()))),
                )),
                Ok(m) => {
                    let path = Arc::new(path);
                    let len = m.len();
                    Box::new((0..len.div_ceil(size)).map(move |i| {
                        Ok(Piece::Range {
                            path: path.clone(),
                            start: i * size,
                            end: ((i + 1) * size).min(len),
                        })
                    }))
                }
            }
        };
        out
    })
}

/// gzip's magic number: what `.gz` files, CloudWatch Logs' exports to S3 and `gzip -c` write.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

fn is_gzip(path: &Path) -> bool {
    let mut head = [0u8; 2];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok_and(|()| head == GZIP_MAGIC)
}

/// A reader of what `r` holds, decompressed when it is gzip (several members, as
/// concatenated `.gz` files are, read as one).
pub fn decompressed<R: Read + Send + 'static>(r: R) -> io::Result<Box<dyn Read + Send>> {
    let mut r = io::BufReader::with_capacity(1 << 16, r);
    let gzip = io::BufRead::fill_buf(&mut r)?.starts_with(&GZIP_MAGIC);
    Ok(if gzip {
        Box::new(flate2::bufread::MultiGzDecoder::new(r))
    } else {
        Box::new(r)
    })
}

/// A log file's text, decompressed when it is gzip; errors name the file.
pub fn open_log(path: &Path) -> io::Result<Box<dyn Read + Send>> {
    let named = |e: io::Error| io::Error::new(e.kind(), format!("{}: {e}", path.display()));
    decompressed(File::open(path).map_err(named)?).map_err(named)
}

/// Blocks of whole lines from a stream (standard input, a pipe).
pub fn stream_pieces<R: Read>(
    source: &str,
    reader: impl IntoReader<R>,
) -> impl Iterator<Item = io::Result<Piece>> {
    let source: Arc<str> = source.into();
    let mut reader = reader.into_reader();
    let mut carry: Vec<u8> = Vec::new();
    let mut done = false;
    // Inside a line too long to be an event, whose first MAX_LINE + 1 bytes went out already:
    // what follows up to its newline is read past.
    let mut skipping = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        let r = match &mut reader {
            Ok(r) => r,
            Err(e) => {
                done = true;
                return Some(Err(io::Error::new(e.kind(), e.to_string())));
            }
        };
        let mut buf = std::mem::take(&mut carry);
        let want = STREAM_BLOCK;
        loop {
            while buf.len() < want {
                let before = buf.len();
                match r
                    .by_ref()
                    .take((want - before) as u64)
                    .read_to_end(&mut buf)
                {
                    Ok(0) => {
                        done = true;
                        break;
                    }
                    Ok(_) => {}
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        done = true;
                        return Some(Err(e));
                    }
                }
            }
            if skipping {
                match memchr::memchr(b'\n', &buf) {
                    Some(i) => {
                        buf.drain(..=i);
                        skipping = false;
                        if !done && buf.len() < want {
                            continue;
                        }
                    }
                    None => {
                        buf.clear();
                        if done {
                            return None;
                        }
                        continue;
                    }
                }
            }
            break;
        }
        if !done {
            match memchr::memrchr(b'\n', &buf) {
                Some(i) => carry = buf.split_off(i + 1),
                // A whole piece without a newline: a line longer than any event. Its start
                // goes out as one (unparsed) line; the rest is read past.
                None => {
                    buf.truncate(MAX_LINE + 1);
                    buf.push(b'\n');
                    skipping = true;
                }
            }
        }
        (!buf.is_empty() || !done).then(|| {
            Ok(Piece::Bytes {
                source: source.clone(),
                bytes: buf,
            })
        })
    })
}

/// Lets `stream_pieces` take a reader or the result of opening one.
pub trait IntoReader<R> {
    fn into_reader(self) -> io::Result<R>;
}

impl<R: Read> IntoReader<R> for R {
    fn into_reader(self) -> io::Result<R> {
        Ok(self)
    }
}

impl<R: Read> IntoReader<R> for io::Result<R> {
    fn into_reader(self) -> io::Result<R> {
        self
    }
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Non-blank lines read.
    pub lines: u64,
    pub unparsed: u64,
    /// Parsed lines that passed the filters.
    pub matched: u64,
    /// The first line that did not parse: its source, line number and why (for the error
    /// when no line parses at all).
    pub first_unparsed: Option<(String, u64, Unparsed)>,
}

/// One piece's results, merged in input order.
#[derive(Default)]
struct Done {
    summary: Summary,
    /// Physical lines (blank ones too), for line numbers.
    physical: u64,
    groups: Groups,
    out: Vec<u8>,
    unparsed: Vec<(u64, Unparsed, Vec<u8>)>,
}

pub struct Engine {
    pub parser: Parser,
    pub query: Query,
    pub output: Output,
    pub show_unparsed: bool,
}

impl Engine {
    /// Reads every piece; writes records (or, aggregating, the table at the end) to `out`, and
    /// unparsed lines to `diag` when asked.
    pub fn run(
        &self,
        pieces: impl Iterator<Item = io::Result<Piece>>,
        out: &mut dyn Write,
        diag: &mut dyn Write,
    ) -> io::Result<Summary> {
        // Pieces are small: many in flight, so that no core waits long on a batch's slowest.
        let window = rayon::current_num_threads().max(1) * 16;
        let pool: std::sync::Mutex<Vec<Groups>> = std::sync::Mutex::new(Vec::new());
        let mut pieces = pieces.peekable();
        let mut total = Done::default();
        let mut line_base = 0u64;
        let mut source = String::new();
        if !self.query.aggregates() && self.output == Output::Csv {
            self.csv_header(out)?;
        }
        while pieces.peek().is_some() {
            let batch: Vec<Piece> = pieces
                .by_ref()
                .take(window)
                .collect::<io::Result<Vec<_>>>()?;
            let sources: Vec<String> = batch.iter().map(Piece::source).collect();
            let results: Vec<io::Result<Done>> = batch
                .into_par_iter()
                .map(|p| {
                    // Groups accumulate in a few maps taken from the pool, one per task at a
                    // time, not one per piece: counts do not depend on order, and a map per
                    // piece cost a copy of every group's key and a merge on one thread.
                    let mut groups = pool
                        .lock()
                        .map(|mut p| p.pop())
                        .ok()
                        .flatten()
                        .unwrap_or_default();
                    let done = BUFFER.with(|b| {
                        let mut buf = b.borrow_mut();
                        let first = p.load_into(&mut buf)?;
                        Ok(self.process(&buf[first..], &mut groups))
                    });
                    if let Ok(mut p) = pool.lock() {
                        p.push(groups);
                    }
                    done
                })
                .collect();
            for (result, src) in results.into_iter().zip(sources) {
                let done = result?;
                if src != source {
                    (source, line_base) = (src, 0);
                }
                out.write_all(&done.out)?;
                for (line, why, text) in &done.unparsed {
                    writeln!(
                        diag,
                        "{source}:{}:{}: {}: {}",
                        line_base + line,
                        why.column,
                        why.reason,
                        String::from_utf8_lossy(text)
                    )?;
                }
                if total.summary.first_unparsed.is_none() {
                    total.summary.first_unparsed = done
                        .summary
                        .first_unparsed
                        .map(|(_, line, why)| (source.clone(), line_base + line, why));
                }
                line_base += done.physical;
                total.summary.lines += done.summary.lines;
                total.summary.unparsed += done.summary.unparsed;
                total.summary.matched += done.summary.matched;
            }
        }
        for groups in pool.into_inner().unwrap_or_default() {
            total.groups.merge(groups);
        }
        if self.query.aggregates() {
            self.write_groups(total.summary.clone(), total.groups, out)?;
        }
        out.flush()?;
        Ok(total.summary)
    }

    fn process(&self, bytes: &[u8], groups: &mut Groups) -> Done {
        let mut done = Done::default();
        // One CSV writer per piece (a writer holds its own buffer; one per record would not).
        let mut csv_out = (self.output == Output::Csv && !self.query.aggregates())
            .then(|| csv::Writer::from_writer(Vec::new()));
        let mut rec = Record::default();
        let mut key = Vec::new();
        let aggregate = self.query.aggregates();
        let mut start = 0;
        let ends = memchr::memchr_iter(b'\n', bytes)
            .chain((bytes.last().is_some_and(|b| *b != b'\n')).then_some(bytes.len()));
        for end in ends {
            let line = &bytes[start..end];
            start = end + 1;
            done.physical += 1;
            // Most lines start with a non-blank byte: the whole-line check is the rare case.
            if line.first().is_none_or(|b| b.is_ascii_whitespace())
                && line.iter().all(|b| b.is_ascii_whitespace())
            {
                continue;
            }
            done.summary.lines += 1;
            let parsed = if line.len() > MAX_LINE {
                Err(Unparsed {
                    column: MAX_LINE + 1,
                    reason: format!(
                        "longer than CloudWatch's 1 MiB event limit ({} bytes or more)",
                        line.len()
                    ),
                })
            } else {
                self.parser.parse(line, &mut rec)
            };
            if let Err(why) = parsed {
                done.summary.unparsed += 1;
                if done.summary.first_unparsed.is_none() {
                    done.summary.first_unparsed = Some((String::new(), done.physical, why.clone()));
                }
                if self.show_unparsed {
                    // An overlong line is shown by its start only.
                    let shown = if line.len() > MAX_LINE {
                        200
                    } else {
                        line.len()
                    };
                    done.unparsed
                        .push((done.physical, why, line[..shown].to_vec()));
                }
                continue;
            }
            if !self.keep(line, &rec) {
                continue;
            }
            done.summary.matched += 1;
            if aggregate {
                key.clear();
                for &f in &self.query.group_by {
                    key.extend_from_slice(rec.get(line, f));
                    key.push(KEY_SEP);
                }
                let latency = self.query.latency.map(|f| {
                    number(rec.get(line, f))
                        .filter(|n| *n >= 0.0)
                        .map(|n| n.round() as u64)
                });
                groups.add(&key, latency);
            } else {
                match csv_out.as_mut() {
                    Some(w) => {
                        let _ =
                            w.write_record((0..rec.len()).map(|i| {
                                match String::from_utf8_lossy(rec.get(line, i)) {
                                    std::borrow::Cow::Borrowed(s) => {
                                        std::borrow::Cow::Borrowed(s.as_bytes())
                                    }
                                    std::borrow::Cow::Owned(s) => {
                                        std::borrow::Cow::Owned(s.into_bytes())
                                    }
                                }
                            }));
                    }
                    None => self.write_record(line, &rec, &mut done.out),
                }
            }
        }
        if let Some(w) = csv_out {
            done.out = w.into_inner().unwrap_or_default();
        }
        done
    }

    fn keep(&self, line: &[u8], rec: &Record) -> bool {
        if let Some((field, since, until)) = self.query.time {
            let Some(t) = parse_time(rec.get(line, field)) else {
                return false;
            };
            if since.is_some_and(|s| t < s) || until.is_some_and(|u| t >= u) {
                return false;
            }
        }
        self.query
            .filters
            .iter()
            .all(|f| f.matches(rec.get(line, f.field)))
    }

    fn names(&self) -> impl Iterator<Item = &str> {
        self.parser.format.fields.iter().map(|f| f.name.as_str())
    }

    fn write_record(&self, line: &[u8], rec: &Record, out: &mut Vec<u8>) {
        let values = (0..rec.len()).map(|i| String::from_utf8_lossy(rec.get(line, i)));
        match self.output {
            Output::Json => {
                let map: serde_json::Map<String, serde_json::Value> = self
                    .names()
                    .zip(values)
                    .map(|(n, v)| (n.to_string(), serde_json::Value::String(v.into_owned())))
                    .collect();
                let _ = serde_json::to_writer(&mut *out, &map);
                out.push(b'\n');
            }
            // Written by `process`, with one writer per piece.
            Output::Csv => {}
            Output::Table => {
                let parts: Vec<String> = self
                    .names()
                    .zip(values)
                    .map(|(n, v)| {
                        if v.is_empty() || v.contains([' ', '"', '=']) {
                            format!("{n}={v:?}")
                        } else {
                            format!("{n}={v}")
                        }
                    })
                    .collect();
                out.extend_from_slice(parts.join(" ").as_bytes());
                out.push(b'\n');
            }
        }
    }

    fn csv_header(&self, out: &mut dyn Write) -> io::Result<()> {
        let mut w = csv::Writer::from_writer(out);
        w.write_record(self.names())?;
        w.flush()
    }

    fn group_names(&self) -> Vec<String> {
        self.query
            .group_by
            .iter()
            .map(|&i| self.parser.format.fields[i].name.clone())
            .collect()
    }

    fn stat_names(&self) -> &'static [&'static str] {
        if self.query.latency.is_some() {
            &["count", "p50", "p90", "p99"]
        } else {
            &["count"]
        }
    }

    fn write_groups(
        &self,
        summary: Summary,
        groups: Groups,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let mut rows: Vec<(crate::query::GroupKey, crate::query::Group)> =
            groups.map.into_iter().collect();
        rows.sort_by(|a, b| b.1.count.cmp(&a.1.count).then_with(|| a.0.cmp(&b.0)));
        if let Some(n) = self.query.top {
            rows.truncate(n);
        }
        let names = self.group_names();
        let mut columns = names.clone();
        columns.extend(self.stat_names().iter().map(|s| s.to_string()));
        let rows = rows
            .iter()
            .map(|(key, g)| {
                let mut row: Vec<serde_json::Value> = key
                    .split(|b| *b == KEY_SEP)
                    .take(names.len())
                    .map(|v| String::from_utf8_lossy(v).into_owned().into())
                    .collect();
                row.push(g.count.into());
                if self.query.latency.is_some() {
                    match g
                        .latency
                        .as_ref()
                        .and_then(|l| l.quantiles(&[0.5, 0.9, 0.99]))
                    {
                        Some(values) => row.extend(values.into_iter().map(Into::into)),
                        None => row.extend(std::iter::repeat_n(serde_json::Value::Null, 3)),
                    }
                }
                row
            })
            .collect();
        let table = Table {
            columns,
            rows,
            lines: Some(summary.lines),
            unparsed: Some(summary.unparsed),
            matched: Some(summary.matched),
        };
        write_table(self.output, &table, out)
    }
}

/// Aggregated rows, from the engine or from CloudWatch Logs Insights.
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<serde_json::Value>>,
    /// Unknown (`null` in JSON) when CloudWatch did the reading.
    pub lines: Option<u64>,
    pub unparsed: Option<u64>,
    pub matched: Option<u64>,
}

/// Writes aggregated rows: JSON `{"lines", "unparsed", "rows": [{column: value}]}`, CSV with
/// a header, or an aligned table with a summary line.
pub fn write_table(output: Output, t: &Table, out: &mut dyn Write) -> io::Result<()> {
    let text = |v: &serde_json::Value, none: &str| match v {
        serde_json::Value::Null => none.to_string(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match output {
        Output::Json => {
            let rows: Vec<serde_json::Value> = t
                .rows
                .iter()
                .map(|r| {
                    serde_json::Value::Object(
                        t.columns.iter().cloned().zip(r.iter().cloned()).collect(),
                    )
                })
                .collect();
            let doc = serde_json::json!({
                "lines": t.lines,
                "unparsed": t.unparsed,
                "rows": rows,
            });
            serde_json::to_writer_pretty(&mut *out, &doc)?;
            writeln!(out)?;
        }
        Output::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record(&t.columns)?;
            for r in &t.rows {
                w.write_record(r.iter().map(|v| text(v, "")))?;
            }
            w.flush()?;
        }
        Output::Table => {
            let mut table = comfy_table::Table::new();
            table.load_preset(comfy_table::presets::NOTHING);
            table.set_header(t.columns.clone());
            for r in &t.rows {
                table.add_row(r.iter().map(|v| text(v, "-")));
            }
            writeln!(out, "{table}")?;
            if let (Some(lines), Some(unparsed), Some(matched)) = (t.lines, t.unparsed, t.matched) {
                writeln!(out, "{lines} lines, {unparsed} unparsed, {matched} matched")?;
            }
        }
    }
    Ok(())
}

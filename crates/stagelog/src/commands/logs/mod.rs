//! `stagelog logs`: access logs from files, standard input or CloudWatch, through the parser
//! compiled from the stage's format; or the same query run by CloudWatch Logs Insights.

#[cfg(feature = "aws")]
mod cloudwatch;

/// Without the `aws` feature: CloudWatch sources say so, files work.
#[cfg(not(feature = "aws"))]
mod cloudwatch {
    use super::{Insights, Pieces};
    use crate::cli::LogsArgs;
    use crate::Ui;
    use anyhow::{bail, Result};
    use stagelog_pipeline::ExitStatus;

    const NO_AWS: &str = "this stagelog was built without AWS support (cargo feature `aws`)";

    pub fn stage_settings(_: &LogsArgs, _: &str) -> Result<(Option<String>, String, String)> {
        bail!(NO_AWS)
    }

    pub fn format_of_group(_: &LogsArgs, _: &str) -> Result<Option<(String, String)>> {
        bail!(NO_AWS)
    }

    pub fn cloudwatch_pieces(
        _: &LogsArgs,
        _: &str,
        _: Option<String>,
        _: (i64, i64),
        _: Ui,
    ) -> Result<Pieces> {
        bail!("{NO_AWS}; read files instead")
    }

    pub fn run_insights(_: Insights, _: Ui) -> Result<ExitStatus> {
        bail!("{NO_AWS}; --explain prints the query")
    }
}

use crate::cli::{LogsArgs, LogsOutput};
use crate::Ui;
use cloudwatch::{cloudwatch_pieces, format_of_group, run_insights, stage_settings};

/// A query pushed to CloudWatch Logs Insights: where, with which format and query, for which
/// window, and how to print the result. (Without the `aws` feature nothing runs it.)
#[cfg_attr(not(feature = "aws"), allow(dead_code))]
pub struct Insights<'a> {
    pub args: &'a LogsArgs,
    pub group: &'a str,
    pub region: Option<&'a str>,
    pub format: &'a Format,
    pub query: &'a Query,
    pub translated: &'a insights::InsightsQuery,
    pub output: Output,
    pub window: (i64, i64),
}
use anyhow::{anyhow, bail, Context, Result};
use stagelog_accesslog::{
    insights, presets, query::parse_time, Engine, Filter, Format, Output, Parser, Piece, Query,
};
use stagelog_pipeline::ExitStatus;
use std::io::{self, BufRead};

/// `--since`/`--until`: an age, RFC 3339 or epoch seconds/milliseconds.
fn time_arg(flag: &str, s: &str, now_ms: i64) -> Result<i64> {
    crate::duration::parse_ms(s)
        .map(|d| now_ms - d)
        .or_else(|| parse_time(s.as_bytes()))
        .ok_or_else(|| {
            anyhow!("{flag} `{s}`: expected an age (15m, 24h, 7d), RFC 3339 (2026-11-24T10:00:00Z) or epoch seconds")
        })
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

pub type Pieces = Box<dyn Iterator<Item = io::Result<Piece>>>;

/// Where the lines come from.
enum Source {
    Files(Vec<std::path::PathBuf>),
    CloudWatch {
        group: String,
        region: Option<String>,
    },
}

/// The console presets, one a line, for `--log-format help` and the errors that name them.
fn preset_list() -> String {
    presets::PRESETS
        .iter()
        .map(|(name, format)| format!("  {name:<15} {format}\n"))
        .collect()
}

/// `--log-format`: a preset's name or a format string; a word that is neither is a usage error
/// that names the nearest preset.
fn format_arg(value: &str) -> Result<String> {
    if let Some(f) = presets::preset(value) {
        return Ok(f.to_string());
    }
    if value.contains("$context.") {
        return Ok(value.to_string());
    }
    let hint = presets::nearest(value)
        .map(|n| format!(" Did you mean `{n}`?"))
        .unwrap_or_default();
    bail!(
        "--log-format `{value}`: no $context variables, and no preset of that name.{hint}\nThe presets (`--log-format help` lists them):\n{}",
        preset_list()
    )
}

pub fn run(args: LogsArgs, ui: Ui) -> Result<ExitStatus> {
    if args.log_format.as_deref() == Some("help") {
        print!(
            "Console presets for --log-format (or give the stage's format string itself):\n{}",
            preset_list()
        );
        return Ok(ExitStatus::Clean);
    }
    if args.top.is_some() && args.count_by.is_empty() && !args.insights {
        bail!("--top N keeps the N largest groups: give --count-by FIELDS too (e.g. --count-by route --top 10)");
    }
    let now = now_ms();
    let since = args
        .since
        .as_deref()
        .map(|s| time_arg("--since", s, now))
        .transpose()?;
    let until = args
        .until
        .as_deref()
        .map(|s| time_arg("--until", s, now))
        .transpose()?;
    let mut format_text = args.log_format.as_deref().map(format_arg).transpose()?;
    let source = if let Some(arn) = &args.stage {
        let settings = stage_settings(&args, arn)?;
        if format_text.is_none() {
            format_text = settings.0;
        }
        Source::CloudWatch {
            group: settings.1,
            region: args.region.clone().or(Some(settings.2)),
        }
    } else if let Some(group) = &args.log_group {
        // Without --log-format: the format of the stage that writes to the group, if one does.
        if format_text.is_none() {
            if let Some((arn, format)) = format_of_group(&args, group)? {
                if !ui.quiet() {
                    eprintln!("format: {arn}'s, which writes its access logs to {group}");
                }
                format_text = Some(format);
            }
        }
        Source::CloudWatch {
            group: group.clone(),
            region: args.region.clone(),
        }
    } else {
        if args.insights && !args.explain {
            bail!(
                "--insights runs in CloudWatch: name the logs with --stage ARN or --log-group NAME"
            );
        }
        let files = if args.files.is_empty() {
            vec!["-".into()]
        } else {
            args.files.clone()
        };
        Source::Files(files)
    };
    if !args.files.is_empty() && matches!(source, Source::CloudWatch { .. }) {
        bail!("give files or --stage/--log-group, not both");
    }
    // CloudWatch reads default to the last day: a log group can hold years.
    let (cw_since, cw_until) = (since.unwrap_or(now - 86_400_000), until.unwrap_or(now));

    let mut pieces: Pieces = match &source {
        _ if args.insights => Box::new(std::iter::empty()),
        Source::Files(files) => Box::new(stagelog_accesslog::pieces(files.clone())),
        Source::CloudWatch { group, region } => {
            cloudwatch_pieces(&args, group, region.clone(), (cw_since, cw_until), ui)?
        }
    };
    let format = match format_text {
        Some(text) => Format::compile(&text).map_err(|e| anyhow!("--log-format: {e}"))?,
        None => {
            let (format, rest) = detect(pieces, &source)?;
            pieces = rest;
            format
        }
    };

    let mut query = Query {
        top: args.top,
        ..Query::default()
    };
    for w in &args.filters {
        query
            .filters
            .push(Filter::parse(w, &format).map_err(|e| anyhow!("--where: {e}"))?);
    }
    for name in &args.count_by {
        query.group_by.push(
            format
                .resolve(name)
                .map_err(|e| anyhow!("--count-by: {e}"))?,
        );
    }
    if let Some(l) = &args.latency {
        query.latency = Some(format.resolve(l).map_err(|e| anyhow!("--latency: {e}"))?);
    }
    if matches!(source, Source::Files(_)) && (since.is_some() || until.is_some()) {
        let field = format.resolve("time").map_err(|_| {
            anyhow!("--since/--until on files need a time field ($context.requestTime or requestTimeEpoch) in the format")
        })?;
        query.time = Some((field, since, until));
    }
    let output = match args.format {
        LogsOutput::Table => Output::Table,
        LogsOutput::Json => Output::Json,
        LogsOutput::Csv => Output::Csv,
    };

    if args.insights {
        let q = insights::translate(&format, &query);
        if args.explain {
            println!("{}", q.text);
            return Ok(ExitStatus::Clean);
        }
        let Source::CloudWatch { group, region } = &source else {
            unreachable!("checked above")
        };
        return run_insights(
            Insights {
                args: &args,
                group,
                region: region.as_deref(),
                format: &format,
                query: &query,
                translated: &q,
                output,
                window: (cw_since, cw_until),
            },
            ui,
        );
    }

    let engine = Engine {
        parser: Parser::new(format),
        query,
        output,
        show_unparsed: args.show_unparsed,
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let stderr = io::stderr();
    let mut diag = stderr.lock();
    let summary = match engine.run(pieces, &mut out, &mut diag) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(ExitStatus::Clean),
        other => other.context("reading access logs")?,
    };
    drop(out);
    // Nothing parsed: the format is not this log's, which is an error, not an empty answer.
    if summary.lines > 0 && summary.unparsed == summary.lines {
        let (source, line, why) = summary.first_unparsed.clone().unwrap_or_default();
        eprintln!(
            "stagelog: error: none of the {} lines matches the format; the first ({source}:{line}, column {}): {}\n  pass the stage's own format (--stage ARN) or --log-format (`--log-format help` lists the presets)",
            summary.lines, why.column, why.reason
        );
        return Ok(ExitStatus::Error);
    }
    if !engine.query.aggregates() && !ui.quiet() {
        eprintln!(
            "{} lines, {} unparsed{}, {} matched",
            summary.lines,
            summary.unparsed,
            if summary.unparsed > 0 && !args.show_unparsed {
                " (--show-unparsed lists them)"
            } else {
                ""
            },
            summary.matched
        );
    }
    Ok(ExitStatus::Clean)
}

/// A format from the first non-blank line of a JSON log; the pieces read to find it are put back.
fn detect(mut pieces: Pieces, source: &Source) -> Result<(Format, Pieces)> {
    let mut first_line = None;
    let mut seen: Vec<io::Result<Piece>> = Vec::new();
    if let Source::Files(files) = source {
        if let Some(path) = files.iter().find(|p| p.as_os_str() != "-") {
            let file = stagelog_accesslog::open_log(path)?;
            first_line = io::BufReader::new(file)
                .lines()
                .map_while(|l| l.ok())
                .find(|l| !l.trim().is_empty());
        }
    }
    if first_line.is_none()
        && !matches!(source, Source::Files(f) if f.iter().all(|p| p.as_os_str() != "-"))
    {
        for piece in pieces.by_ref() {
            let piece = piece?;
            if let Piece::Bytes { bytes, .. } = &piece {
                first_line = bytes
                    .split(|b| *b == b'\n')
                    .find(|l| !l.iter().all(u8::is_ascii_whitespace))
                    .map(|l| String::from_utf8_lossy(l).into_owned());
            }
            seen.push(Ok(piece));
            if first_line.is_some() {
                break;
            }
        }
    }
    let format = first_line
        .as_deref()
        .map(|l| {
            // A line exported to S3 carries the event's time before the event.
            let at = stagelog_accesslog::parse::export_prefix(l.as_bytes()).unwrap_or(0);
            &l[at..]
        })
        .and_then(Format::from_json_line)
        .ok_or_else(|| {
            anyhow!(
                "the log's format is not known: pass --log-format (the stage's format string, or a preset), or --stage ARN. The presets:\n{}",
                preset_list()
            )
        })?;
    Ok((format, Box::new(seen.into_iter().chain(pieces))))
}

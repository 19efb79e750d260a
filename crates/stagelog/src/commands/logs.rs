//! `stagelog logs`: access logs from files, standard input or CloudWatch, through the parser
//! compiled from the stage's format; or the same query run by CloudWatch Logs Insights.

use crate::cli::{LogsArgs, LogsOutput};
use crate::live::{cloudwatch_pieces, run_insights, stage_settings};
use crate::pipeline::ExitStatus;
use anyhow::{anyhow, bail, Context, Result};
use stagelog_accesslog::{
    insights, presets, query::parse_time, Engine, Filter, Format, Output, Parser, Piece, Query,
};
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

pub(crate) type Pieces = Box<dyn Iterator<Item = io::Result<Piece>>>;

/// Where the lines come from.
enum Source {
    Files(Vec<std::path::PathBuf>),
    CloudWatch {
        group: String,
        region: Option<String>,
    },
}

pub fn run(args: LogsArgs) -> Result<ExitStatus> {
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
    let mut format_text = args
        .log_format
        .as_deref()
        .map(|f| presets::preset(f).unwrap_or(f).to_string());
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
            cloudwatch_pieces(&args, group, region.clone(), cw_since, cw_until)?
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
            &args,
            group,
            region.as_deref(),
            &format,
            &query,
            &q,
            output,
            (cw_since, cw_until),
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
    if !engine.query.aggregates() && !crate::ui::quiet() {
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
            let file = std::fs::File::open(path).with_context(|| path.display().to_string())?;
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
        .and_then(Format::from_json_line)
        .ok_or_else(|| {
            anyhow!("the log's format is not known: pass --log-format (the stage's format string, or a preset: rest-clf, http-json, …), or --stage ARN")
        })?;
    Ok((format, Box::new(seen.into_iter().chain(pieces))))
}

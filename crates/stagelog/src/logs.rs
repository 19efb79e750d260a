//! `stagelog logs`: access logs from files, standard input or CloudWatch, through the parser
//! compiled from the stage's format; or the same query run by CloudWatch Logs Insights.

use crate::cli::{LogsArgs, LogsOutput};
use anyhow::{anyhow, bail, Context, Result};
use stagelog_accesslog::{
    insights, presets, query::parse_time, Engine, Filter, Format, Output, Parser, Piece, Query,
};
use std::io::{self, BufRead};

/// `90s`, `15m`, `24h`, `7d`, `2w` in milliseconds.
pub(crate) fn duration_ms(s: &str) -> Option<i64> {
    let s = s.trim();
    let unit = s.chars().last()?;
    let n: i64 = s[..s.len() - unit.len_utf8()].trim().parse().ok()?;
    let ms = match unit {
        's' => 1000,
        'm' => 60_000,
        'h' => 3_600_000,
        'd' => 86_400_000,
        'w' => 7 * 86_400_000,
        _ => return None,
    };
    (n >= 0).then(|| n.checked_mul(ms)).flatten()
}

/// `--since`/`--until`: an age, RFC 3339 or epoch seconds/milliseconds.
fn time_arg(flag: &str, s: &str, now_ms: i64) -> Result<i64> {
    duration_ms(s)
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

type Pieces = Box<dyn Iterator<Item = io::Result<Piece>>>;

/// Where the lines come from.
enum Source {
    Files(Vec<std::path::PathBuf>),
    CloudWatch {
        group: String,
        region: Option<String>,
    },
}

pub fn run(args: LogsArgs) -> Result<u8> {
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
            return Ok(0);
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
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(0),
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
    Ok(0)
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

#[cfg(not(feature = "aws"))]
fn stage_settings(_: &LogsArgs, _: &str) -> Result<(Option<String>, String, String)> {
    bail!("this stagelog was built without AWS support (cargo feature `aws`)")
}

/// The stage's format, destination log group and region.
#[cfg(feature = "aws")]
fn stage_settings(args: &LogsArgs, arn: &str) -> Result<(Option<String>, String, String)> {
    let s = stagelog_aws::logread::stage_log_settings(&aws_options(args), arn)
        .map_err(|e| anyhow!(e))?;
    let group = s.log_group().ok_or_else(|| match &s.destination_arn {
        Some(d) => anyhow!("{arn} logs to {d}, which is not a CloudWatch Logs group"),
        None => anyhow!("{arn} has no access logging"),
    })?;
    Ok((s.format.clone(), group, s.region))
}

#[cfg(feature = "aws")]
fn aws_options(args: &LogsArgs) -> stagelog_aws::AuditOptions {
    stagelog_aws::AuditOptions {
        profile: args.profile.clone(),
        regions: args.region.iter().cloned().collect(),
        endpoint_url: args.endpoint_url.clone(),
        ..stagelog_aws::AuditOptions::default()
    }
}

#[cfg(not(feature = "aws"))]
fn cloudwatch_pieces(_: &LogsArgs, _: &str, _: Option<String>, _: i64, _: i64) -> Result<Pieces> {
    bail!("this stagelog was built without AWS support (cargo feature `aws`); read files instead")
}

#[cfg(feature = "aws")]
fn cloudwatch_pieces(
    args: &LogsArgs,
    group: &str,
    region: Option<String>,
    since: i64,
    until: i64,
) -> Result<Pieces> {
    let source: std::sync::Arc<str> = group.into();
    let events = stagelog_aws::logread::stream_events(
        &aws_options(args),
        region,
        group.to_string(),
        Some(since),
        Some(until),
    );
    Ok(Box::new(events.map(move |page| {
        page.map(|bytes| Piece::Bytes {
            source: source.clone(),
            bytes,
        })
        .map_err(io::Error::other)
    })))
}

#[cfg(not(feature = "aws"))]
#[allow(clippy::too_many_arguments)]
fn run_insights(
    _: &LogsArgs,
    _: &str,
    _: Option<&str>,
    _: &Format,
    _: &Query,
    _: &insights::InsightsQuery,
    _: Output,
    _: (i64, i64),
) -> Result<u8> {
    bail!("this stagelog was built without AWS support (cargo feature `aws`); --explain prints the query")
}

/// Runs the query in CloudWatch; aggregates come back as rows, records as events parsed here.
#[cfg(feature = "aws")]
#[allow(clippy::too_many_arguments)]
fn run_insights(
    args: &LogsArgs,
    group: &str,
    region: Option<&str>,
    format: &Format,
    query: &Query,
    q: &insights::InsightsQuery,
    output: Output,
    (since, until): (i64, i64),
) -> Result<u8> {
    use stagelog_accesslog::{write_table, Table};
    use std::io::Write;
    let result = stagelog_aws::logread::insights(
        &aws_options(args),
        region,
        &[group.to_string()],
        &q.text,
        since,
        until,
    )
    .map_err(|e| anyhow!(e))?;
    let stdout = io::stdout();
    let mut out = stdout.lock();
    if q.records {
        let mut bytes = Vec::new();
        for row in &result.rows {
            if let Some((_, m)) = row.iter().find(|(f, _)| f == "@message") {
                bytes.extend_from_slice(m.trim_end_matches('\n').as_bytes());
                bytes.push(b'\n');
            }
        }
        let engine = Engine {
            parser: Parser::new(format.clone()),
            query: Query {
                filters: query.filters.clone(),
                ..Query::default()
            },
            output,
            show_unparsed: args.show_unparsed,
        };
        let piece = Piece::Bytes {
            source: group.into(),
            bytes,
        };
        let summary = engine.run(std::iter::once(Ok(piece)), &mut out, &mut io::stderr())?;
        if !crate::ui::quiet() {
            eprintln!(
                "{} events from Insights ({} scanned in CloudWatch), {} unparsed, {} matched",
                summary.lines,
                result.records_scanned.unwrap_or(0.0),
                summary.unparsed,
                summary.matched
            );
        }
        return Ok(0);
    }
    // Columns as the format names them, in the order --count-by gave them, then the stats.
    let mut columns: Vec<(String, String)> =
        q.columns[1 + 3 * usize::from(query.latency.is_some())..].to_vec();
    columns.extend(
        q.columns[..1 + 3 * usize::from(query.latency.is_some())]
            .iter()
            .cloned(),
    );
    let rows = result
        .rows
        .iter()
        .map(|row| {
            columns
                .iter()
                .map(|(insights_name, _)| {
                    let v = row
                        .iter()
                        .find(|(f, _)| f == insights_name)
                        .map(|(_, v)| v.clone());
                    match v {
                        None => serde_json::Value::Null,
                        Some(v)
                            if ["count", "p50", "p90", "p99"].contains(&insights_name.as_str()) =>
                        {
                            v.parse::<f64>()
                                .ok()
                                .and_then(|n| {
                                    if n.fract() == 0.0 {
                                        Some(serde_json::Value::from(n as i64))
                                    } else {
                                        serde_json::Number::from_f64(n)
                                            .map(serde_json::Value::Number)
                                    }
                                })
                                .unwrap_or(serde_json::Value::String(v))
                        }
                        Some(v) => serde_json::Value::String(v),
                    }
                })
                .collect()
        })
        .collect();
    let table = Table {
        columns: columns.into_iter().map(|(_, ours)| ours).collect(),
        rows,
        lines: result.records_scanned.map(|n| n as u64),
        unparsed: None,
        matched: result.records_matched.map(|n| n as u64),
    };
    write_table(output, &table, &mut out)?;
    out.flush()?;
    Ok(0)
}

//! The CloudWatch side of `stagelog logs` (compiled with the `aws` feature): a stage's log
//! group and format, the events of a group (through Logs Insights for Infrequent Access
//! groups), and queries pushed to Logs Insights.

use super::{Insights, Pieces};
use crate::cli::LogsArgs;
use crate::Ui;
use anyhow::{anyhow, Result};
use stagelog_accesslog::{Engine, Parser, Piece, Query};
use stagelog_pipeline::ExitStatus;
use std::io;

pub fn stage_settings(args: &LogsArgs, arn: &str) -> Result<(Option<String>, String, String)> {
    let s = stagelog_aws::logread::stage_log_settings(&aws_options(args), arn)
        .map_err(|e| anyhow!(e))?;
    let group = s.log_group().ok_or_else(|| match &s.destination_arn {
        Some(d) => anyhow!("{arn} logs to {d}, which is not a CloudWatch Logs group"),
        None => anyhow!("{arn} has no access logging"),
    })?;
    Ok((s.format.clone(), group, s.region))
}

fn aws_options(args: &LogsArgs) -> stagelog_aws::AuditOptions {
    stagelog_aws::AuditOptions {
        profile: args.profile.clone(),
        regions: args.region.iter().cloned().collect(),
        endpoint_url: args.endpoint_url.clone(),
        ..stagelog_aws::AuditOptions::default()
    }
}

/// The stage that writes to `group` and its format (`logs --log-group` without a format).
pub fn format_of_group(args: &LogsArgs, group: &str) -> Result<Option<(String, String)>> {
    stagelog_aws::logread::format_of_group(&aws_options(args), args.region.as_deref(), group)
        .map_err(|e| anyhow!(e))
}

pub fn cloudwatch_pieces(
    args: &LogsArgs,
    group: &str,
    region: Option<String>,
    (since, until): (i64, i64),
    ui: Ui,
) -> Result<Pieces> {
    let source: std::sync::Arc<str> = group.into();
    let opts = aws_options(args);
    // Infrequent Access groups refuse FilterLogEvents: the same events through Logs Insights.
    let class = stagelog_aws::logread::log_group_class(&opts, region.as_deref(), group)
        .map_err(|e| anyhow!(e))?;
    let events: Box<dyn Iterator<Item = Result<Vec<u8>, String>>> = if class
        == Some(stagelog_model::LogClass::InfrequentAccess)
    {
        if ui.verbose() {
            eprintln!(
                    "{group} is an Infrequent Access log group, which FilterLogEvents cannot read: reading it with Logs Insights"
                );
        }
        Box::new(stagelog_aws::logread::stream_events_insights(
            &opts,
            region,
            group.to_string(),
            since,
            until,
        ))
    } else {
        Box::new(stagelog_aws::logread::stream_events(
            &opts,
            region,
            group.to_string(),
            Some(since),
            Some(until),
        ))
    };
    Ok(Box::new(events.map(move |page| {
        page.map(|bytes| Piece::Bytes {
            source: source.clone(),
            bytes,
        })
        .map_err(io::Error::other)
    })))
}

pub fn run_insights(run: Insights, ui: Ui) -> Result<ExitStatus> {
    let Insights {
        args,
        group,
        region,
        format,
        query,
        translated: q,
        output,
        window: (since, until),
    } = run;
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
        if !ui.quiet() {
            eprintln!(
                "{} events from Insights ({} scanned in CloudWatch), {} unparsed, {} matched",
                summary.lines,
                result.records_scanned.unwrap_or(0.0),
                summary.unparsed,
                summary.matched
            );
        }
        return Ok(ExitStatus::Clean);
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
    Ok(ExitStatus::Clean)
}

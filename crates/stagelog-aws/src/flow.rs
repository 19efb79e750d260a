//! `verify`: for each stage with access logs to CloudWatch Logs, what really arrives — the
//! newest event, the most recent events, and (when nothing arrived) the stage's traffic from
//! CloudWatch metrics. Read-only: DescribeLogStreams, GetLogEvents, GetMetricData.

use crate::sdk_error;
use aws_config::{Region, SdkConfig};
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat};
use aws_sdk_cloudwatchlogs::types::OrderBy;
use stagelog_model::arn::LogGroupArn;
use stagelog_model::{ApiKind, Inventory, LogFlow, Value};
use std::collections::HashMap;

/// What `verify` looks at.
#[derive(Debug, Clone, Copy)]
pub struct VerifyOptions {
    /// How far back an event counts as recent, in milliseconds.
    pub window_ms: i64,
    /// How many recent events are checked against the format.
    pub sample: usize,
    /// "Now", in milliseconds since the epoch.
    pub now_ms: i64,
}

impl VerifyOptions {
    pub fn new(window_ms: i64, sample: usize) -> VerifyOptions {
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        VerifyOptions {
            window_ms,
            sample,
            now_ms,
        }
    }
}

#[derive(Clone)]
struct GroupFacts {
    exists: bool,
    newest: Option<i64>,
    recent: Vec<String>,
}

/// Fills `stage.flow` for every stage of `inv` whose access logs go to a log group.
pub(crate) async fn annotate(
    config: &SdkConfig,
    region: &str,
    inv: &mut Inventory,
    v: &VerifyOptions,
    errors: &mut Vec<String>,
    notes: &mut Vec<String>,
) {
    let conf = config
        .to_builder()
        .region(Region::new(region.to_string()))
        .build();
    let logs = aws_sdk_cloudwatchlogs::Client::new(&conf);
    let metrics = aws_sdk_cloudwatch::Client::new(&conf);
    let since = v.now_ms - v.window_ms;
    let mut groups: HashMap<String, GroupFacts> = HashMap::new();
    let known: Vec<String> = inv.log_groups.iter().map(|g| g.name.to_string()).collect();
    for i in 0..inv.stages.len() {
        let stage = &inv.stages[i];
        // The access log group, then the groups execution-log deliveries write to.
        let access = match &stage.access_log {
            Some(Value::Known(log)) => log.destination.as_ref().map(|d| d.arn.to_string()),
            _ => None,
        };
        let delivered: Vec<String> = stage
            .execution_deliveries
            .iter()
            .map(|d| d.destination.to_string())
            .collect();
        let mut requests_seen: Option<Result<u64, String>> = None;
        for (is_access, arn) in access
            .into_iter()
            .map(|a| (true, a))
            .chain(delivered.into_iter().map(|d| (false, d)))
        {
            let Some(name) = LogGroupArn::parse(&arn).map(|a| a.name) else {
                continue; // Firehose, S3: not readable here.
            };
            let sample = if is_access { v.sample } else { 0 };
            let facts = match groups.get(&name) {
                Some(f) => f.clone(),
                None => {
                    let absent = inv.log_groups_complete && !known.contains(&name);
                    let f = if absent {
                        GroupFacts {
                            exists: false,
                            newest: None,
                            recent: vec![],
                        }
                    } else {
                        let infrequent = inv
                            .log_groups
                            .iter()
                            .find(|g| g.name.as_known().as_deref() == Some(name.as_str()))
                            .is_some_and(|g| g.is_infrequent_access());
                        if infrequent {
                            notes.push(format!(
                                "{name} is an Infrequent Access log group, which FilterLogEvents cannot read: its recent events read with Logs Insights"
                            ));
                        }
                        match group_facts(&logs, &conf, &name, since, v.now_ms, sample, infrequent)
                            .await
                        {
                            Ok(f) => f,
                            Err(e) => {
                                errors.push(format!("cannot read log group {name}: {e}"));
                                continue;
                            }
                        }
                    };
                    groups.insert(name.clone(), f.clone());
                    f
                }
            };
            let mut flow = LogFlow {
                log_group: name,
                group_exists: facts.exists,
                since_ms: since,
                checked_at_ms: v.now_ms,
                newest_event_ms: facts.newest,
                requests: None,
                requests_error: None,
                recent_events: facts.recent,
            };
            if facts.exists && facts.newest.is_none_or(|t| t < since) {
                let traffic = match &requests_seen {
                    Some(r) => r.clone(),
                    None => {
                        let r = requests(&metrics, &inv.stages[i], since, v.now_ms).await;
                        requests_seen = Some(r.clone());
                        r
                    }
                };
                match traffic {
                    Ok(n) => flow.requests = Some(n),
                    Err(e) => flow.requests_error = Some(e),
                }
            }
            if is_access {
                inv.stages[i].flow = Some(flow);
            } else {
                inv.stages[i].delivery_flows.push(flow);
            }
        }
    }
}

/// The newest event of a group (DescribeLogStreams) and its most recent `sample` events:
/// GetLogEvents on the newest streams, or for an Infrequent Access group one Logs Insights
/// query over the window.
#[allow(clippy::too_many_arguments)]
async fn group_facts(
    logs: &aws_sdk_cloudwatchlogs::Client,
    conf: &SdkConfig,
    name: &str,
    since: i64,
    now: i64,
    sample: usize,
    infrequent: bool,
) -> Result<GroupFacts, String> {
    let streams = match logs
        .describe_log_streams()
        .log_group_name(name)
        .order_by(OrderBy::LastEventTime)
        .descending(true)
        .limit(5)
        .send()
        .await
    {
        Ok(r) => r.log_streams.unwrap_or_default(),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) =>
        {
            return Ok(GroupFacts {
                exists: false,
                newest: None,
                recent: vec![],
            })
        }
        Err(e) => return Err(sdk_error(&e)),
    };
    let newest = streams.iter().filter_map(|s| s.last_event_timestamp).max();
    let mut recent: Vec<String> = Vec::new();
    if infrequent && newest.is_some_and(|t| t >= since) && sample > 0 {
        let query = format!("fields @timestamp, @message | sort @timestamp desc | limit {sample}");
        let r =
            crate::logread::insights_with(conf, &[name.to_string()], &query, since, now).await?;
        recent = r
            .rows
            .iter()
            .rev()
            .filter_map(|row| row.iter().find(|(f, _)| f == "@message"))
            .map(|(_, m)| m.trim_end_matches('\n').to_string())
            .collect();
    } else if newest.is_some_and(|t| t >= since) && sample > 0 {
        let mut ordered = streams.clone();
        ordered.sort_by_key(|s| std::cmp::Reverse(s.last_event_timestamp.unwrap_or(0)));
        for stream in ordered {
            let Some(stream_name) = stream.log_stream_name() else {
                continue;
            };
            let page = logs
                .get_log_events()
                .log_group_name(name)
                .log_stream_name(stream_name)
                .start_from_head(false)
                .limit((sample - recent.len()) as i32)
                .send()
                .await
                .map_err(|e| sdk_error(&e))?;
            // Each page is oldest first; older streams go in front.
            let mut messages: Vec<String> = page
                .events()
                .iter()
                .filter_map(|e| e.message().map(|m| m.trim_end_matches('\n').to_string()))
                .collect();
            let keep = messages.len().saturating_sub(sample - recent.len());
            messages.drain(..keep);
            messages.append(&mut recent);
            recent = messages;
            if recent.len() >= sample {
                break;
            }
        }
    }
    Ok(GroupFacts {
        exists: true,
        newest,
        recent,
    })
}

/// Requests in `[since, now)` from `AWS/ApiGateway` metrics.
async fn requests(
    client: &aws_sdk_cloudwatch::Client,
    stage: &stagelog_model::Stage,
    since: i64,
    now: i64,
) -> Result<u64, String> {
    let stage_name = stage.name.to_string();
    let api_id = stage
        .api
        .as_ref()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let (metrics, api_dim): (&[&str], Dimension) = match stage.api_kind {
        ApiKind::Rest => (
            &["Count"],
            Dimension::builder()
                .name("ApiName")
                .value(stage.api_name.clone().unwrap_or_default())
                .build(),
        ),
        ApiKind::WebSocket => (
            &["ConnectCount", "MessageCount"],
            Dimension::builder().name("ApiId").value(&api_id).build(),
        ),
        ApiKind::Http | ApiKind::V2 => (
            &["Count"],
            Dimension::builder().name("ApiId").value(&api_id).build(),
        ),
    };
    // One datapoint for the whole window (periods are whole minutes).
    let period = (((now - since) / 1000).max(60) / 60 * 60) as i32;
    let mut req = client
        .get_metric_data()
        .start_time(aws_sdk_cloudwatch::primitives::DateTime::from_millis(since))
        .end_time(aws_sdk_cloudwatch::primitives::DateTime::from_millis(now));
    for (i, metric) in metrics.iter().enumerate() {
        req = req.metric_data_queries(
            MetricDataQuery::builder()
                .id(format!("m{i}"))
                .metric_stat(
                    MetricStat::builder()
                        .metric(
                            Metric::builder()
                                .namespace("AWS/ApiGateway")
                                .metric_name(*metric)
                                .dimensions(api_dim.clone())
                                .dimensions(
                                    Dimension::builder()
                                        .name("Stage")
                                        .value(&stage_name)
                                        .build(),
                                )
                                .build(),
                        )
                        .period(period)
                        .stat("Sum")
                        .build(),
                )
                .build(),
        );
    }
    let out = req.send().await.map_err(|e| sdk_error(&e))?;
    let total: f64 = out
        .metric_data_results()
        .iter()
        .flat_map(|r| r.values().iter())
        .sum();
    Ok(total.max(0.0).round() as u64)
}

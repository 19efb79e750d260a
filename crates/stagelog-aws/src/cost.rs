//! `stagelog cost`: what each stage's log groups took in over a window (`AWS/Logs`
//! `IncomingBytes` per `LogGroupName`) and, for stages that write no access log, the requests
//! they served (`AWS/ApiGateway` `Count`), read with GetMetricData in batches of up to 500
//! queries, never one call per group. Stored bytes and the log class come from the audit's
//! DescribeLogGroups. Read-only.

use crate::sdk_error;
use aws_config::{Region, SdkConfig};
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat};
use stagelog_model::{ApiKind, Inventory, Usage, Value};
use std::collections::BTreeMap;

/// GetMetricData takes at most 500 queries per call.
const QUERIES_PER_CALL: usize = 500;

/// The window `cost` measures.
#[derive(Debug, Clone, Copy)]
pub struct CostWindow {
    pub window_ms: i64,
    /// "Now", in milliseconds since the epoch.
    pub now_ms: i64,
}

impl CostWindow {
    pub fn new(window_ms: i64) -> CostWindow {
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        CostWindow { window_ms, now_ms }
    }
}

/// One metric, summed over the window.
struct Wanted {
    namespace: &'static str,
    metric: &'static str,
    dimensions: Vec<(&'static str, String)>,
}

/// Sums of `wanted` over `[since, now)`, by position; a metric with no datapoint is 0.
async fn sums(
    client: &aws_sdk_cloudwatch::Client,
    wanted: &[Wanted],
    since: i64,
    now: i64,
) -> Result<Vec<f64>, String> {
    let mut out = vec![0.0; wanted.len()];
    // One datapoint for the whole window; periods are whole minutes.
    let period = (((now - since) / 1000).max(60) / 60 * 60) as i32;
    for (chunk_at, chunk) in wanted.chunks(QUERIES_PER_CALL).enumerate() {
        let queries: Vec<MetricDataQuery> = chunk
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let mut metric = Metric::builder()
                    .namespace(w.namespace)
                    .metric_name(w.metric);
                for (name, value) in &w.dimensions {
                    metric =
                        metric.dimensions(Dimension::builder().name(*name).value(value).build());
                }
                MetricDataQuery::builder()
                    .id(format!("q{}", chunk_at * QUERIES_PER_CALL + i))
                    .metric_stat(
                        MetricStat::builder()
                            .metric(metric.build())
                            .period(period)
                            .stat("Sum")
                            .build(),
                    )
                    .build()
            })
            .collect();
        let mut token = None;
        loop {
            let page = client
                .get_metric_data()
                .start_time(aws_sdk_cloudwatch::primitives::DateTime::from_millis(since))
                .end_time(aws_sdk_cloudwatch::primitives::DateTime::from_millis(now))
                .set_metric_data_queries(Some(queries.clone()))
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| sdk_error(&e))?;
            for r in page.metric_data_results() {
                let Some(at) = r
                    .id()
                    .and_then(|id| id.strip_prefix('q'))
                    .and_then(|n| n.parse::<usize>().ok())
                else {
                    continue;
                };
                if let Some(slot) = out.get_mut(at) {
                    *slot += r.values().iter().sum::<f64>();
                }
            }
            token = page.next_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
    }
    Ok(out)
}

/// The request-count metric of a stage (as `verify` reads it): REST by API name, v2 by id.
fn requests_metric(stage: &stagelog_model::Stage) -> Option<Vec<Wanted>> {
    let name = stage.name.as_known()?;
    let (metrics, api_dimension): (&[&'static str], (&'static str, String)) = match stage.api_kind {
        ApiKind::Rest => (&["Count"], ("ApiName", stage.api_name.clone()?)),
        ApiKind::WebSocket => (
            &["ConnectCount", "MessageCount"],
            ("ApiId", stage.api.as_ref()?.as_known()?),
        ),
        ApiKind::Http | ApiKind::V2 => (&["Count"], ("ApiId", stage.api.as_ref()?.as_known()?)),
    };
    Some(
        metrics
            .iter()
            .map(|m| Wanted {
                namespace: "AWS/ApiGateway",
                metric: m,
                dimensions: vec![api_dimension.clone(), ("Stage", name.clone())],
            })
            .collect(),
    )
}

/// Whether the stage writes access logs to a log group (or anywhere).
fn logs_access(stage: &stagelog_model::Stage) -> bool {
    matches!(&stage.access_log, Some(Value::Known(a)) if a.destination.is_some())
}

/// Fills each log group's `usage` and, for stages without access logs, `requests`.
pub(crate) async fn annotate(
    config: &SdkConfig,
    region: &str,
    inv: &mut Inventory,
    window: &CostWindow,
) -> Result<(), String> {
    let conf = config
        .to_builder()
        .region(Region::new(region.to_string()))
        .build();
    let client = aws_sdk_cloudwatch::Client::new(&conf);
    let since = window.now_ms - window.window_ms;
    let mut wanted = Vec::new();
    let mut groups = Vec::new();
    for (i, g) in inv.log_groups.iter().enumerate() {
        if let Some(name) = g.name.as_known() {
            groups.push((i, wanted.len()));
            wanted.push(Wanted {
                namespace: "AWS/Logs",
                metric: "IncomingBytes",
                dimensions: vec![("LogGroupName", name)],
            });
        }
    }
    // Stage → the positions of its request metrics.
    let mut stages: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, s) in inv.stages.iter().enumerate() {
        if logs_access(s) {
            continue;
        }
        if let Some(metrics) = requests_metric(s) {
            let at = wanted.len();
            stages.insert(i, (at..at + metrics.len()).collect());
            wanted.extend(metrics);
        }
    }
    if wanted.is_empty() {
        return Ok(());
    }
    let values = sums(&client, &wanted, since, window.now_ms)
        .await
        .map_err(|e| format!("cannot read CloudWatch metrics for cost: {e}"))?;
    for (group, at) in groups {
        inv.log_groups[group].usage = Some(Usage {
            ingested_bytes: values[at].max(0.0).round() as u64,
            window_ms: window.window_ms,
        });
    }
    for (stage, at) in stages {
        let n: f64 = at.iter().map(|&i| values[i]).sum();
        inv.stages[stage].requests = Some(n.max(0.0).round() as u64);
    }
    Ok(())
}

//! Reading access logs from CloudWatch Logs for `stagelog logs`: a stage's format and
//! destination, events streamed page by page (FilterLogEvents), and Logs Insights queries
//! (StartQuery, GetQueryResults). Read-only.

use crate::{base_config, sdk_error, AuditOptions};
use aws_config::{Region, SdkConfig};
use aws_sdk_cloudwatchlogs::error::ProvideErrorMetadata;
use stagelog_model::arn::{LogGroupArn, StageArn};
use std::sync::mpsc;

/// A stage's access log settings, from its ARN.
#[derive(Debug, Clone)]
pub struct StageLogSettings {
    pub region: String,
    pub format: Option<String>,
    pub destination_arn: Option<String>,
}

impl StageLogSettings {
    /// The destination log group's name, when it is one.
    pub fn log_group(&self) -> Option<String> {
        LogGroupArn::parse(self.destination_arn.as_deref()?).map(|arn| arn.name)
    }
}

/// Runs one request the way `audit` probes an account: two attempts, so an endpoint that
/// cannot be reached fails in well under a second instead of after ten backed-off attempts
/// (14 s). A throttled answer is asked again with the patient configuration.
async fn first_call<T, E, R, F, Fut>(
    conf: &SdkConfig,
    call: F,
) -> Result<T, aws_sdk_cloudwatchlogs::error::SdkError<E, R>>
where
    E: ProvideErrorMetadata,
    F: Fn(SdkConfig) -> Fut,
    Fut: std::future::Future<Output = Result<T, aws_sdk_cloudwatchlogs::error::SdkError<E, R>>>,
{
    let fast = conf
        .to_builder()
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(2))
        .build();
    match call(fast).await {
        Err(e)
            if e.code().is_some_and(|c| {
                c.contains("Throttl")
                    || c.contains("TooManyRequests")
                    || c == "LimitExceededException"
            }) =>
        {
            call(conf.clone()).await
        }
        other => other,
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
}

async fn config_for(opts: &AuditOptions, region: Option<&str>) -> SdkConfig {
    let base = base_config(opts).await;
    match region.or(opts.regions.first().map(String::as_str)) {
        Some(r) => base.to_builder().region(Region::new(r.to_string())).build(),
        None => base,
    }
}

/// Reads a stage's access log settings: `arn:aws:apigateway:REGION::/restapis/ID/stages/NAME`
/// (REST) or `…::/apis/ID/stages/NAME` (HTTP, WebSocket).
pub fn stage_log_settings(opts: &AuditOptions, arn: &str) -> Result<StageLogSettings, String> {
    let bad = || {
        format!("`{arn}` is not a stage ARN (arn:aws:apigateway:REGION::/restapis/ID/stages/NAME or …::/apis/ID/stages/NAME)")
    };
    let rest = arn.strip_prefix("arn:").ok_or_else(bad)?;
    let parts: Vec<&str> = rest.splitn(5, ':').collect();
    if parts.len() != 5 || parts[1] != "apigateway" {
        return Err(bad());
    }
    let region = parts[2].to_string();
    let path: Vec<&str> = parts[4].trim_start_matches('/').split('/').collect();
    let (v1, api, stage) = match path.as_slice() {
        ["restapis", api, "stages", stage] => (true, *api, *stage),
        ["apis", api, "stages", stage] => (false, *api, *stage),
        _ => return Err(bad()),
    };
    // (format, destination ARN) of the stage's access log settings, from the v1 or v2 API.
    let (format, destination_arn) = runtime()?.block_on(async {
        let conf = config_for(opts, Some(&region)).await;
        let failed =
            |e: &(dyn std::error::Error + 'static)| format!("cannot read {arn}: {}", sdk_error(e));
        let owned = |s: Option<&str>| s.map(str::to_string);
        if v1 {
            let s = first_call(&conf, |c| async move {
                aws_sdk_apigateway::Client::new(&c)
                    .get_stage()
                    .rest_api_id(api)
                    .stage_name(stage)
                    .send()
                    .await
            })
            .await
            .map_err(|e| failed(&e))?;
            let a = s.access_log_settings();
            Ok::<_, String>((
                owned(a.and_then(|a| a.format())),
                owned(a.and_then(|a| a.destination_arn())),
            ))
        } else {
            let s = first_call(&conf, |c| async move {
                aws_sdk_apigatewayv2::Client::new(&c)
                    .get_stage()
                    .api_id(api)
                    .stage_name(stage)
                    .send()
                    .await
            })
            .await
            .map_err(|e| failed(&e))?;
            let a = s.access_log_settings();
            Ok((
                owned(a.and_then(|a| a.format())),
                owned(a.and_then(|a| a.destination_arn())),
            ))
        }
    })?;
    Ok(StageLogSettings {
        region,
        format,
        destination_arn,
    })
}

/// The events of a log group in `[start_ms, end_ms)`, a page at a time, each page the event
/// messages joined by newlines. A few pages are fetched ahead; memory stays bounded.
pub fn stream_events(
    opts: &AuditOptions,
    region: Option<String>,
    group: String,
    start_ms: Option<i64>,
    end_ms: Option<i64>,
) -> impl Iterator<Item = Result<Vec<u8>, String>> {
    let (tx, rx) = mpsc::sync_channel::<Result<Vec<u8>, String>>(4);
    let opts = opts.clone();
    std::thread::spawn(move || {
        let rt = match runtime() {
            Ok(rt) => rt,
            Err(e) => {
                let _ = tx.send(Err(e));
                return;
            }
        };
        rt.block_on(async move {
            let conf = config_for(&opts, region.as_deref()).await;
            let client = aws_sdk_cloudwatchlogs::Client::new(&conf);
            let mut token: Option<String> = None;
            loop {
                let page = client
                    .filter_log_events()
                    .log_group_name(&group)
                    .set_start_time(start_ms)
                    .set_end_time(end_ms.map(|e| e - 1))
                    .set_next_token(token.take())
                    .send()
                    .await;
                let page = match page {
                    Ok(p) => p,
                    Err(e) => {
                        let _ = tx.send(Err(format!(
                            "cannot read log group {group}: {}",
                            sdk_error(&e)
                        )));
                        return;
                    }
                };
                let mut bytes = Vec::new();
                for e in page.events() {
                    if let Some(m) = e.message() {
                        bytes.extend_from_slice(m.trim_end_matches('\n').as_bytes());
                        bytes.push(b'\n');
                    }
                }
                if !bytes.is_empty() && tx.send(Ok(bytes)).is_err() {
                    return;
                }
                match page.next_token() {
                    Some(t) if Some(t) != token.as_deref() => token = Some(t.to_string()),
                    _ => return,
                }
            }
        });
    });
    rx.into_iter()
}

/// The stage (ARN) that writes its access logs to `group`, and its format: GetRestApis and
/// GetApis, then GetStages per API, in the region; `None` when no stage writes there.
pub fn format_of_group(
    opts: &AuditOptions,
    region: Option<&str>,
    group: &str,
) -> Result<Option<(String, String)>, String> {
    let writes_here = |arn: Option<&str>| {
        arn.and_then(LogGroupArn::parse)
            .is_some_and(|arn| arn.name == group)
    };
    runtime()?.block_on(async {
        let conf = config_for(opts, region).await;
        let region = conf.region().map(|r| r.to_string()).unwrap_or_default();
        let failed = |what: &str, e: &(dyn std::error::Error + 'static)| {
            format!(
                "cannot look up the stage that writes to {group} ({what}): {}",
                sdk_error(e)
            )
        };
        // Page by page (GetRestApis' `position`), each asked as the first request is: an
        // unreachable endpoint fails fast, and no page is read twice.
        let mut apis = Vec::new();
        let mut position: Option<String> = None;
        loop {
            let page = first_call(&conf, |c| {
                let position = position.clone();
                async move {
                    aws_sdk_apigateway::Client::new(&c)
                        .get_rest_apis()
                        .limit(500)
                        .set_position(position)
                        .send()
                        .await
                }
            })
            .await
            .map_err(|e| failed("GetRestApis", &e))?;
            apis.extend(page.items().iter().cloned());
            position = page.position().map(str::to_string);
            if position.is_none() {
                break;
            }
        }
        let v1 = aws_sdk_apigateway::Client::new(&conf);
        for api in &apis {
            let id = api.id().unwrap_or_default();
            let stages = v1
                .get_stages()
                .rest_api_id(id)
                .send()
                .await
                .map_err(|e| failed("GetStages", &e))?;
            for s in stages.item() {
                let a = s.access_log_settings();
                if writes_here(a.and_then(|a| a.destination_arn())) {
                    if let Some(format) = a.and_then(|a| a.format()) {
                        let arn =
                            StageArn::new(&region, true, id, s.stage_name().unwrap_or_default())
                                .to_string();
                        return Ok(Some((arn, format.to_string())));
                    }
                }
            }
        }
        let v2 = aws_sdk_apigatewayv2::Client::new(&conf);
        let mut token = None;
        loop {
            let page = v2
                .get_apis()
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| failed("GetApis", &e))?;
            for api in page.items() {
                let id = api.api_id().unwrap_or_default();
                let stages = v2
                    .get_stages()
                    .api_id(id)
                    .send()
                    .await
                    .map_err(|e| failed("GetStages", &e))?;
                for s in stages.items() {
                    let a = s.access_log_settings();
                    if writes_here(a.and_then(|a| a.destination_arn())) {
                        if let Some(format) = a.and_then(|a| a.format()) {
                            let arn = StageArn::new(
                                &region,
                                false,
                                id,
                                s.stage_name().unwrap_or_default(),
                            )
                            .to_string();
                            return Ok(Some((arn, format.to_string())));
                        }
                    }
                }
            }
            token = page.next_token().map(str::to_string);
            if token.is_none() {
                return Ok(None);
            }
        }
    })
}

/// The class of a log group (`DescribeLogGroups`): Infrequent Access groups cannot be read with
/// FilterLogEvents, only with Logs Insights.
pub fn log_group_class(
    opts: &AuditOptions,
    region: Option<&str>,
    group: &str,
) -> Result<Option<stagelog_model::LogClass>, String> {
    runtime()?.block_on(async {
        let conf = config_for(opts, region).await;
        let failed = |e: &(dyn std::error::Error + 'static)| {
            format!("cannot describe log group {group}: {}", sdk_error(e))
        };
        let mut groups = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = first_call(&conf, |c| {
                let token = token.clone();
                async move {
                    aws_sdk_cloudwatchlogs::Client::new(&c)
                        .describe_log_groups()
                        .log_group_name_prefix(group)
                        .set_next_token(token)
                        .send()
                        .await
                }
            })
            .await
            .map_err(|e| failed(&e))?;
            groups.extend(page.log_groups().iter().cloned());
            token = page.next_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
        let found = groups
            .iter()
            .find(|g| g.log_group_name() == Some(group))
            .ok_or_else(|| format!("log group {group} does not exist"))?;
        Ok(found
            .log_group_class()
            .and_then(|c| stagelog_model::LogClass::parse(c.as_str())))
    })
}

/// Events Logs Insights returns per query at most.
const INSIGHTS_ROWS: i64 = 10_000;

/// An Insights `@timestamp`: `2026-11-24 01:02:03.123` (UTC) as CloudWatch writes it, or
/// milliseconds since the epoch.
pub(crate) fn insights_timestamp(v: &str) -> Option<i64> {
    if let Ok(ms) = v.parse::<i64>() {
        return Some(ms);
    }
    // `YYYY-MM-DD HH:MM:SS.fff`, UTC: humantime reads it as RFC 3339 without the `T` and zone.
    let at = humantime::parse_rfc3339_weak(v.trim()).ok()?;
    let ms = at.duration_since(std::time::UNIX_EPOCH).ok()?.as_millis();
    i64::try_from(ms).ok()
}

/// The events of an Infrequent Access log group in `[start_ms, end_ms)`, read with Logs
/// Insights (`fields @timestamp, @message | sort @timestamp asc | limit 10000`), oldest
/// first, as `stream_events` gives them: a window that returns the row limit is halved until
/// each part holds fewer, so no event is left out; each page is one window's messages.
pub fn stream_events_insights(
    opts: &AuditOptions,
    region: Option<String>,
    group: String,
    start_ms: i64,
    end_ms: i64,
) -> impl Iterator<Item = Result<Vec<u8>, String>> {
    let (tx, rx) = mpsc::sync_channel::<Result<Vec<u8>, String>>(2);
    let opts = opts.clone();
    std::thread::spawn(move || {
        // Windows still to read, the earliest last.
        let mut windows = vec![(start_ms, end_ms)];
        let query =
            format!("fields @timestamp, @message | sort @timestamp asc | limit {INSIGHTS_ROWS}");
        while let Some((from, to)) = windows.pop() {
            let result = insights(
                &opts,
                region.as_deref(),
                std::slice::from_ref(&group),
                &query,
                from,
                to,
            );
            let rows = match result {
                Ok(r) => r.rows,
                Err(e) => {
                    let _ = tx.send(Err(format!(
                        "cannot read log group {group} with Logs Insights: {e}"
                    )));
                    return;
                }
            };
            if rows.len() as i64 >= INSIGHTS_ROWS {
                // Insights windows are whole seconds: below one, nothing can be split.
                if to - from <= 1000 {
                    let _ = tx.send(Err(format!(
                        "log group {group} has more than {INSIGHTS_ROWS} events in one second at {from} ms; Logs Insights cannot list them all"
                    )));
                    return;
                }
                // Split on a whole second, where Insights windows start and end.
                let mid = (from + (to - from) / 2) / 1000 * 1000;
                let mid = if mid <= from {
                    from / 1000 * 1000 + 1000
                } else {
                    mid
                };
                windows.push((mid, to));
                windows.push((from, mid));
                continue;
            }
            let mut bytes = Vec::new();
            for row in &rows {
                let field =
                    |name: &str| row.iter().find(|(f, _)| f == name).map(|(_, v)| v.as_str());
                // Insights takes whole seconds; the window is kept to the millisecond here.
                let at = field("@timestamp").and_then(insights_timestamp);
                if at.is_some_and(|t| t < from || t >= to) {
                    continue;
                }
                if let Some(m) = field("@message") {
                    bytes.extend_from_slice(m.trim_end_matches('\n').as_bytes());
                    bytes.push(b'\n');
                }
            }
            if !bytes.is_empty() && tx.send(Ok(bytes)).is_err() {
                return;
            }
        }
    });
    rx.into_iter()
}

/// What a Logs Insights query returned.
#[derive(Debug, Default)]
pub struct InsightsResult {
    /// Each row's fields, in the order CloudWatch gives them (`@ptr` left out).
    pub rows: Vec<Vec<(String, String)>>,
    pub records_scanned: Option<f64>,
    pub records_matched: Option<f64>,
}

/// Runs a Logs Insights query over `[start_ms, end_ms)` and waits for it (up to 15 minutes).
pub fn insights(
    opts: &AuditOptions,
    region: Option<&str>,
    groups: &[String],
    query: &str,
    start_ms: i64,
    end_ms: i64,
) -> Result<InsightsResult, String> {
    runtime()?.block_on(async {
        let conf = config_for(opts, region).await;
        insights_with(&conf, groups, query, start_ms, end_ms).await
    })
}

/// [`insights`] with a client's configuration, inside a runtime (`verify` reads Infrequent
/// Access groups this way).
pub(crate) async fn insights_with(
    conf: &SdkConfig,
    groups: &[String],
    query: &str,
    start_ms: i64,
    end_ms: i64,
) -> Result<InsightsResult, String> {
    use aws_sdk_cloudwatchlogs::types::QueryStatus;
    let client = aws_sdk_cloudwatchlogs::Client::new(conf);
    let id = first_call(conf, |c| async move {
        aws_sdk_cloudwatchlogs::Client::new(&c)
            .start_query()
            .set_log_group_names(Some(groups.to_vec()))
            .start_time(start_ms / 1000)
            .end_time((end_ms + 999) / 1000)
            .query_string(query)
            .send()
            .await
    })
    .await
    .map_err(|e| format!("StartQuery failed: {}", sdk_error(&e)))?
    .query_id
    .ok_or("StartQuery returned no query id")?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(900);
    let mut wait = std::time::Duration::from_millis(200);
    loop {
        let r = client
            .get_query_results()
            .query_id(&id)
            .send()
            .await
            .map_err(|e| format!("GetQueryResults failed: {}", sdk_error(&e)))?;
        match r.status() {
            Some(QueryStatus::Complete) => {
                let rows = r
                    .results()
                    .iter()
                    .map(|row| {
                        row.iter()
                            .filter(|f| f.field() != Some("@ptr"))
                            .map(|f| {
                                (
                                    f.field().unwrap_or_default().to_string(),
                                    f.value().unwrap_or_default().to_string(),
                                )
                            })
                            .collect()
                    })
                    .collect();
                return Ok(InsightsResult {
                    rows,
                    records_scanned: r.statistics().map(|s| s.records_scanned()),
                    records_matched: r.statistics().map(|s| s.records_matched()),
                });
            }
            Some(QueryStatus::Failed | QueryStatus::Cancelled | QueryStatus::Timeout) => {
                return Err(format!(
                    "the Insights query ended {:?}",
                    r.status()
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_default()
                ))
            }
            _ => {}
        }
        if std::time::Instant::now() > deadline {
            let _ = client.stop_query().query_id(&id).send().await;
            return Err("the Insights query ran longer than 15 minutes; stopped".into());
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(std::time::Duration::from_secs(5));
    }
}

#[cfg(test)]
mod tests {
    use super::insights_timestamp;

    #[test]
    fn insights_timestamps_in_both_forms() {
        assert_eq!(insights_timestamp("1764000123456"), Some(1_764_000_123_456));
        // 2026-11-24 01:02:03.120 UTC
        assert_eq!(
            insights_timestamp("2026-11-24 01:02:03.12"),
            Some(1_795_482_123_120)
        );
        assert_eq!(insights_timestamp("1970-01-01 00:00:00.000"), Some(0));
        assert_eq!(
            insights_timestamp("2024-02-29 12:00:00.5"),
            Some(1_709_208_000_500)
        );
        assert_eq!(insights_timestamp("yesterday"), None);
    }
}

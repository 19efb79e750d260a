//! What logging costs, per stage: each log group a stage writes to (access logs, the standard
//! execution-log group), what it took in over the window and holds now, priced from a table
//! per region and log class (overridable, since prices change); and for stages that write no
//! access log, what turning it on would cost (requests × one line of the recommended format,
//! marked as an estimate). Rendered as a table, JSON, CSV or one self-contained HTML page.

use crate::LiveCoverage;
use serde::Serialize;
use stagelog_model::Problem;
use stagelog_model::{ApiKind, Inventory, LogClass, Value};
use std::fmt::Write as _;

/// Bytes in a GB as AWS bills CloudWatch Logs (binary gigabytes).
const GB: f64 = 1_073_741_824.0;
/// CloudWatch counts 26 bytes per event on top of the message (PutLogEvents' size rule).
pub const EVENT_OVERHEAD_BYTES: u64 = 26;
/// Costs are given for a 30-day month.
const MONTH_DAYS: f64 = 30.0;

/// Prices for one region and log class, in US dollars.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prices {
    pub ingest_gb: f64,
    pub store_gb_month: f64,
    /// Where the figures come from: the table's region, its default, or the command line.
    pub source: String,
}

/// `--price-ingest-gb` and `--price-store-gb-month`.
#[derive(Debug, Clone, Copy, Default)]
pub struct PriceOverrides {
    pub ingest_gb: Option<f64>,
    pub store_gb_month: Option<f64>,
}

/// CloudWatch Logs list prices (USD, 2026) for Standard groups: ingestion per GB, storage per
/// GB-month. Infrequent Access ingestion is half of Standard's; storage is the same. Regions
/// not listed get us-east-1's prices, and the report says so. Prices change:
/// https://aws.amazon.com/cloudwatch/pricing/ has today's; pass --price-ingest-gb and
/// --price-store-gb-month to use your own.
const PRICE_TABLE: &[(&str, f64, f64)] = &[
    ("us-east-1", 0.50, 0.03),
    ("us-east-2", 0.50, 0.03),
    ("us-west-2", 0.50, 0.03),
    ("ap-northeast-1", 0.76, 0.033),
];

/// The prices for `region` and `class`, with the overrides applied.
pub fn prices(region: &str, class: Option<LogClass>, overrides: &PriceOverrides) -> Prices {
    let (ingest, store, mut source) = match PRICE_TABLE.iter().find(|(r, ..)| *r == region) {
        Some((r, i, s)) => (*i, *s, format!("table ({r})")),
        None => (0.50, 0.03, "table default (us-east-1 prices)".to_string()),
    };
    let ingest = match class {
        Some(LogClass::InfrequentAccess) => ingest / 2.0,
        _ => ingest,
    };
    let (ingest, store) = (
        overrides.ingest_gb.unwrap_or(ingest),
        overrides.store_gb_month.unwrap_or(store),
    );
    if overrides.ingest_gb.is_some() || overrides.store_gb_month.is_some() {
        source = "command line".into();
    }
    Prices {
        ingest_gb: ingest,
        store_gb_month: store,
        source,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogKind {
    Access,
    Execution,
}

/// One stage and one log group it writes to (or would write to, when `estimated`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostRow {
    pub account: String,
    pub region: String,
    /// The stage ARN.
    pub resource: String,
    pub stage: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api: Option<String>,
    pub api_kind: ApiKind,
    /// `None` for an estimate: the stage has no log group yet.
    pub log_group: Option<String>,
    pub log_kind: LogKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_class: Option<LogClass>,
    /// Bytes taken in over the window (for an estimate: what would have been).
    pub ingested_bytes: Option<u64>,
    pub stored_bytes: Option<u64>,
    /// Requests in the window (estimates only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requests: Option<u64>,
    pub monthly_usd: f64,
    pub estimated: bool,
    /// Other stages write to the same group: totals count it once.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub shared: bool,
    pub price_source: String,
    /// Where the code declares the stage (`--iac`): `file:line (stack/id or address)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub defined_at: Option<String>,
}

/// Totals for one account and region.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScopeTotal {
    pub account: String,
    pub region: String,
    pub monthly_usd: f64,
    /// What turning access logging on where it is off would add.
    pub estimated_monthly_usd: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Totals {
    pub monthly_usd: f64,
    pub estimated_monthly_usd: f64,
    pub ingested_bytes: u64,
    pub stored_bytes: u64,
    pub by_scope: Vec<ScopeTotal>,
}

/// What `stagelog cost` found.
#[derive(Debug, Clone)]
pub struct CostReport {
    pub window_days: f64,
    /// Sorted by monthly cost, highest first.
    pub rows: Vec<CostRow>,
    pub totals: Totals,
    pub errors: Vec<Problem>,
    pub coverage: LiveCoverage,
}

fn monthly(ingested: u64, stored: u64, window_days: f64, p: &Prices) -> f64 {
    let ingest_month = ingested as f64 * MONTH_DAYS / window_days.max(1e-9);
    ingest_month / GB * p.ingest_gb + stored as f64 / GB * p.store_gb_month
}

/// Bytes one access-log event of the recommended format takes for this kind of API.
pub fn bytes_per_request(kind: ApiKind) -> Option<u64> {
    stagelog_model::context_vars::typical_line(kind)
        .map(|line| line.len() as u64 + EVENT_OVERHEAD_BYTES)
}

/// The rows of live inventories that `stagelog cost` measured.
pub fn cost_rows(
    inventories: &[Inventory],
    window_ms: i64,
    overrides: &PriceOverrides,
) -> Vec<CostRow> {
    let window_days = window_ms as f64 / 86_400_000.0;
    let mut rows = Vec::new();
    for inv in inventories {
        // Which groups more than one stage writes to.
        let mut writers = vec![0usize; inv.log_groups.len()];
        for s in &inv.stages {
            for g in written_groups(s).into_iter().filter_map(|(_, g)| g) {
                if let Some(n) = writers.get_mut(g) {
                    *n += 1;
                }
            }
        }
        for s in &inv.stages {
            let account = s.location.account.clone().unwrap_or_default();
            let region = s.location.region.clone().unwrap_or_default();
            let base = |log_kind: LogKind| CostRow {
                account: account.clone(),
                region: region.clone(),
                resource: s.location.resource.clone(),
                defined_at: s.location.defined_at.as_ref().map(|o| o.to_string()),
                stage: s.name.to_string(),
                api: s.api_name.clone(),
                api_kind: s.api_kind,
                log_group: None,
                log_kind,
                log_class: None,
                ingested_bytes: None,
                stored_bytes: None,
                requests: None,
                monthly_usd: 0.0,
                estimated: false,
                shared: false,
                price_source: String::new(),
            };
            for (kind, group) in written_groups(s) {
                let Some(g) = group.and_then(|i| inv.log_groups.get(i).map(|g| (i, g))) else {
                    continue;
                };
                let (i, g) = g;
                let p = prices(&region, g.class, overrides);
                let ingested = g.usage.map(|u| u.ingested_bytes);
                let mut row = base(kind);
                row.log_group = Some(g.name.to_string());
                row.log_class = g.class;
                row.ingested_bytes = ingested;
                row.stored_bytes = g.stored_bytes;
                row.monthly_usd = monthly(
                    ingested.unwrap_or(0),
                    g.stored_bytes.unwrap_or(0),
                    window_days,
                    &p,
                );
                row.shared = writers[i] > 1;
                row.price_source = p.source;
                rows.push(row);
            }
            let logs_access =
                matches!(&s.access_log, Some(Value::Known(a)) if a.destination.is_some());
            if !logs_access {
                if let (Some(requests), Some(per)) = (s.requests, bytes_per_request(s.api_kind)) {
                    let p = prices(&region, None, overrides);
                    let mut row = base(LogKind::Access);
                    row.requests = Some(requests);
                    row.ingested_bytes = Some(requests * per);
                    row.monthly_usd = monthly(requests * per, 0, window_days, &p);
                    row.estimated = true;
                    row.price_source = p.source;
                    rows.push(row);
                }
            }
        }
    }
    rows.sort_by(|a, b| {
        b.monthly_usd
            .total_cmp(&a.monthly_usd)
            .then_with(|| {
                (&a.account, &a.region, &a.resource).cmp(&(&b.account, &b.region, &b.resource))
            })
            .then_with(|| (a.log_kind as u8).cmp(&(b.log_kind as u8)))
    });
    rows
}

/// The log groups a stage writes to: access logs, the standard execution-log group, and
/// those execution-log deliveries write to.
fn written_groups(s: &stagelog_model::Stage) -> Vec<(LogKind, Option<usize>)> {
    let access = match &s.access_log {
        Some(Value::Known(a)) => a.destination.as_ref().and_then(|d| d.log_group),
        _ => None,
    };
    let mut out = vec![
        (LogKind::Access, access),
        (LogKind::Execution, s.execution_log_group),
    ];
    out.extend(
        s.execution_deliveries
            .iter()
            .map(|d| (LogKind::Execution, d.log_group)),
    );
    out
}

/// Totals over the rows: a group several stages write to counted once.
pub fn totals(rows: &[CostRow]) -> Totals {
    let mut seen = std::collections::BTreeSet::new();
    let mut t = Totals {
        monthly_usd: 0.0,
        estimated_monthly_usd: 0.0,
        ingested_bytes: 0,
        stored_bytes: 0,
        by_scope: vec![],
    };
    for r in rows {
        if !r.estimated {
            if let Some(g) = &r.log_group {
                if !seen.insert((&r.account, &r.region, g)) {
                    continue;
                }
            }
        }
        let scope = match t
            .by_scope
            .iter_mut()
            .position(|s| s.account == r.account && s.region == r.region)
        {
            Some(i) => &mut t.by_scope[i],
            None => {
                t.by_scope.push(ScopeTotal {
                    account: r.account.clone(),
                    region: r.region.clone(),
                    monthly_usd: 0.0,
                    estimated_monthly_usd: 0.0,
                });
                t.by_scope.last_mut().expect("just pushed")
            }
        };
        if r.estimated {
            scope.estimated_monthly_usd += r.monthly_usd;
            t.estimated_monthly_usd += r.monthly_usd;
        } else {
            scope.monthly_usd += r.monthly_usd;
            t.monthly_usd += r.monthly_usd;
            t.ingested_bytes += r.ingested_bytes.unwrap_or(0);
            t.stored_bytes += r.stored_bytes.unwrap_or(0);
        }
    }
    t.by_scope
        .sort_by(|a, b| (&a.account, &a.region).cmp(&(&b.account, &b.region)));
    t
}

impl CostReport {
    pub fn new(
        inventories: &[Inventory],
        window_ms: i64,
        overrides: &PriceOverrides,
        errors: Vec<Problem>,
        coverage: LiveCoverage,
    ) -> CostReport {
        let rows = cost_rows(inventories, window_ms, overrides);
        CostReport {
            window_days: window_ms as f64 / 86_400_000.0,
            totals: totals(&rows),
            rows,
            errors,
            coverage,
        }
    }
}

/// `12.3 MB`, `4.0 GB`: decimal units, as people read them.
fn bytes(n: Option<u64>) -> String {
    let Some(n) = n else { return "-".into() };
    let n = n as f64;
    for (unit, size) in [("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)] {
        if n >= size {
            return format!("{:.1} {unit}", n / size);
        }
    }
    format!("{n} B")
}

fn usd(v: f64) -> String {
    if v >= 100.0 {
        format!("${v:.0}")
    } else {
        format!("${v:.2}")
    }
}

fn who(r: &CostRow) -> String {
    let who = match &r.api {
        Some(api) => format!("{api}/{}", r.stage),
        None => format!("{}/{}", api_id(&r.resource), r.stage),
    };
    match &r.defined_at {
        Some(at) => format!("{who} ({at})"),
        None => who,
    }
}

/// The API id in a stage ARN (`…/restapis/ID/stages/…`, `…/apis/ID/stages/…`).
fn api_id(arn: &str) -> &str {
    arn.split('/').nth(2).unwrap_or(arn)
}

#[derive(Serialize)]
struct JsonCost<'a> {
    version: u32,
    window_days: f64,
    stages: &'a [CostRow],
    totals: &'a Totals,
    errors: Vec<JsonCostError<'a>>,
    /// Distinct accounts and regions read.
    accounts: usize,
    regions: usize,
}

#[derive(Serialize)]
struct JsonCostError<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    account: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<&'a str>,
    message: &'a str,
}

/// `{"version": 1, "window_days", "stages": [...], "totals": {...}, "errors": [...]}`.
pub fn cost_json(r: &CostReport) -> String {
    let doc = JsonCost {
        version: 1,
        window_days: r.window_days,
        stages: &r.rows,
        totals: &r.totals,
        errors: r
            .errors
            .iter()
            .map(|e| JsonCostError {
                account: e.account.as_deref(),
                region: e.region.as_deref(),
                message: &e.message,
            })
            .collect(),
        accounts: r.coverage.accounts(),
        regions: r.coverage.regions(),
    };
    let mut s = serde_json::to_string_pretty(&doc).expect("cost report serialises");
    s.push('\n');
    s
}

/// One row per stage and log group, with the JSON fields as columns.
pub fn cost_csv(r: &CostReport) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "account",
        "region",
        "resource",
        "stage",
        "api",
        "api_kind",
        "log_group",
        "log_kind",
        "log_class",
        "ingested_bytes",
        "stored_bytes",
        "requests",
        "monthly_usd",
        "estimated",
        "shared",
        "price_source",
        "defined_at",
    ]);
    let opt = |v: Option<u64>| v.map(|n| n.to_string()).unwrap_or_default();
    for row in &r.rows {
        let _ = w.write_record([
            row.account.clone(),
            row.region.clone(),
            row.resource.clone(),
            row.stage.clone(),
            row.api.clone().unwrap_or_default(),
            row.api_kind.as_str().to_string(),
            row.log_group.clone().unwrap_or_default(),
            format!("{:?}", row.log_kind).to_lowercase(),
            row.log_class
                .map(|c| c.as_str().to_string())
                .unwrap_or_default(),
            opt(row.ingested_bytes),
            opt(row.stored_bytes),
            opt(row.requests),
            format!("{:.4}", row.monthly_usd),
            row.estimated.to_string(),
            row.shared.to_string(),
            row.price_source.clone(),
            row.defined_at.clone().unwrap_or_default(),
        ]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

fn window_text(days: f64) -> String {
    if days.fract() == 0.0 {
        format!("{days:.0} day{}", if days == 1.0 { "" } else { "s" })
    } else {
        format!("{:.1} hours", days * 24.0)
    }
}

/// A table, costliest first, then totals per account and region.
pub fn cost_text(r: &CostReport) -> String {
    let mut table = comfy_table::Table::new();
    table.load_preset(comfy_table::presets::NOTHING);
    table.set_header([
        "account",
        "region",
        "api/stage",
        "kind",
        "log group",
        "ingested",
        "stored",
        "per month",
    ]);
    for row in &r.rows {
        table.add_row([
            row.account.clone(),
            row.region.clone(),
            who(row),
            format!("{:?}", row.log_kind).to_lowercase(),
            match (&row.log_group, row.estimated) {
                (_, true) => format!("(none: {} requests)", row.requests.unwrap_or(0)),
                (Some(g), _) if row.shared => format!("{g} (shared)"),
                (Some(g), _) => g.clone(),
                (None, _) => "-".into(),
            },
            bytes(row.ingested_bytes),
            bytes(row.stored_bytes),
            if row.estimated {
                format!("~{} if on", usd(row.monthly_usd))
            } else {
                usd(row.monthly_usd)
            },
        ]);
    }
    let mut out = String::new();
    if r.rows.is_empty() {
        out.push_str("no stage writes logs, and no traffic was measured where none are written\n");
    } else {
        let _ = writeln!(out, "{table}");
    }
    out.push('\n');
    for s in &r.totals.by_scope {
        let _ = writeln!(
            out,
            "{} {}: {} per month{}",
            s.account,
            s.region,
            usd(s.monthly_usd),
            if s.estimated_monthly_usd > 0.0 {
                format!(
                    "; turning access logging on where it is off: ~{} more",
                    usd(s.estimated_monthly_usd)
                )
            } else {
                String::new()
            }
        );
    }
    // Nothing read (no credentials, every region refused): no total to print, only why.
    let nothing_read = r.rows.is_empty() && !r.errors.is_empty();
    if !nothing_read {
        let _ = writeln!(
            out,
            "{}: {} per month ({} ingested in the last {}, {} stored){}, {} stages in {}",
            if r.errors.is_empty() {
                "total"
            } else {
                "total of what could be read"
            },
            usd(r.totals.monthly_usd),
            bytes(Some(r.totals.ingested_bytes)),
            window_text(r.window_days),
            bytes(Some(r.totals.stored_bytes)),
            if r.totals.estimated_monthly_usd > 0.0 {
                format!(
                    "; ~{} more with access logging on everywhere (estimate)",
                    usd(r.totals.estimated_monthly_usd)
                )
            } else {
                String::new()
            },
            {
                let mut stages: Vec<&str> = r.rows.iter().map(|x| x.resource.as_str()).collect();
                stages.sort();
                stages.dedup();
                stages.len()
            },
            {
                let c = &r.coverage;
                format!(
                    "{} account{} and {} region{}",
                    c.accounts(),
                    if c.accounts() == 1 { "" } else { "s" },
                    c.regions(),
                    if c.regions() == 1 { "" } else { "s" }
                )
            }
        );
    }
    for e in &r.errors {
        let _ = writeln!(out, "stagelog: error: {e}");
    }
    out
}

/// How many stages the HTML chart shows.
const CHART_ROWS: usize = 15;

/// One self-contained page (no network fetches): a bar chart of the costliest stages, then
/// the table and totals.
pub fn cost_html(r: &CostReport) -> String {
    let mut h = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>stagelog cost</title><style>\
body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1b1f24}\
table{border-collapse:collapse}th,td{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:left}\
th{background:#f6f8fa}.n{text-align:right}.chart div.row{display:flex;align-items:center;margin:2px 0}\
.chart .label{width:22rem;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}\
.chart .bar{height:14px;background:#0969da}.chart .bar.estimated{background:repeating-linear-gradient(45deg,#9a6700,#9a6700 4px,#d4a72c 4px,#d4a72c 8px)}\
.chart .value{margin-left:.5rem}\
</style></head>\n<body>\n<h1>What API Gateway logging costs</h1>\n",
    );
    let _ = writeln!(
        h,
        "<p id=\"summary\">{} per month now ({} ingested in the last {}); ~{} more with access logging on everywhere (estimate).</p>",
        usd(r.totals.monthly_usd),
        bytes(Some(r.totals.ingested_bytes)),
        window_text(r.window_days),
        usd(r.totals.estimated_monthly_usd)
    );
    let top: Vec<&CostRow> = r.rows.iter().take(CHART_ROWS).collect();
    let max = top.iter().map(|x| x.monthly_usd).fold(0.0, f64::max);
    h.push_str("<h2>Costliest stages</h2>\n<div class=\"chart\" id=\"chart\">\n");
    for row in &top {
        let width = if max > 0.0 {
            (row.monthly_usd / max * 100.0).max(0.5)
        } else {
            0.5
        };
        let _ = writeln!(
            h,
            "<div class=\"row\" data-usd=\"{:.4}\"><span class=\"label\">{} ({:?})</span><span class=\"bar{}\" style=\"width:{:.1}%\"></span><span class=\"value\">{}{}</span></div>",
            row.monthly_usd,
            crate::markup::escape(&who(row)),
            row.log_kind,
            if row.estimated { " estimated" } else { "" },
            width * 0.6,
            if row.estimated { "~" } else { "" },
            usd(row.monthly_usd)
        );
    }
    h.push_str("</div>\n<h2>Every stage</h2>\n<table id=\"stages\"><tr><th>account</th><th>region</th><th>api/stage</th><th>kind</th><th>log group</th><th class=\"n\">ingested</th><th class=\"n\">stored</th><th class=\"n\">per month</th></tr>\n");
    for row in &r.rows {
        let _ = writeln!(
            h,
            "<tr class=\"stage\"><td>{}</td><td>{}</td><td>{}</td><td>{:?}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}{}</td></tr>",
            crate::markup::escape(&row.account),
            crate::markup::escape(&row.region),
            crate::markup::escape(&who(row)),
            row.log_kind,
            crate::markup::escape(row.log_group.as_deref().unwrap_or("(none yet)")),
            bytes(row.ingested_bytes),
            bytes(row.stored_bytes),
            if row.estimated { "~" } else { "" },
            usd(row.monthly_usd)
        );
    }
    h.push_str("</table>\n<h2>By account and region</h2>\n<table id=\"scopes\"><tr><th>account</th><th>region</th><th class=\"n\">per month</th><th class=\"n\">if logging were on everywhere</th></tr>\n");
    for s in &r.totals.by_scope {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">~{}</td></tr>",
            crate::markup::escape(&s.account),
            crate::markup::escape(&s.region),
            usd(s.monthly_usd),
            usd(s.estimated_monthly_usd)
        );
    }
    h.push_str("</table>\n");
    for e in &r.errors {
        let _ = writeln!(
            h,
            "<p class=\"error\">error: {}: {}</p>",
            crate::markup::escape(&e.place()),
            crate::markup::escape(&e.message)
        );
    }
    h.push_str("<p>Prices: CloudWatch Logs list prices per region and log class, or those given on the command line; estimates assume one line of the recommended format per request.</p>\n");
    // What the page drew, for a browser test: each bar's rendered width.
    h.push_str("<script>document.querySelectorAll('#chart .row').forEach(function(r){r.dataset.drawn=String(r.querySelector('.bar').offsetWidth);});document.body.dataset.bars=String(document.querySelectorAll('#chart .row').length);</script>\n</body></html>\n");
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use stagelog_model::{
        AccessLog, Destination, Location, LogGroup, SourceKind, Stage, Text, Usage,
    };

    fn live(resource: &str) -> Location {
        Location {
            source: SourceKind::Live,
            resource: resource.into(),
            account: Some("111111111111".into()),
            region: Some("eu-west-1".into()),
            ..Location::default()
        }
    }

    fn group(name: &str, ingested: u64, stored: u64, class: Option<LogClass>) -> LogGroup {
        let mut g = LogGroup::declared(Text::lit(name), None, None, live(name));
        g.usage = Some(Usage {
            ingested_bytes: ingested,
            window_ms: 30 * 86_400_000,
        });
        g.stored_bytes = Some(stored);
        g.class = class;
        g
    }

    fn stage(name: &str, group: Option<usize>) -> Stage {
        let mut s = Stage::new(
            ApiKind::Rest,
            Text::lit(name),
            live(&format!(
                "arn:aws:apigateway:eu-west-1::/restapis/abc/stages/{name}"
            )),
        );
        s.api_name = Some("orders".into());
        s.access_log = group.map(|i| {
            Value::Known(AccessLog {
                destination: Some(Destination {
                    arn: Text::lit("arn:aws:logs:eu-west-1:111111111111:log-group:g"),
                    log_group: Some(i),
                }),
                format: None,
                line: None,
            })
        });
        s
    }

    #[test]
    fn prices_per_region_and_class_with_overrides() {
        let none = PriceOverrides::default();
        assert_eq!(prices("us-east-1", None, &none).ingest_gb, 0.50);
        assert_eq!(
            prices("us-east-1", Some(LogClass::InfrequentAccess), &none).ingest_gb,
            0.25
        );
        let tokyo = prices("ap-northeast-1", None, &none);
        assert_eq!((tokyo.ingest_gb, tokyo.store_gb_month), (0.76, 0.033));
        assert_eq!(
            prices("eu-south-1", None, &none).source,
            "table default (us-east-1 prices)"
        );
        let given = prices(
            "eu-west-1",
            None,
            &PriceOverrides {
                ingest_gb: Some(1.0),
                store_gb_month: None,
            },
        );
        assert_eq!((given.ingest_gb, given.store_gb_month), (1.0, 0.03));
        assert_eq!(given.source, "command line");
    }

    #[test]
    fn rows_measured_shared_and_estimated() {
        let inv = Inventory {
            live: true,
            stages: vec![
                stage("prod", Some(0)),
                stage("canary", Some(0)),
                stage("dev", None),
                {
                    let mut s = stage("quiet", None);
                    s.requests = Some(2_000_000);
                    s
                },
            ],
            // 30 GiB in 30 days and 10 GiB stored: $15 + $0.30 a month at list prices.
            log_groups: vec![group("g", 30 << 30, 10 << 30, None)],
            ..Inventory::default()
        };
        let overrides = PriceOverrides::default();
        let rows = cost_rows(&[inv], 30 * 86_400_000, &overrides);
        assert_eq!(rows.len(), 3, "{rows:#?}");
        // The shared group is listed under both stages and counted once.
        assert!(rows[..2]
            .iter()
            .all(|r| r.shared && (r.monthly_usd - 15.30).abs() < 1e-9));
        let estimate = &rows[2];
        assert!(estimate.estimated);
        assert_eq!(estimate.stage, "quiet");
        let per = bytes_per_request(ApiKind::Rest).unwrap();
        assert_eq!(estimate.ingested_bytes, Some(2_000_000 * per));
        let t = totals(&rows);
        assert!((t.monthly_usd - 15.30).abs() < 1e-9, "{t:?}");
        assert_eq!(t.ingested_bytes, 30 << 30);
        assert!((t.estimated_monthly_usd - estimate.monthly_usd).abs() < 1e-12);
        // A stage without logs and without measured traffic has no row: nothing to say.
        assert!(!rows.iter().any(|r| r.stage == "dev"));
    }

    #[test]
    fn a_shorter_window_is_scaled_to_a_month() {
        let inv = Inventory {
            live: true,
            stages: vec![stage("prod", Some(0))],
            log_groups: vec![group("g", 1 << 30, 0, Some(LogClass::InfrequentAccess))],
            ..Inventory::default()
        };
        // 1 GiB in one day, Infrequent Access: 30 GiB a month at $0.25.
        let rows = cost_rows(&[inv], 86_400_000, &PriceOverrides::default());
        assert!((rows[0].monthly_usd - 7.5).abs() < 1e-9, "{rows:?}");
    }
}

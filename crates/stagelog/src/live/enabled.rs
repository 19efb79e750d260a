//! Live AWS commands, compiled with the `aws` feature: audit, verify, fix --live, rollback,
//! and the CloudWatch side of `logs`. Everything here goes through `stagelog-aws`.

use crate::cli::{AuditArgs, CostArgs, FixArgs, LogsArgs, RollbackArgs, VerifyArgs};
use crate::pipeline::{emit, exit_status, ExitStatus, Pipeline, PolicyArgs};
use anyhow::{anyhow, Result};
use stagelog_accesslog::{insights, Engine, Format, Output, Parser, Piece, Query};
use std::io;

type Pieces = Box<dyn Iterator<Item = io::Result<Piece>>>;

/// The fix hint of a live finding.
pub fn hint(f: &stagelog_model::Finding) -> String {
    stagelog_aws::fix::hint(f)
}

/// `stagelog verify`: the audit's inventory plus what arrives in each log group, judged by
/// SL040 and SL041 (or the rules --select names).
pub fn verify(mut args: VerifyArgs) -> Result<ExitStatus> {
    let window_ms = crate::duration::parse_ms(&args.window)
        .ok_or_else(|| anyhow!("--window `{}`: expected 90s, 15m, 24h or 7d", args.window))?;
    if args.report.select.is_empty() {
        args.report.select = vec!["SL04".into()];
    }
    let verify = stagelog_aws::VerifyOptions::new(window_ms, args.sample);
    report_live(&args.scope, &args.report, None, Some(verify), None)
}

pub fn audit(args: AuditArgs) -> Result<ExitStatus> {
    report_live(
        &args.scope,
        &args.report,
        args.min_retention_days,
        None,
        args.export,
    )
}

/// `stagelog cost`: the audit's inventories with what each log group took in over the window
/// (and the traffic of stages that do not log), priced per region and log class.
pub fn cost(args: CostArgs) -> Result<ExitStatus> {
    use stagelog_report::cost::{cost_csv, cost_html, cost_json, cost_text, CostReport};
    use std::io::IsTerminal;
    use std::sync::Arc;

    let window_ms = crate::duration::parse_ms(&args.window)
        .ok_or_else(|| anyhow!("--window `{}`: expected 90s, 15m, 24h or 7d", args.window))?;
    for (flag, v) in [
        ("--price-ingest-gb", args.price_ingest_gb),
        ("--price-store-gb-month", args.price_store_gb_month),
    ] {
        if v.is_some_and(|p| !p.is_finite() || p < 0.0) {
            return Err(anyhow!("{flag}: a price is a number of dollars, 0 or more"));
        }
    }
    let progress: Option<Arc<dyn stagelog_aws::Progress>> = (std::io::stderr().is_terminal()
        && !crate::ui::quiet())
    .then(|| Arc::new(Bar::new()) as Arc<dyn stagelog_aws::Progress>);
    let mut opts = options(&args.scope, progress.clone())?;
    opts.cost = Some(stagelog_aws::CostWindow::new(window_ms));
    let out = stagelog_aws::audit_blocking(opts);
    drop(progress);
    say_coverage(&out);
    let mut errors = scope_errors(out.errors);
    errors.extend(scope_errors(out.cost_errors));
    let failed = !errors.is_empty();
    let report = CostReport::new(
        &out.inventories,
        window_ms,
        &stagelog_report::cost::PriceOverrides {
            ingest_gb: args.price_ingest_gb,
            store_gb_month: args.price_store_gb_month,
        },
        errors,
        stagelog_report::LiveCoverage {
            scopes: out.covered,
        },
    );
    let body = match args.format {
        crate::cli::CostFormat::Text => cost_text(&report),
        crate::cli::CostFormat::Json => cost_json(&report),
        crate::cli::CostFormat::Csv => cost_csv(&report),
        crate::cli::CostFormat::Html => cost_html(&report),
    };
    match &args.output {
        Some(path) => std::fs::write(path, body)
            .map_err(|e| anyhow!("cannot write the report to {}: {e}", path.display()))?,
        None => {
            use std::io::Write;
            let mut out = io::stdout().lock();
            if let Err(e) = out.write_all(body.as_bytes()).and_then(|_| out.flush()) {
                if e.kind() != io::ErrorKind::BrokenPipe {
                    return Err(anyhow!("cannot write the report: {e}"));
                }
            }
        }
    }
    Ok(if failed {
        ExitStatus::Error
    } else {
        ExitStatus::Clean
    })
}

/// The pipeline for the live scope: policy first (usage errors before any AWS call).
fn live_pipeline(
    report_args: &crate::cli::ReportArgs,
    min_retention_days: Option<i64>,
) -> Result<Pipeline> {
    Pipeline::load(
        &PolicyArgs {
            config: report_args.config.as_deref(),
            select: &report_args.select,
            ignore: &report_args.ignore,
            compliance: report_args.compliance.as_deref(),
            min_retention_days,
            ..PolicyArgs::default()
        },
        std::path::Path::new("."),
    )
}

fn scope_errors(errors: Vec<stagelog_aws::ScopeError>) -> Vec<stagelog_report::ReportError> {
    errors
        .into_iter()
        .map(|e| stagelog_report::ReportError {
            file: None,
            line: None,
            account: e.account,
            region: e.region,
            message: e.message,
        })
        .collect()
}

/// Reads the live scope, judges it and writes the report.
fn report_live(
    scope: &crate::cli::ScopeArgs,
    report_args: &crate::cli::ReportArgs,
    min_retention_days: Option<i64>,
    verify: Option<stagelog_aws::VerifyOptions>,
    export: Option<crate::cli::Export>,
) -> Result<ExitStatus> {
    use std::io::IsTerminal;
    use std::sync::Arc;

    let pipeline = live_pipeline(report_args, min_retention_days)?;
    let progress: Option<Arc<dyn stagelog_aws::Progress>> = (std::io::stderr().is_terminal()
        && !crate::ui::quiet())
    .then(|| Arc::new(Bar::new()) as Arc<dyn stagelog_aws::Progress>);
    let mut opts = options(scope, progress.clone())?;
    opts.verify = verify;
    let export_opts = stagelog_aws::AuditOptions {
        progress: None,
        ..opts.clone()
    };
    let out = stagelog_aws::audit_blocking(opts);
    drop(progress);
    say_coverage(&out);
    let mut report = pipeline.judge(&out.inventories, scope_errors(out.errors), 0);
    report.live = Some(stagelog_report::LiveCoverage {
        scopes: out.covered.clone(),
    });
    report.notes.extend(
        out.inactive_accounts.iter().map(|(id, state)| {
            format!("account {id} skipped: the Organization says it is {state}")
        }),
    );
    if !crate::ui::quiet() {
        for note in &report.notes {
            eprintln!("note: {note}");
        }
    }
    if export.is_some() {
        export_securityhub(&export_opts, &out.inventories, &mut report);
    }
    emit(&report, report_args)?;
    Ok(exit_status(&report, report_args.fail_on))
}

/// With --verbose: the accounts and regions read (an organisation walk names hundreds).
fn say_coverage(out: &stagelog_aws::AuditOutput) {
    if !crate::ui::verbose() {
        return;
    }
    let mut by_account: Vec<(&str, Vec<&str>)> = Vec::new();
    for (account, region) in &out.covered {
        match by_account.last_mut() {
            Some((a, regions)) if *a == account => regions.push(region),
            _ => by_account.push((account, vec![region])),
        }
    }
    eprintln!(
        "covered {} account(s), {} account×region pair(s), {} API(s):",
        by_account.len(),
        out.covered.len(),
        out.apis
    );
    for (account, regions) in by_account {
        eprintln!("  {account}: {}", regions.join(", "));
    }
    for (account, state) in &out.inactive_accounts {
        eprintln!("  {account}: skipped ({state})");
    }
    for note in &out.notes {
        eprintln!("{note}");
    }
}

/// Sends the report's findings to Security Hub in every audited account and region; what
/// could not be sent becomes an error of the report (exit 2).
fn export_securityhub(
    opts: &stagelog_aws::AuditOptions,
    inventories: &[stagelog_model::Inventory],
    report: &mut stagelog_report::Report,
) {
    let asff = stagelog_report::AsffOptions::from_env();
    let findings = stagelog_report::asff_findings(report, &asff);
    let mut scopes: Vec<(String, String)> = inventories
        .iter()
        .flat_map(|inv| {
            inv.accounts
                .iter()
                .map(|a| &a.location)
                .chain(inv.stages.iter().map(|s| &s.location))
        })
        .filter_map(|l| Some((l.account.clone()?, l.region.clone()?)))
        .collect();
    scopes.sort();
    scopes.dedup();
    let outcomes =
        stagelog_aws::securityhub::export_blocking(opts, &findings, &scopes, &asff.generated_at);
    for o in outcomes {
        if !crate::ui::quiet() {
            eprintln!(
                "security hub {} {}: {} findings imported, {} resolved",
                o.account, o.region, o.imported, o.resolved
            );
        }
        for message in o.failed {
            report.errors.push(stagelog_report::ReportError {
                file: None,
                line: None,
                account: Some(o.account.clone()),
                region: Some(o.region.clone()),
                message: format!("Security Hub export: {message}"),
            });
        }
    }
    report.normalise();
}

/// The live scope the command line names; a bad account list is a usage error here, before
/// any AWS call.
fn options(
    scope: &crate::cli::ScopeArgs,
    progress: Option<std::sync::Arc<dyn stagelog_aws::Progress>>,
) -> Result<stagelog_aws::AuditOptions> {
    let ids = |flag: &str, values: &[String]| {
        stagelog_aws::parse_account_list(values).map_err(|e| anyhow!("{flag}: {e}"))
    };
    Ok(stagelog_aws::AuditOptions {
        profile: scope.profile.clone(),
        regions: scope.regions.clone(),
        all_regions: scope.all_regions,
        role_arns: scope.role_arns.clone(),
        org_role: scope.org_role.clone(),
        only_accounts: ids("--accounts", &scope.accounts)?,
        exclude_accounts: ids("--exclude-accounts", &scope.exclude_accounts)?,
        endpoint_url: scope.endpoint_url.clone(),
        concurrency: scope.concurrency,
        progress,
        verify: None,
        cost: None,
    })
}

/// accounts × regions, and APIs found, on stderr.
struct Bar(
    indicatif::ProgressBar,
    std::sync::atomic::AtomicUsize,
    std::sync::atomic::AtomicUsize,
);

impl Bar {
    fn new() -> Bar {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{bar:30}] {pos}/{len} account×region {prefix} {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        Bar(
            bar,
            std::sync::atomic::AtomicUsize::new(0),
            std::sync::atomic::AtomicUsize::new(0),
        )
    }
}

impl stagelog_aws::Progress for Bar {
    fn accounts_planned(&self, accounts: usize) {
        self.2.store(accounts, std::sync::atomic::Ordering::Relaxed);
        self.0.set_prefix(format!(
            "({accounts} account{})",
            if accounts == 1 { "" } else { "s" }
        ));
    }
    fn scopes_planned(&self, total: usize) {
        self.0.set_length(total as u64);
    }
    fn scope_done(&self, account: &str, region: &str, apis: usize) {
        let total = self.1.fetch_add(apis, std::sync::atomic::Ordering::Relaxed) + apis;
        self.0
            .set_message(format!("{total} APIs (last: {account} {region})"));
        self.0.inc(1);
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}

/// `stagelog fix --live`: the audit judged through the same pipeline as `audit` (so waived
/// and suppressed findings are left alone), planned as AWS CLI commands, applied with a
/// journal on `--apply`.
pub fn fix(args: &FixArgs) -> Result<ExitStatus> {
    use stagelog_aws::fix::{apply, plan, FixOptions};

    let pipeline = Pipeline::load(&args.policy(), std::path::Path::new("."))?;
    let fix_opts = FixOptions {
        log_group_name: crate::cli::log_group_template(args)?.unwrap_or_default(),
        kms_key: args.kms_key.clone(),
        create_cloudwatch_role: args.create_cloudwatch_role,
    };
    let opts = options(&args.scope, None)?;
    // The stages' traffic too, for the estimate of what the changes will cost.
    let out = stagelog_aws::audit_blocking(stagelog_aws::AuditOptions {
        cost: Some(stagelog_aws::CostWindow::new(FIX_COST_WINDOW_MS)),
        ..opts.clone()
    });
    for e in &out.errors {
        eprintln!(
            "error: {} {}: {}",
            e.account.as_deref().unwrap_or("-"),
            e.region.as_deref().unwrap_or("-"),
            e.message
        );
    }
    if !out.errors.is_empty() {
        eprintln!("nothing changed: the audit was incomplete");
        return Ok(ExitStatus::Error);
    }
    let report = pipeline.judge(&out.inventories, vec![], 0);
    if !report.suppressed.is_empty() && !crate::ui::quiet() {
        eprintln!(
            "left alone: {} suppressed or waived finding(s)",
            report.suppressed.len()
        );
    }
    let findings = crate::pipeline::to_fix(&report);
    let (changes, skipped) = plan(&out.inventories, &findings, &fix_opts);
    if changes.is_empty() {
        println!("# nothing to change");
    }
    for c in &changes {
        let why = if c.rules.is_empty() {
            "new log group".to_string()
        } else {
            c.rules.join(" ")
        };
        println!("# {} {} ({why})", c.account, c.region);
        println!("{}", c.cli());
    }
    for s in &skipped {
        eprintln!("needs a person: {} {}: {}", s.rule_id, s.resource, s.reason);
    }
    if !changes.is_empty() {
        println!("{}", estimate_line(&changes, &out));
    }
    if !args.apply {
        return Ok(if changes.is_empty() {
            ExitStatus::Clean
        } else {
            ExitStatus::Findings
        });
    }
    let journal = args.journal.clone().unwrap_or_else(|| {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        std::path::PathBuf::from(format!("stagelog-journal-{secs}.jsonl"))
    });
    if changes.is_empty() {
        return Ok(ExitStatus::Clean);
    }
    eprintln!("journal: {}", journal.display());
    let rt = tokio_runtime()?;
    match rt.block_on(apply(&changes, &opts, &journal)) {
        Ok(n) => {
            eprintln!(
                "applied {n} change(s); undo with: stagelog rollback {}",
                journal.display()
            );
            Ok(ExitStatus::Clean)
        }
        Err(e) => {
            eprintln!("error: {e}");
            if journal.exists() {
                eprintln!(
                    "every change made so far is in {0}; `stagelog rollback {0}` restores it",
                    journal.display()
                );
            }
            Ok(ExitStatus::Error)
        }
    }
}

/// The traffic `fix --live` prices its changes on: the last 30 days.
const FIX_COST_WINDOW_MS: i64 = 30 * 86_400_000;

/// What the changes will add to the bill: for each stage whose access logging they turn on,
/// its requests in the last 30 days × one line of the recommended format, at the region's
/// list price. Execution logs' volume depends on the integration and is not estimated.
fn estimate_line(changes: &[stagelog_aws::fix::Change], out: &stagelog_aws::AuditOutput) -> String {
    use stagelog_aws::fix::Action;
    use stagelog_report::cost::{bytes_per_request, prices, PriceOverrides};
    let mut monthly = 0.0;
    let mut priced = 0;
    let mut unknown = 0;
    for c in changes {
        if !c.rules.iter().any(|r| r == "SL001" || r == "SL002") {
            continue;
        }
        let (api, stage) = match &c.action {
            Action::UpdateRestStage { api_id, stage, .. }
            | Action::UpdateV2Stage { api_id, stage, .. } => (api_id, stage),
            _ => continue,
        };
        let found = out.inventories.iter().flat_map(|i| &i.stages).find(|s| {
            s.location.account.as_deref() == Some(c.account.as_str())
                && s.location.region.as_deref() == Some(c.region.as_str())
                && s.api.as_ref().and_then(|a| a.as_known()).as_deref() == Some(api.as_str())
                && s.name.as_known().as_deref() == Some(stage.as_str())
        });
        match found.and_then(|s| Some((s.requests?, bytes_per_request(s.api_kind)?))) {
            Some((requests, per)) => {
                let p = prices(&c.region, None, &PriceOverrides::default());
                monthly += (requests * per) as f64 / 1_073_741_824.0 * p.ingest_gb;
                priced += 1;
            }
            None => unknown += 1,
        }
    }
    let mut line = format!(
        "# estimated cost: ~${monthly:.2} per month for the access logs of {priced} stage(s), from their requests in the last 30 days at list prices"
    );
    if unknown > 0 {
        line.push_str(&format!("; {unknown} stage(s) without traffic figures"));
    }
    if !out.cost_errors.is_empty() {
        line.push_str(" (some metrics could not be read: cloudwatch:GetMetricData)");
    }
    line.push_str("; execution logs not estimated");
    line
}

pub fn rollback(args: RollbackArgs) -> Result<ExitStatus> {
    let opts = options(&args.scope, None)?;
    let rt = tokio_runtime()?;
    match rt.block_on(stagelog_aws::fix::rollback(
        &args.journal,
        &opts,
        args.delete_created,
    )) {
        Ok(n) => {
            eprintln!("restored: {n} undo step(s) applied");
            Ok(ExitStatus::Clean)
        }
        Err(e) => {
            eprintln!("error: {e}");
            Ok(ExitStatus::Error)
        }
    }
}

fn tokio_runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}

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
    since: i64,
    until: i64,
) -> Result<Pieces> {
    let source: std::sync::Arc<str> = group.into();
    let opts = aws_options(args);
    // Infrequent Access groups refuse FilterLogEvents: the same events through Logs Insights.
    let class = stagelog_aws::logread::log_group_class(&opts, region.as_deref(), group)
        .map_err(|e| anyhow!(e))?;
    let events: Box<dyn Iterator<Item = Result<Vec<u8>, String>>> = if class
        == Some(stagelog_model::LogClass::InfrequentAccess)
    {
        if crate::ui::verbose() {
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

#[allow(clippy::too_many_arguments)]
pub fn run_insights(
    args: &LogsArgs,
    group: &str,
    region: Option<&str>,
    format: &Format,
    query: &Query,
    q: &insights::InsightsQuery,
    output: Output,
    (since, until): (i64, i64),
) -> Result<ExitStatus> {
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

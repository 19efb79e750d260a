//! `stagelog audit`: live accounts through stagelog-aws, judged by the same rules as `scan`.

use crate::cli::AuditArgs;
use anyhow::Result;

#[cfg(not(feature = "aws"))]
pub fn run(_: AuditArgs) -> Result<u8> {
    anyhow::bail!("this stagelog was built without AWS support (cargo feature `aws`); `scan` works")
}

#[cfg(not(feature = "aws"))]
pub fn verify(_: crate::cli::VerifyArgs) -> Result<u8> {
    anyhow::bail!("this stagelog was built without AWS support (cargo feature `aws`); `scan` works")
}

/// `stagelog verify`: the audit's inventory plus what arrives in each log group, judged by
/// SL040 and SL041 (or the rules --select names).
#[cfg(feature = "aws")]
pub fn verify(mut args: crate::cli::VerifyArgs) -> Result<u8> {
    let window_ms = crate::logs::duration_ms(&args.window).ok_or_else(|| {
        anyhow::anyhow!("--window `{}`: expected 90s, 15m, 24h or 7d", args.window)
    })?;
    if args.report.select.is_empty() {
        args.report.select = vec!["SL04".into()];
    }
    let verify = stagelog_aws::VerifyOptions::new(window_ms, args.sample);
    report_live(&args.scope, &args.report, None, Some(verify), None)
}

#[cfg(feature = "aws")]
pub fn run(args: AuditArgs) -> Result<u8> {
    report_live(
        &args.scope,
        &args.report,
        args.min_retention_days,
        None,
        args.export,
    )
}

/// Reads the live scope, judges it and writes the report; the exit code.
#[cfg(feature = "aws")]
fn report_live(
    scope: &crate::cli::ScopeArgs,
    report_args: &crate::cli::ReportArgs,
    min_retention_days: Option<i64>,
    verify: Option<stagelog_aws::VerifyOptions>,
    export: Option<crate::cli::Export>,
) -> Result<u8> {
    use crate::commands::{emit, exit_code, judge_with_policy, selection};
    use stagelog_report::ReportError;
    use std::io::IsTerminal;
    use std::sync::Arc;

    let policy =
        crate::policy::Policy::load(report_args.config.as_deref(), std::path::Path::new("."))?;
    // Usage errors (unknown rules, frameworks) before any AWS call.
    selection(report_args, &policy)?;
    let progress: Option<Arc<dyn stagelog_aws::Progress>> = (std::io::stderr().is_terminal()
        && !crate::ui::quiet())
    .then(|| Arc::new(Bar::new()) as Arc<dyn stagelog_aws::Progress>);
    let mut opts = options(scope, progress.clone());
    opts.verify = verify;
    let out = stagelog_aws::audit_blocking(opts);
    drop(progress);
    let errors = out
        .errors
        .into_iter()
        .map(|e| ReportError {
            file: None,
            line: None,
            account: e.account,
            region: e.region,
            message: e.message,
        })
        .collect();
    let report = judge_with_policy(
        &out.inventories,
        errors,
        0,
        report_args,
        &policy,
        min_retention_days,
    )?;
    let mut report = report;
    if export.is_some() {
        export_securityhub(scope, &out.inventories, &mut report);
    }
    emit(&report, report_args)?;
    Ok(exit_code(&report, report_args.fail_on))
}

/// Sends the report's findings to Security Hub in every audited account and region; what
/// could not be sent becomes an error of the report (exit 2).
#[cfg(feature = "aws")]
fn export_securityhub(
    scope: &crate::cli::ScopeArgs,
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
    let outcomes = stagelog_aws::securityhub::export_blocking(
        &options(scope, None),
        &findings,
        &scopes,
        &asff.generated_at,
    );
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

#[cfg(feature = "aws")]
pub(crate) fn options(
    scope: &crate::cli::ScopeArgs,
    progress: Option<std::sync::Arc<dyn stagelog_aws::Progress>>,
) -> stagelog_aws::AuditOptions {
    stagelog_aws::AuditOptions {
        profile: scope.profile.clone(),
        regions: scope.regions.clone(),
        all_regions: scope.all_regions,
        role_arns: scope.role_arns.clone(),
        endpoint_url: scope.endpoint_url.clone(),
        concurrency: scope.concurrency,
        progress,
        verify: None,
    }
}

/// accounts × regions, and APIs found, on stderr.
#[cfg(feature = "aws")]
struct Bar(indicatif::ProgressBar, std::sync::atomic::AtomicUsize);

#[cfg(feature = "aws")]
impl Bar {
    fn new() -> Bar {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{bar:30}] {pos}/{len} account×region  {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        Bar(bar, std::sync::atomic::AtomicUsize::new(0))
    }
}

#[cfg(feature = "aws")]
impl stagelog_aws::Progress for Bar {
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

#[cfg(feature = "aws")]
impl Drop for Bar {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}

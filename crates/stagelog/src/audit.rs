//! `stagelog audit`: live accounts through stagelog-aws, judged by the same rules as `scan`.

use crate::cli::AuditArgs;
use anyhow::Result;

#[cfg(not(feature = "aws"))]
pub fn run(_: AuditArgs) -> Result<u8> {
    anyhow::bail!("this stagelog was built without AWS support (cargo feature `aws`); `scan` works")
}

#[cfg(feature = "aws")]
pub fn run(args: AuditArgs) -> Result<u8> {
    use crate::commands::{emit, exit_code, judge, selection};
    use stagelog_report::ReportError;
    use stagelog_rules::Config;
    use std::io::IsTerminal;
    use std::sync::Arc;

    let sel = selection(&args.report)?;
    let config = Config {
        min_retention_days: args.min_retention_days,
        ..Config::default()
    };
    let progress: Option<Arc<dyn stagelog_aws::Progress>> = std::io::stderr()
        .is_terminal()
        .then(|| Arc::new(Bar::new()) as Arc<dyn stagelog_aws::Progress>);
    let out = stagelog_aws::audit_blocking(options(&args.scope, progress.clone()));
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
    let report = judge(&out.inventories, errors, 0, &config, &sel);
    emit(&report, &args.report)?;
    Ok(exit_code(&report, args.report.fail_on))
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

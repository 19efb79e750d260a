//! What the live commands share: the scope the command line names, a progress bar, the
//! audit judged and reported through the pipeline (`audit`, `verify`, `drift`), the code
//! `--iac` names linked to it, Security Hub export.

use crate::cli::{Export, IacArgs, ReportArgs, ScopeArgs};
use crate::Ui;
use anyhow::{anyhow, Result};
use stagelog_pipeline::{exit_status, ExitStatus, Pipeline, PolicyOptions};
use std::sync::Arc;

/// What `audit` and `verify` read and how they report it.
pub(super) struct LiveReport<'a> {
    pub scope: &'a ScopeArgs,
    pub report: &'a ReportArgs,
    pub verify: Option<stagelog_aws::VerifyOptions>,
    pub export: Option<Export>,
    /// What a CloudTrail event names (`audit --cloudtrail-event`): its region, and the API and
    /// stage to read instead of the region's.
    pub event: Option<stagelog_aws::cloudtrail::EventScope>,
    /// `--iac`: the code that made the stages, to link each to its declaration.
    pub iac: &'a IacArgs,
    /// `drift`: judge the stages paired with their declarations instead of the stages.
    pub drift: bool,
}

/// The code `--iac` names, read before any AWS call (so its errors come first), or `None`
/// without `--iac`.
pub(super) fn read_code(iac: &IacArgs, ui: Ui) -> Result<Option<stagelog_drift::Code>> {
    if iac.paths.is_empty() {
        return Ok(None);
    }
    for path in iac.paths.iter().chain(iac.tf_state.iter()) {
        if !path.exists() {
            return Err(anyhow!("{}: no such file or directory", path.display()));
        }
    }
    for (name, template) in &iac.stack {
        if !template.is_file() {
            return Err(anyhow!(
                "--stack {name}={}: no such template",
                template.display()
            ));
        }
    }
    let code = stagelog_drift::read(&stagelog_drift::IacOptions {
        paths: iac.paths.clone(),
        stacks: iac.stack.clone(),
        tf_states: iac.tf_state.clone(),
        scan: stagelog_iac::ScanOptions::default(),
    });
    if ui.verbose() {
        let stages: usize = code.inventories.iter().map(|i| i.stages.len()).sum();
        eprintln!(
            "--iac: {} file(s), {stages} declared stage(s), {} Terraform state file(s)",
            code.files,
            iac.tf_state.len()
        );
        // Which stack each template deploys as: why a tagged stage found its code, or not.
        const SHOWN: usize = 20;
        let stacks = code.stack_names();
        for (name, files) in stacks.iter().take(SHOWN) {
            eprintln!("--iac: stack {name} deploys {}", files.join(", "));
        }
        if stacks.len() > SHOWN {
            eprintln!("--iac: and {} more stacks", stacks.len() - SHOWN);
        }
    }
    Ok(Some(code))
}

/// Writes each live stage's declaration into its location; says what could not be placed.
pub(super) fn attach_code(
    code: &stagelog_drift::Code,
    inventories: &mut [stagelog_model::Inventory],
    notes: &mut Vec<String>,
) {
    let attached = code.attach(inventories);
    notes.push(format!(
        "--iac: {} of {} live stage(s) linked to their code",
        attached.linked,
        attached.linked + attached.unlinked
    ));
    for stack in attached.unknown_stacks {
        notes.push(format!(
            "--iac: CloudFormation stack `{stack}` made live stages, and no template under --iac deploys as it (samconfig.toml, cdk.out, serverless.yml, or --stack {stack}=TEMPLATE)"
        ));
    }
}

/// A progress bar on a terminal, unless quiet.
pub(super) fn progress(ui: Ui) -> Option<Arc<dyn stagelog_aws::Progress>> {
    use std::io::IsTerminal;
    (std::io::stderr().is_terminal() && !ui.quiet())
        .then(|| Arc::new(Bar::new()) as Arc<dyn stagelog_aws::Progress>)
}

/// The report in every format asked for; says what it wrote into --output-dir.
pub(super) fn write(
    report: &stagelog_report::Report,
    args: &ReportArgs,
    policy: &stagelog_pipeline::policy::Policy,
    ui: Ui,
) -> Result<()> {
    let opts = crate::inputs::output(args, ui.quiet(), policy);
    for path in stagelog_pipeline::write_reports(report, &opts)? {
        if !ui.quiet() {
            eprintln!("wrote {}", path.display());
        }
    }
    Ok(())
}

/// The pipeline for the live scope: policy first (usage errors before any AWS call).
fn live_pipeline(mut policy: PolicyOptions, report_args: &ReportArgs) -> Result<Pipeline> {
    policy.compliance = report_args.compliance.clone();
    Pipeline::load(&policy, std::path::Path::new("."), crate::hints::hint)
}

/// Reads the live scope, judges it and writes the report.
pub(super) fn report_live(live: LiveReport, policy: PolicyOptions, ui: Ui) -> Result<ExitStatus> {
    let LiveReport {
        scope,
        report: report_args,
        verify,
        export,
        event,
        iac,
        drift,
    } = live;
    let pipeline = live_pipeline(policy, report_args)?;
    let code = read_code(iac, ui)?;
    let progress = progress(ui);
    let mut opts = options(scope, progress.clone())?;
    opts.verify = verify;
    if let Some(event) = event {
        opts.regions = vec![event.region];
        opts.all_regions = false;
        opts.focus = event.focus;
    }
    let export_opts = stagelog_aws::AuditOptions {
        progress: None,
        ..opts.clone()
    };
    let mut out = stagelog_aws::audit_blocking(opts);
    drop(progress);
    say_coverage(&out, ui);
    let mut notes = Vec::new();
    let mut errors = out.errors;
    let judged = match &code {
        Some(code) if drift => {
            let paired = code.drift(&out.inventories);
            notes.extend(paired.notes);
            vec![paired.inventory]
        }
        Some(code) => {
            attach_code(code, &mut out.inventories, &mut notes);
            std::mem::take(&mut out.inventories)
        }
        None => std::mem::take(&mut out.inventories),
    };
    if let Some(code) = &code {
        errors.extend(code.errors.iter().cloned());
        notes.extend(code.notes.iter().cloned());
    }
    let mut report = pipeline.judge(&judged, errors, code.as_ref().map_or(0, |c| c.files));
    report.notes.extend(notes);
    report.live = Some(stagelog_report::LiveCoverage {
        scopes: out.covered.clone(),
    });
    report.keep_severities(&report_args.severity);
    report.notes.extend(
        out.inactive_accounts.iter().map(|(id, state)| {
            format!("account {id} skipped: the Organization says it is {state}")
        }),
    );
    if !ui.quiet() {
        for note in &report.notes {
            eprintln!("note: {note}");
        }
    }
    if export.is_some() {
        export_securityhub(&export_opts, &judged, &mut report, ui);
    }
    write(&report, report_args, &pipeline.policy, ui)?;
    let soft = report_args.errors_as_warnings || pipeline.policy.errors_are_warnings();
    let fail_on = crate::inputs::fail_on(report_args, &pipeline.policy);
    Ok(exit_status(&report, fail_on, soft))
}

/// With --verbose: the accounts and regions read (an organisation walk names hundreds).
pub(super) fn say_coverage(out: &stagelog_aws::AuditOutput, ui: Ui) {
    if !ui.verbose() {
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
    ui: Ui,
) {
    let asff = stagelog_report::AsffOptions::from_env();
    let findings = stagelog_report::asff_findings(report, &asff);
    let outcomes = stagelog_aws::securityhub::export_blocking(
        opts,
        &findings,
        &export_scopes(inventories),
        &asff.generated_at,
    );
    for o in &outcomes {
        if !ui.quiet() {
            eprintln!(
                "security hub {} {}: {} findings imported, {} resolved",
                o.account, o.region, o.imported, o.resolved
            );
        }
    }
    export_failures(&outcomes, report);
}

/// The account×region pairs an export covers: every one the audit read something in (so a
/// scope whose findings were all fixed gets its old ones resolved).
pub(super) fn export_scopes(inventories: &[stagelog_model::Inventory]) -> Vec<(String, String)> {
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
    scopes
}

/// What Security Hub did not take becomes an error of the report (exit 2).
pub(super) fn export_failures(
    outcomes: &[stagelog_aws::securityhub::ExportOutcome],
    report: &mut stagelog_report::Report,
) {
    for o in outcomes {
        for message in &o.failed {
            report.errors.push(stagelog_model::Problem::in_scope(
                Some(o.account.clone()),
                Some(o.region.clone()),
                format!("Security Hub export: {message}"),
            ));
        }
    }
    report.normalise();
}

/// The live scope the command line names; a bad account list is a usage error here, before
/// any AWS call.
pub(super) fn options(
    scope: &ScopeArgs,
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
        max_rate: Some(scope.max_rate),
        counter: None,
        progress,
        verify: None,
        cost: None,
        focus: None,
    })
}

/// accounts × regions, APIs found, requests sent and their rate, on stderr.
pub(super) struct Bar {
    bar: indicatif::ProgressBar,
    apis: std::sync::atomic::AtomicUsize,
    requests: Arc<stagelog_aws::pace::Counter>,
    started: std::time::Instant,
}

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
        Bar {
            bar,
            apis: std::sync::atomic::AtomicUsize::new(0),
            requests: Arc::default(),
            started: std::time::Instant::now(),
        }
    }
}

impl stagelog_aws::Progress for Bar {
    fn accounts_planned(&self, accounts: usize) {
        self.bar.set_prefix(format!(
            "({accounts} account{})",
            if accounts == 1 { "" } else { "s" }
        ));
    }
    fn scopes_planned(&self, total: usize) {
        self.bar.set_length(total as u64);
    }
    fn scope_done(&self, account: &str, region: &str, apis: usize) {
        let total = self
            .apis
            .fetch_add(apis, std::sync::atomic::Ordering::Relaxed)
            + apis;
        let sent = self.requests.sent();
        let rate = sent as f64 / self.started.elapsed().as_secs_f64().max(0.001);
        self.bar.set_message(format!(
            "{total} APIs, {sent} requests ({rate:.1}/s) (last: {account} {region})"
        ));
        self.bar.inc(1);
    }
    fn counter(&self) -> Option<Arc<stagelog_aws::pace::Counter>> {
        Some(self.requests.clone())
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

pub(super) fn tokio_runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}

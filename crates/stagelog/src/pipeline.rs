//! The one pipeline every command runs: load the policy (`--config` or the nearest
//! `stagelog.toml`) → select rules → adapt sources (the command's part) → judge → render fix
//! hints from the remedies → apply severities, suppressions and waivers → report → exit
//! status. `scan`, `fix`, `fix --live`, `audit` and `verify` all judge through
//! [`Pipeline::judge`], so `fix` changes exactly what `scan` reports under the same policy.

use crate::cli::{FailOn, Format, ReportArgs};
use crate::policy::Policy;
use anyhow::{bail, Context, Result};
use rayon::prelude::*;
use stagelog_model::{ExecutionLevel, Finding, Inventory, RetentionDays, Severity, SourceKind};
use stagelog_report::{Report, ReportError, TextOptions};
use stagelog_rules::{Config, Selection};
use std::io::{IsTerminal, Write};
use std::path::Path;

/// How a run ends, for CI: the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Nothing at or above `--fail-on` (or nothing to change).
    Clean,
    /// Findings at or above `--fail-on` (or, for `fix`, changes to make).
    Findings,
    /// A usage error, or something could not be read, parsed, written or reached.
    Error,
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Clean => 0,
            ExitStatus::Findings => 1,
            ExitStatus::Error => 2,
        }
    }
}

/// What the command line says about the policy, whatever the command.
#[derive(Debug, Clone, Default)]
pub struct PolicyArgs<'a> {
    pub config: Option<&'a Path>,
    pub select: &'a [String],
    pub ignore: &'a [String],
    pub compliance: Option<&'a str>,
    /// `--min-retention-days` (a minimum: rounded up to a value CloudWatch Logs allows).
    pub min_retention_days: Option<i64>,
    /// `fix --retention-days` (exactly what new groups get; must be allowed as it is).
    pub retention_days: Option<i64>,
    /// `fix --execution-level`.
    pub execution_level: Option<ExecutionLevel>,
}

/// The policy, rule selection and thresholds of one run.
pub struct Pipeline {
    pub policy: Policy,
    pub selection: Selection,
    pub config: Config,
    /// The report's title (the compliance framework, with `--compliance`).
    pub title: Option<String>,
}

impl Pipeline {
    /// Loads the policy found from `start` (or `--config`) and folds in the command line,
    /// which wins. Usage errors (unknown rules, frameworks, retention values) come here,
    /// before anything is read.
    pub fn load(args: &PolicyArgs, start: &Path) -> Result<Pipeline> {
        let policy = Policy::load(args.config, start)?;
        let mut selection = Selection {
            select: if args.select.is_empty() {
                policy.select.clone()
            } else {
                args.select.to_vec()
            },
            ignore: args.ignore.iter().chain(&policy.ignore).cloned().collect(),
        };
        let unknown = selection.unknown_ids();
        if !unknown.is_empty() {
            bail!(
                "unknown rule id(s) {} in --select/--ignore or stagelog.toml (see `stagelog rules`)",
                unknown.join(", ")
            );
        }
        let mut title = None;
        if let Some(name) = args.compliance {
            let (framework, rules) = crate::policy::compliance(name)?;
            let chosen: Vec<String> = rules
                .into_iter()
                .filter(|r| selection.includes(r))
                .collect();
            if chosen.is_empty() {
                bail!("--compliance {name}: no rule of that framework is selected");
            }
            selection.select = chosen;
            title = Some(framework);
        }
        let mut config = policy.config()?;
        if let Some(days) = args.min_retention_days {
            config.min_retention = RetentionDays::at_least(days).with_context(|| {
                format!("--min-retention-days {days}: more than CloudWatch Logs keeps (3653 days)")
            })?;
        }
        if let Some(days) = args.retention_days {
            config.min_retention =
                RetentionDays::exact(days).map_err(|e| anyhow::anyhow!("--retention-days: {e}"))?;
        }
        if let Some(level) = args.execution_level {
            config.execution_level = level;
        }
        Ok(Pipeline {
            policy,
            selection,
            config,
            title,
        })
    }

    /// Judges the inventories, renders each finding's fix hint from its remedy in its
    /// source's terms, then applies severities, suppressions and waivers.
    pub fn judge(
        &self,
        inventories: &[Inventory],
        errors: Vec<ReportError>,
        files: usize,
    ) -> Report {
        let started = std::time::Instant::now();
        let mut findings: Vec<Finding> = inventories
            .par_iter()
            .flat_map_iter(|inv| stagelog_rules::check(inv, &self.config, &self.selection))
            .collect();
        for f in &mut findings {
            f.fix = hint(f);
        }
        let subjects = inventories
            .iter()
            .flat_map(|inv| &inv.stages)
            .map(|s| stagelog_report::Subject {
                resource: s.location.resource.clone(),
                stage: s.name.to_string(),
                file: s.location.file.clone(),
                line: s.location.line,
                account: s.location.account.clone(),
                region: s.location.region.clone(),
            })
            .collect();
        let mut report = Report {
            findings,
            errors,
            files,
            stages: inventories.iter().map(|i| i.stages.len()).sum(),
            subjects,
            rules: stagelog_rules::registry()
                .iter()
                .filter(|r| self.selection.includes(r.id))
                .filter(|r| !r.live_only || inventories.iter().any(|i| i.live))
                // SL090 judges suppression marks, not stages: listed only when it finds something.
                .filter(|r| !r.examples_dir.is_empty() || r.live_only)
                .map(|r| r.id)
                .collect(),
            title: self.title.clone(),
            suppressed: vec![],
            notes: vec![],
        };
        report.normalise();
        if crate::ui::verbose() {
            eprintln!(
                "policy: {}",
                self.policy
                    .path
                    .as_deref()
                    .map_or("none (no stagelog.toml found)".to_string(), |p| p
                        .display()
                        .to_string())
            );
            eprintln!("rules: {}", report.rules.join(", "));
            eprintln!(
                "judged {} stages from {} sources in {:.1} ms",
                report.stages,
                inventories.len(),
                started.elapsed().as_secs_f64() * 1000.0
            );
        }
        crate::policy::apply(
            &mut report,
            &self.policy,
            &crate::policy::today(),
            &self.selection,
            inventories.iter().flat_map(|i| &i.marks),
        );
        report
    }
}

impl Pipeline {
    /// `--exclude` and `exclude` in stagelog.toml, together.
    pub fn exclude(&self, cli: &[String]) -> Vec<String> {
        cli.iter().chain(&self.policy.exclude).cloned().collect()
    }
}

/// Files that could not be read or understood, as report errors.
pub fn source_errors(errors: Vec<stagelog_iac::SourceError>) -> Vec<ReportError> {
    errors
        .into_iter()
        .map(|e| ReportError {
            file: Some(e.file),
            line: e.line,
            account: None,
            region: None,
            message: e.message,
        })
        .collect()
}

/// The fix hint for a finding, rendered by its source's own code from the remedy.
pub fn hint(f: &Finding) -> String {
    match f.location.source {
        SourceKind::Live => crate::live::hint(f),
        _ => stagelog_iac::fix::hint(f).unwrap_or_default(),
    }
}

/// The findings a fix acts on: what the report shows (suppressed and waived findings are not
/// in it), above `info`.
pub fn to_fix(report: &Report) -> Vec<Finding> {
    report
        .findings
        .iter()
        .filter(|f| f.severity > Severity::Info)
        .cloned()
        .collect()
}

pub fn exit_status(report: &Report, fail_on: FailOn) -> ExitStatus {
    if !report.errors.is_empty() {
        return ExitStatus::Error;
    }
    let threshold = match fail_on {
        FailOn::Info => Severity::Info,
        FailOn::Low => Severity::Low,
        FailOn::Medium => Severity::Medium,
        FailOn::High => Severity::High,
        FailOn::None => return ExitStatus::Clean,
    };
    match report.worst() {
        Some(w) if w >= threshold => ExitStatus::Findings,
        _ => ExitStatus::Clean,
    }
}

/// Writes the report in each format asked for. `--severity` narrows what is shown (the exit
/// status is decided on the whole report, as `--fail-on` says).
pub fn emit(report: &Report, args: &ReportArgs) -> Result<()> {
    let mut formats = args.format.clone();
    formats.dedup();
    if formats.len() > 1 && args.output_dir.is_none() {
        bail!("several formats need --output-dir DIR (one file each)");
    }
    let shown;
    let report = if args.severity.is_empty() {
        report
    } else {
        let mut r = report.clone();
        r.findings.retain(|f| args.severity.contains(&f.severity));
        r.suppressed
            .retain(|s| args.severity.contains(&s.finding.severity));
        shown = r;
        &shown
    };
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let color = to_terminal && !args.no_color && std::env::var_os("NO_COLOR").is_none();
    if let Some(dir) = &args.output_dir {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    for format in formats {
        let body = match format {
            Format::Text => stagelog_report::text(
                report,
                TextOptions {
                    color,
                    summary: !crate::ui::quiet(),
                },
            ),
            Format::Json => stagelog_report::json(report),
            Format::Sarif => stagelog_report::sarif(report),
            Format::Junit => stagelog_report::junit(report),
            Format::Csv => stagelog_report::csv(report),
            Format::Markdown => stagelog_report::markdown(report),
            Format::Github => stagelog_report::github(report),
            Format::Asff => {
                stagelog_report::asff(report, &stagelog_report::AsffOptions::from_env())
            }
            Format::Html => stagelog_report::html(report),
        };
        let path = match (&args.output_dir, &args.output) {
            (Some(dir), _) => Some(dir.join(format.file_name())),
            (None, Some(file)) => Some(file.clone()),
            (None, None) => None,
        };
        match path {
            Some(path) => {
                std::fs::write(&path, body)
                    .with_context(|| format!("cannot write the report to {}", path.display()))?;
                if args.output_dir.is_some() && !crate::ui::quiet() {
                    eprintln!("wrote {}", path.display());
                }
            }
            None => {
                let mut out = std::io::stdout().lock();
                // A closed pipe (`| head`) is not an error worth a message.
                if let Err(e) = out.write_all(body.as_bytes()).and_then(|_| out.flush()) {
                    if e.kind() != std::io::ErrorKind::BrokenPipe {
                        return Err(e).context("cannot write the report");
                    }
                }
            }
        }
    }
    Ok(())
}

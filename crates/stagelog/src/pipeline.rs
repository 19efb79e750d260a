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
        let judged = inventories
            .par_iter()
            .map(|inv| self.judge_one(inv))
            .collect();
        self.report(judged, errors, files)
    }

    /// One inventory's findings (with their fix hints) and what the report says of it: the
    /// part of [`Pipeline::judge`] that needs the model, so a scan can judge each inventory
    /// as it is read and drop it.
    pub fn judge_one(&self, inv: &Inventory) -> Judged {
        let mut findings = stagelog_rules::check(inv, &self.config, &self.selection);
        for f in &mut findings {
            f.fix = hint(f);
        }
        // Sorted here, on the scan's threads: the report then merges runs already in order
        // instead of sorting every finding on one thread.
        findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        let mut subjects: Vec<_> = inv
            .stages
            .iter()
            .map(|s| stagelog_report::Subject {
                resource: s.location.resource.clone(),
                stage: s.name.to_string(),
                file: s.location.file.clone(),
                line: s.location.line,
                account: s.location.account.clone(),
                region: s.location.region.clone(),
            })
            .collect();
        subjects.sort();
        Judged {
            findings,
            subjects,
            stages: inv.stages.len(),
            live: inv.live,
            marks: inv.marks.clone(),
        }
    }

    /// The report of judged inventories: severities, suppressions and waivers applied.
    pub fn report(&self, judged: Vec<Judged>, errors: Vec<ReportError>, files: usize) -> Report {
        let started = std::time::Instant::now();
        let sources = judged.len();
        let live = judged.iter().any(|j| j.live);
        let mut report = Report {
            findings: Vec::with_capacity(judged.iter().map(|j| j.findings.len()).sum()),
            errors,
            files,
            stages: judged.iter().map(|j| j.stages).sum(),
            subjects: Vec::with_capacity(judged.iter().map(|j| j.subjects.len()).sum()),
            rules: stagelog_rules::registry()
                .iter()
                .filter(|r| self.selection.includes(r.id))
                .filter(|r| !r.live_only || live)
                // SL090 judges suppression marks, not stages: listed only when it finds something.
                .filter(|r| !r.examples_dir.is_empty() || r.live_only)
                .map(|r| r.id)
                .collect(),
            title: self.title.clone(),
            suppressed: vec![],
            notes: vec![],
            live: None,
        };
        let mut marks = Vec::new();
        for mut j in judged {
            report.findings.append(&mut j.findings);
            report.subjects.append(&mut j.subjects);
            marks.append(&mut j.marks);
        }
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
                "judged {} stages from {} sources; report made in {:.1} ms",
                report.stages,
                sources,
                started.elapsed().as_secs_f64() * 1000.0
            );
        }
        crate::policy::apply(
            &mut report,
            &self.policy,
            &crate::policy::today(),
            &self.selection,
            marks.iter(),
        );
        report
    }
}

/// What judging one inventory gave, kept until the report is made.
pub struct Judged {
    findings: Vec<Finding>,
    subjects: Vec<stagelog_report::Subject>,
    stages: usize,
    live: bool,
    marks: Vec<stagelog_model::Mark>,
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
        _ => stagelog_fix::hint(f).unwrap_or_default(),
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

/// One report in one format. JSON and SARIF, the formats of big machine-read reports, are
/// written as they are made (a report of 50,000 findings is never held as text).
fn write_report(
    report: &Report,
    format: Format,
    color: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let body = match format {
        Format::Json => return stagelog_report::write_json(report, out),
        Format::Sarif => return stagelog_report::write_sarif(report, out),
        Format::Text => stagelog_report::text(
            report,
            TextOptions {
                color,
                summary: !crate::ui::quiet(),
            },
        ),
        Format::Junit => stagelog_report::junit(report),
        Format::Csv => stagelog_report::csv(report),
        Format::Markdown => stagelog_report::markdown(report),
        Format::Github => stagelog_report::github(report),
        Format::Asff => stagelog_report::asff(report, &stagelog_report::AsffOptions::from_env()),
        Format::Html => stagelog_report::html(report),
    };
    out.write_all(body.as_bytes())
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
        let path = match (&args.output_dir, &args.output) {
            (Some(dir), _) => Some(dir.join(format.file_name())),
            (None, Some(file)) => Some(file.clone()),
            (None, None) => None,
        };
        let written = match &path {
            Some(path) => {
                let file = std::fs::File::create(path)
                    .with_context(|| format!("cannot write the report to {}", path.display()))?;
                let mut out = std::io::BufWriter::with_capacity(1 << 16, file);
                write_report(report, format, color, &mut out)
                    .and_then(|_| out.flush())
                    .with_context(|| format!("cannot write the report to {}", path.display()))
            }
            None => {
                let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
                match write_report(report, format, color, &mut out).and_then(|_| out.flush()) {
                    // A closed pipe (`| head`) is not an error worth a message.
                    Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                    other => other.context("cannot write the report"),
                }
            }
        };
        written?;
        if let (Some(path), Some(_)) = (&path, &args.output_dir) {
            if !crate::ui::quiet() {
                eprintln!("wrote {}", path.display());
            }
        }
    }
    Ok(())
}

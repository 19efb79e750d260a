//! [`Pipeline`]: the policy, rule selection and thresholds of one run, and the judging of
//! inventories into a report under them.

use crate::policy::Policy;
use anyhow::{bail, Context, Result};
use rayon::prelude::*;
use stagelog_model::{ExecutionLevel, Finding, Inventory, Problem, RetentionDays, Severity};
use stagelog_report::Report;
use stagelog_rules::{Config, Selection};
use std::path::{Path, PathBuf};

/// What the command line says about the policy, whatever the command; it wins over
/// `stagelog.toml`.
#[derive(Debug, Clone, Default)]
pub struct PolicyOptions {
    /// `--config FILE` (default: the first `stagelog.toml` at or above the start).
    pub config: Option<PathBuf>,
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    /// `--compliance FRAMEWORK`: that framework's rules, and the report titled after it.
    pub compliance: Option<String>,
    /// `--min-retention-days` (a minimum: rounded up to a value CloudWatch Logs allows).
    pub min_retention_days: Option<i64>,
    /// `fix --retention-days` (exactly what new groups get; must be allowed as it is).
    pub retention_days: Option<i64>,
    /// `fix --execution-level`.
    pub execution_level: Option<ExecutionLevel>,
}

/// Renders a finding's fix hint in its source's own terms, from its remedy: each source has
/// its renderer (files: `stagelog_fix::hint`; live accounts: `stagelog_aws::fix::hint`), and
/// the command gives the pipeline the one that dispatches to them.
pub type Hints = fn(&Finding) -> String;

/// The policy, rule selection and thresholds of one run.
pub struct Pipeline {
    pub policy: Policy,
    pub selection: Selection,
    pub config: Config,
    /// The report's title (the compliance framework, with `--compliance`).
    pub title: Option<String>,
    hints: Hints,
}

impl Pipeline {
    /// Loads the policy found from `start` (or `--config`) and folds in the command line,
    /// which wins. Usage errors (unknown rules, frameworks, retention values) come here,
    /// before anything is read.
    pub fn load(args: &PolicyOptions, start: &Path, hints: Hints) -> Result<Pipeline> {
        let policy = Policy::load(args.config.as_deref(), start)?;
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
        if let Some(name) = args.compliance.as_deref() {
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
            hints,
        })
    }

    /// Judges the inventories, renders each finding's fix hint from its remedy in its
    /// source's terms, then applies severities, suppressions and waivers.
    pub fn judge(&self, inventories: &[Inventory], errors: Vec<Problem>, files: usize) -> Report {
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
            f.fix = (self.hints)(f);
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
            // `drift` judges stages paired with their declarations: each pair is one stage.
            stages: inv.stages.len() + inv.drift.len(),
            live: inv.live,
            marks: inv.marks.clone(),
            // For the checks across units: only settings whose account and region are known
            // can be compared.
            accounts: inv
                .accounts
                .iter()
                .filter(|a| a.location.account.is_some() && a.location.region.is_some())
                .cloned()
                .collect(),
        }
    }

    /// The report of judged inventories: severities, suppressions and waivers applied.
    pub fn report(&self, judged: Vec<Judged>, errors: Vec<Problem>, files: usize) -> Report {
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
                // Meta rules judge suppression marks, not stages: listed only when they find
                // something.
                .filter(|r| r.kind() != stagelog_rules::RuleKind::Meta)
                .map(|r| r.id)
                .collect(),
            title: self.title.clone(),
            suppressed: vec![],
            notes: vec![],
            live: None,
            hidden: 0,
        };
        let mut marks = Vec::new();
        let mut accounts = Vec::new();
        for mut j in judged {
            report.findings.append(&mut j.findings);
            report.subjects.append(&mut j.subjects);
            marks.append(&mut j.marks);
            accounts.append(&mut j.accounts);
        }
        let mut across = stagelog_rules::check_across(&accounts, &self.selection);
        for f in &mut across {
            f.fix = (self.hints)(f);
        }
        report.findings.append(&mut across);
        report.normalise();
        crate::policy::apply(
            &mut report,
            &self.policy,
            crate::policy::today(),
            &self.selection,
            marks.iter(),
            self.hints,
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
    accounts: Vec<stagelog_model::AccountSettings>,
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

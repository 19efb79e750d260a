//! Team policy: `stagelog.toml` (found upward from the scanned path, or `--config`), inline
//! suppressions in the sources, waivers with expiry dates, severity overrides, and compliance
//! framework selection. Suppressed findings are kept apart in the report, never dropped.

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use stagelog_model::{ExecutionLevel, RetentionDays, Severity};
use stagelog_report::{Report, Suppressed};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const FILE_NAME: &str = "stagelog.toml";

/// `stagelog.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Rules to run (ids or prefixes); command-line `--select` wins.
    #[serde(default)]
    pub select: Vec<String>,
    #[serde(default)]
    pub ignore: Vec<String>,
    /// Rule id → severity (`high`, `medium`, `low`, `info`).
    #[serde(default)]
    pub severity: BTreeMap<String, String>,
    /// SL005's audit fields (see `stagelog explain SL005`).
    pub required_fields: Option<Vec<String>>,
    /// SL020's minimum retention in days.
    pub min_retention_days: Option<i64>,
    /// SL010: `ERROR` (default) or `INFO`.
    pub execution_level: Option<String>,
    /// Paths to leave out of `scan` and `fix`, as `--exclude` does (gitignore's rules,
    /// relative to this file's directory).
    #[serde(default)]
    pub exclude: Vec<String>,
    /// `warn`: errors (a file that cannot be read) are reported but do not decide the exit
    /// status, as `--errors-as-warnings`; `fail` (default): they exit 2.
    pub errors: Option<String>,
    /// `--fail-on` when the command line does not say (a severity or `none`).
    pub fail_on: Option<String>,
    /// `--format` when the command line does not say (comma-separated for several, with
    /// `output` naming a directory).
    pub format: Option<String>,
    /// `--output FILE` (one format) when the command line names no output; relative to this
    /// file's directory.
    pub output: Option<String>,
    /// `--baseline FILE` when the command line does not say; relative to this file's
    /// directory.
    pub baseline: Option<String>,
    #[serde(default, rename = "waiver")]
    pub waivers: Vec<Waiver>,
    #[serde(skip)]
    pub path: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Waiver {
    /// Rule id or prefix.
    pub rule: String,
    /// Glob on the resource (Terraform address, logical id, ARN) or the file.
    pub resource: String,
    pub reason: String,
    /// From that day on the waiver no longer suppresses.
    #[serde(default, deserialize_with = "date")]
    pub expires: Option<jiff::civil::Date>,
}

impl Policy {
    /// The formats `format` names.
    pub fn formats(&self) -> Vec<Result<crate::Format, String>> {
        self.format
            .iter()
            .flat_map(|f| f.split(','))
            .map(str::parse)
            .collect()
    }

    /// A path written in this file, relative to its directory.
    pub fn relative(&self, written: &str) -> PathBuf {
        match self.path.as_deref().and_then(Path::parent) {
            Some(dir) => dir.join(written),
            None => PathBuf::from(written),
        }
    }

    /// Whether errors decide the exit status (`errors = "warn"` says they do not).
    pub fn errors_are_warnings(&self) -> bool {
        self.errors.as_deref() == Some("warn")
    }

    /// `--config FILE`, else the first `stagelog.toml` in `start` or a directory above it.
    pub fn load(explicit: Option<&Path>, start: &Path) -> Result<Policy> {
        let path = match explicit {
            Some(p) => Some(p.to_path_buf()),
            None => {
                let start = std::fs::canonicalize(start).unwrap_or_else(|_| start.to_path_buf());
                let dir = if start.is_dir() {
                    Some(start.as_path())
                } else {
                    start.parent()
                };
                dir.and_then(|d| {
                    d.ancestors()
                        .map(|a| a.join(FILE_NAME))
                        .find(|p| p.is_file())
                })
            }
        };
        let Some(path) = path else {
            return Ok(Policy::default());
        };
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let mut policy: Policy = toml::from_str(&text)
            .with_context(|| format!("{}: not a valid stagelog.toml", path.display()))?;
        for (rule, sev) in &policy.severity {
            if stagelog_rules::find(rule).is_none() {
                bail!("{}: [severity] names unknown rule {rule}", path.display());
            }
            severity(sev).with_context(|| format!("{}: [severity] {rule}", path.display()))?;
        }
        for w in &policy.waivers {
            globset::Glob::new(&w.resource)
                .with_context(|| format!("{}: waiver resource `{}`", path.display(), w.resource))?;
        }
        for field in policy.required_fields.iter().flatten() {
            let known = stagelog_rules::context_vars::AUDIT_FIELDS;
            if !known.iter().any(|f| f.key == field) {
                bail!(
                    "{}: required_fields `{field}`: expected one of {}",
                    path.display(),
                    known.iter().map(|f| f.key).collect::<Vec<_>>().join(", ")
                );
            }
        }
        if let Some(fail_on) = &policy.fail_on {
            fail_on
                .parse::<crate::FailOn>()
                .map_err(anyhow::Error::msg)
                .with_context(|| format!("{}: fail_on", path.display()))?;
        }
        for format in policy.formats() {
            format
                .map_err(anyhow::Error::msg)
                .with_context(|| format!("{}: format", path.display()))?;
        }
        if let Some(mode) = &policy.errors {
            if !["warn", "fail"].contains(&mode.as_str()) {
                bail!(
                    "{}: errors = \"{mode}\": expected \"warn\" or \"fail\"",
                    path.display()
                );
            }
        }
        if let Some(level) = &policy.execution_level {
            if !["ERROR", "INFO"].contains(&level.to_ascii_uppercase().as_str()) {
                bail!(
                    "{}: execution_level `{level}`: expected ERROR or INFO",
                    path.display()
                );
            }
        }
        policy.path = Some(path);
        Ok(policy)
    }

    /// The rules' thresholds: SL005's fields, SL020's minimum retention (rounded up to a
    /// value CloudWatch Logs allows: `100` means 120), SL010's level.
    pub fn config(&self) -> Result<stagelog_rules::Config> {
        let mut c = stagelog_rules::Config::default();
        if let Some(f) = &self.required_fields {
            c.required_fields = f.clone();
        }
        if let Some(days) = self.min_retention_days {
            c.min_retention = RetentionDays::at_least(days).with_context(|| {
                format!(
                    "{}: min_retention_days = {days} is more than CloudWatch Logs keeps (3653 days)",
                    self.path.as_deref().unwrap_or(Path::new(FILE_NAME)).display()
                )
            })?;
        }
        if self
            .execution_level
            .as_deref()
            .is_some_and(|l| l.eq_ignore_ascii_case("INFO"))
        {
            c.execution_level = ExecutionLevel::Info;
        }
        Ok(c)
    }
}

fn severity(s: &str) -> Result<Severity> {
    Ok(match s.to_ascii_lowercase().as_str() {
        "high" => Severity::High,
        "medium" => Severity::Medium,
        "low" => Severity::Low,
        "info" => Severity::Info,
        _ => bail!("`{s}` is not a severity (high, medium, low, info)"),
    })
}

/// A waiver's `expires`: a calendar date written `YYYY-MM-DD` (2027-02-30 is not one).
fn date<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<jiff::civil::Date>, D::Error> {
    let s = String::deserialize(d)?;
    let parsed = (s.len() == 10)
        .then(|| s.parse::<jiff::civil::Date>().ok())
        .flatten();
    parsed.map(Some).ok_or_else(|| {
        serde::de::Error::custom(format!("waiver expires `{s}`: expected YYYY-MM-DD"))
    })
}

/// Today (UTC), or `SOURCE_DATE_EPOCH`'s day.
pub fn today() -> jiff::civil::Date {
    jiff::Timestamp::from_second(stagelog_report::now_secs())
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
}

/// Applies severity overrides, inline suppressions and waivers to a judged report, then the
/// selected meta rules to what the marks silenced (SL090: a mark without a reason).
pub fn apply<'m>(
    report: &mut Report,
    policy: &Policy,
    today: jiff::civil::Date,
    sel: &stagelog_rules::Selection,
    marks: impl Iterator<Item = &'m stagelog_model::Mark> + Clone,
    hints: crate::Hints,
) {
    for f in &mut report.findings {
        if let Some(s) = policy.severity.get(f.rule_id) {
            if let Ok(sev) = severity(s) {
                f.severity = sev;
            }
        }
    }
    let inline = crate::suppress::inline_suppressions(&report.findings, marks);
    let globs: Vec<Option<globset::GlobMatcher>> = policy
        .waivers
        .iter()
        .map(|w| {
            globset::Glob::new(&w.resource)
                .ok()
                .map(|g| g.compile_matcher())
        })
        .collect();
    // Findings stay in their list (a report may hold tens of thousands): the few that are
    // suppressed are moved out, the rest kept in place.
    let mut marked = Vec::new();
    let mut expired = false;
    let mut keep = Vec::with_capacity(report.findings.len());
    for (f, mark) in report.findings.iter_mut().zip(inline) {
        if let Some(m) = mark {
            marked.push((f.clone(), m.mark.clone(), m.reason.clone(), m.line));
            report.suppressed.push(Suppressed {
                finding: f.clone(),
                by: m.by.as_str().to_string(),
                reason: m.reason,
                expires: None,
            });
            keep.push(false);
            continue;
        }
        let waiver = policy.waivers.iter().zip(&globs).find(|(w, g)| {
            stagelog_rules::id_matches(&w.rule, f.rule_id)
                && g.as_ref().is_some_and(|g| {
                    g.is_match(&f.location.resource)
                        || f.location
                            .file
                            .as_deref()
                            .is_some_and(|file| g.is_match(file))
                })
        });
        match waiver {
            Some((w, _)) if w.expires.is_some_and(|e| e <= today) => {
                expired = true;
                f.message = format!(
                    "{} (a waiver expired on {}: {})",
                    f.message,
                    w.expires.map(|e| e.to_string()).unwrap_or_default(),
                    w.reason
                );
                keep.push(true);
            }
            Some((w, _)) => {
                report.suppressed.push(Suppressed {
                    finding: f.clone(),
                    by: "waiver".into(),
                    reason: Some(w.reason.clone()).filter(|r| !r.trim().is_empty()),
                    expires: w.expires.map(|e| e.to_string()),
                });
                keep.push(false);
            }
            None => keep.push(true),
        }
    }
    let mut keep = keep.into_iter();
    report.findings.retain(|_| keep.next().unwrap_or(true));
    // The meta rules' post-check of what the marks silenced (SL090: marks without a reason).
    let silenced: Vec<stagelog_rules::Silenced> = marked
        .iter()
        .map(|(finding, mark, reason, line)| stagelog_rules::Silenced {
            finding,
            mark,
            reason: reason.as_deref(),
            line: *line,
        })
        .collect();
    let mut meta = stagelog_rules::check_suppressed(&silenced, sel);
    for f in &mut meta {
        f.fix = hints(f);
    }
    // Sorted again only when order may have changed: a message grew, findings moved to
    // `suppressed` or meta findings came (a scan of 48,000 findings sorted twice for nothing
    // was a measurable share of its serial part).
    if expired || !report.suppressed.is_empty() || !meta.is_empty() {
        report.findings.extend(meta);
        report.normalise();
    }
}

/// The rules mapped to a compliance framework, and its display name, for `--compliance`.
pub fn compliance(name: &str) -> Result<(String, Vec<String>)> {
    use stagelog_rules::frameworks as fw;
    let wanted = name.to_ascii_lowercase().replace([' ', '-', '_'], "");
    let frameworks = [
        ("cis", fw::CIS_AWS),
        ("soc2", fw::SOC2),
        ("pci", fw::PCI),
        ("pcidss", fw::PCI),
        ("nist", fw::NIST),
        ("nist80053", fw::NIST),
        ("iso27001", fw::ISO),
        ("iso", fw::ISO),
        ("fsbp", fw::FSBP),
        ("securityhub", fw::FSBP),
    ];
    let Some((_, framework)) = frameworks.iter().find(|(k, _)| *k == wanted) else {
        bail!("--compliance `{name}`: expected cis, soc2, pci, nist, iso27001 or fsbp");
    };
    let mut rules: Vec<String> = fw::mappings()
        .filter(|m| m.framework == *framework)
        .map(|m| m.rule_id.to_string())
        .collect();
    rules.sort();
    rules.dedup();
    Ok((framework.to_string(), rules))
}

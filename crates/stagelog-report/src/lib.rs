//! Reporters: render findings and errors. They never recompute anything; what a report says
//! is what the rules found.

mod asff;
pub mod cost;
mod html;
mod junit;
mod markup;
mod sarif;
mod tables;
mod text;

use serde::Serialize;
use stagelog_model::{ApiKind, Finding, Problem, Severity};

pub use asff::{asff_findings, finding_id, now_secs, render as asff, rfc3339, AsffOptions};
pub use html::render as html;
pub use junit::render as junit;
pub use sarif::{render as sarif, write as write_sarif};
pub use tables::{csv, github, markdown};
pub use text::{render as text, TextOptions};

/// A stage that was checked, for reports that list passes too (JUnit).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Subject {
    pub resource: String,
    pub stage: String,
    pub file: Option<String>,
    pub line: Option<u32>,
    pub account: Option<String>,
    pub region: Option<String>,
}

/// A finding a suppression or waiver keeps out of the results, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppressed {
    pub finding: Finding,
    /// `inline`, `waiver`, `baseline`, `checkov`, `trivy`, `tfsec`, `cfn_nag`, `kics`, `cdk_nag` or
    /// `guard`.
    pub by: String,
    pub reason: Option<String>,
    /// A waiver's expiry date (YYYY-MM-DD).
    pub expires: Option<String>,
}

/// Everything one run found.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub findings: Vec<Finding>,
    pub errors: Vec<Problem>,
    pub files: usize,
    pub stages: usize,
    /// The stages checked and the rules run (JUnit has a test case for each pair).
    pub subjects: Vec<Subject>,
    pub rules: Vec<&'static str>,
    /// A title for the report, e.g. the compliance framework it was run for.
    pub title: Option<String>,
    /// Findings kept out by suppressions and waivers (reported apart, never dropped).
    pub suppressed: Vec<Suppressed>,
    /// What the sources do that was not judged, and why (a module not downloaded, an API the
    /// service does not manage), one line each.
    pub notes: Vec<String>,
    /// A live run: the account×region pairs read (empty for infrastructure-as-code).
    pub live: Option<LiveCoverage>,
    /// Findings left out by `--severity` (they decide nothing, not even the exit status).
    pub hidden: usize,
}

impl Report {
    /// Keeps only findings (and suppressed findings) of these severities, as Trivy's
    /// `--severity` does: what is left out is counted in [`Report::hidden`] and no longer
    /// decides the exit status. Empty: everything is kept.
    pub fn keep_severities(&mut self, severities: &[Severity]) {
        if severities.is_empty() {
            return;
        }
        let before = self.findings.len();
        self.findings.retain(|f| severities.contains(&f.severity));
        self.suppressed
            .retain(|s| severities.contains(&s.finding.severity));
        self.hidden += before - self.findings.len();
    }
}

/// What a live run covered, for its summary ("N stages in M accounts and R regions").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LiveCoverage {
    /// Account×region pairs read, sorted.
    pub scopes: Vec<(String, String)>,
}

impl LiveCoverage {
    pub fn accounts(&self) -> usize {
        let mut ids: Vec<&str> = self.scopes.iter().map(|(a, _)| a.as_str()).collect();
        ids.dedup();
        ids.len()
    }

    pub fn regions(&self) -> usize {
        let mut names: Vec<&str> = self.scopes.iter().map(|(_, r)| r.as_str()).collect();
        names.sort();
        names.dedup();
        names.len()
    }
}

impl Report {
    /// Sorts findings and errors so output is byte-identical for the same input.
    pub fn normalise(&mut self) {
        // A scan's findings come in sorted runs, one per source, merged here on every core;
        // normalised again after suppressions, they are in order already.
        sort_on_every_core(&mut self.findings, |a, b| a.sort_key().cmp(&b.sort_key()));
        self.findings.dedup();
        self.errors.sort();
        self.errors.dedup();
        sort_on_every_core(&mut self.subjects, Ord::cmp);
        self.subjects.dedup();
        self.suppressed
            .sort_by(|a, b| a.finding.sort_key().cmp(&b.finding.sort_key()));
    }

    /// Where the stages were found: `across 12 files`, or `in 3 accounts and 2 regions`.
    pub fn coverage(&self) -> String {
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        match &self.live {
            Some(live) => format!(
                "in {} and {}",
                plural(live.accounts(), "account"),
                plural(live.regions(), "region")
            ),
            None => format!("across {}", plural(self.files, "file")),
        }
    }

    pub fn count(&self, sev: Severity) -> usize {
        self.findings.iter().filter(|f| f.severity == sev).count()
    }

    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
}

/// A stable sort on every core, skipped when the list is in order already (one pass).
fn sort_on_every_core<T: Send>(items: &mut [T], cmp: impl Fn(&T, &T) -> std::cmp::Ordering + Sync) {
    use rayon::slice::ParallelSliceMut;
    if !items.is_sorted_by(|a, b| cmp(a, b).is_le()) {
        items.par_sort_by(cmp);
    }
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule_id: &'a str,
    severity: Severity,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u32>,
    resource: &'a str,
    stage: Option<&'a str>,
    api_kind: Option<ApiKind>,
    /// The API's name (live), beside the id the resource ARN carries.
    #[serde(skip_serializing_if = "Option::is_none")]
    api: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    account: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<&'a str>,
    message: &'a str,
    fix: &'a str,
    /// The module calls the resource was reached through, outermost first.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    via: &'a [stagelog_model::CallSite],
    /// (Live, with `--iac`) where the code declares the resource.
    #[serde(skip_serializing_if = "Option::is_none")]
    defined_at: Option<&'a stagelog_model::Origin>,
}

#[derive(Serialize)]
struct JsonSuppressed<'a> {
    #[serde(flatten)]
    finding: JsonFinding<'a>,
    by: &'a str,
    reason: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonError<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    account: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<&'a str>,
    message: &'a str,
}

#[derive(Serialize)]
struct Counts {
    high: usize,
    medium: usize,
    low: usize,
    info: usize,
}

#[derive(Serialize)]
struct Summary {
    files: usize,
    stages: usize,
    /// Live runs: distinct accounts and regions read.
    #[serde(skip_serializing_if = "Option::is_none")]
    accounts: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    regions: Option<usize>,
    findings: Counts,
    suppressed: usize,
    /// Of the suppressed, those a baseline records (`--baseline`).
    baselined: usize,
    notes: usize,
    /// Findings `--severity` left out.
    hidden: usize,
}

/// Where a finding is, for one-line listings: `file:line`, or the live resource.
pub(crate) fn place(f: &Finding) -> String {
    match (&f.location.file, f.location.line, &f.location.defined_at) {
        (Some(file), Some(line), _) => format!("{file}:{line}"),
        (Some(file), None, _) => file.clone(),
        (None, _, Some(origin)) => format!("{} (defined at {origin})", f.location.resource),
        _ => f.location.resource.clone(),
    }
}

/// The file and line a finding is about in code: its own (IaC), or, for a live finding with
/// `--iac`, the declaration's. What annotations and SARIF's physical location point at.
pub(crate) fn code_position(f: &Finding) -> Option<(&str, Option<u32>)> {
    match (&f.location.file, &f.location.defined_at) {
        (Some(file), _) => Some((file.as_str(), f.location.line)),
        (None, Some(origin)) => Some((origin.file.as_str(), origin.line)),
        (None, None) => None,
    }
}

/// The group a finding is shown under: its file, or its account and region.
pub(crate) fn group_of(f: &Finding) -> String {
    match (&f.location.file, &f.location.account, &f.location.region) {
        (Some(file), _, _) => file.clone(),
        (None, Some(a), Some(r)) => format!("account {a}, {r}"),
        (None, Some(a), None) => format!("account {a}"),
        (None, None, Some(r)) => r.clone(),
        (None, None, None) => "(no location)".to_string(),
    }
}

fn json_finding(f: &Finding) -> JsonFinding<'_> {
    JsonFinding {
        rule_id: f.rule_id,
        severity: f.severity,
        file: f.location.file.as_deref(),
        line: f.location.line,
        resource: &f.location.resource,
        stage: f.stage.as_deref(),
        api_kind: f.api_kind,
        api: f.api.as_deref(),
        account: f.location.account.as_deref(),
        region: f.location.region.as_deref(),
        message: &f.message,
        fix: &f.fix,
        via: &f.location.via,
        defined_at: f.location.defined_at.as_deref(),
    }
}

/// Serialises the items of an iterator as a JSON array as they are made, so a report of tens
/// of thousands of findings is written without building a list of them (or the text) first.
pub(crate) struct Items<I>(std::cell::Cell<Option<I>>);

impl<I> Items<I> {
    pub(crate) fn new(items: I) -> Items<I> {
        Items(std::cell::Cell::new(Some(items)))
    }
}

impl<I> Serialize for Items<I>
where
    I: Iterator,
    I::Item: Serialize,
{
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0.take() {
            Some(items) => serializer.collect_seq(items),
            None => Err(serde::ser::Error::custom("items serialised twice")),
        }
    }
}

/// A value as serde_json's pretty printer writes it deeper in a document: rendered flat, then
/// `indent` put after every line break (a JSON string holds no raw line break, so each one is
/// the layout's) in one pass, since serde_json writes a token at a time, too small for a
/// writer that looks at each.
fn pretty_at(value: &impl Serialize, indent: &[u8]) -> serde_json::Result<Vec<u8>> {
    let text = serde_json::to_vec_pretty(value)?;
    let mut out = Vec::with_capacity(text.len() + text.len() / 4);
    let mut from = 0;
    for i in memchr::memchr_iter(b'\n', &text) {
        out.extend_from_slice(&text[from..=i]);
        out.extend_from_slice(indent);
        from = i + 1;
    }
    out.extend_from_slice(&text[from..]);
    Ok(out)
}

/// A top-level JSON object written member by member, laid out as serde_json's pretty printer
/// lays it out (two spaces a level), each member's value serialised by serde_json.
struct JsonObject<'a> {
    out: &'a mut dyn std::io::Write,
    members: usize,
}

impl<'a> JsonObject<'a> {
    fn new(out: &'a mut dyn std::io::Write) -> std::io::Result<Self> {
        out.write_all(b"{")?;
        Ok(JsonObject { out, members: 0 })
    }

    fn key(&mut self, key: &str) -> std::io::Result<()> {
        let sep: &[u8] = if self.members == 0 { b"\n  " } else { b",\n  " };
        self.members += 1;
        self.out.write_all(sep)?;
        serde_json::to_writer(&mut *self.out, key)?;
        self.out.write_all(b": ")
    }

    fn member(&mut self, key: &str, value: &impl Serialize) -> std::io::Result<()> {
        self.key(key)?;
        self.out.write_all(&pretty_at(value, b"  ")?)
    }

    /// A member whose value is an array of many items, each rendered as pretty JSON on every
    /// core a window at a time, then written in order: a report's tens of thousands of
    /// findings are most of its writing, which would otherwise run on one thread after the
    /// scan. The text is what serialising the array in place would give.
    fn rendered_array<'t, T: Sync, J: Serialize>(
        &mut self,
        key: &str,
        items: &'t [T],
        render: impl Fn(&'t T) -> J + Sync,
    ) -> std::io::Result<()> {
        use rayon::prelude::*;
        const WINDOW: usize = 4096;
        self.key(key)?;
        if items.is_empty() {
            return self.out.write_all(b"[]");
        }
        self.out.write_all(b"[")?;
        for (w, window) in items.chunks(WINDOW).enumerate() {
            let rendered: Vec<serde_json::Result<Vec<u8>>> = window
                .par_iter()
                .map(|item| pretty_at(&render(item), b"    "))
                .collect();
            for (i, text) in rendered.into_iter().enumerate() {
                let sep: &[u8] = if w == 0 && i == 0 {
                    b"\n    "
                } else {
                    b",\n    "
                };
                self.out.write_all(sep)?;
                self.out.write_all(&text?)?;
            }
        }
        self.out.write_all(b"\n  ]")
    }

    fn end(self) -> std::io::Result<()> {
        let close: &[u8] = if self.members == 0 { b"}" } else { b"\n}" };
        self.out.write_all(close)
    }
}

/// The stable JSON contract (`version: 1`).
pub fn json(report: &Report) -> String {
    let mut out = Vec::new();
    write_json(report, &mut out).expect("writing to memory does not fail");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// [`json`], written to `out` as it is made.
pub fn write_json(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let finding = json_finding;
    let mut doc = JsonObject::new(out)?;
    doc.member("version", &1)?;
    if let Some(title) = report.title.as_deref() {
        doc.member("title", &title)?;
    }
    doc.rendered_array("findings", &report.findings, finding)?;
    doc.member(
        "suppressed",
        &Items::new(report.suppressed.iter().map(|s| JsonSuppressed {
            finding: finding(&s.finding),
            by: &s.by,
            reason: s.reason.as_deref(),
            expires: s.expires.as_deref(),
        })),
    )?;
    doc.member(
        "errors",
        &Items::new(report.errors.iter().map(|e| JsonError {
            file: e.file.as_deref(),
            line: e.line,
            account: e.account.as_deref(),
            region: e.region.as_deref(),
            message: &e.message,
        })),
    )?;
    if !report.notes.is_empty() {
        doc.member("notes", &report.notes)?;
    }
    doc.member(
        "summary",
        &Summary {
            files: report.files,
            stages: report.stages,
            accounts: report.live.as_ref().map(LiveCoverage::accounts),
            regions: report.live.as_ref().map(LiveCoverage::regions),
            findings: Counts {
                high: report.count(Severity::High),
                medium: report.count(Severity::Medium),
                low: report.count(Severity::Low),
                info: report.count(Severity::Info),
            },
            suppressed: report.suppressed.len(),
            baselined: report
                .suppressed
                .iter()
                .filter(|s| s.by == "baseline")
                .count(),
            notes: report.notes.len(),
            hidden: report.hidden,
        },
    )?;
    doc.end()?;
    out.write_all(b"\n")
}

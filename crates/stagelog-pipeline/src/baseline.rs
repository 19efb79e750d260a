//! Baselines: "fail only on new findings" for a team adopting stagelog on an existing estate
//! (Checkov's `--create-baseline`/`--baseline`, Trivy's and ruff's equivalents).
//!
//! A finding is known by what it is about, not where it sits: rule, source kind, resource
//! (Terraform address, logical id, ARN), stage and message (which carries the values the rule
//! judged: the level, the retention days, the missing fields) — no line number, no file path,
//! so moving lines, reformatting or scanning from another folder keeps it. A baselined finding
//! is reported apart (under `suppressed`, by `baseline`, counted in every format) and decides
//! nothing; a baseline entry that no longer occurs is a note (fixed, or changed).

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use stagelog_model::Finding;
use stagelog_report::{Report, Suppressed};
use std::collections::BTreeMap;
use std::path::Path;

/// One recorded finding. `file` and `line` are for people reading the baseline; matching uses
/// the other fields.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Entry {
    pub fingerprint: String,
    pub rule_id: String,
    pub source: String,
    pub resource: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
}

#[derive(Debug, Serialize, Deserialize)]
struct File {
    version: u32,
    findings: Vec<Entry>,
}

/// FNV-1a, 64 bits: a short stable id for a finding (not a security boundary: the fields are
/// stored beside it and compared).
fn fnv(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for p in parts {
        for b in p.bytes().chain([0u8]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x100000001b3);
        }
    }
    format!("{h:016x}")
}

impl Entry {
    pub fn of(f: &Finding) -> Entry {
        let source = format!("{:?}", f.location.source).to_ascii_lowercase();
        let stage = f.stage.clone();
        let fingerprint = fnv(&[
            f.rule_id,
            &source,
            &f.location.resource,
            stage.as_deref().unwrap_or(""),
            &f.message,
        ]);
        Entry {
            fingerprint,
            rule_id: f.rule_id.to_string(),
            source,
            resource: f.location.resource.clone(),
            stage,
            message: f.message.clone(),
            file: f.location.file.clone(),
            line: f.location.line,
        }
    }
}

/// Writes the report's findings (those it shows, and those already baselined) as a baseline.
pub fn write(report: &Report, path: &Path) -> Result<usize> {
    let mut findings: Vec<Entry> = report
        .findings
        .iter()
        .chain(
            report
                .suppressed
                .iter()
                .filter(|s| s.by == "baseline")
                .map(|s| &s.finding),
        )
        .map(Entry::of)
        .collect();
    findings.sort_by(|a, b| {
        (&a.rule_id, &a.resource, &a.stage, &a.fingerprint).cmp(&(
            &b.rule_id,
            &b.resource,
            &b.stage,
            &b.fingerprint,
        ))
    });
    let n = findings.len();
    let text = serde_json::to_string_pretty(&File {
        version: 1,
        findings,
    })?;
    std::fs::write(path, format!("{text}\n"))
        .with_context(|| format!("cannot write the baseline to {}", path.display()))?;
    Ok(n)
}

/// A baseline read from a file.
#[derive(Debug)]
pub struct Baseline {
    entries: Vec<Entry>,
    name: String,
}

impl Baseline {
    pub fn load(path: &Path) -> Result<Baseline> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the baseline {}", path.display()))?;
        let file: File = serde_json::from_str(&text)
            .with_context(|| format!("{}: not a stagelog baseline", path.display()))?;
        if file.version != 1 {
            bail!(
                "{}: baseline version {} (this stagelog writes and reads version 1)",
                path.display(),
                file.version
            );
        }
        Ok(Baseline {
            entries: file.findings,
            name: path.display().to_string(),
        })
    }

    /// Moves the findings the baseline records out of the report's findings (under
    /// `suppressed`, by `baseline`); says which entries no longer occur. A baseline that
    /// records a finding twice covers two occurrences.
    pub fn apply(&self, report: &mut Report) {
        type Key = (String, String, String, Option<String>, String);
        let key = |e: Entry| -> Key { (e.rule_id, e.source, e.resource, e.stage, e.message) };
        let mut left: BTreeMap<Key, usize> = BTreeMap::new();
        for e in &self.entries {
            *left.entry(key(e.clone())).or_default() += 1;
        }
        let findings = std::mem::take(&mut report.findings);
        for f in findings {
            match left.get_mut(&key(Entry::of(&f))).filter(|n| **n > 0) {
                Some(n) => {
                    *n -= 1;
                    report.suppressed.push(Suppressed {
                        finding: f,
                        by: "baseline".into(),
                        reason: Some(format!("recorded in {}", self.name)),
                        expires: None,
                    });
                }
                None => report.findings.push(f),
            }
        }
        let gone: Vec<String> = left
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|((rule, _, resource, stage, _), n)| {
                let times = if *n > 1 {
                    format!(" ×{n}")
                } else {
                    String::new()
                };
                match stage {
                    Some(s) => format!("{rule} {resource} (stage {s}){times}"),
                    None => format!("{rule} {resource}{times}"),
                }
            })
            .collect();
        if !gone.is_empty() {
            const NAMED: usize = 10;
            let mut note = format!(
                "baseline {}: {} recorded finding(s) no longer occur (fixed, or changed; `--write-baseline` records today's): {}",
                self.name,
                left.values().sum::<usize>(),
                gone[..gone.len().min(NAMED)].join(", ")
            );
            if gone.len() > NAMED {
                note.push_str(&format!(", and {} more", gone.len() - NAMED));
            }
            report.notes.push(note);
        }
    }
}

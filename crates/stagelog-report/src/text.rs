use crate::{group_of, Report};
use stagelog_model::Severity;
use std::fmt::Write;

#[derive(Debug, Clone, Copy, Default)]
pub struct TextOptions {
    /// ANSI colours (only when writing to a terminal and NO_COLOR is unset).
    pub color: bool,
}

struct Paint(bool);

impl Paint {
    fn wrap(&self, code: &str, s: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn sev(&self, s: Severity) -> String {
        let label = format!("{:<6}", s.as_str());
        match s {
            Severity::High => self.wrap("1;31", &label),
            Severity::Medium => self.wrap("33", &label),
            Severity::Low => self.wrap("36", &label),
            Severity::Info => self.wrap("2", &label),
        }
    }
}

/// Grouped by file (a blank line between files; each finding starts `file:line`, which
/// editors and terminals open) or, for live findings, under an account/region heading; each
/// finding with a one-line fix hint; then errors and a summary.
pub fn render(report: &Report, opts: TextOptions) -> String {
    let p = Paint(opts.color);
    let mut out = String::new();
    let mut current: Option<String> = None;
    for f in &report.findings {
        let group = group_of(f);
        if current.as_deref() != Some(group.as_str()) {
            if current.is_some() {
                out.push('\n');
            }
            if f.location.file.is_none() {
                let _ = writeln!(out, "{}", p.wrap("1", &group));
            }
            current = Some(group);
        }
        let place = match (&f.location.file, f.location.line) {
            (Some(file), Some(line)) => format!("{file}:{line}"),
            (Some(file), None) => file.clone(),
            (None, _) => format!("  {}", f.location.resource),
        };
        let _ = writeln!(
            out,
            "{}  {}  {}  {}",
            p.wrap("1", &place),
            p.wrap("1", f.rule_id),
            p.sev(f.severity),
            f.message,
        );
        let _ = writeln!(out, "    {} {}", p.wrap("2", "fix:"), f.fix);
    }
    if !report.errors.is_empty() {
        if !out.is_empty() {
            out.push('\n');
        }
        let _ = writeln!(out, "{}", p.wrap("1;31", "Errors:"));
        for e in &report.errors {
            let place = e.place();
            let _ = writeln!(out, "  {place}: {}", e.message);
        }
    }
    if !out.is_empty() {
        out.push('\n');
    }
    let total = report.findings.len();
    let _ = writeln!(
        out,
        "{} finding{} ({} high, {} medium, {} low, {} info) in {} stage{} across {} file{}{}",
        total,
        if total == 1 { "" } else { "s" },
        report.count(Severity::High),
        report.count(Severity::Medium),
        report.count(Severity::Low),
        report.count(Severity::Info),
        report.stages,
        if report.stages == 1 { "" } else { "s" },
        report.files,
        if report.files == 1 { "" } else { "s" },
        if report.errors.is_empty() {
            String::new()
        } else {
            format!(
                "; {} error{}",
                report.errors.len(),
                if report.errors.len() == 1 { "" } else { "s" }
            )
        }
    );
    if !report.suppressed.is_empty() {
        let mut by: Vec<(&str, usize)> = Vec::new();
        for s in &report.suppressed {
            match by.iter_mut().find(|(b, _)| *b == s.by) {
                Some((_, n)) => *n += 1,
                None => by.push((&s.by, 1)),
            }
        }
        let parts: Vec<String> = by.iter().map(|(b, n)| format!("{n} by {b}")).collect();
        let _ = writeln!(
            out,
            "{} suppressed ({}; --format json lists them)",
            report.suppressed.len(),
            parts.join(", ")
        );
    }
    out
}

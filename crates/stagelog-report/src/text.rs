use crate::{group_of, Report};
use stagelog_model::Severity;
use std::fmt::Write;

#[derive(Debug, Clone, Copy)]
pub struct TextOptions {
    /// ANSI colours (only when writing to a terminal and NO_COLOR is unset).
    pub color: bool,
    /// The summary at the end: counts per rule and severity (off with `--quiet`).
    pub summary: bool,
}

impl Default for TextOptions {
    fn default() -> Self {
        TextOptions {
            color: false,
            summary: true,
        }
    }
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
        if !f.location.via.is_empty() {
            let chain: Vec<String> = f.location.via.iter().map(|c| c.to_string()).collect();
            let _ = writeln!(out, "    {} {}", p.wrap("2", "via:"), chain.join(" → "));
        }
        if let Some(origin) = &f.location.defined_at {
            let _ = writeln!(out, "    {} {origin}", p.wrap("2", "defined at:"));
        }
    }
    if !report.errors.is_empty() {
        if !out.is_empty() {
            out.push('\n');
        }
        let _ = writeln!(out, "{}", p.wrap("1;31", "Errors:"));
        for e in &report.errors {
            let _ = writeln!(out, "  {e}");
        }
    }
    if !opts.summary {
        return out;
    }
    if !out.is_empty() {
        out.push('\n');
    }
    // Per rule, worst first: which rules a repository fails, at a glance.
    let mut by_rule: Vec<(&str, Severity, usize)> = Vec::new();
    for f in &report.findings {
        match by_rule
            .iter_mut()
            .find(|(r, s, _)| *r == f.rule_id && *s == f.severity)
        {
            Some((_, _, n)) => *n += 1,
            None => by_rule.push((f.rule_id, f.severity, 1)),
        }
    }
    by_rule.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    if !by_rule.is_empty() {
        let _ = writeln!(out, "{}", p.wrap("1", "By rule:"));
        for (rule, sev, n) in &by_rule {
            let name = stagelog_rules::find(rule).map(|r| r.name).unwrap_or("");
            let _ = writeln!(out, "  {rule}  {}  {n:>5}  {name}", p.sev(*sev));
        }
        out.push('\n');
    }
    let total = report.findings.len();
    let _ = writeln!(
        out,
        "{} finding{} ({} high, {} medium, {} low, {} info) in {} stage{} {}{}",
        total,
        if total == 1 { "" } else { "s" },
        report.count(Severity::High),
        report.count(Severity::Medium),
        report.count(Severity::Low),
        report.count(Severity::Info),
        report.stages,
        if report.stages == 1 { "" } else { "s" },
        report.coverage(),
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
    if report.hidden > 0 {
        let _ = writeln!(
            out,
            "{} more hidden by --severity (they do not decide the exit status)",
            report.hidden
        );
    }
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

//! Flat reports: CSV (one row per finding), Markdown (a pull-request comment), and GitHub
//! Actions workflow commands (annotations on the diff).

use crate::{place, Report};
use stagelog_model::Severity;

/// One row per finding, with a header.
pub fn csv(report: &Report) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let header = [
        "rule_id",
        "severity",
        "file",
        "line",
        "account",
        "region",
        "resource",
        "stage",
        "message",
        "fix",
        "defined_at",
    ];
    let _ = w.write_record(header);
    for f in &report.findings {
        let line = f.location.line.map(|l| l.to_string()).unwrap_or_default();
        let _ = w.write_record([
            f.rule_id,
            f.severity.as_str(),
            f.location.file.as_deref().unwrap_or(""),
            &line,
            f.location.account.as_deref().unwrap_or(""),
            f.location.region.as_deref().unwrap_or(""),
            &f.location.resource,
            f.stage.as_deref().unwrap_or(""),
            &f.message,
            &f.fix,
            &f.location
                .defined_at
                .as_ref()
                .map(|o| o.to_string())
                .unwrap_or_default(),
        ]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

fn md_cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
        .replace('<', "&lt;")
}

/// A summary table by severity and rule, then the findings: fit for a pull-request comment.
pub fn markdown(report: &Report) -> String {
    let title = report.title.as_deref().unwrap_or("stagelog");
    let mut out = format!("## {title}: API Gateway stage logging\n\n");
    // What the user must act on (modules not downloaded, files with nothing to read) shows
    // in the job summary as well as on stderr: "no findings" alone would read as a pass.
    let mut notes = String::new();
    if !report.notes.is_empty() {
        notes.push_str("\n**Notes:**\n\n");
        for n in &report.notes {
            notes.push_str(&format!("- {}\n", md_cell(n)));
        }
    }
    if report.findings.is_empty() && report.errors.is_empty() {
        out.push_str(&format!(
            "No findings in {} stages {}.\n",
            report.stages,
            report.coverage()
        ));
        if chars(&out) + chars(&notes) <= MARKDOWN_LIMIT {
            out.push_str(&notes);
        }
        return out;
    }
    out.push_str("| severity | findings |\n|---|---:|\n");
    for sev in [
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ] {
        out.push_str(&format!("| {} | {} |\n", sev.as_str(), report.count(sev)));
    }
    out.push_str(&format!(
        "\n{} stages checked {}, {} errors.\n\n",
        report.stages,
        report.coverage(),
        report.errors.len()
    ));
    let mut by_rule: Vec<(&str, usize)> = Vec::new();
    for f in &report.findings {
        match by_rule.iter_mut().find(|(r, _)| *r == f.rule_id) {
            Some((_, n)) => *n += 1,
            None => by_rule.push((f.rule_id, 1)),
        }
    }
    by_rule.sort();
    out.push_str("| rule | name | findings |\n|---|---|---:|\n");
    for (id, n) in by_rule {
        let name = stagelog_rules::find(id).map(|r| r.name).unwrap_or("");
        out.push_str(&format!("| {id} | {name} | {n} |\n"));
    }
    out.push_str("\n| | rule | where | finding | fix |\n|---|---|---|---|---|\n");
    // GitHub refuses a comment over 65,536 characters: rows stop where the rest would not
    // fit, and the tail says how many were left out.
    let mut errors = String::new();
    if !report.errors.is_empty() {
        errors.push_str("\n**Could not be read:**\n\n");
        for e in &report.errors {
            let at = e.place();
            errors.push_str(&format!("- `{}` {}\n", md_cell(&at), md_cell(&e.message)));
        }
    }
    const TAIL_ROOM: usize = 400;
    let budget = MARKDOWN_LIMIT.saturating_sub(TAIL_ROOM);
    let mut shown = 0;
    for f in &report.findings {
        let icon = match f.severity {
            Severity::High => "🔴",
            Severity::Medium => "🟠",
            Severity::Low => "🟡",
            Severity::Info => "🔵",
        };
        let row = format!(
            "| {icon} {} | {} | `{}` | {} | {} |\n",
            f.severity.as_str(),
            f.rule_id,
            md_cell(&place(f)),
            md_cell(&f.message),
            md_cell(&f.fix)
        );
        if chars(&out) + chars(&row) + chars(&errors).min(budget / 4) > budget {
            break;
        }
        out.push_str(&row);
        shown += 1;
    }
    let left = report.findings.len() - shown;
    if left > 0 {
        out.push_str(&format!(
            "\n…and {left} more finding{} not shown here (a pull-request comment holds at most {MARKDOWN_LIMIT} characters): run `stagelog scan --format html` or `--format sarif` for the full report.\n",
            if left == 1 { "" } else { "s" }
        ));
    }
    let room = MARKDOWN_LIMIT.saturating_sub(chars(&out));
    if chars(&errors) <= room {
        out.push_str(&errors);
    } else if !report.errors.is_empty() {
        out.push_str(&format!(
            "\n**{} files could not be read**; see the full report.\n",
            report.errors.len()
        ));
    }
    let room = MARKDOWN_LIMIT.saturating_sub(chars(&out));
    if chars(&notes) <= room {
        out.push_str(&notes);
    } else if !report.notes.is_empty() && room > 80 {
        out.push_str(&format!(
            "\n**{} notes**; see the full report.\n",
            report.notes.len()
        ));
    }
    out
}

/// GitHub's limit on the body of a pull-request comment, in characters.
pub const MARKDOWN_LIMIT: usize = 65_536;

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// `%`, CR and LF are escaped in workflow command messages; `:` and `,` too in properties.
fn gh_escape(s: &str, property: bool) -> String {
    let s = s
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    if property {
        s.replace(':', "%3A").replace(',', "%2C")
    } else {
        s
    }
}

/// GitHub Actions workflow commands: one annotation per finding (error for high, warning for
/// medium, notice for low and info), and one error per unreadable file.
pub fn github(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let level = match f.severity {
            Severity::High => "error",
            Severity::Medium => "warning",
            Severity::Low | Severity::Info => "notice",
        };
        let mut props = Vec::new();
        // A live finding with --iac is annotated on the code that declares the resource.
        if let Some((file, line)) = crate::code_position(f) {
            props.push(format!("file={}", gh_escape(file, true)));
            if let Some(line) = line {
                props.push(format!("line={line}"));
            }
        }
        props.push(format!(
            "title={}",
            gh_escape(
                &format!(
                    "{} {}",
                    f.rule_id,
                    stagelog_rules::find(f.rule_id)
                        .map(|r| r.name)
                        .unwrap_or("")
                ),
                true
            )
        ));
        let subject = if f.location.file.is_some() {
            String::new()
        } else {
            format!("{}: ", f.location.resource)
        };
        out.push_str(&format!(
            "::{level} {}::{}\n",
            props.join(","),
            gh_escape(&format!("{subject}{} Fix: {}", f.message, f.fix), false)
        ));
    }
    for e in &report.errors {
        let mut props = Vec::new();
        if let Some(file) = &e.file {
            props.push(format!("file={}", gh_escape(file, true)));
            if let Some(line) = e.line {
                props.push(format!("line={line}"));
            }
        }
        props.push("title=stagelog could not read this".to_string());
        out.push_str(&format!(
            "::error {}::{}\n",
            props.join(","),
            gh_escape(&e.message, false)
        ));
    }
    for n in &report.notes {
        out.push_str(&format!(
            "::notice title=stagelog note::{}\n",
            gh_escape(n, false)
        ));
    }
    out
}

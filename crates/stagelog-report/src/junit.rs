//! JUnit XML for CI dashboards: a test suite per rule, a test case per stage × rule (failed
//! when the rule found something there), failures for findings on log groups and accounts,
//! and an `errors` suite for what could not be read.

use crate::{place, Report};
use stagelog_model::Finding;

struct Case {
    name: String,
    file: Option<String>,
    line: Option<u32>,
    failures: Vec<String>,
}

fn failure(f: &Finding) -> String {
    format!(
        "<failure type=\"{}\" message=\"{}\">{}\nFix: {}\nAt: {}</failure>",
        f.severity.as_str(),
        crate::markup::escape(&f.message),
        crate::markup::escape(&f.message),
        crate::markup::escape(&f.fix),
        crate::markup::escape(&place(f))
    )
}

pub fn render(report: &Report) -> String {
    let mut rules: Vec<&str> = report.rules.clone();
    for f in &report.findings {
        if !rules.contains(&f.rule_id) {
            rules.push(f.rule_id);
        }
    }
    rules.sort();
    let mut suites = String::new();
    let (mut total, mut failed) = (0usize, 0usize);
    for rule in rules {
        let mut cases: Vec<Case> = report
            .subjects
            .iter()
            .map(|s| Case {
                name: match (&s.account, &s.region) {
                    (Some(a), Some(r)) => format!("{} ({a} {r})", s.resource),
                    _ if s.resource.ends_with(&format!("/stages/{}", s.stage)) => {
                        s.resource.clone()
                    }
                    _ => format!("{} stage {}", s.resource, s.stage),
                },
                file: s.file.clone(),
                line: s.line,
                failures: vec![],
            })
            .collect();
        // Each finding fails one case: its stage's, or (log groups, account settings) its own.
        for f in report.findings.iter().filter(|f| f.rule_id == rule) {
            // Resource names repeat across files (every SAM template has `ServerlessRestApi`):
            // the file is part of a stage's identity.
            let at = report.subjects.iter().position(|s| {
                f.location.resource == s.resource
                    && f.location.file == s.file
                    && f.location.account == s.account
                    && f.location.region == s.region
                    && f.stage.as_deref().is_none_or(|st| st == s.stage)
            });
            match at {
                Some(i) => cases[i].failures.push(failure(f)),
                None => cases.push(Case {
                    name: f.location.resource.clone(),
                    file: f.location.file.clone(),
                    line: f.location.line,
                    failures: vec![failure(f)],
                }),
            }
        }
        let name = stagelog_rules::find(rule).map(|r| r.name).unwrap_or("");
        let fails = cases.iter().filter(|c| !c.failures.is_empty()).count();
        total += cases.len();
        failed += fails;
        suites.push_str(&format!(
            "  <testsuite name=\"{rule} {name}\" tests=\"{}\" failures=\"{fails}\" errors=\"0\" skipped=\"0\">\n",
            cases.len()
        ));
        for c in cases {
            let mut attrs = format!(
                "classname=\"{rule}\" name=\"{}\"",
                crate::markup::escape(&c.name)
            );
            if let Some(file) = &c.file {
                attrs.push_str(&format!(" file=\"{}\"", crate::markup::escape(file)));
            }
            if let Some(line) = c.line {
                attrs.push_str(&format!(" line=\"{line}\""));
            }
            if c.failures.is_empty() {
                suites.push_str(&format!("    <testcase {attrs}/>\n"));
            } else {
                suites.push_str(&format!(
                    "    <testcase {attrs}>\n      {}\n    </testcase>\n",
                    c.failures.join("\n      ")
                ));
            }
        }
        suites.push_str("  </testsuite>\n");
    }
    let errors = report.errors.len();
    if errors > 0 {
        suites.push_str(&format!(
            "  <testsuite name=\"unreadable\" tests=\"{errors}\" failures=\"0\" errors=\"{errors}\" skipped=\"0\">\n"
        ));
        for e in &report.errors {
            let name = Some(e.place())
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| "stagelog".into());
            suites.push_str(&format!(
                "    <testcase classname=\"stagelog\" name=\"{}\">\n      <error message=\"{}\"/>\n    </testcase>\n",
                crate::markup::escape(&name),
                crate::markup::escape(&e.message)
            ));
        }
        suites.push_str("  </testsuite>\n");
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"{}\" tests=\"{}\" failures=\"{failed}\" errors=\"{errors}\">\n{suites}</testsuites>\n",
        crate::markup::escape(report.title.as_deref().unwrap_or("stagelog")),
        total + errors
    )
}

//! Inline suppressions, read from the sources findings point at: HCL comments
//! (`# stagelog:ignore SL001 -- reason`, `#checkov:skip=CKV_AWS_76:reason`,
//! `#trivy:ignore:AVD-AWS-0001`, `#tfsec:ignore:aws-api-gateway-enable-access-logging`) on the
//! lines above a resource or inside it, and CloudFormation resource `Metadata`
//! (`stagelog.ignore`, `checkov.skip`, `cfn_nag.rules_to_suppress`). Peer ids are mapped to
//! rules through the one framework table, so a team can switch without editing.

use crate::yaml::{self, Node};
use stagelog_model::{Finding, SourceKind};
use stagelog_rules::frameworks;
use std::collections::HashMap;

/// A mark that suppresses a finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    /// `inline` (stagelog's own), `checkov`, `trivy` (also tfsec marks) or `cfn_nag`.
    pub by: &'static str,
    /// The reason given, if any: a suppression without one is reported.
    pub reason: Option<String>,
    /// The mark as written, for messages.
    pub mark: String,
    pub line: Option<u32>,
}

/// Rule ids a mark names: stagelog ids (or prefixes) directly, peer ids through the table.
fn rules_for(by: &str, id: &str) -> Vec<&'static str> {
    let id = id.trim();
    if by == "inline" {
        return stagelog_rules::registry()
            .iter()
            .filter(|r| {
                r.id.eq_ignore_ascii_case(id)
                    || (!id.is_empty() && r.id.starts_with(&id.to_ascii_uppercase()))
            })
            .map(|r| r.id)
            .collect();
    }
    let framework = match by {
        "checkov" => frameworks::CHECKOV,
        "trivy" => frameworks::TRIVY,
        _ => frameworks::CFN_NAG,
    };
    frameworks::MAPPINGS
        .iter()
        .filter(|m| {
            (m.framework == framework || (by == "trivy" && m.framework == frameworks::TFSEC))
                && m.control
                    .split(',')
                    .any(|c| c.trim().eq_ignore_ascii_case(id))
        })
        .map(|m| m.rule_id)
        .collect()
}

fn reason(text: &str) -> Option<String> {
    let t = text
        .trim()
        .trim_start_matches("--")
        .trim_start_matches(':')
        .trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// The marks in one comment: `(by, id, reason)`.
fn marks_in_comment(comment: &str) -> Vec<(&'static str, String, Option<String>)> {
    let mut out = Vec::new();
    let c = comment.trim();
    if let Some(at) = c.find("stagelog:ignore") {
        let rest = &c[at + "stagelog:ignore".len()..];
        let (ids, why) = match rest.find("--") {
            Some(i) => (&rest[..i], reason(&rest[i + 2..])),
            None => (rest, None),
        };
        for id in ids.split([',', ' ']).filter(|s| !s.trim().is_empty()) {
            out.push(("inline", id.trim().to_string(), why.clone()));
        }
    }
    if let Some(at) = c.find("checkov:skip=") {
        let rest = &c[at + "checkov:skip=".len()..];
        let (id, why) = match rest.split_once(':') {
            Some((id, why)) => (id, reason(why)),
            None => (rest.split_whitespace().next().unwrap_or(""), None),
        };
        out.push(("checkov", id.trim().to_string(), why));
    }
    for tool in ["trivy:ignore:", "tfsec:ignore:"] {
        if let Some(at) = c.find(tool) {
            let rest = &c[at + tool.len()..];
            let id: String = rest
                .chars()
                .take_while(|ch| ch.is_ascii_alphanumeric() || *ch == '-' || *ch == '_')
                .collect();
            let after = &rest[id.len()..];
            // `:exp:2026-01-31` is trivy's expiry, not a reason.
            let after = after.strip_prefix(":exp:").map_or(after, |e| {
                e.trim_start_matches(|ch: char| ch.is_ascii_digit() || ch == '-')
            });
            out.push(("trivy", id, reason(after)));
        }
    }
    out
}

/// What one source file suppresses: per resource, the marks.
#[derive(Default)]
struct FileMarks {
    lines: Vec<String>,
    template: Option<Node>,
}

fn load(file: &str, source: SourceKind) -> FileMarks {
    let Ok(text) = std::fs::read_to_string(file) else {
        return FileMarks::default();
    };
    match source {
        SourceKind::Terraform => FileMarks {
            lines: text.lines().map(str::to_string).collect(),
            template: None,
        },
        _ => FileMarks {
            lines: vec![],
            template: yaml::load(&text).ok().and_then(|l| l.root),
        },
    }
}

fn comment_of(line: &str) -> Option<&str> {
    let t = line.trim_start();
    if let Some(c) = t.strip_prefix('#').or_else(|| t.strip_prefix("//")) {
        return Some(c);
    }
    // A trailing comment (`resource "x" "y" { # trivy:ignore:…`): good enough for marks.
    line.find(" #").map(|i| &line[i + 2..])
}

/// Marks on the comment lines right above the block holding `line`, and inside the block.
fn hcl_marks(lines: &[String], line: u32) -> Vec<(&'static str, String, Option<String>, u32)> {
    let at = (line as usize)
        .saturating_sub(1)
        .min(lines.len().saturating_sub(1));
    let starts = |l: &str| {
        let t = l.trim_start();
        ["resource ", "resource\t", "data ", "module "]
            .iter()
            .any(|k| t.starts_with(k))
    };
    let Some(start) = (0..=at)
        .rev()
        .find(|i| lines.get(*i).is_some_and(|l| starts(l)))
    else {
        return vec![];
    };
    let end = (start + 1..lines.len())
        .find(|i| lines[*i].starts_with('}'))
        .unwrap_or(lines.len().saturating_sub(1));
    let mut first = start;
    while first > 0
        && comment_of(&lines[first - 1]).is_some()
        && lines[first - 1].trim_start().starts_with(['#', '/'])
    {
        first -= 1;
    }
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate().take(end + 1).skip(first) {
        if let Some(c) = comment_of(l) {
            for (by, id, why) in marks_in_comment(c) {
                out.push((by, id, why, i as u32 + 1));
            }
        }
    }
    out
}

fn cfn_marks(template: &Node, resource: &str) -> Vec<(&'static str, String, Option<String>, u32)> {
    let Some(meta) = template
        .get("Resources")
        .and_then(|r| r.get(resource))
        .and_then(|r| r.get("Metadata"))
    else {
        return vec![];
    };
    let mut out = Vec::new();
    let mut take = |by: &'static str, list: Option<&Node>, why_key: &str| {
        for item in list.and_then(Node::as_seq).unwrap_or_default() {
            let id = item.get("id").and_then(Node::as_str).unwrap_or_default();
            let why = item.get(why_key).and_then(Node::as_str).and_then(reason);
            out.push((by, id.to_string(), why, item.line));
        }
    };
    take(
        "inline",
        meta.get("stagelog").and_then(|s| s.get("ignore")),
        "reason",
    );
    take(
        "checkov",
        meta.get("checkov").and_then(|s| s.get("skip")),
        "comment",
    );
    take(
        "cfn_nag",
        meta.get("cfn_nag").and_then(|s| s.get("rules_to_suppress")),
        "reason",
    );
    out
}

/// For each finding, the mark in its source that suppresses it, if any.
pub fn inline_suppressions(findings: &[Finding]) -> Vec<Option<Suppression>> {
    let mut files: HashMap<String, FileMarks> = HashMap::new();
    findings
        .iter()
        .map(|f| {
            let file = f.location.file.as_deref()?;
            let marks = files
                .entry(file.to_string())
                .or_insert_with(|| load(file, f.location.source));
            let found = match f.location.source {
                SourceKind::Terraform if !marks.lines.is_empty() => {
                    hcl_marks(&marks.lines, f.location.line?)
                }
                SourceKind::CloudFormation | SourceKind::Sam => {
                    cfn_marks(marks.template.as_ref()?, &f.location.resource)
                }
                _ => vec![],
            };
            found
                .into_iter()
                .find(|(by, id, _, _)| rules_for(by, id).contains(&f.rule_id))
                .map(|(by, id, why, line)| Suppression {
                    by,
                    mark: match by {
                        "inline" => format!("stagelog:ignore {id}"),
                        "checkov" => format!("checkov:skip={id}"),
                        "trivy" => format!("trivy:ignore:{id}"),
                        _ => format!("cfn_nag rules_to_suppress {id}"),
                    },
                    reason: why,
                    line: Some(line),
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comment_marks() {
        assert_eq!(
            marks_in_comment(" stagelog:ignore SL001,SL010 -- internal only"),
            vec![
                ("inline", "SL001".into(), Some("internal only".into())),
                ("inline", "SL010".into(), Some("internal only".into()))
            ]
        );
        assert_eq!(
            marks_in_comment("checkov:skip=CKV_AWS_76:logs go to the WAF"),
            vec![(
                "checkov",
                "CKV_AWS_76".into(),
                Some("logs go to the WAF".into())
            )]
        );
        assert_eq!(
            marks_in_comment("trivy:ignore:AVD-AWS-0001"),
            vec![("trivy", "AVD-AWS-0001".into(), None)]
        );
        assert_eq!(
            marks_in_comment("tfsec:ignore:aws-api-gateway-enable-access-logging legacy"),
            vec![(
                "trivy",
                "aws-api-gateway-enable-access-logging".into(),
                Some("legacy".into())
            )]
        );
        assert_eq!(rules_for("checkov", "CKV_AWS_76"), ["SL001"]);
        assert_eq!(rules_for("trivy", "AVD-AWS-0001"), ["SL001", "SL002"]);
        assert_eq!(
            rules_for("trivy", "aws-api-gateway-enable-access-logging"),
            ["SL001", "SL002"]
        );
        assert_eq!(rules_for("cfn_nag", "W45"), ["SL010"]);
        assert_eq!(
            rules_for("inline", "sl00"),
            ["SL001", "SL002", "SL003", "SL004", "SL005", "SL006"]
        );
    }
}

//! Inline suppressions, collected by the adapters while they read each file: HCL comments
//! (`# stagelog:ignore SL001 -- reason`, `#checkov:skip=CKV_AWS_76:reason`,
//! `#trivy:ignore:AVD-AWS-0001`, `#tfsec:ignore:aws-api-gateway-enable-access-logging`) on the
//! lines above a resource or inside it; KICS comments (`# kics-scan ignore-line`,
//! `ignore-block`, and `disable=<query id>` / `ignore` in the file's leading comments), in
//! HCL and in YAML templates; and CloudFormation resource `Metadata` (`stagelog.ignore`,
//! `checkov.skip`, `cfn_nag.rules_to_suppress`, `cdk_nag.rules_to_suppress`,
//! `guard.SuppressedRules`). Peer ids are mapped to rules through the one framework table, so
//! a team can switch without editing.

use stagelog_model::{Finding, Mark};
use stagelog_rules::frameworks;
use stagelog_syntax::yaml::Node;

/// A mark that suppresses a finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    /// `inline` (stagelog's own), `checkov`, `trivy` (also tfsec marks), `cfn_nag`, `kics`,
    /// `cdk_nag` or `guard`.
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
            .filter(|r| stagelog_rules::id_matches(id, r.id))
            .map(|r| r.id)
            .collect();
    }
    let framework = match by {
        "checkov" => frameworks::CHECKOV,
        "trivy" => frameworks::TRIVY,
        "kics" => frameworks::KICS,
        "cdk_nag" => frameworks::CDK_NAG,
        "guard" => frameworks::GUARD,
        _ => frameworks::CFN_NAG,
    };
    let mut rules: Vec<&'static str> = frameworks::MAPPINGS
        .iter()
        .filter(|m| {
            (m.framework == framework || (by == "trivy" && m.framework == frameworks::TFSEC))
                // KICS's ignore-line/ignore-block silence every KICS query there.
                && (id == KICS_ALL
                    || m.control
                        .split(',')
                        .any(|c| c.trim().eq_ignore_ascii_case(id)))
        })
        .map(|m| m.rule_id)
        .collect();
    rules.dedup();
    rules
}

/// The id of a KICS mark that names no query (`ignore-line`, `ignore-block`, `ignore`).
const KICS_ALL: &str = "*";

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
    if kics_command(c) == Some("ignore-block") {
        out.push(("kics", KICS_ALL.to_string(), None));
    }
    out
}

/// What a `kics-scan` comment says: `ignore-line`, `ignore-block`, `ignore`, `disable=…`.
fn kics_command(comment: &str) -> Option<&str> {
    let rest = comment.trim().strip_prefix("kics-scan")?;
    let word = rest.split_whitespace().next()?;
    Some(word)
}

/// The KICS marks of a whole file: `# kics-scan ignore` and `# kics-scan disable=<ids>` in the
/// comments that open it (where KICS reads them), and `# kics-scan ignore-line` anywhere (the
/// next line). Works for HCL and YAML, whose comments both start with `#`.
pub(crate) fn kics_file_marks(file: &str, src: &str) -> Vec<Mark> {
    if memchr::memmem::find(src.as_bytes(), b"kics-scan").is_none() {
        return vec![];
    }
    let mut out = Vec::new();
    let mut leading = true;
    for (i, line) in src.lines().enumerate() {
        let n = i as u32 + 1;
        let t = line.trim_start();
        if !t.is_empty() && !t.starts_with('#') && !t.starts_with("//") && t != "---" {
            leading = false;
        }
        let Some(command) = comment_of(line).and_then(kics_command) else {
            continue;
        };
        let mark = |lines: (u32, u32), id: &str| Mark {
            file: file.to_string(),
            lines: Some(lines),
            resource: None,
            by: "kics",
            id: id.to_string(),
            reason: None,
            line: n,
        };
        match command {
            // In YAML a resource's findings sit on its key's line, so the line after an
            // `ignore-block` comment is the block (HCL blocks get their whole span elsewhere).
            "ignore-line" | "ignore-block" => out.push(mark((n + 1, n + 1), KICS_ALL)),
            "ignore" if leading => out.push(mark((1, u32::MAX), KICS_ALL)),
            c if leading => {
                if let Some(ids) = c.strip_prefix("disable=") {
                    for id in ids.split(',').filter(|s| !s.trim().is_empty()) {
                        out.push(mark((1, u32::MAX), id.trim()));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn comment_of(line: &str) -> Option<&str> {
    let t = line.trim_start();
    if let Some(c) = t.strip_prefix('#').or_else(|| t.strip_prefix("//")) {
        return Some(c);
    }
    // A trailing comment (`resource "x" "y" { # trivy:ignore:…`): good enough for marks.
    line.find(" #").map(|i| &line[i + 2..])
}

/// Whether a text could hold a suppression mark of any tool: one byte search for the words
/// every mark has, so files without any (most) skip the line-by-line comment reading.
pub(crate) fn may_hold_marks(src: &str) -> bool {
    // `stagelog:ignore`, `trivy:ignore:`, `tfsec:ignore:`; `checkov:skip=`; `kics-scan`.
    static WORDS: crate::AnyWord = crate::AnyWord::new(&[":ignore", "checkov:skip", "kics-scan"]);
    WORDS.in_text(src)
}

/// The marks on one HCL block: on the comment lines right above it (`first` is the block's
/// first line, 1-based) and inside it, up to its last line `last`.
pub(crate) fn hcl_block_marks(file: &str, lines: &[&str], first: u32, last: u32) -> Vec<Mark> {
    let start = (first as usize).saturating_sub(1).min(lines.len());
    let end = (last as usize).min(lines.len());
    let mut top = start;
    while top > 0 && lines[top - 1].trim_start().starts_with(['#', '/']) {
        top -= 1;
    }
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate().take(end).skip(top) {
        // `/*` block comments are not marks.
        let Some(c) = comment_of(l).filter(|_| !l.trim_start().starts_with("/*")) else {
            continue;
        };
        for (by, id, reason) in marks_in_comment(c) {
            out.push(Mark {
                file: file.to_string(),
                lines: Some((first, last)),
                resource: None,
                by,
                id,
                reason,
                line: i as u32 + 1,
            });
        }
    }
    out
}

/// The marks in a CloudFormation resource's `Metadata`.
pub(crate) fn cfn_marks(file: &str, resource: &str, body: &Node) -> Vec<Mark> {
    let Some(meta) = body.get("Metadata") else {
        return vec![];
    };
    let mut out = Vec::new();
    let mut take = |by: &'static str, list: Option<&Node>, why_key: &str| {
        for item in list.and_then(Node::as_seq).unwrap_or_default() {
            let id = item.get("id").and_then(Node::as_str).unwrap_or_default();
            out.push(Mark {
                file: file.to_string(),
                lines: None,
                resource: Some(resource.to_string()),
                by,
                id: id.to_string(),
                reason: item.get(why_key).and_then(Node::as_str).and_then(reason),
                line: item.line,
            });
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
    take(
        "cdk_nag",
        meta.get("cdk_nag").and_then(|s| s.get("rules_to_suppress")),
        "reason",
    );
    // Guard lists bare rule names, without reasons.
    let guard = meta.get("guard").and_then(|g| g.get("SuppressedRules"));
    for item in guard.and_then(Node::as_seq).unwrap_or_default() {
        if let Some(id) = item.as_str() {
            out.push(Mark {
                file: file.to_string(),
                lines: None,
                resource: Some(resource.to_string()),
                by: "guard",
                id: id.to_string(),
                reason: None,
                line: item.line,
            });
        }
    }
    out
}

/// For each finding, the mark the scan collected that suppresses it, if any.
pub fn inline_suppressions<'m>(
    findings: &[Finding],
    marks: impl Iterator<Item = &'m Mark> + Clone,
) -> Vec<Option<Suppression>> {
    // Indexed by file once: a scan has thousands of findings and of files with no mark.
    let mut by_file: std::collections::HashMap<&str, Vec<&Mark>> = Default::default();
    for m in marks {
        by_file.entry(m.file.as_str()).or_default().push(m);
    }
    findings
        .iter()
        .map(|f| {
            let file = f.location.file.as_deref()?;
            by_file
                .get(file)?
                .iter()
                .copied()
                .filter(|m| match (m.lines, &m.resource) {
                    (Some((first, last)), _) => {
                        f.location.line.is_some_and(|l| l >= first && l <= last)
                    }
                    (None, Some(r)) => *r == f.location.resource,
                    (None, None) => false,
                })
                .find(|m| rules_for(m.by, &m.id).contains(&f.rule_id))
                .map(|m| Suppression {
                    by: m.by,
                    mark: match m.by {
                        "inline" => format!("stagelog:ignore {}", m.id),
                        "checkov" => format!("checkov:skip={}", m.id),
                        "trivy" => format!("trivy:ignore:{}", m.id),
                        "kics" if m.id == KICS_ALL => "kics-scan ignore".to_string(),
                        "kics" => format!("kics-scan disable={}", m.id),
                        "cdk_nag" => format!("cdk_nag rules_to_suppress {}", m.id),
                        "guard" => format!("guard SuppressedRules {}", m.id),
                        _ => format!("cfn_nag rules_to_suppress {}", m.id),
                    },
                    reason: m.reason.clone(),
                    line: Some(m.line),
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
        // cfn_nag's W45 and W46 are access-logging rules.
        assert_eq!(rules_for("cfn_nag", "W45"), ["SL001"]);
        assert_eq!(rules_for("cfn_nag", "W46"), ["SL002"]);
        assert_eq!(rules_for("trivy", "AVD-AWS-0113"), ["SL001"]);
        assert_eq!(rules_for("trivy", "AVD-AWS-0116"), ["SL002"]);
        assert_eq!(
            rules_for("cdk_nag", "AwsSolutions-APIG1"),
            ["SL001", "SL002"]
        );
        assert_eq!(rules_for("cdk_nag", "AwsSolutions-APIG6"), ["SL010"]);
        assert_eq!(
            rules_for("guard", "API_GWV2_ACCESS_LOGS_ENABLED"),
            ["SL002"]
        );
        assert_eq!(rules_for("kics", "*"), ["SL001", "SL002", "SL010"]);
        assert_eq!(
            kics_command(" kics-scan disable=1b6799eb-4a7a-4b04-9001-8cceb9999326"),
            Some("disable=1b6799eb-4a7a-4b04-9001-8cceb9999326")
        );
        assert_eq!(
            rules_for("inline", "sl00"),
            ["SL001", "SL002", "SL003", "SL004", "SL005", "SL006"]
        );
    }
}

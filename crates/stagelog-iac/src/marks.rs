//! Inline suppressions, collected by the adapters while they read each file: HCL comments
//! (`# stagelog:ignore SL001 -- reason`, `#checkov:skip=CKV_AWS_76:reason`,
//! `#trivy:ignore:AVD-AWS-0001`, `#tfsec:ignore:aws-api-gateway-enable-access-logging`) on the
//! lines above a resource or inside it; KICS comments (`# kics-scan ignore-line`,
//! `ignore-block`, and `disable=<query id>` / `ignore` in the file's leading comments), in
//! HCL and in YAML templates; and CloudFormation resource `Metadata` (`stagelog.ignore`,
//! `checkov.skip`, `cfn_nag.rules_to_suppress`, `cdk_nag.rules_to_suppress`,
//! `guard.SuppressedRules`). Marks are kept as written, with the peer's own ids: which rules
//! a mark suppresses is the policy's business (`stagelog-pipeline`), through the one framework
//! table, so a team can switch tools without editing its marks.

use stagelog_model::{Mark, MarkTool};
use stagelog_syntax::yaml::Node;

fn reason(text: &str) -> Option<String> {
    let t = text
        .trim()
        .trim_start_matches("--")
        .trim_start_matches(':')
        .trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// The marks in one comment: `(by, id, reason)`.
fn marks_in_comment(comment: &str) -> Vec<(MarkTool, String, Option<String>)> {
    let mut out = Vec::new();
    let c = comment.trim();
    if let Some(at) = c.find("stagelog:ignore") {
        let rest = &c[at + "stagelog:ignore".len()..];
        let (ids, why) = match rest.find("--") {
            Some(i) => (&rest[..i], reason(&rest[i + 2..])),
            None => (rest, None),
        };
        for id in ids.split([',', ' ']).filter(|s| !s.trim().is_empty()) {
            out.push((MarkTool::Stagelog, id.trim().to_string(), why.clone()));
        }
    }
    if let Some(at) = c.find("checkov:skip=") {
        let rest = &c[at + "checkov:skip=".len()..];
        let (id, why) = match rest.split_once(':') {
            Some((id, why)) => (id, reason(why)),
            None => (rest.split_whitespace().next().unwrap_or(""), None),
        };
        out.push((MarkTool::Checkov, id.trim().to_string(), why));
    }
    for (tool, by) in [
        ("trivy:ignore:", MarkTool::Trivy),
        ("tfsec:ignore:", MarkTool::Tfsec),
    ] {
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
            out.push((by, id, reason(after)));
        }
    }
    if kics_command(c) == Some("ignore-block") {
        out.push((MarkTool::Kics, Mark::ANY.to_string(), None));
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
            by: MarkTool::Kics,
            id: id.to_string(),
            reason: None,
            line: n,
        };
        match command {
            // In YAML a resource's findings sit on its key's line, so the line after an
            // `ignore-block` comment is the block (HCL blocks get their whole span elsewhere).
            "ignore-line" | "ignore-block" => out.push(mark((n + 1, n + 1), Mark::ANY)),
            "ignore" if leading => out.push(mark((1, u32::MAX), Mark::ANY)),
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
    static WORDS: crate::prefilter::AnyWord =
        crate::prefilter::AnyWord::new(&[":ignore", "checkov:skip", "kics-scan"]);
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
    let mut take = |by: MarkTool, list: Option<&Node>, why_key: &str| {
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
        MarkTool::Stagelog,
        meta.get("stagelog").and_then(|s| s.get("ignore")),
        "reason",
    );
    take(
        MarkTool::Checkov,
        meta.get("checkov").and_then(|s| s.get("skip")),
        "comment",
    );
    take(
        MarkTool::CfnNag,
        meta.get("cfn_nag").and_then(|s| s.get("rules_to_suppress")),
        "reason",
    );
    take(
        MarkTool::CdkNag,
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
                by: MarkTool::Guard,
                id: id.to_string(),
                reason: None,
                line: item.line,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comment_marks() {
        assert_eq!(
            marks_in_comment(" stagelog:ignore SL001,SL010 -- internal only"),
            vec![
                (
                    MarkTool::Stagelog,
                    "SL001".into(),
                    Some("internal only".into())
                ),
                (
                    MarkTool::Stagelog,
                    "SL010".into(),
                    Some("internal only".into())
                )
            ]
        );
        assert_eq!(
            marks_in_comment("checkov:skip=CKV_AWS_76:logs go to the WAF"),
            vec![(
                MarkTool::Checkov,
                "CKV_AWS_76".into(),
                Some("logs go to the WAF".into())
            )]
        );
        assert_eq!(
            marks_in_comment("trivy:ignore:AVD-AWS-0001"),
            vec![(MarkTool::Trivy, "AVD-AWS-0001".into(), None)]
        );
        assert_eq!(
            marks_in_comment("tfsec:ignore:aws-api-gateway-enable-access-logging legacy"),
            vec![(
                MarkTool::Tfsec,
                "aws-api-gateway-enable-access-logging".into(),
                Some("legacy".into())
            )]
        );
        assert_eq!(
            kics_command(" kics-scan disable=1b6799eb-4a7a-4b04-9001-8cceb9999326"),
            Some("disable=1b6799eb-4a7a-4b04-9001-8cceb9999326")
        );
    }
}

//! SL004 access-log-format-valid: the format must be one API Gateway accepts and fills in.
use crate::context_vars::{fields_to_keep, is_known, kinds_knowing, references, VarRef};
use crate::rules::access_log;
use crate::frameworks::{control, NIST, PCI, SOC2};
use crate::{describe, stage_finding, Check, Config, Rule};
use stagelog_model::{ApiKind, Finding, Inventory, Remedy, Severity, Stage};

pub(crate) const RULE: Rule = Rule {
    id: "SL004",
    name: "access-log-format-valid",
    severity: Severity::Medium,
    summary: "access log format is missing, multi-line, broken JSON, lacks a request id, or uses unknown $context variables",
    applies_to: "every stage with access logging",
    doc: include_str!("doc.md"),
    fixes: "the recommended `jsonencode({...})` format for the API kind in place of the old one",
    live_only: false,
    bad_terraform: Some(include_str!("examples/bad.tf")),
    mappings: &[
        control(SOC2, "CC7.2"),
        control(NIST, "AU-3"),
        control(PCI, "10.2.2"),
    ],
    check: Check::Stage(check),
    across: None,
};

fn check(inv: &Inventory, _: &Config, out: &mut Vec<Finding>) {
    for stage in &inv.stages {
        let Some(log) = access_log(stage) else {
            continue;
        };
        let keep = log
            .format
            .as_ref()
            .filter(|f| !f.is_opaque())
            .map(|f| fields_to_keep(stage.api_kind, &f.fill("0")))
            .unwrap_or_default();
        for problem in problems(stage, log.format.as_ref()) {
            let mut f = stage_finding(
                &RULE,
                stage,
                format!("{}: access log format {problem}", describe(stage)),
                Remedy::RecommendedFormat { keep: keep.clone() },
            );
            f.location.line = log.line.or(f.location.line);
            out.push(f);
        }
    }
}

fn problems(stage: &Stage, format: Option<&stagelog_model::Text>) -> Vec<String> {
    let Some(format) = format else {
        return vec!["is not set (API Gateway needs a format to write access logs)".into()];
    };
    if format.is_opaque() {
        return vec![];
    }
    let mut out = Vec::new();
    // Holes become a neutral token so the literal parts can still be judged.
    let text = format.fill("0");
    if text.trim().is_empty() {
        return vec!["is empty".into()];
    }
    if text.contains('\n') || text.contains('\r') {
        out.push("contains a line break; API Gateway accepts only single-line formats".into());
    }
    let vars = references(&text);
    if !format.has_holes()
        && !vars
            .iter()
            .any(|v| v.name == "requestId" || v.name == "extendedRequestId")
    {
        out.push("has neither $context.requestId nor $context.extendedRequestId".into());
    }
    if text.trim_start().starts_with('{') {
        let substituted = substitute(&text, &vars);
        // Checked, not built: a `Value` per stage was most of this rule's time.
        if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(substituted.trim()) {
            out.push(format!(
                "looks like JSON but is not valid JSON once variables are filled in ({e})"
            ));
        }
    }
    let mut unknown: Vec<String> = Vec::new();
    for v in &vars {
        if v.name.is_empty() {
            unknown.push("`$context.` with no variable name".into());
        } else if !is_known(stage.api_kind, v.name) {
            let others = kinds_knowing(v.name);
            let note = if others.is_empty() {
                String::new()
            } else {
                let names: Vec<&str> = others.iter().map(|k| kind_label(*k)).collect();
                format!(" (only on {} APIs)", names.join("/"))
            };
            let entry = format!("$context.{}{note}", v.name);
            if !unknown.contains(&entry) {
                unknown.push(entry);
            }
        }
    }
    if !unknown.is_empty() {
        let kind = kind_label(stage.api_kind);
        out.push(format!(
            "uses variables {kind} APIs do not have: {}",
            unknown.join(", ")
        ));
    }
    out
}

/// Replaces every `$context.x` with `0`, so the text parses as JSON whether the variable
/// sits inside quotes (a string) or bare (a number).
fn substitute(text: &str, vars: &[VarRef]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for v in vars {
        out.push_str(&text[last..v.offset]);
        out.push('0');
        last = v.offset + "$context.".len() + v.name.len();
    }
    out.push_str(&text[last..]);
    out
}

fn kind_label(kind: ApiKind) -> &'static str {
    match kind {
        ApiKind::Rest => "REST",
        ApiKind::Http => "HTTP",
        ApiKind::WebSocket => "WebSocket",
        ApiKind::V2 => "HTTP/WebSocket",
    }
}

#[cfg(test)]
mod tests {
    use super::problems;
    use stagelog_accesslog::presets::PRESETS;
    use stagelog_model::context_vars::PUBLISHED_FORMATS;
    use stagelog_model::*;

    fn stage(kind: ApiKind, format: &str) -> Stage {
        let mut s = Stage::new(kind, Text::lit("prod"), Location::live("1", "r", "s".into()));
        s.access_log = Some(Value::Known(AccessLog {
            destination: None,
            format: Some(Text::lit(format)),
            line: None,
        }));
        s
    }

    /// AWS's own formats — the console's, and those its troubleshooting pages tell users to
    /// log (routing rules, response streaming) — are valid for their kind: SL004 finds
    /// nothing, so `fix` never rewrites them.
    #[test]
    fn formats_aws_publishes_are_valid_for_their_kind() {
        let console = PRESETS.iter().map(|(name, format)| {
            let kind = match name.split('-').next() {
                Some("rest") => ApiKind::Rest,
                Some("http") => ApiKind::Http,
                _ => ApiKind::WebSocket,
            };
            (kind, *name, *format)
        });
        let mut judged = 0;
        for (kind, name, format) in console.chain(PUBLISHED_FORMATS.iter().copied()) {
            let s = stage(kind, format);
            let found = problems(&s, s.access_log.as_ref().and_then(|a| a.known()).and_then(|a| a.format.as_ref()));
            assert!(found.is_empty(), "{name} ({kind:?}): {found:?}");
            judged += 1;
        }
        assert_eq!(judged, PRESETS.len() + PUBLISHED_FORMATS.len());
        assert!(PUBLISHED_FORMATS.len() >= 5);
    }

    /// The new variables are REST's: on an HTTP API they are still reported, by name.
    #[test]
    fn rest_only_variables_on_an_http_api_are_reported() {
        let format = PUBLISHED_FORMATS[1].2;
        let s = stage(ApiKind::Http, format);
        let found = problems(&s, s.access_log.as_ref().and_then(|a| a.known()).and_then(|a| a.format.as_ref()));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].contains("$context.customDomain.routingRuleIdMatched (only on REST APIs)"),
            "{}",
            found[0]
        );
    }
}

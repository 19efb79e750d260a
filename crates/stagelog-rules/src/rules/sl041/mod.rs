//! SL041 logs-match-format: recent access log events must parse with the stage's configured
//! format (checked by `stagelog verify`).
use crate::frameworks::{control, NIST, PCI};
use crate::{describe, stage_finding, Check, Config, Rule};
use stagelog_accesslog::{Format, Parser, Record};
use stagelog_model::{Finding, Inventory, Remedy, Severity, Value};

pub(crate) const RULE: Rule = Rule {
    id: "SL041",
    name: "logs-match-format",
    severity: Severity::Medium,
    summary: "recent access log events do not parse with the stage's configured format",
    applies_to: "live stages with access logging to CloudWatch Logs (stagelog verify)",
    doc: include_str!("doc.md"),
    fixes: "nothing: `verify` reports it; the stage's format is what SL004 fixes",
    live_only: true,
    bad_terraform: None,
    mappings: &[
        control(NIST, "AU-3"),
        control(PCI, "10.2.2"),
    ],
    check: Check::Stage(check),
    across: None,
};

const FIX: &str = "find what else writes to the log group (another stage, a changed format, a Lambda) and give each stage a log group of its own; `stagelog logs --log-group NAME --show-unparsed` lists every line that does not match";

fn check(inv: &Inventory, _: &Config, out: &mut Vec<Finding>) {
    for stage in &inv.stages {
        let Some(flow) = &stage.flow else { continue };
        if flow.recent_events.is_empty() {
            continue;
        }
        let Some(Value::Known(log)) = &stage.access_log else {
            continue;
        };
        let Some(format) = log.format.as_ref().and_then(|f| f.as_known()) else {
            continue;
        };
        let parser = match Format::compile(&format) {
            Ok(f) => Parser::new(f),
            Err(e) => {
                out.push(stage_finding(
                    &RULE,
                    stage,
                    format!(
                        "{}: its access log format cannot be read back: {e}",
                        describe(stage)
                    ),
                    Remedy::manual(FIX),
                ));
                continue;
            }
        };
        let mut rec = Record::default();
        let total = flow.recent_events.len();
        let failures: Vec<(usize, String)> = flow
            .recent_events
            .iter()
            .enumerate()
            .filter_map(|(i, line)| {
                parser
                    .parse(line.as_bytes(), &mut rec)
                    .err()
                    .map(|e| (i, format!("column {}: {}", e.column, e.reason)))
            })
            .collect();
        let Some((first, why)) = failures.first() else {
            continue;
        };
        let line = &flow.recent_events[*first];
        let shown: String = line.chars().take(200).collect();
        let ellipsis = if shown.len() < line.len() { "…" } else { "" };
        out.push(stage_finding(
            &RULE,
            stage,
            format!(
                "{}: {} of the {total} most recent events in `{}` do not match its access log format; the first: `{shown}{ellipsis}` ({why})",
                describe(stage),
                failures.len(),
                flow.log_group
            ),
            Remedy::manual(FIX),
        ));
    }
}

//! SL040 logs-flowing: a stage with access logging must have access log events arriving in its
//! destination (checked by `stagelog verify`).
use crate::frameworks::{control, ISO, NIST, PCI, SOC2};
use crate::{describe, stage_finding, Check, Config, Rule};
use stagelog_model::{Finding, Inventory, Remedy, Severity};

pub(crate) const RULE: Rule = Rule {
    id: "SL040",
    name: "logs-flowing",
    severity: Severity::High,
    summary: "no access log event arrived in the destination log group within the window, although the stage had traffic (medium when its traffic is unknown, info without traffic)",
    applies_to: "live stages with access logging to CloudWatch Logs (stagelog verify)",
    doc: include_str!("doc.md"),
    fixes: "nothing: `verify` reports it; the stage's destination is what SL001–SL003 fix",
    live_only: true,
    bad_terraform: None,
    mappings: &[
        control(SOC2, "CC7.2"),
        control(NIST, "AU-5, AU-12"),
        control(PCI, "10.7.1"),
        control(ISO, "A.8.15"),
    ],
    check: Check::Stage(check),
    across: None,
};

const FIX: &str = "check the account's CloudWatch role (SL030/SL031), the destination ARN (SL003) and the log group's resource policy (HTTP APIs); then send a request and run stagelog verify again";

fn check(inv: &Inventory, _: &Config, out: &mut Vec<Finding>) {
    for stage in &inv.stages {
        let flows = stage.flow.iter().map(|f| (f, "access log")).chain(
            stage
                .delivery_flows
                .iter()
                .map(|f| (f, "delivered execution log")),
        );
        for (flow, what) in flows {
            if let Some((severity, message)) = judge(stage, flow, what) {
                let mut f = stage_finding(&RULE, stage, message, Remedy::manual(FIX));
                f.severity = severity;
                out.push(f);
            }
        }
    }
}

/// What one log group's flow says, if anything is wrong: `what` is `access log` or
/// `delivered execution log`.
fn judge(
    stage: &stagelog_model::Stage,
    flow: &stagelog_model::LogFlow,
    what: &str,
) -> Option<(Severity, String)> {
    let window = human_window(flow.checked_at_ms - flow.since_ms);
    if !flow.group_exists {
        return Some((
            Severity::High,
            format!(
                "{}: its {what} group `{}` does not exist, so no {what} can arrive",
                describe(stage),
                flow.log_group
            ),
        ));
    }
    if flow.newest_event_ms.is_some_and(|t| t >= flow.since_ms) {
        return None;
    }
    let last = match flow.newest_event_ms {
        Some(t) => format!(
            "the newest event is {} old",
            human_window(flow.checked_at_ms - t)
        ),
        None => "it has never received an event".to_string(),
    };
    Some(match (flow.requests, &flow.requests_error) {
        (Some(0), _) => (
            Severity::Info,
            format!(
                "{}: no {what} event in `{}` in the last {window}, and no traffic either ({last})",
                describe(stage),
                flow.log_group
            ),
        ),
        (Some(n), _) => (
            Severity::High,
            format!(
                "{}: served {n} requests in the last {window} but no {what} event arrived in `{}` ({last})",
                describe(stage),
                flow.log_group
            ),
        ),
        (None, why) => (
            Severity::Medium,
            format!(
                "{}: no {what} event in `{}` in the last {window} ({last}); its traffic is unknown{}",
                describe(stage),
                flow.log_group,
                why.as_deref().map(|w| format!(": {w}")).unwrap_or_default()
            ),
        ),
    })
}

/// `90s`, `15m`, `24h`, `3d`.
pub(crate) fn human_window(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    match s {
        s if s % 86_400 == 0 && s >= 86_400 => format!("{}d", s / 86_400),
        s if s % 3600 == 0 && s >= 3600 => format!("{}h", s / 3600),
        s if s >= 172_800 => format!("{}d", s / 86_400),
        s if s >= 7200 => format!("{}h", s / 3600),
        s if s >= 120 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use stagelog_model::*;

    fn stage(flow: LogFlow, format: &str) -> Inventory {
        let loc = Location {
            source: SourceKind::Live,
            file: None,
            line: None,
            end_line: None,
            resource_type: None,
            resource: "arn:aws:apigateway:us-east-1::/restapis/a1/stages/prod".into(),
            account: Some("123456789012".into()),
            via: vec![],
            region: Some("us-east-1".into()),
            defined_at: None,
        };
        let mut s = Stage::new(ApiKind::Rest, Text::lit("prod"), loc);
        s.access_log = Some(Value::Known(AccessLog {
            destination: None,
            format: Some(Text::lit(format)),
            line: None,
        }));
        s.flow = Some(flow);
        Inventory {
            stages: vec![s],
            live: true,
            ..Inventory::default()
        }
    }

    fn run(flow: LogFlow, format: &str) -> Vec<(String, Severity, String)> {
        let sel = crate::Selection {
            select: vec!["SL04".into()],
            ignore: vec![],
        };
        crate::check(&stage(flow, format), &crate::Config::default(), &sel)
            .into_iter()
            .map(|f| (f.rule_id.to_string(), f.severity, f.message))
            .collect()
    }

    const DAY: i64 = 86_400_000;

    fn flow(newest: Option<i64>, requests: Option<u64>) -> LogFlow {
        LogFlow {
            log_group: "g".into(),
            group_exists: true,
            since_ms: 10 * DAY,
            checked_at_ms: 11 * DAY,
            newest_event_ms: newest,
            requests,
            requests_error: None,
            recent_events: vec![],
        }
    }

    #[test]
    fn severity_follows_traffic() {
        let f = "$context.requestId $context.status";
        assert_eq!(run(flow(Some(10 * DAY + 5), Some(9)), f), vec![]);
        let busy = run(flow(Some(3 * DAY), Some(9)), f);
        assert_eq!(busy[0].1, Severity::High);
        assert!(
            busy[0].2.contains("served 9 requests in the last 1d")
                && busy[0].2.contains("the newest event is 8d old"),
            "{busy:?}"
        );
        assert_eq!(run(flow(None, Some(0)), f)[0].1, Severity::Info);
        assert_eq!(run(flow(None, None), f)[0].1, Severity::Medium);
        let gone = LogFlow {
            group_exists: false,
            ..flow(None, None)
        };
        assert!(run(gone, f)[0].2.contains("does not exist"));
    }

    #[test]
    fn events_out_of_format_are_reported_with_the_first_line() {
        let mut fl = flow(Some(10 * DAY + 5), None);
        fl.recent_events = vec![
            r#"{"requestId":"r1","status":"200"}"#.into(),
            "START RequestId: 42 Version: $LATEST".into(),
            r#"{"status":"404","requestId":"r3"}"#.into(),
        ];
        let got = run(
            fl,
            r#"{"requestId":"$context.requestId","status":"$context.status"}"#,
        );
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].0, "SL041");
        assert!(
            got[0].2.contains("1 of the 3 most recent events")
                && got[0].2.contains("`START RequestId: 42 Version: $LATEST`"),
            "{got:?}"
        );
    }
}

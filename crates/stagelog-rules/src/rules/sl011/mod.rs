//! SL011 data-trace: full request/response logging writes payloads (tokens, personal data)
//! into the logs.
use crate::frameworks::{control, CHECKOV, NIST, PCI};
use crate::{describe, located_finding, Check, Config, Rule};
use stagelog_model::{Finding, Inventory, MethodSettings, Remedy, SettingsTarget, Severity, Value};

pub(crate) const RULE: Rule = Rule {
    id: "SL011",
    name: "data-trace",
    severity: Severity::Medium,
    summary: "full request/response data logging (data trace) is on",
    applies_to: "REST and WebSocket API stages",
    doc: include_str!("doc.md"),
    fixes: "`data_trace_enabled = false` where it is on",
    live_only: false,
    bad_terraform: Some(include_str!("examples/bad.tf")),
    mappings: &[
        control(NIST, "SI-11"),
        control(PCI, "3.3.1"),
        control(CHECKOV, "CKV_AWS_276"),
    ],
    check: Check::Stage(check),
    across: None,
};

fn check(inv: &Inventory, _: &Config, out: &mut Vec<Finding>) {
    for stage in inv
        .stages
        .iter()
        .filter(|s| s.api_kind.has_execution_logging())
    {
        let all = std::iter::once((None, &stage.default_settings))
            .chain(stage.overrides.iter().map(|(p, m)| (Some(p), m)));
        for (path, settings) in all {
            if !traces(settings) {
                continue;
            }
            let loc = settings.location.as_ref().unwrap_or(&stage.location);
            out.push(located_finding(
                &RULE,
                stage,
                loc,
                format!(
                    "{} logs full request and response data ({}); payloads and credentials end up in CloudWatch",
                    describe(stage),
                    path.map_or("stage default", |p| p.as_str())
                ),
                Remedy::DataTraceOff {
                    target: path.map_or(SettingsTarget::StageDefault, |p| {
                        SettingsTarget::Override(p.clone())
                    }),
                },
            ));
        }
    }
}

fn traces(m: &MethodSettings) -> bool {
    matches!(m.data_trace, Some(Value::Known(true)))
}

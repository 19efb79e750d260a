//! SL010 execution-logging: REST and WebSocket stages must write execution logs, and no
//! method or route may turn them off.
use crate::frameworks::{control, CDK_NAG, CHECKOV, CONFIG, CONTROL_TOWER, FSBP, GUARD, ISO, KICS, NIST, PCI, PROWLER, SOC2};
use crate::{describe, located_finding, Check, Config, Rule};
use stagelog_model::{
    ApiKind, ExecutionLevel, Finding, Inventory, LogLevel, MethodSettings, Remedy, SettingsTarget,
    Severity, Stage, Value,
};

pub(crate) const RULE: Rule = Rule {
    id: "SL010",
    name: "execution-logging",
    severity: Severity::Medium,
    summary:
        "execution logging is unset or OFF for the stage, or a method/route override turns it OFF",
    applies_to: "REST and WebSocket API stages (never HTTP APIs, which have no execution logs)",
    doc: include_str!("doc.md"),
    fixes: "`logging_level = \"ERROR\"` (`execution_level = \"INFO\"` in stagelog.toml, or `--execution-level INFO`) in the method settings, default route settings or the offending override; a new `aws_api_gateway_method_settings` for `*/*` when there is none",
    live_only: false,
    bad_terraform: Some(include_str!("examples/bad.tf")),
    mappings: &[
        control(SOC2, "CC7.2, CC7.3, A1.2, PI1.2"),
        control(NIST, "AU-2, AU-12"),
        control(PCI, "10.2.1"),
        control(ISO, "A.8.15"),
        control(FSBP, "APIGateway.1"),
        control(CONFIG, "api-gw-execution-logging-enabled"),
        control(CONTROL_TOWER, "CT.APIGATEWAY.PR.1"),
        control(CHECKOV, "CKV2_AWS_4"),
        // "API Gateway With CloudWatch Logging Disabled" (no execution log group).
        control(KICS, "982aa526-6970-4c59-8b9b-2ce7e019fe36"),
        control(CDK_NAG, "AwsSolutions-APIG6"),
        control(GUARD, "API_GW_EXECUTION_LOGGING_ENABLED"),
        control(PROWLER, "apigateway_restapi_logging_enabled"),
    ],
    check: Check::Stage(check),
    across: None,
};

fn check(inv: &Inventory, config: &Config, out: &mut Vec<Finding>) {
    let info = config.execution_level == ExecutionLevel::Info;
    for stage in inv
        .stages
        .iter()
        .filter(|s| s.api_kind.has_execution_logging())
    {
        let default = &stage.default_settings;
        let problem = match &default.logging_level {
            None => Some(
                "has no execution logging (the logging level is unset, which means OFF)"
                    .to_string(),
            ),
            Some(Value::Known(LogLevel::Off)) => {
                Some("has execution logging turned OFF".to_string())
            }
            Some(Value::Known(LogLevel::Invalid(s))) => Some(format!(
                "has execution logging level `{s}`, which is not OFF, ERROR or INFO"
            )),
            Some(Value::Known(LogLevel::Error)) if info => Some(
                "logs only errors (ERROR); the policy (execution_level = \"INFO\") wants INFO"
                    .to_string(),
            ),
            _ => None,
        };
        if let Some(mut p) = problem {
            // A delivery of execution logs from a stage that writes none delivers nothing
            // (and AWS refuses to create its delivery source).
            let off = matches!(
                &default.logging_level,
                None | Some(Value::Known(LogLevel::Off | LogLevel::Invalid(_)))
            );
            if off {
                if let Some(d) = stage.execution_deliveries.first() {
                    p.push_str(&format!(
                        ", so its execution-log delivery to `{}` ({}) delivers nothing: API \
                         Gateway delivers execution logs only at ERROR or INFO, and refuses the \
                         delivery source of a stage with logging OFF",
                        d.destination, d.location.resource
                    ));
                }
            }
            out.push(finding(
                stage,
                default,
                format!("{} {p}", describe(stage)),
                SettingsTarget::StageDefault,
                config,
            ));
        }
        for (path, settings) in &stage.overrides {
            let what = if stage.api_kind == ApiKind::Rest {
                "method"
            } else {
                "route"
            };
            let p = match &settings.logging_level {
                Some(Value::Known(LogLevel::Off)) => "turns execution logging OFF".to_string(),
                Some(Value::Known(LogLevel::Invalid(s))) => {
                    format!("sets logging level `{s}`, which is not OFF, ERROR or INFO")
                }
                _ => continue,
            };
            out.push(finding(
                stage,
                settings,
                format!("{}: the {what} override `{path}` {p}", describe(stage)),
                SettingsTarget::Override(path.clone()),
                config,
            ));
        }
    }
}

fn finding(
    stage: &Stage,
    settings: &MethodSettings,
    message: String,
    target: SettingsTarget,
    config: &Config,
) -> Finding {
    let loc = settings.location.as_ref().unwrap_or(&stage.location);
    located_finding(
        &RULE,
        stage,
        loc,
        message,
        Remedy::ExecutionLogging {
            level: config.execution_level,
            target,
        },
    )
}

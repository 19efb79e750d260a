//! Findings → changes: what the live fix will do, decided from the remedies alone (no AWS call).

use super::{replace, Action, Change, FixOptions, Skipped, CLOUDWATCH_ROLE_NAME};
use serde_json::{json, Value as Json};
use stagelog_model::arn::{LogGroupArn, StageArn};
use stagelog_model::context_vars::recommended_format_json;
use stagelog_model::{ApiKind, ExecutionLevel, Finding, Inventory, LogLevel, Remedy, Value};
use std::collections::{BTreeMap, BTreeSet};

/// What the findings on one resource ask of the live fix.
#[derive(Default)]
struct Asked {
    /// A new log group (AccessLogs, DedicatedLogGroup), with its retention.
    new_group: Option<stagelog_model::RetentionDays>,
    /// The recommended format (AccessLogs, RecommendedFormat).
    format: bool,
    /// Fields of the old format the new one carries over (RecommendedFormat).
    keep: Vec<stagelog_model::KeptField>,
    level: Option<ExecutionLevel>,
    trace_off: bool,
    retention: Option<stagelog_model::RetentionDays>,
    /// The rules behind each part, to say which rules a change answers.
    access_rules: BTreeSet<&'static str>,
    level_rules: BTreeSet<&'static str>,
    trace_rules: BTreeSet<&'static str>,
    retention_rules: BTreeSet<&'static str>,
    role_rules: BTreeSet<&'static str>,
}

/// Rule ids for a message: `SL001,SL002`.
fn ids(rules: &BTreeSet<&'static str>) -> String {
    rules.iter().copied().collect::<Vec<_>>().join(",")
}

/// Turns an audit's findings into changes. Execution logging is set only where the account
/// has a CloudWatch role in that region: AWS refuses it otherwise.
pub fn plan(
    inventories: &[Inventory],
    findings: &[Finding],
    opts: &FixOptions,
) -> (Vec<Change>, Vec<Skipped>) {
    let mut changes = Vec::new();
    let mut skipped = Vec::new();
    let mut asked: BTreeMap<&str, Asked> = BTreeMap::new();
    for f in findings {
        let a = asked.entry(f.location.resource.as_str()).or_default();
        // Exhaustive: a new remedy must say here what the live fix does with it.
        match &f.remedy {
            Remedy::AccessLogs { retention } => {
                a.new_group = a.new_group.max(Some(*retention));
                a.format = true;
                a.access_rules.insert(f.rule_id);
            }
            Remedy::DedicatedLogGroup { retention } => {
                a.new_group = a.new_group.max(Some(*retention));
                a.access_rules.insert(f.rule_id);
            }
            Remedy::RecommendedFormat { keep } => {
                a.format = true;
                for field in keep {
                    if !a.keep.iter().any(|k| k.variable == field.variable) {
                        a.keep.push(field.clone());
                    }
                }
                a.access_rules.insert(f.rule_id);
            }
            Remedy::ExecutionLogging { level, .. } => {
                a.level = Some(match (a.level, level) {
                    (Some(ExecutionLevel::Info), _) | (_, ExecutionLevel::Info) => {
                        ExecutionLevel::Info
                    }
                    _ => ExecutionLevel::Error,
                });
                a.level_rules.insert(f.rule_id);
            }
            Remedy::DataTraceOff { .. } => {
                a.trace_off = true;
                a.trace_rules.insert(f.rule_id);
            }
            Remedy::Retention { days } => {
                a.retention = a.retention.max(Some(*days));
                a.retention_rules.insert(f.rule_id);
            }
            Remedy::CloudWatchRole => {
                a.role_rules.insert(f.rule_id);
            }
            Remedy::KmsKey => skipped.push(Skipped {
                rule_id: f.rule_id.into(),
                resource: f.location.resource.clone(),
                reason: "needs a KMS key whose policy allows CloudWatch Logs; see `stagelog explain SL021`".into(),
            }),
            Remedy::CloudWatchRolePolicy => skipped.push(Skipped {
                rule_id: f.rule_id.into(),
                resource: f.location.resource.clone(),
                reason: "fix the role's trust or permissions by hand; see `stagelog explain SL031`".into(),
            }),
            Remedy::Manual { reason } => skipped.push(Skipped {
                rule_id: f.rule_id.into(),
                resource: f.location.resource.clone(),
                reason: reason.clone(),
            }),
        }
    }
    for inv in inventories {
        let mut has_role = inv.accounts.iter().any(|a| a.cloudwatch_role_arn.is_some());
        let needs_role = inv.stages.iter().any(|st| {
            st.api_kind.has_execution_logging()
                && asked
                    .get(st.location.resource.as_str())
                    .is_some_and(|a| a.level.is_some())
        });
        if !has_role && needs_role && opts.create_cloudwatch_role {
            if let Some(a) = inv.accounts.first() {
                // First in its region: AWS refuses execution logging until the role is set.
                changes.push(Change {
                    account: a.location.account.clone().unwrap_or_default(),
                    region: a.location.region.clone().unwrap_or_default(),
                    action: Action::SetCloudWatchRole {
                        role_name: CLOUDWATCH_ROLE_NAME.into(),
                    },
                    rules: findings
                        .iter()
                        .filter(|f| {
                            f.remedy == Remedy::CloudWatchRole
                                && f.location.account == a.location.account
                                && f.location.region == a.location.region
                        })
                        .map(|f| f.rule_id.to_string())
                        .collect(),
                });
                has_role = true;
            }
        }
        for stage in &inv.stages {
            let Some(asked) = asked.get(stage.location.resource.as_str()) else {
                continue;
            };
            let (account, region) = (
                stage.location.account.clone().unwrap_or_default(),
                stage.location.region.clone().unwrap_or_default(),
            );
            let Some(arn) = StageArn::parse(&stage.location.resource) else {
                continue;
            };
            let (api_id, name) = (arn.api_id.clone(), arn.stage.clone());
            let mut answered: Vec<String> = Vec::new();
            let new_dest = asked.new_group.is_some();
            let new_format = asked.format;
            let format = recommended_format_json(stage.api_kind, &asked.keep);
            let mut destination = match &stage.access_log {
                Some(Value::Known(a)) => a.destination.as_ref().and_then(|d| d.arn.as_known()),
                _ => None,
            };
            // A REST stage with a new destination and no format needs one too.
            let new_format = new_format
                || (new_dest
                    && !matches!(&stage.access_log, Some(Value::Known(a)) if a.format.is_some()));
            if let Some(retention) = asked.new_group {
                let api_name = stage.api_name.as_deref().unwrap_or(&api_id);
                let group = opts.log_group_name.render_known(api_name, &api_id, &name);
                destination = Some(LogGroupArn::new(&region, &account, &group).to_string());
                changes.push(Change {
                    account: account.clone(),
                    region: region.clone(),
                    action: Action::CreateLogGroup {
                        name: group,
                        retention_days: retention.days() as i32,
                        kms_key: opts.kms_key.clone(),
                    },
                    rules: vec![],
                });
            }
            let set_format = new_format.then_some(()).and(format.clone());
            if new_format && format.is_none() {
                skipped.push(Skipped {
                    rule_id: ids(&asked.access_rules),
                    resource: stage.location.resource.clone(),
                    reason: "the API's protocol is not known; set the access log format by hand"
                        .into(),
                });
            }
            let level = asked
                .level
                .filter(|_| stage.api_kind.has_execution_logging());
            if level.is_some() && !has_role {
                skipped.push(Skipped {
                    rule_id: ids(&asked.level_rules),
                    resource: stage.location.resource.clone(),
                    reason: "no CloudWatch role in this region's API Gateway account settings (SL030): AWS refuses execution logging until one is set".into(),
                });
            }
            let level = level.filter(|_| has_role);
            let level_fix = level.is_some();
            let level_str = level.unwrap_or(ExecutionLevel::Error).as_str().to_string();
            let trace_fix = asked.trace_off;
            let info = level == Some(ExecutionLevel::Info);
            let off = |m: &stagelog_model::MethodSettings| {
                matches!(
                    &m.logging_level,
                    None | Some(Value::Known(LogLevel::Off | LogLevel::Invalid(_)))
                ) || (info && matches!(&m.logging_level, Some(Value::Known(LogLevel::Error))))
            };
            let traces = |m: &stagelog_model::MethodSettings| {
                matches!(m.data_trace, Some(Value::Known(true)))
            };
            for (rules, answered_here) in [
                (
                    &asked.access_rules,
                    set_format.is_some() || (new_dest && !new_format),
                ),
                (&asked.level_rules, level_fix),
                (&asked.trace_rules, trace_fix),
            ] {
                if answered_here {
                    answered.extend(rules.iter().map(|r| r.to_string()));
                }
            }
            answered.sort();
            match stage.api_kind {
                ApiKind::Rest => {
                    let mut patch = Vec::new();
                    if let (true, Some(d)) = (new_dest, &destination) {
                        patch.push(replace(
                            "/accessLogSettings/destinationArn".into(),
                            d.clone(),
                        ));
                    }
                    if let Some(f) = &set_format {
                        patch.push(replace("/accessLogSettings/format".into(), f.clone()));
                    }
                    let all = std::iter::once(("*/*".to_string(), &stage.default_settings))
                        .chain(stage.overrides.iter().map(|(p, m)| (p.clone(), m)));
                    for (path, m) in all {
                        let is_default = path == "*/*";
                        if level_fix
                            && ((is_default && off(m))
                                || (!is_default
                                    && matches!(
                                        m.logging_level,
                                        Some(Value::Known(LogLevel::Off | LogLevel::Invalid(_)))
                                    )))
                        {
                            patch.push(replace(
                                format!("/{path}/logging/loglevel"),
                                level_str.clone(),
                            ));
                        }
                        if trace_fix && traces(m) {
                            patch.push(replace(format!("/{path}/logging/dataTrace"), "false"));
                        }
                    }
                    if !patch.is_empty() {
                        changes.push(Change {
                            account,
                            region,
                            action: Action::UpdateRestStage {
                                api_id,
                                stage: name,
                                patch,
                            },
                            rules: answered,
                        });
                    }
                }
                _ => {
                    // UpdateStage replaces the whole setting: keep the format a new
                    // destination does not change.
                    let kept_format = match &stage.access_log {
                        Some(Value::Known(a)) => a.format.as_ref().and_then(|f| f.as_known()),
                        _ => None,
                    };
                    let access_log_settings =
                        match (set_format.clone().or(kept_format), &destination) {
                            (Some(f), Some(d)) if set_format.is_some() || new_dest => {
                                Some(json!({"DestinationArn": d, "Format": f}))
                            }
                            _ => None,
                        };
                    let mut default = serde_json::Map::new();
                    if level_fix && off(&stage.default_settings) {
                        default.insert("LoggingLevel".into(), Json::String(level_str.clone()));
                    }
                    if trace_fix && traces(&stage.default_settings) {
                        default.insert("DataTraceEnabled".into(), Json::Bool(false));
                    }
                    let mut routes = BTreeMap::new();
                    for (route, m) in &stage.overrides {
                        let mut r = serde_json::Map::new();
                        if level_fix
                            && matches!(
                                m.logging_level,
                                Some(Value::Known(LogLevel::Off | LogLevel::Invalid(_)))
                            )
                        {
                            r.insert("LoggingLevel".into(), Json::String(level_str.clone()));
                        }
                        if trace_fix && traces(m) {
                            r.insert("DataTraceEnabled".into(), Json::Bool(false));
                        }
                        if !r.is_empty() {
                            routes.insert(route.clone(), Json::Object(r));
                        }
                    }
                    if access_log_settings.is_some() || !default.is_empty() || !routes.is_empty() {
                        changes.push(Change {
                            account,
                            region,
                            action: Action::UpdateV2Stage {
                                api_id,
                                stage: name,
                                access_log_settings,
                                default_route_settings: (!default.is_empty())
                                    .then_some(Json::Object(default)),
                                route_settings: routes,
                            },
                            rules: answered,
                        });
                    }
                }
            }
        }
        for group in &inv.log_groups {
            let Some((days, rules)) = asked
                .get(group.location.resource.as_str())
                .and_then(|a| Some((a.retention?, &a.retention_rules)))
            else {
                continue;
            };
            changes.push(Change {
                account: group.location.account.clone().unwrap_or_default(),
                region: group.location.region.clone().unwrap_or_default(),
                action: Action::PutRetention {
                    name: group.name.to_string(),
                    days: days.days() as i32,
                },
                rules: rules.iter().map(|r| r.to_string()).collect(),
            });
        }
    }
    for f in findings
        .iter()
        .filter(|f| f.remedy == Remedy::CloudWatchRole)
    {
        let role_set_here = changes.iter().any(|c| {
            matches!(c.action, Action::SetCloudWatchRole { .. })
                && Some(&c.account) == f.location.account.as_ref()
                && Some(&c.region) == f.location.region.as_ref()
        });
        if !role_set_here {
            skipped.push(Skipped {
                rule_id: f.rule_id.into(),
                resource: f.location.resource.clone(),
                reason: "pass --create-cloudwatch-role to create and set one, or set it by hand (see `stagelog explain SL030`)".into(),
            });
        }
    }
    changes.dedup();
    (changes, skipped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use stagelog_model::{
        AccountSettings, Location, RetentionDays, SettingsTarget, Severity, SourceKind, Stage, Text,
    };

    fn live(resource: &str) -> Location {
        Location {
            source: SourceKind::Live,
            resource: resource.into(),
            account: Some("123456789012".into()),
            region: Some("cn-north-1".into()),
            ..Location::default()
        }
    }

    fn finding(rule: &'static str, remedy: Remedy, resource: &str) -> Finding {
        Finding {
            rule_id: rule,
            severity: Severity::High,
            message: String::new(),
            remedy,
            fix: String::new(),
            location: Box::new(live(resource)),
            stage: Some("prod".into()),
            api_kind: Some(ApiKind::Rest),
            api: None,
        }
    }

    #[test]
    fn plans_from_remedies_and_skips_execution_logging_without_a_role() {
        let arn = "arn:aws-cn:apigateway:cn-north-1::/restapis/a1/stages/prod";
        let mut stage = Stage::new(ApiKind::Rest, Text::lit("prod"), live(arn));
        stage.api_name = Some("orders".into());
        let mut inv = Inventory {
            stages: vec![stage],
            live: true,
            ..Inventory::default()
        };
        let findings = [
            finding(
                "SL001",
                Remedy::AccessLogs {
                    retention: RetentionDays::exact(400).unwrap(),
                },
                arn,
            ),
            finding(
                "SL010",
                Remedy::ExecutionLogging {
                    level: ExecutionLevel::Info,
                    target: SettingsTarget::StageDefault,
                },
                arn,
            ),
        ];
        let (changes, skipped) = plan(std::slice::from_ref(&inv), &findings, &Default::default());
        assert_eq!(
            changes[0].action,
            Action::CreateLogGroup {
                name: "/aws/vendedlogs/apigateway/orders/prod".into(),
                retention_days: 400,
                kms_key: None
            }
        );
        let Action::UpdateRestStage { patch, .. } = &changes[1].action else {
            panic!("{changes:?}")
        };
        assert_eq!(
            patch[0].value.as_deref(),
            Some("arn:aws-cn:logs:cn-north-1:123456789012:log-group:/aws/vendedlogs/apigateway/orders/prod")
        );
        assert!(patch.iter().all(|p| !p.path.contains("loglevel")));
        assert_eq!(skipped[0].rule_id, "SL010");

        // With the account's role, the level the remedy names is set.
        inv.accounts.push(AccountSettings {
            cloudwatch_role_arn: Some(Text::lit("arn:aws-cn:iam::123456789012:role/cw")),
            role: None,
            location: live("account"),
        });
        let (changes, skipped) = plan(&[inv], &findings, &Default::default());
        let Action::UpdateRestStage { patch, .. } = &changes[1].action else {
            panic!("{changes:?}")
        };
        assert!(patch
            .iter()
            .any(|p| p.path == "/*/*/logging/loglevel" && p.value.as_deref() == Some("INFO")));
        assert!(skipped.is_empty());
    }
}

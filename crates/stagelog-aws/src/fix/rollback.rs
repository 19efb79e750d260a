//! Rollback: each journalled change's `before` state put back, newest first (`restore` is pure).

use super::apply::{conf_for, configs, journalled_step};
use super::journal::{read_journal, rollback_journal_path, Journal};
use super::{replace, Action, Change, EntryState, FixError, JournalEntry, Patch};
use crate::AuditOptions;
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Method setting fields and their patch paths under `/{resource}/{method}/`.
const METHOD_SETTING_PATHS: &[(&str, &str)] = &[
    ("metricsEnabled", "metrics/enabled"),
    ("loggingLevel", "logging/loglevel"),
    ("dataTraceEnabled", "logging/dataTrace"),
    ("throttlingBurstLimit", "throttling/burstLimit"),
    ("throttlingRateLimit", "throttling/rateLimit"),
    ("cachingEnabled", "caching/enabled"),
    ("cacheTtlInSeconds", "caching/ttlInSeconds"),
    ("cacheDataEncrypted", "caching/dataEncrypted"),
    (
        "requireAuthorizationForCacheControl",
        "caching/requireAuthorizationForCacheControl",
    ),
    (
        "unauthorizedCacheControlHeaderStrategy",
        "caching/unauthorizedCacheControlHeaderStrategy",
    ),
];

/// The changes that put `before` back, for one journalled change.
fn restore(change: &Change, before: &Json, delete_created: bool) -> Vec<Action> {
    match &change.action {
        Action::SetCloudWatchRole { role_name } => {
            let mut out = vec![Action::SetAccountRoleArn {
                arn: before["cloudwatchRoleArn"].as_str().map(str::to_string),
            }];
            if delete_created && before["role_exists"] == Json::Bool(false) {
                out.push(Action::DeleteRole {
                    role_name: role_name.clone(),
                });
            }
            out
        }
        Action::DeleteRole { .. } | Action::SetAccountRoleArn { .. } => vec![],
        Action::CreateLogGroup { name, .. } if before["exists"] == Json::Bool(false) => {
            // Created by the fix: kept (its events are data) unless asked.
            if delete_created {
                vec![Action::DeleteLogGroup { name: name.clone() }]
            } else {
                vec![]
            }
        }
        Action::CreateLogGroup { name, .. } | Action::PutRetention { name, .. } => {
            match before["retention_days"].as_i64() {
                Some(d) => vec![Action::PutRetention {
                    name: name.clone(),
                    days: d as i32,
                }],
                None => vec![Action::DeleteRetention { name: name.clone() }],
            }
        }
        Action::DeleteLogGroup { .. }
        | Action::DeleteRetention { .. }
        | Action::DeleteV2AccessLogs { .. } => vec![],
        Action::UpdateRestStage {
            api_id,
            stage,
            patch,
        } => {
            let mut ops = Vec::new();
            if patch
                .iter()
                .any(|p| p.path.starts_with("/accessLogSettings/"))
            {
                match before.get("accessLogSettings").filter(|a| !a.is_null()) {
                    Some(a) => {
                        for field in ["destinationArn", "format"] {
                            if let Some(v) = a.get(field).and_then(Json::as_str) {
                                ops.push(replace(format!("/accessLogSettings/{field}"), v));
                            }
                        }
                    }
                    None => ops.push(Patch {
                        op: "remove".into(),
                        path: "/accessLogSettings".into(),
                        value: None,
                    }),
                }
            }
            let methods: BTreeSet<String> = patch
                .iter()
                .filter_map(|p| {
                    p.path
                        .strip_suffix("/logging/loglevel")
                        .or_else(|| p.path.strip_suffix("/logging/dataTrace"))
                })
                .map(|p| p.trim_start_matches('/').to_string())
                .collect();
            for m in methods {
                match before["methodSettings"].get(&m) {
                    Some(prev) if prev["loggingLevel"].is_string() => {
                        if let Some(l) = prev["loggingLevel"].as_str() {
                            ops.push(replace(format!("/{m}/logging/loglevel"), l));
                        }
                        if let Some(d) = prev["dataTraceEnabled"].as_bool() {
                            ops.push(replace(format!("/{m}/logging/dataTrace"), d.to_string()));
                        }
                    }
                    // The setting existed without a logging level, which no `replace` can
                    // give back: remove it and write every field it had again.
                    Some(prev) => {
                        ops.push(Patch {
                            op: "remove".into(),
                            path: format!("/{m}"),
                            value: None,
                        });
                        for (field, path) in METHOD_SETTING_PATHS {
                            let value = match &prev[*field] {
                                Json::String(s) => s.clone(),
                                Json::Bool(b) => b.to_string(),
                                Json::Number(n) => n.to_string(),
                                _ => continue,
                            };
                            ops.push(replace(format!("/{m}/{path}"), value));
                        }
                    }
                    // The method setting did not exist: remove it again (as Terraform does).
                    None => ops.push(Patch {
                        op: "remove".into(),
                        path: format!("/{m}"),
                        value: None,
                    }),
                }
            }
            vec![Action::UpdateRestStage {
                api_id: api_id.clone(),
                stage: stage.clone(),
                patch: ops,
            }]
        }
        Action::UpdateV2Stage {
            api_id,
            stage,
            access_log_settings,
            default_route_settings,
            route_settings,
        } => {
            let prev_access = before
                .get("accessLogSettings")
                .filter(|a| !a.is_null())
                .cloned();
            let mut out = Vec::new();
            if access_log_settings.is_some() && prev_access.is_none() {
                out.push(Action::DeleteV2AccessLogs {
                    api_id: api_id.clone(),
                    stage: stage.clone(),
                });
            }
            let routes: BTreeMap<String, Json> = route_settings
                .keys()
                .filter_map(|r| {
                    before["routeSettings"]
                        .get(r)
                        .map(|prev| (r.clone(), prev.clone()))
                })
                .collect();
            let update = Action::UpdateV2Stage {
                api_id: api_id.clone(),
                stage: stage.clone(),
                access_log_settings: if access_log_settings.is_some() {
                    prev_access
                } else {
                    None
                },
                default_route_settings: default_route_settings.as_ref().and_then(|_| {
                    before
                        .get("defaultRouteSettings")
                        .filter(|d| !d.is_null())
                        .cloned()
                }),
                route_settings: routes,
            };
            if !matches!(&update, Action::UpdateV2Stage { access_log_settings: None, default_route_settings: None, route_settings, .. } if route_settings.is_empty())
            {
                out.push(update);
            }
            out
        }
    }
}

/// Replays a journal newest first. Every change that was started (pending or done) is
/// restored, so a fix that failed part-way is undone completely; running it again changes
/// nothing more. Writes its own journal next to the original (`….rollback.jsonl`).
pub async fn rollback(
    journal: &Path,
    audit: &AuditOptions,
    delete_created: bool,
) -> Result<usize, FixError> {
    let entries = read_journal(journal).map_err(FixError::NothingChanged)?;
    let started: Vec<&JournalEntry> = entries
        .iter()
        .filter(|e| e.state == EntryState::Pending)
        .collect();
    let configs = configs(audit).await.map_err(FixError::NothingChanged)?;
    let own = rollback_journal_path(journal);
    let mut j = Journal::create(&own).map_err(FixError::NothingChanged)?;
    let mut seq = 0;
    for entry in started.iter().rev() {
        let (Some(change), Some(before)) = (&entry.change, &entry.before) else {
            continue;
        };
        let conf = conf_for(&configs, &change.account, &change.region)
            .map_err(FixError::NothingChanged)?;
        for action in restore(change, before, delete_created) {
            seq += 1;
            let undo = Change {
                account: change.account.clone(),
                region: change.region.clone(),
                action,
                rules: vec![],
            };
            journalled_step(&mut j, seq, &conf, &undo).await?;
        }
    }
    Ok(seq as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rest_change(patch: Vec<Patch>) -> Change {
        Change {
            account: "123456789012".into(),
            region: "eu-west-1".into(),
            action: Action::UpdateRestStage {
                api_id: "a1".into(),
                stage: "prod".into(),
                patch,
            },
            rules: vec!["SL001".into(), "SL010".into()],
        }
    }

    #[test]
    fn restore_removes_what_did_not_exist_and_puts_back_what_did() {
        let change = rest_change(vec![
            replace("/accessLogSettings/destinationArn".into(), "arn:x"),
            replace("/*/*/logging/loglevel".into(), "ERROR"),
            replace("/orders/GET/logging/loglevel".into(), "ERROR"),
        ]);
        let before = json!({
            "accessLogSettings": null,
            "methodSettings": {"orders/GET": {"loggingLevel": "OFF", "dataTraceEnabled": true}},
        });
        let Action::UpdateRestStage { patch, .. } = &restore(&change, &before, false)[0] else {
            panic!("a stage update")
        };
        let ops: Vec<(String, String, Option<String>)> = patch
            .iter()
            .map(|p| (p.op.clone(), p.path.clone(), p.value.clone()))
            .collect();
        assert_eq!(
            ops,
            [
                ("remove".into(), "/accessLogSettings".into(), None),
                ("remove".into(), "/*/*".into(), None),
                (
                    "replace".into(),
                    "/orders/GET/logging/loglevel".into(),
                    Some("OFF".into())
                ),
                (
                    "replace".into(),
                    "/orders/GET/logging/dataTrace".into(),
                    Some("true".into())
                ),
            ]
        );
    }

    #[test]
    fn created_log_groups_are_kept_unless_asked() {
        let change = Change {
            account: "1".into(),
            region: "r".into(),
            action: Action::CreateLogGroup {
                name: "/g".into(),
                retention_days: 365,
                kms_key: None,
            },
            rules: vec![],
        };
        let before = json!({"exists": false, "retention_days": null});
        assert!(restore(&change, &before, false).is_empty());
        assert_eq!(
            restore(&change, &before, true),
            [Action::DeleteLogGroup { name: "/g".into() }]
        );
        let existed = json!({"exists": true, "retention_days": 30});
        assert_eq!(
            restore(&change, &existed, false),
            [Action::PutRetention {
                name: "/g".into(),
                days: 30
            }]
        );
    }
}

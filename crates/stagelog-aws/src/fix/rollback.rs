//! Rollback: each journalled change's `before` state put back, newest first (`restore` is pure).

use super::apply::{conf_for, configs, journalled_step};
use super::journal::{read_journal, rollback_journal_path, Before, Journal, LogGroupState};
use super::{replace, Action, Change, EntryState, FixError, JournalEntry, Patch, PatchOp};
use crate::AuditOptions;
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The changes that put `before` back, for one journalled change.
fn restore(change: &Change, before: &Before, delete_created: bool) -> Vec<Action> {
    let group = match before {
        Before::LogGroup(g) => g.clone(),
        _ => LogGroupState::default(),
    };
    match &change.action {
        Action::SetCloudWatchRole { role_name } => {
            let Before::Account(account) = before else {
                return vec![];
            };
            let mut out = vec![Action::SetAccountRoleArn {
                arn: account.cloudwatch_role_arn.clone(),
            }];
            if delete_created && account.role_exists == Some(false) {
                out.push(Action::DeleteRole {
                    role_name: role_name.clone(),
                });
            }
            out
        }
        Action::DeleteRole { .. } | Action::SetAccountRoleArn { .. } => vec![],
        Action::CreateLogGroup { name, .. } if !group.exists => {
            // Created by the fix: kept (its events are data) unless asked.
            if delete_created {
                vec![Action::DeleteLogGroup { name: name.clone() }]
            } else {
                vec![]
            }
        }
        Action::CreateLogGroup { name, .. } | Action::PutRetention { name, .. } => {
            match group.retention_days {
                Some(days) => vec![Action::PutRetention {
                    name: name.clone(),
                    days,
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
            let Before::RestStage(prev_stage) = before else {
                return vec![];
            };
            let mut ops = Vec::new();
            if patch
                .iter()
                .any(|p| p.path.starts_with("/accessLogSettings/"))
            {
                match &prev_stage.access_log_settings {
                    Some(a) => {
                        for (field, v) in [
                            ("destinationArn", &a.destination_arn),
                            ("format", &a.format),
                        ] {
                            if let Some(v) = v {
                                ops.push(replace(
                                    format!("/accessLogSettings/{field}"),
                                    v.as_str(),
                                ));
                            }
                        }
                    }
                    None => ops.push(Patch {
                        op: PatchOp::Remove,
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
                match prev_stage.method_settings.get(&m) {
                    Some(prev) if prev.logging_level.is_some() => {
                        if let Some(l) = &prev.logging_level {
                            ops.push(replace(format!("/{m}/logging/loglevel"), l.as_str()));
                        }
                        if let Some(d) = prev.data_trace_enabled {
                            ops.push(replace(format!("/{m}/logging/dataTrace"), d.to_string()));
                        }
                    }
                    // The setting existed without a logging level, which no `replace` can
                    // give back: remove it and write every field it had again.
                    Some(prev) => {
                        ops.push(Patch {
                            op: PatchOp::Remove,
                            path: format!("/{m}"),
                            value: None,
                        });
                        for (path, value) in prev.patch_fields() {
                            ops.push(replace(format!("/{m}/{path}"), value));
                        }
                    }
                    // The method setting did not exist: remove it again (as Terraform does).
                    None => ops.push(Patch {
                        op: PatchOp::Remove,
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
            let Before::V2Stage(prev) = before else {
                return vec![];
            };
            let mut out = Vec::new();
            if access_log_settings.is_some() && prev.access_log_settings.is_none() {
                out.push(Action::DeleteV2AccessLogs {
                    api_id: api_id.clone(),
                    stage: stage.clone(),
                });
            }
            let routes: BTreeMap<String, Json> = route_settings
                .keys()
                .filter_map(|r| {
                    prev.route_settings
                        .get(r)
                        .map(|state| (r.clone(), as_json(state)))
                })
                .collect();
            let update = Action::UpdateV2Stage {
                api_id: api_id.clone(),
                stage: stage.clone(),
                access_log_settings: access_log_settings
                    .as_ref()
                    .and(prev.access_log_settings.as_ref())
                    .map(as_json),
                default_route_settings: default_route_settings
                    .as_ref()
                    .and(prev.default_route_settings.as_ref())
                    .map(as_json),
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

/// Journalled state as the JSON an `UpdateV2Stage` action carries.
fn as_json<T: serde::Serialize>(state: &T) -> Json {
    serde_json::to_value(state).unwrap_or_default()
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
    let mut j = Journal::create(&own).map_err(|e| FixError::NothingChanged(e.to_string()))?;
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
        let before: Before = serde_json::from_value(json!({
            "accessLogSettings": null,
            "methodSettings": {"orders/GET": {"loggingLevel": "OFF", "dataTraceEnabled": true}},
        }))
        .unwrap();
        let Action::UpdateRestStage { patch, .. } = &restore(&change, &before, false)[0] else {
            panic!("a stage update")
        };
        let ops: Vec<(String, String, Option<String>)> = patch
            .iter()
            .map(|p| (p.op.as_str().to_string(), p.path.clone(), p.value.clone()))
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
        let before: Before =
            serde_json::from_value(json!({"exists": false, "retention_days": null})).unwrap();
        assert!(restore(&change, &before, false).is_empty());
        assert_eq!(
            restore(&change, &before, true),
            [Action::DeleteLogGroup { name: "/g".into() }]
        );
        let existed: Before =
            serde_json::from_value(json!({"exists": true, "retention_days": 30})).unwrap();
        assert_eq!(
            restore(&change, &existed, false),
            [Action::PutRetention {
                name: "/g".into(),
                days: 30
            }]
        );
    }
}

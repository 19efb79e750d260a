//! A REST API stage that several Serverless services deploy into (`provider.apiGateway.
//! restApiId` of an API another stack owns, with the same `provider.stage`) is one stage. Each
//! deploy applies that service's `provider.logs.restApi` to it (no setting turns logging OFF),
//! so the stage logs as the last service deployed says. Services that say the same are judged
//! once, at the first of them by path; services that differ are each judged with their own
//! settings. A note names every service that deploys it.

use crate::serverless::SHARED_STAGE;
use stagelog_model::{Inventory, SourceKind, Stage, Value};
use std::collections::BTreeMap;

fn is_shared(s: &Stage) -> bool {
    s.location.source == SourceKind::Serverless && s.location.resource == SHARED_STAGE
}

/// Whether a service's inventory holds a stage of a shared API.
pub(super) fn has(inv: &Inventory) -> bool {
    inv.stages.iter().any(is_shared)
}

/// The stage, as the rules see it: API and stage name.
fn key(s: &Stage) -> (String, String) {
    (
        s.api.as_ref().map(|a| a.to_string()).unwrap_or_default(),
        s.name.to_string(),
    )
}

/// What a service sets on the stage, as the rules judge it (the log group the framework names
/// after each service is not a difference that changes a verdict).
fn settings(s: &Stage) -> String {
    let access = s.access_log.as_ref().map(|v| match v {
        Value::Known(a) => Ok(a.format.as_ref().map(|f| f.to_string())),
        Value::Unknown(e) => Err(e.clone()),
    });
    format!("{access:?} {:?} {:?}", s.default_settings, s.overrides)
}

/// Keeps each shared stage once per distinct setting, at the first service (by path) with it,
/// noting every service that deploys it; drops the copies.
pub(super) fn judge_once(kept: &mut [(String, Inventory)]) {
    // (api, stage) → (service file, settings) of each service that deploys it, in path order.
    let mut deployers: BTreeMap<(String, String), Vec<(String, String)>> = BTreeMap::new();
    let mut order: Vec<usize> = (0..kept.len()).collect();
    order.sort_by(|a, b| kept[*a].0.cmp(&kept[*b].0));
    for &i in &order {
        for s in kept[i].1.stages.iter().filter(|s| is_shared(s)) {
            let file = s.location.file.clone().unwrap_or_default();
            deployers
                .entry(key(s))
                .or_default()
                .push((file, settings(s)));
        }
    }
    for &i in &order {
        kept[i].1.stages.retain_mut(|s| {
            if !is_shared(s) {
                return true;
            }
            let Some(services) = deployers.get(&key(s)) else {
                return false;
            };
            let here = s.location.file.clone().unwrap_or_default();
            let mine = settings(s);
            let first_alike = services.iter().find(|(_, set)| *set == mine);
            if first_alike.map(|(file, _)| file) != Some(&here) {
                return false;
            }
            if services.len() > 1 {
                let files: Vec<&str> = services.iter().map(|(f, _)| f.as_str()).collect();
                let differ = services.iter().any(|(_, set)| *set != mine);
                s.note = Some(if differ {
                    format!(
                        "deployed by {} services whose provider.logs differ: {}; each deploy applies its own, so the stage logs as the last one deployed says",
                        files.len(),
                        files.join(", ")
                    )
                } else {
                    format!("deployed by {} services: {}", files.len(), files.join(", "))
                });
            }
            true
        });
    }
}

//! One folder per rule. Each has `mod.rs` (its declaration and check), `doc.md` (what
//! `explain` prints), `examples/` (good and bad cases per source format) and `snapshots/`.

/// The registry: one line per rule, its folder's name. The rule's own `mod.rs` declares the
/// rest (`RULE`).
macro_rules! rules {
    ($($rule:ident),* $(,)?) => {
        $(mod $rule;)*

        /// Every rule, in id order.
        pub(crate) static ALL: &[Rule] = &[$($rule::RULE),*];
    };
}

rules![
    sl001, sl002, sl003, sl004, sl005, sl006, sl010, sl011, sl020, sl021, sl030, sl031, sl032,
    sl040, sl041, sl050, sl051, sl052, sl053, sl090,
];

use crate::Rule;
use stagelog_model::{AccessLog, Inventory, LogGroup, Stage, Value};

/// Why a stage has no access logging, or `None` when it has (or cannot be told).
pub(crate) fn missing_access_log(stage: &Stage) -> Option<&'static str> {
    match &stage.access_log {
        None => Some("has no access logging configured"),
        Some(Value::Unknown(_)) => None,
        Some(Value::Known(a)) => match &a.destination {
            None => Some("has access log settings without a destination"),
            Some(d) if d.arn.is_empty() => Some("has an empty access log destination"),
            Some(_) => None,
        },
    }
}

/// The access log settings of a stage that has a destination, for rules judging them.
pub(crate) fn access_log(stage: &Stage) -> Option<&AccessLog> {
    match &stage.access_log {
        Some(Value::Known(a)) if a.destination.as_ref().is_some_and(|d| !d.arn.is_empty()) => {
            Some(a)
        }
        _ => None,
    }
}

/// Log groups that receive a stage's logs: access log destinations, (live) the execution log
/// groups API Gateway creates, and the log groups execution-log deliveries write to. Each
/// group once, with the first stage writing to it and which logs it holds.
pub(crate) fn receiving_log_groups(inv: &Inventory) -> Vec<(&LogGroup, &Stage, &'static str)> {
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for stage in &inv.stages {
        let access = access_log(stage)
            .and_then(|a| a.destination.as_ref())
            .and_then(|d| d.log_group);
        let delivered = stage
            .execution_deliveries
            .iter()
            .map(|d| (d.log_group, "delivered execution logs"));
        for (index, what) in [
            (access, "access logs"),
            (stage.execution_log_group, "execution logs"),
        ]
        .into_iter()
        .chain(delivered)
        {
            if let Some(group) = index.and_then(|i| inv.log_groups.get(i)) {
                if seen.insert(index) {
                    out.push((group, stage, what));
                }
            }
        }
    }
    out
}

/// SL001 and SL002: the same check on different API kinds.
pub(crate) fn check_access_logging(
    rule: &Rule,
    inv: &Inventory,
    config: &crate::Config,
    kinds: fn(stagelog_model::ApiKind) -> bool,
    out: &mut Vec<stagelog_model::Finding>,
) {
    for stage in inv.stages.iter().filter(|s| kinds(s.api_kind)) {
        if let Some(why) = missing_access_log(stage) {
            out.push(crate::stage_finding(
                rule,
                stage,
                format!("{} {why}", crate::describe(stage)),
                stagelog_model::Remedy::AccessLogs {
                    retention: config.min_retention,
                },
            ));
        }
    }
}

/// The logging a stage asks for, as the drift rules compare it: `Some(on)`, or `None` where
/// the source leaves it unknown. Execution logging only for the kinds that have it.
pub(crate) fn logging_aspects(stage: &Stage) -> [(&'static str, Option<bool>); 2] {
    use stagelog_model::LogLevel;
    let access = match &stage.access_log {
        None => Some(false),
        Some(Value::Unknown(_)) => None,
        Some(Value::Known(a)) => Some(a.destination.as_ref().is_some_and(|d| !d.arn.is_empty())),
    };
    let execution = match &stage.default_settings.logging_level {
        _ if !stage.api_kind.has_execution_logging() => None,
        None => Some(false),
        Some(Value::Unknown(_)) => None,
        Some(Value::Known(level)) => Some(matches!(level, LogLevel::Error | LogLevel::Info)),
    };
    [("access logging", access), ("execution logging", execution)]
}

/// The aspects one side has on and the other off (both known), joined for a message.
pub(crate) fn on_here_off_there(here: &Stage, there: &Stage) -> Option<String> {
    let differing: Vec<&str> = logging_aspects(here)
        .into_iter()
        .zip(logging_aspects(there))
        .filter(|((_, a), (_, b))| *a == Some(true) && *b == Some(false))
        .map(|((name, _), _)| name)
        .collect();
    (!differing.is_empty()).then(|| differing.join(" and "))
}

/// `file:line (id)` of a live stage's declaration, for drift messages.
pub(crate) fn declared_at(live: &Stage) -> String {
    live.location
        .defined_at
        .as_ref()
        .map_or_else(|| "its code".to_string(), |o| o.to_string())
}

/// `: what the records say` of a drift pair, for the end of a message (empty when nothing).
pub(crate) fn context_of(pair: &stagelog_model::StagePair) -> String {
    pair.context
        .as_deref()
        .map(|c| format!(": {c}"))
        .unwrap_or_default()
}

//! The journal: one JSON line per step, fsync'ed before the step is taken, never overwritten
//! or deleted. Entries carry a schema version; fields a newer stagelog adds are ignored by an
//! older one, and an older journal (no version) reads as version 1.

use super::Change;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

/// The state a change replaces, as AWS returned it just before the change: what a rollback
/// puts back. Field names are AWS's own, as earlier journals wrote them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Before {
    RestStage(RestStageState),
    V2Stage(V2StageState),
    LogGroup(LogGroupState),
    Account(AccountState),
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RestStageState {
    pub access_log_settings: Option<RestAccessLogs>,
    /// By method path (`*/*`, `orders/GET`).
    pub method_settings: BTreeMap<String, MethodSettingState>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RestAccessLogs {
    pub destination_arn: Option<String>,
    pub format: Option<String>,
}

/// Every field of a REST method setting, so one without a logging level can be written back.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MethodSettingState {
    pub metrics_enabled: Option<bool>,
    pub logging_level: Option<String>,
    pub data_trace_enabled: Option<bool>,
    pub throttling_burst_limit: Option<i64>,
    pub throttling_rate_limit: Option<f64>,
    pub caching_enabled: Option<bool>,
    pub cache_ttl_in_seconds: Option<i64>,
    pub cache_data_encrypted: Option<bool>,
    pub require_authorization_for_cache_control: Option<bool>,
    pub unauthorized_cache_control_header_strategy: Option<String>,
}

impl MethodSettingState {
    /// Each set field with its patch path under `/{resource}/{method}/`.
    pub fn patch_fields(&self) -> Vec<(&'static str, String)> {
        let s = |v: &Option<String>| v.clone();
        let b = |v: &Option<bool>| v.map(|x| x.to_string());
        let i = |v: &Option<i64>| v.map(|x| x.to_string());
        [
            ("metrics/enabled", b(&self.metrics_enabled)),
            ("logging/loglevel", s(&self.logging_level)),
            ("logging/dataTrace", b(&self.data_trace_enabled)),
            ("throttling/burstLimit", i(&self.throttling_burst_limit)),
            (
                "throttling/rateLimit",
                self.throttling_rate_limit.map(|x| x.to_string()),
            ),
            ("caching/enabled", b(&self.caching_enabled)),
            ("caching/ttlInSeconds", i(&self.cache_ttl_in_seconds)),
            ("caching/dataEncrypted", b(&self.cache_data_encrypted)),
            (
                "caching/requireAuthorizationForCacheControl",
                b(&self.require_authorization_for_cache_control),
            ),
            (
                "caching/unauthorizedCacheControlHeaderStrategy",
                s(&self.unauthorized_cache_control_header_strategy),
            ),
        ]
        .into_iter()
        .filter_map(|(path, v)| Some((path, v?)))
        .collect()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct V2StageState {
    pub access_log_settings: Option<V2AccessLogs>,
    pub default_route_settings: Option<RouteState>,
    /// By route key.
    pub route_settings: BTreeMap<String, RouteState>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct V2AccessLogs {
    pub destination_arn: Option<String>,
    pub format: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RouteState {
    pub logging_level: Option<String>,
    pub data_trace_enabled: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LogGroupState {
    pub exists: bool,
    pub retention_days: Option<i32>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AccountState {
    #[serde(rename = "cloudwatchRoleArn")]
    pub cloudwatch_role_arn: Option<String>,
    /// Whether the role `--create-cloudwatch-role` names existed (role changes only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_exists: Option<bool>,
}

/// Where one change stands in the journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryState {
    /// Written before the change is made: it may or may not have happened.
    Pending,
    /// Written after AWS accepted the change.
    Done,
}

/// The journal schema: entries of another major version are refused, not misread.
pub const JOURNAL_VERSION: u32 = 1;

fn version_one() -> u32 {
    1
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JournalEntry {
    /// Schema version (absent in journals written before it was recorded: 1).
    #[serde(default = "version_one")]
    pub v: u32,
    pub seq: u64,
    pub state: EntryState,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub change: Option<Change>,
    /// The resource's logging state just before the change, as AWS returned it.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub before: Option<Before>,
}

pub(super) struct Journal {
    file: std::fs::File,
}

/// A journal that cannot be created or written: no change may be made without it.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// It exists already (journals are never overwritten) or its directory cannot hold it.
    #[error("cannot create journal {}: {source}", path.display())]
    Create {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write the journal: {0}")]
    Write(#[from] std::io::Error),
}

impl Journal {
    pub(super) fn create(path: &Path) -> Result<Journal, JournalError> {
        let file = std::fs::OpenOptions::new()
            .create_new(true)
            .write(true)
            .open(path)
            .map_err(|source| JournalError::Create {
                path: path.to_path_buf(),
                source,
            })?;
        Ok(Journal { file })
    }

    /// One JSON line, flushed to disk before the caller goes on.
    pub(super) fn write(&mut self, entry: &JournalEntry) -> Result<(), JournalError> {
        let mut line = serde_json::to_string(entry).expect("journal entries serialise");
        line.push('\n');
        self.file.write_all(line.as_bytes())?;
        self.file.sync_data()?;
        Ok(())
    }
}

impl JournalEntry {
    pub(super) fn pending(seq: u64, change: Change, before: Before) -> JournalEntry {
        JournalEntry {
            v: JOURNAL_VERSION,
            seq,
            state: EntryState::Pending,
            change: Some(change),
            before: Some(before),
        }
    }

    pub(super) fn done(seq: u64) -> JournalEntry {
        JournalEntry {
            v: JOURNAL_VERSION,
            seq,
            state: EntryState::Done,
            change: None,
            before: None,
        }
    }
}

pub fn read_journal(path: &Path) -> Result<Vec<JournalEntry>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read journal {}: {e}", path.display()))?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| {
            let entry: JournalEntry = serde_json::from_str(l)
                .map_err(|e| format!("{}:{}: not a journal entry: {e}", path.display(), i + 1))?;
            if entry.v != JOURNAL_VERSION {
                return Err(format!(
                    "{}:{}: journal schema version {} (this stagelog reads version {JOURNAL_VERSION})",
                    path.display(),
                    i + 1,
                    entry.v
                ));
            }
            Ok(entry)
        })
        .collect()
}

/// Where a rollback of `journal` writes its own journal: `….rollback.jsonl`, or, when an
/// earlier rollback wrote that, `….rollback-2.jsonl` and so on. Journals are evidence of what
/// was changed and restored: none is ever overwritten or deleted.
pub fn rollback_journal_path(journal: &Path) -> std::path::PathBuf {
    let first = journal.with_extension("rollback.jsonl");
    if !first.exists() {
        return first;
    }
    (2..)
        .map(|n| journal.with_extension(format!("rollback-{n}.jsonl")))
        .find(|p| !p.exists())
        .expect("some rollback journal name is free")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_rollback_never_replaces_the_first_ones_journal() {
        let dir = tempfile::tempdir().unwrap();
        let journal = dir.path().join("j.jsonl");
        let first = rollback_journal_path(&journal);
        assert_eq!(first, dir.path().join("j.rollback.jsonl"));
        std::fs::write(&first, "evidence\n").unwrap();
        let second = rollback_journal_path(&journal);
        assert_eq!(second, dir.path().join("j.rollback-2.jsonl"));
        assert!(Journal::create(&first).is_err(), "never overwritten");
        assert_eq!(std::fs::read_to_string(&first).unwrap(), "evidence\n");
    }

    #[test]
    fn states_written_by_earlier_versions_read_typed() {
        let rest: Before = serde_json::from_str(
            r#"{"accessLogSettings":null,"methodSettings":{"*/*":{"loggingLevel":"OFF","metricsEnabled":false,"throttlingRateLimit":10.0}}}"#,
        )
        .unwrap();
        let Before::RestStage(r) = rest else {
            panic!("{rest:?}")
        };
        assert_eq!(
            r.method_settings["*/*"].patch_fields(),
            [
                ("metrics/enabled", "false".to_string()),
                ("logging/loglevel", "OFF".to_string()),
                ("throttling/rateLimit", "10".to_string())
            ]
        );
        let v2: Before = serde_json::from_str(
            r#"{"accessLogSettings":{"DestinationArn":"arn:x","Format":"f"},"defaultRouteSettings":null,"routeSettings":{}}"#,
        )
        .unwrap();
        assert!(matches!(v2, Before::V2Stage(_)));
        let group: Before = serde_json::from_str(r#"{"exists":true,"retention_days":30}"#).unwrap();
        assert_eq!(
            group,
            Before::LogGroup(LogGroupState {
                exists: true,
                retention_days: Some(30)
            })
        );
        let account: Before =
            serde_json::from_str(r#"{"cloudwatchRoleArn":null,"role_exists":false}"#).unwrap();
        assert!(matches!(
            account,
            Before::Account(AccountState {
                role_exists: Some(false),
                ..
            })
        ));
    }

    #[test]
    fn journal_states_read_as_before() {
        let e: JournalEntry = serde_json::from_str(r#"{"seq":1,"state":"done"}"#).unwrap();
        assert_eq!(e.state, EntryState::Done);
        assert!(serde_json::from_str::<JournalEntry>(r#"{"seq":1,"state":"maybe"}"#).is_err());
    }
}

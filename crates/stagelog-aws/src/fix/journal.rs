//! The journal: one JSON line per step, fsync'ed before the step is taken, never overwritten
//! or deleted. Entries carry a schema version; fields a newer stagelog adds are ignored by an
//! older one, and an older journal (no version) reads as version 1.

use super::Change;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use std::io::Write;
use std::path::Path;

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
    pub before: Option<Json>,
}

pub(super) struct Journal {
    file: std::fs::File,
}

impl Journal {
    pub(super) fn create(path: &Path) -> Result<Journal, String> {
        let file = std::fs::OpenOptions::new()
            .create_new(true)
            .write(true)
            .open(path)
            .map_err(|e| format!("cannot create journal {}: {e}", path.display()))?;
        Ok(Journal { file })
    }

    /// One JSON line, flushed to disk before the caller goes on.
    pub(super) fn write(&mut self, entry: &JournalEntry) -> Result<(), String> {
        let mut line = serde_json::to_string(entry).map_err(|e| e.to_string())?;
        line.push('\n');
        self.file
            .write_all(line.as_bytes())
            .and_then(|_| self.file.sync_data())
            .map_err(|e| format!("cannot write the journal: {e}"))
    }
}

impl JournalEntry {
    pub(super) fn pending(seq: u64, change: Change, before: Json) -> JournalEntry {
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
    fn journal_states_read_as_before() {
        let e: JournalEntry = serde_json::from_str(r#"{"seq":1,"state":"done"}"#).unwrap();
        assert_eq!(e.state, EntryState::Done);
        assert!(serde_json::from_str::<JournalEntry>(r#"{"seq":1,"state":"maybe"}"#).is_err());
    }
}

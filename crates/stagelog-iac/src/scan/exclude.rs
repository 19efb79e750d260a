//! Which paths `--exclude` (and `exclude` in stagelog.toml) leave out, with gitignore's rules
//! (the `ignore` crate's matcher, as ripgrep and ruff read them): a pattern is relative to where
//! it is written — the current directory on the command line, stagelog.toml's directory in the
//! file — so the same file excludes the same paths whichever folder is scanned; a bare name
//! (`legacy`, `good.tf`) matches at any depth, `dir/` only directories, `/x` only at the base,
//! `!x` brings a path back. Each pattern counts what it left out, for `-v` and for the note
//! that a pattern matched nothing.

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use ignore::Match;
use stagelog_model::Problem;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Patterns written in one place, relative to `base`.
#[derive(Debug, Clone)]
pub struct PatternSet {
    /// The directory the patterns are relative to.
    pub base: PathBuf,
    pub patterns: Vec<String>,
    /// Where they were written (`--exclude`, or the stagelog.toml's path), for messages.
    pub origin: String,
}

/// Paths to leave out of a scan.
#[derive(Debug, Clone, Default)]
pub struct Exclusions {
    pub sets: Vec<PatternSet>,
    /// Leave out files named on the command line too when a pattern matches them
    /// (`--force-exclude`, as ruff's: pre-commit passes every changed file by name).
    pub force: bool,
}

/// What one pattern left out of a scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternUse {
    pub pattern: String,
    pub origin: String,
    pub dirs: usize,
    pub files: usize,
}

/// The compiled matchers, shared by the walk's threads, counting as they match.
#[derive(Clone, Default)]
pub(super) struct Exclude {
    sets: Vec<(Gitignore, String, Vec<String>)>,
    cwd: PathBuf,
    pub(super) force: bool,
    counts: Arc<Mutex<Counts>>,
}

/// (set, pattern) → (directories, files) it left out.
type Counts = BTreeMap<(usize, String), (usize, usize)>;

/// `path` made absolute against `cwd`, `.` and `..` resolved without touching the disk.
fn absolute(path: &Path, cwd: &Path) -> PathBuf {
    crate::paths::normalize(&cwd.join(path))
}

/// A pattern as gitignore writes it: `./crates/**` is `/crates/**` (anchored at the base).
fn gitignore_line(pattern: &str) -> String {
    match pattern.strip_prefix("./") {
        Some(rest) => format!("/{rest}"),
        None => pattern.to_string(),
    }
}

impl Exclude {
    pub(super) fn new(exclusions: &Exclusions, errors: &mut Vec<Problem>) -> Exclude {
        let cwd = std::env::current_dir().unwrap_or_default();
        let mut sets = Vec::new();
        for set in &exclusions.sets {
            let base = absolute(&set.base, &cwd);
            let mut builder = GitignoreBuilder::new(&base);
            let mut kept = Vec::new();
            for pattern in &set.patterns {
                match builder.add_line(None, &gitignore_line(pattern)) {
                    Ok(_) => kept.push(pattern.clone()),
                    Err(e) => errors.push(Problem::in_file(
                        set.origin.clone(),
                        None,
                        format!("exclude pattern `{pattern}` is not a valid glob: {e}"),
                    )),
                }
            }
            match builder.build() {
                Ok(gi) => sets.push((gi, set.origin.clone(), kept)),
                Err(e) => errors.push(Problem::in_file(
                    set.origin.clone(),
                    None,
                    format!("exclude patterns: {e}"),
                )),
            }
        }
        Exclude {
            sets,
            cwd,
            force: exclusions.force,
            counts: Arc::default(),
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.sets.iter().all(|(gi, ..)| gi.is_empty())
    }

    /// Whether a path (as the walk names it) is left out, counted under the pattern that
    /// decided it. A later set (stagelog.toml's after the command line's) is asked only when
    /// an earlier one said nothing.
    pub(super) fn skips(&self, path: &Path, is_dir: bool) -> bool {
        if self.is_empty() {
            return false;
        }
        let abs = absolute(path, &self.cwd);
        for (i, (gi, ..)) in self.sets.iter().enumerate() {
            if gi.is_empty() || !abs.starts_with(gi.path()) || abs == gi.path() {
                continue;
            }
            match gi.matched_path_or_any_parents(&abs, is_dir) {
                Match::Ignore(glob) => {
                    if let Ok(mut counts) = self.counts.lock() {
                        let c = counts.entry((i, glob.original().to_string())).or_default();
                        if is_dir {
                            c.0 += 1;
                        } else {
                            c.1 += 1;
                        }
                    }
                    return true;
                }
                Match::Whitelist(_) => return false,
                Match::None => {}
            }
        }
        false
    }

    /// What each pattern left out, in the order written (patterns that matched nothing too).
    pub(super) fn uses(&self) -> Vec<PatternUse> {
        let counts = self.counts.lock().map(|c| c.clone()).unwrap_or_default();
        let mut out = Vec::new();
        for (i, (_, origin, patterns)) in self.sets.iter().enumerate() {
            for pattern in patterns {
                let (dirs, files) = counts
                    .get(&(i, gitignore_line(pattern)))
                    .copied()
                    .unwrap_or_default();
                out.push(PatternUse {
                    pattern: pattern.clone(),
                    origin: origin.clone(),
                    dirs,
                    files,
                });
            }
        }
        out
    }
}

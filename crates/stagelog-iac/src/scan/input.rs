//! A file to read (on disk, or text in memory) and what kind of source it is.

use crate::paths::display;
use stagelog_model::Inventory;
use stagelog_model::Problem;
use std::path::Path;

/// Larger files are reported, not read: no real template comes near this.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Kind {
    Tf,
    TfJson,
    TfVars,
    Template,
    /// A Terraform plan (`terraform show -json`): a `.json` file found to be one by [`triage`].
    Plan,
    Serverless,
}

/// A file to read: on disk (with its text when the walk read it already), or given in memory
/// (name and text).
pub(super) enum Input<'a> {
    Disk(&'a Path, Option<Result<String, Problem>>),
    Memory(&'a str, &'a str),
}

impl Input<'_> {
    pub(super) fn name(&self) -> String {
        match self {
            Input::Disk(p, _) => display(p),
            Input::Memory(name, _) => name.to_string(),
        }
    }

    /// The file's own name (not its path), to tell what kind of file it is.
    pub(super) fn kind_name(&self) -> Option<&str> {
        match self {
            Input::Disk(p, _) => p.file_name()?.to_str(),
            Input::Memory(name, _) => Some(name.rsplit('/').next().unwrap_or(name)),
        }
    }

    /// The text, read now unless the walk read it.
    pub(super) fn into_text(self) -> Result<String, Problem> {
        match self {
            Input::Disk(p, read) => read.unwrap_or_else(|| read_text(p)),
            Input::Memory(_, text) => {
                let mut text = text.to_string();
                skip_bom(&mut text);
                Ok(text)
            }
        }
    }

    /// The file's path, when it is on disk.
    pub(super) fn disk_path(&self) -> Option<&Path> {
        match self {
            Input::Disk(p, _) => Some(p),
            Input::Memory(..) => None,
        }
    }

    /// The directory a file on disk is in (where its samconfig.toml would be).
    pub(super) fn disk_dir(&self) -> Option<&Path> {
        match self {
            Input::Disk(p, _) => Some(p.parent().unwrap_or(Path::new("."))),
            Input::Memory(..) => None,
        }
    }
}

/// What one unit of work gave: a Terraform module (a directory's .tf files) or a template.
#[derive(Default)]
pub(super) struct UnitResult {
    pub(super) inventory: Option<(String, Inventory)>,
    /// The inventory is a Terraform plan's.
    pub(super) plan: bool,
    pub(super) errors: Vec<Problem>,
    pub(super) files: usize,
    pub(super) sources: Vec<(String, String)>,
    pub(super) notes: Vec<String>,
    /// Files a Serverless service read as part of itself.
    pub(super) included: Vec<std::path::PathBuf>,
}

pub(super) fn read_text(path: &Path) -> Result<String, Problem> {
    let err = |message: String| Problem::in_file(display(path), None, message);
    // One open per file: its size from the handle, then one read of exactly that much.
    use std::io::Read;
    let mut file = std::fs::File::open(path).map_err(|e| err(format!("cannot read: {e}")))?;
    let len = file
        .metadata()
        .map_err(|e| err(format!("cannot read: {e}")))?
        .len();
    if len > MAX_FILE_BYTES {
        return Err(err(format!(
            "file is {} MiB, over the {} MiB limit; not read",
            len / (1024 * 1024),
            MAX_FILE_BYTES / (1024 * 1024)
        )));
    }
    // Exactly the size the handle gave, without the extra read `read_to_end` makes to see
    // the end (a system call per file); a file that grows meanwhile is read as it was.
    let mut bytes = vec![0; len as usize];
    let mut filled = 0;
    while filled < bytes.len() {
        match file.read(&mut bytes[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(err(format!("cannot read: {e}"))),
        }
    }
    bytes.truncate(filled);
    if bytes[..bytes.len().min(8192)].contains(&0) {
        return Err(err("binary file (contains NUL bytes); not read".into()));
    }
    let mut text = String::from_utf8(bytes).map_err(|e| {
        err(format!(
            "not UTF-8 text (invalid byte at offset {}); not read",
            e.utf8_error().valid_up_to()
        ))
    })?;
    skip_bom(&mut text);
    Ok(text)
}

/// A byte-order mark at the start (Windows editors write one) is not part of the text:
/// Terraform, CloudFormation and the Serverless Framework all skip it.
pub(super) fn skip_bom(text: &mut String) {
    if text.starts_with('\u{feff}') {
        text.replace_range(..'\u{feff}'.len_utf8(), "");
    }
}

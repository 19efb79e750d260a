//! Paths as a scan names them: normalised without the file system, absolute from the working
//! directory, and displayed as the user wrote them.

use std::path::{Path, PathBuf};

/// The working directory, asked once per process, not once per file name (a system call
/// each).
static CWD: std::sync::LazyLock<Option<PathBuf>> =
    std::sync::LazyLock::new(|| std::env::current_dir().ok());

/// `p` as an absolute path (from the working directory when relative).
pub(crate) fn absolute(p: &Path) -> PathBuf {
    match CWD.as_deref() {
        Some(cwd) if p.is_relative() => normalize(&cwd.join(p)),
        _ => p.to_path_buf(),
    }
}

/// Paths as users wrote them, or relative to the working directory when absolute.
pub(crate) fn display(p: &Path) -> String {
    let p = CWD
        .as_deref()
        .and_then(|cwd| p.strip_prefix(cwd).ok())
        .unwrap_or(p);
    let s = p.to_string_lossy();
    // One copy: Windows separators are the rare case.
    if s.contains('\\') {
        let s = s.replace('\\', "/");
        return s.strip_prefix("./").map(str::to_string).unwrap_or(s);
    }
    s.strip_prefix("./").unwrap_or(&s).to_string()
}

/// `a/b/../c` → `a/c`, without touching the file system (the path may be in memory).
pub fn normalize(p: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if out.file_name().is_some() => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// A small text file given by name (`--var-file`, `--parameters-file`, samconfig.toml), without
/// the byte-order mark Windows editors write at its start.
pub(crate) fn read_text_file(path: &Path) -> std::io::Result<String> {
    let text = std::fs::read_to_string(path)?;
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    })
}

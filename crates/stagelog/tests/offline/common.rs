//! Helpers shared by the offline CLI tests.

use std::path::Path;

/// Writes a small tree of files under `dir` (parents created).
pub fn write(dir: &Path, files: &[(&str, &str)]) {
    for (name, body) in files {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    }
}

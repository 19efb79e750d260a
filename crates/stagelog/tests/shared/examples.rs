//! stagelog run on the bundled `examples/`: shared by the offline and the live test binaries
//! (each includes this file as a module).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository's root, where `examples/` is.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// The binary run in the root, with a fixed time for reports that carry one.
pub fn stagelog(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stagelog"))
        .args(args)
        .current_dir(root())
        .env("SOURCE_DATE_EPOCH", "1795482123")
        .env_remove("NO_COLOR")
        .output()
        .expect("runs stagelog")
}

/// `scan examples --format FORMAT`, which finds something (exit 1).
pub fn scan(format: &str) -> String {
    let o = stagelog(&["scan", "examples", "--format", format]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// The findings of the JSON report on `examples/`.
pub fn findings() -> Vec<serde_json::Value> {
    let v: serde_json::Value = serde_json::from_str(&scan("json")).unwrap();
    v["findings"].as_array().unwrap().clone()
}

/// A directory copied, hidden entries (`.terraform`) included.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

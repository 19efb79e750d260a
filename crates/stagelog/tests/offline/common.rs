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

/// `stagelog scan --format json ARGS` in `dir`: the exit code and the parsed report.
pub fn scan_json(dir: &Path, args: &[&str]) -> (Option<i32>, serde_json::Value) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_stagelog"))
        .args(["scan", "--format", "json"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code(), report)
}

/// Each finding of a JSON report as `RULE stage`, sorted.
pub fn rule_and_stage(report: &serde_json::Value) -> Vec<String> {
    let mut found: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}",
                f["rule_id"].as_str().unwrap(),
                f["stage"].as_str().unwrap_or("-")
            )
        })
        .collect();
    found.sort();
    found
}

/// `stagelog ARGS` run in `dir`.
pub fn stagelog_in(dir: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_stagelog"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

/// A copy of a fixture tree (hidden directories such as `.terraform` included) in a new
/// temporary directory.
pub fn copy_fixture(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    crate::examples::copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/offline/fixtures")
            .join(name),
        dir.path(),
    );
    dir
}

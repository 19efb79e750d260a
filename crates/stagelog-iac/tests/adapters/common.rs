//! Helpers shared by the integration tests: write a small tree of files, scan it.
#![allow(dead_code)]

use stagelog_iac::scan;
use stagelog_model::Finding;
use stagelog_model::Problem;
use stagelog_rules::{check, Config, Selection};
use std::path::Path;

pub struct Scanned {
    pub findings: Vec<Finding>,
    pub errors: Vec<Problem>,
    pub notes: Vec<String>,
    pub files: usize,
    pub stages: usize,
    pub dir: tempfile::TempDir,
}

impl Scanned {
    /// `RULE resource line` for each finding, sorted: compact and exact for assertions.
    pub fn ids(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .findings
            .iter()
            .map(|f| format!("{} {}", f.rule_id, f.location.resource))
            .collect();
        v.sort();
        v
    }

    pub fn of(&self, rule: &str) -> Vec<&Finding> {
        self.findings.iter().filter(|f| f.rule_id == rule).collect()
    }

    pub fn has(&self, rule: &str, resource: &str) -> bool {
        self.findings
            .iter()
            .any(|f| f.rule_id == rule && f.location.resource == resource)
    }
}

pub fn write(dir: &Path, files: &[(&str, &str)]) {
    for (name, body) in files {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    }
}

/// What these tests judge the adapters by: every rule about stages, their log groups and the
/// account's settings. Rules about how a configuration is organised (what it declares beside
/// what) are judged by their own examples: the fixtures here are written to exercise the
/// adapters, not to be organised well.
pub fn adapters_rules() -> Selection {
    Selection {
        select: vec![],
        ignore: stagelog_rules::registry()
            .iter()
            .filter(|r| r.kind() == stagelog_rules::RuleKind::Configuration)
            .map(|r| r.id.to_string())
            .collect(),
    }
}

pub fn scan_files(files: &[(&str, &str)]) -> Scanned {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), files);
    scan_dir(dir)
}

pub fn scan_dir(dir: tempfile::TempDir) -> Scanned {
    let out = scan(&[dir.path().to_path_buf()]);
    let findings = out
        .inventories
        .iter()
        .flat_map(|inv| check(inv, &Config::default(), &adapters_rules()))
        .collect();
    Scanned {
        findings,
        errors: out.errors,
        notes: out.notes,
        files: out.files,
        stages: out.inventories.iter().map(|i| i.stages.len()).sum(),
        dir,
    }
}

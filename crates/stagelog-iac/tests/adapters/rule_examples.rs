//! Walks every rule's `examples/`: each bad example must give at least one finding of that
//! rule, each good example none, in every source format, and every example must read cleanly.

use stagelog_rules::{check, registry, Config, Selection};
use std::path::Path;

const FORMATS: &[&str] = &["tf", "yaml", "sam.yaml", "serverless.yml"];

fn findings_of(rule: &str, file: &Path) -> Vec<String> {
    // A service file is only read under its own name.
    let out = if file.to_string_lossy().ends_with(".serverless.yml") {
        let src = std::fs::read_to_string(file).unwrap();
        stagelog_iac::scan_sources(&[("serverless.yml", &src)], false)
    } else {
        stagelog_iac::scan(&[file.to_path_buf()])
    };
    assert!(
        out.errors.is_empty(),
        "{}: {:?}",
        file.display(),
        out.errors
    );
    assert_eq!(out.files, 1, "{} was not read as IaC", file.display());
    let sel = Selection {
        select: vec![rule.to_string()],
        ignore: vec![],
    };
    out.inventories
        .iter()
        .flat_map(|inv| check(inv, &Config::default(), &sel))
        .map(|f| {
            format!(
                "{}:{} {}",
                f.rule_id,
                f.location.line.unwrap_or(0),
                f.message
            )
        })
        .collect()
}

#[test]
fn every_rule_has_good_and_bad_examples_that_behave() {
    let mut failures = Vec::new();
    // Live-only rules and SL090 (raised by the suppression pass) have no source examples.
    for rule in registry().iter().filter(|r| r.judges_code()) {
        let dir = rule.examples_dir().expect("judges code");
        for format in FORMATS {
            for kind in ["bad", "good"] {
                let file = dir.join(format!("{kind}.{format}"));
                if !file.exists() {
                    failures.push(format!("{}: missing {}", rule.id, file.display()));
                    continue;
                }
                let found = findings_of(rule.id, &file);
                match kind {
                    "bad" if found.is_empty() => failures.push(format!(
                        "{}: {} gives no {} finding",
                        rule.id,
                        file.display(),
                        rule.id
                    )),
                    "good" if !found.is_empty() => {
                        failures.push(format!("{}: {} gives {:?}", rule.id, file.display(), found))
                    }
                    _ => {}
                }
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

//! As ruff snapshots each fixture: for every rule and source format, what the rule finds in its
//! bad example (line, message, the hint rendered from the remedy) and what `fix` writes (the
//! fixed text, or why a person must do it). The snapshots live in the rule's own folder
//! (`crates/stagelog-rules/src/rules/slNNN/snapshots/`).
use stagelog_fix::{plan, Options};
use stagelog_rules::{check, registry, Config, Selection};

const FORMATS: &[(&str, &str)] = &[
    ("tf", "main.tf"),
    ("yaml", "template.yaml"),
    ("sam.yaml", "template.yaml"),
    ("serverless.yml", "serverless.yml"),
];

fn report(rule: &str, name: &str, src: &str) -> String {
    let scanned = stagelog_iac::scan_sources(&[(name, src)], true);
    assert!(
        scanned.errors.is_empty(),
        "{rule} {name}: {:?}",
        scanned.errors
    );
    let sel = Selection {
        select: vec![rule.to_string()],
        ignore: vec![],
    };
    let mut findings: Vec<_> = scanned
        .inventories
        .iter()
        .flat_map(|inv| check(inv, &Config::default(), &sel))
        .collect();
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let mut out = String::from("## findings\n");
    for f in &findings {
        out.push_str(&format!(
            "{}:{} {} {} [{}]\n    fix: {}\n",
            f.location.line.unwrap_or(0),
            f.location.end_line.unwrap_or(0),
            f.rule_id,
            f.severity,
            f.location.resource,
            stagelog_fix::hint(f).unwrap_or_default()
        ));
        out.push_str(&format!("    {}\n", f.message));
    }
    let opts = Options {
        kms_key: Some("arn:aws:kms:eu-west-1:123456789012:key/example".into()),
        ..Options::default()
    };
    let fixes = plan(&scanned, &findings, &opts);
    assert!(fixes.errors.is_empty(), "{rule} {name}: {:?}", fixes.errors);
    for f in &fixes.files {
        out.push_str(&format!("\n## fixed {}\n{}", f.file, f.after));
    }
    for m in &fixes.manual {
        out.push_str(&format!(
            "\n## needs a person: {}\n{}\n",
            m.resource, m.reason
        ));
    }
    out
}

/// Every rule and format is compared, and every mismatch named at the end: the first one
/// does not hide the others.
#[test]
fn every_rules_bad_examples_findings_and_fixes() {
    let mut mismatched = Vec::new();
    for rule in registry().iter().filter(|r| r.judges_code()) {
        let dir = rule.examples_dir().expect("judges code");
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(dir.parent().unwrap().join("snapshots"));
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        for (format, name) in FORMATS {
            let snapshot = format!("{}-bad.{format}", rule.id.to_lowercase());
            let src = std::fs::read_to_string(dir.join(format!("bad.{format}"))).unwrap();
            let text = report(rule.id, name, &src);
            let compared = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                settings.bind(|| insta::assert_snapshot!(snapshot.clone(), text));
            }));
            if compared.is_err() {
                mismatched.push(snapshot);
            }
        }
    }
    assert!(
        mismatched.is_empty(),
        "snapshots that differ (review with `cargo insta review`): {}",
        mismatched.join(", ")
    );
}

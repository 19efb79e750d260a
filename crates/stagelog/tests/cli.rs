//! The command line on `examples/`: snapshots of what users see, exit codes, and formats.
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn stagelog(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stagelog"))
        .args(args)
        .current_dir(root())
        .env_remove("NO_COLOR")
        .output()
        .expect("runs stagelog")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

#[test]
fn scan_examples_text() {
    let o = stagelog(&["scan", "examples"]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let text = stdout(&o);
    assert!(!text.contains('\x1b'), "no colour when not a terminal");
    insta::assert_snapshot!("scan_examples_text", text);
}

#[test]
fn scan_examples_json_follows_the_contract_and_is_deterministic() {
    let a = stagelog(&["scan", "examples", "--format", "json"]);
    let b = stagelog(&["scan", "examples", "--format", "json"]);
    assert_eq!(a.stdout, b.stdout, "same input, same bytes");
    let v: serde_json::Value = serde_json::from_slice(&a.stdout).unwrap();
    assert_eq!(v["version"], 1);
    let f = &v["findings"][0];
    for key in [
        "rule_id", "severity", "file", "line", "resource", "stage", "api_kind", "message", "fix",
    ] {
        assert!(f.get(key).is_some(), "finding lacks {key}: {f}");
    }
    let n = v["findings"].as_array().unwrap().len() as u64;
    let s = &v["summary"]["findings"];
    assert_eq!(
        s["high"].as_u64().unwrap()
            + s["medium"].as_u64().unwrap()
            + s["low"].as_u64().unwrap()
            + s["info"].as_u64().unwrap(),
        n
    );
    insta::assert_snapshot!("scan_examples_json", stdout(&a));
}

#[test]
fn sarif_is_valid_sarif_with_rules_and_regions() {
    let o = stagelog(&["scan", "examples", "--format", "sarif"]);
    let log: serde_sarif::sarif::Sarif =
        serde_json::from_slice(&o.stdout).expect("parses as SARIF");
    let run = &log.runs[0];
    let rules = run.tool.driver.rules.as_ref().unwrap();
    assert_eq!(rules.len(), stagelog_rules::registry().len());
    let results = run.results.as_ref().unwrap();
    let json: serde_json::Value =
        serde_json::from_slice(&stagelog(&["scan", "examples", "--format", "json"]).stdout)
            .unwrap();
    assert_eq!(results.len(), json["findings"].as_array().unwrap().len());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let loc = &v["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
    assert!(loc["artifactLocation"]["uri"]
        .as_str()
        .unwrap()
        .starts_with("examples/"));
    assert!(loc["region"]["startLine"].as_u64().unwrap() >= 1);
}

#[test]
fn exit_codes_follow_fail_on_and_errors() {
    assert_eq!(
        stagelog(&["scan", "examples", "--fail-on", "none"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        stagelog(&["scan", "examples", "--fail-on", "high"])
            .status
            .code(),
        Some(1)
    );
    let clean = stagelog(&[
        "scan",
        "crates/stagelog-rules/src/rules/sl001/examples/good.tf",
        "--select",
        "SL001",
    ]);
    assert_eq!(clean.status.code(), Some(0), "{}", stdout(&clean));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.tf"), "resource \"x\" {\n").unwrap();
    let bad = stagelog(&[
        "scan",
        dir.path().to_str().unwrap(),
        "examples",
        "--fail-on",
        "none",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stdout(&bad).contains("cannot parse HCL"));
    assert!(
        stdout(&bad).contains("SL001"),
        "findings for the rest are still printed"
    );
    let usage = stagelog(&["scan", "--select", "SL999"]);
    assert_eq!(usage.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&usage.stderr).contains("unknown rule id"));
}

#[test]
fn select_and_ignore() {
    let o = stagelog(&[
        "scan", "examples", "--format", "json", "--select", "SL00", "--ignore", "SL005",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let ids: std::collections::BTreeSet<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids.into_iter().collect::<Vec<_>>(),
        ["SL001", "SL002", "SL003", "SL004"]
    );
}

#[test]
fn output_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.json");
    let o = stagelog(&[
        "scan",
        "examples",
        "-f",
        "json",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.stdout.is_empty());
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap();
    assert_eq!(v["version"], 1);
}

#[test]
fn rules_and_explain() {
    insta::assert_snapshot!("rules", stdout(&stagelog(&["rules"])));
    for rule in stagelog_rules::registry() {
        let o = stagelog(&["explain", &rule.id.to_lowercase()]);
        assert_eq!(o.status.code(), Some(0));
        let text = stdout(&o);
        for section in [
            "## Description",
            "## Rationale",
            "## Impact",
            "## Default value",
            "## Remediation",
            "### Terraform",
            "### CloudFormation",
            "### CLI",
            "### Console",
            "## Backout",
            "## References",
            "## Compliance and peer mapping",
        ] {
            assert!(text.contains(section), "{} lacks {section}", rule.id);
        }
    }
    let sl001 = stdout(&stagelog(&["explain", "SL001"]));
    assert!(sl001.contains("## What `stagelog fix` writes"), "{sl001}");
    assert!(sl001.contains("+  access_log_settings {"), "{sl001}");
    let sl003 = stdout(&stagelog(&["explain", "SL003"]));
    assert!(
        sl003.contains("not fixed automatically: choose the destination"),
        "{sl003}"
    );
    insta::assert_snapshot!("explain_sl001", sl001);
    let o = stagelog(&["explain", "SL999"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no rule `SL999`"));
}

//! `stagelog fix` on Terraform: every rule's bad example and the bundled examples are fixed,
//! the result parses, keeps comments and layout, and a re-scan is clean for what was fixed.

use stagelog_fix::{plan, Options};
use stagelog_rules::{check, registry, Config, Selection};
use std::path::{Path, PathBuf};
use std::process::Command;

fn findings(path: &Path, rule: Option<&str>) -> Vec<stagelog_model::Finding> {
    let sel = Selection {
        select: rule.map(|r| vec![r.to_string()]).unwrap_or_default(),
        ignore: vec![],
    };
    let out = stagelog_iac::scan(&[path.to_path_buf()]);
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    out.inventories
        .iter()
        .flat_map(|inv| check(inv, &Config::default(), &sel))
        // A rule's own example is fixed whatever its severity (SL021 is info by default).
        .filter(|f| rule.is_some() || f.severity > stagelog_model::Severity::Info)
        .collect()
}

#[test]
fn every_rules_bad_terraform_example_is_fixed_or_explained() {
    for rule in registry().iter().filter(|r| r.judges_code()) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("main.tf");
        std::fs::copy(rule.examples_dir().unwrap().join("bad.tf"), &file).unwrap();
        let before = findings(&file, Some(rule.id));
        assert!(!before.is_empty(), "{}", rule.id);
        let fixes = plan(
            &Default::default(),
            &before,
            &Options {
                kms_key: Some("arn:aws:kms:eu-west-1:123456789012:key/test".into()),
                ..Options::default()
            },
        );
        assert!(fixes.errors.is_empty(), "{}: {:?}", rule.id, fixes.errors);
        // What cannot be fixed is listed with a reason; what can is fixed.
        let manual: Vec<_> = fixes.manual.iter().map(|m| m.resource.clone()).collect();
        for f in &fixes.files {
            std::fs::write(&f.file, &f.after).unwrap();
            hcl_parses(&f.after);
        }
        let after = findings(&file, Some(rule.id));
        for f in &after {
            assert!(
                manual.contains(&f.location.resource),
                "{}: still {} after fix:\n{}",
                rule.id,
                f.message,
                std::fs::read_to_string(&file).unwrap()
            );
        }
        if manual.is_empty() {
            assert!(!fixes.files.is_empty(), "{}: nothing fixed", rule.id);
        }
        // Fixing is idempotent: a second plan changes nothing.
        let again = plan(&Default::default(), &after, &Options::default());
        assert!(
            again.files.is_empty(),
            "{}: second fix changes {:?}",
            rule.id,
            again.files
        );
    }
}

fn hcl_parses(src: &str) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("x.tf"), src).unwrap();
    let out = stagelog_iac::scan(&[dir.path().to_path_buf()]);
    assert!(
        out.errors.is_empty(),
        "fixed file does not parse: {:?}\n{src}",
        out.errors
    );
}

fn copy_examples() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/terraform");
    let dest = dir.path().join("terraform");
    for sub in ["rest-api", "http-and-websocket"] {
        std::fs::create_dir_all(dest.join(sub)).unwrap();
        std::fs::copy(
            root.join(sub).join("main.tf"),
            dest.join(sub).join("main.tf"),
        )
        .unwrap();
    }
    (dir, dest)
}

#[test]
fn fix_examples_diff_snapshot_then_write_keeps_comments_and_rescans_clean() {
    let (dir, _) = copy_examples();
    let bin = env!("CARGO_BIN_EXE_stagelog");
    let diff = Command::new(bin)
        .args(["fix", "terraform"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(diff.status.code(), Some(1), "changes to make");
    insta::assert_snapshot!(
        "fix_examples_terraform_diff",
        String::from_utf8(diff.stdout).unwrap()
    );
    let manual = String::from_utf8(diff.stderr).unwrap();
    assert!(
        manual.contains("SL002  aws_apigatewayv2_api.quick"),
        "{manual}"
    );

    let write = Command::new(bin)
        .args(["fix", "terraform", "--write"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(write.status.code(), Some(0));
    let fixed = std::fs::read_to_string(dir.path().join("terraform/rest-api/main.tf")).unwrap();
    assert!(fixed
        .contains("# The dev stage: no access logs, and full request/response logging left on."));
    assert!(fixed.contains("# A REST API with two stages"));
    let rescan = Command::new(bin)
        .args(["scan", "terraform", "--format", "json", "--fail-on", "none"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&rescan.stdout).unwrap();
    // Only what `fix` said needs a person, and informational findings, are left.
    let left: Vec<(String, String, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_string(),
                f["resource"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(left.len() >= 3, "{left:?}");
    for (rule, resource, severity) in &left {
        assert!(
            severity == "info" || manual.contains(&format!("{rule}  {resource}")),
            "{rule} on {resource} ({severity}) is left, and `fix` did not list it for a person:\n{manual}"
        );
    }
    let second = Command::new(bin)
        .args(["fix", "terraform"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        second.stdout.is_empty(),
        "idempotent: {}",
        String::from_utf8_lossy(&second.stdout)
    );
}

/// A file saved by a Windows editor (byte-order mark, CRLF) is fixed in its own terms: the
/// mark is kept, every line a fix adds ends in CRLF, and Terraform reads the result.
#[test]
fn a_windows_file_keeps_its_byte_order_mark_and_line_endings() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("main.tf");
    std::fs::write(
        &file,
        "\u{feff}# orders API\r\nresource \"aws_api_gateway_stage\" \"prod\" {\r\n  rest_api_id   = \"abc\"\r\n  deployment_id = \"dep\"\r\n  stage_name    = \"prod\"\r\n}\r\n",
    )
    .unwrap();
    let fixed = Command::new(env!("CARGO_BIN_EXE_stagelog"))
        .args(["fix", ".", "--write", "--select", "SL001"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        fixed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&fixed.stderr)
    );
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.starts_with("\u{feff}# orders API\r\n"), "{text:?}");
    assert!(text.contains("access_log_settings"), "{text}");
    let lines = text.split_inclusive('\n').count();
    assert!(lines > 6, "{text}");
    assert!(
        text.split_inclusive('\n').all(|l| l.ends_with("\r\n")),
        "a line without CR: {text:?}"
    );
    // Rescanned (mark and all), SL001 is gone and nothing is an error.
    let rescan = Command::new(env!("CARGO_BIN_EXE_stagelog"))
        .args(["scan", ".", "--select", "SL001", "--format", "json"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&rescan.stdout).unwrap();
    assert_eq!(json["errors"], serde_json::json!([]), "{json}");
    assert_eq!(json["findings"], serde_json::json!([]), "{json}");
}

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
/// Files saved by Windows editors (a byte-order mark, CRLF) keep both in every format: the
/// lines a fix adds end in CRLF too, and the file reads back clean.
#[test]
fn a_windows_file_keeps_its_byte_order_mark_and_line_endings_in_every_format() {
    let cases = [
        (
            "main.tf",
            "# orders API\nresource \"aws_api_gateway_stage\" \"prod\" {\n  rest_api_id   = \"abc\"\n  deployment_id = \"dep\"\n  stage_name    = \"prod\"\n}\n",
            "SL001",
            "access_log_settings",
        ),
        (
            "template.yaml",
            "# orders API\nAWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::Serverless-2016-10-31\nResources:\n  Orders:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: prod\n      OpenApiVersion: '3.0.1'\n",
            "SL001",
            "AccessLogSetting:",
        ),
        (
            "serverless.yml",
            "# orders service\nservice: orders\nprovider:\n  name: aws\n  runtime: nodejs20.x\nfunctions:\n  list:\n    handler: handler.list\n    events:\n      - http: GET /orders\n",
            "SL001",
            "fullExecutionData: false",
        ),
    ];
    for (name, text, rule, added) in cases {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(name);
        let windows = format!("\u{feff}{}", text.replace('\n', "\r\n"));
        std::fs::write(&file, &windows).unwrap();
        let fixed = stagelog_in(dir.path(), &["fix", ".", "--write", "--select", rule]);
        assert_eq!(
            fixed.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&fixed.stderr)
        );
        let after = std::fs::read_to_string(&file).unwrap();
        let first_line = windows.split_inclusive('\n').next().unwrap();
        assert!(after.starts_with(first_line), "{name}: {after:?}");
        assert!(after.contains(added), "{name}: {after}");
        assert!(
            after.split_inclusive('\n').count() > windows.split_inclusive('\n').count(),
            "{name}: {after}"
        );
        assert!(
            after.split_inclusive('\n').all(|l| l.ends_with("\r\n")),
            "{name}: a line without CR: {after:?}"
        );
        // Rescanned (mark and all), the finding is gone and nothing is an error.
        let (_, json) = crate::common::scan_json(dir.path(), &[".", "--select", rule]);
        assert_eq!(json["errors"], serde_json::json!([]), "{name}: {json}");
        assert_eq!(json["findings"], serde_json::json!([]), "{name}: {json}");
    }
}

use crate::common::stagelog_in;

const HTTP_STAGE_MODULE: &str = r#"variable "name" {
  type = string
}

variable "stage" {
  type    = string
  default = "$default"
}

resource "aws_apigatewayv2_api" "this" {
  name          = var.name
  protocol_type = "HTTP"
}

# One stage per service.
resource "aws_apigatewayv2_stage" "this" {
  api_id      = aws_apigatewayv2_api.this.id
  name        = var.stage
  auto_deploy = true
}
"#;

/// A module called from two roots, three times: one edit in the module fixes every instance,
/// written in the module's own terms (no caller's value in shared code), and what it writes
/// is read back clean; a second run changes nothing.
#[test]
fn a_module_called_from_several_roots_is_fixed_once_in_its_own_terms() {
    let dir = tempfile::tempdir().unwrap();
    let call = |name: &str, stage: Option<&str>| {
        format!(
            "module \"{name}\" {{\n  source = \"../../modules/http-stage\"\n  name   = \"{name}\"\n{}}}\n\n",
            stage.map(|s| format!("  stage  = \"{s}\"\n")).unwrap_or_default()
        )
    };
    let prod = format!("{}{}", call("orders", None), call("billing", Some("v1")));
    let dev = call("orders", Some("dev"));
    crate::common::write(
        dir.path(),
        &[
            ("modules/http-stage/main.tf", HTTP_STAGE_MODULE),
            ("envs/prod/main.tf", &prod),
            ("envs/dev/main.tf", &dev),
        ],
    );
    let fixed = stagelog_in(dir.path(), &["fix", ".", "--write", "--select", "SL002"]);
    let (out, err) = (
        String::from_utf8_lossy(&fixed.stdout),
        String::from_utf8_lossy(&fixed.stderr),
    );
    assert_eq!(fixed.status.code(), Some(0), "{out}{err}");
    assert_eq!(out.trim(), "fixed modules/http-stage/main.tf", "{err}");
    let module = std::fs::read_to_string(dir.path().join("modules/http-stage/main.tf")).unwrap();
    assert_eq!(
        module.matches("access_log_settings {").count(),
        1,
        "{module}"
    );
    assert_eq!(
        module
            .matches("resource \"aws_cloudwatch_log_group\" \"this_access_logs\"")
            .count(),
        1,
        "{module}"
    );
    assert!(
        module.contains(
            "name              = \"/aws/vendedlogs/apigateway/${replace(aws_apigatewayv2_api.this.name, \" \", \"-\")}/${trimprefix(var.stage, \"$\")}\""
        ),
        "{module}"
    );
    for caller_value in ["orders", "billing", "/dev", "/v1"] {
        assert!(!module.contains(caller_value), "{caller_value}: {module}");
    }
    // The callers are untouched; read back, every instance logs, and nothing is an error.
    assert_eq!(
        std::fs::read_to_string(dir.path().join("envs/dev/main.tf")).unwrap(),
        dev
    );
    let rescan = stagelog_in(
        dir.path(),
        &["scan", ".", "--format", "json", "--fail-on", "none"],
    );
    let json: serde_json::Value = serde_json::from_slice(&rescan.stdout).unwrap();
    assert_eq!(json["errors"], serde_json::json!([]), "{json}");
    let rules: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    assert!(!rules.contains(&"SL002"), "{rules:?}");
    // Each instance has its own group: the names differ by caller.
    let groups: std::collections::BTreeSet<String> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "SL021")
        .map(|f| {
            f["message"]
                .as_str()
                .unwrap()
                .split('`')
                .nth(1)
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        groups.into_iter().collect::<Vec<_>>(),
        [
            "/aws/vendedlogs/apigateway/billing/v1",
            "/aws/vendedlogs/apigateway/orders/default",
            "/aws/vendedlogs/apigateway/orders/dev",
        ]
    );
    let again = stagelog_in(dir.path(), &["fix", ".", "--select", "SL002"]);
    assert!(
        again.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&again.stdout)
    );
    assert_eq!(again.status.code(), Some(0));
}

/// A new log group takes a name the file does not use yet.
#[test]
fn a_new_log_group_does_not_take_a_name_the_file_uses() {
    let dir = tempfile::tempdir().unwrap();
    let main = r#"resource "aws_apigatewayv2_api" "this" {
  name          = "orders"
  protocol_type = "HTTP"
}

resource "aws_apigatewayv2_stage" "this" {
  api_id = aws_apigatewayv2_api.this.id
  name   = "prod"
}

# Named by an earlier hand edit, for something else.
resource "aws_cloudwatch_log_group" "this_access_logs" {
  name              = "/orders/legacy"
  retention_in_days = 365
}
"#;
    crate::common::write(dir.path(), &[("main.tf", main)]);
    let o = stagelog_in(dir.path(), &["fix", ".", "--write", "--select", "SL002"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let after = std::fs::read_to_string(dir.path().join("main.tf")).unwrap();
    assert!(
        after.contains("destination_arn = aws_cloudwatch_log_group.this_access_logs2.arn")
            && after.contains("resource \"aws_cloudwatch_log_group\" \"this_access_logs2\"")
            && after.contains("name              = \"/orders/legacy\""),
        "{after}"
    );
    let rescan = stagelog_in(
        dir.path(),
        &["scan", ".", "--format", "json", "--select", "SL002"],
    );
    let json: serde_json::Value = serde_json::from_slice(&rescan.stdout).unwrap();
    assert_eq!(json["errors"], serde_json::json!([]), "{json}");
    assert_eq!(json["findings"], serde_json::json!([]), "{json}");
}

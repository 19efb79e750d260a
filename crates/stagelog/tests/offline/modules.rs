//! A finding inside a module, through the command line: the call sites in JSON, text and
//! SARIF, and `fix` pointing at the caller when the module's input decides.
use crate::common;
use std::process::Command;

const MODULE: &str = r#"
variable "api_id" {
  type = string
}

variable "access_log_group_arn" {
  type    = string
  default = null
}

resource "aws_apigatewayv2_stage" "this" {
  api_id = var.api_id
  name   = "$default"

  dynamic "access_log_settings" {
    for_each = var.access_log_group_arn == null ? [] : [var.access_log_group_arn]
    content {
      destination_arn = access_log_settings.value
      format          = jsonencode({ requestId = "$context.requestId" })
    }
  }
}
"#;

const ROOT: &str = r#"
resource "aws_apigatewayv2_api" "billing" {
  name          = "billing"
  protocol_type = "HTTP"
}

module "billing_stage" {
  source = "../modules/stage"
  api_id = aws_apigatewayv2_api.billing.id
}
"#;

fn stagelog(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_stagelog"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

#[test]
fn call_sites_in_every_report_and_fix_points_at_the_caller() {
    let dir = tempfile::tempdir().unwrap();
    common::write(
        dir.path(),
        &[("modules/stage/main.tf", MODULE), ("billing/main.tf", ROOT)],
    );
    let json = stagelog(
        dir.path(),
        &["scan", ".", "-f", "json", "--select", "SL002"],
    );
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let f = &v["findings"][0];
    assert_eq!(
        f["resource"],
        "module.billing_stage.aws_apigatewayv2_stage.this"
    );
    assert_eq!(f["file"], "modules/stage/main.tf");
    assert_eq!(
        f["via"],
        serde_json::json!([{"file": "billing/main.tf", "line": 7, "call": "module.billing_stage"}])
    );
    let text = String::from_utf8(stagelog(dir.path(), &["scan", ".", "--select", "SL002"]).stdout)
        .unwrap();
    assert!(
        text.contains("via: billing/main.tf:7 (module.billing_stage)"),
        "{text}"
    );
    let sarif = stagelog(
        dir.path(),
        &["scan", ".", "-f", "sarif", "--select", "SL002"],
    );
    let v: serde_json::Value = serde_json::from_slice(&sarif.stdout).unwrap();
    let related = &v["runs"][0]["results"][0]["relatedLocations"][0];
    assert_eq!(
        related["physicalLocation"]["artifactLocation"]["uri"],
        "billing/main.tf"
    );
    assert_eq!(related["physicalLocation"]["region"]["startLine"], 7);
    // The module sets access logs through a dynamic block its input feeds: fix says where.
    let fix = stagelog(dir.path(), &["fix", ".", "--select", "SL002"]);
    assert!(
        fix.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&fix.stdout)
    );
    let err = String::from_utf8_lossy(&fix.stderr);
    assert!(
        err.contains(
            "set them where the module is called (billing/main.tf:7 (module.billing_stage))"
        ),
        "{err}"
    );
}

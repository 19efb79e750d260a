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

/// `scan` judges each inventory as soon as it is read; a root module beside a plan file must
/// still wait for the plan, so each resource is reported once, on the plan's values, at its
/// `.tf` line — while a root elsewhere in the tree is judged on its own.
#[test]
fn a_plan_beside_its_sources_is_merged_before_judging_in_scan() {
    const CONFIG: &str = r#"resource "aws_cloudwatch_log_group" "access" {
  name              = "/aws/vendedlogs/apigateway/orders/prod"
  retention_in_days = var.retention_days
}

variable "retention_days" {
  type = number
}

resource "aws_api_gateway_stage" "prod" {
  rest_api_id   = var.rest_api_id
  deployment_id = var.deployment_id
  stage_name    = "prod"

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format          = jsonencode({ requestId = "$context.requestId" })
  }
}

variable "rest_api_id" {
  type = string
}

variable "deployment_id" {
  type = string
}
"#;
    const PLAN: &str = r#"{
  "format_version": "1.2",
  "planned_values": {
    "root_module": {
      "resources": [
        {
          "address": "aws_cloudwatch_log_group.access",
          "mode": "managed",
          "type": "aws_cloudwatch_log_group",
          "name": "access",
          "values": { "name": "/aws/vendedlogs/apigateway/orders/prod", "retention_in_days": 30 }
        },
        {
          "address": "aws_api_gateway_stage.prod",
          "mode": "managed",
          "type": "aws_api_gateway_stage",
          "name": "prod",
          "values": {
            "stage_name": "prod",
            "rest_api_id": "a1b2c3",
            "access_log_settings": [ { "format": "{\"requestId\":\"$context.requestId\"}" } ]
          }
        }
      ]
    }
  },
  "resource_changes": [
    {
      "address": "aws_api_gateway_stage.prod",
      "change": {
        "actions": ["create"],
        "after_unknown": { "access_log_settings": [ { "destination_arn": true } ] }
      }
    }
  ],
  "configuration": {
    "root_module": {
      "resources": [
        {
          "address": "aws_api_gateway_stage.prod",
          "expressions": {
            "access_log_settings": [
              { "destination_arn": { "references": ["aws_cloudwatch_log_group.access.arn", "aws_cloudwatch_log_group.access"] } }
            ]
          }
        }
      ]
    }
  }
}
"#;
    let dir = tempfile::tempdir().unwrap();
    common::write(
        dir.path(),
        &[
            ("orders/main.tf", CONFIG),
            ("orders/tfplan.json", PLAN),
            ("modules/stage/main.tf", MODULE),
            ("billing/main.tf", ROOT),
        ],
    );
    let (_, report) = common::scan_json(dir.path(), &[".", "--select", "SL020,SL002"]);
    let found: Vec<(String, String, u64, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_string(),
                f["file"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(
        (found[0].0.as_str(), found[0].1.as_str(), found[0].2),
        ("SL002", "modules/stage/main.tf", 11),
        "{found:?}"
    );
    // Once, judged on the plan's 30 days (the source only says var.retention_days), at the
    // .tf file and line.
    assert_eq!(
        (found[1].0.as_str(), found[1].1.as_str(), found[1].2),
        ("SL020", "orders/main.tf", 1),
        "{found:?}"
    );
    assert!(found[1].3.contains("30"), "{}", found[1].3);
}

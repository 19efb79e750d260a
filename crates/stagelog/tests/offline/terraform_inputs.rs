//! Terraform variable values from outside, as `terraform plan` takes them: `TF_VAR_name`, the
//! directory's tfvars files, `--var-file` (HCL and JSON) and `--var`, in Terraform's order.
use crate::common;
use std::process::Command;

const MODULE: &str = r#"
variable "stage_name" {
  type    = string
  default = "dev"
}

variable "log_level" {
  type    = string
  default = "OFF"
}

variable "stages" {
  type    = list(string)
  default = []
}

resource "aws_api_gateway_stage" "main" {
  rest_api_id   = "a1"
  deployment_id = "d1"
  stage_name    = var.stage_name
}

resource "aws_api_gateway_stage" "extra" {
  for_each      = toset(var.stages)
  rest_api_id   = "a1"
  deployment_id = "d1"
  stage_name    = each.key
}

resource "aws_api_gateway_method_settings" "all" {
  rest_api_id = "a1"
  stage_name  = aws_api_gateway_stage.main.stage_name
  method_path = "*/*"

  settings {
    logging_level = var.log_level
  }
}
"#;

/// The SL001 findings' stage names and whether SL010 fires, under these inputs.
fn run(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> (Vec<String>, bool) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_stagelog"));
    cmd.args(["scan", ".", "--format", "json", "--select", "SL001,SL010"])
        .args(args)
        .current_dir(dir);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    let findings = v["findings"].as_array().unwrap();
    let mut stages: Vec<String> = findings
        .iter()
        .filter(|f| f["rule_id"] == "SL001")
        .map(|f| f["stage"].as_str().unwrap().to_string())
        .collect();
    stages.sort();
    (stages, findings.iter().any(|f| f["rule_id"] == "SL010"))
}

#[test]
fn values_from_outside_follow_terraforms_precedence() {
    let dir = tempfile::tempdir().unwrap();
    common::write(dir.path(), &[("main.tf", MODULE)]);
    assert_eq!(run(dir.path(), &[], &[]), (vec!["dev".into()], true));
    // TF_VAR_ in the environment.
    let env = [("TF_VAR_stage_name", "qa"), ("TF_VAR_log_level", "INFO")];
    assert_eq!(run(dir.path(), &[], &env), (vec!["qa".into()], false));
    // terraform.tfvars wins over the environment; *.auto.tfvars over terraform.tfvars.
    common::write(
        dir.path(),
        &[
            // Named to sort before terraform.tfvars, which it still overrides.
            ("terraform.tfvars", "stage_name = \"staging\"\n"),
            ("a.auto.tfvars.json", "{\"stage_name\": \"auto\"}\n"),
        ],
    );
    assert_eq!(run(dir.path(), &[], &env).0, ["auto"]);
    // --var-file, then --var, win over all of them; lists are HCL.
    common::write(
        dir.path(),
        &[(
            "prod.tfvars",
            "stage_name = \"prod\"\nlog_level = \"ERROR\"\n",
        )],
    );
    let args = ["--var-file", "prod.tfvars"];
    assert_eq!(run(dir.path(), &args, &env), (vec!["prod".into()], false));
    let args = [
        "--var-file",
        "prod.tfvars",
        "--var",
        "stage_name=live",
        "--var",
        "stages=[\"eu\", \"us\"]",
    ];
    // (The two extra stages have no method settings: execution logging is off there.)
    assert_eq!(
        run(dir.path(), &args, &[]),
        (vec!["eu".into(), "live".into(), "us".into()], true)
    );
}

#[test]
fn bad_inputs_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    common::write(dir.path(), &[("main.tf", MODULE)]);
    for args in [
        &["--var", "no-equals"][..],
        &["--var-file", "missing.tfvars"][..],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_stagelog"))
            .args(["scan", "."])
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!out.stderr.is_empty());
    }
}

#[test]
fn var_and_var_file_apply_in_command_line_order() {
    let dir = tempfile::tempdir().unwrap();
    common::write(
        dir.path(),
        &[
            ("main.tf", MODULE),
            ("prod.tfvars", "log_level = \"OFF\"\n"),
        ],
    );
    // The later one wins, whichever kind it is.
    assert!(
        run(
            dir.path(),
            &["--var", "log_level=INFO", "--var-file", "prod.tfvars"],
            &[]
        )
        .1
    );
    assert!(
        !run(
            dir.path(),
            &["--var-file=prod.tfvars", "--var=log_level=INFO"],
            &[]
        )
        .1
    );
}

//! The one pipeline: `fix` follows the same policy as `scan`, usage errors stop before
//! anything is written, and reports scale to a real repository. Each test here failed before
//! the pipeline redesign.
use crate::common;

use std::path::Path;
use std::process::{Command, Output};

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stagelog"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const MODULE: &str = r#"
resource "aws_api_gateway_rest_api" "orders" {
  name = "orders"
}

resource "aws_cloudwatch_log_group" "access" {
  name              = "/aws/vendedlogs/apigateway/orders/prod"
  retention_in_days = 365
}

resource "aws_api_gateway_stage" "prod" {
  rest_api_id   = aws_api_gateway_rest_api.orders.id
  deployment_id = "d1"
  stage_name    = "prod"

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format          = jsonencode({ requestId = "$context.requestId", ip = "$context.identity.sourceIp", caller = "$context.identity.caller", user = "$context.identity.user", requestTime = "$context.requestTime", httpMethod = "$context.httpMethod", resourcePath = "$context.resourcePath", status = "$context.status", protocol = "$context.protocol", responseLength = "$context.responseLength" })
  }
}

resource "aws_api_gateway_method_settings" "all" {
  rest_api_id = aws_api_gateway_rest_api.orders.id
  stage_name  = aws_api_gateway_stage.prod.stage_name
  method_path = "*/*"

  settings {
    logging_level = "ERROR"
  }
}
"#;

#[test]
fn fix_follows_the_policy_that_scan_follows() {
    let dir = tempfile::tempdir().unwrap();
    common::write(
        dir.path(),
        &[
            ("main.tf", MODULE),
            (
                "stagelog.toml",
                "min_retention_days = 400\nexecution_level = \"INFO\"\n",
            ),
        ],
    );
    let scan = text(&run(dir.path(), &["scan", "."]).stdout);
    assert!(
        scan.contains("fewer than the required 400") && scan.contains("wants INFO"),
        "{scan}"
    );
    let fix = run(dir.path(), &["fix", "."]);
    let diff = text(&fix.stdout);
    assert_eq!(fix.status.code(), Some(1), "{}", text(&fix.stderr));
    assert!(
        diff.contains("+  retention_in_days = 400")
            && diff.contains("+    logging_level = \"INFO\""),
        "{diff}"
    );
    // --config names another policy; the command line wins over both.
    std::fs::write(dir.path().join("other.toml"), "min_retention_days = 731\n").unwrap();
    let diff = text(&run(dir.path(), &["fix", ".", "--config", "other.toml"]).stdout);
    assert!(diff.contains("retention_in_days = 731"), "{diff}");
    let diff = text(&run(dir.path(), &["fix", ".", "--retention-days", "545"]).stdout);
    assert!(diff.contains("retention_in_days = 545"), "{diff}");
    // Fixed, then scanned with the same policy: nothing left but the informational reminders.
    assert_eq!(
        run(dir.path(), &["fix", ".", "--write"]).status.code(),
        Some(0)
    );
    let after = run(dir.path(), &["scan", "."]);
    assert_eq!(after.status.code(), Some(0), "{}", text(&after.stdout));
}

#[test]
fn waived_findings_are_not_fixed() {
    let dir = tempfile::tempdir().unwrap();
    common::write(
        dir.path(),
        &[
            ("main.tf", &MODULE.replace("retention_in_days = 365", "retention_in_days = 30")),
            (
                "stagelog.toml",
                "[[waiver]]\nrule = \"SL020\"\nresource = \"aws_cloudwatch_log_group.access\"\nreason = \"short-lived sandbox\"\n",
            ),
        ],
    );
    let fix = run(dir.path(), &["fix", "."]);
    assert_eq!(fix.status.code(), Some(0), "{}", text(&fix.stdout));
    assert!(fix.stdout.is_empty());
}

#[test]
fn retention_values_cloudwatch_rejects_are_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let bad = MODULE.replace("retention_in_days = 365", "retention_in_days = 30");
    common::write(dir.path(), &[("main.tf", &bad)]);
    let o = run(
        dir.path(),
        &["fix", ".", "--write", "--retention-days", "100"],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(err.contains("next allowed value is 120"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("main.tf")).unwrap(),
        bad
    );
    // A minimum in the policy is rounded up to the next allowed value.
    std::fs::write(
        dir.path().join("stagelog.toml"),
        "min_retention_days = 100\n",
    )
    .unwrap();
    let diff = text(&run(dir.path(), &["fix", "."]).stdout);
    assert!(diff.contains("retention_in_days = 120"), "{diff}");
}

#[test]
fn log_group_names_fill_placeholders_and_refuse_typos() {
    let dir = tempfile::tempdir().unwrap();
    let no_access = MODULE.replace(
        "  access_log_settings {\n    destination_arn = aws_cloudwatch_log_group.access.arn\n",
        "  dynamic_placeholder {\n    x = 1\n",
    );
    common::write(dir.path(), &[("main.tf", &no_access)]);
    let o = run(dir.path(), &["fix", ".", "--log-group-name", "/logs/{nme}"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("unknown placeholder `{nme}`"));
    let diff = text(
        &run(
            dir.path(),
            &[
                "fix",
                ".",
                "--log-group-name",
                "/logs/{api-name}/{stage}/{api}",
            ],
        )
        .stdout,
    );
    assert!(
        diff.contains("\"/logs/orders/prod/${aws_api_gateway_rest_api.orders.id}\""),
        "{diff}"
    );
    // CloudFormation names the group with the flag too.
    let cfn = dir.path().join("cfn");
    common::write(
        &cfn,
        &[(
            "t.yaml",
            "Resources:\n  Api:\n    Type: AWS::ApiGateway::RestApi\n    Properties:\n      Name: shop\n  Prod:\n    Type: AWS::ApiGateway::Stage\n    Properties:\n      RestApiId: !Ref Api\n      DeploymentId: d1\n      StageName: live\n",
        )],
    );
    let diff = text(
        &run(
            &cfn,
            &["fix", ".", "--log-group-name", "/logs/{api-name}/{stage}"],
        )
        .stdout,
    );
    assert!(diff.contains("LogGroupName: /logs/shop/live"), "{diff}");
}

#[test]
fn execution_logging_without_an_account_role_is_said() {
    let dir = tempfile::tempdir().unwrap();
    let off = MODULE.replace("logging_level = \"ERROR\"", "logging_level = \"OFF\"");
    common::write(dir.path(), &[("main.tf", &off)]);
    let o = run(dir.path(), &["fix", "."]);
    assert!(
        text(&o.stderr).contains("sets no API Gateway account CloudWatch role (SL030)"),
        "{}",
        text(&o.stderr)
    );
}

/// Two SAM templates, each with its implicit `ServerlessRestApi`: one logs, one does not.
fn two_sam_templates(dir: &Path) {
    let template = |access: &str| {
        format!(
            "Transform: AWS::Serverless-2016-10-31\nGlobals:\n  Api:\n    OpenApiVersion: '3.0.1'\n{access}Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: index.handler\n      Runtime: python3.12\n      Events:\n        Get:\n          Type: Api\n          Properties:\n            Path: /\n            Method: get\n"
        )
    };
    common::write(
        dir,
        &[
            ("a/template.yaml", &template("")),
            (
                "b/template.yaml",
                &template("    AccessLogSetting:\n      DestinationArn: arn:aws:logs:eu-west-1:123456789012:log-group:b\n      Format: '$context.requestId'\n"),
            ),
            ("c/template.yaml", "Resources:\n  X:\n    Type: AWS::ApiGateway::Stage\n    Properties: [\n"),
        ],
    );
}

#[test]
fn junit_is_well_formed_with_errors_and_tells_stages_apart_by_file() {
    let dir = tempfile::tempdir().unwrap();
    two_sam_templates(dir.path());
    let o = run(
        dir.path(),
        &["scan", ".", "--format", "junit", "--select", "SL001"],
    );
    assert_eq!(o.status.code(), Some(2));
    let xml = text(&o.stdout);
    let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    let case = |file: &str| {
        doc.descendants()
            .find(|n| n.has_tag_name("testcase") && n.attribute("file") == Some(file))
            .unwrap_or_else(|| panic!("no case for {file}:\n{xml}"))
    };
    let failed = |n: roxmltree::Node| n.children().any(|c| c.has_tag_name("failure"));
    assert!(failed(case("a/template.yaml")), "{xml}");
    assert!(!failed(case("b/template.yaml")), "{xml}");
    assert!(
        doc.descendants()
            .any(|n| n.has_tag_name("testsuite") && n.attribute("name") == Some("unreadable")),
        "{xml}"
    );
}

#[test]
fn reports_scale_exclude_severity_markdown_output_dir_quiet() {
    let dir = tempfile::tempdir().unwrap();
    // 400 unlogged stages: hundreds of findings.
    let mut tf = String::new();
    for i in 0..400 {
        tf.push_str(&format!(
            "resource \"aws_api_gateway_stage\" \"s{i}\" {{\n  rest_api_id   = \"api{i}\"\n  deployment_id = \"d\"\n  stage_name    = \"prod\"\n}}\n"
        ));
    }
    common::write(
        dir.path(),
        &[
            ("infra/main.tf", &tf),
            (
                "templates/{{cookiecutter.name}}/main.tf",
                "resource \"aws_api_gateway_stage\" {{ broken",
            ),
            (
                "vendor/main.tf",
                "resource \"aws_api_gateway_stage\" {{ broken",
            ),
            // Broken but about nothing stagelog judges: read past, never an error.
            (
                "lambda/main.tf",
                "resource \"aws_lambda_function\" {{ broken",
            ),
            ("stagelog.toml", "exclude = [\"vendor\"]\n"),
        ],
    );
    // Unreadable cookiecutter templates: excluded, the scan exits on findings, not errors.
    let o = run(dir.path(), &["scan", "."]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stdout));
    let o = run(dir.path(), &["scan", ".", "--exclude", "templates/**"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stdout));
    let out = text(&o.stdout);
    assert!(
        out.contains("By rule:") && out.contains("SL001  high      400"),
        "{out}"
    );
    // --severity filters what is shown; --fail-on still sees everything.
    let o = run(
        dir.path(),
        &[
            "scan",
            ".",
            "--exclude",
            "templates",
            "--severity",
            "medium",
            "--format",
            "json",
        ],
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let findings = v["findings"].as_array().unwrap();
    assert!(!findings.is_empty() && findings.iter().all(|f| f["severity"] == "medium"));
    assert_eq!(o.status.code(), Some(1));
    // Markdown fits a pull-request comment.
    let md = text(
        &run(
            dir.path(),
            &["scan", ".", "--exclude", "templates", "-f", "markdown"],
        )
        .stdout,
    );
    assert!(md.chars().count() <= 65_536, "{}", md.len());
    assert!(md.contains("more findings not shown here"), "{md}");
    // --output-dir names what it wrote; -q does not.
    let reports = dir.path().join("reports");
    let o = run(
        dir.path(),
        &[
            "scan",
            "infra",
            "-f",
            "json,sarif",
            "--output-dir",
            reports.to_str().unwrap(),
        ],
    );
    let err = text(&o.stderr);
    assert!(
        err.contains("stagelog.json") && err.contains("stagelog.sarif"),
        "{err}"
    );
    let o = run(
        dir.path(),
        &[
            "-q",
            "scan",
            "infra",
            "-f",
            "json,sarif",
            "--output-dir",
            reports.to_str().unwrap(),
        ],
    );
    assert!(o.stderr.is_empty());
}

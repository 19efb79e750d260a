//! Policy: stagelog.toml (found upward, or --config), inline suppressions in every form the
//! issue names (stagelog's own, Checkov, Trivy/tfsec, cfn_nag; HCL comments and CloudFormation
//! Metadata), waivers active and expired, missing reasons, severity overrides, --compliance,
//! and suppressed findings in JSON, SARIF and text.
use serde_json::Value;
use std::process::Command;

const TF: &str = r#"# stagelog:ignore SL001 -- internal health API, logged at the ALB
resource "aws_api_gateway_stage" "inline" {
  rest_api_id   = "x"
  deployment_id = "y"
  stage_name    = "inline"
}

resource "aws_api_gateway_stage" "checkov" {
  #checkov:skip=CKV_AWS_76:access logs come from CloudFront
  #checkov:skip=CKV2_AWS_4
  rest_api_id   = "x"
  deployment_id = "y"
  stage_name    = "checkov"
}

#trivy:ignore:AVD-AWS-0001 legacy, replaced in Q2
resource "aws_api_gateway_stage" "trivy" {
  rest_api_id   = "x"
  deployment_id = "y"
  stage_name    = "trivy"
}

resource "aws_api_gateway_stage" "tfsec" { #tfsec:ignore:aws-api-gateway-enable-access-logging sandbox
  rest_api_id   = "x"
  deployment_id = "y"
  stage_name    = "tfsec"
}

resource "aws_api_gateway_stage" "waived" {
  rest_api_id   = "x"
  deployment_id = "y"
  stage_name    = "waived"
}

resource "aws_api_gateway_stage" "expired" {
  rest_api_id   = "x"
  deployment_id = "y"
  stage_name    = "expired"
}

resource "aws_api_gateway_stage" "plain" {
  rest_api_id   = "x"
  deployment_id = "y"
  stage_name    = "plain"
}
"#;

const CFN: &str = r#"Resources:
  Own:
    Type: AWS::ApiGateway::Stage
    Metadata:
      stagelog:
        ignore:
          - id: SL001
            reason: synthetic canary stage
    Properties: {RestApiId: x, DeploymentId: y, StageName: own}
  Peers:
    Type: AWS::ApiGateway::Stage
    Metadata:
      checkov:
        skip:
          - id: CKV_AWS_76
            comment: logs at the edge
    Properties: {RestApiId: x, DeploymentId: y, StageName: peers}
  # cfn_nag's W45: a Deployment's stage without access logs (SL001, not execution logging).
  Dep:
    Type: AWS::ApiGateway::Deployment
    Metadata:
      cfn_nag:
        rules_to_suppress:
          - id: W45
            reason: the deployment stage is replaced by Own
    Properties:
      RestApiId: x
      StageName: dep
      StageDescription:
        LoggingLevel: ERROR
  NoReason:
    Type: AWS::ApiGateway::Stage
    Metadata:
      cfn_nag:
        rules_to_suppress:
          - id: W69
    Properties: {RestApiId: x, DeploymentId: y, StageName: noreason}
"#;

const TOML: &str = r#"
ignore = ["SL030"]

[severity]
SL010 = "low"

[[waiver]]
rule = "SL001"
resource = "aws_api_gateway_stage.waived"
reason = "migration ticket OPS-42"
expires = "2099-12-31"

[[waiver]]
rule = "SL00"
resource = "*.expired"
reason = "was only for the launch"
expires = "2026-01-31"
"#;

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("infra/api")).unwrap();
    std::fs::write(dir.path().join("infra/api/main.tf"), TF).unwrap();
    std::fs::write(dir.path().join("infra/api/stages.yaml"), CFN).unwrap();
    // Found upward from the scanned path.
    std::fs::write(dir.path().join("stagelog.toml"), TOML).unwrap();
    dir
}

fn stagelog(dir: &std::path::Path, args: &[&str]) -> (String, String, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_stagelog"))
        .args(args)
        .current_dir(dir)
        .env("SOURCE_DATE_EPOCH", "1795482123") // 2026-11-24
        .output()
        .unwrap();
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
        out.status.code().unwrap_or(-1),
    )
}

fn key(f: &Value) -> String {
    let stage = f["stage"].as_str().unwrap_or("-");
    format!("{} {}", f["rule_id"].as_str().unwrap(), stage)
}

#[test]
fn every_mark_and_waiver() {
    let dir = project();
    let (out, err, code) = stagelog(&dir.path().join("infra"), &["scan", ".", "-f", "json"]);
    assert_eq!(code, 1, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let mut suppressed: Vec<String> = v["suppressed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            format!(
                "{} by {} ({})",
                key(s),
                s["by"].as_str().unwrap(),
                s["reason"].as_str().unwrap_or("no reason")
            )
        })
        .collect();
    suppressed.sort();
    assert_eq!(
        suppressed,
        [
            "SL001 checkov by checkov (access logs come from CloudFront)",
            "SL001 dep by cfn_nag (the deployment stage is replaced by Own)",
            "SL001 inline by inline (internal health API, logged at the ALB)",
            "SL001 noreason by cfn_nag (no reason)",
            "SL001 own by inline (synthetic canary stage)",
            "SL001 peers by checkov (logs at the edge)",
            "SL001 tfsec by tfsec (sandbox)",
            "SL001 trivy by trivy (legacy, replaced in Q2)",
            "SL001 waived by waiver (migration ticket OPS-42)",
            "SL010 checkov by checkov (no reason)",
        ]
    );
    let waived = v["suppressed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["by"] == "waiver")
        .unwrap();
    assert_eq!(waived["expires"], "2099-12-31");
    assert_eq!(waived["file"], "api/main.tf");

    let findings = v["findings"].as_array().unwrap();
    let mut keys: Vec<String> = findings.iter().map(key).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "SL001 expired",
            "SL001 plain",
            "SL010 expired",
            "SL010 inline",
            "SL010 noreason",
            "SL010 own",
            // W45 is about access logs: it no longer hides the stage's execution logging.
            "SL010 peers",
            "SL010 plain",
            "SL010 tfsec",
            "SL010 trivy",
            "SL010 waived",
            "SL090 checkov",
            "SL090 noreason",
        ]
    );
    // The expired waiver says so; severity overrides apply; SL030 is ignored by the policy.
    let expired = findings.iter().find(|f| key(f) == "SL001 expired").unwrap();
    assert!(expired["message"]
        .as_str()
        .unwrap()
        .ends_with("(a waiver expired on 2026-01-31: was only for the launch)"));
    assert!(findings
        .iter()
        .filter(|f| f["rule_id"] == "SL010")
        .all(|f| f["severity"] == "low"));
    let reasonless: Vec<&str> = findings
        .iter()
        .filter(|f| f["rule_id"] == "SL090")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert!(
        reasonless
            .iter()
            .any(|m| m.contains("`checkov:skip=CKV2_AWS_4` suppresses SL010")),
        "{reasonless:?}"
    );
    assert!(
        reasonless
            .iter()
            .any(|m| m.contains("`cfn_nag rules_to_suppress W69` suppresses SL001")),
        "{reasonless:?}"
    );
    assert_eq!(v["summary"]["suppressed"], 10);

    // Text counts them; SARIF marks them, valid against serde-sarif's types.
    let (text, _, _) = stagelog(&dir.path().join("infra"), &["scan", "."]);
    assert!(
        text.contains(
            "10 suppressed (2 by inline, 3 by checkov, 1 by trivy, 1 by tfsec, 1 by waiver, 2 by cfn_nag;"
        ),
        "{text}"
    );
    let (sarif, _, _) = stagelog(&dir.path().join("infra"), &["scan", ".", "-f", "sarif"]);
    let _: serde_sarif::sarif::Sarif = serde_json::from_str(&sarif).unwrap();
    let s: Value = serde_json::from_str(&sarif).unwrap();
    let results = s["runs"][0]["results"].as_array().unwrap();
    let marked: Vec<&Value> = results
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .collect();
    assert_eq!(marked.len(), 10);
    assert!(marked
        .iter()
        .any(|r| r["suppressions"][0]["kind"] == "external"));
    assert!(marked
        .iter()
        .any(|r| r["suppressions"][0]["justification"] == "legacy, replaced in Q2"));
}

#[test]
fn config_flag_compliance_and_errors() {
    let dir = project();
    // Without the policy file (an empty one given explicitly) nothing is waived.
    std::fs::write(dir.path().join("empty.toml"), "").unwrap();
    let (out, _, _) = stagelog(
        dir.path(),
        &["scan", "infra", "-f", "json", "--config", "empty.toml"],
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    assert!(v["suppressed"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["by"] != "waiver"));
    assert!(v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule_id"] == "SL010" && f["severity"] == "medium"));

    // --compliance: the framework's rules only, and the report titled after it.
    let (out, _, _) = stagelog(
        dir.path(),
        &["scan", "infra", "-f", "json", "--compliance", "fsbp"],
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["title"],
        "AWS Foundational Security Best Practices v1.0.0 (Security Hub)"
    );
    assert!(v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| ["SL002", "SL010"].contains(&f["rule_id"].as_str().unwrap())));
    let (md, _, _) = stagelog(
        dir.path(),
        &["scan", "infra", "-f", "markdown", "--compliance", "soc2"],
    );
    assert!(
        md.starts_with(
            "## SOC 2 (2017 Trust Services Criteria, rev. 2022): API Gateway stage logging"
        ),
        "{md}"
    );

    for (toml, want) in [
        ("selct = []", "unknown field `selct`"),
        ("[severity]\nSL999 = \"high\"", "unknown rule SL999"),
        (
            "[[waiver]]\nrule = \"SL001\"\nresource = \"x\"\nreason = \"r\"\nexpires = \"soon\"",
            "expected YYYY-MM-DD",
        ),
        ("execution_level = \"DEBUG\"", "expected ERROR or INFO"),
    ] {
        std::fs::write(dir.path().join("stagelog.toml"), toml).unwrap();
        let (_, err, code) = stagelog(dir.path(), &["scan", "infra"]);
        assert_eq!(code, 2, "{toml}: {err}");
        assert!(err.contains(want), "{toml}: {err}");
    }
    let (_, err, code) = stagelog(
        dir.path(),
        &[
            "scan",
            "infra",
            "--compliance",
            "hipaa",
            "--config",
            "empty.toml",
        ],
    );
    assert_eq!(code, 2);
    assert!(err.contains("expected cis, soc2"), "{err}");
}

#[test]
fn execution_level_info_policy() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        r#"resource "aws_api_gateway_method_settings" "all" {
  rest_api_id = "x"
  stage_name  = aws_api_gateway_stage.s.stage_name
  method_path = "*/*"
  settings { logging_level = "ERROR" }
}
resource "aws_api_gateway_stage" "s" {
  rest_api_id   = "x"
  deployment_id = "y"
  stage_name    = "s"
}
"#,
    )
    .unwrap();
    let sl010 = |toml: &str| {
        std::fs::write(dir.path().join("stagelog.toml"), toml).unwrap();
        let (out, _, _) = stagelog(
            dir.path(),
            &["scan", ".", "-f", "json", "--select", "SL010"],
        );
        let v: Value = serde_json::from_str(&out).unwrap();
        v["findings"].as_array().unwrap().len()
    };
    assert_eq!(sl010(""), 0);
    assert_eq!(sl010("execution_level = \"INFO\""), 1);
}

#[test]
fn retention_and_required_fields_from_the_policy() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        r#"resource "aws_cloudwatch_log_group" "access" {
  name              = "/aws/vendedlogs/apigateway/a/prod"
  retention_in_days = 90
}
resource "aws_apigatewayv2_stage" "prod" {
  api_id = "x"
  name   = "prod"
  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format          = jsonencode({ requestId = "$context.requestId", ip = "$context.identity.sourceIp", status = "$context.status" })
  }
}
"#,
    )
    .unwrap();
    let rules = |toml: &str, extra: &[&str]| -> Vec<String> {
        std::fs::write(dir.path().join("stagelog.toml"), toml).unwrap();
        let mut args = vec!["scan", ".", "-f", "json", "--select", "SL005,SL020"];
        args.extend(extra);
        let (out, err, _) = stagelog(dir.path(), &args);
        let v: Value = serde_json::from_str(&out).unwrap_or_else(|_| panic!("{err}"));
        let mut ids: Vec<String> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule_id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(rules("", &[]), ["SL005", "SL020"]);
    // 90 days satisfies a policy of 30; the format has every field a narrower policy wants.
    assert_eq!(
        rules("min_retention_days = 30\nrequired_fields = [\"request_id\", \"source_ip\", \"status\"]", &[]),
        Vec::<String>::new()
    );
    // The command line wins over the file.
    assert_eq!(
        rules(
            "min_retention_days = 30",
            &["--min-retention-days", "365", "--ignore", "SL005"]
        ),
        ["SL020"]
    );
    let (_, err, code) = stagelog(dir.path(), &["scan", ".", "--config", "nope.toml"]);
    assert_eq!(code, 2);
    assert!(err.contains("nope.toml"), "{err}");
    std::fs::write(
        dir.path().join("stagelog.toml"),
        "required_fields = [\"colour\"]",
    )
    .unwrap();
    let (_, err, code) = stagelog(dir.path(), &["scan", "."]);
    assert_eq!(code, 2);
    assert!(err.contains("required_fields `colour`"), "{err}");
}

/// Asked with -v, what `--exclude` and `exclude` in stagelog.toml left out is a note in the
/// report (what CI shows), naming files stagelog reads and directories; never a file it would
/// not read anyway.
#[test]
fn excluded_files_are_named_in_the_report_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    crate::common::write(
        dir.path(),
        &[
            ("infra/api/main.tf", TF),
            ("infra/legacy/old.tf", TF),
            ("infra/legacy/README.md", "# retired\n"),
            ("infra/api/stages.yaml", CFN),
        ],
    );
    let notes = |args: &[&str]| -> Vec<String> {
        let (out, err, _) = stagelog(dir.path(), args);
        let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {err}"));
        v["notes"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|n| n.as_str().unwrap().to_string())
            .filter(|n| n.starts_with("--exclude"))
            .collect()
    };
    let base = ["scan", ".", "--format", "json", "--fail-on", "none"];
    let args: Vec<&str> = base
        .iter()
        .copied()
        .chain(["--exclude", "infra/legacy/**", "--exclude", "*.yaml"])
        .collect();
    assert!(notes(&args).is_empty());
    let verbose: Vec<&str> = args.iter().copied().chain(["-v"]).collect();
    assert_eq!(
        notes(&verbose),
        ["--exclude (or exclude in stagelog.toml) skipped 2: infra/api/stages.yaml, infra/legacy/old.tf"]
    );
}

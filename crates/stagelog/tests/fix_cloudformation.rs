//! `stagelog fix` on CloudFormation/SAM: JSON templates are patched so a re-scan is clean for
//! the fixed rules and cfn-lint (installed with the test server's Python tools) finds no error;
//! YAML templates are left as they are, with what to paste where.
mod aws_server;

use std::process::Command;

const TEMPLATE: &str = r#"{
  "AWSTemplateFormatVersion": "2010-09-09",
  "Resources": {
    "Api": { "Type": "AWS::ApiGateway::RestApi", "Properties": { "Name": "orders" } },
    "Root": {
      "Type": "AWS::ApiGateway::Method",
      "Properties": {
        "RestApiId": { "Ref": "Api" },
        "ResourceId": { "Fn::GetAtt": ["Api", "RootResourceId"] },
        "HttpMethod": "GET",
        "AuthorizationType": "NONE",
        "Integration": { "Type": "MOCK" }
      }
    },
    "Deployment": {
      "Type": "AWS::ApiGateway::Deployment",
      "DependsOn": "Root",
      "Properties": { "RestApiId": { "Ref": "Api" } }
    },
    "Prod": {
      "Type": "AWS::ApiGateway::Stage",
      "Properties": {
        "RestApiId": { "Ref": "Api" },
        "DeploymentId": { "Ref": "Deployment" },
        "StageName": "prod",
        "MethodSettings": [
          { "ResourcePath": "/*", "HttpMethod": "*", "LoggingLevel": "OFF", "DataTraceEnabled": true }
        ]
      }
    },
    "Chat": {
      "Type": "AWS::ApiGatewayV2::Api",
      "Properties": { "Name": "chat", "ProtocolType": "WEBSOCKET", "RouteSelectionExpression": "$request.body.action" }
    },
    "ChatLogs": { "Type": "AWS::Logs::LogGroup", "Properties": { "RetentionInDays": 7 } },
    "ChatStage": {
      "Type": "AWS::ApiGatewayV2::Stage",
      "Properties": {
        "ApiId": { "Ref": "Chat" },
        "StageName": "prod",
        "AccessLogSettings": {
          "DestinationArn": { "Fn::GetAtt": ["ChatLogs", "Arn"] },
          "Format": "$context.requestId"
        },
        "DefaultRouteSettings": { "LoggingLevel": "OFF", "DataTraceEnabled": true }
      }
    }
  }
}
"#;

fn rules_in(dir: &std::path::Path) -> Vec<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_stagelog"))
        .args([
            "scan",
            ".",
            "--format",
            "json",
            "--fail-on",
            "none",
            "--ignore",
            "SL021,SL030",
        ])
        .current_dir(dir)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["errors"], serde_json::json!([]), "{v}");
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}",
                f["rule_id"].as_str().unwrap(),
                f["resource"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn json_templates_are_patched_rescan_clean_and_cfn_lint_clean() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("template.json"), TEMPLATE).unwrap();
    let before = rules_in(dir.path());
    for want in [
        "SL001 Prod",
        "SL010 Prod",
        "SL011 Prod",
        "SL005 ChatStage",
        "SL010 ChatStage",
        "SL011 ChatStage",
        "SL020 ChatLogs",
    ] {
        assert!(before.iter().any(|f| f == want), "{want} not in {before:?}");
    }
    let fixed = Command::new(env!("CARGO_BIN_EXE_stagelog"))
        .args(["fix", ".", "--write"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        fixed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&fixed.stderr)
    );
    assert_eq!(rules_in(dir.path()), Vec::<String>::new());
    let text = std::fs::read_to_string(dir.path().join("template.json")).unwrap();
    assert!(text.contains("\"ProdAccessLogs\""), "{text}");
    assert!(
        text.starts_with("{\n  \"AWSTemplateFormatVersion\""),
        "indentation and key order kept"
    );

    // cfn-lint comes with the test server's tools in .venv/.
    let _ = aws_server::endpoint();
    let lint = Command::new(aws_server::root().join(".venv/bin/cfn-lint"))
        .arg(dir.path().join("template.json"))
        .output()
        .expect("cfn-lint in .venv (scripts/aws-test-server installs it)");
    let code = lint.status.code().unwrap_or(-1);
    assert_eq!(
        code & 2,
        0,
        "cfn-lint errors:\n{}",
        String::from_utf8_lossy(&lint.stdout)
    );
}

#[test]
fn yaml_templates_are_left_alone_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = "# keep me\nResources:\n  Stage:\n    Type: AWS::ApiGateway::Stage\n    Properties:\n      RestApiId: !Ref Api\n      StageName: prod\n";
    std::fs::write(dir.path().join("t.yaml"), yaml).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_stagelog"))
        .args(["fix", ".", "--write"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.path().join("t.yaml")).unwrap(),
        yaml
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("SL001  Stage: YAML templates are not rewritten"),
        "{stderr}"
    );
    // The exact snippet, with where it goes; it is valid YAML in CloudFormation's short form.
    assert!(
        stderr.contains("under Resources.Stage.Properties, set:"),
        "{stderr}"
    );
    assert!(
        stderr.contains("DestinationArn: !GetAtt StageAccessLogs.Arn"),
        "{stderr}"
    );
    assert!(
        stderr.contains("under Resources, add:\n  StageAccessLogs:\n    Type: AWS::Logs::LogGroup"),
        "{stderr}"
    );
    // Pasting the snippet where it says gives a template the scan finds clean for SL001.
    let setting: Vec<&str> = stderr
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("AccessLogSetting:"))
        .take(3)
        .collect();
    let pasted = format!(
        "{yaml}{}\n  StageAccessLogs:\n    Type: AWS::Logs::LogGroup\n    Properties:\n      RetentionInDays: 365\n",
        setting.join("\n")
    );
    std::fs::write(dir.path().join("t.yaml"), &pasted).unwrap();
    let rescan = Command::new(env!("CARGO_BIN_EXE_stagelog"))
        .args([
            "scan",
            ".",
            "--format",
            "json",
            "--select",
            "SL001,SL003,SL004",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&rescan.stdout).unwrap();
    assert_eq!(v["errors"], serde_json::json!([]), "pasted:\n{pasted}");
    assert_eq!(
        v["findings"],
        serde_json::json!([]),
        "pasted:\n{pasted}\n{v}"
    );
}

#[test]
fn every_rules_bad_template_in_json_form_is_fixed_or_explained() {
    use stagelog_rules::{check, registry, Config, Selection};
    let rules_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../stagelog-rules");
    for rule in registry().iter().filter(|r| !r.live_only) {
        for example in ["bad.yaml", "bad.sam.yaml"] {
            let yaml =
                std::fs::read_to_string(rules_dir.join(rule.examples_dir).join(example)).unwrap();
            let dir = tempfile::tempdir().unwrap();
            let file = dir.path().join("template.json");
            std::fs::write(
                &file,
                stagelog_iac::fix::yaml_template_as_json(&yaml).unwrap(),
            )
            .unwrap();
            let sel = Selection {
                select: vec![rule.id.to_string()],
                ignore: vec![],
            };
            let findings = |path: &std::path::Path| -> Vec<stagelog_model::Finding> {
                let out = stagelog_iac::scan(&[path.to_path_buf()]);
                assert!(out.errors.is_empty(), "{:?}", out.errors);
                out.inventories
                    .iter()
                    .flat_map(|inv| check(inv, &Config::default(), &sel))
                    .collect()
            };
            let all = findings(&file);
            assert!(
                !all.is_empty(),
                "{} {example}: the JSON form keeps the problem",
                rule.id
            );
            // Informational findings (SL030's reminder) are not fixed.
            let before: Vec<_> = all
                .into_iter()
                .filter(|f| f.severity > stagelog_model::Severity::Info)
                .collect();
            let plan = stagelog_iac::fix::plan(&before, &stagelog_iac::fix::Options::default());
            assert!(
                plan.errors.is_empty(),
                "{} {example}: {:?}",
                rule.id,
                plan.errors
            );
            for f in &plan.files {
                std::fs::write(&f.file, &f.after).unwrap();
            }
            let manual: Vec<&str> = plan.manual.iter().map(|m| m.resource.as_str()).collect();
            for f in findings(&file)
                .iter()
                .filter(|f| f.severity > stagelog_model::Severity::Info)
            {
                assert!(
                    manual.contains(&f.location.resource.as_str()),
                    "{} {example}: still {} after fix:\n{}",
                    rule.id,
                    f.message,
                    std::fs::read_to_string(&file).unwrap()
                );
            }
        }
    }
}

#[test]
fn fix_examples_cloudformation_diff_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let root =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/cloudformation");
    std::fs::create_dir_all(dir.path().join("cloudformation")).unwrap();
    for f in ["rest-api.yaml", "websocket.json"] {
        std::fs::copy(root.join(f), dir.path().join("cloudformation").join(f)).unwrap();
    }
    let out = Command::new(env!("CARGO_BIN_EXE_stagelog"))
        .args(["fix", "cloudformation"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!(
        "fix_examples_cloudformation_diff",
        String::from_utf8(out.stdout).unwrap()
    );
    insta::assert_snapshot!(
        "fix_examples_cloudformation_manual",
        String::from_utf8(out.stderr).unwrap()
    );
}

//! `stagelog fix` on CloudFormation/SAM: JSON templates are patched so a re-scan is clean for
//! the fixed rules; YAML templates are edited in place keeping comments, or get what to paste
//! where. (cfn-lint checks the fixed templates in the live tests.)

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
fn json_templates_are_patched_and_rescan_clean() {
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
    // Edited in place: lines the fixes do not touch keep their own layout.
    for line in [
        r#"    "Api": { "Type": "AWS::ApiGateway::RestApi", "Properties": { "Name": "orders" } },"#,
        r#"        "ResourceId": { "Fn::GetAtt": ["Api", "RootResourceId"] },"#,
        r#"        "ApiId": { "Ref": "Chat" },"#,
    ] {
        assert!(text.lines().any(|l| l == line), "lost {line}:\n{text}");
    }
}

const YAML: &str = r#"# Orders API. Reviewed by the platform team.
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: orders}   # flow style is left as it is
  Root:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !GetAtt Api.RootResourceId
      HttpMethod: GET
      AuthorizationType: NONE
      Integration: {Type: MOCK}
  Deployment:
    Type: AWS::ApiGateway::Deployment
    DependsOn: Root
    Properties:
      RestApiId: !Ref Api
  Prod:
    Type: AWS::ApiGateway::Stage
    Properties:
      RestApiId: !Ref Api
      DeploymentId: !Ref Deployment
      StageName: prod   # the only stage
      MethodSettings:
        - ResourcePath: "/*"
          HttpMethod: "*"
          LoggingLevel: "OFF"   # too noisy, they said
          DataTraceEnabled: true
  Chat:
    Type: AWS::ApiGatewayV2::Api
    Properties:
      Name: chat
      ProtocolType: WEBSOCKET
      RouteSelectionExpression: $request.body.action
  ChatLogs:
    Type: AWS::Logs::LogGroup
    Properties:
      RetentionInDays: 7 # cheap
  ChatStage:
    Type: AWS::ApiGatewayV2::Stage
    Properties:
      ApiId: !Ref Chat
      StageName: prod
      AccessLogSettings:
        DestinationArn: !GetAtt ChatLogs.Arn
        Format: $context.requestId
      DefaultRouteSettings:
        LoggingLevel: "OFF"
        DataTraceEnabled: true
# end of template
"#;

#[test]
fn yaml_templates_are_edited_in_place_keeping_comments_and_tags() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("template.yaml");
    std::fs::write(&file, YAML).unwrap();
    assert_eq!(
        rules_in(dir.path()).len(),
        7,
        "SL001/SL010/SL011 Prod, SL005/SL010/SL011 ChatStage, SL020 ChatLogs"
    );
    let fixed = Command::new(env!("CARGO_BIN_EXE_stagelog"))
        .args(["fix", ".", "--write"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&fixed.stderr);
    assert_eq!(fixed.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("paste this"), "{stderr}");
    assert_eq!(rules_in(dir.path()), Vec::<String>::new());
    let after = std::fs::read_to_string(&file).unwrap();
    // Every line that was not a changed value is still there, comments and tags included.
    let changed = [
        "          LoggingLevel: \"OFF\"   # too noisy, they said",
        "          DataTraceEnabled: true",
        "      RetentionInDays: 7 # cheap",
        "        Format: $context.requestId",
        "        LoggingLevel: \"OFF\"",
        "        DataTraceEnabled: true",
    ];
    for line in YAML.lines().filter(|l| !changed.contains(l)) {
        assert!(after.lines().any(|a| a == line), "lost {line:?}:\n{after}");
    }
    // A changed scalar keeps its line's comment.
    assert!(
        after.contains("          LoggingLevel: ERROR   # too noisy, they said\n"),
        "{after}"
    );
    assert!(
        after.contains("      RetentionInDays: 365 # cheap\n"),
        "{after}"
    );
    assert!(
        after.contains("  ProdAccessLogs:\n    Type: AWS::Logs::LogGroup\n"),
        "{after}"
    );
    assert!(after.ends_with("# end of template\n"), "{after}");
    // A second run has nothing left to do.
    let again = Command::new(env!("CARGO_BIN_EXE_stagelog"))
        .args(["fix", "."])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&again.stdout), "");
}

#[test]
fn yaml_that_cannot_be_edited_cleanly_gets_the_snippet_and_where_it_goes() {
    let dir = tempfile::tempdir().unwrap();
    // Properties behind an anchor: an edit there would change every alias too.
    let yaml = "# keep me\nResources:\n  Stage:\n    Type: AWS::ApiGateway::Stage\n    Properties: &props\n      RestApiId: !Ref Api\n      StageName: prod\n";
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
        stderr.contains("SL001  Stage: not written in place (the template.Resources.Stage.Properties is shared through a YAML anchor); paste this:"),
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
fn every_rules_bad_template_yaml_and_json_form_is_fixed_or_explained() {
    use stagelog_rules::{check, registry, Config, Selection};
    for rule in registry().iter().filter(|r| r.judges_code()) {
        for example in ["bad.yaml", "bad.sam.yaml"] {
            let yaml = std::fs::read_to_string(rule.examples_dir().unwrap().join(example)).unwrap();
            for as_json in [false, true] {
                let dir = tempfile::tempdir().unwrap();
                let file = dir.path().join(if as_json {
                    "template.json"
                } else {
                    "template.yaml"
                });
                let text = if as_json {
                    stagelog_fix::yaml_template_as_json(&yaml).unwrap()
                } else {
                    yaml.clone()
                };
                std::fs::write(&file, text).unwrap();
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
                let plan = stagelog_fix::plan(
                    &Default::default(),
                    &before,
                    &stagelog_fix::Options::default(),
                );
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
                for m in &plan.manual {
                    assert!(
                        !m.reason.contains("paste this"),
                        "{} {example}: YAML not written in place: {}",
                        rule.id,
                        m.reason
                    );
                }
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

/// SAM's commonest shape: APIs made by function events, configured in `Globals` (which holds
/// other settings already), beside an explicit API that sets its own. The implicit APIs are
/// fixed in `Globals: Api:` / `Globals: HttpApi:`, the extra `Stage` stage removed with
/// `OpenApiVersion`, comments kept; read back, nothing of the fixed rules remains, and a
/// second run changes nothing.
#[test]
fn sam_implicit_apis_are_fixed_in_globals() {
    let dir = tempfile::tempdir().unwrap();
    let src = include_str!("fixtures/sam_implicit_apis.yaml");
    std::fs::write(dir.path().join("template.yaml"), src).unwrap();
    assert_eq!(
        rules_in(dir.path()),
        [
            "SL001 ServerlessRestApi",
            "SL001 ServerlessRestApi",
            "SL010 ServerlessRestApi",
            "SL010 ServerlessRestApi",
            "SL002 ServerlessHttpApi"
        ]
    );
    let fixed = crate::common::stagelog_in(dir.path(), &["fix", ".", "--write"]);
    let err = String::from_utf8_lossy(&fixed.stderr);
    assert_eq!(fixed.status.code(), Some(0), "{err}");
    assert!(!err.contains("Needs a person"), "{err}");
    let after = std::fs::read_to_string(dir.path().join("template.yaml")).unwrap();
    for kept in [
        "# Shared by every function.",
        "# Its own settings win over Globals, as SAM merges them.",
        "    Cors:\n      AllowOrigin: \"'*'\"\n",
        "      OpenApiVersion: '3.0.1'\n",
    ] {
        assert!(after.contains(kept), "{kept}: {after}");
    }
    let globals = &after[after.find("Globals:").unwrap()..after.find("Resources:").unwrap()];
    for written in [
        "AccessLogSetting:\n      DestinationArn: !GetAtt ServerlessRestApiAccessLogs.Arn",
        "OpenApiVersion: 3.0.1",
        "LoggingLevel: ERROR",
        "  HttpApi:\n    AccessLogSettings:\n      DestinationArn: !GetAtt ServerlessHttpApiAccessLogs.Arn",
    ] {
        assert!(globals.contains(written), "{written}: {globals}");
    }
    // The explicit API is left as it was.
    let partner = src[src.find("  PartnerApi:").unwrap()..src.find("Outputs:").unwrap()].trim_end();
    assert!(after.contains(partner), "{after}");
    assert_eq!(rules_in(dir.path()), Vec::<String>::new());
    let again = crate::common::stagelog_in(dir.path(), &["fix", "."]);
    assert!(
        again.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&again.stdout)
    );
}

/// A log group a fix adds for a stage created under a `Condition` carries that condition:
/// it exists exactly where the stage does.
#[test]
fn a_new_log_group_is_created_under_its_stages_condition() {
    let dir = tempfile::tempdir().unwrap();
    let src = r#"AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  Canary:
    Type: String
    Default: 'false'
    AllowedValues: ['true', 'false']
Conditions:
  CreateCanary: !Equals [!Ref Canary, 'true']
Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Name: orders
  Deployment:
    Type: AWS::ApiGateway::Deployment
    Properties:
      RestApiId: !Ref Api
  # Only in accounts that run a canary.
  CanaryStage:
    Type: AWS::ApiGateway::Stage
    Condition: CreateCanary
    Properties:
      RestApiId: !Ref Api
      DeploymentId: !Ref Deployment
      StageName: canary
"#;
    std::fs::write(dir.path().join("template.yaml"), src).unwrap();
    let fixed = crate::common::stagelog_in(
        dir.path(),
        &[
            "fix",
            ".",
            "--write",
            "--select",
            "SL001",
            "--parameter",
            "Canary=true",
        ],
    );
    assert_eq!(
        fixed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&fixed.stderr)
    );
    let after = std::fs::read_to_string(dir.path().join("template.yaml")).unwrap();
    let group = &after[after.find("  CanaryStageAccessLogs:").expect(&after)..];
    assert!(group.contains("Type: AWS::Logs::LogGroup"), "{group}");
    assert!(group.contains("    Condition: CreateCanary"), "{group}");
    assert!(
        after.contains("DestinationArn: !GetAtt CanaryStageAccessLogs.Arn"),
        "{after}"
    );
}

/// Settings decided by `Fn::If` are fixed inside the branches the finding holds in, the
/// condition kept; a branch without access logs (`AWS::NoValue`) gets them; a fix that cannot
/// be written in place (a key to add to a flow mapping) does not hold back the others.
#[test]
fn values_decided_by_conditions_are_fixed_in_their_branches() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let file = root.join("conditions.yaml");
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/offline/fixtures/conditions.yaml"),
        &file,
    )
    .unwrap();
    let before = std::fs::read_to_string(&file).unwrap();
    let fixed = crate::common::stagelog_in(root, &["fix", "conditions.yaml", "--write"]);
    let err = String::from_utf8_lossy(&fixed.stderr);
    assert_eq!(fixed.status.code(), Some(0), "{err}");
    let after = std::fs::read_to_string(&file).unwrap();
    for kept in [
        "      # A year in production, a week elsewhere.\n      RetentionInDays: !If [IsProd, 365, 365]",
        "LoggingLevel: !If [IsProd, INFO, ERROR]",
        "DataTraceEnabled: !If\n            - IsProd\n            - false\n            - false",
        "      # Access logs in production only.\n      AccessLogSetting: !If\n        - IsProd\n        - DestinationArn: !GetAtt AccessLogs.Arn",
        "        - DestinationArn: !GetAtt PreviewAccessLogs.Arn\n          Format: '{\"requestId\"",
    ] {
        assert!(after.contains(kept), "{kept}\n{after}");
    }
    assert!(!after.contains("AWS::NoValue"), "{after}");
    // The flow mapping that needs a key added: left as it was, with what to paste.
    let canary = |t: &str| {
        t[t.find("  Canary:").unwrap()..]
            .lines()
            .take(8)
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(canary(&after), canary(&before));
    assert!(
        err.contains("SL010  Canary: not written in place") && err.contains("LoggingLevel: ERROR"),
        "{err}"
    );
    // Read back with each environment: nothing fixed remains in either.
    for params in [&[][..], &["--parameter", "Environment=prod"][..]] {
        let mut args = vec!["conditions.yaml", "--select", "SL001,SL010,SL011,SL020"];
        args.extend(params);
        let (_, report) = crate::common::scan_json(root, &args);
        assert_eq!(report["errors"], serde_json::json!([]), "{report}");
        assert_eq!(
            crate::common::rule_and_stage(&report),
            ["SL010 canary"],
            "{params:?}"
        );
    }
}

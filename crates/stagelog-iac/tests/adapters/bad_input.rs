//! Bad input never panics and never stops the scan: each problem is an error with file and
//! line, and the other files are still judged.
use crate::common;
use common::{scan_dir, scan_files, write};

const GOOD_NEIGHBOUR: (&str, &str) = (
    "ok/main.tf",
    "resource \"aws_apigatewayv2_stage\" \"s\" {\n  api_id = \"a\"\n  name = \"s\"\n}\n",
);

fn assert_error(s: &common::Scanned, file_suffix: &str, line: Option<u32>, needle: &str) {
    let e = s
        .errors
        .iter()
        .find(|e| e.file.as_deref().unwrap_or_default().ends_with(file_suffix))
        .unwrap_or_else(|| panic!("no error for {file_suffix}: {:?}", s.errors));
    assert_eq!(e.line, line, "{e:?}");
    assert!(e.message.contains(needle), "{e:?}");
    // The neighbour was still read and judged.
    assert!(s.has("SL002", "aws_apigatewayv2_stage.s"), "{:?}", s.ids());
}

#[test]
fn malformed_hcl() {
    let s = scan_files(&[
        GOOD_NEIGHBOUR,
        (
            "bad/main.tf",
            "resource \"aws_api_gateway_stage\" \"x\" {\n  stage_name = \n}\n",
        ),
    ]);
    assert_error(&s, "bad/main.tf", Some(2), "cannot parse HCL");
}

#[test]
fn malformed_yaml_and_json_templates() {
    let s = scan_files(&[
        GOOD_NEIGHBOUR,
        (
            "t.yaml",
            "Resources:\n  S:\n    Type: AWS::ApiGateway::Stage\n    Properties: [1, 2\n",
        ),
        (
            "t.json",
            "{\"Resources\": {\"S\": {\"Type\": \"AWS::ApiGateway::Stage\",}}}",
        ),
    ]);
    assert_error(&s, "t.yaml", Some(5), "cannot parse template");
    assert_error(&s, "t.json", Some(1), "cannot parse template");
}

#[test]
fn jinja_placeholders() {
    let s = scan_files(&[
        GOOD_NEIGHBOUR,
        (
            "t.yaml",
            "Resources:\n  S:\n    Type: AWS::ApiGateway::Stage\n    Properties:\n      StageName: {{ stage }}\n      Other: {% if x %}\n",
        ),
    ]);
    assert!(
        s.errors
            .iter()
            .any(|e| e.file.as_deref().unwrap_or_default().ends_with("t.yaml") && e.line.is_some()),
        "{:?}",
        s.errors
    );
    assert!(s.has("SL002", "aws_apigatewayv2_stage.s"));
}

#[test]
fn duplicate_keys_are_reported_and_the_template_still_judged() {
    let s = scan_files(&[
        GOOD_NEIGHBOUR,
        (
            "t.yaml",
            "Resources:\n  S:\n    Type: AWS::ApiGateway::Stage\n    Properties:\n      StageName: a\n      StageName: b\n",
        ),
    ]);
    assert_error(&s, "t.yaml", Some(6), "duplicate key `StageName`");
    assert!(s.has("SL001", "S"));
    assert_eq!(s.of("SL001")[0].stage.as_deref(), Some("b"));
}

#[test]
fn a_type_that_is_not_a_string_skips_only_that_resource() {
    let s = scan_files(&[
        GOOD_NEIGHBOUR,
        (
            "t.yaml",
            "Resources:\n  Mod: !Rain::Module\n    Type: x\n  Tagged:\n    Type: !Rain::Module ./m.yaml\n  S:\n    Type: AWS::ApiGateway::Stage\n    Properties: { StageName: p }\n",
        ),
    ]);
    assert_error(&s, "t.yaml", Some(5), "Type that is not a string");
    assert!(s.has("SL001", "S"));
}

#[test]
fn binary_huge_non_utf8_and_missing_files() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &[GOOD_NEIGHBOUR]);
    std::fs::write(dir.path().join("bin.tf"), b"\x00\x01\x02resource").unwrap();
    std::fs::write(
        dir.path().join("latin1.tf"),
        b"# caf\xe9\nresource \"a\" \"b\" {}\n",
    )
    .unwrap();
    let big = "#".repeat((stagelog_iac::MAX_FILE_BYTES + 1) as usize);
    std::fs::write(dir.path().join("huge.tf"), big).unwrap();
    let s = scan_dir(dir);
    assert_error(&s, "bin.tf", None, "binary file");
    assert_error(&s, "latin1.tf", None, "not UTF-8");
    assert_error(&s, "huge.tf", None, "over the 16 MiB limit");

    let out = stagelog_iac::scan(&[std::path::PathBuf::from("/nonexistent/stagelog")]);
    assert_eq!(out.errors.len(), 1);
    assert!(out.errors[0].message.contains("cannot read"));
}

#[test]
fn unknown_attributes_blocks_and_functions_are_ignored() {
    let s = scan_files(&[(
        "main.tf",
        r#"
resource "aws_apigatewayv2_stage" "s" {
  api_id      = "a"
  name        = upper(provider::aws::arn_build("x"))
  bogus       = [for x in var.y : x if x > 1]
  nested {
    deep {
      deeper = 1
    }
  }
  access_log_settings {
    destination_arn = "arn:aws:logs:eu-west-1:123456789012:log-group:${templatefile("x", {})}"
    format          = "%{ for k in var.keys }$context.${k} %{ endfor }"
    unknown_attr    = true
  }
}"#,
    )]);
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    assert_eq!(s.ids(), Vec::<String>::new());
}

#[test]
fn deeply_nested_and_self_referencing_values_terminate() {
    let deep = format!("{}1{}", "[".repeat(60), "]".repeat(60));
    let s = scan_files(&[
        (
            "main.tf",
            &format!(
                r#"
locals {{
  a = local.b
  b = local.a
  d = {deep}
}}
resource "aws_apigatewayv2_stage" "s" {{
  api_id = "a"
  name   = local.a
  access_log_settings {{
    destination_arn = aws_apigatewayv2_stage.s.access_log_settings
    format          = local.d
  }}
}}"#
            ),
        ),
        ("t.yaml", "Resources:\n  S:\n    Type: AWS::ApiGatewayV2::Stage\n    Properties:\n      StageName: &a [*a]\n"),
    ]);
    assert!(s.stages >= 1, "{:?}", s.errors);
    assert_eq!(s.errors.len(), 1, "{:?}", s.errors);
    assert!(s.errors[0].message.contains("alias"), "{:?}", s.errors);
}

#[test]
fn templates_whose_conditions_and_names_refer_to_themselves_terminate() {
    // Each of these loops forever if evaluated naively; each is unknown instead.
    let yaml = r#"Parameters:
  Stage:
    Type: String
    Default: !Ref Stage
Conditions:
  Loop: !Condition Loop
  Wide: !And [!Condition Wide, !Condition Wide, !Condition Wide, !Condition Wide]
  Mutual: !Not [!Condition Other]
  Other: !Or [!Condition Mutual, !Equals [!Ref Stage, x]]
Resources:
  Logs:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Sub "/aws/${Logs}/${Stage}"
  A:
    Type: AWS::ApiGateway::Stage
    Condition: Loop
    Properties:
      RestApiId: r
      StageName: !If [Wide, a, !Ref Stage]
      AccessLogSetting:
        DestinationArn: !GetAtt Logs.Arn
  B:
    Type: AWS::ApiGateway::Stage
    Condition: Mutual
    Properties:
      RestApiId: r
      StageName: b
"#;
    let s = scan_files(&[("t.yaml", yaml)]);
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    // Conditions that cannot be decided keep their resources.
    assert_eq!(s.stages, 2);
}

#[test]
fn terraform_that_terraform_would_reject_is_an_error_and_still_judged() {
    let tf = r#"
resource "aws_api_gateway_stage" "prod" {
  rest_api_id   = "a1"
  deployment_id = "d1"
  stage_name    = "prod"

  access_log_settings = {
    destination_arn = "arn:aws:logs:eu-west-1:123456789012:log-group:prod"
    format          = "$context.requestId"
  }
}

resource "aws_api_gateway_method_settings" "all" {
  stage_name  = "prod"
  method_path = "*/*"

  settings {
    logging_level = "OFF"
  }
}
"#;
    let again = r#"
resource "aws_api_gateway_stage" "prod" {
  rest_api_id   = "a2"
  deployment_id = "d2"
  stage_name    = "prod"
}
"#;
    let s = scan_files(&[("api/main.tf", tf), ("api/stages.tf", again)]);
    let root = format!("{}/", s.dir.path().display());
    let messages: Vec<String> = s
        .errors
        .iter()
        .map(|e| {
            format!(
                "{}:{} {}",
                e.file.as_deref().unwrap_or_default(),
                e.line.unwrap_or(0),
                e.message
            )
            .replace(&root, "")
        })
        .collect();
    assert_eq!(messages.len(), 3, "{messages:?}");
    for expected in [
        "api/main.tf:7 Terraform would reject this: aws_api_gateway_stage.prod: access_log_settings is a block",
        "api/main.tf:13 Terraform would reject this: aws_api_gateway_method_settings.all has no rest_api_id",
        "api/stages.tf:2 Terraform would reject this: aws_api_gateway_stage.prod is declared twice (also at api/main.tf:2)",
    ] {
        assert!(messages.iter().any(|m| m.starts_with(expected)), "{expected}: {messages:?}");
    }
    // Judged as far as the input allows: the access log written as an attribute is unknown,
    // not missing; the method settings still attach to the stage they name.
    // (The second declaration, without access logs, is judged on its own.)
    let sl001: Vec<_> = s
        .of("SL001")
        .iter()
        .map(|f| {
            f.location
                .file
                .clone()
                .unwrap_or_default()
                .replace(&root, "")
        })
        .collect();
    assert_eq!(sl001, ["api/stages.tf"]);
    assert!(!s.of("SL010").is_empty());
    assert!(
        s.of("SL010")
            .iter()
            .all(|f| f.message.contains("OFF") || f.message.contains("off")),
        "{:?}",
        s.of("SL010")
    );
}

#[test]
fn method_settings_cloudformation_would_reject_are_errors_with_lines() {
    let yaml = r#"Resources:
  Prod:
    Type: AWS::ApiGateway::Stage
    Properties:
      RestApiId: a1
      StageName: prod
      MethodSettings:
        - LoggingLevel: ERROR
  Dev:
    Type: AWS::ApiGateway::Stage
    Properties:
      RestApiId: a1
      StageName: dev
      MethodSettings:
  Qa:
    Type: AWS::ApiGateway::Stage
    Properties:
      RestApiId: a1
      StageName: qa
      MethodSettings: {}
"#;
    let s = scan_files(&[("template.yaml", yaml)]);
    let mut messages: Vec<String> = s
        .errors
        .iter()
        .map(|e| format!("{} {}", e.line.unwrap_or(0), e.message))
        .collect();
    messages.sort();
    assert_eq!(messages.len(), 3, "{messages:?}");
    assert!(
        messages[0]
            .starts_with("14 CloudFormation would reject this: Dev: MethodSettings is empty"),
        "{messages:?}"
    );
    assert!(
        messages[1]
            .starts_with("20 CloudFormation would reject this: Qa: MethodSettings must be a list"),
        "{messages:?}"
    );
    assert!(messages[2].starts_with("8 CloudFormation would reject this: Prod: a MethodSettings entry needs ResourcePath and HttpMethod"), "{messages:?}");
    // The entry is left out rather than read as both a default and an override: one SL010.
    let prod: Vec<_> = s
        .of("SL010")
        .into_iter()
        .filter(|f| f.location.resource == "Prod")
        .collect();
    assert_eq!(prod.len(), 1, "{prod:?}");
}

#[test]
fn a_for_each_over_an_unknown_collection_is_said_with_its_line() {
    let yaml = r#"Transform: AWS::LanguageExtensions
Resources:
  Fn::ForEach::PerZone:
    - Zone
    - !GetAZs ""
    - Stage&{Zone}:
        Type: AWS::ApiGateway::Stage
        Properties:
          RestApiId: r
          StageName: !Ref Zone
  Plain:
    Type: AWS::ApiGateway::Stage
    Properties:
      RestApiId: r
      StageName: plain
"#;
    let s = scan_files(&[GOOD_NEIGHBOUR, ("template.yaml", yaml)]);
    assert_error(&s, "template.yaml", Some(5), "Fn::ForEach::PerZone");
    assert_eq!(s.stages, 2);
}

#[test]
fn json_with_a_character_across_the_plan_check_boundary_is_read() {
    // A service model of an AWS SDK (as serverless-patterns vendors them): JSON whose byte
    // 4096 falls inside a three-byte character. Deciding whether it is a Terraform plan looks
    // at the first 4 KiB; that must not cut the character (it panicked the walk).
    let mut json = String::from("{\n  \"version\": \"2.0\",\n  \"documentation\": \"");
    json.push_str(&"x".repeat(4094 - json.len()));
    json.push('’');
    json.push_str("\"\n}\n");
    assert!(!json.is_char_boundary(4096));
    let s = scan_files(&[GOOD_NEIGHBOUR, ("service-2.json", &json)]);
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    assert!(s.has("SL002", "aws_apigatewayv2_stage.s"));
}

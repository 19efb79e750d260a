//! Suppression marks are collected while adapting: found for sources that exist only in
//! memory (nothing reads a file again), and anywhere inside a resource, whatever its layout.
use stagelog_model::Finding;
use stagelog_pipeline::suppress::{inline_suppressions, Suppression};
use stagelog_rules::{check, Config, Selection};

/// Each finding of one source, with the mark that suppresses it, if any.
fn judged(name: &str, src: &str) -> Vec<(Finding, Option<Suppression>)> {
    let scanned = stagelog_iac::scan_sources(&[(name, src)], false);
    assert!(scanned.errors.is_empty(), "{:?}", scanned.errors);
    let findings: Vec<_> = scanned
        .inventories
        .iter()
        .flat_map(|inv| check(inv, &Config::default(), &Selection::default()))
        .collect();
    let marks = scanned.inventories.iter().flat_map(|i| &i.marks);
    let suppressions = inline_suppressions(&findings, marks);
    findings.into_iter().zip(suppressions).collect()
}

fn suppressed(name: &str, src: &str) -> Vec<(String, Option<String>)> {
    judged(name, src)
        .into_iter()
        .filter_map(|(f, s)| s.map(|s| (format!("{} {}", f.rule_id, s.mark), s.reason)))
        .collect()
}

#[test]
fn a_mark_after_a_closing_brace_at_column_zero_still_belongs_to_its_resource() {
    // The heredoc's `}` at the start of a line is not the end of the resource.
    let tf = r#"
resource "aws_api_gateway_stage" "prod" {
  rest_api_id   = "a1"
  deployment_id = "d1"
  stage_name    = "prod"
  description   = <<-EOT
{
}
EOT
  # stagelog:ignore SL001 -- logs go through the CDN in front of it
}
"#;
    let got = suppressed("main.tf", tf);
    assert_eq!(
        got,
        [(
            "SL001 stagelog:ignore SL001".to_string(),
            Some("logs go through the CDN in front of it".to_string())
        )]
    );
}

#[test]
fn template_metadata_marks_need_no_file() {
    let yaml = r#"
Resources:
  Prod:
    Type: AWS::ApiGateway::Stage
    Metadata:
      checkov:
        skip:
          - id: CKV_AWS_76
            comment: internal health checks only
    Properties:
      RestApiId: a1
      DeploymentId: d1
      StageName: prod
"#;
    let got = suppressed("in-memory/template.yaml", yaml);
    assert_eq!(
        got,
        [(
            "SL001 checkov:skip=CKV_AWS_76".to_string(),
            Some("internal health checks only".to_string())
        )]
    );
}

#[test]
fn kics_comments_suppress_the_rules_its_queries_map_to() {
    let tf = r#"# kics-scan disable=982aa526-6970-4c59-8b9b-2ce7e019fe36
# (execution logging is checked by the platform team's own policy)

resource "aws_api_gateway_stage" "internal" {
  rest_api_id   = "a1"
  deployment_id = "d1"
  stage_name    = "internal"
}

# kics-scan ignore-block
resource "aws_apigatewayv2_stage" "legacy" {
  api_id = "h1"
  name   = "legacy"
}

resource "aws_apigatewayv2_stage" "public" {
  api_id = "h2"
  name   = "public"
}
"#;
    let mut got: Vec<String> = suppressed("main.tf", tf)
        .into_iter()
        .map(|(m, _)| m)
        .collect();
    got.sort();
    // The file-wide disable covers SL010 on every stage but not SL001; the ignore-block covers
    // the legacy stage's access-logging finding (the KICS-mapped rules) only; the public
    // stage keeps its SL002.
    assert_eq!(
        got,
        [
            "SL002 kics-scan ignore",
            "SL010 kics-scan disable=982aa526-6970-4c59-8b9b-2ce7e019fe36",
        ]
    );
    let open: Vec<String> = judged("main.tf", tf)
        .into_iter()
        .filter(|(_, s)| s.is_none())
        .map(|(f, _)| format!("{} {}", f.rule_id, f.location.resource))
        .filter(|s| s.starts_with("SL001") || s.starts_with("SL002"))
        .collect();
    assert!(
        open.contains(&"SL001 aws_api_gateway_stage.internal".to_string()),
        "{open:?}"
    );
    assert!(
        open.contains(&"SL002 aws_apigatewayv2_stage.public".to_string()),
        "{open:?}"
    );
}

#[test]
fn cdk_nag_guard_and_kics_marks_in_templates() {
    let yaml = r#"AWSTemplateFormatVersion: "2010-09-09"
Resources:
  RestStage:
    Type: AWS::ApiGateway::Stage
    Metadata:
      cdk_nag:
        rules_to_suppress:
          - id: AwsSolutions-APIG1
            reason: access logs are shipped by the ingress proxy
      guard:
        SuppressedRules:
          - API_GW_EXECUTION_LOGGING_ENABLED
    Properties:
      RestApiId: a1
      DeploymentId: d1
      StageName: prod
  # kics-scan ignore-line
  HttpStage:
    Type: AWS::ApiGatewayV2::Stage
    Properties:
      ApiId: h1
      StageName: prod
"#;
    let mut got = suppressed("template.yaml", yaml);
    got.sort();
    assert_eq!(
        got,
        [
            (
                "SL001 cdk_nag rules_to_suppress AwsSolutions-APIG1".to_string(),
                Some("access logs are shipped by the ingress proxy".to_string())
            ),
            ("SL002 kics-scan ignore".to_string(), None),
            (
                "SL010 guard SuppressedRules API_GW_EXECUTION_LOGGING_ENABLED".to_string(),
                None
            ),
        ]
    );
}

//! Suppression marks are collected while adapting: found for sources that exist only in
//! memory (nothing reads a file again), and anywhere inside a resource, whatever its layout.
use stagelog_iac::suppress::inline_suppressions;
use stagelog_rules::{check, Config, Selection};

fn suppressed(name: &str, src: &str) -> Vec<(String, Option<String>)> {
    let scanned = stagelog_iac::scan_sources(&[(name, src)], false);
    assert!(scanned.errors.is_empty(), "{:?}", scanned.errors);
    let findings: Vec<_> = scanned
        .inventories
        .iter()
        .flat_map(|inv| check(inv, &Config::default(), &Selection::default()))
        .collect();
    let marks = scanned.inventories.iter().flat_map(|i| &i.marks);
    findings
        .iter()
        .zip(inline_suppressions(&findings, marks))
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

//! A configuration Terraform reads and hcl-edit alone does not (an object `for` expression
//! broken over lines, as cloudposse's null-label writes it) is fixed like any other, with the
//! expression left as written.
use stagelog_fix::{plan, Options};
use stagelog_rules::{check, Config, Selection};

const MAIN: &str = r#"locals {
  labels = { for k in var.names : k => var.case == "upper" ? upper(var.values[k]) :
    lower(var.values[k]) # the default
  }
}

resource "aws_apigatewayv2_api" "this" {
  name          = "orders"
  protocol_type = "HTTP"
}

resource "aws_apigatewayv2_stage" "this" {
  api_id = aws_apigatewayv2_api.this.id
  name   = "prod"
}
"#;

#[test]
fn a_file_with_a_multi_line_object_for_expression_is_fixed_in_place() {
    let scanned = stagelog_iac::scan_sources(&[("main.tf", MAIN)], true);
    assert!(scanned.errors.is_empty(), "{:?}", scanned.errors);
    let sel = Selection {
        select: vec!["SL002".into()],
        ignore: vec![],
    };
    let findings: Vec<_> = scanned
        .inventories
        .iter()
        .flat_map(|inv| check(inv, &Config::default(), &sel))
        .collect();
    assert_eq!(findings.len(), 1);
    let fixes = plan(&scanned, &findings, &Options::default());
    assert!(fixes.errors.is_empty(), "{:?}", fixes.errors);
    assert_eq!(fixes.files.len(), 1);
    let after = &fixes.files[0].after;
    assert!(after.starts_with(&MAIN[..MAIN.find("resource \"aws_apigatewayv2_stage\"").unwrap()]));
    assert!(after.contains("access_log_settings {"), "{after}");
}

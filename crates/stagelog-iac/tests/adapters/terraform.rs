//! Where stages hide in Terraform, and what peers get wrong there.
use crate::common;
use common::scan_files;

const REST_API: &str = r#"
resource "aws_api_gateway_rest_api" "api" { name = "api" }
resource "aws_cloudwatch_log_group" "access" {
  name              = "/aws/vendedlogs/apigateway/api"
  retention_in_days = 365
  kms_key_id        = "arn:aws:kms:eu-west-1:123456789012:key/1"
}
resource "aws_api_gateway_account" "this" { cloudwatch_role_arn = "arn:aws:iam::123456789012:role/cw" }
"#;

fn logged_stage(name: &str, stage: &str) -> String {
    format!(
        r#"
resource "aws_api_gateway_stage" "{name}" {{
  rest_api_id = aws_api_gateway_rest_api.api.id
  stage_name  = "{stage}"
  access_log_settings {{
    destination_arn = aws_cloudwatch_log_group.access.arn
    format = jsonencode({{ requestId = "$context.requestId", ip = "$context.identity.sourceIp", caller = "$context.identity.caller", time = "$context.requestTime", method = "$context.httpMethod", path = "$context.resourcePath", status = "$context.status", protocol = "$context.protocol", len = "$context.responseLength" }})
  }}
}}
resource "aws_api_gateway_method_settings" "{name}" {{
  rest_api_id = aws_api_gateway_rest_api.api.id
  stage_name  = aws_api_gateway_stage.{name}.stage_name
  method_path = "*/*"
  settings {{ logging_level = "ERROR" }}
}}
"#
    )
}

#[test]
fn a_fully_logged_rest_stage_is_clean() {
    let s = scan_files(&[(
        "main.tf",
        &format!("{REST_API}{}", logged_stage("prod", "prod")),
    )]);
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    assert_eq!(s.ids(), Vec::<String>::new());
    assert_eq!(s.stages, 1);
}

#[test]
fn unlogged_stage_is_reported_even_when_a_sibling_logs() {
    let tf = format!(
        r#"{REST_API}{}
resource "aws_api_gateway_stage" "dev" {{
  rest_api_id = aws_api_gateway_rest_api.api.id
  stage_name  = "dev"
}}"#,
        logged_stage("prod", "prod")
    );
    let s = scan_files(&[("main.tf", &tf)]);
    assert_eq!(
        s.ids(),
        [
            "SL001 aws_api_gateway_stage.dev",
            "SL010 aws_api_gateway_stage.dev"
        ]
    );
    let f = &s.of("SL001")[0];
    assert_eq!(f.location.line, Some(25));
    assert_eq!(f.stage.as_deref(), Some("dev"));
}

#[test]
fn method_settings_attach_by_reference_or_literal_and_overrides_may_not_turn_logging_off() {
    let tf = format!(
        r#"{REST_API}{}
resource "aws_api_gateway_method_settings" "health_off" {{
  rest_api_id = aws_api_gateway_rest_api.api.id
  stage_name  = "prod"
  method_path = "health/GET"
  settings {{ logging_level = "OFF" }}
}}"#,
        logged_stage("prod", "prod")
    );
    let s = scan_files(&[("main.tf", &tf)]);
    assert_eq!(
        s.ids(),
        ["SL010 aws_api_gateway_method_settings.health_off"]
    );
    assert!(s.of("SL010")[0].message.contains("`health/GET`"));
}

#[test]
fn method_settings_that_match_no_stage_make_the_level_unknown_not_missing() {
    let tf = format!(
        r#"{REST_API}
variable "stage" {{ type = string }}
resource "aws_api_gateway_stage" "s" {{
  rest_api_id = aws_api_gateway_rest_api.api.id
  stage_name  = "prod"
}}
resource "aws_api_gateway_method_settings" "all" {{
  rest_api_id = aws_api_gateway_rest_api.api.id
  stage_name  = var.stage
  method_path = "*/*"
  settings {{ logging_level = "INFO" }}
}}"#
    );
    let s = scan_files(&[("main.tf", &tf)]);
    assert!(s.of("SL010").is_empty(), "{:?}", s.ids());
    assert_eq!(s.ids(), ["SL001 aws_api_gateway_stage.s"]);
}

#[test]
fn unresolved_values_are_never_reported_as_missing() {
    let tf = r#"
variable "log_arn" { type = string }
variable "fmt" { type = string }
resource "aws_apigatewayv2_stage" "s" {
  api_id = "abc123"
  name   = "prod"
  access_log_settings {
    destination_arn = var.log_arn
    format          = var.fmt
  }
}
resource "aws_apigatewayv2_stage" "dyn" {
  api_id = "abc123"
  name   = "dyn"
  dynamic "access_log_settings" {
    for_each = var.enabled ? [1] : []
    content {
      destination_arn = var.log_arn
      format          = var.fmt
    }
  }
}"#;
    let s = scan_files(&[("main.tf", tf)]);
    assert_eq!(s.ids(), Vec::<String>::new());
    assert_eq!(s.stages, 2);
}

#[test]
fn variable_defaults_and_tfvars_are_resolved() {
    let tf = r#"
variable "log_arn" { default = "arn:aws:logs:eu-west-1:123456789012:log-group:ok" }
variable "other_arn" { default = "arn:aws:logs:eu-west-1:123456789012:log-group:ok" }
resource "aws_apigatewayv2_stage" "a" {
  api_id = "abc"
  name   = "a"
  access_log_settings {
    destination_arn = var.log_arn
    format          = "$context.requestId"
  }
}
resource "aws_apigatewayv2_stage" "b" {
  api_id = "abc"
  name   = "b"
  access_log_settings {
    destination_arn = var.other_arn
    format          = "$context.requestId"
  }
}"#;
    let s = scan_files(&[
        ("main.tf", tf),
        ("terraform.tfvars", "other_arn = \"logs-please\"\n"),
    ]);
    let sl003: Vec<_> = s
        .of("SL003")
        .iter()
        .map(|f| f.location.resource.clone())
        .collect();
    assert_eq!(sl003, ["aws_apigatewayv2_stage.b"]);
    assert!(s.of("SL003")[0].message.contains("`logs-please`"));
}

#[test]
fn destination_must_be_a_log_group_or_apigateway_firehose_and_star_suffix_is_fine() {
    let stage = |name: &str, dest: &str| {
        format!(
            r#"resource "aws_apigatewayv2_stage" "{name}" {{
  api_id = "abc"
  name   = "{name}"
  access_log_settings {{
    destination_arn = "{dest}"
    format          = "$context.requestId"
  }}
}}
"#
        )
    };
    let tf = [
        stage("junk", "not-an-arn"),
        stage("star", "arn:aws:logs:eu-west-1:123456789012:log-group:x:*"),
        stage("bucket", "arn:aws:s3:::bucket"),
        stage(
            "fh_bad",
            "arn:aws:firehose:eu-west-1:123456789012:deliverystream/logs",
        ),
        stage(
            "fh_ok",
            "arn:aws:firehose:eu-west-1:123456789012:deliverystream/amazon-apigateway-logs",
        ),
    ]
    .concat();
    let s = scan_files(&[("main.tf", &tf)]);
    let mut bad: Vec<_> = s
        .of("SL003")
        .iter()
        .map(|f| f.location.resource.clone())
        .collect();
    bad.sort();
    assert_eq!(
        bad,
        [
            "aws_apigatewayv2_stage.bucket",
            "aws_apigatewayv2_stage.fh_bad",
            "aws_apigatewayv2_stage.junk"
        ]
    );
}

#[test]
fn quick_create_api_has_an_unlogged_default_stage() {
    let tf = r#"
resource "aws_apigatewayv2_api" "quick" {
  name          = "quick"
  protocol_type = "HTTP"
  target        = "arn:aws:lambda:eu-west-1:123456789012:function:f"
}"#;
    let s = scan_files(&[("main.tf", tf)]);
    assert_eq!(s.ids(), ["SL002 aws_apigatewayv2_api.quick"]);
    assert_eq!(s.findings[0].stage.as_deref(), Some("$default"));
}

#[test]
fn websocket_with_logging_off_fails_and_http_never_needs_execution_logging() {
    let tf = r#"
resource "aws_apigatewayv2_api" "ws" {
  name                       = "ws"
  protocol_type              = "WEBSOCKET"
  route_selection_expression = "$request.body.action"
}
resource "aws_apigatewayv2_api" "http" {
  name          = "http"
  protocol_type = "HTTP"
}
resource "aws_apigatewayv2_stage" "ws" {
  api_id = aws_apigatewayv2_api.ws.id
  name   = "prod"
  access_log_settings {
    destination_arn = "arn:aws:logs:eu-west-1:123456789012:log-group:ws"
    format          = "$context.requestId $context.identity.sourceIp $context.identity.user $context.requestTime $context.eventType $context.routeKey $context.status"
  }
  default_route_settings { logging_level = "OFF" }
}
resource "aws_apigatewayv2_stage" "http" {
  api_id = aws_apigatewayv2_api.http.id
  name   = "$default"
  access_log_settings {
    destination_arn = "arn:aws:logs:eu-west-1:123456789012:log-group:http"
    format          = "$context.requestId $context.identity.sourceIp $context.identity.user $context.requestTime $context.httpMethod $context.routeKey $context.status $context.protocol $context.responseLength"
  }
}"#;
    let s = scan_files(&[("main.tf", tf)]);
    assert_eq!(
        s.ids(),
        [
            "SL010 aws_apigatewayv2_stage.ws",
            "SL030 aws_apigatewayv2_stage.ws"
        ]
    );
    assert_eq!(s.of("SL030")[0].severity, stagelog_model::Severity::Info);
}

#[test]
fn references_resolve_across_files_of_a_module_and_log_groups_are_judged() {
    let s = scan_files(&[
        (
            "logs.tf",
            r#"resource "aws_cloudwatch_log_group" "access" {
  name = "/aws/vendedlogs/apigateway/api"
}"#,
        ),
        (
            "api.tf",
            r#"resource "aws_apigatewayv2_stage" "s" {
  api_id = "abc"
  name   = "prod"
  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format          = jsonencode({ requestId = "$context.requestId" })
  }
}"#,
        ),
    ]);
    assert!(s.has("SL020", "aws_cloudwatch_log_group.access"));
    assert!(s.has("SL021", "aws_cloudwatch_log_group.access"));
    assert!(s.of("SL003").is_empty());
    let f = s.of("SL020")[0];
    assert!(f.location.file.as_deref().unwrap().ends_with("logs.tf"));
    assert_eq!(f.location.line, Some(1));
}

#[test]
fn jsonencode_formats_with_locals_and_holes() {
    let tf = r#"
variable "extra" { type = string }
locals {
  base = { requestId = "$context.requestId", status = "$context.status" }
}
resource "aws_apigatewayv2_stage" "known" {
  api_id = "abc"
  name   = "known"
  access_log_settings {
    destination_arn = "arn:aws:logs:eu-west-1:123456789012:log-group:x"
    format          = jsonencode(local.base)
  }
}
resource "aws_apigatewayv2_stage" "partial" {
  api_id = "abc"
  name   = "partial"
  access_log_settings {
    destination_arn = "arn:aws:logs:eu-west-1:123456789012:log-group:x"
    format          = jsonencode(merge(local.base, { extra = var.extra }))
  }
}"#;
    let s = scan_files(&[("main.tf", tf)]);
    // The known format lacks audit fields; the partial one might carry them: not judged.
    assert_eq!(s.ids(), ["SL005 aws_apigatewayv2_stage.known"]);
    assert!(s.of("SL004").is_empty());
}

#[test]
fn count_and_for_each_expand_and_count_zero_removes() {
    let tf = r#"
variable "stages" { default = { dev = "d", prod = "p" } }
resource "aws_apigatewayv2_stage" "each" {
  for_each = var.stages
  api_id   = "abc"
  name     = each.key
}
resource "aws_apigatewayv2_stage" "never" {
  count  = 0
  api_id = "abc"
  name   = "never"
}"#;
    let s = scan_files(&[("main.tf", tf)]);
    assert_eq!(
        s.ids(),
        [
            "SL002 aws_apigatewayv2_stage.each[\"dev\"]",
            "SL002 aws_apigatewayv2_stage.each[\"prod\"]"
        ]
    );
}

#[test]
fn terraform_json_syntax_is_read_with_lines() {
    let json = r#"{
  "resource": {
    "aws_api_gateway_stage": {
      "prod": {
        "rest_api_id": "${aws_api_gateway_rest_api.api.id}",
        "stage_name": "prod"
      }
    }
  }
}"#;
    let s = scan_files(&[("main.tf.json", json)]);
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    assert_eq!(
        s.ids(),
        [
            "SL001 aws_api_gateway_stage.prod",
            "SL010 aws_api_gateway_stage.prod"
        ]
    );
    assert_eq!(s.findings[0].location.line, Some(4));
}

#[test]
fn account_resource_without_role_fails_and_absence_is_a_reminder() {
    let stage = r#"
resource "aws_api_gateway_stage" "s" {
  rest_api_id = "abc"
  stage_name  = "prod"
  access_log_settings {
    destination_arn = "arn:aws:logs:eu-west-1:123456789012:log-group:x"
    format          = "$context.requestId"
  }
}
"#;
    let s = scan_files(&[("main.tf", stage)]);
    let f = s.of("SL030");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].severity, stagelog_model::Severity::Info);
    let s = scan_files(&[(
        "main.tf",
        &format!("{stage}resource \"aws_api_gateway_account\" \"a\" {{}}\n"),
    )]);
    let f = s.of("SL030");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].severity, stagelog_model::Severity::High);
    assert_eq!(f[0].location.resource, "aws_api_gateway_account.a");
}

#[test]
fn deployment_stage_name_creates_a_stage() {
    let tf = r#"
resource "aws_api_gateway_deployment" "d" {
  rest_api_id = "abc"
  stage_name  = "v1"
}"#;
    let s = scan_files(&[("main.tf", tf)]);
    assert_eq!(
        s.ids(),
        [
            "SL001 aws_api_gateway_deployment.d",
            "SL010 aws_api_gateway_deployment.d"
        ]
    );
}

#[test]
fn a_quick_create_stage_exists_only_when_target_has_a_value() {
    let tf = r#"
variable "target" {
  type    = string
  default = null
}

variable "create_default_stage" {
  type    = bool
  default = false
}

resource "aws_apigatewayv2_api" "from_var" {
  name          = "orders"
  protocol_type = "HTTP"
  target        = var.target
}

resource "aws_apigatewayv2_api" "conditional" {
  name          = "orders-b"
  protocol_type = "HTTP"
  target        = var.create_default_stage ? "arn:aws:lambda:eu-west-1:123456789012:function:x" : null
}

resource "aws_apigatewayv2_api" "quick" {
  name          = "orders-c"
  protocol_type = "HTTP"
  target        = "arn:aws:lambda:eu-west-1:123456789012:function:x"
}
"#;
    let s = scan_files(&[("main.tf", tf)]);
    assert_eq!(s.ids(), ["SL002 aws_apigatewayv2_api.quick"]);
}

#[test]
fn opentofu_files_are_read_and_hide_the_tf_file_of_the_same_name() {
    let stage = |name: &str, logged: bool| {
        let access = if logged {
            "\n  access_log_settings {\n    destination_arn = \"arn:aws:logs:eu-west-1:123456789012:log-group:/a\"\n    format          = jsonencode({ requestId = \"$context.requestId\" })\n  }\n"
        } else {
            ""
        };
        format!(
            "resource \"aws_api_gateway_stage\" \"{name}\" {{\n  rest_api_id   = \"a1\"\n  deployment_id = \"d1\"\n  stage_name    = \"prod\"\n{access}}}\n"
        )
    };
    let s = scan_files(&[
        // main.tofu hides main.tf: OpenTofu reads the logged stage, not the unlogged one.
        ("m/main.tf", &stage("api", false)),
        ("m/main.tofu", &stage("api", true)),
        // other.tofu is read like any .tf file.
        ("m/other.tofu", &stage("other", false)),
    ]);
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    assert_eq!(s.of("SL001").len(), 1);
    assert!(s.has("SL001", "aws_api_gateway_stage.other"));
    assert_eq!(s.files, 2);
}

/// A team's stage module: access logs and route settings switched by inputs through `dynamic`
/// blocks, as such modules are written.
const DYNAMIC_STAGE: &str = r#"
variable "access_log_group_arn" {
  type    = string
  default = null
}

variable "route_overrides" {
  type = map(object({
    logging_level = string
  }))
  default = {}
}

resource "aws_apigatewayv2_api" "this" {
  name          = "orders"
  protocol_type = "WEBSOCKET"
}

resource "aws_apigatewayv2_stage" "this" {
  api_id = aws_apigatewayv2_api.this.id
  name   = "prod"

  dynamic "access_log_settings" {
    for_each = var.access_log_group_arn == null ? [] : [var.access_log_group_arn]
    content {
      destination_arn = access_log_settings.value
      format          = jsonencode({ requestId = "$context.requestId" })
    }
  }

  default_route_settings {
    logging_level = "ERROR"
  }

  dynamic "route_settings" {
    for_each = var.route_overrides
    iterator = route
    content {
      route_key     = route.key
      logging_level = route.value.logging_level
    }
  }
}
"#;

#[test]
fn dynamic_blocks_expand_when_their_for_each_is_known() {
    // Defaults: no access log group, no overrides → zero blocks: no access logging.
    let s = scan_files(&[("main.tf", DYNAMIC_STAGE)]);
    assert!(
        s.has("SL002", "aws_apigatewayv2_stage.this"),
        "{:?}",
        s.ids()
    );
    assert!(s.of("SL010").is_empty(), "{:?}", s.ids());

    // A tfvars turns access logs on and one route's execution logging off.
    let s = scan_files(&[
        ("main.tf", DYNAMIC_STAGE),
        (
            "terraform.tfvars",
            r#"
access_log_group_arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/vendedlogs/apigateway/orders/prod"
route_overrides = {
  "$connect" = { logging_level = "OFF" }
}
"#,
        ),
    ]);
    let ids = s.ids();
    assert!(!ids.iter().any(|i| i.starts_with("SL002")), "{ids:?}");
    let off = s.of("SL010");
    assert_eq!(off.len(), 1, "{ids:?}");
    assert!(
        off[0]
            .message
            .contains("`$connect` turns execution logging OFF"),
        "{}",
        off[0].message
    );

    // A for_each the scan cannot know stays unknown: nothing reported as missing.
    let unknown = DYNAMIC_STAGE.replace(
        "for_each = var.access_log_group_arn == null ? [] : [var.access_log_group_arn]",
        "for_each = data.aws_ssm_parameter.log_groups.value",
    );
    let s = scan_files(&[("main.tf", &unknown)]);
    assert!(s.of("SL002").is_empty(), "{:?}", s.ids());
}

/// A registry-style stages variable: `optional()` defaults turn logging on unless a caller
/// (here: a tfvars) turns it off.
const OPTIONAL_DEFAULTS: &str = r#"
variable "stages" {
  type = map(object({
    logging_level      = optional(string, "INFO")
    data_trace_enabled = optional(bool, false)
    access_logs = optional(object({
      destination_arn = string
      format          = optional(string, "{\"requestId\":\"$context.requestId\"}")
    }))
  }))
  default = {
    prod = {
      access_logs = {
        destination_arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/vendedlogs/apigateway/orders/prod"
      }
    }
  }
}

variable "ws_settings" {
  type = object({
    level = optional(string, "ERROR")
  })
  default  = {}
  nullable = false
}

resource "aws_apigatewayv2_api" "ws" {
  name          = "orders"
  protocol_type = "WEBSOCKET"
}

resource "aws_apigatewayv2_stage" "this" {
  for_each = var.stages
  api_id   = aws_apigatewayv2_api.ws.id
  name     = each.key

  dynamic "access_log_settings" {
    for_each = each.value.access_logs == null ? [] : [each.value.access_logs]
    content {
      destination_arn = access_log_settings.value.destination_arn
      format          = access_log_settings.value.format
    }
  }

  default_route_settings {
    logging_level      = each.value.logging_level
    data_trace_enabled = each.value.data_trace_enabled
  }
}

resource "aws_apigatewayv2_stage" "other" {
  api_id = aws_apigatewayv2_api.ws.id
  name   = "other"

  access_log_settings {
    destination_arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/vendedlogs/apigateway/orders/other"
    format          = jsonencode({ requestId = "$context.requestId" })
  }

  default_route_settings {
    logging_level = var.ws_settings.level
  }
}
"#;

#[test]
fn optional_attribute_defaults_fill_in_values_as_terraform_does() {
    let s = scan_files(&[("main.tf", OPTIONAL_DEFAULTS)]);
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    // Defaults: prod logs (access logs with the optional format, INFO); other logs ERROR.
    for rule in ["SL002", "SL004", "SL010", "SL011"] {
        assert!(s.of(rule).is_empty(), "{rule}: {:?}", s.ids());
    }
    // A caller's values: dev without access logs and with data trace; `null` for a
    // non-nullable variable means its default.
    let s = scan_files(&[
        ("main.tf", OPTIONAL_DEFAULTS),
        (
            "terraform.tfvars",
            r#"
stages = {
  dev = {
    logging_level      = "OFF"
    data_trace_enabled = true
  }
}
ws_settings = null
"#,
        ),
    ]);
    let ids = s.ids();
    assert!(
        ids.contains(&"SL002 aws_apigatewayv2_stage.this[\"dev\"]".to_string()),
        "{ids:?}"
    );
    assert!(
        ids.contains(&"SL010 aws_apigatewayv2_stage.this[\"dev\"]".to_string()),
        "{ids:?}"
    );
    assert!(
        ids.contains(&"SL011 aws_apigatewayv2_stage.this[\"dev\"]".to_string()),
        "{ids:?}"
    );
    // ws_settings = null on a non-nullable variable: its default ({}), whose level is ERROR.
    assert!(!s.has("SL010", "aws_apigatewayv2_stage.other"), "{ids:?}");
}

/// An object `for` expression broken over lines, as cloudposse's null-label writes it:
/// Terraform reads it (hcl-edit 0.10 alone does not), and what follows keeps its lines.
#[test]
fn object_for_expressions_over_several_lines_are_read_as_terraform_reads_them() {
    let s = crate::common::scan_files(&[(
        "api/main.tf",
        r#"locals {
  names = ["namespace", "stage", "name"]
  case  = "lower"
  # Each label in the case asked for.
  labels = { for k in local.names : k => local.case == "none" ? var.labels[k] :
    local.case == "upper" ? upper(var.labels[k]) : # shouting
    lower(var.labels[k])
  }
}

variable "labels" {
  type    = map(string)
  default = { namespace = "eg", stage = "prod", name = "orders" }
}

resource "aws_apigatewayv2_stage" "this" {
  api_id = "a1b2c3"
  name   = local.labels["stage"]
}
"#,
    )]);
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    let found = s.of("SL002");
    assert_eq!(found.len(), 1, "{:?}", s.ids());
    assert_eq!(found[0].location.line, Some(16));
    assert_eq!(found[0].stage.as_deref(), Some("prod"));
}

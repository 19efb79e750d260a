//! Terraform modules as teams write them: a team module called from two roots with different
//! inputs, a registry module that `terraform init` downloaded (with `optional()` defaults), calls
//! with `count` and `for_each`, nesting, outputs used by the caller, a module not downloaded,
//! and a module that calls itself.
use crate::common::scan_files;

/// The team's stage module: access logs switched by an input through a `dynamic` block.
const TEAM_MODULE: &str = r#"
variable "api_id" {
  type = string
}

variable "stage_name" {
  type    = string
  default = "prod"
}

variable "access_log_group_arn" {
  description = "Where access logs go; null turns them off."
  type        = string
  default     = null
}

resource "aws_apigatewayv2_stage" "this" {
  api_id      = var.api_id
  name        = var.stage_name
  auto_deploy = true

  dynamic "access_log_settings" {
    for_each = var.access_log_group_arn == null ? [] : [var.access_log_group_arn]
    content {
      destination_arn = access_log_settings.value
      format          = jsonencode({ requestId = "$context.requestId", ip = "$context.identity.sourceIp", requestTime = "$context.requestTime", httpMethod = "$context.httpMethod", routeKey = "$context.routeKey", status = "$context.status", protocol = "$context.protocol", responseLength = "$context.responseLength" })
    }
  }
}

output "stage_arn" {
  value = aws_apigatewayv2_stage.this.arn
}
"#;

const ORDERS_ROOT: &str = r#"
resource "aws_apigatewayv2_api" "orders" {
  name          = "orders"
  protocol_type = "HTTP"
}

resource "aws_cloudwatch_log_group" "orders" {
  name              = "/aws/vendedlogs/apigateway/orders"
  retention_in_days = 365
}

module "orders_stage" {
  source               = "../../modules/http-stage"
  api_id               = aws_apigatewayv2_api.orders.id
  access_log_group_arn = aws_cloudwatch_log_group.orders.arn
}
"#;

const BILLING_ROOT: &str = r#"
resource "aws_apigatewayv2_api" "billing" {
  name          = "billing"
  protocol_type = "HTTP"
}

# Forgot the log group: the module's default turns access logs off.
module "billing_stage" {
  source     = "../../modules/http-stage"
  api_id     = aws_apigatewayv2_api.billing.id
  stage_name = "live"
}
"#;

#[test]
fn a_team_module_is_judged_through_each_caller_and_not_on_its_own() {
    let s = scan_files(&[
        ("modules/http-stage/main.tf", TEAM_MODULE),
        ("envs/orders/main.tf", ORDERS_ROOT),
        ("envs/billing/main.tf", BILLING_ROOT),
    ]);
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    // One finding: billing's stage, at the module's resource, with the call that passed it.
    let found = s.of("SL002");
    assert_eq!(found.len(), 1, "{:?}", s.ids());
    let f = found[0];
    assert_eq!(
        f.location.resource,
        "module.billing_stage.aws_apigatewayv2_stage.this"
    );
    assert_eq!(
        f.location
            .file
            .as_deref()
            .map(|p| p.ends_with("modules/http-stage/main.tf")),
        Some(true)
    );
    assert_eq!(f.location.line, Some(17));
    assert_eq!(f.location.via.len(), 1);
    assert!(
        f.location.via[0]
            .to_string()
            .ends_with("envs/billing/main.tf:8 (module.billing_stage)"),
        "{:?}",
        f.location.via
    );
    assert_eq!(f.stage.as_deref(), Some("live"));
    // The module directory is not a root of its own: its defaults (no api, no logs) are not
    // judged as if someone deployed them. Two stages, one per caller.
    assert_eq!(s.stages, 2);
}

const REGISTRY_MODULE: &str = r#"
variable "name" {
  type = string
}

variable "stages" {
  type = map(object({
    logging_level = optional(string, "INFO")
    access_logs   = optional(bool, true)
  }))
  default = {}
}

resource "aws_apigatewayv2_api" "this" {
  name          = var.name
  protocol_type = "WEBSOCKET"
}

resource "aws_cloudwatch_log_group" "access" {
  for_each          = { for k, v in var.stages : k => v if v.access_logs }
  name              = "/aws/vendedlogs/apigateway/${var.name}/${each.key}"
  retention_in_days = 400
}

resource "aws_apigatewayv2_stage" "this" {
  for_each = var.stages
  api_id   = aws_apigatewayv2_api.this.id
  name     = each.key

  dynamic "access_log_settings" {
    for_each = each.value.access_logs ? [each.key] : []
    content {
      destination_arn = aws_cloudwatch_log_group.access[access_log_settings.value].arn
      format          = jsonencode({ requestId = "$context.requestId" })
    }
  }

  default_route_settings {
    logging_level = each.value.logging_level
  }
}

output "api_id" {
  value = aws_apigatewayv2_api.this.id
}
"#;

const MODULES_JSON: &str = r#"{"Modules":[{"Key":"","Source":"","Dir":"."},{"Key":"chat","Source":"registry.terraform.io/acme/websocket/aws","Version":"2.1.0","Dir":".terraform/modules/chat"}]}"#;

#[test]
fn a_downloaded_registry_module_with_optional_defaults_and_a_caller_that_turns_logging_off() {
    let root = r#"
module "chat" {
  source  = "acme/websocket/aws"
  version = "~> 2.1"
  name    = "chat"
  stages = {
    prod = {}
    dev  = { logging_level = "OFF", access_logs = false }
  }
}
"#;
    let s = scan_files(&[
        ("live/main.tf", root),
        ("live/.terraform/modules/modules.json", MODULES_JSON),
        ("live/.terraform/modules/chat/main.tf", REGISTRY_MODULE),
    ]);
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    let mut ids: Vec<String> = s
        .findings
        .iter()
        .filter(|f| f.severity > stagelog_model::Severity::Low)
        .map(|f| format!("{} {}", f.rule_id, f.location.resource))
        .collect();
    ids.sort();
    // prod takes the module's defaults (logs on, INFO): fine. dev is what the caller turned off.
    assert_eq!(
        ids,
        [
            "SL002 module.chat.aws_apigatewayv2_stage.this[\"dev\"]",
            "SL010 module.chat.aws_apigatewayv2_stage.this[\"dev\"]",
        ]
    );
    for f in &s.findings {
        assert_eq!(
            f.location.via.len(),
            1,
            "{} {} {:?}",
            f.rule_id,
            f.location.resource,
            f.location.via
        );
    }
}

#[test]
fn calls_with_count_and_for_each_nesting_and_outputs() {
    let logs_module = r#"
variable "name" {
  type = string
}

resource "aws_cloudwatch_log_group" "this" {
  name = "/aws/vendedlogs/apigateway/${var.name}"
}

output "arn" {
  value = aws_cloudwatch_log_group.this.arn
}
"#;
    // A module that calls another (nesting), and whose REST stage uses the child's output.
    let rest_module = r#"
variable "name" {
  type = string
}

module "logs" {
  source = "../logs"
  name   = var.name
}

resource "aws_api_gateway_rest_api" "this" {
  name = var.name
}

resource "aws_api_gateway_stage" "this" {
  rest_api_id   = aws_api_gateway_rest_api.this.id
  deployment_id = "d1"
  stage_name    = "prod"

  access_log_settings {
    destination_arn = module.logs.arn
    format          = jsonencode({ requestId = "$context.requestId" })
  }
}
"#;
    let root = r#"
module "regional" {
  source   = "./modules/rest"
  for_each = toset(["eu", "us"])
  name     = "orders-${each.key}"
}

module "canary" {
  source = "./modules/rest"
  count  = 0
  name   = "canary"
}
"#;
    let s = scan_files(&[
        ("main.tf", root),
        ("modules/rest/main.tf", rest_module),
        ("modules/logs/main.tf", logs_module),
    ]);
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    // count = 0 makes no instance; for_each makes two, each with its own nested log group.
    assert_eq!(s.stages, 2);
    let retention: Vec<String> = s
        .of("SL020")
        .iter()
        .map(|f| format!("{} {:?}", f.location.resource, f.location.via.len()))
        .collect();
    assert_eq!(
        retention,
        [
            "module.regional[\"eu\"].module.logs.aws_cloudwatch_log_group.this 2",
            "module.regional[\"us\"].module.logs.aws_cloudwatch_log_group.this 2",
        ],
        "{:?}",
        s.ids()
    );
    // The stage's destination is the child's log group (through the output): no SL003.
    assert!(s.of("SL003").is_empty(), "{:?}", s.ids());
    assert!(s.has(
        "SL010",
        "module.regional[\"eu\"].aws_api_gateway_stage.this"
    ));
}

#[test]
fn a_module_not_downloaded_is_a_note_and_a_cycle_ends() {
    let root = r#"
module "api" {
  source  = "terraform-aws-modules/apigateway-v2/aws"
  version = "5.0.0"
}

module "self" {
  source = "./loop"
}
"#;
    let looping = r#"
module "again" {
  source = "../loop"
}

resource "aws_api_gateway_stage" "s" {
  rest_api_id   = "a1"
  deployment_id = "d1"
  stage_name    = "prod"
}
"#;
    let out = {
        let dir = tempfile::tempdir().unwrap();
        crate::common::write(dir.path(), &[("main.tf", root), ("loop/main.tf", looping)]);
        stagelog_iac::scan(&[dir.path().to_path_buf()])
    };
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert!(
        out.notes.iter().any(|n| n.contains("module.api")
            && n.contains("terraform-aws-modules/apigateway-v2/aws")
            && n.contains("terraform init")),
        "{:?}",
        out.notes
    );
    assert!(
        out.notes.iter().any(|n| n.contains("cycle")),
        "{:?}",
        out.notes
    );
    // The looping module's stage is judged once, through the root's call.
    assert_eq!(
        out.inventories
            .iter()
            .map(|i| i.stages.len())
            .sum::<usize>(),
        1
    );
}

/// A shared module as the registry's examples write their callers: names from
/// `basename(path.cwd)`, a log group name from `coalesce()` over an optional input, a file
/// next to the module by `path.module`, and a registry module of its own not downloaded.
const SHARED_MODULE: &str = r#"
variable "name" {
  type = string
}

variable "stage_name" {
  type    = string
  default = "$default"
}

variable "access_logs" {
  type = object({
    log_group_name    = optional(string)
    retention_in_days = optional(number, 30)
  })
  default = null
}

module "certificate" {
  source  = "terraform-aws-modules/acm/aws"
  version = "~> 5.0"
}

resource "aws_apigatewayv2_api" "this" {
  name          = var.name
  protocol_type = "HTTP"
  body          = templatefile("${path.module}/openapi.yaml", {})
  description   = "from ${path.module} in ${basename(dirname("${path.cwd}/x"))}"
}

resource "aws_cloudwatch_log_group" "this" {
  for_each          = { for k, v in { "this" = var.access_logs } : k => v if v != null }
  name              = coalesce(each.value.log_group_name, "/aws/apigateway/${var.name}/${replace(var.stage_name, "$", "")}")
  retention_in_days = each.value.retention_in_days
}

resource "aws_apigatewayv2_stage" "this" {
  api_id      = aws_apigatewayv2_api.this.id
  name        = var.stage_name
  auto_deploy = true

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.this["this"].arn
    format          = jsonencode({ requestId = "$context.requestId" })
  }
}
"#;

const EXAMPLE_CALLER: &str = r#"
locals {
  name = "ex-${basename(path.cwd)}"
}

module "api_gateway" {
  source      = "../../modules/http"
  name        = local.name
  access_logs = { retention_in_days = 7 }
}
"#;

#[test]
fn path_values_basename_and_a_partly_known_coalesce_name_the_real_log_group() {
    let s = scan_files(&[
        ("modules/http/main.tf", SHARED_MODULE),
        ("examples/complete/main.tf", EXAMPLE_CALLER),
        ("examples/websocket/main.tf", EXAMPLE_CALLER),
    ]);
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    // Each example root names its API and log group after its own directory, as Terraform
    // run there does; the optional group name is null, so coalesce takes the default.
    let mut groups: Vec<String> = s.of("SL020").iter().map(|f| f.message.clone()).collect();
    groups.sort();
    assert_eq!(groups.len(), 2, "{groups:?}");
    assert!(
        groups[0].starts_with("log group `/aws/apigateway/ex-complete/default` (access logs of HTTP API `ex-complete` stage `$default`) keeps events 7 days"),
        "{groups:?}"
    );
    assert!(
        groups[1].starts_with("log group `/aws/apigateway/ex-websocket/default`"),
        "{groups:?}"
    );
}

#[test]
fn a_module_every_root_calls_says_its_missing_download_once() {
    let dir = tempfile::tempdir().unwrap();
    crate::common::write(
        dir.path(),
        &[
            ("modules/http/main.tf", SHARED_MODULE),
            ("examples/complete/main.tf", EXAMPLE_CALLER),
            ("examples/websocket/main.tf", EXAMPLE_CALLER),
        ],
    );
    let out = stagelog_iac::scan(&[dir.path().to_path_buf()]);
    let about_acm: Vec<&String> = out
        .notes
        .iter()
        .filter(|n| n.contains("module.certificate"))
        .collect();
    assert_eq!(about_acm.len(), 1, "{:?}", out.notes);
    assert!(about_acm[0].contains("terraform-aws-modules/acm/aws"));
}

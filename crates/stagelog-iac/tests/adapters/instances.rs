//! References to one instance of a `count`/`for_each` resource, as Terraform evaluates them:
//! `res.name[each.key].attr` (method settings and log groups following a set of stages),
//! a constant key (`res.name["eu"]`), an index (`res.name[0]`) and splats (`res.name[*].attr`).
use crate::common::scan_files;

/// A stage per region from one map, each with its own log group and method settings that
/// follow the stage by `[each.key]` — how teams write one API deployed several times.
const STAGES: &str = r#"
variable "stages" {
  type = map(object({
    trace     = optional(bool, false)
    retention = optional(number, 365)
  }))
  default = {
    eu = { trace = true }
    us = { retention = 7 }
  }
}

resource "aws_api_gateway_rest_api" "orders" {
  name = "orders"
}

resource "aws_cloudwatch_log_group" "access" {
  for_each          = var.stages
  name              = "/aws/vendedlogs/apigateway/orders/${each.key}"
  retention_in_days = each.value.retention
  kms_key_id        = "arn:aws:kms:eu-west-1:123456789012:key/abc"
}

resource "aws_api_gateway_stage" "orders" {
  for_each      = var.stages
  rest_api_id   = aws_api_gateway_rest_api.orders.id
  deployment_id = "dep"
  stage_name    = each.key

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access[each.key].arn
    format = jsonencode({
      requestId = "$context.requestId", ip = "$context.identity.sourceIp",
      caller = "$context.identity.caller", user = "$context.identity.user",
      requestTime = "$context.requestTime", httpMethod = "$context.httpMethod",
      resourcePath = "$context.resourcePath", status = "$context.status",
      protocol = "$context.protocol", responseLength = "$context.responseLength"
    })
  }
}

resource "aws_api_gateway_method_settings" "all" {
  for_each    = var.stages
  rest_api_id = aws_api_gateway_rest_api.orders.id
  stage_name  = aws_api_gateway_stage.orders[each.key].stage_name
  method_path = "*/*"

  settings {
    logging_level      = "ERROR"
    data_trace_enabled = each.value.trace
  }
}
"#;

#[test]
fn method_settings_and_log_groups_follow_their_stage_by_each_key() {
    let s = scan_files(&[("main.tf", STAGES)]);
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    // Only eu traces data: its method settings, not us's, and not "unknown".
    let trace: Vec<&str> = s
        .of("SL011")
        .iter()
        .map(|f| f.location.resource.as_str())
        .collect();
    assert_eq!(
        trace,
        ["aws_api_gateway_method_settings.all[\"eu\"]"],
        "{:?}",
        s.ids()
    );
    // Each stage writes to its own group: us's 7 days are us's, and no stage shares a group.
    let retention: Vec<&str> = s
        .of("SL020")
        .iter()
        .map(|f| f.location.resource.as_str())
        .collect();
    assert_eq!(
        retention,
        ["aws_cloudwatch_log_group.access[\"us\"]"],
        "{:?}",
        s.ids()
    );
    assert!(s.of("SL006").is_empty(), "{:?}", s.ids());
    assert!(s.of("SL010").is_empty(), "{:?}", s.ids());
    assert!(
        s.of("SL001").is_empty() && s.of("SL003").is_empty(),
        "{:?}",
        s.ids()
    );
}

#[test]
fn constant_keys_indexes_and_splats() {
    let src = r#"
resource "aws_cloudwatch_log_group" "by_region" {
  for_each          = toset(["eu", "us"])
  name              = "/aws/vendedlogs/apigateway/${each.key}"
  retention_in_days = each.key == "eu" ? 365 : 3
}

resource "aws_cloudwatch_log_group" "numbered" {
  count             = 2
  name              = "/aws/vendedlogs/apigateway/n${count.index}"
  retention_in_days = count.index == 0 ? 1 : 365
}

locals {
  numbered_arns = aws_cloudwatch_log_group.numbered[*].arn
}

resource "aws_apigatewayv2_api" "chat" {
  name          = "chat"
  protocol_type = "HTTP"
}

resource "aws_apigatewayv2_stage" "eu" {
  api_id = aws_apigatewayv2_api.chat.id
  name   = "eu"
  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.by_region["us"].arn
    format          = "{\"requestId\":\"$context.requestId\"}"
  }
}

resource "aws_apigatewayv2_stage" "first" {
  api_id = aws_apigatewayv2_api.chat.id
  name   = "first"
  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.numbered[0].arn
    format          = "{\"requestId\":\"$context.requestId\"}"
  }
}

resource "aws_apigatewayv2_stage" "second" {
  api_id = aws_apigatewayv2_api.chat.id
  name   = "second"
  access_log_settings {
    destination_arn = local.numbered_arns[1]
    format          = "{\"requestId\":\"$context.requestId\"}"
  }
}
"#;
    let s = scan_files(&[("main.tf", src)]);
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    let retention: Vec<(&str, &str)> = s
        .of("SL020")
        .iter()
        .map(|f| (f.location.resource.as_str(), f.message.as_str()))
        .collect();
    // by_region["us"] (3 days) is the eu stage's group; numbered[0] (1 day) is first's.
    assert_eq!(retention.len(), 2, "{retention:?}");
    assert!(
        retention
            .iter()
            .any(|(r, m)| *r == "aws_cloudwatch_log_group.by_region[\"us\"]"
                && m.contains("stage `eu`")),
        "{retention:?}"
    );
    assert!(
        retention
            .iter()
            .any(|(r, m)| *r == "aws_cloudwatch_log_group.numbered[0]"
                && m.contains("stage `first`")),
        "{retention:?}"
    );
    // The splat's second element is numbered[1]: second's destination is a log group of
    // its own, known by ARN, not an unknown or an invalid destination.
    assert!(s.of("SL003").is_empty(), "{:?}", s.ids());
    assert!(s.of("SL006").is_empty(), "{:?}", s.ids());
}

//! Plan files (`terraform show -json`): resolved values judged as configuration is, a value
//! known only after apply never reported as missing, child modules' addresses, and resources
//! being deleted not judged.
use crate::common::scan_files;

pub(crate) const PLAN: &str = r#"{
  "format_version": "1.2",
  "terraform_version": "1.9.5",
  "planned_values": {
    "root_module": {
      "resources": [
        {
          "address": "aws_cloudwatch_log_group.access",
          "mode": "managed",
          "type": "aws_cloudwatch_log_group",
          "name": "access",
          "values": {
            "name": "/aws/vendedlogs/apigateway/orders/prod",
            "retention_in_days": 30,
            "kms_key_id": null
          }
        },
        {
          "address": "aws_api_gateway_stage.prod",
          "mode": "managed",
          "type": "aws_api_gateway_stage",
          "name": "prod",
          "values": {
            "stage_name": "prod",
            "rest_api_id": "a1b2c3",
            "access_log_settings": [
              {
                "format": "{\"requestId\":\"$context.requestId\",\"ip\":\"$context.identity.sourceIp\"}"
              }
            ]
          }
        }
      ],
      "child_modules": [
        {
          "address": "module.billing",
          "resources": [
            {
              "address": "module.billing.aws_apigatewayv2_stage.this[\"live\"]",
              "mode": "managed",
              "type": "aws_apigatewayv2_stage",
              "name": "this",
              "index": "live",
              "values": {
                "name": "live",
                "api_id": "x9y8z7",
                "access_log_settings": [],
                "default_route_settings": [
                  { "logging_level": "OFF", "data_trace_enabled": false }
                ]
              }
            }
          ]
        }
      ]
    }
  },
  "resource_changes": [
    {
      "address": "aws_api_gateway_stage.prod",
      "change": {
        "actions": ["create"],
        "after_unknown": {
          "access_log_settings": [ { "destination_arn": true } ],
          "arn": true
        }
      }
    },
    {
      "address": "aws_api_gateway_stage.old",
      "change": { "actions": ["delete"], "after_unknown": {} }
    }
  ],
  "configuration": {
    "root_module": {
      "resources": [
        {
          "address": "aws_api_gateway_stage.prod",
          "expressions": {
            "access_log_settings": [
              { "destination_arn": { "references": ["aws_cloudwatch_log_group.access.arn", "aws_cloudwatch_log_group.access"] } }
            ]
          }
        }
      ]
    }
  }
}
"#;

#[test]
fn a_plan_is_judged_on_its_values_with_unknowns_unknown() {
    let s = scan_files(&[("plan.json", PLAN)]);
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    let ids = s.ids();
    // The destination is known only after apply, and refers to the log group: not missing, not
    // invalid, and the log group's 30 days are judged as the stage's access log group.
    assert!(
        !ids.iter()
            .any(|i| i.starts_with("SL001") || i.starts_with("SL003")),
        "{ids:?}"
    );
    assert!(s.has("SL020", "aws_cloudwatch_log_group.access"), "{ids:?}");
    // The child module's stage, at its plan address, with its line in the plan.
    let v2 = s.of("SL002");
    assert_eq!(v2.len(), 1, "{ids:?}");
    assert_eq!(
        v2[0].location.resource,
        "module.billing.aws_apigatewayv2_stage.this[\"live\"]"
    );
    assert_eq!(v2[0].location.line, Some(38));
    // The stage being deleted (only in resource_changes) is not judged.
    assert!(!ids.iter().any(|i| i.contains(".old")), "{ids:?}");
    assert_eq!(s.stages, 2);
}

#[test]
fn json_that_is_not_a_plan_is_not_read_as_one() {
    let s = scan_files(&[(
        "package.json",
        "{\"format_version\": \"1\", \"name\": \"x\"}",
    )]);
    assert!(
        s.errors.is_empty() && s.stages == 0 && s.files == 0,
        "{:?}",
        s.errors
    );
}

/// The configuration the plan above was made from (its child module not downloaded here).
const CONFIG: &str = r#"resource "aws_cloudwatch_log_group" "access" {
  name              = "/aws/vendedlogs/apigateway/orders/prod"
  retention_in_days = var.retention_days
}

variable "retention_days" {
  type = number
}

resource "aws_api_gateway_stage" "prod" {
  rest_api_id   = var.rest_api_id
  deployment_id = var.deployment_id
  stage_name    = "prod"

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format          = jsonencode({ requestId = "$context.requestId", ip = "$context.identity.sourceIp" })
  }
}

variable "rest_api_id" {
  type = string
}

variable "deployment_id" {
  type = string
}
"#;

#[test]
fn a_plan_scanned_with_its_sources_reports_each_resource_once_at_its_tf_line() {
    let s = scan_files(&[("infra/plan.json", PLAN), ("infra/main.tf", CONFIG)]);
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    // Once each: the two root resources and the child module's stage.
    assert_eq!(s.stages, 2);
    let sl020 = s.of("SL020");
    assert_eq!(sl020.len(), 1, "{:?}", s.ids());
    // Judged on the plan's values (30 days; the source only says var.retention_days), located
    // at the .tf file and line.
    assert!(sl020[0].message.contains("30"), "{}", sl020[0].message);
    assert!(
        sl020[0]
            .location
            .file
            .as_deref()
            .unwrap()
            .ends_with("infra/main.tf"),
        "{:?}",
        sl020[0].location
    );
    assert_eq!(sl020[0].location.line, Some(1));
    // What only the plan knows keeps the plan's address and line.
    let v2 = s.of("SL002");
    assert_eq!(v2.len(), 1);
    assert!(v2[0]
        .location
        .file
        .as_deref()
        .unwrap()
        .ends_with("plan.json"));
}

/// A registry-style module called with for_each: inside each instance, the stage's destination
/// is known only after apply and refers to the module's own log group.
const MODULE_PLAN: &str = r#"{
  "format_version": "1.2",
  "planned_values": {
    "root_module": {
      "child_modules": [
        {
          "address": "module.api[\"eu\"]",
          "resources": [
            {
              "address": "module.api[\"eu\"].aws_cloudwatch_log_group.this",
              "mode": "managed",
              "type": "aws_cloudwatch_log_group",
              "name": "this",
              "values": { "name": "/aws/apigateway/orders-eu", "retention_in_days": 7 }
            },
            {
              "address": "module.api[\"eu\"].aws_apigatewayv2_stage.this",
              "mode": "managed",
              "type": "aws_apigatewayv2_stage",
              "name": "this",
              "values": {
                "name": "$default",
                "api_id": "eu1",
                "access_log_settings": [
                  { "format": "{\"requestId\":\"$context.requestId\",\"ip\":\"$context.identity.sourceIp\",\"requestTime\":\"$context.requestTime\",\"routeKey\":\"$context.routeKey\",\"status\":\"$context.status\"}" }
                ]
              }
            }
          ]
        },
        {
          "address": "module.api[\"us\"]",
          "resources": [
            {
              "address": "module.api[\"us\"].aws_cloudwatch_log_group.this",
              "mode": "managed",
              "type": "aws_cloudwatch_log_group",
              "name": "this",
              "values": { "name": "/aws/apigateway/orders-us", "retention_in_days": 400 }
            },
            {
              "address": "module.api[\"us\"].aws_apigatewayv2_stage.this",
              "mode": "managed",
              "type": "aws_apigatewayv2_stage",
              "name": "this",
              "values": {
                "name": "$default",
                "api_id": "us1",
                "access_log_settings": [
                  { "format": "{\"requestId\":\"$context.requestId\",\"ip\":\"$context.identity.sourceIp\",\"requestTime\":\"$context.requestTime\",\"routeKey\":\"$context.routeKey\",\"status\":\"$context.status\"}" }
                ]
              }
            }
          ]
        }
      ]
    }
  },
  "resource_changes": [
    {
      "address": "module.api[\"eu\"].aws_apigatewayv2_stage.this",
      "change": { "actions": ["create"], "after_unknown": { "access_log_settings": [ { "destination_arn": true } ] } }
    },
    {
      "address": "module.api[\"us\"].aws_apigatewayv2_stage.this",
      "change": { "actions": ["create"], "after_unknown": { "access_log_settings": [ { "destination_arn": true } ] } }
    }
  ],
  "configuration": {
    "root_module": {
      "module_calls": {
        "api": {
          "source": "terraform-aws-modules/apigateway-v2/aws",
          "module": {
            "resources": [
              {
                "address": "aws_apigatewayv2_stage.this",
                "expressions": {
                  "access_log_settings": [
                    { "destination_arn": { "references": ["aws_cloudwatch_log_group.this.arn", "aws_cloudwatch_log_group.this"] } }
                  ]
                }
              }
            ]
          }
        }
      }
    }
  }
}
"#;

#[test]
fn references_inside_child_modules_link_each_instance_to_its_own_log_group() {
    let s = scan_files(&[("plan.json", MODULE_PLAN)]);
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    assert_eq!(s.stages, 2);
    // Only the eu instance's group keeps too few days: linked to the eu stage, not the us one.
    let sl020 = s.of("SL020");
    assert_eq!(sl020.len(), 1, "{:?}", s.ids());
    assert_eq!(
        sl020[0].location.resource,
        "module.api[\"eu\"].aws_cloudwatch_log_group.this"
    );
    assert!(s.of("SL002").is_empty(), "{:?}", s.ids());
}

/// A plan as `terraform show -json` writes it for a first apply, scanned without its sources:
/// the new log group's ARN and the new APIs' ids are known only after apply, so the stage
/// reaches its log group, the method settings their stage, and the module's v2 stage its
/// (WebSocket) API only through the `configuration` section's references — at the root and
/// in the module.
const FIRST_APPLY: &str = r#"{
  "format_version": "1.2",
  "terraform_version": "1.9.5",
  "planned_values": {
    "root_module": {
      "resources": [
        {"address": "aws_api_gateway_rest_api.api", "mode": "managed", "type": "aws_api_gateway_rest_api", "name": "api", "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0, "values": {"name": "orders", "tags": null}, "sensitive_values": {}},
        {"address": "aws_cloudwatch_log_group.access", "mode": "managed", "type": "aws_cloudwatch_log_group", "name": "access", "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0, "values": {"kms_key_id": null, "log_group_class": "STANDARD", "name": "/aws/vendedlogs/apigateway/orders/prod", "retention_in_days": 0, "skip_destroy": false, "tags": null}, "sensitive_values": {}},
        {"address": "aws_api_gateway_stage.prod", "mode": "managed", "type": "aws_api_gateway_stage", "name": "prod", "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0, "values": {"access_log_settings": [{"format": "{\"requestId\":\"$context.requestId\",\"ip\":\"$context.identity.sourceIp\",\"caller\":\"$context.identity.caller\",\"user\":\"$context.identity.user\",\"requestTime\":\"$context.requestTime\",\"httpMethod\":\"$context.httpMethod\",\"resourcePath\":\"$context.resourcePath\",\"status\":\"$context.status\",\"protocol\":\"$context.protocol\",\"responseLength\":\"$context.responseLength\"}"}], "cache_cluster_enabled": null, "canary_settings": [], "client_certificate_id": null, "description": null, "documentation_version": null, "stage_name": "prod", "tags": null, "variables": null, "xray_tracing_enabled": null}, "sensitive_values": {"access_log_settings": [{}], "canary_settings": []}},
        {"address": "aws_api_gateway_method_settings.all", "mode": "managed", "type": "aws_api_gateway_method_settings", "name": "all", "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0, "values": {"method_path": "*/*", "settings": [{"logging_level": "ERROR", "data_trace_enabled": false}], "stage_name": "prod"}, "sensitive_values": {"settings": [{}]}}
      ],
      "child_modules": [
        {
          "resources": [
            {"address": "module.chat.aws_apigatewayv2_api.this", "mode": "managed", "type": "aws_apigatewayv2_api", "name": "this", "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0, "values": {"name": "chat", "protocol_type": "WEBSOCKET", "route_selection_expression": "$request.body.action"}, "sensitive_values": {}},
            {"address": "module.chat.aws_apigatewayv2_stage.this", "mode": "managed", "type": "aws_apigatewayv2_stage", "name": "this", "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0, "values": {"access_log_settings": [], "auto_deploy": true, "default_route_settings": [{"data_trace_enabled": false, "detailed_metrics_enabled": false, "logging_level": "OFF", "throttling_burst_limit": 0, "throttling_rate_limit": 0}], "name": "live", "route_settings": []}, "sensitive_values": {}}
          ],
          "address": "module.chat"
        }
      ]
    }
  },
  "resource_changes": [
    {"address": "aws_api_gateway_stage.prod", "mode": "managed", "type": "aws_api_gateway_stage", "name": "prod", "provider_name": "registry.terraform.io/hashicorp/aws", "change": {"actions": ["create"], "before": null, "after": {}, "after_unknown": {"access_log_settings": [{"destination_arn": true}], "arn": true, "deployment_id": true, "id": true, "rest_api_id": true}, "before_sensitive": false, "after_sensitive": {}}},
    {"address": "aws_api_gateway_method_settings.all", "mode": "managed", "type": "aws_api_gateway_method_settings", "name": "all", "provider_name": "registry.terraform.io/hashicorp/aws", "change": {"actions": ["create"], "before": null, "after": {}, "after_unknown": {"id": true, "rest_api_id": true, "settings": [{}]}, "before_sensitive": false, "after_sensitive": {}}},
    {"address": "aws_cloudwatch_log_group.access", "mode": "managed", "type": "aws_cloudwatch_log_group", "name": "access", "provider_name": "registry.terraform.io/hashicorp/aws", "change": {"actions": ["create"], "before": null, "after": {}, "after_unknown": {"arn": true, "id": true}, "before_sensitive": false, "after_sensitive": {}}},
    {"address": "module.chat.aws_apigatewayv2_stage.this", "module_address": "module.chat", "mode": "managed", "type": "aws_apigatewayv2_stage", "name": "this", "provider_name": "registry.terraform.io/hashicorp/aws", "change": {"actions": ["create"], "before": null, "after": {}, "after_unknown": {"api_id": true, "arn": true, "id": true}, "before_sensitive": false, "after_sensitive": {}}},
    {"address": "module.chat.aws_apigatewayv2_api.this", "module_address": "module.chat", "mode": "managed", "type": "aws_apigatewayv2_api", "name": "this", "provider_name": "registry.terraform.io/hashicorp/aws", "change": {"actions": ["create"], "before": null, "after": {}, "after_unknown": {"id": true, "arn": true}, "before_sensitive": false, "after_sensitive": {}}}
  ],
  "configuration": {
    "provider_config": {"aws": {"name": "aws", "full_name": "registry.terraform.io/hashicorp/aws", "expressions": {"region": {"constant_value": "eu-west-1"}}}},
    "root_module": {
      "resources": [
        {"address": "aws_api_gateway_rest_api.api", "mode": "managed", "type": "aws_api_gateway_rest_api", "name": "api", "provider_config_key": "aws", "expressions": {"name": {"constant_value": "orders"}}, "schema_version": 0},
        {"address": "aws_cloudwatch_log_group.access", "mode": "managed", "type": "aws_cloudwatch_log_group", "name": "access", "provider_config_key": "aws", "expressions": {"name": {"constant_value": "/aws/vendedlogs/apigateway/orders/prod"}}, "schema_version": 0},
        {"address": "aws_api_gateway_stage.prod", "mode": "managed", "type": "aws_api_gateway_stage", "name": "prod", "provider_config_key": "aws", "expressions": {"access_log_settings": [{"destination_arn": {"references": ["aws_cloudwatch_log_group.access.arn", "aws_cloudwatch_log_group.access"]}, "format": {"references": []}}], "deployment_id": {"references": ["aws_api_gateway_deployment.this.id", "aws_api_gateway_deployment.this"]}, "rest_api_id": {"references": ["aws_api_gateway_rest_api.api.id", "aws_api_gateway_rest_api.api"]}, "stage_name": {"constant_value": "prod"}}, "schema_version": 0},
        {"address": "aws_api_gateway_method_settings.all", "mode": "managed", "type": "aws_api_gateway_method_settings", "name": "all", "provider_config_key": "aws", "expressions": {"method_path": {"constant_value": "*/*"}, "rest_api_id": {"references": ["aws_api_gateway_rest_api.api.id", "aws_api_gateway_rest_api.api"]}, "settings": [{"data_trace_enabled": {"constant_value": false}, "logging_level": {"constant_value": "ERROR"}}], "stage_name": {"references": ["aws_api_gateway_stage.prod.stage_name", "aws_api_gateway_stage.prod"]}}, "schema_version": 0}
      ],
      "module_calls": {
        "chat": {
          "source": "./modules/chat",
          "module": {
            "resources": [
              {"address": "aws_apigatewayv2_api.this", "mode": "managed", "type": "aws_apigatewayv2_api", "name": "this", "provider_config_key": "aws", "expressions": {"name": {"constant_value": "chat"}, "protocol_type": {"constant_value": "WEBSOCKET"}, "route_selection_expression": {"constant_value": "$request.body.action"}}, "schema_version": 0},
              {"address": "aws_apigatewayv2_stage.this", "mode": "managed", "type": "aws_apigatewayv2_stage", "name": "this", "provider_config_key": "aws", "expressions": {"api_id": {"references": ["aws_apigatewayv2_api.this.id", "aws_apigatewayv2_api.this"]}, "auto_deploy": {"constant_value": true}, "default_route_settings": [{"logging_level": {"constant_value": "OFF"}}], "name": {"constant_value": "live"}}, "schema_version": 0}
            ]
          }
        }
      }
    }
  }
}"#;

#[test]
fn a_plan_alone_links_through_its_configuration_references() {
    let s = scan_files(&[("plan.json", FIRST_APPLY)]);
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    // The log group never expires (0 days): reported, as the stage's access log group.
    let retention = s.of("SL020");
    assert_eq!(retention.len(), 1, "{:?}", s.ids());
    assert_eq!(
        retention[0].location.resource,
        "aws_cloudwatch_log_group.access"
    );
    assert_eq!(retention[0].location.line, Some(8));
    assert!(
        retention[0].message.contains("stage `prod`"),
        "{}",
        retention[0].message
    );
    // The method settings are prod's: no execution logging finding there, no bad destination.
    assert!(
        !s.findings
            .iter()
            .any(|f| f.location.resource == "aws_api_gateway_stage.prod"
                && ["SL001", "SL003", "SL010"].contains(&f.rule_id)),
        "{:?}",
        s.ids()
    );
    // The module's stage is a WebSocket stage (its API's protocol, from planned_values), so
    // its execution logging OFF is reported.
    let off = s.of("SL010");
    assert_eq!(off.len(), 1, "{:?}", s.ids());
    assert_eq!(
        off[0].location.resource,
        "module.chat.aws_apigatewayv2_stage.this"
    );
    assert!(
        off[0].message.starts_with("WebSocket API `chat`"),
        "{}",
        off[0].message
    );
}

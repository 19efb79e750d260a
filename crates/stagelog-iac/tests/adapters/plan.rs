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

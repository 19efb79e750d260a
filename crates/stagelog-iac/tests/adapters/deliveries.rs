//! Execution-log deliveries in Terraform and CloudFormation: the delivered log group judged by
//! SL020/SL021 like any group a stage writes to, and a delivery from a stage whose logging is
//! OFF reported with SL010 (AWS refuses such a delivery source; it would deliver nothing).
use crate::common::scan_files;

const TERRAFORM: &str = r#"
variable "region" {
  type    = string
  default = "eu-west-1"
}

data "aws_caller_identity" "current" {}

resource "aws_api_gateway_rest_api" "orders" {
  name = "orders"
}

resource "aws_cloudwatch_log_group" "access" {
  name              = "/aws/vendedlogs/apigateway/orders/prod"
  retention_in_days = 400
  kms_key_id        = "arn:aws:kms:eu-west-1:111111111111:key/access"
}

resource "aws_api_gateway_stage" "prod" {
  rest_api_id   = aws_api_gateway_rest_api.orders.id
  deployment_id = "d1"
  stage_name    = "prod"

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format          = jsonencode({ requestId = "$context.requestId", ip = "$context.identity.sourceIp", caller = "$context.identity.caller", user = "$context.identity.user", requestTime = "$context.requestTime", httpMethod = "$context.httpMethod", resourcePath = "$context.resourcePath", status = "$context.status", protocol = "$context.protocol", responseLength = "$context.responseLength" })
  }
}

resource "aws_api_gateway_method_settings" "prod" {
  rest_api_id = aws_api_gateway_rest_api.orders.id
  stage_name  = aws_api_gateway_stage.prod.stage_name
  method_path = "*/*"

  settings {
    logging_level = "INFO"
  }
}

resource "aws_api_gateway_stage" "canary" {
  rest_api_id   = aws_api_gateway_rest_api.orders.id
  deployment_id = "d1"
  stage_name    = "canary"

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format          = jsonencode({ requestId = "$context.requestId", ip = "$context.identity.sourceIp", caller = "$context.identity.caller", user = "$context.identity.user", requestTime = "$context.requestTime", httpMethod = "$context.httpMethod", resourcePath = "$context.resourcePath", status = "$context.status", protocol = "$context.protocol", responseLength = "$context.responseLength" })
  }
}

resource "aws_api_gateway_method_settings" "canary" {
  rest_api_id = aws_api_gateway_rest_api.orders.id
  stage_name  = aws_api_gateway_stage.canary.stage_name
  method_path = "*/*"

  settings {
    logging_level = "OFF"
  }
}

# Execution logs of prod, 1 MB events, to a group of their own: kept 30 days, no KMS key.
resource "aws_cloudwatch_log_group" "execution" {
  name              = "/aws/vendedlogs/apigateway/orders/prod/execution"
  retention_in_days = 30
}

resource "aws_cloudwatch_log_delivery_source" "prod" {
  name         = "orders-prod-execution"
  log_type     = "EXECUTION_LOGS"
  resource_arn = aws_api_gateway_stage.prod.arn
}

resource "aws_cloudwatch_log_delivery_destination" "execution" {
  name = "orders-execution"

  delivery_destination_configuration {
    destination_resource_arn = aws_cloudwatch_log_group.execution.arn
  }
}

resource "aws_cloudwatch_log_delivery" "prod" {
  delivery_source_name     = aws_cloudwatch_log_delivery_source.prod.name
  delivery_destination_arn = aws_cloudwatch_log_delivery_destination.execution.arn
}

# canary's source names the stage by its ARN, written out; its logging is OFF.
resource "aws_cloudwatch_log_delivery_source" "canary" {
  name         = "orders-canary-execution"
  log_type     = "EXECUTION_LOGS"
  resource_arn = "arn:aws:apigateway:${var.region}:${data.aws_caller_identity.current.account_id}:/restapis/${aws_api_gateway_rest_api.orders.id}/stages/canary"
}

resource "aws_cloudwatch_log_delivery" "canary" {
  delivery_source_name     = "orders-canary-execution"
  delivery_destination_arn = aws_cloudwatch_log_delivery_destination.execution.arn
}
"#;

#[test]
fn terraform_deliveries_are_judged_and_a_delivery_from_a_stage_logging_off_is_reported() {
    let s = scan_files(&[("infra/main.tf", TERRAFORM)]);
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    // The delivered group: 30 days is fewer than 365, and it has no KMS key.
    let sl020 = s.of("SL020");
    assert_eq!(sl020.len(), 1, "{:?}", s.ids());
    assert_eq!(
        sl020[0].location.resource,
        "aws_cloudwatch_log_group.execution"
    );
    assert!(
        sl020[0]
            .message
            .contains("(delivered execution logs of REST API `orders` stage `prod`)"),
        "{}",
        sl020[0].message
    );
    assert!(s.has("SL021", "aws_cloudwatch_log_group.execution"));
    assert!(!s.has("SL021", "aws_cloudwatch_log_group.access"));
    // canary logs OFF: SL010 says its delivery delivers nothing, at the method settings.
    let sl010 = s.of("SL010");
    assert_eq!(sl010.len(), 1, "{:?}", s.ids());
    assert_eq!(
        sl010[0].location.resource,
        "aws_api_gateway_method_settings.canary"
    );
    assert!(
        sl010[0].message.contains(
            "its execution-log delivery to `arn:${partition}:logs:${region}:${account}:log-group:/aws/vendedlogs/apigateway/orders/prod/execution` (aws_cloudwatch_log_delivery.canary) delivers nothing"
        ),
        "{}",
        sl010[0].message
    );
}

const TEMPLATE: &str = r#"AWSTemplateFormatVersion: "2010-09-09"
Description: Orders API with execution logs delivered to a log group of their own
Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Name: orders
  AccessLogs:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: /aws/vendedlogs/apigateway/orders/prod
      RetentionInDays: 400
      KmsKeyId: arn:aws:kms:eu-west-1:111111111111:key/access
  Prod:
    Type: AWS::ApiGateway::Stage
    Properties:
      RestApiId: !Ref Api
      DeploymentId: d1
      StageName: prod
      AccessLogSetting:
        DestinationArn: !GetAtt AccessLogs.Arn
        Format: '{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","caller":"$context.identity.caller","user":"$context.identity.user","requestTime":"$context.requestTime","httpMethod":"$context.httpMethod","resourcePath":"$context.resourcePath","status":"$context.status","protocol":"$context.protocol","responseLength":"$context.responseLength"}'
      MethodSettings:
        - ResourcePath: "/*"
          HttpMethod: "*"
          LoggingLevel: "OFF"
  ExecutionLogs:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: /aws/vendedlogs/apigateway/orders/prod/execution
      RetentionInDays: 3653
  ExecutionSource:
    Type: AWS::Logs::DeliverySource
    Properties:
      Name: orders-prod-execution
      LogType: EXECUTION_LOGS
      ResourceArn: !Sub arn:${AWS::Partition}:apigateway:${AWS::Region}:${AWS::AccountId}:/restapis/${Api}/stages/${Prod}
  ExecutionDestination:
    Type: AWS::Logs::DeliveryDestination
    Properties:
      Name: orders-execution
      DestinationResourceArn: !GetAtt ExecutionLogs.Arn
  ExecutionDelivery:
    Type: AWS::Logs::Delivery
    Properties:
      DeliverySourceName: !Ref ExecutionSource
      DeliveryDestinationArn: !GetAtt ExecutionDestination.Arn
"#;

#[test]
fn cloudformation_deliveries_are_judged_and_a_delivery_from_a_stage_logging_off_is_reported() {
    let s = scan_files(&[("stacks/orders.yaml", TEMPLATE)]);
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    // The delivered group keeps 10 years (no SL020) but has no KMS key (SL021).
    assert!(s.of("SL020").is_empty(), "{:?}", s.ids());
    assert!(s.has("SL021", "ExecutionLogs"), "{:?}", s.ids());
    let sl010 = s.of("SL010");
    assert_eq!(sl010.len(), 1, "{:?}", s.ids());
    assert!(
        sl010[0]
            .message
            .contains("(ExecutionDelivery) delivers nothing"),
        "{}",
        sl010[0].message
    );
}

#[test]
fn a_source_of_another_log_type_or_stage_is_not_a_stages_delivery() {
    let other = TEMPLATE
        .replace("LogType: EXECUTION_LOGS", "LogType: ACCESS_LOGS")
        .replace("RetentionInDays: 3653", "RetentionInDays: 7");
    let s = scan_files(&[("stacks/orders.yaml", &other)]);
    // Not execution logs: the 7-day group receives nothing stagelog knows of.
    assert!(s.of("SL020").is_empty(), "{:?}", s.ids());
    assert!(!s.of("SL010")[0].message.contains("delivers nothing"));
}

#!/usr/bin/env python3
"""Writes a tree of synthetic but realistic IaC files for benchmarks: Terraform modules
(directories of .tf files with variables, locals, REST and v2 stages, method settings, log
groups) and CloudFormation/SAM templates (YAML with short tags, and JSON)."""
import json
import os
import random
import sys

TF_STAGE = '''
resource "aws_api_gateway_rest_api" "api_{i}" {{
  name = "${{var.prefix}}-api-{i}"
}}

resource "aws_cloudwatch_log_group" "access_{i}" {{
  name              = "/aws/vendedlogs/apigateway/${{var.prefix}}-{i}"
  retention_in_days = {retention}
}}

resource "aws_api_gateway_stage" "prod_{i}" {{
  rest_api_id   = aws_api_gateway_rest_api.api_{i}.id
  deployment_id = "dep-{i}"
  stage_name    = "prod"
{access}
}}

resource "aws_api_gateway_method_settings" "all_{i}" {{
  rest_api_id = aws_api_gateway_rest_api.api_{i}.id
  stage_name  = aws_api_gateway_stage.prod_{i}.stage_name
  method_path = "*/*"
  settings {{
    logging_level      = "{level}"
    data_trace_enabled = {trace}
  }}
}}

resource "aws_apigatewayv2_api" "http_{i}" {{
  name          = "http-{i}"
  protocol_type = "HTTP"
}}

resource "aws_apigatewayv2_stage" "http_{i}" {{
  api_id      = aws_apigatewayv2_api.http_{i}.id
  name        = "$default"
  auto_deploy = true
{access_v2}
}}
'''

TF_ACCESS = '''
  access_log_settings {{
    destination_arn = aws_cloudwatch_log_group.access_{i}.arn
    format          = local.access_format
  }}'''

TF_COMMON = '''
variable "prefix" {
  type    = string
  default = "bench"
}

locals {
  access_format = jsonencode({
    requestId   = "$context.requestId"
    ip          = "$context.identity.sourceIp"
    caller      = "$context.identity.caller"
    requestTime = "$context.requestTime"
    httpMethod  = "$context.httpMethod"
    path        = "$context.resourcePath"
    status      = "$context.status"
    protocol    = "$context.protocol"
    length      = "$context.responseLength"
  })
}
'''

CFN_YAML = '''AWSTemplateFormatVersion: "2010-09-09"
Description: bench template {i}
Parameters:
  StageName:
    Type: String
    Default: prod
Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Name: !Sub "${{AWS::StackName}}-api-{i}"
  Logs:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Sub /aws/vendedlogs/apigateway/bench-{i}
      RetentionInDays: {retention}
  Deployment:
    Type: AWS::ApiGateway::Deployment
    Properties:
      RestApiId: !Ref Api
  Stage:
    Type: AWS::ApiGateway::Stage
    Properties:
      RestApiId: !Ref Api
      DeploymentId: !Ref Deployment
      StageName: !Ref StageName
{access}      MethodSettings:
        - ResourcePath: /*
          HttpMethod: "*"
          LoggingLevel: {level}
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Handler: index.handler
      Runtime: python3.12
      Role: !GetAtt Role.Arn
      Code:
        ZipFile: |
          def handler(event, context):
              return {{"statusCode": 200}}
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {{ Service: lambda.amazonaws.com }}
            Action: sts:AssumeRole
'''

CFN_ACCESS = '''      AccessLogSetting:
        DestinationArn: !GetAtt Logs.Arn
        Format: '{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","status":"$context.status"}'
'''


def main():
    out = sys.argv[1]
    total = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    rnd = random.Random(42)
    tf_files = total // 2
    per_module = 10
    for n in range(tf_files):
        mod = os.path.join(out, "terraform", f"mod{n // per_module:04d}")
        os.makedirs(mod, exist_ok=True)
        if n % per_module == 0:
            body = TF_COMMON
        else:
            body = ""
        for k in range(2):
            i = n * 2 + k
            body += TF_STAGE.format(
                i=i,
                retention=rnd.choice([7, 30, 365, 400]),
                access=TF_ACCESS.format(i=i) if rnd.random() < 0.7 else "",
                access_v2=TF_ACCESS.format(i=i) if rnd.random() < 0.5 else "",
                level=rnd.choice(["OFF", "ERROR", "INFO"]),
                trace=rnd.choice(["true", "false"]),
            )
        with open(os.path.join(mod, f"api{n % per_module}.tf"), "w") as f:
            f.write(body)
    for n in range(total - tf_files):
        d = os.path.join(out, "cloudformation", f"stack{n // 100:03d}")
        os.makedirs(d, exist_ok=True)
        text = CFN_YAML.format(
            i=n,
            retention=rnd.choice([7, 365]),
            access=CFN_ACCESS if rnd.random() < 0.6 else "",
            level=rnd.choice(["OFF", "ERROR"]),
        )
        if n % 4 == 0:
            # A JSON template (as CDK writes them).
            doc = {
                "Resources": {
                    "Stage": {
                        "Type": "AWS::ApiGateway::Stage",
                        "Properties": {
                            "RestApiId": {"Ref": "Api"},
                            "StageName": "prod",
                            "MethodSettings": [
                                {"ResourcePath": "/*", "HttpMethod": "*", "LoggingLevel": "ERROR"}
                            ],
                        },
                    },
                    "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": f"a{n}"}},
                }
            }
            with open(os.path.join(d, f"t{n}.template.json"), "w") as f:
                json.dump(doc, f, indent=1)
        else:
            with open(os.path.join(d, f"t{n}.yaml"), "w") as f:
                f.write(text)


if __name__ == "__main__":
    main()

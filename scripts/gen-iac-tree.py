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


TF_ORDINARY = '''
variable "name_{i}" {{
  type    = string
  default = "svc-{i}"
}}

resource "aws_s3_bucket" "data_{i}" {{
  bucket = "${{var.name_{i}}}-data"
  tags   = {{ team = "platform", cost_center = "{i}" }}
}}

resource "aws_iam_role" "fn_{i}" {{
  name = "${{var.name_{i}}}-fn"
  assume_role_policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = "sts:AssumeRole", Principal = {{ Service = "lambda.amazonaws.com" }} }}]
  }})
}}

resource "aws_lambda_function" "fn_{i}" {{
  function_name = var.name_{i}
  role          = aws_iam_role.fn_{i}.arn
  handler       = "index.handler"
  runtime       = "python3.12"
  filename      = "build/{i}.zip"
}}
'''

MODULE_STAGE = '''
variable "api_id" {
  type = string
}

variable "stage_name" {
  type    = string
  default = "prod"
}

variable "access_log_group_arn" {
  type    = string
  default = null
}

variable "settings" {
  type = object({
    logging_level      = optional(string, "ERROR")
    data_trace_enabled = optional(bool, false)
  })
  default = {}
}

resource "aws_apigatewayv2_stage" "this" {
  api_id      = var.api_id
  name        = var.stage_name
  auto_deploy = true

  dynamic "access_log_settings" {
    for_each = var.access_log_group_arn == null ? [] : [var.access_log_group_arn]
    content {
      destination_arn = access_log_settings.value
      format          = jsonencode({ requestId = "$context.requestId", ip = "$context.identity.sourceIp", status = "$context.status" })
    }
  }

  default_route_settings {
    logging_level      = var.settings.logging_level
    data_trace_enabled = var.settings.data_trace_enabled
  }
}
'''

ROOT_CALL = '''
resource "aws_apigatewayv2_api" "api_{i}" {{
  name          = "api-{i}"
  protocol_type = "WEBSOCKET"
}}

resource "aws_cloudwatch_log_group" "access_{i}" {{
  name              = "/aws/vendedlogs/apigateway/api-{i}"
  retention_in_days = {retention}
}}

module "stage_{i}" {{
  source               = "../../modules/ws-stage"
  api_id               = aws_apigatewayv2_api.api_{i}.id
  access_log_group_arn = {arn}
  settings             = {{ logging_level = "{level}" }}
}}
'''

K8S = '''apiVersion: apps/v1
kind: Deployment
metadata:
  name: svc-{i}
  labels: {{ app: svc-{i} }}
spec:
  replicas: 2
  template:
    spec:
      containers:
        - name: app
          image: registry.example/svc-{i}:1.{i}
          ports: [{{ containerPort: 8080 }}]
'''

CFN_ORDINARY = '''AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Queue{i}:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub "${{AWS::StackName}}-{i}"
  Topic{i}:
    Type: AWS::SNS::Topic
'''


def monorepo(out, total, rnd):
    """A monorepo: about 10% of the files hold API Gateway or log group resources (stages in
    a team module called from several roots, REST stacks), the rest ordinary Terraform,
    CloudFormation, Kubernetes YAML and JSON."""
    module_dir = os.path.join(out, "modules", "ws-stage")
    os.makedirs(module_dir, exist_ok=True)
    with open(os.path.join(module_dir, "main.tf"), "w") as f:
        f.write(MODULE_STAGE)
    for n in range(total - 1):
        kind = n % 10
        if kind == 0:
            # An API file: a root calling the team module, or a REST template.
            if n % 20 == 0:
                d = os.path.join(out, "envs", f"env{n // 20:04d}")
                os.makedirs(d, exist_ok=True)
                logged = rnd.random() < 0.7
                body = ROOT_CALL.format(
                    i=n,
                    retention=rnd.choice([30, 365, 400]),
                    arn=f"aws_cloudwatch_log_group.access_{n}.arn" if logged else "null",
                    level=rnd.choice(["OFF", "ERROR", "INFO"]),
                )
                with open(os.path.join(d, "api.tf"), "w") as f:
                    f.write(body)
            else:
                d = os.path.join(out, "stacks", f"s{n // 200:03d}")
                os.makedirs(d, exist_ok=True)
                with open(os.path.join(d, f"api{n}.yaml"), "w") as f:
                    f.write(CFN_YAML.format(
                        i=n,
                        retention=rnd.choice([7, 365]),
                        access=CFN_ACCESS if rnd.random() < 0.6 else "",
                        level=rnd.choice(["OFF", "ERROR"]),
                    ))
        elif kind < 6:
            d = os.path.join(out, "services", f"svc{n // 40:04d}")
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, f"svc{n}.tf"), "w") as f:
                f.write(TF_ORDINARY.format(i=n))
        elif kind < 8:
            d = os.path.join(out, "k8s", f"ns{n // 100:03d}")
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, f"deploy{n}.yaml"), "w") as f:
                f.write(K8S.format(i=n))
        elif kind == 8:
            d = os.path.join(out, "stacks", f"q{n // 200:03d}")
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, f"queue{n}.yaml"), "w") as f:
                f.write(CFN_ORDINARY.format(i=n))
        else:
            d = os.path.join(out, "web", f"app{n // 100:03d}")
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, f"package{n}.json"), "w") as f:
                json.dump({"name": f"app-{n}", "version": "1.0.0",
                           "dependencies": {"react": "^19.0.0", "zod": "^3.23.0"}}, f, indent=2)


def main():
    out = sys.argv[1]
    total = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    if len(sys.argv) > 3 and sys.argv[3] == "monorepo":
        monorepo(out, total, random.Random(42))
        return
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

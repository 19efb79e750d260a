//! The stagelog Lambda function as the deploy templates declare it: the `lambda` build's
//! `bootstrap` on `provided.al2023` (arm64 or x86_64), a role with the read-only audit policy
//! (docs/iam.md) plus what it writes — Security Hub findings, Config evaluations — and, when
//! asked, its registration as an AWS Config custom rule on API Gateway stages (change-triggered
//! and periodic). Shared by the EventBridge template (`eventbridge`, `eventbridge-terraform`)
//! and the Config one (`config`).
//!
//! AWS Config Developer Guide, "Creating AWS Config Custom Lambda Rules" (the function is
//! invoked by `config.amazonaws.com`, which needs a resource-based permission; trigger types
//! `ConfigurationItemChangeNotification`, `OversizedConfigurationItemChangeNotification`,
//! `ScheduledNotification`); CloudFormation `AWS::Config::ConfigRule`, `AWS::Lambda::Function`.

/// What the function reads: the audit policy of docs/iam.md for one region (no region
/// listing, no role listing: those serve `--all-regions`). Log groups and deliveries...
pub(crate) const LOGS_READ: [&str; 4] = [
    "logs:DescribeLogGroups",
    "logs:DescribeDeliverySources",
    "logs:DescribeDeliveries",
    "logs:DescribeDeliveryDestinations",
];

/// ...and the account's CloudWatch role with its policies (roles of this account, policies
/// of any: AWS managed policies live in account `aws`).
pub(crate) const IAM_READ: [&str; 6] = [
    "iam:GetRole",
    "iam:ListAttachedRolePolicies",
    "iam:ListRolePolicies",
    "iam:GetRolePolicy",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
];

/// The API Gateway resources `apigateway:GET` is allowed on.
pub(crate) const API_GATEWAY_READ: [&str; 5] =
    ["/restapis", "/restapis/*", "/apis", "/apis/*", "/account"];

/// The resource types Config records for stages.
pub(crate) const STAGE_TYPES: [&str; 2] = ["AWS::ApiGateway::Stage", "AWS::ApiGatewayV2::Stage"];

/// Whether a template registers the function as a Config rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConfigRule {
    /// When the `ConfigRule` parameter says so (the EventBridge template).
    Optional,
    /// Always (the Config template).
    Always,
}

/// CloudFormation: parameters of the function and of its Config rule.
pub(crate) fn cfn_parameters(config: ConfigRule) -> String {
    let mut out = String::from(
        "  CodeS3Bucket:
    Type: String
    Description: S3 bucket holding the stagelog Lambda package (stagelog-lambda-VERSION-ARCH.zip from the release)
  CodeS3Key:
    Type: String
    Description: Key of the package in the bucket
  Architecture:
    Type: String
    Default: arm64
    AllowedValues: [arm64, x86_64]
    Description: The package's architecture
  SecurityHub:
    Type: String
    Default: \"true\"
    AllowedValues: [\"true\", \"false\"]
    Description: Send findings to AWS Security Hub (enabled in the account and region)
",
    );
    if config == ConfigRule::Optional {
        out.push_str(
            "  ConfigRule:
    Type: String
    Default: \"false\"
    AllowedValues: [\"true\", \"false\"]
    Description: Also register the function as an AWS Config custom rule on API Gateway stages (needs a Config recorder)
",
        );
    }
    out.push_str(
        "  ConfigEvaluationFrequency:
    Type: String
    Default: TwentyFour_Hours
    AllowedValues: [One_Hour, Three_Hours, Six_Hours, Twelve_Hours, TwentyFour_Hours]
    Description: How often Config also re-evaluates every stage of the region
",
    );
    out
}

/// CloudFormation conditions.
pub(crate) fn cfn_conditions(config: ConfigRule) -> String {
    let mut out = String::from(
        "Conditions:
  ExportToSecurityHub: !Equals [!Ref SecurityHub, \"true\"]
",
    );
    if config == ConfigRule::Optional {
        out.push_str("  RegisterConfigRule: !Equals [!Ref ConfigRule, \"true\"]\n");
    }
    out
}

/// CloudFormation: the function and its role, the Config rule and Config's permission to
/// invoke the function (under `RegisterConfigRule` when optional).
pub(crate) fn cfn_resources(version: &str, config: ConfigRule) -> String {
    let list = |actions: &[&str]| -> String {
        actions
            .iter()
            .map(|a| format!("                  - {a}\n"))
            .collect()
    };
    let (logs, iam) = (list(&LOGS_READ), list(&IAM_READ));
    let gateway = API_GATEWAY_READ
        .iter()
        .map(|r| format!("                  - !Sub \"arn:${{AWS::Partition}}:apigateway:${{AWS::Region}}::{r}\"\n"))
        .collect::<String>();
    let mut out = format!(
        "  StagelogRole:
    Type: AWS::IAM::Role
    Properties:
      Description: stagelog's function ({version}) - reads API Gateway stages, writes findings
      AssumeRolePolicyDocument:
        Version: \"2012-10-17\"
        Statement:
          - Effect: Allow
            Principal:
              Service: lambda.amazonaws.com
            Action: sts:AssumeRole
      ManagedPolicyArns:
        - !Sub arn:${{AWS::Partition}}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole
      Policies:
        - PolicyName: stagelog-audit
          PolicyDocument:
            Version: \"2012-10-17\"
            Statement:
              - Sid: ApiGatewayRead
                Effect: Allow
                Action: apigateway:GET
                Resource:
{gateway}              - Sid: LogsRead
                Effect: Allow
                Action:
{logs}                Resource: \"*\"
              - Sid: CloudWatchRoleRead
                Effect: Allow
                Action:
{iam}                Resource:
                  - !Sub \"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/*\"
                  - !Sub \"arn:${{AWS::Partition}}:iam::*:policy/*\"
        - !If
          - ExportToSecurityHub
          - PolicyName: stagelog-security-hub
            PolicyDocument:
              Version: \"2012-10-17\"
              Statement:
                - Sid: ImportAsItsOwnProduct
                  Effect: Allow
                  Action: securityhub:BatchImportFindings
                  Resource: !Sub \"arn:${{AWS::Partition}}:securityhub:${{AWS::Region}}:${{AWS::AccountId}}:product/${{AWS::AccountId}}/default\"
                - Sid: ReadItsEarlierFindings
                  Effect: Allow
                  Action: securityhub:GetFindings
                  Resource: !Sub \"arn:${{AWS::Partition}}:securityhub:${{AWS::Region}}:${{AWS::AccountId}}:hub/default\"
          - !Ref AWS::NoValue
"
    );
    // Written for a list item at eight spaces; two deeper under `!If`.
    let put_evaluations = "PolicyName: stagelog-config
          PolicyDocument:
            Version: \"2012-10-17\"
            Statement:
              - Effect: Allow
                Action: config:PutEvaluations
                Resource: \"*\"
";
    match config {
        ConfigRule::Optional => out.push_str(&format!(
            "        - !If
          - RegisterConfigRule
          - {}
          - !Ref AWS::NoValue
",
            put_evaluations.trim_end().replace('\n', "\n  ")
        )),
        ConfigRule::Always => out.push_str(&format!("        - {put_evaluations}")),
    }
    out.push_str(&format!(
        "  StagelogFunction:
    Type: AWS::Lambda::Function
    Properties:
      Description: Judges API Gateway stage logging changes ({version})
      Runtime: provided.al2023
      Handler: bootstrap
      Architectures:
        - !Ref Architecture
      Code:
        S3Bucket: !Ref CodeS3Bucket
        S3Key: !Ref CodeS3Key
      MemorySize: 256
      # A periodic Config run or an UpdateAccount event reads the region's stages at the
      # polite pace (5 API Gateway requests a second): about a minute per 300 APIs.
      Timeout: 300
      Role: !GetAtt StagelogRole.Arn
      Environment:
        Variables:
          STAGELOG_SECURITY_HUB: !Ref SecurityHub
"
    ));
    {
        let condition = match config {
            ConfigRule::Optional => "\n    Condition: RegisterConfigRule",
            ConfigRule::Always => "",
        };
        let types = STAGE_TYPES
            .iter()
            .map(|t| format!("          - {t}\n"))
            .collect::<String>();
        out.push_str(&format!(
            "  ConfigMayInvokeStagelog:
    Type: AWS::Lambda::Permission{condition}
    Properties:
      Action: lambda:InvokeFunction
      FunctionName: !GetAtt StagelogFunction.Arn
      Principal: config.amazonaws.com
      SourceAccount: !Ref AWS::AccountId
  StageLoggingConfigRule:
    Type: AWS::Config::ConfigRule{condition}
    DependsOn: ConfigMayInvokeStagelog
    Properties:
      ConfigRuleName: stagelog-stage-logging
      Description: API Gateway stages log as stagelog's rules require ({version})
      Scope:
        ComplianceResourceTypes:
{types}      MaximumExecutionFrequency: !Ref ConfigEvaluationFrequency
      Source:
        Owner: CUSTOM_LAMBDA
        SourceIdentifier: !GetAtt StagelogFunction.Arn
        SourceDetails:
          - EventSource: aws.config
            MessageType: ConfigurationItemChangeNotification
          - EventSource: aws.config
            MessageType: OversizedConfigurationItemChangeNotification
          - EventSource: aws.config
            MessageType: ScheduledNotification
            MaximumExecutionFrequency: !Ref ConfigEvaluationFrequency
"
        ));
    }
    out
}

/// Terraform: the module's inputs for the function and its Config rule.
pub(crate) const TF_VARIABLES: &str = r#"variable "code_s3_bucket" {
  description = "S3 bucket holding the stagelog Lambda package (stagelog-lambda-VERSION-ARCH.zip from the release)"
  type        = string
}

variable "code_s3_key" {
  description = "Key of the package in the bucket"
  type        = string
}

variable "architecture" {
  description = "The package's architecture: arm64 or x86_64"
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture is arm64 or x86_64."
  }
}

variable "security_hub" {
  description = "Send findings to AWS Security Hub (enabled in the account and region)"
  type        = bool
  default     = true
}

variable "config_rule" {
  description = "Also register the function as an AWS Config custom rule on API Gateway stages (needs a Config recorder)"
  type        = bool
  default     = false
}

variable "config_evaluation_frequency" {
  description = "How often Config also re-evaluates every stage of the region"
  type        = string
  default     = "TwentyFour_Hours"
}
"#;

/// Terraform: the function, its role and policies, and the optional Config rule.
pub(crate) fn tf_resources(version: &str) -> String {
    let list = |actions: &[&str]| -> String {
        actions
            .iter()
            .map(|a| format!("          \"{a}\",\n"))
            .collect()
    };
    let (logs, iam) = (list(&LOGS_READ), list(&IAM_READ));
    let gateway = API_GATEWAY_READ
        .iter()
        .map(|r| {
            format!("          \"arn:${{data.aws_partition.current.partition}}:apigateway:${{data.aws_region.current.name}}::{r}\",\n")
        })
        .collect::<String>();
    let types = STAGE_TYPES
        .iter()
        .map(|t| format!("\"{t}\""))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        r#"data "aws_partition" "current" {{}}

data "aws_region" "current" {{}}

data "aws_caller_identity" "current" {{}}

resource "aws_iam_role" "stagelog" {{
  name_prefix = "stagelog-"
  description = "stagelog's function ({version}) - reads API Gateway stages, writes findings"
  assume_role_policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect    = "Allow"
      Principal = {{ Service = "lambda.amazonaws.com" }}
      Action    = "sts:AssumeRole"
    }}]
  }})
}}

resource "aws_iam_role_policy_attachment" "logs" {{
  role       = aws_iam_role.stagelog.name
  policy_arn = "arn:${{data.aws_partition.current.partition}}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
}}

resource "aws_iam_role_policy" "audit" {{
  name = "stagelog-audit"
  role = aws_iam_role.stagelog.id
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [
      {{
        Sid    = "ApiGatewayRead"
        Effect = "Allow"
        Action = "apigateway:GET"
        Resource = [
{gateway}        ]
      }},
      {{
        Sid    = "LogsRead"
        Effect = "Allow"
        Action = [
{logs}        ]
        Resource = "*"
      }},
      {{
        Sid    = "CloudWatchRoleRead"
        Effect = "Allow"
        Action = [
{iam}        ]
        Resource = [
          "arn:${{data.aws_partition.current.partition}}:iam::${{data.aws_caller_identity.current.account_id}}:role/*",
          "arn:${{data.aws_partition.current.partition}}:iam::*:policy/*",
        ]
      }},
    ]
  }})
}}

resource "aws_iam_role_policy" "security_hub" {{
  count = var.security_hub ? 1 : 0
  name  = "stagelog-security-hub"
  role  = aws_iam_role.stagelog.id
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [
      {{
        Sid      = "ImportAsItsOwnProduct"
        Effect   = "Allow"
        Action   = "securityhub:BatchImportFindings"
        Resource = "arn:${{data.aws_partition.current.partition}}:securityhub:${{data.aws_region.current.name}}:${{data.aws_caller_identity.current.account_id}}:product/${{data.aws_caller_identity.current.account_id}}/default"
      }},
      {{
        Sid      = "ReadItsEarlierFindings"
        Effect   = "Allow"
        Action   = "securityhub:GetFindings"
        Resource = "arn:${{data.aws_partition.current.partition}}:securityhub:${{data.aws_region.current.name}}:${{data.aws_caller_identity.current.account_id}}:hub/default"
      }},
    ]
  }})
}}

resource "aws_iam_role_policy" "config" {{
  count = var.config_rule ? 1 : 0
  name  = "stagelog-config"
  role  = aws_iam_role.stagelog.id
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect   = "Allow"
      Action   = "config:PutEvaluations"
      Resource = "*"
    }}]
  }})
}}

resource "aws_lambda_function" "stagelog" {{
  function_name = "stagelog"
  description   = "Judges API Gateway stage logging changes ({version})"
  runtime       = "provided.al2023"
  handler       = "bootstrap"
  architectures = [var.architecture]
  s3_bucket     = var.code_s3_bucket
  s3_key        = var.code_s3_key
  memory_size   = 256
  timeout       = 300 # a periodic Config run reads the region at 5 requests a second
  role          = aws_iam_role.stagelog.arn

  environment {{
    variables = {{
      STAGELOG_SECURITY_HUB = tostring(var.security_hub)
    }}
  }}
}}

resource "aws_lambda_permission" "config" {{
  count          = var.config_rule ? 1 : 0
  statement_id   = "stagelog-config-rule"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.stagelog.function_name
  principal      = "config.amazonaws.com"
  source_account = data.aws_caller_identity.current.account_id
}}

resource "aws_config_config_rule" "stage_logging" {{
  count                       = var.config_rule ? 1 : 0
  name                        = "stagelog-stage-logging"
  description                 = "API Gateway stages log as stagelog's rules require ({version})"
  maximum_execution_frequency = var.config_evaluation_frequency

  scope {{
    compliance_resource_types = [{types}]
  }}

  source {{
    owner             = "CUSTOM_LAMBDA"
    source_identifier = aws_lambda_function.stagelog.arn

    source_detail {{
      message_type = "ConfigurationItemChangeNotification"
    }}

    source_detail {{
      message_type = "OversizedConfigurationItemChangeNotification"
    }}

    source_detail {{
      message_type                = "ScheduledNotification"
      maximum_execution_frequency = var.config_evaluation_frequency
    }}
  }}

  depends_on = [aws_lambda_permission.config]
}}
"#
    )
}

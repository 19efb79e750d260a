//! SL032 across a scan: a region's API Gateway CloudWatch role setting set by two or more
//! configurations or stacks of the same account and region (Terraform roots whose providers
//! name them, a module inheriting its caller's provider, CDK stacks whose cloud assembly names
//! their environment) is one finding naming them all; other regions, other accounts and
//! environment-agnostic stacks are not grouped.

use serde_json::Value;
use std::process::Command;

const ACCOUNT_TF: &str = r#"
resource "aws_iam_role" "apigw_cloudwatch" {
  name = "apigw-cloudwatch"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "apigateway.amazonaws.com" } }]
  })
}

resource "aws_iam_role_policy_attachment" "push" {
  role       = aws_iam_role.apigw_cloudwatch.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
}

resource "aws_api_gateway_account" "this" {
  cloudwatch_role_arn = aws_iam_role.apigw_cloudwatch.arn
}
"#;

fn terraform_tree(dir: &std::path::Path) {
    let files: &[(&str, String)] = &[
        // The baseline: the account and region from variables with defaults.
        (
            "baseline/providers.tf",
            r#"
variable "region" {
  type    = string
  default = "eu-west-1"
}

provider "aws" {
  region              = var.region
  allowed_account_ids = ["111122223333"]
}
"#
            .into(),
        ),
        ("baseline/account.tf", ACCOUNT_TF.into()),
        // An app that sets it again, in the same account through the role it assumes.
        (
            "apps/orders/main.tf",
            format!(
                r#"
provider "aws" {{
  region = "eu-west-1"
  assume_role {{
    role_arn = "arn:aws:iam::111122223333:role/deployer"
  }}
}}
{ACCOUNT_TF}"#
            ),
        ),
        // A module that sets it, given the eu provider by its caller.
        ("modules/apigw-account/main.tf", ACCOUNT_TF.into()),
        (
            "apps/billing/main.tf",
            r#"
provider "aws" {
  region              = "us-east-1"
  allowed_account_ids = ["111122223333"]
}

provider "aws" {
  alias               = "eu"
  region              = "eu-west-1"
  allowed_account_ids = ["111122223333"]
}

module "apigw_account" {
  source    = "../../modules/apigw-account"
  providers = { aws = aws.eu }
}
"#
            .into(),
        ),
        // Another region of the same account, through an aliased provider: its own setting.
        (
            "apps/reports/main.tf",
            format!(
                r#"
provider "aws" {{
  alias               = "us"
  region              = "us-east-1"
  allowed_account_ids = ["111122223333"]
}}
{}"#,
                ACCOUNT_TF.replace(
                    "resource \"aws_api_gateway_account\" \"this\" {",
                    "resource \"aws_api_gateway_account\" \"this\" {\n  provider = aws.us"
                )
            ),
        ),
        // No region known: not compared.
        ("apps/legacy/account.tf", ACCOUNT_TF.into()),
    ];
    for (name, body) in files {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    }
}

/// A stack as CDK synthesizes a `RestApi` with the default `cloudWatchRole: true`.
fn cdk_stack(prefix: &str) -> String {
    format!(
        r#"{{
 "Resources": {{
  "{prefix}ApiCloudWatchRole73EC6FC4": {{
   "Type": "AWS::IAM::Role",
   "Properties": {{
    "AssumeRolePolicyDocument": {{
     "Statement": [{{"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {{"Service": "apigateway.amazonaws.com"}}}}],
     "Version": "2012-10-17"
    }},
    "ManagedPolicyArns": [{{"Fn::Join": ["", ["arn:", {{"Ref": "AWS::Partition"}}, ":iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"]]}}]
   }},
   "UpdateReplacePolicy": "Retain",
   "DeletionPolicy": "Retain",
   "Metadata": {{"aws:cdk:path": "{prefix}Stack/{prefix}Api/CloudWatchRole/Resource"}}
  }},
  "{prefix}ApiAccount7C1C4A1E": {{
   "Type": "AWS::ApiGateway::Account",
   "Properties": {{"CloudWatchRoleArn": {{"Fn::GetAtt": ["{prefix}ApiCloudWatchRole73EC6FC4", "Arn"]}}}},
   "DependsOn": ["{prefix}Api9B4DB4A0"],
   "UpdateReplacePolicy": "Retain",
   "DeletionPolicy": "Retain",
   "Metadata": {{"aws:cdk:path": "{prefix}Stack/{prefix}Api/Account"}}
  }},
  "{prefix}Api9B4DB4A0": {{
   "Type": "AWS::ApiGateway::RestApi",
   "Properties": {{"Name": "{prefix}Api"}},
   "Metadata": {{"aws:cdk:path": "{prefix}Stack/{prefix}Api/Resource"}}
  }},
  "{prefix}ApiDeployment5B8D1C2E": {{
   "Type": "AWS::ApiGateway::Deployment",
   "Properties": {{"Description": "Automatically created by the RestApi construct", "RestApiId": {{"Ref": "{prefix}Api9B4DB4A0"}}}},
   "Metadata": {{"aws:cdk:path": "{prefix}Stack/{prefix}Api/Deployment/Resource"}}
  }},
  "{prefix}ApiDeploymentStageprod3C1D5E7F": {{
   "Type": "AWS::ApiGateway::Stage",
   "Properties": {{
    "DeploymentId": {{"Ref": "{prefix}ApiDeployment5B8D1C2E"}},
    "RestApiId": {{"Ref": "{prefix}Api9B4DB4A0"}},
    "StageName": "prod"
   }},
   "DependsOn": ["{prefix}ApiAccount7C1C4A1E"],
   "Metadata": {{"aws:cdk:path": "{prefix}Stack/{prefix}Api/DeploymentStage.prod/Resource"}}
  }}
 }}
}}"#
    )
}

fn cdk_app(dir: &std::path::Path) {
    let out = dir.join("cdk/cdk.out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(
        dir.join("cdk/cdk.json"),
        r#"{"app": "npx ts-node bin/app.ts"}"#,
    )
    .unwrap();
    let stack = |name: &str, env: &str| {
        format!(
            r#""{name}Stack": {{"type": "aws:cloudformation:stack", "environment": "{env}", "properties": {{"templateFile": "{name}Stack.template.json", "validateOnSynth": false}}, "displayName": "{name}Stack"}}"#
        )
    };
    std::fs::write(
        out.join("manifest.json"),
        format!(
            r#"{{"version": "36.0.0", "artifacts": {{{}, {}, {}}}}}"#,
            stack("Orders", "aws://444455556666/eu-central-1"),
            stack("Billing", "aws://444455556666/eu-central-1"),
            stack("Agnostic", "aws://unknown-account/unknown-region"),
        ),
    )
    .unwrap();
    for name in ["Orders", "Billing", "Agnostic"] {
        std::fs::write(
            out.join(format!("{name}Stack.template.json")),
            cdk_stack(name),
        )
        .unwrap();
    }
}

fn sl032(dir: &std::path::Path) -> Vec<Value> {
    let out = Command::new(env!("CARGO_BIN_EXE_stagelog"))
        .args(["scan", ".", "--format", "json", "--select", "SL032"])
        .current_dir(dir)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    v["findings"].as_array().unwrap().clone()
}

fn across_findings(dir: &std::path::Path) -> Vec<Value> {
    sl032(dir)
        .into_iter()
        .filter(|f| f["message"].as_str().unwrap().contains("declarations set"))
        .collect()
}

#[test]
fn terraform_roots_and_modules_setting_one_regions_role_are_one_finding() {
    let dir = tempfile::tempdir().unwrap();
    terraform_tree(dir.path());
    let found = across_findings(dir.path());
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = &found[0];
    let message = f["message"].as_str().unwrap();
    assert!(
        message.starts_with("3 declarations set the API Gateway CloudWatch role of account 111122223333 in eu-west-1"),
        "{message}"
    );
    for owner in [
        "module.apigw_account.aws_api_gateway_account.this (modules/apigw-account/main.tf:15, called at apps/billing/main.tf:13)",
        "aws_api_gateway_account.this (apps/orders/main.tf:22)",
        "aws_api_gateway_account.this (baseline/account.tf:15)",
    ] {
        assert!(message.contains(owner), "{owner}: {message}");
    }
    assert!(
        !message.contains("reports") && !message.contains("legacy"),
        "{message}"
    );
    // At the first by path, with where it applies.
    assert!(
        f["file"].as_str().unwrap().ends_with("apps/orders/main.tf"),
        "{f}"
    );
}

#[test]
fn cdk_stacks_of_one_environment_setting_the_role_are_one_finding() {
    let dir = tempfile::tempdir().unwrap();
    cdk_app(dir.path());
    let found = across_findings(dir.path());
    assert_eq!(found.len(), 1, "{found:#?}");
    let message = found[0]["message"].as_str().unwrap();
    assert!(
        message.starts_with("2 declarations set the API Gateway CloudWatch role of account 444455556666 in eu-central-1"),
        "{message}"
    );
    assert!(
        message.contains("BillingApiAccount7C1C4A1E")
            && message.contains("OrdersApiAccount7C1C4A1E"),
        "{message}"
    );
    assert!(!message.contains("Agnostic"), "{message}");
    // And each stack declares its account setting beside its API: one finding per stack, at
    // the CfnAccount CDK generated.
    let beside: Vec<String> = sl032(dir.path())
        .iter()
        .filter(|f| f["message"].as_str().unwrap().contains("also declares"))
        .map(|f| f["resource"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        beside,
        [
            "AgnosticApiAccount7C1C4A1E",
            "BillingApiAccount7C1C4A1E",
            "OrdersApiAccount7C1C4A1E"
        ]
    );
}

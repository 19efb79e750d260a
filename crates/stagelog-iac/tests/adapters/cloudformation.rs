//! Where stages hide in CloudFormation and SAM, and what peers get wrong there.
use crate::common;
use common::scan_files;

const FORMAT: &str = r#"'{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","caller":"$context.identity.caller","requestTime":"$context.requestTime","httpMethod":"$context.httpMethod","resourcePath":"$context.resourcePath","status":"$context.status","protocol":"$context.protocol","responseLength":"$context.responseLength"}'"#;

#[test]
fn every_stage_of_one_rest_api_is_judged_on_its_own() {
    let yaml = format!(
        r#"Resources:
  Logs:
    Type: AWS::Logs::LogGroup
    Properties: {{ RetentionInDays: 365, KmsKeyId: k }}
  Account:
    Type: AWS::ApiGateway::Account
    Properties: {{ CloudWatchRoleArn: arn:aws:iam::123456789012:role/cw }}
  Prod:
    Type: AWS::ApiGateway::Stage
    Properties:
      RestApiId: !Ref Api
      StageName: prod
      AccessLogSetting:
        DestinationArn: !GetAtt Logs.Arn
        Format: {FORMAT}
      MethodSettings:
        - {{ ResourcePath: "/*", HttpMethod: "*", LoggingLevel: ERROR }}
  Dev:
    Type: AWS::ApiGateway::Stage
    Properties:
      RestApiId: !Ref Api
      StageName: dev
      MethodSettings:
        - {{ ResourcePath: "/*", HttpMethod: "*", LoggingLevel: ERROR }}
"#
    );
    let s = scan_files(&[("t.yaml", &yaml)]);
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    assert_eq!(s.ids(), ["SL001 Dev"]);
    assert_eq!(s.findings[0].location.line, Some(18));
}

#[test]
fn deployment_with_stage_name_is_an_implicit_stage_configured_by_stage_description() {
    let yaml = format!(
        r#"Resources:
  Logs:
    Type: AWS::Logs::LogGroup
    Properties: {{ RetentionInDays: 365, KmsKeyId: k }}
  Bare:
    Type: AWS::ApiGateway::Deployment
    Properties: {{ RestApiId: !Ref Api, StageName: bare }}
  Described:
    Type: AWS::ApiGateway::Deployment
    Properties:
      RestApiId: !Ref Api
      StageName: described
      StageDescription:
        LoggingLevel: INFO
        DataTraceEnabled: true
        AccessLogSetting:
          DestinationArn: !GetAtt Logs.Arn
          Format: {FORMAT}
"#
    );
    let s = scan_files(&[("t.yaml", &yaml)]);
    assert_eq!(
        s.ids(),
        [
            "SL001 Bare",
            "SL010 Bare",
            "SL011 Described",
            "SL030 Described"
        ]
    );
}

#[test]
fn quick_create_v2_api_has_an_unlogged_default_stage() {
    let s = scan_files(&[(
        "t.yaml",
        "Resources:\n  Quick:\n    Type: AWS::ApiGatewayV2::Api\n    Properties:\n      Name: q\n      ProtocolType: HTTP\n      Target: !GetAtt Fn.Arn\n",
    )]);
    assert_eq!(s.ids(), ["SL002 Quick"]);
    assert_eq!(s.findings[0].stage.as_deref(), Some("$default"));
    assert_eq!(s.findings[0].api_kind, Some(stagelog_model::ApiKind::Http));
}

#[test]
fn intrinsics_resolve_where_the_template_decides_and_stay_unknown_elsewhere() {
    let yaml = r#"Parameters:
  Known: { Type: String, Default: not-an-arn }
  Free: { Type: String }
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  Logs:
    Type: AWS::Logs::LogGroup
    Properties: { LogGroupName: api-access, RetentionInDays: 3 }
  Linked:
    Type: AWS::ApiGatewayV2::Stage
    Properties:
      ApiId: x
      StageName: linked
      AccessLogSettings:
        DestinationArn: !Sub arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${Logs}
        Format: !Join ["", ['{"requestId":"$context.requestId"', "}"]]
  FromDefault:
    Type: AWS::ApiGatewayV2::Stage
    Properties:
      ApiId: x
      StageName: fromdefault
      AccessLogSettings: { DestinationArn: !Ref Known, Format: $context.requestId }
  FromImport:
    Type: AWS::ApiGatewayV2::Stage
    Properties:
      ApiId: x
      StageName: fromimport
      AccessLogSettings:
        DestinationArn: !ImportValue shared-log-arn
        Format: !Ref Free
  FromIf:
    Type: AWS::ApiGatewayV2::Stage
    Properties:
      ApiId: x
      StageName: fromif
      AccessLogSettings: !If [IsProd, { DestinationArn: a, Format: b }, !Ref AWS::NoValue]
"#;
    let s = scan_files(&[("t.yaml", yaml)]);
    let ids: Vec<String> = s
        .ids()
        .into_iter()
        .filter(|i| !i.starts_with("SL005"))
        .collect();
    // Linked resolves to the template's log group (retention 3 days); FromDefault to a bad
    // literal; FromImport and FromIf cannot be told, so they give nothing.
    assert_eq!(ids, ["SL003 FromDefault", "SL020 Logs", "SL021 Logs"]);
}

#[test]
fn json_templates_and_long_form_intrinsics() {
    let json = r#"{
  "Resources": {
    "Api": { "Type": "AWS::ApiGatewayV2::Api", "Properties": { "ProtocolType": "WEBSOCKET" } },
    "Stage": {
      "Type": "AWS::ApiGatewayV2::Stage",
      "Properties": {
        "ApiId": { "Ref": "Api" },
        "StageName": "prod",
        "DefaultRouteSettings": { "LoggingLevel": "OFF", "DataTraceEnabled": true }
      }
    }
  }
}"#;
    let s = scan_files(&[("t.json", json)]);
    assert_eq!(s.ids(), ["SL002 Stage", "SL010 Stage", "SL011 Stage"]);
    assert_eq!(s.findings[0].location.line, Some(4));
    assert_eq!(
        s.findings[0].api_kind,
        Some(stagelog_model::ApiKind::WebSocket)
    );
}

#[test]
fn files_that_are_not_templates_are_skipped_silently() {
    let s = scan_files(&[
        (
            "workflow.yml",
            "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n",
        ),
        ("package.json", "{\"name\": \"x\"}"),
        ("broken.yaml", "a: [1, 2\n"),
        (
            "k8s.yaml",
            "apiVersion: v1\nkind: ConfigMap\ndata: { x: \"AWS::Region\" }\n",
        ),
    ]);
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    assert_eq!(s.files, 0);
    assert_eq!(s.stages, 0);
}

#[test]
fn sam_implicit_apis_and_globals() {
    let yaml = r#"Transform: AWS::Serverless-2016-10-31
Globals:
  Api:
    MethodSettings:
      - { ResourcePath: "/*", HttpMethod: "*", LoggingLevel: ERROR }
Resources:
  Rest:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Get: { Type: Api, Properties: { Path: /, Method: get } }
  Http:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Hook: { Type: HttpApi, Properties: { Path: /h, Method: post } }
  OnNamed:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Get: { Type: Api, Properties: { Path: /n, Method: get, RestApiId: !Ref Named } }
  Named:
    Type: AWS::Serverless::Api
    Properties:
      StageName: v1
"#;
    let s = scan_files(&[("template.yaml", yaml)]);
    assert_eq!(
        s.ids(),
        [
            "SL001 Named",
            "SL001 Named",
            "SL001 ServerlessRestApi",
            "SL001 ServerlessRestApi",
            "SL002 ServerlessHttpApi",
            "SL010 Named",
            "SL010 ServerlessRestApi",
            "SL030 Named"
        ]
    );
    // Both REST APIs also get SAM's extra `Stage` stage (no OpenApiVersion), unlogged.
    let extra: Vec<_> = s
        .of("SL001")
        .iter()
        .filter(|f| f.stage.as_deref() == Some("Stage"))
        .map(|f| f.location.resource.clone())
        .collect();
    assert_eq!(extra, ["Named", "ServerlessRestApi"]);
    let rest = s
        .findings
        .iter()
        .find(|f| f.location.resource == "ServerlessRestApi" && f.stage.as_deref() == Some("Prod"))
        .expect("the implicit API's default stage is Prod");
    assert_eq!(rest.location.line, Some(11));
    assert_eq!(rest.location.source, stagelog_model::SourceKind::Sam);
}

#[test]
fn sam_open_api_version_removes_the_extra_stage_stage() {
    let yaml = |open_api: &str| {
        format!(
            "Transform: AWS::Serverless-2016-10-31\nResources:\n  Api:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: v1\n{open_api}"
        )
    };
    let without = scan_files(&[("t.yaml", &yaml(""))]);
    assert_eq!(without.stages, 2);
    assert!(without
        .of("SL001")
        .iter()
        .any(|f| f.stage.as_deref() == Some("Stage") && f.message.contains("OpenApiVersion")));
    let with = scan_files(&[("t.yaml", &yaml("      OpenApiVersion: 3.0.1\n"))]);
    assert_eq!(with.stages, 1);
}

#[test]
fn sam_globals_access_logs_cover_the_implicit_api() {
    let yaml = format!(
        r#"Transform: AWS::Serverless-2016-10-31
Globals:
  HttpApi:
    AccessLogSettings:
      DestinationArn: arn:aws:logs:eu-west-1:123456789012:log-group:x
      Format: {FORMAT}
Resources:
  Http:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Hook: {{ Type: HttpApi }}
"#
    );
    let s = scan_files(&[("template.yaml", &yaml)]);
    // resourcePath is REST-only, so SL004 speaks; access logging itself is there.
    assert_eq!(s.ids(), ["SL004 ServerlessHttpApi"]);
}

#[test]
fn cdk_output_is_read_as_cloudformation() {
    let json = r#"{"Resources":{"ApiDeploymentStageprod":{"Type":"AWS::ApiGateway::Stage","Properties":{"RestApiId":{"Ref":"Api"},"StageName":"prod","DeploymentId":{"Ref":"Dep"}}}}}"#;
    let s = scan_files(&[
        ("cdk.out/App.template.json", json),
        (
            "cdk.out/manifest.json",
            r#"{"version":"36.0.0","artifacts":{}}"#,
        ),
        (
            "cdk.out/tree.json",
            r#"{"tree":{"id":"App","attributes":{"aws:cdk:cloudformation:type":"AWS::ApiGateway::Stage"}}}"#,
        ),
    ]);
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    assert_eq!(s.files, 1);
    assert_eq!(
        s.ids(),
        [
            "SL001 ApiDeploymentStageprod",
            "SL010 ApiDeploymentStageprod"
        ]
    );
}

#[test]
fn fn_for_each_makes_one_stage_per_item_as_the_language_extensions_transform_does() {
    let yaml = r#"AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::LanguageExtensions
Parameters:
  Environments:
    Type: CommaDelimitedList
    Default: "dev,qa"
Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Name: orders
  Fn::ForEach::Stages:
    - Env
    - !Ref Environments
    - Logs&{Env}:
        Type: AWS::Logs::LogGroup
        Properties:
          LogGroupName: !Sub /aws/apigateway/orders-${Env}
          RetentionInDays: 365
      Stage&{Env}:
        Type: AWS::ApiGateway::Stage
        Properties:
          RestApiId: !Ref Api
          StageName: !Ref Env
          AccessLogSetting:
            DestinationArn: !GetAtt Logs&{Env}.Arn
            Format: '{"requestId":"$context.requestId"}'
  Fn::ForEach::Canaries:
    - Name
    - [blue-green]
    - Canary&{Name}:
        Type: AWS::ApiGateway::Stage
        Properties:
          RestApiId: !Ref Api
          StageName: !Sub ${Name}
          Description: "${Name} stays as written outside Fn::Sub"
"#;
    let s = scan_files(&[("template.yaml", yaml)]);
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    assert_eq!(s.stages, 3);
    // Each stage's access log goes to its own group; the canary has none.
    assert_eq!(
        s.of("SL001")
            .iter()
            .map(|f| (f.location.resource.as_str(), f.stage.as_deref()))
            .collect::<Vec<_>>(),
        [("Canarybluegreen", Some("blue-green"))]
    );
    assert!(s.of("SL006").is_empty(), "{:?}", s.of("SL006"));
    // Given values change the collection.
    let dir = tempfile::tempdir().unwrap();
    common::write(dir.path(), &[("template.yaml", yaml)]);
    let scanned = stagelog_iac::scan_with(
        &[dir.path().to_path_buf()],
        &stagelog_iac::ScanOptions {
            parameters: stagelog_iac::cloudformation::Parameters::new(
                &[],
                &["Environments=prod,staging,dev".to_string()],
            )
            .unwrap(),
            ..Default::default()
        },
    );
    assert_eq!(scanned.inventories[0].stages.len(), 4);
}

/// Constructs YAML 1.2 forbids but PyYAML (cfn-lint, SAM CLI, Checkov) reads, found in SAM
/// templates that deploy.
#[test]
fn templates_are_read_as_the_cloudformation_toolchain_reads_them() {
    let yaml = r#"AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  ApiRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"}, "Action": "sts:AssumeRole"}]
      }
      ManagedPolicyArns: [
        "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
      ]
  ApiPolicy:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: logs
      Roles: [!Ref ApiRole]
      PolicyDocument: !Sub '{
  "Version": "2012-10-17",
  "Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "arn:${AWS::Partition}:logs:*:*:*"}]
}'
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      OpenApiVersion: "3.0.1"
"#;
    let s = scan_files(&[("template.yaml", yaml)]);
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    assert_eq!(s.stages, 1);
    let sl001 = s.of("SL001");
    assert_eq!(sl001.len(), 1);
    // Lines are those of the file as written.
    assert_eq!(sl001[0].location.line, Some(23));
    // Flow collections continued at their key's column: a policy's resources listed under
    // `Resource: [`, a JSON schema pasted after `Schema: {` (as in aws-samples templates).
    let continued = r#"Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Policies:
        - Statement:
          - Effect: Allow
            Action: rds:DescribeDBSnapshots
            Resource: [
            !Sub "arn:${AWS::Partition}:rds:${AWS::Region}:${AWS::AccountId}:db:orders",
            !Sub "arn:${AWS::Partition}:rds:${AWS::Region}:${AWS::AccountId}:snapshot:*"
            ]
  Model:
    Type: AWS::ApiGateway::Model
    Properties:
      RestApiId: !Ref Api
      Schema: {"$schema": "http://json-schema.org/draft-04/schema#",
      "title": "Stats",
      "type": "object"
      }
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      OpenApiVersion: "3.0.1"
"#;
    let s = scan_files(&[("template.yaml", continued)]);
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    assert_eq!(s.of("SL001")[0].location.line, Some(21));
    // What PyYAML rejects too stays an error: a mapping key out of line.
    let broken = "Resources:\n  Api:\n    Type: AWS::Serverless::Api\n   Properties:\n      StageName: prod\n";
    let s = scan_files(&[("template.yaml", broken)]);
    assert_eq!(s.errors.len(), 1, "{:?}", s.errors);
}

/// What CloudFormation does with a template is what stagelog reads: `Fn::If` yielding
/// `AWS::NoValue` drops the property (no error, the stage judged without it); `AWS::Include`
/// under Resources or as a resource's body is a note naming the file, not a resource without
/// a Type.
#[test]
fn no_value_drops_a_property_and_includes_are_noted() {
    let template = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/adapters/fixtures/conditional_method_settings.yaml"
    ))
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("template.yaml"), &template).unwrap();
    let judge = |env: &str| {
        let out = stagelog_iac::scan_with(
            &[dir.path().to_path_buf()],
            &stagelog_iac::ScanOptions {
                parameters: stagelog_iac::cloudformation::Parameters::new(
                    &[],
                    &[format!("Env={env}")],
                )
                .unwrap(),
                ..Default::default()
            },
        );
        assert!(out.errors.is_empty(), "{env}: {:?}", out.errors);
        let includes: Vec<&String> = out
            .notes
            .iter()
            .filter(|n| n.contains("AWS::Include"))
            .collect();
        assert_eq!(includes.len(), 2, "{:?}", out.notes);
        assert!(includes
            .iter()
            .any(|n| n.contains(":33:") && n.contains("s3://orders-templates/alarms.yaml")));
        let stage = &out.inventories[0].stages[0];
        stage.default_settings.logging_level.clone()
    };
    // dev: the property is dropped, so the level is unset; prod: ERROR.
    assert_eq!(judge("dev"), None);
    assert_eq!(
        judge("prod"),
        Some(stagelog_model::Value::Known(
            stagelog_model::LogLevel::Error
        ))
    );
}

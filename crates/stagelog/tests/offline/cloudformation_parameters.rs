//! CloudFormation as deployed: `Conditions`, `Mappings` and `Fn::If` decided by parameter
//! defaults, or by values given with `--parameter` and `--parameters-file` (both JSON forms).
use crate::common;
use std::process::Command;

/// Written the way multi-environment templates are: an environment parameter, a mapping of
/// per-environment settings, conditions, a stage created only outside production, and access
/// logging switched by a condition.
const TEMPLATE: &str = r#"AWSTemplateFormatVersion: "2010-09-09"
Description: Orders API, one stack per environment

Parameters:
  Environment:
    Type: String
    Default: dev
    AllowedValues: [dev, staging, prod]
  ExtraStages:
    Type: CommaDelimitedList
    Default: "canary,preview"
  ArtifactBucket:
    Type: String

Mappings:
  EnvironmentSettings:
    dev:
      LoggingLevel: "OFF"
      DataTrace: "true"
    staging:
      LoggingLevel: INFO
      DataTrace: "false"
    prod:
      LoggingLevel: ERROR
      DataTrace: "false"

Conditions:
  IsProd: !Equals [!Ref Environment, prod]
  IsNotProd: !Not [!Condition IsProd]
  LogsWanted: !Or
    - !Condition IsProd
    - !Equals [!Ref Environment, staging]
  FromBucket: !Equals [!Ref ArtifactBucket, ""]

Resources:
  AccessLogs:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Sub /aws/apigateway/orders-${Environment}
      RetentionInDays: 365

  Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Name: !Sub orders-${Environment}

  MainStage:
    Type: AWS::ApiGateway::Stage
    Properties:
      RestApiId: !Ref Api
      DeploymentId: !Ref Deployment
      StageName: !Ref Environment
      AccessLogSetting: !If
        - LogsWanted
        - DestinationArn: !GetAtt AccessLogs.Arn
          Format: '{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","caller":"$context.identity.caller","requestTime":"$context.requestTime","httpMethod":"$context.httpMethod","resourcePath":"$context.resourcePath","status":"$context.status","protocol":"$context.protocol","responseLength":"$context.responseLength"}'
        - !Ref AWS::NoValue
      MethodSettings:
        - ResourcePath: "/*"
          HttpMethod: "*"
          LoggingLevel: !FindInMap [EnvironmentSettings, !Ref Environment, LoggingLevel]
          DataTraceEnabled: !FindInMap [EnvironmentSettings, !Ref Environment, DataTrace]

  PreviewStage:
    Type: AWS::ApiGateway::Stage
    Condition: IsNotProd
    Properties:
      RestApiId: !Ref Api
      DeploymentId: !Ref Deployment
      StageName: !Select [1, !Ref ExtraStages]

  BucketStage:
    Type: AWS::ApiGateway::Stage
    Condition: FromBucket
    Properties:
      RestApiId: !Ref Api
      DeploymentId: !Ref Deployment
      StageName: from-bucket
"#;

/// Each finding as `RULE stage`, sorted (paths in `args`, default `.`).
fn run(dir: &std::path::Path, args: &[&str]) -> Vec<String> {
    let args: Vec<&str> = ["--select", "SL001,SL010,SL011"]
        .into_iter()
        .chain(args.iter().copied())
        .collect();
    common::rule_and_stage(&common::scan_json(dir, &args).1)
}

#[test]
fn defaults_decide_conditions_mappings_and_which_resources_exist() {
    let dir = tempfile::tempdir().unwrap();
    common::write(dir.path(), &[("orders.yaml", TEMPLATE)]);
    // dev: LogsWanted is false, so the access log setting is removed (SL001); the mapping
    // turns execution logging off (SL010) and data trace on (SL011); the preview stage exists
    // and is named by the list default. ArtifactBucket has no default, so the bucket stage
    // may or may not exist: it is judged, with its name.
    assert_eq!(
        run(dir.path(), &[]),
        [
            "SL001 dev",
            "SL001 from-bucket",
            "SL001 preview",
            "SL010 dev",
            "SL010 from-bucket",
            "SL010 preview",
            "SL011 dev",
        ]
    );
}

#[test]
fn values_given_on_the_command_line_or_in_files_win_over_defaults() {
    let dir = tempfile::tempdir().unwrap();
    common::write(
        dir.path(),
        &[
            ("orders.yaml", TEMPLATE),
            (
                "prod.json",
                r#"[
  {"ParameterKey": "Environment", "ParameterValue": "prod"},
  {"ParameterKey": "ArtifactBucket", "ParameterValue": "orders-artifacts"}
]"#,
            ),
            (
                "staging-config.json",
                r#"{"Parameters": {"Environment": "staging", "ArtifactBucket": ""}, "Tags": {"team": "orders"}}"#,
            ),
        ],
    );
    // prod: logs wanted and level ERROR, the preview stage is not created, nor the bucket stage.
    assert_eq!(
        run(dir.path(), &["--parameters-file", "prod.json"]),
        Vec::<String>::new()
    );
    // The CodePipeline form; staging creates the preview stage (named by the override's list)
    // and, with an empty bucket, the bucket stage.
    assert_eq!(
        run(
            dir.path(),
            &[
                "--parameters-file",
                "staging-config.json",
                "--parameter",
                "ExtraStages=blue,green"
            ]
        ),
        [
            "SL001 from-bucket",
            "SL001 green",
            "SL010 from-bucket",
            "SL010 green"
        ]
    );
    // --parameter wins over a file.
    assert_eq!(
        run(
            dir.path(),
            &[
                "--parameters-file",
                "prod.json",
                "--parameter",
                "Environment=dev"
            ]
        ),
        [
            "SL001 dev",
            "SL001 preview",
            "SL010 dev",
            "SL010 preview",
            "SL011 dev"
        ]
    );
}

#[test]
fn a_malformed_parameters_file_is_a_usage_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    common::write(
        dir.path(),
        &[
            ("orders.yaml", TEMPLATE),
            ("bad.json", r#"{"Environment": "prod"}"#),
        ],
    );
    for args in [
        vec!["--parameters-file", "bad.json"],
        vec!["--parameters-file", "missing.json"],
        vec!["--parameter", "Environment"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_stagelog"))
            .args(["scan", "."])
            .args(&args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(args[1]) || stderr.contains("KEY=VALUE"),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn samconfig_parameter_overrides_apply_to_the_templates_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let samconfig = r#"version = 0.1

[default.global.parameters]
stack_name = "orders"

[default.deploy.parameters]
capabilities = "CAPABILITY_IAM"
parameter_overrides = "Environment=\"prod\" ArtifactBucket=orders-artifacts"

[staging.deploy.parameters]
parameter_overrides = ["Environment=staging", "ParameterKey=ArtifactBucket,ParameterValue=x", "ExtraStages='blue,green'"]
"#;
    common::write(
        dir.path(),
        &[
            ("service/template.yaml", TEMPLATE),
            ("service/samconfig.toml", samconfig),
            // A template elsewhere is not deployed with that samconfig.toml.
            ("other/template.yaml", TEMPLATE),
        ],
    );
    let found = run(dir.path(), &["service"]);
    assert_eq!(
        found,
        Vec::<String>::new(),
        "prod from [default.deploy.parameters]"
    );
    assert_eq!(
        run(dir.path(), &["service", "--config-env", "staging"]),
        ["SL001 green", "SL010 green"]
    );
    // The command line wins over samconfig.toml.
    assert!(
        run(dir.path(), &["service", "--parameter", "Environment=dev"])
            .contains(&"SL011 dev".to_string())
    );
    assert!(run(dir.path(), &["other"]).contains(&"SL011 dev".to_string()));
}

#[test]
fn a_broken_samconfig_is_an_error_with_its_line_and_the_template_is_still_judged() {
    let dir = tempfile::tempdir().unwrap();
    common::write(
        dir.path(),
        &[
            ("template.yaml", TEMPLATE),
            ("samconfig.toml", "version = 0.1\n\n[default.deploy.parameters\nparameter_overrides = \"Environment=prod\"\n"),
        ],
    );
    let (code, v) = common::scan_json(dir.path(), &[]);
    assert_eq!(code, Some(2));
    let errors = v["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0]["file"]
        .as_str()
        .unwrap()
        .ends_with("samconfig.toml"));
    assert_eq!(errors[0]["line"], 3);
    // Judged with the defaults.
    assert!(v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["stage"] == "dev"));
}

#[test]
fn a_verdict_that_rests_on_a_default_says_so_in_the_report() {
    let dir = tempfile::tempdir().unwrap();
    common::write(dir.path(), &[("orders.yaml", TEMPLATE)]);
    let notes = |args: &[&str]| -> Vec<String> {
        let (_, report) = common::scan_json(dir.path(), args);
        // A report without notes has no `notes` key.
        report["notes"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|n| n.as_str().unwrap().to_string())
            .filter(|n| n.contains("judged with the Default"))
            .collect()
    };
    // Environment decided conditions and a mapping; ExtraStages only a stage's name, which
    // is identity, not a verdict.
    let said = notes(&[]);
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(
        said[0].starts_with("orders.yaml: judged with the Default of Environment=dev ("),
        "{}",
        said[0]
    );
    // Given values are no defaults.
    let said = notes(&[
        "--parameter",
        "Environment=prod",
        "--parameter",
        "ExtraStages=a,b",
    ]);
    assert!(said.is_empty(), "{said:?}");
}

//! Serverless services read as the framework reads them before it deploys: `${file(…)}`
//! includes at hand, `resources:` as a list of included files, overrides of the resources the
//! framework generates, a Deployment of the framework's own stage, quoted strings continued
//! over lines, and a shared REST API that several services deploy into.
use crate::common::{scan_files, Scanned};

fn lines_of(s: &Scanned, rule: &str) -> Vec<String> {
    let mut v: Vec<String> = s
        .of(rule)
        .iter()
        .map(|f| {
            let file = f.location.file.as_deref().unwrap_or_default();
            let file = file.rsplit_once("/orders/").map_or(file, |(_, f)| f);
            format!(
                "{} {} {}:{}",
                f.location.resource,
                f.stage.as_deref().unwrap_or_default(),
                file,
                f.location.line.unwrap_or(0)
            )
        })
        .collect();
    v.sort();
    v
}

const ORDERS: &str = r#"service: orders
frameworkVersion: '3'

provider:
  name: aws
  runtime: nodejs20.x
  stage: ${opt:stage, 'prod'}
  logs: ${file(./config/logging.yml):${self:provider.stage}}
  # Comments quoted over two lines are what the framework's parser accepts.
  environment:
    GREETING: 'orders service,
      version two'

functions:
  list:
    handler: src/list.handler
    events:
      - http:
          path: orders
          method: get

custom: ${file(./config/secrets.${opt:stage}.yml)}

resources:
  - ${file(resources/api-overrides.yml)}
  - ${file(resources/logs.yml)}
  - ${file(resources/not-yet-written.yml)}
"#;

const LOGGING: &str = r#"prod:
  restApi:
    accessLogging: true
    executionLogging: true
    level: ERROR
    fullExecutionData: true
dev:
  restApi: false
"#;

const API_OVERRIDES: &str = r#"Resources:
  # Overrides of what the framework generates: merged there, not resources of their own.
  ApiGatewayRestApi:
    Properties:
      MinimumCompressionSize: 1024
  ApiGatewayDeploymentPinned:
    Type: AWS::ApiGateway::Deployment
    Properties:
      RestApiId: !Ref ApiGatewayRestApi
      StageName: ${self:provider.stage}
"#;

const LOGS: &str = r#"Resources:
  AuditLogGroup:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: /orders/audit
Outputs:
  AuditLogGroupArn:
    Value: !GetAtt AuditLogGroup.Arn
"#;

#[test]
fn included_files_are_read_where_the_service_names_them() {
    let s = scan_files(&[
        ("orders/serverless.yml", ORDERS),
        ("orders/config/logging.yml", LOGGING),
        ("orders/resources/api-overrides.yml", API_OVERRIDES),
        ("orders/resources/logs.yml", LOGS),
    ]);
    // No file is rejected: overrides without Type, the quoted string over two lines, a
    // `${file()}` where a mapping is expected are all what the framework deploys.
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    // provider.logs comes from config/logging.yml's `prod` key: data trace on, at the line
    // that includes it. The Deployment naming `${self:provider.stage}` is that same stage:
    // one REST stage, not two.
    assert_eq!(s.stages, 1, "{:?}", s.ids());
    assert_eq!(
        lines_of(&s, "SL011"),
        ["ApiGatewayRestApi prod serverless.yml:8"]
    );
    assert!(s.of("SL001").is_empty(), "{:?}", s.ids());
    // The list-form `resources:` merges each file's sections; a file not written yet is said.
    let missing: Vec<&String> = s
        .notes
        .iter()
        .filter(|n| n.contains("not-yet-written.yml"))
        .collect();
    assert_eq!(missing.len(), 1, "{:?}", s.notes);
    // A file named at deploy time under `custom:` holds nothing judged: no note for it.
    assert!(
        !s.notes.iter().any(|n| n.contains("secrets")),
        "{:?}",
        s.notes
    );
}

#[test]
fn an_include_not_at_hand_where_it_matters_is_said_and_never_an_error() {
    let s = scan_files(&[("orders/serverless.yml", ORDERS)]);
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    for file in ["logging.yml", "api-overrides.yml", "logs.yml"] {
        assert!(
            s.notes.iter().any(|n| n.contains(file)),
            "{file}: {:?}",
            s.notes
        );
    }
    // provider.logs unknown: the stage's logging is not reported as missing.
    assert!(s.of("SL001").is_empty(), "{:?}", s.ids());
    // Each note is at the line of the service file that names the include.
    assert!(
        s.notes
            .iter()
            .any(|n| n.contains("orders/serverless.yml:8:") && n.contains("logging.yml")),
        "{:?}",
        s.notes
    );
}

#[test]
fn an_included_file_that_does_not_parse_is_an_error_at_its_own_line() {
    let s = scan_files(&[
        ("orders/serverless.yml", ORDERS),
        ("orders/config/logging.yml", LOGGING),
        ("orders/resources/api-overrides.yml", API_OVERRIDES),
        (
            "orders/resources/logs.yml",
            "Resources:\n  AuditLogGroup:\n    Type: [AWS::Logs::LogGroup\n",
        ),
    ]);
    // Said once, by the service that includes it, not again as a template of its own.
    assert_eq!(s.errors.len(), 1, "{:?}", s.errors);
    let e = &s.errors[0];
    assert!(e.file.as_deref().unwrap().ends_with("resources/logs.yml"));
    assert!(e.message.contains("serverless.yml:26"), "{}", e.message);
    // The rest of the service is still judged.
    assert_eq!(s.of("SL011").len(), 1, "{:?}", s.ids());
}

fn shared_service(name: &str, logs: &str) -> String {
    format!(
        r#"service: {name}
provider:
  name: aws
  stage: prod
  apiGateway:
    restApiId: !ImportValue platform-api-id
    restApiRootResourceId: !ImportValue platform-api-root
{logs}
functions:
  handler:
    handler: src/{name}.handler
    events:
      - http:
          path: {name}
          method: any
"#
    )
}

#[test]
fn a_stage_that_several_services_deploy_into_a_shared_api_is_judged_once() {
    let s = scan_files(&[
        ("billing/serverless.yml", &shared_service("billing", "")),
        ("orders/serverless.yml", &shared_service("orders", "")),
        ("users/serverless.yml", &shared_service("users", "")),
    ]);
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    // The stage `prod` of the imported API: one access-logging finding, at the first service,
    // noting the others — not three, and not "judged where it is defined" by nobody.
    let found = s.of("SL001");
    assert_eq!(found.len(), 1, "{:?}", s.ids());
    let f = found[0];
    assert!(f
        .location
        .file
        .as_deref()
        .unwrap()
        .ends_with("billing/serverless.yml"));
    assert_eq!(f.location.line, Some(6));
    assert_eq!(f.location.resource, "provider.apiGateway.restApiId");
    assert_eq!(s.stages, 1);
    assert!(
        f.message.contains("deployed by 3 services"),
        "{}",
        f.message
    );
}

#[test]
fn services_that_set_a_shared_stage_differently_are_each_judged_with_their_own() {
    let logged = "  logs:\n    restApi:\n      fullExecutionData: false\n";
    let s = scan_files(&[
        ("billing/serverless.yml", &shared_service("billing", logged)),
        ("orders/serverless.yml", &shared_service("orders", "")),
        ("users/serverless.yml", &shared_service("users", logged)),
    ]);
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    // orders' deploy turns logging OFF again (the framework sets level OFF without
    // provider.logs): its copy is judged; billing and users say the same, judged once.
    assert_eq!(s.stages, 2);
    let unlogged = s.of("SL001");
    assert_eq!(unlogged.len(), 1, "{:?}", s.ids());
    assert!(unlogged[0]
        .location
        .file
        .as_deref()
        .unwrap()
        .ends_with("orders/serverless.yml"));
    assert!(
        unlogged[0].message.contains("whose provider.logs differ"),
        "{}",
        unlogged[0].message
    );
}

#[test]
fn services_deploying_different_stages_of_a_shared_api_are_each_judged() {
    let logged = "  logs:\n    restApi: true\n";
    let s = scan_files(&[
        ("billing/serverless.yml", &shared_service("billing", logged)),
        (
            "orders/serverless.yml",
            &shared_service("orders", "").replace("stage: prod", "stage: staging"),
        ),
    ]);
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    assert_eq!(s.stages, 2);
    // billing's prod logs (full execution data on); orders' staging logs nothing.
    assert_eq!(s.of("SL001").len(), 1, "{:?}", s.ids());
    assert!(s.of("SL001")[0]
        .location
        .file
        .as_deref()
        .unwrap()
        .ends_with("orders/serverless.yml"));
    assert_eq!(s.of("SL011").len(), 1, "{:?}", s.ids());
}

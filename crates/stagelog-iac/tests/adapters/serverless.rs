//! The Serverless Framework: the APIs a service's events create, `provider.logs` with the
//! framework's defaults, its variables, and an external REST API left to where it is defined.
use crate::common::adapters_rules;
use stagelog_rules::{check, Config};

fn scan(yaml: &str) -> (Vec<String>, stagelog_iac::ScanOutput) {
    let out = stagelog_iac::scan_sources(&[("svc/serverless.yml", yaml)], false);
    let mut findings: Vec<String> = out
        .inventories
        .iter()
        .flat_map(|inv| check(inv, &Config::default(), &adapters_rules()))
        .map(|f| {
            format!(
                "{} {:?} {} line {}",
                f.rule_id,
                f.api_kind.unwrap(),
                f.stage.unwrap_or_default(),
                f.location.line.unwrap_or(0)
            )
        })
        .collect();
    findings.sort();
    (findings, out)
}

const EVENTS: &str = r#"
functions:
  api:
    handler: src/api.handler
    events:
      - http:
          path: orders
          method: get
      - httpApi: 'GET /v2/orders'
  ws:
    handler: src/ws.handler
    events:
      - websocket:
          route: $default
"#;

#[test]
fn without_provider_logs_every_api_the_events_create_logs_nothing() {
    let (findings, out) = scan(&format!(
        "service: shop\nprovider:\n  name: aws\n  stage: ${{opt:stage, 'prod'}}\n{EVENTS}"
    ));
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert_eq!(out.inventories[0].stages.len(), 3);
    assert_eq!(
        findings,
        [
            "SL001 Rest prod line 10",
            "SL002 Http $default line 13",
            "SL002 WebSocket prod line 17",
            "SL010 Rest prod line 10",
            "SL010 WebSocket prod line 17",
        ]
    );
}

#[test]
fn logs_true_uses_the_frameworks_defaults_full_execution_data_included() {
    let (findings, _) = scan(&format!(
        "service: shop\nprovider:\n  name: aws\n  logs:\n    restApi: true\n    websocket: true\n    httpApi: true\n{EVENTS}"
    ));
    // Access and execution logging on; full request/response data too (SL011), which only
    // serverless.yml shows for REST (the framework sets it through the SDK after deploy).
    // The groups the framework declares for them keep events forever without
    // provider.logRetentionInDays (SL020), unencrypted (SL021, info).
    assert_eq!(
        findings,
        [
            "SL011 Rest dev line 5",
            "SL011 WebSocket dev line 6",
            "SL020 Http $default line 7",
            "SL020 Rest dev line 5",
            "SL020 WebSocket dev line 6",
            "SL021 Http $default line 7",
            "SL021 Rest dev line 5",
            "SL021 WebSocket dev line 6",
        ]
    );
}

#[test]
fn an_object_switches_each_part_and_false_turns_logging_off() {
    let (findings, _) = scan(&format!(
        r#"service: shop
provider:
  name: aws
  stage: live
  logs:
    restApi:
      accessLogging: false
      fullExecutionData: false
      level: ERROR
    websocket: false
{EVENTS}"#
    ));
    assert_eq!(
        findings,
        [
            "SL001 Rest live line 6",
            "SL002 Http $default line 19",
            "SL002 WebSocket live line 10",
            "SL010 WebSocket live line 10",
        ]
    );
}

#[test]
fn a_shared_rest_api_gets_this_services_stage_and_unknown_values_are_not_missing() {
    let (findings, out) = scan(&format!(
        r#"service: shop
provider:
  name: aws
  stage: ${{opt:stage}}
  apiGateway:
    restApiId: xxxxxxxxxx
  logs:
    restApi: true
    websocket: ${{env:WS_LOGS}}
{EVENTS}"#
    ));
    assert!(out.notes.is_empty(), "{:?}", out.notes);
    // The deployment into the shared API creates this service's stage there, with
    // provider.logs.restApi (full execution data: SL011). The stage name is unknown
    // (`--stage` at deploy time) and so is the WebSocket setting: nothing is reported as
    // missing for them.
    assert_eq!(
        findings,
        [
            "SL002 Http $default line 18",
            "SL011 Rest ${opt:stage} line 8"
        ]
    );
    let rest = &out.inventories[0].stages[0];
    assert_eq!(rest.location.resource, "provider.apiGateway.restApiId");
    assert_eq!(rest.api.as_ref().unwrap().to_string(), "xxxxxxxxxx");
    assert_eq!(
        out.inventories[0].stages[2].name.to_string(),
        "${opt:stage}"
    );
}

#[test]
fn other_clouds_and_broken_files() {
    let (findings, out) = scan(&format!(
        "service: shop\nprovider:\n  name: azure\n{EVENTS}"
    ));
    assert!(findings.is_empty() && out.inventories.is_empty());
    let (_, out) = scan("service: shop\nprovider: [\n");
    assert_eq!(out.errors.len(), 1);
    assert!(
        out.errors[0].message.contains("serverless.yml"),
        "{:?}",
        out.errors
    );
}

#[test]
fn resources_are_read_as_cloudformation_in_the_same_file() {
    let yaml = format!(
        r#"service: shop
provider:
  name: aws
  logs:
    restApi:
      fullExecutionData: false
{EVENTS}
resources:
  Resources:
    # A partner API the service declares itself, outside the framework's events.
    PartnerApi:
      Type: AWS::ApiGatewayV2::Api
      Properties:
        Name: shop-partner
        ProtocolType: HTTP
    PartnerStage:
      Type: AWS::ApiGatewayV2::Stage
      Properties:
        ApiId: !Ref PartnerApi
        StageName: live
        AutoDeploy: true
  Outputs:
    PartnerUrl:
      Value: !GetAtt PartnerApi.ApiEndpoint
"#
    );
    let (findings, out) = scan(&yaml);
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert_eq!(out.inventories[0].stages.len(), 4);
    // The declared stage is judged at its own line, as in a template.
    assert!(
        findings.contains(&"SL002 Http live line 30".to_string()),
        "{findings:?}"
    );
}

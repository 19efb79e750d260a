//! `stagelog fix` on serverless.yml: `provider.logs` edited in place (comments and layout
//! kept) so a re-scan is clean for the fixed rules; what lives under `resources:` is left to
//! a person, with the hint.

use std::process::Command;

const SERVICE: &str = r#"service: orders
frameworkVersion: "3"

provider:
  name: aws
  runtime: nodejs20.x
  stage: ${opt:stage, 'prod'}
  logs:
    # Access and execution logs for the REST API; defaults otherwise.
    restApi: true
    websocket: false # turned off while the chat is in beta

functions:
  list:
    handler: src/list.handler
    events:
      - http:
          path: orders
          method: get
  chat:
    handler: src/chat.handler
    events:
      - websocket:
          route: $default

resources:
  Resources:
    PartnerStage:
      Type: AWS::ApiGatewayV2::Stage
      Properties:
        ApiId: partner-api-id
        StageName: live
"#;

/// The rules this test fixes (the others, such as the account role the framework sets, are
/// other tests' business).
const RULES: &str = "SL002,SL010,SL011";

fn findings(dir: &std::path::Path) -> Vec<String> {
    crate::common::rule_and_stage(&crate::common::scan_json(dir, &["--select", RULES]).1)
}

#[test]
fn provider_logs_are_fixed_in_place_and_resources_are_left_to_a_person() {
    let dir = tempfile::tempdir().unwrap();
    crate::common::write(dir.path(), &[("serverless.yml", SERVICE)]);
    assert_eq!(
        findings(dir.path()),
        ["SL002 live", "SL002 prod", "SL010 prod", "SL011 prod",]
    );
    let out = Command::new(env!("CARGO_BIN_EXE_stagelog"))
        .args(["fix", ".", "--write", "--select", RULES])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let after = std::fs::read_to_string(dir.path().join("serverless.yml")).unwrap();
    // Comments and the rest of the file stay; `true` became the smallest object that turns
    // full execution data off; the WebSocket API's `false` became on, at ERROR.
    assert!(
        after.contains("    # Access and execution logs for the REST API; defaults otherwise.\n"),
        "{after}"
    );
    assert!(
        after.contains("    restApi: { fullExecutionData: false }\n"),
        "{after}"
    );
    assert!(
        after.contains("    websocket: { executionLogging: true, fullExecutionData: false, level: ERROR } # turned off while the chat is in beta\n")
            || after.contains("    websocket: { executionLogging: true, level: ERROR, fullExecutionData: false } # turned off while the chat is in beta\n"),
        "{after}"
    );
    // Access logs turned on go to the group the framework declares: kept a year.
    assert!(after.contains("\n  logRetentionInDays: 365\n"), "{after}");
    assert_eq!(
        after
            .replace("restApi: { fullExecutionData: false }", "restApi: true")
            .lines()
            .count(),
        SERVICE.lines().count() + 1
    );
    // The stage under resources: is CloudFormation nested in the file: said, not rewritten.
    assert!(
        format!("{stdout}{stderr}").contains("declared under resources:"),
        "{stdout}{stderr}"
    );
    assert_eq!(findings(dir.path()), ["SL002 live"]);
}

#[test]
fn settings_written_in_flow_style_get_the_snippet_to_paste() {
    let dir = tempfile::tempdir().unwrap();
    let service = SERVICE.replace(
        "  logs:\n    # Access and execution logs for the REST API; defaults otherwise.\n    restApi: true\n    websocket: false # turned off while the chat is in beta\n",
        "  logs: { restApi: true, websocket: { accessLogging: true, executionLogging: true, level: INFO } }\n",
    );
    assert_ne!(service, SERVICE);
    crate::common::write(dir.path(), &[("serverless.yml", &service)]);
    let out = Command::new(env!("CARGO_BIN_EXE_stagelog"))
        .args(["fix", "."])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stdout = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("flow style"), "{stdout}");
    assert!(
        stdout.contains("provider:\n  logs:\n    restApi:\n      fullExecutionData: false\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("      fullExecutionData: false\n"),
        "{stdout}"
    );
    // Nothing was written.
    assert_eq!(
        std::fs::read_to_string(dir.path().join("serverless.yml")).unwrap(),
        service
    );
}

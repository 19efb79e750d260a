//! Baselines: a team adopting stagelog records today's findings and fails only on new ones.
//! A recorded finding survives line moves and reformatting; one fixed is a note; one added
//! fails the run. stagelog.toml can name the baseline, the threshold, the format and output.

use crate::common::{scan_json, stagelog_in, write};

const ESTATE: &str = r#"resource "aws_api_gateway_stage" "orders" {
  rest_api_id   = "abc"
  deployment_id = "dep"
  stage_name    = "prod"
}

resource "aws_apigatewayv2_api" "chat" {
  name          = "chat"
  protocol_type = "WEBSOCKET"
}

resource "aws_apigatewayv2_stage" "chat" {
  api_id = aws_apigatewayv2_api.chat.id
  name   = "live"
}
"#;

#[test]
fn a_baseline_fails_only_on_new_findings_whatever_moved() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &[("infra/main.tf", ESTATE)]);
    let wrote = stagelog_in(
        dir.path(),
        &[
            "scan",
            "infra",
            "--write-baseline",
            "stagelog.baseline.json",
        ],
    );
    assert_eq!(
        wrote.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&wrote.stderr)
    );
    assert!(
        String::from_utf8_lossy(&wrote.stderr).contains("wrote baseline stagelog.baseline.json")
    );
    let recorded: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("stagelog.baseline.json")).unwrap(),
    )
    .unwrap();
    let n = recorded["findings"].as_array().unwrap().len();
    assert!(n >= 4, "{recorded}");

    // Lines moved (a comment block and the resources reordered), the chat stage fixed
    // (execution logging on: SL010 gone), a new unlogged stage added.
    let edited = format!(
        "# Orders and chat APIs.\n# Owned by the platform team.\n\n{}\n{}",
        ESTATE
            .split("\n\n")
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n\n")
            .replace(
                "  name   = \"live\"\n",
                "  name   = \"live\"\n\n  default_route_settings {\n    logging_level = \"ERROR\"\n  }\n"
            ),
        "\nresource \"aws_api_gateway_stage\" \"billing\" {\n  rest_api_id   = \"def\"\n  deployment_id = \"dep2\"\n  stage_name    = \"prod\"\n}\n"
    );
    write(dir.path(), &[("infra/main.tf", &edited)]);
    // Scanned from another folder: the baseline still matches (no paths in its keys).
    let (code, report) = scan_json(
        &dir.path().join("infra"),
        &[".", "--baseline", "../stagelog.baseline.json"],
    );
    assert_eq!(code, Some(1), "{report}");
    let new: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] != "info")
        .map(|f| f["resource"].as_str().unwrap())
        .collect();
    assert!(
        !new.is_empty() && new.iter().all(|r| *r == "aws_api_gateway_stage.billing"),
        "{report}"
    );
    assert!(
        report["summary"]["baselined"].as_u64().unwrap() >= 3,
        "{report}"
    );
    assert!(report["suppressed"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["by"] == "baseline"));
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("no longer occur") && notes.contains("SL010 aws_apigatewayv2_stage.chat"),
        "{notes}"
    );
    // Once the new stage is fixed too, the baseline is all there is: the run passes.
    write(
        dir.path(),
        &[(
            "infra/main.tf",
            &edited.replace(
                "resource \"aws_api_gateway_stage\" \"billing\"",
                "resource \"aws_api_gateway_rest_api\" \"billing\"",
            ),
        )],
    );
    let (code, report) = scan_json(
        dir.path(),
        &[
            "infra",
            "--baseline",
            "stagelog.baseline.json",
            "--severity",
            "high,medium,low",
        ],
    );
    assert_eq!(code, Some(0), "{report}");
}

#[test]
fn stagelog_toml_names_the_baseline_threshold_format_and_output() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &[("infra/main.tf", ESTATE)]);
    let o = stagelog_in(
        dir.path(),
        &["scan", ".", "--write-baseline", "ci/baseline.json"],
    );
    assert_eq!(
        o.status.code(),
        Some(2),
        "the directory does not exist yet: an error, said"
    );
    std::fs::create_dir_all(dir.path().join("ci")).unwrap();
    assert_eq!(
        stagelog_in(
            dir.path(),
            &["scan", ".", "--write-baseline", "ci/baseline.json"]
        )
        .status
        .code(),
        Some(0)
    );
    write(
        dir.path(),
        &[(
            "stagelog.toml",
            "baseline = \"ci/baseline.json\"\nfail_on = \"high\"\nformat = \"sarif\"\noutput = \"ci/stagelog.sarif\"\n",
        )],
    );
    // From a subfolder: the paths in stagelog.toml are relative to it.
    let o = stagelog_in(&dir.path().join("infra"), &["scan", "."]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let sarif = std::fs::read_to_string(dir.path().join("ci/stagelog.sarif")).unwrap();
    assert!(
        sarif.contains("\"version\": \"2.1.0\"") || sarif.contains("\"version\":\"2.1.0\""),
        "{sarif}"
    );
    // The command line wins over the file.
    let (code, report) = scan_json(dir.path(), &[".", "--fail-on", "none"]);
    assert_eq!(code, Some(0));
    assert!(
        report["summary"]["baselined"].as_u64().unwrap() >= 4,
        "{report}"
    );
    write(dir.path(), &[("stagelog.toml", "fail_on = \"severe\"\n")]);
    let o = stagelog_in(dir.path(), &["scan", "."]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("fail_on"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

//! Exclusion as gitignore writes it: patterns relative to where they are written (the current
//! directory for `--exclude`, the file's directory for stagelog.toml), bare names at any depth,
//! `--skip-path`/`--skip-dirs` as aliases, `--force-exclude` for files named on the command line
//! (pre-commit), a pattern that matched nothing noted, `-v` counting what each left out.

use crate::common::{scan_json, write};

const BAD: &str = r#"resource "aws_apigatewayv2_stage" "s" {
  api_id = "a1b2c3"
  name   = "prod"
}
"#;

/// A repository: a legacy folder and a generated file the team's stagelog.toml leaves out.
fn repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            (
                "stagelog.toml",
                "exclude = [\"legacy\", \"generated.tf\", \"./tools/**\", \"no-such-dir/\"]\n",
            ),
            ("infra/live/main.tf", BAD),
            ("infra/legacy/main.tf", BAD),
            ("infra/live/generated.tf", &BAD.replace("\"s\"", "\"g\"")),
            ("tools/fixture/main.tf", &BAD.replace("\"s\"", "\"t\"")),
        ],
    );
    dir
}

fn files_of(report: &serde_json::Value) -> Vec<String> {
    let mut files: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"].as_str().unwrap().to_string())
        .collect();
    files.sort();
    files.dedup();
    files
}

#[test]
fn stagelog_toml_excludes_the_same_files_from_the_root_and_from_a_subfolder() {
    let dir = repository();
    let (_, from_root) = scan_json(dir.path(), &[".", "--fail-on", "none"]);
    assert_eq!(files_of(&from_root), ["infra/live/main.tf"], "{from_root}");
    let (_, named) = scan_json(dir.path(), &["infra", "--fail-on", "none"]);
    assert_eq!(files_of(&named), ["infra/live/main.tf"], "{named}");
    let (_, inside) = scan_json(&dir.path().join("infra"), &[".", "--fail-on", "none"]);
    assert_eq!(files_of(&inside), ["live/main.tf"], "{inside}");
    // A pattern that matched nothing is a note in every report.
    let notes = from_root["notes"].to_string();
    assert!(
        notes.contains("exclude pattern `no-such-dir/`") && notes.contains("matched nothing"),
        "{notes}"
    );
}

#[test]
fn command_line_patterns_are_relative_to_the_current_directory_and_have_peer_names() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("infra/live/main.tf", BAD),
            ("infra/legacy/main.tf", BAD),
            ("infra/live/generated.tf", &BAD.replace("\"s\"", "\"g\"")),
        ],
    );
    for flag in ["--exclude", "--skip-path", "--skip-dirs"] {
        let (_, report) = scan_json(
            dir.path(),
            &[
                "infra",
                flag,
                "legacy",
                flag,
                "infra/live/generated.tf",
                "--fail-on",
                "none",
            ],
        );
        assert_eq!(
            files_of(&report),
            ["infra/live/main.tf"],
            "{flag}: {report}"
        );
    }
}

#[test]
fn named_files_are_excluded_only_with_force_exclude_as_pre_commit_passes_them() {
    let dir = repository();
    let args = [
        "infra/legacy/main.tf",
        "infra/live/main.tf",
        "--fail-on",
        "none",
    ];
    let (_, as_named) = scan_json(dir.path(), &args);
    assert_eq!(
        files_of(&as_named),
        ["infra/legacy/main.tf", "infra/live/main.tf"]
    );
    let mut forced = args.to_vec();
    forced.push("--force-exclude");
    let (_, report) = scan_json(dir.path(), &forced);
    assert_eq!(files_of(&report), ["infra/live/main.tf"], "{report}");
}

#[test]
fn verbose_says_what_each_pattern_left_out() {
    let dir = repository();
    let o = crate::common::stagelog_in(dir.path(), &["scan", ".", "-v", "--fail-on", "none"]);
    let err = String::from_utf8_lossy(&o.stderr);
    for said in [
        "exclude pattern `legacy` (",
        ") left out 1 directory",
        "exclude pattern `generated.tf` (",
        ") left out 1 file",
        "exclude pattern `./tools/**` (",
    ] {
        assert!(err.contains(said), "{said}\n{err}");
    }
}

/// `--severity` as Trivy users read it: what it leaves out is hidden from every report and
/// from the exit status, and counted; values in any case, `critical` as high.
#[test]
fn severity_filters_the_report_and_the_exit_status_in_any_case() {
    let dir = tempfile::tempdir().unwrap();
    // Access logs on, execution logging off: one medium finding (SL010), no high one.
    let medium_only = r#"resource "aws_api_gateway_stage" "s" {
  rest_api_id   = "abc"
  deployment_id = "dep"
  stage_name    = "prod"

  access_log_settings {
    destination_arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/vendedlogs/apigateway/orders/prod"
    format          = jsonencode({ requestId = "$context.requestId", ip = "$context.identity.sourceIp", caller = "$context.identity.caller", user = "$context.identity.user", requestTime = "$context.requestTime", httpMethod = "$context.httpMethod", resourcePath = "$context.resourcePath", status = "$context.status", protocol = "$context.protocol", responseLength = "$context.responseLength" })
  }
}
"#;
    write(
        dir.path(),
        &[("medium/main.tf", medium_only), ("high/main.tf", BAD)],
    );
    let run = |args: &[&str]| crate::common::stagelog_in(dir.path(), args);
    let o = run(&["scan", "medium", "--severity", "high"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.contains("0 findings") && out.contains("more hidden by --severity"),
        "{out}"
    );
    // Without --severity the same tree fails on the medium finding.
    assert_eq!(run(&["scan", "medium"]).status.code(), Some(1));
    // With each threshold: hidden findings never fail; reported ones fail at or above it.
    for (fail_on, medium_tree, high_tree) in [
        ("info", 0, 1),
        ("low", 0, 1),
        ("medium", 0, 1),
        ("high", 0, 1),
        ("none", 0, 0),
    ] {
        for (tree, want) in [("medium", medium_tree), ("high", high_tree)] {
            let o = run(&["scan", tree, "--severity", "high", "--fail-on", fail_on]);
            assert_eq!(o.status.code(), Some(want), "{tree} --fail-on {fail_on}");
        }
    }
    // Any case, critical = high, in every flag that takes a severity or format.
    for args in [
        &["scan", "high", "--severity", "CRITICAL", "-f", "JSON"][..],
        &["scan", "high", "--fail-on", "HIGH", "--format", "Sarif"][..],
        &[
            "scan",
            "high",
            "--fail-on",
            "critical",
            "--severity",
            "High,MEDIUM",
        ][..],
    ] {
        let o = run(args);
        assert_eq!(
            o.status.code(),
            Some(1),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let (code, report) = scan_json(dir.path(), &["high", "--severity", "Medium"]);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["summary"]["hidden"], 1, "{report}");
    assert_eq!(report["findings"], serde_json::json!([]), "{report}");
}

/// A file that cannot be read is an error in every report; `--errors-as-warnings` (or
/// `errors = "warn"` in stagelog.toml) keeps it there but out of the exit status, which then
/// says only whether findings reached `--fail-on` — so CI publishes SARIF and carries on.
#[test]
fn errors_as_warnings_keep_errors_in_reports_but_out_of_the_exit_status() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            // A cookiecutter template: not YAML until rendered.
            (
                "templates/{{cookiecutter.name}}/template.yaml",
                "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n{% if cookiecutter.api %}\n  Api:\n    Type: AWS::ApiGateway::RestApi\n{% endif %}\n",
            ),
            ("ok/main.tf", "# nothing to judge here\nlocals {\n  x = 1\n}\n"),
        ],
    );
    let run = |args: &[&str]| crate::common::stagelog_in(dir.path(), args);
    assert_eq!(run(&["scan", "."]).status.code(), Some(2));
    let sarif = dir.path().join("out.sarif");
    let o = run(&[
        "scan",
        ".",
        "--errors-as-warnings",
        "-f",
        "sarif",
        "-o",
        "out.sarif",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // -o says what it wrote, as --output-dir does.
    assert!(String::from_utf8_lossy(&o.stderr).contains("wrote out.sarif"));
    let written = std::fs::read_to_string(&sarif).unwrap();
    assert!(
        written.contains("template.yaml"),
        "the error is in the SARIF: {written}"
    );
    // Findings still decide: one unlogged stage beside the broken template fails the run.
    write(dir.path(), &[("api/main.tf", BAD)]);
    assert_eq!(
        run(&["scan", ".", "--errors-as-warnings"]).status.code(),
        Some(1)
    );
    // The same from stagelog.toml.
    write(dir.path(), &[("stagelog.toml", "errors = \"warn\"\n")]);
    assert_eq!(
        run(&["scan", ".", "--fail-on", "none"]).status.code(),
        Some(0)
    );
    write(dir.path(), &[("stagelog.toml", "errors = \"sometimes\"\n")]);
    let o = run(&["scan", "."]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("expected \"warn\" or \"fail\""));
}

//! Every file that could hold what stagelog judges is read, or is an error naming it and why;
//! a scan with nothing to read says so. Files are written as teams have them: linked from a
//! shared folder, saved by Windows editors (byte-order mark, CRLF), generated and large.
use crate::common::{scan_dir, write};
use std::os::unix::fs::symlink;

const REST_STAGE_YAML: &str = "Resources:\n  Prod:\n    Type: AWS::ApiGateway::Stage\n    Properties:\n      RestApiId: abc\n      StageName: prod\n";

const V2_STAGE_TF: &str =
    "resource \"aws_apigatewayv2_stage\" \"shared\" {\n  api_id = \"a\"\n  name   = \"s\"\n}\n";

fn error_for<'a>(s: &'a crate::common::Scanned, suffix: &str) -> &'a stagelog_model::Problem {
    s.errors
        .iter()
        .find(|e| e.file.as_deref().unwrap_or_default().ends_with(suffix))
        .unwrap_or_else(|| panic!("no error for {suffix}: {:?}", s.errors))
}

#[test]
fn symlinked_files_and_directories_are_read_and_loops_end() {
    let dir = tempfile::tempdir().unwrap();
    // The shared-file pattern: one stage file linked into two roots, and a linked module dir.
    write(dir.path(), &[("shared/stage.tf", V2_STAGE_TF)]);
    for root in ["prod", "dev"] {
        std::fs::create_dir_all(dir.path().join(root)).unwrap();
        symlink(
            dir.path().join("shared/stage.tf"),
            dir.path().join(root).join("stage.tf"),
        )
        .unwrap();
    }
    std::fs::create_dir_all(dir.path().join("outside")).unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    write(elsewhere.path(), &[("template.yaml", REST_STAGE_YAML)]);
    symlink(elsewhere.path(), dir.path().join("outside/linked")).unwrap();
    // A link back up: followed once, and said.
    symlink(dir.path(), dir.path().join("prod/loop")).unwrap();
    let s = scan_dir(dir);
    let stage_files: Vec<String> = s
        .of("SL002")
        .iter()
        .map(|f| f.location.file.clone().unwrap())
        .collect();
    for root in ["prod/stage.tf", "dev/stage.tf", "shared/stage.tf"] {
        assert!(
            stage_files.iter().any(|f| f.ends_with(root)),
            "{root}: {stage_files:?}"
        );
    }
    assert!(
        s.of("SL001").iter().any(|f| f
            .location
            .file
            .as_deref()
            .unwrap()
            .ends_with("outside/linked/template.yaml")),
        "{:?}",
        s.ids()
    );
    assert!(
        s.notes
            .iter()
            .any(|n| n.contains("prod/loop") && n.contains("symbolic link back")),
        "{:?}",
        s.notes
    );
    assert!(s.errors.is_empty(), "{:?}", s.errors);
}

#[test]
fn a_byte_order_mark_is_skipped_and_lines_still_count() {
    let dir = tempfile::tempdir().unwrap();
    let bom = "\u{feff}";
    write(
        dir.path(),
        &[
            ("tf/main.tf", &format!("{bom}{}", V2_STAGE_TF.replace('\n', "\r\n"))),
            ("cfn/template.yaml", &format!("{bom}{REST_STAGE_YAML}")),
            ("sls/serverless.yml", &format!("{bom}service: orders\r\nprovider:\r\n  name: aws\r\nfunctions:\r\n  get:\r\n    handler: h.get\r\n    events:\r\n      - http: GET /orders\r\n")),
        ],
    );
    let s = scan_dir(dir);
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    let line = |rule: &str, file: &str| {
        s.of(rule)
            .iter()
            .find(|f| f.location.file.as_deref().unwrap().ends_with(file))
            .unwrap_or_else(|| panic!("{rule} in {file}: {:?}", s.ids()))
            .location
            .line
    };
    assert_eq!(line("SL002", "main.tf"), Some(1));
    assert_eq!(line("SL001", "template.yaml"), Some(2));
    assert!(
        s.of("SL001").len() >= 2,
        "the service's stage too: {:?}",
        s.ids()
    );
}

#[test]
fn yaml_and_json_not_read_as_text_are_errors_when_they_could_hold_a_stage() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &[("ok/main.tf", V2_STAGE_TF)]);
    // Could hold a stage: errors, whatever their extension.
    let mut latin1 = REST_STAGE_YAML.as_bytes().to_vec();
    latin1.extend(b"# caf\xe9\n");
    std::fs::write(dir.path().join("latin1.yaml"), latin1).unwrap();
    std::fs::write(
        dir.path().join("blob.json"),
        b"{\"Resources\":{\"S\":{\"Type\":\"AWS::ApiGateway::Stage\"}}}\x00",
    )
    .unwrap();
    // A template over the size limit, its marker far past the first chunk.
    let mut huge = String::from("Resources:\n");
    while huge.len() < (stagelog_iac::MAX_FILE_BYTES as usize) + (4 << 20) {
        huge.push_str("  # generated padding line of a large template ..................\n");
    }
    huge.push_str("  Prod:\n    Type: AWS::Serverless::Api\n");
    std::fs::write(dir.path().join("huge.template"), huge).unwrap();
    // Unreadable: a link to nothing.
    symlink(
        dir.path().join("gone.yaml"),
        dir.path().join("dangling.yaml"),
    )
    .unwrap();
    // Hold nothing stagelog judges: not errors.
    std::fs::write(dir.path().join("photo.json"), b"\x89PNG\x00\x00").unwrap();
    std::fs::write(dir.path().join("notes.yaml"), b"title: caf\xe9\n").unwrap();
    let big_config = "key: value\n".repeat((stagelog_iac::MAX_FILE_BYTES / 10) as usize);
    std::fs::write(dir.path().join("big-config.yaml"), big_config).unwrap();
    let s = scan_dir(dir);
    assert!(error_for(&s, "latin1.yaml").message.contains("not UTF-8"));
    assert!(error_for(&s, "blob.json").message.contains("binary"));
    assert!(error_for(&s, "huge.template").message.contains("MiB"));
    assert!(
        s.errors.iter().any(|e| e.message.contains("dangling.yaml")
            || e.file
                .as_deref()
                .is_some_and(|f| f.ends_with("dangling.yaml"))),
        "{:?}",
        s.errors
    );
    for quiet in ["photo.json", "notes.yaml", "big-config.yaml"] {
        assert!(
            !s.errors
                .iter()
                .any(|e| e.file.as_deref().unwrap_or_default().ends_with(quiet)),
            "{quiet}: {:?}",
            s.errors
        );
    }
    assert_eq!(s.errors.len(), 4, "{:?}", s.errors);
    assert!(s.has("SL002", "aws_apigatewayv2_stage.shared"));
}

#[test]
fn a_scan_with_nothing_to_read_says_so() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[("README.md", "# docs\n"), ("app/config.yaml", "a: 1\n")],
    );
    let readme = dir.path().join("README.md");
    let out = stagelog_iac::scan(&[dir.path().to_path_buf(), readme]);
    assert_eq!(out.files, 0);
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert!(
        out.notes
            .iter()
            .any(|n| n.starts_with("no infrastructure-as-code files under")),
        "{:?}",
        out.notes
    );
    assert!(
        out.notes
            .iter()
            .any(|n| n.contains("README.md: holds no infrastructure-as-code")),
        "{:?}",
        out.notes
    );
}

/// A plan of a large estate (33 MB of other resources around the API's) is read, judged as
/// the same plan without them is, with the same lines: nothing about size changes a verdict.
#[test]
fn a_33_mb_plan_is_judged_as_its_small_self() {
    let small = crate::plan::PLAN;
    let filler: String = (0..30_000)
        .map(|i| {
            format!(
                r#", {{"address": "aws_lambda_function.f{i}", "mode": "managed", "type": "aws_lambda_function", "name": "f{i}", "values": {{"description": "{}"}}}}"#,
                "x".repeat(1000)
            )
        })
        .collect();
    let anchor = "        }\n      ],\n      \"child_modules\"";
    assert!(small.contains(anchor));
    let large = small.replacen(
        anchor,
        &format!("        }}{filler}\n      ],\n      \"child_modules\""),
        1,
    );
    assert!(large.len() > 33_000_000, "{}", large.len());
    let judge = |text: &str| {
        let s = crate::common::scan_files(&[("plan.json", text)]);
        assert!(s.errors.is_empty(), "{:?}", s.errors);
        let mut seen: Vec<(String, String, Option<u32>)> = s
            .findings
            .iter()
            .map(|f| {
                (
                    f.rule_id.to_string(),
                    f.location.resource.clone(),
                    f.location.line,
                )
            })
            .collect();
        seen.sort();
        (seen, s.stages, s.files)
    };
    let (want, stages, _) = judge(small);
    assert!(!want.is_empty() && stages == 2);
    assert_eq!(judge(&large), (want, stages, 1));
}

/// A template CDK generated, 20 MB of Lambda functions around one REST stage, is read and
/// judged; the functions' types still answer references to them.
#[test]
fn a_20_mb_json_template_is_read() {
    let mut resources: Vec<String> = (0..20_000)
        .map(|i| {
            format!(
                r#""Handler{i}": {{"Type": "AWS::Lambda::Function", "Properties": {{"Code": {{"ZipFile": "{}"}}}}}}"#,
                "y".repeat(1000)
            )
        })
        .collect();
    resources.push(
        r#""Prod": {"Type": "AWS::ApiGateway::Stage", "Properties": {"RestApiId": {"Ref": "Api"}, "StageName": "prod", "Description": {"Fn::GetAtt": ["Handler7", "Arn"]}}}"#
            .into(),
    );
    resources.push(
        r#""Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": "orders"}}"#.into(),
    );
    let template = format!(
        "{{\"AWSTemplateFormatVersion\": \"2010-09-09\",\n\"Resources\": {{\n{}\n}}}}\n",
        resources.join(",\n")
    );
    assert!(template.len() > 20_000_000);
    let s = crate::common::scan_files(&[("cdk.out/Orders.template.json", &template)]);
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    let sl001 = s.of("SL001");
    assert_eq!(sl001.len(), 1, "{:?}", s.ids());
    assert_eq!(sl001[0].location.resource, "Prod");
    assert_eq!(sl001[0].location.line, Some(20_003));
}

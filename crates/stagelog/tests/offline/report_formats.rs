//! Every report format: snapshots of each on one stage and three rules (so a new rule or a
//! new example does not change them; the text and JSON contracts are snapshotted on `examples/`
//! in `cli.rs`); on `examples/`, the JUnit XML parses and its counts match the findings, and
//! several formats go in one run. (The HTML report in Chromium is a live test.)

use crate::examples::{findings, scan, stagelog};

#[test]
fn snapshots_of_every_format() {
    for format in [
        "sarif", "junit", "csv", "markdown", "github", "asff", "html",
    ] {
        let o = stagelog(&[
            "scan",
            "crates/stagelog/tests/offline/fixtures/orders-api",
            "--select",
            "SL001,SL010,SL011",
            "--format",
            format,
        ]);
        assert_eq!(o.status.code(), Some(1), "{format}");
        let mut out = String::from_utf8(o.stdout).unwrap();
        if format == "sarif" {
            // SARIF describes every rule stagelog has; the snapshot keeps the three it ran, so
            // that a new rule does not change it (the descriptors come from the same code).
            // Each result's ruleIndex is checked against the whole list, then left out.
            let mut sarif: serde_json::Value = serde_json::from_str(&out).unwrap();
            let run = &mut sarif["runs"][0];
            let ids: Vec<String> = run["tool"]["driver"]["rules"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].as_str().unwrap().to_string())
                .collect();
            assert_eq!(ids.len(), stagelog_rules::registry().len());
            for result in run["results"].as_array_mut().unwrap() {
                let index = result["ruleIndex"].as_u64().unwrap() as usize;
                assert_eq!(result["ruleId"].as_str(), Some(ids[index].as_str()));
                result.as_object_mut().unwrap().remove("ruleIndex");
            }
            run["tool"]["driver"]["rules"]
                .as_array_mut()
                .unwrap()
                .retain(|r| {
                    ["SL001", "SL010", "SL011"].contains(&r["id"].as_str().unwrap_or_default())
                });
            out = serde_json::to_string_pretty(&sarif).unwrap();
        }
        insta::assert_snapshot!(format!("one_stage_{format}"), out);
    }
}

#[test]
fn junit_parses_and_counts_match() {
    let xml = scan("junit");
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let failures = doc
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .count();
    let findings = findings();
    assert_eq!(failures, findings.len(), "one failure per finding");
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    let failed = cases
        .iter()
        .filter(|c| c.children().any(|n| n.has_tag_name("failure")))
        .count();
    assert_eq!(
        root.attribute("failures"),
        Some(failed.to_string().as_str())
    );
    assert_eq!(
        root.attribute("tests"),
        Some(cases.len().to_string().as_str())
    );
    for suite in doc.descendants().filter(|n| n.has_tag_name("testsuite")) {
        let n = suite
            .children()
            .filter(|n| n.has_tag_name("testcase"))
            .count();
        assert_eq!(suite.attribute("tests"), Some(n.to_string().as_str()));
    }
    // Every finding's rule has a suite, and its failure names the finding's place.
    for f in &findings {
        let rule = f["rule_id"].as_str().unwrap();
        let at = format!("At: {}:{}", f["file"].as_str().unwrap(), f["line"]);
        assert!(
            doc.descendants().any(|n| n.has_tag_name("failure")
                && n.parent().and_then(|p| p.attribute("classname")) == Some(rule)
                && n.text().is_some_and(|t| t.contains(&at))),
            "{rule} at {at}"
        );
    }
}

#[test]
fn csv_and_github_carry_every_finding() {
    let csv = scan("csv");
    assert_eq!(csv.lines().count(), findings().len() + 1);
    let gh = scan("github");
    for line in gh.lines() {
        assert!(
            line.starts_with("::error file=")
                || line.starts_with("::warning file=")
                || line.starts_with("::notice file="),
            "{line}"
        );
    }
    assert_eq!(gh.lines().count(), findings().len());
}

#[test]
fn asff_findings_have_what_security_hub_requires() {
    let v: serde_json::Value = serde_json::from_str(&scan("asff")).unwrap();
    let all = v.as_array().unwrap();
    assert_eq!(all.len(), findings().len());
    for f in all {
        for key in [
            "SchemaVersion",
            "Id",
            "ProductArn",
            "GeneratorId",
            "AwsAccountId",
            "Types",
            "CreatedAt",
            "UpdatedAt",
            "Severity",
            "Title",
            "Description",
            "Resources",
        ] {
            assert!(f.get(key).is_some(), "missing {key}: {f}");
        }
        assert_eq!(f["Compliance"]["Status"], "FAILED");
        assert!(f["Remediation"]["Recommendation"]["Url"]
            .as_str()
            .unwrap()
            .starts_with("https://"));
    }
    // Security Hub controls where one exists: v2 access logging, execution logging; none for
    // REST access logging.
    for (rule, control) in [
        ("SL002", Some("APIGateway.9")),
        ("SL010", Some("APIGateway.1")),
        ("SL001", None),
    ] {
        let f = all
            .iter()
            .find(|f| f["GeneratorId"] == format!("stagelog-{rule}"))
            .unwrap();
        assert_eq!(
            f["Compliance"]["SecurityControlId"].as_str(),
            control,
            "{rule}"
        );
    }
    let ids: std::collections::BTreeSet<&str> =
        all.iter().map(|f| f["Id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), all.len(), "ids are unique");
}

#[test]
fn several_formats_in_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let o = stagelog(&[
        "scan",
        "examples",
        "--format",
        "json,sarif,html",
        "--output-dir",
        d,
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("stagelog.json")).unwrap(),
        scan("json")
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("stagelog.sarif")).unwrap(),
        scan("sarif")
    );
    assert!(dir.path().join("stagelog.html").exists());
    let o = stagelog(&["scan", "examples", "--format", "json,sarif"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--output-dir"));
}

/// What a user must act on reaches every report CI shows, not only stderr: a CDK app that was
/// never synthesised and a path with nothing to read are notes in JSON, markdown (the job
/// summary says "no findings" *and* why), GitHub annotations, SARIF's tool notifications and
/// HTML.
#[test]
fn notes_reach_every_report() {
    let repo = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(repo.path().join("infra")).unwrap();
    std::fs::write(
        repo.path().join("infra/cdk.json"),
        r#"{"app": "npx ts-node bin/app.ts"}"#,
    )
    .unwrap();
    std::fs::create_dir_all(repo.path().join("docs")).unwrap();
    std::fs::write(repo.path().join("docs/README.md"), "# docs\n").unwrap();
    let out = tempfile::tempdir().unwrap();
    let o = stagelog(&[
        "scan",
        repo.path().join("infra").to_str().unwrap(),
        repo.path().join("docs").to_str().unwrap(),
        "--format",
        "json,markdown,github,sarif,html",
        "--output-dir",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let read = |name: &str| std::fs::read_to_string(out.path().join(name)).unwrap();
    let json: serde_json::Value = serde_json::from_str(&read("stagelog.json")).unwrap();
    let notes: Vec<&str> = json["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(
        notes.iter().any(|n| n.contains("run `cdk synth` first")),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("no infrastructure-as-code files under") && n.contains("docs")),
        "{notes:?}"
    );
    let markdown = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "md"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .unwrap();
    assert!(markdown.contains("No findings"), "{markdown}");
    assert!(
        markdown.contains("**Notes:**") && markdown.contains("cdk synth"),
        "{markdown}"
    );
    let github = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| std::fs::read_to_string(p).unwrap().starts_with("::"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .unwrap();
    assert_eq!(
        github
            .lines()
            .filter(|l| l.starts_with("::notice title=stagelog note::"))
            .count(),
        notes.len(),
        "{github}"
    );
    let sarif: serde_json::Value = serde_json::from_str(&read("stagelog.sarif")).unwrap();
    let told: Vec<&str> = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["level"] == "note")
        .map(|n| n["message"]["text"].as_str().unwrap())
        .collect();
    assert_eq!(told, notes);
    assert!(read("stagelog.html").contains("<h2>Notes</h2>"));
}

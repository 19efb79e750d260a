//! Every template `stagelog fix` writes passes cfn-lint (installed with the test server's
//! Python tools in `.venv/`): the bundled examples and every rule's bad template, in YAML and in
//! JSON form.
use crate::aws_server;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

/// cfn-lint's errors (not warnings) per file, as (file, rule) pairs, from one run over all
/// files (`--format parseable`: `path:line:col:endline:endcol:RULE:message`).
pub(crate) fn cfn_lint_errors(files: &[PathBuf]) -> BTreeSet<(String, String)> {
    let _ = aws_server::endpoint();
    let lint = Command::new(aws_server::root().join(".venv/bin/cfn-lint"))
        .args(["--format", "parseable"])
        .args(files)
        .output()
        .expect("cfn-lint in .venv (scripts/aws-test-server installs it)");
    String::from_utf8_lossy(&lint.stdout)
        .lines()
        .filter_map(|l| {
            let parts: Vec<&str> = l.splitn(7, ':').collect();
            let rule = parts.get(5)?;
            rule.starts_with('E')
                .then(|| (parts[0].to_string(), rule.to_string()))
        })
        .collect()
}

#[test]
fn fixed_templates_pass_cfn_lint() {
    let root = aws_server::root();
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for example in [
        "examples/cloudformation/rest-api.yaml",
        "examples/cloudformation/websocket.json",
        "examples/sam/template.yaml",
        // Implicit APIs fixed in Globals.
        "crates/stagelog/tests/offline/fixtures/sam_implicit_apis.yaml",
    ] {
        let to = dir.path().join(example.replace('/', "_"));
        std::fs::copy(root.join(example), &to).unwrap();
        files.push(to);
    }
    for rule in stagelog_rules::registry()
        .iter()
        .filter(|r| r.judges_code())
    {
        for example in ["bad.yaml", "bad.sam.yaml"] {
            let src = rule.examples_dir().unwrap().join(example);
            let yaml = std::fs::read_to_string(&src).unwrap();
            let stem = format!("{}_{}", rule.id, example.replace('.', "_"));
            let y = dir.path().join(format!("{stem}.yaml"));
            std::fs::write(&y, &yaml).unwrap();
            let j = dir.path().join(format!("{stem}.json"));
            std::fs::write(&j, stagelog_fix::yaml_template_as_json(&yaml).unwrap()).unwrap();
            files.extend([y, j]);
        }
    }
    // Each file's errors before the fix, to tell what the fix caused from what a rule's bad
    // example (a fragment) already had.
    let before = cfn_lint_errors(&files);
    // The fragments do have errors (an undefined `!Ref Api`…): cfn-lint ran and was read.
    assert!(!before.is_empty());
    let out = Command::new(env!("CARGO_BIN_EXE_stagelog"))
        .args([
            "fix",
            "--write",
            "--kms-key",
            "arn:aws:kms:us-east-1:123456789012:key/k",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_ne!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written = String::from_utf8_lossy(&out.stdout);
    assert!(written.matches("fixed ").count() >= 20, "{written}");
    let after = cfn_lint_errors(&files);
    let added: Vec<_> = after.difference(&before).collect();
    assert!(added.is_empty(), "the fix added cfn-lint errors: {added:?}");
    let in_examples: Vec<_> = after
        .iter()
        .filter(|(f, _)| f.contains("examples_"))
        .collect();
    assert!(in_examples.is_empty(), "{in_examples:?}");
}

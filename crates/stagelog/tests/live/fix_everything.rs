//! `fix --write` over every rule's examples (each source format), the bundled examples and
//! every offline fixture, all at once as a user's tree: afterwards no finding `fix` said it
//! fixed remains, no file is newly rejected (by stagelog's reading, cfn-lint or hclwrite's
//! formatter where the file was formatted), a second `fix` changes no byte — and every snippet
//! printed for a person, pasted where it says, is accepted by cfn-lint.
use crate::aws_server::root;
use crate::cfn_lint::cfn_lint_errors;
use crate::examples::copy_tree;
use crate::terraform_fmt::formatted;
use serde_json::Value as Json;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Every input, each in a directory of its own (Terraform files of one directory are one
/// module); the rules' bad examples under the names their sources are found by.
fn user_tree(dir: &Path) {
    for rule in stagelog_rules::registry()
        .iter()
        .filter(|r| r.judges_code())
    {
        let examples = rule.examples_dir().unwrap();
        for (example, name) in [
            ("bad.tf", "main.tf"),
            ("bad.yaml", "template.yaml"),
            ("bad.sam.yaml", "template.yaml"),
            ("bad.serverless.yml", "serverless.yml"),
        ] {
            let to = dir.join(rule.id).join(example.replace('.', "_")).join(name);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(examples.join(example), to).unwrap();
        }
    }
    copy_tree(&root().join("examples"), &dir.join("examples"));
    copy_tree(
        &root().join("crates/stagelog/tests/offline/fixtures"),
        &dir.join("fixtures"),
    );
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if e.file_type().unwrap().is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn stagelog(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_stagelog"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn scan(dir: &Path) -> Json {
    let out = stagelog(dir, &["scan", ".", "--format", "json", "--fail-on", "none"]);
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `(rule, resource)` of each finding reported as needing a person, from `fix`'s stderr
/// (`  FILE:LINE  RULE  RESOURCE: reason`), and each one's reason.
fn needs_a_person(stderr: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let mut in_list = false;
    for line in stderr.lines() {
        if line.starts_with("Needs a person") {
            in_list = true;
            continue;
        }
        let parts: Vec<&str> = line.trim_start().splitn(3, "  ").collect();
        let entry = in_list
            && line.starts_with("  ")
            && !line.starts_with("   ")
            && parts.len() == 3
            && parts[1].starts_with("SL");
        if entry {
            let (resource, reason) = parts[2].split_once(": ").unwrap_or((parts[2], ""));
            out.push((
                parts[1].to_string(),
                resource.to_string(),
                reason.to_string(),
            ));
        } else if let Some(last) = out.last_mut().filter(|_| in_list) {
            last.2.push('\n');
            last.2.push_str(line);
        }
    }
    out
}

#[test]
fn fix_write_then_scan_leaves_nothing_it_fixed_and_a_second_fix_is_a_no_op() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    user_tree(&tree);
    let mut all = Vec::new();
    files(&tree, &mut all);
    let templates: Vec<PathBuf> = all
        .iter()
        .filter(|f| {
            let name = f.file_name().unwrap().to_string_lossy();
            (name.ends_with(".yaml") || name.ends_with(".json"))
                && !f.to_string_lossy().contains(".terraform")
        })
        .cloned()
        .collect();
    let terraform: Vec<PathBuf> = all
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "tf"))
        .cloned()
        .collect();
    let text = |f: &PathBuf| std::fs::read_to_string(f).unwrap();
    let before_text: Vec<String> = all.iter().map(text).collect();
    let lint_before = cfn_lint_errors(&templates);
    let tf_clean_before: Vec<bool> = formatted(&terraform)
        .iter()
        .zip(&terraform)
        .map(|(f, p)| *f == text(p))
        .collect();
    let scanned_before = scan(&tree);

    let fixed = stagelog(
        &tree,
        &[
            "fix",
            ".",
            "--write",
            "--kms-key",
            "arn:aws:kms:eu-west-1:123456789012:key/k",
        ],
    );
    let stderr = String::from_utf8_lossy(&fixed.stderr).to_string();
    assert_eq!(fixed.status.code(), Some(0), "{stderr}");
    let person = needs_a_person(&stderr);
    let written = String::from_utf8_lossy(&fixed.stdout)
        .matches("fixed ")
        .count();
    assert!(written >= 60, "only {written} files written\n{stderr}");

    // Nothing fix wrote is left: every finding still there was listed for a person.
    let scanned = scan(&tree);
    let errors_before: BTreeSet<String> = scanned_before["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["file"].to_string())
        .collect();
    for e in scanned["errors"].as_array().unwrap() {
        assert!(
            errors_before.contains(&e["file"].to_string()),
            "new error: {e}"
        );
    }
    let listed: BTreeSet<(String, String)> = person
        .iter()
        .map(|(r, res, _)| (r.clone(), res.clone()))
        .collect();
    let mut left = vec![];
    for f in scanned["findings"].as_array().unwrap() {
        if f["severity"] == "info" {
            continue;
        }
        let key = (
            f["rule_id"].as_str().unwrap().to_string(),
            f["resource"].as_str().unwrap_or_default().to_string(),
        );
        let was = scanned_before["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["rule_id"] == f["rule_id"] && b["resource"] == f["resource"]);
        if !listed.contains(&key) {
            left.push(format!(
                "{} {} {} (there before: {was})",
                f["file"], key.0, key.1
            ));
        }
    }
    assert!(
        left.is_empty(),
        "left after fix --write: {left:#?}\n{stderr}"
    );

    // A second fix changes no byte.
    let again = stagelog(
        &tree,
        &[
            "fix",
            ".",
            "--kms-key",
            "arn:aws:kms:eu-west-1:123456789012:key/k",
        ],
    );
    assert!(
        again.stdout.is_empty(),
        "second fix: {}",
        String::from_utf8_lossy(&again.stdout)
    );

    // The deployers' checks: cfn-lint adds no error; formatted Terraform stays formatted.
    let lint_after = cfn_lint_errors(&templates);
    let added: Vec<_> = lint_after.difference(&lint_before).collect();
    assert!(added.is_empty(), "cfn-lint errors the fix added: {added:?}");
    let tf_after = formatted(&terraform);
    let mut checked = 0;
    for (i, f) in terraform.iter().enumerate() {
        let now = text(f);
        let was = &before_text[all.iter().position(|a| a == f).unwrap()];
        if tf_clean_before[i] && now != *was {
            checked += 1;
            assert_eq!(tf_after[i], now, "{}: not fmt-clean after fix", f.display());
        }
    }
    assert!(
        checked >= 10,
        "only {checked} formatted Terraform files were fixed"
    );

    // Snippets, pasted where they say, pass cfn-lint.
    let pasted = paste_snippets(&tree, &dir.path().join("pasted"), &person);
    assert!(pasted.len() >= 5, "only {} snippets pasted", pasted.len());
    let lint_pasted = cfn_lint_errors(&pasted);
    assert!(lint_pasted.is_empty(), "pasted snippets: {lint_pasted:?}");
}

/// Each snippet (`under Resources.ID.Properties, set:` / `under Resources, add:`, then YAML)
/// applied to its template's JSON form and written next to it as JSON.
fn paste_snippets(
    tree: &Path,
    out_dir: &Path,
    person: &[(String, String, String)],
) -> Vec<PathBuf> {
    std::fs::create_dir_all(out_dir).unwrap();
    let mut written = vec![];
    for (n, (_, _, reason)) in person.iter().enumerate() {
        let Some((_, body)) = reason.split_once("paste this:\n") else {
            continue;
        };
        // The file is named on the entry's line; find it from the snippet's template.
        let Some(file) = reason_file(tree, person, n) else {
            continue;
        };
        let yaml = std::fs::read_to_string(&file).unwrap();
        let mut template: Json =
            serde_json::from_str(&stagelog_fix::yaml_template_as_json(&yaml).unwrap()).unwrap();
        let mut lines = body.lines().peekable();
        while let Some(header) = lines.next() {
            let header = header.trim();
            let mut block = String::new();
            while let Some(l) = lines.peek() {
                if l.trim_start().starts_with("under ") {
                    break;
                }
                block.push_str(lines.next().unwrap());
                block.push('\n');
            }
            let value: Json = serde_json::from_str(
                &stagelog_fix::yaml_template_as_json(&block)
                    .unwrap_or_else(|e| panic!("snippet does not parse ({e}):\n{block}")),
            )
            .unwrap();
            let target = match header.strip_prefix("under ").and_then(|h| {
                h.strip_suffix(", set:")
                    .or_else(|| h.strip_suffix(", add:"))
            }) {
                Some(path) => path
                    .split('.')
                    .fold(&mut template, |node, key| &mut node[key]),
                None => panic!("unknown snippet header {header:?}"),
            };
            for (k, v) in value.as_object().unwrap() {
                target[k] = v.clone();
            }
        }
        let to = out_dir.join(format!("snippet{n}.json"));
        std::fs::write(&to, serde_json::to_string_pretty(&template).unwrap()).unwrap();
        written.push(to);
    }
    written
}

/// The template a person's entry is about: the file under `tree` whose resources hold its
/// resource.
fn reason_file(tree: &Path, person: &[(String, String, String)], n: usize) -> Option<PathBuf> {
    let resource = &person[n].1;
    let mut all = vec![];
    files(tree, &mut all);
    all.into_iter().find(|f| {
        let name = f.to_string_lossy();
        (name.ends_with(".yaml") || name.ends_with(".json"))
            && std::fs::read_to_string(f)
                .ok()
                .and_then(|y| stagelog_fix::yaml_template_as_json(&y).ok())
                .and_then(|j| serde_json::from_str::<Json>(&j).ok())
                .is_some_and(|j| j["Resources"].get(resource).is_some())
    })
}

//! The Guard rules run by cfn-guard (the 3.x crate, as Guard Hooks and Config run them) over
//! every rule's CloudFormation and SAM examples, the bundled examples and the CloudFormation
//! fixtures: for each rule and resource type the rules cover, Guard's non-compliant resources
//! are exactly the ones `stagelog scan` reports. The table of verdicts is printed.

use serde_json::Value as Json;
use stagelog_guardrails::guard::COVERS;
use stagelog_guardrails::{render, Engine, Options};
use stagelog_rules::{check, Config, Selection};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn templates() -> Vec<PathBuf> {
    let mut out = vec![];
    for r in stagelog_rules::registry()
        .iter()
        .filter(|r| r.judges_code())
    {
        let dir = r.examples_dir().unwrap();
        for name in ["bad.yaml", "good.yaml", "bad.sam.yaml", "good.sam.yaml"] {
            out.push(dir.join(name));
        }
    }
    for f in [
        "examples/cloudformation/rest-api.yaml",
        "examples/cloudformation/websocket.json",
        "examples/sam/template.yaml",
        "crates/stagelog/tests/offline/fixtures/conditions.yaml",
        "crates/stagelog/tests/offline/fixtures/flow-style.yaml",
        "crates/stagelog/tests/offline/fixtures/sam_implicit_apis.yaml",
    ] {
        out.push(root().join(f));
    }
    out
}

fn covered(template: &Json, rule: &str, id: &str) -> bool {
    let ty = template["Resources"][id]["Type"]
        .as_str()
        .unwrap_or_default();
    COVERS
        .iter()
        .any(|(r, types)| *r == rule && types.contains(&ty))
}

/// (rule, logical id) of each finding `stagelog scan` reports that the Guard rules cover.
fn stagelog_verdict(name: &str, text: &str, template: &Json) -> BTreeSet<(String, String)> {
    let sel = Selection {
        select: COVERS.iter().map(|(r, _)| r.to_string()).collect(),
        ignore: vec![],
    };
    let out = stagelog_iac::scan_sources(&[(name, text)], false);
    out.inventories
        .iter()
        .flat_map(|inv| check(inv, &Config::default(), &sel))
        .map(|f| (f.rule_id.to_string(), f.location.resource.clone()))
        .filter(|(r, id)| covered(template, r, id))
        .collect()
}

/// (rule, logical id) of each resource a Guard rule finds not compliant, judged one resource
/// at a time (with the template's Globals), as a Config custom policy rule judges a resource.
fn guard_verdict(rules: &str, template: &Json) -> BTreeSet<(String, String)> {
    let mut found = BTreeSet::new();
    let resources = template["Resources"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    for (id, resource) in resources {
        let ty = resource["Type"].as_str().unwrap_or_default();
        if !COVERS.iter().any(|(_, types)| types.contains(&ty)) {
            continue;
        }
        let mut one = serde_json::json!({ "Resources": { id.clone(): resource } });
        if let Some(globals) = template.get("Globals") {
            one["Globals"] = globals.clone();
        }
        let out = cfn_guard::run_checks(
            cfn_guard::ValidateInput {
                content: &one.to_string(),
                file_name: "template.json",
            },
            cfn_guard::ValidateInput {
                content: rules,
                file_name: "stagelog.guard",
            },
            true,
        )
        .unwrap_or_else(|e| panic!("cfn-guard: {e}"));
        let record: Json = serde_json::from_str(&out).unwrap();
        for child in record["children"].as_array().into_iter().flatten() {
            let Some(check) = child["container"].get("RuleCheck") else {
                continue;
            };
            if check["status"] == "FAIL" {
                let name = check["name"].as_str().unwrap_or_default();
                let rule = name.split('_').next().unwrap_or_default().to_string();
                if covered(template, &rule, &id) {
                    found.insert((rule, id.clone()));
                }
            }
        }
    }
    found
}

#[test]
fn guard_and_stagelog_agree_on_every_example_and_fixture() {
    let rules = render(Engine::Guard, &Options::default()).unwrap().text;
    let mut table = vec![];
    let mut disagree = vec![];
    let mut judged = 0;
    for path in templates() {
        let text = std::fs::read_to_string(&path).unwrap();
        let json = if path.extension().is_some_and(|e| e == "json") {
            text.clone()
        } else {
            stagelog_fix::yaml_template_as_json(&text).unwrap()
        };
        let template: Json = serde_json::from_str(&json).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let ours = stagelog_verdict(&name, &text, &template);
        let guard = guard_verdict(&rules, &template);
        let shown = path
            .strip_prefix(root())
            .unwrap_or(&path)
            .display()
            .to_string();
        judged += ours.len().max(guard.len());
        let ours_shown = format!("{ours:?}");
        table.push(format!(
            "{shown:70} stagelog {ours_shown:<40} guard {guard:?}"
        ));
        if ours != guard {
            disagree.push(format!("{shown}: stagelog {ours:?}, guard {guard:?}"));
        }
    }
    println!("{}", table.join("\n"));
    assert!(disagree.is_empty(), "{}", disagree.join("\n"));
    assert!(judged >= 10, "only {judged} verdicts");
}

//! The Rego policy run by regorus (Microsoft's Rego interpreter, the crate) over every plan
//! fixture: for each rule and resource type it covers, `data.stagelog.deny` holds exactly the
//! resources `stagelog scan` reports on the same plan. The table of verdicts is printed.

use serde_json::Value as Json;
use stagelog_guardrails::rego::COVERS;
use stagelog_guardrails::{render, Engine, Options};
use stagelog_rules::{check, Config, Selection};
use std::collections::BTreeSet;
use std::path::Path;

/// The resource type of a plan address (`module.a.aws_x.y["k"]` → `aws_x`).
fn rtype(address: &str) -> &str {
    address
        .split('.')
        .find(|p| p.starts_with("aws_"))
        .unwrap_or_default()
}

fn covered(rule: &str, address: &str) -> bool {
    COVERS
        .iter()
        .any(|(r, types)| *r == rule && types.contains(&rtype(address)))
}

#[test]
fn rego_and_stagelog_agree_on_every_plan_fixture() {
    let policy = render(Engine::Rego, &Options::default()).unwrap().text;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/plans");
    let mut plans: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    plans.sort();
    assert!(plans.len() >= 2);
    let mut disagree = vec![];
    let mut judged = 0;
    for plan in plans {
        let text = std::fs::read_to_string(&plan).unwrap();
        let name = plan.file_name().unwrap().to_string_lossy().to_string();
        let sel = Selection {
            select: COVERS.iter().map(|(r, _)| r.to_string()).collect(),
            ignore: vec![],
        };
        let out = stagelog_iac::scan_sources(&[(name.as_str(), text.as_str())], false);
        assert!(out.errors.is_empty(), "{name}: {:?}", out.errors);
        let ours: BTreeSet<(String, String)> = out
            .inventories
            .iter()
            .flat_map(|inv| check(inv, &Config::default(), &sel))
            .map(|f| (f.rule_id.to_string(), f.location.resource.clone()))
            .filter(|(r, a)| covered(r, a))
            .collect();
        let mut engine = regorus::Engine::new();
        engine
            .add_policy("stagelog.rego".into(), policy.clone())
            .unwrap_or_else(|e| panic!("the policy does not compile: {e}"));
        engine.set_input(regorus::Value::from_json_str(&text).unwrap());
        let deny = engine.eval_rule("data.stagelog.deny".into()).unwrap();
        let deny: Json = serde_json::from_str(&deny.to_json_str().unwrap()).unwrap();
        let rego: BTreeSet<(String, String)> = deny
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["rule"].as_str().unwrap().to_string(),
                    d["address"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        println!("{name:20} stagelog {ours:?}\n{:20} rego     {rego:?}", "");
        judged += ours.len();
        if ours != rego {
            disagree.push(format!("{name}: stagelog {ours:?}, rego {rego:?}"));
        }
    }
    assert!(disagree.is_empty(), "{}", disagree.join("\n"));
    assert!(judged >= 3, "only {judged} verdicts");
}

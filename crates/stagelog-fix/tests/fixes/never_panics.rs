//! Property tests in the role of fuzz targets: whatever bytes a file holds, reading it gives
//! an inventory or errors, and fixing what was read gives text or a reason, never a panic. Inputs are random text and random mutations of real
//! templates (the rule examples and the bundled examples), which reach deep into the adapters.

use proptest::prelude::*;
use std::path::Path;

/// Read once per test binary: cases run by the thousand.
fn corpus(ext: &'static str) -> Vec<String> {
    static CACHE: std::sync::Mutex<Vec<(&'static str, Vec<String>)>> =
        std::sync::Mutex::new(Vec::new());
    let mut cache = CACHE.lock().unwrap();
    if let Some((_, files)) = cache.iter().find(|(e, _)| *e == ext) {
        return files.clone();
    }
    let files = read_corpus(ext);
    cache.push((ext, files.clone()));
    files
}

fn read_corpus(ext: &str) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut out = Vec::new();
    let mut dirs = vec![
        root.join("examples"),
        root.join("crates/stagelog-rules/src/rules"),
    ];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.to_string_lossy().ends_with(ext) {
                out.push(std::fs::read_to_string(&p).unwrap());
            }
        }
    }
    out.sort();
    assert!(!out.is_empty(), "no {ext} corpus");
    out
}

#[derive(Debug, Clone)]
enum Edit {
    Insert(usize, String),
    Delete(usize, usize),
    Duplicate(usize, usize),
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let piece = prop_oneof![
        Just("{".to_string()),
        Just("}".to_string()),
        Just("[".to_string()),
        Just("\"".to_string()),
        Just("${".to_string()),
        Just("%{".to_string()),
        Just("!Ref ".to_string()),
        Just("!Sub ".to_string()),
        Just(": ".to_string()),
        Just("\n  ".to_string()),
        Just("&a ".to_string()),
        Just("*a".to_string()),
        Just("<<EOT\n".to_string()),
        Just("jsonencode(".to_string()),
        "\\PC{0,8}",
    ];
    prop::collection::vec(
        prop_oneof![
            (any::<usize>(), piece).prop_map(|(i, s)| Edit::Insert(i, s)),
            (any::<usize>(), 0usize..40).prop_map(|(i, n)| Edit::Delete(i, n)),
            (any::<usize>(), 0usize..80).prop_map(|(i, n)| Edit::Duplicate(i, n)),
        ],
        1..6,
    )
}

fn apply(src: &str, edits: &[Edit]) -> String {
    let mut s: Vec<char> = src.chars().collect();
    for e in edits {
        let len = s.len().max(1);
        match e {
            Edit::Insert(i, text) => {
                let at = (i % len).min(s.len());
                s.splice(at..at, text.chars());
            }
            Edit::Delete(i, n) => {
                let at = (i % len).min(s.len());
                let end = (at + n).min(s.len());
                s.drain(at..end);
            }
            Edit::Duplicate(i, n) => {
                let at = (i % len).min(s.len());
                let end = (at + n).min(s.len());
                let copy: Vec<char> = s[at..end].to_vec();
                s.splice(at..at, copy);
            }
        }
    }
    s.into_iter().collect()
}

fn read_terraform(src: &str) {
    // In memory, through the same scan as files on disk.
    let _ = stagelog_iac::scan_sources(&[("t.tf", src)], false);
    let _ = stagelog_iac::scan_sources(&[("t.tf.json", src)], false);
    let _ = stagelog_iac::scan_sources(&[("serverless.yml", src)], false);
}

/// One source scanned in memory (no temporary files) and its fixes planned.
fn scan_and_plan(name: &str, src: &str) -> (stagelog_iac::ScanOutput, stagelog_fix::FixPlan) {
    let scanned = stagelog_iac::scan_sources(&[(name, src)], true);
    let findings: Vec<_> = scanned
        .inventories
        .iter()
        .flat_map(|inv| {
            stagelog_rules::check(
                inv,
                &stagelog_rules::Config::default(),
                &stagelog_rules::Selection::default(),
            )
        })
        .collect();
    let plan = stagelog_fix::plan(&scanned, &findings, &stagelog_fix::Options::default());
    (scanned, plan)
}

/// The fixers on a template that still reads: no panic, and what they write reads again.
fn fix_never_panics(src: &str) {
    let (_, plan) = scan_and_plan("t.yaml", src);
    for f in plan.files {
        let again = stagelog_iac::cloudformation::adapt("t.yaml", &f.after, &Default::default());
        assert!(
            again.inventory.is_some(),
            "fixed template unreadable:\n{}",
            f.after
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    #[test]
    fn mutated_terraform_never_panics(pick in any::<prop::sample::Index>(), edits in edits()) {
        let files = corpus(".tf");
        read_terraform(&apply(pick.get::<String>(&files), &edits));
    }

    #[test]
    fn mutated_templates_never_panic(pick in any::<prop::sample::Index>(), edits in edits()) {
        let mut files = corpus(".yaml");
        files.extend(corpus(".json"));
        let src = apply(pick.get::<String>(&files), &edits);
        let adapted = stagelog_iac::cloudformation::adapt("t.yaml", &src, &Default::default());
        if adapted.inventory.is_some() {
            fix_never_panics(&src);
        }
    }

    #[test]
    fn mutated_serverless_services_never_panic(pick in any::<prop::sample::Index>(), edits in edits()) {
        let src = apply(pick.get::<String>(&corpus(".serverless.yml")), &edits);
        let (scanned, plan) = scan_and_plan("serverless.yml", &src);
        for f in plan.files {
            let again = stagelog_iac::scan_sources(&[("serverless.yml", &f.after)], false);
            // The fix adds no problem the mutated file did not already have.
            prop_assert!(
                again.errors.len() <= scanned.errors.len(),
                "fixed service reads worse:\n{}\n{:?}",
                f.after,
                again.errors
            );
        }
    }

    #[test]
    fn random_text_never_panics(text in "\\PC{0,400}") {
        read_terraform(&text);
        let with_marker = format!("AWSTemplateFormatVersion: x\nResources:\n  R: {{Type: AWS::X}}\n{text}");
        let _ = stagelog_iac::cloudformation::adapt("t.yaml", &with_marker, &Default::default());
        let _ = stagelog_iac::cloudformation::adapt("t.yaml", &text, &Default::default());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Random module trees in memory — calls between any modules, a module calling itself,
    /// cycles, `count` on calls — always end, never panic, and never judge more stages than
    /// the calls can instantiate.
    #[test]
    fn module_trees_end_without_panic(
        calls in prop::collection::vec(prop::collection::vec((0usize..4, 0u8..3), 0..3), 1..5)
    ) {
        let n = calls.len();
        let mut files: Vec<(String, String)> = Vec::new();
        for (i, targets) in calls.iter().enumerate() {
            let mut body = format!(
                "resource \"aws_api_gateway_stage\" \"s\" {{\n  rest_api_id   = \"a{i}\"\n  deployment_id = \"d\"\n  stage_name    = \"prod\"\n}}\n"
            );
            for (k, (target, count)) in targets.iter().enumerate() {
                let t = target % n;
                body.push_str(&format!(
                    "module \"m{k}\" {{\n  source = \"../m{t}\"\n  count  = {count}\n}}\n"
                ));
            }
            files.push((format!("m{i}/main.tf"), body));
        }
        let refs: Vec<(&str, &str)> = files.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let out = stagelog_iac::scan_sources(&refs, false);
        let stages: usize = out.inventories.iter().map(|i| i.stages.len()).sum();
        // Each module at most once per path of calls, each call at most 2 instances, depth
        // bounded by the cycle guard: a generous bound, but a bound.
        prop_assert!(stages <= 3usize.pow(n as u32 + 1) * n, "{stages}");
    }
}

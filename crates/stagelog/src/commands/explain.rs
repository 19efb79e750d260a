//! `stagelog explain ID`: a rule's documentation, what `fix` writes for it, and its mapping.

use anyhow::{bail, Result};
use stagelog_pipeline::ExitStatus;
use stagelog_rules::{frameworks, registry, Config, Selection};

pub fn run(rule: &str) -> Result<ExitStatus> {
    if let Some(r) = stagelog_rules::find(rule) {
        print!("{}", explain(r));
        return Ok(ExitStatus::Clean);
    }
    // A peer's id (Checkov, Trivy/tfsec, KICS, cfn_nag, cdk-nag, Guard) or a control
    // (Security Hub's APIGateway.1, an AWS Config rule): the rules it maps to.
    let found = peer_id(rule);
    if found.is_empty() {
        let ids: Vec<&str> = registry().iter().map(|r| r.id).collect();
        bail!(
            "no rule `{rule}`, and no stagelog rule maps to it (the rules are {}; `stagelog explain SL001` lists each rule's peer ids and controls)",
            ids.join(", ")
        );
    }
    let mut out = String::new();
    for (framework, control, rule) in &found {
        out.push_str(&format!(
            "{control} ({framework}) is checked by {} {}: {}\n",
            rule.id, rule.name, rule.summary
        ));
    }
    out.push_str(&format!(
        "\n`stagelog explain {}` tells the rule in full.\n",
        found[0].2.id
    ));
    print!("{out}");
    Ok(ExitStatus::Clean)
}

/// The rules a peer tool's id or a framework's control maps to, as the rules declare them
/// (any case; `CKV_AWS_76`, `AVD-AWS-0001`, `APIGateway.1`, `W69`).
fn peer_id(id: &str) -> Vec<(&'static str, &'static str, &'static stagelog_rules::Rule)> {
    let mut out = Vec::new();
    for m in frameworks::mappings() {
        for (control, _) in m.controls() {
            if control.eq_ignore_ascii_case(id.trim()) {
                if let Some(rule) = stagelog_rules::find(m.rule_id) {
                    out.push((m.framework, control, rule));
                }
            }
        }
    }
    out
}

fn explain(rule: &stagelog_rules::Rule) -> String {
    let mut out = format!(
        "{} {} ({} severity)\nApplies to: {}\nFails when: {}\n",
        rule.id,
        rule.name,
        rule.severity.as_str(),
        rule.applies_to,
        rule.summary
    );
    for s in rule.doc().sections {
        out.push_str(&format!("\n## {}\n{}\n", s.title, s.body));
    }
    out.push_str(&fix_example(rule));
    out.push_str("\n## Compliance and peer mapping\n");
    for m in frameworks::for_rule(rule.id) {
        let controls: Vec<String> = m
            .controls()
            .map(|(c, t)| match t {
                Some(t) => format!("{c} \"{t}\""),
                None => c.to_string(),
            })
            .collect();
        out.push_str(&format!("- {}: {}", m.framework, controls.join(", ")));
        if let Some(url) = frameworks::source(m.framework) {
            out.push_str(&format!(" ({url})"));
        }
        out.push('\n');
    }
    out
}

/// What `stagelog fix` writes for this rule, shown by fixing the rule's own bad Terraform
/// example with the same code `fix` runs (so `explain` and `fix` cannot disagree).
fn fix_example(rule: &stagelog_rules::Rule) -> String {
    let Some(bad_terraform) = rule.bad_terraform else {
        return String::new();
    };
    let mut out =
        String::from("\n## What `stagelog fix` writes (Terraform, on this rule's bad example)\n");
    {
        // In memory: the same scan and fixer `stagelog fix` runs, on the rule's own example.
        let scanned = stagelog_iac::scan_sources(&[("main.tf", bad_terraform)], true);
        let sel = Selection {
            select: vec![rule.id.to_string()],
            ignore: vec![],
        };
        let findings: Vec<_> = scanned
            .inventories
            .iter()
            .flat_map(|inv| stagelog_rules::check(inv, &Config::default(), &sel))
            .collect();
        let plan = stagelog_fix::plan(&scanned, &findings, &stagelog_fix::Options::default());
        for f in &plan.files {
            let diff = similar::TextDiff::from_lines(&f.before, &f.after);
            out.push_str("```diff\n");
            out.push_str(
                &diff
                    .unified_diff()
                    .context_radius(2)
                    .header("main.tf", "main.tf")
                    .to_string(),
            );
            out.push_str("```\n");
        }
        for m in &plan.manual {
            out.push_str(&format!(
                "- {}: not fixed automatically: {}\n",
                m.resource, m.reason
            ));
        }
    }
    out
}

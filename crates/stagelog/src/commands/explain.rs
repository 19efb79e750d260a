//! `stagelog explain ID`: a rule's documentation, what `fix` writes for it, and its mapping.

use anyhow::{bail, Result};
use stagelog_pipeline::ExitStatus;
use stagelog_rules::{frameworks, registry, Config, Selection};

pub fn run(rule: &str) -> Result<ExitStatus> {
    let Some(r) = stagelog_rules::find(rule) else {
        let ids: Vec<&str> = registry().iter().map(|r| r.id).collect();
        bail!("no rule `{rule}`; the rules are {}", ids.join(", "));
    };
    print!("{}", explain(r));
    Ok(ExitStatus::Clean)
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

//! The rules: pure functions over the model. Each rule lives in its own module under
//! `rules/` with its documentation (`doc.md`, printed by `stagelog explain`) and good/bad
//! examples per source format (`examples/`), walked by one test in the `stagelog` crate.

pub mod arn;
pub mod context_vars;
mod doc;
pub mod frameworks;
mod rules;

pub use doc::{DocSection, RuleDoc};

use stagelog_model::{ApiKind, Finding, Inventory, Location, Severity, SourceKind, Stage};

/// A rule's identity, documentation and check.
pub struct Rule {
    pub id: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    /// One line: what fails.
    pub summary: &'static str,
    pub applies_to: &'static str,
    /// Markdown with the sections listed in [`doc::REQUIRED_SECTIONS`].
    pub doc: &'static str,
    /// Directory of this rule's examples, relative to this crate's root.
    pub examples_dir: &'static str,
    /// Judged only on live accounts (no infrastructure-as-code examples).
    pub live_only: bool,
    /// The rule's bad Terraform example, which `explain` fixes to show what `fix` writes.
    pub bad_terraform: &'static str,
    pub check: fn(&Inventory, &Config, &mut Vec<Finding>),
}

impl Rule {
    pub fn doc(&self) -> RuleDoc {
        RuleDoc::parse(self.doc)
    }
}

/// Every rule, in id order.
pub fn registry() -> &'static [Rule] {
    rules::ALL
}

pub fn find(id: &str) -> Option<&'static Rule> {
    registry().iter().find(|r| r.id.eq_ignore_ascii_case(id))
}

/// What the rules are asked to check, and against which thresholds.
#[derive(Debug, Clone)]
pub struct Config {
    /// Audit fields SL005 wants in every access log format (keys of [`context_vars::AUDIT_FIELDS`]).
    pub required_fields: Vec<String>,
    /// SL020: the fewest days a log group may keep events.
    pub min_retention_days: i64,
    /// SL010: the policy wants INFO execution logging, so ERROR is not enough.
    pub execution_level_info: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            required_fields: context_vars::AUDIT_FIELDS
                .iter()
                .map(|f| f.key.to_string())
                .collect(),
            min_retention_days: 365,
            execution_level_info: false,
        }
    }
}

/// Which rules run.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub select: Vec<String>,
    pub ignore: Vec<String>,
}

impl Selection {
    pub fn includes(&self, id: &str) -> bool {
        let hit = |list: &[String]| {
            list.iter()
                .any(|s| id.eq_ignore_ascii_case(s) || id.starts_with(&s.to_ascii_uppercase()))
        };
        (self.select.is_empty() || hit(&self.select)) && !hit(&self.ignore)
    }

    /// Ids that name no rule (nor a prefix of one), for a usage error.
    pub fn unknown_ids(&self) -> Vec<String> {
        self.select
            .iter()
            .chain(&self.ignore)
            .filter(|s| {
                let up = s.to_ascii_uppercase();
                !registry().iter().any(|r| r.id.starts_with(&up))
            })
            .cloned()
            .collect()
    }
}

/// Runs the selected rules over one inventory.
pub fn check(inv: &Inventory, config: &Config, selection: &Selection) -> Vec<Finding> {
    let mut out = Vec::new();
    for rule in registry() {
        if selection.includes(rule.id) {
            (rule.check)(inv, config, &mut out);
        }
    }
    out
}

/// Builds a finding about a stage at the stage's own location.
pub(crate) fn stage_finding(rule: &Rule, stage: &Stage, message: String, fix: String) -> Finding {
    located_finding(rule, stage, &stage.location, message, fix)
}

pub(crate) fn located_finding(
    rule: &Rule,
    stage: &Stage,
    location: &Location,
    message: String,
    fix: String,
) -> Finding {
    Finding {
        rule_id: rule.id,
        severity: rule.severity,
        message,
        fix,
        location: location.clone(),
        stage: Some(stage.name.to_string()),
        api_kind: Some(stage.api_kind),
    }
}

/// Picks the fix hint written in the terms of the finding's source.
pub(crate) fn hint(loc: &Location, terraform: &str, cloudformation: &str, live: &str) -> String {
    match loc.source {
        SourceKind::Terraform => terraform,
        SourceKind::CloudFormation | SourceKind::Sam => cloudformation,
        SourceKind::Live => live,
    }
    .to_string()
}

/// "REST API stage `prod`" and the like, for messages.
pub(crate) fn describe(stage: &Stage) -> String {
    let kind = match stage.api_kind {
        ApiKind::Rest => "REST API",
        ApiKind::Http => "HTTP API",
        ApiKind::WebSocket => "WebSocket API",
        ApiKind::V2 => "API Gateway v2",
    };
    match &stage.note {
        Some(note) => format!("{kind} stage `{}` ({note})", stage.name),
        None => format!("{kind} stage `{}`", stage.name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_has_complete_docs_and_unique_id() {
        let mut ids = std::collections::BTreeSet::new();
        for rule in registry() {
            assert!(ids.insert(rule.id), "duplicate id {}", rule.id);
            let problems = rule.doc().problems();
            assert!(problems.is_empty(), "{}: {problems:?}", rule.id);
            assert!(
                rule.doc
                    .starts_with(&format!("# {} {}", rule.id, rule.name)),
                "{}: doc title must be `# {} {}`",
                rule.id,
                rule.id,
                rule.name
            );
            assert!(
                frameworks::for_rule(rule.id).next().is_some(),
                "{} unmapped",
                rule.id
            );
        }
    }

    #[test]
    fn selection_takes_ids_and_prefixes() {
        let s = Selection {
            select: vec!["SL0".into()],
            ignore: vec!["sl005".into()],
        };
        assert!(s.includes("SL001"));
        assert!(!s.includes("SL005"));
        let s = Selection {
            select: vec!["SL9".into(), "nope".into()],
            ignore: vec![],
        };
        assert_eq!(s.unknown_ids(), ["SL9", "nope"]);
    }
}

//! The rules: pure functions over the model. Each rule lives in its own module under
//! `rules/` with its documentation (`doc.md`, printed by `stagelog explain`) and good/bad
//! examples per source format (`examples/`), walked by one test in the `stagelog` crate.

mod doc;
pub mod frameworks;
mod rules;

pub use doc::{DocSection, RuleDoc};
pub use stagelog_model::{arn, context_vars};

use stagelog_model::{
    ApiKind, ExecutionLevel, Finding, Inventory, Location, Remedy, RetentionDays, Severity, Stage,
};

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
    /// SL020: the fewest days a log group may keep events (and what fixes set).
    pub min_retention: RetentionDays,
    /// SL010: the level fixes set; with INFO, a stage logging only ERROR is a finding too.
    pub execution_level: ExecutionLevel,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            required_fields: context_vars::AUDIT_FIELDS
                .iter()
                .map(|f| f.key.to_string())
                .collect(),
            min_retention: RetentionDays::ONE_YEAR,
            execution_level: ExecutionLevel::Error,
        }
    }
}

/// Whether a rule id or prefix (`SL001`, `sl00`) names rule `id`: the one matcher behind
/// `--select`/`--ignore`, `stagelog.toml`, waivers and inline marks.
pub fn id_matches(pattern: &str, id: &str) -> bool {
    let pattern = pattern.trim();
    !pattern.is_empty()
        && (id.eq_ignore_ascii_case(pattern) || id.starts_with(&pattern.to_ascii_uppercase()))
}

/// Which rules run.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub select: Vec<String>,
    pub ignore: Vec<String>,
}

impl Selection {
    pub fn includes(&self, id: &str) -> bool {
        let hit = |list: &[String]| list.iter().any(|s| id_matches(s, id));
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
pub(crate) fn stage_finding(
    rule: &Rule,
    stage: &Stage,
    message: String,
    remedy: Remedy,
) -> Finding {
    located_finding(rule, stage, &stage.location, message, remedy)
}

pub(crate) fn located_finding(
    rule: &Rule,
    stage: &Stage,
    location: &Location,
    message: String,
    remedy: Remedy,
) -> Finding {
    Finding {
        rule_id: rule.id,
        severity: rule.severity,
        message,
        remedy,
        fix: String::new(),
        location: Box::new(location.clone()),
        stage: Some(stage.name.to_string()),
        api_kind: Some(stage.api_kind),
        api: stage.api_name.clone(),
    }
}

/// "REST API stage `prod`" and the like, for messages.
pub(crate) fn describe(stage: &Stage) -> String {
    let kind = match stage.api_kind {
        ApiKind::Rest => "REST API",
        ApiKind::Http => "HTTP API",
        ApiKind::WebSocket => "WebSocket API",
        ApiKind::V2 => "API Gateway v2",
    };
    // Live, the API's name: its id is all the stage ARN says.
    let kind = match &stage.api_name {
        Some(name) => format!("{kind} `{name}`"),
        None => kind.to_string(),
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

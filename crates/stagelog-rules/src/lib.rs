//! The rules: pure functions over the model. Each rule lives in its own folder under `rules/`
//! — its declaration and check (`mod.rs`: id, severity, kind, compliance and peer mappings),
//! its documentation (`doc.md`, printed by `stagelog explain`), good/bad examples per source
//! format (`examples/`) and the snapshots of what it finds and what `fix` writes
//! (`snapshots/`) — and is registered by one line in `rules/mod.rs`. Everything else (the rule
//! list, `stagelog rules`, the docs' rule tables, the mapping of peer ids) comes from the
//! registry.

mod doc;
pub mod frameworks;
mod rules;
pub mod tables;

pub use doc::{DocSection, RuleDoc};
pub use stagelog_model::{arn, context_vars};

use stagelog_model::{
    AccountSettings, ApiKind, ExecutionLevel, Finding, Inventory, Location, Remedy, RetentionDays,
    Severity, Stage,
};

/// A rule's identity, documentation, mappings and check.
pub struct Rule {
    pub id: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    /// One line: what fails.
    pub summary: &'static str,
    pub applies_to: &'static str,
    /// Markdown with the sections listed in [`doc::REQUIRED_SECTIONS`].
    pub doc: &'static str,
    /// What `stagelog fix` writes for it in Terraform (or why nothing), one line for
    /// docs/fix.md's table.
    pub fixes: &'static str,
    /// Judged only on live accounts (no infrastructure-as-code examples).
    pub live_only: bool,
    /// The rule's bad Terraform example, which `explain` fixes to show what `fix` writes
    /// (rules judged in code).
    pub bad_terraform: Option<&'static str>,
    /// The compliance controls and peer tools' checks it answers to.
    pub mappings: &'static [frameworks::Control],
    pub check: Check,
    /// A check across every unit of a scan, for what no single configuration or stack shows
    /// (two of them owning one region's account setting): the account settings of them all.
    pub across: Option<AcrossCheck>,
}

/// A check over the account settings of every unit of a scan.
pub type AcrossCheck = fn(&[AccountSettings], &mut Vec<Finding>);

/// What a rule judges, and how.
#[derive(Clone, Copy)]
pub enum Check {
    /// Stages and what they write to (settings, destinations, formats, log groups).
    Stage(fn(&Inventory, &Config, &mut Vec<Finding>)),
    /// An account's API Gateway settings and its CloudWatch role.
    Account(fn(&Inventory, &Config, &mut Vec<Finding>)),
    /// How a configuration or stack is organised: what it declares beside what (who owns a
    /// setting shared by a whole region).
    Configuration(fn(&Inventory, &Config, &mut Vec<Finding>)),
    /// The findings the policy silenced, after judging: a post-check of suppressions.
    Suppressed(fn(&[Silenced], &mut Vec<Finding>)),
}

/// What a rule is about, for listings and for which examples it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKind {
    Stage,
    Account,
    Configuration,
    /// About findings and their suppressions, not about resources.
    Meta,
}

/// A finding a suppression mark silenced, as the meta rules see it.
pub struct Silenced<'a> {
    pub finding: &'a Finding,
    /// The mark as written (`checkov:skip=CKV_AWS_76`).
    pub mark: &'a str,
    pub reason: Option<&'a str>,
    /// The line of the mark.
    pub line: Option<u32>,
}

impl Rule {
    pub fn doc(&self) -> RuleDoc {
        RuleDoc::parse(self.doc)
    }

    pub fn kind(&self) -> RuleKind {
        match self.check {
            Check::Stage(_) => RuleKind::Stage,
            Check::Account(_) => RuleKind::Account,
            Check::Configuration(_) => RuleKind::Configuration,
            Check::Suppressed(_) => RuleKind::Meta,
        }
    }

    /// Whether the rule judges infrastructure-as-code, and so has examples per source format.
    pub fn judges_code(&self) -> bool {
        !self.live_only && self.kind() != RuleKind::Meta
    }

    /// The folder of the rule's examples (`rules/slNNN/examples`, named after its id), for
    /// the rules that judge code.
    pub fn examples_dir(&self) -> Option<std::path::PathBuf> {
        self.judges_code().then(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("src/rules")
                .join(self.id.to_ascii_lowercase())
                .join("examples")
        })
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
    for rule in registry().iter().filter(|r| selection.includes(r.id)) {
        match rule.check {
            Check::Stage(check) | Check::Account(check) | Check::Configuration(check) => {
                check(inv, config, &mut out)
            }
            Check::Suppressed(_) => {}
        }
    }
    out
}

/// Runs the selected rules' checks across a scan's units over their account settings.
pub fn check_across(accounts: &[AccountSettings], selection: &Selection) -> Vec<Finding> {
    let mut out = Vec::new();
    for rule in registry().iter().filter(|r| selection.includes(r.id)) {
        if let Some(across) = rule.across {
            across(accounts, &mut out);
        }
    }
    out
}

/// Runs the selected meta rules over what the policy silenced.
pub fn check_suppressed(silenced: &[Silenced], selection: &Selection) -> Vec<Finding> {
    let mut out = Vec::new();
    for rule in registry().iter().filter(|r| selection.includes(r.id)) {
        if let Check::Suppressed(check) = rule.check {
            check(silenced, &mut out);
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
            assert_eq!(ids.last(), Some(&rule.id), "the registry is in id order");
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
            assert!(!rule.mappings.is_empty(), "{} unmapped", rule.id);
            // The examples folder is named after the id, and holds what the rule judges.
            if let Some(dir) = rule.examples_dir() {
                assert!(
                    dir.join("bad.tf").is_file(),
                    "{}: no {dir:?}/bad.tf",
                    rule.id
                );
                assert!(rule.bad_terraform.is_some(), "{}: bad_terraform", rule.id);
            } else {
                assert!(rule.bad_terraform.is_none(), "{}: bad_terraform", rule.id);
            }
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

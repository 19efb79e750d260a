//! Live stages linked to the code that declares them, and what differs between the two.
//!
//! `--iac PATH` reads the infrastructure-as-code under PATH as `scan` does; each live stage is
//! then matched to its declaration by what AWS and the deploy tools record:
//! - CloudFormation (and SAM, CDK, the Serverless Framework, which deploy through it) tags
//!   every resource it creates with `aws:cloudformation:stack-name` and
//!   `aws:cloudformation:logical-id`; the stack names which template ([`stacks`]);
//! - a Terraform state maps each resource address to the stage's API id and name
//!   ([`tfstate`]).
//!
//! [`Code::attach`] writes the declaration into each live stage's location (`defined_at`),
//! so every report format shows it; [`Code::drift`] pairs both sides for the drift rules.

mod compare;
mod link;
pub mod stacks;
pub mod tfstate;

#[cfg(test)]
mod tests;

pub use compare::Drift;
pub use link::{Attached, Link, Unlinked};

use stagelog_model::{Inventory, Problem};
use std::path::PathBuf;

/// What `--iac` and its companions name.
#[derive(Debug, Clone, Default)]
pub struct IacOptions {
    pub paths: Vec<PathBuf>,
    /// `--stack NAME=TEMPLATE`.
    pub stacks: Vec<(String, PathBuf)>,
    /// `--tf-state FILE`.
    pub tf_states: Vec<PathBuf>,
    pub scan: stagelog_iac::ScanOptions,
}

/// The code under `--iac`, read once, with what links it to live stages.
#[derive(Debug, Default)]
pub struct Code {
    pub inventories: Vec<Inventory>,
    /// What could not be read (a malformed template, a state that is not one): errors of the
    /// report, as in `scan`.
    pub errors: Vec<Problem>,
    pub notes: Vec<String>,
    pub files: usize,
    pub(crate) stacks: stacks::StackMap,
    pub(crate) states: Vec<tfstate::StateStage>,
    /// The state files read: as given (for messages), and canonical (to know which Terraform
    /// roots they cover).
    pub(crate) state_files: Vec<(PathBuf, PathBuf)>,
    /// The stack each inventory deploys as, when the code says (worked out once: a live
    /// stage's tags are matched against it for every stage of an organisation).
    pub(crate) inventory_stacks: Vec<Option<String>>,
    /// Stack name → the inventories that deploy as it.
    pub(crate) by_stack: std::collections::HashMap<String, Vec<usize>>,
    /// (REST?, API id, stage name) → the state entry recording it.
    pub(crate) by_state_id: std::collections::HashMap<(bool, String, String), usize>,
}

impl Code {
    /// Each stack the code deploys as, with the files of its declarations (for `--verbose`:
    /// why a tagged stage found its code, or did not), sorted by name.
    pub fn stack_names(&self) -> Vec<(&str, Vec<&str>)> {
        let mut out: Vec<(&str, Vec<&str>)> = self
            .by_stack
            .iter()
            .map(|(name, inventories)| {
                let files = inventories
                    .iter()
                    .filter_map(|&i| link::inventory_file(&self.inventories[i]))
                    .collect();
                (name.as_str(), files)
            })
            .collect();
        out.sort();
        out
    }
}

/// Reads the code under `opts.paths`, the stack names the deploy tools' files give, and the
/// Terraform states.
pub fn read(opts: &IacOptions) -> Code {
    let scanned = stagelog_iac::scan_with(&opts.paths, &opts.scan);
    let mut code = Code {
        inventories: scanned.inventories,
        errors: scanned.errors,
        notes: scanned.notes,
        files: scanned.files,
        stacks: stacks::StackMap::discover(&opts.paths, &opts.stacks),
        ..Code::default()
    };
    code.notes.append(&mut code.stacks.notes);
    code.inventory_stacks = code
        .inventories
        .iter()
        .map(|inv| link::stack_of(&code.stacks, inv))
        .collect();
    for (i, stack) in code.inventory_stacks.iter().enumerate() {
        if let Some(stack) = stack {
            code.by_stack.entry(stack.clone()).or_default().push(i);
        }
    }
    for path in &opts.tf_states {
        match tfstate::read(path) {
            Ok(stages) => {
                code.states.extend(stages);
                code.state_files
                    .push((path.clone(), stacks::canonical(path)));
            }
            Err(e) => code.errors.push(Problem::in_file(
                path.display().to_string(),
                e.line,
                format!("--tf-state: {}", e.message),
            )),
        }
    }
    for (i, s) in code.states.iter().enumerate() {
        code.by_state_id
            .entry((s.rest, s.api_id.clone(), s.stage_name.clone()))
            .or_insert(i);
    }
    code
}

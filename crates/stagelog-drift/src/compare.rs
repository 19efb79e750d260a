//! Both sides side by side: every live stage with its declaration, and the declarations no
//! live stage answers to, for the drift rules (SL050–SL053) to judge.

use crate::link::{covers, root_of, Unlinked};
use crate::Code;
use stagelog_model::{Inventory, SourceKind, Stage, StagePair};
use std::collections::BTreeSet;

/// The pairs, in one inventory the pipeline judges, and what was left uncompared.
#[derive(Debug, Default)]
pub struct Drift {
    pub inventory: Inventory,
    pub notes: Vec<String>,
}

impl Code {
    /// Pairs every live stage of `live` with its declaration, and every declaration that should
    /// be deployed where `live` was read with nothing.
    pub fn drift(&self, live: &[Inventory]) -> Drift {
        let mut drift = Drift {
            inventory: Inventory {
                live: true,
                ..Inventory::default()
            },
            notes: Vec::new(),
        };
        let mut linked = BTreeSet::new();
        // Stacks the account has: any live stage or API CloudFormation tagged with them.
        let mut seen_stacks = BTreeSet::new();
        for stage in live.iter().flat_map(|inv| &inv.stages) {
            for on_api in [false, true] {
                if let Some((stack, _)) = stage.tags.cloudformation(on_api) {
                    seen_stacks.insert(stack.to_string());
                }
            }
            let mut stage = stage.clone();
            let pair = match self.link(&stage) {
                Ok(link) => {
                    linked.insert((link.inventory, link.stage));
                    stage.location.defined_at = Some(Box::new(link.origin));
                    let declared = &self.inventories[link.inventory].stages[link.stage];
                    StagePair {
                        declared: Some(declared.clone()),
                        context: Some(outside_code_cause(declared)),
                        live: Some(stage),
                    }
                }
                Err(why) => StagePair {
                    declared: None,
                    context: Some(why.to_string()),
                    live: Some(stage),
                },
            };
            drift.inventory.drift.push(pair);
        }

        let single_root = {
            let roots: BTreeSet<_> = self
                .declared()
                .filter(|(_, _, s)| s.location.source == SourceKind::Terraform)
                .map(|(_, _, s)| root_of(s))
                .collect();
            roots.len() == 1
        };
        let (mut no_stack, mut no_state) = (0usize, 0usize);
        for (i, j, declared) in self.declared() {
            if linked.contains(&(i, j)) {
                continue;
            }
            let context = if declared.location.source == SourceKind::Terraform {
                let root = root_of(declared);
                let state = self
                    .state_files
                    .iter()
                    .find(|(_, canonical)| covers(&root, canonical))
                    .or(self.state_files.first().filter(|_| single_root))
                    .map(|(given, _)| given);
                match state {
                    Some(state) => format!(
                        "the state {} records no stage at {}",
                        state.display(),
                        declared.location.resource
                    ),
                    None => {
                        no_state += 1;
                        continue;
                    }
                }
            } else {
                match self.stack_of(i) {
                    Some(stack) if seen_stacks.contains(stack) => format!(
                        "stack `{stack}` is deployed where the audit read, without this stage"
                    ),
                    Some(stack) => format!(
                        "no resource of stack `{stack}` was found in the accounts and regions read: it is deployed elsewhere, or not at all"
                    ),
                    None => {
                        no_stack += 1;
                        continue;
                    }
                }
            };
            drift.inventory.drift.push(StagePair {
                declared: Some(declared.clone()),
                live: None,
                context: Some(context),
            });
        }
        if no_stack > 0 {
            drift.notes.push(format!(
                "{no_stack} declared stage(s) in templates that name no stack (samconfig.toml, cdk.out's manifest, serverless.yml, or --stack NAME=TEMPLATE) are compared only with what CloudFormation's tags link to them"
            ));
        }
        if no_state > 0 {
            drift.notes.push(format!(
                "{no_state} declared Terraform stage(s) in roots no --tf-state covers (a state file in the root's directory, or the one state of a single root) are compared only with what a state links to them"
            ));
        }
        drift
    }

    /// Every stage the code declares: (inventory, stage, the stage).
    fn declared(&self) -> impl Iterator<Item = (usize, usize, &Stage)> {
        self.inventories
            .iter()
            .enumerate()
            .flat_map(|(i, inv)| inv.stages.iter().enumerate().map(move |(j, s)| (i, j, s)))
    }
}

/// What the source says about logging a stage has live that its code does not declare: who
/// sets such settings, and whether the next deploy undoes them.
fn outside_code_cause(declared: &Stage) -> String {
    match declared.location.source {
        SourceKind::Serverless if declared.api_kind == stagelog_model::ApiKind::Rest => {
            "the Serverless Framework applies a REST stage's logging with UpdateStage after each deploy, not through CloudFormation, from provider.logs.restApi, which this service does not set: a plugin, a script or the console set it".into()
        }
        SourceKind::Serverless => {
            "serverless.yml does not set it (provider.logs): the console, a script or a custom resource (UpdateStage) set it, and the next deploy that updates the stage resource resets it".into()
        }
        SourceKind::Terraform => {
            "the configuration does not set it: it was set outside Terraform, and the next apply plans to undo what the stage resource holds (access logs, a v2 stage's default route settings)".into()
        }
        _ => {
            "the template does not set it: the console, a script or a custom resource (UpdateStage) set it, and CloudFormation puts the template's settings back the next time it updates the stage".into()
        }
    }
}

impl Unlinked {
    /// Whether this live stage's records name code that should be under `--iac`.
    pub fn names_code(&self) -> bool {
        !matches!(self, Unlinked::Unclaimed)
    }
}

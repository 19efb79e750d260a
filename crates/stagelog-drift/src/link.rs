//! Matching a live stage to the stage the code declares.

use crate::stacks::canonical;
use crate::tfstate::{without_keys, StateStage};
use crate::Code;
use stagelog_model::{ApiKind, Inventory, Origin, SourceKind, Stage};
use std::path::{Path, PathBuf};

/// A live stage's declaration: which stage of which inventory of the code, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub inventory: usize,
    pub stage: usize,
    pub origin: Origin,
}

/// What the live side's records name, when no declaration under `--iac` matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unlinked {
    /// Neither CloudFormation tags nor a given state name it.
    Unclaimed,
    /// CloudFormation tags name a stack no template under `--iac` deploys as.
    UnknownStack { stack: String, logical_id: String },
    /// The stack's templates declare no such stage.
    NotInTemplate { stack: String, logical_id: String },
    /// A state records it at an address no configuration under `--iac` declares.
    NotInConfiguration { address: String, state: PathBuf },
}

impl std::fmt::Display for Unlinked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unlinked::Unclaimed => f.write_str(
                "no CloudFormation tags and no given Terraform state name it: made by hand, by a script or by code elsewhere",
            ),
            Unlinked::UnknownStack { stack, logical_id } => write!(
                f,
                "CloudFormation stack `{stack}` made it ({logical_id}), and no template under --iac deploys as that stack (samconfig.toml, cdk.out, serverless.yml, or --stack {stack}=TEMPLATE)"
            ),
            Unlinked::NotInTemplate { stack, logical_id } => write!(
                f,
                "CloudFormation stack `{stack}` made it as {logical_id}, which its template under --iac no longer declares"
            ),
            Unlinked::NotInConfiguration { address, state } => write!(
                f,
                "the state {} records it as {address}, which no configuration under --iac declares",
                state.display()
            ),
        }
    }
}

impl Code {
    /// The declaration of a live stage, or what its records say instead.
    pub fn link(&self, live: &Stage) -> Result<Link, Unlinked> {
        let mut named = None;
        for on_api in [false, true] {
            let Some((stack, logical_id)) = live.tags.cloudformation(on_api) else {
                continue;
            };
            if let Some(link) = self.by_stack(live, stack, logical_id, on_api) {
                return Ok(link);
            }
            named.get_or_insert((stack, logical_id));
        }
        if let Some(state) = self.state_entry(live) {
            return self
                .by_state(live, state)
                .ok_or_else(|| Unlinked::NotInConfiguration {
                    address: state.address.clone(),
                    state: state.state.clone(),
                });
        }
        Err(match named {
            Some((stack, logical_id)) => {
                let (stack, logical_id) = (stack.to_string(), logical_id.to_string());
                if self.inventories_of_stack(&stack).next().is_some() {
                    Unlinked::NotInTemplate { stack, logical_id }
                } else {
                    Unlinked::UnknownStack { stack, logical_id }
                }
            }
            None => Unlinked::Unclaimed,
        })
    }

    /// Writes each live stage's declaration into its location; the stacks named by tags that
    /// no template under `--iac` deploys as are said once each.
    pub fn attach(&self, live: &mut [Inventory]) -> Attached {
        let mut attached = Attached::default();
        for stage in live.iter_mut().flat_map(|inv| inv.stages.iter_mut()) {
            match self.link(stage) {
                Ok(link) => {
                    stage.location.defined_at = Some(Box::new(link.origin));
                    attached.linked += 1;
                }
                Err(Unlinked::UnknownStack { stack, .. }) => {
                    attached.unlinked += 1;
                    if !attached.unknown_stacks.contains(&stack) {
                        attached.unknown_stacks.push(stack);
                    }
                }
                Err(_) => attached.unlinked += 1,
            }
        }
        attached
    }

    /// The code's inventories that deploy as `stack`: templates the stack map names for it,
    /// and Serverless services whose stack name it is.
    pub(crate) fn inventories_of_stack(&self, stack: &str) -> impl Iterator<Item = usize> + '_ {
        self.by_stack.get(stack).into_iter().flatten().copied()
    }

    /// The stack an inventory of the code deploys as, when the code says.
    pub(crate) fn stack_of(&self, inventory: usize) -> Option<&str> {
        self.inventory_stacks.get(inventory)?.as_deref()
    }

    fn by_stack(&self, live: &Stage, stack: &str, logical_id: &str, on_api: bool) -> Option<Link> {
        let live_name = live.name.as_known();
        // One resource can declare several stages (a SAM API's own and its `Stage` stage):
        // the one of the live stage's name first, then one whose name is unknown, then one
        // whose template name differs (a parameter overridden at deploy).
        let mut best: Option<(u8, usize, usize)> = None;
        for i in self.inventories_of_stack(stack) {
            for (j, declared) in self.inventories[i].stages.iter().enumerate() {
                if declared.api_kind.is_v2() != live.api_kind.is_v2()
                    || declared.location.source == SourceKind::Terraform
                {
                    continue;
                }
                let rank = match (declared.name.as_known(), &live_name) {
                    (Some(d), Some(l)) if d == *l => 0,
                    (Some(_), Some(_)) => 2,
                    _ => 1,
                };
                let resource = declared.location.resource.as_str();
                let hit = if on_api {
                    // SAM's API resources are their stages' declarations (no `RestApiId`).
                    rank < 2
                        && declared.api.as_ref().map_or(resource == logical_id, |a| {
                            refers_to(&a.to_string(), logical_id)
                        })
                } else {
                    // SAM's generated id carries the deployed stage's name, which may differ
                    // from the template's (a `StageName` parameter overridden at deploy).
                    resource == logical_id
                        || live_name
                            .as_deref()
                            .is_some_and(|name| sam_stage_id(resource, name) == logical_id)
                };
                if hit && best.is_none_or(|(r, _, _)| rank < r) {
                    best = Some((rank, i, j));
                }
            }
        }
        let (_, i, j) = best?;
        let declared = &self.inventories[i].stages[j];
        let resource = declared.location.resource.as_str();
        let mut origin = origin(
            declared,
            format!("{stack}/{resource}"),
            "cloudformation tags",
        );
        origin.construct = self.stacks.construct(stack, resource).map(str::to_string);
        Some(Link {
            inventory: i,
            stage: j,
            origin,
        })
    }

    fn state_entry(&self, live: &Stage) -> Option<&StateStage> {
        let key = (
            live.api_kind == ApiKind::Rest,
            live.api.as_ref()?.as_known()?,
            live.name.as_known()?,
        );
        self.by_state_id.get(&key).map(|&i| &self.states[i])
    }

    fn by_state(&self, live: &Stage, state: &StateStage) -> Option<Link> {
        let live_name = live.name.as_known();
        let bare = without_keys(&state.address);
        let mut found: Vec<(usize, usize, bool)> = Vec::new();
        for (i, inv) in self.inventories.iter().enumerate() {
            for (j, d) in inv.stages.iter().enumerate() {
                if d.location.source != SourceKind::Terraform {
                    continue;
                }
                let exact = d.location.resource == state.address;
                let name_ok = match (d.name.as_known(), &live_name) {
                    (Some(a), Some(b)) => a == *b,
                    _ => true,
                };
                if exact || (name_ok && without_keys(&d.location.resource) == bare) {
                    found.push((i, j, exact));
                }
            }
        }
        // Among several roots declaring the address, the one the state file sits in (exact
        // addresses first); else the one exact address, else the one candidate.
        found.sort_by_key(|(_, _, exact)| !exact);
        let state_file = self
            .state_files
            .iter()
            .find(|(given, _)| *given == state.state)
            .map(|(_, canonical)| canonical)?;
        let exact: Vec<_> = found.iter().filter(|(_, _, exact)| *exact).collect();
        let pick = found
            .iter()
            .find(|(i, j, _)| covers(&root_of(&self.inventories[*i].stages[*j]), state_file))
            .or(match exact.as_slice() {
                [one] => Some(*one),
                _ => None,
            })
            .or(match found.as_slice() {
                [one] => Some(one),
                _ => None,
            })?;
        let declared = &self.inventories[pick.0].stages[pick.1];
        Some(Link {
            inventory: pick.0,
            stage: pick.1,
            origin: origin(declared, state.address.clone(), "terraform state"),
        })
    }
}

/// How many live stages `attach` linked, and which stacks it could not place.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Attached {
    pub linked: usize,
    pub unlinked: usize,
    pub unknown_stacks: Vec<String>,
}

fn origin(declared: &Stage, id: String, by: &'static str) -> Origin {
    Origin {
        file: declared.location.file.clone().unwrap_or_default(),
        line: declared.location.line,
        id,
        by,
        construct: None,
        via: declared.location.via.clone(),
    }
}

/// The stack an inventory deploys as: its own (a Serverless service's), or the one the stack
/// map names for its template.
pub(crate) fn stack_of(stacks: &crate::stacks::StackMap, inv: &Inventory) -> Option<String> {
    inv.stack.as_ref().and_then(|s| s.as_known()).or_else(|| {
        inventory_file(inv)
            .and_then(|f| stacks.stack_of(Path::new(f)))
            .map(str::to_string)
    })
}

/// The file an inventory was read from (a template, a service file, a module's first file).
pub(crate) fn inventory_file(inv: &Inventory) -> Option<&str> {
    inv.stages
        .iter()
        .map(|s| &s.location)
        .chain(inv.log_groups.iter().map(|g| &g.location))
        .chain(inv.accounts.iter().map(|a| &a.location))
        .find_map(|l| l.file.as_deref())
}

/// The directory of the Terraform root a declaration was reached from: the outermost module
/// call's file, or the declaration's own.
pub(crate) fn root_of(stage: &Stage) -> PathBuf {
    let file = stage
        .location
        .via
        .first()
        .map(|c| c.file.as_str())
        .or(stage.location.file.as_deref())
        .unwrap_or(".");
    canonical(Path::new(file).parent().unwrap_or(Path::new(".")))
}

/// Whether a state file belongs to a root: it lies in the root's directory or below it.
pub(crate) fn covers(root: &Path, state_file: &Path) -> bool {
    state_file.starts_with(root)
}

/// Whether a CloudFormation value refers to a resource: `!Ref Api` reads as `${Api}`.
fn refers_to(text: &str, logical_id: &str) -> bool {
    text == logical_id
        || text
            .strip_prefix("${")
            .and_then(|t| t.strip_suffix('}'))
            .is_some_and(|t| t == logical_id || t.split('.').next() == Some(logical_id))
}

/// The logical id SAM gives the stage it generates for an API resource
/// (`{ApiLogicalId}{StageName}Stage`; an HTTP API's `$default` stage is
/// `{ApiLogicalId}ApiGatewayDefaultStage`), per SAM's "Generated CloudFormation resources".
fn sam_stage_id(resource: &str, stage_name: &str) -> String {
    if stage_name == "$default" {
        return format!("{resource}ApiGatewayDefaultStage");
    }
    let name: String = stage_name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    format!("{resource}{name}Stage")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refs_and_sam_ids() {
        assert!(refers_to("${Api}", "Api"));
        assert!(refers_to("${Api.RootResourceId}", "Api"));
        assert!(refers_to("ApiGatewayRestApi", "ApiGatewayRestApi"));
        assert!(!refers_to("${ApiV2}", "Api"));
        assert_eq!(
            sam_stage_id("ServerlessRestApi", "Prod"),
            "ServerlessRestApiProdStage"
        );
        assert_eq!(
            sam_stage_id("HttpApi", "$default"),
            "HttpApiApiGatewayDefaultStage"
        );
    }
}

//! A root module evaluated with its module calls followed (local sources, and what
//! `terraform init` downloaded), any depth: each called module is evaluated with its caller's
//! values, its resources get Terraform's addresses (`module.api["eu"].aws_x.this`) and the
//! call sites they came through, and its outputs become the caller's `module.NAME`.

use super::eval::{self, expand, Evaluator, Scope};
use super::{Module, ModuleCall};
use crate::paths::normalize;
use crate::value::Val;
use stagelog_model::{Inventory, Location, Text};
// Fx hashing: keys are short names hashed per expression evaluated; SipHash was a
// measurable share of a scan.
use rustc_hash::FxHashMap as HashMap;

/// The arguments of a `module` block that are not inputs of the module.
const CALL_META: &[&str] = &[
    "source",
    "version",
    "count",
    "for_each",
    "providers",
    "depends_on",
];

/// Every module a scan can reach: the scanned directories and the modules they call (local
/// sources, and what `terraform init` downloaded, by `.terraform/modules/modules.json`).
#[derive(Default)]
pub struct ModuleSet<'a> {
    pub by_dir: std::collections::HashMap<std::path::PathBuf, &'a Module>,
    /// Per root directory: call key (`api`, `api.logs`) → the directory `init` put it in.
    pub downloaded: std::collections::HashMap<
        std::path::PathBuf,
        std::collections::HashMap<String, std::path::PathBuf>,
    >,
}

/// `dir` relative to `root` as Terraform writes `path.module`: `.` for the root itself,
/// `modules/api` below it, `../shared/api` beside it. Both are normalised already.
fn relative_dir(dir: &std::path::Path, root: &std::path::Path) -> String {
    use std::path::Component;
    let (d, r): (Vec<Component>, Vec<Component>) =
        (dir.components().collect(), root.components().collect());
    let common = d.iter().zip(&r).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = r[common..]
        .iter()
        .filter(|c| !matches!(c, Component::CurDir))
        .map(|_| "..".to_string())
        .collect();
    parts.extend(
        d[common..]
            .iter()
            .filter(|c| !matches!(c, Component::CurDir))
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}

struct CallCtx<'s, 'a> {
    set: &'s ModuleSet<'a>,
    root: std::path::PathBuf,
    /// Dotted call key of the module being evaluated (`""` for the root).
    key: String,
    /// Directories of the modules on the way here, for cycles.
    chain: Vec<std::path::PathBuf>,
}

impl CallCtx<'_, '_> {
    /// The directory a call's module is in: a local source relative to the caller, or what
    /// `terraform init` recorded for this call.
    fn resolve(
        &self,
        caller_dir: &std::path::Path,
        call: &ModuleCall,
        key: &str,
    ) -> Option<std::path::PathBuf> {
        let source = call.source.as_deref()?;
        if source.starts_with("./") || source.starts_with("../") {
            return Some(normalize(&caller_dir.join(source)));
        }
        self.set.downloaded.get(&self.root)?.get(key).cloned()
    }
}

/// A call's outputs, gathered over its instances: an object, or a list (`count`) or an
/// object (`for_each`) of them.
enum CallOutputs {
    One(Option<Val>),
    Counted(Vec<Val>),
    Keyed(Vec<(String, Val)>),
}

impl CallOutputs {
    fn of(call: &ModuleCall) -> CallOutputs {
        if call.body.get_attribute("count").is_some() {
            CallOutputs::Counted(vec![])
        } else if call.body.get_attribute("for_each").is_some() {
            CallOutputs::Keyed(vec![])
        } else {
            CallOutputs::One(None)
        }
    }

    fn push(&mut self, suffix: &str, out: Val) {
        match self {
            CallOutputs::One(slot) => *slot = Some(out),
            CallOutputs::Counted(list) => list.push(out),
            CallOutputs::Keyed(map) => {
                let key = suffix
                    .trim_start_matches("[\"")
                    .trim_end_matches("\"]")
                    .to_string();
                map.push((key, out));
            }
        }
    }

    fn finish(self) -> Val {
        match self {
            CallOutputs::One(v) => v.unwrap_or_else(|| Val::Unknown("module outputs".into())),
            CallOutputs::Counted(list) => Val::List(list),
            CallOutputs::Keyed(map) => Val::Obj(map),
        }
    }
}

/// A child's values as its caller sees them: references to the child's resources get the
/// call's address prefix.
fn prefix_refs(v: Val, prefix: &str) -> Val {
    match v {
        Val::Ref { addr, attr, text } => Val::Ref {
            addr: format!("{prefix}{addr}"),
            attr,
            text,
        },
        Val::List(items) => Val::List(items.into_iter().map(|i| prefix_refs(i, prefix)).collect()),
        Val::Obj(entries) => Val::Obj(
            entries
                .into_iter()
                .map(|(k, v)| (k, prefix_refs(v, prefix)))
                .collect(),
        ),
        other => other,
    }
}

impl Module {
    /// This module as a root: its module calls followed through `set` (any depth), each
    /// called module evaluated with its caller's values; resources get Terraform's addresses
    /// (`module.api["eu"].aws_apigatewayv2_stage.this`) and the call sites they came through.
    pub fn root_inventory(&self, set: &ModuleSet, notes: &mut Vec<String>) -> Inventory {
        let mut inv = Inventory::default();
        let ctx = CallCtx {
            set,
            root: self.dir.clone(),
            key: String::new(),
            chain: vec![self.dir.clone()],
        };
        self.evaluate(None, &ctx, &mut inv, notes);
        inv.link_destinations_by_name();
        inv
    }

    /// Evaluates this module (its calls first, so resources can use their outputs) into `inv`;
    /// gives back its outputs and the log groups it and its children declare, by address.
    fn evaluate(
        &self,
        caller: Option<&[(String, Val)]>,
        ctx: &CallCtx,
        inv: &mut Inventory,
        notes: &mut Vec<String>,
    ) -> (Val, HashMap<String, usize>) {
        let mut ev = Evaluator::new_with(self, caller);
        ev.paths = Some(eval::Paths {
            module: relative_dir(&self.dir, &ctx.root),
            cwd: crate::paths::absolute(&ctx.root)
                .to_string_lossy()
                .into_owned(),
        });
        let mut groups: HashMap<String, usize> = HashMap::default();
        for call in self.files.iter().flat_map(|f| &f.calls) {
            let key = if ctx.key.is_empty() {
                call.name.clone()
            } else {
                format!("{}.{}", ctx.key, call.name)
            };
            let Some(dir) = ctx.resolve(&self.dir, call, &key) else {
                notes.push(format!(
                    "{}:{}: module.{} (source {}) is not here: run `terraform init` (or `tofu init`) to let stagelog see inside; its stages are not judged",
                    call.file, call.line,
                    call.name,
                    call.source.as_deref().unwrap_or("not a literal")
                ));
                continue;
            };
            let Some(child) = ctx.set.by_dir.get(&dir) else {
                notes.push(format!(
                    "{}:{}: module.{} ({}) could not be read; its stages are not judged",
                    call.file,
                    call.line,
                    call.name,
                    dir.display()
                ));
                continue;
            };
            if ctx.chain.contains(&dir) || ctx.chain.len() > 32 {
                notes.push(format!(
                    "{}:{}: module.{} calls a module already being evaluated (a cycle); not followed",
                    call.file, call.line,
                    call.name
                ));
                continue;
            }
            let child_ctx = CallCtx {
                set: ctx.set,
                root: ctx.root.clone(),
                key,
                chain: ctx.chain.iter().cloned().chain([dir.clone()]).collect(),
            };
            let mut outputs = CallOutputs::of(call);
            for (suffix, scope) in expand(&ev, &call.body) {
                let values: Vec<(String, Val)> = call
                    .body
                    .attributes()
                    .filter(|a| !CALL_META.contains(&a.key.as_str()))
                    .map(|a| (a.key.as_str().to_string(), ev.eval(&a.value, &scope)))
                    .collect();
                let rel = format!("module.{}{suffix}.", call.name);
                let start = (inv.stages.len(), inv.log_groups.len(), inv.accounts.len());
                let (out, child_groups) = child.evaluate(Some(&values), &child_ctx, inv, notes);
                let site = stagelog_model::CallSite {
                    file: call.file.clone(),
                    line: call.line,
                    call: format!("module.{}{suffix}", call.name),
                };
                let mut located: Vec<&mut Location> = Vec::new();
                for stage in &mut inv.stages[start.0..] {
                    if let Some(api) = &stage.api {
                        stage.api = Some(Text::lit(format!("{rel}{api}")));
                    }
                    located.push(&mut stage.location);
                    located.extend(stage.default_settings.location.as_mut());
                    located.extend(
                        stage
                            .overrides
                            .iter_mut()
                            .filter_map(|(_, m)| m.location.as_mut()),
                    );
                }
                located.extend(
                    inv.log_groups[start.1..]
                        .iter_mut()
                        .map(|g| &mut g.location),
                );
                // The child's account settings are applied with the provider this call
                // gives it, when the child configures none of its own.
                let passed = super::provider::passed_to_child(&call.body);
                let env = self.provider_env(&ev, passed.clone().flatten().as_deref());
                for account in &mut inv.accounts[start.2..] {
                    let loc = &mut account.location;
                    if let Some((region, id)) = env
                        .as_ref()
                        .filter(|_| loc.region.is_none() && loc.account.is_none())
                    {
                        loc.region = region.clone();
                        loc.account = id.clone();
                    }
                }
                located.extend(inv.accounts[start.2..].iter_mut().map(|a| &mut a.location));
                for loc in located {
                    loc.resource = format!("{rel}{}", loc.resource);
                    loc.via.insert(0, site.clone());
                }
                for (k, i) in child_groups {
                    groups.insert(format!("{rel}{k}"), i);
                }
                outputs.push(&suffix, prefix_refs(out, &rel));
            }
            ev.module_outputs
                .borrow_mut()
                .insert(call.name.clone(), outputs.finish());
        }
        self.fill(&ev, inv, &mut groups);
        let outputs = Val::Obj(
            self.files
                .iter()
                .flat_map(|f| &f.outputs)
                .map(|(name, expr)| (name.clone(), ev.eval(expr, &Scope::default())))
                .collect(),
        );
        (outputs, groups)
    }
}

#[cfg(test)]
mod tests {
    use super::relative_dir;
    use std::path::Path;

    #[test]
    fn path_module_is_the_directory_relative_to_the_root() {
        let root = Path::new("/repo/envs/prod");
        assert_eq!(relative_dir(root, root), ".");
        assert_eq!(
            relative_dir(Path::new("/repo/envs/prod/modules/api"), root),
            "modules/api"
        );
        assert_eq!(
            relative_dir(Path::new("/repo/modules/api"), root),
            "../../modules/api"
        );
        assert_eq!(
            relative_dir(
                Path::new("envs/prod/.terraform/modules/chat"),
                Path::new("envs/prod")
            ),
            ".terraform/modules/chat"
        );
    }
}

//! A scan: the walk (`walk`), Terraform's modules and roots (`terraform`), templates, plans
//! and service files read one by one (`read`), a plan merged with its configuration (`plan`),
//! all in parallel, each unit read, adapted, handed on and dropped on its own.

mod exclude;
mod input;
mod large;
mod output;
mod plan;
mod read;
mod shared_api;
mod terraform;
mod walk;

pub use exclude::{Exclusions, PatternSet, PatternUse};
pub use input::MAX_FILE_BYTES;
pub use output::{ScanOptions, ScanOutput};

use crate::{cloudformation, serverless, terraform as tf};
use input::{Input, Kind, UnitResult};
use output::Unit;
use plan::{is_config, merge_plan_with_sources};
use rayon::prelude::*;
use read::{read_plan, read_serverless, read_template};
use stagelog_model::Inventory;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use terraform::terraform_roots;
use walk::{classify, collect, triage};

/// Scans files and directories with the default options.
pub fn scan(paths: &[PathBuf]) -> ScanOutput {
    scan_with(paths, &ScanOptions::default())
}

/// Scans files and directories. Errors never stop the scan: each unreadable file is reported
/// and the rest are still read. Each module or template is read, adapted and dropped on its
/// own (in parallel), so memory follows the largest unit, not the tree. Output order depends
/// only on the input, not on threads.
pub fn scan_with(paths: &[PathBuf], opts: &ScanOptions) -> ScanOutput {
    scan_each(paths, opts, &|inv| inv)
}

/// [`scan_with`], handing each inventory to `each` as soon as it is read and keeping only
/// what `each` makes of it: a caller that judges there holds findings, never the whole model.
pub fn scan_each<T: Send>(
    paths: &[PathBuf],
    opts: &ScanOptions,
    each: &(dyn Fn(Inventory) -> T + Sync),
) -> ScanOutput<T> {
    let mut errors = Vec::new();
    let exclude = exclude::Exclude::new(&opts.exclude, &mut errors);
    let mut notes = Vec::new();
    let mut excluded = Vec::new();
    let files = collect(paths, &exclude, &mut errors, &mut notes, &mut excluded);
    let (files, texts): (Vec<(PathBuf, Kind)>, Vec<_>) =
        files.into_iter().map(|(p, k, t)| ((p, k), Some(t))).unzip();
    let inputs: Vec<(Input, Kind)> = files
        .iter()
        .zip(texts)
        .map(|((p, k), t)| (Input::Disk(p, t), *k))
        .collect();
    let mut out = scan_inputs(
        inputs,
        opts.keep_sources,
        &opts.terraform,
        &opts.parameters,
        |(input, _)| match input {
            Input::Disk(p, _) => p.parent().map(Path::to_path_buf).unwrap_or_default(),
            Input::Memory(..) => PathBuf::new(),
        },
        each,
    );
    errors.append(&mut out.errors);
    errors.sort();
    errors.dedup();
    out.errors = errors;
    out.notes.extend(notes);
    out.excluded = excluded;
    out.exclude_uses = exclude.uses();
    for u in out.exclude_uses.iter().filter(|u| u.dirs + u.files == 0) {
        out.notes.push(format!(
            "exclude pattern `{}` ({}) matched nothing",
            u.pattern, u.origin
        ));
    }
    // A module several roots call says what it says once (a registry module not downloaded,
    // called from a shared module, is one note, not one per root).
    let mut said = std::collections::HashSet::new();
    out.notes.retain(|n| said.insert(n.clone()));
    out
}

/// Scans sources given in memory as (name, text): what `explain`, property tests and fuzz
/// targets read, without files. Names decide how each is read (`main.tf`, `template.yaml`);
/// the Terraform files whose names share a directory form one module.
pub fn scan_sources(sources: &[(&str, &str)], keep_sources: bool) -> ScanOutput {
    let inputs: Vec<(Input, Kind)> = sources
        .iter()
        .filter_map(|(name, text)| {
            let kind = match classify(Path::new(name), true)? {
                Kind::Template => triage(name, text)?,
                other => other,
            };
            Some((Input::Memory(name, text), kind))
        })
        .collect();
    let mut out = scan_inputs(
        inputs,
        keep_sources,
        &Default::default(),
        &Default::default(),
        |(input, _)| match input {
            Input::Memory(name, _) => Path::new(name)
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default(),
            Input::Disk(p, _) => p.parent().map(Path::to_path_buf).unwrap_or_default(),
        },
        &|inv| inv,
    );
    out.errors.sort();
    out
}

fn scan_inputs<T: Send>(
    inputs: Vec<(Input, Kind)>,
    keep: bool,
    terraform_inputs: &std::sync::Arc<tf::Inputs>,
    parameters: &cloudformation::Parameters,
    dir_of: impl Fn(&(Input, Kind)) -> PathBuf,
    each: &(dyn Fn(Inventory) -> T + Sync),
) -> ScanOutput<T> {
    let mut modules: BTreeMap<PathBuf, Vec<(Input, Kind)>> = BTreeMap::new();
    let mut templates: Vec<(Input, Kind)> = Vec::new();
    // Directories with a Terraform plan: their root module waits for it.
    let mut plan_dirs = std::collections::HashSet::new();
    // Sorted inputs come in runs of one directory: the map is looked up once a run (its
    // path comparisons were a share of the scan's serial part).
    let mut run: Option<(PathBuf, Vec<(Input, Kind)>)> = None;
    for input in inputs {
        match input.1 {
            Kind::Template | Kind::Serverless | Kind::Plan => {
                if input.1 == Kind::Plan {
                    plan_dirs.insert(crate::paths::normalize(&dir_of(&input)));
                }
                templates.push(input)
            }
            // A directory's Terraform files are one module.
            Kind::Tf | Kind::TfJson | Kind::TfVars => {
                let dir = dir_of(&input);
                match &mut run {
                    Some((d, files)) if *d == dir => files.push(input),
                    _ => {
                        if let Some((d, files)) = run.replace((dir, vec![input])) {
                            modules.entry(d).or_default().extend(files);
                        }
                    }
                }
            }
        }
    }
    if let Some((d, files)) = run {
        modules.entry(d).or_default().extend(files);
    }
    // OpenTofu: `x.tofu` hides `x.tf` in the same directory (and `x.tofu.json` hides `x.tf.json`).
    for files in modules.values_mut() {
        // Most directories have no OpenTofu file: nothing to hide, no name to make.
        if !files
            .iter()
            .any(|(i, _)| matches!(i.kind_name(), Some(n) if n.ends_with(".tofu") || n.ends_with(".tofu.json")))
        {
            continue;
        }
        let names: Vec<String> = files.iter().map(|(i, _)| i.name()).collect();
        files.retain(|(input, _)| {
            let name = input.name();
            let shadow = name
                .strip_suffix(".tf")
                .map(|stem| format!("{stem}.tofu"))
                .or_else(|| {
                    name.strip_suffix(".tf.json")
                        .map(|stem| format!("{stem}.tofu.json"))
                });
            shadow.is_none_or(|s| !names.contains(&s))
        });
    }
    let mut out = ScanOutput::default();
    let (terraform, from_templates): (_, Vec<_>) = rayon::join(
        || {
            let mut part = ScanOutput::default();
            let units =
                terraform_roots(modules, keep, terraform_inputs, &plan_dirs, each, &mut part);
            (part, units)
        },
        || {
            // Services first: the files they include are theirs, not templates of their own.
            let (services, others): (Vec<_>, Vec<_>) = templates
                .into_iter()
                .partition(|(_, kind)| *kind == Kind::Serverless);
            let read = |(t, kind): (Input, Kind)| {
                let mut unit = match kind {
                    Kind::Serverless => read_serverless(t, keep),
                    Kind::Plan => read_plan(t, keep),
                    Kind::Template => read_template(t, keep, parameters),
                    // Read as modules above, never here.
                    Kind::Tf | Kind::TfJson | Kind::TfVars => UnitResult::default(),
                };
                let inventory = unit.inventory.take();
                // A plan waits for its configuration; a stage of a shared API for the
                // other services that deploy it.
                let plan = unit.plan || inventory.as_ref().is_some_and(|(_, i)| shared_api::has(i));
                (
                    unit,
                    inventory.map(|(name, inv)| Unit::new(name, inv, plan, each)),
                )
            };
            let mut units: Vec<_> = services.into_par_iter().map(read).collect();
            let included: std::collections::HashSet<PathBuf> = units
                .iter()
                .flat_map(|(u, _): &(UnitResult, _)| u.included.iter())
                .map(|p| crate::paths::normalize(p))
                .collect();
            let others: Vec<_> = others
                .into_iter()
                .filter(|(t, _)| {
                    t.disk_path()
                        .is_none_or(|p| !included.contains(&crate::paths::normalize(p)))
                })
                .collect();
            units.extend(others.into_par_iter().map(read).collect::<Vec<_>>());
            units
        },
    );
    let (part, mut units) = terraform;
    out.absorb(part);
    for (unit, inventory) in from_templates {
        out.files += unit.files;
        out.errors.extend(unit.errors);
        units.extend(inventory);
        out.sources.extend(unit.sources);
        out.notes.extend(unit.notes);
    }
    let mut named: Vec<(String, T)> = Vec::new();
    let mut kept: Vec<(String, Inventory)> = Vec::new();
    for unit in units {
        match unit {
            Unit::Done(name, t) => named.push((name, t)),
            Unit::Kept(name, inv) => kept.push((name, inv)),
        }
    }
    let plans: Vec<String> = kept
        .iter()
        .map(|(name, _)| name.clone())
        .filter(|name| {
            !is_config(name)
                && !serverless::is_service_file(name)
                && !serverless::could_be_service_file(name)
        })
        .collect();
    for plan in plans {
        merge_plan_with_sources(&plan, &mut kept);
    }
    shared_api::judge_once(&mut kept);
    named.extend(kept.into_iter().map(|(name, inv)| (name, each(inv))));
    named.sort_by(|a, b| a.0.cmp(&b.0));
    out.inventories = named.into_iter().map(|(_, t)| t).collect();
    out
}

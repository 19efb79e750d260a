//! Terraform in a scan: each directory of `.tf` files one module; the modules they call loaded
//! (local sources, what `terraform init` downloaded); each root — a directory no other module
//! calls — parsed, evaluated with its calls followed, handed on and dropped on its own.

use super::input::{Input, Kind};
use super::output::{ScanOutput, Unit};
use super::walk::classify;
use crate::paths::normalize;
use crate::prefilter::AnyWord;
use crate::terraform;
use rayon::prelude::*;
use stagelog_model::Inventory;
use stagelog_model::Problem;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A parsed Terraform module directory, before evaluation.
pub(super) struct Parsed {
    module: Option<terraform::Module>,
    errors: Vec<Problem>,
    files: usize,
    sources: Vec<(String, String)>,
}

/// Words a directory of Terraform needs for stagelog to have anything to judge in it: the
/// resources it reads, or a module call (which may hold them).
static TERRAFORM_TRIGGERS: AnyWord = AnyWord::new(&[
    "aws_api_gateway",
    "aws_apigatewayv2",
    "aws_cloudwatch_log_group",
    "module",
]);

/// The files of one directory, read (each once).
type Texts = Vec<(String, Kind, Result<String, Problem>)>;

fn read_texts(files: Vec<(Input, Kind)>) -> Texts {
    files
        .into_par_iter()
        .map(|(input, kind)| (input.name(), kind, input.into_text()))
        .collect()
}

/// Whether a directory names anything stagelog judges (or a module call that may).
fn is_relevant(texts: &Texts) -> bool {
    texts
        .iter()
        .any(|(_, _, t)| t.as_ref().is_ok_and(|t| TERRAFORM_TRIGGERS.in_text(t)))
}

/// The local directories a module's text calls (`source = "./…"` / `"../…"`), found without
/// parsing: which directories are roots is known before any is parsed, so each root can be
/// parsed, judged and dropped on its own.
fn local_targets(dir: &Path, texts: &Texts) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for (_, _, t) in texts {
        let Ok(t) = t else { continue };
        if memchr::memmem::find(t.as_bytes(), b"module").is_none() {
            continue;
        }
        for line in t.lines() {
            let Some(rest) = line.trim_start().strip_prefix("source") else {
                continue;
            };
            let Some(rest) = rest.trim_start().strip_prefix('=') else {
                continue;
            };
            let Some(value) = rest
                .trim()
                .strip_prefix('"')
                .and_then(|v| v.split('"').next())
            else {
                continue;
            };
            if value.starts_with("./") || value.starts_with("../") {
                out.push(normalize(&dir.join(value)));
            }
        }
    }
    out
}

/// What could not be read at all might have held anything: said, not guessed.
fn unreadable(texts: Texts) -> Vec<Problem> {
    texts.into_iter().filter_map(|(_, _, t)| t.err()).collect()
}

fn parse_module(
    dir: &Path,
    files: Vec<(Input, Kind)>,
    keep: bool,
    inputs: &std::sync::Arc<terraform::Inputs>,
) -> Parsed {
    parse_texts(dir, read_texts(files), keep, inputs)
}

fn parse_texts(
    dir: &Path,
    texts: Texts,
    keep: bool,
    inputs: &std::sync::Arc<terraform::Inputs>,
) -> Parsed {
    let files = texts.len();
    let parsed: Vec<_> = texts
        .into_par_iter()
        .map(|(name, kind, src)| {
            let src = src?;
            let parsed = match kind {
                Kind::Tf => terraform::parse_tf(&name, &src).map(|f| (Some(f), vec![], vec![])),
                Kind::TfJson => terraform::parse_tf_json(&name, &src)
                    .map(|(f, issues)| (Some(f), vec![], issues)),
                Kind::TfVars if name.ends_with(".json") => {
                    terraform::parse_tfvars_json(&name, &src)
                        .map(|v| (None, vec![(name.clone(), v)], vec![]))
                }
                Kind::TfVars => terraform::parse_tfvars(&name, &src)
                    .map(|v| (None, vec![(name.clone(), v)], vec![])),
                // Templates, plans and service files are not in a module's directory list.
                Kind::Template | Kind::Plan | Kind::Serverless => Ok((None, vec![], vec![])),
            }?;
            Ok((parsed, keep.then_some((name, src))))
        })
        .collect();
    let mut out = Parsed {
        module: None,
        errors: vec![],
        files,
        sources: vec![],
    };
    let mut module = terraform::Module {
        inputs: inputs.clone(),
        dir: dir.to_path_buf(),
        ..terraform::Module::default()
    };
    for p in parsed {
        match p {
            Ok(((file, tfvars, issues), source)) => {
                module.files.extend(file);
                module.tfvars.extend(tfvars);
                out.errors.extend(issues);
                out.sources.extend(source);
            }
            Err(e) => out.errors.push(e),
        }
    }
    if !module.files.is_empty() {
        out.errors.extend(terraform::validate(&module.files));
        out.module = Some(module.finish());
    }
    out
}

/// The Terraform files of a directory a module call points at (not a scanned one).
fn module_files(dir: &Path) -> Vec<(PathBuf, Kind)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return vec![];
    };
    let mut out: Vec<(PathBuf, Kind)> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .filter_map(|p| match classify(&p, false) {
            Some(k @ (Kind::Tf | Kind::TfJson)) => Some((p, k)),
            _ => None,
        })
        .collect();
    out.sort();
    out
}

/// `.terraform/modules/modules.json` of a root: call key → directory.
fn downloaded_modules(root: &Path) -> Option<std::collections::HashMap<String, PathBuf>> {
    let text = std::fs::read_to_string(root.join(".terraform/modules/modules.json")).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    Some(
        json.get("Modules")?
            .as_array()?
            .iter()
            .filter_map(|m| {
                let key = m.get("Key")?.as_str()?;
                let dir = m.get("Dir")?.as_str()?;
                (!key.is_empty()).then(|| (key.to_string(), normalize(&root.join(dir))))
            })
            .collect(),
    )
}

/// Terraform: every directory parsed, the modules they call loaded (local sources and what
/// `init` downloaded, any depth), then each root — a directory no other module calls —
/// evaluated with its calls followed.
pub(super) fn terraform_roots<T: Send>(
    dirs: BTreeMap<PathBuf, Vec<(Input, Kind)>>,
    keep: bool,
    inputs: &std::sync::Arc<terraform::Inputs>,
    plan_dirs: &std::collections::HashSet<PathBuf>,
    each: &(dyn Fn(Inventory) -> T + Sync),
    out: &mut ScanOutput<T>,
) -> Vec<Unit<T>> {
    // Each directory read once (normalised, `./a/../b` → `b`, so a call's source finds it);
    // one that names nothing stagelog judges is left before parsing, and is no error.
    let read: Vec<(PathBuf, Texts)> = dirs
        .into_par_iter()
        .map(|(dir, files)| (normalize(&dir), read_texts(files)))
        .collect();
    let mut relevant: Vec<(PathBuf, Texts)> = Vec::new();
    for (dir, texts) in read {
        if is_relevant(&texts) {
            relevant.push((dir, texts));
        } else {
            let errors = unreadable(texts);
            out.files += errors.len();
            out.errors.extend(errors);
        }
    }
    let mut downloaded = std::collections::HashMap::new();
    for (dir, _) in &relevant {
        if let Some(map) = downloaded_modules(dir) {
            downloaded.insert(dir.clone(), map);
        }
    }
    // Which directories are called (and so no roots): from the text, then from the parsed
    // modules as they load.
    let mut called: std::collections::HashSet<PathBuf> = relevant
        .iter()
        .flat_map(|(dir, texts)| local_targets(dir, texts))
        .chain(downloaded.values().flat_map(|m| m.values().cloned()))
        .collect();
    let (callees, roots): (Vec<_>, Vec<_>) = relevant
        .into_iter()
        .partition(|(dir, _)| called.contains(dir));
    let mut modules: std::collections::HashMap<PathBuf, terraform::Module> =
        std::collections::HashMap::new();
    for (dir, texts) in callees {
        let p = parse_texts(&dir, texts, keep, inputs);
        out.files += p.files;
        out.errors.extend(p.errors);
        out.sources.extend(p.sources);
        if let Some(m) = p.module {
            modules.insert(dir, m);
        }
    }
    // Load what is called and not scanned (downloaded modules, modules outside the scanned
    // paths), breadth first, with what those call in turn.
    let mut queue: Vec<PathBuf> = called.iter().cloned().collect();
    queue.extend(modules.keys().cloned());
    let mut seen: std::collections::HashSet<PathBuf> = std::collections::HashSet::new();
    while let Some(dir) = queue.pop() {
        if !seen.insert(dir.clone()) {
            continue;
        }
        if !modules.contains_key(&dir) {
            let files = module_files(&dir);
            if files.is_empty() {
                continue;
            }
            let inputs_disk: Vec<(Input, Kind)> = files
                .iter()
                .map(|(p, k)| (Input::Disk(p, None), *k))
                .collect();
            let p = parse_module(&dir, inputs_disk, keep, &Default::default());
            out.errors.extend(p.errors);
            out.sources.extend(p.sources);
            let Some(m) = p.module else { continue };
            modules.insert(dir.clone(), m);
        }
        for call in modules[&dir].files.iter().flat_map(|f| &f.calls) {
            let Some(source) = call.source.as_deref() else {
                continue;
            };
            if source.starts_with("./") || source.starts_with("../") {
                let target = normalize(&dir.join(source));
                called.insert(target.clone());
                queue.push(target);
            }
        }
    }
    let set = terraform::ModuleSet {
        by_dir: modules.iter().map(|(d, m)| (d.clone(), m)).collect(),
        downloaded,
    };
    // Each root parsed, evaluated, handed on and dropped on its own: memory follows the
    // largest root (a root beside a plan file is kept until the plan is read).
    type Evaluated<T> = (Parsed, Option<Unit<T>>, Vec<String>);
    let results: Vec<Evaluated<T>> = roots
        .into_par_iter()
        .filter(|(dir, _)| !called.contains(dir))
        .map(|(dir, texts)| {
            let mut p = parse_texts(&dir, texts, keep, inputs);
            let mut notes = Vec::new();
            let unit = p.module.take().map(|module| {
                let inv = module.root_inventory(&set, &mut notes);
                let name = module.files[0].path.clone();
                drop(module);
                Unit::new(name, inv, plan_dirs.contains(&dir), each)
            });
            (p, unit, notes)
        })
        .collect();
    let mut inventories = Vec::new();
    for (p, inv, notes) in results {
        out.files += p.files;
        out.errors.extend(p.errors);
        out.sources.extend(p.sources);
        out.notes.extend(notes);
        inventories.extend(inv);
    }
    inventories
}

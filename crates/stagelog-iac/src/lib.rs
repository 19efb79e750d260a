//! Infrastructure-as-code adapters: find the files, read each source into the model, and
//! report what could not be read. Nothing here judges; see `stagelog-rules`.

pub mod cloudformation;
pub mod fix;
pub mod suppress;
pub mod terraform;
mod value;
pub mod yaml;

use rayon::prelude::*;
use stagelog_model::Inventory;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A file (and line, when known) that could not be read or understood.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SourceError {
    pub file: String,
    pub line: Option<u32>,
    pub message: String,
}

/// Larger files are reported, not read: no real template comes near this.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Debug, Default)]
pub struct ScanOutput {
    /// One per Terraform module directory and per template, in path order.
    pub inventories: Vec<Inventory>,
    pub errors: Vec<SourceError>,
    /// Files read as Terraform or as templates.
    pub files: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Tf,
    TfJson,
    TfVars,
    Template,
}

fn classify(path: &Path, explicit: bool) -> Option<Kind> {
    let name = path.file_name()?.to_str()?;
    if name.ends_with(".tf.json") {
        Some(Kind::TfJson)
    } else if name.ends_with(".tf") {
        Some(Kind::Tf)
    } else if name == "terraform.tfvars" || name.ends_with(".auto.tfvars") {
        Some(Kind::TfVars)
    } else if name.ends_with(".tfvars") {
        None // only read when passed with -var-file; their values are not the defaults
    } else if [".yaml", ".yml", ".json", ".template", ".cfn"]
        .iter()
        .any(|ext| name.ends_with(ext))
        || explicit
    {
        Some(Kind::Template)
    } else {
        None
    }
}

const SKIP_DIRS: &[&str] = &[
    ".git",
    ".terraform",
    "node_modules",
    ".venv",
    "__pycache__",
    ".aws-sam",
];

/// The files to read under `paths`, sorted, each with how to read it.
fn collect(paths: &[PathBuf], errors: &mut Vec<SourceError>) -> Vec<(PathBuf, Kind)> {
    let mut out = Vec::new();
    for root in paths {
        match std::fs::metadata(root) {
            Err(e) => errors.push(SourceError {
                file: display(root),
                line: None,
                message: format!("cannot read: {e}"),
            }),
            Ok(m) if m.is_file() => {
                if let Some(k) = classify(root, true) {
                    out.push((root.clone(), k));
                }
            }
            Ok(_) => {
                let walker = ignore::WalkBuilder::new(root)
                    .hidden(false)
                    .git_ignore(true)
                    .git_exclude(true)
                    .parents(true)
                    .require_git(false)
                    .follow_links(false)
                    .filter_entry(|e| {
                        !(e.file_type().is_some_and(|t| t.is_dir())
                            && e.file_name()
                                .to_str()
                                .is_some_and(|n| SKIP_DIRS.contains(&n)))
                    })
                    .build();
                for entry in walker {
                    match entry {
                        Ok(e) if e.file_type().is_some_and(|t| t.is_file()) => {
                            if let Some(k) = classify(e.path(), false) {
                                out.push((e.into_path(), k));
                            }
                        }
                        Ok(_) => {}
                        Err(e) => errors.push(SourceError {
                            file: display(root),
                            line: None,
                            message: format!("cannot read: {e}"),
                        }),
                    }
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Paths as users wrote them, or relative to the working directory when absolute.
fn display(p: &Path) -> String {
    let p = std::env::current_dir()
        .ok()
        .and_then(|cwd| p.strip_prefix(&cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| p.to_path_buf());
    let s = p.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

fn read_text(path: &Path) -> Result<String, SourceError> {
    let err = |message: String| SourceError {
        file: display(path),
        line: None,
        message,
    };
    let meta = std::fs::metadata(path).map_err(|e| err(format!("cannot read: {e}")))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(err(format!(
            "file is {} MiB, over the {} MiB limit; not read",
            meta.len() / (1024 * 1024),
            MAX_FILE_BYTES / (1024 * 1024)
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| err(format!("cannot read: {e}")))?;
    if bytes[..bytes.len().min(8192)].contains(&0) {
        return Err(err("binary file (contains NUL bytes); not read".into()));
    }
    String::from_utf8(bytes).map_err(|e| {
        err(format!(
            "not UTF-8 text (invalid byte at offset {}); not read",
            e.utf8_error().valid_up_to()
        ))
    })
}

/// What one unit of work gave: a Terraform module (a directory's .tf files) or a template.
#[derive(Default)]
struct UnitResult {
    inventory: Option<(String, Inventory)>,
    errors: Vec<SourceError>,
    files: usize,
}

fn read_module(files: &[(PathBuf, Kind)]) -> UnitResult {
    let parsed: Vec<_> = files
        .par_iter()
        .map(|(path, kind)| {
            let name = display(path);
            let src = read_text(path)?;
            match kind {
                Kind::Tf => terraform::parse_tf(&name, &src).map(|f| (Some(f), vec![], vec![])),
                Kind::TfJson => terraform::parse_tf_json(&name, &src)
                    .map(|(f, issues)| (Some(f), vec![], issues)),
                _ => terraform::parse_tfvars(&name, &src).map(|v| (None, v, vec![])),
            }
        })
        .collect();
    let mut out = UnitResult {
        files: files.len(),
        ..UnitResult::default()
    };
    let mut module = terraform::Module::default();
    for p in parsed {
        match p {
            Ok((file, tfvars, issues)) => {
                module.files.extend(file);
                module.tfvars.extend(tfvars);
                out.errors.extend(issues);
            }
            Err(e) => out.errors.push(e),
        }
    }
    if !module.files.is_empty() {
        let module = module.finish();
        out.inventory = Some((module.files[0].path.clone(), module.inventory()));
    }
    out
}

fn read_template(path: &Path) -> UnitResult {
    match read_text(path) {
        // Unreadable YAML/JSON that is probably not a template is not our business.
        Err(e) => UnitResult {
            files: is_template_name(path) as usize,
            errors: if is_template_name(path) {
                vec![e]
            } else {
                vec![]
            },
            inventory: None,
        },
        Ok(src) => {
            let name = display(path);
            let a = cloudformation::adapt(&name, &src);
            UnitResult {
                files: (a.inventory.is_some() || !a.errors.is_empty()) as usize,
                errors: a.errors,
                inventory: a.inventory.map(|inv| (name, inv)),
            }
        }
    }
}

/// Scans files and directories. Errors never stop the scan: each unreadable file is reported
/// and the rest are still read. Each module or template is read, adapted and dropped on its
/// own (in parallel), so memory follows the largest unit, not the tree. Output order depends
/// only on the input, not on threads.
pub fn scan(paths: &[PathBuf]) -> ScanOutput {
    let mut errors = Vec::new();
    let files = collect(paths, &mut errors);
    let mut modules: BTreeMap<PathBuf, Vec<(PathBuf, Kind)>> = BTreeMap::new();
    let mut templates: Vec<PathBuf> = Vec::new();
    for (path, kind) in files {
        match kind {
            Kind::Template => templates.push(path),
            _ => {
                let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
                modules.entry(dir).or_default().push((path, kind));
            }
        }
    }
    let modules: Vec<_> = modules.into_values().collect();
    let (mut from_modules, from_templates): (Vec<UnitResult>, Vec<UnitResult>) = rayon::join(
        || modules.par_iter().map(|m| read_module(m)).collect(),
        || templates.par_iter().map(|t| read_template(t)).collect(),
    );
    from_modules.extend(from_templates);
    let mut out = ScanOutput::default();
    let mut inventories = Vec::new();
    for unit in from_modules {
        out.files += unit.files;
        errors.extend(unit.errors);
        inventories.extend(unit.inventory);
    }
    inventories.sort_by(|a, b| a.0.cmp(&b.0));
    out.inventories = inventories.into_iter().map(|(_, inv)| inv).collect();
    errors.sort();
    errors.dedup();
    out.errors = errors;
    out
}

fn is_template_name(path: &Path) -> bool {
    path.to_str().is_some_and(|p| {
        p.ends_with(".template") || p.ends_with(".template.json") || p.ends_with(".cfn")
    })
}

/// For text that starts like JSON: the line and message of its first syntax error.
pub(crate) fn json_syntax_error(src: &str) -> Option<(u32, String)> {
    let trimmed = src.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    if !trimmed.starts_with(['{', '[']) {
        return None;
    }
    match serde_json::from_str::<serde::de::IgnoredAny>(src.trim_start_matches('\u{feff}')) {
        Ok(_) => None,
        Err(e) => {
            let msg = e.to_string();
            let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
            Some((e.line().max(1) as u32, msg))
        }
    }
}

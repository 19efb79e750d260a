//! The walk: which files under the scanned paths to read (gitignore respected, `--exclude`,
//! directories no source lives in skipped, CDK apps' `cdk.out` added), each classified by its
//! name and read by the walk's own threads as it is found; a YAML or JSON file is triaged by
//! its text there, so files that hold nothing stagelog judges are dropped before any parse.

use super::exclude::Exclude;
use super::input::{read_text, Kind};
use crate::paths::display;
use crate::{cloudformation, serverless, terraform};
use rayon::prelude::*;
use stagelog_model::Problem;
use std::path::{Path, PathBuf};

pub(super) fn classify(path: &Path, explicit: bool) -> Option<Kind> {
    let name = path.file_name()?.to_str()?;
    if name.ends_with(".tf.json") || name.ends_with(".tofu.json") {
        Some(Kind::TfJson)
    } else if name.ends_with(".tf") || name.ends_with(".tofu") {
        Some(Kind::Tf)
    } else if ["terraform.tfvars", "terraform.tfvars.json"].contains(&name)
        || name.ends_with(".auto.tfvars")
        || name.ends_with(".auto.tfvars.json")
    {
        Some(Kind::TfVars)
    } else if serverless::is_service_file(name)
        || (explicit && serverless::could_be_service_file(name))
    {
        // Named on the command line, `prod.serverless.yml` or `serverless.prod.yml` is what
        // `serverless deploy --config` would read.
        Some(Kind::Serverless)
    } else if name.ends_with(".tfvars") || name.ends_with(".tfvars.json") {
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

/// A file the walk found, with how to read it and its text (read by the walk's own threads,
/// as ripgrep reads while it walks: reading waits for no list of every file).
type Found = (PathBuf, Kind, Result<String, Problem>);

/// What a YAML or JSON file named `name` is, from its text: a Terraform plan, a template
/// that could hold something stagelog judges, or (`None`, most of them in a repository) nothing
/// to read further: one byte search, no parse, no samconfig.toml lookup, never an error.
/// Decided once per file, where its text is first had.
pub(super) fn triage(name: &str, src: &str) -> Option<Kind> {
    if name.ends_with(".json") && terraform::plan::is_plan(src) {
        Some(Kind::Plan)
    } else if cloudformation::could_hold_something(src) {
        Some(Kind::Template)
    } else {
        None
    }
}

/// Reads a file the walk found; a YAML or JSON file that holds nothing is dropped here, text
/// and all. One that could not be read as text (too large, binary, not UTF-8) is searched as
/// bytes: if it could hold something, it is kept with its error, so the scan says it was not
/// read; one that cannot be opened at all could hold anything, and is kept too.
fn read_found(path: PathBuf, kind: Kind) -> Option<Found> {
    let text = read_text(&path);
    let kind = match (&text, kind) {
        (Ok(src), Kind::Template) => triage(path.file_name()?.to_str()?, src)?,
        (Err(_), Kind::Template) => unread_triage(&path)?,
        _ => kind,
    };
    Some((path, kind, text))
}

/// [`triage`] for a file not read as text, over its bytes a chunk at a time (memory does not
/// follow the file's size): `None` when it holds nothing stagelog judges.
fn unread_triage(path: &Path) -> Option<Kind> {
    use std::io::Read;
    const CHUNK: usize = 1 << 20;
    // Long enough for the longest marker to straddle two chunks.
    const OVERLAP: usize = 32;
    let Ok(mut file) = std::fs::File::open(path) else {
        return Some(Kind::Template);
    };
    let json = path.extension().is_some_and(|e| e == "json");
    let (mut plan, mut template) = (false, false);
    let mut buf = vec![0u8; CHUNK + OVERLAP];
    let mut kept = 0;
    loop {
        let n = match file.read(&mut buf[kept..]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return Some(Kind::Template),
        };
        let window = &buf[..kept + n];
        plan |= json && memchr::memmem::find(window, b"\"format_version\"").is_some();
        template |= ["AWS::ApiGateway", "AWS::Serverless", "AWS::Logs::"]
            .iter()
            .any(|m| memchr::memmem::find(window, m.as_bytes()).is_some());
        let keep_from = window.len().saturating_sub(OVERLAP);
        buf.copy_within(keep_from..kept + n, 0);
        kept = kept + n - keep_from;
    }
    if plan {
        Some(Kind::Plan)
    } else if template {
        Some(Kind::Template)
    } else {
        None
    }
}

/// The files to read under `paths`, sorted, each with how to read it and its text.
pub(super) fn collect(
    paths: &[PathBuf],
    exclude: &Exclude,
    errors: &mut Vec<Problem>,
    notes: &mut Vec<String>,
    excluded: &mut Vec<String>,
) -> Vec<Found> {
    // What `--exclude` kept from the walk that could hold infrastructure-as-code.
    let skipped = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut out = Vec::new();
    let cdk_apps = std::sync::Mutex::new(Vec::new());
    for root in paths {
        match std::fs::metadata(root) {
            Err(e) => errors.push(Problem::in_file(
                display(root),
                None,
                format!("cannot read: {e}"),
            )),
            // A file named on the command line is read unless `--force-exclude` lets the
            // patterns leave it out (pre-commit names every changed file).
            Ok(m) if m.is_file() && exclude.force && exclude.skips(root, false) => {
                if let Ok(mut s) = skipped.lock() {
                    s.push(display(root));
                }
            }
            Ok(m) if m.is_file() => match classify(root, true).and_then(|k| read_found(root.clone(), k)) {
                Some(found) => out.push(found),
                None => notes.push(format!(
                    "{}: holds no infrastructure-as-code stagelog reads (Terraform, a CloudFormation, SAM or CDK template, a Terraform plan, serverless.yml)",
                    display(root)
                )),
            },
            Ok(_) => {
                let found_before = out.len() + cdk_apps.lock().map(|a| a.len()).unwrap_or(0);
                let walker = ignore::WalkBuilder::new(root)
                    .hidden(false)
                    .git_ignore(true)
                    .git_exclude(true)
                    .parents(true)
                    .require_git(false)
                    // Symlinked files and directories are read where they point, as Terraform
                    // reads them (a shared `providers.tf` linked into every root); the walker
                    // stops at a link back to a directory above it.
                    .follow_links(true)
                    .filter_entry({
                        let exclude = exclude.clone();
                        let skipped = skipped.clone();
                        move |e| {
                            let dir = e.file_type().is_some_and(|t| t.is_dir());
                            let skipped_dir = dir
                                && e.file_name()
                                    .to_str()
                                    .is_some_and(|n| SKIP_DIRS.contains(&n));
                            if skipped_dir {
                                return false;
                            }
                            if e.depth() == 0 || !exclude.skips(e.path(), dir) {
                                return true;
                            }
                            if dir || classify(e.path(), false).is_some() {
                                if let Ok(mut s) = skipped.lock() {
                                    let slash = if dir { "/" } else { "" };
                                    s.push(format!("{}{slash}", display(e.path())));
                                }
                            }
                            false
                        }
                    })
                    .build_parallel();
                // The walk in parallel, as ripgrep walks: directories are read by every core.
                let found = std::sync::Mutex::new(Vec::new());
                let failed = std::sync::Mutex::new(Vec::new());
                walker.run(|| {
                    let (found, failed, cdk_apps) = (&found, &failed, &cdk_apps);
                    Box::new(move |entry| {
                        match entry {
                            Ok(e) if e.file_name() == "cdk.json" => {
                                if let (Some(dir), Ok(mut apps)) =
                                    (e.path().parent(), cdk_apps.lock())
                                {
                                    apps.push((root.clone(), dir.to_path_buf()));
                                }
                            }
                            Ok(e) if e.file_type().is_some_and(|t| t.is_file()) => {
                                if let Some(k) = classify(e.path(), false) {
                                    if let Some(file) = read_found(e.into_path(), k) {
                                        if let Ok(mut f) = found.lock() {
                                            f.push(file);
                                        }
                                    }
                                }
                            }
                            Ok(_) => {}
                            Err(e) => {
                                if let Ok(mut f) = failed.lock() {
                                    f.push(match loop_of(&e) {
                                        Some(child) => Err(format!(
                                            "{child}: a symbolic link back to a directory above it; followed once"
                                        )),
                                        None => Ok(format!("cannot read: {e}")),
                                    });
                                }
                            }
                        }
                        ignore::WalkState::Continue
                    })
                });
                out.extend(found.into_inner().unwrap_or_default());
                if out.len() + cdk_apps.lock().map(|a| a.len()).unwrap_or(0) == found_before {
                    notes.push(format!(
                        "no infrastructure-as-code files under {} (Terraform, CloudFormation, SAM or CDK templates, Terraform plans, serverless.yml){}",
                        display(root),
                        if exclude.is_empty() { "" } else { ", after --exclude" }
                    ));
                }
                for failure in failed.into_inner().unwrap_or_default() {
                    match failure {
                        Ok(message) => errors.push(Problem::in_file(display(root), None, message)),
                        Err(note) => notes.push(note),
                    }
                }
            }
        }
    }
    let mut apps = cdk_apps.into_inner().unwrap_or_default();
    apps.sort();
    let mut cdk = Vec::new();
    for (_, app) in apps {
        cdk.extend(cdk_templates(&app, exclude, notes));
    }
    out.par_extend(
        cdk.into_par_iter()
            .filter_map(|(path, kind)| read_found(path, kind)),
    );
    // Byte order (not path-component order, which costs more): only determinism matters
    // here, reports are sorted by their own keys.
    out.sort_unstable_by(|a, b| a.0.as_os_str().cmp(b.0.as_os_str()).then(a.1.cmp(&b.1)));
    out.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
    if let Ok(mut s) = skipped.lock() {
        excluded.append(&mut s);
    }
    excluded.sort();
    excluded.dedup();
    out
}

/// The link of a directory loop the walker stopped at (the path of the link), if that is
/// what `e` is.
fn loop_of(e: &ignore::Error) -> Option<String> {
    match e {
        ignore::Error::Loop { child, .. } => Some(display(child)),
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => loop_of(err),
        _ => None,
    }
}

/// The templates `cdk synth` wrote for the CDK app in `app` (a directory with cdk.json):
/// `cdk.out/*.template.json` and those of its stages (`cdk.out/assembly-*/`). Read even
/// though the `.gitignore` that `cdk init` writes lists cdk.out, since they are the only
/// form of a CDK app's stages stagelog can judge.
fn cdk_templates(app: &Path, exclude: &Exclude, notes: &mut Vec<String>) -> Vec<(PathBuf, Kind)> {
    let out_dir = app.join("cdk.out");
    if !out_dir.is_dir() {
        notes.push(format!(
            "{}: a CDK app without cdk.out; run `cdk synth` first to have its stacks judged",
            display(&app.join("cdk.json"))
        ));
        return vec![];
    }
    let mut dirs = vec![out_dir.clone()];
    if let Ok(entries) = std::fs::read_dir(&out_dir) {
        dirs.extend(
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("assembly-"))
                }),
        );
    }
    dirs.iter()
        .filter_map(|d| std::fs::read_dir(d).ok())
        .flat_map(|entries| entries.filter_map(Result::ok).map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(".template.json"))
        })
        .filter(|p| !exclude.skips(p, false))
        .map(|p| (p, Kind::Template))
        .collect()
}

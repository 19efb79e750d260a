//! Infrastructure-as-code adapters: find the files, read each source into the model, and
//! report what could not be read. Nothing here judges; see `stagelog-rules`.

pub mod cloudformation;
mod delivery;
mod paths;
pub mod serverless;
pub mod suppress;
pub mod terraform;
mod value;

use paths::{absolute, display};

use rayon::prelude::*;
use stagelog_model::Inventory;
use std::collections::{BTreeMap, HashMap};
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

/// What a scan found. `T` is what each inventory became: the inventory itself
/// ([`scan_with`]), or what [`scan_each`] made of it as soon as it was read.
#[derive(Debug)]
pub struct ScanOutput<T = Inventory> {
    /// One per Terraform module directory and per template, in path order.
    pub inventories: Vec<T>,
    pub errors: Vec<SourceError>,
    /// Files read as Terraform or as templates.
    pub files: usize,
    /// Things worth saying that are neither findings nor errors (what a source does that
    /// stagelog leaves to another place), one line each.
    pub notes: Vec<String>,
    /// The text of every file that gave an inventory, by path, when the scan was asked to keep
    /// it ([`ScanOptions::keep_sources`]): fixes edit this text rather than reading files again.
    pub sources: BTreeMap<String, String>,
}

impl<T> Default for ScanOutput<T> {
    fn default() -> Self {
        ScanOutput {
            inventories: Vec::new(),
            errors: Vec::new(),
            files: 0,
            notes: Vec::new(),
            sources: BTreeMap::new(),
        }
    }
}

impl<T> ScanOutput<T> {
    /// Takes in what another part of the scan read, all but its inventories.
    fn absorb<U>(&mut self, part: ScanOutput<U>) {
        self.files += part.files;
        self.errors.extend(part.errors);
        self.sources.extend(part.sources);
        self.notes.extend(part.notes);
    }
}

/// An inventory handed on as soon as it is read, or kept until the scan ends: a Terraform
/// plan and the root module beside it are merged first ([`merge_plan_with_sources`]).
enum Unit<T> {
    Done(String, T),
    Kept(String, Inventory),
}

impl<T> Unit<T> {
    fn new(
        name: String,
        inv: Inventory,
        keep: bool,
        each: &(dyn Fn(Inventory) -> T + Sync),
    ) -> Unit<T> {
        if keep {
            Unit::Kept(name, inv)
        } else {
            Unit::Done(name, each(inv))
        }
    }
}

/// How to scan.
#[derive(Debug, Clone, Default)]
pub struct ScanOptions {
    /// Globs of paths to leave out (`--exclude`, `exclude` in stagelog.toml), matched against
    /// the path relative to the scanned directory and against any of its directories.
    pub exclude: Vec<String>,
    /// Keep each file's text in [`ScanOutput::sources`] (for `fix`).
    pub keep_sources: bool,
    /// Terraform variable values from outside (`TF_VAR_`, `--var-file`, `--var`).
    pub terraform: std::sync::Arc<terraform::Inputs>,
    /// CloudFormation parameter values from outside (`--parameter`, `--parameters-file`).
    pub parameters: cloudformation::Parameters,
}

/// Compiled `exclude` globs.
#[derive(Clone)]
struct Exclude(globset::GlobSet);

impl Exclude {
    fn new(globs: &[String], errors: &mut Vec<SourceError>) -> Exclude {
        let mut b = globset::GlobSetBuilder::new();
        for g in globs {
            let g = g.trim_end_matches('/');
            match globset::GlobBuilder::new(g)
                .literal_separator(false)
                .build()
            {
                Ok(glob) => {
                    b.add(glob);
                }
                Err(e) => errors.push(SourceError {
                    file: g.to_string(),
                    line: None,
                    message: format!("--exclude: not a glob: {e}"),
                }),
            }
        }
        Exclude(b.build().unwrap_or_else(|_| globset::GlobSet::empty()))
    }

    /// A path (relative to the scanned root) is left out when it, or any directory above it,
    /// matches.
    fn skips(&self, relative: &Path) -> bool {
        if self.0.is_empty() {
            return false;
        }
        relative
            .ancestors()
            .filter(|a| !a.as_os_str().is_empty())
            .any(|a| self.0.is_match(a))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Tf,
    TfJson,
    TfVars,
    Template,
    /// A Terraform plan (`terraform show -json`): a `.json` file found to be one by [`triage`].
    Plan,
    Serverless,
}

fn classify(path: &Path, explicit: bool) -> Option<Kind> {
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
    } else if serverless::is_service_file(name) {
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
type Found = (PathBuf, Kind, Result<String, SourceError>);

/// What a YAML or JSON file named `name` is, from its text: a Terraform plan, a template
/// that could hold something stagelog judges, or (`None`, most of them in a repository) nothing
/// to read further: one byte search, no parse, no samconfig.toml lookup, never an error.
/// Decided once per file, where its text is first had.
fn triage(name: &str, src: &str) -> Option<Kind> {
    if name.ends_with(".json") && terraform::plan::is_plan(src) {
        Some(Kind::Plan)
    } else if cloudformation::could_hold_something(src) {
        Some(Kind::Template)
    } else {
        None
    }
}

/// Reads a file the walk found; a YAML or JSON file that holds nothing is dropped here, text
/// and all.
fn read_found(path: PathBuf, kind: Kind) -> Option<Found> {
    let text = read_text(&path);
    let kind = match (&text, kind) {
        (Ok(src), Kind::Template) => triage(path.file_name()?.to_str()?, src)?,
        _ => kind,
    };
    Some((path, kind, text))
}

/// The files to read under `paths`, sorted, each with how to read it and its text.
fn collect(
    paths: &[PathBuf],
    exclude: &Exclude,
    errors: &mut Vec<SourceError>,
    notes: &mut Vec<String>,
) -> Vec<Found> {
    let mut out = Vec::new();
    let cdk_apps = std::sync::Mutex::new(Vec::new());
    for root in paths {
        match std::fs::metadata(root) {
            Err(e) => errors.push(SourceError {
                file: display(root),
                line: None,
                message: format!("cannot read: {e}"),
            }),
            Ok(m) if m.is_file() => {
                if let Some(k) = classify(root, true) {
                    out.extend(read_found(root.clone(), k));
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
                    .filter_entry({
                        let exclude = exclude.clone();
                        let root = root.clone();
                        move |e| {
                            let skipped_dir = e.file_type().is_some_and(|t| t.is_dir())
                                && e.file_name()
                                    .to_str()
                                    .is_some_and(|n| SKIP_DIRS.contains(&n));
                            !skipped_dir
                                && !exclude.skips(e.path().strip_prefix(&root).unwrap_or(e.path()))
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
                                    f.push(format!("cannot read: {e}"));
                                }
                            }
                        }
                        ignore::WalkState::Continue
                    })
                });
                out.extend(found.into_inner().unwrap_or_default());
                errors.extend(
                    failed
                        .into_inner()
                        .unwrap_or_default()
                        .into_iter()
                        .map(|message| SourceError {
                            file: display(root),
                            line: None,
                            message,
                        }),
                );
            }
        }
    }
    let mut apps = cdk_apps.into_inner().unwrap_or_default();
    apps.sort();
    let mut cdk = Vec::new();
    for (root, app) in apps {
        cdk.extend(cdk_templates(&root, &app, exclude, notes));
    }
    out.par_extend(
        cdk.into_par_iter()
            .filter_map(|(path, kind)| read_found(path, kind)),
    );
    // Byte order (not path-component order, which costs more): only determinism matters
    // here, reports are sorted by their own keys.
    out.sort_unstable_by(|a, b| a.0.as_os_str().cmp(b.0.as_os_str()).then(a.1.cmp(&b.1)));
    out.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
    out
}

/// The templates `cdk synth` wrote for the CDK app in `app` (a directory with cdk.json):
/// `cdk.out/*.template.json` and those of its stages (`cdk.out/assembly-*/`). Read even
/// though the `.gitignore` that `cdk init` writes lists cdk.out, since they are the only
/// form of a CDK app's stages stagelog can judge.
fn cdk_templates(
    root: &Path,
    app: &Path,
    exclude: &Exclude,
    notes: &mut Vec<String>,
) -> Vec<(PathBuf, Kind)> {
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
        .filter(|p| !exclude.skips(p.strip_prefix(root).unwrap_or(p)))
        .map(|p| (p, Kind::Template))
        .collect()
}

fn read_text(path: &Path) -> Result<String, SourceError> {
    let err = |message: String| SourceError {
        file: display(path),
        line: None,
        message,
    };
    // One open per file: its size from the handle, then one read of exactly that much.
    use std::io::Read;
    let mut file = std::fs::File::open(path).map_err(|e| err(format!("cannot read: {e}")))?;
    let len = file
        .metadata()
        .map_err(|e| err(format!("cannot read: {e}")))?
        .len();
    if len > MAX_FILE_BYTES {
        return Err(err(format!(
            "file is {} MiB, over the {} MiB limit; not read",
            len / (1024 * 1024),
            MAX_FILE_BYTES / (1024 * 1024)
        )));
    }
    // Exactly the size the handle gave, without the extra read `read_to_end` makes to see
    // the end (a system call per file); a file that grows meanwhile is read as it was.
    let mut bytes = vec![0; len as usize];
    let mut filled = 0;
    while filled < bytes.len() {
        match file.read(&mut bytes[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(err(format!("cannot read: {e}"))),
        }
    }
    bytes.truncate(filled);
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
    /// The inventory is a Terraform plan's.
    plan: bool,
    errors: Vec<SourceError>,
    files: usize,
    sources: Vec<(String, String)>,
    notes: Vec<String>,
}

/// A file to read: on disk (with its text when the walk read it already), or given in memory
/// (name and text).
enum Input<'a> {
    Disk(&'a Path, Option<Result<String, SourceError>>),
    Memory(&'a str, &'a str),
}

impl Input<'_> {
    fn name(&self) -> String {
        match self {
            Input::Disk(p, _) => display(p),
            Input::Memory(name, _) => name.to_string(),
        }
    }

    /// The file's own name (not its path), to tell what kind of file it is.
    fn kind_name(&self) -> Option<&str> {
        match self {
            Input::Disk(p, _) => p.file_name()?.to_str(),
            Input::Memory(name, _) => Some(name.rsplit('/').next().unwrap_or(name)),
        }
    }

    /// The text, read now unless the walk read it.
    fn into_text(self) -> Result<String, SourceError> {
        match self {
            Input::Disk(p, read) => read.unwrap_or_else(|| read_text(p)),
            Input::Memory(_, text) => Ok(text.to_string()),
        }
    }

    /// The directory a file on disk is in (where its samconfig.toml would be).
    fn disk_dir(&self) -> Option<&Path> {
        match self {
            Input::Disk(p, _) => Some(p.parent().unwrap_or(Path::new("."))),
            Input::Memory(..) => None,
        }
    }
}

/// A parsed Terraform module directory, before evaluation.
struct Parsed {
    module: Option<terraform::Module>,
    errors: Vec<SourceError>,
    files: usize,
    sources: Vec<(String, String)>,
}

/// A prefilter: whether a text holds any of a few words, by byte search (searchers built once
/// per list, on first use), before anything is parsed.
pub(crate) struct AnyWord {
    words: &'static [&'static str],
    finders: std::sync::OnceLock<Vec<memchr::memmem::Finder<'static>>>,
}

impl AnyWord {
    pub(crate) const fn new(words: &'static [&'static str]) -> AnyWord {
        AnyWord {
            words,
            finders: std::sync::OnceLock::new(),
        }
    }

    pub(crate) fn in_text(&self, text: &str) -> bool {
        self.finders
            .get_or_init(|| {
                self.words
                    .iter()
                    .map(|w| memchr::memmem::Finder::new(w.as_bytes()))
                    .collect()
            })
            .iter()
            .any(|f| f.find(text.as_bytes()).is_some())
    }
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
type Texts = Vec<(String, Kind, Result<String, SourceError>)>;

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
                out.push(paths::normalize(&dir.join(value)));
            }
        }
    }
    out
}

/// What could not be read at all might have held anything: said, not guessed.
fn unreadable(texts: Texts) -> Vec<SourceError> {
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
                _ if name.ends_with(".json") => terraform::parse_tfvars_json(&name, &src)
                    .map(|v| (None, vec![(name.clone(), v)], vec![])),
                _ => terraform::parse_tfvars(&name, &src)
                    .map(|v| (None, vec![(name.clone(), v)], vec![])),
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
                (!key.is_empty()).then(|| (key.to_string(), paths::normalize(&root.join(dir))))
            })
            .collect(),
    )
}

/// Terraform: every directory parsed, the modules they call loaded (local sources and what
/// `init` downloaded, any depth), then each root — a directory no other module calls —
/// evaluated with its calls followed.
fn terraform_roots<T: Send>(
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
        .map(|(dir, files)| (paths::normalize(&dir), read_texts(files)))
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
                let target = paths::normalize(&dir.join(source));
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

fn read_serverless(input: Input, keep: bool) -> UnitResult {
    let name = input.name();
    match input.into_text() {
        Err(e) => UnitResult {
            files: 1,
            errors: vec![e],
            ..UnitResult::default()
        },
        Ok(src) => {
            let a = serverless::adapt(&name, &src);
            UnitResult {
                files: 1,
                errors: a.errors,
                sources: if keep {
                    vec![(name.clone(), src)]
                } else {
                    vec![]
                },
                inventory: a.inventory.map(|inv| (name, inv)),
                notes: a.notes,
                plan: false,
            }
        }
    }
}

fn read_plan(input: Input, keep: bool) -> UnitResult {
    let name = input.name();
    let src = match input.into_text() {
        Ok(src) => src,
        Err(e) => {
            return UnitResult {
                files: 1,
                errors: vec![e],
                ..UnitResult::default()
            }
        }
    };
    match terraform::plan::adapt(&name, &src) {
        Ok(inv) => UnitResult {
            files: 1,
            plan: true,
            sources: if keep {
                vec![(name.clone(), src)]
            } else {
                vec![]
            },
            inventory: Some((name, inv)),
            ..UnitResult::default()
        },
        Err(e) => UnitResult {
            files: 1,
            errors: vec![e],
            ..UnitResult::default()
        },
    }
}

/// A CloudFormation, SAM or CDK template (or, unreadable, what may have been one).
fn read_template(input: Input, keep: bool, cfn: &cloudformation::Parameters) -> UnitResult {
    let name = input.name();
    let dir = input.disk_dir().map(Path::to_path_buf);
    match input.into_text() {
        // Unreadable YAML/JSON that is probably not a template is not our business.
        Err(e) => UnitResult {
            files: is_template_name(&name) as usize,
            errors: if is_template_name(&name) {
                vec![e]
            } else {
                vec![]
            },
            ..UnitResult::default()
        },
        // Its text passed [`triage`] where it was read.
        Ok(src) => {
            let (cfn, samconfig_error) = match &dir {
                Some(dir) => cfn.for_template_in(dir),
                None => (std::borrow::Cow::Borrowed(cfn), None),
            };
            let mut a = cloudformation::adapt(&name, &src, &cfn);
            if a.inventory.is_some() {
                a.errors.extend(samconfig_error);
            }
            let sources = if keep && a.inventory.is_some() {
                vec![(name.clone(), src)]
            } else {
                vec![]
            };
            UnitResult {
                files: (a.inventory.is_some() || !a.errors.is_empty()) as usize,
                errors: a.errors,
                inventory: a.inventory.map(|inv| (name, inv)),
                sources,
                notes: vec![],
                plan: false,
            }
        }
    }
}

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
    let exclude = Exclude::new(&opts.exclude, &mut errors);
    let mut notes = Vec::new();
    let files = collect(paths, &exclude, &mut errors, &mut notes);
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
    terraform_inputs: &std::sync::Arc<terraform::Inputs>,
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
                    plan_dirs.insert(paths::normalize(&dir_of(&input)));
                }
                templates.push(input)
            }
            _ => {
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
            templates
                .into_par_iter()
                .map(|(t, kind)| {
                    let mut unit = match kind {
                        Kind::Serverless => read_serverless(t, keep),
                        Kind::Plan => read_plan(t, keep),
                        _ => read_template(t, keep, parameters),
                    };
                    let inventory = unit.inventory.take();
                    let plan = unit.plan;
                    (
                        unit,
                        inventory.map(|(name, inv)| Unit::new(name, inv, plan, each)),
                    )
                })
                .collect()
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
        .filter(|name| !is_config(name))
        .collect();
    for plan in plans {
        merge_plan_with_sources(&plan, &mut kept);
    }
    named.extend(kept.into_iter().map(|(name, inv)| (name, each(inv))));
    named.sort_by(|a, b| a.0.cmp(&b.0));
    out.inventories = named.into_iter().map(|(_, t)| t).collect();
    out
}

/// Whether a source's name is Terraform configuration (not a plan or template).
fn is_config(name: &str) -> bool {
    [".tf", ".tofu", ".tf.json", ".tofu.json"]
        .iter()
        .any(|ext| name.ends_with(ext))
}

/// When a plan's directory is also a scanned root module, each resource is reported once:
/// judged on the plan's values, located at its `.tf` file and line (and call sites), with the
/// configuration's suppression marks. Matched by Terraform address; the configuration's own
/// inventory is then dropped, since the plan says what will exist.
fn merge_plan_with_sources(plan: &str, inventories: &mut Vec<(String, Inventory)>) {
    let dir = Path::new(plan).parent();
    let Some(source_at) = inventories
        .iter()
        .position(|(name, _)| is_config(name) && Path::new(name).parent() == dir)
    else {
        return;
    };
    let Some(plan_at) = inventories.iter().position(|(name, _)| name == plan) else {
        return;
    };
    let (_, mut source) = inventories.remove(source_at);
    let plan_at = if plan_at > source_at {
        plan_at - 1
    } else {
        plan_at
    };
    let mut written: HashMap<String, stagelog_model::Location> = HashMap::new();
    for loc in source.locations_mut() {
        written
            .entry(loc.resource.clone())
            .or_insert_with(|| loc.clone());
    }
    let inv = &mut inventories[plan_at].1;
    for loc in inv.locations_mut() {
        if let Some(at_source) = written.get(&loc.resource) {
            *loc = at_source.clone();
        }
    }
    inv.marks.append(&mut source.marks);
}

fn is_template_name(p: &str) -> bool {
    p.ends_with(".template") || p.ends_with(".template.json") || p.ends_with(".cfn")
}

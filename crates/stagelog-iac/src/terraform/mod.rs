//! Terraform (`.tf`, `.tf.json`, `.tfvars`) → model. A directory is one module: its files share
//! variables, locals and resources, so references across files resolve.

mod eval;
pub mod plan;
mod quick;
pub mod syntax;

use crate::value::{bool_of, int_of, level_of, text_of, Val};
use crate::yaml::{self, Node, NodeValue};
use crate::SourceError;
use eval::{Evaluator, Scope};
use hcl_edit::expr::Expression;
use stagelog_model::{
    AccessLog, AccountSettings, ApiKind, Destination, Inventory, Location, LogGroup,
    MethodSettings, SourceKind, Stage, Text, Value,
};
use syntax::Body;
// Fx hashing: keys are short names hashed per expression evaluated; SipHash was a
// measurable share of a scan.
use rustc_hash::FxHashMap as HashMap;

pub struct Resource {
    pub rtype: String,
    pub name: String,
    pub body: Body,
    file: usize,
    line: u32,
    end_line: u32,
}

pub struct TfFile {
    pub path: String,
    lines: LineIndex,
    pub resources: Vec<Resource>,
    pub variables: Vec<Variable>,
    pub locals: Vec<(String, Expression)>,
    pub marks: Vec<stagelog_model::Mark>,
    /// `module` blocks: calls of other modules.
    pub calls: Vec<ModuleCall>,
    /// `output` blocks: what the module gives its caller.
    pub outputs: Vec<(String, Expression)>,
}

/// A `module "name" { source = … }` block.
pub struct ModuleCall {
    pub name: String,
    /// `source` as written (a literal; anything else cannot be followed).
    pub source: Option<String>,
    pub body: Body,
    /// Where the block is, for the chain of call sites a finding carries.
    pub file: String,
    pub line: u32,
}

/// A `variable` block: its default, and whether values from outside are taken as literal
/// strings (primitive types) or parsed as HCL (lists, maps, objects), as Terraform does.
pub struct Variable {
    pub name: String,
    pub default: Option<Expression>,
    pub primitive: bool,
    /// The type constraint, whose `optional(type, default)` attributes fill in values.
    pub type_expr: Option<Expression>,
    /// `nullable = false`: a null value means the default.
    pub nullable: bool,
}

#[derive(Default)]
pub struct Module {
    pub files: Vec<TfFile>,
    /// `terraform.tfvars` and `*.auto.tfvars` of the directory, each with its file name.
    pub tfvars: Vec<(String, Vec<(String, Expression)>)>,
    /// Values given from outside (environment, `--var-file`, `--var`), for root modules.
    pub inputs: std::sync::Arc<Inputs>,
    /// The module's directory, which local `source`s are relative to.
    pub dir: std::path::PathBuf,
}

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

/// `a/b/../c` → `a/c`, without touching the file system (the path may be in memory).
pub fn normalize(p: &std::path::Path) -> std::path::PathBuf {
    use std::path::Component;
    let mut out = std::path::PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if out.file_name().is_some() => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// The instances `count` or `for_each` make of a resource or a module call, each with its
/// address suffix (`[0]`, `["eu"]`) and bindings. `count = 0` or an empty collection makes
/// none; a count or collection not known here makes one instance, its key unknown.
fn expand(ev: &Evaluator, body: &Body) -> Vec<(String, Scope)> {
    let none = Scope::default();
    let counted = |n: usize| -> Vec<(String, Scope)> {
        (0..n.min(1000))
            .map(|i| {
                (
                    format!("[{i}]"),
                    Scope {
                        count_index: Some(Val::Num(i as f64)),
                        ..Scope::default()
                    },
                )
            })
            .collect()
    };
    if let Some(count) = body.get_attribute("count") {
        return match ev.eval(&count.value, &none) {
            Val::Num(n) if n >= 0.0 => counted(n as usize),
            Val::Bool(b) => counted(b as usize),
            _ => vec![(String::new(), none)],
        };
    }
    if let Some(fe) = body.get_attribute("for_each") {
        let items: Option<Vec<(Val, Val)>> = match ev.eval(&fe.value, &none) {
            Val::Obj(entries) => Some(
                entries
                    .into_iter()
                    .map(|(k, v)| (Val::str(&k), v))
                    .collect(),
            ),
            Val::List(items) if items.iter().all(Val::is_known) => {
                Some(items.into_iter().map(|v| (v.clone(), v)).collect())
            }
            _ => None,
        };
        return match items {
            Some(items) => items
                .into_iter()
                .map(|(k, v)| {
                    (
                        format!("[{}]", quote(&k.to_text().to_string())),
                        Scope {
                            each_key: Some(k),
                            each_value: Some(v),
                            ..Scope::default()
                        },
                    )
                })
                .collect(),
            None => vec![(String::new(), none)],
        };
    }
    vec![(String::new(), none)]
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

/// Variable values from outside the configuration, as Terraform takes them, lowest precedence
/// first: `TF_VAR_name` from the environment, then (after the directory's tfvars files)
/// `--var-file` files and `--var NAME=VALUE` in the order the command line gives them.
#[derive(Debug, Default)]
pub struct Inputs {
    /// `TF_VAR_name` → raw value.
    pub env: Vec<(String, String)>,
    /// `--var-file` values (parsed) and `--var`s (raw), in command-line order.
    pub given: Vec<Given>,
}

/// One value from the command line.
#[derive(Debug)]
pub enum Given {
    /// From a `--var-file`: an expression.
    File(String, Expression),
    /// `--var NAME=VALUE`: the raw value.
    Var(String, String),
}

/// A `--var-file` path or a `--var NAME=VALUE`, as the command line orders them.
pub enum CommandLine {
    VarFile(std::path::PathBuf),
    Var(String),
}

impl Inputs {
    /// Reads `--var-file` files (HCL `.tfvars` or `.tfvars.json`) and splits `--var`s.
    pub fn new(env: Vec<(String, String)>, given: &[CommandLine]) -> Result<Inputs, SourceError> {
        let mut out = Vec::new();
        for item in given {
            match item {
                CommandLine::VarFile(path) => {
                    let name = path.display().to_string();
                    let src = std::fs::read_to_string(path).map_err(|e| SourceError {
                        file: name.clone(),
                        line: None,
                        message: format!("--var-file: cannot read: {e}"),
                    })?;
                    let values = if name.ends_with(".json") {
                        parse_tfvars_json(&name, &src)?
                    } else {
                        parse_tfvars(&name, &src)?
                    };
                    out.extend(values.into_iter().map(|(k, v)| Given::File(k, v)));
                }
                CommandLine::Var(v) => {
                    let (k, value) = v.split_once('=').ok_or_else(|| SourceError {
                        file: "--var".into(),
                        line: None,
                        message: format!("`{v}`: expected NAME=VALUE"),
                    })?;
                    out.push(Given::Var(k.trim().to_string(), value.to_string()));
                }
            }
        }
        Ok(Inputs { env, given: out })
    }
}

/// Byte offset → 1-based line; for `.tf.json` converted to HCL, maps back to the JSON's lines.
struct LineIndex {
    starts: Vec<usize>,
    json_lines: Option<Vec<u32>>,
}

impl LineIndex {
    fn new(src: &str, json_lines: Option<Vec<u32>>) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(memchr_newlines(src));
        LineIndex { starts, json_lines }
    }

    fn line(&self, offset: usize) -> u32 {
        let idx = self.starts.partition_point(|s| *s <= offset).max(1) - 1;
        match &self.json_lines {
            Some(map) => map.get(idx).copied().unwrap_or(1),
            None => idx as u32 + 1,
        }
    }
}

fn memchr_newlines(src: &str) -> impl Iterator<Item = usize> + '_ {
    src.bytes()
        .enumerate()
        .filter(|(_, b)| *b == b'\n')
        .map(|(i, _)| i + 1)
}

fn hcl_error(path: &str, e: &hcl_edit::parser::Error, lines: Option<&LineIndex>) -> SourceError {
    let loc = e.location();
    // A `.tf.json` file is parsed as converted HCL: only its line maps back, not the column.
    let (line, column) = match lines {
        Some(l) => (l.line(loc.offset()), String::new()),
        None => (loc.line() as u32, format!(" (column {})", loc.column())),
    };
    SourceError {
        file: path.to_string(),
        line: Some(line),
        message: format!("cannot parse HCL: {}{column}", e.message()),
    }
}

pub fn parse_tf(path: &str, src: &str) -> Result<TfFile, SourceError> {
    let body = syntax::parse_body(src).map_err(|e| hcl_error(path, &e, None))?;
    Ok(extract(path, body, LineIndex::new(src, None), Some(src)))
}

/// A JSON file, checked as JSON (the YAML loader, which gives lines, would take trailing
/// commas and comments too) and loaded with its lines.
fn load_json(path: &str, src: &str) -> Result<yaml::Loaded, SourceError> {
    let err = |line: u32, message: String| SourceError {
        file: path.to_string(),
        line: Some(line),
        message: format!("cannot parse JSON: {message}"),
    };
    if let Some((line, message)) = crate::json_syntax_error(src) {
        return Err(err(line, message));
    }
    yaml::load(src).map_err(|i| err(i.line, i.message))
}

/// `.tfvars.json`: a JSON object of values.
pub fn parse_tfvars_json(path: &str, src: &str) -> Result<Vec<(String, Expression)>, SourceError> {
    let loaded = load_json(path, src)?;
    let mut text = String::new();
    for (k, v) in loaded
        .root
        .as_ref()
        .and_then(Node::as_map)
        .unwrap_or_default()
    {
        let Some(key) = k.as_str().filter(|k| is_ident(k)) else {
            continue;
        };
        let mut expr = String::new();
        json_expr(v, &mut expr);
        text.push_str(&format!("{key} = {expr}\n"));
    }
    parse_tfvars(path, &text)
}

/// `.tfvars`: `name = value` lines.
pub fn parse_tfvars(path: &str, src: &str) -> Result<Vec<(String, Expression)>, SourceError> {
    let body = syntax::parse_body(src).map_err(|e| hcl_error(path, &e, None))?;
    Ok(body.into_attributes().map(|a| (a.key, a.value)).collect())
}

/// The file's resources, variables and locals; with the HCL text (not for `.tf.json`, which
/// has no comments), the suppression marks on each resource too.
fn extract(path: &str, body: Body, lines: LineIndex, src: Option<&str>) -> TfFile {
    let mut file = TfFile {
        path: path.to_string(),
        lines,
        resources: vec![],
        variables: vec![],
        locals: vec![],
        marks: vec![],
        calls: vec![],
        outputs: vec![],
    };
    let text_lines: Vec<&str> = src
        .filter(|s| crate::suppress::may_hold_marks(s))
        .map(|s| s.lines().collect())
        .unwrap_or_default();
    if let Some(src) = src {
        file.marks
            .extend(crate::suppress::kics_file_marks(path, src));
    }
    for block in body.into_blocks() {
        let line = file.lines.line(block.span.start);
        let end_line = file.lines.line(block.span.end.saturating_sub(1));
        match (block.ident.as_str(), block.labels.as_slice()) {
            ("resource", [t, n]) => {
                let (rtype, name) = (t.clone(), n.clone());
                if !text_lines.is_empty() {
                    file.marks.extend(crate::suppress::hcl_block_marks(
                        path,
                        &text_lines,
                        line,
                        end_line,
                    ));
                }
                file.resources.push(Resource {
                    rtype,
                    name,
                    body: block.body,
                    file: 0,
                    line,
                    end_line,
                });
            }
            ("variable", [n]) => {
                let name = n.clone();
                let default = block.body.get_attribute("default").map(|a| a.value.clone());
                let type_expr = block.body.get_attribute("type").map(|a| a.value.clone());
                let primitive = type_expr.as_ref().is_none_or(|t| {
                    matches!(t.to_string().trim(), "string" | "number" | "bool" | "any")
                });
                let nullable = block
                    .body
                    .get_attribute("nullable")
                    .is_none_or(|a| a.value.to_string().trim() != "false");
                file.variables.push(Variable {
                    name,
                    default,
                    primitive,
                    type_expr,
                    nullable,
                });
            }
            ("locals", []) => {
                for a in block.body.into_attributes() {
                    file.locals.push((a.key, a.value));
                }
            }
            ("module", [n]) => {
                let source = block
                    .body
                    .get_attribute("source")
                    .and_then(|a| match &a.value {
                        Expression::String(s) => Some(s.value().to_string()),
                        _ => None,
                    });
                file.calls.push(ModuleCall {
                    name: n.clone(),
                    source,
                    file: path.to_string(),
                    line,
                    body: block.body,
                });
            }
            ("output", [n]) => {
                if let Some(v) = block.body.get_attribute("value") {
                    file.outputs.push((n.clone(), v.value.clone()));
                }
            }
            _ => {}
        }
    }
    file
}

/// Nested blocks of the resources stagelog reads; in JSON syntax they look like attributes.
const BLOCKS: &[&str] = &[
    "access_log_settings",
    "default_route_settings",
    "route_settings",
    "settings",
    "canary_settings",
    "content",
    "lifecycle",
];

/// `.tf.json`: converted to HCL text (keeping a map to the JSON's lines), then read as HCL.
pub fn parse_tf_json(path: &str, src: &str) -> Result<(TfFile, Vec<SourceError>), SourceError> {
    let loaded = load_json(path, src)?;
    let Some(root) = loaded.root else {
        return Ok((
            extract(path, Body::default(), LineIndex::new("", None), None),
            vec![],
        ));
    };
    let mut w = HclWriter::default();
    for (section, v) in root.as_map().unwrap_or_default() {
        match section.as_str() {
            Some("resource") => {
                for (rtype, named) in v.as_map().unwrap_or_default() {
                    for (name, body) in named.as_map().unwrap_or_default() {
                        for body in one_or_many(body) {
                            w.line(
                                &format!(
                                    "resource {} {} {{",
                                    quote(rtype.as_str().unwrap_or("")),
                                    quote(name.as_str().unwrap_or(""))
                                ),
                                name.line,
                            );
                            w.body(body);
                            w.line("}", body.line);
                        }
                    }
                }
            }
            Some("variable") => {
                for (name, body) in v.as_map().unwrap_or_default() {
                    w.line(
                        &format!("variable {} {{", quote(name.as_str().unwrap_or(""))),
                        name.line,
                    );
                    if let Some(d) = body.get("default") {
                        let mut expr = String::new();
                        json_expr(d, &mut expr);
                        w.line(&format!("default = {expr}"), d.line);
                    }
                    if let Some(t) = body.get("type").and_then(Node::as_str) {
                        // `"type": "list(string)"` is a type expression written as a string.
                        if t.chars()
                            .all(|c| c.is_ascii_alphanumeric() || "(),_ {}=".contains(c))
                        {
                            w.line(&format!("type = {t}"), body.line);
                        }
                    }
                    w.line("}", body.line);
                }
            }
            Some("locals") => {
                for body in one_or_many(v) {
                    w.line("locals {", body.line);
                    w.body(body);
                    w.line("}", body.line);
                }
            }
            Some(section @ ("module" | "output")) => w.labelled(section, v),
            _ => {}
        }
    }
    let lines = LineIndex::new(&w.text, Some(w.json_lines.clone()));
    let body = syntax::parse_body(&w.text).map_err(|e| hcl_error(path, &e, Some(&lines)))?;
    let file = extract(path, body, lines, None);
    // Duplicate keys: the last one is used, and said so rather than merged silently.
    let issues = loaded
        .issues
        .into_iter()
        .map(|i| SourceError {
            file: path.to_string(),
            line: Some(i.line),
            message: i.message,
        })
        .collect();
    Ok((file, issues))
}

fn one_or_many(n: &Node) -> Vec<&Node> {
    match &n.value {
        NodeValue::Seq(items) => items.iter().collect(),
        _ => vec![n],
    }
}

#[derive(Default)]
struct HclWriter {
    text: String,
    json_lines: Vec<u32>,
}

impl HclWriter {
    fn line(&mut self, s: &str, json_line: u32) {
        self.text.push_str(s);
        self.text.push('\n');
        self.json_lines.push(json_line);
    }

    /// `kind "name" { … }` for each name of a JSON object (`module`, `output`, `dynamic`), one
    /// block per item where the value is a list.
    fn labelled(&mut self, kind: &str, v: &Node) {
        for (name, body) in v.as_map().unwrap_or_default() {
            for body in one_or_many(body) {
                self.line(
                    &format!("{kind} {} {{", quote(name.as_str().unwrap_or(""))),
                    name.line,
                );
                self.body(body);
                self.line("}", body.line);
            }
        }
    }

    fn body(&mut self, body: &Node) {
        for (k, v) in body.as_map().unwrap_or_default() {
            let Some(key) = k.as_str() else { continue };
            if key == "//" {
                continue; // JSON syntax comments
            }
            if key == "dynamic" {
                self.labelled("dynamic", v);
            } else if BLOCKS.contains(&key) && one_or_many(v).iter().all(|b| b.as_map().is_some()) {
                for b in one_or_many(v) {
                    self.line(&format!("{key} {{"), b.line);
                    self.body(b);
                    self.line("}", b.line);
                }
            } else if is_ident(key) {
                let mut expr = String::new();
                json_expr(v, &mut expr);
                // Multi-line expressions would break the line map: json_expr writes one line.
                self.line(&format!("{key} = {expr}"), k.line);
            }
        }
    }
}

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A JSON value as a one-line HCL expression; strings stay templates, as Terraform reads them.
fn json_expr(n: &Node, out: &mut String) {
    match &n.value {
        NodeValue::Scalar { text, plain } => {
            if *plain
                && (text == "null"
                    || text == "true"
                    || text == "false"
                    || text.parse::<f64>().is_ok())
            {
                out.push_str(text);
            } else {
                out.push_str(&quote(text));
            }
        }
        NodeValue::Seq(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                json_expr(item, out);
            }
            out.push(']');
        }
        NodeValue::Map(entries) => {
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&quote(k.as_str().unwrap_or("")));
                out.push_str(" = ");
                json_expr(v, out);
            }
            out.push('}');
        }
    }
}

// ---------------------------------------------------------------------------------------
// Module → inventory

struct Instance<'m> {
    res: &'m Resource,
    address: String,
    scope: Scope,
}

impl Module {
    pub fn finish(mut self) -> Module {
        for (i, f) in self.files.iter_mut().enumerate() {
            for r in &mut f.resources {
                r.file = i;
            }
        }
        self
    }

    fn loc(&self, r: &Resource, address: &str, offset: Option<usize>) -> Location {
        let file = &self.files[r.file];
        Location {
            source: SourceKind::Terraform,
            file: Some(file.path.clone()),
            line: Some(offset.map(|o| file.lines.line(o)).unwrap_or(r.line)),
            end_line: Some(r.end_line),
            resource: address.to_string(),
            resource_type: Some(r.rtype.clone()),
            account: None,
            via: vec![],
            region: None,
        }
    }

    /// This module as a root, its module calls not followed (see [`ModuleSet`]).
    pub fn inventory(&self) -> Inventory {
        let set = ModuleSet::default();
        self.root_inventory(&set, &mut vec![])
    }

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
            cwd: crate::absolute(&ctx.root).to_string_lossy().into_owned(),
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

    fn fill(&self, ev: &Evaluator, inv: &mut Inventory, groups: &mut HashMap<String, usize>) {
        let mut by_type: HashMap<&str, Vec<Instance>> = HashMap::default();
        for file in &self.files {
            for r in &file.resources {
                by_type
                    .entry(r.rtype.as_str())
                    .or_default()
                    .extend(instances(ev, r));
            }
        }
        let of = |t: &str| by_type.get(t).map(Vec::as_slice).unwrap_or_default();
        for inst in of("aws_cloudwatch_log_group") {
            let a = |k: &str| attr(ev, inst, k);
            let name = match (a("name"), a("name_prefix")) {
                (Some(v), _) => v.to_text(),
                (None, Some(p)) => {
                    let mut t = p.to_text();
                    t.push_hole("random suffix");
                    t
                }
                (None, None) => Text::hole(format!("{}.name", inst.address)),
            };
            groups
                .entry(format!("{}.{}", inst.res.rtype, inst.res.name))
                .or_insert(inv.log_groups.len());
            let mut group = LogGroup::declared(
                name,
                a("retention_in_days").and_then(|v| int_of(&v)),
                a("kms_key_id").and_then(|v| text_of(&v)),
                self.loc(inst.res, &inst.address, None),
            );
            group.class = a("log_group_class")
                .and_then(|v| text_of(&v))
                .and_then(|t| t.as_known())
                .and_then(|c| stagelog_model::LogClass::parse(&c));
            inv.log_groups.push(group);
        }

        for inst in of("aws_api_gateway_stage") {
            let name = attr(ev, inst, "stage_name")
                .map(|v| v.to_text())
                .unwrap_or_default();
            let api = attr(ev, inst, "rest_api_id");
            inv.stages.push(Stage {
                api_name: api.as_ref().and_then(|a| api_name(ev, a)),
                api: api.map(|v| Text::lit(v.key())),
                access_log: self.access_log(ev, inst, groups),
                ..Stage::new(ApiKind::Rest, name, self.loc(inst.res, &inst.address, None))
            });
        }
        // A deployment with stage_name creates that stage (deprecated, still common).
        for inst in of("aws_api_gateway_deployment") {
            let Some(name) = attr(ev, inst, "stage_name").map(|v| v.to_text()) else {
                continue;
            };
            if name.is_empty() {
                continue;
            }
            inv.stages.push(Stage {
                api: attr(ev, inst, "rest_api_id").map(|v| Text::lit(v.key())),
                ..Stage::new(ApiKind::Rest, name, self.loc(inst.res, &inst.address, None))
            });
        }
        self.attach_method_settings(ev, of("aws_api_gateway_method_settings"), inv);

        for inst in of("aws_apigatewayv2_stage") {
            let api = attr(ev, inst, "api_id");
            let kind = match &api {
                Some(Val::Ref { addr, .. }) => addr
                    .strip_prefix("aws_apigatewayv2_api.")
                    .and_then(|n| ev.resources.get(&("aws_apigatewayv2_api", n)))
                    .map(|api| protocol(ev, api))
                    .unwrap_or(ApiKind::V2),
                _ => ApiKind::V2,
            };
            let mut stage = Stage {
                api_name: api.as_ref().and_then(|a| api_name(ev, a)),
                api: api.map(|v| Text::lit(v.key())),
                access_log: self.access_log(ev, inst, groups),
                ..Stage::new(
                    kind,
                    attr(ev, inst, "name")
                        .map(|v| v.to_text())
                        .unwrap_or_default(),
                    self.loc(inst.res, &inst.address, None),
                )
            };
            match nested(ev, inst, &inst.res.body, "default_route_settings") {
                Blocks::Known(found) => {
                    if let Some(b) = found.first() {
                        stage.default_settings = self.settings(ev, inst, b);
                    }
                }
                Blocks::Unknown(why) => {
                    stage.default_settings.logging_level = Some(Value::Unknown(why));
                }
            }
            if let Blocks::Known(found) = nested(ev, inst, &inst.res.body, "route_settings") {
                for b in &found {
                    let key = b
                        .body
                        .get_attribute("route_key")
                        .map(|a| ev.eval(&a.value, &b.scope).to_text().to_string())
                        .unwrap_or_default();
                    stage.overrides.push((key, self.settings(ev, inst, b)));
                }
            }
            inv.stages.push(stage);
        }
        for inst in of("aws_apigatewayv2_api") {
            // Quick create: a `target` with a value makes a `$default` stage with no logging.
            // `null` (a module's default) makes none, and a value not known here is not
            // guessed into a stage.
            match attr(ev, inst, "target") {
                None | Some(Val::Null) => continue,
                // An attribute of a resource or data source (a function's ARN) always has a
                // value, declared here or not; a variable, local or module output may be null.
                Some(Val::Unknown(e)) if !(e.starts_with("aws_") || e.starts_with("data.")) => {
                    continue
                }
                Some(_) => {}
            }
            inv.stages.push(Stage {
                api: Some(Text::lit(&inst.address)),
                ..Stage::new(
                    protocol(ev, inst.res),
                    Text::lit("$default"),
                    self.loc(inst.res, &inst.address, None),
                )
            });
        }
        self.attach_deliveries(ev, &of, inv, groups);
        for inst in of("aws_api_gateway_account") {
            inv.accounts.push(AccountSettings {
                cloudwatch_role_arn: attr(ev, inst, "cloudwatch_role_arn")
                    .and_then(|v| text_of(&v)),
                role: None,
                location: self.loc(inst.res, &inst.address, None),
            });
        }
        inv.marks
            .extend(self.files.iter().flat_map(|f| f.marks.clone()));
    }

    fn access_log(
        &self,
        ev: &Evaluator,
        inst: &Instance,
        groups: &HashMap<String, usize>,
    ) -> Option<Value<AccessLog>> {
        let b = match nested(ev, inst, &inst.res.body, "access_log_settings") {
            Blocks::Unknown(why) => return Some(Value::Unknown(why)),
            Blocks::Known(found) => found.into_iter().next()?,
        };
        let dest = b
            .body
            .get_attribute("destination_arn")
            .map(|a| ev.eval(&a.value, &b.scope));
        let destination = dest.and_then(|d| match d {
            Val::Null => None,
            Val::Ref { addr, text, .. } => Some(Destination {
                arn: text,
                log_group: groups.get(&addr).copied(),
            }),
            other => Some(Destination {
                arn: other.to_text(),
                log_group: None,
            }),
        });
        let format = b
            .body
            .get_attribute("format")
            .and_then(|a| text_of(&ev.eval(&a.value, &b.scope)));
        Some(Value::Known(AccessLog {
            destination,
            format,
            line: b.start.map(|s| self.files[inst.res.file].lines.line(s)),
        }))
    }

    fn settings(&self, ev: &Evaluator, inst: &Instance, b: &Nested) -> MethodSettings {
        let get = |k: &str| b.body.get_attribute(k).map(|a| ev.eval(&a.value, &b.scope));
        MethodSettings {
            logging_level: get("logging_level").and_then(|v| level_of(&v)),
            data_trace: get("data_trace_enabled").and_then(|v| bool_of(&v)),
            location: b.start.map(|o| self.loc(inst.res, &inst.address, Some(o))),
        }
    }

    /// Execution-log deliveries: `aws_cloudwatch_log_delivery_source` (log type
    /// `EXECUTION_LOGS`, the stage's ARN), `…_delivery_destination` and `…_delivery`.
    fn attach_deliveries<'i>(
        &self,
        ev: &Evaluator,
        of: &dyn Fn(&str) -> &'i [Instance<'i>],
        inv: &mut Inventory,
        groups: &HashMap<String, usize>,
    ) where
        Self: 'i,
    {
        let key = |inst: &Instance| format!("{}.{}", inst.res.rtype, inst.res.name);
        let text = |inst: &Instance, k: &str| {
            attr(ev, inst, k)
                .map(|v| v.to_text())
                .unwrap_or_else(|| Text::hole(format!("{}.{k}", inst.address)))
        };
        let sources: Vec<crate::delivery::Source> = of("aws_cloudwatch_log_delivery_source")
            .iter()
            .map(|inst| crate::delivery::Source {
                key: key(inst),
                name: text(inst, "name"),
                log_type: text(inst, "log_type"),
                resource_arn: attr(ev, inst, "resource_arn")
                    .unwrap_or_else(|| Val::Unknown(format!("{}.resource_arn", inst.address))),
            })
            .collect();
        if sources.is_empty() {
            return;
        }
        let destinations: Vec<crate::delivery::Destination> =
            of("aws_cloudwatch_log_delivery_destination")
                .iter()
                .map(|inst| crate::delivery::Destination {
                    key: key(inst),
                    name: text(inst, "name"),
                    resource_arn: match nested(
                        ev,
                        inst,
                        &inst.res.body,
                        "delivery_destination_configuration",
                    ) {
                        Blocks::Known(found) => found
                            .first()
                            .and_then(|b| {
                                b.body
                                    .get_attribute("destination_resource_arn")
                                    .map(|a| ev.eval(&a.value, &b.scope))
                            })
                            .unwrap_or(Val::Null),
                        Blocks::Unknown(why) => Val::Unknown(why),
                    },
                })
                .collect();
        let deliveries = of("aws_cloudwatch_log_delivery")
            .iter()
            .map(|inst| crate::delivery::Delivery {
                source: attr(ev, inst, "delivery_source_name").unwrap_or(Val::Null),
                destination: attr(ev, inst, "delivery_destination_arn").unwrap_or(Val::Null),
                location: self.loc(inst.res, &inst.address, None),
            })
            .collect();
        crate::delivery::attach(inv, &sources, &destinations, deliveries, groups);
    }

    /// `aws_api_gateway_method_settings` attach to stages by (REST API, stage name). Settings
    /// that match no stage make the REST stages' levels unknown rather than "missing".
    fn attach_method_settings(&self, ev: &Evaluator, list: &[Instance], inv: &mut Inventory) {
        for inst in list {
            let api = attr(ev, inst, "rest_api_id").map(|v| v.key());
            let stage_name = attr(ev, inst, "stage_name").map(|v| v.to_text());
            let path = attr(ev, inst, "method_path")
                .map(|v| v.to_text().to_string())
                .unwrap_or_default();
            let settings = match nested(ev, inst, &inst.res.body, "settings") {
                Blocks::Known(found) => match found.first() {
                    Some(b) => {
                        let mut s = self.settings(ev, inst, b);
                        s.location = Some(self.loc(inst.res, &inst.address, None));
                        s
                    }
                    None => MethodSettings {
                        location: Some(self.loc(inst.res, &inst.address, None)),
                        ..MethodSettings::default()
                    },
                },
                Blocks::Unknown(why) => MethodSettings {
                    logging_level: Some(Value::Unknown(why.clone())),
                    data_trace: Some(Value::Unknown(why)),
                    location: Some(self.loc(inst.res, &inst.address, None)),
                },
            };
            let mut matched = false;
            for stage in inv
                .stages
                .iter_mut()
                .filter(|s| s.api_kind == ApiKind::Rest)
            {
                let same_api = match (&api, &stage.api) {
                    (Some(a), Some(b)) => *a == b.to_string(),
                    // Without rest_api_id (an error `validate` reports) the stage name alone.
                    (None, _) => true,
                    _ => false,
                };
                if same_api && stage_name.as_ref() == Some(&stage.name) {
                    matched = true;
                    if path == "*/*" {
                        stage.default_settings = settings.clone();
                    } else {
                        stage.overrides.push((path.clone(), settings.clone()));
                    }
                }
            }
            if !matched {
                let why = format!("{} (stage not resolved)", inst.address);
                for stage in inv.stages.iter_mut().filter(|s| {
                    s.api_kind == ApiKind::Rest
                        && s.default_settings.logging_level.is_none()
                        && (api.is_none()
                            || s.api.as_ref().map(|a| a.to_string()) == api
                            || stage_name.as_ref().is_none_or(|n| n.has_holes()))
                }) {
                    stage.default_settings.logging_level = Some(Value::Unknown(why.clone()));
                }
            }
        }
    }
}

/// The `name` of the API a stage's `rest_api_id`/`api_id` refers to, when it is known.
fn api_name(ev: &Evaluator, api: &Val) -> Option<String> {
    let Val::Ref { addr, .. } = api else {
        return None;
    };
    let (rtype, name) = addr.split_once('.')?;
    let res = ev.resources.get(&(rtype, name))?;
    let value = res.body.get_attribute("name")?;
    ev.eval(&value.value, &Scope::default())
        .to_text()
        .as_known()
}

/// One nested block as Terraform will have it: its body, where it starts, and the scope its
/// attributes evaluate in (with a `dynamic` block's iterator).
struct Nested<'a> {
    body: &'a Body,
    start: Option<usize>,
    scope: Scope,
}

enum Blocks<'a> {
    Known(Vec<Nested<'a>>),
    /// A `dynamic` block whose `for_each` is not known here.
    Unknown(String),
}

/// Blocks of the resources stagelog reads that Terraform's AWS provider takes only as blocks.
const BLOCKS_OF: &[(&str, &str)] = &[
    ("aws_api_gateway_stage", "access_log_settings"),
    ("aws_apigatewayv2_stage", "access_log_settings"),
    ("aws_apigatewayv2_stage", "default_route_settings"),
    ("aws_apigatewayv2_stage", "route_settings"),
    ("aws_api_gateway_method_settings", "settings"),
];

/// Arguments Terraform requires of the resources stagelog reads.
const REQUIRED: &[(&str, &[&str])] = &[
    (
        "aws_api_gateway_method_settings",
        &["rest_api_id", "stage_name", "method_path"],
    ),
    ("aws_api_gateway_stage", &["rest_api_id", "stage_name"]),
    ("aws_apigatewayv2_stage", &["api_id", "name"]),
];

/// What `terraform validate` would reject in one module's files, as errors with file and line:
/// a resource address declared twice, a required argument missing, a block written as an
/// attribute. The stages are still judged as far as the input allows.
pub fn validate(files: &[TfFile]) -> Vec<SourceError> {
    let mut out = Vec::new();
    let mut seen: HashMap<(&str, &str), (&str, u32)> = HashMap::default();
    for file in files {
        let at = |line: u32, message: String| SourceError {
            file: file.path.clone(),
            line: Some(line),
            message: format!("Terraform would reject this: {message}"),
        };
        for r in &file.resources {
            // Only for messages: most resources have none.
            let address = || format!("{}.{}", r.rtype, r.name);
            if let Some((first_file, first_line)) =
                seen.insert((&r.rtype, &r.name), (&file.path, r.line))
            {
                out.push(at(
                    r.line,
                    format!(
                        "{} is declared twice (also at {first_file}:{first_line})",
                        address()
                    ),
                ));
            }
            for (_, args) in REQUIRED.iter().filter(|(t, _)| *t == r.rtype) {
                for arg in args.iter() {
                    if r.body.get_attribute(arg).is_none() {
                        out.push(at(r.line, format!("{} has no {arg}", address())));
                    }
                }
            }
            for (_, block) in BLOCKS_OF.iter().filter(|(t, _)| *t == r.rtype) {
                if let Some(a) = r.body.get_attribute(block) {
                    let line = file.lines.line(a.span.start);
                    out.push(at(
                        line,
                        format!(
                            "{}: {block} is a block; write `{block} {{ … }}` without `=`",
                            address()
                        ),
                    ));
                }
            }
        }
    }
    out
}

/// The `name` blocks of a body: written ones, and `dynamic "name"` blocks expanded as
/// Terraform expands them when their `for_each` is known (0..n blocks, the iterator named by
/// `iterator` or the block's name, with `.key` and `.value`).
fn nested<'a>(ev: &Evaluator, inst: &Instance, body: &'a Body, name: &str) -> Blocks<'a> {
    // Written as an attribute (`name = { … }`), which Terraform rejects (`validate` says so):
    // what was meant is not known.
    if body.get_attribute(name).is_some() {
        return Blocks::Unknown(format!("{} (`{name} =` is not a block)", inst.address));
    }
    // `blocks()` and a filter rather than `get_blocks(name)`, whose items would borrow `name`.
    let mut out: Vec<Nested> = body
        .blocks()
        .filter(|b| b.ident.as_str() == name)
        .map(|b| Nested {
            body: &b.body,
            start: Some(b.span.start),
            scope: inst.scope.clone(),
        })
        .collect();
    for d in body
        .blocks()
        .filter(|b| b.ident.as_str() == "dynamic")
        .filter(|b| b.labels.first().is_some_and(|l| l == name))
    {
        let Some(content) = d.body.blocks().find(|b| b.ident.as_str() == "content") else {
            continue;
        };
        let iterator = d
            .body
            .get_attribute("iterator")
            .map(|a| a.value.to_string().trim().to_string())
            .unwrap_or_else(|| name.to_string());
        let items: Vec<(Val, Val)> = match d
            .body
            .get_attribute("for_each")
            .map(|a| ev.eval(&a.value, &inst.scope))
        {
            Some(Val::List(items)) if items.iter().all(Val::is_known) => items
                .into_iter()
                .enumerate()
                .map(|(i, v)| (Val::Num(i as f64), v))
                .collect(),
            Some(Val::Obj(entries)) => entries
                .into_iter()
                .map(|(k, v)| (Val::str(&k), v))
                .collect(),
            Some(Val::Null) => vec![],
            _ => return Blocks::Unknown(format!("dynamic {name} (for_each not known here)")),
        };
        for (key, value) in items {
            let mut scope = inst.scope.clone();
            scope.iterators.push((
                iterator.clone(),
                Val::Obj(vec![("key".into(), key), ("value".into(), value)]),
            ));
            out.push(Nested {
                body: &content.body,
                start: Some(d.span.start),
                scope,
            });
        }
    }
    Blocks::Known(out)
}

fn attr(ev: &Evaluator, inst: &Instance, key: &str) -> Option<Val> {
    inst.res
        .body
        .get_attribute(key)
        .map(|a| ev.eval(&a.value, &inst.scope))
}

fn protocol(ev: &Evaluator, api: &Resource) -> ApiKind {
    let p = api
        .body
        .get_attribute("protocol_type")
        .map(|a| ev.eval(&a.value, &Scope::default()).to_text().as_known());
    match p {
        Some(Some(p)) if p.eq_ignore_ascii_case("WEBSOCKET") => ApiKind::WebSocket,
        Some(Some(p)) if p.eq_ignore_ascii_case("HTTP") => ApiKind::Http,
        _ => ApiKind::V2,
    }
}

/// A resource's instances (see [`expand`]), with their addresses.
fn instances<'m>(ev: &Evaluator<'m>, r: &'m Resource) -> Vec<Instance<'m>> {
    expand(ev, &r.body)
        .into_iter()
        .map(|(suffix, scope)| Instance {
            res: r,
            address: format!("{}.{}{suffix}", r.rtype, r.name),
            scope,
        })
        .collect()
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

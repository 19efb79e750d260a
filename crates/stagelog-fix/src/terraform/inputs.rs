//! A setting a module reads from its inputs (`logging_level = var.logging.level`) is fixed
//! where the value comes from, never by writing a literal over the reference (that would cut
//! the input off and override every caller without a word):
//! - the call that reached the stage sets the input (or the `optional()` attribute) → its
//!   argument is changed there; an argument that is itself the caller's input is followed up;
//! - the call does not set it and no other call of the module does → the input's default (or
//!   the `optional(type, default)` in its type) is changed, once, for every caller;
//! - another call sets it, or the module was downloaded by `terraform init` (never edited) →
//!   the argument is added at this call;
//! - a root module's input is changed in the `.tfvars` of its directory that sets it, else in
//!   its default.

use super::{insert_in_block, label, line_of};
use crate::Edit;
use hcl_edit::expr::{Expression, Object};
use hcl_edit::structure::{Block, Body};
use hcl_edit::Span;
use stagelog_iac::normalize_path as normalize;
use stagelog_model::CallSite;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// The files of the configuration, as the scan kept them (read from disk when it did not),
/// each parsed once until a fix changes it: the stage's file is read for every finding in it,
/// the calls of a module for every input fix.
pub(crate) struct Configuration<'s> {
    sources: &'s BTreeMap<String, String>,
    /// Files as the input fixes so far left them: each is worked out on the text before it.
    edited: BTreeMap<String, String>,
    parsed: RefCell<HashMap<String, Result<Rc<Parsed>, Unusable>>>,
}

/// A file's text and what hcl-edit made of it.
pub(crate) struct Parsed {
    pub text: String,
    pub body: Body,
}

/// Why a file cannot be edited.
#[derive(Debug, Clone)]
pub(crate) enum Unusable {
    Read(String),
    Parse(String),
}

impl Unusable {
    pub fn say(&self, file: &str) -> String {
        match self {
            Unusable::Read(e) => format!("cannot read {file}: {e}"),
            Unusable::Parse(e) => format!("{file} does not parse: {e}"),
        }
    }
}

/// An edit in a file other than (or the same as) the stage's, and what it does, for the plan.
#[derive(Debug)]
pub(crate) struct Placed {
    pub file: String,
    pub edit: Edit,
    pub said: String,
}

impl<'s> Configuration<'s> {
    pub fn new(sources: &'s BTreeMap<String, String>) -> Self {
        Configuration {
            sources,
            edited: BTreeMap::new(),
            parsed: RefCell::default(),
        }
    }

    /// The file as the scan read it (before any fix).
    pub fn original(&self, file: &str) -> Result<String, Unusable> {
        match self.sources.get(file) {
            Some(t) => Ok(t.clone()),
            None => std::fs::read_to_string(file).map_err(|e| Unusable::Read(e.to_string())),
        }
    }

    /// The file as the fixes so far left it, parsed (once until the next fix of it).
    pub fn parsed(&self, file: &str) -> Result<Rc<Parsed>, Unusable> {
        if let Some(p) = self.parsed.borrow().get(file) {
            return p.clone();
        }
        let text = match self.edited.get(file) {
            Some(t) => Ok(t.clone()),
            None => self.original(file),
        };
        let p = text.and_then(|text| {
            let body = stagelog_syntax::hcl::parse_edit_body(&text)
                .map_err(|e| Unusable::Parse(e.message().to_string()))?;
            Ok(Rc::new(Parsed { text, body }))
        });
        self.parsed.borrow_mut().insert(file.to_string(), p.clone());
        p
    }

    /// [`Configuration::parsed`], with why not as a message naming the file.
    pub fn body(&self, file: &str) -> Result<Rc<Parsed>, String> {
        self.parsed(file).map_err(|e| e.say(file))
    }

    /// A fix's new text for a file: later fixes work on it.
    pub fn set(&mut self, file: &str, text: String) {
        self.parsed.get_mut().remove(file);
        self.edited.insert(file.to_string(), text);
    }

    /// The Terraform files of a directory.
    fn files_in(&self, dir: &Path, ext: &[&str]) -> Vec<String> {
        let wanted = |f: &str| ext.iter().any(|e| f.ends_with(e));
        let dir_normal = normalize(dir);
        let mut files: Vec<String> = self
            .sources
            .keys()
            .filter(|f| {
                wanted(f) && normalize(Path::new(f).parent().unwrap_or(Path::new(""))) == dir_normal
            })
            .cloned()
            .collect();
        if let Ok(entries) = std::fs::read_dir(if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        }) {
            for e in entries.flatten() {
                let p = dir.join(e.file_name()).to_string_lossy().into_owned();
                if wanted(&p)
                    && !files
                        .iter()
                        .any(|f| normalize(Path::new(f)) == normalize(Path::new(&p)))
                {
                    files.push(p);
                }
            }
        }
        files.sort();
        files
    }
}

/// `var.NAME` followed by attribute names: the input and the path into its value.
pub(crate) fn input_reference(expr: &Expression) -> Option<(String, Vec<String>)> {
    let parts = dotted_parts(expr)?;
    (parts[0] == "var").then(|| (parts[1].clone(), parts[2..].to_vec()))
}

/// What setting a value inside an expression comes to.
enum Step {
    Edit(Edit),
    /// The value is the enclosing module's own input: follow it to that module's caller.
    Follow(String, Vec<String>),
}

pub(crate) fn is_literal(e: &Expression) -> bool {
    matches!(
        e,
        Expression::String(_) | Expression::Number(_) | Expression::Bool(_) | Expression::Null(_)
    )
}

/// `key = value` nested along `path`: `{ level = "ERROR" }` for `["level"]`.
fn nested(path: &[String], value: &str) -> String {
    path.iter()
        .rev()
        .fold(value.to_string(), |acc, k| format!("{{ {k} = {acc} }}"))
}

fn object_key(k: &hcl_edit::expr::ObjectKey) -> String {
    match k {
        hcl_edit::expr::ObjectKey::Ident(i) => i.as_str().to_string(),
        hcl_edit::expr::ObjectKey::Expression(e) => e
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| e.to_string().trim().to_string()),
    }
}

/// Sets `path` inside `expr` to `value`: a literal is replaced, a missing object key added.
fn set_in(src: &str, expr: &Expression, path: &[String], value: &str) -> Result<Step, String> {
    if let Some((var, rest)) = input_reference(expr) {
        let mut p = rest;
        p.extend(path.iter().cloned());
        return Ok(Step::Follow(var, p));
    }
    let Some(key) = path.first() else {
        return if is_literal(expr) {
            let span = expr.span().ok_or("no span")?;
            Ok(Step::Edit(Edit::replace(span, value.to_string())))
        } else {
            Err(format!(
                "the value is computed (`{}`)",
                expr.to_string().trim()
            ))
        };
    };
    let obj = expr
        .as_object()
        .ok_or_else(|| format!("the value is not an object (`{}`)", expr.to_string().trim()))?;
    match obj.iter().find(|(k, _)| object_key(k) == *key) {
        Some((_, v)) => set_in(src, v.expr(), &path[1..], value),
        None => {
            let span = expr.span().ok_or("no span")?;
            insert_in_object(src, span, obj, key, &nested(&path[1..], value)).map(Step::Edit)
        }
    }
}

/// Adds `key = value` to an object constructor, on its own line when the object spans lines.
fn insert_in_object(
    src: &str,
    span: std::ops::Range<usize>,
    obj: &Object,
    key: &str,
    value: &str,
) -> Result<Edit, String> {
    let text = &src[span.clone()];
    let close = span.start + text.rfind('}').ok_or("no closing brace")?;
    if text.contains('\n') {
        let line_start = src[..close].rfind('\n').map(|i| i + 1).unwrap_or(0);
        let own = &src[line_start..close];
        let inner = obj
            .iter()
            .find_map(|(k, _)| k.span())
            .map(|s| {
                let ls = src[..s.start].rfind('\n').map(|i| i + 1).unwrap_or(0);
                src[ls..s.start].to_string()
            })
            .filter(|i| !i.is_empty() && i.chars().all(|c| c == ' ' || c == '\t'))
            .unwrap_or_else(|| format!("{own}  "));
        if own.trim().is_empty() {
            return Ok(Edit::insert(
                line_start,
                format!("{inner}{key} = {value}\n"),
            ));
        }
        return Ok(Edit::insert(close, format!("\n{inner}{key} = {value}\n")));
    }
    let inner = src[span.start + 1..close].trim_end();
    if inner.trim().is_empty() {
        return Ok(Edit::replace(span, format!("{{ {key} = {value} }}")));
    }
    let at = span.start + 1 + inner.len();
    let sep = if inner.ends_with(',') { "" } else { "," };
    Ok(Edit::insert(at, format!("{sep} {key} = {value}")))
}

fn variable<'b>(body: &'b Body, name: &str) -> Option<&'b Block> {
    body.get_blocks("variable")
        .find(|b| b.labels.first().is_some_and(|l| label(l) == name))
}

/// The `optional(type, default)` of `path` in a variable's type: its default replaced, or
/// added when it has none.
fn optional_default(ty: &Expression, path: &[String], value: &str) -> Result<Edit, String> {
    let call = ty.as_func_call().ok_or("the type is not object({...})")?;
    let Some((key, rest)) = path.split_first() else {
        return Err("no attribute to set".into());
    };
    match call.name.name.as_str() {
        "object" => {
            let fields = call
                .args
                .iter()
                .next()
                .and_then(|a| a.as_object())
                .ok_or("object() without attributes")?;
            let (_, field) = fields
                .iter()
                .find(|(k, _)| object_key(k) == *key)
                .ok_or_else(|| format!("the type has no attribute `{key}`"))?;
            let field = field.expr();
            match field.as_func_call() {
                Some(opt) if opt.name.name.as_str() == "optional" => {
                    let args: Vec<&Expression> = opt.args.iter().collect();
                    match (args.as_slice(), rest.is_empty()) {
                        ([_, default], true) => Ok(Edit::replace(
                            default.span().ok_or("no span")?,
                            value.to_string(),
                        )),
                        ([ty], true) => Ok(Edit::insert(
                            ty.span().ok_or("no span")?.end,
                            format!(", {value}"),
                        )),
                        ([ty, ..], false) => optional_default(ty, rest, value),
                        _ => Err("optional() without a type".into()),
                    }
                }
                _ if !rest.is_empty() => optional_default(field, rest, value),
                _ => Err(format!(
                    "`{key}` is a required attribute of the input: every caller sets it"
                )),
            }
        }
        other => Err(format!("the type is {other}(), not object()")),
    }
}

/// Changes an input's default: in the default's value, or in the `optional()` of its type.
fn default_edit(
    cfg: &Configuration,
    module_dir: &Path,
    var: &str,
    path: &[String],
    value: &str,
    why: &str,
) -> Result<Placed, String> {
    for file in cfg.files_in(module_dir, &[".tf", ".tofu"]) {
        let Ok(parsed) = cfg.body(&file) else {
            continue;
        };
        let (src, body) = (&parsed.text, &parsed.body);
        let Some(block) = variable(body, var) else {
            continue;
        };
        let line = block.span().map(|s| line_of(src, s.start)).unwrap_or(0);
        let said = format!(
            "set {} = {value} in its default ({file}:{line}): {why}",
            dotted(var, path)
        );
        let default = block.body.get_attribute("default");
        // The default object sets the attribute itself: change it there.
        if let Some(d) = default {
            let sets = path.is_empty()
                || d.value
                    .as_object()
                    .is_some_and(|o| o.iter().any(|(k, _)| object_key(k) == path[0]));
            if sets {
                return match set_in(src, &d.value, path, value)? {
                    Step::Edit(edit) => Ok(Placed { file, edit, said }),
                    Step::Follow(..) => Err("the default reads another input".into()),
                };
            }
        }
        if path.is_empty() {
            return Err(format!(
                "var.{var} has no default, and the call does not set it"
            ));
        }
        let ty = block
            .body
            .get_attribute("type")
            .ok_or_else(|| format!("var.{var} has no type"))?;
        let edit = match optional_default(&ty.value, path, value) {
            Ok(edit) => edit,
            // `type = any` (or a map) with an object default: the attribute joins it.
            Err(e) => match default.map(|d| (&d.value, d.value.as_object())) {
                Some((d, Some(obj))) => insert_in_object(
                    src,
                    d.span().ok_or("no span")?,
                    obj,
                    &path[0],
                    &nested(&path[1..], value),
                )?,
                _ => return Err(e),
            },
        };
        return Ok(Placed { file, edit, said });
    }
    Err(format!(
        "variable \"{var}\" not found in {}",
        module_dir.display()
    ))
}

fn parent(file: &str) -> PathBuf {
    Path::new(file)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Whether a call of the module in `module_dir` other than `this` sets the input (anywhere
/// in the configuration the scan read).
fn another_call_sets(
    cfg: &Configuration,
    module_dir: &Path,
    this: &CallSite,
    var: &str,
    path: &[String],
) -> bool {
    let want = normalize(module_dir);
    // Only files that could name the module's directory are parsed (any, for the top one).
    let dir_name = want.file_name().and_then(|n| n.to_str()).unwrap_or("");
    cfg.sources.iter().any(|(file, scanned)| {
        let now = cfg.edited.get(file).unwrap_or(scanned);
        if !(file.ends_with(".tf") || file.ends_with(".tofu"))
            || !now.contains("module")
            || !now.contains(dir_name)
        {
            return false;
        }
        let Ok(parsed) = cfg.parsed(file) else {
            return false;
        };
        let (text, body) = (parsed.text.as_str(), &parsed.body);
        let here = parent(file);
        let found = body.get_blocks("module").any(|b| {
            let is_this =
                *file == this.file && b.span().map(|s| line_of(text, s.start)) == Some(this.line);
            let calls = b
                .body
                .get_attribute("source")
                .and_then(|s| s.value.as_str().map(str::to_string))
                .is_some_and(|s| normalize(&here.join(s)) == want);
            calls && !is_this && call_sets(b, var, path)
        });
        found
    })
}

/// Whether a module call sets `var` (and, inside an object, the attribute `path` starts with).
fn call_sets(block: &Block, var: &str, path: &[String]) -> bool {
    block.body.get_attribute(var).is_some_and(|a| {
        path.first().is_none_or(|k| {
            a.value
                .as_object()
                .is_none_or(|o| o.iter().any(|(key, _)| object_key(key) == *k))
        })
    })
}

fn dotted(var: &str, path: &[String]) -> String {
    std::iter::once(var)
        .chain(path.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join(".")
}

/// The edit that makes the input `var` (at `path`) of the module in `module_dir` hold `value`
/// for the instance reached through `via`.
pub(crate) fn fix_input(
    cfg: &Configuration,
    module_dir: &Path,
    via: &[CallSite],
    var: &str,
    path: &[String],
    value: &str,
) -> Result<Placed, String> {
    let downloaded = module_dir.to_string_lossy().contains(".terraform/");
    let Some((call, outer)) = via.split_last() else {
        if downloaded {
            return Err("a module `terraform init` downloaded is never edited".into());
        }
        // A root module: the `.tfvars` of its directory that sets the input, else its default.
        for file in cfg.files_in(module_dir, &[".tfvars"]) {
            let Ok(parsed) = cfg.body(&file) else {
                continue;
            };
            let (src, body) = (&parsed.text, &parsed.body);
            if let Some(a) = body.get_attribute(var) {
                let line = line_of(src, a.span().map(|s| s.start).unwrap_or(0));
                return match set_in(src, &a.value, path, value)? {
                    Step::Edit(edit) => Ok(Placed {
                        file: file.clone(),
                        edit,
                        said: format!(
                            "set {} = {value} in {file}:{line}, which sets it for this root",
                            dotted(var, path)
                        ),
                    }),
                    Step::Follow(..) => Err(format!("{file} sets {var} from a variable")),
                };
            }
        }
        return default_edit(
            cfg,
            module_dir,
            var,
            path,
            value,
            "no .tfvars beside this root sets it",
        );
    };
    let parsed = cfg.body(&call.file)?;
    let (src, body) = (&parsed.text, &parsed.body);
    let name = call.call.rsplit('.').next().unwrap_or_default();
    let name = name.split('[').next().unwrap_or(name);
    let block = body
        .get_blocks("module")
        .find(|b| {
            b.labels.first().is_some_and(|l| label(l) == name)
                && b.span().map(|s| line_of(src, s.start)) == Some(call.line)
        })
        .ok_or_else(|| format!("module \"{name}\" not found at {call}"))?;
    if let Some(arg) = block.body.get_attribute(var) {
        return match set_in(src, &arg.value, path, value)? {
            Step::Edit(edit) => Ok(Placed {
                file: call.file.clone(),
                edit,
                said: format!(
                    "set {} = {value} at the call {}:{} ({}), which sets it",
                    dotted(var, path),
                    call.file,
                    call.line,
                    call.call
                ),
            }),
            Step::Follow(outer_var, outer_path) => fix_input(
                cfg,
                &parent(&call.file),
                outer,
                &outer_var,
                &outer_path,
                value,
            ),
        };
    }
    let others_set = another_call_sets(cfg, module_dir, call, var, path);
    if downloaded || others_set {
        let why = if downloaded {
            "the module was downloaded by `terraform init` and is not edited"
        } else {
            "other calls of the module set it"
        };
        let edit = insert_in_block(src, block, &[format!("{var} = {}", nested(path, value))])
            .ok_or("the argument could not be placed")?;
        return Ok(Placed {
            file: call.file.clone(),
            edit,
            said: format!(
                "set {} = {value}, added at the call {}:{} ({}): {why}",
                dotted(var, path),
                call.file,
                call.line,
                call.call
            ),
        });
    }
    default_edit(
        cfg,
        module_dir,
        var,
        path,
        value,
        "no call of the module sets it",
    )
}

/// Where an attribute's value is read from, seen from inside the block that holds it: the
/// iterators in scope (`dynamic "x"` blocks' `for_each`) and the resource's own `for_each`
/// with the instance's key.
#[derive(Default)]
pub(crate) struct Scope<'b> {
    pub iterators: Vec<(String, &'b Expression)>,
    pub each: Option<(&'b Expression, Option<String>)>,
}

/// Dotted identifiers (`a.b.c`), or `None` for anything else.
fn dotted_parts(e: &Expression) -> Option<Vec<String>> {
    let text = e.to_string();
    let parts: Vec<String> = text.trim().split('.').map(str::to_string).collect();
    let ident = |p: &String| {
        p.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    (parts.len() > 1 && parts.iter().all(ident)).then_some(parts)
}

/// The input (and path into it) a value is read from, through what modules commonly wrap it
/// in: `cond ? X : null` (the finding's value is not null, so it came from `X`), `try(X, …)`,
/// a dynamic block's `x.value.attr` and a resource's `each.value.attr` (followed into the
/// `for_each` collection: `c ? [var.s] : []`, `{ for k, v in C : k => v if … }`,
/// `{ "this" = var.s }`, `var.map` at the instance's key).
pub(crate) fn source_of(e: &Expression, scope: &Scope) -> Option<(String, Vec<String>)> {
    match e {
        Expression::Parenthesis(p) => return source_of(p.inner(), scope),
        Expression::Conditional(c) => {
            return match (c.true_expr.is_null(), c.false_expr.is_null()) {
                (false, true) => source_of(&c.true_expr, scope),
                (true, false) => source_of(&c.false_expr, scope),
                _ => None,
            }
        }
        Expression::FuncCall(f) if f.name.name.as_str() == "try" => {
            return source_of(f.args.iter().next()?, scope)
        }
        _ => {}
    }
    let parts = dotted_parts(e)?;
    match parts[0].as_str() {
        "var" => Some((parts[1].clone(), parts[2..].to_vec())),
        "each" if parts[1] == "value" => {
            let (collection, key) = scope.each.as_ref()?;
            let (var, mut path) = element_of(collection, key.as_deref())?;
            path.extend(parts[2..].iter().cloned());
            Some((var, path))
        }
        name if parts[1] == "value" => {
            let (_, collection) = scope.iterators.iter().rev().find(|(n, _)| n == name)?;
            let (var, mut path) = element_of(collection, None)?;
            path.extend(parts[2..].iter().cloned());
            Some((var, path))
        }
        _ => None,
    }
}

/// The input an element of a `for_each` collection is, when the collection says.
fn element_of(collection: &Expression, key: Option<&str>) -> Option<(String, Vec<String>)> {
    match collection {
        Expression::Parenthesis(p) => element_of(p.inner(), key),
        Expression::Conditional(c) => {
            let empty = |e: &Expression| {
                e.as_array().is_some_and(|a| a.is_empty())
                    || e.as_object().is_some_and(|o| o.is_empty())
            };
            match (empty(&c.true_expr), empty(&c.false_expr)) {
                (false, true) => element_of(&c.true_expr, key),
                (true, false) => element_of(&c.false_expr, key),
                _ => None,
            }
        }
        Expression::Array(a) if a.len() == 1 => source_of(a.iter().next()?, &Scope::default()),
        Expression::Object(o) => {
            let only = (o.len() == 1).then(|| o.iter().next()).flatten();
            let (_, v) = match key {
                Some(k) => o.iter().find(|(name, _)| object_key(name) == k)?,
                None => only?,
            };
            source_of(v.expr(), &Scope::default())
        }
        // `{ for k, v in C : k => v if … }`: the elements of C, filtered.
        Expression::ForExpr(f)
            if f.key_expr.as_ref().is_some_and(|k| {
                Some(k.to_string().trim()) == f.intro.key_var.as_ref().map(|v| v.as_str())
            }) && f.value_expr.to_string().trim() == f.intro.value_var.as_str() =>
        {
            element_of(&f.intro.collection_expr, key)
        }
        _ => {
            let (var, mut path) = source_of(collection, &Scope::default())?;
            path.push(key?.to_string());
            Some((var, path))
        }
    }
}

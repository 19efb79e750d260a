//! A small evaluator for the Terraform expressions that decide logging settings: literals,
//! templates, `var.`/`local.` (defaults and `.tfvars`), `each.`/`count.`, references to other
//! resources, and the functions used to build formats (`jsonencode`, `format`, `join`…).
//! Whatever it cannot decide becomes `Val::Unknown` with the expression as written.

use super::{Module, Resource};
use crate::value::{resource_arn, ArnOf, Val};
use hcl_edit::expr::{BinaryOperator, Expression, ObjectKey, TraversalOperator, UnaryOperator};
use hcl_edit::template::{Element, Template};
use stagelog_model::Text;
use std::cell::RefCell;
// Fx hashing: keys are short names hashed per expression evaluated; SipHash was a
// measurable share of a scan.
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

mod functions;
mod instances;
mod ops;

use functions::call;
pub use instances::expand;
pub use ops::truthy;
use ops::{arith, loose_eq};

/// Bindings inside one resource instance.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub each_key: Option<Val>,
    pub each_value: Option<Val>,
    pub count_index: Option<Val>,
    /// `dynamic` block iterators in force: name → `{ key, value }`.
    pub iterators: Vec<(String, Val)>,
}

/// Which instances of a resource a reference selects.
enum Selected {
    /// The resource as a whole (`aws_cloudwatch_log_group.access.arn`).
    Resource,
    /// One instance, by key or index.
    Key(Val),
    /// Every instance (`[*]`).
    All,
}

pub struct Evaluator<'m> {
    pub vars: HashMap<String, Val>,
    locals: HashMap<&'m str, &'m Expression>,
    local_cache: RefCell<HashMap<String, Val>>,
    in_progress: RefCell<HashSet<String>>,
    pub resources: HashMap<(&'m str, &'m str), &'m Resource>,
    /// What each module call gives back: call name → its outputs (an object; a list or an
    /// object of them for `count` / `for_each` calls). Filled as the calls are evaluated.
    pub module_outputs: RefCell<HashMap<String, Val>>,
    /// `path.module`, `path.root` and `path.cwd`, when the module's place is known.
    pub paths: Option<Paths>,
}

/// The `path` object as Terraform fills it when run in the root module's directory (what
/// `terraform plan` there does, without `-chdir`).
#[derive(Debug, Clone)]
pub struct Paths {
    /// The module's directory relative to the root's: `.` for the root itself,
    /// `modules/api`, `.terraform/modules/api`.
    pub module: String,
    /// The root module's directory, absolute (`path.cwd`; `path.root` is `.`).
    pub cwd: String,
}

const MAX_DEPTH: u32 = 48;

impl<'m> Evaluator<'m> {
    /// A called module (`caller` = the values its `module` block passes), or a root (`None`).
    pub fn new_with(module: &'m Module, caller: Option<&[(String, Val)]>) -> Evaluator<'m> {
        let mut ev = Evaluator {
            vars: HashMap::default(),
            locals: HashMap::default(),
            local_cache: RefCell::new(HashMap::default()),
            in_progress: RefCell::new(HashSet::default()),
            resources: HashMap::default(),
            module_outputs: RefCell::new(HashMap::default()),
            paths: None,
        };
        for file in &module.files {
            for (name, expr) in &file.locals {
                ev.locals.insert(name.as_str(), expr);
            }
            for r in &file.resources {
                ev.resources.insert((r.rtype.as_str(), r.name.as_str()), r);
            }
        }
        let none = Scope::default();
        let mut vars = HashMap::default();
        let mut primitive = HashMap::default();
        let mut declared = HashMap::default();
        for file in &module.files {
            for v in &file.variables {
                let value = match &v.default {
                    Some(expr) => ev.eval(expr, &none),
                    None => Val::Unknown(format!("var.{}", v.name)),
                };
                vars.insert(v.name.clone(), value);
                primitive.insert(v.name.as_str(), v.primitive);
                declared.insert(v.name.as_str(), v);
            }
        }
        // A raw value from outside: a literal for primitive types, HCL for the others.
        let raw = |name: &str, value: &str| -> Val {
            if primitive.get(name).copied().unwrap_or(true) {
                return Val::str(value);
            }
            match hcl_edit::parser::parse_expr(value) {
                Ok(expr) => ev.eval(&expr, &none),
                Err(_) => Val::Unknown(format!("var.{name}")),
            }
        };
        // A called module takes its caller's values, and nothing from outside.
        if let Some(values) = caller {
            for (name, value) in values {
                if vars.contains_key(name) {
                    vars.insert(name.clone(), value.clone());
                }
            }
        }
        let outside = caller.is_none();
        // Terraform's precedence, lowest first; only declared variables take values.
        for (name, value) in module.inputs.env.iter().filter(|_| outside) {
            if vars.contains_key(name) {
                vars.insert(name.clone(), raw(name, value));
            }
        }
        let mut tfvars: Vec<&(String, Vec<(String, Expression)>)> =
            module.tfvars.iter().filter(|_| outside).collect();
        // terraform.tfvars(.json), then *.auto.tfvars(.json) in name order.
        tfvars.sort_by_key(|(file, _)| {
            let base = file.rsplit('/').next().unwrap_or(file).to_string();
            (base.contains(".auto."), base)
        });
        for (name, expr) in tfvars.into_iter().flat_map(|(_, values)| values) {
            if vars.contains_key(name) {
                vars.insert(name.clone(), ev.eval(expr, &none));
            }
        }
        // `--var-file` and `--var` as the command line orders them: the later one wins.
        for given in module.inputs.given.iter().filter(|_| outside) {
            match given {
                super::Given::File(name, expr) if vars.contains_key(name) => {
                    vars.insert(name.clone(), ev.eval(expr, &none));
                }
                super::Given::Var(name, value) if vars.contains_key(name) => {
                    vars.insert(name.clone(), raw(name, value));
                }
                _ => {}
            }
        }
        // Type constraints: `optional(type, default)` attributes filled in, on the default as
        // on values from outside; `nullable = false` turns null into the default.
        for (name, value) in vars.iter_mut() {
            let Some(v) = declared.get(name.as_str()) else {
                continue;
            };
            if matches!(value, Val::Null) && !v.nullable {
                if let Some(d) = &v.default {
                    *value = ev.eval(d, &none);
                }
            }
            if let Some(t) = &v.type_expr {
                *value = ev.with_type_defaults(std::mem::replace(value, Val::Null), t);
            }
        }
        ev.vars = vars;
        ev
    }

    /// A value with the `optional(type, default)` attributes of its type filled in, in objects
    /// and in the maps and lists of objects that hold them.
    fn with_type_defaults(&self, v: Val, ty: &Expression) -> Val {
        let Expression::FuncCall(f) = ty else {
            return v;
        };
        let args: Vec<&Expression> = f.args.iter().collect();
        match (f.name.name.as_str(), args.as_slice(), v) {
            ("object", [Expression::Object(attrs)], Val::Obj(mut entries)) => {
                for (key, attr_ty) in attrs.iter() {
                    let key = match key {
                        ObjectKey::Ident(i) => i.as_str().to_string(),
                        ObjectKey::Expression(x) => {
                            x.to_string().trim().trim_matches('"').to_string()
                        }
                    };
                    let attr_ty = attr_ty.expr();
                    let (inner_ty, default) = match attr_ty {
                        Expression::FuncCall(o) if o.name.name.as_str() == "optional" => {
                            let oargs: Vec<&Expression> = o.args.iter().collect();
                            (oargs.first().copied(), oargs.get(1).copied())
                        }
                        other => (Some(other), None),
                    };
                    let present = entries.iter().position(|(k, _)| *k == key);
                    let value = match present.map(|i| entries.remove(i).1) {
                        Some(Val::Null) | None => match default {
                            Some(d) => self.eval(d, &Scope::default()),
                            None => Val::Null,
                        },
                        Some(v) => v,
                    };
                    let value = match inner_ty {
                        Some(t) => self.with_type_defaults(value, t),
                        None => value,
                    };
                    entries.push((key, value));
                }
                Val::Obj(entries)
            }
            ("map", [t], Val::Obj(entries)) => Val::Obj(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, self.with_type_defaults(v, t)))
                    .collect(),
            ),
            ("list" | "set", [t], Val::List(items)) => Val::List(
                items
                    .into_iter()
                    .map(|v| self.with_type_defaults(v, t))
                    .collect(),
            ),
            (_, _, v) => v,
        }
    }

    pub fn eval(&self, e: &Expression, scope: &Scope) -> Val {
        self.eval_d(e, scope, 0)
    }

    fn unknown(e: &Expression) -> Val {
        Val::Unknown(e.to_string().trim().to_string())
    }

    fn eval_d(&self, e: &Expression, scope: &Scope, depth: u32) -> Val {
        if depth > MAX_DEPTH {
            return Self::unknown(e);
        }
        let d = depth + 1;
        match e {
            Expression::Null(_) => Val::Null,
            Expression::Bool(b) => Val::Bool(*b.value()),
            Expression::Number(n) => n.value().as_f64().map(Val::Num).unwrap_or(Val::Null),
            Expression::String(s) => Val::str(s.value()),
            Expression::StringTemplate(t) => Val::Str(self.template(t, scope, d)),
            Expression::HeredocTemplate(h) => {
                let mut h = (**h).clone();
                if h.indent().is_some() {
                    h.dedent();
                }
                Val::Str(self.template(&h.template, scope, d))
            }
            Expression::Parenthesis(p) => self.eval_d(p.inner(), scope, d),
            Expression::Array(a) => Val::List(a.iter().map(|x| self.eval_d(x, scope, d)).collect()),
            Expression::Object(o) => Val::Obj(
                o.iter()
                    .map(|(k, v)| {
                        let key = match k {
                            ObjectKey::Ident(i) => i.as_str().to_string(),
                            ObjectKey::Expression(x) => {
                                self.eval_d(x, scope, d).to_text().to_string()
                            }
                        };
                        (key, self.eval_d(v.expr(), scope, d))
                    })
                    .collect(),
            ),
            Expression::Variable(v) => scope
                .iterators
                .iter()
                .rev()
                .find(|(name, _)| name == v.as_str())
                .map(|(_, val)| val.clone())
                .unwrap_or_else(|| Self::unknown(e)),
            Expression::Traversal(t) => self.traversal(e, &t.expr, &t.operators, scope, d),
            Expression::FuncCall(f) => {
                let args: Vec<Val> = f.args.iter().map(|a| self.eval_d(a, scope, d)).collect();
                if !f.name.namespace.is_empty() {
                    return Self::unknown(e);
                }
                call(f.name.name.as_str(), args).unwrap_or_else(|| Self::unknown(e))
            }
            Expression::Conditional(c) => {
                let cond = self.eval_d(&c.cond_expr, scope, d);
                let t = self.eval_d(&c.true_expr, scope, d);
                let f = self.eval_d(&c.false_expr, scope, d);
                match truthy(&cond) {
                    Some(true) => t,
                    Some(false) => f,
                    None if t == f => t,
                    None => Self::unknown(e),
                }
            }
            Expression::BinaryOp(b) => {
                let l = self.eval_d(&b.lhs_expr, scope, d);
                let r = self.eval_d(&b.rhs_expr, scope, d);
                if !l.is_known() || !r.is_known() {
                    return Self::unknown(e);
                }
                match b.operator.value() {
                    BinaryOperator::Eq => Val::Bool(loose_eq(&l, &r)),
                    BinaryOperator::NotEq => Val::Bool(!loose_eq(&l, &r)),
                    BinaryOperator::And => match (truthy(&l), truthy(&r)) {
                        (Some(a), Some(b)) => Val::Bool(a && b),
                        _ => Self::unknown(e),
                    },
                    BinaryOperator::Or => match (truthy(&l), truthy(&r)) {
                        (Some(a), Some(b)) => Val::Bool(a || b),
                        _ => Self::unknown(e),
                    },
                    op => match (&l, &r) {
                        (Val::Num(a), Val::Num(b)) => {
                            arith(op, *a, *b).unwrap_or_else(|| Self::unknown(e))
                        }
                        _ => Self::unknown(e),
                    },
                }
            }
            Expression::UnaryOp(u) => {
                let v = self.eval_d(&u.expr, scope, d);
                match (u.operator.value(), v) {
                    (UnaryOperator::Not, Val::Bool(b)) => Val::Bool(!b),
                    (UnaryOperator::Neg, Val::Num(n)) => Val::Num(-n),
                    _ => Self::unknown(e),
                }
            }
            Expression::ForExpr(f) => self.for_expr(e, f, scope, d),
        }
    }

    /// `[for v in coll : expr if cond]` and `{for k, v in coll : key => value}` (with `...`
    /// grouping), when the collection and each condition are known.
    fn for_expr(
        &self,
        whole: &Expression,
        f: &hcl_edit::expr::ForExpr,
        scope: &Scope,
        depth: u32,
    ) -> Val {
        let items: Vec<(Val, Val)> = match self.eval_d(&f.intro.collection_expr, scope, depth) {
            Val::List(items) => items
                .into_iter()
                .enumerate()
                .map(|(i, v)| (Val::Num(i as f64), v))
                .collect(),
            Val::Obj(entries) => entries
                .into_iter()
                .map(|(k, v)| (Val::str(&k), v))
                .collect(),
            _ => return Self::unknown(whole),
        };
        let mut list = Vec::new();
        let mut object: Vec<(String, Val)> = Vec::new();
        for (key, value) in items {
            let mut inner = scope.clone();
            if let Some(k) = &f.intro.key_var {
                inner.iterators.push((k.as_str().to_string(), key));
            }
            inner
                .iterators
                .push((f.intro.value_var.as_str().to_string(), value));
            if let Some(cond) = &f.cond {
                match truthy(&self.eval_d(&cond.expr, &inner, depth)) {
                    Some(true) => {}
                    Some(false) => continue,
                    None => return Self::unknown(whole),
                }
            }
            let v = self.eval_d(&f.value_expr, &inner, depth);
            match &f.key_expr {
                None => list.push(v),
                Some(k) => {
                    let Some(k) = self.eval_d(k, &inner, depth).to_text().as_known() else {
                        return Self::unknown(whole);
                    };
                    if f.grouping {
                        match object.iter_mut().find(|(x, _)| *x == k) {
                            Some((_, Val::List(group))) => group.push(v),
                            _ => object.push((k, Val::List(vec![v]))),
                        }
                    } else {
                        object.retain(|(x, _)| *x != k);
                        object.push((k, v));
                    }
                }
            }
        }
        if f.key_expr.is_some() {
            Val::Obj(object)
        } else {
            Val::List(list)
        }
    }

    fn template(&self, t: &Template, scope: &Scope, depth: u32) -> Text {
        let mut out = Text::default();
        for el in t.iter() {
            match el {
                Element::Literal(s) => out.push_lit(s.as_str()),
                Element::Interpolation(i) => {
                    out.append(self.eval_d(&i.expr, scope, depth).to_text())
                }
                // `%{if}`/`%{for}` depend on values: the whole directive is one hole.
                Element::Directive(_) => out.push_hole("%{…}"),
            }
        }
        out
    }

    fn traversal(
        &self,
        whole: &Expression,
        base: &Expression,
        ops: &[hcl_edit::Decorated<TraversalOperator>],
        scope: &Scope,
        depth: u32,
    ) -> Val {
        let Expression::Variable(root) = base else {
            let v = self.eval_d(base, scope, depth);
            return self.apply(v, ops, scope, depth, whole);
        };
        let attr = |i: usize| match ops.get(i).map(|o| o.value()) {
            Some(TraversalOperator::GetAttr(a)) => Some(a.as_str()),
            _ => None,
        };
        if let Some((_, it)) = scope
            .iterators
            .iter()
            .rev()
            .find(|(name, _)| name == root.as_str())
        {
            return self.apply(it.clone(), ops, scope, depth, whole);
        }
        match root.as_str() {
            "var" => match attr(0).and_then(|n| self.vars.get(n)) {
                Some(v) => self.apply(v.clone(), &ops[1..], scope, depth, whole),
                None => Self::unknown(whole),
            },
            "local" => match attr(0) {
                Some(n) => {
                    let v = self.local(n, depth);
                    self.apply(v, &ops[1..], scope, depth, whole)
                }
                None => Self::unknown(whole),
            },
            "each" => {
                let v = match attr(0) {
                    Some("key") => scope.each_key.clone(),
                    Some("value") => scope.each_value.clone(),
                    _ => None,
                };
                match v {
                    Some(v) => self.apply(v, &ops[1..], scope, depth, whole),
                    None => Self::unknown(whole),
                }
            }
            "count" => match (attr(0), &scope.count_index) {
                (Some("index"), Some(v)) => v.clone(),
                _ => Self::unknown(whole),
            },
            "module" => {
                let outputs = attr(0).and_then(|n| self.module_outputs.borrow().get(n).cloned());
                match outputs {
                    Some(v) => self.apply(v, &ops[1..], scope, depth, whole),
                    None => Self::unknown(whole),
                }
            }
            "path" => {
                let value = self.paths.as_ref().and_then(|p| match attr(0) {
                    Some("module") => Some(p.module.clone()),
                    Some("root") => Some(".".to_string()),
                    Some("cwd") => Some(p.cwd.clone()),
                    _ => None,
                });
                match value {
                    Some(v) => Val::str(&v),
                    None => Self::unknown(whole),
                }
            }
            "data" | "terraform" | "self" | "ephemeral" => Self::unknown(whole),
            rtype => {
                let Some(name) = attr(0) else {
                    return Self::unknown(whole);
                };
                // An instance (`[each.key]`, `["eu"]`, `[0]`) is evaluated with its own
                // bindings; a splat (`[*]`) gives every instance's value.
                let (selected, i) = match ops.get(1).map(|o| o.value()) {
                    Some(TraversalOperator::Index(ix)) => {
                        (Selected::Key(self.eval_d(ix, scope, depth)), 2)
                    }
                    Some(TraversalOperator::LegacyIndex(n)) => {
                        (Selected::Key(Val::Num(*n.value() as f64)), 2)
                    }
                    Some(TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_)) => {
                        (Selected::All, 2)
                    }
                    _ => (Selected::Resource, 1),
                };
                let Some(field) = attr(i) else {
                    return Self::unknown(whole);
                };
                let rest = &ops[i + 1..];
                let one = |(suffix, inst): &(String, Scope)| {
                    let v = self.resource_attr(rtype, name, suffix, field, inst, depth, whole);
                    self.apply(v, rest, scope, depth, whole)
                };
                match self.instances_of(rtype, name, &selected) {
                    Some(all) if matches!(selected, Selected::All) => {
                        Val::List(all.iter().map(one).collect())
                    }
                    Some(found) => one(&found[0]),
                    None => one(&(String::new(), Scope::default())),
                }
            }
        }
    }

    fn apply(
        &self,
        mut v: Val,
        ops: &[hcl_edit::Decorated<TraversalOperator>],
        scope: &Scope,
        depth: u32,
        whole: &Expression,
    ) -> Val {
        for op in ops {
            v = match (op.value(), &v) {
                (TraversalOperator::GetAttr(a), Val::Obj(_)) => match v.get(a.as_str()) {
                    Some(x) => x.clone(),
                    None => return Self::unknown(whole),
                },
                (TraversalOperator::Index(ix), _) => {
                    let key = self.eval_d(ix, scope, depth);
                    match (&v, &key) {
                        (Val::List(items), Val::Num(n)) => match items.get(*n as usize) {
                            Some(x) => x.clone(),
                            None => return Self::unknown(whole),
                        },
                        (Val::Obj(_), k) if k.is_known() => match v.get(&k.to_text().to_string()) {
                            Some(x) => x.clone(),
                            None => return Self::unknown(whole),
                        },
                        _ => return Self::unknown(whole),
                    }
                }
                (TraversalOperator::LegacyIndex(n), Val::List(items)) => {
                    match items.get(*n.value() as usize) {
                        Some(x) => x.clone(),
                        None => return Self::unknown(whole),
                    }
                }
                _ => return Self::unknown(whole),
            };
        }
        v
    }

    fn local(&self, name: &str, depth: u32) -> Val {
        if let Some(v) = self.local_cache.borrow().get(name) {
            return v.clone();
        }
        let Some(expr) = self.locals.get(name) else {
            return Val::Unknown(format!("local.{name}"));
        };
        if !self.in_progress.borrow_mut().insert(name.to_string()) {
            return Val::Unknown(format!("local.{name}"));
        }
        let v = self.eval_d(expr, &Scope::default(), depth + 1);
        self.in_progress.borrow_mut().remove(name);
        self.local_cache
            .borrow_mut()
            .insert(name.to_string(), v.clone());
        v
    }

    /// The bindings of the instances a reference selects: the one whose key it names, or
    /// all (a splat), when the resource's `count`/`for_each` is known here; `None` for a
    /// reference to the resource as a whole, or an instance that cannot be told.
    fn instances_of(
        &self,
        rtype: &str,
        name: &str,
        selected: &Selected,
    ) -> Option<Vec<(String, Scope)>> {
        if matches!(selected, Selected::Resource) {
            return None;
        }
        let r = self.resources.get(&(rtype, name))?;
        // A `for_each` that refers back to this resource's instances would not end.
        let guard = format!("instances of {rtype}.{name}");
        if !self.in_progress.borrow_mut().insert(guard.clone()) {
            return None;
        }
        let all = expand(self, &r.body);
        self.in_progress.borrow_mut().remove(&guard);
        let keyed = all.iter().all(|(suffix, _)| !suffix.is_empty());
        match selected {
            Selected::All if keyed => Some(all),
            Selected::Key(key) if keyed && key.is_known() => {
                let want = key.to_text().to_string();
                all.into_iter()
                    .find(|(_, s)| {
                        let have = s.each_key.as_ref().or(s.count_index.as_ref());
                        have.is_some_and(|k| k.to_text().to_string() == want)
                    })
                    .map(|found| vec![found])
            }
            _ => None,
        }
    }

    /// `TYPE.NAME.FIELD` of one instance (`suffix` is its key, `["eu"]`, and `inst` binds its
    /// `each`/`count`; both empty for the resource as a whole): an argument written in the
    /// resource, or a computed attribute (ARN, id) known by identity — the instance's address
    /// — with as much of its text as the arguments give.
    #[allow(clippy::too_many_arguments)]
    fn resource_attr(
        &self,
        rtype: &str,
        name: &str,
        suffix: &str,
        field: &str,
        inst: &Scope,
        depth: u32,
        whole: &Expression,
    ) -> Val {
        let Some(r) = self.resources.get(&(rtype, name)) else {
            return Self::unknown(whole);
        };
        let addr = format!("{rtype}.{name}{suffix}");
        let arg = |k: &str| {
            r.body
                .get_attribute(k)
                .map(|a| self.eval_d(&a.value, inst, depth + 1))
        };
        if let Some(v) = arg(field) {
            // Without an instance, per-instance values (each.key…) are unknown.
            return v;
        }
        let text_of = |k: &str| {
            arg(k)
                .map(|v| v.to_text())
                .unwrap_or_else(|| Text::hole(format!("{addr}.{k}")))
        };
        const PSEUDO: [&str; 3] = ["partition", "region", "account"];
        let text = match (rtype, field) {
            ("aws_cloudwatch_log_group", "arn") => {
                resource_arn(ArnOf::LogGroup, text_of("name"), PSEUDO)
            }
            ("aws_cloudwatch_log_group", "id") => text_of("name"),
            ("aws_kinesis_firehose_delivery_stream", "arn") => {
                resource_arn(ArnOf::Firehose, text_of("name"), PSEUDO)
            }
            ("aws_s3_bucket", "arn") => resource_arn(ArnOf::S3Bucket, text_of("bucket"), PSEUDO),
            _ => Text::hole(format!("{addr}.{field}")),
        };
        Val::Ref {
            addr,
            attr: field.to_string(),
            text,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(src: &str) -> String {
        let module = Module::default();
        let ev = Evaluator::new_with(&module, None);
        let expr = hcl_edit::parser::parse_expr(src).unwrap();
        ev.eval(&expr, &Scope::default()).to_json(true).to_string()
    }

    #[test]
    fn for_expressions_as_terraform_evaluates_them() {
        assert_eq!(
            eval(r#"[for s in ["a", "b", "c"] : upper(s) if s != "b"]"#),
            r#"["A","C"]"#
        );
        assert_eq!(
            eval(r#"{for i, s in ["x", "y"] : s => i}"#),
            r#"{"x":0,"y":1}"#
        );
        assert_eq!(
            eval(r#"{for k, v in {a = "p", b = "q", c = "p"} : v => k...}"#),
            r#"{"p":["a","c"],"q":["b"]}"#
        );
        // A collection or a condition not known here: the whole expression is unknown.
        assert_eq!(
            eval("[for s in var.names : s]"),
            "${[for s in var.names : s]}"
        );
    }

    #[test]
    fn path_functions_and_values_as_terraform_gives_them() {
        for (path, base, dir) in [
            ("/work/envs/prod", "prod", "/work/envs"),
            ("envs/prod/", "prod", "envs/prod"),
            ("main.tf", "main.tf", "."),
            ("/", "/", "/"),
            ("", ".", "."),
            ("a/../b/c", "c", "b"),
        ] {
            let quoted = |s: &str| format!("\"{s}\"");
            assert_eq!(
                eval(&format!("basename({})", quoted(path))),
                quoted(base),
                "basename({path:?})"
            );
            assert_eq!(
                eval(&format!("dirname({})", quoted(path))),
                quoted(dir),
                "dirname({path:?})"
            );
        }
        let module = Module::default();
        let mut ev = Evaluator::new_with(&module, None);
        let expr = |src: &str| hcl_edit::parser::parse_expr(src).unwrap();
        // Unknown where the module's place is not known.
        assert!(!ev.eval(&expr("path.module"), &Scope::default()).is_known());
        ev.paths = Some(Paths {
            module: "modules/api".into(),
            cwd: "/repo/envs/prod".into(),
        });
        let text = |src: &str| ev.eval(&expr(src), &Scope::default()).to_text().as_known();
        assert_eq!(text("path.module").as_deref(), Some("modules/api"));
        assert_eq!(text("path.root").as_deref(), Some("."));
        assert_eq!(
            text(r#""ex-${basename(path.cwd)}""#).as_deref(),
            Some("ex-prod")
        );
        // coalesce: a partly known string with text of its own is the first non-empty one.
        assert_eq!(
            eval(r#"coalesce(null, "", "/aws/${var.app}/x", "y")"#),
            "\"/aws/${var.app}/x\""
        );
        assert_eq!(
            eval(r#"coalesce(var.name, "y")"#),
            "${coalesce(var.name, \"y\")}"
        );
    }

    #[test]
    fn functions_modules_use() {
        assert_eq!(eval(r#"coalescelist([], ["a"])"#), r#"["a"]"#);
        assert_eq!(eval(r#"try("x", "y")"#), r#""x""#);
        assert_eq!(eval(r#"length({a = 1, b = 2})"#), "2");
        assert_eq!(eval(r#"keys({b = 1, a = 2})"#), r#"["a","b"]"#);
        assert_eq!(eval(r#"values({b = 1, a = 2})"#), "[2,1]");
        assert_eq!(eval(r#"contains(["INFO", "ERROR"], "ERROR")"#), "true");
        assert_eq!(eval(r#"element(["a", "b"], 3)"#), r#""b""#);
        assert_eq!(eval("one([])"), "null");
        assert_eq!(
            eval(r#"flatten([["a"], ["b", ["c"]]])"#),
            r#"["a","b","c"]"#
        );
        assert_eq!(eval(r#"compact(["a", "", null])"#), r#"["a"]"#);
        assert_eq!(eval(r#"split(",", "a,b")"#), r#"["a","b"]"#);
        assert_eq!(eval(r#"trimprefix("/aws/x", "/aws")"#), r#""/x""#);
        assert_eq!(eval(r#"trimsuffix("name:*", ":*")"#), r#""name""#);
        assert_eq!(
            eval(r#"jsondecode("{\"level\":\"INFO\",\"n\":[1]}")"#),
            r#"{"level":"INFO","n":[1]}"#
        );
        assert_eq!(eval(r#"can(var.x)"#), "${can(var.x)}");
    }
}

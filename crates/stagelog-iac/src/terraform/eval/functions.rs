//! Terraform's built-in functions the evaluator knows: those used to build formats, names and
//! collections (`jsonencode`, `format`, `join`, `merge`, `lookup`, `coalesce`, `basename`…).
//! A function it does not know, or arguments it cannot decide, give `None`: unknown.

use super::ops::loose_eq;
use crate::value::Val;
use stagelog_model::Text;

/// A JSON value (from `jsondecode`) as an evaluator value.
fn from_json(j: &serde_json::Value) -> Val {
    use serde_json::Value as J;
    match j {
        J::Null => Val::Null,
        J::Bool(b) => Val::Bool(*b),
        J::Number(n) => n.as_f64().map(Val::Num).unwrap_or(Val::Null),
        J::String(s) => Val::str(s),
        J::Array(items) => Val::List(items.iter().map(from_json).collect()),
        J::Object(m) => Val::Obj(m.iter().map(|(k, v)| (k.clone(), from_json(v))).collect()),
    }
}

/// Terraform functions that matter for logging settings. `None`: not evaluated here.
/// Terraform's `basename` (Go's `filepath.Base` on Unix): the last element, trailing slashes
/// removed; `.` for an empty path, `/` for slashes only.
fn base_name(path: &str) -> String {
    if path.is_empty() {
        return ".".into();
    }
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/".into();
    }
    trimmed.rsplit('/').next().unwrap_or(trimmed).to_string()
}

/// Terraform's `dirname` (Go's `filepath.Dir` on Unix): all but the last element, cleaned;
/// `.` when there is no directory part.
fn dir_name(path: &str) -> String {
    let dir = match path.rfind('/') {
        Some(i) => &path[..=i],
        None => return ".".into(),
    };
    let absolute = dir.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in dir.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            ".." if absolute => {}
            p => parts.push(p),
        }
    }
    match (absolute, parts.is_empty()) {
        (true, _) => format!("/{}", parts.join("/")),
        (false, true) => ".".into(),
        (false, false) => parts.join("/"),
    }
}

pub(super) fn call(name: &str, mut args: Vec<Val>) -> Option<Val> {
    let known_str = |v: &Val| v.to_text().as_known();
    Some(match (name, args.len()) {
        ("jsonencode", 1) => Val::Str(args[0].to_json(true)),
        ("tostring" | "tonumber" | "tobool" | "sensitive" | "nonsensitive", 1) => args.remove(0),
        ("toset" | "tolist", 1) => match args.remove(0) {
            Val::List(mut items) if name == "toset" => {
                items.dedup();
                Val::List(items)
            }
            other => other,
        },
        ("lower", 1) => Val::str(&known_str(&args[0])?.to_lowercase()),
        ("upper", 1) => Val::str(&known_str(&args[0])?.to_uppercase()),
        ("trimspace", 1) => Val::str(known_str(&args[0])?.trim()),
        ("replace", 3) => {
            let (s, from, to) = (
                known_str(&args[0])?,
                known_str(&args[1])?,
                known_str(&args[2])?,
            );
            if from.starts_with('/') {
                return None; // regular expressions: not evaluated
            }
            Val::str(&s.replace(&from, &to))
        }
        ("join", 2) => {
            let sep = args[0].to_text();
            let Val::List(items) = &args[1] else {
                return None;
            };
            let mut out = Text::default();
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.append(sep.clone());
                }
                out.append(item.to_text());
            }
            Val::Str(out)
        }
        ("format", n) if n >= 1 => {
            let fmt = known_str(&args[0])?;
            let mut out = Text::default();
            let mut rest = args[1..].iter();
            let mut chars = fmt.chars().peekable();
            let mut lit = String::new();
            while let Some(c) = chars.next() {
                if c != '%' {
                    lit.push(c);
                    continue;
                }
                match chars.next() {
                    Some('%') => lit.push('%'),
                    Some('s' | 'd' | 'v' | 'q') => {
                        out.push_lit(&lit);
                        lit.clear();
                        out.append(rest.next()?.to_text());
                    }
                    _ => return None,
                }
            }
            out.push_lit(&lit);
            Val::Str(out)
        }
        ("coalesce", _) => {
            for a in &args {
                match a {
                    Val::Null => continue,
                    Val::Str(t) if t.is_empty() => continue,
                    v if v.is_known() => return Some(v.clone()),
                    // Partly unknown, but with text of its own: certainly neither null nor
                    // empty, so it is the one (`coalesce(var.name, "/aws/${var.app}")`).
                    Val::Str(t)
                        if t.segments()
                            .iter()
                            .any(|s| matches!(s, stagelog_model::Segment::Lit(_))) =>
                    {
                        return Some(a.clone())
                    }
                    _ => return None,
                }
            }
            return None;
        }
        ("lookup", 2 | 3) => {
            let key = known_str(&args[1])?;
            match (&args[0], args.get(2)) {
                (Val::Obj(_), default) => match args[0].get(&key) {
                    Some(v) => v.clone(),
                    None => default?.clone(),
                },
                _ => return None,
            }
        }
        ("merge", _) => {
            let mut out = Vec::new();
            for a in args {
                let Val::Obj(entries) = a else { return None };
                for (k, v) in entries {
                    out.retain(|(x, _): &(String, Val)| *x != k);
                    out.push((k, v));
                }
            }
            Val::Obj(out)
        }
        ("coalescelist", _) => {
            for a in &args {
                match a {
                    Val::List(items) if items.is_empty() => continue,
                    Val::List(_) => return Some(a.clone()),
                    _ => return None,
                }
            }
            return None;
        }
        // The first argument that evaluates; an unknown one might be an error or a value.
        ("try", _) => match args.into_iter().next()? {
            v if v.is_known() => v,
            _ => return None,
        },
        ("can", 1) if args[0].is_known() => Val::Bool(true),
        ("length", 1) => Val::Num(match &args[0] {
            Val::List(items) => items.len() as f64,
            Val::Obj(entries) => entries.len() as f64,
            v => known_str(v)?.chars().count() as f64,
        }),
        ("keys", 1) => match &args[0] {
            Val::Obj(entries) => {
                let mut keys: Vec<Val> = entries.iter().map(|(k, _)| Val::str(k)).collect();
                keys.sort_by_key(|k| k.to_text().to_string());
                Val::List(keys)
            }
            _ => return None,
        },
        ("values", 1) => match &args[0] {
            Val::Obj(entries) => {
                let mut sorted: Vec<&(String, Val)> = entries.iter().collect();
                sorted.sort_by(|a, b| a.0.cmp(&b.0));
                Val::List(sorted.into_iter().map(|(_, v)| v.clone()).collect())
            }
            _ => return None,
        },
        ("contains", 2) => match &args[0] {
            Val::List(items) if items.iter().all(Val::is_known) && args[1].is_known() => {
                Val::Bool(items.iter().any(|i| loose_eq(i, &args[1])))
            }
            _ => return None,
        },
        ("element", 2) => match (&args[0], &args[1]) {
            (Val::List(items), Val::Num(n)) if !items.is_empty() && *n >= 0.0 => {
                items[(*n as usize) % items.len()].clone()
            }
            _ => return None,
        },
        ("one", 1) => match &args[0] {
            Val::List(items) if items.is_empty() => Val::Null,
            Val::List(items) if items.len() == 1 => items[0].clone(),
            _ => return None,
        },
        ("tomap", 1) => match args.remove(0) {
            v @ Val::Obj(_) => v,
            _ => return None,
        },
        ("flatten", 1) => {
            fn flat(v: Val, out: &mut Vec<Val>) -> Option<()> {
                match v {
                    Val::List(items) => items.into_iter().try_for_each(|i| flat(i, out)),
                    Val::Unknown(_) => None,
                    other => {
                        out.push(other);
                        Some(())
                    }
                }
            }
            let mut out = Vec::new();
            flat(args.remove(0), &mut out)?;
            Val::List(out)
        }
        ("compact", 1) => match &args[0] {
            Val::List(items) => Val::List(
                items
                    .iter()
                    .filter(|i| !matches!(i, Val::Null) && !i.to_text().is_empty())
                    .cloned()
                    .collect(),
            ),
            _ => return None,
        },
        ("split", 2) => {
            let (sep, s) = (known_str(&args[0])?, known_str(&args[1])?);
            Val::List(s.split(sep.as_str()).map(Val::str).collect())
        }
        ("basename", 1) => Val::str(&base_name(&known_str(&args[0])?)),
        ("dirname", 1) => Val::str(&dir_name(&known_str(&args[0])?)),
        ("trimprefix", 2) => {
            let (s, p) = (known_str(&args[0])?, known_str(&args[1])?);
            Val::str(s.strip_prefix(p.as_str()).unwrap_or(&s))
        }
        ("trimsuffix", 2) => {
            let (s, p) = (known_str(&args[0])?, known_str(&args[1])?);
            Val::str(s.strip_suffix(p.as_str()).unwrap_or(&s))
        }
        ("startswith", 2) => Val::Bool(known_str(&args[0])?.starts_with(&known_str(&args[1])?)),
        ("endswith", 2) => Val::Bool(known_str(&args[0])?.ends_with(&known_str(&args[1])?)),
        ("jsondecode", 1) => from_json(&serde_json::from_str(&known_str(&args[0])?).ok()?),
        ("concat", _) => {
            let mut out = Vec::new();
            for a in args {
                let Val::List(items) = a else { return None };
                out.extend(items);
            }
            Val::List(out)
        }
        _ => return None,
    })
}

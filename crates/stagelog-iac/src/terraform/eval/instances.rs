//! The instances `count` and `for_each` make of a resource or module call, and the bindings
//! of each: what `[each.key]`, `["eu"]` and `[0]` in a reference select.

use super::{Evaluator, Scope};
use crate::value::Val;
use stagelog_syntax::hcl::{quote, Body};

/// The instances `count` or `for_each` make of a resource or a module call, each with its
/// address suffix (`[0]`, `["eu"]`) and bindings. `count = 0` or an empty collection makes
/// none; a count or collection not known here makes one instance, its key unknown.
pub fn expand(ev: &Evaluator, body: &Body) -> Vec<(String, Scope)> {
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

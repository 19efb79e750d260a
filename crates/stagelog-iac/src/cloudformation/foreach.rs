//! `Fn::ForEach` (the `AWS::LanguageExtensions` transform): each loop expanded into the
//! resources it writes, its identifier substituted, before anything else is read.

use super::params::Parameters;
use stagelog_model::Problem;
use stagelog_syntax::yaml::{Node, NodeValue};

pub(super) const FOR_EACH: &str = "Fn::ForEach::";

/// The resources `Fn::ForEach::<loop>: [Identifier, Collection, {OutputKey: Body}]` entries
/// make: one copy of each output per item of the collection (a list, or a `Ref` to a list
/// parameter), with `${Identifier}` / `&{Identifier}` replaced in keys and `Fn::Sub` strings,
/// and `Ref Identifier` by the item. Loops nest. A collection
/// not known here expands to nothing, with an error naming it.
pub(super) fn expand_for_each(
    file: &str,
    map: &[(Node, Node)],
    root: &Node,
    given: &Parameters,
    errors: &mut Vec<Problem>,
) -> Vec<(Node, Node)> {
    let mut out = Vec::new();
    for (key, body) in map {
        let Some(name) = key.as_str().and_then(|k| k.strip_prefix(FOR_EACH)) else {
            continue;
        };
        let Some([ident, collection, outputs]) = body.as_seq() else {
            continue;
        };
        let (Some(ident), Some(outputs)) = (ident.as_str(), outputs.as_map()) else {
            continue;
        };
        let items: Option<Vec<String>> = match (collection.as_seq(), collection_ref(collection)) {
            (Some(list), _) => list
                .iter()
                .map(|i| i.as_str().map(str::to_string))
                .collect(),
            (None, Some(param)) => list_parameter(root, given, param),
            _ => None,
        };
        let Some(items) = items else {
            errors.push(Problem::in_file(file.to_string(), Some(collection.line), format!(
                    "Fn::ForEach::{name}: the collection is not known here; its resources are not judged"
                )));
            continue;
        };
        for item in &items {
            let copies: Vec<(Node, Node)> = outputs
                .iter()
                .map(|(k, v)| {
                    (
                        substitute(k, ident, item, true, false),
                        substitute(v, ident, item, false, false),
                    )
                })
                .collect();
            out.extend(
                copies
                    .iter()
                    .filter(|(k, _)| !k.as_str().is_some_and(|k| k.starts_with(FOR_EACH)))
                    .cloned(),
            );
            out.extend(expand_for_each(file, &copies, root, given, errors));
        }
    }
    out
}

/// `!Ref X` or `{"Ref": "X"}`: the name X.
pub(super) fn collection_ref(n: &Node) -> Option<&str> {
    if n.tag.as_deref() == Some("Ref") {
        return n.as_str();
    }
    match &n.value {
        NodeValue::Map(entries) if entries.len() == 1 && entries[0].0.as_str() == Some("Ref") => {
            entries[0].1.as_str()
        }
        _ => None,
    }
}

/// A list parameter's items, given or defaulted.
pub(super) fn list_parameter(root: &Node, given: &Parameters, name: &str) -> Option<Vec<String>> {
    let text = match given.get(name) {
        Some(t) => t.to_string(),
        None => {
            let default = root.get("Parameters")?.get(name)?.get("Default")?;
            match default.as_seq() {
                Some(items) => {
                    return items
                        .iter()
                        .map(|i| i.as_str().map(str::to_string))
                        .collect()
                }
                None => default.as_str()?.to_string(),
            }
        }
    };
    Some(text.split(',').map(|s| s.trim().to_string()).collect())
}

/// A copy of `n` for one item of a `Fn::ForEach` loop: `${Identifier}` and `&{Identifier}`
/// replaced in keys (`key`) and in `Fn::Sub` strings (`in_sub`), `Ref Identifier` by the item.
pub(super) fn substitute(n: &Node, ident: &str, item: &str, key: bool, in_sub: bool) -> Node {
    let dollar = format!("${{{ident}}}");
    let amp = format!("&{{{ident}}}");
    // `&{}` is the item without its non-alphanumeric characters (for logical ids).
    let alnum: String = item.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    let text_of = |t: &str| t.replace(&dollar, item).replace(&amp, &alnum);
    let is_ref = (n.tag.as_deref() == Some("Ref") && n.as_str() == Some(ident))
        || (n.tag.is_none() && collection_ref(n) == Some(ident));
    if is_ref {
        return Node {
            value: NodeValue::Scalar {
                text: item.to_string(),
                plain: false,
            },
            tag: None,
            line: n.line,
            span: n.span,
        };
    }
    let in_sub = in_sub || n.tag.as_deref() == Some("Sub");
    let value = match &n.value {
        NodeValue::Scalar { text, plain } => NodeValue::Scalar {
            text: if key || in_sub {
                text_of(text)
            } else {
                text.clone()
            },
            plain: *plain,
        },
        NodeValue::Seq(items) => NodeValue::Seq(
            items
                .iter()
                .map(|i| substitute(i, ident, item, false, in_sub))
                .collect(),
        ),
        NodeValue::Map(entries) => NodeValue::Map(
            entries
                .iter()
                .map(|(k, v)| {
                    let sub = in_sub || k.as_str() == Some("Fn::Sub");
                    (
                        substitute(k, ident, item, true, false),
                        substitute(v, ident, item, false, sub),
                    )
                })
                .collect(),
        ),
    };
    Node {
        value,
        tag: n.tag.clone(),
        line: n.line,
        span: n.span,
    }
}

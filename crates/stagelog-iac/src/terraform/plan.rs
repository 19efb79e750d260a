//! Terraform / OpenTofu plan files (`terraform show -json`): the values the plan resolved, for
//! every resource of the root and child modules that will exist after apply. A value known
//! only after apply (`after_unknown`) is unknown, never missing; where the configuration says
//! what it refers to (`aws_cloudwatch_log_group.x.arn`), the reference is kept so the stage
//! still links to its log group. The plan's resources are built into the tree `.tf` files are
//! read into, as a synthetic configuration, and read by the same adapter, so they are judged
//! exactly as configuration is.

use super::{Module, TfFile};
use hcl_edit::expr::Expression;
use stagelog_model::Inventory;
use stagelog_model::Problem;
use stagelog_syntax::hcl::json::{expression, Strings};
use stagelog_syntax::hcl::{self, Attribute, Block, Body, Structure};
use stagelog_syntax::lines::LineIndex;
use stagelog_syntax::yaml::{self, Node, NodeValue};
use std::collections::HashMap;
use std::ops::Range;

/// Whether a JSON text is a plan (`format_version` with `planned_values` or `resource_changes`).
pub fn is_plan(src: &str) -> bool {
    // The head in bytes: 4096 may fall inside a character of non-ASCII text.
    let head = &src.as_bytes()[..src.len().min(4096)];
    src.trim_start().starts_with('{')
        && memchr::memmem::find(head, b"\"format_version\"").is_some()
        && (src.contains("\"planned_values\"") || src.contains("\"resource_changes\""))
}

/// Nested blocks of the resources stagelog reads: in plan values they are lists of objects.
const BLOCKS: &[&str] = &[
    "access_log_settings",
    "default_route_settings",
    "route_settings",
    "settings",
];

/// Attributes the provider computes, never arguments a rule judges: known after apply, they
/// stand for the resource itself.
const COMPUTED: &[&str] = &["arn", "id", "execution_arn", "invoke_url", "api_endpoint"];

/// An expression written by this adapter (a reference, a variable standing for a value
/// known after apply): always valid HCL.
fn written(text: &str) -> Expression {
    hcl::parse_expr(text)
        .unwrap_or_else(|_| Expression::Null(hcl_edit::Decorated::new(hcl_edit::expr::Null)))
}

fn attribute(key: &str, value: Expression, span: Range<usize>) -> Structure {
    Structure::Attribute(Attribute {
        key: key.to_string(),
        value,
        span: span.clone(),
        value_span: span,
    })
}

fn block(ident: &str, labels: Vec<String>, body: Body, span: Range<usize>) -> Structure {
    Structure::Block(Block {
        ident: ident.to_string(),
        labels,
        body,
        span,
    })
}

/// The plan's resources as an inventory: addresses and lines as the plan gives them.
pub fn adapt(path: &str, src: &str) -> Result<Inventory, Problem> {
    let err = |line: u32, message: String| Problem::in_file(path.to_string(), Some(line), message);
    let loaded = yaml::load(src)
        .map_err(|i| err(i.line, format!("cannot parse the plan: {}", i.message)))?;
    let Some(root) = loaded.root else {
        return Ok(Inventory::default());
    };
    // after_unknown per resource address.
    let mut unknown: HashMap<String, &Node> = HashMap::new();
    for rc in root
        .get("resource_changes")
        .and_then(Node::as_seq)
        .unwrap_or_default()
    {
        if let (Some(addr), Some(u)) = (
            rc.get("address").and_then(Node::as_str),
            rc.get("change").and_then(|c| c.get("after_unknown")),
        ) {
            unknown.insert(addr.to_string(), u);
        }
    }
    // What unknown values refer to, from the configuration: every module's resources, keyed
    // by the module path without instance keys (`module.api.`) and the address within it.
    let mut references: HashMap<String, HashMap<String, String>> = HashMap::new();
    let mut configs = vec![(
        String::new(),
        root.get("configuration").and_then(|c| c.get("root_module")),
    )];
    while let Some((prefix, m)) = configs.pop() {
        let Some(m) = m else { continue };
        for r in m
            .get("resources")
            .and_then(Node::as_seq)
            .unwrap_or_default()
        {
            let Some(addr) = r.get("address").and_then(Node::as_str) else {
                continue;
            };
            let mut refs = HashMap::new();
            collect_refs(r.get("expressions"), "", &mut refs);
            references.insert(format!("{prefix}{addr}"), refs);
        }
        for (name, call) in m
            .get("module_calls")
            .and_then(Node::as_map)
            .unwrap_or_default()
        {
            if let Some(name) = name.as_str() {
                configs.push((format!("{prefix}module.{name}."), call.get("module")));
            }
        }
    }
    // The planned resources, each with the name it gets in the synthetic configuration: root,
    // unindexed resources keep theirs, so references between them resolve as written; the
    // others get one of their own (and their address back afterwards).
    let mut planned: Vec<(&Node, &str, &str, String)> = Vec::new();
    let mut modules = vec![root
        .get("planned_values")
        .and_then(|p| p.get("root_module"))];
    while let Some(m) = modules.pop() {
        let Some(m) = m else { continue };
        for r in m
            .get("resources")
            .and_then(Node::as_seq)
            .unwrap_or_default()
        {
            if r.get("mode").and_then(Node::as_str) != Some("managed") {
                continue;
            }
            let (Some(addr), Some(rtype)) = (
                r.get("address").and_then(Node::as_str),
                r.get("type").and_then(Node::as_str),
            ) else {
                continue;
            };
            let plain = addr.strip_prefix(&format!("{rtype}.")).filter(|n| {
                n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            });
            let name = match plain {
                Some(n) => n.to_string(),
                None => format!("plan_{}", planned.len()),
            };
            planned.push((r, addr, rtype, name));
        }
        for child in m
            .get("child_modules")
            .and_then(Node::as_seq)
            .unwrap_or_default()
        {
            modules.push(Some(child));
        }
    }
    let synthetic: HashMap<&str, (&str, &str)> = planned
        .iter()
        .map(|(_, addr, rtype, name)| (*addr, (*rtype, name.as_str())))
        .collect();
    let mut file = Body::default();
    // Synthetic block name → the plan's address.
    let mut addresses: HashMap<String, (String, u32)> = HashMap::new();
    for (r, addr, rtype, name) in &planned {
        addresses.insert(format!("{rtype}.{name}"), (addr.to_string(), r.line));
        // The configuration's references, made to point at the same module instance's
        // resources under their synthetic names.
        let (instance, within) = split_address(addr, rtype);
        let refs: Option<HashMap<String, String>> = references
            .get(&format!("{}{within}", without_keys(instance)))
            .map(|refs| {
                refs.iter()
                    .filter_map(|(path, reference)| {
                        Some((path.clone(), in_instance(reference, instance, &synthetic)?))
                    })
                    .collect()
            });
        let body = build_body(
            r.get("values"),
            unknown.get(*addr).copied(),
            refs.as_ref(),
            "",
            r.span.start..r.span.start + 1,
        );
        file.structures.push(block(
            "resource",
            vec![rtype.to_string(), name.clone()],
            body,
            r.span.start..r.span.end,
        ));
    }
    let file: TfFile = super::parse::extract(path, file, LineIndex::new(src), None);
    let module = Module {
        files: vec![file],
        ..Module::default()
    }
    .finish();
    let mut inv = module.inventory();
    // The plan's own addresses and lines.
    for loc in inv.locations_mut() {
        if let Some((addr, line)) = addresses.get(&loc.resource) {
            loc.resource = addr.clone();
            loc.line = Some(*line);
            loc.end_line = Some(*line);
        }
    }
    Ok(inv)
}

/// A resource address split into its module instance (`module.api["eu"].`, empty at the root)
/// and its address within the module without its own index (`aws_apigatewayv2_stage.this`).
fn split_address<'a>(addr: &'a str, rtype: &str) -> (&'a str, &'a str) {
    let at = addr
        .match_indices(&format!("{rtype}."))
        .map(|(i, _)| i)
        .filter(|i| *i == 0 || addr[..*i].ends_with('.'))
        .last()
        .unwrap_or(0);
    let within = &addr[at..];
    let within = within.find('[').map_or(within, |b| &within[..b]);
    (&addr[..at], within)
}

/// A module path without instance keys: `module.api["eu"].` → `module.api.`.
fn without_keys(path: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    let mut quoted = false;
    for c in path.chars() {
        match c {
            '"' if depth > 0 => quoted = !quoted,
            '[' if !quoted => depth += 1,
            ']' if !quoted && depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// A reference made in a module instance (`aws_cloudwatch_log_group.this.arn`), rewritten to
/// the synthetic name of the resource it means in that instance; `None` when that resource
/// is not in the plan (or the reference is not to a resource).
fn in_instance(
    reference: &str,
    instance: &str,
    synthetic: &HashMap<&str, (&str, &str)>,
) -> Option<String> {
    let (rtype, rest) = reference.split_once('.')?;
    if [
        "var", "local", "module", "data", "each", "count", "path", "self",
    ]
    .contains(&rtype)
    {
        return Some(reference.to_string()).filter(|_| instance.is_empty());
    }
    // NAME, an optional [index], then the attribute.
    let name_end = rest.find(['.', '[']).unwrap_or(rest.len());
    let after_name = &rest[name_end..];
    let index_end = if after_name.starts_with('[') {
        after_name.find(']').map_or(0, |i| i + 1)
    } else {
        0
    };
    let target = format!(
        "{instance}{rtype}.{}{}",
        &rest[..name_end],
        &after_name[..index_end]
    );
    let (_, name) = synthetic.get(target.as_str())?;
    Some(format!("{rtype}.{name}{}", &after_name[index_end..]))
}

/// `expressions` of a configuration resource: attribute path → its first reference.
fn collect_refs(n: Option<&Node>, path: &str, out: &mut HashMap<String, String>) {
    let Some(n) = n else { return };
    match &n.value {
        NodeValue::Map(entries) => {
            if let Some(first) = n
                .get("references")
                .and_then(Node::as_seq)
                .and_then(|r| r.first())
                .and_then(Node::as_str)
            {
                out.insert(path.to_string(), first.to_string());
                return;
            }
            for (k, v) in entries {
                let key = k.as_str().unwrap_or_default();
                let p = if path.is_empty() {
                    key.to_string()
                } else {
                    format!("{path}.{key}")
                };
                collect_refs(Some(v), &p, out);
            }
        }
        NodeValue::Seq(items) => {
            for item in items {
                collect_refs(Some(item), path, out);
            }
        }
        NodeValue::Scalar { .. } => {}
    }
}

/// Attributes of one object of values; `unknown` is the matching part of `after_unknown`;
/// `at` is where to place what the plan gives no place of its own (the resource).
fn build_body(
    values: Option<&Node>,
    unknown: Option<&Node>,
    refs: Option<&HashMap<String, String>>,
    path: &str,
    at: Range<usize>,
) -> Body {
    let is_unknown = |key: &str| {
        unknown
            .and_then(|u| u.get(key))
            .is_some_and(|v| v.as_str() == Some("true"))
    };
    let reference = |key: &str| {
        let p = if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        };
        refs.and_then(|r| r.get(&p))
            .filter(|r| !r.starts_with("var.") && !r.starts_with("local."))
            .cloned()
    };
    let mut keys: Vec<String> = values
        .and_then(Node::as_map)
        .unwrap_or_default()
        .iter()
        .filter_map(|(k, _)| k.as_str().map(str::to_string))
        .collect();
    // Known only after apply: in after_unknown, not (or null) in values.
    for (k, _) in unknown.and_then(Node::as_map).unwrap_or_default() {
        if let Some(k) = k.as_str() {
            if !keys.iter().any(|x| x == k) {
                keys.push(k.to_string());
            }
        }
    }
    let mut body = Body::default();
    for key in keys {
        if !hcl::json::is_ident(&key) {
            continue;
        }
        let value = values.and_then(|v| v.get(&key));
        let span = value.map_or(at.clone(), |v| v.span.start..v.span.end);
        if is_unknown(&key) && BLOCKS.contains(&key.as_str()) {
            // A whole block known only after apply: as many blocks as apply makes.
            let content = block("content", vec![], Body::default(), span.clone());
            let dynamic = Body {
                structures: vec![
                    attribute("for_each", written("var.known_after_apply"), span.clone()),
                    content,
                ],
            };
            body.structures
                .push(block("dynamic", vec![key.clone()], dynamic, span));
            continue;
        }
        if is_unknown(&key) {
            let expr = match reference(&key) {
                Some(reference) => reference,
                // An identity the provider computes (a new log group's `arn`, a new API's
                // `id`) is left out, so a reference to it is a reference to the resource, as
                // it is in configuration: the stage then links to its log group, and a v2
                // stage learns its API's protocol.
                None if COMPUTED.contains(&key.as_str()) => continue,
                None => format!("var.known_after_apply_{}", key.replace('-', "_")),
            };
            body.structures.push(attribute(&key, written(&expr), span));
            continue;
        }
        let Some(value) = value else { continue };
        if BLOCKS.contains(&key.as_str()) {
            let nested_unknown = unknown.and_then(|u| u.get(&key)).and_then(Node::as_seq);
            for (i, item) in value.as_seq().unwrap_or_default().iter().enumerate() {
                let u = nested_unknown.and_then(|s| s.get(i));
                let p = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                let item_span = item.span.start..item.span.end;
                let nested = build_body(Some(item), u, refs, &p, item_span.clone());
                body.structures.push(block(&key, vec![], nested, item_span));
            }
            continue;
        }
        if matches!(&value.value, NodeValue::Scalar { text, plain: true } if text == "null") {
            continue;
        }
        // Plan values are literal: `${` and `%{` in them are text, not template syntax. A
        // number is read as HCL reads it, which cannot fail for what JSON holds.
        let Ok(expr) = expression(value, Strings::Literal) else {
            continue;
        };
        body.structures.push(attribute(&key, expr, span));
    }
    body
}

//! Terraform files read into [`TfFile`]s: HCL (`.tf`, `.tofu`), Terraform's JSON syntax
//! (`.tf.json`, built straight into the same tree by `stagelog_syntax::hcl::json`), and
//! variable files (`.tfvars`, `.tfvars.json`).

use super::{ModuleCall, Resource, TfFile, Variable};
use hcl_edit::expr::Expression;
use stagelog_model::Problem;
use stagelog_syntax::hcl::json::{Builder, JsonSyntaxError};
use stagelog_syntax::hcl::{self, Body, Structure};
use stagelog_syntax::lines::LineIndex;
use stagelog_syntax::yaml::{self, Node};

fn hcl_error(path: &str, e: &hcl_edit::parser::Error) -> Problem {
    let loc = e.location();
    Problem::in_file(
        path,
        Some(loc.line() as u32),
        format!(
            "cannot parse HCL: {} (column {})",
            e.message(),
            loc.column()
        ),
    )
}

/// A template in JSON syntax that does not parse, at the JSON's line.
fn json_error(path: &str, lines: &LineIndex, e: JsonSyntaxError) -> Problem {
    Problem::in_file(
        path,
        Some(lines.line(e.offset)),
        format!("cannot parse HCL: {}", e.message),
    )
}

pub fn parse_tf(path: &str, src: &str) -> Result<TfFile, Problem> {
    let body = hcl::parse_body(src).map_err(|e| hcl_error(path, &e))?;
    Ok(extract(path, body, LineIndex::new(src), Some(src)))
}

/// A JSON file, checked as JSON (the YAML loader, which gives lines, would take trailing
/// commas and comments too) and loaded with its lines.
fn load_json(path: &str, src: &str) -> Result<yaml::Loaded, Problem> {
    let err = |line: u32, message: String| {
        Problem::in_file(
            path.to_string(),
            Some(line),
            format!("cannot parse JSON: {message}"),
        )
    };
    if let Some((line, message)) = stagelog_syntax::json::syntax_error(src) {
        return Err(err(line, message));
    }
    yaml::load(src).map_err(|i| err(i.line, i.message))
}

/// `.tfvars.json`: a JSON object of values.
pub fn parse_tfvars_json(path: &str, src: &str) -> Result<Vec<(String, Expression)>, Problem> {
    let loaded = load_json(path, src)?;
    let builder = Builder { src, blocks: &[] };
    let lines = LineIndex::new(src);
    let mut out = Vec::new();
    for (k, v) in loaded
        .root
        .as_ref()
        .and_then(Node::as_map)
        .unwrap_or_default()
    {
        let Some(key) = k.as_str().filter(|k| hcl::json::is_ident(k)) else {
            continue;
        };
        if let Structure::Attribute(a) = builder
            .attribute(key, k.span.start, v)
            .map_err(|e| json_error(path, &lines, e))?
        {
            out.push((a.key, a.value));
        }
    }
    Ok(out)
}

/// `.tfvars`: `name = value` lines.
pub fn parse_tfvars(path: &str, src: &str) -> Result<Vec<(String, Expression)>, Problem> {
    let body = hcl::parse_body(src).map_err(|e| hcl_error(path, &e))?;
    Ok(body.into_attributes().map(|a| (a.key, a.value)).collect())
}

/// The file's resources, variables and locals; with the HCL text (not for `.tf.json`, which
/// has no comments), the suppression marks on each resource too.
pub(super) fn extract(path: &str, body: Body, lines: LineIndex, src: Option<&str>) -> TfFile {
    let mut file = TfFile {
        path: path.to_string(),
        lines,
        resources: vec![],
        variables: vec![],
        locals: vec![],
        marks: vec![],
        calls: vec![],
        outputs: vec![],
        providers: vec![],
    };
    let text_lines: Vec<&str> = src
        .filter(|s| crate::marks::may_hold_marks(s))
        .map(|s| s.lines().collect())
        .unwrap_or_default();
    if let Some(src) = src {
        file.marks.extend(crate::marks::kics_file_marks(path, src));
    }
    for block in body.into_blocks() {
        let line = file.lines.line(block.span.start);
        let end_line = file.lines.line(block.span.end.saturating_sub(1));
        match (block.ident.as_str(), block.labels.as_slice()) {
            ("resource", [t, n]) => {
                let (rtype, name) = (t.clone(), n.clone());
                if !text_lines.is_empty() {
                    file.marks.extend(crate::marks::hcl_block_marks(
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
            ("provider", [n]) if n == "aws" => file.providers.push(block.body),
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

/// `.tf.json`: Terraform's JSON syntax, built into the tree `.tf` files are read into, at the
/// JSON's own lines.
pub fn parse_tf_json(path: &str, src: &str) -> Result<(TfFile, Vec<Problem>), Problem> {
    let loaded = load_json(path, src)?;
    let lines = LineIndex::new(src);
    let body = match &loaded.root {
        Some(root) => Builder {
            src,
            blocks: BLOCKS,
        }
        .configuration(root)
        .map_err(|e| json_error(path, &lines, e))?,
        None => Body::default(),
    };
    let file = extract(path, body, lines, None);
    // Duplicate keys: the last one is used, and said so rather than merged silently.
    let issues = loaded
        .issues
        .into_iter()
        .map(|i| Problem::in_file(path.to_string(), Some(i.line), i.message))
        .collect();
    Ok((file, issues))
}

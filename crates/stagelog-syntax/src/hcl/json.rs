//! Terraform's JSON syntax (`.tf.json`, `.tfvars.json`) built straight into the HCL tree the
//! adapter reads, with the byte spans of the JSON it came from: no HCL text is written and read
//! again. As Terraform reads JSON syntax
//! (<https://developer.hashicorp.com/terraform/language/syntax/json>): strings are templates
//! (`"${var.x}"`), a property named `//` is a comment, and which properties are nested blocks
//! rather than attributes is the schema's business, so callers name them ([`Blocks`]).
//!
//! Plan values (`terraform show -json`) are JSON too, but literal: [`Strings::Literal`].

use super::{parse_expr, quote, Attribute, Block, Body, Structure};
use crate::yaml::{Node, NodeValue};
use hcl_edit::expr::{Array, Expression, Object, ObjectKey, ObjectValue, ObjectValueTerminator};
use hcl_edit::Decorated;
use std::ops::Range;

/// How JSON strings are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strings {
    /// As configuration: `${…}` and `%{…}` are template syntax.
    Templates,
    /// As values: every string is its own text.
    Literal,
}

/// The property names that are nested blocks in the resources a caller reads (in JSON syntax
/// they look like attributes holding an object or a list of objects).
pub type Blocks<'a> = &'a [&'a str];

/// Something the JSON holds that Terraform would reject: a template that does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonSyntaxError {
    /// Byte offset of the value in the JSON text.
    pub offset: usize,
    pub message: String,
}

type Built<T> = Result<T, JsonSyntaxError>;

/// A JSON value as the HCL expression Terraform reads it as.
pub fn expression(n: &Node, strings: Strings) -> Built<Expression> {
    Ok(match &n.value {
        NodeValue::Scalar { text, plain: true } if text == "null" => {
            Expression::Null(Decorated::new(hcl_edit::expr::Null))
        }
        NodeValue::Scalar { text, plain: true } if text == "true" || text == "false" => {
            Expression::Bool(Decorated::new(text == "true"))
        }
        NodeValue::Scalar { text, plain: true } if text.parse::<f64>().is_ok() => {
            // Read by the HCL reader, so a number is what `1e3` or `-1` is in HCL.
            parse(text, n)?
        }
        NodeValue::Scalar { text, .. } => string(text, n, strings)?,
        NodeValue::Seq(items) => Expression::Array(Array::from(
            items
                .iter()
                .map(|i| expression(i, strings))
                .collect::<Built<Vec<_>>>()?,
        )),
        NodeValue::Map(entries) => {
            let mut object = Object::new();
            for (i, (k, v)) in entries.iter().enumerate() {
                let key = ObjectKey::Expression(Expression::String(Decorated::new(
                    k.as_str().unwrap_or_default().to_string(),
                )));
                let mut value = ObjectValue::new(expression(v, strings)?);
                if i + 1 == entries.len() {
                    // As HCL's reader ends `{a = 1, b = 2}`: the last value has no comma.
                    value.set_terminator(ObjectValueTerminator::None);
                }
                object.insert(key, value);
            }
            Expression::Object(object)
        }
    })
}

fn string(text: &str, n: &Node, strings: Strings) -> Built<Expression> {
    if strings == Strings::Templates && (text.contains("${") || text.contains("%{")) {
        return parse(&quote(text), n);
    }
    Ok(Expression::String(Decorated::new(text.to_string())))
}

fn parse(text: &str, n: &Node) -> Built<Expression> {
    parse_expr(text).map_err(|e| JsonSyntaxError {
        offset: n.span.start,
        message: e.message().to_string(),
    })
}

/// Whether a property name can be an HCL attribute name.
pub fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

/// A value that may be one object or a list of them (`"locals": [{…}, {…}]`).
fn one_or_many(n: &Node) -> Vec<&Node> {
    match &n.value {
        NodeValue::Seq(items) => items.iter().collect(),
        _ => vec![n],
    }
}

/// Bytes of a node, without what saphyr counts after a flow collection's closing bracket.
fn span(src: &str, n: &Node) -> Range<usize> {
    let end = n.span.end.min(src.len());
    let start = n.span.start.min(end);
    start
        ..start
            + src[start..end]
                .trim_end_matches([' ', '\t', '\r', '\n'])
                .len()
}

/// Reads JSON objects into bodies: the text (for spans) and which properties are blocks.
pub struct Builder<'a> {
    pub src: &'a str,
    pub blocks: Blocks<'a>,
}

impl Builder<'_> {
    /// An object of configuration as a body: attributes, nested blocks and `dynamic` blocks.
    pub fn body(&self, n: &Node) -> Built<Body> {
        let mut body = Body::default();
        for (k, v) in n.as_map().unwrap_or_default() {
            let Some(key) = k.as_str() else { continue };
            if key == "//" {
                continue;
            }
            if key == "dynamic" {
                self.labelled("dynamic", v, &mut body)?;
            } else if self.blocks.contains(&key)
                && one_or_many(v).iter().all(|b| b.as_map().is_some())
            {
                for b in one_or_many(v) {
                    body.structures.push(Structure::Block(Block {
                        ident: key.to_string(),
                        labels: vec![],
                        body: self.body(b)?,
                        span: span(self.src, b),
                    }));
                }
            } else if is_ident(key) {
                body.structures.push(self.attribute(key, k.span.start, v)?);
            }
        }
        Ok(body)
    }

    /// `key = value`, from the key's offset to the value's end.
    pub fn attribute(&self, key: &str, start: usize, v: &Node) -> Built<Structure> {
        let value_span = span(self.src, v);
        Ok(Structure::Attribute(Attribute {
            key: key.to_string(),
            value: expression(v, Strings::Templates)?,
            span: start.min(value_span.start)..value_span.end,
            value_span,
        }))
    }

    /// `kind "name" { … }` for each property of an object (`module`, `output`, `dynamic`), one
    /// block per item where the value is a list.
    fn labelled(&self, kind: &str, v: &Node, into: &mut Body) -> Built<()> {
        for (name, body) in v.as_map().unwrap_or_default() {
            for b in one_or_many(body) {
                into.structures.push(self.block(kind, &[name], b)?);
            }
        }
        Ok(())
    }

    /// A block labelled by the keys that lead to its object, spanning from the last of them.
    fn block(&self, kind: &str, labels: &[&Node], body: &Node) -> Built<Structure> {
        let start = labels.last().map_or(body.span.start, |l| l.span.start);
        Ok(Structure::Block(Block {
            ident: kind.to_string(),
            labels: labels
                .iter()
                .map(|l| l.as_str().unwrap_or_default().to_string())
                .collect(),
            body: self.body(body)?,
            span: start..span(self.src, body).end,
        }))
    }

    /// A whole `.tf.json` file: the top-level blocks Terraform's JSON syntax defines that the
    /// adapter reads (`resource`, `variable`, `locals`, `module`, `output`).
    pub fn configuration(&self, root: &Node) -> Built<Body> {
        let mut file = Body::default();
        for (section, v) in root.as_map().unwrap_or_default() {
            match section.as_str() {
                Some("resource") => {
                    for (rtype, named) in v.as_map().unwrap_or_default() {
                        for (name, body) in named.as_map().unwrap_or_default() {
                            for b in one_or_many(body) {
                                file.structures
                                    .push(self.block("resource", &[rtype, name], b)?);
                            }
                        }
                    }
                }
                Some("variable") => {
                    for (name, body) in v.as_map().unwrap_or_default() {
                        file.structures.push(self.variable(name, body)?);
                    }
                }
                Some("locals") => {
                    for b in one_or_many(v) {
                        file.structures.push(self.block("locals", &[], b)?);
                    }
                }
                Some(section @ ("module" | "output")) => self.labelled(section, v, &mut file)?,
                _ => {}
            }
        }
        Ok(file)
    }

    /// A `variable`: its `default`, and its `type` when that is a type expression written as
    /// a string (`"list(string)"`).
    fn variable(&self, name: &Node, body: &Node) -> Built<Structure> {
        let mut inner = Body::default();
        if let Some((k, d)) = body.entry("default") {
            inner
                .structures
                .push(self.attribute("default", k.span.start, d)?);
        }
        if let Some((k, t)) = body.entry("type") {
            let text = t.as_str().unwrap_or_default();
            if t.as_str().is_some()
                && text
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "(),_ {}=".contains(c))
            {
                let value_span = span(self.src, t);
                inner.structures.push(Structure::Attribute(Attribute {
                    key: "type".into(),
                    value: parse(text, t)?,
                    span: k.span.start..value_span.end,
                    value_span,
                }));
            }
        }
        Ok(Structure::Block(Block {
            ident: "variable".into(),
            labels: vec![name.as_str().unwrap_or_default().to_string()],
            body: inner,
            span: name.span.start..span(self.src, body).end,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn configuration(src: &str) -> Body {
        let root = crate::yaml::load(src).unwrap().root.unwrap();
        Builder {
            src,
            blocks: &["access_log_settings"],
        }
        .configuration(&root)
        .unwrap()
    }

    /// The tree built from JSON syntax equals the one read from the same configuration in
    /// HCL syntax, values and all.
    #[test]
    fn json_syntax_reads_as_its_hcl() {
        let json = r#"{
  "//": "a comment",
  "variable": {"stage": {"default": "prod", "type": "string"}},
  "locals": {"name": "orders-${var.stage}", "tags": {"team": "api", "n": 2}},
  "resource": {
    "aws_api_gateway_stage": {
      "prod": {
        "stage_name": "${var.stage}",
        "xray_tracing_enabled": true,
        "cache_cluster_size": 0.5,
        "variables": null,
        "access_log_settings": {
          "destination_arn": "${aws_cloudwatch_log_group.access.arn}",
          "format": "{\"requestId\":\"$context.requestId\"}"
        },
        "dynamic": {"canary_settings": {"for_each": "${var.canary}", "content": {}}}
      }
    }
  },
  "module": {"api": [{"source": "./api", "list": [1, -2, "x"]}]},
  "output": {"arn": {"value": "${aws_api_gateway_stage.prod.arn}"}}
}"#;
        let hcl = r#"variable "stage" {
  default = "prod"
  type = string
}
locals {
  name = "orders-${var.stage}"
  tags = {"team" = "api", "n" = 2}
}
resource "aws_api_gateway_stage" "prod" {
  stage_name = "${var.stage}"
  xray_tracing_enabled = true
  cache_cluster_size = 0.5
  variables = null
  access_log_settings {
    destination_arn = "${aws_cloudwatch_log_group.access.arn}"
    format = "{\"requestId\":\"$context.requestId\"}"
  }
  dynamic "canary_settings" {
    for_each = "${var.canary}"
    content = {}
  }
}
module "api" {
  source = "./api"
  list = [1, -2, "x"]
}
output "arn" {
  value = "${aws_api_gateway_stage.prod.arn}"
}
"#;
        fn meaning(body: &Body) -> Vec<String> {
            body.structures
                .iter()
                .flat_map(|s| match s {
                    Structure::Attribute(a) => vec![format!("{} = {}", a.key, a.value)],
                    Structure::Block(b) => {
                        let mut lines = vec![format!("{} {:?}", b.ident, b.labels)];
                        lines.extend(meaning(&b.body).into_iter().map(|l| format!("  {l}")));
                        lines
                    }
                })
                .collect()
        }
        let from_json = configuration(json);
        let from_hcl = crate::hcl::parse_body(hcl).unwrap();
        assert_eq!(
            meaning(&from_json).join("\n"),
            meaning(&from_hcl).join("\n")
        );
    }

    #[test]
    fn spans_point_into_the_json() {
        let json = "{\n  \"resource\": {\n    \"aws_x\": {\n      \"a\": {\n        \"k\": \"v\"\n      }\n    }\n  }\n}\n";
        let body = configuration(json);
        let Structure::Block(b) = &body.structures[0] else {
            panic!()
        };
        let lines = crate::lines::LineIndex::new(json);
        assert_eq!(lines.line(b.span.start), 4, "the resource's name");
        assert_eq!(lines.line(b.span.end - 1), 6, "its closing brace");
        let attr = b.body.get_attribute("k").unwrap();
        assert_eq!(&json[attr.span.clone()], "\"k\": \"v\"");
        assert_eq!(&json[attr.value_span.clone()], "\"v\"");
    }

    #[test]
    fn literal_strings_and_bad_templates() {
        let n = crate::yaml::load("[\"${x}\", \"a%{if}\"]")
            .unwrap()
            .root
            .unwrap();
        let e = expression(&n, Strings::Literal).unwrap();
        assert_eq!(e.to_string(), "[\"$${x}\", \"a%%{if}\"]");
        let bad = crate::yaml::load("{\"a\": \"${\"}").unwrap().root.unwrap();
        let err = expression(&bad, Strings::Templates).unwrap_err();
        assert_eq!(err.offset, 6);
    }
}

//! The HCL structure the Terraform adapter reads: bodies of attributes and blocks, each with
//! its byte span and the span of its value; values stay hcl-edit expressions, which the
//! evaluator walks. Expressions themselves carry no spans (the quick reader sets none): place
//! things by [`Attribute::span`], [`Attribute::value_span`] and [`Block::span`].
//!
//! [`parse_body`] reads with the quick reader first and with hcl-edit's parser only when that
//! declines (a construct it does not take, or an error, which hcl-edit then reports with its
//! line and column). hcl-edit keeps every space and comment so that fixes can edit text in
//! place; a scan needs none of that, and hcl-edit's parse was over a third of a scan's
//! instructions. [`json`] builds the same tree from Terraform's JSON syntax.

mod for_objects;
pub mod json;
#[cfg(feature = "quick-readers")]
mod quick;

/// The quick reader held to hcl-edit (see `quick::differential`), for the fuzz target.
#[cfg(feature = "quick-readers")]
pub use quick::agrees_with_hcl_edit;

use hcl_edit::expr::Expression;
use hcl_edit::structure::BlockLabel;
use hcl_edit::Span;
use std::ops::Range;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Body {
    pub structures: Vec<Structure>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Structure {
    Attribute(Attribute),
    Block(Block),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    pub key: String,
    /// The value, without spans of its own (see the module's documentation).
    pub value: Expression,
    /// Bytes from the key to the end of the value.
    pub span: Range<usize>,
    /// Bytes of the value.
    pub value_span: Range<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub ident: String,
    /// Labels as their text, quoted or not (`resource "aws_x" "name"`).
    pub labels: Vec<String>,
    pub body: Body,
    /// Bytes from the block's name to its closing brace.
    pub span: Range<usize>,
}

impl Body {
    pub fn get_attribute(&self, key: &str) -> Option<&Attribute> {
        self.attributes().find(|a| a.key == key)
    }

    pub fn attributes(&self) -> impl Iterator<Item = &Attribute> {
        self.structures.iter().filter_map(|s| match s {
            Structure::Attribute(a) => Some(a),
            Structure::Block(_) => None,
        })
    }

    pub fn blocks(&self) -> impl Iterator<Item = &Block> {
        self.structures.iter().filter_map(|s| match s {
            Structure::Block(b) => Some(b),
            Structure::Attribute(_) => None,
        })
    }

    pub fn into_attributes(self) -> impl Iterator<Item = Attribute> {
        self.structures.into_iter().filter_map(|s| match s {
            Structure::Attribute(a) => Some(a),
            Structure::Block(_) => None,
        })
    }

    pub fn into_blocks(self) -> impl Iterator<Item = Block> {
        self.structures.into_iter().filter_map(|s| match s {
            Structure::Block(b) => Some(b),
            Structure::Attribute(_) => None,
        })
    }
}

/// Parses an HCL body: the quick reader, or hcl-edit where it declines.
pub fn parse_body(src: &str) -> Result<Body, hcl_edit::parser::Error> {
    #[cfg(feature = "quick-readers")]
    if crate::quick_readers::enabled() {
        if let Some(body) = quick::parse_body(src) {
            crate::quick_readers::count(true);
            return Ok(body);
        }
    }
    crate::quick_readers::count(false);
    parse_edit_body(src).map(Body::from)
}

/// hcl-edit's own body (for editing in place), read as Terraform reads the text: line breaks
/// inside an object `for` expression, which hcl-edit alone rejects (for_objects.rs), are read
/// as spaces; every span is an offset in `src`.
pub fn parse_edit_body(src: &str) -> Result<hcl_edit::structure::Body, hcl_edit::parser::Error> {
    hcl_edit::parser::parse_body(src).or_else(|e| {
        for_objects::on_one_line(src)
            .and_then(|text| hcl_edit::parser::parse_body(&text).ok())
            .ok_or(e)
    })
}

/// Parses one HCL expression written on one line (a template string or a reference that
/// Terraform's JSON syntax holds as text), read as [`parse_body`] reads attribute values.
pub fn parse_expr(src: &str) -> Result<Expression, hcl_edit::parser::Error> {
    let body = parse_body(&format!("x = {src}\n"))?;
    Ok(body.into_attributes().next().map_or(
        Expression::Null(hcl_edit::Decorated::new(hcl_edit::expr::Null)),
        |a| a.value,
    ))
}

/// `s` as an HCL quoted string.
pub fn quote(s: &str) -> String {
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

impl From<hcl_edit::structure::Body> for Body {
    fn from(body: hcl_edit::structure::Body) -> Body {
        let span_of = |s: Option<Range<usize>>| s.unwrap_or_default();
        Body {
            structures: body
                .into_iter()
                .map(|s| match s {
                    hcl_edit::structure::Structure::Attribute(a) => {
                        let span = span_of(a.span());
                        let value_span = span_of(a.value.span());
                        Structure::Attribute(Attribute {
                            key: a.key.as_str().to_string(),
                            value: a.value,
                            span,
                            value_span,
                        })
                    }
                    hcl_edit::structure::Structure::Block(b) => {
                        let span = span_of(b.span());
                        Structure::Block(Block {
                            ident: b.ident.as_str().to_string(),
                            labels: b
                                .labels
                                .iter()
                                .map(|l| match l {
                                    BlockLabel::Ident(i) => i.as_str().to_string(),
                                    BlockLabel::String(s) => s.value().to_string(),
                                })
                                .collect(),
                            body: Body::from(b.body),
                            span,
                        })
                    }
                })
                .collect(),
        }
    }
}

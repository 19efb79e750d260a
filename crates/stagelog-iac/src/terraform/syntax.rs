//! The HCL structure the Terraform adapter reads: bodies of attributes and blocks, each with
//! its byte span; values stay hcl-edit expressions, which the evaluator walks.
//!
//! A scan reads `quick::parse_body` first and hcl-edit's parser only when that declines (a
//! construct it does not take, or an error, which hcl-edit then reports with its line and
//! column). hcl-edit keeps every space and comment so that fixes can edit text in place; a scan
//! needs none of that, and hcl-edit's parse was over a third of a scan's instructions.

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
    pub value: Expression,
    /// Bytes from the key to the end of the value.
    pub span: Range<usize>,
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
    match crate::quick_readers::hcl()
        .then(|| super::quick::parse_body(src))
        .flatten()
    {
        Some(body) => Ok(body),
        None => hcl_edit::parser::parse_body(src).map(Body::from),
    }
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
                        Structure::Attribute(Attribute {
                            key: a.key.as_str().to_string(),
                            value: a.value,
                            span,
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

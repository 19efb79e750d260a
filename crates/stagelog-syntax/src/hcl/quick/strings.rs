//! Quoted strings, templates with interpolations, and heredocs.

use super::{is_id_continue, Reader, R};
use hcl_edit::expr::Expression;
use hcl_edit::template::{
    Element, HeredocTemplate, Interpolation, StringTemplate, Strip, Template,
};
use hcl_edit::{Decorated, Ident, Spanned};

impl Reader<'_> {
    // --- strings and templates ---

    /// A block label: a quoted string without interpolation.
    pub(super) fn plain_string(&mut self) -> R<String> {
        match self.stringlike()? {
            Expression::String(s) => Some(s.into_value()),
            _ => None,
        }
    }

    /// A quoted string: a plain string, or a template when it interpolates.
    pub(super) fn stringlike(&mut self) -> R<Expression> {
        self.i += 1;
        let mut elements = Vec::new();
        let mut literal = String::new();
        loop {
            let rest = &self.s[self.i..];
            // The run up to the next byte that may end a literal: `"`, `\`, `$`, `%`.
            let first = memchr::memchr3(b'"', b'\\', b'$', rest)?;
            let run = memchr::memchr(b'%', &rest[..first]).unwrap_or(first);
            literal.push_str(&self.src[self.i..self.i + run]);
            self.i += run;
            match self.peek()? {
                b'"' => {
                    self.i += 1;
                    break;
                }
                b'\\' => {
                    self.i += 1;
                    literal.push(self.escape()?);
                }
                b'$' | b'%' => {
                    let marker = self.peek()?;
                    if self.peek_at(1) == Some(marker) && self.peek_at(2) == Some(b'{') {
                        // `$${` and `%%{` are the literal `${` and `%{`.
                        literal.push(marker as char);
                        literal.push('{');
                        self.i += 3;
                    } else if self.peek_at(1) == Some(b'{') {
                        if marker == b'%' {
                            // A template directive: hcl-edit's to read.
                            return None;
                        }
                        if !literal.is_empty() {
                            elements
                                .push(Element::Literal(Spanned::new(std::mem::take(&mut literal))));
                        }
                        elements.push(Element::Interpolation(self.interpolation()?));
                    } else {
                        literal.push(marker as char);
                        self.i += 1;
                    }
                }
                _ => return None,
            }
        }
        if elements.is_empty() {
            return Some(Expression::String(Decorated::new(literal)));
        }
        if !literal.is_empty() {
            elements.push(Element::Literal(Spanned::new(literal)));
        }
        Some(Expression::StringTemplate(StringTemplate::from(elements)))
    }

    pub(super) fn escape(&mut self) -> R<char> {
        let c = match self.peek()? {
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'\\' => '\\',
            b'"' => '"',
            b'u' | b'U' => {
                let n = if self.peek()? == b'u' { 4 } else { 8 };
                let hex = self.s.get(self.i + 1..self.i + 1 + n)?;
                if !hex.iter().all(u8::is_ascii_hexdigit) {
                    return None;
                }
                let c =
                    char::from_u32(u32::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?)?;
                self.i += 1 + n;
                return Some(c);
            }
            _ => return None,
        };
        self.i += 1;
        Some(c)
    }

    /// `${ expr }`, with `~` strip markers.
    pub(super) fn interpolation(&mut self) -> R<Interpolation> {
        self.i += 2;
        let strip_start = self.eat(b'~').is_some();
        self.ws()?;
        let expr = self.expr(true)?;
        self.ws()?;
        let strip_end = self.eat(b'~').is_some();
        self.eat(b'}')?;
        let mut interpolation = Interpolation::new(expr);
        interpolation.strip = Strip::from((strip_start, strip_end));
        Some(interpolation)
    }

    /// `<<EOT` / `<<-EOT` … `EOT`: literal lines (no escapes but `$${` and `%%{`) and
    /// interpolations.
    pub(super) fn heredoc(&mut self) -> R<Expression> {
        if !self.starts_with(b"<<") {
            return None;
        }
        self.i += 2;
        let indented = self.eat(b'-').is_some();
        let delim = self.ident()?;
        self.line_ending()?;
        // Where each line ends, the end delimiter may follow: a line of spaces, the delimiter,
        // and no more name after it.
        // `Some(Some(j))`: the delimiter at `j` closes it; `None`: a name going on beyond ASCII
        // after the delimiter, hcl-edit's to read.
        let closes_at = |p: &Self, at: usize| -> Option<Option<usize>> {
            let mut j = at;
            while matches!(p.s.get(j), Some(b' ' | b'\t')) {
                j += 1;
            }
            let end = j + delim.len();
            if p.s.get(j..end) != Some(delim.as_bytes()) {
                return Some(None);
            }
            match p.s.get(end) {
                Some(&b) if b >= 0x80 => None,
                Some(&b) if is_id_continue(b) => Some(None),
                _ => Some(Some(j)),
            }
        };
        // An empty heredoc is hcl-edit's to read.
        if closes_at(self, self.i)?.is_some() {
            return None;
        }
        let mut elements = Vec::new();
        let mut literal = String::new();
        let trailing_start;
        loop {
            let b = self.peek()?;
            match b {
                b'\n' | b'\r' => {
                    let eol = self.i;
                    self.line_ending()?;
                    if let Some(j) = closes_at(self, self.i)? {
                        literal.push_str(&self.src[eol..self.i]);
                        trailing_start = (self.i, j);
                        self.i = j + delim.len();
                        break;
                    }
                    literal.push_str(&self.src[eol..self.i]);
                }
                b'$' | b'%' if self.peek_at(1) == Some(b) && self.peek_at(2) == Some(b'{') => {
                    literal.push(b as char);
                    literal.push('{');
                    self.i += 3;
                }
                b'%' if self.peek_at(1) == Some(b'{') => return None,
                b'$' if self.peek_at(1) == Some(b'{') => {
                    if !literal.is_empty() {
                        elements.push(Element::Literal(Spanned::new(std::mem::take(&mut literal))));
                    }
                    elements.push(Element::Interpolation(self.interpolation()?));
                }
                _ => {
                    let rest = &self.s[self.i..];
                    let first = memchr::memchr3(b'\n', b'$', b'%', rest).unwrap_or(rest.len());
                    let run = memchr::memchr(b'\r', &rest[..first])
                        .unwrap_or(first)
                        .max(1);
                    literal.push_str(self.src.get(self.i..self.i + run)?);
                    self.i += run;
                }
            }
        }
        if !literal.is_empty() {
            elements.push(Element::Literal(Spanned::new(literal)));
        }
        let mut heredoc =
            HeredocTemplate::new(Ident::new_unchecked(delim), Template::from(elements));
        if indented {
            heredoc.dedent();
        }
        heredoc.set_trailing(&self.src[trailing_start.0..trailing_start.1]);
        Some(Expression::HeredocTemplate(Box::new(heredoc)))
    }
}

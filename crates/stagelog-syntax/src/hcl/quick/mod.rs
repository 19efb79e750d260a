//! A quick HCL reader for scans. Hand-written because no crate reads HCL without keeping its
//! layout: hcl-edit (the parser behind hcl-rs too) records every space and comment for
//! editing, which a scan throws away, and it was a third of a scan's time.
//!
//! It follows hcl-edit's grammar and builds the same expressions (tested against hcl-edit on
//! every fixture and on generated input), but it never reports an error: anything it does not
//! take — a template directive, a non-ASCII name, any syntax error, nesting past its limit —
//! makes it decline (`None`), and the caller parses the text with hcl-edit, which reports
//! errors with their line and column. So a file it reads wrongly can only be one it reads.
//! Expressions carry no spans and no decor: the adapter places findings by the spans of
//! attributes and blocks, which it sets.
//!
//! `expr` reads expressions, `strings` quoted strings, templates and heredocs; `differential`
//! holds the reader to hcl-edit (the tests' property, and the fuzz target's).

#[cfg(test)]
mod corpus;
mod differential;
mod expr;
mod strings;
#[cfg(test)]
mod tests;

pub use differential::agrees_with_hcl_edit;

use super::{Attribute, Block, Body, Structure};

/// Well under hcl-edit's own limits (64 nested levels, 128 chained operators), so that input
/// near them is left to hcl-edit and its error.
pub(super) const MAX_DEPTH: usize = 48;
pub(super) const MAX_OPERATORS: usize = 100;

pub(super) type R<T> = Option<T>;

pub fn parse_body(src: &str) -> Option<Body> {
    let mut p = Reader {
        src,
        s: src.as_bytes(),
        i: 0,
        depth: 0,
    };
    let body = p.body(true)?;
    (p.i == p.s.len()).then_some(body)
}

pub(super) struct Reader<'a> {
    pub(super) src: &'a str,
    pub(super) s: &'a [u8],
    pub(super) i: usize,
    pub(super) depth: usize,
}

pub(super) fn is_id_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

pub(super) fn is_id_continue(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

impl<'a> Reader<'a> {
    pub(super) fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    pub(super) fn peek_at(&self, n: usize) -> Option<u8> {
        self.s.get(self.i + n).copied()
    }

    pub(super) fn starts_with(&self, t: &[u8]) -> bool {
        self.s[self.i..].starts_with(t)
    }

    pub(super) fn eat(&mut self, b: u8) -> R<()> {
        (self.peek() == Some(b)).then(|| self.i += 1)
    }

    pub(super) fn enter(&mut self) -> R<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    pub(super) fn leave(&mut self) {
        self.depth -= 1;
    }

    // --- trivia, as hcl-edit's `sp` (one line) and `ws` (any lines) ---

    /// `/* … */`; declines when it is not closed.
    pub(super) fn inline_comment(&mut self) -> R<()> {
        let end = memchr::memmem::find(&self.s[self.i + 2..], b"*/")?;
        self.i += 2 + end + 2;
        Some(())
    }

    /// `# …` or `// …` up to (not including) the line ending.
    pub(super) fn line_comment(&mut self) -> R<()> {
        let rest = &self.s[self.i..];
        let end = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
        // A `\r` is a line ending only before `\n`; anywhere else in a comment, leave it to
        // hcl-edit.
        match memchr::memchr(b'\r', &rest[..end]) {
            None => self.i += end,
            Some(r) if r + 1 == end && end < rest.len() => self.i += r,
            Some(_) => return None,
        }
        Some(())
    }

    pub(super) fn at_line_comment(&self) -> bool {
        self.peek() == Some(b'#') || self.starts_with(b"//")
    }

    /// A `#` or `//` comment up to the line's end, if one starts here.
    pub(super) fn opt_line_comment(&mut self) -> R<()> {
        if self.at_line_comment() {
            self.line_comment()?;
        }
        Some(())
    }

    pub(super) fn sp(&mut self) -> R<()> {
        loop {
            match self.peek() {
                Some(b' ' | b'\t') => self.i += 1,
                Some(b'/') if self.peek_at(1) == Some(b'*') => self.inline_comment()?,
                _ => return Some(()),
            }
        }
    }

    pub(super) fn ws(&mut self) -> R<()> {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\r' | b'\n') => self.i += 1,
                Some(b'#') => self.line_comment()?,
                Some(b'/') if self.peek_at(1) == Some(b'/') => self.line_comment()?,
                Some(b'/') if self.peek_at(1) == Some(b'*') => self.inline_comment()?,
                _ => return Some(()),
            }
        }
    }

    pub(super) fn ws_or_sp(&mut self, newlines: bool) -> R<()> {
        if newlines {
            self.ws()
        } else {
            self.sp()
        }
    }

    pub(super) fn line_ending(&mut self) -> R<()> {
        match self.peek() {
            Some(b'\n') => self.i += 1,
            Some(b'\r') if self.peek_at(1) == Some(b'\n') => self.i += 2,
            _ => return None,
        }
        Some(())
    }

    pub(super) fn ident(&mut self) -> R<&'a str> {
        let start = self.i;
        if !self.peek().is_some_and(is_id_start) {
            return None;
        }
        self.i += 1;
        while self.peek().is_some_and(is_id_continue) {
            self.i += 1;
        }
        // A name going on in letters beyond ASCII is hcl-edit's to read.
        if self.peek().is_some_and(|b| b >= 0x80) {
            return None;
        }
        Some(&self.src[start..self.i])
    }

    // --- structure ---

    /// A body: structures, each ending its line. At the top it runs to the end of the text; in
    /// a block, to the `}` (not taken).
    pub(super) fn body(&mut self, top: bool) -> R<Body> {
        let mut structures = Vec::new();
        let mut keys: Vec<&'a str> = Vec::new();
        loop {
            self.ws()?;
            match self.peek() {
                None if top => break,
                Some(b'}') if !top => break,
                Some(b) if is_id_start(b) => {}
                _ => return None,
            }
            let start = self.i;
            let ident = self.ident()?;
            self.sp()?;
            let structure = match self.peek()? {
                b'=' => {
                    // A redefined attribute is an error hcl-edit reports.
                    if keys.contains(&ident) {
                        return None;
                    }
                    keys.push(ident);
                    self.i += 1;
                    self.sp()?;
                    let value_start = self.i;
                    let value = self.root_expr()?;
                    Structure::Attribute(Attribute {
                        key: ident.to_string(),
                        value,
                        span: start..self.i,
                        value_span: value_start..self.i,
                    })
                }
                b'{' | b'"' => self.block(ident, start)?,
                b if is_id_start(b) => self.block(ident, start)?,
                _ => return None,
            };
            structures.push(structure);
            self.sp()?;
            self.opt_line_comment()?;
            if self.peek().is_none() {
                // Only the file may end right after a structure.
                if !top {
                    return None;
                }
                break;
            }
            self.line_ending()?;
        }
        Some(Body { structures })
    }

    pub(super) fn block(&mut self, ident: &str, start: usize) -> R<Structure> {
        let mut labels = Vec::new();
        loop {
            match self.peek()? {
                b'"' => labels.push(self.plain_string()?),
                b if is_id_start(b) => labels.push(self.ident()?.to_string()),
                b'{' => break,
                _ => return None,
            }
            self.sp()?;
        }
        self.i += 1;
        self.enter()?;
        let save = self.i;
        self.sp()?;
        self.opt_line_comment()?;
        let body = if self.line_ending().is_some() {
            self.body(false)?
        } else {
            // One line: `name { key = value }` or `name {}`.
            self.i = save;
            self.sp()?;
            let mut structures = Vec::new();
            if self.peek().is_some_and(is_id_start) {
                let attr_start = self.i;
                let key = self.ident()?;
                self.sp()?;
                self.eat(b'=')?;
                self.sp()?;
                let value_start = self.i;
                let value = self.root_expr()?;
                structures.push(Structure::Attribute(Attribute {
                    key: key.to_string(),
                    value,
                    span: attr_start..self.i,
                    value_span: value_start..self.i,
                }));
                self.sp()?;
            }
            Body { structures }
        };
        self.eat(b'}')?;
        self.leave();
        Some(Structure::Block(Block {
            ident: ident.to_string(),
            labels,
            body,
            span: start..self.i,
        }))
    }
}

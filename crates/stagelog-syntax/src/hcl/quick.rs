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

use super::{Attribute, Block, Body, Structure};
use hcl_edit::expr::{
    Array, BinaryOp, BinaryOperator, Conditional, Expression, ForCond, ForExpr, ForIntro, FuncArgs,
    FuncCall, FuncName, Object, ObjectKey, ObjectValue, ObjectValueAssignment,
    ObjectValueTerminator, Parenthesis, Splat, Traversal, TraversalOperator, UnaryOp,
    UnaryOperator,
};
use hcl_edit::template::{
    Element, HeredocTemplate, Interpolation, StringTemplate, Strip, Template,
};
use hcl_edit::{Decorated, Formatted, Ident, Number, Spanned};

/// Well under hcl-edit's own limits (64 nested levels, 128 chained operators), so that input
/// near them is left to hcl-edit and its error.
const MAX_DEPTH: usize = 48;
const MAX_OPERATORS: usize = 100;

type R<T> = Option<T>;

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

struct Reader<'a> {
    src: &'a str,
    s: &'a [u8],
    i: usize,
    depth: usize,
}

fn is_id_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_id_continue(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn peek_at(&self, n: usize) -> Option<u8> {
        self.s.get(self.i + n).copied()
    }

    fn starts_with(&self, t: &[u8]) -> bool {
        self.s[self.i..].starts_with(t)
    }

    fn eat(&mut self, b: u8) -> R<()> {
        (self.peek() == Some(b)).then(|| self.i += 1)
    }

    fn enter(&mut self) -> R<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    // --- trivia, as hcl-edit's `sp` (one line) and `ws` (any lines) ---

    /// `/* … */`; declines when it is not closed.
    fn inline_comment(&mut self) -> R<()> {
        let end = memchr::memmem::find(&self.s[self.i + 2..], b"*/")?;
        self.i += 2 + end + 2;
        Some(())
    }

    /// `# …` or `// …` up to (not including) the line ending.
    fn line_comment(&mut self) -> R<()> {
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

    fn at_line_comment(&self) -> bool {
        self.peek() == Some(b'#') || self.starts_with(b"//")
    }

    /// A `#` or `//` comment up to the line's end, if one starts here.
    fn opt_line_comment(&mut self) -> R<()> {
        if self.at_line_comment() {
            self.line_comment()?;
        }
        Some(())
    }

    fn sp(&mut self) -> R<()> {
        loop {
            match self.peek() {
                Some(b' ' | b'\t') => self.i += 1,
                Some(b'/') if self.peek_at(1) == Some(b'*') => self.inline_comment()?,
                _ => return Some(()),
            }
        }
    }

    fn ws(&mut self) -> R<()> {
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

    fn ws_or_sp(&mut self, newlines: bool) -> R<()> {
        if newlines {
            self.ws()
        } else {
            self.sp()
        }
    }

    fn line_ending(&mut self) -> R<()> {
        match self.peek() {
            Some(b'\n') => self.i += 1,
            Some(b'\r') if self.peek_at(1) == Some(b'\n') => self.i += 2,
            _ => return None,
        }
        Some(())
    }

    fn ident(&mut self) -> R<&'a str> {
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
    fn body(&mut self, top: bool) -> R<Body> {
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

    fn block(&mut self, ident: &str, start: usize) -> R<Structure> {
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

    // --- expressions ---

    /// An attribute's value: newlines end it, unless a bracket, brace or call inside allows
    /// them (as in hcl-edit, where such a term lets what follows it go on over lines too).
    fn root_expr(&mut self) -> R<Expression> {
        let mut newlines = false;
        self.expr_inner(&mut newlines)
    }

    /// A nested expression, starting with the newline rule given.
    fn expr(&mut self, newlines: bool) -> R<Expression> {
        self.enter()?;
        let mut newlines = newlines;
        let e = self.expr_inner(&mut newlines);
        self.leave();
        e
    }

    fn expr_inner(&mut self, newlines: &mut bool) -> R<Expression> {
        let mut e = self.expr_term(newlines)?;
        loop {
            let save = self.i;
            self.ws_or_sp(*newlines)?;
            let (b0, b1) = (self.peek(), self.peek_at(1));
            match b0 {
                Some(b'?') => {
                    self.i += 1;
                    self.ws_or_sp(*newlines)?;
                    let t = self.expr(*newlines)?;
                    self.ws_or_sp(*newlines)?;
                    self.eat(b':')?;
                    self.ws_or_sp(*newlines)?;
                    let f = self.expr(*newlines)?;
                    return Some(Expression::Conditional(Box::new(Conditional::new(e, t, f))));
                }
                Some(b'=') if b1 == Some(b'=') => {}
                Some(b'/') if matches!(b1, Some(b'/' | b'*')) => {
                    self.i = save;
                    return Some(e);
                }
                Some(b'!' | b'<' | b'>' | b'+' | b'-' | b'*' | b'/' | b'%' | b'&' | b'|') => {}
                _ => {
                    self.i = save;
                    return Some(e);
                }
            }
            self.i = save;
            e = self.binary_ops(e, newlines)?;
        }
    }

    fn binary_operator(&mut self) -> R<BinaryOperator> {
        let b1 = self.peek_at(1);
        let (op, len) = match self.peek()? {
            b'=' if b1 == Some(b'=') => (BinaryOperator::Eq, 2),
            b'!' if b1 == Some(b'=') => (BinaryOperator::NotEq, 2),
            b'<' if b1 == Some(b'=') => (BinaryOperator::LessEq, 2),
            b'<' => (BinaryOperator::Less, 1),
            b'>' if b1 == Some(b'=') => (BinaryOperator::GreaterEq, 2),
            b'>' => (BinaryOperator::Greater, 1),
            b'+' => (BinaryOperator::Plus, 1),
            b'-' => (BinaryOperator::Minus, 1),
            b'*' => (BinaryOperator::Mul, 1),
            b'/' if !matches!(b1, Some(b'/' | b'*')) => (BinaryOperator::Div, 1),
            b'%' => (BinaryOperator::Mod, 1),
            b'&' if b1 == Some(b'&') => (BinaryOperator::And, 2),
            b'|' if b1 == Some(b'|') => (BinaryOperator::Or, 2),
            _ => return None,
        };
        self.i += len;
        Some(op)
    }

    /// A chain of binary operations after `first`, grouped by precedence, each operator
    /// binding to the left (as hcl-edit's Pratt parser groups them).
    fn binary_ops(&mut self, first: Expression, newlines: &mut bool) -> R<Expression> {
        let mut terms = vec![first];
        let mut ops: Vec<BinaryOperator> = Vec::new();
        loop {
            let save = self.i;
            self.ws_or_sp(*newlines)?;
            let Some(op) = self.binary_operator() else {
                if ops.is_empty() {
                    return None;
                }
                self.i = save;
                break;
            };
            self.ws_or_sp(*newlines)?;
            let mut term_newlines = *newlines;
            terms.push(self.expr_term(&mut term_newlines)?);
            ops.push(op);
            if ops.len() > MAX_OPERATORS {
                return None;
            }
        }
        let mut terms = terms.into_iter();
        let mut ops = ops.into_iter().peekable();
        let lhs = terms.next()?;
        Some(climb(lhs, &mut terms, &mut ops, 0))
    }

    fn expr_term(&mut self, newlines: &mut bool) -> R<Expression> {
        let e = match self.peek()? {
            b'"' => self.stringlike()?,
            b'[' => self.array(newlines)?,
            b'{' => self.object(newlines)?,
            b'0'..=b'9' => Expression::Number(Formatted::new(self.number()?)),
            b'<' => self.heredoc()?,
            b'-' => {
                let save = self.i;
                self.i += 1;
                self.sp()?;
                if self.peek().is_some_and(|b| b.is_ascii_digit()) {
                    Expression::Number(Formatted::new(-self.number()?))
                } else {
                    self.i = save;
                    self.unary(*newlines)?
                }
            }
            b'!' => self.unary(*newlines)?,
            b'(' => {
                self.i += 1;
                self.ws()?;
                let inner = self.expr(true)?;
                self.ws()?;
                self.eat(b')')?;
                Expression::Parenthesis(Box::new(Parenthesis::new(inner)))
            }
            b if is_id_start(b) => self.identlike(newlines)?,
            _ => return None,
        };
        let save = self.i;
        self.ws_or_sp(*newlines)?;
        if matches!(self.peek(), Some(b'.' | b'[')) && !self.starts_with(b"..") {
            self.traversal(e, *newlines)
        } else {
            self.i = save;
            Some(e)
        }
    }

    fn unary(&mut self, newlines: bool) -> R<Expression> {
        let op = match self.peek()? {
            b'-' => UnaryOperator::Neg,
            _ => UnaryOperator::Not,
        };
        self.i += 1;
        self.sp()?;
        self.enter()?;
        let mut term_newlines = newlines;
        let e = self.expr_term(&mut term_newlines)?;
        self.leave();
        Some(Expression::UnaryOp(Box::new(UnaryOp::new(
            Spanned::new(op),
            e,
        ))))
    }

    /// Digits, with a fraction or exponent making a float, as hcl-edit reads numbers.
    fn number(&mut self) -> R<Number> {
        let start = self.i;
        let digits = |p: &mut Self| {
            let from = p.i;
            while p.peek().is_some_and(|b| b.is_ascii_digit()) {
                p.i += 1;
            }
            p.i > from
        };
        digits(self);
        let mut float = false;
        if self.peek() == Some(b'.') && self.peek_at(1).is_some_and(|b| b.is_ascii_digit()) {
            self.i += 1;
            digits(self);
            float = true;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if !digits(self) {
                return None;
            }
            float = true;
        }
        let text = &self.src[start..self.i];
        if !float {
            if let Ok(n) = text.parse::<u64>() {
                return Some(Number::from(n));
            }
        }
        Number::from_f64(text.parse::<f64>().ok()?)
    }

    fn traversal(&mut self, e: Expression, newlines: bool) -> R<Expression> {
        let mut operators = Vec::new();
        loop {
            let save = self.i;
            if !operators.is_empty() {
                self.ws_or_sp(newlines)?;
            }
            if self.starts_with(b"..") {
                self.i = save;
                break;
            }
            let op = match self.peek() {
                Some(b'.') => {
                    self.i += 1;
                    self.ws()?;
                    match self.peek()? {
                        b'*' => {
                            self.i += 1;
                            TraversalOperator::AttrSplat(Decorated::new(Splat))
                        }
                        b'0'..=b'9' => {
                            let from = self.i;
                            while self.peek().is_some_and(|b| b.is_ascii_digit()) {
                                self.i += 1;
                            }
                            // hcl-edit reads `.007` as `.0` and then fails on `07`.
                            if self.s[from] == b'0' && self.i > from + 1 {
                                return None;
                            }
                            let index: u64 = self.src[from..self.i].parse().ok()?;
                            TraversalOperator::LegacyIndex(Decorated::new(index))
                        }
                        b if is_id_start(b) => TraversalOperator::GetAttr(Decorated::new(
                            Ident::new_unchecked(self.ident()?),
                        )),
                        _ => return None,
                    }
                }
                Some(b'[') => {
                    self.i += 1;
                    self.ws()?;
                    let op = if self.peek() == Some(b'*') {
                        self.i += 1;
                        TraversalOperator::FullSplat(Decorated::new(Splat))
                    } else {
                        TraversalOperator::Index(self.expr(true)?)
                    };
                    self.ws()?;
                    self.eat(b']')?;
                    op
                }
                _ => {
                    self.i = save;
                    break;
                }
            };
            operators.push(Decorated::new(op));
        }
        Some(Expression::Traversal(Box::new(Traversal::new(
            e, operators,
        ))))
    }

    fn identlike(&mut self, newlines: &mut bool) -> R<Expression> {
        let name = self.ident()?;
        let save = self.i;
        self.ws_or_sp(*newlines)?;
        if self.starts_with(b"::") || self.peek() == Some(b'(') {
            let mut first = Decorated::new(Ident::new_unchecked(name));
            let func_name = if self.starts_with(b"::") {
                let mut parts = Vec::new();
                while self.starts_with(b"::") {
                    self.i += 2;
                    self.ws_or_sp(*newlines)?;
                    parts.push(Decorated::new(Ident::new_unchecked(self.ident()?)));
                    self.ws_or_sp(*newlines)?;
                }
                let last = parts.pop()?;
                parts.insert(0, std::mem::replace(&mut first, last));
                let mut func_name = FuncName::new(first);
                func_name.set_namespace(parts);
                func_name
            } else {
                FuncName::new(first)
            };
            let args = self.func_args(newlines)?;
            return Some(Expression::FuncCall(Box::new(FuncCall::new(
                func_name, args,
            ))));
        }
        self.i = save;
        Some(match name {
            "null" => Expression::null(),
            "true" => Expression::from(true),
            "false" => Expression::from(false),
            var => Expression::Variable(Decorated::new(Ident::new_unchecked(var))),
        })
    }

    fn func_args(&mut self, newlines: &mut bool) -> R<FuncArgs> {
        *newlines = true;
        self.eat(b'(')?;
        let mut args = Vec::new();
        let (mut comma, mut expand) = (false, false);
        let save = self.i;
        self.ws()?;
        if matches!(self.peek(), Some(b',' | b'.' | b')') | None) {
            self.i = save;
        } else {
            loop {
                args.push(self.expr(true)?);
                self.ws()?;
                let after = self.i;
                match self.peek()? {
                    b',' => {
                        self.i += 1;
                        self.ws()?;
                        if matches!(self.peek(), Some(b',' | b'.' | b')') | None) {
                            self.i = after + 1;
                            comma = true;
                            break;
                        }
                    }
                    b'.' => {
                        if !self.starts_with(b"...") {
                            return None;
                        }
                        self.i += 3;
                        expand = true;
                        break;
                    }
                    _ => break,
                }
            }
        }
        self.ws()?;
        self.eat(b')')?;
        let mut out = FuncArgs::from(args);
        if expand {
            out.set_expand_final(true);
        } else if comma {
            out.set_trailing_comma(true);
        }
        Some(out)
    }

    /// Whether a `for` expression starts here (after any space), as hcl-edit tells it from a
    /// name like `format`.
    fn at_for(&mut self) -> R<bool> {
        let save = self.i;
        self.ws()?;
        let found = self.starts_with(b"for")
            && matches!(self.peek_at(3), Some(b' ' | b'\t' | b'#' | b'/' | b'\n'));
        self.i = save;
        Some(found)
    }

    fn for_intro(&mut self) -> R<ForIntro> {
        self.ws()?;
        self.i += 3;
        self.ws()?;
        let first = Ident::new_unchecked(self.ident()?);
        self.ws()?;
        let second = if self.eat(b',').is_some() {
            self.ws()?;
            let second = Ident::new_unchecked(self.ident()?);
            self.ws()?;
            Some(second)
        } else {
            None
        };
        if !self.starts_with(b"in") {
            return None;
        }
        self.i += 2;
        self.ws()?;
        let collection = self.expr(false)?;
        self.ws()?;
        self.eat(b':')?;
        Some(match second {
            Some(value) => {
                let mut intro = ForIntro::new(Decorated::new(value), collection);
                intro.key_var = Some(Decorated::new(first));
                intro
            }
            None => ForIntro::new(Decorated::new(first), collection),
        })
    }

    fn for_cond(&mut self, newlines: bool) -> R<Option<ForCond>> {
        let save = self.i;
        self.ws()?;
        if !self.starts_with(b"if") {
            self.i = save;
            return Some(None);
        }
        self.i += 2;
        self.ws()?;
        let cond = self.expr(newlines)?;
        self.ws()?;
        Some(Some(ForCond::new(cond)))
    }

    fn array(&mut self, newlines: &mut bool) -> R<Expression> {
        *newlines = true;
        self.i += 1;
        if self.at_for()? {
            let intro = self.for_intro()?;
            self.ws()?;
            let value = self.expr(true)?;
            self.ws()?;
            let mut f = ForExpr::new(intro, value);
            f.cond = self.for_cond(true)?;
            self.eat(b']')?;
            return Some(Expression::ForExpr(Box::new(f)));
        }
        let mut values = Vec::new();
        let mut comma = false;
        loop {
            let save = self.i;
            self.ws()?;
            if self.peek() == Some(b']') {
                self.i = save;
                break;
            }
            values.push(self.expr(true)?);
            self.ws()?;
            if self.peek() == Some(b',') {
                let after = self.i + 1;
                self.i = after;
                let save = self.i;
                self.ws()?;
                if self.peek() == Some(b']') {
                    self.i = save;
                    comma = true;
                    break;
                }
                self.i = save;
            } else {
                break;
            }
        }
        self.ws()?;
        self.eat(b']')?;
        let mut array = Array::from(values);
        if comma {
            array.set_trailing_comma(true);
        }
        Some(Expression::Array(array))
    }

    fn object(&mut self, newlines: &mut bool) -> R<Expression> {
        self.i += 1;
        if self.at_for()? {
            *newlines = true;
            let intro = self.for_intro()?;
            self.ws()?;
            let key = self.expr(false)?;
            self.ws()?;
            if !self.starts_with(b"=>") {
                return None;
            }
            self.i += 2;
            self.ws()?;
            let value = self.expr(false)?;
            self.ws()?;
            let mut f = ForExpr::new(intro, value);
            f.key_expr = Some(key);
            if self.starts_with(b"...") {
                self.i += 3;
                self.ws()?;
                f.grouping = true;
            }
            f.cond = self.for_cond(*newlines)?;
            self.eat(b'}')?;
            return Some(Expression::ForExpr(Box::new(f)));
        }
        let mut object = Object::new();
        loop {
            self.ws()?;
            if self.eat(b'}').is_some() {
                return Some(Expression::Object(object));
            }
            let key = match self.expr(false)? {
                Expression::Variable(v) => ObjectKey::Ident(Decorated::new(v.into_value())),
                other => ObjectKey::Expression(other),
            };
            self.sp()?;
            if object.contains_key(&key) {
                return None;
            }
            let assignment = match self.peek()? {
                b'=' => ObjectValueAssignment::Equals,
                b':' => ObjectValueAssignment::Colon,
                _ => return None,
            };
            self.i += 1;
            self.sp()?;
            let mut value = ObjectValue::new(self.expr(false)?);
            value.set_assignment(assignment);
            self.sp()?;
            let terminator = match self.peek()? {
                b'}' => {
                    self.i += 1;
                    value.set_terminator(ObjectValueTerminator::None);
                    object.insert(key, value);
                    return Some(Expression::Object(object));
                }
                b'\r' | b'\n' => {
                    self.line_ending()?;
                    ObjectValueTerminator::Newline
                }
                b',' => {
                    self.i += 1;
                    ObjectValueTerminator::Comma
                }
                b'#' | b'/' if self.at_line_comment() => {
                    self.line_comment()?;
                    self.line_ending()?;
                    ObjectValueTerminator::Newline
                }
                _ => return None,
            };
            value.set_terminator(terminator);
            object.insert(key, value);
        }
    }

    // --- strings and templates ---

    /// A block label: a quoted string without interpolation.
    fn plain_string(&mut self) -> R<String> {
        match self.stringlike()? {
            Expression::String(s) => Some(s.into_value()),
            _ => None,
        }
    }

    /// A quoted string: a plain string, or a template when it interpolates.
    fn stringlike(&mut self) -> R<Expression> {
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

    fn escape(&mut self) -> R<char> {
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
    fn interpolation(&mut self) -> R<Interpolation> {
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
    fn heredoc(&mut self) -> R<Expression> {
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

/// Precedence climbing over `lhs (op term)*`, every operator left-associative.
fn climb(
    mut lhs: Expression,
    terms: &mut impl Iterator<Item = Expression>,
    ops: &mut std::iter::Peekable<impl Iterator<Item = BinaryOperator>>,
    min: u8,
) -> Expression {
    while let Some(&op) = ops.peek() {
        if op.precedence() < min {
            break;
        }
        ops.next();
        let Some(mut rhs) = terms.next() else {
            break;
        };
        while let Some(&next) = ops.peek() {
            if next.precedence() <= op.precedence() {
                break;
            }
            rhs = climb(rhs, terms, ops, next.precedence());
        }
        lhs = Expression::BinaryOp(Box::new(BinaryOp::new(lhs, Decorated::new(op), rhs)));
    }
    lhs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hcl::quick_tests::{damaged, files_agree, project_files, read_of_500};
    use hcl_edit::visit_mut::{self, VisitMut};
    use proptest::prelude::*;

    /// The parts of hcl-edit's expressions that are layout, not meaning: the space before a
    /// closing bracket, brace or parenthesis.
    struct Layout;

    impl VisitMut for Layout {
        fn visit_array_mut(&mut self, node: &mut Array) {
            node.set_trailing("");
            visit_mut::visit_array_mut(self, node);
        }
        fn visit_object_mut(&mut self, node: &mut Object) {
            node.set_trailing("");
            visit_mut::visit_object_mut(self, node);
        }
        fn visit_func_args_mut(&mut self, node: &mut FuncArgs) {
            node.set_trailing("");
            visit_mut::visit_func_args_mut(self, node);
        }
    }

    fn without_layout(body: &mut Body) {
        for s in &mut body.structures {
            match s {
                Structure::Attribute(a) => Layout.visit_expr_mut(&mut a.value),
                Structure::Block(b) => without_layout(&mut b.body),
            }
        }
    }

    /// The property: whatever the quick reader reads, hcl-edit reads the same (values, spans of
    /// attributes and blocks); what hcl-edit rejects, the quick reader declines. Returns
    /// whether the quick reader read it.
    fn agrees(src: &str) -> bool {
        let quick = parse_body(src);
        match (hcl_edit::parser::parse_body(src), quick) {
            (Ok(edit), Some(mut quick)) => {
                let mut edit = Body::from(edit);
                without_layout(&mut edit);
                without_layout(&mut quick);
                assert_eq!(quick, edit, "quick reader differs from hcl-edit on:\n{src}");
                true
            }
            (Err(e), Some(_)) => panic!("quick reader took what hcl-edit rejects ({e}):\n{src}"),
            (_, None) => false,
        }
    }

    const TAKEN: &[&str] = &[
        "",
        "a = 1",
        "a = 1\n",
        "a = 1\r\nb = \"x\"\r\n",
        "# c\na = 1 # tail\n// c\nb = 2 // tail\n/* x\n y */ c = 3\n",
        "resource \"aws_api_gateway_stage\" \"prod\" {\n  stage_name = \"prod\"\n  access_log_settings {\n    destination_arn = aws_cloudwatch_log_group.x.arn\n    format = jsonencode({ requestId = \"$context.requestId\", ip = \"$context.identity.sourceIp\" })\n  }\n}\n",
        "a { b = 1 }\nc {}\nd { }\ne \"l\" f { # c\n}\n",
        "x = [1, 2.5, -3, 1e3, 2.5E-2, 18446744073709551616, true, false, null]\n",
        "x = [\n  1,\n  2,\n]\ny = []\nz = [ ]\n",
        "x = { a = 1, \"b\" = 2, (var.k) = 3 }\ny = {\n  a = 1\n  b: 2 # c\n  c = 3 // c\n}\nz = {}\n",
        "x = a.b[0].c[*].d.*.e.0\ny = a[\"k\"]\nz = a [ 1 ]\n",
        "x = f()\ny = f(a, b,)\nz = f(a...)\nw = provider::aws::arn_parse(x)\nv = f(\n  a,\n  b\n)\n",
        "x = a ? b : c\ny = a == b && c != d || !e\nz = 1 + 2 * 3 - 4 / 5 % 6\nw = a < b ? a >= c : b <= d\nv = -a + - 1\n",
        "x = (a + b) * c\ny = (\n  a\n  + b\n)\n",
        "x = \"a${b}c${~ d ~}e\"\ny = \"$${x} %%{y} $ % \\n \\t \\\" \\\\ \\u00e9 \\U0001F600\"\nz = \"\"\n",
        "x = [for k, v in var.m : v if v != null]\ny = { for k, v in var.m : k => v... if k != \"\" }\nz = [for x in var.l: upper(x)]\n",
        "x = <<EOT\nline ${var.a}\n  $${b}\nEOT\ny = <<-EOT\n    a\n      b ${c}\n    EOT\n",
        "x = <<EOT\n${a}\nEOT\n",
        "locals {\n  m = merge(var.a, {\n    b = 1\n  })\n  l = concat([1], [\n    2,\n  ])\n}\n",
        "x = f(a)\n  .b\n",
        "x = [a\n  [0]]\n",
        "x = \"multi\nline\"\n",
        "é = 1\n",
        "x = \"é ${a} ü\"\n# ünïcode comment\n",
        "x = {\n  for k in var.l :\n  k => upper(k)\n}\n",
        "dynamic \"access_log_settings\" {\n  for_each = var.on ? [1] : []\n  content {\n    destination_arn = var.arn\n  }\n}\n",
    ];

    const REJECTED: &[&str] = &[
        "a = 1\na = 2\n",
        "a = 1 b = 2\n",
        "a {\n b = 1 }\n",
        "a { b = 1\n}\n",
        "x = \"unterminated\n",
        "x = \"bad \\q escape\"\n",
        "x = [1,,2]\n",
        "x = { a = 1 b = 2 }\n",
        "x = { a = 1, a = 2 }\n",
        "x = f(a b)\n",
        "x = 1e\n",
        "x = a.\n",
        "x = a +\n",
        "x = <<EOT\nnever closed\n",
        "/* open",
        "x = 1 }\n",
        "a b {\n",
        "\"a\" = 1\n",
        "x = %{if a}b%{endif}\n",
        "x = !\n",
        "a \"${x}\" {\n}\n",
        "a = b\n  .c\n",
    ];

    #[test]
    fn reads_what_hcl_edit_reads() {
        let declined: Vec<&&str> = TAKEN.iter().filter(|src| !agrees(src)).collect();
        // Names beyond ASCII are left to hcl-edit; everything else here is read quickly.
        assert_eq!(declined, vec![&"é = 1\n"]);
    }

    #[test]
    fn declines_what_hcl_edit_rejects() {
        for src in REJECTED {
            assert!(parse_body(src).is_none(), "quick reader took:\n{src}");
        }
    }

    #[test]
    fn declines_directives_leaves_them_to_hcl_edit() {
        let src = "x = \"%{ if a }b%{ endif }\"\n";
        assert!(parse_body(src).is_none());
        assert!(super::super::parse_body(src).is_ok());
    }

    /// Every Terraform file of the project's rules, examples and bench generator reads the
    /// same both ways, and the quick reader takes all but the rare one.
    #[test]
    fn project_files_agree() {
        files_agree(&project_files(&["tf", "tofu", "tfvars"]), agrees);
    }

    fn ident() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "a", "b", "var", "local", "count", "each", "for", "format", "if", "in", "true", "null",
            "x-y", "_z", "é",
        ])
        .prop_map(str::to_string)
    }

    fn space() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "",
            " ",
            "  ",
            "\t",
            "\n",
            "\r\n",
            " /* c */ ",
            " # c\n",
            " // c\n",
            "\n  ",
        ])
        .prop_map(str::to_string)
    }

    fn string_part() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "x",
            " ",
            "$",
            "%",
            "$${",
            "%%{",
            "\\n",
            "\\\"",
            "\\u00e9",
            "\\q",
            "é",
            "\n",
            "${a}",
            "${~ b.c ~}",
            "%{ if a }y%{ endif }",
            "{",
            "}",
        ])
        .prop_map(str::to_string)
    }

    fn expr() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            ident(),
            prop::sample::select(vec!["0", "1", "2.5", "1e3", "-1", "1.", "007", "1e"])
                .prop_map(str::to_string),
            prop::collection::vec(string_part(), 0..4).prop_map(|p| format!("\"{}\"", p.concat())),
            prop::sample::select(vec![
                "<<EOT\na ${b}\nEOT\n",
                "<<-EOT\n  a\n    b\n  EOT\n",
                "<<EOT\nEOT\n",
                "<<X\n$${y}\n X\n",
            ])
            .prop_map(str::to_string),
        ];
        leaf.prop_recursive(4, 40, 4, |inner| {
            let op = prop::sample::select(vec![
                "+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "&&", "||", "=", "!",
            ]);
            prop_oneof![
                (inner.clone(), space(), op, space(), inner.clone())
                    .prop_map(|(a, s1, o, s2, b)| format!("{a}{s1}{o}{s2}{b}")),
                (
                    inner.clone(),
                    space(),
                    inner.clone(),
                    space(),
                    inner.clone()
                )
                    .prop_map(|(c, s, t, s2, f)| format!("{c}{s}?{s2}{t}{s}:{s2}{f}")),
                (
                    inner.clone(),
                    prop::collection::vec((space(), ident()), 1..3)
                )
                    .prop_map(|(e, parts)| {
                        let mut out = e;
                        for (s, p) in parts {
                            out.push_str(&format!("{s}.{p}"));
                        }
                        out
                    }),
                (inner.clone(), space(), inner.clone())
                    .prop_map(|(e, s, i)| format!("{e}{s}[{i}]")),
                (
                    inner.clone(),
                    prop::sample::select(vec!["[*]", ".*", ".0", "[\"k\"]"])
                )
                    .prop_map(|(e, s)| format!("{e}{s}")),
                (
                    ident(),
                    prop::collection::vec((space(), inner.clone()), 0..3),
                    space(),
                    prop::sample::select(vec!["", ",", "...", ",,"])
                )
                    .prop_map(|(f, args, s, t)| {
                        let args: Vec<String> =
                            args.into_iter().map(|(s, a)| format!("{s}{a}")).collect();
                        format!("{f}({}{t}{s})", args.join(","))
                    }),
                (
                    prop::collection::vec((space(), inner.clone()), 0..3),
                    space(),
                    prop::sample::select(vec!["", ","])
                )
                    .prop_map(|(items, s, t)| {
                        let items: Vec<String> =
                            items.into_iter().map(|(s, a)| format!("{s}{a}")).collect();
                        format!("[{}{t}{s}]", items.join(","))
                    }),
                (
                    prop::collection::vec(
                        (
                            space(),
                            ident(),
                            prop::sample::select(vec![" = ", ":", "="]),
                            inner.clone(),
                            prop::sample::select(vec![",", "\n", " # c\n", ""])
                        ),
                        0..3
                    ),
                    space()
                )
                    .prop_map(|(items, s)| {
                        let body: String = items
                            .into_iter()
                            .map(|(s, k, a, v, t)| format!("{s}{k}{a}{v}{t}"))
                            .collect();
                        format!("{{{body}{s}}}")
                    }),
                (
                    space(),
                    ident(),
                    inner.clone(),
                    inner.clone(),
                    prop::option::of(inner.clone())
                )
                    .prop_map(|(s, v, c, e, cond)| {
                        let cond = cond.map(|c| format!(" if {c}")).unwrap_or_default();
                        format!("[{s}for {v} in {c} :{s}{e}{cond}]")
                    }),
                (
                    space(),
                    ident(),
                    inner.clone(),
                    inner.clone(),
                    inner.clone()
                )
                    .prop_map(|(s, v, c, k, e)| format!(
                        "{{{s}for k, {v} in {c} : {k} => {e}{s}}}"
                    )),
                (space(), inner.clone()).prop_map(|(s, e)| format!("({s}{e}{s})")),
                (prop::sample::select(vec!["-", "!"]), inner.clone())
                    .prop_map(|(o, e)| format!("{o}{e}")),
            ]
        })
    }

    fn body() -> impl Strategy<Value = String> {
        let attr = (ident(), space(), expr(), space())
            .prop_map(|(k, s, v, t)| format!("{k} ={s}{v}{t}\n"))
            .boxed();
        prop::collection::vec(
            prop_oneof![
                attr.clone(),
                (
                    ident(),
                    prop::collection::vec(prop_oneof![ident(), Just("\"l\"".to_string())], 0..3),
                    prop::collection::vec(attr.clone(), 0..3),
                    space()
                )
                    .prop_map(|(n, labels, attrs, s)| format!(
                        "{n} {} {{{s}\n{}}}\n",
                        labels.join(" "),
                        attrs.concat()
                    )),
                (ident(), ident(), expr()).prop_map(|(n, k, v)| format!("{n} {{ {k} = {v} }}\n")),
                space(),
            ],
            0..5,
        )
        .prop_map(|parts| parts.concat())
    }

    /// The generator makes text both read often enough for the property to mean something.
    #[test]
    fn generated_bodies_are_often_read() {
        let read = read_of_500(body(), agrees);
        assert!(read >= 100, "{read} of 500 generated bodies read");
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        #[test]
        fn generated_bodies_agree(src in body()) {
            agrees(&src);
        }

        /// Broken text: a generated body with a byte range cut out or a byte put in.
        #[test]
        fn damaged_bodies_agree(src in body(), at in any::<prop::sample::Index>(), len in 0usize..4, byte in prop::sample::select(vec![b'"', b'{', b'}', b'[', b'(', b'=', b'\n', b'$', b'~', b'.', b'#'])) {
            if let Some(text) = damaged(&src, at, len, byte) {
                agrees(&text);
            }
        }
    }
}

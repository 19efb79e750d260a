//! Expressions: operators, terms, traversals, calls, `for`, arrays and objects.

use super::{is_id_start, Reader, MAX_OPERATORS, R};
use hcl_edit::expr::{
    Array, BinaryOp, BinaryOperator, Conditional, Expression, ForCond, ForExpr, ForIntro, FuncArgs,
    FuncCall, FuncName, Object, ObjectKey, ObjectValue, ObjectValueAssignment,
    ObjectValueTerminator, Parenthesis, Splat, Traversal, TraversalOperator, UnaryOp,
    UnaryOperator,
};
use hcl_edit::{Decorated, Formatted, Ident, Number, Spanned};

impl Reader<'_> {
    // --- expressions ---

    /// An attribute's value: newlines end it, unless a bracket, brace or call inside allows
    /// them (as in hcl-edit, where such a term lets what follows it go on over lines too).
    pub(super) fn root_expr(&mut self) -> R<Expression> {
        let mut newlines = false;
        self.expr_inner(&mut newlines)
    }

    /// A nested expression, starting with the newline rule given.
    pub(super) fn expr(&mut self, newlines: bool) -> R<Expression> {
        self.enter()?;
        let mut newlines = newlines;
        let e = self.expr_inner(&mut newlines);
        self.leave();
        e
    }

    pub(super) fn expr_inner(&mut self, newlines: &mut bool) -> R<Expression> {
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

    pub(super) fn binary_operator(&mut self) -> R<BinaryOperator> {
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
    pub(super) fn binary_ops(&mut self, first: Expression, newlines: &mut bool) -> R<Expression> {
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

    pub(super) fn expr_term(&mut self, newlines: &mut bool) -> R<Expression> {
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

    pub(super) fn unary(&mut self, newlines: bool) -> R<Expression> {
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
    pub(super) fn number(&mut self) -> R<Number> {
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

    pub(super) fn traversal(&mut self, e: Expression, newlines: bool) -> R<Expression> {
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

    pub(super) fn identlike(&mut self, newlines: &mut bool) -> R<Expression> {
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

    pub(super) fn func_args(&mut self, newlines: &mut bool) -> R<FuncArgs> {
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
    pub(super) fn at_for(&mut self) -> R<bool> {
        let save = self.i;
        self.ws()?;
        let found = self.starts_with(b"for")
            && matches!(self.peek_at(3), Some(b' ' | b'\t' | b'#' | b'/' | b'\n'));
        self.i = save;
        Some(found)
    }

    pub(super) fn for_intro(&mut self) -> R<ForIntro> {
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

    pub(super) fn for_cond(&mut self, newlines: bool) -> R<Option<ForCond>> {
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

    pub(super) fn array(&mut self, newlines: &mut bool) -> R<Expression> {
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

    pub(super) fn object(&mut self, newlines: &mut bool) -> R<Expression> {
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

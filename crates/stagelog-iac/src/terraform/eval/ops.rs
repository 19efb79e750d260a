//! What the evaluator's operators and conditions mean for its values: truth, equality as
//! Terraform's `==` compares, arithmetic.

use crate::value::Val;
use hcl_edit::expr::BinaryOperator;

pub fn truthy(v: &Val) -> Option<bool> {
    match v {
        Val::Bool(b) => Some(*b),
        Val::Str(t) => match t.as_known().as_deref() {
            Some("true") => Some(true),
            Some("false") => Some(false),
            _ => None,
        },
        _ => None,
    }
}

pub(super) fn loose_eq(a: &Val, b: &Val) -> bool {
    match (a, b) {
        (Val::Num(x), Val::Num(y)) => x == y,
        _ => a.to_text() == b.to_text() && std::mem::discriminant(a) == std::mem::discriminant(b),
    }
}

pub(super) fn arith(op: &BinaryOperator, a: f64, b: f64) -> Option<Val> {
    Some(match op {
        BinaryOperator::Plus => Val::Num(a + b),
        BinaryOperator::Minus => Val::Num(a - b),
        BinaryOperator::Mul => Val::Num(a * b),
        BinaryOperator::Div if b != 0.0 => Val::Num(a / b),
        BinaryOperator::Less => Val::Bool(a < b),
        BinaryOperator::LessEq => Val::Bool(a <= b),
        BinaryOperator::Greater => Val::Bool(a > b),
        BinaryOperator::GreaterEq => Val::Bool(a >= b),
        _ => return None,
    })
}

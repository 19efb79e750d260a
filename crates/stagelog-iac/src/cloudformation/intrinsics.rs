//! Intrinsic functions and conditions, resolved where the template and the given parameter
//! values decide them; everything else stays unknown.

use super::template::{Param, Template};
use crate::value::{int_of, resource_arn, ArnOf, Val};
use stagelog_model::{Text, Value};
use stagelog_syntax::yaml::{Node, NodeValue};

impl<'a> Template<'a> {
    /// A property's value; `!Ref AWS::NoValue` (also chosen by `Fn::If`) is an absent value.
    pub(super) fn eval(&self, n: &Node) -> Val {
        match self.eval_depth(n, 0) {
            v if is_no_value(&v) => Val::Null,
            v => v,
        }
    }

    /// A name (a stage's, an API's, a log group's): what it is built from is identity, not a
    /// setting, so a parameter's Default used here is not said to decide a verdict.
    pub(super) fn eval_name(&self, n: &Node) -> Val {
        let outer = self.naming.replace(true);
        let v = self.eval(n);
        self.naming.set(outer);
        v
    }

    /// A named condition: `None` when it depends on something unknown (or does not exist).
    pub(super) fn condition(&self, name: &str, depth: u32) -> Option<bool> {
        if let Some(known) = self.decided.borrow().get(name) {
            return *known;
        }
        let node = self.conditions.get(name)?;
        // Unknown while it is being decided, so a condition that refers to itself ends.
        self.decided.borrow_mut().insert(name.to_string(), None);
        let value = match self.eval_depth(node, depth + 1) {
            Val::Bool(b) => Some(b),
            _ => None,
        };
        self.decided.borrow_mut().insert(name.to_string(), value);
        value
    }

    pub(super) fn eval_depth(&self, n: &Node, depth: u32) -> Val {
        // `depth` bounds one expression; `nesting` bounds evaluation through references
        // (a parameter default, log group name or condition that refers back to itself).
        let nesting = self.nesting.get();
        if depth > 32 || nesting > 64 {
            return Val::Unknown("(nested too deep)".into());
        }
        self.nesting.set(nesting + 1);
        let value = self.eval_node(n, depth);
        self.nesting.set(nesting);
        value
    }

    pub(super) fn eval_node(&self, n: &Node, depth: u32) -> Val {
        if let Some(tag) = &n.tag {
            let name = if tag == "Ref" || tag == "Condition" {
                tag.clone()
            } else {
                format!("Fn::{tag}")
            };
            return self.intrinsic(&name, n, depth);
        }
        match &n.value {
            NodeValue::Scalar { text, plain } => scalar(text, *plain),
            NodeValue::Seq(items) => Val::List(
                items
                    .iter()
                    .map(|i| self.eval_depth(i, depth + 1))
                    .filter(|v| !is_no_value(v))
                    .collect(),
            ),
            NodeValue::Map(entries) => {
                if let [(k, v)] = entries.as_slice() {
                    if let Some(key) = k.as_str() {
                        if key == "Ref" || key.starts_with("Fn::") {
                            return self.intrinsic(key, v, depth);
                        }
                    }
                }
                Val::Obj(
                    entries
                        .iter()
                        .filter_map(|(k, v)| {
                            let val = self.eval_depth(v, depth + 1);
                            // `!Ref AWS::NoValue` removes the property.
                            (!is_no_value(&val))
                                .then(|| (k.as_str().unwrap_or_default().to_string(), val))
                        })
                        .collect(),
                )
            }
        }
    }

    /// `arg` is the function's argument node (for tags, the tagged node itself without its tag).
    pub(super) fn intrinsic(&self, name: &str, arg: &Node, depth: u32) -> Val {
        let untagged;
        let arg = if arg.tag.is_some() {
            untagged = Node {
                tag: None,
                ..arg.clone()
            };
            &untagged
        } else {
            arg
        };
        let written = || format!("{name} {}", short(arg));
        match name {
            "Ref" => match arg.as_str() {
                Some(target) => self.reference(target),
                None => Val::Unknown(written()),
            },
            "Fn::GetAtt" => {
                let (res, attr) = match &arg.value {
                    NodeValue::Scalar { text, .. } => match text.split_once('.') {
                        Some((r, a)) => (r.to_string(), a.to_string()),
                        None => return Val::Unknown(written()),
                    },
                    NodeValue::Seq(items) if items.len() == 2 => (
                        items[0].as_str().unwrap_or_default().to_string(),
                        self.eval_depth(&items[1], depth + 1).to_text().to_string(),
                    ),
                    _ => return Val::Unknown(written()),
                };
                self.get_att(&res, &attr)
            }
            "Fn::Sub" => {
                let (template, vars) = match &arg.value {
                    NodeValue::Scalar { text, .. } => (text.clone(), None),
                    NodeValue::Seq(items) if items.len() == 2 => match items[0].as_str() {
                        Some(t) => (t.to_string(), Some(self.eval_depth(&items[1], depth + 1))),
                        None => return Val::Unknown(written()),
                    },
                    _ => return Val::Unknown(written()),
                };
                Val::Str(self.sub(&template, vars.as_ref()))
            }
            "Fn::Join" => {
                let Some([sep, list]) = arg.as_seq().and_then(|s| <&[Node; 2]>::try_from(s).ok())
                else {
                    return Val::Unknown(written());
                };
                let sep = self.eval_depth(sep, depth + 1).to_text();
                match self.eval_depth(list, depth + 1) {
                    Val::List(items) => {
                        let mut out = Text::default();
                        for (i, item) in items.iter().enumerate() {
                            if i > 0 {
                                out.append(sep.clone());
                            }
                            out.append(item.to_text());
                        }
                        Val::Str(out)
                    }
                    _ => Val::Unknown(written()),
                }
            }
            "Fn::If" => match arg.as_seq() {
                Some([cond, a, b]) => {
                    match cond.as_str().and_then(|c| self.condition(c, depth + 1)) {
                        Some(true) => self.eval_depth(a, depth + 1),
                        Some(false) => self.eval_depth(b, depth + 1),
                        None => {
                            let a = self.eval_depth(a, depth + 1);
                            let b = self.eval_depth(b, depth + 1);
                            if a == b {
                                a
                            } else {
                                Val::Unknown(written())
                            }
                        }
                    }
                }
                _ => Val::Unknown(written()),
            },
            "Condition" => match arg.as_str().and_then(|c| self.condition(c, depth + 1)) {
                Some(b) => Val::Bool(b),
                None => Val::Unknown(written()),
            },
            "Fn::Equals" => match arg.as_seq() {
                Some([a, b]) => {
                    let (a, b) = (self.eval_depth(a, depth + 1), self.eval_depth(b, depth + 1));
                    if a.is_known() && b.is_known() {
                        // CloudFormation compares the values as strings (`30` equals "30").
                        Val::Bool(a.key() == b.key())
                    } else {
                        Val::Unknown(written())
                    }
                }
                _ => Val::Unknown(written()),
            },
            "Fn::And" | "Fn::Or" | "Fn::Not" => {
                let Some(items) = arg.as_seq() else {
                    return Val::Unknown(written());
                };
                let values: Vec<Option<bool>> = items
                    .iter()
                    .map(|i| match self.eval_depth(i, depth + 1) {
                        Val::Bool(b) => Some(b),
                        _ => None,
                    })
                    .collect();
                let decided = match (name, values.as_slice()) {
                    ("Fn::Not", [v]) => v.map(|b| !b),
                    ("Fn::Not", _) => None,
                    // One false decides an And, one true an Or, whatever the unknowns are.
                    ("Fn::And", _) if values.contains(&Some(false)) => Some(false),
                    ("Fn::Or", _) if values.contains(&Some(true)) => Some(true),
                    (_, _) if values.iter().all(Option::is_some) => Some(name == "Fn::And"),
                    _ => None,
                };
                match decided {
                    Some(b) => Val::Bool(b),
                    None => Val::Unknown(written()),
                }
            }
            "Fn::FindInMap" => {
                let Some([map, top, second]) = arg.as_seq() else {
                    return Val::Unknown(written());
                };
                let key = |n: &Node| self.eval_depth(n, depth + 1).to_text().as_known();
                let (Some(map), Some(top), Some(second)) = (key(map), key(top), key(second)) else {
                    return Val::Unknown(written());
                };
                match self
                    .mappings
                    .and_then(|m| m.get(&map))
                    .and_then(|m| m.get(&top))
                    .and_then(|m| m.get(&second))
                {
                    Some(v) => self.eval_depth(v, depth + 1),
                    None => Val::Unknown(written()),
                }
            }
            "Fn::Select" => {
                let Some([index, list]) = arg.as_seq() else {
                    return Val::Unknown(written());
                };
                let index = int_of(&self.eval_depth(index, depth + 1));
                match (index, self.eval_depth(list, depth + 1)) {
                    (Some(Value::Known(i)), Val::List(items)) if i >= 0 => items
                        .get(i as usize)
                        .cloned()
                        .unwrap_or_else(|| Val::Unknown(written())),
                    _ => Val::Unknown(written()),
                }
            }
            "Fn::Base64" => match self.eval_depth(arg, depth + 1).to_text().as_known() {
                Some(text) => {
                    use base64::Engine;
                    Val::str(&base64::engine::general_purpose::STANDARD.encode(text))
                }
                None => Val::Unknown(written()),
            },
            "Fn::Split" => {
                let Some([sep, text]) = arg.as_seq() else {
                    return Val::Unknown(written());
                };
                let sep = self.eval_depth(sep, depth + 1).to_text().as_known();
                let text = self.eval_depth(text, depth + 1).to_text().as_known();
                match (sep, text) {
                    (Some(sep), Some(text)) if !sep.is_empty() => {
                        Val::List(text.split(sep.as_str()).map(Val::str).collect())
                    }
                    _ => Val::Unknown(written()),
                }
            }
            "Fn::ToJsonString" => {
                let v = self.eval_depth(arg, depth + 1);
                Val::Str(v.to_json(false))
            }
            _ => Val::Unknown(written()),
        }
    }

    pub(super) fn reference(&self, target: &str) -> Val {
        if target.starts_with("AWS::") {
            return Val::Unknown(target.to_string());
        }
        if let Some((param, list)) = self.params.get(target) {
            let value = match param {
                Param::Given(text) => Val::str(text),
                Param::Default(d) => {
                    let v = self.eval_depth(d, 1);
                    if !self.naming.get() {
                        self.defaulted
                            .borrow_mut()
                            .entry(target.to_string())
                            .or_insert_with(|| v.to_text().to_string());
                    }
                    v
                }
                Param::Missing => return Val::Unknown(target.to_string()),
            };
            return match (list, value.to_text().as_known()) {
                // A list parameter is given (and defaulted) as one comma-delimited string.
                (true, Some(text)) => {
                    Val::List(text.split(',').map(|s| Val::str(s.trim())).collect())
                }
                _ => value,
            };
        }
        match self.resources.get(target) {
            Some(r) => {
                let text = if r.ty == "AWS::Logs::LogGroup" {
                    self.log_group_name(r)
                } else {
                    Text::hole(target)
                };
                Val::Ref {
                    addr: target.to_string(),
                    attr: "Ref".into(),
                    text,
                }
            }
            None => Val::Unknown(target.to_string()),
        }
    }

    pub(super) fn get_att(&self, res: &str, attr: &str) -> Val {
        let Some(r) = self.resources.get(res) else {
            return Val::Unknown(format!("{res}.{attr}"));
        };
        let prop = |k: &str| {
            r.props
                .and_then(|p| p.get(k))
                .map(|n| self.eval(n).to_text())
                .unwrap_or_else(|| Text::hole(format!("{res}.{k}")))
        };
        const PSEUDO: [&str; 3] = ["AWS::Partition", "AWS::Region", "AWS::AccountId"];
        let text = match (r.ty.as_str(), attr) {
            ("AWS::Logs::LogGroup", "Arn") => {
                // GetAtt gives the ARN with `:*`, as CloudFormation documents.
                let mut t = resource_arn(ArnOf::LogGroup, self.log_group_name(r), PSEUDO);
                t.push_lit(":*");
                t
            }
            ("AWS::KinesisFirehose::DeliveryStream", "Arn") => {
                resource_arn(ArnOf::Firehose, prop("DeliveryStreamName"), PSEUDO)
            }
            ("AWS::S3::Bucket", "Arn") => resource_arn(ArnOf::S3Bucket, prop("BucketName"), PSEUDO),
            _ => Text::hole(format!("{res}.{attr}")),
        };
        Val::Ref {
            addr: res.to_string(),
            attr: attr.to_string(),
            text,
        }
    }

    pub(super) fn sub(&self, template: &str, vars: Option<&Val>) -> Text {
        let mut out = Text::default();
        let mut rest = template;
        while let Some(start) = rest.find("${") {
            out.push_lit(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                out.push_lit(&rest[start..]);
                return out;
            };
            let name = &after[..end];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_lit(&format!("${{{literal}}}"));
            } else if let Some(v) = vars.and_then(|v| v.get(name)) {
                out.append(v.to_text());
            } else if let Some((res, attr)) = name.split_once('.') {
                out.append(self.get_att(res, attr).to_text());
            } else {
                out.append(self.reference(name).to_text());
            }
            rest = &after[end + 1..];
        }
        out.push_lit(rest);
        out
    }
}

pub(super) fn is_no_value(v: &Val) -> bool {
    matches!(v, Val::Unknown(u) if u == "AWS::NoValue")
}

pub(super) fn scalar(text: &str, plain: bool) -> Val {
    if !plain {
        return Val::str(text);
    }
    match text {
        "" | "~" | "null" | "Null" | "NULL" => Val::Null,
        "true" | "True" | "TRUE" => Val::Bool(true),
        "false" | "False" | "FALSE" => Val::Bool(false),
        // Only numbers that print back the same (keeps `012345678901` an account id).
        _ => match text.parse::<i64>() {
            Ok(n) if n.to_string() == text => Val::Num(n as f64),
            _ => Val::str(text),
        },
    }
}

pub(super) fn short(n: &Node) -> String {
    match &n.value {
        NodeValue::Scalar { text, .. } => text.clone(),
        NodeValue::Seq(_) => "[…]".into(),
        NodeValue::Map(_) => "{…}".into(),
    }
}

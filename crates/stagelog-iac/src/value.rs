//! Values as the adapters' evaluators see them, and their conversion to model values.
//! Anything that cannot be resolved becomes `Unknown` (or a hole in a text), never a guess.

use stagelog_model::{LogLevel, Text, Value};

/// Where access logs can (or, for S3, cannot) be delivered: the ARN a resource of that kind
/// gets, built from its name as far as the source knows it.
pub enum ArnOf {
    LogGroup,
    Firehose,
    S3Bucket,
}

/// `pseudo` names the partition, region and account holes the way the source does
/// (`AWS::Partition` in CloudFormation, `partition` in Terraform).
pub fn resource_arn(kind: ArnOf, name: Text, pseudo: [&str; 3]) -> Text {
    let [partition, region, account] = pseudo;
    let mut t = Text::lit("arn:");
    t.push_hole(partition);
    let (service, resource) = match kind {
        ArnOf::LogGroup => ("logs", ":log-group:"),
        ArnOf::Firehose => ("firehose", ":deliverystream/"),
        ArnOf::S3Bucket => ("s3", ":::"),
    };
    t.push_lit(&format!(":{service}"));
    if !matches!(kind, ArnOf::S3Bucket) {
        t.push_lit(":");
        t.push_hole(region);
        t.push_lit(":");
        t.push_hole(account);
    }
    t.push_lit(resource);
    t.append(name);
    t
}

#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Null,
    Bool(bool),
    Num(f64),
    Str(Text),
    List(Vec<Val>),
    Obj(Vec<(String, Val)>),
    /// An attribute of a resource the same source declares (`aws_cloudwatch_log_group.x.arn`,
    /// `!GetAtt LogGroup.Arn`): known by identity, with its value as far as it is known.
    Ref {
        addr: String,
        attr: String,
        text: Text,
    },
    /// The expression as written.
    Unknown(String),
}

impl Val {
    pub fn str(s: &str) -> Val {
        Val::Str(Text::lit(s))
    }

    /// The value as a string, with holes for what is unresolved.
    pub fn to_text(&self) -> Text {
        match self {
            Val::Null => Text::default(),
            Val::Bool(b) => Text::lit(b.to_string()),
            Val::Num(n) => Text::lit(num(*n)),
            Val::Str(t) => t.clone(),
            Val::Ref { text, .. } => text.clone(),
            Val::Unknown(e) => Text::hole(e.clone()),
            Val::List(_) | Val::Obj(_) => Text::hole("(a collection)"),
        }
    }

    /// JSON encoding with holes; `sort_keys` as Terraform's jsonencode does.
    pub fn to_json(&self, sort_keys: bool) -> Text {
        let mut out = Text::default();
        self.write_json(&mut out, sort_keys);
        out
    }

    fn write_json(&self, out: &mut Text, sort_keys: bool) {
        match self {
            Val::Null => out.push_lit("null"),
            Val::Bool(b) => out.push_lit(if *b { "true" } else { "false" }),
            Val::Num(n) => out.push_lit(&num(*n)),
            Val::Str(t) | Val::Ref { text: t, .. } => {
                out.push_lit("\"");
                for seg in t.segments() {
                    match seg {
                        stagelog_model::Segment::Lit(s) => out.push_lit(&json_escape(s)),
                        stagelog_model::Segment::Hole(h) => out.push_hole(h.clone()),
                    }
                }
                out.push_lit("\"");
            }
            Val::Unknown(e) => out.push_hole(e.clone()),
            Val::List(items) => {
                out.push_lit("[");
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_lit(",");
                    }
                    v.write_json(out, sort_keys);
                }
                out.push_lit("]");
            }
            Val::Obj(entries) => {
                let mut refs: Vec<&(String, Val)> = entries.iter().collect();
                if sort_keys {
                    refs.sort_by(|a, b| a.0.cmp(&b.0));
                }
                out.push_lit("{");
                for (i, (k, v)) in refs.into_iter().enumerate() {
                    if i > 0 {
                        out.push_lit(",");
                    }
                    out.push_lit(&format!("\"{}\":", json_escape(k)));
                    v.write_json(out, sort_keys);
                }
                out.push_lit("}");
            }
        }
    }

    pub fn get(&self, key: &str) -> Option<&Val> {
        match self {
            Val::Obj(entries) => entries.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn is_known(&self) -> bool {
        match self {
            Val::Unknown(_) => false,
            Val::Str(t) => !t.has_holes(),
            Val::List(items) => items.iter().all(Val::is_known),
            Val::Obj(entries) => entries.iter().all(|(_, v)| v.is_known()),
            _ => true,
        }
    }

    /// A short form for messages and for matching references (e.g. a stage's API).
    pub fn key(&self) -> String {
        match self {
            Val::Ref { addr, attr, .. } => format!("{addr}.{attr}"),
            other => other.to_text().to_string(),
        }
    }
}

fn num(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// `s` as the inside of a JSON string (serde_json's escaping, without the quotes).
fn json_escape(s: &str) -> String {
    let quoted = serde_json::to_string(s).unwrap_or_default();
    quoted[1..quoted.len().saturating_sub(1).max(1)].to_string()
}

/// A string setting; `None` when the value is null (absent).
pub fn text_of(v: &Val) -> Option<Text> {
    match v {
        Val::Null => None,
        other => Some(other.to_text()),
    }
}

pub fn bool_of(v: &Val) -> Option<Value<bool>> {
    match v {
        Val::Null => None,
        Val::Bool(b) => Some(Value::Known(*b)),
        Val::Str(t) => match t.as_known().map(|s| s.to_ascii_lowercase()).as_deref() {
            Some("true") => Some(Value::Known(true)),
            Some("false") => Some(Value::Known(false)),
            _ => Some(Value::Unknown(t.to_string())),
        },
        other => Some(Value::Unknown(other.to_text().to_string())),
    }
}

pub fn level_of(v: &Val) -> Option<Value<LogLevel>> {
    match v {
        Val::Null => None,
        Val::Str(t) => match t.as_known() {
            Some(s) => Some(Value::Known(LogLevel::parse(&s))),
            None => Some(Value::Unknown(t.to_string())),
        },
        other => Some(Value::Unknown(other.to_text().to_string())),
    }
}

pub fn int_of(v: &Val) -> Option<Value<i64>> {
    match v {
        Val::Null => None,
        Val::Num(n) => Some(Value::Known(*n as i64)),
        Val::Str(t) => match t.as_known().and_then(|s| s.trim().parse::<i64>().ok()) {
            Some(n) => Some(Value::Known(n)),
            None => Some(Value::Unknown(t.to_string())),
        },
        other => Some(Value::Unknown(other.to_text().to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_with_holes_and_sorted_keys() {
        let v = Val::Obj(vec![
            ("b".into(), Val::str("$context.status")),
            ("a".into(), Val::Unknown("var.x".into())),
            ("c".into(), Val::Num(3.0)),
        ]);
        assert_eq!(
            v.to_json(true).to_string(),
            r#"{"a":${var.x},"b":"$context.status","c":3}"#
        );
        assert_eq!(
            v.to_json(false).fill("0"),
            r#"{"b":"$context.status","a":0,"c":3}"#
        );
    }

    #[test]
    fn conversions() {
        assert_eq!(bool_of(&Val::str("True")), Some(Value::Known(true)));
        assert_eq!(
            level_of(&Val::str("info")),
            Some(Value::Known(LogLevel::Info))
        );
        assert_eq!(int_of(&Val::str("30")), Some(Value::Known(30)));
        assert_eq!(int_of(&Val::Null), None);
        assert!(matches!(
            bool_of(&Val::Unknown("x".into())),
            Some(Value::Unknown(_))
        ));
    }
}

//! An access log format (`$context` variables between literal text) compiled into the pieces a
//! line parser needs: the literals in order, and each field's name and variable.

use serde_json::Value as Json;
use std::fmt;

/// The shape the format's text has; it decides how fields are named and whether values are
/// JSON strings (unescaped when read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Json,
    Clf,
    Csv,
    Xml,
    Text,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Json => "JSON",
            Kind::Clf => "CLF",
            Kind::Csv => "CSV",
            Kind::Xml => "XML",
            Kind::Text => "text",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// What the format calls it: the JSON key path, the XML element or attribute, or else the
    /// variable itself.
    pub name: String,
    /// The variable without `$context.`, e.g. `identity.sourceIp`.
    pub var: String,
    /// Inside a JSON string: the value is JSON-escaped in the line.
    pub json_string: bool,
    /// Where a JSON parser finds it (JSON formats whose string holds just this variable).
    pub json_path: Option<Vec<String>>,
}

#[derive(Debug, Clone)]
pub struct Format {
    pub text: String,
    pub kind: Kind,
    /// `fields.len() + 1` literals: before the first field, between fields, after the last.
    pub literals: Vec<String>,
    pub fields: Vec<Field>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError(pub String);

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FormatError {}

const PREFIX: &str = "$context.";

/// Well-known short names and the variables they stand for, in order of preference.
const ALIASES: &[(&str, &[&str])] = &[
    ("ip", &["identity.sourceIp"]),
    ("sourceip", &["identity.sourceIp"]),
    (
        "caller",
        &[
            "identity.caller",
            "identity.userArn",
            "identity.user",
            "identity.accountId",
        ],
    ),
    ("user", &["identity.user", "identity.userArn"]),
    ("useragent", &["identity.userAgent"]),
    ("route", &["routeKey", "resourcePath", "path", "resourceId"]),
    ("path", &["path", "resourcePath"]),
    ("method", &["httpMethod"]),
    ("status", &["status"]),
    ("latency", &["responseLatency", "integrationLatency"]),
    ("time", &["requestTimeEpoch", "requestTime"]),
    ("id", &["requestId", "extendedRequestId"]),
];

/// A field a query names that the format does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the format has no field `{name}`; it has: {}", known.join(", "))]
pub struct UnknownField {
    pub name: String,
    /// The format's fields, as it names them.
    pub known: Vec<String>,
}

impl Format {
    /// Compiles a format string as API Gateway takes it.
    pub fn compile(text: &str) -> Result<Format, FormatError> {
        let (literals, vars) = split(text)?;
        let kind = kind_of(text, &literals);
        let mut fields: Vec<Field> = vars
            .iter()
            .map(|v| Field {
                name: v.clone(),
                var: v.clone(),
                json_string: false,
                json_path: None,
            })
            .collect();
        match kind {
            Kind::Json => name_json_fields(text, &mut fields),
            Kind::Xml => {
                for (i, f) in fields.iter_mut().enumerate() {
                    if let Some(name) = xml_name(&literals[i]) {
                        f.name = name;
                    }
                }
            }
            _ => {}
        }
        // Names must tell fields apart.
        for i in 1..fields.len() {
            if fields[..i].iter().any(|f| f.name == fields[i].name) {
                let mut n = 2;
                while fields
                    .iter()
                    .any(|f| f.name == format!("{}#{n}", fields[i].name))
                {
                    n += 1;
                }
                fields[i].name = format!("{}#{n}", fields[i].name);
            }
        }
        Ok(Format {
            text: text.to_string(),
            kind,
            literals,
            fields,
        })
    }

    /// A format read off a JSON log line, for logs whose format is not given: every key
    /// (nested keys joined with dots) is a field. Lines laid out like this one are read by
    /// the fast path, others by the JSON fallback.
    pub fn from_json_line(line: &str) -> Option<Format> {
        let doc: Json = serde_json::from_str(line.trim()).ok()?;
        let mut leaves = Vec::new();
        flatten(&doc, &mut Vec::new(), &mut leaves);
        if !doc.is_object() || leaves.is_empty() {
            return None;
        }
        // The compact layout API Gateway writes: {"a":"$context.a","b":"$context.b"}.
        let body: Vec<String> = leaves
            .iter()
            .map(|(path, string)| {
                let key = Json::String(path.join(".")).to_string();
                if *string {
                    format!("{key}:\"$context.{}\"", path.join("."))
                } else {
                    format!("{key}:$context.{}", path.join("."))
                }
            })
            .collect();
        let flat = leaves.iter().all(|(p, _)| p.len() == 1);
        let text = format!("{{{}}}", body.join(","));
        let mut f = Format::compile(&text).ok()?;
        if f.fields.len() != leaves.len() {
            return None;
        }
        for (field, (path, _)) in f.fields.iter_mut().zip(&leaves) {
            field.name = path.join(".");
            field.var = path.join(".");
            field.json_path = Some(path.clone());
        }
        if !flat {
            // Nested documents are never laid out like the flat template: JSON fallback.
            f.literals[0] = "\u{0}".into();
        }
        Some(f)
    }

    /// The field a user means by `name`: the format's own name, the variable (with or without
    /// `$context.`), a well-known short name (`ip`, `route`, `caller`…), or the variable's last
    /// part, ignoring case.
    pub fn resolve(&self, name: &str) -> Result<usize, UnknownField> {
        let bare = name.strip_prefix(PREFIX).unwrap_or(name);
        let by = |pred: &dyn Fn(&Field) -> bool| self.fields.iter().position(pred);
        if let Some(i) = by(&|f| f.name == name).or_else(|| by(&|f| f.var == bare)) {
            return Ok(i);
        }
        let lower = bare.to_ascii_lowercase();
        if let Some((_, vars)) = ALIASES.iter().find(|(a, _)| *a == lower) {
            for v in *vars {
                if let Some(i) = by(&|f| f.var == *v) {
                    return Ok(i);
                }
            }
        }
        if let Some(i) = by(&|f| f.name.eq_ignore_ascii_case(bare))
            .or_else(|| by(&|f| f.var.eq_ignore_ascii_case(bare)))
            .or_else(|| {
                by(&|f| {
                    f.var
                        .rsplit('.')
                        .next()
                        .is_some_and(|last| last.eq_ignore_ascii_case(bare))
                })
            })
        {
            return Ok(i);
        }
        Err(UnknownField {
            name: name.to_string(),
            known: self.fields.iter().map(|f| f.name.clone()).collect(),
        })
    }

    /// A line as API Gateway would write it for these values (JSON-escaped inside JSON strings).
    pub fn render(&self, values: &[&str]) -> String {
        let mut out = String::new();
        for (i, lit) in self.literals.iter().enumerate() {
            out.push_str(lit);
            if let (Some(f), Some(v)) = (self.fields.get(i), values.get(i)) {
                if f.json_string {
                    let quoted = Json::String((*v).to_string()).to_string();
                    out.push_str(&quoted[1..quoted.len() - 1]);
                } else {
                    out.push_str(v);
                }
            }
        }
        out
    }
}

/// Literals and variables, in order. Two variables with nothing between them cannot be told
/// apart in a line, so that is an error.
fn split(text: &str) -> Result<(Vec<String>, Vec<String>), FormatError> {
    if text.contains(['\n', '\r']) {
        return Err(FormatError(
            "the format contains a line break; API Gateway would split every entry".into(),
        ));
    }
    let mut literals = vec![String::new()];
    let mut vars = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(PREFIX) {
        let after = &rest[at + PREFIX.len()..];
        let len = var_len(after);
        if len == 0 {
            literals
                .last_mut()
                .unwrap()
                .push_str(&rest[..at + PREFIX.len()]);
            rest = after;
            continue;
        }
        literals.last_mut().unwrap().push_str(&rest[..at]);
        if !vars.is_empty() && literals.last().is_some_and(|l| l.is_empty()) {
            return Err(FormatError(format!(
                "`$context.{}` directly follows `$context.{}`: with nothing between them their values cannot be told apart",
                &after[..len],
                vars.last().unwrap()
            )));
        }
        vars.push(after[..len].to_string());
        literals.push(String::new());
        rest = &after[len..];
    }
    literals.last_mut().unwrap().push_str(rest);
    if vars.is_empty() {
        return Err(FormatError("the format has no $context variables".into()));
    }
    Ok((literals, vars))
}

/// Length of a variable path: identifier characters, dots only between them.
fn var_len(s: &str) -> usize {
    let b = s.as_bytes();
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'-';
    let mut i = 0;
    while i < b.len() {
        let name_char = ident(b[i]) && !(b[i] == b'-' && i == 0);
        let inner_dot =
            b[i] == b'.' && i > 0 && b.get(i + 1).is_some_and(|c| ident(*c) && *c != b'-');
        if !(name_char || inner_dot) {
            break;
        }
        i += 1;
    }
    // A trailing hyphen is punctuation (`$context.status-`), not part of the name.
    while i > 0 && b[i - 1] == b'-' {
        i -= 1;
    }
    i
}

fn kind_of(text: &str, literals: &[String]) -> Kind {
    let t = text.trim();
    if t.starts_with('{') && t.ends_with('}') {
        return Kind::Json;
    }
    if t.starts_with('<') && t.ends_with('>') {
        return Kind::Xml;
    }
    let inner = &literals[1..literals.len() - 1];
    if !inner.is_empty() && inner.iter().all(|l| l == ",") {
        return Kind::Csv;
    }
    if text.contains(" [") && text.contains("] \"") {
        return Kind::Clf;
    }
    Kind::Text
}

/// Names JSON fields by their key path and marks those inside strings, by parsing the format
/// with each variable replaced by a placeholder.
fn name_json_fields(text: &str, fields: &mut [Field]) {
    let mut subst = String::new();
    let mut in_string = false;
    let mut escaped = false;
    let mut rest = text;
    let mut index = 0;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix(PREFIX) {
            let len = var_len(after);
            if len > 0 && index < fields.len() {
                let mark = format!("\u{E000}{index}\u{E001}");
                if in_string {
                    fields[index].json_string = true;
                    subst.push_str(&mark);
                } else {
                    subst.push('"');
                    subst.push_str(&mark);
                    subst.push('"');
                }
                index += 1;
                rest = &after[len..];
                continue;
            }
        }
        let c = rest.chars().next().unwrap();
        if escaped {
            escaped = false;
        } else if c == '\\' && in_string {
            escaped = true;
        } else if c == '"' {
            in_string = !in_string;
        }
        subst.push(c);
        rest = &rest[c.len_utf8()..];
    }
    let Ok(doc) = serde_json::from_str::<Json>(&subst) else {
        return;
    };
    let mut path = Vec::new();
    walk(&doc, &mut path, fields);
}

fn walk(v: &Json, path: &mut Vec<String>, fields: &mut [Field]) {
    match v {
        Json::Object(map) => {
            for (k, child) in map {
                path.push(k.clone());
                walk(child, path, fields);
                path.pop();
            }
        }
        Json::String(s) => {
            let Some(i) = s
                .strip_prefix('\u{E000}')
                .and_then(|r| r.strip_suffix('\u{E001}'))
                .and_then(|n| n.parse::<usize>().ok())
            else {
                return;
            };
            if let Some(f) = fields.get_mut(i) {
                if !path.is_empty() {
                    f.name = path.join(".");
                    f.json_path = Some(path.clone());
                }
            }
        }
        _ => {}
    }
}

/// Leaf values of a JSON document: key path, and whether the value is a string.
fn flatten(v: &Json, path: &mut Vec<String>, out: &mut Vec<(Vec<String>, bool)>) {
    match v {
        Json::Object(map) => {
            for (k, child) in map {
                path.push(k.clone());
                flatten(child, path, out);
                path.pop();
            }
        }
        Json::Array(_) => {}
        other => out.push((path.clone(), other.is_string())),
    }
}

/// `<ip>` before a variable names it `ip`; so does `ip="`.
fn xml_name(before: &str) -> Option<String> {
    let ident = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'))
    };
    if let Some(tag) = before.strip_suffix('>') {
        let start = tag.rfind('<')? + 1;
        let name = &tag[start..];
        return ident(name).then(|| name.to_string());
    }
    let attr = before
        .strip_suffix("=\"")
        .or_else(|| before.strip_suffix("='"))?;
    let start = attr.rfind([' ', '<']).map_or(0, |i| i + 1);
    let name = &attr[start..];
    ident(name).then(|| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_fields_are_named_by_their_keys() {
        let f = Format::compile(
            r#"{ "requestId":"$context.requestId", "ip": "$context.identity.sourceIp", "status":$context.status, "who": {"arn": "$context.identity.userArn"}, "line": "$context.httpMethod $context.path" }"#,
        )
        .unwrap();
        assert_eq!(f.kind, Kind::Json);
        let names: Vec<&str> = f.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            ["requestId", "ip", "status", "who.arn", "httpMethod", "path"]
        );
        assert!(f.fields[0].json_string && !f.fields[2].json_string);
        assert_eq!(f.resolve("ip"), Ok(1));
        assert_eq!(f.resolve("$context.identity.sourceIp"), Ok(1));
        assert_eq!(f.resolve("caller"), Ok(3));
        assert_eq!(f.resolve("route"), Ok(5));
        assert!(f
            .resolve("nope")
            .unwrap_err()
            .to_string()
            .contains("requestId, ip"));
    }

    #[test]
    fn kinds_and_names_of_the_console_formats() {
        let clf = Format::compile(r#"$context.identity.sourceIp $context.identity.caller $context.identity.user [$context.requestTime] "$context.httpMethod $context.resourcePath $context.protocol" $context.status $context.responseLength $context.requestId $context.extendedRequestId"#).unwrap();
        assert_eq!(clf.kind, Kind::Clf);
        assert_eq!(clf.fields[0].name, "identity.sourceIp");
        assert_eq!(clf.literals[3], " [");
        let xml = Format::compile(r#"<request id="$context.requestId"> <ip>$context.identity.sourceIp</ip> <status>$context.status</status> </request>"#).unwrap();
        assert_eq!(xml.kind, Kind::Xml);
        let names: Vec<&str> = xml.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["id", "ip", "status"]);
        let csv = Format::compile("$context.identity.sourceIp,$context.status,$context.requestId")
            .unwrap();
        assert_eq!(csv.kind, Kind::Csv);
    }

    #[test]
    fn bad_formats_say_why() {
        assert!(Format::compile("no variables")
            .unwrap_err()
            .0
            .contains("no $context"));
        assert!(Format::compile("$context.status$context.path")
            .unwrap_err()
            .0
            .contains("cannot be told apart"));
        assert!(Format::compile("$context.status\n")
            .unwrap_err()
            .0
            .contains("line break"));
        // `$context.` alone is text; a trailing dot or hyphen is punctuation.
        let f = Format::compile("$context. $context.status. $context.path-").unwrap();
        assert_eq!(f.fields.len(), 2);
        assert_eq!(f.literals, ["$context. ", ". ", "-"]);
    }

    #[test]
    fn a_format_from_a_json_line() {
        let f = Format::from_json_line(r#"{"requestId":"a","status":404,"who":{"ip":"1.2.3.4"}}"#)
            .unwrap();
        let names: Vec<&str> = f.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["requestId", "status", "who.ip"]);
        assert_eq!(f.resolve("ip"), Ok(2));
        assert!(Format::from_json_line("1.2.3.4 - -").is_none());
        assert!(Format::from_json_line("[1]").is_none());
    }

    #[test]
    fn repeated_variables_get_distinct_names() {
        let f = Format::compile("$context.status $context.status").unwrap();
        assert_eq!(f.fields[1].name, "status#2");
    }
}

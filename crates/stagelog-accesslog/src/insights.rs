//! The same query as a CloudWatch Logs Insights query, so large volumes are filtered and
//! counted in CloudWatch. JSON access logs are discovered by Insights itself (nested keys
//! flattened with dots); other formats are taken apart with `parse`.

use crate::format::{Format, Kind};
use crate::query::{Op, Query};

/// Insights has no wider result set than this.
pub const MAX_ROWS: usize = 10_000;

pub struct InsightsQuery {
    pub text: String,
    /// For each Insights result column the name `stagelog logs` reports it under.
    pub columns: Vec<(String, String)>,
    /// Rows are whole log events (`@message`), parsed locally, rather than aggregates.
    pub records: bool,
}

/// The query text for `query` on logs written in `format`.
pub fn translate(format: &Format, query: &Query) -> InsightsQuery {
    let json = format.kind == Kind::Json && format.fields.iter().all(|f| f.json_path.is_some());
    // What each field is called in the query.
    let names: Vec<String> = format
        .fields
        .iter()
        .map(|f| {
            if json {
                field_ref(&f.name)
            } else {
                identifier(&f.name)
            }
        })
        .collect();
    let mut parts = Vec::new();
    let records = !query.aggregates();
    if records {
        parts.push("fields @timestamp, @message".to_string());
    }
    if !json {
        parts.push(parse_command(format, &names));
    }
    let conditions: Vec<String> = query
        .filters
        .iter()
        .map(|f| {
            let name = &names[f.field];
            if let Some(re) = f.class_regex() {
                let not = if f.op == Op::Ne { "not " } else { "" };
                return format!("{name} {not}like /{re}/");
            }
            // Insights' own IP functions (CloudWatch Logs Insights query syntax: "IP address
            // string functions").
            if let Some(net) = f.network().filter(|n| n.prefix_len() < n.max_prefix_len()) {
                let function = match net {
                    ipnet::IpNet::V4(_) => "isIpv4InSubnet",
                    ipnet::IpNet::V6(_) => "isIpv6InSubnet",
                };
                let not = if f.op == Op::Ne { "not " } else { "" };
                return format!(
                    "{not}{function}({name}, {})",
                    string_literal(&net.to_string())
                );
            }
            match f.op {
                Op::Has => format!("{name} like /{}/", regex_escape(&f.value)),
                Op::NotHas => format!("{name} not like /{}/", regex_escape(&f.value)),
                op => {
                    let value = match f.number() {
                        Some(_) => f.value.clone(),
                        None => string_literal(&f.value),
                    };
                    format!("{name} {} {value}", op.symbol())
                }
            }
        })
        .collect();
    if !conditions.is_empty() {
        parts.push(format!("filter {}", conditions.join(" and ")));
    }
    let mut columns = Vec::new();
    if records {
        parts.push("sort @timestamp desc".into());
        parts.push(format!(
            "limit {}",
            query.top.unwrap_or(MAX_ROWS).min(MAX_ROWS)
        ));
        columns.push(("@message".to_string(), "@message".to_string()));
    } else {
        let mut stats = vec!["count(*) as count".to_string()];
        columns.push(("count".to_string(), "count".to_string()));
        if let Some(lat) = query.latency {
            for p in [50, 90, 99] {
                stats.push(format!("pct({}, {p}) as p{p}", names[lat]));
                columns.push((format!("p{p}"), format!("p{p}")));
            }
        }
        let mut text = format!("stats {}", stats.join(", "));
        if !query.group_by.is_empty() {
            let by: Vec<&str> = query.group_by.iter().map(|&i| names[i].as_str()).collect();
            text.push_str(&format!(" by {}", by.join(", ")));
            for &i in &query.group_by {
                columns.push((
                    names[i].trim_matches('`').to_string(),
                    format.fields[i].name.clone(),
                ));
            }
        }
        parts.push(text);
        parts.push("sort count desc".into());
        if let Some(n) = query.top {
            parts.push(format!("limit {}", n.min(MAX_ROWS)));
        }
    }
    InsightsQuery {
        text: parts.join("\n| "),
        columns,
        records,
    }
}

/// `parse @message "…"` in glob mode, or a regular expression when the literal text holds
/// a `*` the glob would take for a wildcard.
fn parse_command(format: &Format, names: &[String]) -> String {
    let glob_safe = format.literals.iter().all(|l| !l.contains('*'));
    if glob_safe {
        let mut glob = String::new();
        for (i, lit) in format.literals.iter().enumerate() {
            glob.push_str(&lit.replace('\\', "\\\\").replace('"', "\\\""));
            if i < format.fields.len() {
                glob.push('*');
            }
        }
        format!("parse @message \"{glob}\" as {}", names.join(", "))
    } else {
        let mut re = String::from("^");
        for (i, lit) in format.literals.iter().enumerate() {
            re.push_str(&regex_escape(lit));
            if i < format.fields.len() {
                let lazy = if i + 1 < format.fields.len() { "?" } else { "" };
                re.push_str(&format!("(?<{}>.*{lazy})", names[i]));
            }
        }
        re.push('$');
        format!("parse @message /{re}/")
    }
}

/// A field reference, in backticks when it holds more than letters, digits, `_`, `.`, `@`.
fn field_ref(name: &str) -> String {
    if !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '@'))
    {
        name.to_string()
    } else {
        format!("`{}`", name.replace('`', "``"))
    }
}

/// A name `parse` can create: letters, digits and `_` only.
fn identifier(name: &str) -> String {
    let id: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if id.starts_with(|c: char| c.is_ascii_digit()) || id.is_empty() {
        format!("f_{id}")
    } else {
        id
    }
}

fn string_literal(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn regex_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if "\\.+*?()|[]{}^$/-".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::Filter;

    #[test]
    fn json_4xx_by_route_and_caller() {
        let f = Format::compile(r#"{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","routeKey":"$context.routeKey","status":"$context.status","latency":"$context.responseLatency"}"#).unwrap();
        let q = Query {
            filters: vec![Filter::parse("status = 4xx", &f).unwrap()],
            group_by: vec![f.resolve("route").unwrap(), f.resolve("ip").unwrap()],
            latency: Some(f.resolve("latency").unwrap()),
            top: Some(20),
            ..Query::default()
        };
        let t = translate(&f, &q);
        assert_eq!(
            t.text,
            "filter status like /^4\\d\\d$/\n| stats count(*) as count, pct(latency, 50) as p50, pct(latency, 90) as p90, pct(latency, 99) as p99 by routeKey, ip\n| sort count desc\n| limit 20"
        );
        assert!(!t.records);
    }

    #[test]
    fn clf_records_use_parse() {
        let f = Format::compile(r#"$context.identity.sourceIp - - [$context.requestTime] "$context.httpMethod $context.resourcePath $context.protocol" $context.status"#).unwrap();
        let q = Query {
            filters: vec![
                Filter::parse("status >= 400", &f).unwrap(),
                Filter::parse("ip = 10.0.0.1", &f).unwrap(),
            ],
            ..Query::default()
        };
        let t = translate(&f, &q);
        assert_eq!(
            t.text,
            "fields @timestamp, @message\n| parse @message \"* - - [*] \\\"* * *\\\" *\" as identity_sourceIp, requestTime, httpMethod, resourcePath, protocol, status\n| filter status >= 400 and identity_sourceIp = \"10.0.0.1\"\n| sort @timestamp desc\n| limit 10000"
        );
        assert!(t.records);
    }

    #[test]
    fn a_literal_star_switches_parse_to_a_regex() {
        let f = Format::compile("*$context.status* $context.path").unwrap();
        let t = translate(&f, &Query::default());
        assert!(
            t.text
                .contains("parse @message /^\\*(?<status>.*?)\\* (?<path>.*)$/"),
            "{}",
            t.text
        );
    }
}

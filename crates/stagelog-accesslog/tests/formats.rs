//! Every console format for REST, HTTP and WebSocket APIs parses the lines it renders, and
//! random records survive rendering and parsing unchanged; whatever the format or line, the
//! compiler and the parser never panic (these property tests stand in for fuzz targets).

use proptest::prelude::*;
use stagelog_accesslog::presets::PRESETS;
use stagelog_accesslog::{Format, Kind, Parser, Record};

fn parse(p: &Parser, line: &str) -> Option<Vec<String>> {
    let mut rec = Record::default();
    p.parse(line.as_bytes(), &mut rec).ok()?;
    Some(
        (0..rec.len())
            .map(|i| String::from_utf8_lossy(rec.get(line.as_bytes(), i)).into_owned())
            .collect(),
    )
}

/// A realistic value for a variable.
fn sample(var: &str, n: usize) -> String {
    match var {
        "identity.sourceIp" => format!("203.0.113.{n}"),
        "identity.caller" | "identity.user" => "-".into(),
        "requestTime" => "24/Nov/2026:01:02:03 +0000".into(),
        "httpMethod" => "GET".into(),
        "resourcePath" => "/pets/{id}".into(),
        "routeKey" => "GET /pets".into(),
        "protocol" => "HTTP/1.1".into(),
        "status" => "404".into(),
        "responseLength" => "12".into(),
        "eventType" => "MESSAGE".into(),
        "connectionId" => "abc=".into(),
        _ => format!("id-{n}"),
    }
}

#[test]
fn every_console_format_for_every_api_kind_reads_its_own_lines() {
    assert_eq!(PRESETS.len(), 12);
    for (name, text) in PRESETS {
        let format = Format::compile(text).unwrap();
        let want = match name.rsplit('-').next().unwrap() {
            "clf" => Kind::Clf,
            "json" => Kind::Json,
            "xml" => Kind::Xml,
            _ => Kind::Csv,
        };
        assert_eq!(format.kind, want, "{name}");
        let values: Vec<String> = format
            .fields
            .iter()
            .enumerate()
            .map(|(i, f)| sample(&f.var, i))
            .collect();
        // The HTTP route key (`GET /pets`) holds the space that separates it from the method.
        let refs: Vec<&str> = values.iter().map(String::as_str).collect();
        let line = format.render(&refs);
        let parser = Parser::new(format.clone());
        let got = parse(&parser, &line);
        assert_eq!(got.as_deref(), Some(&values[..]), "{name}: {line}");
        assert!(parse(&parser, &line[..line.len() / 2]).is_none(), "{name}");
    }
}

/// A format of 1–8 variables joined by separators that values never contain.
fn formats() -> impl Strategy<Value = (String, Vec<String>)> {
    let var = prop::sample::select(vec![
        "requestId",
        "identity.sourceIp",
        "status",
        "routeKey",
        "responseLatency",
        "integration.latency",
        "authorizer.claims.sub",
    ]);
    let sep = prop::sample::select(vec![" ", ",", " | ", "\t", "] [", "\" \"", ";", "<x>"]);
    (prop::collection::vec((var, sep), 1..8), any::<bool>()).prop_map(|(parts, json)| {
        if json {
            let body: Vec<String> = parts
                .iter()
                .enumerate()
                .map(|(i, (v, _))| format!("\"k{i}\":\"$context.{v}\""))
                .collect();
            (format!("{{{}}}", body.join(",")), vec![])
        } else {
            let mut s = String::from("[");
            for (i, (v, sep)) in parts.iter().enumerate() {
                if i > 0 {
                    s.push_str(sep);
                }
                s.push_str("$context.");
                s.push_str(v);
            }
            s.push(']');
            (s, vec![])
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn records_round_trip(
        (text, _) in formats(),
        plain in prop::collection::vec("[A-Za-z0-9/:._=-]{0,12}", 8),
        any_text in prop::collection::vec("\\PC{0,12}", 8),
    ) {
        let format = Format::compile(&text).unwrap();
        // JSON strings hold anything (escaped); other formats hold values without separators.
        let values: Vec<&str> = (0..format.fields.len())
            .map(|i| if format.kind == Kind::Json { any_text[i].as_str() } else { plain[i].as_str() })
            .collect();
        let line = format.render(&values);
        let parser = Parser::new(format);
        let got = parse(&parser, &line);
        prop_assert_eq!(got, Some(values.iter().map(|v| v.to_string()).collect::<Vec<_>>()), "{}", line);
    }

    #[test]
    fn compiler_and_parser_never_panic(format in "(\\PC|\\$context\\.[a-z.]{0,6}){0,12}", line in "\\PC{0,80}") {
        if let Ok(f) = Format::compile(&format) {
            let p = Parser::new(f);
            let mut rec = Record::default();
            let _ = p.parse(line.as_bytes(), &mut rec);
            let _ = p.parse(format.as_bytes(), &mut rec);
        }
    }

    #[test]
    fn console_formats_never_panic_on_mutated_lines(pick in 0usize..12, cut in 0usize..400, junk in "\\PC{0,20}") {
        let f = Format::compile(PRESETS[pick].1).unwrap();
        let values: Vec<String> = f.fields.iter().enumerate().map(|(i, x)| sample(&x.var, i)).collect();
        let refs: Vec<&str> = values.iter().map(String::as_str).collect();
        let line = f.render(&refs);
        let at = line.char_indices().map(|(i, _)| i).nth(cut % line.chars().count()).unwrap_or(0);
        let mutated = format!("{}{junk}{}", &line[..at], &line[at..]);
        let p = Parser::new(f);
        let mut rec = Record::default();
        let _ = p.parse(mutated.as_bytes(), &mut rec);
    }
}

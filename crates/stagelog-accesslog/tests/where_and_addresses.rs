//! `--where` as users type it: what the grammar cannot mean is an error that says what to
//! write instead; source addresses compared as addresses (IPv6, networks, IPv4-mapped), the same
//! filters as Logs Insights writes them; lines exported from CloudWatch Logs to S3.

use stagelog_accesslog::insights::translate;
use stagelog_accesslog::{Filter, FilterError, Format, Parser, Query, Record};

fn http_clf() -> Format {
    Format::compile(stagelog_accesslog::presets::preset("http-clf").unwrap()).unwrap()
}

fn error(filter: &str) -> String {
    Filter::parse(filter, &http_clf()).unwrap_err().to_string()
}

#[test]
fn mistyped_operators_are_errors_with_the_operator_meant() {
    for (typed, meant) in [
        ("status => 400", ">="),
        ("status =< 400", "<="),
        ("status <> 200", "!="),
        ("status === 200", "="),
        ("path =~ orders", "~"),
    ] {
        let e = error(typed);
        assert!(
            e.contains(&format!("did you mean `{meant}`")),
            "{typed}: {e}"
        );
    }
    assert!(matches!(
        Filter::parse("status >< 1", &http_clf()).unwrap_err(),
        FilterError::UnknownOperator { hint: None, .. }
    ));
    // A quoted value may start with what operators are made of.
    let f = Filter::parse("route = \"=weird\"", &http_clf()).unwrap();
    assert_eq!(f.value, "=weird");
}

#[test]
fn status_classes_take_equality_only() {
    let e = error("status >= 5xx");
    assert!(e.contains("status >= 500"), "{e}");
    assert!(error("status < 4xx").contains("status < 400"));
    assert!(error("status ~ 5xx").contains("takes = or != only"));
    // Equality on a class still works.
    let f = Filter::parse("status != 2xx", &http_clf()).unwrap();
    assert!(f.matches(b"404") && !f.matches(b"204"));
}

#[test]
fn conditions_joined_by_and_or_or_are_split_into_where_flags() {
    let e = error("status = 4xx AND ip = 2001:db8::1");
    assert!(
        e.contains("--where 'status = 4xx' --where 'ip = 2001:db8::1'"),
        "{e}"
    );
    assert!(!e.contains("OR is not supported"), "{e}");
    let e = error("status = 4xx or status = 5xx || status = 3xx");
    assert!(e.contains("OR is not supported"), "{e}");
    assert!(e.contains("--where 'status = 3xx'"), "{e}");
    // A value that holds the word, with no second condition after it, is a value.
    let f = Filter::parse("route ~ terms and conditions", &http_clf()).unwrap();
    assert_eq!(f.value, "terms and conditions");
}

#[test]
fn source_addresses_compare_as_addresses_v4_and_v6() {
    let f = http_clf();
    let exact = Filter::parse("ip = 2001:db8::1", &f).unwrap();
    // The same address written out in full is the same address.
    assert!(exact.matches(b"2001:db8::1") && exact.matches(b"2001:0db8:0:0:0:0:0:1"));
    assert!(!exact.matches(b"2001:db8::2") && !exact.matches(b"-"));
    let v6 = Filter::parse("ip = 2001:db8::/32", &f).unwrap();
    assert!(v6.matches(b"2001:db8:ffff::7") && !v6.matches(b"2001:db9::1"));
    assert!(!v6.matches(b"203.0.113.9"));
    let v4 = Filter::parse("ip != 203.0.113.0/24", &f).unwrap();
    assert!(!v4.matches(b"203.0.113.77") && v4.matches(b"198.51.100.7"));
    // Dual-stack listeners log IPv4 clients IPv4-mapped: still in the IPv4 network.
    assert!(!v4.matches(b"::ffff:203.0.113.77"));
    let mapped = Filter::parse("ip = 198.51.100.7", &f).unwrap();
    assert!(mapped.matches(b"::ffff:198.51.100.7"));
    // Networks take equality only.
    assert!(error("ip > 10.0.0.0/8").contains("is a network"));
}

#[test]
fn networks_reach_logs_insights_as_its_subnet_functions() {
    let f = http_clf();
    let mut q = Query::default();
    q.filters
        .push(Filter::parse("ip = 2001:db8::/32", &f).unwrap());
    q.filters
        .push(Filter::parse("ip != 10.0.0.0/8", &f).unwrap());
    let text = translate(&f, &q).text;
    assert!(
        text.contains(
            "filter isIpv6InSubnet(identity_sourceIp, \"2001:db8::/32\") and not isIpv4InSubnet(identity_sourceIp, \"10.0.0.0/8\")"
        ),
        "{text}"
    );
}

#[test]
fn lines_exported_to_s3_are_read_after_their_timestamp() {
    let p = Parser::new(http_clf());
    let mut rec = Record::default();
    let line = b"2026-12-06T10:00:00.123Z 2001:db8::1 - - [06/Dec/2026:10:00:00 +0000] \"GET /orders HTTP/1.1\" 200 15 a1";
    p.parse(line, &mut rec).unwrap();
    assert_eq!(rec.get(line, 0), b"2001:db8::1");
    assert_eq!(rec.get(line, 7), b"a1");
    let json =
        Format::from_json_line(r#"{"requestId":"a1","ip":"2001:db8::1","status":"200"}"#).unwrap();
    let p = Parser::new(json);
    let line = br#"2026-12-06T10:00:00Z {"requestId":"a1","ip":"2001:db8::1","status":"200"}"#;
    p.parse(line, &mut rec).unwrap();
    assert_eq!(rec.get(line, 1), b"2001:db8::1");
    // A line that is only a timestamp and text is not an event.
    assert!(p.parse(b"2026-12-06T10:00:00Z hello", &mut rec).is_err());
}

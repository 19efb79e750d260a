//! The engine over real files: piece boundaries anywhere in a line change nothing, records come
//! out in input order, unparsed lines are counted and shown with their line numbers, and the
//! aggregation JSON has the documented shape.

use stagelog_accesslog::*;
use std::io::Write;

const FORMAT: &str = r#"{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","routeKey":"$context.routeKey","status":"$context.status","responseLatency":"$context.responseLatency"}"#;

fn log(lines: usize) -> (tempfile::NamedTempFile, Vec<String>) {
    let f = Format::compile(FORMAT).unwrap();
    let mut file = tempfile::NamedTempFile::new().unwrap();
    let mut all = Vec::new();
    for i in 0..lines {
        let line = if i % 97 == 13 {
            format!("garbage line {i}")
        } else {
            let status = ["200", "404", "403", "500", "201"][i % 5];
            let ip = format!("10.0.0.{}", i % 7);
            let route = ["GET /pets", "POST /pets", "GET /pets/{id}"][i % 3];
            let latency = (i % 50 + 1).to_string();
            let id = format!("r{i}");
            f.render(&[&id, &ip, route, status, &latency])
        };
        writeln!(file, "{line}").unwrap();
        if i % 211 == 0 {
            writeln!(file).unwrap();
        }
        all.push(line);
    }
    file.flush().unwrap();
    (file, all)
}

fn run(
    q: impl Fn(&Format) -> Query,
    output: Output,
    piece: u64,
    file: &std::path::Path,
) -> (String, String, Summary) {
    let format = Format::compile(FORMAT).unwrap();
    let engine = Engine {
        query: q(&format),
        parser: Parser::new(format),
        output,
        show_unparsed: true,
    };
    let (mut out, mut diag) = (Vec::new(), Vec::new());
    let summary = engine
        .run(
            pieces_of_size(vec![file.to_path_buf()], piece),
            &mut out,
            &mut diag,
        )
        .unwrap();
    (
        String::from_utf8(out).unwrap(),
        String::from_utf8(diag).unwrap(),
        summary,
    )
}

#[test]
fn piece_size_does_not_change_the_answer() {
    let (file, lines) = log(3000);
    let four_xx = |f: &Format| Query {
        filters: vec![Filter::parse("status = 4xx", f).unwrap()],
        group_by: vec![f.resolve("route").unwrap(), f.resolve("ip").unwrap()],
        latency: Some(f.resolve("latency").unwrap()),
        ..Query::default()
    };
    let (whole, _, s) = run(four_xx, Output::Json, 1 << 30, file.path());
    let garbage = lines.iter().filter(|l| l.starts_with("garbage")).count() as u64;
    assert_eq!(s.lines, 3000);
    assert_eq!(s.unparsed, garbage);
    // Pieces smaller and larger than the page each one is read from before its start.
    for piece in [5, 100, 1000, 4096, 4097, 10_000] {
        let (out, diag, s2) = run(four_xx, Output::Json, piece, file.path());
        assert_eq!(out, whole, "piece size {piece}");
        assert_eq!(s2, s);
        assert_eq!(diag.lines().count() as u64, garbage);
    }
    let v: serde_json::Value = serde_json::from_str(&whole).unwrap();
    assert_eq!(v["lines"], 3000);
    assert_eq!(v["unparsed"], garbage);
    let rows = v["rows"].as_array().unwrap();
    let total: u64 = rows.iter().map(|r| r["count"].as_u64().unwrap()).sum();
    let want = lines
        .iter()
        .filter(|l| l.contains("\"status\":\"404\"") || l.contains("\"status\":\"403\""))
        .count() as u64;
    assert_eq!(total, want);
    // Sorted by count, each row named by the format's own keys.
    assert!(rows
        .windows(2)
        .all(|w| w[0]["count"].as_u64() >= w[1]["count"].as_u64()));
    let keys: Vec<&String> = rows[0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["routeKey", "ip", "count", "p50", "p90", "p99"]);
}

#[test]
fn records_keep_input_order_and_unparsed_lines_have_line_numbers() {
    let (file, lines) = log(500);
    let only_500 = |f: &Format| Query {
        filters: vec![Filter::parse("status >= 500", f).unwrap()],
        ..Query::default()
    };
    let (out, diag, s) = run(only_500, Output::Json, 333, file.path());
    let ids: Vec<String> = out
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["requestId"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let want: Vec<String> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.contains("\"status\":\"500\""))
        .map(|(i, _)| format!("r{i}"))
        .collect();
    assert_eq!(ids, want);
    assert_eq!(s.matched, want.len() as u64);
    // Line 14 of the file is `garbage line 13` (one blank line was written after line 1).
    let first = diag.lines().next().unwrap();
    assert!(first.contains(":15:1: does not start with"), "{first}");
    assert!(first.ends_with("garbage line 13"), "{first}");
}

#[test]
fn csv_and_table_outputs() {
    let (file, _) = log(200);
    let by_status = |f: &Format| Query {
        group_by: vec![f.resolve("status").unwrap()],
        top: Some(2),
        ..Query::default()
    };
    let (csv, _, _) = run(by_status, Output::Csv, 1 << 20, file.path());
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("status,count"));
    assert_eq!(csv.lines().count(), 3, "{csv}");
    let (table, _, _) = run(by_status, Output::Table, 1 << 20, file.path());
    assert!(
        table.contains("status") && table.contains("200 lines, 2 unparsed"),
        "{table}"
    );
}

/// A line longer than any CloudWatch event (1 MiB) is one unparsed line, with its reason, and
/// the lines around it are read as usual, whether it crosses piece boundaries or comes from a
/// stream; only a bounded part of it is ever held.
#[test]
fn a_line_longer_than_an_event_is_unparsed_and_skipped() {
    let (file, lines) = log(300);
    let mut text = std::fs::read_to_string(file.path()).unwrap();
    let at = text.match_indices('\n').nth(149).unwrap().0 + 1;
    let long = format!("{{\"requestId\":\"{}\"}}\n", "x".repeat(3 * MAX_LINE));
    text.insert_str(at, &long);
    let mut with_long = tempfile::NamedTempFile::new().unwrap();
    with_long.write_all(text.as_bytes()).unwrap();
    with_long.flush().unwrap();
    let count = |q: &Format| Query {
        group_by: vec![q.resolve("status").unwrap()],
        ..Query::default()
    };
    let (plain, _, plain_summary) = run(count, Output::Json, 1 << 20, file.path());
    for piece in [64 << 10, 1 << 20, 8 << 20] {
        let (out, diag, summary) = run(count, Output::Json, piece, with_long.path());
        assert_eq!(summary.lines, plain_summary.lines + 1, "piece {piece}");
        assert_eq!(
            summary.unparsed,
            plain_summary.unparsed + 1,
            "piece {piece}"
        );
        assert_eq!(summary.matched, plain_summary.matched, "piece {piece}");
        let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
        let plain: serde_json::Value = serde_json::from_str(&plain).unwrap();
        assert_eq!(doc["rows"], plain["rows"], "piece {piece}");
        let reason = diag
            .lines()
            .find(|l| l.contains("longer than CloudWatch's 1 MiB event limit"))
            .unwrap_or_else(|| panic!("piece {piece}: {diag}"));
        // The line number is the long line's own (inserted after the 150th).
        assert!(reason.contains(":151:1048577: "), "{reason}");
        assert!(reason.len() < 1000, "the line is not printed whole");
    }
    // From a stream (standard input), in 8 MiB blocks: the same counts.
    let format = Format::compile(FORMAT).unwrap();
    let engine = Engine {
        query: count(&format),
        parser: Parser::new(format),
        output: Output::Json,
        show_unparsed: false,
    };
    let mut longer = text.clone();
    longer.insert_str(at, &format!("{}\n", "y".repeat(20 << 20)));
    let summary = engine
        .run(
            stream_pieces("stdin", std::io::Cursor::new(longer.into_bytes())),
            &mut Vec::new(),
            &mut Vec::new(),
        )
        .unwrap();
    assert_eq!(summary.lines, plain_summary.lines + 2);
    assert_eq!(summary.unparsed, plain_summary.unparsed + 2);
    assert_eq!(lines.len(), 300);
}

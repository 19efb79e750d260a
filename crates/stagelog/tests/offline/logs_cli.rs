//! `stagelog logs` on local input: files and standard input, console presets and formats read
//! off a JSON line, time ranges, unparsed lines, the three outputs, and clear errors.

use std::io::Write;
use std::process::{Command, Stdio};

const CLF: &str = "\
198.51.100.7 - - [24/Nov/2026:10:00:00 +0000] \"GET /pets HTTP/1.1\" 200 12 r1 e1
198.51.100.7 - - [24/Nov/2026:10:05:00 +0000] \"GET /pets/{id} HTTP/1.1\" 404 0 r2 e2
203.0.113.9 - - [24/Nov/2026:11:00:00 +0000] \"POST /pets HTTP/1.1\" 403 0 r3 e3
this line is not an access log line

203.0.113.9 - - [24/Nov/2026:12:30:00 +0100] \"GET /pets HTTP/1.1\" 404 0 r4 e4
";

fn stagelog(args: &[&str], stdin: Option<&str>) -> (String, String, i32) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_stagelog"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    // A run that fails early does not read its input.
    let _ = input.write_all(stdin.unwrap_or("").as_bytes());
    drop(input);
    let out = child.wait_with_output().unwrap();
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
        out.status.code().unwrap_or(-1),
    )
}

fn file(text: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(text.as_bytes()).unwrap();
    f
}

#[test]
fn clf_from_stdin_counted_by_path_and_caller() {
    let (out, err, code) = stagelog(
        &[
            "logs",
            "--log-format",
            "rest-clf",
            "--where",
            "status = 4xx",
            "--count-by",
            "path,ip",
        ],
        Some(CLF),
    );
    assert_eq!(code, 0, "{err}");
    insta::assert_snapshot!("logs_clf_4xx_table", out);
}

#[test]
fn time_ranges_use_the_request_time_with_its_offset() {
    let f = file(CLF);
    let path = f.path().to_str().unwrap();
    // 12:30 +0100 is 11:30 UTC: inside [10:30, 11:45) with the 11:00 request.
    let (out, err, code) = stagelog(
        &[
            "logs",
            path,
            "--log-format",
            "rest-clf",
            "--since",
            "2026-11-24T10:30:00Z",
            "--until",
            "2026-11-24T11:45:00Z",
            "-f",
            "csv",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let ids: Vec<&str> = out
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(9).unwrap())
        .collect();
    assert_eq!(ids, ["r3", "r4"], "{out}");
    assert!(err.contains("5 lines, 1 unparsed"), "{err}");
}

#[test]
fn unparsed_lines_are_shown_with_where_and_why() {
    let f = file(CLF);
    let path = f.path().to_str().unwrap();
    let (_, err, code) = stagelog(
        &[
            "logs",
            path,
            "--log-format",
            "rest-clf",
            "--show-unparsed",
            "--count-by",
            "status",
        ],
        None,
    );
    assert_eq!(code, 0);
    // Line 4, column 11: `this line is not` matched the first three fields, then no ` [`.
    assert!(
        err.contains(&format!(
            "{path}:4:11: no ` [` after identity.user: this line is not an access log line"
        )),
        "{err}"
    );
}

#[test]
fn a_json_log_needs_no_format() {
    let log = "{\"requestId\":\"a\",\"ip\":\"1.2.3.4\",\"status\":\"404\",\"responseLatency\":\"10\"}\n\
               {\"requestId\":\"b\",\"ip\":\"1.2.3.4\",\"status\":\"404\",\"responseLatency\":\"30\"}\n\
               {\"status\":\"200\",\"ip\":\"5.6.7.8\",\"requestId\":\"c\",\"responseLatency\":\"20\"}\n";
    let (out, err, code) = stagelog(
        &[
            "logs",
            "-",
            "--count-by",
            "status",
            "--latency",
            "latency",
            "-f",
            "json",
        ],
        Some(log),
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"lines": 3, "unparsed": 0, "rows": [
            {"status": "404", "count": 2, "p50": 10, "p90": 30, "p99": 30},
            {"status": "200", "count": 1, "p50": 20, "p90": 20, "p99": 20}
        ]})
    );
    // Records, as JSON lines, keyed by the same names.
    let (out, _, _) = stagelog(&["logs", "--where", "ip ~ 5.6", "-f", "json"], Some(log));
    assert_eq!(
        out.trim(),
        r#"{"requestId":"c","ip":"5.6.7.8","status":"200","responseLatency":"20"}"#
    );
}

#[test]
fn errors_are_clear_and_exit_2() {
    for (args, want) in [
        (
            vec!["logs", "--where", "status >= 400"],
            "format is not known",
        ),
        (
            vec!["logs", "--log-format", "rest-clf", "--count-by", "colour"],
            "no field `colour`",
        ),
        (
            vec!["logs", "--log-format", "rest-clf", "--where", "status"],
            "expected FIELD OP VALUE",
        ),
        (
            vec!["logs", "--log-format", "no variables"],
            "no $context variables",
        ),
        (
            vec![
                "logs",
                "/nonexistent/access.log",
                "--log-format",
                "rest-clf",
            ],
            "/nonexistent/access.log",
        ),
        (
            vec!["logs", "--log-format", "rest-clf", "--since", "yesterday"],
            "--since `yesterday`",
        ),
        (
            vec!["logs", "--insights", "--log-format", "rest-clf"],
            "--stage ARN or --log-group",
        ),
    ] {
        let (_, err, code) = stagelog(&args, Some("x\n"));
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
}

#[test]
fn logs_guides_to_the_right_format_and_refuses_what_cannot_answer() {
    // The presets, listed.
    let (out, _, code) = stagelog(&["logs", "--log-format", "help"], None);
    assert_eq!(code, 0);
    for name in ["rest-clf", "rest-json", "http-json", "websocket-csv"] {
        assert!(out.contains(&format!("  {name} ")), "{out}");
    }
    // A misspelt preset: the nearest name, and the list.
    let (_, err, code) = stagelog(&["logs", "--log-format", "rest-jsn"], Some(CLF));
    assert_eq!(code, 2);
    assert!(err.contains("Did you mean `rest-json`?"), "{err}");
    assert!(err.contains("http-clf"), "{err}");
    // --top needs groups to rank.
    let (_, err, code) = stagelog(
        &["logs", "--log-format", "rest-clf", "--top", "5"],
        Some(CLF),
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("--top N keeps the N largest groups: give --count-by"),
        "{err}"
    );
    // A format that matches no line is an error with the first line's reason, not an empty
    // table with exit 0.
    let (out, err, code) = stagelog(
        &["logs", "--log-format", "http-json", "--count-by", "status"],
        Some(CLF),
    );
    assert_eq!(code, 2, "{out}");
    assert!(
        err.contains("none of the 5 lines matches the format; the first (stdin:1, column 1): does not start with `{ \"requestId\":\"`"),
        "{err}"
    );
    // Some lines parse: the rest are counted, and the exit code is 0.
    let (_, err, code) = stagelog(
        &["logs", "--log-format", "rest-clf", "--count-by", "status"],
        Some(CLF),
    );
    assert_eq!(code, 0, "{err}");
}

/// A CloudWatch Logs export to S3 as it lands: gzip, each event after its timestamp, clients
/// over IPv6 and IPv4 (some IPv4-mapped, as dual-stack endpoints log them).
fn exported_gzip() -> Vec<u8> {
    use flate2::{write::GzEncoder, Compression};
    let events = [
        ("2001:db8::1", "GET /orders", 200),
        ("2001:db8:0:0:0:0:0:2", "POST /orders", 403),
        ("203.0.113.9", "GET /orders", 500),
        ("::ffff:203.0.113.10", "GET /users", 404),
        ("2001:db8::1", "GET /users", 404),
    ];
    // Two gzip members, as two export chunks concatenated with `cat` are.
    let mut out = Vec::new();
    for half in events.chunks(3) {
        let mut gz = GzEncoder::new(Vec::new(), Compression::default());
        for (i, (ip, request, status)) in half.iter().enumerate() {
            writeln!(
                gz,
                "2026-12-06T10:00:0{i}.000Z {ip} - - [06/Dec/2026:10:00:0{i} +0000] \"{request} HTTP/1.1\" {status} 15 id{i}"
            )
            .unwrap();
        }
        out.extend(gz.finish().unwrap());
    }
    out
}

#[test]
fn gzip_exports_and_ipv6_clients_are_read_as_they_are() {
    let mut f = tempfile::Builder::new().suffix(".gz").tempfile().unwrap();
    f.write_all(&exported_gzip()).unwrap();
    let path = f.path().to_str().unwrap();
    let (out, err, code) = stagelog(
        &[
            "logs",
            path,
            "--log-format",
            "http-clf",
            "--where",
            "ip = 2001:db8::/32",
            "--count-by",
            "status",
            "-f",
            "json",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["lines"], 5, "{out}");
    assert_eq!(v["unparsed"], 0, "{out}");
    let rows = v["rows"].as_array().unwrap();
    let total: u64 = rows.iter().map(|r| r["count"].as_u64().unwrap()).sum();
    assert_eq!(total, 3, "{out}");
    // IPv4 clients, mapped or not, by network; from standard input too.
    let mut child = Command::new(env!("CARGO_BIN_EXE_stagelog"))
        .args([
            "logs",
            "--log-format",
            "http-clf",
            "--where",
            "ip = 203.0.113.0/24",
            "-f",
            "csv",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&exported_gzip())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let csv = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ips: Vec<&str> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(ips, ["203.0.113.9", "::ffff:203.0.113.10"], "{csv}");
}

#[test]
fn a_where_the_grammar_cannot_mean_is_a_usage_error_not_zero_rows() {
    for (filter, says) in [
        ("status => 400", "did you mean `>=`"),
        ("status >= 5xx", "status >= 500"),
        (
            "status = 4xx AND ip = 2001:db8::1",
            "--where 'status = 4xx' --where 'ip = 2001:db8::1'",
        ),
    ] {
        let (out, err, code) = stagelog(
            &["logs", "--log-format", "rest-clf", "--where", filter],
            Some(CLF),
        );
        assert_eq!(code, 2, "{filter}: {out}{err}");
        assert!(out.is_empty(), "{filter}: {out}");
        assert!(err.contains(says), "{filter}: {err}");
    }
}

/// An endpoint that accepts connections and closes them at once: every request to it fails
/// as an unreachable endpoint does, and the connections it counts are the attempts made.
fn closing_endpoint() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = std::sync::Arc::new(AtomicUsize::new(0));
    let count = seen.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            count.fetch_add(1, Ordering::SeqCst);
            drop(conn);
        }
    });
    (url, seen)
}

#[test]
fn an_unreachable_endpoint_fails_after_two_attempts_as_audit_does() {
    use std::sync::atomic::Ordering;
    for args in [
        vec![
            "--log-group",
            "/aws/apigateway/orders",
            "--log-format",
            "http-clf",
        ],
        vec![
            "--stage",
            "arn:aws:apigateway:eu-west-1::/restapis/a1b2c3/stages/prod",
        ],
        vec![
            "--log-group",
            "/aws/apigateway/orders",
            "--log-format",
            "http-clf",
            "--insights",
        ],
    ] {
        let (url, attempts) = closing_endpoint();
        let out = Command::new(env!("CARGO_BIN_EXE_stagelog"))
            .arg("logs")
            .args(&args)
            .args(["--endpoint-url", &url, "--region", "eu-west-1"])
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env_remove("AWS_PROFILE")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        // Ten attempts with backoff (14 s) before; two now, as audit's first call.
        assert_eq!(attempts.load(Ordering::SeqCst), 2, "{args:?}: {err}");
    }
}

//! Writes a synthetic API Gateway access log for benchmarks: `gen_access_log FORMAT MB`
//! (FORMAT is a console preset such as `http-json` or `rest-clf`, or a format string) to
//! standard output. Values
//! are deterministic (a fixed linear congruential sequence): 1 in 8 requests is a 4XX.
use stagelog_accesslog::{presets::preset, Format};
use std::io::Write;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (name, mb) = match args.as_slice() {
        [_, f, mb] => (f.as_str(), mb.parse::<u64>().expect("MB is a number")),
        _ => {
            eprintln!("usage: gen_access_log PRESET MB");
            std::process::exit(2);
        }
    };
    let format = Format::compile(preset(name).unwrap_or(name)).expect("a preset or a format");
    let routes = [
        "GET /pets",
        "POST /pets",
        "GET /pets/{id}",
        "DELETE /pets/{id}",
        "GET /orders",
        "PUT /orders/{id}",
    ];
    let paths = ["/pets", "/pets/{id}", "/orders", "/orders/{id}", "/health"];
    let statuses = [
        "200", "200", "201", "200", "404", "200", "204", "500", "200", "403", "200", "200", "200",
        "200", "429", "200",
    ];
    let methods = ["GET", "POST", "PUT", "DELETE"];
    let out = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 20, out.lock());
    let limit = mb << 20;
    let mut written = 0u64;
    let mut x: u64 = 0x2545F4914F6CDD1D;
    let mut i = 0u64;
    while written < limit {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let r = (x >> 33) as usize;
        let ip = format!("198.51.{}.{}", r % 7, (r >> 3) % 250);
        let id = format!(
            "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
            i,
            r % 65536,
            r % 4096,
            (r >> 7) % 4096,
            x >> 16
        );
        let latency = (r % 997 + 3).to_string();
        let length = (r % 5000).to_string();
        let time = format!(
            "24/Nov/2026:{:02}:{:02}:{:02} +0000",
            (i / 3600) % 24,
            (i / 60) % 60,
            i % 60
        );
        let values: Vec<String> = format
            .fields
            .iter()
            .map(|f| match f.var.as_str() {
                "requestId" => id.clone(),
                "extendedRequestId" => format!("Ab{}=", r % 100_000),
                "identity.sourceIp" => ip.clone(),
                "identity.caller" | "identity.user" => "-".into(),
                "requestTime" => time.clone(),
                "httpMethod" => methods[r % 4].into(),
                "resourcePath" => paths[r % 5].into(),
                "routeKey" => routes[(r >> 5) % 6].into(),
                "status" => statuses[(r >> 9) % 16].into(),
                "protocol" => "HTTP/1.1".into(),
                "responseLength" => length.clone(),
                "responseLatency" | "integrationLatency" => latency.clone(),
                "eventType" => "MESSAGE".into(),
                "connectionId" => format!("c{}=", r % 9999),
                _ => "-".into(),
            })
            .collect();
        let refs: Vec<&str> = values.iter().map(String::as_str).collect();
        let line = format.render(&refs);
        out.write_all(line.as_bytes()).unwrap();
        out.write_all(b"\n").unwrap();
        written += line.len() as u64 + 1;
        i += 1;
    }
    out.flush().unwrap();
}

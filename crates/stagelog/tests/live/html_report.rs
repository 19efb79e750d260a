//! The HTML report of `examples/` opened in headless Chromium (Debian `chromium`, which
//! scripts/test installs): the findings table shows, and `#severity=high` filters it.
use crate::examples::{findings, scan};
use std::path::Path;
use std::process::Command;

/// The page as Chromium leaves it after its scripts ran.
pub(crate) fn chromium_dom(url: &str) -> String {
    let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("Debian's chromium (scripts/test installs it: apt-get install chromium)");
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            &format!("--user-data-dir={}", profile.path().display()),
            "--virtual-time-budget=2000",
            "--dump-dom",
            url,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn attr(dom: &str, name: &str) -> String {
    let at = dom
        .find(&format!("{name}=\""))
        .unwrap_or_else(|| panic!("no {name} in the DOM"));
    let rest = &dom[at + name.len() + 2..];
    rest[..rest.find('"').unwrap()].to_string()
}

#[test]
fn html_report_in_headless_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("stagelog.html");
    std::fs::write(&page, scan("html")).unwrap();
    assert!(
        !scan("html").contains("http://") && !scan("html").contains("src="),
        "self-contained"
    );
    let findings = findings();
    let url = format!("file://{}", page.display());

    let dom = chromium_dom(&url);
    assert_eq!(attr(&dom, "data-table-visible"), "true");
    assert_eq!(
        attr(&dom, "data-visible-findings"),
        findings.len().to_string()
    );

    let high = findings.iter().filter(|f| f["severity"] == "high").count();
    assert!(high > 0 && high < findings.len());
    let dom = chromium_dom(&format!("{url}#severity=high"));
    assert_eq!(attr(&dom, "data-visible-findings"), high.to_string());
    // Rows of other severities are hidden; high rows are not.
    let rows: Vec<&str> = dom.split("<tr class=\"finding\"").skip(1).collect();
    assert_eq!(rows.len(), findings.len());
    for row in rows {
        let head = &row[..row.find('>').unwrap()];
        assert_eq!(
            head.contains("hidden"),
            !head.contains("data-severity=\"high\""),
            "{head}"
        );
    }
}

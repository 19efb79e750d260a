//! The rule tables of the README and the docs, generated from the registry (a test in the
//! command line's crate fails when a document's table differs, and `STAGELOG_BLESS=1` rewrites
//! it; `stagelog rules --format markdown` prints the first).

use crate::registry;

/// A Markdown cell: one line, its pipes escaped.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// Every rule: id, name, severity, what fails (README.md, `stagelog rules --format markdown`).
pub fn rules_markdown() -> String {
    let mut out = String::from("| id | name | severity | fails when |\n|---|---|---|---|\n");
    for r in registry() {
        let live = if r.live_only { "(live) " } else { "" };
        out.push_str(&format!(
            "| {} | {} | {} | {live}{} |\n",
            r.id,
            r.name,
            r.severity.as_str(),
            cell(r.summary)
        ));
    }
    out
}

/// Every rule and what `stagelog fix` writes for it in Terraform (docs/fix.md).
pub fn fixes_markdown() -> String {
    let mut out = String::from("| rule | what `fix` writes |\n|---|---|\n");
    for r in registry() {
        out.push_str(&format!("| {} {} | {} |\n", r.id, r.name, cell(r.fixes)));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_row_per_rule_in_each_table() {
        let n = crate::registry().len();
        assert_eq!(super::rules_markdown().lines().count(), n + 2);
        assert_eq!(super::fixes_markdown().lines().count(), n + 2);
        assert!(super::rules_markdown().contains("| SL001 | rest-access-logging | high |"));
    }
}

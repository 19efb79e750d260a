//! The rule tables in README.md and docs/fix.md are generated from the rule registry: each sits
//! between two markers, and this test fails when one differs from what the registry gives.
//! `STAGELOG_BLESS=1 cargo test -p stagelog --test offline docs_tables` rewrites them.
use crate::examples::root;

/// (file, table name, what the registry gives)
fn tables() -> Vec<(&'static str, &'static str, String)> {
    vec![
        (
            "README.md",
            "rules",
            stagelog_rules::tables::rules_markdown(),
        ),
        (
            "docs/fix.md",
            "fixes",
            stagelog_rules::tables::fixes_markdown(),
        ),
    ]
}

fn markers(name: &str) -> (String, String) {
    (
        format!("<!-- {name} table: generated from the rule registry -->\n"),
        format!("<!-- end of {name} table -->"),
    )
}

#[test]
fn rule_tables_are_the_registrys() {
    let bless = std::env::var_os("STAGELOG_BLESS").is_some_and(|v| v == "1");
    for (file, name, generated) in tables() {
        let path = root().join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        let (begin, end) = markers(name);
        let start = text
            .find(&begin)
            .unwrap_or_else(|| panic!("{file}: no `{begin}`"))
            + begin.len();
        let stop = start
            + text[start..]
                .find(&end)
                .unwrap_or_else(|| panic!("{file}: no `{end}`"));
        if text[start..stop] == generated {
            continue;
        }
        if bless {
            std::fs::write(
                &path,
                format!("{}{generated}{}", &text[..start], &text[stop..]),
            )
            .unwrap();
        } else {
            panic!(
                "{file}: the {name} table differs from the rule registry; \
                 run `STAGELOG_BLESS=1 cargo test -p stagelog --test offline docs_tables`\n\
                 --- in the file:\n{}--- from the registry:\n{generated}",
                &text[start..stop]
            );
        }
    }
}

/// `stagelog rules --format markdown` prints the README's table.
#[test]
fn rules_as_markdown_is_the_readmes_table() {
    let o = crate::examples::stagelog(&["rules", "--format", "markdown"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(o.stdout).unwrap(),
        stagelog_rules::tables::rules_markdown()
    );
}

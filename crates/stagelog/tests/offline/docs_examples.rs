//! The README's and docs/' command examples, run as written (the file-only ones here; the AWS
//! ones run in the live tests against the test server), and the user-facing text free of the
//! project's own history and of placeholders in snippets meant to be copied.
use crate::docs::{examples, run_example, sandbox};
use crate::examples::root;

#[test]
fn every_file_only_example_runs_as_written() {
    let all = examples(&root());
    let offline: Vec<_> = all.iter().filter(|e| !e.is_live()).collect();
    assert!(offline.len() >= 12, "found {} examples", offline.len());
    assert!(
        all.iter().any(|e| e.is_live()),
        "the AWS examples run in the live tests"
    );
    let dir = sandbox();
    for e in offline {
        let out = run_example(dir.path(), &e.command, &[]);
        // 0: nothing at --fail-on; 1: findings (or changes to make). 2 would be an error.
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{}: `{}` exited {:?}\n{}",
            e.file,
            e.command,
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
        // It answered: on standard output, in the file `-o` names, or in `--output-dir`.
        let words: Vec<&str> = e.command.split_whitespace().collect();
        if let Some(i) = words.iter().position(|w| *w == "--output-dir") {
            let dir = dir.path().join(words[i + 1]);
            assert!(
                std::fs::read_dir(&dir).is_ok_and(|mut d| d.next().is_some()),
                "{}: `{}` wrote nothing into {}",
                e.file,
                e.command,
                dir.display()
            );
            continue;
        }
        match words.iter().position(|w| *w == "-o" || *w == "--output") {
            Some(i) => {
                let file = dir.path().join(words[i + 1]);
                assert!(
                    std::fs::metadata(&file).is_ok_and(|m| m.len() > 0),
                    "{}: `{}` wrote no {}",
                    e.file,
                    e.command,
                    file.display()
                );
            }
            None => assert!(
                !out.stdout.is_empty(),
                "{}: `{}` printed nothing",
                e.file,
                e.command
            ),
        }
    }
}

#[test]
fn user_facing_text_has_no_project_history_and_no_placeholders() {
    let mut texts = vec![
        "README.md".to_string(),
        "action.yml".to_string(),
        ".pre-commit-hooks.yaml".to_string(),
        "CONTRIBUTING.md".to_string(),
    ];
    for e in std::fs::read_dir(root().join("docs")).unwrap() {
        texts.push(format!("docs/{}", e.unwrap().file_name().to_string_lossy()));
    }
    let help = [
        vec!["--help"],
        vec!["logs", "--help"],
        vec!["scan", "--help"],
        vec!["cost", "--help"],
        vec!["audit", "--help"],
    ];
    let mut corpus: Vec<(String, String)> = texts
        .iter()
        .map(|f| (f.clone(), std::fs::read_to_string(root().join(f)).unwrap()))
        .collect();
    for args in help {
        let out = crate::examples::stagelog(&args);
        corpus.push((
            format!("stagelog {}", args.join(" ")),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        ));
    }
    for (name, text) in &corpus {
        let lower = text.to_lowercase();
        for word in [
            "seed 0",
            "seeds/",
            "seed's",
            "<owner>",
            "<ref>",
            "<this repository>",
            "on this machine",
            "this 2-core",
        ] {
            assert!(!lower.contains(word), "{name} says `{word}`");
        }
    }
    let readme = &corpus[0].1;
    assert!(
        readme.lines().count() < 200,
        "README.md is {} lines",
        readme.lines().count()
    );
}

#[test]
fn docs_summary_lists_every_page_and_every_link_resolves() {
    let docs = root().join("docs");
    let summary = std::fs::read_to_string(docs.join("SUMMARY.md")).unwrap();
    for e in std::fs::read_dir(&docs).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        if name.ends_with(".md") && name != "SUMMARY.md" {
            assert!(
                summary.contains(&format!("({name})")),
                "SUMMARY.md does not list {name}"
            );
        }
    }
    // Relative links of the README and the pages point at files that exist.
    let mut pages = vec![root().join("README.md")];
    pages.extend(std::fs::read_dir(&docs).unwrap().map(|e| e.unwrap().path()));
    for page in pages {
        let text = std::fs::read_to_string(&page).unwrap();
        for link in text.split("](").skip(1) {
            let target = link.split(')').next().unwrap().split('#').next().unwrap();
            if target.is_empty() || target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let at = page.parent().unwrap().join(target);
            assert!(
                at.exists(),
                "{}: link to {target}, which does not exist",
                page.display()
            );
        }
    }
}

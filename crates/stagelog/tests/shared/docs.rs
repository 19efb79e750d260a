//! The command examples of README.md and docs/: each `stagelog …` line of a `sh` block, as a
//! user would copy it. Shared by the offline binary (which runs the file-only ones) and the
//! live binary (which runs the AWS ones against the test server).
#![allow(dead_code)]

use std::path::Path;

/// One example: where it is, and the command line (continuations joined).
pub struct Example {
    pub file: String,
    pub command: String,
}

impl Example {
    /// Whether it talks to AWS (run by the live tests) or reads files only.
    pub fn is_live(&self) -> bool {
        let words: Vec<&str> = self.command.split_whitespace().collect();
        match words.get(1).copied() {
            Some("audit" | "verify" | "cost" | "rollback") => true,
            Some("fix") => words.contains(&"--live"),
            Some("logs") => words.iter().any(|w| *w == "--stage" || *w == "--log-group"),
            _ => false,
        }
    }
}

/// Every `stagelog` command line in the `sh` blocks of README.md and docs/*.md.
pub fn examples(root: &Path) -> Vec<Example> {
    let mut files = vec![root.join("README.md")];
    let mut docs: Vec<_> = std::fs::read_dir(root.join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    let mut out = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.strip_prefix(root).unwrap().display().to_string();
        let mut in_sh = false;
        let mut pending = String::new();
        for line in text.lines() {
            let trimmed = line.trim_start();
            if let Some(lang) = trimmed.strip_prefix("```") {
                in_sh = !in_sh && matches!(lang.trim(), "sh" | "bash" | "console");
                continue;
            }
            if !in_sh {
                continue;
            }
            let joined = format!("{pending}{}", trimmed);
            if let Some(head) = joined.strip_suffix('\\') {
                pending = format!("{head} ");
                continue;
            }
            pending.clear();
            if joined.starts_with("stagelog ") || joined == "stagelog" {
                out.push(Example {
                    file: name.clone(),
                    command: joined,
                });
            }
        }
    }
    out
}

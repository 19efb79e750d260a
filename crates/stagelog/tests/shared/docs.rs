//! The command examples of README.md and docs/: each `stagelog …` line of a `sh` block, as a
//! user would copy it. Shared by the offline binary (which runs the file-only ones) and the
//! live binary (which runs the AWS ones against the test server).
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

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
            Some("audit" | "verify" | "cost" | "drift" | "rollback") => true,
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

/// A directory where the examples' paths exist: `examples/` and `infra/` (the bundled
/// examples), `access.log`, `prod.tfvars`, `params/prod.json`, `prod.tfstate` (a state with
/// nothing in it, as `terraform show -json` shows it).
pub fn sandbox() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for name in ["examples", "infra"] {
        let status = Command::new("cp")
            .args([
                "-r",
                crate::examples::root().join("examples").to_str().unwrap(),
            ])
            .arg(dir.path().join(name))
            .status()
            .unwrap();
        assert!(status.success());
    }
    let mut log = String::new();
    for i in 0..50 {
        let status = ["200", "404", "403", "500"][i % 4];
        let route = ["GET /pets", "POST /pets", "GET /pets/{id}"][i % 3];
        log.push_str(&format!(
            "{{ \"requestId\":\"r{i}\", \"ip\": \"198.51.100.{}\", \"requestTime\":\"24/Nov/2026:10:00:{:02} +0000\", \"httpMethod\":\"GET\",\"routeKey\":\"{route}\", \"status\":\"{status}\",\"protocol\":\"HTTP/1.1\", \"responseLength\":\"12\" }}\n",
            i % 5,
            i % 60
        ));
    }
    std::fs::write(dir.path().join("access.log"), log).unwrap();
    std::fs::write(dir.path().join("prod.tfvars"), "stage_name = \"prod\"\n").unwrap();
    std::fs::write(
        dir.path().join("prod.tfstate"),
        r#"{"format_version":"1.0","terraform_version":"1.9.8"}"#,
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("params")).unwrap();
    std::fs::write(
        dir.path().join("params/prod.json"),
        r#"[{"ParameterKey": "Environment", "ParameterValue": "prod"}]"#,
    )
    .unwrap();
    dir
}

/// Runs one example line with bash in `dir`, the test build of stagelog first on PATH.
pub fn run_example(
    dir: &std::path::Path,
    command: &str,
    env: &[(String, String)],
) -> std::process::Output {
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_stagelog"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Command::new("bash")
        .args(["-c", command])
        .current_dir(dir)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .unwrap()
}

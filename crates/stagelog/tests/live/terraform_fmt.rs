//! What `stagelog fix` writes into Terraform is `terraform fmt`-clean: HashiCorp's own
//! formatter (hclwrite's `Format`, which `terraform fmt` runs, shipped to npm as
//! `@cdktf/hcl-tools`; scripts/test installs it into target/tools) leaves every fixed file as it
//! is, wherever the file was formatted before the fix.
use crate::aws_server::root;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// hclwrite's formatting of each file, in one node run.
pub(crate) fn formatted(files: &[PathBuf]) -> Vec<String> {
    let tools = root().join("target/tools/node_modules/@cdktf/hcl-tools");
    assert!(
        tools.exists(),
        "{} is missing: scripts/test installs it (npm install --prefix target/tools @cdktf/hcl-tools)",
        tools.display()
    );
    let script = format!(
        "const {{ format }} = require({:?}); const fs = require('fs');\
         (async () => {{ const out = []; for (const f of process.argv.slice(1)) \
         out.push(await format(fs.readFileSync(f, 'utf8'))); \
         process.stdout.write(JSON.stringify(out)); }})().catch(e => {{ console.error(e); process.exit(1); }});",
        tools.display().to_string()
    );
    let out = Command::new("node")
        .arg("-e")
        .arg(script)
        .args(files)
        .stderr(Stdio::inherit())
        .output()
        .expect("node (the machine's Node.js)");
    assert!(out.status.success());
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn fixed_terraform_is_terraform_fmt_clean() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for rule in stagelog_rules::registry()
        .iter()
        .filter(|r| r.judges_code())
    {
        let to = dir.path().join(rule.id).join("main.tf");
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(rule.examples_dir().unwrap().join("bad.tf"), &to).unwrap();
        files.push(to);
    }
    for example in ["rest-api", "http-and-websocket"] {
        let to = dir.path().join(example).join("main.tf");
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(
            root()
                .join("examples/terraform")
                .join(example)
                .join("main.tf"),
            &to,
        )
        .unwrap();
        files.push(to);
    }
    // Only files that were formatted before can show what the fix does to formatting.
    let before: Vec<String> = files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    let clean_before: Vec<bool> = formatted(&files)
        .iter()
        .zip(&before)
        .map(|(f, b)| f == b)
        .collect();
    let out = Command::new(env!("CARGO_BIN_EXE_stagelog"))
        .args([
            "fix",
            "--write",
            "--kms-key",
            "arn:aws:kms:eu-west-1:123456789012:key/k",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_ne!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after_fmt = formatted(&files);
    let mut checked = 0;
    for (i, f) in files.iter().enumerate() {
        let after = std::fs::read_to_string(f).unwrap();
        if !clean_before[i] || after == before[i] {
            continue;
        }
        checked += 1;
        assert_eq!(
            after_fmt[i],
            after,
            "{}: terraform fmt would change what fix wrote",
            rel(f, dir.path())
        );
    }
    assert!(checked >= 8, "only {checked} formatted files were fixed");
}

fn rel(f: &Path, base: &Path) -> String {
    f.strip_prefix(base).unwrap_or(f).display().to_string()
}

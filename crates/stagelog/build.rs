//! Records the commit the binary is built from, for `stagelog --version`: `STAGELOG_COMMIT`
//! when the release workflow sets it, else `git rev-parse`, else `unknown` (a source tarball).
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=STAGELOG_COMMIT");
    // The checkout's HEAD and refs: a new commit rebuilds the version text.
    for path in [
        "../../.git/HEAD",
        "../../.git/refs/heads",
        "../../.git/packed-refs",
    ] {
        if std::path::Path::new(path).exists() {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    let commit = std::env::var("STAGELOG_COMMIT")
        .ok()
        .filter(|c| !c.is_empty())
        .or_else(|| {
            let out = Command::new("git")
                .args(["rev-parse", "--short=12", "HEAD"])
                .output()
                .ok()?;
            out.status
                .success()
                .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
                .filter(|c| !c.is_empty())
        })
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=STAGELOG_COMMIT={commit}");
}

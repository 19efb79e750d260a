//! The release artefacts this machine builds (`scripts/package`: the scan-only binary of the
//! host target, statically linked, its SBOM and SHA256SUMS), used as a user without Rust
//! would: the README's install steps as written (from a local copy of the release), the
//! GitHub Action's install step, and the container image built from the Dockerfile's
//! `release` stage and run with podman.
use crate::examples::root;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The artefacts: STAGELOG_DIST (scripts/test builds them), else built here.
fn dist() -> PathBuf {
    static DIST: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIST.get_or_init(|| {
        if let Ok(d) = std::env::var("STAGELOG_DIST") {
            return root().join(d);
        }
        let d = root().join("target/dist");
        let status = Command::new(root().join("scripts/package"))
            .arg(&d)
            .status()
            .expect("runs scripts/package");
        assert!(status.success(), "scripts/package failed");
        d
    })
    .clone()
}

fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

fn host() -> String {
    let out = Command::new("rustc").arg("-vV").output().unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
        .unwrap()
}

/// A copy of the release as GitHub serves it: `ROOT/download/vVERSION/FILE`.
fn releases() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let at = dir.path().join(format!("download/v{}", version()));
    std::fs::create_dir_all(&at).unwrap();
    for e in std::fs::read_dir(dist()).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), at.join(e.file_name())).unwrap();
    }
    dir
}

/// A PATH without Rust: what a user who never installed it has.
const NO_RUST_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

fn bash(script: &str, dir: &Path, env: &[(&str, &str)]) -> std::process::Output {
    Command::new("/bin/bash")
        .args(["-euo", "pipefail", "-c", script])
        .current_dir(dir)
        .env_clear()
        .env("PATH", NO_RUST_PATH)
        .env("HOME", dir)
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

#[test]
fn checksums_and_sbom_describe_what_is_shipped() {
    let dist = dist();
    let check = Command::new("sha256sum")
        .args(["-c", "SHA256SUMS"])
        .current_dir(&dist)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    let sums = std::fs::read_to_string(dist.join("SHA256SUMS")).unwrap();
    let archive = format!("stagelog-scan-{}-{}.tar.gz", version(), host());
    assert!(sums.contains(&archive), "{sums}");
    // The archive holds what its README's first screen uses, and the licence.
    let listing = Command::new("tar")
        .args(["tzf", &archive])
        .current_dir(&dist)
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&listing.stdout);
    let top = format!("stagelog-scan-{}-{}/", version(), host());
    for part in [
        "stagelog",
        "README.md",
        "LICENSE",
        "examples/sam/template.yaml",
        "examples/terraform/rest-api/main.tf",
    ] {
        assert!(
            listing.contains(&format!("{top}{part}")),
            "{part}: {listing}"
        );
    }

    let sbom: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dist.join(format!("stagelog-scan-{}.cdx.json", version())))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(sbom["bomFormat"], "CycloneDX");
    assert_eq!(sbom["metadata"]["component"]["name"], "stagelog-scan");
    assert_eq!(sbom["metadata"]["component"]["version"], version());
    let components = sbom["components"].as_array().unwrap();
    let names: Vec<&str> = components
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    for linked in [
        "hcl-edit",
        "saphyr-parser",
        "clap",
        "serde",
        "mimalloc",
        "stagelog-iac",
    ] {
        assert!(names.contains(&linked), "{linked} not in the SBOM");
    }
    // The scan-only binary has no AWS SDK, and no test-only crate is listed as shipped.
    assert!(!names.iter().any(|n| n.starts_with("aws-")), "{names:?}");
    assert!(!names.contains(&"insta") && !names.contains(&"proptest"));
    // Every crate from the registry carries Cargo.lock's checksum.
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).unwrap();
    for c in components
        .iter()
        .filter(|c| !c["name"].as_str().unwrap().starts_with("stagelog"))
    {
        let hash = c["hashes"][0]["content"]
            .as_str()
            .unwrap_or_else(|| panic!("{c}"));
        assert!(
            lock.contains(&format!("checksum = \"{hash}\"")),
            "{}: {hash} is not Cargo.lock's",
            c["name"]
        );
        assert_eq!(
            c["purl"],
            format!(
                "pkg:cargo/{}@{}",
                c["name"].as_str().unwrap(),
                c["version"].as_str().unwrap()
            )
        );
    }
}

#[test]
fn the_readme_install_steps_give_a_static_binary_that_scans_without_rust() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let install = readme.split("## Install").nth(1).unwrap();
    let snippet = install
        .split("```sh\n")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .unwrap();
    assert!(snippet.contains("curl -fLO"), "{snippet}");
    assert!(
        snippet.starts_with(&format!("version={} ", version())),
        "the README installs the current version: {snippet}"
    );
    let releases = releases();
    // The steps as written, from a local copy of the release, for this machine's target.
    let script = snippet
        .replace(
            "target=x86_64-unknown-linux-musl",
            &format!("target={}", host()),
        )
        .replace(
            "https://github.com/stagelog/stagelog/releases",
            &format!("file://{}", releases.path().display()),
        );
    // An empty directory: what the snippet scans comes from the archive.
    let user = tempfile::tempdir().unwrap();
    let out = bash(&script, user.path(), &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "findings make exit 1: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains(": OK"), "checksum checked: {stdout}");
    assert!(stdout.contains("findings ("), "{stdout}");

    let bin = user
        .path()
        .join(format!("stagelog-scan-{}-{}/stagelog", version(), host()));
    let file = Command::new("file").arg(&bin).output().unwrap();
    let file = String::from_utf8_lossy(&file.stdout);
    assert!(
        file.contains("statically linked") || file.contains("static-pie linked"),
        "{file}"
    );
    let ldd = Command::new("ldd").arg(&bin).output().unwrap();
    let ldd = format!(
        "{}{}",
        String::from_utf8_lossy(&ldd.stdout),
        String::from_utf8_lossy(&ldd.stderr)
    );
    assert!(
        ldd.contains("statically linked") || ldd.contains("not a dynamic executable"),
        "needs no shared library: {ldd}"
    );
    let version = Command::new(&bin).arg("--version").output().unwrap();
    assert!(String::from_utf8_lossy(&version.stdout).contains("AWS commands: not compiled in"));
}

#[test]
fn the_github_action_installs_the_released_binary_by_version() {
    let action = std::fs::read_to_string(root().join("action.yml")).unwrap();
    let action = stagelog_syntax::yaml::load(&action).unwrap().root.unwrap();
    let steps = action.get("runs").unwrap().get("steps").unwrap();
    let install = steps
        .as_seq()
        .unwrap()
        .iter()
        .find(|s| s.get("id").and_then(|i| i.as_str()) == Some("install"))
        .unwrap();
    let script = install.get("run").unwrap().as_str().unwrap().to_string();
    let releases = releases();
    let runner = tempfile::tempdir().unwrap();
    let github_path = runner.path().join("github_path");
    let releases_url = format!("file://{}", releases.path().display());
    let target = host();
    let out = bash(
        &script,
        runner.path(),
        &[
            ("STAGELOG_VERSION", ""),
            ("STAGELOG_ACTION_REF", &format!("v{}", version())),
            ("STAGELOG_RELEASES", &releases_url),
            ("STAGELOG_RUNNER", "Linux/X64"),
            ("STAGELOG_TARGET", &target),
            ("RUNNER_TEMP", runner.path().to_str().unwrap()),
            ("GITHUB_PATH", github_path.to_str().unwrap()),
        ],
    );
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let added = std::fs::read_to_string(&github_path).unwrap();
    let bin = Path::new(added.trim()).join("stagelog");
    let v = Command::new(&bin).arg("--version").output().unwrap();
    assert!(
        String::from_utf8_lossy(&v.stdout).starts_with(&format!("stagelog {}", version())),
        "{}",
        String::from_utf8_lossy(&v.stdout)
    );
}

#[test]
fn the_container_image_runs_stagelog_as_a_non_root_user() {
    let tool = std::env::var("STAGELOG_CONTAINER").unwrap_or_else(|_| "podman".into());
    assert!(
        Command::new(&tool)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success()),
        "{tool} is needed (scripts/test installs podman and runc from Debian's packages)"
    );
    // The Dockerfile's `release` stage, from the static binary and the CA bundle.
    let context = tempfile::tempdir().unwrap();
    let archive = dist().join(format!("stagelog-scan-{}-{}.tar.gz", version(), host()));
    let ok = Command::new("tar")
        .arg("xzf")
        .arg(&archive)
        .arg("-C")
        .arg(context.path())
        .status()
        .unwrap()
        .success();
    assert!(ok);
    std::fs::copy(root().join("Dockerfile"), context.path().join("Dockerfile")).unwrap();
    std::fs::copy(
        "/etc/ssl/certs/ca-certificates.crt",
        context.path().join("ca-certificates.crt"),
    )
    .unwrap();
    let tag = format!("localhost/stagelog-test:{}", std::process::id());
    let binary = format!("stagelog-scan-{}-{}/stagelog", version(), host());
    let build = Command::new(&tool)
        .args(["build", "--target", "release", "--build-arg"])
        .arg(format!("BINARY={binary}"))
        .args(["-t", &tag, "."])
        .current_dir(context.path())
        .output()
        .unwrap();
    assert!(
        build.status.success(),
        "{}",
        String::from_utf8_lossy(&build.stderr)
    );
    let inspect = Command::new(&tool)
        .args([
            "image",
            "inspect",
            &tag,
            "--format",
            "{{.Config.User}} {{.Config.Entrypoint}}",
        ])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&inspect.stdout).trim(),
        "65532:65532 [/usr/local/bin/stagelog]"
    );
    // This sandbox refuses crun's default resource limits: runc, with limits it allows.
    let run = Command::new(&tool)
        .args(["--runtime", "runc", "run", "--rm", "--network=none"])
        .args([
            "--ulimit",
            "nofile=1024:1024",
            "--ulimit",
            "nproc=1024:1024",
        ])
        .arg("-v")
        .arg(format!("{}:/work:ro", root().join("examples").display()))
        .args([&tag, "scan", "/work"])
        .output()
        .unwrap();
    let _ = Command::new(&tool).args(["rmi", "-f", &tag]).output();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(
        run.status.code(),
        Some(1),
        "{stdout}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(stdout.contains("findings ("), "{stdout}");
}

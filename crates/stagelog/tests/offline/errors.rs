//! One error shape for every command (`stagelog: error: <account>/<region>: …`, or the
//! message alone where nothing narrower applies), a credentials error that says where it
//! looked, no totals when nothing was read, a man page header of one line, and `--help`
//! listing only the flags a command uses.

use std::process::{Command, Output};

/// `stagelog ARGS` with no AWS credentials anywhere and instance metadata off, in an empty
/// directory: nothing is reached (the SDK finds no credentials before any request).
fn without_credentials(args: &[&str]) -> Output {
    let home = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_stagelog"))
        .args(args)
        .current_dir(home.path())
        .env_clear()
        .env("HOME", home.path())
        .env("PATH", "/usr/bin:/bin")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", home.path().join("config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            home.path().join("credentials"),
        )
        .output()
        .unwrap()
}

fn all(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn no_credentials_is_said_as_where_it_looked_in_every_live_command() {
    for args in [
        &["audit", "--region", "eu-west-1"][..],
        &["fix", "--live", "--region", "eu-west-1"][..],
        &["cost", "--region", "eu-west-1"][..],
    ] {
        let o = without_credentials(args);
        let text = all(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {text}");
        assert!(
            text.contains("no AWS credentials found: looked in the environment"),
            "{args:?}: {text}"
        );
        for internal in ["IMDS", "dispatch failure", "- -:", "stagelog: stagelog"] {
            assert!(!text.contains(internal), "{args:?}: {internal}: {text}");
        }
        // Nothing was read: no totals, no zero bill.
        assert!(!text.contains("total: $0.00"), "{args:?}: {text}");
    }
    let fix = all(&without_credentials(&[
        "fix",
        "--live",
        "--region",
        "eu-west-1",
    ]));
    assert!(
        fix.contains("stagelog: error: no AWS credentials found"),
        "{fix}"
    );
}

#[test]
fn man_header_and_help_say_only_what_applies() {
    let o = Command::new(env!("CARGO_BIN_EXE_stagelog"))
        .arg("man")
        .output()
        .unwrap();
    let man = String::from_utf8_lossy(&o.stdout);
    let th = man.lines().find(|l| l.starts_with(".TH")).unwrap();
    assert!(
        th.ends_with(&format!("\"stagelog {}\" ", env!("CARGO_PKG_VERSION")))
            || th.ends_with(&format!("\"stagelog {}\"", env!("CARGO_PKG_VERSION"))),
        "{th}"
    );
    let o = Command::new(env!("CARGO_BIN_EXE_stagelog"))
        .args(["rollback", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&o.stdout);
    for unused in ["--all-regions", "--org-role", "--concurrency", "--accounts"] {
        assert!(!help.contains(unused), "{unused}: {help}");
    }
    for used in [
        "--delete-created",
        "--profile",
        "--role-arn",
        "--endpoint-url",
    ] {
        assert!(help.contains(used), "{used}: {help}");
    }
}

/// Each finding's fix hint names the finding's own problem: on every rule's bad example in
/// every source format, the hint mentions what the rule is about.
#[test]
fn every_fix_hint_names_the_findings_own_problem() {
    let about: &[(&str, &[&str])] = &[
        ("SL001", &["access"]),
        ("SL002", &["access"]),
        ("SL003", &["destination"]),
        ("SL004", &["variable"]),
        ("SL005", &["field"]),
        ("SL006", &["destination", "log group"]),
        ("SL010", &["level", "executionlogging"]),
        ("SL011", &["data"]),
        ("SL020", &["retention"]),
        ("SL021", &["kms"]),
        ("SL030", &["role"]),
        ("SL031", &["role"]),
        ("SL032", &["role"]),
        ("SL090", &["reason"]),
    ];
    let mut checked = 0;
    let mut wrong = vec![];
    for rule in stagelog_rules::registry()
        .iter()
        .filter(|r| r.judges_code())
    {
        let words = about
            .iter()
            .find(|(id, _)| *id == rule.id)
            .unwrap_or_else(|| panic!("{}: say what its hints must mention", rule.id))
            .1;
        for (example, name) in [
            ("bad.tf", "main.tf"),
            ("bad.yaml", "template.yaml"),
            ("bad.sam.yaml", "template.yaml"),
            ("bad.serverless.yml", "serverless.yml"),
        ] {
            let dir = tempfile::tempdir().unwrap();
            std::fs::copy(
                rule.examples_dir().unwrap().join(example),
                dir.path().join(name),
            )
            .unwrap();
            let (_, report) = crate::common::scan_json(
                dir.path(),
                &[".", "--select", rule.id, "--fail-on", "none"],
            );
            for f in report["findings"].as_array().unwrap() {
                let hint = f["fix"].as_str().unwrap().to_ascii_lowercase();
                if !words.iter().any(|w| hint.contains(w)) {
                    wrong.push(format!(
                        "{} {example}: the hint does not say {words:?}: {hint}\n  ({})",
                        rule.id, f["message"]
                    ));
                }
                checked += 1;
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(checked >= 40, "only {checked} hints");
}

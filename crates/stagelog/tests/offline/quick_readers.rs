//! The quick HCL reader changes nothing a user sees: every fixture of the project scanned with
//! it and with `STAGELOG_QUICK_READERS=0` (every file to hcl-edit) gives byte-identical JSON
//! reports and `fix` diffs.
use crate::examples::root;
use std::process::Command;

fn run(args: &[&str], quick: bool) -> (Option<i32>, Vec<u8>, Vec<u8>) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_stagelog"));
    cmd.args(args).current_dir(root());
    if !quick {
        cmd.env("STAGELOG_QUICK_READERS", "0");
    } else {
        cmd.env_remove("STAGELOG_QUICK_READERS");
    }
    let o = cmd.output().expect("runs stagelog");
    (o.status.code(), o.stdout, o.stderr)
}

#[test]
fn reports_are_byte_identical_with_and_without_the_quick_reader() {
    let rules = root().join("crates/stagelog-rules/src/rules");
    let mut trees = vec![
        "examples".to_string(),
        "crates/stagelog/tests/offline/fixtures".to_string(),
    ];
    // Each rule's examples, one file at a time (a folder of them would be one module).
    for rule in std::fs::read_dir(&rules).unwrap().flatten() {
        for example in std::fs::read_dir(rule.path().join("examples"))
            .into_iter()
            .flatten()
            .flatten()
        {
            trees.push(
                example
                    .path()
                    .strip_prefix(root())
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
            );
        }
    }
    assert!(trees.len() > 60, "{} inputs", trees.len());
    let mut hcl = 0;
    for tree in &trees {
        hcl += usize::from(tree.ends_with(".tf") || !tree.contains('.'));
        for args in [
            vec![
                "scan",
                tree.as_str(),
                "--format",
                "json",
                "--fail-on",
                "none",
            ],
            vec!["fix", tree.as_str()],
        ] {
            let quick = run(&args, true);
            let parser = run(&args, false);
            assert_eq!(
                quick,
                parser,
                "`stagelog {}` differs with STAGELOG_QUICK_READERS=0",
                args.join(" ")
            );
        }
    }
    assert!(hcl > 15, "{hcl} inputs with Terraform");
}

/// The switch really switches: `-v` says which reader read the Terraform.
#[test]
fn the_switch_sends_every_file_to_hcl_edit() {
    let said = |quick: bool| {
        let (_, _, stderr) = run(&["scan", "examples", "-v", "--fail-on", "none"], quick);
        let stderr = String::from_utf8(stderr).unwrap();
        stderr
            .lines()
            .find(|l| l.starts_with("HCL: "))
            .map(str::to_string)
            .unwrap_or_else(|| panic!("no HCL line in:\n{stderr}"))
    };
    let on = said(true);
    assert!(
        on.starts_with("HCL: ") && !on.starts_with("HCL: 0 texts"),
        "{on}"
    );
    assert!(
        said(false).starts_with("HCL: 0 texts read by the quick reader"),
        "{}",
        said(false)
    );
}

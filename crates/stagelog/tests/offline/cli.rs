//! The command line on `examples/`: snapshots of what users see, exit codes, and formats.
use std::path::Path;
use std::process::{Command, Output};

use crate::examples::{root, stagelog};

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

#[test]
fn scan_examples_text() {
    let o = stagelog(&["scan", "examples"]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let text = stdout(&o);
    assert!(!text.contains('\x1b'), "no colour when not a terminal");
    insta::assert_snapshot!("scan_examples_text", text);
}

#[test]
fn scan_examples_json_follows_the_contract_and_is_deterministic() {
    let a = stagelog(&["scan", "examples", "--format", "json"]);
    let b = stagelog(&["scan", "examples", "--format", "json"]);
    assert_eq!(a.stdout, b.stdout, "same input, same bytes");
    let v: serde_json::Value = serde_json::from_slice(&a.stdout).unwrap();
    assert_eq!(v["version"], 1);
    let f = &v["findings"][0];
    for key in [
        "rule_id", "severity", "file", "line", "resource", "stage", "api_kind", "message", "fix",
    ] {
        assert!(f.get(key).is_some(), "finding lacks {key}: {f}");
    }
    let n = v["findings"].as_array().unwrap().len() as u64;
    let s = &v["summary"]["findings"];
    assert_eq!(
        s["high"].as_u64().unwrap()
            + s["medium"].as_u64().unwrap()
            + s["low"].as_u64().unwrap()
            + s["info"].as_u64().unwrap(),
        n
    );
    insta::assert_snapshot!("scan_examples_json", stdout(&a));
}

#[test]
fn sarif_is_valid_sarif_with_rules_and_regions() {
    let o = stagelog(&["scan", "examples", "--format", "sarif"]);
    let log: serde_sarif::sarif::Sarif =
        serde_json::from_slice(&o.stdout).expect("parses as SARIF");
    let run = &log.runs[0];
    let rules = run.tool.driver.rules.as_ref().unwrap();
    assert_eq!(rules.len(), stagelog_rules::registry().len());
    let results = run.results.as_ref().unwrap();
    let json: serde_json::Value =
        serde_json::from_slice(&stagelog(&["scan", "examples", "--format", "json"]).stdout)
            .unwrap();
    assert_eq!(results.len(), json["findings"].as_array().unwrap().len());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let loc = &v["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
    assert!(loc["artifactLocation"]["uri"]
        .as_str()
        .unwrap()
        .starts_with("examples/"));
    assert!(loc["region"]["startLine"].as_u64().unwrap() >= 1);
}

#[test]
fn exit_codes_follow_fail_on_and_errors() {
    assert_eq!(
        stagelog(&["scan", "examples", "--fail-on", "none"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        stagelog(&["scan", "examples", "--fail-on", "high"])
            .status
            .code(),
        Some(1)
    );
    let clean = stagelog(&[
        "scan",
        "crates/stagelog-rules/src/rules/sl001/examples/good.tf",
        "--select",
        "SL001",
    ]);
    assert_eq!(clean.status.code(), Some(0), "{}", stdout(&clean));
    let dir = tempfile::tempdir().unwrap();
    // Broken, and about a stage: an error (a broken file about nothing stagelog judges is not).
    std::fs::write(
        dir.path().join("bad.tf"),
        "resource \"aws_api_gateway_stage\" \"x\" {\n",
    )
    .unwrap();
    let bad = stagelog(&[
        "scan",
        dir.path().to_str().unwrap(),
        "examples",
        "--fail-on",
        "none",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stdout(&bad).contains("cannot parse HCL"));
    assert!(
        stdout(&bad).contains("SL001"),
        "findings for the rest are still printed"
    );
    let usage = stagelog(&["scan", "--select", "SL999"]);
    assert_eq!(usage.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&usage.stderr).contains("unknown rule id"));
}

#[test]
fn select_and_ignore() {
    let o = stagelog(&[
        "scan", "examples", "--format", "json", "--select", "SL00", "--ignore", "SL005",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let ids: std::collections::BTreeSet<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids.into_iter().collect::<Vec<_>>(),
        ["SL001", "SL002", "SL003", "SL004"]
    );
}

#[test]
fn output_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.json");
    let o = stagelog(&[
        "scan",
        "examples",
        "-f",
        "json",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.stdout.is_empty());
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap();
    assert_eq!(v["version"], 1);
}

#[test]
fn rules_and_explain() {
    // The listing: a header, then each rule of the registry in order, with its name, severity
    // and what fails.
    let listing = stdout(&stagelog(&["rules"]));
    let mut lines = listing.lines();
    assert_eq!(
        lines
            .next()
            .map(|l| l.split_whitespace().collect::<Vec<_>>()),
        Some(vec!["ID", "NAME", "SEVERITY", "FAILS", "WHEN"])
    );
    for rule in stagelog_rules::registry() {
        let line = lines.next().unwrap_or_default();
        let fields: Vec<&str> = line.splitn(4, "  ").map(str::trim).collect();
        let shown: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(
            shown[..3],
            [rule.id, rule.name, rule.severity.as_str()],
            "{line}"
        );
        assert!(
            line.trim_end().ends_with(rule.summary),
            "{line} / {fields:?}"
        );
    }
    assert!(listing.contains("stagelog explain ID"), "{listing}");
    for rule in stagelog_rules::registry() {
        let o = stagelog(&["explain", &rule.id.to_lowercase()]);
        assert_eq!(o.status.code(), Some(0));
        let text = stdout(&o);
        for section in [
            "## Description",
            "## Rationale",
            "## Impact",
            "## Default value",
            "## Remediation",
            "### Terraform",
            "### CloudFormation",
            "### CLI",
            "### Console",
            "## Backout",
            "## References",
            "## Compliance and peer mapping",
        ] {
            assert!(text.contains(section), "{} lacks {section}", rule.id);
        }
    }
    let sl001 = stdout(&stagelog(&["explain", "SL001"]));
    assert!(sl001.contains("## What `stagelog fix` writes"), "{sl001}");
    assert!(sl001.contains("+  access_log_settings {"), "{sl001}");
    let sl003 = stdout(&stagelog(&["explain", "SL003"]));
    // SL003's remedy is a log group of the stage's own: the diff creates it and points there.
    assert!(
        sl003.contains("+resource \"aws_cloudwatch_log_group\"")
            && sl003.contains("destination_arn = aws_cloudwatch_log_group."),
        "{sl003}"
    );
    let sl021 = stdout(&stagelog(&["explain", "SL021"]));
    assert!(sl021.contains("pass --kms-key ARN"), "{sl021}");
    insta::assert_snapshot!("explain_sl001", sl001);
    let o = stagelog(&["explain", "SL999"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no rule `SL999`"));
}

#[test]
fn completions_and_man_page() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let o = stagelog(&["completions", shell]);
        assert_eq!(o.status.code(), Some(0), "{shell}");
        let text = stdout(&o);
        for sub in ["scan", "audit", "verify", "logs", "fix", "explain"] {
            assert!(text.contains(sub), "{shell} completion lacks {sub}");
        }
    }
    let man = stdout(&stagelog(&["man"]));
    assert!(
        man.starts_with(".ie") && man.contains(".TH stagelog 1"),
        "{man}"
    );
    assert!(
        man.contains("verify") && man.contains("\\-\\-quiet"),
        "{man}"
    );
    let dir = tempfile::tempdir().unwrap();
    let o = stagelog(&["man", "--out-dir", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let scan = std::fs::read_to_string(dir.path().join("stagelog-scan.1")).unwrap();
    assert!(scan.contains("\\-\\-compliance"), "{scan}");
}

#[test]
fn quiet_verbose_and_no_color() {
    let quiet = stagelog(&["scan", "examples", "--quiet"]);
    assert!(quiet.stderr.is_empty());
    let verbose = stagelog(&["scan", "examples", "-v"]);
    let err = String::from_utf8_lossy(&verbose.stderr);
    assert!(
        err.contains("read 5 files") && err.contains("policy: none"),
        "{err}"
    );
    // -q prints the findings and errors only: the summary (per rule, totals) is left out.
    let (quiet_out, verbose_out) = (
        String::from_utf8_lossy(&quiet.stdout),
        String::from_utf8_lossy(&verbose.stdout),
    );
    assert!(
        verbose_out.starts_with(quiet_out.as_ref()),
        "the findings are the same"
    );
    assert!(
        !quiet_out.contains("By rule:") && !quiet_out.contains(" findings ("),
        "{quiet_out}"
    );
    assert!(verbose_out.contains("By rule:") && verbose_out.contains(" findings ("));
    // NO_COLOR and --no-color keep escape codes out even where colour would be used.
    let o = Command::new(env!("CARGO_BIN_EXE_stagelog"))
        .args(["scan", "examples"])
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&o.stdout).contains('\x1b'));
}

#[test]
fn pre_commit_hook_and_github_action_run_real_commands() {
    // The hook's entry with the files pre-commit would pass.
    let hooks = std::fs::read_to_string(root().join(".pre-commit-hooks.yaml")).unwrap();
    let hooks = stagelog_syntax::yaml::load(&hooks).unwrap().root.unwrap();
    let hook = &hooks.as_seq().unwrap()[0];
    assert_eq!(hook.get("id").unwrap().as_str(), Some("stagelog-scan"));
    let entry: Vec<&str> = hook
        .get("entry")
        .unwrap()
        .as_str()
        .unwrap()
        .split(' ')
        .collect();
    assert_eq!(entry[0], "stagelog");
    let mut args: Vec<&str> = entry[1..].to_vec();
    args.extend([
        "examples/terraform/rest-api/main.tf",
        "examples/sam/template.yaml",
    ]);
    let o = stagelog(&args);
    assert_eq!(o.status.code(), Some(1), "high findings fail the commit");
    // The action's scan steps, as its shell would run them.
    let action = std::fs::read_to_string(root().join("action.yml")).unwrap();
    let action = stagelog_syntax::yaml::load(&action).unwrap().root.unwrap();
    let steps = action
        .get("runs")
        .unwrap()
        .get("steps")
        .unwrap()
        .as_seq()
        .unwrap();
    let scan = steps
        .iter()
        .find(|s| s.get("id").and_then(|i| i.as_str()) == Some("scan"))
        .unwrap();
    let script = scan.get("run").unwrap().as_str().unwrap();
    let out = tempfile::tempdir().unwrap();
    let summary = out.path().join("summary.md");
    let outputs = out.path().join("outputs");
    let o = Command::new("bash")
        .args(["-euo", "pipefail", "-c", script])
        .current_dir(root())
        .env(
            "PATH",
            format!(
                "{}:{}",
                Path::new(env!("CARGO_BIN_EXE_stagelog"))
                    .parent()
                    .unwrap()
                    .display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .env("RUNNER_TEMP", out.path())
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_OUTPUT", &outputs)
        .env("STAGELOG_PATH", "examples")
        .env("STAGELOG_ARGS", "--ignore SL021")
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("::error file=examples/"));
    assert!(std::fs::read_to_string(&summary)
        .unwrap()
        .contains("| SL001 |"));
    let sarif = out.path().join("stagelog-report/stagelog.sarif");
    let _: serde_sarif::sarif::Sarif =
        serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    assert!(std::fs::read_to_string(&outputs)
        .unwrap()
        .contains("sarif="));
}

/// `cdk init` lists cdk.out in .gitignore; the synthesized templates are still what is judged.
#[test]
fn cdk_apps_are_judged_from_cdk_out_even_when_it_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let stage = |name: &str| {
        format!(
            r#"{{
 "Resources": {{
  "OrdersApiDeploymentStage{name}5C4B2A1E": {{
   "Type": "AWS::ApiGateway::Stage",
   "Properties": {{
    "RestApiId": {{"Ref": "OrdersApi4A1B2C3D"}},
    "DeploymentId": {{"Ref": "OrdersApiDeployment9F8E7D6C"}},
    "StageName": "{name}"
   }},
   "Metadata": {{"aws:cdk:path": "OrdersStack/OrdersApi/DeploymentStage.{name}/Resource"}}
  }}
 }}
}}"#
        )
    };
    crate::common::write(
        dir.path(),
        &[
            ("orders/.gitignore", "*.js\n!jest.config.js\n*.d.ts\nnode_modules\n\n# CDK asset staging directory\n.cdk.staging\ncdk.out\n"),
            ("orders/cdk.json", r#"{"app": "npx ts-node --prefer-ts-exts bin/orders.ts"}"#),
            ("orders/cdk.out/OrdersStack.template.json", &stage("dev")),
            ("orders/cdk.out/assembly-Prod/ProdOrdersStack.template.json", &stage("prod")),
            ("orders/cdk.out/manifest.json", r#"{"version": "36.0.0", "artifacts": {}}"#),
            ("billing/cdk.json", r#"{"app": "python3 app.py"}"#),
        ],
    );
    // `.gitignore` is honoured without a git repository, as by ripgrep with --no-require-git.
    let out = Command::new(env!("CARGO_BIN_EXE_stagelog"))
        .args(["scan", ".", "--format", "json", "--select", "SL001"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let stages = crate::common::rule_and_stage(&v);
    assert_eq!(stages, ["SL001 dev", "SL001 prod"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("billing/cdk.json") && stderr.contains("cdk synth"),
        "{stderr}"
    );
    assert_eq!(stderr.matches("cdk synth").count(), 1, "{stderr}");
}

#[test]
fn version_says_the_commit_and_whether_the_aws_commands_are_in() {
    let o = stagelog(&["--version"]);
    assert_eq!(o.status.code(), Some(0));
    let text = stdout(&o);
    let first = text.lines().next().unwrap();
    let commit = first
        .strip_prefix(&format!("stagelog {} (commit ", env!("CARGO_PKG_VERSION")))
        .and_then(|r| r.strip_suffix(')'))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        commit == "unknown"
            || (commit.len() == 12 && commit.bytes().all(|b| b.is_ascii_hexdigit())),
        "{text}"
    );
    // This test binary is built with the default features, AWS included.
    assert!(
        text.contains("AWS commands (audit, verify, cost, fix --live, rollback, logs from CloudWatch): compiled in"),
        "{text}"
    );
}

/// `explain` takes the ids users bring from other tools and controls: every peer id and
/// control the rules map (Checkov, Trivy/tfsec, KICS, cfn_nag, cdk-nag, Guard, Security Hub,
/// AWS Config) names the rules it maps to, in any case; an id nothing maps to says so.
#[test]
fn explain_takes_every_peer_id_and_control_the_rules_map() {
    let mut checked = 0;
    for m in stagelog_rules::frameworks::mappings() {
        let peer = stagelog_rules::frameworks::PEER_TOOLS.contains(&m.framework)
            || m.framework.contains("Security Hub")
            || m.framework == stagelog_rules::frameworks::CONFIG;
        if !peer {
            continue;
        }
        for (control, _) in m.controls() {
            let o = stagelog(&["explain", &control.to_ascii_lowercase()]);
            let out = String::from_utf8_lossy(&o.stdout);
            assert_eq!(
                o.status.code(),
                Some(0),
                "{control}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            assert!(
                out.contains(&format!("is checked by {} ", m.rule_id)),
                "{control} → {}: {out}",
                m.rule_id
            );
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} ids");
    let o = stagelog(&["explain", "CKV_AWS_999"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no stagelog rule maps to it"));
}

/// Each compliance statement the README opens with links the source the rules cite.
#[test]
fn the_readme_links_each_compliance_statement_to_its_source() {
    use stagelog_rules::frameworks::{source, CIS_AWS, FSBP, PCI, SOC2};
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let opening = &readme[..readme.find("## ").unwrap()];
    for framework in [CIS_AWS, SOC2, PCI, FSBP] {
        let url = source(framework).unwrap();
        assert!(opening.contains(&format!("]({url})")), "{framework}: {url}");
    }
}

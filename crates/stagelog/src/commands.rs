use crate::cli::{Cli, Command, FailOn, Format, ListFormat, ReportArgs, ScanArgs};
use crate::policy::Policy;
use anyhow::{bail, Context, Result};
use rayon::prelude::*;
use stagelog_model::Severity;
use stagelog_report::{Report, ReportError, TextOptions};
use stagelog_rules::{frameworks, registry, Config, Selection};
use std::io::{IsTerminal, Write};

pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_ERROR: u8 = 2;

pub fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Scan(args) => scan(args),
        Command::Audit(args) => crate::audit::run(args),
        Command::Verify(args) => crate::audit::verify(args),
        Command::Logs(args) => crate::logs::run(args),
        Command::Fix(args) if args.live => crate::live_fix::fix(args),
        Command::Fix(args) => crate::fix::run(args),
        Command::Rollback(args) => crate::live_fix::rollback(args),
        Command::Rules { format } => {
            print!("{}", list_rules(format));
            Ok(0)
        }
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "stagelog", &mut std::io::stdout());
            Ok(0)
        }
        Command::Man { out_dir } => man(out_dir),
        Command::Explain { rule } => {
            let Some(r) = stagelog_rules::find(&rule) else {
                let ids: Vec<&str> = registry().iter().map(|r| r.id).collect();
                bail!("no rule `{rule}`; the rules are {}", ids.join(", "));
            };
            print!("{}", explain(r));
            Ok(0)
        }
    }
}

/// Which rules run: --select/--ignore, else stagelog.toml's; narrowed to a framework's rules
/// with --compliance.
pub(crate) fn selection(args: &ReportArgs, policy: &Policy) -> Result<Selection> {
    let mut sel = Selection {
        select: if args.select.is_empty() {
            policy.select.clone()
        } else {
            args.select.clone()
        },
        ignore: args.ignore.iter().chain(&policy.ignore).cloned().collect(),
    };
    let unknown = sel.unknown_ids();
    if !unknown.is_empty() {
        bail!(
            "unknown rule id(s) {} in --select/--ignore or stagelog.toml (see `stagelog rules`)",
            unknown.join(", ")
        );
    }
    if let Some(name) = &args.compliance {
        let (_, rules) = crate::policy::compliance(name)?;
        let chosen: Vec<String> = rules.into_iter().filter(|r| sel.includes(r)).collect();
        if chosen.is_empty() {
            bail!("--compliance {name}: no rule of that framework is selected");
        }
        sel.select = chosen;
    }
    Ok(sel)
}

/// Judges, then applies the policy (severities, suppressions, waivers) and the title.
pub(crate) fn judge_with_policy(
    inventories: &[stagelog_model::Inventory],
    errors: Vec<ReportError>,
    files: usize,
    args: &ReportArgs,
    policy: &Policy,
    min_retention_days: Option<i64>,
) -> Result<Report> {
    let sel = selection(args, policy)?;
    let config = policy.config(min_retention_days);
    let started = std::time::Instant::now();
    let mut report = judge(inventories, errors, files, &config, &sel);
    if crate::ui::verbose() {
        eprintln!(
            "policy: {}",
            policy
                .path
                .as_deref()
                .map_or("none (no stagelog.toml found)".to_string(), |p| p
                    .display()
                    .to_string())
        );
        eprintln!("rules: {}", report.rules.join(", "));
        eprintln!(
            "judged {} stages from {} sources in {:.1} ms",
            report.stages,
            inventories.len(),
            started.elapsed().as_secs_f64() * 1000.0
        );
    }
    if let Some(name) = &args.compliance {
        report.title = Some(crate::policy::compliance(name)?.0);
    }
    crate::policy::apply(&mut report, policy, &crate::policy::today(), &sel);
    Ok(report)
}

fn scan(args: ScanArgs) -> Result<u8> {
    let start = args.paths.first().cloned().unwrap_or_else(|| ".".into());
    let policy = Policy::load(args.report.config.as_deref(), &start)?;
    let started = std::time::Instant::now();
    let scanned = stagelog_iac::scan(&args.paths);
    if crate::ui::verbose() {
        eprintln!(
            "read {} files in {:.1} ms",
            scanned.files,
            started.elapsed().as_secs_f64() * 1000.0
        );
    }
    let errors = scanned
        .errors
        .into_iter()
        .map(|e| ReportError {
            file: Some(e.file),
            line: e.line,
            account: None,
            region: None,
            message: e.message,
        })
        .collect();
    let report = judge_with_policy(
        &scanned.inventories,
        errors,
        scanned.files,
        &args.report,
        &policy,
        args.min_retention_days,
    )?;
    emit(&report, &args.report)?;
    Ok(exit_code(&report, args.report.fail_on))
}

/// Runs the rules over every inventory (in parallel) and builds the sorted report.
pub(crate) fn judge(
    inventories: &[stagelog_model::Inventory],
    errors: Vec<ReportError>,
    files: usize,
    config: &Config,
    sel: &Selection,
) -> Report {
    let findings = inventories
        .par_iter()
        .flat_map_iter(|inv| stagelog_rules::check(inv, config, sel))
        .collect();
    let subjects = inventories
        .iter()
        .flat_map(|inv| &inv.stages)
        .map(|s| stagelog_report::Subject {
            resource: s.location.resource.clone(),
            stage: s.name.to_string(),
            file: s.location.file.clone(),
            line: s.location.line,
            account: s.location.account.clone(),
            region: s.location.region.clone(),
        })
        .collect();
    let mut report = Report {
        findings,
        errors,
        files,
        stages: inventories.iter().map(|i| i.stages.len()).sum(),
        subjects,
        rules: stagelog_rules::registry()
            .iter()
            .filter(|r| sel.includes(r.id))
            .filter(|r| !r.live_only || inventories.iter().any(|i| i.live))
            // SL090 judges suppression marks, not stages: listed only when it finds something.
            .filter(|r| !r.examples_dir.is_empty() || r.live_only)
            .map(|r| r.id)
            .collect(),
        title: None,
        suppressed: vec![],
    };
    report.normalise();
    report
}

pub(crate) fn exit_code(report: &Report, fail_on: FailOn) -> u8 {
    if !report.errors.is_empty() {
        return EXIT_ERROR;
    }
    let threshold = match fail_on {
        FailOn::Info => Severity::Info,
        FailOn::Low => Severity::Low,
        FailOn::Medium => Severity::Medium,
        FailOn::High => Severity::High,
        FailOn::None => return 0,
    };
    match report.worst() {
        Some(w) if w >= threshold => EXIT_FINDINGS,
        _ => 0,
    }
}

pub(crate) fn emit(report: &Report, args: &ReportArgs) -> Result<()> {
    let mut formats = args.format.clone();
    formats.dedup();
    if formats.len() > 1 && args.output_dir.is_none() {
        bail!("several formats need --output-dir DIR (one file each)");
    }
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let color = to_terminal && !args.no_color && std::env::var_os("NO_COLOR").is_none();
    if let Some(dir) = &args.output_dir {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    for format in formats {
        let body = match format {
            Format::Text => stagelog_report::text(report, TextOptions { color }),
            Format::Json => stagelog_report::json(report),
            Format::Sarif => stagelog_report::sarif(report),
            Format::Junit => stagelog_report::junit(report),
            Format::Csv => stagelog_report::csv(report),
            Format::Markdown => stagelog_report::markdown(report),
            Format::Github => stagelog_report::github(report),
            Format::Asff => {
                stagelog_report::asff(report, &stagelog_report::AsffOptions::from_env())
            }
            Format::Html => stagelog_report::html(report),
        };
        let path = match (&args.output_dir, &args.output) {
            (Some(dir), _) => Some(dir.join(format.file_name())),
            (None, Some(file)) => Some(file.clone()),
            (None, None) => None,
        };
        match path {
            Some(path) => std::fs::write(&path, body)
                .with_context(|| format!("cannot write the report to {}", path.display()))?,
            None => {
                let mut out = std::io::stdout().lock();
                // A closed pipe (`| head`) is not an error worth a message.
                if let Err(e) = out.write_all(body.as_bytes()).and_then(|_| out.flush()) {
                    if e.kind() != std::io::ErrorKind::BrokenPipe {
                        return Err(e).context("cannot write the report");
                    }
                }
            }
        }
    }
    Ok(())
}

/// The man page from the clap definitions; with a directory, one page per subcommand too.
fn man(out_dir: Option<std::path::PathBuf>) -> Result<u8> {
    let cmd = <Cli as clap::CommandFactory>::command();
    let render = |c: clap::Command| -> Result<Vec<u8>> {
        let mut buf = Vec::new();
        clap_mangen::Man::new(c).render(&mut buf)?;
        Ok(buf)
    };
    match out_dir {
        None => std::io::stdout().write_all(&render(cmd)?)?,
        Some(dir) => {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
                let name = format!("stagelog-{}", sub.get_name());
                let leaked: &'static str = Box::leak(name.clone().into_boxed_str());
                let page = render(sub.clone().name(leaked))?;
                std::fs::write(dir.join(format!("{name}.1")), page)?;
            }
            std::fs::write(dir.join("stagelog.1"), render(cmd)?)?;
        }
    }
    Ok(0)
}

fn list_rules(format: ListFormat) -> String {
    match format {
        ListFormat::Json => {
            let rules: Vec<_> = registry()
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "id": r.id,
                        "name": r.name,
                        "severity": r.severity,
                        "applies_to": r.applies_to,
                        "summary": r.summary,
                    })
                })
                .collect();
            let mut s = serde_json::to_string_pretty(&rules).expect("serialises");
            s.push('\n');
            s
        }
        ListFormat::Text => {
            let mut out = format!(
                "{:<6}  {:<27}  {:<8}  {}\n",
                "ID", "NAME", "SEVERITY", "FAILS WHEN"
            );
            for r in registry() {
                out.push_str(&format!(
                    "{:<6}  {:<27}  {:<8}  {}\n",
                    r.id,
                    r.name,
                    r.severity.as_str(),
                    r.summary
                ));
            }
            out.push_str(
                "\nRun `stagelog explain ID` for what a rule checks, why, and how to fix it.\n",
            );
            out
        }
    }
}

fn explain(rule: &stagelog_rules::Rule) -> String {
    let mut out = format!(
        "{} {} ({} severity)\nApplies to: {}\nFails when: {}\n",
        rule.id,
        rule.name,
        rule.severity.as_str(),
        rule.applies_to,
        rule.summary
    );
    for s in rule.doc().sections {
        out.push_str(&format!("\n## {}\n{}\n", s.title, s.body));
    }
    out.push_str(&fix_example(rule));
    out.push_str("\n## Compliance and peer mapping\n");
    for m in frameworks::for_rule(rule.id) {
        out.push_str(&format!("- {}: {}\n", m.framework, m.control));
    }
    out
}

/// What `stagelog fix` writes for this rule, shown by fixing the rule's own bad Terraform
/// example with the same code `fix` runs (so `explain` and `fix` cannot disagree).
fn fix_example(rule: &stagelog_rules::Rule) -> String {
    if rule.bad_terraform.is_empty() {
        return String::new();
    }
    let mut out =
        String::from("\n## What `stagelog fix` writes (Terraform, on this rule's bad example)\n");
    let shown = (|| -> Option<String> {
        let dir = tempfile_dir()?;
        let file = dir.join("main.tf");
        std::fs::write(&file, rule.bad_terraform).ok()?;
        let scanned = stagelog_iac::scan(std::slice::from_ref(&file));
        let sel = Selection {
            select: vec![rule.id.to_string()],
            ignore: vec![],
        };
        let findings: Vec<_> = scanned
            .inventories
            .iter()
            .flat_map(|inv| stagelog_rules::check(inv, &Config::default(), &sel))
            .filter(|f| f.severity > Severity::Info)
            .collect();
        let plan = stagelog_iac::fix::plan(&findings, &stagelog_iac::fix::Options::default());
        let _ = std::fs::remove_dir_all(&dir);
        let mut text = String::new();
        for f in &plan.files {
            let diff = similar::TextDiff::from_lines(&f.before, &f.after);
            text.push_str("```diff\n");
            text.push_str(
                &diff
                    .unified_diff()
                    .context_radius(2)
                    .header("main.tf", "main.tf")
                    .to_string(),
            );
            text.push_str("```\n");
        }
        for m in &plan.manual {
            text.push_str(&format!(
                "- {}: not fixed automatically: {}\n",
                m.resource, m.reason
            ));
        }
        Some(text)
    })();
    out.push_str(
        &shown.unwrap_or_else(|| "(could not write a temporary file to show it)\n".into()),
    );
    out
}

fn tempfile_dir() -> Option<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("stagelog-explain-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    Some(dir)
}

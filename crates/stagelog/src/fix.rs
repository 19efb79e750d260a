//! `stagelog fix` for infrastructure-as-code: scan, plan edits, show the diff, write on request.

use crate::cli::{ExecutionLevel, FixArgs};
use crate::commands::EXIT_ERROR;
use anyhow::{bail, Context, Result};
use stagelog_iac::fix::{plan, Options};
use stagelog_rules::{Config, Selection};

pub fn run(args: FixArgs) -> Result<u8> {
    let sel = Selection {
        select: args.select.clone(),
        ignore: args.ignore.clone(),
    };
    let unknown = sel.unknown_ids();
    if !unknown.is_empty() {
        bail!(
            "unknown rule id(s) {} (see `stagelog rules`)",
            unknown.join(", ")
        );
    }
    let config = Config {
        min_retention_days: args.retention_days,
        ..Config::default()
    };
    let scanned = stagelog_iac::scan(&args.paths);
    // Suppressed and waived findings are not fixed.
    let start = args.paths.first().cloned().unwrap_or_else(|| ".".into());
    let policy = crate::policy::Policy::load(None, &start)?;
    let mut report = stagelog_report::Report {
        findings: scanned
            .inventories
            .iter()
            .flat_map(|inv| stagelog_rules::check(inv, &config, &sel))
            .collect(),
        ..Default::default()
    };
    crate::policy::apply(&mut report, &policy, &crate::policy::today(), &sel);
    let findings: Vec<_> = report
        .findings
        .into_iter()
        .filter(|f| f.severity > stagelog_model::Severity::Info)
        .collect();
    let opts = Options {
        retention_days: args.retention_days,
        execution_level: match args.execution_level {
            ExecutionLevel::Error => "ERROR".into(),
            ExecutionLevel::Info => "INFO".into(),
        },
        log_group_template: args
            .log_group_name
            .clone()
            .unwrap_or_else(|| Options::default().log_group_template),
        kms_key: args.kms_key.clone(),
    };
    let fixes = plan(&findings, &opts);
    for f in &fixes.files {
        if args.write {
            std::fs::write(&f.file, &f.after)
                .with_context(|| format!("cannot write {}", f.file))?;
            println!("fixed {}", f.file);
        } else {
            let diff = similar::TextDiff::from_lines(&f.before, &f.after);
            print!(
                "{}",
                diff.unified_diff().context_radius(3).header(
                    &format!("a/{}", f.file.trim_start_matches('/')),
                    &format!("b/{}", f.file.trim_start_matches('/')),
                )
            );
        }
    }
    if !fixes.manual.is_empty() {
        eprintln!("Needs a person ({}):", fixes.manual.len());
        for m in &fixes.manual {
            let place = match (&m.file, m.line) {
                (Some(f), Some(l)) => format!("{f}:{l}"),
                (Some(f), None) => f.clone(),
                _ => m.resource.clone(),
            };
            eprintln!("  {place}  {}  {}: {}", m.rule_id, m.resource, m.reason);
        }
    }
    let errors: Vec<String> = scanned
        .errors
        .iter()
        .chain(&fixes.errors)
        .map(|e| match e.line {
            Some(l) => format!("{}:{l}: {}", e.file, e.message),
            None => format!("{}: {}", e.file, e.message),
        })
        .collect();
    for e in &errors {
        eprintln!("error: {e}");
    }
    Ok(if !errors.is_empty() {
        EXIT_ERROR
    } else if !fixes.files.is_empty() && !args.write {
        1
    } else {
        0
    })
}

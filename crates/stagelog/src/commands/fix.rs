//! `stagelog fix`: the findings `scan` reports under the same policy, fixed in the files
//! (diff, or `--write`). `fix --live` is `fix_live`.

use crate::cli::FixArgs;
use crate::Ui;
use anyhow::{Context, Result};
use stagelog_fix::{plan, Options};
use stagelog_model::Remedy;
use stagelog_pipeline::{to_fix, ExitStatus, Pipeline};

pub fn run(args: FixArgs, ui: Ui) -> Result<ExitStatus> {
    let start = args.paths.first().cloned().unwrap_or_else(|| ".".into());
    let pipeline = Pipeline::load(&super::fix_policy(&args), &start, crate::hints::hint)?;
    let opts = Options {
        log_group_name: crate::inputs::log_group_template(args.log_group_name.as_deref())?,
        kms_key: args.kms_key.clone(),
    };
    let scanned = stagelog_iac::scan_with(
        &args.paths,
        &stagelog_iac::ScanOptions {
            exclude: pipeline.exclude(&args.exclude),
            keep_sources: true,
            terraform: crate::inputs::terraform(&args.terraform)?,
            parameters: crate::inputs::cloudformation(&args.cloudformation)?,
        },
    );
    let judged = std::time::Instant::now();
    let report = pipeline.judge(&scanned.inventories, scanned.errors.clone(), scanned.files);
    if ui.verbose() {
        super::say_policy(&pipeline, &report, scanned.inventories.len(), judged);
    }
    let findings = to_fix(&report);
    let fixes = plan(&scanned, &findings, &opts);
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
    // Execution logging needs the account's CloudWatch role; say so where the configuration
    // sets none (SL030), as AWS will refuse the setting until one exists.
    let turns_on_execution_logs = findings.iter().any(|f| {
        matches!(f.remedy, Remedy::ExecutionLogging { .. })
            && fixes
                .files
                .iter()
                .any(|x| Some(&x.file) == f.location.file.as_ref())
    });
    let no_role = report
        .findings
        .iter()
        .chain(report.suppressed.iter().map(|s| &s.finding))
        .any(|f| f.remedy == Remedy::CloudWatchRole);
    if turns_on_execution_logs && no_role && !ui.quiet() {
        eprintln!(
            "note: these fixes turn on execution logging, but this configuration sets no API Gateway account CloudWatch role (SL030); AWS refuses execution logging until the account has one in each region (see `stagelog explain SL030`)"
        );
    }
    if !fixes.manual.is_empty() && !ui.quiet() {
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
        .map(|e| e.to_string())
        .collect();
    for e in &errors {
        eprintln!("error: {e}");
    }
    Ok(if !errors.is_empty() {
        ExitStatus::Error
    } else if !fixes.files.is_empty() && !args.write {
        ExitStatus::Findings
    } else {
        ExitStatus::Clean
    })
}

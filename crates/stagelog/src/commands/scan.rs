//! `stagelog scan`: infrastructure-as-code through the pipeline.

use crate::cli::ScanArgs;
use crate::Ui;
use anyhow::Result;
use stagelog_pipeline::{exit_status, write_reports, ExitStatus, Pipeline};
use stagelog_report::Report;

pub fn run(args: ScanArgs, ui: Ui) -> Result<ExitStatus> {
    let start = args.paths.first().cloned().unwrap_or_else(|| ".".into());
    let mut policy = crate::inputs::policy(&args.policy);
    policy.compliance = args.report.compliance.clone();
    policy.min_retention_days = args.min_retention_days;
    let pipeline = Pipeline::load(&policy, &start, crate::hints::hint)?;
    let started = std::time::Instant::now();
    // Each inventory is judged as soon as it is read and dropped: memory follows the findings.
    let scanned = stagelog_iac::scan_each(
        &args.paths,
        &stagelog_iac::ScanOptions {
            exclude: crate::inputs::exclusions(&pipeline, &args.exclude, args.force_exclude),
            keep_sources: false,
            terraform: crate::inputs::terraform(&args.terraform)?,
            parameters: crate::inputs::cloudformation(&args.cloudformation)?,
        },
        &|inv| pipeline.judge_one(&inv),
    );
    let mut scanned = scanned;
    // Asked with -v, what --exclude left out is said in every report, not only here.
    if ui.verbose() && !scanned.excluded.is_empty() {
        scanned.notes.push(excluded_note(&scanned.excluded));
        for u in scanned.exclude_uses.iter().filter(|u| u.dirs + u.files > 0) {
            scanned.notes.push(format!(
                "exclude pattern `{}` ({}) left out {}",
                u.pattern,
                u.origin,
                counted(u.dirs, u.files)
            ));
        }
    }
    if !ui.quiet() {
        for note in &scanned.notes {
            eprintln!("note: {note}");
        }
    }
    if ui.verbose() {
        eprintln!(
            "read {} files in {:.1} ms",
            scanned.files,
            started.elapsed().as_secs_f64() * 1000.0
        );
        let (quick, parser) = stagelog_syntax::quick_readers::counts();
        if quick + parser > 0 {
            eprintln!(
                "HCL: {quick} texts read by the quick reader, {parser} by hcl-edit (STAGELOG_QUICK_READERS=0 sends all to hcl-edit)"
            );
        }
    }
    let sources = scanned.inventories.len();
    let judged = std::time::Instant::now();
    let mut report = pipeline.report(scanned.inventories, scanned.errors, scanned.files);
    if ui.verbose() {
        super::say_policy(&pipeline, &report, sources, judged);
    }
    report.notes = scanned.notes;
    baseline(&args, &pipeline, &mut report, ui)?;
    report.keep_severities(&args.report.severity);
    let output = crate::inputs::output(&args.report, ui.quiet(), &pipeline.policy);
    for path in write_reports(&report, &output)? {
        if !ui.quiet() {
            eprintln!("wrote {}", path.display());
        }
    }
    let soft = args.report.errors_as_warnings || pipeline.policy.errors_are_warnings();
    let status = exit_status(
        &report,
        crate::inputs::fail_on(&args.report, &pipeline.policy),
        soft,
    );
    // The process ends next: the kernel takes the report's pages back at once, where freeing
    // tens of thousands of findings one by one would run on one thread after the output.
    std::mem::forget(report);
    Ok(status)
}

/// `--write-baseline` records today's findings (then reports them as baselined);
/// `--baseline` (or stagelog.toml's `baseline`) moves the findings it records apart.
fn baseline(args: &ScanArgs, pipeline: &Pipeline, report: &mut Report, ui: Ui) -> Result<()> {
    use stagelog_pipeline::baseline::{write, Baseline};
    if let Some(path) = &args.write_baseline {
        let n = write(report, path)?;
        if !ui.quiet() {
            eprintln!("wrote baseline {} ({n} findings)", path.display());
        }
        Baseline::load(path)?.apply(report);
        return Ok(());
    }
    let path = args.baseline.clone().or_else(|| {
        pipeline
            .policy
            .baseline
            .as_deref()
            .map(|b| pipeline.policy.relative(b))
    });
    if let Some(path) = path {
        let said = report.notes.len();
        Baseline::load(&path)?.apply(report);
        if !ui.quiet() {
            for note in &report.notes[said..] {
                eprintln!("note: {note}");
            }
        }
    }
    Ok(())
}

/// `1 directory and 2 files`.
fn counted(dirs: usize, files: usize) -> String {
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    match (dirs, files) {
        (0, f) => plural(f, "file", "files"),
        (d, 0) => plural(d, "directory", "directories"),
        (d, f) => format!(
            "{} and {}",
            plural(d, "directory", "directories"),
            plural(f, "file", "files")
        ),
    }
}

/// `--exclude skipped 3: a.tf, modules/old/, …` (the first 20 named).
fn excluded_note(excluded: &[String]) -> String {
    const NAMED: usize = 20;
    let mut text = format!(
        "--exclude (or exclude in stagelog.toml) skipped {}: {}",
        excluded.len(),
        excluded[..excluded.len().min(NAMED)].join(", ")
    );
    if excluded.len() > NAMED {
        text.push_str(&format!(", and {} more", excluded.len() - NAMED));
    }
    text
}

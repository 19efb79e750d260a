//! `stagelog scan`: infrastructure-as-code through the pipeline.

use crate::cli::ScanArgs;
use crate::pipeline::{emit, exit_status, ExitStatus, Pipeline, PolicyArgs};
use anyhow::Result;

pub fn run(args: ScanArgs) -> Result<ExitStatus> {
    let start = args.paths.first().cloned().unwrap_or_else(|| ".".into());
    let pipeline = Pipeline::load(
        &PolicyArgs {
            config: args.report.config.as_deref(),
            select: &args.report.select,
            ignore: &args.report.ignore,
            compliance: args.report.compliance.as_deref(),
            min_retention_days: args.min_retention_days,
            ..PolicyArgs::default()
        },
        &start,
    )?;
    let started = std::time::Instant::now();
    // Each inventory is judged as soon as it is read and dropped: memory follows the findings.
    let scanned = stagelog_iac::scan_each(
        &args.paths,
        &stagelog_iac::ScanOptions {
            exclude: pipeline.exclude(&args.exclude),
            keep_sources: false,
            terraform: args.terraform.inputs()?,
            parameters: args.cloudformation.parameters()?,
        },
        &|inv| pipeline.judge_one(&inv),
    );
    if !crate::ui::quiet() {
        for note in &scanned.notes {
            eprintln!("note: {note}");
        }
    }
    if crate::ui::verbose() {
        eprintln!(
            "read {} files in {:.1} ms",
            scanned.files,
            started.elapsed().as_secs_f64() * 1000.0
        );
    }
    let mut report = pipeline.report(
        scanned.inventories,
        crate::pipeline::source_errors(scanned.errors),
        scanned.files,
    );
    report.notes = scanned.notes;
    emit(&report, &args.report)?;
    let status = exit_status(&report, args.report.fail_on);
    // The process ends next: the kernel takes the report's pages back at once, where freeing
    // tens of thousands of findings one by one would run on one thread after the output.
    std::mem::forget(report);
    Ok(status)
}

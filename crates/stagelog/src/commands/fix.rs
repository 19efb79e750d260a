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
        config: pipeline.config.clone(),
    };
    let scanned = stagelog_iac::scan_with(
        &args.paths,
        &stagelog_iac::ScanOptions {
            exclude: crate::inputs::exclusions(&pipeline, &args.exclude, args.force_exclude),
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
        let after = same_line_endings(&f.before, &f.after);
        let f = &stagelog_fix::FileFix {
            after: after.into_owned(),
            ..f.clone()
        };
        if args.write {
            write_keeping_bom(&f.file, &f.after)
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
    // A fix made away from its finding (a module's input, at its call or default) says where.
    if !fixes.said.is_empty() && !ui.quiet() {
        eprintln!("Fixed where the value comes from ({}):", fixes.said.len());
        for s in &fixes.said {
            eprintln!("  {s}");
        }
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
        eprintln!("stagelog: error: {e}");
    }
    Ok(if !errors.is_empty() {
        ExitStatus::Error
    } else if !fixes.files.is_empty() && !args.write {
        ExitStatus::Findings
    } else {
        ExitStatus::Clean
    })
}

/// Writes a fixed file; a byte-order mark the file started with (the scan reads without it)
/// is written back, so only the fix changes the file.
fn write_keeping_bom(file: &str, text: &str) -> std::io::Result<()> {
    use std::io::Read;
    let mut head = [0u8; 3];
    let had_bom = std::fs::File::open(file)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && head == [0xEF, 0xBB, 0xBF];
    if had_bom {
        std::fs::write(file, [&head[..], text.as_bytes()].concat())
    } else {
        std::fs::write(file, text)
    }
}

/// The fixed text with the file's own line endings: lines a fix adds to a file written with
/// CRLF (Windows editors) end in CRLF too.
fn same_line_endings<'a>(before: &str, after: &'a str) -> std::borrow::Cow<'a, str> {
    if !before.contains("\r\n") || !after.contains('\n') {
        return std::borrow::Cow::Borrowed(after);
    }
    let mut out = String::with_capacity(after.len() + after.len() / 32);
    let mut last = '\0';
    for c in after.chars() {
        if c == '\n' && last != '\r' {
            out.push('\r');
        }
        out.push(c);
        last = c;
    }
    std::borrow::Cow::Owned(out)
}

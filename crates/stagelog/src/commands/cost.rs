use super::live::{attach_code, options, progress, read_code, say_coverage};
use crate::cli::CostArgs;
use crate::Ui;
use anyhow::{anyhow, Result};
use stagelog_pipeline::ExitStatus;
use std::io;

/// `stagelog cost`: the audit's inventories with what each log group took in over the window
/// (and the traffic of stages that do not log), priced per region and log class.
pub fn run(args: CostArgs, ui: Ui) -> Result<ExitStatus> {
    use stagelog_report::cost::{cost_csv, cost_html, cost_json, cost_text, CostReport};

    let window_ms = crate::duration::parse_ms(&args.window)
        .ok_or_else(|| anyhow!("--window `{}`: expected 90s, 15m, 24h or 7d", args.window))?;
    for (flag, v) in [
        ("--price-ingest-gb", args.price_ingest_gb),
        ("--price-store-gb-month", args.price_store_gb_month),
    ] {
        if v.is_some_and(|p| !p.is_finite() || p < 0.0) {
            return Err(anyhow!("{flag}: a price is a number of dollars, 0 or more"));
        }
    }
    let code = read_code(&args.iac, ui)?;
    let progress = progress(ui);
    let mut opts = options(&args.scope, progress.clone())?;
    opts.cost = Some(stagelog_aws::CostWindow::new(window_ms));
    let mut out = stagelog_aws::audit_blocking(opts);
    drop(progress);
    say_coverage(&out, ui);
    let mut errors = out.errors;
    errors.extend(out.cost_errors);
    if let Some(code) = &code {
        let mut notes = Vec::new();
        attach_code(code, &mut out.inventories, &mut notes);
        notes.extend(code.notes.iter().cloned());
        errors.extend(code.errors.iter().cloned());
        if !ui.quiet() {
            for note in notes {
                eprintln!("note: {note}");
            }
        }
    }
    let failed = !errors.is_empty();
    let report = CostReport::new(
        &out.inventories,
        window_ms,
        &stagelog_report::cost::PriceOverrides {
            ingest_gb: args.price_ingest_gb,
            store_gb_month: args.price_store_gb_month,
        },
        errors,
        stagelog_report::LiveCoverage {
            scopes: out.covered,
        },
    );
    let body = match args.format {
        crate::cli::CostFormat::Text => cost_text(&report),
        crate::cli::CostFormat::Json => cost_json(&report),
        crate::cli::CostFormat::Csv => cost_csv(&report),
        crate::cli::CostFormat::Html => cost_html(&report),
    };
    match &args.output {
        Some(path) => std::fs::write(path, body)
            .map_err(|e| anyhow!("cannot write the report to {}: {e}", path.display()))?,
        None => {
            use std::io::Write;
            let mut out = io::stdout().lock();
            if let Err(e) = out.write_all(body.as_bytes()).and_then(|_| out.flush()) {
                if e.kind() != io::ErrorKind::BrokenPipe {
                    return Err(anyhow!("cannot write the report: {e}"));
                }
            }
        }
    }
    Ok(if failed {
        ExitStatus::Error
    } else {
        ExitStatus::Clean
    })
}

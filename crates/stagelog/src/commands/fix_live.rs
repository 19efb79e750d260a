use super::live::{attach_code, options, read_code, tokio_runtime};
use crate::cli::FixArgs;
use crate::Ui;
use anyhow::Result;
use stagelog_pipeline::{ExitStatus, Pipeline};

/// `stagelog fix --live`: the audit judged through the same pipeline as `audit` (so waived
/// and suppressed findings are left alone), planned as AWS CLI commands, applied with a
/// journal on `--apply`.
pub fn run(args: &FixArgs, ui: Ui) -> Result<ExitStatus> {
    use stagelog_aws::fix::{apply, plan, FixOptions};

    let pipeline = Pipeline::load(
        &super::fix_policy(args),
        std::path::Path::new("."),
        crate::hints::hint,
    )?;
    let fix_opts = FixOptions {
        log_group_name: crate::inputs::log_group_template(args.log_group_name.as_deref())?
            .unwrap_or_default(),
        kms_key: args.kms_key.clone(),
        create_cloudwatch_role: args.create_cloudwatch_role,
    };
    let code = read_code(&args.iac, ui)?;
    let opts = options(&args.scope, None)?;
    // The stages' traffic too, for the estimate of what the changes will cost.
    let mut out = stagelog_aws::audit_blocking(stagelog_aws::AuditOptions {
        cost: Some(stagelog_aws::CostWindow::new(FIX_COST_WINDOW_MS)),
        ..opts.clone()
    });
    for e in &out.errors {
        eprintln!("stagelog: error: {e}");
    }
    if !out.errors.is_empty() {
        eprintln!("nothing changed: the audit was incomplete");
        return Ok(ExitStatus::Error);
    }
    if let Some(code) = &code {
        let mut notes = Vec::new();
        attach_code(code, &mut out.inventories, &mut notes);
        for e in &code.errors {
            eprintln!("stagelog: error: --iac: {e}");
        }
        if !ui.quiet() {
            notes.iter().for_each(|n| eprintln!("note: {n}"));
        }
    }
    let report = pipeline.judge(&out.inventories, vec![], 0);
    if !report.suppressed.is_empty() && !ui.quiet() {
        eprintln!(
            "left alone: {} suppressed or waived finding(s)",
            report.suppressed.len()
        );
    }
    let mut findings = stagelog_pipeline::to_fix(&report);
    let held = match &code {
        Some(code) if !args.force => {
            // The code judged by the same pipeline: its findings' fixes are in the code's terms.
            let in_code = pipeline.judge(&code.inventories, vec![], 0);
            hold_code_owned(&mut findings, &in_code.findings, &args.iac.paths)
        }
        _ => 0,
    };
    let (changes, skipped) = plan(&out.inventories, &findings, &fix_opts);
    if changes.is_empty() {
        println!("# nothing to change");
    }
    for c in &changes {
        let why = if c.rules.is_empty() {
            "new log group".to_string()
        } else {
            c.rules.join(" ")
        };
        println!("# {} {} ({why})", c.account, c.region);
        println!("{}", c.cli());
    }
    for s in &skipped {
        eprintln!("needs a person: {} {}: {}", s.rule_id, s.resource, s.reason);
    }
    if !changes.is_empty() {
        println!("{}", estimate_line(&changes, &out));
    }
    if !args.apply {
        return Ok(if changes.is_empty() && held == 0 {
            ExitStatus::Clean
        } else {
            ExitStatus::Findings
        });
    }
    let journal = args.journal.clone().unwrap_or_else(|| {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        std::path::PathBuf::from(format!("stagelog-journal-{secs}.jsonl"))
    });
    if changes.is_empty() {
        return Ok(if held == 0 {
            ExitStatus::Clean
        } else {
            ExitStatus::Findings
        });
    }
    eprintln!("journal: {}", journal.display());
    let rt = tokio_runtime()?;
    match rt.block_on(apply(&changes, &opts, &journal)) {
        Ok(n) => {
            eprintln!(
                "applied {n} change(s); undo with: stagelog rollback {}",
                journal.display()
            );
            // What was left to the code is still to fix.
            Ok(if held == 0 {
                ExitStatus::Clean
            } else {
                ExitStatus::Findings
            })
        }
        Err(e) => {
            eprintln!("stagelog: error: {e}");
            if journal.exists() {
                eprintln!(
                    "every change made so far is in {0}; `stagelog rollback {0}` restores it",
                    journal.display()
                );
            }
            Ok(ExitStatus::Error)
        }
    }
}

/// Takes out the findings on stages code declares (`--iac` linked them): the code's next
/// deploy would undo a live change, so the code is what to fix. Says so for each, with the
/// command that fixes the code; returns how many were held back.
fn hold_code_owned(
    findings: &mut Vec<stagelog_model::Finding>,
    in_code: &[stagelog_model::Finding],
    iac: &[std::path::PathBuf],
) -> usize {
    let (owned, rest): (Vec<_>, Vec<_>) = std::mem::take(findings)
        .into_iter()
        .partition(|f| f.location.defined_at.is_some());
    *findings = rest;
    for f in &owned {
        let origin = f.location.defined_at.as_deref().expect("partitioned on it");
        eprintln!(
            "code owns it: {} {} is defined at {origin}; its next deploy would undo a live change",
            f.rule_id, f.location.resource
        );
        // The same rule on the declaration, when the code has the problem too: its fix, in the
        // code's terms. Otherwise the code is right and the account drifted from it.
        match in_code.iter().find(|c| {
            c.rule_id == f.rule_id
                && c.location.file.as_deref() == Some(origin.file.as_str())
                && c.location.line == origin.line
                && c.stage == f.stage
        }) {
            Some(c) => eprintln!("  fix the code: {}", c.fix),
            None => eprintln!(
                "  the code declares what {} asks: deploy it again to put it back",
                f.rule_id
            ),
        }
    }
    if !owned.is_empty() {
        let paths: Vec<String> = iac.iter().map(|p| p.display().to_string()).collect();
        eprintln!(
            "{} finding(s) on stages the code owns were not planned (--force plans them); `stagelog fix {}` fixes the code",
            owned.len(),
            paths.join(" ")
        );
    }
    owned.len()
}

/// The traffic `fix --live` prices its changes on: the last 30 days.
const FIX_COST_WINDOW_MS: i64 = 30 * 86_400_000;

/// What the changes will add to the bill: for each stage whose access logging they turn on,
/// its requests in the last 30 days × one line of the recommended format, at the region's
/// list price. Execution logs' volume depends on the integration and is not estimated.
fn estimate_line(changes: &[stagelog_aws::fix::Change], out: &stagelog_aws::AuditOutput) -> String {
    use stagelog_aws::fix::Action;
    use stagelog_report::cost::{bytes_per_request, prices, PriceOverrides};
    let mut monthly = 0.0;
    let mut priced = 0;
    let mut unknown = 0;
    for c in changes {
        if !c.rules.iter().any(|r| r == "SL001" || r == "SL002") {
            continue;
        }
        let (api, stage) = match &c.action {
            Action::UpdateRestStage { api_id, stage, .. }
            | Action::UpdateV2Stage { api_id, stage, .. } => (api_id, stage),
            _ => continue,
        };
        let found = out.inventories.iter().flat_map(|i| &i.stages).find(|s| {
            s.location.account.as_deref() == Some(c.account.as_str())
                && s.location.region.as_deref() == Some(c.region.as_str())
                && s.api.as_ref().and_then(|a| a.as_known()).as_deref() == Some(api.as_str())
                && s.name.as_known().as_deref() == Some(stage.as_str())
        });
        match found.and_then(|s| Some((s.requests?, bytes_per_request(s.api_kind)?))) {
            Some((requests, per)) => {
                let p = prices(&c.region, None, &PriceOverrides::default());
                monthly += (requests * per) as f64 / 1_073_741_824.0 * p.ingest_gb;
                priced += 1;
            }
            None => unknown += 1,
        }
    }
    let mut line = format!(
        "# estimated cost: ~${monthly:.2} per month for the access logs of {priced} stage(s), from their requests in the last 30 days at list prices"
    );
    if unknown > 0 {
        line.push_str(&format!("; {unknown} stage(s) without traffic figures"));
    }
    if !out.cost_errors.is_empty() {
        line.push_str(" (some metrics could not be read: cloudwatch:GetMetricData)");
    }
    line.push_str("; execution logs not estimated");
    line
}

//! `stagelog fix --live` and `stagelog rollback`.

use crate::cli::{FixArgs, RollbackArgs};
use anyhow::Result;

#[cfg(not(feature = "aws"))]
pub fn fix(_: FixArgs) -> Result<u8> {
    anyhow::bail!("this stagelog was built without AWS support (cargo feature `aws`)")
}

#[cfg(not(feature = "aws"))]
pub fn rollback(_: RollbackArgs) -> Result<u8> {
    anyhow::bail!("this stagelog was built without AWS support (cargo feature `aws`)")
}

#[cfg(feature = "aws")]
pub fn fix(args: FixArgs) -> Result<u8> {
    use crate::cli::ExecutionLevel;
    use crate::commands::EXIT_ERROR;
    use stagelog_aws::fix::{apply, plan, FixOptions};
    use stagelog_rules::{Config, Selection};

    let sel = Selection {
        select: args.select.clone(),
        ignore: args.ignore.clone(),
    };
    let unknown = sel.unknown_ids();
    if !unknown.is_empty() {
        anyhow::bail!(
            "unknown rule id(s) {} (see `stagelog rules`)",
            unknown.join(", ")
        );
    }
    let config = Config {
        min_retention_days: args.retention_days,
        ..Config::default()
    };
    let opts = crate::audit::options(&args.scope, None);
    let out = stagelog_aws::audit_blocking(opts.clone());
    for e in &out.errors {
        eprintln!(
            "error: {} {}: {}",
            e.account.as_deref().unwrap_or("-"),
            e.region.as_deref().unwrap_or("-"),
            e.message
        );
    }
    if !out.errors.is_empty() {
        eprintln!("nothing changed: the audit was incomplete");
        return Ok(EXIT_ERROR);
    }
    let findings: Vec<_> = out
        .inventories
        .iter()
        .flat_map(|inv| stagelog_rules::check(inv, &config, &sel))
        .collect();
    let fix_opts = FixOptions {
        execution_level: match args.execution_level {
            ExecutionLevel::Error => "ERROR".into(),
            ExecutionLevel::Info => "INFO".into(),
        },
        retention_days: args.retention_days as i32,
        log_group_template: args
            .log_group_name
            .clone()
            .unwrap_or_else(|| FixOptions::default().log_group_template),
        kms_key: args.kms_key.clone(),
        create_cloudwatch_role: args.create_cloudwatch_role,
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
    if !args.apply {
        return Ok(if changes.is_empty() { 0 } else { 1 });
    }
    let journal = args.journal.clone().unwrap_or_else(|| {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        std::path::PathBuf::from(format!("stagelog-journal-{secs}.jsonl"))
    });
    if changes.is_empty() {
        return Ok(0);
    }
    eprintln!("journal: {}", journal.display());
    let rt = tokio_runtime()?;
    match rt.block_on(apply(&changes, &opts, &journal)) {
        Ok(n) => {
            eprintln!(
                "applied {n} change(s); undo with: stagelog rollback {}",
                journal.display()
            );
            Ok(0)
        }
        Err(e) => {
            eprintln!("error: {e}");
            Ok(EXIT_ERROR)
        }
    }
}

#[cfg(feature = "aws")]
pub fn rollback(args: RollbackArgs) -> Result<u8> {
    let opts = crate::audit::options(&args.scope, None);
    let rt = tokio_runtime()?;
    match rt.block_on(stagelog_aws::fix::rollback(
        &args.journal,
        &opts,
        args.delete_created,
    )) {
        Ok(n) => {
            eprintln!("restored: {n} undo step(s) applied");
            Ok(0)
        }
        Err(e) => {
            eprintln!("error: {e}");
            Ok(crate::commands::EXIT_ERROR)
        }
    }
}

#[cfg(feature = "aws")]
fn tokio_runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}

//! What the command line names, read and checked before anything runs: Terraform variable
//! values (`TF_VAR_*`, `--var-file`, `--var`), CloudFormation parameter files, the policy
//! options the pipeline takes, `--log-group-name`. The argument structs (`crate::cli`) only
//! hold what was typed.

use crate::cli::{CloudFormationArgs, PolicyArgs, ReportArgs, TerraformArgs};
use anyhow::{anyhow, Result};
use stagelog_iac::cloudformation::Parameters;
use stagelog_iac::terraform::{CommandLine, Inputs};
use stagelog_model::LogGroupTemplate;
use stagelog_pipeline::{OutputOptions, PolicyOptions};
use std::io::IsTerminal;
use std::sync::Arc;

/// `--var-file`s and `--var`s in the order they were written, which decides which wins (as in
/// Terraform).
fn in_command_line_order(args: &TerraformArgs) -> Vec<CommandLine> {
    let flags = &args.order;
    let (mut files, mut vars) = (args.var_files.iter(), args.vars.iter());
    let mut out = Vec::new();
    if flags.len() == args.var_files.len() + args.vars.len() {
        for &is_file in flags {
            if is_file {
                out.extend(files.next().cloned().map(CommandLine::VarFile));
            } else {
                out.extend(vars.next().cloned().map(CommandLine::Var));
            }
        }
    }
    // Order not known (a Cli built without `from_command_line`): files, then vars.
    out.extend(files.cloned().map(CommandLine::VarFile));
    out.extend(vars.cloned().map(CommandLine::Var));
    out
}

/// Terraform's variable values from outside, with `TF_VAR_name` from the environment.
pub fn terraform(args: &TerraformArgs) -> Result<Arc<Inputs>> {
    let env = std::env::vars()
        .filter_map(|(k, v)| Some((k.strip_prefix("TF_VAR_")?.to_string(), v)))
        .collect();
    Inputs::new(env, &in_command_line_order(args))
        .map(Arc::new)
        .map_err(|e| anyhow!("{e}"))
}

/// CloudFormation parameter values: files, pairs and samconfig.toml's environment.
pub fn cloudformation(args: &CloudFormationArgs) -> Result<Parameters> {
    Parameters::new(&args.parameters_files, &args.parameters)
        .map(|p| p.with_sam_env(&args.config_env))
        .map_err(|e| anyhow!("{e}"))
}

/// `--log-group-name`, checked: an unknown placeholder is a usage error before anything runs.
pub fn log_group_template(value: Option<&str>) -> Result<Option<LogGroupTemplate>> {
    value
        .map(LogGroupTemplate::parse)
        .transpose()
        .map_err(|e| anyhow!("--log-group-name: {e}"))
}

/// The policy options every command shares; each adds its own thresholds.
pub fn policy(args: &PolicyArgs) -> PolicyOptions {
    PolicyOptions {
        config: args.config.clone(),
        select: args.select.clone(),
        ignore: args.ignore.clone(),
        ..PolicyOptions::default()
    }
}

/// Where and how the report goes (the command line, else stagelog.toml's `format` and
/// `output`, else text on standard output); colour only on a terminal that wants it.
pub fn output(
    args: &ReportArgs,
    quiet: bool,
    policy: &stagelog_pipeline::policy::Policy,
) -> OutputOptions {
    let formats = if args.format.is_empty() {
        let from_file: Vec<_> = policy.formats().into_iter().flatten().collect();
        if from_file.is_empty() {
            vec![stagelog_pipeline::Format::Text]
        } else {
            from_file
        }
    } else {
        args.format.clone()
    };
    // stagelog.toml's output goes with its format: a format asked on the command line is
    // written where the command line says (standard output by default).
    let from_file = args.format.is_empty() && args.output.is_none() && args.output_dir.is_none();
    let (file, dir) = match &policy.output {
        Some(written) if from_file && formats.len() > 1 => (None, Some(policy.relative(written))),
        Some(written) if from_file => (Some(policy.relative(written)), None),
        _ => (args.output.clone(), args.output_dir.clone()),
    };
    let to_terminal = file.is_none() && dir.is_none() && std::io::stdout().is_terminal();
    OutputOptions {
        formats,
        file,
        dir,
        color: to_terminal && !args.no_color && std::env::var_os("NO_COLOR").is_none(),
        summary: !quiet,
    }
}

/// `--exclude` (relative to the current directory) and `exclude` in stagelog.toml (relative
/// to that file's directory); `force`: `--force-exclude`.
pub fn exclusions(
    pipeline: &stagelog_pipeline::Pipeline,
    cli: &[String],
    force: bool,
) -> stagelog_iac::Exclusions {
    let mut sets = vec![stagelog_iac::PatternSet {
        base: std::env::current_dir().unwrap_or_default(),
        patterns: cli.to_vec(),
        origin: "--exclude".into(),
    }];
    if let Some(path) = &pipeline.policy.path {
        sets.push(stagelog_iac::PatternSet {
            base: path
                .parent()
                .map(std::path::Path::to_path_buf)
                .unwrap_or_default(),
            patterns: pipeline.policy.exclude.clone(),
            origin: path.display().to_string(),
        });
    }
    stagelog_iac::Exclusions { sets, force }
}

/// `--fail-on`, else stagelog.toml's `fail_on`, else low.
pub fn fail_on(
    args: &ReportArgs,
    policy: &stagelog_pipeline::policy::Policy,
) -> stagelog_pipeline::FailOn {
    args.fail_on.unwrap_or_else(|| policy_fail_on(policy))
}

/// stagelog.toml's `fail_on`, else low (where no command line sets it: the Lambda).
pub fn policy_fail_on(policy: &stagelog_pipeline::policy::Policy) -> stagelog_pipeline::FailOn {
    policy
        .fail_on
        .as_deref()
        .and_then(|f| f.parse().ok())
        .unwrap_or(stagelog_pipeline::FailOn::At(stagelog_model::Severity::Low))
}

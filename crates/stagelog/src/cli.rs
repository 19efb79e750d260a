//! The command line's definitions (clap), and nothing else: what they mean is in the commands
//! (`crate::commands`), reading what they name (variable and parameter files) in
//! `crate::inputs`, and the pipeline's own option types in `stagelog-pipeline`.

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand, ValueEnum};
use stagelog_model::{ExecutionLevel, Severity};
use stagelog_pipeline::{FailOn, Format};
use std::path::PathBuf;

/// `stagelog --version`: the version, the commit, and whether the AWS commands are in.
#[cfg(feature = "aws")]
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("STAGELOG_COMMIT"),
    ")\nAWS commands (audit, verify, cost, fix --live, rollback, logs from CloudWatch): compiled in"
);
#[cfg(not(feature = "aws"))]
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("STAGELOG_COMMIT"),
    ")\nAWS commands: not compiled in (a scan-only build: scan, fix on files, logs on files, rules, explain)"
);

#[derive(Parser, Debug)]
#[command(
    name = "stagelog",
    version = VERSION,
    about = "Audit, fix and verify logging on AWS API Gateway stages",
    long_about = "stagelog finds API Gateway stages (REST, HTTP and WebSocket) whose access \
logging, execution logging, log destination, log format, log group retention or account \
CloudWatch role is missing or wrong — in Terraform, CloudFormation, SAM and CDK output.",
    after_help = "Examples:\n  stagelog scan infra/                 scan a directory\n  \
stagelog scan . --format sarif -o stagelog.sarif\n  \
stagelog scan . --select SL001,SL002 --fail-on high\n  \
stagelog rules                        list the rules\n  \
stagelog explain SL010                what a rule checks and how to fix it\n\n\
Exit codes: 0 no finding at or above --fail-on; 1 findings at or above it; \
2 usage error, or a file could not be read or parsed (findings for the rest are still reported)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// Only the report and errors: no progress bar, summaries or notes on stderr.
    #[arg(long, short = 'q', global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Also say what was read and how long it took (policy file, files, stages, timings).
    #[arg(long, short = 'v', global = true)]
    pub verbose: bool,
}

impl Cli {
    /// The command line of this process, with what the derived fields cannot hold: the
    /// relative order of `--var` and `--var-file`, which decides which value wins.
    pub fn from_command_line() -> Cli {
        use clap::{CommandFactory, FromArgMatches};
        // A Lambda runtime starts `bootstrap` (this binary, in a `lambda` build) with no
        // arguments: that is `stagelog lambda`.
        #[cfg(feature = "lambda")]
        if std::env::args_os().len() == 1 && std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() {
            return Cli::parse_from(["stagelog", "lambda"]);
        }
        let matches = Cli::command().get_matches();
        let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
        let terraform = match &mut cli.command {
            Command::Scan(a) => Some(&mut a.terraform),
            Command::Fix(a) => Some(&mut a.terraform),
            _ => None,
        };
        if let (Some(t), Some((_, sub))) = (terraform, matches.subcommand()) {
            let at = |id: &str| -> Vec<usize> {
                sub.indices_of(id)
                    .map(Iterator::collect)
                    .unwrap_or_default()
            };
            let mut given: Vec<(usize, bool)> = at("var_files")
                .into_iter()
                .map(|i| (i, true))
                .chain(at("vars").into_iter().map(|i| (i, false)))
                .collect();
            given.sort();
            t.order = given.into_iter().map(|(_, is_file)| is_file).collect();
        }
        cli
    }
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Scan infrastructure-as-code (Terraform .tf/.tf.json, CloudFormation YAML/JSON, SAM, CDK
    /// cdk.out) for API Gateway stages with missing or wrong logging.
    #[command(
        after_help = "Directories are walked recursively; .gitignore is respected and \
.git/, .terraform/ and node_modules/ are skipped. Each directory of .tf files is one Terraform \
module (variables with defaults, terraform.tfvars and *.auto.tfvars, locals and references \
between files are resolved). Values that cannot be resolved are never reported as missing."
    )]
    Scan(ScanArgs),
    /// Audit live AWS accounts: API Gateway stages, account settings, CloudWatch role and log
    /// groups, with the same rules and reports as `scan`. Needs only read-only permissions.
    #[command(
        after_help = "Credentials and region come the standard way (environment, \
~/.aws profiles, SSO, instance roles). Examples:\n  \
stagelog audit --region eu-west-1 --region us-east-1\n  \
stagelog audit --all-regions --role-arn arn:aws:iam::111111111111:role/audit \
--role-arn arn:aws:iam::222222222222:role/audit\n  \
stagelog audit --endpoint-url http://127.0.0.1:5000 --region us-east-1   (LocalStack, moto)\n\n\
The least-privilege IAM policy for audit is in the README."
    )]
    Audit(AuditArgs),
    /// Fix what `scan` finds in Terraform and CloudFormation/SAM (JSON and YAML): prints a
    /// unified diff; `--write` applies it. Comments and layout are kept; what cannot be fixed
    /// automatically is listed with why (and, for YAML, the snippet to paste). With --live,
    /// fixes live accounts instead.
    #[command(
        after_help = "Exit codes: 0 nothing to change (or --write applied it); 1 changes \
to make (without --write), or with --live --iac findings left to the code that owns the stage; \
2 a file could not be read, parsed or fixed."
    )]
    Fix(FixArgs),
    /// Verify that logs really flow: for each live stage with access logging, the destination
    /// log group exists and has recent events (SL040), and those events match the stage's
    /// format (SL041). Same scope flags and reports as `audit`; read-only.
    #[command(
        after_help = "When a log group has no event in the window, the stage's request count \
for the window is read from CloudWatch metrics (AWS/ApiGateway): traffic without logs is high \
severity, no traffic is info. Examples:\n  \
stagelog verify --region eu-west-1\n  \
stagelog verify --all-regions --window 6h --format json\n\n\
Exit codes as for audit: 0 nothing at or above --fail-on; 1 findings; 2 AWS errors."
    )]
    Verify(VerifyArgs),
    /// What logging costs: for every live stage, each log group it writes to (access and
    /// execution logs), the bytes it took in over --window and holds now, priced per region
    /// and log class; for stages that write no access log, what turning it on would cost.
    /// Read-only.
    #[command(after_help = COST_HELP)]
    Cost(CostArgs),
    /// Compare the logging the code under --iac declares with what the accounts have: logging
    /// declared but off live (SL050), on live but not declared (SL051), declared stages not
    /// deployed (SL052), live stages no code declares (SL053). Read-only; reports and exit
    /// codes as `audit`.
    #[command(after_help = DRIFT_HELP)]
    Drift(DriftArgs),
    /// Read access logs from files, standard input or CloudWatch: parse them with the stage's
    /// format, filter, count and measure latency; or push the query to CloudWatch Logs Insights.
    #[command(after_help = LOGS_HELP)]
    Logs(LogsArgs),
    /// Undo a live fix: restore every changed stage and log group from the journal, newest
    /// first, exactly as it was. Journalled itself (JOURNAL.rollback.jsonl) and safe to repeat.
    Rollback(RollbackArgs),
    /// Print a shell completion script: `stagelog completions bash > /etc/bash_completion.d/stagelog`.
    Completions {
        #[arg(value_enum, ignore_case = true)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), generated from these same definitions: `stagelog man >
    /// stagelog.1`; with --out-dir, one page per subcommand too.
    Man {
        #[arg(long, value_name = "DIR")]
        out_dir: Option<PathBuf>,
    },
    /// Write controls AWS's own engines run, from the same rules: an Organizations SCP that
    /// refuses stages without access logs, CloudFormation Guard rules for Guard Hooks and
    /// Config, Rego for OPA over Terraform plans, and the stagelog Lambda function deployed
    /// with an EventBridge rule that hands it every logging change as it happens
    /// (CloudFormation or Terraform) or as an AWS Config custom rule. Each says which rules it
    /// enforces and what its engine cannot (stderr; docs/guardrails.md).
    Guardrails(GuardrailsArgs),
    /// Run as an AWS Lambda function (this is a `lambda` build): judge each EventBridge event
    /// of an API Gateway call (CloudTrail) or AWS Config rule invocation the Lambda runtime
    /// delivers, send findings to Security Hub (STAGELOG_SECURITY_HUB=true) and verdicts to
    /// Config. Started without arguments under a Lambda runtime (as `bootstrap`), it runs this.
    #[cfg(feature = "lambda")]
    #[command(
        after_help = "Deployed with the template of `stagelog guardrails --format eventbridge` or `--format config`; docs/guardrails.md says how, and what the function's role needs."
    )]
    Lambda,
    /// List every rule with its id, severity and what it checks.
    Rules {
        #[arg(long, value_enum, ignore_case = true, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// Explain a rule: description, rationale, impact, default, remediation (console, CLI,
    /// Terraform, CloudFormation), backout, references and compliance mapping.
    Explain {
        /// Rule id (SL001), or a peer's id or control it maps to (CKV_AWS_76, AVD-AWS-0001,
        /// W69, AwsSolutions-APIG1, APIGateway.1): then the rules that check it.
        rule: String,
    },
}

#[derive(Args, Debug)]
pub struct GuardrailsArgs {
    /// One or more of scp, guard, rego, eventbridge, eventbridge-terraform, config
    /// (comma-separated; several need --output-dir).
    #[arg(
        long,
        short = 'f',
        value_parser = guardrail_parser(),
        ignore_case = true,
        value_delimiter = ',',
        required = true,
        value_name = "FORMAT"
    )]
    pub format: Vec<stagelog_guardrails::Engine>,

    /// Write the artefact to FILE instead of standard output (one format).
    #[arg(long, short = 'o', value_name = "FILE", conflicts_with = "output_dir")]
    pub output: Option<PathBuf>,

    /// Write one file per format into DIR (stagelog-scp.json, stagelog.guard, stagelog.rego,
    /// stagelog-eventbridge.yaml, stagelog-eventbridge.tf, stagelog-config.yaml).
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,

    /// Where access logs may go, as an IAM StringLike pattern on the destination ARN
    /// (repeatable). Default: any CloudWatch Logs group, or a Firehose stream named
    /// amazon-apigateway-*.
    #[arg(long, value_name = "PATTERN")]
    pub log_destination_pattern: Vec<String>,

    /// SCP: also deny an UpdateStage after which a logged stage has no destination (it may
    /// refuse updates that do not restate the destination: try it on a test account first).
    #[arg(long)]
    pub deny_unlogged_updates: bool,
}

/// `guardrails --format`: the engines, each with its line of help.
fn guardrail_parser() -> impl TypedValueParser<Value = stagelog_guardrails::Engine> {
    PossibleValuesParser::new(
        stagelog_guardrails::Engine::ALL.map(|e| PossibleValue::new(e.name()).help(e.about())),
    )
    .map(|s| {
        s.parse::<stagelog_guardrails::Engine>()
            .expect("one of the possible values")
    })
}

#[derive(Args, Debug)]
pub struct ScanArgs {
    /// Files or directories to scan.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// Leave out paths matching this pattern, with .gitignore's rules (repeatable; also
    /// `exclude = [...]` in stagelog.toml, relative to that file): relative to the current
    /// directory; a bare name (`legacy`, `*.j2.yaml`) matches at any depth, `dir/` only
    /// directories, `!pattern` brings a path back. Checkov's `--skip-path` and Trivy's
    /// `--skip-dirs` are the same flag.
    #[arg(long, value_name = "PATTERN", visible_aliases = ["skip-path", "skip-dirs"])]
    pub exclude: Vec<String>,

    /// Leave out files named on the command line too when an exclude pattern matches them
    /// (what pre-commit hooks pass; as ruff's flag).
    #[arg(long)]
    pub force_exclude: bool,

    #[command(flatten)]
    pub terraform: TerraformArgs,

    #[command(flatten)]
    pub cloudformation: CloudFormationArgs,

    #[command(flatten)]
    pub policy: PolicyArgs,

    #[command(flatten)]
    pub report: ReportArgs,

    /// Fewest days of retention an access log group must have (SL020; default 365, or
    /// stagelog.toml's min_retention_days).
    #[arg(long, value_name = "DAYS")]
    pub min_retention_days: Option<i64>,

    /// Report only findings this baseline does not record (the others are listed as
    /// suppressed by `baseline` and decide nothing); entries that no longer occur are a note.
    /// Also `baseline = "FILE"` in stagelog.toml.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Record today's findings in FILE (by rule, resource, stage and message: line moves and
    /// reformatting keep them), then report them as baselined.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct FixArgs {
    /// Files or directories to fix.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// Write the fixes into the files (default: print the diff only).
    #[arg(long)]
    pub write: bool,

    #[command(flatten)]
    pub policy: PolicyArgs,

    /// Retention of new log groups and of the log groups SL020 fixes: one of CloudWatch
    /// Logs' values (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, …).
    /// Default: stagelog.toml's min_retention_days, else 365.
    #[arg(long, value_name = "DAYS")]
    pub retention_days: Option<i64>,

    /// Execution log level to set (SL010): ERROR or INFO. Default: stagelog.toml's
    /// execution_level, else ERROR.
    #[arg(long, value_name = "LEVEL", value_parser = parse_execution_level)]
    pub execution_level: Option<ExecutionLevel>,

    /// KMS key ARN for SL021 and for new log groups (its policy must let CloudWatch Logs use it).
    #[arg(long, value_name = "ARN")]
    pub kms_key: Option<String>,

    /// Name of new access log groups, with {api-name}, {api} (the API's id) and {stage}
    /// filled in per stage (default /aws/vendedlogs/apigateway/{api-name}/{stage}; in
    /// CloudFormation the stack names new groups unless this is given).
    #[arg(long, value_name = "TEMPLATE")]
    pub log_group_name: Option<String>,

    /// Leave out paths matching this pattern (repeatable), as `scan --exclude`.
    #[arg(long, value_name = "PATTERN", visible_aliases = ["skip-path", "skip-dirs"])]
    pub exclude: Vec<String>,

    /// Leave out files named on the command line too when an exclude pattern matches them.
    #[arg(long)]
    pub force_exclude: bool,

    #[command(flatten)]
    pub terraform: TerraformArgs,

    #[command(flatten)]
    pub cloudformation: CloudFormationArgs,

    /// Fix live accounts instead of files: audit, print the plan (AWS CLI commands).
    #[arg(long)]
    pub live: bool,

    /// With --live: make the changes, journalling each before it is made.
    #[arg(long, requires = "live")]
    pub apply: bool,

    /// With --live: where REST/WebSocket stages need it and the account has none, create the
    /// role `stagelog-apigateway-cloudwatch` (trusted by API Gateway, with the managed policy
    /// AmazonAPIGatewayPushToCloudWatchLogs) and set it in the account settings first.
    #[arg(long, requires = "live")]
    pub create_cloudwatch_role: bool,

    /// With --apply: the journal to write (default: stagelog-journal-<time>.jsonl here).
    #[arg(long, value_name = "PATH", requires = "apply")]
    pub journal: Option<PathBuf>,

    /// With --live and --iac: change stages the code owns too (the code's next deploy may undo
    /// the change; `stagelog fix PATH` fixes the code instead).
    #[arg(long, requires = "live")]
    pub force: bool,

    #[command(flatten)]
    pub scope: ScopeArgs,

    #[command(flatten)]
    pub iac: IacArgs,
}

/// Terraform variable values, as `terraform plan` takes them. Precedence, lowest first:
/// defaults, `TF_VAR_name` in the environment, terraform.tfvars, *.auto.tfvars, then
/// `--var-file` and `--var` in the order given (the later wins).
#[derive(Args, Debug, Default)]
pub struct TerraformArgs {
    /// A Terraform variable's value: `--var stage_name=prod` (repeatable; lists and maps in HCL:
    /// `--var 'regions=["eu-west-1"]'`).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,

    /// A .tfvars or .tfvars.json file of Terraform variable values (repeatable).
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<PathBuf>,

    /// For each value above in command-line order, whether it is a `--var-file` (filled in by
    /// [`Cli::from_command_line`] from clap's indices; empty means files, then vars).
    #[arg(skip)]
    pub order: Vec<bool>,
}

/// CloudFormation parameter values, as a deploy gives them; each wins over the parameter's
/// `Default`, and a parameter with neither keeps what depends on it unknown.
#[derive(Args, Debug, Default)]
pub struct CloudFormationArgs {
    /// A template parameter's value: `--parameter Environment=prod` (repeatable; later wins).
    #[arg(long = "parameter", value_name = "KEY=VALUE")]
    pub parameters: Vec<String>,

    /// A JSON file of parameter values (repeatable), in the AWS CLI's
    /// `[{"ParameterKey": "Environment", "ParameterValue": "prod"}]` form or a CodePipeline
    /// template configuration's `{"Parameters": {"Environment": "prod"}}`. `--parameter` wins.
    #[arg(long = "parameters-file", value_name = "FILE")]
    pub parameters_files: Vec<PathBuf>,

    /// The samconfig.toml environment whose `parameter_overrides` apply to the templates
    /// beside it ([ENV.global.parameters], then [ENV.deploy.parameters]), as
    /// `sam deploy --config-env`. The two options above win over it.
    #[arg(long = "config-env", value_name = "ENV", default_value = "default")]
    pub config_env: String,
}

#[derive(Args, Debug)]
pub struct RollbackArgs {
    /// A journal written by `stagelog fix --live --apply`.
    pub journal: PathBuf,

    /// Also delete the log groups the fix created (their events are lost).
    #[arg(long)]
    pub delete_created: bool,

    /// Named profile from ~/.aws/config. The accounts and regions are the journal's.
    #[arg(long)]
    pub profile: Option<String>,

    /// Region of the calls that identify the caller and assume roles (default: the
    /// configured region); the changes are undone in the regions the journal names.
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,

    /// Assume this role in its account to undo what the fix did there (repeatable: one per
    /// account the journal names, when it is not the caller's).
    #[arg(long = "role-arn", value_name = "ARN")]
    pub role_arns: Vec<String>,

    /// Send every AWS request to this endpoint (LocalStack, moto). AWS_ENDPOINT_URL works too.
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
}

/// Which live accounts and regions, and how to reach them.
#[derive(Args, Debug, Clone)]
pub struct ScopeArgs {
    /// Named profile from ~/.aws/config.
    #[arg(long)]
    pub profile: Option<String>,

    /// Region (repeatable, or comma-separated). Default: the configured region.
    #[arg(long = "region", value_delimiter = ',', value_name = "REGION")]
    pub regions: Vec<String>,

    /// Every region enabled for each account.
    #[arg(long, conflicts_with = "regions")]
    pub all_regions: bool,

    /// Assume this role and work in its account (repeatable: one per account).
    #[arg(long = "role-arn", value_name = "ARN", conflicts_with = "org_role")]
    pub role_arns: Vec<String>,

    /// Every active account of the AWS Organization: listed from the management account (or a
    /// delegated administrator) and entered through the role of this name in each
    /// (arn:PARTITION:iam::ACCOUNT:role/NAME); the calling account is read with its own
    /// credentials. Suspended and closed accounts are skipped; an account whose role cannot be
    /// assumed is an error entry, and the rest goes on.
    #[arg(long, value_name = "NAME")]
    pub org_role: Option<String>,

    /// With --org-role: only these accounts (ids, comma-separated, or @FILE with one per line).
    #[arg(long, value_name = "IDS", requires = "org_role")]
    pub accounts: Vec<String>,

    /// With --org-role: never these accounts (ids, comma-separated, or @FILE).
    #[arg(long, value_name = "IDS", requires = "org_role")]
    pub exclude_accounts: Vec<String>,

    /// Send every AWS request to this endpoint (LocalStack, moto). AWS_ENDPOINT_URL works too.
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,

    /// Account×region pairs read at once (accounts are entered this many at a time too).
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub concurrency: usize,

    /// API Gateway requests per second stagelog sends to each account and region, retries
    /// included: half of the 10 per second the account's own deployments share by default.
    /// CloudWatch Logs (half this), IAM (this) and Organizations (0.4 times this) calls are
    /// paced with it (docs/audit.md).
    #[arg(
        long,
        env = "STAGELOG_MAX_RATE",
        default_value_t = 5.0,
        value_name = "PER_SECOND",
        value_parser = positive_rate
    )]
    pub max_rate: f64,
}

/// `--max-rate`: a positive number of requests per second.
fn positive_rate(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(r) if r.is_finite() && r > 0.0 => Ok(r),
        _ => Err(format!(
            "`{s}` is not a positive number of requests per second"
        )),
    }
}

#[derive(Args, Debug)]
pub struct AuditArgs {
    #[command(flatten)]
    pub scope: ScopeArgs,

    #[command(flatten)]
    pub iac: IacArgs,

    #[command(flatten)]
    pub policy: PolicyArgs,

    #[command(flatten)]
    pub report: ReportArgs,

    /// Fewest days of retention a log group must have (SL020; default 365, or
    /// stagelog.toml's min_retention_days).
    #[arg(long, value_name = "DAYS")]
    pub min_retention_days: Option<i64>,

    /// Audit exactly what a CloudTrail event names — the API and stage a CreateStage,
    /// UpdateStage, CreateDeployment or CreateApi touched, in the event's region (the account's
    /// settings for UpdateAccount) — as CloudTrail or EventBridge delivers it: a few reads, not
    /// the region's. What the stagelog Lambda runs for each event.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["org_role", "all_regions", "regions"])]
    pub cloudtrail_event: Option<PathBuf>,

    /// Also send the findings to AWS Security Hub (BatchImportFindings in each audited account
    /// and region), and mark stagelog's findings there that are now fixed as resolved.
    #[arg(long, value_enum, ignore_case = true, value_name = "TARGET")]
    pub export: Option<Export>,
}

/// Where the code that made the live stages is, and how to match it to them.
#[derive(Args, Debug, Default, Clone)]
pub struct IacArgs {
    /// Read the infrastructure-as-code under PATH (as `scan` reads it) and show for each live
    /// stage where it is defined: CloudFormation/SAM/CDK/Serverless stacks by the stack and
    /// logical-id tags CloudFormation puts on what it creates, Terraform by --tf-state
    /// (repeatable)
    #[arg(id = "iac", long = "iac", value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// With --iac: the CloudFormation stack NAME is deployed from TEMPLATE (when no
    /// samconfig.toml, cdk.out manifest or serverless.yml under PATH says so; repeatable)
    #[arg(long, value_name = "NAME=TEMPLATE", value_parser = parse_stack, requires = "iac")]
    pub stack: Vec<(String, PathBuf)>,

    /// With --iac: a Terraform or OpenTofu state, as `terraform state pull` prints it or as
    /// `terraform show -json` shows it (of a saved plan: the state it was planned against);
    /// its stages' ids link live stages to their addresses (repeatable; a state in a root's
    /// directory belongs to that root)
    #[arg(long, value_name = "FILE", requires = "iac")]
    pub tf_state: Vec<PathBuf>,
}

fn parse_stack(s: &str) -> Result<(String, PathBuf), String> {
    match s.split_once('=') {
        Some((name, template)) if !name.is_empty() && !template.is_empty() => {
            Ok((name.to_string(), PathBuf::from(template)))
        }
        _ => Err(format!(
            "`{s}`: expected NAME=TEMPLATE, e.g. orders-prod=template.yaml"
        )),
    }
}

#[derive(Args, Debug)]
pub struct DriftArgs {
    #[command(flatten)]
    pub scope: ScopeArgs,

    #[command(flatten)]
    pub iac: IacArgs,

    #[command(flatten)]
    pub policy: PolicyArgs,

    #[command(flatten)]
    pub report: ReportArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Export {
    /// AWS Security Hub (needs securityhub:BatchImportFindings and securityhub:GetFindings).
    Securityhub,
}

#[derive(Args, Debug)]
pub struct CostArgs {
    #[command(flatten)]
    pub scope: ScopeArgs,

    #[command(flatten)]
    pub iac: IacArgs,

    /// The window measured, scaled to a month: 90s, 15m, 24h, 7d.
    #[arg(long, default_value = "30d", value_name = "DURATION")]
    pub window: String,

    /// Ingestion price per GB in USD (default: the table's price for the region and class).
    #[arg(long, value_name = "USD")]
    pub price_ingest_gb: Option<f64>,

    /// Storage price per GB-month in USD (default: the table's).
    #[arg(long, value_name = "USD")]
    pub price_store_gb_month: Option<f64>,

    /// Output format.
    #[arg(long, short = 'f', value_enum, ignore_case = true, default_value_t = CostFormat::Text)]
    pub format: CostFormat,

    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CostFormat {
    /// A table, costliest first, and totals per account and region.
    Text,
    /// `{"version": 1, "window_days", "stages": [...], "totals": {...}}`.
    Json,
    /// One row per stage and log group.
    Csv,
    /// One self-contained page with a bar chart of the costliest stages.
    Html,
}

#[derive(Args, Debug)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub scope: ScopeArgs,

    #[command(flatten)]
    pub iac: IacArgs,

    #[command(flatten)]
    pub policy: PolicyArgs,

    #[command(flatten)]
    pub report: ReportArgs,

    /// How far back an event counts as recent: 90s, 15m, 24h, 7d.
    #[arg(long, default_value = "24h", value_name = "DURATION")]
    pub window: String,

    /// How many of the most recent events are checked against the format (SL041).
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub sample: usize,
}

const DRIFT_HELP: &str = "Live stages are linked to code as `audit --iac` links them: \
CloudFormation's aws:cloudformation:stack-name and aws:cloudformation:logical-id tags on the stage \
or its API, matched to the template the stack deploys (samconfig.toml, cdk.out's manifest.json, \
serverless.yml's service and stage, or --stack NAME=TEMPLATE); Terraform state (--tf-state) \
matched by API id and stage name to an address, then to its file and line. A declared stage is \
judged not deployed only where its stack or state is known; the rest is counted in a note.

Examples:
  stagelog drift --iac . --region eu-west-1
  stagelog drift --iac infra --tf-state prod.tfstate --stack orders-prod=orders/template.yaml
  stagelog drift --iac . --org-role OrganizationAccountAccessRole --all-regions -f sarif -o drift.sarif

Exit codes as for audit: 0 nothing at or above --fail-on; 1 differences; 2 code or AWS errors.";

const COST_HELP: &str = "Ingested bytes are `AWS/Logs` `IncomingBytes` per log group, read with \
GetMetricData (up to 500 queries per call); stored bytes are DescribeLogGroups' `storedBytes`. \
Monthly cost = ingested bytes scaled from the window to 30 days × the ingestion price + stored \
bytes × the storage price (per GB, 2^30 bytes). Prices come from a table of CloudWatch Logs list \
prices per region and log class (Infrequent Access ingestion is half of Standard); regions not \
in it get us-east-1's, and each row says which it used. Prices change: --price-ingest-gb and \
--price-store-gb-month set your own.

For a stage that writes no access log: its requests in the window (`AWS/ApiGateway` `Count`) × \
the size of one line of the recommended format for its kind of API (+26 bytes per event), \
marked as an estimate.

Examples:
  stagelog cost --region eu-west-1
  stagelog cost --org-role OrganizationAccountAccessRole --all-regions --format html -o cost.html
  stagelog cost --window 7d --format json --price-ingest-gb 0.57

Exit codes: 0 measured; 2 an account, region or metric could not be read (the rest is reported).";

const LOGS_HELP: &str = "Formats: --log-format takes the format string as the stage has it \
($context variables in JSON, CLF, CSV, XML or any text), or a console preset: rest-clf, \
rest-json, rest-xml, rest-csv, http-…, websocket-… (`--log-format help` lists them). Without \
it: the stage's own format (--stage), the format of the stage that writes to the group \
(--log-group, a read-only lookup), or the keys of the first line when the log is JSON. When no \
line matches the format, that is an error (exit 2) with the first line's reason.

Fields are named as the format names them (JSON keys, XML elements, else the variable: \
identity.sourceIp); short names work everywhere: ip, caller, user, route, path, method, \
status, latency, time, id.

Examples (all 4XX requests, by route and caller):
  stagelog logs access.log --where 'status = 4xx' --count-by route,ip
  stagelog logs --stage arn:aws:apigateway:eu-west-1::/restapis/a1b2c3/stages/prod \
--since 24h --where 'status >= 400' --count-by route --latency responseLatency
  stagelog logs --log-group /aws/vendedlogs/apigateway/orders/prod --insights \
--where 'status = 4xx' --count-by route,ip --top 20 --explain

Output: records as a table (name=value per line), JSON lines or CSV; with --count-by or \
--latency, one row per group sorted by count: JSON {\"lines\", \"unparsed\", \"rows\"}. \
Exit codes: 0 read; 2 the input or the format could not be read.";

#[derive(Args, Debug)]
pub struct LogsArgs {
    /// Access log files (`-` is standard input; none: standard input, unless --stage or
    /// --log-group).
    pub files: Vec<PathBuf>,

    /// The access log format (a format string or a console preset such as rest-clf).
    #[arg(long, value_name = "FORMAT")]
    pub log_format: Option<String>,

    /// Read the destination of this stage, with its format.
    #[arg(long, value_name = "ARN", conflicts_with = "log_group")]
    pub stage: Option<String>,

    /// Read this CloudWatch Logs group.
    #[arg(long, value_name = "NAME")]
    pub log_group: Option<String>,

    /// Only requests at or after this time: RFC 3339 (2026-11-24T10:00:00Z), epoch seconds, or
    /// an age (15m, 24h, 7d). CloudWatch sources default to 24h.
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,

    /// Only requests before this time (same forms as --since).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,

    /// Keep records where FIELD OP VALUE holds (repeatable, all must hold). OP: = != < <= > >=,
    /// ~ (contains), !~; VALUE may be a class like 4xx, or an address or network
    /// (2001:db8::/32, 10.0.0.0/8).
    #[arg(long = "where", value_name = "EXPR")]
    pub filters: Vec<String>,

    /// Count records by these fields (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "FIELDS")]
    pub count_by: Vec<String>,

    /// Only the N largest groups (with --count-by; or, from Insights, N records).
    #[arg(long, value_name = "N")]
    pub top: Option<usize>,

    /// Add p50/p90/p99 of this latency field (responseLatency, integrationLatency…) in ms.
    #[arg(long, value_name = "FIELD")]
    pub latency: Option<String>,

    /// Output format.
    #[arg(long, short = 'f', value_enum, ignore_case = true, default_value_t = LogsOutput::Table)]
    pub format: LogsOutput,

    /// Print each line that does not match the format, with where and why (stderr).
    #[arg(long)]
    pub show_unparsed: bool,

    /// Run the query in CloudWatch Logs Insights instead of reading the events here.
    #[arg(long)]
    pub insights: bool,

    /// With --insights: print the query instead of running it.
    #[arg(long, requires = "insights")]
    pub explain: bool,

    /// Named profile from ~/.aws/config.
    #[arg(long)]
    pub profile: Option<String>,

    /// Region of the log group (default: the configured region; --stage: the ARN's).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,

    /// Send AWS requests to this endpoint (LocalStack, moto).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogsOutput {
    Table,
    Json,
    Csv,
}

/// Which rules run, under which policy: the same for `scan`, `fix`, `audit` and `verify`.
#[derive(Args, Debug, Default)]
pub struct PolicyArgs {
    /// Only run these rules (ids or prefixes, comma-separated or repeated: SL001,SL01).
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    pub select: Vec<String>,

    /// Do not run these rules (ids or prefixes).
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    pub ignore: Vec<String>,

    /// Policy file (default: the first stagelog.toml in the scanned directory or above it).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// Output format (default text, or stagelog.toml's format); several, comma-separated,
    /// with --output-dir (json,sarif,html).
    #[arg(
        long,
        short = 'f',
        value_parser = format_parser(),
        ignore_case = true,
        value_delimiter = ',',
        value_name = "FORMAT"
    )]
    pub format: Vec<Format>,

    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE", conflicts_with = "output_dir")]
    pub output: Option<PathBuf>,

    #[arg(long, value_name = "DIR", help = output_dir_help())]
    pub output_dir: Option<PathBuf>,

    /// Exit 1 when a reported finding is at or above this severity (`critical` is high;
    /// `none`: never fail on findings). Default: stagelog.toml's fail_on, else low.
    #[arg(
        long,
        value_parser = fail_on_parser(),
        ignore_case = true,
        value_name = "SEVERITY"
    )]
    pub fail_on: Option<FailOn>,

    /// Report only findings of these severities (comma-separated: high,medium; `critical` is
    /// high), as Trivy's --severity: the others are counted as hidden and do not decide the
    /// exit status (--fail-on is the threshold among those reported).
    #[arg(long, value_delimiter = ',', value_name = "SEVERITIES", value_parser = parse_severity)]
    pub severity: Vec<Severity>,

    /// Report errors (a file that cannot be read or parsed, a region that cannot be read) in
    /// every report but leave them out of the exit status, which then says only whether
    /// findings reached --fail-on (also `errors = "warn"` in stagelog.toml).
    #[arg(long)]
    pub errors_as_warnings: bool,

    /// Never colour the text report (also: NO_COLOR=1).
    #[arg(long)]
    pub no_color: bool,

    /// Run the rules of one framework and title the report after it: cis, soc2, pci, nist,
    /// iso27001, fsbp.
    #[arg(long, value_name = "FRAMEWORK")]
    pub compliance: Option<String>,
}

/// `--output-dir`'s help, naming each format's file.
fn output_dir_help() -> String {
    let files: Vec<&str> = Format::ALL.iter().map(|f| f.file_name()).collect();
    format!("Write one file per format into DIR: {}", files.join(", "))
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    s.parse()
}

fn parse_execution_level(s: &str) -> Result<ExecutionLevel, String> {
    s.parse()
}

/// `--format`: the pipeline's formats, each with its line of help.
fn format_parser() -> impl TypedValueParser<Value = Format> {
    PossibleValuesParser::new(Format::ALL.map(|f| PossibleValue::new(f.name()).help(f.about())))
        .map(|s| s.parse::<Format>().expect("one of the possible values"))
}

/// `--fail-on`: a severity or `none`.
fn fail_on_parser() -> impl TypedValueParser<Value = FailOn> {
    PossibleValuesParser::new([
        PossibleValue::new("info"),
        PossibleValue::new("low"),
        PossibleValue::new("medium"),
        // Trivy's and Checkov's highest level; stagelog's highest is high.
        PossibleValue::new("high").alias("critical"),
        PossibleValue::new("none"),
    ])
    .map(|s| s.parse::<FailOn>().expect("one of the possible values"))
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListFormat {
    /// A table for the terminal.
    Text,
    /// An array of rules.
    Json,
    /// The Markdown table the README carries.
    Markdown,
}

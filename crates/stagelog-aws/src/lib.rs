//! Live AWS → model, through the official AWS SDK for Rust; the only crate that talks to AWS.
//! Reading (`audit`, `verify`, `logs`) is read-only: every call is a Get/List/Describe (see the
//! README for the IAM policies). Writing happens only in `fix` (live fixes with a journal, and
//! rollback) and `securityhub` (the export). Accounts and regions are read in parallel with a
//! bound; the SDK's standard retry mode (10 attempts, backoff capped at 5 s) absorbs API
//! Gateway's throttling; a scope that fails is reported and the rest go on.

pub mod cloudtrail;
pub mod config;
mod cost;
pub mod fix;
mod flow;
mod iam;
pub mod logread;
mod logs;
mod org;
pub mod pace;
mod scope;
pub mod securityhub;

pub use cost::CostWindow;
pub use flow::VerifyOptions;
pub use org::parse_account_list;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use futures::stream::{self, StreamExt};
use stagelog_model::{Inventory, Problem};
use std::sync::Arc;

/// What to audit and how.
#[derive(Clone, Default)]
pub struct AuditOptions {
    pub profile: Option<String>,
    /// Regions to read; empty means the configured default region (unless `all_regions`).
    pub regions: Vec<String>,
    /// Every region enabled for each account (Account `ListRegions`).
    pub all_regions: bool,
    /// Roles to assume, one per account; empty means the current credentials' account.
    pub role_arns: Vec<String>,
    /// Walk the Organization (`--org-role NAME`): every active account, entered through
    /// `arn:PARTITION:iam::ACCOUNT:role/NAME` (the calling account with its own credentials).
    pub org_role: Option<String>,
    /// With `org_role`: only these accounts (empty: all).
    pub only_accounts: Vec<String>,
    /// With `org_role`: never these accounts.
    pub exclude_accounts: Vec<String>,
    /// Endpoint for every service (LocalStack, moto); `AWS_ENDPOINT_URL` works too.
    pub endpoint_url: Option<String>,
    /// Account×region scopes read at once (default 8).
    pub concurrency: usize,
    pub progress: Option<Arc<dyn Progress>>,
    /// Also read what arrives in each stage's access log group (`stagelog verify`).
    pub verify: Option<VerifyOptions>,
    /// Also read what each log group took in, and the traffic of stages that do not log
    /// (`stagelog cost`, `fix --live`'s estimate).
    pub cost: Option<CostWindow>,
    /// Read one API (and stage) in each scope instead of every API: what a CloudTrail event
    /// names (`audit --cloudtrail-event`), at the cost of one or two reads, not a region's.
    pub focus: Option<cloudtrail::Focus>,
    /// API Gateway requests per second per account and region (`--max-rate`); the other
    /// services' rates follow [`pace::Rates`]. `None`: the default, 5.
    pub max_rate: Option<f64>,
    /// Counts every request sent, for progress (shared with the caller's progress bar).
    pub counter: Option<Arc<pace::Counter>>,
}

/// Progress callbacks, for a progress bar.
pub trait Progress: Send + Sync {
    /// How many accounts the run covers (known before their regions are).
    fn accounts_planned(&self, _accounts: usize) {}
    fn scopes_planned(&self, total: usize);
    fn scope_done(&self, account: &str, region: &str, apis: usize);
    /// Where the audit counts the requests it sends, for the progress to show.
    fn counter(&self) -> Option<Arc<pace::Counter>> {
        None
    }
}

#[derive(Debug, Default)]
pub struct AuditOutput {
    /// One per account and region, sorted by account then region.
    pub inventories: Vec<Inventory>,
    pub errors: Vec<Problem>,
    /// Account×region pairs read.
    pub scopes: usize,
    /// The account×region pairs read (what `--verbose` lists), sorted.
    pub covered: Vec<(String, String)>,
    /// Accounts of the Organization left out because they are not active (id, state).
    pub inactive_accounts: Vec<(String, String)>,
    /// Scopes whose usage metrics could not be read (`cost`): errors for `stagelog cost`, a
    /// missing estimate for `fix --live`.
    pub cost_errors: Vec<Problem>,
    /// How something was read that a user may want to know with --verbose (an Infrequent
    /// Access group read with Logs Insights).
    pub notes: Vec<String>,
    /// REST and v2 APIs found.
    pub apis: usize,
}

/// Runs an audit on a runtime of its own (the rest of stagelog is synchronous).
pub fn audit_blocking(opts: AuditOptions) -> AuditOutput {
    match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt.block_on(audit(opts)),
        Err(e) => AuditOutput {
            errors: vec![Problem::in_scope(
                None,
                None,
                format!("cannot start the async runtime: {e}"),
            )],
            ..AuditOutput::default()
        },
    }
}

/// The error and its causes, one line: the SDK's top-level message alone ("service error",
/// "dispatch failure") says little; the cause says "access denied" or "connection refused".
fn sdk_error(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

/// Why the caller's identity could not be read: when the SDK found no credentials, where it
/// looked (not the provider chain's internals, such as the instance metadata service's
/// refusal); otherwise the SDK's error.
pub(crate) fn identity_error(e: &(dyn std::error::Error + 'static)) -> String {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if s.downcast_ref::<aws_credential_types::provider::error::CredentialsError>()
            .is_some()
        {
            return "no AWS credentials found: looked in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), a profile (--profile or AWS_PROFILE, in ~/.aws/config and ~/.aws/credentials; SSO profiles after `aws sso login`), web identity and container or instance metadata".into();
        }
        source = s.source();
    }
    format!("cannot read the caller's identity: {}", sdk_error(e))
}

struct Account {
    id: String,
    config: SdkConfig,
}

async fn base_config(opts: &AuditOptions) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        // Standard mode, many attempts, short backoff cap: API Gateway's control plane throttles
        // hard. Adaptive mode's client-side rate limiter was measured 10x slower to finish the
        // same audit under injected throttling (213 s against 20 s), with the same results.
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(10)
                .with_max_backoff(std::time::Duration::from_secs(5)),
        )
        // Shows as `app/stagelog` in the user agent, so CloudTrail tells who called.
        .app_name(aws_config::AppName::new("stagelog").expect("valid app name"));
    if let Some(p) = &opts.profile {
        loader = loader.profile_name(p);
    }
    if let Some(url) = &opts.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    // Account-wide calls (STS, IAM, Account) need some region; each scope sets its own.
    let fallback = opts
        .regions
        .first()
        .cloned()
        .unwrap_or_else(|| "us-east-1".to_string());
    loader = loader.region(
        aws_config::meta::region::RegionProviderChain::default_provider()
            .or_else(Region::new(fallback)),
    );
    loader.load().await
}

/// The SDK configuration the audit's calls use (retries, user agent, endpoint, credentials), in
/// the options' first region: for callers that write what an audit found (Config evaluations).
pub async fn sdk_config(opts: &AuditOptions) -> SdkConfig {
    let base = base_config(opts).await;
    match opts.regions.first() {
        Some(region) => base
            .to_builder()
            .region(Region::new(region.clone()))
            .build(),
        None => base,
    }
}

/// The region configured by environment or profile, if any.
async fn configured_region(opts: &AuditOptions) -> Option<String> {
    let mut chain = aws_config::meta::region::RegionProviderChain::default_provider();
    if let Some(p) = &opts.profile {
        chain = aws_config::meta::region::RegionProviderChain::first_try(
            aws_config::profile::ProfileFileRegionProvider::builder()
                .profile_name(p)
                .build(),
        )
        .or_default_provider();
    }
    chain.region().await.map(|r| r.to_string())
}

async fn accounts(
    opts: &AuditOptions,
    base: &SdkConfig,
    errors: &mut Vec<Problem>,
    inactive: &mut Vec<(String, String)>,
) -> Vec<Account> {
    let assume = |arn: String| async move {
        let provider = aws_config::sts::AssumeRoleProvider::builder(arn.clone())
            .session_name("stagelog-audit")
            .configure(base)
            .build()
            .await;
        let config = base
            .to_builder()
            .credentials_provider(aws_credential_provider(provider))
            .build();
        (Some(arn), config)
    };
    let mut configs = Vec::new();
    if let Some(role) = &opts.org_role {
        match org::accounts(base, &opts.only_accounts, &opts.exclude_accounts).await {
            Ok(found) => {
                for id in &found.accounts {
                    if *id == found.caller {
                        configs.push((None, base.clone()));
                    } else {
                        configs.push(
                            assume(stagelog_model::arn::iam_role(&found.partition, id, role)).await,
                        );
                    }
                }
                *inactive = found.inactive;
                errors.extend(found.unknown.into_iter().map(|id| {
                    Problem::in_scope(
                        Some(id),
                        None,
                        "--accounts names it, but the Organization does not list it",
                    )
                }));
            }
            Err(message) => errors.push(Problem::in_scope(None, None, message)),
        }
    } else if opts.role_arns.is_empty() {
        configs.push((None, base.clone()));
    } else {
        for arn in &opts.role_arns {
            configs.push(assume(arn.clone()).await);
        }
    }
    // Each account's first call tells whether it can be entered at all; the accounts are
    // probed together, so an organisation of hundreds does not wait on them one by one.
    let probed: Vec<_> = stream::iter(configs)
        .map(|(role, config)| async move {
            // Fail fast rather than retrying an unreachable endpoint ten times.
            let probe = config
                .to_builder()
                .retry_config(RetryConfig::standard().with_max_attempts(2))
                .build();
            let id = aws_sdk_sts::Client::new(&probe)
                .get_caller_identity()
                .send()
                .await;
            (role, config, id)
        })
        .buffered(opts.concurrency.max(1))
        .collect()
        .await;
    let mut out = Vec::new();
    for (role, config, id) in probed {
        match id {
            Ok(id) => out.push(Account {
                id: id.account().unwrap_or("unknown").to_string(),
                config,
            }),
            Err(e) => errors.push(Problem::in_scope(
                role.as_ref()
                    .and_then(|r| r.split(':').nth(4))
                    .map(str::to_string),
                None,
                match role {
                    Some(r) => format!("cannot assume {r}: {}", sdk_error(&e)),
                    None => identity_error(&e),
                },
            )),
        }
    }
    out
}

/// An assumed role's credentials for every client of the account. The SDK caches identities
/// per client, so each client made from the account's config (API Gateway, v2, Logs, IAM, in
/// each region) assumed the role again: 9 AssumeRole calls per member of an organisation walk
/// where 1 serves (scripts/bench-audit). Refreshed five minutes before they expire.
pub(crate) fn aws_credential_provider(
    p: aws_config::sts::AssumeRoleProvider,
) -> aws_credential_types::provider::SharedCredentialsProvider {
    aws_credential_types::provider::SharedCredentialsProvider::new(SharedAssumedRole {
        role: p,
        cached: tokio::sync::Mutex::new(None),
    })
}

#[derive(Debug)]
struct SharedAssumedRole {
    role: aws_config::sts::AssumeRoleProvider,
    cached: tokio::sync::Mutex<Option<aws_credential_types::Credentials>>,
}

impl aws_credential_types::provider::ProvideCredentials for SharedAssumedRole {
    fn provide_credentials<'a>(
        &'a self,
    ) -> aws_credential_types::provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        aws_credential_types::provider::future::ProvideCredentials::new(async move {
            let mut cached = self.cached.lock().await;
            let fresh_until = std::time::SystemTime::now() + std::time::Duration::from_secs(300);
            if let Some(c) = cached.as_ref() {
                if c.expiry().is_none_or(|e| e > fresh_until) {
                    return Ok(c.clone());
                }
            }
            let credentials = self.role.provide_credentials().await?;
            *cached = Some(credentials.clone());
            Ok(credentials)
        })
    }
}

async fn regions_of(opts: &AuditOptions, account: &Account) -> Result<Vec<String>, String> {
    if opts.all_regions {
        let client = aws_sdk_account::Client::new(&account.config);
        let mut out = Vec::new();
        let mut token = None;
        loop {
            let page = client
                .list_regions()
                .region_opt_status_contains(aws_sdk_account::types::RegionOptStatus::Enabled)
                .region_opt_status_contains(
                    aws_sdk_account::types::RegionOptStatus::EnabledByDefault,
                )
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| format!("cannot list the account's regions: {}", sdk_error(&e)))?;
            out.extend(
                page.regions()
                    .iter()
                    .filter_map(|r| r.region_name().map(str::to_string)),
            );
            token = page.next_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
        out.sort();
        out.dedup();
        return Ok(out);
    }
    if !opts.regions.is_empty() {
        return Ok(opts.regions.clone());
    }
    match configured_region(opts).await {
        Some(r) => Ok(vec![r]),
        None => Err(
            "no region: pass --region R (repeatable) or --all-regions, or set AWS_REGION".into(),
        ),
    }
}

/// The account's roles trusted by API Gateway that none of its regions' settings name (every
/// enabled region was read), put on its first region's inventory.
async fn unused_roles(
    account: &Account,
    inventories: &mut [(String, String, Inventory)],
    errors: &mut Vec<Problem>,
) {
    let mine: Vec<usize> = (0..inventories.len())
        .filter(|i| inventories[*i].0 == account.id)
        .collect();
    let Some(&first) = mine.first() else {
        return;
    };
    let used: std::collections::BTreeSet<String> = mine
        .iter()
        .flat_map(|i| &inventories[*i].2.accounts)
        .filter_map(|a| a.cloudwatch_role_arn.as_ref()?.as_known())
        .collect();
    match iam::trusted_by_apigateway(&account.config).await {
        Ok(trusted) => {
            let (_, region, inv) = &mut inventories[first];
            inv.unused_roles = trusted
                .into_iter()
                .filter(|(_, arn)| !used.contains(arn))
                .map(|(name, arn)| stagelog_model::UnusedRole {
                    location: stagelog_model::Location::live(&account.id, region, arn.clone()),
                    name,
                    arn,
                })
                .collect();
        }
        Err(message) => errors.push(Problem::in_scope(Some(account.id.clone()), None, message)),
    }
}

/// What paces an audit's requests: one shared HTTPS client, the rates, the request counter.
struct Pacing {
    http: aws_smithy_runtime_api::client::http::SharedHttpClient,
    rates: pace::Rates,
    counter: Arc<pace::Counter>,
}

impl Pacing {
    fn new(opts: &AuditOptions) -> Pacing {
        Pacing {
            http: pace::default_https_client(),
            rates: pace::Rates::with_max_rate(opts.max_rate.unwrap_or(pace::DEFAULT_MAX_RATE)),
            counter: opts
                .counter
                .clone()
                .or_else(|| opts.progress.as_ref().and_then(|p| p.counter()))
                .unwrap_or_default(),
        }
    }

    /// `config` with limiters of its own: one account's.
    fn account(&self, config: &SdkConfig) -> SdkConfig {
        config
            .to_builder()
            .http_client(pace::PacedClient::new(
                self.http.clone(),
                self.rates,
                self.counter.clone(),
            ))
            .build()
    }
}

/// Reads every account and region the options name.
pub async fn audit(opts: AuditOptions) -> AuditOutput {
    let mut out = AuditOutput::default();
    let pacing = Pacing::new(&opts);
    let base = pacing.account(&base_config(&opts).await);
    let mut accounts = accounts(&opts, &base, &mut out.errors, &mut out.inactive_accounts).await;
    for account in &mut accounts {
        account.config = pacing.account(&account.config);
    }
    if let Some(p) = &opts.progress {
        p.accounts_planned(accounts.len());
    }
    let mut scopes = Vec::new();
    for account in &accounts {
        match regions_of(&opts, account).await {
            Ok(regions) => {
                for r in regions {
                    scopes.push((account, r));
                }
            }
            Err(message) => {
                out.errors
                    .push(Problem::in_scope(Some(account.id.clone()), None, message))
            }
        }
    }
    if let Some(p) = &opts.progress {
        p.scopes_planned(scopes.len());
    }
    out.scopes = scopes.len();
    out.covered = scopes
        .iter()
        .map(|(account, region)| (account.id.clone(), region.clone()))
        .collect();
    out.covered.sort();
    let roles = iam::RoleCache::default();
    let concurrency = opts.concurrency.max(1);
    let results: Vec<_> = stream::iter(scopes)
        .map(|(account, region)| {
            let roles = &roles;
            let progress = opts.progress.clone();
            let verify = opts.verify;
            let cost = opts.cost;
            let focus = opts.focus.clone();
            async move {
                let mut r =
                    scope::read(&account.config, &account.id, &region, roles, focus.as_ref()).await;
                let mut cost_error = None;
                if let (Some(window), Some(inv)) = (cost, r.inventory.as_mut()) {
                    if let Err(message) =
                        cost::annotate(&account.config, &region, inv, &window).await
                    {
                        cost_error = Some(Problem::in_scope(
                            Some(account.id.clone()),
                            Some(region.clone()),
                            message,
                        ));
                    }
                }
                let mut notes = Vec::new();
                if let (Some(v), Some(inv)) = (verify, r.inventory.as_mut()) {
                    let mut problems = Vec::new();
                    flow::annotate(&account.config, &region, inv, &v, &mut problems, &mut notes)
                        .await;
                    r.errors.extend(problems.into_iter().map(|message| {
                        Problem::in_scope(Some(account.id.clone()), Some(region.clone()), message)
                    }));
                }
                if let Some(p) = progress {
                    p.scope_done(&account.id, &region, r.apis);
                }
                (r, cost_error, notes)
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let mut inventories = Vec::new();
    for (r, cost_error, notes) in results {
        out.notes.extend(notes);
        out.apis += r.apis;
        out.errors.extend(r.errors);
        out.cost_errors.extend(cost_error);
        if let Some(inv) = r.inventory {
            inventories.push((r.account, r.region, inv));
        }
    }
    inventories.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    if opts.all_regions {
        for account in &accounts {
            unused_roles(account, &mut inventories, &mut out.errors).await;
        }
    } else if !inventories.is_empty() {
        out.notes.push(
            "roles trusted by API Gateway that no region's settings use (SL032) are looked for with --all-regions: an audit of some regions cannot tell".into(),
        );
    }
    out.inventories = inventories.into_iter().map(|(_, _, inv)| inv).collect();
    out.errors.sort_by(|a, b| {
        (&a.account, &a.region, &a.message).cmp(&(&b.account, &b.region, &b.message))
    });
    out
}

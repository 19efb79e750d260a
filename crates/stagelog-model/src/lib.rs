//! The one model every source is adapted into: API Gateway stages, the log groups they write
//! to, and per-account settings. No I/O and no source syntax live here; rules judge this model
//! only, so Terraform, CloudFormation and live AWS give the same findings for the same state.

pub mod arn;
pub mod context_vars;
mod finding;
mod problem;
mod remedy;
mod text;

pub use finding::{Finding, Severity};
pub use problem::Problem;
pub use remedy::{
    clean_name_part, ExecutionLevel, KeptField, LogGroupTemplate, Placeholder, Remedy,
    RetentionDays, RetentionError, SettingsTarget, TemplateError,
};
pub use text::{Segment, Text};

use serde::Serialize;

/// Which API Gateway product a stage belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ApiKind {
    /// API Gateway v1 REST API.
    Rest,
    /// API Gateway v2 HTTP API.
    Http,
    /// API Gateway v2 WebSocket API.
    #[serde(rename = "websocket")]
    WebSocket,
    /// A v2 stage whose API's protocol could not be resolved (HTTP or WebSocket).
    V2,
}

impl ApiKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ApiKind::Rest => "rest",
            ApiKind::Http => "http",
            ApiKind::WebSocket => "websocket",
            ApiKind::V2 => "v2",
        }
    }

    pub fn is_v2(self) -> bool {
        !matches!(self, ApiKind::Rest)
    }

    /// REST and WebSocket APIs write execution logs; HTTP APIs cannot (AWS rejects the setting).
    pub fn has_execution_logging(self) -> bool {
        matches!(self, ApiKind::Rest | ApiKind::WebSocket)
    }
}

/// A value that is either known, or depends on something the source does not resolve
/// (a variable without default, an import, a runtime attribute). Absence is `Option::None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value<T> {
    Known(T),
    /// The expression, as written in the source, that could not be resolved.
    Unknown(String),
}

impl<T> Value<T> {
    pub fn known(&self) -> Option<&T> {
        match self {
            Value::Known(v) => Some(v),
            Value::Unknown(_) => None,
        }
    }
}

/// Where a model object came from: a file and line (IaC) or an ARN in an account and region.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    pub source: SourceKind,
    /// Path as given to the scanner (relative to the working directory when it was relative).
    pub file: Option<String>,
    /// 1-based line where the object starts.
    pub line: Option<u32>,
    /// 1-based line where it ends (the resource's closing line), when known.
    pub end_line: Option<u32>,
    /// Terraform address, CloudFormation logical id, or ARN.
    pub resource: String,
    /// The resource type as the source names it (`aws_apigatewayv2_api`,
    /// `AWS::ApiGatewayV2::Api`), so each source can word its fixes; `None` live.
    pub resource_type: Option<String>,
    pub account: Option<String>,
    pub region: Option<String>,
    /// The module calls this object came through, outermost first.
    pub via: Vec<CallSite>,
    /// (Live, with `--iac`) where the code that made this object declares it.
    pub defined_at: Option<Box<Origin>>,
}

/// Where code declares a live object, as `--iac` found it: CloudFormation's stack and
/// logical-id tags matched to a template, or a Terraform state's id matched to an address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Origin {
    pub file: String,
    pub line: Option<u32>,
    /// `stack/LogicalId`, or the Terraform address.
    pub id: String,
    /// How the link was made (`cloudformation tags`, `terraform state`).
    pub by: &'static str,
    /// The CDK construct that made it (`/ChatStack/ChatApi/LiveStage`), when a cloud assembly
    /// says: where a CDK user's own code is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub construct: Option<String>,
    /// The module calls the declaration is reached through, outermost first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub via: Vec<CallSite>,
}

impl std::fmt::Display for Origin {
    /// `file:line (id)`, as editors open it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line} ({}", self.file, self.id)?,
            None => write!(f, "{} ({}", self.file, self.id)?,
        }
        match &self.construct {
            Some(construct) => write!(f, ", CDK construct {construct})"),
            None => f.write_str(")"),
        }
    }
}

impl Location {
    /// A live resource: its ARN (or id) in an account and region.
    pub fn live(account: &str, region: &str, resource: String) -> Location {
        Location {
            source: SourceKind::Live,
            file: None,
            line: None,
            end_line: None,
            resource,
            resource_type: None,
            account: Some(account.to_string()),
            via: vec![],
            region: Some(region.to_string()),
            defined_at: None,
        }
    }
}

/// A `module` block a resource was reached through: where it is, and the call's address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallSite {
    pub file: String,
    pub line: u32,
    /// `module.api`, `module.regional["eu"]`.
    pub call: String,
}

impl std::fmt::Display for CallSite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{} ({})", self.file, self.line, self.call)
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    #[default]
    Terraform,
    CloudFormation,
    Sam,
    /// The Serverless Framework's `serverless.yml`.
    Serverless,
    Live,
}

/// Execution log level (`loggingLevel` / `LoggingLevel`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogLevel {
    Off,
    Error,
    Info,
    /// A value AWS does not accept, kept as written.
    Invalid(String),
}

impl LogLevel {
    pub fn parse(s: &str) -> LogLevel {
        match s.trim().to_ascii_uppercase().as_str() {
            "OFF" => LogLevel::Off,
            "ERROR" => LogLevel::Error,
            "INFO" => LogLevel::Info,
            _ => LogLevel::Invalid(s.to_string()),
        }
    }
}

/// Execution logging settings for the stage default (`*/*`, default route) or one method/route.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MethodSettings {
    pub logging_level: Option<Value<LogLevel>>,
    pub data_trace: Option<Value<bool>>,
    /// Where these settings are declared, when that is not the stage itself
    /// (e.g. a separate `aws_api_gateway_method_settings` resource).
    pub location: Option<Location>,
}

/// An access log destination as resolved from the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// The ARN, with holes where parts are unresolved.
    pub arn: Text,
    /// The log group in the inventory it points at, when the source says so.
    pub log_group: Option<usize>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessLog {
    pub destination: Option<Destination>,
    pub format: Option<Text>,
    /// Line of the access log settings, when it differs from the stage's.
    pub line: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    pub api_kind: ApiKind,
    /// API id or name as far as it is known (for messages and grouping).
    pub api: Option<Text>,
    /// The API's name, where the source has it apart from its id (live).
    pub api_name: Option<String>,
    pub name: Text,
    pub access_log: Option<Value<AccessLog>>,
    /// `*/*` for REST, the default route settings for v2.
    pub default_settings: MethodSettings,
    /// Per method path (`resource/METHOD`) or route key.
    pub overrides: Vec<(String, MethodSettings)>,
    /// The `API-Gateway-Execution-Logs_{api-id}/{stage}` group API Gateway writes execution
    /// logs to, when it is known to exist (live only).
    pub execution_log_group: Option<usize>,
    /// Where CloudWatch Logs deliveries send the stage's execution logs besides that group
    /// (a delivery source of log type `EXECUTION_LOGS` on the stage; REST only).
    pub execution_deliveries: Vec<ExecutionDelivery>,
    /// Why this stage exists when the source does not declare it (e.g. SAM's `Stage` stage).
    pub note: Option<String>,
    /// What `verify` saw arriving in the access log destination (live, verify only).
    pub flow: Option<LogFlow>,
    /// What `verify` saw arriving in the log groups execution-log deliveries write to.
    pub delivery_flows: Vec<LogFlow>,
    /// Requests the stage served in the cost window (live, `stagelog cost` only).
    pub requests: Option<u64>,
    /// (Live) the stage's tags, then its API's: CloudFormation's `aws:cloudformation:stack-name`
    /// and `aws:cloudformation:logical-id` name the stack and resource that made them.
    pub tags: Tags,
    pub location: Location,
}

/// A live stage's tags and its API's, as GetStages and GetRestApis/GetApis return them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tags {
    pub stage: Vec<(String, String)>,
    pub api: Vec<(String, String)>,
}

impl Tags {
    /// The stack and logical id CloudFormation tagged the stage (`on_api` false) or its API with.
    pub fn cloudformation(&self, on_api: bool) -> Option<(&str, &str)> {
        let tags = if on_api { &self.api } else { &self.stage };
        let get = |key: &str| tags.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
        Some((
            get("aws:cloudformation:stack-name")?,
            get("aws:cloudformation:logical-id")?,
        ))
    }
}

/// A CloudWatch Logs delivery of a stage's execution logs: delivery source (log type
/// `EXECUTION_LOGS`, resource `arn:aws:apigateway:REGION:ACCOUNT:/restapis/ID/stages/NAME`) →
/// delivery → delivery destination (a log group, S3 bucket or Firehose stream).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutionDelivery {
    /// The destination's resource ARN, as far as it is known.
    pub destination: Text,
    /// The log group of the inventory it delivers to, when it is one.
    pub log_group: Option<usize>,
    /// The delivery: where it is declared (IaC), or its ARN (live).
    pub location: Location,
}

/// Whether access logs really arrive: what `stagelog verify` reads from CloudWatch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogFlow {
    /// The destination log group's name.
    pub log_group: String,
    pub group_exists: bool,
    /// The window looked at: `[since_ms, checked_at_ms)`.
    pub since_ms: i64,
    pub checked_at_ms: i64,
    /// Newest event in the log group, when it has any.
    pub newest_event_ms: Option<i64>,
    /// Requests the stage served in the window (CloudWatch metrics), when they could be read.
    pub requests: Option<u64>,
    /// Why `requests` is unknown.
    pub requests_error: Option<String>,
    /// The most recent events (newest last), to check against the format.
    pub recent_events: Vec<String>,
}

impl Stage {
    /// A stage with nothing configured: no access logs, no execution log settings.
    pub fn new(api_kind: ApiKind, name: Text, location: Location) -> Stage {
        Stage {
            api_kind,
            api: None,
            api_name: None,
            name,
            access_log: None,
            default_settings: MethodSettings::default(),
            overrides: vec![],
            execution_log_group: None,
            execution_deliveries: vec![],
            note: None,
            flow: None,
            delivery_flows: vec![],
            requests: None,
            tags: Tags::default(),
            location,
        }
    }

    /// Whether this stage asks API Gateway to write any log (access or execution).
    pub fn logs_something(&self) -> bool {
        let access = matches!(&self.access_log, Some(Value::Known(a)) if a.destination.is_some());
        let level_on = |m: &MethodSettings| {
            matches!(
                &m.logging_level,
                Some(Value::Known(LogLevel::Error | LogLevel::Info))
            )
        };
        access
            || level_on(&self.default_settings)
            || self.overrides.iter().any(|(_, m)| level_on(m))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogGroup {
    pub name: Text,
    pub retention_days: Option<Value<i64>>,
    pub kms_key: Option<Text>,
    /// Milliseconds since the epoch of the newest event, when known (live only).
    pub last_event_ms: Option<i64>,
    /// The log class, when the source says (live: DescribeLogGroups; IaC: `log_group_class`,
    /// `LogGroupClass`). Absent means CloudWatch's default, Standard.
    pub class: Option<LogClass>,
    /// Bytes stored now (live: DescribeLogGroups `storedBytes`).
    pub stored_bytes: Option<u64>,
    /// What arrived in a window (live: `AWS/Logs` `IncomingBytes`, read by `stagelog cost`).
    pub usage: Option<Usage>,
    pub location: Location,
}

impl LogGroup {
    /// A log group as written, with nothing measured.
    pub fn declared(
        name: Text,
        retention_days: Option<Value<i64>>,
        kms_key: Option<Text>,
        location: Location,
    ) -> LogGroup {
        LogGroup {
            name,
            retention_days,
            kms_key,
            last_event_ms: None,
            class: None,
            stored_bytes: None,
            usage: None,
            location,
        }
    }

    /// Infrequent Access groups cannot be read with FilterLogEvents (Logs Insights can).
    pub fn is_infrequent_access(&self) -> bool {
        self.class == Some(LogClass::InfrequentAccess)
    }
}

/// A CloudWatch Logs log class (`logGroupClass`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum LogClass {
    #[serde(rename = "STANDARD")]
    Standard,
    #[serde(rename = "INFREQUENT_ACCESS")]
    InfrequentAccess,
    /// Groups only a delivery writes to (no queries, no subscription).
    #[serde(rename = "DELIVERY")]
    Delivery,
}

impl LogClass {
    pub fn parse(s: &str) -> Option<LogClass> {
        match s {
            "STANDARD" => Some(LogClass::Standard),
            "INFREQUENT_ACCESS" => Some(LogClass::InfrequentAccess),
            "DELIVERY" => Some(LogClass::Delivery),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            LogClass::Standard => "STANDARD",
            LogClass::InfrequentAccess => "INFREQUENT_ACCESS",
            LogClass::Delivery => "DELIVERY",
        }
    }
}

/// What a log group took in over a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    pub ingested_bytes: u64,
    pub window_ms: i64,
}

/// API Gateway account settings for one account and region (`aws_api_gateway_account`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSettings {
    pub cloudwatch_role_arn: Option<Text>,
    /// What IAM says about that role, when it could be read (live only).
    pub role: Option<RoleFacts>,
    pub location: Location,
}

/// The CloudWatch role as IAM describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleFacts {
    pub exists: bool,
    /// Whether the trust policy lets `apigateway.amazonaws.com` assume the role.
    pub trusts_apigateway: bool,
    /// Actions (patterns as written, e.g. `logs:*`) allowed on all resources by the role's
    /// attached and inline policies, net of explicit denies.
    pub allowed_actions: Vec<String>,
    pub denied_actions: Vec<String>,
}

/// Everything one source unit (a Terraform module, a template, an account) declares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inventory {
    pub stages: Vec<Stage>,
    pub log_groups: Vec<LogGroup>,
    pub accounts: Vec<AccountSettings>,
    /// True when the inventory is read from live AWS (so absence is a fact, not an omission).
    pub live: bool,
    /// Every log group a destination names was looked up, so one not in `log_groups` does not
    /// exist (live, when CloudWatch Logs could be read).
    pub log_groups_complete: bool,
    /// Suppression marks the source puts on its resources, collected while adapting so nothing
    /// reads a file again after the scan.
    pub marks: Vec<Mark>,
    /// (Live) roles of the account that trust `apigateway.amazonaws.com` and that no region's
    /// API Gateway account settings name: read only when every enabled region was audited.
    pub unused_roles: Vec<UnusedRole>,
    /// The CloudFormation stack this unit deploys as, when the source names it (a Serverless
    /// service: `provider.stackName`, else `{service}-{stage}`).
    pub stack: Option<Text>,
    /// (`stagelog drift`) each stage as the code declares it beside the account's.
    pub drift: Vec<StagePair>,
}

/// One stage as code declares it and as an account has it (`stagelog drift`); either side may
/// be missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagePair {
    pub declared: Option<Stage>,
    pub live: Option<Stage>,
    /// What the records say beyond the two sides: who sets logging outside this kind of code
    /// (both sides), why no code matched (live only), where the stage was looked for
    /// (declared only).
    pub context: Option<String>,
}

/// An IAM role trusted by API Gateway that no region's account settings use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnusedRole {
    pub name: String,
    pub arn: String,
    /// The account (IAM is global: the region is where the audit reads it from).
    pub location: Location,
}

/// A suppression mark on a resource: an HCL comment (`# stagelog:ignore SL001 -- why`,
/// `#checkov:skip=…`) or CloudFormation `Metadata`, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    pub file: String,
    /// The resource the mark is on: findings in `file` within these lines (Terraform, where a
    /// resource's instances share the block), or with this logical id (CloudFormation).
    pub lines: Option<(u32, u32)>,
    pub resource: Option<String>,
    /// Whose syntax the mark is written in.
    pub by: MarkTool,
    /// The rule id as the mark names it (a stagelog id or prefix, or a peer's id).
    pub id: String,
    pub reason: Option<String>,
    /// The line of the mark itself.
    pub line: u32,
}

/// The tool whose syntax a suppression mark is written in: stagelog's own, or a peer's, whose
/// ids map to stagelog's rules (so a team can switch without editing its marks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MarkTool {
    /// `# stagelog:ignore SL001 -- why`, `Metadata: stagelog: ignore:`.
    Stagelog,
    /// `#checkov:skip=CKV_AWS_76:why`, `Metadata: checkov: skip:`.
    Checkov,
    /// `#trivy:ignore:AVD-AWS-0001` (Trivy reads tfsec's ids in it too).
    Trivy,
    /// `#tfsec:ignore:aws-api-gateway-enable-access-logging`.
    Tfsec,
    /// `# kics-scan ignore-line`, `ignore-block`, `disable=…`.
    Kics,
    /// `Metadata: cfn_nag: rules_to_suppress:`.
    CfnNag,
    /// `Metadata: cdk_nag: rules_to_suppress:`.
    CdkNag,
    /// `Metadata: guard: SuppressedRules:`.
    Guard,
}

impl Mark {
    /// The id of a mark that names no rule: KICS's `ignore-line`, `ignore-block` and `ignore`
    /// silence every KICS query where they stand.
    pub const ANY: &'static str = "*";
}

impl MarkTool {
    /// As reports name it (`inline` is stagelog's own).
    pub fn as_str(self) -> &'static str {
        match self {
            MarkTool::Stagelog => "inline",
            MarkTool::Checkov => "checkov",
            MarkTool::Trivy => "trivy",
            MarkTool::Tfsec => "tfsec",
            MarkTool::Kics => "kics",
            MarkTool::CfnNag => "cfn_nag",
            MarkTool::CdkNag => "cdk_nag",
            MarkTool::Guard => "guard",
        }
    }
}

impl std::fmt::Display for MarkTool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Inventory {
    /// Takes in another source's inventory (e.g. the CloudFormation `resources:` of a
    /// serverless.yml), keeping its stages' links to its own log groups.
    pub fn absorb(&mut self, mut other: Inventory) {
        let offset = self.log_groups.len();
        for stage in &mut other.stages {
            if let Some(Value::Known(AccessLog {
                destination: Some(d),
                ..
            })) = &mut stage.access_log
            {
                if let Some(i) = &mut d.log_group {
                    *i += offset;
                }
            }
            for i in stage
                .execution_deliveries
                .iter_mut()
                .filter_map(|d| d.log_group.as_mut())
            {
                *i += offset;
            }
            if let Some(i) = &mut stage.execution_log_group {
                *i += offset;
            }
        }
        self.stages.append(&mut other.stages);
        self.log_groups.append(&mut other.log_groups);
        self.accounts.append(&mut other.accounts);
        self.marks.append(&mut other.marks);
    }

    /// Every location the inventory holds: stages, their method settings, log groups and
    /// accounts (for sources that relocate what they found, such as plan files).
    pub fn locations_mut(&mut self) -> Vec<&mut Location> {
        let mut out: Vec<&mut Location> = Vec::new();
        for s in &mut self.stages {
            out.push(&mut s.location);
            out.extend(s.default_settings.location.as_mut());
            out.extend(
                s.overrides
                    .iter_mut()
                    .filter_map(|(_, m)| m.location.as_mut()),
            );
            out.extend(s.execution_deliveries.iter_mut().map(|d| &mut d.location));
        }
        out.extend(self.log_groups.iter_mut().map(|g| &mut g.location));
        out.extend(self.accounts.iter_mut().map(|a| &mut a.location));
        out
    }

    pub fn log_group_of(&self, dest: &Destination) -> Option<&LogGroup> {
        dest.log_group.and_then(|i| self.log_groups.get(i))
    }

    /// Links destinations written as ARN text to a log group of the inventory with that name
    /// (e.g. `!Sub arn:${AWS::Partition}:logs:…:log-group:${LogGroup}`, or a live ARN).
    pub fn link_destinations_by_name(&mut self) {
        let names: Vec<String> = self.log_groups.iter().map(|g| g.name.to_string()).collect();
        for stage in &mut self.stages {
            let Some(Value::Known(log)) = &mut stage.access_log else {
                continue;
            };
            let Some(dest) = &mut log.destination else {
                continue;
            };
            if dest.log_group.is_some() {
                continue;
            }
            // Holes print as `${AWS::Region}` (with colons): split at the resource part only.
            let arn = dest.arn.to_string();
            let Some((_, name)) = arn.split_once(":log-group:") else {
                continue;
            };
            let name = arn::normalise(name);
            if let Some(i) = names.iter().position(|n| n == name) {
                dest.log_group = Some(i);
            }
        }
    }
}

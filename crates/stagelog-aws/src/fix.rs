//! Live fixes with a backout plan. `plan` turns findings into changes (each with the AWS CLI
//! command a person could run instead); `apply` writes each change to a journal *before* making
//! it (the state it replaces, read fresh), then marks it done; `rollback` replays a journal
//! newest first, restoring every changed stage exactly. Log groups it created are kept unless
//! asked (data is never deleted by default).

use crate::{base_config, sdk_error, AuditOptions};
use aws_config::{Region, SdkConfig};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value as Json};
use stagelog_model::arn::{LogGroupArn, StageArn};
use stagelog_model::context_vars::recommended_format_json;
use stagelog_model::{
    ApiKind, ExecutionLevel, Finding, Inventory, LogGroupTemplate, LogLevel, Remedy, Value,
};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;

/// What the live fix does where the remedies leave a choice (levels and retention come from
/// the remedies, which the policy set).
#[derive(Debug, Clone, Default)]
pub struct FixOptions {
    /// New log groups; `{api-name}`, `{api}` (the id) and `{stage}` are filled in.
    pub log_group_name: LogGroupTemplate,
    /// KMS key for new log groups.
    pub kms_key: Option<String>,
    /// Create and set the account's CloudWatch role where REST/WebSocket stages need it.
    pub create_cloudwatch_role: bool,
}

/// The role `--create-cloudwatch-role` creates (trusted by API Gateway, with the managed
/// policy AmazonAPIGatewayPushToCloudWatchLogs).
pub const CLOUDWATCH_ROLE_NAME: &str = "stagelog-apigateway-cloudwatch";

/// One change to one resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    SetCloudWatchRole {
        role_name: String,
    },
    DeleteRole {
        role_name: String,
    },
    /// Rollback only: the account's role as it was (`None`: no role).
    SetAccountRoleArn {
        arn: Option<String>,
    },
    CreateLogGroup {
        name: String,
        retention_days: i32,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        kms_key: Option<String>,
    },
    PutRetention {
        name: String,
        days: i32,
    },
    UpdateRestStage {
        api_id: String,
        stage: String,
        patch: Vec<Patch>,
    },
    DeleteLogGroup {
        name: String,
    },
    DeleteRetention {
        name: String,
    },
    DeleteV2AccessLogs {
        api_id: String,
        stage: String,
    },
    UpdateV2Stage {
        api_id: String,
        stage: String,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        access_log_settings: Option<Json>,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        default_route_settings: Option<Json>,
        #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
        route_settings: BTreeMap<String, Json>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Patch {
    pub op: String,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub value: Option<String>,
}

fn replace(path: String, value: impl Into<String>) -> Patch {
    Patch {
        op: "replace".into(),
        path,
        value: Some(value.into()),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub account: String,
    pub region: String,
    pub action: Action,
    /// The rules this change answers.
    pub rules: Vec<String>,
}

impl Change {
    /// The AWS CLI command(s) that make the same change.
    pub fn cli(&self) -> String {
        let r = &self.region;
        let q = |j: &Json| format!("'{}'", j.to_string().replace('\'', "'\\''"));
        match &self.action {
            Action::CreateLogGroup { name, retention_days, kms_key } => format!(
                "aws logs create-log-group --region {r} --log-group-name {name}{} && aws logs put-retention-policy --region {r} --log-group-name {name} --retention-in-days {retention_days}",
                kms_key.as_ref().map(|k| format!(" --kms-key-id {k}")).unwrap_or_default()
            ),
            Action::PutRetention { name, days } => format!(
                "aws logs put-retention-policy --region {r} --log-group-name {name} --retention-in-days {days}"
            ),
            Action::DeleteLogGroup { name } => format!("aws logs delete-log-group --region {r} --log-group-name {name}"),
            Action::SetCloudWatchRole { role_name } => format!(
                "aws iam create-role --role-name {role_name} --assume-role-policy-document '{TRUST}' && aws iam attach-role-policy --role-name {role_name} --policy-arn arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs && aws apigateway update-account --region {r} --patch-operations op=replace,path=/cloudwatchRoleArn,value=arn:aws:iam::{}:role/{role_name}",
                self.account
            ),
            Action::SetAccountRoleArn { arn: Some(a) } => format!(
                "aws apigateway update-account --region {r} --patch-operations op=replace,path=/cloudwatchRoleArn,value={a}"
            ),
            Action::SetAccountRoleArn { arn: None } => format!(
                "aws apigateway update-account --region {r} --patch-operations op=remove,path=/cloudwatchRoleArn"
            ),
            Action::DeleteRole { role_name } => format!(
                "aws iam detach-role-policy --role-name {role_name} --policy-arn arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs && aws iam delete-role --role-name {role_name}"
            ),
            Action::DeleteRetention { name } => format!("aws logs delete-retention-policy --region {r} --log-group-name {name}"),
            Action::DeleteV2AccessLogs { api_id, stage } => format!(
                "aws apigatewayv2 delete-access-log-settings --region {r} --api-id {api_id} --stage-name '{stage}'"
            ),
            Action::UpdateRestStage { api_id, stage, patch } => {
                let ops: Vec<String> = patch
                    .iter()
                    .map(|p| {
                        let v = json!({"op": p.op, "path": p.path, "value": p.value});
                        v.to_string()
                    })
                    .collect();
                format!(
                    "aws apigateway update-stage --region {r} --rest-api-id {api_id} --stage-name '{stage}' --patch-operations {}",
                    q(&Json::Array(ops.iter().filter_map(|o| serde_json::from_str(o).ok()).collect()))
                )
            }
            Action::UpdateV2Stage { api_id, stage, access_log_settings, default_route_settings, route_settings } => {
                let mut cmd = format!("aws apigatewayv2 update-stage --region {r} --api-id {api_id} --stage-name '{stage}'");
                if let Some(a) = access_log_settings {
                    cmd.push_str(&format!(" --access-log-settings {}", q(a)));
                }
                if let Some(d) = default_route_settings {
                    cmd.push_str(&format!(" --default-route-settings {}", q(d)));
                }
                if !route_settings.is_empty() {
                    cmd.push_str(&format!(" --route-settings {}", q(&json!(route_settings))));
                }
                cmd
            }
        }
    }
}

const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"apigateway.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
const PUSH_POLICY: &str =
    "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs";

/// A finding the live fix leaves to a person, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub rule_id: String,
    pub resource: String,
    pub reason: String,
}

/// The fix hint for a live finding, rendered from its remedy.
pub fn hint(f: &Finding) -> String {
    match &f.remedy {
        Remedy::AccessLogs { retention } => format!(
            "stagelog fix --live (a new log group with {retention} days' retention, the recommended format), or set the stage's access log settings in the console or CLI"
        ),
        Remedy::DedicatedLogGroup { retention } => format!(
            "stagelog fix --live (points the stage at a new log group of its own, {retention} days' retention)"
        ),
        Remedy::RecommendedFormat => "stagelog fix --live (sets the recommended one-line JSON format with $context.requestId)".into(),
        Remedy::ExecutionLogging { level, .. } => format!(
            "stagelog fix --live (sets the stage's logging level to {})",
            level.as_str()
        ),
        Remedy::DataTraceOff { .. } => "stagelog fix --live (turns data trace off)".into(),
        Remedy::Retention { days } => format!(
            "aws logs put-retention-policy --log-group-name <name> --retention-in-days {days} (or stagelog fix --live)"
        ),
        Remedy::KmsKey => "aws logs associate-kms-key --log-group-name <name> --kms-key-id <key ARN>".into(),
        Remedy::CloudWatchRole => "stagelog fix --live --create-cloudwatch-role, or aws apigateway update-account --patch-operations op=replace,path=/cloudwatchRoleArn,value=<role ARN>".into(),
        Remedy::CloudWatchRolePolicy => "aws iam attach-role-policy --role-name <role> --policy-arn arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs (and trust apigateway.amazonaws.com)".into(),
        Remedy::Manual { reason } => reason.clone(),
    }
}

/// What the findings on one resource ask of the live fix.
#[derive(Default)]
struct Asked {
    rules: BTreeSet<String>,
    /// A new log group (AccessLogs, DedicatedLogGroup), with its retention.
    new_group: Option<stagelog_model::RetentionDays>,
    /// The recommended format (AccessLogs, RecommendedFormat).
    format: bool,
    level: Option<ExecutionLevel>,
    trace_off: bool,
    retention: Option<stagelog_model::RetentionDays>,
}

/// Turns an audit's findings into changes. Execution logging is set only where the account
/// has a CloudWatch role in that region: AWS refuses it otherwise.
pub fn plan(
    inventories: &[Inventory],
    findings: &[Finding],
    opts: &FixOptions,
) -> (Vec<Change>, Vec<Skipped>) {
    let mut changes = Vec::new();
    let mut skipped = Vec::new();
    let mut asked: BTreeMap<&str, Asked> = BTreeMap::new();
    for f in findings {
        let a = asked.entry(f.location.resource.as_str()).or_default();
        // Exhaustive: a new remedy must say here what the live fix does with it.
        match &f.remedy {
            Remedy::AccessLogs { retention } => {
                a.new_group = a.new_group.max(Some(*retention));
                a.format = true;
            }
            Remedy::DedicatedLogGroup { retention } => {
                a.new_group = a.new_group.max(Some(*retention));
            }
            Remedy::RecommendedFormat => a.format = true,
            Remedy::ExecutionLogging { level, .. } => {
                a.level = Some(match (a.level, level) {
                    (Some(ExecutionLevel::Info), _) | (_, ExecutionLevel::Info) => {
                        ExecutionLevel::Info
                    }
                    _ => ExecutionLevel::Error,
                })
            }
            Remedy::DataTraceOff { .. } => a.trace_off = true,
            Remedy::Retention { days } => a.retention = a.retention.max(Some(*days)),
            Remedy::CloudWatchRole => {}
            Remedy::KmsKey => skipped.push(Skipped {
                rule_id: f.rule_id.into(),
                resource: f.location.resource.clone(),
                reason: "needs a KMS key whose policy allows CloudWatch Logs; see `stagelog explain SL021`".into(),
            }),
            Remedy::CloudWatchRolePolicy => skipped.push(Skipped {
                rule_id: f.rule_id.into(),
                resource: f.location.resource.clone(),
                reason: "fix the role's trust or permissions by hand; see `stagelog explain SL031`".into(),
            }),
            Remedy::Manual { reason } => skipped.push(Skipped {
                rule_id: f.rule_id.into(),
                resource: f.location.resource.clone(),
                reason: reason.clone(),
            }),
        }
        if !matches!(
            f.remedy,
            Remedy::KmsKey | Remedy::CloudWatchRolePolicy | Remedy::Manual { .. }
        ) {
            a.rules.insert(f.rule_id.to_string());
        }
    }
    for inv in inventories {
        let mut has_role = inv.accounts.iter().any(|a| a.cloudwatch_role_arn.is_some());
        let needs_role = inv.stages.iter().any(|st| {
            st.api_kind.has_execution_logging()
                && asked
                    .get(st.location.resource.as_str())
                    .is_some_and(|a| a.level.is_some())
        });
        if !has_role && needs_role && opts.create_cloudwatch_role {
            if let Some(a) = inv.accounts.first() {
                // First in its region: AWS refuses execution logging until the role is set.
                changes.push(Change {
                    account: a.location.account.clone().unwrap_or_default(),
                    region: a.location.region.clone().unwrap_or_default(),
                    action: Action::SetCloudWatchRole {
                        role_name: CLOUDWATCH_ROLE_NAME.into(),
                    },
                    rules: vec!["SL030".into()],
                });
                has_role = true;
            }
        }
        for stage in &inv.stages {
            let Some(asked) = asked.get(stage.location.resource.as_str()) else {
                continue;
            };
            let (account, region) = (
                stage.location.account.clone().unwrap_or_default(),
                stage.location.region.clone().unwrap_or_default(),
            );
            let Some(arn) = StageArn::parse(&stage.location.resource) else {
                continue;
            };
            let (api_id, name) = (arn.api_id.clone(), arn.stage.clone());
            let mut answered: Vec<String> = Vec::new();
            let new_dest = asked.new_group.is_some();
            let new_format = asked.format;
            let format = recommended_format_json(stage.api_kind);
            let mut destination = match &stage.access_log {
                Some(Value::Known(a)) => a.destination.as_ref().and_then(|d| d.arn.as_known()),
                _ => None,
            };
            // A REST stage with a new destination and no format needs one too.
            let new_format = new_format
                || (new_dest
                    && !matches!(&stage.access_log, Some(Value::Known(a)) if a.format.is_some()));
            if let Some(retention) = asked.new_group {
                let api_name = stage.api_name.as_deref().unwrap_or(&api_id);
                let group = opts.log_group_name.render_known(api_name, &api_id, &name);
                destination = Some(LogGroupArn::new(&region, &account, &group).to_string());
                changes.push(Change {
                    account: account.clone(),
                    region: region.clone(),
                    action: Action::CreateLogGroup {
                        name: group,
                        retention_days: retention.days() as i32,
                        kms_key: opts.kms_key.clone(),
                    },
                    rules: vec![],
                });
            }
            let set_format = new_format.then_some(()).and(format.clone());
            if new_format && format.is_none() {
                skipped.push(Skipped {
                    rule_id: "SL004".into(),
                    resource: stage.location.resource.clone(),
                    reason: "the API's protocol is not known; set the access log format by hand"
                        .into(),
                });
            }
            let level = asked
                .level
                .filter(|_| stage.api_kind.has_execution_logging());
            if level.is_some() && !has_role {
                skipped.push(Skipped {
                    rule_id: "SL010".into(),
                    resource: stage.location.resource.clone(),
                    reason: "no CloudWatch role in this region's API Gateway account settings (SL030): AWS refuses execution logging until one is set".into(),
                });
            }
            let level = level.filter(|_| has_role);
            let level_fix = level.is_some();
            let level_str = level.unwrap_or(ExecutionLevel::Error).as_str().to_string();
            let trace_fix = asked.trace_off;
            let info = level == Some(ExecutionLevel::Info);
            let off = |m: &stagelog_model::MethodSettings| {
                matches!(
                    &m.logging_level,
                    None | Some(Value::Known(LogLevel::Off | LogLevel::Invalid(_)))
                ) || (info && matches!(&m.logging_level, Some(Value::Known(LogLevel::Error))))
            };
            let traces = |m: &stagelog_model::MethodSettings| {
                matches!(m.data_trace, Some(Value::Known(true)))
            };
            for r in &asked.rules {
                let answers = match r.as_str() {
                    "SL010" => level_fix,
                    "SL011" => trace_fix,
                    "SL030" => false,
                    _ => set_format.is_some() || (new_dest && !new_format),
                };
                if answers {
                    answered.push(r.clone());
                }
            }
            match stage.api_kind {
                ApiKind::Rest => {
                    let mut patch = Vec::new();
                    if let (true, Some(d)) = (new_dest, &destination) {
                        patch.push(replace(
                            "/accessLogSettings/destinationArn".into(),
                            d.clone(),
                        ));
                    }
                    if let Some(f) = &set_format {
                        patch.push(replace("/accessLogSettings/format".into(), f.clone()));
                    }
                    let all = std::iter::once(("*/*".to_string(), &stage.default_settings))
                        .chain(stage.overrides.iter().map(|(p, m)| (p.clone(), m)));
                    for (path, m) in all {
                        let is_default = path == "*/*";
                        if level_fix
                            && ((is_default && off(m))
                                || (!is_default
                                    && matches!(
                                        m.logging_level,
                                        Some(Value::Known(LogLevel::Off | LogLevel::Invalid(_)))
                                    )))
                        {
                            patch.push(replace(
                                format!("/{path}/logging/loglevel"),
                                level_str.clone(),
                            ));
                        }
                        if trace_fix && traces(m) {
                            patch.push(replace(format!("/{path}/logging/dataTrace"), "false"));
                        }
                    }
                    if !patch.is_empty() {
                        changes.push(Change {
                            account,
                            region,
                            action: Action::UpdateRestStage {
                                api_id,
                                stage: name,
                                patch,
                            },
                            rules: answered,
                        });
                    }
                }
                _ => {
                    // UpdateStage replaces the whole setting: keep the format a new
                    // destination does not change.
                    let kept_format = match &stage.access_log {
                        Some(Value::Known(a)) => a.format.as_ref().and_then(|f| f.as_known()),
                        _ => None,
                    };
                    let access_log_settings =
                        match (set_format.clone().or(kept_format), &destination) {
                            (Some(f), Some(d)) if set_format.is_some() || new_dest => {
                                Some(json!({"DestinationArn": d, "Format": f}))
                            }
                            _ => None,
                        };
                    let mut default = serde_json::Map::new();
                    if level_fix && off(&stage.default_settings) {
                        default.insert("LoggingLevel".into(), Json::String(level_str.clone()));
                    }
                    if trace_fix && traces(&stage.default_settings) {
                        default.insert("DataTraceEnabled".into(), Json::Bool(false));
                    }
                    let mut routes = BTreeMap::new();
                    for (route, m) in &stage.overrides {
                        let mut r = serde_json::Map::new();
                        if level_fix
                            && matches!(
                                m.logging_level,
                                Some(Value::Known(LogLevel::Off | LogLevel::Invalid(_)))
                            )
                        {
                            r.insert("LoggingLevel".into(), Json::String(level_str.clone()));
                        }
                        if trace_fix && traces(m) {
                            r.insert("DataTraceEnabled".into(), Json::Bool(false));
                        }
                        if !r.is_empty() {
                            routes.insert(route.clone(), Json::Object(r));
                        }
                    }
                    if access_log_settings.is_some() || !default.is_empty() || !routes.is_empty() {
                        changes.push(Change {
                            account,
                            region,
                            action: Action::UpdateV2Stage {
                                api_id,
                                stage: name,
                                access_log_settings,
                                default_route_settings: (!default.is_empty())
                                    .then_some(Json::Object(default)),
                                route_settings: routes,
                            },
                            rules: answered,
                        });
                    }
                }
            }
        }
        for group in &inv.log_groups {
            let Some(days) = asked
                .get(group.location.resource.as_str())
                .and_then(|a| a.retention)
            else {
                continue;
            };
            changes.push(Change {
                account: group.location.account.clone().unwrap_or_default(),
                region: group.location.region.clone().unwrap_or_default(),
                action: Action::PutRetention {
                    name: group.name.to_string(),
                    days: days.days() as i32,
                },
                rules: vec!["SL020".into()],
            });
        }
    }
    for f in findings
        .iter()
        .filter(|f| f.remedy == Remedy::CloudWatchRole)
    {
        let role_set_here = changes.iter().any(|c| {
            matches!(c.action, Action::SetCloudWatchRole { .. })
                && Some(&c.account) == f.location.account.as_ref()
                && Some(&c.region) == f.location.region.as_ref()
        });
        if !role_set_here {
            skipped.push(Skipped {
                rule_id: f.rule_id.into(),
                resource: f.location.resource.clone(),
                reason: "pass --create-cloudwatch-role to create and set one, or set it by hand (see `stagelog explain SL030`)".into(),
            });
        }
    }
    changes.dedup();
    (changes, skipped)
}

// ---- journal ----

/// Where one change stands in the journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryState {
    /// Written before the change is made: it may or may not have happened.
    Pending,
    /// Written after AWS accepted the change.
    Done,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JournalEntry {
    pub seq: u64,
    pub state: EntryState,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub change: Option<Change>,
    /// The resource's logging state just before the change, as AWS returned it.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub before: Option<Json>,
}

struct Journal {
    file: std::fs::File,
}

impl Journal {
    fn create(path: &Path) -> Result<Journal, String> {
        let file = std::fs::OpenOptions::new()
            .create_new(true)
            .write(true)
            .open(path)
            .map_err(|e| format!("cannot create journal {}: {e}", path.display()))?;
        Ok(Journal { file })
    }

    /// One JSON line, flushed to disk before the caller goes on.
    fn write(&mut self, entry: &JournalEntry) -> Result<(), String> {
        let mut line = serde_json::to_string(entry).map_err(|e| e.to_string())?;
        line.push('\n');
        self.file
            .write_all(line.as_bytes())
            .and_then(|_| self.file.sync_data())
            .map_err(|e| format!("cannot write the journal: {e}"))
    }
}

pub fn read_journal(path: &Path) -> Result<Vec<JournalEntry>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read journal {}: {e}", path.display()))?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l)
                .map_err(|e| format!("{}:{}: not a journal entry: {e}", path.display(), i + 1))
        })
        .collect()
}

// ---- applying ----

/// SDK configs per account: the caller's, or one per role ARN (the account is in the ARN).
pub(crate) async fn configs(opts: &AuditOptions) -> Result<BTreeMap<String, SdkConfig>, String> {
    let base = base_config(opts).await;
    let mut errors = Vec::new();
    let accounts = crate::accounts(opts, &base, &mut errors).await;
    if let Some(e) = errors.first() {
        return Err(e.message.clone());
    }
    Ok(accounts.into_iter().map(|a| (a.id, a.config)).collect())
}

fn conf_for(
    configs: &BTreeMap<String, SdkConfig>,
    account: &str,
    region: &str,
) -> Result<SdkConfig, String> {
    let base = configs
        .get(account)
        .ok_or_else(|| format!("no credentials for account {account} (pass its --role-arn)"))?;
    Ok(base
        .to_builder()
        .region(Region::new(region.to_string()))
        .build())
}

/// The logging state a change replaces, read fresh from AWS.
async fn read_before(conf: &SdkConfig, action: &Action) -> Result<Json, String> {
    match action {
        Action::SetAccountRoleArn { .. } => {
            let account = aws_sdk_apigateway::Client::new(conf)
                .get_account()
                .send()
                .await
                .map_err(|e| sdk_error(&e))?;
            Ok(json!({"cloudwatchRoleArn": account.cloudwatch_role_arn()}))
        }
        Action::SetCloudWatchRole { role_name } | Action::DeleteRole { role_name } => {
            let account = aws_sdk_apigateway::Client::new(conf)
                .get_account()
                .send()
                .await
                .map_err(|e| sdk_error(&e))?;
            let role = aws_sdk_iam::Client::new(conf)
                .get_role()
                .role_name(role_name)
                .send()
                .await;
            let role_exists = match role {
                Ok(_) => true,
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_no_such_entity_exception()) =>
                {
                    false
                }
                Err(e) => return Err(sdk_error(&e)),
            };
            Ok(
                json!({"cloudwatchRoleArn": account.cloudwatch_role_arn(), "role_exists": role_exists}),
            )
        }
        Action::CreateLogGroup { name, .. }
        | Action::PutRetention { name, .. }
        | Action::DeleteLogGroup { name }
        | Action::DeleteRetention { name } => {
            let logs = aws_sdk_cloudwatchlogs::Client::new(conf);
            let page = logs
                .describe_log_groups()
                .log_group_name_prefix(name)
                .send()
                .await
                .map_err(|e| sdk_error(&e))?;
            let group = page
                .log_groups()
                .iter()
                .find(|g| g.log_group_name() == Some(name.as_str()));
            Ok(json!({
                "exists": group.is_some(),
                "retention_days": group.and_then(|g| g.retention_in_days()),
            }))
        }
        Action::UpdateRestStage { api_id, stage, .. } => {
            let s = aws_sdk_apigateway::Client::new(conf)
                .get_stage()
                .rest_api_id(api_id)
                .stage_name(stage)
                .send()
                .await
                .map_err(|e| sdk_error(&e))?;
            let methods: serde_json::Map<String, Json> = s
                .method_settings()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| {
                            (k.clone(), json!({
                                "metricsEnabled": v.metrics_enabled(),
                                "loggingLevel": v.logging_level(),
                                "dataTraceEnabled": v.data_trace_enabled(),
                                "throttlingBurstLimit": v.throttling_burst_limit(),
                                "throttlingRateLimit": v.throttling_rate_limit(),
                                "cachingEnabled": v.caching_enabled(),
                                "cacheTtlInSeconds": v.cache_ttl_in_seconds(),
                                "cacheDataEncrypted": v.cache_data_encrypted(),
                                "requireAuthorizationForCacheControl": v.require_authorization_for_cache_control(),
                                "unauthorizedCacheControlHeaderStrategy": v.unauthorized_cache_control_header_strategy().map(|s| s.as_str()),
                            }))
                        })
                        .collect()
                })
                .unwrap_or_default();
            Ok(json!({
                "accessLogSettings": s.access_log_settings().map(|a| json!({"destinationArn": a.destination_arn(), "format": a.format()})),
                "methodSettings": methods,
            }))
        }
        Action::UpdateV2Stage { api_id, stage, .. }
        | Action::DeleteV2AccessLogs { api_id, stage } => {
            let s = aws_sdk_apigatewayv2::Client::new(conf)
                .get_stage()
                .api_id(api_id)
                .stage_name(stage)
                .send()
                .await
                .map_err(|e| sdk_error(&e))?;
            let route = |r: &aws_sdk_apigatewayv2::types::RouteSettings| json!({"LoggingLevel": r.logging_level().map(|l| l.as_str()), "DataTraceEnabled": r.data_trace_enabled()});
            let routes: serde_json::Map<String, Json> = s
                .route_settings()
                .map(|m| m.iter().map(|(k, v)| (k.clone(), route(v))).collect())
                .unwrap_or_default();
            Ok(json!({
                "accessLogSettings": s.access_log_settings().map(|a| json!({"DestinationArn": a.destination_arn(), "Format": a.format()})),
                "defaultRouteSettings": s.default_route_settings().map(route),
                "routeSettings": routes,
            }))
        }
    }
}

async fn perform(conf: &SdkConfig, action: &Action, before: &Json) -> Result<(), String> {
    match action {
        Action::SetCloudWatchRole { role_name } => {
            let iam = aws_sdk_iam::Client::new(conf);
            let arn = match iam.get_role().role_name(role_name).send().await {
                Ok(r) => r.role().map(|r| r.arn().to_string()).unwrap_or_default(),
                Err(_) => {
                    let created = iam
                        .create_role()
                        .role_name(role_name)
                        .assume_role_policy_document(TRUST)
                        .description("API Gateway writes CloudWatch logs with this role (created by stagelog)")
                        .send()
                        .await
                        .map_err(|e| sdk_error(&e))?;
                    created
                        .role()
                        .map(|r| r.arn().to_string())
                        .unwrap_or_default()
                }
            };
            iam.attach_role_policy()
                .role_name(role_name)
                .policy_arn(PUSH_POLICY)
                .send()
                .await
                .map_err(|e| sdk_error(&e))?;
            set_account_role(conf, Some(&arn)).await?;
        }
        Action::SetAccountRoleArn { arn } => set_account_role(conf, arn.as_deref()).await?,
        Action::DeleteRole { role_name } => {
            if before["role_exists"] == Json::Bool(true) {
                let iam = aws_sdk_iam::Client::new(conf);
                let _ = iam
                    .detach_role_policy()
                    .role_name(role_name)
                    .policy_arn(PUSH_POLICY)
                    .send()
                    .await;
                iam.delete_role()
                    .role_name(role_name)
                    .send()
                    .await
                    .map_err(|e| sdk_error(&e))?;
            }
        }
        Action::CreateLogGroup {
            name,
            retention_days,
            kms_key,
        } => {
            let logs = aws_sdk_cloudwatchlogs::Client::new(conf);
            if before["exists"] != Json::Bool(true) {
                logs.create_log_group()
                    .log_group_name(name)
                    .set_kms_key_id(kms_key.clone())
                    .send()
                    .await
                    .map_err(|e| sdk_error(&e))?;
            }
            logs.put_retention_policy()
                .log_group_name(name)
                .retention_in_days(*retention_days)
                .send()
                .await
                .map_err(|e| sdk_error(&e))?;
        }
        Action::PutRetention { name, days } => {
            aws_sdk_cloudwatchlogs::Client::new(conf)
                .put_retention_policy()
                .log_group_name(name)
                .retention_in_days(*days)
                .send()
                .await
                .map_err(|e| sdk_error(&e))?;
        }
        Action::DeleteLogGroup { name } => {
            if before["exists"] == Json::Bool(true) {
                aws_sdk_cloudwatchlogs::Client::new(conf)
                    .delete_log_group()
                    .log_group_name(name)
                    .send()
                    .await
                    .map_err(|e| sdk_error(&e))?;
            }
        }
        Action::DeleteRetention { name } => {
            aws_sdk_cloudwatchlogs::Client::new(conf)
                .delete_retention_policy()
                .log_group_name(name)
                .send()
                .await
                .map_err(|e| sdk_error(&e))?;
        }
        Action::DeleteV2AccessLogs { api_id, stage } => {
            if before
                .get("accessLogSettings")
                .is_some_and(|a| !a.is_null())
            {
                aws_sdk_apigatewayv2::Client::new(conf)
                    .delete_access_log_settings()
                    .api_id(api_id)
                    .stage_name(stage)
                    .send()
                    .await
                    .map_err(|e| sdk_error(&e))?;
            }
        }
        Action::UpdateRestStage { patch, .. } if patch.is_empty() => {}
        Action::UpdateRestStage {
            api_id,
            stage,
            patch,
        } => rest_patch(conf, api_id, stage, patch).await?,
        Action::UpdateV2Stage {
            api_id,
            stage,
            access_log_settings,
            default_route_settings,
            route_settings,
        } => {
            v2_update(
                conf,
                api_id,
                stage,
                access_log_settings.as_ref(),
                default_route_settings.as_ref(),
                route_settings,
            )
            .await?
        }
    }
    Ok(())
}

/// Sets (or with `None` removes) the account's CloudWatch role. A new role can take a few
/// seconds to be usable in IAM; API Gateway says so with a BadRequest, which is retried.
async fn set_account_role(conf: &SdkConfig, arn: Option<&str>) -> Result<(), String> {
    use aws_sdk_apigateway::types::{Op, PatchOperation};
    let op = match arn {
        Some(a) => PatchOperation::builder()
            .op(Op::Replace)
            .path("/cloudwatchRoleArn")
            .value(a)
            .build(),
        None => PatchOperation::builder()
            .op(Op::Remove)
            .path("/cloudwatchRoleArn")
            .build(),
    };
    let client = aws_sdk_apigateway::Client::new(conf);
    let mut attempt = 0;
    loop {
        match client
            .update_account()
            .patch_operations(op.clone())
            .send()
            .await
        {
            Ok(_) => return Ok(()),
            Err(e)
                if attempt < 6
                    && e.as_service_error()
                        .is_some_and(|s| s.is_bad_request_exception()) =>
            {
                attempt += 1;
                tokio::time::sleep(std::time::Duration::from_secs(5)).await;
            }
            Err(e) => return Err(sdk_error(&e)),
        }
    }
}

async fn rest_patch(
    conf: &SdkConfig,
    api_id: &str,
    stage: &str,
    patch: &[Patch],
) -> Result<(), String> {
    use aws_sdk_apigateway::types::{Op, PatchOperation};
    let ops = patch
        .iter()
        .map(|p| {
            PatchOperation::builder()
                .op(Op::from(p.op.as_str()))
                .path(&p.path)
                .set_value(p.value.clone())
                .build()
        })
        .collect();
    aws_sdk_apigateway::Client::new(conf)
        .update_stage()
        .rest_api_id(api_id)
        .stage_name(stage)
        .set_patch_operations(Some(ops))
        .send()
        .await
        .map_err(|e| sdk_error(&e))?;
    Ok(())
}

fn route_settings(j: &Json) -> aws_sdk_apigatewayv2::types::RouteSettings {
    let mut b = aws_sdk_apigatewayv2::types::RouteSettings::builder();
    if let Some(l) = j.get("LoggingLevel").and_then(Json::as_str) {
        b = b.logging_level(aws_sdk_apigatewayv2::types::LoggingLevel::from(l));
    }
    if let Some(d) = j.get("DataTraceEnabled").and_then(Json::as_bool) {
        b = b.data_trace_enabled(d);
    }
    b.build()
}

async fn v2_update(
    conf: &SdkConfig,
    api_id: &str,
    stage: &str,
    access: Option<&Json>,
    default: Option<&Json>,
    routes: &BTreeMap<String, Json>,
) -> Result<(), String> {
    let mut req = aws_sdk_apigatewayv2::Client::new(conf)
        .update_stage()
        .api_id(api_id)
        .stage_name(stage);
    if let Some(a) = access {
        req = req.access_log_settings(
            aws_sdk_apigatewayv2::types::AccessLogSettings::builder()
                .set_destination_arn(
                    a.get("DestinationArn")
                        .and_then(Json::as_str)
                        .map(str::to_string),
                )
                .set_format(a.get("Format").and_then(Json::as_str).map(str::to_string))
                .build(),
        );
    }
    if let Some(d) = default {
        req = req.default_route_settings(route_settings(d));
    }
    for (route, settings) in routes {
        req = req.route_settings(route, route_settings(settings));
    }
    req.send().await.map_err(|e| sdk_error(&e))?;
    Ok(())
}

/// Applies the changes in order, journalling each before making it. Stops at the first
/// failure; the journal then holds everything done so far (and the failed change as pending).
pub async fn apply(
    changes: &[Change],
    audit: &AuditOptions,
    journal: &Path,
) -> Result<usize, String> {
    let configs = configs(audit).await?;
    let mut j = Journal::create(journal)?;
    for (i, change) in changes.iter().enumerate() {
        let seq = i as u64 + 1;
        let conf = conf_for(&configs, &change.account, &change.region)?;
        let before = read_before(&conf, &change.action)
            .await
            .map_err(|e| format!("change {seq}: cannot read the current state: {e}"))?;
        j.write(&JournalEntry {
            seq,
            state: EntryState::Pending,
            change: Some(change.clone()),
            before: Some(before.clone()),
        })?;
        perform(&conf, &change.action, &before).await.map_err(|e| {
            format!(
                "change {seq} failed ({}): {e}; `stagelog rollback {}` restores what was done",
                change.cli(),
                journal.display()
            )
        })?;
        j.write(&JournalEntry {
            seq,
            state: EntryState::Done,
            change: None,
            before: None,
        })?;
    }
    Ok(changes.len())
}

// ---- rollback ----

/// Method setting fields and their patch paths under `/{resource}/{method}/`.
const METHOD_SETTING_PATHS: &[(&str, &str)] = &[
    ("metricsEnabled", "metrics/enabled"),
    ("loggingLevel", "logging/loglevel"),
    ("dataTraceEnabled", "logging/dataTrace"),
    ("throttlingBurstLimit", "throttling/burstLimit"),
    ("throttlingRateLimit", "throttling/rateLimit"),
    ("cachingEnabled", "caching/enabled"),
    ("cacheTtlInSeconds", "caching/ttlInSeconds"),
    ("cacheDataEncrypted", "caching/dataEncrypted"),
    (
        "requireAuthorizationForCacheControl",
        "caching/requireAuthorizationForCacheControl",
    ),
    (
        "unauthorizedCacheControlHeaderStrategy",
        "caching/unauthorizedCacheControlHeaderStrategy",
    ),
];

/// The changes that put `before` back, for one journalled change.
fn restore(change: &Change, before: &Json, delete_created: bool) -> Vec<Action> {
    match &change.action {
        Action::SetCloudWatchRole { role_name } => {
            let mut out = vec![Action::SetAccountRoleArn {
                arn: before["cloudwatchRoleArn"].as_str().map(str::to_string),
            }];
            if delete_created && before["role_exists"] == Json::Bool(false) {
                out.push(Action::DeleteRole {
                    role_name: role_name.clone(),
                });
            }
            out
        }
        Action::DeleteRole { .. } | Action::SetAccountRoleArn { .. } => vec![],
        Action::CreateLogGroup { name, .. } if before["exists"] == Json::Bool(false) => {
            // Created by the fix: kept (its events are data) unless asked.
            if delete_created {
                vec![Action::DeleteLogGroup { name: name.clone() }]
            } else {
                vec![]
            }
        }
        Action::CreateLogGroup { name, .. } | Action::PutRetention { name, .. } => {
            match before["retention_days"].as_i64() {
                Some(d) => vec![Action::PutRetention {
                    name: name.clone(),
                    days: d as i32,
                }],
                None => vec![Action::DeleteRetention { name: name.clone() }],
            }
        }
        Action::DeleteLogGroup { .. }
        | Action::DeleteRetention { .. }
        | Action::DeleteV2AccessLogs { .. } => vec![],
        Action::UpdateRestStage {
            api_id,
            stage,
            patch,
        } => {
            let mut ops = Vec::new();
            if patch
                .iter()
                .any(|p| p.path.starts_with("/accessLogSettings/"))
            {
                match before.get("accessLogSettings").filter(|a| !a.is_null()) {
                    Some(a) => {
                        for field in ["destinationArn", "format"] {
                            if let Some(v) = a.get(field).and_then(Json::as_str) {
                                ops.push(replace(format!("/accessLogSettings/{field}"), v));
                            }
                        }
                    }
                    None => ops.push(Patch {
                        op: "remove".into(),
                        path: "/accessLogSettings".into(),
                        value: None,
                    }),
                }
            }
            let methods: BTreeSet<String> = patch
                .iter()
                .filter_map(|p| {
                    p.path
                        .strip_suffix("/logging/loglevel")
                        .or_else(|| p.path.strip_suffix("/logging/dataTrace"))
                })
                .map(|p| p.trim_start_matches('/').to_string())
                .collect();
            for m in methods {
                match before["methodSettings"].get(&m) {
                    Some(prev) if prev["loggingLevel"].is_string() => {
                        if let Some(l) = prev["loggingLevel"].as_str() {
                            ops.push(replace(format!("/{m}/logging/loglevel"), l));
                        }
                        if let Some(d) = prev["dataTraceEnabled"].as_bool() {
                            ops.push(replace(format!("/{m}/logging/dataTrace"), d.to_string()));
                        }
                    }
                    // The setting existed without a logging level, which no `replace` can
                    // give back: remove it and write every field it had again.
                    Some(prev) => {
                        ops.push(Patch {
                            op: "remove".into(),
                            path: format!("/{m}"),
                            value: None,
                        });
                        for (field, path) in METHOD_SETTING_PATHS {
                            let value = match &prev[*field] {
                                Json::String(s) => s.clone(),
                                Json::Bool(b) => b.to_string(),
                                Json::Number(n) => n.to_string(),
                                _ => continue,
                            };
                            ops.push(replace(format!("/{m}/{path}"), value));
                        }
                    }
                    // The method setting did not exist: remove it again (as Terraform does).
                    None => ops.push(Patch {
                        op: "remove".into(),
                        path: format!("/{m}"),
                        value: None,
                    }),
                }
            }
            vec![Action::UpdateRestStage {
                api_id: api_id.clone(),
                stage: stage.clone(),
                patch: ops,
            }]
        }
        Action::UpdateV2Stage {
            api_id,
            stage,
            access_log_settings,
            default_route_settings,
            route_settings,
        } => {
            let prev_access = before
                .get("accessLogSettings")
                .filter(|a| !a.is_null())
                .cloned();
            let mut out = Vec::new();
            if access_log_settings.is_some() && prev_access.is_none() {
                out.push(Action::DeleteV2AccessLogs {
                    api_id: api_id.clone(),
                    stage: stage.clone(),
                });
            }
            let routes: BTreeMap<String, Json> = route_settings
                .keys()
                .filter_map(|r| {
                    before["routeSettings"]
                        .get(r)
                        .map(|prev| (r.clone(), prev.clone()))
                })
                .collect();
            let update = Action::UpdateV2Stage {
                api_id: api_id.clone(),
                stage: stage.clone(),
                access_log_settings: if access_log_settings.is_some() {
                    prev_access
                } else {
                    None
                },
                default_route_settings: default_route_settings.as_ref().and_then(|_| {
                    before
                        .get("defaultRouteSettings")
                        .filter(|d| !d.is_null())
                        .cloned()
                }),
                route_settings: routes,
            };
            if !matches!(&update, Action::UpdateV2Stage { access_log_settings: None, default_route_settings: None, route_settings, .. } if route_settings.is_empty())
            {
                out.push(update);
            }
            out
        }
    }
}

/// Where a rollback of `journal` writes its own journal: `….rollback.jsonl`, or, when an
/// earlier rollback wrote that, `….rollback-2.jsonl` and so on. Journals are evidence of what
/// was changed and restored: none is ever overwritten or deleted.
pub fn rollback_journal_path(journal: &Path) -> std::path::PathBuf {
    let first = journal.with_extension("rollback.jsonl");
    if !first.exists() {
        return first;
    }
    (2..)
        .map(|n| journal.with_extension(format!("rollback-{n}.jsonl")))
        .find(|p| !p.exists())
        .expect("some rollback journal name is free")
}

/// Replays a journal newest first. Every change that was started (pending or done) is
/// restored, so a fix that failed part-way is undone completely; running it again changes
/// nothing more. Writes its own journal next to the original (`….rollback.jsonl`).
pub async fn rollback(
    journal: &Path,
    audit: &AuditOptions,
    delete_created: bool,
) -> Result<usize, String> {
    let entries = read_journal(journal)?;
    let started: Vec<&JournalEntry> = entries
        .iter()
        .filter(|e| e.state == EntryState::Pending)
        .collect();
    let configs = configs(audit).await?;
    let own = rollback_journal_path(journal);
    let mut j = Journal::create(&own)?;
    let mut seq = 0;
    for entry in started.iter().rev() {
        let (Some(change), Some(before)) = (&entry.change, &entry.before) else {
            continue;
        };
        let conf = conf_for(&configs, &change.account, &change.region)?;
        for action in restore(change, before, delete_created) {
            seq += 1;
            let now = read_before(&conf, &action).await?;
            let undo = Change {
                account: change.account.clone(),
                region: change.region.clone(),
                action,
                rules: vec![],
            };
            j.write(&JournalEntry {
                seq,
                state: EntryState::Pending,
                change: Some(undo.clone()),
                before: Some(now.clone()),
            })?;
            perform(&conf, &undo.action, &now)
                .await
                .map_err(|e| format!("undo {seq} failed ({}): {e}", undo.cli()))?;
            j.write(&JournalEntry {
                seq,
                state: EntryState::Done,
                change: None,
                before: None,
            })?;
        }
    }
    Ok(seq as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_rollback_never_replaces_the_first_ones_journal() {
        let dir = tempfile::tempdir().unwrap();
        let journal = dir.path().join("j.jsonl");
        let first = rollback_journal_path(&journal);
        assert_eq!(first, dir.path().join("j.rollback.jsonl"));
        std::fs::write(&first, "evidence\n").unwrap();
        let second = rollback_journal_path(&journal);
        assert_eq!(second, dir.path().join("j.rollback-2.jsonl"));
        assert!(Journal::create(&first).is_err(), "never overwritten");
        assert_eq!(std::fs::read_to_string(&first).unwrap(), "evidence\n");
    }

    #[test]
    fn journal_states_read_as_before() {
        let e: JournalEntry = serde_json::from_str(r#"{"seq":1,"state":"done"}"#).unwrap();
        assert_eq!(e.state, EntryState::Done);
        assert!(serde_json::from_str::<JournalEntry>(r#"{"seq":1,"state":"maybe"}"#).is_err());
    }
}

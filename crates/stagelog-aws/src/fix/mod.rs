//! Live fixes with a backout plan, one module per job: `plan` turns findings into changes (each
//! with the AWS CLI command a person could run instead; pure); `journal` is the record, written
//! and fsync'ed *before* each change; `apply` makes the changes; `rollback` replays a journal
//! newest first, restoring every changed stage exactly (`restore` is pure). Log groups a fix
//! created are kept unless asked (data is never deleted by default).

mod apply;
mod journal;
mod plan;
mod rollback;

pub use apply::{apply, FixError};
pub use journal::{
    read_journal, rollback_journal_path, AccountState, Before, EntryState, JournalEntry,
    LogGroupState, MethodSettingState, RestStageState, RouteState, V2StageState,
};
pub use plan::plan;
pub use rollback::rollback;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value as Json};
use stagelog_model::{Finding, LogGroupTemplate, Remedy};
use std::collections::BTreeMap;

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

/// A JSON-patch operation of API Gateway's `UpdateStage`/`UpdateAccount`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PatchOp {
    Replace,
    Remove,
}

impl PatchOp {
    pub fn as_str(self) -> &'static str {
        match self {
            PatchOp::Replace => "replace",
            PatchOp::Remove => "remove",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Patch {
    pub op: PatchOp,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub value: Option<String>,
}

pub(crate) fn replace(path: String, value: impl Into<String>) -> Patch {
    Patch {
        op: PatchOp::Replace,
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
    /// The AWS CLI command(s) that make the same change, every value quoted for a POSIX shell.
    pub fn cli(&self) -> String {
        let r = sh(&self.region);
        let json = |j: &Json| sh(&j.to_string());
        match &self.action {
            Action::CreateLogGroup { name, retention_days, kms_key } => format!(
                "aws logs create-log-group --region {r} --log-group-name {}{} && aws logs put-retention-policy --region {r} --log-group-name {} --retention-in-days {retention_days}",
                sh(name),
                kms_key.as_ref().map(|k| format!(" --kms-key-id {}", sh(k))).unwrap_or_default(),
                sh(name)
            ),
            Action::PutRetention { name, days } => format!(
                "aws logs put-retention-policy --region {r} --log-group-name {} --retention-in-days {days}",
                sh(name)
            ),
            Action::DeleteLogGroup { name } => {
                format!("aws logs delete-log-group --region {r} --log-group-name {}", sh(name))
            }
            Action::SetCloudWatchRole { role_name } => format!(
                "aws iam create-role --role-name {0} --assume-role-policy-document {1} && aws iam attach-role-policy --role-name {0} --policy-arn {PUSH_POLICY} && aws apigateway update-account --region {r} --patch-operations {2}",
                sh(role_name),
                sh(TRUST),
                sh(&format!(
                    "op=replace,path=/cloudwatchRoleArn,value=arn:{}:iam::{}:role/{role_name}",
                    stagelog_model::arn::partition_of_region(&self.region),
                    self.account
                ))
            ),
            Action::SetAccountRoleArn { arn: Some(a) } => format!(
                "aws apigateway update-account --region {r} --patch-operations {}",
                sh(&format!("op=replace,path=/cloudwatchRoleArn,value={a}"))
            ),
            Action::SetAccountRoleArn { arn: None } => format!(
                "aws apigateway update-account --region {r} --patch-operations op=remove,path=/cloudwatchRoleArn"
            ),
            Action::DeleteRole { role_name } => format!(
                "aws iam detach-role-policy --role-name {0} --policy-arn {PUSH_POLICY} && aws iam delete-role --role-name {0}",
                sh(role_name)
            ),
            Action::DeleteRetention { name } => format!(
                "aws logs delete-retention-policy --region {r} --log-group-name {}",
                sh(name)
            ),
            Action::DeleteV2AccessLogs { api_id, stage } => format!(
                "aws apigatewayv2 delete-access-log-settings --region {r} --api-id {} --stage-name {}",
                sh(api_id),
                sh(stage)
            ),
            Action::UpdateRestStage { api_id, stage, patch } => {
                let ops: Vec<Json> = patch
                    .iter()
                    .map(|p| json!({"op": p.op.as_str(), "path": p.path, "value": p.value}))
                    .collect();
                format!(
                    "aws apigateway update-stage --region {r} --rest-api-id {} --stage-name {} --patch-operations {}",
                    sh(api_id),
                    sh(stage),
                    json(&Json::Array(ops))
                )
            }
            Action::UpdateV2Stage { api_id, stage, access_log_settings, default_route_settings, route_settings } => {
                let mut cmd = format!(
                    "aws apigatewayv2 update-stage --region {r} --api-id {} --stage-name {}",
                    sh(api_id),
                    sh(stage)
                );
                if let Some(a) = access_log_settings {
                    cmd.push_str(&format!(" --access-log-settings {}", json(a)));
                }
                if let Some(d) = default_route_settings {
                    cmd.push_str(&format!(" --default-route-settings {}", json(d)));
                }
                if !route_settings.is_empty() {
                    cmd.push_str(&format!(" --route-settings {}", json(&json!(route_settings))));
                }
                cmd
            }
        }
    }
}

/// One shell word (shlex: quoted only where the shell needs it).
fn sh(s: &str) -> String {
    shlex::try_quote(s)
        .map(|q| q.into_owned())
        // Only a NUL byte is refused, which no AWS name holds.
        .unwrap_or_else(|_| sh(&s.replace('\0', "")))
}

pub(crate) const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"apigateway.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
pub(crate) const PUSH_POLICY: &str =
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
        Remedy::RecommendedFormat { .. } => "stagelog fix --live (sets the recommended one-line JSON format with $context.requestId)".into(),
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

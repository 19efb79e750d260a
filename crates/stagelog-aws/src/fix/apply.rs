//! Applying changes: the state each replaces is read fresh and journalled before the change.

use super::journal::{
    AccountState, Before, Journal, LogGroupState, MethodSettingState, RestAccessLogs,
    RestStageState, RouteState, V2AccessLogs, V2StageState,
};
use super::{Action, Change, JournalEntry, Patch, PUSH_POLICY, TRUST};
use crate::{base_config, sdk_error, AuditOptions};
use aws_config::{Region, SdkConfig};
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::path::Path;

/// SDK configs per account: the caller's, or one per role ARN (the account is in the ARN).
pub(crate) async fn configs(opts: &AuditOptions) -> Result<BTreeMap<String, SdkConfig>, String> {
    let base = base_config(opts).await;
    let mut errors = Vec::new();
    let accounts = crate::accounts(opts, &base, &mut errors, &mut Vec::new()).await;
    if let Some(e) = errors.first() {
        return Err(e.message.clone());
    }
    Ok(accounts.into_iter().map(|a| (a.id, a.config)).collect())
}

pub(super) fn conf_for(
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
pub(super) async fn read_before(conf: &SdkConfig, action: &Action) -> Result<Before, String> {
    match action {
        Action::SetAccountRoleArn { .. } => {
            let account = aws_sdk_apigateway::Client::new(conf)
                .get_account()
                .send()
                .await
                .map_err(|e| sdk_error(&e))?;
            Ok(Before::Account(AccountState {
                cloudwatch_role_arn: account.cloudwatch_role_arn().map(str::to_string),
                role_exists: None,
            }))
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
            Ok(Before::Account(AccountState {
                cloudwatch_role_arn: account.cloudwatch_role_arn().map(str::to_string),
                role_exists: Some(role_exists),
            }))
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
            Ok(Before::LogGroup(LogGroupState {
                exists: group.is_some(),
                retention_days: group.and_then(|g| g.retention_in_days()),
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
            let method_settings = s
                .method_settings()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| {
                            (
                                k.clone(),
                                MethodSettingState {
                                    metrics_enabled: Some(v.metrics_enabled()),
                                    logging_level: v.logging_level().map(str::to_string),
                                    data_trace_enabled: Some(v.data_trace_enabled()),
                                    throttling_burst_limit: Some(i64::from(
                                        v.throttling_burst_limit(),
                                    )),
                                    throttling_rate_limit: Some(v.throttling_rate_limit()),
                                    caching_enabled: Some(v.caching_enabled()),
                                    cache_ttl_in_seconds: Some(i64::from(v.cache_ttl_in_seconds())),
                                    cache_data_encrypted: Some(v.cache_data_encrypted()),
                                    require_authorization_for_cache_control: Some(
                                        v.require_authorization_for_cache_control(),
                                    ),
                                    unauthorized_cache_control_header_strategy: v
                                        .unauthorized_cache_control_header_strategy()
                                        .map(|s| s.as_str().to_string()),
                                },
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            Ok(Before::RestStage(RestStageState {
                access_log_settings: s.access_log_settings().map(|a| RestAccessLogs {
                    destination_arn: a.destination_arn().map(str::to_string),
                    format: a.format().map(str::to_string),
                }),
                method_settings,
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
            let route = |r: &aws_sdk_apigatewayv2::types::RouteSettings| RouteState {
                logging_level: r.logging_level().map(|l| l.as_str().to_string()),
                data_trace_enabled: r.data_trace_enabled(),
            };
            Ok(Before::V2Stage(V2StageState {
                access_log_settings: s.access_log_settings().map(|a| V2AccessLogs {
                    destination_arn: a.destination_arn().map(str::to_string),
                    format: a.format().map(str::to_string),
                }),
                default_route_settings: s.default_route_settings().map(route),
                route_settings: s
                    .route_settings()
                    .map(|m| m.iter().map(|(k, v)| (k.clone(), route(v))).collect())
                    .unwrap_or_default(),
            }))
        }
    }
}

pub(super) async fn perform(
    conf: &SdkConfig,
    action: &Action,
    before: &Before,
) -> Result<(), AwsError> {
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
                        .map_err(aws)?;
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
                .map_err(aws)?;
            set_account_role(conf, Some(&arn)).await?;
        }
        Action::SetAccountRoleArn { arn } => set_account_role(conf, arn.as_deref()).await?,
        Action::DeleteRole { role_name } => {
            if matches!(
                before,
                Before::Account(AccountState {
                    role_exists: Some(true),
                    ..
                })
            ) {
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
                    .map_err(aws)?;
            }
        }
        Action::CreateLogGroup {
            name,
            retention_days,
            kms_key,
        } => {
            let logs = aws_sdk_cloudwatchlogs::Client::new(conf);
            if !matches!(before, Before::LogGroup(LogGroupState { exists: true, .. })) {
                logs.create_log_group()
                    .log_group_name(name)
                    .set_kms_key_id(kms_key.clone())
                    .send()
                    .await
                    .map_err(aws)?;
            }
            logs.put_retention_policy()
                .log_group_name(name)
                .retention_in_days(*retention_days)
                .send()
                .await
                .map_err(aws)?;
        }
        Action::PutRetention { name, days } => {
            aws_sdk_cloudwatchlogs::Client::new(conf)
                .put_retention_policy()
                .log_group_name(name)
                .retention_in_days(*days)
                .send()
                .await
                .map_err(aws)?;
        }
        Action::DeleteLogGroup { name } => {
            if matches!(before, Before::LogGroup(LogGroupState { exists: true, .. })) {
                aws_sdk_cloudwatchlogs::Client::new(conf)
                    .delete_log_group()
                    .log_group_name(name)
                    .send()
                    .await
                    .map_err(aws)?;
            }
        }
        Action::DeleteRetention { name } => {
            aws_sdk_cloudwatchlogs::Client::new(conf)
                .delete_retention_policy()
                .log_group_name(name)
                .send()
                .await
                .map_err(aws)?;
        }
        Action::DeleteV2AccessLogs { api_id, stage } => {
            if matches!(
                before,
                Before::V2Stage(V2StageState {
                    access_log_settings: Some(_),
                    ..
                })
            ) {
                aws_sdk_apigatewayv2::Client::new(conf)
                    .delete_access_log_settings()
                    .api_id(api_id)
                    .stage_name(stage)
                    .send()
                    .await
                    .map_err(aws)?;
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
async fn set_account_role(conf: &SdkConfig, arn: Option<&str>) -> Result<(), AwsError> {
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
            Err(e) => return Err(aws(e)),
        }
    }
}

async fn rest_patch(
    conf: &SdkConfig,
    api_id: &str,
    stage: &str,
    patch: &[Patch],
) -> Result<(), AwsError> {
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
        .map_err(aws)?;
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
) -> Result<(), AwsError> {
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
    req.send().await.map_err(aws)?;
    Ok(())
}

/// An error from AWS while changing something: whether AWS answered (it refused, so the change
/// was not made) or not (timeout, connection lost: the change may or may not have been made).
#[derive(Debug, Clone)]
pub(crate) struct AwsError {
    pub message: String,
    pub answered: bool,
}

pub(crate) fn aws<E, R>(e: aws_sdk_apigateway::error::SdkError<E, R>) -> AwsError
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    use aws_sdk_apigateway::error::SdkError;
    AwsError {
        answered: matches!(e, SdkError::ServiceError(_)),
        message: sdk_error(&e),
    }
}

/// Why a live fix or rollback stopped. Whatever it is, every change made so far is in the
/// journal, and `stagelog rollback JOURNAL` restores it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FixError {
    /// Nothing (more) was changed: credentials, the current state or the journal could not be
    /// read or written before the next change.
    #[error("nothing more was changed: {0}")]
    NothingChanged(String),
    /// AWS refused change `step`: it was not made.
    #[error("AWS refused step {step} ({command}), which was not made: {message}")]
    Refused {
        step: u64,
        command: String,
        message: String,
    },
    /// Change `step` got no answer: it may or may not have been made. The journal has it as
    /// pending, so a rollback restores it either way.
    #[error("step {step} ({command}) got no answer and may or may not have been made: {message}")]
    StateUnknown {
        step: u64,
        command: String,
        message: String,
    },
}

impl FixError {
    pub(crate) fn of(step: u64, command: String, e: AwsError) -> FixError {
        if e.answered {
            FixError::Refused {
                step,
                command,
                message: e.message,
            }
        } else {
            FixError::StateUnknown {
                step,
                command,
                message: e.message,
            }
        }
    }
}

/// One step, as the journal requires: the state it replaces read fresh and written (fsync'ed)
/// as pending, the change made, then marked done.
pub(super) async fn journalled_step(
    j: &mut Journal,
    seq: u64,
    conf: &SdkConfig,
    change: &Change,
) -> Result<(), FixError> {
    let before = read_before(conf, &change.action).await.map_err(|e| {
        FixError::NothingChanged(format!("step {seq}: cannot read the current state: {e}"))
    })?;
    j.write(&JournalEntry::pending(seq, change.clone(), before.clone()))
        .map_err(|e| FixError::NothingChanged(e.to_string()))?;
    perform(conf, &change.action, &before)
        .await
        .map_err(|e| FixError::of(seq, change.cli(), e))?;
    // The change is made; a journal that cannot say so still has it as pending, which a
    // rollback restores all the same.
    j.write(&JournalEntry::done(seq))
        .map_err(|e| FixError::StateUnknown {
            step: seq,
            command: change.cli(),
            message: format!("made, but the journal could not record it: {e}"),
        })
}

/// Applies the changes in order, journalling each before making it. Stops at the first
/// failure; the journal then holds everything done so far (and the failed change as pending).
pub async fn apply(
    changes: &[Change],
    audit: &AuditOptions,
    journal: &Path,
) -> Result<usize, FixError> {
    let configs = configs(audit).await.map_err(FixError::NothingChanged)?;
    let mut j = Journal::create(journal).map_err(|e| FixError::NothingChanged(e.to_string()))?;
    for (i, change) in changes.iter().enumerate() {
        let seq = i as u64 + 1;
        let conf = conf_for(&configs, &change.account, &change.region)
            .map_err(FixError::NothingChanged)?;
        journalled_step(&mut j, seq, &conf, change).await?;
    }
    Ok(changes.len())
}

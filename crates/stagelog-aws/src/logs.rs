//! The log groups stages write to: access log destinations and execution log groups, read
//! with DescribeLogGroups by their exact names, 50 a call (`logGroupIdentifiers`, CloudWatch
//! Logs API Reference): never by listing or prefix, which on an account with very many
//! groups costs calls in proportion to the account's groups, not to its stages.

use crate::sdk_error;
use aws_config::SdkConfig;
use stagelog_model::arn::LogGroupArn;
use stagelog_model::{Location, LogClass, LogGroup, Stage, Text, Value};
use std::collections::BTreeSet;

pub(crate) const EXECUTION_PREFIX: &str = "API-Gateway-Execution-Logs_";

/// DescribeLogGroups takes at most this many `logGroupIdentifiers`.
pub(crate) const NAMES_PER_CALL: usize = 50;

/// Names of the log groups the stages may write to.
fn wanted(stages: &[Stage]) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for s in stages {
        for d in &s.execution_deliveries {
            if let Some(arn) = d.destination.as_known() {
                names.extend(LogGroupArn::parse(&arn).map(|a| a.name));
            }
        }
        if let Some(Value::Known(a)) = &s.access_log {
            if let Some(arn) = a.destination.as_ref().and_then(|d| d.arn.as_known()) {
                names.extend(LogGroupArn::parse(&arn).map(|a| a.name));
            }
        }
        if s.api_kind.has_execution_logging() {
            if let Some(api) = &s.api {
                names.insert(format!("{EXECUTION_PREFIX}{api}/{}", s.name));
            }
        }
    }
    names
}

pub(crate) async fn read(
    conf: &SdkConfig,
    account: &str,
    region: &str,
    stages: &[Stage],
) -> Result<Vec<LogGroup>, String> {
    let names = wanted(stages);
    if names.is_empty() {
        return Ok(vec![]);
    }
    let client = aws_sdk_cloudwatchlogs::Client::new(conf);
    let names: Vec<String> = names.into_iter().collect();
    let mut out = Vec::new();
    for batch in names.chunks(NAMES_PER_CALL) {
        let groups: Vec<_> = client
            .describe_log_groups()
            .set_log_group_identifiers(Some(batch.to_vec()))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| {
                format!(
                    "cannot describe log groups {}{}: {}",
                    batch[0],
                    if batch.len() > 1 {
                        format!(" and {} more", batch.len() - 1)
                    } else {
                        String::new()
                    },
                    sdk_error(&e)
                )
            })?;
        for g in groups {
            let Some(name) = g.log_group_name() else {
                continue;
            };
            if !batch.iter().any(|n| n == name) {
                continue;
            }
            let arn = g
                .arn()
                .map(|a| a.strip_suffix(":*").unwrap_or(a).to_string())
                .unwrap_or_else(|| name.to_string());
            let mut group = LogGroup::declared(
                Text::lit(name),
                g.retention_in_days().map(|d| Value::Known(i64::from(d))),
                g.kms_key_id().filter(|k| !k.is_empty()).map(Text::lit),
                Location::live(account, region, arn),
            );
            group.class = g
                .log_group_class()
                .and_then(|c| LogClass::parse(c.as_str()));
            group.stored_bytes = g.stored_bytes().and_then(|b| u64::try_from(b).ok());
            out.push(group);
        }
    }
    out.sort_by(|a, b| a.location.resource.cmp(&b.location.resource));
    out.dedup_by(|a, b| a.location.resource == b.location.resource);
    Ok(out)
}

/// Execution-log deliveries of a region's REST stages: the delivery sources of type
/// `EXECUTION_LOGS` on API Gateway stages, their deliveries and the destinations those name —
/// three paginated Describe calls per region, and only the first when there is no source.
pub(crate) async fn deliveries(
    conf: &SdkConfig,
    account: &str,
    region: &str,
    stages: &mut [Stage],
) -> Result<(), String> {
    let client = aws_sdk_cloudwatchlogs::Client::new(conf);
    let failed = |what: &str, e: &(dyn std::error::Error + 'static)| {
        format!("cannot describe {what}: {}", sdk_error(e))
    };
    let sources: Vec<_> = client
        .describe_delivery_sources()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| failed("delivery sources", &e))?;
    // Source name → the stage ARNs it reads.
    let mut stage_sources: std::collections::HashMap<String, Vec<String>> = Default::default();
    for src in &sources {
        if src.log_type() != Some("EXECUTION_LOGS") || src.service() != Some("apigateway") {
            continue;
        }
        if let Some(name) = src.name() {
            stage_sources
                .entry(name.to_string())
                .or_default()
                .extend(src.resource_arns().iter().cloned());
        }
    }
    if stage_sources.is_empty() {
        return Ok(());
    }
    let deliveries: Vec<_> = client
        .describe_deliveries()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| failed("deliveries", &e))?;
    let destinations: Vec<_> = client
        .describe_delivery_destinations()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| failed("delivery destinations", &e))?;
    for d in &deliveries {
        let Some(arns) = d.delivery_source_name().and_then(|n| stage_sources.get(n)) else {
            continue;
        };
        let destination = d.delivery_destination_arn().and_then(|arn| {
            destinations
                .iter()
                .find(|x| x.arn() == Some(arn))
                .and_then(|x| x.delivery_destination_configuration())
                .map(|c| c.destination_resource_arn().to_string())
        });
        let destination = destination
            .or_else(|| d.delivery_destination_arn().map(str::to_string))
            .unwrap_or_default();
        for arn in arns {
            // `arn:aws:apigateway:REGION:ACCOUNT:/restapis/ID/stages/NAME`; the stage's own
            // ARN has no account.
            let Some((_, path)) = arn.split_once(":/restapis/") else {
                continue;
            };
            let Some((api, name)) = path.split_once("/stages/") else {
                continue;
            };
            let Some(stage) = stages.iter_mut().find(|s| {
                s.api_kind == stagelog_model::ApiKind::Rest
                    && s.api.as_ref().and_then(|a| a.as_known()).as_deref() == Some(api)
                    && s.name.as_known().as_deref() == Some(name)
            }) else {
                continue;
            };
            stage
                .execution_deliveries
                .push(stagelog_model::ExecutionDelivery {
                    destination: Text::lit(&destination),
                    log_group: None,
                    location: Location::live(
                        account,
                        region,
                        d.arn().unwrap_or_default().to_string(),
                    ),
                });
        }
    }
    Ok(())
}

/// Links each delivery to the log group of the inventory it writes to.
pub(crate) fn link_deliveries(inv: &mut stagelog_model::Inventory) {
    let names: Vec<Option<String>> = inv.log_groups.iter().map(|g| g.name.as_known()).collect();
    for d in inv
        .stages
        .iter_mut()
        .flat_map(|s| &mut s.execution_deliveries)
    {
        let Some(arn) = d.destination.as_known() else {
            continue;
        };
        let Some(name) = LogGroupArn::parse(&arn).map(|a| a.name) else {
            continue;
        };
        d.log_group = names
            .iter()
            .position(|n| n.as_deref() == Some(name.as_str()));
    }
}

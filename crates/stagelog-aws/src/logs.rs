//! The log groups stages write to: access log destinations and execution log groups, read
//! with DescribeLogGroups by a few shared name prefixes rather than one call per stage.

use crate::scope::location;
use crate::sdk_error;
use aws_config::SdkConfig;
use stagelog_model::{LogClass, LogGroup, Stage, Text, Value};
use std::collections::BTreeSet;

pub(crate) const EXECUTION_PREFIX: &str = "API-Gateway-Execution-Logs_";

/// Past this many prefixes, listing every log group in the region is fewer calls.
const MAX_PREFIXES: usize = 20;

/// Names of the log groups the stages may write to.
fn wanted(stages: &[Stage]) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for s in stages {
        if let Some(Value::Known(a)) = &s.access_log {
            if let Some(arn) = a.destination.as_ref().and_then(|d| d.arn.as_known()) {
                if let Some((_, name)) = arn.split_once(":log-group:") {
                    names.insert(name.strip_suffix(":*").unwrap_or(name).to_string());
                }
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

/// Groups names by their first segment and takes each group's longest common prefix.
pub(crate) fn prefixes(names: &BTreeSet<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let first_segment = |n: &str| -> String {
        let body = n.trim_start_matches('/');
        let end = body
            .find(['/', '_', '-'])
            .map(|i| i + 1)
            .unwrap_or(body.len());
        n[..n.len() - body.len() + end].to_string()
    };
    let mut groups: std::collections::BTreeMap<String, String> = std::collections::BTreeMap::new();
    for n in names {
        groups
            .entry(first_segment(n))
            .and_modify(|lcp| {
                let common = lcp
                    .chars()
                    .zip(n.chars())
                    .take_while(|(a, b)| a == b)
                    .count();
                lcp.truncate(
                    lcp.char_indices()
                        .nth(common)
                        .map(|(i, _)| i)
                        .unwrap_or(lcp.len()),
                );
            })
            .or_insert_with(|| n.clone());
    }
    for (_, lcp) in groups {
        if !lcp.is_empty() && !out.iter().any(|p| lcp.starts_with(p.as_str())) {
            out.push(lcp);
        }
    }
    out
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
    let prefixes = prefixes(&names);
    let calls: Vec<Option<String>> = if prefixes.len() > MAX_PREFIXES {
        vec![None]
    } else {
        prefixes.into_iter().map(Some).collect()
    };
    let mut out = Vec::new();
    for prefix in calls {
        let groups: Vec<_> = client
            .describe_log_groups()
            .set_log_group_name_prefix(prefix.clone())
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| {
                format!(
                    "cannot describe log groups{}: {}",
                    prefix
                        .map(|p| format!(" with prefix {p}"))
                        .unwrap_or_default(),
                    sdk_error(&e)
                )
            })?;
        for g in groups {
            let Some(name) = g.log_group_name() else {
                continue;
            };
            if !names.contains(name) {
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
                location(account, region, arn),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_group_names_sharing_a_first_segment() {
        let names: BTreeSet<String> = [
            "/aws/vendedlogs/apigateway/a/prod",
            "/aws/vendedlogs/apigateway/b/prod",
            "/aws/apigateway/c",
            "API-Gateway-Execution-Logs_abc/prod",
            "API-Gateway-Execution-Logs_def/dev",
            "access",
        ]
        .into_iter()
        .map(String::from)
        .collect();
        assert_eq!(
            prefixes(&names),
            ["/aws/", "API-Gateway-Execution-Logs_", "access"]
        );
    }
}

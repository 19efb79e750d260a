//! One account and region → one inventory: REST APIs and their stages, v2 APIs and their
//! stages, the account settings, and the log groups those stages write to.

use crate::iam::RoleCache;
use crate::{logs, sdk_error};
use aws_config::{Region, SdkConfig};
use futures::stream::{self, StreamExt};
use stagelog_model::{
    AccessLog, AccountSettings, ApiKind, Destination, Inventory, Location, LogLevel,
    MethodSettings, Problem, Stage, Tags, Text, Value,
};

/// API Gateway's control plane throttles hard: a few stage reads at once per scope.
const STAGE_READS_AT_ONCE: usize = 4;

pub(crate) struct ScopeResult {
    pub account: String,
    pub region: String,
    pub inventory: Option<Inventory>,
    pub errors: Vec<Problem>,
    pub apis: usize,
}

use stagelog_model::arn::StageArn;

fn destination(arn: Option<&str>) -> Option<Destination> {
    arn.filter(|a| !a.is_empty()).map(|a| Destination {
        arn: Text::lit(a),
        log_group: None,
    })
}

fn access_log(dest: Option<&str>, format: Option<&str>) -> Option<Value<AccessLog>> {
    let destination = destination(dest);
    let format = format.filter(|f| !f.is_empty()).map(Text::lit);
    if destination.is_none() && format.is_none() {
        return None;
    }
    Some(Value::Known(AccessLog {
        destination,
        format,
        line: None,
    }))
}

/// Tags as (key, value), sorted.
type TagList = Vec<(String, String)>;

/// Tags as a sorted list (the SDK returns a map).
fn tag_list(tags: Option<&std::collections::HashMap<String, String>>) -> TagList {
    let mut list: Vec<(String, String)> = tags
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    list.sort();
    list
}

pub(crate) async fn read(
    config: &SdkConfig,
    account: &str,
    region: &str,
    roles: &RoleCache,
    focus: Option<&crate::cloudtrail::Focus>,
) -> ScopeResult {
    let conf = config
        .to_builder()
        .region(Region::new(region.to_string()))
        .build();
    let mut result = ScopeResult {
        account: account.to_string(),
        region: region.to_string(),
        inventory: None,
        errors: Vec::new(),
        apis: 0,
    };
    let err = |message: String| {
        Problem::in_scope(Some(account.to_string()), Some(region.to_string()), message)
    };
    let v1 = aws_sdk_apigateway::Client::new(&conf);
    let v2 = aws_sdk_apigatewayv2::Client::new(&conf);
    let mut inv = Inventory {
        live: true,
        ..Inventory::default()
    };

    // REST APIs: one paginated list, then one GetStages per API (it returns every stage
    // with its method settings and access log settings). With a focus, the one API it names
    // (GetRestApi), or none when it names a v2 API.
    let rest_apis: Vec<(String, Option<String>, TagList)> = match focus {
        Some(f) if !f.rest => vec![],
        Some(f) => match v1.get_rest_api().rest_api_id(&f.api_id).send().await {
            Ok(api) => vec![(
                f.api_id.clone(),
                api.name().map(str::to_string),
                tag_list(api.tags()),
            )],
            Err(e) => {
                result.errors.push(err(format!(
                    "cannot read REST API {}: {}",
                    f.api_id,
                    sdk_error(&e)
                )));
                return result;
            }
        },
        None => match v1
            .get_rest_apis()
            .limit(500)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
        {
            Ok(apis) => apis
                .iter()
                .map(|a| {
                    (
                        a.id().unwrap_or_default().to_string(),
                        a.name().map(str::to_string),
                        tag_list(a.tags()),
                    )
                })
                .collect(),
            Err(e) => {
                // Nothing can be said of a region whose APIs cannot be listed.
                result
                    .errors
                    .push(err(format!("cannot list REST APIs: {}", sdk_error(&e))));
                return result;
            }
        },
    };
    let rest_stages: Vec<_> = stream::iter(rest_apis.iter())
        .map(|api| {
            let v1 = &v1;
            async move { (api, v1.get_stages().rest_api_id(&api.0).send().await) }
        })
        .buffered(STAGE_READS_AT_ONCE)
        .collect()
        .await;
    for ((id, api_name, api_tags), stages) in rest_stages {
        let stages = match stages {
            Ok(s) => s,
            Err(e) => {
                result.errors.push(err(format!(
                    "cannot read the stages of REST API {id}: {}",
                    sdk_error(&e)
                )));
                continue;
            }
        };
        for s in stages.item() {
            let name = s.stage_name().unwrap_or_default();
            let arn = StageArn::new(region, true, id, name).to_string();
            let mut stage = Stage {
                api: Some(Text::lit(id)),
                api_name: api_name.clone(),
                access_log: s
                    .access_log_settings()
                    .and_then(|a| access_log(a.destination_arn(), a.format())),
                tags: Tags {
                    stage: tag_list(s.tags()),
                    api: api_tags.clone(),
                },
                ..Stage::new(
                    ApiKind::Rest,
                    Text::lit(name),
                    Location::live(account, region, arn),
                )
            };
            let mut settings: Vec<_> = s
                .method_settings()
                .map(|m| m.iter().collect())
                .unwrap_or_default();
            settings.sort_by(|a, b| a.0.cmp(b.0));
            for (path, m) in settings {
                let ms = MethodSettings {
                    logging_level: m.logging_level().map(|l| Value::Known(LogLevel::parse(l))),
                    data_trace: Some(Value::Known(m.data_trace_enabled())),
                    location: None,
                };
                if path == "*/*" {
                    stage.default_settings = ms;
                } else {
                    stage.overrides.push((path.clone(), ms));
                }
            }
            inv.stages.push(stage);
        }
    }
    result.apis += rest_apis.len();

    // HTTP and WebSocket APIs: listed, or the one a focus names (GetApi).
    let mut v2_apis: Vec<(String, Option<String>, ApiKind, TagList)> = Vec::new();
    let kind_of = |p: Option<&aws_sdk_apigatewayv2::types::ProtocolType>| match p {
        Some(aws_sdk_apigatewayv2::types::ProtocolType::Websocket) => ApiKind::WebSocket,
        Some(aws_sdk_apigatewayv2::types::ProtocolType::Http) => ApiKind::Http,
        _ => ApiKind::V2,
    };
    match focus {
        Some(f) if f.rest => {}
        Some(f) => match v2.get_api().api_id(&f.api_id).send().await {
            Ok(api) => v2_apis.push((
                f.api_id.clone(),
                api.name().map(str::to_string),
                kind_of(api.protocol_type()),
                tag_list(api.tags()),
            )),
            Err(e) => result.errors.push(err(format!(
                "cannot read API {}: {}",
                f.api_id,
                sdk_error(&e)
            ))),
        },
        None => {
            let mut token = None;
            loop {
                match v2
                    .get_apis()
                    .max_results("500")
                    .set_next_token(token)
                    .send()
                    .await
                {
                    Ok(page) => {
                        v2_apis.extend(page.items().iter().map(|a| {
                            (
                                a.api_id().unwrap_or_default().to_string(),
                                a.name().map(str::to_string),
                                kind_of(a.protocol_type()),
                                tag_list(a.tags()),
                            )
                        }));
                        token = page.next_token().map(str::to_string);
                        if token.is_none() {
                            break;
                        }
                    }
                    Err(e) => {
                        result.errors.push(err(format!(
                            "cannot list HTTP/WebSocket APIs: {}",
                            sdk_error(&e)
                        )));
                        break;
                    }
                }
            }
        }
    }
    let v2_stages: Vec<_> = stream::iter(v2_apis.iter())
        .map(|api| {
            let v2 = &v2;
            async move {
                let id = api.0.as_str();
                let mut all = Vec::new();
                let mut token = None;
                loop {
                    match v2
                        .get_stages()
                        .api_id(id)
                        .set_next_token(token)
                        .send()
                        .await
                    {
                        Ok(page) => {
                            all.extend(page.items().iter().cloned());
                            token = page.next_token().map(str::to_string);
                            if token.is_none() {
                                return (api, Ok(all));
                            }
                        }
                        Err(e) => return (api, Err(sdk_error(&e))),
                    }
                }
            }
        })
        .buffered(STAGE_READS_AT_ONCE)
        .collect()
        .await;
    for ((id, api_name, kind, api_tags), stages) in v2_stages {
        let (id, kind) = (id.as_str(), *kind);
        let stages = match stages {
            Ok(s) => s,
            Err(e) => {
                result
                    .errors
                    .push(err(format!("cannot read the stages of API {id}: {e}")));
                continue;
            }
        };
        for s in stages {
            let name = s.stage_name().unwrap_or_default();
            let arn = StageArn::new(region, false, id, name).to_string();
            let route = |r: &aws_sdk_apigatewayv2::types::RouteSettings| MethodSettings {
                logging_level: r
                    .logging_level()
                    .map(|l| Value::Known(LogLevel::parse(l.as_str()))),
                data_trace: r.data_trace_enabled().map(Value::Known),
                location: None,
            };
            let mut overrides: Vec<_> = s
                .route_settings()
                .map(|m| m.iter().map(|(k, v)| (k.clone(), route(v))).collect())
                .unwrap_or_default();
            overrides.sort_by(|a: &(String, MethodSettings), b| a.0.cmp(&b.0));
            inv.stages.push(Stage {
                api_kind: kind,
                api: Some(Text::lit(id)),
                api_name: api_name.clone(),
                name: Text::lit(name),
                access_log: s
                    .access_log_settings()
                    .and_then(|a| access_log(a.destination_arn(), a.format())),
                default_settings: s.default_route_settings().map(route).unwrap_or_default(),
                overrides,
                execution_log_group: None,
                execution_deliveries: vec![],
                note: None,
                flow: None,
                delivery_flows: vec![],
                requests: None,
                tags: Tags {
                    stage: tag_list(s.tags()),
                    api: api_tags.clone(),
                },
                location: Location::live(account, region, arn),
            });
        }
    }
    result.apis += v2_apis.len();

    // The stage a focus names, alone (the API's other stages were not changed).
    if let Some(stage) = focus.and_then(|f| f.stage.as_deref()) {
        inv.stages
            .retain(|s| s.name.as_known().as_deref() == Some(stage));
    }

    // Account settings: the CloudWatch role, and what IAM says of it.
    match v1.get_account().send().await {
        Ok(a) => {
            let role_arn = a
                .cloudwatch_role_arn()
                .filter(|r| !r.is_empty())
                .map(str::to_string);
            let role = match &role_arn {
                Some(arn) => match roles.facts(&conf, account, arn).await {
                    Ok(f) => f,
                    Err(e) => {
                        result.errors.push(err(e));
                        None
                    }
                },
                None => None,
            };
            inv.accounts.push(AccountSettings {
                cloudwatch_role_arn: role_arn.map(Text::lit),
                role,
                location: Location::live(
                    account,
                    region,
                    stagelog_model::arn::apigateway_account(region),
                ),
            });
        }
        Err(e) => result.errors.push(err(format!(
            "cannot read API Gateway account settings: {}",
            sdk_error(&e)
        ))),
    }

    // Execution-log deliveries first: the groups they write to are read with the others.
    if let Err(e) = logs::deliveries(&conf, account, region, &mut inv.stages).await {
        result.errors.push(err(e));
    }
    // Log groups the stages write to, fetched by name, 50 a call, not one call per stage.
    match logs::read(&conf, account, region, &inv.stages).await {
        Ok(groups) => {
            inv.log_groups = groups;
            inv.log_groups_complete = true;
        }
        Err(e) => result.errors.push(err(e)),
    }
    inv.link_destinations_by_name();
    logs::link_deliveries(&mut inv);
    for stage in &mut inv.stages {
        if let (Some(api), true) = (&stage.api, stage.api_kind.has_execution_logging()) {
            let name = format!("{}{api}/{}", logs::EXECUTION_PREFIX, stage.name);
            stage.execution_log_group = inv
                .log_groups
                .iter()
                .position(|g| g.name.as_known().as_deref() == Some(&name));
        }
    }
    inv.stages
        .sort_by(|a, b| a.location.resource.cmp(&b.location.resource));
    result.inventory = Some(inv);
    result
}

//! CloudFormation and SAM fixes. JSON templates are patched and written back with their own
//! indentation (key order kept); YAML templates are edited in place (see `yaml_edit`) or, when
//! that would disturb the template, get the exact snippet and where it goes.

use crate::error::{EditError, FileError};
use crate::yaml_edit::{self, emit};
use crate::{Edit, Manual, Options, Target};
use serde_json::{json, Map, Value as Json};
use stagelog_model::context_vars::recommended_format_json;
use stagelog_model::{
    clean_name_part, ApiKind, ExecutionLevel, Finding, Placeholder, Remedy, Segment, SettingsTarget,
};

/// The indentation the template uses (CDK writes 1 space, most people 2 or 4).
fn indent_of(src: &str) -> usize {
    src.lines()
        .skip(1)
        .find(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start_matches(' ').len())
        .filter(|n| *n > 0)
        .unwrap_or(2)
}

/// The change a remedy asks for in a template; `Err` with the reason when a person must do it.
enum Change {
    AccessLogs {
        property: &'static str,
        format: String,
        retention: i64,
        name: Option<Json>,
    },
    Destination {
        property: &'static str,
        retention: i64,
        name: Option<Json>,
    },
    Format {
        property: &'static str,
        format: String,
    },
    ExecutionLevel(ExecutionLevel),
    DataTraceOff,
    Retention(i64),
    KmsKey(String),
    /// SAM's extra `Stage` stage goes away with `OpenApiVersion` set (SAM: "OpenApiVersion").
    OpenApiVersion,
}

/// The OpenAPI version SAM is told to write, which also stops it creating the `Stage` stage.
const OPENAPI_VERSION: &str = "3.0.1";

const DEPLOYMENT_STAGE: &str = "add StageDescription: {AccessLogSetting: {DestinationArn: !GetAtt <LogGroup>.Arn, Format}} to the Deployment that creates the stage (or declare an AWS::ApiGateway::Stage instead)";
const QUICK_CREATE: &str = "a quick-create API's $default stage has no logging settings: remove Target and declare an AWS::ApiGatewayV2::Stage named $default (AutoDeploy: true) with AccessLogSettings";
const SAM_STAGE: &str = "it is SAM's extra `Stage` stage: set OpenApiVersion on the API (or in Globals: Api:) to remove it; check first that your clients do not use that stage";

fn access_property(rtype: &str) -> Option<&'static str> {
    match rtype {
        "AWS::ApiGateway::Stage" | "AWS::Serverless::Api" => Some("AccessLogSetting"),
        "AWS::ApiGatewayV2::Stage" | "AWS::Serverless::HttpApi" => Some("AccessLogSettings"),
        _ => None,
    }
}

/// The `Globals` section SAM merges into its implicit APIs (`Api`, `HttpApi`), for a finding
/// on one the template does not declare.
fn globals_section(f: &Finding) -> Option<&'static str> {
    match f.location.resource.as_str() {
        "ServerlessRestApi" => Some("Api"),
        "ServerlessHttpApi" => Some("HttpApi"),
        _ => None,
    }
}

/// Where the settings of SAM's implicit APIs go.
fn sam_globals(f: &Finding) -> Option<&'static str> {
    match f.location.resource.as_str() {
        "ServerlessRestApi" => Some("Globals: Api:"),
        "ServerlessHttpApi" => Some("Globals: HttpApi:"),
        _ => None,
    }
}

/// The fix hint for a CloudFormation or SAM finding.
pub(crate) fn hint(f: &Finding) -> String {
    let rtype = f.location.resource_type.as_deref().unwrap_or_default();
    let hint = match &f.remedy {
        Remedy::AccessLogs { .. } if rtype == "AWS::ApiGateway::Deployment" => {
            DEPLOYMENT_STAGE.to_string()
        }
        Remedy::AccessLogs { .. } if rtype == "AWS::ApiGatewayV2::Api" => QUICK_CREATE.to_string(),
        Remedy::AccessLogs { .. }
            if rtype == "AWS::Serverless::Api" && f.stage.as_deref() == Some("Stage") =>
        {
            crate::on_sam_stage(f, SAM_STAGE)
        }
        Remedy::AccessLogs { .. } => {
            let property = if f.api_kind == Some(ApiKind::Rest) {
                "AccessLogSetting"
            } else {
                "AccessLogSettings"
            };
            format!("add {property} with DestinationArn (!GetAtt <LogGroup>.Arn) and Format")
        }
        Remedy::DedicatedLogGroup { .. } => {
            "set DestinationArn to !GetAtt <LogGroup>.Arn of a log group of this stage's own".into()
        }
        Remedy::RecommendedFormat { .. } => format!(
            "{}: set Format to one line of JSON (`stagelog fix` writes the recommended fields, keeping yours)",
            crate::format_problem(f)
        ),
        Remedy::ExecutionLogging { level, target } => match target {
            SettingsTarget::Override(_) => format!(
                "set LoggingLevel: {} in this override, or remove it",
                level.as_str()
            ),
            SettingsTarget::StageDefault if f.api_kind == Some(ApiKind::Rest) => format!(
                "add MethodSettings [{{ResourcePath: \"/*\", HttpMethod: \"*\", LoggingLevel: {}}}]",
                level.as_str()
            ),
            SettingsTarget::StageDefault => {
                format!("set DefaultRouteSettings: {{LoggingLevel: {}}}", level.as_str())
            }
        },
        Remedy::DataTraceOff { .. } => "set DataTraceEnabled: false".into(),
        Remedy::Retention { days } => format!("set RetentionInDays: {days}"),
        Remedy::KmsKey => "set KmsKeyId: !GetAtt <Key>.Arn (the key policy must allow logs.<region>.amazonaws.com)".into(),
        Remedy::CloudWatchRole => {
            "set the account's CloudWatch role once per account and region, in a baseline stack that declares no APIs (AWS::ApiGateway::Account with CloudWatchRoleArn: <a role trusted by apigateway.amazonaws.com>), not in this one: see `stagelog explain SL032`".into()
        }
        Remedy::CloudWatchRolePolicy => "trust apigateway.amazonaws.com and add ManagedPolicyArns: [arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]".into(),
        Remedy::Manual { reason } => reason.clone(),
    };
    let belongs_to_the_api = matches!(
        f.remedy,
        Remedy::AccessLogs { .. }
            | Remedy::DedicatedLogGroup { .. }
            | Remedy::RecommendedFormat { .. }
            | Remedy::ExecutionLogging { .. }
            | Remedy::DataTraceOff { .. }
    ) && f.stage.as_deref() != Some("Stage");
    match sam_globals(f) {
        Some(place) if belongs_to_the_api => {
            format!("{hint} (SAM's implicit API: under {place})")
        }
        _ => hint,
    }
}

/// `--log-group-name` for a new group, as a template value (`Fn::Sub` when it refers to the
/// API or a parameter); `None` lets CloudFormation name the group.
fn new_group_name(t: &Target, opts: &Options) -> Result<Option<Json>, String> {
    let Some(template) = &opts.log_group_name else {
        return Ok(None);
    };
    let stage = t.stage;
    // `RestApiId: !Ref Api` reads as the hole `Api`: the API's logical id.
    let api_id = stage
        .and_then(|s| s.api.as_ref())
        .filter(|a| a.is_opaque())
        .map(|a| a.to_string());
    let name = template
        .render(|p| match p {
            Placeholder::ApiName => stage
                .and_then(|s| s.api_name.as_deref())
                .map(clean_name_part)
                .or_else(|| {
                    api_id
                        .as_deref()
                        .map(|a| clean_name_part(a.trim_start_matches("${").trim_end_matches('}')))
                })
                .or_else(|| Some(clean_name_part(&t.finding.location.resource))),
            Placeholder::ApiId => api_id.clone(),
            Placeholder::Stage => stage.map(|s| match s.name.as_known() {
                Some(n) => clean_name_part(&n),
                None if s.name.segments().iter().all(|seg| match seg {
                    Segment::Hole(h) => !h.is_empty() && h.chars().all(|c| c.is_ascii_alphanumeric()),
                    Segment::Lit(_) => true,
                }) =>
                {
                    s.name.to_string()
                }
                None => clean_name_part(&t.finding.location.resource),
            })
            .or_else(|| t.finding.stage.as_deref().map(clean_name_part)),
        })
        .map_err(|_| {
            "the log group name uses {api}, but the stage's API is not a resource of this template; pass --log-group-name without it".to_string()
        })?;
    Ok(Some(if name.contains("${") {
        json!({ "Fn::Sub": name })
    } else {
        Json::String(name)
    }))
}

fn change_for(t: &Target, rtype: &str, opts: &Options) -> Result<Change, String> {
    let f = t.finding;
    // An implicit API (not declared) is configured in Globals, with its resource's properties.
    let implicit = rtype.is_empty() && globals_section(f).is_some();
    let rtype = match globals_section(f) {
        Some("Api") if implicit => "AWS::Serverless::Api",
        Some("HttpApi") if implicit => "AWS::Serverless::HttpApi",
        _ => rtype,
    };
    if rtype == "AWS::Serverless::Api" && f.stage.as_deref() == Some("Stage") {
        return match &f.remedy {
            Remedy::AccessLogs { .. }
            | Remedy::DedicatedLogGroup { .. }
            | Remedy::RecommendedFormat { .. }
            | Remedy::ExecutionLogging { .. }
            | Remedy::DataTraceOff { .. } => Ok(Change::OpenApiVersion),
            _ => Err(SAM_STAGE.into()),
        };
    }
    let kind = f.api_kind.unwrap_or(ApiKind::V2);
    let keep: &[stagelog_model::KeptField] = match &f.remedy {
        Remedy::RecommendedFormat { keep } => keep,
        _ => &[],
    };
    let format = || {
        recommended_format_json(kind, keep)
            .ok_or_else(|| "the API's protocol is not known; choose a format by hand".to_string())
    };
    // A Deployment with StageName creates its stage, configured by its StageDescription (the
    // same AccessLogSetting, MethodSettings, LoggingLevel as a stage's properties).
    let property = access_property(rtype)
        .or((rtype == "AWS::ApiGateway::Deployment").then_some("AccessLogSetting"));
    match (&f.remedy, property) {
        (Remedy::AccessLogs { retention }, Some(property)) => Ok(Change::AccessLogs {
            property,
            format: format()?,
            retention: retention.days(),
            name: new_group_name(t, opts)?,
        }),
        (Remedy::DedicatedLogGroup { retention }, Some(property)) => Ok(Change::Destination {
            property,
            retention: retention.days(),
            name: new_group_name(t, opts)?,
        }),
        (Remedy::RecommendedFormat { .. }, Some(property)) => Ok(Change::Format {
            property,
            format: format()?,
        }),
        (Remedy::ExecutionLogging { level, .. }, Some(_)) => Ok(Change::ExecutionLevel(*level)),
        (Remedy::DataTraceOff { .. }, Some(_)) => Ok(Change::DataTraceOff),
        (Remedy::Retention { days }, None) if rtype == "AWS::Logs::LogGroup" => {
            Ok(Change::Retention(days.days()))
        }
        (Remedy::KmsKey, None) if rtype == "AWS::Logs::LogGroup" => match &opts.kms_key {
            Some(key) => Ok(Change::KmsKey(key.clone())),
            None => Err(
                "needs a KMS key whose policy allows CloudWatch Logs: pass --kms-key ARN".into(),
            ),
        },
        (Remedy::AccessLogs { .. }, None) if rtype == "AWS::ApiGateway::Deployment" => {
            Err(DEPLOYMENT_STAGE.into())
        }
        (Remedy::AccessLogs { .. }, None) if rtype == "AWS::ApiGatewayV2::Api" => {
            Err(QUICK_CREATE.into())
        }
        (_, None) if sam_globals(f).is_some() => Err(format!(
            "{}; `stagelog fix` writes only into resources the template declares",
            hint(f)
        )),
        (Remedy::CloudWatchRole, _) => Err(format!("{} (see `stagelog explain SL030`)", hint(f))),
        (Remedy::CloudWatchRolePolicy, _) => Err(
            "fix the role's trust and permissions by hand (see `stagelog explain SL031`)".into(),
        ),
        (Remedy::Manual { reason }, _) => Err(reason.clone()),
        (
            Remedy::AccessLogs { .. }
            | Remedy::DedicatedLogGroup { .. }
            | Remedy::RecommendedFormat { .. }
            | Remedy::ExecutionLogging { .. }
            | Remedy::DataTraceOff { .. }
            | Remedy::Retention { .. }
            | Remedy::KmsKey,
            _,
        ) => Err(format!("no automatic fix on {rtype}; {}", hint(f))),
    }
}

/// A new log group resource, named `<stage>AccessLogs` (or `…AccessLogs2`… when taken).
fn add_group(
    resources: &mut Map<String, Json>,
    id: &str,
    retention: i64,
    name: &Option<Json>,
    kms_key: &Option<String>,
) -> String {
    let mut group = format!("{id}AccessLogs");
    let mut n = 2;
    while resources.contains_key(&group) {
        group = format!("{id}AccessLogs{n}");
        n += 1;
    }
    let mut props = Map::new();
    if let Some(name) = name {
        props.insert("LogGroupName".into(), name.clone());
    }
    props.insert("RetentionInDays".into(), json!(retention));
    if let Some(key) = kms_key {
        props.insert("KmsKeyId".into(), json!(key));
    }
    resources.insert(
        group.clone(),
        json!({"Type": "AWS::Logs::LogGroup", "Properties": props}),
    );
    group
}

fn apply(template: &mut Json, f: &Finding, change: &Change, opts: &Options) -> Result<(), String> {
    let id = f.location.resource.clone();
    let implicit = globals_section(f).filter(|_| template["Resources"].get(&id).is_none());
    if let Some(section) = implicit {
        // An implicit API: its settings in Globals, a new log group among the resources.
        let group = match change {
            Change::AccessLogs {
                retention, name, ..
            }
            | Change::Destination {
                retention, name, ..
            } => {
                let resources = template
                    .get_mut("Resources")
                    .and_then(Json::as_object_mut)
                    .ok_or("no Resources")?;
                Some(add_group(resources, &id, *retention, name, &opts.kms_key))
            }
            _ => None,
        };
        let root = template
            .as_object_mut()
            .ok_or("the template is not a mapping")?;
        let props = root
            .entry("Globals")
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .ok_or("Globals is not a plain mapping")?
            .entry(section)
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .ok_or_else(|| format!("Globals: {section}: is not a plain mapping"))?;
        return set(props, f, change, group);
    }
    let resources = template
        .get_mut("Resources")
        .and_then(Json::as_object_mut)
        .ok_or("no Resources")?;
    match change {
        Change::AccessLogs {
            retention, name, ..
        }
        | Change::Destination {
            retention, name, ..
        } => {
            let group = add_group(resources, &id, *retention, name, &opts.kms_key);
            // Created where the stage is: a stage under `Condition: CreateCanary` gets its group
            // under the same condition (else the group exists where the stage does not).
            if let Some(condition) = resources.get(&id).and_then(|r| r.get("Condition")).cloned() {
                if let Some(g) = resources.get_mut(&group).and_then(Json::as_object_mut) {
                    g.insert("Condition".into(), condition);
                }
            }
            let props = stage_properties(resources, &id)?;
            return set(props, f, change, Some(group));
        }
        _ => {}
    }
    let props = stage_properties(resources, &id)?;
    set(props, f, change, None)
}

/// Where a resource's stage settings are: its properties, or for a Deployment its
/// `StageDescription` (created when absent).
fn stage_properties<'a>(
    resources: &'a mut Map<String, Json>,
    id: &str,
) -> Result<&'a mut Map<String, Json>, String> {
    let deployment = resources
        .get(id)
        .and_then(|r| r.get("Type"))
        .and_then(Json::as_str)
        == Some("AWS::ApiGateway::Deployment");
    let props = properties(resources, id)?;
    if !deployment {
        return Ok(props);
    }
    props
        .entry("StageDescription")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .ok_or_else(|| format!("{id}.Properties.StageDescription is not a plain mapping"))
}

/// Applies a change to the properties it is about (a resource's, or a `Globals` section's);
/// `group` is the log group a change that needs one added.
fn set(
    props: &mut Map<String, Json>,
    f: &Finding,
    change: &Change,
    group: Option<String>,
) -> Result<(), String> {
    match change {
        Change::AccessLogs {
            property, format, ..
        } => {
            let group = group.ok_or("no log group was added")?;
            let setting =
                json!({"DestinationArn": {"Fn::GetAtt": [group, "Arn"]}, "Format": format});
            // Decided by `Fn::If`: the branches without a setting get one, the others stay.
            match props.get_mut(*property).filter(|v| is_if(v)) {
                Some(slot) => {
                    for leaf in leaves(slot) {
                        if !leaf.is_object() || is_no_value(leaf) {
                            *leaf = setting.clone();
                        }
                    }
                }
                None => {
                    props.insert(property.to_string(), setting);
                }
            }
        }
        Change::Destination { property, .. } => {
            let group = group.ok_or("no log group was added")?;
            for setting in settings_in(props, property)? {
                setting.insert(
                    "DestinationArn".into(),
                    json!({"Fn::GetAtt": [group.clone(), "Arn"]}),
                );
            }
        }
        Change::OpenApiVersion => {
            if !props.contains_key("OpenApiVersion") {
                props.insert("OpenApiVersion".into(), json!(OPENAPI_VERSION));
            }
        }
        Change::Format { property, format } => {
            for setting in settings_in(props, property)? {
                setting.insert("Format".into(), Json::String(format.clone()));
            }
        }
        Change::ExecutionLevel(_) | Change::DataTraceOff => {
            let (key, value) = match change {
                Change::ExecutionLevel(level) => {
                    ("LoggingLevel", Json::String(level.as_str().to_string()))
                }
                _ => ("DataTraceEnabled", Json::Bool(false)),
            };
            // A value that is the finding's: a level below the wanted one (absent in a branch
            // is OFF), data trace on.
            let bad = |v: &Json| match change {
                Change::ExecutionLevel(level) => match v.as_str() {
                    Some(l) => {
                        !l.eq_ignore_ascii_case(level.as_str()) && !l.eq_ignore_ascii_case("INFO")
                    }
                    None => is_no_value(v),
                },
                _ => v == &Json::Bool(true) || v == "true",
            };
            let is_level = matches!(change, Change::ExecutionLevel(_));
            if props.contains_key("MethodSettings") || f.api_kind == Some(ApiKind::Rest) {
                let list = props
                    .entry("MethodSettings")
                    .or_insert_with(|| json!([]))
                    .as_array_mut()
                    .ok_or("MethodSettings is not a plain list")?;
                let mut default_seen = false;
                for item in list.iter_mut().filter_map(Json::as_object_mut) {
                    let is_default = item.get("ResourcePath").and_then(Json::as_str) == Some("/*")
                        && item.get("HttpMethod").and_then(Json::as_str) == Some("*");
                    default_seen |= is_default;
                    match item.get_mut(key) {
                        Some(slot) => {
                            set_where_bad(slot, &bad, &value);
                        }
                        None if is_default && is_level => {
                            item.insert(key.into(), value.clone());
                        }
                        None => {}
                    }
                }
                if !default_seen && is_level {
                    list.push(json!({"ResourcePath": "/*", "HttpMethod": "*", key: value}));
                }
            } else {
                let default = props
                    .entry("DefaultRouteSettings")
                    .or_insert_with(|| json!({}))
                    .as_object_mut()
                    .ok_or("DefaultRouteSettings is not a plain mapping")?;
                match default.get_mut(key) {
                    Some(slot) => {
                        set_where_bad(slot, &bad, &value);
                    }
                    None if is_level => {
                        default.insert(key.into(), value.clone());
                    }
                    None => {}
                }
                if let Some(routes) = props.get_mut("RouteSettings").and_then(Json::as_object_mut) {
                    for route in routes.values_mut().filter_map(Json::as_object_mut) {
                        if let Some(slot) = route.get_mut(key) {
                            set_where_bad(slot, &bad, &value);
                        }
                    }
                }
            }
        }
        Change::Retention(days) => {
            let short = |v: &Json| {
                is_no_value(v)
                    || v.as_i64()
                        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                        .is_some_and(|n| n < *days)
            };
            let in_branches = props
                .get_mut("RetentionInDays")
                .is_some_and(|slot| is_if(slot) && set_where_bad(slot, &short, &json!(days)));
            if !in_branches {
                props.insert("RetentionInDays".into(), json!(days));
            }
        }
        Change::KmsKey(key) => {
            props.insert("KmsKeyId".into(), json!(key));
        }
    }
    Ok(())
}

/// `{"Ref": "AWS::NoValue"}`: in a branch of `Fn::If`, the property is absent.
fn is_no_value(v: &Json) -> bool {
    v.get("Ref").and_then(Json::as_str) == Some("AWS::NoValue")
}

/// The values a property may take: itself, or each branch of its `Fn::If` (nested too).
fn leaves(v: &mut Json) -> Vec<&mut Json> {
    if !is_if(v) {
        return vec![v];
    }
    let branches = v["Fn::If"].as_array_mut().expect("checked by is_if");
    branches.iter_mut().skip(1).flat_map(leaves).collect()
}

/// The access log settings of a property, as mappings: the property's, or each branch's of
/// its `Fn::If` that sets one (a branch with `AWS::NoValue` sets none).
fn settings_in<'a>(
    props: &'a mut Map<String, Json>,
    property: &str,
) -> Result<Vec<&'a mut Map<String, Json>>, String> {
    let slot = props
        .get_mut(property)
        .ok_or("the access log setting is not there")?;
    let settings: Vec<_> = leaves(slot)
        .into_iter()
        .filter(|l| !is_no_value(l))
        .map(|l| {
            l.as_object_mut()
                .filter(|o| !o.keys().any(|k| k.starts_with("Fn::")))
        })
        .collect::<Option<_>>()
        .ok_or("the access log setting is not a plain mapping")?;
    Ok(settings)
}

fn is_if(v: &Json) -> bool {
    v.get("Fn::If")
        .and_then(Json::as_array)
        .is_some_and(|a| a.len() == 3)
}

/// Sets `value` where `bad` holds: in a value decided by `Fn::If`, inside each branch the
/// finding holds in (the one the parameters select, or both), keeping the condition; nested
/// `Fn::If` too. Whether anything changed.
fn set_where_bad(slot: &mut Json, bad: &dyn Fn(&Json) -> bool, value: &Json) -> bool {
    let mut changed = false;
    for leaf in leaves(slot).into_iter().filter(|l| bad(l)) {
        *leaf = value.clone();
        changed = true;
    }
    changed
}

fn properties<'a>(
    resources: &'a mut Map<String, Json>,
    id: &str,
) -> Result<&'a mut Map<String, Json>, String> {
    resources
        .get_mut(id)
        .and_then(Json::as_object_mut)
        .ok_or_else(|| format!("resource {id} not found"))?
        .entry("Properties")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .ok_or_else(|| format!("{id}.Properties is not a plain mapping"))
}

/// A template's fixes, edited in place where that keeps everything else as it was. Otherwise
/// JSON is re-serialised with its own indentation and key order, and each YAML fix becomes a
/// snippet a person pastes.
pub(crate) fn fix_file(
    src: &str,
    targets: &[Target],
    opts: &Options,
    manual: &mut Vec<Manual>,
) -> Result<Option<String>, FileError> {
    let is_json = src.trim_start().starts_with('{');
    let yaml_root = if is_json {
        None
    } else {
        let loaded = stagelog_syntax::yaml::load(src).map_err(|e| FileError::Yaml(e.message))?;
        Some(loaded.root.ok_or(FileError::Empty("the template"))?)
    };
    let base: Json = match &yaml_root {
        None => serde_json::from_str(src)?,
        Some(root) => to_json(root),
    };
    let mut template = base.clone();
    let mut applied = Vec::new();
    for t in targets {
        let f = t.finding;
        let rtype = template["Resources"][&f.location.resource]["Type"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let before = template.clone();
        match change_for(t, &rtype, opts).and_then(|c| apply(&mut template, f, &c, opts).map(|_| c))
        {
            Ok(change) => applied.push((f, change)),
            Err(reason) => {
                template = before;
                manual.push(Manual::of(f, reason));
            }
        }
    }
    if applied.is_empty() {
        return Ok(None);
    }
    let Some(root) = yaml_root else {
        // JSON: edited in place like YAML when it can be (layout kept), else re-serialised.
        let in_place = stagelog_syntax::yaml::load(src)
            .ok()
            .and_then(|l| l.root)
            .ok_or(EditError::UnreadableJsonLayout)
            .and_then(|root| yaml_edit::edits(src, &root, &base, &template, true, "the template"))
            .and_then(|edits| Edit::apply_all(src, edits))
            .and_then(|out| {
                let back: Json =
                    serde_json::from_str(&out).map_err(|_| EditError::WouldNotParse)?;
                (back == template)
                    .then_some(out)
                    .ok_or(EditError::NotTheSame)
            });
        return Ok(Some(match in_place {
            Ok(out) => out,
            Err(_) => serialise_json(src, &template),
        }));
    };
    let write = |want: &Json| {
        yaml_edit::edits(src, &root, &base, want, false, "the template")
            .and_then(|edits| Edit::apply_all(src, edits))
            .and_then(|out| same_meaning(&out, want).map(|_| out))
    };
    if let Ok(out) = write(&template) {
        return Ok(Some(out));
    }
    // One fix that cannot be written in place (a value under an anchor, a flow mapping) does
    // not hold back the others: each is added in turn and kept when the file can take it; the
    // rest become snippets, each against the original so it stands alone.
    let mut kept = base.clone();
    let mut out = None;
    for (f, change) in applied {
        let mut next = kept.clone();
        if let Err(reason) = apply(&mut next, f, &change, opts) {
            manual.push(Manual::of(f, reason));
            continue;
        }
        match write(&next) {
            Ok(text) => {
                kept = next;
                out = Some(text);
            }
            Err(why) => {
                let mut one = base.clone();
                let text = match apply(&mut one, f, &change, opts) {
                    Ok(()) => yaml_snippet(&base, &one, &f.location.resource, &why.to_string()),
                    Err(reason) => reason,
                };
                manual.push(Manual::of(f, text));
            }
        }
    }
    Ok(out)
}

/// The edited YAML must read back as exactly the fixed template.
pub(crate) fn same_meaning(out: &str, want: &Json) -> Result<(), EditError> {
    let root = stagelog_syntax::yaml::load(out)
        .ok()
        .and_then(|l| l.root)
        .ok_or(EditError::WouldNotParse)?;
    (to_json(&root) == *want)
        .then_some(())
        .ok_or(EditError::NotTheSame)
}

/// The template re-serialised with its own indentation and key order (`preserve_order`).
fn serialise_json(src: &str, template: &Json) -> String {
    let indent = " ".repeat(indent_of(src));
    let mut buf = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(indent.as_bytes());
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, formatter);
    serde::Serialize::serialize(template, &mut ser).expect("a JSON value serialises to memory");
    let mut out = String::from_utf8(buf).expect("serde_json writes UTF-8");
    if src.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// A YAML template in CloudFormation's JSON form (what `aws cloudformation` and cfn-flip do).
pub fn yaml_template_as_json(src: &str) -> Result<String, String> {
    let loaded =
        stagelog_syntax::yaml::load(src).map_err(|e| format!("line {}: {}", e.line, e.message))?;
    let json = loaded.root.as_ref().map(to_json).unwrap_or(Json::Null);
    serde_json::to_string_pretty(&json).map_err(|e| e.to_string())
}

/// A YAML node as CloudFormation's JSON form: short tags become `Ref` / `Fn::X`.
pub(crate) fn to_json(n: &stagelog_syntax::yaml::Node) -> Json {
    use stagelog_syntax::yaml::NodeValue;
    let plain = match &n.value {
        NodeValue::Scalar { text, plain } => {
            if *plain {
                match text.as_str() {
                    "true" => Json::Bool(true),
                    "false" => Json::Bool(false),
                    "null" | "~" | "" => Json::Null,
                    t => t
                        .parse::<i64>()
                        .ok()
                        .filter(|i| i.to_string() == t)
                        .map(Json::from)
                        .unwrap_or_else(|| Json::String(t.to_string())),
                }
            } else {
                Json::String(text.clone())
            }
        }
        NodeValue::Seq(items) => Json::Array(items.iter().map(to_json).collect()),
        NodeValue::Map(entries) => Json::Object(
            entries
                .iter()
                .map(|(k, v)| (k.as_str().unwrap_or_default().to_string(), to_json(v)))
                .collect(),
        ),
    };
    match n.tag.as_deref() {
        Some("Ref") => json!({ "Ref": plain }),
        Some("GetAtt") => match plain {
            Json::String(s) => {
                let (r, a) = s.split_once('.').unwrap_or((&s, ""));
                json!({ "Fn::GetAtt": [r, a] })
            }
            other => json!({ "Fn::GetAtt": other }),
        },
        Some(tag) => json!({ format!("Fn::{tag}"): plain }),
        None => plain,
    }
}

/// What changed in one resource (and which resources are new), as YAML to paste.
fn yaml_snippet(before: &Json, after: &Json, id: &str, why: &str) -> String {
    let mut out = format!("not written in place ({why}); paste this:\n");
    let (b, a) = (
        &before["Resources"][id]["Properties"],
        &after["Resources"][id]["Properties"],
    );
    if let Some(props) = a.as_object() {
        let changed: Map<String, Json> = props
            .iter()
            .filter(|(k, v)| b.get(*k) != Some(*v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if !changed.is_empty() {
            out.push_str(&format!("    under Resources.{id}.Properties, set:\n"));
            emit(&Json::Object(changed), 6, 2, &mut out);
        }
    }
    if let (Some(new), Some(old)) = (
        after["Resources"].as_object(),
        before["Resources"].as_object(),
    ) {
        for (k, v) in new.iter().filter(|(k, _)| !old.contains_key(*k)) {
            out.push_str("    under Resources, add:\n");
            emit(&json!({ k.clone(): v }), 2, 2, &mut out);
        }
    }
    out.trim_end().to_string()
}

//! CloudFormation and SAM fixes. JSON templates are patched and written back with their own
//! indentation (key order kept); YAML templates are edited in place (see `yaml_edit`) or, when
//! that would disturb the template, get the exact snippet and where it goes.

use super::yaml_edit::{self, emit};
use super::{recommended_format, Edit, Manual, Options};
use serde_json::{json, Map, Value as Json};
use stagelog_model::{ApiKind, Finding};

/// The indentation the template uses (CDK writes 1 space, most people 2 or 4).
fn indent_of(src: &str) -> usize {
    src.lines()
        .skip(1)
        .find(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start_matches(' ').len())
        .filter(|n| *n > 0)
        .unwrap_or(2)
}

fn format_string(kind: ApiKind) -> Option<String> {
    let fields = recommended_format(kind)?;
    let map: Map<String, Json> = fields
        .into_iter()
        .map(|(k, v)| (k.to_string(), Json::String(format!("$context.{v}"))))
        .collect();
    Some(Json::Object(map).to_string())
}

/// The change a finding asks for, as (property path under Properties, value) edits and new
/// resources; `Err` with the reason when a person must do it.
enum Change {
    AccessLogs {
        property: &'static str,
        format: String,
    },
    Format {
        property: &'static str,
        format: String,
    },
    ExecutionLevel,
    DataTraceOff,
    Retention,
}

fn change_for(f: &Finding, rtype: &str) -> Result<Change, String> {
    if rtype == "AWS::Serverless::Api" && f.stage.as_deref() == Some("Stage") {
        return Err("SAM's extra `Stage` stage: set OpenApiVersion on the API (or in Globals.Api) to remove it; check first that your clients do not use that stage".into());
    }
    let kind = f.api_kind.unwrap_or(ApiKind::V2);
    let format = || {
        format_string(kind)
            .ok_or_else(|| "the API's protocol is not known; choose a format by hand".to_string())
    };
    let access_property = match rtype {
        "AWS::ApiGateway::Stage" | "AWS::Serverless::Api" => Some("AccessLogSetting"),
        "AWS::ApiGatewayV2::Stage" | "AWS::Serverless::HttpApi" => Some("AccessLogSettings"),
        _ => None,
    };
    match (f.rule_id, access_property) {
        ("SL001" | "SL002", Some(property)) => {
            Ok(Change::AccessLogs { property, format: format()? })
        }
        ("SL004" | "SL005", Some(property)) => Ok(Change::Format { property, format: format()? }),
        ("SL010", Some(_)) => Ok(Change::ExecutionLevel),
        ("SL011", Some(_)) => Ok(Change::DataTraceOff),
        ("SL020", _) if rtype == "AWS::Logs::LogGroup" => Ok(Change::Retention),
        ("SL001", _) if rtype == "AWS::ApiGateway::Deployment" => {
            Err("a stage created by the Deployment's StageName: declare an AWS::ApiGateway::Stage instead".into())
        }
        ("SL002", _) if rtype == "AWS::ApiGatewayV2::Api" => {
            Err("a quick-create API's $default stage: declare an AWS::ApiGatewayV2::Stage instead of Target".into())
        }
        ("SL001" | "SL010", _) if rtype == "AWS::Serverless::Api" || f.location.resource == "ServerlessRestApi" => {
            Err("SAM's implicit stage: set OpenApiVersion (removes the `Stage` stage) or the Globals `Api` section".into())
        }
        _ => Err("no automatic fix for this case; apply the fix hint".into()),
    }
}

fn apply(template: &mut Json, f: &Finding, change: &Change, opts: &Options) -> Result<(), String> {
    let id = f.location.resource.clone();
    let resources = template
        .get_mut("Resources")
        .and_then(Json::as_object_mut)
        .ok_or("no Resources")?;
    if let Change::AccessLogs { property, format } = change {
        let group = format!("{id}AccessLogs");
        if !resources.contains_key(&group) {
            resources.insert(
                group.clone(),
                json!({"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": opts.retention_days}}),
            );
        }
        let props = properties(resources, &id)?;
        props.insert(
            property.to_string(),
            json!({"DestinationArn": {"Fn::GetAtt": [group, "Arn"]}, "Format": format}),
        );
        return Ok(());
    }
    let props = properties(resources, &id)?;
    match change {
        Change::AccessLogs { .. } => {}
        Change::Format { property, format } => {
            let setting = props
                .get_mut(*property)
                .and_then(Json::as_object_mut)
                .ok_or("the access log setting is not a plain mapping")?;
            setting.insert("Format".into(), Json::String(format.clone()));
        }
        Change::ExecutionLevel | Change::DataTraceOff => {
            let (key, value) = match change {
                Change::ExecutionLevel => {
                    ("LoggingLevel", Json::String(opts.execution_level.clone()))
                }
                _ => ("DataTraceEnabled", Json::Bool(false)),
            };
            let needs = |s: &Map<String, Json>| match change {
                Change::ExecutionLevel => s.get(key).and_then(Json::as_str).is_some_and(|l| {
                    !l.eq_ignore_ascii_case("ERROR") && !l.eq_ignore_ascii_case("INFO")
                }),
                _ => s
                    .get(key)
                    .is_some_and(|v| v == &Json::Bool(true) || v == "true"),
            };
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
                    if needs(item)
                        || (is_default
                            && matches!(change, Change::ExecutionLevel)
                            && !item.contains_key(key))
                    {
                        item.insert(key.into(), value.clone());
                    }
                }
                if !default_seen && matches!(change, Change::ExecutionLevel) {
                    list.push(json!({"ResourcePath": "/*", "HttpMethod": "*", key: value}));
                }
            } else {
                let default = props
                    .entry("DefaultRouteSettings")
                    .or_insert_with(|| json!({}))
                    .as_object_mut()
                    .ok_or("DefaultRouteSettings is not a plain mapping")?;
                if needs(default)
                    || (matches!(change, Change::ExecutionLevel) && !default.contains_key(key))
                {
                    default.insert(key.into(), value.clone());
                }
                if let Some(routes) = props.get_mut("RouteSettings").and_then(Json::as_object_mut) {
                    for route in routes.values_mut().filter_map(Json::as_object_mut) {
                        if needs(route) {
                            route.insert(key.into(), value.clone());
                        }
                    }
                }
            }
        }
        Change::Retention => {
            props.insert("RetentionInDays".into(), json!(opts.retention_days));
        }
    }
    Ok(())
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
    findings: &[&Finding],
    opts: &Options,
    manual: &mut Vec<Manual>,
) -> Result<Option<String>, String> {
    let is_json = src.trim_start().starts_with('{');
    let yaml_root = if is_json {
        None
    } else {
        let loaded =
            crate::yaml::load(src).map_err(|e| format!("cannot parse YAML: {}", e.message))?;
        Some(loaded.root.ok_or("the template is empty")?)
    };
    let base: Json = match &yaml_root {
        None => serde_json::from_str(src).map_err(|e| format!("cannot parse JSON: {e}"))?,
        Some(root) => to_json(root),
    };
    let mut template = base.clone();
    let mut applied = Vec::new();
    for f in findings {
        let rtype = template["Resources"][&f.location.resource]["Type"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let before = template.clone();
        match change_for(f, &rtype).and_then(|c| apply(&mut template, f, &c, opts).map(|_| c)) {
            Ok(change) => applied.push((*f, change)),
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
        let in_place = crate::yaml::load(src)
            .ok()
            .and_then(|l| l.root)
            .ok_or_else(|| "cannot read the JSON layout".to_string())
            .and_then(|root| yaml_edit::edits(src, &root, &base, &template, true))
            .and_then(|edits| Edit::apply_all(src, edits))
            .and_then(|out| {
                let back: Json = serde_json::from_str(&out).map_err(|e| e.to_string())?;
                (back == template)
                    .then_some(out)
                    .ok_or_else(|| "the edit would not read back the same".to_string())
            });
        return match in_place {
            Ok(out) => Ok(Some(out)),
            Err(_) => serialise_json(src, &template).map(Some),
        };
    };
    let written = yaml_edit::edits(src, &root, &base, &template, false)
        .and_then(|edits| Edit::apply_all(src, edits))
        .and_then(|out| same_meaning(&out, &template).map(|_| out));
    match written {
        Ok(out) => Ok(Some(out)),
        Err(why) => {
            // Each fix on its own, against the original, so every snippet stands alone.
            for (f, change) in applied {
                let mut one = base.clone();
                let text = match apply(&mut one, f, &change, opts) {
                    Ok(()) => yaml_snippet(&base, &one, &f.location.resource, &why),
                    Err(reason) => reason,
                };
                manual.push(Manual::of(f, text));
            }
            Ok(None)
        }
    }
}

/// The edited YAML must read back as exactly the fixed template.
fn same_meaning(out: &str, want: &Json) -> Result<(), String> {
    let root = crate::yaml::load(out)
        .ok()
        .and_then(|l| l.root)
        .ok_or("the edit would not parse")?;
    (to_json(&root) == *want)
        .then_some(())
        .ok_or_else(|| "the edit would not read back the same".to_string())
}

fn serialise_json(src: &str, template: &Json) -> Result<String, String> {
    let indent = " ".repeat(indent_of(src));
    let mut buf = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(indent.as_bytes());
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, formatter);
    serde::Serialize::serialize(template, &mut ser).map_err(|e| e.to_string())?;
    let mut out = String::from_utf8(buf).map_err(|e| e.to_string())?;
    if src.ends_with('\n') {
        out.push('\n');
    }
    Ok(out)
}

/// A YAML template in CloudFormation's JSON form (what `aws cloudformation` and cfn-flip do).
pub fn yaml_template_as_json(src: &str) -> Result<String, String> {
    let loaded = crate::yaml::load(src).map_err(|e| format!("line {}: {}", e.line, e.message))?;
    let json = loaded.root.as_ref().map(to_json).unwrap_or(Json::Null);
    serde_json::to_string_pretty(&json).map_err(|e| e.to_string())
}

/// A YAML node as CloudFormation's JSON form: short tags become `Ref` / `Fn::X`.
pub(crate) fn to_json(n: &crate::yaml::Node) -> Json {
    use crate::yaml::NodeValue;
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

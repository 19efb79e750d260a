//! serverless.yml fixes: `provider.logs.restApi` / `httpApi` / `websocket` and
//! `provider.logRetentionInDays` edited in place with the YAML editor, so comments and layout
//! stay. What the framework's settings cannot say is left to a person, with the hint.

use crate::cloudformation::{same_meaning, to_json};
use crate::error::FileError;
use crate::{yaml_edit, Edit, Manual, Target};
use serde_json::{json, Map, Value as Json};
use stagelog_model::context_vars::recommended_format_json;
use stagelog_model::{ApiKind, Finding, Remedy};

pub(crate) fn fix_file(
    src: &str,
    targets: &[Target],
    manual: &mut Vec<Manual>,
) -> Result<Option<String>, FileError> {
    let root = stagelog_syntax::yaml::load(src)
        .map_err(|e| FileError::Yaml(e.message))?
        .root
        .ok_or(FileError::Empty("serverless.yml"))?;
    let base = to_json(&root);
    let mut service = base.clone();
    let mut applied = Vec::new();
    for t in targets {
        let before = service.clone();
        match change(&mut service, t.finding) {
            Ok(()) => applied.push(t.finding),
            Err(reason) => {
                service = before;
                manual.push(Manual::of(
                    t.finding,
                    format!("{reason}: {}", hint(t.finding)),
                ));
            }
        }
    }
    if applied.is_empty() {
        return Ok(None);
    }
    let written = yaml_edit::edits(src, &root, &base, &service, false, "")
        .and_then(|edits| Edit::apply_all(src, edits))
        .and_then(|out| same_meaning(&out, &service).map(|_| out));
    match written {
        Ok(out) => Ok(Some(out)),
        Err(why) => {
            // What `provider.logs` should say, to paste.
            let logs = &service["provider"]["logs"];
            let mut snippet = String::new();
            yaml_edit::emit(&json!({"provider": {"logs": logs}}), 0, 2, &mut snippet);
            for f in applied {
                manual.push(Manual::of(
                    f,
                    format!("cannot edit in place ({why}); write:\n{snippet}"),
                ));
            }
            Ok(None)
        }
    }
}

/// The change one finding asks of the service, made on its JSON form.
fn change(service: &mut Json, f: &Finding) -> Result<(), String> {
    let provider = service
        .get_mut("provider")
        .and_then(Json::as_object_mut)
        .ok_or("serverless.yml has no provider section")?;
    if let Remedy::Retention { days } = f.remedy {
        provider.insert("logRetentionInDays".into(), json!(days.days()));
        return Ok(());
    }
    // Access logs turned on go to a log group the framework declares, which keeps events as
    // long as `provider.logRetentionInDays` says (forever without it).
    if let Remedy::AccessLogs { retention } = f.remedy {
        provider
            .entry("logRetentionInDays")
            .or_insert_with(|| json!(retention.days()));
    }
    let key = match f.api_kind {
        Some(ApiKind::Rest) => "restApi",
        Some(ApiKind::Http) => "httpApi",
        Some(ApiKind::WebSocket) => "websocket",
        Some(ApiKind::V2) | None => return Err("not a stage the framework creates".into()),
    };
    let logs = provider
        .entry("logs")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .ok_or("provider.logs is not a mapping")?;
    let setting = logs.entry(key).or_insert(Json::Null);
    if key == "httpApi" {
        // HTTP APIs have access logs only: `true` turns them on with the framework's format.
        return match &f.remedy {
            Remedy::AccessLogs { .. } if matches!(setting, Json::Bool(false) | Json::Null) => {
                *setting = json!(true);
                Ok(())
            }
            Remedy::RecommendedFormat { keep } => {
                let format = recommended_format_json(ApiKind::Http, keep)
                    .ok_or("the API's protocol is not known")?;
                match setting {
                    Json::Object(o) => {
                        o.insert("format".into(), json!(format));
                    }
                    _ => *setting = json!({ "format": format }),
                }
                Ok(())
            }
            Remedy::AccessLogs { .. }
            | Remedy::DedicatedLogGroup { .. }
            | Remedy::ExecutionLogging { .. }
            | Remedy::DataTraceOff { .. }
            | Remedy::Retention { .. }
            | Remedy::KmsKey
            | Remedy::CloudWatchRole
            | Remedy::CloudWatchRolePolicy
            | Remedy::Manual { .. } => Err("not a provider.logs.httpApi setting".into()),
        };
    }
    // `true` means every default (all on); an object switches each part. Turning a part off or
    // choosing a level needs the object form (written on one line where `true` stood).
    let written = match &*setting {
        Json::Object(o) => o.clone(),
        Json::Bool(_) | Json::Null => Map::new(),
        _ => {
            return Err(format!(
                "provider.logs.{key} is neither true/false nor a mapping"
            ))
        }
    };
    let mut parts = written.clone();
    if matches!(setting, Json::Bool(false) | Json::Null) {
        parts.insert("accessLogging".into(), json!(false));
        parts.insert("executionLogging".into(), json!(false));
        // Once logs are configured the framework sets the stage's data trace from
        // `fullExecutionData`, true unless written (update-stage.js, websockets/lib/stage.js).
        parts.insert("fullExecutionData".into(), json!(false));
    }
    match &f.remedy {
        Remedy::AccessLogs { .. } => {
            parts.insert("accessLogging".into(), json!(true));
        }
        Remedy::ExecutionLogging { level, .. } => {
            parts.insert("executionLogging".into(), json!(true));
            parts.insert("level".into(), json!(level.as_str()));
            // Execution logging on brings full request/response data with it by default.
            parts
                .entry("fullExecutionData")
                .or_insert_with(|| json!(false));
        }
        Remedy::DataTraceOff { .. } => {
            parts.insert("fullExecutionData".into(), json!(false));
        }
        Remedy::RecommendedFormat { keep } if key == "restApi" => {
            let format = recommended_format_json(ApiKind::Rest, keep)
                .ok_or("the API's protocol is not known")?;
            parts.insert("format".into(), json!(format));
        }
        Remedy::DedicatedLogGroup { .. }
        | Remedy::RecommendedFormat { .. }
        | Remedy::Retention { .. }
        | Remedy::KmsKey
        | Remedy::CloudWatchRole
        | Remedy::CloudWatchRolePolicy
        | Remedy::Manual { .. } => return Err("not a provider.logs setting".into()),
    }
    // A part set to the framework's default ("on") that the file did not write is left out,
    // so `true` becomes the smallest object that says the change.
    const ON_BY_DEFAULT: [&str; 3] = ["accessLogging", "executionLogging", "fullExecutionData"];
    parts.retain(|k, v| {
        written.contains_key(k) || !(*v == json!(true) && ON_BY_DEFAULT.contains(&k.as_str()))
    });
    *setting = if parts.is_empty() {
        json!(true)
    } else {
        Json::Object(parts)
    };
    Ok(())
}

/// Where a setting goes in `serverless.yml`, for each API kind.
fn logs_key(f: &stagelog_model::Finding) -> &'static str {
    match f.api_kind {
        Some(ApiKind::Http) => "provider.logs.httpApi",
        Some(ApiKind::WebSocket) => "provider.logs.websocket",
        Some(ApiKind::Rest | ApiKind::V2) | None => "provider.logs.restApi",
    }
}

/// The fix hint for a finding in `serverless.yml`.
pub(crate) fn hint(f: &stagelog_model::Finding) -> String {
    use stagelog_model::Remedy;
    let key = logs_key(f);
    match &f.remedy {
        Remedy::AccessLogs { .. } => format!(
            "set {key}: true (or accessLogging: true under it); the framework creates the log group"
        ),
        Remedy::DedicatedLogGroup { .. } => format!(
            "let the framework name the access log group ({key}: true) instead of a group of its own choosing"
        ),
        Remedy::RecommendedFormat { .. } => format!(
            "{}: set {key}.format to one line of JSON (`stagelog fix` writes the recommended fields, keeping yours)",
            crate::format_problem(f)
        ),
        Remedy::ExecutionLogging { level, .. } => format!(
            "set {key}.executionLogging: true and level: {}",
            level.as_str()
        ),
        Remedy::DataTraceOff { .. } => format!(
            "set {key}.fullExecutionData: false (the framework turns full request/response logging on by default)"
        ),
        Remedy::Retention { days } => format!("set provider.logRetentionInDays: {days}"),
        Remedy::KmsKey => format!(
            "override the log group the framework generates under resources: ({}: {{Properties: {{KmsKeyId: <key ARN>}}}})",
            f.location.resource
        ),
        Remedy::CloudWatchRole => format!(
            "set the account's CloudWatch role once per account and region in a baseline stack (a role trusted by apigateway.amazonaws.com), and keep {key}.roleManagedExternally: true here: see `stagelog explain SL032`"
        ),
        Remedy::CloudWatchRolePolicy => "trust apigateway.amazonaws.com and attach AmazonAPIGatewayPushToCloudWatchLogs to the role".into(),
        Remedy::Manual { reason } => reason.clone(),
    }
}

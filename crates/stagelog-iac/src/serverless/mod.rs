//! The Serverless Framework (`serverless.yml` / `serverless.yaml`) → model. A service gets one
//! REST API (`http` events), one HTTP API (`httpApi` events) and one WebSocket API
//! (`websocket` events), deployed to `provider.stage`. Their logging is `provider.logs.restApi`,
//! `.httpApi` and `.websocket`, with the framework's own defaults (access logging on, execution
//! logging at INFO and full execution data on for REST and WebSocket). The framework applies
//! REST logging after deploy through the SDK, so only this file shows it.

use stagelog_model::Problem;
use stagelog_model::{
    AccessLog, ApiKind, Destination, Inventory, Location, LogLevel, MethodSettings, SourceKind,
    Stage, Text, Value,
};
use stagelog_syntax::yaml::{self, Node, NodeValue};

mod view;

/// The access log format the framework writes for REST APIs when `format` is not given.
const DEFAULT_REST_FORMAT: &str = "requestId: $context.requestId, ip: $context.identity.sourceIp, caller: $context.identity.caller, user: $context.identity.user, requestTime: $context.requestTime, httpMethod: $context.httpMethod, resourcePath: $context.resourcePath, status: $context.status, protocol: $context.protocol, responseLength: $context.responseLength";

/// Whether a file is a Serverless Framework service file, by name.
pub fn is_service_file(name: &str) -> bool {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    base == "serverless.yml" || base == "serverless.yaml"
}

/// A name `serverless deploy --config NAME` is used with: `serverless.<env>.yml`,
/// `<env>.serverless.yml` (YAML only; the framework's JS and TS files are programs).
pub fn could_be_service_file(name: &str) -> bool {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    (base.ends_with(".yml") || base.ends_with(".yaml"))
        && (base.starts_with("serverless.") || base.contains(".serverless."))
}

/// What reading one service file gave.
#[derive(Default)]
pub struct Adapted {
    pub inventory: Option<Inventory>,
    pub errors: Vec<Problem>,
    /// Things the framework does that stagelog does not judge here, said once each.
    pub notes: Vec<String>,
    /// Files the service includes with `${file(…)}`, read as part of it: a scan does not read
    /// them again as templates of their own (an override without `Type` is no resource).
    pub included: Vec<std::path::PathBuf>,
}

pub fn adapt(file: &str, src: &str) -> Adapted {
    let err = |line: u32, message: String| Problem::in_file(file.to_string(), Some(line), message);
    // Read as the framework reads it (its parser takes what PyYAML does: multi-line quoted
    // strings at the key's column, flow collections continued there).
    let (loaded, read) = match yaml::load_as_pyyaml(src) {
        Ok(loaded) => loaded,
        Err(issue) => {
            return Adapted {
                errors: vec![err(
                    issue.line,
                    format!("cannot parse serverless.yml: {}", issue.message),
                )],
                ..Adapted::default()
            }
        }
    };
    // What was read: the repaired text, when the loader repaired it.
    let src: &str = &read;
    let mut errors: Vec<Problem> = loaded
        .issues
        .iter()
        .map(|i| err(i.line, i.message.clone()))
        .collect();
    let Some(written) = loaded.root else {
        return Adapted {
            errors,
            ..Adapted::default()
        };
    };
    let dir = std::path::Path::new(file)
        .parent()
        .filter(|_| std::path::Path::new(file).is_file());
    let mut seen = view::Included::default();
    let root = view::framework_view(&written, file, dir, &mut seen);
    let (mut notes, included) = (seen.notes, seen.files);
    errors.extend(seen.errors);
    let root = &root;
    let provider = root.get("provider");
    if provider
        .and_then(|p| p.get("name"))
        .and_then(Node::as_str)
        .is_some_and(|n| n != "aws")
    {
        // Another cloud's service: nothing of API Gateway here.
        return Adapted {
            errors,
            included,
            ..Adapted::default()
        };
    }
    let service = root
        .get("service")
        .map(|s| match &s.value {
            NodeValue::Map(_) => s.get("name").map(|n| resolve(n, root)).unwrap_or_default(),
            _ => resolve(s, root),
        })
        .unwrap_or_else(|| Text::hole("service"));
    let stage = provider
        .and_then(|p| p.get("stage"))
        .map(|s| resolve(s, root))
        .unwrap_or_else(|| Text::lit("dev"));

    // Which APIs the functions' events create, and where the first event of each kind is.
    let mut first: [Option<u32>; 3] = [None; 3];
    for (_, function) in root
        .get("functions")
        .and_then(Node::as_map)
        .unwrap_or_default()
    {
        for event in function
            .get("events")
            .and_then(Node::as_seq)
            .unwrap_or_default()
        {
            for (key, _) in event.as_map().unwrap_or_default() {
                let slot = match key.as_str() {
                    Some("http") => 0,
                    Some("httpApi") => 1,
                    Some("websocket") => 2,
                    _ => continue,
                };
                first[slot].get_or_insert(key.line);
            }
        }
    }
    let logs = provider.and_then(|p| p.get("logs"));
    // `logs: ${file(…)}` (or another variable) not resolved here: every API's setting is
    // that unknown value, not "not set".
    let unresolved_logs = provider
        .and_then(|p| p.entry("logs"))
        .filter(|(_, v)| v.as_str().is_some_and(|t| t.contains("${")));
    let loc = |resource: &str, line: u32| Location {
        source: SourceKind::Serverless,
        file: Some(file.to_string()),
        line: Some(line),
        end_line: Some(line),
        resource: resource.to_string(),
        resource_type: Some("serverless".into()),
        account: None,
        via: vec![],
        region: None,
        defined_at: None,
    };
    // The framework deploys the service as the stack `{service}-{stage}` unless
    // `provider.stackName` names it (what `--iac` matches CloudFormation's tags with).
    let stack = match provider.and_then(|p| p.get("stackName")) {
        Some(name) => resolve(name, root),
        None => {
            let mut name = service.clone();
            name.push_lit("-");
            name.append(stage.clone());
            name
        }
    };
    let mut inv = Inventory {
        stack: Some(stack),
        ..Inventory::default()
    };
    // A REST API another stack owns (`provider.apiGateway.restApiId`): this service's
    // deployment creates its stage there, and the framework applies provider.logs.restApi to
    // it (serverless#7034). Several services may deploy the same stage: the scan judges it
    // once, at all of them (`SHARED_STAGE`).
    let shared_api = provider
        .and_then(|p| p.get("apiGateway"))
        .and_then(|a| a.entry("restApiId"))
        .map(|(k, v)| (k.line, rendered(v, root)));
    for (slot, kind, key, group_prefix, resource) in [
        (
            0,
            ApiKind::Rest,
            "restApi",
            "/aws/api-gateway/",
            "ApiGatewayRestApi",
        ),
        (1, ApiKind::Http, "httpApi", "/aws/http-api/", "HttpApi"),
        (
            2,
            ApiKind::WebSocket,
            "websocket",
            "/aws/websocket/",
            "WebsocketsApi",
        ),
    ] {
        let Some(event_line) = first[slot] else {
            continue;
        };
        let shared = shared_api.as_ref().filter(|_| kind == ApiKind::Rest);
        let setting = logs.and_then(|l| l.entry(key)).or(unresolved_logs);
        let line = setting.map_or(shared.map_or(event_line, |(line, _)| *line), |(k, _)| {
            k.line
        });
        let name = if kind == ApiKind::Http {
            Text::lit("$default")
        } else {
            stage.clone()
        };
        let mut st = match shared {
            Some((_, api)) => {
                let mut st = Stage::new(kind, name, loc(SHARED_STAGE, line));
                st.api = Some(Text::lit(api));
                st.api_name = Some(format!("shared {api}"));
                st
            }
            None => {
                let mut st = Stage::new(kind, name, loc(resource, line));
                st.api = Some(Text::lit(resource));
                st.api_name = Some(format!("{}-{}", service, stage));
                st
            }
        };
        if let Some((_, value)) = setting {
            configure(
                &mut st,
                value,
                kind,
                &service,
                &stage,
                group_prefix,
                root,
                &mut errors,
                file,
            );
            // With REST or WebSocket logging on, the framework sets the account's CloudWatch
            // role itself, unless the role is managed elsewhere.
            let external = value
                .get("roleManagedExternally")
                .and_then(Node::as_str)
                .is_some_and(|v| v == "true");
            if kind.has_execution_logging()
                && st.logs_something()
                && !external
                && inv.accounts.is_empty()
            {
                let role = value
                    .get("role")
                    .map(|r| resolve(r, root))
                    .unwrap_or_else(|| Text::hole("the role the framework creates"));
                inv.accounts.push(stagelog_model::AccountSettings {
                    cloudwatch_role_arn: Some(role),
                    role: None,
                    location: loc("provider.logs", line),
                });
            }
        }
        // The access log group the framework declares in the stack for the stage
        // (`ApiGatewayLogGroup`, `HttpApiLogGroup`, `WebsocketsLogGroup`), with
        // `provider.logRetentionInDays` as its retention (never expiring without it).
        if let Some(Value::Known(AccessLog {
            destination: Some(d),
            ..
        })) = &mut st.access_log
        {
            if d.log_group.is_none() && shared.is_none() {
                let retention = provider.and_then(|p| p.entry("logRetentionInDays"));
                let days = retention.map(|(_, v)| {
                    let t = resolve(v, root);
                    match t.as_known().and_then(|k| k.trim().parse::<i64>().ok()) {
                        Some(n) => Value::Known(n),
                        None => Value::Unknown(t.to_string()),
                    }
                });
                let mut name = Text::lit(group_prefix);
                name.append(service.clone());
                name.push_lit("-");
                name.append(stage.clone());
                let group_resource = match kind {
                    ApiKind::Rest => "ApiGatewayLogGroup",
                    ApiKind::Http => "HttpApiLogGroup",
                    _ => "WebsocketsLogGroup",
                };
                let mut at = loc(group_resource, retention.map_or(line, |(k, _)| k.line));
                at.resource_type = Some("AWS::Logs::LogGroup".into());
                // `resources:` may override the generated group's properties, as the
                // framework merges them: a retention or a KMS key given there wins.
                let overridden = |key: &str| {
                    framework_override(root, group_resource)
                        .and_then(|p| p.get("Properties"))
                        .and_then(|p| p.entry(key))
                };
                let days = match overridden("RetentionInDays") {
                    Some((_, v)) => Some(match v.as_str().and_then(|t| t.trim().parse().ok()) {
                        Some(n) => Value::Known(n),
                        None => Value::Unknown(rendered(v, root)),
                    }),
                    None => days,
                };
                let kms = overridden("KmsKeyId").map(|(_, v)| Text::lit(rendered(v, root)));
                inv.log_groups
                    .push(stagelog_model::LogGroup::declared(name, days, kms, at));
                d.log_group = Some(inv.log_groups.len() - 1);
            }
        }
        inv.stages.push(st);
    }
    // `resources:` is CloudFormation the framework merges into the stack it deploys: a log
    // group, an account role or a stage declared there is judged as in a template.
    if let Some(section) = root.get("resources") {
        let section = as_deployed(section, file, &mut notes);
        let given = crate::cloudformation::Parameters::default();
        if let Some(mut declared) = crate::cloudformation::adapt_root(
            file,
            src,
            &section,
            &given,
            &mut errors,
            &mut notes,
            vec![],
        ) {
            // A Deployment that names the framework's own REST stage (`StageName:
            // ${self:provider.stage}`) deploys that stage, judged above: not a second one.
            if let Some(framework) = inv
                .stages
                .iter()
                .find(|s| s.api_kind == ApiKind::Rest)
                .map(|s| s.name.clone())
            {
                declared.stages.retain(|s| {
                    !(s.location.resource_type.as_deref() == Some("AWS::ApiGateway::Deployment")
                        && s.name == framework
                        && s.name.as_known().is_some())
                });
            }
            inv.absorb(declared);
            inv.link_destinations_by_name();
        }
    }
    Adapted {
        inventory: Some(inv),
        errors,
        notes,
        included,
    }
}

/// The entry `resources:` gives for a resource the framework generates (`HttpApiLogGroup`),
/// in the mapping form or any item of the list form.
fn framework_override<'a>(root: &'a Node, id: &str) -> Option<&'a Node> {
    let section = root.get("resources")?;
    let sections: Vec<&Node> = match &section.value {
        NodeValue::Seq(items) => items.iter().collect(),
        _ => vec![section],
    };
    sections
        .into_iter()
        .find_map(|s| s.get("Resources").and_then(|r| r.get(id)))
}

/// The resource a stage deployed into a shared REST API is located at.
pub const SHARED_STAGE: &str = "provider.apiGateway.restApiId";

/// A value as written, compactly, for naming what it refers to (`!ImportValue shared-api`).
fn rendered(n: &Node, root: &Node) -> String {
    let inner = match &n.value {
        NodeValue::Scalar { .. } => resolve(n, root).to_string(),
        NodeValue::Map(entries) => {
            let parts: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{}: {}", k.as_str().unwrap_or_default(), rendered(v, root)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        NodeValue::Seq(items) => {
            let parts: Vec<String> = items.iter().map(|v| rendered(v, root)).collect();
            format!("[{}]", parts.join(", "))
        }
    };
    match &n.tag {
        Some(tag) => format!("!{tag} {inner}"),
        None => inner,
    }
}

/// `resources:` as the framework merges it into the stack: an entry without a `Type` is an
/// override of a resource the framework generates (`ApiGatewayRestApi: {Properties: …}`),
/// merged there, not a resource of its own; one that is still a variable (a `${file()}` not
/// at hand) is said, not an error.
fn as_deployed(section: &Node, file: &str, notes: &mut Vec<String>) -> Node {
    let mut section = section.clone();
    // `resources:` as a list (`- ${file(resources/api.yml)}` per file): the framework merges
    // the items' sections.
    if let NodeValue::Seq(items) = &section.value {
        let mut merged: Vec<(Node, Node)> = Vec::new();
        for item in items {
            for (k, v) in item.as_map().unwrap_or_default() {
                match merged.iter_mut().find(|(mk, _)| mk.as_str() == k.as_str()) {
                    Some((_, existing)) => {
                        if let (NodeValue::Map(into), NodeValue::Map(from)) =
                            (&mut existing.value, &v.value)
                        {
                            into.extend(from.iter().cloned());
                        }
                    }
                    None => merged.push((k.clone(), v.clone())),
                }
            }
        }
        section.value = NodeValue::Map(merged);
    }
    let Some(resources) = section.value_mut_of("Resources") else {
        return section;
    };
    if let NodeValue::Map(entries) = &mut resources.value {
        entries.retain(|(key, body)| match &body.value {
            NodeValue::Map(_) => body.get("Type").is_some() || body.get("Fn::Transform").is_some(),
            NodeValue::Scalar { text, .. } if text.contains("${") => {
                notes.push(format!(
                    "{file}:{}: resources `{}` is `{text}`, which the framework resolves from outside the file; not judged",
                    key.line,
                    key.as_str().unwrap_or_default()
                ));
                false
            }
            _ => true,
        });
    }
    section
}

/// `provider.logs.<api>`: `true`, `false`, or an object with the framework's defaults.
#[allow(clippy::too_many_arguments)]
fn configure(
    st: &mut Stage,
    value: &Node,
    kind: ApiKind,
    service: &Text,
    stage: &Text,
    group_prefix: &str,
    root: &Node,
    errors: &mut Vec<Problem>,
    file: &str,
) {
    let flag = |n: Option<&Node>, default: bool| -> Value<bool> {
        match n.map(|n| resolve(n, root)) {
            None => Value::Known(default),
            Some(t) => match t.as_known().as_deref() {
                Some("true") => Value::Known(true),
                Some("false") => Value::Known(false),
                _ => Value::Unknown(t.to_string()),
            },
        }
    };
    let (enabled, settings) = match &value.value {
        NodeValue::Map(_) => (Value::Known(true), Some(value)),
        _ => (flag(Some(value), false), None),
    };
    let get = |k: &str| settings.and_then(|s| s.get(k));
    if enabled == Value::Known(false) {
        // `restApi: false` turns REST logging off (level OFF, no data trace).
        if kind.has_execution_logging() {
            st.default_settings.logging_level = Some(Value::Known(LogLevel::Off));
            st.default_settings.data_trace = Some(Value::Known(false));
        }
        return;
    }
    if let Value::Unknown(expr) = &enabled {
        st.access_log = Some(Value::Unknown(expr.clone()));
        st.default_settings.logging_level = Some(Value::Unknown(expr.clone()));
        return;
    }
    match flag(get("accessLogging"), true) {
        Value::Known(true) => {
            let mut group = Text::lit(group_prefix);
            group.append(service.clone());
            group.push_lit("-");
            group.append(stage.clone());
            let mut arn = Text::lit("arn:");
            arn.push_hole("AWS::Partition");
            arn.push_lit(":logs:");
            arn.push_hole("AWS::Region");
            arn.push_lit(":");
            arn.push_hole("AWS::AccountId");
            arn.push_lit(":log-group:");
            arn.append(group);
            let format = match get("format") {
                Some(f) => Some(resolve(f, root)),
                None if kind == ApiKind::Rest => Some(Text::lit(DEFAULT_REST_FORMAT)),
                // The framework's default for HTTP and WebSocket APIs: not judged here.
                None => Some(Text::hole("the framework's default format")),
            };
            st.access_log = Some(Value::Known(AccessLog {
                destination: Some(Destination {
                    arn,
                    log_group: None,
                }),
                format,
                line: None,
            }));
        }
        Value::Known(false) => {}
        Value::Unknown(e) => st.access_log = Some(Value::Unknown(e)),
    }
    if !kind.has_execution_logging() {
        return;
    }
    let level = match flag(get("executionLogging"), true) {
        Value::Known(false) => Value::Known(LogLevel::Off),
        Value::Unknown(e) => Value::Unknown(e),
        Value::Known(true) => match get("level").map(|l| resolve(l, root)) {
            None => Value::Known(LogLevel::Info),
            Some(t) => match t.as_known() {
                Some(l) => {
                    let level = LogLevel::parse(&l);
                    if matches!(level, LogLevel::Invalid(_) | LogLevel::Off) {
                        errors.push(Problem::in_file(
                            file.to_string(),
                            get("level").map(|n| n.line),
                            format!("the Serverless Framework rejects level `{l}`: INFO or ERROR"),
                        ));
                    }
                    Value::Known(level)
                }
                None => Value::Unknown(t.to_string()),
            },
        },
    };
    st.default_settings = MethodSettings {
        logging_level: Some(level),
        data_trace: Some(flag(get("fullExecutionData"), true)),
        location: None,
    };
}

/// A scalar with the framework's variables resolved where the file decides them:
/// `${opt:stage, 'prod'}` (its default), `${sls:stage}` and `${self:provider.stage}`,
/// `${self:…}` paths, `${env:X, 'default'}`. Anything else is a hole.
fn resolve(n: &Node, root: &Node) -> Text {
    resolve_depth(n.as_str().unwrap_or_default(), root, 0)
}

fn resolve_depth(s: &str, root: &Node, depth: u32) -> Text {
    let mut out = Text::default();
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        out.push_lit(&rest[..start]);
        let after = &rest[start + 2..];
        // Variables nest (`${opt:stage, ${self:custom.stage}}`): find the matching brace.
        let mut level = 1;
        let mut end = None;
        let bytes = after.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'$' if bytes.get(i + 1) == Some(&b'{') => {
                    level += 1;
                    i += 1;
                }
                b'}' => {
                    level -= 1;
                    if level == 0 {
                        end = Some(i);
                        break;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        let Some(end) = end else {
            out.push_lit(&rest[start..]);
            return out;
        };
        out.append(variable(&after[..end], root, depth));
        rest = &after[end + 1..];
    }
    out.push_lit(rest);
    out
}

fn variable(expr: &str, root: &Node, depth: u32) -> Text {
    if depth > 8 {
        return Text::hole(expr);
    }
    // `source:address, fallback`: the first that resolves; a quoted fallback is a literal.
    let (head, fallback) = match split_top_comma(expr) {
        Some((h, f)) => (h.trim(), Some(f.trim())),
        None => (expr.trim(), None),
    };
    let resolved = match head.split_once(':') {
        Some(("sls", "stage")) => self_path("provider.stage", root, depth)
            .or_else(|| fallback.is_none().then(|| Text::lit("dev"))),
        Some(("self", path)) => self_path(path, root, depth),
        // Options, environment and other sources are not known from the file alone.
        _ => None,
    };
    match (resolved, fallback) {
        (Some(t), _) => t,
        (None, Some(f)) => {
            let unquoted = f
                .strip_prefix('\'')
                .and_then(|f| f.strip_suffix('\''))
                .or_else(|| f.strip_prefix('"').and_then(|f| f.strip_suffix('"')));
            match unquoted {
                Some(lit) => Text::lit(lit),
                None if f.starts_with("${") => resolve_depth(f, root, depth + 1),
                None => variable(f, root, depth + 1),
            }
        }
        (None, None) => Text::hole(expr),
    }
}

fn self_path(path: &str, root: &Node, depth: u32) -> Option<Text> {
    let mut node = root;
    for part in path.split('.') {
        node = node.get(part)?;
    }
    node.as_str().map(|s| resolve_depth(s, root, depth + 1))
}

/// The first comma outside `${…}` and quotes.
fn split_top_comma(s: &str) -> Option<(&str, &str)> {
    let (mut level, mut quote) = (0i32, None::<char>);
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '{') => level += 1,
            (None, '}') => level -= 1,
            (None, ',') if level == 0 => return Some((&s[..i], &s[i + 1..])),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stage_of(yaml: &str) -> String {
        let root = yaml::load(yaml).unwrap().root.unwrap();
        resolve(root.get("provider").unwrap().get("stage").unwrap(), &root).to_string()
    }

    #[test]
    fn variables_resolve_where_the_file_decides_them() {
        assert_eq!(
            stage_of("provider:\n  stage: ${opt:stage, 'prod'}\n"),
            "prod"
        );
        assert_eq!(
            stage_of("custom:\n  st: qa\nprovider:\n  stage: ${opt:stage, self:custom.st}\n"),
            "qa"
        );
        assert_eq!(
            stage_of("provider:\n  stage: ${env:STAGE, \"staging\"}\n"),
            "staging"
        );
        assert_eq!(
            stage_of("provider:\n  stage: ${opt:stage}\n"),
            "${opt:stage}"
        );
        assert_eq!(
            stage_of("custom:\n  s: ${opt:stage, 'eu'}\nprovider:\n  stage: ${self:custom.s}-x\n"),
            "eu-x"
        );
    }
}

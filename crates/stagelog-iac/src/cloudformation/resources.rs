//! A template's resources into the model: stages (REST, v2, made by a Deployment, quick
//! create), log groups, the account's CloudWatch role, execution-log deliveries.

use super::sam::sam_extra_stage;
use super::template::{Props, Res, Template};
use crate::value::{bool_of, int_of, level_of, text_of, Val};
use rustc_hash::FxHashMap as HashMap;
use stagelog_model::Problem;
use stagelog_model::{
    AccessLog, AccountSettings, ApiKind, Destination, Inventory, LogGroup, MethodSettings, Stage,
    Text, Value,
};
use stagelog_syntax::yaml::Node;

impl<'a> Template<'a> {
    pub(super) fn inventory(&self, all: &[Res<'a>]) -> Inventory {
        let mut inv = Inventory::default();
        // A resource whose condition is false (with the parameters as given or defaulted) is
        // not created; one whose condition is unknown is judged, as it may be.
        let resources: Vec<&Res<'a>> = all
            .iter()
            .filter(|r| {
                r.condition
                    .is_none_or(|c| self.condition(c, 0) != Some(false))
            })
            .collect();
        let mut group_ids: HashMap<String, usize> = HashMap::default();
        for r in resources.iter().filter(|r| r.ty == "AWS::Logs::LogGroup") {
            let r: &Res = r;
            let props = Props {
                own: r.props,
                global: None,
            };
            group_ids.insert(r.id.clone(), inv.log_groups.len());
            let mut group = LogGroup::declared(
                self.log_group_name(r),
                props
                    .get("RetentionInDays")
                    .and_then(|n| int_of(&self.eval(n))),
                props.get("KmsKeyId").and_then(|n| text_of(&self.eval(n))),
                self.loc(r),
            );
            group.class = props
                .get("LogGroupClass")
                .and_then(|n| text_of(&self.eval(n)))
                .and_then(|t| t.as_known())
                .and_then(|c| stagelog_model::LogClass::parse(&c));
            inv.log_groups.push(group);
        }
        let mut implicit_rest: Option<(u32, String)> = None;
        let mut implicit_http: Option<(u32, String)> = None;
        for r in &resources {
            let r: &Res = r;
            let props = Props {
                own: r.props,
                global: None,
            };
            match r.ty.as_str() {
                "AWS::ApiGateway::Stage" => {
                    let stage = self.rest_stage(r, &props, props.get("StageName"), &group_ids);
                    inv.stages.push(stage);
                }
                "AWS::ApiGateway::Deployment" => {
                    // A Deployment with StageName creates that stage, configured by StageDescription.
                    let Some(name) = props.get("StageName") else {
                        continue;
                    };
                    if text_of(&self.eval_name(name)).is_none_or(|t| t.is_empty()) {
                        continue;
                    }
                    let desc = Props {
                        own: props.get("StageDescription"),
                        global: None,
                    };
                    let mut stage = self.rest_stage(r, &desc, Some(name), &group_ids);
                    stage.api = props.get("RestApiId").map(|n| self.eval(n).to_text());
                    // StageDescription's top-level LoggingLevel/DataTraceEnabled apply to `*/*`.
                    if stage.default_settings.logging_level.is_none() {
                        stage.default_settings.logging_level = desc
                            .get("LoggingLevel")
                            .and_then(|n| level_of(&self.eval(n)));
                    }
                    if stage.default_settings.data_trace.is_none() {
                        stage.default_settings.data_trace = desc
                            .get("DataTraceEnabled")
                            .and_then(|n| bool_of(&self.eval(n)));
                    }
                    inv.stages.push(stage);
                }
                "AWS::Serverless::Api" => {
                    let props = Props {
                        own: r.props,
                        global: self.global("Api"),
                    };
                    let stage = self.rest_stage(r, &props, props.get("StageName"), &group_ids);
                    inv.stages.extend(sam_extra_stage(&stage, &props));
                    inv.stages.push(stage);
                }
                "AWS::ApiGatewayV2::Stage" => {
                    let kind = props
                        .get("ApiId")
                        .map(|n| self.v2_kind_of(n))
                        .unwrap_or(ApiKind::V2);
                    let mut stage = self.v2_stage(r, &props, kind, &group_ids);
                    stage.api = props.get("ApiId").map(|n| self.eval(n).to_text());
                    stage.api_name = props.get("ApiId").and_then(|n| self.api_name(n));
                    inv.stages.push(stage);
                }
                // Quick create: `Target` makes a `$default` stage with no logging.
                "AWS::ApiGatewayV2::Api" if props.get("Target").is_some() => {
                    inv.stages.push(Stage {
                        api: Some(Text::lit(&r.id)),
                        ..Stage::new(
                            self.protocol(props.get("ProtocolType")),
                            Text::lit("$default"),
                            self.loc(r),
                        )
                    });
                }
                "AWS::Serverless::HttpApi" => {
                    let props = Props {
                        own: r.props,
                        global: self.global("HttpApi"),
                    };
                    inv.stages
                        .push(self.v2_stage(r, &props, ApiKind::Http, &group_ids));
                }
                "AWS::ApiGateway::Account" => inv.accounts.push(AccountSettings {
                    cloudwatch_role_arn: props
                        .get("CloudWatchRoleArn")
                        .and_then(|n| text_of(&self.eval(n))),
                    role: None,
                    location: self.loc(r),
                }),
                "AWS::Serverless::Function" => {
                    let Some(events) = props.get("Events").and_then(Node::as_map) else {
                        continue;
                    };
                    for (key, ev) in events {
                        let ev_props = ev.get("Properties");
                        let named = |k: &str| ev_props.and_then(|p| p.get(k)).is_some();
                        match ev.get("Type").and_then(Node::as_str) {
                            Some("Api") if !named("RestApiId") => {
                                implicit_rest.get_or_insert((key.line, r.id.clone()));
                            }
                            Some("HttpApi") if !named("ApiId") => {
                                implicit_http.get_or_insert((key.line, r.id.clone()));
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        // SAM's implicit APIs, configured only through Globals.
        if let Some((line, _)) = implicit_rest {
            if !self.resources.contains_key("ServerlessRestApi") {
                let props = Props {
                    own: None,
                    global: self.global("Api"),
                };
                let res = Res {
                    id: "ServerlessRestApi".into(),
                    ty: "AWS::Serverless::Api".into(),
                    props: None,
                    condition: None,
                    line,
                    end_line: line,
                };
                let mut stage = self.rest_stage(&res, &props, None, &group_ids);
                if props.get("StageName").is_none() {
                    stage.name = Text::lit("Prod");
                }
                inv.stages.extend(sam_extra_stage(&stage, &props));
                inv.stages.push(stage);
            }
        }
        if let Some((line, _)) = implicit_http {
            if !self.resources.contains_key("ServerlessHttpApi") {
                let props = Props {
                    own: None,
                    global: self.global("HttpApi"),
                };
                let res = Res {
                    id: "ServerlessHttpApi".into(),
                    ty: "AWS::Serverless::HttpApi".into(),
                    props: None,
                    condition: None,
                    line,
                    end_line: line,
                };
                inv.stages
                    .push(self.v2_stage(&res, &props, ApiKind::Http, &group_ids));
            }
        }
        inv.link_destinations_by_name();
        self.attach_deliveries(&resources, &mut inv, &group_ids);
        inv
    }

    /// Execution-log deliveries: `AWS::Logs::DeliverySource` (LogType `EXECUTION_LOGS`,
    /// the stage's ARN), `AWS::Logs::DeliveryDestination` and `AWS::Logs::Delivery`.
    pub(super) fn attach_deliveries(
        &self,
        resources: &[&Res<'a>],
        inv: &mut Inventory,
        groups: &HashMap<String, usize>,
    ) {
        let get = |r: &Res, k: &str| {
            r.props
                .and_then(|p| p.get(k))
                .map(|n| self.eval(n))
                .unwrap_or_else(|| Val::Unknown(format!("{}.{k}", r.id)))
        };
        let of = |ty: &'static str| resources.iter().filter(move |r| r.ty == ty);
        let sources: Vec<crate::delivery::Source> = of("AWS::Logs::DeliverySource")
            .map(|r| crate::delivery::Source {
                key: r.id.clone(),
                name: get(r, "Name").to_text(),
                log_type: get(r, "LogType").to_text(),
                resource_arn: get(r, "ResourceArn"),
            })
            .collect();
        if sources.is_empty() {
            return;
        }
        let destinations: Vec<crate::delivery::Destination> = of("AWS::Logs::DeliveryDestination")
            .map(|r| crate::delivery::Destination {
                key: r.id.clone(),
                name: get(r, "Name").to_text(),
                resource_arn: get(r, "DestinationResourceArn"),
            })
            .collect();
        let deliveries = of("AWS::Logs::Delivery")
            .map(|r| crate::delivery::Delivery {
                source: get(r, "DeliverySourceName"),
                destination: get(r, "DeliveryDestinationArn"),
                location: self.loc(r),
            })
            .collect();
        crate::delivery::attach(inv, &sources, &destinations, deliveries, groups);
    }

    pub(super) fn log_group_name(&self, r: &Res) -> Text {
        match r.props.and_then(|p| p.get("LogGroupName")) {
            Some(n) => self.eval_name(n).to_text(),
            // CloudFormation generates a name from the stack and logical id.
            None => Text::hole(format!("{}.LogGroupName", r.id)),
        }
    }

    pub(super) fn rest_stage(
        &self,
        r: &Res,
        props: &Props<'a>,
        name: Option<&Node>,
        groups: &HashMap<String, usize>,
    ) -> Stage {
        let mut stage = Stage {
            api: props.get("RestApiId").map(|n| self.eval(n).to_text()),
            api_name: match props.get("RestApiId") {
                Some(n) => self.api_name(n),
                // A SAM API is its own API resource.
                None => props
                    .get("Name")
                    .and_then(|n| self.eval_name(n).to_text().as_known()),
            },
            access_log: self.access_log(props.entry("AccessLogSetting"), groups),
            ..Stage::new(
                ApiKind::Rest,
                name.map(|n| self.eval_name(n).to_text())
                    .unwrap_or_else(|| Text::hole(format!("{}.StageName", r.id))),
                self.loc(r),
            )
        };
        if let Some(ms) = props.get("MethodSettings") {
            for entry in ms.as_seq().unwrap_or_default() {
                let written = |k: &str| entry.get(k).is_some();
                if entry.tag.is_none()
                    && entry.as_map().is_some()
                    && !(written("ResourcePath") && written("HttpMethod"))
                {
                    self.invalid(
                        entry.line,
                        format!(
                            "{}: a MethodSettings entry needs ResourcePath and HttpMethod \
                             (\"/*\" and \"*\" for the whole stage); the entry is left out",
                            r.id
                        ),
                    );
                }
            }
            match self.eval(ms) {
                // Written empty; an intrinsic yielding `AWS::NoValue` drops the property, as
                // CloudFormation does.
                Val::Null if ms.tag.is_none() && ms.as_map().is_none() => self.invalid(
                    ms.line,
                    format!("{}: MethodSettings is empty; it must be a list", r.id),
                ),
                Val::Null => {}
                Val::List(items) => {
                    for item in items {
                        let path = item.get("ResourcePath").map(|v| v.to_text().to_string());
                        let method = item.get("HttpMethod").map(|v| v.to_text().to_string());
                        if matches!(item, Val::Obj(_)) && (path.is_none() || method.is_none()) {
                            continue;
                        }
                        let settings = MethodSettings {
                            logging_level: item.get("LoggingLevel").and_then(level_of),
                            data_trace: item.get("DataTraceEnabled").and_then(bool_of),
                            location: None,
                        };
                        match (path.as_deref(), method.as_deref()) {
                            (Some("/*"), Some("*")) => stage.default_settings = settings,
                            (p, m) => stage.overrides.push((
                                format!("{}/{}", p.unwrap_or("/*"), m.unwrap_or("*")),
                                settings,
                            )),
                        }
                    }
                }
                other => {
                    if matches!(other, Val::Obj(_)) {
                        self.invalid(
                            ms.line,
                            format!(
                                "{}: MethodSettings must be a list of method settings, not a mapping",
                                r.id
                            ),
                        );
                    }
                    stage.default_settings.logging_level = Some(Value::Unknown(other.key()));
                }
            }
        }
        stage
    }

    /// Input CloudFormation would reject: an error with its line, while the stage is still
    /// judged as far as the input allows.
    pub(super) fn invalid(&self, line: u32, message: String) {
        self.invalid.borrow_mut().push(Problem::in_file(
            self.file.to_string(),
            Some(line),
            format!("CloudFormation would reject this: {message}"),
        ));
    }

    pub(super) fn v2_stage(
        &self,
        r: &Res,
        props: &Props<'a>,
        kind: ApiKind,
        groups: &HashMap<String, usize>,
    ) -> Stage {
        let default_name = if r.ty == "AWS::Serverless::HttpApi" {
            Text::lit("$default")
        } else {
            Text::hole(format!("{}.StageName", r.id))
        };
        let mut stage = Stage {
            api: Some(Text::lit(&r.id)),
            api_name: props
                .get("Name")
                .and_then(|n| self.eval_name(n).to_text().as_known()),
            access_log: self.access_log(props.entry("AccessLogSettings"), groups),
            ..Stage::new(
                kind,
                props
                    .get("StageName")
                    .map(|n| self.eval_name(n).to_text())
                    .unwrap_or(default_name),
                self.loc(r),
            )
        };
        if let Some(d) = props.get("DefaultRouteSettings") {
            stage.default_settings = route_settings(&self.eval(d));
        }
        if let Some(rs) = props.get("RouteSettings") {
            if let Val::Obj(routes) = self.eval(rs) {
                for (route, v) in routes {
                    stage.overrides.push((route, route_settings(&v)));
                }
            }
        }
        stage
    }

    pub(super) fn access_log(
        &self,
        entry: Option<(&Node, &Node)>,
        groups: &HashMap<String, usize>,
    ) -> Option<Value<AccessLog>> {
        let (key, node) = entry?;
        let v = self.eval(node);
        let Val::Obj(_) = v else {
            return match v {
                Val::Null => None,
                other => Some(Value::Unknown(other.key())),
            };
        };
        let destination = v.get("DestinationArn").and_then(|d| match d {
            Val::Null => None,
            Val::Ref { addr, text, .. } => Some(Destination {
                arn: text.clone(),
                log_group: groups.get(addr).copied(),
            }),
            other => Some(Destination {
                arn: other.to_text(),
                log_group: None,
            }),
        });
        Some(Value::Known(AccessLog {
            destination,
            format: v.get("Format").and_then(text_of),
            line: Some(key.line),
        }))
    }

    /// The `Name` of the API resource an `ApiId`/`RestApiId` refers to, when it is known.
    pub(super) fn api_name(&self, api_id: &Node) -> Option<String> {
        let Val::Ref { addr, .. } = self.eval(api_id) else {
            return None;
        };
        let node = self.resources.get(&addr)?.props?.get("Name")?;
        self.eval_name(node).to_text().as_known()
    }

    pub(super) fn protocol(&self, node: Option<&Node>) -> ApiKind {
        match node.map(|n| self.eval(n).to_text().as_known()) {
            Some(Some(p)) if p.eq_ignore_ascii_case("WEBSOCKET") => ApiKind::WebSocket,
            Some(Some(p)) if p.eq_ignore_ascii_case("HTTP") => ApiKind::Http,
            _ => ApiKind::V2,
        }
    }

    pub(super) fn v2_kind_of(&self, api_id: &Node) -> ApiKind {
        match self.eval(api_id) {
            Val::Ref { addr, .. } => match self.resources.get(&addr) {
                Some(r) if r.ty == "AWS::ApiGatewayV2::Api" => {
                    self.protocol(r.props.and_then(|p| p.get("ProtocolType")))
                }
                Some(r) if r.ty == "AWS::Serverless::HttpApi" => ApiKind::Http,
                _ => ApiKind::V2,
            },
            _ => ApiKind::V2,
        }
    }
}

pub(super) fn route_settings(v: &Val) -> MethodSettings {
    match v {
        Val::Obj(_) => MethodSettings {
            logging_level: v.get("LoggingLevel").and_then(level_of),
            data_trace: v.get("DataTraceEnabled").and_then(bool_of),
            location: None,
        },
        Val::Null => MethodSettings::default(),
        other => MethodSettings {
            logging_level: Some(Value::Unknown(other.key())),
            data_trace: Some(Value::Unknown(other.key())),
            location: None,
        },
    }
}

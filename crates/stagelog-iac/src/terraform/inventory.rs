//! One module's resources into the model, instance by instance (`count`, `for_each`,
//! `dynamic` blocks expanded where their collections are known): stages with their access
//! logs and method settings, log groups, the account's CloudWatch role, execution-log
//! deliveries.

use super::eval::{expand, Evaluator, Scope};
use super::{Module, Resource};
use crate::value::{bool_of, int_of, level_of, text_of, Val};
use stagelog_model::{
    AccessLog, AccountSettings, ApiKind, Destination, Inventory, LogGroup, MethodSettings, Stage,
    Text, Value,
};
use stagelog_syntax::hcl::Body;
// Fx hashing: keys are short names hashed per expression evaluated; SipHash was a
// measurable share of a scan.
use rustc_hash::FxHashMap as HashMap;

struct Instance<'m> {
    res: &'m Resource,
    address: String,
    scope: Scope,
}

impl Module {
    pub(super) fn fill(
        &self,
        ev: &Evaluator,
        inv: &mut Inventory,
        groups: &mut HashMap<String, usize>,
    ) {
        let mut by_type: HashMap<&str, Vec<Instance>> = HashMap::default();
        for file in &self.files {
            for r in &file.resources {
                by_type
                    .entry(r.rtype.as_str())
                    .or_default()
                    .extend(instances(ev, r));
            }
        }
        let of = |t: &str| by_type.get(t).map(Vec::as_slice).unwrap_or_default();
        for inst in of("aws_cloudwatch_log_group") {
            let a = |k: &str| attr(ev, inst, k);
            let name = match (a("name"), a("name_prefix")) {
                (Some(v), _) => v.to_text(),
                (None, Some(p)) => {
                    let mut t = p.to_text();
                    t.push_hole("random suffix");
                    t
                }
                (None, None) => Text::hole(format!("{}.name", inst.address)),
            };
            // By instance (what `[each.key]` refers to), and the first instance by resource.
            groups.insert(inst.address.clone(), inv.log_groups.len());
            groups
                .entry(format!("{}.{}", inst.res.rtype, inst.res.name))
                .or_insert(inv.log_groups.len());
            let mut group = LogGroup::declared(
                name,
                a("retention_in_days").and_then(|v| int_of(&v)),
                a("kms_key_id").and_then(|v| text_of(&v)),
                self.loc(inst.res, &inst.address, None),
            );
            group.class = a("log_group_class")
                .and_then(|v| text_of(&v))
                .and_then(|t| t.as_known())
                .and_then(|c| stagelog_model::LogClass::parse(&c));
            inv.log_groups.push(group);
        }

        for inst in of("aws_api_gateway_stage") {
            let name = attr(ev, inst, "stage_name")
                .map(|v| v.to_text())
                .unwrap_or_default();
            let api = attr(ev, inst, "rest_api_id");
            inv.stages.push(Stage {
                api_name: api.as_ref().and_then(|a| api_name(ev, a)),
                api: api.map(|v| Text::lit(v.key())),
                access_log: self.access_log(ev, inst, groups),
                ..Stage::new(ApiKind::Rest, name, self.loc(inst.res, &inst.address, None))
            });
        }
        // A deployment with stage_name creates that stage (deprecated, still common).
        for inst in of("aws_api_gateway_deployment") {
            let Some(name) = attr(ev, inst, "stage_name").map(|v| v.to_text()) else {
                continue;
            };
            if name.is_empty() {
                continue;
            }
            inv.stages.push(Stage {
                api: attr(ev, inst, "rest_api_id").map(|v| Text::lit(v.key())),
                ..Stage::new(ApiKind::Rest, name, self.loc(inst.res, &inst.address, None))
            });
        }
        self.attach_method_settings(ev, of("aws_api_gateway_method_settings"), inv);

        for inst in of("aws_apigatewayv2_stage") {
            let api = attr(ev, inst, "api_id");
            let kind = match &api {
                Some(Val::Ref { addr, .. }) => addr
                    .strip_prefix("aws_apigatewayv2_api.")
                    .map(without_key)
                    .and_then(|n| ev.resources.get(&("aws_apigatewayv2_api", n)))
                    .map(|api| protocol(ev, api))
                    .unwrap_or(ApiKind::V2),
                _ => ApiKind::V2,
            };
            let mut stage = Stage {
                api_name: api.as_ref().and_then(|a| api_name(ev, a)),
                api: api.map(|v| Text::lit(v.key())),
                access_log: self.access_log(ev, inst, groups),
                ..Stage::new(
                    kind,
                    attr(ev, inst, "name")
                        .map(|v| v.to_text())
                        .unwrap_or_default(),
                    self.loc(inst.res, &inst.address, None),
                )
            };
            match nested(ev, inst, &inst.res.body, "default_route_settings") {
                Blocks::Known(found) => {
                    if let Some(b) = found.first() {
                        stage.default_settings = self.settings(ev, inst, b);
                    }
                }
                Blocks::Unknown(why) => {
                    stage.default_settings.logging_level = Some(Value::Unknown(why));
                }
            }
            if let Blocks::Known(found) = nested(ev, inst, &inst.res.body, "route_settings") {
                for b in &found {
                    let key = b
                        .body
                        .get_attribute("route_key")
                        .map(|a| ev.eval(&a.value, &b.scope).to_text().to_string())
                        .unwrap_or_default();
                    stage.overrides.push((key, self.settings(ev, inst, b)));
                }
            }
            inv.stages.push(stage);
        }
        for inst in of("aws_apigatewayv2_api") {
            // Quick create: a `target` with a value makes a `$default` stage with no logging.
            // `null` (a module's default) makes none, and a value not known here is not
            // guessed into a stage.
            match attr(ev, inst, "target") {
                None | Some(Val::Null) => continue,
                // An attribute of a resource or data source (a function's ARN) always has a
                // value, declared here or not; a variable, local or module output may be null.
                Some(Val::Unknown(e)) if !(e.starts_with("aws_") || e.starts_with("data.")) => {
                    continue
                }
                Some(_) => {}
            }
            inv.stages.push(Stage {
                api: Some(Text::lit(&inst.address)),
                ..Stage::new(
                    protocol(ev, inst.res),
                    Text::lit("$default"),
                    self.loc(inst.res, &inst.address, None),
                )
            });
        }
        self.attach_deliveries(ev, &of, inv, groups);
        for inst in of("aws_api_gateway_account") {
            let mut location = self.loc(inst.res, &inst.address, None);
            // Where it is applied, when this module configures its provider; a called
            // module's is filled in at its call (provider.rs).
            let alias = inst
                .res
                .body
                .get_attribute("provider")
                .and_then(|a| super::provider::alias_named(&a.value.to_string()));
            if let Some((region, account)) = self.provider_env(ev, alias.as_deref()) {
                location.region = region;
                location.account = account;
            }
            inv.accounts.push(AccountSettings {
                cloudwatch_role_arn: attr(ev, inst, "cloudwatch_role_arn")
                    .and_then(|v| text_of(&v)),
                role: None,
                location,
            });
        }
        inv.marks
            .extend(self.files.iter().flat_map(|f| f.marks.clone()));
    }

    fn access_log(
        &self,
        ev: &Evaluator,
        inst: &Instance,
        groups: &HashMap<String, usize>,
    ) -> Option<Value<AccessLog>> {
        let b = match nested(ev, inst, &inst.res.body, "access_log_settings") {
            Blocks::Unknown(why) => return Some(Value::Unknown(why)),
            Blocks::Known(found) => found.into_iter().next()?,
        };
        let dest = b
            .body
            .get_attribute("destination_arn")
            .map(|a| ev.eval(&a.value, &b.scope));
        let destination = dest.and_then(|d| match d {
            Val::Null => None,
            Val::Ref { addr, text, .. } => Some(Destination {
                arn: text,
                log_group: group_of(groups, &addr),
            }),
            other => Some(Destination {
                arn: other.to_text(),
                log_group: None,
            }),
        });
        let format = b
            .body
            .get_attribute("format")
            .and_then(|a| text_of(&ev.eval(&a.value, &b.scope)));
        Some(Value::Known(AccessLog {
            destination,
            format,
            line: b.start.map(|s| self.files[inst.res.file].lines.line(s)),
        }))
    }

    fn settings(&self, ev: &Evaluator, inst: &Instance, b: &Nested) -> MethodSettings {
        let get = |k: &str| b.body.get_attribute(k).map(|a| ev.eval(&a.value, &b.scope));
        MethodSettings {
            logging_level: get("logging_level").and_then(|v| level_of(&v)),
            data_trace: get("data_trace_enabled").and_then(|v| bool_of(&v)),
            location: b.start.map(|o| self.loc(inst.res, &inst.address, Some(o))),
        }
    }

    /// Execution-log deliveries: `aws_cloudwatch_log_delivery_source` (log type
    /// `EXECUTION_LOGS`, the stage's ARN), `…_delivery_destination` and `…_delivery`.
    fn attach_deliveries<'i>(
        &self,
        ev: &Evaluator,
        of: &dyn Fn(&str) -> &'i [Instance<'i>],
        inv: &mut Inventory,
        groups: &HashMap<String, usize>,
    ) where
        Self: 'i,
    {
        let key = |inst: &Instance| format!("{}.{}", inst.res.rtype, inst.res.name);
        let text = |inst: &Instance, k: &str| {
            attr(ev, inst, k)
                .map(|v| v.to_text())
                .unwrap_or_else(|| Text::hole(format!("{}.{k}", inst.address)))
        };
        let sources: Vec<crate::delivery::Source> = of("aws_cloudwatch_log_delivery_source")
            .iter()
            .map(|inst| crate::delivery::Source {
                key: key(inst),
                name: text(inst, "name"),
                log_type: text(inst, "log_type"),
                resource_arn: attr(ev, inst, "resource_arn")
                    .unwrap_or_else(|| Val::Unknown(format!("{}.resource_arn", inst.address))),
            })
            .collect();
        if sources.is_empty() {
            return;
        }
        let destinations: Vec<crate::delivery::Destination> =
            of("aws_cloudwatch_log_delivery_destination")
                .iter()
                .map(|inst| crate::delivery::Destination {
                    key: key(inst),
                    name: text(inst, "name"),
                    resource_arn: match nested(
                        ev,
                        inst,
                        &inst.res.body,
                        "delivery_destination_configuration",
                    ) {
                        Blocks::Known(found) => found
                            .first()
                            .and_then(|b| {
                                b.body
                                    .get_attribute("destination_resource_arn")
                                    .map(|a| ev.eval(&a.value, &b.scope))
                            })
                            .unwrap_or(Val::Null),
                        Blocks::Unknown(why) => Val::Unknown(why),
                    },
                })
                .collect();
        let deliveries = of("aws_cloudwatch_log_delivery")
            .iter()
            .map(|inst| crate::delivery::Delivery {
                source: attr(ev, inst, "delivery_source_name").unwrap_or(Val::Null),
                destination: attr(ev, inst, "delivery_destination_arn").unwrap_or(Val::Null),
                location: self.loc(inst.res, &inst.address, None),
            })
            .collect();
        crate::delivery::attach(inv, &sources, &destinations, deliveries, groups);
    }

    /// `aws_api_gateway_method_settings` attach to stages by (REST API, stage name). Settings
    /// that match no stage make the REST stages' levels unknown rather than "missing".
    fn attach_method_settings(&self, ev: &Evaluator, list: &[Instance], inv: &mut Inventory) {
        for inst in list {
            let api = attr(ev, inst, "rest_api_id").map(|v| v.key());
            let stage_name = attr(ev, inst, "stage_name").map(|v| v.to_text());
            let path = attr(ev, inst, "method_path")
                .map(|v| v.to_text().to_string())
                .unwrap_or_default();
            let settings = match nested(ev, inst, &inst.res.body, "settings") {
                Blocks::Known(found) => match found.first() {
                    Some(b) => {
                        let mut s = self.settings(ev, inst, b);
                        s.location = Some(self.loc(inst.res, &inst.address, None));
                        s
                    }
                    None => MethodSettings {
                        location: Some(self.loc(inst.res, &inst.address, None)),
                        ..MethodSettings::default()
                    },
                },
                Blocks::Unknown(why) => MethodSettings {
                    logging_level: Some(Value::Unknown(why.clone())),
                    data_trace: Some(Value::Unknown(why)),
                    location: Some(self.loc(inst.res, &inst.address, None)),
                },
            };
            let mut matched = false;
            for stage in inv
                .stages
                .iter_mut()
                .filter(|s| s.api_kind == ApiKind::Rest)
            {
                let same_api = match (&api, &stage.api) {
                    (Some(a), Some(b)) => *a == b.to_string(),
                    // Without rest_api_id (an error `validate` reports) the stage name alone.
                    (None, _) => true,
                    _ => false,
                };
                if same_api && stage_name.as_ref() == Some(&stage.name) {
                    matched = true;
                    if path == "*/*" {
                        stage.default_settings = settings.clone();
                    } else {
                        stage.overrides.push((path.clone(), settings.clone()));
                    }
                }
            }
            if !matched {
                let why = format!("{} (stage not resolved)", inst.address);
                for stage in inv.stages.iter_mut().filter(|s| {
                    s.api_kind == ApiKind::Rest
                        && s.default_settings.logging_level.is_none()
                        && (api.is_none()
                            || s.api.as_ref().map(|a| a.to_string()) == api
                            || stage_name.as_ref().is_none_or(|n| n.has_holes()))
                }) {
                    stage.default_settings.logging_level = Some(Value::Unknown(why.clone()));
                }
            }
        }
    }
}

/// A resource name without the instance key a reference may carry (`access["eu"]`).
fn without_key(name: &str) -> &str {
    name.split('[').next().unwrap_or(name)
}

/// The log group a reference names: the instance it names (`…access["eu"]`), else the
/// resource's first.
pub(crate) fn group_of(groups: &HashMap<String, usize>, addr: &str) -> Option<usize> {
    groups
        .get(addr)
        .or_else(|| groups.get(addr.split('[').next().unwrap_or(addr)))
        .copied()
}

/// The `name` of the API a stage's `rest_api_id`/`api_id` refers to, when it is known.
fn api_name(ev: &Evaluator, api: &Val) -> Option<String> {
    let Val::Ref { addr, .. } = api else {
        return None;
    };
    let (rtype, name) = addr.split_once('.')?;
    let res = ev.resources.get(&(rtype, without_key(name)))?;
    let value = res.body.get_attribute("name")?;
    ev.eval(&value.value, &Scope::default())
        .to_text()
        .as_known()
}

/// One nested block as Terraform will have it: its body, where it starts, and the scope its
/// attributes evaluate in (with a `dynamic` block's iterator).
struct Nested<'a> {
    body: &'a Body,
    start: Option<usize>,
    scope: Scope,
}

enum Blocks<'a> {
    Known(Vec<Nested<'a>>),
    /// A `dynamic` block whose `for_each` is not known here.
    Unknown(String),
}

/// The `name` blocks of a body: written ones, and `dynamic "name"` blocks expanded as
/// Terraform expands them when their `for_each` is known (0..n blocks, the iterator named by
/// `iterator` or the block's name, with `.key` and `.value`).
fn nested<'a>(ev: &Evaluator, inst: &Instance, body: &'a Body, name: &str) -> Blocks<'a> {
    // Written as an attribute (`name = { … }`), which Terraform rejects (`validate` says so):
    // what was meant is not known.
    if body.get_attribute(name).is_some() {
        return Blocks::Unknown(format!("{} (`{name} =` is not a block)", inst.address));
    }
    // `blocks()` and a filter rather than `get_blocks(name)`, whose items would borrow `name`.
    let mut out: Vec<Nested> = body
        .blocks()
        .filter(|b| b.ident.as_str() == name)
        .map(|b| Nested {
            body: &b.body,
            start: Some(b.span.start),
            scope: inst.scope.clone(),
        })
        .collect();
    for d in body
        .blocks()
        .filter(|b| b.ident.as_str() == "dynamic")
        .filter(|b| b.labels.first().is_some_and(|l| l == name))
    {
        let Some(content) = d.body.blocks().find(|b| b.ident.as_str() == "content") else {
            continue;
        };
        let iterator = d
            .body
            .get_attribute("iterator")
            .map(|a| a.value.to_string().trim().to_string())
            .unwrap_or_else(|| name.to_string());
        let items: Vec<(Val, Val)> = match d
            .body
            .get_attribute("for_each")
            .map(|a| ev.eval(&a.value, &inst.scope))
        {
            Some(Val::List(items)) if items.iter().all(Val::is_known) => items
                .into_iter()
                .enumerate()
                .map(|(i, v)| (Val::Num(i as f64), v))
                .collect(),
            Some(Val::Obj(entries)) => entries
                .into_iter()
                .map(|(k, v)| (Val::str(&k), v))
                .collect(),
            Some(Val::Null) => vec![],
            _ => return Blocks::Unknown(format!("dynamic {name} (for_each not known here)")),
        };
        for (key, value) in items {
            let mut scope = inst.scope.clone();
            scope.iterators.push((
                iterator.clone(),
                Val::Obj(vec![("key".into(), key), ("value".into(), value)]),
            ));
            out.push(Nested {
                body: &content.body,
                start: Some(d.span.start),
                scope,
            });
        }
    }
    Blocks::Known(out)
}

fn attr(ev: &Evaluator, inst: &Instance, key: &str) -> Option<Val> {
    inst.res
        .body
        .get_attribute(key)
        .map(|a| ev.eval(&a.value, &inst.scope))
}

fn protocol(ev: &Evaluator, api: &Resource) -> ApiKind {
    let p = api
        .body
        .get_attribute("protocol_type")
        .map(|a| ev.eval(&a.value, &Scope::default()).to_text().as_known());
    match p {
        Some(Some(p)) if p.eq_ignore_ascii_case("WEBSOCKET") => ApiKind::WebSocket,
        Some(Some(p)) if p.eq_ignore_ascii_case("HTTP") => ApiKind::Http,
        _ => ApiKind::V2,
    }
}

/// A resource's instances (see [`expand`]), with their addresses.
fn instances<'m>(ev: &Evaluator<'m>, r: &'m Resource) -> Vec<Instance<'m>> {
    expand(ev, &r.body)
        .into_iter()
        .map(|(suffix, scope)| Instance {
            res: r,
            address: format!("{}.{}{suffix}", r.rtype, r.name),
            scope,
        })
        .collect()
}

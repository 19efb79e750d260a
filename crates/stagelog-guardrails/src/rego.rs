//! Rego (Conftest, OPA) over a Terraform plan as `terraform show -json` writes it: what
//! `stagelog scan` judges on a plan alone, for teams whose pipelines already run OPA. A value
//! Terraform knows only after apply (`resource_changes[].change.after_unknown`) is never
//! reported missing, as stagelog does; resources being deleted are not in `planned_values`.
//!
//! `data.stagelog.deny` is a set of `{"rule", "address", "msg"}`; [`COVERS`] says which rule is
//! checked on which resource type, and the tests hold the set equal to stagelog's findings there.

use crate::{rule, version, Artefact, Engine};

/// The stagelog rules the Rego policy checks, and the Terraform resource types.
pub const COVERS: &[(&str, &[&str])] = &[
    ("SL001", &["aws_api_gateway_stage"]),
    ("SL002", &["aws_apigatewayv2_stage"]),
    (
        "SL010",
        &[
            "aws_api_gateway_stage",
            "aws_api_gateway_method_settings",
            "aws_apigatewayv2_stage",
        ],
    ),
    (
        "SL011",
        &["aws_api_gateway_method_settings", "aws_apigatewayv2_stage"],
    ),
];

const POLICY: &str = r#"
package stagelog

import rego.v1

# Every managed resource Terraform plans to have, in the root module and every child module.
resources contains r if {
	walk(input.planned_values.root_module, [_, r])
	is_object(r)
	r.mode == "managed"
	is_object(r.values)
}

# Terraform knows the destination only after apply (a log group created in the same run).
destination_unknown(address) if {
	some c in input.resource_changes
	c.address == address
	some s in c.change.after_unknown.access_log_settings
	s.destination_arn == true
}

destination_unknown(address) if {
	some c in input.resource_changes
	c.address == address
	c.change.after_unknown.access_log_settings == true
}

has_destination(r) if {
	some s in r.values.access_log_settings
	is_string(s.destination_arn)
	s.destination_arn != ""
}

has_destination(r) if destination_unknown(r.address)

# SL001: a REST stage without an access log destination.
deny contains {"rule": "SL001", "address": r.address, "msg": msg} if {
	some r in resources
	r.type == "aws_api_gateway_stage"
	not has_destination(r)
	msg := sprintf("REST API stage %v has no access logging configured", [r.address])
}

# SL002: an HTTP or WebSocket stage without an access log destination.
deny contains {"rule": "SL002", "address": r.address, "msg": msg} if {
	some r in resources
	r.type == "aws_apigatewayv2_stage"
	not has_destination(r)
	msg := sprintf("API Gateway v2 stage %v has no access logging configured", [r.address])
}

# What a resource's configuration refers to. The plan's `configuration` holds each module's
# resources once, by module path (without instance keys) and address; a reference names a
# resource of the same module instance.
configs[key] := c if {
	walk(input.configuration.root_module, [path, c])
	count(path) >= 2
	path[count(path) - 2] == "resources"
	is_string(c.address)
	names := [path[i + 1] | some i; path[i] == "module_calls"]
	prefix := concat("", [sprintf("module.%v.", [n]) | some n in names])
	key := concat("", [prefix, c.address])
}

without_keys(address) := regex.replace(address, `\[[^\]]*\]`, "")

# `module.api["eu"].` for `module.api["eu"].aws_apigatewayv2_stage.this`.
instance_prefix(r) := substring(r.address, 0, indexof(r.address, concat("", [r.type, "."])))

unknown_after_apply(r, key) if {
	some c in input.resource_changes
	c.address == r.address
	c.change.after_unknown[key] == true
}

# The planned resource a reference names, in the same module instance (with the referring
# resource's own key when the reference does not say which instance).
referred(r, key) := target if {
	ref := configs[without_keys(r.address)].expressions[key].references[0]
	startswith(ref, "aws_")
	parts := split(ref, ".")
	base := concat("", [instance_prefix(r), parts[0], ".", parts[1]])
	target := [a |
		some a in [base, concat("", [base, trim_prefix(r.address, without_keys(r.address))])]
		some t in resources
		t.address == a
	][0]
}

# What identifies the API (or stage) an attribute names: its value when the plan knows it,
# else the resource it refers to, else that it is known only after apply.
identity(r, key) := {"value": r.values[key]} if is_string(r.values[key])

identity(r, key) := {"resource": referred(r, key)} if {
	not is_string(r.values[key])
	referred(r, key)
}

identity(r, key) := {"after_apply": key} if {
	not is_string(r.values[key])
	not referred(r, key)
	unknown_after_apply(r, key)
}

rest_stages := {s | some s in resources; s.type == "aws_api_gateway_stage"}

method_settings := {m | some m in resources; m.type == "aws_api_gateway_method_settings"}

# Method settings apply to the stages of their REST API with their stage name.
applies(m, s) if {
	identity(m, "rest_api_id") == identity(s, "rest_api_id")
	m.values.stage_name == s.values.stage_name
}

applies(m, s) if {
	not m.values.rest_api_id
	not unknown_after_apply(m, "rest_api_id")
	m.values.stage_name == s.values.stage_name
}

matched(m) if {
	some s in rest_stages
	applies(m, s)
}

# Settings that apply to no stage leave the level of their API's stages without settings
# unknown: never reported missing.
level_unknown(s) if {
	some m in method_settings
	not matched(m)
	identity(m, "rest_api_id") == identity(s, "rest_api_id")
}

level_unknown(s) if {
	some m in method_settings
	not matched(m)
	not m.values.rest_api_id
}

levels := {"OFF", "ERROR", "INFO"}

# The first of a plan's nested blocks (written as a list), or an empty one.
first_block(r, key) := r.values[key][0] if count(object.get(r.values, key, [])) > 0

first_block(r, key) := {} if count(object.get(r.values, key, [])) == 0

# The level one settings resource sets, unless Terraform knows it only after apply.
settings_level(m) := level if {
	not unknown_after_apply(m, "settings")
	level := object.get(first_block(m, "settings"), "logging_level", null)
}

bad_level(level) if level == null

bad_level(level) if level == "OFF"

bad_level(level) if {
	is_string(level)
	not levels[level]
}

stage_default(s) := [m | some m in method_settings; applies(m, s); m.values.method_path == "*/*"]

# SL010: a REST stage without execution logging: no stage-wide settings...
deny contains {"rule": "SL010", "address": s.address, "msg": msg} if {
	some s in rest_stages
	count(stage_default(s)) == 0
	not level_unknown(s)
	msg := sprintf("REST API stage %v has no execution logging (no method settings for */*)", [s.address])
}

# ...stage-wide settings that turn it OFF (or leave it unset)...
deny contains {"rule": "SL010", "address": m.address, "msg": msg} if {
	some s in rest_stages
	some m in stage_default(s)
	bad_level(settings_level(m))
	msg := sprintf("%v sets execution logging of stage %v to %v", [m.address, s.address, settings_level(m)])
}

# ...or a method override that turns it OFF.
deny contains {"rule": "SL010", "address": m.address, "msg": msg} if {
	some s in rest_stages
	some m in method_settings
	applies(m, s)
	m.values.method_path != "*/*"
	level := settings_level(m)
	level != null
	bad_level(level)
	msg := sprintf("%v turns execution logging OFF for %v on stage %v", [m.address, m.values.method_path, s.address])
}

# SL011: method settings of a stage that log full request and response data.
deny contains {"rule": "SL011", "address": m.address, "msg": msg} if {
	some m in method_settings
	matched(m)
	some s in m.values.settings
	s.data_trace_enabled == true
	msg := sprintf("%v logs full request and response data (data trace)", [m.address])
}

# WebSocket stages: their API, when the plan has it, says the protocol.
websocket_stages := {s |
	some s in resources
	s.type == "aws_apigatewayv2_stage"
	api := identity(s, "api_id").resource
	some a in resources
	a.address == api
	a.values.protocol_type == "WEBSOCKET"
}

# SL011: a WebSocket stage whose default or route settings log full message data.
deny contains {"rule": "SL011", "address": s.address, "msg": msg} if {
	some s in websocket_stages
	some settings in array.concat(object.get(s.values, "default_route_settings", []), object.get(s.values, "route_settings", []))
	settings.data_trace_enabled == true
	msg := sprintf("WebSocket stage %v logs full message data (data trace)", [s.address])
}

# SL010: a WebSocket stage without execution logging, or a route that turns it OFF.
deny contains {"rule": "SL010", "address": s.address, "msg": msg} if {
	some s in websocket_stages
	not unknown_after_apply(s, "default_route_settings")
	level := object.get(first_block(s, "default_route_settings"), "logging_level", null)
	bad_level(level)
	msg := sprintf("WebSocket stage %v has execution logging %v", [s.address, level])
}

deny contains {"rule": "SL010", "address": s.address, "msg": msg} if {
	some s in websocket_stages
	some route in object.get(s.values, "route_settings", [])
	is_string(route.logging_level)
	bad_level(route.logging_level)
	msg := sprintf("WebSocket stage %v turns execution logging OFF for route %v", [s.address, route.route_key])
}
"#;

pub(crate) fn render() -> Artefact {
    let rules: Vec<&'static str> = COVERS.iter().map(|(id, _)| rule(id).id).collect();
    let text = format!(
        "# Generated by {} (`stagelog guardrails --format rego`).\n# Rego for Conftest/OPA over `terraform show -json` plans: {}. `data.stagelog.deny` lists each\n# finding as {{rule, address, msg}}; `conftest test --namespace stagelog plan.json` runs it.\n{POLICY}",
        version(),
        rules.join(", ")
    );
    Artefact {
        engine: Engine::Rego,
        text,
        rules,
        holes: vec![
            format!(
                "{}: the account's CloudWatch role is often declared in another configuration than the stages; `stagelog scan` judges it where it is",
                rule("SL030").id
            ),
            format!(
                "{}, {}: a v2 stage on an API the plan does not hold (an id given as a value) has an unknown protocol, so neither is judged there, as `stagelog scan` does",
                rule("SL010").id,
                rule("SL011").id
            ),
            format!(
                "{}, {}, {}, {}: formats, destinations and log groups are judged by `stagelog scan`",
                rule("SL003").id,
                rule("SL004").id,
                rule("SL005").id,
                rule("SL020").id
            ),
        ],
    }
}

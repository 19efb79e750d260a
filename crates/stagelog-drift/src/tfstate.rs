//! The API Gateway stages a Terraform state records: each one's address and the ids that name
//! it in the account. Read from the state file itself (format version 4, what `terraform
//! state pull` prints), from `terraform show -json` of it (the JSON output format's
//! `values.root_module`, https://developer.hashicorp.com/terraform/internals/json-format), or
//! from `terraform show -json` of a saved plan (its `prior_state`).

use serde_json::Value as Json;
use std::path::{Path, PathBuf};

/// A stage resource instance in a state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateStage {
    /// `module.api.aws_api_gateway_stage.this["prod"]`.
    pub address: String,
    /// A REST stage (`aws_api_gateway_stage`), else a v2 one (`aws_apigatewayv2_stage`).
    pub rest: bool,
    pub api_id: String,
    pub stage_name: String,
    /// The state file it was read from.
    pub state: PathBuf,
}

/// Why a file is not a state this reads, at the line JSON says when it does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateError {
    pub line: Option<u32>,
    pub message: String,
}

impl std::fmt::Display for StateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl From<String> for StateError {
    fn from(message: String) -> StateError {
        StateError {
            line: None,
            message,
        }
    }
}

/// The stages of one state file.
pub fn read(path: &Path) -> Result<Vec<StateStage>, StateError> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))?;
    let json: Json = serde_json::from_str(&text).map_err(|e| StateError {
        line: u32::try_from(e.line()).ok(),
        message: format!("not JSON ({e}); give the state file or `terraform show -json` of it"),
    })?;
    let mut out = Vec::new();
    // `terraform show -json` of a state has `values`; of a saved plan, the state the plan was
    // made against as `prior_state.values`.
    let shown = json
        .get("values")
        .or_else(|| json.get("prior_state").and_then(|p| p.get("values")))
        .and_then(|v| v.get("root_module"));
    if let Some(root) = shown {
        shown_module(root, path, &mut out);
    } else if let Some(resources) = json.get("resources").and_then(Json::as_array) {
        let version = json.get("version").and_then(Json::as_u64);
        if version != Some(4) {
            return Err(format!(
                "state format version {} (stagelog reads version 4, Terraform 0.12 and later)",
                version.map_or("unknown".into(), |v| v.to_string())
            )
            .into());
        }
        for r in resources {
            raw_resource(r, path, &mut out);
        }
    } else if json.get("format_version").is_some() && json.get("values").is_none() {
        // `terraform show -json` of an empty state.
    } else {
        return Err(String::from(
            "neither a Terraform state (version 4) nor `terraform show -json` of one",
        )
        .into());
    }
    Ok(out)
}

/// The stage a resource's attributes describe, when it is one.
fn stage_of(kind: &str, address: String, attrs: &Json, path: &Path) -> Option<StateStage> {
    let (rest, api_key, name_key) = match kind {
        "aws_api_gateway_stage" => (true, "rest_api_id", "stage_name"),
        "aws_apigatewayv2_stage" => (false, "api_id", "name"),
        _ => return None,
    };
    Some(StateStage {
        address,
        rest,
        api_id: attrs.get(api_key)?.as_str()?.to_string(),
        stage_name: attrs.get(name_key)?.as_str()?.to_string(),
        state: path.to_path_buf(),
    })
}

fn shown_module(module: &Json, path: &Path, out: &mut Vec<StateStage>) {
    for r in module
        .get("resources")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        if r.get("mode").and_then(Json::as_str) == Some("data") {
            continue;
        }
        let (Some(kind), Some(address), Some(values)) = (
            r.get("type").and_then(Json::as_str),
            r.get("address").and_then(Json::as_str),
            r.get("values"),
        ) else {
            continue;
        };
        out.extend(stage_of(kind, address.to_string(), values, path));
    }
    for child in module
        .get("child_modules")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        shown_module(child, path, out);
    }
}

fn raw_resource(r: &Json, path: &Path, out: &mut Vec<StateStage>) {
    if r.get("mode").and_then(Json::as_str) != Some("managed") {
        return;
    }
    let (Some(kind), Some(name)) = (
        r.get("type").and_then(Json::as_str),
        r.get("name").and_then(Json::as_str),
    ) else {
        return;
    };
    let module = r.get("module").and_then(Json::as_str);
    for instance in r
        .get("instances")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        let mut address = match module {
            Some(m) => format!("{m}.{kind}.{name}"),
            None => format!("{kind}.{name}"),
        };
        match instance.get("index_key") {
            Some(Json::String(key)) => address.push_str(&format!("[{}]", Json::from(key.as_str()))),
            Some(Json::Number(n)) => address.push_str(&format!("[{n}]")),
            _ => {}
        }
        if let Some(attrs) = instance.get("attributes") {
            out.extend(stage_of(kind, address, attrs, path));
        }
    }
}

/// An address without its instance keys (`module.a["x"].t.n[0]` → `module.a.t.n`), to match
/// a declaration whose keys the scan could not resolve.
pub(crate) fn without_keys(address: &str) -> String {
    let mut out = String::with_capacity(address.len());
    let mut depth = 0usize;
    let mut in_string = false;
    let mut prev = '\0';
    for c in address.chars() {
        match c {
            '"' if depth > 0 && prev != '\\' => in_string = !in_string,
            '[' if !in_string => depth += 1,
            ']' if !in_string => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
        prev = c;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("terraform.tfstate");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn raw_state_gives_every_stage_instance_with_its_address() {
        let (_d, path) = write(
            r#"{"version":4,"terraform_version":"1.9.8","serial":3,"lineage":"x","outputs":{},
            "resources":[
             {"mode":"managed","type":"aws_api_gateway_stage","name":"env","provider":"provider[\"registry.terraform.io/hashicorp/aws\"]",
              "instances":[{"index_key":"prod","schema_version":0,"attributes":{"id":"ags-a1b2c3-prod","rest_api_id":"a1b2c3","stage_name":"prod"}}]},
             {"module":"module.chat","mode":"managed","type":"aws_apigatewayv2_stage","name":"this",
              "instances":[{"index_key":0,"attributes":{"id":"live","api_id":"ws1","name":"live"}}]},
             {"mode":"data","type":"aws_api_gateway_stage","name":"other","instances":[{"attributes":{"rest_api_id":"zz","stage_name":"x"}}]},
             {"mode":"managed","type":"aws_cloudwatch_log_group","name":"g","instances":[{"attributes":{"name":"g"}}]}
            ]}"#,
        );
        let stages = read(&path).unwrap();
        let got: Vec<_> = stages
            .iter()
            .map(|s| {
                (
                    s.address.as_str(),
                    s.rest,
                    s.api_id.as_str(),
                    s.stage_name.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "aws_api_gateway_stage.env[\"prod\"]",
                    true,
                    "a1b2c3",
                    "prod"
                ),
                (
                    "module.chat.aws_apigatewayv2_stage.this[0]",
                    false,
                    "ws1",
                    "live"
                ),
            ]
        );
    }

    #[test]
    fn shown_state_walks_child_modules() {
        let (_d, path) = write(
            r#"{"format_version":"1.0","terraform_version":"1.9.8","values":{"root_module":{
              "resources":[{"address":"aws_apigatewayv2_stage.http","mode":"managed","type":"aws_apigatewayv2_stage","name":"http","values":{"api_id":"h1","name":"$default"}}],
              "child_modules":[{"address":"module.rest","resources":[
                 {"address":"module.rest.aws_api_gateway_stage.this","mode":"managed","type":"aws_api_gateway_stage","name":"this","values":{"rest_api_id":"r1","stage_name":"v1"}}]}]}}}"#,
        );
        let names: Vec<_> = read(&path)
            .unwrap()
            .into_iter()
            .map(|s| (s.address, s.api_id, s.stage_name))
            .collect();
        assert_eq!(
            names,
            [
                (
                    "aws_apigatewayv2_stage.http".into(),
                    "h1".into(),
                    "$default".into()
                ),
                (
                    "module.rest.aws_api_gateway_stage.this".into(),
                    "r1".into(),
                    "v1".into()
                )
            ]
        );
    }

    #[test]
    fn a_plans_prior_state_is_read() {
        let (_d, path) = write(
            r#"{"format_version":"1.2","planned_values":{"root_module":{"resources":[{"address":"aws_api_gateway_stage.new","type":"aws_api_gateway_stage","mode":"managed","values":{"stage_name":"v2"}}]}},
               "prior_state":{"format_version":"1.0","values":{"root_module":{"resources":[
                 {"address":"aws_api_gateway_stage.old","mode":"managed","type":"aws_api_gateway_stage","name":"old","values":{"rest_api_id":"r9","stage_name":"v1"}}]}}}}"#,
        );
        let stages = read(&path).unwrap();
        assert_eq!(stages.len(), 1, "only what is deployed: {stages:?}");
        assert_eq!(stages[0].address, "aws_api_gateway_stage.old");
    }

    #[test]
    fn what_is_not_a_state_is_an_error_with_its_line() {
        let (_d, path) = write("{\n  \"version\": 4,\n  oops\n}");
        assert!(read(&path).unwrap_err().to_string().starts_with("line 3"));
        let (_d, path) = write(r#"{"version":3,"resources":[]}"#);
        assert!(read(&path).unwrap_err().to_string().contains("version 3"));
        let (_d, path) = write(r#"{"Resources":{}}"#);
        assert!(read(&path).unwrap_err().to_string().contains("neither"));
    }

    #[test]
    fn keys_come_off_addresses() {
        assert_eq!(
            without_keys(r#"module.a["x[1]"].aws_api_gateway_stage.s[0]"#),
            "module.a.aws_api_gateway_stage.s"
        );
    }
}

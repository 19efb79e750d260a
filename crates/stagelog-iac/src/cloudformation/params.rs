//! Parameter values from outside a template: `--parameter`, `--parameters-file` (the AWS CLI's
//! and CodePipeline's forms) and samconfig.toml's `parameter_overrides`.

use rustc_hash::FxHashMap as HashMap;
use stagelog_model::Problem;

/// Parameter values given from outside the template (`--parameter`, `--parameters-file`,
/// samconfig.toml): each wins over the parameter's `Default`, as at deploy time. Names the
/// template does not declare are ignored, since one file often serves several templates.
#[derive(Debug, Default, Clone)]
pub struct Parameters {
    values: Vec<(String, String)>,
    /// The samconfig.toml environment whose `parameter_overrides` apply (`--config-env`).
    sam_env: Option<String>,
    /// Each directory's samconfig.toml, read once however many templates it holds.
    samconfigs: SamConfigs,
}

/// A directory's samconfig.toml overrides for the chosen environment, or why it cannot be read.
type SamConfigOverrides = Result<Vec<(String, String)>, Problem>;
type SamConfigs = std::sync::Arc<
    std::sync::Mutex<HashMap<std::path::PathBuf, std::sync::Arc<SamConfigOverrides>>>,
>;

impl Parameters {
    /// Also read `parameter_overrides` of this environment (default `default`) from the
    /// samconfig.toml beside each template, as `sam deploy --config-env` does; values given
    /// on the command line win over it.
    pub fn with_sam_env(mut self, env: &str) -> Parameters {
        self.sam_env = Some(env.to_string());
        self
    }

    /// The values for a template in `dir`: its samconfig.toml's, then the given ones.
    pub(crate) fn for_template_in(
        &self,
        dir: &std::path::Path,
    ) -> (std::borrow::Cow<'_, Parameters>, Option<Problem>) {
        let overrides = self.samconfig_in(dir);
        match &*overrides {
            Ok(values) if !values.is_empty() => {
                let merged = Parameters {
                    values: values.iter().chain(&self.values).cloned().collect(),
                    sam_env: self.sam_env.clone(),
                    samconfigs: self.samconfigs.clone(),
                };
                (std::borrow::Cow::Owned(merged), None)
            }
            Ok(_) => (std::borrow::Cow::Borrowed(self), None),
            Err(e) => (std::borrow::Cow::Borrowed(self), Some(e.clone())),
        }
    }

    /// `dir`'s samconfig.toml overrides (none without the file), read on first use.
    fn samconfig_in(&self, dir: &std::path::Path) -> std::sync::Arc<SamConfigOverrides> {
        if let Some(known) = self
            .samconfigs
            .lock()
            .ok()
            .and_then(|m| m.get(dir).cloned())
        {
            return known;
        }
        let path = dir.join("samconfig.toml");
        let env = self.sam_env.as_deref().unwrap_or("default");
        let read = match crate::paths::read_text_file(&path) {
            Err(_) => Ok(vec![]),
            Ok(text) => samconfig_overrides(&text, env).map_err(|(line, message)| {
                Problem::in_file(
                    crate::paths::display(&path),
                    line,
                    format!("cannot read samconfig.toml: {message}"),
                )
            }),
        };
        let read = std::sync::Arc::new(read);
        if let Ok(mut m) = self.samconfigs.lock() {
            m.insert(dir.to_path_buf(), read.clone());
        }
        read
    }

    /// `pairs` are `KEY=VALUE`; later values win over earlier ones, files before pairs.
    pub fn new(files: &[std::path::PathBuf], pairs: &[String]) -> Result<Parameters, Problem> {
        let mut out = Vec::new();
        for path in files {
            let name = path.display().to_string();
            let fail = |message: String| {
                Problem::in_file(name.clone(), None, format!("--parameters-file: {message}"))
            };
            let text = crate::paths::read_text_file(path)
                .map_err(|e| fail(format!("cannot read: {e}")))?;
            out.extend(parse_parameters_file(&text).map_err(fail)?);
        }
        for pair in pairs {
            let (k, v) = pair.split_once('=').ok_or_else(|| {
                Problem::in_file("--parameter", None, format!("`{pair}` is not KEY=VALUE"))
            })?;
            out.push((k.trim().to_string(), v.to_string()));
        }
        Ok(Parameters {
            values: out,
            sam_env: None,
            samconfigs: Default::default(),
        })
    }

    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The AWS CLI's `[{"ParameterKey": …, "ParameterValue": …}]` or a CodePipeline template
/// configuration's `{"Parameters": {…}}`.
fn parse_parameters_file(text: &str) -> Result<Vec<(String, String)>, String> {
    let json: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("line {}: not JSON: {e}", e.line()))?;
    let as_text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    let shape = "expected [{\"ParameterKey\": …, \"ParameterValue\": …}] or {\"Parameters\": {…}}";
    match &json {
        serde_json::Value::Array(items) => items
            .iter()
            .map(|item| {
                let key = item.get("ParameterKey").and_then(|k| k.as_str());
                let value = item.get("ParameterValue").and_then(as_text);
                match (key, value) {
                    (Some(k), Some(v)) => Ok((k.to_string(), v)),
                    _ => Err(format!(
                        "an entry without ParameterKey/ParameterValue; {shape}"
                    )),
                }
            })
            .collect(),
        serde_json::Value::Object(o) => match o.get("Parameters") {
            Some(serde_json::Value::Object(params)) => params
                .iter()
                .map(|(k, v)| match as_text(v) {
                    Some(v) => Ok((k.clone(), v)),
                    None => Err(format!("parameter `{k}` is not a string")),
                })
                .collect(),
            _ => Err(shape.to_string()),
        },
        _ => Err(shape.to_string()),
    }
}

/// Where a file is wrong (when known), and how.
type LineAndMessage = (Option<u32>, String);

/// `parameter_overrides` of `[env.global.parameters]` then `[env.deploy.parameters]` (the
/// command `sam deploy` reads), as one string or a list of strings.
fn samconfig_overrides(text: &str, env: &str) -> Result<Vec<(String, String)>, LineAndMessage> {
    let doc: toml::Table = toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text.get(..s.start).unwrap_or(text).matches('\n').count() as u32 + 1);
        (line, e.message().to_string())
    })?;
    let mut out = Vec::new();
    for command in ["global", "deploy"] {
        let overrides = doc
            .get(env)
            .and_then(|e| e.get(command))
            .and_then(|c| c.get("parameters"))
            .and_then(|p| p.get("parameter_overrides"));
        let strings: Vec<&str> = match overrides {
            None => vec![],
            Some(toml::Value::String(s)) => vec![s.as_str()],
            Some(toml::Value::Array(items)) => items.iter().filter_map(|i| i.as_str()).collect(),
            Some(_) => {
                return Err((None, format!("[{env}.{command}.parameters] parameter_overrides is neither a string nor a list")))
            }
        };
        for s in strings {
            out.extend(parse_overrides(s).map_err(|m| (None, m))?);
        }
    }
    Ok(out)
}

/// SAM's `Key=Value Key2="with spaces"`, also in CloudFormation's
/// `ParameterKey=Key,ParameterValue=Value` form.
fn parse_overrides(s: &str) -> Result<Vec<(String, String)>, String> {
    let words = shlex::split(s).ok_or_else(|| format!("unbalanced quotes in `{s}`"))?;
    words
        .iter()
        .map(|w| {
            if let Some(rest) = w.strip_prefix("ParameterKey=") {
                if let Some((k, v)) = rest.split_once(",ParameterValue=") {
                    return Ok((k.to_string(), v.to_string()));
                }
            }
            w.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .ok_or_else(|| format!("`{w}` is not Key=Value"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn override_forms() {
        assert_eq!(
            parse_overrides(r#"Env=prod Name="two words" ParameterKey=Size,ParameterValue=3"#)
                .unwrap(),
            [
                ("Env".to_string(), "prod".to_string()),
                ("Name".to_string(), "two words".to_string()),
                ("Size".to_string(), "3".to_string()),
            ]
        );
        assert!(parse_overrides("Env").is_err());
        assert!(parse_overrides("Env='open").is_err());
    }

    proptest! {
        #[test]
        fn parameter_sources_never_panic(text in "\\PC{0,300}") {
            let _ = parse_parameters_file(&text);
            let _ = samconfig_overrides(&text, "default");
            let _ = parse_overrides(&text);
        }
    }
}

//! Which CloudFormation stack each template under `--iac` deploys as. CloudFormation tags what
//! it creates with the stack's name, so this map turns a live stage's tags into a template.
//! Sources, as the deploy tools record them:
//! - `samconfig.toml` / `samconfig.yaml`: `stack_name` of each environment's `deploy`
//!   parameters (SAM CLI configuration file), for the template beside it (`template_file`, else
//!   `template.yaml`/`template.yml`, else the built `.aws-sam/build/template.yaml`);
//! - a CDK cloud assembly's `manifest.json`: every `aws:cloudformation:stack` artifact's
//!   `stackName` (the artifact id when absent) and `templateFile`;
//! - a Serverless service: its inventory says (`provider.stackName`, else `{service}-{stage}`);
//! - `--stack NAME=TEMPLATE` from the command line, which wins.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Stack name → the templates that deploy as it (canonical paths).
#[derive(Debug, Default, Clone)]
pub struct StackMap {
    pub(crate) templates: BTreeMap<String, Vec<PathBuf>>,
    /// (stack, logical id) → the CDK construct path that made the resource, from the cloud
    /// assembly's `aws:cdk:logicalId` metadata: where a CDK user's own code is.
    pub(crate) constructs: BTreeMap<(String, String), String>,
    /// What could not be read (a malformed samconfig.toml), one line each.
    pub notes: Vec<String>,
}

impl StackMap {
    /// The stacks the deploy tools' files under `paths` name, then `explicit` (`--stack`).
    pub fn discover(paths: &[PathBuf], explicit: &[(String, PathBuf)]) -> StackMap {
        let mut map = StackMap::default();
        for root in paths {
            let walk = ignore::WalkBuilder::new(root)
                .hidden(false)
                .git_ignore(false)
                .filter_entry(|e| {
                    let name = e.file_name().to_string_lossy();
                    !matches!(name.as_ref(), ".git" | "node_modules" | ".terraform")
                })
                .build();
            for entry in walk.flatten() {
                let path = entry.path();
                match path.file_name().and_then(|n| n.to_str()) {
                    Some("samconfig.toml" | "samconfig.yaml" | "samconfig.yml") => {
                        map.samconfig(path)
                    }
                    Some("manifest.json") => map.cdk_manifest(path),
                    _ => {}
                }
            }
        }
        for (name, template) in explicit {
            map.templates
                .insert(name.clone(), vec![canonical(template)]);
        }
        map
    }

    /// Every stack with its templates, by name.
    pub fn stacks(&self) -> impl Iterator<Item = (&str, &[PathBuf])> {
        self.templates
            .iter()
            .map(|(n, t)| (n.as_str(), t.as_slice()))
    }

    /// The templates a stack deploys from.
    pub fn templates(&self, stack: &str) -> &[PathBuf] {
        self.templates.get(stack).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The CDK construct that made a stack's resource, when a cloud assembly says.
    pub fn construct(&self, stack: &str, logical_id: &str) -> Option<&str> {
        self.constructs
            .get(&(stack.to_string(), logical_id.to_string()))
            .map(String::as_str)
    }

    /// The stack a template deploys as, when one is known.
    pub fn stack_of(&self, template: &Path) -> Option<&str> {
        let template = canonical(template);
        self.templates
            .iter()
            .find(|(_, files)| files.contains(&template))
            .map(|(name, _)| name.as_str())
    }

    fn add(&mut self, stack: String, template: PathBuf) {
        let files = self.templates.entry(stack).or_default();
        let template = canonical(&template);
        if !files.contains(&template) {
            files.push(template);
        }
    }

    fn samconfig(&mut self, path: &Path) {
        let Ok(text) = std::fs::read_to_string(path) else {
            self.notes
                .push(format!("{}: cannot be read", path.display()));
            return;
        };
        let dir = path.parent().unwrap_or(Path::new("."));
        // [ENV.deploy.parameters] stack_name / template_file, whatever the environment.
        let mut found: Vec<(String, Option<String>)> = Vec::new();
        if path.extension().is_some_and(|e| e == "toml") {
            let table: toml::Table = match text.parse() {
                Ok(t) => t,
                Err(e) => {
                    self.notes.push(format!(
                        "{}: not TOML ({}); its stack names are not used",
                        path.display(),
                        e.message()
                    ));
                    return;
                }
            };
            for (_, env) in &table {
                let params = env
                    .get("deploy")
                    .and_then(|d| d.get("parameters"))
                    .and_then(|p| p.as_table());
                let global = env
                    .get("global")
                    .and_then(|d| d.get("parameters"))
                    .and_then(|p| p.as_table());
                let get = |key: &str| {
                    params
                        .and_then(|p| p.get(key))
                        .or_else(|| global.and_then(|p| p.get(key)))
                        .and_then(|v| v.as_str())
                        .map(str::to_string)
                };
                if let Some(stack) = get("stack_name") {
                    found.push((stack, get("template_file")));
                }
            }
        } else {
            let Ok(loaded) = stagelog_syntax::yaml::load(&text) else {
                self.notes.push(format!(
                    "{}: not YAML; its stack names are not used",
                    path.display()
                ));
                return;
            };
            for (_, env) in loaded
                .root
                .as_ref()
                .and_then(|r| r.as_map())
                .unwrap_or_default()
            {
                let get = |section: &str, key: &str| {
                    env.get(section)
                        .and_then(|d| d.get("parameters"))
                        .and_then(|p| p.get(key))
                        .and_then(|v| v.as_str())
                        .map(str::to_string)
                };
                let get = |key: &str| get("deploy", key).or_else(|| get("global", key));
                if let Some(stack) = get("stack_name") {
                    found.push((stack, get("template_file")));
                }
            }
        }
        for (stack, template) in found {
            let template = match template {
                Some(t) => dir.join(t),
                None => [
                    "template.yaml",
                    "template.yml",
                    ".aws-sam/build/template.yaml",
                ]
                .iter()
                .map(|t| dir.join(t))
                .find(|p| p.is_file())
                .unwrap_or_else(|| dir.join("template.yaml")),
            };
            self.add(stack, template);
        }
    }

    fn cdk_manifest(&mut self, path: &Path) {
        let Ok(text) = std::fs::read_to_string(path) else {
            return;
        };
        let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) else {
            return;
        };
        // Any manifest.json is read, but only a cloud assembly's has stack artifacts.
        let Some(artifacts) = json.get("artifacts").and_then(|a| a.as_object()) else {
            return;
        };
        let dir = path.parent().unwrap_or(Path::new("."));
        for (id, artifact) in artifacts {
            if artifact.get("type").and_then(|t| t.as_str()) != Some("aws:cloudformation:stack") {
                continue;
            }
            let props = artifact.get("properties");
            let Some(template) = props
                .and_then(|p| p.get("templateFile"))
                .and_then(|t| t.as_str())
            else {
                continue;
            };
            let stack = props
                .and_then(|p| p.get("stackName"))
                .and_then(|t| t.as_str())
                .unwrap_or(id);
            self.add(stack.to_string(), dir.join(template));
            // "/Stack/Api/Stage/Resource": [{"type": "aws:cdk:logicalId", "data": "ApiStage1A2B"}]
            for (path, entries) in artifact
                .get("metadata")
                .and_then(|m| m.as_object())
                .into_iter()
                .flatten()
            {
                for entry in entries.as_array().into_iter().flatten() {
                    if entry.get("type").and_then(|t| t.as_str()) != Some("aws:cdk:logicalId") {
                        continue;
                    }
                    if let Some(logical_id) = entry.get("data").and_then(|d| d.as_str()) {
                        let construct = path.strip_suffix("/Resource").unwrap_or(path);
                        self.constructs.insert(
                            (stack.to_string(), logical_id.to_string()),
                            construct.to_string(),
                        );
                    }
                }
            }
        }
    }
}

/// A path as the file system names it, so `./a/../t.yaml` and `t.yaml` are one file.
pub(crate) fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samconfig_environments_and_cdk_artifacts_name_their_templates() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("template.yaml"), "Resources: {}\n").unwrap();
        std::fs::write(
            root.join("samconfig.toml"),
            "version = 0.1\n[default.deploy.parameters]\nstack_name = \"orders-dev\"\n\
             [prod.deploy.parameters]\nstack_name = \"orders-prod\"\ntemplate_file = \"prod.yaml\"\n",
        )
        .unwrap();
        std::fs::write(root.join("prod.yaml"), "Resources: {}\n").unwrap();
        std::fs::create_dir(root.join("cdk.out")).unwrap();
        std::fs::write(root.join("cdk.out/Chat.template.json"), "{}").unwrap();
        std::fs::write(
            root.join("cdk.out/manifest.json"),
            r#"{"version":"36.0.0","artifacts":{
                "Chat":{"type":"aws:cloudformation:stack","environment":"aws://unknown-account/unknown-region",
                        "properties":{"templateFile":"Chat.template.json"},
                        "metadata":{"/Chat/Api/LiveStage/Resource":[{"type":"aws:cdk:logicalId","data":"ChatApiLiveStage1A2B"}]}},
                "Renamed":{"type":"aws:cloudformation:stack","properties":{"templateFile":"Chat.template.json","stackName":"chat-live"}},
                "Tree":{"type":"cdk:tree","properties":{"file":"tree.json"}}}}"#,
        )
        .unwrap();
        let map = StackMap::discover(&[root.to_path_buf()], &[]);
        assert_eq!(
            map.templates("orders-dev"),
            [canonical(&root.join("template.yaml"))]
        );
        assert_eq!(
            map.templates("orders-prod"),
            [canonical(&root.join("prod.yaml"))]
        );
        let chat = canonical(&root.join("cdk.out/Chat.template.json"));
        assert_eq!(map.templates("Chat"), std::slice::from_ref(&chat));
        assert_eq!(map.templates("chat-live"), [chat]);
        assert!(map.templates("Tree").is_empty());
        assert_eq!(
            map.construct("Chat", "ChatApiLiveStage1A2B"),
            Some("/Chat/Api/LiveStage")
        );
        // --stack wins over what the files say.
        let map = StackMap::discover(
            &[root.to_path_buf()],
            &[("orders-dev".into(), root.join("prod.yaml"))],
        );
        assert_eq!(
            map.templates("orders-dev"),
            [canonical(&root.join("prod.yaml"))]
        );
        assert_eq!(map.stack_of(&root.join("prod.yaml")), Some("orders-dev"));
    }

    #[test]
    fn a_malformed_samconfig_is_said() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("samconfig.toml"), "[default\n").unwrap();
        let map = StackMap::discover(&[dir.path().to_path_buf()], &[]);
        assert!(map.templates.is_empty());
        assert!(map.notes[0].contains("not TOML"), "{:?}", map.notes);
    }
}

//! CloudFormation (YAML and JSON), SAM and CDK output (`cdk.out/*.template.json`) → model.
//! Intrinsic functions are resolved where the template and the given parameter values decide
//! them (`Ref` to parameters and resources, `Conditions` with `Fn::Equals`/`And`/`Or`/`Not`,
//! `Fn::If`, `Fn::FindInMap`, `Fn::Select`, `Fn::Split`, `Fn::GetAtt` of log groups, `Fn::Sub`,
//! `Fn::Join`, `Fn::ToJsonString`); everything else stays unknown. A resource whose `Condition`
//! is false is not created, so it is not judged.

use crate::error::SourceError;
use crate::value::{bool_of, int_of, level_of, resource_arn, text_of, ArnOf, Val};
use stagelog_model::{
    AccessLog, AccountSettings, ApiKind, Destination, Inventory, Location, LogGroup,
    MethodSettings, SourceKind, Stage, Text, Value,
};
use stagelog_syntax::yaml::{self, Node, NodeValue};
// Fx hashing: keys are short names hashed per expression evaluated; SipHash was a
// measurable share of a scan.
use rustc_hash::FxHashMap as HashMap;

/// What reading one file gave: `None` when the file is not a CloudFormation template.
pub struct Adapted {
    pub inventory: Option<Inventory>,
    pub errors: Vec<SourceError>,
}

pub fn adapt(file: &str, src: &str, given: &Parameters) -> Adapted {
    let mut errors = Vec::new();
    let err = |line: Option<u32>, message: String| SourceError {
        file: file.to_string(),
        line,
        message,
    };
    // Cheap test first: most YAML/JSON in a repository is not a template, and a template
    // without API Gateway, SAM or log resources has nothing to judge. Such a file is never an
    // error, however broken it is (a Helm chart, a cookiecutter template).
    if !could_hold_something(src) {
        return Adapted {
            inventory: None,
            errors,
        };
    }
    // JSON is read by the YAML loader (for lines and duplicate keys), which would also take
    // what JSON forbids (trailing commas, comments): check it is JSON first.
    if let Some(e) = stagelog_syntax::json::syntax_error(src) {
        if looks_like_template(src) {
            errors.push(err(Some(e.0), format!("cannot parse template: {}", e.1)));
        }
        return Adapted {
            inventory: None,
            errors,
        };
    }
    let repaired;
    let (loaded, src) = match yaml::load_as_pyyaml(src) {
        Ok((l, None)) => (l, src),
        Ok((l, Some(text))) => {
            repaired = text;
            (l, repaired.as_str())
        }
        Err(issue) => {
            if looks_like_template(src) {
                errors.push(err(
                    Some(issue.line),
                    format!("cannot parse template: {}", issue.message),
                ));
            }
            return Adapted {
                inventory: None,
                errors,
            };
        }
    };
    let Some(root) = loaded.root else {
        return Adapted {
            inventory: None,
            errors,
        };
    };
    let inventory = adapt_root(file, src, &root, given, &mut errors, loaded.issues);
    Adapted { inventory, errors }
}

/// A template's inventory from its root node (a template file's, or the `resources:` section
/// of a serverless.yml); `None` when it declares no AWS resource. `issues` are the loader's,
/// reported only then.
pub(crate) fn adapt_root(
    file: &str,
    src: &str,
    root: &Node,
    given: &Parameters,
    errors: &mut Vec<SourceError>,
    issues: Vec<yaml::LoadIssue>,
) -> Option<Inventory> {
    let err = |line: Option<u32>, message: String| SourceError {
        file: file.to_string(),
        line,
        message,
    };
    let resources = root.get("Resources").and_then(Node::as_map)?;
    let newlines: Vec<usize> = src
        .bytes()
        .enumerate()
        .filter(|(_, b)| *b == b'\n')
        .map(|(i, _)| i)
        .collect();
    // `Fn::ForEach` (the AWS::LanguageExtensions transform) expanded as the transform does.
    let expanded = expand_for_each(file, resources, root, given, errors);
    let resources: Vec<(&Node, &Node)> = resources
        .iter()
        .filter(|(k, _)| !k.as_str().is_some_and(|k| k.starts_with(FOR_EACH)))
        .map(|(k, v)| (k, v))
        .chain(expanded.iter().map(|(k, v)| (k, v)))
        .collect();
    let mut typed: Vec<Res> = Vec::new();
    let mut any_aws = false;
    for &(key, body) in &resources {
        let Some(id) = key.as_str() else { continue };
        let type_node = body.get("Type");
        match type_node {
            Some(t) if t.tag.is_none() && t.as_str().is_some() => {
                let ty = t.as_str().unwrap_or_default();
                any_aws |= ty.starts_with("AWS::");
                typed.push(Res {
                    id: id.to_string(),
                    ty: ty.to_string(),
                    props: body.get("Properties"),
                    condition: body.get("Condition").and_then(Node::as_str),
                    line: key.line,
                    end_line: line_at(&newlines, body.span.end).max(key.line),
                });
            }
            Some(t) => errors.push(err(
                Some(t.line),
                format!("resource `{id}` has a Type that is not a string; the resource is skipped"),
            )),
            None if body.as_map().is_some() => errors.push(err(
                Some(key.line),
                format!("resource `{id}` has no Type; the resource is skipped"),
            )),
            None => errors.push(err(
                Some(key.line),
                format!("resource `{id}` is not a mapping; the resource is skipped"),
            )),
        }
    }
    if !any_aws {
        return None;
    }
    for issue in issues {
        errors.push(err(Some(issue.line), issue.message));
    }
    let sam = typed.iter().any(|r| r.ty.starts_with("AWS::Serverless::"))
        || root.get("Transform").is_some_and(|t| {
            t.as_str().is_some_and(|s| s.starts_with("AWS::Serverless"))
                || t.as_seq().is_some_and(|s| {
                    s.iter()
                        .any(|x| x.as_str().is_some_and(|s| s.starts_with("AWS::Serverless")))
                })
        });
    let tpl = Template {
        file,
        params: root
            .get("Parameters")
            .and_then(Node::as_map)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| {
                        let name = k.as_str()?;
                        let list = v
                            .get("Type")
                            .and_then(Node::as_str)
                            .is_some_and(|t| t == "CommaDelimitedList" || t.starts_with("List<"));
                        let value = match given.get(name) {
                            Some(text) => Param::Given(text),
                            None => match v.get("Default") {
                                Some(d) => Param::Default(d),
                                None => Param::Missing,
                            },
                        };
                        Some((name.to_string(), (value, list)))
                    })
                    .collect()
            })
            .unwrap_or_default(),
        conditions: section_map(root.get("Conditions")),
        decided: Default::default(),
        mappings: root.get("Mappings"),
        nesting: Default::default(),
        invalid: Default::default(),
        resources: typed.iter().map(|r| (r.id.clone(), r)).collect(),
        globals: root.get("Globals"),
        sam,
    };
    let mut inventory = tpl.inventory(&typed);
    errors.append(&mut tpl.invalid.borrow_mut());
    inventory.marks = resources
        .iter()
        .filter_map(|(k, body)| Some((k.as_str()?, *body)))
        .flat_map(|(id, body)| crate::marks::cfn_marks(file, id, body))
        .chain(crate::marks::kics_file_marks(file, src))
        .collect();
    Some(inventory)
}

const FOR_EACH: &str = "Fn::ForEach::";

/// The resources `Fn::ForEach::<loop>: [Identifier, Collection, {OutputKey: Body}]` entries
/// make: one copy of each output per item of the collection (a list, or a `Ref` to a list
/// parameter), with `${Identifier}` / `&{Identifier}` replaced in keys and `Fn::Sub` strings,
/// and `Ref Identifier` by the item. Loops nest. A collection
/// not known here expands to nothing, with an error naming it.
fn expand_for_each(
    file: &str,
    map: &[(Node, Node)],
    root: &Node,
    given: &Parameters,
    errors: &mut Vec<SourceError>,
) -> Vec<(Node, Node)> {
    let mut out = Vec::new();
    for (key, body) in map {
        let Some(name) = key.as_str().and_then(|k| k.strip_prefix(FOR_EACH)) else {
            continue;
        };
        let Some([ident, collection, outputs]) = body.as_seq() else {
            continue;
        };
        let (Some(ident), Some(outputs)) = (ident.as_str(), outputs.as_map()) else {
            continue;
        };
        let items: Option<Vec<String>> = match (collection.as_seq(), collection_ref(collection)) {
            (Some(list), _) => list
                .iter()
                .map(|i| i.as_str().map(str::to_string))
                .collect(),
            (None, Some(param)) => list_parameter(root, given, param),
            _ => None,
        };
        let Some(items) = items else {
            errors.push(SourceError {
                file: file.to_string(),
                line: Some(collection.line),
                message: format!(
                    "Fn::ForEach::{name}: the collection is not known here; its resources are not judged"
                ),
            });
            continue;
        };
        for item in &items {
            let copies: Vec<(Node, Node)> = outputs
                .iter()
                .map(|(k, v)| {
                    (
                        substitute(k, ident, item, true, false),
                        substitute(v, ident, item, false, false),
                    )
                })
                .collect();
            out.extend(
                copies
                    .iter()
                    .filter(|(k, _)| !k.as_str().is_some_and(|k| k.starts_with(FOR_EACH)))
                    .cloned(),
            );
            out.extend(expand_for_each(file, &copies, root, given, errors));
        }
    }
    out
}

/// `!Ref X` or `{"Ref": "X"}`: the name X.
fn collection_ref(n: &Node) -> Option<&str> {
    if n.tag.as_deref() == Some("Ref") {
        return n.as_str();
    }
    match &n.value {
        NodeValue::Map(entries) if entries.len() == 1 && entries[0].0.as_str() == Some("Ref") => {
            entries[0].1.as_str()
        }
        _ => None,
    }
}

/// A list parameter's items, given or defaulted.
fn list_parameter(root: &Node, given: &Parameters, name: &str) -> Option<Vec<String>> {
    let text = match given.get(name) {
        Some(t) => t.to_string(),
        None => {
            let default = root.get("Parameters")?.get(name)?.get("Default")?;
            match default.as_seq() {
                Some(items) => {
                    return items
                        .iter()
                        .map(|i| i.as_str().map(str::to_string))
                        .collect()
                }
                None => default.as_str()?.to_string(),
            }
        }
    };
    Some(text.split(',').map(|s| s.trim().to_string()).collect())
}

/// A copy of `n` for one item of a `Fn::ForEach` loop: `${Identifier}` and `&{Identifier}`
/// replaced in keys (`key`) and in `Fn::Sub` strings (`in_sub`), `Ref Identifier` by the item.
fn substitute(n: &Node, ident: &str, item: &str, key: bool, in_sub: bool) -> Node {
    let dollar = format!("${{{ident}}}");
    let amp = format!("&{{{ident}}}");
    // `&{}` is the item without its non-alphanumeric characters (for logical ids).
    let alnum: String = item.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    let text_of = |t: &str| t.replace(&dollar, item).replace(&amp, &alnum);
    let is_ref = (n.tag.as_deref() == Some("Ref") && n.as_str() == Some(ident))
        || (n.tag.is_none() && collection_ref(n) == Some(ident));
    if is_ref {
        return Node {
            value: NodeValue::Scalar {
                text: item.to_string(),
                plain: false,
            },
            tag: None,
            line: n.line,
            span: n.span,
        };
    }
    let in_sub = in_sub || n.tag.as_deref() == Some("Sub");
    let value = match &n.value {
        NodeValue::Scalar { text, plain } => NodeValue::Scalar {
            text: if key || in_sub {
                text_of(text)
            } else {
                text.clone()
            },
            plain: *plain,
        },
        NodeValue::Seq(items) => NodeValue::Seq(
            items
                .iter()
                .map(|i| substitute(i, ident, item, false, in_sub))
                .collect(),
        ),
        NodeValue::Map(entries) => NodeValue::Map(
            entries
                .iter()
                .map(|(k, v)| {
                    let sub = in_sub || k.as_str() == Some("Fn::Sub");
                    (
                        substitute(k, ident, item, true, false),
                        substitute(v, ident, item, false, sub),
                    )
                })
                .collect(),
        ),
    };
    Node {
        value,
        tag: n.tag.clone(),
        line: n.line,
        span: n.span,
    }
}

/// 1-based line of a byte offset, given the offsets of every newline.
fn line_at(newlines: &[usize], offset: usize) -> u32 {
    newlines.partition_point(|n| *n < offset) as u32 + 1
}

fn looks_like_template(src: &str) -> bool {
    src.contains("Resources") && src.contains("AWS::")
}

/// Whether a template could declare a stage, a log group or the account's settings.
pub(crate) fn could_hold_something(src: &str) -> bool {
    static TYPES: crate::prefilter::AnyWord =
        crate::prefilter::AnyWord::new(&["AWS::ApiGateway", "AWS::Serverless", "AWS::Logs::"]);
    TYPES.in_text(src)
}

struct Res<'a> {
    id: String,
    ty: String,
    props: Option<&'a Node>,
    /// The name of the condition that decides whether the resource is created.
    condition: Option<&'a str>,
    line: u32,
    end_line: u32,
}

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
type SamConfigOverrides = Result<Vec<(String, String)>, SourceError>;
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
    ) -> (std::borrow::Cow<'_, Parameters>, Option<SourceError>) {
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
        let read = match std::fs::read_to_string(&path) {
            Err(_) => Ok(vec![]),
            Ok(text) => samconfig_overrides(&text, env).map_err(|(line, message)| SourceError {
                file: crate::paths::display(&path),
                line,
                message: format!("cannot read samconfig.toml: {message}"),
            }),
        };
        let read = std::sync::Arc::new(read);
        if let Ok(mut m) = self.samconfigs.lock() {
            m.insert(dir.to_path_buf(), read.clone());
        }
        read
    }

    /// `pairs` are `KEY=VALUE`; later values win over earlier ones, files before pairs.
    pub fn new(files: &[std::path::PathBuf], pairs: &[String]) -> Result<Parameters, SourceError> {
        let mut out = Vec::new();
        for path in files {
            let name = path.display().to_string();
            let fail = |message: String| SourceError {
                file: name.clone(),
                line: None,
                message: format!("--parameters-file: {message}"),
            };
            let text =
                std::fs::read_to_string(path).map_err(|e| fail(format!("cannot read: {e}")))?;
            out.extend(parse_parameters_file(&text).map_err(fail)?);
        }
        for pair in pairs {
            let (k, v) = pair.split_once('=').ok_or_else(|| SourceError {
                file: "--parameter".into(),
                line: None,
                message: format!("`{pair}` is not KEY=VALUE"),
            })?;
            out.push((k.trim().to_string(), v.to_string()));
        }
        Ok(Parameters {
            values: out,
            sam_env: None,
            samconfigs: Default::default(),
        })
    }

    fn get(&self, name: &str) -> Option<&str> {
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

enum Param<'a> {
    Given(&'a str),
    Default(&'a Node),
    Missing,
}

fn section_map(section: Option<&Node>) -> HashMap<String, &Node> {
    section
        .and_then(Node::as_map)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v)))
                .collect()
        })
        .unwrap_or_default()
}

struct Template<'a> {
    file: &'a str,
    /// Each parameter's value and whether it is a list type.
    params: HashMap<String, (Param<'a>, bool)>,
    conditions: HashMap<String, &'a Node>,
    /// Conditions decided so far (`None`: unknown, or being decided).
    decided: std::cell::RefCell<HashMap<String, Option<bool>>>,
    mappings: Option<&'a Node>,
    /// How deep evaluation is, across references.
    nesting: std::cell::Cell<u32>,
    /// What the template gets wrong (see `invalid`).
    invalid: std::cell::RefCell<Vec<SourceError>>,
    resources: HashMap<String, &'a Res<'a>>,
    globals: Option<&'a Node>,
    sam: bool,
}

/// Properties after SAM's Globals: the resource's own keys win over the global section's.
struct Props<'a> {
    own: Option<&'a Node>,
    global: Option<&'a Node>,
}

impl<'a> Props<'a> {
    fn get(&self, key: &str) -> Option<&'a Node> {
        self.own
            .and_then(|p| p.get(key))
            .or_else(|| self.global.and_then(|g| g.get(key)))
    }

    fn entry(&self, key: &str) -> Option<(&'a Node, &'a Node)> {
        self.own
            .and_then(|p| p.entry(key))
            .or_else(|| self.global.and_then(|g| g.entry(key)))
    }
}

impl<'a> Template<'a> {
    fn source(&self) -> SourceKind {
        if self.sam {
            SourceKind::Sam
        } else {
            SourceKind::CloudFormation
        }
    }

    fn loc(&self, r: &Res) -> Location {
        Location {
            source: self.source(),
            file: Some(self.file.to_string()),
            line: Some(r.line),
            end_line: Some(r.end_line),
            resource: r.id.clone(),
            resource_type: Some(r.ty.clone()),
            account: None,
            via: vec![],
            region: None,
        }
    }

    fn inventory(&self, all: &[Res<'a>]) -> Inventory {
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
                    if text_of(&self.eval(name)).is_none_or(|t| t.is_empty()) {
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
    fn attach_deliveries(
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

    fn global(&self, section: &str) -> Option<&'a Node> {
        self.globals.and_then(|g| g.get(section))
    }

    fn log_group_name(&self, r: &Res) -> Text {
        match r.props.and_then(|p| p.get("LogGroupName")) {
            Some(n) => self.eval(n).to_text(),
            // CloudFormation generates a name from the stack and logical id.
            None => Text::hole(format!("{}.LogGroupName", r.id)),
        }
    }

    fn rest_stage(
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
                    .and_then(|n| self.eval(n).to_text().as_known()),
            },
            access_log: self.access_log(props.entry("AccessLogSetting"), groups),
            ..Stage::new(
                ApiKind::Rest,
                name.map(|n| self.eval(n).to_text())
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
                Val::Null => self.invalid(
                    ms.line,
                    format!("{}: MethodSettings is empty; it must be a list", r.id),
                ),
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
    fn invalid(&self, line: u32, message: String) {
        self.invalid.borrow_mut().push(SourceError {
            file: self.file.to_string(),
            line: Some(line),
            message: format!("CloudFormation would reject this: {message}"),
        });
    }

    fn v2_stage(
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
                .and_then(|n| self.eval(n).to_text().as_known()),
            access_log: self.access_log(props.entry("AccessLogSettings"), groups),
            ..Stage::new(
                kind,
                props
                    .get("StageName")
                    .map(|n| self.eval(n).to_text())
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

    fn access_log(
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
    fn api_name(&self, api_id: &Node) -> Option<String> {
        let Val::Ref { addr, .. } = self.eval(api_id) else {
            return None;
        };
        let node = self.resources.get(&addr)?.props?.get("Name")?;
        self.eval(node).to_text().as_known()
    }

    fn protocol(&self, node: Option<&Node>) -> ApiKind {
        match node.map(|n| self.eval(n).to_text().as_known()) {
            Some(Some(p)) if p.eq_ignore_ascii_case("WEBSOCKET") => ApiKind::WebSocket,
            Some(Some(p)) if p.eq_ignore_ascii_case("HTTP") => ApiKind::Http,
            _ => ApiKind::V2,
        }
    }

    fn v2_kind_of(&self, api_id: &Node) -> ApiKind {
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

    // ---- intrinsic functions ----

    /// A property's value; `!Ref AWS::NoValue` (also chosen by `Fn::If`) is an absent value.
    fn eval(&self, n: &Node) -> Val {
        match self.eval_depth(n, 0) {
            v if is_no_value(&v) => Val::Null,
            v => v,
        }
    }

    /// A named condition: `None` when it depends on something unknown (or does not exist).
    fn condition(&self, name: &str, depth: u32) -> Option<bool> {
        if let Some(known) = self.decided.borrow().get(name) {
            return *known;
        }
        let node = self.conditions.get(name)?;
        // Unknown while it is being decided, so a condition that refers to itself ends.
        self.decided.borrow_mut().insert(name.to_string(), None);
        let value = match self.eval_depth(node, depth + 1) {
            Val::Bool(b) => Some(b),
            _ => None,
        };
        self.decided.borrow_mut().insert(name.to_string(), value);
        value
    }

    fn eval_depth(&self, n: &Node, depth: u32) -> Val {
        // `depth` bounds one expression; `nesting` bounds evaluation through references
        // (a parameter default, log group name or condition that refers back to itself).
        let nesting = self.nesting.get();
        if depth > 32 || nesting > 64 {
            return Val::Unknown("(nested too deep)".into());
        }
        self.nesting.set(nesting + 1);
        let value = self.eval_node(n, depth);
        self.nesting.set(nesting);
        value
    }

    fn eval_node(&self, n: &Node, depth: u32) -> Val {
        if let Some(tag) = &n.tag {
            let name = if tag == "Ref" || tag == "Condition" {
                tag.clone()
            } else {
                format!("Fn::{tag}")
            };
            return self.intrinsic(&name, n, depth);
        }
        match &n.value {
            NodeValue::Scalar { text, plain } => scalar(text, *plain),
            NodeValue::Seq(items) => Val::List(
                items
                    .iter()
                    .map(|i| self.eval_depth(i, depth + 1))
                    .filter(|v| !is_no_value(v))
                    .collect(),
            ),
            NodeValue::Map(entries) => {
                if let [(k, v)] = entries.as_slice() {
                    if let Some(key) = k.as_str() {
                        if key == "Ref" || key.starts_with("Fn::") {
                            return self.intrinsic(key, v, depth);
                        }
                    }
                }
                Val::Obj(
                    entries
                        .iter()
                        .filter_map(|(k, v)| {
                            let val = self.eval_depth(v, depth + 1);
                            // `!Ref AWS::NoValue` removes the property.
                            (!is_no_value(&val))
                                .then(|| (k.as_str().unwrap_or_default().to_string(), val))
                        })
                        .collect(),
                )
            }
        }
    }

    /// `arg` is the function's argument node (for tags, the tagged node itself without its tag).
    fn intrinsic(&self, name: &str, arg: &Node, depth: u32) -> Val {
        let untagged;
        let arg = if arg.tag.is_some() {
            untagged = Node {
                tag: None,
                ..arg.clone()
            };
            &untagged
        } else {
            arg
        };
        let written = || format!("{name} {}", short(arg));
        match name {
            "Ref" => match arg.as_str() {
                Some(target) => self.reference(target),
                None => Val::Unknown(written()),
            },
            "Fn::GetAtt" => {
                let (res, attr) = match &arg.value {
                    NodeValue::Scalar { text, .. } => match text.split_once('.') {
                        Some((r, a)) => (r.to_string(), a.to_string()),
                        None => return Val::Unknown(written()),
                    },
                    NodeValue::Seq(items) if items.len() == 2 => (
                        items[0].as_str().unwrap_or_default().to_string(),
                        self.eval_depth(&items[1], depth + 1).to_text().to_string(),
                    ),
                    _ => return Val::Unknown(written()),
                };
                self.get_att(&res, &attr)
            }
            "Fn::Sub" => {
                let (template, vars) = match &arg.value {
                    NodeValue::Scalar { text, .. } => (text.clone(), None),
                    NodeValue::Seq(items) if items.len() == 2 => match items[0].as_str() {
                        Some(t) => (t.to_string(), Some(self.eval_depth(&items[1], depth + 1))),
                        None => return Val::Unknown(written()),
                    },
                    _ => return Val::Unknown(written()),
                };
                Val::Str(self.sub(&template, vars.as_ref()))
            }
            "Fn::Join" => {
                let Some([sep, list]) = arg.as_seq().and_then(|s| <&[Node; 2]>::try_from(s).ok())
                else {
                    return Val::Unknown(written());
                };
                let sep = self.eval_depth(sep, depth + 1).to_text();
                match self.eval_depth(list, depth + 1) {
                    Val::List(items) => {
                        let mut out = Text::default();
                        for (i, item) in items.iter().enumerate() {
                            if i > 0 {
                                out.append(sep.clone());
                            }
                            out.append(item.to_text());
                        }
                        Val::Str(out)
                    }
                    _ => Val::Unknown(written()),
                }
            }
            "Fn::If" => match arg.as_seq() {
                Some([cond, a, b]) => {
                    match cond.as_str().and_then(|c| self.condition(c, depth + 1)) {
                        Some(true) => self.eval_depth(a, depth + 1),
                        Some(false) => self.eval_depth(b, depth + 1),
                        None => {
                            let a = self.eval_depth(a, depth + 1);
                            let b = self.eval_depth(b, depth + 1);
                            if a == b {
                                a
                            } else {
                                Val::Unknown(written())
                            }
                        }
                    }
                }
                _ => Val::Unknown(written()),
            },
            "Condition" => match arg.as_str().and_then(|c| self.condition(c, depth + 1)) {
                Some(b) => Val::Bool(b),
                None => Val::Unknown(written()),
            },
            "Fn::Equals" => match arg.as_seq() {
                Some([a, b]) => {
                    let (a, b) = (self.eval_depth(a, depth + 1), self.eval_depth(b, depth + 1));
                    if a.is_known() && b.is_known() {
                        // CloudFormation compares the values as strings (`30` equals "30").
                        Val::Bool(a.key() == b.key())
                    } else {
                        Val::Unknown(written())
                    }
                }
                _ => Val::Unknown(written()),
            },
            "Fn::And" | "Fn::Or" | "Fn::Not" => {
                let Some(items) = arg.as_seq() else {
                    return Val::Unknown(written());
                };
                let values: Vec<Option<bool>> = items
                    .iter()
                    .map(|i| match self.eval_depth(i, depth + 1) {
                        Val::Bool(b) => Some(b),
                        _ => None,
                    })
                    .collect();
                let decided = match (name, values.as_slice()) {
                    ("Fn::Not", [v]) => v.map(|b| !b),
                    ("Fn::Not", _) => None,
                    // One false decides an And, one true an Or, whatever the unknowns are.
                    ("Fn::And", _) if values.contains(&Some(false)) => Some(false),
                    ("Fn::Or", _) if values.contains(&Some(true)) => Some(true),
                    (_, _) if values.iter().all(Option::is_some) => Some(name == "Fn::And"),
                    _ => None,
                };
                match decided {
                    Some(b) => Val::Bool(b),
                    None => Val::Unknown(written()),
                }
            }
            "Fn::FindInMap" => {
                let Some([map, top, second]) = arg.as_seq() else {
                    return Val::Unknown(written());
                };
                let key = |n: &Node| self.eval_depth(n, depth + 1).to_text().as_known();
                let (Some(map), Some(top), Some(second)) = (key(map), key(top), key(second)) else {
                    return Val::Unknown(written());
                };
                match self
                    .mappings
                    .and_then(|m| m.get(&map))
                    .and_then(|m| m.get(&top))
                    .and_then(|m| m.get(&second))
                {
                    Some(v) => self.eval_depth(v, depth + 1),
                    None => Val::Unknown(written()),
                }
            }
            "Fn::Select" => {
                let Some([index, list]) = arg.as_seq() else {
                    return Val::Unknown(written());
                };
                let index = int_of(&self.eval_depth(index, depth + 1));
                match (index, self.eval_depth(list, depth + 1)) {
                    (Some(Value::Known(i)), Val::List(items)) if i >= 0 => items
                        .get(i as usize)
                        .cloned()
                        .unwrap_or_else(|| Val::Unknown(written())),
                    _ => Val::Unknown(written()),
                }
            }
            "Fn::Base64" => match self.eval_depth(arg, depth + 1).to_text().as_known() {
                Some(text) => {
                    use base64::Engine;
                    Val::str(&base64::engine::general_purpose::STANDARD.encode(text))
                }
                None => Val::Unknown(written()),
            },
            "Fn::Split" => {
                let Some([sep, text]) = arg.as_seq() else {
                    return Val::Unknown(written());
                };
                let sep = self.eval_depth(sep, depth + 1).to_text().as_known();
                let text = self.eval_depth(text, depth + 1).to_text().as_known();
                match (sep, text) {
                    (Some(sep), Some(text)) if !sep.is_empty() => {
                        Val::List(text.split(sep.as_str()).map(Val::str).collect())
                    }
                    _ => Val::Unknown(written()),
                }
            }
            "Fn::ToJsonString" => {
                let v = self.eval_depth(arg, depth + 1);
                Val::Str(v.to_json(false))
            }
            _ => Val::Unknown(written()),
        }
    }

    fn reference(&self, target: &str) -> Val {
        if target.starts_with("AWS::") {
            return Val::Unknown(target.to_string());
        }
        if let Some((param, list)) = self.params.get(target) {
            let value = match param {
                Param::Given(text) => Val::str(text),
                Param::Default(d) => self.eval_depth(d, 1),
                Param::Missing => return Val::Unknown(target.to_string()),
            };
            return match (list, value.to_text().as_known()) {
                // A list parameter is given (and defaulted) as one comma-delimited string.
                (true, Some(text)) => {
                    Val::List(text.split(',').map(|s| Val::str(s.trim())).collect())
                }
                _ => value,
            };
        }
        match self.resources.get(target) {
            Some(r) => {
                let text = if r.ty == "AWS::Logs::LogGroup" {
                    self.log_group_name(r)
                } else {
                    Text::hole(target)
                };
                Val::Ref {
                    addr: target.to_string(),
                    attr: "Ref".into(),
                    text,
                }
            }
            None => Val::Unknown(target.to_string()),
        }
    }

    fn get_att(&self, res: &str, attr: &str) -> Val {
        let Some(r) = self.resources.get(res) else {
            return Val::Unknown(format!("{res}.{attr}"));
        };
        let prop = |k: &str| {
            r.props
                .and_then(|p| p.get(k))
                .map(|n| self.eval(n).to_text())
                .unwrap_or_else(|| Text::hole(format!("{res}.{k}")))
        };
        const PSEUDO: [&str; 3] = ["AWS::Partition", "AWS::Region", "AWS::AccountId"];
        let text = match (r.ty.as_str(), attr) {
            ("AWS::Logs::LogGroup", "Arn") => {
                // GetAtt gives the ARN with `:*`, as CloudFormation documents.
                let mut t = resource_arn(ArnOf::LogGroup, self.log_group_name(r), PSEUDO);
                t.push_lit(":*");
                t
            }
            ("AWS::KinesisFirehose::DeliveryStream", "Arn") => {
                resource_arn(ArnOf::Firehose, prop("DeliveryStreamName"), PSEUDO)
            }
            ("AWS::S3::Bucket", "Arn") => resource_arn(ArnOf::S3Bucket, prop("BucketName"), PSEUDO),
            _ => Text::hole(format!("{res}.{attr}")),
        };
        Val::Ref {
            addr: res.to_string(),
            attr: attr.to_string(),
            text,
        }
    }

    fn sub(&self, template: &str, vars: Option<&Val>) -> Text {
        let mut out = Text::default();
        let mut rest = template;
        while let Some(start) = rest.find("${") {
            out.push_lit(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                out.push_lit(&rest[start..]);
                return out;
            };
            let name = &after[..end];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_lit(&format!("${{{literal}}}"));
            } else if let Some(v) = vars.and_then(|v| v.get(name)) {
                out.append(v.to_text());
            } else if let Some((res, attr)) = name.split_once('.') {
                out.append(self.get_att(res, attr).to_text());
            } else {
                out.append(self.reference(name).to_text());
            }
            rest = &after[end + 1..];
        }
        out.push_lit(rest);
        out
    }
}

/// SAM deploys every `AWS::Serverless::Api` also to a stage named `Stage`, with no logging
/// settings, unless `OpenApiVersion` is set (kept for backwards compatibility; see
/// aws/serverless-application-model#191).
fn sam_extra_stage(stage: &Stage, props: &Props) -> Option<Stage> {
    if props.get("OpenApiVersion").is_some() || stage.name.as_known().as_deref() == Some("Stage") {
        return None;
    }
    Some(Stage {
        name: Text::lit("Stage"),
        access_log: None,
        default_settings: MethodSettings::default(),
        overrides: vec![],
        note: Some(
            "created by SAM because OpenApiVersion is not set; set it to remove this stage".into(),
        ),
        ..stage.clone()
    })
}

fn is_no_value(v: &Val) -> bool {
    matches!(v, Val::Unknown(u) if u == "AWS::NoValue")
}

fn route_settings(v: &Val) -> MethodSettings {
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

fn scalar(text: &str, plain: bool) -> Val {
    if !plain {
        return Val::str(text);
    }
    match text {
        "" | "~" | "null" | "Null" | "NULL" => Val::Null,
        "true" | "True" | "TRUE" => Val::Bool(true),
        "false" | "False" | "FALSE" => Val::Bool(false),
        // Only numbers that print back the same (keeps `012345678901` an account id).
        _ => match text.parse::<i64>() {
            Ok(n) if n.to_string() == text => Val::Num(n as f64),
            _ => Val::str(text),
        },
    }
}

fn short(n: &Node) -> String {
    match &n.value {
        NodeValue::Scalar { text, .. } => text.clone(),
        NodeValue::Seq(_) => "[…]".into(),
        NodeValue::Map(_) => "{…}".into(),
    }
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

    #[test]
    fn base64_of_a_known_value() {
        let src = "Parameters:\n  P: {Type: String, Default: prod}\nResources:\n  S:\n    Type: AWS::ApiGateway::Stage\n    Properties:\n      RestApiId: r\n      StageName: !Base64 {Ref: P}\n";
        let adapted = adapt("t.yaml", src, &Parameters::default());
        let stage = &adapted.inventory.unwrap().stages[0];
        assert_eq!(stage.name.as_known().as_deref(), Some("cHJvZA=="));
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

//! CloudFormation (YAML and JSON), SAM and CDK output (`cdk.out/*.template.json`) → model.
//! Intrinsic functions are resolved where the template and the given parameter values decide
//! them (`Ref` to parameters and resources, `Conditions` with `Fn::Equals`/`And`/`Or`/`Not`,
//! `Fn::If`, `Fn::FindInMap`, `Fn::Select`, `Fn::Split`, `Fn::GetAtt` of log groups, `Fn::Sub`,
//! `Fn::Join`, `Fn::ToJsonString`); everything else stays unknown. A resource whose `Condition`
//! is false is not created, so it is not judged.
//!
//! - [`params`]: parameter values from outside (`--parameter`, files, samconfig.toml).
//! - `foreach`: the `AWS::LanguageExtensions` transform's `Fn::ForEach`, expanded first.
//! - `template`: a template being read; `intrinsics`: its intrinsic functions and conditions.
//! - `resources`: its resources into the model; `sam`: what SAM adds (Globals, implicit APIs,
//!   the extra `Stage` stage).

mod foreach;
mod intrinsics;
pub mod params;
mod resources;
mod sam;
mod template;

pub use params::Parameters;

use foreach::{expand_for_each, FOR_EACH};
use stagelog_model::Inventory;
use stagelog_model::Problem;
use stagelog_syntax::yaml::{self, Node};
use template::{section_map, Param, Res, Template};

/// What reading one file gave: `None` when the file is not a CloudFormation template.
pub struct Adapted {
    pub inventory: Option<Inventory>,
    pub errors: Vec<Problem>,
    /// What the template asks of the deployer that stagelog does not do (an `AWS::Include`
    /// of a file elsewhere), said once each.
    pub notes: Vec<String>,
}

pub fn adapt(file: &str, src: &str, given: &Parameters) -> Adapted {
    let mut errors = Vec::new();
    let err =
        |line: Option<u32>, message: String| Problem::in_file(file.to_string(), line, message);
    // Cheap test first: most YAML/JSON in a repository is not a template, and a template
    // without API Gateway, SAM or log resources has nothing to judge. Such a file is never an
    // error, however broken it is (a Helm chart, a cookiecutter template).
    if !could_hold_something(src) {
        return Adapted {
            inventory: None,
            errors,
            notes: vec![],
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
            notes: vec![],
        };
    }
    let (loaded, read) = match yaml::load_as_pyyaml(src) {
        Ok(loaded) => loaded,
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
                notes: vec![],
            };
        }
    };
    // What was read: the repaired text, when the loader repaired it.
    let src: &str = &read;
    let Some(root) = loaded.root else {
        return Adapted {
            inventory: None,
            errors,
            notes: vec![],
        };
    };
    let mut notes = Vec::new();
    let inventory = adapt_root(
        file,
        src,
        &root,
        given,
        &mut errors,
        &mut notes,
        loaded.issues,
    );
    Adapted {
        inventory,
        errors,
        notes,
    }
}

/// A template's inventory from its root node (a template file's, or the `resources:` section
/// of a serverless.yml); `None` when it declares no AWS resource. `issues` are the loader's,
/// reported only then.
pub(crate) fn adapt_root(
    file: &str,
    src: &str,
    root: &Node,
    given: &Parameters,
    errors: &mut Vec<Problem>,
    notes: &mut Vec<String>,
    issues: Vec<yaml::LoadIssue>,
) -> Option<Inventory> {
    let err =
        |line: Option<u32>, message: String| Problem::in_file(file.to_string(), line, message);
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
        // `AWS::Include` (under Resources, or as a resource's whole body) inserts what a file
        // in S3 holds: CloudFormation reads it at deploy time, stagelog cannot.
        let include = if id == "Fn::Transform" {
            Some(body)
        } else {
            body.get("Fn::Transform")
                .filter(|_| body.get("Type").is_none())
        };
        if let Some(t) = include {
            let location = t
                .get("Parameters")
                .and_then(|p| p.get("Location"))
                .map(|l| match l.as_str() {
                    Some(s) => format!("`{s}`"),
                    None => "a location given by an intrinsic".to_string(),
                })
                .unwrap_or_else(|| "a file elsewhere".to_string());
            notes.push(format!(
                "{file}:{}: `{id}` includes resources from {location} (AWS::Include), which CloudFormation fetches at deploy time; scan that file too to judge what it declares",
                key.line
            ));
            continue;
        }
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
        defaulted: Default::default(),
        naming: Default::default(),
        resources: typed.iter().map(|r| (r.id.clone(), r)).collect(),
        globals: root.get("Globals"),
        sam,
    };
    let mut inventory = tpl.inventory(&typed);
    errors.append(&mut tpl.invalid.borrow_mut());
    // What was judged on a Default a deployment may override: said, so a verdict is not
    // taken for every environment's.
    let defaulted = tpl.defaulted.borrow();
    if !defaulted.is_empty() && !inventory.stages.is_empty() {
        let list: Vec<String> = defaulted
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        notes.push(format!(
            "{file}: judged with the Default of {} (no value given with --parameter or samconfig.toml); a deployment with other values may differ",
            list.join(", ")
        ));
    }
    inventory.marks = resources
        .iter()
        .filter_map(|(k, body)| Some((k.as_str()?, *body)))
        .flat_map(|(id, body)| crate::marks::cfn_marks(file, id, body))
        .chain(crate::marks::kics_file_marks(file, src))
        .collect();
    Some(inventory)
}

/// 1-based line of a byte offset, given the offsets of every newline.
pub(super) fn line_at(newlines: &[usize], offset: usize) -> u32 {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_of_a_known_value() {
        let src = "Parameters:\n  P: {Type: String, Default: prod}\nResources:\n  S:\n    Type: AWS::ApiGateway::Stage\n    Properties:\n      RestApiId: r\n      StageName: !Base64 {Ref: P}\n";
        let adapted = adapt("t.yaml", src, &Parameters::default());
        let stage = &adapted.inventory.unwrap().stages[0];
        assert_eq!(stage.name.as_known().as_deref(), Some("cHJvZA=="));
    }
}

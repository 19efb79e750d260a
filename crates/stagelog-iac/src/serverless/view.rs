//! A service file as the framework sees it before it deploys: `${file(…)}` replaced by the
//! file it names (when it is at hand), and the framework's own variables (`${self:…}`,
//! `${opt:…, 'default'}`, `${sls:stage}`, `${env:X, 'default'}`) replaced where the file
//! decides them. CloudFormation's `${AWS::Region}`-style references are left for the
//! CloudFormation adapter. What cannot be resolved stays as written: unknown, never an error.
//!
//! Serverless Framework variables: https://www.serverless.com/framework/docs/providers/aws/guide/variables

use super::resolve_depth;
use stagelog_syntax::yaml::{self, Node, NodeValue};
use std::path::{Path, PathBuf};

/// How deep `${file()}` includes may nest (a file that includes itself stops here).
const MAX_INCLUDES: u32 = 8;

/// What reading the includes found besides the view.
#[derive(Default)]
pub(super) struct Included {
    /// What names a file that is not at hand where it matters.
    pub notes: Vec<String>,
    /// Included files that do not parse, at their own line.
    pub errors: Vec<stagelog_model::Problem>,
    /// The files read into the view: part of the service, not templates of their own.
    pub files: Vec<PathBuf>,
    /// The service file, as notes name it.
    service: String,
    /// The line in the service file of the reference being read.
    line: u32,
}

/// The framework's view of `root`; `dir` is the service file's directory (`None` when the
/// file is not on disk).
pub(super) fn framework_view(
    root: &Node,
    service: &str,
    dir: Option<&Path>,
    seen: &mut Included,
) -> Node {
    seen.service = service.to_string();
    let mut out = root.clone();
    walk(&mut out, root, dir, 0, &mut Vec::new(), seen);
    out
}

/// Whether what is at `path` (keys from the root) can change what stagelog judges: the
/// provider's logging and API settings, `resources:`. A file elsewhere not at hand (secrets,
/// environment variables) is not worth a note.
fn judged(path: &[String]) -> bool {
    match path {
        [] => true,
        [first, ..] if first == "resources" => true,
        [first] if first == "provider" => true,
        [first, second, ..] if first == "provider" => {
            ["logs", "apiGateway", "stage", "logRetentionInDays", "name"].contains(&second.as_str())
        }
        _ => false,
    }
}

fn walk(
    node: &mut Node,
    root: &Node,
    dir: Option<&Path>,
    depth: u32,
    path: &mut Vec<String>,
    seen: &mut Included,
) {
    match &mut node.value {
        NodeValue::Map(entries) => {
            for (k, v) in entries {
                path.push(k.as_str().unwrap_or_default().to_string());
                walk(v, root, dir, depth, path, seen);
                path.pop();
            }
        }
        NodeValue::Seq(items) => {
            for v in items {
                walk(v, root, dir, depth, path, seen);
            }
        }
        NodeValue::Scalar { text, plain } => {
            if !text.contains("${") || node.tag.is_some() {
                return;
            }
            if let Some((file, key)) = whole_file_reference(text) {
                // `${file(./logging.yml):${self:provider.stage}}`: names the file decides.
                let decided = |t: &str| resolve_depth(t, root, 0).as_known();
                let file = decided(file).unwrap_or_else(|| file.to_string());
                let key = key.map(|k| decided(k).unwrap_or_else(|| k.to_string()));
                let reference = (file.as_str(), key.as_deref());
                let judged = judged(path);
                if depth == 0 {
                    seen.line = node.line;
                }
                if let Some(mut included) = include(reference, dir, depth, judged, seen) {
                    let (line, span) = (node.line, node.span);
                    // Where it came from is the line that names it, in this file.
                    relocate(&mut included, line, span);
                    let base = dir.map(|d| d.join(reference.0));
                    let inner = base.as_deref().and_then(Path::parent);
                    walk(&mut included, root, inner, depth + 1, path, seen);
                    *node = included;
                }
                return;
            }
            // Only a value the file decides entirely is replaced.
            if let Some(resolved) = resolve_depth(text, root, 0).as_known() {
                if resolved != *text {
                    *text = resolved;
                    *plain = false;
                }
            }
        }
    }
}

/// `${file(./path.yml)}` or `${file(./path.yml):a.b}` as the whole value: (path, key path).
fn whole_file_reference(text: &str) -> Option<(&str, Option<&str>)> {
    let inner = text.trim().strip_prefix("${file(")?.strip_suffix('}')?;
    let (path, rest) = inner.split_once(')')?;
    let key = match rest {
        "" => None,
        r => Some(r.strip_prefix(':')?),
    };
    Some((path.trim().trim_matches(['\'', '"']), key))
}

fn include(
    (path, key): (&str, Option<&str>),
    dir: Option<&Path>,
    depth: u32,
    judged: bool,
    seen: &mut Included,
) -> Option<Node> {
    if depth >= MAX_INCLUDES {
        return None;
    }
    let dir = dir?;
    // A name built from options (`secrets.${opt:stage}.yml`) is decided at deploy time.
    if path.contains("${") || key.is_some_and(|k| k.contains("${")) {
        if judged {
            seen.notes.push(format!(
                "{}:{}: `${{file({path})}}` names a file chosen at deploy time; what it holds is not judged",
                seen.service, seen.line
            ));
        }
        return None;
    }
    let file = dir.join(path);
    // JS and TS files are programs the framework runs; only YAML and JSON are read.
    if !path.ends_with(".yml") && !path.ends_with(".yaml") && !path.ends_with(".json") {
        if judged {
            seen.notes.push(format!(
                "{}:{}: `${{file({path})}}` is a program the framework runs; what it returns is not judged",
                seen.service, seen.line
            ));
        }
        return None;
    }
    let text = match crate::paths::read_text_file(&file) {
        Ok(t) => t,
        Err(e) => {
            if judged {
                seen.notes.push(format!(
                    "{}:{}: `${{file({path})}}` cannot be read ({e}); what it holds is not judged",
                    seen.service, seen.line
                ));
            }
            return None;
        }
    };
    seen.files.push(file.clone());
    let loaded = match yaml::load_as_pyyaml(&text) {
        Ok((loaded, _)) => loaded,
        Err(issue) => {
            seen.errors.push(stagelog_model::Problem::in_file(
                crate::paths::display(&file),
                Some(issue.line),
                format!(
                    "cannot parse the file {}:{} includes: {}",
                    seen.service, seen.line, issue.message
                ),
            ));
            return None;
        }
    };
    let mut node = loaded.root?;
    for part in key.into_iter().flat_map(|k| k.split('.')) {
        node = node.get(part)?.clone();
    }
    Some(node)
}

fn relocate(node: &mut Node, line: u32, span: yaml::NodeSpan) {
    node.line = line;
    node.span = yaml::NodeSpan {
        aliased: true,
        ..span
    };
    match &mut node.value {
        NodeValue::Map(entries) => {
            for (k, v) in entries {
                relocate(k, line, span);
                relocate(v, line, span);
            }
        }
        NodeValue::Seq(items) => {
            for v in items {
                relocate(v, line, span);
            }
        }
        NodeValue::Scalar { .. } => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_references_as_the_framework_writes_them() {
        assert_eq!(
            whole_file_reference("${file(./resource/LambdaRole.yml)}"),
            Some(("./resource/LambdaRole.yml", None))
        );
        assert_eq!(
            whole_file_reference("${file('config.json'):prod.logs}"),
            Some(("config.json", Some("prod.logs")))
        );
        assert_eq!(whole_file_reference("arn:${file(a.yml)}"), None);
    }
}

//! In-place edits of YAML and JSON templates. The fixers work on the template's JSON form; this
//! turns the difference between the old and new JSON into splices of the original text, so
//! comments, tags, quoting and layout outside the changed lines stay as they were. Written:
//! additions to mappings and sequences (block style in YAML, `{…}`/`[…]` in JSON) and
//! single-line scalar replacements; anything else (flow style in YAML, anchors, a change under
//! an intrinsic function) is refused with the reason, and the caller falls back.

use crate::error::EditError;
use crate::Edit;
use serde_json::{json, Map, Value as Json};
use stagelog_syntax::yaml::{Node, NodeValue};

/// Splices that turn `root` (parsed from `src`, whose JSON form is `old`) into `new`; `json`
/// when `src` is a JSON document (new text is then written as JSON). Refusals name paths from
/// `document` ("the template"; empty for paths named from the top, `provider.logs`).
pub(crate) fn edits(
    src: &str,
    root: &Node,
    old: &Json,
    new: &Json,
    json: bool,
    document: &str,
) -> Result<Vec<Edit>, EditError> {
    let step = if json {
        json_indent(src)
    } else {
        indent_step(root)
    };
    let newline = if src.contains("\r\n") { "\r\n" } else { "\n" };
    let mut ctx = Ctx {
        src,
        step,
        newline,
        json,
        out: Vec::new(),
    };
    ctx.merge(root, old, new, document)?;
    // Inner blocks are found first and must come first where several end on the same line.
    let mut merged: Vec<Edit> = Vec::new();
    for e in ctx.out {
        match merged
            .iter_mut()
            .find(|m| m.range.is_empty() && e.range.is_empty() && m.range.start == e.range.start)
        {
            Some(m) => m.text.push_str(&e.text),
            None => merged.push(e),
        }
    }
    Ok(merged)
}

struct Ctx<'a> {
    src: &'a str,
    step: usize,
    newline: &'a str,
    json: bool,
    out: Vec<Edit>,
}

impl Ctx<'_> {
    fn merge(&mut self, node: &Node, old: &Json, new: &Json, path: &str) -> Result<(), EditError> {
        if old == new {
            return Ok(());
        }
        if node.span.aliased || node.span.anchored {
            return Err(EditError::Anchor {
                path: path.to_string(),
            });
        }
        if node.tag.is_some() {
            // A one-line intrinsic (`!Sub arn:…`) replaced whole by another (`!GetAtt X.Arn`):
            // the tag and its argument are one span on one line.
            let line_start = self.src[..node.span.start].rfind('\n').map_or(0, |i| i + 1);
            let tag_start = if self.src[node.span.start..].starts_with('!') {
                Some(node.span.start)
            } else {
                self.src[line_start..node.span.start]
                    .rfind('!')
                    .map(|i| line_start + i)
            };
            // Inside an intrinsic whose shape stays (`!If [IsProd, ERROR, "OFF"]` with a branch
            // changed): its argument is merged like any value, the tag kept.
            if let (Some(tag), Some(a), Some(b)) = (
                node.tag.as_deref(),
                old.as_object().filter(|o| o.len() == 1),
                new.as_object().filter(|o| o.len() == 1),
            ) {
                let name = format!("Fn::{}", tag.trim_start_matches('!'));
                if let (Some(x), Some(y)) = (a.get(&name), b.get(&name)) {
                    if matches!(node.value, NodeValue::Seq(_) | NodeValue::Map(_)) {
                        return self.merge_value(node, x, y, &child_path(path, &name));
                    }
                }
            }
            // A sequence item (`- !Ref AWS::NoValue`, a branch of `Fn::If`) replaced by a plain
            // mapping: its keys line up after the dash, as block style writes them.
            if let (NodeValue::Scalar { .. }, Some(start), Some(map)) = (
                &node.value,
                tag_start,
                new.as_object().filter(|m| {
                    !m.is_empty() && !m.keys().any(|k| k.starts_with("Fn::") || k == "Ref")
                }),
            ) {
                let prefix = &self.src[line_start..start];
                if !self.json
                    && prefix.trim() == "-"
                    && !self.src[start..node.span.end].contains('\n')
                {
                    let mut text = String::new();
                    emit(
                        &Json::Object(map.clone()),
                        prefix.len(),
                        self.step,
                        &mut text,
                    );
                    let text = text.trim_start().trim_end_matches('\n');
                    self.out.push(Edit::replace(
                        start..node.span.end,
                        text.replace('\n', self.newline),
                    ));
                    return Ok(());
                }
            }
            let replacement = (!self.json).then(|| short_tag(new)).flatten();
            if let (NodeValue::Scalar { .. }, Some(start), Some(text)) =
                (&node.value, tag_start, replacement)
            {
                let whole = &self.src[start..node.span.end];
                if !whole.contains('\n') {
                    self.out.push(Edit::replace(start..node.span.end, text));
                    return Ok(());
                }
            }
            return Err(EditError::Intrinsic {
                path: path.to_string(),
            });
        }
        self.merge_value(node, old, new, path)
    }

    /// [`Ctx::merge`] on a node's value, its tag (if any) already accounted for.
    fn merge_value(
        &mut self,
        node: &Node,
        old: &Json,
        new: &Json,
        path: &str,
    ) -> Result<(), EditError> {
        match (&node.value, old, new) {
            (NodeValue::Map(entries), Json::Object(old_map), Json::Object(new_map)) => {
                // In flow style (`{Level: "OFF"}`) a one-line value may be replaced; no key
                // added.
                if node.span.flow && !self.json && new_map.keys().any(|k| !old_map.contains_key(k))
                {
                    return Err(EditError::FlowMapping {
                        path: path.to_string(),
                    });
                }
                if old_map.len() != entries.len() {
                    return Err(EditError::RepeatedKeys {
                        path: path.to_string(),
                    });
                }
                if old_map.keys().any(|k| !new_map.contains_key(k)) {
                    return Err(EditError::KeyRemoved {
                        path: path.to_string(),
                    });
                }
                let mut added = Map::new();
                for (key, value) in new_map {
                    match old_map.get(key) {
                        Some(before) => {
                            let (_, child) =
                                node.entry(key).ok_or_else(|| EditError::NotAPlainKey {
                                    path: child_path(path, key),
                                })?;
                            self.merge(child, before, value, &child_path(path, key))?;
                        }
                        None => {
                            added.insert(key.clone(), value.clone());
                        }
                    }
                }
                if !added.is_empty() && self.json {
                    let items: Vec<String> = added
                        .iter()
                        .map(|(k, v)| {
                            format!("{}: {}", Json::String(k.clone()), self.json_value(v, node))
                        })
                        .collect();
                    let last = entries.last().map(|(_, v)| v.span.end);
                    self.json_insert(node, last, &items)?;
                } else if !added.is_empty() {
                    let col = entries.first().map_or(0, |(k, _)| k.span.col) as usize;
                    let mut text = String::new();
                    emit(&Json::Object(added), col, self.step, &mut text);
                    self.insert_after(node.span.end, text)?;
                }
                Ok(())
            }
            (NodeValue::Seq(items), Json::Array(old_items), Json::Array(new_items)) => {
                // In flow style (`[IsProd, ERROR, "OFF"]`) a one-line item may be replaced;
                // nothing added.
                if node.span.flow && !self.json && new_items.len() != old_items.len() {
                    return Err(EditError::FlowSequence {
                        path: path.to_string(),
                    });
                }
                if items.len() != old_items.len() || new_items.len() < old_items.len() {
                    return Err(EditError::ItemsRemoved {
                        path: path.to_string(),
                    });
                }
                for (i, item) in items.iter().enumerate() {
                    self.merge(item, &old_items[i], &new_items[i], &format!("{path}[{i}]"))?;
                }
                if new_items.len() > items.len() && self.json {
                    let extra: Vec<String> = new_items[items.len()..]
                        .iter()
                        .map(|v| self.json_value(v, node))
                        .collect();
                    let last = items.last().map(|v| v.span.end);
                    self.json_insert(node, last, &extra)?;
                } else if new_items.len() > items.len() {
                    let mut text = String::new();
                    let extra = Json::Array(new_items[items.len()..].to_vec());
                    let col = items
                        .first()
                        .and_then(|first| dash_column(self.src, first.span.start))
                        .ok_or_else(|| EditError::UnclearIndentation {
                            path: path.to_string(),
                        })?;
                    emit(&extra, col, self.step, &mut text);
                    self.insert_after(node.span.end, text)?;
                }
                Ok(())
            }
            (NodeValue::Scalar { .. }, _, new) if !new.is_object() && !new.is_array() => {
                let range = node.span.start..node.span.end;
                let text = self.src.get(range.clone()).ok_or(EditError::YamlLayout)?;
                if text.contains('\n') {
                    return Err(EditError::MultiLine {
                        path: path.to_string(),
                    });
                }
                let text = if self.json {
                    new.to_string()
                } else {
                    scalar(new)
                };
                self.out.push(Edit::replace(range, text));
                Ok(())
            }
            // A plain value replaced by an intrinsic function (`!GetAtt X.Arn`, or in JSON
            // `{"Fn::GetAtt": […]}` on the same line).
            (NodeValue::Scalar { .. }, _, new) if new.is_object() => {
                let range = node.span.start..node.span.end;
                let text = self.src.get(range.clone()).ok_or(EditError::YamlLayout)?;
                let replacement = if self.json {
                    Some(new.to_string())
                } else {
                    short_tag(new).or_else(|| flow_mapping(new))
                };
                match replacement {
                    Some(r) if !text.contains('\n') => {
                        self.out.push(Edit::replace(range, r));
                        Ok(())
                    }
                    _ => Err(EditError::ChangesShape {
                        path: path.to_string(),
                    }),
                }
            }
            _ => Err(EditError::ChangesShape {
                path: path.to_string(),
            }),
        }
    }

    /// A JSON value for a collection laid out like `near`: pretty-printed with the file's
    /// indent, starting at the column of `near`'s entries, or compact when `near` is one line.
    fn json_value(&self, v: &Json, near: &Node) -> String {
        if !self.src[near.span.start..near.span.end].contains('\n') {
            return v.to_string();
        }
        let unit = " ".repeat(self.step);
        let mut buf = Vec::new();
        let fmt = serde_json::ser::PrettyFormatter::with_indent(unit.as_bytes());
        let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
        let _ = serde::Serialize::serialize(v, &mut ser);
        let text = String::from_utf8(buf).unwrap_or_default();
        let pad = " ".repeat(self.entry_col(near));
        text.replace('\n', &format!("{}{pad}", self.newline))
    }

    /// The column entries of a JSON collection start at.
    fn entry_col(&self, node: &Node) -> usize {
        let first = match &node.value {
            NodeValue::Map(entries) => entries.first().map(|(k, _)| k.span.col),
            NodeValue::Seq(items) => items.first().map(|v| v.span.col),
            NodeValue::Scalar { .. } => None,
        };
        first.map_or(node.span.col as usize + self.step, |c| c as usize)
    }

    /// Adds JSON entries (`"key": value` or items) to a collection: after its last entry, on
    /// lines of their own when it spans lines, inline otherwise; into `{}`/`[]` when empty.
    fn json_insert(
        &mut self,
        node: &Node,
        last_end: Option<usize>,
        items: &[String],
    ) -> Result<(), EditError> {
        let multi = self.src[node.span.start..node.span.end].contains('\n');
        match last_end {
            Some(end) if multi => {
                let pad = " ".repeat(self.entry_col(node));
                let text: String = items
                    .iter()
                    .map(|i| format!(",{}{pad}{i}", self.newline))
                    .collect();
                self.out.push(Edit::insert(end, text));
            }
            Some(end) => {
                let text: String = items.iter().map(|i| format!(", {i}")).collect();
                self.out.push(Edit::insert(end, text));
            }
            None => {
                // `{}` or `[]`: between the brackets.
                let open = node.span.start + 1;
                if self.src.get(node.span.start..open).is_none() {
                    return Err(EditError::JsonLayout);
                }
                self.out.push(Edit::insert(open, items.join(", ")));
            }
        }
        Ok(())
    }

    /// Inserts whole lines after the line where `end` falls (after a trailing comment too).
    fn insert_after(&mut self, end: usize, text: String) -> Result<(), EditError> {
        let text = text.replace('\n', self.newline);
        let head = self.src.get(..end).ok_or(EditError::YamlLayout)?;
        let at = if head.ends_with('\n') {
            end
        } else {
            match self.src[end..].find('\n') {
                Some(i) => end + i + 1,
                None => {
                    let text = format!("{}{text}", self.newline);
                    self.out.push(Edit::insert(self.src.len(), text));
                    return Ok(());
                }
            }
        };
        self.out.push(Edit::insert(at, text));
        Ok(())
    }
}

/// The column of the `- ` that introduces a block sequence item starting at `item`.
fn dash_column(src: &str, item: usize) -> Option<usize> {
    let before = src[..item].trim_end_matches(' ');
    let dash = before.strip_suffix('-')?;
    let line_start = dash.rfind('\n').map_or(0, |i| i + 1);
    dash[line_start..]
        .chars()
        .all(|c| c == ' ' || c == '-')
        .then(|| dash[line_start..].chars().count())
}

/// The indent unit of a JSON document (2 unless its second line shows another).
fn json_indent(src: &str) -> usize {
    src.lines()
        .skip(1)
        .find(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start_matches(' ').len())
        .filter(|n| (1..=8).contains(n))
        .unwrap_or(2)
}

/// How far the template indents a nested block mapping (2 unless it shows otherwise).
fn indent_step(root: &Node) -> usize {
    let nested = root.as_map().and_then(|entries| {
        entries.iter().find_map(|(k, v)| match v.as_map() {
            Some(inner) if !v.span.flow && !inner.is_empty() => {
                Some(inner[0].0.span.col.saturating_sub(k.span.col) as usize)
            }
            _ => None,
        })
    });
    nested.filter(|n| (1..=8).contains(n)).unwrap_or(2)
}

/// A scalar as YAML, quoted when a plain scalar would read as something else.
pub(super) fn scalar(v: &Json) -> String {
    match v {
        Json::String(s) => {
            let special_start = s.starts_with([
                '{', '[', ']', '}', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`', '#', ',',
                '-', '?', ' ',
            ]);
            let ambiguous = matches!(
                s.to_ascii_lowercase().as_str(),
                "true" | "false" | "null" | "~" | "yes" | "no" | "on" | "off" | "y" | "n"
            ) || s.parse::<f64>().is_ok();
            if s.is_empty()
                || special_start
                || ambiguous
                || s.contains(": ")
                || s.contains(" #")
                || s.ends_with(':')
                || s.ends_with(' ')
                || s.contains(['\n', '\r', '\t'])
            {
                if s.contains(['\n', '\r', '\t', '\\']) || s.chars().any(char::is_control) {
                    Json::String(s.clone()).to_string()
                } else {
                    format!("'{}'", s.replace('\'', "''"))
                }
            } else {
                s.clone()
            }
        }
        other => other.to_string(),
    }
}

/// Block-style YAML at `indent`, nesting by `step`, with CloudFormation's short tags where
/// they apply.
pub(super) fn emit(v: &Json, indent: usize, step: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match v {
        Json::Object(map) => {
            for (k, val) in map {
                let key = scalar(&Json::String(k.clone()));
                match short_tag(val) {
                    Some(tagged) => out.push_str(&format!("{pad}{key}: {tagged}\n")),
                    None if val.as_object().is_some_and(|m| !m.is_empty())
                        || val.as_array().is_some_and(|a| !a.is_empty()) =>
                    {
                        out.push_str(&format!("{pad}{key}:\n"));
                        emit(val, indent + step, step, out);
                    }
                    None => out.push_str(&format!("{pad}{key}: {}\n", flat(val))),
                }
            }
        }
        Json::Array(items) => {
            for item in items {
                if let Some(tagged) = short_tag(item) {
                    out.push_str(&format!("{pad}- {tagged}\n"));
                } else if item.as_object().is_some_and(|m| !m.is_empty())
                    || item.as_array().is_some_and(|a| !a.is_empty())
                {
                    // Keys of a mapping item line up after "- ".
                    let mut inner = String::new();
                    emit(item, indent + 2, step, &mut inner);
                    out.push_str(&format!(
                        "{pad}- {}\n",
                        inner.trim_start().trim_end_matches('\n')
                    ));
                } else {
                    out.push_str(&format!("{pad}- {}\n", flat(item)));
                }
            }
        }
        other => out.push_str(&format!("{pad}{}\n", scalar(other))),
    }
}

/// A scalar or an empty collection on one line.
fn flat(v: &Json) -> String {
    match v {
        Json::Object(_) => "{}".into(),
        Json::Array(_) => "[]".into(),
        other => scalar(other),
    }
}

/// The path of `key` under `path` (a top-level key when `path` is empty).
fn child_path(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// A mapping of scalars on one line (`{ fullExecutionData: false }`), where a scalar stood.
fn flow_mapping(v: &Json) -> Option<String> {
    let map = v.as_object().filter(|m| !m.is_empty())?;
    let items: Option<Vec<String>> = map
        .iter()
        .map(|(k, v)| {
            (!v.is_object() && !v.is_array())
                .then(|| format!("{}: {}", scalar(&json!(k)), scalar(v)))
        })
        .collect();
    Some(format!("{{ {} }}", items?.join(", ")))
}

fn short_tag(v: &Json) -> Option<String> {
    let map = v.as_object().filter(|m| m.len() == 1)?;
    let (k, arg) = map.iter().next()?;
    match (k.as_str(), arg) {
        ("Ref", Json::String(s)) => Some(format!("!Ref {s}")),
        ("Fn::GetAtt", Json::Array(parts)) if parts.len() == 2 => Some(format!(
            "!GetAtt {}.{}",
            parts[0].as_str()?,
            parts[1].as_str()?
        )),
        ("Fn::Sub", Json::String(s)) => Some(format!("!Sub {}", scalar(&json!(s)))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloudformation::to_json;

    fn edit(src: &str, change: impl Fn(&mut Json)) -> Result<String, EditError> {
        let root = stagelog_syntax::yaml::load(src).unwrap().root.unwrap();
        let old = to_json(&root);
        let mut new = old.clone();
        change(&mut new);
        let out = Edit::apply_all(src, edits(src, &root, &old, &new, false, "the template")?)?;
        let again = stagelog_syntax::yaml::load(&out)
            .unwrap_or_else(|e| panic!("{e:?}:\n{out}"))
            .root
            .unwrap();
        assert_eq!(to_json(&again), new, "edited text means the change:\n{out}");
        Ok(out)
    }

    #[test]
    fn adds_keys_after_the_last_line_keeping_comments() {
        let src = "# top\nResources:\n    S: # stage\n        Type: T\n        Properties:\n            A: 1 # one\n            # commented: out\n    Other: {Type: X}\nOutputs: {}\n";
        let out = edit(src, |j| {
            j["Resources"]["S"]["Properties"]["B"] =
                json!({"C": {"Ref": "X"}, "D": [1, {"E": "yes"}]});
            j["Resources"]["New"] = json!({"Type": "AWS::Logs::LogGroup"});
        })
        .unwrap();
        assert_eq!(
            out,
            "# top\nResources:\n    S: # stage\n        Type: T\n        Properties:\n            A: 1 # one\n            B:\n                C: !Ref X\n                D:\n                    - 1\n                    - E: 'yes'\n            # commented: out\n    Other: {Type: X}\n    New:\n        Type: AWS::Logs::LogGroup\nOutputs: {}\n"
        );
    }

    #[test]
    fn replaces_scalars_and_appends_sequence_items() {
        let src = "R:\n  L:\n  - P: /x\n    Level: \"OFF\" # was off\n  M: |\n    text\n";
        let out = edit(src, |j| {
            j["R"]["L"][0]["Level"] = json!("ERROR");
            j["R"]["L"]
                .as_array_mut()
                .unwrap()
                .push(json!({"P": "/*", "Level": "ERROR"}));
        })
        .unwrap();
        assert_eq!(
            out,
            "R:\n  L:\n  - P: /x\n    Level: ERROR # was off\n  - P: /*\n    Level: ERROR\n  M: |\n    text\n"
        );
    }

    fn edit_json(src: &str, change: impl Fn(&mut Json)) -> String {
        let root = stagelog_syntax::yaml::load(src).unwrap().root.unwrap();
        let old: Json = serde_json::from_str(src).unwrap();
        let mut new = old.clone();
        change(&mut new);
        let out = Edit::apply_all(
            src,
            edits(src, &root, &old, &new, true, "the template").unwrap(),
        )
        .unwrap();
        assert_eq!(serde_json::from_str::<Json>(&out).unwrap(), new, "{out}");
        out
    }

    #[test]
    fn json_keeps_its_layout() {
        let src = "{\n    \"R\": {\n        \"A\": { \"Ref\": \"X\" },\n        \"L\": [\n            {\"P\": 1}\n        ],\n        \"E\": {},\n        \"S\": \"OFF\"\n    }\n}\n";
        let out = edit_json(src, |j| {
            j["R"]["B"] = json!({"C": [1, 2]});
            j["R"]["A"]["Extra"] = json!(true);
            j["R"]["L"].as_array_mut().unwrap().push(json!({"P": 2}));
            j["R"]["E"]["k"] = json!("v");
            j["R"]["S"] = json!("ERROR");
        });
        assert_eq!(
            out,
            "{\n    \"R\": {\n        \"A\": { \"Ref\": \"X\", \"Extra\": true },\n        \"L\": [\n            {\"P\": 1},\n            {\n                \"P\": 2\n            }\n        ],\n        \"E\": {\"k\": \"v\"},\n        \"S\": \"ERROR\",\n        \"B\": {\n            \"C\": [\n                1,\n                2\n            ]\n        }\n    }\n}\n"
        );
    }

    #[test]
    fn crlf_and_missing_final_newline_and_unicode() {
        let out = edit("a: \"é\"\r\nb:\r\n  c: 1", |j| j["b"]["d"] = json!(2)).unwrap();
        assert_eq!(out, "a: \"é\"\r\nb:\r\n  c: 1\r\n  d: 2\r\n");
    }

    #[test]
    fn refuses_what_it_cannot_write_cleanly() {
        for (src, why) in [
            ("a: {b: 1}\n", "flow style"),
            ("x: &x\n  b: 1\ny: *x\n", "anchor"),
            ("a: !If [c, {b: 1}, {b: 2}]\n", "intrinsic"),
            ("a:\n  b: |\n    x\n", "several lines"),
        ] {
            let err = edit(src, |j| {
                let a = if j.get("a").is_some() { "a" } else { "x" };
                if j[a].is_object() && j[a].get("b").is_some_and(|b| b.is_string()) {
                    j[a]["b"] = json!("changed");
                } else if j[a].is_object() {
                    j[a]["new"] = json!(1);
                } else {
                    j[a] = json!({"new": 1});
                }
            })
            .unwrap_err();
            assert!(err.to_string().contains(why), "{src}: {err}");
        }
    }
}

//! JSON files over [`MAX_FILE_BYTES`](super::input::MAX_FILE_BYTES) — the plan of a large
//! estate (`terraform show -json`), a template CDK generated — read in one streaming pass that
//! keeps only what stagelog judges: the resources of the types its adapters read, and the
//! sections that give them meaning. Memory follows what is kept, not the file. The kept text
//! is a smaller document of the same shape, each kept value on the line it had (blank lines
//! stand for what was left out), so the adapters read it as they read any file and report the
//! same lines.
//!
//! Hand-written over serde_json's streaming reader because no crate filters a JSON document
//! by path while it streams; [`tests`] hold it to the direct reading of the same files.

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::cell::Cell;
use std::fmt;
use std::io::Read;

/// The largest JSON file read this way.
pub const MAX_LARGE_BYTES: u64 = 1 << 30;

/// Which document a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Shape {
    Plan,
    Template,
}

/// Resource types of a plan the Terraform adapter reads.
fn plan_keeps(rtype: &str) -> bool {
    rtype.starts_with("aws_api_gateway")
        || rtype.starts_with("aws_apigatewayv2")
        || rtype.starts_with("aws_cloudwatch_log")
        || rtype.starts_with("aws_iam_role")
        || rtype == "aws_s3_bucket"
        || rtype == "aws_kinesis_firehose_delivery_stream"
}

/// Resource types of a template the CloudFormation adapter reads (SAM functions carry the
/// events that make implicit APIs).
fn template_keeps(rtype: &str) -> bool {
    rtype.starts_with("AWS::ApiGateway")
        || rtype.starts_with("AWS::Serverless::")
        || rtype.starts_with("AWS::Logs::")
        || rtype.starts_with("AWS::IAM::Role")
        || rtype.starts_with("AWS::KinesisFirehose::")
        || rtype == "AWS::S3::Bucket"
}

/// A reader that counts the lines it has given out (serde_json reads a byte at a time from
/// it, so the count is where the parse is).
struct Counting<R> {
    inner: R,
    lines: std::rc::Rc<Cell<usize>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let newlines = memchr::memchr_iter(b'\n', &buf[..n]).count();
        self.lines.set(self.lines.get() + newlines);
        Ok(n)
    }
}

/// The kept text, written as the parse goes.
struct Out {
    text: String,
    /// Newlines written so far.
    line: usize,
    /// Newlines the parse has read so far.
    read: std::rc::Rc<Cell<usize>>,
}

impl Out {
    fn push(&mut self, s: &str) {
        self.text.push_str(s);
    }

    /// A value read whole: written on the line it started on in the file.
    fn raw(&mut self, raw: &RawValue) {
        let text = raw.get();
        let inside = memchr::memchr_iter(b'\n', text.as_bytes()).count();
        self.pad(self.read.get().saturating_sub(inside));
        self.text.push_str(text);
        self.line += inside;
    }

    /// Blank lines up to `line`.
    fn pad(&mut self, line: usize) {
        while self.line < line {
            self.text.push('\n');
            self.line += 1;
        }
    }

    /// A key, on the line it is on in the file (a template's resources are reported at
    /// their logical id's line).
    fn key(&mut self, key: &str) {
        self.pad(self.read.get());
        self.push(&serde_json::to_string(key).unwrap_or_default());
        self.push(":");
    }
}

/// Where the parse is in the document, which says what to keep of it.
#[derive(Clone, Copy)]
enum At {
    PlanRoot,
    PlannedValues,
    /// A module of `planned_values` (root or child).
    Module,
    Modules,
    ConfigRoot,
    ConfigModule,
    ModuleCalls,
    ModuleCall,
    /// An array of resources, kept by their `type`.
    PlanResources,
    TemplateRoot,
    /// A template's `Resources`, kept by their `Type`.
    TemplateResources,
}

struct Seed<'o> {
    at: At,
    out: &'o mut Out,
}

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        match self.at {
            At::Modules | At::PlanResources => d.deserialize_seq(self),
            _ => d.deserialize_map(self),
        }
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(match self.at {
            At::Modules | At::PlanResources => "an array",
            _ => "an object",
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let out = self.out;
        out.push("{");
        let mut first = true;
        while let Some(key) = map.next_key::<String>()? {
            // What each key holds here: a part to walk, a value to keep whole, or nothing.
            let walk = match (self.at, key.as_str()) {
                (At::PlanRoot, "planned_values") => Some(At::PlannedValues),
                (At::PlanRoot, "configuration") => Some(At::ConfigRoot),
                (At::PlanRoot, "resource_changes") => Some(At::PlanResources),
                (At::PlannedValues, "root_module") => Some(At::Module),
                (At::Module, "resources") | (At::ConfigModule, "resources") => {
                    Some(At::PlanResources)
                }
                (At::Module, "child_modules") => Some(At::Modules),
                (At::ConfigRoot, "root_module") => Some(At::ConfigModule),
                (At::ConfigModule, "module_calls") => Some(At::ModuleCalls),
                (At::ModuleCalls, _) => Some(At::ModuleCall),
                (At::ModuleCall, "module") => Some(At::ConfigModule),
                (At::TemplateRoot, "Resources") => Some(At::TemplateResources),
                _ => None,
            };
            let keep_whole = matches!(
                (self.at, key.as_str()),
                (At::PlanRoot, "format_version" | "terraform_version")
                    | (At::Module, "address")
                    | (At::ModuleCall, "source")
                    | (At::TemplateRoot, _)
            );
            if walk.is_none() && !keep_whole && !matches!(self.at, At::TemplateResources) {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            if !first {
                out.push(",");
            }
            first = false;
            out.key(&key);
            match walk {
                Some(at) => map.next_value_seed(Seed { at, out: &mut *out })?,
                None if matches!(self.at, At::TemplateResources) => {
                    let raw: Box<RawValue> = map.next_value()?;
                    resource(out, &key, &raw);
                }
                None => {
                    let raw: Box<RawValue> = map.next_value()?;
                    out.raw(&raw);
                }
            }
        }
        out.push("}");
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let out = self.out;
        out.push("[");
        let mut first = true;
        loop {
            match self.at {
                At::Modules => {
                    // Each child module is walked, never held whole.
                    if !first {
                        // A comma for an element that may not come: taken back below.
                        out.push(",");
                    }
                    let before = out.text.len();
                    match seq.next_element_seed(Seed {
                        at: At::Module,
                        out: &mut *out,
                    })? {
                        Some(()) => first = false,
                        None => {
                            if !first {
                                out.text.truncate(before - 1);
                            }
                            break;
                        }
                    }
                }
                _ => {
                    let Some(raw) = seq.next_element::<Box<RawValue>>()? else {
                        break;
                    };
                    #[derive(serde::Deserialize)]
                    struct Typed<'a> {
                        #[serde(borrow, rename = "type")]
                        rtype: Option<&'a str>,
                    }
                    // An entry that does not say its type is kept: it cannot be told apart.
                    let keep = serde_json::from_str::<Typed>(raw.get())
                        .map(|t| t.rtype.is_none_or(plan_keeps))
                        .unwrap_or(true);
                    if keep {
                        if !first {
                            out.push(",");
                        }
                        first = false;
                        out.raw(&raw);
                    }
                }
            }
        }
        out.push("]");
        Ok(())
    }
}

/// A template resource: kept whole when its type is read (or it is a `Fn::ForEach` loop),
/// else only its `Type` and `Condition`, so references to it still name a resource.
fn resource(out: &mut Out, key: &str, raw: &RawValue) {
    #[derive(serde::Deserialize)]
    struct Typed<'a> {
        #[serde(borrow, rename = "Type")]
        rtype: Option<&'a str>,
        #[serde(borrow, rename = "Condition")]
        condition: Option<&'a RawValue>,
    }
    let typed = serde_json::from_str::<Typed>(raw.get()).ok();
    match typed {
        Some(Typed {
            rtype: Some(rtype),
            condition,
        }) if !key.starts_with("Fn::ForEach") && !template_keeps(rtype) => {
            out.push(&format!(
                "{{\"Type\":{}",
                serde_json::to_string(rtype).unwrap_or_default()
            ));
            if let Some(c) = condition {
                out.push(",\"Condition\":");
                out.push(c.get());
            }
            out.push("}");
        }
        _ => out.raw(raw),
    }
}

/// Reads a large JSON plan or template into the smaller document of what stagelog judges.
pub(super) fn skim(reader: impl Read, shape: Shape) -> Result<String, String> {
    let lines = std::rc::Rc::new(Cell::new(0));
    let counting = Counting {
        inner: std::io::BufReader::with_capacity(1 << 16, reader),
        lines: lines.clone(),
    };
    let mut out = Out {
        text: String::new(),
        line: 0,
        read: lines,
    };
    let mut de = serde_json::Deserializer::from_reader(counting);
    // Deep documents are refused by serde_json's own recursion limit (128), an error here.
    let at = match shape {
        Shape::Plan => At::PlanRoot,
        Shape::Template => At::TemplateRoot,
    };
    Seed { at, out: &mut out }
        .deserialize(&mut de)
        .and_then(|()| de.end())
        .map_err(|e| format!("cannot parse: {e}"))?;
    Ok(out.text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_keeps_the_resources_it_judges_on_their_lines() {
        let plan = r#"{
  "format_version": "1.2",
  "variables": {"big": {"value": "x"}},
  "planned_values": {
    "root_module": {
      "resources": [
        {"address": "aws_lambda_function.f", "type": "aws_lambda_function", "values": {}},
        {"address": "aws_api_gateway_stage.s",
         "type": "aws_api_gateway_stage", "values": {"stage_name": "prod"}}
      ],
      "child_modules": [
        {"address": "module.m", "resources": [
          {"address": "module.m.aws_cloudwatch_log_group.g", "type": "aws_cloudwatch_log_group"}]},
        {"address": "module.n", "resources": []}
      ]
    }
  },
  "resource_changes": [{"address": "aws_sqs_queue.q", "type": "aws_sqs_queue"}],
  "configuration": {"provider_config": {}, "root_module": {"resources": [
    {"address": "aws_api_gateway_stage.s", "type": "aws_api_gateway_stage"}],
    "module_calls": {"m": {"source": "./m", "expressions": {}, "module": {"resources": []}}}}}
}"#;
        let kept = skim(plan.as_bytes(), Shape::Plan).unwrap();
        let v: serde_json::Value = serde_json::from_str(&kept).unwrap();
        let root = &v["planned_values"]["root_module"];
        assert_eq!(root["resources"].as_array().unwrap().len(), 1);
        assert_eq!(
            root["child_modules"][0]["resources"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        assert_eq!(root["child_modules"].as_array().unwrap().len(), 2);
        assert_eq!(v["resource_changes"], serde_json::json!([]));
        assert!(v.get("variables").is_none());
        assert_eq!(
            v["configuration"]["root_module"]["module_calls"]["m"]["source"],
            "./m"
        );
        // The stage is on the line it had.
        let line = |text: &str, needle: &str| text[..text.find(needle).unwrap()].lines().count();
        assert_eq!(
            line(&kept, "\"aws_api_gateway_stage.s\",\n"),
            line(plan, "\"aws_api_gateway_stage.s\",\n")
        );
    }

    #[test]
    fn a_template_keeps_what_it_judges_and_the_type_of_the_rest() {
        let t = r#"{"Parameters": {"P": {"Type": "String"}}, "Conditions": {"C": {"Fn::Equals": ["a", "a"]}},
 "Resources": {
  "Fn": {"Type": "AWS::Lambda::Function", "Condition": "C", "Properties": {"Code": {"ZipFile": "big"}}},
  "Stage": {"Type": "AWS::ApiGateway::Stage", "Properties": {"RestApiId": {"Ref": "Api"}}},
  "Fn::ForEach::Topics": ["T", ["a"], {"Q${T}": {"Type": "AWS::SQS::Queue"}}]
 }, "Outputs": {"O": {"Value": {"Ref": "Fn"}}}}"#;
        let kept = skim(t.as_bytes(), Shape::Template).unwrap();
        let v: serde_json::Value = serde_json::from_str(&kept).unwrap();
        assert_eq!(
            v["Resources"]["Fn"],
            serde_json::json!({"Type": "AWS::Lambda::Function", "Condition": "C"})
        );
        assert_eq!(
            v["Resources"]["Stage"]["Properties"]["RestApiId"]["Ref"],
            "Api"
        );
        assert!(v["Resources"]["Fn::ForEach::Topics"].is_array());
        assert_eq!(v["Outputs"]["O"]["Value"]["Ref"], "Fn");
        assert_eq!(v["Parameters"]["P"]["Type"], "String");
    }

    #[test]
    fn malformed_json_is_an_error() {
        assert!(skim(&b"{\"Resources\": {\"A\": "[..], Shape::Template).is_err());
        assert!(skim(&b"[1, 2]"[..], Shape::Plan).is_err());
    }
}

//! Terraform fixes: edits spliced into the original bytes at the spans hcl-edit reports, so
//! comments, layout and everything not fixed stay byte for byte (hcl-edit's printer would
//! rewrite heredocs and escapes). The result is parsed again before it is offered.

use super::{recommended_format, Edit, Manual, Options};
use hcl_edit::structure::{Block, BlockLabel, Body};
use hcl_edit::Span;
use stagelog_model::{ApiKind, Finding};

fn label(l: &BlockLabel) -> &str {
    match l {
        BlockLabel::Ident(i) => i.as_str(),
        BlockLabel::String(s) => s.value().as_str(),
    }
}

fn line_of(src: &str, offset: usize) -> u32 {
    src[..offset.min(src.len())]
        .bytes()
        .filter(|b| *b == b'\n')
        .count() as u32
        + 1
}

fn resource<'a>(body: &'a Body, address: &str) -> Option<&'a Block> {
    let (rtype, name) = address.split_once('.')?;
    body.get_blocks("resource")
        .find(|b| matches!(b.labels.as_slice(), [t, n] if label(t) == rtype && label(n) == name))
}

/// Indentation of a block's own line, and of its content.
fn indents(src: &str, block: &Block) -> (String, String) {
    let start = block.span().map(|s| s.start).unwrap_or(0);
    let line_start = src[..start].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let own: String = src[line_start..]
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect();
    let inner = block
        .body
        .iter()
        .find_map(|s| s.span())
        .map(|s| {
            let ls = src[..s.start].rfind('\n').map(|i| i + 1).unwrap_or(0);
            src[ls..s.start].to_string()
        })
        .filter(|i| i.chars().all(|c| c == ' ' || c == '\t') && !i.is_empty())
        .unwrap_or_else(|| format!("{own}  "));
    (own, inner)
}

/// Inserts lines (already without indentation) as the last items of a block.
fn insert_in_block(src: &str, block: &Block, lines: &[String]) -> Option<Edit> {
    let span = block.span()?;
    let close = span.start + src[span.clone()].rfind('}')?;
    let (own, inner) = indents(src, block);
    let mut text = String::new();
    for l in lines {
        if l.is_empty() {
            text.push('\n');
        } else {
            text.push_str(&format!("{inner}{l}\n"));
        }
    }
    let line_start = src[..close].rfind('\n').map(|i| i + 1).unwrap_or(0);
    if src[line_start..close].trim().is_empty() {
        // `}` on a line of its own: the new lines go just above it.
        // A new nested block is set off by a blank line; a new attribute is not.
        let opens_block = lines.first().is_some_and(|l| l.ends_with('{'));
        let blank_before = if opens_block && !block.body.is_empty() {
            "\n"
        } else {
            ""
        };
        Some(Edit::insert(line_start, format!("{blank_before}{text}")))
    } else {
        // `{}` or `{ a = 1 }` on one line: open it up.
        Some(Edit::insert(close, format!("\n{text}{own}")))
    }
}

/// Sets `key = value` in a block: replaces the value's span, or adds the attribute.
fn set_attribute(src: &str, block: &Block, key: &str, value: &str) -> Option<Edit> {
    match block.body.get_attribute(key) {
        Some(attr) => {
            let span = attr.value.span()?;
            Some(Edit::replace(span, value.to_string()))
        }
        None => insert_in_block(src, block, &[format!("{key} = {value}")]),
    }
}

fn after_block(block: &Block, text: String) -> Option<Edit> {
    Some(Edit::insert(block.span()?.end, format!("\n\n{text}")))
}

/// The nested block (of the given kinds) that starts on `line`, or the resource itself.
fn block_at_line<'a>(src: &str, res: &'a Block, line: Option<u32>, kinds: &[&str]) -> &'a Block {
    line.and_then(|line| {
        res.body.blocks().find(|b| {
            kinds.contains(&b.ident.as_str())
                && b.span().map(|s| line_of(src, s.start)) == Some(line)
        })
    })
    .unwrap_or(res)
}

fn format_lines(kind: ApiKind) -> Option<Vec<String>> {
    let fields = recommended_format(kind)?;
    let width = fields.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let mut out = vec!["format = jsonencode({".to_string()];
    for (k, v) in fields {
        out.push(format!("  {k:<width$} = \"$context.{v}\""));
    }
    out.push("})".to_string());
    Some(out)
}

/// The edits that fix `finding` in this file, or why it needs a person.
pub(crate) fn fix(
    src: &str,
    body: &Body,
    f: &Finding,
    opts: &Options,
) -> Result<Vec<Edit>, String> {
    let address = f.location.resource.as_str();
    if address.contains('[') {
        return Err(
            "an instance of a resource with count/for_each: fix the resource by hand".into(),
        );
    }
    let res = resource(body, address)
        .ok_or_else(|| format!("resource {address} not found in the file"))?;
    let rtype = address.split('.').next().unwrap_or_default();
    let name = address.split('.').nth(1).unwrap_or_default();
    let kind = f.api_kind.unwrap_or(ApiKind::V2);
    let missing = || "the edit could not be placed".to_string();
    match (f.rule_id, rtype) {
        ("SL001" | "SL002", "aws_api_gateway_stage" | "aws_apigatewayv2_stage") => {
            let group = format!("{name}_access_logs");
            let mut lines = format_lines(kind).ok_or("the API's protocol is not known; choose a format by hand")?;
            let dest = format!("destination_arn = aws_cloudwatch_log_group.{group}.arn");
            let mut edits = Vec::new();
            match res.body.get_blocks("access_log_settings").next() {
                Some(b) => {
                    edits.push(set_attribute(src, b, "destination_arn", &format!("aws_cloudwatch_log_group.{group}.arn")).ok_or_else(missing)?);
                }
                None => {
                    let mut block = vec!["access_log_settings {".to_string(), format!("  {dest}")];
                    block.extend(lines.drain(..).map(|l| format!("  {l}")));
                    block.push("}".to_string());
                    edits.push(insert_in_block(src, res, &block).ok_or_else(missing)?);
                }
            }
            let group_name = opts.log_group_template.replace("{name}", name);
            edits.push(
                after_block(
                    res,
                    format!(
                        "resource \"aws_cloudwatch_log_group\" \"{group}\" {{\n  name              = \"{group_name}\"\n  retention_in_days = {}\n}}",
                        opts.retention_days
                    ),
                )
                .ok_or_else(missing)?,
            );
            Ok(edits)
        }
        ("SL004" | "SL005", "aws_api_gateway_stage" | "aws_apigatewayv2_stage") => {
            let block = res.body.get_blocks("access_log_settings").next().ok_or("no access_log_settings block")?;
            let lines = format_lines(kind).ok_or("the API's protocol is not known; choose a format by hand")?;
            let (_, inner) = indents(src, block);
            let value = lines[1..].iter().fold(lines[0].trim_start_matches("format = ").to_string(), |mut acc, l| {
                acc.push('\n');
                acc.push_str(&inner);
                acc.push_str(l);
                acc
            });
            Ok(vec![set_attribute(src, block, "format", &value).ok_or_else(missing)?])
        }
        ("SL010", "aws_api_gateway_stage") => {
            let level = &opts.execution_level;
            Ok(vec![after_block(
                res,
                format!(
                    "resource \"aws_api_gateway_method_settings\" \"{name}_all\" {{\n  rest_api_id = aws_api_gateway_stage.{name}.rest_api_id\n  stage_name  = aws_api_gateway_stage.{name}.stage_name\n  method_path = \"*/*\"\n\n  settings {{\n    logging_level = \"{level}\"\n  }}\n}}"
                ),
            )
            .ok_or_else(missing)?])
        }
        ("SL010" | "SL011", "aws_api_gateway_method_settings") => {
            let (key, value) = setting(f.rule_id, opts);
            match res.body.get_blocks("settings").next() {
                Some(b) => Ok(vec![set_attribute(src, b, key, &value).ok_or_else(missing)?]),
                None => Ok(vec![insert_in_block(src, res, &["settings {".into(), format!("  {key} = {value}"), "}".into()]).ok_or_else(missing)?]),
            }
        }
        ("SL010" | "SL011", "aws_apigatewayv2_stage") => {
            let (key, value) = setting(f.rule_id, opts);
            let target = block_at_line(src, res, f.location.line, &["default_route_settings", "route_settings"]);
            if std::ptr::eq(target, res) {
                match res.body.get_blocks("default_route_settings").next() {
                    Some(b) => Ok(vec![set_attribute(src, b, key, &value).ok_or_else(missing)?]),
                    None => Ok(vec![insert_in_block(src, res, &["default_route_settings {".into(), format!("  {key} = {value}"), "}".into()]).ok_or_else(missing)?]),
                }
            } else {
                Ok(vec![set_attribute(src, target, key, &value).ok_or_else(missing)?])
            }
        }
        ("SL020", "aws_cloudwatch_log_group") => {
            Ok(vec![set_attribute(src, res, "retention_in_days", &opts.retention_days.to_string()).ok_or_else(missing)?])
        }
        ("SL021", "aws_cloudwatch_log_group") => match &opts.kms_key {
            Some(key) => Ok(vec![set_attribute(src, res, "kms_key_id", &format!("\"{key}\"")).ok_or_else(missing)?]),
            None => Err("needs a KMS key whose policy allows CloudWatch Logs: pass --kms-key ARN".into()),
        },
        ("SL001", "aws_api_gateway_deployment") => Err("a stage created by the deployment's stage_name: declare an aws_api_gateway_stage instead".into()),
        ("SL002", "aws_apigatewayv2_api") => Err("a quick-create API's $default stage: declare an aws_apigatewayv2_stage instead of `target`".into()),
        ("SL003", _) => Err("choose the destination log group by hand".into()),
        ("SL030", _) => Err("add aws_api_gateway_account with a CloudWatch role once per account and region (see `stagelog explain SL030`)".into()),
        _ => Err("no automatic fix for this case".into()),
    }
}

fn setting(rule: &str, opts: &Options) -> (&'static str, String) {
    if rule == "SL010" {
        ("logging_level", format!("\"{}\"", opts.execution_level))
    } else {
        ("data_trace_enabled", "false".into())
    }
}

/// Every fix for one file, applied together; findings that need a person go to `manual`.
pub(crate) fn fix_file(
    src: &str,
    findings: &[&Finding],
    opts: &Options,
    manual: &mut Vec<Manual>,
) -> Result<Option<String>, String> {
    let body = hcl_edit::parser::parse_body(src)
        .map_err(|e| format!("cannot parse HCL: {}", e.message()))?;
    let mut edits = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for f in findings {
        // One fix per rule and resource (SL004 and SL005 both rewrite the format).
        let key = (
            if f.rule_id == "SL005" {
                "SL004"
            } else {
                f.rule_id
            },
            f.location.resource.clone(),
            f.location.line,
        );
        if !seen.insert(key) {
            continue;
        }
        match fix(src, &body, f, opts) {
            Ok(e) => edits.extend(e),
            Err(reason) => manual.push(Manual::of(f, reason)),
        }
    }
    if edits.is_empty() {
        return Ok(None);
    }
    let fixed = Edit::apply_all(src, edits)?;
    hcl_edit::parser::parse_body(&fixed).map_err(|e| {
        format!(
            "the fixed file does not parse ({}); nothing written",
            e.message()
        )
    })?;
    Ok(Some(fixed))
}

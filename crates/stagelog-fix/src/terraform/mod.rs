//! Terraform fixes: edits spliced into the original bytes at the spans hcl-edit reports, so
//! comments, layout and everything not fixed stay byte for byte (hcl-edit's printer would
//! rewrite heredocs and escapes). The `=` of the attribute lines a fix touches are aligned as
//! `terraform fmt` aligns them. The result is parsed again before it is offered.

mod inputs;

use crate::error::FileError;
use crate::{Edit, Manual, Options, Target};
use hcl_edit::structure::{Block, BlockLabel, Body};
use hcl_edit::Span;
pub(crate) use inputs::Configuration;
use inputs::{Placed, Unusable};
use stagelog_model::context_vars::recommended_fields;
use stagelog_model::KeptField;
use stagelog_model::{
    clean_name_part, ApiKind, Finding, Placeholder, Remedy, SettingsTarget, Stage,
};
use std::collections::BTreeMap;

pub(crate) fn label(l: &BlockLabel) -> &str {
    match l {
        BlockLabel::Ident(i) => i.as_str(),
        BlockLabel::String(s) => s.value().as_str(),
    }
}

pub(crate) fn line_of(src: &str, offset: usize) -> u32 {
    src[..offset.min(src.len())]
        .bytes()
        .filter(|b| *b == b'\n')
        .count() as u32
        + 1
}

fn rtype_of(address: &str) -> &str {
    address.split('.').next().unwrap_or_default()
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
pub(crate) fn insert_in_block(src: &str, block: &Block, lines: &[String]) -> Option<Edit> {
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

/// `format = jsonencode({…})` lines, the keys aligned as `terraform fmt` aligns them.
fn format_lines(kind: ApiKind, keep: &[KeptField]) -> Option<Vec<String>> {
    let fields = recommended_fields(kind, keep)?;
    let width = fields.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let mut out = vec!["format = jsonencode({".to_string()];
    for (k, v) in fields {
        out.push(format!("  {k:<width$} = \"$context.{v}\""));
    }
    out.push("})".to_string());
    Some(out)
}

/// `resource "aws_cloudwatch_log_group" …` for a new access log group.
fn log_group_block(resource_name: &str, name: &str, days: i64, kms_key: Option<&str>) -> String {
    let mut attrs = vec![
        ("name", format!("\"{name}\"")),
        ("retention_in_days", days.to_string()),
    ];
    if let Some(key) = kms_key {
        attrs.push(("kms_key_id", format!("\"{key}\"")));
    }
    let width = attrs.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let mut out = format!("resource \"aws_cloudwatch_log_group\" \"{resource_name}\" {{\n");
    for (k, v) in attrs {
        out.push_str(&format!("  {k:<width$} = {v}\n"));
    }
    out.push('}');
    out
}

/// A reference written in the source (`var.stage`, `aws_api_gateway_rest_api.x.id`), which can
/// go into a string template as `${…}`.
fn is_reference(expr: &str) -> bool {
    let mut parts = expr.split('.');
    let first_ok = parts.next().is_some_and(|p| {
        p.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    });
    let mut rest = parts.peekable();
    first_ok
        && rest.peek().is_some()
        && rest.all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        })
}

/// The name of the log group a fix creates for a stage: `--log-group-name` with `{api-name}`
/// (the API's name, else its resource name), `{api}` (`${<api>.id}`) and `{stage}` (the
/// stage's name, or the expression it is written with) filled in.
pub(crate) fn new_group_name(
    opts: &Options,
    stage: Option<&Stage>,
    stage_resource: &str,
    stage_name: Option<&str>,
) -> Result<String, String> {
    let api_ref = stage
        .and_then(|s| s.api.as_ref())
        .and_then(|a| a.as_known())
        .filter(|a| is_reference(a) && a.ends_with(".id"));
    opts.template()
        .render(|p| match p {
            Placeholder::ApiName => stage
                .and_then(|s| s.api_name.as_deref())
                .map(clean_name_part)
                .or_else(|| {
                    api_ref
                        .as_deref()
                        .and_then(|a| a.split('.').nth(1))
                        .map(clean_name_part)
                })
                .or_else(|| Some(clean_name_part(stage_resource))),
            Placeholder::ApiId => api_ref.as_ref().map(|a| format!("${{{a}}}")),
            Placeholder::Stage => stage.map(|s| match s.name.as_known() {
                Some(n) => clean_name_part(&n),
                None if s.name.segments().iter().all(|seg| match seg {
                    stagelog_model::Segment::Hole(h) => is_reference(h),
                    stagelog_model::Segment::Lit(_) => true,
                }) =>
                {
                    s.name.to_string()
                }
                None => clean_name_part(stage_resource),
            })
            .or_else(|| stage_name.map(clean_name_part)),
        })
        .map_err(|p| match p {
            Placeholder::ApiId => "the log group name uses {api}, but the stage's API is not a resource of this configuration; pass --log-group-name without it".to_string(),
            _ => "the log group name cannot be filled in for this stage; pass --log-group-name".to_string(),
        })
}

/// The name of a new log group for a stage inside a module, in the module's own terms:
/// `{api-name}` is `${<api>.name}` when the stage's API is a resource (else `${<api id
/// expression>}`), `{stage}` the stage's name as written (`${var.stage}`), `{api}` the API id
/// expression; so each caller's instance gets its own group from one edit.
fn module_group_name(
    opts: &Options,
    stage: &Block,
    stage_resource: &str,
) -> Result<String, String> {
    let expr = |key: &str| {
        stage
            .body
            .get_attribute(key)
            .map(|a| a.value.to_string().trim().to_string())
    };
    let api_id = expr("api_id").or_else(|| expr("rest_api_id"));
    let interpolated = |e: &str| match e.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        Some(literal) if !literal.contains("${") => clean_name_part(literal),
        Some(template) => template.to_string(),
        None => format!("${{{e}}}"),
    };
    // What log group names cannot hold: the `$` of `$default`, spaces in an API's name.
    let stage_part = |e: &str| match e.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        Some(literal) if !literal.contains("${") => clean_name_part(literal),
        _ if is_reference(e) => format!("${{trimprefix({e}, \"$\")}}"),
        _ => interpolated(e),
    };
    opts.template()
        .render(|p| match p {
            Placeholder::ApiName => api_id.as_deref().map(|id| match id.strip_suffix(".id") {
                Some(api) if is_reference(api) => format!("${{replace({api}.name, \" \", \"-\")}}"),
                _ => interpolated(id),
            }),
            Placeholder::ApiId => api_id.as_deref().map(interpolated),
            Placeholder::Stage => expr("name")
                .or_else(|| expr("stage_name"))
                .map(|e| stage_part(&e))
                .or_else(|| Some(clean_name_part(stage_resource))),
        })
        .map_err(|_| {
            "the log group name cannot be written in the module's terms; pass --log-group-name"
                .to_string()
        })
}

/// The fix hint for a Terraform finding: what `fix` does, or why it cannot.
pub(crate) fn hint(f: &Finding) -> String {
    let rtype = f
        .location
        .resource_type
        .as_deref()
        .unwrap_or_else(|| rtype_of(&f.location.resource));
    match (&f.remedy, rtype) {
        (Remedy::AccessLogs { .. }, "aws_apigatewayv2_api") => QUICK_CREATE.into(),
        (Remedy::AccessLogs { .. }, "aws_api_gateway_deployment") => DEPLOYMENT_STAGE.into(),
        (Remedy::AccessLogs { .. }, _) => "add an access_log_settings block with destination_arn = aws_cloudwatch_log_group.<name>.arn and a jsonencode({...}) format".into(),
        (Remedy::DedicatedLogGroup { .. }, _) => "set destination_arn to a log group of this stage's own (aws_cloudwatch_log_group.<name>.arn)".into(),
        (Remedy::RecommendedFormat { .. }, _) => format!(
            "{}: format = jsonencode({{ requestId = \"$context.requestId\", ... }}) (`stagelog fix` writes the recommended fields, keeping yours)",
            crate::format_problem(f)
        ),
        (Remedy::ExecutionLogging { level, target }, _) => match (target, rtype) {
            (SettingsTarget::Override(_), _) => format!(
                "set logging_level = \"{}\" in this override, or remove the override",
                level.as_str()
            ),
            (SettingsTarget::StageDefault, "aws_apigatewayv2_stage") => format!(
                "set default_route_settings {{ logging_level = \"{}\" }} (and no route_settings with OFF)",
                level.as_str()
            ),
            (SettingsTarget::StageDefault, "aws_api_gateway_method_settings") => format!(
                "set logging_level = \"{}\" in the settings block",
                level.as_str()
            ),
            (SettingsTarget::StageDefault, _) => format!(
                "add aws_api_gateway_method_settings with method_path = \"*/*\" and settings {{ logging_level = \"{}\" }}",
                level.as_str()
            ),
        },
        (Remedy::DataTraceOff { .. }, _) => "set data_trace_enabled = false".into(),
        (Remedy::Retention { days }, _) => format!("set retention_in_days = {days}"),
        (Remedy::KmsKey, _) => "set kms_key_id = aws_kms_key.<name>.arn (the key policy must allow logs.<region>.amazonaws.com)".into(),
        (Remedy::CloudWatchRole, _) => ACCOUNT_ROLE.into(),
        (Remedy::CloudWatchRolePolicy, _) => "trust apigateway.amazonaws.com and attach arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs".into(),
        (Remedy::Manual { reason }, _) => reason.clone(),
    }
}

const QUICK_CREATE: &str = "a quick-create API's $default stage has no logging settings: remove `target` and declare an aws_apigatewayv2_stage named \"$default\" (auto_deploy = true) with access_log_settings";
const DEPLOYMENT_STAGE: &str = "a stage created by the deployment's stage_name has no logging settings: declare an aws_api_gateway_stage with access_log_settings instead";
const ACCOUNT_ROLE: &str = "set the account's CloudWatch role once per account and region, in a baseline configuration that declares no APIs (aws_api_gateway_account { cloudwatch_role_arn = <a role trusted by apigateway.amazonaws.com> }), not beside these stages: see `stagelog explain SL032`";

/// The edits that fix one finding in this file, or why it needs a person.
fn fix(src: &str, body: &Body, target: &Target, opts: &Options) -> Result<Vec<Edit>, String> {
    let f = target.finding;
    let address = crate::in_file_address(f);
    let through = f.location.via.last().map(|c| c.to_string());
    if f.location
        .file
        .as_deref()
        .is_some_and(|p| p.contains(".terraform/"))
    {
        return Err(format!(
            "a module `terraform init` downloaded: change what its caller passes ({}) or the module's version, not the copy",
            through.as_deref().unwrap_or("the module block")
        ));
    }
    // An instance of a resource with `count`/`for_each` is fixed in its block, for every
    // instance at once; what the fix adds beside it has the same `count`/`for_each` and refers
    // to the instance (`[count.index]`, `[each.key]`).
    let address = address.split('[').next().unwrap_or(address);
    let res = resource(body, address)
        .ok_or_else(|| format!("resource {address} not found in the file"))?;
    let repeat = ["count", "for_each"].into_iter().find_map(|meta| {
        res.body
            .get_attribute(meta)
            .map(|a| (meta, a.value.to_string().trim().to_string()))
    });
    let index = match &repeat {
        Some(("count", _)) => "[count.index]",
        Some(_) => "[each.key]",
        None => "",
    };
    // A block a `dynamic` block makes is set by the module's inputs: a static block beside it
    // would be a second one, which Terraform refuses.
    let dynamic = |name: &str| {
        res.body.blocks().any(|b| {
            b.ident.as_str() == "dynamic" && b.labels.first().is_some_and(|l| label(l) == name)
        })
    };
    let settings_block = match rtype_of(address) {
        "aws_apigatewayv2_stage" => "default_route_settings",
        _ => "settings",
    };
    let by_dynamic = match &f.remedy {
        Remedy::AccessLogs { .. }
        | Remedy::DedicatedLogGroup { .. }
        | Remedy::RecommendedFormat { .. } => {
            dynamic("access_log_settings").then_some("access_log_settings")
        }
        Remedy::ExecutionLogging { .. } | Remedy::DataTraceOff { .. } => {
            dynamic(settings_block).then_some(settings_block)
        }
        Remedy::Retention { .. }
        | Remedy::KmsKey
        | Remedy::CloudWatchRole
        | Remedy::CloudWatchRolePolicy
        | Remedy::Manual { .. } => None,
    };
    if let Some(block) = by_dynamic {
        return Err(format!(
            "`{block}` comes from a dynamic block fed by the module's inputs: set them where the module is called{}",
            through.map(|t| format!(" ({t})")).unwrap_or_default()
        ));
    }
    let rtype = address.split('.').next().unwrap_or_default();
    let name = address.split('.').nth(1).unwrap_or_default();
    let kind = f.api_kind.unwrap_or(ApiKind::V2);
    let is_stage = matches!(rtype, "aws_api_gateway_stage" | "aws_apigatewayv2_stage");
    let missing = || "the edit could not be placed".to_string();
    let new_group = |retention: i64| -> Result<(String, Edit), String> {
        // A name the file does not use yet (`…_access_logs2` when the first is taken).
        let mut group = format!("{name}_access_logs");
        let mut n = 2;
        while resource(body, &format!("aws_cloudwatch_log_group.{group}")).is_some() {
            group = format!("{name}_access_logs{n}");
            n += 1;
        }
        // Inside a module, one edit serves every caller: the name is built from the module's
        // own expressions, never from one caller's values.
        // Every instance of a repeated resource too.
        let group_name = if f.location.via.is_empty() && repeat.is_none() {
            new_group_name(opts, target.stage, name, f.stage.as_deref())?
        } else {
            module_group_name(opts, res, name)?
        };
        let mut block = log_group_block(&group, &group_name, retention, opts.kms_key.as_deref());
        if let Some((meta, expr)) = &repeat {
            block = block.replacen("{\n", &format!("{{\n  {meta} = {expr}\n\n"), 1);
        }
        Ok((
            format!("{group}{index}"),
            after_block(res, block).ok_or_else(missing)?,
        ))
    };
    match &f.remedy {
        Remedy::AccessLogs { retention } if is_stage => {
            let mut lines = format_lines(kind, &[])
                .ok_or("the API's protocol is not known; choose a format by hand")?;
            let (group, group_edit) = new_group(retention.days())?;
            let dest = format!("aws_cloudwatch_log_group.{group}.arn");
            let mut edits = vec![group_edit];
            match res.body.get_blocks("access_log_settings").next() {
                Some(b) => {
                    edits.push(set_attribute(src, b, "destination_arn", &dest).ok_or_else(missing)?)
                }
                None => {
                    let mut block = vec![
                        "access_log_settings {".to_string(),
                        format!("  destination_arn = {dest}"),
                    ];
                    block.extend(lines.drain(..).map(|l| format!("  {l}")));
                    block.push("}".to_string());
                    edits.push(insert_in_block(src, res, &block).ok_or_else(missing)?);
                }
            }
            Ok(edits)
        }
        Remedy::DedicatedLogGroup { retention } if is_stage => {
            let settings = res
                .body
                .get_blocks("access_log_settings")
                .next()
                .ok_or("no access_log_settings block")?;
            let (group, group_edit) = new_group(retention.days())?;
            let dest = format!("aws_cloudwatch_log_group.{group}.arn");
            Ok(vec![
                group_edit,
                set_attribute(src, settings, "destination_arn", &dest).ok_or_else(missing)?,
            ])
        }
        Remedy::RecommendedFormat { keep } if is_stage => {
            let block = res
                .body
                .get_blocks("access_log_settings")
                .next()
                .ok_or("no access_log_settings block")?;
            let lines = format_lines(kind, keep)
                .ok_or("the API's protocol is not known; choose a format by hand")?;
            let (_, inner) = indents(src, block);
            let value = lines[1..].iter().fold(
                lines[0].trim_start_matches("format = ").to_string(),
                |mut acc, l| {
                    acc.push('\n');
                    acc.push_str(&inner);
                    acc.push_str(l);
                    acc
                },
            );
            Ok(vec![
                set_attribute(src, block, "format", &value).ok_or_else(missing)?
            ])
        }
        Remedy::ExecutionLogging { level, .. } if rtype == "aws_api_gateway_stage" => {
            let level = level.as_str();
            Ok(vec![after_block(
                res,
                format!(
                    "resource \"aws_api_gateway_method_settings\" \"{name}_all\" {{\n{}  rest_api_id = aws_api_gateway_stage.{name}{index}.rest_api_id\n  stage_name  = aws_api_gateway_stage.{name}{index}.stage_name\n  method_path = \"*/*\"\n\n  settings {{\n    logging_level = \"{level}\"\n  }}\n}}",
                    repeat.as_ref().map(|(meta, expr)| format!("  {meta} = {expr}\n\n")).unwrap_or_default()
                ),
            )
            .ok_or_else(missing)?])
        }
        Remedy::ExecutionLogging { .. } | Remedy::DataTraceOff { .. }
            if rtype == "aws_api_gateway_method_settings" =>
        {
            let (key, value) = setting(&f.remedy).ok_or_else(missing)?;
            match res.body.get_blocks("settings").next() {
                Some(b) => Ok(vec![set_attribute(src, b, key, &value).ok_or_else(missing)?]),
                None => Ok(vec![insert_in_block(
                    src,
                    res,
                    &[
                        "settings {".into(),
                        format!("  {key} = {value}"),
                        "}".into(),
                    ],
                )
                .ok_or_else(missing)?]),
            }
        }
        Remedy::ExecutionLogging { .. } | Remedy::DataTraceOff { .. }
            if rtype == "aws_apigatewayv2_stage" =>
        {
            let (key, value) = setting(&f.remedy).ok_or_else(missing)?;
            let target = block_at_line(
                src,
                res,
                f.location.line,
                &["default_route_settings", "route_settings"],
            );
            if std::ptr::eq(target, res) {
                match res.body.get_blocks("default_route_settings").next() {
                    Some(b) => Ok(vec![set_attribute(src, b, key, &value).ok_or_else(missing)?]),
                    None => Ok(vec![insert_in_block(
                        src,
                        res,
                        &[
                            "default_route_settings {".into(),
                            format!("  {key} = {value}"),
                            "}".into(),
                        ],
                    )
                    .ok_or_else(missing)?]),
                }
            } else {
                Ok(vec![
                    set_attribute(src, target, key, &value).ok_or_else(missing)?
                ])
            }
        }
        Remedy::Retention { days } if rtype == "aws_cloudwatch_log_group" => {
            Ok(vec![set_attribute(
                src,
                res,
                "retention_in_days",
                &days.to_string(),
            )
            .ok_or_else(missing)?])
        }
        Remedy::KmsKey if rtype == "aws_cloudwatch_log_group" => match &opts.kms_key {
            Some(key) => Ok(vec![set_attribute(
                src,
                res,
                "kms_key_id",
                &format!("\"{key}\""),
            )
            .ok_or_else(missing)?]),
            None => Err(
                "needs a KMS key whose policy allows CloudWatch Logs: pass --kms-key ARN".into(),
            ),
        },
        Remedy::AccessLogs { .. } if rtype == "aws_apigatewayv2_api" => Err(QUICK_CREATE.into()),
        Remedy::AccessLogs { .. } if rtype == "aws_api_gateway_deployment" => {
            Err(DEPLOYMENT_STAGE.into())
        }
        Remedy::CloudWatchRole => Err(format!("{ACCOUNT_ROLE} (see `stagelog explain SL030`)")),
        Remedy::CloudWatchRolePolicy => Err(
            "fix the role's trust and permissions by hand (see `stagelog explain SL031`)".into(),
        ),
        Remedy::Manual { reason } => Err(reason.clone()),
        Remedy::AccessLogs { .. }
        | Remedy::DedicatedLogGroup { .. }
        | Remedy::RecommendedFormat { .. }
        | Remedy::ExecutionLogging { .. }
        | Remedy::DataTraceOff { .. }
        | Remedy::Retention { .. }
        | Remedy::KmsKey => Err(format!("no automatic fix on {rtype}; {}", hint(f))),
    }
}

/// The attribute of a settings block a remedy sets, for the remedies that set one.
fn setting(remedy: &Remedy) -> Option<(&'static str, String)> {
    match remedy {
        Remedy::ExecutionLogging { level, .. } => {
            Some(("logging_level", format!("\"{}\"", level.as_str())))
        }
        Remedy::DataTraceOff { .. } => Some(("data_trace_enabled", "false".into())),
        Remedy::AccessLogs { .. }
        | Remedy::DedicatedLogGroup { .. }
        | Remedy::RecommendedFormat { .. }
        | Remedy::Retention { .. }
        | Remedy::KmsKey
        | Remedy::CloudWatchRole
        | Remedy::CloudWatchRolePolicy
        | Remedy::Manual { .. } => None,
    }
}

/// A file a configuration's fixes changed: as the scan read it, as fixed, and the findings the
/// fixes were made for.
pub(crate) struct Fixed<'a> {
    pub before: String,
    pub after: String,
    pub findings: Vec<&'a Finding>,
}

/// What the fixes of a whole Terraform configuration write, by file; findings that need a
/// person go to `manual`, what each fix through a module's inputs changed to `said`.
/// Settings read from inputs are fixed first, each on the text the ones before left (two
/// findings may set two attributes of one argument); then each file's own edits, together.
pub(crate) fn fix_configuration<'a>(
    cfg: &mut Configuration,
    targets: &[Target<'a>],
    opts: &Options,
    manual: &mut Vec<Manual>,
    said: &mut Vec<String>,
    errors: &mut Vec<(String, FileError)>,
) -> BTreeMap<String, Fixed<'a>> {
    // The findings each changed file's edits are for.
    let mut touched: BTreeMap<String, Vec<&'a Finding>> = BTreeMap::new();
    let mut seen = std::collections::BTreeSet::new();
    let mut local: BTreeMap<&str, Vec<&Target<'a>>> = BTreeMap::new();
    for t in targets {
        let f = t.finding;
        let Some(file) = f.location.file.as_deref() else {
            continue;
        };
        // One fix per remedy and resource (SL004 and SL005 both rewrite the format); every
        // instance of a module's resource is one block in its file, fixed once, unless the
        // setting is the module's input, which each call may set.
        let kind = match &f.remedy {
            Remedy::RecommendedFormat { .. } => "RecommendedFormat".to_string(),
            other => format!("{other:?}"),
        };
        let block = crate::in_file_address(f)
            .split('[')
            .next()
            .unwrap_or_default();
        let key = (file, kind, block.to_string(), f.location.line);
        match through_input(cfg, file, t) {
            None if !seen.insert(key) => {}
            None => local.entry(file).or_default().push(t),
            Some(Err(reason)) => manual.push(Manual::of(f, reason)),
            Some(Ok(placed)) => {
                let applied = cfg.body(&placed.file).and_then(|p| {
                    Edit::apply_all(&p.text, vec![placed.edit]).map_err(|e| e.to_string())
                });
                match applied {
                    Ok(next) => {
                        let reached = f
                            .location
                            .via
                            .first()
                            .map(|c| format!(" (from {}:{})", c.file, c.line))
                            .unwrap_or_default();
                        said.push(format!(
                            "{} {}{reached}: {}",
                            f.rule_id, f.location.resource, placed.said
                        ));
                        cfg.set(&placed.file, next);
                        touched.entry(placed.file).or_default().push(f);
                    }
                    Err(e) => manual.push(Manual::of(f, e)),
                }
            }
        }
    }
    // Each file's own edits, on the text the input fixes left.
    let mut own: BTreeMap<String, Vec<Edit>> = BTreeMap::new();
    for (file, targets) in local {
        let parsed = match cfg.parsed(file) {
            Ok(p) => p,
            Err(Unusable::Parse(e)) => {
                errors.push((file.to_string(), FileError::Hcl(e)));
                continue;
            }
            Err(Unusable::Read(e)) => {
                errors.push((file.to_string(), FileError::Read(std::io::Error::other(e))));
                continue;
            }
        };
        for t in targets {
            match fix(&parsed.text, &parsed.body, t, opts) {
                Ok(e) => {
                    own.entry(file.to_string()).or_default().extend(e);
                    touched.entry(file.to_string()).or_default().push(t.finding);
                }
                Err(reason) => manual.push(Manual::of(t.finding, reason)),
            }
        }
    }
    let mut done = BTreeMap::new();
    for (file, findings) in touched {
        let (Ok(before), Ok(now)) = (cfg.original(&file), cfg.body(&file)) else {
            continue;
        };
        let edits = own.remove(&file).unwrap_or_default();
        let applied = Edit::apply_all(&now.text, edits)
            .map_err(FileError::from)
            .and_then(|after| {
                let after = align_touched(&before, &after);
                stagelog_syntax::hcl::parse_edit_body(&after)
                    .map_err(|e| FileError::FixedDoesNotParse(e.message().to_string()))?;
                Ok(after)
            });
        match applied {
            Ok(after) if after != before => {
                done.insert(
                    file,
                    Fixed {
                        before,
                        after,
                        findings,
                    },
                );
            }
            Ok(_) => {}
            Err(e) => errors.push((file, e)),
        }
    }
    done
}

/// The block of `kinds` starting at `line` (or the first, when `line` is the resource's), as
/// written or made by a `dynamic` block: the block whose attributes are set, and the
/// iterator a `dynamic` block adds to the scope.
fn settings_block<'b>(
    src: &str,
    res: &'b Block,
    line: Option<u32>,
    kinds: &[&str],
) -> Option<(&'b Block, Option<(String, &'b hcl_edit::expr::Expression)>)> {
    let starts_at =
        |b: &Block| line.is_some_and(|l| b.span().map(|s| line_of(src, s.start)) == Some(l));
    let is_kind = |b: &Block, first_only: bool| {
        let name = if b.ident.as_str() == "dynamic" {
            b.labels.first().map(label)
        } else {
            Some(b.ident.as_str())
        };
        name.is_some_and(|n| {
            if first_only {
                n == kinds[0]
            } else {
                kinds.contains(&n)
            }
        })
    };
    let block = res
        .body
        .blocks()
        .find(|b| starts_at(b) && is_kind(b, false))
        .or_else(|| res.body.blocks().find(|b| is_kind(b, true)))?;
    if block.ident.as_str() != "dynamic" {
        return Some((block, None));
    }
    let name = block
        .body
        .get_attribute("iterator")
        .map(|a| a.value.to_string().trim().to_string())
        .or_else(|| block.labels.first().map(|l| label(l).to_string()))?;
    let for_each = &block.body.get_attribute("for_each")?.value;
    let content = block.body.get_blocks("content").next()?;
    Some((content, Some((name, for_each))))
}

/// The fix of a setting that the stage's file reads from a module input, at the input's
/// source ([`inputs`]); `None` when the setting is written in place (fixed there).
fn through_input(cfg: &Configuration, file: &str, t: &Target) -> Option<Result<Placed, String>> {
    let f = t.finding;
    let address = crate::in_file_address(f);
    let (base, instance) = match address.split_once('[') {
        Some((base, index)) => (
            base,
            index
                .trim_end_matches(']')
                .strip_prefix('"')
                .and_then(|k| k.strip_suffix('"'))
                .map(str::to_string),
        ),
        None => (address, None),
    };
    // Only the settings a module may take from its inputs; the file is parsed once for all.
    if !matches!(
        f.remedy,
        Remedy::ExecutionLogging { .. }
            | Remedy::DataTraceOff { .. }
            | Remedy::Retention { .. }
            | Remedy::RecommendedFormat { .. }
    ) {
        return None;
    }
    let parsed = cfg.body(file).ok()?;
    let (src, body) = (parsed.text.as_str(), &parsed.body);
    let res = resource(body, base)?;
    let mut scope = inputs::Scope {
        iterators: vec![],
        each: res
            .body
            .get_attribute("for_each")
            .map(|a| (&a.value, instance)),
    };
    let rtype = rtype_of(base);
    let (block, key, value) = match (&f.remedy, rtype) {
        (
            Remedy::ExecutionLogging { .. } | Remedy::DataTraceOff { .. },
            "aws_apigatewayv2_stage",
        ) => {
            let (block, iterator) = settings_block(
                src,
                res,
                f.location.line,
                &["default_route_settings", "route_settings"],
            )?;
            scope.iterators.extend(iterator);
            let (key, value) = setting(&f.remedy)?;
            (block, key, value)
        }
        (
            Remedy::ExecutionLogging { .. } | Remedy::DataTraceOff { .. },
            "aws_api_gateway_method_settings",
        ) => {
            let (block, iterator) = settings_block(src, res, None, &["settings"])?;
            scope.iterators.extend(iterator);
            let (key, value) = setting(&f.remedy)?;
            (block, key, value)
        }
        (Remedy::Retention { days }, "aws_cloudwatch_log_group") => {
            (res, "retention_in_days", days.to_string())
        }
        (Remedy::RecommendedFormat { .. }, "aws_apigatewayv2_stage" | "aws_api_gateway_stage") => {
            let (block, iterator) = settings_block(src, res, None, &["access_log_settings"])?;
            scope.iterators.extend(iterator);
            let format = block.body.get_attribute("format")?;
            let (var, path) = inputs::source_of(&format.value, &scope)?;
            return Some(Err(format!(
                "the format is the module's input var.{}: pass a complete format where the module is called{}",
                std::iter::once(var).chain(path).collect::<Vec<_>>().join("."),
                f.location.via.last().map(|c| format!(" ({c})")).unwrap_or_default()
            )));
        }
        _ => return None,
    };
    let attr = block.body.get_attribute(key)?;
    match inputs::source_of(&attr.value, &scope) {
        Some((var, path)) => {
            let dir = std::path::Path::new(file)
                .parent()
                .unwrap_or(std::path::Path::new(""));
            Some(inputs::fix_input(cfg, dir, &f.location.via, &var, &path, &value).map_err(|why| {
                format!(
                    "`{key}` is the module's input var.{}, which could not be set where it comes from: {why}",
                    std::iter::once(var).chain(path).collect::<Vec<_>>().join(".")
                )
            }))
        }
        // A value computed from something else (a local, a function): a literal written over
        // it would override what it computes.
        None if !inputs::is_literal(&attr.value) => Some(Err(format!(
            "`{key}` is computed (`{}`): set it where its value comes from",
            attr.value.to_string().trim()
        ))),
        None => None,
    }
}

/// The key of a `key = value` line whose value ends on the same line, as `terraform fmt`
/// (hclwrite) sees it: the `=` of such consecutive lines is aligned; any other line (blank,
/// comment, block header, a value that opens a bracket) ends the run.
fn assignment(line: &str) -> Option<(usize, usize)> {
    let indent = line.len() - line.trim_start().len();
    let rest = &line[indent..];
    let key_len = if let Some(q) = rest.strip_prefix('"') {
        q.find('"')? + 2
    } else {
        rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))?
    };
    if key_len == 0 {
        return None;
    }
    let after = &rest[key_len..];
    let eq = after.len() - after.trim_start().len();
    let value = after.trim_start().strip_prefix('=')?;
    if value.starts_with('=') {
        return None;
    }
    // Net brackets outside strings: a value that opens `{`, `[` or `(` spans lines.
    let (mut depth, mut in_str, mut escaped) = (0i32, false, false);
    for c in value.chars() {
        match (in_str, c) {
            (true, '\\') if !escaped => {
                escaped = true;
                continue;
            }
            (true, '"') if !escaped => in_str = false,
            (false, '"') => in_str = true,
            (false, '{' | '[' | '(') => depth += 1,
            (false, '}' | ']' | ')') => depth -= 1,
            (false, '#') => break,
            _ => {}
        }
        escaped = false;
    }
    (depth == 0).then_some((indent + key_len, indent + key_len + eq))
}

/// Aligns the `=` of every run of assignment lines that a fix added or changed, leaving runs
/// the fix did not touch as they were.
fn align_touched(before: &str, after: &str) -> String {
    let diff = similar::TextDiff::from_lines(before, after);
    let mut touched = std::collections::BTreeSet::new();
    for op in diff.ops() {
        for change in diff.iter_changes(op) {
            if change.tag() == similar::ChangeTag::Insert {
                if let Some(i) = change.new_index() {
                    touched.insert(i);
                }
            }
        }
    }
    let lines: Vec<&str> = after.split_inclusive('\n').collect();
    let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    // A touched `key = value` whose value opens a bracket is in no run: one space before `=`.
    for &t in &touched {
        let Some(line) = lines.get(t) else { continue };
        let body = line.trim_end_matches(['\n', '\r']);
        if assignment(body).is_some() {
            continue;
        }
        let indent = body.len() - body.trim_start().len();
        let key_len = body[indent..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(0);
        let rest = &body[indent + key_len..];
        if key_len > 0 && rest.trim_start().starts_with('=') && !rest.trim_start().starts_with("==")
        {
            let eq = indent + key_len + (rest.len() - rest.trim_start().len());
            out[t] = format!("{} {}", &line[..indent + key_len], &line[eq..]);
        }
    }
    let mut i = 0;
    while i < lines.len() {
        let Some(_) = assignment(lines[i].trim_end_matches(['\n', '\r'])) else {
            i += 1;
            continue;
        };
        let start = i;
        while i < lines.len() && assignment(lines[i].trim_end_matches(['\n', '\r'])).is_some() {
            i += 1;
        }
        if !(start..i).any(|l| touched.contains(&l)) {
            continue;
        }
        let width = (start..i)
            .filter_map(|l| assignment(lines[l].trim_end_matches(['\n', '\r'])))
            .map(|(key_end, _)| key_end)
            .max()
            .unwrap_or(0);
        for (l, line) in out.iter_mut().enumerate().take(i).skip(start) {
            let Some((key_end, eq_at)) = assignment(lines[l].trim_end_matches(['\n', '\r'])) else {
                continue;
            };
            let src = lines[l];
            *line = format!(
                "{}{}{}",
                &src[..key_end],
                " ".repeat(width - key_end + 1),
                &src[eq_at..]
            );
        }
    }
    out.concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_only_the_runs_a_fix_touched() {
        let before =
            "resource \"a\" \"b\" {\n  name = \"x\"\n  tags = {}\n\n  z = 1\n  zz = 2\n}\n";
        let after = "resource \"a\" \"b\" {\n  name = \"x\"\n  tags = {}\n  retention_in_days = 3\n\n  z = 1\n  zz = 2\n}\n";
        assert_eq!(
            align_touched(before, after),
            "resource \"a\" \"b\" {\n  name              = \"x\"\n  tags              = {}\n  retention_in_days = 3\n\n  z = 1\n  zz = 2\n}\n"
        );
    }

    #[test]
    fn a_touched_line_opening_a_bracket_gets_one_space_before_its_equals() {
        let before = "  a {\n    dest = 1\n    format          = x\n  }\n";
        let after =
            "  a {\n    dest = 1\n    format          = jsonencode({\n      k = 1\n    })\n  }\n";
        assert_eq!(
            align_touched(before, after),
            "  a {\n    dest = 1\n    format = jsonencode({\n      k = 1\n    })\n  }\n"
        );
    }

    #[test]
    fn multi_line_values_and_comments_end_a_run() {
        assert!(assignment("  format = jsonencode({").is_none());
        assert!(assignment("  # a = 1").is_none());
        assert!(assignment("  x == y").is_none());
        assert_eq!(assignment("  a = \"{\" # c"), Some((3, 4)));
        assert_eq!(assignment("  \"k\"   = 1"), Some((5, 8)));
    }
}

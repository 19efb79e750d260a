//! What `terraform validate` would reject in one module's files, as errors with file and line.
use rustc_hash::FxHashMap as HashMap;

use super::TfFile;
use stagelog_model::Problem;

/// Blocks of the resources stagelog reads that Terraform's AWS provider takes only as blocks.
const BLOCKS_OF: &[(&str, &str)] = &[
    ("aws_api_gateway_stage", "access_log_settings"),
    ("aws_apigatewayv2_stage", "access_log_settings"),
    ("aws_apigatewayv2_stage", "default_route_settings"),
    ("aws_apigatewayv2_stage", "route_settings"),
    ("aws_api_gateway_method_settings", "settings"),
];

/// Arguments Terraform requires of the resources stagelog reads.
const REQUIRED: &[(&str, &[&str])] = &[
    (
        "aws_api_gateway_method_settings",
        &["rest_api_id", "stage_name", "method_path"],
    ),
    ("aws_api_gateway_stage", &["rest_api_id", "stage_name"]),
    ("aws_apigatewayv2_stage", &["api_id", "name"]),
];

/// What `terraform validate` would reject in one module's files, as errors with file and line:
/// a resource address declared twice, a required argument missing, a block written as an
/// attribute. The stages are still judged as far as the input allows.
pub fn validate(files: &[TfFile]) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut seen: HashMap<(&str, &str), (&str, u32)> = HashMap::default();
    for file in files {
        let at = |line: u32, message: String| {
            Problem::in_file(
                file.path.clone(),
                Some(line),
                format!("Terraform would reject this: {message}"),
            )
        };
        for r in &file.resources {
            // Only for messages: most resources have none.
            let address = || format!("{}.{}", r.rtype, r.name);
            if let Some((first_file, first_line)) =
                seen.insert((&r.rtype, &r.name), (&file.path, r.line))
            {
                out.push(at(
                    r.line,
                    format!(
                        "{} is declared twice (also at {first_file}:{first_line})",
                        address()
                    ),
                ));
            }
            for (_, args) in REQUIRED.iter().filter(|(t, _)| *t == r.rtype) {
                for arg in args.iter() {
                    if r.body.get_attribute(arg).is_none() {
                        out.push(at(r.line, format!("{} has no {arg}", address())));
                    }
                }
            }
            for (_, block) in BLOCKS_OF.iter().filter(|(t, _)| *t == r.rtype) {
                if let Some(a) = r.body.get_attribute(block) {
                    let line = file.lines.line(a.span.start);
                    out.push(at(
                        line,
                        format!(
                            "{}: {block} is a block; write `{block} {{ … }}` without `=`",
                            address()
                        ),
                    ));
                }
            }
        }
    }
    out
}

//! Fixes for infrastructure-as-code: from findings to edited files. Terraform and
//! CloudFormation/SAM (JSON and YAML) are rewritten; what cannot be gets the manual steps.

mod cloudformation;
pub use cloudformation::yaml_template_as_json;
mod terraform;
mod yaml_edit;

use stagelog_model::{Finding, SourceKind};
pub use stagelog_rules::context_vars::recommended_format;
use std::collections::BTreeMap;
use std::ops::Range;

/// What a fix writes where a value must be chosen.
#[derive(Debug, Clone)]
pub struct Options {
    pub retention_days: i64,
    /// `ERROR` or `INFO`.
    pub execution_level: String,
    /// Name of a new access log group; `{name}` is the stage resource's name.
    pub log_group_template: String,
    pub kms_key: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            retention_days: 365,
            execution_level: "ERROR".into(),
            log_group_template: "/aws/vendedlogs/apigateway/{name}".into(),
            kms_key: None,
        }
    }
}

/// A finding that needs a person, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manual {
    pub rule_id: &'static str,
    pub file: Option<String>,
    pub line: Option<u32>,
    pub resource: String,
    pub reason: String,
}

impl Manual {
    fn of(f: &Finding, reason: String) -> Manual {
        Manual {
            rule_id: f.rule_id,
            file: f.location.file.clone(),
            line: f.location.line,
            resource: f.location.resource.clone(),
            reason,
        }
    }
}

/// One file's new text.
#[derive(Debug, Clone)]
pub struct FileFix {
    pub file: String,
    pub before: String,
    pub after: String,
}

#[derive(Debug, Default)]
pub struct FixPlan {
    pub files: Vec<FileFix>,
    pub manual: Vec<Manual>,
    pub errors: Vec<crate::SourceError>,
}

/// A splice into the original text.
#[derive(Debug, Clone)]
pub(crate) struct Edit {
    range: Range<usize>,
    text: String,
}

impl Edit {
    fn insert(at: usize, text: String) -> Edit {
        Edit {
            range: at..at,
            text,
        }
    }

    fn replace(range: Range<usize>, text: String) -> Edit {
        Edit { range, text }
    }

    /// Applies edits from the end backwards so earlier offsets stay valid. Overlapping edits
    /// mean two fixes want the same bytes: refused rather than guessed.
    fn apply_all(src: &str, mut edits: Vec<Edit>) -> Result<String, String> {
        edits.sort_by_key(|e| std::cmp::Reverse((e.range.start, e.range.end)));
        let mut out = src.to_string();
        let mut floor = usize::MAX;
        for e in edits {
            if e.range.end > floor
                || e.range.end > src.len()
                || !src.is_char_boundary(e.range.start)
            {
                return Err("two fixes overlap in this file; fix it in two runs".into());
            }
            out.replace_range(e.range.clone(), &e.text);
            floor = e.range.start;
        }
        Ok(out)
    }
}

/// Plans the fixes for a scan's findings: new text for each Terraform file that can be fixed,
/// and the findings that need a person.
pub fn plan(findings: &[Finding], opts: &Options) -> FixPlan {
    let mut by_file: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    let mut out = FixPlan::default();
    for f in findings {
        match (&f.location.file, f.location.source) {
            (Some(file), SourceKind::Terraform) if file.ends_with(".tf") => {
                by_file.entry(file).or_default().push(f)
            }
            (Some(file), SourceKind::CloudFormation | SourceKind::Sam) => {
                by_file.entry(file).or_default().push(f)
            }
            _ => out.manual.push(Manual::of(
                f,
                match f.location.source {
                    SourceKind::Terraform => "Terraform JSON is not rewritten; edit by hand".into(),
                    _ => "use `stagelog fix --live`".into(),
                },
            )),
        }
    }
    for (file, findings) in by_file {
        let src = match std::fs::read_to_string(file) {
            Ok(s) => s,
            Err(e) => {
                out.errors.push(crate::SourceError {
                    file: file.to_string(),
                    line: None,
                    message: format!("cannot read: {e}"),
                });
                continue;
            }
        };
        let fixed = if file.ends_with(".tf") {
            terraform::fix_file(&src, &findings, opts, &mut out.manual)
        } else {
            cloudformation::fix_file(&src, &findings, opts, &mut out.manual)
        };
        match fixed {
            Ok(Some(after)) => out.files.push(FileFix {
                file: file.to_string(),
                before: src,
                after,
            }),
            Ok(None) => {}
            Err(message) => out.errors.push(crate::SourceError {
                file: file.to_string(),
                line: None,
                message,
            }),
        }
    }
    out
}

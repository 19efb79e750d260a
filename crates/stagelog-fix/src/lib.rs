//! Fixes for infrastructure-as-code: from a scan's findings to edited files, in each source's
//! own terms. Terraform (HCL spliced at hcl-edit's spans), CloudFormation/SAM and serverless.yml
//! (YAML and JSON edited in place, `yaml_edit`) are rewritten; what cannot be gets the manual
//! steps. Files are never read again: the scan keeps their text ([`ScanOutput::sources`]).
//! Each source also renders the fix hint of its findings ([`hint`]) from the same remedy.

mod cloudformation;
mod error;
mod serverless;
pub use cloudformation::yaml_template_as_json;
pub use error::{EditError, FileError};
mod terraform;
mod validate;
mod yaml_edit;

use stagelog_iac::ScanOutput;
use stagelog_model::{Finding, Inventory, LogGroupTemplate, Problem, SourceKind, Stage};
use std::collections::BTreeMap;
use std::ops::Range;

/// What a fix writes where the remedy leaves a choice.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Name of new access log groups (`--log-group-name`). Default: Terraform uses
    /// [`LogGroupTemplate::DEFAULT`]; CloudFormation lets the stack name the group (unique).
    pub log_group_name: Option<LogGroupTemplate>,
    /// KMS key ARN for new log groups and for SL021.
    pub kms_key: Option<String>,
    /// The thresholds findings were judged by (retention, level): what a fix would write is
    /// judged again by them before it is written.
    pub config: stagelog_rules::Config,
}

impl Options {
    pub(crate) fn template(&self) -> LogGroupTemplate {
        self.log_group_name.clone().unwrap_or_default()
    }
}

/// A finding to fix and the stage it is about (for names), as the scan adapted it.
pub(crate) struct Target<'a> {
    pub finding: &'a Finding,
    pub stage: Option<&'a Stage>,
}

/// The fix hint for a finding from a file, rendered from its remedy in the source's terms.
/// `None` for live findings (the live fixer renders those).
pub fn hint(f: &Finding) -> Option<String> {
    match f.location.source {
        SourceKind::Terraform => Some(terraform::hint(f)),
        SourceKind::CloudFormation | SourceKind::Sam => Some(cloudformation::hint(f)),
        SourceKind::Serverless => Some(serverless::hint(f)),
        SourceKind::Live => None,
    }
}

/// What is wrong with a finding's access log format, as its hint opens: SL004 (not valid for
/// the API) and SL005 (incomplete) share the remedy, not the problem.
pub(crate) fn format_problem(f: &Finding) -> &'static str {
    match f.rule_id {
        "SL004" => "make the format valid for this API: one line, with $context.requestId, valid JSON, only variables this API kind has",
        "SL005" => "add the audit fields the format lacks",
        _ => "write a complete access log format",
    }
}

/// A hint for a finding on SAM's extra `Stage` stage, whose fix is removing the stage: the
/// rule's problem first, so the hint says what is wrong before how it goes away.
pub(crate) fn on_sam_stage(f: &Finding, how: &str) -> String {
    let what = stagelog_rules::find(f.rule_id)
        .map(|r| r.summary)
        .unwrap_or("this finding");
    format!("{what}; {how}")
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
    pub errors: Vec<Problem>,
    /// Where a fix was made other than at the finding (a module's input set at its call or
    /// in its default), and why there: one line per finding.
    pub said: Vec<String>,
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
    fn apply_all(src: &str, mut edits: Vec<Edit>) -> Result<String, EditError> {
        edits.sort_by_key(|e| std::cmp::Reverse((e.range.start, e.range.end)));
        let mut out = src.to_string();
        let mut floor = usize::MAX;
        for e in edits {
            if e.range.end > floor
                || e.range.end > src.len()
                || !src.is_char_boundary(e.range.start)
            {
                return Err(EditError::Overlap);
            }
            out.replace_range(e.range.clone(), &e.text);
            floor = e.range.start;
        }
        Ok(out)
    }
}

/// Terraform or OpenTofu in HCL syntax (JSON syntax is not rewritten).
fn is_hcl(file: &str) -> bool {
    file.ends_with(".tf") || file.ends_with(".tofu")
}

/// A Serverless Framework service file (`serverless.yml`).
fn is_service(file: &str) -> bool {
    std::path::Path::new(file)
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| {
            stagelog_iac::serverless::is_service_file(n)
                || stagelog_iac::serverless::could_be_service_file(n)
        })
}

/// A finding's resource address in its own file: inside a module, the part after the calls
/// (`module.a.aws_apigatewayv2_stage.this` is `aws_apigatewayv2_stage.this` in the module).
pub(crate) fn in_file_address(f: &Finding) -> &str {
    match f
        .location
        .resource_type
        .as_deref()
        .and_then(|t| f.location.resource.rfind(&format!("{t}.")))
    {
        Some(i) => &f.location.resource[i..],
        None => f.location.resource.as_str(),
    }
}

/// The stage a finding is about, found in the scan's inventories.
fn stage_of<'a>(inventories: &'a [Inventory], f: &Finding) -> Option<&'a Stage> {
    let name = f.stage.as_deref()?;
    inventories.iter().flat_map(|i| &i.stages).find(|s| {
        s.location.resource == f.location.resource
            && s.location.file == f.location.file
            && s.name.to_string() == name
    })
}

/// Which fixer rewrites a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fixer {
    Terraform,
    CloudFormation,
    Serverless,
}

/// The file a finding is fixed in and the fixer that rewrites it, or why none does. Every
/// source kind is named: a new one does not compile until it says.
fn fixer(f: &Finding) -> Result<(&str, Fixer), String> {
    let Some(file) = f.location.file.as_deref() else {
        return Err("use `stagelog fix --live`".into());
    };
    match f.location.source {
        SourceKind::Terraform if is_hcl(file) => Ok((file, Fixer::Terraform)),
        SourceKind::Terraform => Err("Terraform JSON is not rewritten; edit by hand".into()),
        // CloudFormation nested in a service file's `resources:` is not rewritten.
        SourceKind::CloudFormation | SourceKind::Sam if is_service(file) => Err(format!(
            "declared under resources:, which is not rewritten: {}",
            cloudformation::hint(f)
        )),
        SourceKind::CloudFormation | SourceKind::Sam => Ok((file, Fixer::CloudFormation)),
        SourceKind::Serverless => Ok((file, Fixer::Serverless)),
        SourceKind::Live => Err("use `stagelog fix --live`".into()),
    }
}

/// Plans the fixes for a scan's findings: new text for each file that can be fixed, and the
/// findings that need a person. The files' text comes from the scan (`keep_sources`), so
/// nothing is read twice; a file the scan did not keep is read now.
pub fn plan(scan: &ScanOutput, findings: &[Finding], opts: &Options) -> FixPlan {
    let mut by_file: BTreeMap<&str, (Fixer, Vec<Target>)> = BTreeMap::new();
    let mut terraform_targets = vec![];
    let mut out = FixPlan::default();
    for f in findings {
        let target = Target {
            finding: f,
            stage: stage_of(&scan.inventories, f),
        };
        match fixer(f) {
            Ok((_, Fixer::Terraform)) => terraform_targets.push(target),
            Ok((file, fixer)) => by_file
                .entry(file)
                .or_insert_with(|| (fixer, vec![]))
                .1
                .push(target),
            Err(reason) => out.manual.push(Manual::of(f, reason)),
        }
    }
    // Terraform is fixed as one configuration: a module's input is set where its caller is.
    if !terraform_targets.is_empty() {
        let mut cfg = terraform::Configuration::new(&scan.sources);
        let mut errors = vec![];
        let fixed = terraform::fix_configuration(
            &mut cfg,
            &terraform_targets,
            opts,
            &mut out.manual,
            &mut out.said,
            &mut errors,
        );
        out.errors.extend(
            errors
                .into_iter()
                .map(|(file, e)| Problem::in_file(file, None, e.to_string())),
        );
        for (file, fixed) in fixed {
            out.offer(
                &file,
                fixed.before,
                fixed.after,
                &fixed.findings,
                &opts.config,
            );
        }
    }
    for (file, (fixer, targets)) in by_file {
        let src = match scan.sources.get(file) {
            Some(s) => s.clone(),
            None => match std::fs::read_to_string(file) {
                Ok(s) => s,
                Err(e) => {
                    out.errors.push(Problem::in_file(
                        file.to_string(),
                        None,
                        FileError::Read(e).to_string(),
                    ));
                    continue;
                }
            },
        };
        let routed = out.manual.len();
        let fixed = match fixer {
            Fixer::Serverless => serverless::fix_file(&src, &targets, &mut out.manual),
            Fixer::CloudFormation => {
                cloudformation::fix_file(&src, &targets, opts, &mut out.manual)
            }
            Fixer::Terraform => Ok(None),
        };
        match fixed {
            Ok(Some(after)) => {
                // The findings the edits are for: those not just routed to a person.
                let to_person = &out.manual[routed..];
                let edited: Vec<&Finding> = targets
                    .iter()
                    .map(|t| t.finding)
                    .filter(|f| {
                        !to_person.iter().any(|m| {
                            m.rule_id == f.rule_id
                                && m.resource == f.location.resource
                                && m.line == f.location.line
                        })
                    })
                    .collect();
                out.offer(file, src, after, &edited, &opts.config);
            }
            Ok(None) => {}
            Err(e) => out
                .errors
                .push(Problem::in_file(file.to_string(), None, e.to_string())),
        }
    }
    out
}

impl FixPlan {
    /// A file's fixed text, offered when reading it again shows nothing wrong; else its
    /// findings go to a person, with why.
    fn offer(
        &mut self,
        file: &str,
        before: String,
        after: String,
        edited: &[&Finding],
        config: &stagelog_rules::Config,
    ) {
        match validate::refuse(file, &before, &after, edited, config) {
            Some(reason) => self
                .manual
                .extend(edited.iter().map(|f| Manual::of(f, reason.clone()))),
            None => self.files.push(FileFix {
                file: file.to_string(),
                before,
                after,
            }),
        }
    }
}

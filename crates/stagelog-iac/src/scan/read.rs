//! Reading one template, plan or serverless.yml into an inventory (its adapter's), with what
//! could not be read.

use super::input::{Input, UnitResult, MAX_FILE_BYTES};
use super::large::{skim, Shape, MAX_LARGE_BYTES};
use crate::{cloudformation, serverless, terraform};
use stagelog_model::Problem;
use std::path::Path;

pub(super) fn read_serverless(input: Input, keep: bool) -> UnitResult {
    let name = input.name();
    match input.into_text() {
        Err(e) => UnitResult {
            files: 1,
            errors: vec![e],
            ..UnitResult::default()
        },
        Ok(src) => {
            let a = serverless::adapt(&name, &src);
            UnitResult {
                files: 1,
                errors: a.errors,
                sources: if keep {
                    vec![(name.clone(), src)]
                } else {
                    vec![]
                },
                inventory: a.inventory.map(|inv| (name, inv)),
                notes: a.notes,
                included: a.included,
                plan: false,
            }
        }
    }
}

pub(super) fn read_plan(input: Input, keep: bool) -> UnitResult {
    let name = input.name();
    let path = input.disk_path().map(Path::to_path_buf);
    let src = match input
        .into_text()
        .or_else(|e| large(path.as_deref(), Shape::Plan, e))
    {
        Ok(src) => src,
        Err(e) => {
            return UnitResult {
                files: 1,
                errors: vec![e],
                ..UnitResult::default()
            }
        }
    };
    match terraform::plan::adapt(&name, &src) {
        Ok(inv) => UnitResult {
            files: 1,
            plan: true,
            sources: if keep {
                vec![(name.clone(), src)]
            } else {
                vec![]
            },
            inventory: Some((name, inv)),
            ..UnitResult::default()
        },
        Err(e) => UnitResult {
            files: 1,
            errors: vec![e],
            ..UnitResult::default()
        },
    }
}

/// A CloudFormation, SAM or CDK template (or, unreadable, what may have been one).
pub(super) fn read_template(
    input: Input,
    keep: bool,
    cfn: &cloudformation::Parameters,
) -> UnitResult {
    let name = input.name();
    let dir = input.disk_dir().map(Path::to_path_buf);
    let path = input.disk_path().map(Path::to_path_buf);
    match input
        .into_text()
        .or_else(|e| large(path.as_deref(), Shape::Template, e))
    {
        // Kept by the walk only when it could hold something (or could not be opened).
        Err(e) => UnitResult {
            files: 1,
            errors: vec![e],
            ..UnitResult::default()
        },
        // Its text passed [`triage`] where it was read.
        Ok(src) => {
            let (cfn, samconfig_error) = match &dir {
                Some(dir) => cfn.for_template_in(dir),
                None => (std::borrow::Cow::Borrowed(cfn), None),
            };
            let mut a = cloudformation::adapt(&name, &src, &cfn);
            if let Some(inv) = &mut a.inventory {
                a.errors.extend(samconfig_error);
                // A CDK stack's environment, from its cloud assembly's manifest: read only for
                // a stack that sets the account's role, the one thing it is used for.
                let environment = path
                    .as_deref()
                    .filter(|_| !inv.accounts.is_empty())
                    .and_then(cdk_environment);
                if let Some((account, region)) = environment {
                    for settings in &mut inv.accounts {
                        settings.location.account = Some(account.clone());
                        settings.location.region = Some(region.clone());
                    }
                }
            }
            let sources = if keep && a.inventory.is_some() {
                vec![(name.clone(), src)]
            } else {
                vec![]
            };
            UnitResult {
                files: (a.inventory.is_some() || !a.errors.is_empty()) as usize,
                errors: a.errors,
                inventory: a.inventory.map(|inv| (name, inv)),
                sources,
                notes: a.notes,
                plan: false,
                ..UnitResult::default()
            }
        }
    }
}

/// The account and region of the stack a CDK template belongs to, when its cloud assembly's
/// `manifest.json` names them (`"environment": "aws://111122223333/eu-west-1"`; CDK writes
/// `unknown-account`/`unknown-region` for environment-agnostic stacks, which stay unknown).
fn cdk_environment(template: &Path) -> Option<(String, String)> {
    let file = template.file_name()?.to_str()?;
    if !file.ends_with(".template.json") {
        return None;
    }
    let manifest = std::fs::read_to_string(template.parent()?.join("manifest.json")).ok()?;
    let manifest: serde_json::Value = serde_json::from_str(&manifest).ok()?;
    let artifact = manifest.get("artifacts")?.as_object()?.values().find(|a| {
        a.get("type").and_then(|t| t.as_str()) == Some("aws:cloudformation:stack")
            && a.pointer("/properties/templateFile")
                .and_then(|t| t.as_str())
                == Some(file)
    })?;
    let environment = artifact
        .get("environment")?
        .as_str()?
        .strip_prefix("aws://")?;
    let (account, region) = environment.split_once('/')?;
    let known = |v: &str| !v.is_empty() && !v.starts_with("unknown-");
    (known(account) && known(region)).then(|| (account.to_string(), region.to_string()))
}

/// A JSON plan or template over the size limit for whole files, read by [`skim`] (what it
/// keeps is what the adapters read); `error` (why the file was not read whole) for any other
/// file. A YAML template that large is refused with the limits said.
fn large(path: Option<&Path>, shape: Shape, error: Problem) -> Result<String, Problem> {
    let Some(path) = path else {
        return Err(error);
    };
    let len = match std::fs::metadata(path) {
        Ok(m) if m.len() > MAX_FILE_BYTES => m.len(),
        _ => return Err(error),
    };
    let fail = |message: String| Err(Problem::in_file(crate::paths::display(path), None, message));
    let mib = |n: u64| n / (1024 * 1024);
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => return fail(format!("cannot read: {e}")),
    };
    let json = {
        use std::io::Read;
        let mut head = [0u8; 512];
        let n = file.read(&mut head).unwrap_or(0);
        head[..n]
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|b| *b == b'{')
    };
    if !json {
        return fail(format!(
            "a YAML file of {} MiB is over the {} MiB limit for YAML; not read (JSON templates and plans are read up to {} MiB)",
            mib(len),
            mib(MAX_FILE_BYTES),
            mib(MAX_LARGE_BYTES)
        ));
    }
    if len > MAX_LARGE_BYTES {
        return fail(format!(
            "file is {} MiB, over the {} MiB limit; not read",
            mib(len),
            mib(MAX_LARGE_BYTES)
        ));
    }
    match std::fs::File::open(path) {
        Ok(f) => skim(f, shape).or_else(&fail),
        Err(e) => fail(format!("cannot read: {e}")),
    }
}

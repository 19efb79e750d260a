//! Reading one template, plan or serverless.yml into an inventory (its adapter's), with what
//! could not be read.

use super::input::{Input, UnitResult};
use crate::{cloudformation, serverless, terraform};
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
                plan: false,
            }
        }
    }
}

pub(super) fn read_plan(input: Input, keep: bool) -> UnitResult {
    let name = input.name();
    let src = match input.into_text() {
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
    match input.into_text() {
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
            if a.inventory.is_some() {
                a.errors.extend(samconfig_error);
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
                notes: vec![],
                plan: false,
            }
        }
    }
}

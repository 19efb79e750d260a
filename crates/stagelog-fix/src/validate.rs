//! What `fix` would write is read again before it is written: the file alone, as the scan
//! reads it, before and after. A result with an error the original has not (Terraform or
//! CloudFormation would reject it), that still has a finding the fix was for, or that has a new
//! finding of medium severity or more, is not written; its findings go to a person with why.
//!
//! The file is read alone (a module without its callers, a template without parameters), the
//! same way before and after, so what the comparison says is about the edit.

use stagelog_model::{Finding, Severity};
use stagelog_rules::{check, Config, RuleKind, Selection};

/// What a finding is about in its own file: rule and address without the module calls.
fn key(f: &Finding) -> (&'static str, String) {
    (f.rule_id, crate::terraform::in_file_address(f).to_string())
}

struct Read {
    errors: Vec<String>,
    findings: Vec<Finding>,
}

fn read(file: &str, text: &str, config: &Config) -> Read {
    let out = stagelog_iac::scan_sources(&[(file, text)], false);
    Read {
        // Messages without line numbers (theirs, or one they quote): an edit moves what
        // follows it.
        errors: out
            .errors
            .iter()
            .map(|e| without_numbers(&e.message))
            .collect(),
        findings: out
            .inventories
            .iter()
            .flat_map(|inv| check(inv, config, &Selection::default()))
            .collect(),
    }
}

fn without_numbers(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    for c in message.chars() {
        if c.is_ascii_digit() {
            if !out.ends_with('#') {
                out.push('#');
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Why `after` must not replace `before`, or `None` when it may. `fixed` are the findings the
/// edits were made for.
pub(crate) fn refuse(
    file: &str,
    before: &str,
    after: &str,
    fixed: &[&Finding],
    config: &Config,
) -> Option<String> {
    let (was, is) = (read(file, before, config), read(file, after, config));
    let count = |list: &[String], e: &String| list.iter().filter(|x| *x == e).count();
    if let Some(new) = is
        .errors
        .iter()
        .find(|e| count(&is.errors, e) > count(&was.errors, e))
    {
        return Some(format!(
            "the fixed file would be rejected ({new}); not written"
        ));
    }
    let had: Vec<_> = was.findings.iter().map(key).collect();
    let has: Vec<_> = is.findings.iter().map(key).collect();
    for f in fixed {
        let k = key(f);
        // Judged alone the same way before and after: still there means the edit missed.
        if had.contains(&k) && has.contains(&k) {
            return Some(format!(
                "the edit for {} on {} would not remove the finding; not written",
                k.0, k.1
            ));
        }
    }
    // How a configuration is organised (SL032: turning logging on in a Serverless service
    // makes the framework set the account's role there) is said by the next scan, not a
    // reason to leave the stage unlogged.
    let organisation = |f: &Finding| {
        stagelog_rules::find(f.rule_id).is_some_and(|r| r.kind() == RuleKind::Configuration)
    };
    let added = is
        .findings
        .iter()
        .filter(|f| f.severity >= Severity::Medium && !organisation(f))
        .find(|f| !had.contains(&key(f)));
    added.map(|f| {
        format!(
            "the fixed file would have a new finding ({} on {}: {}); not written",
            f.rule_id,
            key(f).1,
            f.message
        )
    })
}

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
    (f.rule_id, crate::in_file_address(f).to_string())
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

#[cfg(test)]
mod tests {
    use super::*;

    const BEFORE: &str = r#"resource "aws_apigatewayv2_stage" "prod" {
  api_id = "a1b2c3"
  name   = "prod"
}
"#;

    fn sl002(text: &str) -> Vec<Finding> {
        read("main.tf", text, &Config::default())
            .findings
            .into_iter()
            .filter(|f| f.rule_id == "SL002")
            .collect()
    }

    #[test]
    fn what_the_deployer_rejects_what_misses_and_what_it_adds_are_refused() {
        let fixed = sl002(BEFORE);
        assert_eq!(fixed.len(), 1);
        let fixed: Vec<&Finding> = fixed.iter().collect();
        let refuse = |after: &str| refuse("main.tf", BEFORE, after, &fixed, &Config::default());
        let logged = BEFORE.replace(
            "  name   = \"prod\"\n",
            "  name   = \"prod\"\n  access_log_settings {\n    destination_arn = \"arn:aws:logs:eu-west-1:123456789012:log-group:/orders\"\n    format = jsonencode({ requestId = \"$context.requestId\", ip = \"$context.identity.sourceIp\", requestTime = \"$context.requestTime\", httpMethod = \"$context.httpMethod\", routeKey = \"$context.routeKey\", status = \"$context.status\", protocol = \"$context.protocol\", responseLength = \"$context.responseLength\", caller = \"$context.identity.caller\", user = \"$context.identity.user\" })\n  }\n",
        );
        assert_eq!(refuse(&logged), None);
        // A second block with the same address: Terraform refuses the file.
        let twice = format!("{logged}\n{BEFORE}");
        assert!(refuse(&twice).unwrap().contains("would be rejected"));
        // Nothing changed where it mattered.
        let missed = format!("{BEFORE}# logging to come\n");
        assert!(refuse(&missed)
            .unwrap()
            .contains("would not remove the finding"));
        // Logging on, with a format that has no request id: a new medium finding (SL004).
        let idless = logged.replace("requestId = \"$context.requestId\", ", "");
        let why = refuse(&idless).unwrap();
        assert!(
            why.contains("new finding") && why.contains("SL004"),
            "{why}"
        );
    }
}

//! `stagelog rules`.

use crate::cli::ListFormat;
use stagelog_pipeline::ExitStatus;
use stagelog_rules::registry;

pub fn run(format: ListFormat) -> ExitStatus {
    print!("{}", list_rules(format));
    ExitStatus::Clean
}

fn list_rules(format: ListFormat) -> String {
    match format {
        ListFormat::Markdown => stagelog_rules::tables::rules_markdown(),
        ListFormat::Json => {
            let rules: Vec<_> = registry()
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "id": r.id,
                        "name": r.name,
                        "severity": r.severity,
                        "applies_to": r.applies_to,
                        "summary": r.summary,
                    })
                })
                .collect();
            let mut s = serde_json::to_string_pretty(&rules).expect("serialises");
            s.push('\n');
            s
        }
        ListFormat::Text => {
            let mut out = format!(
                "{:<6}  {:<27}  {:<8}  {}\n",
                "ID", "NAME", "SEVERITY", "FAILS WHEN"
            );
            for r in registry() {
                out.push_str(&format!(
                    "{:<6}  {:<27}  {:<8}  {}\n",
                    r.id,
                    r.name,
                    r.severity.as_str(),
                    r.summary
                ));
            }
            out.push_str(
                "\nRun `stagelog explain ID` for what a rule checks, why, and how to fix it.\n",
            );
            out
        }
    }
}

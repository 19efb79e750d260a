//! Rule documentation: one Markdown file per rule, in the layout of the CIS benchmark text the
//! product was defined from (description, rationale, impact, default value, remediation,
//! backout, references).

/// `## ` headings every rule's doc must have, in this order.
pub const REQUIRED_SECTIONS: &[&str] = &[
    "Description",
    "Rationale",
    "Impact",
    "Default value",
    "Remediation",
    "Backout",
    "References",
];

/// `### ` headings the Remediation section must have.
pub const REMEDIATION_PARTS: &[&str] = &["Console", "CLI", "Terraform", "CloudFormation"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocSection {
    pub title: String,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleDoc {
    pub sections: Vec<DocSection>,
}

impl RuleDoc {
    /// Splits on `## ` headings; text before the first one is dropped (the file's title).
    pub fn parse(markdown: &str) -> RuleDoc {
        let mut sections: Vec<DocSection> = Vec::new();
        let mut in_fence = false;
        for line in markdown.lines() {
            if line.starts_with("```") {
                in_fence = !in_fence;
            }
            if !in_fence {
                if let Some(title) = line.strip_prefix("## ") {
                    sections.push(DocSection {
                        title: title.trim().to_string(),
                        body: String::new(),
                    });
                    continue;
                }
            }
            if let Some(s) = sections.last_mut() {
                s.body.push_str(line);
                s.body.push('\n');
            }
        }
        for s in &mut sections {
            s.body = s.body.trim().to_string();
        }
        RuleDoc { sections }
    }

    pub fn section(&self, title: &str) -> Option<&str> {
        self.sections
            .iter()
            .find(|s| s.title.eq_ignore_ascii_case(title))
            .map(|s| s.body.as_str())
    }

    /// What is missing against the required layout, for the doc test.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        for want in REQUIRED_SECTIONS {
            match self.section(want) {
                None => out.push(format!("missing section `## {want}`")),
                Some("") => out.push(format!("empty section `## {want}`")),
                _ => {}
            }
        }
        if let Some(rem) = self.section("Remediation") {
            for part in REMEDIATION_PARTS {
                if !rem.lines().any(|l| l.trim() == format!("### {part}")) {
                    out.push(format!("Remediation lacks `### {part}`"));
                }
            }
        }
        out
    }
}

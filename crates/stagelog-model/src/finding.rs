use crate::{ApiKind, Location, Remedy};
use serde::Serialize;
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
}

impl Severity {
    pub const ALL: [Severity; 4] = [
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "info" => Ok(Severity::Info),
            "low" => Ok(Severity::Low),
            "medium" => Ok(Severity::Medium),
            // Trivy's and Checkov's highest level; stagelog's highest is high.
            "high" | "critical" => Ok(Severity::High),
            other => Err(format!(
                "unknown severity `{other}` (expected info, low, medium, high or critical)"
            )),
        }
    }
}

/// One rule's verdict on one resource. Reporters render these; they never recompute them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule_id: &'static str,
    pub severity: Severity,
    pub message: String,
    /// What fixes it, set by the rule; fixers apply it and sources render it as `fix`.
    pub remedy: Remedy,
    /// A one-line hint at the fix, rendered from `remedy` in the terms of the finding's source
    /// (empty until the pipeline renders it).
    pub fix: String,
    /// Boxed: a finding is moved many times between the rules and the report (collected,
    /// sorted, merged), and its location is most of its size.
    pub location: Box<Location>,
    pub stage: Option<String>,
    pub api_kind: Option<ApiKind>,
    /// The API's name, where the source names it apart from its id (live: the random id is
    /// all the ARN says).
    pub api: Option<String>,
}

impl Finding {
    /// The order reports use: by file (or account and region), line, rule, resource, then
    /// message, so output is deterministic and groups stay together.
    pub fn sort_key(&self) -> (&str, &str, &str, u32, &str, &str, &str) {
        (
            self.location.file.as_deref().unwrap_or(""),
            self.location.account.as_deref().unwrap_or(""),
            self.location.region.as_deref().unwrap_or(""),
            self.location.line.unwrap_or(0),
            self.rule_id,
            self.location.resource.as_str(),
            self.message.as_str(),
        )
    }
}

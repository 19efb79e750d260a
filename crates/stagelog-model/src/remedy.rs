//! What fixes a finding. The rule that finds a problem sets its remedy; each source renders
//! the remedy as a fix hint in its own terms, and each fixer (Terraform, CloudFormation/SAM,
//! live) applies it in an exhaustive `match`, so a remedy without a fix in some backend is a
//! compile-time fact, and a hint and the fix that follows it never disagree.

use std::fmt;

/// A retention CloudWatch Logs accepts (`PutRetentionPolicy`, `RetentionInDays`): any other
/// number of days is refused by AWS, so it is refused here before anything is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RetentionDays(u16);

impl RetentionDays {
    /// Every value CloudWatch Logs allows, in days.
    pub const ALLOWED: [u16; 22] = [
        1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
        2922, 3288, 3653,
    ];

    pub const ONE_YEAR: RetentionDays = RetentionDays(365);

    /// Exactly `days`, when CloudWatch Logs accepts it.
    pub fn exact(days: i64) -> Result<RetentionDays, RetentionError> {
        Self::ALLOWED
            .iter()
            .find(|d| i64::from(**d) == days)
            .map(|d| RetentionDays(*d))
            .ok_or(RetentionError {
                days,
                next: Self::at_least(days),
            })
    }

    /// The smallest allowed retention of at least `days` (a minimum in a policy).
    pub fn at_least(days: i64) -> Option<RetentionDays> {
        Self::ALLOWED
            .iter()
            .find(|d| i64::from(**d) >= days)
            .map(|d| RetentionDays(*d))
    }

    pub fn days(self) -> i64 {
        i64::from(self.0)
    }

    pub fn allowed_list() -> String {
        Self::ALLOWED
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for RetentionDays {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The execution logging level a fix sets (never OFF).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExecutionLevel {
    Error,
    Info,
}

impl ExecutionLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            ExecutionLevel::Error => "ERROR",
            ExecutionLevel::Info => "INFO",
        }
    }
}

impl std::str::FromStr for ExecutionLevel {
    type Err = String;

    /// `ERROR` or `INFO`, in any case.
    fn from_str(s: &str) -> Result<ExecutionLevel, String> {
        match s.trim().to_ascii_uppercase().as_str() {
            "ERROR" => Ok(ExecutionLevel::Error),
            "INFO" => Ok(ExecutionLevel::Info),
            _ => Err(format!(
                "`{s}` is not an execution log level to set (ERROR or INFO)"
            )),
        }
    }
}

/// Which execution log settings of a stage a remedy changes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SettingsTarget {
    /// The stage default: REST `*/*`, v2 default route settings.
    StageDefault,
    /// One REST method path (`resource/METHOD`) or v2 route key.
    Override(String),
}

/// The fix for one finding, as data.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Remedy {
    /// Write access logs to a new log group of the stage's own, in the recommended format for
    /// the API kind (the group keeps events `retention` days).
    AccessLogs { retention: RetentionDays },
    /// Keep the format; send the access logs to a new log group of the stage's own.
    DedicatedLogGroup { retention: RetentionDays },
    /// Replace the access log format with the recommended one for the API kind, followed by
    /// the fields of the old format whose variables AWS documents for the kind (`keep`, as
    /// key and variable): a fix removes only what API Gateway cannot fill in.
    RecommendedFormat { keep: Vec<KeptField> },
    /// Turn execution logging on (at `level`) where it is unset or OFF.
    ExecutionLogging {
        level: ExecutionLevel,
        target: SettingsTarget,
    },
    /// Turn full request/response data logging off.
    DataTraceOff { target: SettingsTarget },
    /// Keep a log group's events for `days`.
    Retention { days: RetentionDays },
    /// Encrypt a log group with a customer-managed KMS key.
    KmsKey,
    /// Set the account's API Gateway CloudWatch role (once per account and region).
    CloudWatchRole,
    /// Let the CloudWatch role be assumed by API Gateway and write logs.
    CloudWatchRolePolicy,
    /// No change stagelog can make; a person decides, for this reason.
    Manual { reason: String },
}

/// A field of an access log format that a new format carries over: its key (the old JSON key
/// when it had one that is a plain name) and its variable (after `$context.`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeptField {
    pub key: String,
    pub variable: String,
}

impl Remedy {
    pub fn manual(reason: impl Into<String>) -> Remedy {
        Remedy::Manual {
            reason: reason.into(),
        }
    }
}

/// A placeholder of a log group name template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placeholder {
    /// `{api-name}`: the API's name.
    ApiName,
    /// `{api}`: the API's id.
    ApiId,
    /// `{stage}`: the stage's name.
    Stage,
}

/// The name of a log group a fix creates (`--log-group-name`), with `{api-name}`, `{api}` and
/// `{stage}` filled in per stage, so two stages never share a new group by accident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogGroupTemplate {
    parts: Vec<Result<String, Placeholder>>,
}

/// A retention CloudWatch Logs does not accept (it takes only [`RetentionDays::ALLOWED`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{days} days is not a retention CloudWatch Logs accepts{}; allowed: {}",
    next.map(|r| format!(" (the next allowed value is {r})")).unwrap_or_default(),
    RetentionDays::allowed_list()
)]
pub struct RetentionError {
    pub days: i64,
    /// The smallest allowed value above it, if any.
    pub next: Option<RetentionDays>,
}

/// A log group name template that cannot be filled in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error(
        "log group name `{0}`: `{{` without `}}` (placeholders: {{api-name}}, {{api}}, {{stage}})"
    )]
    Unclosed(String),
    #[error("log group name `{template}`: unknown placeholder `{{{name}}}` (placeholders: {{api-name}}, {{api}}, {{stage}})")]
    UnknownPlaceholder { template: String, name: String },
    #[error("the log group name template is empty")]
    Empty,
}

impl LogGroupTemplate {
    pub const DEFAULT: &'static str = "/aws/vendedlogs/apigateway/{api-name}/{stage}";

    /// Reads a template; an unknown `{placeholder}` (a typo such as `{nme}`) is an error.
    pub fn parse(template: &str) -> Result<LogGroupTemplate, TemplateError> {
        let mut parts = Vec::new();
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            if open > 0 {
                parts.push(Ok(rest[..open].to_string()));
            }
            let Some(close) = rest[open..].find('}') else {
                return Err(TemplateError::Unclosed(template.to_string()));
            };
            let name = &rest[open + 1..open + close];
            parts.push(Err(match name {
                "api-name" => Placeholder::ApiName,
                "api" => Placeholder::ApiId,
                "stage" => Placeholder::Stage,
                other => {
                    return Err(TemplateError::UnknownPlaceholder {
                        template: template.to_string(),
                        name: other.to_string(),
                    })
                }
            }));
            rest = &rest[open + close + 1..];
        }
        if !rest.is_empty() {
            parts.push(Ok(rest.to_string()));
        }
        if parts.is_empty() {
            return Err(TemplateError::Empty);
        }
        Ok(LogGroupTemplate { parts })
    }

    /// The name, each placeholder replaced by what `fill` gives (`None` when it has nothing).
    pub fn render(
        &self,
        mut fill: impl FnMut(Placeholder) -> Option<String>,
    ) -> Result<String, Placeholder> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Ok(lit) => out.push_str(lit),
                Err(p) => out.push_str(&fill(*p).ok_or(*p)?),
            }
        }
        Ok(out)
    }

    /// The name for known values, each cleaned to the characters CloudWatch Logs allows.
    pub fn render_known(&self, api_name: &str, api_id: &str, stage: &str) -> String {
        self.render(|p| {
            Some(clean_name_part(match p {
                Placeholder::ApiName => api_name,
                Placeholder::ApiId => api_id,
                Placeholder::Stage => stage,
            }))
        })
        .unwrap_or_default()
    }
}

impl Default for LogGroupTemplate {
    fn default() -> Self {
        LogGroupTemplate::parse(Self::DEFAULT).expect("the default template parses")
    }
}

/// A name part with only the characters CloudWatch Logs allows in a log group name (`$` of
/// `$default` dropped, anything else not allowed becomes `-`).
pub fn clean_name_part(s: &str) -> String {
    s.trim_start_matches('$')
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-/#".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_group_templates_fill_known_placeholders_and_refuse_others() {
        let t = LogGroupTemplate::default();
        assert_eq!(
            t.render_known("My API (v2)", "abc", "$default"),
            "/aws/vendedlogs/apigateway/My-API--v2-/default"
        );
        let t = LogGroupTemplate::parse("/x/{api}-{stage}").unwrap();
        assert_eq!(t.render_known("n", "abc123", "prod"), "/x/abc123-prod");
        assert!(LogGroupTemplate::parse("/x/{nme}")
            .unwrap_err()
            .to_string()
            .contains("unknown placeholder `{nme}`"));
        assert!(LogGroupTemplate::parse("/x/{api").is_err());
        assert_eq!(
            t.render(|p| (p == Placeholder::Stage).then(|| "s".into())),
            Err(Placeholder::ApiId)
        );
    }

    #[test]
    fn retention_takes_only_cloudwatch_values() {
        assert_eq!(RetentionDays::exact(365).unwrap().days(), 365);
        let err = RetentionDays::exact(100).unwrap_err();
        assert_eq!(err.next.map(|r| r.days()), Some(120));
        assert!(
            err.to_string().contains("next allowed value is 120"),
            "{err}"
        );
        assert_eq!(RetentionDays::at_least(100).unwrap().days(), 120);
        assert_eq!(RetentionDays::at_least(400).unwrap().days(), 400);
        assert_eq!(RetentionDays::at_least(0).unwrap().days(), 1);
        assert!(RetentionDays::at_least(4000).is_none());
    }
}

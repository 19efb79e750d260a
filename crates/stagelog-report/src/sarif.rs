//! SARIF 2.1.0 for GitHub code scanning: the rules with their docs as help text, results with
//! file and line, and unreadable files as tool execution notifications.

use crate::Report;
use serde::Serialize;
use stagelog_model::Severity;
use stagelog_rules::registry;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Log<'a, R: Serialize> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a, R>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a, R: Serialize> {
    tool: Tool,
    /// Made as they are written ([`crate::Items`]).
    results: R,
    invocations: Vec<Invocation<'a>>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    rules: Vec<RuleDescriptor>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RuleDescriptor {
    id: &'static str,
    name: &'static str,
    short_description: Message,
    full_description: Message,
    help: Help,
    default_configuration: Config,
    properties: RuleProps,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct Config {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProps {
    tags: Vec<String>,
    #[serde(rename = "security-severity")]
    security_severity: &'static str,
    /// The framework controls and peer check ids the rule maps to (`stagelog explain`): each
    /// framework with its version, each control with its title where stagelog quotes it.
    compliance: Vec<String>,
    /// Where each of those frameworks and tools is defined.
    #[serde(rename = "complianceSources")]
    compliance_sources: Vec<Source>,
}

#[derive(Serialize)]
struct Source {
    framework: &'static str,
    url: &'static str,
}

#[derive(Serialize)]
struct Message {
    text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'a str,
    rule_index: usize,
    level: &'static str,
    message: Message,
    locations: Vec<SarifLocation<'a>>,
    /// The module calls the resource was reached through.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<Related<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<SarifSuppression>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Related<'a> {
    id: usize,
    physical_location: Physical<'a>,
    message: Message,
}

#[derive(Serialize)]
struct SarifSuppression {
    /// `inSource` for marks in the file, `external` for waivers in stagelog.toml.
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    justification: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifLocation<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    physical_location: Option<Physical<'a>>,
    logical_locations: Vec<Logical<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Physical<'a> {
    artifact_location: Artifact<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
struct Artifact<'a> {
    uri: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Logical<'a> {
    fully_qualified_name: &'a str,
    kind: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation<'a> {
    execution_successful: bool,
    tool_execution_notifications: Vec<Notification<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Notification<'a> {
    level: &'static str,
    message: Message,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<SarifLocation<'a>>,
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

pub fn render(report: &Report) -> String {
    let mut out = Vec::new();
    write(report, &mut out).expect("writing to memory does not fail");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// [`render`], written to `out` as it is made.
pub fn write<'a>(report: &'a Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let rules = registry();
    let descriptors = rules
        .iter()
        .map(|r| {
            let doc = r.doc();
            RuleDescriptor {
                id: r.id,
                name: r.name,
                short_description: Message {
                    text: r.summary.to_string(),
                },
                full_description: Message {
                    text: doc.section("Description").unwrap_or(r.summary).to_string(),
                },
                help: Help {
                    text: doc.section("Remediation").unwrap_or_default().to_string(),
                    markdown: r.doc.to_string(),
                },
                default_configuration: Config {
                    level: level(r.severity),
                },
                properties: RuleProps {
                    tags: ["security", "logging", "aws", "api-gateway"]
                        .into_iter()
                        .map(str::to_string)
                        .chain(
                            stagelog_rules::frameworks::for_rule(r.id)
                                .filter(|m| m.framework == stagelog_rules::frameworks::FSBP)
                                .map(|m| format!("securityhub/{}", m.control)),
                        )
                        .collect(),
                    security_severity: security_severity(r.severity),
                    compliance: stagelog_rules::frameworks::for_rule(r.id)
                        .map(|m| m.cited())
                        .collect(),
                    compliance_sources: stagelog_rules::frameworks::for_rule(r.id)
                        .filter_map(|m| {
                            stagelog_rules::frameworks::source(m.framework).map(|url| Source {
                                framework: m.framework,
                                url,
                            })
                        })
                        .collect(),
                },
            }
        })
        .collect();
    let result =
        |f: &'a stagelog_model::Finding, suppressions: Vec<SarifSuppression>| SarifResult {
            rule_id: f.rule_id,
            rule_index: rules.iter().position(|r| r.id == f.rule_id).unwrap_or(0),
            level: level(f.severity),
            message: Message {
                text: format!("{} Fix: {}", f.message, f.fix),
            },
            locations: vec![SarifLocation {
                // A live finding with --iac is placed on the code that declares the resource
                // (its ARN stays the logical location), so code scanning shows it there.
                physical_location: crate::code_position(f).map(|(uri, line)| Physical {
                    artifact_location: Artifact { uri },
                    region: line.map(|l| Region {
                        start_line: l.max(1),
                    }),
                }),
                logical_locations: vec![Logical {
                    fully_qualified_name: &f.location.resource,
                    kind: "resource",
                }],
            }],
            related_locations: f
                .location
                .via
                .iter()
                .enumerate()
                .map(|(i, c)| Related {
                    id: i,
                    physical_location: Physical {
                        artifact_location: Artifact { uri: &c.file },
                        region: Some(Region {
                            start_line: c.line.max(1),
                        }),
                    },
                    message: Message {
                        text: format!("called as {}", c.call),
                    },
                })
                .collect(),
            suppressions,
        };
    let results =
        report
            .findings
            .iter()
            .map(|f| result(f, vec![]))
            .chain(report.suppressed.iter().map(|s| {
                result(
                    &s.finding,
                    vec![SarifSuppression {
                        kind: if s.by == "waiver" {
                            "external"
                        } else {
                            "inSource"
                        },
                        justification: s.reason.clone(),
                    }],
                )
            }));
    let notifications = report
        .errors
        .iter()
        .map(|e| Notification {
            level: "error",
            message: Message {
                text: e.message.clone(),
            },
            locations: e
                .file
                .as_deref()
                .map(|uri| SarifLocation {
                    physical_location: Some(Physical {
                        artifact_location: Artifact { uri },
                        region: e.line.map(|l| Region {
                            start_line: l.max(1),
                        }),
                    }),
                    logical_locations: vec![],
                })
                .into_iter()
                .collect(),
        })
        // Notes (modules not downloaded, paths with nothing to read) are what a reader of the
        // run must know besides its results.
        .chain(report.notes.iter().map(|n| Notification {
            level: "note",
            message: Message { text: n.clone() },
            locations: vec![],
        }))
        .collect();
    let log = Log {
        schema: "https://json.schemastore.org/sarif-2.1.0.json",
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "stagelog",
                    version: env!("CARGO_PKG_VERSION"),
                    rules: descriptors,
                },
            },
            results: crate::Items::new(results),
            invocations: vec![Invocation {
                execution_successful: report.errors.is_empty(),
                tool_execution_notifications: notifications,
            }],
        }],
    };
    serde_json::to_writer_pretty(&mut *out, &log)?;
    out.write_all(b"\n")
}

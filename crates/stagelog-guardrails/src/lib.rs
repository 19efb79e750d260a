//! Guardrails: the stagelog rules as controls AWS's own engines run, so the bad state is
//! refused or seen at once without running stagelog — an Organizations SCP (IAM evaluates it
//! on every request), CloudFormation Guard rules (Guard Hooks, Config custom policy rules) for
//! what IAM cannot key on, Rego over Terraform plans for OPA pipelines, and an EventBridge rule on the CloudTrail events that change a
//! stage's logging (to hand each change to stagelog as it happens).
//!
//! Each artefact says which stagelog version and rules it enforces, and what its engine cannot
//! enforce ([`Artefact::holes`]): IAM has condition keys for access logging only, so an SCP can
//! never require execution logging or forbid data trace.

mod eventbridge;
mod function;
pub mod guard;
pub mod rego;
mod scp;

use stagelog_rules::Rule;

/// An engine a guardrail is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// An AWS Organizations service control policy (JSON).
    Scp,
    /// CloudFormation Guard rules (Guard Hooks, Config custom policy rules).
    Guard,
    /// Rego (Conftest, OPA) over Terraform plan JSON.
    Rego,
    /// An EventBridge rule on CloudTrail's API Gateway events, in a CloudFormation template.
    EventBridge,
    /// The same EventBridge rule as a Terraform module.
    EventBridgeTerraform,
    /// The stagelog function as an AWS Config custom rule, in a CloudFormation template.
    Config,
}

impl Engine {
    pub const ALL: [Engine; 6] = [
        Engine::Scp,
        Engine::Guard,
        Engine::Rego,
        Engine::EventBridge,
        Engine::EventBridgeTerraform,
        Engine::Config,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Engine::Scp => "scp",
            Engine::Guard => "guard",
            Engine::Rego => "rego",
            Engine::EventBridge => "eventbridge",
            Engine::EventBridgeTerraform => "eventbridge-terraform",
            Engine::Config => "config",
        }
    }

    /// The file `--output-dir` writes it to.
    pub fn file_name(self) -> &'static str {
        match self {
            Engine::Scp => "stagelog-scp.json",
            Engine::Guard => "stagelog.guard",
            Engine::Rego => "stagelog.rego",
            Engine::EventBridge => "stagelog-eventbridge.yaml",
            Engine::EventBridgeTerraform => "stagelog-eventbridge.tf",
            Engine::Config => "stagelog-config.yaml",
        }
    }

    pub fn about(self) -> &'static str {
        match self {
            Engine::Scp => "an AWS Organizations SCP denying stages without access logs",
            Engine::Guard => {
                "CloudFormation Guard rules: access logging, execution logging and data trace on every stage form"
            }
            Engine::Rego => "Rego for Conftest/OPA over Terraform plan JSON",
            Engine::EventBridge => {
                "a CloudFormation template: the stagelog Lambda function and an EventBridge rule handing it the CloudTrail events that change stage logging (optionally also a Config rule)"
            }
            Engine::EventBridgeTerraform => "the same function and EventBridge rule as a Terraform module",
            Engine::Config => {
                "a CloudFormation template: the stagelog Lambda function as an AWS Config custom rule on API Gateway stages"
            }
        }
    }
}

impl std::str::FromStr for Engine {
    type Err = String;
    fn from_str(s: &str) -> Result<Engine, String> {
        Engine::ALL
            .into_iter()
            .find(|e| e.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                let names: Vec<&str> = Engine::ALL.iter().map(|e| e.name()).collect();
                format!("`{s}` is not a guardrail format ({})", names.join(", "))
            })
    }
}

/// Choices the artefacts leave to the organisation.
#[derive(Debug, Clone)]
pub struct Options {
    /// Where access logs may go (IAM `StringLike` patterns on the destination ARN).
    pub log_destinations: Vec<String>,
    /// Also deny an `UpdateStage` that leaves a logged stage without a destination (off by
    /// default: see `scp.rs` for why it is a choice).
    pub deny_unlogged_updates: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            log_destinations: DEFAULT_DESTINATIONS.iter().map(|d| d.to_string()).collect(),
            deny_unlogged_updates: false,
        }
    }
}

/// Any CloudWatch Logs group, or a Firehose stream API Gateway may write to (its name must
/// begin with `amazon-apigateway-`: AWS::ApiGateway::Stage AccessLogSetting).
pub const DEFAULT_DESTINATIONS: [&str; 2] = [
    "arn:*:logs:*:*:log-group:*",
    "arn:*:firehose:*:*:deliverystream/amazon-apigateway-*",
];

/// One generated control.
#[derive(Debug, Clone)]
pub struct Artefact {
    pub engine: Engine,
    pub text: String,
    /// The rules it enforces, all or in part.
    pub rules: Vec<&'static str>,
    /// What its engine cannot enforce, one line each.
    pub holes: Vec<String>,
}

/// The artefact for one engine.
pub fn render(engine: Engine, opts: &Options) -> Result<Artefact, String> {
    match engine {
        Engine::Scp => scp::render(opts),
        Engine::Guard => Ok(guard::render()),
        Engine::Rego => Ok(rego::render()),
        Engine::EventBridge => Ok(eventbridge::render()),
        Engine::EventBridgeTerraform => Ok(eventbridge::render_terraform()),
        Engine::Config => Ok(eventbridge::render_config()),
    }
}

/// The registry's rule of this id (the artefacts name only rules that exist).
pub(crate) fn rule(id: &str) -> &'static Rule {
    stagelog_rules::find(id).unwrap_or_else(|| panic!("{id} is not in the registry"))
}

/// `stagelog 0.1.0`.
pub(crate) fn version() -> String {
    format!("stagelog {}", env!("CARGO_PKG_VERSION"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every rule that judges code or accounts is enforced by an artefact or named among what
    /// the artefacts cannot enforce (meta rules judge suppression marks, not stages).
    #[test]
    fn every_rule_is_enforced_or_named_as_a_hole() {
        let artefacts: Vec<Artefact> = Engine::ALL
            .iter()
            .map(|e| render(*e, &Options::default()).unwrap())
            .collect();
        for r in stagelog_rules::registry()
            .iter()
            .filter(|r| r.kind() != stagelog_rules::RuleKind::Meta && !r.live_only)
        {
            let said = artefacts
                .iter()
                .any(|a| a.rules.contains(&r.id) || a.holes.iter().any(|h| h.contains(r.id)));
            assert!(said, "{} is neither enforced nor named as a hole", r.id);
        }
    }

    #[test]
    fn the_scp_stays_under_the_organizations_limit_or_says_why() {
        let scp = render(Engine::Scp, &Options::default()).unwrap();
        assert!(scp.text.len() <= scp::SCP_LIMIT);
        let many = Options {
            log_destinations: (0..200)
                .map(|i| format!("arn:aws:logs:*:{i:012}:log-group:/org/api-access-logs/*"))
                .collect(),
            ..Options::default()
        };
        let err = render(Engine::Scp, &many).unwrap_err();
        assert!(
            err.contains("over AWS Organizations' limit of 5120"),
            "{err}"
        );
        assert!(render(
            Engine::Scp,
            &Options {
                log_destinations: vec![],
                ..Options::default()
            }
        )
        .is_err());
    }
}

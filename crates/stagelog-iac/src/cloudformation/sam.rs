//! What SAM adds to CloudFormation: `Globals` (`Api`, `HttpApi`) under each API's own
//! properties, and the extra `Stage` stage every REST API gets unless `OpenApiVersion` is set.

use super::template::{Props, Template};
use stagelog_model::{MethodSettings, Stage, Text};
use stagelog_syntax::yaml::Node;

impl<'a> Template<'a> {
    pub(super) fn global(&self, section: &str) -> Option<&'a Node> {
        self.globals.and_then(|g| g.get(section))
    }
}

/// SAM deploys every `AWS::Serverless::Api` also to a stage named `Stage`, with no logging
/// settings, unless `OpenApiVersion` is set (kept for backwards compatibility; see
/// aws/serverless-application-model#191).
pub(super) fn sam_extra_stage(stage: &Stage, props: &Props) -> Option<Stage> {
    if props.get("OpenApiVersion").is_some() || stage.name.as_known().as_deref() == Some("Stage") {
        return None;
    }
    Some(Stage {
        name: Text::lit("Stage"),
        access_log: None,
        default_settings: MethodSettings::default(),
        overrides: vec![],
        note: Some(
            "created by SAM because OpenApiVersion is not set; set it to remove this stage".into(),
        ),
        ..stage.clone()
    })
}

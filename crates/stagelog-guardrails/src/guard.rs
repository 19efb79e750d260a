//! CloudFormation Guard rules (for Guard Hooks and AWS Config custom policy rules): what IAM
//! cannot refuse, checked on the template as written — access logging on every stage form,
//! execution logging stage-wide with no `OFF` override, no data trace. One Guard rule per
//! stagelog rule and resource form, named `SL001_…`, so a verdict maps back to the rule.
//!
//! [`COVERS`] says which resource types each rule is checked on; the tests hold Guard's verdict
//! per resource equal to `stagelog scan`'s there, over every rule example and fixture.

use crate::{rule, version, Artefact, Engine};

/// The stagelog rules the Guard rules check, and the resource types they check them on.
pub const COVERS: &[(&str, &[&str])] = &[
    (
        "SL001",
        &[
            "AWS::ApiGateway::Stage",
            "AWS::ApiGateway::Deployment",
            "AWS::Serverless::Api",
        ],
    ),
    (
        "SL002",
        &[
            "AWS::ApiGatewayV2::Stage",
            "AWS::ApiGatewayV2::Api",
            "AWS::Serverless::HttpApi",
        ],
    ),
    ("SL010", &["AWS::ApiGateway::Stage", "AWS::Serverless::Api"]),
    (
        "SL011",
        &[
            "AWS::ApiGateway::Stage",
            "AWS::ApiGatewayV2::Stage",
            "AWS::Serverless::Api",
        ],
    ),
];

const RULES: &str = r#"
# Resources, by the form their stage takes.
let rest_stages = Resources.*[ Type == 'AWS::ApiGateway::Stage' ]
let deployment_stages = Resources.*[ Type == 'AWS::ApiGateway::Deployment'
                                     Properties.StageName exists ]
let v2_stages = Resources.*[ Type == 'AWS::ApiGatewayV2::Stage' ]
let quick_create_apis = Resources.*[ Type == 'AWS::ApiGatewayV2::Api'
                                     Properties.Target exists ]
let sam_apis = Resources.*[ Type == 'AWS::Serverless::Api' ]
let sam_http_apis = Resources.*[ Type == 'AWS::Serverless::HttpApi' ]
# SAM merges Globals into each API that does not set the property itself.
let sam_api_globals = Globals.Api
let sam_http_api_globals = Globals.HttpApi

# SL001: REST stages have an access log destination.
rule SL001_rest_stage when %rest_stages !empty {
    %rest_stages.Properties.AccessLogSetting.DestinationArn exists
}
# A deployment naming a stage creates it with its StageDescription's settings.
rule SL001_deployment_stage when %deployment_stages !empty {
    %deployment_stages.Properties.StageDescription.AccessLogSetting.DestinationArn exists
}
# SAM: on the API or in Globals; and OpenApiVersion set, or SAM adds a `Stage` stage with no
# logging settings.
rule SL001_sam_api when %sam_apis !empty {
    %sam_apis[*] {
        Properties.AccessLogSetting.DestinationArn exists or
        %sam_api_globals.AccessLogSetting.DestinationArn exists
        Properties.OpenApiVersion exists or
        %sam_api_globals.OpenApiVersion exists
    }
}

# SL002: v2 stages have an access log destination; a quick-create API's $default stage has no
# logging settings at all.
rule SL002_v2_stage when %v2_stages !empty {
    %v2_stages.Properties.AccessLogSettings.DestinationArn exists
}
rule SL002_quick_create when %quick_create_apis !empty {
    %quick_create_apis.Properties.Target !exists
}
rule SL002_sam_http_api when %sam_http_apis !empty {
    %sam_http_apis[*] {
        Properties.AccessLogSettings.DestinationArn exists or
        %sam_http_api_globals.AccessLogSettings.DestinationArn exists
    }
}

# SL010: REST stages log executions stage-wide (`/*` `*` at ERROR or INFO) and no method
# override turns it OFF.
rule SL010_rest_stage when %rest_stages !empty {
    %rest_stages[*].Properties {
        MethodSettings exists
        some MethodSettings[*] {
            ResourcePath == '/*'
            HttpMethod == '*'
            LoggingLevel in [/^(?i)error$/, /^(?i)info$/]
        }
        MethodSettings[ LoggingLevel exists ] {
            LoggingLevel != /^(?i)off$/
        }
    }
}
rule SL010_sam_api when %sam_apis !empty {
    %sam_apis[*] {
        Properties.MethodSettings exists or %sam_api_globals.MethodSettings exists
        some Properties.MethodSettings[*] {
            ResourcePath == '/*'
            HttpMethod == '*'
            LoggingLevel in [/^(?i)error$/, /^(?i)info$/]
        } or
        some %sam_api_globals.MethodSettings[*] {
            ResourcePath == '/*'
            HttpMethod == '*'
            LoggingLevel in [/^(?i)error$/, /^(?i)info$/]
        }
        when Properties.MethodSettings exists {
            Properties.MethodSettings[ LoggingLevel exists ] {
                LoggingLevel != /^(?i)off$/
            }
        }
        # SAM's extra `Stage` stage has no settings of its own.
        Properties.OpenApiVersion exists or
        %sam_api_globals.OpenApiVersion exists
    }
}

# SL011: no data trace, stage-wide or per method or route.
rule SL011_rest_stage when %rest_stages !empty {
    %rest_stages[*] {
        when Properties.MethodSettings exists {
            Properties.MethodSettings[*] {
                DataTraceEnabled !exists or
                DataTraceEnabled == false or
                DataTraceEnabled == 'false'
            }
        }
    }
}
rule SL011_v2_stage when %v2_stages !empty {
    %v2_stages[*] {
        when Properties.DefaultRouteSettings exists {
            Properties.DefaultRouteSettings.DataTraceEnabled !exists or
            Properties.DefaultRouteSettings.DataTraceEnabled == false
        }
        when Properties.RouteSettings exists {
            Properties.RouteSettings.* {
                DataTraceEnabled !exists or
                DataTraceEnabled == false
            }
        }
    }
}
rule SL011_sam_api when %sam_apis !empty {
    %sam_apis[*] {
        when Properties.MethodSettings exists {
            Properties.MethodSettings[*] {
                DataTraceEnabled !exists or
                DataTraceEnabled == false or
                DataTraceEnabled == 'false'
            }
        }
    }
}
"#;

pub(crate) fn render() -> Artefact {
    let rules: Vec<&'static str> = COVERS.iter().map(|(id, _)| rule(id).id).collect();
    let text = format!(
        "# Generated by {} (`stagelog guardrails --format guard`).\n# CloudFormation Guard rules for Guard Hooks and AWS Config custom policy rules: {}\n# on CloudFormation and SAM templates. Each rule is named after the stagelog rule it checks.\n{RULES}",
        version(),
        rules.join(", ")
    );
    Artefact {
        engine: Engine::Guard,
        text,
        rules,
        holes: vec![
            format!(
                "{}: a WebSocket stage's execution logging (the protocol is on the API resource, which Guard cannot join to its stage); the SCP cannot either, the EventBridge rule sees it",
                rule("SL010").id
            ),
            "values decided by Fn::If, parameters or other stacks: Guard reads the template as written (a Guard Hook reads it with parameters resolved)".into(),
            "SAM's implicit APIs (made by functions' events) exist only after the SAM transform: a Guard Hook sees them as AWS::ApiGateway::Stage".into(),
            format!(
                "{}, {}, {}: destination and format validity, and log groups, need more than Guard's comparisons",
                rule("SL003").id,
                rule("SL004").id,
                rule("SL020").id
            ),
        ],
    }
}

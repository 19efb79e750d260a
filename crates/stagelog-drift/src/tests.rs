//! Linking and pairing on code written to a temporary tree, against live stages built as the
//! audit builds them (tags from GetStages and GetRestApis/GetApis).

use crate::{read, IacOptions, Unlinked};
use stagelog_model::{ApiKind, Inventory, Location, Stage, Tags, Text};
use std::path::{Path, PathBuf};

fn write(root: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

fn cfn(stack: &str, id: &str) -> Vec<(String, String)> {
    vec![
        ("aws:cloudformation:logical-id".into(), id.into()),
        ("aws:cloudformation:stack-name".into(), stack.into()),
    ]
}

fn live(
    kind: ApiKind,
    api: &str,
    name: &str,
    stage: Vec<(String, String)>,
    on_api: Vec<(String, String)>,
) -> Stage {
    let path = if kind == ApiKind::Rest {
        "restapis"
    } else {
        "apis"
    };
    let mut s = Stage::new(
        kind,
        Text::lit(name),
        Location::live(
            "111122223333",
            "eu-west-1",
            format!("arn:aws:apigateway:eu-west-1::/{path}/{api}/stages/{name}"),
        ),
    );
    s.api = Some(Text::lit(api));
    s.tags = Tags { stage, api: on_api };
    s
}

const TEMPLATE: &str = r#"AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Name: shop
  Deployment:
    Type: AWS::ApiGateway::Deployment
    Properties:
      RestApiId: !Ref Api
      StageName: beta
  LiveStage:
    Type: AWS::ApiGateway::Stage
    Properties:
      RestApiId: !Ref Api
      StageName: live
      DeploymentId: !Ref Deployment
  Ws:
    Type: AWS::ApiGatewayV2::Api
    Properties:
      Name: ws
      ProtocolType: WEBSOCKET
      RouteSelectionExpression: $request.body.action
  WsStage:
    Type: AWS::ApiGatewayV2::Stage
    Properties:
      ApiId: !Ref Ws
      StageName: live
"#;

const SAM: &str = r#"Transform: AWS::Serverless-2016-10-31
Resources:
  OrdersApi:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
"#;

/// Deployed with `parameter_overrides = "StageName=prod"`: the template's default is not what
/// runs.
const SAM_PARAMETER: &str = r#"Transform: AWS::Serverless-2016-10-31
Parameters:
  StageName:
    Type: String
    Default: dev
Resources:
  BillingApi:
    Type: AWS::Serverless::Api
    Properties:
      StageName: !Ref StageName
"#;

/// `deploy`'s stack name wins over `global`'s, as `sam deploy` reads them.
const SAMCONFIG_OVERRIDE: &str = r#"version = 0.1
[default.global.parameters]
stack_name = "billing-sam"

[default.deploy.parameters]
stack_name = "billing"
parameter_overrides = "StageName=\"prod\""
"#;

fn options(root: &Path, stacks: &[(&str, &str)], states: &[&str]) -> IacOptions {
    IacOptions {
        paths: vec![root.to_path_buf()],
        stacks: stacks
            .iter()
            .map(|(n, t)| (n.to_string(), root.join(t)))
            .collect(),
        tf_states: states
            .iter()
            .map(|s| root.join(s))
            .collect::<Vec<PathBuf>>(),
        scan: Default::default(),
    }
}

#[test]
fn cloudformation_stages_by_their_tags_or_their_apis() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("shop/template.yaml", TEMPLATE),
            ("orders/template.yaml", SAM),
            (
                "orders/samconfig.toml",
                "[default.deploy.parameters]\nstack_name = \"orders\"\n",
            ),
            ("billing/template.yaml", SAM_PARAMETER),
            ("billing/samconfig.toml", SAMCONFIG_OVERRIDE),
        ],
    );
    let code = read(&options(dir.path(), &[("shop", "shop/template.yaml")], &[]));
    assert!(code.errors.is_empty(), "{:?}", code.errors);
    let id = |s: &Stage| code.link(s).map(|l| l.origin.id);
    // An explicit stage resource, by its own tags.
    assert_eq!(
        id(&live(
            ApiKind::Rest,
            "a1",
            "live",
            cfn("shop", "LiveStage"),
            cfn("shop", "Api")
        ))
        .unwrap(),
        "shop/LiveStage"
    );
    // A deployment's stage has no tags: its API's name it, and the declared stage of that API
    // with its name is it.
    let beta = live(ApiKind::Rest, "a1", "beta", vec![], cfn("shop", "Api"));
    assert_eq!(id(&beta).unwrap(), "shop/Deployment");
    assert_eq!(code.link(&beta).unwrap().origin.line, Some(7));
    // Another stage of that API that the template does not declare.
    assert_eq!(
        id(&live(
            ApiKind::Rest,
            "a1",
            "gamma",
            vec![],
            cfn("shop", "Api")
        )),
        Err(Unlinked::NotInTemplate {
            stack: "shop".into(),
            logical_id: "Api".into()
        })
    );
    // v2 by tags; a REST stage never matches a v2 declaration.
    assert_eq!(
        id(&live(
            ApiKind::WebSocket,
            "w1",
            "live",
            cfn("shop", "WsStage"),
            vec![]
        ))
        .unwrap(),
        "shop/WsStage"
    );
    assert!(id(&live(
        ApiKind::Rest,
        "a1",
        "live",
        cfn("shop", "WsStage"),
        vec![]
    ))
    .is_err());
    // SAM's generated stage id, the stack from samconfig.toml.
    assert_eq!(
        id(&live(
            ApiKind::Rest,
            "o1",
            "prod",
            cfn("orders", "OrdersApiprodStage"),
            vec![]
        ))
        .unwrap(),
        "orders/OrdersApi"
    );
    // OrdersApi declares two stages (its own and SAM's `Stage`): the live one's name decides.
    let declared_name = |s: &Stage| {
        let l = code.link(s).unwrap();
        code.inventories[l.inventory].stages[l.stage]
            .name
            .to_string()
    };
    let orders_prod = live(
        ApiKind::Rest,
        "o1",
        "prod",
        cfn("orders", "OrdersApiprodStage"),
        vec![],
    );
    assert_eq!(declared_name(&orders_prod), "prod");
    let sam_stage = live(
        ApiKind::Rest,
        "o1",
        "Stage",
        vec![],
        cfn("orders", "OrdersApi"),
    );
    assert_eq!(declared_name(&sam_stage), "Stage");
    // A parameter overridden at deploy: SAM's id carries the deployed name.
    assert_eq!(
        id(&live(
            ApiKind::Rest,
            "b1",
            "prod",
            cfn("billing", "BillingApiprodStage"),
            vec![]
        ))
        .unwrap(),
        "billing/BillingApi"
    );
    // A stack nothing under the tree deploys as; no tags at all.
    assert_eq!(
        id(&live(
            ApiKind::Rest,
            "z1",
            "v1",
            cfn("elsewhere", "ZStage"),
            vec![]
        )),
        Err(Unlinked::UnknownStack {
            stack: "elsewhere".into(),
            logical_id: "ZStage".into()
        })
    );
    assert_eq!(
        id(&live(ApiKind::Http, "h1", "$default", vec![], vec![])),
        Err(Unlinked::Unclaimed)
    );
}

const MODULE: &str = r#"variable "api" { type = string }
resource "aws_api_gateway_stage" "this" {
  rest_api_id   = var.api
  deployment_id = "d"
  stage_name    = "prod"
}
"#;

fn root_calling(api: &str) -> String {
    format!("module \"shop\" {{\n  source = \"../../modules/stage\"\n  api    = \"{api}\"\n}}\n")
}

fn state(api: &str) -> String {
    format!(
        r#"{{"version":4,"resources":[{{"module":"module.shop","mode":"managed","type":"aws_api_gateway_stage","name":"this","instances":[{{"attributes":{{"rest_api_id":"{api}","stage_name":"prod"}}}}]}}]}}"#
    )
}

#[test]
fn terraform_stages_by_state_in_the_root_that_holds_it() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("modules/stage/main.tf", MODULE),
            ("envs/dev/main.tf", &root_calling("devapi")),
            ("envs/prod/main.tf", &root_calling("prodapi")),
            ("envs/prod/terraform.tfstate", &state("prodapi")),
        ],
    );
    let code = read(&options(dir.path(), &[], &["envs/prod/terraform.tfstate"]));
    assert!(code.errors.is_empty(), "{:?}", code.errors);
    let link = code
        .link(&live(ApiKind::Rest, "prodapi", "prod", vec![], vec![]))
        .unwrap();
    assert_eq!(link.origin.id, "module.shop.aws_api_gateway_stage.this");
    assert_eq!(link.origin.by, "terraform state");
    assert!(
        link.origin.file.ends_with("modules/stage/main.tf"),
        "{:?}",
        link.origin
    );
    assert_eq!(link.origin.line, Some(2));
    // Both roots declare the address: the one holding the state is it.
    assert!(
        link.origin.via[0].file.ends_with("envs/prod/main.tf"),
        "{:?}",
        link.origin.via
    );
    // The dev stage is in no given state.
    assert_eq!(
        code.link(&live(ApiKind::Rest, "devapi", "prod", vec![], vec![])),
        Err(Unlinked::Unclaimed)
    );

    // Drift: prod linked, dev's declaration not judged (no state covers its root) but counted.
    let drift = code.drift(&[Inventory {
        stages: vec![live(ApiKind::Rest, "prodapi", "prod", vec![], vec![])],
        live: true,
        ..Inventory::default()
    }]);
    let pairs = &drift.inventory.drift;
    assert_eq!(pairs.len(), 1, "{pairs:#?}");
    assert!(
        pairs[0].declared.is_some()
            && pairs[0]
                .live
                .as_ref()
                .unwrap()
                .location
                .defined_at
                .is_some()
    );
    assert!(
        drift
            .notes
            .iter()
            .any(|n| n.starts_with("1 declared Terraform stage(s) in roots no --tf-state covers")),
        "{:?}",
        drift.notes
    );
}

#[test]
fn a_bad_state_is_an_error_of_its_file_and_the_rest_is_read() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("shop/template.yaml", TEMPLATE),
            ("bad.tfstate", "{\n\"version\": 4,\n\"resources\": [\n}"),
        ],
    );
    let code = read(&options(
        dir.path(),
        &[("shop", "shop/template.yaml")],
        &["bad.tfstate"],
    ));
    assert_eq!(code.errors.len(), 1, "{:?}", code.errors);
    assert!(code.errors[0]
        .file
        .as_deref()
        .unwrap()
        .ends_with("bad.tfstate"));
    assert_eq!(code.errors[0].line, Some(4));
    assert!(
        code.errors[0].message.starts_with("--tf-state: not JSON"),
        "{}",
        code.errors[0].message
    );
    assert!(code
        .link(&live(
            ApiKind::Rest,
            "a1",
            "live",
            cfn("shop", "LiveStage"),
            vec![]
        ))
        .is_ok());
}

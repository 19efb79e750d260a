//! A format `fix` rewrites keeps every field whose variable AWS documents for the API kind
//! (under its old key), and loses only the variables API Gateway cannot fill in.
use stagelog_fix::{plan, Options};
use stagelog_rules::{check, Config, Selection};

/// A REST stage logging the routing rule and response streaming variables AWS's
/// troubleshooting pages recommend, with a variable REST APIs do not have (`routeKey`) and
/// without the caller's IP (SL005).
const TERRAFORM: &str = r#"resource "aws_api_gateway_stage" "prod" {
  rest_api_id   = "abc123"
  deployment_id = "dep"
  stage_name    = "prod"

  access_log_settings {
    destination_arn = "arn:aws:logs:eu-west-1:123456789012:log-group:api"
    # Routing rules went live in March; keep the rule id.
    format = jsonencode({
      requestId = "$context.requestId"
      rule      = "$context.customDomain.routingRuleIdMatched"
      streamed  = "$context.integration.responseTransferMode"
      route     = "$context.routeKey"
    })
  }
}
"#;

const CLOUDFORMATION: &str = r#"AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Prod:
    Type: AWS::ApiGateway::Stage
    Properties:
      RestApiId: abc123
      DeploymentId: dep
      StageName: prod
      AccessLogSetting:
        DestinationArn: arn:aws:logs:eu-west-1:123456789012:log-group:api
        Format: '{"requestId":"$context.requestId","rule":"$context.customDomain.routingRuleIdMatched","firstByte":"$context.integration.timeToFirstContent","route":"$context.routeKey"}'
"#;

#[test]
fn a_rewritten_format_keeps_what_aws_documents_and_drops_what_it_does_not() {
    for (name, src, kept) in [
        (
            "main.tf",
            TERRAFORM,
            &[
                ("rule", "customDomain.routingRuleIdMatched"),
                ("streamed", "integration.responseTransferMode"),
            ][..],
        ),
        (
            "template.yaml",
            CLOUDFORMATION,
            &[
                ("rule", "customDomain.routingRuleIdMatched"),
                ("firstByte", "integration.timeToFirstContent"),
            ][..],
        ),
    ] {
        let scanned = stagelog_iac::scan_sources(&[(name, src)], true);
        let sel = Selection {
            select: vec!["SL004".into(), "SL005".into()],
            ignore: vec![],
        };
        let findings: Vec<_> = scanned
            .inventories
            .iter()
            .flat_map(|inv| check(inv, &Config::default(), &sel))
            .collect();
        let rules: Vec<&str> = findings.iter().map(|f| f.rule_id).collect();
        assert!(
            rules.contains(&"SL004") && rules.contains(&"SL005"),
            "{name}: {rules:?}"
        );
        // Only `routeKey` is unknown: the documented variables are not reported.
        let sl004: Vec<&str> = findings
            .iter()
            .filter(|f| f.rule_id == "SL004")
            .map(|f| f.message.as_str())
            .collect();
        assert_eq!(sl004.len(), 1, "{name}: {sl004:?}");
        assert!(
            sl004[0].contains("$context.routeKey") && !sl004[0].contains("routingRule"),
            "{}",
            sl004[0]
        );
        let fixes = plan(&scanned, &findings, &Options::default());
        assert_eq!(fixes.files.len(), 1, "{name}");
        let after = &fixes.files[0].after;
        for (key, var) in kept {
            assert!(
                after.contains(&format!("$context.{var}")) && after.contains(key),
                "{name}: lost {key} = {var}:\n{after}"
            );
        }
        assert!(!after.contains("$context.routeKey"), "{name}:\n{after}");
        assert!(
            after.contains("$context.identity.sourceIp"),
            "{name}:\n{after}"
        );
        // Rescanned, the fixed file draws neither rule.
        let rescanned = stagelog_iac::scan_sources(&[(name, after)], true);
        let left: Vec<_> = rescanned
            .inventories
            .iter()
            .flat_map(|inv| check(inv, &Config::default(), &sel))
            .map(|f| f.message)
            .collect();
        assert!(left.is_empty(), "{name}: {left:?}\n{after}");
    }
}

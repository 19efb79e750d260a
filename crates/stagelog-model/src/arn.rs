//! ARNs: the partition of a region, typed log group and stage ARNs, and what API Gateway
//! accepts as an access log destination, judged on text that may have holes.

use crate::{Segment, Text};
use std::fmt;

/// The partition a region belongs to (`aws`, `aws-cn`, `aws-us-gov`, …): one table for every
/// ARN stagelog builds.
pub fn partition_of_region(region: &str) -> &'static str {
    const BY_PREFIX: &[(&str, &str)] = &[
        ("cn-", "aws-cn"),
        ("us-gov-", "aws-us-gov"),
        ("us-isob-", "aws-iso-b"),
        ("us-isof-", "aws-iso-f"),
        ("eu-isoe-", "aws-iso-e"),
        ("us-iso-", "aws-iso"),
        ("eusc-", "aws-eusc"),
    ];
    BY_PREFIX
        .iter()
        .find(|(prefix, _)| region.starts_with(prefix))
        .map_or("aws", |(_, p)| p)
}

/// `arn:PARTITION:apigateway:REGION::/account`: API Gateway's settings of an account in a
/// region (the CloudWatch role).
pub fn apigateway_account(region: &str) -> String {
    format!(
        "arn:{}:apigateway:{region}::/account",
        partition_of_region(region)
    )
}

/// `arn:PARTITION:securityhub:REGION:ACCOUNT:product/ACCOUNT/default`: the product an account
/// imports its own findings as (BatchImportFindings), in that region's partition.
pub fn securityhub_default_product(region: &str, account: &str) -> String {
    format!(
        "arn:{}:securityhub:{region}:{account}:product/{account}/default",
        partition_of_region(region)
    )
}

/// `arn:PARTITION:iam::ACCOUNT:role/NAME`.
pub fn iam_role(partition: &str, account: &str, name: &str) -> String {
    format!("arn:{partition}:iam::{account}:role/{name}")
}

/// `arn:PARTITION:logs:REGION:ACCOUNT:log-group:NAME`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LogGroupArn {
    pub partition: String,
    pub region: String,
    pub account: String,
    pub name: String,
}

impl LogGroupArn {
    /// The ARN of log group `name` in that account and region (partition from the region).
    pub fn new(region: &str, account: &str, name: &str) -> LogGroupArn {
        LogGroupArn {
            partition: partition_of_region(region).to_string(),
            region: region.to_string(),
            account: account.to_string(),
            name: name.to_string(),
        }
    }

    /// Reads a log group ARN; the `:*` CloudFormation's `GetAtt` adds is dropped.
    pub fn parse(arn: &str) -> Option<LogGroupArn> {
        let arn = normalise(arn);
        let mut parts = arn.splitn(6, ':');
        let (head, partition, service, region, account, resource) = (
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
        );
        let name = resource.strip_prefix("log-group:")?;
        (head == "arn" && service == "logs" && !name.is_empty()).then(|| LogGroupArn {
            partition: partition.to_string(),
            region: region.to_string(),
            account: account.to_string(),
            name: name.to_string(),
        })
    }
}

impl fmt::Display for LogGroupArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:logs:{}:{}:log-group:{}",
            self.partition, self.region, self.account, self.name
        )
    }
}

/// `arn:PARTITION:apigateway:REGION::/restapis/ID/stages/NAME` (REST) or `…/apis/ID/stages/NAME` (v2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StageArn {
    pub partition: String,
    pub region: String,
    /// True for REST APIs (`/restapis/`), false for HTTP and WebSocket APIs (`/apis/`).
    pub rest: bool,
    pub api_id: String,
    pub stage: String,
}

impl StageArn {
    pub fn new(region: &str, rest: bool, api_id: &str, stage: &str) -> StageArn {
        StageArn {
            partition: partition_of_region(region).to_string(),
            region: region.to_string(),
            rest,
            api_id: api_id.to_string(),
            stage: stage.to_string(),
        }
    }

    pub fn parse(arn: &str) -> Option<StageArn> {
        let rest_of = arn.strip_prefix("arn:")?;
        let (partition, rest_of) = rest_of.split_once(':')?;
        let rest_of = rest_of.strip_prefix("apigateway:")?;
        let (region, path) = rest_of.split_once("::/")?;
        let parts: Vec<&str> = path.splitn(4, '/').collect();
        let (rest, api_id, stage) = match parts.as_slice() {
            ["restapis", id, "stages", name] => (true, *id, *name),
            ["apis", id, "stages", name] => (false, *id, *name),
            _ => return None,
        };
        (!api_id.is_empty() && !stage.is_empty()).then(|| StageArn {
            partition: partition.to_string(),
            region: region.to_string(),
            rest,
            api_id: api_id.to_string(),
            stage: stage.to_string(),
        })
    }

    /// The log group API Gateway writes this stage's execution logs to.
    pub fn execution_log_group(&self) -> String {
        format!("API-Gateway-Execution-Logs_{}/{}", self.api_id, self.stage)
    }
}

impl fmt::Display for StageArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = if self.rest { "restapis" } else { "apis" };
        write!(
            f,
            "arn:{}:apigateway:{}::/{kind}/{}/stages/{}",
            self.partition, self.region, self.api_id, self.stage
        )
    }
}

const PARTITIONS: &[&str] = &[
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
];

/// Stands for a hole inside a component: never part of a real ARN.
const HOLE: char = '\u{1}';

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DestinationVerdict {
    /// A CloudWatch Logs log group ARN (or one that may be, given its holes).
    LogGroup,
    /// A Kinesis Data Firehose stream whose name starts `amazon-apigateway-`.
    Firehose,
    /// Nothing is known: the whole value is unresolved.
    Unknown,
    /// Not acceptable, with the reason.
    Invalid(String),
}

/// A normalised log group ARN: the `:*` that CloudFormation's `GetAtt LogGroup.Arn` returns is
/// dropped so ARNs compare equal however they were written.
pub fn normalise(arn: &str) -> &str {
    arn.strip_suffix(":*").unwrap_or(arn)
}

/// Judges a destination ARN. Holes match anything within one `:`-separated component.
pub fn judge_destination(arn: &Text) -> DestinationVerdict {
    if arn.is_opaque() || arn.is_empty() {
        return if arn.is_empty() {
            DestinationVerdict::Invalid("the destination is empty".into())
        } else {
            DestinationVerdict::Unknown
        };
    }
    let mut flat = String::new();
    for seg in arn.segments() {
        match seg {
            Segment::Lit(s) => flat.push_str(s),
            Segment::Hole(_) => flat.push(HOLE),
        }
    }
    judge_flat(flat.trim_end_matches(":*"), arn.has_holes())
}

fn judge_flat(s: &str, has_holes: bool) -> DestinationVerdict {
    use DestinationVerdict::*;
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    if parts.len() < 6 {
        if has_holes && parts.len() >= 2 && parts.iter().any(|p| p.contains(HOLE)) {
            // A hole may carry several components, e.g. `${prefix}:log-group:x`.
            return Unknown;
        }
        return Invalid(format!(
            "`{}` is not an ARN (expected arn:PARTITION:logs:REGION:ACCOUNT:log-group:NAME)",
            show(s)
        ));
    }
    let (head, partition, service, region, account, resource) =
        (parts[0], parts[1], parts[2], parts[3], parts[4], parts[5]);
    if !wild_eq(head, "arn") {
        return Invalid(format!("`{}` does not start with `arn:`", show(s)));
    }
    if service.contains(HOLE) {
        return Unknown;
    }
    if service != "logs" && service != "firehose" {
        return Invalid(format!(
            "API Gateway delivers access logs only to CloudWatch Logs or Kinesis Data Firehose, not `{service}`"
        ));
    }
    if !is_wild(partition) && !PARTITIONS.contains(&partition) {
        return Invalid(format!("unknown partition `{partition}`"));
    }
    if !is_wild(region) && !valid_region(region) {
        return Invalid(format!("`{}` is not a valid region", show(region)));
    }
    if !is_wild(account) && !is_account_id(account) {
        return Invalid(format!("`{}` is not a 12-digit account id", show(account)));
    }
    match service {
        "logs" => {
            let Some(name) = resource.strip_prefix("log-group:") else {
                if resource.starts_with(HOLE) {
                    return Unknown;
                }
                return Invalid(format!(
                    "a CloudWatch Logs destination must be a log group (`log-group:NAME`), not `{}`",
                    show(resource)
                ));
            };
            // A log group name may itself not contain ':'; `:*` was stripped above.
            if name.is_empty() {
                return Invalid("the log group name is empty".into());
            }
            if let Some(bad) = name
                .chars()
                .find(|c| *c != HOLE && !(c.is_ascii_alphanumeric() || "._-/#".contains(*c)))
            {
                return Invalid(format!(
                    "log group name `{}` has `{bad}`, which CloudWatch Logs does not allow",
                    show(name)
                ));
            }
            LogGroup
        }
        _ => {
            // firehose (the only other service let through above)
            let Some(name) = resource.strip_prefix("deliverystream/") else {
                return Invalid(format!(
                    "a Firehose destination must be a delivery stream, not `{}`",
                    show(resource)
                ));
            };
            if name.starts_with(HOLE) || name.starts_with("amazon-apigateway-") {
                Firehose
            } else {
                Invalid(format!(
                    "Firehose stream `{}` must be named `amazon-apigateway-…` for API Gateway to deliver to it",
                    show(name)
                ))
            }
        }
    }
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_wild(s: &str) -> bool {
    s.contains(HOLE)
}

fn wild_eq(s: &str, want: &str) -> bool {
    s == want || s.contains(HOLE)
}

fn valid_region(r: &str) -> bool {
    // e.g. us-east-1, eu-central-2, us-gov-west-1, cn-north-1, us-isob-east-1
    let parts: Vec<&str> = r.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[0].bytes().all(|b| b.is_ascii_lowercase())
        && parts[1..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1]
            .parse::<u8>()
            .is_ok_and(|n| n > 0 && n < 20)
}

fn show(s: &str) -> String {
    s.replace(HOLE, "…")
}

/// The region written in an ARN, when it is known.
pub fn region_of(arn: &Text) -> Option<String> {
    let known = arn.as_known()?;
    let region = known.split(':').nth(3)?;
    (!region.is_empty()).then(|| region.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use DestinationVerdict::*;

    fn judge(s: &str) -> DestinationVerdict {
        judge_destination(&Text::lit(s))
    }

    #[test]
    fn partitions_and_typed_arns() {
        assert_eq!(partition_of_region("eu-west-1"), "aws");
        assert_eq!(partition_of_region("cn-northwest-1"), "aws-cn");
        assert_eq!(partition_of_region("us-gov-west-1"), "aws-us-gov");
        assert_eq!(partition_of_region("us-isob-east-1"), "aws-iso-b");
        assert_eq!(partition_of_region("us-iso-east-1"), "aws-iso");
        assert_eq!(partition_of_region("eusc-de-east-1"), "aws-eusc");
        let g = LogGroupArn::new("cn-north-1", "123456789012", "/a/b");
        assert_eq!(
            g.to_string(),
            "arn:aws-cn:logs:cn-north-1:123456789012:log-group:/a/b"
        );
        assert_eq!(LogGroupArn::parse(&format!("{g}:*")), Some(g));
        assert_eq!(LogGroupArn::parse("arn:aws:s3:::x"), None);
        let s = StageArn::parse("arn:aws:apigateway:eu-west-1::/apis/abc/stages/$default").unwrap();
        assert!(!s.rest);
        assert_eq!((s.api_id.as_str(), s.stage.as_str()), ("abc", "$default"));
        assert_eq!(
            s.to_string(),
            "arn:aws:apigateway:eu-west-1::/apis/abc/stages/$default"
        );
        let r = StageArn::new("us-gov-east-1", true, "r1", "prod");
        assert_eq!(StageArn::parse(&r.to_string()), Some(r.clone()));
        assert_eq!(
            r.execution_log_group(),
            "API-Gateway-Execution-Logs_r1/prod"
        );
        // Built in the region's partition, never `aws` by default.
        assert_eq!(
            apigateway_account("cn-north-1"),
            "arn:aws-cn:apigateway:cn-north-1::/account"
        );
        assert_eq!(
            securityhub_default_product("us-gov-west-1", "123456789012"),
            "arn:aws-us-gov:securityhub:us-gov-west-1:123456789012:product/123456789012/default"
        );
        assert_eq!(
            iam_role("aws", "123456789012", "audit"),
            "arn:aws:iam::123456789012:role/audit"
        );
    }

    #[test]
    fn accepts_log_groups_with_and_without_star() {
        assert_eq!(
            judge("arn:aws:logs:us-east-1:123456789012:log-group:/aws/api/x"),
            LogGroup
        );
        assert_eq!(
            judge("arn:aws:logs:us-east-1:123456789012:log-group:/aws/api/x:*"),
            LogGroup
        );
        assert_eq!(
            judge("arn:aws-us-gov:logs:us-gov-west-1:123456789012:log-group:a#b"),
            LogGroup
        );
    }

    #[test]
    fn accepts_amazon_apigateway_firehose_only() {
        assert_eq!(
            judge("arn:aws:firehose:eu-west-1:123456789012:deliverystream/amazon-apigateway-x"),
            Firehose
        );
        assert!(matches!(
            judge("arn:aws:firehose:eu-west-1:123456789012:deliverystream/my-stream"),
            Invalid(_)
        ));
    }

    #[test]
    fn rejects_non_arns_and_other_services() {
        assert!(matches!(judge("not-an-arn"), Invalid(_)));
        assert!(matches!(judge(""), Invalid(_)));
        assert!(
            matches!(judge("arn:aws:s3:::my-bucket"), Invalid(why) if why.contains("not `s3`"))
        );
        assert!(matches!(
            judge("arn:aws:logs:useast1:123456789012:log-group:x"),
            Invalid(_)
        ));
        assert!(matches!(
            judge("arn:aws:logs:us-east-1:1234:log-group:x"),
            Invalid(_)
        ));
        assert!(matches!(
            judge("arn:aws:logs:us-east-1:123456789012:destination:x"),
            Invalid(_)
        ));
    }

    #[test]
    fn holes_are_wildcards_within_a_component() {
        let mut t = Text::lit("arn:");
        t.push_hole("AWS::Partition");
        t.push_lit(":logs:");
        t.push_hole("AWS::Region");
        t.push_lit(":");
        t.push_hole("AWS::AccountId");
        t.push_lit(":log-group:");
        t.push_hole("LogGroup");
        assert_eq!(judge_destination(&t), LogGroup);
        assert_eq!(judge_destination(&Text::hole("var.arn")), Unknown);
        let mut s3 = Text::lit("arn:aws:s3:::");
        s3.push_hole("bucket");
        assert!(matches!(judge_destination(&s3), Invalid(_)));
    }
}

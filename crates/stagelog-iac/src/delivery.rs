//! Execution-log deliveries as both Terraform and CloudFormation declare them: a delivery
//! source (log type `EXECUTION_LOGS`, the stage's ARN as its resource), a delivery destination
//! (a log group, bucket or stream), and the delivery joining them. Each adapter collects the
//! three kinds with its own evaluator; this links them to the inventory's stages and log
//! groups, by reference where the source refers and by name or ARN where it writes text.

use crate::value::Val;
use rustc_hash::FxHashMap as HashMap;
use stagelog_model::{ExecutionDelivery, Inventory, Location, Text};

/// `aws_cloudwatch_log_delivery_source` / `AWS::Logs::DeliverySource`.
pub(crate) struct Source {
    /// How other resources refer to it: the Terraform address or the logical id.
    pub key: String,
    pub name: Text,
    pub log_type: Text,
    pub resource_arn: Val,
}

/// `aws_cloudwatch_log_delivery_destination` / `AWS::Logs::DeliveryDestination`.
pub(crate) struct Destination {
    pub key: String,
    pub name: Text,
    /// `destination_resource_arn` / `DestinationResourceArn`.
    pub resource_arn: Val,
}

/// `aws_cloudwatch_log_delivery` / `AWS::Logs::Delivery`.
pub(crate) struct Delivery {
    /// `delivery_source_name` / `DeliverySourceName`.
    pub source: Val,
    /// `delivery_destination_arn` / `DeliveryDestinationArn`.
    pub destination: Val,
    pub location: Location,
}

/// `${expr}` → `expr`: the expression a hole stands for, or the text itself.
fn bare(s: &str) -> &str {
    s.strip_prefix("${")
        .and_then(|s| s.strip_suffix('}'))
        .unwrap_or(s)
}

/// The stage a source's resource ARN names: `aws_api_gateway_stage.prod.arn` (by reference),
/// or an ARN text `arn:…:apigateway:REGION:ACCOUNT:/restapis/API/stages/STAGE` whose API and
/// stage are literal ids and names or references to the API and stage resources.
fn stage_of(arn: &Val, inv: &Inventory) -> Option<usize> {
    if let Val::Ref { addr, .. } = arn {
        if let Some(i) = inv.stages.iter().position(|s| s.location.resource == *addr) {
            return Some(i);
        }
    }
    let text = arn.to_text().to_string();
    let (_, path) = text.split_once("/restapis/")?;
    let (api, stage) = path.split_once("/stages/")?;
    let (api, stage) = (bare(api), bare(stage));
    inv.stages.iter().position(|s| {
        let same_api = s.api.as_ref().is_some_and(|a| {
            let a = a.to_string();
            let a = bare(&a);
            a == api || a.strip_suffix(".id") == Some(api) || api.strip_suffix(".id") == Some(a)
        });
        // A reference to the stage resource (`aws_api_gateway_stage.prod.stage_name`, the
        // stage's logical id) or its name.
        let same_stage = s.name.to_string() == stage
            || s.location.resource == stage
            || stage
                .rsplit_once('.')
                .is_some_and(|(addr, _)| s.location.resource == addr);
        same_api && same_stage
    })
}

/// Whether `v` refers to the resource `key` (by reference) or equals `name` (as text).
fn names(v: &Val, key: &str, name: &Text) -> bool {
    match v {
        Val::Ref { addr, .. } => addr == key,
        other => {
            let t = other.to_text();
            !t.has_holes() && t == *name
        }
    }
}

/// Links each delivery of execution logs to its stage and destination.
pub(crate) fn attach(
    inv: &mut Inventory,
    sources: &[Source],
    destinations: &[Destination],
    deliveries: Vec<Delivery>,
    groups: &HashMap<String, usize>,
) {
    for d in deliveries {
        let Some(source) = sources.iter().find(|s| names(&d.source, &s.key, &s.name)) else {
            continue;
        };
        // Only execution logs; a source whose type is not known here is not guessed into one.
        if source.log_type.as_known().as_deref() != Some("EXECUTION_LOGS") {
            continue;
        }
        let Some(stage) = stage_of(&source.resource_arn, inv) else {
            continue;
        };
        let target = destinations.iter().find(|dest| match &d.destination {
            Val::Ref { addr, .. } => *addr == dest.key,
            // A destination written as its ARN: `…:delivery-destination:NAME`.
            other => other
                .to_text()
                .as_known()
                .and_then(|arn| {
                    arn.rsplit_once(":delivery-destination:")
                        .map(|(_, n)| n.to_string())
                })
                .is_some_and(|n| dest.name.as_known().as_deref() == Some(n.as_str())),
        });
        let (destination, log_group) = match target {
            Some(dest) => (
                dest.resource_arn.to_text(),
                match &dest.resource_arn {
                    // An instance's address (Terraform's `access["eu"]`), else the resource's.
                    Val::Ref { addr, .. } => groups
                        .get(addr)
                        .or_else(|| groups.get(addr.split('[').next().unwrap_or(addr)))
                        .copied(),
                    other => group_by_arn(inv, &other.to_text()),
                },
            ),
            None => (d.destination.to_text(), None),
        };
        inv.stages[stage]
            .execution_deliveries
            .push(ExecutionDelivery {
                destination,
                log_group,
                location: d.location,
            });
    }
}

/// The log group of the inventory a log-group ARN text names.
fn group_by_arn(inv: &Inventory, arn: &Text) -> Option<usize> {
    let name = stagelog_model::arn::LogGroupArn::parse(&arn.as_known()?)?.name;
    inv.log_groups
        .iter()
        .position(|g| g.name.as_known().as_deref() == Some(name.as_str()))
}

//! `stagelog lambda` (the `lambda` build): stagelog as an AWS Lambda function on the
//! `provided.al2023` runtime, through the `lambda_runtime` crate.
//!
//! Each invocation is one of:
//! - an EventBridge event carrying a CloudTrail record of an API Gateway call (the rule of
//!   `stagelog guardrails --format eventbridge`): the API and stage it names are audited, as
//!   `stagelog audit --cloudtrail-event` does, and the findings optionally sent to Security Hub;
//! - an AWS Config custom rule invocation (`--format config`): the stage of the configuration
//!   item (or, for a periodic run, every stage of the region) is audited and each stage's
//!   verdict returned to Config with `PutEvaluations`.
//!
//! Settings come from the function's environment (docs/guardrails.md): `STAGELOG_SECURITY_HUB`
//! (`true` sends findings to Security Hub), a `stagelog.toml` in the package (the policy, as
//! for `scan`), and the SDK's own variables (`AWS_REGION`, `AWS_ENDPOINT_URL`).

use anyhow::{anyhow, Result};
use serde_json::{json, Value as Json};
use stagelog_aws::cloudtrail::{self, Focus};
use stagelog_aws::config::{self, Evaluation, Subject};
use stagelog_aws::securityhub::Resolve;
use stagelog_aws::AuditOptions;
use stagelog_model::arn::StageArn;
use stagelog_model::Inventory;
use stagelog_model::Severity;
use stagelog_pipeline::{ExitStatus, FailOn, Pipeline, PolicyOptions};
use std::sync::Arc;

/// What every invocation shares, read once when the function starts.
struct Settings {
    pipeline: Pipeline,
    security_hub: bool,
    /// A stage is NON_COMPLIANT for Config with a finding at or above this severity: the
    /// policy's `fail_on`, else `low` (as for `scan`'s exit status).
    fail_on: Option<Severity>,
}

pub fn run() -> Result<ExitStatus> {
    let pipeline = Pipeline::load(
        &PolicyOptions::default(),
        std::path::Path::new("."),
        crate::hints::hint,
    )?;
    let fail_on = match crate::inputs::policy_fail_on(&pipeline.policy) {
        FailOn::At(severity) => Some(severity),
        FailOn::Never => None,
    };
    let settings = Arc::new(Settings {
        pipeline,
        fail_on,
        security_hub: std::env::var("STAGELOG_SECURITY_HUB")
            .is_ok_and(|v| matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "yes")),
    });
    let handler = lambda_runtime::service_fn(move |event: lambda_runtime::LambdaEvent<Json>| {
        let settings = settings.clone();
        async move { handle(event.payload, &settings).await }
    });
    super::live::tokio_runtime()?
        .block_on(lambda_runtime::run(handler))
        .map_err(|e| anyhow!("the Lambda runtime stopped: {e}"))?;
    Ok(ExitStatus::Clean)
}

/// One invocation: what was judged, as JSON (the function's response and its log line).
async fn handle(event: Json, settings: &Settings) -> Result<Json, lambda_runtime::Diagnostic> {
    let started = std::time::Instant::now();
    let answer = if config::is_invocation(&event) {
        config_rule(&event, settings).await
    } else {
        change(&event, settings).await
    };
    // Lambda reports a failed invocation by type and message (and EventBridge retries it).
    let mut answer = answer.map_err(|message| {
        eprintln!("stagelog: error: {message}");
        lambda_runtime::Diagnostic {
            error_type: "stagelog".into(),
            error_message: message,
        }
    })?;
    answer["millis"] = json!(started.elapsed().as_millis() as u64);
    // One line per invocation in the function's log group: what CloudWatch Logs Insights reads.
    println!("{answer}");
    Ok(answer)
}

/// The scope of the audit: the event's account (the function's own credentials) and region.
fn options(region: &str, focus: Option<Focus>) -> AuditOptions {
    AuditOptions {
        regions: vec![region.to_string()],
        concurrency: 1,
        focus,
        // The function's pace, as `--max-rate` sets the command's (default 5 a second).
        max_rate: std::env::var("STAGELOG_MAX_RATE")
            .ok()
            .and_then(|v| v.parse().ok())
            .filter(|r: &f64| r.is_finite() && *r > 0.0),
        ..AuditOptions::default()
    }
}

/// An EventBridge (CloudTrail) event: the API and stage it names, judged.
async fn change(event: &Json, settings: &Settings) -> Result<Json, String> {
    let scope = cloudtrail::event_scope(event)?;
    let focus = scope.focus.clone();
    let opts = options(&scope.region, focus.clone());
    let out = stagelog_aws::audit(opts.clone()).await;
    // The function reads its own account: an event forwarded from another account's bus
    // would be judged on the wrong account's API (or not found), so it is refused by name.
    if let (Some(event_account), Some((own, _))) = (&scope.account, out.covered.first()) {
        if event_account != own {
            return Err(format!(
                "the event is from account {event_account}, and this function reads account {own}: deploy the function in each account (a StackSet) rather than forwarding events"
            ));
        }
    }
    let inventories = out.inventories;
    let mut report = settings.pipeline.judge(&inventories, out.errors, 0);
    let mut answer = json!({
        "event": scope.event_name,
        "account": scope.account,
        "region": scope.region,
    });
    if settings.security_hub {
        let resolve = match &focus {
            Some(f) => Resolve::Only(read_resources(&inventories, f, &scope.region)),
            None => Resolve::Scope,
        };
        answer["security_hub"] = export(&opts, &inventories, &mut report, &resolve).await;
    }
    finish(answer, &report)
}

/// The report's findings and errors in the answer; an invocation whose every read failed is a
/// failed invocation (Lambda counts it, EventBridge retries it).
fn finish(mut answer: Json, report: &stagelog_report::Report) -> Result<Json, String> {
    answer["stages"] = json!(report.stages);
    answer["findings"] = report
        .findings
        .iter()
        .map(|f| {
            json!({
                "rule": f.rule_id,
                "severity": f.severity.as_str(),
                "resource": f.location.resource,
                "stage": f.stage,
                "message": f.message,
            })
        })
        .collect();
    answer["errors"] = report.errors.iter().map(|e| json!(e.to_string())).collect();
    if !report.errors.is_empty() && report.stages == 0 {
        return Err(format!("nothing could be judged: {answer}"));
    }
    Ok(answer)
}

/// What an audit of one API (or stage) read: its stages, their log groups, and the stage the
/// event named (gone now, if it was deleted) — the findings Security Hub may resolve.
fn read_resources(inventories: &[Inventory], focus: &Focus, region: &str) -> Vec<String> {
    let mut out: Vec<String> = inventories
        .iter()
        .flat_map(|inv| {
            inv.stages
                .iter()
                .map(|s| s.location.resource.clone())
                .chain(inv.log_groups.iter().map(|g| g.location.resource.clone()))
        })
        .collect();
    // The stage named, or (an API-wide change: CreateApi, an import) the ARN prefix of every
    // stage of the API.
    let stage = focus.stage.as_deref().unwrap_or("");
    out.push(StageArn::new(region, focus.rest, &focus.api_id, stage).to_string());
    out
}

/// Sends the findings to Security Hub in the event's account and region.
async fn export(
    opts: &AuditOptions,
    inventories: &[Inventory],
    report: &mut stagelog_report::Report,
    resolve: &Resolve,
) -> Json {
    let asff = stagelog_report::AsffOptions::from_env();
    let findings = stagelog_report::asff_findings(report, &asff);
    let scopes = super::live::export_scopes(inventories);
    let outcomes =
        stagelog_aws::securityhub::export(opts, &findings, &scopes, &asff.generated_at, resolve)
            .await;
    super::live::export_failures(&outcomes, report);
    outcomes
        .iter()
        .map(|o| json!({"account": o.account, "region": o.region, "imported": o.imported, "resolved": o.resolved}))
        .collect()
}

/// An AWS Config custom rule invocation: each stage's verdict sent back with PutEvaluations.
async fn config_rule(event: &Json, settings: &Settings) -> Result<Json, String> {
    let invocation = config::invocation(event)?;
    let region = invocation
        .region
        .clone()
        .or_else(|| std::env::var("AWS_REGION").ok())
        .ok_or("the Config rule's region is unknown (no configRuleArn, no AWS_REGION)")?;
    let mut answer = json!({"config_rule": invocation.rule_name, "region": region});
    // What was read and judged (nothing for a deleted or foreign resource), and which of
    // Security Hub's earlier findings that reading may resolve.
    let (evaluations, judged) = match &invocation.what {
        Subject::Item(item) => match (item.gone, item.stage()) {
            (false, Some(stage)) => {
                let region = item.region.clone().unwrap_or(region.clone());
                let focus = config::focus_of(&stage);
                let opts = options(&region, Some(focus.clone()));
                let out = stagelog_aws::audit(opts.clone()).await;
                let report = settings.pipeline.judge(&out.inventories, out.errors, 0);
                let mut evaluations = evaluate(settings, &out.inventories, &item.capture_time);
                // The item's own identity, as Config recorded it, is what it evaluates.
                for e in &mut evaluations {
                    e.resource_type = item.resource_type.clone();
                    e.resource_id = item.resource_id.clone();
                }
                if evaluations.is_empty() && report.errors.is_empty() {
                    evaluations.push(not_applicable(item, "the stage no longer exists"));
                }
                let resolve = Resolve::Only(read_resources(&out.inventories, &focus, &region));
                (evaluations, Some((report, out.inventories, opts, resolve)))
            }
            (true, _) => (
                vec![not_applicable(item, "deleted or out of the rule's scope")],
                None,
            ),
            (false, None) => (vec![not_applicable(item, "not an API Gateway stage")], None),
        },
        Subject::Scheduled { ordering_time } => {
            let opts = options(&region, None);
            let out = stagelog_aws::audit(opts.clone()).await;
            let report = settings.pipeline.judge(&out.inventories, out.errors, 0);
            let evaluations = evaluate(settings, &out.inventories, ordering_time);
            (
                evaluations,
                Some((report, out.inventories, opts, Resolve::Scope)),
            )
        }
    };
    answer["evaluations"] = serde_json::to_value(&evaluations).map_err(|e| e.to_string())?;
    if !evaluations.is_empty() {
        let conf = stagelog_aws::sdk_config(&options(&region, None)).await;
        let refused =
            config::put_evaluations(&conf, &invocation.result_token, &evaluations).await?;
        answer["refused"] = json!(refused);
    }
    match judged {
        Some((mut report, inventories, opts, resolve)) => {
            if settings.security_hub {
                answer["security_hub"] = export(&opts, &inventories, &mut report, &resolve).await;
            }
            finish(answer, &report)
        }
        None => Ok(answer),
    }
}

fn not_applicable(item: &config::Item, why: &str) -> Evaluation {
    Evaluation {
        resource_type: item.resource_type.clone(),
        resource_id: item.resource_id.clone(),
        compliance: "NOT_APPLICABLE",
        annotation: why.to_string(),
        ordering_time: item.capture_time.clone(),
    }
}

/// Each stage judged alone: NON_COMPLIANT when a rule finds something at or above the policy's
/// `fail_on` about it (or about the account's CloudWatch role, without which its execution
/// logs cannot arrive), annotated with the rules and what they say.
fn evaluate(
    settings: &Settings,
    inventories: &[Inventory],
    ordering_time: &str,
) -> Vec<Evaluation> {
    let mut out = Vec::new();
    for inv in inventories {
        // The inventory around the stages, copied once rather than with every stage.
        let around = Inventory {
            stages: Vec::new(),
            ..inv.clone()
        };
        for stage in &inv.stages {
            let alone = Inventory {
                stages: vec![stage.clone()],
                ..around.clone()
            };
            let report = settings.pipeline.judge(&[alone], Vec::new(), 0);
            let about: Vec<String> = report
                .findings
                .iter()
                .filter(|f| settings.fail_on.is_some_and(|t| f.severity >= t))
                .filter(|f| f.stage.is_some() || f.rule_id == "SL030")
                .map(|f| format!("{}: {}", f.rule_id, f.message))
                .collect();
            let rest = matches!(stage.api_kind, stagelog_model::ApiKind::Rest);
            out.push(Evaluation {
                resource_type: if rest {
                    config::REST_STAGE
                } else {
                    config::V2_STAGE
                }
                .into(),
                resource_id: stage.location.resource.clone(),
                compliance: if about.is_empty() {
                    "COMPLIANT"
                } else {
                    "NON_COMPLIANT"
                },
                annotation: if about.is_empty() {
                    "access and execution logging as the rules require".into()
                } else {
                    about.join("; ")
                },
                ordering_time: ordering_time.to_string(),
            });
        }
    }
    out
}

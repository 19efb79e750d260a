//! Each finding's fix hint, rendered by its own source's code from the remedy: files by
//! `stagelog-fix` (Terraform, CloudFormation/SAM, serverless.yml), live findings by
//! `stagelog-aws`. The pipeline is given [`hint`] and calls it for every finding.

use stagelog_model::{Finding, SourceKind};

/// The fix hint for a finding, in its source's terms.
pub fn hint(f: &Finding) -> String {
    match f.location.source {
        SourceKind::Live => live(f),
        SourceKind::Terraform
        | SourceKind::CloudFormation
        | SourceKind::Sam
        | SourceKind::Serverless => stagelog_fix::hint(f).unwrap_or_default(),
    }
}

#[cfg(feature = "aws")]
fn live(f: &Finding) -> String {
    stagelog_aws::fix::hint(f)
}

/// Without the `aws` feature there is no live fixer to name.
#[cfg(not(feature = "aws"))]
fn live(f: &Finding) -> String {
    match &f.remedy {
        stagelog_model::Remedy::Manual { reason } => reason.clone(),
        _ => "stagelog fix --live (needs a stagelog built with AWS support)".into(),
    }
}

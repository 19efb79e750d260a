//! Where a module's resources are created: the AWS provider configuration's region and
//! account, as far as the configuration says them. A resource uses the default `aws`
//! provider or the one its `provider = aws.ALIAS` names; a called module inherits its
//! caller's default provider unless the call passes `providers = { aws = aws.ALIAS }`
//! (Terraform: "Providers Within Modules").
//!
//! The account is known from `allowed_account_ids` with one id, or from the account of
//! `assume_role { role_arn = … }`; the region from `region`.

use super::eval::{Evaluator, Scope};
use super::Module;
use crate::value::Val;
use stagelog_syntax::hcl::Body;

/// The provider a resource or a module call names: `None` for the default `aws`.
pub(super) fn alias_named(expression_text: &str) -> Option<String> {
    let text = expression_text.trim();
    text.strip_prefix("aws.").map(|a| a.trim().to_string())
}

/// The alias a module call passes as its child's default `aws` provider: `None` for the
/// caller's own default (no `providers` map, or one that does not name `aws`), `Some(None)` when
/// it maps `aws = aws`, `Some(Some(alias))` for `aws = aws.ALIAS`.
pub(super) fn passed_to_child(call_body: &Body) -> Option<Option<String>> {
    let providers = call_body.get_attribute("providers")?;
    let text = providers.value.to_string();
    let inner = text.trim().trim_start_matches('{').trim_end_matches('}');
    inner
        .split([',', '\n'])
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| key.trim() == "aws")
        .map(|(_, value)| alias_named(value))
}

impl Module {
    /// (region, account) of this module's `aws` provider with `alias`, each when known;
    /// `None` when the module configures no such provider (it then inherits one).
    pub(super) fn provider_env(
        &self,
        ev: &Evaluator,
        alias: Option<&str>,
    ) -> Option<(Option<String>, Option<String>)> {
        let scope = Scope::default();
        let known = |body: &Body, key: &str| {
            body.get_attribute(key)
                .map(|a| ev.eval(&a.value, &scope))
                .and_then(|v| match v {
                    Val::Str(t) => t.as_known(),
                    _ => None,
                })
        };
        let body = self
            .files
            .iter()
            .flat_map(|f| &f.providers)
            .find(|b| known(b, "alias").as_deref() == alias)?;
        let region = known(body, "region");
        let allowed = body
            .get_attribute("allowed_account_ids")
            .map(|a| ev.eval(&a.value, &scope))
            .and_then(|v| match v {
                Val::List(ids) if ids.len() == 1 => match &ids[0] {
                    Val::Str(t) => t.as_known(),
                    Val::Num(n) => Some(format!("{:012}", *n as u64)),
                    _ => None,
                },
                _ => None,
            });
        let assumed = || {
            body.blocks()
                .find(|b| b.ident == "assume_role")
                .and_then(|b| known(&b.body, "role_arn"))
                .and_then(|arn| arn.split(':').nth(4).map(str::to_string))
                .filter(|id| id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()))
        };
        Some((region, allowed.or_else(assumed)))
    }
}

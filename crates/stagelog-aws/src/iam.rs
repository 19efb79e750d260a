//! The CloudWatch role: does it exist, does API Gateway trust it, what may it do. IAM is
//! global, so each role is read once per account however many regions name it.

use crate::sdk_error;
use aws_config::SdkConfig;
use serde_json::Value as Json;
use stagelog_model::RoleFacts;
use std::collections::HashMap;
use tokio::sync::Mutex;

#[derive(Default)]
pub(crate) struct RoleCache {
    facts: Mutex<HashMap<(String, String), Option<RoleFacts>>>,
}

impl RoleCache {
    /// `Ok(None)` when the role lives in another account (not readable from here).
    pub(crate) async fn facts(
        &self,
        conf: &SdkConfig,
        account: &str,
        role_arn: &str,
    ) -> Result<Option<RoleFacts>, String> {
        let key = (account.to_string(), role_arn.to_string());
        // Held across the read so concurrent regions do not read the same role twice.
        let mut cache = self.facts.lock().await;
        if let Some(f) = cache.get(&key) {
            return Ok(f.clone());
        }
        let f = read_role(conf, account, role_arn).await?;
        cache.insert(key, f.clone());
        Ok(f)
    }
}

async fn read_role(
    conf: &SdkConfig,
    account: &str,
    role_arn: &str,
) -> Result<Option<RoleFacts>, String> {
    let parts: Vec<&str> = role_arn.splitn(6, ':').collect();
    let (Some(role_account), Some(resource)) = (parts.get(4), parts.get(5)) else {
        return Ok(Some(RoleFacts {
            exists: false,
            trusts_apigateway: false,
            allowed_actions: vec![],
            denied_actions: vec![],
        }));
    };
    if *role_account != account {
        return Ok(None);
    }
    let name = resource.rsplit('/').next().unwrap_or(resource);
    let iam = aws_sdk_iam::Client::new(conf);
    let role = match iam.get_role().role_name(name).send().await {
        Ok(r) => r,
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_no_such_entity_exception()) =>
        {
            return Ok(Some(RoleFacts {
                exists: false,
                trusts_apigateway: false,
                allowed_actions: vec![],
                denied_actions: vec![],
            }))
        }
        Err(e) => {
            return Err(format!(
                "cannot read the CloudWatch role {role_arn}: {}",
                sdk_error(&e)
            ))
        }
    };
    let trust = role
        .role()
        .and_then(|r| r.assume_role_policy_document())
        .map(decode)
        .unwrap_or(Json::Null);
    let mut documents = Vec::new();
    let mut marker = None;
    loop {
        let page = iam
            .list_attached_role_policies()
            .role_name(name)
            .set_marker(marker)
            .send()
            .await
            .map_err(|e| format!("cannot list the policies of {role_arn}: {}", sdk_error(&e)))?;
        for p in page.attached_policies() {
            let Some(arn) = p.policy_arn() else { continue };
            let policy = iam
                .get_policy()
                .policy_arn(arn)
                .send()
                .await
                .map_err(|e| format!("cannot read policy {arn}: {}", sdk_error(&e)))?;
            let Some(version) = policy.policy().and_then(|p| p.default_version_id()) else {
                continue;
            };
            let v = iam
                .get_policy_version()
                .policy_arn(arn)
                .version_id(version)
                .send()
                .await
                .map_err(|e| format!("cannot read policy {arn}: {}", sdk_error(&e)))?;
            if let Some(doc) = v.policy_version().and_then(|v| v.document()) {
                documents.push(decode(doc));
            }
        }
        if !page.is_truncated() {
            break;
        }
        marker = page.marker().map(str::to_string);
    }
    let inline = iam
        .list_role_policies()
        .role_name(name)
        .send()
        .await
        .map_err(|e| {
            format!(
                "cannot list the inline policies of {role_arn}: {}",
                sdk_error(&e)
            )
        })?;
    for policy in inline.policy_names() {
        let doc = iam
            .get_role_policy()
            .role_name(name)
            .policy_name(policy)
            .send()
            .await
            .map_err(|e| {
                format!(
                    "cannot read inline policy {policy} of {role_arn}: {}",
                    sdk_error(&e)
                )
            })?;
        documents.push(decode(doc.policy_document()));
    }
    let mut facts = RoleFacts {
        exists: true,
        trusts_apigateway: trusts_apigateway(&trust),
        allowed_actions: vec![],
        denied_actions: vec![],
    };
    for doc in &documents {
        for st in statements(doc) {
            let actions = strings(st.get("Action"));
            match st.get("Effect").and_then(Json::as_str) {
                Some("Allow") => facts.allowed_actions.extend(actions),
                Some("Deny") => facts.denied_actions.extend(actions),
                _ => {}
            }
        }
    }
    facts.allowed_actions.sort();
    facts.allowed_actions.dedup();
    facts.denied_actions.sort();
    facts.denied_actions.dedup();
    Ok(Some(facts))
}

/// IAM returns policy documents URL-encoded (some endpoints, and moto, return them plain).
/// The account's roles that trust `apigateway.amazonaws.com`, as (name, ARN): one paginated
/// ListRoles per account (IAM is global), whose answers carry each role's trust policy.
pub(crate) async fn trusted_by_apigateway(
    conf: &SdkConfig,
) -> Result<Vec<(String, String)>, String> {
    let iam = aws_sdk_iam::Client::new(conf);
    let mut out = Vec::new();
    let mut marker = None;
    loop {
        let page = iam
            .list_roles()
            .set_marker(marker)
            .send()
            .await
            .map_err(|e| format!("cannot list the account's roles: {}", sdk_error(&e)))?;
        for role in page.roles() {
            let trusted = role
                .assume_role_policy_document()
                .map(decode)
                .is_some_and(|doc| trusts_apigateway(&doc));
            if trusted {
                out.push((role.role_name().to_string(), role.arn().to_string()));
            }
        }
        if !page.is_truncated() {
            break;
        }
        marker = page.marker().map(str::to_string);
    }
    out.sort();
    Ok(out)
}

fn decode(doc: &str) -> Json {
    let text = percent_encoding::percent_decode_str(doc).decode_utf8_lossy();
    serde_json::from_str(&text)
        .or_else(|_| serde_json::from_str(doc))
        .unwrap_or(Json::Null)
}

fn statements(doc: &Json) -> Vec<&Json> {
    match doc.get("Statement") {
        Some(Json::Array(items)) => items.iter().collect(),
        Some(one @ Json::Object(_)) => vec![one],
        _ => vec![],
    }
}

fn strings(v: Option<&Json>) -> Vec<String> {
    match v {
        Some(Json::String(s)) => vec![s.clone()],
        Some(Json::Array(items)) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect(),
        _ => vec![],
    }
}

fn trusts_apigateway(doc: &Json) -> bool {
    statements(doc).into_iter().any(|st| {
        st.get("Effect").and_then(Json::as_str) == Some("Allow")
            && strings(st.get("Action")).iter().any(|a| {
                a == "*"
                    || a.eq_ignore_ascii_case("sts:AssumeRole")
                    || a.eq_ignore_ascii_case("sts:*")
            })
            && st
                .get("Principal")
                .and_then(|p| p.get("Service"))
                .map(|s| {
                    strings(Some(s))
                        .iter()
                        .any(|s| s == "apigateway.amazonaws.com")
                })
                .unwrap_or(false)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trust_and_decoding() {
        let doc = decode("%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%5B%22apigateway.amazonaws.com%22%5D%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D");
        assert!(trusts_apigateway(&doc));
        let lambda = decode(
            r#"{"Statement":{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}}"#,
        );
        assert!(!trusts_apigateway(&lambda));
    }
}

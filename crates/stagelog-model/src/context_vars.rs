//! `$context` variables that API Gateway substitutes in access log formats, per API kind, from
//! the API Gateway developer guide's variable references for REST, HTTP and WebSocket APIs.

use crate::ApiKind;

/// Variables every kind accepts.
const COMMON: &[&str] = &[
    "apiId",
    "awsEndpointRequestId",
    "domainName",
    "error.message",
    "error.messageString",
    "error.responseType",
    "extendedRequestId",
    "identity.accountId",
    "identity.caller",
    "identity.cognitoAuthenticationProvider",
    "identity.cognitoAuthenticationType",
    "identity.cognitoIdentityId",
    "identity.cognitoIdentityPoolId",
    "identity.principalOrgId",
    "identity.sourceIp",
    "identity.user",
    "identity.userAgent",
    "identity.userArn",
    "integration.error",
    "integration.integrationStatus",
    "integration.latency",
    "integration.requestId",
    "integration.status",
    "integrationLatency",
    "integrationStatus",
    "requestId",
    "requestTime",
    "requestTimeEpoch",
    "stage",
    "status",
    "authorizer.error",
    "authorizer.principalId",
];

const REST_ONLY: &[&str] = &[
    "accountId",
    "authenticate.error",
    "authenticate.latency",
    "authenticate.status",
    "authorize.error",
    "authorize.latency",
    "authorize.status",
    "authorizer.integrationLatency",
    "authorizer.integrationStatus",
    "authorizer.latency",
    "authorizer.requestId",
    "authorizer.status",
    "customDomain.basePathMatched",
    "deploymentId",
    "domainPrefix",
    "endpointType",
    "error.validationErrorString",
    "httpMethod",
    "identity.apiKey",
    "identity.apiKeyId",
    "identity.clientCert.clientCertPem",
    "identity.clientCert.subjectDN",
    "identity.clientCert.issuerDN",
    "identity.clientCert.serialNumber",
    "identity.clientCert.validity.notBefore",
    "identity.clientCert.validity.notAfter",
    "identity.vpcId",
    "identity.vpceId",
    "isCanaryRequest",
    "path",
    "protocol",
    "requestOverride.header",
    "requestOverride.path",
    "requestOverride.querystring",
    "resourceId",
    "resourcePath",
    "responseLatency",
    "responseLength",
    "responseOverride.header",
    "responseOverride.status",
    "waf.error",
    "waf.latency",
    "waf.status",
    "wafResponseCode",
    "webaclArn",
    "xrayTraceId",
];

const HTTP_ONLY: &[&str] = &[
    "accountId",
    "awsEndpointRequestId2",
    "customDomain.basePathMatched",
    "dataProcessed",
    "domainPrefix",
    "httpMethod",
    "identity.clientCert.clientCertPem",
    "identity.clientCert.subjectDN",
    "identity.clientCert.issuerDN",
    "identity.clientCert.serialNumber",
    "identity.clientCert.validity.notBefore",
    "identity.clientCert.validity.notAfter",
    "integrationErrorMessage",
    "path",
    "protocol",
    "responseLatency",
    "responseLength",
    "routeKey",
];

const WEBSOCKET_ONLY: &[&str] = &[
    "authenticate.error",
    "authenticate.latency",
    "authenticate.status",
    "authorize.error",
    "authorize.latency",
    "authorize.status",
    "authorizer.integrationLatency",
    "authorizer.integrationStatus",
    "authorizer.latency",
    "authorizer.requestId",
    "authorizer.status",
    "connectedAt",
    "connectionId",
    "error.validationErrorString",
    "eventType",
    "identity.apiKey",
    "identity.apiKeyId",
    "messageId",
    "routeKey",
];

/// Families whose last part is the caller's own name (a claim, a header, an authorizer key).
const OPEN_PREFIXES: &[(&str, &[ApiKind])] = &[
    (
        "authorizer.claims.",
        &[ApiKind::Rest, ApiKind::Http, ApiKind::WebSocket],
    ),
    (
        "authorizer.",
        &[ApiKind::Rest, ApiKind::Http, ApiKind::WebSocket],
    ),
    ("requestOverride.header.", &[ApiKind::Rest]),
    ("requestOverride.path.", &[ApiKind::Rest]),
    ("requestOverride.querystring.", &[ApiKind::Rest]),
    ("responseOverride.header.", &[ApiKind::Rest]),
];

fn fixed_for(kind: ApiKind) -> impl Iterator<Item = &'static str> {
    let only: &[&str] = match kind {
        ApiKind::Rest => REST_ONLY,
        ApiKind::Http => HTTP_ONLY,
        ApiKind::WebSocket => WEBSOCKET_ONLY,
        ApiKind::V2 => HTTP_ONLY,
    };
    let extra: &[&str] = if kind == ApiKind::V2 {
        WEBSOCKET_ONLY
    } else {
        &[]
    };
    COMMON
        .iter()
        .chain(only.iter())
        .chain(extra.iter())
        .copied()
}

/// Each kind's fixed variables, sorted: `is_known` runs for every variable of every stage's
/// format, and a walk through a hundred names each time was a scan's most frequent compare.
fn sorted_fixed(kind: ApiKind) -> &'static [&'static str] {
    static SORTED: std::sync::LazyLock<[Vec<&'static str>; 4]> = std::sync::LazyLock::new(|| {
        [
            ApiKind::Rest,
            ApiKind::Http,
            ApiKind::WebSocket,
            ApiKind::V2,
        ]
        .map(|kind| {
            let mut names: Vec<&str> = fixed_for(kind).collect();
            names.sort_unstable();
            names
        })
    });
    let i = match kind {
        ApiKind::Rest => 0,
        ApiKind::Http => 1,
        ApiKind::WebSocket => 2,
        ApiKind::V2 => 3,
    };
    &SORTED[i]
}

/// Whether `$context.<var>` is substituted for this kind. `V2` accepts what HTTP or WebSocket do.
pub fn is_known(kind: ApiKind, var: &str) -> bool {
    if sorted_fixed(kind).binary_search(&var).is_ok() {
        return true;
    }
    OPEN_PREFIXES.iter().any(|(prefix, kinds)| {
        var.len() > prefix.len()
            && var.starts_with(prefix)
            && (kinds.contains(&kind) || (kind == ApiKind::V2 && kinds.contains(&ApiKind::Http)))
    })
}

/// Whether another kind knows the variable (for "REST-only on an HTTP API" style messages).
pub fn kinds_knowing(var: &str) -> Vec<ApiKind> {
    [ApiKind::Rest, ApiKind::Http, ApiKind::WebSocket]
        .into_iter()
        .filter(|k| is_known(*k, var))
        .collect()
}

/// A `$context.x` reference found in a format, with its byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VarRef<'a> {
    pub name: &'a str,
    pub offset: usize,
}

/// Every `$context.<name>` in a format. Names are `[A-Za-z0-9_.-]` runs without a trailing dot.
pub fn references(format: &str) -> Vec<VarRef<'_>> {
    const PREFIX: &str = "$context.";
    let mut out = Vec::new();
    let bytes = format.as_bytes();
    let mut from = 0;
    // One byte search for `$` and a compare: a substring searcher built per call cost more
    // than the search on formats of a few hundred bytes.
    while let Some(pos) = format[from..]
        .match_indices('$')
        .find(|(i, _)| format[from + i..].starts_with(PREFIX))
        .map(|(i, _)| i)
    {
        let start = from + pos + PREFIX.len();
        let mut end = start;
        while end < bytes.len()
            && (bytes[end].is_ascii_alphanumeric() || matches!(bytes[end], b'_' | b'.' | b'-'))
        {
            end += 1;
        }
        while end > start && matches!(bytes[end - 1], b'.' | b'-') {
            end -= 1;
        }
        out.push(VarRef {
            name: &format[start..end],
            offset: from + pos,
        });
        from = end.max(start);
    }
    out
}

/// One audit field SL005 can require, satisfied by any of its variables.
pub struct AuditField {
    pub key: &'static str,
    pub label: &'static str,
    /// Variables that carry it; an entry ending in `.` is a prefix.
    pub any_of: &'static [&'static str],
    /// Kinds on which AWS offers no variable for it (the field is then not required).
    pub not_on: &'static [ApiKind],
}

pub const AUDIT_FIELDS: &[AuditField] = &[
    AuditField {
        key: "request_id",
        label: "request id",
        any_of: &["requestId", "extendedRequestId"],
        not_on: &[],
    },
    AuditField {
        key: "source_ip",
        label: "source IP",
        any_of: &["identity.sourceIp"],
        not_on: &[],
    },
    AuditField {
        key: "caller",
        label: "caller identity",
        any_of: &[
            "identity.caller",
            "identity.user",
            "identity.userArn",
            "identity.accountId",
            "identity.cognitoIdentityId",
            "identity.apiKeyId",
            "authorizer.principalId",
            "authorizer.claims.",
        ],
        not_on: &[],
    },
    AuditField {
        key: "request_time",
        label: "request time",
        any_of: &["requestTime", "requestTimeEpoch"],
        not_on: &[],
    },
    AuditField {
        key: "method",
        label: "HTTP method",
        any_of: &["httpMethod", "eventType"],
        not_on: &[],
    },
    AuditField {
        key: "resource",
        label: "resource path or route key",
        any_of: &["resourcePath", "path", "routeKey"],
        not_on: &[],
    },
    AuditField {
        key: "status",
        label: "status",
        any_of: &["status"],
        not_on: &[],
    },
    AuditField {
        key: "protocol",
        label: "protocol",
        any_of: &["protocol"],
        not_on: &[ApiKind::WebSocket, ApiKind::V2],
    },
    AuditField {
        key: "response_length",
        label: "response length",
        any_of: &["responseLength"],
        not_on: &[ApiKind::WebSocket, ApiKind::V2],
    },
];

impl AuditField {
    pub fn satisfied_by(&self, vars: &[VarRef<'_>]) -> bool {
        vars.iter().any(|v| {
            self.any_of.iter().any(|want| match want.strip_suffix('.') {
                Some(prefix) => v.name.starts_with(prefix) && v.name.len() > want.len(),
                None => v.name == *want,
            })
        })
    }
}

/// The access log format `fix` writes: one field per SL005 audit field, with only the
/// `$context` variables the API kind has. `None` when the kind is not known.
pub fn recommended_format(kind: ApiKind) -> Option<Vec<(&'static str, &'static str)>> {
    let mut fields = vec![
        ("requestId", "requestId"),
        ("ip", "identity.sourceIp"),
        ("caller", "identity.caller"),
        ("user", "identity.user"),
        ("requestTime", "requestTime"),
    ];
    match kind {
        ApiKind::Rest => fields.extend([
            ("httpMethod", "httpMethod"),
            ("resourcePath", "resourcePath"),
            ("status", "status"),
            ("protocol", "protocol"),
            ("responseLength", "responseLength"),
        ]),
        ApiKind::Http => fields.extend([
            ("httpMethod", "httpMethod"),
            ("routeKey", "routeKey"),
            ("status", "status"),
            ("protocol", "protocol"),
            ("responseLength", "responseLength"),
        ]),
        ApiKind::WebSocket => fields.extend([
            ("eventType", "eventType"),
            ("routeKey", "routeKey"),
            ("status", "status"),
            ("connectionId", "connectionId"),
        ]),
        ApiKind::V2 => return None,
    }
    Some(fields)
}

/// The recommended format as the one-line JSON string API Gateway stores (keys in order).
pub fn recommended_format_json(kind: ApiKind) -> Option<String> {
    let fields = recommended_format(kind)?;
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("\"{k}\":\"$context.{v}\""))
        .collect();
    Some(format!("{{{}}}", body.join(",")))
}

/// One line of the recommended format with typical values (a UUID request id, an IPv4
/// address, a route, a status): what turning access logging on writes per request, for
/// `stagelog cost`'s estimate. `None` when the kind is not known.
pub fn typical_line(kind: ApiKind) -> Option<String> {
    let typical = |var: &str| match var {
        "requestId" => "3f6c1b2e-8a4d-4c1f-9e7b-2d5a6c8e0f13",
        "identity.sourceIp" => "203.0.113.42",
        "identity.caller" | "identity.user" => "-",
        "requestTime" => "24/Nov/2026:10:15:42 +0000",
        "httpMethod" => "GET",
        "resourcePath" => "/orders/{id}",
        "routeKey" => "GET /orders/{id}",
        "status" => "200",
        "protocol" => "HTTP/1.1",
        "responseLength" => "1432",
        "eventType" => "MESSAGE",
        "connectionId" => "L0SM9cOFvHcCIhw=",
        _ => "-",
    };
    let fields = recommended_format(kind)?;
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("\"{k}\":\"{}\"", typical(v)))
        .collect();
    Some(format!("{{{}}}", body.join(",")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typical_line_has_a_value_for_every_field_of_the_recommended_format() {
        for kind in [ApiKind::Rest, ApiKind::Http, ApiKind::WebSocket] {
            let line = typical_line(kind).unwrap();
            let parsed: serde_json::Value = serde_json::from_str(&line).unwrap();
            let fields = recommended_format(kind).unwrap();
            assert_eq!(parsed.as_object().unwrap().len(), fields.len());
            assert!(!line.contains("$context"), "{line}");
            assert!(
                (150..400).contains(&line.len()),
                "{} bytes: {line}",
                line.len()
            );
        }
        assert_eq!(typical_line(ApiKind::V2), None);
    }

    #[test]
    fn finds_references_without_trailing_punctuation() {
        let f = r#"{"id":"$context.requestId","ip":"$context.identity.sourceIp". $context.status-"#;
        let names: Vec<_> = references(f).iter().map(|v| v.name).collect();
        assert_eq!(names, ["requestId", "identity.sourceIp", "status"]);
    }

    #[test]
    fn recommended_formats_use_only_known_variables_and_cover_every_audit_field() {
        for kind in [ApiKind::Rest, ApiKind::Http, ApiKind::WebSocket] {
            let fields = recommended_format(kind).unwrap();
            let text: String = fields
                .iter()
                .map(|(_, v)| format!("$context.{v} "))
                .collect();
            let vars = references(&text);
            for v in &vars {
                assert!(is_known(kind, v.name), "{kind:?}: {}", v.name);
            }
            for f in AUDIT_FIELDS.iter().filter(|f| !f.not_on.contains(&kind)) {
                assert!(f.satisfied_by(&vars), "{kind:?} lacks {}", f.key);
            }
        }
        assert!(recommended_format(ApiKind::V2).is_none());
    }

    #[test]
    fn kinds_differ() {
        assert!(is_known(ApiKind::Rest, "resourcePath"));
        assert!(!is_known(ApiKind::Http, "resourcePath"));
        assert!(is_known(ApiKind::Http, "routeKey"));
        assert!(!is_known(ApiKind::Rest, "routeKey"));
        assert!(is_known(ApiKind::WebSocket, "connectionId"));
        assert!(is_known(ApiKind::Rest, "authorizer.claims.sub"));
        assert!(is_known(ApiKind::Http, "authorizer.anything"));
        assert!(!is_known(ApiKind::Rest, "requestID"));
        assert!(is_known(ApiKind::V2, "connectionId"));
        assert_eq!(kinds_knowing("resourcePath"), [ApiKind::Rest]);
    }
}

//! `$context` variables that API Gateway substitutes in access log formats, per API kind, as
//! AWS documents them ([`DOCUMENTED`], page by page), and the formats stagelog recommends.

use crate::{ApiKind, KeptField};

mod aws;
pub use aws::{Documented, DOCUMENTED, OPEN_PREFIXES, PUBLISHED_FORMATS};

fn index(kind: ApiKind) -> usize {
    match kind {
        ApiKind::Rest => 0,
        ApiKind::Http => 1,
        ApiKind::WebSocket => 2,
        ApiKind::V2 => 3,
    }
}

/// Each kind's documented variables, sorted and deduplicated (`V2`, a v2 API whose protocol
/// is not known, takes what HTTP or WebSocket APIs do): `is_known` runs for every variable of
/// every stage's format, and a binary search was a scan's most frequent compare.
fn sorted_fixed(kind: ApiKind) -> &'static [&'static str] {
    static SORTED: std::sync::LazyLock<[Vec<&'static str>; 4]> = std::sync::LazyLock::new(|| {
        [
            ApiKind::Rest,
            ApiKind::Http,
            ApiKind::WebSocket,
            ApiKind::V2,
        ]
        .map(|kind| {
            let mut names: Vec<&str> = DOCUMENTED
                .iter()
                .filter(|d| {
                    d.kinds.contains(&kind)
                        || (kind == ApiKind::V2
                            && d.kinds
                                .iter()
                                .any(|k| matches!(k, ApiKind::Http | ApiKind::WebSocket)))
                })
                .flat_map(|d| d.names.iter().copied())
                .collect();
            names.sort_unstable();
            names.dedup();
            names
        })
    });
    &SORTED[index(kind)]
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
        // A v2 stage whose protocol is unknown: no variable names the method in both kinds
        // (httpMethod is HTTP's, eventType WebSocket's), so no format valid for both has it.
        not_on: &[ApiKind::V2],
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
        // The protocol is unknown (the API is outside the file): only what HTTP and
        // WebSocket APIs both have, so the format is valid whichever the API is.
        ApiKind::V2 => fields.extend([("routeKey", "routeKey"), ("status", "status")]),
    }
    Some(fields)
}

/// The recommended format's fields for the kind, then `keep`'s: what `fix` writes in place of
/// a format, as (key, variable). `None` when the kind is not known.
pub fn recommended_fields(kind: ApiKind, keep: &[KeptField]) -> Option<Vec<(String, String)>> {
    let mut fields: Vec<(String, String)> = recommended_format(kind)?
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    fields.extend(keep.iter().map(|f| (f.key.clone(), f.variable.clone())));
    Some(fields)
}

/// The recommended format (with `keep`'s fields after it) as the one-line JSON string API
/// Gateway stores, keys in order.
pub fn recommended_format_json(kind: ApiKind, keep: &[KeptField]) -> Option<String> {
    let fields = recommended_fields(kind, keep)?;
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("\"{k}\":\"$context.{v}\""))
        .collect();
    Some(format!("{{{}}}", body.join(",")))
}

/// The fields of `format` a recommended format for `kind` must carry over: every variable AWS
/// documents for the kind that the recommended format lacks, once, in the order written, under
/// its old key (a JSON key or XML element naming it, when that is a plain name no other field
/// has) or a name made from the variable (`customDomain.routingRuleIdMatched` →
/// `customDomainRoutingRuleIdMatched`). Variables the kind does not have are left out: they
/// are what SL004 reports.
pub fn fields_to_keep(kind: ApiKind, format: &str) -> Vec<KeptField> {
    let Some(base) = recommended_format(kind) else {
        return vec![];
    };
    let mut keys: Vec<String> = base.iter().map(|(k, _)| k.to_string()).collect();
    let mut vars: Vec<&str> = base.iter().map(|(_, v)| *v).collect();
    let mut out = Vec::new();
    for r in references(format) {
        if r.name.is_empty() || !is_known(kind, r.name) || vars.contains(&r.name) {
            continue;
        }
        vars.push(r.name);
        let key = key_before(format, r.offset)
            .filter(|k| is_plain_name(k) && !keys.iter().any(|have| have == k))
            .map(str::to_string)
            .unwrap_or_else(|| {
                let base = key_from_variable(r.name);
                let mut key = base.clone();
                let mut n = 2;
                while keys.contains(&key) {
                    key = format!("{base}{n}");
                    n += 1;
                }
                key
            });
        keys.push(key.clone());
        out.push(KeptField {
            key,
            variable: r.name.to_string(),
        });
    }
    out
}

/// The JSON key (`"key": "$context.x`) or XML element (`<key>$context.x`) a variable is
/// written under, when it is the whole value.
fn key_before(format: &str, offset: usize) -> Option<&str> {
    let before = &format[..offset];
    if let Some(open) = before.strip_suffix('>') {
        let start = open.rfind('<')? + 1;
        return Some(&open[start..]);
    }
    let before = before.strip_suffix('"')?.trim_end();
    let before = before.strip_suffix(':')?.trim_end();
    let before = before.strip_suffix('"')?;
    let start = before.rfind('"')? + 1;
    Some(&before[start..])
}

fn is_plain_name(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `customDomain.routingRuleIdMatched` → `customDomainRoutingRuleIdMatched`.
fn key_from_variable(var: &str) -> String {
    let mut out = String::with_capacity(var.len());
    let mut upper = false;
    for c in var.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(if upper { c.to_ascii_uppercase() } else { c });
            upper = false;
        } else {
            upper = !out.is_empty();
        }
    }
    out
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
    }

    #[test]
    fn finds_references_without_trailing_punctuation() {
        let f = r#"{"id":"$context.requestId","ip":"$context.identity.sourceIp". $context.status-"#;
        let names: Vec<_> = references(f).iter().map(|v| v.name).collect();
        assert_eq!(names, ["requestId", "identity.sourceIp", "status"]);
    }

    /// The recommended format of `kind` uses only variables each of `known_to` has, and
    /// covers every audit field `kind` is asked for.
    fn holds(kind: ApiKind, known_to: &[ApiKind]) {
        let fields = recommended_format(kind).unwrap();
        let text: String = fields
            .iter()
            .map(|(_, v)| format!("$context.{v} "))
            .collect();
        let vars = references(&text);
        for v in &vars {
            for k in known_to {
                assert!(is_known(*k, v.name), "{kind:?} on {k:?}: {}", v.name);
            }
        }
        for f in AUDIT_FIELDS.iter().filter(|f| !f.not_on.contains(&kind)) {
            assert!(f.satisfied_by(&vars), "{kind:?} lacks {}", f.key);
        }
    }

    #[test]
    fn recommended_formats_use_only_known_variables_and_cover_every_audit_field() {
        for kind in [ApiKind::Rest, ApiKind::Http, ApiKind::WebSocket] {
            holds(kind, &[kind]);
        }
        // A v2 stage of unknown protocol: only variables both v2 kinds have.
        holds(ApiKind::V2, &[ApiKind::Http, ApiKind::WebSocket]);
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

    #[test]
    fn variables_aws_added_in_2025_are_known_on_rest_apis_only() {
        for var in [
            "customDomain.routingRuleIdMatched",
            "integration.responseTransferMode",
            "integration.timeToAllHeaders",
            "integration.timeToFirstContent",
        ] {
            assert_eq!(kinds_knowing(var), [ApiKind::Rest], "{var}");
        }
    }

    #[test]
    fn every_documented_group_names_its_page_and_date_and_lists_each_name_once() {
        for d in DOCUMENTED {
            assert!(
                d.page
                    .starts_with("https://docs.aws.amazon.com/apigateway/latest/developerguide/"),
                "{}",
                d.page
            );
            assert!(
                d.checked.len() == 10 && d.checked.as_bytes()[4] == b'-',
                "{}",
                d.checked
            );
            let mut names = d.names.to_vec();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), d.names.len(), "a name twice in {}", d.page);
            for n in d.names {
                assert!(
                    !n.is_empty() && !n.ends_with('.') && !n.starts_with('$'),
                    "{n}"
                );
            }
        }
    }

    #[test]
    fn a_new_format_keeps_the_documented_fields_under_their_keys_and_drops_the_rest() {
        let old = r#"{"requestId":"$context.requestId","rule":"$context.customDomain.routingRuleIdMatched","mode":"$context.integration.responseTransferMode","bogus":"$context.nope","ip":"$context.identity.userAgent","x":"$context.integration.latency","y":"$context.integration.latency"}"#;
        let keep = fields_to_keep(ApiKind::Rest, old);
        let pairs: Vec<(&str, &str)> = keep
            .iter()
            .map(|f| (f.key.as_str(), f.variable.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("rule", "customDomain.routingRuleIdMatched"),
                ("mode", "integration.responseTransferMode"),
                // `ip` is the recommended format's own key: the variable names the field.
                ("identityUserAgent", "identity.userAgent"),
                ("x", "integration.latency"),
            ]
        );
        let json = recommended_format_json(ApiKind::Rest, &keep).unwrap();
        let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(parsed["rule"], "$context.customDomain.routingRuleIdMatched");
        assert!(!json.contains("nope"), "{json}");
        // On an HTTP API the REST-only variables are not carried over.
        let http = fields_to_keep(ApiKind::Http, old);
        assert_eq!(http.len(), 2, "{http:?}");
        // CLF and XML formats: names from the variable, or from the element.
        let clf = fields_to_keep(
            ApiKind::Rest,
            "$context.path $context.customDomain.basePathMatched <w>$context.waf.status</w>",
        );
        let keys: Vec<&str> = clf.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(keys, ["path", "customDomainBasePathMatched", "w"]);
    }
}

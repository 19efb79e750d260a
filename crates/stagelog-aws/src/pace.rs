//! Politeness: every request stagelog sends to an account waits for its turn in a limiter
//! shared by all of that service's calls in that account and region (IAM, Organizations, STS
//! and Account are global: one limiter each), so a walk never spends the quota the account's
//! own deployments need. The SDK's retries go through the same limiter: throttling is retried
//! inside the limit, never around it.
//!
//! The limit sits in the HTTP client, where each attempt is sent and its SigV4 credential scope
//! names the service and region (`Credential=KEY/DATE/REGION/SERVICE/aws4_request`), so no call
//! site can forget it. The limiter is governor's GCRA without burst: requests are spaced evenly.
//!
//! Rates, per account and region (docs/audit.md, "Politeness"), all from one knob, `--max-rate`
//! (default 5), so a user who needs a gentler or faster walk turns one thing:
//! - API Gateway: the max rate; by default half of the control plane's 10 requests per second
//!   per account and region that the account's own deployments share (API Gateway quotas).
//! - CloudWatch Logs: half the max rate (2.5/s), half of DescribeLogGroups' 5 TPS.
//! - CloudWatch: 5 times the max rate (25/s), half of GetMetricData's 50 TPS.
//! - IAM: the max rate, Organizations: 0.4 times it (5/s, 2/s): AWS publishes no rate for these
//!   reads; stagelog keeps to these.

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The default `--max-rate`: API Gateway requests per second per account and region.
pub const DEFAULT_MAX_RATE: f64 = 5.0;

/// Requests per second stagelog allows itself, per service.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rates {
    pub apigateway: f64,
    pub logs: f64,
    pub monitoring: f64,
    pub iam: f64,
    pub organizations: f64,
}

impl Rates {
    /// The rates for API Gateway's at `max_rate`: the others in proportion (at the default,
    /// each half of its service's documented quota).
    pub fn with_max_rate(max_rate: f64) -> Rates {
        Rates {
            apigateway: max_rate,
            logs: max_rate * 0.5,
            monitoring: max_rate * 5.0,
            iam: max_rate,
            organizations: max_rate * 0.4,
        }
    }

    fn of(&self, service: &str) -> Option<f64> {
        match service {
            "apigateway" => Some(self.apigateway),
            "logs" => Some(self.logs),
            "monitoring" => Some(self.monitoring),
            "iam" => Some(self.iam),
            "organizations" => Some(self.organizations),
            _ => None,
        }
    }
}

impl Default for Rates {
    fn default() -> Rates {
        Rates::with_max_rate(DEFAULT_MAX_RATE)
    }
}

/// Requests sent (each attempt), across every account: what progress shows.
#[derive(Debug, Default)]
pub struct Counter {
    sent: AtomicU64,
}

impl Counter {
    pub fn sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }
}

/// One account's limiters, by (region, service).
#[derive(Debug)]
struct Pacer {
    rates: Rates,
    limiters: Mutex<HashMap<(String, String), Arc<DefaultDirectRateLimiter>>>,
    counter: Arc<Counter>,
}

impl Pacer {
    fn limiter(&self, region: &str, service: &str) -> Option<Arc<DefaultDirectRateLimiter>> {
        let rate = self.rates.of(service).filter(|r| *r > 0.0)?;
        let global = matches!(service, "iam" | "organizations");
        let key = (
            if global { "" } else { region }.to_string(),
            service.to_string(),
        );
        let mut limiters = self.limiters.lock().unwrap_or_else(|e| e.into_inner());
        Some(
            limiters
                .entry(key)
                .or_insert_with(|| {
                    let period = Duration::from_secs_f64(1.0 / rate);
                    let quota = Quota::with_period(period).expect("a positive period");
                    Arc::new(RateLimiter::direct(quota))
                })
                .clone(),
        )
    }
}

/// The region and service a signed request is for, from its SigV4 credential scope.
fn scope_of(request: &HttpRequest) -> Option<(String, String)> {
    let auth = request.headers().get("authorization")?;
    let scope = auth.split("Credential=").nth(1)?;
    let mut parts = scope.split('/');
    let (_key, _date) = (parts.next()?, parts.next()?);
    Some((parts.next()?.to_string(), parts.next()?.to_string()))
}

/// An HTTP client whose every request waits for its service's limiter in one account.
#[derive(Debug, Clone)]
pub(crate) struct PacedClient {
    inner: SharedHttpClient,
    pacer: Arc<Pacer>,
}

impl PacedClient {
    /// A client for one account over the shared `inner` client (its connection pool).
    pub(crate) fn new(inner: SharedHttpClient, rates: Rates, counter: Arc<Counter>) -> PacedClient {
        PacedClient {
            inner,
            pacer: Arc::new(Pacer {
                rates,
                limiters: Mutex::new(HashMap::new()),
                counter,
            }),
        }
    }
}

impl HttpClient for PacedClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(PacedConnector {
            inner: self.inner.http_connector(settings, components),
            pacer: self.pacer.clone(),
        })
    }
}

#[derive(Debug)]
struct PacedConnector {
    inner: SharedHttpConnector,
    pacer: Arc<Pacer>,
}

impl HttpConnector for PacedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let limiter =
            scope_of(&request).and_then(|(region, service)| self.pacer.limiter(&region, &service));
        let inner = self.inner.clone();
        let counter = self.pacer.counter.clone();
        HttpConnectorFuture::new(async move {
            if let Some(limiter) = limiter {
                limiter.until_ready().await;
            }
            counter.sent.fetch_add(1, Ordering::Relaxed);
            inner.call(request).await
        })
    }
}

/// The HTTPS client the SDK would make by default (rustls with aws-lc, the environment's
/// proxy settings), made here once so every account's paced client shares its connections.
pub(crate) fn default_https_client() -> SharedHttpClient {
    use aws_smithy_http_client::proxy::ProxyConfig;
    use aws_smithy_http_client::{tls, Builder, ConnectorBuilder};
    Builder::new().build_with_connector_fn(|settings, components| {
        let mut conn = ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::AwsLc,
        ));
        conn.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            conn.set_sleep_impl(components.sleep_impl());
        }
        conn.set_proxy_config(Some(ProxyConfig::from_env()));
        conn.build()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_credential_scope_names_region_and_service() {
        let mut request = HttpRequest::empty();
        request.headers_mut().insert(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261207/eu-west-1/apigateway/aws4_request, SignedHeaders=host, Signature=abc",
        );
        assert_eq!(
            scope_of(&request),
            Some(("eu-west-1".into(), "apigateway".into()))
        );
        assert_eq!(scope_of(&HttpRequest::empty()), None);
    }

    #[test]
    fn global_services_share_one_limiter_and_unlisted_ones_go_unpaced() {
        let pacer = Pacer {
            rates: Rates::default(),
            limiters: Mutex::new(HashMap::new()),
            counter: Arc::default(),
        };
        let a = pacer.limiter("us-east-1", "iam").unwrap();
        let b = pacer.limiter("eu-west-1", "iam").unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        let c = pacer.limiter("us-east-1", "apigateway").unwrap();
        let d = pacer.limiter("eu-west-1", "apigateway").unwrap();
        assert!(!Arc::ptr_eq(&c, &d));
        assert!(pacer.limiter("us-east-1", "sts").is_none());
    }

    #[tokio::test]
    async fn requests_are_spaced_at_the_rate() {
        let pacer = Pacer {
            rates: Rates::with_max_rate(20.0),
            limiters: Mutex::new(HashMap::new()),
            counter: Arc::default(),
        };
        let limiter = pacer.limiter("eu-west-1", "apigateway").unwrap();
        let started = std::time::Instant::now();
        for _ in 0..11 {
            limiter.until_ready().await;
        }
        // Ten intervals of 50 ms after the first request, without burst.
        assert!(
            started.elapsed() >= Duration::from_millis(450),
            "{:?}",
            started.elapsed()
        );
    }
}

//! Consol's Xero HTTP client: Accounting API and connection calls with
//! client-side rate limits, retries with capped jittered backoff, and typed
//! errors. Tokens come from the caller (see `crate::connect::tokens`).

mod endpoints;
mod error;
pub mod limiter;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap, IF_MODIFIED_SINCE, RETRY_AFTER};
use serde::de::DeserializeOwned;

pub use endpoints::{DEFAULT_SCOPES, XeroEndpoints};
pub use error::XeroError;
pub use limiter::{Limiter, Limits};

use super::{ApiException, Connection, ProblemBody};

/// How hard to try before giving up on a call.
#[derive(Clone, Copy, Debug)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// A `Retry-After` longer than this is not waited for.
    pub max_retry_after: Duration,
    /// Attempts in all for a 200 whose body cannot be read: a fault on the
    /// way is retried, but one that repeats is not a passing fault, and
    /// each try spends the organisation's budget.
    pub max_malformed_attempts: u32,
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 6,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(20),
            max_retry_after: Duration::from_secs(120),
            max_malformed_attempts: 2,
            timeout: Duration::from_secs(60),
        }
    }
}

/// What a call has done so far, readable while it runs: the HTTP calls
/// made (retries included, whatever the outcome) and, while it waits to
/// try again, until when. The sync shows "retrying in N s" from it and
/// records every call Xero counted.
#[derive(Debug, Default)]
pub struct CallTrace {
    calls: std::sync::atomic::AtomicU32,
    retry_at: std::sync::Mutex<Option<DateTime<Utc>>>,
}

impl CallTrace {
    pub fn calls(&self) -> u32 {
        self.calls.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// When the call will be tried again, while it waits to.
    pub fn retry_at(&self) -> Option<DateTime<Utc>> {
        self.retry_at.lock().ok().and_then(|r| *r)
    }

    fn made_one(&self) {
        self.calls
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    fn waiting_until(&self, at: Option<DateTime<Utc>>) {
        if let Ok(mut r) = self.retry_at.lock() {
            *r = at;
        }
    }
}

/// A parsed response and how many HTTP calls it took (retries included).
#[derive(Debug)]
pub struct Fetched<T> {
    pub value: T,
    pub calls: u32,
}

#[derive(Clone)]
pub struct XeroApi {
    http: reqwest::Client,
    endpoints: XeroEndpoints,
    limiter: Arc<Limiter>,
    retry: RetryPolicy,
}

impl std::fmt::Debug for XeroApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XeroApi")
            .field("api", &self.endpoints.api)
            .finish_non_exhaustive()
    }
}

/// The reqwest client for every Xero call: no redirects (a token call must
/// never be replayed elsewhere), bounded time.
pub fn http_client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(Duration::from_secs(10))
        .user_agent(concat!("consol/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("a reqwest client with static settings always builds")
}

enum Outcome<T> {
    Done(T),
    /// Try again after this long.
    Retry(Duration, XeroError),
}

impl XeroApi {
    pub fn new(endpoints: XeroEndpoints, limits: Limits, retry: RetryPolicy) -> Self {
        Self {
            http: http_client(retry.timeout),
            endpoints,
            limiter: Limiter::new(limits),
            retry,
        }
    }

    pub fn endpoints(&self) -> &XeroEndpoints {
        &self.endpoints
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The day's remaining Xero calls for a tenant, as Xero last said.
    pub fn day_remaining(&self, tenant_id: &str) -> Option<i64> {
        self.limiter.day_remaining(tenant_id)
    }

    /// `GET {api}/{path}` for one tenant, parsed into `T`.
    pub async fn get<T: DeserializeOwned>(
        &self,
        token: &str,
        tenant_id: &str,
        path: &str,
        query: &[(&str, String)],
        if_modified_since: Option<DateTime<Utc>>,
    ) -> Result<Fetched<T>, XeroError> {
        self.get_traced(
            token,
            tenant_id,
            path,
            query,
            if_modified_since,
            &CallTrace::default(),
        )
        .await
    }

    /// As [`XeroApi::get`], reporting its calls and waits in `trace`.
    pub async fn get_traced<T: DeserializeOwned>(
        &self,
        token: &str,
        tenant_id: &str,
        path: &str,
        query: &[(&str, String)],
        if_modified_since: Option<DateTime<Utc>>,
        trace: &CallTrace,
    ) -> Result<Fetched<T>, XeroError> {
        self.call(
            token,
            Some(tenant_id),
            tenant_id,
            path,
            query,
            if_modified_since,
            trace,
        )
        .await
    }

    /// `GET {api}/{path}` without `xero-tenant-id`, as a Custom Connection's
    /// token (bound to one organisation) allows. `limit_key` names the
    /// organisation for rate limiting.
    pub async fn get_untenanted<T: DeserializeOwned>(
        &self,
        token: &str,
        limit_key: &str,
        path: &str,
    ) -> Result<Fetched<T>, XeroError> {
        self.call(
            token,
            None,
            limit_key,
            path,
            &[],
            None,
            &CallTrace::default(),
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    #[tracing::instrument(skip(self, token, query, trace), fields(tenant = %limit_key))]
    async fn call<T: DeserializeOwned>(
        &self,
        token: &str,
        tenant_id: Option<&str>,
        limit_key: &str,
        path: &str,
        query: &[(&str, String)],
        if_modified_since: Option<DateTime<Utc>>,
        trace: &CallTrace,
    ) -> Result<Fetched<T>, XeroError> {
        let endpoint = format!("GET /{}", path.trim_start_matches('/'));
        let url = format!("{}/{}", self.endpoints.api, path.trim_start_matches('/'));
        let mut calls = 0;
        let mut attempt = 0;
        loop {
            attempt += 1;
            // Where a call's time goes (the load benchmark sums these from
            // the debug log): waiting for a slot under the limits, then
            // waiting for Xero's answer (headers in).
            let asked = std::time::Instant::now();
            let mut slot = self.limiter.acquire(limit_key).await.map_err(|_| {
                XeroError::DayBudgetExhausted {
                    endpoint: endpoint.clone(),
                }
            })?;
            let mut req = self
                .http
                .get(&url)
                .query(query)
                .header(AUTHORIZATION, format!("Bearer {token}"))
                .header(ACCEPT, "application/json");
            if let Some(t) = tenant_id {
                req = req.header("xero-tenant-id", t);
            }
            if let Some(t) = if_modified_since {
                req = req.header(
                    IF_MODIFIED_SINCE,
                    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
                );
            }
            calls += 1;
            trace.made_one();
            let waited = asked.elapsed();
            let sent = req.send().await;
            slot.answered();
            tracing::debug!(
                %endpoint,
                limiter_wait_ms = waited.as_millis() as u64,
                answer_ms = (asked.elapsed() - waited).as_millis() as u64,
                "Xero call"
            );
            if let Ok(resp) = &sent {
                slot.observe_minute_remaining(
                    header_i64(resp.headers(), "x-minlimit-remaining"),
                    header_i64(resp.headers(), "x-appminlimit-remaining"),
                );
            }
            let outcome = match sent {
                Err(e) => Outcome::Retry(
                    self.backoff(attempt),
                    XeroError::Unavailable {
                        endpoint: endpoint.clone(),
                        detail: transport_detail(&e),
                    },
                ),
                Ok(resp) => {
                    if let Some(day) = header_i64(resp.headers(), "x-daylimit-remaining") {
                        slot.observe_day_remaining(day);
                    }
                    self.read(resp, &endpoint, attempt).await
                }
            };
            drop(slot);
            if let Outcome::Done(Err(XeroError::Malformed { endpoint, detail })) = &outcome {
                tracing::warn!(%endpoint, attempt, %detail, "Xero's answer could not be read");
            }
            let outcome = match outcome {
                // A 200 whose body cannot be read is a fault on the way
                // (Xero's or a proxy's), not an answer: ask again, this
                // call only. The parser's detail goes to the log; the
                // error says what failed in words.
                Outcome::Done(Err(XeroError::Malformed { endpoint, detail }))
                    if attempt < self.retry.max_malformed_attempts =>
                {
                    Outcome::Retry(
                        self.backoff(attempt),
                        XeroError::Malformed { endpoint, detail },
                    )
                }
                other => other,
            };
            match outcome {
                Outcome::Done(r) => return r.map(|value| Fetched { value, calls }),
                Outcome::Retry(wait, err) => {
                    if attempt >= self.retry.max_attempts {
                        return Err(err);
                    }
                    tracing::debug!(%endpoint, attempt, wait_ms = wait.as_millis() as u64, error = %err, "retrying Xero call");
                    trace.waiting_until(
                        chrono::Duration::from_std(wait)
                            .ok()
                            .map(|w| Utc::now() + w),
                    );
                    tokio::time::sleep(wait).await;
                    trace.waiting_until(None);
                }
            }
        }
    }

    async fn read<T: DeserializeOwned>(
        &self,
        resp: reqwest::Response,
        endpoint: &str,
        attempt: u32,
    ) -> Outcome<Result<T, XeroError>> {
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = match resp.bytes().await {
            Ok(b) => b,
            Err(e) => {
                return Outcome::Retry(
                    self.backoff(attempt),
                    XeroError::Unavailable {
                        endpoint: endpoint.to_string(),
                        detail: transport_detail(&e),
                    },
                );
            }
        };
        let endpoint = endpoint.to_string();
        let done = |r| Outcome::Done(r);
        match status {
            s if s.is_success() => {
                done(
                    serde_json::from_slice::<T>(&body).map_err(|e| XeroError::Malformed {
                        endpoint,
                        detail: e.to_string(),
                    }),
                )
            }
            StatusCode::TOO_MANY_REQUESTS => {
                let problem = headers
                    .get("x-rate-limit-problem")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("unknown")
                    .to_ascii_lowercase();
                let retry_after = header_i64(&headers, RETRY_AFTER.as_str())
                    .map(|s| Duration::from_secs(s.max(0) as u64));
                if problem == "day" {
                    return done(Err(XeroError::DayBudgetExhausted { endpoint }));
                }
                let err = XeroError::RateLimited {
                    endpoint,
                    problem,
                    retry_after,
                };
                match retry_after {
                    Some(w) if w > self.retry.max_retry_after => done(Err(err)),
                    Some(w) => Outcome::Retry(w, err),
                    None => Outcome::Retry(self.backoff(attempt), err),
                }
            }
            // 408 is the HTTP layer's timeout (a gateway in front of Xero
            // gave up waiting for the request): the call did nothing, so it
            // is as transient as a 5xx and retried the same way.
            s if s.is_server_error() || s == StatusCode::REQUEST_TIMEOUT => Outcome::Retry(
                self.backoff(attempt),
                XeroError::Unavailable {
                    endpoint,
                    detail: format!("HTTP {}", s.as_u16()),
                },
            ),
            StatusCode::BAD_REQUEST => {
                let messages = serde_json::from_slice::<ApiException>(&body)
                    .map(|e| e.messages())
                    .ok()
                    .filter(|m| !m.is_empty())
                    .unwrap_or_else(|| {
                        vec![String::from_utf8_lossy(&body).chars().take(300).collect()]
                    });
                done(Err(XeroError::Validation { endpoint, messages }))
            }
            StatusCode::UNAUTHORIZED => {
                let detail = serde_json::from_slice::<ProblemBody>(&body)
                    .ok()
                    .map(|p| p.detail)
                    .unwrap_or_default();
                if detail.starts_with("TokenExpired") {
                    done(Err(XeroError::TokenExpired { endpoint }))
                } else {
                    done(Err(XeroError::Unauthorized { endpoint, detail }))
                }
            }
            StatusCode::FORBIDDEN => done(Err(XeroError::TenantNotConnected { endpoint })),
            StatusCode::NOT_FOUND => done(Err(XeroError::NotFound { endpoint })),
            s => done(Err(XeroError::Unexpected {
                endpoint,
                status: s.as_u16(),
            })),
        }
    }

    /// Capped exponential backoff with jitter: half fixed, half random.
    fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .retry
            .base_delay
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let capped = exp.min(self.retry.max_delay);
        let mut b = [0u8; 4];
        let _ = getrandom::fill(&mut b);
        let frac = u32::from_le_bytes(b) as u64;
        let half = capped / 2;
        half + Duration::from_nanos((half.as_nanos() as u64).saturating_mul(frac) >> 32)
    }

    /// `GET /connections`: the tenants this token may use, optionally only
    /// those granted by one consent.
    pub async fn connections(
        &self,
        token: &str,
        auth_event_id: Option<&str>,
    ) -> Result<Vec<Connection>, XeroError> {
        let endpoint = "GET /connections".to_string();
        let mut req = self
            .http
            .get(&self.endpoints.connections)
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .header(ACCEPT, "application/json");
        if let Some(id) = auth_event_id {
            req = req.query(&[("authEventId", id)]);
        }
        self.identity_call(req, endpoint).await
    }

    /// `DELETE /connections/{id}`.
    pub async fn delete_connection(
        &self,
        token: &str,
        connection_id: &str,
    ) -> Result<(), XeroError> {
        let endpoint = "DELETE /connections".to_string();
        let req = self
            .http
            .delete(format!("{}/{connection_id}", self.endpoints.connections))
            .header(AUTHORIZATION, format!("Bearer {token}"));
        self.identity_call::<serde_json::Value>(req, endpoint)
            .await
            .map(|_| ())
            .or_else(|e| match e {
                // An empty 204 body is not JSON; that is success.
                XeroError::Malformed { .. } => Ok(()),
                other => Err(other),
            })
    }

    async fn identity_call<T: DeserializeOwned>(
        &self,
        req: reqwest::RequestBuilder,
        endpoint: String,
    ) -> Result<T, XeroError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let Some(r) = req.try_clone() else {
                return Err(XeroError::Unexpected {
                    endpoint,
                    status: 0,
                });
            };
            let outcome = match r.send().await {
                Err(e) => Outcome::Retry(
                    self.backoff(attempt),
                    XeroError::Unavailable {
                        endpoint: endpoint.clone(),
                        detail: transport_detail(&e),
                    },
                ),
                Ok(resp) => self.read(resp, &endpoint, attempt).await,
            };
            match outcome {
                Outcome::Done(r) => return r,
                Outcome::Retry(wait, err) => {
                    if attempt >= self.retry.max_attempts {
                        return Err(err);
                    }
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }
}

fn header_i64(h: &HeaderMap, name: &str) -> Option<i64> {
    h.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// A transport error without its URL (which is fine) or anything secret.
fn transport_detail(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "could not connect".into()
    } else if e.is_body() || e.is_decode() {
        "the connection broke while reading the response".into()
    } else {
        "the request failed".into()
    }
}

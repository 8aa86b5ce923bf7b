//! The simulator's shared state: apps, Xero users, organisations (one
//! [`Ledger`] each), connections, authorisation codes, tokens, rate-limit
//! windows, faults and statistics. Everything sits behind one mutex that is
//! never held across an `.await`; time is always the [`SimClock`]'s.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::sim::rng::SplitMix64;
use crate::sim::{Ledger, SimClock};
use crate::xero::{Connection, OAuthError, TokenResponse};

/// Access tokens live 30 minutes.
pub const ACCESS_TOKEN_SECONDS: i64 = 1800;
/// Authorisation codes expire after 5 minutes.
pub const CODE_SECONDS: i64 = 300;
/// A rotated-away refresh token keeps working for 30 minutes.
pub const REFRESH_GRACE_SECONDS: i64 = 1800;
/// Unused refresh tokens expire after 60 days.
pub const REFRESH_IDLE_DAYS: i64 = 60;

/// Xero's rate limits (fixed windows on the simulator's clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    pub concurrent: u32,
    pub per_minute: u32,
    pub per_day: u32,
    pub app_per_minute: u32,
    /// The length of the "minute" window: 60, as at Xero. Shorter windows
    /// let load tests run Xero's pattern of limits quickly.
    #[serde(default = "sixty")]
    pub minute_seconds: u32,
}

fn sixty() -> u32 {
    60
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            concurrent: 5,
            per_minute: 60,
            per_day: 5_000,
            app_per_minute: 10_000,
            minute_seconds: 60,
        }
    }
}

/// A registered OAuth app (`POST /_sim/apps`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct App {
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub webhook_url: Option<String>,
    #[serde(default)]
    pub webhook_key: Option<String>,
}

/// A Xero user whose consent grants access to `organisations`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XeroUser {
    pub id: Uuid,
    pub email: String,
    pub organisations: Vec<Uuid>,
}

impl Org {
    pub fn ledger(&self) -> MutexGuard<'_, Ledger> {
        self.ledger.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub(crate) struct Org {
    /// Never changes, so it is read without the ledger's lock.
    pub tenant_id: Uuid,
    /// Each organisation has its own lock, so that calls for different
    /// tenants run in parallel, as at Xero (take it after, never before,
    /// the state's lock).
    pub ledger: Arc<Mutex<Ledger>>,
    pub custom_client_id: String,
    pub custom_client_secret: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Conn {
    pub id: Uuid,
    pub auth_event_id: Uuid,
    pub tenant_id: Uuid,
    pub client_id: String,
    pub user_id: Uuid,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub(crate) struct AuthCode {
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub user_id: Uuid,
    pub auth_event_id: Uuid,
    pub challenge: Option<String>,
    pub expires: DateTime<Utc>,
    pub used: bool,
}

/// One token set: what a consent (or a client-credentials call) granted.
#[derive(Debug, Clone)]
pub(crate) struct Grant {
    pub client_id: String,
    /// None for client credentials.
    pub user_id: Option<Uuid>,
    /// Some for client credentials: the one organisation.
    pub tenant: Option<Uuid>,
    pub scope: String,
    /// The consent that made the grant (its access tokens carry it as the
    /// `authentication_event_id` claim); None for client credentials.
    pub auth_event_id: Option<Uuid>,
    /// `POST /connect/revocation`: the refresh token and its access tokens.
    pub revoked: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct AccessTok {
    pub grant: usize,
    pub expires: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub(crate) struct RefreshTok {
    pub grant: usize,
    pub issued: DateTime<Utc>,
    /// When it was rotated away (usable for the grace period after).
    pub rotated: Option<DateTime<Utc>>,
    /// Revoked through a fault (the grant's access tokens keep working).
    pub revoked: bool,
}

/// Injected faults, for one tenant or for all (`POST /_sim/faults`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Faults {
    /// Percentage (0 to 100) of calls that fail: exactly that share of
    /// each block of calls (10 calls at 10%, 2 at 50%, 100 at 7%), at
    /// places within the block drawn from `seed`. A fixed stride would
    /// strike the same retried call again and again when retries keep
    /// landing the same number of calls later (a client's steady limiter
    /// does that); drawn places do not, and the same sequence of calls
    /// still fails the same way.
    #[serde(default)]
    pub error_rate_percent: u32,
    /// Draws which calls of a block fail (see `error_rate_percent`).
    #[serde(default)]
    pub seed: u64,
    /// 500 (Xero's JSON body), 503 (plain text) or 408 (plain text, as
    /// the gateway in front of Xero answers a request it timed out; not in
    /// Xero's list of codes, but seen in front of it); 500 by default.
    #[serde(default)]
    pub error_status: Option<u16>,
    /// Added to every call (while it counts as in flight).
    #[serde(default)]
    pub latency_ms: u64,
    /// 200 with a body that is not JSON.
    #[serde(default)]
    pub malformed_json: bool,
    /// 200 with the JSON cut in half.
    #[serde(default)]
    pub truncated_json: bool,
    /// Narrows `malformed_json` and `truncated_json` to the calls of one
    /// endpoint, named as in `/_sim/stats` (`"GET /Invoices"`,
    /// `"GET /Reports/ProfitAndLoss"`). The other faults still strike every
    /// call, so a run can draw 5xx throughout and a broken body on one
    /// endpoint.
    #[serde(default)]
    pub only_endpoint: Option<String>,
    /// `malformed_json` and `truncated_json` spare the first `after_calls`
    /// successful answers (of `only_endpoint`, when set) and spoil every one
    /// after: `{"only_endpoint": "GET /Invoices", "after_calls": 1}` breaks
    /// the second page of invoices, part-way through a sync, after the
    /// first page was stored. Answers failed by `error_rate_percent` or
    /// `force_429` are not counted.
    #[serde(default)]
    pub after_calls: u64,
    /// With `malformed_json` or `truncated_json`: spoil only this
    /// percentage (1 to 99) of the answers they would strike, chosen by a
    /// counter like `error_rate_percent`; 0 or 100 spoils every one.
    #[serde(default)]
    pub body_fault_percent: u32,
    /// Every call gets a 429 with this `X-Rate-Limit-Problem`.
    #[serde(default)]
    pub force_429: Option<String>,
    /// The `Retry-After` of forced 429s (60 by default).
    #[serde(default)]
    pub retry_after: Option<u64>,
    #[serde(skip)]
    pub counter: u64,
    /// Successful answers seen by the body faults (for `after_calls`).
    #[serde(skip)]
    pub body_counter: u64,
    /// Answers past `after_calls` (for `body_fault_percent`).
    #[serde(skip)]
    pub body_rate_counter: u64,
}

impl Faults {
    /// Whether the next call fails: exactly `rate` of every 100 calls, and
    /// of every smallest block with a whole number of failures.
    pub fn next_fails(&mut self) -> bool {
        let n = self.counter;
        self.counter += 1;
        fails_at(self.error_rate_percent, self.seed, n)
    }

    /// Whether a successful answer of `endpoint` gets its body spoiled
    /// (`malformed_json` or `truncated_json`), counting it towards
    /// `after_calls`.
    pub fn spoils(&mut self, endpoint: &str) -> bool {
        if !(self.malformed_json || self.truncated_json)
            || self.only_endpoint.as_deref().is_some_and(|e| e != endpoint)
        {
            return false;
        }
        self.body_counter += 1;
        if self.body_counter <= self.after_calls {
            return false;
        }
        let p = u64::from(self.body_fault_percent);
        if p == 0 || p >= 100 {
            return true;
        }
        let n = self.body_rate_counter;
        self.body_rate_counter += 1;
        ((n + 1) * p) / 100 > (n * p) / 100
    }
}

/// Whether call `n` (from 0) fails at `percent`: the calls are cut into
/// blocks of `100 / gcd(percent, 100)` calls, of which `percent / gcd`
/// fail, at places drawn from `seed` and the block's number (a partial
/// Fisher-Yates shuffle driven by splitmix64).
fn fails_at(percent: u32, seed: u64, n: u64) -> bool {
    let p = u64::from(percent.min(100));
    if p == 0 {
        return false;
    }
    let g = gcd(p, 100);
    let (len, k) = (100 / g, p / g);
    let (block, pos) = (n / len, n % len);
    let mut state = seed ^ block.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut places: Vec<u64> = (0..len).collect();
    for i in 0..k {
        let j = i + splitmix64(&mut state) % (len - i);
        places.swap(i as usize, j as usize);
    }
    places[..k as usize].contains(&pos)
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// One step of splitmix64: a small, fixed pseudo-random sequence (the
/// simulator must fail the same calls on every machine; no randomness).
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct TenantStats {
    pub calls: u64,
    pub rejected_429: u64,
    pub by_endpoint: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct TokenStats {
    pub issued: u64,
    pub refreshed: u64,
    pub revoked: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct WebhookStats {
    pub delivered: u64,
    pub failed: u64,
    pub attempts: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Stats {
    pub tenants: BTreeMap<Uuid, TenantStats>,
    pub tokens: TokenStats,
    pub webhooks: WebhookStats,
}

#[derive(Debug, Default)]
pub(crate) struct Window {
    pub id: i64,
    pub count: u32,
}

impl Window {
    pub fn roll(&mut self, id: i64) {
        if self.id != id {
            self.id = id;
            self.count = 0;
        }
    }
}

#[derive(Debug, Default)]
pub(crate) struct TenantRate {
    pub in_flight: u32,
    pub minute: Window,
    pub day: Window,
}

pub(crate) struct Inner {
    pub rng: SplitMix64,
    pub apps: HashMap<String, App>,
    pub users: Vec<XeroUser>,
    pub orgs: Vec<Org>,
    pub connections: Vec<Conn>,
    pub codes: HashMap<String, AuthCode>,
    pub grants: Vec<Grant>,
    pub access: HashMap<String, AccessTok>,
    pub refresh: HashMap<String, RefreshTok>,
    pub limits: Limits,
    pub tenant_rate: HashMap<Uuid, TenantRate>,
    pub app_minute: HashMap<String, Window>,
    pub faults_all: Option<Faults>,
    pub faults: HashMap<Uuid, Faults>,
    pub stats: Stats,
    pub webhook_seq: u64,
}

/// Everything the simulator knows; shared by all workers.
pub struct SimState {
    pub clock: SimClock,
    pub auto_approve: bool,
    pub(crate) base_url: Mutex<String>,
    pub(crate) inner: Mutex<Inner>,
}

/// An OAuth error: status and body.
pub type OAuthFail = (u16, OAuthError);

fn oauth_err(status: u16, error: &str, description: Option<&str>) -> OAuthFail {
    (
        status,
        OAuthError {
            error: error.into(),
            error_description: description.map(String::from),
        },
    )
}

/// A random URL-safe string of `bytes` random bytes.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    if getrandom::fill(&mut buf).is_err() {
        // The OS generator failing is not expected; fall back to v4 UUIDs.
        buf = (0..bytes.div_ceil(16))
            .flat_map(|_| *Uuid::new_v4().as_bytes())
            .take(bytes)
            .collect();
    }
    URL_SAFE_NO_PAD.encode(buf)
}

/// `BASE64URL(SHA256(verifier))`, PKCE's S256.
pub fn pkce_s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Xero's connection timestamps: `2019-12-07T18:46:19.5165400` (no zone).
pub fn connection_time(t: DateTime<Utc>) -> String {
    format!(
        "{}.{:07}",
        t.format("%Y-%m-%dT%H:%M:%S"),
        t.timestamp_subsec_nanos() / 100
    )
}

/// Whether `granted` (space separated) covers one of `any_of`.
pub fn has_scope(granted: &str, any_of: &[&str]) -> bool {
    granted
        .split_whitespace()
        .any(|g| any_of.iter().any(|a| a.eq_ignore_ascii_case(g)))
}

/// Every scope a Custom Connection gets when it asks for none.
pub const ALL_SCOPES: &str = "accounting.settings accounting.settings.read accounting.contacts accounting.contacts.read accounting.transactions accounting.transactions.read accounting.reports.read accounting.journals.read";

impl SimState {
    pub(crate) fn new(clock: SimClock, auto_approve: bool, seed: u64, limits: Limits) -> Self {
        Self {
            clock,
            auto_approve,
            base_url: Mutex::new(String::new()),
            inner: Mutex::new(Inner {
                rng: SplitMix64::new(seed ^ 0x005e_ed0f_5eed),
                apps: HashMap::new(),
                users: Vec::new(),
                orgs: Vec::new(),
                connections: Vec::new(),
                codes: HashMap::new(),
                grants: Vec::new(),
                access: HashMap::new(),
                refresh: HashMap::new(),
                limits,
                tenant_rate: HashMap::new(),
                app_minute: HashMap::new(),
                faults_all: None,
                faults: HashMap::new(),
                stats: Stats::default(),
                webhook_seq: 0,
            }),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The address clients use, e.g. `http://127.0.0.1:43210`.
    pub fn base_url(&self) -> String {
        self.base_url
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Registers (or replaces) an app.
    pub fn register_app(&self, app: App) {
        self.lock().apps.insert(app.client_id.clone(), app);
    }

    /// Adds an organisation; returns its tenant id and Custom Connection
    /// credentials.
    pub fn add_organisation(&self, ledger: Ledger) -> (Uuid, String, String) {
        let mut g = self.lock();
        let tenant = ledger.tenant_id();
        let client_id = format!("cc-{}", g.rng.uuid().simple());
        let secret = format!("{}{}", g.rng.uuid().simple(), g.rng.uuid().simple());
        g.orgs.push(Org {
            tenant_id: tenant,
            ledger: Arc::new(Mutex::new(ledger)),
            custom_client_id: client_id.clone(),
            custom_client_secret: secret.clone(),
        });
        (tenant, client_id, secret)
    }

    /// Adds (or replaces, by e-mail) a Xero user.
    pub fn add_user(&self, email: &str, organisations: Vec<Uuid>) -> Result<Uuid, String> {
        let mut g = self.lock();
        for t in &organisations {
            if g.org(*t).is_none() {
                return Err(format!("unknown organisation {t}"));
            }
        }
        let id = match g
            .users
            .iter()
            .position(|u| u.email.eq_ignore_ascii_case(email))
        {
            Some(i) => {
                g.users[i].organisations = organisations;
                g.users[i].id
            }
            None => {
                let id = g.rng.uuid();
                g.users.push(XeroUser {
                    id,
                    email: email.to_string(),
                    organisations,
                });
                id
            }
        };
        Ok(id)
    }

    /// `(tenant_id, name)` of every organisation, in creation order.
    pub fn tenants(&self) -> Vec<(Uuid, String)> {
        self.lock()
            .orgs
            .iter()
            .map(|o| (o.tenant_id, o.ledger().name().to_string()))
            .collect()
    }

    /// Runs `f` on one organisation's ledger.
    pub fn with_ledger<T>(&self, tenant: Uuid, f: impl FnOnce(&mut Ledger) -> T) -> Option<T> {
        let ledger = self.lock().org(tenant).map(|o| o.ledger.clone())?;
        let mut l = ledger.lock().unwrap_or_else(|e| e.into_inner());
        Some(f(&mut l))
    }

    /// A snapshot of the statistics.
    pub fn stats(&self) -> Stats {
        self.lock().stats.clone()
    }
}

impl Inner {
    pub fn org(&self, tenant: Uuid) -> Option<&Org> {
        self.orgs.iter().find(|o| o.tenant_id == tenant)
    }

    pub fn user(&self, id: Uuid) -> Option<&XeroUser> {
        self.users.iter().find(|u| u.id == id)
    }

    /// Checks client credentials against apps and Custom Connections.
    /// Returns the client id and, for a Custom Connection, its tenant.
    pub fn authenticate_client(
        &self,
        client_id: &str,
        secret: &str,
    ) -> Result<Option<Uuid>, OAuthFail> {
        if let Some(app) = self.apps.get(client_id) {
            if app.client_secret == secret {
                return Ok(None);
            }
        } else if let Some(o) = self.orgs.iter().find(|o| o.custom_client_id == client_id)
            && o.custom_client_secret == secret
        {
            return Ok(Some(o.tenant_id));
        }
        Err(oauth_err(401, "invalid_client", None))
    }

    /// The consent: connects the chosen organisations of the user (all of
    /// them when None) to the app under one new `authEventId`, and returns
    /// a fresh authorisation code. Connections made by earlier consents
    /// keep their own `authEventId`.
    #[allow(clippy::too_many_arguments)]
    pub fn consent(
        &mut self,
        now: DateTime<Utc>,
        client_id: &str,
        redirect_uri: &str,
        scope: &str,
        user_id: Uuid,
        challenge: Option<String>,
        chosen: Option<&[Uuid]>,
    ) -> String {
        let auth_event_id = self.rng.uuid();
        let tenants: Vec<Uuid> = self
            .user(user_id)
            .map(|u| u.organisations.clone())
            .unwrap_or_default()
            .into_iter()
            .filter(|t| chosen.is_none_or(|c| c.contains(t)))
            .collect();
        for t in tenants {
            match self
                .connections
                .iter_mut()
                .find(|c| c.tenant_id == t && c.client_id == client_id && c.user_id == user_id)
            {
                Some(c) => {
                    c.auth_event_id = auth_event_id;
                    c.updated = now;
                }
                None => {
                    let id = self.rng.uuid();
                    self.connections.push(Conn {
                        id,
                        auth_event_id,
                        tenant_id: t,
                        client_id: client_id.to_string(),
                        user_id,
                        created: now,
                        updated: now,
                    });
                }
            }
        }
        let code = random_token(24);
        self.codes.insert(
            code.clone(),
            AuthCode {
                client_id: client_id.to_string(),
                redirect_uri: redirect_uri.to_string(),
                scope: scope.to_string(),
                user_id,
                auth_event_id,
                challenge,
                expires: now + Duration::seconds(CODE_SECONDS),
                used: false,
            },
        );
        code
    }

    fn issue(
        &mut self,
        now: DateTime<Utc>,
        base_url: &str,
        grant: usize,
        with_refresh: bool,
    ) -> TokenResponse {
        let access = access_token(base_url, &self.grants[grant], now);
        self.access.insert(
            access.clone(),
            AccessTok {
                grant,
                expires: now + Duration::seconds(ACCESS_TOKEN_SECONDS),
            },
        );
        let refresh = with_refresh.then(|| {
            let r = random_token(32);
            self.refresh.insert(
                r.clone(),
                RefreshTok {
                    grant,
                    issued: now,
                    rotated: None,
                    revoked: false,
                },
            );
            r
        });
        let g = &self.grants[grant];
        let id_token = match g.user_id.and_then(|u| self.user(u)) {
            Some(u) if has_scope(&g.scope, &["openid"]) => {
                Some(id_token(base_url, &g.client_id, u, now))
            }
            _ => None,
        };
        self.stats.tokens.issued += 1;
        TokenResponse {
            id_token,
            access_token: access,
            expires_in: ACCESS_TOKEN_SECONDS as u64,
            token_type: "Bearer".into(),
            refresh_token: refresh,
            scope: Some(g.scope.clone()),
        }
    }

    /// `grant_type=authorization_code`.
    pub fn exchange_code(
        &mut self,
        now: DateTime<Utc>,
        base_url: &str,
        client_id: &str,
        code: &str,
        redirect_uri: &str,
        verifier: Option<&str>,
    ) -> Result<TokenResponse, OAuthFail> {
        let bad = |d: &str| oauth_err(400, "invalid_grant", Some(d));
        let c = self
            .codes
            .get_mut(code)
            .ok_or_else(|| bad("unknown code"))?;
        if c.client_id != client_id {
            return Err(bad("the code was issued to another client"));
        }
        if c.used {
            return Err(bad("the code was already used"));
        }
        c.used = true;
        if now > c.expires {
            return Err(bad("the code has expired"));
        }
        if c.redirect_uri != redirect_uri {
            return Err(bad("redirect_uri does not match"));
        }
        if let Some(ch) = &c.challenge {
            match verifier {
                Some(v) if pkce_s256(v) == *ch => {}
                _ => return Err(bad("code_verifier does not match the code_challenge")),
            }
        }
        let c = c.clone();
        self.grants.push(Grant {
            client_id: client_id.to_string(),
            user_id: Some(c.user_id),
            tenant: None,
            scope: c.scope.clone(),
            auth_event_id: Some(c.auth_event_id),
            revoked: false,
        });
        let g = self.grants.len() - 1;
        Ok(self.issue(now, base_url, g, has_scope(&c.scope, &["offline_access"])))
    }

    /// `grant_type=refresh_token`: rotates the refresh token.
    pub fn refresh_token(
        &mut self,
        now: DateTime<Utc>,
        base_url: &str,
        client_id: &str,
        token: &str,
    ) -> Result<TokenResponse, OAuthFail> {
        let bad = || oauth_err(400, "invalid_grant", None);
        let r = self.refresh.get(token).cloned().ok_or_else(bad)?;
        let grant = self.grants.get(r.grant).cloned().ok_or_else(bad)?;
        if grant.client_id != client_id {
            return Err(bad());
        }
        if grant.revoked || r.revoked {
            return Err(bad());
        }
        if let Some(at) = r.rotated
            && now > at + Duration::seconds(REFRESH_GRACE_SECONDS)
        {
            return Err(bad());
        }
        if now > r.issued + Duration::days(REFRESH_IDLE_DAYS) {
            return Err(bad());
        }
        if let Some(t) = self.refresh.get_mut(token)
            && t.rotated.is_none()
        {
            t.rotated = Some(now);
        }
        self.stats.tokens.refreshed += 1;
        Ok(self.issue(now, base_url, r.grant, true))
    }

    /// `grant_type=client_credentials` for a Custom Connection.
    pub fn client_credentials(
        &mut self,
        now: DateTime<Utc>,
        base_url: &str,
        client_id: &str,
        tenant: Uuid,
        scope: Option<&str>,
    ) -> TokenResponse {
        let scope = scope
            .filter(|s| !s.trim().is_empty())
            .unwrap_or(ALL_SCOPES)
            .to_string();
        self.grants.push(Grant {
            client_id: client_id.to_string(),
            user_id: None,
            tenant: Some(tenant),
            scope,
            auth_event_id: None,
            revoked: false,
        });
        let g = self.grants.len() - 1;
        self.issue(now, base_url, g, false)
    }

    /// `POST /connect/revocation`: revokes a refresh token's grant (and so
    /// its access tokens). Unknown tokens are ignored, as RFC 7009 says.
    pub fn revoke(&mut self, client_id: &str, token: &str) {
        let grant = self
            .refresh
            .get(token)
            .map(|r| r.grant)
            .or_else(|| self.access.get(token).map(|a| a.grant));
        if let Some(g) = grant
            && let Some(gr) = self.grants.get_mut(g)
            && gr.client_id == client_id
        {
            gr.revoked = true;
            self.stats.tokens.revoked += 1;
        }
    }

    /// The fault `revoke_refresh_tokens`: every refresh token that reaches
    /// `tenant` (or every one) stops working.
    pub fn revoke_refresh_tokens(&mut self, tenant: Option<Uuid>) {
        let grants: Vec<usize> = (0..self.grants.len())
            .filter(|g| tenant.is_none_or(|t| self.grant_reaches(*g, t)))
            .collect();
        for r in self.refresh.values_mut() {
            if grants.contains(&r.grant) {
                r.revoked = true;
            }
        }
    }

    /// Whether a grant may call `tenant`.
    pub fn grant_reaches(&self, grant: usize, tenant: Uuid) -> bool {
        let Some(g) = self.grants.get(grant) else {
            return false;
        };
        match (g.tenant, g.user_id) {
            (Some(t), _) => t == tenant,
            (None, Some(u)) => self
                .connections
                .iter()
                .any(|c| c.tenant_id == tenant && c.client_id == g.client_id && c.user_id == u),
            (None, None) => false,
        }
    }

    /// The connections a grant sees.
    pub fn connections_of(&self, grant: usize) -> Vec<Connection> {
        let Some(g) = self.grants.get(grant) else {
            return vec![];
        };
        let name = |t: Uuid| self.org(t).map(|o| o.ledger().name().to_string());
        match (g.tenant, g.user_id) {
            (Some(t), _) => vec![Connection {
                id: t,
                auth_event_id: None,
                tenant_id: t,
                tenant_type: Some("ORGANISATION".into()),
                tenant_name: name(t),
                created_date_utc: None,
                updated_date_utc: None,
            }],
            (None, Some(u)) => self
                .connections
                .iter()
                .filter(|c| c.client_id == g.client_id && c.user_id == u)
                .map(|c| Connection {
                    id: c.id,
                    auth_event_id: Some(c.auth_event_id),
                    tenant_id: c.tenant_id,
                    tenant_type: Some("ORGANISATION".into()),
                    tenant_name: name(c.tenant_id),
                    created_date_utc: Some(connection_time(c.created)),
                    updated_date_utc: Some(connection_time(c.updated)),
                })
                .collect(),
            (None, None) => vec![],
        }
    }
}

/// An access token shaped as Xero's: a JWT whose claims say who and what
/// it is for, including the consent's `authentication_event_id` (which
/// filters `/connections`). Its third part is random, not a signature:
/// Xero's are RS256-signed, and clients use the claims without checking.
fn access_token(base_url: &str, g: &Grant, now: DateTime<Utc>) -> String {
    let header = serde_json::json!({"alg": "RS256", "typ": "JWT"});
    let mut payload = serde_json::json!({
        "nbf": now.timestamp(),
        "exp": now.timestamp() + ACCESS_TOKEN_SECONDS,
        "iss": base_url,
        "aud": format!("{base_url}/resources"),
        "client_id": g.client_id,
        "jti": random_token(16),
        "scope": g.scope.split_whitespace().collect::<Vec<_>>(),
    });
    if let Some(u) = g.user_id {
        payload["sub"] = u.simple().to_string().into();
        payload["xero_userid"] = u.to_string().into();
    }
    if let Some(e) = g.auth_event_id {
        payload["authentication_event_id"] = e.to_string().into();
    }
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(payload.to_string()),
        random_token(32)
    )
}

/// An id_token shaped like a JWT (`header.payload.`) with `alg: none`: it
/// carries the user's e-mail but is NOT signed and cannot be verified.
fn id_token(base_url: &str, client_id: &str, u: &XeroUser, now: DateTime<Utc>) -> String {
    let header = serde_json::json!({"alg": "none", "typ": "JWT"});
    let payload = serde_json::json!({
        "iss": base_url,
        "aud": client_id,
        "sub": u.id.simple().to_string(),
        "xero_userid": u.id,
        "email": u.email,
        "iat": now.timestamp(),
        "exp": now.timestamp() + 300,
    });
    format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(payload.to_string())
    )
}

/// `Authorization: Basic base64(id:secret)` into its two halves.
pub fn parse_basic(h: &str) -> Option<(String, String)> {
    let rest = h
        .strip_prefix("Basic ")
        .or_else(|| h.strip_prefix("basic "))?;
    let raw = STANDARD.decode(rest.trim()).ok()?;
    let s = String::from_utf8(raw).ok()?;
    let (a, b) = s.split_once(':')?;
    Some((a.to_string(), b.to_string()))
}

/// Shared handle to the state.
pub type Shared = Arc<SimState>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_rate_is_exact_per_hundred() {
        let mut f = Faults {
            error_rate_percent: 30,
            ..Default::default()
        };
        let seq: Vec<bool> = (0..1000).map(|_| f.next_fails()).collect();
        // Exactly 3 in every 10 calls.
        for block in seq.chunks(10) {
            assert_eq!(block.iter().filter(|x| **x).count(), 3, "{block:?}");
        }
        let mut f = Faults {
            error_rate_percent: 50,
            ..Default::default()
        };
        let seq: Vec<bool> = (0..100).map(|_| f.next_fails()).collect();
        for pair in seq.chunks(2) {
            assert_eq!(pair.iter().filter(|x| **x).count(), 1, "{pair:?}");
        }
        for (percent, n) in [(0, 0), (7, 7), (100, 100)] {
            let mut f = Faults {
                error_rate_percent: percent,
                ..Default::default()
            };
            assert_eq!((0..100).filter(|_| f.next_fails()).count(), n);
        }
    }

    /// The flaky-test finding of issue 16: at 10% a fixed stride failed
    /// every 10th call, so a retry landing ten calls after its failure
    /// failed again, every time. Drawn places fail such a retry about one
    /// time in ten.
    #[test]
    fn a_retry_a_fixed_number_of_calls_later_is_not_struck_again() {
        let mut f = Faults {
            error_rate_percent: 10,
            ..Default::default()
        };
        let seq: Vec<bool> = (0..100_000).map(|_| f.next_fails()).collect();
        assert_eq!(seq.iter().filter(|x| **x).count(), 10_000);
        for offset in [10, 20, 7] {
            let failed: Vec<usize> = (0..seq.len() - offset).filter(|&n| seq[n]).collect();
            let again = failed.iter().filter(|&&n| seq[n + offset]).count();
            assert!(
                again * 5 < failed.len(),
                "{again} of {} failed again {offset} calls later",
                failed.len()
            );
        }
        // The same seed fails the same calls; another seed, others.
        let mut same = Faults {
            error_rate_percent: 10,
            ..Default::default()
        };
        assert!(seq[..1000].iter().all(|x| *x == same.next_fails()));
        let mut other = Faults {
            error_rate_percent: 10,
            seed: 7,
            ..Default::default()
        };
        let theirs: Vec<bool> = (0..1000).map(|_| other.next_fails()).collect();
        assert_ne!(&seq[..1000], &theirs[..]);
    }

    #[test]
    fn body_faults_strike_one_endpoint_after_n_answers() {
        let mut f = Faults {
            truncated_json: true,
            only_endpoint: Some("GET /Invoices".into()),
            after_calls: 1,
            ..Default::default()
        };
        let seq: Vec<bool> = [
            "GET /Organisation",
            "GET /Invoices",
            "GET /Contacts",
            "GET /Invoices",
            "GET /Invoices",
        ]
        .iter()
        .map(|e| f.spoils(e))
        .collect();
        assert_eq!(seq, [false, false, false, true, true]);
        // Without a body fault nothing is spoiled, whatever the scope.
        let mut f = Faults {
            only_endpoint: Some("GET /Invoices".into()),
            ..Default::default()
        };
        assert!(!f.spoils("GET /Invoices"));
        let mut f = Faults {
            malformed_json: true,
            ..Default::default()
        };
        assert!(f.spoils("GET /Organisation"));
    }

    #[test]
    fn pkce_rfc7636_example() {
        assert_eq!(
            pkce_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn connection_time_has_seven_digits() {
        let t = DateTime::parse_from_rfc3339("2019-12-07T18:46:19.516540Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(connection_time(t), "2019-12-07T18:46:19.5165400");
    }
}

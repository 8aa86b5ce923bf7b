//! A simulator on port 0 plus a reqwest client that does not follow
//! redirects, and shortcuts for the control paths and the OAuth dance.

use std::sync::OnceLock;

use chrono::NaiveDate;
use consol::sim::http::{DataChoice, Limits, SimConfig, SimHandle, SimServer};
use reqwest::header::LOCATION;
use reqwest::{Client, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

pub const REDIRECT: &str = "http://127.0.0.1:9/callback";
pub const CLIENT_ID: &str = "test-app";
pub const CLIENT_SECRET: &str = "test-secret";
pub const WRITE_SCOPES: &str = "openid email offline_access accounting.transactions accounting.contacts accounting.settings accounting.reports.read";
pub const READ_SCOPES: &str = "openid profile email offline_access accounting.settings.read accounting.contacts.read accounting.invoices.read accounting.reports.profitandloss.read accounting.reports.balancesheet.read accounting.reports.trialbalance.read";

pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 4, 15).unwrap()
}

pub fn client() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub struct Sim {
    pub handle: SimHandle,
    pub http: Client,
    pub base: String,
}

impl Sim {
    pub async fn start(cfg: SimConfig) -> Sim {
        let handle = SimServer::start(cfg).await.expect("simulator starts");
        let base = handle.base_url();
        Sim {
            handle,
            http: client(),
            base,
        }
    }

    /// Empty data, auto-approve, one app and one organisation with a user.
    pub async fn empty() -> Sim {
        Sim::start(SimConfig {
            auto_approve: true,
            today: today(),
            ..SimConfig::default()
        })
        .await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn post_json(&self, path: &str, body: Value) -> Value {
        let r = self
            .http
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
        r.json().await.unwrap()
    }

    pub async fn get_json(&self, path: &str) -> Value {
        self.http
            .get(self.url(path))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    pub async fn add_app(&self, webhook: Option<(&str, &str)>) {
        let mut body = json!({
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "redirect_uris": [REDIRECT],
        });
        if let Some((url, key)) = webhook {
            body["webhook_url"] = json!(url);
            body["webhook_key"] = json!(key);
        }
        self.post_json("/_sim/apps", body).await;
    }

    /// Returns `(tenant_id, custom client id, custom secret)`.
    pub async fn add_org(&self, name: &str, currency: &str) -> (Uuid, String, String) {
        let v = self
            .post_json(
                "/_sim/organisations",
                json!({"name": name, "base_currency": currency,
                       "financial_year_end_day": 31, "financial_year_end_month": 3}),
            )
            .await;
        (
            v["tenant_id"].as_str().unwrap().parse().unwrap(),
            v["custom_connection"]["client_id"].as_str().unwrap().into(),
            v["custom_connection"]["client_secret"]
                .as_str()
                .unwrap()
                .into(),
        )
    }

    pub async fn add_user(&self, email: &str, orgs: &[Uuid]) {
        self.post_json(
            "/_sim/users",
            json!({"email": email, "organisations": orgs}),
        )
        .await;
    }

    /// App, two organisations, one user with both.
    pub async fn setup(&self) -> Vec<Uuid> {
        self.add_app(None).await;
        let (a, _, _) = self.add_org("Alpha Ltd", "NZD").await;
        let (b, _, _) = self.add_org("Beta Pty", "AUD").await;
        self.add_user("user@example.com", &[a, b]).await;
        vec![a, b]
    }

    pub async fn authorize(&self, extra: &[(&str, &str)]) -> Response {
        let mut q: Vec<(&str, &str)> = vec![
            ("response_type", "code"),
            ("client_id", CLIENT_ID),
            ("redirect_uri", REDIRECT),
            ("scope", READ_SCOPES),
            ("state", "xyz"),
        ];
        for (k, v) in extra {
            q.retain(|(a, _)| a != k);
            q.push((k, v));
        }
        self.http
            .get(self.url("/identity/connect/authorize"))
            .query(&q)
            .send()
            .await
            .unwrap()
    }

    /// Follows an auto-approved authorisation and returns the query pairs
    /// of the redirect.
    pub async fn authorize_code(&self, extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let r = self.authorize(extra).await;
        assert_eq!(r.status(), StatusCode::FOUND);
        redirect_params(&r)
    }

    pub async fn token(&self, form: &[(&str, &str)]) -> Response {
        self.http
            .post(self.url("/connect/token"))
            .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// The whole code flow; returns the token response.
    pub async fn login(&self) -> Value {
        self.login_with(READ_SCOPES).await
    }

    /// The code flow asking for `scope`.
    pub async fn login_with(&self, scope: &str) -> Value {
        let p = self.authorize_code(&[("scope", scope)]).await;
        let code = param(&p, "code").unwrap();
        let r = self
            .token(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
            ])
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        r.json().await.unwrap()
    }

    pub fn api(
        &self,
        method: reqwest::Method,
        token: &str,
        tenant: Option<Uuid>,
        path: &str,
    ) -> RequestBuilder {
        let mut b = self
            .http
            .request(method, self.url(&format!("/api.xro/2.0{path}")))
            .bearer_auth(token)
            .header("accept", "application/json");
        if let Some(t) = tenant {
            b = b.header("xero-tenant-id", t.to_string());
        }
        b
    }

    pub async fn get(&self, token: &str, tenant: Uuid, path: &str) -> Response {
        self.api(reqwest::Method::GET, token, Some(tenant), path)
            .send()
            .await
            .unwrap()
    }

    pub async fn advance(&self, secs: i64) {
        self.post_json("/_sim/clock", json!({"advance_seconds": secs}))
            .await;
    }
}

pub fn redirect_params(r: &Response) -> Vec<(String, String)> {
    let loc = r.headers()[LOCATION].to_str().unwrap();
    let u = reqwest::Url::parse(loc).unwrap();
    u.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

pub fn param(p: &[(String, String)], k: &str) -> Option<String> {
    p.iter().find(|(a, _)| a == k).map(|(_, v)| v.clone())
}

pub fn token_of(v: &Value) -> String {
    v["access_token"].as_str().unwrap().to_string()
}

/// A demo-data simulator shared by read-only tests: it lives on its own
/// thread and runtime for the whole test binary. Limits are raised so that
/// tests sharing it do not starve each other.
pub struct SharedDemo {
    pub base: String,
    pub token: String,
    pub tenants: Vec<(Uuid, String)>,
}

pub fn shared_demo() -> &'static SharedDemo {
    static DEMO: OnceLock<SharedDemo> = OnceLock::new();
    DEMO.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Runtime::new().unwrap();
            rt.block_on(async move {
                let sim = Sim::start(SimConfig {
                    data: DataChoice::Demo,
                    auto_approve: true,
                    seed: 42,
                    today: today(),
                    limits: Limits {
                        per_minute: 100_000,
                        per_day: 1_000_000,
                        concurrent: 100,
                        ..Limits::default()
                    },
                    ..SimConfig::default()
                })
                .await;
                sim.add_app(None).await;
                let mut all = READ_SCOPES.to_string();
                all.push_str(" accounting.transactions accounting.contacts accounting.settings");
                let p = sim.authorize_code(&[("scope", &all)]).await;
                let code = param(&p, "code").unwrap();
                let t: Value = sim
                    .token(&[
                        ("grant_type", "authorization_code"),
                        ("code", &code),
                        ("redirect_uri", REDIRECT),
                    ])
                    .await
                    .json()
                    .await
                    .unwrap();
                // Never expires: the clock stands still.
                tx.send(SharedDemo {
                    base: sim.base.clone(),
                    token: token_of(&t),
                    tenants: sim.handle.tenants(),
                })
                .unwrap();
                std::future::pending::<()>().await;
            });
        });
        rx.recv().unwrap()
    })
}

impl SharedDemo {
    pub fn get(&self, tenant: Uuid, path: &str) -> RequestBuilder {
        client()
            .get(format!("{}/api.xro/2.0{path}", self.base))
            .bearer_auth(&self.token)
            .header("accept", "application/json")
            .header("xero-tenant-id", tenant.to_string())
    }

    pub fn tenant(&self, name: &str) -> Uuid {
        self.tenants.iter().find(|(_, n)| n == name).unwrap().0
    }
}

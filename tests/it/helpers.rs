//! Shared test helpers: fresh databases on either backend, the app started
//! on port 0, and an HTTP client that keeps cookies and does not follow
//! redirects.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};

use consol::config::{Secret, Settings};
use consol::startup::Application;
use consol::store::Store;
use sqlx::postgres::PgConnectOptions;
use sqlx::sqlite::SqliteConnectOptions;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates `sqlite::name` and `postgres::name` tokio tests for each
/// listed `async fn name(backend: Backend)` in the calling module.
#[macro_export]
macro_rules! backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Postgres).await
                }
            )*
        }
    };
}

/// The PostgreSQL server tests use. Never skipped: an unreachable server
/// fails the test with a message saying how to start it.
pub fn postgres_url() -> String {
    std::env::var("CONSOL_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

fn unique_name(prefix: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A fresh, migrated database that is removed when dropped: a SQLite file in
/// its own directory, or a PostgreSQL schema of its own.
pub struct TestDb {
    pub store: Store,
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Dir(std::path::PathBuf),
    Schema(String),
}

impl TestDb {
    pub async fn new(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(unique_name("consol_test"));
                let path = dir.join("consol.db");
                let url = format!("sqlite://{}?mode=rwc", path.display());
                let store = Store::connect_sqlite(SqliteConnectOptions::from_str(&url).unwrap())
                    .await
                    .expect("open SQLite");
                store.migrate().await.expect("migrate SQLite");
                TestDb {
                    store,
                    url,
                    cleanup: Cleanup::Dir(dir),
                }
            }
            Backend::Postgres => {
                let base = postgres_url();
                let schema = unique_name("consol_test");
                let admin = sqlx::PgPool::connect(&base).await.unwrap_or_else(|e| {
                    panic!(
                        "PostgreSQL is not reachable at {base}: {e}. Start it with \
                         `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` \
                         or set CONSOL_TEST_POSTGRES_URL."
                    )
                });
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
                    .execute(&admin)
                    .await
                    .expect("create schema");
                admin.close().await;
                let opts = PgConnectOptions::from_str(&base)
                    .unwrap()
                    .options([("search_path", schema.as_str())]);
                let store = Store::connect_postgres(opts)
                    .await
                    .expect("connect PostgreSQL");
                store.migrate().await.expect("migrate PostgreSQL");
                let sep = if base.contains('?') { '&' } else { '?' };
                let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
                TestDb {
                    store,
                    url,
                    cleanup: Cleanup::Schema(schema),
                }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Dir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Schema(schema) => {
                // Drop runs inside the test's runtime; use a thread with a
                // runtime of its own to remove the schema.
                let schema = schema.clone();
                let base = postgres_url();
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .ok()?;
                    rt.block_on(async move {
                        let pool = sqlx::PgPool::connect(&base).await.ok()?;
                        // The test's own pool may still hold a lock; give up
                        // (leaving the schema) rather than wait forever.
                        let mut conn = pool.acquire().await.ok()?;
                        sqlx::query("SET lock_timeout = '3s'")
                            .execute(&mut *conn)
                            .await
                            .ok()?;
                        sqlx::query(sqlx::AssertSqlSafe(format!(
                            "DROP SCHEMA IF EXISTS {schema} CASCADE"
                        )))
                        .execute(&mut *conn)
                        .await
                        .ok()?;
                        drop(conn);
                        pool.close().await;
                        Some(())
                    })
                })
                .join();
            }
        }
    }
}

pub struct TestApp {
    pub address: String,
    pub db: TestDb,
    pub client: Client,
}

impl TestApp {
    pub fn store(&self) -> &Store {
        &self.db.store
    }

    /// A second browser: its own cookies.
    pub fn new_client(&self) -> Client {
        Client::new(&self.address)
    }
}

pub fn test_settings(database_url: &str) -> Settings {
    let mut env = HashMap::new();
    env.insert("CONSOL_LISTEN".to_string(), "127.0.0.1:0".to_string());
    env.insert("CONSOL_DATABASE_URL".to_string(), database_url.to_string());
    env.insert(
        "CONSOL_SECRET_KEY".to_string(),
        "test-secret-key-of-at-least-32-characters".to_string(),
    );
    let mut s = Settings::from_sources(None, &env).expect("test settings");
    s.database_url = Secret::new(database_url);
    s
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_on(TestDb::new(backend).await)
}

/// The app on a database the test already holds (e.g. one the `consol`
/// binary has written to).
pub fn spawn_app_on(db: TestDb) -> TestApp {
    let settings = test_settings(&db.url);
    let app = Application::build_with_store(settings, db.store.clone()).expect("build app");
    let address = format!("http://127.0.0.1:{}", app.port());
    let (_trigger, shutdown) = consol::shutdown::channel();
    // The trigger is dropped: the server runs until the test's runtime ends.
    tokio::spawn(app.run_until_stopped(shutdown));
    TestApp {
        client: Client::new(&address),
        address,
        db,
    }
}

/// The app with settings changed by `f`.
pub async fn spawn_app_with(backend: Backend, f: impl FnOnce(&mut Settings)) -> TestApp {
    let db = TestDb::new(backend).await;
    let mut settings = test_settings(&db.url);
    f(&mut settings);
    let app = Application::build_with_store(settings, db.store.clone()).expect("build app");
    let address = format!("http://127.0.0.1:{}", app.port());
    let (_trigger, shutdown) = consol::shutdown::channel();
    tokio::spawn(app.run_until_stopped(shutdown));
    TestApp {
        client: Client::new(&address),
        address,
        db,
    }
}

/// A small browser: keeps cookies, never follows redirects.
pub struct Client {
    base: String,
    http: reqwest::Client,
    pub cookies: HashMap<String, String>,
}

pub struct Page {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> Option<&str> {
        self.headers.get("location").and_then(|v| v.to_str().ok())
    }

    /// The value of the first `<input name="NAME" value="...">`.
    pub fn input_value(&self, name: &str) -> Option<String> {
        let needle = format!("name=\"{name}\" value=\"");
        let start = self.body.find(&needle)? + needle.len();
        let end = self.body[start..].find('"')? + start;
        Some(self.body[start..end].to_string())
    }

    /// Every form of the page: its opening tag, and the fields a browser
    /// would send if the form were submitted as shown (hidden and text
    /// inputs, ticked checkboxes, each select's selected option or else
    /// its first). Buttons are left out.
    pub fn forms(&self) -> Vec<Form> {
        let mut out = Vec::new();
        let mut rest = self.body.as_str();
        while let Some(start) = rest.find("<form") {
            let after = &rest[start..];
            let end = after.find("</form>").expect("a closed form");
            let html = &after[..end];
            let open = html.find('>').expect("a form tag") + 1;
            out.push(Form {
                tag: html[..open].to_string(),
                fields: form_fields(&html[open..]),
            });
            rest = &after[end..];
        }
        out
    }

    /// The form whose tag or fields contain `needle` (as `name=value`
    /// pairs or text of the tag); panics when there is none.
    pub fn form_with(&self, needle: &str) -> Form {
        self.forms()
            .into_iter()
            .find(|f| {
                f.tag.contains(needle) || f.fields.iter().any(|(k, v)| format!("{k}={v}") == needle)
            })
            .unwrap_or_else(|| panic!("no form with {needle} in: {}", self.body))
    }

    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_string))
            .collect()
    }
}

/// A form as a browser would submit it (see [`Page::forms`]).
#[derive(Debug, Clone)]
pub struct Form {
    pub tag: String,
    pub fields: Vec<(String, String)>,
}

impl Form {
    /// The first value of a field.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Sets a field (adding it when absent), as a user would.
    pub fn set(&mut self, name: &str, value: &str) {
        match self.fields.iter_mut().find(|(k, _)| k == name) {
            Some(f) => f.1 = value.to_string(),
            None => self.fields.push((name.to_string(), value.to_string())),
        }
    }

    /// Removes a field (an unticked checkbox).
    pub fn remove(&mut self, name: &str) {
        self.fields.retain(|(k, _)| k != name);
    }

    /// The fields as `post_form` takes them.
    pub fn pairs(&self) -> Vec<(&str, &str)> {
        self.fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }
}

fn html_attr(tag: &str, name: &str) -> Option<String> {
    let needle = format!(" {name}=\"");
    let start = tag.find(&needle)? + needle.len();
    let end = tag[start..].find('"')? + start;
    Some(
        tag[start..end]
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&#x27;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&"),
    )
}

fn html_flag(tag: &str, flag: &str) -> bool {
    tag.trim_end_matches('>')
        .split_whitespace()
        .any(|w| w == flag)
}

/// The fields of a form's inner HTML, in document order.
fn form_fields(html: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(p) = html[i..].find('<') {
        let s = i + p;
        let Some(len) = html[s..].find('>') else {
            break;
        };
        let e = s + len;
        let tag = &html[s..=e];
        i = e + 1;
        if tag.starts_with("<input") {
            let kind = html_attr(tag, "type").unwrap_or_else(|| "text".into());
            let Some(name) = html_attr(tag, "name") else {
                continue;
            };
            if !matches!(kind.as_str(), "checkbox" | "radio") || html_flag(tag, "checked") {
                out.push((name, html_attr(tag, "value").unwrap_or_default()));
            }
        } else if tag.starts_with("<select") {
            let name = html_attr(tag, "name").expect("a named select");
            let close = e + html[e..].find("</select>").expect("a closed select");
            let (mut first, mut chosen) = (None, None);
            for option in html[e..close].split("<option").skip(1) {
                let otag = &option[..option.find('>').expect("an option tag") + 1];
                let value = html_attr(otag, "value").unwrap_or_default();
                if first.is_none() {
                    first = Some(value.clone());
                }
                if html_flag(otag, "selected") {
                    chosen = Some(value);
                }
            }
            out.push((name, chosen.or(first).unwrap_or_default()));
            i = close;
        }
    }
    out
}

impl Client {
    pub fn new(base: &str) -> Self {
        Self {
            base: base.to_string(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: HashMap::new(),
        }
    }

    /// The `Cookie` header this browser sends.
    pub fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn finish(&mut self, resp: reqwest::Response) -> Page {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        for v in headers.get_all("set-cookie") {
            let Ok(s) = v.to_str() else { continue };
            let first = s.split(';').next().unwrap_or("");
            if let Some((k, val)) = first.split_once('=') {
                let expired = s.to_ascii_lowercase().contains("max-age=0");
                if val.is_empty() || expired {
                    self.cookies.remove(k.trim());
                } else {
                    self.cookies.insert(k.trim().to_string(), val.to_string());
                }
            }
        }
        let body = resp.text().await.unwrap_or_default();
        Page {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .expect("GET");
        self.finish(resp).await
    }

    pub async fn post_form(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .form(form)
            .send()
            .await
            .expect("POST");
        self.finish(resp).await
    }

    /// A form post with extra request headers (such as `X-Forwarded-For`).
    pub async fn post_form_with_headers(
        &mut self,
        path: &str,
        form: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Page {
        let mut req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .form(form);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        self.finish(req.send().await.expect("POST")).await
    }

    /// Loads a form page and returns its CSRF token.
    pub async fn csrf_from(&mut self, path: &str) -> String {
        let page = self.get(path).await;
        page.input_value("csrf_token")
            .unwrap_or_else(|| panic!("no csrf_token on {path}: {}", page.status))
    }
}

pub const ADMIN_EMAIL: &str = "admin@consol.test";
pub const ADMIN_PASSWORD: &str = "correct horse battery";

/// Creates a user directly in the store and returns its id.
pub async fn create_user(store: &Store, email: &str, password: &str) -> i64 {
    let email = consol::domain::Email::parse(email).unwrap();
    let hash = consol::auth::password::hash(password).unwrap();
    store
        .create_user(
            &consol::store::NewUser {
                email: &email,
                name: "",
                password_hash: &hash,
                is_admin: false,
            },
            chrono::Utc::now(),
        )
        .await
        .unwrap()
        .id
}

/// Signs the client in through the login form; panics unless it works.
pub async fn login(client: &mut Client, email: &str, password: &str) {
    let csrf = client.csrf_from("/login").await;
    let page = client
        .post_form(
            "/login",
            &[
                ("email", email),
                ("password", password),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    assert_eq!(page.status, 303, "login failed: {}", page.body);
}

/// The CSRF token of the signed-in session, read from the groups page.
pub async fn session_csrf(client: &mut Client) -> String {
    client.csrf_from("/groups").await
}

/// The app wired to a running Xero simulator with the demo group, its
/// Xero app registered and consent auto-approved.
pub struct SimApp {
    pub app: TestApp,
    pub sim: consol::sim::http::SimHandle,
    pub xero: std::sync::Arc<consol::connect::XeroServices>,
}

pub fn sim_settings(database_url: &str, port: u16, sim_base: &str) -> Settings {
    let mut s = test_settings(database_url);
    s.public_url = format!("http://127.0.0.1:{port}");
    s.xero_base_url = Some(sim_base.to_string());
    s.xero_client_id = Some(consol::sim::http::DEMO_CLIENT_ID.to_string());
    s.xero_client_secret = Some(Secret::new(consol::sim::http::DEMO_CLIENT_SECRET));
    s.xero_webhook_key = Some(Secret::new(WEBHOOK_KEY));
    s
}

pub const WEBHOOK_KEY: &str = "webhook-key-for-tests";

pub async fn spawn_with_sim(backend: Backend) -> SimApp {
    use consol::sim::http::{DataChoice, SimConfig};
    spawn_with_sim_config(
        backend,
        SimConfig {
            data: DataChoice::Demo,
            auto_approve: true,
            ..SimConfig::default()
        },
    )
    .await
}

pub async fn spawn_with_sim_config(
    backend: Backend,
    config: consol::sim::http::SimConfig,
) -> SimApp {
    spawn_with_sim_limits(backend, config, consol::xero::client::Limits::default()).await
}

/// As [`spawn_with_sim_config`], with the Xero client's own limits.
pub async fn spawn_with_sim_limits(
    backend: Backend,
    config: consol::sim::http::SimConfig,
    limits: consol::xero::client::Limits,
) -> SimApp {
    let db = TestDb::new(backend).await;
    let sim = consol::sim::http::SimServer::start(config)
        .await
        .expect("start the simulator");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let settings = sim_settings(&db.url, port, &sim.base_url());
    sim.register_demo_app(vec![format!(
        "http://127.0.0.1:{port}/connect/xero/callback"
    )]);
    let retry = consol::xero::client::RetryPolicy {
        base_delay: std::time::Duration::from_millis(20),
        ..Default::default()
    };
    let xero = std::sync::Arc::new(
        consol::connect::XeroServices::build(&settings, db.store.clone(), limits, retry).unwrap(),
    );
    let app = Application::build_with(settings, db.store.clone(), xero.clone(), listener, port)
        .expect("build app");
    let (_trigger, shutdown) = consol::shutdown::channel();
    tokio::spawn(app.run_until_stopped(shutdown));
    let address = format!("http://127.0.0.1:{port}");
    SimApp {
        app: TestApp {
            client: Client::new(&address),
            address,
            db,
        },
        sim,
        xero,
    }
}

impl Client {
    /// GETs an absolute URL (another host, such as the simulator).
    pub async fn get_absolute(&mut self, url: &str) -> Page {
        let resp = self.http.get(url).send().await.expect("GET");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.text().await.unwrap_or_default();
        Page {
            status,
            headers,
            body,
        }
    }
}

/// Signs a new user in, makes a group and connects the simulator's
/// organisations through the browser flow. Returns the group id.
pub async fn connect_demo_group(s: &mut SimApp, login_hint: Option<&str>) -> i64 {
    let uid = create_user(s.app.store(), "fin@example.com", "finance team pw").await;
    login(&mut s.app.client, "fin@example.com", "finance team pw").await;
    let group = s
        .app
        .store()
        .create_group(
            &consol::store::NewGroup {
                name: "Kea Group",
                presentation_currency: consol::domain::CurrencyCode::parse("NZD").unwrap(),
                financial_year_end_month: 3,
            },
            uid,
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    let location = consent(s, group.id, login_hint).await;
    assert!(
        location.starts_with(&format!("/groups/{}?notice=connected", group.id)),
        "{location}"
    );
    group.id
}

/// Runs the consent round trip for a group; returns where Consol sent the
/// browser at the end.
pub async fn consent(s: &mut SimApp, group_id: i64, login_hint: Option<&str>) -> String {
    let start = start_connect(&mut s.app.client, group_id).await;
    assert_eq!(start.status, 303, "{}", start.body);
    let mut authorize = start.location().unwrap().to_string();
    assert!(authorize.starts_with(&s.sim.base_url()), "{authorize}");
    if let Some(h) = login_hint {
        authorize.push_str(&format!("&login_hint={h}"));
    }
    let at_xero = s.app.client.get_absolute(&authorize).await;
    assert!(
        at_xero.status == 302 || at_xero.status == 303,
        "{}: {}",
        at_xero.status,
        at_xero.body
    );
    let back = at_xero.location().unwrap().to_string();
    let path = back
        .strip_prefix(&s.app.address)
        .unwrap_or_else(|| panic!("callback on another host: {back}"))
        .to_string();
    let done = s.app.client.get(&path).await;
    assert_eq!(done.status, 303, "{}", done.body);
    done.location().unwrap().to_string()
}

/// A call to the simulator's own paths (`/_sim/...`) or Xero's, as JSON
/// (plain text answers come back as a JSON string).
pub async fn sim_control(
    base: &str,
    method: &str,
    path: &str,
    body: Option<serde_json::Value>,
) -> serde_json::Value {
    let http = reqwest::Client::new();
    let url = format!("{base}{path}");
    let req = match method {
        "POST" => http
            .post(url)
            .json(&body.unwrap_or(serde_json::Value::Null)),
        "DELETE" => http.delete(url),
        _ => http.get(url),
    };
    let text = req.send().await.unwrap().text().await.unwrap();
    serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text))
}

impl SimApp {
    pub async fn control(
        &self,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> serde_json::Value {
        sim_control(&self.sim.base_url(), method, path, body).await
    }

    /// Xero's own Net Profit for one month, from the simulator's ledger.
    pub fn xero_net_profit(
        &self,
        tenant: uuid::Uuid,
        m: consol::domain::Month,
    ) -> rust_decimal::Decimal {
        let report = self
            .sim
            .state()
            .with_ledger(tenant, |l| {
                l.profit_and_loss(&consol::sim::reports::ReportParams {
                    from_date: Some(m.first_day()),
                    to_date: Some(m.last_day()),
                    ..Default::default()
                })
            })
            .unwrap()
            .unwrap();
        consol::sim::reports::find_row(&report.reports[0], "Net Profit")
            .and_then(|v| v.first().copied())
            .unwrap_or_default()
    }
}

impl SimApp {
    /// Xero's own Total Assets at a month end, from the simulator's ledger.
    pub fn xero_total_assets(
        &self,
        tenant: uuid::Uuid,
        m: consol::domain::Month,
    ) -> rust_decimal::Decimal {
        let report = self
            .sim
            .state()
            .with_ledger(tenant, |l| {
                l.balance_sheet(&consol::sim::reports::ReportParams {
                    date: Some(m.last_day()),
                    ..Default::default()
                })
            })
            .unwrap()
            .unwrap();
        consol::sim::reports::find_row(&report.reports[0], "Total Assets")
            .and_then(|v| v.first().copied())
            .unwrap_or_default()
    }
}

/// The Net Profit row Consol stored for an organisation and month.
pub async fn stored_net_profit(
    store: &Store,
    org: i64,
    m: consol::domain::Month,
) -> Option<rust_decimal::Decimal> {
    store
        .report_month(org, consol::store::ReportKind::ProfitAndLoss, m)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.section.is_empty() && r.label == "Net Profit")
        .map(|r| r.amount)
}

/// The demo group connected and synced once, with its user's id.
pub struct SyncedGroup {
    pub s: SimApp,
    pub group: consol::store::Group,
    pub user_id: i64,
}

pub async fn synced_demo_group(backend: Backend) -> SyncedGroup {
    use consol::sim::http::{DataChoice, SimConfig};
    synced_demo_group_with(
        backend,
        SimConfig {
            data: DataChoice::Demo,
            auto_approve: true,
            ..SimConfig::default()
        },
    )
    .await
}

/// [`synced_demo_group`] on a simulator set up by `config`.
pub async fn synced_demo_group_with(
    backend: Backend,
    config: consol::sim::http::SimConfig,
) -> SyncedGroup {
    let mut s = spawn_with_sim_config(backend, config).await;
    let group_id = connect_demo_group(&mut s, None).await;
    sync_group(&s, group_id).await;
    let user_id = user_id(s.app.store(), "fin@example.com").await;
    let (group, _) = s
        .app
        .store()
        .group_for_member(group_id, user_id)
        .await
        .unwrap()
        .unwrap();
    SyncedGroup { s, group, user_id }
}

/// Queues an incremental sync of each of a group's entities and runs the
/// sync worker until every one has finished.
pub async fn sync_group(s: &SimApp, group_id: i64) {
    for e in s.app.store().entities_for_group(group_id).await.unwrap() {
        consol::sync::enqueue(
            s.app.store(),
            e.organisation_id,
            consol::sync::SyncKind::Incremental,
        )
        .await
        .unwrap();
    }
    // `drain` stops when nothing can be claimed now, which includes a job
    // waiting to retry after a transient fault: keep draining until every
    // entity's sync has finished.
    let worker = consol::sync::worker(s.app.store().clone(), s.xero.clone());
    for _ in 0..600 {
        worker.drain().await.unwrap();
        let runs = s.app.store().latest_runs_for_group(group_id).await.unwrap();
        if runs
            .iter()
            .all(|r| r.state == "succeeded" || r.state == "failed")
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// Sets a synced group up as `consol demo` does: the suggested chart,
/// mappings and intercompany contacts confirmed, and the demo's FX rates.
/// Returns the numbers of mappings and contacts set.
pub async fn set_up_like_the_demo(
    store: &Store,
    group: &consol::store::Group,
    user_id: i64,
) -> (usize, usize) {
    let set = consol::consolidation::apply_suggestions(
        store,
        group,
        true,
        Some(user_id),
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    consol::demo::demo_rates(store, group).await.unwrap();
    set
}

/// The id of a user by e-mail.
pub async fn user_id(store: &Store, email: &str) -> i64 {
    store
        .user_by_email(&consol::domain::Email::parse(email).unwrap())
        .await
        .unwrap()
        .unwrap()
        .id
}

/// Stores an API token (hashed, as Consol does) for a user.
pub async fn api_token(store: &Store, user_id: i64, token: &str) {
    store
        .create_api_token(
            user_id,
            "tests",
            &consol::auth::token::hash_token(token),
            chrono::Utc::now(),
        )
        .await
        .unwrap();
}

/// `GET` of an API path (from `/api/v1/...`) on `address` with a bearer
/// token, read as JSON; panics with the body when it is not JSON.
pub async fn get_json(address: &str, token: &str, path: &str) -> serde_json::Value {
    let resp = reqwest::Client::new()
        .get(format!("{address}{path}"))
        .header("authorization", format!("Bearer {token}"))
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let body = resp.text().await.unwrap();
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {status} {e}: {body}"))
}

/// The months a sync keeps: the 24 complete months before this one.
pub fn window() -> Vec<consol::domain::Month> {
    let last = consol::domain::Month::of(chrono::Utc::now().date_naive()).prev();
    consol::domain::MonthRange::new(last.plus(-23), last)
        .unwrap()
        .months()
        .collect()
}

/// What an organisation's books say, key by key: `ProfitAndLoss/<month>/<row>`
/// and `BalanceSheet/<month>/<row>` (amounts; a zero is the same as no row),
/// `invoice/<id>`, `contact/<id>`, `account/<id>` and the `invoices` count.
pub type Snapshot = std::collections::BTreeMap<String, String>;

fn invoice_value(status: &str, total: rust_decimal::Decimal, date: chrono::NaiveDate) -> String {
    format!("{status} {} {date}", total.normalize())
}

fn account_value(code: Option<&str>, name: &str, ty: &str, class: Option<&str>) -> String {
    format!("{code:?} {name} {ty} {class:?}")
}

/// A snapshot of what the store holds for an organisation, to compare.
pub async fn snapshot(store: &Store, org: i64) -> Snapshot {
    use consol::store::ReportKind;
    let mut out = Snapshot::new();
    for m in window() {
        for kind in [ReportKind::ProfitAndLoss, ReportKind::BalanceSheet] {
            for r in store.report_month(org, kind, m).await.unwrap() {
                if !r.amount.is_zero() {
                    out.insert(
                        format!("{kind:?}/{m}/{}", r.row_key),
                        r.amount.normalize().to_string(),
                    );
                }
            }
        }
    }
    for c in store.contacts_of(org).await.unwrap() {
        out.insert(format!("contact/{}", c.contact_id), c.name);
    }
    for a in store.accounts_of(org).await.unwrap() {
        out.insert(
            format!("account/{}", a.account_id),
            account_value(
                a.code.as_deref(),
                &a.name,
                &a.account_type,
                a.class.as_deref(),
            ),
        );
    }
    // Every invoice as the table holds it (one query; the store's own
    // readers go by contact).
    const INVOICES: &str = "SELECT invoice_id, status, CAST(total AS TEXT), CAST(invoice_date AS TEXT) \
         FROM invoices WHERE organisation_id = $1";
    let rows: Vec<(String, String, String, String)> = match store {
        Store::Sqlite(p) => sqlx::query_as(INVOICES).bind(org).fetch_all(p).await,
        Store::Postgres(p) => sqlx::query_as(INVOICES).bind(org).fetch_all(p).await,
    }
    .unwrap();
    for (id, status, total, date) in rows {
        out.insert(
            format!("invoice/{id}"),
            invoice_value(&status, total.parse().unwrap(), date.parse().unwrap()),
        );
    }
    out.insert(
        "invoices".into(),
        store.count_invoices(org).await.unwrap().to_string(),
    );
    out
}

impl SimApp {
    /// The same snapshot made from the simulator's own books: the state a
    /// fault-free sync arrives at. Reports are asked for one month at a
    /// time (the sync asks for twelve at once), and rows are kept as the
    /// sync keeps them.
    pub fn xero_snapshot(&self, tenant: uuid::Uuid) -> Snapshot {
        use consol::sim::reports::ReportParams;
        use consol::xero::report_parser::{ParsedRowKind, parse_report};
        self.sim
            .state()
            .with_ledger(tenant, |l| {
                let mut out = Snapshot::new();
                for m in window() {
                    let pnl = l
                        .profit_and_loss(&ReportParams {
                            from_date: Some(m.first_day()),
                            to_date: Some(m.last_day()),
                            standard_layout: true,
                            ..Default::default()
                        })
                        .unwrap();
                    let bs = l
                        .balance_sheet(&ReportParams {
                            date: Some(m.last_day()),
                            standard_layout: true,
                            ..Default::default()
                        })
                        .unwrap();
                    for (kind, reports) in [("ProfitAndLoss", pnl), ("BalanceSheet", bs)] {
                        let parsed = parse_report(&reports.reports[0]).unwrap();
                        let mut seen = HashMap::<String, u32>::new();
                        for r in parsed.rows {
                            if r.kind != ParsedRowKind::Summary && r.values[0].is_zero() {
                                continue;
                            }
                            // Repeated keys are suffixed, as the sync does.
                            let n = seen.entry(r.row_key()).or_default();
                            *n += 1;
                            let key = if *n > 1 {
                                format!("{}#{n}", r.row_key())
                            } else {
                                r.row_key()
                            };
                            if !r.values[0].is_zero() {
                                out.insert(
                                    format!("{kind}/{m}/{key}"),
                                    r.values[0].normalize().to_string(),
                                );
                            }
                        }
                    }
                }
                for c in l.get_contacts(&Default::default()).unwrap().contacts {
                    out.insert(
                        format!("contact/{}", c.contact_id.unwrap()),
                        c.name.unwrap_or_default(),
                    );
                }
                for a in l.get_accounts(&Default::default()).accounts {
                    out.insert(
                        format!("account/{}", a.account_id.unwrap()),
                        account_value(
                            a.code.as_deref(),
                            a.name.as_deref().unwrap_or_default(),
                            a.account_type.as_deref().unwrap_or_default(),
                            a.class.as_deref(),
                        ),
                    );
                }
                let invoices = l.get_invoices(&Default::default()).unwrap().invoices;
                out.insert("invoices".into(), invoices.len().to_string());
                for i in invoices {
                    out.insert(
                        format!("invoice/{}", i.invoice_id.unwrap()),
                        invoice_value(
                            i.status.unwrap().as_str(),
                            i.total.unwrap(),
                            i.date.unwrap().date(),
                        ),
                    );
                }
                out
            })
            .unwrap()
    }
}

/// The keys on which two snapshots differ (at most twenty), to read in a
/// failed assertion.
pub fn snapshot_diff(a: &Snapshot, b: &Snapshot) -> String {
    let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    let diffs: Vec<String> = keys
        .into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| format!("{k}: {:?} vs {:?}", a.get(k), b.get(k)))
        .collect();
    let n = diffs.len();
    let mut out = diffs.into_iter().take(20).collect::<Vec<_>>().join("\n");
    if n > 20 {
        out.push_str(&format!("\n... {} more", n - 20));
    }
    out
}

/// What a sync writes all or nothing: a month of a report, or one record.
fn unit_of(key: &str) -> &str {
    if key.starts_with("ProfitAndLoss/") || key.starts_with("BalanceSheet/") {
        let mut slashes = key.match_indices('/').map(|(i, _)| i);
        let _kind = slashes.next();
        if let Some(end) = slashes.next() {
            return &key[..end];
        }
    }
    key
}

/// Each unit's part of a snapshot. The invoice count is left out: pages of
/// invoices are stored one at a time, so a run cut off between pages has
/// a count of neither state, while each invoice is old or new.
fn by_unit(s: &Snapshot) -> std::collections::BTreeMap<&str, Snapshot> {
    let mut out = std::collections::BTreeMap::<&str, Snapshot>::new();
    for (k, v) in s.iter().filter(|(k, _)| *k != "invoices") {
        out.entry(unit_of(k))
            .or_default()
            .insert(k.clone(), v.clone());
    }
    out
}

/// The units (see [`unit_of`]) that a run changed, split by what they
/// hold now.
#[derive(Debug, Default)]
pub struct OldOrNew {
    /// Changed by the run, and holding the new state.
    pub new: Vec<String>,
    /// Changed by the run, and still holding the old state.
    pub old: Vec<String>,
}

/// Asserts that each report month and each record of `now` equals either
/// `old` or `new`, whole: never a mix of the two. Returns which of the
/// units that differ between `old` and `new` hold which.
pub fn assert_old_or_new(what: &str, now: &Snapshot, old: &Snapshot, new: &Snapshot) -> OldOrNew {
    let (n, o, w) = (by_unit(now), by_unit(old), by_unit(new));
    let units: std::collections::BTreeSet<&str> =
        n.keys().chain(o.keys()).chain(w.keys()).copied().collect();
    let empty = Snapshot::new();
    let mut out = OldOrNew::default();
    for u in units {
        let (now_u, old_u, new_u) = (
            n.get(u).unwrap_or(&empty),
            o.get(u).unwrap_or(&empty),
            w.get(u).unwrap_or(&empty),
        );
        assert!(
            now_u == old_u || now_u == new_u,
            "{what}: {u} is neither the old nor the new state.\nagainst old:\n{}\nagainst new:\n{}",
            snapshot_diff(now_u, old_u),
            snapshot_diff(now_u, new_u)
        );
        if old_u != new_u {
            if now_u == new_u {
                out.new.push(u.to_string());
            } else {
                out.old.push(u.to_string());
            }
        }
    }
    out
}

/// Starts connecting Xero to a group as the group page's button does: a
/// POST with the session's CSRF token. Answers Consol's response (a 303 to
/// Xero's consent page when it starts).
pub async fn start_connect(client: &mut Client, group_id: i64) -> Page {
    let csrf = client
        .csrf_from(&format!("/connect/xero?group={group_id}"))
        .await;
    client
        .post_form(
            "/connect/xero",
            &[("group", &group_id.to_string()), ("csrf_token", &csrf)],
        )
        .await
}

/// xorshift64*: randomised test steps reproducible from their seed.
pub struct Cases(pub u64);

impl Cases {
    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n as u64) as usize
    }
}

/// A set-up change: one of the group's mappings, chosen by `cases`, has
/// its confirmation flipped (audited as `user_id`'s).
pub async fn toggle_a_mapping(store: &Store, group: i64, user_id: i64, cases: &mut Cases) {
    let mappings = store.mappings(group).await.unwrap();
    let m = &mappings[cases.below(mappings.len())];
    store
        .set_mappings(
            group,
            &[consol::store::MappingRow {
                confirmed: !m.confirmed,
                ..m.clone()
            }],
            Some(user_id),
            chrono::Utc::now(),
        )
        .await
        .unwrap();
}

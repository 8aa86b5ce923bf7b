//! What the sync benchmarks share: the simulator as its own process (so
//! that memory figures are Consol's alone), and a fresh Consol (web app and
//! SQLite store) connected to every simulated organisation through the
//! OAuth flow.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use consol::config::{Secret, Settings};
use consol::connect::XeroServices;
use consol::domain::{CurrencyCode, Email};
use consol::startup::Application;
use consol::store::{NewGroup, NewUser, Store};
use consol::xero::client::{Limits, RetryPolicy};

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("a free port")
        .local_addr()
        .expect("an address")
        .port()
}

/// Peak resident memory of this process (`VmHWM`), in MiB.
pub fn peak_rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<u64>().ok())
        .map(|kb| kb / 1024)
        .unwrap_or(0)
}

/// `consol xero-sim` with demo data; killed on drop.
pub struct Sim {
    child: Child,
    pub url: String,
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Sim {
    /// Starts the release binary next to this example with `args` added.
    pub async fn start(args: &[&str]) -> anyhow::Result<Self> {
        let exe = std::env::current_exe()?
            .parent()
            .and_then(|p| p.parent())
            .map(|p| p.join("consol"))
            .ok_or_else(|| anyhow::anyhow!("no target directory"))?;
        let port = free_port();
        let child = Command::new(&exe)
            .args(["xero-sim", "--data", "demo", "--auto-approve"])
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(args)
            .env("CONSOL_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .map_err(|e| anyhow::anyhow!("cannot start {}: {e}", exe.display()))?;
        let sim = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let http = reqwest::Client::new();
        for _ in 0..1200 {
            if http
                .get(format!("{}/_sim/organisations", sim.url))
                .send()
                .await
                .is_ok()
            {
                return Ok(sim);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        anyhow::bail!("the simulator did not start within two minutes")
    }

    pub async fn control(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> anyhow::Result<serde_json::Value> {
        let mut req = reqwest::Client::new().request(method, format!("{}/_sim/{path}", self.url));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await?.error_for_status()?;
        Ok(resp.json().await.unwrap_or(serde_json::Value::Null))
    }
}

/// A running Consol with one admin user and one group holding every
/// organisation the simulator's demo user can see.
pub struct Consol {
    pub store: Store,
    pub xero: Arc<XeroServices>,
    pub group_id: i64,
    pub connected: usize,
    dir: std::path::PathBuf,
    _stop: consol::shutdown::ShutdownTrigger,
}

impl Drop for Consol {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Consol {
    /// `limits` are the client's own, which must match the simulator's.
    pub async fn connected_to(sim: &Sim, name: &str, limits: Limits) -> anyhow::Result<Self> {
        let dir = std::env::temp_dir().join(format!("consol-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let db = format!("sqlite://{}/consol.db?mode=rwc", dir.display());
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let mut settings = Settings::from_sources(None, &Default::default())?;
        settings.database_url = Secret::new(&db);
        settings.public_url = format!("http://127.0.0.1:{port}");
        settings.xero_base_url = Some(sim.url.clone());
        settings.xero_client_id = Some("bench".into());
        settings.xero_client_secret = Some(Secret::new("bench-secret"));
        sim.control(
            reqwest::Method::POST,
            "apps",
            Some(serde_json::json!({
                "client_id": "bench", "client_secret": "bench-secret",
                "redirect_uris": [format!("http://127.0.0.1:{port}/connect/xero/callback")]
            })),
        )
        .await?;
        let store = Store::connect(&db).await?;
        let xero = Arc::new(XeroServices::build(
            &settings,
            store.clone(),
            limits,
            RetryPolicy::default(),
        )?);
        let app = Application::build_with(settings, store.clone(), xero.clone(), listener, port)?;
        let (stop, shutdown) = consol::shutdown::channel();
        tokio::spawn(app.run_until_stopped(shutdown));

        let email = Email::parse("bench@consol.test")?;
        let hash = consol::auth::password::hash("bench password")?;
        let user = store
            .create_user(
                &NewUser {
                    email: &email,
                    name: "",
                    password_hash: &hash,
                    is_admin: true,
                },
                Utc::now(),
            )
            .await?;
        let group = store
            .create_group(
                &NewGroup {
                    name: "Bench",
                    presentation_currency: CurrencyCode::parse("NZD")?,
                    financial_year_end_month: 3,
                },
                user.id,
                Utc::now(),
            )
            .await?;
        let connected = consol::demo::connect_through_browser_flow(
            &format!("http://127.0.0.1:{port}"),
            group.id,
            "bench@consol.test",
            "bench password",
        )
        .await?;
        Ok(Self {
            store,
            xero,
            group_id: group.id,
            connected,
            dir,
            _stop: stop,
        })
    }
}

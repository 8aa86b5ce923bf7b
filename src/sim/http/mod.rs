//! The Xero simulator over real HTTP (actix-web): Xero's identity endpoints,
//! `/connections`, the Accounting API under `/api.xro/2.0/`, and the
//! simulator's own control paths under `/_sim/` (loopback peers only).
//!
//! [`SimServer::start`] binds a listener (port 0 in tests) and returns a
//! [`SimHandle`] that knows its address. [`run_cli`] is `consol xero-sim`.
//!
//! Choices where Xero cannot be copied exactly:
//! - Without `Accept: application/json` Xero answers XML; the simulator
//!   answers `406 Not Acceptable` (plain text) so a client that forgets the
//!   header fails here as it would against Xero.
//! - `id_token` is JWT-shaped (`alg: none`, empty signature) and carries the
//!   user's e-mail; it is NOT signed and cannot be verified.
//! - A call without `xero-tenant-id` (other than with a Custom Connection
//!   token) gets the 403 `AuthenticationUnsuccessful` problem body.
//! - Unknown paths and methods: 404 plain text, like Xero.
//! - `GET /_sim/stats` counts every Accounting call that passed
//!   authentication (`calls`), 429s included (`rejected_429`).
//! - Rate limits: only calls that were let through count against the
//!   windows; a 429 does not.

// Early returns of a ready `HttpResponse` as the `Err` of a helper are the
// simplest shape for handlers; the size does not matter at this rate.
#![allow(clippy::result_large_err)]

mod api;
mod control;
mod oauth;
mod respond;
pub mod state;
pub mod webhooks;

use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::sync::Arc;

use actix_web::dev::ServerHandle;
use actix_web::http::StatusCode;
use actix_web::{App as ActixApp, HttpRequest, HttpResponse, HttpServer, web};
use chrono::{NaiveDate, NaiveTime, Utc};
use uuid::Uuid;

pub use api::MAX_BODY_BYTES;
pub use state::{App, Faults, Limits, SimState, Stats};

use super::SimClock;
use super::demo::{DemoOptions, build_demo};
use respond::{NOT_FOUND, text};
use state::Shared;

/// What the simulator starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DataChoice {
    /// The four demo organisations of [`build_demo`], plus the Xero user
    /// [`DEMO_USER`] with access to all of them.
    Demo,
    /// No organisations; create them with `POST /_sim/organisations`.
    #[default]
    Empty,
}

/// The Xero user created with demo data.
pub const DEMO_USER: &str = "demo@xero.test";
/// The ready-made app that [`run_cli`] registers with demo data.
pub const DEMO_CLIENT_ID: &str = "consol-demo-app";
pub const DEMO_CLIENT_SECRET: &str = "consol-demo-secret";

#[derive(Debug, Clone)]
pub struct SimConfig {
    /// `127.0.0.1:0` by default (any free port).
    pub listen: SocketAddr,
    pub data: DataChoice,
    /// Consent is given at once, without the consent page.
    pub auto_approve: bool,
    pub seed: u64,
    /// Demo data size (1 gives about 2,500 invoices).
    pub scale: u32,
    /// Copies of the demo group (see [`DemoOptions::copies`]).
    pub copies: u32,
    /// The demo's "today"; the clock starts at 08:00 UTC on this day.
    pub today: NaiveDate,
    pub limits: Limits,
    /// Let the clock run with real time (the CLI); otherwise it stands still
    /// until `POST /_sim/clock` moves it (tests).
    pub real_time: bool,
    /// actix workers.
    pub workers: usize,
    /// Whether the demo carries issue 11's real-life cases (on by default;
    /// see [`DemoOptions::real_life_cases`]).
    pub real_life_cases: bool,
    /// Months of demo history (see [`DemoOptions::months`]; 24 by
    /// default). Fewer make a quicker first sync for tests that need many
    /// entities rather than long books.
    pub months: u32,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            data: DataChoice::Empty,
            auto_approve: false,
            seed: 1,
            scale: 1,
            copies: 1,
            today: Utc::now().date_naive(),
            limits: Limits::default(),
            real_time: false,
            workers: 2,
            real_life_cases: true,
            months: 24,
        }
    }
}

/// A running simulator.
pub struct SimHandle {
    addr: SocketAddr,
    state: Shared,
    server: ServerHandle,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl SimHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `http://127.0.0.1:<port>`: the identity, connections and API host.
    pub fn base_url(&self) -> String {
        self.state.base_url()
    }

    /// `<base_url>/api.xro/2.0`.
    pub fn api_url(&self) -> String {
        format!("{}/api.xro/2.0", self.base_url())
    }

    pub fn state(&self) -> &Arc<SimState> {
        &self.state
    }

    pub fn clock(&self) -> SimClock {
        self.state.clock.clone()
    }

    /// `(tenant_id, name)` of every organisation.
    pub fn tenants(&self) -> Vec<(Uuid, String)> {
        self.state.tenants()
    }

    pub fn register_app(&self, app: App) {
        self.state.register_app(app);
    }

    /// Registers [`DEMO_CLIENT_ID`]/[`DEMO_CLIENT_SECRET`] with these
    /// redirect URIs.
    pub fn register_demo_app(&self, redirect_uris: Vec<String>) -> App {
        let app = App {
            client_id: DEMO_CLIENT_ID.into(),
            client_secret: DEMO_CLIENT_SECRET.into(),
            redirect_uris,
            webhook_url: None,
            webhook_key: None,
        };
        self.state.register_app(app.clone());
        app
    }

    /// Stops the server gracefully.
    pub async fn stop(self) {
        self.server.stop(true).await;
        let _ = self.task.await;
    }
}

pub struct SimServer;

impl SimServer {
    /// Builds the state (the demo group when asked), binds `config.listen`
    /// and serves in a background task.
    pub async fn start(config: SimConfig) -> anyhow::Result<SimHandle> {
        let listener = TcpListener::bind(config.listen)?;
        listener.set_nonblocking(true)?;
        let mut addr = listener.local_addr()?;
        let cfg = config.clone();
        let state = tokio::task::spawn_blocking(move || build_state(&cfg)).await??;
        if addr.ip().is_unspecified() {
            addr.set_ip(IpAddr::V4(Ipv4Addr::LOCALHOST));
        }
        *state.base_url.lock().unwrap_or_else(|e| e.into_inner()) = format!("http://{addr}");
        let data = web::Data::from(state.clone());
        let server = HttpServer::new(move || {
            ActixApp::new()
                .app_data(data.clone())
                .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
                .default_service(web::to(dispatch))
        })
        .workers(config.workers.max(1))
        .disable_signals()
        .listen(listener)?
        .run();
        let handle = server.handle();
        let task = tokio::spawn(server);
        Ok(SimHandle {
            addr,
            state,
            server: handle,
            task,
        })
    }
}

fn build_state(cfg: &SimConfig) -> anyhow::Result<Shared> {
    let start = cfg.today.and_time(NaiveTime::MIN).and_utc() + chrono::Duration::hours(8);
    let state = match cfg.data {
        DataChoice::Empty => {
            let clock = SimClock::fixed(start);
            Arc::new(SimState::new(clock, cfg.auto_approve, cfg.seed, cfg.limits))
        }
        DataChoice::Demo => {
            let group = build_demo(&DemoOptions {
                scale: cfg.scale.max(1),
                copies: cfg.copies.max(1),
                real_life_cases: cfg.real_life_cases,
                months: cfg.months.max(1),
                ..DemoOptions::new(cfg.seed, cfg.today)
            });
            let st = Arc::new(SimState::new(
                group.clock.clone(),
                cfg.auto_approve,
                cfg.seed,
                cfg.limits,
            ));
            let mut tenants = Vec::new();
            for l in group.organisations {
                tenants.push(st.add_organisation(l).0);
            }
            st.add_user(DEMO_USER, tenants)
                .map_err(|e| anyhow::anyhow!(e))?;
            st
        }
    };
    if cfg.real_time {
        state.clock.resume_system_time();
    }
    Ok(state)
}

fn loopback(req: &HttpRequest) -> bool {
    req.peer_addr().is_some_and(|a| match a.ip() {
        IpAddr::V4(ip) => ip.is_loopback(),
        IpAddr::V6(ip) => ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v| v.is_loopback()),
    })
}

/// Every request lands here; paths are matched case-insensitively.
async fn dispatch(req: HttpRequest, body: web::Bytes, st: web::Data<SimState>) -> HttpResponse {
    use actix_web::http::Method as M;
    let st: Shared = st.into_inner();
    let segs: Vec<String> = req
        .path()
        .trim_matches('/')
        .split('/')
        .map(String::from)
        .collect();
    let lower: Vec<String> = segs.iter().map(|s| s.to_ascii_lowercase()).collect();
    let l: Vec<&str> = lower.iter().map(String::as_str).collect();
    let m = req.method().clone();
    match (&m, l.as_slice()) {
        (_, ["_sim", ..]) => {
            if !loopback(&req) {
                return text(StatusCode::FORBIDDEN, "/_sim/ answers loopback peers only");
            }
            control::handle(st, req.clone(), lower[1..].to_vec(), &body).await
        }
        (&M::GET, ["identity", "connect", "authorize"]) => oauth::authorize(&st, &req),
        (&M::POST, ["identity", "connect", "authorize"]) => oauth::consent(&st, &body),
        (&M::POST, ["connect", "token"]) => oauth::token(&st, &req, &body),
        (&M::POST, ["connect", "revocation"]) => oauth::revocation(&st, &req, &body),
        (&M::GET, ["connections"]) => oauth::connections(&st, &req),
        (&M::DELETE, ["connections", _]) => oauth::delete_connection(&st, &req, &segs[1]),
        (_, ["api.xro", "2.0", ..]) => api::handle(st, req.clone(), segs[2..].to_vec(), body).await,
        (&M::GET, [""]) => text(
            StatusCode::OK,
            "Xero simulator (Consol). See /_sim/organisations and /api.xro/2.0/.",
        ),
        _ => text(StatusCode::NOT_FOUND, NOT_FOUND),
    }
}

/// `consol xero-sim`: starts the simulator on `listen`, prints how to use
/// it, and runs until Ctrl-C. With demo data it also registers a
/// ready-made app ([`DEMO_CLIENT_ID`]) whose redirect URIs are Consol's
/// callback on localhost ports 8080 and 3000.
pub async fn run_cli(config: SimConfig) -> anyhow::Result<()> {
    let (data, auto_approve) = (config.data, config.auto_approve);
    let handle = SimServer::start(SimConfig {
        real_time: true,
        ..config
    })
    .await?;
    let base = handle.base_url();
    println!("Xero simulator listening on {base}");
    println!("  authorize: {base}/identity/connect/authorize");
    println!("  token:     {base}/connect/token");
    println!("  API:       {base}/api.xro/2.0");
    println!("  control:   {base}/_sim/ (loopback only)");
    if data == DataChoice::Demo {
        let mut uris = Vec::new();
        for port in [8080, 3000] {
            for host in ["127.0.0.1", "localhost"] {
                uris.push(format!("http://{host}:{port}/connect/xero/callback"));
            }
        }
        let app = handle.register_demo_app(uris);
        println!("Organisations (tenant id, name, Custom Connection client id / secret):");
        {
            let g = handle.state().lock();
            for o in &g.orgs {
                println!(
                    "  {}  {}  {} / {}",
                    o.tenant_id,
                    o.ledger().name(),
                    o.custom_client_id,
                    o.custom_client_secret
                );
            }
        }
        println!("Xero user: {DEMO_USER} (has access to all of them)");
        println!(
            "App: client_id={} client_secret={} redirect_uris={}",
            app.client_id,
            app.client_secret,
            app.redirect_uris.join(",")
        );
    }
    if auto_approve {
        println!("Consent is given automatically (--auto-approve).");
    }
    tokio::signal::ctrl_c().await?;
    println!("Stopping the Xero simulator");
    handle.stop().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_paths_are_for_loopback_peers_only() {
        let at = |a: &str| {
            actix_web::test::TestRequest::default()
                .peer_addr(a.parse().unwrap())
                .to_http_request()
        };
        assert!(loopback(&at("127.0.0.1:5000")));
        assert!(loopback(&at("[::1]:5000")));
        assert!(loopback(&at("[::ffff:127.0.0.1]:5000")));
        assert!(!loopback(&at("10.1.2.3:5000")));
        assert!(!loopback(&at("[2001:db8::1]:5000")));
        assert!(!loopback(
            &actix_web::test::TestRequest::default().to_http_request()
        ));
    }
}

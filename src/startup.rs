//! Building and running the application: one function binds a listener and
//! returns something that knows its port, so tests start it on port 0.

use std::net::TcpListener;
use std::time::Instant;

use actix_web::dev::{Server, ServerHandle, Service};
use actix_web::{App, HttpServer};
use anyhow::Context;

use std::sync::Arc;

use crate::config::{ConfigError, Settings};
use crate::connect::XeroServices;
use crate::shutdown::Shutdown;
use crate::store::Store;
use crate::web::{self, AppState};
use actix_web::web::{Data, FormConfig};

pub struct Application {
    port: u16,
    server: Server,
    store: Store,
    reports: Arc<crate::reports::Reports>,
    refresher: Option<tokio::task::JoinHandle<()>>,
}

impl Application {
    /// Connects to the configured database (migrating it) and binds.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let store = Store::connect(settings.database_url.expose())
            .await
            .context("cannot open the database (CONSOL_DATABASE_URL)")?;
        Self::build_with_store(settings, store)
    }

    pub fn build_with_store(settings: Settings, store: Store) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(settings.listen)
            .with_context(|| format!("cannot listen on {} (CONSOL_LISTEN)", settings.listen))?;
        let port = listener.local_addr()?.port();
        let xero = Arc::new(XeroServices::from_settings(&settings, store.clone())?);
        Self::build_with(settings, store, xero, listener, port)
    }

    /// Builds on parts made by the caller (tests give their own Xero limits).
    pub fn build_with(
        settings: Settings,
        store: Store,
        xero: Arc<XeroServices>,
        listener: TcpListener,
        port: u16,
    ) -> anyhow::Result<Self> {
        let reports = Arc::new(crate::reports::Reports::default());
        let state = AppState {
            store: store.clone(),
            settings,
            xero,
            reports: reports.clone(),
            pages: Default::default(),
            health: store.health_check_store(),
        };
        // Keeps the reports people look at built as their data changes.
        let refresher = tokio::runtime::Handle::try_current()
            .is_ok()
            .then(|| reports.spawn_refresher(store.clone()));
        let server = run(listener, state)?;
        Ok(Self {
            port,
            server,
            store,
            reports,
            refresher,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The server's report service (tests hold its gate to see 503s).
    pub fn reports(&self) -> &Arc<crate::reports::Reports> {
        &self.reports
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until `shutdown` fires, then finishes in-flight requests.
    pub async fn run_until_stopped(self, shutdown: Shutdown) -> std::io::Result<()> {
        let handle = self.server.handle();
        let stopper = tokio::spawn(async move {
            shutdown.wait().await;
            handle.stop(true).await;
        });
        let result = self.server.await;
        stopper.abort();
        if let Some(r) = self.refresher {
            r.abort();
        }
        result
    }
}

/// Sets up logging to standard error from the environment: the filter from
/// `CONSOL_LOG` (or `RUST_LOG`, default `info`), the format from
/// `CONSOL_LOG_FORMAT` (`text`, the default, or `json`: one object a line
/// for log collectors). Colours only when standard error is a terminal, so
/// a log file or a collector never gets escape codes.
pub fn init_logging() -> Result<(), ConfigError> {
    use std::io::IsTerminal;
    use tracing_subscriber::EnvFilter;

    let filter = std::env::var("CONSOL_LOG")
        .ok()
        .or_else(|| std::env::var("RUST_LOG").ok())
        .unwrap_or_else(|| "info".to_string());
    let filter = EnvFilter::try_new(&filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let format = std::env::var("CONSOL_LOG_FORMAT").unwrap_or_default();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format.trim().to_ascii_lowercase().as_str() {
        "" | "text" => builder.with_ansi(std::io::stderr().is_terminal()).init(),
        "json" => builder.json().init(),
        other => {
            return Err(ConfigError {
                setting: "CONSOL_LOG_FORMAT".into(),
                message: format!("'{other}' is not one of text, json"),
            });
        }
    }
    Ok(())
}

/// Requests not logged at INFO: health checks (a load balancer's every few
/// seconds) and static files. They are still logged at DEBUG.
fn is_routine(path: &str) -> bool {
    path == "/healthz" || path.starts_with("/static/")
}

fn run(listener: TcpListener, state: AppState) -> anyhow::Result<Server> {
    let grace = state.settings.shutdown_grace_seconds;
    let data = Data::new(state);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(FormConfig::default().limit(256 * 1024))
            .wrap(web::security_headers())
            .wrap_fn(|req, srv| {
                // One line per request: method, path (never the query, which
                // may carry OAuth codes), status and time taken.
                let method = req.method().to_string();
                let path = req.path().to_string();
                let started = Instant::now();
                let fut = srv.call(req);
                async move {
                    let res = fut.await?;
                    let status = res.status().as_u16();
                    let ms = started.elapsed().as_millis() as u64;
                    if is_routine(&path) && status < 500 {
                        tracing::debug!(%method, %path, status, ms, "request");
                    } else {
                        tracing::info!(%method, %path, status, ms, "request");
                    }
                    Ok(res)
                }
            })
            .configure(web::routes)
            .default_service(actix_web::web::to(web::not_found))
    })
    // Signals are handled once, by `Shutdown`, for the server and workers.
    .disable_signals()
    // Requests in flight get the same grace period as the jobs.
    .shutdown_timeout(grace)
    .listen(listener)?
    .run();
    Ok(server)
}

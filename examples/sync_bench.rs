//! Syncs the simulator's big demo organisation into a fresh Consol and
//! reports calls, time and this process's peak memory. The simulator runs
//! as its own process, so the memory is Consol's alone (web app, store and
//! sync worker).
//!
//! ```sh
//! cargo build --release && cargo run --release --example sync_bench -- 41
//! ```
//! (41 gives about 100,000 invoices in the parent organisation.)

use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use consol::config::{Secret, Settings};
use consol::connect::XeroServices;
use consol::domain::{CurrencyCode, Email};
use consol::startup::Application;
use consol::store::{NewGroup, NewUser, Store};
use consol::sync::{self, SyncKind};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("a free port")
        .local_addr()
        .expect("an address")
        .port()
}

/// Peak resident memory of this process (`VmHWM`), in MiB.
fn peak_rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<u64>().ok())
        .map(|kb| kb / 1024)
        .unwrap_or(0)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let scale: u32 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(41);
    let exe = std::env::current_exe()?
        .parent()
        .and_then(|p| p.parent())
        .map(|p| p.join("consol"))
        .expect("target/release");
    let sim_port = free_port();
    let mut sim = Command::new(&exe)
        .args(["xero-sim", "--data", "demo", "--auto-approve"])
        .args(["--listen", &format!("127.0.0.1:{sim_port}")])
        .args(["--scale", &scale.to_string()])
        .env("CONSOL_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()?;
    let sim_url = format!("http://127.0.0.1:{sim_port}");
    let http = reqwest::Client::new();
    for _ in 0..600 {
        if http
            .get(format!("{sim_url}/_sim/organisations"))
            .send()
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let dir = std::env::temp_dir().join(format!("consol-sync-bench-{}", std::process::id()));
    let db = format!("sqlite://{}/consol.db?mode=rwc", dir.display());
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    let mut settings = Settings::from_sources(None, &Default::default())?;
    settings.database_url = Secret::new(&db);
    settings.public_url = format!("http://127.0.0.1:{port}");
    settings.xero_base_url = Some(sim_url.clone());
    settings.xero_client_id = Some("bench".into());
    settings.xero_client_secret = Some(Secret::new("bench-secret"));
    http.post(format!("{sim_url}/_sim/apps"))
        .json(&serde_json::json!({
            "client_id": "bench", "client_secret": "bench-secret",
            "redirect_uris": [format!("http://127.0.0.1:{port}/connect/xero/callback")]
        }))
        .send()
        .await?;
    let store = Store::connect(&db).await?;
    let xero = Arc::new(XeroServices::from_settings(&settings, store.clone())?);
    let app = Application::build_with(settings, store.clone(), xero.clone(), listener, port)?;
    let (_stop, shutdown) = consol::shutdown::channel();
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
    let n = consol::demo::connect_through_browser_flow(
        &format!("http://127.0.0.1:{port}"),
        group.id,
        "bench@consol.test",
        "bench password",
    )
    .await?;
    let before = peak_rss_mib();
    let parent = store
        .entities_for_group(group.id)
        .await?
        .into_iter()
        .find(|e| e.is_parent || e.name == "Kea Holdings")
        .expect("the parent organisation");
    let started = Instant::now();
    let run = sync::enqueue(&store, parent.organisation_id, SyncKind::Full)
        .await
        .map_err(|e| anyhow::anyhow!(e.message))?;
    sync::worker(store.clone(), xero.clone()).drain().await?;
    let elapsed = started.elapsed();
    let run = store.sync_run(run).await?.expect("the run");
    let invoices = store.count_invoices(parent.organisation_id).await?;
    println!(
        "connected {n} organisations; synced {} ({invoices} invoices)",
        parent.name
    );
    println!(
        "state {}, {} calls {}, {:.1?} (Xero's limit of 60 calls a minute applies)",
        run.state, run.calls, run.calls_by_endpoint, elapsed
    );
    println!(
        "peak memory: {} MiB (before the sync: {before} MiB)",
        peak_rss_mib()
    );
    let _ = sim.kill();
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}

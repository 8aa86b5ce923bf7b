//! Syncs the simulator's big demo organisation into a fresh Consol and
//! reports calls, time and this process's peak memory. The simulator runs
//! as its own process, so the memory is Consol's alone (web app, store and
//! sync worker).
//!
//! ```sh
//! cargo build --release && ./target/release/examples/sync_bench 41
//! ```
//! (41 gives about 100,000 invoices in the parent organisation.)

mod bench_support;

use std::time::Instant;

use bench_support::{Consol, Sim, peak_rss_mib};
use consol::sync::{self, SyncKind};
use consol::xero::client::Limits;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let scale: u32 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(41);
    let sim = Sim::start(&["--scale", &scale.to_string()]).await?;
    let consol = Consol::connected_to(&sim, "sync-bench", Limits::default()).await?;
    let store = &consol.store;
    let before = peak_rss_mib();
    let parent = store
        .entities_for_group(consol.group_id)
        .await?
        .into_iter()
        .find(|e| e.is_parent || e.name == "Kea Holdings")
        .expect("the parent organisation");
    let started = Instant::now();
    let run = sync::enqueue(store, parent.organisation_id, SyncKind::Full)
        .await
        .map_err(|e| anyhow::anyhow!(e.message))?;
    sync::worker(store.clone(), consol.xero.clone())
        .drain()
        .await?;
    let elapsed = started.elapsed();
    let run = store.sync_run(run).await?.expect("the run");
    let invoices = store.count_invoices(parent.organisation_id).await?;
    println!(
        "connected {} organisations; synced {} ({invoices} invoices)",
        consol.connected, parent.name
    );
    println!(
        "state {}, {} calls {}, {:.1?} (Xero's limit of 60 calls a minute applies)",
        run.state, run.calls, run.calls_by_endpoint, elapsed
    );
    println!(
        "peak memory: {} MiB (before the sync: {before} MiB)",
        peak_rss_mib()
    );
    Ok(())
}

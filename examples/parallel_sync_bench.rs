//! Syncs many organisations at once under the simulator's rate limits and
//! compares the time taken with the time those limits make unavoidable.
//!
//! ```sh
//! cargo build --release --examples && \
//!   ./target/release/examples/parallel_sync_bench --copies 5 --per-window 2 --window 10
//! ```
//!
//! `--copies 5` gives 20 organisations (five copies of the four-company
//! demo group, about 2,500 invoices each). `--per-window` and `--window`
//! set each organisation's call limit (Xero: 60 calls per 60 seconds) on
//! both sides, the simulator and Consol's client; with Xero's own limits a
//! demo-sized sync (10 calls) never meets them, so a tighter limit is what
//! makes the limits, not the machine, the bound being measured.
//!
//! The bound: a client that may never draw a 429, and cannot know where
//! Xero's fixed windows start, must keep any `L + 1` consecutive calls of
//! one organisation at least one window `W` apart (else some alignment of
//! the windows puts all of them in one). An organisation that needs `n`
//! calls therefore takes at least `floor((n - 1) / L) * W`; the group takes
//! at least the largest of those.

mod bench_support;

use std::time::{Duration, Instant};

use bench_support::{Consol, Sim, peak_rss_mib};
use consol::sync::{self, SyncKind};
use consol::xero::client::Limits;

struct Args {
    copies: u32,
    per_window: u32,
    window: u32,
}

fn args() -> anyhow::Result<Args> {
    let mut a = Args {
        copies: 5,
        per_window: 2,
        window: 10,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value: u32 = it
            .next()
            .and_then(|v| v.parse().ok())
            .filter(|v| *v > 0)
            .ok_or_else(|| anyhow::anyhow!("{flag} needs a positive number"))?;
        match flag.as_str() {
            "--copies" => a.copies = value,
            "--per-window" => a.per_window = value,
            "--window" => a.window = value,
            _ => anyhow::bail!("unknown flag {flag} (--copies, --per-window, --window)"),
        }
    }
    Ok(a)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let a = args()?;
    let sim = Sim::start(&["--copies", &a.copies.to_string()]).await?;
    sim.control(
        reqwest::Method::POST,
        "limits",
        Some(serde_json::json!({
            "per_minute": a.per_window,
            "minute_seconds": a.window,
        })),
    )
    .await?;
    let limits = Limits {
        tenant_per_window: a.per_window as usize,
        window: Duration::from_secs(u64::from(a.window)),
        ..Limits::default()
    };
    let consol = Consol::connected_to(&sim, "parallel-sync-bench", limits).await?;
    let store = &consol.store;
    let entities = store.entities_for_group(consol.group_id).await?;
    // Connecting read each organisation once; let that call leave the
    // window so that the sync starts with the whole budget.
    tokio::time::sleep(Duration::from_secs(u64::from(a.window))).await;
    sim.control(reqwest::Method::DELETE, "stats", None).await?;

    // One worker process with its default concurrency, as `consol serve`.
    let (stop, shutdown) = consol::shutdown::channel();
    let worker = tokio::spawn(sync::worker(store.clone(), consol.xero.clone()).run(shutdown));
    let started = Instant::now();
    let enqueued_at = chrono::Utc::now();
    let mut runs = Vec::new();
    for e in &entities {
        runs.push(
            sync::enqueue(store, e.organisation_id, SyncKind::Full)
                .await
                .map_err(|e| anyhow::anyhow!(e.message))?,
        );
    }
    let mut failed = Vec::new();
    let mut finished = Vec::new();
    for id in &runs {
        loop {
            let run = store.sync_run(*id).await?.expect("the run");
            match run.state.as_str() {
                "succeeded" => {
                    finished.push(run);
                    break;
                }
                "failed" => {
                    failed.push(format!("run {id}: {}", run.error.unwrap_or_default()));
                    break;
                }
                _ => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }
    let elapsed = started.elapsed();
    // When each run started after the request, and how long it ran.
    let secs = |d: chrono::TimeDelta| d.num_milliseconds() as f64 / 1000.0;
    let mut starts: Vec<f64> = finished
        .iter()
        .filter_map(|r| r.started_at.map(|t| secs(t - enqueued_at)))
        .collect();
    let mut spans: Vec<f64> = finished
        .iter()
        .filter_map(|r| Some(secs(r.finished_at? - r.started_at?)))
        .collect();
    starts.sort_by(f64::total_cmp);
    spans.sort_by(f64::total_cmp);
    stop.trigger();
    let _ = worker.await;

    let stats = sim.control(reqwest::Method::GET, "stats", None).await?;
    let tenants = stats["tenants"].as_object().cloned().unwrap_or_default();
    let mut most_calls = 0u64;
    let mut fewest_calls = u64::MAX;
    let mut rejected = 0u64;
    let mut bound = 0u64;
    for t in tenants.values() {
        let n = t["calls"].as_u64().unwrap_or(0);
        rejected += t["rejected_429"].as_u64().unwrap_or(0);
        most_calls = most_calls.max(n);
        fewest_calls = fewest_calls.min(n);
        bound = bound.max(n.saturating_sub(1) / u64::from(a.per_window) * u64::from(a.window));
    }
    println!(
        "{} organisations connected, {} synced in full ({} failed)",
        consol.connected,
        runs.len() - failed.len(),
        failed.len()
    );
    for f in &failed {
        println!("  {f}");
    }
    println!(
        "limits per organisation: {} calls per {} s window, 5 at once",
        a.per_window, a.window
    );
    println!("calls per organisation: {fewest_calls} to {most_calls}; 429s served: {rejected}");
    if bound == 0 {
        println!(
            "time: {:.1} s; the limits never bind at {most_calls} calls per organisation",
            elapsed.as_secs_f64()
        );
    } else {
        println!(
            "time: {:.1} s; unavoidable: {bound} s; ratio {:.3}",
            elapsed.as_secs_f64(),
            elapsed.as_secs_f64() / bound as f64
        );
    }
    if let (Some(first), Some(last)) = (starts.first(), starts.last()) {
        println!(
            "runs started {first:.1} s to {last:.1} s after the request; each ran {:.1} s (fastest) to {:.1} s (slowest)",
            spans[0],
            spans[spans.len() - 1]
        );
    }
    println!("peak memory: {} MiB", peak_rss_mib());
    if !failed.is_empty() || rejected > 0 {
        anyhow::bail!("the benchmark's conditions were not met");
    }
    Ok(())
}

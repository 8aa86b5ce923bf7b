//! Worker processes: real `consol serve --role worker` processes, killed
//! mid-sync and run side by side on one database.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use consol::store::Store;
use consol::sync::{self, SyncKind};
use serde_json::json;

use crate::helpers::{
    Backend, SimApp, assert_old_or_new, connect_demo_group, snapshot, snapshot_diff, spawn_with_sim,
};

crate::backends!(
    a_worker_killed_mid_sync_is_resumed_by_another,
    two_workers_sync_each_entity_exactly_once,
    a_kill_then_sync_now_never_runs_one_organisation_twice_at_once,
);

fn worker(s: &SimApp, stale_seconds: u32) -> Child {
    worker_with(s, stale_seconds, &[])
}

/// A `consol serve --role worker` process with extra settings.
pub(crate) fn worker_with(s: &SimApp, stale_seconds: u32, env: &[(&str, &str)]) -> Child {
    let mut c = Command::new(env!("CARGO_BIN_EXE_consol"));
    for (k, _) in std::env::vars() {
        if k.starts_with("CONSOL_") {
            c.env_remove(k);
        }
    }
    c.args(["serve", "--role", "worker"])
        .env("CONSOL_DATABASE_URL", &s.app.db.url)
        .env(
            "CONSOL_SECRET_KEY",
            "test-secret-key-of-at-least-32-characters",
        )
        .env("CONSOL_XERO_BASE_URL", s.sim.base_url())
        .env("CONSOL_XERO_CLIENT_ID", consol::sim::http::DEMO_CLIENT_ID)
        .env(
            "CONSOL_XERO_CLIENT_SECRET",
            consol::sim::http::DEMO_CLIENT_SECRET,
        )
        .env("CONSOL_WORKER_STALE_SECONDS", stale_seconds.to_string())
        .env("CONSOL_LOG", "warn")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(if std::env::var_os("CONSOL_TEST_WORKER_LOGS").is_some() {
            Stdio::inherit()
        } else {
            Stdio::null()
        })
        .spawn()
        .expect("start a worker process")
}

/// Waits (bounded) until `done` says so about the run.
pub(crate) async fn wait_for(
    store: &Store,
    run: i64,
    what: &str,
    done: impl Fn(&consol::store::SyncRun) -> bool,
) {
    for _ in 0..600 {
        let r = store.sync_run(run).await.unwrap().unwrap();
        if done(&r) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for the run to be {what}");
}

async fn a_worker_killed_mid_sync_is_resumed_by_another(backend: Backend) {
    let mut s = spawn_with_sim(backend).await;
    let group = connect_demo_group(&mut s, None).await;
    let e = s.app.store().entities_for_group(group).await.unwrap()[0].clone();
    let before = snapshot(s.app.store(), e.organisation_id).await;
    let theirs = s.xero_snapshot(e.tenant_id.parse().unwrap());
    // Slow calls, so that the kill lands in the middle of the run.
    s.control("POST", "/_sim/faults", Some(json!({"latency_ms": 300})))
        .await;
    let run = sync::enqueue(s.app.store(), e.organisation_id, SyncKind::Incremental)
        .await
        .unwrap();
    let mut first = worker(&s, 3);
    wait_for(s.app.store(), run, "half done", |r| {
        r.state == "running" && r.progress_done >= 3
    })
    .await;
    first.kill().unwrap(); // SIGKILL: no chance to clean up
    first.wait().unwrap();
    let mid = s.app.store().sync_run(run).await.unwrap().unwrap();
    assert_eq!(mid.state, "running", "the run was cut off mid-way");
    // What the killed worker left: each month and record is empty (as
    // before) or whole, and some, not all, were written.
    let cut = snapshot(s.app.store(), e.organisation_id).await;
    let mix = assert_old_or_new("killed mid-sync", &cut, &before, &theirs);
    assert!(!mix.new.is_empty() && !mix.old.is_empty(), "{mix:?}");

    s.control("DELETE", "/_sim/faults", None).await;
    let mut second = worker(&s, 3);
    wait_for(s.app.store(), run, "finished", |r| {
        !matches!(r.state.as_str(), "running" | "retrying" | "queued")
    })
    .await;
    second.kill().unwrap();
    second.wait().unwrap();
    let done = s.app.store().sync_run(run).await.unwrap().unwrap();
    assert_eq!(done.state, "succeeded", "{:?}", done.error);

    // The result equals a fault-free sync: every report month, invoice
    // (none missing or duplicated), contact and account is the simulator's.
    let ours = snapshot(s.app.store(), e.organisation_id).await;
    assert!(ours == theirs, "{}", snapshot_diff(&ours, &theirs));
}

async fn two_workers_sync_each_entity_exactly_once(backend: Backend) {
    let mut s = spawn_with_sim(backend).await;
    let group = connect_demo_group(&mut s, None).await;
    s.control("DELETE", "/_sim/stats", None).await;
    let mut runs = Vec::new();
    for e in s.app.store().entities_for_group(group).await.unwrap() {
        runs.push(
            sync::enqueue(s.app.store(), e.organisation_id, SyncKind::Incremental)
                .await
                .unwrap(),
        );
    }
    // Generous heartbeats: SQLite makes writers queue, and a late heartbeat
    // must not hand a live job to the other worker.
    let mut a = worker(&s, 60);
    let mut b = worker(&s, 60);
    for run in &runs {
        wait_for(s.app.store(), *run, "finished", |r| {
            r.state == "succeeded" || r.state == "failed"
        })
        .await;
    }
    // A run is finished a moment before its job is marked done: let the
    // workers close their jobs before they are killed.
    for _ in 0..200 {
        let counts = s.app.store().job_counts().await.unwrap();
        if counts.iter().all(|(state, _)| state == "done") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    a.kill().unwrap();
    b.kill().unwrap();
    let _ = (a.wait(), b.wait());
    for run in &runs {
        let r = s.app.store().sync_run(*run).await.unwrap().unwrap();
        assert_eq!(r.state, "succeeded", "{:?}", r.error);
    }
    let stats = s.control("GET", "/_sim/stats", None).await;
    for (tenant, t) in stats["tenants"].as_object().unwrap() {
        assert_eq!(
            t["by_endpoint"]["GET /Organisation"], 1,
            "{tenant} synced once: {t}"
        );
    }
    let counts = s.app.store().job_counts().await.unwrap();
    // One per demo organisation (the four and Tui Ventures).
    assert_eq!(counts, vec![("done".to_string(), 5)]);
}

/// Issue 16: a worker killed mid-sync, then "Sync now". The new sync ran at
/// once, and the dead worker's job, requeued a heartbeat later, ran beside
/// it. Whatever the order, one organisation's runs must never overlap.
async fn a_kill_then_sync_now_never_runs_one_organisation_twice_at_once(backend: Backend) {
    let mut s = spawn_with_sim(backend).await;
    let group = connect_demo_group(&mut s, None).await;
    let e = s.app.store().entities_for_group(group).await.unwrap()[0].clone();
    let theirs = s.xero_snapshot(e.tenant_id.parse().unwrap());
    s.control("POST", "/_sim/faults", Some(json!({"latency_ms": 300})))
        .await;
    s.control("DELETE", "/_sim/stats", None).await;
    let first_run = sync::enqueue(s.app.store(), e.organisation_id, SyncKind::Incremental)
        .await
        .unwrap();
    let mut first = worker(&s, 3);
    wait_for(s.app.store(), first_run, "under way", |r| {
        r.state == "running" && r.progress_done >= 2
    })
    .await;
    first.kill().unwrap();
    first.wait().unwrap();
    // "Sync now" while the killed worker's job still looks like it runs.
    let second_run = sync::enqueue(s.app.store(), e.organisation_id, SyncKind::Incremental)
        .await
        .unwrap();
    assert_ne!(
        first_run, second_run,
        "a new run queues behind a running one"
    );
    let mut second = worker(&s, 3);
    wait_for(s.app.store(), second_run, "finished", |r| {
        r.state == "succeeded" || r.state == "failed"
    })
    .await;
    // Long enough for the dead worker's job to be found (stale after 3 s)
    // and, were it requeued, to run again.
    tokio::time::sleep(Duration::from_secs(8)).await;
    second.kill().unwrap();
    second.wait().unwrap();

    let done = s.app.store().sync_run(second_run).await.unwrap().unwrap();
    assert_eq!(done.state, "succeeded", "{:?}", done.error);
    // The killed run was closed in favour of the new one: not a failure.
    let killed = s.app.store().sync_run(first_run).await.unwrap().unwrap();
    assert_eq!(killed.state, "superseded", "{killed:?}");
    let mut spans = Vec::new();
    for id in [first_run, second_run] {
        let r = s.app.store().sync_run(id).await.unwrap().unwrap();
        assert!(
            !matches!(r.state.as_str(), "running" | "retrying" | "queued"),
            "run {id} left {}",
            r.state
        );
        spans.push((id, r.started_at.unwrap(), r.finished_at.unwrap()));
    }
    spans.sort_by_key(|(_, start, _)| *start);
    for w in spans.windows(2) {
        assert!(
            w[0].2 <= w[1].1,
            "run {} ({} to {}) overlaps run {} ({} to {})",
            w[0].0,
            w[0].1,
            w[0].2,
            w[1].0,
            w[1].1,
            w[1].2
        );
    }
    // The killed attempt and the new sync: two syncs' worth of
    // `GET /Organisation`, not three.
    let stats = s.control("GET", "/_sim/stats", None).await;
    assert_eq!(
        stats["tenants"][e.tenant_id.as_str()]["by_endpoint"]["GET /Organisation"],
        2,
        "{stats}"
    );
    let ours = snapshot(s.app.store(), e.organisation_id).await;
    assert!(ours == theirs, "{}", snapshot_diff(&ours, &theirs));
}

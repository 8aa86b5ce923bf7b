//! Shutdown of a real `consol serve --role worker` process mid-sync: the
//! grace period bounds the wait, the syncs in progress go back to the
//! queue (never failed, nor when a newer sync of the organisation already
//! waits: then the stopped run is superseded), the next start completes
//! them, and a second signal exits at once.

use std::process::{Child, Command};
use std::time::{Duration, Instant};

use consol::store::{EntityView, Store};
use consol::sync::{self, SyncKind};
use serde_json::json;

use crate::helpers::{
    Backend, SimApp, Snapshot, connect_demo_group, snapshot, snapshot_diff, spawn_with_sim,
};
use crate::workers::{wait_for, worker_with};

crate::backends!(
    sigterm_mid_sync_stops_within_the_grace_period_and_the_next_start_completes,
    a_second_signal_exits_at_once,
    sigterm_with_a_newer_sync_queued_supersedes_the_run_without_failing_it,
);

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Waits (bounded) for the process to exit; how long it took.
fn wait_exit(child: &mut Child, limit: Duration) -> (Duration, std::process::ExitStatus) {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return (start.elapsed(), status);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the worker did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Every run of the group's organisations and every job: none failed, none
/// left running.
async fn assert_nothing_failed_or_running(store: &Store, group: i64) {
    for r in store.latest_runs_for_group(group).await.unwrap() {
        assert!(
            !matches!(r.state.as_str(), "failed" | "running" | "retrying"),
            "run {} left {}: {:?}",
            r.id,
            r.state,
            r.error
        );
    }
    for (state, n) in store.job_counts().await.unwrap() {
        assert!(
            state != "failed" && state != "running",
            "{n} jobs left {state}"
        );
    }
}

/// A connected demo group whose first entity's sync a worker process (with
/// this grace period) has under way, its calls slowed so that a whole sync
/// takes far longer than the grace period.
struct SyncUnderWay {
    s: SimApp,
    group: i64,
    entity: EntityView,
    /// The simulator's books of the entity: what a clean sync stores.
    theirs: Snapshot,
    run: i64,
    worker: Child,
}

async fn sync_under_way(backend: Backend, grace_seconds: u64) -> SyncUnderWay {
    let mut s = spawn_with_sim(backend).await;
    let group = connect_demo_group(&mut s, None).await;
    let entity = s.app.store().entities_for_group(group).await.unwrap()[0].clone();
    let theirs = s.xero_snapshot(entity.tenant_id.parse().unwrap());
    s.control("POST", "/_sim/faults", Some(json!({"latency_ms": 600})))
        .await;
    let run = sync::enqueue(s.app.store(), entity.organisation_id, SyncKind::Incremental)
        .await
        .unwrap();
    let grace = grace_seconds.to_string();
    let worker = worker_with(&s, 60, &[("CONSOL_SHUTDOWN_GRACE_SECONDS", grace.as_str())]);
    wait_for(s.app.store(), run, "under way", |r| {
        r.state == "running" && r.progress_done >= 1
    })
    .await;
    SyncUnderWay {
        s,
        group,
        entity,
        theirs,
        run,
        worker,
    }
}

async fn sigterm_mid_sync_stops_within_the_grace_period_and_the_next_start_completes(
    backend: Backend,
) {
    let grace = 2;
    let SyncUnderWay {
        s,
        group,
        entity: e,
        theirs,
        run,
        worker: mut w,
    } = sync_under_way(backend, grace).await;
    signal(&w, "TERM");
    let (took, status) = wait_exit(&mut w, Duration::from_secs(60));
    assert!(status.success(), "exited with {status}");
    // The grace period, and a moment to reach a safe point and close.
    assert!(
        took < Duration::from_secs(grace + 3),
        "exit took {took:?} with a grace period of {grace} s"
    );
    let stopped = s.app.store().sync_run(run).await.unwrap().unwrap();
    assert_eq!(stopped.state, "queued", "{stopped:?}");
    assert_eq!(stopped.error, None);
    assert_nothing_failed_or_running(s.app.store(), group).await;

    // The next start completes the sync, and the data is a clean sync's.
    completes_on_the_next_start(&s, run, &e, &theirs).await;
}

/// With the faults cleared, a fresh worker process completes `run`; the
/// entity then holds the simulator's books, as after a clean sync.
async fn completes_on_the_next_start(s: &SimApp, run: i64, e: &EntityView, theirs: &Snapshot) {
    s.control("DELETE", "/_sim/faults", None).await;
    let mut again = worker_with(s, 60, &[]);
    wait_for(s.app.store(), run, "finished", |r| {
        !matches!(r.state.as_str(), "queued" | "running" | "retrying")
    })
    .await;
    let done = s.app.store().sync_run(run).await.unwrap().unwrap();
    assert_eq!(done.state, "succeeded", "{:?}", done.error);
    signal(&again, "TERM");
    let (_, status) = wait_exit(&mut again, Duration::from_secs(60));
    assert!(status.success(), "exited with {status}");
    let ours = snapshot(s.app.store(), e.organisation_id).await;
    assert!(&ours == theirs, "{}", snapshot_diff(&ours, theirs));
}

async fn a_second_signal_exits_at_once(backend: Backend) {
    // A long grace period: only the second signal can end it early.
    let SyncUnderWay {
        s: _s,
        worker: mut w,
        ..
    } = sync_under_way(backend, 120).await;
    signal(&w, "TERM");
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        w.try_wait().unwrap().is_none(),
        "the first signal waits for the sync"
    );
    signal(&w, "TERM");
    let (took, status) = wait_exit(&mut w, Duration::from_secs(60));
    assert!(!status.success(), "an interrupted exit says so: {status}");
    assert!(took < Duration::from_secs(2), "exit took {took:?}");
}

/// Issue 16: SIGTERM stops a sync while a newer sync of the same
/// organisation is already queued. The stopped run cannot go back to the
/// queue beside it; it is closed as superseded, never failed, the entity
/// keeps its last successful sync, and the newer sync completes the work.
async fn sigterm_with_a_newer_sync_queued_supersedes_the_run_without_failing_it(backend: Backend) {
    let SyncUnderWay {
        s,
        group,
        entity: e,
        theirs,
        run,
        worker: mut w,
    } = sync_under_way(backend, 1).await;
    let synced_at = e.last_synced_at;
    // "Sync now" while it runs: a second sync queues behind it.
    let newer = sync::enqueue(s.app.store(), e.organisation_id, SyncKind::Incremental)
        .await
        .unwrap();
    assert_ne!(newer, run, "a new run queues behind a running one");
    signal(&w, "TERM");
    let (_, status) = wait_exit(&mut w, Duration::from_secs(60));
    assert!(status.success(), "exited with {status}");

    let stopped = s.app.store().sync_run(run).await.unwrap().unwrap();
    assert_eq!(stopped.state, "superseded", "{stopped:?}");
    assert_eq!(stopped.error, None, "nothing failed");
    assert!(stopped.finished_at.is_some());
    assert!(stopped.calls > 0, "its calls stay counted: {stopped:?}");
    let waiting = s.app.store().sync_run(newer).await.unwrap().unwrap();
    assert_eq!(waiting.state, "queued", "{waiting:?}");
    assert_nothing_failed_or_running(s.app.store(), group).await;
    // The entity is not marked as failing: its last sync is unchanged.
    let after = s.app.store().entities_for_group(group).await.unwrap()[0].clone();
    assert_eq!(after.last_synced_at, synced_at);

    // The newer sync does the work.
    completes_on_the_next_start(&s, newer, &e, &theirs).await;
}

//! Database errors that are worth retrying, produced for real on each
//! backend: a PostgreSQL connection closed by the server, a SQLite file
//! locked by another writer; and a whole sync through them.

use std::str::FromStr;
use std::time::Duration;

use consol::store::{Store, StoreError};
use consol::sync::{self, SyncKind};
use serde_json::json;
use sqlx::Connection;

use crate::helpers::{
    Backend, TestDb, assert_old_or_new, connect_demo_group, postgres_url, snapshot, snapshot_diff,
    spawn_with_sim,
};
use crate::sync::{bookkeeper_token, change_books};
use crate::workers::worker_with;

crate::backends!(
    a_dropped_or_busy_database_is_a_transient_error,
    a_sync_through_a_dropped_or_locked_database_is_retried_and_converges,
);

async fn a_dropped_or_busy_database_is_a_transient_error(backend: Backend) {
    let db = TestDb::new(backend).await;
    let err: sqlx::Error = match &db.store {
        Store::Postgres(pool) => {
            let mut conn = pool.acquire().await.unwrap();
            let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
            // The server drops the connection (a restart, a failover).
            let mut admin = sqlx::PgConnection::connect(&postgres_url()).await.unwrap();
            sqlx::query("SELECT pg_terminate_backend($1)")
                .bind(pid)
                .execute(&mut admin)
                .await
                .unwrap();
            sqlx::query("SELECT 1")
                .execute(&mut *conn)
                .await
                .expect_err("the connection was dropped")
        }
        Store::Sqlite(_) => {
            // Another process holds the write lock, and waiting is off.
            let opts = sqlx::sqlite::SqliteConnectOptions::from_str(&db.url)
                .unwrap()
                .busy_timeout(std::time::Duration::ZERO);
            let mut holder = sqlx::SqliteConnection::connect_with(&opts).await.unwrap();
            let mut other = sqlx::SqliteConnection::connect_with(&opts).await.unwrap();
            sqlx::query("BEGIN IMMEDIATE")
                .execute(&mut holder)
                .await
                .unwrap();
            sqlx::query("BEGIN IMMEDIATE")
                .execute(&mut other)
                .await
                .expect_err("the file is locked")
        }
    };
    assert!(
        StoreError::Database(err).is_transient(),
        "a dropped connection or a busy file is worth retrying"
    );
    assert!(!StoreError::Conflict("x".into()).is_transient());
}

/// Issue 16: the database goes away in the middle of a whole sync run by a
/// real worker process against the simulator (PostgreSQL: the server ends
/// the worker's connections, as a restart or failover does; SQLite:
/// another process holds the write lock past the busy timeout). The sync
/// is retried, not failed; the stored data is never a mix within a month
/// or record and ends as Xero's; the run's calls are the ones Xero counted.
async fn a_sync_through_a_dropped_or_locked_database_is_retried_and_converges(backend: Backend) {
    let mut s = spawn_with_sim(backend).await;
    let group = connect_demo_group(&mut s, None).await;
    crate::sync::sync_all_in_passes(&s, group, SyncKind::Incremental, 3).await;
    let e = s.app.store().entities_for_group(group).await.unwrap()[0].clone();
    let before = snapshot(s.app.store(), e.organisation_id).await;
    // The bookkeeper changes the books, so the sync has something to write.
    s.control("POST", "/_sim/clock", Some(json!({"advance_seconds": 60})))
        .await;
    let token = bookkeeper_token(&s).await;
    change_books(&s, &token, &e.tenant_id).await;
    let theirs = s.xero_snapshot(e.tenant_id.parse().unwrap());
    assert!(before != theirs, "the books changed");

    s.control(
        "POST",
        "/_sim/faults",
        Some(json!({"tenant_id": e.tenant_id, "latency_ms": 200})),
    )
    .await;
    s.control("DELETE", "/_sim/stats", None).await;
    let run = sync::enqueue(s.app.store(), e.organisation_id, SyncKind::Full)
        .await
        .unwrap();
    // The worker's connections carry a name of their own on PostgreSQL, so
    // that only they are dropped.
    let app_name = format!("consol_worker_{}", std::process::id());
    let url = match backend {
        Backend::Postgres => format!("{}&application_name={app_name}", s.app.db.url),
        Backend::Sqlite => s.app.db.url.clone(),
    };
    let mut w = worker_with(&s, 60, &[("CONSOL_DATABASE_URL", url.as_str())]);
    crate::workers::wait_for(s.app.store(), run, "under way", |r| {
        r.state == "running" && r.progress_done >= 2
    })
    .await;
    match backend {
        Backend::Postgres => {
            // Every 100 ms for three seconds, whatever the worker is doing.
            let mut admin = sqlx::PgConnection::connect(&postgres_url()).await.unwrap();
            let mut dropped = 0;
            for _ in 0..30 {
                let n: Vec<bool> = sqlx::query_scalar(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
                )
                .bind(&app_name)
                .fetch_all(&mut admin)
                .await
                .unwrap();
                dropped += n.iter().filter(|x| **x).count();
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            assert!(dropped > 0, "the worker's connections were dropped");
        }
        Backend::Sqlite => {
            // Longer than the store's busy timeout (10 s): the worker's
            // writes meanwhile fail as "database is locked".
            let opts = sqlx::sqlite::SqliteConnectOptions::from_str(&s.app.db.url).unwrap();
            let mut holder = sqlx::SqliteConnection::connect_with(&opts).await.unwrap();
            sqlx::query("BEGIN IMMEDIATE")
                .execute(&mut holder)
                .await
                .unwrap();
            tokio::time::sleep(Duration::from_secs(12)).await;
            sqlx::query("ROLLBACK").execute(&mut holder).await.unwrap();
        }
    }
    let mid = s.app.store().sync_run(run).await.unwrap().unwrap();
    assert_ne!(mid.state, "failed", "{mid:?}");
    // Each month and record is old or new, never a mix.
    let cut = snapshot(s.app.store(), e.organisation_id).await;
    assert_old_or_new("database dropped mid-sync", &cut, &before, &theirs);

    crate::workers::wait_for(s.app.store(), run, "finished", |r| {
        !matches!(r.state.as_str(), "queued" | "running" | "retrying")
    })
    .await;
    w.kill().unwrap();
    w.wait().unwrap();
    let done = s.app.store().sync_run(run).await.unwrap().unwrap();
    assert_eq!(done.state, "succeeded", "{:?}", done.error);
    // It was retried: the job ran more than once.
    let attempts: i32 = {
        const Q: &str = "SELECT attempts FROM jobs WHERE payload LIKE $1";
        let like = format!("%\"run_id\":{run},%");
        match s.app.store() {
            Store::Sqlite(p) => sqlx::query_scalar(Q).bind(like).fetch_one(p).await,
            Store::Postgres(p) => sqlx::query_scalar(Q).bind(like).fetch_one(p).await,
        }
        .unwrap()
    };
    assert!(attempts >= 2, "{attempts} attempts: {done:?}");
    let ours = snapshot(s.app.store(), e.organisation_id).await;
    assert!(ours == theirs, "{}", snapshot_diff(&ours, &theirs));
    // Every attempt's calls, as the simulator counted them.
    let stats = s.control("GET", "/_sim/stats", None).await;
    let t = &stats["tenants"][e.tenant_id.as_str()];
    assert_eq!(i64::from(done.calls), t["calls"].as_i64().unwrap(), "{t}");
}

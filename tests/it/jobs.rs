//! The durable job queue on both backends.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use chrono::{Duration, Utc};
use consol::jobs::{Handler, JobError, JobFuture, Worker, WorkerConfig};
use consol::shutdown::Shutdown;
use consol::store::{Enqueued, JobRow, NewJob, Requeued, StaleJobs, Store};

use crate::helpers::{Backend, TestDb};

crate::backends!(
    queued_jobs_are_deduplicated_by_key,
    each_job_is_claimed_by_exactly_one_worker,
    failures_retry_with_backoff_then_stop,
    a_panicking_job_is_retried_not_fatal,
    jobs_of_dead_workers_are_requeued,
    a_key_runs_one_job_at_a_time,
);

fn job<'a>(kind: &'a str, key: Option<&'a str>) -> NewJob<'a> {
    NewJob {
        kind,
        payload: "{}",
        dedup_key: key,
        priority: 0,
        max_attempts: 3,
        run_at: Utc::now() - Duration::seconds(1),
    }
}

async fn queued_jobs_are_deduplicated_by_key(backend: Backend) {
    let db = TestDb::new(backend).await;
    let now = Utc::now();
    let a = db
        .store
        .enqueue_job(&job("sync", Some("org:1")), now)
        .await
        .unwrap();
    let Enqueued::New(id) = a else {
        panic!("{a:?}")
    };
    let b = db
        .store
        .enqueue_job(&job("sync", Some("org:1")), now)
        .await
        .unwrap();
    assert!(
        matches!(b, Enqueued::Existing(ref j) if j.id == id),
        "{b:?}"
    );
    assert!(matches!(
        db.store
            .enqueue_job(&job("sync", Some("org:2")), now)
            .await
            .unwrap(),
        Enqueued::New(_)
    ));
    // Once the first is running, a new one may queue behind it.
    let claimed = db.store.claim_job("w", Utc::now()).await.unwrap().unwrap();
    assert_eq!(claimed.id, id);
    assert!(matches!(
        db.store
            .enqueue_job(&job("sync", Some("org:1")), now)
            .await
            .unwrap(),
        Enqueued::New(_)
    ));
    // A failed job waiting out its backoff is brought forward when the
    // same work is asked for again.
    let key = "org:3";
    db.store
        .enqueue_job(&job("sync", Some(key)), now)
        .await
        .unwrap();
    let waiting = loop {
        let j = db.store.claim_job("w", Utc::now()).await.unwrap().unwrap();
        if j.dedup_key.as_deref() == Some(key) {
            break j;
        }
    };
    db.store
        .fail_job(
            waiting.id,
            "boom",
            Some(Utc::now() + Duration::hours(1)),
            Utc::now(),
        )
        .await
        .unwrap();
    assert!(matches!(
        db.store.enqueue_job(&job("sync", Some(key)), Utc::now()).await.unwrap(),
        Enqueued::Existing(ref j) if j.id == waiting.id
    ));
    let due = db.store.claim_job("w", Utc::now()).await.unwrap();
    assert_eq!(due.map(|j| j.id), Some(waiting.id));
}

async fn each_job_is_claimed_by_exactly_one_worker(backend: Backend) {
    let db = TestDb::new(backend).await;
    let now = Utc::now();
    for _ in 0..40 {
        db.store.enqueue_job(&job("k", None), now).await.unwrap();
    }
    let claims = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for w in 0..4 {
        let store: Store = db.store.clone();
        let claims = claims.clone();
        tasks.push(tokio::spawn(async move {
            while let Some(j) = store.claim_job(&format!("w{w}"), Utc::now()).await.unwrap() {
                claims.lock().unwrap().push(j.id);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let claims = claims.lock().unwrap().clone();
    let unique: HashSet<i64> = claims.iter().copied().collect();
    assert_eq!(claims.len(), 40, "every job claimed");
    assert_eq!(unique.len(), 40, "no job claimed twice");
}

struct Flaky {
    calls: Mutex<u32>,
    fail_first: u32,
    panic: bool,
}

impl Handler for Flaky {
    fn run<'a>(&'a self, _job: &'a JobRow, _stop: &'a Shutdown) -> JobFuture<'a> {
        Box::pin(async move {
            let n = {
                let mut c = self.calls.lock().unwrap();
                *c += 1;
                *c
            };
            if n <= self.fail_first {
                if self.panic {
                    panic!("boom");
                }
                return Err(JobError::retry(format!("attempt {n} failed")));
            }
            Ok(())
        })
    }
}

async fn run_due(store: &Store, worker: &Worker) {
    // Make every queued job due now, as if the backoff had passed.
    match store {
        Store::Sqlite(p) => {
            sqlx::query("UPDATE jobs SET run_at = $1 WHERE state = 'queued'")
                .bind(Utc::now() - Duration::seconds(1))
                .execute(p)
                .await
                .unwrap();
        }
        Store::Postgres(p) => {
            sqlx::query("UPDATE jobs SET run_at = $1 WHERE state = 'queued'")
                .bind(Utc::now() - Duration::seconds(1))
                .execute(p)
                .await
                .unwrap();
        }
    }
    worker.drain().await.unwrap();
}

async fn failures_retry_with_backoff_then_stop(backend: Backend) {
    let db = TestDb::new(backend).await;
    let handler = Arc::new(Flaky {
        calls: Mutex::new(0),
        fail_first: 10,
        panic: false,
    });
    let worker =
        Worker::new(db.store.clone(), WorkerConfig::default()).handle("k", handler.clone());
    db.store
        .enqueue_job(&job("k", None), Utc::now())
        .await
        .unwrap();
    worker.drain().await.unwrap();
    // Failed once, requeued in the future: nothing is due now.
    assert_eq!(worker.drain().await.unwrap(), 0);
    assert_eq!(counts(&db.store).await, vec![("queued".into(), 1)]);
    run_due(&db.store, &worker).await;
    run_due(&db.store, &worker).await;
    // Three attempts (max_attempts) and it is failed for good.
    assert_eq!(*handler.calls.lock().unwrap(), 3);
    assert_eq!(counts(&db.store).await, vec![("failed".into(), 1)]);
}

async fn a_panicking_job_is_retried_not_fatal(backend: Backend) {
    let db = TestDb::new(backend).await;
    let handler = Arc::new(Flaky {
        calls: Mutex::new(0),
        fail_first: 1,
        panic: true,
    });
    let worker =
        Worker::new(db.store.clone(), WorkerConfig::default()).handle("k", handler.clone());
    db.store
        .enqueue_job(&job("k", None), Utc::now())
        .await
        .unwrap();
    worker.drain().await.unwrap();
    run_due(&db.store, &worker).await;
    assert_eq!(*handler.calls.lock().unwrap(), 2);
    assert_eq!(counts(&db.store).await, vec![("done".into(), 1)]);
}

async fn jobs_of_dead_workers_are_requeued(backend: Backend) {
    let db = TestDb::new(backend).await;
    db.store
        .enqueue_job(&job("k", Some("x")), Utc::now())
        .await
        .unwrap();
    let j = db
        .store
        .claim_job("dead-worker", Utc::now())
        .await
        .unwrap()
        .unwrap();
    // Its heartbeat is fresh: nothing to requeue.
    assert_eq!(
        db.store
            .requeue_stale_jobs(Utc::now() - Duration::minutes(1), "live-worker")
            .await
            .unwrap(),
        StaleJobs::default()
    );
    // A worker never requeues its own job: it is alive, only late.
    assert_eq!(
        db.store
            .requeue_stale_jobs(Utc::now() + Duration::minutes(2), "dead-worker")
            .await
            .unwrap(),
        StaleJobs::default()
    );
    // A minute without heartbeats: it goes back to the queue.
    assert_eq!(
        db.store
            .requeue_stale_jobs(Utc::now() + Duration::minutes(2), "live-worker")
            .await
            .unwrap(),
        StaleJobs {
            requeued: 1,
            superseded: vec![]
        }
    );
    let again = db
        .store
        .claim_job("live-worker", Utc::now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.id, j.id);
    assert_eq!(again.attempts, 2);
}

/// The path of the double sync: a worker dies mid-job, "Sync now" queues
/// the same work again, and the dead worker's job must neither run beside
/// the new one nor come back after it has started.
async fn a_key_runs_one_job_at_a_time(backend: Backend) {
    let db = TestDb::new(backend).await;
    let now = Utc::now();
    db.store
        .enqueue_job(&job("k", Some("org:1")), now)
        .await
        .unwrap();
    let first = db
        .store
        .claim_job("dead-worker", Utc::now())
        .await
        .unwrap()
        .unwrap();
    // Queued behind the running one (a change arriving mid-sync)...
    let Enqueued::New(second) = db
        .store
        .enqueue_job(&job("k", Some("org:1")), now)
        .await
        .unwrap()
    else {
        panic!("a second job queues behind a running one")
    };
    // ...but not started while the first runs, even once due.
    assert_eq!(db.store.claim_job("w", Utc::now()).await.unwrap(), None);
    // Another key is not held up.
    db.store
        .enqueue_job(&job("k", Some("org:2")), now)
        .await
        .unwrap();
    let other = db.store.claim_job("w", Utc::now()).await.unwrap().unwrap();
    assert_eq!(other.dedup_key.as_deref(), Some("org:2"));
    db.store.finish_job(other.id, Utc::now()).await.unwrap();
    // The first one's worker died. Its job is not requeued beside the
    // queued one: it is closed, and handed back so its handler can tidy.
    let stale = db
        .store
        .requeue_stale_jobs(Utc::now() + Duration::minutes(2), "w")
        .await
        .unwrap();
    assert_eq!(
        stale.superseded.iter().map(|j| j.id).collect::<Vec<_>>(),
        vec![first.id]
    );
    // Now the second one runs.
    let next = db.store.claim_job("w", Utc::now()).await.unwrap().unwrap();
    assert_eq!(next.id, second);
    // A third, queued while the second runs, stays queued; the second
    // failing and asking for a retry is closed in its favour.
    let Enqueued::New(third) = db
        .store
        .enqueue_job(&job("k", Some("org:1")), now)
        .await
        .unwrap()
    else {
        panic!("queued behind the second")
    };
    assert_eq!(db.store.claim_job("w", Utc::now()).await.unwrap(), None);
    assert_eq!(
        db.store
            .fail_job(second, "boom", Some(Utc::now()), Utc::now())
            .await
            .unwrap(),
        Some(Requeued::Superseded)
    );
    let last = db.store.claim_job("w", Utc::now()).await.unwrap().unwrap();
    assert_eq!(last.id, third);
    // Two running jobs of one key cannot exist, whatever writes them.
    let forced = match &db.store {
        Store::Sqlite(p) => sqlx::query("UPDATE jobs SET state = 'running' WHERE id = $1")
            .bind(first.id)
            .execute(p)
            .await
            .map(|_| ()),
        Store::Postgres(p) => sqlx::query("UPDATE jobs SET state = 'running' WHERE id = $1")
            .bind(first.id)
            .execute(p)
            .await
            .map(|_| ()),
    };
    assert!(
        forced.is_err(),
        "a second running job of one key was stored"
    );
    // The two closed in favour of a newer job are superseded, not failed.
    assert_eq!(
        counts(&db.store).await,
        vec![
            ("done".into(), 1),
            ("running".into(), 1),
            ("superseded".into(), 2)
        ]
    );
}

async fn counts(store: &Store) -> Vec<(String, i64)> {
    store.job_counts().await.unwrap()
}

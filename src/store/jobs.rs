//! The durable job queue's table. Claiming differs by backend: PostgreSQL
//! locks the chosen row with `FOR UPDATE SKIP LOCKED`, so concurrent
//! workers never take the same job; SQLite has one writer at a time, so
//! the single `UPDATE ... RETURNING` is already exclusive.
//!
//! At most one job of a key runs at a time: the claim skips a queued job
//! whose key has a running one, a partial unique index on running keys
//! turns a race between two claims into an error instead of two runs, and
//! a dead worker's job is closed rather than requeued when a newer job of
//! its key is already queued.

use chrono::{DateTime, Utc};

use super::{BeginWrite, Store, StoreResult, on_pool};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct JobRow {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    pub dedup_key: Option<String>,
    pub attempts: i32,
    pub max_attempts: i32,
}

pub struct NewJob<'a> {
    pub kind: &'a str,
    pub payload: &'a str,
    pub dedup_key: Option<&'a str>,
    pub priority: i32,
    pub max_attempts: i32,
    pub run_at: DateTime<Utc>,
}

/// `Enqueued::Existing` carries the queued job that has the same key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Enqueued {
    New(i64),
    Existing(JobRow),
}

const CLAIM_SQLITE: &str = "UPDATE jobs SET state = 'running', locked_by = $1, locked_at = $2, \
         heartbeat_at = $2, attempts = attempts + 1 \
     WHERE id = (SELECT q.id FROM jobs q WHERE q.state = 'queued' AND q.run_at <= $2 \
                   AND (q.dedup_key IS NULL OR NOT EXISTS \
                        (SELECT 1 FROM jobs r WHERE r.dedup_key = q.dedup_key AND r.state = 'running')) \
                 ORDER BY q.priority DESC, q.run_at, q.id LIMIT 1) \
     RETURNING id, kind, payload, dedup_key, attempts, max_attempts";

const CLAIM_POSTGRES: &str = "UPDATE jobs SET state = 'running', locked_by = $1, locked_at = $2, \
         heartbeat_at = $2, attempts = attempts + 1 \
     WHERE id = (SELECT q.id FROM jobs q WHERE q.state = 'queued' AND q.run_at <= $2 \
                   AND (q.dedup_key IS NULL OR NOT EXISTS \
                        (SELECT 1 FROM jobs r WHERE r.dedup_key = q.dedup_key AND r.state = 'running')) \
                 ORDER BY q.priority DESC, q.run_at, q.id LIMIT 1 FOR UPDATE OF q SKIP LOCKED) \
     RETURNING id, kind, payload, dedup_key, attempts, max_attempts";

/// What became of the jobs of dead workers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StaleJobs {
    /// Back in the queue.
    pub requeued: u64,
    /// Closed, because a newer job of the same key is queued and will do
    /// the work; their handlers are told (`Handler::abandoned`).
    pub superseded: Vec<JobRow>,
}

/// What became of a job handed back to the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requeued {
    Yes,
    /// A newer job of the same key was queued meanwhile: this one was
    /// closed instead (at most one queued job per key), as `superseded`,
    /// which is not a failure: the newer job does the work.
    Superseded,
}

fn unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

impl Store {
    /// Queues a job unless one with the same key is already queued.
    pub async fn enqueue_job(&self, job: &NewJob<'_>, now: DateTime<Utc>) -> StoreResult<Enqueued> {
        on_pool!(self, pool => {
            let id: Option<i64> = sqlx::query_scalar(
                "INSERT INTO jobs (kind, payload, dedup_key, priority, state, max_attempts, run_at, created_at) \
                 VALUES ($1, $2, $3, $4, 'queued', $5, $6, $7) \
                 ON CONFLICT (dedup_key) WHERE state = 'queued' DO NOTHING RETURNING id",
            )
            .bind(job.kind)
            .bind(job.payload)
            .bind(job.dedup_key)
            .bind(job.priority)
            .bind(job.max_attempts)
            .bind(job.run_at)
            .bind(now)
            .fetch_optional(pool)
            .await?;
            if let Some(id) = id {
                return Ok(Enqueued::New(id));
            }
            // Asking again brings a queued job (such as a retry waiting out
            // its backoff) forward to the time asked for.
            sqlx::query(
                "UPDATE jobs SET run_at = CASE WHEN run_at > $1 THEN $1 ELSE run_at END \
                 WHERE dedup_key = $2 AND state = 'queued'",
            )
            .bind(job.run_at)
            .bind(job.dedup_key)
            .execute(pool)
            .await?;
            let existing = sqlx::query_as::<_, JobRow>(
                "SELECT id, kind, payload, dedup_key, attempts, max_attempts FROM jobs \
                 WHERE dedup_key = $1 AND state = 'queued'",
            )
            .bind(job.dedup_key)
            .fetch_one(pool)
            .await?;
            Ok(Enqueued::Existing(existing))
        })
    }

    /// Takes the next due job for `worker`, if any. A job whose key has a
    /// running job waits; a claim that lost a race for a key (the unique
    /// index on running keys) finds nothing this time.
    pub async fn claim_job(&self, worker: &str, now: DateTime<Utc>) -> StoreResult<Option<JobRow>> {
        let r = match self {
            Store::Sqlite(pool) => {
                sqlx::query_as::<_, JobRow>(CLAIM_SQLITE)
                    .bind(worker)
                    .bind(now)
                    .fetch_optional(pool)
                    .await
            }
            Store::Postgres(pool) => {
                sqlx::query_as::<_, JobRow>(CLAIM_POSTGRES)
                    .bind(worker)
                    .bind(now)
                    .fetch_optional(pool)
                    .await
            }
        };
        match r {
            Ok(job) => Ok(job),
            Err(e) if unique_violation(&e) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Proves the worker is alive; a job whose heartbeat stops is requeued.
    /// `false` when the job is no longer this worker's (it was requeued).
    pub async fn heartbeat_job(
        &self,
        id: i64,
        worker: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        on_pool!(self, pool => {
            Ok(sqlx::query("UPDATE jobs SET heartbeat_at = $1 WHERE id = $2 AND locked_by = $3 AND state = 'running'")
                .bind(now)
                .bind(id)
                .bind(worker)
                .execute(pool)
                .await?
                .rows_affected()
                == 1)
        })
    }

    pub async fn finish_job(&self, id: i64, now: DateTime<Utc>) -> StoreResult<()> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE jobs SET state = 'done', finished_at = $1, locked_by = NULL WHERE id = $2")
                .bind(now)
                .bind(id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Records a failure: back to the queue at `retry_at`, or failed for
    /// good when `retry_at` is `None`.
    pub async fn fail_job(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Requeued>> {
        on_pool!(self, pool => {
            match retry_at {
                Some(at) => {
                    // Another queued job with the same key makes this one
                    // redundant: it is then closed instead of requeued.
                    let r = sqlx::query(
                        "UPDATE jobs SET state = 'queued', run_at = $1, last_error = $2, locked_by = NULL \
                         WHERE id = $3",
                    )
                    .bind(at)
                    .bind(error)
                    .bind(id)
                    .execute(pool)
                    .await;
                    if let Err(e) = r {
                        if !unique_violation(&e) {
                            return Err(e.into());
                        }
                        sqlx::query("UPDATE jobs SET state = 'superseded', last_error = $1, finished_at = $2, locked_by = NULL WHERE id = $3")
                            .bind(error)
                            .bind(now)
                            .bind(id)
                            .execute(pool)
                            .await?;
                        return Ok(Some(Requeued::Superseded));
                    }
                    Ok(Some(Requeued::Yes))
                }
                None => {
                    sqlx::query(
                        "UPDATE jobs SET state = 'failed', last_error = $1, finished_at = $2, locked_by = NULL \
                         WHERE id = $3",
                    )
                    .bind(error)
                    .bind(now)
                    .bind(id)
                    .execute(pool)
                    .await?;
                    Ok(None)
                }
            }
        })
    }

    /// Hands a running job back to the queue, due now, without counting
    /// the attempt (the worker is stopping; nothing went wrong).
    pub async fn release_job(&self, id: i64, now: DateTime<Utc>) -> StoreResult<Requeued> {
        on_pool!(self, pool => {
            let r = sqlx::query(
                "UPDATE jobs SET state = 'queued', run_at = $1, locked_by = NULL, \
                     attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END \
                 WHERE id = $2 AND state = 'running'",
            )
            .bind(now)
            .bind(id)
            .execute(pool)
            .await;
            match r {
                Ok(_) => Ok(Requeued::Yes),
                Err(e) if unique_violation(&e) => {
                    sqlx::query(
                        "UPDATE jobs SET state = 'superseded', finished_at = $1, locked_by = NULL, \
                             last_error = 'stopped with its worker; a newer job of the same key is queued' \
                         WHERE id = $2",
                    )
                    .bind(now)
                    .bind(id)
                    .execute(pool)
                    .await?;
                    Ok(Requeued::Superseded)
                }
                Err(e) => Err(e.into()),
            }
        })
    }

    /// Requeues running jobs whose worker stopped sending heartbeats (it
    /// crashed or was killed); closes those whose key already has a queued
    /// successor, which will do the same work. The asking worker's own jobs
    /// are left alone: it is alive, only its heartbeats were late (SQLite
    /// makes writers queue), and requeueing them would run them twice.
    pub async fn requeue_stale_jobs(
        &self,
        stale_before: DateTime<Utc>,
        asking: &str,
    ) -> StoreResult<StaleJobs> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let superseded = sqlx::query_as::<_, JobRow>(
                "UPDATE jobs SET state = 'superseded', locked_by = NULL, finished_at = $2, \
                     last_error = 'its worker stopped; a newer job of the same key is queued' \
                 WHERE state = 'running' AND heartbeat_at < $1 AND locked_by <> $3 AND dedup_key IS NOT NULL \
                   AND EXISTS (SELECT 1 FROM jobs q WHERE q.dedup_key = jobs.dedup_key AND q.state = 'queued') \
                 RETURNING id, kind, payload, dedup_key, attempts, max_attempts",
            )
            .bind(stale_before)
            .bind(Utc::now())
            .bind(asking)
            .fetch_all(&mut *tx)
            .await?;
            let requeued = sqlx::query(
                "UPDATE jobs SET state = 'queued', locked_by = NULL \
                 WHERE state = 'running' AND heartbeat_at < $1 AND locked_by <> $2",
            )
            .bind(stale_before)
            .bind(asking)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            tx.commit().await?;
            Ok(StaleJobs { requeued, superseded })
        })
    }

    /// Counts by state, for tests and the status page.
    pub async fn job_counts(&self) -> StoreResult<Vec<(String, i64)>> {
        on_pool!(self, pool => {
            Ok(sqlx::query_as::<_, (String, i64)>(
                "SELECT state, COUNT(*) FROM jobs GROUP BY state ORDER BY state",
            )
            .fetch_all(pool)
            .await?)
        })
    }
}

//! Durable background jobs in the application's own database (a plain
//! `jobs` table, in the manner of crates.io's worker; see ARCHITECTURE.md
//! for why not apalis). Jobs survive restarts, are retried with exponential
//! backoff, are de-duplicated by key while queued, and a job whose worker
//! died (no heartbeat) is queued again. Handlers must be idempotent.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;

use crate::shutdown::Shutdown;
use crate::store::{JobRow, Store, StoreError};

/// Why a job did not finish; `retry` asks for another attempt later.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct JobError {
    pub message: String,
    pub retry: bool,
}

impl JobError {
    pub fn retry(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            retry: true,
        }
    }

    pub fn fatal(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            retry: false,
        }
    }
}

impl From<StoreError> for JobError {
    fn from(e: StoreError) -> Self {
        Self::retry(e.to_string())
    }
}

pub type JobFuture<'a> = Pin<Box<dyn Future<Output = Result<(), JobError>> + Send + 'a>>;

/// Runs one kind of job.
pub trait Handler: Send + Sync + 'static {
    /// `stop` fires when the worker is shutting down and the grace period
    /// is over: the job should stop at its next safe point (between calls
    /// and transactions) and return an error; the worker then hands it
    /// back to the queue without counting the attempt. A job still running
    /// [`STOP_DEADLINE`] after `stop` is cut off where it stands.
    fn run<'a>(&'a self, job: &'a JobRow, stop: &'a Shutdown) -> JobFuture<'a>;

    /// The job was closed without finishing, because a newer job of the
    /// same key is queued and will do its work (its worker died, or it
    /// failed while the newer one waited). Lets the handler close what it
    /// keeps about the job.
    fn abandoned<'a>(&'a self, job: &'a JobRow) -> JobFuture<'a> {
        let _ = job;
        Box::pin(async { Ok(()) })
    }
}

#[derive(Clone, Copy, Debug)]
pub struct WorkerConfig {
    /// How often an idle worker looks for work.
    pub poll: Duration,
    pub heartbeat: Duration,
    /// A running job with no heartbeat for this long is requeued.
    pub stale_after: Duration,
    /// Jobs run at once by one worker process.
    pub concurrency: usize,
    /// On shutdown, how long jobs in progress may run on before they are
    /// asked to stop (`CONSOL_SHUTDOWN_GRACE_SECONDS`).
    pub grace: Duration,
}

/// How long a job asked to stop may take to reach a safe point before it is
/// cut off (a transaction in progress finishes well within it).
pub const STOP_DEADLINE: Duration = Duration::from_secs(5);

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            poll: Duration::from_millis(500),
            heartbeat: Duration::from_secs(10),
            stale_after: Duration::from_secs(60),
            concurrency: 20,
            grace: Duration::from_secs(10),
        }
    }
}

#[derive(Clone)]
pub struct Worker {
    store: Store,
    id: String,
    handlers: Arc<HashMap<String, Arc<dyn Handler>>>,
    config: WorkerConfig,
    /// Jobs in progress (id and kind), to say what shutdown waits for.
    running: Arc<std::sync::Mutex<std::collections::BTreeMap<i64, String>>>,
}

/// Rung when a job is queued in this process, so that a worker of the same
/// process (`--role all`, the demo) starts it at once instead of at its
/// next poll. Workers of other processes still find it by polling.
static QUEUED: tokio::sync::Notify = tokio::sync::Notify::const_new();

/// Wakes this process's idle workers: a job is waiting.
pub fn wake_workers() {
    QUEUED.notify_waiters();
}

/// Backoff before attempt `n + 1`: 5 s, 10 s, 20 s ... capped at an hour.
pub fn retry_delay(attempts: i32) -> chrono::Duration {
    let secs = 5i64.saturating_mul(1i64 << attempts.clamp(1, 20).saturating_sub(1));
    chrono::Duration::seconds(secs.min(3600))
}

impl Worker {
    pub fn new(store: Store, config: WorkerConfig) -> Self {
        Self {
            store,
            id: format!("worker-{}", &crate::auth::token::random_token()[..12]),
            handlers: Arc::new(HashMap::new()),
            config,
            running: Arc::default(),
        }
    }

    pub fn handle(mut self, kind: &str, handler: Arc<dyn Handler>) -> Self {
        Arc::make_mut(&mut self.handlers).insert(kind.to_string(), handler);
        self
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// Claims and runs jobs until `shutdown`. Jobs in flight then have the
    /// grace period to finish; after it they stop at a safe point and go
    /// back to the queue (or, if the process is killed, are requeued by
    /// the next worker). Returns once no job of this worker runs, so the
    /// database pool outlives them.
    pub async fn run(self, shutdown: Shutdown) {
        let mut tasks = tokio::task::JoinSet::new();
        let (stop_jobs, jobs_stop) = crate::shutdown::channel();
        let stopping = shutdown.clone();
        let mut stop = Box::pin(shutdown.wait());
        loop {
            if stopping.is_triggered() {
                break;
            }
            // Listen before looking, so that a job queued after the look
            // below still wakes this worker.
            let queued = QUEUED.notified();
            tokio::pin!(queued);
            queued.as_mut().enable();
            let now = Utc::now();
            let stale =
                now - chrono::Duration::from_std(self.config.stale_after).unwrap_or_default();
            match self.store.requeue_stale_jobs(stale, &self.id).await {
                Ok(stale) => {
                    for job in stale.superseded {
                        tracing::warn!(job = job.id, kind = %job.kind, "a dead worker's job was closed: a newer job of its key is queued");
                        self.abandon(&job).await;
                    }
                }
                Err(e) => tracing::warn!(error = %e, "could not requeue stale jobs"),
            }
            let mut claimed = false;
            while tasks.len() < self.config.concurrency && !stopping.is_triggered() {
                match self.store.claim_job(&self.id, Utc::now()).await {
                    Ok(Some(job)) => {
                        claimed = true;
                        let me = self.clone();
                        let stop = jobs_stop.clone();
                        tasks.spawn(async move { me.execute(job, stop).await });
                    }
                    Ok(None) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "could not claim a job");
                        break;
                    }
                }
            }
            if claimed {
                continue;
            }
            tokio::select! {
                _ = &mut stop => break,
                _ = tokio::time::sleep(self.config.poll) => {},
                _ = &mut queued => {},
                Some(_) = tasks.join_next(), if !tasks.is_empty() => {},
            }
        }
        if !tasks.is_empty() {
            tracing::info!(
                jobs = %self.in_progress(),
                grace_seconds = self.config.grace.as_secs(),
                "shutting down: waiting for the jobs in progress"
            );
            let grace = tokio::time::sleep(self.config.grace);
            tokio::pin!(grace);
            loop {
                tokio::select! {
                    r = tasks.join_next() => if r.is_none() { break },
                    _ = &mut grace => {
                        tracing::info!(
                            jobs = %self.in_progress(),
                            "grace period over: stopping the jobs at a safe point; they go back to the queue"
                        );
                        stop_jobs.trigger();
                        break;
                    }
                }
            }
            while tasks.join_next().await.is_some() {}
        }
        tracing::info!(worker = %self.id, "worker stopped");
    }

    /// The jobs in progress, as `id (kind)`, for the shutdown log.
    fn in_progress(&self) -> String {
        let running = self.running.lock().map(|r| r.clone()).unwrap_or_default();
        running
            .iter()
            .map(|(id, kind)| format!("{id} ({kind})"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Runs every due job, one at a time, until none is left: for tests
    /// and the demo's first sync. Returns how many ran.
    pub async fn drain(&self) -> Result<usize, StoreError> {
        // Never stopped: the trigger is dropped.
        let (_, never) = crate::shutdown::channel();
        let mut n = 0;
        while let Some(job) = self.store.claim_job(&self.id, Utc::now()).await? {
            self.execute(job, never.clone()).await;
            n += 1;
        }
        Ok(n)
    }

    /// Runs each job that is due when it is called, once: a job that fails
    /// and falls due again while the pass goes on (its backoff is shorter
    /// than the other jobs take) waits for the next pass. For tests that
    /// look at one attempt of each job. Returns how many ran.
    pub async fn drain_once(&self) -> Result<usize, StoreError> {
        let (_, never) = crate::shutdown::channel();
        let start = Utc::now();
        let mut n = 0;
        while let Some(job) = self.store.claim_job(&self.id, start).await? {
            // Claimed as of the pass's start; its heartbeat is now.
            self.store
                .heartbeat_job(job.id, &self.id, Utc::now())
                .await?;
            self.execute(job, never.clone()).await;
            n += 1;
        }
        Ok(n)
    }

    async fn abandon(&self, job: &JobRow) {
        if let Some(handler) = self.handlers.get(&job.kind)
            && let Err(e) = handler.abandoned(job).await
        {
            tracing::error!(job = job.id, error = %e, "could not close an abandoned job");
        }
    }

    async fn execute(&self, job: JobRow, stop: Shutdown) {
        if let Ok(mut r) = self.running.lock() {
            r.insert(job.id, job.kind.clone());
        }
        self.execute_inner(&job, stop).await;
        if let Ok(mut r) = self.running.lock() {
            r.remove(&job.id);
        }
    }

    async fn execute_inner(&self, job: &JobRow, stop: Shutdown) {
        let job = job.clone();
        let Some(handler) = self.handlers.get(&job.kind).cloned() else {
            let _ = self
                .store
                .fail_job(
                    job.id,
                    &format!("no handler for job kind {}", job.kind),
                    None,
                    Utc::now(),
                )
                .await;
            return;
        };
        // Heartbeats; if one finds the job taken away (this worker looked
        // dead and the job was requeued), the run stops here, so that it
        // does not run twice at once.
        let (lost_tx, lost_rx) = tokio::sync::oneshot::channel::<()>();
        let beat = {
            let store = self.store.clone();
            let id = self.id.clone();
            let every = self.config.heartbeat;
            let job_id = job.id;
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(every).await;
                    if let Ok(false) = store.heartbeat_job(job_id, &id, Utc::now()).await {
                        let _ = lost_tx.send(());
                        return;
                    }
                }
            })
        };
        // A panicking handler must not take the worker down with it.
        let mut run = {
            let job = job.clone();
            let stop = stop.clone();
            tokio::spawn(async move { handler.run(&job, &stop).await })
        };
        // A job that does not reach a safe point soon after being asked to
        // stop is cut off where it stands (its writes are transactions).
        let overdue = {
            let stop = stop.clone();
            async move {
                stop.wait().await;
                tokio::time::sleep(STOP_DEADLINE).await;
            }
        };
        let result = tokio::select! {
            r = &mut run => match r {
                Ok(r) => r,
                Err(e) if e.is_panic() => Err(JobError::retry("the job panicked")),
                Err(_) => Err(JobError::retry("the job was cancelled")),
            },
            Ok(()) = lost_rx => {
                run.abort();
                beat.abort();
                tracing::warn!(job = job.id, "job taken over by another worker; stopped here");
                return;
            }
            _ = overdue => {
                run.abort();
                tracing::warn!(job = job.id, "the job did not stop at a safe point in time; cut off");
                Err(JobError::retry("stopped at shutdown"))
            }
        };
        beat.abort();
        let now = Utc::now();
        if result.is_err() && stop.is_triggered() {
            // Stopped by shutdown, whatever error that surfaced as: back to
            // the queue, the attempt not counted, nothing recorded as failed.
            tracing::info!(job = job.id, kind = %job.kind, "stopped at shutdown; back in the queue");
            match self.store.release_job(job.id, now).await {
                Ok(crate::store::Requeued::Yes) => {}
                Ok(crate::store::Requeued::Superseded) => self.abandon(&job).await,
                Err(e) => {
                    tracing::error!(job = job.id, error = %e, "could not requeue a stopped job; the next worker will")
                }
            }
            return;
        }
        let outcome = match result {
            Ok(()) => self.store.finish_job(job.id, now).await,
            Err(e) => {
                let retry_at = (e.retry && job.attempts < job.max_attempts)
                    .then(|| now + retry_delay(job.attempts));
                tracing::warn!(job = job.id, kind = %job.kind, attempts = job.attempts, error = %e, "job failed");
                match self.store.fail_job(job.id, &e.message, retry_at, now).await {
                    Ok(Some(crate::store::Requeued::Superseded)) => {
                        self.abandon(&job).await;
                        Ok(())
                    }
                    Ok(_) => Ok(()),
                    Err(e) => Err(e),
                }
            }
        };
        if let Err(e) = outcome {
            tracing::error!(job = job.id, error = %e, "could not record the job's outcome");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(retry_delay(1).num_seconds(), 5);
        assert_eq!(retry_delay(2).num_seconds(), 10);
        assert_eq!(retry_delay(4).num_seconds(), 40);
        assert_eq!(retry_delay(30).num_seconds(), 3600);
    }
}

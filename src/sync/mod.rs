//! Pulling one organisation from Xero into the store: a job per sync. The
//! run is idempotent (upserts by Xero id, a month's report rows replaced
//! whole), so a failed, retried or resumed run never leaves a mix of old
//! and new, and never duplicates anything.

pub mod convert;
mod documents;
pub mod plan;
pub mod schedule;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::connect::tokens::TokenError;
use crate::connect::{CallError, XeroServices};
use crate::domain::{Month, MonthRange};
use crate::jobs::{Handler, JobError, JobFuture};
use crate::shutdown::Shutdown;
use crate::store::{
    Enqueued, JobRow, NewJob, ReportAmount, ReportKind, RowKind, RunProgress, Store, SyncTarget,
};
use crate::xero::client::{CallTrace, Fetched, XeroError};
use crate::xero::records::InvoicePage;
use crate::xero::report_parser::{ParsedRowKind, parse_report};
use crate::xero::{Accounts, Contacts, Organisations, Reports};

pub const JOB_KIND: &str = "sync_organisation";
/// Xero's largest page.
const PAGE_SIZE: usize = 1000;
/// How often a run in progress looks whether its call waits to retry.
const RETRY_SHOWN_EVERY: std::time::Duration = std::time::Duration::from_millis(250);
/// Waits before retrying a call whose token could not be read (a transient
/// database error); after these the job's own retry takes over.
const TOKEN_READ_RETRIES: [std::time::Duration; 3] = [
    std::time::Duration::from_millis(200),
    std::time::Duration::from_secs(1),
    std::time::Duration::from_secs(3),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SyncKind {
    /// Changes since the last successful run, and the months that can move.
    Incremental,
    /// Every record and every month of the window.
    Full,
}

#[derive(Debug, Serialize, Deserialize)]
struct Payload {
    organisation_id: i64,
    run_id: i64,
    kind: SyncKind,
}

/// Queues a sync of one organisation, unless one is already queued (then
/// its run is returned). Returns the sync run's id.
pub async fn enqueue(store: &Store, organisation_id: i64, kind: SyncKind) -> Result<i64, JobError> {
    let now = Utc::now();
    let run_id = store
        .create_sync_run(organisation_id, kind_name(kind), now)
        .await?;
    let payload = serde_json::to_string(&Payload {
        organisation_id,
        run_id,
        kind,
    })
    .map_err(|e| JobError::fatal(e.to_string()))?;
    let key = format!("sync:{organisation_id}");
    let job = NewJob {
        kind: JOB_KIND,
        payload: &payload,
        dedup_key: Some(&key),
        priority: 0,
        max_attempts: 5,
        run_at: now,
    };
    match store.enqueue_job(&job, now).await? {
        Enqueued::New(_) => {
            crate::jobs::wake_workers();
            Ok(run_id)
        }
        Enqueued::Existing(existing) => {
            // The queued sync will do; the new run record is not needed.
            store.delete_sync_run(run_id).await?;
            let p: Payload = serde_json::from_str(&existing.payload)
                .map_err(|e| JobError::fatal(e.to_string()))?;
            Ok(p.run_id)
        }
    }
}

fn kind_name(k: SyncKind) -> &'static str {
    match k {
        SyncKind::Incremental => "incremental",
        SyncKind::Full => "full",
    }
}

/// A worker that runs sync jobs.
pub fn worker(store: Store, xero: Arc<XeroServices>) -> crate::jobs::Worker {
    worker_with(store, xero, crate::jobs::WorkerConfig::default())
}

pub fn worker_with(
    store: Store,
    xero: Arc<XeroServices>,
    config: crate::jobs::WorkerConfig,
) -> crate::jobs::Worker {
    crate::jobs::Worker::new(store.clone(), config)
        .handle(JOB_KIND, Arc::new(SyncJob { store, xero }))
}

/// The job handler.
pub struct SyncJob {
    pub store: Store,
    pub xero: Arc<XeroServices>,
}

impl Handler for SyncJob {
    fn run<'a>(&'a self, job: &'a JobRow, stop: &'a Shutdown) -> JobFuture<'a> {
        Box::pin(async move {
            let p: Payload = serde_json::from_str(&job.payload)
                .map_err(|e| JobError::fatal(format!("bad sync payload: {e}")))?;
            let result = run(self.store.clone(), self.xero.clone(), &p, stop).await;
            let now = Utc::now();
            match result {
                Ok(()) => {
                    self.store.finish_sync_run(p.run_id, None, now).await?;
                    Ok(())
                }
                Err(e) if matches!(e, SyncError::Stopped) || stop.is_triggered() => {
                    // Shutdown, not a failure (whatever error it surfaced
                    // as): the run waits in the queue with its job.
                    tracing::info!(run = p.run_id, error = %e, "sync stopped at shutdown");
                    self.store.requeue_sync_run(p.run_id).await?;
                    Err(JobError::retry("stopped at shutdown"))
                }
                Err(e) => {
                    let err = e.to_job_error();
                    // A run that will be retried stays visible as running;
                    // only the last attempt records the failure.
                    if !err.retry || job.attempts >= job.max_attempts {
                        self.store
                            .finish_sync_run(p.run_id, Some(&err.message), now)
                            .await?;
                    } else {
                        self.store.update_sync_error(p.run_id, &err.message).await?;
                        let at = now + crate::jobs::retry_delay(job.attempts);
                        self.store.set_sync_retrying(p.run_id, Some(at)).await?;
                    }
                    Err(err)
                }
            }
        })
    }

    fn abandoned<'a>(&'a self, job: &'a JobRow) -> JobFuture<'a> {
        Box::pin(async move {
            let p: Payload = serde_json::from_str(&job.payload)
                .map_err(|e| JobError::fatal(format!("bad sync payload: {e}")))?;
            // Not a failure: the newer sync does this one's work, and the
            // entity keeps its data and its last successful sync.
            self.store.supersede_sync_run(p.run_id, Utc::now()).await?;
            Ok(())
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("{0}")]
    Call(#[from] CallError),
    #[error("{0}")]
    Store(#[from] crate::store::StoreError),
    #[error("{0}")]
    Data(String),
    #[error("the organisation needs reconnecting to Xero")]
    NotConnected,
    /// Xero refused a call the connection's consent does not cover: an
    /// organisation connected before Consol asked for payments and bank
    /// transactions.
    #[error(
        "Xero refused to share {what} with Consol: this organisation was connected before \
         Consol asked to read payments and bank transactions. Reconnect it to Xero from the \
         group page to grant them; the data synced earlier is kept"
    )]
    MissingScopes { what: &'static str },
    #[error("unknown organisation")]
    Missing,
    /// The worker is shutting down; the run goes back to the queue.
    #[error("stopped at shutdown")]
    Stopped,
}

impl SyncError {
    fn to_job_error(&self) -> JobError {
        let retry = match self {
            Self::Call(CallError::Xero(x)) => {
                x.is_transient() || matches!(x, XeroError::Malformed { .. })
            }
            Self::Call(CallError::Token(TokenError::OAuth(o))) => o.is_transient(),
            // Reading the token from the database can fail like any read.
            Self::Call(CallError::Token(TokenError::Store(e))) => e.is_transient(),
            Self::Call(CallError::Token(_)) => false,
            Self::Store(_) => true,
            Self::Data(_) => true,
            Self::NotConnected | Self::Missing | Self::MissingScopes { .. } => false,
            Self::Stopped => true,
        };
        JobError {
            message: self.to_string(),
            retry,
        }
    }
}

struct Run {
    store: Store,
    xero: Arc<XeroServices>,
    target: SyncTarget,
    token_set: i64,
    run_id: i64,
    progress: RunProgress,
    by_endpoint: BTreeMap<String, i32>,
    /// Fires when the worker is shutting down: stop at the next safe point.
    stop: Shutdown,
    /// The `retry_at` last written to the run (a call waiting to retry).
    shown_retry: Option<DateTime<Utc>>,
    /// Calls dropped before their answer was taken (the attempt failed
    /// meanwhile, say on a database write): Xero counted what they sent,
    /// so the failed attempt's record adds them.
    dropped: Dropped,
}

/// Calls dropped unfinished, with what they had sent.
type Dropped = Arc<std::sync::Mutex<Vec<(&'static str, Arc<CallTrace>)>>>;

/// A Xero call running on its own task; aborted if dropped unfinished
/// (the run failed meanwhile).
struct Ahead<T> {
    path: &'static str,
    task: tokio::task::JoinHandle<Result<Fetched<T>, CallError>>,
    /// Its HTTP calls so far and any wait to retry.
    trace: Arc<CallTrace>,
    /// Where it goes if dropped before its calls were counted.
    uncounted: Option<Dropped>,
}

impl<T> Ahead<T> {
    fn new(
        run: &Run,
        path: &'static str,
        task: tokio::task::JoinHandle<Result<Fetched<T>, CallError>>,
        trace: Arc<CallTrace>,
    ) -> Self {
        Self {
            path,
            task,
            trace,
            uncounted: Some(run.dropped.clone()),
        }
    }
}

impl<T> Drop for Ahead<T> {
    fn drop(&mut self) {
        self.task.abort();
        if let Some(sink) = self.uncounted.take()
            && let Ok(mut d) = sink.lock()
        {
            d.push((self.path, self.trace.clone()));
        }
    }
}

impl Run {
    async fn get<T: serde::de::DeserializeOwned + Send + 'static>(
        &mut self,
        path: &'static str,
        query: Vec<(&'static str, String)>,
        since: Option<DateTime<Utc>>,
    ) -> Result<T, SyncError> {
        let call = self.start(path, query, since);
        self.finish(call).await
    }

    /// Starts a call; [`Run::finish`] takes its answer.
    fn start<T: serde::de::DeserializeOwned + Send + 'static>(
        &self,
        path: &'static str,
        query: Vec<(&'static str, String)>,
        since: Option<DateTime<Utc>>,
    ) -> Ahead<T> {
        let xero = self.xero.clone();
        let tenant = self.target.tenant_id.clone();
        let token_set = self.token_set;
        let trace = Arc::new(CallTrace::default());
        let traced = trace.clone();
        let task = tokio::spawn(async move {
            let mut waits = TOKEN_READ_RETRIES.iter();
            loop {
                match xero
                    .get_traced(token_set, &tenant, path, &query, since, &traced)
                    .await
                {
                    // A dropped database connection while reading the
                    // token: no call was made, so try this call again.
                    Err(CallError::Token(TokenError::Store(e))) if e.is_transient() => {
                        let Some(wait) = waits.next() else {
                            return Err(CallError::Token(TokenError::Store(e)));
                        };
                        tracing::warn!(error = %e, endpoint = path, "reading the Xero token failed; retrying");
                        tokio::time::sleep(*wait).await;
                    }
                    other => return other,
                }
            }
        });
        Ahead::new(self, path, task, trace)
    }

    async fn finish<T>(&mut self, mut call: Ahead<T>) -> Result<T, SyncError> {
        let path = call.path;
        // Waiting for an answer is a safe point: dropping the call writes
        // nothing. Meanwhile a wait to retry the call is shown on the run.
        let answer = loop {
            tokio::select! {
                a = &mut call.task => break a,
                _ = self.stop.clone().wait() => {
                    call.uncounted = None;
                    self.count(path, call.trace.calls() as i32);
                    return Err(SyncError::Stopped);
                }
                _ = tokio::time::sleep(RETRY_SHOWN_EVERY) => {
                    self.show_retry(call.trace.retry_at()).await?;
                }
            }
        };
        // Every HTTP call Xero answered counts, failed or not, retries
        // included: they all spent the organisation's budget.
        call.uncounted = None;
        self.count(path, call.trace.calls() as i32);
        self.show_retry(None).await?;
        let r: Result<Fetched<T>, CallError> = match answer {
            Ok(r) => r,
            Err(e) => return Err(SyncError::Data(format!("GET /{path} stopped: {e}"))),
        };
        Ok(r?.value)
    }

    /// Writes the run's wait to retry when it changes.
    async fn show_retry(&mut self, at: Option<DateTime<Utc>>) -> Result<(), SyncError> {
        if at != self.shown_retry {
            self.store.set_sync_retrying(self.run_id, at).await?;
            self.shown_retry = at;
        }
        Ok(())
    }

    fn count(&mut self, path: &str, n: i32) {
        *self.by_endpoint.entry(format!("GET /{path}")).or_default() += n;
        self.progress.calls += n;
    }

    async fn step(&mut self, added_total: i32) -> Result<(), SyncError> {
        self.progress.done += 1;
        self.progress.total = (self.progress.total + added_total).max(self.progress.done);
        self.progress.calls_by_endpoint =
            serde_json::to_string(&self.by_endpoint).unwrap_or_else(|_| "{}".into());
        self.store
            .update_sync_progress(self.run_id, &self.progress)
            .await?;
        // Between transactions: a safe point to stop at.
        if self.stop.is_triggered() {
            return Err(SyncError::Stopped);
        }
        Ok(())
    }

    fn changed(&mut self, c: crate::store::Changed) {
        self.progress.rows_inserted += c.inserted as i32;
        self.progress.rows_updated += c.updated as i32;
    }
}

async fn run(
    store: Store,
    xero: Arc<XeroServices>,
    p: &Payload,
    stop: &Shutdown,
) -> Result<(), SyncError> {
    let target = store
        .sync_target(p.organisation_id)
        .await?
        .ok_or(SyncError::Missing)?;
    let token_set = match (target.connection_state.as_str(), target.token_set_id) {
        ("connected", Some(t)) => t,
        _ => return Err(SyncError::NotConnected),
    };
    let since = match p.kind {
        SyncKind::Full => None,
        SyncKind::Incremental => store.last_successful_sync_start(target.id).await?,
    };
    // A run records every attempt: calls and rows go on from what the
    // earlier attempts (failed, stopped or cut off) recorded.
    let before = store.sync_run(p.run_id).await?;
    store.start_sync_run(p.run_id, since, Utc::now()).await?;
    let mut run = Run {
        store: store.clone(),
        xero,
        target,
        token_set,
        run_id: p.run_id,
        // Organisation, Accounts, a page each of Contacts, Invoices and the
        // other documents, and at least one call per report; grown as pages
        // are discovered.
        progress: RunProgress {
            total: 6 + documents::ENDPOINTS.len() as i32,
            calls: before.as_ref().map_or(0, |r| r.calls),
            rows_inserted: before.as_ref().map_or(0, |r| r.rows_inserted),
            rows_updated: before.as_ref().map_or(0, |r| r.rows_updated),
            ..RunProgress::default()
        },
        by_endpoint: before
            .as_ref()
            .and_then(|r| serde_json::from_str(&r.calls_by_endpoint).ok())
            .unwrap_or_default(),
        stop: stop.clone(),
        shown_retry: None,
        dropped: Dropped::default(),
    };
    let result = match pull(&mut run, p, since).await {
        Err(e) => match missing_scope(&e) {
            Some(what) => {
                // Every organisation of this consent lacks the scope: all
                // of them need reconnecting, which the group page shows.
                store
                    .set_token_set_state(token_set, "needs_reconnect", Utc::now())
                    .await?;
                Err(SyncError::MissingScopes { what })
            }
            None => Err(e),
        },
        ok => ok,
    };
    // Calls dropped unfinished count too (Xero counted what they sent).
    let dropped = run
        .dropped
        .lock()
        .map(|mut d| std::mem::take(&mut *d))
        .unwrap_or_default();
    let any_dropped = !dropped.is_empty();
    for (path, trace) in dropped {
        run.count(path, trace.calls() as i32);
    }
    if result.is_err() || any_dropped {
        // Keep this attempt's calls and rows, counted since the last step.
        run.progress.calls_by_endpoint =
            serde_json::to_string(&run.by_endpoint).unwrap_or_else(|_| "{}".into());
        if let Err(e) = store.update_sync_progress(run.run_id, &run.progress).await {
            tracing::warn!(run = run.run_id, error = %e, "could not record a failed attempt's calls");
        }
    }
    result
}

/// What a 401 that is not an expired token refused, when the endpoint is
/// one whose scope Consol asks for only since real books were synced
/// (`accounting.payments.read`, `accounting.banktransactions.read`).
fn missing_scope(e: &SyncError) -> Option<&'static str> {
    let SyncError::Call(CallError::Xero(XeroError::Unauthorized { endpoint, .. })) = e else {
        return None;
    };
    let path = endpoint.rsplit('/').next().unwrap_or_default();
    match path.split('?').next().unwrap_or_default() {
        "BankTransactions" => Some("bank transactions (spend and receive money)"),
        "Payments" => Some("payments"),
        "Overpayments" => Some("overpayments"),
        "Prepayments" => Some("prepayments"),
        _ => None,
    }
}

/// The calls and writes of one attempt.
async fn pull(run: &mut Run, p: &Payload, since: Option<DateTime<Utc>>) -> Result<(), SyncError> {
    let store = run.store.clone();
    let org_id = run.target.id;

    // 1. Organisation: its period lock date decides what can still change.
    // From here on, each call is started before the previous answer is
    // written, so that calls keep to the rate limiter's schedule however
    // long the database takes (SQLite writes one transaction at a time, and
    // many organisations may be syncing).
    let orgs: Organisations = run.get("Organisation", vec![], None).await?;
    let accounts_call = run.start::<Accounts>("Accounts", vec![], None);
    let org = orgs
        .organisations
        .first()
        .ok_or_else(|| SyncError::Data("Xero returned no organisation".into()))?;
    let lock = org.period_lock_date.map(|d| d.date());
    store.set_period_lock_date(org_id, lock).await?;
    // Xero's clock, read before anything else is fetched: the next run asks
    // for changes since this instant.
    if let Some(t) = orgs.date_time_utc {
        store.set_sync_xero_time(p.run_id, t.utc()).await?;
    }
    run.step(0).await?;

    // 2. Accounts: the whole chart (small), every time.
    let accounts: Accounts = run.finish(accounts_call).await?;
    let mut contacts_call = Some(run.start::<Contacts>("Contacts", page_query(1), since));
    let rows = accounts
        .accounts
        .iter()
        .map(convert::account)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| SyncError::Data(e.to_string()))?;
    let ch = store.upsert_accounts(org_id, &rows).await?;
    run.changed(ch);
    run.step(0).await?;

    // 3. Contacts and 4. invoices, changed since the last run, by pages.
    let mut invoices_call = None;
    let mut page = 1;
    while let Some(call) = contacts_call.take() {
        let c: Contacts = run.finish(call).await?;
        let more = has_more(
            c.contacts.len(),
            page,
            c.pagination.as_ref().map(|p| p.page_count),
        );
        if more {
            contacts_call = Some(run.start("Contacts", page_query(page + 1), since));
        } else {
            invoices_call = Some(run.start::<InvoicePage>("Invoices", page_query(1), since));
        }
        let rows = c
            .contacts
            .iter()
            .map(convert::contact)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| SyncError::Data(e.to_string()))?;
        let ch = store.upsert_contacts(org_id, &rows).await?;
        run.changed(ch);
        run.step(i32::from(more)).await?;
        page += 1;
    }

    let mut changed_months = BTreeSet::new();
    let mut documents_call = None;
    let mut page = 1;
    while let Some(call) = invoices_call.take() {
        let inv: InvoicePage = run.finish(call).await?;
        let rows = inv
            .invoices
            .iter()
            .map(convert::invoice)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| SyncError::Data(e.to_string()))?;
        changed_months.extend(rows.iter().map(|r| Month::of(r.date)));
        let more = has_more(
            inv.invoices.len(),
            page,
            inv.pagination.as_ref().map(|p| p.page_count),
        );
        if more {
            invoices_call = Some(run.start("Invoices", page_query(page + 1), since));
        } else {
            let first = documents::ENDPOINTS[0];
            documents_call = Some(documents::start(run, first, 1, since));
        }
        let ch = store.upsert_invoices(org_id, &rows).await?;
        run.changed(ch);
        run.step(i32::from(more)).await?;
        page += 1;
    }

    // 5. Credit notes, bank transactions, payments, overpayments and
    // prepayments changed since the last run (documents.rs).
    if let Some(first) = documents_call {
        documents::sync(run, first, since, &mut changed_months).await?;
    }

    // 6. Monthly P&L and balance sheet for the history window, once every
    // changed month is known.
    let reports = plan_reports(run, lock, &changed_months, p.kind, since).await?;
    let first_report = reports.first().map(|r| r.start(run));
    store_reports(run, &reports, first_report).await?;
    if let Some(n) = run.xero.api.day_remaining(&run.target.tenant_id) {
        store.set_day_calls_remaining(org_id, n).await?;
    }
    Ok(())
}

fn page_query(page: usize) -> Vec<(&'static str, String)> {
    vec![
        ("page", page.to_string()),
        ("pageSize", PAGE_SIZE.to_string()),
    ]
}

/// One report call: twelve months ending with `anchor`, of which `needed`
/// are stored.
struct ReportPlan {
    report: ReportKind,
    anchor: Month,
    needed: Arc<BTreeSet<Month>>,
}

impl ReportPlan {
    fn start(&self, run: &Run) -> Ahead<Reports> {
        let (path, query) = report_query(self.report, self.anchor);
        run.start(path, query, None)
    }
}

/// The report calls of this run, P&L first, and the progress steps they
/// take (one per call, or one for a report with nothing to fetch).
async fn plan_reports(
    run: &Run,
    lock: Option<chrono::NaiveDate>,
    changed_months: &BTreeSet<Month>,
    kind: SyncKind,
    since: Option<DateTime<Utc>>,
) -> Result<Vec<ReportPlan>, SyncError> {
    let org_id = run.target.id;
    let history = run.store.history_months(org_id).await?;
    let last_complete = Month::of(Utc::now().date_naive()).prev();
    let window: Vec<Month> = MonthRange::new(last_complete.plus(-(history - 1)), last_complete)
        .map_err(|e| SyncError::Data(e.to_string()))?
        .months()
        .collect();
    let full = kind == SyncKind::Full || since.is_none();
    let mut calls = Vec::new();
    for report in [ReportKind::ProfitAndLoss, ReportKind::BalanceSheet] {
        let stored: BTreeSet<Month> = run
            .store
            .stored_months(org_id, report.as_str())
            .await?
            .into_iter()
            .collect();
        let moved = plan::moved_months(changed_months, &window, report == ReportKind::BalanceSheet);
        let needed = Arc::new(plan::months_to_fetch(&window, &stored, lock, &moved, full));
        calls.extend(plan::anchors(&needed).into_iter().map(|anchor| ReportPlan {
            report,
            anchor,
            needed: needed.clone(),
        }));
    }
    Ok(calls)
}

/// Runs the planned report calls (the first already started), each started
/// before the previous answer is stored.
async fn store_reports(
    run: &mut Run,
    plans: &[ReportPlan],
    first: Option<Ahead<Reports>>,
) -> Result<(), SyncError> {
    // The initial total counts one step per report: one per call, or one
    // for a report with nothing to fetch.
    let idle = [ReportKind::ProfitAndLoss, ReportKind::BalanceSheet]
        .iter()
        .filter(|k| !plans.iter().any(|p| p.report == **k))
        .count() as i32;
    run.progress.total += plans.len() as i32 + idle - 2;
    let current = Month::of(Utc::now().date_naive());
    let mut call = first;
    for (i, plan) in plans.iter().enumerate() {
        let Some(this) = call.take() else { break };
        let reports: Reports = run.finish(this).await?;
        call = plans.get(i + 1).map(|next| next.start(run));
        store_report(run, plan, current, reports).await?;
        run.step(0).await?;
    }
    for _ in 0..idle {
        run.step(0).await?;
    }
    Ok(())
}

/// Whether another page may hold more: Xero's `pagination.pageCount` when
/// it sends one, else a full page.
fn has_more(items: usize, page: usize, page_count: Option<u32>) -> bool {
    match page_count {
        Some(n) => page < n as usize,
        None => items >= PAGE_SIZE,
    }
}

fn report_query(report: ReportKind, anchor: Month) -> (&'static str, Vec<(&'static str, String)>) {
    match report {
        ReportKind::ProfitAndLoss => (
            "Reports/ProfitAndLoss",
            vec![
                ("fromDate", anchor.first_day().to_string()),
                ("toDate", anchor.last_day().to_string()),
                ("periods", "11".to_string()),
                ("timeframe", "MONTH".to_string()),
                ("standardLayout", "true".to_string()),
            ],
        ),
        ReportKind::BalanceSheet => (
            "Reports/BalanceSheet",
            vec![
                ("date", anchor.last_day().to_string()),
                ("periods", "11".to_string()),
                ("timeframe", "MONTH".to_string()),
                ("standardLayout", "true".to_string()),
            ],
        ),
    }
}

/// Stores the months of one report answer that this run needs.
async fn store_report(
    run: &mut Run,
    plan: &ReportPlan,
    current: Month,
    reports: Reports,
) -> Result<(), SyncError> {
    let (report, anchor, needed) = (plan.report, plan.anchor, &plan.needed);
    let (path, _) = report_query(report, anchor);
    let first = reports
        .reports
        .first()
        .ok_or_else(|| SyncError::Data(format!("Xero returned no report for {path}")))?;
    let parsed = parse_report(first).map_err(|e| {
        tracing::warn!(endpoint = path, detail = %e, "Xero's report could not be read");
        SyncError::Data(format!(
            "Xero sent an answer Consol could not read for GET /{path}"
        ))
    })?;
    if parsed.columns.len() != plan::MONTHS_PER_CALL as usize {
        return Err(SyncError::Data(format!(
            "{path} for {anchor} has {} columns, expected {}",
            parsed.columns.len(),
            plan::MONTHS_PER_CALL
        )));
    }
    // Column i is the anchor month minus i (Xero lists the newest first).
    for i in 0..plan::MONTHS_PER_CALL {
        let month = anchor.plus(-i);
        if month >= current || !needed.contains(&month) {
            continue;
        }
        let rows: Vec<ReportAmount> = parsed
            .rows
            .iter()
            .filter(|r| r.kind == ParsedRowKind::Summary || !r.values[i as usize].is_zero())
            .map(|r| ReportAmount {
                row_key: r.row_key(),
                account_id: r.account_id.clone(),
                section: r.section.clone(),
                label: r.label.clone(),
                kind: match r.kind {
                    ParsedRowKind::Account => RowKind::Account,
                    ParsedRowKind::Other => RowKind::Other,
                    ParsedRowKind::Summary => RowKind::Summary,
                },
                amount: r.values[i as usize],
                sync_run_id: Some(run.run_id),
            })
            .collect();
        run.store
            .replace_report_month(run.target.id, report, month, &dedup_keys(rows))
            .await?;
    }
    Ok(())
}

/// Two rows can share a label in one section (Xero repeats summary labels
/// such as "Total" rarely); keep each once by suffixing repeats.
fn dedup_keys(mut rows: Vec<ReportAmount>) -> Vec<ReportAmount> {
    let mut seen = std::collections::HashMap::<String, u32>::new();
    for r in &mut rows {
        let n = seen.entry(r.row_key.clone()).or_default();
        *n += 1;
        if *n > 1 {
            r.row_key = format!("{}#{}", r.row_key, n);
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoreError;

    fn retried(e: SyncError) -> bool {
        e.to_job_error().retry
    }

    #[test]
    fn transient_database_errors_are_retried_wherever_they_happen() {
        let dropped = || StoreError::Database(sqlx::Error::PoolTimedOut);
        // While reading the token (issue 16: this failed the run for good).
        assert!(retried(SyncError::Call(CallError::Token(
            TokenError::Store(dropped())
        ))));
        assert!(retried(SyncError::Store(dropped())));
        // What needs a person is not retried.
        assert!(!retried(SyncError::Call(CallError::Token(
            TokenError::NeedsReconnect
        ))));
        assert!(!retried(SyncError::Call(CallError::Token(
            TokenError::Store(StoreError::Conflict("x".into()))
        ))));
        assert!(!retried(SyncError::NotConnected));
    }
}

//! The pack scheduler and the delivery job. The scheduler (a tick in every
//! worker process) only decides and records: for each schedule, the latest
//! month whose time has come is closed if it is ready (or held, with its
//! reasons, when it is not), and a delivery row is created for its version.
//! The row's unique key (schedule, month, version, kind) makes the pack go
//! out once however many workers tick; the job (one per delivery, keyed)
//! does the sending, retried with the queue's backoff on SMTP failures.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{MonthEndError, mail, schedule};
use crate::domain::Month;
use crate::jobs::{Handler, JobError, JobFuture};
use crate::mail::Mailer;
use crate::shutdown::Shutdown;
use crate::store::{
    Delivery, GroupRole, JobRow, MonthEndVersion, NewDelivery, NewJob, PackSchedule, Store,
    StoreError, Take,
};

pub const JOB_KIND: &str = "pack.deliver";

#[derive(Serialize, Deserialize)]
struct Payload {
    delivery: i64,
}

/// Queues the job that sends a delivery (one queued job per delivery).
pub async fn enqueue(store: &Store, delivery: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
    enqueue_at(store, delivery, now, now).await
}

/// Queues a delivery's job to run at `run_at`.
async fn enqueue_at(
    store: &Store,
    delivery: i64,
    run_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let payload = serde_json::to_string(&Payload { delivery }).unwrap_or_default();
    let key = format!("pack-delivery:{delivery}");
    store
        .enqueue_job(
            &NewJob {
                kind: JOB_KIND,
                payload: &payload,
                dedup_key: Some(&key),
                priority: 0,
                max_attempts: 8,
                run_at,
            },
            now,
        )
        .await?;
    crate::jobs::wake_workers();
    Ok(())
}

async fn admins(store: &Store, group_id: i64) -> Result<Vec<String>, StoreError> {
    Ok(store
        .members_of(group_id)
        .await?
        .into_iter()
        .filter(|m| m.role == GroupRole::Admin)
        .map(|m| m.email)
        .collect())
}

/// Records a held month (once per schedule and month) and queues the
/// notice to the group's admins.
async fn hold(
    store: &Store,
    s: &PackSchedule,
    month: Month,
    reasons: &[String],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let to = admins(store, s.group_id).await?;
    let detail = reasons.join("\n");
    let created = store
        .create_delivery(
            &NewDelivery {
                schedule_id: s.id,
                group_id: s.group_id,
                month,
                version: 0,
                kind: "held",
                status: "queued",
                recipients: &to,
                detail: &detail,
            },
            now,
        )
        .await?;
    if let Some(id) = created {
        tracing::info!(group = s.group_id, %month, "month-end pack held: {}", detail.replace('\n', "; "));
        enqueue(store, id, now).await?;
    }
    Ok(())
}

/// Creates the pack's delivery for a closed version (a draft when the
/// schedule wants approval) and queues it when it needs none. Returns the
/// delivery's id when this call created it.
pub async fn deliver_version(
    store: &Store,
    s: &PackSchedule,
    v: &MonthEndVersion,
    approved: bool,
    now: DateTime<Utc>,
) -> Result<Option<i64>, StoreError> {
    deliver_version_at(store, s, v, approved, now, now).await
}

/// [`deliver_version`] with the delivery's job run at `job_at`: a caller
/// that sends at once itself gives its job a later time, so the job is a
/// fallback should this process stop mid-send, never a second sender
/// racing the first (which would take the live send for a cut-short one).
async fn deliver_version_at(
    store: &Store,
    s: &PackSchedule,
    v: &MonthEndVersion,
    approved: bool,
    now: DateTime<Utc>,
    job_at: DateTime<Utc>,
) -> Result<Option<i64>, StoreError> {
    let queued = approved || !s.approval_required;
    let created = store
        .create_delivery(
            &NewDelivery {
                schedule_id: s.id,
                group_id: s.group_id,
                month: v.month,
                version: v.version,
                kind: "pack",
                status: if queued { "queued" } else { "draft" },
                recipients: &s.recipient_list(),
                detail: "",
            },
            now,
        )
        .await?;
    if let Some(id) = created
        && queued
    {
        enqueue_at(store, id, job_at, now).await?;
    }
    Ok(created)
}

/// One schedule's turn: the latest due month is closed (when ready and
/// never closed), held, or its version's delivery created.
pub async fn tick_schedule(
    store: &Store,
    s: &PackSchedule,
    now: DateTime<Utc>,
) -> Result<(), MonthEndError> {
    let Some(group) = store.group_by_id(s.group_id).await? else {
        return Ok(());
    };
    let month = schedule::due_month(s, now);
    let version = match store.latest_month_end(group.id, month).await? {
        Some(v) if v.is_closed() => v,
        Some(v) => {
            let reasons = vec![format!(
                "{month} was reopened ({}) and has not been closed again.",
                v.reopen_reason.as_deref().unwrap_or("no reason given")
            )];
            hold(store, s, month, &reasons, now).await?;
            return Ok(());
        }
        None => match super::close(store, &group, month, None, now).await {
            Ok(v) => v,
            Err(MonthEndError::NotReady(reasons)) => {
                let reasons: Vec<String> = reasons.into_iter().map(|r| r.message).collect();
                hold(store, s, month, &reasons, now).await?;
                return Ok(());
            }
            // Another worker closed it a moment ago: its delivery is made
            // at the next tick, by whichever worker gets there first.
            Err(MonthEndError::Conflict(_)) => return Ok(()),
            Err(e) => return Err(e),
        },
    };
    deliver_version(store, s, &version, false, now).await?;
    Ok(())
}

/// Sent months whose figures a later sync changed: one notice to the
/// schedule's owner (the admins when it has none) per month and version.
/// Only months with a sync after the send are compared.
async fn check_restatements(
    store: &Store,
    s: &PackSchedule,
    now: DateTime<Utc>,
) -> Result<(), MonthEndError> {
    let Some(group) = store.group_by_id(s.group_id).await? else {
        return Ok(());
    };
    let group = &group;
    let deliveries = store.deliveries(group.id).await?;
    let views = store.entities_for_group(group.id).await?;
    let last_sync = views.iter().filter_map(|v| v.last_synced_at).max();
    for d in deliveries
        .iter()
        .filter(|d| d.kind == "pack" && d.status == "sent" && d.schedule_id == s.id)
    {
        if deliveries
            .iter()
            .any(|r| r.kind == "restated" && r.month == d.month && r.version == d.version)
            || last_sync.is_none_or(|t| d.sent_at.is_none_or(|sent| t <= sent))
        {
            continue;
        }
        let Some(v) = store
            .latest_month_end(group.id, d.month)
            .await?
            .filter(|v| v.is_closed() && v.version == d.version)
        else {
            continue;
        };
        let r = super::restatement::compare(store, group, &v).await?;
        if !r.is_restated() {
            continue;
        }
        let to = match &s.owner_email {
            Some(o) => vec![o.clone()],
            None => admins(store, group.id).await?,
        };
        let detail: Vec<String> = r
            .lines
            .iter()
            .map(|l| l.describe())
            .chain(r.records.iter().map(|x| x.describe()))
            .collect();
        if let Some(id) = store
            .create_delivery(
                &NewDelivery {
                    schedule_id: s.id,
                    group_id: group.id,
                    month: d.month,
                    version: d.version,
                    kind: "restated",
                    status: "queued",
                    recipients: &to,
                    detail: &detail.join("\n"),
                },
                now,
            )
            .await?
        {
            enqueue(store, id, now).await?;
        }
    }
    Ok(())
}

/// Every schedule's turn.
pub async fn tick(store: &Store, now: DateTime<Utc>) -> Result<(), StoreError> {
    for s in store.pack_schedules().await? {
        if let Err(e) = tick_schedule(store, &s, now).await {
            tracing::warn!(group = s.group_id, error = %e, "the pack scheduler could not handle a schedule");
        }
        if let Err(e) = check_restatements(store, &s, now).await {
            tracing::warn!(group = s.group_id, error = %e, "the pack scheduler could not check for restatements");
        }
    }
    Ok(())
}

/// The scheduler loop of a worker process.
pub async fn run(store: Store, every: Duration, shutdown: Shutdown) {
    let mut stop = Box::pin(shutdown.wait());
    loop {
        if let Err(e) = tick(&store, Utc::now()).await {
            tracing::warn!(error = %e, "the pack scheduler could not read the schedules");
        }
        tokio::select! {
            _ = &mut stop => return,
            _ = tokio::time::sleep(every) => {},
        }
    }
}

/// Sends deliveries.
pub struct Deliverer {
    pub store: Store,
    pub mailer: Arc<Mailer>,
    pub public_url: String,
}

/// Why a delivery did not go out.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("{0}")]
    Mail(#[from] mail::MailError),
    #[error("the SMTP server refused: {}", .0.reply)]
    Send(crate::mail::SendError),
    #[error(transparent)]
    MonthEnd(#[from] MonthEndError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Deliverer {
    async fn message(&self, d: &Delivery) -> Result<lettre::Message, DeliveryError> {
        let from = self.mailer.from();
        let to = d.recipient_list();
        let group = self
            .store
            .group_by_id(d.group_id)
            .await?
            .ok_or(MonthEndError::NoVersion)?;
        let overview = format!("{}/groups/{}/month-end", self.public_url, d.group_id);
        let lines: Vec<String> = d.detail.lines().map(str::to_string).collect();
        match d.kind.as_str() {
            "held" => Ok(mail::held_message(
                from,
                &to,
                &group.name,
                d.month,
                &lines,
                &overview,
            )?),
            "restated" => Ok(mail::restated_message(
                from,
                &to,
                &group.name,
                d.month,
                &lines,
                &format!(
                    "{}/diff",
                    mail::pack_link(&self.public_url, d.group_id, d.month)
                ),
            )?),
            _ => {
                let v = self
                    .store
                    .month_end_versions(d.group_id)
                    .await?
                    .into_iter()
                    .find(|v| v.month == d.month && v.version == d.version)
                    .ok_or(MonthEndError::NoVersion)?;
                let (_, snapshot) = super::stored_snapshot(&self.store, &v).await?;
                let commentary = self.store.commentary(v.id).await?;
                let pack =
                    super::build_pack(&snapshot, &v, &commentary).map_err(MonthEndError::from)?;
                let formats = self
                    .store
                    .pack_schedule(d.group_id)
                    .await?
                    .map(|s| s.format_list())
                    .unwrap_or_else(|| vec!["xlsx".into(), "json".into()]);
                let files = tokio::task::spawn_blocking({
                    let pack = pack.clone();
                    let formats = formats.clone();
                    move || mail::pack_files(&pack, &formats)
                })
                .await
                .map_err(|e| mail::MailError::Build(e.to_string()))??;
                Ok(mail::pack_message(
                    from,
                    &to,
                    &pack,
                    &files,
                    &mail::pack_link(&self.public_url, d.group_id, d.month),
                )?)
            }
        }
    }

    /// Sends one delivery if it is still to be sent. `Ok(None)`: nothing
    /// to do (sent already, a draft, or cut short by a crash and now
    /// uncertain); `Ok(Some(reply))`: sent.
    pub async fn deliver(&self, id: i64) -> Result<Option<String>, DeliveryError> {
        let d = match self.store.take_delivery(id, Utc::now()).await? {
            Take::Send(d) => d,
            Take::WasSending => {
                tracing::warn!(
                    delivery = id,
                    "a send was cut short; marked uncertain and not sent again"
                );
                return Ok(None);
            }
            Take::Nothing => return Ok(None),
        };
        let message = match self.message(&d).await {
            Ok(m) => m,
            Err(e) => {
                self.store
                    .finish_delivery(id, false, &format!("not sent: {e}"), Utc::now())
                    .await?;
                return Err(e);
            }
        };
        match self.mailer.send(&message).await {
            Ok(reply) => {
                self.store
                    .finish_delivery(id, true, &reply, Utc::now())
                    .await?;
                tracing::info!(delivery = id, kind = %d.kind, month = %d.month, %reply, "month-end message sent");
                Ok(Some(reply))
            }
            Err(e) => {
                self.store
                    .finish_delivery(id, false, &e.reply, Utc::now())
                    .await?;
                Err(DeliveryError::Send(e))
            }
        }
    }
}

impl Handler for Deliverer {
    fn run<'a>(&'a self, job: &'a JobRow, _stop: &'a Shutdown) -> JobFuture<'a> {
        Box::pin(async move {
            let p: Payload = serde_json::from_str(&job.payload)
                .map_err(|e| JobError::fatal(format!("bad delivery payload: {e}")))?;
            match self.deliver(p.delivery).await {
                Ok(_) => Ok(()),
                Err(DeliveryError::Send(e)) if e.permanent => Err(JobError::fatal(e.reply)),
                Err(DeliveryError::Mail(e)) => Err(JobError::fatal(e.to_string())),
                Err(e) => Err(JobError::retry(e.to_string())),
            }
        })
    }
}

/// Sends a closed month's latest version to the schedule's recipients now,
/// in this process (`consol pack send`, the demo): the delivery is created
/// as approved and delivered at once. Refused when the group has no
/// schedule, the month is not closed, or this version's pack was already
/// made; a failed send stays in the log and its job retries it.
/// Waits (up to 30 s) for a delivery another worker took and says how it
/// ended; still going after that, it says so rather than guessing.
async fn sent_by_another(store: &Store, id: i64) -> anyhow::Result<String> {
    for _ in 0..60 {
        match store.delivery(id).await? {
            Some(d) if d.status == "sent" => {
                return Ok(d.last_reply.unwrap_or_else(|| "sent by a worker".into()));
            }
            Some(d) if d.status == "failed" || d.status == "uncertain" => anyhow::bail!(
                "a worker took the delivery and it is {}: {}",
                d.status,
                d.last_reply.unwrap_or_default()
            ),
            Some(_) => tokio::time::sleep(Duration::from_millis(500)).await,
            None => anyhow::bail!("the delivery vanished"),
        }
    }
    anyhow::bail!("a worker is sending it; see the delivery log")
}

pub async fn send_now(
    deliverer: &Deliverer,
    group_id: i64,
    month: Month,
) -> anyhow::Result<String> {
    let store = &deliverer.store;
    let Some(s) = store.pack_schedule(group_id).await? else {
        anyhow::bail!("the group has no pack schedule: set its recipients first");
    };
    let Some(v) = store
        .latest_month_end(group_id, month)
        .await?
        .filter(|v| v.is_closed())
    else {
        anyhow::bail!("{month} is not closed");
    };
    let now = Utc::now();
    let fallback = now + chrono::Duration::minutes(2);
    let Some(id) = deliver_version_at(store, &s, &v, true, now, fallback).await? else {
        anyhow::bail!(
            "version {} of {month} was already sent or queued: see the delivery log",
            v.version
        );
    };
    match deliverer.deliver(id).await {
        Ok(Some(reply)) => Ok(reply),
        // The delivery's own job, queued with it, can reach a worker before
        // this call takes it (the demo runs a worker in the same process):
        // the pack is being sent all the same, so wait for that send.
        Ok(None) => sent_by_another(store, id).await,
        Err(e) => {
            // Its job (queued with the delivery) retries with backoff.
            anyhow::bail!("not sent ({e}); a worker will try again")
        }
    }
}

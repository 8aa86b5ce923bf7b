//! Month-end close: a group admin closes a month once every entity has
//! synced after the month's end and the month's report has no errors;
//! closing freezes a [`Snapshot`] (inputs and outputs, canonical JSON,
//! SHA-256) as a new version. Reopening (with a reason) leaves the version
//! as it was; the next close writes the next version. The pack (`pack.rs`,
//! `pack_xlsx.rs`, `pack_pdf.rs`) is built from a version's snapshot and its commentary.

pub mod delivery;
pub mod mail;
pub mod outputs;
pub mod pack;
pub mod pack_pdf;
pub mod pack_xlsx;
pub mod restatement;
pub mod restatement_sources;
pub mod schedule;
pub mod snapshot;
mod typst_world;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::consolidation;
use crate::domain::Month;
use crate::store::{
    Group, MonthEndConflict, MonthEndStoreError, MonthEndVersion, Store, StoreError,
};

pub use outputs::{Outputs, Periods};
pub use pack::{Pack, build_pack};
pub use snapshot::{Snapshot, SnapshotError, SnapshotInputs, canonical_json, sha256_hex};

/// Why a month cannot be closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    /// `month_not_ended`, `no_entities`, `not_synced`, `missing_pnl`,
    /// `missing_rate`, `unmapped_account` or `report_error`.
    pub code: &'static str,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum MonthEndError {
    #[error("the month cannot be closed yet")]
    NotReady(Vec<Reason>),
    #[error(transparent)]
    Conflict(#[from] MonthEndConflict),
    #[error("no closed version of this month")]
    NoVersion,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
}

impl From<MonthEndStoreError> for MonthEndError {
    fn from(e: MonthEndStoreError) -> Self {
        match e {
            MonthEndStoreError::Conflict(c) => Self::Conflict(c),
            MonthEndStoreError::Store(s) => Self::Store(s),
        }
    }
}

impl From<consolidation::ConsolidationError> for MonthEndError {
    fn from(e: consolidation::ConsolidationError) -> Self {
        match e {
            consolidation::ConsolidationError::Store(s) => Self::Store(s),
            consolidation::ConsolidationError::Engine(e) => Self::Snapshot(e.into()),
        }
    }
}

/// The first instant after the month, in UTC (groups have no time zone
/// yet).
pub fn month_end(month: Month) -> DateTime<Utc> {
    month
        .next()
        .first_day()
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        .and_utc()
}

/// The snapshot the month would freeze now, or the reasons it cannot be
/// closed.
pub async fn prepare(
    store: &Store,
    group: &Group,
    month: Month,
    now: DateTime<Utc>,
) -> Result<Result<Snapshot, Vec<Reason>>, MonthEndError> {
    let mut reasons = Vec::new();
    let end = month_end(month);
    if now < end {
        reasons.push(Reason {
            code: "month_not_ended",
            message: format!("{month} has not ended yet."),
        });
        return Ok(Err(reasons));
    }
    let views = store.entities_for_group(group.id).await?;
    if views.is_empty() {
        reasons.push(Reason {
            code: "no_entities",
            message: "The group has no entities.".into(),
        });
        return Ok(Err(reasons));
    }
    for v in &views {
        if v.last_synced_at.is_none_or(|t| t < end) {
            reasons.push(Reason {
                code: "not_synced",
                message: format!(
                    "{} has not synced since {month} ended (last sync: {}).",
                    v.name,
                    v.last_synced_at.map_or("never".to_string(), |t| t
                        .format("%Y-%m-%d %H:%M UTC")
                        .to_string())
                ),
            });
        }
    }
    let snapshot = current(store, group, month, &views).await?;
    for e in &snapshot.inputs.entities {
        let has_month = snapshot
            .inputs
            .net_profits
            .iter()
            .any(|n| n.entity == e.id && n.month == month)
            || snapshot
                .inputs
                .pnl
                .iter()
                .any(|p| p.entity == e.id && p.month == month);
        if !has_month {
            reasons.push(Reason {
                code: "missing_pnl",
                message: format!("{} has no profit and loss for {month}: sync it.", e.name),
            });
        }
    }
    reasons.extend(report_errors(&snapshot));
    Ok(if reasons.is_empty() {
        Ok(snapshot)
    } else {
        Err(reasons)
    })
}

/// The snapshot a month would have if frozen now, from today's data (also
/// what a restatement compares a sent snapshot with).
pub async fn current(
    store: &Store,
    group: &Group,
    month: Month,
    views: &[crate::store::EntityView],
) -> Result<Snapshot, MonthEndError> {
    let fye = group.financial_year_end_month.clamp(1, 12) as u32;
    let periods = Periods::of(month, fye);
    let loaded = periods.loaded();
    let data = consolidation::load(store, group, loaded).await?;
    let inputs = SnapshotInputs::from_group_data(
        snapshot::GroupSettings {
            id: group.id,
            name: group.name.clone(),
            presentation_currency: group.presentation_currency,
            financial_year_end_month: fye,
        },
        loaded,
        views
            .iter()
            .map(|v| snapshot::EntitySync {
                entity: v.id,
                last_synced_at: v.last_synced_at,
            })
            .collect(),
        &data,
    );
    Ok(Snapshot::build(month, inputs)?)
}

fn entity_name(snapshot: &Snapshot, id: Option<i64>) -> String {
    snapshot
        .inputs
        .entities
        .iter()
        .find(|e| Some(e.id) == id)
        .map_or_else(|| "an entity".to_string(), |e| e.name.clone())
}

/// The month report's errors: missing rates and unmapped accounts always
/// block a close (whatever their severity on the report), as does any
/// warning of severity `error`.
fn report_errors(snapshot: &Snapshot) -> Vec<Reason> {
    let month = snapshot.month;
    let warnings = snapshot.outputs.profit_and_loss.month["warnings"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let text = |w: &Value, k: &str| w[k].as_str().unwrap_or_default().to_string();
    warnings
        .iter()
        .filter_map(|w| {
            let entity = entity_name(snapshot, w["entity"].as_i64());
            match w["kind"].as_str() {
                Some("missing_rate") => Some(Reason {
                    code: "missing_rate",
                    message: format!(
                        "No average {} rate for {} ({entity}).",
                        text(w, "currency"),
                        text(w, "month")
                    ),
                }),
                Some("unmapped_account") => Some(Reason {
                    code: "unmapped_account",
                    message: format!(
                        "{entity}'s account {} {} has amounts in {month} but no mapping.",
                        text(w, "account_code"),
                        text(w, "account_name")
                    ),
                }),
                Some(kind) if w["severity"] == "error" => Some(Reason {
                    code: "report_error",
                    message: format!("The report has an error ({kind}) for {entity}."),
                }),
                _ => None,
            }
        })
        .collect()
}

/// Closes a month: refused with the reasons unless it is ready. `by` is
/// None for the command line.
pub async fn close(
    store: &Store,
    group: &Group,
    month: Month,
    by: Option<i64>,
    now: DateTime<Utc>,
) -> Result<MonthEndVersion, MonthEndError> {
    if let Some(v) = store.latest_month_end(group.id, month).await?
        && v.is_closed()
    {
        return Err(MonthEndConflict::AlreadyClosed.into());
    }
    let snapshot = prepare(store, group, month, now)
        .await?
        .map_err(MonthEndError::NotReady)?;
    let canonical = snapshot.canonical()?;
    let hash = sha256_hex(&canonical);
    Ok(store
        .close_month(group.id, month, &canonical, &hash, by, now)
        .await?)
}

/// Reopens a closed month; the reason must not be blank.
pub async fn reopen(
    store: &Store,
    group: &Group,
    month: Month,
    reason: &str,
    by: i64,
    now: DateTime<Utc>,
) -> Result<MonthEndVersion, MonthEndError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(MonthEndError::NotReady(vec![Reason {
            code: "reason_required",
            message: "Say why the month is reopened.".into(),
        }]));
    }
    Ok(store.reopen_month(group.id, month, reason, by, now).await?)
}

/// The snapshot of a version, as stored, checked against its hash.
pub async fn stored_snapshot(
    store: &Store,
    version: &MonthEndVersion,
) -> Result<(String, Snapshot), MonthEndError> {
    let text = store
        .month_end_snapshot(version.id)
        .await?
        .ok_or(MonthEndError::NoVersion)?;
    if sha256_hex(&text) != version.snapshot_hash {
        return Err(
            SnapshotError::Input("the stored snapshot does not match its hash".into()).into(),
        );
    }
    let snapshot = Snapshot::parse(&text)?;
    Ok((text, snapshot))
}

/// A month on the overview.
#[derive(Debug, Clone, Serialize)]
pub struct MonthStatus {
    pub month: Month,
    /// `open`, `held` (due, not ready: see `held_because`), `closed`,
    /// `awaiting_approval`, `sent`, or `restated` (sent, and a later sync
    /// changed its figures).
    pub status: &'static str,
    /// Why the scheduler holds the month's pack (empty unless held).
    pub held_because: Vec<String>,
    /// The latest version's number; null when never closed.
    pub version: Option<i32>,
    pub closed_at: Option<DateTime<Utc>>,
    pub closed_by: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub snapshot_hash: Option<String>,
    pub reopened_at: Option<DateTime<Utc>>,
    pub reopen_reason: Option<String>,
    /// Every version, newest first.
    pub versions: Vec<VersionSummary>,
}

#[derive(Debug, Clone, Serialize)]
pub struct VersionSummary {
    pub version: i32,
    pub closed_at: DateTime<Utc>,
    pub closed_by: Option<String>,
    pub snapshot_hash: String,
    pub reopened_at: Option<DateTime<Utc>>,
    pub reopened_by: Option<String>,
    pub reopen_reason: Option<String>,
}

/// The last twelve ended months and every month ever closed, newest first.
pub async fn overview(
    store: &Store,
    group: &Group,
    now: DateTime<Utc>,
) -> Result<Vec<MonthStatus>, StoreError> {
    let versions = store.month_end_versions(group.id).await?;
    let deliveries = store.deliveries(group.id).await?;
    let last = Month::of(now.date_naive()).prev();
    let mut months: Vec<Month> = (0..12).map(|i| last.plus(-i)).collect();
    months.extend(versions.iter().map(|v| v.month));
    months.sort_by(|a, b| b.cmp(a));
    months.dedup();
    Ok(months
        .into_iter()
        .map(|month| {
            let mine: Vec<&MonthEndVersion> =
                versions.iter().filter(|v| v.month == month).collect();
            let latest = mine.first();
            let delivery = |kind: &str, version: i32| {
                deliveries
                    .iter()
                    .find(|d| d.month == month && d.kind == kind && d.version == version)
            };
            let closed = latest.filter(|v| v.is_closed());
            let pack = closed.and_then(|v| delivery("pack", v.version));
            let held = delivery("held", 0).filter(|_| closed.is_none());
            let sent_at = pack.and_then(|d| d.sent_at);
            MonthStatus {
                month,
                status: match (closed, pack, held) {
                    (Some(v), Some(d), _) if d.status == "sent" => {
                        if delivery("restated", v.version).is_some() {
                            "restated"
                        } else {
                            "sent"
                        }
                    }
                    (Some(_), Some(d), _) if d.status == "draft" => "awaiting_approval",
                    (Some(_), _, _) => "closed",
                    (None, _, Some(_)) => "held",
                    (None, _, None) => "open",
                },
                held_because: held
                    .map(|d| d.detail.lines().map(str::to_string).collect())
                    .unwrap_or_default(),
                version: latest.map(|v| v.version),
                closed_at: latest.map(|v| v.closed_at),
                closed_by: latest.and_then(|v| v.closed_by_email.clone()),
                sent_at,
                snapshot_hash: latest.map(|v| v.snapshot_hash.clone()),
                reopened_at: latest.and_then(|v| v.reopened_at),
                reopen_reason: latest.and_then(|v| v.reopen_reason.clone()),
                versions: mine
                    .iter()
                    .map(|v| VersionSummary {
                        version: v.version,
                        closed_at: v.closed_at,
                        closed_by: v.closed_by_email.clone(),
                        snapshot_hash: v.snapshot_hash.clone(),
                        reopened_at: v.reopened_at,
                        reopened_by: v.reopened_by_email.clone(),
                        reopen_reason: v.reopen_reason.clone(),
                    })
                    .collect(),
            }
        })
        .collect())
}

//! Month-end versions: each close of a group's month stores a snapshot (its
//! canonical JSON and SHA-256) as a new version; reopening stamps the
//! version with who reopened it and why, and the next close writes the next
//! version. Snapshots are immutable (a trigger refuses any change to them);
//! commentary per pack section is stored with the version. Closing,
//! reopening and commentary are audited in the same transaction.

use chrono::{DateTime, Utc};

use super::audit::{AuditEntry, insert_audit};
use super::{BeginWrite, Group, Store, StoreError, StoreResult, map_conflict, on_pool};
use crate::domain::Month;

/// A version of a month, without its snapshot.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MonthEndVersion {
    pub id: i64,
    pub group_id: i64,
    pub month: Month,
    pub version: i32,
    pub snapshot_hash: String,
    pub closed_by: Option<i64>,
    /// The e-mail of the user who closed it (None when deleted).
    pub closed_by_email: Option<String>,
    pub closed_at: DateTime<Utc>,
    pub reopened_by_email: Option<String>,
    pub reopened_at: Option<DateTime<Utc>>,
    pub reopen_reason: Option<String>,
}

impl MonthEndVersion {
    /// Closed and not reopened since.
    pub fn is_closed(&self) -> bool {
        self.reopened_at.is_none()
    }
}

/// A section's commentary.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Commentary {
    pub section: String,
    pub body: String,
    pub updated_by_email: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// Why a close or reopen was not stored.
#[derive(Debug, thiserror::Error)]
pub enum MonthEndConflict {
    #[error("the month is already closed")]
    AlreadyClosed,
    #[error("the month is not closed")]
    NotClosed,
}

#[derive(Debug, thiserror::Error)]
pub enum MonthEndStoreError {
    #[error(transparent)]
    Conflict(#[from] MonthEndConflict),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for MonthEndStoreError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(StoreError::Database(e))
    }
}

const VERSION_COLUMNS: &str = "v.id, v.group_id, v.month, v.version, v.snapshot_hash, v.closed_by, \
     c.email AS closed_by_email, v.closed_at, r.email AS reopened_by_email, v.reopened_at, \
     v.reopen_reason FROM month_end_versions v \
     LEFT JOIN users c ON c.id = v.closed_by LEFT JOIN users r ON r.id = v.reopened_by";

impl Store {
    /// A group by id, for the command line (which acts as no member).
    /// Web and API routes go through `group_for_member` instead.
    pub async fn group_by_id(&self, group_id: i64) -> StoreResult<Option<Group>> {
        on_pool!(self, pool => {
            Ok(sqlx::query_as::<_, Group>(
                "SELECT id, name, presentation_currency, financial_year_end_month, \
                 history_months, created_at FROM groups WHERE id = $1",
            )
            .bind(group_id)
            .fetch_optional(pool)
            .await?)
        })
    }

    /// Stores a new version of a closed month with its snapshot; refuses
    /// (AlreadyClosed) when the month's latest version is still closed.
    /// Returns the new version.
    pub async fn close_month(
        &self,
        group_id: i64,
        month: Month,
        snapshot: &str,
        snapshot_hash: &str,
        by: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<MonthEndVersion, MonthEndStoreError> {
        let id: i64 = on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let latest: Option<(i32, Option<DateTime<Utc>>)> = sqlx::query_as(
                "SELECT version, reopened_at FROM month_end_versions \
                 WHERE group_id = $1 AND month = $2 ORDER BY version DESC LIMIT 1",
            )
            .bind(group_id)
            .bind(month)
            .fetch_optional(&mut *tx)
            .await?;
            let version = match latest {
                Some((_, None)) => return Err(MonthEndConflict::AlreadyClosed.into()),
                Some((v, Some(_))) => v + 1,
                None => 1,
            };
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO month_end_versions \
                 (group_id, month, version, snapshot, snapshot_hash, closed_by, closed_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(group_id)
            .bind(month)
            .bind(version)
            .bind(snapshot)
            .bind(snapshot_hash)
            .bind(by)
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            // Another close of the same month won the race.
            .map_err(|e| match map_conflict(e) {
                StoreError::Conflict(_) => MonthEndStoreError::from(MonthEndConflict::AlreadyClosed),
                other => other.into(),
            })?;
            let entry = AuditEntry::new("month_end.close", by)
                .group(group_id)
                .detail(format!(
                    "{month} closed as version {version}, snapshot sha256 {snapshot_hash}{}",
                    if by.is_none() { " (command line)" } else { "" }
                ));
            insert_audit!(&mut *tx, entry, now).await?;
            tx.commit().await?;
            id
        });
        self.month_end_version(id)
            .await?
            .ok_or_else(|| StoreError::Database(sqlx::Error::RowNotFound).into())
    }

    /// Reopens the month's closed version, with a reason. The snapshot
    /// stays as it was.
    pub async fn reopen_month(
        &self,
        group_id: i64,
        month: Month,
        reason: &str,
        by: i64,
        now: DateTime<Utc>,
    ) -> Result<MonthEndVersion, MonthEndStoreError> {
        let id: i64 = on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let open: Option<(i64, i32)> = sqlx::query_as(
                "UPDATE month_end_versions SET reopened_by = $1, reopened_at = $2, reopen_reason = $3 \
                 WHERE group_id = $4 AND month = $5 AND reopened_at IS NULL RETURNING id, version",
            )
            .bind(by)
            .bind(now)
            .bind(reason)
            .bind(group_id)
            .bind(month)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((id, version)) = open else {
                return Err(MonthEndConflict::NotClosed.into());
            };
            let entry = AuditEntry::new("month_end.reopen", Some(by))
                .group(group_id)
                .detail(format!("{month} version {version} reopened: {reason}"));
            insert_audit!(&mut *tx, entry, now).await?;
            tx.commit().await?;
            id
        });
        self.month_end_version(id)
            .await?
            .ok_or_else(|| StoreError::Database(sqlx::Error::RowNotFound).into())
    }

    pub async fn month_end_version(&self, id: i64) -> StoreResult<Option<MonthEndVersion>> {
        on_pool!(self, pool => {
            Ok(sqlx::query_as::<_, MonthEndVersion>(sqlx::AssertSqlSafe(format!(
                "SELECT {VERSION_COLUMNS} WHERE v.id = $1"
            )))
            .bind(id)
            .fetch_optional(pool)
            .await?)
        })
    }

    /// Every version of a group's months, newest month first, then newest
    /// version first.
    pub async fn month_end_versions(&self, group_id: i64) -> StoreResult<Vec<MonthEndVersion>> {
        on_pool!(self, pool => {
            Ok(sqlx::query_as::<_, MonthEndVersion>(sqlx::AssertSqlSafe(format!(
                "SELECT {VERSION_COLUMNS} WHERE v.group_id = $1 ORDER BY v.month DESC, v.version DESC"
            )))
            .bind(group_id)
            .fetch_all(pool)
            .await?)
        })
    }

    /// The latest version of a month, closed or reopened.
    pub async fn latest_month_end(
        &self,
        group_id: i64,
        month: Month,
    ) -> StoreResult<Option<MonthEndVersion>> {
        on_pool!(self, pool => {
            Ok(sqlx::query_as::<_, MonthEndVersion>(sqlx::AssertSqlSafe(format!(
                "SELECT {VERSION_COLUMNS} WHERE v.group_id = $1 AND v.month = $2 \
                 ORDER BY v.version DESC LIMIT 1"
            )))
            .bind(group_id)
            .bind(month)
            .fetch_optional(pool)
            .await?)
        })
    }

    /// The stored snapshot of a version, exactly as it was hashed.
    pub async fn month_end_snapshot(&self, version_id: i64) -> StoreResult<Option<String>> {
        on_pool!(self, pool => {
            let row: Option<(String,)> =
                sqlx::query_as("SELECT snapshot FROM month_end_versions WHERE id = $1")
                    .bind(version_id)
                    .fetch_optional(pool)
                    .await?;
            Ok(row.map(|r| r.0))
        })
    }

    /// Writes (or, with an empty body, removes) a section's commentary.
    pub async fn set_commentary(
        &self,
        group_id: i64,
        version: &MonthEndVersion,
        section: &str,
        body: &str,
        by: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            if body.is_empty() {
                sqlx::query("DELETE FROM month_end_commentary WHERE version_id = $1 AND section = $2")
                    .bind(version.id)
                    .bind(section)
                    .execute(&mut *tx)
                    .await?;
            } else {
                sqlx::query(
                    "INSERT INTO month_end_commentary (version_id, section, body, updated_by, updated_at) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (version_id, section) \
                     DO UPDATE SET body = excluded.body, updated_by = excluded.updated_by, \
                     updated_at = excluded.updated_at",
                )
                .bind(version.id)
                .bind(section)
                .bind(body)
                .bind(by)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            let entry = AuditEntry::new("month_end.commentary", Some(by))
                .group(group_id)
                .detail(format!(
                    "{} version {}: commentary on {section} {}",
                    version.month,
                    version.version,
                    if body.is_empty() { "removed" } else { "written" }
                ));
            insert_audit!(&mut *tx, entry, now).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// A version's commentary, by section name.
    pub async fn commentary(&self, version_id: i64) -> StoreResult<Vec<Commentary>> {
        on_pool!(self, pool => {
            Ok(sqlx::query_as::<_, Commentary>(
                "SELECT m.section, m.body, u.email AS updated_by_email, m.updated_at \
                 FROM month_end_commentary m LEFT JOIN users u ON u.id = m.updated_by \
                 WHERE m.version_id = $1 ORDER BY m.section",
            )
            .bind(version_id)
            .fetch_all(pool)
            .await?)
        })
    }
}

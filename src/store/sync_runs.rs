//! Sync runs: one record per sync job, for the progress bar, the API and
//! the group page.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::{BeginWrite, Store, StoreResult, on_pool};
use crate::domain::Month;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct SyncRun {
    pub id: i64,
    pub organisation_id: i64,
    pub kind: String,
    /// `queued`, `running`, `retrying` (waiting until `retry_at` to try a
    /// call or the whole run again), `succeeded`, `failed` or `superseded`
    /// (stopped with its worker while a newer sync of the organisation was
    /// queued, which does its work: not a failure).
    pub state: String,
    pub progress_done: i32,
    pub progress_total: i32,
    pub calls: i32,
    /// JSON object: calls per endpoint.
    pub calls_by_endpoint: String,
    pub rows_inserted: i32,
    pub rows_updated: i32,
    pub error: Option<String>,
    pub modified_since: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub retry_at: Option<DateTime<Utc>>,
}

/// What the group page shows of an organisation's latest run: only the
/// columns it reads. Its entity table decodes one per entity on every
/// view, and at a hundred entities the full [`SyncRun`] (four timestamps,
/// the calls per endpoint) was a tenth of the page's CPU.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RunStatus {
    pub id: i64,
    pub organisation_id: i64,
    /// As [`SyncRun::state`], `retrying` included.
    pub state: String,
    pub progress_done: i32,
    pub progress_total: i32,
    pub calls: i32,
    pub error: Option<String>,
    pub retry_at: Option<DateTime<Utc>>,
}

/// What a running sync reports as it goes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunProgress {
    pub done: i32,
    pub total: i32,
    pub calls: i32,
    pub calls_by_endpoint: String,
    pub rows_inserted: i32,
    pub rows_updated: i32,
}

/// An organisation as the sync needs it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SyncTarget {
    pub id: i64,
    pub tenant_id: String,
    pub name: String,
    pub token_set_id: Option<i64>,
    pub connection_state: String,
    pub period_lock_date: Option<NaiveDate>,
}

/// `retrying` is a running run with a `retry_at`: the table's states stay
/// the ones its CHECK allows, and every reader sees the wait.
const RUN_COLUMNS: &str = "id, organisation_id, kind, \
     CASE WHEN state = 'running' AND retry_at IS NOT NULL THEN 'retrying' ELSE state END AS state, progress_done, progress_total, calls, \
     calls_by_endpoint, rows_inserted, rows_updated, error, modified_since, created_at, started_at, finished_at, retry_at";

impl Store {
    pub async fn create_sync_run(
        &self,
        org: i64,
        kind: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<i64> {
        on_pool!(self, pool => {
            Ok(sqlx::query_scalar(
                "INSERT INTO sync_runs (organisation_id, kind, state, created_at) VALUES ($1, $2, 'queued', $3) RETURNING id",
            )
            .bind(org)
            .bind(kind)
            .bind(now)
            .fetch_one(pool)
            .await?)
        })
    }

    pub async fn sync_run(&self, id: i64) -> StoreResult<Option<SyncRun>> {
        on_pool!(self, pool => {
            Ok(sqlx::query_as::<_, SyncRun>(sqlx::AssertSqlSafe(format!(
                "SELECT {RUN_COLUMNS} FROM sync_runs WHERE id = $1"
            )))
            .bind(id)
            .fetch_optional(pool)
            .await?)
        })
    }

    pub async fn start_sync_run(
        &self,
        id: i64,
        modified_since: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        on_pool!(self, pool => {
            sqlx::query(
                "UPDATE sync_runs SET state = 'running', started_at = $1, modified_since = $2, error = NULL, \
                     progress_done = 0, progress_total = 0, retry_at = NULL WHERE id = $3",
            )
            .bind(now)
            .bind(modified_since)
            .bind(id)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    pub async fn update_sync_progress(&self, id: i64, p: &RunProgress) -> StoreResult<()> {
        on_pool!(self, pool => {
            sqlx::query(
                "UPDATE sync_runs SET progress_done = $1, progress_total = $2, calls = $3, \
                     calls_by_endpoint = $4, rows_inserted = $5, rows_updated = $6 WHERE id = $7",
            )
            .bind(p.done)
            .bind(p.total)
            .bind(p.calls)
            .bind(&p.calls_by_endpoint)
            .bind(p.rows_inserted)
            .bind(p.rows_updated)
            .bind(id)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    pub async fn set_day_calls_remaining(&self, org: i64, n: i64) -> StoreResult<()> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE organisations SET day_calls_remaining = $1 WHERE id = $2")
                .bind(n as i32)
                .bind(org)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// The newest sync run of each organisation in a group.
    pub async fn latest_runs_for_group(&self, group_id: i64) -> StoreResult<Vec<SyncRun>> {
        on_pool!(self, pool => {
            Ok(sqlx::query_as::<_, SyncRun>(sqlx::AssertSqlSafe(format!(
                "SELECT {RUN_COLUMNS} FROM sync_runs r WHERE r.id IN \
                   (SELECT MAX(x.id) FROM sync_runs x JOIN entities e ON e.organisation_id = x.organisation_id \
                    WHERE e.group_id = $1 GROUP BY x.organisation_id)"
            )))
            .bind(group_id)
            .fetch_all(pool)
            .await?)
        })
    }

    /// [`RunStatus`] of each organisation's latest run in the group: what
    /// [`Store::latest_runs_for_group`] gives, in fewer columns.
    pub async fn latest_run_statuses_for_group(
        &self,
        group_id: i64,
    ) -> StoreResult<Vec<RunStatus>> {
        on_pool!(self, pool => {
            Ok(sqlx::query_as::<_, RunStatus>(
                "SELECT r.id, r.organisation_id, \
                   CASE WHEN r.state = 'running' AND r.retry_at IS NOT NULL THEN 'retrying' ELSE r.state END AS state, \
                   r.progress_done, r.progress_total, r.calls, r.error, r.retry_at \
                 FROM sync_runs r WHERE r.id IN \
                   (SELECT MAX(x.id) FROM sync_runs x JOIN entities e ON e.organisation_id = x.organisation_id \
                    WHERE e.group_id = $1 GROUP BY x.organisation_id)",
            )
            .bind(group_id)
            .fetch_all(pool)
            .await?)
        })
    }

    /// Forgets a run that never started (its sync merged into a queued one).
    pub async fn delete_sync_run(&self, id: i64) -> StoreResult<()> {
        on_pool!(self, pool => {
            sqlx::query("DELETE FROM sync_runs WHERE id = $1 AND state = 'queued'")
                .bind(id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Records Xero's clock at the start of the run.
    pub async fn set_sync_xero_time(&self, id: i64, t: DateTime<Utc>) -> StoreResult<()> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE sync_runs SET xero_time = $1 WHERE id = $2")
                .bind(t)
                .bind(id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// A run waiting until `at` to try again (`retrying`), or, with `None`,
    /// under way again (`running`). Only a run in progress changes.
    pub async fn set_sync_retrying(&self, id: i64, at: Option<DateTime<Utc>>) -> StoreResult<()> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE sync_runs SET retry_at = $1 WHERE id = $2 AND state = 'running'")
            .bind(at)
            .bind(id)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Puts a run stopped at shutdown back to `queued`: it resumes when its
    /// job is claimed again, and nothing about it failed.
    pub async fn requeue_sync_run(&self, id: i64) -> StoreResult<()> {
        on_pool!(self, pool => {
            sqlx::query(
                "UPDATE sync_runs SET state = 'queued', retry_at = NULL \
                 WHERE id = $1 AND state = 'running'",
            )
                .bind(id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Closes a run whose worker stopped (shutdown) or died while a newer
    /// sync of the same organisation was already queued: that sync does the
    /// work, so this one is `superseded`, not failed, and the organisation's
    /// last sync is left as it was. Its calls and rows so far stay recorded.
    pub async fn supersede_sync_run(&self, id: i64, now: DateTime<Utc>) -> StoreResult<()> {
        on_pool!(self, pool => {
            sqlx::query(
                "UPDATE sync_runs SET state = 'superseded', finished_at = $1, retry_at = NULL \
                 WHERE id = $2 AND state IN ('queued', 'running')",
            )
            .bind(now)
            .bind(id)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The newest run of an organisation (the one that took over from a
    /// superseded run).
    pub async fn latest_sync_run(&self, org: i64) -> StoreResult<Option<SyncRun>> {
        on_pool!(self, pool => {
            Ok(sqlx::query_as::<_, SyncRun>(sqlx::AssertSqlSafe(format!(
                "SELECT {RUN_COLUMNS} FROM sync_runs WHERE organisation_id = $1 ORDER BY id DESC LIMIT 1"
            )))
            .bind(org)
            .fetch_optional(pool)
            .await?)
        })
    }

    /// Notes an attempt's error on a run that will be retried.
    pub async fn update_sync_error(&self, id: i64, error: &str) -> StoreResult<()> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE sync_runs SET error = $1 WHERE id = $2")
                .bind(error)
                .bind(id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Ends a run; a success also stamps the organisation's last sync.
    pub async fn finish_sync_run(
        &self,
        id: i64,
        error: Option<&str>,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let state = if error.is_some() {
            "failed"
        } else {
            "succeeded"
        };
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("UPDATE sync_runs SET state = $1, error = $2, finished_at = $3, retry_at = NULL WHERE id = $4")
                .bind(state)
                .bind(error)
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            if error.is_none() {
                sqlx::query(
                    "UPDATE organisations SET last_synced_at = $1 \
                     WHERE id = (SELECT organisation_id FROM sync_runs WHERE id = $2)",
                )
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// When the last successful run started, by Xero's clock when known:
    /// the next incremental sync asks Xero for what changed since then.
    pub async fn last_successful_sync_start(&self, org: i64) -> StoreResult<Option<DateTime<Utc>>> {
        on_pool!(self, pool => {
            Ok(sqlx::query_scalar(
                "SELECT COALESCE(xero_time, started_at) FROM sync_runs \
                 WHERE organisation_id = $1 AND state = 'succeeded' \
                 ORDER BY started_at DESC LIMIT 1",
            )
            .bind(org)
            .fetch_optional(pool)
            .await?
            .flatten())
        })
    }

    pub async fn sync_target(&self, org: i64) -> StoreResult<Option<SyncTarget>> {
        on_pool!(self, pool => {
            Ok(sqlx::query_as::<_, SyncTarget>(
                "SELECT id, tenant_id, name, token_set_id, connection_state, period_lock_date \
                 FROM organisations WHERE id = $1",
            )
            .bind(org)
            .fetch_optional(pool)
            .await?)
        })
    }

    /// The longest history any group asks of this organisation.
    pub async fn history_months(&self, org: i64) -> StoreResult<i32> {
        on_pool!(self, pool => {
            let m: Option<i32> = sqlx::query_scalar(
                "SELECT MAX(g.history_months) FROM groups g JOIN entities e ON e.group_id = g.id \
                 WHERE e.organisation_id = $1",
            )
            .bind(org)
            .fetch_one(pool)
            .await?;
            Ok(m.unwrap_or(24))
        })
    }

    /// Months already stored for a report.
    pub async fn stored_months(&self, org: i64, report: &str) -> StoreResult<Vec<Month>> {
        on_pool!(self, pool => {
            Ok(sqlx::query_scalar(
                "SELECT DISTINCT month FROM report_amounts WHERE organisation_id = $1 AND report = $2 ORDER BY month",
            )
            .bind(org)
            .bind(report)
            .fetch_all(pool)
            .await?)
        })
    }

    pub async fn set_period_lock_date(&self, org: i64, date: Option<NaiveDate>) -> StoreResult<()> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE organisations SET period_lock_date = $1 WHERE id = $2")
                .bind(date)
                .bind(org)
                .execute(pool)
                .await?;
        });
        Ok(())
    }
}

impl Store {
    /// Connected organisations in some group with no sync run created since
    /// `since` (nothing queued, running or recently finished).
    ///
    /// A run still queued or running makes its organisation not due, however
    /// long ago it was queued: connecting a hundred organisations queues a
    /// hundred first syncs that wait for a worker longer than the interval,
    /// and queuing a second run behind each only doubles the work. A run in
    /// progress for more than a day is taken for one a crash left behind and
    /// no longer holds its organisation back.
    pub async fn organisations_due_for_sync(&self, since: DateTime<Utc>) -> StoreResult<Vec<i64>> {
        let stale = Utc::now() - chrono::Duration::days(1);
        on_pool!(self, pool => {
            Ok(sqlx::query_scalar(
                "SELECT o.id FROM organisations o WHERE o.connection_state = 'connected' \
                 AND EXISTS (SELECT 1 FROM entities e WHERE e.organisation_id = o.id) \
                 AND NOT EXISTS (SELECT 1 FROM sync_runs r WHERE r.organisation_id = o.id AND r.created_at > $1) \
                 AND NOT EXISTS (SELECT 1 FROM sync_runs r WHERE r.organisation_id = o.id \
                     AND r.state IN ('queued', 'running') AND r.created_at > $2) \
                 ORDER BY o.id",
            )
            .bind(since)
            .bind(stale)
            .fetch_all(pool)
            .await?)
        })
    }
}

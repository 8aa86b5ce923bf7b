//! Writing a group's chart of accounts: new group accounts, and the
//! mappings of the entity whose chart they were copied from, in one audited
//! transaction.

use chrono::{DateTime, Utc};

use super::audit::{AuditEntry, insert_audit};
use super::{BeginWrite, Store, StoreResult, on_pool};

/// A group account to add: code, name, class (`REVENUE`, ...) and section
/// (`Income`, ...), as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewGroupAccount {
    pub code: String,
    pub name: String,
    pub class: String,
    pub section: String,
}

/// An entity account mapped (confirmed) onto the `index`-th new account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewChartMapping {
    pub organisation_id: i64,
    pub account_id: String,
    pub index: usize,
}

/// What a chart write did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChartWrite {
    /// The new accounts' ids, in the order given.
    Written(Vec<i64>),
    /// Refused: the group already has this many accounts and the write
    /// asked for an empty chart.
    NotEmpty(usize),
    /// Refused: these codes are already in the group's chart.
    CodesTaken(Vec<String>),
}

impl Store {
    /// Adds `accounts` to a group's chart (after the existing ones) and
    /// `mappings` onto them, audited as `action` with `detail` in the same
    /// transaction. With `require_empty`, nothing is written when the group
    /// already has a chart; a code already in the chart refuses the whole
    /// write. Reads and writes happen in one write transaction, so two
    /// requests cannot both start a chart.
    #[allow(clippy::too_many_arguments)]
    pub async fn write_group_chart(
        &self,
        group_id: i64,
        accounts: &[NewGroupAccount],
        mappings: &[NewChartMapping],
        require_empty: bool,
        action: &str,
        detail: String,
        by: Option<i64>,
        now: DateTime<Utc>,
    ) -> StoreResult<ChartWrite> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let existing: Vec<(String, i32)> =
                sqlx::query_as("SELECT code, position FROM group_accounts WHERE group_id = $1")
                    .bind(group_id)
                    .fetch_all(&mut *tx)
                    .await?;
            if require_empty && !existing.is_empty() {
                return Ok(ChartWrite::NotEmpty(existing.len()));
            }
            let taken: Vec<String> = accounts
                .iter()
                .filter(|a| existing.iter().any(|(c, _)| c == &a.code))
                .map(|a| a.code.clone())
                .collect();
            if !taken.is_empty() {
                return Ok(ChartWrite::CodesTaken(taken));
            }
            let first = existing.iter().map(|(_, p)| p + 1).max().unwrap_or(0);
            let mut ids = Vec::with_capacity(accounts.len());
            for (i, a) in accounts.iter().enumerate() {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO group_accounts (group_id, code, name, class, section, position) \
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                )
                .bind(group_id)
                .bind(&a.code)
                .bind(&a.name)
                .bind(&a.class)
                .bind(&a.section)
                .bind(first + i as i32)
                .fetch_one(&mut *tx)
                .await?;
                ids.push(id);
            }
            for m in mappings {
                let Some(&group_account) = ids.get(m.index) else {
                    continue;
                };
                sqlx::query(
                    "INSERT INTO account_mappings (group_id, organisation_id, account_id, group_account_id, \
                         confirmed, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                     ON CONFLICT (group_id, organisation_id, account_id) DO UPDATE SET \
                         group_account_id = excluded.group_account_id, confirmed = excluded.confirmed, \
                         updated_by = excluded.updated_by, updated_at = excluded.updated_at",
                )
                .bind(group_id)
                .bind(m.organisation_id)
                .bind(&m.account_id)
                .bind(group_account)
                .bind(true)
                .bind(by)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            let entry = AuditEntry::new(action, by).group(group_id).detail(detail);
            insert_audit!(&mut *tx, entry, now).await?;
            tx.commit().await?;
            Ok(ChartWrite::Written(ids))
        })
    }
}

//! Subsidiaries' ownership: who owns each, how much, since when, and its
//! equity at acquisition. Every change is audited in its transaction.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::audit::{AuditEntry, insert_audit};
use super::types::Dec;
use super::{BeginWrite, Store, StoreResult, on_pool};
use crate::domain::Month;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnershipRow {
    pub entity_id: i64,
    pub owner_entity_id: i64,
    /// Percent held, 0 < p ≤ 100.
    pub percent: Decimal,
    /// The month whose end is the acquisition date.
    pub acquired: Month,
    /// Net assets on that date, in the entity's base currency.
    pub equity_at_acquisition: Decimal,
    /// Presentation currency per unit of base currency on that date.
    pub historical_rate: Decimal,
    /// The owner's AccountIDs that hold the investment.
    pub investment_accounts: Vec<String>,
    /// Later capital contributions, in month order.
    pub contributions: Vec<Contribution>,
}

/// A capital contribution after acquisition, at its own historical rate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contribution {
    /// The month whose end is the contribution's date.
    pub month: Month,
    /// In the subsidiary's base currency.
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    /// Presentation currency per unit of base currency on that date.
    #[serde(with = "rust_decimal::serde::str")]
    pub historical_rate: Decimal,
}

type Raw = (i64, i64, Dec, Month, Dec, Dec, String, String);

fn describe(r: &OwnershipRow, names: &dyn Fn(i64) -> String) -> String {
    format!(
        "{} owned {}% by {} since {}, equity at acquisition {} at {}, investment accounts {}, contributions {}",
        names(r.entity_id),
        r.percent,
        names(r.owner_entity_id),
        r.acquired,
        r.equity_at_acquisition,
        r.historical_rate,
        if r.investment_accounts.is_empty() {
            "none".to_string()
        } else {
            r.investment_accounts.join(", ")
        },
        if r.contributions.is_empty() {
            "none".to_string()
        } else {
            r.contributions
                .iter()
                .map(|c| format!("{} in {} at {}", c.amount, c.month, c.historical_rate))
                .collect::<Vec<_>>()
                .join(", ")
        }
    )
}

const SELECT: &str = "SELECT entity_id, owner_entity_id, percent, acquired, equity_at_acquisition, \
     historical_rate, investment_accounts, contributions FROM entity_ownership WHERE group_id = $1 ORDER BY entity_id";

fn decode(rows: Vec<Raw>) -> StoreResult<Vec<OwnershipRow>> {
    rows.into_iter()
        .map(
            |(entity_id, owner, percent, acquired, equity, rate, accounts, contributions)| {
                let investment_accounts: Vec<String> = serde_json::from_str(&accounts)
                    .map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
                let contributions: Vec<Contribution> = serde_json::from_str(&contributions)
                    .map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
                Ok(OwnershipRow {
                    entity_id,
                    owner_entity_id: owner,
                    percent: percent.0,
                    acquired,
                    equity_at_acquisition: equity.0,
                    historical_rate: rate.0,
                    investment_accounts,
                    contributions,
                })
            },
        )
        .collect()
}

/// The audit text of a change, or None when nothing changes.
fn change_detail(
    before: &[OwnershipRow],
    rows: &[OwnershipRow],
    remove: &[i64],
    names: &dyn Fn(i64) -> String,
) -> Option<String> {
    let mut detail = Vec::new();
    for r in rows {
        match before.iter().find(|b| b.entity_id == r.entity_id) {
            Some(b) if b == r => {}
            Some(b) => detail.push(format!(
                "changed {} (was: {})",
                describe(r, names),
                describe(b, names)
            )),
            None => detail.push(format!("set {}", describe(r, names))),
        }
    }
    for e in remove {
        if before.iter().any(|b| b.entity_id == *e) {
            detail.push(format!("removed the ownership of {}", names(*e)));
        }
    }
    (!detail.is_empty()).then(|| detail.join("; "))
}

impl Store {
    pub async fn ownership(&self, group_id: i64) -> StoreResult<Vec<OwnershipRow>> {
        let rows: Vec<Raw> = on_pool!(self, pool => {
            sqlx::query_as(SELECT)
            .bind(group_id)
            .fetch_all(pool)
            .await?
        });
        decode(rows)
    }

    /// Sets ownership rows and removes those of `remove` (entity ids), as
    /// one audited change whose detail names each row from what to what.
    /// `names` gives an entity's name for the audit text.
    pub async fn set_ownership(
        &self,
        group_id: i64,
        rows: &[OwnershipRow],
        remove: &[i64],
        names: &dyn Fn(i64) -> String,
        by: Option<i64>,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            // Read in the write transaction, so the audit's "was" is what
            // this change replaced.
            let raw: Vec<Raw> = sqlx::query_as(SELECT)
                .bind(group_id)
                .fetch_all(&mut *tx)
                .await?;
            let Some(detail) = change_detail(&decode(raw)?, rows, remove, names) else {
                return Ok(());
            };
            for r in rows {
                let accounts = serde_json::to_string(&r.investment_accounts)
                    .map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
                let contributions = serde_json::to_string(&r.contributions)
                    .map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
                sqlx::query(
                    "INSERT INTO entity_ownership (entity_id, group_id, owner_entity_id, percent, acquired, \
                         equity_at_acquisition, historical_rate, investment_accounts, contributions, updated_by, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                     ON CONFLICT (entity_id) DO UPDATE SET owner_entity_id = excluded.owner_entity_id, \
                         percent = excluded.percent, acquired = excluded.acquired, \
                         equity_at_acquisition = excluded.equity_at_acquisition, \
                         historical_rate = excluded.historical_rate, \
                         investment_accounts = excluded.investment_accounts, \
                         contributions = excluded.contributions, \
                         updated_by = excluded.updated_by, updated_at = excluded.updated_at",
                )
                .bind(r.entity_id)
                .bind(group_id)
                .bind(r.owner_entity_id)
                .bind(Dec(r.percent))
                .bind(r.acquired)
                .bind(Dec(r.equity_at_acquisition))
                .bind(Dec(r.historical_rate))
                .bind(accounts)
                .bind(contributions)
                .bind(by)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            for e in remove {
                sqlx::query("DELETE FROM entity_ownership WHERE group_id = $1 AND entity_id = $2")
                    .bind(group_id)
                    .bind(e)
                    .execute(&mut *tx)
                    .await?;
            }
            let entry = AuditEntry::new("ownership.set", by)
                .group(group_id)
                .detail(detail);
            insert_audit!(&mut *tx, entry, now).await?;
            tx.commit().await?;
        });
        Ok(())
    }
}

//! Monthly report amounts as Xero reported them.

use std::fmt;

use rust_decimal::Decimal;

use super::types::Dec;
use super::{BeginWrite, Store, StoreResult, on_pool};
use crate::domain::{Month, ParseError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportKind {
    ProfitAndLoss,
    BalanceSheet,
}

impl ReportKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::ProfitAndLoss => "profit_and_loss",
            Self::BalanceSheet => "balance_sheet",
        }
    }
}

/// What kind of report row an amount came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RowKind {
    /// A row with Xero's AccountID.
    Account,
    /// A row without one (such as an `FXGROUPID` system group).
    Other,
    /// A summary row (section totals, Gross Profit, Net Profit), kept to tie
    /// out against.
    Summary,
}

impl RowKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Account => "account",
            Self::Other => "other",
            Self::Summary => "summary",
        }
    }

    pub fn parse(s: &str) -> Result<Self, ParseError> {
        match s {
            "account" => Ok(Self::Account),
            "other" => Ok(Self::Other),
            "summary" => Ok(Self::Summary),
            _ => Err(ParseError(format!("unknown row kind '{s}'"))),
        }
    }
}

impl fmt::Display for RowKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportAmount {
    /// AccountID, or a key made of section and label for rows without one.
    pub row_key: String,
    pub account_id: Option<String>,
    pub section: String,
    pub label: String,
    pub kind: RowKind,
    pub amount: Decimal,
    pub sync_run_id: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct Row {
    row_key: String,
    account_id: Option<String>,
    section: String,
    label: String,
    row_kind: String,
    amount: Dec,
    sync_run_id: Option<i64>,
}

impl Store {
    /// Replaces one organisation's rows for one report and month, all or
    /// nothing: a failure leaves the earlier rows in place.
    pub async fn replace_report_month(
        &self,
        organisation_id: i64,
        report: ReportKind,
        month: Month,
        rows: &[ReportAmount],
    ) -> StoreResult<()> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "DELETE FROM report_amounts WHERE organisation_id = $1 AND report = $2 AND month = $3",
            )
            .bind(organisation_id)
            .bind(report.as_str())
            .bind(month)
            .execute(&mut *tx)
            .await?;
            for r in rows {
                sqlx::query(
                    "INSERT INTO report_amounts (organisation_id, report, month, row_key, account_id, \
                         section, label, row_kind, amount, sync_run_id) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(organisation_id)
                .bind(report.as_str())
                .bind(month)
                .bind(&r.row_key)
                .bind(&r.account_id)
                .bind(&r.section)
                .bind(&r.label)
                .bind(r.kind.as_str())
                .bind(Dec(r.amount))
                .bind(r.sync_run_id)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// One month's rows, in row-key order.
    pub async fn report_month(
        &self,
        organisation_id: i64,
        report: ReportKind,
        month: Month,
    ) -> StoreResult<Vec<ReportAmount>> {
        let rows = on_pool!(self, pool => {
            sqlx::query_as::<_, Row>(
                "SELECT row_key, account_id, section, label, row_kind, amount, sync_run_id \
                 FROM report_amounts WHERE organisation_id = $1 AND report = $2 AND month = $3 \
                 ORDER BY row_key",
            )
            .bind(organisation_id)
            .bind(report.as_str())
            .bind(month)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|r| {
                let kind =
                    RowKind::parse(&r.row_kind).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
                Ok(ReportAmount {
                    row_key: r.row_key,
                    account_id: r.account_id,
                    section: r.section,
                    label: r.label,
                    kind,
                    amount: r.amount.0,
                    sync_run_id: r.sync_run_id,
                })
            })
            .collect()
    }
}

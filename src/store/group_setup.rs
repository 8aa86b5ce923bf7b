//! A group's consolidation set-up: its chart of accounts, account mappings,
//! FX rates and intercompany contacts. Every change is audited.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::audit::{AuditEntry, insert_audit};
use super::changes;
use super::types::Dec;
use super::{BeginWrite, Store, StoreResult, on_pool};
use crate::domain::{CurrencyCode, Month};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct GroupAccountRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub class: String,
    pub section: String,
    pub position: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MappingRow {
    pub organisation_id: i64,
    pub account_id: String,
    pub group_account_id: i64,
    pub confirmed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct IcContactRow {
    pub organisation_id: i64,
    pub contact_id: String,
    pub counterpart_entity_id: i64,
    pub confirmed: bool,
    /// Marked "not intercompany" by a user: never suggested again, never
    /// confirmed. `counterpart_entity_id` keeps the entity it was
    /// suggested as.
    pub rejected: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateRow {
    pub currency: CurrencyCode,
    pub month: Month,
    pub average: Decimal,
    pub closing: Decimal,
}

/// An entity account as the engine needs it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredAccount {
    pub organisation_id: i64,
    pub account_id: String,
    pub code: Option<String>,
    pub name: String,
    pub account_type: String,
    pub class: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredContact {
    pub organisation_id: i64,
    pub contact_id: String,
    pub name: String,
}

/// A P&L row that is neither a summary nor an account of the chart (such
/// as `FXGROUPID`), as stored in any month.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredOtherRow {
    pub row_key: String,
    pub account_id: Option<String>,
    pub section: String,
    pub label: String,
    pub row_kind: String,
}

/// A P&L amount as stored, with the month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAmount {
    pub organisation_id: i64,
    pub month: Month,
    pub row_key: String,
    pub account_id: Option<String>,
    pub section: String,
    pub label: String,
    pub row_kind: String,
    pub amount: Decimal,
    pub sync_run_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredInvoice {
    pub organisation_id: i64,
    pub invoice_id: String,
    pub invoice_type: String,
    pub invoice_number: Option<String>,
    pub contact_id: String,
    pub contact_name: Option<String>,
    pub date: NaiveDate,
    pub status: String,
    pub line_amount_types: String,
    pub currency_code: String,
    /// NULL when Xero sent none (a foreign invoice without a rate is never
    /// read as rate 1).
    pub currency_rate: Option<Decimal>,
    pub total: Decimal,
    pub lines: Vec<StoredLine>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredLine {
    pub line_item_id: Option<String>,
    pub description: Option<String>,
    pub account_code: Option<String>,
    pub account_id: Option<String>,
    /// `None` when Xero sent no amount (never read as 0).
    pub line_amount: Option<Decimal>,
    pub tax_amount: Option<Decimal>,
}

impl Store {
    /// Adds group accounts (code unique per group); returns their ids in
    /// order. Existing codes are left as they are.
    pub async fn add_group_accounts(
        &self,
        group_id: i64,
        rows: &[(String, String, String, String)],
    ) -> StoreResult<Vec<i64>> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let mut ids = Vec::new();
            for (i, (code, name, class, section)) in rows.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO group_accounts (group_id, code, name, class, section, position) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (group_id, code) DO NOTHING",
                )
                .bind(group_id)
                .bind(code)
                .bind(name)
                .bind(class)
                .bind(section)
                .bind(i as i32)
                .execute(&mut *tx)
                .await?;
                let id: i64 = sqlx::query_scalar("SELECT id FROM group_accounts WHERE group_id = $1 AND code = $2")
                    .bind(group_id)
                    .bind(code)
                    .fetch_one(&mut *tx)
                    .await?;
                ids.push(id);
            }
            tx.commit().await?;
            Ok(ids)
        })
    }

    pub async fn group_accounts(&self, group_id: i64) -> StoreResult<Vec<GroupAccountRow>> {
        on_pool!(self, pool => {
            Ok(sqlx::query_as::<_, GroupAccountRow>(
                "SELECT id, code, name, class, section, position FROM group_accounts \
                 WHERE group_id = $1 ORDER BY position, id",
            )
            .bind(group_id)
            .fetch_all(pool)
            .await?)
        })
    }

    /// Sets mappings (confirmed or suggested), audited as one change.
    pub async fn set_mappings(
        &self,
        group_id: i64,
        rows: &[MappingRow],
        by: Option<i64>,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.change_mappings(group_id, rows, &[], by, now).await
    }

    /// Sets mappings and removes others (`(organisation_id, account_id)`),
    /// audited as one change whose detail names each account that changed,
    /// from what to what (see `changes::mappings`).
    pub async fn change_mappings(
        &self,
        group_id: i64,
        rows: &[MappingRow],
        remove: &[(i64, String)],
        by: Option<i64>,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let before = sqlx::query_as::<_, MappingRow>(
                "SELECT organisation_id, account_id, group_account_id, confirmed FROM account_mappings \
                 WHERE group_id = $1",
            )
            .bind(group_id)
            .fetch_all(&mut *tx)
            .await?;
            let accounts: Vec<(i64, String, Option<String>, String, String)> = sqlx::query_as(
                "SELECT a.organisation_id, a.account_id, a.code, a.name, o.name FROM accounts a \
                 JOIN organisations o ON o.id = a.organisation_id \
                 JOIN entities e ON e.organisation_id = a.organisation_id WHERE e.group_id = $1",
            )
            .bind(group_id)
            .fetch_all(&mut *tx)
            .await?;
            let group_accounts: Vec<(i64, String, String)> =
                sqlx::query_as("SELECT id, code, name FROM group_accounts WHERE group_id = $1")
                    .bind(group_id)
                    .fetch_all(&mut *tx)
                    .await?;
            let names = changes::MappingNames {
                accounts: accounts
                    .into_iter()
                    .map(|(org, id, code, name, entity)| {
                        let label = match code {
                            Some(c) if !c.is_empty() => format!("{entity} {c} {name}"),
                            _ => format!("{entity} {name}"),
                        };
                        ((org, id), label)
                    })
                    .collect(),
                group_accounts: group_accounts
                    .into_iter()
                    .map(|(id, code, name)| (id, format!("{code} {name}")))
                    .collect(),
            };
            for m in rows {
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
                .bind(m.group_account_id)
                .bind(m.confirmed)
                .bind(by)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            for (org, account) in remove {
                sqlx::query(
                    "DELETE FROM account_mappings WHERE group_id = $1 AND organisation_id = $2 \
                     AND account_id = $3",
                )
                .bind(group_id)
                .bind(org)
                .bind(account)
                .execute(&mut *tx)
                .await?;
            }
            let entry = AuditEntry::new("mappings.set", by)
                .group(group_id)
                .detail(changes::mappings(&before, rows, remove, &names));
            insert_audit!(&mut *tx, entry, now).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn mappings(&self, group_id: i64) -> StoreResult<Vec<MappingRow>> {
        on_pool!(self, pool => {
            Ok(sqlx::query_as::<_, MappingRow>(
                "SELECT organisation_id, account_id, group_account_id, confirmed FROM account_mappings \
                 WHERE group_id = $1 ORDER BY organisation_id, account_id",
            )
            .bind(group_id)
            .fetch_all(pool)
            .await?)
        })
    }

    /// Replaces rates for (currency, month) pairs, audited.
    pub async fn set_fx_rates(
        &self,
        group_id: i64,
        rows: &[RateRow],
        by: Option<i64>,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let before: Vec<(CurrencyCode, Month, Dec, Dec)> = sqlx::query_as(
                "SELECT currency, month, average, closing FROM fx_rates WHERE group_id = $1",
            )
            .bind(group_id)
            .fetch_all(&mut *tx)
            .await?;
            let before: Vec<RateRow> = before
                .into_iter()
                .map(|(currency, month, average, closing)| RateRow {
                    currency,
                    month,
                    average: average.0,
                    closing: closing.0,
                })
                .collect();
            for r in rows {
                sqlx::query(
                    "INSERT INTO fx_rates (group_id, currency, month, average, closing) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (group_id, currency, month) DO UPDATE SET average = excluded.average, \
                         closing = excluded.closing",
                )
                .bind(group_id)
                .bind(r.currency)
                .bind(r.month)
                .bind(Dec(r.average))
                .bind(Dec(r.closing))
                .execute(&mut *tx)
                .await?;
            }
            let entry = AuditEntry::new("fx_rates.set", by)
                .group(group_id)
                .detail(changes::rates(&before, rows));
            insert_audit!(&mut *tx, entry, now).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn fx_rates(&self, group_id: i64) -> StoreResult<Vec<RateRow>> {
        let rows: Vec<(CurrencyCode, Month, Dec, Dec)> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT currency, month, average, closing FROM fx_rates WHERE group_id = $1 ORDER BY currency, month",
            )
            .bind(group_id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(currency, month, a, c)| RateRow {
                currency,
                month,
                average: a.0,
                closing: c.0,
            })
            .collect())
    }

    /// Sets intercompany contacts, audited as `intercompany_contacts.set`.
    pub async fn set_intercompany_contacts(
        &self,
        group_id: i64,
        rows: &[IcContactRow],
        by: Option<i64>,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.record_intercompany_contacts(group_id, rows, "intercompany_contacts.set", by, now)
            .await
    }

    /// Sets intercompany contacts, audited as one change under `action`
    /// (`intercompany_contacts.*`), whose detail names each contact (the
    /// first [`changes::LISTED`]), its entity, its counterpart and its state.
    pub async fn record_intercompany_contacts(
        &self,
        group_id: i64,
        rows: &[IcContactRow],
        action: &str,
        by: Option<i64>,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let mut named = Vec::new();
            for c in rows {
                sqlx::query(
                    "INSERT INTO intercompany_contacts (group_id, organisation_id, contact_id, \
                         counterpart_entity_id, confirmed, rejected, updated_by, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                     ON CONFLICT (group_id, organisation_id, contact_id) DO UPDATE SET \
                         counterpart_entity_id = excluded.counterpart_entity_id, confirmed = excluded.confirmed, \
                         rejected = excluded.rejected, \
                         updated_by = excluded.updated_by, updated_at = excluded.updated_at",
                )
                .bind(group_id)
                .bind(c.organisation_id)
                .bind(&c.contact_id)
                .bind(c.counterpart_entity_id)
                .bind(c.confirmed)
                .bind(c.rejected)
                .bind(by)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                if named.len() < changes::LISTED {
                    let (entity, contact, counterpart): (Option<String>, Option<String>, Option<String>) =
                        sqlx::query_as(
                            "SELECT (SELECT name FROM organisations WHERE id = $1), \
                                 (SELECT name FROM contacts WHERE organisation_id = $1 AND contact_id = $2), \
                                 (SELECT o.name FROM entities e JOIN organisations o ON o.id = e.organisation_id \
                                  WHERE e.id = $3)",
                        )
                        .bind(c.organisation_id)
                        .bind(&c.contact_id)
                        .bind(c.counterpart_entity_id)
                        .fetch_one(&mut *tx)
                        .await?;
                    let entity = entity.unwrap_or_else(|| format!("organisation {}", c.organisation_id));
                    let contact = contact.unwrap_or_else(|| c.contact_id.clone());
                    let counterpart =
                        counterpart.unwrap_or_else(|| format!("entity {}", c.counterpart_entity_id));
                    named.push(if c.rejected {
                        format!("{entity}: contact “{contact}” is not intercompany (was suggested as {counterpart})")
                    } else {
                        format!(
                            "{entity}: contact “{contact}” is {counterpart}, {}",
                            if c.confirmed { "confirmed" } else { "unconfirmed" }
                        )
                    });
                }
            }
            let entry = AuditEntry::new(action, by)
                .group(group_id)
                .detail(changes::named_detail(changes::counted(rows.len(), "contact"), named, rows.len()));
            insert_audit!(&mut *tx, entry, now).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn intercompany_contacts(&self, group_id: i64) -> StoreResult<Vec<IcContactRow>> {
        on_pool!(self, pool => {
            Ok(sqlx::query_as::<_, IcContactRow>(
                "SELECT organisation_id, contact_id, counterpart_entity_id, confirmed, rejected FROM intercompany_contacts \
                 WHERE group_id = $1 ORDER BY organisation_id, contact_id",
            )
            .bind(group_id)
            .fetch_all(pool)
            .await?)
        })
    }

    pub async fn accounts_of(&self, org: i64) -> StoreResult<Vec<StoredAccount>> {
        on_pool!(self, pool => {
            Ok(sqlx::query_as::<_, StoredAccount>(
                "SELECT organisation_id, account_id, code, name, account_type, class FROM accounts \
                 WHERE organisation_id = $1 ORDER BY code, name",
            )
            .bind(org)
            .fetch_all(pool)
            .await?)
        })
    }

    /// The distinct P&L rows of an organisation that are not summaries and
    /// not accounts of its synced chart: the rows a mapping may name by key.
    pub async fn pnl_other_rows(&self, org: i64) -> StoreResult<Vec<StoredOtherRow>> {
        on_pool!(self, pool => {
            Ok(sqlx::query_as::<_, StoredOtherRow>(
                "SELECT DISTINCT row_key, account_id, section, label, row_kind FROM report_amounts \
                 WHERE organisation_id = $1 AND report = 'profit_and_loss' \
                   AND row_kind <> 'summary' \
                   AND (account_id IS NULL OR account_id NOT IN \
                        (SELECT account_id FROM accounts WHERE organisation_id = $1)) \
                 ORDER BY section, label, row_key",
            )
            .bind(org)
            .fetch_all(pool)
            .await?)
        })
    }

    pub async fn contacts_of(&self, org: i64) -> StoreResult<Vec<StoredContact>> {
        on_pool!(self, pool => {
            Ok(sqlx::query_as::<_, StoredContact>(
                "SELECT organisation_id, contact_id, name FROM contacts WHERE organisation_id = $1 ORDER BY name",
            )
            .bind(org)
            .fetch_all(pool)
            .await?)
        })
    }

    /// P&L rows of an organisation for months `from..=to`.
    pub async fn pnl_amounts(
        &self,
        org: i64,
        from: Month,
        to: Month,
    ) -> StoreResult<Vec<StoredAmount>> {
        type Row = (
            Month,
            String,
            Option<String>,
            String,
            String,
            String,
            Dec,
            Option<i64>,
        );
        let rows: Vec<Row> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT month, row_key, account_id, section, label, row_kind, amount, sync_run_id \
                 FROM report_amounts WHERE organisation_id = $1 AND report = 'profit_and_loss' \
                   AND month >= $2 AND month <= $3",
            )
            .bind(org)
            .bind(from)
            .bind(to)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(month, row_key, account_id, section, label, row_kind, amount, sync_run_id)| {
                    StoredAmount {
                        organisation_id: org,
                        month,
                        row_key,
                        account_id,
                        section,
                        label,
                        row_kind,
                        amount: amount.0,
                        sync_run_id,
                    }
                },
            )
            .collect())
    }

    /// Invoices of an organisation to or from `contact_ids`, dated in
    /// `from..=to`, with their lines.
    pub async fn invoices_with_contacts(
        &self,
        org: i64,
        contact_ids: &[String],
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<StoredInvoice>> {
        type Head = (
            String,
            String,
            Option<String>,
            String,
            Option<String>,
            NaiveDate,
            String,
            String,
            String,
            Option<Dec>,
            Dec,
        );
        type Line = (
            String,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<Dec>,
            Option<Dec>,
        );
        let mut out = Vec::new();
        for contact in contact_ids {
            let (heads, lines): (Vec<Head>, Vec<Line>) = on_pool!(self, pool => {
                let heads = sqlx::query_as(
                    "SELECT invoice_id, invoice_type, invoice_number, contact_id, contact_name, invoice_date, \
                         status, line_amount_types, currency_code, currency_rate, total \
                     FROM invoices WHERE organisation_id = $1 AND contact_id = $2 \
                       AND invoice_date >= $3 AND invoice_date <= $4 ORDER BY invoice_date, invoice_id",
                )
                .bind(org)
                .bind(contact)
                .bind(from)
                .bind(to)
                .fetch_all(pool)
                .await?;
                let lines = sqlx::query_as(
                    "SELECT l.invoice_id, l.line_item_id, l.description, l.account_code, l.account_id, \
                         l.line_amount, l.tax_amount \
                     FROM invoice_lines l JOIN invoices i \
                       ON i.organisation_id = l.organisation_id AND i.invoice_id = l.invoice_id \
                     WHERE i.organisation_id = $1 AND i.contact_id = $2 \
                       AND i.invoice_date >= $3 AND i.invoice_date <= $4 ORDER BY l.invoice_id, l.position",
                )
                .bind(org)
                .bind(contact)
                .bind(from)
                .bind(to)
                .fetch_all(pool)
                .await?;
                (heads, lines)
            });
            let mut by_invoice: std::collections::HashMap<String, Vec<StoredLine>> =
                Default::default();
            for (iid, line_item_id, description, account_code, account_id, amount, tax) in lines {
                by_invoice.entry(iid).or_default().push(StoredLine {
                    line_item_id,
                    description,
                    account_code,
                    account_id,
                    line_amount: amount.map(|d| d.0),
                    tax_amount: tax.map(|d| d.0),
                });
            }
            for (
                invoice_id,
                t,
                number,
                contact_id,
                contact_name,
                date,
                status,
                lat,
                cur,
                rate,
                total,
            ) in heads
            {
                out.push(StoredInvoice {
                    organisation_id: org,
                    lines: by_invoice.remove(&invoice_id).unwrap_or_default(),
                    invoice_id,
                    invoice_type: t,
                    invoice_number: number,
                    contact_id,
                    contact_name,
                    date,
                    status,
                    line_amount_types: lat,
                    currency_code: cur,
                    currency_rate: rate.map(|d| d.0),
                    total: total.0,
                });
            }
        }
        Ok(out)
    }
}

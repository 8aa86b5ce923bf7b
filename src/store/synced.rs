//! Data synced from Xero, written with upserts keyed by Xero's ids so that
//! a repeated or resumed sync changes nothing twice. Each call is one
//! transaction: a page of invoices lands whole or not at all.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::types::Dec;
use super::{BeginWrite, Store, StoreResult, on_pool};

/// A line of an invoice or of any other document (credit note, bank
/// transaction, overpayment, prepayment).
pub type LineRow = InvoiceLineRow;

/// An account as stored (parsed from Xero's `Account`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRow {
    pub account_id: String,
    pub code: Option<String>,
    pub name: String,
    pub account_type: String,
    pub class: Option<String>,
    pub status: Option<String>,
    pub reporting_code: Option<String>,
    pub system_account: Option<String>,
    pub updated_at_xero: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactRow {
    pub contact_id: String,
    pub name: String,
    pub contact_status: Option<String>,
    pub is_customer: bool,
    pub is_supplier: bool,
    pub default_currency: Option<String>,
    pub updated_at_xero: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceRow {
    pub invoice_id: String,
    pub invoice_type: String,
    pub invoice_number: Option<String>,
    pub reference: Option<String>,
    pub contact_id: String,
    pub contact_name: Option<String>,
    pub date: NaiveDate,
    pub due_date: Option<NaiveDate>,
    pub status: String,
    pub line_amount_types: String,
    pub currency_code: String,
    /// Units of the invoice's currency per unit of base currency; `None`
    /// when Xero sent none (never stored as 1).
    pub currency_rate: Option<Decimal>,
    pub sub_total: Option<Decimal>,
    pub total_tax: Option<Decimal>,
    pub total: Decimal,
    pub amount_due: Option<Decimal>,
    pub amount_paid: Option<Decimal>,
    pub updated_at_xero: DateTime<Utc>,
    pub lines: Vec<InvoiceLineRow>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceLineRow {
    pub line_item_id: Option<String>,
    pub description: Option<String>,
    pub quantity: Option<Decimal>,
    pub unit_amount: Option<Decimal>,
    pub account_code: Option<String>,
    pub account_id: Option<String>,
    pub tax_type: Option<String>,
    /// `None` when Xero sent no amount (never stored as 0).
    pub tax_amount: Option<Decimal>,
    pub line_amount: Option<Decimal>,
    /// Xero's tracking array as JSON text.
    pub tracking: Option<String>,
}

/// Rows inserted and updated by an upsert.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Changed {
    pub inserted: u64,
    pub updated: u64,
}

impl std::ops::AddAssign for Changed {
    fn add_assign(&mut self, o: Self) {
        self.inserted += o.inserted;
        self.updated += o.updated;
    }
}

impl Store {
    pub async fn upsert_accounts(&self, org: i64, rows: &[AccountRow]) -> StoreResult<Changed> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let mut ch = Changed::default();
            for a in rows {
                let existed: bool = sqlx::query_scalar(
                    "SELECT EXISTS (SELECT 1 FROM accounts WHERE organisation_id = $1 AND account_id = $2)",
                )
                .bind(org)
                .bind(&a.account_id)
                .fetch_one(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO accounts (organisation_id, account_id, code, name, account_type, class, \
                         status, reporting_code, system_account, updated_at_xero) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                     ON CONFLICT (organisation_id, account_id) DO UPDATE SET code = excluded.code, \
                         name = excluded.name, account_type = excluded.account_type, class = excluded.class, \
                         status = excluded.status, reporting_code = excluded.reporting_code, \
                         system_account = excluded.system_account, updated_at_xero = excluded.updated_at_xero",
                )
                .bind(org)
                .bind(&a.account_id)
                .bind(&a.code)
                .bind(&a.name)
                .bind(&a.account_type)
                .bind(&a.class)
                .bind(&a.status)
                .bind(&a.reporting_code)
                .bind(&a.system_account)
                .bind(a.updated_at_xero)
                .execute(&mut *tx)
                .await?;
                if existed { ch.updated += 1 } else { ch.inserted += 1 }
            }
            tx.commit().await?;
            Ok(ch)
        })
    }

    pub async fn upsert_contacts(&self, org: i64, rows: &[ContactRow]) -> StoreResult<Changed> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let mut ch = Changed::default();
            for c in rows {
                let existed: bool = sqlx::query_scalar(
                    "SELECT EXISTS (SELECT 1 FROM contacts WHERE organisation_id = $1 AND contact_id = $2)",
                )
                .bind(org)
                .bind(&c.contact_id)
                .fetch_one(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO contacts (organisation_id, contact_id, name, contact_status, is_customer, \
                         is_supplier, default_currency, updated_at_xero) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                     ON CONFLICT (organisation_id, contact_id) DO UPDATE SET name = excluded.name, \
                         contact_status = excluded.contact_status, is_customer = excluded.is_customer, \
                         is_supplier = excluded.is_supplier, default_currency = excluded.default_currency, \
                         updated_at_xero = excluded.updated_at_xero",
                )
                .bind(org)
                .bind(&c.contact_id)
                .bind(&c.name)
                .bind(&c.contact_status)
                .bind(c.is_customer)
                .bind(c.is_supplier)
                .bind(&c.default_currency)
                .bind(c.updated_at_xero)
                .execute(&mut *tx)
                .await?;
                if existed { ch.updated += 1 } else { ch.inserted += 1 }
            }
            tx.commit().await?;
            Ok(ch)
        })
    }

    /// Upserts invoices and replaces their lines, all in one transaction.
    /// Voided and deleted invoices are updated like any other, so their new
    /// status is what the engine sees.
    pub async fn upsert_invoices(&self, org: i64, rows: &[InvoiceRow]) -> StoreResult<Changed> {
        let replaced_at = Utc::now();
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let mut ch = Changed::default();
            for i in rows {
                let existed: bool = sqlx::query_scalar(
                    "SELECT EXISTS (SELECT 1 FROM invoices WHERE organisation_id = $1 AND invoice_id = $2)",
                )
                .bind(org)
                .bind(&i.invoice_id)
                .fetch_one(&mut *tx)
                .await?;
                // The state this replaces, when Xero changed it (a closed
                // month's restatement reads it: see `document_versions`).
                sqlx::query(
                    "INSERT INTO document_versions (organisation_id, document_kind, document_id, replaced_at, \
                         status, document_date, line_amount_types, position, account_code, line_amount, tax_amount) \
                     SELECT i.organisation_id, 'invoice', i.invoice_id, $3, i.status, i.invoice_date, \
                         i.line_amount_types, l.position, l.account_code, l.line_amount, l.tax_amount \
                     FROM invoices i LEFT JOIN invoice_lines l \
                       ON l.organisation_id = i.organisation_id AND l.invoice_id = i.invoice_id \
                     WHERE i.organisation_id = $1 AND i.invoice_id = $2 AND i.updated_at_xero <> $4",
                )
                .bind(org)
                .bind(&i.invoice_id)
                .bind(replaced_at)
                .bind(i.updated_at_xero)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO invoices (organisation_id, invoice_id, invoice_type, invoice_number, reference, \
                         contact_id, contact_name, invoice_date, due_date, status, line_amount_types, \
                         currency_code, currency_rate, sub_total, total_tax, total, amount_due, amount_paid, \
                         updated_at_xero) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) \
                     ON CONFLICT (organisation_id, invoice_id) DO UPDATE SET \
                         invoice_type = excluded.invoice_type, invoice_number = excluded.invoice_number, \
                         reference = excluded.reference, contact_id = excluded.contact_id, \
                         contact_name = excluded.contact_name, invoice_date = excluded.invoice_date, \
                         due_date = excluded.due_date, status = excluded.status, \
                         line_amount_types = excluded.line_amount_types, currency_code = excluded.currency_code, \
                         currency_rate = excluded.currency_rate, sub_total = excluded.sub_total, \
                         total_tax = excluded.total_tax, total = excluded.total, \
                         amount_due = excluded.amount_due, amount_paid = excluded.amount_paid, \
                         updated_at_xero = excluded.updated_at_xero",
                )
                .bind(org)
                .bind(&i.invoice_id)
                .bind(&i.invoice_type)
                .bind(&i.invoice_number)
                .bind(&i.reference)
                .bind(&i.contact_id)
                .bind(&i.contact_name)
                .bind(i.date)
                .bind(i.due_date)
                .bind(&i.status)
                .bind(&i.line_amount_types)
                .bind(&i.currency_code)
                .bind(i.currency_rate.map(Dec))
                .bind(i.sub_total.map(Dec))
                .bind(i.total_tax.map(Dec))
                .bind(Dec(i.total))
                .bind(i.amount_due.map(Dec))
                .bind(i.amount_paid.map(Dec))
                .bind(i.updated_at_xero)
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM invoice_lines WHERE organisation_id = $1 AND invoice_id = $2")
                    .bind(org)
                    .bind(&i.invoice_id)
                    .execute(&mut *tx)
                    .await?;
                for (pos, l) in i.lines.iter().enumerate() {
                    sqlx::query(
                        "INSERT INTO invoice_lines (organisation_id, invoice_id, position, line_item_id, \
                             description, quantity, unit_amount, account_code, account_id, tax_type, \
                             tax_amount, line_amount, tracking) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                    )
                    .bind(org)
                    .bind(&i.invoice_id)
                    .bind(pos as i32)
                    .bind(&l.line_item_id)
                    .bind(&l.description)
                    .bind(l.quantity.map(Dec))
                    .bind(l.unit_amount.map(Dec))
                    .bind(&l.account_code)
                    .bind(&l.account_id)
                    .bind(&l.tax_type)
                    .bind(l.tax_amount.map(Dec))
                    .bind(l.line_amount.map(Dec))
                    .bind(&l.tracking)
                    .execute(&mut *tx)
                    .await?;
                }
                if existed { ch.updated += 1 } else { ch.inserted += 1 }
            }
            tx.commit().await?;
            Ok(ch)
        })
    }

    pub async fn count_invoices(&self, org: i64) -> StoreResult<i64> {
        on_pool!(self, pool => {
            Ok(sqlx::query_scalar("SELECT COUNT(*) FROM invoices WHERE organisation_id = $1")
                .bind(org)
                .fetch_one(pool)
                .await?)
        })
    }

    pub async fn invoice_status(
        &self,
        org: i64,
        invoice_id: &str,
    ) -> StoreResult<Option<(String, Decimal)>> {
        on_pool!(self, pool => {
            let row: Option<(String, Dec)> = sqlx::query_as(
                "SELECT status, total FROM invoices WHERE organisation_id = $1 AND invoice_id = $2",
            )
            .bind(org)
            .bind(invoice_id)
            .fetch_optional(pool)
            .await?;
            Ok(row.map(|(s, t)| (s, t.0)))
        })
    }
}

impl Store {
    pub async fn record_webhook_event(
        &self,
        tenant_id: &str,
        category: &str,
        event_type: &str,
        resource_id: &str,
        event_date: Option<&str>,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO webhook_events (received_at, tenant_id, event_category, event_type, resource_id, event_date) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(now)
            .bind(tenant_id)
            .bind(category)
            .bind(event_type)
            .bind(resource_id)
            .bind(event_date)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Consol's id for a connected organisation, by Xero tenant id.
    pub async fn connected_organisation_by_tenant(
        &self,
        tenant_id: &str,
    ) -> StoreResult<Option<i64>> {
        on_pool!(self, pool => {
            Ok(sqlx::query_scalar(
                "SELECT o.id FROM organisations o WHERE o.tenant_id = $1 AND o.connection_state = 'connected' \
                 AND EXISTS (SELECT 1 FROM entities e WHERE e.organisation_id = o.id)",
            )
            .bind(tenant_id)
            .fetch_optional(pool)
            .await?)
        })
    }
}

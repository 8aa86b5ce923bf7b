//! The rest of an organisation's books, synced from Xero as invoices are:
//! credit notes, bank transactions, payments, overpayments and prepayments,
//! each upserted by Xero id with its lines and allocations replaced in the
//! same transaction (a page lands whole or not at all). Amounts stay in the
//! document's currency with the document's own rate; a missing rate or
//! amount stays `None`, never 1 or 0.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::synced::LineRow;
use super::types::Dec;
use super::{BeginWrite, Changed, Store, StoreResult, StoredInvoice, StoredLine, on_pool};

/// Part of a credit note, overpayment or prepayment applied to an invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllocationRow {
    pub allocation_id: Option<String>,
    pub invoice_id: Option<String>,
    pub invoice_number: Option<String>,
    /// In the allocated document's currency.
    pub amount: Decimal,
    pub date: NaiveDate,
    pub is_deleted: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditNoteRow {
    pub credit_note_id: String,
    /// `ACCRECCREDIT`, `ACCPAYCREDIT`, or an unknown type verbatim.
    pub credit_note_type: String,
    pub credit_note_number: Option<String>,
    pub reference: Option<String>,
    pub contact_id: String,
    pub contact_name: Option<String>,
    pub date: NaiveDate,
    pub status: String,
    pub line_amount_types: String,
    pub currency_code: String,
    pub currency_rate: Option<Decimal>,
    pub sub_total: Option<Decimal>,
    pub total_tax: Option<Decimal>,
    pub total: Decimal,
    pub remaining_credit: Option<Decimal>,
    pub updated_at_xero: DateTime<Utc>,
    pub lines: Vec<LineRow>,
    pub allocations: Vec<AllocationRow>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankTransactionRow {
    pub bank_transaction_id: String,
    /// `SPEND`, `RECEIVE`, the overpayment, prepayment and transfer kinds,
    /// or an unknown type verbatim.
    pub bank_transaction_type: String,
    pub reference: Option<String>,
    pub contact_id: Option<String>,
    pub contact_name: Option<String>,
    pub bank_account_id: Option<String>,
    pub bank_account_code: Option<String>,
    pub date: NaiveDate,
    pub status: String,
    pub line_amount_types: String,
    pub currency_code: String,
    pub currency_rate: Option<Decimal>,
    pub sub_total: Option<Decimal>,
    pub total_tax: Option<Decimal>,
    pub total: Decimal,
    pub is_reconciled: Option<bool>,
    pub overpayment_id: Option<String>,
    pub prepayment_id: Option<String>,
    pub updated_at_xero: DateTime<Utc>,
    pub lines: Vec<LineRow>,
}

/// Which document a payment pays: exactly one is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaidDocument {
    Invoice { id: String, number: Option<String> },
    CreditNote { id: String, number: Option<String> },
    Overpayment(String),
    Prepayment(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRow {
    pub payment_id: String,
    pub payment_type: Option<String>,
    pub status: String,
    pub date: NaiveDate,
    /// In the paid document's currency.
    pub amount: Decimal,
    pub bank_amount: Option<Decimal>,
    /// The payment's own rate (not the document's); `None` when Xero sent
    /// none.
    pub currency_rate: Option<Decimal>,
    pub reference: Option<String>,
    pub account_id: Option<String>,
    pub account_code: Option<String>,
    pub pays: PaidDocument,
    pub updated_at_xero: DateTime<Utc>,
}

/// Overpayments and prepayments have the same shape; [`PrepaymentKind`]
/// says which table a row goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrepaymentKind {
    Overpayment,
    Prepayment,
}

impl PrepaymentKind {
    fn table(self) -> &'static str {
        match self {
            Self::Overpayment => "overpayments",
            Self::Prepayment => "prepayments",
        }
    }

    /// Also the `document_kind` of its lines and allocations.
    fn name(self) -> &'static str {
        match self {
            Self::Overpayment => "overpayment",
            Self::Prepayment => "prepayment",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrepaymentRow {
    pub id: String,
    /// Xero's `Type`, verbatim.
    pub prepayment_type: String,
    pub reference: Option<String>,
    pub contact_id: String,
    pub contact_name: Option<String>,
    pub date: NaiveDate,
    pub status: String,
    pub line_amount_types: String,
    pub currency_code: String,
    pub currency_rate: Option<Decimal>,
    pub sub_total: Option<Decimal>,
    pub total_tax: Option<Decimal>,
    pub total: Decimal,
    pub remaining_credit: Option<Decimal>,
    pub updated_at_xero: DateTime<Utc>,
    pub lines: Vec<LineRow>,
    pub allocations: Vec<AllocationRow>,
}

/// The documents the loader turns into the engine's invoices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadedKind {
    CreditNotes,
    BankTransactions,
}

/// Replaces a document's lines (inside the caller's transaction).
macro_rules! replace_lines {
    ($tx:expr, $org:expr, $kind:expr, $id:expr, $lines:expr) => {{
        sqlx::query(
            "DELETE FROM document_lines WHERE organisation_id = $1 AND document_kind = $2 AND document_id = $3",
        )
        .bind($org)
        .bind($kind)
        .bind($id)
        .execute(&mut *$tx)
        .await?;
        for (pos, l) in $lines.iter().enumerate() {
            sqlx::query(
                "INSERT INTO document_lines (organisation_id, document_kind, document_id, position, \
                     line_item_id, description, quantity, unit_amount, account_code, account_id, tax_type, \
                     tax_amount, line_amount, tracking) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
            )
            .bind($org)
            .bind($kind)
            .bind($id)
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
            .execute(&mut *$tx)
            .await?;
        }
    }};
}

/// Keeps the state of a credit note or bank transaction that a sync is
/// about to replace because Xero changed it (inside the caller's
/// transaction; a closed month's restatement reads it).
macro_rules! keep_version {
    ($tx:expr, $org:expr, $kind:expr, $table:literal, $id_col:literal, $date_col:literal, $id:expr, $updated:expr) => {{
        sqlx::query(concat!(
            "INSERT INTO document_versions (organisation_id, document_kind, document_id, replaced_at, \
                 status, document_date, line_amount_types, position, account_code, line_amount, tax_amount) \
             SELECT d.organisation_id, $3, d.", $id_col, ", $4, d.status, d.", $date_col, ", \
                 d.line_amount_types, l.position, l.account_code, l.line_amount, l.tax_amount \
             FROM ", $table, " d LEFT JOIN document_lines l ON l.organisation_id = d.organisation_id \
               AND l.document_kind = $3 AND l.document_id = d.", $id_col, " \
             WHERE d.organisation_id = $1 AND d.", $id_col, " = $2 AND d.updated_at_xero <> $5"
        ))
        .bind($org)
        .bind($id)
        .bind($kind)
        .bind(Utc::now())
        .bind($updated)
        .execute(&mut *$tx)
        .await?;
    }};
}

/// Replaces a document's allocations (inside the caller's transaction).
macro_rules! replace_allocations {
    ($tx:expr, $org:expr, $kind:expr, $id:expr, $allocations:expr) => {{
        sqlx::query(
            "DELETE FROM allocations WHERE organisation_id = $1 AND document_kind = $2 AND document_id = $3",
        )
        .bind($org)
        .bind($kind)
        .bind($id)
        .execute(&mut *$tx)
        .await?;
        for (pos, a) in $allocations.iter().enumerate() {
            sqlx::query(
                "INSERT INTO allocations (organisation_id, document_kind, document_id, position, \
                     allocation_id, invoice_id, invoice_number, amount, allocation_date, is_deleted) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind($org)
            .bind($kind)
            .bind($id)
            .bind(pos as i32)
            .bind(&a.allocation_id)
            .bind(&a.invoice_id)
            .bind(&a.invoice_number)
            .bind(Dec(a.amount))
            .bind(a.date)
            .bind(a.is_deleted)
            .execute(&mut *$tx)
            .await?;
        }
    }};
}

/// Whether a row with this key exists (inside the caller's transaction).
macro_rules! exists {
    ($tx:expr, $sql:expr, $org:expr, $id:expr) => {{
        let found: bool = sqlx::query_scalar(sqlx::AssertSqlSafe($sql))
            .bind($org)
            .bind($id)
            .fetch_one(&mut *$tx)
            .await?;
        found
    }};
}

impl Store {
    /// Upserts credit notes with their lines and allocations, one
    /// transaction for the lot.
    pub async fn upsert_credit_notes(
        &self,
        org: i64,
        rows: &[CreditNoteRow],
    ) -> StoreResult<Changed> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let mut ch = Changed::default();
            for c in rows {
                let existed = exists!(
                    tx,
                    "SELECT EXISTS (SELECT 1 FROM credit_notes WHERE organisation_id = $1 AND credit_note_id = $2)",
                    org,
                    &c.credit_note_id
                );
                keep_version!(tx, org, "credit_note", "credit_notes", "credit_note_id", "credit_note_date",
                    &c.credit_note_id, c.updated_at_xero);
                sqlx::query(
                    "INSERT INTO credit_notes (organisation_id, credit_note_id, credit_note_type, \
                         credit_note_number, reference, contact_id, contact_name, credit_note_date, status, \
                         line_amount_types, currency_code, currency_rate, sub_total, total_tax, total, \
                         remaining_credit, updated_at_xero) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
                     ON CONFLICT (organisation_id, credit_note_id) DO UPDATE SET \
                         credit_note_type = excluded.credit_note_type, \
                         credit_note_number = excluded.credit_note_number, reference = excluded.reference, \
                         contact_id = excluded.contact_id, contact_name = excluded.contact_name, \
                         credit_note_date = excluded.credit_note_date, status = excluded.status, \
                         line_amount_types = excluded.line_amount_types, \
                         currency_code = excluded.currency_code, currency_rate = excluded.currency_rate, \
                         sub_total = excluded.sub_total, total_tax = excluded.total_tax, \
                         total = excluded.total, remaining_credit = excluded.remaining_credit, \
                         updated_at_xero = excluded.updated_at_xero",
                )
                .bind(org)
                .bind(&c.credit_note_id)
                .bind(&c.credit_note_type)
                .bind(&c.credit_note_number)
                .bind(&c.reference)
                .bind(&c.contact_id)
                .bind(&c.contact_name)
                .bind(c.date)
                .bind(&c.status)
                .bind(&c.line_amount_types)
                .bind(&c.currency_code)
                .bind(c.currency_rate.map(Dec))
                .bind(c.sub_total.map(Dec))
                .bind(c.total_tax.map(Dec))
                .bind(Dec(c.total))
                .bind(c.remaining_credit.map(Dec))
                .bind(c.updated_at_xero)
                .execute(&mut *tx)
                .await?;
                replace_lines!(tx, org, "credit_note", &c.credit_note_id, c.lines);
                replace_allocations!(tx, org, "credit_note", &c.credit_note_id, c.allocations);
                if existed { ch.updated += 1 } else { ch.inserted += 1 }
            }
            tx.commit().await?;
            Ok(ch)
        })
    }

    pub async fn upsert_bank_transactions(
        &self,
        org: i64,
        rows: &[BankTransactionRow],
    ) -> StoreResult<Changed> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let mut ch = Changed::default();
            for b in rows {
                let existed = exists!(
                    tx,
                    "SELECT EXISTS (SELECT 1 FROM bank_transactions WHERE organisation_id = $1 AND bank_transaction_id = $2)",
                    org,
                    &b.bank_transaction_id
                );
                keep_version!(tx, org, "bank_transaction", "bank_transactions", "bank_transaction_id",
                    "transaction_date", &b.bank_transaction_id, b.updated_at_xero);
                sqlx::query(
                    "INSERT INTO bank_transactions (organisation_id, bank_transaction_id, \
                         bank_transaction_type, reference, contact_id, contact_name, transaction_date, status, \
                         line_amount_types, currency_code, currency_rate, sub_total, total_tax, total, \
                         bank_account_id, bank_account_code, is_reconciled, overpayment_id, prepayment_id, \
                         updated_at_xero) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, \
                         $19, $20) \
                     ON CONFLICT (organisation_id, bank_transaction_id) DO UPDATE SET \
                         bank_transaction_type = excluded.bank_transaction_type, \
                         reference = excluded.reference, contact_id = excluded.contact_id, \
                         contact_name = excluded.contact_name, transaction_date = excluded.transaction_date, \
                         status = excluded.status, line_amount_types = excluded.line_amount_types, \
                         currency_code = excluded.currency_code, currency_rate = excluded.currency_rate, \
                         sub_total = excluded.sub_total, total_tax = excluded.total_tax, \
                         total = excluded.total, bank_account_id = excluded.bank_account_id, \
                         bank_account_code = excluded.bank_account_code, \
                         is_reconciled = excluded.is_reconciled, overpayment_id = excluded.overpayment_id, \
                         prepayment_id = excluded.prepayment_id, updated_at_xero = excluded.updated_at_xero",
                )
                .bind(org)
                .bind(&b.bank_transaction_id)
                .bind(&b.bank_transaction_type)
                .bind(&b.reference)
                .bind(&b.contact_id)
                .bind(&b.contact_name)
                .bind(b.date)
                .bind(&b.status)
                .bind(&b.line_amount_types)
                .bind(&b.currency_code)
                .bind(b.currency_rate.map(Dec))
                .bind(b.sub_total.map(Dec))
                .bind(b.total_tax.map(Dec))
                .bind(Dec(b.total))
                .bind(&b.bank_account_id)
                .bind(&b.bank_account_code)
                .bind(b.is_reconciled)
                .bind(&b.overpayment_id)
                .bind(&b.prepayment_id)
                .bind(b.updated_at_xero)
                .execute(&mut *tx)
                .await?;
                replace_lines!(tx, org, "bank_transaction", &b.bank_transaction_id, b.lines);
                if existed { ch.updated += 1 } else { ch.inserted += 1 }
            }
            tx.commit().await?;
            Ok(ch)
        })
    }

    pub async fn upsert_payments(&self, org: i64, rows: &[PaymentRow]) -> StoreResult<Changed> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let mut ch = Changed::default();
            for p in rows {
                let existed = exists!(
                    tx,
                    "SELECT EXISTS (SELECT 1 FROM payments WHERE organisation_id = $1 AND payment_id = $2)",
                    org,
                    &p.payment_id
                );
                let (mut inv, mut inv_no, mut cn, mut cn_no, mut over, mut pre) =
                    (None, None, None, None, None, None);
                match &p.pays {
                    PaidDocument::Invoice { id, number } => (inv, inv_no) = (Some(id), number.as_ref()),
                    PaidDocument::CreditNote { id, number } => (cn, cn_no) = (Some(id), number.as_ref()),
                    PaidDocument::Overpayment(id) => over = Some(id),
                    PaidDocument::Prepayment(id) => pre = Some(id),
                }
                sqlx::query(
                    "INSERT INTO payments (organisation_id, payment_id, payment_type, status, payment_date, \
                         amount, bank_amount, currency_rate, reference, account_id, account_code, invoice_id, \
                         invoice_number, credit_note_id, credit_note_number, overpayment_id, prepayment_id, \
                         updated_at_xero) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) \
                     ON CONFLICT (organisation_id, payment_id) DO UPDATE SET \
                         payment_type = excluded.payment_type, status = excluded.status, \
                         payment_date = excluded.payment_date, amount = excluded.amount, \
                         bank_amount = excluded.bank_amount, currency_rate = excluded.currency_rate, \
                         reference = excluded.reference, account_id = excluded.account_id, \
                         account_code = excluded.account_code, invoice_id = excluded.invoice_id, \
                         invoice_number = excluded.invoice_number, credit_note_id = excluded.credit_note_id, \
                         credit_note_number = excluded.credit_note_number, \
                         overpayment_id = excluded.overpayment_id, prepayment_id = excluded.prepayment_id, \
                         updated_at_xero = excluded.updated_at_xero",
                )
                .bind(org)
                .bind(&p.payment_id)
                .bind(&p.payment_type)
                .bind(&p.status)
                .bind(p.date)
                .bind(Dec(p.amount))
                .bind(p.bank_amount.map(Dec))
                .bind(p.currency_rate.map(Dec))
                .bind(&p.reference)
                .bind(&p.account_id)
                .bind(&p.account_code)
                .bind(inv)
                .bind(inv_no)
                .bind(cn)
                .bind(cn_no)
                .bind(over)
                .bind(pre)
                .bind(p.updated_at_xero)
                .execute(&mut *tx)
                .await?;
                if existed { ch.updated += 1 } else { ch.inserted += 1 }
            }
            tx.commit().await?;
            Ok(ch)
        })
    }

    /// Upserts overpayments or prepayments with their lines and
    /// allocations.
    pub async fn upsert_prepayments(
        &self,
        org: i64,
        kind: PrepaymentKind,
        rows: &[PrepaymentRow],
    ) -> StoreResult<Changed> {
        let (table, name) = (kind.table(), kind.name());
        let exists_sql = format!(
            "SELECT EXISTS (SELECT 1 FROM {table} WHERE organisation_id = $1 AND {name}_id = $2)"
        );
        let upsert_sql = format!(
            "INSERT INTO {table} (organisation_id, {name}_id, {name}_type, reference, contact_id, \
                 contact_name, {name}_date, status, line_amount_types, currency_code, currency_rate, \
                 sub_total, total_tax, total, remaining_credit, updated_at_xero) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
             ON CONFLICT (organisation_id, {name}_id) DO UPDATE SET \
                 {name}_type = excluded.{name}_type, reference = excluded.reference, \
                 contact_id = excluded.contact_id, contact_name = excluded.contact_name, \
                 {name}_date = excluded.{name}_date, status = excluded.status, \
                 line_amount_types = excluded.line_amount_types, currency_code = excluded.currency_code, \
                 currency_rate = excluded.currency_rate, sub_total = excluded.sub_total, \
                 total_tax = excluded.total_tax, total = excluded.total, \
                 remaining_credit = excluded.remaining_credit, updated_at_xero = excluded.updated_at_xero"
        );
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let mut ch = Changed::default();
            for p in rows {
                let existed = exists!(tx, exists_sql.clone(), org, &p.id);
                sqlx::query(sqlx::AssertSqlSafe(upsert_sql.clone()))
                    .bind(org)
                    .bind(&p.id)
                    .bind(&p.prepayment_type)
                    .bind(&p.reference)
                    .bind(&p.contact_id)
                    .bind(&p.contact_name)
                    .bind(p.date)
                    .bind(&p.status)
                    .bind(&p.line_amount_types)
                    .bind(&p.currency_code)
                    .bind(p.currency_rate.map(Dec))
                    .bind(p.sub_total.map(Dec))
                    .bind(p.total_tax.map(Dec))
                    .bind(Dec(p.total))
                    .bind(p.remaining_credit.map(Dec))
                    .bind(p.updated_at_xero)
                    .execute(&mut *tx)
                    .await?;
                replace_lines!(tx, org, name, &p.id, p.lines);
                replace_allocations!(tx, org, name, &p.id, p.allocations);
                if existed { ch.updated += 1 } else { ch.inserted += 1 }
            }
            tx.commit().await?;
            Ok(ch)
        })
    }

    /// Rows of each synced document table for an organisation, by table
    /// name (for sync summaries and tests).
    pub async fn count_documents(&self, org: i64) -> StoreResult<Vec<(&'static str, i64)>> {
        let mut out = Vec::new();
        for table in [
            "credit_notes",
            "bank_transactions",
            "payments",
            "overpayments",
            "prepayments",
            "document_lines",
            "allocations",
        ] {
            let sql = format!("SELECT COUNT(*) FROM {table} WHERE organisation_id = $1");
            let n: i64 = on_pool!(self, pool => {
                sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                    .bind(org)
                    .fetch_one(pool)
                    .await?
            });
            out.push((table, n));
        }
        Ok(out)
    }

    /// A stored credit note, as the engine's loader reads it, with its
    /// allocations (for tests and checks).
    pub async fn credit_note(
        &self,
        org: i64,
        credit_note_id: &str,
    ) -> StoreResult<Option<(StoredInvoice, Vec<AllocationRow>)>> {
        let Some(doc) = self
            .documents(org, LoadedKind::CreditNotes, Filter::Id(credit_note_id))
            .await?
            .into_iter()
            .next()
        else {
            return Ok(None);
        };
        type Row = (
            Option<String>,
            Option<String>,
            Option<String>,
            Dec,
            NaiveDate,
            bool,
        );
        let rows: Vec<Row> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT allocation_id, invoice_id, invoice_number, amount, allocation_date, is_deleted \
                 FROM allocations WHERE organisation_id = $1 AND document_kind = 'credit_note' \
                   AND document_id = $2 ORDER BY position",
            )
            .bind(org)
            .bind(credit_note_id)
            .fetch_all(pool)
            .await?
        });
        let allocations = rows
            .into_iter()
            .map(
                |(allocation_id, invoice_id, invoice_number, amount, date, is_deleted)| {
                    AllocationRow {
                        allocation_id,
                        invoice_id,
                        invoice_number,
                        amount: amount.0,
                        date,
                        is_deleted,
                    }
                },
            )
            .collect();
        Ok(Some((doc, allocations)))
    }

    /// A stored bank transaction as the engine's loader reads it.
    pub async fn bank_transaction(
        &self,
        org: i64,
        bank_transaction_id: &str,
    ) -> StoreResult<Option<StoredInvoice>> {
        Ok(self
            .documents(
                org,
                LoadedKind::BankTransactions,
                Filter::Id(bank_transaction_id),
            )
            .await?
            .into_iter()
            .next())
    }

    /// A stored payment's status, amount and own rate.
    pub async fn payment(
        &self,
        org: i64,
        payment_id: &str,
    ) -> StoreResult<Option<(String, Decimal, Option<Decimal>)>> {
        on_pool!(self, pool => {
            let row: Option<(String, Dec, Option<Dec>)> = sqlx::query_as(
                "SELECT status, amount, currency_rate FROM payments WHERE organisation_id = $1 AND payment_id = $2",
            )
            .bind(org)
            .bind(payment_id)
            .fetch_optional(pool)
            .await?;
            Ok(row.map(|(s, a, r)| (s, a.0, r.map(|r| r.0))))
        })
    }

    /// Credit notes or bank transactions with one of `contact_ids`, dated
    /// `from..=to`, shaped as the loader reads invoices: `invoice_id` is the
    /// document's id, `invoice_type` its Xero type, `invoice_number` the
    /// credit note number (a bank transaction's reference).
    pub async fn documents_with_contacts(
        &self,
        org: i64,
        kind: LoadedKind,
        contact_ids: &[String],
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<StoredInvoice>> {
        let mut out = Vec::new();
        for contact in contact_ids {
            out.extend(
                self.documents(org, kind, Filter::Contact(contact, from, to))
                    .await?,
            );
        }
        Ok(out)
    }

    async fn documents(
        &self,
        org: i64,
        kind: LoadedKind,
        filter: Filter<'_>,
    ) -> StoreResult<Vec<StoredInvoice>> {
        let (table, id, number, date, doc_kind) = match kind {
            LoadedKind::CreditNotes => (
                "credit_notes",
                "credit_note_id",
                "credit_note_number",
                "credit_note_date",
                "credit_note",
            ),
            LoadedKind::BankTransactions => (
                "bank_transactions",
                "bank_transaction_id",
                "reference",
                "transaction_date",
                "bank_transaction",
            ),
        };
        let condition = match filter {
            Filter::Id(_) => format!("d.{id} = $2"),
            Filter::Contact(..) => {
                format!("d.contact_id = $2 AND d.{date} >= $3 AND d.{date} <= $4")
            }
        };
        let heads_sql = format!(
            "SELECT d.{id}, d.{table_type}, d.{number}, d.contact_id, d.contact_name, d.{date}, d.status, \
                 d.line_amount_types, d.currency_code, d.currency_rate, d.total \
             FROM {table} d WHERE d.organisation_id = $1 AND {condition} ORDER BY d.{date}, d.{id}",
            table_type = match kind {
                LoadedKind::CreditNotes => "credit_note_type",
                LoadedKind::BankTransactions => "bank_transaction_type",
            },
        );
        let lines_sql = format!(
            "SELECT l.document_id, l.line_item_id, l.description, l.account_code, l.account_id, \
                 l.line_amount, l.tax_amount \
             FROM document_lines l JOIN {table} d \
               ON d.organisation_id = l.organisation_id AND d.{id} = l.document_id \
             WHERE l.document_kind = '{doc_kind}' AND d.organisation_id = $1 AND {condition} \
             ORDER BY l.document_id, l.position"
        );
        type Head = (
            String,
            String,
            Option<String>,
            Option<String>,
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
        let (heads, lines): (Vec<Head>, Vec<Line>) = on_pool!(self, pool => {
            let mut h = sqlx::query_as(sqlx::AssertSqlSafe(heads_sql)).bind(org);
            let mut l = sqlx::query_as(sqlx::AssertSqlSafe(lines_sql)).bind(org);
            match filter {
                Filter::Id(x) => {
                    h = h.bind(x.to_string());
                    l = l.bind(x.to_string());
                }
                Filter::Contact(c, from, to) => {
                    h = h.bind(c.to_string()).bind(from).bind(to);
                    l = l.bind(c.to_string()).bind(from).bind(to);
                }
            }
            (h.fetch_all(pool).await?, l.fetch_all(pool).await?)
        });
        let mut by_doc: std::collections::HashMap<String, Vec<StoredLine>> = Default::default();
        for (doc, line_item_id, description, account_code, account_id, amount, tax) in lines {
            by_doc.entry(doc).or_default().push(StoredLine {
                line_item_id,
                description,
                account_code,
                account_id,
                line_amount: amount.map(|d| d.0),
                tax_amount: tax.map(|d| d.0),
            });
        }
        Ok(heads
            .into_iter()
            .map(
                |(
                    doc_id,
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
                )| {
                    StoredInvoice {
                        organisation_id: org,
                        lines: by_doc.remove(&doc_id).unwrap_or_default(),
                        invoice_id: doc_id,
                        invoice_type: t,
                        invoice_number: number,
                        // Only documents with a contact are selected by
                        // contact; one read by id may have none (transfers).
                        contact_id: contact_id.unwrap_or_default(),
                        contact_name,
                        date,
                        status,
                        line_amount_types: lat,
                        currency_code: cur,
                        currency_rate: rate.map(|d| d.0),
                        total: total.0,
                    }
                },
            )
            .collect())
    }
}

/// Which documents [`Store::documents`] reads.
#[derive(Clone, Copy)]
enum Filter<'a> {
    Id(&'a str),
    /// A contact's documents dated in `from..=to`.
    Contact(&'a str, NaiveDate, NaiveDate),
}

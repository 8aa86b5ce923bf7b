//! The P&L loader's reads of a whole group at once (issue 14): every
//! entity's chart, P&L rows and intercompany documents in a fixed number
//! of queries, whatever the number of entities and contacts. Read per
//! entity and per contact, a 100-entity group with 300 confirmed contacts
//! took about 2,000 sequential queries and most of a cold report's time.
//!
//! Rows come ordered by organisation, then as the per-organisation reads
//! (`accounts_of`, `pnl_amounts`, `invoices_with_contacts`,
//! `documents_with_contacts`) order them, so the loader can hand the
//! engine the same input in the same order.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::documents::LoadedKind;
use super::group_setup::{StoredAccount, StoredAmount, StoredInvoice, StoredLine};
use super::types::Dec;
use super::{Store, StoreResult, on_pool};
use crate::domain::Month;

/// The intercompany documents the loader turns into the engine's invoices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IcDocumentKind {
    Invoices,
    Other(LoadedKind),
}

impl IcDocumentKind {
    /// Every kind, in the order the loader gives them to the engine.
    pub const ALL: [Self; 3] = [
        Self::Invoices,
        Self::Other(LoadedKind::CreditNotes),
        Self::Other(LoadedKind::BankTransactions),
    ];

    /// (table, id, type, number, date columns; the lines' table and the
    /// condition that picks a document's lines in it).
    fn columns(self) -> [&'static str; 7] {
        match self {
            Self::Invoices => [
                "invoices",
                "invoice_id",
                "invoice_type",
                "invoice_number",
                "invoice_date",
                "invoice_lines",
                "l.invoice_id = d.invoice_id",
            ],
            Self::Other(LoadedKind::CreditNotes) => [
                "credit_notes",
                "credit_note_id",
                "credit_note_type",
                "credit_note_number",
                "credit_note_date",
                "document_lines",
                "l.document_kind = 'credit_note' AND l.document_id = d.credit_note_id",
            ],
            Self::Other(LoadedKind::BankTransactions) => [
                "bank_transactions",
                "bank_transaction_id",
                "bank_transaction_type",
                "reference",
                "transaction_date",
                "document_lines",
                "l.document_kind = 'bank_transaction' AND l.document_id = d.bank_transaction_id",
            ],
        }
    }
}

type Head = (
    i64,
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
    i64,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<Dec>,
    Option<Dec>,
);

type Amount = (
    i64,
    Month,
    String,
    Option<String>,
    String,
    String,
    String,
    Dec,
    Option<i64>,
);

impl Store {
    /// The synced charts of the group's entities, by organisation, each
    /// ordered as [`Store::accounts_of`] orders it.
    pub async fn group_entity_accounts(&self, group_id: i64) -> StoreResult<Vec<StoredAccount>> {
        on_pool!(self, pool => {
            Ok(sqlx::query_as::<_, StoredAccount>(
                "SELECT a.organisation_id, a.account_id, a.code, a.name, a.account_type, a.class \
                 FROM accounts a JOIN entities e ON e.organisation_id = a.organisation_id \
                 WHERE e.group_id = $1 ORDER BY a.organisation_id, a.code, a.name",
            )
            .bind(group_id)
            .fetch_all(pool)
            .await?)
        })
    }

    /// The P&L rows of the group's entities for months `from..=to`, by
    /// organisation, month and row.
    pub async fn group_pnl_amounts(
        &self,
        group_id: i64,
        from: Month,
        to: Month,
    ) -> StoreResult<Vec<StoredAmount>> {
        let rows: Vec<Amount> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT r.organisation_id, r.month, r.row_key, r.account_id, r.section, r.label, \
                     r.row_kind, r.amount, r.sync_run_id \
                 FROM report_amounts r JOIN entities e ON e.organisation_id = r.organisation_id \
                 WHERE e.group_id = $1 AND r.report = 'profit_and_loss' \
                   AND r.month >= $2 AND r.month <= $3 \
                 ORDER BY r.organisation_id, r.month, r.row_key",
            )
            .bind(group_id)
            .bind(from)
            .bind(to)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(
                    organisation_id,
                    month,
                    row_key,
                    account_id,
                    section,
                    label,
                    row_kind,
                    amount,
                    sync_run_id,
                )| StoredAmount {
                    organisation_id,
                    month,
                    row_key,
                    account_id,
                    section,
                    label,
                    row_kind,
                    amount: amount.0,
                    sync_run_id,
                },
            )
            .collect())
    }

    /// The documents of `kind` of the group's entities with one of their
    /// confirmed intercompany contacts, dated `from..=to`, with their
    /// lines: by organisation, then contact, date and id (the order of
    /// the per-contact reads, one contact after another).
    pub async fn group_intercompany_documents(
        &self,
        group_id: i64,
        kind: IcDocumentKind,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<StoredInvoice>> {
        let [table, id, doc_type, number, date, lines_table, line_of] = kind.columns();
        // The same documents for heads and lines: the group's entities'
        // documents to a confirmed contact of theirs within the window.
        let documents = format!(
            "FROM {table} d \
             JOIN entities e ON e.organisation_id = d.organisation_id AND e.group_id = $1 \
             JOIN intercompany_contacts c ON c.group_id = $1 \
               AND c.organisation_id = d.organisation_id AND c.contact_id = d.contact_id \
             WHERE c.confirmed = $2 AND d.{date} >= $3 AND d.{date} <= $4"
        );
        let heads_sql = format!(
            "SELECT d.organisation_id, d.{id}, d.{doc_type}, d.{number}, d.contact_id, \
                 d.contact_name, d.{date}, d.status, d.line_amount_types, d.currency_code, \
                 d.currency_rate, d.total \
             {documents} ORDER BY d.organisation_id, d.contact_id, d.{date}, d.{id}"
        );
        let lines_sql = format!(
            "SELECT l.organisation_id, l.{line_id}, l.line_item_id, l.description, \
                 l.account_code, l.account_id, l.line_amount, l.tax_amount \
             FROM {lines_table} l JOIN ( SELECT d.organisation_id, d.{id} {documents} ) d \
               ON d.organisation_id = l.organisation_id AND {line_of} \
             ORDER BY l.organisation_id, l.{line_id}, l.position",
            line_id = if lines_table == "invoice_lines" {
                "invoice_id"
            } else {
                "document_id"
            },
        );
        let (heads, lines): (Vec<Head>, Vec<Line>) = on_pool!(self, pool => {
            let heads = sqlx::query_as(sqlx::AssertSqlSafe(heads_sql))
                .bind(group_id)
                .bind(true)
                .bind(from)
                .bind(to)
                .fetch_all(pool)
                .await?;
            let lines = sqlx::query_as(sqlx::AssertSqlSafe(lines_sql))
                .bind(group_id)
                .bind(true)
                .bind(from)
                .bind(to)
                .fetch_all(pool)
                .await?;
            (heads, lines)
        });
        // Keyed by organisation first, so a head finds its lines without
        // cloning its id into a key.
        let mut by_doc: HashMap<i64, HashMap<String, Vec<StoredLine>>> = HashMap::new();
        for (org, doc, line_item_id, description, account_code, account_id, amount, tax) in lines {
            by_doc
                .entry(org)
                .or_default()
                .entry(doc)
                .or_default()
                .push(StoredLine {
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
                    organisation_id,
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
                    let lines = by_doc
                        .get_mut(&organisation_id)
                        .and_then(|m| m.remove(&doc_id))
                        .unwrap_or_default();
                    StoredInvoice {
                        organisation_id,
                        lines,
                        invoice_id: doc_id,
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
                    }
                },
            )
            .collect())
    }
}

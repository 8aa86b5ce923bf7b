//! Intercompany balances (rules section 3a): the entity accounts a user
//! marks as intercompany with a counterpart entity (audited in the change's
//! transaction), and the documents that make up the receivables and
//! payables with an intercompany contact up to a month end.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::audit::{AuditEntry, insert_audit};
use super::types::Dec;
use super::{BeginWrite, Store, StoreResult, on_pool};

/// An entity account marked intercompany.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct IcAccountRow {
    pub entity_id: i64,
    /// The account's Xero AccountID.
    pub account_id: String,
    pub counterpart_entity_id: i64,
}

/// One document (or payment) with an intercompany contact, as stored. The
/// engine decides what it does to the balance from its kind, type and
/// status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IcDocumentRow {
    /// `invoice`, `credit_note`, `overpayment`, `prepayment` or `payment`.
    pub kind: String,
    pub document_id: String,
    /// Xero's type of the document; for a payment, the paid document's.
    pub document_type: String,
    /// The paid document's kind, for a payment.
    pub paid_kind: Option<String>,
    pub number: Option<String>,
    pub contact_id: String,
    pub date: NaiveDate,
    pub status: String,
    pub currency_code: String,
    /// The document's total, or the payment's amount (in the paid
    /// document's currency).
    pub amount: Decimal,
}

type Raw = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    NaiveDate,
    String,
    String,
    Dec,
);

/// Documents of one contact dated up to `$3`, one shape for all kinds.
const DOCUMENTS: &str = "\
SELECT 'invoice', invoice_id, invoice_type, NULL, invoice_number, contact_id, invoice_date, status, currency_code, total \
  FROM invoices WHERE organisation_id = $1 AND contact_id = $2 AND invoice_date <= $3 \
UNION ALL SELECT 'credit_note', credit_note_id, credit_note_type, NULL, credit_note_number, contact_id, credit_note_date, status, currency_code, total \
  FROM credit_notes WHERE organisation_id = $1 AND contact_id = $2 AND credit_note_date <= $3 \
UNION ALL SELECT 'overpayment', overpayment_id, overpayment_type, NULL, reference, contact_id, overpayment_date, status, currency_code, total \
  FROM overpayments WHERE organisation_id = $1 AND contact_id = $2 AND overpayment_date <= $3 \
UNION ALL SELECT 'prepayment', prepayment_id, prepayment_type, NULL, reference, contact_id, prepayment_date, status, currency_code, total \
  FROM prepayments WHERE organisation_id = $1 AND contact_id = $2 AND prepayment_date <= $3 \
UNION ALL SELECT 'payment', p.payment_id, d.invoice_type, 'invoice', d.invoice_number, d.contact_id, p.payment_date, p.status, d.currency_code, p.amount \
  FROM payments p JOIN invoices d ON d.organisation_id = p.organisation_id AND d.invoice_id = p.invoice_id \
  WHERE p.organisation_id = $1 AND d.contact_id = $2 AND p.payment_date <= $3 \
UNION ALL SELECT 'payment', p.payment_id, d.credit_note_type, 'credit_note', d.credit_note_number, d.contact_id, p.payment_date, p.status, d.currency_code, p.amount \
  FROM payments p JOIN credit_notes d ON d.organisation_id = p.organisation_id AND d.credit_note_id = p.credit_note_id \
  WHERE p.organisation_id = $1 AND d.contact_id = $2 AND p.payment_date <= $3 \
UNION ALL SELECT 'payment', p.payment_id, d.overpayment_type, 'overpayment', d.reference, d.contact_id, p.payment_date, p.status, d.currency_code, p.amount \
  FROM payments p JOIN overpayments d ON d.organisation_id = p.organisation_id AND d.overpayment_id = p.overpayment_id \
  WHERE p.organisation_id = $1 AND d.contact_id = $2 AND p.payment_date <= $3 \
UNION ALL SELECT 'payment', p.payment_id, d.prepayment_type, 'prepayment', d.reference, d.contact_id, p.payment_date, p.status, d.currency_code, p.amount \
  FROM payments p JOIN prepayments d ON d.organisation_id = p.organisation_id AND d.prepayment_id = p.prepayment_id \
  WHERE p.organisation_id = $1 AND d.contact_id = $2 AND p.payment_date <= $3";

/// The audit text of a change, or None when nothing changes.
fn change_detail(
    before: &[IcAccountRow],
    rows: &[IcAccountRow],
    remove: &[(i64, String)],
    describe: &dyn Fn(&IcAccountRow) -> String,
) -> Option<String> {
    let mut detail = Vec::new();
    for r in rows {
        match before
            .iter()
            .find(|b| b.entity_id == r.entity_id && b.account_id == r.account_id)
        {
            Some(b) if b == r => {}
            Some(b) => detail.push(format!("changed {} (was: {})", describe(r), describe(b))),
            None => detail.push(format!("marked {}", describe(r))),
        }
    }
    for (e, a) in remove {
        if let Some(b) = before
            .iter()
            .find(|b| b.entity_id == *e && &b.account_id == a)
        {
            detail.push(format!("unmarked {}", describe(b)));
        }
    }
    (!detail.is_empty()).then(|| detail.join("; "))
}

const SELECT: &str = "SELECT entity_id, account_id, counterpart_entity_id FROM intercompany_accounts \
     WHERE group_id = $1 ORDER BY entity_id, account_id";

impl Store {
    pub async fn intercompany_accounts(&self, group_id: i64) -> StoreResult<Vec<IcAccountRow>> {
        on_pool!(self, pool => {
            Ok(sqlx::query_as::<_, IcAccountRow>(SELECT)
                .bind(group_id)
                .fetch_all(pool)
                .await?)
        })
    }

    /// Marks `rows` and unmarks `remove` ((entity id, AccountID)) as one
    /// audited change; `describe` words a row for the audit text.
    pub async fn set_intercompany_accounts(
        &self,
        group_id: i64,
        rows: &[IcAccountRow],
        remove: &[(i64, String)],
        describe: &dyn Fn(&IcAccountRow) -> String,
        by: Option<i64>,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            // Read in the write transaction, so the audit's "was" is what
            // this change replaced.
            let before: Vec<IcAccountRow> = sqlx::query_as(SELECT)
                .bind(group_id)
                .fetch_all(&mut *tx)
                .await?;
            let Some(detail) = change_detail(&before, rows, remove, describe) else {
                return Ok(());
            };
            for r in rows {
                sqlx::query(
                    "INSERT INTO intercompany_accounts (group_id, entity_id, account_id, \
                         counterpart_entity_id, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (group_id, entity_id, account_id) DO UPDATE SET \
                         counterpart_entity_id = excluded.counterpart_entity_id, \
                         updated_by = excluded.updated_by, updated_at = excluded.updated_at",
                )
                .bind(group_id)
                .bind(r.entity_id)
                .bind(&r.account_id)
                .bind(r.counterpart_entity_id)
                .bind(by)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            for (e, a) in remove {
                sqlx::query(
                    "DELETE FROM intercompany_accounts WHERE group_id = $1 AND entity_id = $2 AND account_id = $3",
                )
                .bind(group_id)
                .bind(e)
                .bind(a)
                .execute(&mut *tx)
                .await?;
            }
            let entry = AuditEntry::new("intercompany_accounts.set", by)
                .group(group_id)
                .detail(detail);
            insert_audit!(&mut *tx, entry, now).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Every invoice, credit note, overpayment, prepayment and payment of
    /// `org` with one of `contact_ids`, dated on or before `to`, whatever
    /// its status (the engine decides which count).
    pub async fn intercompany_documents(
        &self,
        org: i64,
        contact_ids: &[String],
        to: NaiveDate,
    ) -> StoreResult<Vec<IcDocumentRow>> {
        let mut out = Vec::new();
        for contact in contact_ids {
            let rows: Vec<Raw> = on_pool!(self, pool => {
                sqlx::query_as(DOCUMENTS)
                    .bind(org)
                    .bind(contact)
                    .bind(to)
                    .fetch_all(pool)
                    .await?
            });
            out.extend(rows.into_iter().map(
                |(
                    kind,
                    document_id,
                    document_type,
                    paid_kind,
                    number,
                    contact_id,
                    date,
                    status,
                    currency_code,
                    amount,
                )| {
                    IcDocumentRow {
                        kind,
                        document_id,
                        document_type,
                        paid_kind,
                        number,
                        contact_id,
                        date,
                        status,
                        currency_code,
                        amount: amount.0,
                    }
                },
            ));
        }
        out.sort_by(|a, b| {
            (a.date, &a.kind, &a.document_id).cmp(&(b.date, &b.kind, &b.document_id))
        });
        Ok(out)
    }

    /// The AccountIDs of `org`'s receivables and payables control accounts
    /// (Xero's `DEBTORS` and `CREDITORS` system accounts), where the
    /// documents' balances sit.
    pub async fn control_accounts(
        &self,
        org: i64,
    ) -> StoreResult<(Option<String>, Option<String>)> {
        let rows: Vec<(String, String)> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT account_id, system_account FROM accounts WHERE organisation_id = $1 \
                 AND system_account IN ('DEBTORS', 'CREDITORS') ORDER BY account_id",
            )
            .bind(org)
            .fetch_all(pool)
            .await?
        });
        let find = |s: &str| rows.iter().find(|(_, x)| x == s).map(|(a, _)| a.clone());
        Ok((find("DEBTORS"), find("CREDITORS")))
    }
}

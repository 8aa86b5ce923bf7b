//! Restatements: a closed month whose pack was sent, compared with what
//! today's data gives. The sent snapshot never changes; the difference is
//! shown line by line (the consolidated P&L, month and year to date), with
//! the Xero records of the month (invoices, credit notes and bank
//! transactions) that changed after the close (added or changed, voided). The scheduler sends the schedule's owner one e-mail per
//! restated month.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::pack::{Pack, SectionContent, build_pack};
use super::{MonthEndError, current, stored_snapshot};
use crate::store::{Group, MonthDocument, MonthEndVersion, Store};
use crate::web::format::accounting;

/// The columns compared.
pub const COLUMNS: [(&str, &str); 2] = [("month", "Month"), ("year_to_date", "Year to date")];

/// A statement line whose figure differs.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LineChange {
    pub key: String,
    pub account_name: String,
    pub column: &'static str,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub sent: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub today: Option<Decimal>,
}

impl LineChange {
    pub fn describe(&self) -> String {
        let show = |v: Option<Decimal>| v.map_or("—".to_string(), |d| accounting(d, 2));
        let column = COLUMNS
            .iter()
            .find(|(k, _)| *k == self.column)
            .map_or(self.column, |(_, t)| *t);
        format!(
            "{} ({column}): {} sent, {} today",
            self.account_name,
            show(self.sent),
            show(self.today)
        )
    }
}

/// A Xero record of the month changed after the close.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RecordChange {
    /// `voided` (voided or deleted) or `added_or_changed`.
    pub change: &'static str,
    /// `invoice`, `credit_note` or `bank_transaction`.
    pub kind: String,
    pub entity: String,
    /// Xero's InvoiceID, CreditNoteID or BankTransactionID.
    pub xero_id: String,
    /// The invoice or credit note number; a bank transaction's reference.
    pub number: Option<String>,
    /// Xero's type (`ACCREC`, `ACCPAYCREDIT`, `SPEND`, ...).
    pub xero_type: String,
    pub contact_name: Option<String>,
    pub status: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub total: Decimal,
    pub currency_code: String,
    pub updated_at_xero: DateTime<Utc>,
}

impl RecordChange {
    pub fn total_text(&self) -> String {
        accounting(self.total, 2)
    }

    /// "invoice", "credit note", "bank transaction".
    pub fn kind_text(&self) -> String {
        self.kind.replace('_', " ")
    }

    /// Xero's name of the id: InvoiceID, CreditNoteID, BankTransactionID.
    pub fn id_name(&self) -> &'static str {
        match self.kind.as_str() {
            "credit_note" => "CreditNoteID",
            "bank_transaction" => "BankTransactionID",
            _ => "InvoiceID",
        }
    }

    pub fn describe(&self) -> String {
        format!(
            "{} {} {} ({}, {}) {}: {} {} (Xero {} {})",
            self.entity,
            self.kind_text(),
            self.number.as_deref().unwrap_or("without number"),
            self.contact_name.as_deref().unwrap_or("no contact"),
            self.status,
            if self.change == "voided" {
                "voided"
            } else {
                "added or changed"
            },
            self.currency_code,
            accounting(self.total, 2),
            self.id_name(),
            self.xero_id
        )
    }
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Restatement {
    pub lines: Vec<LineChange>,
    pub records: Vec<RecordChange>,
}

impl Restatement {
    pub fn is_restated(&self) -> bool {
        !self.lines.is_empty()
    }
}

fn statement_values(pack: &Pack) -> Vec<(String, String, &'static str, Option<Decimal>)> {
    let mut out = Vec::new();
    for s in &pack.sections {
        if let SectionContent::Statement(st) = &s.content {
            for l in &st.lines {
                for (c, _) in COLUMNS {
                    out.push((
                        l.key.clone(),
                        l.account_name.clone(),
                        c,
                        l.values.get(c).copied().flatten(),
                    ));
                }
            }
        }
    }
    out
}

/// The sent version against today's data.
pub async fn compare(
    store: &Store,
    group: &Group,
    version: &MonthEndVersion,
) -> Result<Restatement, MonthEndError> {
    let (_, sent) = stored_snapshot(store, version).await?;
    let views = store.entities_for_group(group.id).await?;
    let today = current(store, group, version.month, &views).await?;
    let sent_pack = build_pack(&sent, version, &[])?;
    let today_pack = build_pack(&today, version, &[])?;
    let before = statement_values(&sent_pack);
    let after = statement_values(&today_pack);
    let mut lines = Vec::new();
    for (key, name, column, then) in &before {
        let now = after
            .iter()
            .find(|(k, _, c, _)| k == key && c == column)
            .and_then(|x| x.3);
        if now.unwrap_or_default() != then.unwrap_or_default() {
            lines.push(LineChange {
                key: key.clone(),
                account_name: name.clone(),
                column,
                sent: *then,
                today: now,
            });
        }
    }
    for (key, name, column, now) in &after {
        if !before.iter().any(|(k, _, c, _)| k == key && c == column)
            && now.is_some_and(|d| !d.is_zero())
        {
            lines.push(LineChange {
                key: key.clone(),
                account_name: name.clone(),
                column,
                sent: None,
                today: *now,
            });
        }
    }
    // Changed after the close: later, on Xero's own clock, than the start
    // of the last sync the snapshot took in (a skew between Consol's clock
    // and Xero's cannot hide a change). At or after, as Xero's
    // If-Modified-Since is: its times are whole seconds.
    let records = store
        .month_documents(group.id, version.month, version.closed_at)
        .await?
        .into_iter()
        .filter(|i| i.synced_xero_time.is_none_or(|t| i.updated_at_xero >= t))
        .map(record)
        .collect();
    Ok(Restatement { lines, records })
}

fn record(d: MonthDocument) -> RecordChange {
    RecordChange {
        change: if matches!(d.status.as_str(), "VOIDED" | "DELETED") {
            "voided"
        } else {
            "added_or_changed"
        },
        kind: d.kind,
        entity: d.entity,
        xero_id: d.xero_id,
        number: d.number,
        xero_type: d.xero_type,
        contact_name: d.contact_name,
        status: d.status,
        total: d.total,
        currency_code: d.currency_code,
        updated_at_xero: d.updated_at_xero,
    }
}

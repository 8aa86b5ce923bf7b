//! Restatements: a closed month whose pack was sent, compared with what
//! today's data gives. The sent snapshot never changes; the difference is
//! shown line by line (the consolidated P&L, month and year to date), with
//! the Xero records of the period (invoices, credit notes and bank
//! transactions) that changed after the close (added, changed, voided).
//! Each line opens to what moved it (`restatement_sources.rs`): the records whose
//! lines sit on its accounts, before or after the change, and the entity
//! rows of Xero's report that moved. The scheduler sends the schedule's
//! owner one e-mail per restated month.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use std::collections::HashMap;

use super::pack::{Pack, SectionContent, build_pack};
use super::restatement_sources as sources;
use super::snapshot::SnapshotInputs;
use super::{MonthEndError, current, stored_snapshot};
use crate::domain::Month;
use crate::store::{DocumentState, Group, MonthDocument, MonthEndVersion, Store};
use crate::web::format::accounting;

/// The columns compared.
pub const COLUMNS: [(&str, &str); 2] = [("month", "Month"), ("year_to_date", "Year to date")];

/// A statement line whose figure differs, with what moved it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LineChange {
    pub key: String,
    pub account_name: String,
    pub column: &'static str,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub sent: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub today: Option<Decimal>,
    /// The Xero records that moved the line (in the column's period).
    pub records: Vec<LineRecord>,
    /// The entity rows of Xero's report on the line's accounts that moved.
    pub entity_rows: Vec<EntityRow>,
    /// Set when no record explains the line (a manual journal, a rate).
    pub note: Option<String>,
}

/// A record's move of one line.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LineRecord {
    /// `added`, `changed` or `voided`.
    pub change: &'static str,
    pub kind: String,
    pub entity: String,
    pub xero_id: String,
    pub number: Option<String>,
    pub contact_name: Option<String>,
    pub status: String,
    pub currency_code: String,
    /// How the record moved the line's accounts (today's effect less the
    /// one at the close), in its own currency and the line's sign
    /// (costs positive on cost lines).
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    /// Intercompany: the eliminations take its entity's move back out of
    /// the consolidated figure (but for profit held as unrealised).
    pub intercompany: bool,
}

impl LineRecord {
    pub fn amount_text(&self) -> String {
        accounting(self.amount, 2)
    }

    pub fn kind_text(&self) -> String {
        self.kind.replace('_', " ")
    }
}

/// An entity's row of Xero's profit and loss that moved, as Xero reports
/// it (in the entity's base currency).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EntityRow {
    pub entity: String,
    pub account_id: String,
    pub account_code: Option<String>,
    pub account_name: String,
    pub currency_code: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub sent: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub today: Decimal,
}

impl EntityRow {
    pub fn sent_text(&self) -> String {
        accounting(self.sent, 2)
    }

    pub fn today_text(&self) -> String {
        accounting(self.today, 2)
    }
}

/// The note of a line no invoice, credit note or bank transaction moved.
pub const NO_DOCUMENT: &str = "Changed in Xero's report; no invoice, credit note or bank \
     transaction behind it (a manual journal?).";

/// The note of a line no Xero amount moved.
pub const NO_XERO_AMOUNT: &str = "No Xero record or report row behind it moved: a rate, a \
     mapping or the group's chart changed since the close.";

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

/// A Xero record of the period changed after the close.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RecordChange {
    /// `voided` (voided or deleted), `changed` (a sync replaced the state
    /// the close saw) or `added` (not stored at the close).
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
    pub date: chrono::NaiveDate,
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
            self.change,
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
            lines.push(line_change(key, name, column, *then, now));
        }
    }
    for (key, name, column, now) in &after {
        if !before.iter().any(|(k, _, c, _)| k == key && c == column)
            && now.is_some_and(|d| !d.is_zero())
        {
            lines.push(line_change(key, name, column, None, *now));
        }
    }
    // Changed after the close: later, on Xero's own clock, than the start
    // of the last sync the snapshot took in (a skew between Consol's clock
    // and Xero's cannot hide a change). At or after, as Xero's
    // If-Modified-Since is: its times are whole seconds. Dated in the
    // financial year to date, as the compared columns are.
    let periods = sent.outputs.periods;
    let documents: Vec<MonthDocument> = store
        .month_documents(
            group.id,
            periods.year_to_date.0,
            version.month,
            version.closed_at,
        )
        .await?
        .into_iter()
        .filter(|i| i.synced_xero_time.is_none_or(|t| i.updated_at_xero >= t))
        .collect();
    let mut moved = Vec::new();
    for d in documents {
        let now_state = DocumentState {
            status: d.status.clone(),
            date: d.date,
            line_amount_types: d.line_amount_types.clone(),
            lines: store.document_lines_now(&d).await?,
        };
        let at_close = store
            .document_state_replaced_after(&d, version.closed_at)
            .await?;
        moved.push(Moved {
            change: if matches!(d.status.as_str(), "VOIDED" | "DELETED") {
                "voided"
            } else if at_close.is_some() {
                "changed"
            } else {
                "added"
            },
            now: now_state,
            at_close,
            doc: d,
        });
    }
    let places = sources::places([&sent_pack, &today_pack]);
    let names = account_names(&sent.inputs, &today.inputs);
    for l in &mut lines {
        let period = if l.column == "month" {
            (version.month, version.month)
        } else {
            periods.year_to_date
        };
        attribute(
            l,
            &places,
            &moved,
            &sent.inputs,
            &today.inputs,
            period,
            &names,
        );
    }
    let records = moved.into_iter().map(record).collect();
    Ok(Restatement { lines, records })
}

fn line_change(
    key: &str,
    name: &str,
    column: &'static str,
    sent: Option<Decimal>,
    today: Option<Decimal>,
) -> LineChange {
    LineChange {
        key: key.to_string(),
        account_name: name.to_string(),
        column,
        sent,
        today,
        records: Vec::new(),
        entity_rows: Vec::new(),
        note: None,
    }
}

/// A record changed after the close, with its state then and now.
struct Moved {
    change: &'static str,
    doc: MonthDocument,
    now: DocumentState,
    at_close: Option<DocumentState>,
}

/// Entity names by id, and account (code, name) by (entity, AccountID).
struct Names {
    entities: HashMap<i64, (String, String)>,
    accounts: HashMap<(i64, String), (Option<String>, String)>,
}

fn account_names(sent: &SnapshotInputs, today: &SnapshotInputs) -> Names {
    let mut n = Names {
        entities: HashMap::new(),
        accounts: HashMap::new(),
    };
    for i in [today, sent] {
        for e in &i.entities {
            n.entities
                .entry(e.id)
                .or_insert_with(|| (e.name.clone(), e.base_currency.as_str().to_string()));
        }
        for a in &i.entity_accounts {
            n.accounts
                .entry((a.entity, a.account_id.clone()))
                .or_insert_with(|| (a.code.clone(), a.name.clone()));
        }
    }
    n
}

/// Fills a changed line's records, entity rows and note.
fn attribute(
    l: &mut LineChange,
    places: &HashMap<String, sources::LinePlace>,
    moved: &[Moved],
    sent: &SnapshotInputs,
    today: &SnapshotInputs,
    period: (Month, Month),
    names: &Names,
) {
    let Some(place) = places.get(&l.key) else {
        return;
    };
    // The line's sign applies to its own figures (costs shown positive).
    let sign = sources::display_sign(&place.section);
    let on_line = |k: &str| {
        places
            .get(k)
            .is_some_and(|m| sources::covers(place, &l.key, k, m))
    };
    for m in moved {
        let before = m
            .at_close
            .as_ref()
            .map(|s| sources::effects(sent, &m.doc, s, period))
            .unwrap_or_default();
        let after = sources::effects(today, &m.doc, &m.now, period);
        let delta: Decimal = after
            .iter()
            .filter(|(k, _)| on_line(k))
            .map(|(_, v)| *v)
            .sum::<Decimal>()
            - before
                .iter()
                .filter(|(k, _)| on_line(k))
                .map(|(_, v)| *v)
                .sum::<Decimal>();
        let intercompany =
            sources::is_intercompany(today, &m.doc) || sources::is_intercompany(sent, &m.doc);
        // Profit held back on an intercompany sale sits on a line of its
        // own: the seller's documents that changed may have moved it.
        let unrealised = l.key == sources::UNREALISED && intercompany;
        let amount = if unrealised {
            after.values().sum::<Decimal>() - before.values().sum::<Decimal>()
        } else {
            delta * sign
        };
        if amount.is_zero() {
            continue;
        }
        l.records.push(LineRecord {
            change: m.change,
            kind: m.doc.kind.clone(),
            entity: m.doc.entity.clone(),
            xero_id: m.doc.xero_id.clone(),
            number: m.doc.number.clone(),
            contact_name: m.doc.contact_name.clone(),
            status: m.doc.status.clone(),
            currency_code: m.doc.currency_code.clone(),
            amount,
            intercompany,
        });
    }
    let then = sources::entity_rows(sent, period);
    let now = sources::entity_rows(today, period);
    let mut keys: Vec<&(i64, String)> = then.keys().chain(now.keys()).collect();
    keys.sort();
    keys.dedup();
    for k in keys {
        let part = |rows: &std::collections::BTreeMap<(i64, String), (Option<String>, Decimal)>| {
            rows.get(k)
                .filter(|(key, _)| key.as_deref().is_some_and(&on_line))
                .map_or(Decimal::ZERO, |(_, a)| *a)
        };
        let (s, t) = (part(&then), part(&now));
        if s == t {
            continue;
        }
        let (entity, currency) = names
            .entities
            .get(&k.0)
            .cloned()
            .unwrap_or_else(|| (format!("entity {}", k.0), String::new()));
        let (code, name) = names
            .accounts
            .get(k)
            .cloned()
            .unwrap_or_else(|| (None, k.1.clone()));
        l.entity_rows.push(EntityRow {
            entity,
            account_id: k.1.clone(),
            account_code: code,
            account_name: name,
            currency_code: currency,
            sent: s,
            today: t,
        });
    }
    if l.records.is_empty() {
        l.note = Some(
            if l.entity_rows.is_empty() {
                NO_XERO_AMOUNT
            } else {
                NO_DOCUMENT
            }
            .to_string(),
        );
    }
}

fn record(m: Moved) -> RecordChange {
    let d = m.doc;
    RecordChange {
        change: m.change,
        kind: d.kind,
        entity: d.entity,
        xero_id: d.xero_id,
        number: d.number,
        xero_type: d.xero_type,
        contact_name: d.contact_name,
        status: d.status,
        date: d.date,
        total: d.total,
        currency_code: d.currency_code,
        updated_at_xero: d.updated_at_xero,
    }
}

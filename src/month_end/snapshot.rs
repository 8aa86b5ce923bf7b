//! The frozen snapshot of a closed month: every input the reports used, as
//! serialisable types of this module (the engine's input has no serde), and
//! the outputs built from them. Stored as canonical JSON (object keys
//! sorted, no spaces) with its SHA-256, so that rebuilding the outputs from
//! the stored inputs can be checked byte for byte.
//!
//! When the engine's input grows, add the field here and to the two
//! conversions ([`SnapshotInputs::from_group_data`] and
//! [`SnapshotInputs::to_group_data`]); the `FORMAT` number says which shape
//! a stored snapshot has.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::domain::{CurrencyCode, Month, MonthRange};
use crate::engine::{
    self, AccountClass, AccountMapping, AccountSection, EngineError, Entity, EntityAccount,
    EntityId, FxRate, GroupAccount, GroupAccountId, GroupData, IntercompanyContact, Invoice,
    InvoiceLine, InvoiceStatus, InvoiceType, LineAmountTypes, PnlAmount, RejectedRecord,
    ReportSection, SourceRow, XeroAccountType, XeroNetProfit,
};

use super::outputs::{Outputs, build_outputs};

/// The shape of a stored snapshot. Bump it when a field is added.
pub const FORMAT: u32 = 2;

/// A closed month: the group, the month, the inputs and the outputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub format: u32,
    pub month: Month,
    pub inputs: SnapshotInputs,
    pub outputs: Outputs,
}

impl Snapshot {
    /// Builds the outputs from the inputs.
    pub fn build(month: Month, inputs: SnapshotInputs) -> Result<Self, SnapshotError> {
        let outputs = build_outputs(month, &inputs)?;
        Ok(Self {
            format: FORMAT,
            month,
            inputs,
            outputs,
        })
    }

    /// Reads a stored snapshot.
    pub fn parse(stored: &str) -> Result<Self, SnapshotError> {
        let s: Self = serde_json::from_str(stored).map_err(SnapshotError::Json)?;
        if s.format != FORMAT {
            return Err(SnapshotError::Format(s.format));
        }
        Ok(s)
    }

    /// The canonical JSON that is stored and hashed.
    pub fn canonical(&self) -> Result<String, SnapshotError> {
        let v = serde_json::to_value(self).map_err(SnapshotError::Json)?;
        Ok(canonical_json(&v))
    }

    /// Builds the outputs again from the stored inputs and returns the
    /// snapshot's canonical JSON: equal to what was stored when nothing
    /// (engine, inputs) changed its result.
    pub fn rebuild(stored: &str) -> Result<String, SnapshotError> {
        let old = Self::parse(stored)?;
        Self::build(old.month, old.inputs)?.canonical()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("the snapshot is not valid JSON for this version: {0}")]
    Json(#[source] serde_json::Error),
    #[error("snapshot format {0} is not one this version reads")]
    Format(u32),
    #[error("the snapshot's inputs are not valid: {0}")]
    Input(String),
    #[error(transparent)]
    Engine(#[from] EngineError),
}

/// SHA-256 of the canonical JSON, hex.
pub fn sha256_hex(canonical: &str) -> String {
    Sha256::digest(canonical.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// JSON with object keys sorted (by their UTF-8 bytes) and no whitespace,
/// whatever order the value's maps keep.
pub fn canonical_json(v: &Value) -> String {
    let mut out = String::new();
    write_canonical(v, &mut out);
    out
}

fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String((*k).clone()).to_string());
                out.push(':');
                write_canonical(&map[k.as_str()], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The group's settings at close.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupSettings {
    pub id: i64,
    pub name: String,
    pub presentation_currency: CurrencyCode,
    pub financial_year_end_month: u32,
}

/// When an entity last synced before the close.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntitySync {
    pub entity: i64,
    pub last_synced_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapEntity {
    pub id: i64,
    pub name: String,
    pub tenant_id: String,
    pub organisation_name: String,
    pub legal_name: Option<String>,
    pub base_currency: CurrencyCode,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapEntityAccount {
    pub entity: i64,
    pub account_id: String,
    pub code: Option<String>,
    pub name: String,
    pub class: String,
    pub account_type: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapGroupAccount {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub class: String,
    pub section: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapMapping {
    pub entity: i64,
    pub account_id: String,
    pub group_account: i64,
}

/// What a source row stands for (see [`engine::SourceRow`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SnapRow {
    Account {
        account_id: String,
        /// The P&L section the row sat in (`Income`, `CostOfSales`,
        /// `OtherIncome`, `Expenses`), when known.
        section: Option<String>,
    },
    System {
        key: String,
        label: String,
        class: String,
        section: Option<String>,
    },
    Summary {
        label: String,
    },
}

/// A source amount with the sync run that fetched it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapAmount {
    pub entity: i64,
    pub row: SnapRow,
    pub month: Month,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub sync_run_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapNetProfit {
    pub entity: i64,
    pub month: Month,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub sync_run_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapRate {
    pub currency: CurrencyCode,
    pub month: Month,
    #[serde(with = "rust_decimal::serde::str")]
    pub average: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub closing: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapContact {
    pub entity: i64,
    pub contact_id: String,
    pub counterpart: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapInvoiceLine {
    pub line_item_id: String,
    pub description: String,
    pub account_code: Option<String>,
    pub account_id: Option<String>,
    #[serde(with = "rust_decimal::serde::str")]
    pub line_amount: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub tax_amount: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapInvoice {
    pub entity: i64,
    pub contact_id: String,
    pub date: NaiveDate,
    pub invoice_type: String,
    pub status: String,
    pub line_amount_types: String,
    pub currency: CurrencyCode,
    pub invoice_id: String,
    pub invoice_number: Option<String>,
    pub contact_name: String,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub currency_rate: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str")]
    pub total: Decimal,
    pub lines: Vec<SnapInvoiceLine>,
    pub sync_run_id: Option<i64>,
}

/// Every input of a closed month's reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotInputs {
    pub group: GroupSettings,
    /// The months the inputs were loaded for.
    pub loaded_from: Month,
    pub loaded_to: Month,
    pub syncs: Vec<EntitySync>,
    pub entities: Vec<SnapEntity>,
    pub entity_accounts: Vec<SnapEntityAccount>,
    pub group_accounts: Vec<SnapGroupAccount>,
    pub mappings: Vec<SnapMapping>,
    pub pnl: Vec<SnapAmount>,
    pub net_profits: Vec<SnapNetProfit>,
    pub rates: Vec<SnapRate>,
    pub intercompany_contacts: Vec<SnapContact>,
    pub invoices: Vec<SnapInvoice>,
    /// Records the loader could not read, each a warning on the report.
    pub rejected: Vec<SnapRejected>,
}

/// A stored record the loader could not read, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapRejected {
    pub entity: i64,
    pub record_id: String,
    pub number: Option<String>,
    pub date: chrono::NaiveDate,
    pub field: String,
    pub value: String,
}

fn report_section_text(s: ReportSection) -> &'static str {
    match s {
        ReportSection::Income => "Income",
        ReportSection::CostOfSales => "CostOfSales",
        ReportSection::OtherIncome => "OtherIncome",
        ReportSection::Expenses => "Expenses",
    }
}

fn report_section_of(s: &str) -> Result<ReportSection, SnapshotError> {
    Ok(match s {
        "Income" => ReportSection::Income,
        "CostOfSales" => ReportSection::CostOfSales,
        "OtherIncome" => ReportSection::OtherIncome,
        "Expenses" => ReportSection::Expenses,
        other => {
            return Err(SnapshotError::Input(format!(
                "unknown report section '{other}'"
            )));
        }
    })
}

pub fn class_text(c: AccountClass) -> &'static str {
    match c {
        AccountClass::Revenue => "REVENUE",
        AccountClass::Expense => "EXPENSE",
        AccountClass::Asset => "ASSET",
        AccountClass::Liability => "LIABILITY",
        AccountClass::Equity => "EQUITY",
    }
}

fn class_of(s: &str) -> Result<AccountClass, SnapshotError> {
    crate::consolidation::class_of(s)
        .ok_or_else(|| SnapshotError::Input(format!("unknown account class '{s}'")))
}

fn account_type_text(t: &XeroAccountType) -> String {
    match t {
        XeroAccountType::Revenue => "REVENUE".into(),
        XeroAccountType::Sales => "SALES".into(),
        XeroAccountType::OtherIncome => "OTHERINCOME".into(),
        XeroAccountType::DirectCosts => "DIRECTCOSTS".into(),
        XeroAccountType::Expense => "EXPENSE".into(),
        XeroAccountType::Overheads => "OVERHEADS".into(),
        XeroAccountType::Depreciation => "DEPRECIATN".into(),
        XeroAccountType::Other(s) => s.clone(),
    }
}

fn section_text(s: AccountSection) -> &'static str {
    s.title()
}

/// Snapshots closed before group accounts carried Xero's balance-sheet
/// sections hold the single section "Balance Sheet" for every
/// balance-sheet account. The P&L outputs never read a balance-sheet
/// account's section, so it reads as the class's default section; the
/// stored text is kept as it was, so the snapshot rebuilds byte for byte.
const LEGACY_BALANCE_SHEET: &str = "Balance Sheet";

fn section_of(s: &str, class: AccountClass) -> Result<AccountSection, SnapshotError> {
    match AccountSection::from_title(s) {
        Some(section) if section.title() == s => Ok(section),
        None if s == LEGACY_BALANCE_SHEET && !class.is_profit_and_loss() => {
            Ok(AccountSection::default_for(class))
        }
        _ => Err(SnapshotError::Input(format!(
            "unknown section '{s}' for a {} account",
            class_text(class)
        ))),
    }
}

const INVOICE_TYPES: [(InvoiceType, &str); 6] = [
    (InvoiceType::Accrec, "ACCREC"),
    (InvoiceType::Accpay, "ACCPAY"),
    (InvoiceType::Accreccredit, "ACCRECCREDIT"),
    (InvoiceType::Accpaycredit, "ACCPAYCREDIT"),
    (InvoiceType::Receive, "RECEIVE"),
    (InvoiceType::Spend, "SPEND"),
];

const STATUSES: [(InvoiceStatus, &str); 6] = [
    (InvoiceStatus::Draft, "DRAFT"),
    (InvoiceStatus::Submitted, "SUBMITTED"),
    (InvoiceStatus::Authorised, "AUTHORISED"),
    (InvoiceStatus::Paid, "PAID"),
    (InvoiceStatus::Voided, "VOIDED"),
    (InvoiceStatus::Deleted, "DELETED"),
];

const AMOUNT_TYPES: [(LineAmountTypes, &str); 3] = [
    (LineAmountTypes::Exclusive, "Exclusive"),
    (LineAmountTypes::Inclusive, "Inclusive"),
    (LineAmountTypes::NoTax, "NoTax"),
];

fn text_of<T: PartialEq + Copy>(table: &[(T, &'static str)], v: T) -> &'static str {
    table.iter().find(|(k, _)| *k == v).map_or("", |(_, t)| t)
}

fn value_of<T: Copy>(table: &[(T, &'static str)], s: &str, what: &str) -> Result<T, SnapshotError> {
    table
        .iter()
        .find(|(_, t)| *t == s)
        .map(|(k, _)| *k)
        .ok_or_else(|| SnapshotError::Input(format!("unknown {what} '{s}'")))
}

impl SnapshotInputs {
    /// The engine's input as a snapshot stores it.
    pub fn from_group_data(
        group: GroupSettings,
        loaded: MonthRange,
        syncs: Vec<EntitySync>,
        data: &GroupData,
    ) -> Self {
        let mut inputs = Self {
            group,
            loaded_from: loaded.from(),
            loaded_to: loaded.to(),
            syncs,
            entities: data
                .entities
                .iter()
                .map(|e| SnapEntity {
                    id: e.id.0,
                    name: e.name.clone(),
                    tenant_id: e.tenant_id.clone(),
                    organisation_name: e.organisation_name.clone(),
                    legal_name: e.legal_name.clone(),
                    base_currency: e.base_currency,
                })
                .collect(),
            entity_accounts: data
                .entity_accounts
                .iter()
                .map(|a| SnapEntityAccount {
                    entity: a.entity.0,
                    account_id: a.account_id.clone(),
                    code: a.code.clone(),
                    name: a.name.clone(),
                    class: class_text(a.class).to_string(),
                    account_type: account_type_text(&a.account_type),
                })
                .collect(),
            group_accounts: data
                .group_accounts
                .iter()
                .map(|g| SnapGroupAccount {
                    id: g.id.0,
                    code: g.code.clone(),
                    name: g.name.clone(),
                    class: class_text(g.class).to_string(),
                    section: section_text(g.section).to_string(),
                })
                .collect(),
            mappings: data
                .mappings
                .iter()
                .map(|m| SnapMapping {
                    entity: m.entity.0,
                    account_id: m.account_id.clone(),
                    group_account: m.group_account.0,
                })
                .collect(),
            pnl: data
                .pnl
                .iter()
                .map(|p| SnapAmount {
                    entity: p.entity.0,
                    row: match &p.row {
                        SourceRow::Account {
                            account_id,
                            section,
                        } => SnapRow::Account {
                            account_id: account_id.clone(),
                            section: section.map(|x| report_section_text(x).to_string()),
                        },
                        SourceRow::System(s) => SnapRow::System {
                            key: s.key.clone(),
                            label: s.label.clone(),
                            class: class_text(s.class).to_string(),
                            section: s.section.map(|x| report_section_text(x).to_string()),
                        },
                        SourceRow::Summary(label) => SnapRow::Summary {
                            label: label.to_string(),
                        },
                    },
                    month: p.month,
                    amount: p.amount,
                    sync_run_id: p.sync_run_id,
                })
                .collect(),
            net_profits: data
                .net_profits
                .iter()
                .map(|n| SnapNetProfit {
                    entity: n.entity.0,
                    month: n.month,
                    amount: n.amount,
                    sync_run_id: n.sync_run_id,
                })
                .collect(),
            rates: data
                .rates
                .iter()
                .map(|r| SnapRate {
                    currency: r.currency,
                    month: r.month,
                    average: r.average,
                    closing: r.closing,
                })
                .collect(),
            intercompany_contacts: data
                .intercompany_contacts
                .iter()
                .map(|c| SnapContact {
                    entity: c.entity.0,
                    contact_id: c.contact_id.clone(),
                    counterpart: c.counterpart.0,
                })
                .collect(),
            invoices: data
                .invoices
                .iter()
                .map(|i| SnapInvoice {
                    entity: i.entity.0,
                    contact_id: i.contact_id.clone(),
                    date: i.date,
                    invoice_type: text_of(&INVOICE_TYPES, i.invoice_type).to_string(),
                    status: text_of(&STATUSES, i.status).to_string(),
                    line_amount_types: text_of(&AMOUNT_TYPES, i.line_amount_types).to_string(),
                    currency: i.currency,
                    invoice_id: i.invoice_id.clone(),
                    invoice_number: i.invoice_number.clone(),
                    contact_name: i.contact_name.clone(),
                    currency_rate: i.currency_rate,
                    total: i.total,
                    lines: i
                        .lines
                        .iter()
                        .map(|l| SnapInvoiceLine {
                            line_item_id: l.line_item_id.clone(),
                            description: l.description.clone(),
                            account_code: l.account_code.clone(),
                            account_id: l.account_id.clone(),
                            line_amount: l.line_amount,
                            tax_amount: l.tax_amount,
                        })
                        .collect(),
                    sync_run_id: i.sync_run_id,
                })
                .collect(),
            rejected: data
                .rejected
                .iter()
                .map(|r| SnapRejected {
                    entity: r.entity.0,
                    record_id: r.record_id.clone(),
                    number: r.number.clone(),
                    date: r.date,
                    field: r.field.clone(),
                    value: r.value.clone(),
                })
                .collect(),
        };
        inputs.sort();
        inputs
    }

    /// Puts every list whose order the store does not fix (PostgreSQL may
    /// return rows in any order after an update) into one order, so that
    /// the same data always makes the same bytes and hash. The group's
    /// chart keeps its order (its positions lay out the report), and so do
    /// the entities (loaded in a fixed order) and each invoice's lines.
    fn sort(&mut self) {
        // Xero's realised and unrealised FXGROUPID rows share a key: their
        // labels tell them apart.
        fn row_key(r: &SnapRow) -> (u8, &str, &str) {
            match r {
                SnapRow::Account { account_id, .. } => (0, account_id, ""),
                SnapRow::System { key, label, .. } => (1, key, label),
                SnapRow::Summary { label } => (2, label, ""),
            }
        }
        self.syncs.sort_by_key(|s| s.entity);
        self.entity_accounts
            .sort_by(|a, b| (a.entity, &a.account_id).cmp(&(b.entity, &b.account_id)));
        self.mappings
            .sort_by(|a, b| (a.entity, &a.account_id).cmp(&(b.entity, &b.account_id)));
        self.pnl.sort_by(|a, b| {
            (a.entity, a.month, row_key(&a.row)).cmp(&(b.entity, b.month, row_key(&b.row)))
        });
        self.net_profits.sort_by_key(|n| (n.entity, n.month));
        self.rates
            .sort_by(|a, b| (a.currency.as_str(), a.month).cmp(&(b.currency.as_str(), b.month)));
        self.intercompany_contacts
            .sort_by(|a, b| (a.entity, &a.contact_id).cmp(&(b.entity, &b.contact_id)));
        self.invoices
            .sort_by(|a, b| (a.entity, &a.invoice_id).cmp(&(b.entity, &b.invoice_id)));
        self.rejected.sort_by(|a, b| {
            (a.entity, &a.record_id, &a.field).cmp(&(b.entity, &b.record_id, &b.field))
        });
    }

    /// The months the inputs cover.
    pub fn loaded(&self) -> Result<MonthRange, SnapshotError> {
        MonthRange::new(self.loaded_from, self.loaded_to)
            .map_err(|e| SnapshotError::Input(e.to_string()))
    }

    /// The engine's input again. Refuses (never guesses) a class, type or
    /// status it does not know.
    pub fn to_group_data(&self) -> Result<GroupData, SnapshotError> {
        let fye = self.group.financial_year_end_month;
        if !(1..=12).contains(&fye) {
            return Err(SnapshotError::Input(format!(
                "financial year end month {fye}"
            )));
        }
        Ok(GroupData {
            group: engine::Group {
                presentation_currency: self.group.presentation_currency,
                financial_year_end_month: fye,
            },
            entities: self
                .entities
                .iter()
                .map(|e| Entity {
                    id: EntityId(e.id),
                    name: e.name.clone(),
                    tenant_id: e.tenant_id.clone(),
                    organisation_name: e.organisation_name.clone(),
                    legal_name: e.legal_name.clone(),
                    base_currency: e.base_currency,
                })
                .collect(),
            entity_accounts: self
                .entity_accounts
                .iter()
                .map(|a| {
                    Ok(EntityAccount {
                        entity: EntityId(a.entity),
                        account_id: a.account_id.clone(),
                        code: a.code.clone(),
                        name: a.name.clone(),
                        class: class_of(&a.class)?,
                        account_type: XeroAccountType::from_xero(&a.account_type),
                    })
                })
                .collect::<Result<_, SnapshotError>>()?,
            group_accounts: self
                .group_accounts
                .iter()
                .map(|g| {
                    let class = class_of(&g.class)?;
                    Ok(GroupAccount {
                        id: GroupAccountId(g.id),
                        code: g.code.clone(),
                        name: g.name.clone(),
                        class,
                        section: section_of(&g.section, class)?,
                    })
                })
                .collect::<Result<_, SnapshotError>>()?,
            mappings: self
                .mappings
                .iter()
                .map(|m| AccountMapping {
                    entity: EntityId(m.entity),
                    account_id: m.account_id.clone(),
                    group_account: GroupAccountId(m.group_account),
                })
                .collect(),
            pnl: self
                .pnl
                .iter()
                .map(|p| {
                    Ok(PnlAmount {
                        entity: EntityId(p.entity),
                        row: match &p.row {
                            SnapRow::Account {
                                account_id,
                                section: None,
                            } => SourceRow::account(account_id),
                            SnapRow::Account {
                                account_id,
                                section: Some(sec),
                            } => SourceRow::account_in(account_id, report_section_of(sec)?),
                            SnapRow::System {
                                key,
                                label,
                                class,
                                section,
                            } => {
                                let class = class_of(class)?;
                                match section {
                                    None => SourceRow::system(key, label, class),
                                    Some(sec) => {
                                        let sec = report_section_of(sec)?;
                                        let mut row = SourceRow::system_in(key, label, sec);
                                        // The class is what was stored.
                                        if let SourceRow::System(r) = &mut row {
                                            r.class = class;
                                        }
                                        row
                                    }
                                }
                            }
                            SnapRow::Summary { label } => SourceRow::summary(label),
                        },
                        month: p.month,
                        amount: p.amount,
                        sync_run_id: p.sync_run_id,
                    })
                })
                .collect::<Result<_, SnapshotError>>()?,
            net_profits: self
                .net_profits
                .iter()
                .map(|n| XeroNetProfit {
                    entity: EntityId(n.entity),
                    month: n.month,
                    amount: n.amount,
                    sync_run_id: n.sync_run_id,
                })
                .collect(),
            rates: self
                .rates
                .iter()
                .map(|r| FxRate {
                    currency: r.currency,
                    month: r.month,
                    average: r.average,
                    closing: r.closing,
                })
                .collect(),
            intercompany_contacts: self
                .intercompany_contacts
                .iter()
                .map(|c| IntercompanyContact {
                    entity: EntityId(c.entity),
                    contact_id: c.contact_id.clone(),
                    counterpart: EntityId(c.counterpart),
                })
                .collect(),
            invoices: self
                .invoices
                .iter()
                .map(|i| {
                    Ok(Invoice {
                        entity: EntityId(i.entity),
                        contact_id: i.contact_id.clone(),
                        date: i.date,
                        invoice_type: value_of(&INVOICE_TYPES, &i.invoice_type, "invoice type")?,
                        status: value_of(&STATUSES, &i.status, "invoice status")?,
                        line_amount_types: value_of(
                            &AMOUNT_TYPES,
                            &i.line_amount_types,
                            "line amount type",
                        )?,
                        currency: i.currency,
                        invoice_id: i.invoice_id.clone(),
                        invoice_number: i.invoice_number.clone(),
                        contact_name: i.contact_name.clone(),
                        currency_rate: i.currency_rate,
                        total: i.total,
                        lines: i
                            .lines
                            .iter()
                            .map(|l| InvoiceLine {
                                line_item_id: l.line_item_id.clone(),
                                description: l.description.clone(),
                                account_code: l.account_code.clone(),
                                account_id: l.account_id.clone(),
                                line_amount: l.line_amount,
                                tax_amount: l.tax_amount,
                            })
                            .collect(),
                        sync_run_id: i.sync_run_id,
                    })
                })
                .collect::<Result<_, SnapshotError>>()?,
            rejected: self
                .rejected
                .iter()
                .map(|r| RejectedRecord {
                    entity: EntityId(r.entity),
                    record_id: r.record_id.clone(),
                    number: r.number.clone(),
                    date: r.date,
                    field: r.field.clone(),
                    value: r.value.clone(),
                })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_sorts_keys_at_every_depth() {
        let v: Value =
            serde_json::from_str(r#"{"b":[{"z":1,"a":"x"}],"a":{"d":null,"c":"1.50"}}"#).unwrap();
        assert_eq!(
            canonical_json(&v),
            r#"{"a":{"c":"1.50","d":null},"b":[{"a":"x","z":1}]}"#
        );
    }

    fn small_group() -> GroupData {
        let nzd = CurrencyCode::parse("NZD").unwrap();
        let m = |s: &str| Month::parse(s).unwrap();
        // Amounts in cents.
        let amount = |account: &str, month: &str, v: i64| PnlAmount {
            entity: EntityId(1),
            row: SourceRow::account(account),
            month: m(month),
            amount: Decimal::new(v, 2),
            sync_run_id: Some(7),
        };
        GroupData {
            group: engine::Group {
                presentation_currency: nzd,
                financial_year_end_month: 3,
            },
            entities: vec![Entity {
                id: EntityId(1),
                name: "Kea".into(),
                tenant_id: "t-1".into(),
                organisation_name: "Kea Ltd".into(),
                legal_name: None,
                base_currency: nzd,
            }],
            entity_accounts: ["sales", "rent"]
                .iter()
                .map(|a| EntityAccount {
                    entity: EntityId(1),
                    account_id: a.to_string(),
                    code: Some(a.to_uppercase()),
                    name: a.to_string(),
                    class: if *a == "sales" {
                        AccountClass::Revenue
                    } else {
                        AccountClass::Expense
                    },
                    account_type: XeroAccountType::from_xero("REVENUE"),
                })
                .collect(),
            group_accounts: vec![GroupAccount {
                id: GroupAccountId(10),
                code: "200".into(),
                name: "Sales".into(),
                class: AccountClass::Revenue,
                section: AccountSection::Income,
            }],
            mappings: vec![AccountMapping {
                entity: EntityId(1),
                account_id: "sales".into(),
                group_account: GroupAccountId(10),
            }],
            pnl: vec![
                amount("sales", "2026-10", 10000),
                amount("rent", "2026-10", 4000),
                amount("sales", "2026-11", 25050),
                amount("rent", "2026-11", 4000),
            ],
            net_profits: Vec::new(),
            rates: vec![
                FxRate {
                    currency: nzd,
                    month: m("2026-10"),
                    average: Decimal::ONE,
                    closing: Decimal::ONE,
                },
                FxRate {
                    currency: nzd,
                    month: m("2026-11"),
                    average: Decimal::ONE,
                    closing: Decimal::ONE,
                },
            ],
            intercompany_contacts: Vec::new(),
            invoices: Vec::new(),
            rejected: vec![],
        }
    }

    fn settings() -> GroupSettings {
        GroupSettings {
            id: 1,
            name: "Kea Group".into(),
            presentation_currency: CurrencyCode::parse("NZD").unwrap(),
            financial_year_end_month: 3,
        }
    }

    #[test]
    fn the_same_data_in_another_order_makes_the_same_bytes() {
        let m = Month::parse("2026-11").unwrap();
        let loaded = MonthRange::new(Month::parse("2025-04").unwrap(), m).unwrap();
        let data = small_group();
        let mut shuffled = data.clone();
        shuffled.pnl.reverse();
        shuffled.rates.reverse();
        shuffled.entity_accounts.reverse();
        let a = Snapshot::build(
            m,
            SnapshotInputs::from_group_data(settings(), loaded, vec![], &data),
        )
        .unwrap()
        .canonical()
        .unwrap();
        let b = Snapshot::build(
            m,
            SnapshotInputs::from_group_data(settings(), loaded, vec![], &shuffled),
        )
        .unwrap()
        .canonical()
        .unwrap();
        assert!(a == b, "order changed the snapshot");
        assert_eq!(sha256_hex(&a), sha256_hex(&b));
        // Rebuilt from its own inputs, byte for byte; and the inputs go
        // back to the engine's data unchanged (in the snapshot's order).
        assert!(Snapshot::rebuild(&a).unwrap() == a);
        let back = Snapshot::parse(&a).unwrap().inputs.to_group_data().unwrap();
        assert_eq!(back.pnl.len(), 4);
        assert!(back.pnl.iter().all(|p| data.pnl.contains(p)));
        assert_eq!(back.entity_accounts.len(), 2);
        assert_eq!(back.group_accounts, data.group_accounts);
        // The month's consolidated net profit: 250.50 of sales, rent
        // unmapped at -40.00.
        let v: Value = serde_json::from_str(&a).unwrap();
        assert_eq!(
            v["outputs"]["profit_and_loss"]["month"]["net_profit"]["consolidated"],
            "210.50"
        );
    }

    /// A snapshot closed before group accounts carried Xero's balance-sheet
    /// sections holds "Balance Sheet" for each balance-sheet account (the
    /// earlier `section_text`); it still reads, rebuilds byte for byte, and
    /// its outputs are those of the same month with today's sections.
    #[test]
    fn a_snapshot_with_the_single_balance_sheet_section_still_rebuilds() {
        let m = Month::parse("2026-11").unwrap();
        let loaded = MonthRange::new(Month::parse("2025-04").unwrap(), m).unwrap();
        let mut data = small_group();
        data.group_accounts.push(GroupAccount {
            id: GroupAccountId(11),
            code: "090".into(),
            name: "Cash".into(),
            class: AccountClass::Asset,
            section: AccountSection::Bank,
        });
        let today = Snapshot::build(
            m,
            SnapshotInputs::from_group_data(settings(), loaded, vec![], &data),
        )
        .unwrap()
        .canonical()
        .unwrap();
        assert_eq!(today.matches("\"section\":\"Bank\"").count(), 1);
        // The earlier version wrote the same bytes but for the section.
        let stored = today.replace("\"section\":\"Bank\"", "\"section\":\"Balance Sheet\"");
        assert!(stored.contains("\"section\":\"Balance Sheet\""));
        assert!(Snapshot::rebuild(&stored).unwrap() == stored);
        let old = Snapshot::parse(&stored).unwrap();
        let new = Snapshot::parse(&today).unwrap();
        assert_eq!(old.outputs, new.outputs);
        let back = old.inputs.to_group_data().unwrap();
        assert_eq!(
            back.group_accounts[1].section,
            AccountSection::CurrentAssets
        );
        // A P&L account never had that section: it is refused, not guessed.
        let bad = today.replace("\"section\":\"Income\"", "\"section\":\"Balance Sheet\"");
        assert!(
            Snapshot::parse(&bad)
                .unwrap()
                .inputs
                .to_group_data()
                .is_err()
        );
    }

    #[test]
    fn every_invoice_kind_round_trips() {
        for (t, s) in INVOICE_TYPES {
            assert_eq!(value_of(&INVOICE_TYPES, s, "type").unwrap(), t);
        }
        for (t, s) in STATUSES {
            assert_eq!(value_of(&STATUSES, s, "status").unwrap(), t);
        }
        assert!(value_of(&STATUSES, "LOST", "status").is_err());
    }
}

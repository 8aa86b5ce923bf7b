//! Structured warnings and errors shown on a report. Nothing the engine
//! cannot use is dropped without one of these.

use rust_decimal::Decimal;
use serde::Serialize;

use super::input::{EntityId, ReportSection};
use crate::domain::{CurrencyCode, Month};

/// How bad a warning is. `Error` means a figure on the report is incomplete.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

/// Why an intercompany invoice line could not be eliminated, or is listed
/// for attention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IntercompanyIssue {
    /// The line is on a balance-sheet account: listed, not eliminated.
    BalanceSheetLine,
    /// Neither its AccountID nor its AccountCode is in the entity's chart.
    UnknownAccount,
    /// A foreign-currency invoice without a usable `CurrencyRate`.
    MissingCurrencyRate,
    /// The contact points to an entity that is not in the group.
    UnknownCounterpart,
}

/// A warning or error on a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Warning {
    /// No average rate for the entity's currency in that month: the entity's
    /// amounts of that month are left out of every sum.
    MissingRate {
        severity: Severity,
        entity: EntityId,
        entity_name: String,
        currency: CurrencyCode,
        month: Month,
    },
    /// An account with amounts but no mapping; shown under Unmapped.
    UnmappedAccount {
        severity: Severity,
        entity: EntityId,
        account_id: String,
        account_code: Option<String>,
        account_name: String,
        /// Translated total of the period, signed as its effect on profit.
        #[serde(with = "rust_decimal::serde::str")]
        amount: Decimal,
    },
    /// Xero's Net Profit and the engine's sum differ.
    NetProfitTieOut {
        severity: Severity,
        entity: EntityId,
        month: Month,
        currency: CurrencyCode,
        #[serde(with = "rust_decimal::serde::str")]
        xero_net_profit: Decimal,
        #[serde(with = "rust_decimal::serde::str")]
        computed: Decimal,
        #[serde(with = "rust_decimal::serde::str")]
        difference: Decimal,
    },
    /// A source row names an AccountID that is not in the entity's chart.
    /// Its amounts move profit as the section of Xero's report it sat in
    /// says (`section`), as Xero's own Net Profit counts them.
    UnknownSourceAccount {
        severity: Severity,
        entity: EntityId,
        account_id: String,
        section: Option<ReportSection>,
    },
    /// No P&L was synced for the entity and month: its amounts are missing
    /// and its intercompany eliminations wait (are not applied).
    MissingPnl {
        severity: Severity,
        entity: EntityId,
        entity_name: String,
        month: Month,
    },
    /// Xero sent no Net Profit row for a month that has rows: the entity
    /// month is not tied out (never "ties").
    NotTiedOut {
        severity: Severity,
        entity: EntityId,
        month: Month,
    },
    /// Xero's Gross Profit and the engine's sum (Income less Cost of Sales
    /// as Xero's sections hold them) differ.
    GrossProfitTieOut {
        severity: Severity,
        entity: EntityId,
        month: Month,
        currency: CurrencyCode,
        #[serde(with = "rust_decimal::serde::str")]
        xero_gross_profit: Decimal,
        #[serde(with = "rust_decimal::serde::str")]
        computed: Decimal,
        #[serde(with = "rust_decimal::serde::str")]
        difference: Decimal,
    },
    /// An intercompany record that could not be read (unknown currency,
    /// status or type): it is not eliminated.
    UnreadableRecord {
        severity: Severity,
        entity: EntityId,
        record_id: String,
        number: Option<String>,
        month: Month,
        field: String,
        value: String,
    },
    /// The buyer put (part of) an intercompany purchase on a balance-sheet
    /// account: the seller's revenue on it is eliminated and held on the
    /// "Unrealised intercompany profit" line until a user releases it.
    UnrealisedIntercompanyProfit {
        severity: Severity,
        /// The seller.
        entity: EntityId,
        invoice_id: String,
        invoice_number: Option<String>,
        buyer: EntityId,
        bill_id: String,
        month: Month,
        /// Held, in the seller's base currency.
        #[serde(with = "rust_decimal::serde::str")]
        amount: Decimal,
    },
    /// An intercompany invoice line that needs attention.
    Intercompany {
        severity: Severity,
        issue: IntercompanyIssue,
        entity: EntityId,
        invoice_id: String,
        invoice_number: Option<String>,
        line_item_id: Option<String>,
        month: Month,
        /// The line's net amount in the invoice currency.
        #[serde(with = "super::money::opt_str")]
        amount: Option<Decimal>,
    },
}

impl Warning {
    /// The month the warning is of; `None` for warnings of the period
    /// (unmapped and unknown accounts).
    pub fn month(&self) -> Option<Month> {
        match self {
            Self::MissingRate { month, .. }
            | Self::NetProfitTieOut { month, .. }
            | Self::MissingPnl { month, .. }
            | Self::NotTiedOut { month, .. }
            | Self::GrossProfitTieOut { month, .. }
            | Self::UnreadableRecord { month, .. }
            | Self::UnrealisedIntercompanyProfit { month, .. }
            | Self::Intercompany { month, .. } => Some(*month),
            Self::UnmappedAccount { .. } | Self::UnknownSourceAccount { .. } => None,
        }
    }

    /// The entity the warning is about.
    pub fn entity(&self) -> EntityId {
        match self {
            Self::MissingRate { entity, .. }
            | Self::UnmappedAccount { entity, .. }
            | Self::NetProfitTieOut { entity, .. }
            | Self::UnknownSourceAccount { entity, .. }
            | Self::MissingPnl { entity, .. }
            | Self::NotTiedOut { entity, .. }
            | Self::GrossProfitTieOut { entity, .. }
            | Self::UnreadableRecord { entity, .. }
            | Self::UnrealisedIntercompanyProfit { entity, .. }
            | Self::Intercompany { entity, .. } => *entity,
        }
    }

    pub fn severity(&self) -> Severity {
        match self {
            Self::MissingRate { severity, .. }
            | Self::UnmappedAccount { severity, .. }
            | Self::NetProfitTieOut { severity, .. }
            | Self::UnknownSourceAccount { severity, .. }
            | Self::MissingPnl { severity, .. }
            | Self::NotTiedOut { severity, .. }
            | Self::GrossProfitTieOut { severity, .. }
            | Self::UnreadableRecord { severity, .. }
            | Self::UnrealisedIntercompanyProfit { severity, .. }
            | Self::Intercompany { severity, .. } => *severity,
        }
    }
}

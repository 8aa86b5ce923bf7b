//! The engine's inputs, shaped the way a store loads them: one plain struct
//! per table, already parsed (currencies, months, decimals).
//!
//! # Sign convention of source amounts
//!
//! Every amount is given exactly as Xero's `Reports/ProfitAndLoss` shows it
//! in its section: income positive under income, costs positive under
//! costs. The class of the entity account (REVENUE or EXPENSE) says which
//! way an amount moves profit: `Net Profit = Σ revenue-class amounts −
//! Σ expense-class amounts`.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::domain::{CurrencyCode, Month};

/// Id of an entity (a Xero organisation within a group) in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct EntityId(pub i64);

/// Id of a line of the group's chart of accounts in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct GroupAccountId(pub i64);

/// The group being consolidated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub presentation_currency: CurrencyCode,
    /// 1 to 12.
    pub financial_year_end_month: u32,
}

/// One Xero organisation in the group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entity {
    pub id: EntityId,
    /// The name the user gave it in Consol (the column heading).
    pub name: String,
    pub tenant_id: String,
    /// Xero `Organisation.Name`.
    pub organisation_name: String,
    /// Xero `Organisation.LegalName`.
    pub legal_name: Option<String>,
    /// Xero `Organisation.BaseCurrency`, the entity's functional currency.
    pub base_currency: CurrencyCode,
}

/// Class of an account, Xero's `Account.Class`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AccountClass {
    Revenue,
    Expense,
    Asset,
    Liability,
    Equity,
}

impl AccountClass {
    /// REVENUE and EXPENSE accounts are P&L accounts.
    pub fn is_profit_and_loss(self) -> bool {
        matches!(self, Self::Revenue | Self::Expense)
    }

    /// +1 when a positive amount adds to profit, -1 when it reduces it.
    /// Only EXPENSE reduces profit; the balance-sheet classes never appear
    /// on a P&L and count as +1 should a source row claim one.
    pub(crate) fn profit_sign(self) -> Decimal {
        if self == Self::Expense {
            Decimal::NEGATIVE_ONE
        } else {
            Decimal::ONE
        }
    }
}

/// Xero's `Account.Type`. Types the engine does not need to tell apart are
/// kept verbatim in `Other`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum XeroAccountType {
    Revenue,
    Sales,
    OtherIncome,
    DirectCosts,
    Expense,
    Overheads,
    Depreciation,
    Other(String),
}

impl XeroAccountType {
    /// From Xero's spelling (`REVENUE`, `DEPRECIATN`, ...).
    pub fn from_xero(s: &str) -> Self {
        match s.trim().to_ascii_uppercase().as_str() {
            "REVENUE" => Self::Revenue,
            "SALES" => Self::Sales,
            "OTHERINCOME" => Self::OtherIncome,
            "DIRECTCOSTS" => Self::DirectCosts,
            "EXPENSE" => Self::Expense,
            "OVERHEADS" => Self::Overheads,
            "DEPRECIATN" => Self::Depreciation,
            other => Self::Other(other.to_string()),
        }
    }
}

/// An account of an entity's own chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityAccount {
    pub entity: EntityId,
    /// Xero `AccountID`.
    pub account_id: String,
    pub code: Option<String>,
    pub name: String,
    pub class: AccountClass,
    pub account_type: XeroAccountType,
}

/// Where a group account shows on the report: a section of the P&L, or
/// (for the balance-sheet classes) the section of Xero's own balance sheet.
/// The order of the variants is the order the reports show them in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum AccountSection {
    #[serde(rename = "Income")]
    Income,
    #[serde(rename = "Cost of Sales")]
    CostOfSales,
    #[serde(rename = "Other Income")]
    OtherIncome,
    #[serde(rename = "Operating Expenses")]
    OperatingExpenses,
    #[serde(rename = "Other Expenses")]
    OtherExpenses,
    #[serde(rename = "Bank")]
    Bank,
    #[serde(rename = "Current Assets")]
    CurrentAssets,
    #[serde(rename = "Fixed Assets")]
    FixedAssets,
    #[serde(rename = "Non-current Assets")]
    NonCurrentAssets,
    #[serde(rename = "Current Liabilities")]
    CurrentLiabilities,
    #[serde(rename = "Non-current Liabilities")]
    NonCurrentLiabilities,
    #[serde(rename = "Equity")]
    Equity,
}

impl AccountSection {
    /// Every section, in report order.
    pub const ALL: [Self; 12] = [
        Self::Income,
        Self::CostOfSales,
        Self::OtherIncome,
        Self::OperatingExpenses,
        Self::OtherExpenses,
        Self::Bank,
        Self::CurrentAssets,
        Self::FixedAssets,
        Self::NonCurrentAssets,
        Self::CurrentLiabilities,
        Self::NonCurrentLiabilities,
        Self::Equity,
    ];

    /// The section's title, as stored and shown (Xero's own titles for the
    /// balance sheet's).
    pub fn title(self) -> &'static str {
        match self {
            Self::Income => "Income",
            Self::CostOfSales => "Cost of Sales",
            Self::OtherIncome => "Other Income",
            Self::OperatingExpenses => "Operating Expenses",
            Self::OtherExpenses => "Other Expenses",
            Self::Bank => "Bank",
            Self::CurrentAssets => "Current Assets",
            Self::FixedAssets => "Fixed Assets",
            Self::NonCurrentAssets => "Non-current Assets",
            Self::CurrentLiabilities => "Current Liabilities",
            Self::NonCurrentLiabilities => "Non-current Liabilities",
            Self::Equity => "Equity",
        }
    }

    /// The section of a title, ignoring case and surrounding spaces (Xero
    /// writes "Non-Current Liabilities" as well as "Non-current").
    pub fn from_title(title: &str) -> Option<Self> {
        let t = title.trim();
        Self::ALL
            .into_iter()
            .find(|s| s.title().eq_ignore_ascii_case(t))
    }

    /// Whether the section is one of the balance sheet's.
    pub fn is_balance_sheet(self) -> bool {
        self >= Self::Bank
    }

    /// Whether a group account of `class` may show under this section.
    pub fn fits(self, class: AccountClass) -> bool {
        match class {
            AccountClass::Revenue => matches!(self, Self::Income | Self::OtherIncome),
            AccountClass::Expense => matches!(
                self,
                Self::CostOfSales | Self::OperatingExpenses | Self::OtherExpenses
            ),
            AccountClass::Asset => matches!(
                self,
                Self::Bank | Self::CurrentAssets | Self::FixedAssets | Self::NonCurrentAssets
            ),
            AccountClass::Liability => {
                matches!(self, Self::CurrentLiabilities | Self::NonCurrentLiabilities)
            }
            AccountClass::Equity => self == Self::Equity,
        }
    }

    /// The sections a group account of `class` may show under.
    pub fn for_class(class: AccountClass) -> impl Iterator<Item = Self> {
        Self::ALL.into_iter().filter(move |s| s.fits(class))
    }

    /// The section a group account of `class` takes when nothing better is
    /// known (a stored section Consol cannot read, or the single "Balance
    /// Sheet" section of earlier versions with no Xero account to go by).
    pub fn default_for(class: AccountClass) -> Self {
        match class {
            AccountClass::Revenue => Self::Income,
            AccountClass::Expense => Self::OperatingExpenses,
            AccountClass::Asset => Self::CurrentAssets,
            AccountClass::Liability => Self::CurrentLiabilities,
            AccountClass::Equity => Self::Equity,
        }
    }

    /// The section of a stored title for a group account of `class`: the
    /// title's when it fits the class, else [`Self::default_for`] (which
    /// reads the single "Balance Sheet" section of earlier versions).
    pub fn stored(title: &str, class: AccountClass) -> Self {
        Self::from_title(title)
            .filter(|s| s.fits(class))
            .unwrap_or_else(|| Self::default_for(class))
    }

    /// The balance-sheet section Xero's own report puts an account of this
    /// Xero `Type` under; `None` for the P&L types and types Consol does
    /// not know. Accumulated depreciation is a `FIXED` account in Xero;
    /// `DEPRECIATN` is the expense.
    pub fn of_balance_sheet_type(account_type: &str) -> Option<Self> {
        Some(match account_type {
            "BANK" => Self::Bank,
            "CURRENT" | "INVENTORY" | "PREPAYMENT" => Self::CurrentAssets,
            "FIXED" => Self::FixedAssets,
            "NONCURRENT" => Self::NonCurrentAssets,
            "CURRLIAB" | "LIABILITY" | "PAYGLIABILITY" | "SUPERANNUATIONLIABILITY" => {
                Self::CurrentLiabilities
            }
            "TERMLIAB" => Self::NonCurrentLiabilities,
            "EQUITY" => Self::Equity,
            _ => return None,
        })
    }
}

/// A line of the group's chart of accounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupAccount {
    pub id: GroupAccountId,
    pub code: String,
    pub name: String,
    pub class: AccountClass,
    pub section: AccountSection,
}

/// The section of Xero's own P&L a row sat in. It says how Xero's Net
/// Profit (and Gross Profit) counted the row, whatever the chart says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportSection {
    /// "Income" (Xero also titles it "Revenue" or "Trading Income").
    Income,
    /// "Less Cost of Sales".
    CostOfSales,
    /// "Plus Other Income".
    OtherIncome,
    /// "Less Operating Expenses" and any other expense section.
    Expenses,
}

impl ReportSection {
    /// From a section title of Xero's P&L (`" Income"`, `"Less Cost of
    /// Sales"`, ...). `None` for the untitled sections that hold Gross and
    /// Net Profit.
    pub fn from_title(title: &str) -> Option<Self> {
        let t = title.trim().to_ascii_lowercase();
        if t.is_empty() {
            None
        } else if t.contains("cost of sales") || t.contains("direct cost") {
            Some(Self::CostOfSales)
        } else if t.contains("other income") {
            Some(Self::OtherIncome)
        } else if (t.contains("income") || t.contains("revenue")) && !t.starts_with("less") {
            Some(Self::Income)
        } else {
            Some(Self::Expenses)
        }
    }

    /// The class whose amounts move profit the way this section's do: up in
    /// the income sections, down in the others.
    pub fn class(self) -> AccountClass {
        match self {
            Self::Income | Self::OtherIncome => AccountClass::Revenue,
            Self::CostOfSales | Self::Expenses => AccountClass::Expense,
        }
    }

    /// +1 when an amount of this section adds to Gross Profit, -1 when it is
    /// taken from it, 0 when it sits below Gross Profit.
    pub(crate) fn gross_profit_sign(self) -> i8 {
        match self {
            Self::Income => 1,
            Self::CostOfSales => -1,
            Self::OtherIncome | Self::Expenses => 0,
        }
    }

    /// The section of Xero's P&L that shows accounts of this type.
    pub(crate) fn of_account(a: &EntityAccount) -> Self {
        match (&a.account_type, a.class) {
            (XeroAccountType::Revenue | XeroAccountType::Sales, _) => Self::Income,
            (XeroAccountType::DirectCosts, _) => Self::CostOfSales,
            (XeroAccountType::OtherIncome, _) => Self::OtherIncome,
            (_, AccountClass::Revenue) => Self::Income,
            _ => Self::Expenses,
        }
    }
}

/// What a row of Xero's P&L report stands for. The rare kinds are boxed so
/// that the common one keeps [`PnlAmount`] small.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceRow {
    /// A row whose cells carry an `AccountID`, with the section it sat in
    /// (known when loaded from a stored report). An AccountID the entity's
    /// chart does not have moves profit as its section says.
    Account {
        account_id: String,
        section: Option<ReportSection>,
    },
    /// A row that moves profit but has no `AccountID`, such as Xero's
    /// `FXGROUPID` (foreign currency gains and losses).
    System(Box<SystemRow>),
    /// A summary row (`Total Income`, `Gross Profit`, ...), by its title.
    /// Kept and listed on the report, never summed (that would count its
    /// rows twice).
    Summary(Box<str>),
}

/// A P&L row without an `AccountID` that moves profit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemRow {
    /// The value of the cells' `account` attribute (`FXGROUPID`); a mapping
    /// may use it like an AccountID.
    pub key: String,
    /// The row's title.
    pub label: String,
    /// The class of the section the row sat in.
    pub class: AccountClass,
    /// The section it sat in, when known (for the Gross Profit tie-out).
    pub section: Option<ReportSection>,
}

impl SourceRow {
    pub fn account(account_id: impl Into<String>) -> Self {
        Self::Account {
            account_id: account_id.into(),
            section: None,
        }
    }

    /// An account row as it sat in a section of Xero's report.
    pub fn account_in(account_id: impl Into<String>, section: ReportSection) -> Self {
        Self::Account {
            account_id: account_id.into(),
            section: Some(section),
        }
    }

    pub fn system(key: impl Into<String>, label: impl Into<String>, class: AccountClass) -> Self {
        Self::System(Box::new(SystemRow {
            key: key.into(),
            label: label.into(),
            class,
            section: None,
        }))
    }

    /// A row without an AccountID (such as `FXGROUPID`) as it sat in a
    /// section of Xero's report.
    pub fn system_in(
        key: impl Into<String>,
        label: impl Into<String>,
        section: ReportSection,
    ) -> Self {
        Self::System(Box::new(SystemRow {
            key: key.into(),
            label: label.into(),
            class: section.class(),
            section: Some(section),
        }))
    }

    pub fn summary(label: &str) -> Self {
        Self::Summary(label.into())
    }
}

/// One amount of one entity's monthly P&L, as Xero reports it, in the
/// entity's base currency. See the module docs for the sign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PnlAmount {
    pub entity: EntityId,
    pub row: SourceRow,
    pub month: Month,
    pub amount: Decimal,
    /// The sync run that fetched it.
    pub sync_run_id: Option<i64>,
}

/// Xero's own `Net Profit` of an entity for a month, in base currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XeroNetProfit {
    pub entity: EntityId,
    pub month: Month,
    pub amount: Decimal,
    pub sync_run_id: Option<i64>,
}

/// A confirmed mapping of an entity account to a group account. `account_id`
/// is the Xero AccountID (or the key of a [`SourceRow::System`] row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountMapping {
    pub entity: EntityId,
    pub account_id: String,
    pub group_account: GroupAccountId,
}

/// Rates of a currency for a month: 1 unit of `currency` = r units of the
/// presentation currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FxRate {
    pub currency: CurrencyCode,
    pub month: Month,
    pub average: Decimal,
    pub closing: Decimal,
}

/// A confirmed intercompany contact: `contact_id` in `entity`'s Xero stands
/// for `counterpart`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntercompanyContact {
    pub entity: EntityId,
    pub contact_id: String,
    pub counterpart: EntityId,
}

/// A contact of an entity, as a candidate for an intercompany contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub entity: EntityId,
    pub contact_id: String,
    pub name: String,
}

/// Xero `Invoice.Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum InvoiceType {
    /// A sales invoice.
    Accrec,
    /// A bill.
    Accpay,
    /// A sales credit note (Xero `CreditNote.Type` `ACCRECCREDIT`).
    Accreccredit,
    /// A purchases credit note (`ACCPAYCREDIT`).
    Accpaycredit,
    /// Receive money: a `BankTransaction` of type `RECEIVE` (its lines
    /// credit their accounts, as a sales invoice's do).
    Receive,
    /// Spend money: a `BankTransaction` of type `SPEND` (its lines debit
    /// their accounts, as a bill's do).
    Spend,
}

/// Xero `Invoice.Status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum InvoiceStatus {
    Draft,
    Submitted,
    Authorised,
    Paid,
    Voided,
    Deleted,
}

impl InvoiceStatus {
    /// Only AUTHORISED and PAID invoices post to the ledger.
    pub fn posts(self) -> bool {
        matches!(self, Self::Authorised | Self::Paid)
    }
}

/// Xero `Invoice.LineAmountTypes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum LineAmountTypes {
    Exclusive,
    Inclusive,
    NoTax,
}

/// A line of an invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceLine {
    pub line_item_id: String,
    pub description: String,
    pub account_code: Option<String>,
    pub account_id: Option<String>,
    pub line_amount: Decimal,
    pub tax_amount: Decimal,
}

/// An invoice or bill of an entity, in the invoice's currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invoice {
    pub entity: EntityId,
    pub contact_id: String,
    pub date: NaiveDate,
    pub invoice_type: InvoiceType,
    pub status: InvoiceStatus,
    pub line_amount_types: LineAmountTypes,
    pub currency: CurrencyCode,
    pub invoice_id: String,
    pub invoice_number: Option<String>,
    pub contact_name: String,
    /// Units of the invoice currency per one unit of the entity's base
    /// currency, as Xero quotes it. Needed only for foreign invoices.
    pub currency_rate: Option<Decimal>,
    pub total: Decimal,
    pub lines: Vec<InvoiceLine>,
    pub sync_run_id: Option<i64>,
}

/// Everything the engine needs about one group, as loaded from the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupData {
    pub group: Group,
    pub entities: Vec<Entity>,
    pub entity_accounts: Vec<EntityAccount>,
    pub group_accounts: Vec<GroupAccount>,
    pub mappings: Vec<AccountMapping>,
    pub pnl: Vec<PnlAmount>,
    pub net_profits: Vec<XeroNetProfit>,
    pub rates: Vec<FxRate>,
    pub intercompany_contacts: Vec<IntercompanyContact>,
    pub invoices: Vec<Invoice>,
    /// Intercompany records the loader could not turn into an [`Invoice`]
    /// (an unknown currency, status or type): each is a warning on the
    /// report, never a silent drop.
    pub rejected: Vec<RejectedRecord>,
}

/// A stored record that could not be read, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedRecord {
    pub entity: EntityId,
    /// Xero's id of the record (InvoiceID, CreditNoteID, ...).
    pub record_id: String,
    /// Its number, when it has one.
    pub number: Option<String>,
    pub date: NaiveDate,
    /// The field that could not be read (`CurrencyCode`, `Status`, `Type`,
    /// `LineAmountTypes`).
    pub field: String,
    /// Its value as stored.
    pub value: String,
}

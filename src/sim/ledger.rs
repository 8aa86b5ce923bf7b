//! One organisation's books in memory: organisation details, chart of
//! accounts, tax rates, contacts, tracking categories, currencies, invoices
//! (with payments), credit notes, bank transactions, overpayments,
//! prepayments and manual journals. Writes live in `writes.rs`,
//! `invoices.rs`, `credit_notes.rs` and `bank_transactions.rs`, reads in
//! `reads.rs`; the general ledger is derived in `postings.rs` and reports
//! are computed from it in `reports.rs`.

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use uuid::Uuid;

use super::chart::{self, Section, TaxRate};
use super::clock::SimClock;
use super::error::ApiError;
use super::rng::SplitMix64;
use crate::domain::CurrencyCode;
use crate::xero::*;

/// What `POST /_sim/organisations` (or the demo) says about a new
/// organisation.
#[derive(Debug, Clone, PartialEq)]
pub struct OrgSettings {
    pub name: String,
    pub legal_name: Option<String>,
    pub base_currency: CurrencyCode,
    /// NZ, AU, GB (or UK), US; others get a tax-free chart.
    pub country_code: String,
    pub financial_year_end_day: u32,
    pub financial_year_end_month: u32,
    pub short_code: Option<String>,
    pub is_demo_company: bool,
}

impl OrgSettings {
    /// The country whose chart suits a base currency, for
    /// `POST /_sim/organisations` without `country_code`.
    pub fn country_for_currency(c: CurrencyCode) -> &'static str {
        match c.as_str() {
            "NZD" => "NZ",
            "AUD" => "AU",
            "GBP" => "GB",
            _ => "US",
        }
    }
}

/// Options every write carries: `summarizeErrors` (default true) and the
/// `Idempotency-Key` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteOptions {
    pub summarize_errors: bool,
    pub idempotency_key: Option<String>,
}

impl Default for WriteOptions {
    fn default() -> Self {
        Self {
            summarize_errors: true,
            idempotency_key: None,
        }
    }
}

impl WriteOptions {
    pub fn with_key(key: &str) -> Self {
        Self {
            idempotency_key: Some(key.to_string()),
            ..Self::default()
        }
    }
}

/// `PUT` creates; `POST` creates or updates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Put,
    Post,
}

/// A stored write response, replayed for a repeated `Idempotency-Key`.
#[derive(Debug, Clone)]
pub(crate) enum Replay {
    Invoices(Result<Invoices, ApiError>),
    Contacts(Result<Contacts, ApiError>),
    Accounts(Result<Accounts, ApiError>),
    ManualJournals(Result<ManualJournals, ApiError>),
    Payments(Result<Payments, ApiError>),
    CreditNotes(Result<CreditNotes, ApiError>),
    Allocations(Result<Allocations, ApiError>),
    BankTransactions(Result<BankTransactions, ApiError>),
}

/// One line of the general ledger, in base currency: debit positive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Posting {
    pub date: NaiveDate,
    /// Index into [`Ledger::accounts`].
    pub account: usize,
    pub amount: Decimal,
    /// The tracking options (`TrackingOptionID`s) of the line this posting
    /// comes from; none for tax, control and payment postings.
    pub tracking: [Option<Uuid>; 2],
}

pub(crate) fn tracking_ids(t: &Option<Vec<LineItemTracking>>) -> [Option<Uuid>; 2] {
    let mut out = [None, None];
    for (slot, x) in out.iter_mut().zip(t.iter().flatten()) {
        *slot = x.tracking_option_id;
    }
    out
}

pub struct Ledger {
    pub(crate) clock: SimClock,
    pub(crate) rng: SplitMix64,
    pub(crate) org: Organisation,
    pub(crate) base: CurrencyCode,
    pub(crate) tax_rates: Vec<TaxRate>,
    pub(crate) sales_tax: &'static str,
    pub(crate) purchases_tax: &'static str,
    pub(crate) accounts: Vec<Account>,
    pub(crate) account_by_code: HashMap<String, usize>,
    pub(crate) account_by_id: HashMap<Uuid, usize>,
    pub(crate) contacts: Vec<Contact>,
    pub(crate) contact_by_id: HashMap<Uuid, usize>,
    /// Lower-cased names of ACTIVE contacts.
    pub(crate) contact_by_name: HashMap<String, usize>,
    pub(crate) currencies: Vec<Currency>,
    pub(crate) tracking: Vec<TrackingCategory>,
    pub(crate) invoices: Vec<Invoice>,
    pub(crate) invoice_by_id: HashMap<Uuid, usize>,
    /// Lower-cased ACCREC invoice numbers.
    pub(crate) accrec_numbers: HashMap<String, usize>,
    pub(crate) next_invoice_number: u64,
    pub(crate) journals: Vec<ManualJournal>,
    pub(crate) journal_by_id: HashMap<Uuid, usize>,
    pub(crate) credit_notes: Vec<CreditNote>,
    pub(crate) credit_note_by_id: HashMap<Uuid, usize>,
    /// Lower-cased ACCRECCREDIT credit note numbers.
    pub(crate) credit_note_numbers: HashMap<String, usize>,
    pub(crate) next_credit_note_number: u64,
    pub(crate) bank_transactions: Vec<BankTransaction>,
    pub(crate) bank_transaction_by_id: HashMap<Uuid, usize>,
    pub(crate) overpayments: Vec<Overpayment>,
    pub(crate) overpayment_by_id: HashMap<Uuid, usize>,
    pub(crate) prepayments: Vec<Prepayment>,
    pub(crate) prepayment_by_id: HashMap<Uuid, usize>,
    pub(crate) idempotency: HashMap<String, Replay>,
    /// Whether open foreign-currency invoices are revalued at each month end
    /// (unrealised currency gains). Off unless asked for, so that existing
    /// books (the demo group's) keep their figures.
    pub(crate) revalue_foreign: bool,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger")
            .field("organisation", &self.org.name)
            .field("invoices", &self.invoices.len())
            .field("contacts", &self.contacts.len())
            .finish()
    }
}

pub(crate) fn lower(s: &str) -> String {
    s.trim().to_lowercase()
}

impl Ledger {
    /// A new organisation with its country's default chart of accounts and
    /// tax rates. `seed` makes every generated id deterministic.
    pub fn new(settings: OrgSettings, clock: SimClock, seed: u64) -> Self {
        let mut rng = SplitMix64::new(seed);
        let profile = chart::profile(&settings.country_code);
        let now = XeroDate::from_utc(clock.now());
        let org_id = rng.uuid();
        let short = settings
            .short_code
            .clone()
            .unwrap_or_else(|| format!("!{}", &org_id.simple().to_string()[..5]));
        let org = Organisation {
            organisation_id: Some(org_id),
            name: Some(settings.name.clone()),
            legal_name: Some(settings.legal_name.clone().unwrap_or(settings.name.clone())),
            pays_tax: Some(true),
            version: Some(profile.version.to_string()),
            organisation_type: Some("COMPANY".into()),
            base_currency: Some(settings.base_currency),
            country_code: Some(profile.country_code.to_string()),
            is_demo_company: Some(settings.is_demo_company),
            organisation_status: Some("ACTIVE".into()),
            financial_year_end_day: Some(settings.financial_year_end_day),
            financial_year_end_month: Some(settings.financial_year_end_month),
            sales_tax_basis: Some("ACCRUALS".into()),
            sales_tax_period: Some("TWOMONTHS".into()),
            default_sales_tax: Some("Tax Exclusive".into()),
            default_purchases_tax: Some("Tax Exclusive".into()),
            created_date_utc: Some(now),
            organisation_entity_type: Some("COMPANY".into()),
            timezone: Some(profile.timezone.to_string()),
            short_code: Some(short),
            edition: Some("BUSINESS".into()),
            class: Some(
                if settings.is_demo_company {
                    "DEMO"
                } else {
                    "PREMIUM"
                }
                .into(),
            ),
            addresses: Some(vec![]),
            phones: Some(vec![]),
            external_links: Some(vec![]),
            payment_terms: Some(serde_json::Value::Object(Default::default())),
            ..Default::default()
        };
        let mut l = Ledger {
            clock,
            rng,
            org,
            base: settings.base_currency,
            tax_rates: profile.tax_rates,
            sales_tax: profile.sales_tax,
            purchases_tax: profile.purchases_tax,
            accounts: Vec::new(),
            account_by_code: HashMap::new(),
            account_by_id: HashMap::new(),
            contacts: Vec::new(),
            contact_by_id: HashMap::new(),
            contact_by_name: HashMap::new(),
            currencies: Vec::new(),
            tracking: Vec::new(),
            invoices: Vec::new(),
            invoice_by_id: HashMap::new(),
            accrec_numbers: HashMap::new(),
            next_invoice_number: 1,
            journals: Vec::new(),
            journal_by_id: HashMap::new(),
            credit_notes: Vec::new(),
            credit_note_by_id: HashMap::new(),
            credit_note_numbers: HashMap::new(),
            next_credit_note_number: 1,
            bank_transactions: Vec::new(),
            bank_transaction_by_id: HashMap::new(),
            overpayments: Vec::new(),
            overpayment_by_id: HashMap::new(),
            prepayments: Vec::new(),
            prepayment_by_id: HashMap::new(),
            idempotency: HashMap::new(),
            revalue_foreign: false,
        };
        for e in profile.chart {
            let (class, _) = chart::classify(e.account_type).expect("chart types classify");
            let id = l.rng.uuid();
            l.insert_account(Account {
                account_id: Some(id),
                code: Some(e.code.into()),
                name: Some(e.name.into()),
                status: Some("ACTIVE".into()),
                account_type: Some(e.account_type.into()),
                tax_type: Some(e.tax_type.into()),
                class: Some(class.into()),
                system_account: e.system_account.map(Into::into),
                enable_payments_to_account: Some(false),
                show_in_expense_claims: Some(false),
                bank_account_type: (e.account_type == "BANK").then(|| "BANK".into()),
                bank_account_number: (e.account_type == "BANK").then(|| "0000000000".into()),
                currency_code: (e.account_type == "BANK").then_some(settings.base_currency),
                reporting_code: None,
                has_attachments: Some(false),
                updated_date_utc: Some(now),
                add_to_watchlist: Some(false),
                ..Default::default()
            });
        }
        l.currencies.push(Currency {
            code: Some(settings.base_currency),
            description: Some(currency_name(settings.base_currency).into()),
        });
        l
    }

    pub fn clock(&self) -> &SimClock {
        &self.clock
    }

    pub(crate) fn now(&self) -> XeroDate {
        XeroDate::from_utc(self.clock.now())
    }

    pub(crate) fn today(&self) -> NaiveDate {
        self.clock.now().date_naive()
    }

    /// The tenant id (`Organisation.OrganisationID`).
    pub fn tenant_id(&self) -> Uuid {
        self.org.organisation_id.expect("set at creation")
    }

    pub fn name(&self) -> &str {
        self.org.name.as_deref().unwrap_or("")
    }

    pub fn legal_name(&self) -> &str {
        self.org.legal_name.as_deref().unwrap_or("")
    }

    pub fn base_currency(&self) -> CurrencyCode {
        self.base
    }

    pub fn financial_year_end(&self) -> (u32, u32) {
        (
            self.org.financial_year_end_day.unwrap_or(31),
            self.org.financial_year_end_month.unwrap_or(12),
        )
    }

    pub fn invoice_count(&self) -> usize {
        self.invoices.len()
    }

    pub fn contact_count(&self) -> usize {
        self.contacts.len()
    }

    /// Turns month-end revaluation of open foreign-currency invoices on or
    /// off (`POST /_sim/organisations` with `revalue_foreign_balances`).
    pub fn set_foreign_revaluation(&mut self, on: bool) {
        self.revalue_foreign = on;
    }

    pub fn credit_note_count(&self) -> usize {
        self.credit_notes.len()
    }

    pub fn bank_transaction_count(&self) -> usize {
        self.bank_transactions.len()
    }

    /// The chart as stored (read-only; change it through the write API).
    pub fn accounts(&self) -> &[Account] {
        &self.accounts
    }

    pub fn tax_rates(&self) -> &[TaxRate] {
        &self.tax_rates
    }

    pub(crate) fn insert_account(&mut self, a: Account) -> usize {
        let i = self.accounts.len();
        if let Some(c) = &a.code {
            self.account_by_code.insert(lower(c), i);
        }
        self.account_by_id.insert(a.account_id.expect("id"), i);
        self.accounts.push(a);
        i
    }

    pub(crate) fn account_index(&self, id: Option<Uuid>, code: Option<&str>) -> Option<usize> {
        if let Some(id) = id {
            return self.account_by_id.get(&id).copied();
        }
        code.and_then(|c| self.account_by_code.get(&lower(c)).copied())
    }

    pub(crate) fn system_account(&self, system: &str) -> usize {
        self.accounts
            .iter()
            .position(|a| a.system_account.as_deref() == Some(system))
            .expect("default chart has every system account")
    }

    /// Resolves line tracking by category id or name and option id or name,
    /// filling in all four fields; pushes a message for anything unknown.
    pub(crate) fn resolve_tracking(&self, t: &mut [LineItemTracking], errors: &mut Vec<String>) {
        if t.len() > 2 {
            errors.push("A line can have at most two tracking categories".into());
        }
        for x in t.iter_mut() {
            let cat =
                self.tracking
                    .iter()
                    .find(|c| match (x.tracking_category_id, x.name.as_deref()) {
                        (Some(id), _) => c.tracking_category_id == Some(id),
                        (None, Some(n)) => {
                            c.name.as_deref().is_some_and(|cn| lower(cn) == lower(n))
                        }
                        _ => false,
                    });
            let Some(cat) = cat else {
                errors.push(format!(
                    "The tracking category '{}' does not exist",
                    x.name.clone().unwrap_or_default()
                ));
                continue;
            };
            let opt = cat.options.iter().flatten().find(|o| {
                match (x.tracking_option_id, x.option.as_deref()) {
                    (Some(id), _) => o.tracking_option_id == Some(id),
                    (None, Some(n)) => o.name.as_deref().is_some_and(|on| lower(on) == lower(n)),
                    _ => false,
                }
            });
            let Some(opt) = opt else {
                errors.push(format!(
                    "The tracking option '{}' does not exist in the tracking category '{}'",
                    x.option.clone().unwrap_or_default(),
                    cat.name.clone().unwrap_or_default()
                ));
                continue;
            };
            x.tracking_category_id = cat.tracking_category_id;
            x.tracking_option_id = opt.tracking_option_id;
            x.name = cat.name.clone();
            x.option = opt.name.clone();
            x.options = None;
        }
    }

    pub(crate) fn tax_rate(&self, tax_type: &str) -> Option<&TaxRate> {
        self.tax_rates
            .iter()
            .find(|t| t.tax_type.eq_ignore_ascii_case(tax_type))
    }

    /// The report section of the account at `i` (the currency gain groups
    /// past the chart sit in operating expenses, as Xero shows them).
    pub fn section(&self, i: usize) -> Section {
        if i >= self.accounts.len() {
            return Section::OperatingExpenses;
        }
        self.accounts[i]
            .account_type
            .as_deref()
            .and_then(chart::classify)
            .map(|(_, s)| s)
            .unwrap_or(Section::CurrentAssets)
    }

    pub(crate) fn is_subscribed(&self, c: CurrencyCode) -> bool {
        self.currencies.iter().any(|x| x.code == Some(c))
    }

    /// Runs `f` once per idempotency key: a repeated key returns the stored
    /// response of the first call, unchanged.
    pub(crate) fn idempotent<T: Clone>(
        &mut self,
        key: Option<&str>,
        wrap: fn(Result<T, ApiError>) -> Replay,
        unwrap: fn(&Replay) -> Option<Result<T, ApiError>>,
        f: impl FnOnce(&mut Self) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let Some(key) = key else { return f(self) };
        if key.len() > 128 {
            return Err(ApiError::message(
                "The Idempotency-Key header must be no longer than 128 characters",
            ));
        }
        if let Some(prev) = self.idempotency.get(key) {
            return unwrap(prev).unwrap_or_else(|| {
                Err(ApiError::message(
                    "The Idempotency-Key has already been used for a different request",
                ))
            });
        }
        let r = f(self);
        self.idempotency.insert(key.to_string(), wrap(r.clone()));
        r
    }
}

/// A currency's English name, for `Currencies`.
pub fn currency_name(c: CurrencyCode) -> &'static str {
    match c.as_str() {
        "NZD" => "New Zealand Dollar",
        "AUD" => "Australian Dollar",
        "GBP" => "British Pound",
        "USD" => "United States Dollar",
        "EUR" => "Euro",
        "CAD" => "Canadian Dollar",
        "SGD" => "Singapore Dollar",
        "JPY" => "Japanese Yen",
        "CNY" => "Chinese Yuan",
        "HKD" => "Hong Kong Dollar",
        "FJD" => "Fiji Dollar",
        "CHF" => "Swiss Franc",
        _ => "Currency",
    }
}

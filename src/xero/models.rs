//! Xero Accounting API models, named as in Xero's OpenAPI spec. Every field is
//! optional so the same types read Xero's responses, carry clients' partial
//! write payloads and are written back by the simulator. Unknown fields are
//! ignored on input.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::date::XeroDate;
use super::num;
use crate::domain::CurrencyCode;

/// `{"Message": "..."}` inside an element's `ValidationErrors`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ValidationError {
    #[serde(rename = "Message")]
    pub message: String,
}

impl ValidationError {
    pub fn new(m: impl Into<String>) -> Self {
        Self { message: m.into() }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum InvoiceType {
    #[serde(rename = "ACCREC")]
    AccRec,
    #[serde(rename = "ACCPAY")]
    AccPay,
    #[serde(rename = "ACCPAYCREDIT")]
    AccPayCredit,
    #[serde(rename = "ACCRECCREDIT")]
    AccRecCredit,
    #[serde(rename = "APOVERPAYMENT")]
    ApOverpayment,
    #[serde(rename = "APPREPAYMENT")]
    ApPrepayment,
    #[serde(rename = "AROVERPAYMENT")]
    ArOverpayment,
    #[serde(rename = "ARPREPAYMENT")]
    ArPrepayment,
}

impl InvoiceType {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::AccRec => "ACCREC",
            Self::AccPay => "ACCPAY",
            Self::AccPayCredit => "ACCPAYCREDIT",
            Self::AccRecCredit => "ACCRECCREDIT",
            Self::ApOverpayment => "APOVERPAYMENT",
            Self::ApPrepayment => "APPREPAYMENT",
            Self::ArOverpayment => "AROVERPAYMENT",
            Self::ArPrepayment => "ARPREPAYMENT",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum InvoiceStatus {
    Draft,
    Submitted,
    Deleted,
    Authorised,
    Paid,
    Voided,
}

impl InvoiceStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Draft => "DRAFT",
            Self::Submitted => "SUBMITTED",
            Self::Deleted => "DELETED",
            Self::Authorised => "AUTHORISED",
            Self::Paid => "PAID",
            Self::Voided => "VOIDED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim().to_ascii_uppercase().as_str() {
            "DRAFT" => Self::Draft,
            "SUBMITTED" => Self::Submitted,
            "DELETED" => Self::Deleted,
            "AUTHORISED" => Self::Authorised,
            "PAID" => Self::Paid,
            "VOIDED" => Self::Voided,
            _ => return None,
        })
    }

    /// Whether an invoice in this status posts to the ledger.
    pub fn posts(&self) -> bool {
        matches!(self, Self::Authorised | Self::Paid)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LineAmountTypes {
    Exclusive,
    Inclusive,
    NoTax,
}

impl LineAmountTypes {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Exclusive => "Exclusive",
            Self::Inclusive => "Inclusive",
            Self::NoTax => "NoTax",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct LineItemTracking {
    #[serde(
        rename = "TrackingCategoryID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub tracking_category_id: Option<Uuid>,
    #[serde(
        rename = "TrackingOptionID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub tracking_option_id: Option<Uuid>,
    #[serde(rename = "Name", default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(rename = "Option", default, skip_serializing_if = "Option::is_none")]
    pub option: Option<String>,
    #[serde(rename = "Options", default, skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<TrackingOption>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct LineItem {
    #[serde(
        rename = "LineItemID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub line_item_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(
        default,
        with = "num::quantity",
        skip_serializing_if = "Option::is_none"
    )]
    pub quantity: Option<Decimal>,
    #[serde(default, with = "num::unit", skip_serializing_if = "Option::is_none")]
    pub unit_amount: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_code: Option<String>,
    #[serde(rename = "AccountID", default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_type: Option<String>,
    #[serde(default, with = "num::money", skip_serializing_if = "Option::is_none")]
    pub tax_amount: Option<Decimal>,
    #[serde(default, with = "num::money", skip_serializing_if = "Option::is_none")]
    pub line_amount: Option<Decimal>,
    #[serde(default, with = "num::exact", skip_serializing_if = "Option::is_none")]
    pub discount_rate: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking: Option<Vec<LineItemTracking>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Contact {
    #[serde(rename = "ContactID", default, skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_number: Option<String>,
    /// ACTIVE, ARCHIVED or GDPRREQUEST.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_supplier: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_customer: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_currency: Option<CurrencyCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub addresses: Option<Vec<serde_json::Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phones: Option<Vec<serde_json::Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_groups: Option<Vec<serde_json::Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_persons: Option<Vec<serde_json::Value>>,
    #[serde(
        rename = "UpdatedDateUTC",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub updated_date_utc: Option<XeroDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_validation_errors: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_attribute_string: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation_errors: Option<Vec<ValidationError>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Invoice {
    #[serde(rename = "Type", default, skip_serializing_if = "Option::is_none")]
    pub invoice_type: Option<InvoiceType>,
    #[serde(rename = "InvoiceID", default, skip_serializing_if = "Option::is_none")]
    pub invoice_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payments: Option<Vec<Payment>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit_notes: Option<Vec<serde_json::Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prepayments: Option<Vec<serde_json::Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overpayments: Option<Vec<serde_json::Value>>,
    #[serde(default, with = "num::money", skip_serializing_if = "Option::is_none")]
    pub amount_due: Option<Decimal>,
    #[serde(default, with = "num::money", skip_serializing_if = "Option::is_none")]
    pub amount_paid: Option<Decimal>,
    #[serde(default, with = "num::money", skip_serializing_if = "Option::is_none")]
    pub amount_credited: Option<Decimal>,
    #[serde(default, with = "num::rate", skip_serializing_if = "Option::is_none")]
    pub currency_rate: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_discounted: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_attachments: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_errors: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_string: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<XeroDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date_string: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<XeroDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<InvoiceStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_amount_types: Option<LineAmountTypes>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_items: Option<Vec<LineItem>>,
    #[serde(default, with = "num::money", skip_serializing_if = "Option::is_none")]
    pub sub_total: Option<Decimal>,
    #[serde(default, with = "num::money", skip_serializing_if = "Option::is_none")]
    pub total_tax: Option<Decimal>,
    #[serde(default, with = "num::money", skip_serializing_if = "Option::is_none")]
    pub total: Option<Decimal>,
    #[serde(
        rename = "UpdatedDateUTC",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub updated_date_utc: Option<XeroDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency_code: Option<CurrencyCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fully_paid_on_date: Option<XeroDate>,
    #[serde(
        rename = "BrandingThemeID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub branding_theme_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_to_contact: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_attribute_string: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation_errors: Option<Vec<ValidationError>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warnings: Option<Vec<ValidationError>>,
}

/// A reference to an invoice or account inside a payment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct PaymentInvoiceRef {
    #[serde(rename = "InvoiceID", default, skip_serializing_if = "Option::is_none")]
    pub invoice_id: Option<Uuid>,
    #[serde(
        rename = "InvoiceNumber",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub invoice_number: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct AccountRef {
    #[serde(rename = "AccountID", default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<Uuid>,
    #[serde(rename = "Code", default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Payment {
    #[serde(rename = "PaymentID", default, skip_serializing_if = "Option::is_none")]
    pub payment_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice: Option<PaymentInvoiceRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<AccountRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<XeroDate>,
    #[serde(default, with = "num::money", skip_serializing_if = "Option::is_none")]
    pub amount: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(default, with = "num::rate", skip_serializing_if = "Option::is_none")]
    pub currency_rate: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// ACCRECPAYMENT, ACCPAYPAYMENT, ... (Xero sets it on read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_type: Option<String>,
    /// The amount in the bank account's currency.
    #[serde(default, with = "num::money", skip_serializing_if = "Option::is_none")]
    pub bank_amount: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_account: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_validation_errors: Option<bool>,
    #[serde(
        rename = "UpdatedDateUTC",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub updated_date_utc: Option<XeroDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_attribute_string: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation_errors: Option<Vec<ValidationError>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Organisation {
    #[serde(
        rename = "OrganisationID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub organisation_id: Option<Uuid>,
    #[serde(rename = "APIKey", default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pays_tax: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_currency: Option<CurrencyCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_demo_company: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub financial_year_end_day: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub financial_year_end_month: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sales_tax_basis: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sales_tax_period: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_sales_tax: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_purchases_tax: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period_lock_date: Option<XeroDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_of_year_lock_date: Option<XeroDate>,
    #[serde(
        rename = "CreatedDateUTC",
        default,
        with = "crate::xero::date::without_offset",
        skip_serializing_if = "Option::is_none"
    )]
    pub created_date_utc: Option<XeroDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation_entity_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edition: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub addresses: Option<Vec<serde_json::Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phones: Option<Vec<serde_json::Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_links: Option<Vec<serde_json::Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_terms: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Account {
    #[serde(rename = "AccountID", default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// ACTIVE, ARCHIVED, DELETED.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// REVENUE, SALES, OTHERINCOME, DIRECTCOSTS, EXPENSE, OVERHEADS,
    /// DEPRECIATN, BANK, CURRENT, FIXED, INVENTORY, NONCURRENT, PREPAYMENT,
    /// CURRLIAB, LIABILITY, TERMLIAB, PAYGLIABILITY, SUPERANNUATIONEXPENSE,
    /// SUPERANNUATIONLIABILITY, WAGESEXPENSE, EQUITY.
    #[serde(rename = "Type", default, skip_serializing_if = "Option::is_none")]
    pub account_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// ASSET, EQUITY, EXPENSE, LIABILITY, REVENUE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_payments_to_account: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_in_expense_claims: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_account_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_account_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency_code: Option<CurrencyCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reporting_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reporting_code_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_attachments: Option<bool>,
    #[serde(
        rename = "UpdatedDateUTC",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub updated_date_utc: Option<XeroDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub add_to_watchlist: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation_errors: Option<Vec<ValidationError>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ManualJournalStatus {
    Draft,
    Posted,
    Deleted,
    Voided,
    Archived,
}

impl ManualJournalStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Draft => "DRAFT",
            Self::Posted => "POSTED",
            Self::Deleted => "DELETED",
            Self::Voided => "VOIDED",
            Self::Archived => "ARCHIVED",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct ManualJournalLine {
    /// Debit positive, credit negative.
    #[serde(default, with = "num::money", skip_serializing_if = "Option::is_none")]
    pub line_amount: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_code: Option<String>,
    #[serde(rename = "AccountID", default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_type: Option<String>,
    #[serde(default, with = "num::money", skip_serializing_if = "Option::is_none")]
    pub tax_amount: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking: Option<Vec<LineItemTracking>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_blank: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct ManualJournal {
    #[serde(
        rename = "ManualJournalID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub manual_journal_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub narration: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub journal_lines: Option<Vec<ManualJournalLine>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<XeroDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_amount_types: Option<LineAmountTypes>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ManualJournalStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_on_cash_basis_reports: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_attachments: Option<bool>,
    #[serde(
        rename = "UpdatedDateUTC",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub updated_date_utc: Option<XeroDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_attribute_string: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation_errors: Option<Vec<ValidationError>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warnings: Option<Vec<ValidationError>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Currency {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<CurrencyCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct TrackingOption {
    #[serde(
        rename = "TrackingOptionID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub tracking_option_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(
        rename = "TrackingCategoryID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub tracking_category_id: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct TrackingCategory {
    #[serde(
        rename = "TrackingCategoryID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub tracking_category_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub option: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<TrackingOption>>,
}

/// `pagination` on paged responses (camelCase on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Pagination {
    pub page: u32,
    pub page_size: u32,
    pub page_count: u32,
    pub item_count: u64,
}

/// A `Connections` entry (`GET /connections`); camelCase, ISO dates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Connection {
    pub id: Uuid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_event_id: Option<Uuid>,
    pub tenant_id: Uuid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_date_utc: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_date_utc: Option<String>,
}

/// The token endpoint's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct TokenResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    pub access_token: String,
    pub expires_in: u64,
    pub token_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

/// `ACCRECCREDIT` (a credit to a customer) or `ACCPAYCREDIT` (a credit
/// from a supplier).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CreditNoteType {
    #[serde(rename = "ACCRECCREDIT")]
    AccRecCredit,
    #[serde(rename = "ACCPAYCREDIT")]
    AccPayCredit,
}

impl CreditNoteType {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::AccRecCredit => "ACCRECCREDIT",
            Self::AccPayCredit => "ACCPAYCREDIT",
        }
    }
}

/// A reference to the document an [`Allocation`] applies to, or comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct DocumentRef {
    #[serde(rename = "InvoiceID", default, skip_serializing_if = "Option::is_none")]
    pub invoice_id: Option<Uuid>,
    #[serde(
        rename = "InvoiceNumber",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub invoice_number: Option<String>,
    #[serde(
        rename = "CreditNoteID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub credit_note_id: Option<Uuid>,
    #[serde(
        rename = "CreditNoteNumber",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub credit_note_number: Option<String>,
    #[serde(
        rename = "OverpaymentID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub overpayment_id: Option<Uuid>,
    #[serde(
        rename = "PrepaymentID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub prepayment_id: Option<Uuid>,
}

/// Part of a credit note, overpayment or prepayment applied to an invoice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Allocation {
    #[serde(
        rename = "AllocationID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub allocation_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice: Option<DocumentRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit_note: Option<DocumentRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overpayment: Option<DocumentRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prepayment: Option<DocumentRef>,
    #[serde(default, with = "num::money", skip_serializing_if = "Option::is_none")]
    pub amount: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<XeroDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_deleted: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_attribute_string: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation_errors: Option<Vec<ValidationError>>,
}

/// A credit note (`CreditNotes`). Statuses as invoices: DRAFT, SUBMITTED,
/// AUTHORISED, PAID (fully allocated or refunded), VOIDED, DELETED.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct CreditNote {
    #[serde(rename = "Type", default, skip_serializing_if = "Option::is_none")]
    pub credit_note_type: Option<CreditNoteType>,
    #[serde(
        rename = "CreditNoteID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub credit_note_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit_note_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_string: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<XeroDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date_string: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<XeroDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<InvoiceStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_amount_types: Option<LineAmountTypes>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_items: Option<Vec<LineItem>>,
    #[serde(default, with = "num::money", skip_serializing_if = "Option::is_none")]
    pub sub_total: Option<Decimal>,
    #[serde(default, with = "num::money", skip_serializing_if = "Option::is_none")]
    pub total_tax: Option<Decimal>,
    #[serde(default, with = "num::money", skip_serializing_if = "Option::is_none")]
    pub total: Option<Decimal>,
    #[serde(
        rename = "UpdatedDateUTC",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub updated_date_utc: Option<XeroDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency_code: Option<CurrencyCode>,
    #[serde(default, with = "num::rate", skip_serializing_if = "Option::is_none")]
    pub currency_rate: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fully_paid_on_date: Option<XeroDate>,
    #[serde(default, with = "num::money", skip_serializing_if = "Option::is_none")]
    pub remaining_credit: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allocations: Option<Vec<Allocation>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payments: Option<Vec<Payment>>,
    #[serde(
        rename = "BrandingThemeID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub branding_theme_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_to_contact: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_attachments: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_errors: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_attribute_string: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation_errors: Option<Vec<ValidationError>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warnings: Option<Vec<ValidationError>>,
}

/// `BankTransaction.Type`: money spent or received, and the overpayment,
/// prepayment and transfer variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BankTransactionType {
    #[serde(rename = "RECEIVE")]
    Receive,
    #[serde(rename = "RECEIVE-OVERPAYMENT")]
    ReceiveOverpayment,
    #[serde(rename = "RECEIVE-PREPAYMENT")]
    ReceivePrepayment,
    #[serde(rename = "SPEND")]
    Spend,
    #[serde(rename = "SPEND-OVERPAYMENT")]
    SpendOverpayment,
    #[serde(rename = "SPEND-PREPAYMENT")]
    SpendPrepayment,
    #[serde(rename = "RECEIVE-TRANSFER")]
    ReceiveTransfer,
    #[serde(rename = "SPEND-TRANSFER")]
    SpendTransfer,
}

impl BankTransactionType {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Receive => "RECEIVE",
            Self::ReceiveOverpayment => "RECEIVE-OVERPAYMENT",
            Self::ReceivePrepayment => "RECEIVE-PREPAYMENT",
            Self::Spend => "SPEND",
            Self::SpendOverpayment => "SPEND-OVERPAYMENT",
            Self::SpendPrepayment => "SPEND-PREPAYMENT",
            Self::ReceiveTransfer => "RECEIVE-TRANSFER",
            Self::SpendTransfer => "SPEND-TRANSFER",
        }
    }

    /// Whether money comes into the bank account.
    pub fn is_receive(&self) -> bool {
        matches!(
            self,
            Self::Receive
                | Self::ReceiveOverpayment
                | Self::ReceivePrepayment
                | Self::ReceiveTransfer
        )
    }
}

/// A spend or receive money transaction (`BankTransactions`). Status
/// AUTHORISED, DELETED or VOIDED (a string: Xero has no other states here).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct BankTransaction {
    #[serde(rename = "Type", default, skip_serializing_if = "Option::is_none")]
    pub bank_transaction_type: Option<BankTransactionType>,
    #[serde(
        rename = "BankTransactionID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub bank_transaction_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_items: Option<Vec<LineItem>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_account: Option<Account>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_reconciled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_string: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<XeroDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency_code: Option<CurrencyCode>,
    #[serde(default, with = "num::rate", skip_serializing_if = "Option::is_none")]
    pub currency_rate: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_amount_types: Option<LineAmountTypes>,
    #[serde(default, with = "num::money", skip_serializing_if = "Option::is_none")]
    pub sub_total: Option<Decimal>,
    #[serde(default, with = "num::money", skip_serializing_if = "Option::is_none")]
    pub total_tax: Option<Decimal>,
    #[serde(default, with = "num::money", skip_serializing_if = "Option::is_none")]
    pub total: Option<Decimal>,
    #[serde(
        rename = "PrepaymentID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub prepayment_id: Option<Uuid>,
    #[serde(
        rename = "OverpaymentID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub overpayment_id: Option<Uuid>,
    #[serde(
        rename = "UpdatedDateUTC",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub updated_date_utc: Option<XeroDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_attachments: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_attribute_string: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation_errors: Option<Vec<ValidationError>>,
}

/// An overpayment (`Overpayments`): money received or spent beyond what was
/// owed, kept as a credit with the contact. Type RECEIVE-OVERPAYMENT or
/// SPEND-OVERPAYMENT; status AUTHORISED, PAID (used up) or VOIDED.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Overpayment {
    #[serde(rename = "Type", default, skip_serializing_if = "Option::is_none")]
    /// RECEIVE-OVERPAYMENT, SPEND-OVERPAYMENT or (older records)
    /// AROVERPAYMENT: kept as text so an unexpected kind reads.
    pub overpayment_type: Option<String>,
    #[serde(
        rename = "OverpaymentID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub overpayment_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_string: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<XeroDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_amount_types: Option<LineAmountTypes>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_items: Option<Vec<LineItem>>,
    #[serde(default, with = "num::money", skip_serializing_if = "Option::is_none")]
    pub sub_total: Option<Decimal>,
    #[serde(default, with = "num::money", skip_serializing_if = "Option::is_none")]
    pub total_tax: Option<Decimal>,
    #[serde(default, with = "num::money", skip_serializing_if = "Option::is_none")]
    pub total: Option<Decimal>,
    #[serde(
        rename = "UpdatedDateUTC",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub updated_date_utc: Option<XeroDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency_code: Option<CurrencyCode>,
    #[serde(default, with = "num::rate", skip_serializing_if = "Option::is_none")]
    pub currency_rate: Option<Decimal>,
    #[serde(default, with = "num::money", skip_serializing_if = "Option::is_none")]
    pub remaining_credit: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allocations: Option<Vec<Allocation>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payments: Option<Vec<Payment>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_attachments: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

/// A prepayment (`Prepayments`): money received or spent before the
/// invoice. Type RECEIVE-PREPAYMENT or SPEND-PREPAYMENT; status AUTHORISED,
/// PAID (used up) or VOIDED.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Prepayment {
    #[serde(rename = "Type", default, skip_serializing_if = "Option::is_none")]
    /// RECEIVE-PREPAYMENT, SPEND-PREPAYMENT, ARPREPAYMENT or APPREPAYMENT:
    /// kept as text so an unexpected kind reads.
    pub prepayment_type: Option<String>,
    #[serde(
        rename = "PrepaymentID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub prepayment_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_string: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<XeroDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_amount_types: Option<LineAmountTypes>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_items: Option<Vec<LineItem>>,
    #[serde(default, with = "num::money", skip_serializing_if = "Option::is_none")]
    pub sub_total: Option<Decimal>,
    #[serde(default, with = "num::money", skip_serializing_if = "Option::is_none")]
    pub total_tax: Option<Decimal>,
    #[serde(default, with = "num::money", skip_serializing_if = "Option::is_none")]
    pub total: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(
        rename = "UpdatedDateUTC",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub updated_date_utc: Option<XeroDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency_code: Option<CurrencyCode>,
    #[serde(default, with = "num::rate", skip_serializing_if = "Option::is_none")]
    pub currency_rate: Option<Decimal>,
    #[serde(default, with = "num::money", skip_serializing_if = "Option::is_none")]
    pub remaining_credit: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allocations: Option<Vec<Allocation>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payments: Option<Vec<Payment>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_attachments: Option<bool>,
}

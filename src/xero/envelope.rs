//! The success envelope (`{"Id", "Status": "OK", "ProviderName",
//! "DateTimeUTC", "<Collection>": [...], "pagination"?}`), report rows and
//! Xero's error bodies.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::date::XeroDate;
use super::models::*;

macro_rules! envelope {
    ($name:ident, $field:ident, $wire:literal, $item:ty) => {
        #[doc = concat!("The `", $wire, "` success envelope.")]
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
        pub struct $name {
            #[serde(rename = "Id", default, skip_serializing_if = "Option::is_none")]
            pub id: Option<Uuid>,
            #[serde(rename = "Status", default, skip_serializing_if = "Option::is_none")]
            pub status: Option<String>,
            #[serde(
                rename = "ProviderName",
                default,
                skip_serializing_if = "Option::is_none"
            )]
            pub provider_name: Option<String>,
            #[serde(
                rename = "DateTimeUTC",
                default,
                with = "crate::xero::date::without_offset",
                skip_serializing_if = "Option::is_none"
            )]
            pub date_time_utc: Option<XeroDate>,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub pagination: Option<Pagination>,
            #[serde(rename = $wire, default)]
            pub $field: Vec<$item>,
        }

        impl $name {
            /// An `OK` envelope around `items`.
            pub fn ok(id: Uuid, provider: &str, now: XeroDate, items: Vec<$item>) -> Self {
                Self {
                    id: Some(id),
                    status: Some("OK".into()),
                    provider_name: Some(provider.into()),
                    date_time_utc: Some(now),
                    pagination: None,
                    $field: items,
                }
            }
        }
    };
}

envelope!(Organisations, organisations, "Organisations", Organisation);
envelope!(Accounts, accounts, "Accounts", Account);
envelope!(Contacts, contacts, "Contacts", Contact);
envelope!(Invoices, invoices, "Invoices", Invoice);
envelope!(Payments, payments, "Payments", Payment);
envelope!(
    ManualJournals,
    manual_journals,
    "ManualJournals",
    ManualJournal
);
envelope!(Currencies, currencies, "Currencies", Currency);
envelope!(
    TrackingCategories,
    tracking_categories,
    "TrackingCategories",
    TrackingCategory
);
envelope!(Reports, reports, "Reports", Report);
envelope!(CreditNotes, credit_notes, "CreditNotes", CreditNote);
envelope!(Allocations, allocations, "Allocations", Allocation);
envelope!(
    BankTransactions,
    bank_transactions,
    "BankTransactions",
    BankTransaction
);
envelope!(Overpayments, overpayments, "Overpayments", Overpayment);
envelope!(Prepayments, prepayments, "Prepayments", Prepayment);

/// `{"Id": "account", "Value": "<AccountID>"}` on report cells.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ReportAttribute {
    #[serde(rename = "Id", default)]
    pub id: String,
    #[serde(rename = "Value", default)]
    pub value: String,
}

/// A report cell: values are strings (`"1234.50"`, names, dates).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ReportCell {
    #[serde(rename = "Value", default)]
    pub value: String,
    #[serde(
        rename = "Attributes",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub attributes: Option<Vec<ReportAttribute>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RowType {
    Header,
    Section,
    Row,
    SummaryRow,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportRow {
    #[serde(rename = "RowType")]
    pub row_type: RowType,
    #[serde(rename = "Title", default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(rename = "Cells", default, skip_serializing_if = "Option::is_none")]
    pub cells: Option<Vec<ReportCell>>,
    #[serde(rename = "Rows", default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<Vec<ReportRow>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Report {
    #[serde(rename = "ReportID", default, skip_serializing_if = "Option::is_none")]
    pub report_id: Option<String>,
    #[serde(
        rename = "ReportName",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub report_name: Option<String>,
    #[serde(
        rename = "ReportType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub report_type: Option<String>,
    #[serde(
        rename = "ReportTitles",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub report_titles: Option<Vec<String>>,
    #[serde(
        rename = "ReportDate",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub report_date: Option<String>,
    #[serde(
        rename = "UpdatedDateUTC",
        default,
        with = "crate::xero::date::without_offset",
        skip_serializing_if = "Option::is_none"
    )]
    pub updated_date_utc: Option<XeroDate>,
    #[serde(rename = "Fields", default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<serde_json::Value>>,
    #[serde(rename = "Rows", default)]
    pub rows: Vec<ReportRow>,
}

/// Xero's 400 body: `{"ErrorNumber": 10, "Type": "ValidationException",
/// "Message": "A validation exception occurred", "Elements": [...]}`. The
/// elements are the submitted records, each with its `ValidationErrors`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ApiException {
    #[serde(rename = "ErrorNumber")]
    pub error_number: i32,
    #[serde(rename = "Type")]
    pub error_type: String,
    #[serde(rename = "Message")]
    pub message: String,
    #[serde(rename = "Elements", default, skip_serializing_if = "Option::is_none")]
    pub elements: Option<Vec<serde_json::Value>>,
}

impl ApiException {
    pub fn validation(elements: Vec<serde_json::Value>) -> Self {
        Self {
            error_number: 10,
            error_type: "ValidationException".into(),
            message: "A validation exception occurred".into(),
            elements: Some(elements),
        }
    }

    /// Every `ValidationErrors[].Message` of every element.
    pub fn messages(&self) -> Vec<String> {
        let mut out = Vec::new();
        for e in self.elements.iter().flatten() {
            if let Some(errs) = e.get("ValidationErrors").and_then(|v| v.as_array()) {
                for m in errs {
                    if let Some(s) = m.get("Message").and_then(|v| v.as_str()) {
                        out.push(s.to_string());
                    }
                }
            }
        }
        out
    }
}

/// The 401/403 problem body: `{"Type": null, "Title": "Unauthorized",
/// "Status": 401, "Detail": "...", "Instance": "...", "Extensions": {}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ProblemBody {
    #[serde(rename = "Type")]
    pub problem_type: Option<String>,
    #[serde(rename = "Title")]
    pub title: String,
    #[serde(rename = "Status")]
    pub status: u16,
    #[serde(rename = "Detail")]
    pub detail: String,
    #[serde(rename = "Instance", default)]
    pub instance: Option<String>,
    #[serde(rename = "Extensions", default)]
    pub extensions: serde_json::Map<String, serde_json::Value>,
}

impl ProblemBody {
    pub fn unauthorized(detail: &str, instance: Uuid) -> Self {
        Self {
            problem_type: None,
            title: "Unauthorized".into(),
            status: 401,
            detail: detail.into(),
            instance: Some(instance.to_string()),
            extensions: Default::default(),
        }
    }

    pub fn forbidden(detail: &str, instance: Uuid) -> Self {
        Self {
            problem_type: None,
            title: "Forbidden".into(),
            status: 403,
            detail: detail.into(),
            instance: Some(instance.to_string()),
            extensions: Default::default(),
        }
    }
}

/// The OAuth error body, e.g. `{"error": "invalid_grant"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct OAuthError {
    pub error: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
}

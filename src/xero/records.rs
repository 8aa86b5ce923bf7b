//! Xero's documents as Consol's sync reads them: invoices, credit notes,
//! bank transactions, payments, overpayments and prepayments.
//!
//! These are read-only twins of the shared models in `models.rs` (which the
//! simulator writes with closed enums). Here every enumerated value and the
//! currency code are kept as Xero sent them: a value Consol does not know
//! is carried verbatim (`Other("...")`) for the engine to warn about, never
//! an error that drops the page and never a silent default. Amounts are
//! exact decimals; a missing amount stays `None`.

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

use super::date::XeroDate;
use super::models::{LineItemTracking, Pagination};
use super::num;

/// An enumeration of Xero's with a catch-all that keeps unknown values as
/// text. Matching is exact: Xero writes these in a fixed case.
macro_rules! open_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($variant,)+
            /// A value Consol does not know, exactly as Xero sent it.
            Other(String),
        }

        impl $name {
            pub fn parse(s: &str) -> Self {
                match s {
                    $($wire => Self::$variant,)+
                    other => Self::Other(other.to_string()),
                }
            }

            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $wire,)+
                    Self::Other(s) => s,
                }
            }

            /// Whether Consol knows this value.
            pub fn is_known(&self) -> bool {
                !matches!(self, Self::Other(_))
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                String::deserialize(d).map(|s| Self::parse(&s))
            }
        }
    };
}

open_enum!(
    /// `Invoice.Type`.
    InvoiceKind {
        AccRec = "ACCREC",
        AccPay = "ACCPAY",
    }
);

open_enum!(
    /// `CreditNote.Type`.
    CreditNoteKind {
        AccRecCredit = "ACCRECCREDIT",
        AccPayCredit = "ACCPAYCREDIT",
    }
);

open_enum!(
    /// `BankTransaction.Type`.
    BankTransactionKind {
        Receive = "RECEIVE",
        Spend = "SPEND",
        ReceiveOverpayment = "RECEIVE-OVERPAYMENT",
        SpendOverpayment = "SPEND-OVERPAYMENT",
        ReceivePrepayment = "RECEIVE-PREPAYMENT",
        SpendPrepayment = "SPEND-PREPAYMENT",
        ReceiveTransfer = "RECEIVE-TRANSFER",
        SpendTransfer = "SPEND-TRANSFER",
    }
);

open_enum!(
    /// `Overpayment.Type` and `Prepayment.Type`.
    PrepaymentKind {
        ReceiveOverpayment = "RECEIVE-OVERPAYMENT",
        SpendOverpayment = "SPEND-OVERPAYMENT",
        ArOverpayment = "AROVERPAYMENT",
        ApOverpayment = "APOVERPAYMENT",
        ReceivePrepayment = "RECEIVE-PREPAYMENT",
        SpendPrepayment = "SPEND-PREPAYMENT",
        ArPrepayment = "ARPREPAYMENT",
        ApPrepayment = "APPREPAYMENT",
    }
);

open_enum!(
    /// `Payment.PaymentType`.
    PaymentKind {
        AccRecPayment = "ACCRECPAYMENT",
        AccPayPayment = "ACCPAYPAYMENT",
        ArCreditPayment = "ARCREDITPAYMENT",
        ApCreditPayment = "APCREDITPAYMENT",
        ArOverpaymentPayment = "AROVERPAYMENTPAYMENT",
        ArPrepaymentPayment = "ARPREPAYMENTPAYMENT",
        ApPrepaymentPayment = "APPREPAYMENTPAYMENT",
        ApOverpaymentPayment = "APOVERPAYMENTPAYMENT",
    }
);

open_enum!(
    /// The status of any document: invoices and credit notes use the first
    /// six, bank transactions AUTHORISED, DELETED and VOIDED, payments
    /// AUTHORISED and DELETED.
    DocStatus {
        Draft = "DRAFT",
        Submitted = "SUBMITTED",
        Authorised = "AUTHORISED",
        Paid = "PAID",
        Voided = "VOIDED",
        Deleted = "DELETED",
    }
);

open_enum!(
    /// `LineAmountTypes`.
    LineAmounts {
        Exclusive = "Exclusive",
        Inclusive = "Inclusive",
        NoTax = "NoTax",
    }
);

/// The contact named on a document (only what the sync keeps).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ContactRef {
    #[serde(rename = "ContactID", default, skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<Uuid>,
    #[serde(rename = "Name", default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A bank account named on a bank transaction or payment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct AccountRef {
    #[serde(rename = "AccountID", default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<Uuid>,
    #[serde(rename = "Code", default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// A line of any document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct LineRecord {
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
    pub account_code: Option<String>,
    #[serde(rename = "AccountID", default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_type: Option<String>,
    #[serde(default, with = "num::money", skip_serializing_if = "Option::is_none")]
    pub tax_amount: Option<Decimal>,
    #[serde(default, with = "num::money", skip_serializing_if = "Option::is_none")]
    pub line_amount: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking: Option<Vec<LineItemTracking>>,
}

/// A document reference inside an allocation or payment: whichever id and
/// number Xero filled in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct DocRef {
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

/// Part of a credit note, overpayment or prepayment applied to an invoice
/// (or, for an invoice's allocations, from one of those).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct AllocationRecord {
    #[serde(
        rename = "AllocationID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub allocation_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice: Option<DocRef>,
    #[serde(default, with = "num::money", skip_serializing_if = "Option::is_none")]
    pub amount: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<XeroDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_deleted: Option<bool>,
}

/// `Invoice` as the sync reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct InvoiceRecord {
    #[serde(rename = "Type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<InvoiceKind>,
    #[serde(rename = "InvoiceID", default, skip_serializing_if = "Option::is_none")]
    pub invoice_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<ContactRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<XeroDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<XeroDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<DocStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_amount_types: Option<LineAmounts>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_items: Option<Vec<LineRecord>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency_code: Option<String>,
    #[serde(default, with = "num::rate", skip_serializing_if = "Option::is_none")]
    pub currency_rate: Option<Decimal>,
    #[serde(default, with = "num::money", skip_serializing_if = "Option::is_none")]
    pub sub_total: Option<Decimal>,
    #[serde(default, with = "num::money", skip_serializing_if = "Option::is_none")]
    pub total_tax: Option<Decimal>,
    #[serde(default, with = "num::money", skip_serializing_if = "Option::is_none")]
    pub total: Option<Decimal>,
    #[serde(default, with = "num::money", skip_serializing_if = "Option::is_none")]
    pub amount_due: Option<Decimal>,
    #[serde(default, with = "num::money", skip_serializing_if = "Option::is_none")]
    pub amount_paid: Option<Decimal>,
    #[serde(
        rename = "UpdatedDateUTC",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub updated_date_utc: Option<XeroDate>,
}

/// `CreditNote`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct CreditNoteRecord {
    #[serde(rename = "Type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<CreditNoteKind>,
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
    pub contact: Option<ContactRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<XeroDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<DocStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_amount_types: Option<LineAmounts>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_items: Option<Vec<LineRecord>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency_code: Option<String>,
    #[serde(default, with = "num::rate", skip_serializing_if = "Option::is_none")]
    pub currency_rate: Option<Decimal>,
    #[serde(default, with = "num::money", skip_serializing_if = "Option::is_none")]
    pub sub_total: Option<Decimal>,
    #[serde(default, with = "num::money", skip_serializing_if = "Option::is_none")]
    pub total_tax: Option<Decimal>,
    #[serde(default, with = "num::money", skip_serializing_if = "Option::is_none")]
    pub total: Option<Decimal>,
    #[serde(default, with = "num::money", skip_serializing_if = "Option::is_none")]
    pub remaining_credit: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allocations: Option<Vec<AllocationRecord>>,
    /// Refunds of the credit note; the sync takes them from `GET /Payments`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payments: Option<Vec<serde_json::Value>>,
    #[serde(
        rename = "UpdatedDateUTC",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub updated_date_utc: Option<XeroDate>,
}

/// `BankTransaction` (spend and receive money, and the bank side of
/// overpayments, prepayments and transfers).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct BankTransactionRecord {
    #[serde(rename = "Type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<BankTransactionKind>,
    #[serde(
        rename = "BankTransactionID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub bank_transaction_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<ContactRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_account: Option<AccountRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_reconciled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<XeroDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<DocStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_amount_types: Option<LineAmounts>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_items: Option<Vec<LineRecord>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency_code: Option<String>,
    #[serde(default, with = "num::rate", skip_serializing_if = "Option::is_none")]
    pub currency_rate: Option<Decimal>,
    #[serde(default, with = "num::money", skip_serializing_if = "Option::is_none")]
    pub sub_total: Option<Decimal>,
    #[serde(default, with = "num::money", skip_serializing_if = "Option::is_none")]
    pub total_tax: Option<Decimal>,
    #[serde(default, with = "num::money", skip_serializing_if = "Option::is_none")]
    pub total: Option<Decimal>,
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
    #[serde(
        rename = "UpdatedDateUTC",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub updated_date_utc: Option<XeroDate>,
}

/// `Payment`: money applied to one invoice, credit note, overpayment or
/// prepayment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct PaymentRecord {
    #[serde(rename = "PaymentID", default, skip_serializing_if = "Option::is_none")]
    pub payment_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice: Option<DocRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit_note: Option<DocRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overpayment: Option<DocRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prepayment: Option<DocRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<AccountRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<XeroDate>,
    #[serde(default, with = "num::money", skip_serializing_if = "Option::is_none")]
    pub amount: Option<Decimal>,
    #[serde(default, with = "num::money", skip_serializing_if = "Option::is_none")]
    pub bank_amount: Option<Decimal>,
    #[serde(default, with = "num::rate", skip_serializing_if = "Option::is_none")]
    pub currency_rate: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<DocStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_type: Option<PaymentKind>,
    #[serde(
        rename = "UpdatedDateUTC",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub updated_date_utc: Option<XeroDate>,
}

/// `Overpayment` or `Prepayment`: the two share every field Consol keeps
/// but their id's name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct PrepaymentRecord {
    #[serde(rename = "Type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<PrepaymentKind>,
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<ContactRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<XeroDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<DocStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_amount_types: Option<LineAmounts>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_items: Option<Vec<LineRecord>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency_code: Option<String>,
    #[serde(default, with = "num::rate", skip_serializing_if = "Option::is_none")]
    pub currency_rate: Option<Decimal>,
    #[serde(default, with = "num::money", skip_serializing_if = "Option::is_none")]
    pub sub_total: Option<Decimal>,
    #[serde(default, with = "num::money", skip_serializing_if = "Option::is_none")]
    pub total_tax: Option<Decimal>,
    #[serde(default, with = "num::money", skip_serializing_if = "Option::is_none")]
    pub total: Option<Decimal>,
    #[serde(default, with = "num::money", skip_serializing_if = "Option::is_none")]
    pub remaining_credit: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allocations: Option<Vec<AllocationRecord>>,
    #[serde(
        rename = "UpdatedDateUTC",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub updated_date_utc: Option<XeroDate>,
}

macro_rules! page {
    ($name:ident, $field:ident, $wire:literal, $item:ty) => {
        #[doc = concat!("A page of `", $wire, "` as the sync reads it.")]
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
        pub struct $name {
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub pagination: Option<Pagination>,
            #[serde(rename = $wire, default)]
            pub $field: Vec<$item>,
        }
    };
}

page!(InvoicePage, invoices, "Invoices", InvoiceRecord);
page!(
    CreditNotePage,
    credit_notes,
    "CreditNotes",
    CreditNoteRecord
);
page!(
    BankTransactionPage,
    bank_transactions,
    "BankTransactions",
    BankTransactionRecord
);
page!(PaymentPage, payments, "Payments", PaymentRecord);
page!(
    OverpaymentPage,
    overpayments,
    "Overpayments",
    PrepaymentRecord
);
page!(PrepaymentPage, prepayments, "Prepayments", PrepaymentRecord);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_values_are_kept_verbatim() {
        let j = r#"{"CreditNotes":[{"Type":"ACCRECCREDIT","Status":"ARCHIVED",
            "CurrencyCode":"XBT","LineAmountTypes":"GrossOfTax",
            "LineItems":[{"Description":"no amounts"}],
            "CurrencyRate":1.234567,"Total":10.10}]}"#;
        let p: CreditNotePage = serde_json::from_str(j).unwrap();
        let c = &p.credit_notes[0];
        assert_eq!(c.kind, Some(CreditNoteKind::AccRecCredit));
        assert_eq!(c.status, Some(DocStatus::Other("ARCHIVED".into())));
        assert_eq!(c.currency_code.as_deref(), Some("XBT"));
        assert_eq!(
            c.line_amount_types.as_ref().map(LineAmounts::as_str),
            Some("GrossOfTax")
        );
        let l = &c.line_items.as_ref().unwrap()[0];
        assert_eq!((l.line_amount, l.tax_amount), (None, None));
        assert_eq!(c.currency_rate, Some(Decimal::new(1_234_567, 6)));
        assert_eq!(c.total, Some(Decimal::new(1010, 2)));
    }

    #[test]
    fn every_known_wire_value_round_trips() {
        for s in ["RECEIVE", "SPEND", "RECEIVE-PREPAYMENT", "SPEND-TRANSFER"] {
            let k = BankTransactionKind::parse(s);
            assert!(k.is_known(), "{s}");
            assert_eq!(k.as_str(), s);
        }
        // Case matters: Xero writes upper case, anything else is unknown.
        assert!(!DocStatus::parse("authorised").is_known());
        let json = serde_json::to_string(&PaymentKind::Other("NEWKIND".into())).unwrap();
        assert_eq!(json, "\"NEWKIND\"");
    }

    #[test]
    fn payments_name_what_they_pay() {
        let j = r#"{"Payments":[{"PaymentID":"00000000-0000-0000-0000-000000000001",
            "CreditNote":{"CreditNoteID":"00000000-0000-0000-0000-000000000002","CreditNoteNumber":"CN-1"},
            "Date":"/Date(1767225600000+0000)/","Amount":50.00,"CurrencyRate":0.800000,
            "Status":"AUTHORISED","PaymentType":"ARCREDITPAYMENT"}]}"#;
        let p: PaymentPage = serde_json::from_str(j).unwrap();
        let pay = &p.payments[0];
        assert_eq!(pay.payment_type, Some(PaymentKind::ArCreditPayment));
        assert_eq!(
            pay.credit_note
                .as_ref()
                .unwrap()
                .credit_note_number
                .as_deref(),
            Some("CN-1")
        );
        assert_eq!(pay.currency_rate, Some(Decimal::new(8, 1)));
        assert!(pay.invoice.is_none());
    }
}

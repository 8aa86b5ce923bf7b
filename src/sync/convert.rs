//! Xero's records to the rows the store keeps. A record without the fields
//! Consol relies on is an error naming it, never silently skipped.

use rust_decimal::Decimal;

use crate::store::{AccountRow, ContactRow, InvoiceLineRow, InvoiceRow};
use crate::xero::{Account, Contact, Invoice};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("Xero sent {what} without {field}")]
pub struct Incomplete {
    pub what: String,
    pub field: &'static str,
}

fn need<T>(v: Option<T>, what: impl Fn() -> String, field: &'static str) -> Result<T, Incomplete> {
    v.ok_or_else(|| Incomplete {
        what: what(),
        field,
    })
}

pub fn account(a: &Account) -> Result<AccountRow, Incomplete> {
    let id = need(
        a.account_id,
        || format!("an account ({:?})", a.name),
        "AccountID",
    )?;
    Ok(AccountRow {
        account_id: id.to_string(),
        code: a.code.clone(),
        name: a.name.clone().unwrap_or_default(),
        account_type: a.account_type.clone().unwrap_or_default(),
        class: a.class.clone(),
        status: a.status.clone(),
        reporting_code: a.reporting_code.clone(),
        system_account: a.system_account.clone(),
        updated_at_xero: a.updated_date_utc.map(|d| d.utc()),
    })
}

pub fn contact(c: &Contact) -> Result<ContactRow, Incomplete> {
    let id = need(
        c.contact_id,
        || format!("a contact ({:?})", c.name),
        "ContactID",
    )?;
    Ok(ContactRow {
        contact_id: id.to_string(),
        name: c.name.clone().unwrap_or_default(),
        contact_status: c.contact_status.clone(),
        is_customer: c.is_customer.unwrap_or(false),
        is_supplier: c.is_supplier.unwrap_or(false),
        default_currency: c.default_currency.map(|x| x.to_string()),
        updated_at_xero: c.updated_date_utc.map(|d| d.utc()),
    })
}

pub fn invoice(i: &Invoice) -> Result<InvoiceRow, Incomplete> {
    let id = need(
        i.invoice_id,
        || format!("an invoice ({:?})", i.invoice_number),
        "InvoiceID",
    )?;
    let what = || format!("invoice {id}");
    let contact = need(i.contact.as_ref(), what, "Contact")?;
    let lines = i
        .line_items
        .iter()
        .flatten()
        .map(|l| InvoiceLineRow {
            line_item_id: l.line_item_id.map(|x| x.to_string()),
            description: l.description.clone(),
            quantity: l.quantity,
            unit_amount: l.unit_amount,
            account_code: l.account_code.clone(),
            account_id: l.account_id.map(|x| x.to_string()),
            tax_type: l.tax_type.clone(),
            tax_amount: l.tax_amount.unwrap_or(Decimal::ZERO),
            line_amount: l.line_amount.unwrap_or(Decimal::ZERO),
            tracking: l
                .tracking
                .as_ref()
                .filter(|t| !t.is_empty())
                .and_then(|t| serde_json::to_string(t).ok()),
        })
        .collect();
    Ok(InvoiceRow {
        invoice_id: id.to_string(),
        invoice_type: need(i.invoice_type, what, "Type")?.as_str().to_string(),
        invoice_number: i.invoice_number.clone(),
        reference: i.reference.clone(),
        contact_id: need(contact.contact_id, what, "Contact.ContactID")?.to_string(),
        contact_name: contact.name.clone(),
        date: need(i.date, what, "Date")?.date(),
        due_date: i.due_date.map(|d| d.date()),
        status: need(i.status, what, "Status")?.as_str().to_string(),
        line_amount_types: need(i.line_amount_types, what, "LineAmountTypes")?
            .as_str()
            .to_string(),
        currency_code: need(i.currency_code, what, "CurrencyCode")?.to_string(),
        currency_rate: i.currency_rate.unwrap_or(Decimal::ONE),
        sub_total: i.sub_total.unwrap_or(Decimal::ZERO),
        total_tax: i.total_tax.unwrap_or(Decimal::ZERO),
        total: need(i.total, what, "Total")?,
        amount_due: i.amount_due,
        amount_paid: i.amount_paid,
        updated_at_xero: need(i.updated_date_utc, what, "UpdatedDateUTC")?.utc(),
        lines,
    })
}

//! `GET /CreditNotes`, `/BankTransactions`, `/Overpayments` and
//! `/Prepayments`: paged (100 a page, `pageSize` up to 1000) when `page` is
//! given, with `where`, `order`, `IDs`, `ContactIDs`, `Statuses` and
//! `If-Modified-Since`, as Xero pages invoices. Default order:
//! `UpdatedDateUTC ASC`, then the record's id.

use uuid::Uuid;

use super::error::ApiError;
use super::ledger::Ledger;
use super::query::{Order, QValue, Queryable};
use super::reads::{ListQuery, page_of};
use crate::xero::*;

impl Queryable for CreditNote {
    fn field(&self, n: &str) -> QValue {
        match n {
            "type" => self.credit_note_type.map(|t| t.as_str()).into(),
            "status" => self.status.map(|s| s.as_str()).into(),
            "creditnoteid" => self.credit_note_id.into(),
            "creditnotenumber" => self.credit_note_number.as_deref().into(),
            "reference" => self.reference.as_deref().filter(|r| !r.is_empty()).into(),
            "date" => self.date.into(),
            "duedate" => self.due_date.into(),
            "updateddateutc" => self.updated_date_utc.into(),
            "fullypaidondate" => self.fully_paid_on_date.into(),
            "contact.contactid" | "contactid" => {
                self.contact.as_ref().and_then(|c| c.contact_id).into()
            }
            "contact.name" => self.contact.as_ref().and_then(|c| c.name.as_deref()).into(),
            "currencycode" => self.currency_code.map(|c| c.to_string()).into(),
            "currencyrate" => self.currency_rate.into(),
            "total" => self.total.into(),
            "subtotal" => self.sub_total.into(),
            "totaltax" => self.total_tax.into(),
            "remainingcredit" => self.remaining_credit.into(),
            "lineamounttypes" => self.line_amount_types.map(|t| t.as_str()).into(),
            _ => QValue::Null,
        }
    }
}

impl Queryable for BankTransaction {
    fn field(&self, n: &str) -> QValue {
        match n {
            "type" => self.bank_transaction_type.map(|t| t.as_str()).into(),
            "status" => self.status.as_deref().into(),
            "banktransactionid" => self.bank_transaction_id.into(),
            "reference" => self.reference.as_deref().filter(|r| !r.is_empty()).into(),
            "date" => self.date.into(),
            "updateddateutc" => self.updated_date_utc.into(),
            "contact.contactid" | "contactid" => {
                self.contact.as_ref().and_then(|c| c.contact_id).into()
            }
            "contact.name" => self.contact.as_ref().and_then(|c| c.name.as_deref()).into(),
            "bankaccount.accountid" => self.bank_account.as_ref().and_then(|a| a.account_id).into(),
            "bankaccount.code" => self
                .bank_account
                .as_ref()
                .and_then(|a| a.code.as_deref())
                .into(),
            "currencycode" => self.currency_code.map(|c| c.to_string()).into(),
            "currencyrate" => self.currency_rate.into(),
            "total" => self.total.into(),
            "subtotal" => self.sub_total.into(),
            "totaltax" => self.total_tax.into(),
            "isreconciled" => self.is_reconciled.into(),
            "lineamounttypes" => self.line_amount_types.map(|t| t.as_str()).into(),
            _ => QValue::Null,
        }
    }
}

impl Queryable for Overpayment {
    fn field(&self, n: &str) -> QValue {
        match n {
            "type" => self.overpayment_type.as_deref().into(),
            "status" => self.status.as_deref().into(),
            "overpaymentid" => self.overpayment_id.into(),
            "date" => self.date.into(),
            "updateddateutc" => self.updated_date_utc.into(),
            "contact.contactid" | "contactid" => {
                self.contact.as_ref().and_then(|c| c.contact_id).into()
            }
            "contact.name" => self.contact.as_ref().and_then(|c| c.name.as_deref()).into(),
            "currencycode" => self.currency_code.map(|c| c.to_string()).into(),
            "total" => self.total.into(),
            "remainingcredit" => self.remaining_credit.into(),
            _ => QValue::Null,
        }
    }
}

impl Queryable for Prepayment {
    fn field(&self, n: &str) -> QValue {
        match n {
            "type" => self.prepayment_type.as_deref().into(),
            "status" => self.status.as_deref().into(),
            "prepaymentid" => self.prepayment_id.into(),
            "date" => self.date.into(),
            "updateddateutc" => self.updated_date_utc.into(),
            "contact.contactid" | "contactid" => {
                self.contact.as_ref().and_then(|c| c.contact_id).into()
            }
            "contact.name" => self.contact.as_ref().and_then(|c| c.name.as_deref()).into(),
            "currencycode" => self.currency_code.map(|c| c.to_string()).into(),
            "total" => self.total.into(),
            "remainingcredit" => self.remaining_credit.into(),
            _ => QValue::Null,
        }
    }
}

/// The filters every one of these lists shares: `IDs`, `ContactIDs`,
/// `Statuses`, `If-Modified-Since` and `where`.
fn listed<'a, T: Queryable + 'a>(
    rows: impl Iterator<Item = &'a T>,
    q: &ListQuery,
    id_field: &str,
) -> Vec<&'a T> {
    let id_of = |r: &T| match r.field(id_field) {
        QValue::Guid(g) => Some(g),
        _ => None,
    };
    let contact_of = |r: &T| match r.field("contact.contactid") {
        QValue::Guid(g) => Some(g),
        _ => None,
    };
    let status_of = |r: &T| match r.field("status") {
        QValue::Str(s) => Some(s.to_ascii_uppercase()),
        _ => None,
    };
    let updated = |r: &T| match r.field("updateddateutc") {
        QValue::Date(d) => Some(d),
        _ => None,
    };
    rows.filter(|r| q.ids.is_empty() || id_of(r).is_some_and(|id| q.ids.contains(&id)))
        .filter(|r| {
            q.contact_ids.is_empty() || contact_of(r).is_some_and(|c| q.contact_ids.contains(&c))
        })
        .filter(|r| q.statuses.is_empty() || status_of(r).is_some_and(|s| q.statuses.contains(&s)))
        .filter(|r| match q.if_modified_since {
            Some(since) => updated(r).is_some_and(|d| d >= since),
            None => true,
        })
        .filter(|r| q.filter.as_ref().is_none_or(|f| f.matches(*r)))
        .collect()
}

fn default_order(id_field: &str) -> Order {
    Order(vec![
        ("updateddateutc".into(), false),
        (id_field.into(), false),
    ])
}

impl Ledger {
    /// `GET /CreditNotes`.
    pub fn get_credit_notes(&self, q: &ListQuery) -> Result<CreditNotes, ApiError> {
        let rows = listed(self.credit_notes.iter(), q, "creditnoteid");
        let (items, pagination) = page_of(rows, q, &default_order("creditnoteid"), "creditnoteid");
        let mut env = CreditNotes::ok(Uuid::new_v4(), "Xero Simulator", self.now(), items);
        env.pagination = pagination;
        Ok(env)
    }

    /// `GET /CreditNotes/{CreditNoteID or CreditNoteNumber}`.
    pub fn get_credit_note(&self, id_or_number: &str) -> Result<CreditNotes, ApiError> {
        let i = self
            .credit_note_index(id_or_number)
            .ok_or(ApiError::NotFound)?;
        Ok(CreditNotes::ok(
            Uuid::new_v4(),
            "Xero Simulator",
            self.now(),
            vec![self.credit_notes[i].clone()],
        ))
    }

    /// `GET /BankTransactions`.
    pub fn get_bank_transactions(&self, q: &ListQuery) -> Result<BankTransactions, ApiError> {
        let rows = listed(self.bank_transactions.iter(), q, "banktransactionid");
        let (items, pagination) = page_of(
            rows,
            q,
            &default_order("banktransactionid"),
            "banktransactionid",
        );
        let mut env = BankTransactions::ok(Uuid::new_v4(), "Xero Simulator", self.now(), items);
        env.pagination = pagination;
        Ok(env)
    }

    /// `GET /BankTransactions/{BankTransactionID}`.
    pub fn get_bank_transaction(&self, id: Uuid) -> Result<BankTransactions, ApiError> {
        let i = self
            .bank_transaction_by_id
            .get(&id)
            .ok_or(ApiError::NotFound)?;
        Ok(BankTransactions::ok(
            Uuid::new_v4(),
            "Xero Simulator",
            self.now(),
            vec![self.bank_transactions[*i].clone()],
        ))
    }

    /// `GET /Overpayments`.
    pub fn get_overpayments(&self, q: &ListQuery) -> Result<Overpayments, ApiError> {
        let rows = listed(self.overpayments.iter(), q, "overpaymentid");
        let (items, pagination) =
            page_of(rows, q, &default_order("overpaymentid"), "overpaymentid");
        let mut env = Overpayments::ok(Uuid::new_v4(), "Xero Simulator", self.now(), items);
        env.pagination = pagination;
        Ok(env)
    }

    /// `GET /Overpayments/{OverpaymentID}`.
    pub fn get_overpayment(&self, id: Uuid) -> Result<Overpayments, ApiError> {
        let i = self.overpayment_by_id.get(&id).ok_or(ApiError::NotFound)?;
        Ok(Overpayments::ok(
            Uuid::new_v4(),
            "Xero Simulator",
            self.now(),
            vec![self.overpayments[*i].clone()],
        ))
    }

    /// `GET /Prepayments`.
    pub fn get_prepayments(&self, q: &ListQuery) -> Result<Prepayments, ApiError> {
        let rows = listed(self.prepayments.iter(), q, "prepaymentid");
        let (items, pagination) = page_of(rows, q, &default_order("prepaymentid"), "prepaymentid");
        let mut env = Prepayments::ok(Uuid::new_v4(), "Xero Simulator", self.now(), items);
        env.pagination = pagination;
        Ok(env)
    }

    /// `GET /Prepayments/{PrepaymentID}`.
    pub fn get_prepayment(&self, id: Uuid) -> Result<Prepayments, ApiError> {
        let i = self.prepayment_by_id.get(&id).ok_or(ApiError::NotFound)?;
        Ok(Prepayments::ok(
            Uuid::new_v4(),
            "Xero Simulator",
            self.now(),
            vec![self.prepayments[*i].clone()],
        ))
    }
}

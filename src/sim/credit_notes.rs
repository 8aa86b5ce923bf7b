//! `PUT`/`POST /CreditNotes` and the allocation of credits (credit notes,
//! overpayments, prepayments) to invoices: Xero's validation, totals,
//! status transitions, `RemainingCredit` and the invoice's `AmountDue`.
//!
//! A credit note is computed exactly as an invoice of the matching kind
//! (ACCRECCREDIT as ACCREC, ACCPAYCREDIT as ACCPAY) and posts with the
//! opposite sign (`postings.rs`).

use rust_decimal::Decimal;
use uuid::Uuid;

use super::error::ApiError;
use super::invoices::{MAX_PER_REQUEST, PAID_EDIT, contact_ref, status_allowed};
use super::ledger::{Ledger, Method, Replay, WriteOptions, lower};
use crate::xero::num::round2;
use crate::xero::*;

/// A document that holds credit which can be allocated to invoices, by its
/// index in the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credit {
    CreditNote(usize),
    Overpayment(usize),
    Prepayment(usize),
}

/// What allocation needs to know of a credit.
struct CreditView {
    contact: Option<Uuid>,
    currency: Option<crate::domain::CurrencyCode>,
    /// The invoice type it can be applied to.
    applies_to: InvoiceType,
    usable: bool,
    remaining: Decimal,
    date: Option<XeroDate>,
}

impl Ledger {
    /// `PUT /CreditNotes` (`Method::Put`, create) or `POST /CreditNotes`
    /// (create or update by `CreditNoteID`, or by `CreditNoteNumber` for
    /// ACCRECCREDIT). At most 50; `summarizeErrors` as for invoices.
    pub fn write_credit_notes(
        &mut self,
        method: Method,
        items: Vec<CreditNote>,
        opts: &WriteOptions,
    ) -> Result<CreditNotes, ApiError> {
        self.idempotent(
            opts.idempotency_key.as_deref(),
            Replay::CreditNotes,
            |r| match r {
                Replay::CreditNotes(x) => Some(x.clone()),
                _ => None,
            },
            |l| l.write_credit_notes_now(method, items, opts.summarize_errors),
        )
    }

    fn write_credit_notes_now(
        &mut self,
        method: Method,
        items: Vec<CreditNote>,
        summarize: bool,
    ) -> Result<CreditNotes, ApiError> {
        if items.is_empty() {
            return Err(ApiError::message("No credit notes were supplied"));
        }
        if items.len() > MAX_PER_REQUEST {
            return Err(ApiError::message(format!(
                "A maximum of {MAX_PER_REQUEST} credit notes can be submitted in one request"
            )));
        }
        let mut out = Vec::with_capacity(items.len());
        let mut any_error = false;
        for item in items {
            let echo = item.clone();
            match self.apply_credit_note(method, item) {
                Ok(mut stored) => {
                    if !summarize {
                        stored.status_attribute_string = Some("OK".into());
                    }
                    out.push(stored);
                }
                Err(errors) => {
                    any_error = true;
                    let mut echo = echo;
                    echo.has_errors = Some(true);
                    echo.validation_errors =
                        Some(errors.into_iter().map(ValidationError::new).collect());
                    if !summarize {
                        echo.status_attribute_string = Some("ERROR".into());
                    }
                    out.push(echo);
                }
            }
        }
        if any_error && summarize {
            let elements = out
                .iter()
                .map(|c| serde_json::to_value(c).unwrap_or(serde_json::Value::Null))
                .collect();
            return Err(ApiError::BadRequest(ApiException::validation(elements)));
        }
        Ok(CreditNotes::ok(
            Uuid::new_v4(),
            "Xero Simulator",
            self.now(),
            out,
        ))
    }

    fn apply_credit_note(
        &mut self,
        method: Method,
        input: CreditNote,
    ) -> Result<CreditNote, Vec<String>> {
        let fail = |m: String| Err(vec![m]);
        let existing = if let Some(id) = input.credit_note_id {
            match (self.credit_note_by_id.get(&id).copied(), method) {
                (Some(_), Method::Put) => {
                    return fail(format!(
                        "A credit note with CreditNoteID {id} already exists; use POST to update it"
                    ));
                }
                (Some(i), Method::Post) => Some(i),
                (None, _) => {
                    return fail(format!(
                        "Credit note with CreditNoteID {id} could not be found"
                    ));
                }
            }
        } else if method == Method::Post
            && input.credit_note_type != Some(CreditNoteType::AccPayCredit)
        {
            input
                .credit_note_number
                .as_deref()
                .and_then(|n| self.credit_note_numbers.get(&lower(n)).copied())
        } else {
            None
        };
        let mut cn = match existing {
            Some(i) => {
                let old = &self.credit_notes[i];
                let from = old.status;
                if old.allocations.as_ref().is_some_and(|a| !a.is_empty()) {
                    return fail(PAID_EDIT.into());
                }
                let to = input.status.or(from).unwrap_or(InvoiceStatus::Draft);
                if !status_allowed(from, to) {
                    return fail("Credit note not of valid status for modification".into());
                }
                let mut m = old.clone();
                merge(&mut m, &input);
                m.status = Some(to);
                m
            }
            None => {
                let to = input.status.unwrap_or(InvoiceStatus::Draft);
                if !status_allowed(None, to) {
                    return fail("Credit note not of valid status for creation".into());
                }
                let mut m = input.clone();
                m.credit_note_id = None;
                m.status = Some(to);
                m
            }
        };
        let ty = match cn.credit_note_type {
            Some(t) => t,
            None => return fail("Credit note Type must be specified".into()),
        };
        if ty == CreditNoteType::AccRecCredit
            && let Some(n) = cn
                .credit_note_number
                .as_deref()
                .filter(|n| !n.trim().is_empty())
            && let Some(&other) = self.credit_note_numbers.get(&lower(n))
            && Some(other) != existing
        {
            return fail("Credit Note # must be unique.".into());
        }
        // Totals, tax, currency and contact exactly as an invoice's.
        let mut inv = Invoice {
            invoice_type: Some(match ty {
                CreditNoteType::AccRecCredit => InvoiceType::AccRec,
                CreditNoteType::AccPayCredit => InvoiceType::AccPay,
            }),
            contact: cn.contact.clone(),
            date: cn.date,
            due_date: cn.due_date,
            status: cn.status,
            line_amount_types: cn.line_amount_types,
            line_items: cn.line_items.take(),
            currency_code: cn.currency_code,
            currency_rate: cn.currency_rate,
            ..Default::default()
        };
        let mut errors = Vec::new();
        self.compute(&mut inv, None, &mut errors);
        if !errors.is_empty() {
            return Err(errors
                .into_iter()
                .map(|e| e.replace("Invoice total", "Credit note total"))
                .collect());
        }
        cn.contact = inv.contact;
        cn.date = inv.date;
        cn.due_date = inv.due_date;
        cn.line_amount_types = inv.line_amount_types;
        cn.line_items = inv.line_items;
        cn.currency_code = inv.currency_code;
        cn.currency_rate = inv.currency_rate;
        cn.sub_total = inv.sub_total;
        cn.total_tax = inv.total_tax;
        cn.total = inv.total;
        // Nothing is left to allocate on a voided or deleted credit note.
        cn.remaining_credit = Some(
            if matches!(
                cn.status,
                Some(InvoiceStatus::Voided | InvoiceStatus::Deleted)
            ) {
                round2(Decimal::ZERO)
            } else {
                cn.total.unwrap_or_default()
            },
        );
        Ok(self.commit_credit_note(cn, ty, existing))
    }

    /// Resolves a contact checked by [`Ledger::compute`], creating it when
    /// it was named but is new, and marks it a customer or supplier.
    pub(crate) fn commit_contact(&mut self, c: Option<Contact>, customer: bool) -> Contact {
        let c = c.unwrap_or_default();
        let i = match c
            .contact_id
            .and_then(|id| self.contact_by_id.get(&id).copied())
        {
            Some(i) => i,
            None => self.create_contact_record(Contact {
                name: c.name.clone(),
                ..Default::default()
            }),
        };
        let x = &mut self.contacts[i];
        if customer {
            x.is_customer = Some(true);
        } else {
            x.is_supplier = Some(true);
        }
        contact_ref(&self.contacts[i])
    }

    fn commit_credit_note(
        &mut self,
        mut cn: CreditNote,
        ty: CreditNoteType,
        existing: Option<usize>,
    ) -> CreditNote {
        let sale = ty == CreditNoteType::AccRecCredit;
        cn.contact = Some(self.commit_contact(cn.contact.take(), sale));
        for li in cn.line_items.iter_mut().flatten() {
            if li.line_item_id.is_none() {
                li.line_item_id = Some(self.rng.uuid());
            }
        }
        if sale
            && cn
                .credit_note_number
                .as_deref()
                .is_none_or(|n| n.trim().is_empty())
        {
            loop {
                let n = format!("CN-{:04}", self.next_credit_note_number);
                self.next_credit_note_number += 1;
                if !self.credit_note_numbers.contains_key(&lower(&n)) {
                    cn.credit_note_number = Some(n);
                    break;
                }
            }
        }
        if !sale && cn.credit_note_number.is_none() {
            cn.credit_note_number = Some(String::new());
        }
        cn.reference = Some(cn.reference.take().unwrap_or_default());
        cn.date_string = cn.date.map(|d| d.to_date_string());
        cn.due_date_string = cn.due_date.map(|d| d.to_date_string());
        cn.updated_date_utc = Some(self.now());
        cn.has_attachments = Some(false);
        cn.has_errors = Some(false);
        cn.validation_errors = None;
        cn.status_attribute_string = None;
        cn.warnings = None;
        cn.sent_to_contact = Some(cn.sent_to_contact.unwrap_or(false));
        cn.allocations = Some(cn.allocations.take().unwrap_or_default());
        cn.payments = Some(cn.payments.take().unwrap_or_default());
        let idx = match existing {
            Some(i) => {
                if let Some(old) = self.credit_notes[i].credit_note_number.clone()
                    && sale
                {
                    self.credit_note_numbers.remove(&lower(&old));
                }
                self.credit_notes[i] = cn;
                i
            }
            None => {
                let id = self.rng.uuid();
                cn.credit_note_id = Some(id);
                let i = self.credit_notes.len();
                self.credit_notes.push(cn);
                self.credit_note_by_id.insert(id, i);
                i
            }
        };
        if sale && let Some(n) = self.credit_notes[idx].credit_note_number.clone() {
            self.credit_note_numbers.insert(lower(&n), idx);
        }
        self.credit_notes[idx].clone()
    }

    /// The credit note with this CreditNoteID (or, failing that, number).
    pub(crate) fn credit_note_index(&self, id_or_number: &str) -> Option<usize> {
        let t = id_or_number.trim();
        match Uuid::parse_str(t) {
            Ok(id) => self.credit_note_by_id.get(&id).copied(),
            Err(_) => self
                .credit_note_numbers
                .get(&lower(t))
                .copied()
                .or_else(|| {
                    self.credit_notes
                        .iter()
                        .position(|c| c.credit_note_number.as_deref() == Some(t))
                }),
        }
    }

    fn credit_view(&self, c: Credit) -> CreditView {
        let usable = |s: Option<&str>| s == Some("AUTHORISED");
        match c {
            Credit::CreditNote(i) => {
                let x = &self.credit_notes[i];
                CreditView {
                    contact: x.contact.as_ref().and_then(|c| c.contact_id),
                    currency: x.currency_code,
                    applies_to: match x.credit_note_type {
                        Some(CreditNoteType::AccPayCredit) => InvoiceType::AccPay,
                        _ => InvoiceType::AccRec,
                    },
                    usable: x.status == Some(InvoiceStatus::Authorised),
                    remaining: x.remaining_credit.unwrap_or_default(),
                    date: x.date,
                }
            }
            Credit::Overpayment(i) => {
                let x = &self.overpayments[i];
                CreditView {
                    contact: x.contact.as_ref().and_then(|c| c.contact_id),
                    currency: x.currency_code,
                    applies_to: if x.overpayment_type.as_deref() == Some("SPEND-OVERPAYMENT") {
                        InvoiceType::AccPay
                    } else {
                        InvoiceType::AccRec
                    },
                    usable: usable(x.status.as_deref()),
                    remaining: x.remaining_credit.unwrap_or_default(),
                    date: x.date,
                }
            }
            Credit::Prepayment(i) => {
                let x = &self.prepayments[i];
                CreditView {
                    contact: x.contact.as_ref().and_then(|c| c.contact_id),
                    currency: x.currency_code,
                    applies_to: if x.prepayment_type.as_deref() == Some("SPEND-PREPAYMENT") {
                        InvoiceType::AccPay
                    } else {
                        InvoiceType::AccRec
                    },
                    usable: usable(x.status.as_deref()),
                    remaining: x.remaining_credit.unwrap_or_default(),
                    date: x.date,
                }
            }
        }
    }

    /// `PUT /CreditNotes/{id}/Allocations` (and the same for overpayments
    /// and prepayments): applies part of the credit to AUTHORISED invoices
    /// of the same contact, currency and side. Each allocation lowers the
    /// credit's `RemainingCredit` and the invoice's `AmountDue` (raising its
    /// `AmountCredited`); either becomes PAID at zero.
    pub fn put_allocations(
        &mut self,
        credit: Credit,
        items: Vec<Allocation>,
        opts: &WriteOptions,
    ) -> Result<Allocations, ApiError> {
        self.idempotent(
            opts.idempotency_key.as_deref(),
            Replay::Allocations,
            |r| match r {
                Replay::Allocations(x) => Some(x.clone()),
                _ => None,
            },
            |l| l.put_allocations_now(credit, items, opts.summarize_errors),
        )
    }

    fn put_allocations_now(
        &mut self,
        credit: Credit,
        items: Vec<Allocation>,
        summarize: bool,
    ) -> Result<Allocations, ApiError> {
        if items.is_empty() || items.len() > MAX_PER_REQUEST {
            return Err(ApiError::message(format!(
                "Between 1 and {MAX_PER_REQUEST} allocations can be submitted in one request"
            )));
        }
        let mut out = Vec::new();
        let mut any_error = false;
        for a in items {
            match self.apply_allocation(credit, a.clone()) {
                Ok(mut stored) => {
                    if !summarize {
                        stored.status_attribute_string = Some("OK".into());
                    }
                    out.push(stored);
                }
                Err(m) => {
                    any_error = true;
                    let mut echo = a;
                    echo.validation_errors = Some(vec![ValidationError::new(m)]);
                    if !summarize {
                        echo.status_attribute_string = Some("ERROR".into());
                    }
                    out.push(echo);
                }
            }
        }
        if any_error && summarize {
            let elements = out
                .iter()
                .map(|x| serde_json::to_value(x).unwrap_or_default())
                .collect();
            return Err(ApiError::BadRequest(ApiException::validation(elements)));
        }
        Ok(Allocations::ok(
            Uuid::new_v4(),
            "Xero Simulator",
            self.now(),
            out,
        ))
    }

    fn apply_allocation(&mut self, credit: Credit, a: Allocation) -> Result<Allocation, String> {
        let view = self.credit_view(credit);
        let r = a.invoice.clone().unwrap_or_default();
        let idx = match (r.invoice_id, r.invoice_number.as_deref()) {
            (Some(id), _) => self.invoice_by_id.get(&id).copied(),
            (None, Some(n)) => self.accrec_numbers.get(&lower(n)).copied().or_else(|| {
                self.invoices
                    .iter()
                    .position(|i| i.invoice_number.as_deref() == Some(n))
            }),
            _ => None,
        }
        .ok_or("Invoice could not be found".to_string())?;
        if !view.usable {
            return Err("Allocations can only be made from an AUTHORISED credit".into());
        }
        let inv = &self.invoices[idx];
        if inv.status != Some(InvoiceStatus::Authorised) {
            return Err("Allocations can only be made to an AUTHORISED invoice".into());
        }
        if inv.invoice_type != Some(view.applies_to) {
            return Err(format!(
                "This credit can only be allocated to {} invoices",
                view.applies_to.as_str()
            ));
        }
        if inv.contact.as_ref().and_then(|c| c.contact_id) != view.contact {
            return Err("The invoice and the credit must be for the same contact".into());
        }
        if inv.currency_code != view.currency {
            return Err("The invoice and the credit must be in the same currency".into());
        }
        let amount = round2(a.amount.unwrap_or_default());
        if amount <= Decimal::ZERO {
            return Err("Allocation amount must be greater than zero".into());
        }
        if amount > view.remaining {
            return Err("The allocation amount exceeds the remaining credit".into());
        }
        if amount > inv.amount_due.unwrap_or_default() {
            return Err("The allocation amount exceeds the amount due on the invoice".into());
        }
        // Xero dates an allocation no earlier than either document.
        let date = a
            .date
            .map(|d| XeroDate::from_date(d.date()))
            .unwrap_or(XeroDate::from_date(self.today()));
        let date = [Some(date), view.date, inv.date]
            .into_iter()
            .flatten()
            .max_by_key(|d| d.date())
            .unwrap_or(date);
        let now = self.now();
        let invoice_ref = DocumentRef {
            invoice_id: inv.invoice_id,
            invoice_number: inv.invoice_number.clone(),
            ..Default::default()
        };
        let stored = Allocation {
            allocation_id: Some(self.rng.uuid()),
            invoice: Some(invoice_ref),
            amount: Some(amount),
            date: Some(date),
            is_deleted: Some(false),
            ..Default::default()
        };
        // The invoice side.
        let (credit_ref, credit_total) = self.reduce_credit(credit, amount, date, now);
        let inv = &mut self.invoices[idx];
        let credited = inv.amount_credited.unwrap_or_default() + amount;
        let due = inv.amount_due.unwrap_or_default() - amount;
        inv.amount_credited = Some(round2(credited));
        inv.amount_due = Some(round2(due));
        if due.is_zero() {
            inv.status = Some(InvoiceStatus::Paid);
            inv.fully_paid_on_date = Some(date);
        }
        inv.updated_date_utc = Some(now);
        let summary = serde_json::json!({
            "CreditNoteID": credit_ref.credit_note_id,
            "CreditNoteNumber": credit_ref.credit_note_number,
            "AppliedAmount": serde_json::Number::from_string_unchecked(amount.to_string()),
            "Date": date,
            "Total": serde_json::Number::from_string_unchecked(credit_total.to_string()),
        });
        let list = match credit {
            Credit::CreditNote(_) => inv.credit_notes.get_or_insert_with(Vec::new),
            Credit::Overpayment(_) => inv.overpayments.get_or_insert_with(Vec::new),
            Credit::Prepayment(_) => inv.prepayments.get_or_insert_with(Vec::new),
        };
        let summary = match credit {
            Credit::CreditNote(_) => summary,
            Credit::Overpayment(_) => serde_json::json!({
                "OverpaymentID": credit_ref.overpayment_id,
                "AppliedAmount": summary["AppliedAmount"],
                "Date": date,
                "Total": summary["Total"],
            }),
            Credit::Prepayment(_) => serde_json::json!({
                "PrepaymentID": credit_ref.prepayment_id,
                "AppliedAmount": summary["AppliedAmount"],
                "Date": date,
                "Total": summary["Total"],
            }),
        };
        list.push(summary);
        let mut stored = stored;
        self.push_allocation(credit, stored.clone());
        match credit {
            Credit::CreditNote(_) => stored.credit_note = Some(credit_ref),
            Credit::Overpayment(_) => stored.overpayment = Some(credit_ref),
            Credit::Prepayment(_) => stored.prepayment = Some(credit_ref),
        }
        Ok(stored)
    }

    /// Lowers a credit's remaining credit (PAID at zero); returns a
    /// reference to it and its total.
    fn reduce_credit(
        &mut self,
        credit: Credit,
        amount: Decimal,
        date: XeroDate,
        now: XeroDate,
    ) -> (DocumentRef, Decimal) {
        fn lower_by(remaining: &mut Option<Decimal>, amount: Decimal) -> bool {
            let left = round2(remaining.unwrap_or_default() - amount);
            *remaining = Some(left);
            left.is_zero()
        }
        match credit {
            Credit::CreditNote(i) => {
                let c = &mut self.credit_notes[i];
                if lower_by(&mut c.remaining_credit, amount) {
                    c.status = Some(InvoiceStatus::Paid);
                    c.fully_paid_on_date = Some(date);
                }
                c.updated_date_utc = Some(now);
                (
                    DocumentRef {
                        credit_note_id: c.credit_note_id,
                        credit_note_number: c.credit_note_number.clone(),
                        ..Default::default()
                    },
                    c.total.unwrap_or_default(),
                )
            }
            Credit::Overpayment(i) => {
                let c = &mut self.overpayments[i];
                if lower_by(&mut c.remaining_credit, amount) {
                    c.status = Some("PAID".into());
                }
                c.updated_date_utc = Some(now);
                (
                    DocumentRef {
                        overpayment_id: c.overpayment_id,
                        ..Default::default()
                    },
                    c.total.unwrap_or_default(),
                )
            }
            Credit::Prepayment(i) => {
                let c = &mut self.prepayments[i];
                if lower_by(&mut c.remaining_credit, amount) {
                    c.status = Some("PAID".into());
                }
                c.updated_date_utc = Some(now);
                (
                    DocumentRef {
                        prepayment_id: c.prepayment_id,
                        ..Default::default()
                    },
                    c.total.unwrap_or_default(),
                )
            }
        }
    }

    fn push_allocation(&mut self, credit: Credit, a: Allocation) {
        let list = match credit {
            Credit::CreditNote(i) => &mut self.credit_notes[i].allocations,
            Credit::Overpayment(i) => &mut self.overpayments[i].allocations,
            Credit::Prepayment(i) => &mut self.prepayments[i].allocations,
        };
        list.get_or_insert_with(Vec::new).push(a);
    }
}

fn merge(m: &mut CreditNote, i: &CreditNote) {
    macro_rules! take {
        ($($f:ident),*) => { $( if i.$f.is_some() { m.$f = i.$f.clone(); } )* };
    }
    take!(
        credit_note_type,
        credit_note_number,
        reference,
        contact,
        date,
        due_date,
        line_amount_types,
        line_items,
        currency_code,
        currency_rate,
        branding_theme_id,
        sent_to_contact
    );
}

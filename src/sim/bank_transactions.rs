//! `PUT`/`POST /BankTransactions`: spend and receive money straight
//! through a bank account, and the overpayment and prepayment kinds, which
//! also create the `Overpayments` / `Prepayments` record that holds the
//! credit until it is allocated to invoices (as Xero does).

use rust_decimal::Decimal;
use uuid::Uuid;

use super::error::ApiError;
use super::invoices::{MAX_PER_REQUEST, PAID_EDIT};
use super::ledger::{Ledger, Method, Replay, WriteOptions};
use crate::xero::num::round2;
use crate::xero::*;

impl Ledger {
    /// `PUT /BankTransactions` (create) or `POST /BankTransactions` (create,
    /// or update by `BankTransactionID`). Types RECEIVE, SPEND and their
    /// -OVERPAYMENT and -PREPAYMENT kinds; transfers belong to
    /// `BankTransfers` and are refused. Status AUTHORISED on creation;
    /// AUTHORISED may become DELETED or VOIDED (not once its overpayment or
    /// prepayment has been allocated). `summarizeErrors` as for invoices.
    pub fn write_bank_transactions(
        &mut self,
        method: Method,
        items: Vec<BankTransaction>,
        opts: &WriteOptions,
    ) -> Result<BankTransactions, ApiError> {
        self.idempotent(
            opts.idempotency_key.as_deref(),
            Replay::BankTransactions,
            |r| match r {
                Replay::BankTransactions(x) => Some(x.clone()),
                _ => None,
            },
            |l| l.write_bank_transactions_now(method, items, opts.summarize_errors),
        )
    }

    fn write_bank_transactions_now(
        &mut self,
        method: Method,
        items: Vec<BankTransaction>,
        summarize: bool,
    ) -> Result<BankTransactions, ApiError> {
        if items.is_empty() {
            return Err(ApiError::message("No bank transactions were supplied"));
        }
        if items.len() > MAX_PER_REQUEST {
            return Err(ApiError::message(format!(
                "A maximum of {MAX_PER_REQUEST} bank transactions can be submitted in one request"
            )));
        }
        let mut out = Vec::with_capacity(items.len());
        let mut any_error = false;
        for item in items {
            let echo = item.clone();
            match self.apply_bank_transaction(method, item) {
                Ok(mut stored) => {
                    if !summarize {
                        stored.status_attribute_string = Some("OK".into());
                    }
                    out.push(stored);
                }
                Err(errors) => {
                    any_error = true;
                    let mut echo = echo;
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
                .map(|b| serde_json::to_value(b).unwrap_or(serde_json::Value::Null))
                .collect();
            return Err(ApiError::BadRequest(ApiException::validation(elements)));
        }
        Ok(BankTransactions::ok(
            Uuid::new_v4(),
            "Xero Simulator",
            self.now(),
            out,
        ))
    }

    fn apply_bank_transaction(
        &mut self,
        method: Method,
        input: BankTransaction,
    ) -> Result<BankTransaction, Vec<String>> {
        let fail = |m: String| Err(vec![m]);
        let existing = match input.bank_transaction_id {
            Some(id) => match (self.bank_transaction_by_id.get(&id).copied(), method) {
                (Some(_), Method::Put) => {
                    return fail(format!(
                        "A bank transaction with BankTransactionID {id} already exists; use POST to update it"
                    ));
                }
                (Some(i), Method::Post) => Some(i),
                (None, _) => {
                    return fail(format!(
                        "Bank transaction with BankTransactionID {id} could not be found"
                    ));
                }
            },
            None => None,
        };
        if let Some(i) = existing {
            return self.update_bank_transaction(i, input);
        }
        let ty = match input.bank_transaction_type {
            Some(BankTransactionType::ReceiveTransfer | BankTransactionType::SpendTransfer) => {
                return fail("Transfers between bank accounts are made with BankTransfers".into());
            }
            Some(t) => t,
            None => return fail("Bank transaction Type must be specified".into()),
        };
        match input.status.as_deref() {
            None | Some("AUTHORISED") => {}
            Some(s) => return fail(format!("A bank transaction cannot be created as {s}")),
        }
        let mut errors = Vec::new();
        // The bank account: by AccountID or Code, of type BANK.
        let bank = input
            .bank_account
            .as_ref()
            .and_then(|a| self.account_index(a.account_id, a.code.as_deref()));
        let bank = match bank {
            Some(i) if self.accounts[i].account_type.as_deref() == Some("BANK") => Some(i),
            Some(_) => {
                errors.push("The BankAccount must be an account of type BANK".into());
                None
            }
            None => {
                errors.push("A valid BankAccount must be specified".into());
                None
            }
        };
        let bank_currency = bank
            .and_then(|i| self.accounts[i].currency_code)
            .unwrap_or(self.base);
        if input.currency_code.is_some_and(|c| c != bank_currency) {
            errors.push(format!(
                "The currency of the transaction must be the bank account's currency ({bank_currency})"
            ));
        }
        // Lines, tax, contact and rate exactly as an invoice's.
        let mut inv = Invoice {
            invoice_type: Some(if ty.is_receive() {
                InvoiceType::AccRec
            } else {
                InvoiceType::AccPay
            }),
            contact: input.contact.clone(),
            date: input.date,
            status: Some(InvoiceStatus::Authorised),
            line_amount_types: input.line_amount_types,
            line_items: input.line_items.clone(),
            currency_code: Some(bank_currency),
            currency_rate: input.currency_rate,
            ..Default::default()
        };
        self.compute(&mut inv, None, &mut errors);
        if !errors.is_empty() {
            return Err(errors
                .into_iter()
                .map(|e| e.replace("Invoice total", "Bank transaction total"))
                .collect());
        }
        let now = self.now();
        let contact = self.commit_contact(inv.contact.take(), ty.is_receive());
        let mut lines = inv.line_items.take().unwrap_or_default();
        for li in lines.iter_mut() {
            if li.line_item_id.is_none() {
                li.line_item_id = Some(self.rng.uuid());
            }
        }
        let bank_account = bank.map(|i| {
            let a = &self.accounts[i];
            Account {
                account_id: a.account_id,
                code: a.code.clone(),
                name: a.name.clone(),
                ..Default::default()
            }
        });
        let id = self.rng.uuid();
        let mut bt = BankTransaction {
            bank_transaction_type: Some(ty),
            bank_transaction_id: Some(id),
            contact: Some(contact),
            line_items: Some(lines),
            bank_account,
            is_reconciled: Some(input.is_reconciled.unwrap_or(false)),
            date_string: inv.date.map(|d| d.to_date_string()),
            date: inv.date,
            reference: Some(input.reference.clone().unwrap_or_default()),
            currency_code: inv.currency_code,
            currency_rate: inv.currency_rate,
            status: Some("AUTHORISED".into()),
            line_amount_types: inv.line_amount_types,
            sub_total: inv.sub_total,
            total_tax: inv.total_tax,
            total: inv.total,
            updated_date_utc: Some(now),
            has_attachments: Some(false),
            ..Default::default()
        };
        match ty {
            BankTransactionType::ReceiveOverpayment | BankTransactionType::SpendOverpayment => {
                let oid = self.rng.uuid();
                bt.overpayment_id = Some(oid);
                let op = Overpayment {
                    overpayment_type: Some(ty.as_str().into()),
                    overpayment_id: Some(oid),
                    contact: bt.contact.clone(),
                    date_string: bt.date_string.clone(),
                    date: bt.date,
                    status: Some("AUTHORISED".into()),
                    line_amount_types: bt.line_amount_types,
                    line_items: bt.line_items.clone(),
                    sub_total: bt.sub_total,
                    total_tax: bt.total_tax,
                    total: bt.total,
                    updated_date_utc: Some(now),
                    currency_code: bt.currency_code,
                    currency_rate: bt.currency_rate,
                    remaining_credit: bt.total,
                    allocations: Some(vec![]),
                    payments: Some(vec![]),
                    has_attachments: Some(false),
                    reference: bt.reference.clone(),
                };
                self.overpayment_by_id.insert(oid, self.overpayments.len());
                self.overpayments.push(op);
            }
            BankTransactionType::ReceivePrepayment | BankTransactionType::SpendPrepayment => {
                let pid = self.rng.uuid();
                bt.prepayment_id = Some(pid);
                let pp = Prepayment {
                    prepayment_type: Some(ty.as_str().into()),
                    prepayment_id: Some(pid),
                    contact: bt.contact.clone(),
                    date_string: bt.date_string.clone(),
                    date: bt.date,
                    status: Some("AUTHORISED".into()),
                    line_amount_types: bt.line_amount_types,
                    line_items: bt.line_items.clone(),
                    sub_total: bt.sub_total,
                    total_tax: bt.total_tax,
                    total: bt.total,
                    reference: bt.reference.clone(),
                    updated_date_utc: Some(now),
                    currency_code: bt.currency_code,
                    currency_rate: bt.currency_rate,
                    remaining_credit: bt.total,
                    allocations: Some(vec![]),
                    payments: Some(vec![]),
                    has_attachments: Some(false),
                };
                self.prepayment_by_id.insert(pid, self.prepayments.len());
                self.prepayments.push(pp);
            }
            _ => {}
        }
        self.bank_transaction_by_id
            .insert(id, self.bank_transactions.len());
        self.bank_transactions.push(bt.clone());
        Ok(bt)
    }

    /// `POST` on an existing bank transaction: only its status (DELETED or
    /// VOIDED) and reference change here; Xero refuses to edit one whose
    /// credit has been allocated.
    fn update_bank_transaction(
        &mut self,
        i: usize,
        input: BankTransaction,
    ) -> Result<BankTransaction, Vec<String>> {
        let now = self.now();
        let old = &self.bank_transactions[i];
        let from = old.status.clone().unwrap_or_default();
        let to = input.status.clone().unwrap_or(from.clone());
        let allowed = from == to || (from == "AUTHORISED" && (to == "DELETED" || to == "VOIDED"));
        if !allowed {
            return Err(vec![
                "Bank transaction not of valid status for modification".into(),
            ]);
        }
        let allocated = |a: &Option<Vec<Allocation>>| a.as_ref().is_some_and(|a| !a.is_empty());
        let credit_used = old
            .overpayment_id
            .and_then(|id| self.overpayment_by_id.get(&id))
            .is_some_and(|&o| allocated(&self.overpayments[o].allocations))
            || old
                .prepayment_id
                .and_then(|id| self.prepayment_by_id.get(&id))
                .is_some_and(|&p| allocated(&self.prepayments[p].allocations));
        if credit_used && to != from {
            return Err(vec![PAID_EDIT.into()]);
        }
        let (oid, pid) = (old.overpayment_id, old.prepayment_id);
        if to != from {
            // The credit it held goes with it.
            if let Some(&o) = oid.and_then(|id| self.overpayment_by_id.get(&id)) {
                let op = &mut self.overpayments[o];
                op.status = Some("VOIDED".into());
                op.remaining_credit = Some(round2(Decimal::ZERO));
                op.updated_date_utc = Some(now);
            }
            if let Some(&p) = pid.and_then(|id| self.prepayment_by_id.get(&id)) {
                let pp = &mut self.prepayments[p];
                pp.status = Some("VOIDED".into());
                pp.remaining_credit = Some(round2(Decimal::ZERO));
                pp.updated_date_utc = Some(now);
            }
        }
        let bt = &mut self.bank_transactions[i];
        bt.status = Some(to);
        if let Some(r) = input.reference {
            bt.reference = Some(r);
        }
        bt.updated_date_utc = Some(now);
        Ok(bt.clone())
    }
}

//! The general ledger, derived from the records on every read (never
//! stored): invoices and their payments, credit notes and their
//! allocations, spend and receive money, overpayments and prepayments,
//! manual journals. Every amount is in base currency, debit positive; each
//! record's postings sum to zero, so the balance sheet always balances.
//!
//! Foreign-currency documents post at their own `CurrencyRate`. A payment
//! or allocation settled at another rate than the document's posts the
//! difference as a realised currency gain or loss. Xero keeps those (and
//! unrealised ones) in system accounts that its P&L groups under one row
//! keyed `FXGROUPID`; the simulator keeps them as [`FxGroup`] slots just
//! past the chart, so `GET /Accounts` is unchanged and the reports show them
//! only as Xero's grouped rows.

use rust_decimal::Decimal;

use super::fx;
use super::ledger::{Ledger, Posting, tracking_ids};
use crate::domain::Month;
use crate::xero::num::round2;
use crate::xero::*;

/// Xero's grouped currency gain accounts (never part of the chart here).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FxGroup {
    /// "Foreign Currency Gains and Losses": payments and allocations
    /// settled at a rate other than the document's.
    Realised,
    /// "Unrealised Currency Gains": month-end revaluation of open foreign
    /// balances.
    Unrealised,
}

impl FxGroup {
    pub const ALL: [FxGroup; 2] = [FxGroup::Realised, FxGroup::Unrealised];

    /// The row title in Xero's reports.
    pub fn title(self) -> &'static str {
        match self {
            Self::Realised => "Foreign Currency Gains and Losses",
            Self::Unrealised => "Unrealised Currency Gains",
        }
    }
}

/// The `account` attribute Xero puts on the grouped currency gain rows.
pub const FX_GROUP_ID: &str = "FXGROUPID";

/// One leg of a document being settled against another: `amount` in the
/// documents' currency, cleared at `from_rate` on one side and `to_rate` on
/// the other.
struct Settlement {
    date: chrono::NaiveDate,
    amount: Decimal,
    from_rate: Decimal,
    to_rate: Decimal,
}

impl Ledger {
    /// The posting slot of a currency gain group (past the chart's
    /// accounts).
    pub fn fx_slot(&self, g: FxGroup) -> usize {
        self.accounts.len()
            + match g {
                FxGroup::Realised => 0,
                FxGroup::Unrealised => 1,
            }
    }

    /// Which currency gain group a posting slot is, if it is one.
    pub fn fx_group_of(&self, slot: usize) -> Option<FxGroup> {
        FxGroup::ALL.into_iter().find(|g| self.fx_slot(*g) == slot)
    }

    /// Posting slots: the chart's accounts, then the currency gain groups.
    pub fn slot_count(&self) -> usize {
        self.accounts.len() + FxGroup::ALL.len()
    }

    /// Every posting of the general ledger in base currency, computed from
    /// the records: AUTHORISED and PAID invoices and credit notes (lines net
    /// of tax at `/ CurrencyRate`, rounded to 2 places; tax; the balancing
    /// amount to Accounts Receivable or Payable), payments and allocations
    /// (with realised currency gains), AUTHORISED bank transactions, and
    /// POSTED manual journals.
    pub fn postings(&self) -> Vec<Posting> {
        let mut out = Vec::with_capacity(self.invoices.len() * 4 + self.journals.len() * 2);
        self.for_each_posting(|p| out.push(p));
        out
    }

    pub(crate) fn for_each_posting(&self, mut f: impl FnMut(Posting)) {
        let ar = self.system_account("DEBTORS");
        let ap = self.system_account("CREDITORS");
        let realised = self.fx_slot(FxGroup::Realised);
        let mut put = |date, account, amount: Decimal, tracking| {
            if !amount.is_zero() {
                f(Posting {
                    date,
                    account,
                    amount,
                    tracking,
                })
            }
        };
        for inv in &self.invoices {
            if !inv.status.is_some_and(|s| s.posts()) {
                continue;
            }
            let Some(date) = inv.date.map(|d| d.date()) else {
                continue;
            };
            let rate = inv.currency_rate.unwrap_or(Decimal::ONE);
            let sale = inv.invoice_type == Some(InvoiceType::AccRec);
            // Sales credit income; bills debit costs.
            let sign = if sale {
                Decimal::NEGATIVE_ONE
            } else {
                Decimal::ONE
            };
            let ctl = if sale { ar } else { ap };
            self.document_postings(
                date,
                sign,
                rate,
                inv.line_amount_types,
                inv.line_items.as_deref().unwrap_or_default(),
                inv.total_tax,
                ctl,
                &mut put,
            );
            for p in inv.payments.iter().flatten() {
                let (Some(pd), Some(amt)) = (p.date, p.amount) else {
                    continue;
                };
                let Some(bank) = p
                    .account
                    .as_ref()
                    .and_then(|a| self.account_index(a.account_id, a.code.as_deref()))
                else {
                    continue;
                };
                // Money in for a sale, out for a bill: the bank at the
                // payment's rate, the control account cleared at the
                // invoice's, the difference realised.
                let s = -sign;
                let banked = round2(amt / p.currency_rate.unwrap_or(rate));
                let cleared = round2(amt / rate);
                let d = pd.date();
                put(d, bank, s * banked, [None, None]);
                put(d, ctl, -s * cleared, [None, None]);
                put(d, realised, -s * (banked - cleared), [None, None]);
            }
        }
        for cn in &self.credit_notes {
            if !cn.status.is_some_and(|s| s.posts()) {
                continue;
            }
            let Some(date) = cn.date.map(|d| d.date()) else {
                continue;
            };
            let rate = cn.currency_rate.unwrap_or(Decimal::ONE);
            let sale = cn.credit_note_type == Some(CreditNoteType::AccRecCredit);
            // The opposite of an invoice: a sales credit debits income.
            let sign = if sale {
                Decimal::ONE
            } else {
                Decimal::NEGATIVE_ONE
            };
            let ctl = if sale { ar } else { ap };
            self.document_postings(
                date,
                sign,
                rate,
                cn.line_amount_types,
                cn.line_items.as_deref().unwrap_or_default(),
                cn.total_tax,
                ctl,
                &mut put,
            );
            for s in self.settlements(cn.allocations.as_deref(), rate) {
                settle(&s, sign, ctl, realised, &mut put);
            }
        }
        for bt in &self.bank_transactions {
            if bt.status.as_deref() != Some("AUTHORISED") {
                continue;
            }
            let (Some(date), Some(ty)) = (bt.date.map(|d| d.date()), bt.bank_transaction_type)
            else {
                continue;
            };
            let Some(bank) = bt
                .bank_account
                .as_ref()
                .and_then(|a| self.account_index(a.account_id, a.code.as_deref()))
            else {
                continue;
            };
            let rate = bt.currency_rate.unwrap_or(Decimal::ONE);
            let sign = if ty.is_receive() {
                Decimal::NEGATIVE_ONE
            } else {
                Decimal::ONE
            };
            match ty {
                BankTransactionType::Receive | BankTransactionType::Spend => {
                    self.document_postings(
                        date,
                        sign,
                        rate,
                        bt.line_amount_types,
                        bt.line_items.as_deref().unwrap_or_default(),
                        bt.total_tax,
                        bank,
                        &mut put,
                    );
                }
                _ => {
                    // Overpayments and prepayments wait in Accounts
                    // Receivable or Payable until they are allocated.
                    let ctl = if ty.is_receive() { ar } else { ap };
                    let amount = sign * round2(bt.total.unwrap_or_default() / rate);
                    put(date, ctl, amount, [None, None]);
                    put(date, bank, -amount, [None, None]);
                }
            }
        }
        for op in &self.overpayments {
            let rate = op.currency_rate.unwrap_or(Decimal::ONE);
            let receive = op.overpayment_type.as_deref() == Some("RECEIVE-OVERPAYMENT");
            let (sign, ctl) = if receive {
                (Decimal::ONE, ar)
            } else {
                (Decimal::NEGATIVE_ONE, ap)
            };
            for s in self.settlements(op.allocations.as_deref(), rate) {
                settle(&s, sign, ctl, realised, &mut put);
            }
        }
        for pp in &self.prepayments {
            let rate = pp.currency_rate.unwrap_or(Decimal::ONE);
            let receive = pp.prepayment_type.as_deref() == Some("RECEIVE-PREPAYMENT");
            let (sign, ctl) = if receive {
                (Decimal::ONE, ar)
            } else {
                (Decimal::NEGATIVE_ONE, ap)
            };
            for s in self.settlements(pp.allocations.as_deref(), rate) {
                settle(&s, sign, ctl, realised, &mut put);
            }
        }
        if self.revalue_foreign {
            self.revaluations(&mut put);
        }
        for j in &self.journals {
            if j.status != Some(ManualJournalStatus::Posted) {
                continue;
            }
            let Some(date) = j.date.map(|d| d.date()) else {
                continue;
            };
            for l in j.journal_lines.iter().flatten() {
                if let Some(acc) = self.account_index(l.account_id, l.account_code.as_deref()) {
                    put(
                        date,
                        acc,
                        l.line_amount.unwrap_or_default(),
                        tracking_ids(&l.tracking),
                    );
                }
            }
        }
    }

    /// Month-end revaluation, as Xero reports it: at each month end from an
    /// open foreign-currency invoice's month to this month, the amount still
    /// due is valued at the month's closing rate ([`fx::rate`] on the last
    /// day); the change from its value at the invoice's rate moves the
    /// control account and is an unrealised currency gain or loss, reversed
    /// the next day (so each month shows only its own movement and a
    /// settled invoice keeps only its realised gain).
    fn revaluations(
        &self,
        put: &mut impl FnMut(chrono::NaiveDate, usize, Decimal, [Option<uuid::Uuid>; 2]),
    ) {
        let ar = self.system_account("DEBTORS");
        let ap = self.system_account("CREDITORS");
        let unrealised = self.fx_slot(FxGroup::Unrealised);
        // What was applied to each invoice, and when: payments and
        // allocations of credits.
        let mut applied: std::collections::HashMap<uuid::Uuid, Vec<(chrono::NaiveDate, Decimal)>> =
            Default::default();
        let allocations = self
            .credit_notes
            .iter()
            .flat_map(|c| c.allocations.iter().flatten())
            .chain(
                self.overpayments
                    .iter()
                    .flat_map(|c| c.allocations.iter().flatten()),
            )
            .chain(
                self.prepayments
                    .iter()
                    .flat_map(|c| c.allocations.iter().flatten()),
            )
            .filter(|a| a.is_deleted != Some(true));
        for a in allocations {
            if let (Some(id), Some(d), Some(x)) = (
                a.invoice.as_ref().and_then(|r| r.invoice_id),
                a.date,
                a.amount,
            ) {
                applied.entry(id).or_default().push((d.date(), x));
            }
        }
        let this_month = Month::of(self.today());
        for inv in &self.invoices {
            let (Some(cur), Some(id), Some(date), Some(rate)) = (
                inv.currency_code,
                inv.invoice_id,
                inv.date,
                inv.currency_rate,
            ) else {
                continue;
            };
            if cur == self.base || !inv.status.is_some_and(|s| s.posts()) {
                continue;
            }
            let sale = inv.invoice_type == Some(InvoiceType::AccRec);
            let (s, ctl) = if sale {
                (Decimal::ONE, ar)
            } else {
                (Decimal::NEGATIVE_ONE, ap)
            };
            let paid: Vec<(chrono::NaiveDate, Decimal)> = inv
                .payments
                .iter()
                .flatten()
                .filter_map(|p| Some((p.date?.date(), p.amount?)))
                .chain(applied.get(&id).into_iter().flatten().copied())
                .collect();
            let total = inv.total.unwrap_or_default();
            let mut m = Month::of(date.date());
            while m <= this_month {
                let end = m.last_day();
                let open = total
                    - paid
                        .iter()
                        .filter(|(d, _)| *d <= end)
                        .map(|(_, x)| *x)
                        .sum::<Decimal>();
                if open <= Decimal::ZERO {
                    break;
                }
                let diff = round2(open / fx::rate(self.base, cur, end)) - round2(open / rate);
                if !diff.is_zero() {
                    let next = end.succ_opt().unwrap_or(end);
                    put(end, ctl, s * diff, [None, None]);
                    put(end, unrealised, -s * diff, [None, None]);
                    put(next, ctl, -s * diff, [None, None]);
                    put(next, unrealised, s * diff, [None, None]);
                }
                m = m.next();
            }
        }
    }

    /// Lines (net of tax, at `/ rate`, rounded to 2 places) with `sign`,
    /// tax with `sign`, and the balancing amount to `ctl`.
    #[allow(clippy::too_many_arguments)]
    fn document_postings(
        &self,
        date: chrono::NaiveDate,
        sign: Decimal,
        rate: Decimal,
        lat: Option<LineAmountTypes>,
        lines: &[LineItem],
        total_tax: Option<Decimal>,
        ctl: usize,
        put: &mut impl FnMut(chrono::NaiveDate, usize, Decimal, [Option<uuid::Uuid>; 2]),
    ) {
        let tax = self.system_account("GST");
        let inclusive = lat == Some(LineAmountTypes::Inclusive);
        let mut control = Decimal::ZERO;
        for li in lines {
            let Some(acc) = self.account_index(li.account_id, li.account_code.as_deref()) else {
                continue;
            };
            let gross = li.line_amount.unwrap_or_default();
            let net = if inclusive {
                gross - li.tax_amount.unwrap_or_default()
            } else {
                gross
            };
            let amount = sign * round2(net / rate);
            control -= amount;
            put(date, acc, amount, tracking_ids(&li.tracking));
        }
        let total_tax = total_tax.unwrap_or_default();
        if !total_tax.is_zero() {
            let amount = sign * round2(total_tax / rate);
            control -= amount;
            put(date, tax, amount, [None, None]);
        }
        put(date, ctl, control, [None, None]);
    }

    /// The live allocations of a credit (credit note, overpayment or
    /// prepayment at `rate`) to invoices, with each invoice's own rate.
    fn settlements(&self, allocations: Option<&[Allocation]>, rate: Decimal) -> Vec<Settlement> {
        allocations
            .into_iter()
            .flatten()
            .filter(|a| a.is_deleted != Some(true))
            .filter_map(|a| {
                let inv = a
                    .invoice
                    .as_ref()
                    .and_then(|r| r.invoice_id)
                    .and_then(|id| self.invoice_by_id.get(&id))
                    .map(|&i| &self.invoices[i])?;
                Some(Settlement {
                    date: a.date?.date(),
                    amount: a.amount?,
                    from_rate: rate,
                    to_rate: inv.currency_rate.unwrap_or(Decimal::ONE),
                })
            })
            .collect()
    }
}

/// A credit applied to an invoice: the credit's control balance cleared at
/// its own rate, the invoice's at the invoice's rate, the difference
/// realised. `sign` is +1 for a customer credit (sitting as a credit in
/// Accounts Receivable), -1 for a supplier credit.
fn settle(
    s: &Settlement,
    sign: Decimal,
    ctl: usize,
    realised: usize,
    put: &mut impl FnMut(chrono::NaiveDate, usize, Decimal, [Option<uuid::Uuid>; 2]),
) {
    let from = round2(s.amount / s.from_rate);
    let to = round2(s.amount / s.to_rate);
    put(s.date, ctl, sign * from, [None, None]);
    put(s.date, ctl, -sign * to, [None, None]);
    put(s.date, realised, -sign * (from - to), [None, None]);
}

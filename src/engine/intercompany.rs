//! Rule 4: which invoices are intercompany and what each of their lines is
//! worth in the entity's base currency.

use rust_decimal::Decimal;

use super::index::{GroupIndex, KeyInfo};
use super::input::{EntityAccount, EntityId, Invoice, InvoiceLine, InvoiceType, LineAmountTypes};
use super::warnings::IntercompanyIssue;
use crate::domain::{Month, MonthRange};

/// An intercompany invoice of the period. Its lines are valued on demand
/// by [`IcInvoice::lines`].
pub(crate) struct IcInvoice<'a> {
    pub invoice: &'a Invoice,
    /// Position of the invoice's entity in the index.
    pub entity_pos: usize,
    pub counterpart: EntityId,
    pub month: Month,
}

pub(crate) struct IcLine<'a> {
    pub line: &'a InvoiceLine,
    /// Net amount in the invoice currency.
    pub net: Decimal,
    pub outcome: IcOutcome<'a>,
}

pub(crate) enum IcOutcome<'a> {
    /// A P&L line: eliminated.
    Eliminate {
        account: &'a EntityAccount,
        /// The account's number among its entity's keys.
        key: u32,
        info: KeyInfo<'a>,
        base: Decimal,
    },
    /// A balance-sheet line, or one that cannot be valued: listed only.
    Listed { issue: IntercompanyIssue },
}

/// The key number of a line whose account is not found (never eliminated).
const NO_KEY: u32 = u32::MAX;

/// The net amount of a line: `LineAmount`, less `TaxAmount` when amounts
/// include tax.
pub fn line_net_amount(types: LineAmountTypes, line: &InvoiceLine) -> Decimal {
    match types {
        LineAmountTypes::Exclusive | LineAmountTypes::NoTax => line.line_amount,
        LineAmountTypes::Inclusive => line.line_amount - line.tax_amount,
    }
}

/// An invoice amount in the entity's base currency: divided by Xero's
/// `CurrencyRate` (invoice currency per one base unit) when the invoice is
/// in another currency. `None` when a foreign invoice has no usable rate.
pub fn to_base_currency(
    amount: Decimal,
    invoice: &Invoice,
    base: crate::domain::CurrencyCode,
) -> Option<Decimal> {
    if invoice.currency == base {
        return Some(amount);
    }
    match invoice.currency_rate {
        Some(r) if r > Decimal::ZERO => amount.checked_div(r),
        _ => None,
    }
}

/// +1 when the invoice's lines raise the entity's profit (a sales invoice
/// credits its accounts), -1 when they lower it (a bill debits them).
pub(crate) fn profit_effect_sign(t: InvoiceType) -> i8 {
    match t {
        InvoiceType::Accrec | InvoiceType::Accpaycredit | InvoiceType::Receive => 1,
        InvoiceType::Accpay | InvoiceType::Accreccredit | InvoiceType::Spend => -1,
    }
}

/// Whether an invoice, credit note or spend/receive money is intercompany
/// by rule 4, and with whom. Every kind counts: credit notes and bank
/// transactions are eliminated like invoices, with their own sign.
fn counterpart_of(idx: &GroupIndex<'_>, pos: usize, inv: &Invoice) -> Option<EntityId> {
    if !inv.status.posts() {
        return None;
    }
    idx.contacts[pos].get(inv.contact_id.as_str()).copied()
}

/// The intercompany invoices dated within `period`, with every line valued.
/// Invoices of entities not in the group are ignored (their entity is
/// unknown, so they cannot be intercompany).
pub(crate) fn intercompany_invoices<'a>(
    idx: &GroupIndex<'a>,
    period: MonthRange,
) -> Vec<IcInvoice<'a>> {
    let mut out = Vec::new();
    let done = for_each_intercompany_invoice(idx, period, |i| {
        out.push(i);
        Ok::<(), std::convert::Infallible>(())
    });
    match done {
        Ok(()) => out,
        Err(never) => match never {},
    }
}

/// Calls `f` with each intercompany invoice of `period`, without collecting
/// them; stops at the first error.
pub(crate) fn for_each_intercompany_invoice<'a, E>(
    idx: &GroupIndex<'a>,
    period: MonthRange,
    f: impl FnMut(IcInvoice<'a>) -> Result<(), E>,
) -> Result<(), E> {
    for_each_intercompany_between(idx, period.from().first_day(), period.to().last_day(), f)
}

/// [`for_each_intercompany_invoice`] for the documents dated `first` to
/// `last`, both included.
pub(crate) fn for_each_intercompany_between<'a, E>(
    idx: &GroupIndex<'a>,
    first: chrono::NaiveDate,
    last: chrono::NaiveDate,
    mut f: impl FnMut(IcInvoice<'a>) -> Result<(), E>,
) -> Result<(), E> {
    for inv in &idx.data.invoices {
        // Cheapest tests first: the date, type and status sit in the invoice
        // itself; the contact lookup has to read its ContactID.
        if inv.date < first || inv.date > last || !inv.status.posts() {
            continue;
        }
        let Some(&pos) = idx.position.get(&inv.entity) else {
            continue;
        };
        let Some(counterpart) = counterpart_of(idx, pos, inv) else {
            continue;
        };
        f(IcInvoice {
            invoice: inv,
            entity_pos: pos,
            counterpart,
            month: Month::of(inv.date),
        })?;
    }
    Ok(())
}

impl<'a> IcInvoice<'a> {
    /// The invoice's lines, each valued in the entity's base currency and
    /// classified: eliminated, or listed with the reason.
    pub fn lines<'s>(&'s self, idx: &'s GroupIndex<'a>) -> impl Iterator<Item = IcLine<'a>> + 's {
        let inv = self.invoice;
        let keys = &idx.keys[self.entity_pos];
        let base_currency = idx.entities[self.entity_pos].base_currency;
        let known_counterpart = idx.position.contains_key(&self.counterpart);
        inv.lines.iter().map(move |line| {
            let net = line_net_amount(inv.line_amount_types, line);
            let (key, info) = line
                .account_id
                .as_deref()
                .and_then(|id| keys.by_key(id))
                .filter(|(_, i)| i.account.is_some())
                .or_else(|| line.account_code.as_deref().and_then(|c| keys.by_code(c)))
                .unwrap_or((NO_KEY, KeyInfo::default()));
            let account = info.account;
            let outcome = match account {
                _ if !known_counterpart => IcOutcome::Listed {
                    issue: IntercompanyIssue::UnknownCounterpart,
                },
                None => IcOutcome::Listed {
                    issue: IntercompanyIssue::UnknownAccount,
                },
                Some(a) if !a.class.is_profit_and_loss() => IcOutcome::Listed {
                    issue: IntercompanyIssue::BalanceSheetLine,
                },
                Some(a) => match to_base_currency(net, inv, base_currency) {
                    None => IcOutcome::Listed {
                        issue: IntercompanyIssue::MissingCurrencyRate,
                    },
                    Some(base) => IcOutcome::Eliminate {
                        account: a,
                        key,
                        info,
                        base,
                    },
                },
            };
            IcLine { line, net, outcome }
        })
    }
}

//! Rule 4, lines on balance-sheet accounts: when the buyer puts an
//! intercompany purchase on a balance-sheet account (stock, fixed assets),
//! the seller's revenue on it is still eliminated, and the same amount is
//! held on an "Unrealised intercompany profit" elimination line, so that
//! the sale is never half-eliminated (revenue gone, the seller's cost of
//! it still there). The report warns for each such pair.
//!
//! Which sales went to the balance sheet is known from the pair (matched
//! by number, else by currency, total and date, as the reconciliation
//! matches them, but each seller document of the period with its best
//! buyer document of the loaded window when it is that document's best
//! seller too, see [`hold`]): the buyer's
//! balance-sheet lines' share of its P&L and balance-sheet lines (net, in
//! the document currency) is the share of each of the seller's eliminated
//! lines that is held, each rounded to the seller's minor units.

use std::collections::HashMap;

use rust_decimal::Decimal;

use super::eliminate::Pending;
use super::index::GroupIndex;
use super::input::EntityId;
use super::intercompany::{
    IcInvoice, IcOutcome, for_each_intercompany_between, profit_effect_sign,
};
use super::lines::{Lines, signed};
use super::money::round_to;
use super::provenance::EliminationItem;
use super::reconcile::{DocumentKind, MATCH_WINDOW_DAYS, number_key};
use super::warnings::{IntercompanyIssue, Severity, Warning};
use super::workspace::Workspace;
use crate::domain::MonthRange;

/// The share of a buyer's document that sits on balance-sheet accounts,
/// `None` when none does.
fn balance_sheet_share(idx: &GroupIndex<'_>, bill: &IcInvoice<'_>) -> Option<Decimal> {
    let (mut bs, mut pl) = (Decimal::ZERO, Decimal::ZERO);
    for l in bill.lines(idx) {
        match l.outcome {
            IcOutcome::Eliminate { .. } => pl += l.net,
            IcOutcome::Listed {
                issue: IntercompanyIssue::BalanceSheetLine,
            } => bs += l.net,
            IcOutcome::Listed { .. } => {}
        }
    }
    let total = bs + pl;
    if bs.is_zero() || total.is_zero() {
        return None;
    }
    bs.checked_div(total)
}

/// How many days apart a seller's and a buyer's documents may be dated
/// and still pair for the hold when their numbers match (when only their
/// currency and total do, [`MATCH_WINDOW_DAYS`]). Twice this fits in the
/// loader's widening of a period, so that every document that can compete
/// for a seller document's partner is loaded whatever the period asked.
pub const HOLD_WINDOW_DAYS: i64 = 22;

/// The documents of one kind and one (from, to) pair of entities, sorted
/// by date, then id.
type ByPair<'r, 'a> = HashMap<(EntityId, EntityId), Vec<&'r IcInvoice<'a>>>;

fn by_pair<'r, 'a>(idx: &GroupIndex<'a>, docs: &[&'r IcInvoice<'a>]) -> ByPair<'r, 'a> {
    let mut out: ByPair<'r, 'a> = HashMap::new();
    for d in docs {
        out.entry((idx.entities[d.entity_pos].id, d.counterpart))
            .or_default()
            .push(*d);
    }
    for v in out.values_mut() {
        v.sort_by(|a, b| {
            (a.invoice.date, &a.invoice.invoice_id).cmp(&(b.invoice.date, &b.invoice.invoice_id))
        });
    }
    out
}

/// How well `other` pairs with `doc`, lower is better; `None` when they
/// cannot pair: equal numbers within [`HOLD_WINDOW_DAYS`] first, then
/// equal currency and total within [`MATCH_WINDOW_DAYS`]; the nearest
/// date, then the other's id, decides between candidates.
fn rank<'r>(doc: &IcInvoice<'_>, other: &'r IcInvoice<'_>) -> Option<(bool, i64, &'r str)> {
    let days = (other.invoice.date - doc.invoice.date).num_days().abs();
    let number = number_key(&doc.invoice.invoice_number);
    let by_number = number.is_some()
        && number == number_key(&other.invoice.invoice_number)
        && days <= HOLD_WINDOW_DAYS;
    let by_amount = other.invoice.currency == doc.invoice.currency
        && other.invoice.total == doc.invoice.total
        && days <= MATCH_WINDOW_DAYS;
    (by_number || by_amount).then_some((!by_number, days, other.invoice.invoice_id.as_str()))
}

/// The best partner of `doc` among `others` (the other side's documents of
/// the same pair of entities, sorted by date).
fn best<'r, 'a>(
    doc: &IcInvoice<'a>,
    others: Option<&Vec<&'r IcInvoice<'a>>>,
) -> Option<&'r IcInvoice<'a>> {
    let others = others?;
    let window = chrono::Duration::days(HOLD_WINDOW_DAYS);
    let from = others.partition_point(|o| o.invoice.date < doc.invoice.date - window);
    others[from..]
        .iter()
        .take_while(|o| o.invoice.date <= doc.invoice.date + window)
        .filter_map(|o| rank(doc, o).map(|r| (r, *o)))
        .min_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, o)| o)
}

/// The intercompany documents [`hold`] pairs among for `period`: those
/// dated up to twice [`HOLD_WINDOW_DAYS`] either side of it, in input order.
pub(crate) fn hold_window_documents<'a>(
    idx: &GroupIndex<'a>,
    period: MonthRange,
) -> Vec<IcInvoice<'a>> {
    let reach = chrono::Duration::days(2 * HOLD_WINDOW_DAYS);
    let mut ic = Vec::new();
    let done = for_each_intercompany_between(
        idx,
        period.from().first_day() - reach,
        period.to().last_day() + reach,
        |i| {
            ic.push(i);
            Ok::<(), std::convert::Infallible>(())
        },
    );
    if let Err(never) = done {
        match never {}
    }
    ic
}

/// Holds the seller's profit on sales the buyer put on the balance sheet.
///
/// A seller document of the period pairs with the buyer document that is
/// its best match when it is that buyer document's best match too. Both
/// best matches look only [`HOLD_WINDOW_DAYS`] either side, so a pair
/// depends on documents within twice that of the seller's date and never
/// on the period asked: a month's hold is the same in every report that
/// holds the month, and is booked in the seller document's month. `ic` is
/// [`hold_window_documents`] of the period.
pub(crate) fn hold<'a>(
    ws: &mut Workspace<'_, 'a>,
    lines: &mut Lines<'a>,
    pending: &mut Pending<'a>,
    period: MonthRange,
    ic: &[IcInvoice<'a>],
) {
    let idx = ws.idx;
    let mut pairs = Vec::new();
    for kind in [DocumentKind::Invoice, DocumentKind::BankTransaction] {
        let (sellers, buyers): (Vec<&IcInvoice<'_>>, Vec<&IcInvoice<'_>>) = ic
            .iter()
            .filter(|i| DocumentKind::of(i.invoice.invoice_type).0 == kind)
            .partition(|i| DocumentKind::of(i.invoice.invoice_type).1);
        let (seller_docs, buyer_docs) = (by_pair(idx, &sellers), by_pair(idx, &buyers));
        for s in sellers.iter().filter(|s| period.contains(s.month)) {
            let seller = idx.entities[s.entity_pos].id;
            let Some(b) = best(s, buyer_docs.get(&(s.counterpart, seller))) else {
                continue;
            };
            let again = best(b, seller_docs.get(&(b.counterpart, s.counterpart)));
            if again.is_some_and(|x| std::ptr::eq(x, *s)) {
                pairs.push((*s, b));
            }
        }
    }
    for (s, b) in pairs {
        let Some(share) = balance_sheet_share(idx, b) else {
            continue;
        };
        let Some(m) = ws.month_index(s.month) else {
            continue;
        };
        let e = idx.entities[s.entity_pos];
        let dp = e.base_currency.minor_units();
        let sign = profit_effect_sign(s.invoice.invoice_type);
        let mut held = Decimal::ZERO;
        for l in s.lines(idx) {
            let IcOutcome::Eliminate { account, base, .. } = l.outcome else {
                continue;
            };
            let Some(rate) = ws.entity_rates[s.entity_pos][m] else {
                continue;
            };
            let part = round_to(round_to(base, dp) * share, dp);
            held += part;
            pending.hold_unrealised(
                lines,
                s.entity_pos,
                m,
                EliminationItem {
                    entity: e.id,
                    invoice: s.invoice,
                    line: l.line,
                    account_id: account.account_id.as_str(),
                    month: s.month,
                    net: l.net,
                    base: part,
                    rate,
                    translated: Decimal::ZERO,
                    cell_amount: Decimal::ZERO,
                },
                // Gives back what eliminating the revenue took.
                signed(sign, part),
            );
        }
        ws.warnings.push(Warning::UnrealisedIntercompanyProfit {
            severity: Severity::Warning,
            entity: e.id,
            invoice_id: s.invoice.invoice_id.clone(),
            invoice_number: s.invoice.invoice_number.clone(),
            buyer: idx.entities[b.entity_pos].id,
            bill_id: b.invoice.invoice_id.clone(),
            month: s.month,
            amount: held,
        });
    }
}

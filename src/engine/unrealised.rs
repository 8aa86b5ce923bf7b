//! Rule 4, lines on balance-sheet accounts: when the buyer puts an
//! intercompany purchase on a balance-sheet account (stock, fixed assets),
//! the seller's revenue on it is still eliminated, and the same amount is
//! held on an "Unrealised intercompany profit" elimination line, so that
//! the sale is never half-eliminated (revenue gone, the seller's cost of
//! it still there). The report warns for each such pair.
//!
//! Which sales went to the balance sheet is known from the pair (matched
//! as the reconciliation matches them, within the period): the buyer's
//! balance-sheet lines' share of its P&L and balance-sheet lines (net, in
//! the document currency) is the share of each of the seller's eliminated
//! lines that is held, each rounded to the seller's minor units.

use rust_decimal::Decimal;

use super::eliminate::Pending;
use super::index::GroupIndex;
use super::intercompany::{IcInvoice, IcOutcome, intercompany_invoices, profit_effect_sign};
use super::lines::{Lines, signed};
use super::money::round_to;
use super::provenance::EliminationItem;
use super::reconcile::{DocumentKind, pair_up};
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

/// Holds the seller's profit on sales the buyer put on the balance sheet.
pub(crate) fn hold<'a>(
    ws: &mut Workspace<'_, 'a>,
    lines: &mut Lines<'a>,
    pending: &mut Pending<'a>,
    period: MonthRange,
) {
    let idx = ws.idx;
    let ic = intercompany_invoices(idx, period);
    let mut pairs = Vec::new();
    for kind in [DocumentKind::Invoice, DocumentKind::BankTransaction] {
        let (sellers, buyers): (Vec<&IcInvoice<'_>>, Vec<&IcInvoice<'_>>) = ic
            .iter()
            .filter(|i| DocumentKind::of(i.invoice.invoice_type).0 == kind)
            .partition(|i| DocumentKind::of(i.invoice.invoice_type).1);
        pair_up(idx, kind, &sellers, &buyers, &mut pairs);
    }
    for (_, seller, buyer, _) in pairs {
        let (Some(s), Some(b)) = (seller, buyer) else {
            continue;
        };
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

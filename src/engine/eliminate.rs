//! Rule 4, elimination: every P&L line of every intercompany invoice is
//! removed in full from the group account it maps to, in the eliminations
//! column. Balance-sheet lines and lines that cannot be valued are listed
//! as warnings and touch nothing.
//!
//! Rule 3, last bullet: eliminations are rounded as source amounts are.
//! Each line's base amount is rounded to the entity's base-currency minor
//! units (as Xero posts it), the lines are summed per (entity, account,
//! month) in base currency, and that sum is translated and rounded once.
//! So an account holding only intercompany lines consolidates to exactly
//! zero: its source amount is the same sum, translated at the same rate.

use rust_decimal::Decimal;

use super::error::EngineError;
use super::hash::FastMap;
use super::intercompany::{IcInvoice, IcOutcome, profit_effect_sign};
use super::lines::{Lines, display_sign, from_units, signed, signed_units};
use super::money::{round_to, translate_units};
use super::provenance::{EliminationItem, EliminationSumItem};
use super::warnings::{IntercompanyIssue, Severity, Warning};
use super::workspace::Workspace;

/// The intercompany lines of one (entity, account, month), gathered before
/// they are translated together.
pub(crate) struct PendingElimination<'a> {
    line: u32,
    entity_pos: usize,
    month: usize,
    account_id: &'a str,
    /// Σ of the lines' eliminations, in base currency, as effects on profit
    /// (each line's rounded base amount, signed against its invoice's
    /// effect).
    sum: Decimal,
    /// Each line with its elimination (same sign as `sum`).
    items: Vec<(EliminationItem<'a>, Decimal)>,
}

/// The eliminations of a report, gathered per (entity, account, month).
#[derive(Default)]
pub(crate) struct Pending<'a> {
    groups: Vec<PendingElimination<'a>>,
    /// By (entity position, key number, month): integers, so that a line's
    /// group is found without reading its AccountID's text.
    at: FastMap<(u32, u32, u32), usize>,
}

/// The key number of the unrealised profit's sums: above every entity's
/// key numbers, which count its accounts.
const UNREALISED_KEY: u32 = u32::MAX;

impl<'a> Pending<'a> {
    /// Room for the eliminations of about `lines` invoice lines, so that
    /// the table is not grown and rehashed as they arrive.
    pub(crate) fn with_capacity(lines: usize) -> Self {
        Self {
            groups: Vec::with_capacity(lines),
            at: FastMap::with_capacity_and_hasher(lines, Default::default()),
        }
    }

    /// Adds `amount` (base currency, as an effect on profit) of a seller's
    /// line to the unrealised intercompany profit of its entity and month.
    pub(crate) fn hold_unrealised(
        &mut self,
        lines: &mut Lines<'a>,
        entity_pos: usize,
        month: usize,
        item: EliminationItem<'a>,
        amount: Decimal,
    ) {
        let key = (entity_pos as u32, UNREALISED_KEY, month as u32);
        let g = match self.at.get(&key) {
            Some(&g) => g,
            None => {
                self.groups.push(PendingElimination {
                    line: lines.unrealised(),
                    entity_pos,
                    month,
                    account_id: item.account_id,
                    sum: Decimal::ZERO,
                    items: Vec::new(),
                });
                self.at.insert(key, self.groups.len() - 1);
                self.groups.len() - 1
            }
        };
        let g = &mut self.groups[g];
        g.sum += amount;
        g.items.push((item, amount));
    }
}

/// Gathers the eliminations of one intercompany invoice of the period.
pub(crate) fn eliminate<'a>(
    ws: &mut Workspace<'_, 'a>,
    lines: &mut Lines<'a>,
    pending: &mut Pending<'a>,
    inv: &IcInvoice<'a>,
) -> Result<(), EngineError> {
    let idx = ws.idx;
    let Some(m) = ws.month_index(inv.month) else {
        return Ok(());
    };
    let e = idx.entities[inv.entity_pos];
    let entity = e.id;
    let base_units = e.base_currency.minor_units();
    let effect_sign = profit_effect_sign(inv.invoice.invoice_type);
    for l in inv.lines(idx) {
        match l.outcome {
            IcOutcome::Eliminate {
                account,
                key,
                info,
                base,
            } => {
                // A missing rate is reported once per entity and month.
                let Some(rate) = ws.entity_rates[inv.entity_pos][m] else {
                    continue;
                };
                let base = round_to(base, base_units);
                let elimination = -signed(effect_sign, base);
                let account_id = account.account_id.as_str();
                let at = (inv.entity_pos as u32, key, m as u32);
                let g = match pending.at.get(&at) {
                    Some(&g) => g,
                    None => {
                        let r = lines.resolve(inv.entity_pos, account_id, info, None, None);
                        pending.groups.push(PendingElimination {
                            line: r.line,
                            entity_pos: inv.entity_pos,
                            month: m,
                            account_id,
                            sum: Decimal::ZERO,
                            items: Vec::new(),
                        });
                        pending.at.insert(at, pending.groups.len() - 1);
                        pending.groups.len() - 1
                    }
                };
                let g = &mut pending.groups[g];
                g.sum += elimination;
                g.items.push((
                    EliminationItem {
                        entity,
                        invoice: inv.invoice,
                        line: l.line,
                        account_id,
                        month: inv.month,
                        net: l.net,
                        base,
                        rate,
                        translated: Decimal::ZERO,
                        cell_amount: Decimal::ZERO,
                    },
                    elimination,
                ));
            }
            IcOutcome::Listed { issue, .. } => {
                let severity = match issue {
                    IntercompanyIssue::BalanceSheetLine => Severity::Info,
                    _ => Severity::Warning,
                };
                ws.warnings.push(Warning::Intercompany {
                    severity,
                    issue,
                    entity,
                    invoice_id: inv.invoice.invoice_id.clone(),
                    invoice_number: inv.invoice.invoice_number.clone(),
                    line_item_id: Some(l.line.line_item_id.clone()),
                    month: inv.month,
                    amount: Some(l.net),
                });
            }
        }
    }
    Ok(())
}

/// Translates each gathered (entity, account, month) sum once and adds it
/// to the eliminations column. Each line's share in the cell is its own
/// translation, the last line of the sum taking the rounding difference, so
/// the lines opened from a cell add up to it.
pub(crate) fn apply<'a>(
    ws: &mut Workspace<'_, 'a>,
    lines: &mut Lines<'a>,
    pending: Pending<'a>,
) -> Result<(), EngineError> {
    let minor = ws.idx.minor_units;
    let col = ws.elimination_column;
    ws.provenance
        .reserve_eliminations(pending.groups.iter().map(|g| g.items.len()).sum());
    for g in pending.groups {
        let Some(rate) = ws.entity_rates[g.entity_pos][g.month] else {
            continue;
        };
        // Without the entity's P&L of that month there is nothing to
        // eliminate from: the eliminations wait (an error says so).
        if !ws.synced[g.entity_pos][g.month] {
            continue;
        }
        let entity = ws.idx.entities[g.entity_pos].id;
        let month = ws.months[g.month];
        let out_of_range = EngineError::AmountOutOfRange { entity, month };
        let total = translate_units(g.sum, rate, minor).ok_or(out_of_range.clone())?;
        lines.add(g.line, g.month, col, total);
        let display = display_sign(lines.ids[g.line as usize].section());
        let mut left = total;
        let n = g.items.len();
        for (i, (mut item, elimination)) in g.items.into_iter().enumerate() {
            let share = if i + 1 == n {
                left
            } else {
                translate_units(elimination, rate, minor).ok_or(out_of_range.clone())?
            };
            left -= share;
            // `translated` keeps the sign of the base amount.
            let same = elimination.is_sign_negative() == item.base.is_sign_negative();
            item.translated = from_units(if same { share } else { -share }, minor);
            item.cell_amount = from_units(signed_units(display, share), minor);
            ws.provenance.push_elimination(g.line, col as u32, item);
        }
        ws.provenance.push_elimination_sum(
            g.line,
            col as u32,
            EliminationSumItem {
                entity,
                account_id: g.account_id,
                month,
                base: g.sum,
                rate,
                translated: from_units(total, minor),
                cell_amount: from_units(signed_units(display, total), minor),
            },
        );
    }
    Ok(())
}

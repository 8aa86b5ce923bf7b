//! Rule 4, elimination: every P&L line of every intercompany invoice is
//! removed in full from the group account it maps to, in the eliminations
//! column. Balance-sheet lines and lines that cannot be valued are listed
//! as warnings and touch nothing.

use super::error::EngineError;
use super::intercompany::{IcInvoice, IcOutcome, profit_effect_sign};
use super::lines::{Lines, display_sign, from_units, signed_units};
use super::money::translate_units;
use super::provenance::EliminationItem;
use super::warnings::{IntercompanyIssue, Severity, Warning};
use super::workspace::Workspace;

/// Eliminates one intercompany invoice of the period.
pub(crate) fn eliminate<'a>(
    ws: &mut Workspace<'_, 'a>,
    lines: &mut Lines<'a>,
    inv: &IcInvoice<'a>,
) -> Result<(), EngineError> {
    let idx = ws.idx;
    let minor = idx.minor_units;
    let col = ws.elimination_column;
    let Some(m) = ws.month_index(inv.month) else {
        return Ok(());
    };
    let entity = idx.entities[inv.entity_pos].id;
    let effect_sign = profit_effect_sign(inv.invoice.invoice_type);
    for l in inv.lines(idx) {
        match l.outcome {
            IcOutcome::Eliminate {
                account,
                info,
                base,
            } => {
                // A missing rate is reported once per entity and month.
                let Some(rate) = ws.entity_rates[inv.entity_pos][m] else {
                    continue;
                };
                let r = lines.resolve(
                    inv.entity_pos,
                    account.account_id.as_str(),
                    info,
                    None,
                    None,
                );
                let units =
                    translate_units(base, rate, minor).ok_or(EngineError::AmountOutOfRange {
                        entity,
                        month: inv.month,
                    })?;
                let translated = from_units(units, minor);
                let elimination = -signed_units(effect_sign, units);
                lines.add(r.line, m, col, elimination);
                let display = display_sign(lines.ids[r.line as usize].section());
                ws.provenance.push_elimination(
                    r.line,
                    col as u32,
                    EliminationItem {
                        entity,
                        invoice: inv.invoice,
                        line: l.line,
                        account_id: account.account_id.as_str(),
                        month: inv.month,
                        net: l.net,
                        base,
                        rate,
                        translated,
                        cell_amount: from_units(signed_units(display, elimination), minor),
                    },
                );
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

//! The entry point: a group's data and a period in, the consolidated P&L
//! and its provenance out.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use rust_decimal::Decimal;

use super::eliminate::{Pending, apply as apply_eliminations, eliminate};
use super::error::EngineError;
use super::index::GroupIndex;
use super::input::GroupData;
use super::layout::{build_values, order_lines, report_line};
use super::lines::{LineId, Lines, display_sign, from_units};
use super::provenance::Provenance;
use super::report::{
    CONSOLIDATED, Column, ColumnKind, ELIMINATIONS, MonthlyLine, MonthlyReport, Period,
    ProfitAndLossReport, RateUsed, TieOut, TieOutStatus, entity_column_key,
};
use super::translate::translate_entities;
use super::warnings::{Severity, Warning};
use super::workspace::Workspace;
use crate::domain::{Month, MonthRange};

/// A report with the provenance of its cells, which borrows the input.
pub struct Consolidation<'a> {
    pub report: ProfitAndLossReport,
    pub provenance: Provenance<'a>,
}

/// The consolidated P&L of `data`'s group for `period`.
///
/// Errors only on inconsistent input (see [`EngineError`]); missing rates,
/// unmapped accounts, tie-out differences and intercompany exceptions are
/// warnings on the report.
pub fn consolidate(data: &GroupData, period: MonthRange) -> Result<Consolidation<'_>, EngineError> {
    let idx = GroupIndex::build(data)?;
    let mut ws = Workspace::new(&idx, period);
    let mut lines = Lines::new(ws.months.len(), ws.columns, data.group_accounts.len());

    translate_entities(&mut ws, &mut lines)?;
    // One pass over the invoices finds the intercompany documents of the
    // hold's wider window; those of the period are eliminated, in input
    // order, and the hold pairs among all of them.
    let ic = super::unrealised::hold_window_documents(&idx, period);
    let mut pending = Pending::with_capacity(ic.iter().map(|i| i.invoice.lines.len()).sum());
    for inv in ic.iter().filter(|i| period.contains(i.month)) {
        eliminate(&mut ws, &mut lines, &mut pending, inv)?;
    }
    super::unrealised::hold(&mut ws, &mut lines, &mut pending, period, &ic);
    apply_eliminations(&mut ws, &mut lines, pending)?;
    lines.fill_consolidated();

    let columns = columns(&idx);
    let keys: Arc<[String]> = columns.iter().map(|c| c.key.clone()).collect();
    let layout = order_lines(&idx, &lines);

    let (period_values, month_values) = build_values(&idx, &lines, &layout, &keys, ws.months.len());
    let net_profit = period_values.net_profit;
    let report_lines = period_values
        .rows
        .into_iter()
        .map(|(head, values)| report_line(&idx, &lines, &layout, head, values))
        .collect();
    let months = ws
        .months
        .iter()
        .zip(month_values)
        .map(|(&month, laid)| MonthlyReport {
            month,
            lines: laid
                .rows
                .into_iter()
                .map(|(head, values)| MonthlyLine {
                    key: head.key(&layout).to_string(),
                    values,
                })
                .collect(),
            net_profit: laid.net_profit,
        })
        .collect();

    // Every list of the report is in an order a sum of single months can
    // rebuild (`assemble`): by entity then month, by month keeping the
    // input's order within it, or by line.
    let mut warnings = missing_rate_warnings(&ws);
    warnings.extend(missing_pnl_warnings(&ws));
    warnings.extend(rejected_warnings(&ws));
    warnings.extend(unmapped_warnings(&ws, &lines, &layout.order));
    let tie_out = tie_out(&ws, &mut warnings)?;
    let (mut unknown, mut rest): (Vec<Warning>, Vec<Warning>) = std::mem::take(&mut ws.warnings)
        .into_iter()
        .partition(|w| matches!(w, Warning::UnknownSourceAccount { .. }));
    unknown.sort_by_cached_key(|w| match w {
        Warning::UnknownSourceAccount {
            entity, account_id, ..
        } => (idx.position.get(entity).copied(), account_id.clone()),
        _ => (None, String::new()),
    });
    rest.sort_by_key(Warning::month);
    warnings.append(&mut unknown);
    warnings.append(&mut rest);
    ws.summary_rows
        .sort_by_key(|s| (idx.position.get(&s.entity).copied(), s.month));

    let report = ProfitAndLossReport {
        currency: idx.presentation,
        period: Period {
            from: period.from(),
            to: period.to(),
        },
        columns,
        lines: report_lines,
        net_profit,
        rates: rates_used(&ws),
        warnings,
        tie_out,
        summary_rows: std::mem::take(&mut ws.summary_rows),
        months,
    };
    let provenance = Provenance {
        columns: keys,
        lines: layout
            .keys
            .into_iter()
            .enumerate()
            .map(|(i, k)| (k, i as u32))
            .collect(),
        line_signs: lines
            .ids
            .iter()
            .map(|l| display_sign(l.section()))
            .collect(),
        built: std::mem::take(&mut ws.provenance),
        presentation: idx.presentation,
        months: ws.months.clone(),
        entity_ids: idx.entities.iter().map(|e| e.id).collect(),
        entity_rates: std::mem::take(&mut ws.entity_rates),
    };
    Ok(Consolidation { report, provenance })
}

fn columns(idx: &GroupIndex<'_>) -> Vec<Column> {
    let mut cols: Vec<Column> = idx
        .entities
        .iter()
        .map(|e| Column {
            key: entity_column_key(e.id),
            name: e.name.clone(),
            kind: ColumnKind::Entity,
            entity: Some(e.id),
        })
        .collect();
    cols.push(Column {
        key: ELIMINATIONS.to_string(),
        name: "Eliminations".to_string(),
        kind: ColumnKind::Eliminations,
        entity: None,
    });
    cols.push(Column {
        key: CONSOLIDATED.to_string(),
        name: "Consolidated".to_string(),
        kind: ColumnKind::Consolidated,
        entity: None,
    });
    cols
}

fn missing_rate_warnings(ws: &Workspace<'_, '_>) -> Vec<Warning> {
    let mut out = Vec::new();
    for (pos, rates) in ws.entity_rates.iter().enumerate() {
        let e = ws.idx.entities[pos];
        for (m, r) in rates.iter().enumerate() {
            if r.is_none() {
                out.push(Warning::MissingRate {
                    severity: Severity::Error,
                    entity: e.id,
                    entity_name: e.name.clone(),
                    currency: e.base_currency,
                    month: ws.months[m],
                });
            }
        }
    }
    out
}

/// An unmapped account's warning per Unmapped line, in report order.
fn unmapped_warnings(ws: &Workspace<'_, '_>, lines: &Lines<'_>, order: &[u32]) -> Vec<Warning> {
    let mut out = Vec::new();
    for &li in order {
        let li = li as usize;
        if let LineId::Unmapped {
            entity_pos,
            key,
            code,
            name,
            unknown,
        } = &lines.ids[li]
        {
            if *unknown {
                continue; // Reported as an unknown source account.
            }
            let units: i128 = (0..ws.months.len())
                .map(|m| lines.get(li, m, *entity_pos))
                .sum();
            let amount = from_units(units, ws.idx.minor_units);
            out.push(Warning::UnmappedAccount {
                severity: Severity::Warning,
                entity: ws.idx.entities[*entity_pos].id,
                account_id: key.to_string(),
                account_code: code.map(str::to_string),
                account_name: name.to_string(),
                amount,
            });
        }
    }
    out
}

fn tie_out(
    ws: &Workspace<'_, '_>,
    warnings: &mut Vec<Warning>,
) -> Result<Vec<TieOut>, EngineError> {
    let idx = ws.idx;
    let mut xero: HashMap<(usize, usize), Decimal> = HashMap::new();
    for np in &idx.data.net_profits {
        if let Some(m) = ws.month_index(np.month) {
            *xero
                .entry((idx.entity_position(np.entity)?, m))
                .or_default() += np.amount;
        }
    }
    let mut gross: HashMap<(usize, usize), Decimal> = HashMap::new();
    for s in &ws.summary_rows {
        if s.label.trim().eq_ignore_ascii_case("gross profit")
            && let Some(m) = ws.month_index(s.month)
        {
            *gross
                .entry((idx.entity_position(s.entity)?, m))
                .or_default() += s.amount;
        }
    }
    let mut out = Vec::new();
    for (pos, e) in idx.entities.iter().enumerate() {
        let dp = e.base_currency.minor_units();
        let at_dp = |mut d: Decimal| {
            if d.scale() < dp {
                d.rescale(dp);
            }
            d
        };
        for (m, &month) in ws.months.iter().enumerate() {
            let x = xero.get(&(pos, m)).copied();
            if x.is_none() && !ws.has_rows[pos][m] {
                continue;
            }
            let computed = at_dp(ws.computed_net_profit[pos][m]);
            let difference = x.map(|x| computed - x);
            if let (Some(x), Some(d)) = (x, difference)
                && !d.is_zero()
            {
                warnings.push(Warning::NetProfitTieOut {
                    severity: Severity::Warning,
                    entity: e.id,
                    month,
                    currency: e.base_currency,
                    xero_net_profit: x,
                    computed,
                    difference: d,
                });
            }
            if x.is_none() {
                warnings.push(Warning::NotTiedOut {
                    severity: Severity::Warning,
                    entity: e.id,
                    month,
                });
            }
            let xg = gross.get(&(pos, m)).copied();
            let computed_gross = at_dp(ws.computed_gross_profit[pos][m]);
            let gross_difference = xg.map(|x| computed_gross - x);
            if let (Some(x), Some(d)) = (xg, gross_difference)
                && !d.is_zero()
            {
                warnings.push(Warning::GrossProfitTieOut {
                    severity: Severity::Warning,
                    entity: e.id,
                    month,
                    currency: e.base_currency,
                    xero_gross_profit: x,
                    computed: computed_gross,
                    difference: d,
                });
            }
            let status = match (difference, gross_difference) {
                (None, _) => TieOutStatus::NotTiedOut,
                (Some(d), g) if !d.is_zero() || g.is_some_and(|g| !g.is_zero()) => {
                    TieOutStatus::Differs
                }
                _ => TieOutStatus::Ties,
            };
            out.push(TieOut {
                entity: e.id,
                month,
                currency: e.base_currency,
                xero_net_profit: x,
                computed,
                difference,
                xero_gross_profit: xg,
                computed_gross_profit: computed_gross,
                gross_profit_difference: gross_difference,
                status,
            });
        }
    }
    Ok(out)
}

/// An error for every entity month of the period with no synced P&L.
fn missing_pnl_warnings(ws: &Workspace<'_, '_>) -> Vec<Warning> {
    let mut out = Vec::new();
    for (pos, synced) in ws.synced.iter().enumerate() {
        let e = ws.idx.entities[pos];
        for (m, s) in synced.iter().enumerate() {
            if !s {
                out.push(Warning::MissingPnl {
                    severity: Severity::Error,
                    entity: e.id,
                    entity_name: e.name.clone(),
                    month: ws.months[m],
                });
            }
        }
    }
    out
}

/// A warning for every intercompany record the loader could not read, by
/// month (in the loader's order within a month).
fn rejected_warnings(ws: &Workspace<'_, '_>) -> Vec<Warning> {
    let mut out: Vec<Warning> = ws
        .idx
        .data
        .rejected
        .iter()
        .filter(|r| ws.month_index(Month::of(r.date)).is_some())
        .map(|r| Warning::UnreadableRecord {
            severity: Severity::Warning,
            entity: r.entity,
            record_id: r.record_id.clone(),
            number: r.number.clone(),
            month: Month::of(r.date),
            field: r.field.clone(),
            value: r.value.clone(),
        })
        .collect();
    out.sort_by_key(Warning::month);
    out
}

fn rates_used(ws: &Workspace<'_, '_>) -> Vec<RateUsed> {
    let idx = ws.idx;
    let currencies: BTreeSet<_> = idx
        .entities
        .iter()
        .map(|e| e.base_currency)
        .filter(|c| *c != idx.presentation)
        .collect();
    let mut out = Vec::new();
    for c in currencies {
        for &month in &ws.months {
            if let Some(average) = idx.average_rate(c, month) {
                out.push(RateUsed {
                    currency: c,
                    month,
                    average,
                });
            }
        }
    }
    out
}

//! A period's P&L put together from the P&Ls of its single months, as the
//! report service keeps them (rules: "Month: the unit of all stored
//! numbers. Quarters, years and year-to-date are sums of months").
//!
//! No figure of a month depends on the period asked (the unrealised-profit
//! hold pairs documents the same way in every period, see `unrealised.rs`),
//! and every list of a report is in an order that the months' lists
//! rebuild: so [`assemble`] of the single-month reports of a period equals
//! [`super::consolidate`] of the period, whole report (a property test
//! holds it to that).

use std::collections::HashMap;

use rust_decimal::Decimal;

use super::input::EntityId;
use super::money::zero;
use super::report::{
    Column, ColumnValues, LineKind, MonthlyLine, MonthlyReport, Period, ProfitAndLossReport,
    ReportLine, UNREALISED_LINE,
};
use super::warnings::Warning;
use crate::domain::Month;

/// Why reports cannot be put together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssembleError {
    #[error("no months to put together")]
    Empty,
    #[error("the report from {0} is not of a single month")]
    NotOneMonth(Month),
    #[error("{0} does not follow the month before it")]
    NotConsecutive(Month),
    #[error("the report of {0} has other columns or another currency")]
    OtherColumns(Month),
}

/// The P&L of the months of `parts` (single-month reports of consecutive
/// months, in order, of the same group data).
pub fn assemble(parts: &[&ProfitAndLossReport]) -> Result<ProfitAndLossReport, AssembleError> {
    let first = *parts.first().ok_or(AssembleError::Empty)?;
    for (i, p) in parts.iter().enumerate() {
        let m = p.period.from;
        if p.period.to != m || p.months.len() != 1 || p.months[0].month != m {
            return Err(AssembleError::NotOneMonth(m));
        }
        if m != first.period.from.plus(i as i32) {
            return Err(AssembleError::NotConsecutive(m));
        }
        if p.columns != first.columns || p.currency != first.currency {
            return Err(AssembleError::OtherColumns(m));
        }
    }
    let last = parts[parts.len() - 1];
    let columns = &first.columns;
    let nothing = zero(first.currency.minor_units());

    // Lines: every line of any month, its values summed, in report order.
    let mut sums: HashMap<&str, ColumnValues> = HashMap::new();
    let mut order: Vec<&ReportLine> = Vec::new();
    for p in parts {
        for l in &p.lines {
            match sums.get_mut(l.key.as_str()) {
                Some(v) => *v = v.plus(&l.values),
                None => {
                    sums.insert(&l.key, l.values.clone());
                    order.push(l);
                }
            }
        }
    }
    order.sort_by(|a, b| line_rank(a, columns).cmp(&line_rank(b, columns)));
    let lines: Vec<ReportLine> = order
        .iter()
        .map(|l| ReportLine {
            values: sums[l.key.as_str()].clone(),
            ..(*l).clone()
        })
        .collect();

    // Months: each month's lines, with a zero line for every line of the
    // period the month has none of.
    let months = parts
        .iter()
        .map(|p| {
            let month = &p.months[0];
            let own: HashMap<&str, &MonthlyLine> =
                month.lines.iter().map(|l| (l.key.as_str(), l)).collect();
            MonthlyReport {
                month: month.month,
                lines: lines
                    .iter()
                    .map(|l| match own.get(l.key.as_str()) {
                        Some(x) => (*x).clone(),
                        None => MonthlyLine {
                            key: l.key.clone(),
                            values: l.values.zeros_like(nothing),
                        },
                    })
                    .collect(),
                net_profit: month.net_profit.clone(),
            }
        })
        .collect();

    let mut net_profit = first.net_profit.clone();
    for p in &parts[1..] {
        net_profit = net_profit.plus(&p.net_profit);
    }

    let pos = |e: EntityId| columns.iter().position(|c| c.entity == Some(e));
    let mut rates: Vec<_> = parts.iter().flat_map(|p| p.rates.clone()).collect();
    rates.sort_by_key(|r| r.currency);
    let mut tie_out: Vec<_> = parts.iter().flat_map(|p| p.tie_out.clone()).collect();
    tie_out.sort_by_key(|t| pos(t.entity));
    let mut summary_rows: Vec<_> = parts.iter().flat_map(|p| p.summary_rows.clone()).collect();
    summary_rows.sort_by_key(|s| pos(s.entity));

    Ok(ProfitAndLossReport {
        currency: first.currency,
        period: Period {
            from: first.period.from,
            to: last.period.to,
        },
        columns: columns.clone(),
        warnings: warnings(parts, &lines, &pos),
        lines,
        net_profit,
        rates,
        tie_out,
        summary_rows,
        months,
    })
}

/// Where a line sits in the report: by section, its account lines first
/// (group accounts by code, name and id; then the unrealised profit line;
/// an entity's unmapped accounts by entity column, code, name and key),
/// then its total. The engine's `order_lines` and `build_values`, read off
/// the report.
type Rank<'l> = (
    super::report::Section,
    bool,
    u8,
    Option<usize>,
    Option<&'l str>,
    &'l str,
    i64,
    &'l str,
);

fn line_rank<'l>(l: &'l ReportLine, columns: &[Column]) -> Rank<'l> {
    let total = l.kind != LineKind::Account;
    if total {
        return (l.section, true, 0, None, None, "", 0, "");
    }
    if l.key == UNREALISED_LINE {
        return (l.section, false, 1, None, None, "", 0, "");
    }
    match (l.entity, l.key.strip_prefix("group:")) {
        (None, Some(id)) => (
            l.section,
            false,
            0,
            None,
            l.account_code.as_deref(),
            &l.account_name,
            id.parse().unwrap_or(i64::MAX),
            "",
        ),
        (e, _) => (
            l.section,
            false,
            2,
            e.and_then(|e| columns.iter().position(|c| c.entity == Some(e))),
            l.account_code.as_deref(),
            &l.account_name,
            0,
            &l.key,
        ),
    }
}

/// The months' warnings in the engine's order: missing rates and missing
/// P&Ls by entity then month; unreadable records by month; unmapped
/// accounts by line, their amounts summed; tie-outs by entity then month;
/// unknown source accounts once each, by entity and AccountID; the
/// intercompany warnings by month.
fn warnings(
    parts: &[&ProfitAndLossReport],
    lines: &[ReportLine],
    pos: &dyn Fn(EntityId) -> Option<usize>,
) -> Vec<Warning> {
    let mut groups: [Vec<Warning>; 7] = Default::default();
    for w in parts.iter().flat_map(|p| &p.warnings) {
        let g = match w {
            Warning::MissingRate { .. } => 0,
            Warning::MissingPnl { .. } => 1,
            Warning::UnreadableRecord { .. } => 2,
            Warning::UnmappedAccount { .. } => 3,
            Warning::NetProfitTieOut { .. }
            | Warning::NotTiedOut { .. }
            | Warning::GrossProfitTieOut { .. } => 4,
            Warning::UnknownSourceAccount { .. } => 5,
            Warning::UnrealisedIntercompanyProfit { .. } | Warning::Intercompany { .. } => 6,
        };
        groups[g].push(w.clone());
    }
    for g in [0, 1, 4] {
        groups[g].sort_by_key(|w| pos(w.entity()));
    }

    let mut unmapped: Vec<Warning> = Vec::new();
    let mut at: HashMap<String, usize> = HashMap::new();
    for w in std::mem::take(&mut groups[3]) {
        let Warning::UnmappedAccount {
            entity,
            ref account_id,
            amount,
            ..
        } = w
        else {
            continue;
        };
        let key = format!("unmapped:{}:{}", entity.0, account_id);
        match at.get(&key) {
            Some(&i) => {
                if let Warning::UnmappedAccount { amount: sum, .. } = &mut unmapped[i] {
                    let s = *sum + amount;
                    *sum = if s.is_zero() {
                        Decimal::new(0, s.scale())
                    } else {
                        s
                    };
                }
            }
            None => {
                at.insert(key, unmapped.len());
                unmapped.push(w);
            }
        }
    }
    let line_at: HashMap<&str, usize> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| (l.key.as_str(), i))
        .collect();
    let mut keyed: Vec<(Option<usize>, Warning)> = unmapped
        .into_iter()
        .map(|w| {
            let i = match &w {
                Warning::UnmappedAccount {
                    entity, account_id, ..
                } => line_at
                    .get(format!("unmapped:{}:{}", entity.0, account_id).as_str())
                    .copied(),
                _ => None,
            };
            (i, w)
        })
        .collect();
    keyed.sort_by_key(|(i, _)| *i);
    groups[3] = keyed.into_iter().map(|(_, w)| w).collect();

    // Once per (entity, AccountID): the first month's.
    let mut seen = std::collections::HashSet::new();
    groups[5].retain(|w| match w {
        Warning::UnknownSourceAccount {
            entity, account_id, ..
        } => seen.insert((*entity, account_id.clone())),
        _ => true,
    });
    groups[5].sort_by_cached_key(|w| match w {
        Warning::UnknownSourceAccount {
            entity, account_id, ..
        } => (pos(*entity), account_id.clone()),
        _ => (None, String::new()),
    });
    groups.into_iter().flatten().collect()
}

//! Lays the computed lines out as a report: account lines in section order,
//! each section's total, Gross Profit and Net Profit, for the period and for
//! each month. Figures turn from profit effects into the sign of their
//! section here (costs positive under costs).

use std::sync::Arc;

use super::index::GroupIndex;
use super::lines::{LineId, Lines, display_sign, from_units, signed_units};
use super::money::zero;
use super::report::{ColumnValues, LineKind, ReportLine, Section, UNREALISED_LINE};

/// The account lines in report order, with their keys.
pub(crate) struct Layout {
    /// Line indices in report order.
    pub order: Vec<u32>,
    /// Key of each line, by line index.
    pub keys: Vec<String>,
}

pub(crate) fn line_key(idx: &GroupIndex<'_>, id: &LineId<'_>) -> String {
    match id {
        LineId::Group(g) => format!("group:{}", g.id.0),
        LineId::Unmapped {
            entity_pos, key, ..
        } => format!("unmapped:{}:{}", idx.entities[*entity_pos].id.0, key),
        LineId::Unrealised => UNREALISED_LINE.to_string(),
    }
}

pub(crate) fn order_lines(idx: &GroupIndex<'_>, lines: &Lines<'_>) -> Layout {
    let mut order: Vec<u32> = (0..lines.ids.len() as u32).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&lines.ids[a as usize], &lines.ids[b as usize]);
        a.section().cmp(&b.section()).then_with(|| match (a, b) {
            (LineId::Group(x), LineId::Group(y)) => {
                (&x.code, &x.name, x.id).cmp(&(&y.code, &y.name, y.id))
            }
            (
                LineId::Unmapped {
                    entity_pos: pa,
                    key: ka,
                    code: ca,
                    name: na,
                    ..
                },
                LineId::Unmapped {
                    entity_pos: pb,
                    key: kb,
                    code: cb,
                    name: nb,
                    ..
                },
            ) => (pa, ca, na, ka).cmp(&(pb, cb, nb, kb)),
            (LineId::Group(_), _) => std::cmp::Ordering::Less,
            (_, LineId::Group(_)) => std::cmp::Ordering::Greater,
            // After the group accounts of its section.
            (LineId::Unrealised, _) => std::cmp::Ordering::Greater,
            (_, LineId::Unrealised) => std::cmp::Ordering::Less,
        })
    });
    let keys = lines.ids.iter().map(|id| line_key(idx, id)).collect();
    Layout { order, keys }
}

fn total_key(s: Section) -> &'static str {
    match s {
        Section::Income => "total:income",
        Section::CostOfSales => "total:cost_of_sales",
        Section::OtherIncome => "total:other_income",
        Section::OperatingExpenses => "total:operating_expenses",
        Section::OtherExpenses => "total:other_expenses",
        Section::Unmapped => "total:unmapped",
        Section::GrossProfit => "gross_profit",
        Section::NetProfit => "net_profit",
    }
}

/// What a row of the laid-out report is.
#[derive(Clone, Copy)]
pub(crate) enum Head {
    /// An account line, by line index.
    Account(usize),
    Total(Section),
    GrossProfit,
    NetProfit,
}

impl Head {
    pub fn key<'k>(&self, layout: &'k Layout) -> &'k str {
        match self {
            Head::Account(li) => &layout.keys[*li],
            Head::Total(s) => total_key(*s),
            Head::GrossProfit => total_key(Section::GrossProfit),
            Head::NetProfit => total_key(Section::NetProfit),
        }
    }
}

/// Rows in report order with their values, and the Net Profit values.
pub(crate) struct Laid {
    pub rows: Vec<(Head, ColumnValues)>,
    pub net_profit: ColumnValues,
}

/// The values of every row, in report order: for the whole period (first)
/// and for each month of it. Each line is read once, its months side by
/// side, and spread over the period and the months.
pub(crate) fn build_values(
    idx: &GroupIndex<'_>,
    lines: &Lines<'_>,
    layout: &Layout,
    keys: &Arc<[String]>,
    n_months: usize,
) -> (Laid, Vec<Laid>) {
    let ncols = keys.len();
    let dp = idx.minor_units;
    // Slot 0 is the period, slot 1 + m the month m.
    let slots = n_months + 1;
    let to_values = |v: &[i128]| {
        ColumnValues::new(keys.clone(), v.iter().map(|&x| from_units(x, dp)).collect())
    };
    let mut out: Vec<Vec<(Head, ColumnValues)>> = (0..slots)
        .map(|_| Vec::with_capacity(layout.order.len() + 10))
        .collect();
    // totals[section][slot × ncols + column]
    let mut totals: [Vec<i128>; 6] = std::array::from_fn(|_| vec![0; slots * ncols]);
    let has_unmapped = lines.ids.iter().any(|l| l.section() == Section::Unmapped);
    let mut cursor = 0usize;
    let mut grid = vec![0i128; slots * ncols];
    let mut month_values = vec![0i128; n_months];

    let mut push_section = |s: Section,
                            out: &mut Vec<Vec<(Head, ColumnValues)>>,
                            acc: &mut [i128]| {
        let sign = display_sign(s);
        while cursor < layout.order.len() && lines.ids[layout.order[cursor] as usize].section() == s
        {
            let li = layout.order[cursor] as usize;
            let narrow = lines.narrow_entity(li);
            let columns: Vec<usize> = match narrow {
                Some(e) => vec![e, ncols - 2, ncols - 1],
                None => (0..ncols).collect(),
            };
            for &c in &columns {
                lines.column_into(li, c, &mut month_values);
                let mut period = 0;
                for (m, v) in month_values.iter().enumerate() {
                    let v = signed_units(sign, *v);
                    grid[(1 + m) * ncols + c] = v;
                    acc[(1 + m) * ncols + c] += v;
                    period += v;
                }
                grid[c] = period;
                acc[c] += period;
            }
            for (slot, rows) in out.iter_mut().enumerate() {
                let row = &grid[slot * ncols..(slot + 1) * ncols];
                let values = match narrow {
                    Some(_) => ColumnValues::sparse(
                        keys.clone(),
                        zero(dp),
                        columns
                            .iter()
                            .map(|&c| (c as u32, from_units(row[c], dp)))
                            .collect(),
                    ),
                    None => to_values(row),
                };
                rows.push((Head::Account(li), values));
            }
            cursor += 1;
        }
        for (slot, rows) in out.iter_mut().enumerate() {
            rows.push((
                Head::Total(s),
                to_values(&acc[slot * ncols..(slot + 1) * ncols]),
            ));
        }
    };

    let [inc, cos, oi, opex, oe, unm] = &mut totals;
    push_section(Section::Income, &mut out, inc);
    push_section(Section::CostOfSales, &mut out, cos);
    let gp: Vec<i128> = (0..slots * ncols).map(|i| inc[i] - cos[i]).collect();
    for (slot, rows) in out.iter_mut().enumerate() {
        rows.push((
            Head::GrossProfit,
            to_values(&gp[slot * ncols..(slot + 1) * ncols]),
        ));
    }
    push_section(Section::OtherIncome, &mut out, oi);
    push_section(Section::OperatingExpenses, &mut out, opex);
    push_section(Section::OtherExpenses, &mut out, oe);
    if has_unmapped {
        push_section(Section::Unmapped, &mut out, unm);
    }
    let np: Vec<i128> = (0..slots * ncols)
        .map(|i| gp[i] + oi[i] - opex[i] - oe[i] + unm[i])
        .collect();
    let mut laid = out.into_iter().enumerate().map(|(slot, mut rows)| {
        let net_profit = to_values(&np[slot * ncols..(slot + 1) * ncols]);
        rows.push((Head::NetProfit, net_profit.clone()));
        Laid { rows, net_profit }
    });
    let period = laid.next().expect("the period slot");
    (period, laid.collect())
}

/// The full report line of a row.
pub(crate) fn report_line(
    idx: &GroupIndex<'_>,
    lines: &Lines<'_>,
    layout: &Layout,
    head: Head,
    values: ColumnValues,
) -> ReportLine {
    let key = head.key(layout).to_string();
    match head {
        Head::Account(li) => {
            let (code, name, entity) = match &lines.ids[li] {
                LineId::Group(g) => (Some(g.code.clone()), g.name.clone(), None),
                LineId::Unrealised => (None, "Unrealised intercompany profit".to_string(), None),
                LineId::Unmapped {
                    entity_pos,
                    code,
                    name,
                    ..
                } => (
                    code.map(str::to_string),
                    (*name).to_string(),
                    Some(idx.entities[*entity_pos].id),
                ),
            };
            ReportLine {
                key,
                kind: LineKind::Account,
                section: lines.ids[li].section(),
                account_code: code,
                account_name: name,
                entity,
                values,
            }
        }
        Head::Total(s) => ReportLine {
            key,
            kind: LineKind::SectionTotal,
            section: s,
            account_code: None,
            account_name: format!("Total {}", s.title()),
            entity: None,
            values,
        },
        Head::GrossProfit | Head::NetProfit => {
            let (s, kind) = match head {
                Head::GrossProfit => (Section::GrossProfit, LineKind::GrossProfit),
                _ => (Section::NetProfit, LineKind::NetProfit),
            };
            ReportLine {
                key,
                kind,
                section: s,
                account_code: None,
                account_name: s.title().to_string(),
                entity: None,
                values,
            }
        }
    }
}

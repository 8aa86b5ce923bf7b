//! The working state of one report computation.

use rust_decimal::Decimal;

use super::index::GroupIndex;
use super::provenance::ProvenanceBuilder;
use super::report::SummaryRow;
use super::warnings::Warning;
use crate::domain::{Month, MonthRange};

pub(crate) struct Workspace<'i, 'a> {
    pub idx: &'i GroupIndex<'a>,
    pub months: Vec<Month>,
    /// Entity columns, then eliminations, then consolidated.
    pub columns: usize,
    pub elimination_column: usize,
    /// `[entity position][month]` average rate into P; `None` when missing.
    pub entity_rates: Vec<Vec<Option<Decimal>>>,
    /// `[entity position][month]` Σ profit effects in base currency.
    pub computed_net_profit: Vec<Vec<Decimal>>,
    /// `[entity position][month]` Gross Profit in base currency, as Xero's
    /// sections count it.
    pub computed_gross_profit: Vec<Vec<Decimal>>,
    pub has_rows: Vec<Vec<bool>>,
    /// `[entity position][month]`: a P&L was synced (any row, summary rows
    /// and Xero's Net Profit included).
    pub synced: Vec<Vec<bool>>,
    pub summary_rows: Vec<SummaryRow>,
    pub warnings: Vec<Warning>,
    pub provenance: ProvenanceBuilder<'a>,
}

impl<'i, 'a> Workspace<'i, 'a> {
    pub fn new(idx: &'i GroupIndex<'a>, period: MonthRange) -> Self {
        let months: Vec<Month> = period.months().collect();
        let n = idx.entities.len();
        let entity_rates = idx
            .entities
            .iter()
            .map(|e| {
                months
                    .iter()
                    .map(|&m| idx.average_rate(e.base_currency, m))
                    .collect()
            })
            .collect();
        let mut synced = vec![vec![false; months.len()]; n];
        let first = months.first().copied();
        for np in &idx.data.net_profits {
            let (Some(first), Some(&pos)) = (first, idx.position.get(&np.entity)) else {
                continue;
            };
            let m = first.months_until(np.month);
            if m >= 0 && (m as usize) < months.len() {
                synced[pos][m as usize] = true;
            }
        }
        Self {
            synced,
            columns: n + 2,
            elimination_column: n,
            entity_rates,
            computed_net_profit: vec![vec![Decimal::ZERO; months.len()]; n],
            computed_gross_profit: vec![vec![Decimal::ZERO; months.len()]; n],
            has_rows: vec![vec![false; months.len()]; n],
            summary_rows: Vec::new(),
            warnings: Vec::new(),
            provenance: ProvenanceBuilder::default(),
            months,
            idx,
        }
    }

    /// Index of `m` in the period, if it is in it.
    pub fn month_index(&self, m: Month) -> Option<usize> {
        let i = self.months.first()?.months_until(m);
        (i >= 0 && (i as usize) < self.months.len()).then_some(i as usize)
    }
}

//! The outputs a snapshot freezes, built from its inputs alone: the
//! consolidated P&L of the month and of the financial year to date, the
//! prior month and the same periods last year as comparisons, the month's
//! intercompany reconciliation, and the KPIs. The engine's reports are kept
//! as the JSON the API serves.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::snapshot::{SnapshotError, SnapshotInputs};
use crate::domain::{Month, MonthRange};
use crate::engine::{self, ColumnKind, GroupData, ProfitAndLossReport};

/// The periods of a month's pack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Periods {
    pub month: Month,
    pub year_to_date: (Month, Month),
    pub prior_month: Month,
    pub last_year_month: Month,
    pub last_year_to_date: (Month, Month),
}

impl Periods {
    pub fn of(month: Month, financial_year_end_month: u32) -> Self {
        let fy_start = month.financial_year_end(financial_year_end_month).plus(-11);
        Self {
            month,
            year_to_date: (fy_start, month),
            prior_month: month.prev(),
            last_year_month: month.plus(-12),
            last_year_to_date: (fy_start.plus(-12), month.plus(-12)),
        }
    }

    /// Every month the reports need, for loading the inputs.
    pub fn loaded(&self) -> MonthRange {
        range(self.last_year_to_date.0, self.month)
    }
}

fn range(from: Month, to: Month) -> MonthRange {
    // `from <= to` holds by construction in [`Periods::of`].
    MonthRange::new(from, to).unwrap_or(MonthRange::single(to))
}

/// The engine's P&L reports, as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PnlOutputs {
    pub month: Value,
    pub year_to_date: Value,
    pub prior_month: Value,
    pub last_year_month: Value,
    pub last_year_to_date: Value,
}

/// Key figures of one column for one period. Decimals as strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KpiFigures {
    #[serde(with = "rust_decimal::serde::str")]
    pub revenue: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub cost_of_sales: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub gross_profit: Decimal,
    /// Gross profit over revenue, in percent to one decimal; null without
    /// revenue.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub gross_margin_percent: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str")]
    pub operating_expenses: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub net_profit: Decimal,
}

/// The KPIs of a column (an entity, or the consolidated group).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KpiColumn {
    pub key: String,
    pub name: String,
    pub consolidated: bool,
    pub month: KpiFigures,
    pub year_to_date: KpiFigures,
}

/// One month of the year-to-date trend, consolidated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrendPoint {
    pub month: Month,
    #[serde(with = "rust_decimal::serde::str")]
    pub revenue: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub net_profit: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kpis {
    /// Consolidated first, then the entities in report order.
    pub columns: Vec<KpiColumn>,
    pub trend: Vec<TrendPoint>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outputs {
    pub periods: Periods,
    pub profit_and_loss: PnlOutputs,
    pub intercompany: Value,
    pub kpis: Kpis,
}

fn json(report: &impl Serialize) -> Result<Value, SnapshotError> {
    serde_json::to_value(report).map_err(SnapshotError::Json)
}

fn pnl(data: &GroupData, from: Month, to: Month) -> Result<ProfitAndLossReport, SnapshotError> {
    Ok(engine::consolidate(data, range(from, to))?.report)
}

fn line_value(report: &ProfitAndLossReport, key: &str, column: &str) -> Decimal {
    if key == "net_profit" {
        return report.net_profit.get(column).unwrap_or_default();
    }
    report
        .line(key)
        .and_then(|l| l.values.get(column))
        .unwrap_or_default()
}

fn figures(report: &ProfitAndLossReport, column: &str) -> KpiFigures {
    let revenue = line_value(report, "total:income", column);
    let cost_of_sales = line_value(report, "total:cost_of_sales", column);
    let gross_profit = revenue - cost_of_sales;
    KpiFigures {
        revenue,
        cost_of_sales,
        gross_profit,
        gross_margin_percent: (!revenue.is_zero())
            .then(|| (gross_profit * Decimal::ONE_HUNDRED / revenue).round_dp(1)),
        operating_expenses: line_value(report, "total:operating_expenses", column),
        net_profit: line_value(report, "net_profit", column),
    }
}

fn kpis(month: &ProfitAndLossReport, ytd: &ProfitAndLossReport) -> Kpis {
    let mut columns: Vec<KpiColumn> = ytd
        .columns
        .iter()
        .filter(|c| c.kind != ColumnKind::Eliminations)
        .map(|c| KpiColumn {
            key: c.key.clone(),
            name: c.name.clone(),
            consolidated: c.kind == ColumnKind::Consolidated,
            month: figures(month, &c.key),
            year_to_date: figures(ytd, &c.key),
        })
        .collect();
    columns.sort_by_key(|c| !c.consolidated);
    let trend = ytd
        .months
        .iter()
        .map(|m| {
            let value = |key: &str| {
                if key == "net_profit" {
                    return m.net_profit.get(engine::CONSOLIDATED).unwrap_or_default();
                }
                m.line(key)
                    .and_then(|l| l.values.get(engine::CONSOLIDATED))
                    .unwrap_or_default()
            };
            TrendPoint {
                month: m.month,
                revenue: value("total:income"),
                net_profit: value("net_profit"),
            }
        })
        .collect();
    Kpis { columns, trend }
}

/// Every output of a month's snapshot, from its inputs alone.
pub fn build_outputs(month: Month, inputs: &SnapshotInputs) -> Result<Outputs, SnapshotError> {
    let data = inputs.to_group_data()?;
    let periods = Periods::of(month, inputs.group.financial_year_end_month);
    let month_report = pnl(&data, month, month)?;
    let ytd = pnl(&data, periods.year_to_date.0, periods.year_to_date.1)?;
    let reconciliation = engine::reconcile_intercompany(&data, MonthRange::single(month))?;
    Ok(Outputs {
        periods,
        kpis: kpis(&month_report, &ytd),
        profit_and_loss: PnlOutputs {
            month: json(&month_report)?,
            year_to_date: json(&ytd)?,
            prior_month: json(&pnl(&data, periods.prior_month, periods.prior_month)?)?,
            last_year_month: json(&pnl(
                &data,
                periods.last_year_month,
                periods.last_year_month,
            )?)?,
            last_year_to_date: json(&pnl(
                &data,
                periods.last_year_to_date.0,
                periods.last_year_to_date.1,
            )?)?,
        },
        intercompany: json(&reconciliation)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Month {
        Month::parse(s).unwrap()
    }

    #[test]
    fn periods_follow_the_financial_year() {
        // A year ending in March: November is the eighth month.
        let p = Periods::of(m("2026-11"), 3);
        assert_eq!(p.year_to_date, (m("2026-04"), m("2026-11")));
        assert_eq!(p.prior_month, m("2026-10"));
        assert_eq!(p.last_year_month, m("2025-11"));
        assert_eq!(p.last_year_to_date, (m("2025-04"), m("2025-11")));
        assert_eq!(p.loaded().from(), m("2025-04"));
        // The first month of a year is its own year to date.
        let p = Periods::of(m("2026-01"), 12);
        assert_eq!(p.year_to_date, (m("2026-01"), m("2026-01")));
        assert_eq!(p.prior_month, m("2025-12"));
    }
}

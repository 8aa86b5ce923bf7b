//! The group dashboard: financial-year-to-date KPIs, consolidated and by
//! entity, 13 months of trends, and what needs someone's attention.

use chrono::Utc;
use rust_decimal::Decimal;
use serde_json::json;

use crate::consolidation;
use crate::domain::{Month, MonthRange};
use crate::engine::{ColumnKind, ProfitAndLossReport, Severity, Warning};
use crate::store::{EntityView, Group, Store, StoreError};
use crate::web::format::accounting;

pub struct KpiRow {
    pub name: String,
    pub revenue: String,
    pub gross_margin: String,
    pub operating_expenses: String,
    pub net_profit: String,
    pub consolidated: bool,
}

pub struct Dashboard {
    pub ytd_from: String,
    pub ytd_to: String,
    pub kpis: Vec<KpiRow>,
    /// JSON for `static/dashboard.js`.
    pub revenue_chart: String,
    pub profit_chart: String,
    pub attention: Vec<String>,
}

fn monthly(report: &ProfitAndLossReport, m: Month, key: &str, column: &str) -> Decimal {
    let Some(month) = report.month(m) else {
        return Decimal::ZERO;
    };
    if key == "net_profit" {
        return month.net_profit.get(column).unwrap_or_default();
    }
    month
        .line(key)
        .and_then(|l| l.values.get(column))
        .unwrap_or_default()
}

fn chart(report: &ProfitAndLossReport, months: &[Month], key: &str) -> String {
    let series: Vec<_> = report
        .columns
        .iter()
        .filter(|c| c.kind != ColumnKind::Eliminations)
        .map(|c| {
            json!({
                "name": c.name,
                "bold": c.kind == ColumnKind::Consolidated,
                "values": months.iter().map(|m| monthly(report, *m, key, &c.key).to_string()).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "months": months.iter().map(|m| m.to_string()).collect::<Vec<_>>(),
        "series": series,
    })
    .to_string()
}

pub async fn build(
    store: &Store,
    group: &Group,
    entities: &[EntityView],
) -> Result<Option<Dashboard>, StoreError> {
    if entities.is_empty() {
        return Ok(None);
    }
    let last = Month::of(Utc::now().date_naive()).prev();
    let Ok(trend) = MonthRange::new(last.plus(-12), last) else {
        return Ok(None);
    };
    let (_, report) = match consolidation::consolidate_group(store, group, trend).await {
        Ok(r) => r,
        Err(consolidation::ConsolidationError::Store(e)) => return Err(e),
        Err(consolidation::ConsolidationError::Engine(e)) => {
            tracing::warn!(error = %e, "dashboard consolidation failed");
            return Ok(None);
        }
    };
    let months: Vec<Month> = trend.months().collect();
    let fye = group.financial_year_end_month.clamp(1, 12) as u32;
    let fy_start = last.financial_year_end(fye).plus(-11);
    let ytd: Vec<Month> = months.iter().copied().filter(|m| *m >= fy_start).collect();
    let places = group.presentation_currency.minor_units();
    let sum = |key: &str, col: &str| -> Decimal {
        ytd.iter().map(|m| monthly(&report, *m, key, col)).sum()
    };
    let mut kpis: Vec<KpiRow> = report
        .columns
        .iter()
        .filter(|c| c.kind != ColumnKind::Eliminations)
        .map(|c| {
            let revenue = sum("total:income", &c.key);
            let cos = sum("total:cost_of_sales", &c.key);
            let margin = if revenue.is_zero() {
                "-".to_string()
            } else {
                format!(
                    "{}%",
                    ((revenue - cos) * Decimal::ONE_HUNDRED / revenue).round_dp(1)
                )
            };
            KpiRow {
                name: c.name.clone(),
                revenue: accounting(revenue, places),
                gross_margin: margin,
                operating_expenses: accounting(sum("total:operating_expenses", &c.key), places),
                net_profit: accounting(sum("net_profit", &c.key), places),
                consolidated: c.kind == ColumnKind::Consolidated,
            }
        })
        .collect();
    // Consolidated first.
    kpis.sort_by_key(|k| !k.consolidated);

    let mut attention = Vec::new();
    let count = |f: &dyn Fn(&Warning) -> bool| report.warnings.iter().filter(|w| f(w)).count();
    let missing = count(&|w| matches!(w, Warning::MissingRate { .. }));
    if missing > 0 {
        attention.push(format!("{missing} missing FX rates in the last 13 months."));
    }
    let unmapped = count(&|w| matches!(w, Warning::UnmappedAccount { .. }));
    if unmapped > 0 {
        attention.push(format!(
            "{unmapped} accounts with amounts are not mapped to the group chart."
        ));
    }
    let ic =
        count(&|w| matches!(w, Warning::Intercompany { .. }) && w.severity() != Severity::Info);
    if ic > 0 {
        attention.push(format!("{ic} intercompany invoice lines need attention."));
    }
    let tie = count(&|w| matches!(w, Warning::NetProfitTieOut { .. }));
    if tie > 0 {
        attention.push(format!(
            "{tie} entity-months do not tie to Xero's Net Profit."
        ));
    }
    for e in entities {
        if e.connection_state == "needs_reconnect" {
            attention.push(format!("{} needs reconnecting to Xero.", e.name));
        } else if e
            .last_synced_at
            .is_none_or(|t| Utc::now() - t > chrono::Duration::hours(26))
        {
            attention.push(format!("{} has not synced in the last day.", e.name));
        }
    }
    Ok(Some(Dashboard {
        ytd_from: ytd.first().map(|m| m.to_string()).unwrap_or_default(),
        ytd_to: last.to_string(),
        kpis,
        revenue_chart: chart(&report, &months, "total:income"),
        profit_chart: chart(&report, &months, "net_profit"),
        attention,
    }))
}

//! The group dashboard: KPIs for a chosen period (the financial year to
//! date unless another is picked), consolidated and by entity, 13 months
//! of trends, and what needs someone's attention, each with a link to the
//! page that fixes it.

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

/// Something to fix, and where.
pub struct Attention {
    pub text: String,
    pub href: Option<String>,
}

pub struct Dashboard {
    /// "Financial year to date", or the chosen period's name.
    pub kpi_title: String,
    pub kpi_from: String,
    pub kpi_to: String,
    /// The picker's named periods, and the one shown (`from:to`).
    pub choices: Vec<super::periods::ChoiceGroup>,
    pub selected: String,
    pub kpis: Vec<KpiRow>,
    /// JSON for `static/dashboard.js`.
    pub revenue_chart: String,
    pub profit_chart: String,
    pub attention: Vec<Attention>,
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

/// The consolidated report of `period`, or `None` (logged) when the engine
/// refuses the group's data.
async fn consolidated(
    store: &Store,
    group: &Group,
    period: MonthRange,
) -> Result<Option<ProfitAndLossReport>, StoreError> {
    match consolidation::consolidate_group(store, group, period).await {
        Ok((_, r)) => Ok(Some(r)),
        Err(consolidation::ConsolidationError::Store(e)) => Err(e),
        Err(consolidation::ConsolidationError::Engine(e)) => {
            tracing::warn!(error = %e, "dashboard consolidation failed");
            Ok(None)
        }
    }
}

/// The dashboard of a group, its KPIs for `chosen` (by default the
/// financial year to date).
pub async fn build(
    store: &Store,
    group: &Group,
    entities: &[EntityView],
    chosen: Option<MonthRange>,
) -> Result<Option<Dashboard>, StoreError> {
    if entities.is_empty() {
        return Ok(None);
    }
    let last = Month::of(Utc::now().date_naive()).prev();
    let Ok(trend) = MonthRange::new(last.plus(-12), last) else {
        return Ok(None);
    };
    let Some(report) = consolidated(store, group, trend).await? else {
        return Ok(None);
    };
    let months: Vec<Month> = trend.months().collect();
    let fye = group.financial_year_end_month.clamp(1, 12) as u32;
    let fy_start = last.financial_year_end(fye).plus(-11);
    let kpi_period = match chosen {
        Some(p) => p,
        None => MonthRange::new(fy_start, last).unwrap_or(trend),
    };
    // Within the trend's months the KPIs are its monthly figures summed;
    // any other period is consolidated on its own.
    let other = if trend.contains(kpi_period.from()) && trend.contains(kpi_period.to()) {
        None
    } else {
        match consolidated(store, group, kpi_period).await? {
            Some(r) => Some(r),
            None => return Ok(None),
        }
    };
    let kpi_report = other.as_ref().unwrap_or(&report);
    let kpi_months: Vec<Month> = kpi_period.months().collect();
    let places = group.presentation_currency.minor_units();
    let sum = |key: &str, col: &str| -> Decimal {
        kpi_months
            .iter()
            .map(|m| monthly(kpi_report, *m, key, col))
            .sum()
    };
    let mut kpis: Vec<KpiRow> = kpi_report
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

    let id = group.id;
    let mut attention = Vec::new();
    let mut attend = |text: String, href: Option<String>| attention.push(Attention { text, href });
    let count = |f: &dyn Fn(&Warning) -> bool| report.warnings.iter().filter(|w| f(w)).count();
    let missing = count(&|w| matches!(w, Warning::MissingRate { .. }));
    if missing > 0 {
        attend(
            format!("{missing} missing FX rates in the last 13 months."),
            Some(format!("/groups/{id}/rates")),
        );
    }
    let unmapped = count(&|w| matches!(w, Warning::UnmappedAccount { .. }));
    if unmapped > 0 {
        attend(
            format!("{unmapped} accounts with amounts are not mapped to the group chart."),
            Some(format!("/groups/{id}/mappings")),
        );
    }
    let ic =
        count(&|w| matches!(w, Warning::Intercompany { .. }) && w.severity() != Severity::Info);
    if ic > 0 {
        attend(
            format!("{ic} intercompany invoice lines need attention."),
            Some(format!(
                "/groups/{id}/reports/intercompany?from={}&to={}",
                trend.from(),
                trend.to()
            )),
        );
    }
    let tie = count(&|w| matches!(w, Warning::NetProfitTieOut { .. }));
    if tie > 0 {
        attend(
            format!("{tie} entity-months do not tie to Xero's Net Profit."),
            Some(format!(
                "/groups/{id}/reports/profit-and-loss?from={}&to={}",
                trend.from(),
                trend.to()
            )),
        );
    }
    for e in entities {
        if e.connection_state == "needs_reconnect" {
            attend(
                format!("{} {}.", e.name, crate::connect::NEEDS_RECONNECTING),
                Some(format!("/connect/xero?group={id}")),
            );
        } else if e
            .last_synced_at
            .is_none_or(|t| Utc::now() - t > chrono::Duration::hours(26))
        {
            attend(
                format!("{} has not synced in the last day.", e.name),
                Some("#entities".to_string()),
            );
        }
    }
    let choices = super::periods::choices(last, fye);
    let selected = format!("{}:{}", kpi_period.from(), kpi_period.to());
    let kpi_title = match chosen {
        None => "Financial year to date".to_string(),
        Some(_) => choices
            .iter()
            .flat_map(|g| &g.choices)
            .find(|c| c.value == selected)
            .map_or_else(|| "Key figures".to_string(), |c| c.label.clone()),
    };
    Ok(Some(Dashboard {
        kpi_title,
        kpi_from: kpi_period.from().to_string(),
        kpi_to: kpi_period.to().to_string(),
        choices,
        selected,
        kpis,
        revenue_chart: chart(&report, &months, "total:income"),
        profit_chart: chart(&report, &months, "net_profit"),
        attention,
    }))
}

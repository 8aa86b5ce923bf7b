//! The group dashboard: KPIs for a chosen period (the financial year to
//! date unless another is picked), consolidated and by entity, 13 months
//! of trends, and what needs someone's attention, each with a link to the
//! page that fixes it; and the balance sheet's net assets, cash and
//! whether it balances at the last month end. Reports come from the report
//! service: the trend's one report gives the KPIs of any period inside it.
//! Past [`SUMMARY_FROM`] entities the table and the charts summarise: the
//! consolidated figures, the largest entities by revenue and the rest as
//! one row, instead of a row and a line per entity.

use std::collections::HashMap;

use chrono::Utc;
use rust_decimal::Decimal;
use serde_json::json;

use crate::domain::{Month, MonthRange};
use crate::engine::balance_sheet::NET_ASSETS;
use crate::engine::{CONSOLIDATED, Column, ColumnKind, ProfitAndLossReport, Severity, Warning};
use crate::reports::ReportError;
use crate::store::{DataVersion, EntityView, Group};
use crate::web::format::accounting;
use crate::web::{AppState, WebError};

/// From this many entities on, the dashboard summarises.
pub const SUMMARY_FROM: usize = 13;

/// How many entities a summary names (by revenue), the rest being one row.
const SUMMARY_NAMED: usize = 5;

/// The balance sheet at the last month end, in a line.
#[derive(Clone)]
pub struct BalanceSummary {
    pub at: String,
    pub net_assets: String,
    pub cash: String,
    /// Every column balances (net assets equal equity).
    pub balances: bool,
}

#[derive(Clone)]
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
    /// None when the balance sheet could not be built (logged).
    pub balance: Option<BalanceSummary>,
    /// "Largest 5 of 100 entities by revenue; the other 95 as one row."
    pub summary_note: Option<String>,
}

/// A report's monthly figures by index: every month's lines are in the
/// report's line order and its values in the report's column order, so a
/// figure is found by position instead of by searching the lines and the
/// columns for each (a hundred entities' columns × 13 months × keys).
struct Monthly<'a> {
    report: &'a ProfitAndLossReport,
    lines: HashMap<&'a str, usize>,
    columns: HashMap<&'a str, usize>,
}

impl<'a> Monthly<'a> {
    fn of(report: &'a ProfitAndLossReport) -> Self {
        Self {
            report,
            lines: report
                .lines
                .iter()
                .enumerate()
                .map(|(i, l)| (l.key.as_str(), i))
                .collect(),
            columns: report
                .columns
                .iter()
                .enumerate()
                .map(|(i, c)| (c.key.as_str(), i))
                .collect(),
        }
    }

    /// The figure of line `key` (or `net_profit`) in `column` for month
    /// `m`; zero when the month, line or column is not in the report.
    fn get(&self, m: Month, key: &str, column: &str) -> Decimal {
        let Some(month) = self.report.month(m) else {
            return Decimal::ZERO;
        };
        let values = if key == "net_profit" {
            Some(&month.net_profit)
        } else {
            // By position when the month's line there is this one; by
            // search otherwise (a month built with fewer lines).
            self.lines
                .get(key)
                .and_then(|i| month.lines.get(*i))
                .filter(|l| l.key == key)
                .or_else(|| month.line(key))
                .map(|l| &l.values)
        };
        let Some(values) = values else {
            return Decimal::ZERO;
        };
        match self.columns.get(column) {
            Some(i) if values.len() == self.report.columns.len() => values.at(*i),
            _ => values.get(column).unwrap_or_default(),
        }
    }
}

/// A series of the table and the charts: one column, or several summed.
struct Series {
    name: String,
    columns: Vec<String>,
    consolidated: bool,
}

/// The consolidated column and every entity's; past [`SUMMARY_FROM`]
/// entities, the consolidated column, the largest entities by `revenue`
/// and the others summed as one.
fn series_of(
    columns: &[Column],
    revenue: impl Fn(&str) -> Decimal,
) -> (Vec<Series>, Option<String>) {
    let one = |c: &Column| Series {
        name: c.name.clone(),
        columns: vec![c.key.clone()],
        consolidated: c.kind == ColumnKind::Consolidated,
    };
    let mut entities: Vec<&Column> = columns
        .iter()
        .filter(|c| c.kind == ColumnKind::Entity)
        .collect();
    let mut out: Vec<Series> = columns
        .iter()
        .filter(|c| c.kind == ColumnKind::Consolidated)
        .map(one)
        .collect();
    if entities.len() < SUMMARY_FROM {
        out.extend(entities.into_iter().map(one));
        return (out, None);
    }
    entities.sort_by_key(|c| std::cmp::Reverse(revenue(&c.key)));
    let rest = entities.split_off(SUMMARY_NAMED);
    out.extend(entities.into_iter().map(one));
    out.push(Series {
        name: format!("Other {} entities", rest.len()),
        columns: rest.iter().map(|c| c.key.clone()).collect(),
        consolidated: false,
    });
    let note = format!(
        "The largest {SUMMARY_NAMED} of {} entities by revenue; the other {} summed as one row.",
        SUMMARY_NAMED + rest.len(),
        rest.len()
    );
    (out, Some(note))
}

fn chart(figures: &Monthly, series: &[Series], months: &[Month], key: &str) -> String {
    let series: Vec<_> = series
        .iter()
        .map(|s| {
            json!({
                "name": s.name,
                "bold": s.consolidated,
                "values": months
                    .iter()
                    .map(|m| {
                        s.columns
                            .iter()
                            .map(|c| figures.get(*m, key, c))
                            .sum::<Decimal>()
                            .to_string()
                    })
                    .collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "months": months.iter().map(|m| m.to_string()).collect::<Vec<_>>(),
        "series": series,
    })
    .to_string()
}

/// What the dashboard's figures are a function of: the group, the trend
/// and KPI periods, the data versions of their reports and the currency's
/// decimal places.
#[derive(Clone, PartialEq, Eq)]
pub struct FiguresKey {
    group: i64,
    trend: MonthRange,
    kpi: MonthRange,
    version: DataVersion,
    /// The KPI period's own report's version, when it is not the trend's.
    kpi_version: Option<DataVersion>,
    places: u32,
}

/// The dashboard's parts built from its reports alone, kept per
/// [`FiguresKey`] (`web::page_cache`).
pub struct Figures {
    kpis: Vec<KpiRow>,
    revenue_chart: String,
    profit_chart: String,
    summary_note: Option<String>,
    /// The trend report's warnings counted: missing rates, unmapped
    /// accounts, intercompany lines needing attention, Net Profit tie-outs.
    missing: usize,
    unmapped: usize,
    ic: usize,
    tie: usize,
}

/// The KPIs of `kpi_period` (from `kpi_report`) and the charts of the
/// trend's `months` (from `report`).
fn figures(
    report: &ProfitAndLossReport,
    months: &[Month],
    kpi_report: &ProfitAndLossReport,
    kpi_period: MonthRange,
    places: u32,
) -> Figures {
    let trend = Monthly::of(report);
    let kpi = Monthly::of(kpi_report);
    let kpi_months: Vec<Month> = kpi_period.months().collect();
    let sum = |key: &str, col: &str| -> Decimal {
        kpi_months.iter().map(|m| kpi.get(*m, key, col)).sum()
    };
    let (series, summary_note) = series_of(&kpi_report.columns, |c| sum("total:income", c));
    let kpis: Vec<KpiRow> = series
        .iter()
        .map(|s| {
            let total = |key: &str| s.columns.iter().map(|c| sum(key, c)).sum::<Decimal>();
            let revenue = total("total:income");
            let cos = total("total:cost_of_sales");
            let margin = if revenue.is_zero() {
                "-".to_string()
            } else {
                format!(
                    "{}%",
                    ((revenue - cos) * Decimal::ONE_HUNDRED / revenue).round_dp(1)
                )
            };
            KpiRow {
                name: s.name.clone(),
                revenue: accounting(revenue, places),
                gross_margin: margin,
                operating_expenses: accounting(total("total:operating_expenses"), places),
                net_profit: accounting(total("net_profit"), places),
                consolidated: s.consolidated,
            }
        })
        .collect();
    // The charts summarise the trend's columns the same way.
    let (trend_series, _) = series_of(&report.columns, |c| {
        months
            .iter()
            .map(|m| trend.get(*m, "total:income", c))
            .sum()
    });
    let count = |f: &dyn Fn(&Warning) -> bool| report.warnings.iter().filter(|w| f(w)).count();
    Figures {
        kpis,
        revenue_chart: chart(&trend, &trend_series, months, "total:income"),
        profit_chart: chart(&trend, &trend_series, months, "net_profit"),
        summary_note,
        missing: count(&|w| matches!(w, Warning::MissingRate { .. })),
        unmapped: count(&|w| matches!(w, Warning::UnmappedAccount { .. })),
        ic: count(&|w| matches!(w, Warning::Intercompany { .. }) && w.severity() != Severity::Info),
        tie: count(&|w| matches!(w, Warning::NetProfitTieOut { .. })),
    }
}

/// The consolidated report of `period` from the report service, or `None`
/// (logged) when the engine refuses the group's data.
async fn consolidated(
    state: &AppState,
    group: &Group,
    period: MonthRange,
) -> Result<Option<std::sync::Arc<crate::reports::PnlRun>>, WebError> {
    match state
        .reports
        .profit_and_loss(&state.store, group, period)
        .await
    {
        Ok(r) => Ok(Some(r)),
        Err(ReportError::Engine(e)) => {
            tracing::warn!(error = %e, "dashboard consolidation failed");
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// The balance sheet at the end of `at` in a line: the report the balance
/// sheet page shows, asked of the report service (built once per data
/// version, within its bound on heavy work).
async fn balance(
    state: &AppState,
    group: &Group,
    at: Month,
) -> Result<(BalanceSummary, DataVersion), WebError> {
    let run = state.reports.balance_sheet(&state.store, group, at).await?;
    let report = &run.report;
    let consolidated = |key: &str| {
        report
            .lines
            .iter()
            .filter(|l| l.key == key)
            .filter_map(|l| l.values.get(CONSOLIDATED))
            .sum::<Decimal>()
    };
    let places = group.presentation_currency.minor_units();
    // Bank accounts sit in Xero's "Bank" section of the balance sheet,
    // whose subtotal the report carries (none: no bank account).
    let cash: Decimal = consolidated(&crate::engine::balance_sheet::section_total_key(
        crate::engine::AccountSection::Bank,
    ));
    let summary = BalanceSummary {
        at: at.to_string(),
        net_assets: accounting(consolidated(NET_ASSETS), places),
        cash: accounting(cash, places),
        balances: report.balance_check.values().all(|v| v.is_zero()),
    };
    Ok((summary, run.version.clone()))
}

/// The dashboard of a group, its KPIs for `chosen` (by default the
/// financial year to date).
pub async fn build(
    state: &AppState,
    group: &Group,
    entities: &[EntityView],
    chosen: Option<MonthRange>,
) -> Result<Option<Dashboard>, WebError> {
    if entities.is_empty() {
        return Ok(None);
    }
    let last = Month::of(Utc::now().date_naive()).prev();
    let Ok(trend) = MonthRange::new(last.plus(-12), last) else {
        return Ok(None);
    };
    let Some(run) = consolidated(state, group, trend).await? else {
        return Ok(None);
    };
    let report = &run.report;
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
        match consolidated(state, group, kpi_period).await? {
            Some(r) => Some(r),
            None => return Ok(None),
        }
    };
    let places = group.presentation_currency.minor_units();
    let key = FiguresKey {
        group: group.id,
        trend,
        kpi: kpi_period,
        version: run.version.clone(),
        kpi_version: other.as_ref().map(|r| r.version.clone()),
        places,
    };
    let built = state.pages.dashboard.get_or_build(&key, || {
        let kpi_report = other.as_ref().map_or(report, |r| &r.report);
        figures(report, &months, kpi_report, kpi_period, places)
    });
    let Figures {
        missing,
        unmapped,
        ic,
        tie,
        ..
    } = *built;

    let id = group.id;
    let mut attention = Vec::new();
    let mut attend = |text: String, href: Option<String>| attention.push(Attention { text, href });
    if missing > 0 {
        attend(
            format!("{missing} missing FX rates in the last 13 months."),
            Some(format!("/groups/{id}/rates")),
        );
    }
    if unmapped > 0 {
        attend(
            format!("{unmapped} accounts with amounts are not mapped to the group chart."),
            Some(format!("/groups/{id}/mappings")),
        );
    }
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
    // A month-end pack the scheduler holds (not ready at its time): said
    // here too, for the people who never open the month-end page.
    for m in crate::month_end::overview(&state.store, group, Utc::now())
        .await?
        .into_iter()
        .filter(|m| m.status == "held")
    {
        attend(
            format!(
                "The {} month-end pack is held, because: {}",
                m.month,
                m.held_because.join(" ")
            ),
            Some(format!("/groups/{id}/month-end")),
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
    // The balance sheet reads the same data version as the P&L: one built
    // at the version the trend was just read at is exactly a fresh one.
    let balance_key = (group.id, last, run.version.clone());
    let balance = match state.pages.balance.get(&balance_key) {
        Some(b) => Ok((*b).clone()),
        None => balance(state, group, last).await.map(|(b, version)| {
            // Built at a later version (a change since the P&L was read):
            // shown, not kept under the older key.
            if version == run.version {
                state.pages.balance.insert(balance_key, b.clone());
            }
            b
        }),
    };
    let balance = match balance {
        Ok(b) => Some(b),
        Err(WebError::Internal(e)) => {
            tracing::warn!(error = %format!("{e:#}"), "dashboard balance sheet failed");
            None
        }
        Err(e) => return Err(e),
    };
    Ok(Some(Dashboard {
        kpi_title,
        kpi_from: kpi_period.from().to_string(),
        kpi_to: kpi_period.to().to_string(),
        choices,
        selected,
        kpis: built.kpis.clone(),
        revenue_chart: built.revenue_chart.clone(),
        profit_chart: built.profit_chart.clone(),
        attention,
        balance,
        summary_note: built.summary_note.clone(),
    }))
}

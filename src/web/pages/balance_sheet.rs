//! The consolidated balance sheet page at a month end: a column per entity,
//! eliminations and consolidated, the translation reserve's roll-forward,
//! the tie-out to Xero, the rates and every warning.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Utc;
use rust_decimal::Decimal;
use serde::Deserialize;

use super::groups::require_role;
use super::{Nav, render};
use crate::consolidation::bs_compare::{CompareWith, Comparison};
use crate::domain::Month;
use crate::engine::balance_sheet::BalanceSheetReport;
use crate::store::{Group, GroupRole};
use crate::web::format::accounting;
use crate::web::{AppState, CurrentUser, WebError};

#[derive(Deserialize)]
pub struct AtQuery {
    at: Option<String>,
    compare: Option<String>,
}

struct Cell {
    text: String,
    negative: bool,
}

struct Row {
    /// `section`, `line` or `total`.
    class: &'static str,
    code: String,
    label: String,
    cells: Vec<Cell>,
}

struct RollRow {
    entity: String,
    from: String,
    cells: Vec<String>,
}

#[derive(Template)]
#[template(path = "balance_sheet.html")]
struct BalanceSheetPage {
    nav: Nav,
    group: Group,
    at: String,
    currency: String,
    error: Option<String>,
    headings: Vec<String>,
    rows: Vec<Row>,
    balances: bool,
    roll_forward: Vec<RollRow>,
    tie_out: Vec<(String, String, String, &'static str)>,
    rates: Vec<(String, String)>,
    warnings: Vec<String>,
    attributable: Option<(String, String)>,
    /// `prior_month`, `prior_year` or empty.
    compare: String,
}

fn cell(v: Decimal, places: u32) -> Cell {
    Cell {
        text: accounting(v, places),
        negative: v < Decimal::ZERO,
    }
}

/// Lines grouped under their sections, in the report's order, totals last;
/// the comparison's consolidated value last in each line (blank when the
/// earlier month had no such line).
fn rows_of(report: &BalanceSheetReport, comparison: Option<&Comparison>, places: u32) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut section = String::new();
    for l in &report.lines {
        if l.section != section {
            section = l.section.clone();
            rows.push(Row {
                class: "section",
                code: String::new(),
                label: section.clone(),
                cells: vec![],
            });
        }
        let mut cells: Vec<Cell> = report
            .columns
            .iter()
            .map(|c| cell(l.values.get(&c.key).copied().unwrap_or_default(), places))
            .collect();
        if let Some(cmp) = comparison {
            cells.push(match cmp.consolidated.get(&l.key) {
                Some(v) => cell(*v, places),
                None => Cell {
                    text: String::new(),
                    negative: false,
                },
            });
        }
        rows.push(Row {
            class: if l.section == "Totals" {
                "total"
            } else {
                "line"
            },
            code: l.account_code.clone().unwrap_or_default(),
            label: l.account_name.clone(),
            cells,
        });
    }
    rows
}

/// `GET /groups/{id}/reports/balance-sheet?at=YYYY-MM` (the last complete
/// month by default).
pub async fn page(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<AtQuery>,
) -> Result<HttpResponse, WebError> {
    let id: i64 = path.parse().map_err(|_| WebError::NotFound)?;
    let (group, _) = require_role(&state, &user, id, GroupRole::Viewer).await?;
    let places = group.presentation_currency.minor_units();
    let mut page = BalanceSheetPage {
        nav: Nav::of(&user),
        currency: group.presentation_currency.to_string(),
        at: String::new(),
        group,
        error: None,
        headings: vec![],
        rows: vec![],
        balances: true,
        roll_forward: vec![],
        tie_out: vec![],
        rates: vec![],
        warnings: vec![],
        attributable: None,
        compare: String::new(),
    };
    let at = match query.at.as_deref() {
        None | Some("") => Month::of(Utc::now().date_naive()).prev(),
        Some(s) => match Month::parse(s) {
            Ok(m) => m,
            Err(e) => {
                page.at = s.chars().take(7).collect();
                page.error = Some(format!("{e}: choose a month, YYYY-MM."));
                return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
            }
        },
    };
    page.at = at.to_string();
    let compare = match query.compare.as_deref() {
        None | Some("") | Some("none") => None,
        Some(s) => match CompareWith::parse(s) {
            Some(c) => Some(c),
            None => {
                page.error = Some(format!(
                    "Unknown comparison '{}': choose the prior month end or the prior year end.",
                    s.chars().take(20).collect::<String>()
                ));
                return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
            }
        },
    };
    page.compare = compare.map(|c| c.as_str().to_string()).unwrap_or_default();
    let run = state
        .reports
        .balance_sheet(&state.store, &page.group, at)
        .await?;
    let report = &run.report;
    let comparison = match compare {
        Some(with) => Some(
            state
                .reports
                .balance_sheet_comparison(&state.store, &page.group, at, with)
                .await?
                .0,
        ),
        None => None,
    };
    let name_of = |e: crate::engine::EntityId| {
        report
            .columns
            .iter()
            .find(|c| c.entity == Some(e))
            .map(|c| c.name.clone())
            .unwrap_or_default()
    };
    page.headings = report.columns.iter().map(|c| c.name.clone()).collect();
    if let Some(c) = &comparison {
        page.headings.push(format!("Consolidated {}", c.at));
        if !c.balances {
            page.warnings.push(format!(
                "The comparison month {} does not balance; open it on its own to see why.",
                c.at
            ));
        }
    }
    page.rows = rows_of(report, comparison.as_ref(), places);
    page.balances = report.balance_check.values().all(|v| v.is_zero());
    page.roll_forward = report
        .translation_reserve
        .iter()
        .map(|r| RollRow {
            entity: name_of(r.entity),
            from: r.from.to_string(),
            cells: [
                r.opening,
                r.on_opening_net_assets,
                r.on_profit,
                r.on_contributions,
                r.rounding,
                r.closing,
            ]
            .iter()
            .map(|v| accounting(*v, places))
            .collect(),
        })
        .collect();
    page.tie_out = report
        .tie_out
        .iter()
        .map(|t| {
            (
                name_of(t.entity),
                accounting(t.total_assets, 2),
                t.xero_total_assets
                    .map(|v| accounting(v, 2))
                    .unwrap_or_else(|| "not sent".into()),
                t.status,
            )
        })
        .collect();
    page.rates = report
        .rates
        .iter()
        .map(|r| (r.currency.to_string(), r.closing.to_string()))
        .collect();
    page.attributable = (!report.profit_attributable_to_nci.is_zero()).then(|| {
        (
            accounting(report.profit_attributable_to_owners, places),
            accounting(report.profit_attributable_to_nci, places),
        )
    });
    page.warnings.extend(report.warnings.iter().cloned());
    render(StatusCode::OK, &page)
}

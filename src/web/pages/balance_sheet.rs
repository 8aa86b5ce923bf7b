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
use crate::web::format::{accounting, accounting_exact};
use crate::web::{AppState, CurrentUser, WebError};

#[derive(Deserialize)]
pub struct AtQuery {
    at: Option<String>,
    compare: Option<String>,
}

struct Cell {
    text: String,
    negative: bool,
    /// The cell's provenance page (`link_cells`).
    href: Option<String>,
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
        href: None,
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
                    href: None,
                },
            });
        }
        rows.push(Row {
            class: if l.section == "Totals" || l.key.starts_with("total:") {
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
    link_cells(&mut page.rows, report, page.group.id, at);
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

// ---- Cell drill-down: what made one number of the page ----

/// The provenance page of a balance-sheet cell (it works without
/// JavaScript: every amount cell is a link to it).
fn bs_cell_href(group_id: i64, at: Month, line: &str, column: &str) -> String {
    format!(
        "/groups/{group_id}/reports/balance-sheet/cell?at={at}&line={}&column={}",
        super::reports::encode(line),
        super::reports::encode(column)
    )
}

/// Links every amount cell of `rows` (the rows `rows_of` made from
/// `report`, in its order) to its provenance page; the comparison column,
/// which is another month's report, stays plain.
fn link_cells(rows: &mut [Row], report: &BalanceSheetReport, group_id: i64, at: Month) {
    let mut lines = report.lines.iter();
    for row in rows.iter_mut().filter(|r| r.class != "section") {
        let Some(line) = lines.next() else {
            return;
        };
        for (cell, column) in row.cells.iter_mut().zip(&report.columns) {
            cell.href = Some(bs_cell_href(group_id, at, &line.key, &column.key));
        }
    }
}

#[derive(Deserialize)]
pub struct CellQuery {
    at: String,
    line: String,
    column: String,
}

/// One source row of the cell: a Xero balance-sheet row and its rate, a
/// part of the translation reserve, or a column a consolidated cell adds.
struct SourceView {
    label: String,
    account: String,
    base: String,
    rate: String,
    rate_kind: &'static str,
    value: String,
    href: Option<String>,
}

/// A line a total adds up, linking to its own cell.
struct PartView {
    name: String,
    sign: &'static str,
    value: String,
    href: String,
}

/// An intercompany balance an elimination took off the line.
struct IcView {
    entity: String,
    counterpart: String,
    account: String,
    currency: String,
    amount: String,
    rate: String,
    translated: String,
    on_line: String,
    items: Vec<IcItemView>,
}

struct IcItemView {
    source: String,
    id: String,
    date: String,
    amount: String,
}

#[derive(Template)]
#[template(path = "bs_cell.html")]
struct BsCellPage {
    nav: Nav,
    group: Group,
    back: String,
    at: String,
    line_name: String,
    column_name: String,
    currency: String,
    total: String,
    parts: Vec<PartView>,
    sources: Vec<SourceView>,
    intercompany: Vec<IcView>,
    /// What the eliminations column holds besides intercompany balances.
    rest: Option<String>,
    /// The sources do not add up to the cell (said, never hidden).
    incomplete: bool,
}

/// `GET /groups/{id}/reports/balance-sheet/cell?at=YYYY-MM&line=&column=`:
/// what made one cell of the balance sheet page: Xero's rows with the rate
/// each was translated at and its kind (closing, historical, average), the
/// translation reserve's parts, the intercompany items behind an
/// elimination, or the lines a total adds up. 404 when there is no such
/// cell.
pub async fn cell_page(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<CellQuery>,
) -> Result<HttpResponse, WebError> {
    let id: i64 = path.parse().map_err(|_| WebError::NotFound)?;
    let (group, _) = require_role(&state, &user, id, GroupRole::Viewer).await?;
    let at = Month::parse(&query.at).map_err(|_| WebError::NotFound)?;
    // The same input and intercompany balances the page's report is made
    // of, so the cell shows the page's figure.
    let nav = Nav::of(&user);
    let query = query.into_inner();
    let page = state
        .reports
        .with_balance_sheet(&state.store, &group.clone(), at, move |run| {
            bs_cell_view(&run.input, &run.report, nav, group, &query)
        })
        .await??;
    render(StatusCode::OK, &page)
}

/// The label of a line as the page shows it.
fn line_label(l: &crate::engine::balance_sheet::BsLine) -> String {
    match &l.account_code {
        Some(c) if !c.is_empty() => format!("{c} {}", l.account_name),
        _ => l.account_name.clone(),
    }
}

/// The cell page's content, from the report and the input it was made of.
fn bs_cell_view(
    input: &crate::engine::balance_sheet::BalanceSheetInput,
    report: &BalanceSheetReport,
    nav: Nav,
    group: Group,
    q: &CellQuery,
) -> Result<BsCellPage, WebError> {
    use crate::engine::bs_cell_parts::{ic_on_line, total_parts};
    let line = report
        .lines
        .iter()
        .find(|l| l.key == q.line)
        .ok_or(WebError::NotFound)?;
    let column = report
        .columns
        .iter()
        .find(|c| c.key == q.column)
        .ok_or(WebError::NotFound)?;
    let value = line.values.get(&column.key).copied().unwrap_or_default();
    let places = group.presentation_currency.minor_units();
    let at = report.at;
    let gid = group.id;
    let name_of = |e: crate::engine::EntityId| {
        report
            .columns
            .iter()
            .find(|c| c.entity == Some(e))
            .map(|c| c.name.clone())
            .unwrap_or_else(|| format!("entity {}", e.0))
    };
    let mut page = BsCellPage {
        nav,
        back: format!("/groups/{gid}/reports/balance-sheet?at={at}"),
        at: at.to_string(),
        line_name: line_label(line),
        column_name: column.name.clone(),
        currency: group.presentation_currency.to_string(),
        total: accounting(value, places),
        parts: vec![],
        sources: vec![],
        intercompany: vec![],
        rest: None,
        incomplete: false,
        group,
    };
    // A total opens the lines it adds up.
    if let Some(parts) = total_parts(input, report, &line.key) {
        page.parts = parts
            .iter()
            .filter_map(|(key, sign)| {
                let l = report.lines.iter().find(|l| &l.key == key)?;
                Some(PartView {
                    name: line_label(l),
                    sign: if sign.is_sign_negative() {
                        "less"
                    } else {
                        "plus"
                    },
                    value: accounting(
                        l.values.get(&column.key).copied().unwrap_or_default(),
                        places,
                    ),
                    href: bs_cell_href(gid, at, key, &column.key),
                })
            })
            .collect();
        return Ok(page);
    }
    if column.key == "eliminations" {
        let ic = ic_on_line(input, report, &line.key);
        let mut rest = value;
        for i in &ic {
            rest -= i.on_line;
            let counterpart = if i.balance.entity == i.pair.entity {
                i.pair.counterpart
            } else {
                i.pair.entity
            };
            page.intercompany.push(IcView {
                entity: name_of(i.balance.entity),
                counterpart: name_of(counterpart),
                account: i.balance.account_id.clone(),
                currency: i.balance.currency.to_string(),
                amount: accounting_exact(i.balance.amount, i.balance.currency.minor_units()),
                rate: i.balance.closing_rate.to_string(),
                translated: accounting(i.balance.translated, places),
                on_line: accounting(i.on_line, places),
                items: i
                    .items
                    .iter()
                    .map(|it| IcItemView {
                        source: format!("{} {}", it.source.replace('_', " "), it.source_type),
                        id: match &it.number {
                            Some(n) => format!("{n} ({})", it.id),
                            None => it.id.clone(),
                        },
                        date: it.date.map(|d| d.to_string()).unwrap_or_default(),
                        amount: accounting_exact(it.amount, it.currency.minor_units()),
                    })
                    .collect(),
            });
        }
        if !rest.is_zero() {
            page.rest = Some(accounting(rest, places));
        }
        return Ok(page);
    }
    let cell = crate::engine::bs_cell::balance_sheet_cell(input, report, &line.key, &column.key)
        .ok_or(WebError::NotFound)?;
    page.incomplete = !cell.complete;
    page.sources = cell
        .sources
        .iter()
        .map(|s| SourceView {
            label: s.label.clone(),
            account: s.account_id.clone().unwrap_or_default(),
            base: s
                .base_amount
                .map(|v| accounting_exact(v, 2))
                .unwrap_or_default(),
            rate: s.rate.map(|r| r.to_string()).unwrap_or_default(),
            rate_kind: s.rate_kind,
            value: accounting(s.cell_amount, places),
            // A consolidated cell's sources are the columns it adds: each
            // opens its own cell.
            href: (column.key == "consolidated")
                .then(|| bs_cell_href(gid, at, &line.key, &s.column)),
        })
        .collect();
    Ok(page)
}

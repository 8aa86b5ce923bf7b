//! The consolidated P&L page: a period picker, a column per entity, the
//! eliminations and the consolidated column, the rates used and every
//! warning. Rendered on the server, so the table needs no JavaScript.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use super::groups::require_role;
use super::periods::{self, ChoiceGroup, Preset};
use super::{Nav, render};
use crate::domain::{Month, MonthRange};
use crate::engine::{ColumnKind, LineKind, ProfitAndLossReport, Warning};
use crate::store::{DataVersion, Group, GroupRole};
use crate::web::format::{accounting, accounting_exact};
use crate::web::{AppState, CurrentUser, WebError};

#[derive(Deserialize)]
pub struct PeriodQuery {
    pub from: Option<String>,
    pub to: Option<String>,
}

/// A period from `from`/`to` (YYYY-MM); by default the last twelve
/// complete months.
pub fn period_of(q: &PeriodQuery) -> Result<MonthRange, String> {
    let last = Month::of(Utc::now().date_naive()).prev();
    let to = match q.to.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Month::parse(s).map_err(|e| e.to_string())?,
        None => last,
    };
    let from = match q.from.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Month::parse(s).map_err(|e| e.to_string())?,
        None => to.plus(-11),
    };
    periods::within_limit(MonthRange::new(from, to).map_err(|e| e.to_string())?)
}

struct Cell {
    text: String,
    negative: bool,
    /// The column's kind, for shading: `entity`, `elim`, `cons` or `cmp`.
    class: &'static str,
    /// The provenance page of the cell.
    href: Option<String>,
}

struct Row {
    label: String,
    code: String,
    class: &'static str,
    /// The section a heading, account or section total belongs to (1, 2
    /// ...; 0 for profit lines), so that report.js can fold a section to
    /// its total.
    section: usize,
    cells: Vec<Cell>,
}

#[derive(Template)]
#[template(path = "profit_and_loss.html")]
struct ReportPage {
    nav: Nav,
    group: Group,
    from: String,
    to: String,
    currency: String,
    /// The table, rates and warnings built from the report (kept per data
    /// version in `web::page_cache`).
    table: Arc<Table>,
    /// The table's warnings and, first, the stale connections'.
    warnings: Vec<WarningView>,
    error: Option<String>,
    presets: Vec<Preset>,
    /// The picker's named periods, and the one shown (`from:to`).
    choices: Vec<ChoiceGroup>,
    selected: String,
    /// The view settings (`&compare=...&entities=...&view=...`), kept by
    /// the quick picks and the provenance links.
    keep: String,
    compare: String,
    totals_only: bool,
    /// The entity columns' choice as the link keeps it (`all`, `hide`,
    /// `owner:<id>`, ids), and the choices offered.
    entities: String,
    entity_choices: Vec<(String, String, bool)>,
    /// "Entity columns are hidden past 12 entities: ..." on a large group.
    columns_note: Option<String>,
    /// Warnings left off the list (a large unmapped group has thousands).
    more_warnings: usize,
}

/// From this many entities on, the P&L opens with the eliminations and
/// consolidated columns only: a hundred entity columns make a page of
/// megabytes no one reads at once.
pub const ENTITY_COLUMNS_UP_TO: usize = 12;

/// The most warnings a page lists; the rest are counted.
const WARNINGS_LISTED: usize = 100;

/// Which entity columns a P&L shows.
#[derive(Debug, Clone, PartialEq, Eq)]
enum EntityChoice {
    All,
    None,
    /// An owner: it and every entity it owns, directly or through others.
    Owner(i64),
    Some(std::collections::BTreeSet<i64>),
}

impl EntityChoice {
    /// `entities` values (each `all`, `show`, `hide`, `owner:<id>` or a
    /// comma list of entity ids); none given: every column up to
    /// [`ENTITY_COLUMNS_UP_TO`] entities, none past it.
    fn parse(values: &[String], entities: usize) -> Result<Self, String> {
        let values: Vec<&str> = values
            .iter()
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect();
        if values.is_empty() {
            return Ok(if entities > ENTITY_COLUMNS_UP_TO {
                Self::None
            } else {
                Self::All
            });
        }
        let mut ids = std::collections::BTreeSet::new();
        for v in values {
            match v {
                "all" | "show" => return Ok(Self::All),
                "hide" => return Ok(Self::None),
                _ => {
                    if let Some(owner) = v.strip_prefix("owner:") {
                        return owner
                            .parse()
                            .map(Self::Owner)
                            .map_err(|_| format!("'{v}' is not an owner's entity id"));
                    }
                    ids.insert(
                        v.parse::<i64>()
                            .map_err(|_| format!("'{v}' is not an entity id"))?,
                    );
                }
            }
        }
        Ok(Self::Some(ids))
    }

    /// The value links keep (empty for the default).
    fn keep(&self) -> String {
        match self {
            Self::All => "all".into(),
            Self::None => "hide".into(),
            Self::Owner(id) => format!("owner:{id}"),
            Self::Some(ids) => ids
                .iter()
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(","),
        }
    }

    /// The entity ids shown, given each entity's owner.
    fn shows(&self, entity: i64, owners: &std::collections::HashMap<i64, i64>) -> bool {
        match self {
            Self::All => true,
            Self::None => false,
            Self::Some(ids) => ids.contains(&entity),
            Self::Owner(owner) => {
                // Up the chain of owners; the depth bound stops a cycle.
                let mut at = entity;
                for _ in 0..=owners.len() {
                    if at == *owner {
                        return true;
                    }
                    match owners.get(&at) {
                        Some(up) => at = *up,
                        None => return false,
                    }
                }
                false
            }
        }
    }
}

/// Every `entities` value of a query string (a list box sends one per
/// choice, which `web::Query` would not keep).
fn entities_values(query: &str) -> Vec<String> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .filter(|(k, _)| *k == "entities")
        .map(|(_, v)| decode(v))
        .collect()
}

/// Decodes a query value (`+` and `%XX`); bytes that do not decode stay.
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The page's query: the period, and what to compare it with.
#[derive(Deserialize)]
pub struct PageQuery {
    from: Option<String>,
    to: Option<String>,
    /// A named period of the picker (`YYYY-MM:YYYY-MM`); wins over
    /// `from` and `to`.
    period: Option<String>,
    /// `prior` (the same number of months just before) or `last_year`.
    compare: Option<String>,
    // `entities` (which entity columns) is read from the raw query by
    // [`entities_values`]: a list box repeats it, which a field here
    // would refuse as a duplicate.
    /// `totals` collapses every section to its total.
    view: Option<String>,
}

/// The comparison period and its column title.
fn comparison(period: MonthRange, compare: &str) -> Option<(MonthRange, String)> {
    let len = period.len() as i32;
    let (from, to, title) = match compare {
        "prior" => (
            period.from().plus(-len),
            period.from().prev(),
            "Prior period",
        ),
        "last_year" => (period.from().plus(-12), period.to().plus(-12), "Last year"),
        _ => return None,
    };
    let range = MonthRange::new(from, to).ok()?;
    Some((range, format!("{title} ({from} to {to})")))
}

/// The shading class of a column.
fn column_class(kind: ColumnKind) -> &'static str {
    match kind {
        ColumnKind::Entity => "entity",
        ColumnKind::Eliminations => "elim",
        ColumnKind::Consolidated => "cons",
    }
}

/// The provenance page of a cell.
fn cell_href(group_id: i64, period: MonthRange, line: &str, column: &str) -> String {
    format!(
        "/groups/{group_id}/reports/cell?from={}&to={}&line={}&column={}",
        period.from(),
        period.to(),
        encode(line),
        encode(column)
    )
}

/// Adds the comparison's consolidated value (opening its own provenance),
/// the variance and the variance in percent to every line (matched by line
/// key).
fn add_comparison(
    rows: &mut [Row],
    keys: &[Option<String>],
    current: &ProfitAndLossReport,
    other: &ProfitAndLossReport,
    places: u32,
    group_id: i64,
) {
    let other_period = MonthRange::new(other.period.from, other.period.to).ok();
    for (row, key) in rows.iter_mut().zip(keys) {
        let Some(key) = key else { continue };
        let now = current
            .line(key)
            .and_then(|l| l.values.get("consolidated"))
            .unwrap_or_default();
        let then = other
            .line(key)
            .and_then(|l| l.values.get("consolidated"))
            .unwrap_or_default();
        let variance = now - then;
        let pct = if then.is_zero() {
            "-".to_string()
        } else {
            format!(
                "{}%",
                (variance * rust_decimal::Decimal::ONE_HUNDRED / then.abs()).round_dp(1)
            )
        };
        let then_href = other_period
            .filter(|_| other.line(key).is_some())
            .map(|p| cell_href(group_id, p, key, crate::engine::CONSOLIDATED));
        for (v, text, href) in [
            (then, accounting(then, places), then_href),
            (variance, accounting(variance, places), None),
            (variance, pct, None),
        ] {
            row.cells.push(Cell {
                text,
                negative: v.is_sign_negative() && !v.is_zero(),
                class: "cmp",
                href,
            });
        }
    }
}

/// The report's rows with a cell for each column `shown` (by the report's
/// column index), and beside each the key of its report line (none for
/// section headings).
fn rows_of(
    report: &ProfitAndLossReport,
    shown: &[bool],
    places: u32,
    group_id: i64,
) -> (Vec<Row>, Vec<Option<String>>) {
    // Only the columns shown get cells: past twelve entities most are
    // hidden, and a cell of each of a hundred columns per line is most of
    // the page's work.
    let columns: Vec<(usize, &crate::engine::Column)> = report
        .columns
        .iter()
        .enumerate()
        .filter(|(i, _)| shown.get(*i).copied().unwrap_or(true))
        .collect();
    let mut keys = Vec::new();
    let period = MonthRange::new(report.period.from, report.period.to).ok();
    let mut out = Vec::new();
    let mut section = String::new();
    let mut number = 0;
    for line in &report.lines {
        let name = serde_json::to_value(line.section)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        if line.kind == LineKind::Account && name != section {
            number += 1;
            keys.push(None);
            out.push(Row {
                label: name.clone(),
                code: String::new(),
                class: "section",
                section: number,
                cells: Vec::new(),
            });
            section = name;
        }
        keys.push(Some(line.key.clone()));
        let class = match line.kind {
            LineKind::Account => "account",
            LineKind::SectionTotal => "total",
            LineKind::GrossProfit | LineKind::NetProfit => "profit",
        };
        out.push(Row {
            label: line.account_name.clone(),
            code: line.account_code.clone().unwrap_or_default(),
            class,
            section: match line.kind {
                LineKind::GrossProfit | LineKind::NetProfit => 0,
                _ => number,
            },
            cells: columns
                .iter()
                .map(|(i, c)| {
                    // A line's values are in the report's column order
                    // (`ColumnValues`): by position, not a search per cell.
                    let v = if line.values.len() == report.columns.len() {
                        line.values.at(*i)
                    } else {
                        line.values.get(&c.key).unwrap_or_default()
                    };
                    Cell {
                        text: accounting(v, places),
                        negative: v.is_sign_negative() && !v.is_zero(),
                        class: column_class(c.kind),
                        href: period.map(|p| cell_href(group_id, p, &line.key, &c.key)),
                    }
                })
                .collect(),
        });
    }
    (out, keys)
}

/// A warning on the page: what is wrong and what to do, and a link to
/// where it is fixed.
#[derive(Clone)]
struct WarningView {
    text: String,
    href: Option<String>,
}

/// A warning in words, naming what to fix, with a link to where.
fn warning_text(
    w: &Warning,
    names: &std::collections::HashMap<i64, String>,
    group_id: i64,
    period: MonthRange,
) -> WarningView {
    let name = |e: &crate::engine::EntityId| names.get(&e.0).cloned().unwrap_or_default();
    let group_page = Some(format!("/groups/{group_id}"));
    let reconciliation = Some(format!(
        "/groups/{group_id}/reports/intercompany?from={}&to={}",
        period.from(),
        period.to()
    ));
    let (text, href) = match w {
        Warning::MissingRate {
            entity_name,
            currency,
            month,
            ..
        } => (
            format!(
                "No {currency} rate for {month}: {entity_name}'s amounts for that month are left out. Add the rate."
            ),
            Some(format!("/groups/{group_id}/rates")),
        ),
        Warning::UnmappedAccount {
            entity,
            account_code,
            account_name,
            amount,
            ..
        } => (
            format!(
                "{}: account {} {account_name} is not mapped to the group chart ({amount}); it shows under Unmapped. Map it.",
                name(entity),
                account_code.as_deref().unwrap_or("")
            ),
            Some(format!(
                "/groups/{group_id}/mappings?status=unmapped&entity={}",
                entity.0
            )),
        ),
        Warning::NetProfitTieOut {
            entity,
            month,
            currency,
            difference,
            ..
        } => (
            format!(
                "{} {month}: the accounts add up to {difference} {currency} more than Xero's Net Profit. Sync the organisation again; if it stays, check the month in Xero.",
                name(entity)
            ),
            group_page,
        ),
        Warning::GrossProfitTieOut {
            entity,
            month,
            currency,
            difference,
            ..
        } => (
            format!(
                "{} {month}: Income less Cost of Sales adds up to {difference} {currency} more than Xero's Gross Profit. Sync the organisation again; if it stays, check the month in Xero.",
                name(entity)
            ),
            group_page,
        ),
        Warning::NotTiedOut { entity, month, .. } => (
            format!(
                "{} {month}: not tied out, Xero sent no Net Profit for the month. Sync the organisation again.",
                name(entity)
            ),
            group_page,
        ),
        Warning::MissingPnl {
            entity_name, month, ..
        } => (
            format!(
                "{entity_name} {month}: no P&L has been synced, so its amounts are missing and its intercompany eliminations wait. Sync the organisation."
            ),
            group_page,
        ),
        Warning::UnknownSourceAccount {
            entity,
            account_id,
            section,
            ..
        } => (
            format!(
                "{}: Xero reported account {account_id}{}, which is not in the synced chart; it counts as its section does in Xero's Net Profit and shows under Unmapped. Sync the organisation again to fetch its chart.",
                name(entity),
                match section {
                    Some(crate::engine::ReportSection::Income) => " under Income",
                    Some(crate::engine::ReportSection::CostOfSales) => " under Cost of Sales",
                    Some(crate::engine::ReportSection::OtherIncome) => " under Other Income",
                    Some(crate::engine::ReportSection::Expenses) => " under expenses",
                    None => "",
                }
            ),
            group_page,
        ),
        Warning::UnreadableRecord {
            entity,
            record_id,
            number,
            month,
            field,
            value,
            ..
        } => (
            format!(
                "{} intercompany record {} ({record_id}, {month}) has {field} '{value}', which Consol cannot read, so it is not eliminated. Correct it in Xero, then sync again.",
                name(entity),
                number.as_deref().unwrap_or("without a number")
            ),
            group_page,
        ),
        Warning::UnrealisedIntercompanyProfit {
            entity,
            invoice_number,
            invoice_id,
            buyer,
            month,
            amount,
            ..
        } => (
            format!(
                "{} sold to {} on invoice {} ({invoice_id}, {month}) and {} put it on a balance-sheet account: the sale is eliminated and {amount} is held on the Unrealised intercompany profit line (there is no release yet). Check the pair in the reconciliation.",
                name(entity),
                name(buyer),
                invoice_number.as_deref().unwrap_or("without a number"),
                name(buyer)
            ),
            reconciliation.clone(),
        ),
        Warning::Intercompany {
            issue,
            entity,
            invoice_id,
            invoice_number,
            month,
            ..
        } => {
            use crate::engine::IntercompanyIssue as I;
            let what = match issue {
                I::BalanceSheetLine => {
                    "has a line on a balance-sheet account (listed, not eliminated)"
                }
                I::UnknownAccount => {
                    "has a line on an account that is not in the chart, so it is not eliminated; correct the line in Xero or sync again"
                }
                I::MissingCurrencyRate => {
                    "is in a foreign currency without a usable currency rate, so its lines are not eliminated; set the rate on it in Xero, then sync again"
                }
                I::UnknownCounterpart => {
                    "is to a contact whose entity is not in the group, so it is not eliminated; check the intercompany contacts"
                }
            };
            let href = match issue {
                I::UnknownCounterpart => Some(format!("/groups/{group_id}/intercompany")),
                _ => reconciliation,
            };
            (
                format!(
                    "{} intercompany invoice {} ({invoice_id}, {month}) {what}.",
                    name(entity),
                    invoice_number.as_deref().unwrap_or("without a number")
                ),
                href,
            )
        }
    };
    WarningView { text, href }
}

/// What the P&L page's table is a function of: the group, the period and
/// its report's data version, the comparison (its report's version,
/// period and title), the columns shown, the view and the currency's
/// decimal places.
#[derive(Clone, PartialEq, Eq)]
pub struct TableKey {
    group: i64,
    period: MonthRange,
    version: DataVersion,
    compare: Option<(DataVersion, MonthRange, String)>,
    shown: Vec<bool>,
    totals_only: bool,
    places: u32,
}

/// The P&L page's parts built from its reports alone.
#[derive(Default)]
pub struct Table {
    /// The table itself, rendered with the build: its rows are the same
    /// for every viewer, and walking them (a link per cell, each escaped)
    /// was most of a warm page's render, every view again.
    html: String,
    rates: Vec<(String, String, String)>,
    warnings: Vec<WarningView>,
    /// Warnings left off the list.
    more_warnings: usize,
}

#[derive(Template)]
#[template(path = "profit_and_loss_table.html")]
struct TableHtml<'a> {
    headings: &'a [(String, &'static str)],
    rows: &'a [Row],
}

/// The table of `report` with the columns `shown` (by column index), the
/// comparison's columns after them, the rates it used and its warnings.
fn table_of(
    report: &ProfitAndLossReport,
    other: Option<(&ProfitAndLossReport, &str)>,
    shown: &[bool],
    totals_only: bool,
    places: u32,
    group_id: i64,
    period: MonthRange,
) -> Table {
    let mut headings: Vec<(String, &'static str)> = report
        .columns
        .iter()
        .zip(shown)
        .filter(|(_, shown)| **shown)
        .map(|(c, _)| (c.name.clone(), column_class(c.kind)))
        .collect();
    let (mut rows, keys) = rows_of(report, shown, places, group_id);
    if let Some((other, title)) = other {
        add_comparison(&mut rows, &keys, report, other, places, group_id);
        headings.push((title.to_string(), "cmp"));
        headings.push(("Variance".into(), "cmp"));
        headings.push(("Variance %".into(), "cmp"));
    }
    if totals_only {
        rows.retain(|r| r.class != "account" && r.class != "section");
    }
    let rates = report
        .rates
        .iter()
        .map(|r| {
            (
                r.currency.to_string(),
                r.month.to_string(),
                r.average.to_string(),
            )
        })
        .collect();
    let names = report
        .columns
        .iter()
        .filter_map(|c| c.entity.map(|e| (e.0, c.name.clone())))
        .collect();
    let shown_warnings = report
        .warnings
        .iter()
        .filter(|w| w.severity() != crate::engine::Severity::Info);
    let more_warnings = shown_warnings
        .clone()
        .count()
        .saturating_sub(WARNINGS_LISTED);
    let warnings = shown_warnings
        .take(WARNINGS_LISTED)
        .map(|w| warning_text(w, &names, group_id, period))
        .collect();
    let html = TableHtml {
        headings: &headings,
        rows: &rows,
    }
    .render()
    .unwrap_or_else(|e| {
        // Only a template bug gets here: say so on the page and in the log
        // rather than answer the whole page with an error.
        tracing::error!(error = %e, "P&L table template");
        "<p class=\"alert alert-error\">The table could not be shown.</p>".to_string()
    });
    Table {
        html,
        rates,
        warnings,
        more_warnings,
    }
}

pub async fn profit_and_loss(
    req: actix_web::HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, WebError> {
    let id: i64 = path.parse().map_err(|_| WebError::NotFound)?;
    let (group, _) = require_role(&state, &user, id, GroupRole::Viewer).await?;
    let fye = group.financial_year_end_month.clamp(1, 12) as u32;
    let compare = query.compare.clone().unwrap_or_default();
    let views = state.store.entities_for_group(id).await?;
    let asked = entities_values(req.query_string());
    let choice = EntityChoice::parse(&asked, views.len()).map_err(WebError::BadRequest)?;
    // Links keep a choice made, not the default.
    let entities_kept = if asked.is_empty() {
        String::new()
    } else {
        choice.keep()
    };
    let totals_only = query.view.as_deref() == Some("totals");
    let mut keep = String::new();
    for (name, value) in [
        ("compare", compare.as_str()),
        ("entities", entities_kept.as_str()),
        ("view", if totals_only { "totals" } else { "" }),
    ] {
        if !value.is_empty() {
            keep.push_str(&format!("&{name}={}", encode(value)));
        }
    }
    let last = Month::of(Utc::now().date_naive()).prev();
    // A named period from the picker wins over from and to.
    let chosen = match query.period.as_deref().filter(|p| !p.is_empty()) {
        Some(p) => periods::parse_choice(p),
        None => period_of(&PeriodQuery {
            from: query.from.clone(),
            to: query.to.clone(),
        }),
    };
    let mut page = ReportPage {
        nav: Nav::of(&user),
        currency: group.presentation_currency.to_string(),
        from: query.from.clone().unwrap_or_default(),
        to: query.to.clone().unwrap_or_default(),
        group,
        table: Arc::new(Table::default()),
        warnings: Vec::new(),
        error: None,
        presets: periods::presets(last, fye),
        choices: periods::choices(last, fye),
        selected: String::new(),
        keep,
        compare: compare.clone(),
        totals_only,
        entities: entities_kept.clone(),
        entity_choices: Vec::new(),
        columns_note: None,
        more_warnings: 0,
    };
    let period = match chosen {
        Ok(p) => p,
        Err(e) => {
            page.error = Some(e);
            return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    page.from = period.from().to_string();
    page.to = period.to().to_string();
    page.selected = format!("{}:{}", page.from, page.to);
    let run = state
        .reports
        .profit_and_loss(&state.store, &page.group, period)
        .await?;
    let report = &run.report;
    let places = page.group.presentation_currency.minor_units();
    let other = match comparison(period, &compare) {
        Some((other_period, title)) => Some((
            state
                .reports
                .profit_and_loss(&state.store, &page.group, other_period)
                .await?,
            title,
        )),
        None => None,
    };
    // Views: entity columns not chosen and collapsed sections are left
    // out on the server, so the table needs no JavaScript.
    let owners: std::collections::HashMap<i64, i64> = state
        .store
        .ownership(id)
        .await?
        .into_iter()
        .map(|o| (o.entity_id, o.owner_entity_id))
        .collect();
    let shown: Vec<bool> = report
        .columns
        .iter()
        .map(|c| match (c.kind, c.entity) {
            (ColumnKind::Entity, Some(e)) => choice.shows(e.0, &owners),
            _ => true,
        })
        .collect();
    let key = TableKey {
        group: page.group.id,
        period,
        version: run.version.clone(),
        compare: other
            .as_ref()
            .map(|(o, title)| (o.version.clone(), o.period, title.clone())),
        shown: shown.clone(),
        totals_only,
        places,
    };
    let table = state.pages.pnl.get_or_build(&key, || {
        table_of(
            report,
            other.as_ref().map(|(o, title)| (&o.report, title.as_str())),
            &shown,
            totals_only,
            places,
            page.group.id,
            period,
        )
    });
    let named: Vec<(i64, String)> = views.iter().map(|v| (v.id, v.name.clone())).collect();
    let mut choices = vec![
        ("all".to_string(), "every entity".to_string()),
        (
            "hide".to_string(),
            "none (eliminations and consolidated)".to_string(),
        ),
    ];
    let mut owner_ids: Vec<i64> = owners.values().copied().collect();
    owner_ids.sort_unstable();
    owner_ids.dedup();
    for o in owner_ids {
        if let Some((_, name)) = named.iter().find(|(id, _)| *id == o) {
            choices.push((format!("owner:{o}"), format!("{name} and what it owns")));
        }
    }
    choices.extend(
        named
            .iter()
            .map(|(id, name)| (id.to_string(), name.clone())),
    );
    let kept: Vec<&str> = entities_kept.split(',').collect();
    page.entity_choices = choices
        .into_iter()
        .map(|(value, label)| {
            let chosen = kept.contains(&value.as_str());
            (value, label, chosen)
        })
        .collect();
    if views.len() > ENTITY_COLUMNS_UP_TO && asked.is_empty() {
        page.columns_note = Some(format!(
            "{} entities: the entity columns are hidden. Choose entities, an owner or every entity above.",
            views.len()
        ));
    }
    page.more_warnings = table.more_warnings;
    page.warnings = table.warnings.clone();
    page.table = table;
    // An entity whose connection is lost keeps its last synced figures:
    // say they are stale, and why.
    for e in views {
        if e.connection_state == "connected" {
            continue;
        }
        let since = e.last_synced_at.map_or_else(
            || "it has never synced".to_string(),
            |t| format!("its figures are as of {}", t.format("%-d %b %Y %H:%M UTC")),
        );
        page.warnings.insert(
            0,
            WarningView {
                text: format!(
                    "{}'s data is stale: its connection was lost and it {} ({since}).",
                    e.name,
                    crate::connect::NEEDS_RECONNECTING
                ),
                // Reconnecting happens on the group page.
                href: Some(format!("/groups/{}", page.group.id)),
            },
        );
    }
    super::render_off_workers(&state, StatusCode::OK, page).await
}

/// "code name" of a report line, or the name alone.
fn line_label(line: &crate::engine::ReportLine) -> String {
    match line.account_code.as_deref() {
        Some(code) if !code.is_empty() => format!("{code} {}", line.account_name),
        _ => line.account_name.clone(),
    }
}

/// Percent-encodes a query value (keys hold `:` and ids).
pub(crate) fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[derive(Deserialize)]
pub struct CellQuery {
    from: Option<String>,
    to: Option<String>,
    line: String,
    column: String,
}

struct SourceRowView {
    entity: String,
    account: String,
    month: String,
    amount: String,
    rate: String,
    translated: String,
    runs: String,
}

struct EliminationView {
    entity: String,
    invoice: String,
    invoice_type: String,
    month: String,
    currency: String,
    net: String,
    currency_rate: String,
    base: String,
    rate: String,
    effect: String,
}

/// The intercompany lines of one (entity, account, month), summed in base
/// currency and translated once.
struct EliminationSumView {
    entity: String,
    account: String,
    month: String,
    base: String,
    rate: String,
    effect: String,
}

/// A line a total is made of, linking to its own provenance.
struct PartView {
    name: String,
    sign: &'static str,
    value: String,
    href: String,
}

#[derive(Template)]
#[template(path = "cell.html")]
struct CellPage {
    nav: Nav,
    group: Group,
    back: String,
    line_name: String,
    column_name: String,
    period: String,
    currency: String,
    total: String,
    sources: Vec<SourceRowView>,
    eliminations: Vec<EliminationView>,
    elimination_sums: Vec<EliminationSumView>,
    parts: Vec<PartView>,
}

/// `GET /groups/{id}/reports/cell`: what made one number of the report:
/// Xero's rows with their AccountIDs and sync runs, the rates, and the
/// intercompany invoice lines removed.
pub async fn cell(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<CellQuery>,
) -> Result<HttpResponse, WebError> {
    let id: i64 = path.parse().map_err(|_| WebError::NotFound)?;
    let (group, _) = require_role(&state, &user, id, GroupRole::Viewer).await?;
    let q = query.into_inner();
    let period = period_of(&PeriodQuery {
        from: q.from.clone(),
        to: q.to.clone(),
    })
    .map_err(|_| WebError::NotFound)?;
    let nav = Nav::of(&user);
    // The provenance is built on demand, from the report's own data, off
    // the async workers.
    let page = state
        .reports
        .with_run(&state.store, &group.clone(), period, move |run| {
            cell_page(run.data(), period, nav, group, &q)
        })
        .await??;
    render(StatusCode::OK, &page)
}

/// The provenance page of one cell, from the data its report was built on.
fn cell_page(
    data: &crate::engine::GroupData,
    period: MonthRange,
    nav: Nav,
    group: Group,
    q: &CellQuery,
) -> Result<CellPage, WebError> {
    let result = crate::engine::consolidate(data, period)
        .map_err(|e| WebError::Internal(anyhow::anyhow!(e.to_string())))?;
    let report = &result.report;
    let line = report.line(&q.line).ok_or(WebError::NotFound)?;
    let (column_index, column) = report
        .columns
        .iter()
        .enumerate()
        .find(|(_, c)| c.key == q.column)
        .ok_or(WebError::NotFound)?;
    let places = group.presentation_currency.minor_units();
    let mut page = CellPage {
        nav,
        back: format!(
            "/groups/{}/reports/profit-and-loss?from={}&to={}",
            group.id,
            period.from(),
            period.to()
        ),
        line_name: line_label(line),
        column_name: column.name.clone(),
        period: format!("{} to {}", period.from(), period.to()),
        currency: group.presentation_currency.to_string(),
        total: String::new(),
        sources: Vec::new(),
        eliminations: Vec::new(),
        elimination_sums: Vec::new(),
        parts: Vec::new(),
        group,
    };
    // A total opens the lines it is made of.
    if let Some(parts) = report.parts(&q.line) {
        page.total = accounting(line.values.at(column_index), places);
        page.parts = parts
            .iter()
            .map(|p| PartView {
                name: line_label(p.line),
                sign: if p.sign.is_sign_negative() {
                    "less"
                } else {
                    "plus"
                },
                value: accounting(p.line.values.at(column_index), places),
                href: cell_href(page.group.id, period, &p.line.key, &column.key),
            })
            .collect();
        return Ok(page);
    }
    let prov = result
        .provenance
        .cell(&q.line, &q.column)
        .ok_or(WebError::NotFound)?;
    let currencies: std::collections::HashMap<i64, u32> = data
        .entities
        .iter()
        .map(|e| (e.id.0, e.base_currency.minor_units()))
        .collect();
    let names: std::collections::HashMap<i64, String> = data
        .entities
        .iter()
        .map(|e| (e.id.0, e.name.clone()))
        .collect();
    let accounts: std::collections::HashMap<(i64, &str), String> = data
        .entity_accounts
        .iter()
        .map(|a| {
            (
                (a.entity.0, a.account_id.as_str()),
                format!("{} {}", a.code.as_deref().unwrap_or(""), a.name),
            )
        })
        .collect();
    page.total = accounting(prov.total(), places);
    page.sources = prov
        .sources
        .iter()
        .map(|s| SourceRowView {
            entity: names.get(&s.entity.0).cloned().unwrap_or_default(),
            account: accounts
                .get(&(s.entity.0, s.account_id.as_str()))
                .map(|n| format!("{n} ({})", s.account_id))
                .unwrap_or_else(|| s.account_id.clone()),
            month: s.month.to_string(),
            amount: accounting_exact(s.amount, currencies.get(&s.entity.0).copied().unwrap_or(2)),
            rate: s.rate.to_string(),
            translated: accounting(s.cell_amount, places),
            runs: s
                .rows
                .iter()
                .filter_map(|r| r.sync_run_id.map(|id| id.to_string()))
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect::<Vec<_>>()
                .join(", "),
        })
        .collect();
    page.eliminations = prov
        .eliminations
        .iter()
        .map(|e| EliminationView {
            entity: names.get(&e.entity.0).cloned().unwrap_or_default(),
            invoice: format!(
                "{} ({})",
                e.invoice_number.as_deref().unwrap_or("no number"),
                e.invoice_id
            ),
            invoice_type: format!("{:?}", e.invoice_type).to_uppercase(),
            month: e.month.to_string(),
            currency: e.currency.to_string(),
            net: accounting_exact(e.net_amount, e.currency.minor_units()),
            currency_rate: e.currency_rate.map(|r| r.to_string()).unwrap_or_default(),
            base: accounting_exact(e.base_amount.round_dp(4), 2),
            rate: e.rate.to_string(),
            effect: accounting(e.cell_amount, places),
        })
        .collect();
    page.elimination_sums = prov
        .elimination_sums
        .iter()
        .map(|s| EliminationSumView {
            entity: names.get(&s.entity.0).cloned().unwrap_or_default(),
            account: s.account_id.clone(),
            month: s.month.to_string(),
            base: accounting_exact(s.base_amount, 2),
            rate: s.rate.to_string(),
            effect: accounting(s.cell_amount, places),
        })
        .collect();
    Ok(page)
}

#[cfg(test)]
mod entity_choice_tests {
    use super::*;

    #[test]
    fn past_twelve_entities_the_columns_start_hidden_and_can_be_chosen() {
        assert_eq!(EntityChoice::parse(&[], 12).unwrap(), EntityChoice::All);
        assert_eq!(EntityChoice::parse(&[], 13).unwrap(), EntityChoice::None);
        assert_eq!(
            EntityChoice::parse(&["all".into()], 100).unwrap(),
            EntityChoice::All
        );
        let several = EntityChoice::parse(&["3".into(), "5,7".into()], 100).unwrap();
        assert_eq!(several.keep(), "3,5,7");
        let owners = std::collections::HashMap::from([(5, 3), (7, 5), (9, 1)]);
        assert!(several.shows(5, &owners) && !several.shows(9, &owners));
        let by_owner = EntityChoice::parse(&["owner:5".into()], 100).unwrap();
        // 5 itself and 7, which 5 owns; not 3, which owns 5.
        assert!(by_owner.shows(5, &owners) && by_owner.shows(7, &owners));
        assert!(!by_owner.shows(3, &owners) && !by_owner.shows(9, &owners));
        assert!(EntityChoice::parse(&["x".into()], 3).is_err());
        assert!(EntityChoice::parse(&["owner:x".into()], 3).is_err());
    }

    #[test]
    fn every_entities_value_of_a_query_is_read() {
        assert_eq!(
            entities_values("from=2026-01&entities=owner%3A5&entities=7&view=totals"),
            vec!["owner:5".to_string(), "7".to_string()]
        );
        assert_eq!(decode("a%2Cb+c%"), "a,b c%");
    }
}

//! Month-end pages: the overview (months, status, versions; admins close
//! and reopen from it) and a version's pack, with commentary per section
//! for editors. Forms carry the session's CSRF token.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::groups::require_role;
use super::{Nav, render};
use crate::domain::Month;
use crate::month_end::{self, MonthEndError, MonthStatus, Reason, pack};
use crate::store::{Group, GroupRole, MonthEndConflict};
use crate::web::format::accounting;
use crate::web::{AppState, CurrentUser, WebError};

fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn see_other(location: String) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

fn parse_id(s: &str) -> Result<i64, WebError> {
    s.parse().map_err(|_| WebError::NotFound)
}

fn parse_month(s: &str) -> Result<Month, WebError> {
    Month::parse(s).map_err(|e| WebError::BadRequest(format!("'{s}' is not a month: {e}")))
}

fn web_error(e: MonthEndError) -> WebError {
    match e {
        MonthEndError::Store(s) => s.into(),
        MonthEndError::NoVersion => WebError::NotFound,
        other => WebError::Internal(other.into()),
    }
}

// ---------------------------------------------------------------- overview

struct VersionRow {
    version: i32,
    closed: String,
    reopened: String,
    hash: String,
}

struct MonthRow {
    month: String,
    status: &'static str,
    is_closed: bool,
    held_because: Vec<String>,
    sent: String,
    version: String,
    closed: String,
    has_pack: bool,
    versions: Vec<VersionRow>,
}

impl MonthRow {
    fn of(m: MonthStatus) -> Self {
        Self {
            month: m.month.to_string(),
            status: m.status,
            is_closed: matches!(
                m.status,
                "closed" | "awaiting_approval" | "sent" | "restated"
            ),
            held_because: m.held_because.clone(),
            sent: m
                .sent_at
                .map(|t| format!("sent {}", when(t)))
                .unwrap_or_default(),
            version: m.version.map(|v| v.to_string()).unwrap_or_default(),
            closed: match (m.closed_at, &m.closed_by) {
                (Some(at), Some(by)) => format!("{} by {by}", when(at)),
                (Some(at), None) => when(at),
                _ => String::new(),
            },
            has_pack: m.version.is_some(),
            versions: m
                .versions
                .into_iter()
                .map(|v| VersionRow {
                    version: v.version,
                    closed: format!(
                        "closed {}{}",
                        when(v.closed_at),
                        v.closed_by.map(|b| format!(" by {b}")).unwrap_or_default()
                    ),
                    reopened: match (v.reopened_at, v.reopen_reason) {
                        (Some(at), Some(r)) => format!(
                            "reopened {}{}: {r}",
                            when(at),
                            v.reopened_by
                                .map(|b| format!(" by {b}"))
                                .unwrap_or_default()
                        ),
                        _ => String::new(),
                    },
                    hash: v.snapshot_hash.chars().take(12).collect(),
                })
                .collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "month_end.html")]
struct OverviewPage {
    nav: Nav,
    group: Group,
    is_admin: bool,
    months: Vec<MonthRow>,
    notice: Option<String>,
    /// The month a refused close was for, and why.
    refused: Option<(String, Vec<Reason>)>,
    errors: Vec<String>,
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

/// What the overview says above its table, and with which status.
struct Outcome {
    status: StatusCode,
    notice: Option<String>,
    refused: Option<(String, Vec<Reason>)>,
    errors: Vec<String>,
}

impl Outcome {
    fn ok(notice: Option<String>) -> Self {
        Self {
            status: StatusCode::OK,
            notice,
            refused: None,
            errors: Vec::new(),
        }
    }

    fn error(status: StatusCode, message: String) -> Self {
        Self {
            status,
            notice: None,
            refused: None,
            errors: vec![message],
        }
    }
}

async fn overview_page(
    user: &CurrentUser,
    state: &AppState,
    group: Group,
    role: GroupRole,
    outcome: Outcome,
) -> Result<HttpResponse, WebError> {
    let Outcome {
        status,
        notice,
        refused,
        errors,
    } = outcome;
    let months = month_end::overview(&state.store, &group, Utc::now()).await?;
    render(
        status,
        &OverviewPage {
            nav: Nav::of(user),
            group,
            is_admin: role >= GroupRole::Admin,
            months: months.into_iter().map(MonthRow::of).collect(),
            notice,
            refused,
            errors,
        },
    )
}

/// `GET /groups/{id}/month-end`
pub async fn overview(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    let (group, role) = require_role(&state, &user, parse_id(&path)?, GroupRole::Viewer).await?;
    let notice = match query.notice.as_deref() {
        Some("reopened") => Some("The month was reopened. Its closed version is kept.".into()),
        _ => None,
    };
    overview_page(&user, &state, group, role, Outcome::ok(notice)).await
}

#[derive(Deserialize)]
pub struct CloseForm {
    #[serde(default)]
    csrf_token: String,
}

/// `POST /groups/{id}/month-end/{month}/close` (admins)
pub async fn close(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    form: web::Form<CloseForm>,
) -> Result<HttpResponse, WebError> {
    user.check_csrf(&form.csrf_token)?;
    let (id, raw) = path.into_inner();
    let (group, role) = require_role(&state, &user, parse_id(&id)?, GroupRole::Admin).await?;
    let month = parse_month(&raw)?;
    match month_end::close(&state.store, &group, month, Some(user.user.id), Utc::now()).await {
        Ok(_) => Ok(see_other(format!("/groups/{}/month-end/{month}", group.id))),
        Err(MonthEndError::NotReady(reasons)) => {
            overview_page(
                &user,
                &state,
                group,
                role,
                Outcome {
                    status: StatusCode::CONFLICT,
                    refused: Some((month.to_string(), reasons)),
                    ..Outcome::ok(None)
                },
            )
            .await
        }
        Err(MonthEndError::Conflict(c)) => {
            let msg = match c {
                MonthEndConflict::AlreadyClosed => format!("{month} is already closed."),
                MonthEndConflict::NotClosed => format!("{month} is not closed."),
            };
            overview_page(
                &user,
                &state,
                group,
                role,
                Outcome::error(StatusCode::CONFLICT, msg),
            )
            .await
        }
        Err(e) => Err(web_error(e)),
    }
}

#[derive(Deserialize)]
pub struct ReopenForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    csrf_token: String,
}

/// `POST /groups/{id}/month-end/{month}/reopen` (admins)
pub async fn reopen(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    form: web::Form<ReopenForm>,
) -> Result<HttpResponse, WebError> {
    user.check_csrf(&form.csrf_token)?;
    let (id, raw) = path.into_inner();
    let (group, role) = require_role(&state, &user, parse_id(&id)?, GroupRole::Admin).await?;
    let month = parse_month(&raw)?;
    let refused = |msg: String| (StatusCode::CONFLICT, msg);
    let failure = match month_end::reopen(
        &state.store,
        &group,
        month,
        &form.reason,
        user.user.id,
        Utc::now(),
    )
    .await
    {
        Ok(_) => {
            return Ok(see_other(format!(
                "/groups/{}/month-end?notice=reopened",
                group.id
            )));
        }
        Err(MonthEndError::NotReady(_)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("Say why {month} is reopened."),
        ),
        Err(MonthEndError::Conflict(_)) => refused(format!("{month} is not closed.")),
        Err(e) => return Err(web_error(e)),
    };
    overview_page(
        &user,
        &state,
        group,
        role,
        Outcome::error(failure.0, failure.1),
    )
    .await
}

// ---------------------------------------------------------------- pack

struct Cell {
    text: String,
    negative: bool,
}

struct Row {
    label: String,
    code: String,
    bold: bool,
    cells: Vec<Cell>,
}

struct Table {
    headings: Vec<String>,
    rows: Vec<Row>,
}

struct SectionView {
    key: &'static str,
    title: &'static str,
    commentary: String,
    /// Label and value pairs (the cover).
    facts: Vec<(String, String)>,
    table: Option<Table>,
    /// The year-to-date trend as bars: month, net profit text, bar width
    /// in percent, negative.
    bars: Vec<(String, String, u32, bool)>,
    empty: &'static str,
}

#[derive(Template)]
#[template(path = "month_end_pack.html")]
struct PackPage {
    nav: Nav,
    group: Group,
    month: String,
    version: i32,
    status: &'static str,
    can_comment: bool,
    sections: Vec<SectionView>,
    notice: Option<&'static str>,
    /// A later sync changed this sent version's figures.
    restated: bool,
}

fn cell(v: Option<rust_decimal::Decimal>, places: u32) -> Cell {
    match v {
        Some(d) => Cell {
            text: accounting(d, places),
            negative: d.is_sign_negative() && !d.is_zero(),
        },
        None => Cell {
            text: "-".into(),
            negative: false,
        },
    }
}

fn text_cell(s: String) -> Cell {
    Cell {
        text: s,
        negative: false,
    }
}

fn section_view(s: &pack::PackSection, places: u32) -> SectionView {
    let mut view = SectionView {
        key: s.key,
        title: s.title,
        commentary: s.commentary.clone().unwrap_or_default(),
        facts: Vec::new(),
        table: None,
        bars: Vec::new(),
        empty: "",
    };
    match &s.content {
        pack::SectionContent::Cover(c) => {
            view.facts = vec![
                ("Group".into(), c.group_name.clone()),
                ("Month".into(), c.month.to_string()),
                ("Version".into(), c.version.to_string()),
                (
                    "Closed by".into(),
                    c.closed_by.clone().unwrap_or_else(|| "-".into()),
                ),
                ("Closed at".into(), when(c.closed_at)),
                ("Currency".into(), c.presentation_currency.to_string()),
                ("Snapshot SHA-256".into(), c.snapshot_hash.clone()),
            ];
            if let (Some(at), Some(r)) = (c.reopened_at, &c.reopen_reason) {
                view.facts
                    .push(("Reopened".into(), format!("{}: {r}", when(at))));
            }
        }
        pack::SectionContent::Kpis(k) => {
            let margin = |p: Option<rust_decimal::Decimal>| {
                text_cell(p.map_or_else(|| "-".into(), |p| format!("{p}%")))
            };
            view.table = Some(Table {
                headings: [
                    "Revenue",
                    "Gross margin",
                    "Operating expenses",
                    "Net profit",
                    "Revenue YTD",
                    "Gross margin YTD",
                    "Operating expenses YTD",
                    "Net profit YTD",
                ]
                .iter()
                .map(|h| h.to_string())
                .collect(),
                rows: k
                    .columns
                    .iter()
                    .map(|c| Row {
                        label: c.name.clone(),
                        code: String::new(),
                        bold: c.consolidated,
                        cells: vec![
                            cell(Some(c.month.revenue), places),
                            margin(c.month.gross_margin_percent),
                            cell(Some(c.month.operating_expenses), places),
                            cell(Some(c.month.net_profit), places),
                            cell(Some(c.year_to_date.revenue), places),
                            margin(c.year_to_date.gross_margin_percent),
                            cell(Some(c.year_to_date.operating_expenses), places),
                            cell(Some(c.year_to_date.net_profit), places),
                        ],
                    })
                    .collect(),
            });
            let largest = k
                .trend
                .iter()
                .map(|t| t.net_profit.abs())
                .max()
                .unwrap_or_default();
            view.bars = k
                .trend
                .iter()
                .map(|t| {
                    let width = if largest.is_zero() {
                        0
                    } else {
                        (t.net_profit.abs() * rust_decimal::Decimal::ONE_HUNDRED / largest)
                            .round()
                            .try_into()
                            .unwrap_or(0)
                    };
                    (
                        t.month.to_string(),
                        accounting(t.net_profit, places),
                        width,
                        t.net_profit.is_sign_negative() && !t.net_profit.is_zero(),
                    )
                })
                .collect();
        }
        pack::SectionContent::Statement(st) => {
            view.table = Some(Table {
                headings: st.columns.iter().map(|c| c.title.clone()).collect(),
                rows: st
                    .lines
                    .iter()
                    .map(|l| Row {
                        label: l.account_name.clone(),
                        code: l.account_code.clone().unwrap_or_default(),
                        bold: l.kind != "account",
                        cells: st
                            .columns
                            .iter()
                            .map(|c| cell(l.values.get(c.key).copied().flatten(), places))
                            .collect(),
                    })
                    .collect(),
            });
        }
        pack::SectionContent::Intercompany(i) => {
            view.empty = "No intercompany invoices in the month.";
            view.table = Some(Table {
                headings: [
                    "Matched",
                    "Amount differs",
                    "Counterpart missing",
                    "Seller side",
                    "Buyer side",
                    "Net effect on profit",
                ]
                .iter()
                .map(|h| h.to_string())
                .collect(),
                rows: i
                    .rows
                    .iter()
                    .map(|r| Row {
                        label: format!("{} → {}", r.seller, r.buyer),
                        code: String::new(),
                        bold: false,
                        cells: vec![
                            text_cell(r.matched.to_string()),
                            text_cell(r.amount_differs.to_string()),
                            text_cell(r.counterpart_missing.to_string()),
                            cell(Some(r.seller_amount), places),
                            cell(Some(r.buyer_amount), places),
                            cell(Some(r.net_effect), places),
                        ],
                    })
                    .collect(),
            });
        }
        pack::SectionContent::Warnings(w) => {
            view.empty = "No warnings.";
            view.table = Some(Table {
                headings: vec!["Warning".into()],
                rows: w
                    .rows
                    .iter()
                    .map(|r| Row {
                        label: r.severity.clone(),
                        code: String::new(),
                        bold: r.severity == "error",
                        cells: vec![text_cell(r.message.clone())],
                    })
                    .collect(),
            });
        }
    }
    view
}

/// `GET /groups/{id}/month-end/{month}`: the latest version's pack.
pub async fn pack_page(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    let (id, raw) = path.into_inner();
    let (group, role) = require_role(&state, &user, parse_id(&id)?, GroupRole::Viewer).await?;
    let month = parse_month(&raw)?;
    let version = state
        .store
        .latest_month_end(group.id, month)
        .await?
        .ok_or(WebError::NotFound)?;
    let (_, snapshot) = month_end::stored_snapshot(&state.store, &version)
        .await
        .map_err(web_error)?;
    let commentary = state.store.commentary(version.id).await?;
    let pack = pack::build_pack(&snapshot, &version, &commentary)
        .map_err(|e| WebError::Internal(e.into()))?;
    let places = group.presentation_currency.minor_units();
    let restated = state
        .store
        .deliveries(group.id)
        .await?
        .iter()
        .any(|d| d.kind == "restated" && d.month == month && d.version == version.version);
    render(
        StatusCode::OK,
        &PackPage {
            nav: Nav::of(&user),
            restated,
            month: month.to_string(),
            version: pack.version,
            status: pack.status,
            can_comment: role >= GroupRole::Editor,
            sections: pack
                .sections
                .iter()
                .map(|s| section_view(s, places))
                .collect(),
            group,
            notice: (query.notice.as_deref() == Some("saved")).then_some("Commentary saved."),
        },
    )
}

#[derive(Deserialize)]
pub struct CommentaryForm {
    #[serde(default)]
    section: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    csrf_token: String,
}

/// `POST /groups/{id}/month-end/{month}/commentary` (editors)
pub async fn save_commentary(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    form: web::Form<CommentaryForm>,
) -> Result<HttpResponse, WebError> {
    user.check_csrf(&form.csrf_token)?;
    let (id, raw) = path.into_inner();
    let (group, _) = require_role(&state, &user, parse_id(&id)?, GroupRole::Editor).await?;
    let month = parse_month(&raw)?;
    let Some(&(section, _)) = pack::SECTIONS.iter().find(|(k, _)| *k == form.section) else {
        return Err(WebError::BadRequest(format!(
            "unknown section '{}'",
            form.section
        )));
    };
    let body = form.body.trim();
    if body.chars().count() > pack::MAX_COMMENTARY {
        return Err(WebError::BadRequest(format!(
            "Commentary is at most {} characters.",
            pack::MAX_COMMENTARY
        )));
    }
    let version = state
        .store
        .latest_month_end(group.id, month)
        .await?
        .ok_or(WebError::NotFound)?;
    state
        .store
        .set_commentary(group.id, &version, section, body, user.user.id, Utc::now())
        .await?;
    Ok(see_other(format!(
        "/groups/{}/month-end/{month}?notice=saved#{section}",
        group.id
    )))
}

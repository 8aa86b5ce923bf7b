//! A group's set-up pages: FX rates (a table editor, and CSV pasted or
//! read from a file), account mappings and
//! intercompany contacts. Viewers see them; editors change them. The
//! parsing and validation are the API's (`crate::web::api::setup`), so a
//! form and a PUT accept and refuse the same rows.

use std::collections::BTreeMap;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use super::groups::require_role;
use super::{Nav, render};
use crate::store::{Group, GroupRole};
use crate::web::api::setup::{
    AccountMappingJson, GroupAccountJson, IcContactJson, RATES_HEADER, RawContact, RawMapping,
    RawRate, RowErrors, contacts_view, mappings_view, parse_rates, parse_rates_csv,
    validate_contacts, validate_mappings,
};
use crate::web::{AppState, CurrentUser, WebError};

fn group_id(path: &str) -> Result<i64, WebError> {
    path.parse().map_err(|_| WebError::NotFound)
}

fn see_other(to: String) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .finish()
}

fn row_messages(rows: &[RowErrors], label: impl Fn(usize) -> String) -> Vec<String> {
    rows.iter()
        .map(|r| format!("{}: {}", label(r.row), r.errors.join("; ")))
        .collect()
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    saved: Option<usize>,
    q: Option<String>,
    /// The mappings page's page, from 1.
    page: Option<usize>,
}

/// What a page says after a request: its status, errors and notice.
struct Outcome {
    status: StatusCode,
    errors: Vec<String>,
    notice: Option<String>,
}

impl Outcome {
    fn ok(notice: Option<String>) -> Self {
        Self {
            status: StatusCode::OK,
            errors: vec![],
            notice,
        }
    }

    fn invalid(errors: Vec<String>) -> Self {
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            errors,
            notice: None,
        }
    }
}

fn saved_notice(n: Option<usize>, what: &str) -> Option<String> {
    n.map(|n| match n {
        1 => format!("Saved 1 {what}."),
        n => format!("Saved {n} {what}s."),
    })
}

// ---------------------------------------------------------------- FX rates

/// One month of the rates table: per currency, (average, closing).
struct RateMonth {
    month: String,
    cells: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "rates.html")]
struct RatesPage {
    nav: Nav,
    group: Group,
    can_edit: bool,
    currencies: Vec<String>,
    months: Vec<RateMonth>,
    /// The editor's row for a month not yet stored: (month, cells).
    new_month: (String, Vec<(String, String)>),
    csv: String,
    header: &'static str,
    errors: Vec<String>,
    notice: Option<String>,
}

/// What was typed into the table editor, shown again when it is refused.
#[derive(Default)]
struct TypedRates {
    /// (currency, month or [`NEW_MONTH`]) to (average, closing).
    cells: BTreeMap<(String, String), (String, String)>,
    /// The month typed into the extra row.
    new_month: String,
}

async fn rates_page(
    state: &AppState,
    user: &CurrentUser,
    group: Group,
    role: GroupRole,
    out: Outcome,
    csv: String,
    typed: TypedRates,
) -> Result<HttpResponse, WebError> {
    let rows = state.store.fx_rates(group.id).await?;
    let mut currencies: Vec<String> = rows.iter().map(|r| r.currency.to_string()).collect();
    currencies.sort();
    currencies.dedup();
    let mut by_month: BTreeMap<String, BTreeMap<String, (String, String)>> = BTreeMap::new();
    for r in rows {
        by_month.entry(r.month.to_string()).or_default().insert(
            r.currency.to_string(),
            (r.average.to_string(), r.closing.to_string()),
        );
    }
    let mut new_month = (
        typed.new_month,
        vec![(String::new(), String::new()); currencies.len()],
    );
    for ((currency, month), cell) in typed.cells {
        if month == NEW_MONTH {
            if let Some(i) = currencies.iter().position(|c| *c == currency) {
                new_month.1[i] = cell;
            }
        } else if month.len() == 7 {
            by_month.entry(month).or_default().insert(currency, cell);
        }
    }
    let months = by_month
        .into_iter()
        .rev()
        .map(|(month, cells)| RateMonth {
            cells: currencies
                .iter()
                .map(|c| cells.get(c).cloned().unwrap_or_default())
                .collect(),
            month,
        })
        .collect();
    render(
        out.status,
        &RatesPage {
            nav: Nav::of(user),
            group,
            can_edit: role >= GroupRole::Editor,
            currencies,
            months,
            new_month,
            csv,
            header: RATES_HEADER,
            errors: out.errors,
            notice: out.notice,
        },
    )
}

/// `GET /groups/{id}/rates`.
pub async fn rates(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    let (group, role) = require_role(&state, &user, group_id(&path)?, GroupRole::Viewer).await?;
    let notice = saved_notice(query.saved, "rate");
    rates_page(
        &state,
        &user,
        group,
        role,
        Outcome::ok(notice),
        String::new(),
        TypedRates::default(),
    )
    .await
}

#[derive(Deserialize)]
pub struct RatesForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    csv: String,
}

/// `POST /groups/{id}/rates`: pasted CSV; every bad line is listed and
/// nothing is saved unless all lines are good.
pub async fn save_rates(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<RatesForm>,
) -> Result<HttpResponse, WebError> {
    let form = form.into_inner();
    user.check_csrf(&form.csrf_token)?;
    let (group, role) = require_role(&state, &user, group_id(&path)?, GroupRole::Editor).await?;
    match parse_rates_csv(&form.csv, group.presentation_currency) {
        Ok(rows) => {
            state
                .store
                .set_fx_rates(group.id, &rows, Some(user.user.id), Utc::now())
                .await?;
            Ok(see_other(format!(
                "/groups/{}/rates?saved={}",
                group.id,
                rows.len()
            )))
        }
        Err(bad) => {
            let mut errors = vec!["Nothing was saved: correct these lines and save again.".into()];
            errors.extend(row_messages(&bad, |n| format!("Line {n}")));
            rates_page(
                &state,
                &user,
                group,
                role,
                Outcome::invalid(errors),
                form.csv,
                TypedRates::default(),
            )
            .await
        }
    }
}

/// The month field of the table editor's extra row.
const NEW_MONTH: &str = "new";

/// `POST /groups/{id}/rates/table`: the table editor. Fields are
/// `average|CUR|YYYY-MM` and `closing|CUR|YYYY-MM` for stored months, the
/// same with `new` for the extra row, whose month is `new_month`. A cell
/// pair left empty changes nothing; every other pair is checked as a CSV
/// line is, and nothing is saved unless all are good.
pub async fn save_rates_table(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let fields = form.into_inner();
    user.check_csrf(field(&fields, "csrf_token"))?;
    let (group, role) = require_role(&state, &user, group_id(&path)?, GroupRole::Editor).await?;
    let mut typed = TypedRates {
        new_month: field(&fields, "new_month").trim().to_string(),
        ..TypedRates::default()
    };
    for (key, value) in &fields {
        let mut parts = key.splitn(3, '|');
        let (Some(which), Some(currency), Some(month)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let cell = typed
            .cells
            .entry((currency.to_string(), month.to_string()))
            .or_default();
        match which {
            "average" => cell.0 = value.trim().to_string(),
            "closing" => cell.1 = value.trim().to_string(),
            _ => {}
        }
    }
    // Each pair that says something is a row, labelled for its messages.
    let mut labels = Vec::new();
    let mut raw = Vec::new();
    for ((currency, month), (average, closing)) in &typed.cells {
        if average.is_empty() && closing.is_empty() {
            continue;
        }
        let month = if month == NEW_MONTH {
            typed.new_month.as_str()
        } else {
            month.as_str()
        };
        labels.push(format!("{currency} {month}"));
        raw.push(RawRate {
            row: labels.len(),
            currency,
            month,
            average,
            closing,
        });
    }
    let result = if raw.is_empty() {
        Err(vec![
            "Nothing to save: type a rate into the table.".to_string(),
        ])
    } else {
        parse_rates(&raw, group.presentation_currency).map_err(|bad| {
            let mut errors = vec!["Nothing was saved: correct these rates and save again.".into()];
            errors.extend(row_messages(&bad, |n| {
                labels.get(n - 1).cloned().unwrap_or_default()
            }));
            errors
        })
    };
    match result {
        Ok(rows) => {
            state
                .store
                .set_fx_rates(group.id, &rows, Some(user.user.id), Utc::now())
                .await?;
            Ok(see_other(format!(
                "/groups/{}/rates?saved={}",
                group.id,
                rows.len()
            )))
        }
        Err(errors) => {
            rates_page(
                &state,
                &user,
                group,
                role,
                Outcome::invalid(errors),
                String::new(),
                typed,
            )
            .await
        }
    }
}

// ---------------------------------------------------------------- mappings

#[derive(Template)]
#[template(path = "mappings.html")]
struct MappingsPage {
    nav: Nav,
    group: Group,
    can_edit: bool,
    q: String,
    group_accounts: Vec<GroupAccountJson>,
    accounts: Vec<AccountMappingJson>,
    suggested: usize,
    total: usize,
    /// Rows that match `q`, of which `accounts` shows page `page` of
    /// `pages`, starting at row `first` (from 1).
    matching: usize,
    first: usize,
    page: usize,
    pages: usize,
    errors: Vec<String>,
    notice: Option<String>,
}

/// Account rows per mappings page: each row carries a select of the whole
/// group chart, so a page must stay small for large groups.
const MAPPINGS_PER_PAGE: usize = 100;

fn matches(a: &AccountMappingJson, q: &str) -> bool {
    let q = q.to_lowercase();
    a.name.to_lowercase().contains(&q)
        || a.entity_name.to_lowercase().contains(&q)
        || a.code.as_deref().is_some_and(|c| c.to_lowercase() == q)
}

async fn mappings_page(
    state: &AppState,
    user: &CurrentUser,
    group: Group,
    role: GroupRole,
    out: Outcome,
    q: String,
    page: usize,
) -> Result<HttpResponse, WebError> {
    let view = mappings_view(&state.store, &group).await?;
    let suggested = view.suggestions().len();
    let total = view.accounts.len();
    let matching: Vec<AccountMappingJson> = view
        .accounts
        .into_iter()
        .filter(|a| q.trim().is_empty() || matches(a, q.trim()))
        .collect();
    let pages = matching.len().div_ceil(MAPPINGS_PER_PAGE).max(1);
    let page = page.clamp(1, pages);
    let first = (page - 1) * MAPPINGS_PER_PAGE;
    let count = matching.len();
    let accounts = matching
        .into_iter()
        .skip(first)
        .take(MAPPINGS_PER_PAGE)
        .collect();
    render(
        out.status,
        &MappingsPage {
            nav: Nav::of(user),
            group,
            can_edit: role >= GroupRole::Editor,
            q,
            group_accounts: view.group_accounts,
            accounts,
            suggested,
            total,
            matching: count,
            first: first + 1,
            page,
            pages,
            errors: out.errors,
            notice: out.notice,
        },
    )
}

/// `GET /groups/{id}/mappings?q=`.
pub async fn mappings(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    let (group, role) = require_role(&state, &user, group_id(&path)?, GroupRole::Viewer).await?;
    let q = query.into_inner();
    let out = Outcome::ok(saved_notice(q.saved, "mapping"));
    let page = q.page.unwrap_or(1);
    mappings_page(
        &state,
        &user,
        group,
        role,
        out,
        q.q.unwrap_or_default(),
        page,
    )
    .await
}

/// The value of a form field (the first of that name).
fn field<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

/// `POST /groups/{id}/mappings`: `action=confirm_all` confirms every
/// suggestion; otherwise each `map.{entity}.{account}` field with a group
/// account chosen is saved as a confirmed mapping.
pub async fn save_mappings(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let form = form.into_inner();
    user.check_csrf(field(&form, "csrf_token"))?;
    let (group, role) = require_role(&state, &user, group_id(&path)?, GroupRole::Editor).await?;
    let mut labels = Vec::new();
    let raw: Vec<RawMapping> = if field(&form, "action") == "confirm_all" {
        mappings_view(&state.store, &group)
            .await?
            .suggestions()
            .into_iter()
            .enumerate()
            .map(|(i, (entity, account, g))| {
                labels.push(format!("Account {account}"));
                RawMapping {
                    row: i + 1,
                    entity_id: Some(entity),
                    account_id: Some(account),
                    group_account_id: Some(g),
                    confirmed: Some(true),
                }
            })
            .collect()
    } else {
        form.iter()
            .filter_map(|(k, v)| {
                let rest = k.strip_prefix("map.")?;
                let (entity, account) = rest.split_once('.')?;
                let v = v.trim();
                (!v.is_empty()).then_some((entity, account, v))
            })
            .enumerate()
            .map(|(i, (entity, account, v))| {
                labels.push(format!("Account {account}"));
                RawMapping {
                    row: i + 1,
                    entity_id: entity.parse().ok(),
                    account_id: Some(account.to_string()),
                    group_account_id: v.parse().ok(),
                    confirmed: Some(true),
                }
            })
            .collect()
    };
    let q = field(&form, "q").to_string();
    let page = field(&form, "page").parse().unwrap_or(1);
    if raw.is_empty() {
        let out = Outcome::invalid(vec![
            "Nothing to save: choose a group account for at least one account.".into(),
        ]);
        return mappings_page(&state, &user, group, role, out, q, page).await;
    }
    match validate_mappings(&state.store, &group, &raw).await? {
        Ok(rows) => {
            state
                .store
                .set_mappings(group.id, &rows, Some(user.user.id), Utc::now())
                .await?;
            Ok(see_other(format!(
                "/groups/{}/mappings?saved={}&q={}&page={page}",
                group.id,
                rows.len(),
                super::reports::encode(&q)
            )))
        }
        Err(bad) => {
            let mut errors = vec!["Nothing was saved.".to_string()];
            errors.extend(row_messages(&bad, |n| {
                labels.get(n - 1).cloned().unwrap_or_default()
            }));
            mappings_page(
                &state,
                &user,
                group,
                role,
                Outcome::invalid(errors),
                q,
                page,
            )
            .await
        }
    }
}

// ---------------------------------------------------- intercompany contacts

#[derive(Template)]
#[template(path = "intercompany.html")]
struct IntercompanyPage {
    nav: Nav,
    group: Group,
    can_edit: bool,
    suggested: Vec<IcContactJson>,
    confirmed: Vec<IcContactJson>,
    errors: Vec<String>,
    notice: Option<String>,
}

async fn intercompany_page(
    state: &AppState,
    user: &CurrentUser,
    group: Group,
    role: GroupRole,
    out: Outcome,
) -> Result<HttpResponse, WebError> {
    let view = contacts_view(&state.store, &group).await?;
    render(
        out.status,
        &IntercompanyPage {
            nav: Nav::of(user),
            group,
            can_edit: role >= GroupRole::Editor,
            suggested: view.suggested,
            confirmed: view.confirmed,
            errors: out.errors,
            notice: out.notice,
        },
    )
}

/// `GET /groups/{id}/intercompany`.
pub async fn intercompany(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    let (group, role) = require_role(&state, &user, group_id(&path)?, GroupRole::Viewer).await?;
    let notice = saved_notice(query.saved, "contact");
    intercompany_page(&state, &user, group, role, Outcome::ok(notice)).await
}

#[derive(Deserialize)]
pub struct ContactForm {
    #[serde(default)]
    csrf_token: String,
    /// `confirm`, `unconfirm` or `confirm_all`.
    #[serde(default)]
    action: String,
    entity_id: Option<String>,
    contact_id: Option<String>,
    counterpart_entity_id: Option<String>,
}

/// `POST /groups/{id}/intercompany`: confirm or unconfirm one contact, or
/// confirm every suggestion.
pub async fn save_intercompany(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<ContactForm>,
) -> Result<HttpResponse, WebError> {
    let form = form.into_inner();
    user.check_csrf(&form.csrf_token)?;
    let (group, role) = require_role(&state, &user, group_id(&path)?, GroupRole::Editor).await?;
    let raw: Vec<RawContact> = match form.action.as_str() {
        "confirm_all" => contacts_view(&state.store, &group)
            .await?
            .suggested
            .into_iter()
            .enumerate()
            .map(|(i, s)| RawContact {
                row: i + 1,
                entity_id: Some(s.entity_id),
                contact_id: Some(s.contact_id),
                counterpart_entity_id: Some(s.counterpart_entity_id),
                confirmed: Some(true),
            })
            .collect(),
        a @ ("confirm" | "unconfirm") => vec![RawContact {
            row: 1,
            entity_id: form
                .entity_id
                .as_deref()
                .and_then(|s| s.trim().parse().ok()),
            contact_id: form.contact_id.clone(),
            counterpart_entity_id: form
                .counterpart_entity_id
                .as_deref()
                .and_then(|s| s.trim().parse().ok()),
            confirmed: Some(a == "confirm"),
        }],
        _ => vec![],
    };
    if raw.is_empty() {
        let out = Outcome::invalid(vec!["There was nothing to confirm.".into()]);
        return intercompany_page(&state, &user, group, role, out).await;
    }
    match validate_contacts(&state.store, &group, &raw).await? {
        Ok(rows) => {
            state
                .store
                .set_intercompany_contacts(group.id, &rows, Some(user.user.id), Utc::now())
                .await?;
            Ok(see_other(format!(
                "/groups/{}/intercompany?saved={}",
                group.id,
                rows.len()
            )))
        }
        Err(bad) => {
            let mut errors = vec!["Nothing was saved.".to_string()];
            errors.extend(row_messages(&bad, |n| format!("Contact {n}")));
            intercompany_page(&state, &user, group, role, Outcome::invalid(errors)).await
        }
    }
}

//! A group's set-up pages: FX rates (a table editor, and CSV pasted or
//! read from a file), account mappings (filtered, confirmed row by row or
//! the suggestions a filter shows) and intercompany contacts (reviewed per
//! entity: confirmed, marked not intercompany, restored, added). Viewers
//! see them; editors change them. The parsing and validation are the API's
//! (`crate::web::api::setup`), so a form and a PUT accept and refuse the
//! same rows.

use std::collections::{BTreeMap, HashMap};

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::groups::require_role;
use super::{Nav, render};
use crate::engine::MappingBasis;
use crate::store::{Group, GroupRole, MappingRow};
use crate::web::api::setup::{
    AccountMappingJson, GroupAccountJson, IcContactJson, MappingsView, RATES_HEADER, RateRules,
    RawContact, RawMapping, RawRate, RowErrors, contacts_view, mappings_view, parse_rates,
    parse_rates_csv, validate_contacts, validate_mappings,
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
    /// Mappings: of `saved`, how many were confirmed; how many removed.
    confirmed: Option<usize>,
    removed: Option<usize>,
    /// Mappings: how many suggestions "confirm the suggestions shown"
    /// confirmed.
    bulk: Option<usize>,
    /// Intercompany contacts: what was done (`confirm`, `reject`, ...) to
    /// how many.
    did: Option<String>,
    n: Option<usize>,
    /// The mappings filter: search text and status.
    q: Option<String>,
    status: Option<String>,
    /// The entity filter of the mappings and intercompany pages (text, so
    /// that "all" can be empty).
    entity: Option<String>,
    /// The mappings page's page, from 1.
    page: Option<usize>,
    /// Mappings: what starting the group chart did (`started`, with `n`
    /// accounts; `exists`; `no_accounts`).
    chart: Option<String>,
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
    /// Per currency, what is stored (`average|closing`, `|` for nothing),
    /// for the stale-form check.
    was: Vec<String>,
}

/// A stored pair as the rates form's `was|CUR|YYYY-MM` fields carry it.
fn rate_state(average: &str, closing: &str) -> String {
    format!("{average}|{closing}")
}

/// The fingerprint of a group's stored rates, the table form's `version`.
fn rates_version(rows: &[crate::store::RateRow]) -> String {
    digest(rows.iter().map(|r| {
        format!(
            "{}\u{1f}{}\u{1f}{}",
            r.currency,
            r.month,
            rate_state(&r.average.to_string(), &r.closing.to_string())
        )
    }))
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
    /// [`rates_version`] of the rates the table shows.
    version: String,
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
    let version = rates_version(&rows);
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
    let stored = by_month.clone();
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
            was: currencies
                .iter()
                .map(|c| {
                    let (a, cl) = stored
                        .get(&month)
                        .and_then(|m| m.get(c))
                        .cloned()
                        .unwrap_or_default();
                    rate_state(&a, &cl)
                })
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
            version,
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
    match parse_rates_csv(
        &form.csv,
        &RateRules::for_group(&group, Utc::now().date_naive()),
    ) {
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
    let changed = rates_changed_meanwhile(&state, group.id, &fields, &raw).await?;
    if !changed.is_empty() {
        let mut errors = vec![
            "These rates changed since the page was shown (another user): nothing was saved. \
             The table below shows them as they are now; make your changes again."
                .to_string(),
        ];
        errors.extend(changed);
        let out = Outcome {
            status: StatusCode::CONFLICT,
            errors,
            notice: None,
        };
        return rates_page(
            &state,
            &user,
            group,
            role,
            out,
            String::new(),
            TypedRates::default(),
        )
        .await;
    }
    let result = if raw.is_empty() {
        Err(vec![
            "Nothing to save: type a rate into the table.".to_string(),
        ])
    } else {
        parse_rates(&raw, &RateRules::for_group(&group, Utc::now().date_naive())).map_err(|bad| {
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

/// The cells a table save would write that someone changed after the page
/// was shown, in words. The form's `version` says whether anything
/// changed at all; its `was|CUR|YYYY-MM` fields say what each shown cell
/// held (a month the page did not show held nothing). A form without a
/// `version` (a hand-made POST) is not checked.
async fn rates_changed_meanwhile(
    state: &AppState,
    group_id: i64,
    fields: &[(String, String)],
    raw: &[RawRate<'_>],
) -> Result<Vec<String>, WebError> {
    let shown_version = field(fields, "version");
    if shown_version.is_empty() {
        return Ok(vec![]);
    }
    let rows = state.store.fx_rates(group_id).await?;
    if rates_version(&rows) == shown_version {
        return Ok(vec![]);
    }
    let now: HashMap<(String, String), String> = rows
        .iter()
        .map(|r| {
            (
                (r.currency.to_string(), r.month.to_string()),
                rate_state(&r.average.to_string(), &r.closing.to_string()),
            )
        })
        .collect();
    let nothing = rate_state("", "");
    let mut changed = Vec::new();
    for r in raw {
        let key = (r.currency.to_string(), r.month.to_string());
        let shown = field(fields, &format!("was|{}|{}", r.currency, r.month));
        let shown = if shown.is_empty() {
            nothing.as_str()
        } else {
            shown
        };
        let current = now.get(&key).map(String::as_str).unwrap_or(&nothing);
        if current != shown {
            changed.push(match current.split_once('|') {
                Some((a, c)) if current != nothing => {
                    format!("{} {}: now average {a}, closing {c}", r.currency, r.month)
                }
                _ => format!("{} {}: now removed", r.currency, r.month),
            });
        }
    }
    Ok(changed)
}

// ---------------------------------------------------------------- mappings

/// The mappings page's filter, kept in its links, forms and redirects.
#[derive(Debug, Clone, Default)]
struct MappingFilter {
    /// Account code (prefix), account name, group account name or entity
    /// name, case-insensitively.
    q: String,
    /// `""` (all), `suggested`, `confirmed` or `unmapped`.
    status: String,
    /// One entity's accounts.
    entity: Option<i64>,
}

/// The status filter's choices: (value, label).
const MAPPING_STATUSES: [(&str, &str); 4] = [
    ("", "All"),
    ("suggested", "Suggested"),
    ("confirmed", "Confirmed"),
    ("unmapped", "Unmapped"),
];

impl MappingFilter {
    /// From raw text; an unknown status or a non-number entity means all.
    fn new(q: &str, status: &str, entity: &str) -> Self {
        let status = MAPPING_STATUSES
            .iter()
            .find(|(v, _)| *v == status.trim())
            .map(|(v, _)| v.to_string())
            .unwrap_or_default();
        Self {
            q: q.trim().to_string(),
            status,
            entity: entity.trim().parse().ok(),
        }
    }

    fn from_form(form: &[(String, String)]) -> Self {
        Self::new(
            field(form, "q"),
            field(form, "status"),
            field(form, "entity"),
        )
    }

    fn has_entity(&self, id: &i64) -> bool {
        self.entity == Some(*id)
    }

    fn is_empty(&self) -> bool {
        self.q.is_empty() && self.status.is_empty() && self.entity.is_none()
    }

    /// The filter as query parameters (no leading `?` or `&`).
    fn query(&self) -> String {
        format!(
            "q={}&status={}&entity={}",
            super::reports::encode(&self.q),
            self.status,
            self.entity.map(|e| e.to_string()).unwrap_or_default()
        )
    }

    fn matches(&self, a: &AccountMappingJson, chart: &HashMap<i64, &GroupAccountJson>) -> bool {
        if self.entity.is_some_and(|e| e != a.entity_id)
            || (!self.status.is_empty() && a.status != self.status)
        {
            return false;
        }
        if self.q.is_empty() {
            return true;
        }
        let q = self.q.to_lowercase();
        a.code
            .as_deref()
            .is_some_and(|c| c.trim().to_lowercase().starts_with(&q))
            || a.name.to_lowercase().contains(&q)
            || a.entity_name.to_lowercase().contains(&q)
            || a.group_account_id
                .and_then(|g| chart.get(&g))
                .is_some_and(|g| g.name.to_lowercase().contains(&q))
    }
}

/// A short hex digest of the rows a bulk confirmation is about, so that a
/// form confirms exactly what its page showed.
fn fingerprint<'a>(rows: impl IntoIterator<Item = (i64, &'a str, i64)>) -> String {
    digest(
        rows.into_iter()
            .map(|(a, b, c)| format!("{a}\u{1f}{b}\u{1f}{c}")),
    )
}

/// A short hex digest of lines, the form of every fingerprint a page puts
/// in a form to learn at submit whether what it showed changed since.
fn digest(lines: impl IntoIterator<Item = String>) -> String {
    let mut h = Sha256::new();
    for line in lines {
        h.update(line.as_bytes());
        h.update(b"\n");
    }
    h.finalize()[..12]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One row of the mappings table.
struct MappingLine {
    a: AccountMappingJson,
    /// What the row showed: `<group account id or empty>|<1 if confirmed>`.
    was: String,
    /// Why it is suggested, for suggestions.
    why: Option<String>,
}

impl MappingLine {
    fn of(a: AccountMappingJson) -> Self {
        let class = a.class.clone().unwrap_or_default().to_lowercase();
        let why = (a.status == "suggested").then(|| match a.basis {
            Some(MappingBasis::SameCode) => format!(
                "Why: same code ({}) and class ({class}) as the group account.",
                a.code.as_deref().unwrap_or_default()
            ),
            Some(MappingBasis::SameName) => {
                format!("Why: same name and class ({class}) as the group account.")
            }
            None => "Saved earlier without confirming.".to_string(),
        });
        Self {
            was: shown_state(&a),
            why,
            a,
        }
    }
}

/// What a mappings row shows, as its `was` field carries it: `<group
/// account id or empty>|<1 if confirmed>`. A save compares the rows it
/// writes against it, so that it never reverts a later change.
fn shown_state(a: &AccountMappingJson) -> String {
    format!(
        "{}|{}",
        a.group_account_id
            .map(|g| g.to_string())
            .unwrap_or_default(),
        u8::from(a.confirmed)
    )
}

/// How a row's current state reads in a conflict message.
fn state_words(a: &AccountMappingJson, chart: &[GroupAccountJson]) -> String {
    let account = a
        .group_account_id
        .and_then(|g| chart.iter().find(|c| c.id == g))
        .map(|c| format!("{} {}", c.code, c.name));
    match (account, a.confirmed) {
        (None, _) => "now not mapped".to_string(),
        (Some(g), true) => format!("now confirmed as {g}"),
        (Some(g), false) => format!("now suggested as {g}"),
    }
}

#[derive(Template)]
#[template(path = "mappings.html")]
struct MappingsPage {
    nav: Nav,
    group: Group,
    can_edit: bool,
    filter: MappingFilter,
    /// An admin may start the chart when the group has none.
    can_start_chart: bool,
    /// `filter.query()`, for links.
    filter_query: String,
    statuses: &'static [(&'static str, &'static str)],
    entities: Vec<(i64, String)>,
    group_accounts: Vec<GroupAccountJson>,
    accounts: Vec<MappingLine>,
    suggested: usize,
    total: usize,
    /// Rows that match the filter, of which `accounts` shows page `page`
    /// of `pages`, starting at row `first` (from 1).
    matching: usize,
    /// Suggestions among the matching rows (on every page), and their
    /// fingerprint for "confirm the suggestions shown".
    matching_suggested: usize,
    fingerprint: String,
    first: usize,
    page: usize,
    pages: usize,
    errors: Vec<String>,
    notice: Option<String>,
}

/// Account rows per mappings page: each row carries a select of the whole
/// group chart, so a page must stay small for large groups.
const MAPPINGS_PER_PAGE: usize = 100;

/// The rows of `view` that match `filter`, in view order.
fn filtered(view: &MappingsView, filter: &MappingFilter) -> Vec<AccountMappingJson> {
    let chart: HashMap<i64, &GroupAccountJson> =
        view.group_accounts.iter().map(|g| (g.id, g)).collect();
    view.accounts
        .iter()
        .filter(|a| filter.matches(a, &chart))
        .cloned()
        .collect()
}

/// The suggestions among `rows`: (entity, account, group account).
fn suggestions_of(rows: &[AccountMappingJson]) -> Vec<(i64, &str, i64)> {
    rows.iter()
        .filter(|a| a.status == "suggested")
        .filter_map(|a| Some((a.entity_id, a.account_id.as_str(), a.group_account_id?)))
        .collect()
}

async fn mappings_page(
    state: &AppState,
    user: &CurrentUser,
    group: Group,
    role: GroupRole,
    out: Outcome,
    mut filter: MappingFilter,
    page: usize,
) -> Result<HttpResponse, WebError> {
    let view = mappings_view(&state.store, &group).await?;
    let entities: Vec<(i64, String)> = state
        .store
        .entities_for_group(group.id)
        .await?
        .into_iter()
        .map(|e| (e.id, e.name))
        .collect();
    if filter
        .entity
        .is_some_and(|e| !entities.iter().any(|(id, _)| *id == e))
    {
        filter.entity = None;
    }
    let suggested = view.suggestions().len();
    let total = view.accounts.len();
    let matching = filtered(&view, &filter);
    let shown_suggestions = suggestions_of(&matching);
    let matching_suggested = shown_suggestions.len();
    let fingerprint = fingerprint(shown_suggestions);
    let pages = matching.len().div_ceil(MAPPINGS_PER_PAGE).max(1);
    let page = page.clamp(1, pages);
    let first = (page - 1) * MAPPINGS_PER_PAGE;
    let count = matching.len();
    let accounts = matching
        .into_iter()
        .skip(first)
        .take(MAPPINGS_PER_PAGE)
        .map(MappingLine::of)
        .collect();
    render(
        out.status,
        &MappingsPage {
            nav: Nav::of(user),
            group,
            can_edit: role >= GroupRole::Editor,
            can_start_chart: role >= GroupRole::Admin,
            filter_query: filter.query(),
            filter,
            statuses: &MAPPING_STATUSES,
            entities,
            group_accounts: view.group_accounts,
            accounts,
            suggested,
            total,
            matching: count,
            matching_suggested,
            fingerprint,
            first: first + 1,
            page,
            pages,
            errors: out.errors,
            notice: out.notice,
        },
    )
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

fn mappings_notice(q: &NoticeQuery) -> Option<String> {
    if let Some(n) = q.bulk {
        return Some(format!(
            "Confirmed {}.",
            plural(n, "suggestion", "suggestions")
        ));
    }
    let saved = q.saved?;
    let removed = q.removed.unwrap_or(0);
    if saved + removed == 0 {
        return Some(
            "Nothing changed: no row was ticked, unticked or given another group account."
                .to_string(),
        );
    }
    let confirmed = q.confirmed.unwrap_or(0).min(saved);
    let mut parts = Vec::new();
    if confirmed > 0 {
        parts.push(format!("{confirmed} confirmed"));
    }
    if saved > confirmed {
        parts.push(format!("{} left unconfirmed", saved - confirmed));
    }
    if removed > 0 {
        parts.push(format!("{removed} removed"));
    }
    Some(format!(
        "Saved {}: {}.",
        plural(saved + removed, "mapping", "mappings"),
        parts.join(", ")
    ))
}

/// `GET /groups/{id}/mappings?q=&status=&entity=&page=`.
pub async fn mappings(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    let (group, role) = require_role(&state, &user, group_id(&path)?, GroupRole::Viewer).await?;
    let q = query.into_inner();
    let out = match q.chart.as_deref() {
        Some("started") => Outcome::ok(Some(format!(
            "Started the group chart with {}. Other entities' accounts now have suggestions to review.",
            plural(q.n.unwrap_or(0), "account", "accounts")
        ))),
        Some("exists") => Outcome {
            status: StatusCode::OK,
            errors: vec!["The group already has a chart; nothing was changed.".into()],
            notice: None,
        },
        Some("no_accounts") => Outcome {
            status: StatusCode::OK,
            errors: vec![
                "That entity has no synced accounts with a code yet. Sync it first, then start the chart."
                    .into(),
            ],
            notice: None,
        },
        _ => Outcome::ok(mappings_notice(&q)),
    };
    let filter = MappingFilter::new(
        q.q.as_deref().unwrap_or_default(),
        q.status.as_deref().unwrap_or_default(),
        q.entity.as_deref().unwrap_or_default(),
    );
    mappings_page(&state, &user, group, role, out, filter, q.page.unwrap_or(1)).await
}

/// The value of a form field (the first of that name).
fn field<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

/// `Kea Holdings 200 Sales`: an account as the page's messages name it.
fn account_label(a: &AccountMappingJson) -> String {
    match &a.code {
        Some(c) if !c.is_empty() => format!("{} {c} {}", a.entity_name, a.name),
        _ => format!("{} {}", a.entity_name, a.name),
    }
}

/// `POST /groups/{id}/mappings`.
///
/// `action=confirm_all` confirms the suggestions that match the form's
/// filter (`q`, `status`, `entity`) on every page of it, provided they are
/// still the ones the page showed (`fingerprint`).
///
/// Otherwise it saves the table. Every row sends `was.{entity}.{account}`
/// (what it showed: group account and whether confirmed), its select
/// `map.{entity}.{account}` and, when ticked, `confirm.{entity}.{account}`.
/// The rule: a row is confirmed when its box is ticked or its group account
/// was changed (a changed select is a decision); a confirmed row whose box
/// was unticked, and its account left alone, goes back to a suggestion;
/// choosing "not mapped" removes a saved mapping; an untouched suggestion
/// stays a suggestion. Only rows that change are written.
pub async fn save_mappings(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let form = form.into_inner();
    user.check_csrf(field(&form, "csrf_token"))?;
    let (group, role) = require_role(&state, &user, group_id(&path)?, GroupRole::Editor).await?;
    let filter = MappingFilter::from_form(&form);
    let page: usize = field(&form, "page").parse().unwrap_or(1);
    let view = mappings_view(&state.store, &group).await?;
    let redirect = |counts: String, filter: &MappingFilter| {
        see_other(format!(
            "/groups/{}/mappings?{counts}&{}&page={page}",
            group.id,
            filter.query()
        ))
    };
    let refuse = |status: StatusCode, errors: Vec<String>| Outcome {
        status,
        errors,
        notice: None,
    };

    if field(&form, "action") == "confirm_all" {
        let rows = filtered(&view, &filter);
        let chosen = suggestions_of(&rows);
        if chosen.is_empty() {
            let out = refuse(
                StatusCode::UNPROCESSABLE_ENTITY,
                vec!["No suggestions match this filter: nothing was confirmed.".into()],
            );
            return mappings_page(&state, &user, group, role, out, filter, page).await;
        }
        if fingerprint(chosen.iter().copied()) != field(&form, "fingerprint") {
            let out = refuse(
                StatusCode::CONFLICT,
                vec![
                    "The suggestions changed since the page was shown (a sync or another user): \
                     nothing was confirmed. Check them again below."
                        .into(),
                ],
            );
            return mappings_page(&state, &user, group, role, out, filter, page).await;
        }
        let raw: Vec<RawMapping> = chosen
            .iter()
            .enumerate()
            .map(|(i, (entity, account, g))| RawMapping {
                row: i + 1,
                entity_id: Some(*entity),
                account_id: Some(account.to_string()),
                group_account_id: Some(*g),
                confirmed: Some(true),
            })
            .collect();
        return match validate_mappings(&state.store, &group, &raw).await? {
            Ok(rows) => {
                state
                    .store
                    .set_mappings(group.id, &rows, Some(user.user.id), Utc::now())
                    .await?;
                Ok(redirect(format!("bulk={}", rows.len()), &filter))
            }
            Err(bad) => {
                let mut errors = vec!["Nothing was confirmed.".to_string()];
                errors.extend(row_messages(&bad, |n| format!("Suggestion {n}")));
                let out = refuse(StatusCode::UNPROCESSABLE_ENTITY, errors);
                mappings_page(&state, &user, group, role, out, filter, page).await
            }
        };
    }

    let by_key: HashMap<(i64, &str), &AccountMappingJson> = view
        .accounts
        .iter()
        .map(|a| ((a.entity_id, a.account_id.as_str()), a))
        .collect();
    let values: HashMap<&str, &str> = form
        .iter()
        .rev()
        .map(|(k, v)| (k.as_str(), v.trim()))
        .collect();
    let mut labels = Vec::new();
    let mut raw = Vec::new();
    let mut remove: Vec<(i64, String)> = Vec::new();
    let mut errors = Vec::new();
    // Rows this save would write although someone (or a sync) changed them
    // after the page was shown: refused as a whole, as the bulk confirm is.
    let mut changed_meanwhile = Vec::new();
    let views = state.store.entities_for_group(group.id).await?;
    for (key, was) in &form {
        let Some(rest) = key.strip_prefix("was.") else {
            continue;
        };
        let Some((entity, account)) = rest.split_once('.') else {
            continue;
        };
        let (was_group, was_confirmed) = was.split_once('|').unwrap_or((was.as_str(), "0"));
        let was_confirmed = was_confirmed == "1";
        let chosen = values
            .get(format!("map.{rest}").as_str())
            .copied()
            .unwrap_or(was_group);
        let ticked = values.contains_key(format!("confirm.{rest}").as_str());
        let changed = chosen != was_group.trim();
        let entity_id: Option<i64> = entity.parse().ok();
        let current = entity_id.and_then(|e| by_key.get(&(e, account)));
        let label = current
            .map(|a| account_label(a))
            .unwrap_or_else(|| format!("Account {account}"));
        let writes = if chosen.is_empty() {
            !ticked && changed
        } else {
            ticked || changed || was_confirmed
        };
        if writes
            && let Some(a) = current
            && shown_state(a) != *was
        {
            changed_meanwhile.push(format!("{label}: {}", state_words(a, &view.group_accounts)));
        }
        if chosen.is_empty() {
            if ticked {
                errors.push(format!(
                    "{label}: choose a group account to confirm it, or untick it"
                ));
            } else if changed {
                match entity_id.and_then(|e| views.iter().find(|v| v.id == e)) {
                    Some(v) => remove.push((v.organisation_id, account.to_string())),
                    None => errors.push(format!("{label}: the entity is not in this group")),
                }
            }
            continue;
        }
        let confirmed = if ticked || changed {
            true
        } else if was_confirmed {
            false
        } else {
            continue; // an untouched suggestion stays one
        };
        labels.push(label);
        raw.push(RawMapping {
            row: labels.len(),
            entity_id,
            account_id: Some(account.to_string()),
            group_account_id: chosen.parse().ok(),
            confirmed: Some(confirmed),
        });
    }
    if !changed_meanwhile.is_empty() {
        changed_meanwhile.insert(
            0,
            "These mappings changed since the page was shown (another user or a sync): \
             nothing was saved. The table below shows them as they are now; make your \
             changes again."
                .into(),
        );
        let out = refuse(StatusCode::CONFLICT, changed_meanwhile);
        return mappings_page(&state, &user, group, role, out, filter, page).await;
    }
    if !errors.is_empty() {
        errors.insert(0, "Nothing was saved.".to_string());
        let out = refuse(StatusCode::UNPROCESSABLE_ENTITY, errors);
        return mappings_page(&state, &user, group, role, out, filter, page).await;
    }
    match validate_mappings(&state.store, &group, &raw).await? {
        Ok(rows) => {
            // Only what changes is written (and audited).
            let stored: HashMap<(i64, String), MappingRow> = state
                .store
                .mappings(group.id)
                .await?
                .into_iter()
                .map(|m| ((m.organisation_id, m.account_id.clone()), m))
                .collect();
            let rows: Vec<MappingRow> = rows
                .into_iter()
                .filter(|m| stored.get(&(m.organisation_id, m.account_id.clone())) != Some(m))
                .collect();
            remove.retain(|k| stored.contains_key(k));
            if !rows.is_empty() || !remove.is_empty() {
                state
                    .store
                    .change_mappings(group.id, &rows, &remove, Some(user.user.id), Utc::now())
                    .await?;
            }
            let confirmed = rows.iter().filter(|m| m.confirmed).count();
            Ok(redirect(
                format!(
                    "saved={}&confirmed={confirmed}&removed={}",
                    rows.len(),
                    remove.len()
                ),
                &filter,
            ))
        }
        Err(bad) => {
            let mut errors = vec!["Nothing was saved.".to_string()];
            errors.extend(row_messages(&bad, |n| {
                labels.get(n - 1).cloned().unwrap_or_default()
            }));
            let out = refuse(StatusCode::UNPROCESSABLE_ENTITY, errors);
            mappings_page(&state, &user, group, role, out, filter, page).await
        }
    }
}

// ---------------------------------------------------- intercompany contacts

/// An entity in the intercompany page's filter, with its suggestions.
struct EntityChoice {
    id: i64,
    name: String,
    suggested: usize,
}

#[derive(Template)]
#[template(path = "intercompany.html")]
struct IntercompanyPage {
    nav: Nav,
    group: Group,
    can_edit: bool,
    entities: Vec<EntityChoice>,
    /// The entity under review, when one is chosen.
    entity: Option<i64>,
    entity_name: String,
    suggested: Vec<IcContactJson>,
    confirmed: Vec<IcContactJson>,
    rejected: Vec<IcContactJson>,
    /// Of the suggestions shown, for "confirm all".
    fingerprint: String,
    /// The chosen entity's contacts that are not confirmed: (id, name).
    addable: Vec<(String, String)>,
    /// Entities a contact of the chosen entity can stand for: (id, name).
    counterparts: Vec<(i64, String)>,
    errors: Vec<String>,
    notice: Option<String>,
}

impl IntercompanyPage {
    fn is_entity(&self, id: &i64) -> bool {
        self.entity == Some(*id)
    }
}

fn contacts_fingerprint(rows: &[IcContactJson]) -> String {
    fingerprint(
        rows.iter()
            .map(|c| (c.entity_id, c.contact_id.as_str(), c.counterpart_entity_id)),
    )
}

/// The entity filter's value, when it names an entity of the group.
fn chosen_entity(raw: Option<&str>, views: &[crate::store::EntityView]) -> Option<i64> {
    let id: i64 = raw?.trim().parse().ok()?;
    views.iter().any(|v| v.id == id).then_some(id)
}

async fn intercompany_page(
    state: &AppState,
    user: &CurrentUser,
    group: Group,
    role: GroupRole,
    out: Outcome,
    entity: Option<&str>,
) -> Result<HttpResponse, WebError> {
    let views = state.store.entities_for_group(group.id).await?;
    let entity = chosen_entity(entity, &views);
    let view = contacts_view(&state.store, &group).await?;
    let mut entities: Vec<EntityChoice> = views
        .iter()
        .map(|v| EntityChoice {
            id: v.id,
            suggested: view
                .suggested
                .iter()
                .filter(|c| c.entity_id == v.id)
                .count(),
            name: v.name.clone(),
        })
        .collect();
    entities.sort_by_key(|a| a.name.to_lowercase());
    let mine = |list: Vec<IcContactJson>| -> Vec<IcContactJson> {
        list.into_iter()
            .filter(|c| entity.is_none_or(|e| c.entity_id == e))
            .collect()
    };
    let (mut addable, mut counterparts, mut entity_name) = (Vec::new(), Vec::new(), String::new());
    if let Some(v) = entity.and_then(|e| views.iter().find(|v| v.id == e)) {
        entity_name = v.name.clone();
        addable = state
            .store
            .contacts_of(v.organisation_id)
            .await?
            .into_iter()
            .filter(|c| {
                !view
                    .confirmed
                    .iter()
                    .any(|x| x.entity_id == v.id && x.contact_id == c.contact_id)
            })
            .map(|c| (c.contact_id, c.name))
            .collect();
        counterparts = entities
            .iter()
            .filter(|e| e.id != v.id)
            .map(|e| (e.id, e.name.clone()))
            .collect();
    }
    let suggested = mine(view.suggested);
    render(
        out.status,
        &IntercompanyPage {
            nav: Nav::of(user),
            group,
            can_edit: role >= GroupRole::Editor,
            entities,
            entity,
            entity_name,
            fingerprint: contacts_fingerprint(&suggested),
            suggested,
            confirmed: mine(view.confirmed),
            rejected: mine(view.rejected),
            addable,
            counterparts,
            errors: out.errors,
            notice: out.notice,
        },
    )
}

fn intercompany_notice(q: &NoticeQuery) -> Option<String> {
    if let Some(n) = q.saved {
        return saved_notice(Some(n), "contact");
    }
    let n = q.n.unwrap_or(1);
    Some(match q.did.as_deref()? {
        "confirm" => format!(
            "Confirmed {}: invoices and bills with them are eliminated.",
            plural(n, "contact", "contacts")
        ),
        "unconfirm" => "Unconfirmed 1 contact: its invoices are no longer eliminated.".into(),
        "reject" => "Marked 1 contact as not intercompany: it will not be suggested again \
                     (restore it below if that was a mistake)."
            .into(),
        "restore" => "Restored 1 contact as a suggestion.".into(),
        "add" => "Added 1 intercompany contact: invoices and bills with it are eliminated.".into(),
        _ => return None,
    })
}

/// `GET /groups/{id}/intercompany?entity=`.
pub async fn intercompany(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    let (group, role) = require_role(&state, &user, group_id(&path)?, GroupRole::Viewer).await?;
    let out = Outcome::ok(intercompany_notice(&query));
    intercompany_page(&state, &user, group, role, out, query.entity.as_deref()).await
}

#[derive(Deserialize)]
pub struct ContactForm {
    #[serde(default)]
    csrf_token: String,
    /// `confirm`, `unconfirm`, `reject`, `restore`, `add` or `confirm_all`.
    #[serde(default)]
    action: String,
    entity_id: Option<String>,
    contact_id: Option<String>,
    counterpart_entity_id: Option<String>,
    /// The page's entity filter, kept across the save; `confirm_all`
    /// confirms the suggestions of that entity (all when empty).
    entity: Option<String>,
    /// `confirm_all`: the fingerprint of the suggestions the page showed.
    fingerprint: Option<String>,
}

/// `POST /groups/{id}/intercompany`: one contact confirmed, unconfirmed,
/// marked not intercompany (`reject`), restored as a suggestion, or added
/// (any contact of an entity, confirmed as standing for another entity);
/// or every suggestion shown confirmed. Each is one audited change.
pub async fn save_intercompany(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<ContactForm>,
) -> Result<HttpResponse, WebError> {
    let form = form.into_inner();
    user.check_csrf(&form.csrf_token)?;
    let (group, role) = require_role(&state, &user, group_id(&path)?, GroupRole::Editor).await?;
    let views = state.store.entities_for_group(group.id).await?;
    let entity = chosen_entity(form.entity.as_deref(), &views);
    let entity_param = entity.map(|e| e.to_string()).unwrap_or_default();
    let single = |confirmed: bool, rejected: bool| {
        let id = |s: &Option<String>| s.as_deref().and_then(|s| s.trim().parse().ok());
        vec![RawContact {
            row: 1,
            entity_id: id(&form.entity_id),
            contact_id: form
                .contact_id
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string),
            counterpart_entity_id: id(&form.counterpart_entity_id),
            confirmed: Some(confirmed),
            rejected: Some(rejected),
        }]
    };
    let raw: Vec<RawContact> = match form.action.as_str() {
        "confirm_all" => {
            let suggested: Vec<IcContactJson> = contacts_view(&state.store, &group)
                .await?
                .suggested
                .into_iter()
                .filter(|c| entity.is_none_or(|e| c.entity_id == e))
                .collect();
            if !suggested.is_empty()
                && contacts_fingerprint(&suggested) != form.fingerprint.as_deref().unwrap_or("")
            {
                let out = Outcome {
                    status: StatusCode::CONFLICT,
                    errors: vec![
                        "The suggestions changed since the page was shown: nothing was \
                         confirmed. Check them again below."
                            .into(),
                    ],
                    notice: None,
                };
                return intercompany_page(&state, &user, group, role, out, Some(&entity_param))
                    .await;
            }
            suggested
                .into_iter()
                .enumerate()
                .map(|(i, s)| RawContact {
                    row: i + 1,
                    entity_id: Some(s.entity_id),
                    contact_id: Some(s.contact_id),
                    counterpart_entity_id: Some(s.counterpart_entity_id),
                    confirmed: Some(true),
                    rejected: Some(false),
                })
                .collect()
        }
        "confirm" | "add" => single(true, false),
        "unconfirm" | "restore" => single(false, false),
        "reject" => single(false, true),
        _ => vec![],
    };
    if raw.is_empty() {
        let out = Outcome::invalid(vec!["There was nothing to confirm.".into()]);
        return intercompany_page(&state, &user, group, role, out, Some(&entity_param)).await;
    }
    match validate_contacts(&state.store, &group, &raw).await? {
        Ok(rows) => {
            let did = match form.action.as_str() {
                "confirm_all" => "confirm",
                a => a,
            };
            state
                .store
                .record_intercompany_contacts(
                    group.id,
                    &rows,
                    &format!("intercompany_contacts.{did}"),
                    Some(user.user.id),
                    Utc::now(),
                )
                .await?;
            Ok(see_other(format!(
                "/groups/{}/intercompany?did={did}&n={}&entity={entity_param}",
                group.id,
                rows.len()
            )))
        }
        Err(bad) => {
            let mut errors = vec!["Nothing was saved.".to_string()];
            errors.extend(row_messages(&bad, |n| format!("Contact {n}")));
            intercompany_page(
                &state,
                &user,
                group,
                role,
                Outcome::invalid(errors),
                Some(&entity_param),
            )
            .await
        }
    }
}

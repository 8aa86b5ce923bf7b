//! The groups a user belongs to, creating one, and a group's page.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use super::{Nav, render};
use crate::domain::CurrencyCode;
use crate::store::{EntityView, Group, GroupRole, NewGroup, RunStatus};
use crate::web::{AppState, CurrentUser, WebError};

pub const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

#[derive(Template)]
#[template(path = "groups.html")]
struct GroupsPage {
    nav: Nav,
    groups: Vec<(Group, GroupRole)>,
    form: GroupFormValues,
    errors: Vec<String>,
    months: [&'static str; 12],
}

#[derive(Template)]
#[template(path = "group.html")]
struct GroupPage {
    nav: Nav,
    group: Group,
    role: GroupRole,
    year_end: &'static str,
    entities: Vec<EntityRow>,
    dashboard: Option<super::dashboard::Dashboard>,
    notice: Option<String>,
    error: Option<&'static str>,
    /// A period in the address that is not one.
    period_error: Option<String>,
    xero_configured: bool,
    /// Some entity is queued or syncing: the page follows its progress.
    syncing: bool,
    /// Every entity of the group, listed or not.
    entity_count: usize,
    /// Past [`ENTITY_ROWS_UP_TO`] entities: the counts by state, the
    /// table listing only the entities that need someone.
    entity_summary: Option<String>,
}

/// Past this many entities the group page lists only those that need
/// someone (a sync under way or failed, a lost connection, no sync in a
/// day) and counts the rest: a hundred rows, each with its own forms, are
/// most of a large group's page and its render, and say nothing a count
/// does not. `?entities=all` lists every one.
pub const ENTITY_ROWS_UP_TO: usize = 12;

/// An entity as the group page shows it.
struct EntityRow {
    id: i64,
    name: String,
    legal_name: String,
    currency: String,
    year_end: String,
    state: &'static str,
    state_label: &'static str,
    last_synced: String,
    /// Older than a day: the numbers may be behind Xero.
    stale: bool,
    run: String,
    /// A queued or running sync: its run id and step n of m (0 of 0 while
    /// queued), for the live progress bar.
    active: Option<ActiveRun>,
    budget: String,
    /// The latest run failed.
    failed: bool,
}

impl EntityRow {
    /// Listed even in a summary: something about it needs someone, or
    /// its progress bar must be on the page for `sync.js` to follow.
    fn needs_attention(&self) -> bool {
        self.active.is_some() || self.failed || self.stale || self.state != "ok"
    }
}

/// "100 entities: 97 connected, 2 need reconnecting, 1 disconnected; 1
/// syncing, 1 whose last sync failed." (only the states some entity is in).
fn summary_of(rows: &[EntityRow]) -> String {
    let count = |f: &dyn Fn(&EntityRow) -> bool| rows.iter().filter(|r| f(r)).count();
    let mut connection = Vec::new();
    for (n, one, many) in [
        (count(&|r| r.state == "ok"), "connected", "connected"),
        (
            count(&|r| r.state == "warn"),
            "needs reconnecting",
            "need reconnecting",
        ),
        (count(&|r| r.state == "off"), "disconnected", "disconnected"),
    ] {
        if n > 0 {
            connection.push(format!("{n} {}", if n == 1 { one } else { many }));
        }
    }
    let mut runs = Vec::new();
    for (n, what) in [
        (count(&|r| r.active.is_some()), "syncing or queued"),
        (count(&|r| r.failed), "whose last sync failed"),
        (count(&|r| r.stale), "not synced in the last day"),
    ] {
        if n > 0 {
            runs.push(format!("{n} {what}"));
        }
    }
    let mut out = format!("{} entities: {}", rows.len(), connection.join(", "));
    if !runs.is_empty() {
        out.push_str("; ");
        out.push_str(&runs.join(", "));
    }
    out.push('.');
    out
}

struct ActiveRun {
    id: i64,
    done: i32,
    total: i32,
}

/// "retrying in N s" for a run waiting to try a call (or itself) again.
fn retrying_label(at: Option<chrono::DateTime<Utc>>, now: chrono::DateTime<Utc>) -> String {
    match at {
        Some(at) => {
            // Rounded up: a wait of 0.4 s still says 1 s, never 0.
            let ms = (at - now).num_milliseconds().max(0);
            format!("retrying in {} s", ((ms + 999) / 1000).max(1))
        }
        None => "retrying".to_string(),
    }
}

impl EntityRow {
    fn of(e: EntityView, runs: &[RunStatus]) -> Self {
        let latest = runs.iter().find(|r| r.organisation_id == e.organisation_id);
        let run = latest
            .map(|r| match r.state.as_str() {
                "running" if r.progress_total > 0 => {
                    format!("syncing, step {} of {}", r.progress_done, r.progress_total)
                }
                "running" => "starting".to_string(),
                "retrying" => retrying_label(r.retry_at, Utc::now()),
                "queued" => "queued".to_string(),
                "failed" => format!("failed: {}", r.error.clone().unwrap_or_default()),
                "superseded" => "stopped; a newer sync takes over".to_string(),
                _ => format!("{} calls", r.calls),
            })
            .unwrap_or_default();
        let active = latest
            .filter(|r| matches!(r.state.as_str(), "queued" | "running" | "retrying"))
            .map(|r| ActiveRun {
                id: r.id,
                done: r.progress_done,
                total: r.progress_total,
            });
        let stale = e
            .last_synced_at
            .is_none_or(|t| Utc::now() - t > chrono::Duration::hours(26));
        let year_end = match (e.financial_year_end_day, e.financial_year_end_month) {
            (Some(d), Some(m)) if (1..=12).contains(&m) => {
                format!("{d} {}", MONTH_NAMES[(m - 1) as usize])
            }
            _ => "unknown".into(),
        };
        let (state, state_label) = match e.connection_state.as_str() {
            "connected" => ("ok", "Connected"),
            "needs_reconnect" => ("warn", "Needs reconnecting to Xero"),
            _ => ("off", "Disconnected"),
        };
        Self {
            failed: latest.is_some_and(|r| r.state == "failed"),
            id: e.id,
            legal_name: e.legal_name.unwrap_or_default(),
            name: e.name,
            currency: e.base_currency.to_string(),
            year_end,
            state,
            state_label,
            last_synced: e
                .last_synced_at
                .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_else(|| "never".into()),
            stale,
            run,
            active,
            budget: e
                .day_calls_remaining
                .map(|n| format!("{n} of 5,000"))
                .unwrap_or_else(|| "-".into()),
        }
    }
}

#[derive(Deserialize)]
pub struct GroupQuery {
    /// The dashboard's KPI period (`YYYY-MM:YYYY-MM`, from the picker).
    period: Option<String>,
    notice: Option<String>,
    count: Option<u32>,
    error: Option<String>,
    /// `all`: every entity's row, however many.
    entities: Option<String>,
}

/// The message for an error code in the group page's query string.
fn error_message(code: &str) -> Option<&'static str> {
    Some(match code {
        "denied" => "Xero access was not granted, so nothing was connected.",
        "expired" => {
            "That Xero sign-in expired or was already used. Start again with Connect Xero."
        }
        "code_rejected" => {
            "Xero did not accept the sign-in; it may have taken too long. Start again."
        }
        "bad_credentials" => "Xero refused that Custom Connection's client id or secret.",
        "nothing_granted" => {
            "Xero granted no organisations. Choose at least one on Xero's consent page."
        }
        "not_configured" => {
            "Xero is not configured on this server: set CONSOL_XERO_CLIENT_ID and CONSOL_XERO_CLIENT_SECRET."
        }
        "xero_unavailable" => "Xero could not be reached. Nothing was changed; try again shortly.",
        _ => return None,
    })
}

/// The group, if the user holds at least `min` in it; 404 otherwise, so
/// that other groups cannot be told apart from missing ones.
pub async fn require_role(
    state: &AppState,
    user: &CurrentUser,
    group_id: i64,
    min: GroupRole,
) -> Result<(Group, GroupRole), WebError> {
    match state.store.group_for_member(group_id, user.user.id).await? {
        Some((g, role)) if role >= min => Ok((g, role)),
        Some(_) => Err(WebError::Forbidden(format!(
            "This needs the {} role in the group.",
            min.as_str()
        ))),
        None => Err(WebError::NotFound),
    }
}

#[derive(Default)]
struct GroupFormValues {
    name: String,
    presentation_currency: String,
    financial_year_end_month: u32,
}

#[derive(Deserialize)]
pub struct GroupForm {
    name: String,
    presentation_currency: String,
    financial_year_end_month: String,
    csrf_token: String,
}

pub async fn list(user: CurrentUser, state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    let form = GroupFormValues {
        name: String::new(),
        presentation_currency: "NZD".into(),
        financial_year_end_month: 3,
    };
    page(&user, &state, StatusCode::OK, form, vec![]).await
}

async fn page(
    user: &CurrentUser,
    state: &AppState,
    status: StatusCode,
    form: GroupFormValues,
    errors: Vec<String>,
) -> Result<HttpResponse, WebError> {
    let groups = state.store.groups_for_user(user.user.id).await?;
    render(
        status,
        &GroupsPage {
            nav: Nav::of(user),
            groups,
            form,
            errors,
            months: MONTH_NAMES,
        },
    )
}

pub async fn create(
    user: CurrentUser,
    state: web::Data<AppState>,
    form: web::Form<GroupForm>,
) -> Result<HttpResponse, WebError> {
    let form = form.into_inner();
    user.check_csrf(&form.csrf_token)?;
    let mut errors = Vec::new();
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        errors.push("Give the group a name of 1 to 100 characters.".to_string());
    }
    let currency = CurrencyCode::parse(&form.presentation_currency)
        .map_err(|e| errors.push(e.to_string()))
        .ok();
    let month = form
        .financial_year_end_month
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|m| (1..=12).contains(m));
    if month.is_none() {
        errors.push("Choose the month the financial year ends in.".to_string());
    }
    let (Some(currency), Some(month), true) = (currency, month, errors.is_empty()) else {
        let values = GroupFormValues {
            name: form.name,
            presentation_currency: form.presentation_currency,
            financial_year_end_month: month.unwrap_or(0),
        };
        return page(
            &user,
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            values,
            errors,
        )
        .await;
    };
    let group = state
        .store
        .create_group(
            &NewGroup {
                name,
                presentation_currency: currency,
                financial_year_end_month: month,
            },
            user.user.id,
            Utc::now(),
        )
        .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/groups/{}", group.id)))
        .finish())
}

pub async fn show(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<GroupQuery>,
) -> Result<HttpResponse, WebError> {
    // A malformed id and another group's id look the same: not found.
    let id: i64 = path.parse().map_err(|_| WebError::NotFound)?;
    let (group, role) = require_role(&state, &user, id, GroupRole::Viewer).await?;
    let runs = state.store.latest_run_statuses_for_group(id).await?;
    let views = state.store.entities_for_group(id).await?;
    let (chosen, period_error) = match query.period.as_deref().filter(|p| !p.is_empty()) {
        None => (None, None),
        Some(p) => match super::periods::parse_choice(p) {
            Ok(range) if range.len() <= 120 => (Some(range), None),
            Ok(_) => (
                None,
                Some("Choose a period of at most ten years.".to_string()),
            ),
            Err(e) => (None, Some(e)),
        },
    };
    let dashboard = super::dashboard::build(&state, &group, &views, chosen).await?;
    let mut entities: Vec<EntityRow> = views.into_iter().map(|e| EntityRow::of(e, &runs)).collect();
    let syncing = entities.iter().any(|e| e.active.is_some());
    let q = query.into_inner();
    let entity_count = entities.len();
    let entity_summary = (entity_count > ENTITY_ROWS_UP_TO && q.entities.as_deref() != Some("all"))
        .then(|| {
            let summary = summary_of(&entities);
            entities.retain(EntityRow::needs_attention);
            summary
        });
    let notice = match q.notice.as_deref() {
        Some("connected") => Some(match q.count.unwrap_or(0) {
            1 => "Connected 1 organisation.".to_string(),
            n => format!("Connected {n} organisations."),
        }),
        Some("disconnected") => Some("The organisation was removed from the group.".to_string()),
        Some("sync_queued") => {
            Some("A sync of every connected organisation is queued.".to_string())
        }
        _ => None,
    };
    let year_end = MONTH_NAMES
        .get((group.financial_year_end_month as usize).wrapping_sub(1))
        .copied()
        .unwrap_or("?");
    super::render_off_workers(
        &state,
        StatusCode::OK,
        GroupPage {
            nav: Nav::of(&user),
            group,
            role,
            year_end,
            entities,
            dashboard,
            notice,
            error: q.error.as_deref().and_then(error_message),
            period_error,
            xero_configured: state.xero.oauth.is_some(),
            syncing,
            entity_count,
            entity_summary,
        },
    )
    .await
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    csrf_token: String,
}

/// `POST /groups/{id}/sync`: queue an incremental sync of every connected
/// entity now (editors and admins).
pub async fn sync_now(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, WebError> {
    user.check_csrf(&form.csrf_token)?;
    let id: i64 = path.parse().map_err(|_| WebError::NotFound)?;
    require_role(&state, &user, id, GroupRole::Editor).await?;
    for e in state.store.entities_for_group(id).await? {
        if e.connection_state == "connected" {
            crate::sync::enqueue(
                &state.store,
                e.organisation_id,
                crate::sync::SyncKind::Incremental,
            )
            .await
            .map_err(|e| WebError::Internal(anyhow::anyhow!(e.message)))?;
        }
    }
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/groups/{id}?notice=sync_queued")))
        .finish())
}

//! Month-end delivery pages: a group's pack schedule (a form; every bad
//! field is named and nothing is stored), its delivery log (with the
//! server's replies; admins approve drafts there) and, for administrators,
//! the outbox that holds the mail when no SMTP server is configured.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::groups::require_role;
use super::{Nav, render};
use crate::mail::outbox;
use crate::month_end::schedule::{self, FORMATS, FieldErrors, ScheduleInput};
use crate::store::{Delivery, Group, GroupRole, Member};
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

// ---------------------------------------------------------------- schedule

#[derive(Template)]
#[template(path = "pack_schedule.html")]
struct SchedulePage {
    nav: Nav,
    group: Group,
    is_admin: bool,
    form: ScheduleInput,
    errors: FieldErrors,
    saved: bool,
    exists: bool,
    owner: String,
    members: Vec<Member>,
    formats: [&'static str; 3],
    next_due: String,
}

impl SchedulePage {
    fn error(&self, field: &str) -> String {
        self.errors.get(field).cloned().unwrap_or_default()
    }

    fn has_format(&self, f: &&str) -> bool {
        self.form.formats.iter().any(|x| x == f)
    }
}

async fn schedule_page(
    user: &CurrentUser,
    state: &AppState,
    group: Group,
    role: GroupRole,
    form: Option<ScheduleInput>,
    errors: FieldErrors,
    saved: bool,
) -> Result<HttpResponse, WebError> {
    let stored = state.store.pack_schedule(group.id).await?;
    let members = state.store.members_of(group.id).await?;
    let next_due = stored
        .as_ref()
        .map(|s| {
            let now = Utc::now();
            let due = schedule::due_month(s, now).next();
            format!(
                "The {} pack is due {}.",
                due,
                when(schedule::due_at(s, due))
            )
        })
        .unwrap_or_default();
    let form = form.unwrap_or_else(|| match &stored {
        Some(s) => ScheduleInput {
            business_day: s.business_day.to_string(),
            send_at: s.send_at.clone(),
            utc_offset: schedule::offset_text(s.utc_offset_minutes),
            time_zone: s.time_zone.clone().unwrap_or_default(),
            recipients: s.recipients.clone(),
            formats: s.format_list(),
            approval_required: s.approval_required,
        },
        None => ScheduleInput {
            business_day: "3".into(),
            send_at: "09:00".into(),
            utc_offset: "+00:00".into(),
            time_zone: String::new(),
            recipients: String::new(),
            formats: vec!["xlsx".into(), "json".into()],
            approval_required: true,
        },
    });
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(
        status,
        &SchedulePage {
            nav: Nav::of(user),
            is_admin: role >= GroupRole::Admin,
            exists: stored.is_some(),
            owner: stored.and_then(|s| s.owner_email).unwrap_or_default(),
            group,
            form,
            errors,
            saved,
            members,
            formats: FORMATS,
            next_due,
        },
    )
}

#[derive(Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
}

/// `GET /groups/{id}/month-end/schedule`
pub async fn schedule_form(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<SavedQuery>,
) -> Result<HttpResponse, WebError> {
    let (group, role) = require_role(&state, &user, parse_id(&path)?, GroupRole::Viewer).await?;
    let saved = query.saved.is_some();
    schedule_page(&user, &state, group, role, None, FieldErrors::new(), saved).await
}

/// `POST /groups/{id}/month-end/schedule` (admins). The form's fields are
/// read by hand: repeated `formats` boxes do not fit a serde form.
pub async fn save_schedule(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, WebError> {
    let mut input = ScheduleInput::default();
    let mut csrf = String::new();
    for (k, v) in form_pairs(&body) {
        match k.as_str() {
            "csrf_token" => csrf = v,
            "business_day" => input.business_day = v,
            "send_at" => input.send_at = v,
            "utc_offset" => input.utc_offset = v,
            "time_zone" => input.time_zone = v,
            "recipients" => input.recipients = v,
            "formats" => input.formats.push(v),
            "approval_required" => input.approval_required = v == "on" || v == "true",
            _ => {}
        }
    }
    user.check_csrf(&csrf)?;
    let (group, role) = require_role(&state, &user, parse_id(&path)?, GroupRole::Admin).await?;
    match schedule::validate(&input) {
        Ok(s) => {
            state
                .store
                .put_pack_schedule(group.id, &s, Some(user.user.id), Utc::now())
                .await?;
            Ok(see_other(format!(
                "/groups/{}/month-end/schedule?saved=1",
                group.id
            )))
        }
        Err(errors) => schedule_page(&user, &state, group, role, Some(input), errors, false).await,
    }
}

/// `application/x-www-form-urlencoded` pairs, decoded.
fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(body);
    reqwest::Url::parse(&format!("http://form/?{text}"))
        .map(|u| {
            u.query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default()
}

// ---------------------------------------------------------------- delivery log

struct DeliveryRow {
    id: i64,
    month: String,
    version: String,
    kind: String,
    status: String,
    recipients: String,
    detail: Vec<String>,
    attempts: i32,
    reply: String,
    approved: String,
    created: String,
    sent: String,
    is_draft: bool,
}

impl DeliveryRow {
    fn of(d: Delivery) -> Self {
        Self {
            id: d.id,
            month: d.month.to_string(),
            version: if d.version > 0 {
                d.version.to_string()
            } else {
                String::new()
            },
            is_draft: d.status == "draft",
            recipients: d.recipient_list().join(", "),
            detail: d.detail.lines().map(str::to_string).collect(),
            kind: d.kind,
            status: d.status,
            attempts: d.attempts,
            reply: d.last_reply.unwrap_or_default(),
            approved: match (d.approved_at, d.approved_by_email) {
                (Some(at), Some(by)) => format!("approved {} by {by}", when(at)),
                (Some(at), None) => format!("approved {}", when(at)),
                _ => String::new(),
            },
            created: when(d.created_at),
            sent: d.sent_at.map(when).unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "pack_deliveries.html")]
struct DeliveriesPage {
    nav: Nav,
    group: Group,
    is_admin: bool,
    rows: Vec<DeliveryRow>,
    notice: Option<String>,
    errors: Vec<String>,
}

async fn deliveries_page(
    user: &CurrentUser,
    state: &AppState,
    group: Group,
    role: GroupRole,
    status: StatusCode,
    notice: Option<String>,
    errors: Vec<String>,
) -> Result<HttpResponse, WebError> {
    let rows = state
        .store
        .deliveries(group.id)
        .await?
        .into_iter()
        .map(DeliveryRow::of)
        .collect();
    render(
        status,
        &DeliveriesPage {
            nav: Nav::of(user),
            is_admin: role >= GroupRole::Admin,
            group,
            rows,
            notice,
            errors,
        },
    )
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    approved: Option<String>,
}

/// `GET /groups/{id}/month-end/deliveries`
pub async fn deliveries(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    let (group, role) = require_role(&state, &user, parse_id(&path)?, GroupRole::Viewer).await?;
    let notice = query
        .approved
        .as_ref()
        .map(|_| "Approved: the pack is queued for sending.".to_string());
    deliveries_page(
        &user,
        &state,
        group,
        role,
        StatusCode::OK,
        notice,
        Vec::new(),
    )
    .await
}

#[derive(Deserialize)]
pub struct ApproveForm {
    #[serde(default)]
    csrf_token: String,
}

/// `POST /groups/{id}/month-end/deliveries/{delivery}/approve` (admins)
pub async fn approve(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    form: web::Form<ApproveForm>,
) -> Result<HttpResponse, WebError> {
    user.check_csrf(&form.csrf_token)?;
    let (id, delivery) = path.into_inner();
    let (group, role) = require_role(&state, &user, parse_id(&id)?, GroupRole::Admin).await?;
    let delivery = parse_id(&delivery)?;
    let now = Utc::now();
    if state
        .store
        .approve_delivery(group.id, delivery, user.user.id, now)
        .await?
    {
        crate::month_end::delivery::enqueue(&state.store, delivery, now).await?;
        return Ok(see_other(format!(
            "/groups/{}/month-end/deliveries?approved=1",
            group.id
        )));
    }
    deliveries_page(
        &user,
        &state,
        group,
        role,
        StatusCode::CONFLICT,
        None,
        vec!["That pack is not waiting for approval.".into()],
    )
    .await
}

// ---------------------------------------------------------------- outbox

struct OutboxRow {
    file: String,
    subject: String,
    to: String,
    date: String,
    size: String,
}

#[derive(Template)]
#[template(path = "outbox.html")]
struct OutboxPage {
    nav: Nav,
    dir: String,
    smtp: bool,
    rows: Vec<OutboxRow>,
}

fn require_admin(user: &CurrentUser) -> Result<(), WebError> {
    if user.user.is_admin {
        Ok(())
    } else {
        Err(WebError::Forbidden(
            "Only an administrator may read the outbox.".into(),
        ))
    }
}

/// `GET /admin/outbox`: administrators only.
pub async fn outbox_page(
    user: CurrentUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    require_admin(&user)?;
    let dir = state.settings.outbox_dir();
    let rows = outbox::list(&dir)
        .map_err(|e| WebError::Internal(anyhow::anyhow!("outbox {}: {e}", dir.display())))?
        .into_iter()
        .map(|e| OutboxRow {
            size: format!("{} KB", e.bytes.div_ceil(1024)),
            file: e.file,
            subject: e.subject,
            to: e.to,
            date: e.date,
        })
        .collect();
    render(
        StatusCode::OK,
        &OutboxPage {
            nav: Nav::of(&user),
            dir: dir.display().to_string(),
            smtp: state.settings.smtp_url.is_some(),
            rows,
        },
    )
}

/// `GET /admin/outbox/{file}`: the message as an `.eml` download.
pub async fn outbox_message(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    require_admin(&user)?;
    let file = path.into_inner();
    let bytes = outbox::read(&state.settings.outbox_dir(), &file).ok_or(WebError::NotFound)?;
    Ok(HttpResponse::Ok()
        .content_type("message/rfc822")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file}\""),
        ))
        .body(bytes))
}

// ---------------------------------------------------------------- diff

#[derive(Template)]
#[template(path = "pack_diff.html")]
struct DiffPage {
    nav: Nav,
    group: Group,
    month: String,
    version: i32,
    lines: Vec<DiffLine>,
    records: Vec<crate::month_end::restatement::RecordChange>,
}

/// A changed line as the page shows it, opening to what moved it.
struct DiffLine {
    name: String,
    column: String,
    sent: String,
    today: String,
    records: Vec<crate::month_end::restatement::LineRecord>,
    entity_rows: Vec<crate::month_end::restatement::EntityRow>,
    note: String,
}

/// `GET /groups/{id}/month-end/{month}/diff`: the closed version's
/// snapshot against today's data, line by line, each opening (a
/// `<details>`, no script) to the Xero records that moved it and the
/// entity rows of Xero's report that moved, with the Xero records of the
/// year to date changed since the close.
pub async fn diff(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, WebError> {
    let (id, raw) = path.into_inner();
    let (group, _) = require_role(&state, &user, parse_id(&id)?, GroupRole::Viewer).await?;
    let month = crate::domain::Month::parse(&raw)
        .map_err(|e| WebError::BadRequest(format!("'{raw}' is not a month: {e}")))?;
    let version = state
        .store
        .latest_month_end(group.id, month)
        .await?
        .filter(|v| v.is_closed())
        .ok_or(WebError::NotFound)?;
    let r = crate::month_end::restatement::compare(&state.store, &group, &version)
        .await
        .map_err(|e| WebError::Internal(e.into()))?;
    let places = group.presentation_currency.minor_units();
    let show = |v: Option<rust_decimal::Decimal>| {
        v.map_or("—".to_string(), |d| {
            crate::web::format::accounting(d, places)
        })
    };
    let lines = r
        .lines
        .into_iter()
        .map(|l| {
            let col = crate::month_end::restatement::COLUMNS
                .iter()
                .find(|(k, _)| *k == l.column)
                .map_or(l.column, |(_, t)| *t);
            DiffLine {
                name: l.account_name,
                column: col.to_string(),
                sent: show(l.sent),
                today: show(l.today),
                records: l.records,
                entity_rows: l.entity_rows,
                note: l.note.unwrap_or_default(),
            }
        })
        .collect();
    render(
        StatusCode::OK,
        &DiffPage {
            nav: Nav::of(&user),
            group,
            month: month.to_string(),
            version: version.version,
            lines,
            records: r.records,
        },
    )
}

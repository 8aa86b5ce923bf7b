//! Month-end delivery over the API: a group's pack schedule (422 with an
//! error per field, nothing stored), its delivery log, approving a draft
//! pack, and sending a closed month's pack now.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::Utc;
use serde_json::json;

use super::{ApiError, ApiUser};
use crate::domain::Month;
use crate::month_end::{delivery, schedule};
use crate::store::{Delivery, GroupRole, PackSchedule};
use crate::web::AppState;

fn schedule_json(s: &PackSchedule) -> serde_json::Value {
    json!({
        "business_day": s.business_day,
        "send_at": s.send_at,
        "utc_offset": schedule::offset_text(s.utc_offset_minutes),
        "time_zone": s.time_zone,
        "recipients": s.recipient_list(),
        "formats": s.format_list(),
        "approval_required": s.approval_required,
        "owner": s.owner_email,
        "updated_at": s.updated_at,
    })
}

fn delivery_json(d: &Delivery) -> serde_json::Value {
    json!({
        "id": d.id,
        "month": d.month,
        "version": if d.version > 0 { Some(d.version) } else { None },
        "kind": d.kind,
        "status": d.status,
        "recipients": d.recipient_list(),
        "detail": d.detail.lines().collect::<Vec<_>>(),
        "attempts": d.attempts,
        "last_reply": d.last_reply,
        "approved_by": d.approved_by_email,
        "approved_at": d.approved_at,
        "created_at": d.created_at,
        "sent_at": d.sent_at,
    })
}

/// `GET /api/v1/groups/{id}/pack-schedule`
pub async fn get_schedule(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (group, _) = user.group(&state, &path, GroupRole::Viewer).await?;
    match state.store.pack_schedule(group.id).await? {
        Some(s) => Ok(HttpResponse::Ok().json(schedule_json(&s))),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "The group has no pack schedule yet.",
        )),
    }
}

#[derive(serde::Deserialize)]
pub struct ScheduleBody {
    business_day: serde_json::Value,
    send_at: String,
    /// Not needed with `time_zone`.
    #[serde(default)]
    utc_offset: String,
    /// An IANA zone such as `Pacific/Auckland` (daylight saving followed).
    #[serde(default)]
    time_zone: Option<String>,
    recipients: Vec<String>,
    formats: Vec<String>,
    #[serde(default)]
    approval_required: bool,
}

/// `PUT /api/v1/groups/{id}/pack-schedule` (admins)
pub async fn put_schedule(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<ScheduleBody>,
) -> Result<HttpResponse, ApiError> {
    let (group, _) = user.group(&state, &path, GroupRole::Admin).await?;
    let b = body.into_inner();
    let input = schedule::ScheduleInput {
        business_day: match &b.business_day {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        },
        send_at: b.send_at,
        utc_offset: b.utc_offset,
        time_zone: b.time_zone.unwrap_or_default(),
        recipients: b.recipients.join("\n"),
        formats: b.formats,
        approval_required: b.approval_required,
    };
    let s = schedule::validate(&input).map_err(|errors| {
        ApiError::invalid(
            "The schedule is not valid; nothing was stored.",
            serde_json::to_value(errors).unwrap_or_default(),
        )
    })?;
    let stored = state
        .store
        .put_pack_schedule(group.id, &s, Some(user.user.id), Utc::now())
        .await?;
    Ok(HttpResponse::Ok().json(schedule_json(&stored)))
}

/// `GET /api/v1/groups/{id}/deliveries`
pub async fn list_deliveries(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (group, _) = user.group(&state, &path, GroupRole::Viewer).await?;
    let rows: Vec<_> = state
        .store
        .deliveries(group.id)
        .await?
        .iter()
        .map(delivery_json)
        .collect();
    Ok(HttpResponse::Ok().json(rows))
}

/// `POST /api/v1/groups/{id}/deliveries/{delivery}/approve` (admins)
pub async fn approve(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, raw) = path.into_inner();
    let (group, _) = user.group(&state, &id, GroupRole::Admin).await?;
    let did: i64 = raw.parse().map_err(|_| ApiError::not_found())?;
    let now = Utc::now();
    if !state
        .store
        .approve_delivery(group.id, did, user.user.id, now)
        .await?
    {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            "That delivery is not a draft waiting for approval.",
        ));
    }
    delivery::enqueue(&state.store, did, now).await?;
    let d = state
        .store
        .delivery(did)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(HttpResponse::Ok().json(delivery_json(&d)))
}

/// `POST /api/v1/groups/{id}/month-end/{YYYY-MM}/send` (admins): queues
/// the closed month's pack to the schedule's recipients now (this is the
/// approval); 409 when it was already made for this version.
pub async fn send_now(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, raw) = path.into_inner();
    let (group, _) = user.group(&state, &id, GroupRole::Admin).await?;
    let month = Month::parse(&raw).map_err(|e| {
        ApiError::invalid(
            format!("'{raw}' is not a month: {e}"),
            json!({"month": "YYYY-MM"}),
        )
    })?;
    let s = state.store.pack_schedule(group.id).await?.ok_or_else(|| {
        ApiError::new(
            StatusCode::CONFLICT,
            "no_schedule",
            "Set the group's pack schedule (its recipients) first.",
        )
    })?;
    let v = state
        .store
        .latest_month_end(group.id, month)
        .await?
        .filter(|v| v.is_closed())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::CONFLICT,
                "not_closed",
                format!("{month} is not closed: close it first."),
            )
        })?;
    match delivery::deliver_version(&state.store, &s, &v, true, Utc::now()).await? {
        Some(did) => {
            let d = state
                .store
                .delivery(did)
                .await?
                .ok_or_else(ApiError::not_found)?;
            Ok(HttpResponse::Accepted().json(delivery_json(&d)))
        }
        None => Err(ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            format!(
                "Version {} of {month} has already been sent or queued: see the delivery log.",
                v.version
            ),
        )),
    }
}

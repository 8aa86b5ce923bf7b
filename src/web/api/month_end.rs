//! Month-end close over the API: the months and their status, closing
//! (409 with the reasons when a month is not ready), reopening with a
//! reason, commentary, and the latest version's pack as JSON or Excel.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use chrono::Utc;
use serde::Deserialize;
use serde_json::json;

use super::{ApiError, ApiUser};
use crate::domain::Month;
use crate::export::XLSX_CONTENT_TYPE;
use crate::month_end::{self, MonthEndError, pack};
use crate::store::{Group, GroupRole, MonthEndConflict, MonthEndVersion};
use crate::web::AppState;

fn month_of(raw: &str) -> Result<Month, ApiError> {
    Month::parse(raw).map_err(|e| {
        ApiError::invalid(
            format!("'{raw}' is not a month: {e}"),
            json!({"month": "YYYY-MM"}),
        )
    })
}

fn internal(what: &str, e: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "{what} failed");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "Something went wrong on our side.",
    )
}

impl From<MonthEndError> for ApiError {
    fn from(e: MonthEndError) -> Self {
        match e {
            MonthEndError::NotReady(reasons)
                if reasons.iter().any(|r| r.code == "reason_required") =>
            {
                ApiError::invalid(
                    "Say why the month is reopened.",
                    json!({"reason": "required"}),
                )
            }
            MonthEndError::NotReady(reasons) => ApiError {
                details: Some(json!({ "reasons": reasons })),
                ..ApiError::new(
                    StatusCode::CONFLICT,
                    "not_ready",
                    "The month cannot be closed yet.",
                )
            },
            MonthEndError::Conflict(c) => {
                let message = match c {
                    MonthEndConflict::AlreadyClosed => {
                        "The month is already closed: reopen it first."
                    }
                    MonthEndConflict::NotClosed => "The month is not closed.",
                };
                ApiError::new(StatusCode::CONFLICT, "conflict", message)
            }
            MonthEndError::NoVersion => ApiError::not_found(),
            MonthEndError::Store(e) => e.into(),
            MonthEndError::Snapshot(e) => internal("month-end snapshot", e),
        }
    }
}

fn version_json(v: &MonthEndVersion) -> serde_json::Value {
    json!({
        "month": v.month,
        "version": v.version,
        "status": if v.is_closed() { "closed" } else { "open" },
        "snapshot_hash": v.snapshot_hash,
        "closed_at": v.closed_at,
        "closed_by": v.closed_by_email,
        "reopened_at": v.reopened_at,
        "reopened_by": v.reopened_by_email,
        "reopen_reason": v.reopen_reason,
    })
}

/// `GET /api/v1/groups/{id}/month-end`
pub async fn list(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (group, _) = user.group(&state, &path, GroupRole::Viewer).await?;
    let months = month_end::overview(&state.store, &group, Utc::now()).await?;
    Ok(HttpResponse::Ok().json(months))
}

/// `POST /api/v1/groups/{id}/month-end/{YYYY-MM}/close` (admins)
pub async fn close(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, raw) = path.into_inner();
    let (group, _) = user.group(&state, &id, GroupRole::Admin).await?;
    let month = month_of(&raw)?;
    let v = month_end::close(&state.store, &group, month, Some(user.user.id), Utc::now()).await?;
    Ok(HttpResponse::Ok().json(version_json(&v)))
}

#[derive(Deserialize)]
pub struct ReopenBody {
    reason: String,
}

/// `POST /api/v1/groups/{id}/month-end/{YYYY-MM}/reopen` `{reason}` (admins)
pub async fn reopen(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: web::Json<ReopenBody>,
) -> Result<HttpResponse, ApiError> {
    let (id, raw) = path.into_inner();
    let (group, _) = user.group(&state, &id, GroupRole::Admin).await?;
    let month = month_of(&raw)?;
    let v = month_end::reopen(
        &state.store,
        &group,
        month,
        &body.reason,
        user.user.id,
        Utc::now(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(version_json(&v)))
}

async fn latest(
    state: &AppState,
    group: &Group,
    month: Month,
) -> Result<MonthEndVersion, ApiError> {
    state
        .store
        .latest_month_end(group.id, month)
        .await?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("{month} has never been closed."),
            )
        })
}

/// The pack of a month's latest version.
pub async fn pack_of(
    state: &AppState,
    group: &Group,
    month: Month,
) -> Result<pack::Pack, ApiError> {
    let v = latest(state, group, month).await?;
    let (_, snapshot) = month_end::stored_snapshot(&state.store, &v).await?;
    let commentary = state.store.commentary(v.id).await?;
    pack::build_pack(&snapshot, &v, &commentary).map_err(|e| internal("month-end pack", e))
}

/// `GET /api/v1/groups/{id}/month-end/{YYYY-MM}/diff`: the closed
/// version's snapshot against today's data, line by line (decimals as
/// strings), with the Xero records (invoices, credit notes, bank
/// transactions) of the financial year to date changed since the close.
/// Each line carries the records that moved it and the entity rows of
/// Xero's report that moved. The snapshot is only read.
pub async fn diff(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, raw) = path.into_inner();
    let (group, _) = user.group(&state, &id, GroupRole::Viewer).await?;
    let month = month_of(&raw)?;
    let v = latest(&state, &group, month).await?;
    if !v.is_closed() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_closed",
            format!(
                "{month} was reopened and is not closed: there is no sent snapshot to compare."
            ),
        ));
    }
    let r = month_end::restatement::compare(&state.store, &group, &v).await?;
    let lines: Vec<serde_json::Value> = r
        .lines
        .iter()
        .map(|l| {
            json!({
                "key": l.key,
                "account_name": l.account_name,
                "column": l.column,
                "sent": l.sent.map(|d| d.to_string()),
                "today": l.today.map(|d| d.to_string()),
                "difference": (l.today.unwrap_or_default() - l.sent.unwrap_or_default()).to_string(),
                "records": l.records,
                "entity_rows": l.entity_rows,
                "note": l.note,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "month": month.to_string(),
        "version": v.version,
        "snapshot_hash": v.snapshot_hash,
        "closed_at": v.closed_at,
        "restated": r.is_restated(),
        "lines": lines,
        "records": r.records,
    })))
}

#[derive(Deserialize)]
pub struct PackQuery {
    format: Option<String>,
}

/// `GET /api/v1/groups/{id}/month-end/{YYYY-MM}/pack?format=json|xlsx|pdf`
pub async fn get_pack(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    query: web::Query<PackQuery>,
) -> Result<HttpResponse, ApiError> {
    let (id, raw) = path.into_inner();
    let (group, _) = user.group(&state, &id, GroupRole::Viewer).await?;
    let month = month_of(&raw)?;
    let format = query.format.as_deref().unwrap_or("json");
    if !matches!(format, "json" | "xlsx" | "pdf") {
        return Err(ApiError::invalid(
            format!("unknown format '{format}'"),
            json!({"format": "json, xlsx or pdf"}),
        ));
    }
    let pack = pack_of(&state, &group, month).await?;
    if format == "json" {
        return Ok(HttpResponse::Ok().json(&pack));
    }
    // Typesetting and zipping are CPU work: off the async workers.
    let (bytes, content_type) = if format == "pdf" {
        let bytes = web::block(move || month_end::pack_pdf::render_pdf(&pack))
            .await
            .map_err(|e| internal("pack PDF", e))?
            .map_err(|e| internal("pack PDF", e))?;
        (bytes, "application/pdf")
    } else {
        let bytes = web::block(move || month_end::pack_xlsx::pack_xlsx(&pack))
            .await
            .map_err(|e| internal("pack workbook", e))?
            .map_err(|e| internal("pack workbook", e))?;
        (bytes, XLSX_CONTENT_TYPE)
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"pack-{month}.{format}\""),
        ))
        .body(bytes))
}

#[derive(Deserialize)]
pub struct CommentaryBody {
    section: String,
    body: String,
}

/// `PUT /api/v1/groups/{id}/month-end/{YYYY-MM}/commentary`
/// `{section, body}` (editors): the latest version's commentary on a
/// section; an empty body removes it.
pub async fn put_commentary(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: web::Json<CommentaryBody>,
) -> Result<HttpResponse, ApiError> {
    let (id, raw) = path.into_inner();
    let (group, _) = user.group(&state, &id, GroupRole::Editor).await?;
    let month = month_of(&raw)?;
    let text = body.body.trim();
    let mut errors = serde_json::Map::new();
    if !pack::SECTIONS.iter().any(|(k, _)| *k == body.section) {
        let keys: Vec<&str> = pack::SECTIONS.iter().map(|(k, _)| *k).collect();
        errors.insert(
            "section".into(),
            format!("one of {}", keys.join(", ")).into(),
        );
    }
    if text.chars().count() > pack::MAX_COMMENTARY {
        errors.insert(
            "body".into(),
            format!("at most {} characters", pack::MAX_COMMENTARY).into(),
        );
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid(
            "The commentary is not valid.",
            errors.into(),
        ));
    }
    let v = latest(&state, &group, month).await?;
    state
        .store
        .set_commentary(group.id, &v, &body.section, text, user.user.id, Utc::now())
        .await?;
    Ok(HttpResponse::Ok().json(json!({"section": body.section, "body": text})))
}

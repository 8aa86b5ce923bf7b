//! `GET /api/v1/groups/{id}/reports/balance-sheet?at=YYYY-MM`: the
//! consolidated balance sheet at that month's end (the last complete month
//! when `at` is left out), as JSON or CSV.

use actix_web::{HttpResponse, http::header, web};
use chrono::Utc;
use serde::Deserialize;
use serde_json::json;

use super::{ApiError, ApiUser};
use crate::consolidation;
use crate::domain::Month;
use crate::store::GroupRole;
use crate::web::AppState;

#[derive(Deserialize)]
pub struct AtQuery {
    at: Option<String>,
    format: Option<String>,
}

pub async fn balance_sheet(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<AtQuery>,
) -> Result<HttpResponse, ApiError> {
    let (group, _) = user.group(&state, &path, GroupRole::Viewer).await?;
    let q = query.into_inner();
    let at = match q.at.as_deref() {
        None | Some("") => Month::of(Utc::now().date_naive()).prev(),
        Some(s) => Month::parse(s)
            .map_err(|e| ApiError::invalid(e.to_string(), json!({"at": "a month, YYYY-MM"})))?,
    };
    let format = q.format.as_deref().unwrap_or("json");
    if !matches!(format, "json" | "csv") {
        return Err(ApiError::invalid(
            format!("unknown format '{format}'"),
            json!({"format": "json or csv"}),
        ));
    }
    let report = consolidation::balance_sheet::balance_sheet(&state.store, &group, at).await?;
    if format == "csv" {
        return Ok(HttpResponse::Ok()
            .content_type(crate::export::CSV_CONTENT_TYPE)
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"consolidated-balance-sheet-{at}.csv\""),
            ))
            .body(crate::export::csv::balance_sheet_csv(&report)));
    }
    Ok(HttpResponse::Ok().json(&report))
}

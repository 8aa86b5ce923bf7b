//! `GET /api/v1/groups/{id}/reports/balance-sheet?at=YYYY-MM`: the
//! consolidated balance sheet at that month's end (the last complete month
//! when `at` is left out), as JSON, CSV or Excel, with an optional
//! comparison column (`compare=prior_month|prior_year`).

use actix_web::{HttpResponse, http::StatusCode, http::header, web};
use chrono::Utc;
use serde::Deserialize;
use serde_json::json;

use super::{ApiError, ApiUser};
use crate::consolidation;
use crate::consolidation::bs_compare::CompareWith;
use crate::domain::Month;
use crate::store::GroupRole;
use crate::web::AppState;

/// A 500 whose cause is only logged (`ApiError::error_response`).
fn internal(what: &str, e: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        format!("{what} failed: {e}"),
    )
}

#[derive(Deserialize)]
pub struct AtQuery {
    at: Option<String>,
    format: Option<String>,
    compare: Option<String>,
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
    if !matches!(format, "json" | "csv" | "xlsx") {
        return Err(ApiError::invalid(
            format!("unknown format '{format}'"),
            json!({"format": "json, csv or xlsx"}),
        ));
    }
    let compare = match q.compare.as_deref() {
        None | Some("") | Some("none") => None,
        Some(s) => Some(CompareWith::parse(s).ok_or_else(|| {
            ApiError::invalid(
                format!("unknown comparison '{s}'"),
                json!({"compare": "prior_month, prior_year or none"}),
            )
        })?),
    };
    let report = consolidation::balance_sheet::balance_sheet(&state.store, &group, at).await?;
    let comparison = match compare {
        Some(with) => Some(
            consolidation::bs_compare::comparison(&state.store, &group, at, with)
                .await?
                .0,
        ),
        None => None,
    };
    match format {
        "csv" => Ok(HttpResponse::Ok()
            .content_type(crate::export::CSV_CONTENT_TYPE)
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"consolidated-balance-sheet-{at}.csv\""),
            ))
            .body(crate::export::csv::balance_sheet_csv(&report))),
        "xlsx" => {
            // Zip compression runs off the async threads.
            let name = group.name.clone();
            let bytes = web::block(move || {
                crate::export::balance_sheet_xlsx::balance_sheet_xlsx(
                    &report,
                    comparison.as_ref(),
                    &name,
                )
            })
            .await
            .map_err(|e| internal("xlsx export", e))?
            .map_err(|e| internal("xlsx export", e))?;
            Ok(HttpResponse::Ok()
                .content_type(crate::export::XLSX_CONTENT_TYPE)
                .insert_header((
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"consolidated-balance-sheet-{at}.xlsx\""),
                ))
                .body(bytes))
        }
        _ => {
            let mut v =
                serde_json::to_value(&report).map_err(|e| internal("balance sheet JSON", e))?;
            if let Some(c) = comparison {
                v["comparison"] =
                    serde_json::to_value(c).map_err(|e| internal("balance sheet JSON", e))?;
            }
            Ok(HttpResponse::Ok().json(v))
        }
    }
}

#[derive(Deserialize)]
pub struct CellQuery {
    at: Option<String>,
    line: String,
    column: String,
}

/// `GET /api/v1/groups/{id}/reports/balance-sheet/cell?at=&line=&column=`:
/// what made one cell (rules section 5): Xero's balance-sheet rows and the
/// rate each was translated at, the translation reserve's parts, or the
/// columns a consolidated cell adds up. 404 when there is no such cell.
pub async fn cell(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<CellQuery>,
) -> Result<HttpResponse, ApiError> {
    let (group, _) = user.group(&state, &path, GroupRole::Viewer).await?;
    let q = query.into_inner();
    let at = match q.at.as_deref() {
        None | Some("") => Month::of(Utc::now().date_naive()).prev(),
        Some(s) => Month::parse(s)
            .map_err(|e| ApiError::invalid(e.to_string(), json!({"at": "a month, YYYY-MM"})))?,
    };
    let (input, _) = consolidation::balance_sheet::load(&state.store, &group, at).await?;
    // With the intercompany balances the report eliminates, so a cell's
    // value is the report's.
    let views = state.store.entities_for_group(group.id).await?;
    let (ic, _) = consolidation::ic_balances::load(&state.store, &group, &views, at).await?;
    let report = crate::engine::balance_sheet::consolidate_balance_sheet_with(&input, &ic);
    match crate::engine::bs_cell::balance_sheet_cell(&input, &report, &q.line, &q.column) {
        Some(c) => Ok(HttpResponse::Ok().json(c)),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!(
                "The balance sheet at {at} has no cell at line '{}' and column '{}'.",
                q.line, q.column
            ),
        )),
    }
}

//! The report endpoints: the consolidated P&L as JSON, CSV or Excel, and
//! the intercompany reconciliation as JSON, CSV or Excel.

use std::collections::HashMap;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::{ApiError, ApiUser};
use crate::engine;
use crate::export::{self, CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE};
use crate::store::GroupRole;
use crate::web::AppState;
use crate::web::pages::reports::{PeriodQuery, period_of};

#[derive(Deserialize)]
pub struct ReportQuery {
    from: Option<String>,
    to: Option<String>,
    format: Option<String>,
}

fn period(q: &ReportQuery) -> Result<crate::domain::MonthRange, ApiError> {
    period_of(&PeriodQuery {
        from: q.from.clone(),
        to: q.to.clone(),
    })
    .map_err(|e| ApiError::invalid(e, serde_json::json!({"period": "from and to are YYYY-MM"})))
}

/// What a report is served as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Csv,
    Xlsx,
}

/// `?format=` wins; else the `Accept` header picks CSV or Excel; else JSON.
/// `allowed` lists the formats of the endpoint.
fn format_of(req: &HttpRequest, q: &ReportQuery, allowed: &[Format]) -> Result<Format, ApiError> {
    let names = |f: &Format| match f {
        Format::Json => "json",
        Format::Csv => "csv",
        Format::Xlsx => "xlsx",
    };
    let invalid = |asked: &str| {
        let list: Vec<&str> = allowed.iter().map(names).collect();
        ApiError::invalid(
            format!("unknown format '{asked}'"),
            serde_json::json!({"format": list.join(" or ")}),
        )
    };
    if let Some(asked) = q.format.as_deref() {
        return allowed
            .iter()
            .find(|f| names(f) == asked)
            .copied()
            .ok_or_else(|| invalid(asked));
    }
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let wanted = if accept.contains(XLSX_CONTENT_TYPE) {
        Format::Xlsx
    } else if accept.contains("text/csv") {
        Format::Csv
    } else {
        Format::Json
    };
    Ok(if allowed.contains(&wanted) {
        wanted
    } else {
        Format::Json
    })
}

/// A 500 whose cause is logged under an error id and never sent
/// (`ApiError::error_response`).
fn internal(what: &str, e: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        format!("{what} failed: {e}"),
    )
}

/// A downloaded file.
fn attachment<B>(content_type: &str, name: &str, body: B) -> HttpResponse
where
    B: actix_web::body::MessageBody + 'static,
{
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .body(body)
}

/// Writes a workbook off the async threads (zip compression takes a while
/// on a large group), within the report service's bound on heavy work.
async fn xlsx<F>(state: &AppState, make: F) -> Result<Vec<u8>, ApiError>
where
    F: FnOnce() -> Result<Vec<u8>, export::ExportError> + Send + 'static,
{
    let _turn = state
        .reports
        .gate()
        .enter()
        .await
        .map_err(|_| ApiError::from(crate::reports::ReportError::Busy))?;
    web::block(make)
        .await
        .map_err(|e| internal("xlsx export", e))?
        .map_err(|e| internal("xlsx export", e))
}

pub async fn profit_and_loss(
    req: HttpRequest,
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, ApiError> {
    let (group, _) = user.group(&state, &path, GroupRole::Viewer).await?;
    let period = period(&query)?;
    let format = format_of(&req, &query, &[Format::Json, Format::Csv, Format::Xlsx])?;
    let stem = format!("consolidated-pnl-{}-{}", period.from(), period.to());
    if format == Format::Xlsx {
        // The workbook runs the engine on the report's data itself: one run
        // gives the provenance its eliminations sheet needs.
        let name = group.name.clone();
        let bytes = state
            .reports
            .with_run(&state.store, &group, period, move |run| {
                export::profit_and_loss_xlsx(run.data(), period, &name)
            })
            .await?
            .map_err(|e| internal("xlsx export", e))?;
        return Ok(attachment(
            XLSX_CONTENT_TYPE,
            &format!("{stem}.xlsx"),
            bytes,
        ));
    }
    let run = state
        .reports
        .profit_and_loss(&state.store, &group, period)
        .await?;
    Ok(match format {
        Format::Csv => attachment(
            CSV_CONTENT_TYPE,
            &format!("{stem}.csv"),
            export::profit_and_loss_csv(&run.report),
        ),
        _ => {
            // Profit attributable to owners of the parent and to
            // non-controlling interests, when a subsidiary is below 100%.
            let holdings: Vec<engine::attribution::Holding> = state
                .store
                .ownership(group.id)
                .await?
                .into_iter()
                .map(|o| engine::attribution::Holding {
                    entity: engine::EntityId(o.entity_id),
                    percent: o.percent,
                    acquired: o.acquired,
                })
                .collect();
            match engine::attribution::attribute_profit(&run.report, &holdings) {
                None => HttpResponse::Ok().json(&run.report),
                Some(a) => {
                    let mut v =
                        serde_json::to_value(&run.report).map_err(|e| internal("P&L JSON", e))?;
                    v["profit_attribution"] =
                        serde_json::to_value(a).map_err(|e| internal("P&L JSON", e))?;
                    HttpResponse::Ok().json(v)
                }
            }
        }
    })
}

pub async fn intercompany(
    req: HttpRequest,
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, ApiError> {
    let (group, _) = user.group(&state, &path, GroupRole::Viewer).await?;
    let period = period(&query)?;
    let format = format_of(&req, &query, &[Format::Json, Format::Csv, Format::Xlsx])?;
    let (rec, names) = state
        .reports
        .with_run(&state.store, &group, period, move |run| {
            let names: HashMap<engine::EntityId, String> = run
                .data()
                .entities
                .iter()
                .map(|e| (e.id, e.name.clone()))
                .collect();
            engine::reconcile_intercompany(run.data(), period).map(|rec| (rec, names))
        })
        .await?
        .map_err(|e| internal("reconciliation", e))?;
    let stem = format!("intercompany-{}-{}", period.from(), period.to());
    Ok(match format {
        Format::Xlsx => {
            let bytes = xlsx(&state, move || export::intercompany_xlsx(&rec, &names)).await?;
            attachment(XLSX_CONTENT_TYPE, &format!("{stem}.xlsx"), bytes)
        }
        Format::Csv => attachment(
            CSV_CONTENT_TYPE,
            &format!("{stem}.csv"),
            export::intercompany_csv(&rec, &names),
        ),
        Format::Json => HttpResponse::Ok().json(&rec),
    })
}

#[derive(Deserialize)]
pub struct CellQuery {
    from: Option<String>,
    to: Option<String>,
    line: String,
    column: String,
}

/// `GET /api/v1/groups/{id}/reports/profit-and-loss/cell`: what made one
/// cell: the source amounts (entity, AccountID, month, sync run, rate) and
/// the intercompany invoice lines removed. Its `cell_amount`s add up to the
/// cell.
pub async fn cell(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<CellQuery>,
) -> Result<HttpResponse, ApiError> {
    let (group, _) = user.group(&state, &path, GroupRole::Viewer).await?;
    let q = query.into_inner();
    let period = period(&ReportQuery {
        from: q.from,
        to: q.to,
        format: None,
    })?;
    // The provenance is built on demand from the report's own data.
    let prov = state
        .reports
        .with_run(&state.store, &group, period, move |run| {
            let result = engine::consolidate(run.data(), period)?;
            Ok::<_, engine::EngineError>(
                result
                    .provenance
                    .cell(&q.line, &q.column)
                    .map(serde_json::to_value),
            )
        })
        .await?
        .map_err(|e| internal("consolidation", e))?
        .ok_or_else(ApiError::not_found)?
        .map_err(|e| internal("provenance", e))?;
    Ok(HttpResponse::Ok().json(prov))
}

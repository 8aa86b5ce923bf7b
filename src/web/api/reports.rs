//! The report endpoints: the consolidated P&L as JSON or CSV, and the
//! intercompany reconciliation as JSON.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::{ApiError, ApiUser};
use crate::consolidation;
use crate::engine::{self, ProfitAndLossReport};
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

fn wants_csv(req: &HttpRequest, q: &ReportQuery) -> Result<bool, ApiError> {
    match q.format.as_deref() {
        Some("csv") => Ok(true),
        Some("json") => Ok(false),
        Some(other) => Err(ApiError::invalid(
            format!("unknown format '{other}'"),
            serde_json::json!({"format": "json or csv"}),
        )),
        None => Ok(req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/csv"))),
    }
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
    let csv = wants_csv(&req, &query)?;
    let (_, report) = consolidation::consolidate_group(&state.store, &group, period)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "consolidation failed");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "The report could not be made.",
            )
        })?;
    if csv {
        let name = format!("consolidated-pnl-{}-{}.csv", period.from(), period.to());
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ))
            .body(to_csv(&report)));
    }
    Ok(HttpResponse::Ok().json(&report))
}

/// One row per report line, one column per report column; plain decimals
/// (no separators) so spreadsheets read them as numbers.
pub fn to_csv(report: &ProfitAndLossReport) -> String {
    let mut out = String::new();
    let mut head = vec![
        "section".to_string(),
        "account_code".into(),
        "account_name".into(),
    ];
    head.extend(report.columns.iter().map(|c| c.name.clone()));
    push_row(&mut out, &head);
    for line in &report.lines {
        let section = serde_json::to_value(line.section)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let mut row = vec![
            section,
            line.account_code.clone().unwrap_or_default(),
            line.account_name.clone(),
        ];
        row.extend(
            report
                .columns
                .iter()
                .map(|c| line.values.get(&c.key).unwrap_or_default().to_string()),
        );
        push_row(&mut out, &row);
    }
    out
}

fn push_row(out: &mut String, cells: &[String]) {
    let quoted: Vec<String> = cells
        .iter()
        .map(|c| {
            if c.contains([',', '"', '\n']) {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c.clone()
            }
        })
        .collect();
    out.push_str(&quoted.join(","));
    out.push_str("\r\n");
}

pub async fn intercompany(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, ApiError> {
    let (group, _) = user.group(&state, &path, GroupRole::Viewer).await?;
    let period = period(&query)?;
    let data = consolidation::load(&state.store, &group, period).await?;
    let rec = engine::reconcile_intercompany(&data, period)
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
    Ok(HttpResponse::Ok().json(&rec))
}

//! `GET /api/v1/groups/{id}/reports/intercompany-balances?at=YYYY-MM`: the
//! intercompany balances reconciliation at a month end (the last complete
//! month when `at` is left out): per pair of entities, each side's claim on
//! the other in the presentation currency, the difference, the balances
//! (account, currency, amount, closing rate) and the items behind them.

use std::collections::HashMap;

use actix_web::{HttpResponse, web};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiError, ApiUser};
use crate::domain::Month;
use crate::engine::balance_sheet::BalanceSheetReport;
use crate::store::GroupRole;
use crate::web::AppState;

#[derive(Deserialize)]
pub struct AtQuery {
    at: Option<String>,
}

/// The month asked for, or the last complete one.
pub fn month_of(at: Option<&str>) -> Result<Month, ApiError> {
    match at {
        None | Some("") => Ok(Month::of(Utc::now().date_naive()).prev()),
        Some(s) => Month::parse(s)
            .map_err(|e| ApiError::invalid(e.to_string(), json!({"at": "a month, YYYY-MM"}))),
    }
}

/// The reconciliation's JSON, entities named.
pub fn reconciliation_json(report: &BalanceSheetReport, names: &HashMap<i64, String>) -> Value {
    let name = |id: i64| names.get(&id).cloned();
    json!({
        "at": report.at,
        "currency": report.currency,
        "pairs": report.intercompany_balances.iter().map(|p| json!({
            "entity_id": p.entity.0,
            "entity_name": name(p.entity.0),
            "counterpart_id": p.counterpart.0,
            "counterpart_name": name(p.counterpart.0),
            "entity_side": p.entity_side.to_string(),
            "counterpart_side": p.counterpart_side.to_string(),
            "difference": p.difference.to_string(),
            "balances": p.balances,
            "items": p.items,
        })).collect::<Vec<_>>(),
        "warnings": report.warnings,
    })
}

pub async fn intercompany_balances(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<AtQuery>,
) -> Result<HttpResponse, ApiError> {
    let (group, _) = user.group(&state, &path, GroupRole::Viewer).await?;
    let at = month_of(query.at.as_deref())?;
    let run = state
        .reports
        .balance_sheet(&state.store, &group, at)
        .await?;
    let report = &run.report;
    let names: HashMap<i64, String> = state
        .store
        .entities_for_group(group.id)
        .await?
        .into_iter()
        .map(|e| (e.id, e.name))
        .collect();
    Ok(HttpResponse::Ok().json(reconciliation_json(report, &names)))
}

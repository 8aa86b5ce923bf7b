use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{ApiError, ApiUser};
use crate::domain::CurrencyCode;
use crate::store::{Group, GroupRole, NewGroup};
use crate::web::AppState;

#[derive(Serialize)]
struct GroupJson {
    id: i64,
    name: String,
    presentation_currency: CurrencyCode,
    financial_year_end_month: i32,
    role: &'static str,
}

fn group_json(g: Group, role: GroupRole) -> GroupJson {
    GroupJson {
        id: g.id,
        name: g.name,
        presentation_currency: g.presentation_currency,
        financial_year_end_month: g.financial_year_end_month,
        role: role.as_str(),
    }
}

pub async fn list(user: ApiUser, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let groups: Vec<GroupJson> = state
        .store
        .groups_for_user(user.user.id)
        .await?
        .into_iter()
        .map(|(g, r)| group_json(g, r))
        .collect();
    Ok(HttpResponse::Ok().json(groups))
}

pub async fn get(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (g, r) = user.group(&state, &path, GroupRole::Viewer).await?;
    Ok(HttpResponse::Ok().json(group_json(g, r)))
}

/// `POST /api/v1/groups`: `{name, presentation_currency,
/// financial_year_end_month}`. Fields are read from a JSON object by hand so
/// that a missing or mistyped field is a 422 naming it, like every other
/// invalid input, rather than the JSON parser's 400.
pub async fn create(
    user: ApiUser,
    state: web::Data<AppState>,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let mut errors = serde_json::Map::new();
    let text = |k: &str| body.get(k).and_then(serde_json::Value::as_str);
    let name = text("name").map(str::trim).unwrap_or("");
    if name.is_empty() || name.chars().count() > 100 {
        errors.insert("name".into(), "required: 1 to 100 characters".into());
    }
    let currency = match text("presentation_currency") {
        Some(c) => CurrencyCode::parse(c)
            .map_err(|e| errors.insert("presentation_currency".into(), e.to_string().into()))
            .ok(),
        None => {
            errors.insert(
                "presentation_currency".into(),
                "required: a three-letter currency code".into(),
            );
            None
        }
    };
    let year_end = body
        .get("financial_year_end_month")
        .and_then(serde_json::Value::as_u64)
        .and_then(|m| u32::try_from(m).ok())
        .filter(|m| (1..=12).contains(m));
    if year_end.is_none() {
        errors.insert(
            "financial_year_end_month".into(),
            "required: a month from 1 to 12".into(),
        );
    }
    let (Some(currency), Some(financial_year_end_month), true) =
        (currency, year_end, errors.is_empty())
    else {
        return Err(ApiError::invalid("The group is not valid.", errors.into()));
    };
    let g = state
        .store
        .create_group(
            &NewGroup {
                name,
                presentation_currency: currency,
                financial_year_end_month,
            },
            user.user.id,
            Utc::now(),
        )
        .await?;
    Ok(HttpResponse::Created().json(group_json(g, GroupRole::Admin)))
}

#[derive(Serialize)]
struct EntityJson {
    id: i64,
    tenant_id: String,
    name: String,
    base_currency: CurrencyCode,
    financial_year_end_month: Option<i32>,
    connection_state: String,
    last_synced_at: Option<DateTime<Utc>>,
}

pub async fn entities(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (g, _) = user.group(&state, &path, GroupRole::Viewer).await?;
    let list: Vec<EntityJson> = state
        .store
        .entities_for_group(g.id)
        .await?
        .into_iter()
        .map(|e| EntityJson {
            id: e.id,
            tenant_id: e.tenant_id,
            name: e.name,
            base_currency: e.base_currency,
            financial_year_end_month: e.financial_year_end_month,
            connection_state: e.connection_state,
            last_synced_at: e.last_synced_at,
        })
        .collect();
    Ok(HttpResponse::Ok().json(list))
}

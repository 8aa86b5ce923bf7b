use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

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

#[derive(Deserialize)]
pub struct NewGroupJson {
    name: String,
    presentation_currency: String,
    financial_year_end_month: u32,
}

pub async fn create(
    user: ApiUser,
    state: web::Data<AppState>,
    body: web::Json<NewGroupJson>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let mut errors = serde_json::Map::new();
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        errors.insert("name".into(), "1 to 100 characters".into());
    }
    let currency = CurrencyCode::parse(&body.presentation_currency)
        .map_err(|e| errors.insert("presentation_currency".into(), e.to_string().into()))
        .ok();
    if !(1..=12).contains(&body.financial_year_end_month) {
        errors.insert(
            "financial_year_end_month".into(),
            "a month from 1 to 12".into(),
        );
    }
    let (Some(currency), true) = (currency, errors.is_empty()) else {
        return Err(ApiError::invalid("The group is not valid.", errors.into()));
    };
    let g = state
        .store
        .create_group(
            &NewGroup {
                name,
                presentation_currency: currency,
                financial_year_end_month: body.financial_year_end_month,
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

//! `GET /api/v1/users` and `POST /api/v1/users/{id}/disable|enable`:
//! administrators manage who may sign in. Disabling ends the user's
//! sessions and revokes their API tokens at once.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::Utc;
use serde_json::json;

use super::{ApiError, ApiUser};
use crate::web::AppState;

fn require_admin(user: &ApiUser) -> Result<(), ApiError> {
    if user.user.is_admin {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Only an administrator may manage users.",
        ))
    }
}

pub async fn list(user: ApiUser, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    require_admin(&user)?;
    let users: Vec<_> = state
        .store
        .all_users()
        .await?
        .into_iter()
        .map(|u| {
            json!({
                "id": u.id,
                "email": u.email,
                "name": u.name,
                "is_admin": u.is_admin,
                "disabled_at": u.disabled_at,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(users))
}

pub async fn set_disabled(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    require_admin(&user)?;
    let (id, action) = path.into_inner();
    let id: i64 = id.parse().map_err(|_| ApiError::not_found())?;
    let disable = match action.as_str() {
        "disable" => true,
        "enable" => false,
        _ => return Err(ApiError::not_found()),
    };
    if disable && id == user.user.id {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "self",
            "You cannot disable yourself; ask another administrator.",
        ));
    }
    if state.store.user_by_id(id).await?.is_none() {
        return Err(ApiError::not_found());
    }
    let changed = state
        .store
        .set_user_disabled(id, disable, user.user.id, Utc::now())
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "id": id, "disabled": disable, "changed": changed })))
}

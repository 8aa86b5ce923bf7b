//! Who is calling the API: a bearer API token, or the browser's session
//! (whose state-changing calls must carry `X-CSRF-Token`).

use std::future::Future;
use std::pin::Pin;

use actix_web::http::{Method, StatusCode, header};
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use chrono::Utc;

use super::ApiError;
use crate::auth::token::{constant_time_eq, hash_token};
use crate::store::{Group, GroupRole, User};
use crate::web::AppState;
use crate::web::session::current_session;

#[derive(Debug, Clone)]
pub struct ApiUser {
    pub user: User,
}

/// Reads do not change anything; a read-only token may make only these.
fn is_read(method: &Method) -> bool {
    method == Method::GET || method == Method::HEAD
}

fn unauthorized() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "Sign in, or send Authorization: Bearer <api token>.",
    )
}

impl FromRequest for ApiUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(unauthorized)?
                .clone();
            if let Some(h) = req.headers().get(header::AUTHORIZATION) {
                let token = h
                    .to_str()
                    .ok()
                    .and_then(|v| v.strip_prefix("Bearer "))
                    .ok_or_else(unauthorized)?;
                let (user, read_only) = state
                    .store
                    .api_token_user(&hash_token(token.trim()), Utc::now())
                    .await?
                    .ok_or_else(unauthorized)?;
                if read_only && !is_read(req.method()) {
                    return Err(ApiError::new(
                        StatusCode::FORBIDDEN,
                        "read_only",
                        "This API token may only read.",
                    ));
                }
                return Ok(ApiUser { user });
            }
            let session = current_session(&req)
                .await
                .map_err(|_| unauthorized())?
                .ok_or_else(unauthorized)?;
            if !is_read(req.method()) {
                let sent = req
                    .headers()
                    .get("x-csrf-token")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                if !constant_time_eq(sent.as_bytes(), session.csrf_token.as_bytes()) {
                    return Err(ApiError::new(
                        StatusCode::FORBIDDEN,
                        "csrf",
                        "A session-authenticated change needs the X-CSRF-Token header.",
                    ));
                }
            }
            Ok(ApiUser { user: session.user })
        })
    }
}

impl ApiUser {
    /// The group when this user holds at least `min` in it; 404 otherwise.
    pub async fn group(
        &self,
        state: &AppState,
        raw_id: &str,
        min: GroupRole,
    ) -> Result<(Group, GroupRole), ApiError> {
        let id: i64 = raw_id.parse().map_err(|_| ApiError::not_found())?;
        match state.store.group_for_member(id, self.user.id).await? {
            Some((g, r)) if r >= min => Ok((g, r)),
            Some(_) => Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                format!("This needs the {} role in the group.", min.as_str()),
            )),
            None => Err(ApiError::not_found()),
        }
    }
}

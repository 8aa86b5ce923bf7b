//! `GET /api/v1/session`: who is calling, and for a browser session the
//! CSRF token its state-changing API calls must send as `X-CSRF-Token`, so
//! that a script driving a signed-in session need not scrape a form.

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use serde_json::json;

use super::{ApiError, ApiUser};
use crate::web::AppState;
use crate::web::session::current_session;

pub async fn get(
    req: HttpRequest,
    user: ApiUser,
    _state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    // A bearer token wins over a cookie in `ApiUser`; say which was used.
    let bearer = req.headers().contains_key(header::AUTHORIZATION);
    let csrf = if bearer {
        None
    } else {
        current_session(&req)
            .await
            .ok()
            .flatten()
            .map(|s| s.csrf_token)
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(json!({
            "user": {
                "id": user.user.id,
                "email": user.user.email,
                "name": user.user.name,
            },
            "auth": if bearer { "api_token" } else { "session" },
            "csrf_token": csrf,
        })))
}

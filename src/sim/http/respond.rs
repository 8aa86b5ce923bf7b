//! Response helpers: JSON, plain text, Xero's problem bodies, OAuth errors.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use serde::Serialize;
use uuid::Uuid;

use crate::xero::{OAuthError, ProblemBody};

pub const NOT_FOUND: &str = "The resource you're looking for cannot be found";
pub const JSON: &str = "application/json; charset=utf-8";

pub fn json<T: Serialize>(status: StatusCode, v: &T) -> HttpResponse {
    match serde_json::to_vec(v) {
        Ok(b) => HttpResponse::build(status).content_type(JSON).body(b),
        Err(e) => text(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("could not serialise: {e}"),
        ),
    }
}

pub fn text(status: StatusCode, body: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/plain; charset=utf-8")
        .body(body.to_string())
}

/// 401 or 403 with Xero's problem body.
pub fn problem(status: u16, detail: &str) -> HttpResponse {
    let body = if status == 403 {
        ProblemBody::forbidden(detail, Uuid::new_v4())
    } else {
        ProblemBody::unauthorized(detail, Uuid::new_v4())
    };
    json(
        StatusCode::from_u16(status).unwrap_or(StatusCode::UNAUTHORIZED),
        &body,
    )
}

pub fn oauth_error(status: u16, e: &OAuthError) -> HttpResponse {
    json(
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        e,
    )
}

pub fn html_page(status: StatusCode, title: &str, body: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head><body>{body}</body></html>"
        ))
}

//! Errors of the web layer, each with its status. Internal causes are logged
//! with an error id and never shown: the page says only that something went
//! wrong, and the id, so that a user's report can be found in the log.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("not found")]
    NotFound,
    #[error("sign-in required")]
    LoginRequired { next: String },
    #[error("the form has expired; reload the page and try again")]
    Csrf,
    #[error("{0}")]
    TooManyRequests(String),
    #[error("{0}")]
    Forbidden(String),
    /// A malformed link or query (the message says what was wrong).
    #[error("{0}")]
    BadRequest(String),
    /// Too much heavy work at once: try again shortly (503, `Retry-After`).
    #[error("{0}")]
    Busy(String),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl WebError {
    pub fn internal(msg: &'static str) -> Self {
        Self::Internal(anyhow::anyhow!(msg))
    }
}

impl From<StoreError> for WebError {
    fn from(e: StoreError) -> Self {
        Self::Internal(e.into())
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    title: &'a str,
    message: String,
}

impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::LoginRequired { .. } => StatusCode::SEE_OTHER,
            Self::Csrf => StatusCode::FORBIDDEN,
            Self::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::LoginRequired { next } = self {
            let target = format!("/login?next={}", encode_path(next));
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, target))
                .finish();
        }
        let status = self.status_code();
        let title = status.canonical_reason().unwrap_or("Error");
        let message = match self {
            Self::NotFound => "There is nothing here, or you do not have access to it.".to_string(),
            Self::Internal(cause) => {
                let id = new_error_id();
                tracing::error!(error_id = %id, error = %format!("{cause:#}"), "request failed");
                internal_message(&id)
            }
            other => other.to_string(),
        };
        let mut page = error_page(status, title, message);
        if let Self::Busy(_) = self {
            page.headers_mut().insert(
                header::RETRY_AFTER,
                header::HeaderValue::from(crate::reports::gate::RETRY_AFTER_SECONDS),
            );
        }
        page
    }
}

impl From<crate::reports::ReportError> for WebError {
    fn from(e: crate::reports::ReportError) -> Self {
        match e {
            crate::reports::ReportError::Busy => Self::Busy(e.to_string()),
            other => Self::Internal(other.into()),
        }
    }
}

/// A short random id for one internal error, logged with its cause and
/// shown to the user in its place.
pub fn new_error_id() -> String {
    let mut bytes = [0u8; 6];
    // Without randomness the id still has to be something; the time will do.
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        bytes.copy_from_slice(&nanos.to_be_bytes()[10..]);
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What the user reads instead of an internal error's cause.
pub fn internal_message(id: &str) -> String {
    format!("Something went wrong on our side. It has been logged with error id {id}.")
}

/// An HTML error page with the given status.
pub fn error_page(status: StatusCode, title: &str, message: String) -> HttpResponse {
    let page = ErrorPage {
        status: status.as_u16(),
        title,
        message,
    };
    match page.render() {
        Ok(html) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(html),
        Err(_) => HttpResponse::build(status).body(title.to_string()),
    }
}

/// The default service: an HTML 404 for any unknown path.
pub async fn not_found() -> HttpResponse {
    WebError::NotFound.error_response()
}

/// Percent-encodes a path for a query parameter (only what a path holds).
fn encode_path(p: &str) -> String {
    p.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

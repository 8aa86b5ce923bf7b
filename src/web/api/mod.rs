//! The JSON API (`/api/v1`): the same store functions as the pages, with
//! a session cookie or `Authorization: Bearer <api token>`. Errors are
//! `{"error": {"code", "message", "details"?}}`; decimals are strings.

mod auth;
mod balance_sheet;
mod chart;
mod error_shape;
mod groups;
pub mod ic_accounts;
mod ic_balances;
pub mod month_end;
pub mod ownership;
pub mod pack_delivery;
pub mod reports;
mod session;
pub mod setup;
mod sync;
mod users;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError, web};
use serde::Serialize;

pub use auth::ApiUser;

use crate::store::StoreError;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .wrap(error_shape::middleware())
            .app_data(web::PayloadConfig::new(error_shape::MAX_BODY_BYTES))
            .app_data(
                web::JsonConfig::default()
                    .limit(error_shape::MAX_BODY_BYTES)
                    .error_handler(|e, _| bad_input(e)),
            )
            .app_data(web::QueryConfig::default().error_handler(|e, _| bad_input(e)))
            .route("/session", web::get().to(session::get))
            .route("/users", web::get().to(users::list))
            .route("/users/{id}/{action}", web::post().to(users::set_disabled))
            .route("/groups", web::get().to(groups::list))
            .route("/groups", web::post().to(groups::create))
            .route("/groups/{id}", web::get().to(groups::get))
            .route("/groups/{id}/entities", web::get().to(groups::entities))
            .route("/groups/{id}/sync", web::post().to(sync::start))
            .route("/sync-runs/{id}", web::get().to(sync::run))
            .route("/groups/{id}/fx-rates", web::get().to(setup::get_fx_rates))
            .route("/groups/{id}/fx-rates", web::put().to(setup::put_fx_rates))
            .route(
                "/groups/{id}/account-mappings",
                web::get().to(setup::get_mappings),
            )
            .route(
                "/groups/{id}/account-mappings",
                web::put().to(setup::put_mappings),
            )
            .route("/groups/{id}/chart", web::post().to(chart::post_chart))
            .route(
                "/groups/{id}/apply-suggestions",
                web::post().to(chart::apply_suggestions),
            )
            .route(
                "/groups/{id}/ownership",
                web::get().to(ownership::get_ownership),
            )
            .route(
                "/groups/{id}/ownership",
                web::put().to(ownership::put_ownership),
            )
            .route(
                "/groups/{id}/intercompany-accounts",
                web::get().to(ic_accounts::get_accounts),
            )
            .route(
                "/groups/{id}/intercompany-accounts",
                web::put().to(ic_accounts::put_accounts),
            )
            .route(
                "/groups/{id}/intercompany-contacts",
                web::get().to(setup::get_contacts),
            )
            .route(
                "/groups/{id}/intercompany-contacts",
                web::put().to(setup::put_contacts),
            )
            .route(
                "/groups/{id}/reports/profit-and-loss",
                web::get().to(reports::profit_and_loss),
            )
            .route(
                "/groups/{id}/reports/profit-and-loss/cell",
                web::get().to(reports::cell),
            )
            .route(
                "/groups/{id}/reports/balance-sheet",
                web::get().to(balance_sheet::balance_sheet),
            )
            .route(
                "/groups/{id}/reports/balance-sheet/cell",
                web::get().to(balance_sheet::cell),
            )
            .route(
                "/groups/{id}/reports/intercompany",
                web::get().to(reports::intercompany),
            )
            .route(
                "/groups/{id}/reports/intercompany-balances",
                web::get().to(ic_balances::intercompany_balances),
            )
            .route("/groups/{id}/month-end", web::get().to(month_end::list))
            .route(
                "/groups/{id}/month-end/{month}/close",
                web::post().to(month_end::close),
            )
            .route(
                "/groups/{id}/month-end/{month}/reopen",
                web::post().to(month_end::reopen),
            )
            .route(
                "/groups/{id}/month-end/{month}/pack",
                web::get().to(month_end::get_pack),
            )
            .route(
                "/groups/{id}/month-end/{month}/diff",
                web::get().to(month_end::diff),
            )
            .route(
                "/groups/{id}/month-end/{month}/commentary",
                web::put().to(month_end::put_commentary),
            )
            .route(
                "/groups/{id}/month-end/{month}/send",
                web::post().to(pack_delivery::send_now),
            )
            .route(
                "/groups/{id}/pack-schedule",
                web::get().to(pack_delivery::get_schedule),
            )
            .route(
                "/groups/{id}/pack-schedule",
                web::put().to(pack_delivery::put_schedule),
            )
            .route(
                "/groups/{id}/deliveries",
                web::get().to(pack_delivery::list_deliveries),
            )
            .route(
                "/groups/{id}/deliveries/{delivery}/approve",
                web::post().to(pack_delivery::approve),
            )
            .default_service(web::to(|| async { ApiError::not_found().error_response() })),
    );
}

/// A body or query string the extractors refuse, in the error shape (and
/// with their status) instead of actix-web's plain text.
fn bad_input(e: impl ResponseError) -> actix_web::Error {
    ApiError::new(e.status_code(), "bad_request", e.to_string()).into()
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Option<serde_json::Value>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: None,
        }
    }

    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "No such resource, or no access to it.",
        )
    }

    pub fn invalid(message: impl Into<String>, details: serde_json::Value) -> Self {
        Self {
            details: Some(details),
            ..Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message)
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorInner<'a>,
}

#[derive(Serialize)]
struct ErrorInner<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<&'a serde_json::Value>,
    /// For a server error: the id its cause is logged under.
    #[serde(skip_serializing_if = "Option::is_none")]
    error_id: Option<&'a str>,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        // An internal error's message is its cause (database, engine):
        // logged under an id, never sent. Other 5xx answers (501 "not
        // available yet", 503 "busy") are written for the user and kept.
        if self.status == StatusCode::INTERNAL_SERVER_ERROR || self.code == "internal" {
            let id = crate::web::error::new_error_id();
            tracing::error!(error_id = %id, code = self.code, error = %self.message, "API request failed");
            let message = crate::web::error::internal_message(&id);
            return HttpResponse::build(self.status).json(ErrorBody {
                error: ErrorInner {
                    code: self.code,
                    message: &message,
                    details: None,
                    error_id: Some(&id),
                },
            });
        }
        let mut answer = HttpResponse::build(self.status);
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            answer.insert_header((
                actix_web::http::header::RETRY_AFTER,
                crate::reports::gate::RETRY_AFTER_SECONDS.to_string(),
            ));
        }
        answer.json(ErrorBody {
            error: ErrorInner {
                code: self.code,
                message: &self.message,
                details: self.details.as_ref(),
                error_id: None,
            },
        })
    }
}

impl From<crate::reports::ReportError> for ApiError {
    /// Busy is a 503 the client can retry; anything else is internal.
    fn from(e: crate::reports::ReportError) -> Self {
        match e {
            crate::reports::ReportError::Busy => {
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "busy", e.to_string())
            }
            other => Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                other.to_string(),
            ),
        }
    }
}

impl From<StoreError> for ApiError {
    /// A 500 whose message, the cause, is only logged.
    fn from(e: StoreError) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
    }
}

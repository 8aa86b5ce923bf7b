use actix_web::{HttpResponse, web};

use crate::web::AppState;

/// 200 when the database answers, 503 otherwise. Used by the Dockerfile's
/// HEALTHCHECK and by load balancers. Asked on a connection of its own
/// (`AppState::health`), so it never waits behind the pages' queries.
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    match state.health.ping().await {
        Ok(()) => HttpResponse::Ok().json(serde_json::json!({
            "status": "ok",
            "database": state.store.backend(),
        })),
        Err(e) => {
            tracing::warn!(error = %e, "health check: database unreachable");
            HttpResponse::ServiceUnavailable().json(serde_json::json!({
                "status": "unavailable",
                "database": state.store.backend(),
            }))
        }
    }
}

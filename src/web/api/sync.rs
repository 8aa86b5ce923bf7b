use actix_web::{HttpResponse, web};
use serde::Serialize;

use super::{ApiError, ApiUser};
use crate::store::GroupRole;
use crate::sync::{self, SyncKind};
use crate::web::AppState;

/// `POST /api/v1/groups/{id}/sync`: queues an incremental sync of every
/// connected entity; answers the run ids at once.
pub async fn start(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (g, _) = user.group(&state, &path, GroupRole::Editor).await?;
    let entities = state.store.entities_for_group(g.id).await?;
    // Nothing can sync: say why instead of queueing nothing.
    if !entities.is_empty() && entities.iter().all(|e| e.connection_state != "connected") {
        let names: Vec<&str> = entities.iter().map(|e| e.name.as_str()).collect();
        return Err(ApiError::new(
            actix_web::http::StatusCode::CONFLICT,
            "needs_reconnecting",
            format!(
                "Nothing to sync: every entity {} ({}). Reconnect them from the group page.",
                crate::connect::NEEDS_RECONNECTING,
                names.join(", ")
            ),
        ));
    }
    let mut run_ids = Vec::new();
    for e in entities {
        if e.connection_state != "connected" {
            continue;
        }
        let id = sync::enqueue(&state.store, e.organisation_id, SyncKind::Incremental)
            .await
            .map_err(|e| {
                ApiError::new(
                    actix_web::http::StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    e.message,
                )
            })?;
        run_ids.push(id);
    }
    Ok(HttpResponse::Accepted().json(serde_json::json!({ "run_ids": run_ids })))
}

#[derive(Serialize)]
struct RunJson {
    id: i64,
    entity_id: Option<i64>,
    organisation_id: i64,
    kind: String,
    state: String,
    progress: Progress,
    calls: i32,
    calls_by_endpoint: serde_json::Value,
    rows_inserted: i32,
    rows_updated: i32,
    error: Option<String>,
    started_at: Option<chrono::DateTime<chrono::Utc>>,
    finished_at: Option<chrono::DateTime<chrono::Utc>>,
    /// While `state` is `retrying`: when the run tries again.
    retry_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Serialize)]
struct Progress {
    done: i32,
    total: i32,
}

/// `GET /api/v1/sync-runs/{id}`: only for members of a group that holds
/// the organisation.
pub async fn run(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id: i64 = path.parse().map_err(|_| ApiError::not_found())?;
    let run = state
        .store
        .sync_run(id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let mut entity_id = None;
    for (g, _) in state.store.groups_for_user(user.user.id).await? {
        if let Some(e) = state
            .store
            .entities_for_group(g.id)
            .await?
            .into_iter()
            .find(|e| e.organisation_id == run.organisation_id)
        {
            entity_id = Some(e.id);
            break;
        }
    }
    let Some(entity_id) = entity_id else {
        return Err(ApiError::not_found());
    };
    Ok(HttpResponse::Ok().json(RunJson {
        id: run.id,
        entity_id: Some(entity_id),
        organisation_id: run.organisation_id,
        kind: run.kind,
        state: run.state,
        progress: Progress {
            done: run.progress_done,
            total: run.progress_total,
        },
        calls: run.calls,
        calls_by_endpoint: serde_json::from_str(&run.calls_by_endpoint).unwrap_or_default(),
        rows_inserted: run.rows_inserted,
        rows_updated: run.rows_updated,
        error: run.error,
        started_at: run.started_at,
        finished_at: run.finished_at,
        retry_at: run.retry_at,
    }))
}

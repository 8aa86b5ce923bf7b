//! `POST /groups/{id}/mappings/chart`: a group admin starts the group's
//! chart of accounts from one entity's chart, and the other entities'
//! accounts get suggestions to review on the mappings page.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::Utc;
use serde::Deserialize;

use crate::consolidation::{self, chart::ChartStart};
use crate::store::GroupRole;
use crate::web::pages::groups::require_role;
use crate::web::{AppState, CurrentUser, WebError};

#[derive(Deserialize)]
pub struct StartForm {
    csrf_token: String,
    entity: String,
}

fn back(group_id: i64, query: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            format!("/groups/{group_id}/mappings?{query}"),
        ))
        .finish()
}

pub async fn start(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<StartForm>,
) -> Result<HttpResponse, WebError> {
    let form = form.into_inner();
    user.check_csrf(&form.csrf_token)?;
    let group_id: i64 = path.parse().map_err(|_| WebError::NotFound)?;
    let (group, _) = require_role(&state, &user, group_id, GroupRole::Admin).await?;
    let entity_id: i64 = form.entity.parse().map_err(|_| WebError::NotFound)?;
    let entity = state
        .store
        .entity_in_group(group.id, entity_id)
        .await?
        .ok_or(WebError::NotFound)?;
    let now = Utc::now();
    let by = Some(user.user.id);
    match consolidation::chart::start_from_entity(&state.store, group.id, &entity, by, now).await? {
        ChartStart::Started { accounts } => {
            // The other entities' accounts get suggestions (not confirmed):
            // the user reviews them on the page this redirects to.
            consolidation::apply_suggestions(&state.store, &group, false, by, now).await?;
            Ok(back(group.id, &format!("chart=started&n={accounts}")))
        }
        ChartStart::NotEmpty(_) => Ok(back(group.id, "chart=exists")),
        ChartStart::NoAccounts => Ok(back(group.id, "chart=no_accounts")),
    }
}

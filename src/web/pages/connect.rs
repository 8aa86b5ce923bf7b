//! Connecting Xero to a group: the consent round trip, Custom Connections
//! and disconnecting. Outcomes come back to the group page as a notice.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::connect::flow::{self, ConnectError, Connected};
use crate::store::{Group, GroupRole};
use crate::sync::{self, SyncKind};
use crate::web::pages::groups::require_role;
use crate::web::pages::{Nav, render};
use crate::web::{AppState, CurrentUser, WebError};

#[derive(Deserialize)]
pub struct StartQuery {
    group: String,
}

#[derive(Deserialize)]
pub struct StartForm {
    group: String,
    csrf_token: String,
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    state: Option<String>,
    code: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct CustomForm {
    client_id: String,
    client_secret: String,
    csrf_token: String,
}

#[derive(Deserialize)]
pub struct DisconnectForm {
    csrf_token: String,
    /// `delete` removes the synced data too; anything else keeps it.
    #[serde(default)]
    data: String,
    /// `yes` once the admin has seen what the disconnect removes with the
    /// entity (ownership, accounts marked intercompany).
    #[serde(default)]
    confirm: String,
}

fn redirect(to: String) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .finish()
}

fn connected_notice(c: &Connected) -> String {
    format!(
        "/groups/{}?notice=connected&count={}",
        c.group_id,
        c.organisations.len()
    )
}

/// Queues the first sync of the organisations just connected (and of any
/// connected entity of the group never synced), so that the group page
/// shows their progress at once instead of waiting for the scheduler. A
/// queued sync of the same organisation is reused, never doubled.
async fn start_syncs(state: &AppState, c: &Connected) {
    let entities = match state.store.entities_for_group(c.group_id).await {
        Ok(e) => e,
        Err(e) => {
            tracing::error!(error = %e, group = c.group_id, "could not queue the first sync");
            return;
        }
    };
    for e in entities {
        let just_connected = c.organisations.iter().any(|n| n == &e.name);
        if e.connection_state != "connected" || !(just_connected || e.last_synced_at.is_none()) {
            continue;
        }
        if let Err(err) =
            sync::enqueue(&state.store, e.organisation_id, SyncKind::Incremental).await
        {
            // The connection stands; the scheduler will sync it later.
            tracing::error!(error = %err.message, entity = e.id, "could not queue the first sync");
        }
    }
}

/// The group page with an error code the page explains.
fn error_redirect(group_id: i64, e: &ConnectError) -> HttpResponse {
    let code = match e {
        ConnectError::NotConfigured => "not_configured",
        ConnectError::BadState => "expired",
        ConnectError::Denied { .. } => "denied",
        ConnectError::CodeRejected { .. } => "code_rejected",
        ConnectError::BadCredentials { .. } => "bad_credentials",
        ConnectError::NothingGranted { .. } => "nothing_granted",
        _ => "xero_unavailable",
    };
    redirect(format!("/groups/{group_id}?error={code}"))
}

#[derive(Template)]
#[template(path = "connect.html")]
struct ConnectPage {
    nav: Nav,
    group: Group,
}

/// `GET /connect/xero?group={id}`: a page with the form that starts the
/// consent. A GET never starts one itself: a link from another site could
/// otherwise send a signed-in user to Xero to connect an organisation
/// they did not mean to (links from Consol's own pages land here).
pub async fn start_page(
    user: CurrentUser,
    state: web::Data<AppState>,
    query: web::Query<StartQuery>,
) -> Result<HttpResponse, WebError> {
    let group_id: i64 = query.group.parse().map_err(|_| WebError::NotFound)?;
    let (group, _) = require_role(&state, &user, group_id, GroupRole::Editor).await?;
    let mut page = render(
        StatusCode::OK,
        &ConnectPage {
            nav: Nav::of(&user),
            group,
        },
    )?;
    // The form's answer redirects to Xero, and browsers hold a form's
    // redirects to the page's `form-action`: this page alone lets its form
    // reach Xero's authorize origin (the headers middleware keeps a header
    // a handler set).
    let authorize = state
        .xero
        .oauth
        .as_ref()
        .and_then(|o| reqwest::Url::parse(&o.endpoints().authorize).ok())
        .map(|u| u.origin().ascii_serialization())
        .filter(|o| o != "null")
        .map(|o| format!(" {o}"))
        .unwrap_or_default();
    let csp = format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         object-src 'none'; base-uri 'self'; form-action 'self'{authorize}; frame-ancestors 'none'"
    );
    if let Ok(v) = header::HeaderValue::from_str(&csp) {
        page.headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, v);
    }
    Ok(page)
}

/// `POST /connect/xero` (`group`, `csrf_token`): off to Xero's consent page.
pub async fn start(
    user: CurrentUser,
    state: web::Data<AppState>,
    form: web::Form<StartForm>,
) -> Result<HttpResponse, WebError> {
    let form = form.into_inner();
    user.check_csrf(&form.csrf_token)?;
    let group_id: i64 = form.group.parse().map_err(|_| WebError::NotFound)?;
    require_role(&state, &user, group_id, GroupRole::Editor).await?;
    match flow::start(
        &state.xero,
        &state.store,
        user.user.id,
        group_id,
        user.token_hash(),
    )
    .await
    {
        Ok(url) => Ok(redirect(url)),
        Err(e) => Ok(error_redirect(group_id, &e)),
    }
}

/// `GET /connect/xero/callback`: Xero sends the browser back here.
pub async fn callback(
    user: CurrentUser,
    state: web::Data<AppState>,
    query: web::Query<CallbackQuery>,
) -> Result<HttpResponse, WebError> {
    let q = query.into_inner();
    let result = flow::finish(
        &state.xero,
        &state.store,
        user.user.id,
        user.token_hash(),
        q.state.as_deref().unwrap_or(""),
        q.code.as_deref(),
        q.error.as_deref(),
    )
    .await;
    match result {
        Ok(c) => {
            start_syncs(&state, &c).await;
            Ok(redirect(connected_notice(&c)))
        }
        Err(ConnectError::NotAllowed) => Err(WebError::Forbidden(
            "You are no longer an editor of the group this Xero connection was started for, \
             so nothing was connected. Ask a group administrator."
                .into(),
        )),
        Err(e) => {
            tracing::info!(error = %e, "Xero connection not completed");
            match e.group_id() {
                Some(g) => Ok(error_redirect(g, &e)),
                None => match e {
                    ConnectError::Store(s) => Err(s.into()),
                    ConnectError::Token(t) => Err(WebError::Internal(t.into())),
                    _ => Ok(redirect("/groups?error=expired".into())),
                },
            }
        }
    }
}

/// `POST /groups/{id}/custom-connections` (group admins).
pub async fn add_custom(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<CustomForm>,
) -> Result<HttpResponse, WebError> {
    let form = form.into_inner();
    user.check_csrf(&form.csrf_token)?;
    let group_id: i64 = path.parse().map_err(|_| WebError::NotFound)?;
    require_role(&state, &user, group_id, GroupRole::Admin).await?;
    if form.client_id.trim().is_empty() || form.client_secret.trim().is_empty() {
        return Ok(redirect(format!(
            "/groups/{group_id}?error=bad_credentials"
        )));
    }
    match flow::add_custom(
        &state.xero,
        &state.store,
        user.user.id,
        group_id,
        &form.client_id,
        &form.client_secret,
    )
    .await
    {
        Ok(c) => {
            start_syncs(&state, &c).await;
            Ok(redirect(connected_notice(&c)))
        }
        Err(ConnectError::Store(e)) => Err(e.into()),
        Err(e) => Ok(error_redirect(group_id, &e)),
    }
}

/// `POST /groups/{id}/entities/{entity}/disconnect` (group admins).
pub async fn disconnect(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    form: web::Form<DisconnectForm>,
) -> Result<HttpResponse, WebError> {
    let form = form.into_inner();
    user.check_csrf(&form.csrf_token)?;
    let (g, e) = path.into_inner();
    let group_id: i64 = g.parse().map_err(|_| WebError::NotFound)?;
    let entity_id: i64 = e.parse().map_err(|_| WebError::NotFound)?;
    let (group, _) = require_role(&state, &user, group_id, GroupRole::Admin).await?;
    let entity = state
        .store
        .entity_in_group(group_id, entity_id)
        .await?
        .ok_or(WebError::NotFound)?;
    if form.confirm != "yes" {
        let lost = setup_lost_with(&state.store, group_id, entity.id).await?;
        if !lost.is_empty() {
            let page = DisconnectConfirmPage {
                nav: Nav::of(&user),
                group,
                entity_id: entity.id,
                entity_name: entity.name.clone(),
                data: form.data,
                lost,
            };
            return render(StatusCode::OK, &page);
        }
    }
    flow::disconnect(
        &state.xero,
        &state.store,
        user.user.id,
        &entity,
        form.data == "delete",
    )
    .await
    .map_err(|e| WebError::Internal(e.into()))?;
    Ok(redirect(format!("/groups/{group_id}?notice=disconnected")))
}

#[derive(Template)]
#[template(path = "disconnect_confirm.html")]
struct DisconnectConfirmPage {
    nav: Nav,
    group: Group,
    entity_id: i64,
    entity_name: String,
    /// The synced-data choice the admin made, carried to the confirmation.
    data: String,
    lost: Vec<String>,
}

/// What the database removes with an entity besides its intercompany
/// contact decisions (those are set aside for a reconnection): ownership
/// rows of it or by it, with their contributions, and accounts marked
/// intercompany on it or with it as the counterpart. Losing a subsidiary's
/// acquisition set-up silently would change the balance sheet, so the
/// admin is shown this list and asked first.
async fn setup_lost_with(
    store: &crate::store::Store,
    group_id: i64,
    entity_id: i64,
) -> Result<Vec<String>, crate::store::StoreError> {
    let views = store.entities_for_group(group_id).await?;
    let name = |id: i64| {
        views
            .iter()
            .find(|v| v.id == id)
            .map(|v| v.name.clone())
            .unwrap_or_else(|| format!("entity {id}"))
    };
    let mut lost = Vec::new();
    for o in store.ownership(group_id).await? {
        if o.entity_id == entity_id || o.owner_entity_id == entity_id {
            lost.push(format!(
                "{}'s ownership: {}% held by {} since {}{}",
                name(o.entity_id),
                o.percent,
                name(o.owner_entity_id),
                o.acquired,
                match o.contributions.len() {
                    0 => String::new(),
                    n => format!(", with {n} later contribution(s)"),
                }
            ));
        }
    }
    // Each organisation's chart is read once, for the accounts' names.
    let mut charts: std::collections::HashMap<i64, Vec<crate::store::StoredAccount>> =
        std::collections::HashMap::new();
    for a in store.intercompany_accounts(group_id).await? {
        if a.entity_id != entity_id && a.counterpart_entity_id != entity_id {
            continue;
        }
        let mut account = None;
        if let Some(v) = views.iter().find(|v| v.id == a.entity_id) {
            if let std::collections::hash_map::Entry::Vacant(slot) = charts.entry(v.organisation_id)
            {
                slot.insert(store.accounts_of(v.organisation_id).await?);
            }
            account = charts[&v.organisation_id]
                .iter()
                .find(|x| x.account_id == a.account_id)
                .map(|x| x.name.clone());
        }
        let account = account.unwrap_or_else(|| a.account_id.clone());
        lost.push(format!(
            "{}'s account {account}, marked intercompany with {}",
            name(a.entity_id),
            name(a.counterpart_entity_id)
        ));
    }
    Ok(lost)
}

pub mod account;
pub mod admin;
pub mod auth;
pub mod balance_sheet;
pub mod chart;
pub mod connect;
pub mod dashboard;
pub mod groups;
pub mod health;
pub mod ic_accounts;
pub mod ic_balances;
pub mod month_end;
pub mod ownership;
pub mod pack_delivery;
pub mod periods;
pub mod reconciliation;
pub mod reports;
pub mod setup;

/// What the layout shows for a signed-in user: the nav and the logout
/// form's CSRF token.
pub struct Nav {
    pub email: String,
    pub csrf_token: String,
    /// Administrators see the users page in the nav.
    pub is_admin: bool,
}

impl Nav {
    pub fn of(user: &super::CurrentUser) -> Self {
        Self {
            email: user.user.email.clone(),
            csrf_token: user.csrf_token().to_string(),
            is_admin: user.user.is_admin,
        }
    }
}

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;

use super::WebError;

/// Renders a page with a status (forms answer 422 with their errors).
pub fn render(status: StatusCode, page: &impl Template) -> Result<HttpResponse, WebError> {
    let html = page
        .render()
        .map_err(|e| WebError::Internal(anyhow::anyhow!("template: {e}")))?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(html))
}

/// [`render`] on the blocking pool, a bounded number at once
/// (`PageCaches::renders`): a large page's template is milliseconds of
/// CPU, which on an actix worker would hold up every request that worker
/// serves (`/healthz`, sign-in, static files) behind it. Not within the
/// report service's gate: a page whose reports are built renders even
/// while cold reports hold every turn at heavy work.
pub async fn render_off_workers<T: Template + Send + 'static>(
    state: &super::AppState,
    status: StatusCode,
    page: T,
) -> Result<HttpResponse, WebError> {
    let _turn = state
        .pages
        .renders
        .acquire()
        .await
        .map_err(|_| WebError::internal("page rendering has shut down"))?;
    let html = tokio::task::spawn_blocking(move || page.render())
        .await
        .map_err(|e| WebError::Internal(anyhow::anyhow!("page rendering: {e}")))?
        .map_err(|e| WebError::Internal(anyhow::anyhow!("template: {e}")))?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(html))
}

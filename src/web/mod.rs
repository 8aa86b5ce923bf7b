//! The web layer: HTML pages (askama templates in `templates/`), static
//! files, and later the JSON API. Handlers read the store; none calls Xero.

pub mod api;
pub mod assets;
mod csrf;
pub(crate) mod error;
pub mod format;
mod headers;
mod page_cache;
mod pages;
pub(crate) mod session;
pub mod webhooks;

/// The pages' period and query parsers, public for the property tests
/// (`tests/sim/parsers_fuzz.rs`).
pub mod parsers {
    pub use super::pages::periods::{parse_choice, within_limit};
    pub use super::pages::reports::{PeriodQuery, period_of};
}

use actix_web::web;

use std::sync::Arc;

use crate::config::Settings;
use crate::connect::XeroServices;
use crate::store::Store;

pub use error::{WebError, not_found};
pub use session::{CurrentUser, SESSION_COOKIE};

/// Everything a handler may need, shared by all workers of the server.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub settings: Settings,
    pub xero: Arc<XeroServices>,
    /// The report service: every consolidated report goes through it.
    pub reports: Arc<crate::reports::Reports>,
    /// Page parts built from a report, kept per data version.
    pub pages: Arc<page_cache::PageCaches>,
    /// `/healthz`'s own connection to the database (`Store::health_check_store`).
    pub health: Store,
}

/// Registers every route. Used by the server and by tests alike.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(pages::health::healthz))
        .route("/static/{path}", web::get().to(assets::serve))
        .route("/", web::get().to(pages::auth::home))
        .route("/login", web::get().to(pages::auth::login_page))
        .route("/login", web::post().to(pages::auth::login))
        .route("/logout", web::post().to(pages::auth::logout))
        .route("/setup", web::get().to(pages::auth::setup_page))
        .route("/setup", web::post().to(pages::auth::setup))
        .route("/groups", web::get().to(pages::groups::list))
        .route("/groups", web::post().to(pages::groups::create))
        .route("/groups/{id}", web::get().to(pages::groups::show))
        .route("/groups/{id}/sync", web::post().to(pages::groups::sync_now))
        .route("/groups/{id}/rates", web::get().to(pages::setup::rates))
        .route(
            "/groups/{id}/rates/table",
            web::post().to(pages::setup::save_rates_table),
        )
        .route(
            "/groups/{id}/rates",
            web::post().to(pages::setup::save_rates),
        )
        .route(
            "/groups/{id}/mappings",
            web::get().to(pages::setup::mappings),
        )
        .route(
            "/groups/{id}/mappings/chart",
            web::post().to(pages::chart::start),
        )
        .route(
            "/groups/{id}/mappings",
            web::post().to(pages::setup::save_mappings),
        )
        .route(
            "/groups/{id}/intercompany",
            web::get().to(pages::setup::intercompany),
        )
        .route(
            "/groups/{id}/intercompany",
            web::post().to(pages::setup::save_intercompany),
        )
        .route(
            "/groups/{id}/ownership",
            web::get().to(pages::ownership::page),
        )
        .route(
            "/groups/{id}/ownership",
            web::post().to(pages::ownership::save),
        )
        .route(
            "/groups/{id}/intercompany-accounts",
            web::get().to(pages::ic_accounts::page),
        )
        .route(
            "/groups/{id}/intercompany-accounts",
            web::post().to(pages::ic_accounts::save),
        )
        .route("/groups/{id}/members", web::get().to(pages::admin::members))
        .route(
            "/groups/{id}/members",
            web::post().to(pages::admin::add_member),
        )
        .route(
            "/groups/{id}/members/{user}/role",
            web::post().to(pages::admin::change_role),
        )
        .route(
            "/groups/{id}/members/{user}/remove",
            web::post().to(pages::admin::remove_member),
        )
        .route("/groups/{id}/audit", web::get().to(pages::admin::audit))
        .route(
            "/account/api-tokens",
            web::get().to(pages::admin::api_tokens),
        )
        .route(
            "/account/api-tokens",
            web::post().to(pages::admin::create_api_token),
        )
        .route(
            "/account/api-tokens/{id}/revoke",
            web::post().to(pages::admin::revoke_api_token),
        )
        .route("/account", web::get().to(pages::account::show))
        .route(
            "/account/password",
            web::post().to(pages::account::change_password),
        )
        .route(
            "/account/sign-out-everywhere",
            web::post().to(pages::account::sign_out_everywhere),
        )
        .route("/admin/users", web::get().to(pages::account::users))
        .route(
            "/admin/outbox",
            web::get().to(pages::pack_delivery::outbox_page),
        )
        .route(
            "/admin/outbox/{file}",
            web::get().to(pages::pack_delivery::outbox_message),
        )
        .route(
            "/admin/users/{id}/{action}",
            web::post().to(pages::account::set_disabled),
        )
        .route("/connect/xero", web::get().to(pages::connect::start_page))
        .route("/connect/xero", web::post().to(pages::connect::start))
        .route(
            "/connect/xero/callback",
            web::get().to(pages::connect::callback),
        )
        .route(
            "/groups/{id}/custom-connections",
            web::post().to(pages::connect::add_custom),
        )
        .route(
            "/groups/{id}/entities/{entity}/disconnect",
            web::post().to(pages::connect::disconnect),
        )
        .route(
            "/groups/{id}/reports/profit-and-loss",
            web::get().to(pages::reports::profit_and_loss),
        )
        .route(
            "/groups/{id}/reports/cell",
            web::get().to(pages::reports::cell),
        )
        .route(
            "/groups/{id}/reports/balance-sheet",
            web::get().to(pages::balance_sheet::page),
        )
        .route(
            "/groups/{id}/reports/balance-sheet/cell",
            web::get().to(pages::balance_sheet::cell_page),
        )
        .route(
            "/groups/{id}/reports/intercompany",
            web::get().to(pages::reconciliation::page),
        )
        .route(
            "/groups/{id}/reports/intercompany-balances",
            web::get().to(pages::ic_balances::page),
        )
        .route(
            "/groups/{id}/month-end",
            web::get().to(pages::month_end::overview),
        )
        // Before `{month}`, which would match these names.
        .route(
            "/groups/{id}/month-end/schedule",
            web::get().to(pages::pack_delivery::schedule_form),
        )
        .route(
            "/groups/{id}/month-end/schedule",
            web::post().to(pages::pack_delivery::save_schedule),
        )
        .route(
            "/groups/{id}/month-end/deliveries",
            web::get().to(pages::pack_delivery::deliveries),
        )
        .route(
            "/groups/{id}/month-end/deliveries/{delivery}/approve",
            web::post().to(pages::pack_delivery::approve),
        )
        .route(
            "/groups/{id}/month-end/{month}",
            web::get().to(pages::month_end::pack_page),
        )
        .route(
            "/groups/{id}/month-end/{month}/diff",
            web::get().to(pages::pack_delivery::diff),
        )
        .route(
            "/groups/{id}/month-end/{month}/close",
            web::post().to(pages::month_end::close),
        )
        .route(
            "/groups/{id}/month-end/{month}/reopen",
            web::post().to(pages::month_end::reopen),
        )
        .route(
            "/groups/{id}/month-end/{month}/commentary",
            web::post().to(pages::month_end::save_commentary),
        )
        .route("/webhooks/xero", web::post().to(webhooks::receive))
        .configure(api::routes);
}

pub use headers::security_headers;

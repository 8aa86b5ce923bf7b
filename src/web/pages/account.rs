//! The user's own account (change password, sign out everywhere) and the
//! administrators' list of users (disable, enable).

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use super::{Nav, render};
use crate::auth::password;
use crate::domain::Email;
use crate::store::AuditEntry;
use crate::web::session;
use crate::web::{AppState, CurrentUser, WebError};

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_string()))
        .finish()
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    nav: Nav,
    notice: Option<&'static str>,
    errors: Vec<String>,
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf_token: String,
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    new_password_confirm: String,
}

fn account_page(
    user: &CurrentUser,
    status: StatusCode,
    notice: Option<&'static str>,
    errors: Vec<String>,
) -> Result<HttpResponse, WebError> {
    render(
        status,
        &AccountPage {
            nav: Nav::of(user),
            notice,
            errors,
        },
    )
}

/// `GET /account`.
pub async fn show(
    user: CurrentUser,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    let notice = match query.notice.as_deref() {
        Some("password") => {
            Some("Your password was changed, and your other sessions were signed out.")
        }
        _ => None,
    };
    account_page(&user, StatusCode::OK, notice, vec![])
}

/// `POST /account/password`: needs the current password; signs out every
/// other session of the user.
pub async fn change_password(
    user: CurrentUser,
    state: web::Data<AppState>,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, WebError> {
    let form = form.into_inner();
    user.check_csrf(&form.csrf_token)?;
    let email = Email::parse(&user.user.email)
        .map_err(|_| WebError::internal("a stored e-mail does not parse"))?;
    let stored = state.store.credentials(&email).await?.map(|(_, h)| h);
    let current_ok = match stored {
        Some(h) if form.current_password.len() <= 4 * password::MAX_LENGTH => {
            password::verify_off_thread(form.current_password.clone(), h).await
        }
        _ => false,
    };
    let mut errors = Vec::new();
    if !current_ok {
        errors.push("The current password is not right.".to_string());
    }
    if let Err(e) = password::check_policy(&form.new_password) {
        errors.push(e);
    }
    if form.new_password != form.new_password_confirm {
        errors.push("The two new passwords differ.".to_string());
    }
    if !errors.is_empty() {
        return account_page(&user, StatusCode::UNPROCESSABLE_ENTITY, None, errors);
    }
    let hash = password::hash_off_thread(form.new_password)
        .await
        .map_err(|e| WebError::Internal(e.into()))?;
    state
        .store
        .change_password(user.user.id, &hash, Some(user.token_hash()), Utc::now())
        .await?;
    Ok(see_other("/account?notice=password"))
}

/// `POST /account/sign-out-everywhere`: ends every session of the user,
/// this one included.
pub async fn sign_out_everywhere(
    user: CurrentUser,
    state: web::Data<AppState>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, WebError> {
    user.check_csrf(&form.csrf_token)?;
    let now = Utc::now();
    let ended = state.store.delete_sessions_of(user.user.id).await?;
    state
        .store
        .audit(
            &AuditEntry::new("user.sign_out_everywhere", Some(user.user.id))
                .detail(format!("{ended} sessions")),
            now,
        )
        .await?;
    let mut resp = see_other("/login");
    resp.add_cookie(&session::removal_cookie(state.settings.secure_cookies()))
        .map_err(|e| WebError::Internal(anyhow::anyhow!("cookie: {e}")))?;
    Ok(resp)
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    nav: Nav,
    users: Vec<UserRow>,
    notice: Option<&'static str>,
}

struct UserRow {
    id: i64,
    email: String,
    name: String,
    is_admin: bool,
    disabled: bool,
    is_self: bool,
}

fn require_admin(user: &CurrentUser) -> Result<(), WebError> {
    if user.user.is_admin {
        Ok(())
    } else {
        Err(WebError::Forbidden(
            "Only an administrator may manage users.".into(),
        ))
    }
}

/// `GET /admin/users`: administrators only.
pub async fn users(
    user: CurrentUser,
    state: web::Data<AppState>,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    require_admin(&user)?;
    let notice = match query.notice.as_deref() {
        Some("disabled") => Some("The user was disabled; their sessions and API tokens ended."),
        Some("enabled") => Some("The user was enabled; they can sign in again."),
        _ => None,
    };
    let users = state
        .store
        .all_users()
        .await?
        .into_iter()
        .map(|u| UserRow {
            is_self: u.id == user.user.id,
            id: u.id,
            email: u.email,
            name: u.name,
            is_admin: u.is_admin,
            disabled: u.disabled_at.is_some(),
        })
        .collect();
    render(
        StatusCode::OK,
        &UsersPage {
            nav: Nav::of(&user),
            users,
            notice,
        },
    )
}

/// `POST /admin/users/{id}/disable` and `.../enable`.
pub async fn set_disabled(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, WebError> {
    user.check_csrf(&form.csrf_token)?;
    require_admin(&user)?;
    let (id, action) = path.into_inner();
    let id: i64 = id.parse().map_err(|_| WebError::NotFound)?;
    let disable = match action.as_str() {
        "disable" => true,
        "enable" => false,
        _ => return Err(WebError::NotFound),
    };
    if disable && id == user.user.id {
        return Err(WebError::BadRequest(
            "You cannot disable yourself; ask another administrator.".into(),
        ));
    }
    if state.store.user_by_id(id).await?.is_none() {
        return Err(WebError::NotFound);
    }
    state
        .store
        .set_user_disabled(id, disable, user.user.id, Utc::now())
        .await?;
    Ok(see_other(if disable {
        "/admin/users?notice=disabled"
    } else {
        "/admin/users?notice=enabled"
    }))
}

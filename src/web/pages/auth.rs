//! Sign-in, sign-out and the first-run page that creates the first admin.

use actix_web::cookie::Cookie;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{Duration, Utc};
use serde::Deserialize;

use super::render;
use crate::auth::{password, setup_code, throttle, token};
use crate::domain::Email;
use crate::store::{AuditEntry, MAX_USER_NAME_CHARS, NewUser, User};
use crate::web::session::{self, SESSION_HOURS, current_session};
use crate::web::{AppState, CurrentUser, WebError, csrf};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    csrf_token: String,
    email: String,
    next: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    csrf_token: String,
    email: String,
    name: String,
    errors: Vec<String>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    csrf_token: String,
    #[serde(default)]
    next: String,
}

#[derive(Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    setup_code: String,
    email: String,
    #[serde(default)]
    name: String,
    password: String,
    password_confirm: String,
    csrf_token: String,
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf_token: String,
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_string()))
        .finish()
}

/// Only same-site paths are followed after sign-in (no open redirect).
fn safe_next(next: &str) -> &str {
    if is_local_path(next) { next } else { "/groups" }
}

/// A path on this site and nothing else: one leading `/`, and neither as
/// written nor percent-decoded any backslash, control or whitespace
/// character, or a second leading `/`. Browsers drop tabs and newlines
/// from a URL and read `\` as `/`, so `/\t/evil.example` is
/// `//evil.example` (another host) to them.
fn is_local_path(next: &str) -> bool {
    let plain = |p: &str| {
        p.starts_with('/')
            && !p[1..].starts_with('/')
            && !p
                .chars()
                .any(|c| c == '\\' || c.is_control() || c.is_whitespace())
    };
    plain(next) && percent_decode(next).is_some_and(|d| plain(&d))
}

/// `%XX` escapes decoded; `None` for a broken escape or bytes that are not
/// UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The client's address for throttling: the socket's, or the one a trusted
/// proxy reports (`CONSOL_TRUSTED_PROXIES`). Never a header the client
/// could forge to dodge the count.
fn client_ip(req: &HttpRequest, state: &AppState) -> String {
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .collect();
    state
        .settings
        .trusted_proxies
        .client_ip(req.peer_addr().map(|a| a.ip()), &forwarded)
        .map(|ip| ip.to_string())
        .unwrap_or_else(|| "unknown".to_string())
}

/// `/`: the groups when signed in, else first run or sign-in.
pub async fn home(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    if current_session(&req).await?.is_some() {
        return Ok(see_other("/groups"));
    }
    if state.store.count_users().await? == 0 {
        return Ok(see_other("/setup"));
    }
    Ok(see_other("/login"))
}

pub async fn login_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, WebError> {
    if state.store.count_users().await? == 0 {
        return Ok(see_other("/setup"));
    }
    let next = query.into_inner().next.unwrap_or_default();
    login_response(&req, &state, StatusCode::OK, String::new(), next, None)
}

fn login_response(
    req: &HttpRequest,
    state: &AppState,
    status: StatusCode,
    email: String,
    next: String,
    error: Option<String>,
) -> Result<HttpResponse, WebError> {
    let (csrf_token, cookie) = csrf::pre_session_token(req, state.settings.secure_cookies());
    let page = LoginPage {
        csrf_token,
        email,
        next: safe_next(&next).to_string(),
        error,
    };
    with_cookie(render(status, &page)?, cookie)
}

fn with_cookie(
    mut resp: HttpResponse,
    cookie: Option<Cookie<'static>>,
) -> Result<HttpResponse, WebError> {
    if let Some(c) = cookie {
        resp.add_cookie(&c)
            .map_err(|e| WebError::Internal(anyhow::anyhow!("cookie: {e}")))?;
    }
    Ok(resp)
}

pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, WebError> {
    let form = form.into_inner();
    csrf::check_pre_session(&req, &form.csrf_token)?;
    let now = Utc::now();
    let ip = client_ip(&req, &state);
    // Bounded before anything reaches the database, and counted before the
    // (slow) check, so neither an oversized e-mail nor an abandoned request
    // goes uncounted.
    let email_key = throttle::email_key(&form.email);
    let attempt = state
        .store
        .record_login_attempt(&email_key, &ip, false, now)
        .await?;

    let user = match Email::parse(&email_key)
        .ok()
        .filter(|_| form.password.len() <= 4 * password::MAX_LENGTH)
    {
        Some(email) => check_credentials(&state, &email, &form.password).await?,
        None => {
            password::dummy_verify_off_thread(form.password.clone()).await;
            None
        }
    };
    let Some(user) = user else {
        state
            .store
            .audit(
                &AuditEntry::new("user.login_failed", None).detail(&email_key),
                now,
            )
            .await?;
        // Only a failure waits, and only after the password was checked: a
        // right password is never held back by anyone's failures.
        let delay = throttle::failure_delay(&state.store, &email_key, &ip, now).await?;
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        // One message for an unknown e-mail and a wrong password alike.
        return login_response(
            &req,
            &state,
            StatusCode::UNAUTHORIZED,
            form.email.chars().take(throttle::MAX_EMAIL_CHARS).collect(),
            form.next,
            Some("Wrong e-mail or password.".to_string()),
        );
    };
    state.store.mark_login_succeeded(attempt).await?;
    state
        .store
        .audit(&AuditEntry::new("user.login", Some(user.id)), now)
        .await?;
    start_session(&state, &user, safe_next(&form.next)).await
}

/// The user when the password is right and the account enabled. Runs the
/// hash either way, so timing does not tell whether the e-mail exists.
async fn check_credentials(
    state: &AppState,
    email: &Email,
    password_given: &str,
) -> Result<Option<User>, WebError> {
    let found = state.store.credentials(email).await?;
    let Some((user, stored)) = found else {
        password::dummy_verify_off_thread(password_given.to_string()).await;
        return Ok(None);
    };
    let ok = password::verify_off_thread(password_given.to_string(), stored).await;
    Ok((ok && user.disabled_at.is_none()).then_some(user))
}

async fn start_session(
    state: &AppState,
    user: &User,
    next: &str,
) -> Result<HttpResponse, WebError> {
    let now = Utc::now();
    let raw = token::random_token();
    state
        .store
        .create_session(
            &token::hash_token(&raw),
            user.id,
            &token::random_token(),
            now,
            now + Duration::hours(SESSION_HOURS),
        )
        .await?;
    let mut resp = see_other(next);
    resp.add_cookie(&session::session_cookie(
        raw,
        state.settings.secure_cookies(),
    ))
    .map_err(|e| WebError::Internal(anyhow::anyhow!("cookie: {e}")))?;
    Ok(resp)
}

pub async fn logout(
    user: CurrentUser,
    state: web::Data<AppState>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, WebError> {
    user.check_csrf(&form.csrf_token)?;
    let now = Utc::now();
    state.store.delete_session(user.token_hash()).await?;
    state
        .store
        .audit(&AuditEntry::new("user.logout", Some(user.user.id)), now)
        .await?;
    let mut resp = see_other("/login");
    resp.add_cookie(&session::removal_cookie(state.settings.secure_cookies()))
        .map_err(|e| WebError::Internal(anyhow::anyhow!("cookie: {e}")))?;
    Ok(resp)
}

pub async fn setup_page(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    if state.store.count_users().await? > 0 {
        return Ok(see_other("/login"));
    }
    setup_response(
        &req,
        &state,
        StatusCode::OK,
        String::new(),
        String::new(),
        vec![],
    )
}

fn setup_response(
    req: &HttpRequest,
    state: &AppState,
    status: StatusCode,
    email: String,
    name: String,
    errors: Vec<String>,
) -> Result<HttpResponse, WebError> {
    let (csrf_token, cookie) = csrf::pre_session_token(req, state.settings.secure_cookies());
    let page = SetupPage {
        csrf_token,
        email,
        name,
        errors,
    };
    with_cookie(render(status, &page)?, cookie)
}

pub async fn setup(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<SetupForm>,
) -> Result<HttpResponse, WebError> {
    let form = form.into_inner();
    csrf::check_pre_session(&req, &form.csrf_token)?;
    if state.store.count_users().await? > 0 {
        return Ok(see_other("/login"));
    }
    if !setup_code::is_valid(&state.store, &form.setup_code).await? {
        // Counted and slowed like a failed sign-in, so the code cannot be
        // guessed quickly.
        let now = Utc::now();
        let ip = client_ip(&req, &state);
        state
            .store
            .record_login_attempt("(set-up code)", &ip, false, now)
            .await?;
        let delay = throttle::failure_delay(&state.store, "(set-up code)", &ip, now).await?;
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        return setup_response(
            &req,
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            form.email,
            form.name,
            vec![
                "The set-up code is not right. `consol serve` writes it to its log when it starts \
                 with no users; restarting it writes a new one."
                    .to_string(),
            ],
        );
    }
    let mut errors = Vec::new();
    let email = Email::parse(&form.email)
        .map_err(|e| errors.push(e.to_string()))
        .ok();
    if let Err(e) = password::check_policy(&form.password) {
        errors.push(e);
    }
    if form.password != form.password_confirm {
        errors.push("The two passwords differ.".to_string());
    }
    if form.name.trim().chars().count() > MAX_USER_NAME_CHARS {
        errors.push(format!(
            "Give a name of at most {MAX_USER_NAME_CHARS} characters."
        ));
    }
    let Some(email) = email.filter(|_| errors.is_empty()) else {
        return setup_response(
            &req,
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            form.email,
            form.name,
            errors,
        );
    };
    let hash = password::hash_off_thread(form.password.clone())
        .await
        .map_err(|e| WebError::Internal(e.into()))?;
    let now = Utc::now();
    let new = NewUser {
        email: &email,
        name: form.name.trim(),
        password_hash: &hash,
        is_admin: true,
    };
    let Some(user) = state.store.create_first_admin(&new, now).await? else {
        // Someone else finished first run a moment ago.
        return Ok(see_other("/login"));
    };
    state
        .store
        .audit(
            &AuditEntry::new("user.create_first_admin", Some(user.id)).detail(email.as_str()),
            now,
        )
        .await?;
    start_session(&state, &user, "/groups").await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        for good in ["/groups", "/groups/1/reports?from=2026-01&to=2026-03", "/"] {
            assert_eq!(safe_next(good), good, "{good}");
        }
        for bad in [
            "",
            "groups",
            "//evil.example",
            "/\\evil.example",
            "/%5Cevil.example",
            "/%09/evil.example",
            "/\t/evil.example",
            "/%0d%0a/evil.example",
            "/%2F/evil.example",
            "/%2f%2fevil.example",
            "https://evil.example",
            "javascript:alert(1)",
            " /groups",
            "/%",
            "/%zz",
            "/%ff",
            "/a%20b",
            "/\u{a0}/evil.example",
        ] {
            assert_eq!(safe_next(bad), "/groups", "{bad:?}");
        }
    }
}

//! CSRF protection. Signed-in forms echo the session's synchroniser token;
//! forms shown before sign-in (login, first run) use a double-submit cookie.
//! Both compare in constant time.

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite};

use super::WebError;
use crate::auth::token::{constant_time_eq, random_token};

pub const PRE_SESSION_COOKIE: &str = "consol_csrf";

/// The token for a signed-out form, reusing the visitor's cookie when there
/// is one. Returns the token and, when new, the cookie to set.
pub fn pre_session_token(req: &HttpRequest, secure: bool) -> (String, Option<Cookie<'static>>) {
    if let Some(c) = req.cookie(PRE_SESSION_COOKIE)
        && c.value().len() == 43
    {
        return (c.value().to_string(), None);
    }
    let token = random_token();
    let cookie = Cookie::build(PRE_SESSION_COOKIE, token.clone())
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Strict)
        .finish();
    (token, Some(cookie))
}

/// Checks a signed-out form's token against its cookie.
pub fn check_pre_session(req: &HttpRequest, submitted: &str) -> Result<(), WebError> {
    match req.cookie(PRE_SESSION_COOKIE) {
        Some(c) if constant_time_eq(c.value().as_bytes(), submitted.as_bytes()) => Ok(()),
        _ => Err(WebError::Csrf),
    }
}

/// Checks a signed-in form's token against the session's.
pub fn check(expected: &str, submitted: &str) -> Result<(), WebError> {
    if !expected.is_empty() && constant_time_eq(expected.as_bytes(), submitted.as_bytes()) {
        Ok(())
    } else {
        Err(WebError::Csrf)
    }
}

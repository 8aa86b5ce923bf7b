//! The signed-in user, read from the session cookie.

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite, time};
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use chrono::Utc;

use super::{AppState, WebError};
use crate::auth::token::hash_token;
use crate::store::{Session, User};

pub const SESSION_COOKIE: &str = "consol_session";
/// Sessions end this long after sign-in.
pub const SESSION_HOURS: i64 = 12;

/// A handler argument that requires a signed-in user. Without one, pages
/// redirect to the login page.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: User,
    session: Session,
}

impl CurrentUser {
    pub fn csrf_token(&self) -> &str {
        &self.session.csrf_token
    }

    pub fn token_hash(&self) -> &str {
        &self.session.token_hash
    }

    /// Fails unless `submitted` is this session's CSRF token.
    pub fn check_csrf(&self, submitted: &str) -> Result<(), WebError> {
        super::csrf::check(&self.session.csrf_token, submitted)
    }
}

/// The session of a request, if any is live.
pub async fn current_session(req: &HttpRequest) -> Result<Option<Session>, WebError> {
    let Some(cookie) = req.cookie(SESSION_COOKIE) else {
        return Ok(None);
    };
    let Some(state) = req.app_data::<web::Data<AppState>>() else {
        return Err(WebError::internal("application state missing"));
    };
    Ok(state
        .store
        .session(&hash_token(cookie.value()), Utc::now())
        .await?)
}

impl FromRequest for CurrentUser {
    type Error = WebError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            match current_session(&req).await? {
                Some(session) => Ok(CurrentUser {
                    user: session.user.clone(),
                    session,
                }),
                None => Err(WebError::LoginRequired {
                    next: req.uri().path().to_string(),
                }),
            }
        })
    }
}

pub fn session_cookie(token: String, secure: bool) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, token)
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .max_age(time::Duration::hours(SESSION_HOURS))
        .finish()
}

pub fn removal_cookie(secure: bool) -> Cookie<'static> {
    let mut c = session_cookie(String::new(), secure);
    c.make_removal();
    c
}

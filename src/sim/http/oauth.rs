//! Xero's identity endpoints: the authorisation page, the token and
//! revocation endpoints, and `/connections`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use uuid::Uuid;

use super::respond::{html_page, json, oauth_error, problem, text};
use super::state::{Shared, parse_basic};
use crate::xero::OAuthError;

/// Query or form pairs, percent-decoded.
pub fn pairs(s: &str) -> Vec<(String, String)> {
    actix_web::web::Query::<Vec<(String, String)>>::from_query(s)
        .map(|q| q.into_inner())
        .unwrap_or_default()
}

fn get<'a>(p: &'a [(String, String)], k: &str) -> Option<&'a str> {
    p.iter()
        .find(|(a, _)| a == k)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

fn redirect(uri: &str, params: &[(&str, &str)]) -> HttpResponse {
    let location = match reqwest::Url::parse(uri) {
        Ok(mut u) => {
            {
                let mut q = u.query_pairs_mut();
                for (k, v) in params {
                    q.append_pair(k, v);
                }
            }
            u.to_string()
        }
        Err(_) => uri.to_string(),
    };
    HttpResponse::Found()
        .insert_header(("Location", location))
        .finish()
}

fn error_page(msg: &str) -> HttpResponse {
    html_page(
        StatusCode::BAD_REQUEST,
        "Xero simulator: authorisation error",
        &format!("<h1>Sorry, something went wrong</h1><p>{}</p>", esc(msg)),
    )
}

/// The validated parts of an authorisation request.
struct AuthRequest {
    client_id: String,
    redirect_uri: String,
    scope: String,
    state: Option<String>,
    challenge: Option<String>,
    user: Uuid,
}

/// Validates client and redirect URI first: errors before that point are
/// shown as a page, never redirected.
fn validate(st: &Shared, p: &[(String, String)]) -> Result<AuthRequest, HttpResponse> {
    let g = st.lock();
    let client_id = get(p, "client_id").unwrap_or_default();
    let Some(app) = g.apps.get(client_id) else {
        return Err(error_page(
            "Unknown client or client not enabled (unauthorized_client).",
        ));
    };
    let redirect_uri = get(p, "redirect_uri").unwrap_or_default();
    if !app.redirect_uris.iter().any(|r| r == redirect_uri) {
        return Err(error_page(
            "Invalid redirect_uri: it does not match a registered URI.",
        ));
    }
    let state = get(p, "state").map(String::from);
    let back = |e: &str| {
        let mut v = vec![("error", e)];
        if let Some(s) = &state {
            v.push(("state", s.as_str()));
        }
        redirect(redirect_uri, &v)
    };
    if get(p, "response_type") != Some("code") {
        return Err(back("unsupported_response_type"));
    }
    let Some(scope) = get(p, "scope") else {
        return Err(back("invalid_scope"));
    };
    let challenge = get(p, "code_challenge").map(String::from);
    if challenge.is_some() && get(p, "code_challenge_method").unwrap_or("plain") != "S256" {
        return Err(back("invalid_request"));
    }
    let user = match get(p, "login_hint").or(get(p, "user")) {
        Some(email) => g
            .users
            .iter()
            .find(|u| u.email.eq_ignore_ascii_case(email))
            .map(|u| u.id),
        None => g.users.first().map(|u| u.id),
    };
    let Some(user) = user else {
        return Err(error_page(
            "No Xero user to log in as: create one with POST /_sim/users.",
        ));
    };
    Ok(AuthRequest {
        client_id: client_id.to_string(),
        redirect_uri: redirect_uri.to_string(),
        scope: scope.to_string(),
        state,
        challenge,
        user,
    })
}

/// Gives consent for `chosen` organisations (all of the user's when None).
fn approve(st: &Shared, a: &AuthRequest, chosen: Option<&[Uuid]>) -> HttpResponse {
    let now = st.now();
    let code = st.lock().consent(
        now,
        &a.client_id,
        &a.redirect_uri,
        &a.scope,
        a.user,
        a.challenge.clone(),
        chosen,
    );
    let mut v = vec![("code", code.as_str()), ("scope", a.scope.as_str())];
    if let Some(s) = &a.state {
        v.push(("state", s.as_str()));
    }
    redirect(&a.redirect_uri, &v)
}

/// `GET /identity/connect/authorize`.
pub fn authorize(st: &Shared, req: &HttpRequest) -> HttpResponse {
    let p = pairs(req.query_string());
    let a = match validate(st, &p) {
        Ok(a) => a,
        Err(r) => return r,
    };
    if st.auto_approve {
        return approve(st, &a, None);
    }
    let g = st.lock();
    let user = g.user(a.user).cloned();
    let app_name = esc(&a.client_id);
    let mut orgs = String::new();
    for t in user.iter().flat_map(|u| u.organisations.iter()) {
        if let Some(o) = g.org(*t) {
            orgs.push_str(&format!(
                "<li><label><input type=\"checkbox\" name=\"tenant\" value=\"{t}\" checked> {}</label></li>",
                esc(o.ledger().name())
            ));
        }
    }
    drop(g);
    let mut hidden = String::new();
    for (k, v) in &p {
        hidden.push_str(&format!(
            "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
            esc(k),
            esc(v)
        ));
    }
    if get(&p, "login_hint").is_none()
        && let Some(u) = &user
    {
        hidden.push_str(&format!(
            "<input type=\"hidden\" name=\"login_hint\" value=\"{}\">",
            esc(&u.email)
        ));
    }
    let email = user.map(|u| esc(&u.email)).unwrap_or_default();
    let body = format!(
        "<h1>Connect to the Xero simulator</h1>\
         <p>Logged in as <strong>{email}</strong>.</p>\
         <p>The app <strong>{app_name}</strong> wants access. Choose the organisations:</p>\
         <form method=\"post\" action=\"/identity/connect/authorize\">{hidden}\
         <ul id=\"organisations\">{orgs}</ul>\
         <p>Scopes: <code>{scope}</code></p>\
         <button type=\"submit\" name=\"decision\" value=\"allow\">Allow access</button> \
         <button type=\"submit\" name=\"decision\" value=\"deny\">Cancel</button></form>",
        scope = esc(&a.scope),
    );
    html_page(StatusCode::OK, "Xero simulator: consent", &body)
}

/// `POST /identity/connect/authorize`: the consent form's answer.
pub fn consent(st: &Shared, body: &[u8]) -> HttpResponse {
    let p = pairs(&String::from_utf8_lossy(body));
    let a = match validate(st, &p) {
        Ok(a) => a,
        Err(r) => return r,
    };
    if get(&p, "decision") == Some("allow") {
        // As at Xero, the user picks which organisations to connect.
        let chosen: Vec<Uuid> = p
            .iter()
            .filter(|(k, _)| k == "tenant")
            .filter_map(|(_, v)| Uuid::parse_str(v).ok())
            .collect();
        if chosen.is_empty() {
            return error_page("Choose at least one organisation to connect.");
        }
        approve(st, &a, Some(&chosen))
    } else {
        let mut v = vec![("error", "access_denied")];
        if let Some(s) = &a.state {
            v.push(("state", s.as_str()));
        }
        redirect(&a.redirect_uri, &v)
    }
}

fn client_auth(req: &HttpRequest, p: &[(String, String)]) -> Option<(String, String)> {
    if let Some(h) = req
        .headers()
        .get("authorization")
        .and_then(|h| h.to_str().ok())
        && let Some(c) = parse_basic(h)
    {
        return Some(c);
    }
    Some((
        get(p, "client_id")?.to_string(),
        get(p, "client_secret").unwrap_or_default().to_string(),
    ))
}

/// `POST /connect/token`.
pub fn token(st: &Shared, req: &HttpRequest, body: &[u8]) -> HttpResponse {
    let p = pairs(&String::from_utf8_lossy(body));
    let Some((client_id, secret)) = client_auth(req, &p) else {
        return oauth_error(
            401,
            &OAuthError {
                error: "invalid_client".into(),
                error_description: None,
            },
        );
    };
    let now = st.now();
    let base = st.base_url();
    let mut g = st.lock();
    let custom_tenant = match g.authenticate_client(&client_id, &secret) {
        Ok(t) => t,
        Err((s, e)) => return oauth_error(s, &e),
    };
    let res = match (get(&p, "grant_type"), custom_tenant) {
        (Some("client_credentials"), Some(t)) => {
            Ok(g.client_credentials(now, &base, &client_id, t, get(&p, "scope")))
        }
        (Some("client_credentials"), None) | (Some(_), Some(_)) => Err((
            400,
            OAuthError {
                error: "unauthorized_client".into(),
                error_description: None,
            },
        )),
        (Some("authorization_code"), None) => g.exchange_code(
            now,
            &base,
            &client_id,
            get(&p, "code").unwrap_or_default(),
            get(&p, "redirect_uri").unwrap_or_default(),
            get(&p, "code_verifier"),
        ),
        (Some("refresh_token"), None) => g.refresh_token(
            now,
            &base,
            &client_id,
            get(&p, "refresh_token").unwrap_or_default(),
        ),
        _ => Err((
            400,
            OAuthError {
                error: "unsupported_grant_type".into(),
                error_description: None,
            },
        )),
    };
    drop(g);
    match res {
        Ok(t) => {
            let mut r = json(StatusCode::OK, &t);
            r.headers_mut().insert(
                actix_web::http::header::CACHE_CONTROL,
                actix_web::http::header::HeaderValue::from_static("max-age=0, no-cache, no-store"),
            );
            r
        }
        Err((s, e)) => oauth_error(s, &e),
    }
}

/// `POST /connect/revocation`.
pub fn revocation(st: &Shared, req: &HttpRequest, body: &[u8]) -> HttpResponse {
    let p = pairs(&String::from_utf8_lossy(body));
    let Some((client_id, secret)) = client_auth(req, &p) else {
        return oauth_error(
            401,
            &OAuthError {
                error: "invalid_client".into(),
                error_description: None,
            },
        );
    };
    let mut g = st.lock();
    if let Err((s, e)) = g.authenticate_client(&client_id, &secret) {
        return oauth_error(s, &e);
    }
    if let Some(t) = get(&p, "token") {
        g.revoke(&client_id, t);
    }
    HttpResponse::Ok().finish()
}

/// The grant behind a Bearer access token, or the 401 to answer.
pub fn bearer(st: &Shared, req: &HttpRequest) -> Result<usize, HttpResponse> {
    let unauth = |d: &str| problem(401, d);
    let token = req
        .headers()
        .get("authorization")
        .and_then(|h| h.to_str().ok())
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        })
        .map(str::trim);
    let Some(token) = token else {
        return Err(unauth("AuthenticationUnsuccessful"));
    };
    let now = st.now();
    let g = st.lock();
    let Some(a) = g.access.get(token) else {
        return Err(unauth("AuthenticationUnsuccessful"));
    };
    if g.grants.get(a.grant).is_none_or(|gr| gr.revoked) {
        return Err(unauth("AuthenticationUnsuccessful"));
    }
    if now >= a.expires {
        return Err(unauth(&format!(
            "TokenExpired: token expired at {}",
            a.expires.format("%m/%d/%Y %H:%M:%S")
        )));
    }
    Ok(a.grant)
}

/// `GET /connections`.
pub fn connections(st: &Shared, req: &HttpRequest) -> HttpResponse {
    let grant = match bearer(st, req) {
        Ok(g) => g,
        Err(r) => return r,
    };
    let p = pairs(req.query_string());
    let filter = p
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("authEventId"))
        .and_then(|(_, v)| Uuid::parse_str(v).ok());
    let list: Vec<_> = st
        .lock()
        .connections_of(grant)
        .into_iter()
        .filter(|c| filter.is_none_or(|f| c.auth_event_id == Some(f)))
        .collect();
    json(StatusCode::OK, &list)
}

/// `DELETE /connections/{id}`.
pub fn delete_connection(st: &Shared, req: &HttpRequest, id: &str) -> HttpResponse {
    let grant = match bearer(st, req) {
        Ok(g) => g,
        Err(r) => return r,
    };
    let Ok(id) = Uuid::parse_str(id) else {
        return text(StatusCode::NOT_FOUND, super::respond::NOT_FOUND);
    };
    let mut g = st.lock();
    let Some(gr) = g.grants.get(grant).cloned() else {
        return problem(401, "AuthenticationUnsuccessful");
    };
    let before = g.connections.len();
    g.connections
        .retain(|c| !(c.id == id && c.client_id == gr.client_id && Some(c.user_id) == gr.user_id));
    if g.connections.len() == before {
        return text(StatusCode::NOT_FOUND, super::respond::NOT_FOUND);
    }
    HttpResponse::NoContent().finish()
}

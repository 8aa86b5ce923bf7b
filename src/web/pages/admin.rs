//! Administration pages: a group's members and their roles, a group's
//! audit log, and a user's own API tokens.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::groups::require_role;
use super::{Nav, render};
use crate::domain::Email;
use crate::store::{ApiTokenInfo, AuditRow, Group, GroupRole, Member, MemberChange, TokenScope};
use crate::web::{AppState, CurrentUser, WebError};

const LAST_ADMIN: &str = "A group needs at least one admin: make someone else an admin before removing or demoting this one.";

fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn see_other(location: String) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

fn parse_id(s: &str) -> Result<i64, WebError> {
    s.parse().map_err(|_| WebError::NotFound)
}

// ---------------------------------------------------------------- members

#[derive(Template)]
#[template(path = "members.html")]
struct MembersPage {
    nav: Nav,
    group: Group,
    me: i64,
    members: Vec<MemberRow>,
    notice: Option<&'static str>,
    errors: Vec<String>,
    email: String,
    role: String,
    roles: [&'static str; 3],
}

struct MemberRow {
    user_id: i64,
    email: String,
    name: String,
    role: &'static str,
    added: String,
}

impl MemberRow {
    fn of(m: Member) -> Self {
        Self {
            user_id: m.user_id,
            email: m.email,
            name: m.name,
            role: m.role.as_str(),
            added: when(m.added_at),
        }
    }
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

#[derive(Deserialize)]
pub struct AddMemberForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    csrf_token: String,
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
    #[serde(default)]
    csrf_token: String,
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf_token: String,
}

async fn members_page(
    user: &CurrentUser,
    state: &AppState,
    group: Group,
    status: StatusCode,
    notice: Option<&'static str>,
    errors: Vec<String>,
    (email, role): (String, String),
) -> Result<HttpResponse, WebError> {
    let members = state.store.members_of(group.id).await?;
    render(
        status,
        &MembersPage {
            nav: Nav::of(user),
            me: user.user.id,
            members: members.into_iter().map(MemberRow::of).collect(),
            group,
            notice,
            errors,
            email,
            role,
            roles: ["viewer", "editor", "admin"],
        },
    )
}

/// `GET /groups/{id}/members` (admins).
pub async fn members(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    let id = parse_id(&path)?;
    let (group, _) = require_role(&state, &user, id, GroupRole::Admin).await?;
    let notice = match query.notice.as_deref() {
        Some("added") => Some("The member was added."),
        Some("changed") => Some("The member's role was changed."),
        Some("removed") => Some("The member was removed from the group."),
        _ => None,
    };
    members_page(
        &user,
        &state,
        group,
        StatusCode::OK,
        notice,
        vec![],
        (String::new(), "viewer".into()),
    )
    .await
}

/// `POST /groups/{id}/members`: add an existing user with a role.
pub async fn add_member(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<AddMemberForm>,
) -> Result<HttpResponse, WebError> {
    let form = form.into_inner();
    user.check_csrf(&form.csrf_token)?;
    let id = parse_id(&path)?;
    let (group, _) = require_role(&state, &user, id, GroupRole::Admin).await?;
    let mut errors = Vec::new();
    let role = GroupRole::parse(&form.role)
        .map_err(|_| errors.push("Choose a role: admin, editor or viewer.".to_string()))
        .ok();
    let mut target = None;
    match Email::parse(&form.email) {
        Err(_) => errors.push("Enter the e-mail address of a Consol user.".to_string()),
        Ok(email) => match state.store.user_by_email(&email).await? {
            None => errors.push(format!(
                "No Consol user has the e-mail {email}. They need an account before they can be added."
            )),
            Some(u) => {
                if state.store.group_for_member(id, u.id).await?.is_some() {
                    errors.push(format!(
                        "{email} is already a member; change their role in the list instead."
                    ));
                } else {
                    target = Some(u);
                }
            }
        },
    }
    let (Some(role), Some(target), true) = (role, target, errors.is_empty()) else {
        return members_page(
            &user,
            &state,
            group,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            errors,
            (form.email, form.role),
        )
        .await;
    };
    state
        .store
        .set_member(id, target.id, role, Some(user.user.id), Utc::now())
        .await?;
    Ok(see_other(format!("/groups/{id}/members?notice=added")))
}

/// After a refused change: the members page with the message.
async fn refused(
    user: &CurrentUser,
    state: &AppState,
    group: Group,
    message: &str,
) -> Result<HttpResponse, WebError> {
    members_page(
        user,
        state,
        group,
        StatusCode::UNPROCESSABLE_ENTITY,
        None,
        vec![message.to_string()],
        (String::new(), "viewer".into()),
    )
    .await
}

/// `POST /groups/{id}/members/{user}/role`.
pub async fn change_role(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    form: web::Form<RoleForm>,
) -> Result<HttpResponse, WebError> {
    user.check_csrf(&form.csrf_token)?;
    let id = parse_id(&path.0)?;
    let (group, _) = require_role(&state, &user, id, GroupRole::Admin).await?;
    let member = parse_id(&path.1)?;
    let Ok(role) = GroupRole::parse(&form.role) else {
        return refused(
            &user,
            &state,
            group,
            "Choose a role: admin, editor or viewer.",
        )
        .await;
    };
    let change = state
        .store
        .change_member_role(id, member, role, Some(user.user.id), Utc::now())
        .await?;
    match change {
        MemberChange::NotMember => Err(WebError::NotFound),
        MemberChange::LastAdmin => refused(&user, &state, group, LAST_ADMIN).await,
        // Demoting oneself ends access to this page.
        MemberChange::Done if member == user.user.id && role != GroupRole::Admin => {
            Ok(see_other(format!("/groups/{id}")))
        }
        MemberChange::Done => Ok(see_other(format!("/groups/{id}/members?notice=changed"))),
    }
}

/// `POST /groups/{id}/members/{user}/remove`.
pub async fn remove_member(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, WebError> {
    user.check_csrf(&form.csrf_token)?;
    let id = parse_id(&path.0)?;
    let (group, _) = require_role(&state, &user, id, GroupRole::Admin).await?;
    let member = parse_id(&path.1)?;
    let change = state
        .store
        .remove_member(id, member, Some(user.user.id), Utc::now())
        .await?;
    match change {
        MemberChange::NotMember => Err(WebError::NotFound),
        MemberChange::LastAdmin => refused(&user, &state, group, LAST_ADMIN).await,
        MemberChange::Done if member == user.user.id => Ok(see_other("/groups".into())),
        MemberChange::Done => Ok(see_other(format!("/groups/{id}/members?notice=removed"))),
    }
}

// -------------------------------------------------------------- audit log

/// Entries per page of the audit log.
const AUDIT_PAGE: i64 = 200;

/// The audit log's filter: (query value, label, action prefix).
const AUDIT_KINDS: [(&str, &str, &str); 6] = [
    ("connections", "Xero connections", "connection."),
    ("mappings", "Account mappings", "mappings."),
    ("rates", "FX rates", "fx_rates."),
    (
        "intercompany",
        "Intercompany contacts",
        "intercompany_contacts.",
    ),
    ("members", "Members and roles", "group.member."),
    ("group", "Group", "group.create"),
];

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    nav: Nav,
    group: Group,
    entries: Vec<AuditLine>,
    /// The `before` of the next (older) page, when there is one.
    older: Option<i64>,
    paged: bool,
    /// (value, label) of each filter choice, and the one chosen ("" = all).
    kinds: Vec<(&'static str, &'static str)>,
    kind: String,
}

struct AuditLine {
    at: String,
    email: String,
    action: String,
    detail: String,
}

#[derive(Deserialize)]
pub struct AuditQuery {
    before: Option<i64>,
    kind: Option<String>,
}

/// `GET /groups/{id}/audit[?kind=<kind>][&before=<entry id>]` (admins),
/// newest first; an unknown kind is a 400.
pub async fn audit(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, WebError> {
    let id = parse_id(&path)?;
    let (group, _) = require_role(&state, &user, id, GroupRole::Admin).await?;
    let kind = query.kind.as_deref().filter(|k| !k.is_empty());
    let prefix = match kind {
        None => None,
        Some(k) => Some(
            AUDIT_KINDS
                .iter()
                .find(|(value, _, _)| *value == k)
                .map(|(_, _, prefix)| *prefix)
                .ok_or_else(|| WebError::BadRequest(format!("unknown kind of entry: {k}")))?,
        ),
    };
    let mut rows: Vec<AuditRow> = state
        .store
        .group_audit_page(id, query.before, prefix, AUDIT_PAGE + 1)
        .await?;
    let older = if rows.len() as i64 > AUDIT_PAGE {
        rows.truncate(AUDIT_PAGE as usize);
        rows.last().map(|r| r.id)
    } else {
        None
    };
    let entries = rows
        .into_iter()
        .map(|r| AuditLine {
            at: when(r.at),
            email: r.user_email.unwrap_or_else(|| "-".into()),
            action: r.action,
            detail: r.detail,
        })
        .collect();
    render(
        StatusCode::OK,
        &AuditPage {
            nav: Nav::of(&user),
            group,
            entries,
            older,
            paged: query.before.is_some(),
            kinds: AUDIT_KINDS.iter().map(|(v, l, _)| (*v, *l)).collect(),
            kind: kind.unwrap_or_default().to_string(),
        },
    )
}

// ------------------------------------------------------------- API tokens

#[derive(Template)]
#[template(path = "api_tokens.html")]
struct TokensPage {
    nav: Nav,
    tokens: Vec<TokenRow>,
    /// A token just created: shown on this response only.
    created: Option<(String, String)>,
    notice: Option<&'static str>,
    errors: Vec<String>,
    name: String,
}

struct TokenRow {
    id: i64,
    name: String,
    created: String,
    last_used: String,
    revoked: Option<String>,
    /// "no expiry", or when it stops working.
    expires: String,
    expired: bool,
    read_only: bool,
}

impl TokenRow {
    fn of(t: ApiTokenInfo) -> Self {
        Self {
            id: t.id,
            name: t.name,
            created: when(t.created_at),
            last_used: t.last_used_at.map(when).unwrap_or_else(|| "never".into()),
            revoked: t.revoked_at.map(when),
            expires: t.expires_at.map(when).unwrap_or_else(|| "no expiry".into()),
            expired: t.expires_at.is_some_and(|e| e <= Utc::now()),
            read_only: t.read_only,
        }
    }
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    csrf_token: String,
    /// Days until the token stops working; empty for never.
    #[serde(default)]
    expires_in_days: String,
    /// A ticked box: the token may only read.
    #[serde(default)]
    read_only: Option<String>,
}

/// The longest a token may be made to last, in days (ten years).
pub const MAX_TOKEN_DAYS: i64 = 3650;

async fn tokens_page(
    user: &CurrentUser,
    state: &AppState,
    status: StatusCode,
    created: Option<(String, String)>,
    notice: Option<&'static str>,
    errors: Vec<String>,
    name: String,
) -> Result<HttpResponse, WebError> {
    let tokens = state.store.api_tokens_of(user.user.id).await?;
    let mut resp = render(
        status,
        &TokensPage {
            nav: Nav::of(user),
            tokens: tokens.into_iter().map(TokenRow::of).collect(),
            created,
            notice,
            errors,
            name,
        },
    )?;
    // The page may hold a token that is never shown again: keep it out of
    // every cache.
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(resp)
}

/// `GET /account/api-tokens`: the user's own tokens.
pub async fn api_tokens(
    user: CurrentUser,
    state: web::Data<AppState>,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    let notice = match query.notice.as_deref() {
        Some("revoked") => Some("The token was revoked; it no longer works."),
        _ => None,
    };
    tokens_page(
        &user,
        &state,
        StatusCode::OK,
        None,
        notice,
        vec![],
        String::new(),
    )
    .await
}

/// `POST /account/api-tokens`: a new token, shown once on the answer.
pub async fn create_api_token(
    user: CurrentUser,
    state: web::Data<AppState>,
    form: web::Form<TokenForm>,
) -> Result<HttpResponse, WebError> {
    let form = form.into_inner();
    user.check_csrf(&form.csrf_token)?;
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return tokens_page(
            &user,
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            None,
            vec!["Give the token a name of 1 to 100 characters, such as what will use it.".into()],
            form.name,
        )
        .await;
    }
    let now = Utc::now();
    let days = form.expires_in_days.trim();
    let expires_at = if days.is_empty() {
        None
    } else {
        match days.parse::<i64>() {
            Ok(d) if (1..=MAX_TOKEN_DAYS).contains(&d) => Some(now + chrono::Duration::days(d)),
            _ => {
                return tokens_page(
                    &user,
                    &state,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    None,
                    None,
                    vec![format!(
                        "Give the days until the token expires as 1 to {MAX_TOKEN_DAYS}, or leave it empty for never."
                    )],
                    form.name,
                )
                .await;
            }
        }
    };
    let scope = TokenScope {
        expires_at,
        read_only: form.read_only.is_some(),
    };
    let (_, token) = state
        .store
        .issue_api_token_with(user.user.id, name, scope, now)
        .await?;
    tokens_page(
        &user,
        &state,
        StatusCode::OK,
        Some((name.to_string(), token)),
        None,
        vec![],
        String::new(),
    )
    .await
}

/// `POST /account/api-tokens/{id}/revoke`: only the user's own tokens;
/// another user's token id is not found.
pub async fn revoke_api_token(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, WebError> {
    user.check_csrf(&form.csrf_token)?;
    let id = parse_id(&path)?;
    if !state
        .store
        .revoke_api_token(user.user.id, id, Utc::now())
        .await?
    {
        // Not theirs (or no such token): 404. Theirs but already revoked:
        // nothing to do.
        let own = state.store.api_tokens_of(user.user.id).await?;
        if !own.iter().any(|t| t.id == id) {
            return Err(WebError::NotFound);
        }
    }
    Ok(see_other("/account/api-tokens?notice=revoked".into()))
}

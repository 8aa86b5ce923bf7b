//! Connecting organisations to a group: the OAuth consent (start and
//! callback), Custom Connections, and disconnecting.

use chrono::{Duration, Utc};

use super::XeroServices;
use super::tokens::TokenError;
use crate::auth::token::hash_token;
use crate::domain::CurrencyCode;
use crate::store::{
    AuditEntry, Disconnected, EntityView, GroupRole, OAuthStateRow, OrganisationDetails, Release,
    Store, StoreError,
};
use crate::xero::Organisations;
use crate::xero::client::XeroError;
use crate::xero::oauth::{CustomCredentials, OAuthError, TokenSet, XeroOAuth};

/// How long a consent may take before its state expires.
const STATE_TTL: Duration = Duration::minutes(10);
const PKCE_PURPOSE: &str = "consol/oauth-pkce/v1";

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(
        "Xero is not configured on this server (CONSOL_XERO_CLIENT_ID and CONSOL_XERO_CLIENT_SECRET)"
    )]
    NotConfigured,
    /// Unknown, used, expired, or started by another session.
    #[error("this Xero sign-in link has expired or was already used; start again")]
    BadState,
    /// The user lost the editor role in the group (or left it) between
    /// starting the consent and Xero's redirect back.
    #[error("the user may no longer connect organisations to this group")]
    NotAllowed,
    #[error("Xero access was not granted")]
    Denied { group_id: i64 },
    #[error("Xero did not accept the sign-in (it may have expired); start again")]
    CodeRejected { group_id: i64 },
    #[error("Xero refused the Custom Connection's client id or secret")]
    BadCredentials { group_id: i64 },
    #[error("Xero granted no organisations")]
    NothingGranted { group_id: i64 },
    #[error("could not read from Xero: {source}")]
    Xero { group_id: i64, source: XeroError },
    #[error("could not reach Xero: {source}")]
    OAuth { group_id: i64, source: OAuthError },
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ConnectError {
    /// The group to send the user back to, when known.
    pub fn group_id(&self) -> Option<i64> {
        match self {
            Self::Denied { group_id }
            | Self::CodeRejected { group_id }
            | Self::BadCredentials { group_id }
            | Self::NothingGranted { group_id }
            | Self::Xero { group_id, .. }
            | Self::OAuth { group_id, .. } => Some(*group_id),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connected {
    pub group_id: i64,
    /// Organisation names, in Xero's order.
    pub organisations: Vec<String>,
    /// How many were new to the group (the rest were reconnected).
    pub added: usize,
}

/// The consent URL for a user of a group. The state and PKCE verifier are
/// kept server-side, bound to the session, single use and short-lived.
pub async fn start(
    xero: &XeroServices,
    store: &Store,
    user_id: i64,
    group_id: i64,
    session_hash: &str,
) -> Result<String, ConnectError> {
    let oauth = xero.oauth.as_ref().ok_or(ConnectError::NotConfigured)?;
    let req = oauth.authorize();
    let now = Utc::now();
    store
        .insert_oauth_state(
            &hash_token(&req.state),
            &OAuthStateRow {
                session_hash: session_hash.to_string(),
                user_id,
                group_id,
                pkce_verifier: xero
                    .tokens
                    .seal_bytes(PKCE_PURPOSE, req.pkce_verifier.as_bytes()),
                expires_at: now + STATE_TTL,
            },
            now,
        )
        .await?;
    Ok(req.url)
}

/// Handles Xero's redirect back: checks the state, exchanges the code and
/// adds every organisation the consent granted.
pub async fn finish(
    xero: &XeroServices,
    store: &Store,
    user_id: i64,
    session_hash: &str,
    state: &str,
    code: Option<&str>,
    error: Option<&str>,
) -> Result<Connected, ConnectError> {
    let oauth = xero.oauth.as_ref().ok_or(ConnectError::NotConfigured)?;
    let row = store
        .take_oauth_state(&hash_token(state))
        .await?
        .ok_or(ConnectError::BadState)?;
    if row.session_hash != session_hash || row.user_id != user_id || row.expires_at < Utc::now() {
        return Err(ConnectError::BadState);
    }
    let group_id = row.group_id;
    // The role is checked again now, not only when the consent started: a
    // user demoted or removed meanwhile must not add organisations.
    match store.group_for_member(group_id, user_id).await? {
        Some((_, role)) if role >= GroupRole::Editor => {}
        _ => return Err(ConnectError::NotAllowed),
    }
    if error.is_some() {
        return Err(ConnectError::Denied { group_id });
    }
    let code = code.ok_or(ConnectError::Denied { group_id })?;
    let verifier = xero
        .tokens
        .open_bytes(PKCE_PURPOSE, &row.pkce_verifier)
        .ok_or(ConnectError::BadState)?;
    let verifier = String::from_utf8(verifier).map_err(|_| ConnectError::BadState)?;
    let set = oauth
        .exchange_code(code, &verifier)
        .await
        .map_err(|e| match e {
            OAuthError::InvalidGrant(_) => ConnectError::CodeRejected { group_id },
            other => ConnectError::OAuth {
                group_id,
                source: other,
            },
        })?;
    let token_set_id = xero.tokens.insert("oauth", &set, Some(user_id)).await?;
    let auth_event = set.auth_event_id();
    let xero_err = |source| ConnectError::Xero { group_id, source };
    let mut connections = xero
        .api
        .connections(&set.access_token, auth_event.as_deref())
        .await
        .map_err(xero_err)?;
    connections.retain(|c| {
        c.tenant_type
            .as_deref()
            .is_none_or(|t| t.eq_ignore_ascii_case("ORGANISATION"))
    });
    if connections.is_empty() {
        return Err(ConnectError::NothingGranted { group_id });
    }
    let mut out = Connected {
        group_id,
        organisations: Vec::new(),
        added: 0,
    };
    for c in &connections {
        let tenant = c.tenant_id.to_string();
        let orgs = xero
            .api
            .get::<Organisations>(&set.access_token, &tenant, "Organisation", &[], None)
            .await
            .map_err(xero_err)?;
        let connection_id = c.id.to_string();
        let (name, added) = add_organisation(
            store,
            user_id,
            group_id,
            &tenant,
            Some(&connection_id),
            token_set_id,
            orgs.value,
        )
        .await
        .map_err(|e| match e {
            AddError::Store(s) => ConnectError::Store(s),
            AddError::Xero(x) => xero_err(x),
        })?;
        out.organisations.push(name);
        out.added += usize::from(added);
    }
    Ok(out)
}

/// Adds an organisation through a Custom Connection's client id and secret.
pub async fn add_custom(
    xero: &XeroServices,
    store: &Store,
    user_id: i64,
    group_id: i64,
    client_id: &str,
    client_secret: &str,
) -> Result<Connected, ConnectError> {
    let creds = CustomCredentials {
        client_id: client_id.trim().to_string(),
        client_secret: client_secret.trim().to_string(),
    };
    let set: TokenSet =
        XeroOAuth::client_credentials(xero.api.endpoints(), xero.api.http(), &creds)
            .await
            .map_err(|e| match e {
                OAuthError::InvalidClient | OAuthError::InvalidGrant(_) => {
                    ConnectError::BadCredentials { group_id }
                }
                other => ConnectError::OAuth {
                    group_id,
                    source: other,
                },
            })?;
    let xero_err = |source| ConnectError::Xero { group_id, source };
    let orgs = xero
        .api
        .get_untenanted::<Organisations>(
            &set.access_token,
            &format!("custom:{}", creds.client_id),
            "Organisation",
        )
        .await
        .map_err(xero_err)?;
    let tenant = orgs
        .value
        .organisations
        .first()
        .and_then(|o| o.organisation_id)
        .map(|id| id.to_string())
        .ok_or_else(|| {
            xero_err(XeroError::Malformed {
                endpoint: "GET /Organisation".into(),
                detail: "no OrganisationID".into(),
            })
        })?;
    let token_set_id = xero.tokens.insert("custom", &set, Some(user_id)).await?;
    let (name, added) = add_organisation(
        store,
        user_id,
        group_id,
        &tenant,
        None,
        token_set_id,
        orgs.value,
    )
    .await
    .map_err(|e| match e {
        AddError::Store(s) => ConnectError::Store(s),
        AddError::Xero(x) => xero_err(x),
    })?;
    Ok(Connected {
        group_id,
        organisations: vec![name],
        added: usize::from(added),
    })
}

enum AddError {
    Store(StoreError),
    Xero(XeroError),
}

impl From<StoreError> for AddError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

async fn add_organisation(
    store: &Store,
    user_id: i64,
    group_id: i64,
    tenant: &str,
    connection_id: Option<&str>,
    token_set_id: i64,
    orgs: Organisations,
) -> Result<(String, bool), AddError> {
    let malformed = |detail: &str| {
        AddError::Xero(XeroError::Malformed {
            endpoint: "GET /Organisation".into(),
            detail: detail.into(),
        })
    };
    let org = orgs
        .organisations
        .into_iter()
        .next()
        .ok_or_else(|| malformed("no organisation in the answer"))?;
    let currency: CurrencyCode = org
        .base_currency
        .ok_or_else(|| malformed("no BaseCurrency"))?;
    let name = org.name.clone().unwrap_or_else(|| tenant.to_string());
    let now = Utc::now();
    let details = OrganisationDetails {
        tenant_id: tenant.to_string(),
        name: name.clone(),
        legal_name: org.legal_name.clone(),
        short_code: org.short_code.clone(),
        base_currency: currency,
        country_code: org.country_code.clone(),
        financial_year_end_day: org.financial_year_end_day.map(|d| d as i32),
        financial_year_end_month: org.financial_year_end_month.map(|m| m as i32),
        period_lock_date: org.period_lock_date.map(|d| d.date()),
    };
    let org_id = store.upsert_organisation(&details, now).await?;
    let retired = store
        .attach_organisation(org_id, connection_id, token_set_id, now)
        .await?;
    let (_, added) = store.add_entity(group_id, org_id, now).await?;
    let action = if added {
        "connection.add"
    } else {
        "connection.reconnect"
    };
    store
        .audit(
            &AuditEntry::new(action, Some(user_id))
                .group(group_id)
                .detail(match retired {
                    // Another group may have connected it before: its old
                    // token set is no longer used by anything.
                    Some(_) => format!(
                        "{name} ({tenant}); the connection it replaces was retired in Consol"
                    ),
                    None => format!("{name} ({tenant})"),
                }),
            now,
        )
        .await?;
    Ok((name, added))
}

/// Removes an entity from its group: every database step in one
/// transaction ([`Store::disconnect_entity`]: the group's intercompany
/// decisions pointing at it are kept for a reconnection), then, when no
/// other group uses the organisation, its Xero connection is deleted, and
/// when it was the last organisation on its token set the refresh token is
/// revoked. Synced data is kept unless `delete_data` (and no other group
/// uses it).
pub async fn disconnect(
    xero: &XeroServices,
    store: &Store,
    user_id: i64,
    entity: &EntityView,
    delete_data: bool,
) -> Result<Disconnected, ConnectError> {
    let done = store
        .disconnect_entity(entity, delete_data, Some(user_id), Utc::now())
        .await?;
    if let Some(release) = &done.release {
        release_xero_connection(xero, store, entity, release).await?;
    }
    Ok(done)
}

/// Tells Xero, after the organisation has left its last group. Xero's side
/// is best effort: Consol forgets the organisation whether or not Xero can
/// be told (a revoked or expired consent cannot be used to say goodbye).
/// A database error is returned, never guessed around.
async fn release_xero_connection(
    xero: &XeroServices,
    store: &Store,
    entity: &EntityView,
    release: &Release,
) -> Result<(), ConnectError> {
    let ts = release.token_set_id;
    match xero.tokens.access_token(ts).await {
        Ok(token) => {
            if let Some(cid) = &entity.connection_id
                && let Err(e) = xero.api.delete_connection(&token, cid).await
            {
                tracing::warn!(error = %e, "could not remove the Xero connection");
            }
        }
        Err(TokenError::Store(e)) => return Err(e.into()),
        Err(e) => {
            tracing::info!(error = %e, "no usable token to remove the Xero connection");
        }
    }
    if release.revoke {
        match xero.tokens.current(ts).await {
            Ok(set) => {
                if let (Some(oauth), Some(rt)) = (&xero.oauth, &set.refresh_token)
                    && let Err(e) = oauth.revoke(rt).await
                {
                    tracing::warn!(error = %e, "could not revoke the Xero refresh token");
                }
            }
            Err(TokenError::Store(e)) => return Err(e.into()),
            Err(e) => tracing::info!(error = %e, "no refresh token to revoke"),
        }
        store.set_token_set_state(ts, "revoked", Utc::now()).await?;
    }
    Ok(())
}

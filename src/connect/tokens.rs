//! Token sets at rest and their refresh. Refreshes are single-flight per
//! token set: within a process through a mutex, across processes through a
//! lease on the row that only one process can take for a given version. The
//! new pair is stored before it is used, and a refresh whose answer was lost
//! is simply repeated with the old refresh token, which Xero honours for 30
//! minutes after rotating it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;

use crate::crypto::Keyring;
use crate::store::{NewTokenSet, Store, StoreError, TokenSetRow};
use crate::xero::client::XeroEndpoints;
use crate::xero::oauth::{OAuthError, TokenSet, XeroOAuth};

/// What token sets are encrypted for (the AEAD's associated data).
const PURPOSE: &str = "consol/xero-token-set/v1";
/// Refresh this long before the access token expires.
pub const REFRESH_AHEAD: chrono::Duration = chrono::Duration::minutes(5);
/// Whether the stored access token is good for a while yet.
fn fresh(row: &TokenSetRow) -> bool {
    row.access_expires_at - REFRESH_AHEAD > Utc::now()
}

/// How long one process may hold the refresh lease.
const LEASE: chrono::Duration = chrono::Duration::seconds(30);

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("the organisation needs reconnecting to Xero")]
    NeedsReconnect,
    #[error("no such Xero token set")]
    Missing,
    #[error(
        "the stored Xero tokens cannot be decrypted (was CONSOL_SECRET_KEY changed without CONSOL_SECRET_KEY_PREVIOUS?)"
    )]
    Undecryptable,
    #[error("Xero is not configured (CONSOL_XERO_CLIENT_ID and CONSOL_XERO_CLIENT_SECRET)")]
    NotConfigured,
    #[error(transparent)]
    OAuth(#[from] OAuthError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub struct TokenManager {
    store: Store,
    keyring: Arc<Keyring>,
    oauth: Option<XeroOAuth>,
    endpoints: XeroEndpoints,
    http: reqwest::Client,
    /// Names this process in refresh leases.
    owner: String,
    locks: Mutex<HashMap<i64, Arc<tokio::sync::Mutex<()>>>>,
}

impl TokenManager {
    pub fn new(
        store: Store,
        keyring: Arc<Keyring>,
        oauth: Option<XeroOAuth>,
        endpoints: XeroEndpoints,
        http: reqwest::Client,
    ) -> Self {
        Self {
            store,
            keyring,
            oauth,
            endpoints,
            http,
            owner: crate::auth::token::random_token(),
            locks: Mutex::new(HashMap::new()),
        }
    }

    pub fn seal(&self, set: &TokenSet) -> Vec<u8> {
        let json = serde_json::to_vec(set).expect("a token set always serialises");
        self.keyring.encrypt(PURPOSE, &json)
    }

    /// Encrypts other short-lived secrets (the PKCE verifier) the same way.
    pub fn seal_bytes(&self, purpose: &str, plain: &[u8]) -> Vec<u8> {
        self.keyring.encrypt(purpose, plain)
    }

    pub fn open_bytes(&self, purpose: &str, sealed: &[u8]) -> Option<Vec<u8>> {
        self.keyring.decrypt(purpose, sealed).ok()
    }

    fn open(&self, row: &TokenSetRow) -> Result<TokenSet, TokenError> {
        let plain = self
            .keyring
            .decrypt(PURPOSE, &row.ciphertext)
            .map_err(|_| TokenError::Undecryptable)?;
        serde_json::from_slice(&plain).map_err(|_| TokenError::Undecryptable)
    }

    /// Stores a new token set, encrypted; returns its id.
    pub async fn insert(
        &self,
        kind: &str,
        set: &TokenSet,
        created_by: Option<i64>,
    ) -> Result<i64, TokenError> {
        let sealed = self.seal(set);
        let auth_event_id = set.auth_event_id();
        Ok(self
            .store
            .insert_token_set(
                &NewTokenSet {
                    kind,
                    auth_event_id: auth_event_id.as_deref(),
                    ciphertext: &sealed,
                    access_expires_at: set.expires_at,
                    created_by,
                },
                Utc::now(),
            )
            .await?)
    }

    /// The decrypted token set as stored (for revocation on disconnect).
    pub async fn current(&self, id: i64) -> Result<TokenSet, TokenError> {
        let row = self.store.token_set(id).await?.ok_or(TokenError::Missing)?;
        self.open(&row)
    }

    fn local_lock(&self, id: i64) -> Arc<tokio::sync::Mutex<()>> {
        let mut map = self.locks.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(id).or_default().clone()
    }

    /// A valid access token, refreshed first when it is about to expire.
    pub async fn access_token(&self, id: i64) -> Result<String, TokenError> {
        self.token(id, None).await
    }

    /// A token other than `rejected`, which Xero answered 401
    /// `TokenExpired` to: refreshed unless another task already did.
    pub async fn replace_rejected(&self, id: i64, rejected: &str) -> Result<String, TokenError> {
        self.token(id, Some(rejected)).await
    }

    /// The stored token if it is good to use: fresh, and not the one Xero
    /// just refused.
    fn usable(
        &self,
        row: &TokenSetRow,
        rejected: Option<&str>,
    ) -> Result<Option<String>, TokenError> {
        if !fresh(row) {
            return Ok(None);
        }
        let token = self.open(row)?.access_token;
        Ok((Some(token.as_str()) != rejected).then_some(token))
    }

    async fn token(&self, id: i64, rejected: Option<&str>) -> Result<String, TokenError> {
        let first = self.store.token_set(id).await?.ok_or(TokenError::Missing)?;
        if first.state != "active" {
            return Err(TokenError::NeedsReconnect);
        }
        if let Some(t) = self.usable(&first, rejected)? {
            return Ok(t);
        }
        let lock = self.local_lock(id);
        let _guard = lock.lock().await;
        let mut waited = Duration::ZERO;
        loop {
            let row = self.store.token_set(id).await?.ok_or(TokenError::Missing)?;
            if row.state != "active" {
                return Err(TokenError::NeedsReconnect);
            }
            // Someone refreshed while this task waited: use theirs.
            if let Some(t) = self.usable(&row, rejected)? {
                return Ok(t);
            }
            let now = Utc::now();
            if self
                .store
                .lease_token_refresh(id, row.version, &self.owner, now, now + LEASE)
                .await?
            {
                return self.refresh_leased(&row).await;
            }
            // Another process holds the lease: wait for its result.
            if waited > Duration::from_secs(60) {
                return Err(TokenError::OAuth(OAuthError::Transport(
                    "another process did not finish refreshing the Xero token".into(),
                )));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            waited += Duration::from_millis(100);
        }
    }

    // (A plain function: a closure over a reference held across awaits would
    // make the future not `Send` for every lifetime.)
    async fn refresh_leased(&self, row: &TokenSetRow) -> Result<String, TokenError> {
        let old = self.open(row)?;
        let result = self.fetch_new(&old).await;
        match result {
            Ok(new) => {
                let sealed = self.seal(&new);
                let stored = self
                    .store
                    .complete_token_refresh(
                        row.id,
                        row.version,
                        &sealed,
                        new.expires_at,
                        Utc::now(),
                    )
                    .await?;
                if !stored {
                    tracing::warn!(token_set = row.id, "token set changed during refresh");
                }
                tracing::info!(token_set = row.id, "refreshed Xero tokens");
                Ok(new.access_token)
            }
            Err(OAuthError::InvalidGrant(why)) => {
                tracing::warn!(token_set = row.id, reason = %why, "Xero refused the refresh token; reconnect needed");
                self.store
                    .set_token_set_state(row.id, "needs_reconnect", Utc::now())
                    .await?;
                Err(TokenError::NeedsReconnect)
            }
            Err(e) => {
                self.store.release_token_lease(row.id, &self.owner).await?;
                Err(e.into())
            }
        }
    }

    /// Refreshes (or, for Custom Connections, asks anew). Transport failures
    /// are retried with the same old refresh token: Xero accepts it within
    /// its grace period even if an earlier answer was lost.
    async fn fetch_new(&self, old: &TokenSet) -> Result<TokenSet, OAuthError> {
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let r = match (&old.custom, &old.refresh_token) {
                (Some(creds), _) => {
                    XeroOAuth::client_credentials(&self.endpoints, &self.http, creds).await
                }
                (None, Some(rt)) => match &self.oauth {
                    Some(o) => o.refresh(rt).await,
                    None => {
                        return Err(OAuthError::Config(
                            "CONSOL_XERO_CLIENT_ID and CONSOL_XERO_CLIENT_SECRET are not set"
                                .into(),
                        ));
                    }
                },
                (None, None) => return Err(OAuthError::InvalidGrant("no refresh token".into())),
            };
            match r {
                Err(e) if e.is_transient() && attempt < 4 => {
                    tokio::time::sleep(Duration::from_millis(200 * 2u64.pow(attempt))).await;
                }
                other => return other,
            }
        }
    }
}

//! The connection layer between Consol and Xero: OAuth consent and Custom
//! Connections, token sets encrypted at rest with single-flight refresh,
//! disconnecting, and authenticated calls for the sync jobs.

pub mod flow;

/// How a lost connection reads everywhere (sync errors, the API, the group
/// page, the dashboard, the P&L): "<organisation> needs reconnecting to Xero".
pub const NEEDS_RECONNECTING: &str = "needs reconnecting to Xero";
pub mod tokens;

use std::sync::Arc;

use serde::de::DeserializeOwned;

use crate::config::{ConfigError, Settings};
use crate::store::Store;
use crate::xero::client::{
    CallTrace, Fetched, Limits, RetryPolicy, XeroApi, XeroEndpoints, XeroError,
};
use crate::xero::oauth::XeroOAuth;
use tokens::{TokenError, TokenManager};

/// Everything that talks to Xero, built once per process.
pub struct XeroServices {
    pub api: XeroApi,
    /// None until `CONSOL_XERO_CLIENT_ID` and `..._SECRET` are set.
    pub oauth: Option<XeroOAuth>,
    pub tokens: TokenManager,
}

#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error(transparent)]
    Xero(#[from] XeroError),
}

impl XeroServices {
    pub fn from_settings(settings: &Settings, store: Store) -> Result<Self, ConfigError> {
        Self::build(settings, store, Limits::default(), RetryPolicy::default())
    }

    pub fn build(
        settings: &Settings,
        store: Store,
        limits: Limits,
        retry: RetryPolicy,
    ) -> Result<Self, ConfigError> {
        let keyring = Arc::new(settings.keyring()?);
        let endpoints = XeroEndpoints::from_base(settings.xero_base_url.as_deref());
        let api = XeroApi::new(endpoints.clone(), limits, retry);
        let oauth = match (&settings.xero_client_id, &settings.xero_client_secret) {
            (Some(id), Some(secret)) => Some(
                XeroOAuth::new(
                    endpoints.clone(),
                    id,
                    secret.expose(),
                    &format!("{}/connect/xero/callback", settings.public_url),
                    settings.xero_scopes.clone(),
                    api.http().clone(),
                )
                .map_err(|e| ConfigError {
                    setting: "CONSOL_XERO_CLIENT_ID".into(),
                    message: e.to_string(),
                })?,
            ),
            _ => None,
        };
        let tokens =
            TokenManager::new(store, keyring, oauth.clone(), endpoints, api.http().clone());
        Ok(Self { api, oauth, tokens })
    }

    /// A GET for one tenant with a valid token; on Xero's `TokenExpired`
    /// the token is refreshed once and the call repeated.
    pub async fn get<T: DeserializeOwned>(
        &self,
        token_set_id: i64,
        tenant_id: &str,
        path: &str,
        query: &[(&str, String)],
        if_modified_since: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<Fetched<T>, CallError> {
        self.get_traced(
            token_set_id,
            tenant_id,
            path,
            query,
            if_modified_since,
            &CallTrace::default(),
        )
        .await
    }

    /// As [`XeroServices::get`], reporting every HTTP call and wait in
    /// `trace` (failed ones too).
    pub async fn get_traced<T: DeserializeOwned>(
        &self,
        token_set_id: i64,
        tenant_id: &str,
        path: &str,
        query: &[(&str, String)],
        if_modified_since: Option<chrono::DateTime<chrono::Utc>>,
        trace: &CallTrace,
    ) -> Result<Fetched<T>, CallError> {
        let token = self.tokens.access_token(token_set_id).await?;
        match self
            .api
            .get_traced(&token, tenant_id, path, query, if_modified_since, trace)
            .await
        {
            Err(XeroError::TokenExpired { .. }) => {
                let token = self.tokens.replace_rejected(token_set_id, &token).await?;
                let mut r = self
                    .api
                    .get_traced(&token, tenant_id, path, query, if_modified_since, trace)
                    .await?;
                r.calls = trace.calls();
                Ok(r)
            }
            other => Ok(other?),
        }
    }
}

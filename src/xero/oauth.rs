//! OAuth 2.0 with Xero through the `oauth2` crate: the consent URL with
//! state and PKCE, the code exchange, refresh, Custom Connections
//! (client credentials) and revocation. Token calls go through our own
//! reqwest client, which never follows redirects.

use std::time::Duration;

use chrono::{DateTime, Utc};
use oauth2::basic::{BasicClient, BasicErrorResponseType, BasicTokenResponse};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    HttpRequest, HttpResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken,
    RequestTokenError, RevocationUrl, Scope, TokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};

use super::client::XeroEndpoints;

type XeroOAuthClient =
    BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointSet, EndpointSet>;

/// A token pair as Consol keeps it (encrypted) in the database. `Debug`
/// shows no token.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TokenSet {
    pub access_token: String,
    /// None for Custom Connections, which get a new token each time.
    pub refresh_token: Option<String>,
    pub expires_at: DateTime<Utc>,
    pub scope: Option<String>,
    /// The Custom Connection's credentials, to fetch the next token.
    pub custom: Option<CustomCredentials>,
}

#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CustomCredentials {
    pub client_id: String,
    pub client_secret: String,
}

impl std::fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSet")
            .field("expires_at", &self.expires_at)
            .field("has_refresh_token", &self.refresh_token.is_some())
            .field("custom", &self.custom.is_some())
            .finish_non_exhaustive()
    }
}

impl TokenSet {
    /// The `authentication_event_id` claim of Xero's JWT access token, when
    /// the token is a JWT that carries it (used to filter `/connections`
    /// to what one consent granted). The signature is not checked: the token
    /// came straight from Xero's token endpoint over TLS.
    pub fn auth_event_id(&self) -> Option<String> {
        use base64::Engine;
        let payload = self.access_token.split('.').nth(1)?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .ok()?;
        let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
        claims
            .get("authentication_event_id")?
            .as_str()
            .map(str::to_string)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    /// The grant is no good: a rotated-away, revoked or expired refresh
    /// token, or a used or expired code. The user has to reconnect.
    #[error("Xero refused the grant ({0}); the connection must be made again")]
    InvalidGrant(String),
    #[error("Xero refused Consol's client credentials")]
    InvalidClient,
    #[error("Xero's token endpoint answered with an error: {0}")]
    Refused(String),
    /// The call failed or its answer was lost: safe to try again.
    #[error("could not reach Xero's token endpoint: {0}")]
    Transport(String),
    #[error("Xero's token endpoint sent an unreadable answer: {0}")]
    Malformed(String),
    #[error("configuration: {0}")]
    Config(String),
}

impl OAuthError {
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Transport(_))
    }
}

/// The consent URL to send the browser to, and what to keep until the
/// callback (server-side, never in the browser).
pub struct AuthorizeRequest {
    pub url: String,
    pub state: String,
    pub pkce_verifier: String,
}

#[derive(Clone)]
pub struct XeroOAuth {
    client: XeroOAuthClient,
    /// Kept for the revocation call, which is made without the client.
    client_secret: ClientSecret,
    endpoints: XeroEndpoints,
    http: reqwest::Client,
    scopes: Vec<String>,
}

impl std::fmt::Debug for XeroOAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XeroOAuth")
            .field("client_id", self.client.client_id())
            .finish_non_exhaustive()
    }
}

fn config<E: std::fmt::Display>(what: &str) -> impl Fn(E) -> OAuthError + '_ {
    move |e| OAuthError::Config(format!("{what}: {e}"))
}

impl XeroOAuth {
    pub fn new(
        endpoints: XeroEndpoints,
        client_id: &str,
        client_secret: &str,
        redirect_uri: &str,
        scopes: Vec<String>,
        http: reqwest::Client,
    ) -> Result<Self, OAuthError> {
        let client = BasicClient::new(ClientId::new(client_id.to_string()))
            .set_client_secret(ClientSecret::new(client_secret.to_string()))
            .set_auth_uri(
                AuthUrl::new(endpoints.authorize.clone()).map_err(config("authorize URL"))?,
            )
            .set_token_uri(TokenUrl::new(endpoints.token.clone()).map_err(config("token URL"))?)
            .set_revocation_url(
                RevocationUrl::new(endpoints.revocation.clone())
                    .map_err(config("revocation URL"))?,
            )
            .set_redirect_uri(
                RedirectUrl::new(redirect_uri.to_string()).map_err(config("redirect URI"))?,
            );
        Ok(Self {
            client,
            client_secret: ClientSecret::new(client_secret.to_string()),
            endpoints,
            http,
            scopes,
        })
    }

    pub fn authorize(&self) -> AuthorizeRequest {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state) = self
            .client
            .authorize_url(CsrfToken::new_random)
            .add_scopes(self.scopes.iter().cloned().map(Scope::new))
            .set_pkce_challenge(challenge)
            .url();
        AuthorizeRequest {
            url: url.to_string(),
            state: state.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        }
    }

    pub async fn exchange_code(
        &self,
        code: &str,
        pkce_verifier: &str,
    ) -> Result<TokenSet, OAuthError> {
        let send = OAuthHttp(self.http.clone());
        let resp = self
            .client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_string()))
            .request_async(&send)
            .await
            .map_err(map_token_error)?;
        Ok(token_set(&resp, None))
    }

    pub async fn refresh(&self, refresh_token: &str) -> Result<TokenSet, OAuthError> {
        let send = OAuthHttp(self.http.clone());
        let rt = RefreshToken::new(refresh_token.to_string());
        let resp = self
            .client
            .exchange_refresh_token(&rt)
            .request_async(&send)
            .await
            .map_err(map_token_error)?;
        let mut set = token_set(&resp, None);
        // Xero rotates refresh tokens; keep the old one only if none came.
        if set.refresh_token.is_none() {
            set.refresh_token = Some(refresh_token.to_string());
        }
        Ok(set)
    }

    /// Revokes a refresh token and the access tokens made from it.
    /// Revokes a refresh token (RFC 7009). Sent by hand: the `oauth2`
    /// crate refuses a revocation URL that is not https, so against the
    /// simulator (tests, the demo) no revocation was ever sent.
    pub async fn revoke(&self, refresh_token: &str) -> Result<(), OAuthError> {
        let resp = self
            .http
            .post(&self.endpoints.revocation)
            .basic_auth(
                self.client.client_id().as_str(),
                Some(self.client_secret.secret()),
            )
            .form(&[
                ("token", refresh_token),
                ("token_type_hint", "refresh_token"),
            ])
            .send()
            .await
            .map_err(|e| OAuthError::Transport(e.to_string()))?;
        match resp.status() {
            s if s.is_success() => Ok(()),
            s if s.is_server_error() => {
                Err(OAuthError::Transport(format!("revocation answered {s}")))
            }
            s => Err(OAuthError::Refused(format!("revocation answered {s}"))),
        }
    }

    /// A token for a Custom Connection (one organisation, no refresh token).
    pub async fn client_credentials(
        endpoints: &XeroEndpoints,
        http: &reqwest::Client,
        creds: &CustomCredentials,
    ) -> Result<TokenSet, OAuthError> {
        let client = BasicClient::new(ClientId::new(creds.client_id.clone()))
            .set_client_secret(ClientSecret::new(creds.client_secret.clone()))
            .set_token_uri(TokenUrl::new(endpoints.token.clone()).map_err(config("token URL"))?);
        let send = OAuthHttp(http.clone());
        let resp = client
            .exchange_client_credentials()
            .request_async(&send)
            .await
            .map_err(map_token_error)?;
        Ok(token_set(&resp, Some(creds.clone())))
    }

    pub fn endpoints(&self) -> &XeroEndpoints {
        &self.endpoints
    }
}

fn token_set(resp: &BasicTokenResponse, custom: Option<CustomCredentials>) -> TokenSet {
    let lifetime = resp.expires_in().unwrap_or(Duration::from_secs(1800));
    TokenSet {
        access_token: resp.access_token().secret().clone(),
        refresh_token: resp.refresh_token().map(|t| t.secret().clone()),
        expires_at: Utc::now()
            + chrono::Duration::from_std(lifetime).unwrap_or(chrono::Duration::minutes(30)),
        scope: resp
            .scopes()
            .map(|s| s.iter().map(|x| x.as_str()).collect::<Vec<_>>().join(" ")),
        custom,
    }
}

fn map_token_error<RE: std::error::Error + 'static>(
    e: RequestTokenError<RE, oauth2::StandardErrorResponse<BasicErrorResponseType>>,
) -> OAuthError {
    match e {
        RequestTokenError::ServerResponse(r) => match r.error() {
            BasicErrorResponseType::InvalidGrant => {
                OAuthError::InvalidGrant(r.error_description().cloned().unwrap_or_default())
            }
            BasicErrorResponseType::InvalidClient | BasicErrorResponseType::UnauthorizedClient => {
                OAuthError::InvalidClient
            }
            other => OAuthError::Refused(other.to_string()),
        },
        RequestTokenError::Request(e) => OAuthError::Transport(e.to_string()),
        RequestTokenError::Parse(e, _) => OAuthError::Malformed(e.to_string()),
        RequestTokenError::Other(s) => OAuthError::Malformed(s),
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SendError(String);

/// The `oauth2` crate's HTTP client, over our reqwest client. A named type
/// (not a closure) so that the futures stay `Send` for the job workers.
struct OAuthHttp(reqwest::Client);

impl<'c> oauth2::AsyncHttpClient<'c> for OAuthHttp {
    type Error = SendError;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<HttpResponse, SendError>> + Send + 'c>,
    >;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(send(&self.0, request))
    }
}

/// Sends one of the `oauth2` crate's requests with our reqwest client.
async fn send(http: &reqwest::Client, req: HttpRequest) -> Result<HttpResponse, SendError> {
    let (parts, body) = req.into_parts();
    let resp = http
        .request(parts.method, parts.uri.to_string())
        .headers(parts.headers)
        .body(body)
        .send()
        .await
        .map_err(|e| {
            SendError(if e.is_timeout() {
                "timed out".into()
            } else {
                "request failed".into()
            })
        })?;
    let mut builder = oauth2::http::Response::builder().status(resp.status());
    for (k, v) in resp.headers() {
        builder = builder.header(k, v);
    }
    let bytes = resp
        .bytes()
        .await
        .map_err(|_| SendError("the answer was cut off".into()))?;
    builder
        .body(bytes.to_vec())
        .map_err(|e| SendError(e.to_string()))
}

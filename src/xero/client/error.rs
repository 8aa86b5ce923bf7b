//! What can go wrong talking to Xero, typed so that callers and the UI can
//! say what happened. Every variant names the endpoint.

use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum XeroError {
    /// 400 with Xero's validation messages.
    #[error("Xero rejected the request to {endpoint}: {}", messages.join("; "))]
    Validation {
        endpoint: String,
        messages: Vec<String>,
    },
    /// 401 with `TokenExpired`: refresh and try again.
    #[error("the Xero access token has expired ({endpoint})")]
    TokenExpired { endpoint: String },
    /// 401 otherwise: the token is not accepted or lacks a scope.
    #[error("Xero did not accept the credentials for {endpoint}: {detail}")]
    Unauthorized { endpoint: String, detail: String },
    /// 403: this token is not connected to the tenant.
    #[error("the Xero organisation is not connected to Consol ({endpoint})")]
    TenantNotConnected { endpoint: String },
    #[error("Xero has no such resource ({endpoint})")]
    NotFound { endpoint: String },
    /// 429 after the retries allowed.
    #[error("Xero's rate limit ({problem}) was reached for {endpoint}")]
    RateLimited {
        endpoint: String,
        problem: String,
        retry_after: Option<Duration>,
    },
    /// The day's call budget for the organisation is spent.
    #[error("the day's Xero call budget for this organisation is spent ({endpoint})")]
    DayBudgetExhausted { endpoint: String },
    /// 5xx, 408, timeouts and broken connections, after the retries allowed.
    #[error("Xero is unavailable ({endpoint}): {detail}")]
    Unavailable { endpoint: String, detail: String },
    /// The body was not the JSON Xero promises. The parser's `detail`
    /// (positions, characters) is logged where it happens, not shown.
    #[error("Xero sent an answer Consol could not read for {endpoint}")]
    Malformed { endpoint: String, detail: String },
    /// Any other status.
    #[error("Xero answered {status} for {endpoint}")]
    Unexpected { endpoint: String, status: u16 },
}

impl XeroError {
    pub fn endpoint(&self) -> &str {
        match self {
            Self::Validation { endpoint, .. }
            | Self::TokenExpired { endpoint }
            | Self::Unauthorized { endpoint, .. }
            | Self::TenantNotConnected { endpoint }
            | Self::NotFound { endpoint }
            | Self::RateLimited { endpoint, .. }
            | Self::DayBudgetExhausted { endpoint }
            | Self::Unavailable { endpoint, .. }
            | Self::Malformed { endpoint, .. }
            | Self::Unexpected { endpoint, .. } => endpoint,
        }
    }

    /// Worth trying again later (as opposed to needing a person).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::RateLimited { .. } | Self::Unavailable { .. } | Self::DayBudgetExhausted { .. }
        )
    }
}

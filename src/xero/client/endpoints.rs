//! Where Xero lives: its real hosts, or one simulator address for all.

/// The URLs Consol calls. Xero spreads them over three hosts; a simulator
/// serves them all from one address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XeroEndpoints {
    pub authorize: String,
    pub token: String,
    pub revocation: String,
    pub connections: String,
    /// The Accounting API root, without a trailing slash.
    pub api: String,
}

impl XeroEndpoints {
    pub fn real() -> Self {
        Self {
            authorize: "https://login.xero.com/identity/connect/authorize".into(),
            token: "https://identity.xero.com/connect/token".into(),
            revocation: "https://identity.xero.com/connect/revocation".into(),
            connections: "https://api.xero.com/connections".into(),
            api: "https://api.xero.com/api.xro/2.0".into(),
        }
    }

    /// Every Xero host mapped to `base` (`CONSOL_XERO_BASE_URL`).
    pub fn at(base: &str) -> Self {
        let b = base.trim_end_matches('/');
        Self {
            authorize: format!("{b}/identity/connect/authorize"),
            token: format!("{b}/connect/token"),
            revocation: format!("{b}/connect/revocation"),
            connections: format!("{b}/connections"),
            api: format!("{b}/api.xro/2.0"),
        }
    }

    pub fn from_base(base: Option<&str>) -> Self {
        base.map(Self::at).unwrap_or_else(Self::real)
    }
}

/// The read-only scopes Consol asks for by default (granular scopes, which
/// Xero gives apps created since March 2026). Invoices and credit notes
/// come under `accounting.invoices.read`; payments, overpayments and
/// prepayments under `accounting.payments.read`; spend and receive money
/// under `accounting.banktransactions.read`.
pub const DEFAULT_SCOPES: &[&str] = &[
    "openid",
    "profile",
    "email",
    "offline_access",
    "accounting.settings.read",
    "accounting.contacts.read",
    "accounting.invoices.read",
    "accounting.payments.read",
    "accounting.banktransactions.read",
    "accounting.reports.profitandloss.read",
    "accounting.reports.balancesheet.read",
    "accounting.reports.trialbalance.read",
];

//! Login throttling, kept in the database so that every process of a
//! scaled-out deployment counts the same attempts.

use chrono::{DateTime, Duration, Utc};

use crate::store::{Store, StoreResult};

/// Failures allowed for one e-mail within the window before logins pause.
pub const MAX_FAILURES_PER_EMAIL: i64 = 5;
/// Failures allowed from one address within the window (several accounts).
pub const MAX_FAILURES_PER_IP: i64 = 20;
pub const WINDOW_MINUTES: i64 = 15;

/// Whether a login for this e-mail from this address may be tried now.
pub async fn allowed(
    store: &Store,
    email: &str,
    client_ip: &str,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let since = now - Duration::minutes(WINDOW_MINUTES);
    let counts = store.failed_logins_since(email, client_ip, since).await?;
    Ok(counts.for_email < MAX_FAILURES_PER_EMAIL && counts.from_ip < MAX_FAILURES_PER_IP)
}

//! Login throttling, kept in the database so that every process of a
//! scaled-out deployment counts the same attempts.
//!
//! Failures slow further failures down; nothing ever refuses a right
//! password. A hard lockout would let anyone lock a user out (or, behind one
//! proxy address, every user) by typing wrong passwords. So the password is
//! always checked, and only a wrong one is answered late: the delay grows
//! with the failures of this account from this address, and separately with
//! the failures from this address over all accounts.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::store::{Store, StoreResult};

/// Failures are counted over this window.
pub const WINDOW_MINUTES: i64 = 15;
/// Failures of one account from one address answered without delay.
pub const FREE_FAILURES_PER_ACCOUNT: i64 = 3;
/// Failures from one address (any accounts) answered without delay.
pub const FREE_FAILURES_PER_ADDRESS: i64 = 10;
/// The longest a wrong password is made to wait.
pub const MAX_DELAY: Duration = Duration::from_secs(10);
/// The longest e-mail kept for counting (RFC 5321's limit for an address).
/// Longer input is cut before it reaches the database, so an oversized
/// e-mail cannot make the insert fail and the attempt go uncounted.
pub const MAX_EMAIL_CHARS: usize = 254;

/// The e-mail as it is counted: trimmed, lower case, at most
/// [`MAX_EMAIL_CHARS`] characters.
pub fn email_key(raw: &str) -> String {
    raw.trim()
        .to_lowercase()
        .chars()
        .take(MAX_EMAIL_CHARS)
        .collect()
}

/// The wait before answering the `failures`-th failure (this one included)
/// when the first `free` are answered at once: one second, then doubling, up
/// to [`MAX_DELAY`].
pub fn delay_after(failures: i64, free: i64) -> Duration {
    let over = failures - free;
    if over <= 0 {
        return Duration::ZERO;
    }
    let secs = 1u64
        .checked_shl((over - 1).min(32) as u32)
        .unwrap_or(u64::MAX);
    Duration::from_secs(secs).min(MAX_DELAY)
}

/// How long to hold the answer to a failed login that has just been
/// recorded: the longer of the account-and-address and the address delays.
pub async fn failure_delay(
    store: &Store,
    email_key: &str,
    client_ip: &str,
    now: DateTime<Utc>,
) -> StoreResult<Duration> {
    let since = now - chrono::Duration::minutes(WINDOW_MINUTES);
    let counts = store
        .failed_logins_since(email_key, client_ip, since)
        .await?;
    Ok(delay_after(counts.for_account, FREE_FAILURES_PER_ACCOUNT)
        .max(delay_after(counts.from_address, FREE_FAILURES_PER_ADDRESS)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_then_stop_growing() {
        let secs: Vec<u64> = (0..=10).map(|n| delay_after(n, 3).as_secs()).collect();
        assert_eq!(secs, [0, 0, 0, 0, 1, 2, 4, 8, 10, 10, 10]);
        assert_eq!(delay_after(i64::MAX, 3), MAX_DELAY);
        assert_eq!(delay_after(-1, 3), Duration::ZERO);
    }

    #[test]
    fn email_keys_are_bounded() {
        assert_eq!(email_key("  Ann@Example.COM "), "ann@example.com");
        let long = "é".repeat(100_000);
        assert_eq!(email_key(&long).chars().count(), MAX_EMAIL_CHARS);
    }
}

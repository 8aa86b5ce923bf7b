//! The one-time set-up code of a fresh instance. Without it, whoever reached
//! `/setup` first became the administrator of a freshly started server (a
//! Docker image on a public address included). `consol serve` prints a code
//! to its log while no user exists, as self-hosted services commonly do,
//! and `/setup` asks for it.

use chrono::{DateTime, Utc};

use super::token::{hash_token, random_token};
use crate::store::{Store, StoreResult};

/// A new code for a fresh instance (none once a user exists). Each start
/// adds one, so the code in the latest log always works; every code ends
/// when the first administrator is made.
pub async fn issue_if_needed(store: &Store, now: DateTime<Utc>) -> StoreResult<Option<String>> {
    if store.count_users().await? > 0 {
        return Ok(None);
    }
    Ok(Some(issue(store, now).await?))
}

/// A new code, stored as its hash; shown as four groups of four characters.
pub async fn issue(store: &Store, now: DateTime<Utc>) -> StoreResult<String> {
    // 16 letters and digits (about 95 random bits); no '-' or '_', which
    // could be confused with the separators.
    let mut raw = String::new();
    while raw.len() < 16 {
        raw.extend(
            random_token()
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .take(16 - raw.len()),
        );
    }
    store.add_setup_code(&hash_token(&raw), now).await?;
    let shown = raw
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-");
    Ok(shown)
}

/// The code as typed, without the dashes and spaces it may be shown or
/// pasted with.
pub fn normalise(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| *c != '-' && !c.is_whitespace())
        .take(64)
        .collect()
}

/// Whether `typed` is a code this instance issued.
pub async fn is_valid(store: &Store, typed: &str) -> StoreResult<bool> {
    let code = normalise(typed);
    if code.is_empty() {
        return Ok(false);
    }
    store.setup_code_exists(&hash_token(&code)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_read_as_typed() {
        assert_eq!(normalise(" abcd-EFGH-ij_k-l-mn "), "abcdEFGHij_klmn");
        assert_eq!(normalise(&"x".repeat(1000)).len(), 64);
    }
}

//! Encrypted Xero token sets and the OAuth states of consents in progress.
//! The store only ever sees ciphertext; `crate::connect` encrypts.

use chrono::{DateTime, Utc};

use super::audit::{AuditEntry, insert_audit};
use super::{BeginWrite, Store, StoreResult, on_pool};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TokenSetRow {
    pub id: i64,
    pub kind: String,
    pub auth_event_id: Option<String>,
    pub ciphertext: Vec<u8>,
    pub access_expires_at: DateTime<Utc>,
    /// Bumped by every refresh: the compare-and-swap guard.
    pub version: i64,
    pub state: String,
    pub refresh_lease_owner: Option<String>,
    pub refresh_lease_until: Option<DateTime<Utc>>,
}

pub struct NewTokenSet<'a> {
    pub kind: &'a str,
    pub auth_event_id: Option<&'a str>,
    pub ciphertext: &'a [u8],
    pub access_expires_at: DateTime<Utc>,
    pub created_by: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OAuthStateRow {
    pub session_hash: String,
    pub user_id: i64,
    pub group_id: i64,
    pub pkce_verifier: Vec<u8>,
    pub expires_at: DateTime<Utc>,
}

impl Store {
    pub async fn insert_token_set(
        &self,
        t: &NewTokenSet<'_>,
        now: DateTime<Utc>,
    ) -> StoreResult<i64> {
        on_pool!(self, pool => {
            Ok(sqlx::query_scalar(
                "INSERT INTO xero_token_sets (kind, auth_event_id, ciphertext, access_expires_at, \
                     created_by, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
            )
            .bind(t.kind)
            .bind(t.auth_event_id)
            .bind(t.ciphertext)
            .bind(t.access_expires_at)
            .bind(t.created_by)
            .bind(now)
            .fetch_one(pool)
            .await?)
        })
    }

    pub async fn token_set(&self, id: i64) -> StoreResult<Option<TokenSetRow>> {
        on_pool!(self, pool => {
            Ok(sqlx::query_as::<_, TokenSetRow>(
                "SELECT id, kind, auth_event_id, ciphertext, access_expires_at, version, state, \
                     refresh_lease_owner, refresh_lease_until \
                 FROM xero_token_sets WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(pool)
            .await?)
        })
    }

    /// Claims the right to refresh a token set, only if nobody changed it
    /// since `version` was read and no other live lease exists. Exactly one
    /// of several processes asking at once gets `true`.
    pub async fn lease_token_refresh(
        &self,
        id: i64,
        version: i64,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<bool> {
        on_pool!(self, pool => {
            let n = sqlx::query(
                "UPDATE xero_token_sets SET refresh_lease_owner = $1, refresh_lease_until = $2 \
                 WHERE id = $3 AND version = $4 AND state = 'active' \
                   AND (refresh_lease_until IS NULL OR refresh_lease_until < $5 OR refresh_lease_owner = $1)",
            )
            .bind(owner)
            .bind(until)
            .bind(id)
            .bind(version)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected();
            Ok(n == 1)
        })
    }

    /// Stores a refreshed token pair, bumping the version and ending the
    /// lease. `false` if the row moved on meanwhile.
    pub async fn complete_token_refresh(
        &self,
        id: i64,
        version: i64,
        ciphertext: &[u8],
        access_expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        on_pool!(self, pool => {
            let n = sqlx::query(
                "UPDATE xero_token_sets SET ciphertext = $1, access_expires_at = $2, \
                     version = version + 1, refresh_lease_owner = NULL, refresh_lease_until = NULL, \
                     updated_at = $3 \
                 WHERE id = $4 AND version = $5",
            )
            .bind(ciphertext)
            .bind(access_expires_at)
            .bind(now)
            .bind(id)
            .bind(version)
            .execute(pool)
            .await?
            .rows_affected();
            Ok(n == 1)
        })
    }

    pub async fn release_token_lease(&self, id: i64, owner: &str) -> StoreResult<()> {
        on_pool!(self, pool => {
            sqlx::query(
                "UPDATE xero_token_sets SET refresh_lease_owner = NULL, refresh_lease_until = NULL \
                 WHERE id = $1 AND refresh_lease_owner = $2",
            )
            .bind(id)
            .bind(owner)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Marks a token set (and the organisations that use it) as needing a
    /// new consent, or revoked. Synced data stays.
    pub async fn set_token_set_state(
        &self,
        id: i64,
        state: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let org_state = if state == "active" {
            "connected"
        } else {
            "needs_reconnect"
        };
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            // The groups whose organisations lose their connection now hear
            // of it in their audit log.
            let lost: Vec<(i64, String, String)> = if org_state == "needs_reconnect" {
                sqlx::query_as(
                    "SELECT e.group_id, o.name, o.tenant_id FROM organisations o \
                     JOIN entities e ON e.organisation_id = o.id \
                     WHERE o.token_set_id = $1 AND o.connection_state = 'connected' \
                     ORDER BY e.group_id, o.name",
                )
                .bind(id)
                .fetch_all(&mut *tx)
                .await?
            } else {
                Vec::new()
            };
            for (group_id, name, tenant) in &lost {
                let entry = AuditEntry::new("connection.lost", None)
                    .group(*group_id)
                    .detail(format!(
                        "{name} ({tenant}): Xero no longer accepts the connection ({state}); \
                         syncing stops until someone reconnects"
                    ));
                insert_audit!(&mut *tx, entry, now).await?;
            }
            sqlx::query(
                "UPDATE xero_token_sets SET state = $1, refresh_lease_owner = NULL, \
                     refresh_lease_until = NULL, updated_at = $2 WHERE id = $3",
            )
            .bind(state)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE organisations SET connection_state = $1, updated_at = $2 \
                 WHERE token_set_id = $3 AND connection_state <> 'disconnected'",
            )
            .bind(org_state)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn insert_oauth_state(
        &self,
        state_hash: &str,
        row: &OAuthStateRow,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO oauth_states (state_hash, session_hash, user_id, group_id, pkce_verifier, \
                     created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(state_hash)
            .bind(&row.session_hash)
            .bind(row.user_id)
            .bind(row.group_id)
            .bind(&row.pkce_verifier)
            .bind(now)
            .bind(row.expires_at)
            .execute(pool)
            .await?;
            sqlx::query("DELETE FROM oauth_states WHERE expires_at < $1")
                .bind(now)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Removes and returns a state: each can be used once.
    pub async fn take_oauth_state(&self, state_hash: &str) -> StoreResult<Option<OAuthStateRow>> {
        on_pool!(self, pool => {
            Ok(sqlx::query_as::<_, OAuthStateRow>(
                "DELETE FROM oauth_states WHERE state_hash = $1 \
                 RETURNING session_hash, user_id, group_id, pkce_verifier, expires_at",
            )
            .bind(state_hash)
            .fetch_optional(pool)
            .await?)
        })
    }
}

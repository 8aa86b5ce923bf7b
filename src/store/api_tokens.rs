//! API tokens for scripts and BI tools: shown once, stored as SHA-256.

use chrono::{DateTime, Utc};

use super::audit::{AuditEntry, insert_audit};
use super::{BeginWrite, Store, StoreResult, User, on_pool};
use crate::auth::token::{hash_token, random_token};

/// What every API token starts with, so that one pasted somewhere it should
/// not be is easy to recognise.
pub const API_TOKEN_PREFIX: &str = "consol_";

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ApiTokenInfo {
    pub id: i64,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// The token stops working at this time (none: until revoked).
    pub expires_at: Option<DateTime<Utc>>,
    /// The token may only read (GET); changes answer 403.
    pub read_only: bool,
}

/// What a new token may do, and for how long.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokenScope {
    pub expires_at: Option<DateTime<Utc>>,
    pub read_only: bool,
}

impl Store {
    pub async fn create_api_token(
        &self,
        user_id: i64,
        name: &str,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<i64> {
        on_pool!(self, pool => {
            Ok(sqlx::query_scalar(
                "INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(user_id)
            .bind(name)
            .bind(token_hash)
            .bind(now)
            .fetch_one(pool)
            .await?)
        })
    }

    /// The enabled user behind a live token, noting its use.
    pub async fn user_for_api_token(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<User>> {
        Ok(self.api_token_user(token_hash, now).await?.map(|(u, _)| u))
    }

    /// The enabled user behind a live (not revoked, not expired) token and
    /// whether the token is read-only, noting its use.
    pub async fn api_token_user(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<(User, bool)>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            user: User,
            read_only: bool,
        }
        on_pool!(self, pool => {
            let row = sqlx::query_as::<_, Row>(
                "SELECT u.id, u.email, u.name, u.is_admin, u.created_at, u.disabled_at, t.read_only \
                 FROM api_tokens t JOIN users u ON u.id = t.user_id \
                 WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.disabled_at IS NULL \
                 AND (t.expires_at IS NULL OR t.expires_at > $2)",
            )
            .bind(token_hash)
            .bind(now)
            .fetch_optional(pool)
            .await?;
            if row.is_some() {
                sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE token_hash = $2")
                    .bind(now)
                    .bind(token_hash)
                    .execute(pool)
                    .await?;
            }
            Ok(row.map(|r| (r.user, r.read_only)))
        })
    }

    pub async fn api_tokens_of(&self, user_id: i64) -> StoreResult<Vec<ApiTokenInfo>> {
        on_pool!(self, pool => {
            Ok(sqlx::query_as::<_, ApiTokenInfo>(
                "SELECT id, name, created_at, last_used_at, revoked_at, expires_at, read_only \
                 FROM api_tokens WHERE user_id = $1 ORDER BY id",
            )
            .bind(user_id)
            .fetch_all(pool)
            .await?)
        })
    }

    /// [`Store::issue_api_token_with`] for a token without expiry that may
    /// read and change.
    pub async fn issue_api_token(
        &self,
        user_id: i64,
        name: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<(i64, String)> {
        self.issue_api_token_with(user_id, name, TokenScope::default(), now)
            .await
    }

    /// Makes a new token for a user: stores only its SHA-256, audited in
    /// the same transaction, and returns its id and the token itself, which
    /// cannot be recovered later.
    pub async fn issue_api_token_with(
        &self,
        user_id: i64,
        name: &str,
        scope: TokenScope,
        now: DateTime<Utc>,
    ) -> StoreResult<(i64, String)> {
        let token = format!("{API_TOKEN_PREFIX}{}", random_token());
        let hash = hash_token(&token);
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO api_tokens (user_id, name, token_hash, created_at, expires_at, read_only) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(user_id)
            .bind(name)
            .bind(&hash)
            .bind(now)
            .bind(scope.expires_at)
            .bind(scope.read_only)
            .fetch_one(&mut *tx)
            .await?;
            let mut what = name.to_string();
            if scope.read_only {
                what.push_str(", read-only");
            }
            if let Some(t) = scope.expires_at {
                what.push_str(&format!(", expires {}", t.format("%Y-%m-%d %H:%M UTC")));
            }
            let entry = AuditEntry::new("api_token.create", Some(user_id)).detail(what);
            insert_audit!(&mut *tx, entry, now).await?;
            tx.commit().await?;
            Ok((id, token))
        })
    }

    /// Revokes one of the user's own live tokens, audited. False when the
    /// token is not theirs or already revoked.
    pub async fn revoke_api_token(
        &self,
        user_id: i64,
        id: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let name: Option<String> = sqlx::query_scalar(
                "UPDATE api_tokens SET revoked_at = $1 \
                 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL RETURNING name",
            )
            .bind(now)
            .bind(id)
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(name) = name else {
                tx.rollback().await?;
                return Ok(false);
            };
            let entry = AuditEntry::new("api_token.revoke", Some(user_id)).detail(name);
            insert_audit!(&mut *tx, entry, now).await?;
            tx.commit().await?;
            Ok(true)
        })
    }
}

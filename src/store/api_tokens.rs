//! API tokens for scripts and BI tools: shown once, stored as SHA-256.

use chrono::{DateTime, Utc};

use super::{Store, StoreResult, User, on_pool};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ApiTokenInfo {
    pub id: i64,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
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
        on_pool!(self, pool => {
            let user = sqlx::query_as::<_, User>(
                "SELECT u.id, u.email, u.name, u.is_admin, u.created_at, u.disabled_at \
                 FROM api_tokens t JOIN users u ON u.id = t.user_id \
                 WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.disabled_at IS NULL",
            )
            .bind(token_hash)
            .fetch_optional(pool)
            .await?;
            if user.is_some() {
                sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE token_hash = $2")
                    .bind(now)
                    .bind(token_hash)
                    .execute(pool)
                    .await?;
            }
            Ok(user)
        })
    }

    pub async fn api_tokens_of(&self, user_id: i64) -> StoreResult<Vec<ApiTokenInfo>> {
        on_pool!(self, pool => {
            Ok(sqlx::query_as::<_, ApiTokenInfo>(
                "SELECT id, name, created_at, last_used_at, revoked_at FROM api_tokens \
                 WHERE user_id = $1 ORDER BY id",
            )
            .bind(user_id)
            .fetch_all(pool)
            .await?)
        })
    }

    pub async fn revoke_api_token(
        &self,
        user_id: i64,
        id: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        on_pool!(self, pool => {
            Ok(sqlx::query(
                "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(id)
            .bind(user_id)
            .execute(pool)
            .await?
            .rows_affected()
                == 1)
        })
    }
}

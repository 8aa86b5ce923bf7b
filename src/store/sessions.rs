//! Server-side sessions: the cookie holds a random token, the database only
//! its SHA-256, so a leaked database cannot be replayed as cookies.

use chrono::{DateTime, Utc};

use super::{Store, StoreResult, User, on_pool};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub token_hash: String,
    pub user: User,
    /// The synchroniser token every state-changing form must echo.
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

impl Store {
    pub async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        csrf_token: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(token_hash)
            .bind(user_id)
            .bind(csrf_token)
            .bind(now)
            .bind(expires_at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The live session for a token hash, with its (enabled) user.
    pub async fn session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Session>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            token_hash: String,
            csrf_token: String,
            expires_at: DateTime<Utc>,
            #[sqlx(flatten)]
            user: User,
        }
        on_pool!(self, pool => {
            let row = sqlx::query_as::<_, Row>(
                "SELECT s.token_hash, s.csrf_token, s.expires_at, \
                        u.id, u.email, u.name, u.is_admin, u.created_at, u.disabled_at \
                 FROM sessions s JOIN users u ON u.id = s.user_id \
                 WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.disabled_at IS NULL",
            )
            .bind(token_hash)
            .bind(now)
            .fetch_optional(pool)
            .await?;
            Ok(row.map(|r| Session {
                token_hash: r.token_hash,
                user: r.user,
                csrf_token: r.csrf_token,
                expires_at: r.expires_at,
            }))
        })
    }

    pub async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        on_pool!(self, pool => {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                .bind(token_hash)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Ends every session of a user ("sign out everywhere"); returns how
    /// many there were.
    pub async fn delete_sessions_of(&self, user_id: i64) -> StoreResult<u64> {
        on_pool!(self, pool => {
            Ok(sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(user_id)
                .execute(pool)
                .await?
                .rows_affected())
        })
    }

    pub async fn delete_expired_sessions(&self, now: DateTime<Utc>) -> StoreResult<u64> {
        on_pool!(self, pool => {
            Ok(sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected())
        })
    }
}

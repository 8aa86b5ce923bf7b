//! Users and login attempts.

use chrono::{DateTime, Utc};

use super::audit::{AuditEntry, insert_audit};
use super::{BeginWrite, Store, StoreResult, map_conflict, on_pool};
use crate::domain::Email;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub is_admin: bool,
    pub created_at: DateTime<Utc>,
    pub disabled_at: Option<DateTime<Utc>>,
}

/// The longest display name kept for a user.
pub const MAX_USER_NAME_CHARS: usize = 100;

pub struct NewUser<'a> {
    pub email: &'a Email,
    pub name: &'a str,
    /// An argon2id PHC string, never the password itself.
    pub password_hash: &'a str,
    pub is_admin: bool,
}

/// Failed logins counted for throttling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginAttempt {
    /// Failures of this e-mail from this address since its last success.
    pub for_account: i64,
    /// Failures from this address, any e-mail.
    pub from_address: i64,
}

const USER_COLUMNS: &str = "id, email, name, is_admin, created_at, disabled_at";

impl Store {
    /// Fails with [`super::StoreError::Conflict`] when the e-mail is taken.
    pub async fn create_user(&self, new: &NewUser<'_>, now: DateTime<Utc>) -> StoreResult<User> {
        on_pool!(self, pool => {
            sqlx::query_as::<_, User>(
                "INSERT INTO users (email, name, password_hash, is_admin, created_at) \
                 VALUES ($1, $2, $3, $4, $5) \
                 RETURNING id, email, name, is_admin, created_at, disabled_at",
            )
            .bind(new.email.as_str())
            .bind(new.name)
            .bind(new.password_hash)
            .bind(new.is_admin)
            .bind(now)
            .fetch_one(pool)
            .await
            .map_err(map_conflict)
        })
    }

    /// Creates the first administrator, only while no user exists. Returns
    /// `None` when someone got there first; the flag row makes this safe
    /// against two concurrent first visitors on either backend.
    pub async fn create_first_admin(
        &self,
        new: &NewUser<'_>,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<User>> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let claimed = sqlx::query(
                "INSERT INTO instance_flags (name, set_at) VALUES ('first_admin', $1) \
                 ON CONFLICT (name) DO NOTHING",
            )
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
                .fetch_one(&mut *tx)
                .await?;
            if claimed == 0 || existing > 0 {
                // Roll back now rather than on drop, so no lock outlives
                // this call.
                tx.rollback().await?;
                return Ok(None);
            }
            let user = sqlx::query_as::<_, User>(
                "INSERT INTO users (email, name, password_hash, is_admin, created_at) \
                 VALUES ($1, $2, $3, TRUE, $4) \
                 RETURNING id, email, name, is_admin, created_at, disabled_at",
            )
            .bind(new.email.as_str())
            .bind(new.name)
            .bind(new.password_hash)
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(map_conflict)?;
            // The set-up codes have done their work.
            sqlx::query("DELETE FROM setup_codes").execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(Some(user))
        })
    }

    pub async fn add_setup_code(&self, code_hash: &str, now: DateTime<Utc>) -> StoreResult<()> {
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO setup_codes (code_hash, created_at) VALUES ($1, $2) \
                 ON CONFLICT (code_hash) DO NOTHING",
            )
            .bind(code_hash)
            .bind(now)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    pub async fn setup_code_exists(&self, code_hash: &str) -> StoreResult<bool> {
        on_pool!(self, pool => {
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM setup_codes WHERE code_hash = $1")
                .bind(code_hash)
                .fetch_one(pool)
                .await?;
            Ok(n > 0)
        })
    }

    pub async fn count_users(&self) -> StoreResult<i64> {
        on_pool!(self, pool => {
            Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(pool).await?)
        })
    }

    pub async fn user_by_id(&self, id: i64) -> StoreResult<Option<User>> {
        on_pool!(self, pool => {
            Ok(sqlx::query_as::<_, User>(sqlx::AssertSqlSafe(format!(
                "SELECT {USER_COLUMNS} FROM users WHERE id = $1"
            )))
            .bind(id)
            .fetch_optional(pool)
            .await?)
        })
    }

    pub async fn user_by_email(&self, email: &Email) -> StoreResult<Option<User>> {
        on_pool!(self, pool => {
            Ok(sqlx::query_as::<_, User>(sqlx::AssertSqlSafe(format!(
                "SELECT {USER_COLUMNS} FROM users WHERE email = $1"
            )))
            .bind(email.as_str())
            .fetch_optional(pool)
            .await?)
        })
    }

    /// The user and their password hash, for checking a login.
    pub async fn credentials(&self, email: &Email) -> StoreResult<Option<(User, String)>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            user: User,
            password_hash: String,
        }
        on_pool!(self, pool => {
            let row = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(format!(
                "SELECT {USER_COLUMNS}, password_hash FROM users WHERE email = $1"
            )))
            .bind(email.as_str())
            .fetch_optional(pool)
            .await?;
            Ok(row.map(|r| (r.user, r.password_hash)))
        })
    }

    /// Every user, by e-mail.
    pub async fn all_users(&self) -> StoreResult<Vec<User>> {
        on_pool!(self, pool => {
            Ok(sqlx::query_as::<_, User>(sqlx::AssertSqlSafe(format!(
                "SELECT {USER_COLUMNS} FROM users ORDER BY email"
            )))
            .fetch_all(pool)
            .await?)
        })
    }

    /// Disables a user or enables them again, audited. Disabling ends every
    /// session of theirs and revokes every API token in the same
    /// transaction, so nothing of theirs works a moment later. False when
    /// there is no such user or nothing changed.
    pub async fn set_user_disabled(
        &self,
        user_id: i64,
        disabled: bool,
        by: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let email: Option<String> = if disabled {
                sqlx::query_scalar(
                    "UPDATE users SET disabled_at = $1 WHERE id = $2 AND disabled_at IS NULL \
                     RETURNING email",
                )
                .bind(now)
                .bind(user_id)
                .fetch_optional(&mut *tx)
                .await?
            } else {
                sqlx::query_scalar(
                    "UPDATE users SET disabled_at = NULL WHERE id = $1 AND disabled_at IS NOT NULL \
                     RETURNING email",
                )
                .bind(user_id)
                .fetch_optional(&mut *tx)
                .await?
            };
            let Some(email) = email else {
                tx.rollback().await?;
                return Ok(false);
            };
            if disabled {
                sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
                )
                .bind(now)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            }
            let action = if disabled { "user.disable" } else { "user.enable" };
            let entry = AuditEntry::new(action, Some(by)).detail(email);
            insert_audit!(&mut *tx, entry, now).await?;
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Sets a new password hash and ends every other session of the user
    /// (all but `keep_session`), audited, in one transaction.
    pub async fn change_password(
        &self,
        user_id: i64,
        hash: &str,
        keep_session: Option<&str>,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                .bind(hash)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
                .bind(user_id)
                .bind(keep_session.unwrap_or(""))
                .execute(&mut *tx)
                .await?;
            let entry = AuditEntry::new("user.password_change", Some(user_id));
            insert_audit!(&mut *tx, entry, now).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn set_password_hash(&self, user_id: i64, hash: &str) -> StoreResult<()> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                .bind(hash)
                .bind(user_id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Records an attempt and returns its id. A login is recorded as failed
    /// before its password is checked, then marked a success with
    /// [`Store::mark_login_succeeded`], so a check that never ends still
    /// counts.
    pub async fn record_login_attempt(
        &self,
        email: &str,
        client_ip: &str,
        succeeded: bool,
        at: DateTime<Utc>,
    ) -> StoreResult<i64> {
        on_pool!(self, pool => {
            Ok(sqlx::query_scalar(
                "INSERT INTO login_attempts (email, client_ip, succeeded, at) VALUES ($1, $2, $3, $4) \
                 RETURNING id",
            )
            .bind(email)
            .bind(client_ip)
            .bind(succeeded)
            .bind(at)
            .fetch_one(pool)
            .await?)
        })
    }

    pub async fn mark_login_succeeded(&self, attempt_id: i64) -> StoreResult<()> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE login_attempts SET succeeded = TRUE WHERE id = $1")
                .bind(attempt_id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Failed logins since `since`: of this e-mail from this address (a
    /// success of that pair resets its count), and from this address for
    /// any e-mail.
    pub async fn failed_logins_since(
        &self,
        email: &str,
        client_ip: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<LoginAttempt> {
        on_pool!(self, pool => {
            let for_account: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM login_attempts \
                 WHERE email = $1 AND client_ip = $2 AND NOT succeeded AND at > $3 \
                 AND id > COALESCE((SELECT MAX(id) FROM login_attempts \
                                    WHERE email = $1 AND client_ip = $2 AND succeeded), 0)",
            )
            .bind(email)
            .bind(client_ip)
            .bind(since)
            .fetch_one(pool)
            .await?;
            let from_address: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM login_attempts WHERE client_ip = $1 AND NOT succeeded AND at > $2",
            )
            .bind(client_ip)
            .bind(since)
            .fetch_one(pool)
            .await?;
            Ok(LoginAttempt { for_account, from_address })
        })
    }
}

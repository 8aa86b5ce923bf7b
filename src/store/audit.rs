//! The audit log: who did what, when. Rows are written in the same
//! transaction as the change they describe.

use chrono::{DateTime, Utc};

use super::{Store, StoreResult, on_pool};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditEntry {
    pub user_id: Option<i64>,
    pub group_id: Option<i64>,
    /// A dotted name such as `user.login` or `group.create`.
    pub action: String,
    pub detail: String,
}

impl AuditEntry {
    pub fn new(action: &str, user_id: Option<i64>) -> Self {
        Self {
            user_id,
            group_id: None,
            action: action.to_string(),
            detail: String::new(),
        }
    }

    pub fn group(mut self, group_id: i64) -> Self {
        self.group_id = Some(group_id);
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = detail.into();
        self
    }
}

pub(crate) const INSERT_AUDIT: &str =
    "INSERT INTO audit_log (at, user_id, group_id, action, detail) VALUES ($1, $2, $3, $4, $5)";

/// Inserts an audit row through any executor (a pool or a transaction).
macro_rules! insert_audit {
    ($ex:expr, $entry:expr, $at:expr) => {
        sqlx::query($crate::store::audit::INSERT_AUDIT)
            .bind($at)
            .bind($entry.user_id)
            .bind($entry.group_id)
            .bind(&$entry.action)
            .bind(&$entry.detail)
            .execute($ex)
    };
}
pub(crate) use insert_audit;

impl Store {
    pub async fn audit(&self, entry: &AuditEntry, at: DateTime<Utc>) -> StoreResult<()> {
        on_pool!(self, pool => {
            insert_audit!(pool, entry, at).await?;
        });
        Ok(())
    }

    /// Newest first. `group_id = None` lists instance-wide entries too.
    pub async fn audit_log(
        &self,
        group_id: Option<i64>,
        limit: i64,
    ) -> StoreResult<Vec<(DateTime<Utc>, AuditEntry)>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            at: DateTime<Utc>,
            #[sqlx(flatten)]
            entry: AuditEntry,
        }
        on_pool!(self, pool => {
            let rows = sqlx::query_as::<_, Row>(
                "SELECT at, user_id, group_id, action, detail FROM audit_log \
                 WHERE ($1 IS NULL OR group_id = $1) ORDER BY id DESC LIMIT $2",
            )
            .bind(group_id)
            .bind(limit)
            .fetch_all(pool)
            .await?;
            Ok(rows.into_iter().map(|r| (r.at, r.entry)).collect())
        })
    }

    /// A page of a group's log, newest first, with each user's e-mail:
    /// entries older than `before` (an entry id) whose action starts with
    /// `action_prefix` (all when None).
    pub async fn group_audit_page(
        &self,
        group_id: i64,
        before: Option<i64>,
        action_prefix: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<AuditRow>> {
        on_pool!(self, pool => {
            // substr, not LIKE: action names contain `_`, LIKE's wildcard.
            Ok(sqlx::query_as::<_, AuditRow>(
                "SELECT a.id, a.at, u.email AS user_email, a.action, a.detail \
                 FROM audit_log a LEFT JOIN users u ON u.id = a.user_id \
                 WHERE a.group_id = $1 AND ($2 IS NULL OR a.id < $2) \
                 AND ($3 IS NULL OR substr(a.action, 1, length($3)) = $3) \
                 ORDER BY a.id DESC LIMIT $4",
            )
            .bind(group_id)
            .bind(before)
            .bind(action_prefix)
            .bind(limit)
            .fetch_all(pool)
            .await?)
        })
    }
}

/// An audit entry as the audit page shows it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditRow {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// None when the entry has no user or the user was deleted.
    pub user_email: Option<String>,
    pub action: String,
    pub detail: String,
}

//! Groups and their members.

use std::fmt;

use chrono::{DateTime, Utc};

use super::audit::{AuditEntry, insert_audit};
use super::{BeginWrite, Store, StoreResult, on_pool};
use crate::domain::{CurrencyCode, ParseError};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Group {
    pub id: i64,
    pub name: String,
    pub presentation_currency: CurrencyCode,
    pub financial_year_end_month: i32,
    pub history_months: i32,
    pub created_at: DateTime<Utc>,
}

pub struct NewGroup<'a> {
    pub name: &'a str,
    pub presentation_currency: CurrencyCode,
    pub financial_year_end_month: u32,
}

/// What a member may do in a group. Ordered: each role can do what the
/// ones before it can.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GroupRole {
    Viewer,
    Editor,
    Admin,
}

impl GroupRole {
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "viewer" => Ok(Self::Viewer),
            "editor" => Ok(Self::Editor),
            "admin" => Ok(Self::Admin),
            other => Err(ParseError(format!(
                "'{other}' is not a role (admin, editor or viewer)"
            ))),
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Editor => "editor",
            Self::Admin => "admin",
        }
    }
}

impl fmt::Display for GroupRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(sqlx::FromRow)]
struct GroupWithRole {
    #[sqlx(flatten)]
    group: Group,
    role: String,
}

impl GroupWithRole {
    fn split(self) -> StoreResult<(Group, GroupRole)> {
        let role = GroupRole::parse(&self.role).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
        Ok((self.group, role))
    }
}

const GROUP_COLUMNS: &str = "g.id, g.name, g.presentation_currency, g.financial_year_end_month, g.history_months, g.created_at";

impl Store {
    /// Creates a group with its creator as admin, audited, in one transaction.
    pub async fn create_group(
        &self,
        new: &NewGroup<'_>,
        creator_id: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<Group> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let group = sqlx::query_as::<_, Group>(
                "INSERT INTO groups (name, presentation_currency, financial_year_end_month, created_at) \
                 VALUES ($1, $2, $3, $4) \
                 RETURNING id, name, presentation_currency, financial_year_end_month, history_months, created_at",
            )
            .bind(new.name)
            .bind(new.presentation_currency)
            .bind(new.financial_year_end_month as i32)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO group_members (group_id, user_id, role, added_at) VALUES ($1, $2, 'admin', $3)",
            )
            .bind(group.id)
            .bind(creator_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            let entry = AuditEntry::new("group.create", Some(creator_id))
                .group(group.id)
                .detail(format!("{} ({})", group.name, group.presentation_currency));
            insert_audit!(&mut *tx, entry, now).await?;
            tx.commit().await?;
            Ok(group)
        })
    }

    /// Adds or changes a member's role.
    pub async fn set_member(
        &self,
        group_id: i64,
        user_id: i64,
        role: GroupRole,
        by: Option<i64>,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "INSERT INTO group_members (group_id, user_id, role, added_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (group_id, user_id) DO UPDATE SET role = excluded.role",
            )
            .bind(group_id)
            .bind(user_id)
            .bind(role.as_str())
            .bind(now)
            .execute(&mut *tx)
            .await?;
            let entry = AuditEntry::new("group.member.set", by)
                .group(group_id)
                .detail(format!("user {user_id} as {role}"));
            insert_audit!(&mut *tx, entry, now).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// The groups a user belongs to, with their role, by name.
    pub async fn groups_for_user(&self, user_id: i64) -> StoreResult<Vec<(Group, GroupRole)>> {
        on_pool!(self, pool => {
            let rows = sqlx::query_as::<_, GroupWithRole>(sqlx::AssertSqlSafe(format!(
                "SELECT {GROUP_COLUMNS}, m.role FROM groups g \
                 JOIN group_members m ON m.group_id = g.id \
                 WHERE m.user_id = $1 ORDER BY g.name, g.id"
            )))
            .bind(user_id)
            .fetch_all(pool)
            .await?;
            rows.into_iter().map(GroupWithRole::split).collect()
        })
    }

    /// The group, only when the user is a member: the single gate that
    /// every group route goes through.
    pub async fn group_for_member(
        &self,
        group_id: i64,
        user_id: i64,
    ) -> StoreResult<Option<(Group, GroupRole)>> {
        on_pool!(self, pool => {
            let row = sqlx::query_as::<_, GroupWithRole>(sqlx::AssertSqlSafe(format!(
                "SELECT {GROUP_COLUMNS}, m.role FROM groups g \
                 JOIN group_members m ON m.group_id = g.id \
                 WHERE g.id = $1 AND m.user_id = $2"
            )))
            .bind(group_id)
            .bind(user_id)
            .fetch_optional(pool)
            .await?;
            row.map(GroupWithRole::split).transpose()
        })
    }
}

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

/// A member of a group as the members page lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub user_id: i64,
    pub email: String,
    pub name: String,
    pub role: GroupRole,
    pub added_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct MemberRow {
    user_id: i64,
    email: String,
    name: String,
    role: String,
    added_at: DateTime<Utc>,
}

impl MemberRow {
    fn parse(self) -> StoreResult<Member> {
        let role = GroupRole::parse(&self.role).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
        Ok(Member {
            user_id: self.user_id,
            email: self.email,
            name: self.name,
            role,
            added_at: self.added_at,
        })
    }
}

/// The outcome of changing or removing a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberChange {
    Done,
    /// The user is not a member of the group: nothing changed.
    NotMember,
    /// The change would leave the group without an admin: nothing changed.
    LastAdmin,
}

const GROUP_COLUMNS: &str = "g.id, g.name, g.presentation_currency, g.financial_year_end_month, g.history_months, g.created_at";

/// Takes the group's row lock for the rest of the transaction, so that
/// concurrent member changes of one group (which check "is this the last
/// admin?") run one after the other on PostgreSQL; SQLite's `BEGIN
/// IMMEDIATE` already serialises writers.
macro_rules! lock_group {
    ($ex:expr, $group_id:expr) => {
        sqlx::query("UPDATE groups SET name = name WHERE id = $1")
            .bind($group_id)
            .execute($ex)
            .await?
    };
}

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

    /// The members of a group with their role, by e-mail.
    pub async fn members_of(&self, group_id: i64) -> StoreResult<Vec<Member>> {
        on_pool!(self, pool => {
            let rows = sqlx::query_as::<_, MemberRow>(
                "SELECT u.id AS user_id, u.email, u.name, m.role, m.added_at \
                 FROM group_members m JOIN users u ON u.id = m.user_id \
                 WHERE m.group_id = $1 ORDER BY u.email, u.id",
            )
            .bind(group_id)
            .fetch_all(pool)
            .await?;
            rows.into_iter().map(MemberRow::parse).collect()
        })
    }

    /// Changes an existing member's role, audited, refusing to demote the
    /// group's last admin.
    pub async fn change_member_role(
        &self,
        group_id: i64,
        user_id: i64,
        role: GroupRole,
        by: Option<i64>,
        now: DateTime<Utc>,
    ) -> StoreResult<MemberChange> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            lock_group!(&mut *tx, group_id);
            let current: Option<String> = sqlx::query_scalar(
                "SELECT role FROM group_members WHERE group_id = $1 AND user_id = $2",
            )
            .bind(group_id)
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(current) = current else {
                tx.rollback().await?;
                return Ok(MemberChange::NotMember);
            };
            if current == "admin" && role != GroupRole::Admin {
                let admins: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM group_members WHERE group_id = $1 AND role = 'admin'",
                )
                .bind(group_id)
                .fetch_one(&mut *tx)
                .await?;
                if admins <= 1 {
                    tx.rollback().await?;
                    return Ok(MemberChange::LastAdmin);
                }
            }
            sqlx::query("UPDATE group_members SET role = $1 WHERE group_id = $2 AND user_id = $3")
                .bind(role.as_str())
                .bind(group_id)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            let entry = AuditEntry::new("group.member.set", by)
                .group(group_id)
                .detail(format!("user {user_id} as {role}"));
            insert_audit!(&mut *tx, entry, now).await?;
            tx.commit().await?;
            Ok(MemberChange::Done)
        })
    }

    /// Removes a member, audited, refusing to remove the group's last admin.
    pub async fn remove_member(
        &self,
        group_id: i64,
        user_id: i64,
        by: Option<i64>,
        now: DateTime<Utc>,
    ) -> StoreResult<MemberChange> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            lock_group!(&mut *tx, group_id);
            let current: Option<String> = sqlx::query_scalar(
                "SELECT role FROM group_members WHERE group_id = $1 AND user_id = $2",
            )
            .bind(group_id)
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(current) = current else {
                tx.rollback().await?;
                return Ok(MemberChange::NotMember);
            };
            if current == "admin" {
                let admins: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM group_members WHERE group_id = $1 AND role = 'admin'",
                )
                .bind(group_id)
                .fetch_one(&mut *tx)
                .await?;
                if admins <= 1 {
                    tx.rollback().await?;
                    return Ok(MemberChange::LastAdmin);
                }
            }
            sqlx::query("DELETE FROM group_members WHERE group_id = $1 AND user_id = $2")
                .bind(group_id)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            let entry = AuditEntry::new("group.member.remove", by)
                .group(group_id)
                .detail(format!("user {user_id} ({current})"));
            insert_audit!(&mut *tx, entry, now).await?;
            tx.commit().await?;
            Ok(MemberChange::Done)
        })
    }
}

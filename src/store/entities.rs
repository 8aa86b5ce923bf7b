//! The entities of a group: the Xero organisations it consolidates, with
//! their connection state.

use chrono::{DateTime, Utc};

use super::audit::{AuditEntry, insert_audit};
use super::{BeginWrite, Store, StoreResult, on_pool};
use crate::domain::CurrencyCode;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct EntityView {
    pub id: i64,
    pub group_id: i64,
    pub organisation_id: i64,
    pub tenant_id: String,
    pub name: String,
    pub legal_name: Option<String>,
    pub short_code: Option<String>,
    pub base_currency: CurrencyCode,
    pub country_code: Option<String>,
    pub financial_year_end_day: Option<i32>,
    pub financial_year_end_month: Option<i32>,
    /// `connected`, `needs_reconnect` or `disconnected`.
    pub connection_state: String,
    pub last_synced_at: Option<DateTime<Utc>>,
    pub token_set_id: Option<i64>,
    pub connection_id: Option<String>,
    pub is_parent: bool,
    /// Xero's `X-DayLimit-Remaining` after the last sync.
    pub day_calls_remaining: Option<i32>,
}

/// What [`Store::disconnect_entity`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disconnected {
    /// Groups that still consolidate the organisation.
    pub other_groups: i64,
    /// Intercompany decisions kept aside for a reconnection.
    pub kept_decisions: u64,
    /// Set when the organisation left its last group: its Xero connection
    /// is to be removed.
    pub release: Option<Release>,
}

/// The Xero side of a disconnection, done after the commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    pub token_set_id: i64,
    /// No organisation is connected through the token set any more.
    pub revoke: bool,
}

/// Every table of synced data, deleted with an organisation's data.
const SYNCED_TABLES: [&str; 13] = [
    "invoice_lines",
    "invoices",
    "document_lines",
    "allocations",
    "credit_notes",
    "bank_transactions",
    "payments",
    "overpayments",
    "prepayments",
    "contacts",
    "accounts",
    "report_amounts",
    "document_versions",
];

const ENTITY_COLUMNS: &str = "e.id, e.group_id, e.organisation_id, o.tenant_id, o.name, o.legal_name, \
     o.short_code, o.base_currency, o.country_code, o.financial_year_end_day, \
     o.financial_year_end_month, o.connection_state, o.last_synced_at, o.token_set_id, \
     o.connection_id, e.is_parent, o.day_calls_remaining";

impl Store {
    /// Points an organisation at the token set and Xero connection that now
    /// reach it, and marks it connected. An organisation has one token set,
    /// shared by every group that consolidates it; the set it leaves, when
    /// no organisation uses it any more, is retired here (marked `revoked`,
    /// its tokens forgotten) in the same transaction, so that no token set
    /// is left active that nothing refreshes or revokes. Returns the retired
    /// set's id. Xero is not asked to revoke it: Xero's revocation ends all
    /// of the consenting user's connections, the new set's included.
    pub async fn attach_organisation(
        &self,
        organisation_id: i64,
        connection_id: Option<&str>,
        token_set_id: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<i64>> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let previous: Option<i64> =
                sqlx::query_scalar("SELECT token_set_id FROM organisations WHERE id = $1")
                    .bind(organisation_id)
                    .fetch_one(&mut *tx)
                    .await?;
            sqlx::query(
                "UPDATE organisations SET connection_id = $1, token_set_id = $2, \
                     connection_state = 'connected', updated_at = $3 WHERE id = $4",
            )
            .bind(connection_id)
            .bind(token_set_id)
            .bind(now)
            .bind(organisation_id)
            .execute(&mut *tx)
            .await?;
            let mut retired = None;
            if let Some(old) = previous.filter(|old| *old != token_set_id) {
                let users: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM organisations WHERE token_set_id = $1 \
                     AND connection_state <> 'disconnected'",
                )
                .bind(old)
                .fetch_one(&mut *tx)
                .await?;
                if users == 0 {
                    let n = sqlx::query(
                        "UPDATE xero_token_sets SET state = 'revoked', ciphertext = $1, \
                             refresh_lease_owner = NULL, refresh_lease_until = NULL, updated_at = $2 \
                         WHERE id = $3 AND state <> 'revoked'",
                    )
                    .bind(Vec::<u8>::new())
                    .bind(now)
                    .bind(old)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if n == 1 {
                        retired = Some(old);
                    }
                }
            }
            tx.commit().await?;
            Ok(retired)
        })
    }

    /// Adds the organisation to the group (once); returns the entity id and
    /// whether it was new. The group's first entity is its parent. A new
    /// entity takes back the intercompany decisions kept when the group
    /// last disconnected the organisation (see [`Store::disconnect_entity`]),
    /// unless the contact was decided again meanwhile.
    pub async fn add_entity(
        &self,
        group_id: i64,
        organisation_id: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<(i64, bool)> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let inserted = sqlx::query(
                "INSERT INTO entities (group_id, organisation_id, is_parent, added_at) \
                 VALUES ($1, $2, NOT EXISTS (SELECT 1 FROM entities WHERE group_id = $1), $3) \
                 ON CONFLICT (group_id, organisation_id) DO NOTHING",
            )
            .bind(group_id)
            .bind(organisation_id)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            let id: i64 = sqlx::query_scalar(
                "SELECT id FROM entities WHERE group_id = $1 AND organisation_id = $2",
            )
            .bind(group_id)
            .bind(organisation_id)
            .fetch_one(&mut *tx)
            .await?;
            if inserted == 1 {
                sqlx::query(
                    "INSERT INTO intercompany_contacts (group_id, organisation_id, contact_id, \
                         counterpart_entity_id, confirmed, rejected, updated_by, updated_at) \
                     SELECT group_id, organisation_id, contact_id, $3, confirmed, rejected, \
                         updated_by, updated_at FROM kept_intercompany_contacts \
                     WHERE group_id = $1 AND counterpart_organisation_id = $2 \
                     ON CONFLICT (group_id, organisation_id, contact_id) DO NOTHING",
                )
                .bind(group_id)
                .bind(organisation_id)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "DELETE FROM kept_intercompany_contacts \
                     WHERE group_id = $1 AND counterpart_organisation_id = $2",
                )
                .bind(group_id)
                .bind(organisation_id)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok((id, inserted == 1))
        })
    }

    pub async fn entities_for_group(&self, group_id: i64) -> StoreResult<Vec<EntityView>> {
        on_pool!(self, pool => {
            Ok(sqlx::query_as::<_, EntityView>(sqlx::AssertSqlSafe(format!(
                "SELECT {ENTITY_COLUMNS} FROM entities e JOIN organisations o ON o.id = e.organisation_id \
                 WHERE e.group_id = $1 ORDER BY e.is_parent DESC, o.name, e.id"
            )))
            .bind(group_id)
            .fetch_all(pool)
            .await?)
        })
    }

    pub async fn entity_in_group(
        &self,
        group_id: i64,
        entity_id: i64,
    ) -> StoreResult<Option<EntityView>> {
        on_pool!(self, pool => {
            Ok(sqlx::query_as::<_, EntityView>(sqlx::AssertSqlSafe(format!(
                "SELECT {ENTITY_COLUMNS} FROM entities e JOIN organisations o ON o.id = e.organisation_id \
                 WHERE e.group_id = $1 AND e.id = $2"
            )))
            .bind(group_id)
            .bind(entity_id)
            .fetch_optional(pool)
            .await?)
        })
    }

    /// Removes an entity from its group, in one transaction: the group's
    /// confirmed and rejected intercompany contacts that point at it are
    /// kept aside (by its organisation) for a later reconnection, the
    /// entity goes, and when no other group consolidates the organisation
    /// it is marked disconnected (its synced data deleted when
    /// `delete_data`); the audit entry is written last. Either all of it
    /// happens or none. Xero is told afterwards, from what this returns.
    pub async fn disconnect_entity(
        &self,
        entity: &EntityView,
        delete_data: bool,
        by: Option<i64>,
        now: DateTime<Utc>,
    ) -> StoreResult<Disconnected> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let other_groups: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM entities WHERE organisation_id = $1 AND id <> $2",
            )
            .bind(entity.organisation_id)
            .bind(entity.id)
            .fetch_one(&mut *tx)
            .await?;
            let kept = sqlx::query(
                "INSERT INTO kept_intercompany_contacts (group_id, organisation_id, contact_id, \
                     counterpart_organisation_id, confirmed, rejected, updated_by, updated_at) \
                 SELECT group_id, organisation_id, contact_id, $3, confirmed, rejected, \
                     updated_by, updated_at FROM intercompany_contacts \
                 WHERE group_id = $1 AND counterpart_entity_id = $2 AND (confirmed OR rejected) \
                 ON CONFLICT (group_id, organisation_id, contact_id) DO UPDATE SET \
                     counterpart_organisation_id = excluded.counterpart_organisation_id, \
                     confirmed = excluded.confirmed, rejected = excluded.rejected, \
                     updated_by = excluded.updated_by, updated_at = excluded.updated_at",
            )
            .bind(entity.group_id)
            .bind(entity.id)
            .bind(entity.organisation_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            sqlx::query("DELETE FROM entities WHERE id = $1 AND group_id = $2")
                .bind(entity.id)
                .bind(entity.group_id)
                .execute(&mut *tx)
                .await?;
            let mut release = None;
            if other_groups == 0 {
                sqlx::query(
                    "UPDATE organisations SET connection_state = 'disconnected', updated_at = $1 \
                     WHERE id = $2",
                )
                .bind(now)
                .bind(entity.organisation_id)
                .execute(&mut *tx)
                .await?;
                if delete_data {
                    for table in SYNCED_TABLES {
                        sqlx::query(sqlx::AssertSqlSafe(format!(
                            "DELETE FROM {table} WHERE organisation_id = $1"
                        )))
                        .bind(entity.organisation_id)
                        .execute(&mut *tx)
                        .await?;
                    }
                }
                if let Some(ts) = entity.token_set_id {
                    // A database error here fails the whole disconnect: it
                    // must never pass for "others still use the token".
                    let still_used: i64 = sqlx::query_scalar(
                        "SELECT COUNT(*) FROM organisations WHERE token_set_id = $1 \
                         AND connection_state <> 'disconnected'",
                    )
                    .bind(ts)
                    .fetch_one(&mut *tx)
                    .await?;
                    release = Some(Release {
                        token_set_id: ts,
                        revoke: still_used == 0,
                    });
                }
            }
            let data = if delete_data && other_groups == 0 {
                "deleted"
            } else {
                "kept"
            };
            let mut detail = format!("{} ({}), data {data}", entity.name, entity.tenant_id);
            if kept > 0 {
                detail.push_str(&format!(
                    "; {kept} intercompany contact decision(s) pointing at it kept for a reconnection"
                ));
            }
            let entry = AuditEntry::new("connection.remove", by)
                .group(entity.group_id)
                .detail(detail);
            insert_audit!(&mut *tx, entry, now).await?;
            tx.commit().await?;
            Ok(Disconnected {
                other_groups,
                kept_decisions: kept,
                release,
            })
        })
    }

    pub async fn set_organisation_state(
        &self,
        organisation_id: i64,
        state: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE organisations SET connection_state = $1, updated_at = $2 WHERE id = $3")
                .bind(state)
                .bind(now)
                .bind(organisation_id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Deletes everything synced from an organisation, in one transaction.
    pub async fn delete_organisation_data(&self, organisation_id: i64) -> StoreResult<()> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            for table in SYNCED_TABLES {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DELETE FROM {table} WHERE organisation_id = $1"
                )))
                .bind(organisation_id)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }
}

//! The entities of a group: the Xero organisations it consolidates, with
//! their connection state.

use chrono::{DateTime, Utc};

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

const ENTITY_COLUMNS: &str = "e.id, e.group_id, e.organisation_id, o.tenant_id, o.name, o.legal_name, \
     o.short_code, o.base_currency, o.country_code, o.financial_year_end_day, \
     o.financial_year_end_month, o.connection_state, o.last_synced_at, o.token_set_id, \
     o.connection_id, e.is_parent, o.day_calls_remaining";

impl Store {
    /// Points an organisation at the token set and Xero connection that now
    /// reach it, and marks it connected.
    pub async fn attach_organisation(
        &self,
        organisation_id: i64,
        connection_id: Option<&str>,
        token_set_id: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        on_pool!(self, pool => {
            sqlx::query(
                "UPDATE organisations SET connection_id = $1, token_set_id = $2, \
                     connection_state = 'connected', updated_at = $3 WHERE id = $4",
            )
            .bind(connection_id)
            .bind(token_set_id)
            .bind(now)
            .bind(organisation_id)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Adds the organisation to the group (once); returns the entity id and
    /// whether it was new. The group's first entity is its parent.
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

    pub async fn remove_entity(&self, entity_id: i64) -> StoreResult<()> {
        on_pool!(self, pool => {
            sqlx::query("DELETE FROM entities WHERE id = $1")
                .bind(entity_id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// How many groups still consolidate this organisation.
    pub async fn organisation_group_count(&self, organisation_id: i64) -> StoreResult<i64> {
        on_pool!(self, pool => {
            Ok(sqlx::query_scalar("SELECT COUNT(*) FROM entities WHERE organisation_id = $1")
                .bind(organisation_id)
                .fetch_one(pool)
                .await?)
        })
    }

    /// Organisations still connected through a token set.
    pub async fn connected_organisations_on_token_set(
        &self,
        token_set_id: i64,
    ) -> StoreResult<i64> {
        on_pool!(self, pool => {
            Ok(sqlx::query_scalar(
                "SELECT COUNT(*) FROM organisations WHERE token_set_id = $1 AND connection_state <> 'disconnected'",
            )
            .bind(token_set_id)
            .fetch_one(pool)
            .await?)
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
            for table in [
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
            ] {
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

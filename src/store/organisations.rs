//! Xero organisations (tenants) as Consol knows them.

use chrono::{DateTime, NaiveDate, Utc};

use super::{Store, StoreResult, on_pool};
use crate::domain::CurrencyCode;

/// What Xero's `Organisation` endpoint says about a tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganisationDetails {
    pub tenant_id: String,
    pub name: String,
    pub legal_name: Option<String>,
    pub short_code: Option<String>,
    pub base_currency: CurrencyCode,
    pub country_code: Option<String>,
    pub financial_year_end_day: Option<i32>,
    pub financial_year_end_month: Option<i32>,
    pub period_lock_date: Option<NaiveDate>,
}

impl Store {
    /// Inserts or updates by Xero tenant id; returns Consol's id for it.
    pub async fn upsert_organisation(
        &self,
        o: &OrganisationDetails,
        now: DateTime<Utc>,
    ) -> StoreResult<i64> {
        on_pool!(self, pool => {
            Ok(sqlx::query_scalar(
                "INSERT INTO organisations (tenant_id, name, legal_name, short_code, base_currency, \
                     country_code, financial_year_end_day, financial_year_end_month, period_lock_date, \
                     created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) \
                 ON CONFLICT (tenant_id) DO UPDATE SET name = excluded.name, \
                     legal_name = excluded.legal_name, short_code = excluded.short_code, \
                     base_currency = excluded.base_currency, country_code = excluded.country_code, \
                     financial_year_end_day = excluded.financial_year_end_day, \
                     financial_year_end_month = excluded.financial_year_end_month, \
                     period_lock_date = excluded.period_lock_date, updated_at = excluded.updated_at \
                 RETURNING id",
            )
            .bind(&o.tenant_id)
            .bind(&o.name)
            .bind(&o.legal_name)
            .bind(&o.short_code)
            .bind(o.base_currency)
            .bind(&o.country_code)
            .bind(o.financial_year_end_day)
            .bind(o.financial_year_end_month)
            .bind(o.period_lock_date)
            .bind(now)
            .fetch_one(pool)
            .await?)
        })
    }
}

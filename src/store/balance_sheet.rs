//! What the balance sheet reads beyond the P&L's: the entity accounts Xero
//! marks as retained earnings.

use super::{Store, StoreResult, on_pool};

impl Store {
    /// AccountIDs of an organisation's accounts whose `SystemAccount` is
    /// `RETAINEDEARNINGS`.
    pub async fn retained_earnings_accounts(&self, org: i64) -> StoreResult<Vec<String>> {
        on_pool!(self, pool => {
            Ok(sqlx::query_scalar(
                "SELECT account_id FROM accounts WHERE organisation_id = $1 \
                 AND UPPER(COALESCE(system_account, '')) = 'RETAINEDEARNINGS'",
            )
            .bind(org)
            .fetch_all(pool)
            .await?)
        })
    }
}

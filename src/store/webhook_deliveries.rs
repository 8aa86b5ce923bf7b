//! Webhook deliveries already acted on, so that a replayed one (the same
//! body and signature) queues nothing.

use chrono::{DateTime, Duration, Utc};

use super::{BeginWrite, Store, StoreResult, on_pool};

/// How long a delivery is remembered. Xero retries a delivery for about a
/// day; a signature seen within this window is a replay.
pub const WEBHOOK_REPLAY_HOURS: i64 = 24;

impl Store {
    /// Notes a delivery by its signature's hash. False when the same
    /// signature was seen within [`WEBHOOK_REPLAY_HOURS`] (a replay);
    /// deliveries older than that are forgotten first.
    pub async fn first_webhook_delivery(
        &self,
        signature_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let forget_before = now - Duration::hours(WEBHOOK_REPLAY_HOURS);
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("DELETE FROM webhook_deliveries WHERE received_at <= $1")
                .bind(forget_before)
                .execute(&mut *tx)
                .await?;
            let inserted = sqlx::query(
                "INSERT INTO webhook_deliveries (signature_hash, received_at) VALUES ($1, $2) \
                 ON CONFLICT (signature_hash) DO NOTHING",
            )
            .bind(signature_hash)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            tx.commit().await?;
            Ok(inserted == 1)
        })
    }
}

impl Store {
    /// Forgets a delivery whose handling failed, so that Xero's retry of it
    /// is not taken for a replay.
    pub async fn forget_webhook_delivery(&self, signature_hash: &str) -> StoreResult<()> {
        on_pool!(self, pool => {
            sqlx::query("DELETE FROM webhook_deliveries WHERE signature_hash = $1")
                .bind(signature_hash)
                .execute(pool)
                .await?;
        });
        Ok(())
    }
}

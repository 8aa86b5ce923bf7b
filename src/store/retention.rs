//! Retention: what is pruned, and when. Expired sessions, old login
//! attempts, old webhook events and forgotten webhook deliveries go; audit
//! entries are kept for good.

use chrono::{DateTime, Duration, Utc};

use super::webhook_deliveries::WEBHOOK_REPLAY_HOURS;
use super::{Store, StoreResult, on_pool};

/// Login attempts are kept this long (the throttle reads 15 minutes; the
/// rest is for looking into an attack afterwards).
pub const LOGIN_ATTEMPT_DAYS: i64 = 30;
/// Webhook events are kept this long.
pub const WEBHOOK_EVENT_DAYS: i64 = 30;

/// Rows removed by one [`Store::prune`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub sessions: u64,
    pub login_attempts: u64,
    pub webhook_events: u64,
    pub webhook_deliveries: u64,
}

impl Store {
    /// Removes what is past its retention at `now`. Audit entries stay.
    pub async fn prune(&self, now: DateTime<Utc>) -> StoreResult<Pruned> {
        let sessions = self.delete_expired_sessions(now).await?;
        let attempts_before = now - Duration::days(LOGIN_ATTEMPT_DAYS);
        let events_before = now - Duration::days(WEBHOOK_EVENT_DAYS);
        let deliveries_before = now - Duration::hours(WEBHOOK_REPLAY_HOURS);
        on_pool!(self, pool => {
            let login_attempts = sqlx::query("DELETE FROM login_attempts WHERE at < $1")
                .bind(attempts_before)
                .execute(pool)
                .await?
                .rows_affected();
            let webhook_events = sqlx::query("DELETE FROM webhook_events WHERE received_at < $1")
                .bind(events_before)
                .execute(pool)
                .await?
                .rows_affected();
            let webhook_deliveries =
                sqlx::query("DELETE FROM webhook_deliveries WHERE received_at <= $1")
                    .bind(deliveries_before)
                    .execute(pool)
                    .await?
                    .rows_affected();
            Ok(Pruned {
                sessions,
                login_attempts,
                webhook_events,
                webhook_deliveries,
            })
        })
    }
}

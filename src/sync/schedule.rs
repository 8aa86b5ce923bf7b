//! The scheduler only enqueues: each tick queues an incremental sync for
//! every connected organisation whose last run is older than the interval.
//! De-duplication in the queue makes ticks from several processes harmless.

use std::time::Duration;

use chrono::Utc;

use super::{SyncKind, enqueue};
use crate::shutdown::Shutdown;
use crate::store::Store;

pub async fn run(store: Store, every: chrono::Duration, tick: Duration, shutdown: Shutdown) {
    let mut stop = Box::pin(shutdown.wait());
    loop {
        match store.organisations_due_for_sync(Utc::now() - every).await {
            Ok(due) => {
                for org in due {
                    if let Err(e) = enqueue(&store, org, SyncKind::Incremental).await {
                        tracing::warn!(organisation = org, error = %e, "could not schedule a sync");
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "scheduler could not read the organisations"),
        }
        tokio::select! {
            _ = &mut stop => return,
            _ = tokio::time::sleep(tick) => {},
        }
    }
}

//! A bound on concurrent heavy work (loading a group and running the
//! engine, writing an export). Past the bound a request waits briefly for
//! its turn, then is turned away as busy (503 with `Retry-After`), so a
//! burst of report requests cannot take every async worker and database
//! connection from `/healthz`, sign-in and static files, none of which
//! pass through here.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// What a turned-away request tells the client to wait, in seconds.
pub const RETRY_AFTER_SECONDS: u64 = 2;

#[derive(Debug, Clone)]
pub struct Gate {
    permits: Arc<Semaphore>,
    wait: Duration,
}

/// A turn at heavy work; the slot frees when it drops.
pub struct Turn(#[allow(dead_code)] OwnedSemaphorePermit);

/// No turn came within the wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

impl Gate {
    /// `slots` heavy requests at once (at least one); others wait up to
    /// `wait` for a slot.
    pub fn new(slots: usize, wait: Duration) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(slots.max(1))),
            wait,
        }
    }

    /// As many slots as the machine has cores: the work is CPU-bound, and
    /// more at once only makes each slower.
    pub fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self::new(cores, Duration::from_secs(5))
    }

    pub async fn enter(&self) -> Result<Turn, Busy> {
        match tokio::time::timeout(self.wait, self.permits.clone().acquire_owned()).await {
            Ok(Ok(p)) => Ok(Turn(p)),
            _ => Err(Busy),
        }
    }

    /// Takes every free slot and holds them until the returned turns drop:
    /// lets a test see the busy answer without timing anything.
    pub fn occupy_all(&self) -> Vec<Turn> {
        let mut turns = Vec::new();
        while let Ok(p) = self.permits.clone().try_acquire_owned() {
            turns.push(Turn(p));
        }
        turns
    }
}

//! The simulator's clock. Every ledger stamps `UpdatedDateUTC` from it; tests
//! and `POST /_sim/clock` move it. Clones share one clock.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, TimeZone, Utc};

#[derive(Debug, Clone, Copy)]
enum Base {
    System,
    Fixed(DateTime<Utc>),
}

#[derive(Debug)]
struct Inner {
    base: Base,
    offset: Duration,
}

/// A shareable clock: either the system time plus an offset, or a fixed
/// instant (plus an offset). Millisecond precision, as Xero's timestamps.
#[derive(Debug, Clone)]
pub struct SimClock(Arc<Mutex<Inner>>);

impl SimClock {
    /// Real time; `advance` adds to it.
    pub fn system() -> Self {
        Self(Arc::new(Mutex::new(Inner {
            base: Base::System,
            offset: Duration::zero(),
        })))
    }

    /// Frozen at `t` until moved.
    pub fn fixed(t: DateTime<Utc>) -> Self {
        Self(Arc::new(Mutex::new(Inner {
            base: Base::Fixed(t),
            offset: Duration::zero(),
        })))
    }

    pub fn now(&self) -> DateTime<Utc> {
        let g = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let base = match g.base {
            Base::System => Utc::now(),
            Base::Fixed(t) => t,
        };
        let t = base + g.offset;
        Utc.timestamp_millis_opt(t.timestamp_millis())
            .single()
            .unwrap_or(t)
    }

    /// Moves the clock forward (backward when negative).
    pub fn advance(&self, by: Duration) {
        let mut g = self.0.lock().unwrap_or_else(|e| e.into_inner());
        g.offset += by;
    }

    pub fn advance_seconds(&self, secs: i64) {
        self.advance(Duration::seconds(secs));
    }

    /// Lets the clock run with real time again from its current reading.
    pub fn resume_system_time(&self) {
        let now = self.now();
        let mut g = self.0.lock().unwrap_or_else(|e| e.into_inner());
        g.base = Base::System;
        g.offset = now - Utc::now();
    }

    /// Freezes the clock at `t`.
    pub fn set(&self, t: DateTime<Utc>) {
        let mut g = self.0.lock().unwrap_or_else(|e| e.into_inner());
        g.base = Base::Fixed(t);
        g.offset = Duration::zero();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_clock_moves_only_when_told_and_is_shared() {
        let t = Utc.with_ymd_and_hms(2026, 3, 31, 12, 0, 0).unwrap();
        let c = SimClock::fixed(t);
        let c2 = c.clone();
        assert_eq!(c.now(), t);
        c2.advance_seconds(90);
        assert_eq!(c.now(), t + Duration::seconds(90));
        c.set(t);
        assert_eq!(c2.now(), t);
    }

    #[test]
    fn system_clock_with_offset() {
        let c = SimClock::system();
        let before = Utc::now();
        c.advance_seconds(3600);
        assert!(c.now() >= before + Duration::seconds(3599));
    }
}

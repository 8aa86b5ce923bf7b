//! Client-side rate limiting, so Consol waits for capacity instead of being
//! refused. Xero counts fixed windows on its own clock; Consol cannot see
//! where those windows start, so it keeps a sliding log of when Xero
//! *answered* its calls (the response headers arrived): a new call starts
//! only when fewer than the limit were answered in the last window or are
//! still unanswered. The server counts each call after it started and
//! before it answered, so any fixed window of the server's then holds at
//! most the limit. The log is written at the headers, not after the body
//! is read and parsed, so a large page does not hold back the next window.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub tenant_concurrent: usize,
    pub tenant_per_window: usize,
    pub app_per_window: usize,
    pub window: Duration,
}

impl Default for Limits {
    /// Xero's published limits.
    fn default() -> Self {
        Self {
            tenant_concurrent: 5,
            tenant_per_window: 60,
            app_per_window: 10_000,
            window: Duration::from_secs(60),
        }
    }
}

/// A sliding log of finished calls plus the count of calls in flight.
#[derive(Default)]
struct Window {
    in_flight: usize,
    finished: VecDeque<Instant>,
}

impl Window {
    fn forget_before(&mut self, window: Duration, now: Instant) {
        while self
            .finished
            .front()
            .is_some_and(|t| now.duration_since(*t) >= window)
        {
            self.finished.pop_front();
        }
    }

    /// Takes a slot, or says how long to wait before asking again.
    fn try_take(&mut self, limit: usize, window: Duration, now: Instant) -> Result<(), Duration> {
        self.forget_before(window, now);
        if self.in_flight + self.finished.len() < limit {
            self.in_flight += 1;
            return Ok(());
        }
        // Wait for the oldest finished call to leave the window, or (when
        // all are in flight) for one to finish.
        let wait = match self.finished.front() {
            Some(t) => window.saturating_sub(now.duration_since(*t)) + Duration::from_millis(5),
            None => Duration::from_millis(20),
        };
        Err(wait.min(Duration::from_millis(250)))
    }

    fn finish(&mut self, now: Instant) {
        self.in_flight = self.in_flight.saturating_sub(1);
        self.finished.push_back(now);
    }

    fn release(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
    }

    /// Xero said `remaining` calls are left in its current window. When it
    /// has counted more than this process has made (another process of the
    /// same app called too), the difference is logged as calls made now, so
    /// this process waits for them to leave the window instead of drawing
    /// 429s. A single process never adds anything: Xero's window holds no
    /// more of its calls than this sliding log does.
    fn observe_remaining(&mut self, limit: usize, remaining: i64, window: Duration, now: Instant) {
        self.forget_before(window, now);
        let counted = limit.saturating_sub(usize::try_from(remaining).unwrap_or(0));
        // Calls still in flight are counted as Xero has seen them: they
        // are in the log soon, and a process running five at once must not
        // count them twice.
        let missing = counted.saturating_sub(self.finished.len() + self.in_flight);
        self.finished.extend(std::iter::repeat_n(now, missing));
    }
}

struct Tenant {
    concurrency: Arc<Semaphore>,
    window: Mutex<Window>,
    /// `X-DayLimit-Remaining` as last seen, and the UTC day it was seen on.
    day_remaining: Mutex<Option<(NaiveDate, i64)>>,
}

/// Shared by every call of one process (one Xero app).
pub struct Limiter {
    limits: Limits,
    app: Mutex<Window>,
    tenants: Mutex<HashMap<String, Arc<Tenant>>>,
}

/// Held for the duration of one HTTP call.
pub struct Slot {
    tenant: Arc<Tenant>,
    limiter: Arc<Limiter>,
    _permit: OwnedSemaphorePermit,
    done: bool,
}

#[derive(Debug, PartialEq, Eq)]
pub struct DayBudgetSpent;

impl Limiter {
    pub fn new(limits: Limits) -> Arc<Self> {
        Arc::new(Self {
            limits,
            app: Mutex::new(Window::default()),
            tenants: Mutex::new(HashMap::new()),
        })
    }

    fn tenant(&self, id: &str) -> Arc<Tenant> {
        let mut map = self.tenants.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(id.to_string())
            .or_insert_with(|| {
                Arc::new(Tenant {
                    concurrency: Arc::new(Semaphore::new(self.limits.tenant_concurrent)),
                    window: Mutex::new(Window::default()),
                    day_remaining: Mutex::new(None),
                })
            })
            .clone()
    }

    /// What Xero last said of the day's remaining calls for a tenant (today).
    pub fn day_remaining(&self, tenant_id: &str) -> Option<i64> {
        let tenant = self.tenant(tenant_id);
        let day = tenant
            .day_remaining
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        match *day {
            Some((seen_on, n)) if seen_on == Utc::now().date_naive() => Some(n),
            _ => None,
        }
    }

    /// Waits until a call for `tenant_id` may start.
    pub async fn acquire(self: &Arc<Self>, tenant_id: &str) -> Result<Slot, DayBudgetSpent> {
        let tenant = self.tenant(tenant_id);
        {
            let day = tenant
                .day_remaining
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if let Some((seen_on, remaining)) = *day
                && seen_on == Utc::now().date_naive()
                && remaining <= 0
            {
                return Err(DayBudgetSpent);
            }
        }
        let permit = tenant
            .concurrency
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        loop {
            let now = Instant::now();
            let wait = {
                let mut tw = tenant.window.lock().unwrap_or_else(|p| p.into_inner());
                match tw.try_take(self.limits.tenant_per_window, self.limits.window, now) {
                    Err(w) => Some(w),
                    Ok(()) => {
                        let mut app = self.app.lock().unwrap_or_else(|p| p.into_inner());
                        match app.try_take(self.limits.app_per_window, self.limits.window, now) {
                            Ok(()) => None,
                            Err(w) => {
                                tw.release();
                                Some(w)
                            }
                        }
                    }
                }
            };
            match wait {
                None => break,
                Some(w) => tokio::time::sleep(w).await,
            }
        }
        Ok(Slot {
            tenant,
            limiter: self.clone(),
            _permit: permit,
            done: false,
        })
    }
}

impl Slot {
    /// Records what the response said of the day's budget.
    pub fn observe_day_remaining(&self, remaining: i64) {
        let mut day = self
            .tenant
            .day_remaining
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        *day = Some((Utc::now().date_naive(), remaining));
    }

    /// Records Xero's `X-MinLimit-Remaining` (this tenant) and
    /// `X-AppMinLimit-Remaining` (the app) from an answer, after
    /// [`Slot::answered`]: calls other processes made count here too.
    pub fn observe_minute_remaining(&self, tenant: Option<i64>, app: Option<i64>) {
        let now = Instant::now();
        let limits = self.limiter.limits;
        if let Some(r) = tenant {
            self.tenant
                .window
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .observe_remaining(limits.tenant_per_window, r, limits.window, now);
        }
        if let Some(r) = app {
            self.limiter
                .app
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .observe_remaining(limits.app_per_window, r, limits.window, now);
        }
    }

    /// Marks the call answered now (it then counts in the window). The
    /// concurrency permit is held until the slot is dropped, after the
    /// body is read, as Xero counts a call as concurrent until then.
    pub fn answered(&mut self) {
        self.close();
    }

    fn close(&mut self) {
        if self.done {
            return;
        }
        self.done = true;
        let now = Instant::now();
        self.tenant
            .window
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .finish(now);
        self.limiter
            .app
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .finish(now);
    }
}

impl Drop for Slot {
    /// A call dropped unanswered (cancelled, or a panic) still counts: Xero
    /// may have seen it.
    fn drop(&mut self) {
        self.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_counts_in_flight_and_finished() {
        let mut w = Window::default();
        let t0 = Instant::now();
        let win = Duration::from_secs(60);
        assert!(w.try_take(2, win, t0).is_ok());
        assert!(w.try_take(2, win, t0).is_ok());
        assert!(w.try_take(2, win, t0).is_err(), "two in flight");
        w.finish(t0);
        assert!(w.try_take(2, win, t0).is_err(), "one finished just now");
        assert!(w.try_take(2, win, t0 + Duration::from_secs(61)).is_ok());
    }

    #[tokio::test]
    async fn concurrency_is_capped_per_tenant() {
        let limiter = Limiter::new(Limits {
            tenant_concurrent: 2,
            ..Limits::default()
        });
        let a = limiter.acquire("t").await.unwrap();
        let _b = limiter.acquire("t").await.unwrap();
        let third = tokio::time::timeout(Duration::from_millis(50), limiter.acquire("t")).await;
        assert!(third.is_err(), "the third waits");
        let _other = limiter.acquire("other").await.unwrap();
        let mut a = a;
        a.answered();
        let third = tokio::time::timeout(Duration::from_millis(50), limiter.acquire("t")).await;
        assert!(third.is_err(), "answered, but its body is still being read");
        drop(a);
        let third = tokio::time::timeout(Duration::from_millis(200), limiter.acquire("t")).await;
        assert!(third.is_ok());
    }

    #[tokio::test]
    async fn calls_another_process_made_count_in_the_window() {
        let limiter = Limiter::new(Limits {
            tenant_per_window: 5,
            window: Duration::from_millis(400),
            ..Limits::default()
        });
        let mut a = limiter.acquire("t").await.unwrap();
        a.answered();
        // Our one call, yet Xero has counted all five: wait for the window.
        a.observe_minute_remaining(Some(0), Some(9_000));
        drop(a);
        let next = tokio::time::timeout(Duration::from_millis(150), limiter.acquire("t")).await;
        assert!(next.is_err(), "the tenant's window is full");
        let other = tokio::time::timeout(Duration::from_millis(150), limiter.acquire("u")).await;
        assert!(other.is_ok(), "other tenants and the app still have room");
        let later = tokio::time::timeout(Duration::from_millis(600), limiter.acquire("t")).await;
        assert!(later.is_ok(), "free again once the window has passed");
    }

    #[test]
    fn a_remaining_count_never_frees_calls_this_process_made() {
        let mut w = Window::default();
        let t0 = Instant::now();
        let win = Duration::from_secs(60);
        for _ in 0..3 {
            w.try_take(10, win, t0).unwrap();
            w.finish(t0);
        }
        // Xero's window began after two of ours: it says 9 of 10 are left.
        w.observe_remaining(10, 9, win, t0);
        assert_eq!(w.finished.len(), 3, "the log already holds more");
        w.observe_remaining(10, 2, win, t0);
        assert_eq!(w.finished.len(), 8, "five calls from elsewhere");
        assert!(w.try_take(10, win, t0).is_ok());
        assert!(w.try_take(10, win, t0).is_ok());
        assert!(w.try_take(10, win, t0).is_err());
    }

    #[tokio::test]
    async fn the_window_counts_a_call_from_its_answer() {
        let limiter = Limiter::new(Limits {
            tenant_per_window: 1,
            window: Duration::from_millis(300),
            ..Limits::default()
        });
        let mut a = limiter.acquire("t").await.unwrap();
        a.answered();
        // The body is still being read, yet the window runs from the answer.
        tokio::time::sleep(Duration::from_millis(350)).await;
        let next = tokio::time::timeout(Duration::from_millis(200), limiter.acquire("t")).await;
        assert!(next.is_ok(), "the window began at the answer");
        drop(a);
    }

    #[tokio::test]
    async fn a_spent_day_budget_fails_fast() {
        let limiter = Limiter::new(Limits::default());
        let slot = limiter.acquire("t").await.unwrap();
        slot.observe_day_remaining(0);
        drop(slot);
        assert_eq!(limiter.acquire("t").await.err(), Some(DayBudgetSpent));
    }
}

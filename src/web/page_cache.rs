//! What a page builds from a report and nothing else (the dashboard's
//! figures and charts, the P&L page's table), kept per data version so
//! the next view of the same report only renders it: a busy page costs
//! its template, not a walk over a hundred entity columns. Keys carry the
//! report's data version, so a changed mapping or rate is never served
//! from an older build; what depends on the viewer (the CSRF token, the
//! user) or on the clock stays per request.

use std::sync::{Arc, Mutex};

/// How many builds each page keeps (a few groups, periods and views).
const KEPT: usize = 16;

/// A small cache of built page parts, oldest dropped first past [`KEPT`].
pub struct PageCache<K, V> {
    entries: Mutex<Vec<(K, Arc<V>)>>,
}

impl<K, V> Default for PageCache<K, V> {
    fn default() -> Self {
        Self {
            entries: Mutex::new(Vec::new()),
        }
    }
}

impl<K: Eq + Clone, V> PageCache<K, V> {
    /// The part built for `key`, or `build()` kept under it. A build that
    /// races another for the same key keeps the first; both are the same
    /// function of the same report.
    pub fn get_or_build(&self, key: &K, build: impl FnOnce() -> V) -> Arc<V> {
        if let Some(v) = self.get(key) {
            return v;
        }
        self.keep(key.clone(), Arc::new(build()))
    }

    /// Keeps `value` under `key` (a build that races another for the same
    /// key keeps the first, as [`Self::get_or_build`] does).
    pub fn insert(&self, key: K, value: V) {
        self.keep(key, Arc::new(value));
    }

    /// Keeps `value` under `key` unless a value is already kept there, and
    /// gives the one kept; the oldest goes past [`KEPT`].
    fn keep(&self, key: K, value: Arc<V>) -> Arc<V> {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, kept)) = entries.iter().find(|(k, _)| *k == key) {
            return kept.clone();
        }
        while entries.len() >= KEPT {
            entries.remove(0);
        }
        entries.push((key, value.clone()));
        value
    }

    pub fn get(&self, key: &K) -> Option<Arc<V>> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    }

    /// How many builds are kept (for tests).
    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The caches of the pages that keep built parts, and the bound on pages
/// rendered at once off the async workers; one per server
/// (`AppState::pages`).
pub struct PageCaches {
    pub dashboard: PageCache<super::pages::dashboard::FiguresKey, super::pages::dashboard::Figures>,
    pub pnl: PageCache<super::pages::reports::TableKey, super::pages::reports::Table>,
    /// The dashboard's balance-sheet line per (group, month end, data
    /// version): the version the trend's P&L was just read at, so a warm
    /// group page reads the data version once, not again for the balance
    /// sheet.
    pub balance: PageCache<
        (i64, crate::domain::Month, crate::store::DataVersion),
        super::pages::dashboard::BalanceSummary,
    >,
    /// As many renders at once as the machine has cores: more only makes
    /// each slower (`pages::render_off_workers`).
    pub renders: tokio::sync::Semaphore,
}

impl Default for PageCaches {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            dashboard: PageCache::default(),
            pnl: PageCache::default(),
            balance: PageCache::default(),
            renders: tokio::sync::Semaphore::new(cores),
        }
    }
}

//! The report service: the one way from the store to a consolidated
//! report. Pages, the API and exports ask it for the P&L of a group and a
//! period; it answers from what it has already built for the group's
//! current data version (`store::DataVersion`), or builds it once
//! (concurrent asks for the same report wait for the one build), loading
//! and running the engine off the async workers within the heavy-work
//! [`gate::Gate`]. A report is built from one data version: when the
//! version moved while the data was loading, it is loaded again.
//!
//! Kept open to a second statement: a statement is a key kind and a build
//! function; the balance sheet can join as `Statement::BalanceSheet`.

pub mod gate;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

use crate::consolidation;
use crate::domain::{Month, MonthRange};
use crate::engine::{self, GroupData, ProfitAndLossReport};
use crate::store::{DataVersion, Group, Store, StoreError};
use gate::{Busy, Gate};

/// How many built reports are kept (each holds its group's loaded data).
const KEPT: usize = 8;

/// How many times a build reloads when the data version keeps moving
/// under it (a sync writing page after page).
const ATTEMPTS: usize = 3;

/// A consolidated P&L and the data it was built from, of one data version.
#[derive(Debug)]
pub struct PnlRun {
    pub version: DataVersion,
    pub period: MonthRange,
    pub data: GroupData,
    pub report: ProfitAndLossReport,
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("the server is busy with other reports; try again in a few seconds")]
    Busy,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Engine(#[from] engine::EngineError),
    #[error("report work failed: {0}")]
    Task(String),
    /// The data version moved while loading; the caller loads again.
    #[error("the group's data changed while it was being read")]
    Moved,
}

impl From<Busy> for ReportError {
    fn from(_: Busy) -> Self {
        Self::Busy
    }
}

type Key = (i64, Month, Month, DataVersion);

/// The service; one per server (`AppState::reports`).
pub struct Reports {
    gate: Gate,
    built: Mutex<Built>,
}

#[derive(Default)]
struct Built {
    cells: HashMap<Key, Arc<OnceCell<Arc<PnlRun>>>>,
    /// Keys in the order they were first asked for, oldest first.
    order: Vec<Key>,
}

impl Default for Reports {
    fn default() -> Self {
        Self::new(Gate::for_this_machine())
    }
}

impl Reports {
    pub fn new(gate: Gate) -> Self {
        Self {
            gate,
            built: Mutex::new(Built::default()),
        }
    }

    pub fn gate(&self) -> &Gate {
        &self.gate
    }

    /// The group's consolidated P&L for `period` at its current data
    /// version.
    pub async fn profit_and_loss(
        &self,
        store: &Store,
        group: &Group,
        period: MonthRange,
    ) -> Result<Arc<PnlRun>, ReportError> {
        let mut last = None;
        for attempt in 1..=ATTEMPTS {
            let Some(version) = store.data_version(group.id).await? else {
                return Err(StoreError::Database(sqlx::Error::RowNotFound).into());
            };
            let key = (group.id, period.from(), period.to(), version.clone());
            let cell = self.cell(&key);
            let keep = attempt < ATTEMPTS;
            match cell
                .get_or_try_init(|| self.build(store, group, period, version, keep))
                .await
            {
                Ok(run) => return Ok(run.clone()),
                Err(ReportError::Moved) => {
                    self.forget(&key);
                    last = Some(ReportError::Moved);
                }
                Err(e) => {
                    self.forget(&key);
                    return Err(e);
                }
            }
        }
        Err(last.unwrap_or(ReportError::Moved))
    }

    /// Runs `f` on the data and report of the group's P&L for `period`
    /// off the async workers, within the gate: drill-downs and exports,
    /// which need the engine's provenance or a workbook, build that detail
    /// on demand from the same data version.
    pub async fn with_run<T, F>(
        &self,
        store: &Store,
        group: &Group,
        period: MonthRange,
        f: F,
    ) -> Result<T, ReportError>
    where
        T: Send + 'static,
        F: FnOnce(&PnlRun) -> T + Send + 'static,
    {
        let run = self.profit_and_loss(store, group, period).await?;
        let _turn = self.gate.enter().await?;
        tokio::task::spawn_blocking(move || f(&run))
            .await
            .map_err(|e| ReportError::Task(e.to_string()))
    }

    /// Loads and consolidates one version. `keep` false: the last attempt
    /// answers with what it read even if the version moved meanwhile, so a
    /// busy sync cannot starve a page; it is then labelled with the version
    /// read before loading, which it is at least as new as.
    async fn build(
        &self,
        store: &Store,
        group: &Group,
        period: MonthRange,
        version: DataVersion,
        keep: bool,
    ) -> Result<Arc<PnlRun>, ReportError> {
        let _turn = self.gate.enter().await?;
        let data = consolidation::load(store, group, period).await?;
        if keep && store.data_version(group.id).await?.as_ref() != Some(&version) {
            return Err(ReportError::Moved);
        }
        let run = tokio::task::spawn_blocking(move || {
            let report = engine::consolidate(&data, period)?.report;
            Ok::<_, engine::EngineError>(PnlRun {
                version,
                period,
                data,
                report,
            })
        })
        .await
        .map_err(|e| ReportError::Task(e.to_string()))??;
        Ok(Arc::new(run))
    }

    /// The cell of `key`, made empty when new. Older versions of the
    /// group are dropped (they can never be asked for again), and the
    /// oldest keys past [`KEPT`].
    fn cell(&self, key: &Key) -> Arc<OnceCell<Arc<PnlRun>>> {
        let mut built = self.built.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = built.cells.get(key) {
            return c.clone();
        }
        let stale: Vec<Key> = built
            .order
            .iter()
            .filter(|k| k.0 == key.0 && k.3 != key.3)
            .cloned()
            .collect();
        for k in stale {
            built.cells.remove(&k);
        }
        let Built { cells, order } = &mut *built;
        order.retain(|k| cells.contains_key(k));
        while order.len() >= KEPT {
            let oldest = order.remove(0);
            cells.remove(&oldest);
        }
        let c = Arc::new(OnceCell::new());
        cells.insert(key.clone(), c.clone());
        order.push(key.clone());
        c
    }

    fn forget(&self, key: &Key) {
        let mut built = self.built.lock().unwrap_or_else(|p| p.into_inner());
        built.cells.remove(key);
        built.order.retain(|k| k != key);
    }

    /// How many reports are built and kept (for tests).
    pub fn kept(&self) -> usize {
        let built = self.built.lock().unwrap_or_else(|p| p.into_inner());
        built.cells.values().filter(|c| c.initialized()).count()
    }
}

//! The report service: the one way from the store to a consolidated
//! report. Pages, the API and exports ask it for the P&L of a group and a
//! period; it answers from what it has already built for the group's
//! current data version (`store::DataVersion`), or builds it once
//! (concurrent asks for the same report wait for the one build), loading
//! and running the engine off the async workers within the heavy-work
//! [`gate::Gate`]. A report is built from one data version: when the
//! version moved while the data was loading, it is loaded again.
//!
//! A request builds only a version nothing has built yet: the refresher
//! ([`Reports::spawn_refresher`]) rebuilds the reports asked for in the
//! last hour once their group's data has settled after a sync or a set-up
//! change, so the next view finds them built.
//!
//! A P&L is put together from materialised months ([`months`]): each
//! month of the group is built once per data version, by a single-month
//! engine run, and every period's P&L is its months added up
//! (`engine::assemble`), all of one version. When the version moves, a
//! month whose inputs' fingerprint (`consolidation::fingerprint`) did not
//! change is relabelled to the new version rather than run again: its
//! report is what a run at the new version would give.
//!
//! A statement is a key kind and a build function: the P&L of a period
//! ([`Statement::ProfitAndLoss`]) and the balance sheet at a month end
//! ([`Statement::BalanceSheet`], with its intercompany balances
//! eliminated, as the balance sheet page, its API, exports and the
//! dashboard all show it) share the cache, the single build per version,
//! the refresher and the gate.

pub mod gate;
mod months;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::OnceCell;

use crate::consolidation::bs_compare::{CompareWith, Comparison};
use crate::consolidation::{self, bs_compare, fingerprint};
use crate::domain::{Month, MonthRange};
use crate::engine::balance_sheet::{BalanceSheetInput, BalanceSheetReport};
use crate::engine::{self, GroupData, ProfitAndLossReport};
use crate::store::{DataVersion, Group, Store, StoreError};
use gate::{Busy, Gate};

/// How many built reports are kept (each holds its group's loaded data).
const KEPT: usize = 8;

/// How many times a build reloads when the data version keeps moving
/// under it (a sync writing page after page).
const ATTEMPTS: usize = 3;

/// A consolidated P&L of one data version, put together from its months;
/// the engine's input for the period (drill-downs, exports) is loaded on
/// demand by [`Reports::with_run`], once.
#[derive(Debug)]
pub struct PnlRun {
    pub version: DataVersion,
    pub period: MonthRange,
    pub report: ProfitAndLossReport,
    data: OnceCell<GroupData>,
}

impl PnlRun {
    /// The engine's input the report was built from, for the functions
    /// [`Reports::with_run`] runs (it loads the input before it calls
    /// them; a run reached otherwise has none, and asking is a bug).
    pub fn data(&self) -> &GroupData {
        self.data
            .get()
            .expect("Reports::with_run loads a run's data before it calls its function")
    }
}

/// A consolidated balance sheet at a month end and the engine input it was
/// built from (drill-downs open its cells from that input), of one data
/// version.
#[derive(Debug)]
pub struct BalanceSheetRun {
    pub version: DataVersion,
    pub at: Month,
    pub input: BalanceSheetInput,
    pub report: BalanceSheetReport,
}

/// What a report is of: the key kind of what the service builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Statement {
    /// The P&L of the months `from` to `to`.
    ProfitAndLoss { from: Month, to: Month },
    /// The balance sheet at the end of month `at`.
    BalanceSheet { at: Month },
}

/// A built report of either statement.
#[derive(Debug, Clone)]
enum Run {
    Pnl(Arc<PnlRun>),
    BalanceSheet(Arc<BalanceSheetRun>),
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

type Key = (i64, Statement, DataVersion);

/// A report asked for: group and statement.
type Asked = (i64, Statement);

/// How long a report asked for is kept up to date by the refresher.
const WATCHED_FOR: Duration = Duration::from_secs(3600);

/// How often the refresher looks at the watched groups' versions.
const REFRESH_EVERY: Duration = Duration::from_secs(1);

/// The service; one per server (`AppState::reports`).
pub struct Reports {
    gate: Gate,
    built: Mutex<Built>,
    /// Reports asked for, by (group, from, to): the group as asked, and
    /// when.
    watched: Mutex<HashMap<Asked, (Group, Instant)>>,
    /// The P&L's months, which every period's P&L is put together from.
    months: months::Months,
}

#[derive(Default)]
struct Built {
    cells: HashMap<Key, Arc<OnceCell<Run>>>,
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
            watched: Mutex::new(HashMap::new()),
            months: months::Months::default(),
        }
    }

    /// Rebuilds, off the request path, the reports asked for in the last
    /// hour whose group's data version moved: once the version has stayed
    /// the same for a look (a sync writing page after page moves it every
    /// moment, and building each step would be wasted). Stops with the
    /// runtime or when the handle is aborted.
    pub fn spawn_refresher(self: &Arc<Self>, store: Store) -> tokio::task::JoinHandle<()> {
        let me = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut seen: HashMap<i64, DataVersion> = HashMap::new();
            let mut tick = tokio::time::interval(REFRESH_EVERY);
            loop {
                tick.tick().await;
                let Some(me) = me.upgrade() else { return };
                me.refresh(&store, &mut seen).await;
            }
        })
    }

    /// One look of the refresher.
    async fn refresh(&self, store: &Store, seen: &mut HashMap<i64, DataVersion>) {
        let watched: Vec<(Asked, Group)> = {
            let mut w = self.watched.lock().unwrap_or_else(|p| p.into_inner());
            w.retain(|_, (_, at)| at.elapsed() < WATCHED_FOR);
            w.iter().map(|(k, (g, _))| (*k, g.clone())).collect()
        };
        seen.retain(|g, _| watched.iter().any(|((id, _), _)| id == g));
        let mut settled: HashMap<i64, bool> = HashMap::new();
        for ((group_id, statement), group) in watched {
            let ready = match settled.get(&group_id) {
                Some(r) => *r,
                None => {
                    let now = match store.data_version(group_id).await {
                        Ok(Some(v)) => v,
                        Ok(None) => continue,
                        Err(e) => {
                            tracing::warn!(error = %e, "report refresher cannot read a data version");
                            continue;
                        }
                    };
                    let r = seen.get(&group_id) == Some(&now);
                    seen.insert(group_id, now);
                    settled.insert(group_id, r);
                    r
                }
            };
            if !ready || self.is_built_statement(group_id, statement, &seen[&group_id]) {
                continue;
            }
            if let Err(e) = self.build_for(store, &group, statement).await {
                tracing::debug!(error = %e, group = group_id, "report refresh skipped");
            }
        }
    }

    /// Whether the P&L of `group` for `from`..`to` at `version` is built.
    pub fn is_built(&self, group: i64, from: Month, to: Month, version: &DataVersion) -> bool {
        self.is_built_statement(group, Statement::ProfitAndLoss { from, to }, version)
    }

    /// Whether `statement` of `group` at `version` is built.
    pub fn is_built_statement(
        &self,
        group: i64,
        statement: Statement,
        version: &DataVersion,
    ) -> bool {
        let built = self.built.lock().unwrap_or_else(|p| p.into_inner());
        built
            .cells
            .get(&(group, statement, version.clone()))
            .is_some_and(|c| c.initialized())
    }

    pub fn gate(&self) -> &Gate {
        &self.gate
    }

    /// Remembers an ask, so the refresher keeps the report up to date.
    fn watch(&self, group: &Group, statement: Statement) {
        self.watched
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert((group.id, statement), (group.clone(), Instant::now()));
    }

    /// The group's consolidated P&L for `period` at its current data
    /// version.
    pub async fn profit_and_loss(
        &self,
        store: &Store,
        group: &Group,
        period: MonthRange,
    ) -> Result<Arc<PnlRun>, ReportError> {
        let statement = Statement::ProfitAndLoss {
            from: period.from(),
            to: period.to(),
        };
        self.watch(group, statement);
        match self.build_for(store, group, statement).await? {
            Run::Pnl(run) => Ok(run),
            Run::BalanceSheet(_) => unreachable!("a P&L key holds a P&L"),
        }
    }

    /// The group's consolidated balance sheet at the end of `at` at its
    /// current data version.
    pub async fn balance_sheet(
        &self,
        store: &Store,
        group: &Group,
        at: Month,
    ) -> Result<Arc<BalanceSheetRun>, ReportError> {
        let statement = Statement::BalanceSheet { at };
        self.watch(group, statement);
        match self.build_for(store, group, statement).await? {
            Run::BalanceSheet(run) => Ok(run),
            Run::Pnl(_) => unreachable!("a balance-sheet key holds a balance sheet"),
        }
    }

    /// The report at the current version: built already, or built now.
    async fn build_for(
        &self,
        store: &Store,
        group: &Group,
        statement: Statement,
    ) -> Result<Run, ReportError> {
        let mut last = None;
        for attempt in 1..=ATTEMPTS {
            let Some(version) = store.data_version(group.id).await? else {
                return Err(StoreError::Database(sqlx::Error::RowNotFound).into());
            };
            let key = (group.id, statement, version.clone());
            let cell = self.cell(&key);
            let keep = attempt < ATTEMPTS;
            match cell
                .get_or_try_init(|| self.build(store, group, statement, version, keep))
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
        let mut attempt = 1;
        let run = loop {
            let run = self.profit_and_loss(store, group, period).await?;
            match self.load_data(store, group, &run, attempt < ATTEMPTS).await {
                Ok(()) => break run,
                Err(ReportError::Moved) => attempt += 1,
                Err(e) => return Err(e),
            }
        };
        self.off_workers(move || f(&run)).await
    }

    /// Loads the engine's input of `run`'s period, of `run`'s version (when
    /// the version moved meanwhile: `Moved`, unless `!keep`, as in
    /// [`Self::build`]).
    async fn load_data(
        &self,
        store: &Store,
        group: &Group,
        run: &PnlRun,
        keep: bool,
    ) -> Result<(), ReportError> {
        run.data
            .get_or_try_init(|| async {
                let _turn = self.gate.enter().await?;
                let data = consolidation::load(store, group, run.period).await?;
                if keep && store.data_version(group.id).await?.as_ref() != Some(&run.version) {
                    return Err(ReportError::Moved);
                }
                Ok(data)
            })
            .await
            .map(|_| ())
    }

    /// How many months of the group's P&L are built at `version`.
    pub fn months_built(&self, group: i64, version: &DataVersion) -> usize {
        self.months.count(group, version)
    }

    /// How many single-month engine runs the service has made per month
    /// of the group's P&L (for tests: a month whose inputs did not change
    /// is relabelled, not run).
    pub fn month_runs(&self, group: i64) -> std::collections::BTreeMap<Month, u64> {
        self.months.runs(group)
    }

    /// How many groups' months are kept (at most
    /// [`months::GROUPS_KEPT`]).
    pub fn month_groups_kept(&self) -> usize {
        self.months.groups()
    }

    /// [`Self::with_run`] for the balance sheet at the end of `at`: a
    /// cell's sources or a workbook, from the input the report was built
    /// from.
    pub async fn with_balance_sheet<T, F>(
        &self,
        store: &Store,
        group: &Group,
        at: Month,
        f: F,
    ) -> Result<T, ReportError>
    where
        T: Send + 'static,
        F: FnOnce(&BalanceSheetRun) -> T + Send + 'static,
    {
        let run = self.balance_sheet(store, group, at).await?;
        self.off_workers(move || f(&run)).await
    }

    /// Runs `f` on the blocking pool within the gate.
    async fn off_workers<T, F>(&self, f: F) -> Result<T, ReportError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let _turn = self.gate.enter().await?;
        tokio::task::spawn_blocking(f)
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
        statement: Statement,
        version: DataVersion,
        keep: bool,
    ) -> Result<Run, ReportError> {
        let _turn = self.gate.enter().await?;
        match statement {
            Statement::ProfitAndLoss { from, to } => {
                let period = MonthRange::new(from, to).map_err(|e| {
                    ReportError::Task(format!("a report of an impossible period: {e}"))
                })?;
                let run = self
                    .put_together(store, group, period, version, keep)
                    .await?;
                Ok(Run::Pnl(Arc::new(run)))
            }
            Statement::BalanceSheet { at } => {
                let loaded = consolidation::balance_sheet::load_all(store, group, at).await?;
                if keep && store.data_version(group.id).await?.as_ref() != Some(&version) {
                    return Err(ReportError::Moved);
                }
                let run = tokio::task::spawn_blocking(move || {
                    let (input, report) = consolidation::balance_sheet::consolidate(loaded);
                    BalanceSheetRun {
                        version,
                        at,
                        input,
                        report,
                    }
                })
                .await
                .map_err(|e| ReportError::Task(e.to_string()))?;
                Ok(Run::BalanceSheet(Arc::new(run)))
            }
        }
    }

    /// The P&L of `period` at `version` from its months: those not built
    /// at `version` are built from one load of the range they span (a
    /// single-month engine run each: no month's figures depend on the
    /// period, and a month's lines cannot be cut out of a longer run), then
    /// every month of the period is put together. All months are of the
    /// one version: a build whose version moved while loading is not kept
    /// (`Moved`, or, when `!keep`, used for this answer only).
    async fn put_together(
        &self,
        store: &Store,
        group: &Group,
        period: MonthRange,
        version: DataVersion,
        keep: bool,
    ) -> Result<PnlRun, ReportError> {
        let mut have: Vec<(Month, Option<Arc<ProfitAndLossReport>>)> = period
            .months()
            .map(|m| (m, self.months.get(group.id, m, &version)))
            .collect();
        let missing: Vec<Month> = have
            .iter()
            .filter(|(_, r)| r.is_none())
            .map(|(m, _)| *m)
            .collect();
        if let (Some(&first), Some(&last)) = (missing.first(), missing.last()) {
            let range = MonthRange::new(first, last)
                .map_err(|e| ReportError::Task(format!("a report of an impossible period: {e}")))?;
            let data = consolidation::load(store, group, range).await?;
            let same = store.data_version(group.id).await?.as_ref() == Some(&version);
            if keep && !same {
                return Err(ReportError::Moved);
            }
            let (data, fingerprints) = tokio::task::spawn_blocking(move || {
                let f = fingerprint::month_fingerprints(&data, &missing);
                (data, f)
            })
            .await
            .map_err(|e| ReportError::Task(e.to_string()))?;
            // A month whose inputs are those of the month kept is that
            // month's report, relabelled; the others are run.
            let mut to_run = Vec::new();
            for (m, f) in fingerprints {
                match self.months.get_same(group.id, m, &f) {
                    Some(r) => {
                        if same {
                            self.months.put(group.id, m, version.clone(), f, r.clone());
                        }
                        if let Some(slot) = have.iter_mut().find(|(x, _)| *x == m) {
                            slot.1 = Some(r);
                        }
                    }
                    None => to_run.push((m, f)),
                }
            }
            for (m, _) in &to_run {
                self.months.ran(group.id, *m);
            }
            let built = tokio::task::spawn_blocking(move || {
                to_run
                    .into_iter()
                    .map(|(m, f)| {
                        engine::consolidate(&data, MonthRange::single(m))
                            .map(|c| (m, f, Arc::new(c.report)))
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .await
            .map_err(|e| ReportError::Task(e.to_string()))??;
            for (m, f, r) in built {
                if same {
                    self.months.put(group.id, m, version.clone(), f, r.clone());
                }
                if let Some(slot) = have.iter_mut().find(|(x, _)| *x == m) {
                    slot.1 = Some(r);
                }
            }
        }
        let parts: Vec<Arc<ProfitAndLossReport>> =
            have.into_iter().filter_map(|(_, r)| r).collect();
        let report = tokio::task::spawn_blocking(move || {
            let refs: Vec<&ProfitAndLossReport> = parts.iter().map(|r| r.as_ref()).collect();
            engine::assemble(&refs)
        })
        .await
        .map_err(|e| ReportError::Task(e.to_string()))?
        .map_err(|e| ReportError::Task(e.to_string()))?;
        Ok(PnlRun {
            version,
            period,
            report,
            data: OnceCell::new(),
        })
    }

    /// The cell of `key`, made empty when new. Older versions of the
    /// group are dropped (they can never be asked for again), and the
    /// oldest keys past [`KEPT`].
    fn cell(&self, key: &Key) -> Arc<OnceCell<Run>> {
        let mut built = self.built.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = built.cells.get(key) {
            return c.clone();
        }
        let stale: Vec<Key> = built
            .order
            .iter()
            .filter(|k| k.0 == key.0 && k.2 != key.2)
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

impl Reports {
    /// The comparison column of the balance sheet at `at`
    /// (`consolidation::bs_compare`), from the earlier month end's report
    /// as the service builds it; the earlier report too (the workbook
    /// writes its consolidated column).
    pub async fn balance_sheet_comparison(
        &self,
        store: &Store,
        group: &Group,
        at: Month,
        with: CompareWith,
    ) -> Result<(Comparison, Arc<BalanceSheetRun>), ReportError> {
        let earlier = with.month(at, group.financial_year_end_month as u32);
        let run = self.balance_sheet(store, group, earlier).await?;
        Ok((bs_compare::of_report(with, &run.report), run))
    }
}

//! The materialised months: per (group, month) the single-month P&L of
//! the group at the data version it was built from. A P&L of any period
//! is its months put together (`engine::assemble`), so a request adds up
//! months instead of running the engine, and a month built once serves
//! every period holding it until the group's data version moves.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::domain::Month;
use crate::engine::ProfitAndLossReport;
use crate::store::DataVersion;

/// A month's report and the version it was built from.
type Built = (DataVersion, Arc<ProfitAndLossReport>);

/// The months built, the newest version of each (an older version can
/// never be asked for again).
#[derive(Default)]
pub(crate) struct Months {
    built: Mutex<HashMap<(i64, Month), Built>>,
}

impl Months {
    /// The month's report at `version`, if it is built.
    pub fn get(
        &self,
        group: i64,
        month: Month,
        version: &DataVersion,
    ) -> Option<Arc<ProfitAndLossReport>> {
        let built = self.built.lock().unwrap_or_else(|p| p.into_inner());
        built
            .get(&(group, month))
            .filter(|(v, _)| v == version)
            .map(|(_, r)| r.clone())
    }

    /// Keeps a month built at `version`, in place of any other version.
    pub fn put(&self, group: i64, month: Month, version: DataVersion, r: Arc<ProfitAndLossReport>) {
        let mut built = self.built.lock().unwrap_or_else(|p| p.into_inner());
        built.insert((group, month), (version, r));
    }

    /// How many months of `group` are built at `version` (for tests).
    pub fn count(&self, group: i64, version: &DataVersion) -> usize {
        let built = self.built.lock().unwrap_or_else(|p| p.into_inner());
        built
            .iter()
            .filter(|((g, _), (v, _))| *g == group && v == version)
            .count()
    }
}

//! The materialised months: per (group, month) the single-month P&L of
//! the group, the data version it is labelled with and the fingerprint of
//! the inputs it was built from (`consolidation::fingerprint`). A P&L of
//! any period is its months put together (`engine::assemble`), so a request
//! adds up months instead of running the engine, and a month built once
//! serves every period holding it until the group's data version moves.
//! When it moves, a month whose fingerprint is unchanged is relabelled to
//! the new version instead of being run again.
//!
//! Bounded: the months of at most [`GROUPS_KEPT`] groups are kept, the
//! group asked for least recently dropped first. A group's months are a
//! few hundred kB at a hundred entities (a report per month, no loaded
//! data), and a server serves few groups, so the bound is there for a
//! server with many groups, not to save memory in the common case.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use crate::consolidation::fingerprint::Fingerprint;
use crate::domain::Month;
use crate::engine::ProfitAndLossReport;
use crate::store::DataVersion;

/// How many groups' months are kept.
pub(crate) const GROUPS_KEPT: usize = 8;

/// A month's report, its version and its inputs' fingerprint.
struct Built {
    version: DataVersion,
    fingerprint: Fingerprint,
    report: Arc<ProfitAndLossReport>,
}

#[derive(Default)]
struct Group {
    months: HashMap<Month, Built>,
    /// Single-month engine runs per month (for tests: which months a
    /// change rebuilt).
    runs: BTreeMap<Month, u64>,
    /// When the group was last asked for, as a tick of [`Inner::clock`].
    used: u64,
}

#[derive(Default)]
struct Inner {
    groups: HashMap<i64, Group>,
    clock: u64,
}

impl Inner {
    /// The group's months, marked as used now; the least recently used
    /// other group is dropped when a new one would pass the bound.
    fn group(&mut self, group: i64) -> &mut Group {
        self.clock += 1;
        if !self.groups.contains_key(&group) && self.groups.len() >= GROUPS_KEPT {
            let oldest = self
                .groups
                .iter()
                .min_by_key(|(_, g)| g.used)
                .map(|(id, _)| *id);
            if let Some(id) = oldest {
                self.groups.remove(&id);
            }
        }
        let g = self.groups.entry(group).or_default();
        g.used = self.clock;
        g
    }
}

/// The months built, the newest version of each (an older version can
/// never be asked for again).
#[derive(Default)]
pub(crate) struct Months {
    inner: Mutex<Inner>,
}

impl Months {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The month's report at `version`, if it is built.
    pub fn get(
        &self,
        group: i64,
        month: Month,
        version: &DataVersion,
    ) -> Option<Arc<ProfitAndLossReport>> {
        self.lock()
            .group(group)
            .months
            .get(&month)
            .filter(|b| b.version == *version)
            .map(|b| b.report.clone())
    }

    /// The month's report built from inputs of `fingerprint`, of whichever
    /// version: the same inputs make the same report.
    pub fn get_same(
        &self,
        group: i64,
        month: Month,
        fingerprint: &Fingerprint,
    ) -> Option<Arc<ProfitAndLossReport>> {
        self.lock()
            .group(group)
            .months
            .get(&month)
            .filter(|b| b.fingerprint == *fingerprint)
            .map(|b| b.report.clone())
    }

    /// Keeps a month at `version`, in place of any other version.
    pub fn put(
        &self,
        group: i64,
        month: Month,
        version: DataVersion,
        fingerprint: Fingerprint,
        report: Arc<ProfitAndLossReport>,
    ) {
        self.lock().group(group).months.insert(
            month,
            Built {
                version,
                fingerprint,
                report,
            },
        );
    }

    /// Counts a single-month engine run of the month.
    pub fn ran(&self, group: i64, month: Month) {
        *self.lock().group(group).runs.entry(month).or_default() += 1;
    }

    /// Single-month engine runs so far per month of `group` (for tests).
    pub fn runs(&self, group: i64) -> BTreeMap<Month, u64> {
        self.lock()
            .groups
            .get(&group)
            .map(|g| g.runs.clone())
            .unwrap_or_default()
    }

    /// How many months of `group` are built at `version` (for tests).
    pub fn count(&self, group: i64, version: &DataVersion) -> usize {
        self.lock().groups.get(&group).map_or(0, |g| {
            g.months.values().filter(|b| b.version == *version).count()
        })
    }

    /// The groups whose months are kept (for tests).
    pub fn groups(&self) -> usize {
        self.lock().groups.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{CurrencyCode, MonthRange};
    use crate::engine::{self, GroupData};

    /// The report of a group with nothing in it, for one month.
    fn a_report(m: Month) -> Arc<ProfitAndLossReport> {
        let data = GroupData {
            group: engine::Group {
                presentation_currency: CurrencyCode::parse("NZD").unwrap(),
                financial_year_end_month: 3,
            },
            entities: vec![],
            entity_accounts: vec![],
            group_accounts: vec![],
            mappings: vec![],
            pnl: vec![],
            net_profits: vec![],
            rates: vec![],
            intercompany_contacts: vec![],
            invoices: vec![],
            rejected: vec![],
        };
        Arc::new(
            engine::consolidate(&data, MonthRange::single(m))
                .unwrap()
                .report,
        )
    }

    fn version(group: i64) -> DataVersion {
        DataVersion {
            group,
            organisations: vec![],
        }
    }

    #[test]
    fn past_the_bound_the_group_asked_for_least_recently_is_dropped() {
        let months = Months::default();
        let m = Month::parse("2026-10").unwrap();
        let r = a_report(m);
        let kept = GROUPS_KEPT as i64;
        for g in 0..kept {
            months.put(g, m, version(g), [g as u8; 32], r.clone());
        }
        // Group 0 is asked for again, so group 1 is now the least recent.
        assert!(months.get(0, m, &version(0)).is_some());
        months.put(100, m, version(100), [100; 32], r);
        assert_eq!(
            months.groups(),
            GROUPS_KEPT,
            "no more groups than the bound"
        );
        assert_eq!(months.count(1, &version(1)), 0, "group 1 is dropped");
        assert_eq!(
            months.count(0, &version(0)),
            1,
            "group 0 was asked for lately"
        );
        assert_eq!(months.count(100, &version(100)), 1);
        for g in 2..kept {
            assert_eq!(months.count(g, &version(g)), 1, "group {g} is kept");
        }
    }
}

//! Which report calls a sync makes. Xero's `periods` repeats the from/to
//! day range for each earlier month, so a call is anchored on a month with
//! 31 days (its 1st to 31st) and then covers that month and the eleven
//! before it in full.

use std::collections::BTreeSet;

use chrono::NaiveDate;

use crate::domain::Month;

/// Months per report call: the anchor plus `periods=11`.
pub const MONTHS_PER_CALL: i32 = 12;

/// The months to (re)fetch. A full sync takes the whole window. An
/// incremental one takes the months not stored yet, the last three, those
/// after the organisation's period lock date when it has one, and the months
/// that invoices changed since the last sync can move (`changed`, see
/// [`moved_months`]). (A back-dated manual
/// journal in an unlocked month older than three months is picked up by the
/// next full sync.)
pub fn months_to_fetch(
    window: &[Month],
    stored: &BTreeSet<Month>,
    lock_date: Option<NaiveDate>,
    changed: &BTreeSet<Month>,
    full: bool,
) -> BTreeSet<Month> {
    let Some(last) = window.last().copied() else {
        return BTreeSet::new();
    };
    window
        .iter()
        .copied()
        .filter(|m| {
            full || !stored.contains(m)
                || last.months_until(*m) > -3
                || lock_date.is_some_and(|d| m.last_day() > d)
                || changed.contains(m)
        })
        .collect()
}

/// The months of a report that changes dated in `changed` can move. A P&L
/// month holds that month's flows only; a balance sheet holds balances
/// carried forward, so a change moves its own month and every later one
/// (an invoice back-dated a year changes the receivables of each month
/// since).
pub fn moved_months(
    changed: &BTreeSet<Month>,
    window: &[Month],
    balances: bool,
) -> BTreeSet<Month> {
    if !balances {
        return changed.clone();
    }
    match changed.first() {
        Some(first) => window.iter().copied().filter(|m| m >= first).collect(),
        None => BTreeSet::new(),
    }
}

/// The anchor months of the calls that cover `needed`, latest first.
pub fn anchors(needed: &BTreeSet<Month>) -> Vec<Month> {
    let mut left = needed.clone();
    let mut out = Vec::new();
    while let Some(latest) = left.last().copied() {
        let anchor = if latest.days() == 31 {
            latest
        } else {
            latest.next()
        };
        for i in 0..MONTHS_PER_CALL {
            left.remove(&anchor.plus(-i));
        }
        out.push(anchor);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Month {
        Month::parse(s).unwrap()
    }

    fn range(from: &str, to: &str) -> Vec<Month> {
        crate::domain::MonthRange::new(m(from), m(to))
            .unwrap()
            .months()
            .collect()
    }

    #[test]
    fn a_31_day_month_anchors_twelve() {
        let need: BTreeSet<Month> = range("2024-11", "2026-10").into_iter().collect();
        assert_eq!(anchors(&need), [m("2026-10"), m("2025-10")]);
    }

    #[test]
    fn a_30_day_month_moves_the_anchor_on() {
        let need: BTreeSet<Month> = range("2026-09", "2026-11").into_iter().collect();
        assert_eq!(anchors(&need), [m("2026-12")]);
        let need: BTreeSet<Month> = [m("2026-02")].into_iter().collect();
        assert_eq!(anchors(&need), [m("2026-03")]);
    }

    #[test]
    fn every_needed_month_is_covered() {
        let need: BTreeSet<Month> = range("2023-01", "2026-11").into_iter().collect();
        let covered: BTreeSet<Month> = anchors(&need)
            .iter()
            .flat_map(|a| (0..12).map(move |i| a.plus(-i)))
            .collect();
        assert!(need.is_subset(&covered));
        for a in anchors(&need) {
            assert_eq!(a.days(), 31, "{a}");
        }
    }

    #[test]
    fn incremental_refetches_the_unlocked_and_the_last_three() {
        let window = range("2025-01", "2026-10");
        let stored: BTreeSet<Month> = window.iter().copied().collect();
        let lock = NaiveDate::from_ymd_opt(2026, 6, 30);
        let none = BTreeSet::new();
        let got = months_to_fetch(&window, &stored, lock, &none, false);
        assert_eq!(got, range("2026-07", "2026-10").into_iter().collect());
        let late_lock = NaiveDate::from_ymd_opt(2026, 10, 31);
        let got = months_to_fetch(&window, &stored, late_lock, &none, false);
        assert_eq!(
            got,
            range("2026-08", "2026-10").into_iter().collect(),
            "at least three"
        );
        let got = months_to_fetch(&window, &stored, None, &none, false);
        assert_eq!(
            got,
            range("2026-08", "2026-10").into_iter().collect(),
            "no lock date"
        );
        let changed: BTreeSet<Month> = [m("2025-05")].into_iter().collect();
        assert!(months_to_fetch(&window, &stored, None, &changed, false).contains(&m("2025-05")));
        // A change moves the balance sheet of its month and every later
        // one, the P&L of its month only.
        let moved = moved_months(&changed, &window, true);
        assert_eq!(moved, range("2025-05", "2026-10").into_iter().collect());
        assert_eq!(moved_months(&changed, &window, false), changed);
        assert_eq!(
            months_to_fetch(&window, &stored, None, &moved, false),
            moved,
            "every month since the change"
        );
        let before_window: BTreeSet<Month> = [m("2024-06")].into_iter().collect();
        assert_eq!(
            moved_months(&before_window, &window, true).len(),
            window.len()
        );
        assert!(moved_months(&none, &window, true).is_empty());
        let mut gap = stored.clone();
        gap.remove(&m("2025-03"));
        assert!(months_to_fetch(&window, &gap, lock, &none, false).contains(&m("2025-03")));
        assert_eq!(
            months_to_fetch(&window, &stored, lock, &none, true).len(),
            window.len()
        );
    }
}

//! A month's fingerprint: a SHA-256 digest of what a [`super::load`] of
//! that month alone would give the engine, cut out of a load of a longer
//! range. The report service keeps a month's built P&L while its
//! fingerprint stays the same, so a sync that changes one month of one
//! entity rebuilds only the months that read it (issue 14).
//!
//! What a single-month run reads, and so what is digested:
//! - the group-wide set-up: the group, its entities, their charts, the
//!   group chart, the confirmed mappings and intercompany contacts (a
//!   change there changes every month);
//! - the month's P&L rows and Xero net profits of every entity;
//! - the month's rates (a run translates only at its own months' rates);
//! - the intercompany documents and rejected records dated from
//!   [`super::RECONCILE_MARGIN_DAYS`] before the month to as many after
//!   it: the window a load of the month reads, wide enough for the
//!   reconciliation's pairing and the unrealised-profit hold (the
//!   load's `const` assert ties the hold's window to it), so a document
//!   changes the months it can pair into and no others.
//!
//! Left out: the sync run a stored row came from (`sync_run_id`). A report
//! does not show it (only provenance does, which is built on demand from a
//! fresh load), and every sync rewrites its months' rows under its own run,
//! so digesting it would rebuild every synced month even when no amount
//! changed.
//!
//! Digested through `Debug`, which the engine's input types all derive and
//! which writes every field: nothing is read twice or forgotten when a field
//! is added. A SHA-256 collision is not a practical risk, unlike a 64-bit
//! hash over many months.

use std::fmt::{self, Write as _};

use chrono::NaiveDate;
use sha2::{Digest, Sha256};

use crate::domain::Month;
use crate::engine::GroupData;

use super::RECONCILE_MARGIN_DAYS;

/// The digest of a month's inputs.
pub type Fingerprint = [u8; 32];

/// Feeds `Debug` output to the digest without building a string.
struct Feed<'a>(&'a mut Sha256);

impl fmt::Write for Feed<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.update(s.as_bytes());
        Ok(())
    }
}

fn feed(h: &mut Sha256, what: &str, v: &dyn fmt::Debug) {
    // The label and a separator keep one part's end from reading as the
    // next part's start.
    let _ = write!(Feed(h), "{what}={v:?};");
}

/// The fingerprint of each of `months` in `data`, a load of a range
/// holding them all.
pub fn month_fingerprints(data: &GroupData, months: &[Month]) -> Vec<(Month, Fingerprint)> {
    let mut set_up = Sha256::new();
    feed(&mut set_up, "group", &data.group);
    feed(&mut set_up, "entities", &data.entities);
    feed(&mut set_up, "entity_accounts", &data.entity_accounts);
    feed(&mut set_up, "group_accounts", &data.group_accounts);
    feed(&mut set_up, "mappings", &data.mappings);
    feed(&mut set_up, "ic_contacts", &data.intercompany_contacts);
    let margin = chrono::Duration::days(RECONCILE_MARGIN_DAYS);
    months
        .iter()
        .map(|&m| {
            let mut h = set_up.clone();
            for p in data.pnl.iter().filter(|p| p.month == m) {
                feed(&mut h, "pnl", &(p.entity, &p.row, p.amount));
            }
            for n in data.net_profits.iter().filter(|n| n.month == m) {
                feed(&mut h, "net_profit", &(n.entity, n.amount));
            }
            for r in data.rates.iter().filter(|r| r.month == m) {
                feed(&mut h, "rate", r);
            }
            let (from, to) = (m.first_day() - margin, m.last_day() + margin);
            let near = |d: NaiveDate| from <= d && d <= to;
            for i in data.invoices.iter().filter(|i| near(i.date)) {
                feed(&mut h, "document", i);
            }
            for r in data.rejected.iter().filter(|r| near(r.date)) {
                feed(&mut h, "rejected", r);
            }
            (m, h.finalize().into())
        })
        .collect()
}

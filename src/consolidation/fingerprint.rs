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
//! Digested field by field: each of the engine's input types is
//! destructured whole, so a field added to one does not compile here until
//! it is digested or said to be left out; plain parts go through std's
//! `Hash` into the digest, decimals as their exact 16 bytes (scale
//! included, as the report shows it). Writing `Debug` text through SHA-256,
//! as this did first, was most of the fingerprints' time (issue 14). A
//! SHA-256 collision is not a practical risk, unlike a 64-bit hash over
//! many months; the digests are compared within one process only.

use std::hash::{Hash, Hasher};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

use crate::domain::Month;
use crate::engine::{
    AccountMapping, Entity, EntityAccount, FxRate, GroupAccount, GroupData, IntercompanyContact,
    Invoice, InvoiceLine, RejectedRecord, SourceRow, SystemRow,
};

use super::RECONCILE_MARGIN_DAYS;

/// The digest of a month's inputs.
pub type Fingerprint = [u8; 32];

/// The digest as a `Hasher`, so that std's `Hash` writes into it. Every
/// part is written prefix-free (fixed widths, strings ended, sequences
/// counted), so one part's end never reads as the next one's start.
#[derive(Clone, Default)]
struct Feed(Sha256);

impl Hasher for Feed {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    fn finish(&self) -> u64 {
        unreachable!("a fingerprint is the whole SHA-256, never a u64")
    }
}

impl Feed {
    /// A part's name, so that parts of different kinds never read alike.
    fn tag(&mut self, what: &str) {
        what.hash(self);
    }

    fn decimal(&mut self, d: &Decimal) {
        self.write(&d.serialize());
    }
}

/// What the digest takes of an input type.
trait Digested {
    fn feed(&self, h: &mut Feed);
}

impl<T: Digested> Digested for [T] {
    fn feed(&self, h: &mut Feed) {
        self.len().hash(h);
        for x in self {
            x.feed(h);
        }
    }
}

impl Digested for crate::engine::Group {
    fn feed(&self, h: &mut Feed) {
        let Self {
            presentation_currency,
            financial_year_end_month,
        } = self;
        presentation_currency.hash(h);
        financial_year_end_month.hash(h);
    }
}

impl Digested for Entity {
    fn feed(&self, h: &mut Feed) {
        let Self {
            id,
            name,
            tenant_id,
            organisation_name,
            legal_name,
            base_currency,
        } = self;
        (
            id,
            name,
            tenant_id,
            organisation_name,
            legal_name,
            base_currency,
        )
            .hash(h);
    }
}

impl Digested for EntityAccount {
    fn feed(&self, h: &mut Feed) {
        let Self {
            entity,
            account_id,
            code,
            name,
            class,
            account_type,
        } = self;
        (entity, account_id, code, name, class, account_type).hash(h);
    }
}

impl Digested for GroupAccount {
    fn feed(&self, h: &mut Feed) {
        let Self {
            id,
            code,
            name,
            class,
            section,
        } = self;
        (id, code, name, class, section).hash(h);
    }
}

impl Digested for AccountMapping {
    fn feed(&self, h: &mut Feed) {
        let Self {
            entity,
            account_id,
            group_account,
        } = self;
        (entity, account_id, group_account).hash(h);
    }
}

impl Digested for IntercompanyContact {
    fn feed(&self, h: &mut Feed) {
        let Self {
            entity,
            contact_id,
            counterpart,
        } = self;
        (entity, contact_id, counterpart).hash(h);
    }
}

impl Digested for SourceRow {
    fn feed(&self, h: &mut Feed) {
        match self {
            Self::Account {
                account_id,
                section,
            } => (0u8, account_id, section).hash(h),
            Self::System(row) => {
                let SystemRow {
                    key,
                    label,
                    class,
                    section,
                } = row.as_ref();
                (1u8, key, label, class, section).hash(h);
            }
            Self::Summary(title) => (2u8, title).hash(h),
        }
    }
}

impl Digested for FxRate {
    fn feed(&self, h: &mut Feed) {
        let Self {
            currency,
            month,
            average,
            closing,
        } = self;
        (currency, month).hash(h);
        h.decimal(average);
        h.decimal(closing);
    }
}

impl Digested for InvoiceLine {
    fn feed(&self, h: &mut Feed) {
        let Self {
            line_item_id,
            description,
            account_code,
            account_id,
            line_amount,
            tax_amount,
        } = self;
        (line_item_id, description, account_code, account_id).hash(h);
        h.decimal(line_amount);
        h.decimal(tax_amount);
    }
}

impl Digested for Invoice {
    fn feed(&self, h: &mut Feed) {
        let Self {
            entity,
            contact_id,
            date,
            invoice_type,
            status,
            line_amount_types,
            currency,
            invoice_id,
            invoice_number,
            contact_name,
            currency_rate,
            total,
            lines,
            sync_run_id,
        } = self;
        (
            entity,
            contact_id,
            date,
            invoice_type,
            status,
            line_amount_types,
            currency,
            invoice_id,
            invoice_number,
            contact_name,
            sync_run_id,
        )
            .hash(h);
        currency_rate.is_some().hash(h);
        if let Some(r) = currency_rate {
            h.decimal(r);
        }
        h.decimal(total);
        lines.feed(h);
    }
}

impl Digested for RejectedRecord {
    fn feed(&self, h: &mut Feed) {
        let Self {
            entity,
            record_id,
            number,
            date,
            field,
            value,
        } = self;
        (entity, record_id, number, date, field, value).hash(h);
    }
}

/// The fingerprint of each of `months` in `data`, a load of a range
/// holding them all.
pub fn month_fingerprints(data: &GroupData, months: &[Month]) -> Vec<(Month, Fingerprint)> {
    let GroupData {
        group,
        entities,
        entity_accounts,
        group_accounts,
        mappings,
        pnl,
        net_profits,
        rates,
        intercompany_contacts,
        invoices,
        rejected,
    } = data;
    let mut set_up = Feed::default();
    set_up.tag("group");
    group.feed(&mut set_up);
    set_up.tag("entities");
    entities.feed(&mut set_up);
    set_up.tag("entity_accounts");
    entity_accounts.feed(&mut set_up);
    set_up.tag("group_accounts");
    group_accounts.feed(&mut set_up);
    set_up.tag("mappings");
    mappings.feed(&mut set_up);
    set_up.tag("ic_contacts");
    intercompany_contacts.feed(&mut set_up);
    let margin = chrono::Duration::days(RECONCILE_MARGIN_DAYS);
    months
        .iter()
        .map(|&m| {
            let mut h = set_up.clone();
            for p in pnl.iter().filter(|p| p.month == m) {
                // The month is the one digested; the run id is left out
                // (see the module's docs).
                let crate::engine::PnlAmount {
                    entity,
                    row,
                    month: _,
                    amount,
                    sync_run_id: _,
                } = p;
                h.tag("pnl");
                entity.hash(&mut h);
                row.feed(&mut h);
                h.decimal(amount);
            }
            for n in net_profits.iter().filter(|n| n.month == m) {
                let crate::engine::XeroNetProfit {
                    entity,
                    month: _,
                    amount,
                    sync_run_id: _,
                } = n;
                h.tag("net_profit");
                entity.hash(&mut h);
                h.decimal(amount);
            }
            for r in rates.iter().filter(|r| r.month == m) {
                h.tag("rate");
                r.feed(&mut h);
            }
            let (from, to) = (m.first_day() - margin, m.last_day() + margin);
            let near = |d: NaiveDate| from <= d && d <= to;
            for i in invoices.iter().filter(|i| near(i.date)) {
                h.tag("document");
                i.feed(&mut h);
            }
            for r in rejected.iter().filter(|r| near(r.date)) {
                h.tag("rejected");
                r.feed(&mut h);
            }
            (m, h.0.finalize().into())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::CurrencyCode;
    use crate::engine::{
        self, EntityId, InvoiceStatus, InvoiceType, LineAmountTypes, PnlAmount, SourceRow,
    };

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn month(s: &str) -> Month {
        Month::parse(s).unwrap()
    }

    /// One P&L row per month of 2026-01 to 2026-04 and one intercompany
    /// invoice dated 2026-02-10, which the windows of 2026-01 to 2026-03
    /// reach (45 days either side) and 2026-04's does not.
    fn data() -> GroupData {
        let nzd = CurrencyCode::parse("NZD").unwrap();
        GroupData {
            group: engine::Group {
                presentation_currency: nzd,
                financial_year_end_month: 3,
            },
            entities: vec![],
            entity_accounts: vec![],
            group_accounts: vec![],
            mappings: vec![],
            pnl: ["2026-01", "2026-02", "2026-03", "2026-04"]
                .iter()
                .map(|m| PnlAmount {
                    entity: EntityId(1),
                    row: SourceRow::account("acc-200"),
                    month: month(m),
                    amount: d("100.00"),
                    sync_run_id: Some(7),
                })
                .collect(),
            net_profits: vec![],
            rates: vec![],
            intercompany_contacts: vec![],
            invoices: vec![Invoice {
                entity: EntityId(1),
                contact_id: "c-sister".into(),
                date: "2026-02-10".parse().unwrap(),
                invoice_type: InvoiceType::Accrec,
                status: InvoiceStatus::Authorised,
                line_amount_types: LineAmountTypes::Exclusive,
                currency: nzd,
                invoice_id: "inv-1".into(),
                invoice_number: None,
                contact_name: "Sister".into(),
                currency_rate: None,
                total: d("115.00"),
                lines: vec![InvoiceLine {
                    line_item_id: "line-0".into(),
                    description: String::new(),
                    account_code: Some("200".into()),
                    account_id: None,
                    line_amount: d("100.00"),
                    tax_amount: d("15.00"),
                }],
                sync_run_id: None,
            }],
            rejected: vec![],
        }
    }

    fn months() -> Vec<Month> {
        ["2026-01", "2026-02", "2026-03", "2026-04"]
            .iter()
            .map(|m| month(m))
            .collect()
    }

    /// Which of the four months' fingerprints differ between two loads.
    fn changed(a: &GroupData, b: &GroupData) -> Vec<bool> {
        let (fa, fb) = (
            month_fingerprints(a, &months()),
            month_fingerprints(b, &months()),
        );
        fa.iter().zip(&fb).map(|(x, y)| x.1 != y.1).collect()
    }

    #[test]
    fn a_change_moves_the_months_that_read_it_and_no_others() {
        let before = data();
        assert_eq!(changed(&before, &data()), [false; 4], "the same inputs");

        let mut runs = data();
        runs.pnl[1].sync_run_id = Some(8);
        assert_eq!(
            changed(&before, &runs),
            [false; 4],
            "a sync run id is left out"
        );

        let mut amount = data();
        amount.pnl[1].amount = d("100.01");
        assert_eq!(changed(&before, &amount), [false, true, false, false]);

        // The same number at another scale shows differently on a report.
        let mut scale = data();
        scale.pnl[2].amount = d("100.0");
        assert_eq!(changed(&before, &scale), [false, false, true, false]);

        let mut tax = data();
        tax.invoices[0].lines[0].tax_amount = d("15.01");
        assert_eq!(changed(&before, &tax), [true, true, true, false]);

        let mut status = data();
        status.invoices[0].status = InvoiceStatus::Voided;
        assert_eq!(changed(&before, &status), [true, true, true, false]);

        let mut rate = data();
        rate.invoices[0].currency_rate = Some(d("1"));
        assert_eq!(changed(&before, &rate), [true, true, true, false]);

        let mut row = data();
        row.pnl[3].row = SourceRow::account("acc-201");
        assert_eq!(changed(&before, &row), [false, false, false, true]);

        let mut set_up = data();
        set_up.group.financial_year_end_month = 6;
        assert_eq!(
            changed(&before, &set_up),
            [true; 4],
            "the set-up, every month"
        );
    }
}

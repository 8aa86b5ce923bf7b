//! The demo group's balance-sheet cases (issue 12), so a newcomer sees
//! every part of the consolidated balance sheet on the first run:
//! - Kea Holdings acquires its three subsidiaries at the start of the
//!   history by issuing shares: an investment account per subsidiary, at a
//!   cost above its share of the capital (so there is goodwill). It holds
//!   [`THISTLE_PERCENT`] of Thistle & Co, all of the others.
//! - Kea Holdings lends Wattle Trading AUD [`LOAN_AUD`], a loan in a
//!   currency foreign to the lender, by manual journals on both sides.
//!
//! Consol's side of the set-up (ownership, the accounts marked
//! intercompany) is in `crate::demo`; the codes here are how it finds the
//! accounts. The intercompany invoices of the last month, due next month,
//! are the open intercompany receivables at the last month end.

use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;

use super::fx;
use super::ledger::{Ledger, Method, WriteOptions};
use crate::domain::{CurrencyCode, Month};
use crate::xero::*;

/// The owner's investment account of each subsidiary (by its position in
/// the demo: 1 Wattle Trading, 2 Thistle & Co, 3 Redwood Supply).
pub const INVESTMENT_CODES: [(usize, &str); 3] = [(1, "740"), (2, "741"), (3, "742")];
/// Kea Holdings' loan to Wattle Trading (an asset).
pub const LOAN_ASSET_CODE: &str = "750";
/// Wattle Trading's loan from Kea Holdings (a liability).
pub const LOAN_LIABILITY_CODE: &str = "910";
/// The part of Thistle & Co that Kea Holdings holds.
pub const THISTLE_PERCENT: i64 = 80;
/// The loan, in Wattle Trading's currency.
pub const LOAN_AUD: i64 = 150_000;

fn round2(v: Decimal) -> Decimal {
    v.round_dp(2)
}

fn account(l: &mut Ledger, code: &str, name: String, account_type: &str) {
    l.put_account(
        Account {
            code: Some(code.into()),
            name: Some(name),
            account_type: Some(account_type.into()),
            tax_type: Some("NONE".into()),
            ..Default::default()
        },
        &WriteOptions::default(),
    )
    .expect("demo balance-sheet account");
}

fn journal(narration: &str, date: NaiveDate, lines: &[(&str, Decimal)]) -> ManualJournal {
    ManualJournal {
        narration: Some(narration.into()),
        date: Some(date.into()),
        status: Some(ManualJournalStatus::Posted),
        journal_lines: Some(
            lines
                .iter()
                .map(|(c, a)| ManualJournalLine {
                    line_amount: Some(*a),
                    account_code: Some((*c).into()),
                    description: Some(narration.into()),
                    ..Default::default()
                })
                .collect(),
        ),
        ..Default::default()
    }
}

/// The capital each subsidiary's owners introduce in the first month, in
/// its base currency (as `demo.rs` journals it: four months of payroll).
fn capital(payroll: i64) -> Decimal {
    Decimal::new(payroll * 400, 2)
}

/// Adds the acquisitions and the loan to one copy of the demo group
/// (`orgs` in the demo's order: Kea Holdings, Wattle Trading, Thistle & Co,
/// Redwood Supply), whose history starts in `first`. `payrolls` are their
/// monthly payrolls, from which the demo's capital is made.
pub fn add_balance_sheet_cases(orgs: &mut [Ledger], first: Month, payrolls: [i64; 4]) {
    let ok = WriteOptions::default();
    let day = first.first_day();
    let nzd = orgs[0].base_currency();
    // The acquisitions: a share issue by Kea Holdings for each subsidiary,
    // priced at 130% of its share of the capital at that day's rate.
    let mut lines = Vec::new();
    let mut issued = Decimal::ZERO;
    for (k, code) in INVESTMENT_CODES {
        let name = format!("Investment in {}", orgs[k].name());
        account(&mut orgs[0], code, name, "NONCURRENT");
        let percent = if k == 2 { THISTLE_PERCENT } else { 100 };
        let rate = fx::rate(orgs[k].base_currency(), nzd, day);
        let cost =
            round2(capital(payrolls[k]) * rate * Decimal::new(percent, 2) * Decimal::new(13, 1));
        lines.push((code, cost));
        issued += cost;
    }
    lines.push(("970", -issued));
    // The loan: Kea Holdings pays NZD for AUD at the day's rate (Xero's
    // base amount = foreign amount / CurrencyRate); Wattle Trading owes the
    // AUD.
    let loan_day = day + Duration::days(1);
    let aud: CurrencyCode = orgs[1].base_currency();
    let loan = Decimal::from(LOAN_AUD);
    let loan_nzd = round2(loan / fx::rate(nzd, aud, loan_day));
    let wattle = orgs[1].name().to_string();
    let kea = orgs[0].name().to_string();
    account(
        &mut orgs[0],
        LOAN_ASSET_CODE,
        format!("Loan to {wattle}"),
        "NONCURRENT",
    );
    account(
        &mut orgs[1],
        LOAN_LIABILITY_CODE,
        format!("Loan from {kea}"),
        "TERMLIAB",
    );
    orgs[0]
        .write_manual_journals(
            Method::Put,
            vec![
                journal("Shares issued to acquire the subsidiaries", day, &lines),
                journal(
                    &format!("Loan of AUD {LOAN_AUD} to {wattle}"),
                    loan_day,
                    &[(LOAN_ASSET_CODE, loan_nzd), ("090", -loan_nzd)],
                ),
            ],
            &ok,
        )
        .expect("demo acquisition journals");
    orgs[1]
        .write_manual_journals(
            Method::Put,
            vec![journal(
                &format!("Loan from {kea}"),
                loan_day,
                &[("090", loan), (LOAN_LIABILITY_CODE, -loan)],
            )],
            &ok,
        )
        .expect("demo loan journal");
}

//! Real-life cases for the demo group (issue 11), written through the same
//! functions that serve Xero's write endpoints, on top of a built group:
//!
//! - an intercompany credit-note pair that matches (same CreditNoteNumber
//!   on both sides, AUD, with a tracking option on the seller's line);
//! - a one-sided intercompany credit note (the buyer never entered it);
//! - intercompany spend money (the payer's SPEND, the payee's RECEIVE);
//! - an intercompany sale that the buyer books to Inventory (a balance
//!   sheet account), leaving unrealised intercompany profit;
//! - a foreign-currency intercompany invoice paid in part, in a later month,
//!   at another rate (a realised currency gain or loss on the buyer's side);
//! - an entity whose history starts part-way (Tui Ventures Limited, three
//!   months of trading and intercompany fees with the parent).
//!
//! [`super::demo::build_demo`] calls it after the first copy is built
//! (`DemoOptions::real_life_cases`), so `consol demo` and the simulator's
//! demo data carry every case.

use chrono::{Duration, NaiveDate, NaiveTime};
use rust_decimal::Decimal;

use super::clock::SimClock;
use super::demo::DemoGroup;
use super::fx;
use super::ledger::{Ledger, Method, OrgSettings, WriteOptions};
use crate::domain::{CurrencyCode, Month};
use crate::xero::num::round2;
use crate::xero::*;

/// Which real-life case a record belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseKind {
    MatchedCreditNotes,
    OneSidedCreditNote,
    IntercompanySpendMoney,
    SaleToInventory,
    ForeignPartPayment,
    PartWayEntity,
}

/// One case as written: who, to whom, the shared number or reference, and
/// the amount in `currency`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    pub kind: CaseKind,
    pub from: String,
    pub to: String,
    pub reference: String,
    pub currency: CurrencyCode,
    pub amount: Decimal,
    pub date: NaiveDate,
}

/// The name of the organisation that starts part-way through the history.
pub const PART_WAY_ENTITY: &str = "Tui Ventures";

fn code(s: &str) -> CurrencyCode {
    CurrencyCode::parse(s).expect("valid demo currency")
}

/// Whole units of a currency, at 2 places.
fn units(n: i64) -> Decimal {
    Decimal::new(n * 100, 2)
}

fn named(name: &str) -> Option<Contact> {
    Some(Contact {
        name: Some(name.into()),
        ..Default::default()
    })
}

fn line(desc: &str, amount: Decimal, account: &str) -> LineItem {
    LineItem {
        description: Some(desc.into()),
        quantity: Some(Decimal::ONE),
        unit_amount: Some(amount),
        account_code: Some(account.into()),
        ..Default::default()
    }
}

/// The rate a document in `cur` carries in an organisation with base
/// `base` on `date` (none in base currency).
fn rate_for(base: CurrencyCode, cur: CurrencyCode, date: NaiveDate) -> Option<Decimal> {
    (cur != base).then(|| fx::rate(base, cur, date))
}

fn at(clock: &SimClock, date: NaiveDate) {
    clock.set(
        date.and_time(NaiveTime::from_hms_opt(17, 0, 0).expect("time"))
            .and_utc(),
    );
}

#[allow(clippy::too_many_arguments)]
fn invoice(
    l: &mut Ledger,
    ty: InvoiceType,
    number: &str,
    contact: &str,
    date: NaiveDate,
    cur: CurrencyCode,
    amount: Decimal,
    account: &str,
) -> Invoice {
    let inv = Invoice {
        invoice_type: Some(ty),
        invoice_number: Some(number.into()),
        contact: named(contact),
        date: Some(date.into()),
        due_date: Some((date + Duration::days(30)).into()),
        status: Some(InvoiceStatus::Authorised),
        line_amount_types: Some(LineAmountTypes::NoTax),
        currency_code: Some(cur),
        currency_rate: rate_for(l.base_currency(), cur, date),
        line_items: Some(vec![line("Intercompany", amount, account)]),
        ..Default::default()
    };
    l.write_invoices(Method::Put, vec![inv], &WriteOptions::default())
        .unwrap_or_else(|e| panic!("demo case invoice rejected: {:?}", e.messages()))
        .invoices
        .remove(0)
}

#[allow(clippy::too_many_arguments)]
fn credit_note(
    l: &mut Ledger,
    ty: CreditNoteType,
    number: &str,
    contact: &str,
    date: NaiveDate,
    cur: CurrencyCode,
    amount: Decimal,
    mut line: LineItem,
    account: &str,
) -> CreditNote {
    line.unit_amount = Some(amount);
    line.account_code = Some(account.into());
    let cn = CreditNote {
        credit_note_type: Some(ty),
        credit_note_number: Some(number.into()),
        contact: named(contact),
        date: Some(date.into()),
        status: Some(InvoiceStatus::Authorised),
        line_amount_types: Some(LineAmountTypes::NoTax),
        currency_code: Some(cur),
        currency_rate: rate_for(l.base_currency(), cur, date),
        line_items: Some(vec![line]),
        ..Default::default()
    };
    l.write_credit_notes(Method::Put, vec![cn], &WriteOptions::default())
        .unwrap_or_else(|e| panic!("demo case credit note rejected: {e:?}"))
        .credit_notes
        .remove(0)
}

fn bank_transaction(
    l: &mut Ledger,
    ty: BankTransactionType,
    contact: &str,
    reference: &str,
    date: NaiveDate,
    amount: Decimal,
    account: &str,
) {
    let bt = BankTransaction {
        bank_transaction_type: Some(ty),
        contact: named(contact),
        bank_account: Some(Account {
            code: Some("090".into()),
            ..Default::default()
        }),
        date: Some(date.into()),
        reference: Some(reference.into()),
        line_amount_types: Some(LineAmountTypes::NoTax),
        line_items: Some(vec![line("Intercompany", amount, account)]),
        ..Default::default()
    };
    l.write_bank_transactions(Method::Put, vec![bt], &WriteOptions::default())
        .unwrap_or_else(|e| panic!("demo case bank transaction rejected: {e:?}"));
}

fn pay(l: &mut Ledger, inv: &Invoice, date: NaiveDate, amount: Decimal) {
    let rate = inv
        .currency_code
        .and_then(|c| rate_for(l.base_currency(), c, date));
    let p = Payment {
        invoice: Some(PaymentInvoiceRef {
            invoice_id: inv.invoice_id,
            invoice_number: None,
        }),
        account: Some(AccountRef {
            account_id: None,
            code: Some("090".into()),
        }),
        date: Some(date.into()),
        amount: Some(amount),
        currency_rate: rate,
        ..Default::default()
    };
    l.put_payments(vec![p], &WriteOptions::default())
        .unwrap_or_else(|e| panic!("demo case payment rejected: {e:?}"));
}

/// Adds the real-life cases to the first copy of a built demo group (parent
/// Kea Holdings, then Wattle Trading, the UK and the US subsidiaries) in
/// the last three months of history before `today`'s month, and appends
/// the part-way entity. Returns what it wrote.
pub fn add_real_life_cases(group: &mut DemoGroup, today: NaiveDate) -> Vec<Case> {
    let clock = group.clock.clone();
    let restore = clock.now();
    let last = Month::of(today).prev();
    let (m1, m2) = (last.prev().prev(), last.prev());
    let legal: Vec<String> = group.organisations[..4]
        .iter()
        .map(|l| l.legal_name().to_string())
        .collect();
    let name = |k: usize, g: &DemoGroup| g.organisations[k].name().to_string();
    let (aud, gbp, usd, nzd) = (code("AUD"), code("GBP"), code("USD"), code("NZD"));
    let tag = |m: Month| format!("{}{:02}", m.year(), m.month());
    let mut cases = Vec::new();

    // 1. A matching intercompany credit-note pair, tracked on the seller's
    // line.
    let date = m2.first_day() + Duration::days(14);
    at(&clock, date);
    let number = format!("ICCN-{}", tag(m2));
    let amount = units(2_000);
    let tracked = {
        let kea = &group.organisations[0];
        let region = kea
            .get_tracking_categories(false)
            .tracking_categories
            .into_iter()
            .find(|c| c.name.as_deref() == Some("Region"));
        LineItem {
            description: Some("Credit for damaged goods".into()),
            quantity: Some(Decimal::ONE),
            tracking: region.map(|c| {
                vec![LineItemTracking {
                    tracking_category_id: c.tracking_category_id,
                    option: Some("North".into()),
                    ..Default::default()
                }]
            }),
            ..Default::default()
        }
    };
    credit_note(
        &mut group.organisations[0],
        CreditNoteType::AccRecCredit,
        &number,
        &legal[1],
        date,
        aud,
        amount,
        tracked,
        "215",
    );
    credit_note(
        &mut group.organisations[1],
        CreditNoteType::AccPayCredit,
        &number,
        &legal[0],
        date,
        aud,
        amount,
        line("Credit for damaged goods", amount, "486"),
        "486",
    );
    cases.push(Case {
        kind: CaseKind::MatchedCreditNotes,
        from: name(0, group),
        to: name(1, group),
        reference: number,
        currency: aud,
        amount,
        date,
    });

    // 2. A one-sided intercompany credit note: the UK never enters it.
    let date = m2.first_day() + Duration::days(16);
    at(&clock, date);
    let number = format!("ICCN-UK-{}", tag(m2));
    let amount = units(750);
    credit_note(
        &mut group.organisations[0],
        CreditNoteType::AccRecCredit,
        &number,
        &legal[2],
        date,
        gbp,
        amount,
        line("Fee rebate", amount, "215"),
        "215",
    );
    cases.push(Case {
        kind: CaseKind::OneSidedCreditNote,
        from: name(0, group),
        to: name(2, group),
        reference: number,
        currency: gbp,
        amount,
        date,
    });

    // 3. Intercompany spend money: Wattle pays Kea a fee straight from its
    // bank (AUD); Kea receives the NZD equivalent at the day's rate.
    let date = m2.first_day() + Duration::days(19);
    at(&clock, date);
    let reference = format!("IC-SPEND-{}", tag(m2));
    let amount = units(1_200);
    bank_transaction(
        &mut group.organisations[1],
        BankTransactionType::Spend,
        &legal[0],
        &reference,
        date,
        amount,
        "486",
    );
    let received = round2(amount / fx::rate(nzd, aud, date));
    bank_transaction(
        &mut group.organisations[0],
        BankTransactionType::Receive,
        &legal[1],
        &reference,
        date,
        received,
        "215",
    );
    cases.push(Case {
        kind: CaseKind::IntercompanySpendMoney,
        from: name(1, group),
        to: name(0, group),
        reference,
        currency: aud,
        amount,
        date,
    });

    // 4. A sale the buyer books to Inventory.
    let date = m2.first_day() + Duration::days(21);
    at(&clock, date);
    let number = format!("ICINV-{}", tag(m2));
    let amount = units(5_000);
    invoice(
        &mut group.organisations[0],
        InvoiceType::AccRec,
        &number,
        &legal[3],
        date,
        usd,
        amount,
        "200",
    );
    invoice(
        &mut group.organisations[3],
        InvoiceType::AccPay,
        &number,
        &legal[0],
        date,
        usd,
        amount,
        "630",
    );
    cases.push(Case {
        kind: CaseKind::SaleToInventory,
        from: name(0, group),
        to: name(3, group),
        reference: number,
        currency: usd,
        amount,
        date,
    });

    // 5. A foreign intercompany invoice paid in part a month later at that
    // month's rate.
    let date = m1.first_day() + Duration::days(9);
    at(&clock, date);
    let number = format!("ICFX-{}", tag(m1));
    let amount = units(10_000);
    let sale = invoice(
        &mut group.organisations[1],
        InvoiceType::AccRec,
        &number,
        &legal[0],
        date,
        aud,
        amount,
        "215",
    );
    let bill = invoice(
        &mut group.organisations[0],
        InvoiceType::AccPay,
        &number,
        &legal[1],
        date,
        aud,
        amount,
        "486",
    );
    let paid_on = m2.first_day() + Duration::days(11);
    at(&clock, paid_on);
    let part = units(4_000);
    pay(&mut group.organisations[0], &bill, paid_on, part);
    pay(&mut group.organisations[1], &sale, paid_on, part);
    cases.push(Case {
        kind: CaseKind::ForeignPartPayment,
        from: name(1, group),
        to: name(0, group),
        reference: number,
        currency: aud,
        amount,
        date,
    });

    // 6. An entity whose history starts part-way: three months of trading
    // and a monthly management fee from the parent.
    let mut tui = Ledger::new(
        OrgSettings {
            name: PART_WAY_ENTITY.into(),
            legal_name: Some("Tui Ventures Limited".into()),
            base_currency: nzd,
            country_code: "NZ".into(),
            financial_year_end_day: 31,
            financial_year_end_month: 3,
            short_code: None,
            is_demo_company: true,
        },
        clock.clone(),
        0x7E1_0001,
    );
    tui.put_account(
        Account {
            code: Some("486".into()),
            name: Some("Management Fees Paid".into()),
            account_type: Some("OVERHEADS".into()),
            tax_type: Some("NONE".into()),
            ..Default::default()
        },
        &WriteOptions::default(),
    )
    .expect("demo account");
    for m in [m1, m2, last] {
        let date = m.first_day() + Duration::days(4);
        at(&clock, date);
        for (ty, contact, amount, account) in [
            (InvoiceType::AccRec, "Harbour Cafe Limited", 3_400, "200"),
            (InvoiceType::AccRec, "Ridge Builders Limited", 1_250, "200"),
            (
                InvoiceType::AccPay,
                "Packaging Supplies Limited",
                900,
                "310",
            ),
        ] {
            let n = format!("TUI-{}-{amount}", tag(m));
            invoice(&mut tui, ty, &n, contact, date, nzd, units(amount), account);
        }
        let number = format!("MGMT-TUI-{}", tag(m));
        let fee = units(1_500);
        let fee_date = m.last_day();
        at(&clock, fee_date);
        invoice(
            &mut group.organisations[0],
            InvoiceType::AccRec,
            &number,
            "Tui Ventures Limited",
            fee_date,
            nzd,
            fee,
            "215",
        );
        invoice(
            &mut tui,
            InvoiceType::AccPay,
            &number,
            &legal[0],
            fee_date,
            nzd,
            fee,
            "486",
        );
        cases.push(Case {
            kind: CaseKind::PartWayEntity,
            from: name(0, group),
            to: PART_WAY_ENTITY.into(),
            reference: number,
            currency: nzd,
            amount: fee,
            date: fee_date,
        });
    }
    group.organisations.push(tui);
    clock.set(restore);
    cases
}

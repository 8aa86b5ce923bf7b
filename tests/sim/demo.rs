use std::collections::HashMap;
use std::sync::OnceLock;

use chrono::NaiveDate;
use consol::domain::Month;
use consol::sim::demo::{AnomalyKind, DemoGroup, DemoOptions, build_demo};
use consol::sim::reports::{ReportParams, find_row};
use consol::sim::{Ledger, ListQuery};
use consol::xero::num::round2;
use consol::xero::*;
use rust_decimal::Decimal;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

/// Built once and shared by the tests that only read it.
fn demo() -> &'static DemoGroup {
    static DEMO: OnceLock<DemoGroup> = OnceLock::new();
    DEMO.get_or_init(|| build_demo(&DemoOptions::new(42, today())))
}

fn all_invoices(l: &Ledger) -> Vec<Invoice> {
    let mut out = Vec::new();
    for page in 1.. {
        let q = ListQuery {
            page: Some(page),
            page_size: Some(1000),
            ..Default::default()
        };
        let env = l.get_invoices(&q).unwrap();
        let n = env.invoices.len();
        out.extend(env.invoices);
        if n < 1000 {
            break;
        }
    }
    out
}

/// Net profit per month computed straight from the records, independently
/// of the ledger's postings.
fn independent_net_profit(l: &Ledger) -> HashMap<Month, Decimal> {
    let accounts = l.get_accounts(&ListQuery::default()).accounts;
    let kind: HashMap<String, (String, String)> = accounts
        .iter()
        .map(|a| {
            (
                a.code.clone().unwrap(),
                (a.class.clone().unwrap(), a.account_type.clone().unwrap()),
            )
        })
        .collect();
    let is_pl = |code: &str| matches!(kind[code].0.as_str(), "REVENUE" | "EXPENSE");
    let mut np: HashMap<Month, Decimal> = HashMap::new();
    for inv in all_invoices(l) {
        if !matches!(
            inv.status,
            Some(InvoiceStatus::Authorised | InvoiceStatus::Paid)
        ) {
            continue;
        }
        let month = Month::of(inv.date.unwrap().date());
        let rate = inv.currency_rate.unwrap();
        let inclusive = inv.line_amount_types == Some(LineAmountTypes::Inclusive);
        for li in inv.line_items.unwrap() {
            let code = li.account_code.unwrap();
            if !is_pl(&code) {
                continue;
            }
            let mut net = li.line_amount.unwrap();
            if inclusive {
                net -= li.tax_amount.unwrap();
            }
            let base = round2(net / rate);
            let profit = if inv.invoice_type == Some(InvoiceType::AccRec) {
                base
            } else {
                -base
            };
            *np.entry(month).or_default() += profit;
        }
    }
    // Realised currency gains: a payment banks its amount at its own rate
    // and clears the invoice at the invoice's rate; a sale gains what the
    // bank got beyond that, a bill loses what it paid beyond it.
    let invoices: HashMap<_, _> = all_invoices(l)
        .into_iter()
        .map(|i| (i.invoice_id.unwrap(), i))
        .collect();
    let payments = l.get_payments(&ListQuery::default()).unwrap().payments;
    for p in payments {
        let inv = &invoices[&p.invoice.as_ref().unwrap().invoice_id.unwrap()];
        let inv_rate = inv.currency_rate.unwrap();
        let amount = p.amount.unwrap();
        let banked = round2(amount / p.currency_rate.unwrap_or(inv_rate));
        let cleared = round2(amount / inv_rate);
        let side = if inv.invoice_type == Some(InvoiceType::AccRec) {
            Decimal::ONE
        } else {
            -Decimal::ONE
        };
        *np.entry(Month::of(p.date.unwrap().date())).or_default() += side * (banked - cleared);
    }
    // Credit notes undo a sale (ACCRECCREDIT) or a bill (ACCPAYCREDIT);
    // spend and receive money hit P&L accounts directly.
    let all = ListQuery::default();
    for cn in l.get_credit_notes(&all).unwrap().credit_notes {
        if !matches!(
            cn.status,
            Some(InvoiceStatus::Authorised | InvoiceStatus::Paid)
        ) {
            continue;
        }
        let rate = cn.currency_rate.unwrap_or(Decimal::ONE);
        let side = if cn.credit_note_type == Some(CreditNoteType::AccRecCredit) {
            -Decimal::ONE
        } else {
            Decimal::ONE
        };
        for li in cn.line_items.unwrap() {
            if is_pl(li.account_code.as_deref().unwrap()) {
                *np.entry(Month::of(cn.date.unwrap().date())).or_default() +=
                    side * round2(li.line_amount.unwrap() / rate);
            }
        }
    }
    for bt in l.get_bank_transactions(&all).unwrap().bank_transactions {
        let side = if bt.bank_transaction_type == Some(BankTransactionType::Receive) {
            Decimal::ONE
        } else {
            -Decimal::ONE
        };
        let rate = bt.currency_rate.unwrap_or(Decimal::ONE);
        for li in bt.line_items.unwrap() {
            if is_pl(li.account_code.as_deref().unwrap()) {
                *np.entry(Month::of(bt.date.unwrap().date())).or_default() +=
                    side * round2(li.line_amount.unwrap() / rate);
            }
        }
    }
    let journals = l
        .get_manual_journals(&ListQuery::default())
        .unwrap()
        .manual_journals;
    for j in journals {
        if j.status != Some(ManualJournalStatus::Posted) {
            continue;
        }
        let month = Month::of(j.date.unwrap().date());
        for line in j.journal_lines.unwrap() {
            if is_pl(line.account_code.as_deref().unwrap()) {
                *np.entry(month).or_default() -= line.line_amount.unwrap();
            }
        }
    }
    np
}

fn pl(l: &Ledger, from: NaiveDate, to: NaiveDate, periods: Option<u32>) -> Report {
    let p = ReportParams {
        from_date: Some(from),
        to_date: Some(to),
        periods,
        ..Default::default()
    };
    l.profit_and_loss(&p).unwrap().reports.remove(0)
}

#[test]
fn demo_group_checks() {
    let g = demo();
    // The four of the group, then the real-life cases' part-way entity.
    assert_eq!(g.organisations.len(), 5);
    let names: Vec<&str> = g.organisations.iter().map(|l| l.legal_name()).collect();
    assert_eq!(
        names,
        [
            "Kea Holdings Limited",
            "Wattle Trading Pty Ltd",
            "Thistle & Co Ltd",
            "Redwood Supply Inc.",
            "Tui Ventures Limited"
        ]
    );
    assert_eq!(g.cases.len(), 8, "five one-off cases and three Tui fees");
    let last = Month::of(today()).prev();
    let first = last.plus(-23);
    for (k, l) in g.organisations.iter().enumerate() {
        // Tui trades only in the last three months.
        let (start, invoices) = if k == 4 {
            (last.plus(-2), 3 * 4..3 * 4 + 1)
        } else {
            (first, 2000..5000)
        };
        assert!(
            invoices.contains(&l.invoice_count()),
            "{}",
            l.invoice_count()
        );
        let np = independent_net_profit(l);
        for m in 0..24 {
            let month = first.plus(m);
            let r = pl(l, month.first_day(), month.last_day(), None);
            let got = find_row(&r, "Net Profit").unwrap()[0];
            let want = np.get(&month).copied().unwrap_or_default();
            assert_eq!(got, round2(want), "{} {month}", l.name());
            assert_eq!(want.is_zero(), month < start, "{} {month}", l.name());
        }
        // Nothing outside the history.
        assert!(np.keys().all(|m| *m >= first && *m <= last));
        // The trial balance balances at several dates.
        for d in [
            "2024-12-31",
            "2025-03-15",
            "2025-06-30",
            "2026-02-28",
            "2026-10-31",
            "2026-11-25",
        ] {
            let p = ReportParams {
                date: Some(d.parse().unwrap()),
                ..Default::default()
            };
            let tb = l.trial_balance(&p).unwrap().reports.remove(0);
            let t = find_row(&tb, "Total").unwrap();
            assert_eq!(t[0], t[1], "{} {d} month", l.name());
            assert_eq!(t[2], t[3], "{} {d} ytd", l.name());
            let day: NaiveDate = d.parse().unwrap();
            assert_eq!(
                t[2] > Decimal::ZERO,
                day >= start.first_day(),
                "{}",
                l.name()
            );
            let bs = l.balance_sheet(&p).unwrap().reports.remove(0);
            let na = find_row(&bs, "Net Assets").unwrap()[0];
            let eq = find_row(&bs, "Total Equity").unwrap()[0];
            assert_eq!(na, eq, "{} {d} balance sheet", l.name());
        }
    }
}

#[test]
fn intercompany_anomalies_exist() {
    let g = demo();
    assert_eq!(g.anomalies.len(), 2);
    let by_legal = |n: &str| {
        g.organisations
            .iter()
            .find(|l| l.legal_name() == n)
            .unwrap()
    };
    for a in &g.anomalies {
        let seller = by_legal(&a.seller);
        let buyer = by_legal(&a.buyer);
        let sale = seller
            .get_invoice(&a.invoice_number)
            .unwrap()
            .invoices
            .remove(0);
        assert_eq!(sale.invoice_type, Some(InvoiceType::AccRec));
        assert_eq!(sale.total, Some(a.seller_total));
        assert_eq!(
            sale.contact.unwrap().name.as_deref(),
            Some(a.buyer.as_str())
        );
        let q = ListQuery::from_params(
            &[(
                "where".into(),
                format!(
                    "Type==\"ACCPAY\" AND InvoiceNumber==\"{}\"",
                    a.invoice_number
                ),
            )],
            None,
        )
        .unwrap();
        let bills = buyer.get_invoices(&q).unwrap().invoices;
        match a.kind {
            AnomalyKind::MissingBill => assert!(bills.is_empty()),
            AnomalyKind::AmountMismatch => {
                assert_eq!(bills.len(), 1);
                assert_eq!(bills[0].total, a.buyer_total);
                assert_ne!(bills[0].total, Some(a.seller_total));
                assert_eq!(
                    bills[0].contact.as_ref().unwrap().name.as_deref(),
                    Some(a.seller.as_str())
                );
            }
        }
    }
    // Every other intercompany sale has its matching bill at the same amount.
    let nz = &g.organisations[0];
    let q = ListQuery::from_params(
        &[("where".into(), r#"InvoiceNumber.StartsWith("MF-")"#.into())],
        None,
    )
    .unwrap();
    let fees = nz.get_invoices(&q).unwrap().invoices;
    assert_eq!(fees.len(), 72);
    let mut matched = 0;
    for f in &fees {
        let buyer = by_legal(f.contact.as_ref().unwrap().name.as_deref().unwrap());
        let q = ListQuery {
            invoice_numbers: vec![f.invoice_number.clone().unwrap()],
            ..Default::default()
        };
        let bills = buyer.get_invoices(&q).unwrap().invoices;
        if bills.len() == 1
            && bills[0].total == f.total
            && bills[0].currency_code == f.currency_code
        {
            matched += 1;
        }
    }
    assert_eq!(matched, 70);
}

#[test]
fn same_seed_same_data_and_different_seed_differs() {
    let a = demo();
    let b = build_demo(&DemoOptions::new(42, today()));
    for (x, y) in a.organisations.iter().zip(&b.organisations) {
        assert_eq!(x.tenant_id(), y.tenant_id());
        assert_eq!(all_invoices(x), all_invoices(y));
        let (cx, cy) = (
            x.get_contacts(&ListQuery::default()).unwrap().contacts,
            y.get_contacts(&ListQuery::default()).unwrap().contacts,
        );
        assert_eq!(cx, cy);
        assert_eq!(
            x.get_manual_journals(&ListQuery::default())
                .unwrap()
                .manual_journals,
            y.get_manual_journals(&ListQuery::default())
                .unwrap()
                .manual_journals
        );
    }
    assert_eq!(a.anomalies, b.anomalies);
    let c = build_demo(&DemoOptions::new(43, today()));
    assert_ne!(
        all_invoices(&a.organisations[1]),
        all_invoices(&c.organisations[1])
    );
}

#[test]
fn periods_repeat_the_range_and_cut_earlier_months_short() {
    let g = demo();
    let l = &g.organisations[1];
    // A 30-day month (June 2026) with two earlier periods: May is 1 to 30 May.
    let r = pl(
        l,
        "2026-06-01".parse().unwrap(),
        "2026-06-30".parse().unwrap(),
        Some(2),
    );
    let header = &r.rows[0].cells.as_ref().unwrap();
    let labels: Vec<&str> = header.iter().map(|c| c.value.as_str()).collect();
    assert_eq!(labels, ["", "30 Jun 26", "30 May 26", "30 Apr 26"]);
    let cut = find_row(&r, "Net Profit").unwrap();
    let may_full = find_row(
        &pl(
            l,
            "2026-05-01".parse().unwrap(),
            "2026-05-31".parse().unwrap(),
            None,
        ),
        "Net Profit",
    )
    .unwrap()[0];
    let may_cut = find_row(
        &pl(
            l,
            "2026-05-01".parse().unwrap(),
            "2026-05-30".parse().unwrap(),
            None,
        ),
        "Net Profit",
    )
    .unwrap()[0];
    assert_eq!(cut[1], may_cut);
    // The demo books payroll and intercompany on the last day, so the cut
    // month really differs.
    assert_ne!(may_cut, may_full);
    // A 31-day month gives whole earlier months (February is cut to its length).
    let r = pl(
        l,
        "2026-03-01".parse().unwrap(),
        "2026-03-31".parse().unwrap(),
        Some(2),
    );
    let np = find_row(&r, "Net Profit").unwrap();
    let feb = find_row(
        &pl(
            l,
            "2026-02-01".parse().unwrap(),
            "2026-02-28".parse().unwrap(),
            None,
        ),
        "Net Profit",
    )
    .unwrap()[0];
    let jan = find_row(
        &pl(
            l,
            "2026-01-01".parse().unwrap(),
            "2026-01-31".parse().unwrap(),
            None,
        ),
        "Net Profit",
    )
    .unwrap()[0];
    assert_eq!(np[1], feb);
    assert_eq!(np[2], jan);
    // Quarter and year timeframes step by 3 and 12 months.
    let p = ReportParams {
        from_date: Some("2026-01-01".parse().unwrap()),
        to_date: Some("2026-03-31".parse().unwrap()),
        periods: Some(1),
        timeframe: Some(consol::sim::reports::Timeframe::Quarter),
        ..Default::default()
    };
    let q = l.profit_and_loss(&p).unwrap().reports.remove(0);
    let q4 = find_row(
        &pl(
            l,
            "2025-10-01".parse().unwrap(),
            "2025-12-31".parse().unwrap(),
            None,
        ),
        "Net Profit",
    )
    .unwrap()[0];
    assert_eq!(find_row(&q, "Net Profit").unwrap()[1], q4);
    // periods out of range is a 400.
    let bad = ReportParams {
        periods: Some(12),
        ..p
    };
    assert_eq!(l.profit_and_loss(&bad).unwrap_err().status(), 400);
}

#[test]
fn report_shape_matches_xero() {
    let g = demo();
    let l = &g.organisations[0];
    let r = pl(
        l,
        "2026-03-01".parse().unwrap(),
        "2026-03-31".parse().unwrap(),
        None,
    );
    assert_eq!(r.report_id.as_deref(), Some("ProfitAndLoss"));
    assert_eq!(
        r.report_titles.as_ref().unwrap()[2],
        "1 March 2026 to 31 March 2026"
    );
    let titles: Vec<Option<&str>> = r.rows.iter().map(|x| x.title.as_deref()).collect();
    assert_eq!(
        titles,
        [
            None,
            Some("Income"),
            Some("Less Cost of Sales"),
            Some(""),
            Some("Less Operating Expenses"),
            Some("")
        ]
    );
    let net = r.rows.last().unwrap().rows.as_ref().unwrap();
    assert_eq!(net[0].row_type, RowType::Row);
    assert_eq!(net[0].cells.as_ref().unwrap()[0].value, "Net Profit");
    let income = r.rows[1].rows.as_ref().unwrap();
    let first = &income[0].cells.as_ref().unwrap()[1];
    let attr = &first.attributes.as_ref().unwrap()[0];
    assert_eq!(attr.id, "account");
    assert!(
        l.accounts()
            .iter()
            .any(|a| a.account_id.unwrap().to_string() == attr.value)
    );
    assert_eq!(income.last().unwrap().row_type, RowType::SummaryRow);
    // Serialises as Xero does: cell values are strings with two places.
    let json = serde_json::to_string(&r).unwrap();
    assert!(json.contains(r#""RowType":"SummaryRow""#));
    assert!(json.contains(r#""Title":"Income""#));
}

#[test]
fn scale_grows_only_the_parent() {
    let base = demo();
    let big = build_demo(&DemoOptions {
        scale: 3,
        ..DemoOptions::new(42, today())
    });
    let (a, b) = (
        base.organisations[0].invoice_count(),
        big.organisations[0].invoice_count(),
    );
    assert!(b > a * 5 / 2, "{a} -> {b}");
    for k in 1..4 {
        assert_eq!(
            base.organisations[k].invoice_count(),
            big.organisations[k].invoice_count()
        );
    }
    assert_eq!(big.anomalies.len(), 2);
}

#[test]
fn copies_repeat_the_group_with_their_own_names_and_data() {
    let base = demo();
    let two = build_demo(&DemoOptions {
        copies: 2,
        ..DemoOptions::new(42, today())
    });
    // Two groups of four, then the first copy's part-way entity.
    assert_eq!(two.organisations.len(), 9);
    // The first copy is the demo group itself.
    for k in 0..4 {
        assert_eq!(two.organisations[k].name(), base.organisations[k].name());
        assert_eq!(
            two.organisations[k].invoice_count(),
            base.organisations[k].invoice_count()
        );
    }
    let names: Vec<&str> = two.organisations[4..8].iter().map(|l| l.name()).collect();
    assert_eq!(
        names,
        [
            "Kea Holdings 2",
            "Wattle Trading 2",
            "Thistle & Co 2",
            "Redwood Supply 2"
        ]
    );
    assert_eq!(two.organisations[7].legal_name(), "Redwood Supply 2 Inc.");
    let mut tenants: Vec<_> = two.organisations.iter().map(|l| l.tenant_id()).collect();
    tenants.sort();
    tenants.dedup();
    assert_eq!(tenants.len(), 9, "every organisation is its own tenant");
    // The second copy trades with its own siblings, on its own seed.
    assert_eq!(two.anomalies.len(), 4);
    assert!(
        two.anomalies[2..]
            .iter()
            .all(|a| a.seller.contains(" 2 ") && a.buyer.contains(" 2 "))
    );
    // The same shape (volumes follow the specification) with other data.
    // (The first copy's Kea also has the real-life cases' five invoices:
    // the inventory sale, the foreign bill and three fees to Tui.)
    assert_eq!(
        two.organisations[0].invoice_count(),
        two.organisations[4].invoice_count() + 5
    );
    assert_ne!(two.anomalies[0].seller_total, two.anomalies[2].seller_total);
    assert_ne!(two.anomalies[1].seller_total, two.anomalies[3].seller_total);
}

/// About 100,000 invoices in Kea Holdings (about 12 s in a debug build).
#[test]
fn one_hundred_thousand_invoices() {
    let g = build_demo(&DemoOptions {
        scale: 41,
        ..DemoOptions::new(42, today())
    });
    let nz = &g.organisations[0];
    assert!(nz.invoice_count() >= 100_000, "{}", nz.invoice_count());
    let q = ListQuery {
        page: Some(100),
        page_size: Some(1000),
        ..Default::default()
    };
    let env = nz.get_invoices(&q).unwrap();
    assert_eq!(env.invoices.len(), 1000);
    assert!(env.pagination.unwrap().item_count >= 100_000);
    // Unpaged requests over 100,000 matches are refused, as Xero does.
    assert_eq!(
        nz.get_invoices(&ListQuery::default()).unwrap_err().status(),
        400
    );
    let p = ReportParams {
        date: Some("2026-10-31".parse().unwrap()),
        ..Default::default()
    };
    let tb = nz.trial_balance(&p).unwrap().reports.remove(0);
    let t = find_row(&tb, "Total").unwrap();
    assert_eq!(t[2], t[3]);
}

#[test]
fn ledgers_can_be_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Ledger>();
    assert_send_sync::<consol::sim::SimClock>();
}

#[test]
fn profit_and_loss_by_tracking_option_adds_up() {
    let g = demo();
    let l = &g.organisations[2];
    let cats = l.get_tracking_categories(false).tracking_categories;
    let region = &cats[0];
    assert_eq!(region.name.as_deref(), Some("Region"));
    let (from, to) = ("2026-01-01".parse().unwrap(), "2026-01-31".parse().unwrap());
    let mut sum = Decimal::ZERO;
    for opt in region.options.as_ref().unwrap() {
        let p = ReportParams {
            from_date: Some(from),
            to_date: Some(to),
            tracking_category_id: region.tracking_category_id,
            tracking_option_id: opt.tracking_option_id,
            ..Default::default()
        };
        let r = l.profit_and_loss(&p).unwrap().reports.remove(0);
        let income = find_row(&r, "Total Income").unwrap()[0];
        assert!(income > Decimal::ZERO);
        sum += income;
    }
    // Only sales lines are tagged, and every sales line is.
    let all = pl(l, from, to, None);
    let sales = find_row(&all, "Sales").unwrap()[0] + find_row(&all, "Other Revenue").unwrap()[0];
    assert_eq!(sum, sales);
    // Stored lines carry both ids and both names.
    let inv = all_invoices(l)
        .into_iter()
        .find(|i| {
            i.invoice_type == Some(InvoiceType::AccRec)
                && i.reference.as_deref().unwrap_or("").starts_with("PO")
        })
        .unwrap();
    let t = &inv.line_items.unwrap()[0].tracking.clone().unwrap()[0];
    assert!(t.tracking_option_id.is_some() && t.tracking_category_id.is_some());
    assert_eq!(t.name.as_deref(), Some("Region"));
}

/// The real-life cases (not yet part of the demo) on a six-month group:
/// every book still balances, each case is where it should be, and the
/// figures are recomputed here from the simulator's published rates.
#[test]
fn real_life_cases_keep_every_book_balanced() {
    use consol::sim::demo_cases::{CaseKind, PART_WAY_ENTITY, add_real_life_cases};
    use consol::sim::fx;
    let today = today();
    let mut opts = DemoOptions::new(7, today);
    opts.months = 6;
    opts.real_life_cases = false;
    let mut g = build_demo(&opts);
    let cases = add_real_life_cases(&mut g, today);
    assert_eq!(g.organisations.len(), 5);
    let last = Month::of(today).prev();
    let (m1, m2) = (last.prev().prev(), last.prev());
    let d = |s: &str| -> Decimal { s.parse().unwrap() };
    let report = |l: &Ledger, date: NaiveDate| {
        let p = ReportParams {
            date: Some(date),
            ..Default::default()
        };
        l.balance_sheet(&p).unwrap().reports.remove(0)
    };
    let pl = |l: &Ledger, m: Month| {
        let p = ReportParams {
            from_date: Some(m.first_day()),
            to_date: Some(m.last_day()),
            ..Default::default()
        };
        l.profit_and_loss(&p).unwrap().reports.remove(0)
    };
    for l in &g.organisations {
        for m in [m1.prev(), m1, m2, last] {
            let bs = report(l, m.last_day());
            let net = find_row(&bs, "Net Assets").unwrap()[0];
            let eq = find_row(&bs, "Total Equity").unwrap()[0];
            assert_eq!(net, eq, "{} at {}", l.name(), m.last_day());
        }
    }
    let (kea, wattle, uk, us, tui) = (
        &g.organisations[0],
        &g.organisations[1],
        &g.organisations[2],
        &g.organisations[3],
        &g.organisations[4],
    );
    let all = ListQuery::default();
    let cns = |l: &Ledger| l.get_credit_notes(&all).unwrap().credit_notes;

    // The matching pair: one number, one amount, both sides.
    let pair = cases
        .iter()
        .find(|c| c.kind == CaseKind::MatchedCreditNotes)
        .unwrap();
    let seller: Vec<_> = cns(kea)
        .into_iter()
        .filter(|c| c.credit_note_number.as_deref() == Some(pair.reference.as_str()))
        .collect();
    let buyer: Vec<_> = cns(wattle)
        .into_iter()
        .filter(|c| c.credit_note_number.as_deref() == Some(pair.reference.as_str()))
        .collect();
    assert_eq!(seller.len(), 1);
    assert_eq!(buyer.len(), 1);
    assert_eq!(seller[0].total, Some(d("2000.00")));
    assert_eq!(buyer[0].total, seller[0].total);
    assert_eq!(
        buyer[0].credit_note_type,
        Some(CreditNoteType::AccPayCredit)
    );
    let tracked = &seller[0].line_items.as_ref().unwrap()[0].tracking;
    assert_eq!(
        tracked.as_ref().unwrap()[0].option.as_deref(),
        Some("North")
    );
    // The one-sided credit note: only the seller has it.
    let one = cases
        .iter()
        .find(|c| c.kind == CaseKind::OneSidedCreditNote)
        .unwrap();
    assert!(
        cns(kea)
            .iter()
            .any(|c| c.credit_note_number.as_deref() == Some(one.reference.as_str()))
    );
    assert!(cns(uk).is_empty());

    // Spend money: AUD 1,200 out of Wattle, its NZD value into Kea.
    let spend = cases
        .iter()
        .find(|c| c.kind == CaseKind::IntercompanySpendMoney)
        .unwrap();
    let bts = |l: &Ledger| l.get_bank_transactions(&all).unwrap().bank_transactions;
    let out = bts(wattle);
    assert_eq!(out.len(), 1);
    assert_eq!(
        out[0].bank_transaction_type,
        Some(BankTransactionType::Spend)
    );
    assert_eq!(out[0].total, Some(d("1200.00")));
    let nzd = consol::domain::CurrencyCode::parse("NZD").unwrap();
    let aud = consol::domain::CurrencyCode::parse("AUD").unwrap();
    let inn = bts(kea);
    assert_eq!(inn[0].reference, out[0].reference);
    assert_eq!(
        inn[0].total,
        Some(round2(d("1200") / fx::rate(nzd, aud, spend.date)))
    );

    // The sale to inventory: the US books USD 5,000 as Inventory.
    let bs = report(us, m2.last_day());
    assert_eq!(find_row(&bs, "Inventory").unwrap()[0], d("5000.00"));

    // The part payment: AUD 4,000 of the AUD 10,000 bill, in the next month
    // at that month's rate; Kea realises the difference.
    let fxp = cases
        .iter()
        .find(|c| c.kind == CaseKind::ForeignPartPayment)
        .unwrap();
    let bill = all_invoices(kea)
        .into_iter()
        .find(|i| {
            i.invoice_number.as_deref() == Some(fxp.reference.as_str())
                && i.invoice_type == Some(InvoiceType::AccPay)
        })
        .unwrap();
    let bill = kea
        .get_invoice(&bill.invoice_id.unwrap().to_string())
        .unwrap()
        .invoices
        .remove(0);
    assert_eq!(bill.amount_due, Some(d("6000.00")));
    let paid = &bill.payments.as_ref().unwrap()[0];
    let paid_on = paid.date.unwrap().date();
    assert_eq!(Month::of(paid_on), m2);
    let (r1, r2) = (fx::rate(nzd, aud, fxp.date), fx::rate(nzd, aud, paid_on));
    let loss = round2(d("4000") / r2) - round2(d("4000") / r1);
    let row = find_row(&pl(kea, m2), "Foreign Currency Gains and Losses");
    if loss.is_zero() {
        assert!(row.is_none());
    } else {
        assert_eq!(row.unwrap()[0], loss);
    }

    // The part-way entity: nothing before its first month, trading after.
    assert_eq!(tui.name(), PART_WAY_ENTITY);
    assert_eq!(
        find_row(&pl(tui, m1.prev()), "Net Profit").unwrap()[0],
        Decimal::ZERO
    );
    // Sales 4,650 - cost 900 - fee 1,500 in each of its months.
    for m in [m1, m2, last] {
        assert_eq!(
            find_row(&pl(tui, m), "Net Profit").unwrap()[0],
            d("2250.00")
        );
    }
}

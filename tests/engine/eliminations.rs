//! Rules 3 and 4 on eliminations: rounding as source amounts are, credit
//! notes and spend/receive money, and intercompany purchases put on the
//! balance sheet.

use crate::common::*;
use consol::engine::*;

fn march() -> consol::domain::MonthRange {
    range("2026-03", "2026-03")
}

/// T (AUD) sells three services of AUD 10.00 each to H (NZD) in March
/// 2026 at an average rate of 1.0815: T's Sales holds only these lines.
fn three_small_sales() -> GroupData {
    let mut g = worked_example();
    g.entity_accounts
        .push(account(2, "t-200", "200", "Sales", AccountClass::Revenue));
    g.mappings.push(mapping(2, "t-200", 10));
    g.rates = vec![rate("AUD", "2026-03", "1.0815")];
    g.invoices.retain(|i| i.entity == EntityId(1)); // keep H's sale only
    g.invoices.push(invoice(
        2,
        InvoiceType::Accrec,
        "inv-t-1",
        "T-1",
        "c-h",
        "2026-03-20",
        "AUD",
        None,
        vec![
            line("a", "200", "10.00", "0"),
            line("b", "200", "10.00", "0"),
            line("c", "200", "10.00", "0"),
        ],
    ));
    g.pnl.push(pnl(2, "t-200", "2026-03", "30.00"));
    g
}

#[test]
fn an_account_of_intercompany_lines_only_consolidates_to_exactly_zero() {
    let g = three_small_sales();
    let c = consolidate(&g, march()).unwrap();
    let r = &c.report;
    // Source: 30.00 x 1.0815 = 32.445, rounded once to 32.45. Rounding each
    // line (10.815 -> 10.82) would eliminate 32.46 and leave -0.01.
    let p = c.provenance.cell("group:10", "entity:2").unwrap();
    assert_eq!(p.total().to_string(), "32.45");
    let p = c.provenance.cell("group:10", "eliminations").unwrap();
    // H's line and T's three.
    let t: Vec<_> = p
        .elimination_sums
        .iter()
        .filter(|s| s.entity == EntityId(2))
        .collect();
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].base_amount.to_string(), "-30.00");
    assert_eq!(t[0].translated.to_string(), "-32.45");
    let lines: Vec<_> = p
        .eliminations
        .iter()
        .filter(|e| e.entity == EntityId(2))
        .collect();
    assert_eq!(lines.len(), 3);
    assert!(lines.iter().all(|l| l.base_amount.to_string() == "10.00"));
    let shares: rust_decimal::Decimal = lines.iter().map(|l| l.cell_amount).sum();
    assert_eq!(shares.to_string(), "-32.45");
    // H's 1,111.11 and T's 32.45, both eliminated to the cent.
    assert_eq!(cell(r, "group:10", "eliminations"), "-1143.56");
    assert_eq!(cell(r, "group:10", "consolidated"), "0.00");
    assert_eq!(p.total().to_string(), "-1143.56");
}

#[test]
fn a_foreign_line_is_eliminated_at_its_posted_base_amount() {
    // H's AUD 1,000.00 at 0.90 is posted as NZD 1,111.11; the elimination
    // removes exactly that, so H's Sales consolidates to 0.00.
    let mut g = worked_example();
    g.invoices[0].lines = vec![
        line("l1", "200", "500.00", "0"),
        line("l1b", "200", "500.00", "0"),
    ];
    // Two lines of 555.555... each post as 555.56: H's Sales is 1,111.12.
    g.pnl[0].amount = d("1111.12");
    g.net_profits[0].amount = d("1111.12");
    let r = consolidate(&g, march()).unwrap().report;
    assert_eq!(cell(&r, "group:10", "entity:1"), "1111.12");
    assert_eq!(cell(&r, "group:10", "eliminations"), "-1111.12");
    assert_eq!(cell(&r, "group:10", "consolidated"), "0.00");
}

/// H's sales credit note CN-7 to T for AUD 200.00 against its sale, and
/// T's purchases credit note from H with the same number.
fn with_credit_notes(g: &mut GroupData, buyer_number: &str) {
    g.invoices.push(invoice(
        1,
        InvoiceType::Accreccredit,
        "cn-h-7",
        "CN-7",
        "c-t",
        "2026-03-15",
        "AUD",
        Some("0.90"),
        vec![line("c1", "200", "200.00", "0")],
    ));
    g.invoices.push(invoice(
        2,
        InvoiceType::Accpaycredit,
        "cn-t-7",
        buyer_number,
        "c-h",
        "2026-03-16",
        "AUD",
        None,
        vec![line("c2", "400", "200.00", "0")],
    ));
    // Xero's P&L after the credit notes: H's Sales 1,111.11 - 222.22,
    // T's Consulting 1,000.00 - 200.00.
    g.pnl = vec![
        pnl(1, "h-200", "2026-03", "888.89"),
        pnl(2, "t-400", "2026-03", "800.00"),
    ];
    g.net_profits[0].amount = d("888.89");
    g.net_profits[1].amount = d("-800.00");
}

#[test]
fn credit_notes_are_eliminated_with_the_opposite_sign() {
    let mut g = worked_example();
    with_credit_notes(&mut g, "CN-7");
    let r = consolidate(&g, march()).unwrap().report;
    // Sales: -1,111.11 for the invoice, +222.22 for the credit note.
    assert_eq!(cell(&r, "group:10", "eliminations"), "-888.89");
    // Consulting (a cost): -1,080.00 for the bill, +216.00 (200 x 1.08)
    // for the purchases credit note.
    assert_eq!(cell(&r, "group:20", "eliminations"), "-864.00");
    assert_eq!(cell(&r, "group:10", "consolidated"), "0.00");
    assert_eq!(cell(&r, "group:20", "consolidated"), "0.00");
    assert_eq!(
        r.net_profit.get("eliminations").unwrap().to_string(),
        "-24.89"
    );
}

#[test]
fn credit_notes_pair_by_number_else_by_amount_and_date() {
    let mut g = worked_example();
    with_credit_notes(&mut g, "cn-7 ");
    let rec = reconcile_intercompany(&g, march()).unwrap();
    let cn: Vec<_> = rec
        .pairs
        .iter()
        .filter(|p| p.kind == DocumentKind::CreditNote)
        .collect();
    assert_eq!(cn.len(), 1);
    assert_eq!(cn[0].status, MatchStatus::Matched);
    assert_eq!(cn[0].matched_by, Some(MatchedBy::InvoiceNumber));
    assert_eq!(cn[0].seller_invoice.as_ref().unwrap().invoice_id, "cn-h-7");
    assert_eq!(cn[0].buyer_bill.as_ref().unwrap().invoice_id, "cn-t-7");
    // The credit note reverses part of the sale: +222.22 and -216.00.
    assert_eq!(cn[0].net_effect.unwrap().to_string(), "6.22");
    // The invoice pair is still there, of its own kind.
    assert!(
        rec.pairs
            .iter()
            .any(|p| p.kind == DocumentKind::Invoice && p.status == MatchStatus::Matched)
    );

    // Another number: paired by currency, total and date.
    let mut g = worked_example();
    with_credit_notes(&mut g, "T-CREDIT-1");
    let rec = reconcile_intercompany(&g, march()).unwrap();
    let cn = rec
        .pairs
        .iter()
        .find(|p| p.kind == DocumentKind::CreditNote)
        .unwrap();
    assert_eq!(cn.matched_by, Some(MatchedBy::AmountAndDate));
    // A credit note never pairs with an invoice.
    assert_eq!(rec.pairs.len(), 2);
}

#[test]
fn a_one_sided_credit_note_is_eliminated_and_shows_in_the_reconciliation() {
    let mut g = worked_example();
    with_credit_notes(&mut g, "CN-7");
    g.invoices.retain(|i| i.invoice_id != "cn-t-7");
    g.pnl[1].amount = d("1000.00");
    let r = consolidate(&g, march()).unwrap().report;
    assert_eq!(cell(&r, "group:10", "eliminations"), "-888.89");
    assert_eq!(cell(&r, "group:20", "eliminations"), "-1080.00");
    let rec = reconcile_intercompany(&g, march()).unwrap();
    let cn = rec
        .pairs
        .iter()
        .find(|p| p.kind == DocumentKind::CreditNote)
        .unwrap();
    assert_eq!(cn.status, MatchStatus::CounterpartMissing);
    assert_eq!(cn.seller, EntityId(1));
    assert_eq!(cn.buyer, EntityId(2));
    assert!(cn.buyer_bill.is_none());
    assert_eq!(cn.net_effect.unwrap().to_string(), "222.22");
}

#[test]
fn spend_and_receive_money_are_eliminated_and_paired() {
    let mut g = worked_example();
    // T pays H AUD 50.00 for a service by spend money; H receives it.
    g.invoices.push(invoice(
        2,
        InvoiceType::Spend,
        "bt-t-1",
        "",
        "c-h",
        "2026-03-20",
        "AUD",
        None,
        vec![line("s1", "400", "50.00", "0")],
    ));
    g.invoices.push(invoice(
        1,
        InvoiceType::Receive,
        "bt-h-1",
        "",
        "c-t",
        "2026-03-21",
        "AUD",
        Some("0.90"),
        vec![line("r1", "200", "50.00", "0")],
    ));
    // A deleted bank transaction posts nothing.
    let mut deleted = g.invoices[2].clone();
    deleted.invoice_id = "bt-t-2".into();
    deleted.status = InvoiceStatus::Deleted;
    g.invoices.push(deleted);
    let r = consolidate(&g, march()).unwrap().report;
    // Sales: -1,111.11 - 55.56 (50 / 0.90); Consulting: -1,080.00 - 54.00.
    assert_eq!(cell(&r, "group:10", "eliminations"), "-1166.67");
    assert_eq!(cell(&r, "group:20", "eliminations"), "-1134.00");
    let rec = reconcile_intercompany(&g, march()).unwrap();
    let bt: Vec<_> = rec
        .pairs
        .iter()
        .filter(|p| p.kind == DocumentKind::BankTransaction)
        .collect();
    assert_eq!(bt.len(), 1);
    assert_eq!(bt[0].status, MatchStatus::Matched);
    assert_eq!(bt[0].seller, EntityId(1));
    assert_eq!(bt[0].seller_invoice.as_ref().unwrap().invoice_id, "bt-h-1");
    assert_eq!(bt[0].buyer_bill.as_ref().unwrap().invoice_id, "bt-t-1");
}

/// T books H's sale to stock (a balance-sheet account) instead of costs.
fn bought_into_stock(g: &mut GroupData) {
    g.entity_accounts
        .push(account(2, "t-630", "630", "Inventory", AccountClass::Asset));
    g.invoices[1].lines = vec![line("l2", "630", "1000.00", "0")];
    g.pnl.retain(|p| p.entity != EntityId(2));
    g.net_profits[1].amount = d("0.00");
}

#[test]
fn a_sale_the_buyer_puts_on_the_balance_sheet_is_never_half_eliminated() {
    let mut g = worked_example();
    bought_into_stock(&mut g);
    let c = consolidate(&g, march()).unwrap();
    let r = &c.report;
    // H's revenue is eliminated, and held on the unrealised profit line:
    // group profit keeps what the entities reported.
    assert_eq!(cell(r, "group:10", "eliminations"), "-1111.11");
    assert_eq!(
        cell(r, "unrealised_intercompany_profit", "eliminations"),
        "1111.11"
    );
    let line = r.line("unrealised_intercompany_profit").unwrap();
    assert_eq!(line.account_name, "Unrealised intercompany profit");
    assert_eq!(line.section, Section::Income);
    assert_eq!(
        r.net_profit.get("eliminations").unwrap().to_string(),
        "0.00"
    );
    assert_eq!(
        r.net_profit.get("consolidated").unwrap().to_string(),
        "1111.11"
    );
    assert!(r.warnings.iter().any(|w| matches!(
        w,
        Warning::UnrealisedIntercompanyProfit { entity: EntityId(1), buyer: EntityId(2), invoice_id, bill_id, amount, .. }
            if invoice_id == "inv-h-42" && bill_id == "bill-t-42" && amount.to_string() == "1111.11"
    )));
    // The held amount opens to the seller's line.
    let p = c
        .provenance
        .cell("unrealised_intercompany_profit", "eliminations")
        .unwrap();
    assert_eq!(p.eliminations.len(), 1);
    assert_eq!(p.eliminations[0].invoice_id, "inv-h-42");
    assert_eq!(p.total().to_string(), "1111.11");
}

#[test]
fn a_purchase_partly_on_the_balance_sheet_holds_its_share() {
    let mut g = worked_example();
    bought_into_stock(&mut g);
    g.invoices[1].lines = vec![
        line("l2", "630", "600.00", "0"),
        line("l3", "400", "400.00", "0"),
    ];
    g.pnl.push(pnl(2, "t-400", "2026-03", "400.00"));
    g.net_profits[1].amount = d("-400.00");
    let r = consolidate(&g, march()).unwrap().report;
    assert_eq!(cell(&r, "group:10", "eliminations"), "-1111.11");
    // 60% of 1,111.11 = 666.666 -> 666.67 held.
    assert_eq!(
        cell(&r, "unrealised_intercompany_profit", "eliminations"),
        "666.67"
    );
    assert_eq!(cell(&r, "group:20", "eliminations"), "-432.00");
    // -1,111.11 + 666.67 + 432.00
    assert_eq!(
        r.net_profit.get("eliminations").unwrap().to_string(),
        "-12.44"
    );
}

#[test]
fn a_bill_to_the_balance_sheet_without_its_sale_holds_nothing() {
    let mut g = worked_example();
    bought_into_stock(&mut g);
    g.invoices.remove(0);
    let r = consolidate(&g, march()).unwrap().report;
    assert!(r.line("unrealised_intercompany_profit").is_none());
    assert!(
        !r.warnings
            .iter()
            .any(|w| matches!(w, Warning::UnrealisedIntercompanyProfit { .. }))
    );
}

/// The hold of a pair does not depend on the period asked: H's sale of 31
/// March and T's bill of 2 April (put on stock) are held in March, in a
/// March report as in a March-to-April one (before, a March report paired
/// within March only and held nothing).
#[test]
fn a_pair_straddling_a_period_end_is_held_in_the_sellers_month_in_every_period() {
    let mut g = worked_example();
    bought_into_stock(&mut g);
    g.invoices[0].date = date("2026-03-31");
    g.invoices[1].date = date("2026-04-02");
    let alone = consolidate(&g, march()).unwrap().report;
    // As in the worked example: 1,111.11 of H's Sales eliminated and held.
    assert_eq!(cell(&alone, "group:10", "eliminations"), "-1111.11");
    assert_eq!(
        cell(&alone, "unrealised_intercompany_profit", "eliminations"),
        "1111.11"
    );
    assert_eq!(
        alone.net_profit.get("eliminations").unwrap().to_string(),
        "0.00"
    );
    let both = consolidate(&g, range("2026-03", "2026-04")).unwrap().report;
    let held = |r: &ProfitAndLossReport, month: &str| {
        r.month(m(month))
            .and_then(|x| x.line("unrealised_intercompany_profit"))
            .map(|l| l.values.get("eliminations").unwrap().to_string())
    };
    assert_eq!(held(&both, "2026-03").as_deref(), Some("1111.11"));
    assert_eq!(held(&both, "2026-04").as_deref(), Some("0.00"));
    assert_eq!(
        cell(&both, "unrealised_intercompany_profit", "eliminations"),
        "1111.11"
    );
    // And the April report holds nothing: the seller's document is March's.
    let april = consolidate(&g, range("2026-04", "2026-04")).unwrap().report;
    assert!(april.line("unrealised_intercompany_profit").is_none());
    // Dated 23 days apart, beyond the hold's window, they do not pair.
    g.invoices[0].date = date("2026-03-10");
    let apart = consolidate(&g, march()).unwrap().report;
    assert!(apart.line("unrealised_intercompany_profit").is_none());
    assert_eq!(HOLD_WINDOW_DAYS, 22);
}

/// Two NZD entities whose charts hold the same AccountID `sales` (first in
/// each chart, so its number among each entity's keys is the same), each
/// selling to the other in March 2026.
fn same_account_id_in_two_entities() -> GroupData {
    let mut g = empty_group("NZD");
    g.entities = vec![
        entity(1, "A", "A Ltd", "NZD"),
        entity(2, "B", "B Ltd", "NZD"),
    ];
    g.entity_accounts = vec![
        account(1, "sales", "200", "Sales", AccountClass::Revenue),
        account(2, "sales", "200", "Sales", AccountClass::Revenue),
    ];
    g.group_accounts = vec![group_account(10, "200", "Sales", AccountSection::Income)];
    g.mappings = vec![mapping(1, "sales", 10), mapping(2, "sales", 10)];
    g.pnl = vec![
        pnl(1, "sales", "2026-03", "100.00"),
        pnl(2, "sales", "2026-03", "30.00"),
    ];
    g.intercompany_contacts = vec![ic_contact(1, "c-b", 2), ic_contact(2, "c-a", 1)];
    g.invoices = vec![
        invoice(
            1,
            InvoiceType::Accrec,
            "inv-a-1",
            "A-1",
            "c-b",
            "2026-03-10",
            "NZD",
            None,
            vec![line("a1", "200", "100.00", "0")],
        ),
        invoice(
            2,
            InvoiceType::Accrec,
            "inv-b-1",
            "B-1",
            "c-a",
            "2026-03-11",
            "NZD",
            None,
            vec![line("b1", "200", "30.00", "0")],
        ),
    ];
    g
}

#[test]
fn the_same_account_id_in_two_entities_is_eliminated_per_entity() {
    let g = same_account_id_in_two_entities();
    let c = consolidate(&g, march()).unwrap();
    let p = c.provenance.cell("group:10", "eliminations").unwrap();
    // One sum per (entity, account, month): A's 100.00 and B's 30.00,
    // never one sum of 130.00 booked to whichever entity came first.
    let mut sums: Vec<(EntityId, String)> = p
        .elimination_sums
        .iter()
        .map(|s| (s.entity, s.base_amount.to_string()))
        .collect();
    sums.sort();
    assert_eq!(
        sums,
        vec![
            (EntityId(1), "-100.00".to_string()),
            (EntityId(2), "-30.00".to_string())
        ]
    );
    assert_eq!(cell(&c.report, "group:10", "eliminations"), "-130.00");
    assert_eq!(cell(&c.report, "group:10", "consolidated"), "0.00");
}

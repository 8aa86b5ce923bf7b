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

//! Table tests, one or more per rule of the consolidation rules page.

use crate::common::*;
use consol::engine::*;

fn march() -> consol::domain::MonthRange {
    range("2026-03", "2026-03")
}

fn run(data: &GroupData) -> ProfitAndLossReport {
    consolidate(data, march()).unwrap().report
}

fn ic_warnings(r: &ProfitAndLossReport) -> Vec<(IntercompanyIssue, String)> {
    r.warnings
        .iter()
        .filter_map(|w| match w {
            Warning::Intercompany {
                issue,
                line_item_id,
                ..
            } => Some((*issue, line_item_id.clone().unwrap_or_default())),
            _ => None,
        })
        .collect()
}

#[test]
fn line_net_amounts_by_line_amount_types() {
    let l = line("x", "200", "115.00", "15.00");
    assert_eq!(line_net_amount(LineAmountTypes::Exclusive, &l), d("115.00"));
    assert_eq!(line_net_amount(LineAmountTypes::NoTax, &l), d("115.00"));
    assert_eq!(line_net_amount(LineAmountTypes::Inclusive, &l), d("100.00"));
}

#[test]
fn inclusive_and_exclusive_lines_eliminate_their_net_amounts() {
    for (types, amount, tax, expected) in [
        (LineAmountTypes::Exclusive, "1000.00", "150.00", "-1000.00"),
        (LineAmountTypes::Inclusive, "1150.00", "150.00", "-1000.00"),
        (LineAmountTypes::NoTax, "1000.00", "0", "-1000.00"),
    ] {
        let mut g = worked_example();
        g.invoices.truncate(1);
        let inv = &mut g.invoices[0];
        inv.currency = cur("NZD");
        inv.currency_rate = None;
        inv.line_amount_types = types;
        inv.lines = vec![line("l1", "200", amount, tax)];
        let r = run(&g);
        assert_eq!(cell(&r, "group:10", "eliminations"), expected, "{types:?}");
    }
}

#[test]
fn foreign_currency_invoice_is_divided_by_its_currency_rate() {
    // An NZD entity invoices USD 100 at 1 NZD = 0.65 USD: 153.846... NZD.
    let mut g = worked_example();
    g.invoices.truncate(1);
    let inv = &mut g.invoices[0];
    inv.currency = cur("USD");
    inv.currency_rate = Some(d("0.65"));
    inv.lines = vec![line("l1", "200", "100.00", "0")];
    let r = run(&g);
    assert_eq!(cell(&r, "group:10", "eliminations"), "-153.85");
    assert_eq!(
        to_base_currency(d("100"), &g.invoices[0], cur("NZD"))
            .unwrap()
            .round_dp(4),
        d("153.8462")
    );
    // Without a usable CurrencyRate the line is listed, not eliminated.
    g.invoices[0].currency_rate = None;
    let r = run(&g);
    assert_eq!(cell(&r, "group:10", "eliminations"), "0.00");
    assert_eq!(
        ic_warnings(&r),
        [(IntercompanyIssue::MissingCurrencyRate, "l1".to_string())]
    );
}

#[test]
fn one_sided_intercompany_invoice_is_still_eliminated() {
    let mut g = worked_example();
    g.invoices.truncate(1); // T never recorded the bill.
    let r = run(&g);
    assert_eq!(cell(&r, "group:10", "eliminations"), "-1111.11");
    assert_eq!(cell(&r, "group:20", "eliminations"), "0.00");
    assert_eq!(cell(&r, "group:20", "consolidated"), "1080.00");
    let rec = reconcile_intercompany(&g, march()).unwrap();
    assert_eq!(rec.pairs.len(), 1);
    assert_eq!(rec.pairs[0].status, MatchStatus::CounterpartMissing);
    assert!(rec.pairs[0].buyer_bill.is_none());
    assert_eq!(rec.pairs[0].net_effect.unwrap().to_string(), "-1111.11");
}

#[test]
fn amount_mismatch_is_eliminated_side_by_side_and_flagged() {
    let mut g = worked_example();
    g.invoices[1].lines = vec![line("l2", "400", "950.00", "0")];
    g.invoices[1].total = d("950.00");
    let r = run(&g);
    assert_eq!(cell(&r, "group:10", "eliminations"), "-1111.11");
    assert_eq!(cell(&r, "group:20", "eliminations"), "-1026.00");
    assert_eq!(
        r.net_profit.get("eliminations").unwrap().to_string(),
        "-85.11"
    );
    let rec = reconcile_intercompany(&g, march()).unwrap();
    assert_eq!(rec.pairs.len(), 1);
    let p = &rec.pairs[0];
    assert_eq!(p.status, MatchStatus::AmountDiffers);
    assert_eq!(p.matched_by, Some(MatchedBy::InvoiceNumber));
    assert_eq!(
        p.seller_invoice.as_ref().unwrap().total.to_string(),
        "1000.00"
    );
    assert_eq!(p.buyer_bill.as_ref().unwrap().total.to_string(), "950.00");
    assert_eq!(
        p.buyer_bill
            .as_ref()
            .unwrap()
            .presentation_amount
            .unwrap()
            .to_string(),
        "1026.00"
    );
    assert_eq!(p.net_effect.unwrap().to_string(), "-85.11");
}

#[test]
fn voided_draft_and_deleted_invoices_are_ignored() {
    for status in [
        InvoiceStatus::Voided,
        InvoiceStatus::Draft,
        InvoiceStatus::Submitted,
        InvoiceStatus::Deleted,
    ] {
        let mut g = worked_example();
        g.invoices[0].status = status;
        let r = run(&g);
        assert_eq!(cell(&r, "group:10", "eliminations"), "0.00", "{status:?}");
        assert_eq!(cell(&r, "group:20", "eliminations"), "-1080.00");
    }
    let mut g = worked_example();
    g.invoices[1].status = InvoiceStatus::Paid;
    assert_eq!(cell(&run(&g), "group:20", "eliminations"), "-1080.00");
}

#[test]
fn balance_sheet_lines_are_listed_not_eliminated() {
    let mut g = worked_example();
    g.invoices[0].lines.push(line("l-bs", "610", "500.00", "0"));
    let r = run(&g);
    assert_eq!(cell(&r, "group:10", "eliminations"), "-1111.11");
    assert_eq!(
        r.net_profit.get("eliminations").unwrap().to_string(),
        "-31.11"
    );
    assert_eq!(
        ic_warnings(&r),
        [(IntercompanyIssue::BalanceSheetLine, "l-bs".to_string())]
    );
    assert!(r.warnings.iter().all(|w| w.severity() == Severity::Info));
}

#[test]
fn lines_with_unknown_accounts_are_listed() {
    let mut g = worked_example();
    g.invoices[0].lines.push(line("l-x", "999", "5.00", "0"));
    let r = run(&g);
    assert_eq!(
        ic_warnings(&r),
        [(IntercompanyIssue::UnknownAccount, "l-x".to_string())]
    );
}

#[test]
fn an_accounts_id_wins_over_its_code() {
    let mut g = worked_example();
    g.invoices[0].lines[0].account_code = Some("610".into());
    g.invoices[0].lines[0].account_id = Some("h-200".into());
    assert_eq!(cell(&run(&g), "group:10", "eliminations"), "-1111.11");
}

#[test]
fn only_confirmed_intercompany_contacts_count() {
    let mut g = worked_example();
    g.intercompany_contacts.clear();
    let r = run(&g);
    for l in &r.lines {
        assert!(l.values.get("eliminations").unwrap().is_zero(), "{}", l.key);
    }
}

#[test]
fn missing_rate_is_an_error_never_zero_or_one() {
    let mut g = worked_example();
    g.rates.clear();
    let r = run(&g);
    let errors: Vec<_> = r
        .warnings
        .iter()
        .filter(|w| w.severity() == Severity::Error)
        .collect();
    assert_eq!(errors.len(), 1);
    match errors[0] {
        Warning::MissingRate {
            entity,
            currency,
            month,
            entity_name,
            ..
        } => {
            assert_eq!(*entity, EntityId(2));
            assert_eq!(entity_name, "T");
            assert_eq!(currency.as_str(), "AUD");
            assert_eq!(*month, m("2026-03"));
        }
        w => panic!("{w:?}"),
    }
    // T's month is left out of every sum: not 1,000 (rate 1), and flagged.
    assert_eq!(cell(&r, "group:20", "entity:2"), "0.00");
    assert_eq!(cell(&r, "group:20", "eliminations"), "0.00");
    assert_eq!(cell(&r, "group:10", "eliminations"), "-1111.11");
    assert!(r.rates.is_empty());
    // Other months of T still count.
    let mut g = worked_example();
    g.rates = vec![rate("AUD", "2026-04", "1.10")];
    g.pnl.push(pnl(2, "t-400", "2026-04", "10.00"));
    let r = consolidate(&g, range("2026-03", "2026-04")).unwrap().report;
    assert_eq!(cell(&r, "group:20", "entity:2"), "11.00");
    assert_eq!(r.month(m("2026-03")).unwrap().lines.len(), r.lines.len());
    assert_eq!(r.rates.len(), 1);
}

#[test]
fn unmapped_accounts_have_their_own_section_and_keep_their_amounts() {
    let mut g = worked_example();
    g.entity_accounts
        .push(account(2, "t-420", "420", "Travel", AccountClass::Expense));
    g.entity_accounts.push(account(
        2,
        "t-260",
        "260",
        "Other revenue",
        AccountClass::Revenue,
    ));
    g.pnl.push(pnl(2, "t-420", "2026-03", "50.00"));
    g.pnl.push(pnl(2, "t-260", "2026-03", "20.00"));
    let r = run(&g);
    let travel = r.line("unmapped:2:t-420").unwrap();
    assert_eq!(travel.section, Section::Unmapped);
    assert_eq!(travel.account_code.as_deref(), Some("420"));
    assert_eq!(travel.account_name, "Travel");
    assert_eq!(travel.entity, Some(EntityId(2)));
    // Unmapped amounts are signed as their effect on profit.
    assert_eq!(cell(&r, "unmapped:2:t-420", "entity:2"), "-54.00");
    assert_eq!(cell(&r, "unmapped:2:t-260", "entity:2"), "21.60");
    assert_eq!(cell(&r, "total:unmapped", "consolidated"), "-32.40");
    assert_eq!(
        r.net_profit.get("entity:2").unwrap().to_string(),
        "-1112.40"
    );
    let unmapped: Vec<_> = r
        .warnings
        .iter()
        .filter_map(|w| match w {
            Warning::UnmappedAccount {
                account_id, amount, ..
            } => Some((account_id.as_str(), amount.to_string())),
            _ => None,
        })
        .collect();
    assert_eq!(unmapped.len(), 2);
    assert!(unmapped.contains(&("t-420", "-54.00".to_string())));
    // Sections keep their order and the Unmapped section comes last.
    let sections: Vec<Section> = r.lines.iter().map(|l| l.section).collect();
    let mut sorted = sections.clone();
    sorted.sort();
    assert_eq!(sections, sorted);
    assert_eq!(r.lines.last().unwrap().key, "net_profit");
}

#[test]
fn rounding_is_per_entity_account_month_half_away_from_zero() {
    let mut g = empty_group("NZD");
    g.entities = vec![entity(1, "A", "A Ltd", "AUD")];
    g.entity_accounts = vec![
        account(1, "a", "1", "A", AccountClass::Revenue),
        account(1, "b", "2", "B", AccountClass::Revenue),
    ];
    g.group_accounts = vec![group_account(1, "1", "Sales", AccountSection::Income)];
    g.mappings = vec![mapping(1, "a", 1), mapping(1, "b", 1)];
    g.rates = vec![rate("AUD", "2026-03", "0.5"), rate("AUD", "2026-04", "0.5")];
    // 0.01 × 0.5 = 0.005 rounds up to 0.01 for each account and month.
    g.pnl = vec![
        pnl(1, "a", "2026-03", "0.01"),
        pnl(1, "b", "2026-03", "0.01"),
        pnl(1, "a", "2026-04", "-0.01"),
        pnl(1, "b", "2026-04", "0.03"),
    ];
    let r = consolidate(&g, range("2026-03", "2026-04")).unwrap().report;
    let march = r.month(m("2026-03")).unwrap();
    let april = r.month(m("2026-04")).unwrap();
    let v = |lines: &[MonthlyLine]| {
        lines
            .iter()
            .find(|l| l.key == "group:1")
            .unwrap()
            .values
            .get("entity:1")
            .unwrap()
            .to_string()
    };
    assert_eq!(v(&march.lines), "0.02");
    assert_eq!(v(&april.lines), "0.01"); // -0.01 + 0.02
    assert_eq!(cell(&r, "group:1", "entity:1"), "0.03");
}

#[test]
fn rows_of_the_same_account_and_month_are_summed_before_rounding() {
    let mut g = empty_group("NZD");
    g.entities = vec![entity(1, "A", "A Ltd", "AUD")];
    g.entity_accounts = vec![account(1, "a", "1", "A", AccountClass::Revenue)];
    g.rates = vec![rate("AUD", "2026-03", "0.5")];
    g.pnl = vec![
        pnl(1, "a", "2026-03", "0.01"),
        pnl(1, "a", "2026-03", "0.01"),
    ];
    let c = consolidate(&g, march()).unwrap();
    assert_eq!(cell(&c.report, "unmapped:1:a", "entity:1"), "0.01");
    let p = c.provenance.cell("unmapped:1:a", "entity:1").unwrap();
    assert_eq!(p.sources.len(), 1);
    assert_eq!(p.sources[0].rows.len(), 2);
    assert_eq!(p.total().to_string(), "0.01");
}

#[test]
fn presentation_currency_minor_units_are_used() {
    let mut g = empty_group("JPY");
    g.entities = vec![entity(1, "A", "A Ltd", "NZD")];
    g.entity_accounts = vec![account(1, "a", "1", "A", AccountClass::Revenue)];
    g.rates = vec![rate("NZD", "2026-03", "90.5")];
    g.pnl = vec![pnl(1, "a", "2026-03", "10.01")];
    let r = run(&g);
    assert_eq!(cell(&r, "unmapped:1:a", "entity:1"), "906"); // 905.905
    assert_eq!(cell(&r, "net_profit", "consolidated"), "906");
}

#[test]
fn tie_out_differences_are_flagged() {
    let mut g = worked_example();
    g.net_profits[1].amount = d("-999.00");
    let r = run(&g);
    let t = r.tie_out.iter().find(|t| t.entity == EntityId(2)).unwrap();
    assert_eq!(t.computed.to_string(), "-1000.00");
    assert_eq!(t.difference.unwrap().to_string(), "-1.00");
    assert!(r.warnings.iter().any(|w| matches!(
        w,
        Warning::NetProfitTieOut { entity: EntityId(2), difference, .. } if difference.to_string() == "-1.00"
    )));
}

#[test]
fn rows_without_an_account_id_are_kept() {
    let mut g = worked_example();
    g.pnl.push(PnlAmount {
        entity: EntityId(1),
        row: SourceRow::system(
            "FXGROUPID",
            "Foreign Currency Gains and Losses",
            AccountClass::Expense,
        ),
        month: m("2026-03"),
        amount: d("12.34"),
        sync_run_id: Some(7),
    });
    g.pnl.push(PnlAmount {
        entity: EntityId(1),
        row: SourceRow::summary("Total Income"),
        month: m("2026-03"),
        amount: d("1111.11"),
        sync_run_id: Some(7),
    });
    g.net_profits[0].amount = d("1098.77");
    let r = run(&g);
    let fx = r.line("unmapped:1:FXGROUPID").unwrap();
    assert_eq!(fx.account_name, "Foreign Currency Gains and Losses");
    assert_eq!(fx.values.get("entity:1").unwrap().to_string(), "-12.34");
    assert_eq!(r.summary_rows.len(), 1);
    assert_eq!(r.summary_rows[0].label, "Total Income");
    // Summary rows are not summed: the tie-out holds.
    assert!(r.tie_out.iter().all(|t| t.difference.unwrap().is_zero()));
    // A mapping by the system key moves it to a group account.
    g.group_accounts.push(group_account(
        30,
        "499",
        "FX",
        AccountSection::OtherExpenses,
    ));
    g.mappings.push(mapping(1, "FXGROUPID", 30));
    let r = run(&g);
    assert_eq!(cell(&r, "group:30", "entity:1"), "12.34");
    assert_eq!(cell(&r, "total:other_expenses", "consolidated"), "12.34");
}

#[test]
fn quarters_are_sums_of_translated_months() {
    let mut g = worked_example();
    g.rates = vec![
        rate("AUD", "2026-01", "1.00"),
        rate("AUD", "2026-02", "1.10"),
        rate("AUD", "2026-03", "1.08"),
    ];
    g.pnl.push(pnl(2, "t-400", "2026-01", "100.00"));
    g.pnl.push(pnl(2, "t-400", "2026-02", "100.00"));
    let r = consolidate(&g, range("2026-01", "2026-03")).unwrap().report;
    assert_eq!(cell(&r, "group:20", "entity:2"), "1290.00"); // 100 + 110 + 1080
    assert_eq!(r.months.len(), 3);
    assert_eq!(r.rates.len(), 3);
}

#[test]
fn an_invoice_dated_outside_the_period_is_not_eliminated() {
    let mut g = worked_example();
    g.invoices[0].date = date("2026-04-01");
    let r = run(&g);
    assert_eq!(cell(&r, "group:10", "eliminations"), "0.00");
}

#[test]
fn inconsistent_input_is_an_error() {
    let mut g = worked_example();
    g.pnl.push(pnl(99, "x", "2026-03", "1"));
    assert!(matches!(
        consolidate(&g, march()),
        Err(EngineError::UnknownEntity(EntityId(99)))
    ));
    let mut g = worked_example();
    g.mappings.push(mapping(1, "h-610", 77));
    assert!(matches!(
        consolidate(&g, march()),
        Err(EngineError::UnknownGroupAccount { .. })
    ));
    let mut g = worked_example();
    g.rates.push(rate("USD", "2026-03", "0"));
    assert!(matches!(
        consolidate(&g, march()),
        Err(EngineError::InvalidRate { .. })
    ));
}

#[test]
fn columns_are_in_entity_name_order() {
    let mut g = worked_example();
    g.entities.reverse();
    g.entities[0].name = "Z".into();
    let r = run(&g);
    let names: Vec<&str> = r.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["H", "Z", "Eliminations", "Consolidated"]);
    let kinds: Vec<ColumnKind> = r.columns.iter().map(|c| c.kind).collect();
    assert_eq!(
        kinds,
        [
            ColumnKind::Entity,
            ColumnKind::Entity,
            ColumnKind::Eliminations,
            ColumnKind::Consolidated
        ]
    );
}

#[test]
fn a_sales_invoice_on_an_expense_account_is_eliminated_as_a_credit() {
    // H recharges costs to T: its invoice credits H's own expense account.
    let mut g = worked_example();
    g.entity_accounts.push(account(
        1,
        "h-420",
        "420",
        "Recharged costs",
        AccountClass::Expense,
    ));
    g.group_accounts.push(group_account(
        40,
        "420",
        "Recharges",
        AccountSection::OperatingExpenses,
    ));
    g.mappings.push(mapping(1, "h-420", 40));
    // Xero shows the expense reduced: -100.00 under operating expenses.
    g.pnl.push(pnl(1, "h-420", "2026-03", "-100.00"));
    g.invoices.truncate(1);
    g.invoices[0].currency = cur("NZD");
    g.invoices[0].currency_rate = None;
    g.invoices[0].lines = vec![line("l1", "420", "100.00", "0")];
    let r = run(&g);
    assert_eq!(cell(&r, "group:40", "entity:1"), "-100.00");
    assert_eq!(cell(&r, "group:40", "eliminations"), "100.00");
    assert_eq!(cell(&r, "group:40", "consolidated"), "0.00");
    assert_eq!(
        r.net_profit.get("eliminations").unwrap().to_string(),
        "-100.00"
    );
}

#[test]
fn several_entity_accounts_on_one_group_line_each_show_in_provenance() {
    let mut g = worked_example();
    g.entity_accounts.push(account(
        1,
        "h-201",
        "201",
        "Sales - online",
        AccountClass::Revenue,
    ));
    g.mappings.push(mapping(1, "h-201", 10));
    g.pnl.push(pnl(1, "h-201", "2026-03", "8.89"));
    let c = consolidate(&g, march()).unwrap();
    assert_eq!(cell(&c.report, "group:10", "entity:1"), "1120.00");
    let p = c.provenance.cell("group:10", "entity:1").unwrap();
    let ids: Vec<&str> = p.sources.iter().map(|s| s.account_id.as_str()).collect();
    assert_eq!(ids, ["h-200", "h-201"]);
    assert_eq!(p.total().to_string(), "1120.00");
}

#[test]
fn an_unmapped_intercompany_account_is_eliminated_on_its_unmapped_line() {
    let mut g = worked_example();
    g.mappings.retain(|m| m.account_id != "t-400");
    let r = run(&g);
    assert_eq!(cell(&r, "unmapped:2:t-400", "entity:2"), "-1080.00");
    assert_eq!(cell(&r, "unmapped:2:t-400", "eliminations"), "1080.00");
    assert_eq!(cell(&r, "unmapped:2:t-400", "consolidated"), "0.00");
    assert_eq!(
        r.net_profit.get("eliminations").unwrap().to_string(),
        "-31.11"
    );
}

#[test]
fn a_contact_for_an_entity_outside_the_group_is_listed() {
    let mut g = worked_example();
    g.intercompany_contacts[0].counterpart = EntityId(42);
    let r = run(&g);
    assert_eq!(cell(&r, "group:10", "eliminations"), "0.00");
    assert_eq!(
        ic_warnings(&r),
        [(IntercompanyIssue::UnknownCounterpart, "l1".to_string())]
    );
}

#[test]
fn a_month_with_only_xero_net_profit_is_tied_out() {
    let mut g = worked_example();
    g.net_profits.push(XeroNetProfit {
        entity: EntityId(1),
        month: m("2026-03"),
        amount: d("0"),
        sync_run_id: None,
    });
    g.pnl.clear();
    let r = run(&g);
    let t = r.tie_out.iter().find(|t| t.entity == EntityId(1)).unwrap();
    assert_eq!(t.computed.to_string(), "0.00");
    assert_eq!(t.xero_net_profit.unwrap().to_string(), "1111.11");
    assert_eq!(t.difference.unwrap().to_string(), "-1111.11");
}

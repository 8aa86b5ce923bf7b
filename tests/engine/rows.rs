//! Rule 1: rows that are not in the entity's chart (Xero's `FXGROUPID`
//! currency gains and losses, AccountIDs the synced chart lacks) move
//! profit by the section of Xero's report they sat in, exactly as Xero's
//! own Net Profit counts them.

use crate::common::*;
use consol::engine::*;

fn run(data: &GroupData) -> ProfitAndLossReport {
    consolidate(data, range("2026-03", "2026-03"))
        .unwrap()
        .report
}

fn row(entity: i64, r: SourceRow, amount: &str) -> PnlAmount {
    PnlAmount {
        entity: EntityId(entity),
        row: r,
        month: m("2026-03"),
        amount: d(amount),
        sync_run_id: Some(7),
    }
}

fn fx(section: ReportSection, label: &str) -> SourceRow {
    SourceRow::system_in("FXGROUPID", label, section)
}

fn tie(r: &ProfitAndLossReport, entity: i64) -> &TieOut {
    r.tie_out
        .iter()
        .find(|t| t.entity == EntityId(entity))
        .unwrap()
}

#[test]
fn a_currency_loss_under_expenses_lowers_profit() {
    let mut g = worked_example();
    g.pnl.push(row(
        1,
        fx(ReportSection::Expenses, "Foreign Currency Gains and Losses"),
        "50.00",
    ));
    // Xero's own Net Profit counts the loss: 1,111.11 - 50.00.
    g.net_profits[0].amount = d("1061.11");
    let r = run(&g);
    let line = r.line("unmapped:1:FXGROUPID").unwrap();
    assert_eq!(line.section, Section::Unmapped);
    assert_eq!(line.values.get("entity:1").unwrap().to_string(), "-50.00");
    assert_eq!(r.net_profit.get("entity:1").unwrap().to_string(), "1061.11");
    assert_eq!(tie(&r, 1).difference.unwrap().to_string(), "0.00");
    assert!(
        !r.warnings
            .iter()
            .any(|w| matches!(w, Warning::NetProfitTieOut { .. })),
        "{:?}",
        r.warnings
    );
}

#[test]
fn a_currency_gain_under_other_income_raises_profit() {
    let mut g = worked_example();
    g.pnl.push(row(
        2,
        fx(ReportSection::OtherIncome, "Unrealised Currency Gains"),
        "10.00",
    ));
    g.net_profits[1].amount = d("-990.00");
    let r = run(&g);
    // Translated at 1.08 into NZD, as a gain.
    assert_eq!(cell(&r, "unmapped:2:FXGROUPID", "entity:2"), "10.80");
    assert_eq!(
        r.net_profit.get("entity:2").unwrap().to_string(),
        "-1069.20"
    );
    assert_eq!(tie(&r, 2).difference.unwrap().to_string(), "0.00");
}

#[test]
fn realised_and_unrealised_rows_of_one_key_each_count_by_their_section() {
    let mut g = worked_example();
    g.pnl.push(row(
        1,
        fx(ReportSection::OtherIncome, "Unrealised Currency Gains"),
        "20.00",
    ));
    g.pnl.push(row(
        1,
        fx(ReportSection::Expenses, "Foreign Currency Gains and Losses"),
        "50.00",
    ));
    g.net_profits[0].amount = d("1081.11"); // 1,111.11 + 20.00 - 50.00
    let r = run(&g);
    assert_eq!(cell(&r, "unmapped:1:FXGROUPID", "entity:1"), "-30.00");
    assert_eq!(tie(&r, 1).difference.unwrap().to_string(), "0.00");
}

#[test]
fn an_fxgroupid_row_maps_per_entity_by_its_key() {
    let mut g = worked_example();
    g.pnl.push(row(
        1,
        fx(ReportSection::Expenses, "Foreign Currency Gains and Losses"),
        "50.00",
    ));
    g.pnl.push(row(
        2,
        fx(ReportSection::Expenses, "Foreign Currency Gains and Losses"),
        "5.00",
    ));
    g.group_accounts.push(group_account(
        30,
        "499",
        "Currency gains and losses",
        AccountSection::OtherExpenses,
    ));
    g.mappings.push(mapping(1, "FXGROUPID", 30));
    let r = run(&g);
    // H's row is mapped and shows as a cost under Other Expenses.
    assert_eq!(cell(&r, "group:30", "entity:1"), "50.00");
    assert_eq!(cell(&r, "group:30", "entity:2"), "0.00");
    // T's is not mapped (mappings are per entity): Unmapped, as a cost.
    assert_eq!(cell(&r, "unmapped:2:FXGROUPID", "entity:2"), "-5.40");
    assert!(r.line("unmapped:1:FXGROUPID").is_none());
    assert_eq!(r.net_profit.get("entity:1").unwrap().to_string(), "1061.11");
}

#[test]
fn an_account_id_outside_the_chart_counts_by_its_section_and_warns() {
    let mut g = worked_example();
    let stray = "9b0e3f0e-0000-4000-8000-000000000001";
    g.pnl.push(row(
        1,
        SourceRow::account_in(stray, ReportSection::Expenses),
        "40.00",
    ));
    g.net_profits[0].amount = d("1071.11");
    let r = run(&g);
    let key = format!("unmapped:1:{stray}");
    assert_eq!(cell(&r, &key, "entity:1"), "-40.00");
    assert_eq!(tie(&r, 1).difference.unwrap().to_string(), "0.00");
    assert!(r.warnings.iter().any(|w| matches!(
        w,
        Warning::UnknownSourceAccount { entity: EntityId(1), account_id, section: Some(ReportSection::Expenses), .. }
            if account_id == stray
    )));
    // Under Income it raises profit.
    let mut g = worked_example();
    g.pnl.push(row(
        1,
        SourceRow::account_in(stray, ReportSection::Income),
        "40.00",
    ));
    let r = run(&g);
    assert_eq!(cell(&r, &key, "entity:1"), "40.00");
}

#[test]
fn section_titles_of_xeros_report() {
    use ReportSection::*;
    for (title, want) in [
        (" Income", Some(Income)),
        ("Trading Income", Some(Income)),
        ("Revenue", Some(Income)),
        ("Less Cost of Sales", Some(CostOfSales)),
        ("Plus Other Income", Some(OtherIncome)),
        ("Less Operating Expenses", Some(Expenses)),
        ("Less Other Expenses", Some(Expenses)),
        ("", None),
    ] {
        assert_eq!(ReportSection::from_title(title), want, "{title}");
    }
}

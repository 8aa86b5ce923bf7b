//! Rule 1 (completeness) and rule 4 (bad data): what is missing or cannot
//! be read is stated on the report, never hidden.

use crate::common::*;
use consol::engine::*;

fn march() -> consol::domain::MonthRange {
    range("2026-03", "2026-03")
}

fn run(g: &GroupData) -> ProfitAndLossReport {
    consolidate(g, march()).unwrap().report
}

fn gross_profit(entity: i64, amount: &str) -> PnlAmount {
    PnlAmount {
        entity: EntityId(entity),
        row: SourceRow::summary("Gross Profit"),
        month: m("2026-03"),
        amount: d(amount),
        sync_run_id: Some(7),
    }
}

#[test]
fn a_month_without_a_synced_pnl_is_an_error_and_its_eliminations_wait() {
    let mut g = worked_example();
    g.pnl.retain(|p| p.entity != EntityId(2));
    g.net_profits.retain(|p| p.entity != EntityId(2));
    let r = run(&g);
    assert!(r.warnings.iter().any(|w| matches!(
        w,
        Warning::MissingPnl { severity: Severity::Error, entity: EntityId(2), month, .. }
            if *month == m("2026-03")
    )));
    // T's bill is not eliminated (there is nothing of T's to remove it
    // from); H's invoice is.
    assert_eq!(cell(&r, "group:20", "eliminations"), "0.00");
    assert_eq!(cell(&r, "group:10", "eliminations"), "-1111.11");
    // H's month is synced: no error for it.
    assert!(!r.warnings.iter().any(|w| matches!(
        w,
        Warning::MissingPnl {
            entity: EntityId(1),
            ..
        }
    )));
    // A month with only Xero's Net Profit (a quiet month) is synced.
    let mut g = worked_example();
    g.pnl.retain(|p| p.entity != EntityId(2));
    let r = run(&g);
    assert!(
        !r.warnings
            .iter()
            .any(|w| matches!(w, Warning::MissingPnl { .. }))
    );
    assert_eq!(cell(&r, "group:20", "eliminations"), "-1080.00");
}

#[test]
fn a_month_without_xeros_net_profit_is_not_tied_out() {
    let mut g = worked_example();
    g.net_profits.retain(|p| p.entity != EntityId(1));
    let r = run(&g);
    let t = r.tie_out.iter().find(|t| t.entity == EntityId(1)).unwrap();
    assert_eq!(t.status, TieOutStatus::NotTiedOut);
    assert_eq!(t.difference, None);
    assert!(r.warnings.iter().any(|w| matches!(
        w,
        Warning::NotTiedOut {
            entity: EntityId(1),
            ..
        }
    )));
    let t = r.tie_out.iter().find(|t| t.entity == EntityId(2)).unwrap();
    assert_eq!(t.status, TieOutStatus::Ties);
}

#[test]
fn gross_profit_is_tied_out_as_net_profit_is() {
    let mut g = worked_example();
    g.entity_accounts[0].account_type = XeroAccountType::Sales;
    g.pnl.push(gross_profit(1, "1111.11"));
    g.pnl.push(gross_profit(2, "0.00"));
    let r = run(&g);
    for t in &r.tie_out {
        assert_eq!(t.status, TieOutStatus::Ties, "{t:?}");
        assert!(t.gross_profit_difference.unwrap().is_zero(), "{t:?}");
    }
    assert_eq!(r.tie_out[0].computed_gross_profit.to_string(), "1111.11");
    // A currency loss under Cost of Sales lowers Gross Profit as Xero's does.
    g.pnl.push(PnlAmount {
        entity: EntityId(1),
        row: SourceRow::system_in(
            "FXGROUPID",
            "Foreign Currency Gains and Losses",
            ReportSection::CostOfSales,
        ),
        month: m("2026-03"),
        amount: d("11.11"),
        sync_run_id: Some(7),
    });
    g.net_profits[0].amount = d("1100.00");
    let r = run(&g);
    let t = r.tie_out.iter().find(|t| t.entity == EntityId(1)).unwrap();
    assert_eq!(t.computed_gross_profit.to_string(), "1100.00");
    assert_eq!(t.gross_profit_difference.unwrap().to_string(), "-11.11");
    assert_eq!(t.status, TieOutStatus::Differs);
    assert!(r.warnings.iter().any(|w| matches!(
        w,
        Warning::GrossProfitTieOut { entity: EntityId(1), difference, .. }
            if difference.to_string() == "-11.11"
    )));
    // Net Profit still ties.
    assert_eq!(t.difference.unwrap().to_string(), "0.00");
}

#[test]
fn a_foreign_invoice_without_a_rate_is_named_and_not_eliminated() {
    let mut g = worked_example();
    g.invoices[0].currency_rate = None;
    let r = run(&g);
    assert_eq!(cell(&r, "group:10", "eliminations"), "0.00");
    assert!(r.warnings.iter().any(|w| matches!(
        w,
        Warning::Intercompany {
            issue: IntercompanyIssue::MissingCurrencyRate,
            invoice_id,
            invoice_number: Some(n),
            ..
        } if invoice_id == "inv-h-42" && n == "INV-0042"
    )));
    // A zero rate is no rate either, never 1.
    g.invoices[0].currency_rate = Some(d("0"));
    let r = run(&g);
    assert_eq!(cell(&r, "group:10", "eliminations"), "0.00");
}

#[test]
fn an_unreadable_record_is_a_warning_naming_it() {
    let mut g = worked_example();
    g.rejected.push(RejectedRecord {
        entity: EntityId(1),
        record_id: "inv-h-43".into(),
        number: Some("INV-0043".into()),
        date: date("2026-03-05"),
        field: "Status".into(),
        value: "ARCHIVED".into(),
    });
    let r = run(&g);
    assert!(r.warnings.iter().any(|w| matches!(
        w,
        Warning::UnreadableRecord { entity: EntityId(1), record_id, field, value, .. }
            if record_id == "inv-h-43" && field == "Status" && value == "ARCHIVED"
    )));
}

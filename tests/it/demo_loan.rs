//! The demo's intercompany loan on the consolidated balance sheet: the
//! group set up exactly as `consol demo` does it (`demo::set_up_group`),
//! then no line is Unmapped, the lender's side is on the group's
//! "Intercompany loans receivable" line (Non-current Assets), the
//! borrower's on "Intercompany loans payable" (Non-current Liabilities),
//! and each side is eliminated to 0.00. The two sides are recomputed here
//! from the simulator's own manual journals and market rates.

use consol::demo::{LOAN_PAYABLE_LINE, LOAN_RECEIVABLE_LINE};
use consol::domain::{CurrencyCode, Month};
use consol::sim::demo_balance_sheet::{LOAN_ASSET_CODE, LOAN_LIABILITY_CODE};
use consol::sim::{Ledger, ListQuery};
use consol::xero::ManualJournalStatus;
use rust_decimal::Decimal;
use serde_json::Value;

use crate::backends;
use crate::helpers::{Backend, api_token, get_json, synced_demo_group};

backends!(the_demos_loan_has_its_own_lines_and_nothing_is_unmapped);

fn dec(v: &Value) -> Decimal {
    v.as_str()
        .unwrap_or_else(|| panic!("a decimal is a JSON string, not {v}"))
        .parse()
        .unwrap()
}

/// The balance of `code` at `at`'s end from the organisation's posted
/// manual journals (debits positive, in its base currency).
fn journalled(l: &Ledger, code: &str, at: Month) -> Decimal {
    l.get_manual_journals(&ListQuery::default())
        .unwrap()
        .manual_journals
        .into_iter()
        .filter(|j| j.status == Some(ManualJournalStatus::Posted))
        .filter(|j| j.date.is_some_and(|d| d.date() <= at.last_day()))
        .flat_map(|j| j.journal_lines.unwrap_or_default())
        .filter(|l| l.account_code.as_deref() == Some(code))
        .map(|l| l.line_amount.unwrap())
        .sum()
}

async fn the_demos_loan_has_its_own_lines_and_nothing_is_unmapped(backend: Backend) {
    let g = synced_demo_group(backend).await;
    let store = g.s.app.store();
    let gid = g.group.id;
    consol::demo::set_up_group(store, &g.group).await.unwrap();
    api_token(store, g.user_id, "consol_loan_token").await;
    let at = Month::of(chrono::Utc::now().date_naive()).prev();
    let v = get_json(
        &g.s.app.address,
        "consol_loan_token",
        &format!("/api/v1/groups/{gid}/reports/balance-sheet?at={at}"),
    )
    .await;
    let lines = v["lines"].as_array().unwrap_or_else(|| panic!("{v}"));
    let unmapped: Vec<&Value> = lines
        .iter()
        .filter(|l| {
            l["section"] == "Unmapped" || l["key"].as_str().unwrap().starts_with("unmapped:")
        })
        .collect();
    assert!(unmapped.is_empty(), "unmapped lines: {unmapped:?}");

    let entities = store.entities_for_group(gid).await.unwrap();
    let kea = entities.iter().find(|e| e.is_parent).unwrap();
    let wattle = entities
        .iter()
        .find(|e| e.base_currency.as_str() == "AUD")
        .unwrap();
    // The group account each side's account is mapped to (confirmed).
    let mappings = store.mappings(gid).await.unwrap();
    let chart = store.group_accounts(gid).await.unwrap();
    let kea_accounts = store.accounts_of(kea.organisation_id).await.unwrap();
    let wattle_accounts = store.accounts_of(wattle.organisation_id).await.unwrap();
    let line_of = |org: i64, accounts: &[consol::store::StoredAccount], code: &str| {
        let id = &accounts
            .iter()
            .find(|a| a.code.as_deref() == Some(code))
            .unwrap()
            .account_id;
        let m = mappings
            .iter()
            .find(|m| m.organisation_id == org && &m.account_id == id && m.confirmed)
            .unwrap_or_else(|| panic!("{code} is not mapped"));
        chart
            .iter()
            .find(|a| a.id == m.group_account_id)
            .unwrap()
            .clone()
    };
    let receivable = line_of(kea.organisation_id, &kea_accounts, LOAN_ASSET_CODE);
    let payable = line_of(
        wattle.organisation_id,
        &wattle_accounts,
        LOAN_LIABILITY_CODE,
    );
    assert_eq!(
        (receivable.code.as_str(), receivable.name.as_str()),
        LOAN_RECEIVABLE_LINE
    );
    assert_eq!(
        (payable.code.as_str(), payable.name.as_str()),
        LOAN_PAYABLE_LINE
    );
    let line = |id: i64| {
        lines
            .iter()
            .find(|l| l["key"] == format!("group:{id}"))
            .unwrap_or_else(|| panic!("no line group:{id} in {v}"))
    };
    let (r, p) = (line(receivable.id), line(payable.id));
    assert_eq!(r["section"], "Non-current Assets", "{r}");
    assert_eq!(p["section"], "Non-current Liabilities", "{p}");

    // Kea Holdings' side in NZD, the presentation currency, as journalled;
    // Wattle Trading's AUD liability at the month's closing rate from the
    // simulator's market table, rounded once to cents.
    let ledger = |e: &consol::store::EntityView, code: &'static str| {
        g.s.sim
            .state()
            .with_ledger(e.tenant_id.parse().unwrap(), |l| journalled(l, code, at))
            .unwrap()
    };
    let kea_side = ledger(kea, LOAN_ASSET_CODE);
    assert!(kea_side > Decimal::ZERO, "the demo lends");
    let closing = consol::sim::fx::rate(
        CurrencyCode::parse("AUD").unwrap(),
        CurrencyCode::parse("NZD").unwrap(),
        at.last_day(),
    );
    let wattle_side = (-ledger(wattle, LOAN_LIABILITY_CODE) * closing).round_dp(2);
    assert!(wattle_side > Decimal::ZERO, "the demo borrows");
    let value = |l: &Value, col: &str| dec(&l["values"][col]);
    let (kea_col, wattle_col) = (
        format!("entity:{}", kea.id),
        format!("entity:{}", wattle.id),
    );
    assert_eq!(value(r, &kea_col), kea_side, "{r}");
    assert_eq!(value(p, &wattle_col), wattle_side, "{p}");
    // Nobody else is on the loan lines, and each side is eliminated whole.
    for (l, own) in [(r, &kea_col), (p, &wattle_col)] {
        for e in &entities {
            let col = format!("entity:{}", e.id);
            if &col != own {
                assert!(value(l, &col).is_zero(), "{col} on {l}");
            }
        }
        assert_eq!(value(l, "eliminations"), -value(l, own), "{l}");
        assert_eq!(l["values"]["consolidated"], "0.00", "{l}");
    }
}

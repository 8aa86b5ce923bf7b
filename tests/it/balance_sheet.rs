//! The consolidated balance sheet end to end: the demo group synced from
//! the simulator over HTTP, set up as the demo is, read as an API user
//! would.

use consol::domain::Month;
use rust_decimal::Decimal;
use serde_json::Value;

use crate::backends;
use crate::helpers::{Backend, api_token, set_up_like_the_demo, synced_demo_group};

backends!(
    the_demo_groups_balance_sheet_balances_and_ties_to_xero,
    the_balance_sheet_page_shows_every_column_and_what_needs_attention,
);

fn dec(v: &Value) -> Decimal {
    v.as_str()
        .unwrap_or_else(|| panic!("a decimal is a JSON string, not {v}"))
        .parse()
        .unwrap()
}

async fn the_demo_groups_balance_sheet_balances_and_ties_to_xero(backend: Backend) {
    let g = synced_demo_group(backend).await;
    let store = g.s.app.store();
    set_up_like_the_demo(store, &g.group, g.user_id).await;
    api_token(store, g.user_id, "consol_bs_token").await;
    let at = Month::of(chrono::Utc::now().date_naive()).prev();
    let v: Value = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/groups/{}/reports/balance-sheet?at={at}",
            g.s.app.address, g.group.id
        ))
        .header("authorization", "Bearer consol_bs_token")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["currency"], "NZD", "{v}");
    assert_eq!(v["at"], at.to_string());
    // The contract's lines are all there, zero or not.
    let lines = v["lines"].as_array().unwrap();
    for key in [
        "total_assets",
        "total_liabilities",
        "net_assets",
        "total_equity",
        "current_year_earnings",
        "translation_reserve",
        "goodwill",
        "non_controlling_interest",
        "intercompany_difference",
    ] {
        assert!(lines.iter().any(|l| l["key"] == key), "{key} missing");
    }
    let columns: Vec<String> = v["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["key"].as_str().unwrap().to_string())
        .collect();
    // Five entities (Tui Ventures joined part-way), eliminations and the
    // consolidated column.
    assert_eq!(columns.len(), 5 + 2, "{columns:?}");
    // Every column balances to the cent.
    for c in &columns {
        assert_eq!(
            dec(&v["balance_check"][c]),
            Decimal::ZERO,
            "{c}: {}",
            v["warnings"]
        );
    }
    // Each entity's rows add up to Xero's own totals.
    for t in v["tie_out"].as_array().unwrap() {
        assert_eq!(t["status"], "ties", "{t}");
    }
    // The parent (NZD) column is its own balance sheet: its total assets
    // are Xero's, read from the simulator's ledger independently.
    let line = |key: &str| lines.iter().find(|l| l["key"] == key).unwrap();
    let entities = store.entities_for_group(g.group.id).await.unwrap();
    let parent = entities
        .iter()
        .find(|e| e.base_currency.as_str() == "NZD")
        .unwrap();
    let xero_parent_assets = g.s.xero_total_assets(parent.tenant_id.parse().unwrap(), at);
    assert_eq!(
        dec(&line("total_assets")["values"][format!("entity:{}", parent.id)]),
        xero_parent_assets
    );
    // Consolidated = entity columns + eliminations, for net assets.
    let na = &line("net_assets")["values"];
    let sum: Decimal = columns
        .iter()
        .filter(|c| *c != "consolidated")
        .map(|c| dec(&na[c]))
        .sum();
    assert_eq!(sum, dec(&na["consolidated"]));
    // Ownership not set up yet is said, not hidden.
    let warnings = v["warnings"].to_string();
    assert!(warnings.contains("ownership is not set up"), "{warnings}");
}

async fn the_balance_sheet_page_shows_every_column_and_what_needs_attention(backend: Backend) {
    let mut g = synced_demo_group(backend).await;
    set_up_like_the_demo(g.s.app.store(), &g.group, g.user_id).await;
    let at = Month::of(chrono::Utc::now().date_naive()).prev();
    let path = format!("/groups/{}/reports/balance-sheet", g.group.id);
    let page = g.s.app.client.get(&format!("{path}?at={at}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Every column balances"), "{}", page.body);
    for e in
        g.s.app
            .store()
            .entities_for_group(g.group.id)
            .await
            .unwrap()
    {
        assert!(
            // Up to any character HTML escapes (Thistle & Co).
            page.body
                .contains(&format!(">{}", e.name.split('&').next().unwrap())),
            "{}",
            e.name
        );
    }
    for text in [
        "Foreign currency translation reserve",
        "Non-controlling interest",
        "Total Equity",
        "id=\"translation-reserve\"",
        "ownership is not set up",
    ] {
        assert!(page.body.contains(text), "{text}");
    }
    // The group page links to it; a bad month is explained.
    let group = g.s.app.client.get(&format!("/groups/{}", g.group.id)).await;
    assert!(
        group.body.contains(&path),
        "the group page links the balance sheet"
    );
    let bad = g.s.app.client.get(&format!("{path}?at=2026-13")).await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("choose a month"), "{}", bad.body);
    // The comparison column, and an unknown comparison explained.
    let cmp =
        g.s.app
            .client
            .get(&format!("{path}?at={at}&compare=prior_month"))
            .await;
    assert_eq!(cmp.status, 200);
    assert!(
        cmp.body.contains(&format!("Consolidated {}", at.prev())),
        "{}",
        cmp.body
    );
    assert!(cmp.body.contains("format=xlsx"), "the Excel link");
    let bad =
        g.s.app
            .client
            .get(&format!("{path}?at={at}&compare=yesterday"))
            .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("Unknown comparison"), "{}", bad.body);
}

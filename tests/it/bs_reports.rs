//! The balance sheet through the report service (issue 14): built once per
//! data version and served to the page, the API, the cell drill-down and
//! the dashboard from that one build; the version moving with what only
//! the balance sheet reads (migration 0021: accounts marked intercompany,
//! payments, allocations, overpayments, prepayments), so a change there is
//! never answered from the report built before it.

use std::sync::Arc;

use consol::consolidation;
use consol::domain::Month;
use consol::reports::Reports;
use consol::sim::demo_balance_sheet::LOAN_ASSET_CODE;
use consol::store::{Group, Store};
use serde_json::{Value, json};

use crate::helpers::{Backend, SyncedGroup, api_token, set_up_like_the_demo, synced_demo_group};

crate::backends!(the_balance_sheet_is_built_once_per_version_and_follows_its_changes);

const TOKEN: &str = "consol_bs_reports_token";

/// The fresh run: the loader and the engine, nothing cached.
async fn fresh(store: &Store, group: &Group, at: Month) -> Value {
    serde_json::to_value(
        consolidation::balance_sheet::balance_sheet(store, group, at)
            .await
            .unwrap(),
    )
    .unwrap()
}

/// Touches every payment of an organisation as a sync's rewrite would
/// (same values: a sync rewrites what Xero sent, changed or not).
async fn rewrite_payments(store: &Store, org: i64) -> u64 {
    const SQL: &str = "UPDATE payments SET status = status WHERE organisation_id = $1";
    match store {
        Store::Sqlite(p) => sqlx::query(SQL)
            .bind(org)
            .execute(p)
            .await
            .unwrap()
            .rows_affected(),
        Store::Postgres(p) => sqlx::query(SQL)
            .bind(org)
            .execute(p)
            .await
            .unwrap()
            .rows_affected(),
    }
}

async fn the_balance_sheet_is_built_once_per_version_and_follows_its_changes(backend: Backend) {
    let SyncedGroup { s, group, user_id } = synced_demo_group(backend).await;
    let store = s.app.store();
    set_up_like_the_demo(store, &group, user_id).await;
    api_token(store, user_id, TOKEN).await;
    let at = Month::of(chrono::Utc::now().date_naive()).prev();

    // The service's report is the fresh run's, and asked again at the same
    // version it is the one built.
    let reports = Arc::new(Reports::default());
    let first = reports.balance_sheet(store, &group, at).await.unwrap();
    assert_eq!(
        serde_json::to_value(&first.report).unwrap(),
        fresh(store, &group, at).await
    );
    let again = reports.balance_sheet(store, &group, at).await.unwrap();
    assert!(Arc::ptr_eq(&first, &again), "served from what was built");
    assert_eq!(
        first.version,
        store.data_version(group.id).await.unwrap().unwrap()
    );

    // The API answers with the same report.
    let http = reqwest::Client::new();
    let api = format!(
        "{}/api/v1/groups/{}/reports/balance-sheet?at={at}",
        s.app.address, group.id
    );
    let get = |url: String| {
        let http = http.clone();
        async move {
            let r = http.get(url).bearer_auth(TOKEN).send().await.unwrap();
            assert_eq!(r.status().as_u16(), 200);
            r.json::<Value>().await.unwrap()
        }
    };
    let before = get(api.clone()).await;
    assert_eq!(before, serde_json::to_value(&first.report).unwrap());

    // Marking Kea Holdings' loan to Wattle Trading intercompany is a set-up
    // change only the balance sheet reads: the version moves, and the
    // next answer is a new build with the loan eliminated.
    let entities = store.entities_for_group(group.id).await.unwrap();
    let kea = entities.iter().find(|e| e.is_parent).unwrap();
    let wattle = entities
        .iter()
        .find(|e| e.base_currency.as_str() == "AUD")
        .unwrap();
    let loan = store
        .accounts_of(kea.organisation_id)
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.code.as_deref() == Some(LOAN_ASSET_CODE))
        .unwrap()
        .account_id;
    let v0 = store.data_version(group.id).await.unwrap().unwrap();
    let r = http
        .put(format!(
            "{}/api/v1/groups/{}/intercompany-accounts",
            s.app.address, group.id
        ))
        .bearer_auth(TOKEN)
        .json(
            &json!([{"entity_id": kea.id, "account_id": loan, "counterpart_entity_id": wattle.id}]),
        )
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    let v1 = store.data_version(group.id).await.unwrap().unwrap();
    assert_ne!(v1, v0, "marking an account intercompany moves the version");
    let after = get(api.clone()).await;
    assert_eq!(after, fresh(store, &group, at).await);
    assert_ne!(after, before, "the marked loan changes the balance sheet");
    assert_ne!(
        after["intercompany_balances"], before["intercompany_balances"],
        "the loan joins the intercompany balances"
    );
    let newer = reports.balance_sheet(store, &group, at).await.unwrap();
    assert!(!Arc::ptr_eq(&first, &newer), "a new version is a new build");
    assert_eq!(newer.version, v1);

    // A sync's rewrite of payments (read by the intercompany balances)
    // moves the version too.
    let mut touched = 0;
    for e in &entities {
        touched += rewrite_payments(store, e.organisation_id).await;
    }
    assert!(touched > 0, "the demo's organisations have payments");
    assert_ne!(
        store.data_version(group.id).await.unwrap().unwrap(),
        v1,
        "a payment's rewrite moves the version"
    );

    // The drill-down opens a cell of the report the page shows: its value
    // is the JSON's.
    let line = after["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["section"] != "Totals")
        .unwrap();
    let key = line["key"].as_str().unwrap();
    let cell = get(format!(
        "{}/api/v1/groups/{}/reports/balance-sheet/cell?at={at}&line={key}&column=consolidated",
        s.app.address, group.id
    ))
    .await;
    assert_eq!(cell["value"], line["values"]["consolidated"], "{cell}");
}

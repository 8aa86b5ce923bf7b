//! Group accounts of the balance-sheet classes carry the section of Xero's
//! balance sheet (issue 12): a chart started from an entity's chart takes
//! each account's section from its Xero type, the balance sheet shows its
//! lines under those sections in Xero's order with a subtotal each, a bad
//! section given over the API is refused by row, and accounts stored with
//! the single "Balance Sheet" of earlier versions are given theirs by
//! migration 0022.

use std::collections::HashMap;

use consol::domain::Month;
use consol::store::Store;
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::backends;
use crate::helpers::{
    Backend, api_token, connect_demo_group, set_up_like_the_demo, spawn_with_sim,
    synced_demo_group, user_id,
};

backends!(
    a_started_chart_carries_xeros_sections_and_the_balance_sheet_shows_them,
    a_bad_section_is_refused_by_row_and_nothing_is_stored,
);

/// The section Xero's balance sheet shows an account of each type under
/// (Xero's account types; the simulator's report does the same).
fn xero_section(account_type: &str) -> Option<&'static str> {
    Some(match account_type {
        "BANK" => "Bank",
        "CURRENT" | "INVENTORY" | "PREPAYMENT" => "Current Assets",
        "FIXED" => "Fixed Assets",
        "NONCURRENT" => "Non-current Assets",
        "CURRLIAB" | "LIABILITY" => "Current Liabilities",
        "TERMLIAB" => "Non-current Liabilities",
        "EQUITY" => "Equity",
        _ => return None,
    })
}

const ORDER: [&str; 9] = [
    "Bank",
    "Current Assets",
    "Fixed Assets",
    "Non-current Assets",
    "Current Liabilities",
    "Non-current Liabilities",
    "Equity",
    "Unmapped",
    "Totals",
];

fn dec(v: &Value) -> Decimal {
    v.as_str()
        .unwrap_or_else(|| panic!("a decimal is a JSON string, not {v}"))
        .parse()
        .unwrap()
}

async fn sections(store: &Store, group: i64) -> HashMap<String, (String, String)> {
    store
        .group_accounts(group)
        .await
        .unwrap()
        .into_iter()
        .map(|g| (g.code, (g.class, g.section)))
        .collect()
}

async fn run_sql(store: &Store, sql: &'static str) {
    match store {
        Store::Sqlite(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
        Store::Postgres(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
    }
    .unwrap();
}

async fn a_started_chart_carries_xeros_sections_and_the_balance_sheet_shows_them(backend: Backend) {
    let mut g = synced_demo_group(backend).await;
    let store = g.s.app.store().clone();
    let gid = g.group.id;
    // The demo's set-up starts the chart from the parent's chart.
    set_up_like_the_demo(&store, &g.group, g.user_id).await;
    let parent = store
        .entities_for_group(gid)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.is_parent)
        .unwrap();
    let types: HashMap<String, String> = store
        .accounts_of(parent.organisation_id)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|a| Some((a.code?, a.account_type)))
        .collect();
    let chart = sections(&store, gid).await;
    let mut seen = std::collections::BTreeSet::new();
    for (code, (class, section)) in &chart {
        if !["ASSET", "LIABILITY", "EQUITY"].contains(&class.as_str()) {
            continue;
        }
        let want = xero_section(&types[code]).unwrap_or(match class.as_str() {
            "ASSET" => "Current Assets",
            "LIABILITY" => "Current Liabilities",
            _ => "Equity",
        });
        assert_eq!(section, want, "{code} ({})", types[code]);
        seen.insert(section.clone());
    }
    for s in ["Bank", "Current Assets", "Current Liabilities", "Equity"] {
        assert!(seen.contains(s), "{s} not in {seen:?}");
    }

    // The balance sheet: lines under their group account's section, the
    // sections in Xero's order, each in one run, each asset and liability
    // section closed by its subtotal.
    api_token(&store, g.user_id, "consol_sections_token").await;
    let at = Month::of(chrono::Utc::now().date_naive()).prev();
    let v: Value = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/groups/{gid}/reports/balance-sheet?at={at}",
            g.s.app.address
        ))
        .header("authorization", "Bearer consol_sections_token")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let lines = v["lines"].as_array().unwrap();
    let by_id: HashMap<String, String> = store
        .group_accounts(gid)
        .await
        .unwrap()
        .into_iter()
        .map(|a| (format!("group:{}", a.id), a.section))
        .collect();
    let mut runs: Vec<&str> = Vec::new();
    for l in lines {
        let section = l["section"].as_str().unwrap();
        if let Some(s) = by_id.get(l["key"].as_str().unwrap()) {
            assert_eq!(section, s, "{l}");
        }
        if runs.last() != Some(&section) {
            assert!(!runs.contains(&section), "{section} twice: {runs:?}");
            runs.push(section);
        }
    }
    let positions: Vec<usize> = runs
        .iter()
        .map(|s| ORDER.iter().position(|o| o == s).unwrap())
        .collect();
    assert!(positions.is_sorted(), "{runs:?}");
    assert!(
        runs.contains(&"Bank") && runs.contains(&"Equity"),
        "{runs:?}"
    );
    // Each subtotal is its section's lines added up, in every column.
    let columns: Vec<&str> = v["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["key"].as_str().unwrap())
        .collect();
    let mut subtotals = 0;
    for s in &runs[..runs.len() - 1] {
        let of: Vec<&Value> = lines.iter().filter(|l| l["section"] == *s).collect();
        let (total, rest) = of.split_last().unwrap();
        if *s == "Equity" || *s == "Unmapped" {
            assert!(!total["key"].as_str().unwrap().starts_with("total:"));
            continue;
        }
        assert_eq!(total["account_name"], format!("Total {s}"), "{total}");
        subtotals += 1;
        for c in &columns {
            let sum: Decimal = rest.iter().map(|l| dec(&l["values"][c])).sum();
            assert_eq!(dec(&total["values"][c]), sum, "{s} {c}");
        }
    }
    assert!(subtotals >= 3, "{runs:?}");

    // The page shows the section headings in the same order.
    let page =
        g.s.app
            .client
            .get(&format!("/groups/{gid}/reports/balance-sheet?at={at}"))
            .await;
    assert_eq!(page.status, 200);
    let at_of = |s: &str| {
        page.body
            .find(&format!("\">{s}</th></tr>"))
            .unwrap_or_else(|| panic!("no heading {s}"))
    };
    let headings: Vec<usize> = runs.iter().map(|s| at_of(s)).collect();
    assert!(headings.is_sorted(), "{runs:?}");
    assert!(page.body.contains("Total Bank"));

    // The mappings page names each group account's section, so a user
    // choosing where an account goes sees where it will show.
    let mappings = g.s.app.client.get(&format!("/groups/{gid}/mappings")).await;
    assert_eq!(mappings.status, 200);
    let options: Vec<&str> = mappings
        .body
        .split("<option")
        .skip(1)
        .filter_map(|o| Some(&o[o.find('>')? + 1..o.find("</option>")?]))
        .collect();
    for (code, (_, section)) in &chart {
        let option = options
            .iter()
            .find(|o| o.starts_with(&format!("{code} ")))
            .unwrap_or_else(|| panic!("group account {code} not offered"));
        assert!(
            option.ends_with(&format!(" · {section}")),
            "{code}: {option}"
        );
    }

    // Accounts stored by an earlier version with the single "Balance
    // Sheet" get back the sections of their mapped Xero accounts from
    // migration 0022, and the group's audit log says so.
    let before = sections(&store, gid).await;
    run_sql(
        &store,
        "UPDATE group_accounts SET section = 'Balance Sheet' \
         WHERE class IN ('ASSET', 'LIABILITY', 'EQUITY')",
    )
    .await;
    assert!(
        sections(&store, gid)
            .await
            .values()
            .any(|(_, s)| s == "Balance Sheet")
    );
    run_sql(
        &store,
        match backend {
            Backend::Sqlite => {
                include_str!("../../migrations/sqlite/0022_balance_sheet_sections.sql")
            }
            Backend::Postgres => {
                include_str!("../../migrations/postgres/0022_balance_sheet_sections.sql")
            }
        },
    )
    .await;
    assert_eq!(sections(&store, gid).await, before);
    let audit = store.audit_log(Some(gid), 50).await.unwrap();
    assert!(
        audit.iter().any(|(_, a)| a.action == "chart.sections"),
        "{:?}",
        audit.iter().map(|(_, a)| &a.action).collect::<Vec<_>>()
    );
}

async fn a_bad_section_is_refused_by_row_and_nothing_is_stored(backend: Backend) {
    let mut s = spawn_with_sim(backend).await;
    let gid = connect_demo_group(&mut s, None).await;
    let store = s.app.store().clone();
    let uid = user_id(&store, "fin@example.com").await;
    api_token(&store, uid, "consol_chart_token").await;
    let post = |body: Value| {
        let url = format!("{}/api/v1/groups/{gid}/chart", s.app.address);
        async move {
            let r = reqwest::Client::new()
                .post(url)
                .header("authorization", "Bearer consol_chart_token")
                .json(&body)
                .send()
                .await
                .unwrap();
            (r.status(), r.json::<Value>().await.unwrap())
        }
    };
    let (status, e) = post(json!({ "accounts": [
        { "code": "090", "name": "Cash", "class": "ASSET", "section": "Bank" },
        { "code": "091", "name": "Old style", "class": "ASSET", "section": "Balance Sheet" },
        { "code": "900", "name": "Loan", "class": "LIABILITY", "section": "Fixed Assets" },
        { "code": "970", "name": "Capital", "class": "EQUITY", "section": "Current Assets" },
    ]}))
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let rows = e["error"]["details"]["rows"].as_array().unwrap();
    let named: Vec<u64> = rows.iter().map(|r| r["row"].as_u64().unwrap()).collect();
    assert_eq!(named, [2, 3, 4], "{e}");
    assert!(
        rows[0]["errors"][0]
            .as_str()
            .unwrap()
            .contains("Bank, Current Assets, Fixed Assets, Non-current Assets"),
        "{e}"
    );
    assert!(store.group_accounts(gid).await.unwrap().is_empty());

    // Good rows are stored with Xero's titles, whatever their case.
    let (status, ok) = post(json!({ "accounts": [
        { "code": "090", "name": "Cash", "class": "ASSET", "section": "bank" },
        { "code": "900", "name": "Loan", "class": "LIABILITY", "section": "Non-Current Liabilities" },
    ]}))
    .await;
    assert_eq!(status, StatusCode::CREATED, "{ok}");
    let stored = sections(&store, gid).await;
    assert_eq!(stored["090"].1, "Bank");
    assert_eq!(stored["900"].1, "Non-current Liabilities");
}

//! Subsidiaries' ownership over the API: every bad row named and nothing
//! stored, circles refused, the change audited, and the balance sheet
//! taking the non-controlling interest from it. Only an administrator
//! changes it, by the API as on the page.

use consol::domain::Month;
use consol::store::{ReportKind, RowKind};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::backends;
use crate::helpers::{Backend, api_token, create_user, set_up_like_the_demo, synced_demo_group};

backends!(
    ownership_is_validated_audited_and_used_by_the_balance_sheet,
    an_editor_cannot_change_ownership_by_the_api,
);

fn dec(v: &Value) -> Decimal {
    v.as_str()
        .unwrap_or_else(|| panic!("a decimal is a JSON string, not {v}"))
        .parse()
        .unwrap()
}

async fn ownership_is_validated_audited_and_used_by_the_balance_sheet(backend: Backend) {
    let g = synced_demo_group(backend).await;
    let store = g.s.app.store();
    set_up_like_the_demo(store, &g.group, g.user_id).await;
    api_token(store, g.user_id, "consol_owner_token").await;
    let gid = g.group.id;
    let http = reqwest::Client::new();
    let url = format!("{}/api/v1/groups/{gid}/ownership", g.s.app.address);
    let put = |body: Value| {
        let http = http.clone();
        let url = url.clone();
        async move {
            let resp = http
                .put(url)
                .header("authorization", "Bearer consol_owner_token")
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = resp.status().as_u16();
            (status, resp.json::<Value>().await.unwrap())
        }
    };
    let entities = store.entities_for_group(gid).await.unwrap();
    let parent = entities.iter().find(|e| e.is_parent).unwrap().clone();
    let sub = entities
        .iter()
        .find(|e| e.base_currency.as_str() == "AUD")
        .unwrap()
        .clone();

    // The sub's equity at acquisition: its Net Assets on its first synced
    // balance sheet, at that month's closing rate, read from the store.
    let first = store
        .stored_months(sub.organisation_id, ReportKind::BalanceSheet.as_str())
        .await
        .unwrap()[0];
    let equity = store
        .report_month(sub.organisation_id, ReportKind::BalanceSheet, first)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.kind != RowKind::Account && r.label == "Net Assets")
        .unwrap()
        .amount;
    let rate = store
        .fx_rates(gid)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.currency == sub.base_currency && r.month == first)
        .unwrap()
        .closing;
    let good = json!({
        "entity_id": sub.id,
        "owner_entity_id": parent.id,
        "percent": "80",
        "acquired": first.to_string(),
        "equity_at_acquisition": equity.to_string(),
        "historical_rate": rate.to_string(),
    });

    // Bad rows: each named, nothing stored.
    let mut owns_itself = good.clone();
    owns_itself["owner_entity_id"] = json!(sub.id);
    let mut zero = good.clone();
    zero["entity_id"] = json!(
        entities
            .iter()
            .find(|e| e.base_currency.as_str() == "GBP")
            .unwrap()
            .id
    );
    zero["percent"] = json!("0");
    let mut number = good.clone();
    number["entity_id"] = json!(
        entities
            .iter()
            .find(|e| e.base_currency.as_str() == "USD")
            .unwrap()
            .id
    );
    number["historical_rate"] = json!(1.1);
    number["acquired"] = json!("2026-13");
    number["investment_account_ids"] = json!(["not-an-account"]);
    let (status, e) = put(json!([good.clone(), owns_itself, zero, number])).await;
    assert_eq!(status, 422, "{e}");
    let rows: Vec<u64> = e["error"]["details"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["row"].as_u64().unwrap())
        .collect();
    assert_eq!(rows, vec![2, 3, 4], "{e}");
    let errors = e["error"]["details"]["rows"][2]["errors"].to_string();
    for field in ["historical_rate", "acquired", "investment_account_ids"] {
        assert!(errors.contains(field), "{field}: {errors}");
    }
    assert!(store.ownership(gid).await.unwrap().is_empty());

    // A circle is refused.
    let mut back = good.clone();
    back["entity_id"] = json!(parent.id);
    back["owner_entity_id"] = json!(sub.id);
    let (status, e) = put(json!([good.clone(), back])).await;
    assert_eq!(status, 422, "{e}");
    assert!(store.ownership(gid).await.unwrap().is_empty());

    // The good row is stored and audited.
    let (status, ok) = put(json!([good.clone()])).await;
    assert_eq!(status, 200, "{ok}");
    assert_eq!(ok["ownership"][0]["percent"], "80");
    let audit = store
        .group_audit_page(gid, None, Some("ownership"), 10)
        .await
        .unwrap();
    assert_eq!(audit.len(), 1);
    assert!(audit[0].detail.contains(&sub.name), "{}", audit[0].detail);
    assert!(audit[0].detail.contains("80%"), "{}", audit[0].detail);

    // The balance sheet: 20% of the sub's equity is the non-controlling
    // interest, and the columns still balance.
    let at = Month::of(chrono::Utc::now().date_naive()).prev();
    let v: Value = http
        .get(format!(
            "{}/api/v1/groups/{gid}/reports/balance-sheet?at={at}",
            g.s.app.address
        ))
        .header("authorization", "Bearer consol_owner_token")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let lines = v["lines"].as_array().unwrap();
    let value =
        |key: &str, col: &str| dec(&lines.iter().find(|l| l["key"] == key).unwrap()["values"][col]);
    let col = format!("entity:{}", sub.id);
    let parts: Vec<Decimal> = [
        "equity_at_acquisition",
        "retained_earnings",
        "current_year_earnings",
        "translation_reserve",
    ]
    .iter()
    .map(|k| value(k, &col))
    .collect();
    let expected_nci: Decimal = parts
        .iter()
        .map(|p| (p * Decimal::new(20, 2)).round_dp(2))
        .sum();
    let nci = value("non_controlling_interest", "consolidated");
    assert!(
        (nci - expected_nci).abs() <= Decimal::new(2, 2),
        "{nci} vs {expected_nci}"
    );
    assert!(!nci.is_zero());
    assert_eq!(
        dec(&v["profit_attributable_to_nci"]),
        (parts[2] * Decimal::new(20, 2)).round_dp(2)
    );
    for (c, b) in v["balance_check"].as_object().unwrap() {
        assert_eq!(dec(b), Decimal::ZERO, "{c}");
    }
    let warnings = v["warnings"].to_string();
    assert!(!warnings.contains(&format!("{}: its ownership is not set up", sub.name)));

    // Later contributions: a bad one is named by its position and nothing
    // changes; a good one is stored, audited and becomes equity at its own
    // rate.
    let before_equity = value("equity_at_acquisition", &col);
    let before_check = dec(&v["balance_check"][&col]);
    assert!(first.plus(1) <= at, "the demo has history after {first}");
    let mut bad = good.clone();
    bad["contributions"] = json!([
        { "month": first.to_string(), "amount": "1000", "historical_rate": "1.1" },
        { "month": first.plus(1).to_string(), "amount": 1000, "historical_rate": "0" },
    ]);
    let (status, e) = put(json!([bad])).await;
    assert_eq!(status, 422, "{e}");
    let errors = e["error"]["details"]["rows"][0]["errors"].to_string();
    for part in [
        "contributions[1].month",
        "contributions[2].amount",
        "contributions[2].historical_rate",
    ] {
        assert!(errors.contains(part), "{part}: {errors}");
    }
    assert!(
        store.ownership(gid).await.unwrap()[0]
            .contributions
            .is_empty()
    );
    let mut with = good.clone();
    with["contributions"] = json!([
        { "month": first.plus(1).to_string(), "amount": "2500.50", "historical_rate": "1.0333" },
    ]);
    let (status, ok) = put(json!([with])).await;
    assert_eq!(status, 200, "{ok}");
    assert_eq!(ok["ownership"][0]["contributions"][0]["amount"], "2500.50");
    assert_eq!(
        ok["ownership"][0]["contributions"][0]["historical_rate"],
        "1.0333"
    );
    let audit = store
        .group_audit_page(gid, None, Some("ownership"), 10)
        .await
        .unwrap();
    assert_eq!(audit.len(), 2);
    assert!(
        audit.iter().any(|a| a.detail.contains("2500.50 in")),
        "{audit:?}"
    );
    let v: Value = http
        .get(format!(
            "{}/api/v1/groups/{gid}/reports/balance-sheet?at={at}",
            g.s.app.address
        ))
        .header("authorization", "Bearer consol_owner_token")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let lines = v["lines"].as_array().unwrap();
    let value =
        |key: &str, col: &str| dec(&lines.iter().find(|l| l["key"] == key).unwrap()["values"][col]);
    // 2,500.50 x 1.0333 = 2,583.76665, to the cent 2,583.77.
    assert_eq!(
        value("equity_at_acquisition", &col) - before_equity,
        Decimal::new(258377, 2)
    );
    // The sub's books in the simulator hold no such contribution, so its
    // column no longer balances, and the report says so instead of
    // plugging the reserve. (The CTA moves by the contribution's rate
    // difference, so the check moves by at most the contribution.)
    assert_ne!(dec(&v["balance_check"][&col]), before_check);
    assert!(v["warnings"].to_string().contains("differ by"), "{v}");

    // Removing it puts it back to the assumption.
    let (status, _) = put(json!([{ "entity_id": sub.id, "remove": true }])).await;
    assert_eq!(status, 200);
    assert!(store.ownership(gid).await.unwrap().is_empty());
}

/// Ownership moves the non-controlling interest and the investment
/// elimination, so the API asks for the administrator role as the page
/// does: an editor's valid row is refused in the API's error shape and
/// nothing is stored or audited; the administrator's same row is stored.
async fn an_editor_cannot_change_ownership_by_the_api(backend: Backend) {
    let g = synced_demo_group(backend).await;
    let store = g.s.app.store();
    let gid = g.group.id;
    api_token(store, g.user_id, "consol_owner_admin").await;
    let editor = create_user(store, "editor@example.com", "an editor's password").await;
    store
        .set_member(
            gid,
            editor,
            consol::store::GroupRole::Editor,
            None,
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    api_token(store, editor, "consol_owner_editor").await;
    let entities = store.entities_for_group(gid).await.unwrap();
    let parent = entities.iter().find(|e| e.is_parent).unwrap().clone();
    let sub = entities.iter().find(|e| !e.is_parent).unwrap().clone();
    let first = store
        .stored_months(sub.organisation_id, ReportKind::BalanceSheet.as_str())
        .await
        .unwrap()[0];
    let row = json!([{
        "entity_id": sub.id,
        "owner_entity_id": parent.id,
        "percent": "60",
        "acquired": first.to_string(),
        "equity_at_acquisition": "100000",
        "historical_rate": "1.1",
    }]);
    let http = reqwest::Client::new();
    let url = format!("{}/api/v1/groups/{gid}/ownership", g.s.app.address);
    let put = |token: &'static str| {
        let http = http.clone();
        let url = url.clone();
        let row = row.clone();
        async move {
            let resp = http
                .put(url)
                .header("authorization", format!("Bearer {token}"))
                .json(&row)
                .send()
                .await
                .unwrap();
            let status = resp.status().as_u16();
            (status, resp.json::<Value>().await.unwrap())
        }
    };

    let (status, e) = put("consol_owner_editor").await;
    assert_eq!(status, 403, "{e}");
    assert_eq!(e["error"]["code"], "forbidden", "{e}");
    assert!(
        e["error"]["message"].as_str().unwrap().contains("admin"),
        "{e}"
    );
    assert!(store.ownership(gid).await.unwrap().is_empty());
    let audit = store
        .group_audit_page(gid, None, Some("ownership"), 10)
        .await
        .unwrap();
    assert_eq!(audit.len(), 0, "nothing audited");
    // The editor still reads it.
    let read = http
        .get(&url)
        .header("authorization", "Bearer consol_owner_editor")
        .send()
        .await
        .unwrap();
    assert_eq!(read.status().as_u16(), 200);

    let (status, ok) = put("consol_owner_admin").await;
    assert_eq!(status, 200, "{ok}");
    let stored = store.ownership(gid).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].entity_id, sub.id);
    assert_eq!(stored[0].percent, Decimal::from(60));
}

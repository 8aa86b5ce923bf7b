//! The P&L's profit attributable to owners of the parent and to
//! non-controlling interests, over the API: absent while every subsidiary
//! is wholly owned; with one owned 80% since part-way through the period,
//! the outside shareholders get 20% of its profit of the months after
//! acquisition, recomputed here from the report's own month columns.

use consol::domain::Month;
use consol::store::OwnershipRow;
use rust_decimal::Decimal;
use serde_json::Value;

use crate::backends;
use crate::helpers::{Backend, api_token, set_up_like_the_demo, synced_demo_group};

backends!(profit_is_attributed_to_the_non_controlling_interest_after_acquisition);

fn dec(v: &Value) -> Decimal {
    v.as_str()
        .unwrap_or_else(|| panic!("a decimal is a JSON string, not {v}"))
        .parse()
        .unwrap()
}

async fn profit_is_attributed_to_the_non_controlling_interest_after_acquisition(backend: Backend) {
    let g = synced_demo_group(backend).await;
    let store = g.s.app.store();
    set_up_like_the_demo(store, &g.group, g.user_id).await;
    api_token(store, g.user_id, "consol_attr_token").await;
    let gid = g.group.id;
    let at = Month::of(chrono::Utc::now().date_naive()).prev();
    let (from, to) = (at.plus(-11), at);
    let pnl = || async {
        reqwest::Client::new()
            .get(format!(
                "{}/api/v1/groups/{gid}/reports/profit-and-loss?from={from}&to={to}",
                g.s.app.address
            ))
            .bearer_auth("consol_attr_token")
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    };
    assert!(pnl().await.get("profit_attribution").is_none());

    let entities = store.entities_for_group(gid).await.unwrap();
    let parent = entities.iter().find(|e| e.is_parent).unwrap();
    let sub = entities
        .iter()
        .find(|e| e.base_currency.as_str() == "AUD")
        .unwrap();
    let acquired = at.plus(-6);
    let row = OwnershipRow {
        entity_id: sub.id,
        owner_entity_id: parent.id,
        percent: Decimal::from(80),
        acquired,
        equity_at_acquisition: Decimal::from(1000),
        historical_rate: Decimal::ONE,
        investment_accounts: vec![],
        contributions: vec![],
    };
    store
        .set_ownership(
            gid,
            &[row],
            &[],
            &|id| format!("entity {id}"),
            Some(g.user_id),
            chrono::Utc::now(),
        )
        .await
        .unwrap();

    let v = pnl().await;
    let a = &v["profit_attribution"];
    let col = format!("entity:{}", sub.id);
    let months = v["months"].as_array().unwrap();
    assert_eq!(months.len(), 12);
    let after: Decimal = months
        .iter()
        .filter(|m| Month::parse(m["month"].as_str().unwrap()).unwrap() > acquired)
        .map(|m| dec(&m["net_profit"][&col]))
        .sum();
    let whole: Decimal = months.iter().map(|m| dec(&m["net_profit"][&col])).sum();
    assert_ne!(after, whole, "the months before acquisition matter here");
    let nci = (after * Decimal::new(20, 2)).round_dp(2);
    assert_eq!(dec(&a["non_controlling_interests"]), nci, "{a}");
    assert_eq!(dec(&a["by_entity"][0]["profit"]), after);
    let total = dec(&v["net_profit"]["consolidated"]);
    assert_eq!(dec(&a["owners_of_the_parent"]) + nci, total);
}

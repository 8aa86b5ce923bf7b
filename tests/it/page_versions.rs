//! The group page and the P&L page keep what they build from a report per
//! data version (`web::page_cache`): a rate changed after a view shows on
//! the next view of both, as the JSON API (which reads the report service,
//! not the pages' cache) has it.

use consol::domain::Month;
use consol::sim::http::{DataChoice, SimConfig};
use consol::web::format::accounting;
use rust_decimal::Decimal;
use serde_json::Value;

use crate::backends;
use crate::helpers::{Backend, Client, set_up_like_the_demo, synced_demo_group_with};

backends!(
    a_rate_changed_after_a_view_shows_on_the_next_view,
    a_sync_or_an_entity_added_after_a_view_shows_on_the_next_view
);

/// The consolidated net profit of `from`..`to` from the JSON API.
async fn api_net_profit(c: &mut Client, gid: i64, from: Month, to: Month) -> Decimal {
    let r = c
        .get(&format!(
            "/api/v1/groups/{gid}/reports/profit-and-loss?from={from}&to={to}&format=json"
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v: Value = serde_json::from_str(&r.body).unwrap();
    v["net_profit"]["consolidated"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// The consolidated net assets at the end of `at` from the JSON API.
async fn api_net_assets(c: &mut Client, gid: i64, at: Month) -> Decimal {
    let r = c
        .get(&format!(
            "/api/v1/groups/{gid}/reports/balance-sheet?at={at}"
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v: Value = serde_json::from_str(&r.body).unwrap();
    let line = v["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["key"] == "net_assets")
        .expect("a net assets line");
    line["values"]["consolidated"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// The page's part between `id="{id}"` and the next `</table>`.
fn table<'a>(body: &'a str, id: &str) -> &'a str {
    let from = body
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("the page has no table {id}: {body}"));
    let t = &body[from..];
    &t[..t.find("</table>").expect("the table ends")]
}

async fn a_rate_changed_after_a_view_shows_on_the_next_view(backend: Backend) {
    let mut g = synced_demo_group_with(
        backend,
        SimConfig {
            data: DataChoice::Demo,
            auto_approve: true,
            months: 3,
            ..SimConfig::default()
        },
    )
    .await;
    let store = g.s.app.store().clone();
    set_up_like_the_demo(&store, &g.group, g.user_id).await;
    let gid = g.group.id;
    let last = Month::of(chrono::Utc::now().date_naive()).prev();
    let from = last.plus(-11);
    let fye = g.group.financial_year_end_month.clamp(1, 12) as u32;
    let fy_start = last.financial_year_end(fye).plus(-11);
    let c = &mut g.s.app.client;
    let pnl_path = format!("/groups/{gid}/reports/profit-and-loss?from={from}&to={last}");
    let group_path = format!("/groups/{gid}");

    // Each page is viewed twice at the first rates, so the second view is
    // one the cache answers.
    let before = api_net_profit(c, gid, from, last).await;
    let kpi_before = api_net_profit(c, gid, fy_start, last).await;
    let assets_before = api_net_assets(c, gid, last).await;
    for _ in 0..2 {
        let pnl = c.get(&pnl_path).await;
        assert_eq!(pnl.status, 200);
        assert!(table(&pnl.body, "pnl").contains(&accounting(before, 2)));
        let dash = c.get(&group_path).await;
        assert_eq!(dash.status, 200);
        assert!(
            table(&dash.body, "kpis").contains(&accounting(kpi_before, 2)),
            "the group page's KPIs show {kpi_before}"
        );
        assert!(
            table(&dash.body, "balance-summary").contains(&accounting(assets_before, 2)),
            "the group page's balance sheet shows net assets of {assets_before}"
        );
    }

    // Every rate doubled: the foreign entities' figures change, so the
    // consolidated net profit does.
    let doubled: Vec<_> = store
        .fx_rates(gid)
        .await
        .unwrap()
        .into_iter()
        .map(|mut r| {
            r.average *= Decimal::TWO;
            r.closing *= Decimal::TWO;
            r
        })
        .collect();
    assert!(!doubled.is_empty(), "the demo has foreign entities");
    store
        .set_fx_rates(gid, &doubled, None, chrono::Utc::now())
        .await
        .unwrap();
    let after = api_net_profit(c, gid, from, last).await;
    let kpi_after = api_net_profit(c, gid, fy_start, last).await;
    let assets_after = api_net_assets(c, gid, last).await;
    assert_ne!(assets_after, assets_before, "closing rates move net assets");
    assert_ne!(after, before, "the rates move the consolidated net profit");
    assert_ne!(kpi_after, kpi_before);

    let pnl = c.get(&pnl_path).await;
    assert_eq!(pnl.status, 200);
    let t = table(&pnl.body, "pnl");
    assert!(
        t.contains(&accounting(after, 2)),
        "the P&L page shows the new net profit {after}"
    );
    assert!(
        !t.contains(&accounting(before, 2)),
        "and not the old {before}"
    );
    let dash = c.get(&group_path).await;
    assert_eq!(dash.status, 200);
    let k = table(&dash.body, "kpis");
    assert!(
        k.contains(&accounting(kpi_after, 2)),
        "the group page shows the new net profit {kpi_after}"
    );
    assert!(
        !k.contains(&accounting(kpi_before, 2)),
        "and not the old {kpi_before}"
    );
    let b = table(&dash.body, "balance-summary");
    assert!(
        b.contains(&accounting(assets_after, 2)),
        "the group page's balance sheet shows the new net assets {assets_after}"
    );
    assert!(
        !b.contains(&accounting(assets_before, 2)),
        "and not the old {assets_before}"
    );
}

/// The group page's entity table is read per request: a sync queued and
/// an organisation added after a view are on the next view (a sync's
/// progress bar included, which `sync.js` follows).
async fn a_sync_or_an_entity_added_after_a_view_shows_on_the_next_view(backend: Backend) {
    let mut g = synced_demo_group_with(
        backend,
        SimConfig {
            data: DataChoice::Demo,
            auto_approve: true,
            months: 3,
            ..SimConfig::default()
        },
    )
    .await;
    let store = g.s.app.store().clone();
    let gid = g.group.id;
    let group_path = format!("/groups/{gid}");
    let views = store.entities_for_group(gid).await.unwrap();
    for _ in 0..2 {
        let page = g.s.app.client.get(&group_path).await;
        assert_eq!(page.status, 200);
        assert!(!page.body.contains("data-run="), "no sync under way yet");
        assert!(!page.body.contains(" copy 1"));
    }
    let run = store
        .create_sync_run(views[0].organisation_id, "incremental", chrono::Utc::now())
        .await
        .unwrap();
    let page = g.s.app.client.get(&group_path).await;
    assert!(
        table(&page.body, "entities").contains(&format!("data-run=\"{run}\"")),
        "the queued sync's progress bar is on the next view"
    );
    let org = crate::large_group::copy_organisation(&store, views[1].organisation_id, 1).await;
    store
        .add_entity(gid, org, chrono::Utc::now())
        .await
        .unwrap();
    let page = g.s.app.client.get(&group_path).await;
    assert!(
        table(&page.body, "entities").contains(" copy 1"),
        "the added organisation is on the next view"
    );
}

//! The report service (issue 14): a report for a group, a period and a
//! data version; the version moving with every sync, set-up change and
//! rate change; what the service has built equal to a fresh run of the
//! engine after any interleaving of changes; and heavy work bounded, with
//! a 503 and `Retry-After` past the bound while health checks and static
//! files are still served.

use std::sync::Arc;

use chrono::Utc;
use consol::consolidation;
use consol::domain::{CurrencyCode, Month, MonthRange};
use consol::engine;
use consol::reports::Reports;
use consol::store::{NewGroup, RateRow, ReportKind, Store};
use rust_decimal::Decimal;

use crate::helpers::{Backend, Cases, SyncedGroup, synced_demo_group, toggle_a_mapping, window};

crate::backends!(
    the_data_version_moves_with_syncs_set_up_and_rates,
    built_reports_equal_a_fresh_engine_run_after_any_changes,
    past_the_bound_heavy_requests_get_503_and_health_is_served,
);

/// A small deterministic generator: the property test's cases are
/// reproducible from their seed.
async fn version(store: &Store, group: i64) -> consol::store::DataVersion {
    store.data_version(group).await.unwrap().unwrap()
}

/// A change as a sync writes it: one organisation's P&L month replaced,
/// with one account row's amount changed by `delta`.
async fn sync_like_change(store: &Store, org: i64, month: Month, delta: Decimal) -> bool {
    let mut rows = store
        .report_month(org, ReportKind::ProfitAndLoss, month)
        .await
        .unwrap();
    let Some(row) = rows.iter_mut().find(|r| r.account_id.is_some()) else {
        return false;
    };
    row.amount += delta;
    store
        .replace_report_month(org, ReportKind::ProfitAndLoss, month, &rows)
        .await
        .unwrap();
    true
}

async fn the_data_version_moves_with_syncs_set_up_and_rates(backend: Backend) {
    let SyncedGroup { s, group, user_id } = synced_demo_group(backend).await;
    let store = s.app.store();
    let v0 = version(store, group.id).await;
    assert_eq!(version(store, group.id).await, v0, "reading moves nothing");
    // Set-up: the chart, mappings and contacts.
    crate::helpers::set_up_like_the_demo(store, &group, user_id).await;
    let v1 = version(store, group.id).await;
    assert_ne!(v1, v0, "set-up moves the version");
    // A rate.
    let last = Month::of(Utc::now().date_naive()).prev();
    store
        .set_fx_rates(
            group.id,
            &[RateRow {
                currency: CurrencyCode::parse("AUD").unwrap(),
                month: last,
                average: "1.0987".parse().unwrap(),
                closing: "1.1".parse().unwrap(),
            }],
            Some(user_id),
            Utc::now(),
        )
        .await
        .unwrap();
    let v2 = version(store, group.id).await;
    assert_ne!(v2, v1, "a rate change moves the version");
    // A sync's write of one organisation's month.
    let entities = store.entities_for_group(group.id).await.unwrap();
    assert!(sync_like_change(store, entities[1].organisation_id, last, Decimal::ONE).await);
    let v3 = version(store, group.id).await;
    assert_ne!(v3, v2, "a sync's write moves the version");
    assert_eq!(v3.group, v2.group, "only the organisation's counter moved");
    // A real sync moves it too.
    consol::sync::enqueue(
        store,
        entities[0].organisation_id,
        consol::sync::SyncKind::Incremental,
    )
    .await
    .unwrap();
    let worker = consol::sync::worker(store.clone(), s.xero.clone());
    worker.drain().await.unwrap();
    assert_ne!(
        version(store, group.id).await,
        v3,
        "a sync moves the version"
    );
    // Another group's change moves nothing here.
    let other = store
        .create_group(
            &NewGroup {
                name: "Other",
                presentation_currency: CurrencyCode::parse("NZD").unwrap(),
                financial_year_end_month: 3,
            },
            user_id,
            Utc::now(),
        )
        .await
        .unwrap();
    let before = version(store, group.id).await;
    store
        .set_fx_rates(
            other.id,
            &[RateRow {
                currency: CurrencyCode::parse("AUD").unwrap(),
                month: last,
                average: "1.2".parse().unwrap(),
                closing: "1.2".parse().unwrap(),
            }],
            Some(user_id),
            Utc::now(),
        )
        .await
        .unwrap();
    assert_eq!(version(store, group.id).await, before);
}

/// The fresh run: the loader and the engine, nothing cached.
async fn fresh(
    store: &Store,
    group: &consol::store::Group,
    period: MonthRange,
) -> serde_json::Value {
    let data = consolidation::load(store, group, period).await.unwrap();
    serde_json::to_value(engine::consolidate(&data, period).unwrap().report).unwrap()
}

async fn built_reports_equal_a_fresh_engine_run_after_any_changes(backend: Backend) {
    let SyncedGroup { s, group, user_id } = synced_demo_group(backend).await;
    let store = s.app.store();
    crate::helpers::set_up_like_the_demo(store, &group, user_id).await;
    // The refresher runs beside the asks, rebuilding what they asked for
    // as the data moves: the asks still see one build per version.
    let reports = Arc::new(Reports::default());
    let refresher = reports.spawn_refresher(store.clone());
    let months = window();
    let entities = store.entities_for_group(group.id).await.unwrap();
    let currencies: Vec<CurrencyCode> = {
        let mut c: Vec<CurrencyCode> = entities
            .iter()
            .map(|e| e.base_currency)
            .filter(|c| *c != group.presentation_currency)
            .collect();
        c.sort_by_key(|c| c.to_string());
        c.dedup();
        c
    };
    assert!(
        !currencies.is_empty(),
        "the demo group has foreign entities"
    );
    let mut cases = Cases(0x5EED_0014);
    let mut asked: Vec<MonthRange> = Vec::new();
    let mut changes = 0;
    for round in 0..6 {
        // Between asks, zero to two random changes of any kind.
        for _ in 0..cases.below(3) {
            changes += 1;
            let month = months[cases.below(months.len())];
            match cases.below(3) {
                0 => {
                    let average = Decimal::new(5000 + cases.below(10_000) as i64, 4);
                    store
                        .set_fx_rates(
                            group.id,
                            &[RateRow {
                                currency: currencies[cases.below(currencies.len())],
                                month,
                                average,
                                closing: average,
                            }],
                            Some(user_id),
                            Utc::now(),
                        )
                        .await
                        .unwrap();
                }
                1 => toggle_a_mapping(store, group.id, user_id, &mut cases).await,
                _ => {
                    let e = &entities[cases.below(entities.len())];
                    let delta = Decimal::new(cases.below(100_000) as i64 - 50_000, 2);
                    sync_like_change(store, e.organisation_id, month, delta).await;
                }
            }
        }
        // A new random period, and every period asked before.
        let len = 1 + cases.below(12);
        let from = cases.below(months.len() - len + 1);
        asked.push(MonthRange::new(months[from], months[from + len - 1]).unwrap());
        // The newest periods: older ones were checked in earlier rounds.
        for period in asked.iter().rev().take(4) {
            let first = reports
                .profit_and_loss(store, &group, *period)
                .await
                .unwrap();
            assert_eq!(
                serde_json::to_value(&first.report).unwrap(),
                fresh(store, &group, *period).await,
                "round {round}, {period:?}, after {changes} changes"
            );
            assert_eq!(first.version, version(store, group.id).await);
            // Asked again at the same version, it is the report built.
            let again = reports
                .profit_and_loss(store, &group, *period)
                .await
                .unwrap();
            assert!(Arc::ptr_eq(&first, &again), "served from what was built");
        }
    }
    assert!(changes > 4, "the cases changed something ({changes})");

    // After a change, the refresher builds the periods asked for without
    // anyone asking again, once the version has settled.
    let month = months[months.len() - 1];
    store
        .set_fx_rates(
            group.id,
            &[RateRow {
                currency: currencies[0],
                month,
                average: "0.8123".parse().unwrap(),
                closing: "0.8123".parse().unwrap(),
            }],
            Some(user_id),
            Utc::now(),
        )
        .await
        .unwrap();
    let now = version(store, group.id).await;
    let period = *asked.last().unwrap();
    let mut built = false;
    for _ in 0..300 {
        if reports.is_built(group.id, period.from(), period.to(), &now) {
            built = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(built, "the refresher built the new version");
    refresher.abort();
}

async fn past_the_bound_heavy_requests_get_503_and_health_is_served(backend: Backend) {
    use consol::startup::Application;
    let db = crate::helpers::TestDb::new(backend).await;
    let settings = crate::helpers::test_settings(&db.url);
    let app = Application::build_with_store(settings, db.store.clone()).unwrap();
    let address = format!("http://127.0.0.1:{}", app.port());
    let reports = app.reports().clone();
    let (_trigger, shutdown) = consol::shutdown::channel();
    tokio::spawn(app.run_until_stopped(shutdown));
    let store = &db.store;
    let uid = crate::helpers::create_user(store, "fin@example.com", "finance team pw").await;
    let gid = store
        .create_group(
            &NewGroup {
                name: "Busy Group",
                presentation_currency: CurrencyCode::parse("NZD").unwrap(),
                financial_year_end_month: 3,
            },
            uid,
            Utc::now(),
        )
        .await
        .unwrap();
    let token = "consol_api_busy_token";
    crate::helpers::api_token(store, uid, token).await;
    let http = reqwest::Client::new();
    let pnl = format!("{address}/api/v1/groups/{}/reports/profit-and-loss", gid.id);
    let ok = http.get(&pnl).bearer_auth(token).send().await.unwrap();
    assert_eq!(ok.status(), 200, "{}", ok.text().await.unwrap());

    // Every slot for heavy work taken: a report that is not built yet
    // waits its turn briefly, then is turned away in the API's error
    // shape, saying when to come back.
    let held = reports.gate().occupy_all();
    assert!(!held.is_empty());
    let busy = http
        .get(format!("{pnl}?from=2025-01&to=2025-03"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(busy.status(), 503);
    assert_eq!(
        busy.headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("2")
    );
    let body: serde_json::Value = busy.json().await.unwrap();
    assert_eq!(body["error"]["code"], "busy", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("try again")
    );
    // What was already built for this data version is still served, and
    // health checks, sign-in and static files never wait for the gate.
    let built = http.get(&pnl).bearer_auth(token).send().await.unwrap();
    assert_eq!(built.status(), 200);
    for path in ["/healthz", "/static/app.css", "/login"] {
        let r = http.get(format!("{address}{path}")).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
    }
    drop(held);
    let after = http
        .get(format!("{pnl}?from=2025-01&to=2025-03"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 200, "served once a slot is free");
}

/// A group past twelve entities (the demo group four times over,
/// connected), as a browser sees it. SQLite only: what is tested is the page, not the
/// store, which the tests above cover on both databases.
#[tokio::test]
async fn a_large_group_opens_with_chosen_columns_and_summaries() {
    use consol::sim::http::{DataChoice, SimConfig};
    let mut s = crate::helpers::spawn_with_sim_config(
        Backend::Sqlite,
        SimConfig {
            data: DataChoice::Demo,
            auto_approve: true,
            copies: 4,
            ..SimConfig::default()
        },
    )
    .await;
    let group_id = crate::helpers::connect_demo_group(&mut s, None).await;
    let store = s.app.store().clone();
    let entities = store.entities_for_group(group_id).await.unwrap();
    // Four copies of the demo's four, and the real-life cases' Tui Ventures
    // once (issue 11).
    assert_eq!(
        entities.len(),
        17,
        "four copies of the demo's four, and Tui"
    );
    // Not synced: the columns and the summaries are what is tested, and
    // seventeen syncs take most of a minute on a busy machine.
    let pnl = format!("/groups/{group_id}/reports/profit-and-loss");
    let entity_headings = |body: &str| body.matches("<th class=\"num entity\"").count();
    // By default: eliminations and consolidated only, and why.
    let page = s.app.client.get(&pnl).await;
    assert_eq!(page.status, 200);
    assert_eq!(entity_headings(&page.body), 0);
    assert!(
        page.body.contains("<th class=\"num cons\""),
        "consolidated shown"
    );
    assert!(page.body.contains("id=\"columns-note\""));
    assert!(page.body.len() < 1 << 20, "{} bytes", page.body.len());
    // Several entities, as a list box sends them; every entity; one owner.
    let (a, b) = (entities[2].id, entities[9].id);
    let page = s
        .app
        .client
        .get(&format!("{pnl}?entities={a}&entities={b}"))
        .await;
    assert_eq!(entity_headings(&page.body), 2, "{}", page.status);
    let choice = &page.body[page.body.find("id=\"entity-choice\"").unwrap()..];
    let choice = &choice[..choice.find("</select>").unwrap()];
    assert_eq!(choice.matches(" selected>").count(), 2, "{choice}");
    assert!(
        page.body
            .contains(&format!("entities={}%2C{}", a.min(b), a.max(b))),
        "links keep the choice: {}",
        &page.body[page.body.find("presets").unwrap_or(0)..][..600]
    );
    let page = s.app.client.get(&format!("{pnl}?entities=all")).await;
    assert_eq!(entity_headings(&page.body), entities.len());
    let page = s.app.client.get(&format!("{pnl}?entities=banana")).await;
    assert_eq!(page.status, 400, "an unknown choice is said, not ignored");

    // The group page summarises: the consolidated row, the five largest
    // entities and the other twelve as one, in the table and the charts.
    let page = s.app.client.get(&format!("/groups/{group_id}")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("id=\"kpi-summary\""), "summary note");
    let kpis = &page.body[page.body.find("id=\"kpis\"").unwrap()..];
    let kpis = &kpis[..kpis.find("</table>").unwrap()];
    assert_eq!(kpis.matches("<tr").count(), 1 + 1 + 5 + 1, "{kpis}");
    assert!(kpis.contains(&format!("Other {} entities", entities.len() - 5)));
    assert!(page.body.contains("id=\"balance-summary\""));
    assert!(page.body.len() < 1 << 20);
}

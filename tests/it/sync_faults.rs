//! Syncs under Xero's faults (issue 16): a broken answer retries that call
//! only, a run waiting to retry says so, and a run records every call of
//! every attempt, equal to what the simulator counted.

use chrono::Utc;
use consol::store::Store;
use consol::sync::{self, SyncKind};
use serde_json::json;

use crate::helpers::{
    Backend, SimApp, connect_demo_group, snapshot, snapshot_diff, spawn_with_sim,
};

crate::backends!(
    one_answer_in_ten_malformed_retries_single_calls_and_counts_every_call,
    a_run_records_every_attempt_and_says_when_it_retries,
    a_lost_connection_reads_one_way_and_sync_now_says_why,
);

async fn make_jobs_due(store: &Store) {
    const DUE: &str = "UPDATE jobs SET run_at = $1 WHERE state = 'queued'";
    let now = Utc::now() - chrono::Duration::seconds(1);
    match store {
        Store::Sqlite(p) => {
            sqlx::query(DUE).bind(now).execute(p).await.unwrap();
        }
        Store::Postgres(p) => {
            sqlx::query(DUE).bind(now).execute(p).await.unwrap();
        }
    }
}

/// The calls the simulator counted for a tenant since its stats were reset.
async fn sim_calls(s: &SimApp, tenant: &str) -> (i64, serde_json::Value) {
    let stats = s.control("GET", "/_sim/stats", None).await;
    let t = stats["tenants"][tenant].clone();
    (t["calls"].as_i64().unwrap_or(0), t)
}

async fn one_answer_in_ten_malformed_retries_single_calls_and_counts_every_call(backend: Backend) {
    let mut s = spawn_with_sim(backend).await;
    let group = connect_demo_group(&mut s, None).await;
    let entities = s.app.store().entities_for_group(group).await.unwrap();
    s.control("DELETE", "/_sim/stats", None).await;
    s.control(
        "POST",
        "/_sim/faults",
        Some(json!({"malformed_json": true, "body_fault_percent": 10})),
    )
    .await;
    let mut runs = Vec::new();
    for e in &entities {
        runs.push(
            sync::enqueue(s.app.store(), e.organisation_id, SyncKind::Full)
                .await
                .unwrap(),
        );
    }
    // One pass of the queue: no job needs a second attempt.
    sync::worker(s.app.store().clone(), s.xero.clone())
        .drain()
        .await
        .unwrap();
    let mut spoiled = 0;
    for (e, id) in entities.iter().zip(&runs) {
        let run = s.app.store().sync_run(*id).await.unwrap().unwrap();
        assert_eq!(run.state, "succeeded", "{}: {:?}", e.name, run.error);
        let (calls, stats) = sim_calls(&s, &e.tenant_id).await;
        // Each call that drew a broken answer was asked again, alone: the
        // run began once (one `GET /Organisation`, unless that very answer
        // was the broken one).
        let orgs = stats["by_endpoint"]["GET /Organisation"].as_i64().unwrap();
        assert!(orgs <= 2, "{}: restarted from the start: {stats}", e.name);
        assert_eq!(
            i64::from(run.calls),
            calls,
            "{}: the run records every call Xero answered: {stats}",
            e.name
        );
        let by: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&run.calls_by_endpoint).unwrap();
        for (endpoint, n) in stats["by_endpoint"].as_object().unwrap() {
            assert_eq!(by.get(endpoint), Some(n), "{}: {endpoint}", e.name);
        }
        spoiled += calls - i64::from(run.progress_done).min(calls);
    }
    // A sync of four organisations is many tens of calls: one in ten was
    // broken, so some were retried.
    let total: i64 = {
        let stats = s.control("GET", "/_sim/stats", None).await;
        stats["tenants"]
            .as_object()
            .unwrap()
            .values()
            .map(|t| t["calls"].as_i64().unwrap())
            .sum()
    };
    assert!(total >= 30 && spoiled > 0, "{total} calls, {spoiled}");
    // The data is a clean sync's.
    s.control("DELETE", "/_sim/faults", None).await;
    for e in &entities {
        let ours = snapshot(s.app.store(), e.organisation_id).await;
        let theirs = s.xero_snapshot(e.tenant_id.parse().unwrap());
        assert!(
            ours == theirs,
            "{}: {}",
            e.name,
            snapshot_diff(&ours, &theirs)
        );
    }
}

async fn a_run_records_every_attempt_and_says_when_it_retries(backend: Backend) {
    let mut s = spawn_with_sim(backend).await;
    let group = connect_demo_group(&mut s, None).await;
    let e = s.app.store().entities_for_group(group).await.unwrap()[0].clone();
    s.control("DELETE", "/_sim/stats", None).await;
    // Every answer of this organisation is broken: the first call is
    // retried until the client gives up, and the job waits to try again.
    s.control(
        "POST",
        "/_sim/faults",
        Some(json!({"tenant_id": e.tenant_id, "malformed_json": true})),
    )
    .await;
    let id = sync::enqueue(s.app.store(), e.organisation_id, SyncKind::Incremental)
        .await
        .unwrap();
    let worker = sync::worker(s.app.store().clone(), s.xero.clone());
    worker.drain().await.unwrap();
    let run = s.app.store().sync_run(id).await.unwrap().unwrap();
    assert_eq!(run.state, "retrying", "{run:?}");
    assert!(run.retry_at.is_some_and(|t| t > Utc::now()), "{run:?}");
    // In words, without the parser's detail.
    assert_eq!(
        run.error.as_deref(),
        Some("Xero sent an answer Consol could not read for GET /Organisation")
    );
    let (first_calls, stats) = sim_calls(&s, &e.tenant_id).await;
    assert!(first_calls > 1, "the call was retried: {stats}");
    assert_eq!(i64::from(run.calls), first_calls, "{stats}");
    // The group page says the run waits, not "syncing, step n of m".
    let page = s.app.client.get(&format!("/groups/{group}")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("retrying in "), "{}", page.body);
    assert!(!page.body.contains("syncing, step"), "{}", page.body);

    // The fault clears; the next attempt completes, and the run's calls
    // are both attempts', as Xero counted them.
    s.control("DELETE", "/_sim/faults", None).await;
    make_jobs_due(s.app.store()).await;
    worker.drain().await.unwrap();
    let run = s.app.store().sync_run(id).await.unwrap().unwrap();
    assert_eq!(run.state, "succeeded", "{:?}", run.error);
    assert_eq!(run.retry_at, None);
    let (calls, stats) = sim_calls(&s, &e.tenant_id).await;
    assert!(calls > first_calls, "{stats}");
    assert_eq!(
        i64::from(run.calls),
        calls,
        "every attempt's calls: {stats}"
    );
}

async fn a_lost_connection_reads_one_way_and_sync_now_says_why(backend: Backend) {
    let mut s = spawn_with_sim(backend).await;
    let group = connect_demo_group(&mut s, None).await;
    let entities = s.app.store().entities_for_group(group).await.unwrap();
    for e in &entities {
        sync::enqueue(s.app.store(), e.organisation_id, SyncKind::Incremental)
            .await
            .unwrap();
    }
    sync::worker(s.app.store().clone(), s.xero.clone())
        .drain()
        .await
        .unwrap();
    // Every connection is lost (revoked at Xero, or its refresh failed).
    for e in &entities {
        s.app
            .store()
            .set_token_set_state(e.token_set_id.unwrap(), "needs_reconnect", Utc::now())
            .await
            .unwrap();
    }
    const LOST: &str = "needs reconnecting to Xero";

    // "Sync now" through the API: 409 with the reason, not an empty 202.
    let uid = crate::helpers::user_id(s.app.store(), "fin@example.com").await;
    crate::helpers::api_token(s.app.store(), uid, "consol_lost_token").await;
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/groups/{group}/sync", s.app.address))
        .bearer_auth("consol_lost_token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "needs_reconnecting", "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains(LOST), "{message}");
    for e in &entities {
        assert!(message.contains(&e.name), "{message}");
    }

    // A sync that finds the connection lost says it the same way.
    let id = sync::enqueue(
        s.app.store(),
        entities[0].organisation_id,
        SyncKind::Incremental,
    )
    .await
    .unwrap();
    sync::worker(s.app.store().clone(), s.xero.clone())
        .drain()
        .await
        .unwrap();
    let run = s.app.store().sync_run(id).await.unwrap().unwrap();
    assert_eq!(run.state, "failed");
    assert_eq!(
        run.error.as_deref(),
        Some("the organisation needs reconnecting to Xero")
    );

    // The group page and the P&L: stale data, and why.
    let page = s.app.client.get(&format!("/groups/{group}")).await;
    assert!(
        page.body.contains("Needs reconnecting to Xero"),
        "{}",
        page.body
    );
    let pl = s
        .app
        .client
        .get(&format!("/groups/{group}/reports/profit-and-loss"))
        .await;
    assert_eq!(pl.status, 200);
    for e in &entities {
        let name = e.name.replace('&', "&#38;");
        assert!(
            pl.body.contains(&format!(
                "{name}&#39;s data is stale: its connection was lost and it {LOST} (its figures are as of"
            )),
            "{}: {}",
            e.name,
            pl.body
        );
    }
}

//! Syncing organisations from the simulator: complete, incremental,
//! within the call budget, on webhooks, and safe under faults.

use std::collections::BTreeMap;

use chrono::Utc;
use consol::domain::{Month, MonthRange};
use consol::store::{ReportKind, Store, SyncRun};
use consol::sync::{self, SyncKind};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{
    Backend, SimApp, WEBHOOK_KEY, connect_demo_group, spawn_with_sim, stored_net_profit,
};

crate::backends!(
    full_then_incremental_sync_matches_xero,
    a_webhook_brings_a_changed_invoice,
    faults_leave_data_whole,
    forged_webhooks_are_refused,
    a_queued_sync_wakes_the_idle_worker_of_its_process,
);

/// A worker of the same process starts a queued sync at once, not at its
/// next poll (a minute here, so only the wake-up can start it in time).
async fn a_queued_sync_wakes_the_idle_worker_of_its_process(backend: Backend) {
    let mut s = spawn_with_sim(backend).await;
    let group = connect_demo_group(&mut s, None).await;
    let config = consol::jobs::WorkerConfig {
        poll: std::time::Duration::from_secs(60),
        ..consol::jobs::WorkerConfig::default()
    };
    let (stop, shutdown) = consol::shutdown::channel();
    let worker = tokio::spawn(
        sync::worker_with(s.app.store().clone(), s.xero.clone(), config).run(shutdown),
    );
    // Let the worker look, find nothing and settle into waiting.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let e = &s.app.store().entities_for_group(group).await.unwrap()[0];
    let run = sync::enqueue(s.app.store(), e.organisation_id, SyncKind::Full)
        .await
        .unwrap();
    let done = tokio::time::timeout(std::time::Duration::from_secs(30), async {
        loop {
            let r = s.app.store().sync_run(run).await.unwrap().unwrap();
            if r.state == "succeeded" || r.state == "failed" {
                return r;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the sync ran long before the worker's next poll");
    assert_eq!(done.state, "succeeded", "{:?}", done.error);
    stop.trigger();
    worker.await.unwrap();
}

/// Queues a sync of every entity and runs the queue dry.
async fn sync_all(s: &SimApp, group: i64, kind: SyncKind) -> Vec<SyncRun> {
    let mut ids = Vec::new();
    for e in s.app.store().entities_for_group(group).await.unwrap() {
        ids.push(
            sync::enqueue(s.app.store(), e.organisation_id, kind)
                .await
                .unwrap(),
        );
    }
    sync::worker(s.app.store().clone(), s.xero.clone())
        .drain()
        .await
        .unwrap();
    let mut runs = Vec::new();
    for id in ids {
        runs.push(s.app.store().sync_run(id).await.unwrap().unwrap());
    }
    runs
}

fn window() -> Vec<Month> {
    let last = Month::of(Utc::now().date_naive()).prev();
    MonthRange::new(last.plus(-23), last)
        .unwrap()
        .months()
        .collect()
}

/// A snapshot of what the store holds for an organisation, to compare.
async fn snapshot(store: &Store, org: i64) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for m in window() {
        for kind in [ReportKind::ProfitAndLoss, ReportKind::BalanceSheet] {
            for r in store.report_month(org, kind, m).await.unwrap() {
                out.insert(format!("{kind:?}/{m}/{}", r.row_key), r.amount.to_string());
            }
        }
    }
    out.insert(
        "invoices".into(),
        store.count_invoices(org).await.unwrap().to_string(),
    );
    out
}

async fn full_then_incremental_sync_matches_xero(backend: Backend) {
    let mut s = spawn_with_sim(backend).await;
    let group = connect_demo_group(&mut s, None).await;
    let runs = sync_all(&s, group, SyncKind::Incremental).await;
    let entities = s.app.store().entities_for_group(group).await.unwrap();
    for (run, e) in runs.iter().zip(&entities) {
        assert_eq!(run.state, "succeeded", "{:?}", run.error);
        assert_eq!(run.progress_done, run.progress_total);
        let tenant: Uuid = e.tenant_id.parse().unwrap();
        for m in window() {
            let ours = stored_net_profit(s.app.store(), e.organisation_id, m).await;
            let theirs = s.xero_net_profit(tenant, m);
            assert_eq!(ours.unwrap_or(Decimal::ZERO), theirs, "{} {m}", e.name);
        }
        // The call budget of a full sync: Organisation and Accounts, a call
        // per 1,000 contacts and invoices, and per twelve months of each
        // report (one more when the window ends in a 30-day month).
        let invoices = s
            .app
            .store()
            .count_invoices(e.organisation_id)
            .await
            .unwrap();
        let contacts = s.control("GET", "/_sim/organisations", None).await;
        let c = contacts
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["tenant_id"] == e.tenant_id.as_str())
            .unwrap()["contacts"]
            .as_i64()
            .unwrap();
        let months = window().len() as i64;
        let extra = i64::from(window().last().unwrap().days() < 31);
        let budget =
            2 + (c + 999) / 1000 + (invoices + 999) / 1000 + 2 * ((months + 11) / 12 + extra);
        assert!(
            i64::from(run.calls) <= budget,
            "{}: {} calls > {budget}",
            e.name,
            run.calls
        );
        assert!(invoices > 1000, "paging was exercised");
    }
    let before = snapshot(s.app.store(), entities[0].organisation_id).await;

    // Nothing changed: an incremental run needs at most six calls and
    // changes nothing.
    let runs = sync_all(&s, group, SyncKind::Incremental).await;
    for run in &runs {
        assert_eq!(run.state, "succeeded", "{:?}", run.error);
        assert!(
            run.calls <= 6,
            "{} calls: {}",
            run.calls,
            run.calls_by_endpoint
        );
        assert_eq!(run.rows_inserted, 0);
    }
    assert_eq!(
        snapshot(s.app.store(), entities[0].organisation_id).await,
        before
    );

    // The group page shows each entity's last run and Xero budget, and
    // queues a sync on demand.
    let page = s.app.client.get(&format!("/groups/{group}")).await;
    assert!(page.body.contains("of 5,000"), "the day's budget is shown");
    assert!(!page.body.contains(">stale<"), "just synced");
    assert!(
        !page.body.contains("sync-progress") && !page.body.contains("sync.js"),
        "nothing is syncing"
    );
    let csrf = crate::helpers::session_csrf(&mut s.app.client).await;
    let r = s
        .app
        .client
        .post_form(&format!("/groups/{group}/sync"), &[("csrf_token", &csrf)])
        .await;
    assert_eq!(
        r.location(),
        Some(format!("/groups/{group}?notice=sync_queued").as_str())
    );
    let queued = s.app.store().job_counts().await.unwrap();
    assert!(queued.contains(&("queued".to_string(), 4)), "{queued:?}");
    // Each queued run has its progress bar, followed by sync.js (or, with
    // no JavaScript, by the page refreshing itself).
    let page = s.app.client.get(&format!("/groups/{group}")).await;
    for run in s.app.store().latest_runs_for_group(group).await.unwrap() {
        assert_eq!(run.state, "queued");
        assert!(
            page.body.contains(&format!("data-run=\"{}\"", run.id)),
            "a progress bar for run {}",
            run.id
        );
    }
    assert_eq!(page.body.matches("<progress").count(), 4);
    assert!(page.body.contains("/static/sync.js?v="));
    assert!(
        page.body
            .contains(r#"<meta http-equiv="refresh" content="5">"#)
    );
    // Without the form's token nothing is queued.
    let forged = s
        .app
        .client
        .post_form(&format!("/groups/{group}/sync"), &[("csrf_token", "x")])
        .await;
    assert_eq!(forged.status, 403);
}

/// A bookkeeper's app with write scopes, to change data in "Xero".
async fn bookkeeper_token(s: &SimApp) -> String {
    s.sim.register_app(consol::sim::http::App {
        client_id: "bookkeeper".into(),
        client_secret: "bookkeeper-secret".into(),
        redirect_uris: vec!["http://127.0.0.1:9/cb".into()],
        webhook_url: None,
        webhook_key: None,
    });
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let auth = http
        .get(format!("{}/identity/connect/authorize", s.sim.base_url()))
        .query(&[
            ("response_type", "code"),
            ("client_id", "bookkeeper"),
            ("redirect_uri", "http://127.0.0.1:9/cb"),
            (
                "scope",
                "openid offline_access accounting.transactions accounting.contacts",
            ),
            ("state", "s"),
        ])
        .send()
        .await
        .unwrap();
    let loc = auth.headers()["location"].to_str().unwrap().to_string();
    let code = loc
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_string();
    let tok: Value = http
        .post(format!("{}/connect/token", s.sim.base_url()))
        .basic_auth("bookkeeper", Some("bookkeeper-secret"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", "http://127.0.0.1:9/cb"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    tok["access_token"].as_str().unwrap().to_string()
}

async fn a_webhook_brings_a_changed_invoice(backend: Backend) {
    let mut s = spawn_with_sim(backend).await;
    // Consol's app subscribes to webhooks at its own endpoint.
    s.sim.register_app(consol::sim::http::App {
        client_id: consol::sim::http::DEMO_CLIENT_ID.into(),
        client_secret: consol::sim::http::DEMO_CLIENT_SECRET.into(),
        redirect_uris: vec![format!("{}/connect/xero/callback", s.app.address)],
        webhook_url: Some(format!("{}/webhooks/xero", s.app.address)),
        webhook_key: Some(WEBHOOK_KEY.into()),
    });
    let group = connect_demo_group(&mut s, None).await;
    sync_all(&s, group, SyncKind::Incremental).await;
    let e = s.app.store().entities_for_group(group).await.unwrap()[0].clone();
    let before = s
        .app
        .store()
        .count_invoices(e.organisation_id)
        .await
        .unwrap();

    // A minute later a bookkeeper raises an invoice in Xero.
    s.control("POST", "/_sim/clock", Some(json!({"advance_seconds": 60})))
        .await;
    let token = bookkeeper_token(&s).await;
    let contact = s
        .sim
        .state()
        .with_ledger(e.tenant_id.parse().unwrap(), |l| {
            l.get_contacts(&Default::default()).unwrap().contacts[0]
                .contact_id
                .unwrap()
        })
        .unwrap();
    let created: Value = reqwest::Client::new()
        .put(format!("{}/api.xro/2.0/Invoices", s.sim.base_url()))
        .bearer_auth(&token)
        .header("xero-tenant-id", &e.tenant_id)
        .header("accept", "application/json")
        .json(&json!({"Invoices": [{
            "Type": "ACCREC", "Contact": {"ContactID": contact}, "Status": "AUTHORISED",
            "Date": Utc::now().date_naive().to_string(), "LineAmountTypes": "Exclusive",
            "InvoiceNumber": "WEBHOOK-1",
            "LineItems": [{"Description": "Late sale", "Quantity": 1, "UnitAmount": 123.45, "AccountCode": "200"}]
        }]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["Invoices"][0]["InvoiceID"]
        .as_str()
        .unwrap()
        .to_string();
    // The simulator delivers in the background; Consol answers by queueing
    // a sync.
    let mut queued = false;
    for _ in 0..100 {
        let counts = s.app.store().job_counts().await.unwrap();
        if counts.iter().any(|(state, n)| state == "queued" && *n > 0) {
            queued = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(queued, "the webhook queued a sync");
    let st = s.control("GET", "/_sim/stats", None).await;
    assert!(
        st["webhooks"]["delivered"].as_i64().unwrap_or(0) >= 1,
        "{st}"
    );
    sync::worker(s.app.store().clone(), s.xero.clone())
        .drain()
        .await
        .unwrap();
    let (status, total) = s
        .app
        .store()
        .invoice_status(e.organisation_id, &id)
        .await
        .unwrap()
        .expect("the new invoice was synced");
    assert_eq!(status, "AUTHORISED");
    // 123.45 plus New Zealand's 15% GST on the sales account.
    assert_eq!(total.to_string(), "141.97");
    assert_eq!(
        s.app
            .store()
            .count_invoices(e.organisation_id)
            .await
            .unwrap(),
        before + 1
    );
}

async fn forged_webhooks_are_refused(backend: Backend) {
    let s = spawn_with_sim(backend).await;
    let http = reqwest::Client::new();
    let url = format!("{}/webhooks/xero", s.app.address);
    let tenant = s.sim.tenants()[0].0.to_string();
    let body = json!({"events": [{"resourceUrl": "x", "resourceId": Uuid::new_v4(),
        "eventDateUtc": "2026-11-25T08:00:00.000", "eventType": "UPDATE", "eventCategory": "INVOICE",
        "tenantId": tenant, "tenantType": "ORGANISATION"}],
        "firstEventSequence": 1, "lastEventSequence": 1, "entropy": "abc"})
    .to_string();
    // Unsigned, signed with another key, and signed over another body.
    let wrong_key = consol::web::webhooks::signature("not-the-key", body.as_bytes());
    let other_body = consol::web::webhooks::signature(WEBHOOK_KEY, b"{}");
    for sig in [None, Some(wrong_key), Some(other_body)] {
        let mut req = http.post(&url).body(body.clone());
        if let Some(sig) = sig {
            req = req.header("x-xero-signature", sig);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), 401);
    }
    assert!(
        s.app.store().job_counts().await.unwrap().is_empty(),
        "nothing queued"
    );
    // Xero's intent-to-receive check: a correctly signed empty batch gets
    // 200 with an empty body.
    let intent = r#"{"events":[],"firstEventSequence":0,"lastEventSequence":0,"entropy":"XYZ"}"#;
    let r = http
        .post(&url)
        .header(
            "x-xero-signature",
            consol::web::webhooks::signature(WEBHOOK_KEY, intent.as_bytes()),
        )
        .body(intent)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "");
    // Independently of Consol's code: HMAC-SHA256 by hand, RFC 2104.
    assert_eq!(
        consol::web::webhooks::signature("key", b"The quick brown fox jumps over the lazy dog"),
        "97yD9DBThCSxMpjmqm+xQ+9NWaFJRhdZl0edvC0aPNg="
    );
}

async fn faults_leave_data_whole(backend: Backend) {
    let mut s = spawn_with_sim(backend).await;
    let group = connect_demo_group(&mut s, None).await;
    sync_all(&s, group, SyncKind::Incremental).await;
    let e = s.app.store().entities_for_group(group).await.unwrap()[0].clone();
    let good = snapshot(s.app.store(), e.organisation_id).await;
    // Every answer is now malformed JSON: the run fails with a readable
    // error naming the endpoint, and the earlier data is intact.
    s.control(
        "POST",
        "/_sim/faults",
        Some(json!({"malformed_json": true})),
    )
    .await;
    let run_id = sync::enqueue(s.app.store(), e.organisation_id, SyncKind::Full)
        .await
        .unwrap();
    let worker = sync::worker(s.app.store().clone(), s.xero.clone());
    worker.drain().await.unwrap();
    let run = s.app.store().sync_run(run_id).await.unwrap().unwrap();
    let err = run.error.clone().unwrap_or_default();
    assert!(
        err.contains("malformed") && err.contains("GET /Organisation"),
        "{err}"
    );
    assert_eq!(snapshot(s.app.store(), e.organisation_id).await, good);

    // One answer in ten is a 503: the client retries, the run completes
    // and the data is the same as after a clean run.
    s.control("DELETE", "/_sim/faults", None).await;
    s.control(
        "POST",
        "/_sim/faults",
        Some(json!({"error_rate_percent": 10, "error_status": 503})),
    )
    .await;
    let runs = sync_all(&s, group, SyncKind::Full).await;
    for r in &runs {
        assert_eq!(r.state, "succeeded", "{:?}", r.error);
    }
    let stats = s.control("GET", "/_sim/stats", None).await;
    assert!(stats.to_string().contains("calls"));
    assert_eq!(snapshot(s.app.store(), e.organisation_id).await, good);
}

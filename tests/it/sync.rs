//! Syncing organisations from the simulator: complete, incremental,
//! within the call budget, on webhooks, and safe under faults.

use chrono::Utc;
use consol::domain::Month;
use consol::store::{Store, SyncRun};
use consol::sync::{self, SyncKind};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{
    Backend, SimApp, Snapshot, WEBHOOK_KEY, assert_old_or_new, connect_demo_group, snapshot,
    snapshot_diff, spawn_with_sim, stored_net_profit, window,
};

crate::backends!(
    full_then_incremental_sync_matches_xero,
    a_webhook_brings_a_changed_invoice,
    faults_leave_data_whole,
    a_fault_part_way_leaves_each_month_and_record_old_or_new,
    a_webhook_brings_voided_and_deleted_invoices,
    forged_webhooks_are_refused,
    a_queued_sync_wakes_the_idle_worker_of_its_process,
    a_sync_still_waiting_is_not_queued_again,
);

/// The scheduler does not queue a second sync behind one still waiting for a
/// worker, however long ago it was queued (connecting a hundred
/// organisations queued a repeat run for some while their first ones waited);
/// once the run is over, the organisation is due again.
async fn a_sync_still_waiting_is_not_queued_again(backend: Backend) {
    let mut s = spawn_with_sim(backend).await;
    connect_demo_group(&mut s, None).await;
    sync::worker(s.app.store().clone(), s.xero.clone())
        .drain()
        .await
        .unwrap();
    let store = s.app.store();
    // Asked with `since` = now, every organisation whose runs are all over
    // is due (none was created after now).
    let due = store.organisations_due_for_sync(Utc::now()).await.unwrap();
    assert!(due.len() >= 4, "the synced organisations are due: {due:?}");
    let org = due[0];
    // A run queued two hours ago that no worker has taken yet.
    let queued_at = Utc::now() - chrono::Duration::hours(2);
    let waiting = store
        .create_sync_run(org, "incremental", queued_at)
        .await
        .unwrap();
    let due = store.organisations_due_for_sync(Utc::now()).await.unwrap();
    assert!(
        !due.contains(&org),
        "a waiting run holds its organisation back"
    );
    assert!(due.len() >= 3, "the others stay due: {due:?}");
    store
        .start_sync_run(waiting, None, Utc::now())
        .await
        .unwrap();
    let due = store.organisations_due_for_sync(Utc::now()).await.unwrap();
    assert!(!due.contains(&org), "so does a running one");
    store
        .finish_sync_run(waiting, None, Utc::now())
        .await
        .unwrap();
    let due = store.organisations_due_for_sync(Utc::now()).await.unwrap();
    assert!(
        due.contains(&org),
        "once it is over, the organisation is due"
    );
}

/// A worker of the same process starts a queued sync at once, not at its
/// next poll (a minute here, so only the wake-up can start it in time).
async fn a_queued_sync_wakes_the_idle_worker_of_its_process(backend: Backend) {
    let mut s = spawn_with_sim(backend).await;
    let group = connect_demo_group(&mut s, None).await;
    // Connecting queued each organisation's first sync: run those first,
    // so that the worker below starts with nothing to do.
    sync::worker(s.app.store().clone(), s.xero.clone())
        .drain()
        .await
        .unwrap();
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
pub(crate) async fn sync_all(s: &SimApp, group: i64, kind: SyncKind) -> Vec<SyncRun> {
    let ids = enqueue_all(s, group, kind).await;
    sync::worker(s.app.store().clone(), s.xero.clone())
        .drain()
        .await
        .unwrap();
    runs_of(s, ids).await
}

/// Like [`sync_all`], but each run makes `attempts` attempts at most, one
/// a pass (a run that waits to retry is made due at the next pass).
pub(crate) async fn sync_all_in_passes(
    s: &SimApp,
    group: i64,
    kind: SyncKind,
    attempts: usize,
) -> Vec<SyncRun> {
    let ids = enqueue_all(s, group, kind).await;
    run_in_passes(s, ids, attempts).await
}

/// Runs the queue in passes: each pass makes the queued jobs due (their
/// backoff skipped) and runs each of them once. (`drain` runs a failing job
/// again as soon as its backoff ends, which under load is before the other
/// jobs are done: attempts nobody asked for.)
async fn run_in_passes(s: &SimApp, ids: Vec<i64>, attempts: usize) -> Vec<SyncRun> {
    let worker = sync::worker(s.app.store().clone(), s.xero.clone());
    for _ in 0..attempts {
        make_jobs_due(s.app.store()).await;
        worker.drain_once().await.unwrap();
    }
    runs_of(s, ids).await
}

async fn enqueue_all(s: &SimApp, group: i64, kind: SyncKind) -> Vec<i64> {
    let mut ids = Vec::new();
    for e in s.app.store().entities_for_group(group).await.unwrap() {
        ids.push(
            sync::enqueue(s.app.store(), e.organisation_id, kind)
                .await
                .unwrap(),
        );
    }
    ids
}

async fn runs_of(s: &SimApp, ids: Vec<i64>) -> Vec<SyncRun> {
    let mut runs = Vec::new();
    for id in ids {
        runs.push(s.app.store().sync_run(id).await.unwrap().unwrap());
    }
    runs
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
        // The call budget of a full sync (BENCHMARKS.md): Organisation and
        // Accounts, a call per 1,000 contacts and invoices, a call per 1,000
        // records (and at least one) of each of the five other document
        // endpoints, and per twelve months of each report (one more when
        // the window ends in a 30-day month).
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
        let documents = s
            .app
            .store()
            .count_documents(e.organisation_id)
            .await
            .unwrap();
        let pages = |n: i64| ((n + 999) / 1000).max(1);
        let other_documents: i64 = documents
            .iter()
            .filter(|(table, _)| {
                matches!(
                    *table,
                    "credit_notes"
                        | "bank_transactions"
                        | "payments"
                        | "overpayments"
                        | "prepayments"
                )
            })
            .map(|(_, n)| pages(*n))
            .sum();
        let months = window().len() as i64;
        let extra = i64::from(window().last().unwrap().days() < 31);
        let budget = 2
            + (c + 999) / 1000
            + (invoices + 999) / 1000
            + other_documents
            + 2 * ((months + 11) / 12 + extra);
        assert!(
            i64::from(run.calls) <= budget,
            "{}: {} calls > {budget}",
            e.name,
            run.calls
        );
        // (Tui Ventures, the demo's part-way entity, has a dozen.)
        if e.name != consol::sim::demo_cases::PART_WAY_ENTITY {
            assert!(invoices > 1000, "paging was exercised");
        }
    }
    // Everything stored equals the simulator's books: every report month,
    // invoice, contact and account of every entity.
    let mut before = Vec::new();
    for e in &entities {
        let ours = snapshot(s.app.store(), e.organisation_id).await;
        let theirs = s.xero_snapshot(e.tenant_id.parse().unwrap());
        // Not vacuous: each month has its Net Profit, each invoice its key.
        for m in window() {
            // (A zero is no row: Tui Ventures has nothing before it started.)
            if e.name == consol::sim::demo_cases::PART_WAY_ENTITY
                && s.xero_net_profit(e.tenant_id.parse().unwrap(), m).is_zero()
            {
                continue;
            }
            assert!(
                ours.contains_key(&format!("ProfitAndLoss/{m}/|Net Profit")),
                "{} {m}",
                e.name
            );
        }
        let invoices = ours.keys().filter(|k| k.starts_with("invoice/")).count();
        assert_eq!(invoices.to_string(), ours["invoices"]);
        assert!(
            ours == theirs,
            "{}:\n{}",
            e.name,
            snapshot_diff(&ours, &theirs)
        );
        before.push(ours);
    }

    // Nothing changed: an incremental run costs at most one call per
    // watched endpoint (Organisation, Accounts, Contacts, Invoices,
    // CreditNotes, BankTransactions, Payments, Overpayments, Prepayments:
    // nine) plus the reports it needs (the last three months, one call per
    // report: two), so eleven, and changes nothing.
    let runs = sync_all(&s, group, SyncKind::Incremental).await;
    for run in &runs {
        assert_eq!(run.state, "succeeded", "{:?}", run.error);
        assert!(
            run.calls <= 9 + 2,
            "{} calls: {}",
            run.calls,
            run.calls_by_endpoint
        );
        assert_eq!(run.rows_inserted, 0);
    }
    for (e, before) in entities.iter().zip(&before) {
        assert_eq!(&snapshot(s.app.store(), e.organisation_id).await, before);
    }

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
    // One per demo organisation (the four and Tui Ventures).
    assert!(queued.contains(&("queued".to_string(), 5)), "{queued:?}");
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
    assert_eq!(page.body.matches("<progress").count(), 5);
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
pub(crate) async fn bookkeeper_token(s: &SimApp) -> String {
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

/// Consol's app subscribes to webhooks at its own endpoint.
fn subscribe_to_webhooks(s: &SimApp) {
    s.sim.register_app(consol::sim::http::App {
        client_id: consol::sim::http::DEMO_CLIENT_ID.into(),
        client_secret: consol::sim::http::DEMO_CLIENT_SECRET.into(),
        redirect_uris: vec![format!("{}/connect/xero/callback", s.app.address)],
        webhook_url: Some(format!("{}/webhooks/xero", s.app.address)),
        webhook_key: Some(WEBHOOK_KEY.into()),
    });
}

/// Waits (five seconds at most) until a webhook has queued a sync.
async fn wait_for_queued_sync(s: &SimApp) {
    for _ in 0..100 {
        let counts = s.app.store().job_counts().await.unwrap();
        if counts.iter().any(|(state, n)| state == "queued" && *n > 0) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no webhook queued a sync");
}

async fn a_webhook_brings_a_changed_invoice(backend: Backend) {
    let mut s = spawn_with_sim(backend).await;
    subscribe_to_webhooks(&s);
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
    wait_for_queued_sync(&s).await;
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
    let mut s = spawn_with_room_for_retries(backend).await;
    let group = connect_demo_group(&mut s, None).await;
    // Each phase runs the attempts it asserts and no more (the test ran
    // close to nextest's limit on a loaded machine).
    for r in sync_all_in_passes(&s, group, SyncKind::Incremental, 3).await {
        assert_eq!(r.state, "succeeded", "{:?}", r.error);
    }
    let entities = s.app.store().entities_for_group(group).await.unwrap();
    let mut good: Vec<Snapshot> = Vec::new();
    for e in &entities {
        good.push(snapshot(s.app.store(), e.organisation_id).await);
    }

    // Every answer is now malformed JSON: each run fails, attempt after
    // attempt, with a readable error naming the endpoint, and the earlier
    // data of every entity is intact.
    s.control(
        "POST",
        "/_sim/faults",
        Some(json!({"malformed_json": true})),
    )
    .await;
    // Five attempts a sync job at most.
    for run in sync_all_in_passes(&s, group, SyncKind::Full, 5).await {
        assert_eq!(run.state, "failed", "{run:?}");
        assert_malformed_error(&run, "GET /Organisation");
    }
    for (e, good) in entities.iter().zip(&good) {
        let now = snapshot(s.app.store(), e.organisation_id).await;
        assert!(&now == good, "{}:\n{}", e.name, snapshot_diff(&now, good));
    }

    // Bookkeepers change every organisation. Then, in one full run, one
    // answer in ten is a 503 (retried by the client) and each second
    // balance-sheet call is malformed: by then the invoices, every P&L
    // month and the last twelve balance sheets are stored.
    s.control("DELETE", "/_sim/faults", None).await;
    s.control("POST", "/_sim/clock", Some(json!({"advance_seconds": 60})))
        .await;
    let token = bookkeeper_token(&s).await;
    let mut changes = Vec::new();
    let mut new: Vec<Snapshot> = Vec::new();
    for e in &entities {
        changes.push(change_books(&s, &token, &e.tenant_id).await);
        new.push(s.xero_snapshot(e.tenant_id.parse().unwrap()));
        s.control(
            "POST",
            "/_sim/faults",
            Some(
                json!({"tenant_id": e.tenant_id, "error_rate_percent": 10, "error_status": 503,
                        "malformed_json": true, "only_endpoint": "GET /Reports/BalanceSheet",
                        "after_calls": 1}),
            ),
        )
        .await;
    }
    s.control("DELETE", "/_sim/stats", None).await;
    // One attempt of each run: under load a run's backoff (5 s) ran out
    // while the others synced, and `drain` ran it twice more to the same
    // end, a minute of the test's time.
    let runs = sync_all_in_passes(&s, group, SyncKind::Full, 1).await;
    let stats = s.control("GET", "/_sim/stats", None).await;
    for (i, run) in runs.iter().enumerate() {
        let (e, ch) = (&entities[i], &changes[i]);
        assert_eq!(run.state, "retrying", "retried later: {run:?}");
        assert_malformed_error(run, "GET /Reports/BalanceSheet");
        // One of each tenant's first ten calls drew a 503 (exactly one in
        // ten fails), and the run went on past it.
        let calls = stats["tenants"][&e.tenant_id]["calls"].as_u64().unwrap();
        assert!(calls >= 10, "{}: {calls} calls", e.name);
        let now = snapshot(s.app.store(), e.organisation_id).await;
        let mix = assert_old_or_new(&e.name, &now, &good[i], &new[i]);
        for unit in [
            format!("invoice/{}", ch.voided),
            format!("invoice/{}", ch.created),
            format!("ProfitAndLoss/{}", ch.voided_month),
            format!("ProfitAndLoss/{}", ch.created_month),
            format!("BalanceSheet/{}", ch.voided_month),
        ] {
            assert!(mix.new.contains(&unit), "{}: {unit} {mix:?}", e.name);
        }
        let unit = format!("BalanceSheet/{}", ch.created_month);
        assert!(mix.old.contains(&unit), "{}: {unit} {mix:?}", e.name);
    }

    // Only the 503s are left: the client retries them, the runs complete
    // on their next attempt, and every entity holds the simulator's books.
    s.control("DELETE", "/_sim/faults", None).await;
    s.control(
        "POST",
        "/_sim/faults",
        Some(json!({"error_rate_percent": 10, "error_status": 503})),
    )
    .await;
    let ids: Vec<i64> = runs.iter().map(|r| r.id).collect();
    for run in run_in_passes(&s, ids, 5).await {
        assert_eq!(run.state, "succeeded", "{:?}", run.error);
    }
    for (e, new) in entities.iter().zip(&new) {
        let now = snapshot(s.app.store(), e.organisation_id).await;
        assert!(&now == new, "{}:\n{}", e.name, snapshot_diff(&now, new));
    }
}

/// A call to Xero's API as the bookkeeper (who may write); the answer must
/// be 200.
pub(crate) async fn xero_write(
    s: &SimApp,
    token: &str,
    tenant: &str,
    method: reqwest::Method,
    path: &str,
    body: Value,
) -> Value {
    let r = reqwest::Client::new()
        .request(method, format!("{}/api.xro/2.0/{path}", s.sim.base_url()))
        .bearer_auth(token)
        .header("xero-tenant-id", tenant)
        .header("accept", "application/json")
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let v: Value = r.json().await.unwrap();
    assert_eq!(status, 200, "{path}: {v}");
    v
}

/// What a bookkeeper changed in one organisation.
pub(crate) struct Changes {
    /// An unpaid sales invoice of one of the last two months, now voided.
    voided: String,
    voided_month: Month,
    /// A sales invoice back-dated fifteen months before the last.
    created: String,
    created_month: Month,
}

/// Voids a recent invoice and raises a back-dated one, so that the months
/// a sync must fetch again fall into two report calls: the first covers
/// the last twelve months, the second the back-dated one.
pub(crate) async fn change_books(s: &SimApp, token: &str, tenant: &str) -> Changes {
    use consol::xero::{InvoiceStatus, InvoiceType};
    let last = *window().last().unwrap();
    let (voided, voided_month, contact, account) = s
        .sim
        .state()
        .with_ledger(tenant.parse().unwrap(), |l| {
            let all = l.get_invoices(&Default::default()).unwrap().invoices;
            let i = all
                .iter()
                .find(|i| {
                    let m = Month::of(i.date.unwrap().date());
                    i.invoice_type == Some(InvoiceType::AccRec)
                        && i.status == Some(InvoiceStatus::Authorised)
                        && i.amount_paid.unwrap_or_default().is_zero()
                        && !i.total.unwrap_or_default().is_zero()
                        && (m == last || m == last.prev())
                })
                .expect("an unpaid sales invoice of the last two months");
            let id = i.invoice_id.unwrap().to_string();
            let full = l.get_invoice(&id).unwrap().invoices.remove(0);
            let account = full.line_items.unwrap()[0].account_code.clone().unwrap();
            (
                id,
                Month::of(i.date.unwrap().date()),
                i.contact.as_ref().unwrap().contact_id.unwrap(),
                account,
            )
        })
        .unwrap();
    xero_write(
        s,
        token,
        tenant,
        reqwest::Method::POST,
        &format!("Invoices/{voided}"),
        json!({"Invoices": [{"InvoiceID": voided, "Status": "VOIDED"}]}),
    )
    .await;
    let created_month = last.plus(-15);
    let date = created_month.first_day() + chrono::Days::new(14);
    let created = xero_write(
        s,
        token,
        tenant,
        reqwest::Method::PUT,
        "Invoices",
        json!({"Invoices": [{
            "Type": "ACCREC", "Contact": {"ContactID": contact}, "Status": "AUTHORISED",
            "Date": date.to_string(), "LineAmountTypes": "Exclusive",
            "LineItems": [{"Description": "Back-dated sale", "Quantity": 1,
                           "UnitAmount": 4321.5, "AccountCode": account}]
        }]}),
    )
    .await;
    Changes {
        voided,
        voided_month,
        created: created["Invoices"][0]["InvoiceID"]
            .as_str()
            .unwrap()
            .to_string(),
        created_month,
    }
}

/// The simulator and Consol's client allowing 600 calls per organisation
/// a minute instead of Xero's 60. A run reads nine endpoints and the
/// reports (issue 11), so a sync retried five times passes 60 calls, and
/// the simulator's clock stands still in tests: its minute never ends, and
/// the retries would wait on 429s. These tests are about faults and whole
/// data, not limits (those are `tests/it/xero_client.rs`'s).
async fn spawn_with_room_for_retries(backend: Backend) -> SimApp {
    use consol::sim::http::{DataChoice, Limits, SimConfig};
    let per_minute = 600;
    crate::helpers::spawn_with_sim_limits(
        backend,
        SimConfig {
            data: DataChoice::Demo,
            auto_approve: true,
            limits: Limits {
                per_minute,
                ..Limits::default()
            },
            ..SimConfig::default()
        },
        consol::xero::client::Limits {
            tenant_per_window: per_minute as usize,
            ..consol::xero::client::Limits::default()
        },
    )
    .await
}

/// Makes every queued job due now, as if its backoff had passed.
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

/// Runs the remaining attempts of the given runs (backoff skipped) until
/// each has finished; returns them.
pub(crate) async fn finish_retries(s: &SimApp, ids: &[i64]) -> Vec<SyncRun> {
    let worker = sync::worker(s.app.store().clone(), s.xero.clone());
    // Five attempts a sync job at most.
    for _ in 0..5 {
        make_jobs_due(s.app.store()).await;
        worker.drain().await.unwrap();
    }
    let mut runs = Vec::new();
    for id in ids {
        let r = s.app.store().sync_run(*id).await.unwrap().unwrap();
        assert!(r.state == "succeeded" || r.state == "failed", "{r:?}");
        runs.push(r);
    }
    runs
}

/// The error a user sees for a broken answer: one line in words naming the
/// call, with none of the parser's detail (that goes to the log) and none
/// of Xero's body.
pub(crate) fn assert_malformed_error(run: &SyncRun, endpoint: &str) {
    let err = run.error.as_deref().unwrap_or_default();
    assert_eq!(
        err,
        format!("Xero sent an answer Consol could not read for {endpoint}"),
        "{run:?}"
    );
}

async fn a_fault_part_way_leaves_each_month_and_record_old_or_new(backend: Backend) {
    let mut s = spawn_with_room_for_retries(backend).await;
    let group = connect_demo_group(&mut s, None).await;
    for r in sync_all(&s, group, SyncKind::Incremental).await {
        assert_eq!(r.state, "succeeded", "{:?}", r.error);
    }
    let entities = s.app.store().entities_for_group(group).await.unwrap();
    let mut old: Vec<Snapshot> = Vec::new();
    for e in &entities {
        old.push(snapshot(s.app.store(), e.organisation_id).await);
    }

    // A minute later bookkeepers change every organisation; the
    // simulator's books are now the new state a fault-free sync reaches.
    s.control("POST", "/_sim/clock", Some(json!({"advance_seconds": 60})))
        .await;
    let token = bookkeeper_token(&s).await;
    let mut changes = Vec::new();
    let mut new: Vec<Snapshot> = Vec::new();
    for e in &entities {
        changes.push(change_books(&s, &token, &e.tenant_id).await);
        new.push(s.xero_snapshot(e.tenant_id.parse().unwrap()));
    }

    // Each organisation's second P&L call comes back cut in half. By then
    // the run has stored the changed invoices and the twelve months of the
    // first call; the back-dated month is in the second.
    for e in &entities {
        s.control(
            "POST",
            "/_sim/faults",
            Some(json!({"tenant_id": e.tenant_id, "truncated_json": true,
                        "only_endpoint": "GET /Reports/ProfitAndLoss", "after_calls": 1})),
        )
        .await;
    }
    let check = |what: &'static str, i: usize, now: Snapshot| {
        let (e, ch) = (&entities[i], &changes[i]);
        let mix = assert_old_or_new(&format!("{} {what}", e.name), &now, &old[i], &new[i]);
        // The fault struck part-way: the voided invoice and its month are
        // new, the back-dated invoice is stored but its month is not.
        for unit in [
            format!("invoice/{}", ch.voided),
            format!("invoice/{}", ch.created),
            format!("ProfitAndLoss/{}", ch.voided_month),
        ] {
            assert!(mix.new.contains(&unit), "{} {what}: {unit} {mix:?}", e.name);
        }
        for unit in [
            format!("ProfitAndLoss/{}", ch.created_month),
            format!("BalanceSheet/{}", ch.created_month),
        ] {
            assert!(mix.old.contains(&unit), "{} {what}: {unit} {mix:?}", e.name);
        }
    };
    let runs = sync_all(&s, group, SyncKind::Incremental).await;
    for (i, run) in runs.iter().enumerate() {
        // The attempt failed: the run shows why while its retry waits.
        assert_eq!(run.state, "retrying", "{run:?}");
        assert!(run.progress_done < run.progress_total, "{run:?}");
        assert_malformed_error(run, "GET /Reports/ProfitAndLoss");
        check(
            "after the first attempt",
            i,
            snapshot(s.app.store(), entities[i].organisation_id).await,
        );
    }
    let queued = s.app.store().job_counts().await.unwrap();
    assert!(queued.contains(&("queued".to_string(), 5)), "{queued:?}");

    // The retries meet the same fault; the runs end failed, and nothing
    // they did on the way mixed old and new.
    let ids: Vec<i64> = runs.iter().map(|r| r.id).collect();
    for (i, run) in finish_retries(&s, &ids).await.iter().enumerate() {
        assert_eq!(run.state, "failed", "{run:?}");
        assert_malformed_error(run, "GET /Reports/ProfitAndLoss");
        check(
            "after the last attempt",
            i,
            snapshot(s.app.store(), entities[i].organisation_id).await,
        );
    }

    // Without the fault the next incremental run brings the rest: the
    // stored data is the simulator's.
    s.control("DELETE", "/_sim/faults", None).await;
    for r in sync_all(&s, group, SyncKind::Incremental).await {
        assert_eq!(r.state, "succeeded", "{:?}", r.error);
    }
    for (i, e) in entities.iter().enumerate() {
        let now = snapshot(s.app.store(), e.organisation_id).await;
        assert!(
            now == new[i],
            "{}:\n{}",
            e.name,
            snapshot_diff(&now, &new[i])
        );
    }
}

/// The net profit of the consolidated report for one month: the group's
/// figure and its eliminations.
async fn consolidated_month(
    s: &SimApp,
    group: &consol::store::Group,
    month: Month,
) -> (Decimal, Decimal, consol::engine::ProfitAndLossReport) {
    let period = consol::domain::MonthRange::new(month, month).unwrap();
    let (_, report) = consol::consolidation::consolidate_group(s.app.store(), group, period)
        .await
        .unwrap();
    let json = serde_json::to_value(&report).unwrap();
    let figure =
        |key: &str| -> Decimal { json["net_profit"][key].as_str().unwrap().parse().unwrap() };
    (figure("consolidated"), figure("eliminations"), report)
}

/// An intercompany invoice voided in Xero and a draft deleted there are
/// updated by the webhook's sync, not left behind; the voided invoice
/// leaves the entity's P&L (Xero's report) and, as the engine eliminates
/// only AUTHORISED and PAID invoices, the eliminations too.
async fn a_webhook_brings_voided_and_deleted_invoices(backend: Backend) {
    use consol::engine::MatchStatus;
    let crate::helpers::SyncedGroup { s, group, user_id } =
        crate::helpers::synced_demo_group(backend).await;
    subscribe_to_webhooks(&s);
    consol::consolidation::apply_suggestions(
        s.app.store(),
        &group,
        true,
        Some(user_id),
        Utc::now(),
    )
    .await
    .unwrap();
    consol::demo::demo_rates(s.app.store(), &group)
        .await
        .unwrap();
    let entities = s.app.store().entities_for_group(group.id).await.unwrap();
    let months = window();
    let wide = consol::domain::MonthRange::new(months[0], *months.last().unwrap()).unwrap();
    let reconcile = || async {
        let data = consol::consolidation::load(s.app.store(), &group, wide)
            .await
            .unwrap();
        consol::engine::reconcile_intercompany(&data, wide).unwrap()
    };

    // A matched intercompany sale, unpaid, so that Xero lets it be voided.
    // The engine's rule: only AUTHORISED and PAID invoices post.
    let rec = reconcile().await;
    let (seller, bill, month, effect) = rec
        .pairs
        .iter()
        .filter(|p| p.status == MatchStatus::Matched)
        .filter(|p| p.kind == consol::engine::DocumentKind::Invoice)
        .find_map(|p| {
            let (sale, bill) = (p.seller_invoice.as_ref()?, p.buyer_bill.as_ref()?);
            // A seller in the presentation currency, so that its P&L
            // moves by the elimination's own amount.
            let e = entities
                .iter()
                .find(|e| e.id == p.seller.0 && e.base_currency == group.presentation_currency)?;
            let unpaid = s
                .sim
                .state()
                .with_ledger(e.tenant_id.parse().unwrap(), |l| {
                    let i = l.get_invoice(&sale.invoice_id).unwrap().invoices.remove(0);
                    i.status == Some(consol::xero::InvoiceStatus::Authorised)
                        && i.amount_paid.unwrap_or_default().is_zero()
                })
                .unwrap();
            unpaid.then(|| (e.clone(), bill.invoice_id.clone(), p.month, sale.clone()))
        })
        .expect("an unpaid, matched intercompany sale");
    let sale = effect.invoice_id.clone();
    let tenant = seller.tenant_id.clone();
    let org = seller.organisation_id;
    let effect = effect.profit_effect.expect("the month has rates");
    assert!(!effect.is_zero());

    // A bookkeeper raises a draft; the webhook's sync brings it in.
    let token = bookkeeper_token(&s).await;
    s.control("POST", "/_sim/clock", Some(json!({"advance_seconds": 60})))
        .await;
    let contact = s
        .sim
        .state()
        .with_ledger(tenant.parse().unwrap(), |l| {
            l.get_contacts(&Default::default()).unwrap().contacts[0]
                .contact_id
                .unwrap()
        })
        .unwrap();
    let draft = xero_write(
        &s,
        &token,
        &tenant,
        reqwest::Method::PUT,
        "Invoices",
        json!({"Invoices": [{
            "Type": "ACCREC", "Contact": {"ContactID": contact}, "Status": "DRAFT",
            "Date": month.first_day().to_string(), "LineAmountTypes": "Exclusive",
            "LineItems": [{"Description": "Maybe", "Quantity": 1, "UnitAmount": 50, "AccountCode": "200"}]
        }]}),
    )
    .await["Invoices"][0]["InvoiceID"]
        .as_str()
        .unwrap()
        .to_string();
    wait_for_queued_sync(&s).await;
    sync::worker(s.app.store().clone(), s.xero.clone())
        .drain()
        .await
        .unwrap();
    let status = |id: String| {
        let store = s.app.store().clone();
        async move {
            store
                .invoice_status(org, &id)
                .await
                .unwrap()
                .map(|(st, _)| st)
        }
    };
    assert_eq!(status(draft.clone()).await.as_deref(), Some("DRAFT"));
    let count = s.app.store().count_invoices(org).await.unwrap();
    let (consolidated, eliminations, _) = consolidated_month(&s, &group, month).await;
    let net_profit = stored_net_profit(s.app.store(), org, month).await.unwrap();

    // A minute later the sale is voided and the draft deleted, in one call.
    s.control("POST", "/_sim/clock", Some(json!({"advance_seconds": 60})))
        .await;
    xero_write(
        &s,
        &token,
        &tenant,
        reqwest::Method::POST,
        "Invoices",
        json!({"Invoices": [{"InvoiceID": sale, "Status": "VOIDED"},
                            {"InvoiceID": draft, "Status": "DELETED"}]}),
    )
    .await;
    wait_for_queued_sync(&s).await;
    let runs = sync::worker(s.app.store().clone(), s.xero.clone())
        .drain()
        .await
        .unwrap();
    assert!(runs >= 1);

    // Both are updated in place; nothing is added or left behind.
    assert_eq!(status(sale.clone()).await.as_deref(), Some("VOIDED"));
    assert_eq!(status(draft.clone()).await.as_deref(), Some("DELETED"));
    assert_eq!(s.app.store().count_invoices(org).await.unwrap(), count);
    // Every record and month of the seller is Xero's again: the sale's
    // month lost its revenue, and the balance sheets since their
    // receivable.
    let ours = snapshot(s.app.store(), org).await;
    let theirs = s.xero_snapshot(tenant.parse().unwrap());
    assert!(ours == theirs, "{}", snapshot_diff(&ours, &theirs));
    let after = stored_net_profit(s.app.store(), org, month).await.unwrap();
    assert_eq!(
        after,
        net_profit + effect,
        "the voided sale left the seller's P&L"
    );

    // The engine no longer eliminates the sale: the eliminations lose
    // exactly its effect, which the seller's column lost with it, so the
    // group's profit is unchanged (the sale was eliminated before and is
    // gone now); its bill is left without a counterpart.
    let (consolidated_after, eliminations_after, report) =
        consolidated_month(&s, &group, month).await;
    assert_eq!(eliminations_after, eliminations - effect);
    assert_eq!(consolidated_after, consolidated);
    for t in &report.tie_out {
        assert_eq!(t.difference, Some(Decimal::ZERO), "{t:?}");
    }
    let rec = reconcile().await;
    assert!(
        !rec.pairs.iter().any(|p| p
            .seller_invoice
            .as_ref()
            .is_some_and(|i| i.invoice_id == sale)),
        "the voided sale is not paired"
    );
    let alone = rec
        .pairs
        .iter()
        .find(|p| p.buyer_bill.as_ref().is_some_and(|b| b.invoice_id == bill))
        .expect("the bill is still listed");
    assert_eq!(alone.status, MatchStatus::CounterpartMissing, "{alone:?}");
}

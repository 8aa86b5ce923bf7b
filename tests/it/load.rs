//! A short load check: 50 clients at once on a synced demo group's report
//! pages (the group page, the P&L page and the P&L as JSON) for a few
//! seconds while a full sync writes. `/healthz` and sign-in keep being
//! answered (within 15 s even on a crowded CI machine; the times are
//! printed), and no request gets a 5xx, except the report gate's
//! documented busy answer (503 with `Retry-After` and the API's `busy`
//! code, `src/reports/gate.rs`), which is counted and allowed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use consol::domain::Month;
use serde_json::json;
use tokio::sync::Mutex;

use crate::backends;
use crate::helpers::{Backend, Client, api_token, login, set_up_like_the_demo, synced_demo_group};

backends!(fifty_clients_on_the_reports_while_a_sync_writes);

const CLIENTS: usize = 50;
const LOAD_FOR: Duration = Duration::from_secs(3);
/// Longer than this for `/healthz` or a sign-in is "not answered". Loose
/// on purpose: CI machines are shared and slow; the times are printed.
const ANSWER_WITHIN: Duration = Duration::from_secs(15);

#[derive(Default, Debug)]
struct Tally {
    ok: usize,
    /// The gate's busy answers: 503, `Retry-After`, and for the API
    /// `{"error": {"code": "busy"}}`.
    busy: usize,
    /// Anything else at 500 or above: must stay empty.
    failures: Vec<String>,
    /// Other statuses (redirects, 4xx): must stay empty too.
    unexpected: Vec<String>,
}

async fn fifty_clients_on_the_reports_while_a_sync_writes(backend: Backend) {
    let began = Instant::now();
    let g = synced_demo_group(backend).await;
    let synced_in = began.elapsed();
    let store = g.s.app.store().clone();
    set_up_like_the_demo(&store, &g.group, g.user_id).await;
    let token = "consol_load_token";
    api_token(&store, g.user_id, token).await;
    // The session of the signed-in user (connect_demo_group signed in).
    let cookie = g.s.app.client.cookie_header();
    let gid = g.group.id;
    let base = g.s.app.address.clone();

    // A full sync of every entity, slowed by Xero's latency so that it
    // writes throughout the load.
    g.s.control("POST", "/_sim/faults", Some(json!({"latency_ms": 20})))
        .await;
    for e in store.entities_for_group(gid).await.unwrap() {
        consol::sync::enqueue(&store, e.organisation_id, consol::sync::SyncKind::Full)
            .await
            .unwrap();
    }
    let worker = consol::sync::worker(store.clone(), g.s.xero.clone());
    let syncing = tokio::spawn(async move { worker.drain().await.unwrap() });
    let mut running = false;
    for _ in 0..200 {
        let runs = store.latest_runs_for_group(gid).await.unwrap();
        if runs.iter().any(|r| r.state == "running") {
            running = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(running, "the sync is writing when the load starts");

    let last = Month::of(chrono::Utc::now().date_naive()).prev();
    // Three periods, so that the reports are built, not only served from
    // the cache, and again whenever the sync moves the data version.
    let periods: Vec<(Month, Month)> =
        vec![(last.plus(-11), last), (last.plus(-2), last), (last, last)];
    let tally = Arc::new(Mutex::new(Tally::default()));
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(CLIENTS)
        .build()
        .unwrap();
    let until = Instant::now() + LOAD_FOR;
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let (http, tally, cookie, base, periods) = (
            http.clone(),
            tally.clone(),
            cookie.clone(),
            base.clone(),
            periods.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut i = c;
            while Instant::now() < until {
                let (from, to) = periods[i % periods.len()];
                let (path, api) = match i % 3 {
                    0 => (format!("/groups/{gid}"), false),
                    1 => (
                        format!("/groups/{gid}/reports/profit-and-loss?from={from}&to={to}"),
                        false,
                    ),
                    _ => (
                        format!("/api/v1/groups/{gid}/reports/profit-and-loss?from={from}&to={to}"),
                        true,
                    ),
                };
                i += 1;
                let req = http.get(format!("{base}{path}"));
                let req = if api {
                    req.bearer_auth(token)
                } else {
                    req.header("cookie", &cookie)
                };
                let resp = req.send().await;
                let mut t = tally.lock().await;
                match resp {
                    Err(e) => t.failures.push(format!("{path}: {e}")),
                    Ok(r) => {
                        let status = r.status().as_u16();
                        let retry_after = r.headers().contains_key("retry-after");
                        drop(t);
                        let body = r.text().await.unwrap_or_default();
                        let mut t = tally.lock().await;
                        match status {
                            200 => t.ok += 1,
                            503 if retry_after && (!api || body.contains("\"busy\"")) => {
                                t.busy += 1
                            }
                            s if s >= 500 => t.failures.push(format!(
                                "{path}: {s} {}",
                                body.chars().take(200).collect::<String>()
                            )),
                            s => t.unexpected.push(format!("{path}: {s}")),
                        }
                    }
                }
            }
        }));
    }

    // Meanwhile: health checks and sign-ins, each answered in time.
    let mut health = Vec::new();
    let mut sign_ins = Vec::new();
    while Instant::now() < until {
        let started = Instant::now();
        let h = tokio::time::timeout(ANSWER_WITHIN, http.get(format!("{base}/healthz")).send())
            .await
            .expect("/healthz answered within 15 s under load")
            .expect("/healthz answered");
        assert_eq!(h.status(), 200);
        health.push(started.elapsed());

        let started = Instant::now();
        let mut browser = Client::new(&base);
        tokio::time::timeout(
            ANSWER_WITHIN,
            login(&mut browser, "fin@example.com", "finance team pw"),
        )
        .await
        .expect("a sign-in answered within 15 s under load");
        sign_ins.push(started.elapsed());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for t in tasks {
        t.await.unwrap();
    }
    let syncing_after = !syncing.is_finished();
    syncing.abort();
    let _ = syncing.await;
    g.s.control("DELETE", "/_sim/faults", None).await;

    let t = tally.lock().await;
    eprintln!(
        "{backend:?}: set up in {synced_in:?}, done in {:?}; {} answered, {} busy (503 + Retry-After), health checks {:?} max, \
         sign-ins {:?} max, sync still writing at the end: {syncing_after}",
        began.elapsed(),
        t.ok,
        t.busy,
        health.iter().max(),
        sign_ins.iter().max()
    );
    assert!(
        t.failures.is_empty(),
        "5xx or failed requests: {:#?}",
        t.failures
    );
    assert!(
        t.unexpected.is_empty(),
        "unexpected statuses: {:#?}",
        t.unexpected
    );
    assert!(t.ok >= CLIENTS, "the clients were served: {t:?}");
    // At least one of each while all fifty clients were at it (the first
    // starts as they do); more on a faster machine.
    assert!(!health.is_empty() && !sign_ins.is_empty());
}

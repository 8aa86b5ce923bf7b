//! Xero webhooks: an empty key is refused, and a replayed delivery (same
//! body and signature) queues nothing new.

use consol::config::Secret;
use serde_json::json;

use crate::helpers::{
    Backend, SimApp, WEBHOOK_KEY, connect_demo_group, spawn_app_with, spawn_with_sim,
};

crate::backends!(
    an_empty_webhook_key_signs_nothing,
    replayed_webhooks_queue_nothing_new
);

async fn post(address: &str, key: &str, body: &str) -> u16 {
    reqwest::Client::new()
        .post(format!("{address}/webhooks/xero"))
        .header(
            "x-xero-signature",
            consol::web::webhooks::signature(key, body.as_bytes()),
        )
        .body(body.to_string())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// With an empty key anyone can sign: such a key is no key.
async fn an_empty_webhook_key_signs_nothing(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.xero_webhook_key = Some(Secret::new(""));
    })
    .await;
    let intent = r#"{"events":[],"firstEventSequence":0,"lastEventSequence":0,"entropy":"XYZ"}"#;
    assert_eq!(post(&app.address, "", intent).await, 401);
}

/// Runs every queued job to 'done' by hand (no worker runs in these tests).
async fn drain_jobs(s: &SimApp) {
    let store = s.app.store();
    while let Some(job) = store.claim_job("test", chrono::Utc::now()).await.unwrap() {
        store.finish_job(job.id, chrono::Utc::now()).await.unwrap();
    }
}

async fn queued(s: &SimApp) -> i64 {
    s.app
        .store()
        .job_counts()
        .await
        .unwrap()
        .iter()
        .filter(|(state, _)| state == "queued")
        .map(|(_, n)| *n)
        .sum()
}

async fn replayed_webhooks_queue_nothing_new(backend: Backend) {
    let mut s = spawn_with_sim(backend).await;
    connect_demo_group(&mut s, None).await;
    drain_jobs(&s).await;
    assert_eq!(queued(&s).await, 0);
    let tenant = s.sim.tenants()[0].0.to_string();
    let delivery = |entropy: &str| {
        json!({"events": [{"resourceUrl": "x", "resourceId": uuid::Uuid::nil(),
            "eventDateUtc": "2026-11-25T08:00:00.000", "eventType": "UPDATE",
            "eventCategory": "INVOICE", "tenantId": tenant, "tenantType": "ORGANISATION"}],
            "firstEventSequence": 1, "lastEventSequence": 1, "entropy": entropy})
        .to_string()
    };
    let first = delivery("first");
    assert_eq!(post(&s.app.address, WEBHOOK_KEY, &first).await, 200);
    assert_eq!(queued(&s).await, 1, "the delivery queues a sync");
    drain_jobs(&s).await;

    // The same bytes and signature again: answered, but nothing queued.
    assert_eq!(post(&s.app.address, WEBHOOK_KEY, &first).await, 200);
    assert_eq!(queued(&s).await, 0, "a replay queues nothing");

    // A new delivery still does.
    assert_eq!(
        post(&s.app.address, WEBHOOK_KEY, &delivery("second")).await,
        200
    );
    assert_eq!(queued(&s).await, 1);
}

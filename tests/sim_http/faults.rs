//! Injected faults.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn malformed_and_truncated_json() {
    let sim = Sim::empty().await;
    let tenants = sim.setup().await;
    let tok = token_of(&sim.login().await);
    sim.post_json("/_sim/faults", json!({"malformed_json": true}))
        .await;
    let r = sim.get(&tok, tenants[0], "/Organisation").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(serde_json::from_slice::<Value>(&r.bytes().await.unwrap()).is_err());
    sim.post_json(
        "/_sim/faults",
        json!({"tenant_id": tenants[1], "truncated_json": true}),
    )
    .await;
    let r = sim.get(&tok, tenants[1], "/Organisation").await;
    let body = r.bytes().await.unwrap();
    assert!(body.starts_with(b"{"));
    assert!(serde_json::from_slice::<Value>(&body).is_err());
    let r = sim
        .http
        .delete(sim.url("/_sim/faults"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = sim.get(&tok, tenants[0], "/Organisation").await;
    assert!(r.json::<Value>().await.is_ok());
}

#[tokio::test]
async fn errors_at_the_configured_rate() {
    let sim = Sim::empty().await;
    let tenants = sim.setup().await;
    let tok = token_of(&sim.login().await);
    sim.post_json(
        "/_sim/faults",
        json!({"tenant_id": tenants[0], "error_rate_percent": 50, "error_status": 503}),
    )
    .await;
    let mut statuses = Vec::new();
    for _ in 0..10 {
        let r = sim.get(&tok, tenants[0], "/Organisation").await;
        statuses.push(r.status().as_u16());
        if r.status() == StatusCode::SERVICE_UNAVAILABLE {
            assert!(
                r.headers()["content-type"]
                    .to_str()
                    .unwrap()
                    .starts_with("text/plain")
            );
        }
    }
    assert_eq!(statuses.iter().filter(|s| **s == 503).count(), 5);
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 5);
    // The other tenant is untouched.
    assert_eq!(
        sim.get(&tok, tenants[1], "/Organisation").await.status(),
        StatusCode::OK
    );
    // 500s carry Xero's JSON body.
    sim.post_json(
        "/_sim/faults",
        json!({"tenant_id": tenants[1], "error_rate_percent": 100}),
    )
    .await;
    let r = sim.get(&tok, tenants[1], "/Organisation").await;
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["Message"], "An unhandled error with the Xero API");
}

#[tokio::test]
async fn forced_429_with_retry_after_and_revoked_refresh_tokens() {
    let sim = Sim::empty().await;
    let tenants = sim.setup().await;
    let t = sim.login().await;
    let tok = token_of(&t);
    sim.post_json(
        "/_sim/faults",
        json!({"tenant_id": tenants[0], "force_429": "day", "retry_after": 3600}),
    )
    .await;
    let r = sim.get(&tok, tenants[0], "/Invoices").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.headers()["x-rate-limit-problem"], "day");
    assert_eq!(r.headers()["retry-after"], "3600");
    let stats = sim.get_json("/_sim/stats").await;
    assert_eq!(
        stats["tenants"][tenants[0].to_string()]["rejected_429"].as_u64(),
        Some(1)
    );

    sim.post_json(
        "/_sim/faults",
        json!({"tenant_id": tenants[1], "revoke_refresh_tokens": true}),
    )
    .await;
    let r = sim
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", t["refresh_token"].as_str().unwrap()),
        ])
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"], "invalid_grant");
}

#[tokio::test]
async fn body_faults_on_one_endpoint_after_some_answers() {
    let sim = Sim::empty().await;
    let tenants = sim.setup().await;
    let tok = token_of(&sim.login().await);
    // The first invoices answer is whole, each one after is malformed, and
    // the other endpoints are untouched.
    sim.post_json(
        "/_sim/faults",
        json!({"tenant_id": tenants[0], "malformed_json": true,
               "only_endpoint": "GET /Invoices", "after_calls": 1}),
    )
    .await;
    let json_ok = |b: &[u8]| serde_json::from_slice::<Value>(b).is_ok();
    let mut seen = Vec::new();
    for path in [
        "/Organisation",
        "/Invoices",
        "/Contacts",
        "/Invoices",
        "/Invoices",
    ] {
        let r = sim.get(&tok, tenants[0], path).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        seen.push(json_ok(&r.bytes().await.unwrap()));
    }
    assert_eq!(seen, [true, true, true, false, false]);

    // 5xx on every endpoint and truncation on one, in the same set: the
    // answers failed with a 503 do not count towards after_calls.
    sim.post_json(
        "/_sim/faults",
        json!({"tenant_id": tenants[1], "error_rate_percent": 50, "error_status": 503,
               "truncated_json": true, "only_endpoint": "GET /Contacts", "after_calls": 3}),
    )
    .await;
    let mut paths = vec!["/Organisation"];
    paths.extend(["/Contacts"; 5]);
    paths.push("/Organisation");
    paths.extend(["/Contacts"; 5]);
    let mut seen = Vec::new();
    for path in &paths {
        let r = sim.get(&tok, tenants[1], path).await;
        let status = r.status().as_u16();
        let whole = json_ok(&r.bytes().await.unwrap());
        seen.push((status, whole));
    }
    // Exactly one call in each two drew a 503 (which of the two is drawn).
    for pair in seen.chunks(2) {
        assert_eq!(
            pair.iter().filter(|(s, _)| *s == 503).count(),
            1,
            "{seen:?}"
        );
    }
    // What the rule says, worked out from the statuses: a 503 has no JSON;
    // the first three Contacts answers that succeeded are whole, the
    // Contacts answers after them truncated; Organisation is untouched.
    let mut contacts_ok = 0;
    let mut failed_before_third = 0;
    let expected: Vec<(u16, bool)> = paths
        .iter()
        .zip(&seen)
        .map(|(path, (status, _))| match (*status, *path) {
            (503, path) => {
                if path == "/Contacts" && contacts_ok < 3 {
                    failed_before_third += 1;
                }
                (503, false)
            }
            (_, "/Contacts") => {
                contacts_ok += 1;
                (200, contacts_ok <= 3)
            }
            _ => (200, true),
        })
        .collect();
    assert_eq!(seen, expected);
    // Were 503s counted, fewer answers would have been spared: a Contacts
    // call drew one before the third success, and some were truncated.
    assert!(failed_before_third > 0 && contacts_ok > 3, "{seen:?}");

    // An endpoint must be named as /_sim/stats names it.
    let r = sim
        .http
        .post(sim.url("/_sim/faults"))
        .json(&json!({"malformed_json": true, "only_endpoint": "Invoices"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn body_faults_at_a_rate() {
    let sim = Sim::empty().await;
    let tenants = sim.setup().await;
    let tok = token_of(&sim.login().await);
    sim.post_json(
        "/_sim/faults",
        json!({"tenant_id": tenants[0], "malformed_json": true, "body_fault_percent": 10}),
    )
    .await;
    let mut broken = Vec::new();
    for i in 0..20 {
        let r = sim.get(&tok, tenants[0], "/Organisation").await;
        assert_eq!(r.status(), StatusCode::OK);
        if serde_json::from_slice::<Value>(&r.bytes().await.unwrap()).is_err() {
            broken.push(i);
        }
    }
    // Exactly one answer in ten, by a counter: the 10th and the 20th.
    assert_eq!(broken, [9, 19]);
    let r = sim
        .http
        .post(sim.url("/_sim/faults"))
        .json(&json!({"malformed_json": true, "body_fault_percent": 101}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

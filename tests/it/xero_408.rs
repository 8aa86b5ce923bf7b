//! HTTP 408 (a gateway in front of Xero timed the request out) is a
//! passing fault: the client retries the call like a 5xx, and after the
//! attempts allowed it is a transient `Unavailable`, never a failure that
//! needs a person.

use std::time::Duration;

use consol::sim::http::{DataChoice, SimConfig};
use consol::xero::client::{Limits, RetryPolicy, XeroApi, XeroEndpoints, XeroError};
use serde_json::json;

use crate::helpers::{Backend, connect_demo_group, sim_control, spawn_with_sim_config};

#[tokio::test]
async fn a_408_is_retried_and_only_the_last_one_is_an_error() {
    let mut s = spawn_with_sim_config(
        Backend::Sqlite,
        SimConfig {
            data: DataChoice::Demo,
            auto_approve: true,
            ..SimConfig::default()
        },
    )
    .await;
    let base = s.sim.base_url();
    let group = connect_demo_group(&mut s, None).await;
    let e = &s.app.store().entities_for_group(group).await.unwrap()[0];
    let token = s
        .xero
        .tokens
        .access_token(e.token_set_id.unwrap())
        .await
        .unwrap();
    let api = XeroApi::new(
        XeroEndpoints::at(&base),
        Limits::default(),
        RetryPolicy {
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
            ..RetryPolicy::default()
        },
    );

    // The simulator answers 408 as a gateway does: plain text.
    sim_control(
        &base,
        "POST",
        "/_sim/faults",
        Some(json!({"tenant_id": e.tenant_id, "error_rate_percent": 100, "error_status": 408})),
    )
    .await;
    let raw = reqwest::Client::new()
        .get(format!("{base}/api.xro/2.0/Organisation"))
        .bearer_auth(&token)
        .header("xero-tenant-id", &e.tenant_id)
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 408);

    // Every attempt timed out: a transient error naming the status, after
    // exactly the attempts the policy allows.
    sim_control(&base, "DELETE", "/_sim/stats", None).await;
    let err = api
        .get::<serde_json::Value>(&token, &e.tenant_id, "Organisation", &[], None)
        .await
        .expect_err("every attempt drew a 408");
    match &err {
        XeroError::Unavailable { endpoint, detail } => {
            assert_eq!(endpoint, "GET /Organisation");
            assert_eq!(detail, "HTTP 408");
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
    assert!(err.is_transient());
    let stats = sim_control(&base, "GET", "/_sim/stats", None).await;
    assert_eq!(
        stats["tenants"][&e.tenant_id]["calls"].as_i64(),
        Some(i64::from(RetryPolicy::default().max_attempts)),
        "{stats}"
    );

    // Half the calls time out: every call is answered in the end, and the
    // calls made count the retries.
    sim_control(
        &base,
        "POST",
        "/_sim/faults",
        Some(json!({"tenant_id": e.tenant_id, "error_rate_percent": 50, "error_status": 408, "seed": 7})),
    )
    .await;
    sim_control(&base, "DELETE", "/_sim/stats", None).await;
    let mut calls = 0;
    for _ in 0..10 {
        let r = api
            .get::<serde_json::Value>(&token, &e.tenant_id, "Organisation", &[], None)
            .await
            .expect("answered after retrying the 408s");
        assert!(r.value.get("Organisations").is_some(), "{}", r.value);
        calls += r.calls;
    }
    let stats = sim_control(&base, "GET", "/_sim/stats", None).await;
    let served = stats["tenants"][&e.tenant_id]["calls"].as_i64().unwrap();
    assert!(calls > 10, "some 408s were retried: {calls} calls");
    assert_eq!(served, i64::from(calls), "{stats}");
}

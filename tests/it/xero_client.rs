//! The Xero client driven hard against the simulator: at the simulator's
//! full rate, through injected failures, without ever being refused.

use std::time::Duration;

use consol::sim::http::{DataChoice, Limits as SimLimits, SimConfig};
use consol::xero::client::{Limits, RetryPolicy, XeroApi};
use serde_json::json;

use crate::helpers::{
    Backend, connect_demo_group, sim_control, spawn_with_sim_config, spawn_with_sim_limits,
};

/// Xero's pattern of limits (5 concurrent, 60 a window per tenant) with a
/// two-second window so that 2,000 calls take seconds, not half an hour.
fn fast_limits() -> (SimLimits, Limits) {
    (
        SimLimits {
            minute_seconds: 2,
            ..SimLimits::default()
        },
        Limits {
            window: Duration::from_secs(2),
            ..Limits::default()
        },
    )
}

#[tokio::test]
async fn two_thousand_calls_under_faults_are_all_answered_without_a_429() {
    let (sim_limits, client_limits) = fast_limits();
    let mut s = spawn_with_sim_limits(
        Backend::Sqlite,
        SimConfig {
            data: DataChoice::Demo,
            auto_approve: true,
            real_time: true,
            limits: sim_limits,
            ..SimConfig::default()
        },
        client_limits,
    )
    .await;
    let base = s.sim.base_url();
    let group = connect_demo_group(&mut s, None).await;
    let entities = s.app.store().entities_for_group(group).await.unwrap();
    let ts = entities[0].token_set_id.unwrap();
    let token = s.xero.tokens.access_token(ts).await.unwrap();
    sim_control(
        &base,
        "POST",
        "/_sim/faults",
        Some(json!({
            "error_rate_percent": 10, "error_status": 503, "latency_ms": 20
        })),
    )
    .await;
    sim_control(&base, "DELETE", "/_sim/stats", None).await;

    // The app's own client: its limiter has seen the connect flow's calls.
    let xero = s.xero.clone();
    let mut tasks = Vec::new();
    for (i, e) in entities.iter().enumerate() {
        for k in 0..10 {
            let xero = xero.clone();
            let token = token.clone();
            let tenant = e.tenant_id.clone();
            let path = if (i + k) % 2 == 0 {
                "Organisation"
            } else {
                "Currencies"
            };
            tasks.push(tokio::spawn(async move {
                let mut calls = 0;
                for _ in 0..50 {
                    let r = xero
                        .api
                        .get::<serde_json::Value>(&token, &tenant, path, &[], None)
                        .await
                        .expect("every call is answered");
                    calls += r.calls;
                }
                calls
            }));
        }
    }
    let mut calls = 0;
    for t in tasks {
        calls += t.await.unwrap();
    }
    let stats = sim_control(&base, "GET", "/_sim/stats", None).await;
    let tenants = stats["tenants"].as_object().unwrap();
    let rejected: i64 = tenants
        .values()
        .map(|t| t["rejected_429"].as_i64().unwrap())
        .sum();
    let served: i64 = tenants.values().map(|t| t["calls"].as_i64().unwrap()).sum();
    assert_eq!(rejected, 0, "never refused: {stats}");
    assert!(
        calls > 2000,
        "the 503s were retried: {calls} calls for 2,000 answers"
    );
    assert_eq!(
        served,
        i64::from(calls),
        "every call the client made reached the simulator"
    );
}

#[tokio::test]
async fn a_429_waits_for_retry_after_then_succeeds() {
    let (sim_limits, client_limits) = fast_limits();
    let mut s = spawn_with_sim_config(
        Backend::Sqlite,
        SimConfig {
            data: DataChoice::Demo,
            auto_approve: true,
            real_time: true,
            limits: sim_limits,
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
        consol::xero::client::XeroEndpoints::at(&base),
        client_limits,
        RetryPolicy::default(),
    );
    sim_control(
        &base,
        "POST",
        "/_sim/faults",
        Some(json!({"force_429": "minute", "retry_after": 1})),
    )
    .await;
    let tenant = e.tenant_id.clone();
    let call = tokio::spawn(async move {
        api.get::<serde_json::Value>(&token, &tenant, "Organisation", &[], None)
            .await
    });
    // While the client waits out Retry-After, the pressure goes away.
    let mut seen = false;
    for _ in 0..100 {
        let st = sim_control(&base, "GET", "/_sim/stats", None).await;
        if st["tenants"][&e.tenant_id]["rejected_429"]
            .as_i64()
            .unwrap_or(0)
            > 0
        {
            seen = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(seen, "the simulator refused the first attempt");
    sim_control(&base, "DELETE", "/_sim/faults", None).await;
    let r = call.await.unwrap().expect("answered after waiting");
    assert!(r.calls >= 2, "retried after the 429");
}

#[tokio::test]
async fn malformed_and_truncated_answers_are_typed_errors_naming_the_endpoint() {
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
    for fault in ["malformed_json", "truncated_json"] {
        sim_control(&base, "POST", "/_sim/faults", Some(json!({ fault: true }))).await;
        let r = s
            .xero
            .api
            .get::<consol::xero::Invoices>(&token, &e.tenant_id, "Invoices", &[], None)
            .await;
        match r {
            Err(consol::xero::client::XeroError::Malformed { endpoint, .. }) => {
                assert_eq!(endpoint, "GET /Invoices")
            }
            other => panic!("{fault}: {other:?}"),
        }
        sim_control(&base, "DELETE", "/_sim/faults", None).await;
    }
}

/// Two processes of one app share each tenant's minute budget at Xero.
/// The second process learns what the first used from Xero's
/// `X-MinLimit-Remaining` and waits for the next window instead of being
/// refused.
#[tokio::test]
async fn a_second_process_waits_for_the_budget_the_first_one_used() {
    let mut s = spawn_with_sim_config(
        Backend::Sqlite,
        SimConfig {
            data: DataChoice::Demo,
            auto_approve: true,
            limits: SimLimits {
                per_minute: 5,
                ..SimLimits::default()
            },
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
    // The simulator's clock stands still: a new window starts only when
    // the test moves it. Start from an empty one.
    let advance = || {
        sim_control(
            &base,
            "POST",
            "/_sim/clock",
            Some(json!({"advance_seconds": 60})),
        )
    };
    advance().await;
    sim_control(&base, "DELETE", "/_sim/stats", None).await;
    // Each "process" has its own client; a 429 is an error, not a retry.
    let process = || {
        XeroApi::new(
            consol::xero::client::XeroEndpoints::at(&base),
            Limits {
                tenant_per_window: 5,
                window: Duration::from_secs(1),
                ..Limits::default()
            },
            RetryPolicy {
                max_attempts: 1,
                ..RetryPolicy::default()
            },
        )
    };
    let (first, second) = (process(), process());
    let get = |api: &XeroApi| {
        let (token, tenant) = (token.clone(), e.tenant_id.clone());
        let api = api.clone();
        async move {
            api.get::<serde_json::Value>(&token, &tenant, "Organisation", &[], None)
                .await
        }
    };
    for _ in 0..4 {
        get(&first).await.expect("within the budget");
    }
    // The fifth call of the window, and the second process's first.
    get(&second).await.expect("within the budget");
    let next = tokio::spawn(get(&second));
    // Had it gone at once, Xero's window would have refused it; it waits
    // for its own window (one second) and by then Xero's has moved on.
    tokio::time::sleep(Duration::from_millis(300)).await;
    advance().await;
    next.await
        .unwrap()
        .expect("answered in the next window, not refused");
    let stats = sim_control(&base, "GET", "/_sim/stats", None).await;
    assert_eq!(
        stats["tenants"][&e.tenant_id]["rejected_429"],
        json!(0),
        "{stats}"
    );
    assert_eq!(stats["tenants"][&e.tenant_id]["calls"], json!(6));
}

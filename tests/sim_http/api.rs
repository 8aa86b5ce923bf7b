//! Connections, authentication and authorisation errors, paths, limits.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;

async fn connections(sim: &Sim, token: &str, query: &str) -> Vec<Value> {
    let r = sim
        .http
        .get(sim.url(&format!("/connections{query}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

#[tokio::test]
async fn connections_filter_by_auth_event_and_delete_then_403() {
    let sim = Sim::empty().await;
    let tenants = sim.setup().await;
    let t = sim.login().await;
    let tok = token_of(&t);
    let list = connections(&sim, &tok, "").await;
    assert_eq!(list.len(), 2);
    for c in &list {
        assert_eq!(c["tenantType"], "ORGANISATION");
        for k in [
            "id",
            "authEventId",
            "tenantId",
            "tenantName",
            "createdDateUtc",
            "updatedDateUtc",
        ] {
            assert!(c.get(k).is_some(), "{k} missing in {c}");
        }
        // Xero's format: seven fraction digits, no zone.
        let created = c["createdDateUtc"].as_str().unwrap();
        assert_eq!(
            created.len(),
            "2019-12-07T18:46:19.5165400".len(),
            "{created}"
        );
    }
    let event = list[0]["authEventId"].as_str().unwrap().to_string();
    // The access token is a JWT, as Xero's, whose claims name the consent.
    let claims: Value = {
        use base64::Engine;
        let parts: Vec<&str> = tok.split('.').collect();
        assert_eq!(parts.len(), 3, "{tok}");
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(parts[1])
            .unwrap();
        serde_json::from_slice(&raw).unwrap()
    };
    assert_eq!(claims["authentication_event_id"], event.as_str());
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["nbf"].as_i64().unwrap(),
        1800
    );
    assert!(claims["xero_userid"].is_string(), "{claims}");
    assert!(
        claims["scope"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "offline_access"),
        "{claims}"
    );
    let filtered = connections(&sim, &tok, &format!("?authEventId={event}")).await;
    assert_eq!(filtered.len(), 2);
    let none = connections(&sim, &tok, &format!("?authEventId={}", Uuid::new_v4())).await;
    assert!(none.is_empty());
    // Paths are case-insensitive here too.
    let r = sim
        .http
        .get(sim.url("/Connections"))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    let conn = list
        .iter()
        .find(|c| c["tenantId"] == tenants[0].to_string())
        .unwrap();
    let r = sim
        .http
        .delete(sim.url(&format!("/connections/{}", conn["id"].as_str().unwrap())))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = sim.get(&tok, tenants[0], "/Organisation").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["Detail"], "AuthenticationUnsuccessful");
    assert_eq!(
        sim.get(&tok, tenants[1], "/Organisation").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn expired_token_missing_scope_unknown_tenant_and_paths() {
    let sim = Sim::empty().await;
    let tenants = sim.setup().await;
    let t = sim.login().await;
    let tok = token_of(&t);

    // Unknown tenant: 403 problem body.
    let r = sim.get(&tok, Uuid::new_v4(), "/Invoices").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["Status"].as_u64(), Some(403));
    assert_eq!(v["Detail"], "AuthenticationUnsuccessful");

    // No xero-tenant-id with a user's token: 403 as well.
    let r = sim
        .api(Method::GET, &tok, None, "/Organisation")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // Missing scope: the read-only set cannot write invoices or read
    // payments.
    let r = sim
        .api(Method::PUT, &tok, Some(tenants[0]), "/Invoices")
        .json(&json!({"Invoices": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["Detail"], "AuthorizationUnsuccessful");
    assert_eq!(v["Title"], "Unauthorized");

    // Unknown path: 404 plain text.
    let r = sim.get(&tok, tenants[0], "/NoSuchThing").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        r.text().await.unwrap(),
        "The resource you're looking for cannot be found"
    );
    let r = sim.http.get(sim.url("/nowhere")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // Case-insensitive paths.
    for p in ["/organisation", "/ORGANISATION", "/Organisation/"] {
        assert_eq!(
            sim.get(&tok, tenants[0], p).await.status(),
            StatusCode::OK,
            "{p}"
        );
    }
    let r = sim
        .http
        .get(sim.url("/API.XRO/2.0/Currencies"))
        .bearer_auth(&tok)
        .header("xero-tenant-id", tenants[0].to_string())
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    // No Accept: application/json: 406 (Xero would answer XML).
    let r = sim
        .http
        .get(sim.url("/api.xro/2.0/Organisation"))
        .bearer_auth(&tok)
        .header("xero-tenant-id", tenants[0].to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_ACCEPTABLE);

    // No token at all.
    let r = sim
        .http
        .get(sim.url("/api.xro/2.0/Organisation"))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // Expired after 30 minutes of the simulator's clock.
    sim.advance(1800).await;
    let r = sim.get(&tok, tenants[0], "/Organisation").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let v: Value = r.json().await.unwrap();
    assert!(
        v["Detail"]
            .as_str()
            .unwrap()
            .starts_with("TokenExpired: token expired at "),
        "{v}"
    );
    assert!(v.get("Type").is_some() && v["Type"].is_null());
}

#[tokio::test]
async fn sixty_first_call_in_a_minute_is_429_until_the_clock_moves() {
    let sim = Sim::empty().await;
    let tenants = sim.setup().await;
    let tok = token_of(&sim.login().await);
    let mut last_min = None;
    for i in 0..60 {
        let r = sim.get(&tok, tenants[0], "/Organisation").await;
        assert_eq!(r.status(), StatusCode::OK, "call {i}");
        let h = |n: &str| -> u32 { r.headers()[n].to_str().unwrap().parse().unwrap() };
        let min = h("x-minlimit-remaining");
        assert_eq!(min, 59 - i);
        assert_eq!(h("x-daylimit-remaining"), 4999 - i);
        assert_eq!(h("x-appminlimit-remaining"), 9999 - i);
        if let Some(prev) = last_min {
            assert!(min < prev);
        }
        last_min = Some(min);
    }
    let r = sim.get(&tok, tenants[0], "/Organisation").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.headers()["x-rate-limit-problem"], "minute");
    let retry: i64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    // The other tenant has its own window.
    assert_eq!(
        sim.get(&tok, tenants[1], "/Organisation").await.status(),
        StatusCode::OK
    );
    sim.advance(retry).await;
    let r = sim.get(&tok, tenants[0], "/Organisation").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["x-minlimit-remaining"], "59");

    let stats = sim.get_json("/_sim/stats").await;
    let s = &stats["tenants"][tenants[0].to_string()];
    assert_eq!(s["calls"].as_u64(), Some(62));
    assert_eq!(s["rejected_429"].as_u64(), Some(1));
    assert_eq!(s["by_endpoint"]["GET /Organisation"].as_u64(), Some(62));
    let r = sim
        .http
        .delete(sim.url("/_sim/stats"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let stats = sim.get_json("/_sim/stats").await;
    assert!(stats["tenants"].as_object().unwrap().is_empty());
}

#[tokio::test]
async fn day_limit_from_the_limits_path() {
    let sim = Sim::empty().await;
    let tenants = sim.setup().await;
    let tok = token_of(&sim.login().await);
    sim.post_json("/_sim/limits", json!({"per_day": 2})).await;
    for _ in 0..2 {
        assert_eq!(
            sim.get(&tok, tenants[0], "/Organisation").await.status(),
            StatusCode::OK
        );
    }
    let r = sim.get(&tok, tenants[0], "/Organisation").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.headers()["x-rate-limit-problem"], "day");
    // 08:00 UTC: sixteen hours to the window's end.
    assert_eq!(r.headers()["retry-after"], (16 * 3600).to_string().as_str());
}

#[tokio::test]
async fn six_concurrent_slow_calls_give_exactly_one_concurrent_429() {
    let sim = Sim::empty().await;
    let tenants = sim.setup().await;
    let tok = token_of(&sim.login().await);
    sim.post_json(
        "/_sim/faults",
        json!({"tenant_id": tenants[0], "latency_ms": 400}),
    )
    .await;
    let calls = (0..6).map(|_| sim.get(&tok, tenants[0], "/Organisation"));
    let results = futures_join_all(calls).await;
    let mut limited = 0;
    for r in &results {
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            limited += 1;
            assert_eq!(r.headers()["x-rate-limit-problem"], "concurrent");
            assert!(r.headers().get("retry-after").is_none());
        } else {
            assert_eq!(r.status(), StatusCode::OK);
        }
    }
    assert_eq!(limited, 1);
    // The slots are free again once the answers are out.
    let r = sim.get(&tok, tenants[0], "/Organisation").await;
    assert_eq!(r.status(), StatusCode::OK);
}

/// Runs futures concurrently on the current task (no extra dependency).
pub async fn futures_join_all<F: std::future::Future>(
    fs: impl IntoIterator<Item = F>,
) -> Vec<F::Output> {
    let handles: Vec<_> = fs.into_iter().map(Box::pin).collect();
    let mut outs: Vec<Option<F::Output>> = handles.iter().map(|_| None).collect();
    let mut handles: Vec<Option<_>> = handles.into_iter().map(Some).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (h, o) in handles.iter_mut().zip(outs.iter_mut()) {
            if let Some(f) = h {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => {
                        *o = Some(v);
                        *h = None;
                    }
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outs.into_iter().map(|o| o.unwrap()).collect()
}

#[tokio::test]
async fn control_paths_refuse_nothing_from_loopback_and_list_orgs() {
    let sim = Sim::empty().await;
    let tenants = sim.setup().await;
    let list = sim.get_json("/_sim/organisations").await;
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["tenant_id"], tenants[0].to_string());
    assert_eq!(list[0]["name"], "Alpha Ltd");
    assert_eq!(list[0]["base_currency"], "NZD");
    assert_eq!(list[0]["invoices"].as_u64(), Some(0));
    assert!(list[0]["contacts"].as_u64().is_some());
    let r = sim
        .http
        .post(sim.url("/_sim/organisations"))
        .json(&json!({"name": "X", "base_currency": "NOPE"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn stop_closes_the_listener() {
    let sim = Sim::empty().await;
    let addr = sim.handle.addr();
    assert_eq!(sim.handle.port(), addr.port());
    assert!(sim.base.ends_with(&format!(":{}", addr.port())));
    let r = sim.http.get(sim.url("/")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    sim.handle.stop().await;
    assert!(
        client()
            .get(format!("http://{addr}/"))
            .send()
            .await
            .is_err()
    );
}

#[tokio::test]
async fn app_minute_limit_spans_tenants() {
    let sim = Sim::empty().await;
    let tenants = sim.setup().await;
    let tok = token_of(&sim.login().await);
    sim.post_json("/_sim/limits", json!({"app_per_minute": 3}))
        .await;
    for t in [tenants[0], tenants[1], tenants[0]] {
        assert_eq!(
            sim.get(&tok, t, "/Organisation").await.status(),
            StatusCode::OK
        );
    }
    let r = sim.get(&tok, tenants[1], "/Organisation").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.headers()["x-rate-limit-problem"], "appminute");
    assert_eq!(r.headers()["x-appminlimit-remaining"], "0");
    assert!(r.headers().get("retry-after").is_some());
}

#[tokio::test]
async fn run_cli_serves_demo_data_with_a_ready_made_app() {
    use consol::sim::http::{DEMO_CLIENT_ID, DataChoice, SimConfig, run_cli};
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let task = tokio::spawn(run_cli(SimConfig {
        listen: addr,
        data: DataChoice::Demo,
        auto_approve: true,
        seed: 7,
        ..SimConfig::default()
    }));
    let http = client();
    let mut orgs = Value::Null;
    for _ in 0..600 {
        if let Ok(r) = http
            .get(format!("http://{addr}/_sim/organisations"))
            .send()
            .await
        {
            orgs = r.json().await.unwrap();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // The group of four and the part-way entity (Tui Ventures).
    assert_eq!(orgs.as_array().map(Vec::len), Some(5), "{orgs}");
    let apps: Vec<Value> = http
        .get(format!("http://{addr}/_sim/apps"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(apps.iter().any(|a| a["client_id"] == DEMO_CLIENT_ID));
    assert!(
        apps[0]["redirect_uris"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u == "http://127.0.0.1:8080/connect/xero/callback")
    );
    task.abort();
}

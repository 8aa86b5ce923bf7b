//! The JSON API's contract routes with an API token: groups, entities,
//! sync runs, and the error shape.

use serde_json::{Value, json};

use crate::helpers::{Backend, connect_demo_group, create_user, spawn_with_sim};

crate::backends!(the_api_serves_groups_entities_and_sync_runs);

async fn the_api_serves_groups_entities_and_sync_runs(backend: Backend) {
    let mut s = spawn_with_sim(backend).await;
    let group = connect_demo_group(&mut s, None).await;
    let uid = crate::helpers::user_id(s.app.store(), "fin@example.com").await;
    let token = "consol_api_test_token";
    crate::helpers::api_token(s.app.store(), uid, token).await;
    let http = reqwest::Client::new();
    let api = |path: &str| format!("{}/api/v1{path}", s.app.address);

    // Creating a group: bad input is a 422 naming each field, in the
    // contract's error shape; nothing is created.
    let bad = http
        .post(api("/groups"))
        .bearer_auth(token)
        .json(
            &json!({"name": " ", "presentation_currency": "EURO", "financial_year_end_month": 13}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    let body: Value = bad.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid");
    for field in ["name", "presentation_currency", "financial_year_end_month"] {
        assert!(
            body["error"]["details"][field].is_string(),
            "{field}: {body}"
        );
    }
    let created = http
        .post(api("/groups"))
        .bearer_auth(token)
        .json(&json!({"name": "Fjord Group", "presentation_currency": "nok", "financial_year_end_month": 12}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["presentation_currency"], "NOK");

    let groups: Value = http
        .get(api("/groups"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = groups
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Fjord Group", "Kea Group"]);
    let one: Value = http
        .get(api(&format!("/groups/{group}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(one["financial_year_end_month"], 3);

    let entities: Value = http
        .get(api(&format!("/groups/{group}/entities")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let entities = entities.as_array().unwrap();
    assert_eq!(entities.len(), 4);
    for e in entities {
        for key in [
            "id",
            "tenant_id",
            "name",
            "base_currency",
            "financial_year_end_month",
            "connection_state",
            "last_synced_at",
        ] {
            assert!(e.get(key).is_some(), "{key} in {e}");
        }
    }

    // A sync through the API, then its run.
    let started = http
        .post(api(&format!("/groups/{group}/sync")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 202);
    let started: Value = started.json().await.unwrap();
    let run_ids = started["run_ids"].as_array().unwrap();
    assert_eq!(run_ids.len(), 4);
    consol::sync::worker(s.app.store().clone(), s.xero.clone())
        .drain()
        .await
        .unwrap();
    let run: Value = http
        .get(api(&format!("/sync-runs/{}", run_ids[0])))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(run["state"], "succeeded", "{run}");
    assert_eq!(run["progress"]["done"], run["progress"]["total"]);
    assert!(run["calls"].as_i64().unwrap() >= 6);
    assert!(run["entity_id"].is_i64());

    // Another user sees none of it: 404, not 403, so ids cannot be probed.
    create_user(s.app.store(), "other@example.com", "another long pw").await;
    let other = "consol_other_token";
    let other_id = crate::helpers::user_id(s.app.store(), "other@example.com").await;
    crate::helpers::api_token(s.app.store(), other_id, other).await;
    for path in [
        format!("/groups/{group}"),
        format!("/groups/{group}/entities"),
        format!("/sync-runs/{}", run_ids[0]),
    ] {
        let r = http
            .get(api(&path))
            .bearer_auth(other)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{path}");
        let b: Value = r.json().await.unwrap();
        assert_eq!(b["error"]["code"], "not_found");
    }
    let r = http
        .post(api(&format!("/groups/{group}/sync")))
        .bearer_auth(other)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    // A wrong token is a 401.
    let r = http
        .get(api("/groups"))
        .bearer_auth("consol_nope")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

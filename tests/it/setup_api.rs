//! Setting a group up by script over the API, as an API user would: a
//! group made with `POST /groups` (missing fields named), the first sync
//! queued by connecting, the chart started from an entity, suggestions
//! applied, large bodies accepted, every framework error in the contract's
//! shape, and the session's CSRF token readable from `GET /session`.

use std::collections::HashSet;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::backends;
use crate::helpers::{Backend, api_token, session_csrf, synced_demo_group};

backends!(
    a_group_is_set_up_end_to_end_over_the_api,
    bad_set_up_input_is_named_and_stores_nothing,
    framework_errors_and_large_bodies_use_the_error_shape,
    the_session_endpoint_gives_the_csrf_token,
    connecting_queues_the_first_sync,
    the_mappings_page_starts_the_chart,
);

struct Api {
    http: reqwest::Client,
    base: String,
    auth: String,
}

impl Api {
    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let url = format!("{}/api/v1{path}", self.base);
        let mut req = match method {
            "GET" => self.http.get(url),
            "POST" => self.http.post(url),
            "PUT" => self.http.put(url),
            m => panic!("{m}"),
        }
        .header("authorization", &self.auth);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        let v = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{path}: not JSON: {text}"));
        (status, v)
    }
}

async fn api_for(g: &crate::helpers::SyncedGroup) -> Api {
    let token = "consol_script_token";
    api_token(g.s.app.store(), g.user_id, token).await;
    Api {
        http: reqwest::Client::new(),
        base: g.s.app.address.clone(),
        auth: format!("Bearer {token}"),
    }
}

async fn a_group_is_set_up_end_to_end_over_the_api(backend: Backend) {
    let g = synced_demo_group(backend).await;
    let api = api_for(&g).await;
    let gid = g.group.id;

    // A synced group has no chart until someone starts one.
    let (status, view) = api
        .call("GET", &format!("/groups/{gid}/account-mappings"), None)
        .await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(
        view["group_accounts"].as_array().unwrap().len(),
        0,
        "{view}"
    );

    let (_, entities) = api
        .call("GET", &format!("/groups/{gid}/entities"), None)
        .await;
    let parent = entities
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["base_currency"] == "NZD")
        .expect("the NZD parent")
        .clone();
    // What the chart must hold, read from the store independently: the
    // parent's synced accounts with a code and a class.
    let org =
        g.s.app
            .store()
            .entities_for_group(gid)
            .await
            .unwrap()
            .into_iter()
            .find(|e| e.id == parent["id"].as_i64().unwrap())
            .unwrap()
            .organisation_id;
    let expected_codes: HashSet<String> =
        g.s.app
            .store()
            .accounts_of(org)
            .await
            .unwrap()
            .into_iter()
            .filter(|a| a.class.is_some())
            .filter_map(|a| a.code.filter(|c| !c.is_empty()))
            .collect();
    assert!(expected_codes.len() > 10, "{expected_codes:?}");

    let (status, started) = api
        .call(
            "POST",
            &format!("/groups/{gid}/chart"),
            Some(json!({ "from_entity": parent["id"] })),
        )
        .await;
    assert_eq!(status, 201, "{started}");
    assert_eq!(started["group_accounts"], expected_codes.len());

    let (_, view) = api
        .call("GET", &format!("/groups/{gid}/account-mappings"), None)
        .await;
    let codes: HashSet<String> = view["group_accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["code"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(codes, expected_codes);
    // The parent's own accounts are mapped and confirmed; the others wait.
    let rows = view["accounts"].as_array().unwrap();
    let parent_rows: Vec<&Value> = rows
        .iter()
        .filter(|a| a["entity_id"] == parent["id"] && a["code"].is_string())
        .collect();
    assert!(!parent_rows.is_empty());
    assert!(
        parent_rows.iter().all(|a| a["status"] == "confirmed"),
        "{parent_rows:?}"
    );
    assert!(
        rows.iter()
            .filter(|a| a["entity_id"] != parent["id"])
            .all(|a| a["status"] != "confirmed"),
        "nothing of another entity is confirmed before apply-suggestions"
    );

    // Starting it again is refused; nothing changes.
    let (status, again) = api
        .call(
            "POST",
            &format!("/groups/{gid}/chart"),
            Some(json!({ "from_entity": parent["id"] })),
        )
        .await;
    assert_eq!(status, 409, "{again}");
    assert_eq!(again["error"]["code"], "conflict");

    // Suggestions confirmed at once, then the P&L has no unmapped line
    // holding an amount of a suggested account and every intercompany
    // contact the demo has is confirmed.
    let (status, applied) = api
        .call(
            "POST",
            &format!("/groups/{gid}/apply-suggestions"),
            Some(json!({ "confirm": true })),
        )
        .await;
    assert_eq!(status, 200, "{applied}");
    assert!(
        applied["account_mappings"].as_u64().unwrap() > 0,
        "{applied}"
    );
    assert!(
        applied["intercompany_contacts"].as_u64().unwrap() > 0,
        "{applied}"
    );
    let (_, contacts) = api
        .call("GET", &format!("/groups/{gid}/intercompany-contacts"), None)
        .await;
    assert!(
        !contacts["confirmed"].as_array().unwrap().is_empty(),
        "{contacts}"
    );

    // The audit log names the change and who made it.
    let audit =
        g.s.app
            .store()
            .group_audit_page(gid, None, Some("chart"), 50)
            .await
            .unwrap();
    let start = audit
        .iter()
        .find(|a| a.action == "chart.start")
        .expect("an audit entry for the chart");
    assert!(
        start.detail.contains(parent["name"].as_str().unwrap()),
        "{}",
        start.detail
    );
    assert!(
        start.detail.contains(&expected_codes.len().to_string()),
        "{}",
        start.detail
    );
}

async fn bad_set_up_input_is_named_and_stores_nothing(backend: Backend) {
    let g = synced_demo_group(backend).await;
    let api = api_for(&g).await;
    let gid = g.group.id;

    // Missing and mistyped fields of a new group are a 422 naming each.
    let (status, e) = api
        .call("POST", "/groups", Some(json!({ "name": "Only a name" })))
        .await;
    assert_eq!(status, 422, "{e}");
    assert_eq!(e["error"]["code"], "invalid");
    for field in ["presentation_currency", "financial_year_end_month"] {
        assert!(e["error"]["details"][field].is_string(), "{field}: {e}");
    }
    assert!(e["error"]["details"]["name"].is_null(), "{e}");
    let (status, e) = api
        .call(
            "POST",
            "/groups",
            Some(json!({ "name": 5, "presentation_currency": "NZD", "financial_year_end_month": "3" })),
        )
        .await;
    assert_eq!(status, 422, "{e}");
    assert!(e["error"]["details"]["name"].is_string(), "{e}");
    assert!(
        e["error"]["details"]["financial_year_end_month"].is_string(),
        "{e}"
    );

    // Chart rows: every bad row is named, and none is stored.
    let rows = json!({ "accounts": [
        { "code": "900", "name": "Group sales", "class": "REVENUE", "section": "Income" },
        { "code": "", "name": "No code", "class": "EXPENSE", "section": "Operating Expenses" },
        { "code": "901", "name": "Wrong section", "class": "EXPENSE", "section": "Income" },
        { "code": "902", "name": "Bad class", "class": "PROFIT", "section": "Income" },
        { "code": "900", "name": "Twice", "class": "REVENUE", "section": "Income" },
    ]});
    let (status, e) = api
        .call("POST", &format!("/groups/{gid}/chart"), Some(rows))
        .await;
    assert_eq!(status, 422, "{e}");
    let bad: Vec<u64> = e["error"]["details"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["row"].as_u64().unwrap())
        .collect();
    assert_eq!(bad, vec![2, 3, 4, 5], "{e}");
    assert!(
        g.s.app
            .store()
            .group_accounts(gid)
            .await
            .unwrap()
            .is_empty()
    );

    // Good rows are stored; the same code again is refused by row.
    let one = json!({ "accounts": [
        { "code": "900", "name": "Group sales", "class": "REVENUE", "section": "Income" },
    ]});
    let (status, ok) = api
        .call("POST", &format!("/groups/{gid}/chart"), Some(one.clone()))
        .await;
    assert_eq!(status, 201, "{ok}");
    assert_eq!(ok["group_accounts"], 1);
    let (status, e) = api
        .call("POST", &format!("/groups/{gid}/chart"), Some(one))
        .await;
    assert_eq!(status, 422, "{e}");
    assert_eq!(e["error"]["details"]["rows"][0]["row"], 1, "{e}");
    assert_eq!(g.s.app.store().group_accounts(gid).await.unwrap().len(), 1);

    // Neither form of body, an unknown entity, a bad confirm flag.
    for (path, body) in [
        (format!("/groups/{gid}/chart"), json!({})),
        (
            format!("/groups/{gid}/chart"),
            json!({ "from_entity": 999_999 }),
        ),
        (
            format!("/groups/{gid}/apply-suggestions"),
            json!({ "confirm": "yes" }),
        ),
    ] {
        let (status, e) = api.call("POST", &path, Some(body.clone())).await;
        assert_eq!(status, 422, "{path} {body}: {e}");
        assert_eq!(e["error"]["code"], "invalid", "{e}");
    }
    assert_eq!(g.s.app.store().group_accounts(gid).await.unwrap().len(), 1);
}

async fn framework_errors_and_large_bodies_use_the_error_shape(backend: Backend) {
    let g = synced_demo_group(backend).await;
    let api = api_for(&g).await;
    let gid = g.group.id;
    let http = &api.http;

    // 3,600 mapping rows (about 400 KB, over actix-web's default 256 KiB
    // for a body) are read and judged by row, not refused for their size.
    let row = json!({ "entity_id": 1, "account_id": "no-such-account-id-000000000000", "group_account_id": 1, "confirmed": true });
    let big = Value::Array(vec![row; 3_600]);
    assert!(big.to_string().len() > 256 * 1024);
    let (status, e) = api
        .call("PUT", &format!("/groups/{gid}/account-mappings"), Some(big))
        .await;
    assert_eq!(status, 422, "{e}");
    assert_eq!(e["error"]["code"], "invalid");

    // Over the documented limit: 413 in the error shape.
    let huge = "x".repeat(17 * 1024 * 1024);
    let resp = http
        .put(format!("{}/api/v1/groups/{gid}/fx-rates", api.base))
        .header("authorization", &api.auth)
        .header("content-type", "text/csv")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
    let v: Value = resp.json().await.expect("413 as JSON");
    assert_eq!(v["error"]["code"], "payload_too_large", "{v}");

    // A method a path does not take answers in the shape too.
    let resp = http
        .delete(format!("{}/api/v1/groups/{gid}/fx-rates", api.base))
        .header("authorization", &api.auth)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_client_error(), "{}", resp.status());
    let v: Value = resp.json().await.expect("error as JSON");
    assert!(v["error"]["code"].is_string(), "{v}");
}

async fn the_session_endpoint_gives_the_csrf_token(backend: Backend) {
    let mut g = synced_demo_group(backend).await;
    let api = api_for(&g).await;
    let csrf = session_csrf(&mut g.s.app.client).await;
    let cookie = g.s.app.client.cookie_header();
    let http = reqwest::Client::new();
    let v: Value = http
        .get(format!("{}/api/v1/session", api.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["csrf_token"], csrf.as_str(), "{v}");
    assert_eq!(v["auth"], "session");
    assert_eq!(v["user"]["email"], "fin@example.com");
    // The token it gives works for a change.
    let resp = http
        .post(format!(
            "{}/api/v1/groups/{}/apply-suggestions",
            api.base, g.group.id
        ))
        .header("cookie", &cookie)
        .header("x-csrf-token", v["csrf_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    // An API token has no CSRF token to give.
    let (status, v) = api.call("GET", "/session", None).await;
    assert_eq!(status, 200);
    assert!(v["csrf_token"].is_null(), "{v}");
    assert_eq!(v["auth"], "api_token");
    // Nobody signed in: 401 in the shape.
    let resp = http
        .get(format!("{}/api/v1/session", api.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
}

async fn connecting_queues_the_first_sync(backend: Backend) {
    let mut s = crate::helpers::spawn_with_sim(backend).await;
    let gid = crate::helpers::connect_demo_group(&mut s, None).await;
    let store = s.app.store();
    let entities = store.entities_for_group(gid).await.unwrap();
    assert!(!entities.is_empty());
    let runs = store.latest_runs_for_group(gid).await.unwrap();
    for e in &entities {
        let run = runs
            .iter()
            .find(|r| r.organisation_id == e.organisation_id)
            .unwrap_or_else(|| panic!("{}: a sync was queued on connecting", e.name));
        assert_eq!(run.state, "queued", "{}", e.name);
    }
    // The queued syncs run and fill the store.
    consol::sync::worker(store.clone(), s.xero.clone())
        .drain()
        .await
        .unwrap();
    for e in store.entities_for_group(gid).await.unwrap() {
        assert!(e.last_synced_at.is_some(), "{} synced", e.name);
    }
}

async fn the_mappings_page_starts_the_chart(backend: Backend) {
    let mut g = synced_demo_group(backend).await;
    let gid = g.group.id;
    let path = format!("/groups/{gid}/mappings");
    let page = g.s.app.client.get(&path).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Start the group chart"), "{}", page.body);
    let csrf = session_csrf(&mut g.s.app.client).await;
    let entity = g.s.app.store().entities_for_group(gid).await.unwrap()[0].clone();
    let entity_id = entity.id.to_string();

    // Without the CSRF token nothing happens.
    let refused =
        g.s.app
            .client
            .post_form(
                &format!("{path}/chart"),
                &[("csrf_token", "wrong"), ("entity", &entity_id)],
            )
            .await;
    assert_eq!(refused.status, 403);
    assert!(
        g.s.app
            .store()
            .group_accounts(gid)
            .await
            .unwrap()
            .is_empty()
    );

    let done =
        g.s.app
            .client
            .post_form(
                &format!("{path}/chart"),
                &[("csrf_token", &csrf), ("entity", &entity_id)],
            )
            .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let back = done.location().unwrap().to_string();
    let page = g.s.app.client.get(&back).await;
    assert!(
        page.body.contains("Started the group chart"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("Start the group chart</h2>"));
    let chart = g.s.app.store().group_accounts(gid).await.unwrap();
    assert!(!chart.is_empty());
    // Other entities' accounts got suggestions, none confirmed.
    let mappings = g.s.app.store().mappings(gid).await.unwrap();
    let others: Vec<_> = mappings
        .iter()
        .filter(|m| m.organisation_id != entity.organisation_id)
        .collect();
    assert!(!others.is_empty());
    assert!(others.iter().all(|m| !m.confirmed));

    // A second start is refused and says so; the chart is unchanged.
    let again =
        g.s.app
            .client
            .post_form(
                &format!("{path}/chart"),
                &[("csrf_token", &csrf), ("entity", &entity_id)],
            )
            .await;
    let page = g.s.app.client.get(again.location().unwrap()).await;
    assert!(page.body.contains("already has a chart"), "{}", page.body);
    assert_eq!(
        g.s.app.store().group_accounts(gid).await.unwrap().len(),
        chart.len()
    );
}

//! A group's set-up over the API and the pages: FX rates, account mappings
//! and intercompany contacts, with validation, access and CSRF checks.

use chrono::Utc;
use consol::consolidation;
use consol::domain::{CurrencyCode, Month, MonthRange};
use consol::store::{Group, GroupRole, NewGroup, Store};
use consol::sync::{self, SyncKind};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::helpers::{
    Backend, SyncedGroup, create_user, login, session_csrf, spawn_app, synced_demo_group,
};

crate::backends!(
    fx_rates_round_trip_as_json_and_csv,
    bad_rate_rows_are_all_named_and_nothing_is_stored,
    setup_api_checks_who_is_calling,
    mappings_and_intercompany_contacts_are_confirmed,
    setup_pages_render_validate_and_check_csrf,
);

/// A user with a group of their own and an API token.
struct Member {
    user_id: i64,
    group: Group,
    token: String,
}

async fn member(store: &Store, email: &str) -> Member {
    let user_id = create_user(store, email, "a long enough password").await;
    let group = store
        .create_group(
            &NewGroup {
                name: "Set-up Group",
                presentation_currency: CurrencyCode::parse("NZD").unwrap(),
                financial_year_end_month: 3,
            },
            user_id,
            Utc::now(),
        )
        .await
        .unwrap();
    let token = api_token(store, user_id).await;
    Member {
        user_id,
        group,
        token,
    }
}

pub(crate) async fn api_token(store: &Store, user_id: i64) -> String {
    let token = consol::auth::token::random_token();
    store
        .create_api_token(
            user_id,
            "tests",
            &consol::auth::token::hash_token(&token),
            Utc::now(),
        )
        .await
        .unwrap();
    token
}

pub(crate) struct Answer {
    pub status: u16,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// The row numbers of a 422's `details.rows`.
    pub fn bad_rows(&self) -> Vec<u64> {
        assert_eq!(self.status, 422, "{}", self.body);
        let v = self.json();
        assert_eq!(v["error"]["code"], "invalid", "{v}");
        v["error"]["details"]["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                assert!(!r["errors"].as_array().unwrap().is_empty(), "{r}");
                r["row"].as_u64().unwrap()
            })
            .collect()
    }
}

/// One API call; `token` None sends no credentials.
pub(crate) async fn call(
    base: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<(&str, String)>,
) -> Answer {
    let http = reqwest::Client::new();
    let url = format!("{base}/api/v1{path}");
    let mut req = match method {
        "PUT" => http.put(url),
        _ => http.get(url),
    };
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    if let Some((content_type, text)) = body {
        req = req.header("content-type", content_type).body(text);
    }
    let resp = req.send().await.unwrap();
    Answer {
        status: resp.status().as_u16(),
        body: resp.text().await.unwrap(),
    }
}

pub(crate) async fn put_json(base: &str, path: &str, token: &str, v: Value) -> Answer {
    call(
        base,
        "PUT",
        path,
        Some(token),
        Some(("application/json", v.to_string())),
    )
    .await
}

async fn put_csv(base: &str, path: &str, token: &str, csv: &str) -> Answer {
    call(
        base,
        "PUT",
        path,
        Some(token),
        Some(("text/csv", csv.to_string())),
    )
    .await
}

/// How many entity accounts the mappings API lists for the group.
async fn view_accounts(base: &str, group_id: &i64, token: &str) -> usize {
    let path = format!("/groups/{group_id}/account-mappings");
    call(base, "GET", &path, Some(token), None).await.json()["accounts"]
        .as_array()
        .unwrap()
        .len()
}

/// Stored rates as `CUR YYYY-MM average closing` lines.
async fn stored_rates(store: &Store, group: i64) -> Vec<String> {
    store
        .fx_rates(group)
        .await
        .unwrap()
        .into_iter()
        .map(|r| format!("{} {} {} {}", r.currency, r.month, r.average, r.closing))
        .collect()
}

async fn fx_rates_round_trip_as_json_and_csv(backend: Backend) {
    let app = spawn_app(backend).await;
    let m = member(app.store(), "rates@example.com").await;
    let path = format!("/groups/{}/fx-rates", m.group.id);
    let a = put_json(
        &app.address,
        &path,
        &m.token,
        json!([{"currency": "USD", "month": "2026-01", "average": "1.0823456789", "closing": "1.0900"}]),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        a.json(),
        json!([{"currency": "USD", "month": "2026-01", "average": "1.0823456789", "closing": "1.0900"}])
    );

    let a = put_csv(
        &app.address,
        &path,
        &m.token,
        "currency,month,average,closing\r\naud,2026-01,0.9234567891,\"0.93\"\r\n",
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        a.body,
        "currency,month,average,closing\nAUD,2026-01,0.9234567891,0.93\nUSD,2026-01,1.0823456789,1.0900\n"
    );

    let a = call(&app.address, "GET", &path, Some(&m.token), None).await;
    assert_eq!(a.status, 200);
    assert_eq!(
        a.json(),
        json!([
            {"currency": "AUD", "month": "2026-01", "average": "0.9234567891", "closing": "0.93"},
            {"currency": "USD", "month": "2026-01", "average": "1.0823456789", "closing": "1.0900"},
        ])
    );
    let a = call(
        &app.address,
        "GET",
        &format!("{path}?format=csv"),
        Some(&m.token),
        None,
    )
    .await;
    assert!(
        a.body.contains("USD,2026-01,1.0823456789,1.0900\n"),
        "{}",
        a.body
    );

    // A later PUT replaces the pair it names and keeps the others.
    let a = put_json(
        &app.address,
        &path,
        &m.token,
        json!([{"currency": "USD", "month": "2026-01", "average": "1.5", "closing": "1.6"}]),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        stored_rates(app.store(), m.group.id).await,
        vec!["AUD 2026-01 0.9234567891 0.93", "USD 2026-01 1.5 1.6"]
    );
    // The audit log says what changed, from what to what.
    let log = app.store().audit_log(Some(m.group.id), 2).await.unwrap();
    assert_eq!(log[0].1.action, "fx_rates.set");
    assert_eq!(
        log[0].1.detail,
        "1 change: USD 2026-01: average 1.0823456789 to 1.5, closing 1.0900 to 1.6"
    );
    assert_eq!(
        log[1].1.detail,
        "1 change: AUD 2026-01 added: average 0.9234567891, closing 0.93"
    );
}

async fn bad_rate_rows_are_all_named_and_nothing_is_stored(backend: Backend) {
    let app = spawn_app(backend).await;
    let m = member(app.store(), "rates@example.com").await;
    let path = format!("/groups/{}/fx-rates", m.group.id);
    let a = put_csv(&app.address, &path, &m.token, "USD,2026-01,1.08,1.09\n").await;
    assert_eq!(a.status, 200, "{}", a.body);
    let before = stored_rates(app.store(), m.group.id).await;

    let csv = "currency,month,average,closing\n\
               GBP,2026-02,2.1,2.2\n\
               USD,2026-13,1.1,1.1\n\
               EUR,2026-01,-1.5,1.8\n\
               USD,2026-01,9.9,9.9\n";
    let a = put_csv(&app.address, &path, &m.token, csv).await;
    assert_eq!(a.bad_rows(), vec![3, 4], "CSV line numbers, header = 1");
    let v = a.json();
    let rows = v["error"]["details"]["rows"].as_array().unwrap();
    assert!(rows[0]["errors"][0].as_str().unwrap().contains("2026-13"));
    assert!(
        rows[1]["errors"][0]
            .as_str()
            .unwrap()
            .contains("greater than 0")
    );
    assert_eq!(stored_rates(app.store(), m.group.id).await, before);

    // The same checks on JSON rows: the presentation currency, a float
    // written as an exponent, an unknown code, a zero rate.
    let a = put_json(
        &app.address,
        &path,
        &m.token,
        json!([
            {"currency": "NZD", "month": "2026-01", "average": "1", "closing": "1"},
            {"currency": "GBP", "month": "2026-01", "average": "2.1", "closing": "2.2"},
            {"currency": "USD", "month": "2026-02", "average": "1e0", "closing": "1"},
            {"currency": "XYZ", "month": "2026-01", "average": "1", "closing": "1"},
            {"currency": "AUD", "month": "2026-01", "average": "0", "closing": "1"},
        ]),
    )
    .await;
    assert_eq!(a.bad_rows(), vec![1, 3, 4, 5]);
    assert_eq!(stored_rates(app.store(), m.group.id).await, before);
}

async fn setup_api_checks_who_is_calling(backend: Backend) {
    let app = spawn_app(backend).await;
    let owner = member(app.store(), "owner@example.com").await;
    let other = member(app.store(), "other@example.com").await;
    let viewer_id = create_user(app.store(), "viewer@example.com", "viewer password").await;
    app.store()
        .set_member(
            owner.group.id,
            viewer_id,
            GroupRole::Viewer,
            Some(owner.user_id),
            Utc::now(),
        )
        .await
        .unwrap();
    let viewer = api_token(app.store(), viewer_id).await;
    let rate = json!([{"currency": "USD", "month": "2026-01", "average": "1.5", "closing": "1.6"}]);
    for what in ["fx-rates", "account-mappings", "intercompany-contacts"] {
        let mine = format!("/groups/{}/{what}", owner.group.id);
        let theirs = format!("/groups/{}/{what}", other.group.id);
        let a = call(&app.address, "GET", &mine, None, None).await;
        assert_eq!(a.status, 401, "{what}: {}", a.body);
        assert_eq!(a.json()["error"]["code"], "unauthorized");
        let a = call(&app.address, "GET", &mine, Some(&owner.token), None).await;
        assert_eq!(a.status, 200, "{what}: {}", a.body);
        let a = call(&app.address, "GET", &theirs, Some(&owner.token), None).await;
        assert_eq!(a.status, 404, "{what}: {}", a.body);
        let a = put_json(&app.address, &theirs, &owner.token, rate.clone()).await;
        assert_eq!(a.status, 404, "{what}: {}", a.body);
        let a = call(&app.address, "GET", &mine, Some(&viewer), None).await;
        assert_eq!(a.status, 200, "{what}: {}", a.body);
        let a = put_json(&app.address, &mine, &viewer, rate.clone()).await;
        assert_eq!(a.status, 403, "{what}: {}", a.body);
    }
    assert!(stored_rates(app.store(), owner.group.id).await.is_empty());

    // With the session cookie, a PUT needs the X-CSRF-Token header.
    let mut client = app.new_client();
    login(&mut client, "owner@example.com", "a long enough password").await;
    let csrf = session_csrf(&mut client).await;
    let cookie = client
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let url = format!("{}/api/v1/groups/{}/fx-rates", app.address, owner.group.id);
    let http = reqwest::Client::new();
    let put = |with_csrf: bool| {
        let mut req = http
            .put(&url)
            .header("cookie", &cookie)
            .header("content-type", "application/json")
            .body(rate.to_string());
        if with_csrf {
            req = req.header("x-csrf-token", &csrf);
        }
        req.send()
    };
    assert_eq!(put(false).await.unwrap().status().as_u16(), 403);
    assert!(stored_rates(app.store(), owner.group.id).await.is_empty());
    assert_eq!(put(true).await.unwrap().status().as_u16(), 200);
    assert_eq!(
        stored_rates(app.store(), owner.group.id).await,
        vec!["USD 2026-01 1.5 1.6"]
    );
}

fn decimal(v: &Value) -> Decimal {
    v.as_str().unwrap().parse().unwrap()
}

/// The consolidated report's eliminations of net profit over the last
/// twelve full months.
pub(crate) async fn eliminations(store: &Store, group: &Group) -> Decimal {
    let last = Month::of(Utc::now().date_naive()).prev();
    let period = MonthRange::new(last.plus(-11), last).unwrap();
    let (_, report) = consolidation::consolidate_group(store, group, period)
        .await
        .unwrap();
    decimal(&serde_json::to_value(&report).unwrap()["net_profit"]["eliminations"])
}

/// The demo group synced and set up from suggestions without confirming
/// any (the chart and the parent's own mappings, the rest waiting; no
/// intercompany contact confirmed), with the demo's rates; and an API token
/// of its user, whose browser (`s.app.client`) is signed in.
pub(crate) async fn suggested_group(backend: Backend) -> (SyncedGroup, String) {
    let g = synced_demo_group(backend).await;
    let store = g.s.app.store();
    consolidation::apply_suggestions(store, &g.group, false, Some(g.user_id), Utc::now())
        .await
        .unwrap();
    consol::demo::demo_rates(store, &g.group).await.unwrap();
    let token = api_token(store, g.user_id).await;
    (g, token)
}

/// Syncs every entity of a group again (`kind`) against the simulator.
pub(crate) async fn sync_again(g: &SyncedGroup, kind: SyncKind) {
    let store = g.s.app.store();
    for e in store.entities_for_group(g.group.id).await.unwrap() {
        sync::enqueue(store, e.organisation_id, kind).await.unwrap();
    }
    sync::worker(store.clone(), g.s.xero.clone())
        .drain()
        .await
        .unwrap();
}

async fn mappings_and_intercompany_contacts_are_confirmed(backend: Backend) {
    let (g, token) = suggested_group(backend).await;
    let SyncedGroup {
        mut s,
        group,
        user_id: uid,
    } = g;
    let group_id = group.id;
    let store = s.app.store().clone();
    let base = s.app.address.clone();
    let path = format!("/groups/{group_id}/account-mappings");

    let view = call(&base, "GET", &path, Some(&token), None).await.json();
    let chart = view["group_accounts"].as_array().unwrap();
    assert!(!chart.is_empty());
    let accounts = view["accounts"].as_array().unwrap().clone();
    let suggested: Vec<&Value> = accounts
        .iter()
        .filter(|a| a["status"] == "suggested" && a["group_account_id"].is_i64())
        .collect();
    assert!(suggested.len() > 50, "{}", suggested.len());
    assert_eq!(accounts[0]["status"], "suggested", "suggestions come first");
    let first = suggested[0];
    let row = |a: &Value| {
        json!({
            "entity_id": a["entity_id"],
            "account_id": a["account_id"],
            "group_account_id": a["group_account_id"],
            "confirmed": true,
        })
    };

    // An account of another entity, and a group account of another group:
    // both rows named, and the good row with them not stored.
    let other_entity = accounts
        .iter()
        .find(|a| a["entity_id"] != first["entity_id"])
        .unwrap();
    let other_group = store
        .create_group(
            &NewGroup {
                name: "Another",
                presentation_currency: CurrencyCode::parse("NZD").unwrap(),
                financial_year_end_month: 3,
            },
            uid,
            Utc::now(),
        )
        .await
        .unwrap();
    let foreign_chart = store
        .add_group_accounts(
            other_group.id,
            &[(
                "200".into(),
                "Sales".into(),
                "REVENUE".into(),
                "Income".into(),
            )],
        )
        .await
        .unwrap();
    let mut wrong_entity = row(first);
    wrong_entity["account_id"] = other_entity["account_id"].clone();
    let mut wrong_group = row(first);
    wrong_group["group_account_id"] = json!(foreign_chart[0]);
    let a = put_json(
        &base,
        &path,
        &token,
        json!([wrong_entity, wrong_group, row(suggested[1])]),
    )
    .await;
    assert_eq!(a.bad_rows(), vec![1, 2]);
    assert!(
        a.body.contains("not in the chart of accounts"),
        "{}",
        a.body
    );
    assert!(a.body.contains("not in this group's chart"), "{}", a.body);
    let status_of = |view: &Value, a: &Value| {
        view["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["entity_id"] == a["entity_id"] && x["account_id"] == a["account_id"])
            .map(|x| x["status"].clone())
            .unwrap()
    };
    let view = call(&base, "GET", &path, Some(&token), None).await.json();
    assert_eq!(status_of(&view, suggested[1]), "suggested");

    // Confirming one mapping, then all the rest.
    let a = put_json(&base, &path, &token, json!([row(first)])).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let view = call(&base, "GET", &path, Some(&token), None).await.json();
    assert_eq!(status_of(&view, first), "confirmed");
    assert_eq!(
        status_of(&view, first),
        status_of(&a.json(), first),
        "PUT answers the new state"
    );
    // The audit log names the account and what happened to it.
    let log = store.audit_log(Some(group_id), 1).await.unwrap();
    assert_eq!(log[0].1.action, "mappings.set");
    let detail = &log[0].1.detail;
    assert!(
        detail.contains(first["name"].as_str().unwrap()) && detail.ends_with(": confirmed"),
        "{detail}"
    );
    // Without a filter, the page's "confirm the suggestions shown" button
    // confirms the rest, on every page.
    let page = s
        .app
        .client
        .get(&format!("/groups/{group_id}/mappings"))
        .await;
    assert_eq!(page.status, 200);
    let left = suggested.len() - 1;
    assert!(
        page.body
            .contains(&format!("Confirm the {left} suggestions shown")),
        "{}",
        page.body
    );
    let form = page.form_with("action=confirm_all");
    let done = s
        .app
        .client
        .post_form(&format!("/groups/{group_id}/mappings"), &form.pairs())
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert!(
        done.location().unwrap().contains(&format!("bulk={left}&")),
        "{:?}",
        done.location()
    );
    let view = call(&base, "GET", &path, Some(&token), None).await.json();
    let left = view["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["status"] == "suggested")
        .count();
    assert_eq!(left, 0, "{view}");
    assert_eq!(status_of(&view, suggested[1]), "confirmed");

    // Intercompany contacts: the demo's suggestions, and nothing is
    // eliminated until they are confirmed.
    let path = format!("/groups/{group_id}/intercompany-contacts");
    let view = call(&base, "GET", &path, Some(&token), None).await.json();
    let suggested = view["suggested"].as_array().unwrap().clone();
    assert!(suggested.len() >= 6, "{view}");
    assert_eq!(view["confirmed"], json!([]));
    assert_eq!(eliminations(&store, &group).await, Decimal::ZERO);

    let e0 = &suggested[0];
    let mut own = json!({
        "entity_id": e0["entity_id"],
        "contact_id": e0["contact_id"],
        "counterpart_entity_id": e0["entity_id"],
    });
    let a = put_json(&base, &path, &token, json!([own.clone()])).await;
    assert_eq!(a.bad_rows(), vec![1]);
    own["contact_id"] = json!("00000000-0000-0000-0000-000000000000");
    own["counterpart_entity_id"] = e0["counterpart_entity_id"].clone();
    let a = put_json(&base, &path, &token, json!([own])).await;
    assert_eq!(a.bad_rows(), vec![1]);

    let confirm: Vec<Value> = suggested
        .iter()
        .map(|c| {
            json!({
                "entity_id": c["entity_id"],
                "contact_id": c["contact_id"],
                "counterpart_entity_id": c["counterpart_entity_id"],
                "confirmed": true,
            })
        })
        .collect();
    let a = put_json(&base, &path, &token, Value::Array(confirm)).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let view = a.json();
    assert_eq!(view["confirmed"].as_array().unwrap().len(), suggested.len());
    assert_eq!(view["suggested"], json!([]));
    assert_ne!(eliminations(&store, &group).await, Decimal::ZERO);

    // The pages show the same, and a contact can be unconfirmed there.
    let page = s
        .app
        .client
        .get(&format!("/groups/{group_id}/mappings"))
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("confirmed"), "{}", page.body);
    // A hundred accounts a page, each with its select; the rest on page 2.
    let all = view_accounts(&base, &group_id, &token).await;
    assert!(all > 100, "the demo group has {all} accounts");
    assert_eq!(page.body.matches("<select name=\"map.").count(), 100);
    assert!(
        page.body.contains(&format!("Accounts 1 to 100 of {all}.")),
        "{}",
        page.body
    );
    assert!(page.body.contains("page=2\" rel=\"next\""), "{}", page.body);
    let second = s
        .app
        .client
        .get(&format!("/groups/{group_id}/mappings?page=2"))
        .await;
    assert_eq!(
        second.body.matches("<select name=\"map.").count(),
        all - 100
    );
    assert!(
        second
            .body
            .contains(&format!("Accounts 101 to {all} of {all}."))
    );
    assert!(second.body.contains("page=1\" rel=\"prev\""));
    assert_eq!(second.input_value("page").as_deref(), Some("2"));
    let page = s
        .app
        .client
        .get(&format!("/groups/{group_id}/intercompany"))
        .await;
    assert_eq!(page.status, 200);
    let name = suggested[0]["contact_name"].as_str().unwrap();
    assert!(page.body.contains(name), "{name}");
    let csrf = page.input_value("csrf_token").unwrap();
    let entity = suggested[0]["entity_id"].to_string();
    let counterpart = suggested[0]["counterpart_entity_id"].to_string();
    let done = s
        .app
        .client
        .post_form(
            &format!("/groups/{group_id}/intercompany"),
            &[
                ("csrf_token", csrf.as_str()),
                ("action", "unconfirm"),
                ("entity_id", entity.as_str()),
                ("contact_id", suggested[0]["contact_id"].as_str().unwrap()),
                ("counterpart_entity_id", counterpart.as_str()),
            ],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let view = call(&base, "GET", &path, Some(&token), None).await.json();
    assert_eq!(view["suggested"].as_array().unwrap().len(), 1, "{view}");
}

async fn setup_pages_render_validate_and_check_csrf(backend: Backend) {
    let mut app = spawn_app(backend).await;
    let m = member(app.store(), "pages@example.com").await;
    member(app.store(), "stranger@example.com").await;
    let id = m.group.id;
    let a = put_csv(
        &app.address,
        &format!("/groups/{id}/fx-rates"),
        &m.token,
        "USD,2026-01,1.0823456789,1.09\n",
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);

    login(
        &mut app.client,
        "pages@example.com",
        "a long enough password",
    )
    .await;
    let mut stranger = app.new_client();
    login(
        &mut stranger,
        "stranger@example.com",
        "a long enough password",
    )
    .await;
    for page in ["rates", "mappings", "intercompany"] {
        let p = app.client.get(&format!("/groups/{id}/{page}")).await;
        assert_eq!(p.status, 200, "{page}: {}", p.body);
        let p = stranger.get(&format!("/groups/{id}/{page}")).await;
        assert_eq!(p.status, 404, "{page}");
    }
    let group_page = app.client.get(&format!("/groups/{id}")).await;
    assert!(group_page.body.contains(&format!("/groups/{id}/rates")));
    let rates = app.client.get(&format!("/groups/{id}/rates")).await;
    assert!(rates.body.contains("1.0823456789"), "{}", rates.body);

    // A bad line: the page names it and nothing is saved.
    let csrf = rates.input_value("csrf_token").unwrap();
    let p = app
        .client
        .post_form(
            &format!("/groups/{id}/rates"),
            &[
                ("csrf_token", csrf.as_str()),
                (
                    "csv",
                    "currency,month,average,closing\nAUD,2026-01,0.9,0.91\nGBP,2026-1,2,2\n",
                ),
            ],
        )
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(p.body.contains("Line 3"), "{}", p.body);
    assert!(p.body.contains("2026-1"), "{}", p.body);
    assert!(p.body.contains("Nothing was saved"), "{}", p.body);
    assert_eq!(
        stored_rates(app.store(), id).await,
        vec!["USD 2026-01 1.0823456789 1.09"]
    );
    let p = app
        .client
        .post_form(
            &format!("/groups/{id}/rates"),
            &[
                ("csrf_token", csrf.as_str()),
                ("csv", "AUD,2026-01,0.9,0.91\n"),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(stored_rates(app.store(), id).await.len(), 2);

    // The table editor: change a stored cell and add a month in one save.
    let rates = app.client.get(&format!("/groups/{id}/rates")).await;
    assert!(
        rates
            .body
            .contains(r#"name="average|USD|2026-01" value="1.0823456789""#),
        "{}",
        rates.body
    );
    let table = format!("/groups/{id}/rates/table");
    let p = app
        .client
        .post_form(
            &table,
            &[
                ("csrf_token", csrf.as_str()),
                ("average|USD|2026-01", "1.1"),
                ("closing|USD|2026-01", "1.2"),
                ("average|AUD|2026-01", "0.9"),
                ("closing|AUD|2026-01", "0.91"),
                ("new_month", "2026-02"),
                ("average|AUD|new", "0.95"),
                ("closing|AUD|new", "0.96"),
                ("average|USD|new", ""),
                ("closing|USD|new", ""),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let after = stored_rates(app.store(), id).await;
    assert!(
        after.contains(&"USD 2026-01 1.1 1.2".to_string()),
        "{after:?}"
    );
    assert!(
        after.contains(&"AUD 2026-02 0.95 0.96".to_string()),
        "{after:?}"
    );
    assert_eq!(
        after.len(),
        3,
        "the empty USD pair added nothing: {after:?}"
    );

    // A bad cell is named, shown again as typed, and nothing is saved.
    let p = app
        .client
        .post_form(
            &table,
            &[
                ("csrf_token", csrf.as_str()),
                ("average|USD|2026-01", "-1"),
                ("closing|USD|2026-01", "1.2"),
                ("new_month", "2026-13"),
                ("average|AUD|new", "0.97"),
                ("closing|AUD|new", "0.98"),
            ],
        )
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(
        p.body
            .contains("USD 2026-01: average must be greater than 0"),
        "{}",
        p.body
    );
    assert!(p.body.contains("AUD 2026-13:"), "{}", p.body);
    assert!(p.body.contains(r#"name="average|USD|2026-01" value="-1""#));
    assert!(p.body.contains(r#"name="new_month" value="2026-13""#));
    assert_eq!(stored_rates(app.store(), id).await, after);
    let p = app
        .client
        .post_form(
            &table,
            &[("average|USD|2026-01", "2"), ("closing|USD|2026-01", "2")],
        )
        .await;
    assert_eq!(p.status, 403, "the CSRF token is required");
    assert_eq!(stored_rates(app.store(), id).await, after);

    // Without the CSRF token every form is refused.
    for (page, form) in [
        ("rates", vec![("csv", "JPY,2026-01,0.01,0.01")]),
        ("mappings", vec![("action", "confirm_all")]),
        ("intercompany", vec![("action", "confirm_all")]),
    ] {
        let p = app
            .client
            .post_form(&format!("/groups/{id}/{page}"), &form)
            .await;
        assert_eq!(p.status, 403, "{page}: {}", p.body);
    }
    assert_eq!(stored_rates(app.store(), id).await.len(), 3);
}

//! The JSON API's contract routes with an API token: groups, entities,
//! sync runs, and the error shape; who may call each route (credentials,
//! membership, role, CSRF); the shape of the groups list and the P&L.

use chrono::Utc;
use consol::consolidation;
use consol::domain::{Month, MonthRange};
use consol::store::{GroupRole, NewGroup};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::helpers::{
    Backend, SyncedGroup, connect_demo_group, create_user, session_csrf, spawn_with_sim,
    synced_demo_group,
};

crate::backends!(
    the_api_serves_groups_entities_and_sync_runs,
    every_api_route_checks_credentials_membership_role_and_csrf,
    groups_and_the_profit_and_loss_have_the_contract_shape,
);

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
    // The demo's four and Tui Ventures.
    assert_eq!(entities.len(), 5);
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
    assert_eq!(run_ids.len(), 5);
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

/// The demo group synced, its suggestions confirmed and the demo rates
/// stored, with an API token for its admin; the last twelve full months.
struct Ready {
    g: SyncedGroup,
    token: &'static str,
    period: MonthRange,
}

async fn ready_group(backend: Backend) -> Ready {
    let g = synced_demo_group(backend).await;
    let store = g.s.app.store();
    consolidation::apply_suggestions(store, &g.group, true, Some(g.user_id), Utc::now())
        .await
        .unwrap();
    consol::demo::demo_rates(store, &g.group).await.unwrap();
    let token = "consol_owner_token";
    crate::helpers::api_token(store, g.user_id, token).await;
    let last = Month::of(Utc::now().date_naive()).prev();
    Ready {
        g,
        token,
        period: MonthRange::new(last.plus(-11), last).unwrap(),
    }
}

/// How a request authenticates.
#[derive(Clone, Copy)]
enum Auth<'a> {
    Nothing,
    /// The raw `Authorization` header.
    Header(&'a str),
    /// A `Cookie` header, and the `X-CSRF-Token` header when given.
    Session(&'a str, Option<&'a str>),
    /// Both a session and an `Authorization` header.
    SessionAndHeader(&'a str, &'a str),
}

/// One route of the contract and what its group's admin gets from it.
struct Route {
    method: &'static str,
    path: String,
    /// Content type and body.
    body: Option<(&'static str, String)>,
    /// The role a member needs; None for the routes outside any group
    /// (listing and creating groups).
    min_role: Option<GroupRole>,
    ok: u16,
    content_type: &'static str,
}

impl Route {
    fn name(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    fn changes_state(&self) -> bool {
        self.method != "GET"
    }
}

struct Answer {
    status: u16,
    content_type: String,
    body: Vec<u8>,
}

impl Answer {
    /// The `error.code` of a contract error body; panics unless the body is
    /// `{"error": {"code": "...", "message": "..."}}`.
    fn error_code(&self, what: &str) -> String {
        assert!(
            self.content_type.starts_with("application/json"),
            "{what}: an error is JSON, not {}",
            self.content_type
        );
        let v: Value =
            serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{what}: not JSON ({e})"));
        let code = v["error"]["code"].as_str().unwrap_or_default();
        let message = v["error"]["message"].as_str().unwrap_or_default();
        assert!(!code.is_empty() && !message.is_empty(), "{what}: {v}");
        code.to_string()
    }
}

async fn send(http: &reqwest::Client, base: &str, r: &Route, auth: Auth<'_>) -> Answer {
    let url = format!("{base}/api/v1{}", r.path);
    let mut req = match r.method {
        "GET" => http.get(url),
        "POST" => http.post(url),
        "PUT" => http.put(url),
        m => panic!("no {m} in the contract"),
    };
    if let Some((content_type, body)) = &r.body {
        req = req.header("content-type", *content_type).body(body.clone());
    }
    match auth {
        Auth::Nothing => {}
        Auth::Header(h) => req = req.header("authorization", h),
        Auth::Session(cookie, csrf) => {
            req = req.header("cookie", cookie);
            if let Some(t) = csrf {
                req = req.header("x-csrf-token", t);
            }
        }
        Auth::SessionAndHeader(cookie, h) => {
            req = req.header("cookie", cookie).header("authorization", h);
        }
    }
    let resp = req.send().await.unwrap();
    Answer {
        status: resp.status().as_u16(),
        content_type: resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string(),
        body: resp.bytes().await.unwrap().to_vec(),
    }
}

/// Adds a user with an API token made from their e-mail and, when `group`
/// is given, makes them a member of it with that role.
async fn user_with_token(
    store: &consol::store::Store,
    email: &'static str,
    group: Option<(i64, GroupRole)>,
) -> (i64, String) {
    let id = create_user(store, email, "a long enough password").await;
    if let Some((group, role)) = group {
        store
            .set_member(group, id, role, None, Utc::now())
            .await
            .unwrap();
    }
    let token = format!("consol_token_of_{email}");
    crate::helpers::api_token(store, id, &token).await;
    (id, token)
}

async fn every_api_route_checks_credentials_membership_role_and_csrf(backend: Backend) {
    let Ready {
        g: SyncedGroup { mut s, group, .. },
        token,
        period,
    } = ready_group(backend).await;
    let store = s.app.store().clone();
    let gid = group.id;
    let http = reqwest::Client::new();
    let base = s.app.address.clone();

    // Bodies the group's admin may PUT: a rate, and one confirmed mapping
    // and intercompany contact of the group's own.
    let mapping = consol::web::api::setup::mappings_view(&store, &group)
        .await
        .unwrap()
        .accounts
        .into_iter()
        .find(|a| a.group_account_id.is_some())
        .expect("a mapped account");
    let contact = consol::web::api::setup::contacts_view(&store, &group)
        .await
        .unwrap()
        .confirmed
        .into_iter()
        .next()
        .expect("a confirmed intercompany contact");
    let (_, report) = consolidation::consolidate_group(&store, &group, period)
        .await
        .unwrap();
    let line = report
        .lines
        .iter()
        .find(|l| l.kind == consol::engine::LineKind::Account)
        .expect("an account line")
        .key
        .replace(':', "%3A");
    let entity = store.entities_for_group(gid).await.unwrap().remove(0);
    let run = consol::sync::enqueue(
        &store,
        entity.organisation_id,
        consol::sync::SyncKind::Incremental,
    )
    .await
    .unwrap();

    // A closed month, for the pack routes.
    let closed = Month::of(Utc::now().date_naive()).prev();
    consol::month_end::close(&store, &group, closed, None, Utc::now())
        .await
        .unwrap();

    let json = "application/json";
    let xlsx = consol::export::XLSX_CONTENT_TYPE;
    let period = format!("from={}&to={}", period.from(), period.to());
    let route = |method, path: String, body: Option<Value>, min_role, ok, content_type| Route {
        method,
        path,
        body: body.map(|b| (json, b.to_string())),
        min_role,
        ok,
        content_type,
    };
    let viewer = Some(GroupRole::Viewer);
    let editor = Some(GroupRole::Editor);
    let routes = vec![
        route("GET", "/groups".into(), None, None, 200, json),
        route(
            "POST",
            "/groups".into(),
            Some(
                json!({"name": "Made Here", "presentation_currency": "AUD", "financial_year_end_month": 6}),
            ),
            None,
            201,
            json,
        ),
        route("GET", format!("/groups/{gid}"), None, viewer, 200, json),
        route(
            "GET",
            format!("/groups/{gid}/entities"),
            None,
            viewer,
            200,
            json,
        ),
        route(
            "POST",
            format!("/groups/{gid}/sync"),
            None,
            editor,
            202,
            json,
        ),
        route("GET", format!("/sync-runs/{run}"), None, viewer, 200, json),
        route(
            "GET",
            format!("/groups/{gid}/fx-rates"),
            None,
            viewer,
            200,
            json,
        ),
        route(
            "GET",
            format!("/groups/{gid}/fx-rates?format=csv"),
            None,
            viewer,
            200,
            "text/csv",
        ),
        route(
            "PUT",
            format!("/groups/{gid}/fx-rates"),
            Some(
                json!([{"currency": "USD", "month": "2026-01", "average": "1.5", "closing": "1.6"}]),
            ),
            editor,
            200,
            json,
        ),
        Route {
            body: Some((
                "text/csv",
                "currency,month,average,closing\nUSD,2026-02,1.5,1.6\n".into(),
            )),
            ..route(
                "PUT",
                format!("/groups/{gid}/fx-rates"),
                None,
                editor,
                200,
                "text/csv",
            )
        },
        route(
            "GET",
            format!("/groups/{gid}/account-mappings"),
            None,
            viewer,
            200,
            json,
        ),
        route(
            "PUT",
            format!("/groups/{gid}/account-mappings"),
            Some(json!([{
                "entity_id": mapping.entity_id,
                "account_id": mapping.account_id,
                "group_account_id": mapping.group_account_id,
                "confirmed": true,
            }])),
            editor,
            200,
            json,
        ),
        // The chart exists already, so starting one answers 409 each time:
        // after credentials, membership, role and CSRF were checked.
        route(
            "POST",
            format!("/groups/{gid}/chart"),
            Some(json!({"from_entity": entity.id})),
            Some(GroupRole::Admin),
            409,
            json,
        ),
        route(
            "POST",
            format!("/groups/{gid}/apply-suggestions"),
            Some(json!({"confirm": false})),
            editor,
            200,
            json,
        ),
        route("GET", "/session".into(), None, None, 200, json),
        route(
            "GET",
            format!("/groups/{gid}/ownership"),
            None,
            viewer,
            200,
            json,
        ),
        route(
            "PUT",
            format!("/groups/{gid}/ownership"),
            Some(json!([{"entity_id": entity.id, "remove": true}])),
            Some(GroupRole::Admin),
            200,
            json,
        ),
        route(
            "GET",
            format!("/groups/{gid}/intercompany-contacts"),
            None,
            viewer,
            200,
            json,
        ),
        route(
            "PUT",
            format!("/groups/{gid}/intercompany-contacts"),
            Some(json!([{
                "entity_id": contact.entity_id,
                "contact_id": contact.contact_id,
                "counterpart_entity_id": contact.counterpart_entity_id,
                "confirmed": true,
            }])),
            editor,
            200,
            json,
        ),
        route(
            "GET",
            format!("/groups/{gid}/reports/profit-and-loss?{period}"),
            None,
            viewer,
            200,
            json,
        ),
        route(
            "GET",
            format!("/groups/{gid}/reports/profit-and-loss?{period}&format=csv"),
            None,
            viewer,
            200,
            "text/csv",
        ),
        route(
            "GET",
            format!("/groups/{gid}/reports/profit-and-loss?{period}&format=xlsx"),
            None,
            viewer,
            200,
            xlsx,
        ),
        route(
            "GET",
            format!(
                "/groups/{gid}/reports/profit-and-loss/cell?{period}&line={line}&column=consolidated"
            ),
            None,
            viewer,
            200,
            json,
        ),
        route(
            "GET",
            format!(
                "/groups/{gid}/reports/balance-sheet?at={}",
                &period[period.len() - 7..]
            ),
            None,
            viewer,
            200,
            json,
        ),
        route(
            "GET",
            format!(
                "/groups/{gid}/reports/intercompany-balances?at={}",
                &period[period.len() - 7..]
            ),
            None,
            viewer,
            200,
            json,
        ),
        route(
            "GET",
            format!("/groups/{gid}/intercompany-accounts"),
            None,
            viewer,
            200,
            json,
        ),
        // Unmarking an account that is not marked changes nothing.
        route(
            "PUT",
            format!("/groups/{gid}/intercompany-accounts"),
            Some(
                json!([{"entity_id": entity.id, "account_id": mapping.account_id, "remove": true}]),
            ),
            editor,
            200,
            json,
        ),
        route(
            "GET",
            format!("/groups/{gid}/reports/intercompany?{period}"),
            None,
            viewer,
            200,
            json,
        ),
        route(
            "GET",
            format!("/groups/{gid}/reports/intercompany?{period}&format=xlsx"),
            None,
            viewer,
            200,
            xlsx,
        ),
        route(
            "GET",
            format!("/groups/{gid}/month-end"),
            None,
            viewer,
            200,
            json,
        ),
        route(
            "GET",
            format!("/groups/{gid}/month-end/{closed}/pack?format=json"),
            None,
            viewer,
            200,
            json,
        ),
        route(
            "GET",
            format!("/groups/{gid}/month-end/{closed}/pack?format=xlsx"),
            None,
            viewer,
            200,
            xlsx,
        ),
        route(
            "GET",
            format!("/groups/{gid}/deliveries"),
            None,
            viewer,
            200,
            json,
        ),
        route(
            "PUT",
            format!("/groups/{gid}/month-end/{closed}/commentary"),
            Some(json!({"section": "kpis", "body": "Steady month."})),
            editor,
            200,
            json,
        ),
    ];

    // A stranger with a group of their own, and the group's viewer and
    // editor.
    let (stranger_id, stranger) = user_with_token(&store, "stranger@example.com", None).await;
    let theirs = store
        .create_group(
            &NewGroup {
                name: "Stranger Group",
                presentation_currency: consol::domain::CurrencyCode::parse("NZD").unwrap(),
                financial_year_end_month: 12,
            },
            stranger_id,
            Utc::now(),
        )
        .await
        .unwrap();
    let (_, viewer) =
        user_with_token(&store, "viewer@example.com", Some((gid, GroupRole::Viewer))).await;
    let (_, editor) =
        user_with_token(&store, "editor@example.com", Some((gid, GroupRole::Editor))).await;
    let bearer = |t: &str| format!("Bearer {t}");
    let (owner, stranger, viewer, editor) = (
        bearer(token),
        bearer(&stranger),
        bearer(&viewer),
        bearer(&editor),
    );
    let unknown = [
        "Bearer consol_no_such_token".to_string(),
        format!("Bearer {token}x"),
        "Bearer ".to_string(),
        format!("Basic {token}"),
        token.to_string(),
    ];
    // The admin's browser session (signed in by `connect_demo_group`), and
    // one that was never issued.
    let csrf = session_csrf(&mut s.app.client).await;
    let cookie = s.app.client.cookie_header();
    let forged = format!("{}=not-a-session", consol::web::SESSION_COOKIE);

    let mut admin_creates = 0;
    for r in &routes {
        let what = r.name();
        let call = |auth| send(&http, &base, r, auth);
        let expect_ok = |a: &Answer, who: &str| {
            assert_eq!(
                a.status,
                r.ok,
                "{what} as {who}: {}",
                String::from_utf8_lossy(&a.body)
            );
            assert!(
                a.content_type.starts_with(r.content_type),
                "{what} as {who}: {}",
                a.content_type
            );
        };
        let expect_error = |a: &Answer, status: u16, code: &str, who: &str| {
            assert_eq!(
                a.status,
                status,
                "{what} as {who}: {}",
                String::from_utf8_lossy(&a.body)
            );
            assert_eq!(a.error_code(&what), code, "{what} as {who}");
        };

        // (a) No credentials; (b) a token that is unknown, malformed or
        // under another scheme, or a session that was never issued.
        expect_error(&call(Auth::Nothing).await, 401, "unauthorized", "nobody");
        for h in &unknown {
            expect_error(&call(Auth::Header(h)).await, 401, "unauthorized", h);
        }
        expect_error(
            &call(Auth::Session(&forged, Some(&csrf))).await,
            401,
            "unauthorized",
            "a forged session",
        );
        // A bad token is refused even beside a good session.
        expect_error(
            &call(Auth::SessionAndHeader(&cookie, &unknown[0])).await,
            401,
            "unauthorized",
            "a good session and a bad token",
        );

        // The group's admin, by token and by session with the CSRF token.
        expect_ok(&call(Auth::Header(&owner)).await, "the admin");
        expect_ok(
            &call(Auth::Session(&cookie, Some(&csrf))).await,
            "the admin's session",
        );
        if r.ok == 201 {
            admin_creates += 2;
        }
        // (d) The session without the CSRF token: reads pass, changes are
        // refused, as is a wrong CSRF token.
        if r.changes_state() {
            for sent in [None, Some("not-the-csrf-token")] {
                expect_error(
                    &call(Auth::Session(&cookie, sent)).await,
                    403,
                    "csrf",
                    "the admin's session without its CSRF token",
                );
            }
        } else {
            expect_ok(
                &call(Auth::Session(&cookie, None)).await,
                "the admin's session",
            );
        }

        let Some(min_role) = r.min_role else {
            continue;
        };
        // (c) Someone outside the group: 404, as for a missing group.
        expect_error(
            &call(Auth::Header(&stranger)).await,
            404,
            "not_found",
            "a stranger",
        );
        // Roles: a viewer reads; changes need an editor.
        let a = call(Auth::Header(&viewer)).await;
        if min_role > GroupRole::Viewer {
            expect_error(&a, 403, "forbidden", "a viewer");
        } else {
            expect_ok(&a, "a viewer");
        }
        let a = call(Auth::Header(&editor)).await;
        if min_role > GroupRole::Editor {
            expect_error(&a, 403, "forbidden", "an editor");
        } else {
            expect_ok(&a, "an editor");
        }
    }

    // Closing and reopening a month: its admin only, by token or by session
    // with the CSRF token. Each call by the admin moves the month on
    // (reopen, then close again as the next version).
    let reopen = route(
        "POST",
        format!("/groups/{gid}/month-end/{closed}/reopen"),
        Some(json!({"reason": "a late bill"})),
        Some(GroupRole::Admin),
        200,
        json,
    );
    let close = route(
        "POST",
        format!("/groups/{gid}/month-end/{closed}/close"),
        None,
        Some(GroupRole::Admin),
        200,
        json,
    );
    let mut expected_version = 1;
    for admin in [Auth::Header(&owner), Auth::Session(&cookie, Some(&csrf))] {
        for r in [&reopen, &close] {
            let what = r.name();
            let call = |auth| send(&http, &base, r, auth);
            for (auth, status, code, who) in [
                (Auth::Nothing, 401, "unauthorized", "nobody"),
                (
                    Auth::Header(&unknown[0]),
                    401,
                    "unauthorized",
                    "a bad token",
                ),
                (Auth::Header(&stranger), 404, "not_found", "a stranger"),
                (Auth::Header(&viewer), 403, "forbidden", "a viewer"),
                (Auth::Header(&editor), 403, "forbidden", "an editor"),
                (
                    Auth::Session(&cookie, None),
                    403,
                    "csrf",
                    "a session without CSRF",
                ),
                (
                    Auth::Session(&cookie, Some("not-the-csrf-token")),
                    403,
                    "csrf",
                    "a wrong CSRF token",
                ),
            ] {
                let a = call(auth).await;
                assert_eq!(
                    a.status,
                    status,
                    "{what} as {who}: {}",
                    String::from_utf8_lossy(&a.body)
                );
                assert_eq!(a.error_code(&what), code, "{what} as {who}");
            }
            let a = call(admin).await;
            assert_eq!(
                a.status,
                200,
                "{what}: {}",
                String::from_utf8_lossy(&a.body)
            );
            if r.path.ends_with("/close") {
                expected_version += 1;
                let v: Value = serde_json::from_slice(&a.body).unwrap();
                assert_eq!(v["version"], expected_version, "{what}");
            }
        }
    }
    // Refused calls changed nothing: two reopens and two closes after the
    // first close.
    assert_eq!(
        store.month_end_versions(gid).await.unwrap().len(),
        3,
        "three versions"
    );

    // The stranger's list holds their own group only; the admin's the
    // groups made above and no more (refused calls made none).
    let list = |auth: String| {
        let http = http.clone();
        let url = format!("{base}/api/v1/groups");
        async move {
            let v: Value = http
                .get(url)
                .header("authorization", auth)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v.as_array()
                .unwrap()
                .iter()
                .map(|g| g["id"].as_i64().unwrap())
                .collect::<Vec<i64>>()
        }
    };
    let stranger_ids = list(stranger).await;
    assert!(stranger_ids.contains(&theirs.id), "{stranger_ids:?}");
    assert!(!stranger_ids.contains(&gid), "{stranger_ids:?}");
    assert_eq!(list(owner.clone()).await.len(), 1 + admin_creates);
    // Input the extractors refuse answers in the error shape too.
    let refused = [
        route(
            "GET",
            format!("/groups/{gid}/reports/profit-and-loss/cell?{period}&column=consolidated"),
            None,
            Some(GroupRole::Viewer),
            400,
            json,
        ),
        Route {
            body: Some(("text/plain", "{}".into())),
            ..route("POST", "/groups".into(), None, None, 400, json)
        },
    ];
    for r in &refused {
        let a = send(&http, &base, r, Auth::Header(&owner)).await;
        let what = r.name();
        assert!((400..500).contains(&a.status), "{what}: {}", a.status);
        assert_eq!(a.error_code(&what), "bad_request", "{what}");
    }
    // A group id that is not a number, and a path outside the contract,
    // answer 404 in the error shape too.
    for path in ["/groups/not-a-number", "/no-such-route"] {
        let r = route("GET", path.into(), None, None, 404, json);
        let a = send(&http, &base, &r, Auth::Header(&owner)).await;
        assert_eq!(a.status, 404, "{path}");
        assert_eq!(a.error_code(path), "not_found");
    }
}

fn decimal(v: &Value, what: &str) -> Decimal {
    v.as_str()
        .unwrap_or_else(|| panic!("{what}: a decimal is a JSON string, not {v}"))
        .parse()
        .unwrap_or_else(|e| panic!("{what}: {v}: {e}"))
}

async fn groups_and_the_profit_and_loss_have_the_contract_shape(backend: Backend) {
    let Ready { g, token, period } = ready_group(backend).await;
    let store = g.s.app.store();
    let gid = g.group.id;
    let http = reqwest::Client::new();
    let get = |path: String| {
        let req = http
            .get(format!("{}/api/v1{path}", g.s.app.address))
            .bearer_auth(token);
        async move {
            let resp = req.send().await.unwrap();
            assert_eq!(resp.status(), 200);
            resp.json::<Value>().await.unwrap()
        }
    };

    // The groups list: a viewer sees the group with their own role.
    let (_, viewer) =
        user_with_token(store, "viewer@example.com", Some((gid, GroupRole::Viewer))).await;
    for (auth, role) in [(token.to_string(), "admin"), (viewer, "viewer")] {
        let groups: Value = http
            .get(format!("{}/api/v1/groups", g.s.app.address))
            .bearer_auth(auth)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            groups,
            json!([{
                "id": gid,
                "name": "Kea Group",
                "presentation_currency": "NZD",
                "financial_year_end_month": 3,
                "role": role,
            }])
        );
    }

    // The P&L: columns, lines, net profit, rates and warnings.
    let pnl = get(format!(
        "/groups/{gid}/reports/profit-and-loss?from={}&to={}",
        period.from(),
        period.to()
    ))
    .await;
    assert_eq!(pnl["currency"], "NZD");
    let entities = store.entities_for_group(gid).await.unwrap();
    let mut expected: Vec<(String, String, &str)> = entities
        .iter()
        .map(|e| (format!("entity:{}", e.id), e.name.clone(), "entity"))
        .collect();
    expected.push(("eliminations".into(), "Eliminations".into(), "eliminations"));
    expected.push(("consolidated".into(), "Consolidated".into(), "consolidated"));
    let mut columns: Vec<(String, String, &str)> = pnl["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["key"].as_str().unwrap().to_string(),
                c["name"].as_str().unwrap().to_string(),
                c["kind"].as_str().unwrap(),
            )
        })
        .collect();
    // Entity columns in any order, then eliminations and consolidated.
    let n = entities.len();
    columns[..n].sort();
    expected[..n].sort();
    assert_eq!(columns, expected);
    let keys: Vec<&str> = expected.iter().map(|c| c.0.as_str()).collect();
    let values = |v: &Value, what: &str| -> Vec<Decimal> {
        let o = v.as_object().unwrap_or_else(|| panic!("{what}: {v}"));
        assert_eq!(o.len(), keys.len(), "{what}: {v}");
        keys.iter()
            .map(|k| decimal(&o[*k], &format!("{what}[{k}]")))
            .collect()
    };
    let lines = pnl["lines"].as_array().unwrap();
    assert!(lines.len() > 10, "{}", lines.len());
    let sections = [
        "Income",
        "Cost of Sales",
        "Gross Profit",
        "Other Income",
        "Operating Expenses",
        "Other Expenses",
        "Unmapped",
        "Net Profit",
    ];
    for l in lines {
        let what = format!("line {}", l["key"]);
        let section = l["section"].as_str().unwrap_or_default();
        assert!(sections.contains(&section), "{what}: {l}");
        assert!(
            l["account_code"].is_string() || l["account_code"].is_null(),
            "{what}"
        );
        assert!(l["account_name"].is_string(), "{what}");
        values(&l["values"], &what);
    }
    assert!(
        lines.iter().any(|l| l["account_code"].is_string()),
        "group accounts carry their code"
    );
    let net = values(&pnl["net_profit"], "net_profit");
    assert_ne!(net[keys.len() - 1], Decimal::ZERO);
    let rates = pnl["rates"].as_array().unwrap();
    assert!(!rates.is_empty());
    let foreign: Vec<String> = entities
        .iter()
        .map(|e| e.base_currency.to_string())
        .filter(|c| c != "NZD")
        .collect();
    for r in rates {
        assert!(
            foreign.contains(&r["currency"].as_str().unwrap().to_string()),
            "{r}"
        );
        let m = r["month"].as_str().unwrap();
        assert!(
            (period.from().to_string().as_str()..=period.to().to_string().as_str()).contains(&m),
            "{r}"
        );
        assert!(decimal(&r["average"], "average") > Decimal::ZERO, "{r}");
    }
    assert!(pnl["warnings"].is_array(), "{}", pnl["warnings"]);
}

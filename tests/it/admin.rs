//! Administration pages over HTTP: a group's members and roles, its audit
//! log, and a user's own API tokens.

use consol::store::{Group, GroupRole, NewGroup, Store};

use crate::helpers::{Backend, TestApp, create_user, login, session_csrf, spawn_app};

crate::backends!(
    admins_manage_members_and_roles,
    api_tokens_are_shown_once_stored_hashed_and_revocable,
    the_audit_log_is_for_admins,
);

const ANN: (&str, &str) = ("ann@example.com", "ann's long password");
const BOB: (&str, &str) = ("bob@example.com", "bob's long password");

async fn group_of(app: &TestApp, admin: i64) -> Group {
    app.store()
        .create_group(
            &NewGroup {
                name: "Kea Group",
                presentation_currency: consol::domain::CurrencyCode::parse("NZD").unwrap(),
                financial_year_end_month: 3,
            },
            admin,
            chrono::Utc::now(),
        )
        .await
        .unwrap()
}

async fn role_of(store: &Store, group: i64, user: i64) -> Option<GroupRole> {
    store
        .group_for_member(group, user)
        .await
        .unwrap()
        .map(|(_, r)| r)
}

async fn admins_manage_members_and_roles(backend: Backend) {
    let mut app = spawn_app(backend).await;
    let ann = create_user(app.store(), ANN.0, ANN.1).await;
    let bob = create_user(app.store(), BOB.0, BOB.1).await;
    create_user(app.store(), "cat@example.com", "cat's long password").await;
    let group = group_of(&app, ann).await;
    let members = format!("/groups/{}/members", group.id);

    login(&mut app.client, ANN.0, ANN.1).await;
    let page = app.client.get(&format!("/groups/{}", group.id)).await;
    assert!(page.body.contains(&members), "the group page links Members");
    assert!(page.body.contains(&format!("/groups/{}/audit", group.id)));
    let csrf = session_csrf(&mut app.client).await;

    // Add Bob as a viewer.
    let page = app
        .client
        .post_form(
            &members,
            &[("email", BOB.0), ("role", "viewer"), ("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(
        role_of(app.store(), group.id, bob).await,
        Some(GroupRole::Viewer)
    );
    let list = app.client.get(&members).await;
    assert_eq!(list.status, 200);
    assert!(list.body.contains(BOB.0) && list.body.contains(ANN.0));

    // An unknown e-mail is a form error, not a crash.
    let page = app
        .client
        .post_form(
            &members,
            &[
                ("email", "nobody@example.com"),
                ("role", "editor"),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains("No Consol user has the e-mail"));
    assert!(page.body.contains("nobody@example.com"));

    // Without the CSRF token: 403, nothing added.
    let page = app
        .client
        .post_form(&members, &[("email", "cat@example.com"), ("role", "admin")])
        .await;
    assert_eq!(page.status, 403);
    assert_eq!(app.store().members_of(group.id).await.unwrap().len(), 2);

    // Bob, a viewer, sees the group but not its members, nor may he post.
    let mut bob_client = app.new_client();
    login(&mut bob_client, BOB.0, BOB.1).await;
    let bob_csrf = session_csrf(&mut bob_client).await;
    let page = bob_client.get(&format!("/groups/{}", group.id)).await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains(&members), "no Members link for viewers");
    assert_eq!(bob_client.get(&members).await.status, 403);
    let page = bob_client
        .post_form(
            &members,
            &[
                ("email", "cat@example.com"),
                ("role", "admin"),
                ("csrf_token", &bob_csrf),
            ],
        )
        .await;
    assert_eq!(page.status, 403);
    let page = bob_client
        .post_form(
            &format!("{members}/{bob}/role"),
            &[("role", "admin"), ("csrf_token", &bob_csrf)],
        )
        .await;
    assert_eq!(page.status, 403);
    assert_eq!(
        role_of(app.store(), group.id, bob).await,
        Some(GroupRole::Viewer)
    );

    // A non-member gets 404, the same as a missing group.
    let mut cat_client = app.new_client();
    login(&mut cat_client, "cat@example.com", "cat's long password").await;
    assert_eq!(cat_client.get(&members).await.status, 404);
    assert_eq!(
        cat_client
            .get(&format!("/groups/{}/audit", group.id))
            .await
            .status,
        404
    );

    // Ann makes Bob an editor.
    let page = app
        .client
        .post_form(
            &format!("{members}/{bob}/role"),
            &[("role", "editor"), ("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(
        role_of(app.store(), group.id, bob).await,
        Some(GroupRole::Editor)
    );

    // Ann is the last admin: she can neither demote nor remove herself.
    for (path, form) in [
        (format!("{members}/{ann}/role"), vec![("role", "viewer")]),
        (format!("{members}/{ann}/remove"), vec![]),
    ] {
        let mut form = form;
        form.push(("csrf_token", csrf.as_str()));
        let page = app.client.post_form(&path, &form).await;
        assert_eq!(page.status, 422, "{path}");
        assert!(page.body.contains("at least one admin"), "{}", page.body);
        assert_eq!(
            role_of(app.store(), group.id, ann).await,
            Some(GroupRole::Admin)
        );
    }

    // Removing Bob works; he then gets 404 like any non-member.
    let page = app
        .client
        .post_form(&format!("{members}/{bob}/remove"), &[("csrf_token", &csrf)])
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(role_of(app.store(), group.id, bob).await, None);
    assert_eq!(
        bob_client
            .get(&format!("/groups/{}", group.id))
            .await
            .status,
        404
    );
    // Removing him again: he is not a member.
    let page = app
        .client
        .post_form(&format!("{members}/{bob}/remove"), &[("csrf_token", &csrf)])
        .await;
    assert_eq!(page.status, 404);
}

/// The token on the page that created it.
fn token_in(body: &str) -> String {
    let marker = "id=\"new-token\">";
    let start = body.find(marker).expect("a token on the page") + marker.len();
    body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect()
}

/// Every column of every `api_tokens` row, as text.
async fn api_token_rows(store: &Store) -> Vec<Vec<Option<String>>> {
    const SQL: &str = "SELECT CAST(id AS TEXT), CAST(user_id AS TEXT), name, token_hash, \
         CAST(created_at AS TEXT), CAST(last_used_at AS TEXT), CAST(revoked_at AS TEXT) \
         FROM api_tokens";
    type Row = (
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let rows: Vec<Row> = match store {
        Store::Sqlite(p) => sqlx::query_as(SQL).fetch_all(p).await.unwrap(),
        Store::Postgres(p) => sqlx::query_as(SQL).fetch_all(p).await.unwrap(),
    };
    rows.into_iter()
        .map(|r| vec![r.0, r.1, r.2, r.3, r.4, r.5, r.6])
        .collect()
}

async fn api_tokens_are_shown_once_stored_hashed_and_revocable(backend: Backend) {
    let mut app = spawn_app(backend).await;
    create_user(app.store(), ANN.0, ANN.1).await;
    create_user(app.store(), BOB.0, BOB.1).await;
    login(&mut app.client, ANN.0, ANN.1).await;
    let list = app.client.get("/groups").await;
    assert!(
        list.body.contains("/account/api-tokens"),
        "the nav links it"
    );
    let csrf = session_csrf(&mut app.client).await;

    // A name is required.
    let page = app
        .client
        .post_form(
            "/account/api-tokens",
            &[("name", "  "), ("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains("Give the token a name"));
    // Without the CSRF token: 403.
    let page = app
        .client
        .post_form("/account/api-tokens", &[("name", "Power BI")])
        .await;
    assert_eq!(page.status, 403);
    assert!(api_token_rows(app.store()).await.is_empty());

    let page = app
        .client
        .post_form(
            "/account/api-tokens",
            &[("name", "Power BI"), ("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("cannot be shown again"));
    assert_eq!(
        page.headers
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    let token = token_in(&page.body);
    assert_eq!(token.len(), "consol_".len() + 43, "{token}");

    // Shown once: the list afterwards names it but does not hold it.
    let list = app.client.get("/account/api-tokens").await;
    assert_eq!(list.status, 200);
    assert!(list.body.contains("Power BI"));
    assert!(!list.body.contains(&token));
    assert!(!list.body.contains("consol_"));

    // Only its hash is stored.
    let rows = api_token_rows(app.store()).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0][3].as_deref(),
        Some(consol::auth::token::hash_token(&token).as_str())
    );
    let secret = token.trim_start_matches("consol_");
    for value in rows[0].iter().flatten() {
        assert!(!value.contains(secret), "a column holds the token: {value}");
    }

    // It works as a bearer token.
    let http = reqwest::Client::new();
    let api = format!("{}/api/v1/groups", app.address);
    let resp = http.get(&api).bearer_auth(&token).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let list = app.client.get("/account/api-tokens").await;
    assert!(!list.body.contains(">never<"), "last use is shown");

    // Bob cannot revoke Ann's token: not found.
    let id = app
        .store()
        .api_tokens_of(
            app.store()
                .user_by_email(&consol::domain::Email::parse(ANN.0).unwrap())
                .await
                .unwrap()
                .unwrap()
                .id,
        )
        .await
        .unwrap()[0]
        .id;
    let mut bob_client = app.new_client();
    login(&mut bob_client, BOB.0, BOB.1).await;
    let bob_csrf = session_csrf(&mut bob_client).await;
    let page = bob_client
        .post_form(
            &format!("/account/api-tokens/{id}/revoke"),
            &[("csrf_token", &bob_csrf)],
        )
        .await;
    assert_eq!(page.status, 404);
    assert!(
        !bob_client
            .get("/account/api-tokens")
            .await
            .body
            .contains("Power BI")
    );
    let resp = http.get(&api).bearer_auth(&token).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);

    // Ann revokes it; it stops working.
    let page = app
        .client
        .post_form(
            &format!("/account/api-tokens/{id}/revoke"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    let resp = http.get(&api).bearer_auth(&token).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    let list = app.client.get("/account/api-tokens").await;
    assert!(list.body.contains("revoked"));

    let log = app.store().audit_log(None, 50).await.unwrap();
    let actions: Vec<&str> = log.iter().map(|(_, e)| e.action.as_str()).collect();
    assert!(actions.contains(&"api_token.create"), "{actions:?}");
    assert!(actions.contains(&"api_token.revoke"), "{actions:?}");
}

async fn the_audit_log_is_for_admins(backend: Backend) {
    let mut app = spawn_app(backend).await;
    let ann = create_user(app.store(), ANN.0, ANN.1).await;
    create_user(app.store(), BOB.0, BOB.1).await;
    let group = group_of(&app, ann).await;
    login(&mut app.client, ANN.0, ANN.1).await;
    let csrf = session_csrf(&mut app.client).await;
    let page = app
        .client
        .post_form(
            &format!("/groups/{}/members", group.id),
            &[("email", BOB.0), ("role", "viewer"), ("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    let page = app
        .client
        .post_form(
            "/account/api-tokens",
            &[("name", "Excel"), ("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(page.status, 200);

    let audit = format!("/groups/{}/audit", group.id);
    let page = app.client.get(&audit).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let member_set = page
        .body
        .find("group.member.set")
        .expect("member.set listed");
    let created = page.body.find("group.create").expect("group.create listed");
    assert!(member_set < created, "newest first");
    assert!(page.body.contains(ANN.0), "the user's e-mail is shown");
    // The token is not the group's business.
    assert!(!page.body.contains("api_token.create"));
    // Paging past the newest entry leaves only the older one.
    let log = app
        .store()
        .group_audit_page(group.id, None, None, 10)
        .await
        .unwrap();
    assert_eq!(log.len(), 2);
    let older = app
        .client
        .get(&format!("{audit}?before={}", log[0].id))
        .await;
    assert!(older.body.contains("group.create"));
    assert!(!older.body.contains("group.member.set"));

    // Filtered by kind: members only, then group only; an unknown kind is
    // refused with a message.
    let members_only = app.client.get(&format!("{audit}?kind=members")).await;
    assert_eq!(members_only.status, 200);
    assert!(members_only.body.contains("<code>group.member.set</code>"));
    assert!(!members_only.body.contains("<code>group.create</code>"));
    assert!(
        members_only
            .body
            .contains(r#"<option value="members" selected>"#),
        "the choice stays selected"
    );
    let group_only = app.client.get(&format!("{audit}?kind=group")).await;
    assert!(group_only.body.contains("<code>group.create</code>"));
    assert!(!group_only.body.contains("<code>group.member.set</code>"));
    let rates_only = app.client.get(&format!("{audit}?kind=rates")).await;
    assert!(rates_only.body.contains("No entries."));
    let unknown = app.client.get(&format!("{audit}?kind=passwords")).await;
    assert_eq!(unknown.status, 400);
    assert!(unknown.body.contains("unknown kind of entry: passwords"));

    let mut bob_client = app.new_client();
    login(&mut bob_client, BOB.0, BOB.1).await;
    assert_eq!(bob_client.get(&audit).await.status, 403);
}

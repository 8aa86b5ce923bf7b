//! Users' lifecycle: an administrator disables a user (their sessions and
//! API tokens end at once), a user changes their password (their other
//! sessions end) or signs out everywhere; API tokens expire and may be
//! read-only.

use chrono::{Duration, Utc};
use consol::store::TokenScope;

use crate::helpers::{Backend, Client, create_user, login, session_csrf, spawn_app, user_id};

crate::backends!(
    disabling_a_user_ends_their_sessions_and_tokens,
    changing_a_password_signs_out_other_sessions,
    sign_out_everywhere_ends_every_session,
    tokens_expire_and_may_only_read,
);

const ADMIN: &str = "root@consol.test";
const BOB: &str = "bob@consol.test";
const PW: &str = "a long enough password";

async fn make_admin(store: &consol::store::Store) -> i64 {
    let hash = consol::auth::password::hash(PW).unwrap();
    store
        .create_user(
            &consol::store::NewUser {
                email: &consol::domain::Email::parse(ADMIN).unwrap(),
                name: "Root",
                password_hash: &hash,
                is_admin: true,
            },
            Utc::now(),
        )
        .await
        .unwrap()
        .id
}

async fn api(address: &str, method: &str, path: &str, token: &str) -> u16 {
    let http = reqwest::Client::new();
    let url = format!("{address}/api/v1{path}");
    let req = match method {
        "GET" => http.get(url),
        _ => http.post(url).json(&serde_json::json!({
            "name": "G", "presentation_currency": "NZD", "financial_year_end_month": 3
        })),
    };
    req.bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn signed_in(client: &mut Client) -> bool {
    client.get("/groups").await.status == 200
}

async fn disabling_a_user_ends_their_sessions_and_tokens(backend: Backend) {
    let mut app = spawn_app(backend).await;
    let admin = make_admin(app.store()).await;
    let bob = create_user(app.store(), BOB, PW).await;
    let mut bob_browser = app.new_client();
    login(&mut bob_browser, BOB, PW).await;
    let (_, bob_token) = app
        .store()
        .issue_api_token(bob, "bob's", Utc::now())
        .await
        .unwrap();
    assert_eq!(api(&app.address, "GET", "/groups", &bob_token).await, 200);

    // A non-administrator may not.
    let csrf = session_csrf(&mut bob_browser).await;
    let page = bob_browser
        .post_form(
            &format!("/admin/users/{admin}/disable"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(page.status, 403);

    login(&mut app.client, ADMIN, PW).await;
    let users = app.client.get("/admin/users").await;
    assert_eq!(users.status, 200);
    assert!(users.body.contains(BOB));
    let csrf = session_csrf(&mut app.client).await;
    let page = app
        .client
        .post_form(
            &format!("/admin/users/{bob}/disable"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);

    assert!(!signed_in(&mut bob_browser).await, "bob's session ended");
    assert_eq!(api(&app.address, "GET", "/groups", &bob_token).await, 401);
    let tokens = app.store().api_tokens_of(bob).await.unwrap();
    assert!(
        tokens[0].revoked_at.is_some(),
        "the token is revoked, not just unusable"
    );
    let csrf = bob_browser.csrf_from("/login").await;
    let again = bob_browser
        .post_form(
            "/login",
            &[("email", BOB), ("password", PW), ("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(again.status, 401);

    // Enabled again, bob signs in; the old token stays revoked.
    let csrf = csrf_of(&mut app.client).await;
    let page = app
        .client
        .post_form(
            &format!("/admin/users/{bob}/enable"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(page.status, 303);
    login(&mut bob_browser, BOB, PW).await;
    assert_eq!(api(&app.address, "GET", "/groups", &bob_token).await, 401);

    // The same through the API, with the administrator's token.
    let (_, admin_token) = app
        .store()
        .issue_api_token(admin, "admin", Utc::now())
        .await
        .unwrap();
    assert_eq!(
        api(
            &app.address,
            "POST",
            &format!("/users/{bob}/disable"),
            &admin_token
        )
        .await,
        200
    );
    assert!(!signed_in(&mut bob_browser).await);
    assert_eq!(
        api(
            &app.address,
            "POST",
            &format!("/users/{admin}/disable"),
            &admin_token
        )
        .await,
        409
    );
    let log = app.store().audit_log(None, 20).await.unwrap();
    assert!(log.iter().any(|(_, e)| e.action == "user.disable"));
}

async fn csrf_of(client: &mut Client) -> String {
    session_csrf(client).await
}

async fn changing_a_password_signs_out_other_sessions(backend: Backend) {
    let app = spawn_app(backend).await;
    create_user(app.store(), BOB, PW).await;
    let mut here = app.new_client();
    let mut there = app.new_client();
    login(&mut here, BOB, PW).await;
    login(&mut there, BOB, PW).await;
    let new_pw = "another long password";

    let csrf = here.csrf_from("/account").await;
    let wrong = here
        .post_form(
            "/account/password",
            &[
                ("csrf_token", &csrf),
                ("current_password", "not the password"),
                ("new_password", new_pw),
                ("new_password_confirm", new_pw),
            ],
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.body.contains("current password is not right"));
    assert!(signed_in(&mut there).await, "nothing changed yet");

    let done = here
        .post_form(
            "/account/password",
            &[
                ("csrf_token", &csrf),
                ("current_password", PW),
                ("new_password", new_pw),
                ("new_password_confirm", new_pw),
            ],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert!(signed_in(&mut here).await, "this session stays");
    assert!(!signed_in(&mut there).await, "the other one ends");
    let mut fresh = app.new_client();
    let csrf = fresh.csrf_from("/login").await;
    let old = fresh
        .post_form(
            "/login",
            &[("email", BOB), ("password", PW), ("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(old.status, 401);
    login(&mut fresh, BOB, new_pw).await;
}

async fn sign_out_everywhere_ends_every_session(backend: Backend) {
    let app = spawn_app(backend).await;
    let bob = create_user(app.store(), BOB, PW).await;
    let (_, token) = app
        .store()
        .issue_api_token(bob, "kept", Utc::now())
        .await
        .unwrap();
    let mut here = app.new_client();
    let mut there = app.new_client();
    login(&mut here, BOB, PW).await;
    login(&mut there, BOB, PW).await;
    let csrf = session_csrf(&mut here).await;
    let page = here
        .post_form("/account/sign-out-everywhere", &[("csrf_token", &csrf)])
        .await;
    assert_eq!(page.location(), Some("/login"));
    assert!(!signed_in(&mut here).await);
    assert!(!signed_in(&mut there).await);
    assert_eq!(
        api(&app.address, "GET", "/groups", &token).await,
        200,
        "API tokens are revoked on their own page"
    );
    assert_eq!(user_id(app.store(), BOB).await, bob);
}

async fn tokens_expire_and_may_only_read(backend: Backend) {
    let mut app = spawn_app(backend).await;
    let bob = create_user(app.store(), BOB, PW).await;
    let now = Utc::now();
    let (_, expired) = app
        .store()
        .issue_api_token_with(
            bob,
            "old",
            TokenScope {
                expires_at: Some(now - Duration::seconds(1)),
                read_only: false,
            },
            now - Duration::days(30),
        )
        .await
        .unwrap();
    assert_eq!(api(&app.address, "GET", "/groups", &expired).await, 401);

    // Made on the page: read-only, 30 days.
    login(&mut app.client, BOB, PW).await;
    let csrf = session_csrf(&mut app.client).await;
    let page = app
        .client
        .post_form(
            "/account/api-tokens",
            &[
                ("csrf_token", &csrf),
                ("name", "BI"),
                ("expires_in_days", "30"),
                ("read_only", "1"),
            ],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let start = page.body.find("consol_").unwrap();
    let token: String = page.body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    assert_eq!(api(&app.address, "GET", "/groups", &token).await, 200);
    assert_eq!(api(&app.address, "POST", "/groups", &token).await, 403);
    let info = app.store().api_tokens_of(bob).await.unwrap();
    let bi = info.iter().find(|t| t.name == "BI").unwrap();
    assert!(bi.read_only);
    let days = (bi.expires_at.unwrap() - Utc::now()).num_hours();
    assert!((29 * 24..=30 * 24).contains(&days), "{days} hours");

    let bad = app
        .client
        .post_form(
            "/account/api-tokens",
            &[
                ("csrf_token", &csrf),
                ("name", "x"),
                ("expires_in_days", "0"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
}

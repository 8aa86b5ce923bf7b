//! Sign-in, first run, CSRF, throttling and headers, over real HTTP.

use std::time::{Duration, Instant};

use chrono::Utc;
use consol::auth::proxies::TrustedProxies;
use consol::store::Store;

use crate::helpers::{
    ADMIN_EMAIL, ADMIN_PASSWORD, Backend, Client, create_user, login, session_csrf, spawn_app,
    spawn_app_with,
};

crate::backends!(
    health_check_reports_the_database,
    first_run_creates_the_admin_once,
    first_run_rejects_bad_input,
    login_works_and_sets_safe_cookies,
    wrong_password_and_unknown_email_look_the_same,
    forms_without_a_valid_csrf_token_are_rejected,
    repeated_failures_are_slowed_not_locked,
    others_failures_never_refuse_a_right_password,
    forwarded_for_counts_only_from_trusted_proxies,
    oversized_emails_are_counted,
    logout_ends_the_session,
    pages_have_security_headers,
    signed_out_users_are_sent_to_login,
);

async fn health_check_reports_the_database(backend: Backend) {
    let mut app = spawn_app(backend).await;
    let page = app.client.get("/healthz").await;
    assert_eq!(page.status, 200);
    let v: serde_json::Value = serde_json::from_str(&page.body).unwrap();
    assert_eq!(v["status"], "ok");
    let expected = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    assert_eq!(v["database"], expected);
}

async fn first_run_creates_the_admin_once(backend: Backend) {
    let mut app = spawn_app(backend).await;
    let home = app.client.get("/").await;
    assert_eq!(home.location(), Some("/setup"));
    assert_eq!(app.client.get("/login").await.location(), Some("/setup"));

    let csrf = app.client.csrf_from("/setup").await;
    let fields = [
        ("email", ADMIN_EMAIL),
        ("name", "Ada Admin"),
        ("password", ADMIN_PASSWORD),
        ("password_confirm", ADMIN_PASSWORD),
        ("csrf_token", csrf.as_str()),
    ];
    // Without the set-up code, or with a wrong one, nobody is made admin.
    for code in [None, Some("AAAA-BBBB-CCCC-DDDD")] {
        let mut form = fields.to_vec();
        if let Some(c) = code {
            form.push(("setup_code", c));
        }
        let page = app.client.post_form("/setup", &form).await;
        assert_eq!(page.status, 422, "{code:?}");
        assert!(
            page.body.contains("set-up code is not right"),
            "{}",
            page.body
        );
        assert_eq!(app.store().count_users().await.unwrap(), 0);
    }
    let code = consol::auth::setup_code::issue(app.store(), chrono::Utc::now())
        .await
        .unwrap();
    let done = app
        .client
        .post_form(
            "/setup",
            &[
                ("setup_code", code.as_str()),
                ("email", ADMIN_EMAIL),
                ("name", "Ada Admin"),
                ("password", ADMIN_PASSWORD),
                ("password_confirm", ADMIN_PASSWORD),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.location(), Some("/groups"));
    let groups = app.client.get("/groups").await;
    assert_eq!(groups.status, 200);
    assert!(groups.body.contains(ADMIN_EMAIL));

    // Only the first visitor gets the page; a later one is sent to login and
    // a forged submission creates nobody.
    let mut other = app.new_client();
    assert_eq!(other.get("/setup").await.location(), Some("/login"));
    let csrf = other.csrf_from("/login").await;
    let again = other
        .post_form(
            "/setup",
            &[
                ("email", "mallory@example.com"),
                ("password", "another long pw"),
                ("password_confirm", "another long pw"),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    assert_eq!(again.location(), Some("/login"));
    assert_eq!(app.store().count_users().await.unwrap(), 1);
    let admin = app
        .store()
        .user_by_email(&consol::domain::Email::parse(ADMIN_EMAIL).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(admin.is_admin);
}

async fn first_run_rejects_bad_input(backend: Backend) {
    let mut app = spawn_app(backend).await;
    let csrf = app.client.csrf_from("/setup").await;
    let code = consol::auth::setup_code::issue(app.store(), chrono::Utc::now())
        .await
        .unwrap();
    let page = app
        .client
        .post_form(
            "/setup",
            &[
                ("setup_code", code.as_str()),
                ("email", "not-an-email"),
                ("name", &"N".repeat(101)),
                ("password", "short"),
                ("password_confirm", "different"),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    assert_eq!(page.status, 422);
    assert!(
        page.body.contains("is not an e-mail address"),
        "{}",
        page.body
    );
    assert!(page.body.contains("at least 10 characters"));
    assert!(page.body.contains("The two passwords differ."));
    assert!(
        page.body.contains("at most 100 characters"),
        "{}",
        page.body
    );
    // What was typed is kept (but never the password).
    assert!(page.body.contains("value=\"not-an-email\""));
    assert!(!page.body.contains("short"));
    assert_eq!(app.store().count_users().await.unwrap(), 0);
}

async fn login_works_and_sets_safe_cookies(backend: Backend) {
    let mut app = spawn_app(backend).await;
    create_user(app.store(), ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let csrf = app.client.csrf_from("/login?next=/groups/1").await;
    let page = app
        .client
        .post_form(
            "/login",
            &[
                ("email", "  Admin@Consol.TEST "),
                ("password", ADMIN_PASSWORD),
                ("csrf_token", &csrf),
                ("next", "/groups/1"),
            ],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(page.location(), Some("/groups/1"));
    let cookie = page
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("consol_session="))
        .expect("a session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http here: {cookie}");
    assert_eq!(app.client.get("/groups").await.status, 200);

    // The next parameter never leads off-site: browsers drop tabs and
    // newlines and read a backslash as a slash, so these all mean
    // //evil.example to one.
    for bad in [
        "//evil.example/",
        "/%09/evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "/%0A/evil.example",
        "/%2F/evil.example",
        "/%5Cevil.example",
        "/\\evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        " /groups",
        "/%zz",
    ] {
        let mut other = app.new_client();
        let csrf = other.csrf_from("/login").await;
        let page = other
            .post_form(
                "/login",
                &[
                    ("email", ADMIN_EMAIL),
                    ("password", ADMIN_PASSWORD),
                    ("csrf_token", &csrf),
                    ("next", bad),
                ],
            )
            .await;
        assert_eq!(page.location(), Some("/groups"), "next={bad:?}");
        // Nor is it carried into the login form.
        let form = other
            .get(&format!("/login?next={}", bad.replace('%', "%25")))
            .await;
        assert!(
            !form.body.contains("evil.example"),
            "next={bad:?} kept in the form"
        );
    }
    let mut other = app.new_client();
    let csrf = other.csrf_from("/login").await;
    let page = other
        .post_form(
            "/login",
            &[
                ("email", ADMIN_EMAIL),
                ("password", ADMIN_PASSWORD),
                ("csrf_token", &csrf),
                ("next", "/groups/1/reports?from=2026-01"),
            ],
        )
        .await;
    assert_eq!(page.location(), Some("/groups/1/reports?from=2026-01"));
}

async fn wrong_password_and_unknown_email_look_the_same(backend: Backend) {
    let mut app = spawn_app(backend).await;
    create_user(app.store(), ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let mut bodies = Vec::new();
    for (email, pw) in [
        (ADMIN_EMAIL, "wrong password!"),
        ("nobody@consol.test", ADMIN_PASSWORD),
    ] {
        let csrf = app.client.csrf_from("/login").await;
        let page = app
            .client
            .post_form(
                "/login",
                &[("email", email), ("password", pw), ("csrf_token", &csrf)],
            )
            .await;
        assert_eq!(page.status, 401);
        assert!(page.body.contains("Wrong e-mail or password."));
        assert!(!app.client.cookies.contains_key("consol_session"));
        bodies.push(page.body.replace(email, ""));
    }
    assert_eq!(
        bodies[0], bodies[1],
        "the answer does not say which part was wrong"
    );
    let log = app.store().audit_log(None, 10).await.unwrap();
    assert_eq!(
        log.iter()
            .filter(|(_, e)| e.action == "user.login_failed")
            .count(),
        2
    );
}

async fn forms_without_a_valid_csrf_token_are_rejected(backend: Backend) {
    let mut app = spawn_app(backend).await;
    create_user(app.store(), ADMIN_EMAIL, ADMIN_PASSWORD).await;

    // Login: a token that does not match the cookie.
    app.client.csrf_from("/login").await;
    let page = app
        .client
        .post_form(
            "/login",
            &[
                ("email", ADMIN_EMAIL),
                ("password", ADMIN_PASSWORD),
                ("csrf_token", "forged"),
            ],
        )
        .await;
    assert_eq!(page.status, 403);
    assert!(!app.client.cookies.contains_key("consol_session"));

    // Login: no cookie at all (a cross-site post).
    let mut bare = app.new_client();
    let page = bare
        .post_form(
            "/login",
            &[
                ("email", ADMIN_EMAIL),
                ("password", ADMIN_PASSWORD),
                ("csrf_token", "x"),
            ],
        )
        .await;
    assert_eq!(page.status, 403);

    // Signed in: creating a group needs the session's token.
    login(&mut app.client, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let form = [
        ("name", "Forged"),
        ("presentation_currency", "NZD"),
        ("financial_year_end_month", "3"),
        ("csrf_token", "not-the-token"),
    ];
    let page = app.client.post_form("/groups", &form).await;
    assert_eq!(page.status, 403);
    assert!(page.body.contains("the form has expired"));
    let missing = app
        .client
        .post_form(
            "/groups",
            &[
                ("name", "Forged"),
                ("presentation_currency", "NZD"),
                ("financial_year_end_month", "3"),
            ],
        )
        .await;
    assert!(
        missing.status == 400 || missing.status == 403,
        "{}",
        missing.status
    );
    let uid = app
        .store()
        .user_by_email(&consol::domain::Email::parse(ADMIN_EMAIL).unwrap())
        .await
        .unwrap()
        .unwrap()
        .id;
    assert!(app.store().groups_for_user(uid).await.unwrap().is_empty());

    // Logout without the token does not end the session.
    let page = app
        .client
        .post_form("/logout", &[("csrf_token", "nope")])
        .await;
    assert_eq!(page.status, 403);
    assert_eq!(app.client.get("/groups").await.status, 200);
}

/// Posts a login (with extra headers) and returns the page and the time
/// it took to answer.
async fn try_login(
    client: &mut Client,
    email: &str,
    pw: &str,
    headers: &[(&str, &str)],
) -> (crate::helpers::Page, Duration) {
    let csrf = client.csrf_from("/login").await;
    let started = Instant::now();
    let page = client
        .post_form_with_headers(
            "/login",
            &[("email", email), ("password", pw), ("csrf_token", &csrf)],
            headers,
        )
        .await;
    (page, started.elapsed())
}

async fn record_failures(store: &Store, email: &str, ip: &str, n: i64) {
    let now = Utc::now();
    for _ in 0..n {
        store
            .record_login_attempt(email, ip, false, now)
            .await
            .unwrap();
    }
}

async fn failures(store: &Store, email: &str, ip: &str) -> (i64, i64) {
    let c = store
        .failed_logins_since(email, ip, Utc::now() - chrono::Duration::minutes(15))
        .await
        .unwrap();
    (c.for_account, c.from_address)
}

/// Failures slow further failures down, one second then doubling; the
/// right password is still let in at once.
async fn repeated_failures_are_slowed_not_locked(backend: Backend) {
    let mut app = spawn_app(backend).await;
    create_user(app.store(), ADMIN_EMAIL, ADMIN_PASSWORD).await;
    // The free failures, then one more: the next failure is the second
    // over the limit, which waits 1 s doubled once.
    let free = consol::auth::throttle::FREE_FAILURES_PER_ACCOUNT;
    record_failures(app.store(), ADMIN_EMAIL, "127.0.0.1", free + 1).await;
    let (page, took) = try_login(&mut app.client, ADMIN_EMAIL, "guess guess guess", &[]).await;
    assert_eq!(page.status, 401);
    assert!(page.body.contains("Wrong e-mail or password."));
    assert!(took >= Duration::from_secs(2), "answered after {took:?}");
    assert_eq!(
        failures(app.store(), ADMIN_EMAIL, "127.0.0.1").await.0,
        free + 2
    );

    // Even now the right password is not refused, nor held back.
    let (page, took) = try_login(&mut app.client, ADMIN_EMAIL, ADMIN_PASSWORD, &[]).await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert!(took < Duration::from_secs(2), "answered after {took:?}");
    assert!(app.client.cookies.contains_key("consol_session"));
    // The success resets the count of this account from this address.
    assert_eq!(failures(app.store(), ADMIN_EMAIL, "127.0.0.1").await.0, 0);
}

/// The issue's attack: many failures with made-up e-mails from the user's
/// own address (behind one proxy, everyone's), and many for the user's
/// e-mail from elsewhere. The user still signs in, at once.
async fn others_failures_never_refuse_a_right_password(backend: Backend) {
    let mut app = spawn_app(backend).await;
    create_user(app.store(), ADMIN_EMAIL, ADMIN_PASSWORD).await;
    for i in 0..25 {
        record_failures(
            app.store(),
            &format!("made-up-{i}@example.com"),
            "127.0.0.1",
            1,
        )
        .await;
    }
    record_failures(app.store(), ADMIN_EMAIL, "203.0.113.9", 25).await;
    let (page, took) = try_login(&mut app.client, ADMIN_EMAIL, ADMIN_PASSWORD, &[]).await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert!(
        took < consol::auth::throttle::MAX_DELAY,
        "answered after {took:?}"
    );
    assert_eq!(app.client.get("/groups").await.status, 200);
}

/// Without trusted proxies a client cannot pick its address with the
/// header; behind a trusted one, the right-most untrusted hop is the
/// client, whatever it wrote itself further left.
async fn forwarded_for_counts_only_from_trusted_proxies(backend: Backend) {
    // Spoofed: no proxy is trusted, so the header is ignored.
    let mut app = spawn_app(backend).await;
    create_user(app.store(), ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (page, _) = try_login(
        &mut app.client,
        ADMIN_EMAIL,
        "guess guess guess",
        &[("x-forwarded-for", "198.51.100.7")],
    )
    .await;
    assert_eq!(page.status, 401);
    assert_eq!(
        failures(app.store(), ADMIN_EMAIL, "127.0.0.1").await,
        (1, 1)
    );
    assert_eq!(
        failures(app.store(), ADMIN_EMAIL, "198.51.100.7").await,
        (0, 0)
    );

    // Trusted: the proxy (here 127.0.0.1) appends the real client.
    let mut app = spawn_app_with(backend, |s| {
        s.trusted_proxies = TrustedProxies::parse("127.0.0.1, 10.0.0.0/8").unwrap();
    })
    .await;
    create_user(app.store(), ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let forged_then_real = [("x-forwarded-for", "1.2.3.4, 198.51.100.7, 10.0.0.2")];
    let (page, _) = try_login(
        &mut app.client,
        ADMIN_EMAIL,
        "guess guess guess",
        &forged_then_real,
    )
    .await;
    assert_eq!(page.status, 401);
    assert_eq!(
        failures(app.store(), ADMIN_EMAIL, "198.51.100.7").await,
        (1, 1)
    );
    assert_eq!(failures(app.store(), ADMIN_EMAIL, "1.2.3.4").await, (0, 0));
    assert_eq!(
        failures(app.store(), ADMIN_EMAIL, "127.0.0.1").await,
        (0, 0)
    );

    // An attacker's failures slow the attacker, not another client of the
    // same proxy.
    let free = consol::auth::throttle::FREE_FAILURES_PER_ADDRESS;
    for i in 0..free {
        record_failures(app.store(), &format!("u{i}@example.com"), "198.51.100.7", 1).await;
    }
    let (page, took) = try_login(
        &mut app.client,
        "x@example.com",
        "guess guess guess",
        &forged_then_real,
    )
    .await;
    assert_eq!(page.status, 401);
    assert!(
        took >= Duration::from_secs(2),
        "attacker answered after {took:?}"
    );
    let other_client = [("x-forwarded-for", "203.0.113.20")];
    let (page, took) = try_login(
        &mut app.client,
        "y@example.com",
        "guess guess guess",
        &other_client,
    )
    .await;
    assert_eq!(page.status, 401);
    assert!(
        took < Duration::from_secs(1),
        "other client answered after {took:?}"
    );
    let (page, _) = try_login(&mut app.client, ADMIN_EMAIL, ADMIN_PASSWORD, &other_client).await;
    assert_eq!(page.status, 303);
}

/// An e-mail far longer than any address is cut before it reaches the
/// database, so the attempt is counted (on PostgreSQL the insert of the
/// whole string failed, and the attempt went uncounted).
async fn oversized_emails_are_counted(backend: Backend) {
    let mut app = spawn_app(backend).await;
    create_user(app.store(), ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let long = format!("{}@example.com", "a".repeat(20_000));
    let (page, _) = try_login(&mut app.client, &long, "guess guess guess", &[]).await;
    assert_eq!(page.status, 401, "{}", page.body);
    let key = consol::auth::throttle::email_key(&long);
    assert_eq!(key.chars().count(), consol::auth::throttle::MAX_EMAIL_CHARS);
    assert_eq!(failures(app.store(), &key, "127.0.0.1").await, (1, 1));
}

async fn logout_ends_the_session(backend: Backend) {
    let mut app = spawn_app(backend).await;
    create_user(app.store(), ADMIN_EMAIL, ADMIN_PASSWORD).await;
    login(&mut app.client, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let old_cookie = app.client.cookies.get("consol_session").cloned().unwrap();
    let csrf = session_csrf(&mut app.client).await;
    let page = app
        .client
        .post_form("/logout", &[("csrf_token", &csrf)])
        .await;
    assert_eq!(page.location(), Some("/login"));
    assert!(!app.client.cookies.contains_key("consol_session"));
    // The old cookie, replayed, is worthless: the session is gone server-side.
    app.client
        .cookies
        .insert("consol_session".into(), old_cookie);
    assert_eq!(app.client.get("/groups").await.status, 303);
}

async fn pages_have_security_headers(backend: Backend) {
    let mut app = spawn_app(backend).await;
    let page = app.client.get("/setup").await;
    let h = |n: &str| {
        page.headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let csp = h("content-security-policy");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(h("x-content-type-options"), "nosniff");
    assert_eq!(h("referrer-policy"), "same-origin");

    // The stylesheet is linked with a content hash and cached for good.
    let start = page
        .body
        .find("/static/app.css?v=")
        .expect("versioned css link");
    let end = page.body[start..].find('"').unwrap() + start;
    let css_url = page.body[start..end].to_string();
    let css = app.client.get(&css_url).await;
    assert_eq!(css.status, 200);
    assert!(
        css.headers["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    assert!(
        css.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    let stale = app.client.get("/static/app.css?v=old").await;
    assert_eq!(stale.headers["cache-control"], "no-cache");
    assert_eq!(app.client.get("/static/nope.js").await.status, 404);

    let missing = app.client.get("/no/such/page").await;
    assert_eq!(missing.status, 404);
    assert!(missing.body.contains("<html"), "an HTML error page");
}

async fn signed_out_users_are_sent_to_login(backend: Backend) {
    let mut app = spawn_app(backend).await;
    create_user(app.store(), ADMIN_EMAIL, ADMIN_PASSWORD).await;
    for path in ["/groups", "/groups/1"] {
        let page = app.client.get(path).await;
        assert_eq!(page.status, 303, "{path}");
        assert_eq!(
            page.location(),
            Some(format!("/login?next={path}").as_str())
        );
    }
    let page = app.client.get("/").await;
    assert_eq!(page.location(), Some("/login"));
}

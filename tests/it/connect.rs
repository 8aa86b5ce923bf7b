//! Connecting Xero through the browser flow, tokens at rest and their
//! refresh, all against the real simulator over HTTP.

use std::sync::Arc;

use chrono::Utc;
use consol::connect::XeroServices;
use consol::store::Store;

use crate::helpers::{Backend, SimApp, connect_demo_group, consent, sim_settings, spawn_with_sim};

crate::backends!(
    the_consent_adds_every_granted_organisation,
    a_second_consent_adds_and_reconnects_without_duplicates,
    each_consent_adds_only_the_organisations_it_granted,
    a_denied_or_forged_callback_changes_nothing,
    tokens_are_encrypted_at_rest,
    twenty_tasks_with_an_expired_token_refresh_once,
    two_processes_refresh_once,
    a_lost_refresh_answer_is_recovered_in_the_grace_window,
    a_revoked_consent_needs_reconnect_and_keeps_data,
    custom_connections_add_one_organisation,
    disconnecting_removes_the_connection_and_keeps_data_unless_asked,
);

async fn refreshed(s: &SimApp) -> i64 {
    s.control("GET", "/_sim/stats", None).await["tokens"]["refreshed"]
        .as_i64()
        .unwrap_or(0)
}

/// Makes Consol's stored access token look expired, and moves the
/// simulator's clock past it so Xero agrees.
async fn expire_tokens(s: &SimApp) {
    expire_locally(s).await;
    advance(s, 31 * 60).await;
}

async fn advance(s: &SimApp, seconds: i64) {
    s.control(
        "POST",
        "/_sim/clock",
        Some(serde_json::json!({"advance_seconds": seconds})),
    )
    .await;
}

/// Makes only Consol think its access tokens are about to expire.
async fn expire_locally(s: &SimApp) {
    let past = Utc::now() - chrono::Duration::hours(1);
    match s.app.store() {
        Store::Sqlite(p) => {
            sqlx::query("UPDATE xero_token_sets SET access_expires_at = $1")
                .bind(past)
                .execute(p)
                .await
                .unwrap();
        }
        Store::Postgres(p) => {
            sqlx::query("UPDATE xero_token_sets SET access_expires_at = $1")
                .bind(past)
                .execute(p)
                .await
                .unwrap();
        }
    }
}

async fn token_set_of_group(s: &SimApp, group: i64) -> (i64, String) {
    let e = s.app.store().entities_for_group(group).await.unwrap();
    (e[0].token_set_id.unwrap(), e[0].tenant_id.clone())
}

async fn the_consent_adds_every_granted_organisation(backend: Backend) {
    let mut s = spawn_with_sim(backend).await;
    let group = connect_demo_group(&mut s, None).await;
    let entities = s.app.store().entities_for_group(group).await.unwrap();
    let mut seen: Vec<(String, i32)> = entities
        .iter()
        .map(|e| {
            (
                e.base_currency.to_string(),
                e.financial_year_end_month.unwrap(),
            )
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            ("AUD".into(), 6),
            ("GBP".into(), 12),
            ("NZD".into(), 3),
            // Tui Ventures, the demo's part-way entity.
            ("NZD".into(), 3),
            ("USD".into(), 12)
        ]
    );
    assert!(entities.iter().all(|e| e.connection_state == "connected"));
    assert_eq!(entities.iter().filter(|e| e.is_parent).count(), 1);
    // The group page shows them.
    let page = s
        .app
        .client
        .get(&format!("/groups/{group}?notice=connected&count=4"))
        .await;
    assert!(page.body.contains("Connected 4 organisations."));
    assert!(page.body.contains("Kea Holdings"), "{}", page.body);
    assert!(page.body.contains("AUD"));
    let log = s.app.store().audit_log(Some(group), 20).await.unwrap();
    assert_eq!(
        log.iter()
            .filter(|(_, e)| e.action == "connection.add")
            .count(),
        5
    );
}

async fn a_second_consent_adds_and_reconnects_without_duplicates(backend: Backend) {
    let mut s = spawn_with_sim(backend).await;
    let tenants: Vec<String> = s.sim.tenants().iter().map(|(t, _)| t.to_string()).collect();
    // Xero user one sees three organisations, user two the fourth.
    s.control(
        "POST",
        "/_sim/users",
        Some(serde_json::json!({
            "email": "three@xero.test", "organisations": &tenants[..3]
        })),
    )
    .await;
    s.control(
        "POST",
        "/_sim/users",
        Some(serde_json::json!({
            "email": "fourth@xero.test", "organisations": &tenants[3..4]
        })),
    )
    .await;
    let group = connect_demo_group(&mut s, Some("three@xero.test")).await;
    assert_eq!(
        s.app.store().entities_for_group(group).await.unwrap().len(),
        3
    );
    let back = consent(&mut s, group, Some("fourth@xero.test")).await;
    assert!(back.contains("count=1"), "{back}");
    assert_eq!(
        s.app.store().entities_for_group(group).await.unwrap().len(),
        4
    );
    // Consenting to the same three again updates them.
    consent(&mut s, group, Some("three@xero.test")).await;
    let entities = s.app.store().entities_for_group(group).await.unwrap();
    assert_eq!(entities.len(), 4);
    let log = s.app.store().audit_log(Some(group), 50).await.unwrap();
    assert_eq!(
        log.iter()
            .filter(|(_, e)| e.action == "connection.reconnect")
            .count(),
        3
    );
}

async fn entity_names(s: &SimApp, group: i64) -> Vec<String> {
    s.app
        .store()
        .entities_for_group(group)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect()
}

/// Starts the connect flow for a group and answers the simulator's consent
/// page choosing `tenants`; returns the simulator's answer.
async fn consent_choosing(s: &mut SimApp, group: i64, tenants: &[&str]) -> reqwest::Response {
    let start = crate::helpers::start_connect(&mut s.app.client, group).await;
    let authorize = start.location().unwrap().to_string();
    let page = s.app.client.get_absolute(&authorize).await;
    assert_eq!(page.status, 200, "the consent page: {}", page.body);
    for t in tenants {
        assert!(
            page.body.contains(&format!("value=\"{t}\" checked")),
            "{}",
            page.body
        );
    }
    let query = authorize.split_once('?').unwrap().1;
    let mut body = format!("{query}&decision=allow");
    for t in tenants {
        body.push_str(&format!("&tenant={t}"));
    }
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}/identity/connect/authorize", s.sim.base_url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap()
}

/// Xero's `/connections` lists every organisation the user ever connected
/// to the app; Consol takes only those of this consent (its access token's
/// `authentication_event_id`), so a second group does not pick up the
/// first group's organisations.
async fn each_consent_adds_only_the_organisations_it_granted(backend: Backend) {
    let mut s = crate::helpers::spawn_with_sim_config(
        backend,
        consol::sim::http::SimConfig {
            data: consol::sim::http::DataChoice::Demo,
            auto_approve: false,
            ..consol::sim::http::SimConfig::default()
        },
    )
    .await;
    let tenants: Vec<(String, String)> = s
        .sim
        .tenants()
        .iter()
        .map(|(t, n)| (t.to_string(), n.clone()))
        .collect();
    let uid =
        crate::helpers::create_user(s.app.store(), "fin@example.com", "finance team pw").await;
    crate::helpers::login(&mut s.app.client, "fin@example.com", "finance team pw").await;
    let mut groups = Vec::new();
    for name in ["Parent only", "Subsidiary only"] {
        let g = s
            .app
            .store()
            .create_group(
                &consol::store::NewGroup {
                    name,
                    presentation_currency: consol::domain::CurrencyCode::parse("NZD").unwrap(),
                    financial_year_end_month: 3,
                },
                uid,
                Utc::now(),
            )
            .await
            .unwrap();
        groups.push(g.id);
    }

    // Choosing nothing connects nothing.
    let none = consent_choosing(&mut s, groups[0], &[]).await;
    assert_eq!(none.status(), 400);
    assert!(
        none.text()
            .await
            .unwrap()
            .contains("Choose at least one organisation")
    );
    assert!(entity_names(&s, groups[0]).await.is_empty());

    for (group, (tenant, _)) in groups.iter().zip(&tenants) {
        let answer = consent_choosing(&mut s, *group, &[tenant.as_str()]).await;
        assert_eq!(answer.status(), 302, "{:?}", answer.text().await);
        let callback = answer.headers()["location"].to_str().unwrap().to_string();
        let path = callback.strip_prefix(&s.app.address).unwrap().to_string();
        let done = s.app.client.get(&path).await;
        assert_eq!(done.status, 303, "{}", done.body);
    }
    assert_eq!(entity_names(&s, groups[0]).await, [tenants[0].1.clone()]);
    assert_eq!(
        entity_names(&s, groups[1]).await,
        [tenants[1].1.clone()],
        "the second consent's organisation only"
    );
}

async fn a_denied_or_forged_callback_changes_nothing(backend: Backend) {
    let mut s = spawn_with_sim(backend).await;
    let group = connect_demo_group(&mut s, None).await;
    let before = s.app.store().entities_for_group(group).await.unwrap();

    // A state Consol never issued.
    let forged = s
        .app
        .client
        .get("/connect/xero/callback?code=abc&state=forged")
        .await;
    assert_eq!(forged.status, 303);
    assert_eq!(forged.location(), Some("/groups?error=expired"));

    // Xero says the user denied access.
    let start = crate::helpers::start_connect(&mut s.app.client, group).await;
    let url = start.location().unwrap().to_string();
    let state = url
        .split("state=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_string();
    let denied = s
        .app
        .client
        .get(&format!(
            "/connect/xero/callback?error=access_denied&state={state}"
        ))
        .await;
    assert_eq!(
        denied.location(),
        Some(format!("/groups/{group}?error=denied").as_str())
    );
    let page = s.app.client.get(denied.location().unwrap()).await;
    assert!(page.body.contains("Xero access was not granted"));
    // The state was used up: replaying it is refused too.
    let replay = s
        .app
        .client
        .get(&format!("/connect/xero/callback?code=x&state={state}"))
        .await;
    assert_eq!(replay.location(), Some("/groups?error=expired"));

    // A state started in another session is refused.
    let start = crate::helpers::start_connect(&mut s.app.client, group).await;
    let url = start.location().unwrap().to_string();
    let at_xero = s.app.client.get_absolute(&url).await;
    let callback = at_xero
        .location()
        .unwrap()
        .strip_prefix(&s.app.address)
        .unwrap()
        .to_string();
    let mut other = s.app.new_client();
    crate::helpers::login(&mut other, "fin@example.com", "finance team pw").await;
    let stolen = other.get(&callback).await;
    assert_eq!(stolen.location(), Some("/groups?error=expired"));

    assert_eq!(
        s.app.store().entities_for_group(group).await.unwrap(),
        before
    );
}

async fn tokens_are_encrypted_at_rest(backend: Backend) {
    let mut s = spawn_with_sim(backend).await;
    let group = connect_demo_group(&mut s, None).await;
    let (ts, _) = token_set_of_group(&s, group).await;
    let row = s.app.store().token_set(ts).await.unwrap().unwrap();
    let set = s.xero.tokens.current(ts).await.unwrap();
    let needle = set.access_token.as_bytes();
    assert!(!row.ciphertext.windows(needle.len()).any(|w| w == needle));
    let rt = set.refresh_token.clone().unwrap();
    assert!(!row.ciphertext.windows(rt.len()).any(|w| w == rt.as_bytes()));
    assert!(!format!("{set:?}").contains(&set.access_token));
}

async fn twenty_tasks_with_an_expired_token_refresh_once(backend: Backend) {
    let mut s = spawn_with_sim(backend).await;
    let group = connect_demo_group(&mut s, None).await;
    let (ts, tenant) = token_set_of_group(&s, group).await;
    expire_tokens(&s).await;
    let before = refreshed(&s).await;
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let xero = s.xero.clone();
        let tenant = tenant.clone();
        tasks.push(tokio::spawn(async move {
            xero.get::<consol::xero::Organisations>(ts, &tenant, "Organisation", &[], None)
                .await
                .map(|f| f.value.organisations.len())
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap(), 1);
    }
    assert_eq!(refreshed(&s).await - before, 1, "exactly one refresh");
}

async fn two_processes_refresh_once(backend: Backend) {
    let mut s = spawn_with_sim(backend).await;
    let group = connect_demo_group(&mut s, None).await;
    let (ts, tenant) = token_set_of_group(&s, group).await;
    expire_tokens(&s).await;
    // A second process: its own store pool and token manager, same database.
    let port = s.app.address.rsplit(':').next().unwrap().parse().unwrap();
    let settings = sim_settings(&s.app.db.url, port, &s.sim.base_url());
    let store2 = Store::connect(&s.app.db.url).await.unwrap();
    let other = Arc::new(XeroServices::from_settings(&settings, store2).unwrap());
    let before = refreshed(&s).await;
    let mut tasks = Vec::new();
    for i in 0..20 {
        let xero = if i % 2 == 0 {
            s.xero.clone()
        } else {
            other.clone()
        };
        let tenant = tenant.clone();
        tasks.push(tokio::spawn(async move {
            xero.get::<consol::xero::Organisations>(ts, &tenant, "Organisation", &[], None)
                .await
                .is_ok()
        }));
    }
    for t in tasks {
        assert!(t.await.unwrap());
    }
    assert_eq!(
        refreshed(&s).await - before,
        1,
        "exactly one refresh across both"
    );
}

async fn a_lost_refresh_answer_is_recovered_in_the_grace_window(backend: Backend) {
    let mut s = spawn_with_sim(backend).await;
    let group = connect_demo_group(&mut s, None).await;
    let (ts, tenant) = token_set_of_group(&s, group).await;
    let stored = s.xero.tokens.current(ts).await.unwrap();
    // A refresh reached Xero, which rotated the pair, but its answer never
    // came back: Consol still holds the old refresh token.
    let lost = reqwest::Client::new()
        .post(format!("{}/connect/token", s.sim.base_url()))
        .basic_auth(
            consol::sim::http::DEMO_CLIENT_ID,
            Some(consol::sim::http::DEMO_CLIENT_SECRET),
        )
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", stored.refresh_token.as_deref().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(lost.status(), 200);
    let before = refreshed(&s).await;
    // Twenty minutes later Consol refreshes with the refresh token it has,
    // which Xero still honours for 30 minutes after rotating it.
    advance(&s, 20 * 60).await;
    expire_locally(&s).await;
    let org = s
        .xero
        .get::<consol::xero::Organisations>(ts, &tenant, "Organisation", &[], None)
        .await
        .unwrap();
    assert_eq!(org.value.organisations.len(), 1);
    assert_eq!(refreshed(&s).await - before, 1);
    let now = s.xero.tokens.current(ts).await.unwrap();
    assert_ne!(
        now.refresh_token, stored.refresh_token,
        "the new pair was stored"
    );

    // Past the grace window an old refresh token is refused for good: the
    // connection then needs the user.
    let again = reqwest::Client::new()
        .post(format!("{}/connect/token", s.sim.base_url()))
        .basic_auth(
            consol::sim::http::DEMO_CLIENT_ID,
            Some(consol::sim::http::DEMO_CLIENT_SECRET),
        )
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", now.refresh_token.as_deref().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200);
    advance(&s, 31 * 60).await;
    expire_locally(&s).await;
    let r = s.xero.tokens.access_token(ts).await;
    assert!(
        matches!(r, Err(consol::connect::tokens::TokenError::NeedsReconnect)),
        "{r:?}"
    );
}

async fn a_revoked_consent_needs_reconnect_and_keeps_data(backend: Backend) {
    let mut s = spawn_with_sim(backend).await;
    let group = connect_demo_group(&mut s, None).await;
    let (ts, _) = token_set_of_group(&s, group).await;
    let org = s.app.store().entities_for_group(group).await.unwrap()[0].organisation_id;
    let month = consol::domain::Month::parse("2026-01").unwrap();
    let row = consol::store::ReportAmount {
        row_key: "acc".into(),
        account_id: Some("acc".into()),
        section: "Income".into(),
        label: "Sales".into(),
        kind: consol::store::RowKind::Account,
        amount: "12.34".parse().unwrap(),
        sync_run_id: None,
    };
    s.app
        .store()
        .replace_report_month(
            org,
            consol::store::ReportKind::ProfitAndLoss,
            month,
            std::slice::from_ref(&row),
        )
        .await
        .unwrap();
    // The user revoked Consol in Xero: every refresh token is dead.
    s.control(
        "POST",
        "/_sim/faults",
        Some(serde_json::json!({"revoke_refresh_tokens": true})),
    )
    .await;
    expire_tokens(&s).await;
    let r = s.xero.tokens.access_token(ts).await;
    assert!(
        matches!(r, Err(consol::connect::tokens::TokenError::NeedsReconnect)),
        "{r:?}"
    );
    let entities = s.app.store().entities_for_group(group).await.unwrap();
    assert!(
        entities
            .iter()
            .all(|e| e.connection_state == "needs_reconnect")
    );
    let page = s.app.client.get(&format!("/groups/{group}")).await;
    assert!(page.body.contains("Needs reconnect"));
    assert!(page.body.contains("Reconnect"));
    // The group's audit log says which organisations lost their connection.
    let lost: Vec<String> = s
        .app
        .store()
        .audit_log(Some(group), 20)
        .await
        .unwrap()
        .into_iter()
        .filter(|(_, e)| e.action == "connection.lost")
        .map(|(_, e)| e.detail)
        .collect();
    assert_eq!(lost.len(), entities.len(), "{lost:?}");
    for e in &entities {
        assert!(
            lost.iter()
                .any(|d| d.starts_with(&format!("{} ({})", e.name, e.tenant_id))),
            "{lost:?}"
        );
    }
    // Synced data stays.
    let kept = s
        .app
        .store()
        .report_month(org, consol::store::ReportKind::ProfitAndLoss, month)
        .await
        .unwrap();
    assert_eq!(kept, vec![row]);
    // Reconnecting brings them back.
    s.control("DELETE", "/_sim/faults", None).await;
    consent(&mut s, group, None).await;
    let entities = s.app.store().entities_for_group(group).await.unwrap();
    assert!(
        entities.iter().all(|e| e.connection_state == "connected"),
        "{entities:?}"
    );
}

async fn custom_connections_add_one_organisation(backend: Backend) {
    let mut s = spawn_with_sim(backend).await;
    let group = connect_demo_group(&mut s, None).await;
    let created = s
        .control(
            "POST",
            "/_sim/organisations",
            Some(serde_json::json!({
                "name": "Fjord Logistics AS", "base_currency": "NOK", "country_code": "NO",
                "financial_year_end_day": 31, "financial_year_end_month": 12
            })),
        )
        .await;
    let id = created["custom_connection"]["client_id"]
        .as_str()
        .unwrap()
        .to_string();
    let secret = created["custom_connection"]["client_secret"]
        .as_str()
        .unwrap()
        .to_string();
    let csrf = crate::helpers::session_csrf(&mut s.app.client).await;
    let bad = s
        .app
        .client
        .post_form(
            &format!("/groups/{group}/custom-connections"),
            &[
                ("client_id", &id),
                ("client_secret", "wrong"),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    assert_eq!(
        bad.location(),
        Some(format!("/groups/{group}?error=bad_credentials").as_str())
    );
    let ok = s
        .app
        .client
        .post_form(
            &format!("/groups/{group}/custom-connections"),
            &[
                ("client_id", &id),
                ("client_secret", &secret),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    assert!(
        ok.location().unwrap().contains("notice=connected&count=1"),
        "{:?}",
        ok.location()
    );
    let entities = s.app.store().entities_for_group(group).await.unwrap();
    let fjord = entities
        .iter()
        .find(|e| e.name == "Fjord Logistics AS")
        .unwrap();
    assert_eq!(fjord.base_currency.as_str(), "NOK");
    assert_eq!(fjord.connection_id, None);
    // Its token is fetched anew with the client credentials when it expires.
    let ts = fjord.token_set_id.unwrap();
    expire_tokens(&s).await;
    let tenant = fjord.tenant_id.clone();
    let org = s
        .xero
        .get::<consol::xero::Organisations>(ts, &tenant, "Organisation", &[], None)
        .await
        .unwrap();
    assert_eq!(
        org.value.organisations[0].name.as_deref(),
        Some("Fjord Logistics AS")
    );
}

/// Secrets never reach a log line, at any level, anywhere in the process.
#[tokio::test]
async fn tokens_never_appear_in_logs() {
    use std::io::Write;
    use std::sync::Mutex;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);
    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let captured = Captured::default();
    let writer = captured.clone();
    // nextest runs each test in a process of its own, so this subscriber
    // sees everything this test does, on every thread.
    tracing::subscriber::set_global_default(
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .finish(),
    )
    .expect("the only global subscriber in this process");

    let mut s = spawn_with_sim(Backend::Sqlite).await;
    let group = connect_demo_group(&mut s, None).await;
    let (ts, tenant) = token_set_of_group(&s, group).await;
    let first = s.xero.tokens.current(ts).await.unwrap();
    expire_tokens(&s).await;
    s.xero
        .get::<consol::xero::Organisations>(ts, &tenant, "Organisation", &[], None)
        .await
        .unwrap();
    let second = s.xero.tokens.current(ts).await.unwrap();
    assert_ne!(
        first.access_token, second.access_token,
        "a refresh happened"
    );

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        log.contains("refreshed Xero tokens"),
        "the log was captured"
    );
    for secret in [
        first.access_token.as_str(),
        first.refresh_token.as_deref().unwrap(),
        second.access_token.as_str(),
        second.refresh_token.as_deref().unwrap(),
        consol::sim::http::DEMO_CLIENT_SECRET,
        crate::helpers::WEBHOOK_KEY,
    ] {
        assert!(!log.contains(secret), "a secret leaked into the log");
    }
}

async fn disconnecting_removes_the_connection_and_keeps_data_unless_asked(backend: Backend) {
    let mut s = spawn_with_sim(backend).await;
    let group = connect_demo_group(&mut s, None).await;
    let entities = s.app.store().entities_for_group(group).await.unwrap();
    let (ts, _) = token_set_of_group(&s, group).await;
    let month = consol::domain::Month::parse("2026-01").unwrap();
    let row = consol::store::ReportAmount {
        row_key: "acc".into(),
        account_id: Some("acc".into()),
        section: "Income".into(),
        label: "Sales".into(),
        kind: consol::store::RowKind::Account,
        amount: "1.00".parse().unwrap(),
        sync_run_id: None,
    };
    for e in &entities[..2] {
        s.app
            .store()
            .replace_report_month(
                e.organisation_id,
                consol::store::ReportKind::ProfitAndLoss,
                month,
                std::slice::from_ref(&row),
            )
            .await
            .unwrap();
    }
    let csrf = crate::helpers::session_csrf(&mut s.app.client).await;
    // Keep the data of the first, delete the second's.
    for (e, data) in [(&entities[0], "keep"), (&entities[1], "delete")] {
        let r = s
            .app
            .client
            .post_form(
                &format!("/groups/{group}/entities/{}/disconnect", e.id),
                &[("csrf_token", &csrf), ("data", data)],
            )
            .await;
        assert_eq!(
            r.location(),
            Some(format!("/groups/{group}?notice=disconnected").as_str())
        );
    }
    let left = s.app.store().entities_for_group(group).await.unwrap();
    assert_eq!(left.len(), 3, "five demo organisations, two disconnected");
    let kept = s
        .app
        .store()
        .report_month(
            entities[0].organisation_id,
            consol::store::ReportKind::ProfitAndLoss,
            month,
        )
        .await
        .unwrap();
    assert_eq!(kept.len(), 1);
    let gone = s
        .app
        .store()
        .report_month(
            entities[1].organisation_id,
            consol::store::ReportKind::ProfitAndLoss,
            month,
        )
        .await
        .unwrap();
    assert!(gone.is_empty());
    // Xero no longer lists the two connections for this consent.
    let token = s.xero.tokens.access_token(ts).await.unwrap();
    let conns = s.xero.api.connections(&token, None).await.unwrap();
    assert_eq!(conns.len(), 3, "{conns:?}");
    let log = s.app.store().audit_log(Some(group), 50).await.unwrap();
    assert_eq!(
        log.iter()
            .filter(|(_, e)| e.action == "connection.remove")
            .count(),
        2
    );
}

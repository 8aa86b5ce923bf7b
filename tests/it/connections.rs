//! Issue 15's connection hardening, against the simulator over HTTP on
//! both databases: a connection starts only from a POST with the CSRF
//! token; the OAuth callback checks the user's role again; disconnecting
//! keeps the group's intercompany decisions and is one transaction; two
//! groups share one organisation's token set.

use chrono::Utc;
use consol::store::{GroupRole, IcContactRow, NewGroup, Store};

use crate::helpers::{
    Backend, SimApp, connect_demo_group, consent, session_csrf, spawn_with_sim, start_connect,
};

crate::backends!(
    a_get_never_starts_a_connection,
    the_callback_refuses_a_user_demoted_or_removed_meanwhile,
    disconnecting_keeps_intercompany_decisions_for_a_reconnection,
    a_disconnect_that_fails_part_way_changes_nothing,
    two_groups_share_one_organisation,
    a_disconnect_that_would_remove_ownership_asks_first,
);

/// Runs one statement against the test database.
async fn exec(store: &Store, sql: &str) {
    match store {
        Store::Sqlite(p) => {
            sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
                .execute(p)
                .await
                .unwrap();
        }
        Store::Postgres(p) => {
            sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
                .execute(p)
                .await
                .unwrap();
        }
    }
}

/// A count from the test database.
async fn count(store: &Store, sql: &str) -> i64 {
    match store {
        Store::Sqlite(p) => sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
            .fetch_one(p)
            .await
            .unwrap(),
        Store::Postgres(p) => sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
            .fetch_one(p)
            .await
            .unwrap(),
    }
}

/// Makes Consol think a token set's access token has expired.
async fn expire(store: &Store, id: i64) {
    let past = Utc::now() - chrono::Duration::hours(1);
    let sql = "UPDATE xero_token_sets SET access_expires_at = $1 WHERE id = $2";
    match store {
        Store::Sqlite(p) => {
            sqlx::query(sql)
                .bind(past)
                .bind(id)
                .execute(p)
                .await
                .unwrap();
        }
        Store::Postgres(p) => {
            sqlx::query(sql)
                .bind(past)
                .bind(id)
                .execute(p)
                .await
                .unwrap();
        }
    }
}

async fn token_set_state(store: &Store, id: i64) -> String {
    store.token_set(id).await.unwrap().unwrap().state
}

async fn new_group(store: &Store, name: &str, owner: i64) -> i64 {
    store
        .create_group(
            &NewGroup {
                name,
                presentation_currency: consol::domain::CurrencyCode::parse("NZD").unwrap(),
                financial_year_end_month: 3,
            },
            owner,
            Utc::now(),
        )
        .await
        .unwrap()
        .id
}

/// Syncs one organisation to the end with an in-process worker; returns
/// the state its run ended in.
async fn sync_org(s: &SimApp, group: i64, org: i64) -> String {
    consol::sync::enqueue(s.app.store(), org, consol::sync::SyncKind::Incremental)
        .await
        .unwrap();
    let worker = consol::sync::worker(s.app.store().clone(), s.xero.clone());
    for _ in 0..300 {
        worker.drain().await.unwrap();
        let runs = s.app.store().latest_runs_for_group(group).await.unwrap();
        if let Some(r) = runs.into_iter().find(|r| r.organisation_id == org)
            && (r.state == "succeeded" || r.state == "failed")
        {
            return r.state;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the sync of organisation {org} did not finish");
}

/// The simulator's consent for the flow just started, followed to the URL
/// of Consol's callback (a path).
async fn callback_path(s: &mut SimApp, group: i64) -> String {
    let start = start_connect(&mut s.app.client, group).await;
    assert_eq!(start.status, 303, "{}", start.body);
    let at_xero = s.app.client.get_absolute(start.location().unwrap()).await;
    at_xero
        .location()
        .unwrap()
        .strip_prefix(&s.app.address)
        .unwrap()
        .to_string()
}

async fn a_get_never_starts_a_connection(backend: Backend) {
    let mut s = spawn_with_sim(backend).await;
    let uid =
        crate::helpers::create_user(s.app.store(), "fin@example.com", "finance team pw").await;
    crate::helpers::login(&mut s.app.client, "fin@example.com", "finance team pw").await;
    let group = new_group(s.app.store(), "Kea Group", uid).await;
    let states = "SELECT COUNT(*) FROM oauth_states";

    // A GET (a link, an image, another site's redirect) shows the form.
    let page = s
        .app
        .client
        .get(&format!("/connect/xero?group={group}"))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.location().is_none());
    assert!(
        page.body.contains("action=\"/connect/xero\""),
        "{}",
        page.body
    );
    assert_eq!(count(s.app.store(), states).await, 0, "no consent started");

    // A POST without the session's token is refused.
    let forged = s
        .app
        .client
        .post_form(
            "/connect/xero",
            &[("group", &group.to_string()), ("csrf_token", "forged")],
        )
        .await;
    assert_eq!(forged.status, 403, "{}", forged.body);
    assert_eq!(count(s.app.store(), states).await, 0);

    // The form's POST goes to Xero.
    let start = start_connect(&mut s.app.client, group).await;
    assert_eq!(start.status, 303);
    assert!(start.location().unwrap().starts_with(&s.sim.base_url()));
    assert_eq!(count(s.app.store(), states).await, 1);

    // The group page's button leads to that form; the form's page lets it
    // reach Xero (a redirect after a form is held to `form-action`).
    let group_page = s.app.client.get(&format!("/groups/{group}")).await;
    assert!(
        group_page
            .body
            .contains(&format!("href=\"/connect/xero?group={group}\"")),
        "{}",
        group_page.body
    );
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains(&format!("form-action 'self' {}", s.sim.base_url())),
        "{csp}"
    );
}

async fn the_callback_refuses_a_user_demoted_or_removed_meanwhile(backend: Backend) {
    let mut s = spawn_with_sim(backend).await;
    let uid =
        crate::helpers::create_user(s.app.store(), "fin@example.com", "finance team pw").await;
    crate::helpers::login(&mut s.app.client, "fin@example.com", "finance team pw").await;
    let owner =
        crate::helpers::create_user(s.app.store(), "own@example.com", "owner pw 1234").await;
    let group = new_group(s.app.store(), "Kea Group", owner).await;
    let store = s.app.store().clone();
    let now = Utc::now();
    store
        .set_member(group, uid, GroupRole::Editor, None, now)
        .await
        .unwrap();

    // Demoted to viewer between the start and Xero's redirect back.
    let back = callback_path(&mut s, group).await;
    store
        .set_member(group, uid, GroupRole::Viewer, None, now)
        .await
        .unwrap();
    let refused = s.app.client.get(&back).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(
        refused.body.contains("no longer an editor"),
        "{}",
        refused.body
    );

    // Removed from the group meanwhile.
    store
        .set_member(group, uid, GroupRole::Editor, None, now)
        .await
        .unwrap();
    let back = callback_path(&mut s, group).await;
    exec(
        &store,
        &format!("DELETE FROM group_members WHERE group_id = {group} AND user_id = {uid}"),
    )
    .await;
    let refused = s.app.client.get(&back).await;
    assert_eq!(refused.status, 403, "{}", refused.body);

    // Nothing was stored: no entity, no organisation, no token set.
    assert!(store.entities_for_group(group).await.unwrap().is_empty());
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM xero_token_sets").await,
        0
    );
    assert_eq!(count(&store, "SELECT COUNT(*) FROM organisations").await, 0);

    // An editor still connects.
    store
        .set_member(group, uid, GroupRole::Editor, None, now)
        .await
        .unwrap();
    let back = consent(&mut s, group, None).await;
    assert!(
        back.starts_with(&format!("/groups/{group}?notice=connected")),
        "{back}"
    );
}

/// The demo group with two intercompany decisions pointing at its second
/// entity: one confirmed, one marked "not intercompany". Returns the group,
/// the entities and the decisions.
async fn group_with_decisions(
    s: &mut SimApp,
) -> (i64, Vec<consol::store::EntityView>, Vec<IcContactRow>) {
    let group = connect_demo_group(s, None).await;
    let entities = s.app.store().entities_for_group(group).await.unwrap();
    let rows = vec![
        IcContactRow {
            organisation_id: entities[0].organisation_id,
            contact_id: "contact-of-the-counterpart".into(),
            counterpart_entity_id: entities[1].id,
            confirmed: true,
            rejected: false,
        },
        IcContactRow {
            organisation_id: entities[2].organisation_id,
            contact_id: "same-name-not-intercompany".into(),
            counterpart_entity_id: entities[1].id,
            confirmed: false,
            rejected: true,
        },
    ];
    s.app
        .store()
        .set_intercompany_contacts(group, &rows, None, Utc::now())
        .await
        .unwrap();
    (group, entities, rows)
}

async fn decisions(store: &Store, group: i64) -> Vec<IcContactRow> {
    let mut rows = store.intercompany_contacts(group).await.unwrap();
    rows.sort_by(|a, b| a.contact_id.cmp(&b.contact_id));
    rows
}

async fn disconnect(s: &mut SimApp, group: i64, entity: i64, data: &str) -> crate::helpers::Page {
    let csrf = session_csrf(&mut s.app.client).await;
    s.app
        .client
        .post_form(
            &format!("/groups/{group}/entities/{entity}/disconnect"),
            &[("csrf_token", &csrf), ("data", data)],
        )
        .await
}

async fn disconnecting_keeps_intercompany_decisions_for_a_reconnection(backend: Backend) {
    let mut s = spawn_with_sim(backend).await;
    let (group, entities, rows) = group_with_decisions(&mut s).await;
    let counterpart = &entities[1];

    let r = disconnect(&mut s, group, counterpart.id, "keep").await;
    assert_eq!(r.status, 303, "{}", r.body);
    // While it is away nothing points at it.
    assert!(decisions(s.app.store(), group).await.is_empty());
    let log = s.app.store().audit_log(Some(group), 50).await.unwrap();
    let removal = log
        .iter()
        .find(|(_, e)| e.action == "connection.remove")
        .unwrap();
    assert!(
        removal
            .1
            .detail
            .contains("2 intercompany contact decision(s)"),
        "{}",
        removal.1.detail
    );

    // Connecting it again brings both decisions back, on its new entity.
    consent(&mut s, group, None).await;
    let back = s.app.store().entities_for_group(group).await.unwrap();
    let again = back
        .iter()
        .find(|e| e.organisation_id == counterpart.organisation_id)
        .expect("reconnected");
    assert_ne!(again.id, counterpart.id, "a new entity");
    let expected: Vec<IcContactRow> = {
        let mut v: Vec<IcContactRow> = rows
            .into_iter()
            .map(|r| IcContactRow {
                counterpart_entity_id: again.id,
                ..r
            })
            .collect();
        v.sort_by(|a, b| a.contact_id.cmp(&b.contact_id));
        v
    };
    assert_eq!(decisions(s.app.store(), group).await, expected);
    assert_eq!(
        count(
            s.app.store(),
            "SELECT COUNT(*) FROM kept_intercompany_contacts"
        )
        .await,
        0,
        "taken back, not copied"
    );
}

async fn a_disconnect_that_fails_part_way_changes_nothing(backend: Backend) {
    let mut s = spawn_with_sim(backend).await;
    let (group, entities, _) = group_with_decisions(&mut s).await;
    let counterpart = &entities[1];
    let store = s.app.store().clone();
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
    store
        .replace_report_month(
            counterpart.organisation_id,
            consol::store::ReportKind::ProfitAndLoss,
            month,
            std::slice::from_ref(&row),
        )
        .await
        .unwrap();
    let before_decisions = decisions(&store, group).await;
    let before_entities = store.entities_for_group(group).await.unwrap();

    // The last step (the audit entry) fails, after the entity, the
    // decisions, the organisation's state and its data were touched.
    match &store {
        Store::Sqlite(_) => {
            exec(
                &store,
                "CREATE TRIGGER fail_removal BEFORE INSERT ON audit_log \
                 WHEN NEW.action = 'connection.remove' \
                 BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
            )
            .await
        }
        Store::Postgres(_) => {
            exec(
                &store,
                "CREATE FUNCTION fail_removal() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$",
            )
            .await;
            exec(
                &store,
                "CREATE TRIGGER fail_removal BEFORE INSERT ON audit_log FOR EACH ROW \
                 WHEN (NEW.action = 'connection.remove') EXECUTE FUNCTION fail_removal()",
            )
            .await
        }
    }
    let r = disconnect(&mut s, group, counterpart.id, "delete").await;
    assert_eq!(r.status, 500, "{}", r.body);

    assert_eq!(
        store.entities_for_group(group).await.unwrap(),
        before_entities
    );
    assert_eq!(decisions(&store, group).await, before_decisions);
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM kept_intercompany_contacts").await,
        0
    );
    let kept = store
        .report_month(
            counterpart.organisation_id,
            consol::store::ReportKind::ProfitAndLoss,
            month,
        )
        .await
        .unwrap();
    assert_eq!(kept.len(), 1, "its data is still there");
    // Xero was not told either: the connection is still listed.
    let ts = counterpart.token_set_id.unwrap();
    let token = s.xero.tokens.access_token(ts).await.unwrap();
    let conns = s.xero.api.connections(&token, None).await.unwrap();
    assert!(
        conns
            .iter()
            .any(|c| c.tenant_id.to_string() == counterpart.tenant_id),
        "{conns:?}"
    );
}

async fn two_groups_share_one_organisation(backend: Backend) {
    let mut s = spawn_with_sim(backend).await;
    let (tenant, _) = s.sim.tenants()[0].clone();
    s.control(
        "POST",
        "/_sim/users",
        Some(serde_json::json!({"email": "one@xero.test", "organisations": [tenant.to_string()]})),
    )
    .await;
    let a = connect_demo_group(&mut s, Some("one@xero.test")).await;
    let store = s.app.store().clone();
    let in_a = store.entities_for_group(a).await.unwrap();
    assert_eq!(in_a.len(), 1);
    let org = in_a[0].organisation_id;
    let first_set = in_a[0].token_set_id.unwrap();
    assert_eq!(sync_org(&s, a, org).await, "succeeded");

    // Group B connects the same organisation (the same Xero user again).
    let uid = crate::helpers::user_id(&store, "fin@example.com").await;
    let b = new_group(&store, "Tui Group", uid).await;
    let back = consent(&mut s, b, Some("one@xero.test")).await;
    assert!(
        back.starts_with(&format!("/groups/{b}?notice=connected")),
        "{back}"
    );
    let in_b = store.entities_for_group(b).await.unwrap();
    assert_eq!(in_b.len(), 1);
    assert_eq!(in_b[0].organisation_id, org, "one organisation, two groups");
    let second_set = in_b[0].token_set_id.unwrap();
    assert_ne!(second_set, first_set);
    // Group A reaches the organisation through the same, current set; the
    // set it replaced is retired, not left active with nothing refreshing
    // or revoking it.
    let in_a = store.entities_for_group(a).await.unwrap();
    assert_eq!(in_a[0].token_set_id, Some(second_set));
    assert_eq!(token_set_state(&store, first_set).await, "revoked");
    assert_eq!(token_set_state(&store, second_set).await, "active");
    assert!(s.xero.tokens.access_token(first_set).await.is_err());
    assert_eq!(sync_org(&s, b, org).await, "succeeded", "synced for both");

    // Group A disconnects: B keeps its connection, its token and its sync.
    let r = disconnect(&mut s, a, in_a[0].id, "delete").await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(store.entities_for_group(a).await.unwrap().is_empty());
    let in_b = store.entities_for_group(b).await.unwrap();
    assert_eq!(in_b[0].connection_state, "connected");
    assert_eq!(token_set_state(&store, second_set).await, "active");
    let token = s.xero.tokens.access_token(second_set).await.unwrap();
    let conns = s.xero.api.connections(&token, None).await.unwrap();
    assert!(
        conns.iter().any(|c| c.tenant_id == tenant),
        "the Xero connection stays: {conns:?}"
    );
    let synced = format!("SELECT COUNT(*) FROM report_amounts WHERE organisation_id = {org}");
    assert!(
        count(&store, &synced).await > 0,
        "B still uses the data: A's 'delete' keeps it"
    );
    // A refresh still works for B: its access token is made to expire.
    let refreshed_before = s.control("GET", "/_sim/stats", None).await["tokens"]["refreshed"]
        .as_i64()
        .unwrap_or(0);
    expire(&store, second_set).await;
    assert_eq!(sync_org(&s, b, org).await, "succeeded", "B still syncs");
    let refreshed_after = s.control("GET", "/_sim/stats", None).await["tokens"]["refreshed"]
        .as_i64()
        .unwrap_or(0);
    assert_eq!(refreshed_after, refreshed_before + 1);

    // B disconnects last: now the token is revoked and Xero told.
    let r = disconnect(&mut s, b, in_b[0].id, "keep").await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(token_set_state(&store, second_set).await, "revoked");
    // Revoked at Xero once: this set; the retired one was only forgotten
    // (Xero's revocation would end the same user's other connections).
    let stats = s.control("GET", "/_sim/stats", None).await;
    assert_eq!(stats["tokens"]["revoked"].as_i64(), Some(1), "{stats}");
}

/// A disconnect that would take a subsidiary's ownership and an account
/// marked intercompany with it asks first and removes nothing; confirmed,
/// it goes ahead.
async fn a_disconnect_that_would_remove_ownership_asks_first(backend: Backend) {
    let mut s = spawn_with_sim(backend).await;
    let group = connect_demo_group(&mut s, None).await;
    let store = s.app.store().clone();
    let entities = store.entities_for_group(group).await.unwrap();
    let (parent, sub) = (&entities[0], &entities[1]);
    let ownership = consol::store::OwnershipRow {
        entity_id: sub.id,
        owner_entity_id: parent.id,
        percent: rust_decimal::Decimal::new(80, 0),
        acquired: consol::domain::Month::parse("2026-01").unwrap(),
        equity_at_acquisition: rust_decimal::Decimal::new(1000, 0),
        historical_rate: rust_decimal::Decimal::ONE,
        investment_accounts: vec![],
        contributions: vec![],
    };
    store
        .set_ownership(
            group,
            std::slice::from_ref(&ownership),
            &[],
            &|id| format!("entity {id}"),
            None,
            Utc::now(),
        )
        .await
        .unwrap();
    let loan = consol::store::IcAccountRow {
        entity_id: sub.id,
        account_id: "loan-account".into(),
        counterpart_entity_id: parent.id,
    };
    store
        .set_intercompany_accounts(
            group,
            std::slice::from_ref(&loan),
            &[],
            &|_| "loan".into(),
            None,
            Utc::now(),
        )
        .await
        .unwrap();

    // Disconnecting the parent would cascade both away: the page asks.
    let r = disconnect(&mut s, group, parent.id, "keep").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("id=\"lost-setup\""), "{}", r.body);
    assert!(
        r.body.contains(&format!(
            "{}&#39;s ownership: 80% held by {}",
            sub.name, parent.name
        )),
        "{}",
        r.body
    );
    assert!(r.body.contains("marked intercompany with"), "{}", r.body);
    assert!(r.body.contains("name=\"confirm\" value=\"yes\""));
    // Nothing was removed.
    assert_eq!(
        store.entities_for_group(group).await.unwrap().len(),
        entities.len()
    );
    assert_eq!(store.ownership(group).await.unwrap(), vec![ownership]);
    assert_eq!(
        store.intercompany_accounts(group).await.unwrap(),
        vec![loan]
    );

    // Confirmed, the disconnect goes ahead.
    let csrf = session_csrf(&mut s.app.client).await;
    let r = s
        .app
        .client
        .post_form(
            &format!("/groups/{group}/entities/{}/disconnect", parent.id),
            &[("csrf_token", &csrf), ("data", "keep"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let left = store.entities_for_group(group).await.unwrap();
    assert!(left.iter().all(|e| e.id != parent.id));
    assert!(store.ownership(group).await.unwrap().is_empty());
}

//! A pack due while one entity has never synced since the month ended is
//! held: nothing is closed or sent to the recipients, the group's admins
//! get one "held, because ..." message naming the entity, and the month-end
//! page, the API and the dashboard say so. Once the entity syncs, the next
//! scheduler turns close the month and send the pack, exactly once.
//!
//! The unsynced entity is made with the simulator, not by editing rows: the
//! group is first connected by a Xero user who sees four of the demo's five
//! organisations; the fifth is connected later, and its first sync stays
//! queued until the test lets a worker run it.

use std::sync::Arc;

use chrono::Utc;
use consol::month_end::delivery::{self, Deliverer};
use serde_json::{Value, json};

use crate::helpers::{
    Backend, SyncedGroup, api_token, connect_demo_group, consent, set_up_like_the_demo,
    spawn_with_sim_config, user_id,
};
use crate::month_end::call;
use crate::pack_mail::{SmtpSink, parse_mime, part_bytes};

crate::backends!(a_pack_due_while_an_entity_is_unsynced_is_held_then_sent_once_it_syncs);

const LATE: &str = "Tui Ventures";

async fn a_pack_due_while_an_entity_is_unsynced_is_held_then_sent_once_it_syncs(backend: Backend) {
    use consol::sim::http::{DataChoice, SimConfig};
    let sink = SmtpSink::start().await;
    let mut s = spawn_with_sim_config(
        backend,
        SimConfig {
            data: DataChoice::Demo,
            auto_approve: true,
            ..SimConfig::default()
        },
    )
    .await;
    // A Xero user who sees every demo organisation but the late one.
    let orgs = s.control("GET", "/_sim/organisations", None).await;
    let orgs = orgs.as_array().unwrap();
    assert!(orgs.iter().any(|o| o["name"] == LATE), "{orgs:?}");
    let early: Vec<&Value> = orgs
        .iter()
        .filter(|o| o["name"] != LATE)
        .map(|o| &o["tenant_id"])
        .collect();
    s.control(
        "POST",
        "/_sim/users",
        Some(json!({"email": "four@example.com", "organisations": early})),
    )
    .await;
    let group_id = connect_demo_group(&mut s, Some("four@example.com")).await;
    let store = s.app.store().clone();
    let settings = {
        let mut settings = crate::helpers::test_settings(&s.app.db.url);
        settings.smtp_url = Some(consol::config::Secret::new(sink.url()));
        settings
    };
    // One worker for syncs and deliveries, run only when the test says.
    let worker = consol::sync::worker(store.clone(), s.xero.clone()).handle(
        delivery::JOB_KIND,
        Arc::new(Deliverer {
            store: store.clone(),
            mailer: Arc::new(consol::mail::Mailer::from_settings(&settings).unwrap()),
            public_url: s.app.address.clone(),
        }),
    );
    worker.drain().await.unwrap();
    let runs = store.latest_runs_for_group(group_id).await.unwrap();
    assert_eq!(runs.len(), early.len());
    assert!(runs.iter().all(|r| r.state == "succeeded"), "{runs:?}");
    let uid = user_id(&store, "fin@example.com").await;
    let (group, _) = store
        .group_for_member(group_id, uid)
        .await
        .unwrap()
        .unwrap();
    set_up_like_the_demo(&store, &group, uid).await;
    api_token(&store, uid, crate::month_end::TOKEN).await;

    // The late organisation joins the group; its first sync is queued,
    // not run.
    let back = consent(&mut s, group_id, None).await;
    assert!(back.contains("notice=connected"), "{back}");
    let entities = store.entities_for_group(group_id).await.unwrap();
    assert_eq!(entities.len(), early.len() + 1);
    let late = entities.iter().find(|e| e.name == LATE).unwrap();
    assert!(late.last_synced_at.is_none());
    let mut g = SyncedGroup {
        s,
        group,
        user_id: uid,
    };

    let (status, body) = call(
        &g,
        "PUT",
        "/pack-schedule",
        Some(json!({
            "business_day": 1,
            "send_at": "00:00",
            "utc_offset": "+00:00",
            "recipients": ["board@example.org"],
            "formats": ["xlsx", "json"],
            "approval_required": false,
        })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let schedule = store.pack_schedule(group_id).await.unwrap().unwrap();
    let m = consol::month_end::schedule::due_month(&schedule, Utc::now());

    // Due, not ready: held, twice over the same turn, one notice.
    delivery::tick(&store, Utc::now()).await.unwrap();
    delivery::tick(&store, Utc::now()).await.unwrap();
    assert!(store.latest_month_end(group_id, m).await.unwrap().is_none());
    let (_, months) = call(&g, "GET", "/month-end", None).await;
    let row = months
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["month"] == m.to_string())
        .unwrap()
        .clone();
    assert_eq!(row["status"], "held", "{row}");
    let because: Vec<&str> = row["held_because"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        because
            .iter()
            .any(|b| b.starts_with(&format!("{LATE} has not synced since {m} ended"))),
        "{because:?}"
    );
    // The early entities are not blamed.
    for e in entities.iter().filter(|e| e.name != LATE) {
        assert!(
            !because.iter().any(|b| b.contains(&e.name)),
            "{}: {because:?}",
            e.name
        );
    }
    let dashboard = g.s.app.client.get(&format!("/groups/{group_id}")).await;
    assert_eq!(dashboard.status, 200);
    let attention = dashboard
        .body
        .split("id=\"attention\"")
        .nth(1)
        .and_then(|r| r.split("</div>").next())
        .unwrap_or_else(|| panic!("no attention box: {}", dashboard.body));
    assert!(
        attention.contains(&format!("The {m} month-end pack is held, because:"))
            && attention.contains(LATE),
        "{attention}"
    );

    // The worker runs: the notice goes to the group's admin (the
    // recipients get nothing), and the late entity syncs.
    worker.drain().await.unwrap();
    let messages = sink.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    let rcpt = std::fs::read_to_string(messages[0].with_extension("rcpt")).unwrap();
    assert_eq!(rcpt.trim(), "fin@example.com");
    let held = parse_mime(&messages[0]);
    assert!(
        held["subject"].as_str().unwrap().contains("is held"),
        "{held}"
    );
    let text = String::from_utf8(part_bytes(&held, "text/plain")).unwrap();
    assert!(text.contains("is held, because:"), "{text}");
    assert!(
        text.contains(&format!(
            "{LATE} has not synced since {m} ended (last sync: never)"
        )),
        "{text}"
    );
    let late = store
        .entities_for_group(group_id)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.name == LATE)
        .unwrap();
    assert!(late.last_synced_at.is_some(), "the late entity synced");
    // Its accounts and contacts are set up as the others' were.
    set_up_like_the_demo(&store, &g.group, uid).await;

    // Ready now: the next turns close the month and send the pack once.
    for _ in 0..3 {
        delivery::tick(&store, Utc::now()).await.unwrap();
        worker.drain().await.unwrap();
    }
    let v = store
        .latest_month_end(group_id, m)
        .await
        .unwrap()
        .expect("closed once the entity synced");
    assert!(v.is_closed());
    assert_eq!(v.version, 1);
    let messages = sink.messages();
    assert_eq!(
        messages.len(),
        2,
        "the held notice and one pack: {messages:?}"
    );
    let rcpt = std::fs::read_to_string(messages[1].with_extension("rcpt")).unwrap();
    assert_eq!(rcpt.trim(), "board@example.org");
    let pack = parse_mime(&messages[1]);
    assert!(
        pack["subject"].as_str().unwrap().contains("month-end pack"),
        "{pack}"
    );
    let (_, log) = call(&g, "GET", "/deliveries", None).await;
    let packs: Vec<&Value> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["kind"] == "pack")
        .collect();
    assert_eq!(packs.len(), 1, "{log}");
    assert_eq!(packs[0]["status"], "sent");
    let (_, months) = call(&g, "GET", "/month-end", None).await;
    let row = months
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["month"] == m.to_string())
        .unwrap()
        .clone();
    assert_eq!(row["status"], "sent", "{row}");
    let dashboard = g.s.app.client.get(&format!("/groups/{group_id}")).await;
    assert!(!dashboard.body.contains("pack is held"));
}

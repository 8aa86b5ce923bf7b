//! Pack schedules in a named time zone over the API (both databases): the
//! zone is stored and given back, the next due time follows it, and an
//! unknown zone name is a field error that stores nothing (the schedule
//! saved before stays as it was).

use chrono::Utc;
use serde_json::{Value, json};

use crate::helpers::{Backend, api_token, create_user, spawn_app};

crate::backends!(a_schedule_takes_a_named_time_zone_and_refuses_an_unknown_one);

const TOKEN: &str = "consol_time_zone_token";

async fn put(address: &str, group: i64, body: Value) -> (u16, Value) {
    let r = reqwest::Client::new()
        .put(format!("{address}/api/v1/groups/{group}/pack-schedule"))
        .bearer_auth(TOKEN)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

async fn a_schedule_takes_a_named_time_zone_and_refuses_an_unknown_one(backend: Backend) {
    let app = spawn_app(backend).await;
    let store = app.store().clone();
    let uid = create_user(&store, "fin@example.com", "finance team pw").await;
    let group = store
        .create_group(
            &consol::store::NewGroup {
                name: "Kea Group",
                presentation_currency: consol::domain::CurrencyCode::parse("NZD").unwrap(),
                financial_year_end_month: 3,
            },
            uid,
            Utc::now(),
        )
        .await
        .unwrap();
    api_token(&store, uid, TOKEN).await;

    let (status, body) = put(
        &app.address,
        group.id,
        json!({
            "business_day": 1,
            "send_at": "09:00",
            "time_zone": "Pacific/Auckland",
            "recipients": ["board@example.org"],
            "formats": ["xlsx"],
        }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["time_zone"], "Pacific/Auckland");
    let saved = store.pack_schedule(group.id).await.unwrap().unwrap();
    assert_eq!(saved.time_zone.as_deref(), Some("Pacific/Auckland"));
    // September 2026's pack: Thursday 1 October 09:00 NZDT (+13, daylight
    // saving from Sunday 27 September) = 20:00 UTC on 30 September.
    let sep = consol::domain::Month::new(2026, 9).unwrap();
    assert_eq!(
        consol::month_end::schedule::due_at(&saved, sep).to_rfc3339(),
        "2026-09-30T20:00:00+00:00"
    );

    // An unknown zone: a field error, and the schedule stays as it was.
    let (status, body) = put(
        &app.address,
        group.id,
        json!({
            "business_day": 5,
            "send_at": "10:00",
            "time_zone": "Pacific/Atlantis",
            "recipients": ["someone.else@example.org"],
            "formats": ["json"],
        }),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let field = body["error"]["details"]["time_zone"]
        .as_str()
        .unwrap_or_default();
    assert!(
        field.contains("'Pacific/Atlantis' is not a time zone"),
        "{body}"
    );
    assert_eq!(
        body["error"]["details"].as_object().unwrap().len(),
        1,
        "only the zone is wrong: {body}"
    );
    let kept = store.pack_schedule(group.id).await.unwrap().unwrap();
    assert_eq!(kept, saved, "nothing stored");
}

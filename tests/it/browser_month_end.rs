//! The month-end close in a real headless Chromium, at desktop width and
//! on a tablet (768 pixels): a group admin saves a pack schedule that needs
//! approval, closes a month of the synced demo group, writes commentary on
//! a section, approves the pack in the delivery log, and the site operator
//! finds the message in the outbox (no `CONSOL_SMTP_URL`: `.eml` files).
//! Screenshots land in `target/screenshots/`.

use std::sync::Arc;

use chrono::Utc;
use consol::month_end::delivery::{self, Deliverer};

use crate::helpers::{
    ADMIN_EMAIL, ADMIN_PASSWORD, Backend, SyncedGroup, set_up_like_the_demo, synced_demo_group,
};
use crate::webdriver::Browser;

#[tokio::test]
async fn an_admin_closes_comments_approves_and_finds_the_pack_in_the_outbox_on_a_desktop() {
    close_and_send(1280, "desktop").await;
}

#[tokio::test]
async fn an_admin_closes_comments_approves_and_finds_the_pack_in_the_outbox_on_a_tablet() {
    close_and_send(768, "tablet").await;
}

async fn sign_in(b: &Browser, app: &str, next: &str, email: &str, password: &str) {
    b.goto(&format!("{app}{next}")).await;
    b.wait_for("input[name=password]").await;
    b.type_into("input[name=email]", email).await;
    b.type_into("input[name=password]", password).await;
    b.click("form[action='/login'] button[type=submit]").await;
}

/// Fails the test when the page scrolls sideways at this width (wide tables
/// must scroll inside their own box).
async fn fits(b: &Browser, width: u32, what: &str) {
    if width <= 768 {
        let sizes = b
            .execute(
                "return [document.documentElement.scrollWidth, document.documentElement.clientWidth];",
            )
            .await;
        assert!(
            !b.overflows().await,
            "{what} scrolls sideways at {width} pixels: {sizes}"
        );
    }
}

async fn close_and_send(width: u32, suffix: &str) {
    let SyncedGroup { s, group, user_id } = synced_demo_group(Backend::Sqlite).await;
    set_up_like_the_demo(s.app.store(), &group, user_id).await;
    let store = s.app.store().clone();
    // The site operator, who reads the outbox.
    let email = consol::domain::Email::parse(ADMIN_EMAIL).unwrap();
    store
        .create_user(
            &consol::store::NewUser {
                email: &email,
                name: "Operator",
                password_hash: &consol::auth::password::hash(ADMIN_PASSWORD).unwrap(),
                is_admin: true,
            },
            Utc::now(),
        )
        .await
        .unwrap();
    // The app's own settings have no SMTP URL: mail goes to the outbox of
    // its data directory.
    let settings = crate::helpers::test_settings(&s.app.db.url);
    assert!(settings.smtp_url.is_none());
    let outbox = settings.outbox_dir();
    let worker = consol::jobs::Worker::new(store.clone(), Default::default()).handle(
        delivery::JOB_KIND,
        Arc::new(Deliverer {
            store: store.clone(),
            mailer: Arc::new(consol::mail::Mailer::from_settings(&settings).unwrap()),
            public_url: s.app.address.clone(),
        }),
    );

    let app = s.app.address.clone();
    let id = group.id;
    let b = Browser::start().await;
    b.set_window_size(width, 1000).await;
    sign_in(
        &b,
        &app,
        &format!("/groups/{id}/month-end/schedule"),
        "fin@example.com",
        "finance team pw",
    )
    .await;

    // The schedule: business day 1 at 00:00 UTC (so a month is due now),
    // approval required.
    b.wait_for("#schedule-form").await;
    fits(&b, width, "the schedule form").await;
    b.execute(
        "const f = document.getElementById('schedule-form');
         f.business_day.value = '1';
         f.send_at.value = '00:00';
         f.utc_offset.value = '+00:00';
         f.recipients.value = 'board@example.org';
         for (const c of f.querySelectorAll('input[name=formats]')) c.checked = c.value !== 'json';
         f.approval_required.checked = true;",
    )
    .await;
    b.screenshot(&format!("month-end-01-schedule-{suffix}"))
        .await;
    b.click("#schedule-form button[type=submit]").await;
    b.wait_for(".alert-ok").await;
    let schedule = store.pack_schedule(id).await.unwrap().expect("saved");
    assert!(schedule.approval_required);
    assert_eq!(schedule.recipient_list(), ["board@example.org"]);
    let month = consol::month_end::schedule::due_month(&schedule, Utc::now());

    // Close the due month from the overview.
    b.goto(&format!("{app}/groups/{id}/month-end")).await;
    b.wait_for(&format!("#month-{month}")).await;
    fits(&b, width, "the month-end overview").await;
    b.screenshot(&format!("month-end-02-overview-{suffix}"))
        .await;
    b.click(&format!(
        "form[action='/groups/{id}/month-end/{month}/close'] button"
    ))
    .await;
    // Closing opens the pack.
    b.wait_for("#cover, section.card h2").await;
    assert!(
        b.url()
            .await
            .ends_with(&format!("/groups/{id}/month-end/{month}")),
        "{}",
        b.url().await
    );
    let version = store
        .latest_month_end(id, month)
        .await
        .unwrap()
        .expect("closed");
    assert!(version.is_closed());
    assert_eq!(version.version, 1);

    // Commentary on the first section that takes it.
    let section: String = b
        .execute(
            "return document.querySelector('form[action$=\"/commentary\"] input[name=section]').value;",
        )
        .await
        .as_str()
        .unwrap()
        .to_string();
    let note = "Revenue is up on the prior month: the Wattle contract started.";
    b.type_into(
        &format!("section#{section} form[action$='/commentary'] textarea[name=body]"),
        note,
    )
    .await;
    b.click(&format!(
        "section#{section} form[action$='/commentary'] button[type=submit]"
    ))
    .await;
    b.wait_for(".alert-ok").await;
    let shown = b
        .execute(&format!(
            "return document.querySelector('section#{section} textarea[name=body]').value;"
        ))
        .await;
    assert_eq!(
        shown,
        serde_json::json!(note),
        "the page shows it after saving"
    );
    let stored = store.commentary(version.id).await.unwrap();
    assert!(
        stored
            .iter()
            .any(|c| c.section == section && c.body == note),
        "stored with the version: {stored:?}"
    );
    fits(&b, width, "the pack page").await;
    b.screenshot(&format!("month-end-03-pack-{suffix}")).await;

    // The scheduler's turn: the pack waits for approval, nothing is sent.
    delivery::tick(&store, Utc::now()).await.unwrap();
    worker.drain().await.unwrap();
    assert!(
        consol::mail::outbox::list(&outbox)
            .unwrap_or_default()
            .is_empty(),
        "nothing goes before approval"
    );
    b.goto(&format!("{app}/groups/{id}/month-end/deliveries"))
        .await;
    b.wait_for("#deliveries tr[data-status=draft]").await;
    fits(&b, width, "the delivery log").await;
    b.screenshot(&format!("month-end-04-awaiting-approval-{suffix}"))
        .await;
    b.click("#deliveries tr[data-status=draft] form[action$='/approve'] button")
        .await;
    b.wait_for(".alert-ok").await;
    worker.drain().await.unwrap();
    b.goto(&format!("{app}/groups/{id}/month-end/deliveries"))
        .await;
    b.wait_for("#deliveries tr[data-kind=pack][data-status=sent]")
        .await;
    b.screenshot(&format!("month-end-05-sent-{suffix}")).await;

    // The site operator reads the outbox.
    b.click("form[action='/logout'] button").await;
    b.wait_for("input[name=password]").await;
    sign_in(&b, &app, "/admin/outbox", ADMIN_EMAIL, ADMIN_PASSWORD).await;
    b.wait_for("#outbox").await;
    let table = b.text("#outbox").await;
    assert!(table.contains("board@example.org"), "{table}");
    let named = month.first_day().format("%B %Y").to_string();
    assert!(
        table.contains(&format!("month-end pack for {named}")),
        "{named}: {table}"
    );
    assert_eq!(
        b.execute(
            "return document.querySelectorAll('#outbox a[href^=\"/admin/outbox/\"]').length;"
        )
        .await,
        serde_json::json!(1),
        "one message: {table}"
    );
    fits(&b, width, "the outbox").await;
    b.screenshot(&format!("month-end-06-outbox-{suffix}")).await;
    // The file is the message to the schedule's recipient.
    let files = consol::mail::outbox::list(&outbox).unwrap();
    assert_eq!(files.len(), 1);
    let eml = consol::mail::outbox::read(&outbox, &files[0].file).unwrap();
    let eml = String::from_utf8_lossy(&eml);
    assert!(
        eml.lines()
            .any(|l| l.starts_with("To:") && l.contains("board@example.org")),
        "{eml}"
    );
    b.quit().await;
}

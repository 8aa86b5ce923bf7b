//! Issue 15: a mappings or FX-rates form submitted over someone else's
//! later change is refused with 409, names what changed, and stores
//! nothing; the other change stays. On both databases.

use chrono::Utc;
use consol::domain::{CurrencyCode, Month};
use consol::store::{MappingRow, NewGroup, RateRow};

use crate::helpers::{
    Backend, Form, Page, create_user, login, set_up_like_the_demo, spawn_app, synced_demo_group,
};

crate::backends!(
    a_stale_mappings_form_is_refused_and_reverts_nothing,
    a_stale_rates_form_is_refused_and_reverts_nothing,
);

/// The form of a page whose opening tag has `id`.
fn form(page: &Page, id: &str) -> Form {
    page.forms()
        .into_iter()
        .find(|f| f.tag.contains(&format!("id=\"{id}\"")))
        .unwrap_or_else(|| panic!("no form #{id}: {}", page.body))
}

async fn a_stale_mappings_form_is_refused_and_reverts_nothing(backend: Backend) {
    let mut g = synced_demo_group(backend).await;
    let store = g.s.app.store().clone();
    let group = g.group.id;
    set_up_like_the_demo(&store, &g.group, g.user_id).await;
    let path = format!("/groups/{group}/mappings");
    let page = g.s.app.client.get(&path).await;
    assert_eq!(page.status, 200);
    let shown = form(&page, "mapping-table");

    // A confirmed row of the page, and another group account.
    let (key, was) = shown
        .fields
        .iter()
        .find(|(k, v)| k.starts_with("was.") && v.ends_with("|1"))
        .cloned()
        .expect("a confirmed mapping on the page");
    let rest = key.strip_prefix("was.").unwrap();
    let (entity, account) = rest.split_once('.').unwrap();
    let entity: i64 = entity.parse().unwrap();
    let shown_gid: i64 = was.split('|').next().unwrap().parse().unwrap();
    let chart = store.group_accounts(group).await.unwrap();
    let other = chart.iter().find(|a| a.id != shown_gid).unwrap();
    let org = store
        .entities_for_group(group)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.id == entity)
        .unwrap()
        .organisation_id;

    // Another user maps the account elsewhere after the page was shown.
    let theirs = MappingRow {
        organisation_id: org,
        account_id: account.to_string(),
        group_account_id: other.id,
        confirmed: true,
    };
    store
        .set_mappings(group, std::slice::from_ref(&theirs), None, Utc::now())
        .await
        .unwrap();
    let stored_after_theirs = store.mappings(group).await.unwrap();

    // The page, submitted as shown (its boxes ticked as they were), would
    // put the shown account back.
    let r = g.s.app.client.post_form(&path, &shown.pairs()).await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(
        r.body.contains("changed since the page was shown"),
        "{}",
        r.body
    );
    assert!(
        r.body
            .contains(&format!("now confirmed as {} {}", other.code, other.name)),
        "names the change: {}",
        r.body
    );
    assert_eq!(
        store.mappings(group).await.unwrap(),
        stored_after_theirs,
        "nothing was saved, theirs stays"
    );

    // The page as it is now saves: the check refuses only stale rows.
    let fresh = form(&g.s.app.client.get(&path).await, "mapping-table");
    assert_eq!(fresh.get(&key), Some(format!("{}|1", other.id).as_str()));
    let mut mine = fresh.clone();
    mine.set(&format!("map.{rest}"), &shown_gid.to_string());
    let r = g.s.app.client.post_form(&path, &mine.pairs()).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let now = store.mappings(group).await.unwrap();
    let row = now
        .iter()
        .find(|m| m.organisation_id == org && m.account_id == account)
        .unwrap();
    assert_eq!(row.group_account_id, shown_gid);
}

fn rate(currency: &str, month: &str, average: &str, closing: &str) -> RateRow {
    RateRow {
        currency: CurrencyCode::parse(currency).unwrap(),
        month: Month::parse(month).unwrap(),
        average: average.parse().unwrap(),
        closing: closing.parse().unwrap(),
    }
}

async fn stored_rates(store: &consol::store::Store, group: i64) -> Vec<String> {
    store
        .fx_rates(group)
        .await
        .unwrap()
        .into_iter()
        .map(|r| format!("{} {} {} {}", r.currency, r.month, r.average, r.closing))
        .collect()
}

async fn a_stale_rates_form_is_refused_and_reverts_nothing(backend: Backend) {
    let mut app = spawn_app(backend).await;
    let uid = create_user(app.store(), "rates@example.com", "rates team pw").await;
    login(&mut app.client, "rates@example.com", "rates team pw").await;
    let store = app.store().clone();
    let group = store
        .create_group(
            &NewGroup {
                name: "Kea Group",
                presentation_currency: CurrencyCode::parse("NZD").unwrap(),
                financial_year_end_month: 3,
            },
            uid,
            Utc::now(),
        )
        .await
        .unwrap()
        .id;
    store
        .set_fx_rates(
            group,
            &[rate("USD", "2026-01", "1.1", "1.2")],
            None,
            Utc::now(),
        )
        .await
        .unwrap();
    let path = format!("/groups/{group}/rates");
    let table = format!("/groups/{group}/rates/table");
    let shown = form(&app.client.get(&path).await, "rates-editor");

    // Someone changes the shown month after the page was shown; the form,
    // saved as shown, would put the old rates back.
    store
        .set_fx_rates(
            group,
            &[rate("USD", "2026-01", "1.3", "1.4")],
            None,
            Utc::now(),
        )
        .await
        .unwrap();
    let theirs = stored_rates(&store, group).await;
    let r = app.client.post_form(&table, &shown.pairs()).await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(
        r.body.contains("changed since the page was shown"),
        "{}",
        r.body
    );
    assert!(
        r.body.contains("USD 2026-01: now average 1.3, closing 1.4"),
        "{}",
        r.body
    );
    assert_eq!(stored_rates(&store, group).await, theirs);

    // Someone adds the month this form's new row adds.
    let mut adding = form(&app.client.get(&path).await, "rates-editor");
    store
        .set_fx_rates(
            group,
            &[rate("USD", "2026-02", "1.5", "1.6")],
            None,
            Utc::now(),
        )
        .await
        .unwrap();
    let theirs = stored_rates(&store, group).await;
    adding.set("new_month", "2026-02");
    adding.set("average|USD|new", "2");
    adding.set("closing|USD|new", "2.1");
    let r = app.client.post_form(&table, &adding.pairs()).await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(
        r.body.contains("USD 2026-02: now average 1.5, closing 1.6"),
        "{}",
        r.body
    );
    assert_eq!(stored_rates(&store, group).await, theirs);

    // A page as it is now saves.
    let mut mine = form(&app.client.get(&path).await, "rates-editor");
    mine.set("average|USD|2026-01", "1.35");
    let r = app.client.post_form(&table, &mine.pairs()).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let after = stored_rates(&store, group).await;
    assert!(
        after.contains(&"USD 2026-01 1.35 1.4".to_string()),
        "{after:?}"
    );
    assert!(
        after.contains(&"USD 2026-02 1.5 1.6".to_string()),
        "{after:?}"
    );
}

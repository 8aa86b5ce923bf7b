//! The ownership set-up page on both databases, on the demo group synced
//! from the simulator: members read it, administrators change it one
//! subsidiary at a time; equity at acquisition is suggested from the
//! subsidiary's synced balance sheet and the closing rate (read here from
//! the store on its own), never stored until saved; a bad row is named with
//! nothing stored and the earlier row intact; every change is audited; CSRF
//! is checked.

use rust_decimal::Decimal;

use consol::domain::Month;
use consol::store::{GroupRole, ReportKind, RowKind};

use crate::backends;
use crate::helpers::{
    Backend, Client, Page, create_user, login, set_up_like_the_demo, synced_demo_group,
};

backends!(the_ownership_page_suggests_checks_and_stores_each_subsidiary);

/// The `value` of the input named `name` inside the form of `entity`.
fn value_in(body: &str, entity: i64, name: &str) -> String {
    let section = body
        .split(&format!("id=\"entity-{entity}\""))
        .nth(1)
        .unwrap_or_else(|| panic!("no section of entity {entity}"));
    let section = section.split("</section>").next().unwrap();
    let needle = format!("name=\"{name}\" value=\"");
    let start = section.find(&needle).unwrap_or_else(|| panic!("no {name}")) + needle.len();
    section[start..start + section[start..].find('"').unwrap()].to_string()
}

/// Posts `fields` (repeated names kept, as a browser sends them).
async fn post(client: &mut Client, path: &str, fields: Vec<(String, String)>) -> Page {
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    client.post_form(path, &pairs).await
}

async fn the_ownership_page_suggests_checks_and_stores_each_subsidiary(backend: Backend) {
    let mut g = synced_demo_group(backend).await;
    let store = g.s.app.store().clone();
    set_up_like_the_demo(&store, &g.group, g.user_id).await;
    let gid = g.group.id;
    let path = format!("/groups/{gid}/ownership");
    let views = store.entities_for_group(gid).await.unwrap();
    let parent = views.iter().find(|e| e.is_parent).unwrap();
    let thistle = views.iter().find(|e| e.name == "Thistle & Co").unwrap();
    let investment = store
        .accounts_of(parent.organisation_id)
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.code.as_deref() == Some("741"))
        .unwrap()
        .account_id;

    // The set-up navigation links to it; every subsidiary is listed, none
    // set up yet.
    let group_page = g.s.app.client.get(&format!("/groups/{gid}")).await;
    assert!(group_page.body.contains(&format!("href=\"{path}\"")));
    let page = g.s.app.client.get(&path).await;
    assert_eq!(page.status, 200);
    for e in views.iter().filter(|e| !e.is_parent) {
        assert!(
            page.body.contains(&format!("id=\"entity-{}\"", e.id)),
            "{}",
            e.name
        );
    }
    assert!(page.body.contains("not set up"));
    let csrf = page.input_value("csrf_token").unwrap();

    // The suggestion for Thistle & Co (GBP) at its first synced month end:
    // Xero's Net Assets then and that month's closing rate, read from the
    // store here.
    let first: Month = store
        .stored_months(thistle.organisation_id, ReportKind::BalanceSheet.as_str())
        .await
        .unwrap()[0];
    let net_assets = store
        .report_month(thistle.organisation_id, ReportKind::BalanceSheet, first)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.kind != RowKind::Account && r.label == "Net Assets")
        .unwrap()
        .amount;
    let closing = store
        .fx_rates(gid)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.currency.as_str() == "GBP" && r.month == first)
        .unwrap()
        .closing;
    assert_eq!(
        value_in(&page.body, thistle.id, "acquired"),
        first.to_string()
    );
    let first_s = first.to_string();
    let tid = thistle.id.to_string();
    let pid = parent.id.to_string();
    let form = |action: &'static str,
                percent: &'static str,
                equity: String,
                rate: String,
                contribution: (String, &'static str, &'static str)| {
        vec![
            ("csrf_token".to_string(), csrf.clone()),
            ("entity_id".into(), tid.clone()),
            ("action".into(), action.to_string()),
            ("owner_entity_id".into(), pid.clone()),
            ("percent".into(), percent.to_string()),
            ("acquired".into(), first_s.clone()),
            ("equity_at_acquisition".into(), equity),
            ("historical_rate".into(), rate),
            ("investment_account_ids".into(), investment.clone()),
            ("contribution_month".into(), contribution.0),
            ("contribution_amount".into(), contribution.1.to_string()),
            ("contribution_rate".into(), contribution.2.to_string()),
        ]
    };
    let blank = || (String::new(), "", "");
    let suggested = post(
        &mut g.s.app.client,
        &path,
        form("suggest", "80", String::new(), String::new(), blank()),
    )
    .await;
    assert_eq!(suggested.status, 200, "{}", suggested.body);
    assert_eq!(
        value_in(&suggested.body, thistle.id, "equity_at_acquisition")
            .parse::<Decimal>()
            .unwrap(),
        net_assets
    );
    assert_eq!(
        value_in(&suggested.body, thistle.id, "historical_rate")
            .parse::<Decimal>()
            .unwrap(),
        closing
    );
    assert!(
        store.ownership(gid).await.unwrap().is_empty(),
        "a suggestion stores nothing"
    );

    // Saved as confirmed, with a contribution two months later.
    let later = first.plus(2);
    let saved = post(
        &mut g.s.app.client,
        &path,
        form(
            "save",
            "80",
            net_assets.to_string(),
            closing.to_string(),
            (later.to_string(), "5000", "2.05"),
        ),
    )
    .await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    let stored = store.ownership(gid).await.unwrap();
    assert_eq!(stored.len(), 1);
    let row = &stored[0];
    assert_eq!(
        (
            row.entity_id,
            row.owner_entity_id,
            row.percent,
            row.acquired
        ),
        (thistle.id, parent.id, Decimal::from(80), first)
    );
    assert_eq!(
        (row.equity_at_acquisition, row.historical_rate),
        (net_assets, closing)
    );
    assert_eq!(row.investment_accounts, vec![investment.clone()]);
    assert_eq!(row.contributions.len(), 1);
    assert_eq!(
        (
            row.contributions[0].month,
            row.contributions[0].amount,
            row.contributions[0].historical_rate
        ),
        (later, Decimal::from(5000), "2.05".parse().unwrap())
    );
    let audit = store.audit_log(Some(gid), 20).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|(_, e)| e.user_id == Some(g.user_id) && e.detail.contains("Thistle & Co")),
        "the change is audited: {audit:?}"
    );

    // Bad values: each named on the row, nothing stored, the saved row
    // intact.
    let bad = post(
        &mut g.s.app.client,
        &path,
        form(
            "save",
            "120",
            net_assets.to_string(),
            "abc".into(),
            (first.prev().to_string(), "100", "2"),
        ),
    )
    .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    for said in [
        "percent: more than 0",
        "historical_rate &#39;abc&#39; is not a decimal",
        "contributions[1].month:",
    ] {
        assert!(bad.body.contains(said), "{said} in {}", bad.body);
    }
    assert_eq!(
        value_in(&bad.body, thistle.id, "percent"),
        "120",
        "the row keeps what was typed"
    );
    assert_eq!(&store.ownership(gid).await.unwrap(), &stored);

    // An owner that would own itself through its subsidiary.
    let circle = vec![
        ("csrf_token".to_string(), csrf.clone()),
        ("entity_id".into(), pid.clone()),
        ("action".into(), "save".into()),
        ("owner_entity_id".into(), tid.clone()),
        ("percent".into(), "100".into()),
        ("acquired".into(), first_s.clone()),
        ("equity_at_acquisition".into(), "1".into()),
        ("historical_rate".into(), "1".into()),
    ];
    let bad = post(&mut g.s.app.client, &path, circle).await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("would own itself"), "{}", bad.body);
    assert_eq!(&store.ownership(gid).await.unwrap(), &stored);

    // Without the session's CSRF token nothing is stored.
    let mut forged = form(
        "save",
        "50",
        net_assets.to_string(),
        closing.to_string(),
        blank(),
    );
    forged[0].1 = "not-the-token".into();
    let refused = post(&mut g.s.app.client, &path, forged).await;
    assert!(
        refused.status == 403 || refused.status == 400,
        "{}",
        refused.status
    );
    assert_eq!(&store.ownership(gid).await.unwrap(), &stored);

    // A viewer sees the figures but no form to change them, and cannot
    // post one.
    let viewer = create_user(&store, "viewer@example.com", "a viewer's password").await;
    store
        .set_member(
            gid,
            viewer,
            GroupRole::Viewer,
            Some(g.user_id),
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    let mut v = g.s.app.new_client();
    login(&mut v, "viewer@example.com", "a viewer's password").await;
    let seen = v.get(&path).await;
    assert_eq!(seen.status, 200);
    assert_eq!(value_in(&seen.body, thistle.id, "percent"), "80");
    assert!(
        !seen.body.contains("value=\"save\""),
        "no save button for a viewer"
    );
    let viewer_csrf = seen.input_value("csrf_token").unwrap();
    let mut attempt = form(
        "save",
        "50",
        net_assets.to_string(),
        closing.to_string(),
        blank(),
    );
    attempt[0].1 = viewer_csrf;
    let refused = post(&mut v, &path, attempt).await;
    assert!(
        refused.status == 403 || refused.status == 404,
        "{}",
        refused.status
    );
    assert_eq!(&store.ownership(gid).await.unwrap(), &stored);

    // Removing it: the balance sheet assumes it again, and the removal is
    // audited too.
    let removed = post(
        &mut g.s.app.client,
        &path,
        vec![
            ("csrf_token".to_string(), csrf.clone()),
            ("entity_id".into(), tid.clone()),
            ("action".into(), "remove".into()),
        ],
    )
    .await;
    assert_eq!(removed.status, 200, "{}", removed.body);
    assert!(store.ownership(gid).await.unwrap().is_empty());
}

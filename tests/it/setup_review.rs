//! The month-end review in the set-up pages, on both databases, against the
//! demo group synced from the simulator: the mappings filter, explicit
//! confirmation row by row, confirming exactly the suggestions a filter
//! shows, and intercompany contacts reviewed per entity (marked not
//! intercompany, restored, added), each audited; CSRF and roles checked.

use std::collections::{BTreeSet, HashMap};

use chrono::Utc;
use consol::consolidation;
use consol::domain::{Month, MonthRange};
use consol::store::GroupRole;
use consol::sync::SyncKind;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::helpers::{Backend, Client, Form, Page, SyncedGroup, create_user, login, session_csrf};
use crate::setup::{call, eliminations, put_json, suggested_group, sync_again};

crate::backends!(
    the_mappings_filter_finds_codes_names_and_group_accounts,
    saving_mappings_confirms_only_ticked_or_changed_rows,
    bulk_confirm_confirms_exactly_the_filtered_suggestions,
    a_contact_marked_not_intercompany_stays_so,
    an_added_contact_is_eliminated,
    review_forms_need_the_csrf_token_and_the_editor_role,
);

// ------------------------------------------------------------------ helpers

async fn api(g: &SyncedGroup, token: &str, what: &str) -> Value {
    let a = call(
        &g.s.app.address,
        "GET",
        &format!("/groups/{}/{what}", g.group.id),
        Some(token),
        None,
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    a.json()
}

async fn mappings(g: &SyncedGroup, token: &str) -> Vec<Value> {
    api(g, token, "account-mappings").await["accounts"]
        .as_array()
        .unwrap()
        .clone()
}

/// A row's select name on the page: `map.{entity}.{account}`.
fn key(a: &Value) -> String {
    format!(
        "map.{}.{}",
        a["entity_id"],
        a["account_id"].as_str().unwrap()
    )
}

fn keys<'a>(rows: impl IntoIterator<Item = &'a Value>) -> BTreeSet<String> {
    rows.into_iter().map(key).collect()
}

fn row<'a>(rows: &'a [Value], k: &str) -> &'a Value {
    rows.iter()
        .find(|a| key(a) == k)
        .unwrap_or_else(|| panic!("no row {k}"))
}

fn with_status<'a>(rows: &'a [Value], status: &str) -> Vec<&'a Value> {
    rows.iter().filter(|a| a["status"] == status).collect()
}

fn text<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or_default()
}

/// The search rule, as the page promises it: account code by prefix,
/// account name, group account name or entity name, case-insensitively.
fn matches_q(a: &Value, chart: &HashMap<i64, String>, q: &str) -> bool {
    let q = q.to_lowercase();
    text(a, "code").to_lowercase().starts_with(&q) && !text(a, "code").is_empty()
        || text(a, "name").to_lowercase().contains(&q)
        || text(a, "entity_name").to_lowercase().contains(&q)
        || a["group_account_id"]
            .as_i64()
            .and_then(|g| chart.get(&g))
            .is_some_and(|n| n.to_lowercase().contains(&q))
}

async fn chart(g: &SyncedGroup, token: &str) -> HashMap<i64, String> {
    api(g, token, "account-mappings").await["group_accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_i64().unwrap(), text(c, "name").to_string()))
        .collect()
}

/// The rows (select names) a mappings page shows.
fn shown(page: &Page) -> BTreeSet<String> {
    page.body
        .match_indices("<select name=\"map.")
        .map(|(i, _)| {
            let start = i + "<select name=\"".len();
            let end = start + page.body[start..].find('"').unwrap();
            page.body[start..end].to_string()
        })
        .collect()
}

/// The page's "Next" link, decoded.
fn next_link(page: &str) -> Option<String> {
    let end = page.find("\" rel=\"next\"")?;
    let start = page[..end].rfind("href=\"")? + "href=\"".len();
    Some(page[start..end].replace("&#38;", "&").replace("&amp;", "&"))
}

/// Every row a filter shows, following the page's "Next" links (which
/// must keep the filter); and the first page.
async fn shown_on_all_pages(
    client: &mut Client,
    group_id: i64,
    query: &str,
) -> (BTreeSet<String>, Page) {
    let base = format!("/groups/{group_id}/mappings");
    let first = client.get(&format!("{base}?{query}")).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let mut rows = shown(&first);
    let mut page_body = first.body.clone();
    for _ in 0..20 {
        let Some(next) = next_link(&page_body) else {
            return (rows, first);
        };
        let page = client.get(&format!("{base}{next}")).await;
        assert_eq!(page.status, 200);
        rows.extend(shown(&page));
        page_body = page.body;
    }
    panic!("more than 20 pages");
}

async fn post(client: &mut Client, path: &str, form: &Form) -> Page {
    client.post_form(path, &form.pairs()).await
}

/// The newest audit entry of a kind (`mappings.`, `intercompany_contacts.`).
async fn last_audit(g: &SyncedGroup, prefix: &str) -> (String, String) {
    let rows =
        g.s.app
            .store()
            .group_audit_page(g.group.id, None, Some(prefix), 1)
            .await
            .unwrap();
    let r = rows.first().expect("an audit entry");
    (r.action.clone(), r.detail.clone())
}

async fn audit_count(g: &SyncedGroup) -> usize {
    g.s.app
        .store()
        .group_audit_page(g.group.id, None, None, 10_000)
        .await
        .unwrap()
        .len()
}

/// `Wattle Trading 200 Sales`: an account as audit entries name it.
fn label(a: &Value) -> String {
    format!(
        "{} {} {}",
        text(a, "entity_name"),
        text(a, "code"),
        text(a, "name")
    )
}

async fn entity_id(g: &SyncedGroup, name: &str) -> i64 {
    g.s.app
        .store()
        .entities_for_group(g.group.id)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("no entity {name}"))
        .id
}

// ---------------------------------------------------------------- mappings

async fn the_mappings_filter_finds_codes_names_and_group_accounts(backend: Backend) {
    let (mut g, token) = suggested_group(backend).await;
    let group_id = g.group.id;
    let wattle = entity_id(&g, "Wattle Trading").await;

    // In Xero, Wattle renames one expense account, recodes another and
    // adds a third; a full sync brings the changes in.
    let rows = mappings(&g, &token).await;
    // Accounts already without a suggestion (the demo's intercompany loan
    // on Wattle's side has no counterpart in the chart copied from Kea).
    let unmapped_before: BTreeSet<String> = with_status(&rows, "unmapped")
        .into_iter()
        .filter(|a| a["account_type"] != "REPORT_ROW")
        .map(key)
        .collect();
    let expenses: Vec<&Value> = rows
        .iter()
        .filter(|a| a["entity_id"] == wattle && a["class"] == "EXPENSE")
        .collect();
    let (renamed, recoded) = (expenses[0].clone(), expenses[1].clone());
    let tenant =
        g.s.app
            .store()
            .entities_for_group(group_id)
            .await
            .unwrap()
            .into_iter()
            .find(|e| e.id == wattle)
            .unwrap()
            .tenant_id
            .parse()
            .unwrap();
    let new_code = format!("{}9", text(&recoded, "code"));
    g.s.sim
        .state()
        .with_ledger(tenant, |l| {
            let opts = consol::sim::WriteOptions::default();
            let id = |a: &Value| text(a, "account_id").parse().unwrap();
            l.post_account(
                id(&renamed),
                consol::xero::Account {
                    name: Some("Zephyr turnover".into()),
                    ..Default::default()
                },
                &opts,
            )
            .unwrap();
            l.post_account(
                id(&recoded),
                consol::xero::Account {
                    code: Some(new_code.clone()),
                    ..Default::default()
                },
                &opts,
            )
            .unwrap();
            l.put_account(
                consol::xero::Account {
                    code: Some("9901".into()),
                    name: Some("Espresso machine lease".into()),
                    account_type: Some("OVERHEADS".into()),
                    ..Default::default()
                },
                &opts,
            )
            .unwrap();
        })
        .unwrap();
    sync_again(&g, SyncKind::Full).await;
    let rows = mappings(&g, &token).await;
    let chart = chart(&g, &token).await;
    let renamed = row(&rows, &key(&renamed)).clone();
    let recoded = row(&rows, &key(&recoded)).clone();
    assert_eq!(renamed["name"], "Zephyr turnover");
    assert_eq!(renamed["basis"], "same_code", "{renamed}");
    assert_eq!(recoded["basis"], "same_name", "{recoded}");
    // (Kea's "Foreign Currency Gains and Losses" row, outside its chart,
    // is listed unmapped too: only accounts count here.)
    let unmapped: Vec<_> = with_status(&rows, "unmapped")
        .into_iter()
        .filter(|a| a["account_type"] != "REPORT_ROW" && !unmapped_before.contains(&key(a)))
        .collect();
    assert_eq!(unmapped.len(), 1, "the new account has no suggestion");
    assert_eq!(unmapped[0]["code"], "9901", "{unmapped:?}");
    let client = &mut g.s.app.client;

    // Code by prefix: two codes that share their first two characters.
    let codes: BTreeSet<&str> = rows
        .iter()
        .map(|a| text(a, "code"))
        .filter(|c| c.len() >= 3)
        .collect();
    let (c1, c2) = codes
        .iter()
        .flat_map(|a| codes.iter().map(move |b| (*a, *b)))
        .find(|(a, b)| a != b && a[..2] == b[..2])
        .expect("two codes with one prefix");
    let prefix = &c1[..2];
    let expected = keys(rows.iter().filter(|a| matches_q(a, &chart, prefix)));
    let (got, page) = shown_on_all_pages(client, group_id, &format!("q={prefix}")).await;
    assert_eq!(got, expected, "q={prefix}");
    for c in [c1, c2] {
        assert!(
            rows.iter()
                .any(|a| text(a, "code") == c && got.contains(&key(a))),
            "{c} is found by its prefix {prefix}"
        );
    }
    assert!(
        page.body.contains(&format!(
            "{} of {} accounts match this filter",
            expected.len(),
            rows.len()
        )),
        "{}",
        page.body
    );

    // Account name, in any case: only the renamed account.
    let (got, _) = shown_on_all_pages(client, group_id, "q=zEPHYR+TURN").await;
    assert_eq!(got, BTreeSet::from([key(&renamed)]));

    // Group account name, in any case: the renamed account is found by the
    // name of the group account it is suggested to.
    let target = chart[&renamed["group_account_id"].as_i64().unwrap()].to_uppercase();
    let expected = keys(rows.iter().filter(|a| matches_q(a, &chart, &target)));
    let (got, _) = shown_on_all_pages(
        client,
        group_id,
        &format!("q={}", target.replace(' ', "+").replace('&', "%26")),
    )
    .await;
    assert!(got.contains(&key(&renamed)), "{target}: {got:?}");
    assert_eq!(got, expected, "q={target}");

    // Status, entity, and both with a search.
    for status in ["suggested", "confirmed", "unmapped"] {
        let (got, _) = shown_on_all_pages(client, group_id, &format!("status={status}")).await;
        assert_eq!(got, keys(with_status(&rows, status)), "status={status}");
    }
    let (got, page) = shown_on_all_pages(
        client,
        group_id,
        &format!("status=suggested&entity={wattle}"),
    )
    .await;
    let expected = keys(
        rows.iter()
            .filter(|a| a["entity_id"] == wattle && a["status"] == "suggested"),
    );
    assert!(!expected.is_empty());
    assert_eq!(got, expected);
    assert!(page.body.contains(&format!(
        "<option value=\"{wattle}\" selected>Wattle Trading</option>"
    )));
    assert!(
        page.body
            .contains("<option value=\"suggested\" selected>Suggested</option>")
    );
    let (got, _) = shown_on_all_pages(client, group_id, &format!("q=4&entity={wattle}")).await;
    let expected = keys(
        rows.iter()
            .filter(|a| a["entity_id"] == wattle && matches_q(a, &chart, "4")),
    );
    assert_eq!(got, expected);
    // An unknown status shows every account.
    let (got, _) = shown_on_all_pages(client, group_id, "status=bogus").await;
    assert_eq!(got.len(), rows.len());

    // Why each suggestion is made, under it.
    let page = client
        .get(&format!(
            "/groups/{group_id}/mappings?entity={wattle}&q=zephyr"
        ))
        .await;
    assert!(
        page.body.contains(&format!(
            "Why: same code ({}) and class (expense) as the group account.",
            text(&renamed, "code")
        )),
        "{}",
        page.body
    );
    let page = client
        .get(&format!(
            "/groups/{group_id}/mappings?entity={wattle}&q={new_code}"
        ))
        .await;
    assert_eq!(shown(&page), BTreeSet::from([key(&recoded)]));
    assert!(
        page.body
            .contains("Why: same name and class (expense) as the group account."),
        "{}",
        page.body
    );
    assert!(!page.body.contains("Why: same code"));
}

async fn saving_mappings_confirms_only_ticked_or_changed_rows(backend: Backend) {
    let (mut g, token) = suggested_group(backend).await;
    let group_id = g.group.id;
    let wattle = entity_id(&g, "Wattle Trading").await;
    let path = format!("/groups/{group_id}/mappings");
    let before = g.s.app.store().mappings(group_id).await.unwrap();
    let audits = audit_count(&g).await;
    let rows = mappings(&g, &token).await;
    let all_suggested = with_status(&rows, "suggested").len();
    let filter = format!("status=suggested&entity={wattle}");

    // Saved as shown, nothing ticked: nothing is confirmed or written.
    let page = g.s.app.client.get(&format!("{path}?{filter}")).await;
    let shown_rows = shown(&page);
    assert_eq!(shown_rows.len(), 36, "{}", page.body);
    let table = page.form_with("id=\"mapping-table\"");
    assert!(table.fields.iter().all(|(k, _)| !k.starts_with("confirm.")));
    let done = post(&mut g.s.app.client, &path, &table).await;
    assert_eq!(done.status, 303, "{}", done.body);
    let back = done.location().unwrap().to_string();
    assert!(back.contains("saved=0&"), "{back}");
    assert!(
        back.contains(&format!("q=&status=suggested&entity={wattle}&page=1")),
        "the filter and page are kept: {back}"
    );
    assert_eq!(g.s.app.store().mappings(group_id).await.unwrap(), before);
    assert_eq!(audit_count(&g).await, audits, "nothing to audit");
    let page = g.s.app.client.get(&back).await;
    assert!(page.body.contains("Nothing changed"), "{}", page.body);
    assert_eq!(shown(&page), shown_rows);

    // One row ticked, another given another group account, the rest left.
    let [ticked, changed] = [0, 1].map(|i| {
        let k = shown_rows.iter().nth(i).unwrap();
        row(&rows, k).clone()
    });
    let other_account = *chart(&g, &token)
        .await
        .keys()
        .find(|v| Some(**v) != changed["group_account_id"].as_i64())
        .unwrap();
    let mut table = page.form_with("id=\"mapping-table\"");
    let tick = |a: &Value| key(a).replacen("map.", "confirm.", 1);
    table.set(&tick(&ticked), "1");
    table.set(&key(&changed), &other_account.to_string());
    let done = post(&mut g.s.app.client, &path, &table).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert!(
        done.location()
            .unwrap()
            .contains("saved=2&confirmed=2&removed=0&"),
        "{:?}",
        done.location()
    );
    let after = mappings(&g, &token).await;
    let t = row(&after, &key(&ticked));
    assert_eq!(t["status"], "confirmed");
    assert_eq!(t["group_account_id"], ticked["group_account_id"]);
    let c = row(&after, &key(&changed));
    assert_eq!(c["status"], "confirmed", "a changed select is a decision");
    assert_eq!(c["group_account_id"], json!(other_account));
    assert_eq!(
        with_status(&after, "suggested").len(),
        all_suggested - 2,
        "every other suggestion is still waiting"
    );
    let (action, detail) = last_audit(&g, "mappings.").await;
    assert_eq!(action, "mappings.set");
    assert!(detail.starts_with("2 changes: "), "{detail}");
    assert_eq!(
        detail.matches("(confirmed)").count() + detail.matches(": confirmed").count(),
        2,
        "{detail}"
    );
    for a in [&ticked, &changed] {
        assert!(detail.contains(&label(a)), "{} in {detail}", label(a));
    }

    // Unticking a confirmed row makes it a suggestion again, with its
    // group account.
    let page =
        g.s.app
            .client
            .get(&format!("{path}?status=confirmed&entity={wattle}"))
            .await;
    assert_eq!(shown(&page), BTreeSet::from([key(&ticked), key(&changed)]));
    let mut table = page.form_with("id=\"mapping-table\"");
    assert_eq!(
        table.get(&tick(&ticked)),
        Some("1"),
        "confirmed rows are ticked"
    );
    table.remove(&tick(&ticked));
    let done = post(&mut g.s.app.client, &path, &table).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert!(
        done.location()
            .unwrap()
            .contains("saved=1&confirmed=0&removed=0&")
    );
    let after = mappings(&g, &token).await;
    let t = row(&after, &key(&ticked));
    assert_eq!(t["status"], "suggested");
    assert_eq!(t["group_account_id"], ticked["group_account_id"]);
    assert_eq!(row(&after, &key(&changed))["status"], "confirmed");

    // "Not mapped" on a ticked row is refused; unticked, it removes the
    // saved mapping.
    let page =
        g.s.app
            .client
            .get(&format!("{path}?status=confirmed&entity={wattle}"))
            .await;
    let stored = g.s.app.store().mappings(group_id).await.unwrap();
    let mut table = page.form_with("id=\"mapping-table\"");
    table.set(&key(&changed), "");
    let refused = post(&mut g.s.app.client, &path, &table).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused
            .body
            .contains("choose a group account to confirm it"),
        "{}",
        refused.body
    );
    assert_eq!(g.s.app.store().mappings(group_id).await.unwrap(), stored);
    table.remove(&tick(&changed));
    let done = post(&mut g.s.app.client, &path, &table).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert!(
        done.location()
            .unwrap()
            .contains("saved=0&confirmed=0&removed=1&")
    );
    let left = g.s.app.store().mappings(group_id).await.unwrap();
    assert_eq!(left.len(), stored.len() - 1);
    assert!(
        !left
            .iter()
            .any(|m| m.account_id == text(&changed, "account_id")),
        "the mapping is gone"
    );
    assert_ne!(
        row(&mappings(&g, &token).await, &key(&changed))["status"],
        "confirmed"
    );
    let (_, detail) = last_audit(&g, "mappings.").await;
    assert!(
        detail.contains(&format!("{}: mapping to ", label(&changed)))
            && detail.ends_with(" removed"),
        "{detail}"
    );
}

async fn bulk_confirm_confirms_exactly_the_filtered_suggestions(backend: Backend) {
    let (mut g, token) = suggested_group(backend).await;
    let group_id = g.group.id;
    let thistle = entity_id(&g, "Thistle & Co").await;
    let path = format!("/groups/{group_id}/mappings");
    let rows = mappings(&g, &token).await;
    let chart = chart(&g, &token).await;
    let suggested_before = with_status(&rows, "suggested").len();

    // One entity's suggestions whose code starts with two given
    // characters (a prefix that a few of them share).
    let of_thistle = |q: &str| {
        keys(rows.iter().filter(|a| {
            a["entity_id"] == thistle && a["status"] == "suggested" && matches_q(a, &chart, q)
        }))
    };
    let prefix = rows
        .iter()
        .filter(|a| a["entity_id"] == thistle)
        .filter_map(|a| text(a, "code").get(..2))
        .find(|p| (2..=5).contains(&of_thistle(p).len()))
        .expect("a code prefix that a few accounts share");
    let query = format!("q={prefix}&status=&entity={thistle}");
    let expected = of_thistle(prefix);
    let n = expected.len();
    let page = g.s.app.client.get(&format!("{path}?{query}")).await;
    assert!(
        page.body
            .contains(&format!("Confirm the {n} suggestions shown")),
        "{}",
        page.body
    );
    let form = page.form_with("action=confirm_all");

    // A form whose suggestions changed since it was shown confirms
    // nothing.
    let mut stale = form.clone();
    stale.set("fingerprint", "0123456789abcdef01234567");
    let refused = post(&mut g.s.app.client, &path, &stale).await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(refused.body.contains("nothing was confirmed"));
    assert_eq!(
        with_status(&mappings(&g, &token).await, "suggested").len(),
        suggested_before
    );

    let done = post(&mut g.s.app.client, &path, &form).await;
    assert_eq!(done.status, 303, "{}", done.body);
    let back = done.location().unwrap().to_string();
    assert!(back.contains(&format!("bulk={n}&{query}&page=1")), "{back}");
    let page = g.s.app.client.get(&back).await;
    assert!(
        page.body.contains(&format!("Confirmed {n} suggestions.")),
        "{}",
        page.body
    );
    let after = mappings(&g, &token).await;
    let now_confirmed: BTreeSet<String> =
        keys(after.iter().filter(|a| {
            a["status"] == "confirmed" && row(&rows, &key(a))["status"] != "confirmed"
        }));
    assert_eq!(now_confirmed, expected, "exactly the filtered suggestions");
    assert_eq!(with_status(&after, "suggested").len(), suggested_before - n);
    for k in &expected {
        assert_eq!(
            row(&after, k)["group_account_id"],
            row(&rows, k)["group_account_id"],
            "confirmed as suggested"
        );
    }

    // A filter over two pages (more than a hundred suggestions match, but
    // not all): every matching suggestion, on both pages, and no other.
    // Kea's own mappings are made suggestions again over the API first, so
    // that there are enough of them.
    let kea = entity_id(&g, "Kea Holdings").await;
    let unconfirm: Vec<Value> = after
        .iter()
        .filter(|a| a["entity_id"] == kea && a["status"] == "confirmed")
        .map(|a| {
            json!({
                "entity_id": a["entity_id"],
                "account_id": a["account_id"],
                "group_account_id": a["group_account_id"],
                "confirmed": false,
            })
        })
        .collect();
    let a = put_json(
        &g.s.app.address,
        &format!("/groups/{group_id}/account-mappings"),
        &token,
        Value::Array(unconfirm),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let rows = mappings(&g, &token).await;
    let waiting = with_status(&rows, "suggested").len();
    let counts: Vec<(String, usize)> = ('a'..='z')
        .chain('0'..='9')
        .map(|c| {
            let q = c.to_string();
            let n = rows
                .iter()
                .filter(|a| a["status"] == "suggested" && matches_q(a, &chart, &q))
                .count();
            (q, n)
        })
        .collect();
    let letter = counts
        .iter()
        .find(|(_, n)| *n > 100 && *n < waiting)
        .map(|(q, _)| q.as_str())
        .unwrap_or_else(|| panic!("no letter in 100 to {waiting} suggestions: {counts:?}"));
    let expected = keys(
        rows.iter()
            .filter(|a| a["status"] == "suggested" && matches_q(a, &chart, letter)),
    );
    let page = g.s.app.client.get(&format!("{path}?q={letter}")).await;
    let first_page = shown(&page);
    assert!(
        expected.iter().any(|k| !first_page.contains(k)),
        "some of the suggestions are on page 2"
    );
    assert!(
        page.body
            .contains(&format!("Confirm the {} suggestions shown", expected.len())),
        "{}",
        page.body
    );
    assert!(page.body.contains("on all 2 pages"));
    assert_eq!(
        next_link(&page.body),
        Some(format!("?q={letter}&status=&entity=&page=2")),
        "the pager keeps the filter"
    );
    let done = post(
        &mut g.s.app.client,
        &path,
        &page.form_with("action=confirm_all"),
    )
    .await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert!(
        done.location()
            .unwrap()
            .contains(&format!("bulk={}&", expected.len()))
    );
    let after = mappings(&g, &token).await;
    let now_confirmed =
        keys(after.iter().filter(|a| {
            a["status"] == "confirmed" && row(&rows, &key(a))["status"] != "confirmed"
        }));
    assert_eq!(now_confirmed, expected);
    let (action, detail) = last_audit(&g, "mappings.").await;
    assert_eq!(action, "mappings.set");
    assert!(
        detail.starts_with(&format!("{} changes: ", expected.len())),
        "{detail}"
    );
    assert_eq!(detail.matches(": confirmed").count(), 20, "{detail}");
    assert!(detail.ends_with(&format!("and {} more changes", expected.len() - 20)));

    // The table of page 2, saved as shown, keeps the filter and the page.
    let page =
        g.s.app
            .client
            .get(&format!("{path}?q={letter}&page=2"))
            .await;
    let table = page.form_with("id=\"mapping-table\"");
    assert_eq!(table.get("page"), Some("2"));
    let done = post(&mut g.s.app.client, &path, &table).await;
    assert!(
        done.location()
            .unwrap()
            .ends_with(&format!("q={letter}&status=&entity=&page=2")),
        "{:?}",
        done.location()
    );
}

// ---------------------------------------------------- intercompany contacts

fn contacts(v: &Value, list: &str) -> Vec<Value> {
    v[list].as_array().unwrap().clone()
}

fn is_contact(c: &Value, other: &Value) -> bool {
    c["entity_id"] == other["entity_id"] && c["contact_id"] == other["contact_id"]
}

/// The form of a page that does `action` to a contact.
fn contact_form(page: &Page, action: &str, contact_id: &str) -> Form {
    page.forms()
        .into_iter()
        .find(|f| f.get("action") == Some(action) && f.get("contact_id") == Some(contact_id))
        .unwrap_or_else(|| panic!("no {action} form for {contact_id}: {}", page.body))
}

async fn a_contact_marked_not_intercompany_stays_so(backend: Backend) {
    let (mut g, token) = suggested_group(backend).await;
    let group_id = g.group.id;
    let wattle = entity_id(&g, "Wattle Trading").await;
    let path = format!("/groups/{group_id}/intercompany");
    let view = api(&g, &token, "intercompany-contacts").await;
    let all = contacts(&view, "suggested");
    let mine: Vec<&Value> = all.iter().filter(|c| c["entity_id"] == wattle).collect();
    assert!(mine.len() >= 2 && mine.len() < all.len());
    let no = mine[0].clone();
    let contact_id = text(&no, "contact_id").to_string();

    // One entity at a time: only Wattle's suggestions on its page.
    let page = g.s.app.client.get(&format!("{path}?entity={wattle}")).await;
    assert_eq!(page.status, 200);
    let forms = page.forms();
    let confirms = forms
        .iter()
        .filter(|f| f.get("action") == Some("confirm"))
        .count();
    assert_eq!(confirms, mine.len());
    assert!(
        forms
            .iter()
            .filter_map(|f| f.get("entity_id"))
            .all(|e| e == wattle.to_string()),
        "only Wattle's contacts"
    );
    assert!(page.body.contains(&format!(
        "<option value=\"{wattle}\" selected>Wattle Trading ({} to review)</option>",
        mine.len()
    )));
    let everyone = g.s.app.client.get(&path).await;
    let confirms = everyone
        .forms()
        .iter()
        .filter(|f| f.get("action") == Some("confirm"))
        .count();
    assert_eq!(confirms, all.len(), "all entities without the filter");

    // Not intercompany: gone from the suggestions, listed as rejected,
    // audited by name.
    let done = post(
        &mut g.s.app.client,
        &path,
        &contact_form(&page, "reject", &contact_id),
    )
    .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let back = done.location().unwrap().to_string();
    assert!(
        back.contains(&format!("did=reject&n=1&entity={wattle}")),
        "{back}"
    );
    let check_rejected = |view: &Value| {
        assert!(
            !contacts(view, "suggested")
                .iter()
                .any(|c| is_contact(c, &no)),
            "not suggested: {view}"
        );
        assert!(
            !contacts(view, "confirmed")
                .iter()
                .any(|c| is_contact(c, &no)),
            "not confirmed: {view}"
        );
        let r = contacts(view, "rejected");
        assert_eq!(r.len(), 1, "{view}");
        assert!(is_contact(&r[0], &no));
        assert_eq!(r[0]["rejected"], true);
        assert_eq!(r[0]["counterpart_entity_id"], no["counterpart_entity_id"]);
    };
    check_rejected(&api(&g, &token, "intercompany-contacts").await);
    let page = g.s.app.client.get(&back).await;
    assert!(
        page.body.contains("Marked 1 contact as not intercompany"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Not intercompany (1)"));
    let (action, detail) = last_audit(&g, "intercompany_contacts.").await;
    assert_eq!(action, "intercompany_contacts.reject");
    for name in [
        text(&no, "entity_name"),
        text(&no, "contact_name"),
        text(&no, "counterpart_name"),
    ] {
        assert!(detail.contains(name), "{name} in {detail}");
    }
    assert!(detail.contains("not intercompany"), "{detail}");

    // A new sync, then the suggestions applied and confirmed: still
    // rejected, and never eliminated.
    sync_again(&g, SyncKind::Full).await;
    check_rejected(&api(&g, &token, "intercompany-contacts").await);
    consolidation::apply_suggestions(g.s.app.store(), &g.group, true, Some(g.user_id), Utc::now())
        .await
        .unwrap();
    let view = api(&g, &token, "intercompany-contacts").await;
    check_rejected(&view);
    assert_eq!(contacts(&view, "confirmed").len(), all.len() - 1);
    assert_eq!(contacts(&view, "suggested"), Vec::<Value>::new());
    let last = Month::of(Utc::now().date_naive()).prev();
    let data = consolidation::load(
        g.s.app.store(),
        &g.group,
        MonthRange::new(last.plus(-11), last).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(data.intercompany_contacts.len(), all.len() - 1);
    assert!(
        !data
            .intercompany_contacts
            .iter()
            .any(|c| c.contact_id == contact_id)
    );
    assert!(
        !data.invoices.iter().any(|i| i.contact_id == contact_id),
        "its invoices are not eliminated"
    );

    // Restored: a suggestion again.
    let page = g.s.app.client.get(&format!("{path}?entity={wattle}")).await;
    let done = post(
        &mut g.s.app.client,
        &path,
        &contact_form(&page, "restore", &contact_id),
    )
    .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let view = api(&g, &token, "intercompany-contacts").await;
    assert_eq!(contacts(&view, "rejected"), Vec::<Value>::new());
    let s = contacts(&view, "suggested");
    assert_eq!(s.len(), 1);
    assert!(is_contact(&s[0], &no));
    assert_eq!(
        last_audit(&g, "intercompany_contacts.").await.0,
        "intercompany_contacts.restore"
    );

    // The API marks one too (`rejected: true`), and refuses a contact both
    // confirmed and rejected, or a rejected that is not a boolean.
    let api_path = format!("/groups/{group_id}/intercompany-contacts");
    let base = g.s.app.address.clone();
    let row = |extra: Value| {
        let mut r = json!({
            "entity_id": no["entity_id"],
            "contact_id": no["contact_id"],
            "counterpart_entity_id": no["counterpart_entity_id"],
        });
        r.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        r
    };
    let a = put_json(
        &base,
        &api_path,
        &token,
        json!([
            row(json!({"rejected": true, "confirmed": true})),
            row(json!({"rejected": "yes"}))
        ]),
    )
    .await;
    assert_eq!(a.bad_rows(), vec![1, 2]);
    assert!(
        a.body.contains("rejected must be true or false"),
        "{}",
        a.body
    );
    let a = put_json(
        &base,
        &api_path,
        &token,
        json!([row(json!({"rejected": true}))]),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    check_rejected(&a.json());
}

async fn an_added_contact_is_eliminated(backend: Backend) {
    let (mut g, token) = suggested_group(backend).await;
    let group_id = g.group.id;
    let store = g.s.app.store().clone();
    let path = format!("/groups/{group_id}/intercompany");
    let kea = entity_id(&g, "Kea Holdings").await;
    let wattle = entity_id(&g, "Wattle Trading").await;
    let kea_org = store
        .entities_for_group(group_id)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.id == kea)
        .unwrap()
        .organisation_id;
    assert_eq!(eliminations(&store, &g.group).await, Decimal::ZERO);
    let stored_before = store.intercompany_contacts(group_id).await.unwrap();

    // A customer of Kea that Consol does not suggest, with sales in NZD
    // (Kea's currency, so the amounts eliminated are the lines' own).
    let last = Month::of(Utc::now().date_naive()).prev();
    let (from, to) = (last.plus(-11).first_day(), last.last_day());
    let suggested = contacts(&api(&g, &token, "intercompany-contacts").await, "suggested");
    let mut chosen = None;
    for c in store.contacts_of(kea_org).await.unwrap() {
        if suggested
            .iter()
            .any(|s| s["contact_id"] == c.contact_id.as_str())
        {
            continue;
        }
        let invoices = store
            .invoices_with_contacts(kea_org, std::slice::from_ref(&c.contact_id), from, to)
            .await
            .unwrap();
        let posted: Vec<_> = invoices
            .iter()
            .filter(|i| matches!(i.status.as_str(), "AUTHORISED" | "PAID"))
            .collect();
        if !posted.is_empty()
            && posted
                .iter()
                .all(|i| i.invoice_type == "ACCREC" && i.currency_code == "NZD")
        {
            let net: Decimal = posted
                .iter()
                .flat_map(|i| i.lines.iter().map(move |l| (i, l)))
                .map(|(i, l)| {
                    // The demo's lines all carry both amounts.
                    let line = l.line_amount.expect("a line amount");
                    if i.line_amount_types == "Inclusive" {
                        line - l.tax_amount.expect("a tax amount")
                    } else {
                        line
                    }
                })
                .sum();
            chosen = Some((c, net));
            break;
        }
    }
    let (customer, net) = chosen.expect("a customer of Kea with sales in NZD");
    assert!(net > Decimal::ZERO);

    // The add form is on the entity's page only.
    let everyone = g.s.app.client.get(&path).await;
    assert!(everyone.body.contains("Choose an entity above to add"));
    let page = g.s.app.client.get(&format!("{path}?entity={kea}")).await;
    let mut add = page.form_with("action=add");
    assert_eq!(add.get("entity_id"), Some(kea.to_string().as_str()));
    assert!(
        page.body.contains(&format!(
            "<option value=\"{}\">{}</option>",
            customer.contact_id,
            customer.name.replace('&', "&amp;")
        )),
        "the customer is offered"
    );
    // A contact of another entity is refused, and nothing is stored.
    let wattle_contact = store
        .contacts_of(
            store
                .entities_for_group(group_id)
                .await
                .unwrap()
                .into_iter()
                .find(|e| e.id == wattle)
                .unwrap()
                .organisation_id,
        )
        .await
        .unwrap()
        .remove(0);
    add.set("contact_id", &wattle_contact.contact_id);
    add.set("counterpart_entity_id", &wattle.to_string());
    let refused = post(&mut g.s.app.client, &path, &add).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("is not a contact of Kea Holdings"));
    assert_eq!(
        store.intercompany_contacts(group_id).await.unwrap(),
        stored_before
    );

    add.set("contact_id", &customer.contact_id);
    let done = post(&mut g.s.app.client, &path, &add).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert!(
        done.location()
            .unwrap()
            .contains(&format!("did=add&n=1&entity={kea}"))
    );
    let confirmed = contacts(&api(&g, &token, "intercompany-contacts").await, "confirmed");
    assert_eq!(confirmed.len(), 1);
    assert_eq!(confirmed[0]["contact_id"], customer.contact_id.as_str());
    assert_eq!(confirmed[0]["counterpart_entity_id"], json!(wattle));
    // Its sales are removed in full from the group's profit.
    assert_eq!(eliminations(&store, &g.group).await, -net);
    let (action, detail) = last_audit(&g, "intercompany_contacts.").await;
    assert_eq!(action, "intercompany_contacts.add");
    assert_eq!(
        detail,
        format!(
            "1 contact: Kea Holdings: contact “{}” is Wattle Trading, confirmed",
            customer.name
        )
    );
}

async fn review_forms_need_the_csrf_token_and_the_editor_role(backend: Backend) {
    let (mut g, token) = suggested_group(backend).await;
    let group_id = g.group.id;
    let store = g.s.app.store().clone();
    let kea = entity_id(&g, "Kea Holdings").await;
    let viewer_id = create_user(&store, "viewer@example.com", "a viewer's password").await;
    store
        .set_member(
            group_id,
            viewer_id,
            GroupRole::Viewer,
            Some(g.user_id),
            Utc::now(),
        )
        .await
        .unwrap();
    create_user(&store, "stranger@example.com", "a stranger's password").await;
    let mut viewer = g.s.app.new_client();
    login(&mut viewer, "viewer@example.com", "a viewer's password").await;
    let viewer_csrf = session_csrf(&mut viewer).await;
    let mut stranger = g.s.app.new_client();
    login(
        &mut stranger,
        "stranger@example.com",
        "a stranger's password",
    )
    .await;
    let stranger_csrf = session_csrf(&mut stranger).await;

    // Viewers see the pages without anything to change.
    let mappings_path = format!("/groups/{group_id}/mappings");
    let ic_path = format!("/groups/{group_id}/intercompany");
    let page = viewer
        .get(&format!("{mappings_path}?status=suggested"))
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Why: same code"), "they see why");
    assert!(!page.body.contains("name=\"confirm."));
    assert!(!page.body.contains("confirm_all"));
    let page = viewer.get(&format!("{ic_path}?entity={kea}")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Suggested for Kea Holdings"));
    assert!(!page.body.contains("Not intercompany</button>"));
    assert!(!page.body.contains("id=\"add-contact\""));
    for path in [&mappings_path, &ic_path] {
        assert_eq!(stranger.get(path).await.status, 404);
    }

    // The editor's forms, each with something to change.
    let page =
        g.s.app
            .client
            .get(&format!("{mappings_path}?status=suggested"))
            .await;
    // (Confirming the suggestions shown comes first, so that the save after
    // it changes a group account rather than confirm a confirmed row.)
    let confirm_shown = page.form_with("action=confirm_all");
    let mut save = page.form_with("id=\"mapping-table\"");
    let first = shown(&page).into_iter().next().unwrap();
    let current: i64 = save.get(&first).unwrap().parse().unwrap();
    let other = *chart(&g, &token)
        .await
        .keys()
        .find(|id| **id != current)
        .unwrap();
    save.set(&first, &other.to_string());
    // The save as the page shows it once the suggestions are confirmed: the
    // page loaded before that is stale for the row, and refused (409).
    let mut save_after_confirm = save.clone();
    save_after_confirm.set(&first.replacen("map.", "was.", 1), &format!("{current}|1"));
    let page = g.s.app.client.get(&format!("{ic_path}?entity={kea}")).await;
    let reject = page
        .forms()
        .into_iter()
        .find(|f| f.get("action") == Some("reject"))
        .unwrap();
    let mut add = page.form_with("action=add");
    let customer = page
        .body
        .split("<select name=\"contact_id\" required>")
        .nth(1)
        .and_then(|s| s.split("<option value=\"").nth(2))
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    add.set("contact_id", &customer);
    let confirm_all = page.form_with("action=confirm_all");
    let forms = [
        (&mappings_path, confirm_shown),
        (&mappings_path, save),
        (&ic_path, confirm_all),
        (&ic_path, reject),
        (&ic_path, add),
    ];

    let mappings_before = store.mappings(group_id).await.unwrap();
    let contacts_before = store.intercompany_contacts(group_id).await.unwrap();
    let audits = audit_count(&g).await;
    for (path, form) in &forms {
        let what = format!("{path} {:?}", form.get("action"));
        let mut without = form.clone();
        without.remove("csrf_token");
        let p = post(&mut g.s.app.client, path, &without).await;
        assert_eq!(p.status, 403, "no token: {what}");
        let mut wrong = form.clone();
        wrong.set("csrf_token", &viewer_csrf);
        let p = post(&mut g.s.app.client, path, &wrong).await;
        assert_eq!(p.status, 403, "another session's token: {what}");
        let mut as_viewer = form.clone();
        as_viewer.set("csrf_token", &viewer_csrf);
        let p = post(&mut viewer, path, &as_viewer).await;
        assert_eq!(p.status, 403, "a viewer: {what}");
        let mut as_stranger = form.clone();
        as_stranger.set("csrf_token", &stranger_csrf);
        let p = post(&mut stranger, path, &as_stranger).await;
        assert_eq!(p.status, 404, "not a member: {what}");
    }
    assert_eq!(store.mappings(group_id).await.unwrap(), mappings_before);
    assert_eq!(
        store.intercompany_contacts(group_id).await.unwrap(),
        contacts_before
    );
    assert_eq!(audit_count(&g).await, audits);

    // The same forms with the editor's own token do change things.
    for (path, form) in &forms {
        let form = if form.tag.contains("id=\"mapping-table\"") {
            &save_after_confirm
        } else {
            form
        };
        let p = post(&mut g.s.app.client, path, form).await;
        assert_eq!(p.status, 303, "{path} {:?}: {}", form.get("action"), p.body);
    }
    assert_ne!(store.mappings(group_id).await.unwrap(), mappings_before);
    assert_eq!(audit_count(&g).await, audits + forms.len());
}

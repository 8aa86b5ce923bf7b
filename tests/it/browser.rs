//! The month-end review in a real headless Chromium: first run, a group,
//! Xero's consent page, a sync, the consolidated P&L, a period change, the
//! Excel download read back, and a cell's provenance. Screenshots land in
//! `target/screenshots/`.

use std::str::FromStr;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use rust_decimal::Decimal;

use consol::shutdown;
use consol::sim::http::{DataChoice, SimConfig};

use crate::helpers::{
    Backend, SyncedGroup, set_up_like_the_demo, spawn_with_sim_config, synced_demo_group,
};
use crate::webdriver::Browser;

#[tokio::test]
async fn a_finance_user_does_the_month_end_review_in_a_browser() {
    // Consent is given on the simulator's consent page, as at Xero.
    let s = spawn_with_sim_config(
        Backend::Sqlite,
        SimConfig {
            data: DataChoice::Demo,
            auto_approve: false,
            ..SimConfig::default()
        },
    )
    .await;
    let (_trigger, stop) = shutdown::channel();
    tokio::spawn(consol::sync::worker(s.app.store().clone(), s.xero.clone()).run(stop));
    let app = s.app.address.clone();
    let b = Browser::start().await;

    // First run: the operator, with the set-up code from the server's log,
    // creates the administrator.
    let code = consol::auth::setup_code::issue(s.app.store(), chrono::Utc::now())
        .await
        .unwrap();
    b.goto(&format!("{app}/")).await;
    b.wait_for("input[name=password_confirm]").await;
    b.type_into("input[name=setup_code]", &code).await;
    b.type_into("input[name=email]", "cfo@example.com").await;
    b.type_into("input[name=name]", "Chief Financial Officer")
        .await;
    b.type_into("input[name=password]", "a long month-end password")
        .await;
    b.type_into("input[name=password_confirm]", "a long month-end password")
        .await;
    b.screenshot("01-first-run").await;
    b.click("button[type=submit]").await;

    // A group.
    b.wait_for("input[name=presentation_currency]").await;
    b.type_into("form[action='/groups'] input[name=name]", "Kea Group")
        .await;
    b.type_into("input[name=presentation_currency]", "NZD")
        .await;
    b.click("form[action='/groups'] button[type=submit]").await;
    b.wait_for("a[href^='/connect/xero']").await;

    // Connect Xero: Consol sends the browser to the consent page.
    b.click("a.button.primary[href^='/connect/xero']").await;
    // A GET only shows the form; its button starts the consent.
    b.wait_for("form#connect-xero button[type=submit]").await;
    b.click("form#connect-xero button[type=submit]").await;
    b.wait_for("button[value=allow]").await;
    b.screenshot("02-xero-consent").await;
    b.click("button[value=allow]").await;
    b.wait_for("#entities").await;
    let entities = b.text("#entities").await;
    for name in [
        "Kea Holdings",
        "Wattle Trading",
        "Thistle & Co",
        "Redwood Supply",
    ] {
        assert!(entities.contains(name), "{entities}");
    }

    // Sync now, and watch every entity finish in the page: slow Xero calls
    // keep the progress bars on screen long enough to see them move.
    s.control(
        "POST",
        "/_sim/faults",
        Some(serde_json::json!({"latency_ms": 300})),
    )
    .await;
    b.click("form[action$='/sync'] button").await;
    let group_id: i64 = b
        .url()
        .await
        .split("/groups/")
        .nth(1)
        .and_then(|r| r.split(['?', '/']).next())
        .and_then(|id| id.parse().ok())
        .expect("on the group page");
    b.wait_for(".sync-progress progress").await;
    b.execute("document.getElementById('entities').scrollIntoView();")
        .await;
    b.screenshot("02b-sync-progress").await;
    let bars = "return document.querySelectorAll('.sync-progress').length;";
    let mut seen_moving = false;
    let mut page = String::new();
    for _ in 0..240 {
        let moving = b
            .execute("return document.querySelectorAll('.sync-progress[data-live]').length > 0;")
            .await;
        seen_moving |= moving == serde_json::json!(true);
        if b.execute(bars).await.as_u64() == Some(0) {
            page = b.text("#entities").await;
            if page.matches(" calls").count() == 5 {
                break;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert!(seen_moving, "the progress bars followed the runs");
    assert_eq!(
        page.matches(" calls").count(),
        5,
        "the page reloaded itself with each entity's finished run: {page}"
    );
    s.control("DELETE", "/_sim/faults", None).await;
    let runs = s.app.store().latest_runs_for_group(group_id).await.unwrap();
    let states: Vec<(String, Option<String>)> = runs
        .iter()
        .map(|r| (r.state.clone(), r.error.clone()))
        .collect();
    assert!(
        runs.len() == 5 && runs.iter().all(|r| r.state == "succeeded"),
        "every sync succeeded: {states:?}"
    );

    // Set the group up the way the demo does, then review.
    let uid = crate::helpers::user_id(s.app.store(), "cfo@example.com").await;
    let group = s
        .app
        .store()
        .groups_for_user(uid)
        .await
        .unwrap()
        .remove(0)
        .0;
    set_up_like_the_demo(s.app.store(), &group, uid).await;
    // Intercompany contacts are left for the user to confirm in the page.
    let mut contacts = s.app.store().intercompany_contacts(group.id).await.unwrap();
    for c in &mut contacts {
        c.confirmed = false;
    }
    s.app
        .store()
        .set_intercompany_contacts(group.id, &contacts, Some(uid), chrono::Utc::now())
        .await
        .unwrap();
    let confirmed = || async {
        s.app
            .store()
            .intercompany_contacts(group.id)
            .await
            .unwrap()
            .iter()
            .filter(|c| c.confirmed)
            .count()
    };
    b.goto(&format!("{app}/groups/{}/intercompany", group.id))
        .await;
    b.wait_for("#suggested").await;
    b.click("#suggested button.link").await;
    b.wait_for("#confirmed").await;
    assert_eq!(confirmed().await, 1, "one contact confirmed from the page");
    b.click("input[value=confirm_all] + button").await;
    b.wait_for("#confirmed").await;
    b.screenshot("06-intercompany-contacts").await;
    assert_eq!(confirmed().await, contacts.len(), "all confirmed");

    // The review pages of one entity, at 1280 pixels and on a tablet: wide
    // tables scroll inside their box, never the page.
    let entity = s
        .app
        .store()
        .entities_for_group(group.id)
        .await
        .unwrap()
        .into_iter()
        .find(|e| !e.is_parent)
        .unwrap()
        .id;
    for (width, suffix) in [(1280, ""), (800, "-tablet")] {
        b.set_window_size(width, 1000).await;
        b.goto(&format!(
            "{app}/groups/{}/mappings?entity={entity}&q=4",
            group.id
        ))
        .await;
        b.wait_for("#mappings input[type=checkbox]:checked").await;
        b.screenshot(&format!("06b-mappings{suffix}")).await;
        assert!(!b.overflows().await, "mappings at {width} pixels");
        b.goto(&format!(
            "{app}/groups/{}/intercompany?entity={entity}",
            group.id
        ))
        .await;
        b.wait_for("#add-contact select[name=contact_id]").await;
        b.screenshot(&format!("06c-intercompany-entity{suffix}"))
            .await;
        assert!(!b.overflows().await, "intercompany at {width} pixels");
    }
    b.set_window_size(1280, 1000).await;
    // Rates from a CSV file: the file is read into the box, then saved.
    let csv_file = b.downloads.join("rates.csv");
    std::fs::write(
        &csv_file,
        "currency,month,average,closing\nJPY,2026-01,0.0109,0.0111\n",
    )
    .unwrap();
    b.goto(&format!("{app}/groups/{}/rates", group.id)).await;
    b.wait_for("#rates-file").await;
    b.choose_file("#rates-file", &csv_file).await;
    let mut boxed = String::new();
    for _ in 0..50 {
        boxed = b
            .execute("return document.querySelector('textarea.csv-input').value;")
            .await
            .as_str()
            .unwrap_or_default()
            .to_string();
        if !boxed.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(boxed.contains("JPY,2026-01,0.0109,0.0111"), "{boxed:?}");
    b.click("form[action$='/rates'] button[type=submit]").await;
    b.wait_for(".alert-ok").await;
    b.screenshot("08-fx-rates").await;
    let jpy = s
        .app
        .store()
        .fx_rates(group.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.currency.as_str() == "JPY")
        .count();
    assert_eq!(jpy, 1, "the rate from the file is stored");

    b.goto(&format!("{app}/groups/{}", group.id)).await;
    b.wait_for("#kpis").await;
    b.screenshot("03-dashboard").await;

    b.goto(&format!(
        "{app}/groups/{}/reports/profit-and-loss",
        group.id
    ))
    .await;
    b.wait_for("#pnl").await;
    b.screenshot("04-consolidated-pnl").await;
    assert!(b.text("#pnl").await.contains("Net Profit"));

    // Change the period to last month with the picker: choosing it shows it.
    let last = consol::domain::Month::of(chrono::Utc::now().date_naive()).prev();
    b.execute(&format!(
        "const s = document.querySelector('#period-picker select[name=period]');
         s.value = '{last}:{last}';
         s.dispatchEvent(new Event('change'));"
    ))
    .await;
    let mut shown = String::new();
    for _ in 0..100 {
        shown = b.url().await;
        if shown.contains("period=") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        shown.contains(&format!("period={last}%3A{last}")),
        "{shown}"
    );
    b.wait_for("#pnl").await;
    assert!(b.page().await.contains(&format!("{last} to {last}")));

    // Download the Excel file from the page and read it back: its Net
    // Profit row equals the page's, column by column.
    let html_net_profit = b
        .execute(
            "const row = [...document.querySelectorAll('#pnl tbody tr')]
               .find(r => r.cells.length > 1 && r.cells[0].textContent.trim() === 'Net Profit');
             const heads = [...document.querySelectorAll('#pnl thead th')].slice(1);
             return heads.map((h, i) => [h.textContent.trim(), row.cells[i + 1].textContent.trim()]);",
        )
        .await;
    let html_net_profit: Vec<(String, String)> = serde_json::from_value(html_net_profit).unwrap();
    assert!(
        html_net_profit.len() >= 6,
        "entities, eliminations and consolidated: {html_net_profit:?}"
    );
    b.click("a[href*='format=xlsx']").await;
    let file = b
        .downloaded(&format!("consolidated-pnl-{last}-{last}.xlsx"))
        .await;
    let mut book: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(file)).unwrap();
    let sheet = book
        .worksheet_range(consol::export::xlsx::PNL_SHEET)
        .unwrap();
    let header = consol::export::xlsx::PNL_HEADER_ROW;
    let (last_row, last_col) = sheet.end().expect("a non-empty sheet");
    let row = (header + 1..=last_row)
        .find(|r| sheet.get_value((*r, 1)) == Some(&Data::String("Net Profit".into())))
        .expect("a Net Profit row in the workbook");
    for (name, shown) in &html_net_profit {
        let col = (2..=last_col)
            .find(|c| sheet.get_value((header, *c)) == Some(&Data::String(name.clone())))
            .unwrap_or_else(|| panic!("no column {name} in the workbook"));
        let in_excel = match sheet.get_value((row, col)) {
            Some(Data::Float(f)) => Decimal::from_str(&format!("{f:.2}")).unwrap(),
            Some(Data::Int(i)) => Decimal::from(*i),
            other => panic!("{name}: not a number: {other:?}"),
        };
        let places = shown.split_once('.').map_or(0, |(_, f)| {
            f.chars().filter(char::is_ascii_digit).count() as u32
        });
        assert_eq!(
            consol::web::format::accounting(in_excel, places),
            *shown,
            "Net Profit, {name}: Excel has {in_excel}"
        );
    }

    // Fold the first section to its total, then unfold everything.
    let shown =
        "return [...document.querySelectorAll('#pnl tr.account')].filter(r => !r.hidden).length;";
    let all = b.execute(shown).await.as_u64().unwrap();
    b.click("#pnl button.fold").await;
    let folded = b.execute(shown).await.as_u64().unwrap();
    assert!(folded < all, "{folded} of {all} account rows still shown");
    let total_hidden = b
        .execute("return document.querySelector('#pnl tr.total[data-section=\"1\"]').hidden;")
        .await;
    assert_eq!(
        total_hidden,
        serde_json::json!(false),
        "the section's total stays"
    );
    b.screenshot("07-pnl-folded").await;
    b.click(".fold-all button:last-child").await;
    assert_eq!(b.execute(shown).await.as_u64().unwrap(), all);

    // Open the provenance of an elimination.
    b.click("a.cell[href*='column=eliminations']").await;
    b.wait_for("#eliminations").await;
    b.screenshot("05-provenance").await;
    assert!(b.text("#eliminations").await.contains("ACC"));

    b.quit().await;
}

/// Signs in through the login page, then opens the pages of a month-end
/// review on a tablet (768 × 1024, portrait): none scrolls the page
/// sideways (wide tables scroll in their own box), and each is kept as a
/// screenshot.
#[tokio::test]
async fn the_review_pages_fit_a_tablet() {
    let SyncedGroup { s, group, user_id } = synced_demo_group(Backend::Sqlite).await;
    set_up_like_the_demo(s.app.store(), &group, user_id).await;
    let app = s.app.address.clone();
    let b = Browser::start().await;
    b.goto(&format!("{app}/groups/{}", group.id)).await;
    b.wait_for("input[name=password]").await;
    b.type_into("input[name=email]", "fin@example.com").await;
    b.type_into("input[name=password]", "finance team pw").await;
    b.click("form[action='/login'] button[type=submit]").await;
    b.wait_for("#kpis").await;
    assert!(
        b.url().await.ends_with(&format!("/groups/{}", group.id)),
        "back on the page asked for"
    );

    b.set_window_size(768, 1024).await;
    let id = group.id;
    let pages = [
        ("dashboard", format!("/groups/{id}"), "#kpis"),
        (
            "pnl",
            format!("/groups/{id}/reports/profit-and-loss?compare=last_year"),
            "#pnl",
        ),
        (
            "provenance",
            format!("/groups/{id}/reports/cell?line=total%3Aincome&column=eliminations"),
            "#parts",
        ),
        (
            "reconciliation",
            format!("/groups/{id}/reports/intercompany"),
            "#matrix",
        ),
        ("mappings", format!("/groups/{id}/mappings"), "table"),
        ("rates", format!("/groups/{id}/rates"), "table"),
        ("intercompany", format!("/groups/{id}/intercompany"), "h1"),
        ("members", format!("/groups/{id}/members"), "table"),
        ("audit", format!("/groups/{id}/audit"), "table"),
    ];
    for (name, path, ready) in pages {
        b.goto(&format!("{app}{path}")).await;
        b.wait_for(ready).await;
        b.screenshot(&format!("tablet-{name}")).await;
        assert!(!b.overflows().await, "{name} scrolls sideways on a tablet");
    }
    b.quit().await;
}

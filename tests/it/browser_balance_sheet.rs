//! The consolidated balance sheet page in a real headless Chromium, on the
//! demo group set up as `consol demo` sets it up (an 80% subsidiary, an
//! AUD intercompany loan): at desktop width and on a tablet (768 px), with
//! cells opened from the page. Each opened cell shows the page's figure,
//! and a total's lines add up to it (recomputed here from the cell page's
//! own rows). Screenshots land in `target/screenshots/`.

use rust_decimal::Decimal;

use crate::helpers::{Backend, SyncedGroup, set_up_like_the_demo, synced_demo_group};
use crate::webdriver::Browser;

/// An amount as the page prints it: `(1,234.50)` is negative, `-` zero.
fn amount(text: &str) -> Decimal {
    let t = text.trim();
    if t == "-" || t.is_empty() {
        return Decimal::ZERO;
    }
    let negative = t.starts_with('(');
    let digits: String = t
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let v: Decimal = digits
        .parse()
        .unwrap_or_else(|_| panic!("not an amount: {t}"));
    if negative { -v } else { v }
}

/// Marks the link of the balance sheet's cell at the row labelled `label`
/// and the column headed `heading` as `#pick`, and returns its text.
async fn pick(b: &Browser, label: &str, heading: &str) -> String {
    let found = b
        .execute(&format!(
            "const heads = [...document.querySelectorAll('#balance-sheet thead th')].map(h => h.textContent.trim());
             const col = heads.indexOf({heading:?});
             const row = [...document.querySelectorAll('#balance-sheet tbody tr')]
               .find(r => r.cells.length > 1 && r.cells[0].textContent.trim() === {label:?});
             if (col < 1 || !row) return null;
             const a = row.cells[col].querySelector('a.cell');
             if (!a) return null;
             a.id = 'pick';
             return a.textContent.trim();"
        ))
        .await;
    found
        .as_str()
        .unwrap_or_else(|| panic!("no linked cell at {label} / {heading}"))
        .to_string()
}

#[tokio::test]
async fn the_balance_sheet_page_opens_its_cells_at_desktop_and_tablet_width() {
    let SyncedGroup { s, group, user_id } = synced_demo_group(Backend::Sqlite).await;
    let store = s.app.store();
    set_up_like_the_demo(store, &group, user_id).await;
    consol::demo::demo_balance_sheet_setup(store, &group, Some(user_id))
        .await
        .unwrap();
    let app = s.app.address.clone();
    let page = format!("{app}/groups/{}/reports/balance-sheet", group.id);
    let b = Browser::start().await;
    b.goto(&page).await;
    b.wait_for("input[name=password]").await;
    b.type_into("input[name=email]", "fin@example.com").await;
    b.type_into("input[name=password]", "finance team pw").await;
    b.click("form[action='/login'] button[type=submit]").await;
    b.wait_for("#balance-sheet").await;

    for (width, suffix) in [(1280, "desktop"), (768, "tablet")] {
        b.set_window_size(width, 1000).await;
        b.goto(&page).await;
        b.wait_for("#balance-sheet").await;
        b.screenshot(&format!("bs-page-{suffix}")).await;
        assert!(
            !b.overflows().await,
            "the balance sheet scrolls sideways at {width} px"
        );
        // The table is wider than a tablet, so it scrolls in its own box.
        let boxed = b
            .execute("return document.getElementById('balance-sheet').parentElement.classList.contains('table-wrap');")
            .await;
        assert_eq!(boxed, serde_json::json!(true));

        // Total assets, consolidated: the page's figure, made of lines
        // that add up to it.
        let shown = pick(&b, "Total Assets", "Consolidated").await;
        b.click("#pick").await;
        b.wait_for("#parts").await;
        b.screenshot(&format!("bs-cell-total-{suffix}")).await;
        assert_eq!(b.text("#cell-total").await.trim(), shown);
        let parts = b
            .execute(
                "return [...document.querySelectorAll('#parts tbody tr:not(.total)')]
                   .map(r => [r.cells[1].textContent.trim(), r.cells[2].textContent.trim()]);",
            )
            .await;
        let parts: Vec<(String, String)> = serde_json::from_value(parts).unwrap();
        assert!(parts.len() > 3, "{parts:?}");
        let sum: Decimal = parts
            .iter()
            .map(|(sign, v)| {
                if sign == "less" {
                    -amount(v)
                } else {
                    amount(v)
                }
            })
            .sum();
        assert_eq!(sum, amount(&shown), "{parts:?}");
        assert!(
            !b.overflows().await,
            "the cell page scrolls sideways at {width} px"
        );

        // A line opened from its total: the same figure as on the page.
        b.click("#parts tbody tr:first-child a.cell").await;
        b.wait_for("#cell-total").await;
        assert_eq!(
            b.text("#cell-total").await.trim(),
            parts[0].1,
            "a part opens its own cell"
        );
    }

    // The translation reserve of the 80% subsidiary: its parts, each
    // saying it is a part of the reserve.
    b.goto(&page).await;
    b.wait_for("#balance-sheet").await;
    let shown = pick(&b, "Foreign currency translation reserve", "Thistle & Co").await;
    b.click("#pick").await;
    b.wait_for("#sources").await;
    assert_eq!(b.text("#cell-total").await.trim(), shown);
    let sources = b.text("#sources").await;
    assert!(sources.contains("translation reserve opening"), "{sources}");
    b.screenshot("bs-cell-translation-reserve").await;

    // An eliminations cell: the intercompany loan between Kea Holdings and
    // Wattle Trading, at its closing rate, with the accounts behind it.
    b.goto(&page).await;
    b.wait_for("#balance-sheet").await;
    let shown = pick(&b, "Intercompany difference", "Eliminations").await;
    b.click("#pick").await;
    b.wait_for("#intercompany").await;
    assert_eq!(b.text("#cell-total").await.trim(), shown);
    let ic = b.text("#intercompany").await;
    assert!(ic.contains("Wattle Trading") && ic.contains("AUD"), "{ic}");
    b.screenshot("bs-cell-intercompany").await;
    // The API's cell says the same, intercompany balances included.
    let at = consol::domain::Month::of(chrono::Utc::now().date_naive()).prev();
    b.goto(&format!(
        "{app}/api/v1/groups/{}/reports/balance-sheet/cell?at={at}&line=intercompany_difference&column=eliminations",
        group.id
    ))
    .await;
    let body = b.execute("return document.body.innerText;").await;
    let api: serde_json::Value = serde_json::from_str(body.as_str().unwrap()).unwrap();
    assert_eq!(
        api["value"].as_str().unwrap().parse::<Decimal>().unwrap(),
        amount(&shown),
        "{api}"
    );

    // An entity's asset line: Xero's row at the closing rate.
    b.goto(&page).await;
    b.wait_for("#balance-sheet").await;
    let href = b
        .execute(
            "const a = [...document.querySelectorAll('#balance-sheet tr.line a.cell')]
               .find(a => a.href.includes('line=group') && a.href.includes('column=entity') && a.textContent.trim() !== '-'
                 && a.closest('table').querySelectorAll('thead th')[a.closest('td').cellIndex].textContent.trim() === 'Wattle Trading');
             if (!a) return null; a.id = 'pick'; return a.textContent.trim();",
        )
        .await;
    let shown = href
        .as_str()
        .expect("an amount of Wattle Trading")
        .to_string();
    b.click("#pick").await;
    b.wait_for("#sources").await;
    assert_eq!(b.text("#cell-total").await.trim(), shown);
    assert!(b.text("#sources").await.contains("closing"));
    b.quit().await;
}

//! The demo group from the simulator, synced and consolidated end to end.

use chrono::Utc;
use consol::consolidation;
use consol::domain::{Month, MonthRange};
use consol::engine::{self, MatchStatus};

use crate::helpers::{Backend, SyncedGroup, synced_demo_group};

crate::backends!(the_demo_group_consolidates_and_ties_out);

async fn the_demo_group_consolidates_and_ties_out(backend: Backend) {
    let SyncedGroup {
        mut s,
        group,
        user_id: uid,
    } = synced_demo_group(backend).await;
    let group_id = group.id;
    let (mappings, contacts) =
        crate::helpers::set_up_like_the_demo(s.app.store(), &group, uid).await;
    assert!(mappings > 100, "{mappings}");
    assert!(
        contacts >= 6,
        "each entity's contacts for the others: {contacts}"
    );

    let last = Month::of(Utc::now().date_naive()).prev();
    let period = MonthRange::new(last.plus(-11), last).unwrap();
    let (data, report) = consolidation::consolidate_group(s.app.store(), &group, period)
        .await
        .unwrap();

    // Every entity column ties to Xero's own Net Profit, month by month
    // (five entities: Tui Ventures' months before it started tie at 0).
    assert_eq!(report.tie_out.len(), 5 * 12);
    for t in &report.tie_out {
        assert!(t.xero_net_profit.is_some(), "{t:?}");
        assert_eq!(t.difference, Some(rust_decimal::Decimal::ZERO), "{t:?}");
    }
    // No rate is missing, and every rate used is listed.
    let json = serde_json::to_value(&report).unwrap();
    let warnings = json["warnings"].as_array().unwrap();
    assert!(
        !warnings.iter().any(|w| w["kind"] == "missing_rate"),
        "{warnings:?}"
    );
    assert_eq!(
        report.rates.len(),
        3 * 12,
        "AUD, GBP and USD for each month"
    );
    // Consolidated = entity columns + eliminations, and eliminations bite.
    let cons = json["net_profit"]["consolidated"]
        .as_str()
        .unwrap()
        .parse::<rust_decimal::Decimal>()
        .unwrap();
    let elim = json["net_profit"]["eliminations"]
        .as_str()
        .unwrap()
        .parse::<rust_decimal::Decimal>()
        .unwrap();
    let entities: rust_decimal::Decimal = report
        .columns
        .iter()
        .filter(|c| c.kind == engine::ColumnKind::Entity)
        .map(|c| {
            json["net_profit"][&c.key]
                .as_str()
                .unwrap()
                .parse::<rust_decimal::Decimal>()
                .unwrap()
        })
        .sum();
    assert_eq!(cons, entities + elim);
    assert!(
        !data.invoices.is_empty(),
        "intercompany invoices were loaded"
    );

    // The deliberately broken pairs show up in the reconciliation: one bill
    // never entered, one entered at a different amount; and of the
    // real-life cases, the credit note the UK never entered (ICCN-UK-...),
    // and the spend money that Wattle paid in AUD 1,200.00 and Kea banked
    // as its NZD value (two currencies cannot be equal amounts).
    let wide = MonthRange::new(last.plus(-23), last).unwrap();
    let data = consolidation::load(s.app.store(), &group, wide)
        .await
        .unwrap();
    let rec = engine::reconcile_intercompany(&data, wide).unwrap();
    let number = |side: &Option<engine::Side>| {
        side.as_ref()
            .and_then(|s| s.invoice_number.clone())
            .unwrap_or_default()
    };
    let mut broken: Vec<(MatchStatus, engine::DocumentKind, String, String)> = rec
        .pairs
        .iter()
        .filter(|p| p.status != MatchStatus::Matched)
        .map(|p| {
            (
                p.status,
                p.kind,
                number(&p.seller_invoice),
                number(&p.buyer_bill),
            )
        })
        .collect();
    broken.sort_by_key(|b| format!("{b:?}"));
    let kinds: Vec<(MatchStatus, engine::DocumentKind)> =
        broken.iter().map(|b| (b.0, b.1)).collect();
    let mut want = vec![
        (
            MatchStatus::CounterpartMissing,
            engine::DocumentKind::Invoice,
        ),
        (MatchStatus::AmountDiffers, engine::DocumentKind::Invoice),
        (
            MatchStatus::CounterpartMissing,
            engine::DocumentKind::CreditNote,
        ),
        (
            MatchStatus::AmountDiffers,
            engine::DocumentKind::BankTransaction,
        ),
    ];
    want.sort_by_key(|w| format!("{w:?}"));
    assert_eq!(kinds, want, "{broken:#?}");
    assert!(
        broken
            .iter()
            .any(|b| b.1 == engine::DocumentKind::CreditNote && b.2.starts_with("ICCN-UK-")),
        "{broken:#?}"
    );
    let matched = rec
        .pairs
        .iter()
        .filter(|p| p.status == MatchStatus::Matched)
        .count();
    // The matching credit-note pair (ICCN-...) is matched.
    assert!(
        rec.pairs.iter().any(|p| p.status == MatchStatus::Matched
            && p.kind == engine::DocumentKind::CreditNote
            && number(&p.seller_invoice).starts_with("ICCN-")),
        "the matching credit notes pair up"
    );
    assert!(matched > 50, "{matched}");

    // The same report over HTTP: the page, and the API with a token.
    let from = period.from().to_string();
    let to = period.to().to_string();
    let page = s
        .app
        .client
        .get(&format!(
            "/groups/{group_id}/reports/profit-and-loss?from={from}&to={to}"
        ))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    for text in [
        "Consolidated profit and loss",
        "Eliminations",
        "Kea Holdings",
        "Net Profit",
        "AUD",
    ] {
        assert!(page.body.contains(text), "{text}");
    }
    let bad = s
        .app
        .client
        .get(&format!(
            "/groups/{group_id}/reports/profit-and-loss?from=2026-13"
        ))
        .await;
    assert_eq!(bad.status, 422);

    // Every number of an account line opens what made it.
    let hrefs: Vec<String> = page
        .body
        .split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .filter(|h| h.contains("/reports/cell?"))
        .map(|h| h.replace("&amp;", "&").replace("&#38;", "&"))
        .collect();
    let elim = hrefs
        .iter()
        .find(|h| h.contains("column=eliminations"))
        .expect("an elimination cell link");
    let cell = s.app.client.get(elim).await;
    assert_eq!(cell.status, 200, "{elim}");
    assert!(cell.body.contains("Intercompany invoice lines removed"));
    assert!(cell.body.contains("ACCREC") || cell.body.contains("ACCPAY"));
    let entity = hrefs
        .iter()
        .find(|h| h.contains("column=entity"))
        .expect("an entity cell link");
    let cell = s.app.client.get(entity).await;
    assert_eq!(cell.status, 200);
    assert!(cell.body.contains("Amounts from Xero"));
    assert!(cell.body.contains("Sync run"));
    let nothing = s
        .app
        .client
        .get(&format!(
            "/groups/{group_id}/reports/cell?line=nope&column=consolidated"
        ))
        .await;
    assert_eq!(nothing.status, 404);
    // Totals open too: Net Profit is made of Gross Profit and the section
    // totals, each a link to its own parts, and the page's total is the
    // report's.
    let np_href = hrefs
        .iter()
        .find(|h| h.contains("line=net_profit") && h.contains("column=consolidated"))
        .expect("a link on consolidated Net Profit");
    let np = s.app.client.get(np_href).await;
    assert_eq!(np.status, 200, "{np_href}");
    let parts = &np.body[np.body.find("id=\"parts\"").expect("the parts table")..];
    for text in ["Gross Profit", "Total Operating Expenses", "less", "plus"] {
        assert!(parts.contains(text), "{text}");
    }
    let np_text =
        consol::web::format::accounting(report.net_profit.get("consolidated").unwrap(), 2);
    assert!(
        np.body.contains(&format!("<strong>{np_text}</strong>")),
        "{np_text}"
    );
    let gp_href = parts
        .split("href=\"")
        .nth(1)
        .and_then(|h| h.split('"').next())
        .unwrap()
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    assert!(gp_href.contains("line=gross_profit"), "{gp_href}");
    let gp = s.app.client.get(&gp_href).await;
    assert_eq!(gp.status, 200);
    assert!(gp.body.contains("Total Income") && gp.body.contains("Total Cost of Sales"));
    // Cells carry their column's shading.
    assert!(
        page.body.contains("class=\"num elim"),
        "eliminations cells are marked"
    );

    // Compared with the same months a year earlier: the comparison column
    // is that period's consolidated figure, and the variance the difference.
    let year_ago = MonthRange::new(period.from().plus(-12), period.to().plus(-12)).unwrap();
    let (_, before) = consolidation::consolidate_group(s.app.store(), &group, year_ago)
        .await
        .unwrap();
    let cmp = s
        .app
        .client
        .get(&format!(
            "/groups/{group_id}/reports/profit-and-loss?from={from}&to={to}&compare=last_year"
        ))
        .await;
    assert_eq!(cmp.status, 200);
    assert!(cmp.body.contains(&format!(
        "Last year ({} to {})",
        year_ago.from(),
        year_ago.to()
    )));
    assert!(cmp.body.contains("Variance %"));
    let now_np = report.net_profit.get("consolidated").unwrap();
    let then_np = before.net_profit.get("consolidated").unwrap();
    let net_row = cmp.body.rsplit("Net Profit").next().unwrap();
    let net_row = &net_row[..net_row.find("</tr>").unwrap()];
    for figure in [now_np, then_np, now_np - then_np] {
        let text = consol::web::format::accounting(figure, 2);
        assert!(net_row.contains(&text), "{text} in {net_row}");
    }
    let prior = s
        .app
        .client
        .get(&format!(
            "/groups/{group_id}/reports/profit-and-loss?from={from}&to={to}&compare=prior"
        ))
        .await;
    assert!(prior.body.contains("Prior period ("));
    // The quick picks keep the comparison.
    assert!(
        prior.body.contains("compare=prior\">Last month</a>"),
        "{}",
        prior.body
    );

    // The picker's named periods follow the group's financial year: the
    // year to date starts in the month after the year end, and a chosen
    // period wins over from and to.
    let fye = group.financial_year_end_month as u32;
    let last = Month::of(chrono::Utc::now().date_naive()).prev();
    let fy_from = last.financial_year_end(fye).plus(-11);
    let value = format!("{fy_from}:{last}");
    assert!(
        page.body.contains(&format!("<option value=\"{value}\"")),
        "the year to date is offered: {value}"
    );
    let ytd = s
        .app
        .client
        .get(&format!(
            "/groups/{group_id}/reports/profit-and-loss?period={value}&from=2020-01&to=2020-01&compare=prior"
        ))
        .await;
    assert_eq!(ytd.status, 200);
    assert!(ytd.body.contains(&format!("{fy_from} to {last}, in")));
    assert!(
        ytd.body
            .contains(&format!("<option value=\"{value}\" selected>"))
    );
    assert!(
        ytd.body.contains("Prior period ("),
        "the comparison is kept"
    );
    let bad = s
        .app
        .client
        .get(&format!(
            "/groups/{group_id}/reports/profit-and-loss?period=2026-05:2026-01"
        ))
        .await;
    assert_eq!(bad.status, 422);

    // Entity columns hidden and sections collapsed, still without script.
    let short = s
        .app
        .client
        .get(&format!(
            "/groups/{group_id}/reports/profit-and-loss?from={from}&to={to}&entities=hide&view=totals"
        ))
        .await;
    assert_eq!(short.status, 200);
    let table = &short.body[short.body.find("id=\"pnl\"").unwrap()..];
    let table = &table[..table.find("</table>").unwrap()];
    assert!(!table.contains("Kea Holdings"), "entity columns are hidden");
    assert!(table.contains("Net Profit"));
    assert!(!table.contains("class=\"account\""), "only totals");
    let head = &table[..table.find("</thead>").unwrap()];
    let cols = head.matches("<th").count() - head.matches("<thead").count();
    assert_eq!(cols, 3, "label, eliminations and consolidated");

    // The group page is a dashboard: KPIs, trend charts from a vendored
    // library served by Consol itself, and what needs attention.
    let dash = s.app.client.get(&format!("/groups/{group_id}")).await;
    assert_eq!(dash.status, 200);
    assert!(dash.body.contains("Financial year to date"));
    assert!(dash.body.contains("id=\"kpis\""));
    assert!(dash.body.contains("data-series="));
    // The KPIs follow a chosen period: the last month (inside the trend's
    // months) and one twenty months back (consolidated on its own), each
    // equal to that period's consolidated revenue and net profit.
    for month in [last, last.plus(-20)] {
        let (_, one) =
            consolidation::consolidate_group(s.app.store(), &group, MonthRange::single(month))
                .await
                .unwrap();
        let page = s
            .app
            .client
            .get(&format!("/groups/{group_id}?period={month}:{month}"))
            .await;
        assert_eq!(page.status, 200);
        let kpis = &page.body[page.body.find("id=\"kpis\"").unwrap()..];
        let consolidated_row = &kpis[kpis.find("<tr class=\"profit\">").unwrap()..];
        let consolidated_row = &consolidated_row[..consolidated_row.find("</tr>").unwrap()];
        for figure in [
            one.line("total:income")
                .unwrap()
                .values
                .get("consolidated")
                .unwrap(),
            one.net_profit.get("consolidated").unwrap(),
        ] {
            let text = consol::web::format::accounting(figure, 2);
            assert!(
                consolidated_row.contains(&format!(">{text}<")),
                "{month}: {text} in {consolidated_row}"
            );
        }
        assert!(
            page.body
                .contains(&format!("<option value=\"{month}:{month}\" selected>"))
        );
        assert!(page.body.contains(&format!("{month} to {month}, NZD")));
    }
    let bad = s
        .app
        .client
        .get(&format!("/groups/{group_id}?period=2026-13:2027-01"))
        .await;
    assert_eq!(bad.status, 200, "the dashboard still shows");
    assert!(bad.body.contains("is not a month"), "and says why");
    assert!(bad.body.contains("Financial year to date"));
    // What needs attention links to where it is fixed.
    let first = s.app.store().entities_for_group(group_id).await.unwrap()[0].clone();
    s.app
        .store()
        .set_organisation_state(first.organisation_id, "needs_reconnect", Utc::now())
        .await
        .unwrap();
    let dash_now = s.app.client.get(&format!("/groups/{group_id}")).await;
    let attention = &dash_now.body[dash_now.body.find("id=\"attention\"").unwrap()..];
    assert!(
        attention.contains(&format!(
            "<a href=\"/connect/xero?group={group_id}\">{} needs reconnecting to Xero.</a>",
            first.name.replace('&', "&#38;")
        )),
        "{attention}"
    );
    s.app
        .store()
        .set_organisation_state(first.organisation_id, "connected", Utc::now())
        .await
        .unwrap();
    let start = dash
        .body
        .find("/static/uplot.iife.min.js?v=")
        .expect("the chart library");
    let end = dash.body[start..].find('"').unwrap() + start;
    let js = s.app.client.get(&dash.body[start..end]).await;
    assert_eq!(js.status, 200);
    assert!(
        js.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );

    // The reconciliation page finds the broken pairs, and its seller ×
    // buyer matrix drills into one pair's items.
    let recon = s
        .app
        .client
        .get(&format!(
            "/groups/{group_id}/reports/intercompany?from={}&to={to}",
            wide.from()
        ))
        .await;
    assert_eq!(recon.status, 200);
    assert!(recon.body.contains("counterpart missing"));
    assert!(recon.body.contains("amount differs"));
    assert!(recon.body.contains("id=\"matrix\""));
    let link = recon
        .body
        .split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .find(|h| h.contains("seller=") && h.contains("buyer="))
        .expect("a matrix cell link")
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    let pair = s
        .app
        .client
        .get(&format!("/groups/{group_id}/reports/intercompany{link}"))
        .await;
    assert_eq!(pair.status, 200);
    assert!(pair.body.contains("All items: "), "filtered to one pair");

    let token = "consol_test_token_value";
    crate::helpers::api_token(s.app.store(), uid, token).await;
    let http = reqwest::Client::new();
    let url = format!(
        "{}/api/v1/groups/{group_id}/reports/profit-and-loss?from={from}&to={to}",
        s.app.address
    );
    let unauth = http.get(&url).send().await.unwrap();
    assert_eq!(unauth.status(), 401);
    let body: serde_json::Value = unauth.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");
    let api: serde_json::Value = http
        .get(&url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(api["currency"], "NZD");
    assert_eq!(
        api["net_profit"], json["net_profit"],
        "the API serves the engine's report"
    );
    let kinds: Vec<&str> = api["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "entity",
            "entity",
            "entity",
            "entity",
            "entity",
            "eliminations",
            "consolidated"
        ]
    );
    assert!(
        api["lines"][0]["values"]["consolidated"].is_string(),
        "decimals are strings"
    );
    let csv = http
        .get(format!("{url}&format=csv"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let header = csv.lines().next().unwrap();
    assert!(
        header.starts_with("section,account_code,account_name,"),
        "{header}"
    );
    assert!(header.ends_with("Eliminations,Consolidated"), "{header}");
    assert_eq!(csv.lines().count(), report.lines.len() + 1);
    // A cell's provenance as JSON: its parts add up to the cell.
    let line = report
        .lines
        .iter()
        .find(|l| {
            l.kind == engine::LineKind::Account
                && !l.values.get("eliminations").unwrap_or_default().is_zero()
        })
        .expect("a line with eliminations");
    let prov: serde_json::Value = http
        .get(format!(
            "{}/api/v1/groups/{group_id}/reports/profit-and-loss/cell?from={from}&to={to}&line={}&column=eliminations",
            s.app.address,
            line.key.replace(':', "%3A")
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let parts: rust_decimal::Decimal = prov["eliminations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            e["cell_amount"]
                .as_str()
                .unwrap()
                .parse::<rust_decimal::Decimal>()
                .unwrap()
        })
        .sum();
    assert_eq!(parts, line.values.get("eliminations").unwrap());
    let missing = http
        .get(format!(
            "{}/api/v1/groups/999999/reports/profit-and-loss",
            s.app.address
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let ic: serde_json::Value = http
        .get(format!(
            "{}/api/v1/groups/{group_id}/reports/intercompany?from={}&to={to}",
            s.app.address,
            wide.from()
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(ic["pairs"].as_array().unwrap().len() > 50);
}

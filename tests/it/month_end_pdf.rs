//! The month-end pack as PDF, read back with poppler's `pdftotext`
//! (scripts/ensure-poppler.sh installs it): the route's PDF holds the JSON
//! pack's figures in the accountant's format (formatted again here, not by
//! Consol's formatter), every page is numbered, a long statement repeats
//! its header on each page, and typst markup in user text is printed, not
//! run.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::Utc;
use consol::domain::{CurrencyCode, Month};
use consol::month_end::outputs::{Kpis, Periods};
use consol::month_end::pack::{
    Cover, Pack, PackGroup, PackSection, SectionContent, Statement, StatementColumn, StatementLine,
    Warnings,
};
use consol::month_end::pack_pdf::render_pdf;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::helpers::{Backend, SyncedGroup, synced_demo_group};

crate::backends!(the_pdf_route_holds_the_json_packs_figures_on_numbered_pages);

const TOKEN: &str = "consol_month_end_pdf_token";

/// The PDF's text, page by page, laid out as printed (`-layout` keeps a
/// table row on one line).
fn pdf_pages(pdf: &[u8]) -> Vec<String> {
    assert!(pdf.starts_with(b"%PDF-"), "not a PDF");
    let path = std::env::temp_dir().join(format!(
        "consol-pack-{}-{}.pdf",
        std::process::id(),
        Utc::now().timestamp_nanos_opt().unwrap_or_default()
    ));
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext runs (bash scripts/ensure-poppler.sh installs it)");
    std::fs::remove_file(&path).ok();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    // pdftotext ends every page with a form feed.
    let mut pages: Vec<String> = text.split('\u{c}').map(str::to_string).collect();
    if pages.last().is_some_and(|p| p.trim().is_empty()) {
        pages.pop();
    }
    pages
}

/// Every page says "Page n of N".
fn assert_numbered(pages: &[String]) {
    let n = pages.len();
    for (i, p) in pages.iter().enumerate() {
        assert!(
            p.contains(&format!("Page {} of {n}", i + 1)),
            "page {} has no number:\n{p}",
            i + 1
        );
    }
}

/// The accountant's format, written again for the test: rounded half away
/// from zero, thousands separated by commas, negatives in parentheses, a
/// zero as "-".
fn accountant(v: Decimal, places: u32) -> String {
    let r = v.round_dp_with_strategy(places, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    if r.is_zero() {
        return "-".into();
    }
    let mut r_abs = r.abs();
    r_abs.rescale(places);
    let s = r_abs.to_string();
    let (int, frac) = match s.find('.') {
        Some(i) => (&s[..i], &s[i..]),
        None => (s.as_str(), ""),
    };
    let digits: Vec<char> = int.chars().collect();
    let groups: Vec<String> = digits
        .rchunks(3)
        .rev()
        .map(|c| c.iter().collect())
        .collect();
    let body = format!("{}{frac}", groups.join(","));
    if r.is_sign_negative() {
        format!("({body})")
    } else {
        body
    }
}

#[test]
fn the_tests_formatter_is_the_accountants() {
    let d = |s: &str| Decimal::from_str(s).unwrap();
    assert_eq!(accountant(d("-1234567.5"), 2), "(1,234,567.50)");
    assert_eq!(accountant(d("999.995"), 2), "1,000.00");
    assert_eq!(accountant(d("0.004"), 2), "-");
    assert_eq!(accountant(d("123456"), 0), "123,456");
    assert_eq!(accountant(d("12.25"), 1), "12.3");
}

fn dec(v: &Value) -> Option<Decimal> {
    v.as_str().map(|s| Decimal::from_str(s).unwrap())
}

/// Finds, from line `*at` on, the first line holding `label` followed by
/// exactly `figures` (whitespace-separated), and moves `*at` past it, so
/// that rows are also found in the JSON's order.
fn find_row(lines: &[&str], at: &mut usize, label: &str, figures: &[String]) {
    for (i, l) in lines.iter().enumerate().skip(*at) {
        if let Some(p) = l.find(label) {
            let rest: Vec<&str> = l[p + label.len()..].split_whitespace().collect();
            if rest == figures {
                *at = i + 1;
                return;
            }
        }
    }
    panic!(
        "no row '{label}' with {figures:?} after line {}:\n{}",
        *at,
        lines[*at..].join("\n")
    );
}

async fn call(g: &SyncedGroup, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let url = format!("{}/api/v1/groups/{}{path}", g.s.app.address, g.group.id);
    let http = reqwest::Client::new();
    let mut req = match method {
        "POST" => http.post(url),
        "PUT" => http.put(url),
        _ => http.get(url),
    }
    .bearer_auth(TOKEN);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn the_pdf_route_holds_the_json_packs_figures_on_numbered_pages(backend: Backend) {
    let g = synced_demo_group(backend).await;
    crate::helpers::set_up_like_the_demo(g.s.app.store(), &g.group, g.user_id).await;
    crate::helpers::api_token(g.s.app.store(), g.user_id, TOKEN).await;
    let m = Month::of(Utc::now().date_naive()).prev();
    let pdf_url = format!(
        "{}/api/v1/groups/{}/month-end/{m}/pack?format=pdf",
        g.s.app.address, g.group.id
    );
    // No PDF before a close.
    let resp = reqwest::Client::new()
        .get(&pdf_url)
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    let (status, body) = call(&g, "POST", &format!("/month-end/{m}/close"), None).await;
    assert_eq!(status, 200, "{body}");
    let note = "Revenue up 4% on the Sydney contract; see note [2].";
    let (status, body) = call(
        &g,
        "PUT",
        &format!("/month-end/{m}/commentary"),
        Some(json!({"section": "profit_and_loss", "body": note})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, pack) = call(&g, "GET", &format!("/month-end/{m}/pack"), None).await;
    assert_eq!(status, 200, "{pack}");

    let resp = reqwest::Client::new()
        .get(&pdf_url)
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/pdf");
    assert_eq!(
        resp.headers()["content-disposition"],
        format!("attachment; filename=\"pack-{m}.pdf\"").as_str()
    );
    let pages = pdf_pages(&resp.bytes().await.unwrap());
    assert!(pages.len() >= 3, "{} pages", pages.len());
    assert_numbered(&pages);
    let all = pages.join("\n");
    let lines: Vec<&str> = all.lines().collect();

    let places = CurrencyCode::parse(pack["group"]["presentation_currency"].as_str().unwrap())
        .unwrap()
        .minor_units();
    let section = |k: &str| {
        pack["sections"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["key"] == k)
            .unwrap()
            .clone()
    };
    let cover = section("cover");
    assert!(pages[0].contains("Kea Group"), "{}", pages[0]);
    assert!(pages[0].contains("fin@example.com"), "{}", pages[0]);
    let closed_at =
        chrono::DateTime::parse_from_rfc3339(cover["content"]["closed_at"].as_str().unwrap())
            .unwrap()
            .format("%Y-%m-%d %H:%M UTC")
            .to_string();
    assert!(pages[0].contains(&closed_at), "{closed_at}\n{}", pages[0]);
    assert!(all.contains(note), "commentary missing");

    // Key figures: each column's month and year-to-date rows.
    let mut at = 0;
    let kpis = section("kpis");
    for period in ["month", "year_to_date"] {
        for c in kpis["content"]["columns"].as_array().unwrap() {
            let k = &c[period];
            let figures = vec![
                accountant(dec(&k["revenue"]).unwrap(), places),
                accountant(dec(&k["gross_profit"]).unwrap(), places),
                dec(&k["gross_margin_percent"]).map_or("-".into(), |p| accountant(p, 1)),
                accountant(dec(&k["operating_expenses"]).unwrap(), places),
                accountant(dec(&k["net_profit"]).unwrap(), places),
            ];
            find_row(&lines, &mut at, c["name"].as_str().unwrap(), &figures);
        }
    }

    // The P&L: every line, in order, with each period's figure.
    let pnl = section("profit_and_loss");
    let columns: Vec<String> = pnl["content"]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["key"].as_str().unwrap().to_string())
        .collect();
    let pnl_lines = pnl["content"]["lines"].as_array().unwrap();
    assert!(pnl_lines.len() > 10, "{}", pnl_lines.len());
    for l in pnl_lines {
        let figures: Vec<String> = columns
            .iter()
            .filter_map(|c| dec(&l["values"][c]).map(|v| accountant(v, places)))
            .collect();
        find_row(
            &lines,
            &mut at,
            l["account_name"].as_str().unwrap(),
            &figures,
        );
    }
    // The net profit line is there, and a loss reads in parentheses.
    assert!(pnl_lines.iter().any(|l| l["key"] == "net_profit"));

    // Intercompany: each pair's counts and amounts.
    for r in section("intercompany")["content"]["rows"]
        .as_array()
        .unwrap()
    {
        let figures = vec![
            r["matched"].to_string(),
            r["amount_differs"].to_string(),
            r["counterpart_missing"].to_string(),
            accountant(dec(&r["seller_amount"]).unwrap(), places),
            accountant(dec(&r["buyer_amount"]).unwrap(), places),
            accountant(dec(&r["net_effect"]).unwrap(), places),
            if r["complete"] == true { "yes" } else { "no" }.to_string(),
        ];
        find_row(&lines, &mut at, r["buyer"].as_str().unwrap(), &figures);
    }
}

/// A pack made by hand: `n` P&L lines, and the given names and commentary.
fn pack(group_name: &str, commentary: Option<&str>, n: usize) -> Pack {
    let month = Month::new(2026, 10).unwrap();
    let currency = CurrencyCode::parse("AUD").unwrap();
    let periods = Periods::of(month, 3);
    let keys = [
        "month",
        "prior_month",
        "last_year_month",
        "year_to_date",
        "last_year_to_date",
    ];
    // Titles of one word, so that pdftotext prints each on one line.
    let columns = keys
        .iter()
        .zip(["Month", "Prior", "LastYear", "YearToDate", "LastYearToDate"])
        .map(|(&key, title)| StatementColumn {
            key,
            title: title.into(),
            from: month,
            to: month,
        })
        .collect();
    let lines = (0..n)
        .map(|i| StatementLine {
            key: format!("l{i}"),
            kind: "account".into(),
            section: "Operating Expenses".into(),
            account_code: Some(format!("{}", 6000 + i)),
            account_name: format!("Expense line {i:04}"),
            values: keys
                .iter()
                .enumerate()
                .map(|(c, &k)| {
                    // Some negative, some thousands, one period empty.
                    let v = Decimal::new(
                        (i as i64 * 123_457 + c as i64) * (1 - 2 * (i as i64 % 3 / 2)),
                        2,
                    );
                    (k, (c != 2 || i % 5 != 0).then_some(v))
                })
                .collect::<BTreeMap<_, _>>(),
        })
        .collect();
    let section = |key, title, content| PackSection {
        key,
        title,
        commentary: commentary.map(str::to_string),
        content,
    };
    Pack {
        group: PackGroup {
            id: 1,
            name: group_name.into(),
            presentation_currency: currency,
        },
        month,
        version: 1,
        status: "closed",
        snapshot_hash: "ab".repeat(32),
        sections: vec![
            section(
                "cover",
                "Cover",
                SectionContent::Cover(Cover {
                    group_name: group_name.into(),
                    month,
                    version: 1,
                    closed_by: Some("fin@example.com".into()),
                    closed_at: Utc::now(),
                    reopened_at: None,
                    reopen_reason: None,
                    presentation_currency: currency,
                    periods,
                    snapshot_hash: "ab".repeat(32),
                }),
            ),
            section(
                "kpis",
                "Key figures",
                SectionContent::Kpis(Kpis {
                    columns: vec![],
                    trend: vec![],
                }),
            ),
            section(
                "profit_and_loss",
                "Consolidated profit and loss",
                SectionContent::Statement(Statement {
                    currency,
                    columns,
                    lines,
                }),
            ),
            section(
                "warnings",
                "Warnings",
                SectionContent::Warnings(Warnings { rows: vec![] }),
            ),
        ],
    }
}

#[test]
fn a_long_statement_spans_pages_with_its_header_on_each() {
    let p = pack("Long Group", None, 150);
    let pages = pdf_pages(&render_pdf(&p).unwrap());
    assert_numbered(&pages);
    let SectionContent::Statement(s) = &p.sections[2].content else {
        unreachable!()
    };
    let with_lines: Vec<&String> = pages
        .iter()
        .filter(|p| p.contains("Expense line "))
        .collect();
    assert!(with_lines.len() >= 3, "{} pages of lines", with_lines.len());
    for page in &with_lines {
        // The header row: the account column and every period's title.
        assert!(page.contains("Account"), "{page}");
        for c in &s.columns {
            assert!(page.contains(&c.title), "{} missing:\n{page}", c.title);
        }
    }
    // Every line, in order, with its figures.
    let all = pages.join("\n");
    let lines: Vec<&str> = all.lines().collect();
    let mut at = 0;
    for l in &s.lines {
        let figures: Vec<String> = s
            .columns
            .iter()
            .filter_map(|c| l.values[c.key].map(|v| accountant(v, 2)))
            .collect();
        find_row(&lines, &mut at, &l.account_name, &figures);
    }
    // Line 2 is a loss: -(2 × 1,234.57) in every period.
    assert!(all.contains("(2,469.14)"), "{all}");
}

#[test]
fn markup_in_names_and_commentary_is_printed_not_run() {
    let name = r#"Acme #strong[x] *b* $y$ [z] \ "q" _u_ @ref <l>"#;
    let note = "Up #panic(\"ran\") *not bold* $x^2$ [brackets] back\\slash #pagebreak() // not a comment\nsecond line";
    let pages = pdf_pages(&render_pdf(&pack(name, Some(note), 3)).unwrap());
    let one_spaced = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let all = one_spaced(&pages.join("\n"));
    assert!(all.contains(&one_spaced(name)), "{all}");
    for part in note.lines() {
        assert!(all.contains(&one_spaced(part)), "{part}\n{all}");
    }
    // `#pagebreak()` did not run: the pack has its usual three pages (cover,
    // key figures, the short P&L with the warnings).
    assert_eq!(pages.len(), 3, "{all}");
}

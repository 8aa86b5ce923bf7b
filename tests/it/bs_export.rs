//! The balance sheet's comparison column and its Excel workbook, end to
//! end: the demo group synced from the simulator, read as an API user
//! would, the workbook read back with calamine and tied to the JSON.

use std::io::Cursor;
use std::str::FromStr;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use consol::domain::Month;
use consol::export::XLSX_CONTENT_TYPE;
use consol::export::balance_sheet_xlsx::{
    BS_HEADER_ROW, BS_SHEET, CTA_HEADERS, CTA_SHEET, IC_BALANCES_SHEET,
};
use rust_decimal::Decimal;
use serde_json::Value;

use crate::backends;
use crate::helpers::{Backend, api_token, set_up_like_the_demo, synced_demo_group};

backends!(
    the_balance_sheet_compares_and_downloads_as_excel,
    balance_sheet_cells_open_to_their_sources,
);

const TOKEN: &str = "consol_bs_export_token";

fn dec(v: &Value) -> Decimal {
    v.as_str()
        .unwrap_or_else(|| panic!("a decimal is a JSON string, not {v}"))
        .parse()
        .unwrap()
}

/// A number cell to cents through its decimal text: the file holds
/// doubles, the report decimals.
fn cents(cell: Option<&Data>) -> Decimal {
    match cell {
        Some(Data::Float(x)) => Decimal::from_str(&format!("{x:.2}")).unwrap(),
        Some(Data::Int(i)) => Decimal::from(*i),
        other => panic!("not a number: {other:?}"),
    }
}

fn text(cell: Option<&Data>) -> String {
    match cell {
        Some(Data::String(s)) => s.clone(),
        Some(Data::Empty) | None => String::new(),
        other => panic!("not text: {other:?}"),
    }
}

/// The consolidated value of each line of a balance-sheet JSON.
fn consolidated(v: &Value) -> Vec<(String, Decimal)> {
    v["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["key"].as_str().unwrap().to_string(),
                dec(&l["values"]["consolidated"]),
            )
        })
        .collect()
}

async fn the_balance_sheet_compares_and_downloads_as_excel(backend: Backend) {
    run(backend, false).await
}

async fn balance_sheet_cells_open_to_their_sources(backend: Backend) {
    run(backend, true).await
}

/// Both tests on their own synced demo group (so each stays short): the
/// comparison and the workbook, or, with `cells`, the drill-down.
async fn run(backend: Backend, cells: bool) {
    let g = synced_demo_group(backend).await;
    let store = g.s.app.store();
    set_up_like_the_demo(store, &g.group, g.user_id).await;
    api_token(store, g.user_id, TOKEN).await;
    let http = reqwest::Client::new();
    let base = format!(
        "{}/api/v1/groups/{}/reports/balance-sheet",
        g.s.app.address, g.group.id
    );
    let get = |query: String| {
        let http = http.clone();
        // `__cell__&...` asks the cell endpoint instead of the report.
        let url = match query.strip_prefix("__cell__&") {
            Some(q) => format!("{base}/cell?{q}"),
            None => format!("{base}?{query}"),
        };
        async move {
            let r = http.get(url).bearer_auth(TOKEN).send().await.unwrap();
            let status = r.status().as_u16();
            let kind = r
                .headers()
                .get("content-type")
                .map(|h| h.to_str().unwrap().to_string())
                .unwrap_or_default();
            (status, kind, r.bytes().await.unwrap().to_vec())
        }
    };
    let json = |b: &[u8]| -> Value { serde_json::from_slice(b).unwrap() };
    let at = Month::of(chrono::Utc::now().date_naive()).prev();

    if !cells {
        // Prior month: the comparison column is the report of the month
        // before, asked for on its own.
        let (status, _, body) = get(format!("at={at}&compare=prior_month")).await;
        assert_eq!(status, 200);
        let v = json(&body);
        let prev = at.prev();
        assert_eq!(v["comparison"]["with"], "prior_month");
        assert_eq!(v["comparison"]["at"], prev.to_string());
        let (_, _, body) = get(format!("at={prev}")).await;
        let earlier = json(&body);
        for (key, value) in consolidated(&earlier) {
            assert_eq!(dec(&v["comparison"]["consolidated"][&key]), value, "{key}");
        }

        // Prior year: the last month of the financial year before the one
        // `at` is in, found by walking back to the year-end month.
        let fye = g.group.financial_year_end_month as u32;
        let mut year_end = at.prev();
        while year_end.month() != fye {
            year_end = year_end.prev();
        }
        let (status, _, body) = get(format!("at={at}&compare=prior_year")).await;
        assert_eq!(status, 200);
        assert_eq!(json(&body)["comparison"]["at"], year_end.to_string());

        // An unknown comparison is refused in words.
        let (status, _, body) = get(format!("at={at}&compare=last_week")).await;
        assert_eq!(status, 422);
        assert!(json(&body)["error"]["details"]["compare"].is_string());

        // The workbook ties to the JSON: every line, every column, and the
        // comparison last.
        let (status, kind, bytes) = get(format!("at={at}&compare=prior_month&format=xlsx")).await;
        assert_eq!(status, 200);
        assert_eq!(kind, XLSX_CONTENT_TYPE);
        let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
        let bs = wb.worksheet_range(BS_SHEET).unwrap();
        let columns = v["columns"].as_array().unwrap();
        let h = BS_HEADER_ROW;
        for (i, c) in columns.iter().enumerate() {
            assert_eq!(
                text(bs.get_value((h, 3 + i as u32))),
                c["name"].as_str().unwrap()
            );
        }
        let cmp_col = 3 + columns.len() as u32;
        assert_eq!(
            text(bs.get_value((h, cmp_col))),
            format!("Consolidated {prev}")
        );
        let lines = v["lines"].as_array().unwrap();
        assert_eq!(bs.end().unwrap().0, h + lines.len() as u32);
        for (i, l) in lines.iter().enumerate() {
            let row = h + 1 + i as u32;
            assert_eq!(
                text(bs.get_value((row, 2))),
                l["account_name"].as_str().unwrap()
            );
            for (j, c) in columns.iter().enumerate() {
                let key = c["key"].as_str().unwrap();
                assert_eq!(
                    cents(bs.get_value((row, 3 + j as u32))),
                    dec(&l["values"][key]),
                    "{} / {key}",
                    l["key"]
                );
            }
            assert_eq!(
                cents(bs.get_value((row, cmp_col))),
                dec(&v["comparison"]["consolidated"][l["key"].as_str().unwrap()]),
                "{} compared",
                l["key"]
            );
        }
        let cta = wb.worksheet_range(CTA_SHEET).unwrap();
        for (i, head) in CTA_HEADERS.iter().enumerate() {
            assert_eq!(text(cta.get_value((0, i as u32))), *head);
        }
        let rolls = v["translation_reserve"].as_array().unwrap();
        assert!(!rolls.is_empty(), "the demo has foreign subsidiaries");
        assert_eq!(cta.end().unwrap().0, rolls.len() as u32);
        for (i, r) in rolls.iter().enumerate() {
            let row = 1 + i as u32;
            for (col, field) in [(2, "opening"), (3, "on_opening_net_assets"), (7, "closing")] {
                assert_eq!(cents(cta.get_value((row, col))), dec(&r[field]), "{field}");
            }
        }
        // The intercompany balances sheet ties to the JSON's pairs.
        let ic = wb.worksheet_range(IC_BALANCES_SHEET).unwrap();
        let pairs = v["intercompany_balances"].as_array().unwrap();
        if pairs.is_empty() {
            assert!(text(ic.get_value((1, 0))).starts_with("No intercompany balances"));
        } else {
            assert_eq!(ic.end().unwrap().0, pairs.len() as u32);
            for (i, p) in pairs.iter().enumerate() {
                let row = 1 + i as u32;
                for (col, field) in [
                    (2, "entity_side"),
                    (3, "counterpart_side"),
                    (4, "difference"),
                ] {
                    assert_eq!(cents(ic.get_value((row, col))), dec(&p[field]), "{field}");
                }
            }
        }
        return;
    }
    let v = json(&get(format!("at={at}")).await.2);
    let columns = v["columns"].as_array().unwrap();
    let lines = v["lines"].as_array().unwrap();
    let rolls = v["translation_reserve"].as_array().unwrap();
    // Drill-down: account cells of every entity column (the first few
    // non-zero ones of each, to keep the test short) open to Xero's rows,
    // each translated at the closing rate the report lists, and they add
    // up to the cell.
    let closing: std::collections::HashMap<String, Decimal> = v["rates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["currency"].as_str().unwrap().to_string(),
                dec(&r["closing"]),
            )
        })
        .collect();
    let mut foreign_rows = 0;
    let mut checked: std::collections::HashMap<String, usize> = Default::default();
    for l in lines
        .iter()
        .filter(|l| l["key"].as_str().unwrap().starts_with("group:"))
    {
        for c in columns.iter().filter(|c| c["kind"] == "entity") {
            let (line, col) = (l["key"].as_str().unwrap(), c["key"].as_str().unwrap());
            let value = dec(&l["values"][col]);
            let opened = checked.entry(col.to_string()).or_insert(0);
            if value.is_zero() || *opened >= 2 {
                continue;
            }
            *opened += 1;
            let (status, _, body) = get(format!("__cell__&at={at}&line={line}&column={col}")).await;
            assert_eq!(status, 200, "{line} {col}");
            let cv = json(&body);
            assert_eq!(dec(&cv["value"]), value);
            assert_eq!(cv["complete"], true, "{cv}");
            let mut sum = Decimal::ZERO;
            for s in cv["sources"].as_array().unwrap() {
                assert!(s["account_id"].is_string(), "{s}");
                let amount = dec(&s["cell_amount"]);
                sum += amount;
                if s["rate_kind"] == "closing" {
                    foreign_rows += 1;
                    let rate = dec(&s["rate"]);
                    assert!(closing.values().any(|r| *r == rate), "{s}");
                    assert_eq!((dec(&s["base_amount"]) * rate).round_dp(2), amount);
                }
            }
            assert_eq!(sum, value, "{line} {col}");
        }
    }
    assert!(foreign_rows > 0, "the demo has foreign subsidiaries");
    // The reserve of a foreign subsidiary opens to its roll-forward, and a
    // consolidated total to the columns it adds up.
    let sub = rolls[0]["entity"].as_i64().unwrap();
    let (status, _, body) = get(format!(
        "__cell__&at={at}&line=translation_reserve&column=entity:{sub}"
    ))
    .await;
    assert_eq!(status, 200);
    let cv = json(&body);
    assert_eq!(cv["complete"], true, "{cv}");
    assert_eq!(dec(&cv["value"]), dec(&rolls[0]["closing"]));
    let (_, _, body) = get(format!(
        "__cell__&at={at}&line=total_assets&column=consolidated"
    ))
    .await;
    let cv = json(&body);
    assert_eq!(cv["complete"], true, "{cv}");
    assert!(cv["sources"].as_array().unwrap().len() >= 2);
    let (status, _, _) = get(format!("__cell__&at={at}&line=nope&column=consolidated")).await;
    assert_eq!(status, 404);
}

//! The Excel exports of the demo group, downloaded through the API with a
//! bearer token and read back with calamine, on both databases (a run takes
//! a few seconds).

use std::io::{Cursor, Read};
use std::str::FromStr;

use calamine::{Data, Range, Reader, Xlsx, open_workbook_from_rs};
use chrono::Utc;
use consol::consolidation;
use consol::domain::{Month, MonthRange};
use consol::engine::{self, CONSOLIDATED, ELIMINATIONS, ProfitAndLossReport};
use consol::export::XLSX_CONTENT_TYPE;
use consol::export::csv::{INTERCOMPANY_HEADER, fields};
use consol::export::xlsx::{
    ELIMINATIONS_SHEET, PAIRS_SHEET, PNL_HEADER_ROW, PNL_SHEET, RATES_SHEET, SUMMARY_SHEET,
};
use rust_decimal::Decimal;

use crate::helpers::{Backend, SimApp, SyncedGroup, synced_demo_group};

const TOKEN: &str = "consol_export_test_token";

/// The demo group synced, set up from the suggestions, with demo rates and
/// an API token for its user.
struct Demo {
    s: SimApp,
    group_id: i64,
    group: consol::store::Group,
}

async fn demo_group(backend: Backend) -> Demo {
    let SyncedGroup {
        s,
        group,
        user_id: uid,
    } = synced_demo_group(backend).await;
    let group_id = group.id;
    crate::helpers::set_up_like_the_demo(s.app.store(), &group, uid).await;
    crate::helpers::api_token(s.app.store(), uid, TOKEN).await;
    Demo { s, group_id, group }
}

fn workbook(bytes: &[u8]) -> Xlsx<Cursor<Vec<u8>>> {
    open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap()
}

fn sheet(bytes: &[u8], name: &str) -> Range<Data> {
    workbook(bytes).worksheet_range(name).unwrap()
}

fn text(cell: Option<&Data>) -> String {
    match cell {
        Some(Data::String(s)) => s.clone(),
        Some(Data::Empty) | None => String::new(),
        other => panic!("not text: {other:?}"),
    }
}

/// A number cell, rounded to cents through its decimal text: the file holds
/// doubles, the report decimals.
fn cents(cell: Option<&Data>) -> Decimal {
    match cell {
        Some(Data::Float(x)) => Decimal::from_str(&format!("{x:.2}")).unwrap(),
        Some(Data::Int(i)) => Decimal::from(*i),
        other => panic!("not a number: {other:?}"),
    }
}

fn last_row(r: &Range<Data>) -> u32 {
    r.end().unwrap().0
}

async fn download(demo: &Demo, url: &str, accept: Option<&str>) -> (String, String, Vec<u8>) {
    let mut req = reqwest::Client::new()
        .get(format!("{}{url}", demo.s.app.address))
        .bearer_auth(TOKEN);
    if let Some(a) = accept {
        req = req.header("accept", a);
    }
    let res = req.send().await.unwrap();
    assert_eq!(res.status(), 200, "{url}");
    let header = |name: &str| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let (kind, disposition) = (header("content-type"), header("content-disposition"));
    (kind, disposition, res.bytes().await.unwrap().to_vec())
}

fn check_pnl_workbook(bytes: &[u8], report: &ProfitAndLossReport) {
    assert_eq!(
        workbook(bytes).sheet_names(),
        [PNL_SHEET, ELIMINATIONS_SHEET, RATES_SHEET]
    );

    // Every line of the report has its row, in order, with every value to
    // the cent; Net Profit's consolidated cell is the engine's.
    let pnl = sheet(bytes, PNL_SHEET);
    let header: Vec<String> = (0..2 + report.columns.len() as u32)
        .map(|c| text(pnl.get_value((PNL_HEADER_ROW, c))))
        .collect();
    assert_eq!(header[..2], ["Code", "Account"]);
    assert_eq!(
        header[2..],
        report
            .columns
            .iter()
            .map(|c| c.name.clone())
            .collect::<Vec<_>>()
    );
    let mut next = PNL_HEADER_ROW + 1;
    let mut net_profit_row = None;
    for line in &report.lines {
        let row = (next..=last_row(&pnl))
            .find(|&r| text(pnl.get_value((r, 1))).starts_with(&line.account_name))
            .unwrap_or_else(|| panic!("no row for {}", line.key));
        assert_eq!(
            text(pnl.get_value((row, 0))),
            line.account_code.clone().unwrap_or_default(),
            "{}",
            line.key
        );
        for (i, col) in report.columns.iter().enumerate() {
            assert_eq!(
                cents(pnl.get_value((row, 2 + i as u32))),
                line.values.at(i),
                "{} {}",
                line.key,
                col.key
            );
        }
        if line.key == "net_profit" {
            net_profit_row = Some(row);
        }
        next = row + 1;
    }
    let consolidated = 2 + report
        .columns
        .iter()
        .position(|c| c.key == CONSOLIDATED)
        .unwrap() as u32;
    let row = net_profit_row.expect("a Net Profit row");
    assert_eq!(text(pnl.get_value((row, 1))), "Net Profit");
    assert_eq!(
        Some(cents(pnl.get_value((row, consolidated)))),
        report.net_profit.get(CONSOLIDATED)
    );

    // The eliminated invoice lines add up to the eliminations column.
    let elim = sheet(bytes, ELIMINATIONS_SHEET);
    let lines: Vec<u32> = (1..=last_row(&elim))
        .filter(|&r| !text(elim.get_value((r, 4))).is_empty())
        .collect();
    assert!(lines.len() > 50, "{}", lines.len());
    let effect: Decimal = lines.iter().map(|&r| cents(elim.get_value((r, 14)))).sum();
    let eliminations = report.net_profit.get(ELIMINATIONS).unwrap();
    assert_ne!(eliminations, Decimal::ZERO);
    assert_eq!(effect, eliminations);
    assert_eq!(text(elim.get_value((last_row(&elim), 0))), "Total");
    assert_eq!(cents(elim.get_value((last_row(&elim), 14))), eliminations);
    // Each line's translated amount is its effect, give or take the sign.
    for &r in &lines {
        assert_eq!(
            cents(elim.get_value((r, 13))).abs(),
            cents(elim.get_value((r, 14))).abs()
        );
    }

    // One row per rate used.
    let rates = sheet(bytes, RATES_SHEET);
    assert_eq!(last_row(&rates) as usize, report.rates.len());
    for (r, used) in (1..).zip(&report.rates) {
        assert_eq!(text(rates.get_value((r, 0))), used.currency.as_str());
        assert_eq!(text(rates.get_value((r, 1))), used.month.to_string());
        assert!(matches!(rates.get_value((r, 2)), Some(Data::Float(_))));
    }

    // calamine does not read panes: the sheet's XML says the header is
    // frozen.
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes.to_vec())).unwrap();
    let mut xml = String::new();
    zip.by_name("xl/worksheets/sheet1.xml")
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    let pane = format!(r#"ySplit="{}""#, PNL_HEADER_ROW + 1);
    assert!(xml.contains(&pane) && xml.contains(r#"state="frozen""#));
}

crate::backends!(the_demo_group_downloads_as_excel);

async fn the_demo_group_downloads_as_excel(backend: Backend) {
    let mut demo = demo_group(backend).await;
    let last = Month::of(Utc::now().date_naive()).prev();
    let period = MonthRange::new(last.plus(-11), last).unwrap();
    let (_, report) = consolidation::consolidate_group(demo.s.app.store(), &demo.group, period)
        .await
        .unwrap();
    assert_eq!(report.rates.len(), 3 * 12, "AUD, GBP and USD each month");
    let (from, to) = (period.from(), period.to());
    let url = format!(
        "/api/v1/groups/{}/reports/profit-and-loss?from={from}&to={to}",
        demo.group_id
    );

    let (kind, disposition, bytes) = download(&demo, &format!("{url}&format=xlsx"), None).await;
    assert_eq!(kind, XLSX_CONTENT_TYPE);
    assert_eq!(
        disposition,
        format!("attachment; filename=\"consolidated-pnl-{from}-{to}.xlsx\"")
    );
    check_pnl_workbook(&bytes, &report);

    // The Accept header asks for the same file; JSON and CSV still work.
    let (kind, _, by_accept) = download(&demo, &url, Some(XLSX_CONTENT_TYPE)).await;
    assert_eq!(kind, XLSX_CONTENT_TYPE);
    check_pnl_workbook(&by_accept, &report);
    let (kind, _, csv) = download(&demo, &format!("{url}&format=csv"), None).await;
    assert!(kind.starts_with("text/csv"), "{kind}");
    // Every line and value of the report, as plain decimals.
    let csv = String::from_utf8(csv).unwrap();
    let rows: Vec<Vec<String>> = csv.lines().map(fields).collect();
    assert_eq!(rows.len(), report.lines.len() + 1);
    for (row, line) in rows[1..].iter().zip(&report.lines) {
        assert_eq!(row[2], line.account_name);
        let values: Vec<Decimal> = row[3..].iter().map(|v| v.parse().unwrap()).collect();
        assert_eq!(values, line.values.to_vec(), "{}", line.account_name);
    }
    let (kind, _, json) = download(&demo, &url, None).await;
    assert!(kind.starts_with("application/json"), "{kind}");
    let json: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(
        json["net_profit"],
        serde_json::to_value(&report.net_profit).unwrap()
    );
    let bad = reqwest::Client::new()
        .get(format!("{}{url}&format=pdf", demo.s.app.address))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);

    // The report page (signed in since the group was connected) links to
    // the file.
    let page = demo
        .s
        .app
        .client
        .get(&format!(
            "/groups/{}/reports/profit-and-loss?from={from}&to={to}",
            demo.group_id
        ))
        .await;
    assert!(
        page.body.contains("format=xlsx\">Excel</a>"),
        "{}",
        page.body
    );

    // The intercompany reconciliation, with its pairs and summary.
    let data = consolidation::load(demo.s.app.store(), &demo.group, period)
        .await
        .unwrap();
    let rec = engine::reconcile_intercompany(&data, period).unwrap();
    let (kind, disposition, bytes) = download(
        &demo,
        &format!(
            "/api/v1/groups/{}/reports/intercompany?from={from}&to={to}&format=xlsx",
            demo.group_id
        ),
        None,
    )
    .await;
    assert_eq!(kind, XLSX_CONTENT_TYPE);
    assert!(disposition.contains("intercompany-"), "{disposition}");
    assert_eq!(workbook(&bytes).sheet_names(), [PAIRS_SHEET, SUMMARY_SHEET]);
    let pairs = sheet(&bytes, PAIRS_SHEET);
    assert_eq!(last_row(&pairs) as usize, rec.pairs.len());
    let names: Vec<String> = data.entities.iter().map(|e| e.name.clone()).collect();
    for r in 1..=last_row(&pairs) {
        assert!(names.contains(&text(pairs.get_value((r, 0)))));
    }

    // The same items as CSV: a row per pair, the net effects adding up to
    // the reconciliation's.
    let (kind, disposition, csv) = download(
        &demo,
        &format!(
            "/api/v1/groups/{}/reports/intercompany?from={from}&to={to}&format=csv",
            demo.group_id
        ),
        None,
    )
    .await;
    assert!(kind.starts_with("text/csv"), "{kind}");
    assert_eq!(
        disposition,
        format!("attachment; filename=\"intercompany-{from}-{to}.csv\"")
    );
    let csv = String::from_utf8(csv).unwrap();
    let rows: Vec<Vec<String>> = csv.lines().map(fields).collect();
    assert_eq!(rows[0], INTERCOMPANY_HEADER);
    assert_eq!(rows.len(), rec.pairs.len() + 1);
    let col = |name: &str| INTERCOMPANY_HEADER.iter().position(|h| *h == name).unwrap();
    let net: Decimal = rows[1..]
        .iter()
        .filter(|r| !r[col("net_effect")].is_empty())
        .map(|r| r[col("net_effect")].parse::<Decimal>().unwrap())
        .sum();
    assert_eq!(
        net,
        rec.pairs
            .iter()
            .filter_map(|p| p.net_effect)
            .sum::<Decimal>()
    );
    let missing = rows[1..]
        .iter()
        .filter(|r| r[col("status")] == "counterpart_missing")
        .count();
    assert!(missing >= 1, "the demo's bill never entered is listed");
    assert!(rows[1..].iter().all(|r| names.contains(&r[col("seller")])));

    // The reconciliation page links to both files.
    let page = demo
        .s
        .app
        .client
        .get(&format!(
            "/groups/{}/reports/intercompany?from={from}&to={to}",
            demo.group_id
        ))
        .await;
    for format in ["csv", "xlsx"] {
        assert!(
            page.body.contains(&format!("format={format}\"")),
            "{format}: {}",
            page.body
        );
    }

    let summary = sheet(&bytes, SUMMARY_SHEET);
    assert_eq!(last_row(&summary) as usize, rec.summary.len());
    let net: Decimal = (1..=last_row(&summary))
        .map(|r| cents(summary.get_value((r, 8))))
        .sum();
    assert_eq!(
        net,
        rec.summary.iter().map(|s| s.net_effect).sum::<Decimal>()
    );
}

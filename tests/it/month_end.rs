//! Month-end close against the simulator's demo group, on both databases:
//! a close refused with its reasons, a close that freezes a content-hashed
//! snapshot which rebuilds byte for byte (also after the books changed and
//! a sync ran), reopening into version 2, the pack's workbook against its
//! JSON, and the pages' forms.

use std::io::Cursor;
use std::str::FromStr;

use calamine::{Data, Range, Reader, Xlsx, open_workbook_from_rs};
use chrono::Utc;
use consol::consolidation;
use consol::domain::{Month, MonthRange};
use consol::month_end::Snapshot;
use consol::store::Store;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{Backend, SyncedGroup, synced_demo_group};

crate::backends!(
    closing_is_refused_with_its_reasons_until_the_month_is_ready,
    a_closed_month_is_a_snapshot_that_rebuilds_byte_for_byte_after_the_books_change,
    reopening_keeps_version_one_and_the_next_close_makes_version_two,
    the_pack_workbook_ties_to_the_pack_json_and_its_figures_to_the_reports,
    the_pages_close_a_month_and_keep_commentary,
    consol_pack_build_closes_a_ready_month_and_writes_the_pack,
);

pub(crate) const TOKEN: &str = "consol_month_end_token";

/// The last complete month: the latest one a close may take.
fn last_month() -> Month {
    Month::of(Utc::now().date_naive()).prev()
}

pub(crate) async fn group_with_token(backend: Backend, set_up: bool) -> SyncedGroup {
    let g = synced_demo_group(backend).await;
    if set_up {
        crate::helpers::set_up_like_the_demo(g.s.app.store(), &g.group, g.user_id).await;
    }
    crate::helpers::api_token(g.s.app.store(), g.user_id, TOKEN).await;
    g
}

pub(crate) async fn call(
    g: &SyncedGroup,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
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

async fn close(g: &SyncedGroup, m: Month) -> (u16, Value) {
    call(g, "POST", &format!("/month-end/{m}/close"), None).await
}

/// The stored snapshot of a version, read straight from the table.
async fn stored(store: &Store, group: i64, m: Month, version: i32) -> (String, String) {
    const Q: &str = "SELECT snapshot, snapshot_hash FROM month_end_versions \
                     WHERE group_id = $1 AND month = $2 AND version = $3";
    match store {
        Store::Sqlite(p) => sqlx::query_as(Q)
            .bind(group)
            .bind(m.to_string())
            .bind(version)
            .fetch_one(p)
            .await
            .unwrap(),
        Store::Postgres(p) => sqlx::query_as(Q)
            .bind(group)
            .bind(m.to_string())
            .bind(version)
            .fetch_one(p)
            .await
            .unwrap(),
    }
}

fn sha256(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn audit_actions(store: &Store, group: i64) -> Vec<String> {
    store
        .audit_log(Some(group), 100)
        .await
        .unwrap()
        .into_iter()
        .map(|(_, e)| e.action)
        .filter(|a| a.starts_with("month_end."))
        .collect()
}

pub(crate) fn dec(v: &Value) -> Decimal {
    Decimal::from_str(v.as_str().unwrap_or_else(|| panic!("not a decimal: {v}"))).unwrap()
}

async fn closing_is_refused_with_its_reasons_until_the_month_is_ready(backend: Backend) {
    // Synced, but nothing set up: no rates, no mappings.
    let g = group_with_token(backend, false).await;
    let store = g.s.app.store().clone();
    let m = last_month();

    let (status, body) = close(&g, m).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "not_ready");
    let codes: Vec<&str> = body["error"]["details"]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"missing_rate"), "{codes:?}");
    assert!(codes.contains(&"unmapped_account"), "{codes:?}");
    assert!(!codes.contains(&"not_synced"), "{codes:?}");

    // The month still running cannot close, whatever the set-up.
    let (status, body) = close(&g, m.next()).await;
    assert_eq!(status, 409);
    assert_eq!(
        body["error"]["details"]["reasons"][0]["code"],
        "month_not_ended"
    );

    // Set up as the demo: the month closes, unless an entity's last sync
    // is from before the month's end.
    crate::helpers::set_up_like_the_demo(&store, &g.group, g.user_id).await;
    let entity = store
        .entities_for_group(g.group.id)
        .await
        .unwrap()
        .remove(0);
    let before_end = m.last_day().and_hms_opt(12, 0, 0).unwrap().and_utc();
    const SYNCED: &str = "UPDATE organisations SET last_synced_at = $1 WHERE id = $2";
    match &store {
        Store::Sqlite(p) => sqlx::query(SYNCED)
            .bind(before_end)
            .bind(entity.organisation_id)
            .execute(p)
            .await
            .map(|_| ())
            .unwrap(),
        Store::Postgres(p) => sqlx::query(SYNCED)
            .bind(before_end)
            .bind(entity.organisation_id)
            .execute(p)
            .await
            .map(|_| ())
            .unwrap(),
    }
    let (status, body) = close(&g, m).await;
    assert_eq!(status, 409, "{body}");
    let reasons = body["error"]["details"]["reasons"].as_array().unwrap();
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert_eq!(reasons[0]["code"], "not_synced");
    assert!(
        reasons[0]["message"]
            .as_str()
            .unwrap()
            .contains(&entity.name),
        "{reasons:?}"
    );
    // Refusals store nothing.
    assert!(
        store
            .month_end_versions(g.group.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(audit_actions(&store, g.group.id).await.is_empty());

    // A sync after the month's end makes it ready.
    consol::sync::enqueue(
        &store,
        entity.organisation_id,
        consol::sync::SyncKind::Incremental,
    )
    .await
    .unwrap();
    consol::sync::worker(store.clone(), g.s.xero.clone())
        .drain()
        .await
        .unwrap();
    let (status, body) = close(&g, m).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["version"], 1);
    assert_eq!(body["status"], "closed");
    assert_eq!(body["closed_by"], "fin@example.com");
    // Closing twice is a conflict, not a second version.
    let (status, body) = close(&g, m).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "conflict");
    assert_eq!(audit_actions(&store, g.group.id).await, ["month_end.close"]);

    // The overview: the month is closed at version 1, the month before
    // open without one.
    let (status, list) = call(&g, "GET", "/month-end", None).await;
    assert_eq!(status, 200);
    let months = list.as_array().unwrap();
    let row = |mm: Month| {
        months
            .iter()
            .find(|r| r["month"] == mm.to_string())
            .unwrap_or_else(|| panic!("{mm} in {list}"))
            .clone()
    };
    assert_eq!(row(m)["status"], "closed");
    assert_eq!(row(m)["version"], 1);
    assert_eq!(row(m.prev())["status"], "open");
    assert!(row(m.prev())["version"].is_null());
    assert!(row(m)["sent_at"].is_null());

    // An entity without a profit and loss for the month blocks its close.
    const FORGET: &str = "DELETE FROM report_amounts WHERE organisation_id = $1 AND month = $2";
    let earlier = m.prev().to_string();
    match &store {
        Store::Sqlite(p) => sqlx::query(FORGET)
            .bind(entity.organisation_id)
            .bind(&earlier)
            .execute(p)
            .await
            .map(|_| ())
            .unwrap(),
        Store::Postgres(p) => sqlx::query(FORGET)
            .bind(entity.organisation_id)
            .bind(&earlier)
            .execute(p)
            .await
            .map(|_| ())
            .unwrap(),
    }
    let (status, body) = close(&g, m.prev()).await;
    assert_eq!(status, 409, "{body}");
    let reasons = body["error"]["details"]["reasons"].as_array().unwrap();
    assert!(
        reasons
            .iter()
            .any(|r| r["code"] == "missing_pnl"
                && r["message"].as_str().unwrap().contains(&entity.name)),
        "{reasons:?}"
    );
}

async fn a_closed_month_is_a_snapshot_that_rebuilds_byte_for_byte_after_the_books_change(
    backend: Backend,
) {
    let g = group_with_token(backend, true).await;
    let store = g.s.app.store().clone();
    let m = last_month();
    let (status, body) = close(&g, m).await;
    assert_eq!(status, 200, "{body}");
    let (text, hash) = stored(&store, g.group.id, m, 1).await;
    // The hash is the SHA-256 of the stored bytes, which are canonical JSON
    // (keys sorted at every depth, no spaces).
    assert_eq!(hash, sha256(&text));
    assert_eq!(body["snapshot_hash"], hash);
    let parsed: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        consol::month_end::canonical_json(&parsed),
        text,
        "stored canonically"
    );
    assert!(!text.contains(": ") && !text.contains('\n'));
    // The inputs carry the source amounts with their sync runs.
    let pnl = parsed["inputs"]["pnl"].as_array().unwrap();
    assert!(!pnl.is_empty());
    assert!(pnl.iter().all(|p| p["sync_run_id"].is_i64()), "sync runs");
    assert!(!parsed["inputs"]["rates"].as_array().unwrap().is_empty());
    assert!(!parsed["inputs"]["invoices"].as_array().unwrap().is_empty());
    assert!(!parsed["inputs"]["mappings"].as_array().unwrap().is_empty());
    assert!(
        !parsed["inputs"]["intercompany_contacts"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // Rebuilding from the stored inputs gives the same bytes.
    assert!(Snapshot::rebuild(&text).unwrap() == text, "rebuild differs");

    // The month's consolidated net profit in the snapshot, before the
    // books change.
    let snap_np = dec(&parsed["outputs"]["profit_and_loss"]["month"]["net_profit"]["consolidated"]);
    let (_, report) = consolidation::consolidate_group(&store, &g.group, MonthRange::single(m))
        .await
        .unwrap();
    assert_eq!(
        report.net_profit.get("consolidated").unwrap(),
        snap_np,
        "the snapshot holds the report of the month"
    );

    // A bookkeeper voids a sales invoice of the closed month in Xero, and
    // a sync brings the change.
    let token = crate::sync::bookkeeper_token(&g.s).await;
    let entity = store
        .entities_for_group(g.group.id)
        .await
        .unwrap()
        .remove(0);
    let voided =
        g.s.sim
            .state()
            .with_ledger(entity.tenant_id.parse().unwrap(), |l| {
                use consol::xero::{InvoiceStatus, InvoiceType};
                l.get_invoices(&Default::default())
                    .unwrap()
                    .invoices
                    .into_iter()
                    .find(|i| {
                        i.invoice_type == Some(InvoiceType::AccRec)
                            && i.status == Some(InvoiceStatus::Authorised)
                            && i.amount_paid.unwrap_or_default().is_zero()
                            && !i.total.unwrap_or_default().is_zero()
                            && Month::of(i.date.unwrap().date()) == m
                    })
                    .map(|i| i.invoice_id.unwrap().to_string())
            })
            .unwrap()
            .expect("an unpaid sales invoice in the closed month");
    crate::sync::xero_write(
        &g.s,
        &token,
        &entity.tenant_id,
        reqwest::Method::POST,
        &format!("Invoices/{voided}"),
        json!({"Invoices": [{"InvoiceID": voided, "Status": "VOIDED"}]}),
    )
    .await;
    consol::sync::enqueue(
        &store,
        entity.organisation_id,
        consol::sync::SyncKind::Incremental,
    )
    .await
    .unwrap();
    consol::sync::worker(store.clone(), g.s.xero.clone())
        .drain()
        .await
        .unwrap();
    let (_, now) = consolidation::consolidate_group(&store, &g.group, MonthRange::single(m))
        .await
        .unwrap();
    assert_ne!(
        now.net_profit.get("consolidated").unwrap(),
        snap_np,
        "the voided invoice changed today's report"
    );

    // The snapshot is unchanged, still rebuilds identically, and the pack
    // still shows the frozen figure.
    let (after, after_hash) = stored(&store, g.group.id, m, 1).await;
    assert!(after == text, "the snapshot changed");
    assert_eq!(after_hash, hash);
    assert!(
        Snapshot::rebuild(&after).unwrap() == text,
        "rebuild differs"
    );
    let (status, pack) = call(&g, "GET", &format!("/month-end/{m}/pack"), None).await;
    assert_eq!(status, 200, "{pack}");
    let pnl = pack["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == "profit_and_loss")
        .unwrap();
    let np = pnl["content"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["key"] == "net_profit")
        .unwrap();
    assert_eq!(dec(&np["values"]["month"]), snap_np);

    // The table refuses to change a snapshot.
    const TAMPER: &str = "UPDATE month_end_versions SET snapshot = '{}' WHERE group_id = $1";
    let refused = match &store {
        Store::Sqlite(p) => sqlx::query(TAMPER)
            .bind(g.group.id)
            .execute(p)
            .await
            .is_err(),
        Store::Postgres(p) => sqlx::query(TAMPER)
            .bind(g.group.id)
            .execute(p)
            .await
            .is_err(),
    };
    assert!(refused, "a snapshot can be overwritten");
}

async fn reopening_keeps_version_one_and_the_next_close_makes_version_two(backend: Backend) {
    let g = group_with_token(backend, true).await;
    let store = g.s.app.store().clone();
    let m = last_month();
    assert_eq!(close(&g, m).await.0, 200);
    let (v1, h1) = stored(&store, g.group.id, m, 1).await;

    // A reason is required.
    let (status, body) = call(
        &g,
        "POST",
        &format!("/month-end/{m}/reopen"),
        Some(json!({"reason": "  "})),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["details"]["reason"], "required");
    let (status, body) = call(
        &g,
        "POST",
        &format!("/month-end/{m}/reopen"),
        Some(json!({"reason": "Late supplier bill"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["version"], 1);
    assert_eq!(body["status"], "open");
    assert_eq!(body["reopen_reason"], "Late supplier bill");
    // Reopening an open month is a conflict.
    let (status, _) = call(
        &g,
        "POST",
        &format!("/month-end/{m}/reopen"),
        Some(json!({"reason": "again"})),
    )
    .await;
    assert_eq!(status, 409);

    let (_, list) = call(&g, "GET", "/month-end", None).await;
    let row = list
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["month"] == m.to_string())
        .unwrap()
        .clone();
    assert_eq!(row["status"], "open");
    assert_eq!(row["version"], 1);

    let (status, body) = close(&g, m).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["version"], 2);
    // Version 1 stays as it was; nothing changed in between, so version 2
    // froze the same snapshot.
    assert_eq!(
        stored(&store, g.group.id, m, 1).await,
        (v1.clone(), h1.clone())
    );
    let (v2, h2) = stored(&store, g.group.id, m, 2).await;
    assert_eq!(h2, sha256(&v2));
    assert!(v2 == v1, "same data, same snapshot");

    let (_, list) = call(&g, "GET", "/month-end", None).await;
    let row = list
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["month"] == m.to_string())
        .unwrap()
        .clone();
    assert_eq!(row["status"], "closed");
    assert_eq!(row["version"], 2);
    let versions = row["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[1]["version"], 1);
    assert_eq!(versions[1]["reopen_reason"], "Late supplier bill");
    assert_eq!(versions[1]["reopened_by"], "fin@example.com");
    assert!(versions[0]["reopened_at"].is_null());

    // Newest first: close, reopen, close.
    assert_eq!(
        audit_actions(&store, g.group.id).await,
        ["month_end.close", "month_end.reopen", "month_end.close"]
    );
    let log = store.audit_log(Some(g.group.id), 10).await.unwrap();
    let reopen = log
        .iter()
        .find(|(_, e)| e.action == "month_end.reopen")
        .unwrap();
    assert!(reopen.1.detail.contains("Late supplier bill"), "{reopen:?}");
}

pub(crate) fn workbook(bytes: &[u8]) -> Xlsx<Cursor<Vec<u8>>> {
    open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap()
}

pub(crate) fn sheet(bytes: &[u8], name: &str) -> Range<Data> {
    workbook(bytes).worksheet_range(name).unwrap()
}

/// A number cell as the decimal the pack JSON gives, compared at the
/// currency's cents: the file holds doubles.
pub(crate) fn cents(cell: Option<&Data>) -> Option<Decimal> {
    match cell {
        Some(Data::Float(x)) => Some(Decimal::from_str(&format!("{x:.2}")).unwrap()),
        Some(Data::Int(i)) => Some(Decimal::from(*i)),
        Some(Data::Empty) | None => None,
        other => panic!("not a number: {other:?}"),
    }
}

pub(crate) fn text(cell: Option<&Data>) -> String {
    match cell {
        Some(Data::String(s)) => s.clone(),
        Some(Data::Empty) | None => String::new(),
        other => panic!("not text: {other:?}"),
    }
}

pub(crate) fn opt_dec(v: &Value) -> Option<Decimal> {
    v.as_str()
        .map(|s| Decimal::from_str(s).unwrap().round_dp(2))
}

async fn the_pack_workbook_ties_to_the_pack_json_and_its_figures_to_the_reports(backend: Backend) {
    let g = group_with_token(backend, true).await;
    let store = g.s.app.store().clone();
    let m = last_month();
    // No pack before a close.
    let (status, _) = call(&g, "GET", &format!("/month-end/{m}/pack"), None).await;
    assert_eq!(status, 404);
    assert_eq!(close(&g, m).await.0, 200);

    // Commentary on a section, through the API.
    let (status, body) = call(
        &g,
        "PUT",
        &format!("/month-end/{m}/commentary"),
        Some(json!({"section": "profit_and_loss", "body": "Revenue up on the Sydney contract."})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = call(
        &g,
        "PUT",
        &format!("/month-end/{m}/commentary"),
        Some(json!({"section": "nonsense", "body": "x"})),
    )
    .await;
    assert_eq!(status, 422, "{body}");

    let (status, pack) = call(&g, "GET", &format!("/month-end/{m}/pack?format=json"), None).await;
    assert_eq!(status, 200, "{pack}");
    let keys: Vec<&str> = pack["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "cover",
            "kpis",
            "profit_and_loss",
            "intercompany",
            "warnings"
        ]
    );
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
    assert_eq!(cover["content"]["group_name"], "Kea Group");
    assert_eq!(cover["content"]["month"], m.to_string());
    assert_eq!(cover["content"]["closed_by"], "fin@example.com");
    let pnl = section("profit_and_loss");
    assert_eq!(pnl["content"]["kind"], "statement");
    assert_eq!(pnl["commentary"], "Revenue up on the Sydney contract.");

    // Each column's net profit is the report of its period, consolidated
    // on its own (the group's year ends in March).
    let fy_start = m.financial_year_end(3).plus(-11);
    let np_line = pnl["content"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["key"] == "net_profit")
        .unwrap()
        .clone();
    for (column, from, to) in [
        ("month", m, m),
        ("prior_month", m.prev(), m.prev()),
        ("last_year_month", m.plus(-12), m.plus(-12)),
        ("year_to_date", fy_start, m),
        ("last_year_to_date", fy_start.plus(-12), m.plus(-12)),
    ] {
        let (_, r) =
            consolidation::consolidate_group(&store, &g.group, MonthRange::new(from, to).unwrap())
                .await
                .unwrap();
        assert_eq!(
            dec(&np_line["values"][column]),
            r.net_profit.get("consolidated").unwrap(),
            "{column}"
        );
    }
    // The KPIs: consolidated first; revenue of the month is the Income total.
    let kpis = section("kpis");
    let first = &kpis["content"]["columns"][0];
    assert_eq!(first["consolidated"], true);
    let income = pnl["content"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["key"] == "total:income")
        .unwrap()
        .clone();
    assert_eq!(
        dec(&first["month"]["revenue"]),
        dec(&income["values"]["month"])
    );
    assert_eq!(
        dec(&first["month"]["net_profit"]),
        dec(&np_line["values"]["month"])
    );
    // Gross margin = (revenue - cost of sales) / revenue, to one decimal.
    let rev = dec(&first["year_to_date"]["revenue"]);
    let cos = dec(&first["year_to_date"]["cost_of_sales"]);
    assert_eq!(
        dec(&first["year_to_date"]["gross_margin_percent"]),
        ((rev - cos) * Decimal::ONE_HUNDRED / rev).round_dp(1)
    );

    // The workbook holds the same figures, line by line.
    let resp = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/groups/{}/month-end/{m}/pack?format=xlsx",
            g.s.app.address, g.group.id
        ))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-type"],
        consol::export::XLSX_CONTENT_TYPE
    );
    let bytes = resp.bytes().await.unwrap().to_vec();
    let names = workbook(&bytes).sheet_names().to_vec();
    assert_eq!(
        names,
        [
            "Cover",
            "Key figures",
            "Profit and loss",
            "Intercompany",
            "Warnings"
        ]
    );
    let ws = sheet(&bytes, "Profit and loss");
    assert_eq!(
        text(ws.get_value((1, 0))),
        "Revenue up on the Sydney contract."
    );
    let columns = pnl["content"]["columns"].as_array().unwrap();
    for (c, col) in columns.iter().enumerate() {
        assert_eq!(
            text(ws.get_value((3, 2 + c as u32))),
            col["title"].as_str().unwrap()
        );
    }
    let lines = pnl["content"]["lines"].as_array().unwrap();
    assert!(lines.len() > 10, "{}", lines.len());
    for (i, l) in lines.iter().enumerate() {
        let row = 4 + i as u32;
        assert_eq!(
            text(ws.get_value((row, 1))),
            l["account_name"].as_str().unwrap(),
            "row {row}"
        );
        for (c, col) in columns.iter().enumerate() {
            let key = col["key"].as_str().unwrap();
            assert_eq!(
                cents(ws.get_value((row, 2 + c as u32))),
                opt_dec(&l["values"][key]),
                "{} {key}",
                l["key"]
            );
        }
    }
    assert!(
        ws.get_value((4 + lines.len() as u32, 1))
            .is_none_or(|d| *d == Data::Empty)
    );
    let kws = sheet(&bytes, "Key figures");
    for (i, k) in kpis["content"]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        let row = 4 + i as u32;
        assert_eq!(text(kws.get_value((row, 0))), k["name"].as_str().unwrap());
        assert_eq!(
            cents(kws.get_value((row, 1))),
            opt_dec(&k["month"]["revenue"])
        );
        assert_eq!(
            cents(kws.get_value((row, 5))),
            opt_dec(&k["month"]["net_profit"])
        );
        assert_eq!(
            cents(kws.get_value((row, 10))),
            opt_dec(&k["year_to_date"]["net_profit"])
        );
    }
    let ic = section("intercompany");
    let iws = sheet(&bytes, "Intercompany");
    for (i, r) in ic["content"]["rows"].as_array().unwrap().iter().enumerate() {
        let row = 4 + i as u32;
        assert_eq!(text(iws.get_value((row, 0))), r["seller"].as_str().unwrap());
        assert_eq!(cents(iws.get_value((row, 7))), opt_dec(&r["net_effect"]));
    }

    // An unknown format is refused (the PDF is tested in month_end_pdf.rs).
    let (status, _) = call(&g, "GET", &format!("/month-end/{m}/pack?format=doc"), None).await;
    assert_eq!(status, 422);
    let (status, _) = call(&g, "GET", "/month-end/2026-13/pack", None).await;
    assert_eq!(status, 422);
}

async fn the_pages_close_a_month_and_keep_commentary(backend: Backend) {
    let mut g = group_with_token(backend, true).await;
    let gid = g.group.id;
    let m = last_month();
    let client = &mut g.s.app.client;

    let group_page = client.get(&format!("/groups/{gid}")).await;
    assert!(
        group_page
            .body
            .contains(&format!("/groups/{gid}/month-end"))
    );
    let overview = client.get(&format!("/groups/{gid}/month-end")).await;
    assert_eq!(overview.status, 200, "{}", overview.body);
    assert!(overview.body.contains(&format!("Close {m}")));

    // Without the form's CSRF token nothing closes.
    let forged = client
        .post_form(
            &format!("/groups/{gid}/month-end/{m}/close"),
            &[("csrf_token", "wrong")],
        )
        .await;
    assert_eq!(forged.status, 403);
    let csrf = crate::helpers::session_csrf(client).await;
    // The month still running is refused with its reason, on the page.
    let refused = client
        .post_form(
            &format!("/groups/{gid}/month-end/{}/close", m.next()),
            &[("csrf_token", csrf.as_str())],
        )
        .await;
    assert_eq!(refused.status, 409);
    assert!(
        refused.body.contains("has not ended yet"),
        "{}",
        refused.body
    );

    let closed = client
        .post_form(
            &format!("/groups/{gid}/month-end/{m}/close"),
            &[("csrf_token", csrf.as_str())],
        )
        .await;
    assert_eq!(closed.status, 303, "{}", closed.body);
    let pack_url = format!("/groups/{gid}/month-end/{m}");
    assert_eq!(closed.location(), Some(pack_url.as_str()));
    let page = client.get(&pack_url).await;
    assert_eq!(page.status, 200, "{}", page.body);
    for title in [
        "Cover",
        "Key figures",
        "Consolidated profit and loss",
        "Intercompany reconciliation",
        "Warnings",
    ] {
        assert!(page.body.contains(title), "{title}");
    }
    assert!(page.body.contains("fin@example.com"));

    let saved = client
        .post_form(
            &format!("/groups/{gid}/month-end/{m}/commentary"),
            &[
                ("csrf_token", csrf.as_str()),
                ("section", "kpis"),
                ("body", "Margins <held> & steady."),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let page = client.get(&pack_url).await;
    assert!(
        page.body.contains("Margins &#60;held&#62; &#38; steady.")
            || page.body.contains("Margins &lt;held&gt; &amp; steady."),
        "escaped commentary"
    );
    let no_csrf = client
        .post_form(
            &format!("/groups/{gid}/month-end/{m}/commentary"),
            &[("section", "kpis"), ("body", "overwritten")],
        )
        .await;
    assert_eq!(no_csrf.status, 403);
    let store = g.s.app.store();
    let v = store.latest_month_end(gid, m).await.unwrap().unwrap();
    let c = store.commentary(v.id).await.unwrap();
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].body, "Margins <held> & steady.");
    assert_eq!(c[0].updated_by_email.as_deref(), Some("fin@example.com"));

    // Reopening from the page needs a reason.
    let client = &mut g.s.app.client;
    let blank = client
        .post_form(
            &format!("/groups/{gid}/month-end/{m}/reopen"),
            &[("csrf_token", csrf.as_str()), ("reason", " ")],
        )
        .await;
    assert_eq!(blank.status, 422);
    let reopened = client
        .post_form(
            &format!("/groups/{gid}/month-end/{m}/reopen"),
            &[("csrf_token", csrf.as_str()), ("reason", "Accrual missed")],
        )
        .await;
    assert_eq!(reopened.status, 303);
    let overview = client.get(&format!("/groups/{gid}/month-end")).await;
    assert!(overview.body.contains("Accrual missed"));
}

/// `consol pack build` on the test's database.
fn pack_build(url: &str, group: i64, m: Month, out: &std::path::Path) -> std::process::Output {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_consol"));
    for (k, _) in std::env::vars() {
        if k.starts_with("CONSOL_") {
            c.env_remove(k);
        }
    }
    c.args(["pack", "build", "--group", &group.to_string(), "--month"])
        .arg(m.to_string())
        .arg("--out")
        .arg(out)
        .env("CONSOL_DATABASE_URL", url)
        .env(
            "CONSOL_SECRET_KEY",
            "a-test-key-of-at-least-thirty-two-characters",
        )
        .env("CONSOL_LOG", "error")
        .output()
        .unwrap()
}

async fn consol_pack_build_closes_a_ready_month_and_writes_the_pack(backend: Backend) {
    let g = group_with_token(backend, false).await;
    let store = g.s.app.store().clone();
    let m = last_month();
    let out = std::env::temp_dir().join(format!(
        "consol-pack-{}-{}",
        std::process::id(),
        Utc::now().timestamp_nanos_opt().unwrap_or_default()
    ));

    // Not set up: refused with the reasons, nothing closed or written.
    let refused = pack_build(&g.s.app.db.url, g.group.id, m, &out);
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("cannot be closed yet"), "{err}");
    assert!(err.contains("No average"), "{err}");
    assert!(!out.join("pack.json").exists());
    assert!(
        store
            .month_end_versions(g.group.id)
            .await
            .unwrap()
            .is_empty()
    );

    crate::helpers::set_up_like_the_demo(&store, &g.group, g.user_id).await;
    let done = pack_build(&g.s.app.db.url, g.group.id, m, &out);
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let versions = store.month_end_versions(g.group.id).await.unwrap();
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0].closed_by, None, "closed from the command line");
    // Frozen by another process, rebuilt by this one: the same bytes.
    let (text, hash) = stored(&store, g.group.id, m, 1).await;
    assert_eq!(hash, sha256(&text));
    assert!(Snapshot::rebuild(&text).unwrap() == text, "rebuild differs");
    let log = store.audit_log(Some(g.group.id), 5).await.unwrap();
    assert!(
        log.iter()
            .any(|(_, e)| e.action == "month_end.close" && e.detail.contains("command line"))
    );

    // The files are the pack the API serves.
    let file: Value =
        serde_json::from_slice(&std::fs::read(out.join("pack.json")).unwrap()).unwrap();
    let (status, api) = call(&g, "GET", &format!("/month-end/{m}/pack"), None).await;
    assert_eq!(status, 200);
    assert_eq!(file, api);
    let xlsx = std::fs::read(out.join("pack.xlsx")).unwrap();
    let ws = sheet(&xlsx, "Profit and loss");
    let lines = api["sections"][2]["content"]["lines"].as_array().unwrap();
    let np = lines.iter().position(|l| l["key"] == "net_profit").unwrap();
    assert_eq!(
        cents(ws.get_value((4 + np as u32, 2))),
        opt_dec(&lines[np]["values"]["month"])
    );

    // And the PDF beside them (its text is tested in month_end_pdf.rs).
    let pdf = std::fs::read(out.join("pack.pdf")).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));

    // A second run uses the closed version: no new one.
    let again = pack_build(&g.s.app.db.url, g.group.id, m, &out);
    assert!(again.status.success());
    assert_eq!(store.month_end_versions(g.group.id).await.unwrap().len(), 1);
    std::fs::remove_dir_all(&out).ok();
}

//! A sent month's restatement through the API: after the pack went out, an
//! invoice of the month is voided and a credit note is added in the
//! simulator (through Xero's API), the entity syncs, and
//! `GET /api/v1/groups/{id}/month-end/{month}/diff` lists the consolidated
//! lines that moved (decimals as strings) and names both Xero records with
//! their amounts, while the sent snapshot stays byte for byte as it was.

use std::str::FromStr;
use std::sync::Arc;

use chrono::Utc;
use consol::month_end::delivery::{self, Deliverer};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::helpers::Backend;
use crate::month_end::{call, group_with_token};

crate::backends!(the_diff_api_names_the_voided_invoice_and_the_new_credit_note);

async fn the_diff_api_names_the_voided_invoice_and_the_new_credit_note(backend: Backend) {
    let g = group_with_token(backend, true).await;
    let store = g.s.app.store().clone();
    let (status, body) = call(
        &g,
        "PUT",
        "/pack-schedule",
        Some(json!({
            "business_day": 1,
            "send_at": "00:00",
            "utc_offset": "+00:00",
            "recipients": ["board@example.org"],
            "formats": ["json"],
            "approval_required": false,
        })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let schedule = store.pack_schedule(g.group.id).await.unwrap().unwrap();
    let m = consol::month_end::schedule::due_month(&schedule, Utc::now());
    // Sent to an outbox of its own (no SMTP URL), never the working
    // directory's (a PostgreSQL URL has no data directory beside it).
    let outbox = std::env::temp_dir().join(format!(
        "consol-diff-outbox-{}-{}",
        std::process::id(),
        g.group.id
    ));
    let mut settings = crate::helpers::test_settings(&g.s.app.db.url);
    settings.outbox_dir = Some(outbox.clone());
    let worker = consol::jobs::Worker::new(store.clone(), Default::default()).handle(
        delivery::JOB_KIND,
        Arc::new(Deliverer {
            store: store.clone(),
            mailer: Arc::new(consol::mail::Mailer::from_settings(&settings).unwrap()),
            public_url: g.s.app.address.clone(),
        }),
    );
    delivery::tick(&store, Utc::now()).await.unwrap();
    worker.drain().await.unwrap();
    let v = store
        .latest_month_end(g.group.id, m)
        .await
        .unwrap()
        .unwrap();
    let sent_snapshot = store.month_end_snapshot(v.id).await.unwrap().unwrap();

    // Before any change: nothing differs.
    let (status, diff) = call(&g, "GET", &format!("/month-end/{m}/diff"), None).await;
    assert_eq!(status, 200, "{diff}");
    assert_eq!(diff["restated"], false, "{diff}");
    assert!(diff["lines"].as_array().unwrap().is_empty(), "{diff}");
    assert!(diff["records"].as_array().unwrap().is_empty(), "{diff}");

    // An unpaid sales invoice of the month, whose contact and revenue
    // account the credit note reuses, in the first entity that has one.
    // Not an intercompany sale (its elimination would move too), and in
    // the presentation currency (no translation): the month's net profit
    // then falls by the invoice's net amount exactly.
    let entities = store.entities_for_group(g.group.id).await.unwrap();
    let names: Vec<String> = entities.iter().map(|e| e.name.clone()).collect();
    let find = |tenant: uuid::Uuid| {
        g.s.sim
            .state()
            .with_ledger(tenant, |l| {
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
                            && consol::domain::Month::of(i.date.unwrap().date()) == m
                            && i.currency_code.is_some_and(|c| c.as_str() == "NZD")
                            && i.contact.as_ref().is_some_and(|c| {
                                let n = c.name.clone().unwrap_or_default();
                                !names
                                    .iter()
                                    .any(|e| n.contains(e.as_str()) || e.contains(&n))
                            })
                    })
                    .map(|i| {
                        // The list leaves line items out, as Xero's does.
                        let id = i.invoice_id.unwrap().to_string();
                        let full = l.get_invoice(&id).unwrap().invoices.remove(0);
                        (
                            id,
                            i.total.unwrap(),
                            i.contact.as_ref().unwrap().contact_id.unwrap().to_string(),
                            full.line_items
                                .unwrap()
                                .into_iter()
                                .find_map(|x| x.account_code)
                                .unwrap(),
                        )
                    })
            })
            .unwrap()
    };
    let (entity, (invoice_id, invoice_total, contact_id, account_code)) = entities
        .iter()
        .filter(|e| e.base_currency.as_str() == "NZD")
        .cloned()
        .find_map(|e| find(e.tenant_id.parse().unwrap()).map(|x| (e, x)))
        .expect("an unpaid sales invoice in the sent month");
    let tenant: uuid::Uuid = entity.tenant_id.parse().unwrap();

    let token = crate::sync::bookkeeper_token(&g.s).await;
    crate::sync::xero_write(
        &g.s,
        &token,
        &entity.tenant_id,
        reqwest::Method::POST,
        &format!("Invoices/{invoice_id}"),
        json!({"Invoices": [{"InvoiceID": invoice_id, "Status": "VOIDED"}]}),
    )
    .await;
    // A credit note of 123.45 without tax, dated in the month.
    let credit = Decimal::from_str("123.45").unwrap();
    let written = crate::sync::xero_write(
        &g.s,
        &token,
        &entity.tenant_id,
        reqwest::Method::PUT,
        "CreditNotes",
        json!({"CreditNotes": [{
            "Type": "ACCRECCREDIT",
            "Contact": {"ContactID": contact_id},
            "Date": format!("{m}-15"),
            "Status": "AUTHORISED",
            "LineAmountTypes": "NoTax",
            "LineItems": [{"Description": "Returned goods", "Quantity": 1,
                           "UnitAmount": "123.45", "AccountCode": account_code}],
        }]}),
    )
    .await;
    let credit_note_id = written["CreditNotes"][0]["CreditNoteID"]
        .as_str()
        .unwrap_or_else(|| panic!("{written}"))
        .to_string();
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

    let (status, diff) = call(&g, "GET", &format!("/month-end/{m}/diff"), None).await;
    assert_eq!(status, 200, "{diff}");
    assert_eq!(diff["month"], m.to_string());
    assert_eq!(diff["version"], v.version);
    assert_eq!(diff["snapshot_hash"], v.snapshot_hash);
    assert_eq!(diff["restated"], true, "{diff}");

    // The two records, and only they, with their amounts as strings.
    let records = diff["records"].as_array().unwrap();
    assert_eq!(records.len(), 2, "{diff}");
    let voided = records
        .iter()
        .find(|r| r["xero_id"] == invoice_id.as_str())
        .unwrap_or_else(|| panic!("the voided invoice: {diff}"));
    assert_eq!(voided["kind"], "invoice");
    assert_eq!(voided["change"], "voided");
    assert_eq!(voided["entity"], entity.name.as_str());
    assert_eq!(
        Decimal::from_str(voided["total"].as_str().unwrap()).unwrap(),
        invoice_total
    );
    let added = records
        .iter()
        .find(|r| r["xero_id"] == credit_note_id.as_str())
        .unwrap_or_else(|| panic!("the new credit note: {diff}"));
    assert_eq!(added["kind"], "credit_note");
    assert_eq!(added["xero_type"], "ACCRECCREDIT");
    assert_eq!(added["change"], "added_or_changed");
    assert_eq!(added["status"], "AUTHORISED");
    assert_eq!(added["total"], "123.45");

    // Line by line: every figure is a decimal string, and the month's
    // consolidated revenue fell by the voided invoice's net amount and the
    // credit note (both in the presentation currency, NZD, as the parent's).
    let lines = diff["lines"].as_array().unwrap();
    assert!(!lines.is_empty());
    for l in lines {
        for k in ["sent", "today", "difference"] {
            assert!(
                l[k].is_null() || l[k].as_str().is_some_and(|s| Decimal::from_str(s).is_ok()),
                "{k} of {l}"
            );
        }
        let sent = l["sent"]
            .as_str()
            .map_or(Decimal::ZERO, |s| s.parse().unwrap());
        let today = l["today"]
            .as_str()
            .map_or(Decimal::ZERO, |s| s.parse().unwrap());
        assert_eq!(
            Decimal::from_str(l["difference"].as_str().unwrap()).unwrap(),
            today - sent,
            "{l}"
        );
    }
    let net_profit: Vec<&Value> = lines
        .iter()
        .filter(|l| l["key"] == "net_profit" && l["column"] == "month")
        .collect();
    assert_eq!(net_profit.len(), 1, "{diff}");
    let invoice_net =
        g.s.sim
            .state()
            .with_ledger(tenant, |l| {
                l.get_invoice(&invoice_id).unwrap().invoices[0]
                    .sub_total
                    .unwrap()
            })
            .unwrap();
    assert_eq!(
        Decimal::from_str(net_profit[0]["difference"].as_str().unwrap()).unwrap(),
        -(invoice_net + credit),
        "voiding takes the invoice's net amount off, the credit note {credit}: {diff}"
    );

    // The snapshot that was sent is as it was.
    assert!(store.month_end_snapshot(v.id).await.unwrap().unwrap() == sent_snapshot);
    assert_eq!(
        store
            .latest_month_end(g.group.id, m)
            .await
            .unwrap()
            .unwrap()
            .snapshot_hash,
        v.snapshot_hash
    );

    let _ = std::fs::remove_dir_all(&outbox);

    // A month never closed is a 404, a bad month a field error (422).
    let (status, body) = call(&g, "GET", "/month-end/2001-01/diff", None).await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = call(&g, "GET", "/month-end/2026-13/diff", None).await;
    assert_eq!(status, 422, "{body}");
}

//! The rest of the books through the simulator's Xero API over HTTP:
//! credit notes and bank transactions a bookkeeper enters arrive in the
//! store, a change is picked up incrementally, a broken answer is a clear
//! error that keeps what was synced before, and a credit note's webhook
//! queues a sync.

use consol::sync::SyncKind;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::helpers::{Backend, SimApp, WEBHOOK_KEY, connect_demo_group, spawn_with_sim, window};
use crate::sync::{assert_malformed_error, bookkeeper_token, finish_retries, sync_all, xero_write};

crate::backends!(
    credit_notes_and_bank_transactions_arrive_and_changes_follow,
    a_broken_credit_notes_answer_keeps_what_was_synced,
    a_credit_note_webhook_queues_a_sync,
);

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// A contact of the organisation and the code of a revenue account, read
/// from the simulator's own books.
fn contact_and_sales_account(s: &SimApp, tenant: &str) -> (String, String) {
    s.sim
        .state()
        .with_ledger(tenant.parse().unwrap(), |l| {
            let contact = l.get_contacts(&Default::default()).unwrap().contacts[0]
                .contact_id
                .unwrap()
                .to_string();
            let sales = l
                .accounts()
                .iter()
                .find(|a| a.account_type.as_deref() == Some("REVENUE") && a.code.is_some())
                .and_then(|a| a.code.clone())
                .expect("a revenue account");
            (contact, sales)
        })
        .unwrap()
}

async fn advance_a_minute(s: &SimApp) {
    s.control("POST", "/_sim/clock", Some(json!({"advance_seconds": 60})))
        .await;
}

async fn credit_notes_and_bank_transactions_arrive_and_changes_follow(backend: Backend) {
    let mut s = spawn_with_sim(backend).await;
    let group = connect_demo_group(&mut s, None).await;
    for r in sync_all(&s, group, SyncKind::Full).await {
        assert_eq!(r.state, "succeeded", "{:?}", r.error);
    }
    let e = s.app.store().entities_for_group(group).await.unwrap()[0].clone();
    let tenant = e.tenant_id.clone();
    let (contact, sales) = contact_and_sales_account(&s, &tenant);
    let date = window().last().unwrap().first_day() + chrono::Days::new(9);

    // A minute later the bookkeeper enters a credit note of 200.00 and
    // spend money of 115.00 (tax inclusive).
    advance_a_minute(&s).await;
    let token = bookkeeper_token(&s).await;
    let cn: Value = xero_write(
        &s,
        &token,
        &tenant,
        reqwest::Method::PUT,
        "CreditNotes",
        json!({"CreditNotes": [{
            "Type": "ACCRECCREDIT", "Contact": {"ContactID": contact}, "Status": "AUTHORISED",
            "Date": date.to_string(), "LineAmountTypes": "NoTax", "CreditNoteNumber": "CN-IT-1",
            "LineItems": [{"Description": "Returned goods", "Quantity": 1, "UnitAmount": 200,
                           "AccountCode": sales}]}]}),
    )
    .await;
    let cn_id = cn["CreditNotes"][0]["CreditNoteID"]
        .as_str()
        .unwrap()
        .to_string();
    let bt: Value = xero_write(
        &s,
        &token,
        &tenant,
        reqwest::Method::PUT,
        "BankTransactions",
        json!({"BankTransactions": [{
            "Type": "SPEND", "Contact": {"ContactID": contact}, "BankAccount": {"Code": "090"},
            "Date": date.to_string(), "LineAmountTypes": "Inclusive",
            "LineItems": [{"Description": "Shared costs", "Quantity": 1, "UnitAmount": 115,
                           "AccountCode": sales}]}]}),
    )
    .await;
    let bt_id = bt["BankTransactions"][0]["BankTransactionID"]
        .as_str()
        .unwrap()
        .to_string();

    let runs = sync_all(&s, group, SyncKind::Incremental).await;
    assert_eq!(runs[0].state, "succeeded", "{:?}", runs[0].error);
    let by_endpoint: Value = serde_json::from_str(&runs[0].calls_by_endpoint).unwrap();
    for path in [
        "CreditNotes",
        "BankTransactions",
        "Payments",
        "Overpayments",
        "Prepayments",
    ] {
        assert_eq!(by_endpoint[format!("GET /{path}")], 1, "{by_endpoint}");
    }
    let (stored, allocations) = s
        .app
        .store()
        .credit_note(e.organisation_id, &cn_id)
        .await
        .unwrap()
        .expect("the credit note was synced");
    assert_eq!(stored.invoice_type, "ACCRECCREDIT");
    assert_eq!(stored.invoice_number.as_deref(), Some("CN-IT-1"));
    assert_eq!(stored.status, "AUTHORISED");
    assert_eq!(stored.date, date);
    // NoTax: the total is the line, 200.00.
    assert_eq!(stored.total, d("200.00"));
    assert_eq!(stored.lines[0].line_amount, Some(d("200.00")));
    assert!(allocations.is_empty());
    let spend = s
        .app
        .store()
        .bank_transaction(e.organisation_id, &bt_id)
        .await
        .unwrap()
        .expect("the spend money was synced");
    assert_eq!(spend.invoice_type, "SPEND");
    assert_eq!(spend.total, d("115.00"));
    // 115.00 including New Zealand's 15% GST: 15.00 of it is tax.
    assert_eq!(spend.lines[0].tax_amount, Some(d("15.00")));

    // The bookkeeper voids the credit note: the next incremental run brings
    // the new status and touches nothing else.
    advance_a_minute(&s).await;
    xero_write(
        &s,
        &token,
        &tenant,
        reqwest::Method::POST,
        "CreditNotes",
        json!({"CreditNotes": [{"CreditNoteID": cn_id, "Status": "VOIDED"}]}),
    )
    .await;
    let runs = sync_all(&s, group, SyncKind::Incremental).await;
    assert_eq!(runs[0].state, "succeeded", "{:?}", runs[0].error);
    let (stored, _) = s
        .app
        .store()
        .credit_note(e.organisation_id, &cn_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, "VOIDED");
    assert_eq!(runs[0].rows_inserted, 0, "only the change");
    assert!(runs[0].rows_updated >= 1);
    let spend_after = s
        .app
        .store()
        .bank_transaction(e.organisation_id, &bt_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(spend_after, spend);
}

async fn a_broken_credit_notes_answer_keeps_what_was_synced(backend: Backend) {
    let mut s = spawn_with_sim(backend).await;
    let group = connect_demo_group(&mut s, None).await;
    let e = s.app.store().entities_for_group(group).await.unwrap()[0].clone();
    let tenant = e.tenant_id.clone();
    let (contact, sales) = contact_and_sales_account(&s, &tenant);
    let date = window().last().unwrap().first_day() + chrono::Days::new(3);
    let token = bookkeeper_token(&s).await;
    let cn: Value = xero_write(
        &s,
        &token,
        &tenant,
        reqwest::Method::PUT,
        "CreditNotes",
        json!({"CreditNotes": [{
            "Type": "ACCPAYCREDIT", "Contact": {"ContactID": contact}, "Status": "AUTHORISED",
            "Date": date.to_string(), "LineAmountTypes": "NoTax",
            "LineItems": [{"Description": "Refund", "Quantity": 1, "UnitAmount": 50,
                           "AccountCode": sales}]}]}),
    )
    .await;
    let cn_id = cn["CreditNotes"][0]["CreditNoteID"]
        .as_str()
        .unwrap()
        .to_string();
    for r in sync_all(&s, group, SyncKind::Full).await {
        assert_eq!(r.state, "succeeded", "{:?}", r.error);
    }
    let invoices = s
        .app
        .store()
        .count_invoices(e.organisation_id)
        .await
        .unwrap();

    // The credit note is voided, but every answer of GET /CreditNotes now
    // comes back cut in half.
    advance_a_minute(&s).await;
    xero_write(
        &s,
        &token,
        &tenant,
        reqwest::Method::POST,
        "CreditNotes",
        json!({"CreditNotes": [{"CreditNoteID": cn_id, "Status": "VOIDED"}]}),
    )
    .await;
    s.control(
        "POST",
        "/_sim/faults",
        Some(json!({"tenant_id": tenant, "truncated_json": true,
                    "only_endpoint": "GET /CreditNotes"})),
    )
    .await;
    let id = consol::sync::enqueue(s.app.store(), e.organisation_id, SyncKind::Incremental)
        .await
        .unwrap();
    let runs = finish_retries(&s, &[id]).await;
    assert_eq!(runs[0].state, "failed");
    assert_malformed_error(&runs[0], "GET /CreditNotes");
    // What was synced before is all still there: the credit note as it was,
    // every invoice.
    let (stored, _) = s
        .app
        .store()
        .credit_note(e.organisation_id, &cn_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, "AUTHORISED");
    assert_eq!(stored.total, d("50.00"));
    assert_eq!(
        s.app
            .store()
            .count_invoices(e.organisation_id)
            .await
            .unwrap(),
        invoices
    );

    // Once Xero answers properly again, the change arrives.
    s.control("DELETE", &format!("/_sim/faults?tenant_id={tenant}"), None)
        .await;
    let runs = sync_all(&s, group, SyncKind::Incremental).await;
    assert_eq!(runs[0].state, "succeeded", "{:?}", runs[0].error);
    let (stored, _) = s
        .app
        .store()
        .credit_note(e.organisation_id, &cn_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, "VOIDED");
}

/// Xero sends CREDITNOTE events (and none for bank transactions or
/// payments): a signed one queues an incremental sync of its organisation.
async fn a_credit_note_webhook_queues_a_sync(backend: Backend) {
    let mut s = spawn_with_sim(backend).await;
    let group = connect_demo_group(&mut s, None).await;
    for r in sync_all(&s, group, SyncKind::Full).await {
        assert_eq!(r.state, "succeeded", "{:?}", r.error);
    }
    assert!(
        s.app
            .store()
            .job_counts()
            .await
            .unwrap()
            .iter()
            .all(|(st, _)| st != "queued")
    );
    let e = s.app.store().entities_for_group(group).await.unwrap()[0].clone();
    let body = json!({"events": [{
        "resourceUrl": "https://api.xero.com/api.xro/2.0/CreditNotes/0b4b8d2e-43f6-4c1a-9d6a-1b2c3d4e5f60",
        "resourceId": "0b4b8d2e-43f6-4c1a-9d6a-1b2c3d4e5f60",
        "eventDateUtc": "2026-11-25T08:00:00.000", "eventType": "CREATE",
        "eventCategory": "CREDITNOTE", "tenantId": e.tenant_id, "tenantType": "ORGANISATION"}],
        "firstEventSequence": 1, "lastEventSequence": 1, "entropy": "CNX"})
    .to_string();
    let r = reqwest::Client::new()
        .post(format!("{}/webhooks/xero", s.app.address))
        .header(
            "x-xero-signature",
            consol::web::webhooks::signature(WEBHOOK_KEY, body.as_bytes()),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let counts = s.app.store().job_counts().await.unwrap();
    assert!(counts.contains(&("queued".to_string(), 1)), "{counts:?}");
    let runs = s.app.store().latest_runs_for_group(group).await.unwrap();
    let queued: Vec<_> = runs.iter().filter(|r| r.state == "queued").collect();
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].organisation_id, e.organisation_id);
    assert_eq!(queued[0].kind, "incremental");
}

//! Storing credit notes, bank transactions, payments, overpayments and
//! prepayments, and invoices without made-up numbers: the same tests on
//! SQLite and PostgreSQL.

use chrono::{NaiveDate, TimeZone, Utc};
use consol::domain::CurrencyCode;
use consol::store::{
    AllocationRow, BankTransactionRow, Changed, CreditNoteRow, InvoiceRow, LineRow, LoadedKind,
    OrganisationDetails, PaidDocument, PaymentRow, PrepaymentKind, PrepaymentRow, Store,
};
use rust_decimal::Decimal;

use crate::helpers::{Backend, TestDb};

crate::backends!(
    credit_notes_round_trip_and_upsert_in_place,
    bank_transactions_payments_and_prepayments_round_trip,
    an_invoice_without_a_rate_or_amounts_keeps_them_missing,
    documents_are_read_by_contact_and_date,
    deleting_an_organisations_data_removes_its_documents,
);

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn at(s: &str) -> chrono::DateTime<Utc> {
    Utc.from_utc_datetime(&day(s).and_hms_opt(9, 30, 0).unwrap())
}

async fn organisation(store: &Store, tenant: &str) -> i64 {
    store
        .upsert_organisation(
            &OrganisationDetails {
                tenant_id: tenant.to_string(),
                name: "Kea Holdings".into(),
                legal_name: None,
                short_code: None,
                base_currency: CurrencyCode::parse("NZD").unwrap(),
                country_code: Some("NZ".into()),
                financial_year_end_day: Some(31),
                financial_year_end_month: Some(3),
                period_lock_date: None,
            },
            Utc::now(),
        )
        .await
        .unwrap()
}

fn line(amount: Option<&str>, tax: Option<&str>) -> LineRow {
    LineRow {
        line_item_id: None,
        description: Some("Management fee".into()),
        quantity: Some(d("1.0000")),
        unit_amount: amount.map(d),
        account_code: Some("200".into()),
        account_id: Some("acc-200".into()),
        tax_type: Some("OUTPUT2".into()),
        tax_amount: tax.map(d),
        line_amount: amount.map(d),
        tracking: None,
    }
}

fn credit_note(id: &str, contact: &str, date: &str) -> CreditNoteRow {
    CreditNoteRow {
        credit_note_id: id.into(),
        credit_note_type: "ACCRECCREDIT".into(),
        credit_note_number: Some(format!("CN-{id}")),
        reference: None,
        contact_id: contact.into(),
        contact_name: Some("Sister Co".into()),
        date: day(date),
        status: "AUTHORISED".into(),
        line_amount_types: "Exclusive".into(),
        currency_code: "AUD".into(),
        // More places than money has: kept exactly.
        currency_rate: Some(d("0.853412")),
        sub_total: Some(d("100.00")),
        total_tax: Some(d("10.00")),
        total: d("110.00"),
        remaining_credit: Some(d("60.00")),
        updated_at_xero: at(date),
        lines: vec![line(Some("100.00"), Some("10.00")), line(None, None)],
        allocations: vec![
            AllocationRow {
                allocation_id: Some("alloc-1".into()),
                invoice_id: Some("inv-1".into()),
                invoice_number: Some("INV-1".into()),
                amount: d("30.00"),
                date: day("2026-03-05"),
                is_deleted: false,
            },
            AllocationRow {
                allocation_id: Some("alloc-2".into()),
                invoice_id: Some("inv-2".into()),
                invoice_number: None,
                amount: d("20.00"),
                date: day("2026-04-01"),
                is_deleted: false,
            },
        ],
    }
}

async fn credit_notes_round_trip_and_upsert_in_place(backend: Backend) {
    let db = TestDb::new(backend).await;
    let org = organisation(&db.store, "t-cn").await;
    let mut cn = credit_note("cn-1", "c-sister", "2026-02-14");
    let ch = db
        .store
        .upsert_credit_notes(org, &[cn.clone()])
        .await
        .unwrap();
    assert_eq!(
        ch,
        Changed {
            inserted: 1,
            updated: 0
        }
    );

    let (stored, allocations) = db.store.credit_note(org, "cn-1").await.unwrap().unwrap();
    assert_eq!(stored.invoice_type, "ACCRECCREDIT");
    assert_eq!(stored.invoice_number.as_deref(), Some("CN-cn-1"));
    assert_eq!(stored.currency_rate, Some(d("0.853412")));
    assert_eq!(stored.total, d("110.00"));
    assert_eq!(stored.date, day("2026-02-14"));
    assert_eq!(stored.lines.len(), 2);
    assert_eq!(stored.lines[0].line_amount, Some(d("100.00")));
    assert_eq!(
        stored.lines[1].line_amount, None,
        "a missing amount is not 0"
    );
    assert_eq!(stored.lines[1].tax_amount, None);
    assert_eq!(allocations, cn.allocations);

    // Xero changes it: status, rate gone, one allocation deleted. The
    // upsert updates in place and replaces lines and allocations whole.
    cn.status = "VOIDED".into();
    cn.currency_rate = None;
    cn.lines.pop();
    cn.allocations.truncate(1);
    cn.allocations[0].is_deleted = true;
    let ch = db
        .store
        .upsert_credit_notes(org, &[cn.clone()])
        .await
        .unwrap();
    assert_eq!(
        ch,
        Changed {
            inserted: 0,
            updated: 1
        }
    );
    let (stored, allocations) = db.store.credit_note(org, "cn-1").await.unwrap().unwrap();
    assert_eq!(stored.status, "VOIDED");
    assert_eq!(stored.currency_rate, None);
    assert_eq!(stored.lines.len(), 1);
    assert_eq!(allocations, cn.allocations);
    let counts = db.store.count_documents(org).await.unwrap();
    assert!(counts.contains(&("credit_notes", 1)), "{counts:?}");
    assert!(counts.contains(&("document_lines", 1)), "{counts:?}");
    assert!(counts.contains(&("allocations", 1)), "{counts:?}");
}

fn bank_transaction(id: &str, kind: &str, contact: Option<&str>, date: &str) -> BankTransactionRow {
    BankTransactionRow {
        bank_transaction_id: id.into(),
        bank_transaction_type: kind.into(),
        reference: Some(format!("REF-{id}")),
        contact_id: contact.map(String::from),
        contact_name: contact.map(|_| "Sister Co".to_string()),
        bank_account_id: Some("acc-090".into()),
        bank_account_code: Some("090".into()),
        date: day(date),
        status: "AUTHORISED".into(),
        line_amount_types: "Inclusive".into(),
        currency_code: "NZD".into(),
        currency_rate: None,
        sub_total: Some(d("86.96")),
        total_tax: Some(d("13.04")),
        total: d("100.00"),
        is_reconciled: Some(true),
        overpayment_id: None,
        prepayment_id: None,
        updated_at_xero: at(date),
        lines: vec![line(Some("100.00"), Some("13.04"))],
    }
}

async fn bank_transactions_payments_and_prepayments_round_trip(backend: Backend) {
    let db = TestDb::new(backend).await;
    let org = organisation(&db.store, "t-bank").await;
    let spend = bank_transaction("bt-1", "SPEND", Some("c-sister"), "2026-01-31");
    let transfer = bank_transaction("bt-2", "SPEND-TRANSFER", None, "2026-01-31");
    let ch = db
        .store
        .upsert_bank_transactions(org, &[spend, transfer])
        .await
        .unwrap();
    assert_eq!(ch.inserted, 2);
    let s = db
        .store
        .bank_transaction(org, "bt-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (s.invoice_type.as_str(), s.invoice_number.as_deref()),
        ("SPEND", Some("REF-bt-1"))
    );
    assert_eq!(s.line_amount_types, "Inclusive");
    assert_eq!(s.lines[0].tax_amount, Some(d("13.04")));
    assert_eq!(s.currency_rate, None);

    let payment = PaymentRow {
        payment_id: "pay-1".into(),
        payment_type: Some("ACCRECPAYMENT".into()),
        status: "AUTHORISED".into(),
        date: day("2026-03-10"),
        amount: d("1000.00"),
        bank_amount: Some(d("1250.00")),
        currency_rate: Some(d("0.800000")),
        reference: None,
        account_id: Some("acc-090".into()),
        account_code: Some("090".into()),
        pays: PaidDocument::Invoice {
            id: "inv-1".into(),
            number: Some("INV-1".into()),
        },
        updated_at_xero: at("2026-03-10"),
    };
    let unrated = PaymentRow {
        payment_id: "pay-2".into(),
        currency_rate: None,
        pays: PaidDocument::CreditNote {
            id: "cn-1".into(),
            number: None,
        },
        ..payment.clone()
    };
    db.store
        .upsert_payments(org, &[payment, unrated])
        .await
        .unwrap();
    assert_eq!(
        db.store.payment(org, "pay-1").await.unwrap(),
        Some(("AUTHORISED".into(), d("1000.00"), Some(d("0.8"))))
    );
    assert_eq!(
        db.store.payment(org, "pay-2").await.unwrap(),
        Some(("AUTHORISED".into(), d("1000.00"), None))
    );

    let over = PrepaymentRow {
        id: "op-1".into(),
        prepayment_type: "RECEIVE-OVERPAYMENT".into(),
        reference: None,
        contact_id: "c-sister".into(),
        contact_name: None,
        date: day("2026-02-01"),
        status: "AUTHORISED".into(),
        line_amount_types: "NoTax".into(),
        currency_code: "NZD".into(),
        currency_rate: None,
        sub_total: None,
        total_tax: None,
        total: d("40.00"),
        remaining_credit: Some(d("15.00")),
        updated_at_xero: at("2026-02-01"),
        lines: vec![line(Some("40.00"), Some("0.00"))],
        allocations: vec![AllocationRow {
            allocation_id: None,
            invoice_id: Some("inv-1".into()),
            invoice_number: None,
            amount: d("25.00"),
            date: day("2026-02-20"),
            is_deleted: false,
        }],
    };
    // The same id as an overpayment and as a prepayment: two tables, two
    // sets of lines and allocations that do not collide.
    db.store
        .upsert_prepayments(
            org,
            PrepaymentKind::Overpayment,
            std::slice::from_ref(&over),
        )
        .await
        .unwrap();
    let ch = db
        .store
        .upsert_prepayments(org, PrepaymentKind::Prepayment, std::slice::from_ref(&over))
        .await
        .unwrap();
    assert_eq!(ch.inserted, 1);
    let ch = db
        .store
        .upsert_prepayments(org, PrepaymentKind::Prepayment, &[over])
        .await
        .unwrap();
    assert_eq!(ch.updated, 1);
    let counts = db.store.count_documents(org).await.unwrap();
    for expected in [
        ("bank_transactions", 2),
        ("payments", 2),
        ("overpayments", 1),
        ("prepayments", 1),
        ("document_lines", 4),
        ("allocations", 2),
    ] {
        assert!(counts.contains(&expected), "{expected:?} in {counts:?}");
    }
}

async fn an_invoice_without_a_rate_or_amounts_keeps_them_missing(backend: Backend) {
    let db = TestDb::new(backend).await;
    let org = organisation(&db.store, "t-inv").await;
    let invoice = InvoiceRow {
        invoice_id: "inv-1".into(),
        invoice_type: "ACCREC".into(),
        invoice_number: Some("INV-1".into()),
        reference: None,
        contact_id: "c-sister".into(),
        contact_name: Some("Sister Co".into()),
        date: day("2026-02-10"),
        due_date: None,
        status: "PENDING".into(),
        line_amount_types: "Exclusive".into(),
        currency_code: "XBT".into(),
        currency_rate: None,
        sub_total: None,
        total_tax: None,
        total: d("110.00"),
        amount_due: None,
        amount_paid: None,
        updated_at_xero: at("2026-02-10"),
        lines: vec![line(None, Some("10.00")), line(Some("100.00"), None)],
    };
    db.store.upsert_invoices(org, &[invoice]).await.unwrap();
    let got = db
        .store
        .invoices_with_contacts(
            org,
            &["c-sister".to_string()],
            day("2026-01-01"),
            day("2026-12-31"),
        )
        .await
        .unwrap();
    assert_eq!(got.len(), 1);
    let i = &got[0];
    assert_eq!(i.currency_rate, None, "never 1");
    assert_eq!(
        (i.status.as_str(), i.currency_code.as_str()),
        ("PENDING", "XBT")
    );
    assert_eq!(i.lines[0].line_amount, None, "never 0");
    assert_eq!(i.lines[0].tax_amount, Some(d("10.00")));
    assert_eq!(i.lines[1].tax_amount, None, "never 0");
}

async fn documents_are_read_by_contact_and_date(backend: Backend) {
    let db = TestDb::new(backend).await;
    let org = organisation(&db.store, "t-read").await;
    db.store
        .upsert_credit_notes(
            org,
            &[
                credit_note("cn-in", "c-sister", "2026-02-14"),
                credit_note("cn-early", "c-sister", "2025-12-31"),
                credit_note("cn-other", "c-stranger", "2026-02-14"),
            ],
        )
        .await
        .unwrap();
    db.store
        .upsert_bank_transactions(
            org,
            &[
                bank_transaction("bt-in", "RECEIVE", Some("c-sister"), "2026-03-31"),
                bank_transaction("bt-late", "RECEIVE", Some("c-sister"), "2026-04-01"),
            ],
        )
        .await
        .unwrap();
    let contacts = ["c-sister".to_string()];
    let (from, to) = (day("2026-01-01"), day("2026-03-31"));
    let cns = db
        .store
        .documents_with_contacts(org, LoadedKind::CreditNotes, &contacts, from, to)
        .await
        .unwrap();
    let ids: Vec<&str> = cns.iter().map(|c| c.invoice_id.as_str()).collect();
    assert_eq!(ids, ["cn-in"]);
    assert_eq!(cns[0].lines.len(), 2, "its own lines only");
    let bts = db
        .store
        .documents_with_contacts(org, LoadedKind::BankTransactions, &contacts, from, to)
        .await
        .unwrap();
    let ids: Vec<&str> = bts.iter().map(|c| c.invoice_id.as_str()).collect();
    assert_eq!(ids, ["bt-in"]);
    assert_eq!(bts[0].invoice_type, "RECEIVE");
}

async fn deleting_an_organisations_data_removes_its_documents(backend: Backend) {
    let db = TestDb::new(backend).await;
    let org = organisation(&db.store, "t-del").await;
    let keep = organisation(&db.store, "t-keep").await;
    for o in [org, keep] {
        db.store
            .upsert_credit_notes(o, &[credit_note("cn-1", "c", "2026-02-14")])
            .await
            .unwrap();
        db.store
            .upsert_bank_transactions(
                o,
                &[bank_transaction("bt-1", "SPEND", Some("c"), "2026-02-14")],
            )
            .await
            .unwrap();
    }
    db.store.delete_organisation_data(org).await.unwrap();
    for (table, n) in db.store.count_documents(org).await.unwrap() {
        assert_eq!(n, 0, "{table}");
    }
    let kept = db.store.count_documents(keep).await.unwrap();
    assert!(kept.contains(&("credit_notes", 1)), "{kept:?}");
    assert!(kept.contains(&("document_lines", 3)), "{kept:?}");
}

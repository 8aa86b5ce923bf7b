use std::path::Path;

use consol::xero::*;
use rust_decimal::Decimal;

const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/xero-samples");

fn read(name: &str) -> String {
    std::fs::read_to_string(Path::new(SAMPLES).join(name)).unwrap()
}

#[test]
fn every_sample_body_deserialises() {
    let mut seen = 0;
    for entry in std::fs::read_dir(SAMPLES).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !name.ends_with(".body.json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        match name.as_str() {
            "organisation.body.json" => {
                let o: Organisations = serde_json::from_str(&text).unwrap();
                assert_eq!(o.organisations.len(), 1);
            }
            "invoices-page-1.body.json" => {
                let i: Invoices = serde_json::from_str(&text).unwrap();
                assert!(!i.invoices.is_empty());
            }
            "connections.body.json" => {
                let c: Vec<Connection> = serde_json::from_str(&text).unwrap();
                assert!(!c.is_empty());
            }
            "token-refresh.body.json" => {
                let t: TokenResponse = serde_json::from_str(&text).unwrap();
                assert_eq!(t.expires_in, 1800);
            }
            other => panic!("no model chosen for sample {other}"),
        }
        seen += 1;
    }
    assert!(seen >= 4);
}

#[test]
fn organisation_fields() {
    let o: Organisations = serde_json::from_str(&read("organisation.body.json")).unwrap();
    let org = &o.organisations[0];
    assert_eq!(org.base_currency.unwrap().as_str(), "NZD");
    assert_eq!(org.financial_year_end_month, Some(3));
    assert_eq!(
        org.period_lock_date.unwrap().to_date_string(),
        "2009-09-30T00:00:00"
    );
    assert_eq!(o.date_time_utc.unwrap().millis(), 1584585851967);
}

#[test]
fn invoices_keep_exact_amounts_and_trailing_zeros() {
    let text = read("invoices-page-1.body.json");
    let env: Invoices = serde_json::from_str(&text).unwrap();
    let first = &env.invoices[0];
    assert_eq!(first.invoice_type, Some(InvoiceType::AccPay));
    assert_eq!(first.status, Some(InvoiceStatus::Voided));
    assert_eq!(first.total.unwrap().to_string(), "89.00");
    assert_eq!(
        first.date.unwrap().to_date_string(),
        first.date_string.clone().unwrap()
    );
    let out = serde_json::to_string(first).unwrap();
    for frag in [
        r#""Total":89.00"#,
        r#""AmountDue":0.00"#,
        r#""CurrencyRate":1.000000"#,
        r#""Quantity":1.0000"#,
        r#""UnitAmount":89.00"#,
        r#""Date":"/Date(1563753600000+0000)/""#,
    ] {
        assert!(out.contains(frag), "{frag} missing in {out}");
    }
    // Every invoice re-serialises to the same numbers as the original.
    let original: serde_json::Value = serde_json::from_str(&text).unwrap();
    let again = serde_json::to_value(&env).unwrap();
    for (a, b) in original["Invoices"]
        .as_array()
        .unwrap()
        .iter()
        .zip(again["Invoices"].as_array().unwrap())
    {
        for key in [
            "Total",
            "SubTotal",
            "TotalTax",
            "AmountDue",
            "AmountPaid",
            "CurrencyRate",
        ] {
            if let Some(v) = a.get(key) {
                assert_eq!(v.to_string(), b[key].to_string(), "{key}");
            }
        }
        let la = a["LineItems"].as_array().unwrap();
        let lb = b["LineItems"].as_array().unwrap();
        for (x, y) in la.iter().zip(lb) {
            for key in ["Quantity", "LineAmount", "TaxAmount", "UnitAmount"] {
                assert_eq!(x[key].to_string(), y[key].to_string(), "{key}");
            }
            assert_eq!(x["Tracking"], y["Tracking"]);
        }
    }
}

#[test]
fn long_amount_round_trips_exactly() {
    let json = r#"{"LineAmount": 1234567890.123456789, "DiscountRate": 1234567890.123456789}"#;
    let li: LineItem = serde_json::from_str(json).unwrap();
    let expect: Decimal = "1234567890.123456789".parse().unwrap();
    assert_eq!(li.discount_rate, Some(expect));
    assert_eq!(li.line_amount, Some(expect));
    let out = serde_json::to_string(&li).unwrap();
    assert!(
        out.contains(r#""DiscountRate":1234567890.123456789"#),
        "{out}"
    );
    // Money is written at Xero's scale.
    assert!(out.contains(r#""LineAmount":1234567890.12"#), "{out}");
}

#[test]
fn envelope_dates_are_written_without_offset_as_xero_does() {
    let text = read("organisation.body.json");
    let o: Organisations = serde_json::from_str(&text).unwrap();
    let out = serde_json::to_string(&o).unwrap();
    assert!(
        out.contains(r#""DateTimeUTC":"/Date(1584585851967)/""#),
        "{out}"
    );
    assert!(
        out.contains(r#""CreatedDateUTC":"/Date(1584566350680)/""#),
        "{out}"
    );
    assert!(
        out.contains(r#""PeriodLockDate":"/Date(1254268800000+0000)/""#),
        "{out}"
    );
}

/// The new kinds read Xero's wire names, `/Date()/` dates and exact
/// decimals, and write them back with Xero's scales.
#[test]
fn credit_notes_bank_transactions_and_credits_round_trip() {
    let cn: CreditNotes = serde_json::from_str(
        r#"{"CreditNotes": [{"Type": "ACCPAYCREDIT", "CreditNoteID": "3d2b5ab5-6a87-4f3c-9f26-5d1c2a1e0b11",
            "CreditNoteNumber": "CR-7", "Status": "AUTHORISED", "Date": "/Date(1773532800000+0000)/",
            "CurrencyCode": "AUD", "CurrencyRate": 0.912345678, "Total": 1234567.891,
            "RemainingCredit": 0.1, "LineAmountTypes": "Exclusive",
            "Allocations": [{"AllocationID": "9d2b5ab5-6a87-4f3c-9f26-5d1c2a1e0b12", "Amount": 10,
                             "Date": "/Date(1773619200000+0000)/",
                             "Invoice": {"InvoiceID": "4d2b5ab5-6a87-4f3c-9f26-5d1c2a1e0b13"}}]}]}"#,
    )
    .unwrap();
    let c = &cn.credit_notes[0];
    assert_eq!(c.credit_note_type, Some(CreditNoteType::AccPayCredit));
    assert_eq!(c.status, Some(InvoiceStatus::Authorised));
    assert_eq!(c.currency_rate.unwrap().to_string(), "0.912345678");
    assert_eq!(c.total.unwrap().to_string(), "1234567.891");
    assert_eq!(c.date.unwrap().to_date_string(), "2026-03-15T00:00:00");
    let a = &c.allocations.as_ref().unwrap()[0];
    assert_eq!(a.amount, Some(Decimal::new(10, 0)));
    let out = serde_json::to_string(c).unwrap();
    for frag in [
        r#""Type":"ACCPAYCREDIT""#,
        r#""RemainingCredit":0.10"#,
        r#""CurrencyRate":0.912346"#,
        r#""Date":"/Date(1773532800000+0000)/""#,
        r#""Amount":10.00"#,
    ] {
        assert!(out.contains(frag), "{frag} missing in {out}");
    }

    let bt: BankTransactions = serde_json::from_str(
        r#"{"BankTransactions": [{"Type": "SPEND-PREPAYMENT", "Status": "AUTHORISED",
            "BankAccount": {"AccountID": "5d2b5ab5-6a87-4f3c-9f26-5d1c2a1e0b14", "Code": "090"},
            "PrepaymentID": "6d2b5ab5-6a87-4f3c-9f26-5d1c2a1e0b15", "Total": 50.5,
            "LineAmountTypes": "NoTax"}]}"#,
    )
    .unwrap();
    let t = &bt.bank_transactions[0];
    assert_eq!(
        t.bank_transaction_type,
        Some(BankTransactionType::SpendPrepayment)
    );
    assert!(!t.bank_transaction_type.unwrap().is_receive());
    assert!(
        serde_json::to_string(t)
            .unwrap()
            .contains(r#""Total":50.50"#)
    );
    // Kinds outside the simulator's own (older AR/AP credits) still read.
    let op: Overpayments = serde_json::from_str(
        r#"{"Overpayments": [{"Type": "AROVERPAYMENT", "RemainingCredit": 5}]}"#,
    )
    .unwrap();
    assert_eq!(
        op.overpayments[0].overpayment_type.as_deref(),
        Some("AROVERPAYMENT")
    );
    let pp: Prepayments =
        serde_json::from_str(r#"{"Prepayments": [{"Type": "ARPREPAYMENT", "Total": 5}]}"#).unwrap();
    assert_eq!(pp.prepayments[0].total, Some(Decimal::new(5, 0)));
}

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

use chrono::{TimeZone, Utc};
use consol::domain::CurrencyCode;
use consol::sim::query::Filter;
use consol::sim::*;
use consol::xero::*;
use proptest::prelude::*;
use rust_decimal::Decimal;

fn ledger() -> Ledger {
    Ledger::new(
        OrgSettings {
            name: "Prop Co".into(),
            legal_name: None,
            base_currency: CurrencyCode::parse("AUD").unwrap(),
            country_code: "AU".into(),
            financial_year_end_day: 30,
            financial_year_end_month: 6,
            short_code: None,
            is_demo_company: false,
        },
        SimClock::fixed(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()),
        9,
    )
}

proptest! {
    #[test]
    fn xero_dates_round_trip(ms in -2_000_000_000_000i64..4_000_000_000_000i64) {
        let d = XeroDate::from_millis(ms).unwrap();
        prop_assert_eq!(XeroDate::parse(&d.to_wire()).unwrap(), d);
        let json = serde_json::to_string(&d).unwrap();
        prop_assert_eq!(serde_json::from_str::<XeroDate>(&json).unwrap(), d);
        let day = XeroDate::from_date(d.date());
        prop_assert_eq!(XeroDate::parse(&day.to_date_string()).unwrap(), day);
    }

    #[test]
    fn decimals_survive_json_exactly(m in any::<i64>(), scale in 0u32..12) {
        let v = Decimal::new(m, scale);
        let json = format!(r#"{{"DiscountRate": {v}}}"#);
        let li: LineItem = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(li.discount_rate, Some(v));
        let back: LineItem = serde_json::from_str(&serde_json::to_string(&li).unwrap()).unwrap();
        prop_assert_eq!(back.discount_rate, Some(v));
    }

    #[test]
    fn invoice_totals_add_up_and_postings_balance(
        lines in prop::collection::vec((1i64..20, 0i64..500_000, 0usize..4), 1..6),
        lat in 0usize..3,
        sale in any::<bool>(),
        foreign in any::<bool>(),
    ) {
        let mut l = ledger();
        l.put_currency(Currency { code: Some(CurrencyCode::parse("NZD").unwrap()), description: None }).unwrap();
        let accounts = ["200", "260", "310", "429"];
        let items: Vec<LineItem> = lines
            .iter()
            .map(|(q, cents, a)| LineItem {
                description: Some("x".into()),
                quantity: Some(Decimal::from(*q)),
                unit_amount: Some(Decimal::new(*cents, 2)),
                account_code: Some(accounts[*a].into()),
                ..Default::default()
            })
            .collect();
        let inv = Invoice {
            invoice_type: Some(if sale { InvoiceType::AccRec } else { InvoiceType::AccPay }),
            contact: Some(Contact { name: Some("C".into()), ..Default::default() }),
            status: Some(InvoiceStatus::Authorised),
            line_amount_types: Some([LineAmountTypes::Exclusive, LineAmountTypes::Inclusive, LineAmountTypes::NoTax][lat]),
            currency_code: foreign.then(|| CurrencyCode::parse("NZD").unwrap()),
            line_items: Some(items),
            ..Default::default()
        };
        let out = l.write_invoices(Method::Put, vec![inv], &WriteOptions::default()).unwrap().invoices.remove(0);
        let (sub, tax, total) = (out.sub_total.unwrap(), out.total_tax.unwrap(), out.total.unwrap());
        prop_assert_eq!(sub + tax, total);
        let line_sum: Decimal = out.line_items.as_ref().unwrap().iter().map(|x| x.line_amount.unwrap()).sum();
        let tax_sum: Decimal = out.line_items.as_ref().unwrap().iter().map(|x| x.tax_amount.unwrap()).sum();
        prop_assert_eq!(tax_sum, tax);
        if lat == 1 {
            prop_assert_eq!(line_sum, total);
        } else {
            prop_assert_eq!(line_sum, sub);
        }
        prop_assert_eq!(out.amount_due, Some(total));
        let postings = l.postings();
        prop_assert!(!postings.is_empty());
        prop_assert_eq!(postings.iter().map(|p| p.amount).sum::<Decimal>(), Decimal::ZERO);
    }

    #[test]
    fn where_parser_never_panics(s in ".{0,60}") {
        let _ = Filter::parse(&s);
    }
}

//! Property and fuzz tests of every parser that reads outside input: Xero's
//! JSON models and report parser, the `/Date()/` and number readers, the
//! rates CSV reader, and the period and query parsers of the pages.
//!
//! Three properties each: arbitrary input never panics; a rejection is an
//! `Err` whose message says something; valid generated input round-trips.
//! The case count is proptest's default (256 per property, a few seconds
//! in a debug build); `PROPTEST_CASES=100000 cargo test --release --test
//! sim parsers_fuzz` is the long run (`cargo test`, which has no time
//! limit per test, unlike nextest's two minutes).

use chrono::NaiveDate;
use consol::domain::{CurrencyCode, Month, MonthRange};
use consol::web::api::setup::{RateRules, parse_rates_csv, rates_csv};
use consol::web::parsers::{PeriodQuery, parse_choice, period_of};
use consol::xero::report_parser::{ParsedRowKind, parse_report};
use consol::xero::{
    Accounts, BankTransactions, Contacts, CreditNotes, Invoices, Organisations, Payments, Report,
    ReportAttribute, ReportCell, ReportRow, Reports, RowType, XeroDate,
};
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Strings that look like the inputs these parsers meet: mostly the
/// characters of dates, numbers and CSV, with any character now and then.
fn texty() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9/:+\\-.,eEZT() \"a-zA-Z\\r\\n]{0,40}",
        any::<String>(),
        "/Date\\(-?[0-9]{0,22}([+-][0-9]{0,5})?\\)/",
        "-?[0-9]{1,5}-[0-9]{1,3}(-[0-9]{1,3})?(T[0-9:.]{0,20})?Z?",
    ]
}

/// Arbitrary JSON, nested a few levels, with Xero's keys among the
/// random ones so that the models' fields are reached.
fn json() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("Invoices".to_string()),
        Just("Reports".to_string()),
        Just("Rows".to_string()),
        Just("Cells".to_string()),
        Just("RowType".to_string()),
        Just("Value".to_string()),
        Just("Date".to_string()),
        Just("DateTimeUTC".to_string()),
        Just("Total".to_string()),
        Just("CurrencyRate".to_string()),
        Just("LineItems".to_string()),
        Just("Status".to_string()),
        Just("Type".to_string()),
        "[A-Za-z]{1,12}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        "-?[0-9]{1,40}(\\.[0-9]{1,40})?([eE][+-]?[0-9]{1,6})?"
            .prop_map(|s| serde_json::from_str(&s).unwrap_or(Value::String(s))),
        texty().prop_map(Value::String),
        prop_oneof![
            Just("Header"),
            Just("Section"),
            Just("Row"),
            Just("SummaryRow"),
            Just("ACCREC"),
            Just("AUTHORISED"),
        ]
        .prop_map(|s| Value::String(s.into())),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// Deserialises `text` as `T`; a rejection must say something.
fn reads<T: serde::de::DeserializeOwned>(text: &str) -> Result<(), TestCaseError> {
    if let Err(e) = serde_json::from_str::<T>(text) {
        prop_assert!(!e.to_string().trim().is_empty());
    }
    Ok(())
}

fn all_models(text: &str) -> Result<(), TestCaseError> {
    reads::<Invoices>(text)?;
    reads::<Reports>(text)?;
    reads::<Organisations>(text)?;
    reads::<Accounts>(text)?;
    reads::<Contacts>(text)?;
    reads::<Payments>(text)?;
    reads::<CreditNotes>(text)?;
    reads::<BankTransactions>(text)?;
    reads::<consol::xero::records::InvoiceRecord>(text)?;
    reads::<consol::xero::records::CreditNoteRecord>(text)?;
    reads::<consol::xero::records::BankTransactionRecord>(text)?;
    reads::<consol::xero::records::PaymentRecord>(text)?;
    reads::<consol::xero::records::PrepaymentRecord>(text)?;
    Ok(())
}

/// A report cell's amount as Xero writes it, with the decimal it means.
fn amount() -> impl Strategy<Value = (String, Decimal)> {
    (any::<i64>(), 0u32..=4, any::<bool>()).prop_map(|(n, scale, commas)| {
        let d = Decimal::new(n, scale);
        let text = if commas {
            // Thousands separators, which the parser drops.
            let s = d.abs().to_string();
            let (int, frac) = s
                .split_once('.')
                .map_or((s.as_str(), None), |(a, b)| (a, Some(b)));
            let mut grouped = String::new();
            for (i, c) in int.chars().enumerate() {
                if i > 0 && (int.len() - i) % 3 == 0 {
                    grouped.push(',');
                }
                grouped.push(c);
            }
            let sign = if d.is_sign_negative() && !d.is_zero() {
                "-"
            } else {
                ""
            };
            match frac {
                Some(f) => format!("{sign}{grouped}.{f}"),
                None => format!("{sign}{grouped}"),
            }
        } else {
            d.to_string()
        };
        (text, d)
    })
}

fn cell(value: &str, account: Option<&str>) -> ReportCell {
    ReportCell {
        value: value.to_string(),
        attributes: account.map(|a| {
            vec![ReportAttribute {
                id: "account".into(),
                value: a.into(),
            }]
        }),
    }
}

/// A well-formed report: a header of `width` columns, sections of account
/// rows with amounts; returns it with the rows it must parse to.
fn valid_report() -> impl Strategy<Value = (Report, Vec<(String, String, Vec<Decimal>)>)> {
    (1usize..5).prop_flat_map(|width| {
        let row = (
            "[A-Za-z][A-Za-z ]{0,15}",
            any::<u128>(),
            prop::collection::vec(amount(), width),
        );
        let section = ("[A-Z][a-z]{0,10}", prop::collection::vec(row, 0..5));
        prop::collection::vec(section, 0..4).prop_map(move |sections| {
            let mut header = vec![cell("", None)];
            header.extend((0..width).map(|i| cell(&format!("Month {i}"), None)));
            let mut rows = vec![ReportRow {
                row_type: RowType::Header,
                title: None,
                cells: Some(header),
                rows: None,
            }];
            let mut expected = Vec::new();
            for (title, lines) in sections {
                let mut children = Vec::new();
                for (label, id, values) in lines {
                    let id = uuid::Uuid::from_u128(id).to_string();
                    let mut cells = vec![cell(&label, Some(&id))];
                    cells.extend(values.iter().map(|(t, _)| cell(t, Some(&id))));
                    children.push(ReportRow {
                        row_type: RowType::Row,
                        title: None,
                        cells: Some(cells),
                        rows: None,
                    });
                    expected.push((
                        title.clone(),
                        id,
                        values.into_iter().map(|(_, d)| d).collect(),
                    ));
                }
                rows.push(ReportRow {
                    row_type: RowType::Section,
                    title: Some(title),
                    cells: None,
                    rows: Some(children),
                });
            }
            (
                Report {
                    rows,
                    ..Report::default()
                },
                expected,
            )
        })
    })
}

/// Any report shape, most of them broken: rows of any type, widths and
/// cell text, nested.
fn any_report() -> impl Strategy<Value = Report> {
    let row_type = prop_oneof![
        Just(RowType::Header),
        Just(RowType::Section),
        Just(RowType::Row),
        Just(RowType::SummaryRow),
    ];
    let cells = prop::option::of(prop::collection::vec(
        (texty(), prop::option::of("[a-zA-Z]{0,8}")).prop_map(|(v, a)| ReportCell {
            value: v,
            attributes: a.map(|id| {
                vec![ReportAttribute {
                    id,
                    value: "FXGROUPID".into(),
                }]
            }),
        }),
        0..5,
    ));
    let leaf = (row_type, prop::option::of(texty()), cells).prop_map(|(row_type, title, cells)| {
        ReportRow {
            row_type,
            title,
            cells,
            rows: None,
        }
    });
    let row = leaf.prop_recursive(2, 16, 4, |inner| {
        (
            prop::option::of(texty()),
            prop::collection::vec(inner, 0..4),
        )
            .prop_map(|(title, rows)| ReportRow {
                row_type: RowType::Section,
                title,
                cells: None,
                rows: Some(rows),
            })
    });
    prop::collection::vec(row, 0..5).prop_map(|rows| Report {
        rows,
        ..Report::default()
    })
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Amounts {
    #[serde(with = "consol::xero::num::money", default)]
    money: Option<Decimal>,
    #[serde(with = "consol::xero::num::rate", default)]
    rate: Option<Decimal>,
    #[serde(with = "consol::xero::num::exact", default)]
    exact: Option<Decimal>,
}

/// The rules of a group with NZD and two years of history, on a fixed day.
fn rules() -> RateRules {
    RateRules {
        presentation: CurrencyCode::parse("NZD").unwrap(),
        months: RateRules::months_for(24, NaiveDate::from_ymd_opt(2026, 6, 15).unwrap()),
    }
}

/// A rate within the bounds (greater than 0, at most 1e9, at most 10
/// places), as written by a person or a spreadsheet.
fn rate() -> impl Strategy<Value = Decimal> {
    // Built within the bound, never filtered into it: 1 to 10^(9 + scale)
    // units of 10^-scale.
    (0u32..=10).prop_flat_map(|scale| {
        (1i128..=10i128.pow(9 + scale)).prop_map(move |n| Decimal::from_i128_with_scale(n, scale))
    })
}

fn valid_rates() -> impl Strategy<Value = Vec<consol::store::RateRow>> {
    let currencies = ["AUD", "USD", "EUR", "GBP", "JPY", "FJD"];
    let r = rules();
    let n = r.months.len();
    prop::collection::btree_map((0..currencies.len(), 0..n), (rate(), rate()), 1..20).prop_map(
        move |m| {
            m.into_iter()
                .map(|((c, i), (average, closing))| consol::store::RateRow {
                    currency: CurrencyCode::parse(currencies[c]).unwrap(),
                    month: r.months.from().plus(i as i32),
                    average,
                    closing,
                })
                .collect()
        },
    )
}

fn month() -> impl Strategy<Value = Month> {
    (1900i32..=9999, 1u32..=12).prop_map(|(y, m)| Month::new(y, m).unwrap())
}

proptest! {
    // ---- /Date()/ and ISO dates ----

    #[test]
    fn xero_dates_never_panic_and_say_what_is_wrong(s in texty()) {
        if let Err(e) = XeroDate::parse(&s) {
            prop_assert!(e.to_string().contains("not a Xero date"));
        }
        reads::<XeroDate>(&serde_json::to_string(&s).unwrap())?;
    }

    #[test]
    fn xero_dates_round_trip_with_any_offset(
        ms in -8_000_000_000_000i64..200_000_000_000_000i64,
        sign in prop_oneof![Just('+'), Just('-')],
        offset in 0u32..2400,
    ) {
        let d = XeroDate::from_millis(ms).unwrap();
        prop_assert_eq!(XeroDate::parse(&d.to_wire()).unwrap(), d);
        // The offset names the writer's zone; the milliseconds are UTC.
        let with = format!("/Date({ms}{sign}{offset:04})/");
        prop_assert_eq!(XeroDate::parse(&with).unwrap().millis(), ms);
        let back: XeroDate = serde_json::from_str(&serde_json::to_string(&d).unwrap()).unwrap();
        prop_assert_eq!(back, d);
        // The DateString companion keeps whole seconds.
        let whole = XeroDate::from_millis(ms - ms.rem_euclid(1000)).unwrap();
        prop_assert_eq!(XeroDate::parse(&whole.to_date_string()).unwrap(), whole);
    }

    // ---- numbers ----

    #[test]
    fn amounts_never_panic(v in json(), digits in "-?[0-9]{1,60}(\\.[0-9]{0,60})?([eE][+-]?[0-9]{1,10})?") {
        for text in [
            serde_json::json!({"money": v, "rate": v, "exact": v}).to_string(),
            format!("{{\"money\": {digits}, \"rate\": \"{digits}\", \"exact\": {digits}}}"),
        ] {
            reads::<Amounts>(&text)?;
        }
    }

    #[test]
    fn amounts_round_trip_exactly(n in any::<i64>(), scale in 0u32..=12) {
        let d = Decimal::new(n, scale);
        let a = Amounts { money: Some(d), rate: Some(d), exact: Some(d) };
        let back: Amounts = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
        prop_assert_eq!(back.exact, Some(d));
        // Written at Xero's scale, half away from zero.
        prop_assert_eq!(back.money, Some(d.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)));
        prop_assert_eq!(back.rate, Some(d.round_dp_with_strategy(6, rust_decimal::RoundingStrategy::MidpointAwayFromZero)));
    }

    // ---- Xero's JSON models ----

    #[test]
    fn xero_models_never_panic_on_any_json(v in json()) {
        all_models(&v.to_string())?;
        all_models(&serde_json::json!({"Invoices": [v.clone()], "Reports": [v]}).to_string())?;
    }

    #[test]
    fn xero_models_never_panic_on_any_text(s in any::<String>(), bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        all_models(&s)?;
        if let Err(e) = serde_json::from_slice::<Invoices>(&bytes) {
            prop_assert!(!e.to_string().is_empty());
        }
    }

    // ---- the report parser ----

    #[test]
    fn report_parser_never_panics_and_names_what_is_wrong(r in any_report()) {
        match parse_report(&r) {
            Ok(p) => {
                for row in &p.rows {
                    prop_assert_eq!(row.values.len(), p.columns.len());
                }
            }
            Err(e) => prop_assert!(!e.to_string().trim().is_empty()),
        }
        // The same report through JSON, as the client reads it.
        let text = serde_json::to_string(&Reports { reports: vec![r], ..Reports::default() }).unwrap();
        let back: Reports = serde_json::from_str(&text).unwrap();
        let _ = parse_report(&back.reports[0]);
    }

    #[test]
    fn valid_reports_parse_to_their_amounts((report, expected) in valid_report()) {
        let text = serde_json::to_string(&report).unwrap();
        let read: Report = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(&read, &report);
        let parsed = parse_report(&read).unwrap();
        prop_assert_eq!(parsed.rows.len(), expected.len());
        for (row, (section, id, values)) in parsed.rows.iter().zip(&expected) {
            prop_assert_eq!(&row.section, section);
            prop_assert_eq!(row.account_id.as_deref(), Some(id.as_str()));
            prop_assert_eq!(row.kind, ParsedRowKind::Account);
            prop_assert_eq!(&row.values, values);
        }
    }

    // ---- the rates CSV reader ----

    #[test]
    fn rates_csv_never_panics_and_every_error_says_why(
        lines in prop::collection::vec(
            prop_oneof![
                texty(),
                ("[A-Za-z]{0,4}", "[0-9]{0,5}-?[0-9]{0,3}", "-?[0-9.eE,]{0,16}", "[0-9.\" ]{0,16}")
                    .prop_map(|(c, m, a, b)| format!("{c},{m},{a},{b}")),
            ],
            0..12,
        ),
    ) {
        let text = lines.join("\n");
        if let Err(bad) = parse_rates_csv(&text, &rules()) {
            prop_assert!(!bad.is_empty());
            for row in &bad {
                prop_assert!(row.row >= 1);
                prop_assert!(!row.errors.is_empty(), "row {} is bad without a reason", row.row);
                for e in &row.errors {
                    prop_assert!(!e.trim().is_empty());
                }
            }
        }
    }

    #[test]
    fn valid_rates_round_trip_through_csv(rows in valid_rates(), header in any::<bool>(), crlf in any::<bool>()) {
        let mut text = rates_csv(&rows);
        if !header {
            text = text.split_once('\n').unwrap().1.to_string();
        }
        if crlf {
            text = text.replace('\n', "\r\n");
        }
        let parsed = parse_rates_csv(&text, &rules()).map_err(|bad| {
            TestCaseError::fail(format!("{:?}", bad.iter().map(|b| &b.errors).collect::<Vec<_>>()))
        })?;
        prop_assert_eq!(parsed, rows);
    }

    // ---- the period and query parsers ----

    #[test]
    fn months_never_panic_and_round_trip(s in texty(), m in month()) {
        if let Err(e) = Month::parse(&s) {
            prop_assert!(e.to_string().contains("not a month"));
        }
        prop_assert_eq!(Month::parse(&m.to_string()).unwrap(), m);
    }

    #[test]
    fn periods_never_panic_and_round_trip(a in texty(), b in texty(), from in month(), to in month()) {
        for value in [format!("{a}:{b}"), a.clone(), format!("{from}:{b}")] {
            if let Err(e) = parse_choice(&value) {
                prop_assert!(!e.trim().is_empty());
            }
        }
        let r = parse_choice(&format!("{from}:{to}"));
        let months = from.months_until(to) + 1;
        if from <= to && months <= 120 {
            let r = r.unwrap();
            prop_assert_eq!((r.from(), r.to()), (from, to));
            prop_assert_eq!(r.len() as i32, months);
        } else {
            prop_assert!(!r.unwrap_err().trim().is_empty());
        }
        prop_assert_eq!(MonthRange::new(from, to).is_ok(), from <= to);
    }

    #[test]
    fn report_queries_never_panic(a in texty(), b in texty(), raw in any::<String>(), from in month(), to in month()) {
        for q in [
            PeriodQuery { from: Some(a.clone()), to: Some(b.clone()) },
            PeriodQuery { from: None, to: Some(a.clone()) },
            PeriodQuery { from: Some(b.clone()), to: None },
        ] {
            if let Err(e) = period_of(&q) {
                prop_assert!(!e.trim().is_empty());
            }
        }
        // The query string as actix reads it, whatever the browser sent.
        let qs = format!("from={}&to={}&{raw}", urlencode(&a), urlencode(&b));
        if let Ok(q) = actix_web::web::Query::<PeriodQuery>::from_query(&qs)
            && let Err(e) = period_of(&q)
        {
            prop_assert!(!e.trim().is_empty());
        }
        let q = PeriodQuery { from: Some(from.to_string()), to: Some(to.to_string()) };
        match period_of(&q) {
            Ok(r) => prop_assert_eq!((r.from(), r.to()), (from, to)),
            Err(e) => prop_assert!(from > to || from.months_until(to) >= 120, "{}", e),
        }
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

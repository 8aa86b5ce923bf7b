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

    /// Foreign invoices, credit notes allocated across rates, part payments
    /// at other rates, spend money and month-end revaluation: the ledger
    /// still sums to zero and every month-end balance sheet balances.
    #[test]
    fn books_balance_with_credits_payments_and_revaluation(
        cents in 100i64..100_000_000,
        rates in (50i64..200, 50i64..200, 50i64..200),
        part in 1i64..100,
        sale in any::<bool>(),
        revalue in any::<bool>(),
    ) {
        let mut l = ledger();
        l.set_foreign_revaluation(revalue);
        let nzd = CurrencyCode::parse("NZD").unwrap();
        l.put_currency(Currency { code: Some(nzd), description: None }).unwrap();
        let ok = WriteOptions::default();
        let rate = |r: i64| Some(Decimal::new(r, 2));
        let day = |s: &str| Some(XeroDate::parse(s).unwrap());
        let amount = Decimal::new(cents, 2);
        let contact = Some(Contact { name: Some("C".into()), ..Default::default() });
        let line = |a: Decimal, acc: &str| Some(vec![LineItem {
            description: Some("x".into()), quantity: Some(Decimal::ONE),
            unit_amount: Some(a), account_code: Some(acc.into()), ..Default::default()
        }]);
        let inv = l.write_invoices(Method::Put, vec![Invoice {
            invoice_type: Some(if sale { InvoiceType::AccRec } else { InvoiceType::AccPay }),
            contact: contact.clone(), date: day("2025-10-05"), status: Some(InvoiceStatus::Authorised),
            line_amount_types: Some(LineAmountTypes::NoTax), currency_code: Some(nzd),
            currency_rate: rate(rates.0), line_items: line(amount, if sale { "200" } else { "429" }),
            ..Default::default()
        }], &ok).unwrap().invoices.remove(0);
        let credit = (amount * Decimal::new(part, 0) / Decimal::new(200, 0)).round_dp(2);
        if !credit.is_zero() {
            let cn = l.write_credit_notes(Method::Put, vec![CreditNote {
                credit_note_type: Some(if sale { CreditNoteType::AccRecCredit } else { CreditNoteType::AccPayCredit }),
                contact: contact.clone(), date: day("2025-11-03"), status: Some(InvoiceStatus::Authorised),
                line_amount_types: Some(LineAmountTypes::NoTax), currency_code: Some(nzd),
                currency_rate: rate(rates.2), line_items: line(credit, if sale { "200" } else { "429" }),
                ..Default::default()
            }], &ok).unwrap().credit_notes.remove(0);
            prop_assert_eq!(l.credit_note_count(), 1);
            prop_assert_eq!(cn.remaining_credit, Some(credit));
            l.put_allocations(Credit::CreditNote(0), vec![Allocation {
                invoice: Some(DocumentRef { invoice_id: inv.invoice_id, ..Default::default() }),
                amount: Some(credit), date: day("2025-11-04"), ..Default::default()
            }], &ok).unwrap();
        }
        let rest = amount - credit;
        let paid = (rest * Decimal::new(part, 0) / Decimal::new(100, 0)).round_dp(2);
        if !paid.is_zero() {
            l.put_payments(vec![Payment {
                invoice: Some(PaymentInvoiceRef { invoice_id: inv.invoice_id, invoice_number: None }),
                account: Some(AccountRef { account_id: None, code: Some("090".into()) }),
                date: day("2025-12-10"), amount: Some(paid), currency_rate: rate(rates.1),
                ..Default::default()
            }], &ok).unwrap();
        }
        l.write_bank_transactions(Method::Put, vec![BankTransaction {
            bank_transaction_type: Some(if sale { BankTransactionType::Spend } else { BankTransactionType::Receive }),
            contact, bank_account: Some(Account { code: Some("090".into()), ..Default::default() }),
            date: day("2025-12-12"), line_amount_types: Some(LineAmountTypes::Inclusive),
            line_items: line(amount, "260"), ..Default::default()
        }], &ok).unwrap();

        prop_assert_eq!(l.postings().iter().map(|p| p.amount).sum::<Decimal>(), Decimal::ZERO);
        for date in ["2025-10-31", "2025-11-30", "2025-12-31"] {
            let p = consol::sim::reports::ReportParams {
                date: Some(date.parse().unwrap()),
                ..Default::default()
            };
            let bs = l.balance_sheet(&p).unwrap().reports.remove(0);
            let net = consol::sim::reports::find_row(&bs, "Net Assets").unwrap()[0];
            let eq = consol::sim::reports::find_row(&bs, "Total Equity").unwrap()[0];
            prop_assert_eq!(net, eq, "{}", date);
        }
    }

    #[test]
    fn where_parser_never_panics(s in ".{0,60}") {
        let _ = Filter::parse(&s);
    }
}

//! The intercompany reconciliation view (rule 4, matching).

use crate::common::*;
use consol::engine::*;

#[test]
fn worked_example_pair_is_matched_with_a_translation_difference() {
    let g = worked_example();
    let rec = reconcile_intercompany(&g, range("2026-03", "2026-03")).unwrap();
    assert_eq!(rec.currency.as_str(), "NZD");
    assert_eq!(rec.pairs.len(), 1);
    let p = &rec.pairs[0];
    assert_eq!((p.seller, p.buyer), (EntityId(1), EntityId(2)));
    assert_eq!(p.status, MatchStatus::Matched);
    assert_eq!(p.matched_by, Some(MatchedBy::InvoiceNumber));
    let s = p.seller_invoice.as_ref().unwrap();
    let b = p.buyer_bill.as_ref().unwrap();
    assert_eq!(
        (s.currency.as_str(), s.total.to_string()),
        ("AUD", "1000.00".into())
    );
    assert_eq!(
        (b.currency.as_str(), b.total.to_string()),
        ("AUD", "1000.00".into())
    );
    assert_eq!(s.presentation_amount.unwrap().to_string(), "1111.11");
    assert_eq!(b.presentation_amount.unwrap().to_string(), "1080.00");
    assert_eq!(s.profit_effect.unwrap().to_string(), "-1111.11");
    assert_eq!(b.profit_effect.unwrap().to_string(), "1080.00");
    assert_eq!(p.net_effect.unwrap().to_string(), "-31.11");
    assert_eq!(rec.summary.len(), 1);
    let sum = &rec.summary[0];
    assert_eq!(
        (sum.matched, sum.amount_differs, sum.counterpart_missing),
        (1, 0, 0)
    );
    assert_eq!(sum.net_effect.to_string(), "-31.11");
    assert!(sum.complete);
}

#[test]
fn without_a_number_pairs_match_by_currency_total_and_date() {
    for (bill_date, paired) in [
        ("2026-03-17", true),  // 7 days after
        ("2026-03-03", true),  // 7 days before
        ("2026-03-18", false), // 8 days after
    ] {
        let mut g = worked_example();
        g.invoices[1].invoice_number = Some("SUPPLIER-REF".into());
        g.invoices[1].date = date(bill_date);
        let rec = reconcile_intercompany(&g, range("2026-03", "2026-03")).unwrap();
        if paired {
            assert_eq!(rec.pairs.len(), 1, "{bill_date}");
            assert_eq!(rec.pairs[0].matched_by, Some(MatchedBy::AmountAndDate));
            assert_eq!(rec.pairs[0].status, MatchStatus::Matched);
        } else {
            assert_eq!(rec.pairs.len(), 2, "{bill_date}");
            assert!(
                rec.pairs
                    .iter()
                    .all(|p| p.status == MatchStatus::CounterpartMissing)
            );
            assert_eq!(rec.summary[0].counterpart_missing, 2);
        }
    }
}

#[test]
fn a_different_currency_is_no_amount_match() {
    let mut g = worked_example();
    g.invoices[1].invoice_number = None;
    g.invoices[1].currency = cur("NZD");
    let rec = reconcile_intercompany(&g, range("2026-03", "2026-03")).unwrap();
    assert_eq!(rec.pairs.len(), 2);
}

#[test]
fn a_lone_bill_is_listed_under_its_seller() {
    let mut g = worked_example();
    g.invoices.remove(0);
    let rec = reconcile_intercompany(&g, range("2026-03", "2026-03")).unwrap();
    assert_eq!(rec.pairs.len(), 1);
    let p = &rec.pairs[0];
    assert_eq!((p.seller, p.buyer), (EntityId(1), EntityId(2)));
    assert!(p.seller_invoice.is_none());
    assert_eq!(p.status, MatchStatus::CounterpartMissing);
    assert_eq!(p.net_effect.unwrap().to_string(), "1080.00");
}

#[test]
fn a_bill_just_after_the_period_still_pairs() {
    let mut g = worked_example();
    g.invoices[0].date = date("2026-03-30");
    g.invoices[1].date = date("2026-04-02");
    let rec = reconcile_intercompany(&g, range("2026-03", "2026-03")).unwrap();
    assert_eq!(rec.pairs.len(), 1);
    assert_eq!(rec.pairs[0].status, MatchStatus::Matched);
    assert_eq!(rec.pairs[0].month, m("2026-03"));
    // ... and the pair belongs to March, not April.
    let rec = reconcile_intercompany(&g, range("2026-04", "2026-04")).unwrap();
    assert!(rec.pairs.is_empty());
}

#[test]
fn missing_rate_leaves_amounts_unknown() {
    let mut g = worked_example();
    g.rates.clear();
    let rec = reconcile_intercompany(&g, range("2026-03", "2026-03")).unwrap();
    let p = &rec.pairs[0];
    assert!(p.buyer_bill.as_ref().unwrap().presentation_amount.is_none());
    assert!(p.net_effect.is_none());
    assert!(!rec.summary[0].complete);
}

#[test]
fn reconciliation_serialises_decimals_as_strings() {
    let rec = reconcile_intercompany(&worked_example(), range("2026-03", "2026-03")).unwrap();
    let v = serde_json::to_value(&rec).unwrap();
    assert_eq!(v["pairs"][0]["net_effect"], "-31.11");
    assert_eq!(v["pairs"][0]["status"], "matched");
    assert_eq!(v["pairs"][0]["seller_invoice"]["total"], "1000.00");
    assert_eq!(v["summary"][0]["seller_amount"], "1111.11");
}

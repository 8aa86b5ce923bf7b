//! The worked example at the end of the rules page, to the cent.

use crate::common::*;
use consol::engine::*;

#[test]
fn worked_example_eliminations_to_the_cent() {
    let data = worked_example();
    let c = consolidate(&data, range("2026-03", "2026-03")).unwrap();
    let r = &c.report;
    assert_eq!(r.currency.as_str(), "NZD");
    let keys: Vec<&str> = r.columns.iter().map(|c| c.key.as_str()).collect();
    assert_eq!(
        keys,
        ["entity:1", "entity:2", "eliminations", "consolidated"]
    );

    assert_eq!(cell(r, "group:10", "entity:1"), "1111.11");
    assert_eq!(cell(r, "group:20", "entity:2"), "1080.00");
    assert_eq!(cell(r, "group:10", "eliminations"), "-1111.11");
    assert_eq!(cell(r, "group:20", "eliminations"), "-1080.00");
    assert_eq!(cell(r, "group:10", "consolidated"), "0.00");
    assert_eq!(cell(r, "group:20", "consolidated"), "0.00");
    assert_eq!(
        r.net_profit.get("eliminations").unwrap().to_string(),
        "-31.11"
    );
    assert_eq!(r.net_profit.get("entity:1").unwrap().to_string(), "1111.11");
    assert_eq!(
        r.net_profit.get("entity:2").unwrap().to_string(),
        "-1080.00"
    );
    assert_eq!(
        r.net_profit.get("consolidated").unwrap().to_string(),
        "0.00"
    );
    assert_eq!(cell(r, "gross_profit", "eliminations"), "-1111.11");
    assert_eq!(
        cell(r, "total:operating_expenses", "eliminations"),
        "-1080.00"
    );

    // The rate used is listed; no errors; the tie-out holds.
    assert_eq!(r.rates.len(), 1);
    assert_eq!(r.rates[0].average.to_string(), "1.08");
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    assert!(r.tie_out.iter().all(|t| t.difference.unwrap().is_zero()));

    // Provenance of the elimination cells.
    let p = c.provenance.cell("group:10", "eliminations").unwrap();
    assert_eq!(p.eliminations.len(), 1);
    let e = &p.eliminations[0];
    assert_eq!(e.invoice_id, "inv-h-42");
    assert_eq!(e.invoice_number.as_deref(), Some("INV-0042"));
    assert_eq!(e.line_item_id, "l1");
    // 1,000.00 / 0.90 = 1,111.111..., posted by Xero (and eliminated) as
    // 1,111.11.
    assert_eq!(e.base_amount.to_string(), "1111.11");
    assert_eq!(e.rate.to_string(), "1");
    assert_eq!(e.translated.to_string(), "1111.11");
    assert_eq!(p.total().to_string(), "-1111.11");
    assert_eq!(p.elimination_sums.len(), 1);
    assert_eq!(p.elimination_sums[0].base_amount.to_string(), "-1111.11");
    assert_eq!(p.elimination_sums[0].translated.to_string(), "-1111.11");
    let p = c.provenance.cell("group:20", "eliminations").unwrap();
    assert_eq!(p.eliminations[0].translated.to_string(), "1080.00");
    assert_eq!(p.eliminations[0].rate.to_string(), "1.08");

    // Provenance of an entity cell.
    let p = c.provenance.cell("group:20", "entity:2").unwrap();
    assert_eq!(p.sources.len(), 1);
    let s = &p.sources[0];
    assert_eq!(s.account_id, "t-400");
    assert_eq!(s.amount.to_string(), "1000.00");
    assert_eq!(s.rows[0].sync_run_id, Some(7));
    assert_eq!(s.translated.to_string(), "1080.00");
    assert_eq!(p.total().to_string(), "1080.00");
    // The consolidated cell opens to both.
    let p = c.provenance.cell("group:20", "consolidated").unwrap();
    assert_eq!(p.sources.len(), 1);
    assert_eq!(p.eliminations.len(), 1);
    assert_eq!(p.total().to_string(), "0.00");
}

//! The report's JSON: decimals are strings, the shape of the API contract.

use crate::common::*;
use consol::engine::*;
use serde_json::Value;

/// Every JSON number must be an integer id or count, never an amount.
fn assert_no_decimal_numbers(v: &Value, key: &str) {
    match v {
        Value::Number(n) => {
            assert!(
                n.is_i64() || n.is_u64(),
                "{key}: {n} is a JSON number, not a string"
            );
            assert!(
                matches!(
                    key,
                    "entity"
                        | "seller"
                        | "buyer"
                        | "matched"
                        | "amount_differs"
                        | "counterpart_missing"
                        | "sync_run_id"
                ),
                "{key}: numbers only for ids and counts"
            );
        }
        Value::Array(a) => a.iter().for_each(|x| assert_no_decimal_numbers(x, key)),
        Value::Object(o) => o.iter().for_each(|(k, x)| assert_no_decimal_numbers(x, k)),
        _ => {}
    }
}

#[test]
fn report_decimals_serialise_as_json_strings() {
    let mut g = worked_example();
    g.net_profits[0].amount = d("1111.10"); // a tie-out warning with decimals
    g.entity_accounts
        .push(account(2, "t-9", "9", "Unmapped", AccountClass::Expense));
    g.pnl.push(pnl(2, "t-9", "2026-03", "1.00"));
    let c = consolidate(&g, range("2026-03", "2026-03")).unwrap();
    let v = serde_json::to_value(&c.report).unwrap();

    assert_eq!(v["currency"], "NZD");
    assert_eq!(v["columns"][0]["key"], "entity:1");
    assert_eq!(v["columns"][0]["kind"], "entity");
    assert_eq!(v["columns"][2]["kind"], "eliminations");
    assert_eq!(v["columns"][3]["kind"], "consolidated");
    let sales = v["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["key"] == "group:10")
        .unwrap();
    assert_eq!(sales["section"], "Income");
    assert_eq!(sales["account_code"], "200");
    assert_eq!(sales["account_name"], "Sales");
    assert_eq!(sales["values"]["entity:1"], "1111.11");
    assert_eq!(sales["values"]["eliminations"], "-1111.11");
    assert_eq!(sales["values"]["consolidated"], "0.00");
    assert_eq!(v["net_profit"]["eliminations"], "-31.11");
    // An Unmapped line lists every column too.
    let unmapped = v["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["key"] == "unmapped:2:t-9")
        .unwrap();
    assert_eq!(unmapped["section"], "Unmapped");
    assert_eq!(unmapped["entity"], 2);
    assert_eq!(
        unmapped["values"],
        serde_json::json!({
            "entity:1": "0.00",
            "entity:2": "-1.08",
            "eliminations": "0.00",
            "consolidated": "-1.08"
        })
    );
    assert_eq!(v["rates"][0]["currency"], "AUD");
    assert_eq!(v["rates"][0]["month"], "2026-03");
    assert_eq!(v["rates"][0]["average"], "1.08");
    assert_eq!(v["months"][0]["month"], "2026-03");
    assert_eq!(v["months"][0]["net_profit"]["consolidated"], "-1.08");
    let kinds: Vec<&str> = v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"net_profit_tie_out"));
    assert!(kinds.contains(&"unmapped_account"));
    let tie = v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["kind"] == "net_profit_tie_out")
        .unwrap();
    assert_eq!(tie["difference"], "0.01");
    assert_eq!(tie["severity"], "warning");
    assert_no_decimal_numbers(&v, "");

    // The same for a cell's provenance.
    let p = serde_json::to_value(c.provenance.cell("group:20", "consolidated").unwrap()).unwrap();
    assert_eq!(p["sources"][0]["amount"], "1000.00");
    assert_eq!(p["sources"][0]["rate"], "1.08");
    assert_eq!(p["sources"][0]["translated"], "1080.00");
    assert_eq!(p["eliminations"][0]["invoice_number"], "INV-0042");
    assert_eq!(p["eliminations"][0]["translated"], "1080.00");
    assert_eq!(p["eliminations"][0]["cell_amount"], "-1080.00");
    assert_no_decimal_numbers(&p, "");
}

#[test]
fn missing_rate_warning_names_entity_currency_and_month() {
    let mut g = worked_example();
    g.rates.clear();
    let r = consolidate(&g, range("2026-03", "2026-03")).unwrap().report;
    let v = serde_json::to_value(&r.warnings).unwrap();
    assert_eq!(
        v[0],
        serde_json::json!({
            "kind": "missing_rate",
            "severity": "error",
            "entity": 2,
            "entity_name": "T",
            "currency": "AUD",
            "month": "2026-03"
        })
    );
}

#[test]
fn unknown_cells_have_no_provenance() {
    let g = worked_example();
    let c = consolidate(&g, range("2026-03", "2026-03")).unwrap();
    assert!(c.provenance.cell("group:999", "entity:1").is_none());
    assert!(c.provenance.cell("group:10", "entity:999").is_none());
    let empty = c.provenance.cell("group:10", "entity:2").unwrap();
    assert!(empty.sources.is_empty() && empty.eliminations.is_empty());
    assert!(c.provenance.line_keys().any(|k| k == "group:10"));
}

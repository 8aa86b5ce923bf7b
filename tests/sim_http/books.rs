//! Real books over HTTP: payments read back, payments at their own rate
//! with realised currency gains, credit notes and allocations, spend and
//! receive money, overpayments and prepayments, and what the reports and
//! `/_sim/organisations` make of them. Expected figures are worked out by
//! hand in the comments.

use reqwest::{Method, StatusCode};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;

/// A simulator with one NZD organisation (AUD subscribed) and a write
/// token for it.
pub struct Books {
    pub sim: Sim,
    pub tok: String,
    pub t: Uuid,
}

impl Books {
    pub async fn new() -> Books {
        let sim = Sim::empty().await;
        let tenants = sim.setup().await;
        let tok = token_of(&sim.login_with(WRITE_SCOPES).await);
        let b = Books {
            sim,
            tok,
            t: tenants[0],
        };
        b.ok(Method::PUT, "/Currencies", json!({"Code": "AUD"}))
            .await;
        b
    }

    pub async fn send(&self, m: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut r = self.sim.api(m, &self.tok, Some(self.t), path);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let r = r.send().await.unwrap();
        let s = r.status();
        let text = r.text().await.unwrap();
        (
            s,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn ok(&self, m: Method, path: &str, body: Value) -> Value {
        let (s, v) = self.send(m, path, Some(body)).await;
        assert_eq!(s, StatusCode::OK, "{path}: {v}");
        v
    }

    pub async fn get(&self, path: &str) -> Value {
        let (s, v) = self.send(Method::GET, path, None).await;
        assert_eq!(s, StatusCode::OK, "{path}: {v}");
        v
    }

    /// An AUTHORISED NoTax invoice of one line; returns its InvoiceID.
    pub async fn invoice(&self, ty: &str, currency: &str, rate: &str, amount: &str) -> String {
        let v = self
            .ok(
                Method::PUT,
                "/Invoices",
                json!({"Invoices": [{
                    "Type": ty, "Contact": {"Name": "Wallaby Pty"},
                    "Date": "2026-03-10", "DueDate": "2026-04-10",
                    "Status": "AUTHORISED", "LineAmountTypes": "NoTax",
                    "CurrencyCode": currency, "CurrencyRate": num(rate),
                    "LineItems": [{"Description": "Goods", "Quantity": 1,
                                   "UnitAmount": num(amount),
                                   "AccountCode": if ty == "ACCREC" { "200" } else { "429" }}]
                }]}),
            )
            .await;
        v["Invoices"][0]["InvoiceID"].as_str().unwrap().to_string()
    }

    /// The March 2026 P&L.
    pub async fn march_pl(&self) -> Value {
        self.get("/Reports/ProfitAndLoss?fromDate=2026-03-01&toDate=2026-03-31")
            .await
    }

    pub async fn balance_sheet(&self, date: &str) -> Value {
        self.get(&format!("/Reports/BalanceSheet?date={date}"))
            .await
    }
}

/// A JSON number with exactly these digits.
pub fn num(s: &str) -> Value {
    serde_json::from_str(s).unwrap()
}

pub fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// Every row (at any depth) of a report, with the title of the section it
/// sits in.
pub fn rows(report: &Value) -> Vec<(String, Value)> {
    fn walk(rows: &Value, section: &str, out: &mut Vec<(String, Value)>) {
        for r in rows.as_array().into_iter().flatten() {
            let title = r["Title"].as_str().unwrap_or(section);
            if r["Cells"].is_array() {
                out.push((section.to_string(), r.clone()));
            }
            if r["Rows"].is_array() {
                walk(&r["Rows"], title, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(&report["Reports"][0]["Rows"], "", &mut out);
    out
}

/// The section and cells of the row labelled `label`.
pub fn row(report: &Value, label: &str) -> Option<(String, Vec<Value>)> {
    rows(report)
        .into_iter()
        .find(|(_, r)| r["Cells"][0]["Value"] == label)
        .map(|(s, r)| (s, r["Cells"].as_array().unwrap().clone()))
}

/// The first value column of the row labelled `label`.
pub fn value(report: &Value, label: &str) -> Decimal {
    let (_, cells) = row(report, label).unwrap_or_else(|| panic!("no row {label}"));
    dec(cells[1]["Value"].as_str().unwrap())
}

/// Whether the balance sheet balances: Net Assets equals Total Equity.
pub fn assert_balanced(bs: &Value) {
    assert_eq!(value(bs, "Net Assets"), value(bs, "Total Equity"), "{bs}");
}

#[tokio::test]
async fn get_payments_reads_pages_and_never_writes() {
    let b = Books::new().await;
    let inv = b.invoice("ACCREC", "NZD", "1", "100.00").await;
    for (amount, date) in [("30.00", "2026-03-11"), ("20.00", "2026-03-12")] {
        b.ok(
            Method::PUT,
            "/Payments",
            json!({"Payments": [{"Invoice": {"InvoiceID": inv}, "Account": {"Code": "090"},
                                  "Date": date, "Amount": num(amount)}]}),
        )
        .await;
    }
    // A GET that carries a JSON body reads, and creates nothing.
    let (s, v) = b
        .send(
            Method::GET,
            "/Payments",
            Some(json!({"Payments": [{"Invoice": {"InvoiceID": inv},
                                      "Account": {"Code": "090"}, "Amount": 5}]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["Payments"].as_array().unwrap().len(), 2, "{v}");
    let due = b.get(&format!("/Invoices/{inv}")).await;
    assert_eq!(due["Invoices"][0]["AmountDue"].to_string(), "50.00");

    // Paged like invoices.
    let p1 = b.get("/Payments?page=1&pageSize=1").await;
    assert_eq!(p1["pagination"]["pageCount"], 2);
    assert_eq!(p1["pagination"]["itemCount"], 2);
    assert_eq!(p1["Payments"].as_array().unwrap().len(), 1);
    let p3 = b.get("/Payments?page=3&pageSize=1").await;
    assert!(p3["Payments"].as_array().unwrap().is_empty());
    // Filtered with `where`.
    let f = b.get("/Payments?where=Amount%3D%3D30").await;
    let amounts: Vec<String> = f["Payments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["Amount"].to_string())
        .collect();
    assert_eq!(amounts, ["30.00"]);
    assert_eq!(f["Payments"][0]["PaymentType"], "ACCRECPAYMENT");
    // By id, and If-Modified-Since.
    let id = f["Payments"][0]["PaymentID"].as_str().unwrap();
    let one = b.get(&format!("/Payments/{id}")).await;
    assert_eq!(one["Payments"][0]["PaymentID"], id);
    b.sim.advance(60).await;
    let ims = b
        .sim
        .handle
        .clock()
        .now()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    let r = b
        .sim
        .api(Method::GET, &b.tok, Some(b.t), "/Payments")
        .header("if-modified-since", ims)
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert!(v["Payments"].as_array().unwrap().is_empty(), "{v}");
    let (s, _) = b
        .send(Method::GET, &format!("/Payments/{}", Uuid::new_v4()), None)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

/// The brief's worked example: AUD 1,000 invoiced at 0.90 (NZD 1,111.11)
/// and paid at 0.80 banks NZD 1,250.00 (1,000 / 0.80) and realises a gain
/// of 1,250.00 - 1,111.11 = 138.89, shown by Xero as a negative expense on
/// the "Foreign Currency Gains and Losses" row keyed FXGROUPID.
#[tokio::test]
async fn a_payment_at_its_own_rate_realises_a_currency_gain() {
    let b = Books::new().await;
    let inv = b.invoice("ACCREC", "AUD", "0.90", "1000.00").await;
    let v = b
        .ok(
            Method::PUT,
            "/Payments",
            json!({"Payments": [{"Invoice": {"InvoiceID": inv}, "Account": {"Code": "090"},
                                  "Date": "2026-03-20", "Amount": 1000.00,
                                  "CurrencyRate": 0.80}]}),
        )
        .await;
    assert_eq!(v["Payments"][0]["CurrencyRate"].to_string(), "0.800000");
    assert_eq!(v["Payments"][0]["BankAmount"].to_string(), "1250.00");

    let pl = b.march_pl().await;
    assert_eq!(value(&pl, "Sales"), dec("1111.11"));
    let (section, cells) = row(&pl, "Foreign Currency Gains and Losses").expect("FX row");
    assert_eq!(section, "Less Operating Expenses");
    assert_eq!(cells[1]["Value"], "-138.89");
    for c in &cells {
        assert_eq!(
            c["Attributes"],
            json!([{"Id": "account", "Value": "FXGROUPID"}]),
            "{c}"
        );
    }
    assert_eq!(value(&pl, "Total Operating Expenses"), dec("-138.89"));
    assert_eq!(value(&pl, "Net Profit"), dec("1111.11") + dec("138.89"));

    let bs = b.balance_sheet("2026-03-31").await;
    assert_eq!(value(&bs, "Business Bank Account"), dec("1250.00"));
    assert!(
        row(&bs, "Accounts Receivable").is_none(),
        "nothing left due: {bs}"
    );
    assert_eq!(value(&bs, "Current Year Earnings"), dec("1250.00"));
    assert_balanced(&bs);
    let tb = b.get("/Reports/TrialBalance?date=2026-03-31").await;
    let (_, fx) = row(&tb, "Foreign Currency Gains and Losses").expect("FX in TB");
    assert_eq!(fx[2]["Value"], "138.89", "a credit: {tb}");
}

/// A bill paid at a worse rate: AUD 500 billed at 0.80 (NZD 625.00) and
/// paid at 0.75 costs NZD 666.67 from the bank, a realised loss of 41.67.
#[tokio::test]
async fn a_bill_paid_at_a_worse_rate_realises_a_loss() {
    let b = Books::new().await;
    let bill = b.invoice("ACCPAY", "AUD", "0.80", "500.00").await;
    b.ok(
        Method::PUT,
        "/Payments",
        json!({"Payments": [{"Invoice": {"InvoiceID": bill}, "Account": {"Code": "090"},
                              "Date": "2026-03-25", "Amount": 500, "CurrencyRate": 0.75}]}),
    )
    .await;
    let pl = b.march_pl().await;
    assert_eq!(
        value(&pl, "Foreign Currency Gains and Losses"),
        dec("41.67")
    );
    assert_eq!(value(&pl, "Net Profit"), -(dec("625.00") + dec("41.67")));
    let bs = b.balance_sheet("2026-03-31").await;
    assert_eq!(value(&bs, "Business Bank Account"), dec("-666.67"));
    assert_balanced(&bs);
}

#[tokio::test]
async fn a_payment_without_its_own_rate_settles_at_the_invoices() {
    let b = Books::new().await;
    let inv = b.invoice("ACCREC", "AUD", "0.90", "900.00").await;
    b.ok(
        Method::PUT,
        "/Payments",
        json!({"Payments": [{"Invoice": {"InvoiceID": inv}, "Account": {"Code": "090"},
                              "Date": "2026-03-20", "Amount": 900}]}),
    )
    .await;
    let pl = b.march_pl().await;
    assert!(row(&pl, "Foreign Currency Gains and Losses").is_none());
    let bs = b.balance_sheet("2026-03-31").await;
    assert_eq!(value(&bs, "Business Bank Account"), dec("1000.00"));
    assert_balanced(&bs);
}

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

async fn credit_note(b: &Books, body: Value) -> (StatusCode, Value) {
    b.send(
        Method::PUT,
        "/CreditNotes",
        Some(json!({"CreditNotes": [body]})),
    )
    .await
}

/// A NZD 1,000.00 sale (no tax) and a credit note of 200.00 + 15% GST =
/// 230.00 to the same customer: Sales fall to 800.00; allocating the
/// 230.00 leaves 770.00 due and no credit.
#[tokio::test]
async fn credit_notes_post_with_the_opposite_sign_and_allocate_to_invoices() {
    let b = Books::new().await;
    let inv = b.invoice("ACCREC", "NZD", "1", "1000.00").await;
    let (s, v) = credit_note(
        &b,
        json!({"Type": "ACCRECCREDIT", "Contact": {"Name": "Wallaby Pty"},
               "Date": "2026-03-15", "Status": "AUTHORISED", "LineAmountTypes": "Exclusive",
               "LineItems": [{"Description": "Returned goods", "Quantity": 1,
                              "UnitAmount": 200, "AccountCode": "200"}]}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let cn = &v["CreditNotes"][0];
    assert_eq!(cn["Type"], "ACCRECCREDIT");
    assert_eq!(cn["CreditNoteNumber"], "CN-0001");
    assert_eq!(cn["Total"].to_string(), "230.00");
    assert_eq!(cn["TotalTax"].to_string(), "30.00");
    assert_eq!(cn["RemainingCredit"].to_string(), "230.00");
    assert_eq!(cn["Status"], "AUTHORISED");
    let cn_id = cn["CreditNoteID"].as_str().unwrap().to_string();

    let pl = b.march_pl().await;
    assert_eq!(value(&pl, "Sales"), dec("800.00"));
    assert_eq!(value(&pl, "Net Profit"), dec("800.00"));
    let bs = b.balance_sheet("2026-03-31").await;
    assert_eq!(value(&bs, "Accounts Receivable"), dec("770.00"));
    assert_eq!(value(&bs, "GST"), dec("-30.00"), "GST refundable: {bs}");
    assert_balanced(&bs);

    // Allocation: the invoice's AmountDue and the credit both fall.
    let a = b
        .ok(
            Method::PUT,
            &format!("/CreditNotes/{cn_id}/Allocations"),
            json!({"Allocations": [{"Invoice": {"InvoiceID": inv}, "Amount": 230.00,
                                     "Date": "2026-03-16"}]}),
        )
        .await;
    assert_eq!(a["Allocations"][0]["Amount"].to_string(), "230.00");
    assert_eq!(a["Allocations"][0]["CreditNote"]["CreditNoteID"], cn_id);
    let i = b.get(&format!("/Invoices/{inv}")).await;
    let i = &i["Invoices"][0];
    assert_eq!(i["AmountDue"].to_string(), "770.00");
    assert_eq!(i["AmountCredited"].to_string(), "230.00");
    assert_eq!(i["Status"], "AUTHORISED");
    assert_eq!(i["CreditNotes"][0]["CreditNoteID"], cn_id);
    assert_eq!(i["CreditNotes"][0]["AppliedAmount"].to_string(), "230.00");
    let c = b.get("/CreditNotes/CN-0001").await;
    let c = &c["CreditNotes"][0];
    assert_eq!(c["RemainingCredit"].to_string(), "0.00");
    assert_eq!(c["Status"], "PAID");
    assert_eq!(c["Allocations"].as_array().unwrap().len(), 1);
    // Allocating within one currency moves nothing in the books.
    let bs = b.balance_sheet("2026-03-31").await;
    assert_eq!(value(&bs, "Accounts Receivable"), dec("770.00"));
    assert_balanced(&bs);

    // No credit left: a second allocation is refused, and nothing changes.
    let (s, e) = b
        .send(
            Method::PUT,
            &format!("/CreditNotes/{cn_id}/Allocations"),
            Some(json!({"Allocations": [{"Invoice": {"InvoiceID": inv}, "Amount": 1}]})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(e["Type"], "ValidationException");
    let i = b.get(&format!("/Invoices/{inv}")).await;
    assert_eq!(i["Invoices"][0]["AmountDue"].to_string(), "770.00");
    // A fully allocated credit note cannot be voided.
    let (s, _) = b
        .send(
            Method::POST,
            "/CreditNotes",
            Some(json!({"CreditNotes": [{"CreditNoteID": cn_id, "Status": "VOIDED"}]})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

/// A supplier credit (ACCPAYCREDIT) reduces the expense it reverses; a
/// DRAFT posts nothing until it is AUTHORISED; a VOIDED one posts nothing.
#[tokio::test]
async fn supplier_credit_notes_and_their_statuses() {
    let b = Books::new().await;
    b.invoice("ACCPAY", "NZD", "1", "500.00").await;
    let (s, v) = credit_note(
        &b,
        json!({"Type": "ACCPAYCREDIT", "Contact": {"Name": "Wallaby Pty"},
               "CreditNoteNumber": "SUP-CR-9", "Date": "2026-03-12", "LineAmountTypes": "NoTax",
               "LineItems": [{"Description": "Rebate", "Quantity": 1,
                              "UnitAmount": 120, "AccountCode": "429"}]}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let cn = &v["CreditNotes"][0];
    assert_eq!(cn["Status"], "DRAFT");
    assert_eq!(cn["CreditNoteNumber"], "SUP-CR-9");
    let id = cn["CreditNoteID"].as_str().unwrap().to_string();
    assert_eq!(
        value(&b.march_pl().await, "General Expenses"),
        dec("500.00")
    );

    let post = |status: &str| json!({"CreditNotes": [{"CreditNoteID": id, "Status": status}]});
    b.ok(Method::POST, "/CreditNotes", post("AUTHORISED")).await;
    let pl = b.march_pl().await;
    assert_eq!(value(&pl, "General Expenses"), dec("380.00"));
    let bs = b.balance_sheet("2026-03-31").await;
    assert_eq!(value(&bs, "Accounts Payable"), dec("380.00"));
    assert_balanced(&bs);
    b.ok(Method::POST, "/CreditNotes", post("VOIDED")).await;
    assert_eq!(
        value(&b.march_pl().await, "General Expenses"),
        dec("500.00")
    );
    let v = b.get(&format!("/CreditNotes/{id}")).await;
    assert_eq!(v["CreditNotes"][0]["RemainingCredit"].to_string(), "0.00");
    // VOIDED is final.
    let (s, _) = b
        .send(Method::POST, "/CreditNotes", Some(post("AUTHORISED")))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // PUT with an existing id is refused; an unknown type is a 400.
    let (s, _) = credit_note(&b, json!({"CreditNoteID": id, "Type": "ACCPAYCREDIT"})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = credit_note(&b, json!({"Type": "ACCREC", "Contact": {"Name": "X"}})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn credit_notes_page_filter_and_modified_since() {
    let b = Books::new().await;
    for n in 0..3 {
        let (s, v) = credit_note(
            &b,
            json!({"Type": if n == 2 { "ACCPAYCREDIT" } else { "ACCRECCREDIT" },
                   "Contact": {"Name": "Wallaby Pty"}, "Date": "2026-03-15",
                   "Status": "AUTHORISED", "LineAmountTypes": "NoTax",
                   "LineItems": [{"Description": "x", "Quantity": 1, "UnitAmount": 10 + n,
                                  "AccountCode": "200"}]}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        b.sim.advance(5).await;
    }
    let p = b.get("/CreditNotes?page=2&pageSize=2").await;
    assert_eq!(p["pagination"]["page"], 2);
    assert_eq!(p["pagination"]["pageSize"], 2);
    assert_eq!(p["pagination"]["pageCount"], 2);
    assert_eq!(p["pagination"]["itemCount"], 3);
    // Oldest first: the third one is alone on page 2.
    assert_eq!(p["CreditNotes"][0]["Total"].to_string(), "12.00");
    let p = b.get("/CreditNotes?page=1&pageSize=5000").await;
    assert_eq!(p["pagination"]["pageSize"], 1000);
    let f = b
        .get("/CreditNotes?where=Type%3D%3D%22ACCRECCREDIT%22&page=1")
        .await;
    assert_eq!(f["CreditNotes"].as_array().unwrap().len(), 2);
    let r = b
        .sim
        .api(Method::GET, &b.tok, Some(b.t), "/CreditNotes")
        .header("if-modified-since", {
            let t = b.sim.handle.clock().now() - chrono::Duration::seconds(7);
            t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
        })
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    let totals: Vec<String> = v["CreditNotes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["Total"].to_string())
        .collect();
    assert_eq!(totals, ["12.00"]);
    let (s, _) = b
        .send(
            Method::GET,
            &format!("/CreditNotes/{}", Uuid::new_v4()),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

/// Spend 115.00 GST inclusive on General Expenses (100.00 + 15.00 GST) and
/// receive 200.00 (no tax) as Other Revenue: the bank holds 85.00.
#[tokio::test]
async fn spend_and_receive_money_post_to_the_books() {
    let b = Books::new().await;
    let bt = |ty: &str, lat: &str, amount: &str, account: &str| {
        json!({"Type": ty, "Contact": {"Name": "Kiwi Hardware"},
               "BankAccount": {"Code": "090"}, "Date": "2026-03-05",
               "LineAmountTypes": lat,
               "LineItems": [{"Description": "x", "Quantity": 1, "UnitAmount": num(amount),
                              "AccountCode": account}]})
    };
    let v = b
        .ok(
            Method::PUT,
            "/BankTransactions",
            json!({"BankTransactions": [bt("SPEND", "Inclusive", "115.00", "429"),
                                        bt("RECEIVE", "NoTax", "200.00", "260")]}),
        )
        .await;
    let spend = &v["BankTransactions"][0];
    assert_eq!(spend["Type"], "SPEND");
    assert_eq!(spend["Status"], "AUTHORISED");
    assert_eq!(spend["Total"].to_string(), "115.00");
    assert_eq!(spend["TotalTax"].to_string(), "15.00");
    assert_eq!(spend["SubTotal"].to_string(), "100.00");
    assert_eq!(spend["BankAccount"]["Code"], "090");
    assert_eq!(spend["LineAmountTypes"], "Inclusive");
    let spend_id = spend["BankTransactionID"].as_str().unwrap().to_string();

    let pl = b.march_pl().await;
    assert_eq!(value(&pl, "General Expenses"), dec("100.00"));
    assert_eq!(value(&pl, "Other Revenue"), dec("200.00"));
    assert_eq!(value(&pl, "Net Profit"), dec("100.00"));
    let bs = b.balance_sheet("2026-03-31").await;
    assert_eq!(value(&bs, "Business Bank Account"), dec("85.00"));
    assert_balanced(&bs);

    let p = b.get("/BankTransactions?page=1&pageSize=1").await;
    assert_eq!(p["pagination"]["itemCount"], 2);
    assert_eq!(p["BankTransactions"].as_array().unwrap().len(), 1);
    let one = b.get(&format!("/BankTransactions/{spend_id}")).await;
    assert_eq!(one["BankTransactions"][0]["BankTransactionID"], spend_id);

    // Deleting the spend takes it out of the books.
    b.ok(
        Method::POST,
        &format!("/BankTransactions/{spend_id}"),
        json!({"BankTransactions": [{"Status": "DELETED"}]}),
    )
    .await;
    let pl = b.march_pl().await;
    assert!(row(&pl, "General Expenses").is_none());
    let bs = b.balance_sheet("2026-03-31").await;
    assert_eq!(value(&bs, "Business Bank Account"), dec("200.00"));
    assert_balanced(&bs);
    let d = b
        .get("/BankTransactions?where=Status%3D%3D%22DELETED%22")
        .await;
    assert_eq!(d["BankTransactions"].as_array().unwrap().len(), 1);

    // Not a bank account, or a transfer: 400.
    let mut bad = bt("SPEND", "NoTax", "1", "429");
    bad["BankAccount"] = json!({"Code": "200"});
    let (s, _) = b.send(Method::PUT, "/BankTransactions", Some(bad)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = b
        .send(
            Method::PUT,
            "/BankTransactions",
            Some(bt("SPEND-TRANSFER", "NoTax", "1", "429")),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    let orgs = b.sim.get_json("/_sim/organisations").await;
    let org = orgs
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["tenant_id"] == b.t.to_string())
        .unwrap();
    assert_eq!(org["bank_transactions"], 2);
    assert_eq!(org["credit_notes"], 0);
}

/// A customer overpays 300.00 (RECEIVE-OVERPAYMENT): the bank holds it and
/// it waits as a credit in Accounts Receivable. Allocated to a 1,000.00
/// invoice it leaves 700.00 due; the P&L holds only the sale.
#[tokio::test]
async fn overpayments_and_prepayments_hold_credit_until_allocated() {
    let b = Books::new().await;
    let credit = |ty: &str, amount: u32| {
        json!({"BankTransactions": [{"Type": ty, "Contact": {"Name": "Wallaby Pty"},
               "BankAccount": {"Code": "090"}, "Date": "2026-03-05", "LineAmountTypes": "NoTax",
               "LineItems": [{"Description": "Credit", "Quantity": 1, "UnitAmount": amount,
                              "AccountCode": "610"}]}]})
    };
    let v = b
        .ok(
            Method::PUT,
            "/BankTransactions",
            credit("RECEIVE-OVERPAYMENT", 300),
        )
        .await;
    let op_id = v["BankTransactions"][0]["OverpaymentID"]
        .as_str()
        .unwrap()
        .to_string();
    b.ok(
        Method::PUT,
        "/BankTransactions",
        credit("SPEND-PREPAYMENT", 50),
    )
    .await;
    let ops = b.get("/Overpayments?page=1").await;
    assert_eq!(ops["pagination"]["itemCount"], 1);
    let op = &ops["Overpayments"][0];
    assert_eq!(op["OverpaymentID"], op_id);
    assert_eq!(op["Type"], "RECEIVE-OVERPAYMENT");
    assert_eq!(op["Status"], "AUTHORISED");
    assert_eq!(op["RemainingCredit"].to_string(), "300.00");
    let pps = b.get("/Prepayments").await;
    assert_eq!(pps["Prepayments"][0]["Type"], "SPEND-PREPAYMENT");
    assert_eq!(pps["Prepayments"][0]["Total"].to_string(), "50.00");
    let bs = b.balance_sheet("2026-03-31").await;
    assert_eq!(value(&bs, "Business Bank Account"), dec("250.00"));
    assert_eq!(value(&bs, "Accounts Receivable"), dec("-300.00"));
    assert_balanced(&bs);

    let inv = b.invoice("ACCREC", "NZD", "1", "1000.00").await;
    b.ok(
        Method::PUT,
        &format!("/Overpayments/{op_id}/Allocations"),
        json!({"Allocations": [{"Invoice": {"InvoiceID": inv}, "Amount": 300,
                                 "Date": "2026-03-20"}]}),
    )
    .await;
    let i = b.get(&format!("/Invoices/{inv}")).await;
    assert_eq!(i["Invoices"][0]["AmountDue"].to_string(), "700.00");
    assert_eq!(i["Invoices"][0]["Overpayments"][0]["OverpaymentID"], op_id);
    let op = b.get(&format!("/Overpayments/{op_id}")).await;
    assert_eq!(op["Overpayments"][0]["RemainingCredit"].to_string(), "0.00");
    assert_eq!(op["Overpayments"][0]["Status"], "PAID");
    let pl = b.march_pl().await;
    assert_eq!(value(&pl, "Net Profit"), dec("1000.00"));
    let bs = b.balance_sheet("2026-03-31").await;
    assert_eq!(value(&bs, "Accounts Receivable"), dec("700.00"));
    assert_balanced(&bs);
    // The bank transaction behind an allocated overpayment stays.
    let bt_id = b
        .get("/BankTransactions?where=Type%3D%3D%22RECEIVE-OVERPAYMENT%22")
        .await["BankTransactions"][0]["BankTransactionID"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, _) = b
        .send(
            Method::POST,
            &format!("/BankTransactions/{bt_id}"),
            Some(json!({"Status": "DELETED"})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

/// A credit note in AUD at 0.80 (AUD 100 = NZD 125.00) allocated to an AUD
/// invoice at 0.90 (AUD 100 = NZD 111.11) clears 125.00 of the credit and
/// 111.11 of the invoice: the 13.89 between them is realised, and profit
/// nets to zero.
#[tokio::test]
async fn allocating_across_rates_realises_the_difference() {
    let b = Books::new().await;
    let inv = b.invoice("ACCREC", "AUD", "0.90", "100.00").await;
    let (s, v) = credit_note(
        &b,
        json!({"Type": "ACCRECCREDIT", "Contact": {"Name": "Wallaby Pty"},
               "Date": "2026-03-15", "Status": "AUTHORISED", "LineAmountTypes": "NoTax",
               "CurrencyCode": "AUD", "CurrencyRate": 0.80,
               "LineItems": [{"Description": "x", "Quantity": 1, "UnitAmount": 100,
                              "AccountCode": "200"}]}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let id = v["CreditNotes"][0]["CreditNoteID"].as_str().unwrap();
    b.ok(
        Method::PUT,
        &format!("/CreditNotes/{id}/Allocations"),
        json!({"Allocations": [{"Invoice": {"InvoiceID": inv}, "Amount": 100,
                                 "Date": "2026-03-20"}]}),
    )
    .await;
    let pl = b.march_pl().await;
    assert_eq!(value(&pl, "Sales"), dec("111.11") - dec("125.00"));
    // The credit cost 125.00 of Sales but only cleared 111.11 due: the
    // 13.89 comes back as a gain (a negative expense), netting to nothing,
    // as AUD 100 went both ways.
    assert_eq!(
        value(&pl, "Foreign Currency Gains and Losses"),
        -(dec("125.00") - dec("111.11"))
    );
    assert_eq!(value(&pl, "Net Profit"), dec("0.00"));
    let bs = b.balance_sheet("2026-03-31").await;
    assert!(row(&bs, "Accounts Receivable").is_none(), "{bs}");
    assert_balanced(&bs);
}

/// Xero keys "Current Year Earnings" with an all-zero account id.
#[tokio::test]
async fn current_year_earnings_carries_xeros_zero_account_id() {
    let b = Books::new().await;
    b.invoice("ACCREC", "NZD", "1", "10.00").await;
    let bs = b.balance_sheet("2026-03-31").await;
    let (_, cells) = row(&bs, "Current Year Earnings").unwrap();
    for c in &cells {
        assert_eq!(
            c["Attributes"][0],
            json!({"Id": "account", "Value": "00000000-0000-0000-0000-000000000000"})
        );
    }
}

/// With revaluation on, an AUD 1,000.00 invoice at 0.90 (NZD 1,111.11)
/// still open on 31 March is valued at March's closing rate r: the
/// balance sheet shows 1,000 / r and the P&L the difference as "Unrealised
/// Currency Gains" (keyed FXGROUPID). Paid on 10 April at 0.80, April
/// reverses March's unrealised amount and shows the realised 138.89.
#[tokio::test]
async fn open_foreign_invoices_are_revalued_at_month_end() {
    let sim = Sim::empty().await;
    sim.add_app(None).await;
    let org = sim
        .post_json(
            "/_sim/organisations",
            json!({"name": "Reval Ltd", "base_currency": "NZD",
                   "financial_year_end_day": 31, "financial_year_end_month": 3,
                   "revalue_foreign_balances": true}),
        )
        .await;
    let t: Uuid = org["tenant_id"].as_str().unwrap().parse().unwrap();
    sim.add_user("user@example.com", &[t]).await;
    let tok = token_of(&sim.login_with(WRITE_SCOPES).await);
    let b = Books { sim, tok, t };
    b.ok(Method::PUT, "/Currencies", json!({"Code": "AUD"}))
        .await;
    let inv = b.invoice("ACCREC", "AUD", "0.90", "1000.00").await;

    // The simulator's published closing rate is the input; the arithmetic
    // is redone here.
    let nzd = consol::domain::CurrencyCode::parse("NZD").unwrap();
    let aud = consol::domain::CurrencyCode::parse("AUD").unwrap();
    let march_end = chrono::NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
    let r = consol::sim::fx::rate(nzd, aud, march_end);
    let revalued = (dec("1000") / r)
        .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    let gain = revalued - dec("1111.11");
    assert!(!gain.is_zero(), "the example needs a rate move");

    let pl = b.march_pl().await;
    let (section, cells) = row(&pl, "Unrealised Currency Gains").expect("unrealised row");
    assert_eq!(section, "Less Operating Expenses");
    assert_eq!(dec(cells[1]["Value"].as_str().unwrap()), -gain);
    assert_eq!(cells[0]["Attributes"][0]["Value"], "FXGROUPID");
    assert_eq!(value(&pl, "Net Profit"), dec("1111.11") + gain);
    let bs = b.balance_sheet("2026-03-31").await;
    assert_eq!(value(&bs, "Accounts Receivable"), revalued);
    assert_balanced(&bs);

    b.ok(
        Method::PUT,
        "/Payments",
        json!({"Payments": [{"Invoice": {"InvoiceID": inv}, "Account": {"Code": "090"},
                              "Date": "2026-04-10", "Amount": 1000, "CurrencyRate": 0.80}]}),
    )
    .await;
    let april = b
        .get("/Reports/ProfitAndLoss?fromDate=2026-04-01&toDate=2026-04-30")
        .await;
    assert_eq!(value(&april, "Unrealised Currency Gains"), gain);
    assert_eq!(
        value(&april, "Foreign Currency Gains and Losses"),
        dec("-138.89")
    );
    let bs = b.balance_sheet("2026-04-30").await;
    assert!(row(&bs, "Accounts Receivable").is_none(), "{bs}");
    assert_eq!(value(&bs, "Business Bank Account"), dec("1250.00"));
    assert_balanced(&bs);
    // March, seen again, is unchanged by April's payment.
    assert_eq!(
        value(&b.march_pl().await, "Net Profit"),
        dec("1111.11") + gain
    );
}

/// Without the setting (as for the demo group) nothing is revalued.
#[tokio::test]
async fn revaluation_is_off_unless_asked_for() {
    let b = Books::new().await;
    b.invoice("ACCREC", "AUD", "0.90", "1000.00").await;
    assert!(row(&b.march_pl().await, "Unrealised Currency Gains").is_none());
    let bs = b.balance_sheet("2026-03-31").await;
    assert_eq!(value(&bs, "Accounts Receivable"), dec("1111.11"));
}

//! Reads against the demo group and writes through Xero's own endpoints.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn paging_demo_invoices_until_an_empty_page() {
    let demo = shared_demo();
    let kea = demo.tenant("Kea Holdings");
    let orgs: Value = client()
        .get(format!("{}/_sim/organisations", demo.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let expected = orgs
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "Kea Holdings")
        .unwrap()["invoices"]
        .as_u64()
        .unwrap();
    assert!(expected > 1000, "{expected}");
    let mut seen = 0u64;
    let mut ids = std::collections::HashSet::new();
    for page in 1.. {
        let r = demo
            .get(kea, &format!("/Invoices?page={page}&pageSize=1000"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let v: Value = r.json().await.unwrap();
        let p = &v["pagination"];
        assert_eq!(p["page"].as_u64(), Some(page));
        assert_eq!(p["pageSize"].as_u64(), Some(1000));
        assert_eq!(p["itemCount"].as_u64(), Some(expected));
        assert_eq!(p["pageCount"].as_u64(), Some(expected.div_ceil(1000)));
        let items = v["Invoices"].as_array().unwrap();
        if items.is_empty() {
            assert!(page > p["pageCount"].as_u64().unwrap());
            break;
        }
        // Paged responses carry line items.
        assert!(items[0]["LineItems"].as_array().is_some());
        for i in items {
            assert!(ids.insert(i["InvoiceID"].as_str().unwrap().to_string()));
        }
        seen += items.len() as u64;
    }
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn demo_reports_and_single_invoice_by_number_and_id() {
    let demo = shared_demo();
    let kea = demo.tenant("Kea Holdings");
    for p in [
        "/Reports/ProfitAndLoss?fromDate=2026-03-01&toDate=2026-03-31&periods=2&timeframe=MONTH",
        "/Reports/BalanceSheet?date=2026-03-31",
        "/Reports/TrialBalance?date=2026-03-31",
        "/TrackingCategories",
        "/Currencies",
        "/Accounts",
        "/ManualJournals?page=1",
        "/Contacts?page=1",
    ] {
        let r = demo.get(kea, p).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{p}");
    }
    let v: Value = demo
        .get(kea, "/Invoices?page=1&pageSize=1")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let inv = &v["Invoices"][0];
    let id = inv["InvoiceID"].as_str().unwrap();
    let r = demo
        .get(kea, &format!("/Invoices/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let one: Value = r.json().await.unwrap();
    assert_eq!(one["Invoices"][0]["InvoiceID"], id);
    let r = demo
        .get(kea, &format!("/Invoices/{}", uuid::Uuid::new_v4()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // A bad where clause is a 400 with Xero's body.
    let r = demo
        .get(kea, "/Invoices?where=Status%3D%3D")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let v: Value = r.json().await.unwrap();
    assert!(v["ErrorNumber"].as_u64().is_some() && v["Type"].as_str().is_some());
}

fn invoice(contact: &str, amount: &str) -> Value {
    json!({
        "Type": "ACCREC",
        "Contact": {"Name": contact},
        "Date": "2026-04-01",
        "DueDate": "2026-04-30",
        "Status": "AUTHORISED",
        "LineItems": [{"Description": "Work", "Quantity": 1,
                        "UnitAmount": serde_json::from_str::<Value>(amount).unwrap(),
                        "AccountCode": "200"}]
    })
}

#[tokio::test]
async fn writes_if_modified_since_idempotency_and_summarize_errors() {
    let sim = Sim::empty().await;
    let tenants = sim.setup().await;
    let t = tenants[0];
    let tok = token_of(&sim.login_with(WRITE_SCOPES).await);
    let put = |path: &'static str, body: Value| {
        sim.api(Method::PUT, &tok, Some(t), path).json(&body).send()
    };
    let r = put("/Contacts", json!({"Contacts": [{"Name": "Early Ltd"}]}))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    sim.advance(600).await;
    let since = sim.handle.clock().now();
    let r = put(
        "/Invoices",
        json!({"Invoices": [invoice("Late Ltd", "123.45")]}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["Invoices"][0]["Total"].to_string(), "141.97"); // 15% GST
    let ims = since.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    let r = sim
        .api(Method::GET, &tok, Some(t), "/Contacts")
        .header("if-modified-since", &ims)
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    let names: Vec<&str> = v["Contacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["Name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Late Ltd"]);

    // Idempotency-Key replays the first answer.
    let send = || {
        sim.api(Method::PUT, &tok, Some(t), "/Invoices")
            .header("idempotency-key", "k-1")
            .json(&json!({"Invoices": [invoice("Once Ltd", "10")]}))
            .send()
    };
    let a: Value = send().await.unwrap().json().await.unwrap();
    let b: Value = send().await.unwrap().json().await.unwrap();
    assert_eq!(a["Invoices"][0]["InvoiceID"], b["Invoices"][0]["InvoiceID"]);

    // One invalid invoice: 400 by default, 200 with summarizeErrors=false.
    let bad = json!({"Invoices": [invoice("Ok Ltd", "1"), {"Type": "ACCREC"}]});
    let r = sim
        .api(Method::PUT, &tok, Some(t), "/Invoices")
        .json(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["Type"], "ValidationException");
    let r = sim
        .api(
            Method::PUT,
            &tok,
            Some(t),
            "/Invoices?summarizeErrors=false",
        )
        .json(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["Invoices"][1]["StatusAttributeString"], "ERROR");

    // Bodies over 3.5 MB are refused.
    let big = "x".repeat(3_600_000);
    let r = sim
        .api(Method::PUT, &tok, Some(t), "/Invoices")
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn demo_user_is_connected_to_all_five_demo_orgs() {
    let demo = shared_demo();
    // The group of four and the part-way entity (Tui Ventures).
    assert_eq!(demo.tenants.len(), 5);
    let conns: Vec<Value> = client()
        .get(format!("{}/connections", demo.base))
        .bearer_auth(&demo.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut names: Vec<&str> = conns
        .iter()
        .map(|c| c["tenantName"].as_str().unwrap())
        .collect();
    names.sort();
    let mut expected: Vec<&str> = demo.tenants.iter().map(|(_, n)| n.as_str()).collect();
    expected.sort();
    assert_eq!(names, expected);
    // One consent: one authEventId.
    assert!(
        conns
            .iter()
            .all(|c| c["authEventId"] == conns[0]["authEventId"])
    );
}

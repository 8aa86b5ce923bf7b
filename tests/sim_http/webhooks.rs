//! Webhook delivery, checked by an independent HMAC in a tiny receiver.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use crate::helpers::*;

const KEY: &str = "webhook-key-for-tests";

fn signature_ok(key: &str, body: &[u8], sig: &str) -> bool {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(body);
    let Ok(raw) = STANDARD.decode(sig) else {
        return false;
    };
    mac.verify_slice(&raw).is_ok()
}

/// A raw HTTP receiver: answers 200 (empty) to good signatures and 401 to
/// bad ones, and reports `(signature_ok, body)` of each request.
async fn receiver() -> (String, mpsc::UnboundedReceiver<(bool, Vec<u8>)>) {
    receiver_failing(0).await
}

/// Like [`receiver`], but answers 500 to the first `fail_first` requests.
async fn receiver_failing(fail_first: usize) -> (String, mpsc::UnboundedReceiver<(bool, Vec<u8>)>) {
    let failures = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(fail_first));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/webhooks/xero", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let tx = tx.clone();
            let failures = failures.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let (head_end, len, sig) = loop {
                    let n = sock.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&buf[..p]).to_ascii_lowercase();
                        let header = |name: &str| {
                            head.lines().find_map(|l| {
                                l.strip_prefix(&format!("{name}:"))
                                    .map(|v| v.trim().to_string())
                            })
                        };
                        let len: usize = header("content-length")
                            .and_then(|v| v.parse().ok())
                            .unwrap_or(0);
                        // The signature is base64: case matters, read it from the raw head.
                        let raw_head = String::from_utf8_lossy(&buf[..p]).to_string();
                        let sig = raw_head
                            .lines()
                            .find_map(|l| {
                                let (k, v) = l.split_once(':')?;
                                k.eq_ignore_ascii_case("x-xero-signature")
                                    .then(|| v.trim().to_string())
                            })
                            .unwrap_or_default();
                        break (p + 4, len, sig);
                    }
                };
                while buf.len() < head_end + len {
                    let n = sock.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        break;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                }
                let body = buf[head_end..].to_vec();
                let ok = signature_ok(KEY, &body, &sig);
                let fail = failures
                    .fetch_update(
                        std::sync::atomic::Ordering::SeqCst,
                        std::sync::atomic::Ordering::SeqCst,
                        |n| n.checked_sub(1),
                    )
                    .is_ok();
                let status = match (fail, ok) {
                    (true, _) => "500 Internal Server Error",
                    (false, true) => "200 OK",
                    (false, false) => "401 Unauthorized",
                };
                let _ = sock
                    .write_all(
                        format!(
                            "HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                        )
                        .as_bytes(),
                    )
                    .await;
                let _ = tx.send((ok, body));
            });
        }
    });
    (url, rx)
}

#[tokio::test]
async fn created_invoice_is_delivered_signed() {
    let (url, mut rx) = receiver().await;
    let sim = Sim::empty().await;
    sim.add_app(Some((&url, KEY))).await;
    let (t, _, _) = sim.add_org("Hooked Ltd", "NZD").await;
    sim.add_user("user@example.com", &[t]).await;
    let tok = token_of(&sim.login_with(WRITE_SCOPES).await);
    let r = sim
        .api(Method::PUT, &tok, Some(t), "/Invoices")
        .json(&json!({"Invoices": [{
            "Type": "ACCREC", "Contact": {"Name": "Buyer Ltd"}, "Date": "2026-04-01",
            "Status": "AUTHORISED",
            "LineItems": [{"Description": "x", "Quantity": 1, "UnitAmount": 50, "AccountCode": "200"}]
        }]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    let id = v["Invoices"][0]["InvoiceID"].as_str().unwrap().to_string();
    let (ok, body) = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("a webhook arrives")
        .unwrap();
    assert!(ok, "signature must verify");
    let p: Value = serde_json::from_slice(&body).unwrap();
    let e = p["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["resourceId"] == id.as_str())
        .expect("an event for the invoice");
    assert_eq!(e["eventType"], "CREATE");
    assert_eq!(e["eventCategory"], "INVOICE");
    assert_eq!(e["tenantId"], t.to_string());
    assert_eq!(e["tenantType"], "ORGANISATION");
    assert!(
        e["resourceUrl"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/api.xro/2.0/Invoices/{id}"))
    );
    assert!(p["firstEventSequence"].as_u64().unwrap() >= 1);
    assert!(p["lastEventSequence"].as_u64() >= p["firstEventSequence"].as_u64());
    assert!(p["entropy"].as_str().is_some());

    // The intent-to-receive check passes against this receiver.
    let r = sim
        .post_json("/_sim/webhooks/intent", json!({"client_id": CLIENT_ID}))
        .await;
    assert_eq!(r["ok"], true, "{r}");

    // Delivery is counted.
    let mut delivered = 0;
    for _ in 0..50 {
        delivered = sim.get_json("/_sim/stats").await["webhooks"]["delivered"]
            .as_u64()
            .unwrap();
        if delivered >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(delivered >= 1);
}

async fn next(rx: &mut mpsc::UnboundedReceiver<(bool, Vec<u8>)>) -> Value {
    let (ok, body) = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("a webhook arrives")
        .unwrap();
    assert!(ok, "signature must verify");
    serde_json::from_slice(&body).unwrap()
}

#[tokio::test]
async fn contact_create_and_update_events() {
    let (url, mut rx) = receiver().await;
    let sim = Sim::empty().await;
    sim.add_app(Some((&url, KEY))).await;
    let (t, _, _) = sim.add_org("Hooked Ltd", "NZD").await;
    sim.add_user("user@example.com", &[t]).await;
    let tok = token_of(&sim.login_with(WRITE_SCOPES).await);
    let r = sim
        .api(Method::PUT, &tok, Some(t), "/Contacts")
        .json(&json!({"Contacts": [{"Name": "Fresh Ltd"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    let id = v["Contacts"][0]["ContactID"].as_str().unwrap().to_string();
    let p = next(&mut rx).await;
    assert_eq!(p["events"][0]["eventCategory"], "CONTACT");
    assert_eq!(p["events"][0]["eventType"], "CREATE");
    assert_eq!(p["events"][0]["resourceId"], id.as_str());
    let r = sim
        .api(Method::POST, &tok, Some(t), "/Contacts")
        .json(&json!({"Contacts": [{"ContactID": id, "Name": "Fresh Ltd (renamed)"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let p2 = next(&mut rx).await;
    assert_eq!(p2["events"][0]["eventType"], "UPDATE");
    assert!(p2["firstEventSequence"].as_u64() > p["lastEventSequence"].as_u64());
}

#[tokio::test]
async fn failed_deliveries_are_retried() {
    let (url, mut rx) = receiver_failing(1).await;
    let sim = Sim::empty().await;
    sim.add_app(Some((&url, KEY))).await;
    let (t, _, _) = sim.add_org("Flaky Receiver Ltd", "NZD").await;
    sim.add_user("user@example.com", &[t]).await;
    let tok = token_of(&sim.login_with(WRITE_SCOPES).await);
    let r = sim
        .api(Method::PUT, &tok, Some(t), "/Contacts")
        .json(&json!({"Contacts": [{"Name": "Retry Ltd"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let first = next(&mut rx).await;
    let second = next(&mut rx).await;
    assert_eq!(first, second, "the same payload is sent again");
    let mut stats = Value::Null;
    for _ in 0..50 {
        stats = sim.get_json("/_sim/stats").await["webhooks"].clone();
        if stats["delivered"].as_u64() == Some(1) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(stats["delivered"].as_u64(), Some(1), "{stats}");
    assert_eq!(stats["attempts"].as_u64(), Some(2), "{stats}");
    assert_eq!(stats["failed"].as_u64(), Some(0), "{stats}");
}

#[tokio::test]
async fn partial_failures_notify_the_stored_invoice_and_replays_notify_nothing() {
    let (url, mut rx) = receiver().await;
    let sim = Sim::empty().await;
    sim.add_app(Some((&url, KEY))).await;
    let (t, _, _) = sim.add_org("Partial Ltd", "NZD").await;
    sim.add_user("user@example.com", &[t]).await;
    let tok = token_of(&sim.login_with(WRITE_SCOPES).await);
    let good = json!({
        "Type": "ACCREC", "Contact": {"Name": "Buyer Ltd"}, "Date": "2026-04-01",
        "Status": "AUTHORISED",
        "LineItems": [{"Description": "x", "Quantity": 1, "UnitAmount": 50, "AccountCode": "200"}]
    });
    let send = || {
        sim.api(Method::PUT, &tok, Some(t), "/Invoices")
            .header("idempotency-key", "partial-1")
            .json(&json!({"Invoices": [good.clone(), {"Type": "ACCREC"}]}))
            .send()
    };
    let r = send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let v: Value = r.json().await.unwrap();
    let stored = v["Elements"][0]["InvoiceID"].as_str().unwrap().to_string();
    let p = next(&mut rx).await;
    let invoices: Vec<&Value> = p["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["eventCategory"] == "INVOICE")
        .collect();
    assert_eq!(invoices.len(), 1, "{p}");
    assert_eq!(invoices[0]["resourceId"], stored.as_str());
    assert_eq!(invoices[0]["eventType"], "CREATE");
    // The same key again: the stored answer, and no new webhook.
    let r = send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let quiet = tokio::time::timeout(Duration::from_millis(500), rx.recv()).await;
    assert!(quiet.is_err(), "a replay must not send a webhook");
}

#[tokio::test]
async fn credit_note_events_name_the_credit_note() {
    let (url, mut rx) = receiver().await;
    let sim = Sim::empty().await;
    sim.add_app(Some((&url, KEY))).await;
    let (t, _, _) = sim.add_org("Hooked Ltd", "NZD").await;
    sim.add_user("user@example.com", &[t]).await;
    let tok = token_of(&sim.login_with(WRITE_SCOPES).await);
    let r = sim
        .api(Method::PUT, &tok, Some(t), "/CreditNotes")
        .json(&json!({"CreditNotes": [{
            "Type": "ACCRECCREDIT", "Contact": {"Name": "Buyer Ltd"}, "Date": "2026-04-01",
            "Status": "AUTHORISED",
            "LineItems": [{"Description": "x", "Quantity": 1, "UnitAmount": 50, "AccountCode": "200"}]
        }]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    let id = v["CreditNotes"][0]["CreditNoteID"]
        .as_str()
        .unwrap()
        .to_string();
    let p = next(&mut rx).await;
    let e = p["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["resourceId"] == id.as_str())
        .expect("an event for the credit note");
    assert_eq!(e["eventType"], "CREATE");
    assert_eq!(e["eventCategory"], "CREDITNOTE");
    assert!(
        e["resourceUrl"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/api.xro/2.0/CreditNotes/{id}")),
        "{e}"
    );
    // Spend money has no webhook category at Xero: nothing is sent.
    let r = sim
        .api(Method::PUT, &tok, Some(t), "/BankTransactions")
        .json(&json!({"BankTransactions": [{
            "Type": "SPEND", "Contact": {"Name": "Buyer Ltd"}, "BankAccount": {"Code": "090"},
            "LineItems": [{"Description": "x", "Quantity": 1, "UnitAmount": 5, "AccountCode": "429"}]
        }]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        tokio::time::timeout(Duration::from_millis(500), rx.recv())
            .await
            .is_err(),
        "no event for a bank transaction"
    );
}

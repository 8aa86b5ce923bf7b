//! Webhooks: thin events for created and updated invoices, credit notes and
//! contacts (Xero has no events for bank transactions or payments),
//! signed with the app's webhook key (`x-xero-signature` =
//! base64(HMAC-SHA256(key, raw body))) and delivered in the background with
//! retries; and Xero's "intent to receive" check.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use serde::Serialize;
use sha2::Sha256;
use uuid::Uuid;

use super::state::{Shared, random_token};

/// Delivery attempts per payload (the first try included).
pub const ATTEMPTS: u32 = 4;

/// One webhook event (camelCase on the wire).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub resource_url: String,
    pub resource_id: Uuid,
    pub event_date_utc: String,
    pub event_type: &'static str,
    pub event_category: &'static str,
    pub tenant_id: Uuid,
    pub tenant_type: &'static str,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Payload {
    pub events: Vec<Event>,
    pub first_event_sequence: u64,
    pub last_event_sequence: u64,
    pub entropy: String,
}

pub fn event(
    base_url: &str,
    tenant: Uuid,
    category: &'static str,
    id: Uuid,
    created: bool,
    at: DateTime<Utc>,
) -> Event {
    let collection = match category {
        "INVOICE" => "Invoices",
        "CREDITNOTE" => "CreditNotes",
        _ => "Contacts",
    };
    Event {
        resource_url: format!("{base_url}/api.xro/2.0/{collection}/{id}"),
        resource_id: id,
        event_date_utc: at.format("%Y-%m-%dT%H:%M:%S%.3f").to_string(),
        event_type: if created { "CREATE" } else { "UPDATE" },
        event_category: category,
        tenant_id: tenant,
        tenant_type: "ORGANISATION",
    }
}

/// base64(HMAC-SHA256(key, body)).
pub fn sign(key: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(body);
    STANDARD.encode(mac.finalize().into_bytes())
}

fn entropy() -> String {
    random_token(15).to_ascii_uppercase()
}

async fn post(url: &str, sig: &str, body: Vec<u8>) -> Result<(u16, Vec<u8>), reqwest::Error> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()?;
    let r = client
        .post(url)
        .header("content-type", "application/json")
        .header("x-xero-signature", sig)
        .body(body)
        .send()
        .await?;
    let status = r.status().as_u16();
    let bytes = r.bytes().await?.to_vec();
    Ok((status, bytes))
}

/// Sends `events` of `tenant` to every app with a webhook that is connected
/// to that tenant, in a background task.
pub fn dispatch(st: &Shared, tenant: Uuid, events: Vec<Event>) {
    let mut targets = Vec::new();
    {
        let mut g = st.lock();
        let apps: Vec<_> = g
            .apps
            .values()
            .filter(|a| a.webhook_url.is_some() && a.webhook_key.is_some())
            .filter(|a| {
                g.connections
                    .iter()
                    .any(|c| c.tenant_id == tenant && c.client_id == a.client_id)
            })
            .cloned()
            .collect();
        for app in apps {
            let first = g.webhook_seq + 1;
            g.webhook_seq += events.len() as u64;
            let payload = Payload {
                events: events.clone(),
                first_event_sequence: first,
                last_event_sequence: g.webhook_seq,
                entropy: entropy(),
            };
            let body = serde_json::to_vec(&payload).unwrap_or_default();
            let key = app.webhook_key.unwrap_or_default();
            let sig = sign(&key, &body);
            targets.push((app.webhook_url.unwrap_or_default(), sig, body));
        }
    }
    for (url, sig, body) in targets {
        let st = st.clone();
        actix_web::rt::spawn(async move {
            let mut ok = false;
            for attempt in 0..ATTEMPTS {
                if attempt > 0 {
                    tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
                }
                st.lock().stats.webhooks.attempts += 1;
                if let Ok((s, _)) = post(&url, &sig, body.clone()).await
                    && (200..300).contains(&s)
                {
                    ok = true;
                    break;
                }
            }
            let mut g = st.lock();
            if ok {
                g.stats.webhooks.delivered += 1;
            } else {
                g.stats.webhooks.failed += 1;
                tracing::warn!(url, "webhook delivery failed after {ATTEMPTS} attempts");
            }
        });
    }
}

/// The outcome of an intent-to-receive check.
#[derive(Debug, Clone, Serialize)]
pub struct IntentResult {
    pub ok: bool,
    pub good_status: Option<u16>,
    pub good_body_empty: bool,
    pub bad_status: Option<u16>,
    pub bad_body_empty: bool,
}

/// Xero's intent-to-receive check: one correctly and one incorrectly signed
/// empty payload; the receiver must answer 200 with an empty body to the
/// first and 401 to the second.
pub async fn intent(url: &str, key: &str) -> IntentResult {
    let body = |e: String| {
        format!(r#"{{"events":[],"firstEventSequence":0,"lastEventSequence":0,"entropy":"{e}"}}"#)
            .into_bytes()
    };
    let good = body(entropy());
    let good_sig = sign(key, &good);
    let bad = body(entropy());
    let bad_sig = sign(&format!("{key}-wrong"), &bad);
    let g = post(url, &good_sig, good).await.ok();
    let b = post(url, &bad_sig, bad).await.ok();
    let good_status = g.as_ref().map(|x| x.0);
    let good_body_empty = g.as_ref().is_some_and(|x| x.1.is_empty());
    let bad_status = b.as_ref().map(|x| x.0);
    let bad_body_empty = b.as_ref().is_some_and(|x| x.1.is_empty());
    IntentResult {
        ok: good_status == Some(200) && good_body_empty && bad_status == Some(401),
        good_status,
        good_body_empty,
        bad_status,
        bad_body_empty,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4231_case_2() {
        // RFC 4231 test case 2, base64 of the hex digest.
        let sig = sign("Jefe", b"what do ya want for nothing?");
        assert_eq!(sig, "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=");
    }
}

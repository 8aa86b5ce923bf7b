//! `POST /webhooks/xero`: Xero's signed change notifications. The signature
//! is checked over the raw bytes in constant time; a good one is answered at
//! once (Xero allows 5 seconds) after recording the events and queueing a
//! de-duplicated incremental sync per known organisation. Every category
//! queues the same sync: INVOICE and CREDITNOTE events (the sync reads
//! both), CONTACT events. Xero sends no events for bank transactions,
//! payments, overpayments or prepayments; those arrive with the next sync,
//! whatever queued it. A delivery seen
//! before (the same signature within 24 hours: a replay) is answered and
//! does nothing.

use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::Utc;
use hmac::{KeyInit, Mac};
use serde::Deserialize;

use crate::auth::token::{constant_time_eq, hash_token};
use crate::sync::{self, SyncKind};
use crate::web::AppState;

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

#[derive(Deserialize)]
struct Payload {
    #[serde(default)]
    events: Vec<Event>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Event {
    #[serde(default)]
    resource_id: String,
    #[serde(default)]
    event_date_utc: Option<String>,
    #[serde(default)]
    event_type: String,
    #[serde(default)]
    event_category: String,
    #[serde(default)]
    tenant_id: String,
}

/// base64(HMAC-SHA256(key, body)) as Xero computes it.
pub fn signature(key: &str, body: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(key.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    STANDARD.encode(mac.finalize().into_bytes())
}

pub async fn receive(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> HttpResponse {
    // An empty key would let anyone sign: it counts as no key (and the
    // settings refuse one at start-up).
    let Some(key) = state
        .settings
        .xero_webhook_key
        .as_ref()
        .filter(|k| !k.expose().is_empty())
    else {
        tracing::warn!("webhook received but CONSOL_XERO_WEBHOOK_KEY is not set");
        return HttpResponse::Unauthorized().finish();
    };
    let sent = req
        .headers()
        .get("x-xero-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let expected = signature(key.expose(), &body);
    if !constant_time_eq(sent.as_bytes(), expected.as_bytes()) {
        return HttpResponse::Unauthorized().finish();
    }
    // Signed but unreadable: nothing to do, and Xero must not retry forever.
    let Ok(payload) = serde_json::from_slice::<Payload>(&body) else {
        tracing::warn!("signed webhook with an unreadable body");
        return HttpResponse::Ok().finish();
    };
    let delivery = hash_token(&expected);
    match state
        .store
        .first_webhook_delivery(&delivery, Utc::now())
        .await
    {
        Ok(true) => {}
        Ok(false) => {
            tracing::info!("replayed webhook delivery ignored");
            return HttpResponse::Ok().finish();
        }
        Err(e) => {
            tracing::error!(error = %e, "could not record a webhook delivery");
            return HttpResponse::InternalServerError().finish();
        }
    }
    let answer = act_on(&state, &payload).await;
    if !answer.status().is_success()
        && let Err(e) = state.store.forget_webhook_delivery(&delivery).await
    {
        tracing::error!(error = %e, "could not forget a failed webhook delivery");
    }
    answer
}

/// Records the events and queues a sync per known organisation.
async fn act_on(state: &AppState, payload: &Payload) -> HttpResponse {
    let now = Utc::now();
    let mut tenants = std::collections::BTreeSet::new();
    for e in &payload.events {
        if let Err(err) = state
            .store
            .record_webhook_event(
                &e.tenant_id,
                &e.event_category,
                &e.event_type,
                &e.resource_id,
                e.event_date_utc.as_deref(),
                now,
            )
            .await
        {
            tracing::error!(error = %err, "could not record a webhook event");
            return HttpResponse::InternalServerError().finish();
        }
        tenants.insert(e.tenant_id.clone());
    }
    for tenant in tenants {
        match state.store.connected_organisation_by_tenant(&tenant).await {
            Ok(Some(org)) => {
                if let Err(e) = sync::enqueue(&state.store, org, SyncKind::Incremental).await {
                    tracing::error!(error = %e, "could not queue a sync for a webhook");
                    return HttpResponse::InternalServerError().finish();
                }
            }
            Ok(None) => tracing::info!(%tenant, "webhook for an organisation Consol does not sync"),
            Err(e) => {
                tracing::error!(error = %e, "webhook lookup failed");
                return HttpResponse::InternalServerError().finish();
            }
        }
    }
    HttpResponse::Ok().finish()
}

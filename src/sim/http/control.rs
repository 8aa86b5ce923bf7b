//! The simulator's own control paths under `/_sim/` (loopback only).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{Value, json as j};
use uuid::Uuid;

use super::oauth::pairs;
use super::respond::{NOT_FOUND, json, text};
use super::state::{App, Faults, Shared, Stats};
use super::webhooks;
use crate::domain::CurrencyCode;
use crate::sim::{Ledger, OrgSettings};

fn bad(msg: impl std::fmt::Display) -> HttpResponse {
    json(StatusCode::BAD_REQUEST, &j!({"error": msg.to_string()}))
}

fn parse<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, HttpResponse> {
    serde_json::from_slice(body).map_err(bad)
}

#[derive(Deserialize)]
struct NewOrg {
    name: String,
    #[serde(default)]
    legal_name: Option<String>,
    base_currency: String,
    #[serde(default)]
    country_code: Option<String>,
    #[serde(default)]
    financial_year_end_day: Option<u32>,
    #[serde(default)]
    financial_year_end_month: Option<u32>,
    /// Month-end revaluation of open foreign-currency invoices.
    #[serde(default)]
    revalue_foreign_balances: bool,
}

#[derive(Deserialize)]
struct NewUser {
    email: String,
    #[serde(default)]
    organisations: Vec<Uuid>,
}

#[derive(Deserialize)]
struct ClockMove {
    advance_seconds: i64,
}

#[derive(Deserialize)]
struct LimitsPatch {
    concurrent: Option<u32>,
    per_minute: Option<u32>,
    per_day: Option<u32>,
    app_per_minute: Option<u32>,
    minute_seconds: Option<u32>,
}

#[derive(Deserialize)]
struct IntentReq {
    client_id: String,
}

/// Creates an organisation from `POST /_sim/organisations`' body.
pub fn create_org(st: &Shared, o: NewOrgInput) -> Result<(Uuid, String, String), String> {
    let base = CurrencyCode::parse(&o.base_currency).map_err(|e| e.0)?;
    let day = o.financial_year_end_day.unwrap_or(31);
    let month = o.financial_year_end_month.unwrap_or(12);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return Err("financial year end is not a valid day and month".into());
    }
    let settings = OrgSettings {
        name: o.name,
        legal_name: o.legal_name,
        base_currency: base,
        country_code: o
            .country_code
            .unwrap_or_else(|| OrgSettings::country_for_currency(base).to_string()),
        financial_year_end_day: day,
        financial_year_end_month: month,
        short_code: None,
        is_demo_company: false,
    };
    let seed = st.lock().rng.next_u64();
    let mut ledger = Ledger::new(settings, st.clock.clone(), seed);
    ledger.set_foreign_revaluation(o.revalue_foreign_balances);
    Ok(st.add_organisation(ledger))
}

/// The fields of a new organisation.
pub struct NewOrgInput {
    pub name: String,
    pub legal_name: Option<String>,
    pub base_currency: String,
    pub country_code: Option<String>,
    pub financial_year_end_day: Option<u32>,
    pub financial_year_end_month: Option<u32>,
    /// Revalue open foreign-currency invoices at each month end.
    pub revalue_foreign_balances: bool,
}

fn stats_json(s: &Stats, st: &Shared) -> Value {
    let mut v = serde_json::to_value(s).unwrap_or(Value::Null);
    v["now"] = Value::String(st.now().to_rfc3339());
    v
}

fn tenant_param(req: &HttpRequest, body: &Value) -> Result<Option<Uuid>, HttpResponse> {
    let from_body = body
        .get("tenant_id")
        .and_then(Value::as_str)
        .map(str::to_string);
    let from_query = pairs(req.query_string())
        .into_iter()
        .find(|(k, _)| k == "tenant_id")
        .map(|(_, v)| v);
    match from_body.or(from_query) {
        None => Ok(None),
        Some(s) => Uuid::parse_str(&s).map(Some).map_err(bad),
    }
}

pub async fn handle(st: Shared, req: HttpRequest, segs: Vec<String>, body: &[u8]) -> HttpResponse {
    use actix_web::http::Method as M;
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let m = req.method().clone();
    match (m, segs.as_slice()) {
        (M::POST, ["apps"]) => {
            let app: App = match parse(body) {
                Ok(a) => a,
                Err(r) => return r,
            };
            if app.client_id.is_empty() || app.redirect_uris.is_empty() {
                return bad("client_id and redirect_uris are required");
            }
            let id = app.client_id.clone();
            st.register_app(app);
            json(StatusCode::CREATED, &j!({"client_id": id}))
        }
        (M::GET, ["apps"]) => {
            let apps: Vec<App> = st.lock().apps.values().cloned().collect();
            json(StatusCode::OK, &apps)
        }
        (M::POST, ["organisations"]) => {
            let o: NewOrg = match parse(body) {
                Ok(a) => a,
                Err(r) => return r,
            };
            let input = NewOrgInput {
                name: o.name,
                legal_name: o.legal_name,
                base_currency: o.base_currency,
                country_code: o.country_code,
                financial_year_end_day: o.financial_year_end_day,
                financial_year_end_month: o.financial_year_end_month,
                revalue_foreign_balances: o.revalue_foreign_balances,
            };
            match create_org(&st, input) {
                Ok((tenant, id, secret)) => json(
                    StatusCode::CREATED,
                    &j!({"tenant_id": tenant, "custom_connection": {"client_id": id, "client_secret": secret}}),
                ),
                Err(e) => bad(e),
            }
        }
        (M::GET, ["organisations"]) => {
            let g = st.lock();
            let list: Vec<Value> = g
                .orgs
                .iter()
                .map(|o| {
                    j!({
                        "tenant_id": o.tenant_id,
                        "name": o.ledger().name(),
                        "base_currency": o.ledger().base_currency().as_str(),
                        "invoices": o.ledger().invoice_count(),
                        "contacts": o.ledger().contact_count(),
                        "credit_notes": o.ledger().credit_note_count(),
                        "bank_transactions": o.ledger().bank_transaction_count(),
                        "custom_connection": {"client_id": o.custom_client_id, "client_secret": o.custom_client_secret},
                    })
                })
                .collect();
            json(StatusCode::OK, &list)
        }
        (M::POST, ["users"]) => {
            let u: NewUser = match parse(body) {
                Ok(a) => a,
                Err(r) => return r,
            };
            match st.add_user(&u.email, u.organisations) {
                Ok(id) => json(StatusCode::CREATED, &j!({"user_id": id, "email": u.email})),
                Err(e) => bad(e),
            }
        }
        (M::POST, ["faults"]) => {
            let v: Value = match parse(body) {
                Ok(v) => v,
                Err(r) => return r,
            };
            let tenant = match tenant_param(&req, &v) {
                Ok(t) => t,
                Err(r) => return r,
            };
            let f: Faults = match serde_json::from_value(v.clone()) {
                Ok(f) => f,
                Err(e) => return bad(e),
            };
            if f.error_status
                .is_some_and(|s| !matches!(s, 408 | 500 | 503))
            {
                return bad("error_status must be 408, 500 or 503");
            }
            if f.error_rate_percent > 100 {
                return bad("error_rate_percent must be 0 to 100");
            }
            if f.body_fault_percent > 100 {
                return bad("body_fault_percent must be 0 to 100");
            }
            if f.only_endpoint
                .as_deref()
                .is_some_and(|e| !e.contains(" /"))
            {
                return bad(
                    "only_endpoint names an endpoint as /_sim/stats does, such as \"GET /Invoices\"",
                );
            }
            let mut g = st.lock();
            if v.get("revoke_refresh_tokens").and_then(Value::as_bool) == Some(true) {
                g.revoke_refresh_tokens(tenant);
            }
            match tenant {
                Some(t) => {
                    g.faults.insert(t, f);
                }
                None => g.faults_all = Some(f),
            }
            json(StatusCode::OK, &j!({"ok": true}))
        }
        (M::DELETE, ["faults"]) => {
            let tenant = match tenant_param(&req, &Value::Null) {
                Ok(t) => t,
                Err(r) => return r,
            };
            let mut g = st.lock();
            match tenant {
                Some(t) => {
                    g.faults.remove(&t);
                }
                None => {
                    g.faults.clear();
                    g.faults_all = None;
                }
            }
            HttpResponse::NoContent().finish()
        }
        (M::POST, ["clock"]) => {
            let c: ClockMove = match parse(body) {
                Ok(a) => a,
                Err(r) => return r,
            };
            st.clock.advance_seconds(c.advance_seconds);
            json(StatusCode::OK, &j!({"now": st.now().to_rfc3339()}))
        }
        (M::GET, ["clock"]) => json(StatusCode::OK, &j!({"now": st.now().to_rfc3339()})),
        (M::GET, ["stats"]) => {
            let s = st.stats();
            json(StatusCode::OK, &stats_json(&s, &st))
        }
        (M::DELETE, ["stats"]) => {
            st.lock().stats = Stats::default();
            HttpResponse::NoContent().finish()
        }
        (M::GET, ["limits"]) => json(StatusCode::OK, &st.lock().limits),
        (M::POST, ["limits"]) => {
            let p: LimitsPatch = match parse(body) {
                Ok(a) => a,
                Err(r) => return r,
            };
            let mut g = st.lock();
            let l = &mut g.limits;
            if let Some(x) = p.concurrent {
                l.concurrent = x;
            }
            if let Some(x) = p.per_minute {
                l.per_minute = x;
            }
            if let Some(x) = p.per_day {
                l.per_day = x;
            }
            if let Some(x) = p.app_per_minute {
                l.app_per_minute = x;
            }
            if let Some(x) = p.minute_seconds {
                l.minute_seconds = x.max(1);
            }
            let l = *l;
            json(StatusCode::OK, &l)
        }
        (M::POST, ["webhooks", "intent"]) => {
            let r: IntentReq = match parse(body) {
                Ok(a) => a,
                Err(r) => return r,
            };
            let app = st.lock().apps.get(&r.client_id).cloned();
            let Some((url, key)) = app.and_then(|a| Some((a.webhook_url?, a.webhook_key?))) else {
                return bad("unknown app or app without webhook_url and webhook_key");
            };
            json(StatusCode::OK, &webhooks::intent(&url, &key).await)
        }
        _ => text(StatusCode::NOT_FOUND, NOT_FOUND),
    }
}

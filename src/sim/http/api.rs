//! The Accounting API (`/api.xro/2.0/...`): authentication, tenant check,
//! scopes, rate limits, faults, then the ledger call.

use std::time::Duration as StdDuration;

use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::oauth::{bearer, pairs};
use super::respond::{JSON, NOT_FOUND, json, problem, text};
use super::state::{Faults, Shared, has_scope};
use super::webhooks::{self, Event};
use crate::sim::reports::ReportParams;
use crate::sim::{ApiError, Credit, ErrorBody, Ledger, ListQuery, Method, WriteOptions, body};
use crate::xero::{
    Account, Allocation, BankTransaction, Contact, CreditNote, Currency, Invoice, ManualJournal,
    Payment,
};

/// Xero's write limit per request body.
pub const MAX_BODY_BYTES: usize = 3_500_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Res {
    Organisation,
    Accounts,
    Contacts,
    Invoices,
    ManualJournals,
    Currencies,
    TrackingCategories,
    Payments,
    CreditNotes,
    CreditNoteAllocations,
    BankTransactions,
    Overpayments,
    OverpaymentAllocations,
    Prepayments,
    PrepaymentAllocations,
    ProfitAndLoss,
    BalanceSheet,
    TrialBalance,
}

impl Res {
    fn parse(segs: &[&str]) -> Option<(Self, Option<String>)> {
        let first = segs.first()?.to_ascii_lowercase();
        let (r, rest) = match first.as_str() {
            "organisation" | "organisations" => (Self::Organisation, &segs[1..]),
            "accounts" => (Self::Accounts, &segs[1..]),
            "contacts" => (Self::Contacts, &segs[1..]),
            "invoices" => (Self::Invoices, &segs[1..]),
            "manualjournals" => (Self::ManualJournals, &segs[1..]),
            "currencies" => (Self::Currencies, &segs[1..]),
            "trackingcategories" => (Self::TrackingCategories, &segs[1..]),
            "payments" => (Self::Payments, &segs[1..]),
            "creditnotes" => (Self::CreditNotes, &segs[1..]),
            "banktransactions" => (Self::BankTransactions, &segs[1..]),
            "overpayments" => (Self::Overpayments, &segs[1..]),
            "prepayments" => (Self::Prepayments, &segs[1..]),
            "reports" => {
                let r = match segs.get(1)?.to_ascii_lowercase().as_str() {
                    "profitandloss" => Self::ProfitAndLoss,
                    "balancesheet" => Self::BalanceSheet,
                    "trialbalance" => Self::TrialBalance,
                    _ => return None,
                };
                (r, &segs[2..])
            }
            _ => return None,
        };
        match rest {
            [] => Some((r, None)),
            [id] if !id.is_empty() && r.has_ids() => Some((r, Some(id.to_string()))),
            [id, sub] if !id.is_empty() && sub.eq_ignore_ascii_case("allocations") => {
                let a = match r {
                    Self::CreditNotes => Self::CreditNoteAllocations,
                    Self::Overpayments => Self::OverpaymentAllocations,
                    Self::Prepayments => Self::PrepaymentAllocations,
                    _ => return None,
                };
                Some((a, Some(id.to_string())))
            }
            _ => None,
        }
    }

    fn has_ids(self) -> bool {
        matches!(
            self,
            Self::Accounts
                | Self::Contacts
                | Self::Invoices
                | Self::ManualJournals
                | Self::Payments
                | Self::CreditNotes
                | Self::BankTransactions
                | Self::Overpayments
                | Self::Prepayments
        )
    }

    fn is_allocations(self) -> bool {
        matches!(
            self,
            Self::CreditNoteAllocations
                | Self::OverpaymentAllocations
                | Self::PrepaymentAllocations
        )
    }

    fn name(self) -> &'static str {
        match self {
            Self::Organisation => "Organisation",
            Self::Accounts => "Accounts",
            Self::Contacts => "Contacts",
            Self::Invoices => "Invoices",
            Self::ManualJournals => "ManualJournals",
            Self::Currencies => "Currencies",
            Self::TrackingCategories => "TrackingCategories",
            Self::Payments => "Payments",
            Self::CreditNotes => "CreditNotes",
            Self::CreditNoteAllocations => "CreditNotes/{id}/Allocations",
            Self::BankTransactions => "BankTransactions",
            Self::Overpayments => "Overpayments",
            Self::OverpaymentAllocations => "Overpayments/{id}/Allocations",
            Self::Prepayments => "Prepayments",
            Self::PrepaymentAllocations => "Prepayments/{id}/Allocations",
            Self::ProfitAndLoss => "Reports/ProfitAndLoss",
            Self::BalanceSheet => "Reports/BalanceSheet",
            Self::TrialBalance => "Reports/TrialBalance",
        }
    }

    /// Scopes that allow the call (granular first, then the broad ones).
    fn scopes(self, write: bool) -> &'static [&'static str] {
        match (self, write) {
            (
                Self::Organisation | Self::Accounts | Self::Currencies | Self::TrackingCategories,
                false,
            ) => &["accounting.settings.read", "accounting.settings"],
            (
                Self::Organisation | Self::Accounts | Self::Currencies | Self::TrackingCategories,
                true,
            ) => &["accounting.settings"],
            (Self::Contacts, false) => &["accounting.contacts.read", "accounting.contacts"],
            (Self::Contacts, true) => &["accounting.contacts"],
            (Self::Invoices, false) => &[
                "accounting.invoices.read",
                "accounting.invoices",
                "accounting.transactions.read",
                "accounting.transactions",
            ],
            (Self::Invoices, true) => &["accounting.invoices", "accounting.transactions"],
            (Self::ManualJournals, false) => &[
                "accounting.manualjournals.read",
                "accounting.manualjournals",
                "accounting.transactions.read",
                "accounting.transactions",
            ],
            (Self::ManualJournals, true) => {
                &["accounting.manualjournals", "accounting.transactions"]
            }
            (Self::Payments, false) => &[
                "accounting.payments.read",
                "accounting.payments",
                "accounting.transactions.read",
                "accounting.transactions",
            ],
            (Self::Payments, true) => &["accounting.payments", "accounting.transactions"],
            // Xero's granular scopes: credit notes go with invoices,
            // overpayments and prepayments with payments.
            (Self::CreditNotes, false) => &[
                "accounting.invoices.read",
                "accounting.invoices",
                "accounting.transactions.read",
                "accounting.transactions",
            ],
            (Self::CreditNotes | Self::CreditNoteAllocations, _) => {
                &["accounting.invoices", "accounting.transactions"]
            }
            (Self::BankTransactions, false) => &[
                "accounting.banktransactions.read",
                "accounting.banktransactions",
                "accounting.transactions.read",
                "accounting.transactions",
            ],
            (Self::BankTransactions, true) => {
                &["accounting.banktransactions", "accounting.transactions"]
            }
            (Self::Overpayments | Self::Prepayments, false) => &[
                "accounting.payments.read",
                "accounting.payments",
                "accounting.transactions.read",
                "accounting.transactions",
            ],
            (
                Self::Overpayments
                | Self::Prepayments
                | Self::OverpaymentAllocations
                | Self::PrepaymentAllocations,
                _,
            ) => &["accounting.payments", "accounting.transactions"],
            (Self::ProfitAndLoss, _) => &[
                "accounting.reports.profitandloss.read",
                "accounting.reports.read",
            ],
            (Self::BalanceSheet, _) => &[
                "accounting.reports.balancesheet.read",
                "accounting.reports.read",
            ],
            (Self::TrialBalance, _) => &[
                "accounting.reports.trialbalance.read",
                "accounting.reports.read",
            ],
        }
    }

    fn allows(self, m: &actix_web::http::Method, id: bool) -> bool {
        use actix_web::http::Method as M;
        if self.is_allocations() {
            // Only `PUT /{credits}/{id}/Allocations`.
            return *m == M::PUT;
        }
        match *m {
            M::GET => true,
            M::PUT => {
                !id && !matches!(
                    self,
                    Self::Organisation
                        | Self::ProfitAndLoss
                        | Self::BalanceSheet
                        | Self::TrialBalance
                        | Self::Overpayments
                        | Self::Prepayments
                )
            }
            M::POST => {
                matches!(
                    self,
                    Self::Accounts
                        | Self::Contacts
                        | Self::Invoices
                        | Self::ManualJournals
                        | Self::Payments
                        | Self::CreditNotes
                        | Self::BankTransactions
                ) && (id || self != Self::Accounts)
                    && !(id && self == Self::Payments)
            }
            _ => false,
        }
    }
}

/// Remaining calls, for the `X-*-Remaining` headers.
#[derive(Debug, Clone, Copy)]
struct Remaining {
    day: u32,
    minute: u32,
    app_minute: u32,
}

/// One call in flight for a tenant; dropping it frees the slot.
struct InFlight {
    st: Shared,
    tenant: Uuid,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut g = self.st.lock();
        if let Some(r) = g.tenant_rate.get_mut(&self.tenant) {
            r.in_flight = r.in_flight.saturating_sub(1);
        }
    }
}

struct Limited {
    problem: &'static str,
    retry_after: Option<i64>,
    remaining: Remaining,
}

fn seconds_to_midnight(now: DateTime<Utc>) -> i64 {
    86_400 - now.timestamp().rem_euclid(86_400)
}

fn acquire(st: &Shared, tenant: Uuid, client: &str) -> Result<(InFlight, Remaining), Limited> {
    let now = st.now();
    let mut g = st.lock();
    let limits = g.limits;
    let window = i64::from(limits.minute_seconds.max(1));
    let minute = now.timestamp().div_euclid(window);
    let day = now.timestamp().div_euclid(86_400);
    let app_count = {
        let w = g.app_minute.entry(client.to_string()).or_default();
        w.roll(minute);
        w.count
    };
    let r = g.tenant_rate.entry(tenant).or_default();
    r.minute.roll(minute);
    r.day.roll(day);
    let rem = |r: &super::state::TenantRate, app: u32| Remaining {
        day: limits.per_day.saturating_sub(r.day.count),
        minute: limits.per_minute.saturating_sub(r.minute.count),
        app_minute: limits.app_per_minute.saturating_sub(app),
    };
    let fail = if r.day.count >= limits.per_day {
        Some(("day", Some(seconds_to_midnight(now))))
    } else if r.minute.count >= limits.per_minute {
        Some(("minute", Some(window - now.timestamp().rem_euclid(window))))
    } else if app_count >= limits.app_per_minute {
        Some((
            "appminute",
            Some(window - now.timestamp().rem_euclid(window)),
        ))
    } else if r.in_flight >= limits.concurrent {
        Some(("concurrent", None))
    } else {
        None
    };
    if let Some((problem, retry_after)) = fail {
        return Err(Limited {
            problem,
            retry_after,
            remaining: rem(r, app_count),
        });
    }
    r.in_flight += 1;
    r.minute.count += 1;
    r.day.count += 1;
    let remaining = rem(r, app_count + 1);
    if let Some(w) = g.app_minute.get_mut(client) {
        w.count += 1;
    }
    Ok((
        InFlight {
            st: st.clone(),
            tenant,
        },
        remaining,
    ))
}

fn set_header(r: &mut HttpResponse, name: &'static str, v: String) {
    if let Ok(v) = HeaderValue::from_str(&v) {
        r.headers_mut().insert(HeaderName::from_static(name), v);
    }
}

fn with_limits(mut r: HttpResponse, rem: Remaining) -> HttpResponse {
    set_header(&mut r, "x-daylimit-remaining", rem.day.to_string());
    set_header(&mut r, "x-minlimit-remaining", rem.minute.to_string());
    set_header(
        &mut r,
        "x-appminlimit-remaining",
        rem.app_minute.to_string(),
    );
    r
}

fn too_many(problem: &str, retry_after: Option<i64>, rem: Remaining) -> HttpResponse {
    let mut r = text(StatusCode::TOO_MANY_REQUESTS, "");
    set_header(&mut r, "x-rate-limit-problem", problem.to_string());
    if let Some(s) = retry_after {
        set_header(&mut r, "retry-after", s.max(1).to_string());
    }
    with_limits(r, rem)
}

fn api_error(e: &ApiError) -> HttpResponse {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
    match e.body() {
        ErrorBody::Json(v) => json(status, &v),
        ErrorBody::Text(t) => text(status, t),
    }
}

/// Runs `f` on the faults that apply to a tenant (its own, else the global
/// ones), if any.
fn with_faults<R>(st: &Shared, tenant: Uuid, f: impl FnOnce(&mut Faults) -> R) -> Option<R> {
    let mut g = st.lock();
    let g = &mut *g;
    let faults = match g.faults.get_mut(&tenant) {
        Some(x) => x,
        None => g.faults_all.as_mut()?,
    };
    Some(f(faults))
}

/// The faults that apply to a tenant, advancing the error counter.
fn faults_for(st: &Shared, tenant: Uuid) -> Option<(Faults, bool)> {
    with_faults(st, tenant, |f| {
        let fails = f.next_fails();
        (f.clone(), fails)
    })
}

/// The faults that spoil a successful answer's body, if they strike this
/// one (see [`Faults::spoils`]).
fn spoiler(st: &Shared, tenant: Uuid, endpoint: &str) -> Option<Faults> {
    with_faults(st, tenant, |f| f.spoils(endpoint).then(|| f.clone())).flatten()
}

/// A successful ledger call's JSON body.
type Done = Vec<u8>;

/// Whether a write repeats an `Idempotency-Key` (its stored answer is
/// replayed, and nothing changes, so no webhook is due).
fn is_replay(l: &Ledger, opts: &WriteOptions) -> bool {
    opts.idempotency_key
        .as_ref()
        .is_some_and(|k| l.idempotency.contains_key(k))
}

/// The records of a summarised 400 that were stored anyway (no
/// `ValidationErrors`).
fn valid_element_ids(e: &ApiError, id_field: &str) -> Vec<Uuid> {
    let ApiError::BadRequest(ex) = e else {
        return vec![];
    };
    ex.elements
        .iter()
        .flatten()
        .filter(|el| {
            el.get("ValidationErrors")
                .and_then(|v| v.as_array())
                .is_none_or(|a| a.is_empty())
        })
        .filter_map(|el| el.get(id_field)?.as_str()?.parse().ok())
        .collect()
}

fn ser<T: serde::Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec(v).unwrap_or_default()
}

fn write_options(req: &HttpRequest, q: &[(String, String)]) -> Result<WriteOptions, ApiError> {
    let summarize = q
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("summarizeErrors"))
        .is_none_or(|(_, v)| !v.eq_ignore_ascii_case("false"));
    let key = req
        .headers()
        .get("idempotency-key")
        .and_then(|h| h.to_str().ok())
        .map(str::to_string);
    if key.as_ref().is_some_and(|k| k.len() > 128) {
        return Err(ApiError::message(
            "The Idempotency-Key header must be at most 128 characters",
        ));
    }
    Ok(WriteOptions {
        summarize_errors: summarize,
        idempotency_key: key,
    })
}

fn parse_id(id: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(id).map_err(|_| ApiError::NotFound)
}

#[allow(clippy::too_many_arguments)]
fn execute(
    l: &mut Ledger,
    base_url: &str,
    method: &actix_web::http::Method,
    res: Res,
    id: Option<&str>,
    q: &[(String, String)],
    ims: Option<&str>,
    req: &HttpRequest,
    raw: &[u8],
    events: &mut Vec<Event>,
) -> Result<Done, ApiError> {
    use actix_web::http::Method as M;
    let list = || ListQuery::from_params(q, ims);
    let flag = |name: &str| {
        q.iter()
            .any(|(k, v)| k.eq_ignore_ascii_case(name) && v.eq_ignore_ascii_case("true"))
    };
    let tenant = l.tenant_id();
    let done = Ok;
    match (method.clone(), res) {
        (M::GET, Res::Organisation) => done(ser(&l.get_organisation())),
        (M::GET, Res::Currencies) => done(ser(&l.get_currencies())),
        (M::GET, Res::TrackingCategories) => {
            done(ser(&l.get_tracking_categories(flag("includeArchived"))))
        }
        (M::GET, Res::Accounts) => match id {
            Some(id) => done(ser(&l.get_account(parse_id(id)?)?)),
            None => done(ser(&l.get_accounts(&list()?))),
        },
        (M::GET, Res::Contacts) => match id {
            Some(id) => done(ser(&l.get_contact(parse_id(id)?)?)),
            None => done(ser(&l.get_contacts(&list()?)?)),
        },
        (M::GET, Res::Invoices) => match id {
            Some(id) => done(ser(&l.get_invoice(id)?)),
            None => done(ser(&l.get_invoices(&list()?)?)),
        },
        (M::GET, Res::ManualJournals) => match id {
            Some(id) => done(ser(&l.get_manual_journal(parse_id(id)?)?)),
            None => done(ser(&l.get_manual_journals(&list()?)?)),
        },
        (M::GET, Res::Payments) => match id {
            Some(id) => done(ser(&l.get_payment(parse_id(id)?)?)),
            None => done(ser(&l.get_payments(&list()?)?)),
        },
        (M::GET, Res::CreditNotes) => match id {
            Some(id) => done(ser(&l.get_credit_note(id)?)),
            None => done(ser(&l.get_credit_notes(&list()?)?)),
        },
        (M::GET, Res::BankTransactions) => match id {
            Some(id) => done(ser(&l.get_bank_transaction(parse_id(id)?)?)),
            None => done(ser(&l.get_bank_transactions(&list()?)?)),
        },
        (M::GET, Res::Overpayments) => match id {
            Some(id) => done(ser(&l.get_overpayment(parse_id(id)?)?)),
            None => done(ser(&l.get_overpayments(&list()?)?)),
        },
        (M::GET, Res::Prepayments) => match id {
            Some(id) => done(ser(&l.get_prepayment(parse_id(id)?)?)),
            None => done(ser(&l.get_prepayments(&list()?)?)),
        },
        (M::GET, Res::ProfitAndLoss) => {
            done(ser(&l.profit_and_loss(&ReportParams::from_params(q)?)?))
        }
        (M::GET, Res::BalanceSheet) => done(ser(&l.balance_sheet(&ReportParams::from_params(q)?)?)),
        (M::GET, Res::TrialBalance) => done(ser(&l.trial_balance(&ReportParams::from_params(q)?)?)),
        // Only PUT and POST write: a GET never does, whatever body it
        // carries (a resource without a read arm above answers 404).
        (m, res) if m == M::PUT || m == M::POST => {
            let opts = write_options(req, q)?;
            let how = if m == M::PUT {
                Method::Put
            } else {
                Method::Post
            };
            match res {
                Res::Accounts => {
                    let a = body::parse_collection::<Account>(raw, "Accounts")?
                        .into_iter()
                        .next()
                        .ok_or_else(|| ApiError::message("No account was given"))?;
                    match id {
                        Some(id) => done(ser(&l.post_account(parse_id(id)?, a, &opts)?)),
                        None => done(ser(&l.put_account(a, &opts)?)),
                    }
                }
                Res::Contacts => {
                    let mut items = body::parse_collection::<Contact>(raw, "Contacts")?;
                    if let (Some(id), [c]) = (id, items.as_mut_slice()) {
                        c.contact_id = Some(parse_id(id)?);
                    }
                    let replay = is_replay(l, &opts);
                    let before = l.contact_by_id.clone();
                    let res = l.write_contacts(how, items, &opts);
                    if !replay {
                        let ids = match &res {
                            Ok(out) => out
                                .contacts
                                .iter()
                                .filter(|c| c.status_attribute_string.as_deref() != Some("ERROR"))
                                .filter_map(|c| c.contact_id)
                                .collect(),
                            Err(e) => valid_element_ids(e, "ContactID"),
                        };
                        let now = l.clock().now();
                        events.extend(ids.into_iter().map(|cid| {
                            webhooks::event(
                                base_url,
                                tenant,
                                "CONTACT",
                                cid,
                                !before.contains_key(&cid),
                                now,
                            )
                        }));
                    }
                    Ok(ser(&res?))
                }
                Res::Invoices => {
                    let mut items = body::parse_collection::<Invoice>(raw, "Invoices")?;
                    if let (Some(id), [i]) = (id, items.as_mut_slice()) {
                        i.invoice_id = Some(parse_id(id)?);
                    }
                    let replay = is_replay(l, &opts);
                    let old_len = l.invoices.len();
                    let res = l.write_invoices(how, items, &opts);
                    if !replay {
                        let ids = match &res {
                            Ok(out) => out
                                .invoices
                                .iter()
                                .filter(|i| i.status_attribute_string.as_deref() != Some("ERROR"))
                                .filter_map(|i| i.invoice_id)
                                .collect(),
                            Err(e) => valid_element_ids(e, "InvoiceID"),
                        };
                        let now = l.clock().now();
                        events.extend(ids.into_iter().map(|iid| {
                            let created = l.invoice_by_id.get(&iid).is_some_and(|x| *x >= old_len);
                            webhooks::event(base_url, tenant, "INVOICE", iid, created, now)
                        }));
                    }
                    Ok(ser(&res?))
                }
                Res::ManualJournals => {
                    let mut items = body::parse_collection::<ManualJournal>(raw, "ManualJournals")?;
                    if let (Some(id), [j]) = (id, items.as_mut_slice()) {
                        j.manual_journal_id = Some(parse_id(id)?);
                    }
                    done(ser(&l.write_manual_journals(how, items, &opts)?))
                }
                Res::Payments => {
                    let items = body::parse_collection::<Payment>(raw, "Payments")?;
                    done(ser(&l.put_payments(items, &opts)?))
                }
                Res::CreditNotes => {
                    let mut items = body::parse_collection::<CreditNote>(raw, "CreditNotes")?;
                    if let (Some(id), [c]) = (id, items.as_mut_slice()) {
                        c.credit_note_id = Some(parse_id(id)?);
                    }
                    let replay = is_replay(l, &opts);
                    let old_len = l.credit_notes.len();
                    let res = l.write_credit_notes(how, items, &opts);
                    if !replay {
                        let ids = match &res {
                            Ok(out) => out
                                .credit_notes
                                .iter()
                                .filter(|c| c.status_attribute_string.as_deref() != Some("ERROR"))
                                .filter_map(|c| c.credit_note_id)
                                .collect(),
                            Err(e) => valid_element_ids(e, "CreditNoteID"),
                        };
                        let now = l.clock().now();
                        events.extend(ids.into_iter().map(|cid| {
                            let created =
                                l.credit_note_by_id.get(&cid).is_some_and(|x| *x >= old_len);
                            webhooks::event(base_url, tenant, "CREDITNOTE", cid, created, now)
                        }));
                    }
                    Ok(ser(&res?))
                }
                Res::CreditNoteAllocations
                | Res::OverpaymentAllocations
                | Res::PrepaymentAllocations => {
                    let id = id.ok_or(ApiError::NotFound)?;
                    let credit = match res {
                        Res::CreditNoteAllocations => {
                            Credit::CreditNote(l.credit_note_index(id).ok_or(ApiError::NotFound)?)
                        }
                        Res::OverpaymentAllocations => Credit::Overpayment(
                            *l.overpayment_by_id
                                .get(&parse_id(id)?)
                                .ok_or(ApiError::NotFound)?,
                        ),
                        _ => Credit::Prepayment(
                            *l.prepayment_by_id
                                .get(&parse_id(id)?)
                                .ok_or(ApiError::NotFound)?,
                        ),
                    };
                    let items = body::parse_collection::<Allocation>(raw, "Allocations")?;
                    let replay = is_replay(l, &opts);
                    let res = l.put_allocations(credit, items, &opts);
                    if !replay && let Ok(out) = &res {
                        // The credit note and the invoices it now pays are
                        // updated (Xero has no events for the other credits).
                        let now = l.clock().now();
                        let invoices = out
                            .allocations
                            .iter()
                            .filter(|a| a.status_attribute_string.as_deref() != Some("ERROR"))
                            .filter_map(|a| a.invoice.as_ref()?.invoice_id);
                        let mut ev: Vec<Event> = invoices
                            .map(|iid| {
                                webhooks::event(base_url, tenant, "INVOICE", iid, false, now)
                            })
                            .collect();
                        if let Credit::CreditNote(i) = credit
                            && !ev.is_empty()
                            && let Some(cid) = l.credit_notes[i].credit_note_id
                        {
                            ev.push(webhooks::event(
                                base_url,
                                tenant,
                                "CREDITNOTE",
                                cid,
                                false,
                                now,
                            ));
                        }
                        events.extend(ev);
                    }
                    Ok(ser(&res?))
                }
                Res::BankTransactions => {
                    let mut items =
                        body::parse_collection::<BankTransaction>(raw, "BankTransactions")?;
                    if let (Some(id), [b]) = (id, items.as_mut_slice()) {
                        b.bank_transaction_id = Some(parse_id(id)?);
                    }
                    done(ser(&l.write_bank_transactions(how, items, &opts)?))
                }
                Res::Currencies => {
                    let c = body::parse_collection::<Currency>(raw, "Currencies")?
                        .into_iter()
                        .next()
                        .ok_or_else(|| ApiError::message("No currency was given"))?;
                    done(ser(&l.put_currency(c)?))
                }
                Res::TrackingCategories => {
                    let v: serde_json::Value = serde_json::from_slice(raw).map_err(|e| {
                        ApiError::message(format!("The request body is not valid JSON: {e}"))
                    })?;
                    let name = v
                        .get("Name")
                        .and_then(|n| n.as_str())
                        .ok_or_else(|| ApiError::message("Name is required"))?;
                    done(ser(&l.put_tracking_category(name)?))
                }
                _ => Err(ApiError::NotFound),
            }
        }
        _ => Err(ApiError::NotFound),
    }
}

fn accepts_json(req: &HttpRequest) -> bool {
    req.headers()
        .get_all("accept")
        .filter_map(|h| h.to_str().ok())
        .any(|h| h.to_ascii_lowercase().contains("application/json"))
}

/// Handles `/api.xro/2.0/<segs>`.
pub async fn handle(
    st: Shared,
    req: HttpRequest,
    segs: Vec<String>,
    raw: actix_web::web::Bytes,
) -> HttpResponse {
    let seg_refs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let Some((res, id)) = Res::parse(&seg_refs) else {
        return text(StatusCode::NOT_FOUND, NOT_FOUND);
    };
    let method = req.method().clone();
    if !res.allows(&method, id.is_some()) {
        return text(StatusCode::NOT_FOUND, NOT_FOUND);
    }
    let write = method != actix_web::http::Method::GET;
    let grant = match bearer(&st, &req) {
        Ok(g) => g,
        Err(r) => return r,
    };
    let header_tenant = req
        .headers()
        .get("xero-tenant-id")
        .and_then(|h| h.to_str().ok())
        .map(|s| Uuid::parse_str(s.trim()));
    let (tenant, client, scope) = {
        let g = st.lock();
        let Some(gr) = g.grants.get(grant) else {
            return problem(401, "AuthenticationUnsuccessful");
        };
        let tenant = match (header_tenant, gr.tenant) {
            (Some(Ok(t)), _) => t,
            (None, Some(t)) => t,
            _ => return problem(403, "AuthenticationUnsuccessful"),
        };
        if !g.grant_reaches(grant, tenant) || g.org(tenant).is_none() {
            return problem(403, "AuthenticationUnsuccessful");
        }
        (tenant, gr.client_id.clone(), gr.scope.clone())
    };
    if !has_scope(&scope, res.scopes(write)) {
        return problem(401, "AuthorizationUnsuccessful");
    }
    if !accepts_json(&req) {
        return text(
            StatusCode::NOT_ACCEPTABLE,
            "The Xero simulator answers JSON only: send Accept: application/json (Xero itself would answer XML)",
        );
    }
    let endpoint = format!(
        "{} /{}{}",
        method,
        res.name(),
        if id.is_some() { "/{id}" } else { "" }
    );
    {
        let mut g = st.lock();
        let s = g.stats.tenants.entry(tenant).or_default();
        s.calls += 1;
        *s.by_endpoint.entry(endpoint.clone()).or_default() += 1;
    }
    let (guard, rem) = match acquire(&st, tenant, &client) {
        Ok(x) => x,
        Err(l) => {
            let mut g = st.lock();
            g.stats.tenants.entry(tenant).or_default().rejected_429 += 1;
            return too_many(l.problem, l.retry_after, l.remaining);
        }
    };
    let faults = faults_for(&st, tenant);
    if let Some((f, _)) = &faults
        && f.latency_ms > 0
    {
        tokio::time::sleep(StdDuration::from_millis(f.latency_ms)).await;
    }
    if let Some((f, fails)) = &faults {
        if let Some(p) = &f.force_429 {
            st.lock()
                .stats
                .tenants
                .entry(tenant)
                .or_default()
                .rejected_429 += 1;
            let retry = f.retry_after.unwrap_or(60) as i64;
            let retry = (p != "concurrent").then_some(retry);
            drop(guard);
            return too_many(p, retry, rem);
        }
        if *fails {
            drop(guard);
            let r = if f.error_status == Some(503) {
                text(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The Xero API is currently offline for maintenance",
                )
            } else if f.error_status == Some(408) {
                text(StatusCode::REQUEST_TIMEOUT, "Request Timeout")
            } else {
                json(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &serde_json::json!({
                        "ErrorNumber": 500,
                        "Type": "UnknownErrorException",
                        "Message": "An unhandled error with the Xero API",
                    }),
                )
            };
            return with_limits(r, rem);
        }
    }
    let q = pairs(req.query_string());
    let ims = req
        .headers()
        .get("if-modified-since")
        .and_then(|h| h.to_str().ok())
        .map(str::to_string);
    let base = st.base_url();
    let mut events = Vec::new();
    let result = {
        let Some(ledger) = st.lock().org(tenant).map(|o| o.ledger.clone()) else {
            return problem(403, "AuthenticationUnsuccessful");
        };
        let mut l = ledger.lock().unwrap_or_else(|e| e.into_inner());
        execute(
            &mut l,
            &base,
            &method,
            res,
            id.as_deref(),
            &q,
            ims.as_deref(),
            &req,
            &raw,
            &mut events,
        )
    };
    if !events.is_empty() {
        webhooks::dispatch(&st, tenant, events);
    }
    let resp = match result {
        Ok(mut body) => {
            if let Some(f) = spoiler(&st, tenant, &endpoint) {
                if f.malformed_json {
                    body = b"{\"Id\": \"oops\", \"Status\": OK, <html>".to_vec();
                } else if f.truncated_json {
                    body.truncate(body.len() / 2);
                }
            }
            HttpResponse::Ok().content_type(JSON).body(body)
        }
        Err(e) => api_error(&e),
    };
    drop(guard);
    with_limits(resp, rem)
}

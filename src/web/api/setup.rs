//! A group's set-up over the API: FX rates (JSON or CSV), account mappings
//! and intercompany contacts. Every PUT validates all rows first and stores
//! nothing when any row is bad (422 naming each bad row); the store writes
//! the audit row in the same transaction. The pages reuse the parsing,
//! validation and views here.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{ApiError, ApiUser};
use crate::consolidation::{class_of, decided_contacts, entity_of};
use crate::domain::{CurrencyCode, Month, MonthRange};
use crate::engine::{
    self, AccountSection, Contact, Entity, EntityAccount, EntityId, GroupAccount, GroupAccountId,
    MappingBasis, NameMatch, XeroAccountType,
};
use crate::store::{
    EntityView, Group, GroupRole, IcContactRow, MappingRow, RateRow, Store, StoreError,
};
use crate::web::AppState;

/// The CSV header of FX rates, in and out.
pub const RATES_HEADER: &str = "currency,month,average,closing";

/// The errors of one input row. `row` is what the user sees: the CSV line
/// (the header is line 1), or the position in a JSON array counting from 1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowErrors {
    pub row: usize,
    pub errors: Vec<String>,
}

/// The contract's 422 for bad rows.
pub fn rows_invalid(rows: &[RowErrors]) -> ApiError {
    let n = rows.len();
    ApiError::invalid(
        format!(
            "{n} row{} {} not valid; nothing was saved.",
            if n == 1 { "" } else { "s" },
            if n == 1 { "is" } else { "are" }
        ),
        json!({ "rows": rows }),
    )
}

// ---------------------------------------------------------------- FX rates

/// Currencies of ISO 4217 in current use (funds and metals excluded).
#[rustfmt::skip]
const ISO_4217: &[&str] = &[
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD",
    "CDF", "CHF", "CLP", "CNY", "COP", "CRC", "CUC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP",
    "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF",
    "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD",
    "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP",
    "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR",
    "MVR", "MWK", "MXN", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB",
    "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD",
    "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SLL", "SOS", "SRD", "SSP", "STN", "SVC", "SYP",
    "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD",
    "UYU", "UZS", "VES", "VND", "VUV", "WST", "XAF", "XCD", "XCG", "XOF", "XPF", "YER", "ZAR",
    "ZMW", "ZWG", "ZWL",
];

/// Whether `code` is a currency of ISO 4217 in current use.
pub fn is_iso_currency(code: CurrencyCode) -> bool {
    ISO_4217.binary_search(&code.as_str()).is_ok()
}

/// An exact decimal from text: no floats, no exponent, no rounding.
pub(super) fn parse_decimal(field: &str, raw: &str, errors: &mut Vec<String>) -> Option<Decimal> {
    let t = raw.trim();
    let well_formed = !t.is_empty()
        && t.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+'));
    match Decimal::from_str_exact(t) {
        Ok(d) if well_formed => Some(d),
        _ => {
            errors.push(format!("{field} '{t}' is not a decimal number"));
            None
        }
    }
}

/// Raw text of one rate row, before parsing.
pub struct RawRate<'a> {
    pub row: usize,
    pub currency: &'a str,
    pub month: &'a str,
    pub average: &'a str,
    pub closing: &'a str,
}

/// The largest rate accepted: no currency is worth a billion of another,
/// so a larger number is a typing error (and would overflow reports).
pub const MAX_RATE: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);
/// The most decimal places of a rate (trailing zeros aside).
pub const MAX_RATE_DECIMALS: u32 = 10;
/// Months before the group's history, and after today, that may have rates.
pub const RATE_MONTHS_MARGIN: i32 = 12;
/// The most rate rows one paste or call may carry.
pub const MAX_RATE_ROWS: usize = 10_000;
/// The largest rates CSV read.
pub const MAX_RATES_CSV_BYTES: usize = 1024 * 1024;

/// What rates a group accepts: not its presentation currency, and months
/// within its history (`history_months` back from today) plus a margin.
#[derive(Debug, Clone, Copy)]
pub struct RateRules {
    pub presentation: CurrencyCode,
    pub months: MonthRange,
}

impl RateRules {
    pub fn for_group(group: &Group, today: chrono::NaiveDate) -> Self {
        Self {
            presentation: group.presentation_currency,
            months: Self::months_for(group.history_months, today),
        }
    }

    pub fn months_for(history_months: i32, today: chrono::NaiveDate) -> MonthRange {
        let now = Month::of(today);
        let from = now.plus(-(history_months.max(0) + RATE_MONTHS_MARGIN));
        let to = now.plus(RATE_MONTHS_MARGIN);
        // from is never after to, so this cannot fail.
        MonthRange::new(from, to).unwrap_or_else(|_| MonthRange::single(now))
    }
}

/// Parses and checks rate rows; every bad row is reported.
pub fn parse_rates(
    rows: &[RawRate<'_>],
    rules: &RateRules,
) -> Result<Vec<RateRow>, Vec<RowErrors>> {
    let presentation = rules.presentation;
    if rows.len() > MAX_RATE_ROWS {
        return Err(vec![RowErrors {
            row: rows.last().map_or(0, |r| r.row),
            errors: vec![format!(
                "{} rates given; send at most {MAX_RATE_ROWS} at once",
                rows.len()
            )],
        }]);
    }
    let mut good = Vec::new();
    let mut bad = Vec::new();
    let mut seen: HashMap<(CurrencyCode, Month), usize> = HashMap::new();
    for r in rows {
        let mut errors = Vec::new();
        let currency = match CurrencyCode::parse(r.currency) {
            Ok(c) if !is_iso_currency(c) => {
                errors.push(format!("'{c}' is not an ISO 4217 currency code"));
                None
            }
            Ok(c) if c == presentation => {
                errors.push(format!(
                    "{c} is the group's presentation currency and needs no rate"
                ));
                None
            }
            Ok(c) => Some(c),
            Err(e) => {
                errors.push(e.to_string());
                None
            }
        };
        let month = match Month::parse(r.month) {
            Ok(m) if !rules.months.contains(m) => {
                errors.push(format!(
                    "{m} is outside the months this group can have rates for ({} to {})",
                    rules.months.from(),
                    rules.months.to()
                ));
                None
            }
            Ok(m) => Some(m),
            Err(e) => {
                errors.push(e.to_string());
                None
            }
        };
        let mut rate = |field: &str, raw: &str| {
            let d = parse_decimal(field, raw, &mut errors)?;
            if d <= Decimal::ZERO {
                errors.push(format!("{field} must be greater than 0 (got {d})"));
                return None;
            }
            if d > MAX_RATE {
                errors.push(format!("{field} must be at most {MAX_RATE} (got {d})"));
                return None;
            }
            if d.normalize().scale() > MAX_RATE_DECIMALS {
                errors.push(format!(
                    "{field} has more than {MAX_RATE_DECIMALS} decimal places (got {d})"
                ));
                return None;
            }
            Some(d)
        };
        let average = rate("average", r.average);
        let closing = rate("closing", r.closing);
        if let (Some(c), Some(m)) = (currency, month)
            && let Some(first) = seen.insert((c, m), r.row)
        {
            errors.push(format!("{c} {m} is given twice (also on row {first})"));
        }
        match (currency, month, average, closing) {
            (Some(currency), Some(month), Some(average), Some(closing)) if errors.is_empty() => {
                good.push(RateRow {
                    currency,
                    month,
                    average,
                    closing,
                })
            }
            _ => bad.push(RowErrors { row: r.row, errors }),
        }
    }
    if bad.is_empty() { Ok(good) } else { Err(bad) }
}

/// Parses rates CSV (`currency,month,average,closing`; the header line is
/// optional, blank lines are skipped). Row numbers are line numbers.
pub fn parse_rates_csv(text: &str, rules: &RateRules) -> Result<Vec<RateRow>, Vec<RowErrors>> {
    if text.len() > MAX_RATES_CSV_BYTES {
        return Err(vec![RowErrors {
            row: 1,
            errors: vec![format!(
                "the CSV is {} bytes; send at most {MAX_RATES_CSV_BYTES} at once",
                text.len()
            )],
        }]);
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines: Vec<(usize, Vec<String>)> = Vec::new();
    let mut shape = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let fields = crate::export::csv::fields(line);
        let normalised: Vec<String> = fields.iter().map(|f| f.trim().to_lowercase()).collect();
        if i == 0 && normalised.join(",") == RATES_HEADER {
            continue;
        }
        if i == 0 && normalised.first().is_some_and(|f| f == "currency") {
            shape.push(RowErrors {
                row: 1,
                errors: vec![format!("the header line must be {RATES_HEADER}")],
            });
            continue;
        }
        if fields.len() != 4 {
            shape.push(RowErrors {
                row: i + 1,
                errors: vec![format!(
                    "expected 4 fields ({RATES_HEADER}), found {}",
                    fields.len()
                )],
            });
            continue;
        }
        lines.push((i + 1, fields));
    }
    let raw: Vec<RawRate<'_>> = lines
        .iter()
        .map(|(row, f)| RawRate {
            row: *row,
            currency: &f[0],
            month: &f[1],
            average: &f[2],
            closing: &f[3],
        })
        .collect();
    let parsed = parse_rates(&raw, rules);
    if raw.is_empty() && shape.is_empty() {
        return Err(vec![RowErrors {
            row: 1,
            errors: vec![format!("no rates given (one per line: {RATES_HEADER})")],
        }]);
    }
    match parsed {
        Ok(rows) if shape.is_empty() => Ok(rows),
        Ok(_) => Err(shape),
        Err(mut bad) => {
            bad.extend(shape);
            bad.sort_by_key(|r| r.row);
            Err(bad)
        }
    }
}

/// A JSON field as text: strings as they are, numbers in their exact
/// written form (serde_json keeps it), anything else empty.
fn json_text(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn parse_rates_json(body: &[u8], rules: &RateRules) -> Result<Vec<RateRow>, ApiError> {
    let rows = json_rows(body)?;
    let texts: Vec<[String; 4]> = rows
        .iter()
        .map(|v| ["currency", "month", "average", "closing"].map(|k| json_text(v, k)))
        .collect();
    let raw: Vec<RawRate<'_>> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| RawRate {
            row: i + 1,
            currency: &t[0],
            month: &t[1],
            average: &t[2],
            closing: &t[3],
        })
        .collect();
    parse_rates(&raw, rules).map_err(|bad| rows_invalid(&bad))
}

/// A JSON array of row objects; 400 when the body is not JSON, 422 when it
/// is not a non-empty array.
pub(super) fn json_rows(body: &[u8]) -> Result<Vec<Value>, ApiError> {
    let v: Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("The body is not JSON: {e}"),
        )
    })?;
    match v {
        Value::Array(rows) if !rows.is_empty() => Ok(rows),
        _ => Err(ApiError::invalid(
            "Expected a non-empty JSON array of rows.",
            json!({ "body": "a JSON array of row objects" }),
        )),
    }
}

#[derive(Serialize)]
struct RateJson {
    currency: CurrencyCode,
    month: Month,
    average: String,
    closing: String,
}

fn rates_json(rows: Vec<RateRow>) -> Vec<RateJson> {
    rows.into_iter()
        .map(|r| RateJson {
            currency: r.currency,
            month: r.month,
            average: r.average.to_string(),
            closing: r.closing.to_string(),
        })
        .collect()
}

/// Stored rates as CSV with the header line.
pub fn rates_csv(rows: &[RateRow]) -> String {
    let mut out = format!("{RATES_HEADER}\n");
    for r in rows {
        out.push_str(&format!(
            "{},{},{},{}\n",
            r.currency, r.month, r.average, r.closing
        ));
    }
    out
}

#[derive(Deserialize)]
pub struct FormatQuery {
    format: Option<String>,
}

fn is_csv_type(value: Option<&header::HeaderValue>) -> bool {
    value
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("text/csv"))
}

async fn rates_response(
    state: &AppState,
    group: &Group,
    csv: bool,
) -> Result<HttpResponse, ApiError> {
    let rows = state.store.fx_rates(group.id).await?;
    Ok(if csv {
        HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .body(rates_csv(&rows))
    } else {
        HttpResponse::Ok().json(rates_json(rows))
    })
}

/// `GET /api/v1/groups/{id}/fx-rates`: JSON, or CSV with `?format=csv` or
/// `Accept: text/csv`.
pub async fn get_fx_rates(
    req: HttpRequest,
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<FormatQuery>,
) -> Result<HttpResponse, ApiError> {
    let (group, _) = user.group(&state, &path, GroupRole::Viewer).await?;
    let csv = match query.format.as_deref() {
        Some("csv") => true,
        Some("json") | None => is_csv_type(req.headers().get(header::ACCEPT)),
        Some(other) => {
            return Err(ApiError::invalid(
                format!("unknown format '{other}'"),
                json!({ "format": "json or csv" }),
            ));
        }
    };
    rates_response(&state, &group, csv).await
}

/// `PUT /api/v1/groups/{id}/fx-rates`: JSON rows, or CSV when the body's
/// `Content-Type` is `text/csv`. Rates for the (currency, month) pairs
/// given are replaced; others stay. Answers the stored rates.
pub async fn put_fx_rates(
    req: HttpRequest,
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (group, _) = user.group(&state, &path, GroupRole::Editor).await?;
    let csv = is_csv_type(req.headers().get(header::CONTENT_TYPE));
    let rules = RateRules::for_group(&group, Utc::now().date_naive());
    let rows = if csv {
        let text = std::str::from_utf8(&body).map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "The CSV is not UTF-8 text.",
            )
        })?;
        parse_rates_csv(text, &rules).map_err(|bad| rows_invalid(&bad))?
    } else {
        parse_rates_json(&body, &rules)?
    };
    state
        .store
        .set_fx_rates(group.id, &rows, Some(user.user.id), Utc::now())
        .await?;
    rates_response(&state, &group, csv).await
}

// ---------------------------------------------------------------- mappings

#[derive(Debug, Clone, Serialize)]
pub struct GroupAccountJson {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub class: String,
    pub section: String,
}

/// An entity account and where it maps: `confirmed`, `suggested` (stored
/// unconfirmed, or the engine's suggestion) or `unmapped`.
#[derive(Debug, Clone, Serialize)]
pub struct AccountMappingJson {
    pub entity_id: i64,
    pub entity_name: String,
    pub account_id: String,
    pub code: Option<String>,
    pub name: String,
    pub class: Option<String>,
    pub account_type: String,
    pub group_account_id: Option<i64>,
    pub confirmed: bool,
    pub status: &'static str,
    /// Why the engine suggests it (`same_code`, `same_name`), when it does.
    pub basis: Option<MappingBasis>,
}

impl AccountMappingJson {
    /// Whether the account maps (or is suggested to map) to `group_account`.
    pub fn maps_to(&self, group_account: &i64) -> bool {
        self.group_account_id == Some(*group_account)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct MappingsView {
    pub group_accounts: Vec<GroupAccountJson>,
    pub accounts: Vec<AccountMappingJson>,
}

impl MappingsView {
    /// Mappings to confirm for "confirm all suggestions".
    pub fn suggestions(&self) -> Vec<(i64, String, i64)> {
        self.accounts
            .iter()
            .filter(|a| a.status == "suggested")
            .filter_map(|a| Some((a.entity_id, a.account_id.clone(), a.group_account_id?)))
            .collect()
    }
}

/// The group's chart and every entity account with its mapping, suggested
/// ones first.
pub async fn mappings_view(store: &Store, group: &Group) -> Result<MappingsView, StoreError> {
    let views = store.entities_for_group(group.id).await?;
    let chart = store.group_accounts(group.id).await?;
    let stored: HashMap<(i64, String), MappingRow> = store
        .mappings(group.id)
        .await?
        .into_iter()
        .map(|m| ((m.organisation_id, m.account_id.clone()), m))
        .collect();
    let engine_chart: Vec<GroupAccount> = chart
        .iter()
        .filter_map(|g| {
            let class = class_of(&g.class)?;
            Some(GroupAccount {
                id: GroupAccountId(g.id),
                code: g.code.clone(),
                name: g.name.clone(),
                class,
                section: AccountSection::stored(&g.section, class),
            })
        })
        .collect();
    let mut rows = Vec::new();
    let mut engine_accounts = Vec::new();
    let mut confirmed = Vec::new();
    for v in &views {
        for a in store.accounts_of(v.organisation_id).await? {
            let m = stored.get(&(v.organisation_id, a.account_id.clone()));
            if let Some(m) = m.filter(|m| m.confirmed) {
                confirmed.push(engine::AccountMapping {
                    entity: EntityId(v.id),
                    account_id: m.account_id.clone(),
                    group_account: GroupAccountId(m.group_account_id),
                });
            }
            if let Some(class) = a.class.as_deref().and_then(class_of) {
                engine_accounts.push(EntityAccount {
                    entity: EntityId(v.id),
                    account_id: a.account_id.clone(),
                    code: a.code.clone(),
                    name: a.name.clone(),
                    class,
                    account_type: XeroAccountType::from_xero(&a.account_type),
                });
            }
            rows.push(AccountMappingJson {
                entity_id: v.id,
                entity_name: v.name.clone(),
                group_account_id: m.map(|m| m.group_account_id),
                confirmed: m.is_some_and(|m| m.confirmed),
                status: match m {
                    Some(m) if m.confirmed => "confirmed",
                    Some(_) => "suggested",
                    None => "unmapped",
                },
                basis: None,
                account_id: a.account_id,
                code: a.code,
                name: a.name,
                class: a.class,
                account_type: a.account_type,
            });
        }
        // Rows of the entity's P&L that are not in its chart, such as
        // Xero's "Foreign Currency Gains and Losses" (FXGROUPID): the engine
        // maps them by key, so they are listed to be mapped like accounts.
        for r in other_rows(store, v.organisation_id).await? {
            let m = stored.get(&(v.organisation_id, r.key.clone()));
            rows.push(AccountMappingJson {
                entity_id: v.id,
                entity_name: v.name.clone(),
                group_account_id: m.map(|m| m.group_account_id),
                confirmed: m.is_some_and(|m| m.confirmed),
                status: match m {
                    Some(m) if m.confirmed => "confirmed",
                    Some(_) => "suggested",
                    None => "unmapped",
                },
                basis: None,
                account_id: r.key,
                code: None,
                name: r.label,
                class: r
                    .class
                    .map(|c| crate::consolidation::class_name(c).to_string()),
                account_type: OTHER_ROW_TYPE.to_string(),
            });
        }
    }
    let suggested: HashMap<(i64, String), (i64, MappingBasis)> =
        engine::suggest_account_mappings(&engine_accounts, &engine_chart, &confirmed)
            .into_iter()
            .map(|s| ((s.entity.0, s.account_id), (s.group_account.0, s.basis)))
            .collect();
    for r in &mut rows {
        if let Some((g, basis)) = suggested.get(&(r.entity_id, r.account_id.clone())) {
            if r.status == "unmapped" {
                r.group_account_id = Some(*g);
                r.status = "suggested";
            }
            if r.group_account_id == Some(*g) && !r.confirmed {
                r.basis = Some(*basis);
            }
        }
    }
    // Suggested first, then unmapped, then confirmed; stable within each.
    rows.sort_by_key(|r| match r.status {
        "suggested" => 0,
        "unmapped" => 1,
        _ => 2,
    });
    Ok(MappingsView {
        group_accounts: chart
            .into_iter()
            .map(|g| GroupAccountJson {
                id: g.id,
                // As the reports read it: a section that does not fit the
                // class reads as the class's default.
                section: match class_of(&g.class) {
                    Some(c) => AccountSection::stored(&g.section, c).title().to_string(),
                    None => g.section,
                },
                code: g.code,
                name: g.name,
                class: g.class,
            })
            .collect(),
        accounts: rows,
    })
}

/// The `account_type` shown for a P&L row that is not an account.
pub const OTHER_ROW_TYPE: &str = "REPORT_ROW";

/// A mappable P&L row that is not in an entity's chart, by its key.
struct OtherRow {
    key: String,
    label: String,
    class: Option<engine::AccountClass>,
}

/// An organisation's mappable non-account P&L rows, one per key (Xero's
/// realised and unrealised FXGROUPID rows share theirs).
async fn other_rows(store: &Store, org: i64) -> Result<Vec<OtherRow>, StoreError> {
    let mut out: Vec<OtherRow> = Vec::new();
    for r in store.pnl_other_rows(org).await? {
        let Some(key) =
            crate::consolidation::system_row_key(&r.row_kind, r.account_id.as_deref(), &r.row_key)
        else {
            continue;
        };
        if out.iter().any(|o| o.key == key) {
            continue;
        }
        out.push(OtherRow {
            key,
            label: r.label,
            class: engine::ReportSection::from_title(&r.section).map(|s| s.class()),
        });
    }
    Ok(out)
}

/// One mapping row as given, fields still unchecked.
pub struct RawMapping {
    pub row: usize,
    pub entity_id: Option<i64>,
    pub account_id: Option<String>,
    pub group_account_id: Option<i64>,
    pub confirmed: Option<bool>,
}

/// Checks mapping rows against the group: the entity is one of its
/// entities, the account is in that entity's synced chart, the group
/// account is in the group's chart.
pub async fn validate_mappings(
    store: &Store,
    group: &Group,
    rows: &[RawMapping],
) -> Result<Result<Vec<MappingRow>, Vec<RowErrors>>, StoreError> {
    let views = store.entities_for_group(group.id).await?;
    let chart: HashSet<i64> = store
        .group_accounts(group.id)
        .await?
        .into_iter()
        .map(|g| g.id)
        .collect();
    let mut accounts: HashMap<i64, HashSet<String>> = HashMap::new();
    let mut good = Vec::new();
    let mut bad = Vec::new();
    let mut seen: HashMap<(i64, String), usize> = HashMap::new();
    for r in rows {
        let mut errors = Vec::new();
        let entity = entity_in(&views, r.entity_id, &mut errors);
        let account = match (&r.account_id, entity) {
            (None, _) => {
                errors.push("account_id is missing".to_string());
                None
            }
            (Some(a), Some(e)) => {
                let known = match accounts.entry(e.organisation_id) {
                    Entry::Occupied(o) => o.into_mut(),
                    Entry::Vacant(v) => {
                        let mut keys: HashSet<String> = store
                            .accounts_of(e.organisation_id)
                            .await?
                            .into_iter()
                            .map(|x| x.account_id)
                            .collect();
                        keys.extend(
                            other_rows(store, e.organisation_id)
                                .await?
                                .into_iter()
                                .map(|o| o.key),
                        );
                        v.insert(keys)
                    }
                };
                if known.contains(a) {
                    Some(a.clone())
                } else {
                    errors.push(format!(
                        "account {a} is not in the chart of accounts of {}, nor a row of its \
                         synced profit and loss",
                        e.name
                    ));
                    None
                }
            }
            (Some(_), None) => None,
        };
        let group_account = match r.group_account_id {
            None => {
                errors.push("group_account_id is missing or not a number".to_string());
                None
            }
            Some(g) if !chart.contains(&g) => {
                errors.push(format!("group account {g} is not in this group's chart"));
                None
            }
            Some(g) => Some(g),
        };
        let confirmed = r.confirmed.unwrap_or(true);
        if let (Some(e), Some(a)) = (entity, &account)
            && let Some(first) = seen.insert((e.id, a.clone()), r.row)
        {
            errors.push(format!("account {a} is given twice (also on row {first})"));
        }
        match (entity, account, group_account) {
            (Some(e), Some(account_id), Some(group_account_id)) if errors.is_empty() => {
                good.push(MappingRow {
                    organisation_id: e.organisation_id,
                    account_id,
                    group_account_id,
                    confirmed,
                })
            }
            _ => bad.push(RowErrors { row: r.row, errors }),
        }
    }
    Ok(if bad.is_empty() { Ok(good) } else { Err(bad) })
}

fn json_i64(v: &Value, key: &str) -> Option<i64> {
    match v.get(key)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn json_string(v: &Value, key: &str) -> Option<String> {
    v.get(key)?
        .as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A boolean field (`confirmed`, `rejected`): absent is `None`, anything
/// but a boolean is kept as an error (`Err`).
fn json_bool(v: &Value, key: &str) -> Result<Option<bool>, ()> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(()),
    }
}

/// `GET /api/v1/groups/{id}/account-mappings`.
pub async fn get_mappings(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (group, _) = user.group(&state, &path, GroupRole::Viewer).await?;
    Ok(HttpResponse::Ok().json(mappings_view(&state.store, &group).await?))
}

/// `PUT /api/v1/groups/{id}/account-mappings`: `[{entity_id, account_id,
/// group_account_id, confirmed}]`. Answers the same as GET.
pub async fn put_mappings(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (group, _) = user.group(&state, &path, GroupRole::Editor).await?;
    let values = json_rows(&body)?;
    let mut type_errors = Vec::new();
    let raw: Vec<RawMapping> = values
        .iter()
        .enumerate()
        .map(|(i, v)| RawMapping {
            row: i + 1,
            entity_id: json_i64(v, "entity_id"),
            account_id: json_string(v, "account_id"),
            group_account_id: json_i64(v, "group_account_id"),
            confirmed: json_bool(v, "confirmed")
                .map_err(|_| type_errors.push((i + 1, "confirmed")))
                .ok()
                .flatten(),
        })
        .collect();
    let rows = match validate_mappings(&state.store, &group, &raw).await? {
        Ok(rows) if type_errors.is_empty() => rows,
        result => {
            return Err(rows_invalid(&with_type_errors(
                result.err().unwrap_or_default(),
                &type_errors,
            )));
        }
    };
    state
        .store
        .set_mappings(group.id, &rows, Some(user.user.id), Utc::now())
        .await?;
    Ok(HttpResponse::Ok().json(mappings_view(&state.store, &group).await?))
}

/// Adds "<field> must be true or false" to the rows listed.
fn with_type_errors(mut bad: Vec<RowErrors>, rows: &[(usize, &str)]) -> Vec<RowErrors> {
    for &(row, field) in rows {
        let msg = format!("{field} must be true or false");
        match bad.iter_mut().find(|b| b.row == row) {
            Some(b) => b.errors.push(msg),
            None => bad.push(RowErrors {
                row,
                errors: vec![msg],
            }),
        }
    }
    bad.sort_by_key(|b| b.row);
    bad
}

// ---------------------------------------------------- intercompany contacts

#[derive(Debug, Clone, Serialize)]
pub struct IcContactJson {
    pub entity_id: i64,
    pub entity_name: String,
    pub contact_id: String,
    pub contact_name: String,
    pub counterpart_entity_id: i64,
    pub counterpart_name: String,
    pub confirmed: bool,
    /// Marked "not intercompany": no longer suggested.
    pub rejected: bool,
    /// Which of the counterpart's names the contact's name matched
    /// (`name`, `legal_name`), for the engine's suggestions.
    pub matched: Option<NameMatch>,
}

impl IcContactJson {
    /// Why it is suggested, in words.
    pub fn why(&self) -> &'static str {
        match self.matched {
            Some(NameMatch::Name) => "Named like the entity's name",
            Some(NameMatch::LegalName) => "Named like the entity's legal name",
            None => "Saved earlier without confirming",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct IcContactsView {
    pub suggested: Vec<IcContactJson>,
    pub confirmed: Vec<IcContactJson>,
    /// Contacts marked "not intercompany", with the counterpart they were
    /// suggested as.
    pub rejected: Vec<IcContactJson>,
}

/// Confirmed intercompany contacts, rejected ones ("not intercompany"), and
/// suggested ones: the engine's suggestions plus stored rows not (or no
/// longer) confirmed, other than rejected contacts. Each list is ordered by
/// entity name, then contact name.
pub async fn contacts_view(store: &Store, group: &Group) -> Result<IcContactsView, StoreError> {
    let views = store.entities_for_group(group.id).await?;
    let entity_by_org: HashMap<i64, &EntityView> =
        views.iter().map(|v| (v.organisation_id, v)).collect();
    let name_of = |id: i64| {
        views
            .iter()
            .find(|v| v.id == id)
            .map(|v| v.name.clone())
            .unwrap_or_else(|| format!("entity {id}"))
    };
    let mut contacts = Vec::new();
    let mut contact_names: HashMap<(i64, String), String> = HashMap::new();
    for v in &views {
        for c in store.contacts_of(v.organisation_id).await? {
            contact_names.insert((v.id, c.contact_id.clone()), c.name.clone());
            contacts.push(Contact {
                entity: EntityId(v.id),
                contact_id: c.contact_id,
                name: c.name,
            });
        }
    }
    let stored = store.intercompany_contacts(group.id).await?;
    let row =
        |entity_id: i64, contact_id: String, counterpart: i64, confirmed, rejected, matched| {
            IcContactJson {
                entity_name: name_of(entity_id),
                contact_name: contact_names
                    .get(&(entity_id, contact_id.clone()))
                    .cloned()
                    .unwrap_or_else(|| contact_id.clone()),
                counterpart_name: name_of(counterpart),
                entity_id,
                contact_id,
                counterpart_entity_id: counterpart,
                confirmed,
                rejected,
                matched,
            }
        };
    let mut confirmed = Vec::new();
    let mut rejected = Vec::new();
    let mut suggested = Vec::new();
    for c in &stored {
        let Some(e) = entity_by_org.get(&c.organisation_id) else {
            continue;
        };
        if c.confirmed || c.rejected {
            let r = row(
                e.id,
                c.contact_id.clone(),
                c.counterpart_entity_id,
                c.confirmed,
                c.rejected,
                None,
            );
            if c.confirmed {
                confirmed.push(r);
            } else {
                rejected.push(r);
            }
        }
    }
    // Confirmed and rejected contacts are decided: the engine skips them.
    let done = decided_contacts(&stored, &views);
    let entities: Vec<Entity> = views.iter().map(entity_of).collect();
    for s in engine::suggest_intercompany_contacts(&entities, &contacts, &done) {
        suggested.push(row(
            s.entity.0,
            s.contact_id,
            s.counterpart.0,
            false,
            false,
            Some(s.matched),
        ));
    }
    for c in &stored {
        let Some(e) = entity_by_org.get(&c.organisation_id) else {
            continue;
        };
        let known = suggested.iter().any(|s| {
            s.entity_id == e.id
                && s.contact_id == c.contact_id
                && s.counterpart_entity_id == c.counterpart_entity_id
        });
        if !c.confirmed && !c.rejected && !known {
            suggested.push(row(
                e.id,
                c.contact_id.clone(),
                c.counterpart_entity_id,
                false,
                false,
                None,
            ));
        }
    }
    for list in [&mut suggested, &mut confirmed, &mut rejected] {
        list.sort_by(|a, b| {
            (a.entity_name.to_lowercase(), a.entity_id)
                .cmp(&(b.entity_name.to_lowercase(), b.entity_id))
                .then_with(|| {
                    a.contact_name
                        .to_lowercase()
                        .cmp(&b.contact_name.to_lowercase())
                })
        });
    }
    Ok(IcContactsView {
        suggested,
        confirmed,
        rejected,
    })
}

/// One intercompany contact row as given, fields still unchecked.
pub struct RawContact {
    pub row: usize,
    pub entity_id: Option<i64>,
    pub contact_id: Option<String>,
    pub counterpart_entity_id: Option<i64>,
    pub confirmed: Option<bool>,
    /// "Not intercompany"; absent means false.
    pub rejected: Option<bool>,
}

/// Checks contact rows against the group: both entities are in it and
/// differ, and the contact is in the entity's synced contacts.
/// The group's entity a row names, or an error for the row.
fn entity_in<'a>(
    views: &'a [EntityView],
    id: Option<i64>,
    errors: &mut Vec<String>,
) -> Option<&'a EntityView> {
    let Some(id) = id else {
        errors.push("entity_id is missing or not a number".to_string());
        return None;
    };
    let v = views.iter().find(|v| v.id == id);
    if v.is_none() {
        errors.push(format!("entity {id} is not in this group"));
    }
    v
}

pub async fn validate_contacts(
    store: &Store,
    group: &Group,
    rows: &[RawContact],
) -> Result<Result<Vec<IcContactRow>, Vec<RowErrors>>, StoreError> {
    let views = store.entities_for_group(group.id).await?;
    let mut contacts: HashMap<i64, HashSet<String>> = HashMap::new();
    let mut good = Vec::new();
    let mut bad = Vec::new();
    let mut seen: HashMap<(i64, String), usize> = HashMap::new();
    for r in rows {
        let mut errors = Vec::new();
        let entity = entity_in(&views, r.entity_id, &mut errors);
        let contact = match (&r.contact_id, entity) {
            (None, _) => {
                errors.push("contact_id is missing".to_string());
                None
            }
            (Some(c), Some(e)) => {
                let known = match contacts.entry(e.organisation_id) {
                    Entry::Occupied(o) => o.into_mut(),
                    Entry::Vacant(v) => v.insert(
                        store
                            .contacts_of(e.organisation_id)
                            .await?
                            .into_iter()
                            .map(|x| x.contact_id)
                            .collect(),
                    ),
                };
                if known.contains(c) {
                    Some(c.clone())
                } else {
                    errors.push(format!("contact {c} is not a contact of {}", e.name));
                    None
                }
            }
            (Some(_), None) => None,
        };
        let counterpart = match r.counterpart_entity_id {
            None => {
                errors.push("counterpart_entity_id is missing or not a number".to_string());
                None
            }
            Some(id) if !views.iter().any(|v| v.id == id) => {
                errors.push(format!("counterpart entity {id} is not in this group"));
                None
            }
            Some(id) if Some(id) == r.entity_id => {
                errors.push("an entity cannot be its own counterpart".to_string());
                None
            }
            Some(id) => Some(id),
        };
        if let (Some(e), Some(c)) = (entity, &contact)
            && let Some(first) = seen.insert((e.id, c.clone()), r.row)
        {
            errors.push(format!("contact {c} is given twice (also on row {first})"));
        }
        let rejected = r.rejected.unwrap_or(false);
        if rejected && r.confirmed == Some(true) {
            errors.push("a contact cannot be both confirmed and rejected".to_string());
        }
        match (entity, contact, counterpart) {
            (Some(e), Some(contact_id), Some(counterpart_entity_id)) if errors.is_empty() => good
                .push(IcContactRow {
                    organisation_id: e.organisation_id,
                    contact_id,
                    counterpart_entity_id,
                    confirmed: r.confirmed.unwrap_or(!rejected),
                    rejected,
                }),
            _ => bad.push(RowErrors { row: r.row, errors }),
        }
    }
    Ok(if bad.is_empty() { Ok(good) } else { Err(bad) })
}

/// `GET /api/v1/groups/{id}/intercompany-contacts`.
pub async fn get_contacts(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (group, _) = user.group(&state, &path, GroupRole::Viewer).await?;
    Ok(HttpResponse::Ok().json(contacts_view(&state.store, &group).await?))
}

/// `PUT /api/v1/groups/{id}/intercompany-contacts`: `[{entity_id,
/// contact_id, counterpart_entity_id, confirmed, rejected?}]`; `rejected:
/// true` marks the contact "not intercompany" (and unconfirms it), any
/// other row clears that mark. Answers the same as GET.
pub async fn put_contacts(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (group, _) = user.group(&state, &path, GroupRole::Editor).await?;
    let values = json_rows(&body)?;
    let mut type_errors = Vec::new();
    let raw: Vec<RawContact> = values
        .iter()
        .enumerate()
        .map(|(i, v)| RawContact {
            row: i + 1,
            entity_id: json_i64(v, "entity_id"),
            contact_id: json_string(v, "contact_id"),
            counterpart_entity_id: json_i64(v, "counterpart_entity_id"),
            confirmed: json_bool(v, "confirmed")
                .map_err(|_| type_errors.push((i + 1, "confirmed")))
                .ok()
                .flatten(),
            rejected: json_bool(v, "rejected")
                .map_err(|_| type_errors.push((i + 1, "rejected")))
                .ok()
                .flatten(),
        })
        .collect();
    let rows = match validate_contacts(&state.store, &group, &raw).await? {
        Ok(rows) if type_errors.is_empty() => rows,
        result => {
            return Err(rows_invalid(&with_type_errors(
                result.err().unwrap_or_default(),
                &type_errors,
            )));
        }
    };
    state
        .store
        .set_intercompany_contacts(group.id, &rows, Some(user.user.id), Utc::now())
        .await?;
    Ok(HttpResponse::Ok().json(contacts_view(&state.store, &group).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// NZD presentation; rates for 2020-01 to 2030-12.
    fn rules() -> RateRules {
        RateRules {
            presentation: nzd(),
            months: MonthRange::new(
                Month::parse("2020-01").unwrap(),
                Month::parse("2030-12").unwrap(),
            )
            .unwrap(),
        }
    }

    fn nzd() -> CurrencyCode {
        CurrencyCode::parse("NZD").unwrap()
    }

    #[test]
    fn iso_list_is_sorted() {
        assert!(ISO_4217.windows(2).all(|w| w[0] < w[1]));
        assert!(is_iso_currency(CurrencyCode::parse("usd").unwrap()));
        assert!(!is_iso_currency(CurrencyCode::parse("XYZ").unwrap()));
    }

    #[test]
    fn csv_rates_parse_exactly() {
        let rows = parse_rates_csv(
            "currency,month,average,closing\r\nUSD,2026-01,1.0823456789,\"1.10\"\n\nAUD,2026-01,0.9,0.91\n",
            &rules(),
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].average.to_string(), "1.0823456789");
        assert_eq!(rows[0].closing.to_string(), "1.10");
    }

    #[test]
    fn csv_errors_name_every_bad_line() {
        let bad = parse_rates_csv(
            "currency,month,average,closing\nUSD,2026-13,1,1\nAUD,2026-01,-0.5,0.9\nGBP,2026-01,1,1\nNZD,2026-01,1e3,1,2\n",
            &rules(),
        )
        .unwrap_err();
        let rows: Vec<usize> = bad.iter().map(|r| r.row).collect();
        assert_eq!(rows, vec![2, 3, 5]);
        assert!(bad[1].errors[0].contains("greater than 0"), "{bad:?}");
    }

    #[test]
    fn rates_reject_presentation_currency_floats_and_duplicates() {
        let bad = parse_rates_csv(
            "NZD,2026-01,1,1\nUSD,2026-01,1e2,1\nUSD,2026-02,1,1\nusd,2026-02,2,2\n",
            &rules(),
        )
        .unwrap_err();
        let rows: Vec<usize> = bad.iter().map(|r| r.row).collect();
        assert_eq!(rows, vec![1, 2, 4]);
    }

    #[test]
    fn a_wrong_header_or_an_empty_paste_is_an_error() {
        let bad = parse_rates_csv(
            "currency,month,avg,closing
USD,2026-01,1,1
",
            &rules(),
        );
        assert_eq!(bad.unwrap_err()[0].row, 1);
        assert!(parse_rates_csv("\n\n", &rules()).is_err());
        assert!(parse_rates_csv(RATES_HEADER, &rules()).is_err());
    }

    /// A rate is positive, at most 1e9, with at most 10 decimal places; its
    /// month is within the group's history and margin. Each bad row is
    /// named, and nothing is returned to store.
    #[test]
    fn rates_are_bounded() {
        let bad = parse_rates_csv(
            "USD,2026-01,10000000000000000000000000,1\n\
             USD,2026-02,1000000001,1\n\
             USD,2026-03,1000000000,0.0000000001\n\
             USD,2026-04,1,0.00000000001\n\
             USD,2019-12,1,1\n\
             USD,2031-01,1,1\n\
             USD,2026-05,0,1\n\
             USD,2026-06,1.50000000000000,1\n",
            &rules(),
        )
        .unwrap_err();
        let rows: Vec<usize> = bad.iter().map(|r| r.row).collect();
        assert_eq!(rows, vec![1, 2, 4, 5, 6, 7], "{bad:?}");
        assert!(bad[0].errors[0].contains("at most 1000000000"), "{bad:?}");
        assert!(bad[2].errors[0].contains("10 decimal places"), "{bad:?}");
        assert!(bad[3].errors[0].contains("2020-01 to 2030-12"), "{bad:?}");
        // The boundaries themselves are good.
        let ok = parse_rates_csv(
            "USD,2020-01,1000000000,0.0000000001\nUSD,2030-12,1.50000000000000,1\n",
            &rules(),
        )
        .unwrap();
        assert_eq!(ok.len(), 2);
    }

    #[test]
    fn rates_pastes_are_bounded_in_size() {
        let many: String = (0..=MAX_RATE_ROWS).map(|_| "USD,2026-01,1,1\n").collect();
        let bad = parse_rates_csv(&many, &rules()).unwrap_err();
        assert_eq!(bad.len(), 1);
        assert!(bad[0].errors[0].contains("at most"), "{bad:?}");
        let big = format!("USD,2026-01,1,{}\n", "1".repeat(MAX_RATES_CSV_BYTES));
        assert!(parse_rates_csv(&big, &rules()).is_err());
    }

    #[test]
    fn rate_months_follow_the_groups_history() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        let m = RateRules::months_for(24, today);
        assert_eq!(
            m.from().to_string(),
            "2023-12",
            "24 months back, then a year"
        );
        assert_eq!(m.to().to_string(), "2027-12", "a year ahead");
    }
}

//! Real simulator responses checked against Xero's own OpenAPI component
//! schemas (read from `tests/fixtures/xero-openapi/`), by a
//! small validator that walks `$ref`, `allOf`/`oneOf`/`anyOf`, `type`,
//! `properties`, `required`, `items`, `enum` and `format`, and reports the
//! JSON path of the first mismatch. Properties that the schema does not
//! declare must be ones that real Xero sends anyway: the envelope's `Id`,
//! `Status`, `ProviderName` and `DateTimeUTC`, the token response's
//! `scope`, or a key of a recorded response in `tests/fixtures/xero-samples/`
//! (`DateString`, `HasErrors`, ...). So a mis-cased or invented field name
//! fails.

use std::sync::OnceLock;

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

const ACCOUNTING: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/xero-openapi/xero_accounting.yaml"
);
const IDENTITY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/xero-openapi/xero-identity.yaml"
);

fn load(path: &str) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn accounting() -> &'static Value {
    static S: OnceLock<Value> = OnceLock::new();
    S.get_or_init(|| load(ACCOUNTING))
}

fn identity() -> &'static Value {
    static S: OnceLock<Value> = OnceLock::new();
    S.get_or_init(|| load(IDENTITY))
}

const ENVELOPE: [&str; 4] = ["Id", "Status", "ProviderName", "DateTimeUTC"];

struct Validator<'a> {
    root: &'a Value,
    /// Root properties that real Xero sends beyond its spec.
    extra: &'a [&'a str],
    /// When set, properties outside the schema are collected here instead
    /// of failing.
    unknown: Option<std::cell::RefCell<std::collections::BTreeSet<String>>>,
}

impl Validator<'_> {
    fn resolve(&self, r: &str) -> Result<&Value, String> {
        let ptr = r
            .strip_prefix('#')
            .ok_or_else(|| format!("external $ref {r} is not supported"))?;
        self.root
            .pointer(ptr)
            .ok_or_else(|| format!("$ref {r} does not resolve"))
    }

    fn check(&self, schema: &Value, v: &Value, path: &str) -> Result<(), String> {
        if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            return self.check(self.resolve(r)?, v, path);
        }
        if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
            for s in all {
                self.check(s, v, path)?;
            }
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(any) = schema.get(key).and_then(Value::as_array)
                && !any.iter().any(|s| self.check(s, v, path).is_ok())
            {
                return Err(format!("{path}: matches none of {key}"));
            }
        }
        if v.is_null() {
            return if schema.get("nullable").and_then(Value::as_bool) == Some(true) {
                Ok(())
            } else {
                Err(format!("{path}: null where the schema has no nullable"))
            };
        }
        if let Some(e) = schema.get("enum").and_then(Value::as_array)
            && !e
                .iter()
                .any(|x| x.as_str().is_some() && x.as_str() == v.as_str())
        {
            return Err(format!("{path}: {v} is not one of the enum values"));
        }
        let ty = schema.get("type").and_then(Value::as_str).or_else(|| {
            // Schemas with properties but no `type` are objects.
            schema.get("properties").map(|_| "object")
        });
        match ty {
            Some("object") => {
                let Some(obj) = v.as_object() else {
                    return Err(format!("{path}: expected an object, got {v}"));
                };
                let props = schema.get("properties").and_then(Value::as_object);
                for req in schema
                    .get("required")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                {
                    if !obj.contains_key(req) {
                        return Err(format!("{path}: required property {req} is missing"));
                    }
                }
                if let Some(props) = props {
                    for (k, x) in obj {
                        match props.get(k) {
                            Some(s) => self.check(s, x, &format!("{path}.{k}"))?,
                            None if path == "$" && self.extra.contains(&k.as_str()) => {}
                            None => {
                                if self.unknown.is_none() {
                                    return Err(format!("{path}.{k}: not in the schema"));
                                }
                                if let Some(u) = &self.unknown {
                                    u.borrow_mut().insert(k.clone());
                                }
                            }
                        }
                    }
                }
            }
            Some("array") => {
                let Some(a) = v.as_array() else {
                    return Err(format!("{path}: expected an array, got {v}"));
                };
                if let Some(items) = schema.get("items") {
                    for (i, x) in a.iter().enumerate() {
                        self.check(items, x, &format!("{path}[{i}]"))?;
                    }
                }
            }
            Some("string") => {
                let Some(s) = v.as_str() else {
                    return Err(format!("{path}: expected a string, got {v}"));
                };
                match schema.get("format").and_then(Value::as_str) {
                    Some("uuid") if uuid::Uuid::parse_str(s).is_err() => {
                        return Err(format!("{path}: {s:?} is not a uuid"));
                    }
                    Some("date") if !is_date(s) => {
                        return Err(format!("{path}: {s:?} is not a date"));
                    }
                    Some("date-time") if !is_date_time(s) => {
                        return Err(format!("{path}: {s:?} is not a date-time"));
                    }
                    _ => {}
                }
            }
            Some("number") if !v.is_number() => {
                return Err(format!("{path}: expected a number, got {v}"));
            }
            Some("integer") if !(v.is_i64() || v.is_u64()) => {
                return Err(format!("{path}: expected an integer, got {v}"));
            }
            Some("boolean") if !v.is_boolean() => {
                return Err(format!("{path}: expected a boolean, got {v}"));
            }
            Some("number" | "integer" | "boolean") => {}
            Some(other) => return Err(format!("{path}: unknown schema type {other}")),
            None => {}
        }
        Ok(())
    }
}

/// Every key of every real Xero response in `tests/fixtures/xero-samples/`.
fn sample_keys() -> std::collections::BTreeSet<String> {
    fn walk(v: &Value, out: &mut std::collections::BTreeSet<String>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    out.insert(k.clone());
                    walk(x, out);
                }
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/xero-samples");
    let mut out = std::collections::BTreeSet::new();
    for e in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{dir}: {e}")) {
        let p = e.unwrap().path();
        if p.to_string_lossy().ends_with(".body.json") {
            let v: Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
            walk(&v, &mut out);
        }
    }
    out
}

/// Properties the spec leaves out are fine only when real Xero sends them.
fn assert_real_keys<'a>(unknown: impl IntoIterator<Item = &'a String>) {
    let real = sample_keys();
    let invented: Vec<&String> = unknown.into_iter().filter(|k| !real.contains(*k)).collect();
    assert!(
        invented.is_empty(),
        "properties in neither Xero's spec nor its recorded responses: {invented:?}"
    );
}

fn is_date(s: &str) -> bool {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
        || (s.starts_with("/Date(") && s.ends_with(")/"))
}

/// ISO date-times, with or without a zone (Xero's connections have none).
fn is_date_time(s: &str) -> bool {
    chrono::DateTime::parse_from_rfc3339(s).is_ok()
        || chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").is_ok()
}

fn validate(spec: &Value, schema: &str, v: &Value) -> Result<(), String> {
    validate_with(spec, schema, v, &ENVELOPE)
}

fn validate_with(spec: &Value, schema: &str, v: &Value, extra: &[&str]) -> Result<(), String> {
    let root = Validator {
        root: spec,
        extra,
        unknown: None,
    };
    let s = root.resolve(&format!("#/components/schemas/{schema}"))?;
    root.check(s, v, "$")
}

/// Like [`validate`], but returns the properties the schema does not
/// declare instead of failing on them.
fn validate_collect(spec: &Value, schema: &str, v: &Value) -> Result<Vec<String>, String> {
    let root = Validator {
        root: spec,
        extra: &ENVELOPE,
        unknown: Some(Default::default()),
    };
    let s = root.resolve(&format!("#/components/schemas/{schema}"))?;
    root.check(s, v, "$")?;
    Ok(root
        .unknown
        .map(|u| u.into_inner().into_iter().collect())
        .unwrap_or_default())
}

#[test]
fn the_validator_reports_the_first_mismatch_path() {
    let spec = accounting();
    let bad = serde_json::json!({"Invoices": [{"InvoiceID": "not-a-uuid"}]});
    let e = validate(spec, "Invoices", &bad).unwrap_err();
    assert!(e.starts_with("$.Invoices[0].InvoiceID"), "{e}");
    let bad = serde_json::json!({"Invoices": [{"Total": "12.00"}]});
    let e = validate(spec, "Invoices", &bad).unwrap_err();
    assert!(
        e.starts_with("$.Invoices[0].Total: expected a number"),
        "{e}"
    );
    let bad = serde_json::json!({"Invoices": [{"InvoiceId": "x"}]});
    assert!(
        validate(spec, "Invoices", &bad)
            .unwrap_err()
            .contains("not in the schema")
    );
    let bad = serde_json::json!({"Invoices": [{"Type": "NOPE"}]});
    assert!(
        validate(spec, "Invoices", &bad)
            .unwrap_err()
            .contains("enum")
    );
}

async fn fetch(path: &str, tenant: uuid::Uuid) -> (StatusCode, Value) {
    let demo = shared_demo();
    let r = demo.get(tenant, path).send().await.unwrap();
    let s = r.status();
    (s, r.json().await.unwrap())
}

#[tokio::test]
async fn accounting_responses_match_xeros_schemas() {
    let spec = accounting();
    let demo = shared_demo();
    let mut unknown = std::collections::BTreeSet::new();
    for (t, name) in demo.tenants.clone() {
        let cases = [
            ("/Organisation", "Organisations"),
            ("/Accounts", "Accounts"),
            ("/Contacts?page=1", "Contacts"),
            ("/Invoices?page=1&pageSize=50", "Invoices"),
            ("/ManualJournals?page=1", "ManualJournals"),
            ("/Currencies", "Currencies"),
            ("/TrackingCategories", "TrackingCategories"),
            ("/Payments?page=1", "Payments"),
            ("/CreditNotes?page=1", "CreditNotes"),
            ("/BankTransactions?page=1", "BankTransactions"),
            ("/Overpayments?page=1", "Overpayments"),
            ("/Prepayments?page=1", "Prepayments"),
            (
                "/Reports/ProfitAndLoss?fromDate=2026-03-01&toDate=2026-03-31&periods=2&timeframe=MONTH",
                "ReportWithRows",
            ),
            ("/Reports/BalanceSheet?date=2026-03-31", "ReportWithRows"),
            ("/Reports/TrialBalance?date=2026-03-31", "ReportWithRows"),
        ];
        for (path, schema) in cases {
            let (status, v) = fetch(path, t).await;
            assert_eq!(status, StatusCode::OK, "{name} {path}");
            match validate_collect(spec, schema, &v) {
                Ok(u) => unknown.extend(u),
                Err(e) => panic!("{name} {path} against {schema}: {e}"),
            }
        }
    }
    // One invoice, unpaged (no line items), and a 400.
    let kea = demo.tenant("Kea Holdings");
    let (_, v) = fetch("/Invoices?page=1&pageSize=1", kea).await;
    let id = v["Invoices"][0]["InvoiceID"].as_str().unwrap().to_string();
    let (_, one) = fetch(&format!("/Invoices/{id}"), kea).await;
    unknown.extend(validate_collect(spec, "Invoices", &one).unwrap());
    assert_real_keys(&unknown);
    let (status, err) = fetch("/Invoices?where=Total%3E%3D%3D", kea).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    validate(spec, "Error", &err).unwrap();
}

#[tokio::test]
async fn validation_errors_match_the_error_schema() {
    let sim = Sim::empty().await;
    let tenants = sim.setup().await;
    let tok = token_of(&sim.login_with(WRITE_SCOPES).await);
    let r = sim
        .api(reqwest::Method::PUT, &tok, Some(tenants[0]), "/Invoices")
        .json(&serde_json::json!({"Invoices": [{"Type": "ACCREC"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let v: Value = r.json().await.unwrap();
    let unknown = validate_collect(accounting(), "Error", &v).unwrap();
    assert_real_keys(&unknown);
}

#[tokio::test]
async fn identity_responses_match_xeros_schemas() {
    let spec = identity();
    let sim = Sim::empty().await;
    sim.setup().await;
    let t = sim.login().await;
    // Xero's token response carries `scope` (see xero-samples), which
    // the identity spec's AccessToken leaves out.
    validate_with(spec, "AccessToken", &t, &["scope"]).unwrap();
    let conns: Value = sim
        .http
        .get(sim.url("/connections"))
        .bearer_auth(token_of(&t))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for (i, c) in conns.as_array().unwrap().iter().enumerate() {
        if let Err(e) = validate(spec, "Connection", c) {
            panic!("connection {i}: {e}");
        }
    }
}

/// Credit notes, allocations, spend and receive money, overpayments,
/// prepayments and payments, as written and as read, against Xero's
/// schemas.
#[tokio::test]
async fn books_responses_match_xeros_schemas() {
    use crate::books::{Books, num};
    let spec = accounting();
    let b = Books::new().await;
    let mut unknown = std::collections::BTreeSet::new();
    let mut check = |schema: &str, v: &Value| match validate_collect(spec, schema, v) {
        Ok(u) => unknown.extend(u),
        Err(e) => panic!("{schema}: {e}\n{v}"),
    };
    let inv = b.invoice("ACCREC", "AUD", "0.90", "1000.00").await;
    let bill = b.invoice("ACCPAY", "NZD", "1", "80.00").await;
    let v = b
        .ok(
            reqwest::Method::PUT,
            "/Payments",
            serde_json::json!({"Payments": [{"Invoice": {"InvoiceID": inv},
                "Account": {"Code": "090"}, "Date": "2026-03-20", "Amount": 100,
                "CurrencyRate": num("0.80")}]}),
        )
        .await;
    check("Payments", &v);
    let v = b
        .ok(
            reqwest::Method::PUT,
            "/CreditNotes",
            serde_json::json!({"CreditNotes": [{"Type": "ACCRECCREDIT",
                "Contact": {"Name": "Wallaby Pty"}, "Date": "2026-03-15",
                "Status": "AUTHORISED", "CurrencyCode": "AUD", "CurrencyRate": num("0.90"),
                "LineItems": [{"Description": "x", "Quantity": 1, "UnitAmount": 50,
                               "AccountCode": "200"}]}]}),
        )
        .await;
    check("CreditNotes", &v);
    let cn = v["CreditNotes"][0]["CreditNoteID"]
        .as_str()
        .unwrap()
        .to_string();
    let v = b
        .ok(
            reqwest::Method::PUT,
            &format!("/CreditNotes/{cn}/Allocations"),
            serde_json::json!({"Allocations": [{"Invoice": {"InvoiceID": inv},
                "Amount": 20, "Date": "2026-03-21"}]}),
        )
        .await;
    check("Allocations", &v);
    let line = serde_json::json!([{"Description": "x", "Quantity": 1, "UnitAmount": 30,
                                   "AccountCode": "429"}]);
    let mut bts = Vec::new();
    for ty in [
        "SPEND",
        "RECEIVE",
        "RECEIVE-OVERPAYMENT",
        "SPEND-PREPAYMENT",
    ] {
        bts.push(
            serde_json::json!({"Type": ty, "Contact": {"Name": "Kiwi Hardware"},
            "BankAccount": {"Code": "090"}, "Date": "2026-03-05", "LineItems": line}),
        );
    }
    let v = b
        .ok(
            reqwest::Method::PUT,
            "/BankTransactions",
            serde_json::json!({"BankTransactions": bts}),
        )
        .await;
    check("BankTransactions", &v);
    for path in [
        "/Payments?page=1",
        "/CreditNotes?page=1",
        "/CreditNotes",
        "/BankTransactions?page=1",
        "/Overpayments?page=1",
        "/Prepayments?page=1",
    ] {
        let v = b.get(path).await;
        let schema = path.trim_start_matches('/').split('?').next().unwrap();
        check(schema, &v);
    }
    for (path, schema) in [
        (format!("/Invoices/{inv}"), "Invoices"),
        (format!("/Invoices/{bill}"), "Invoices"),
        (format!("/CreditNotes/{cn}"), "CreditNotes"),
        (
            "/Reports/ProfitAndLoss?fromDate=2026-03-01&toDate=2026-03-31".to_string(),
            "ReportWithRows",
        ),
    ] {
        check(schema, &b.get(&path).await);
    }
    assert_real_keys(&unknown);
    // A bad credit note is Xero's ValidationException.
    let (s, v) = b
        .send(
            reqwest::Method::PUT,
            "/CreditNotes",
            Some(serde_json::json!({"CreditNotes": [{"Type": "ACCRECCREDIT"}]})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let unknown = validate_collect(spec, "Error", &v).unwrap();
    assert_real_keys(&unknown);
}

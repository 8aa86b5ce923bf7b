//! Intercompany balances end to end on the demo group with issue 11's
//! real-life cases, and a few more documents written here through the
//! simulator's Xero API: a GBP invoice with a credit note allocated against
//! it and a part payment, a prepayment partly allocated to an invoice, and
//! a one-sided overpayment. Consol connects through the simulator's OAuth,
//! syncs over HTTP and is set up through its public API only (suggestions,
//! intercompany contacts, the AUD loan's accounts marked intercompany,
//! rates). The reconciliation it gives at the last month end is compared,
//! to the cent, with a recomputation written out here from the documents
//! the simulator's own API lists: each document's amount outstanding at
//! the month end (its total less the payments and allocations dated on or
//! before it), summed per entity, counterpart, side and currency, and
//! translated at the closing rate set below, rounded once; the loan from
//! Xero's balance sheet. The engine works the other way (documents and
//! payments, allocations left out as moves within a contact), so the two
//! agree only if both are right.

use std::collections::{BTreeMap, HashMap};

use chrono::{Duration, NaiveDate, Utc};
use consol::domain::Month;
use consol::sim::demo_balance_sheet::{LOAN_ASSET_CODE, LOAN_LIABILITY_CODE};
use consol::xero::XeroDate;
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Value, json};

use crate::backends;
use crate::helpers::{Backend, SimApp, api_token, connect_demo_group, sync_group, user_id};

backends!(the_real_life_cases_balances_are_recomputed_from_xeros_documents);

fn dec(v: &Value) -> Decimal {
    match v {
        Value::String(s) => s.parse().unwrap_or_else(|_| panic!("not a decimal: {v}")),
        Value::Number(n) => n
            .to_string()
            .parse()
            .unwrap_or_else(|_| panic!("not a decimal: {v}")),
        _ => panic!("not a decimal: {v}"),
    }
}

/// Half away from zero at cents, as the rules round a translation.
fn cents(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

fn date_of(v: &Value) -> NaiveDate {
    XeroDate::parse(v.as_str().unwrap_or_else(|| panic!("no date: {v}")))
        .unwrap()
        .date()
}

/// One organisation as the simulator's Xero API serves it.
struct Xero {
    http: reqwest::Client,
    api: String,
    token: String,
    tenant: String,
}

impl Xero {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        loop {
            let mut req = self
                .http
                .request(method.clone(), format!("{}/{path}", self.api))
                .bearer_auth(&self.token)
                .header("xero-tenant-id", &self.tenant)
                .header("accept", "application/json");
            if let Some(b) = &body {
                req = req.json(b);
            }
            let resp = req.send().await.unwrap();
            let status = resp.status().as_u16();
            // Xero's rate limit: wait as asked, as any client must.
            if status == 429 {
                let wait = resp
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok()?.parse().ok())
                    .unwrap_or(1u64);
                tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
                continue;
            }
            let text = resp.text().await.unwrap();
            assert_eq!(status, 200, "{method} {path}: {text}");
            return serde_json::from_str(&text).unwrap();
        }
    }

    async fn get(&self, path: &str) -> Value {
        self.call(reqwest::Method::GET, path, None).await
    }

    async fn put(&self, path: &str, body: Value) -> Value {
        self.call(reqwest::Method::PUT, path, Some(body)).await
    }

    /// Every record of a list endpoint, page by page (1,000 a page).
    async fn all(&self, endpoint: &str) -> Vec<Value> {
        let mut out = Vec::new();
        for page in 1.. {
            let v = self
                .get(&format!("{endpoint}?page={page}&pageSize=1000"))
                .await;
            let items = v[endpoint].as_array().cloned().unwrap_or_default();
            let n = items.len();
            out.extend(items);
            if n < 1000 {
                break;
            }
        }
        out
    }
}

fn money(s: &str) -> Value {
    Value::Number(s.parse().unwrap())
}

fn line(amount: &str, account: &str) -> Value {
    json!([{ "Description": "Intercompany", "Quantity": money("1"), "UnitAmount": money(amount), "AccountCode": account }])
}

#[allow(clippy::too_many_arguments)]
async fn invoice(
    x: &Xero,
    ty: &str,
    number: &str,
    contact: &str,
    d: NaiveDate,
    cur: &str,
    amount: &str,
    account: &str,
) -> String {
    let v = x
        .put(
            "Invoices",
            json!({ "Invoices": [{
                "Type": ty, "InvoiceNumber": number, "Contact": { "Name": contact },
                "Date": d.to_string(), "DueDate": (d + Duration::days(30)).to_string(),
                "Status": "AUTHORISED", "LineAmountTypes": "NoTax", "CurrencyCode": cur,
                "LineItems": line(amount, account),
            }]}),
        )
        .await;
    v["Invoices"][0]["InvoiceID"].as_str().unwrap().to_string()
}

#[allow(clippy::too_many_arguments)]
async fn credit_note(
    x: &Xero,
    ty: &str,
    number: &str,
    contact: &str,
    d: NaiveDate,
    cur: &str,
    amount: &str,
    account: &str,
) -> String {
    let v = x
        .put(
            "CreditNotes",
            json!({ "CreditNotes": [{
                "Type": ty, "CreditNoteNumber": number, "Contact": { "Name": contact },
                "Date": d.to_string(), "Status": "AUTHORISED", "LineAmountTypes": "NoTax",
                "CurrencyCode": cur, "LineItems": line(amount, account),
            }]}),
        )
        .await;
    v["CreditNotes"][0]["CreditNoteID"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A spend or receive money transaction that makes an overpayment or a
/// prepayment; returns the id of the credit it makes.
async fn bank_credit(
    x: &Xero,
    ty: &str,
    contact: &str,
    d: NaiveDate,
    amount: &str,
    account: &str,
) -> String {
    let v = x
        .put(
            "BankTransactions",
            json!({ "BankTransactions": [{
                "Type": ty, "Contact": { "Name": contact }, "BankAccount": { "Code": "090" },
                "Date": d.to_string(), "Reference": format!("{ty} {d}"), "LineAmountTypes": "NoTax",
                "LineItems": line(amount, account),
            }]}),
        )
        .await;
    let t = &v["BankTransactions"][0];
    t["PrepaymentID"]
        .as_str()
        .or(t["OverpaymentID"].as_str())
        .unwrap_or_else(|| panic!("{v}"))
        .to_string()
}

async fn allocate(x: &Xero, credit: &str, id: &str, invoice: &str, d: NaiveDate, amount: &str) {
    x.put(
        &format!("{credit}/{id}/Allocations"),
        json!({ "Allocations": [{ "Invoice": { "InvoiceID": invoice }, "Amount": money(amount), "Date": d.to_string() }]}),
    )
    .await;
}

async fn pay(x: &Xero, invoice: &str, d: NaiveDate, amount: &str) {
    x.put(
        "Payments",
        json!({ "Payments": [{
            "Invoice": { "InvoiceID": invoice }, "Account": { "Code": "090" },
            "Date": d.to_string(), "Amount": money(amount),
        }]}),
    )
    .await;
}

/// What one entity's books say it is owed by (positive) or owes to
/// (negative) each counterpart at `end`, per side (receivables or
/// payables) and transaction currency, recomputed from Xero's documents.
/// Also each document's outstanding amount by its number, to show that
/// the cases below were read as written.
async fn claims_at(
    x: &Xero,
    end: NaiveDate,
    counterpart_of: &HashMap<String, i64>,
) -> (
    BTreeMap<(i64, bool, String), Decimal>,
    HashMap<String, Decimal>,
) {
    let posted = |d: &Value| matches!(d["Status"].as_str(), Some("AUTHORISED" | "PAID"));
    let counterpart = |d: &Value| {
        d["Contact"]["Name"]
            .as_str()
            .and_then(|n| counterpart_of.get(n))
            .copied()
    };
    // Applied to each invoice by the month end, and used of each credit.
    let mut applied: HashMap<String, Decimal> = HashMap::new();
    let mut used: HashMap<String, Decimal> = HashMap::new();
    let mut credits = Vec::new();
    for (endpoint, id_field) in [
        ("CreditNotes", "CreditNoteID"),
        ("Overpayments", "OverpaymentID"),
        ("Prepayments", "PrepaymentID"),
    ] {
        for c in x.all(endpoint).await {
            if !posted(&c) {
                continue;
            }
            let id = c[id_field].as_str().unwrap().to_string();
            let allocations = c["Allocations"].as_array().cloned().unwrap_or_default();
            // What Xero says is left must be the total less every
            // allocation: nothing was refunded in the demo.
            let all: Decimal = allocations.iter().map(|a| dec(&a["Amount"])).sum();
            assert_eq!(
                dec(&c["Total"]) - all,
                dec(&c["RemainingCredit"]),
                "{endpoint} {id}: {c}"
            );
            for a in &allocations {
                if a["IsDeleted"] == json!(true) || date_of(&a["Date"]) > end {
                    continue;
                }
                let amount = dec(&a["Amount"]);
                *applied
                    .entry(a["Invoice"]["InvoiceID"].as_str().unwrap().to_string())
                    .or_default() += amount;
                *used.entry(id.clone()).or_default() += amount;
            }
            credits.push((endpoint, id, c));
        }
    }
    for p in x.all("Payments").await {
        if p["Status"] == "DELETED" || date_of(&p["Date"]) > end {
            continue;
        }
        let invoice = p["Invoice"]["InvoiceID"]
            .as_str()
            .unwrap_or_else(|| panic!("a payment of something other than an invoice: {p}"));
        *applied.entry(invoice.to_string()).or_default() += dec(&p["Amount"]);
    }

    let mut claims: BTreeMap<(i64, bool, String), Decimal> = BTreeMap::new();
    let mut outstanding = HashMap::new();
    let mut add = |c: i64, payable: bool, cur: &Value, claim: Decimal| {
        *claims
            .entry((c, payable, cur.as_str().unwrap().to_string()))
            .or_default() += claim;
    };
    for i in x.all("Invoices").await {
        let Some(c) = counterpart(&i) else { continue };
        if !posted(&i) || date_of(&i["Date"]) > end {
            continue;
        }
        let id = i["InvoiceID"].as_str().unwrap();
        let left = dec(&i["Total"]) - applied.get(id).copied().unwrap_or_default();
        let payable = i["Type"] == "ACCPAY";
        add(
            c,
            payable,
            &i["CurrencyCode"],
            if payable { -left } else { left },
        );
        outstanding.insert(i["InvoiceNumber"].as_str().unwrap_or(id).to_string(), left);
    }
    for (endpoint, id, c) in credits {
        let Some(who) = counterpart(&c) else { continue };
        if date_of(&c["Date"]) > end {
            continue;
        }
        let left = dec(&c["Total"]) - used.get(&id).copied().unwrap_or_default();
        // A credit the entity gave (a credit note to a customer, money
        // received ahead) lowers its claim; one it holds raises it.
        let ty = c["Type"].as_str().unwrap();
        let payable = matches!(
            ty,
            "ACCPAYCREDIT" | "SPEND-OVERPAYMENT" | "SPEND-PREPAYMENT"
        );
        assert!(
            payable
                || matches!(
                    ty,
                    "ACCRECCREDIT" | "RECEIVE-OVERPAYMENT" | "RECEIVE-PREPAYMENT"
                ),
            "{endpoint}: {ty}"
        );
        add(
            who,
            payable,
            &c["CurrencyCode"],
            if payable { left } else { -left },
        );
        let name = c["CreditNoteNumber"]
            .as_str()
            .or(c["Reference"].as_str())
            .unwrap_or(&id);
        outstanding.insert(name.to_string(), left);
    }
    (claims, outstanding)
}

/// The amount of an account's row on Xero's balance sheet at `end`.
async fn balance_of(x: &Xero, end: NaiveDate, account_id: &str) -> Decimal {
    let r = x
        .get(&format!(
            "Reports/BalanceSheet?date={end}&standardLayout=true"
        ))
        .await;
    fn find(rows: &Value, id: &str) -> Option<Decimal> {
        for row in rows.as_array()? {
            let cells = row["Cells"].as_array();
            let hit = cells.and_then(|c| c.first()).is_some_and(|c0| {
                c0["Attributes"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|at| at["Value"] == id))
            });
            if hit {
                return Some(dec(&row["Cells"][1]["Value"]));
            }
            if let Some(v) = find(&row["Rows"], id) {
                return Some(v);
            }
        }
        None
    }
    find(&r["Reports"][0]["Rows"], account_id).unwrap_or_else(|| panic!("no row {account_id}"))
}

async fn the_real_life_cases_balances_are_recomputed_from_xeros_documents(backend: Backend) {
    // The demo with its real-life cases (the simulator's default).
    let mut s: SimApp = crate::helpers::spawn_with_sim(backend).await;
    let gid = connect_demo_group(&mut s, None).await;
    let store = s.app.store().clone();
    let uid = user_id(&store, "fin@example.com").await;
    api_token(&store, uid, "consol_icc_token").await;
    let http = reqwest::Client::new();
    let base = format!("{}/api/v1/groups/{gid}", s.app.address);
    let consol = |method: reqwest::Method, path: &str, body: Option<Value>| {
        let req = http
            .request(method, format!("{base}{path}"))
            .bearer_auth("consol_icc_token");
        let req = match body {
            Some(b) => req.json(&b),
            None => req,
        };
        async move {
            let resp = req.send().await.unwrap();
            let status = resp.status().as_u16();
            let v: Value = resp.json().await.unwrap();
            assert!(status == 200 || status == 201, "{status}: {v}");
            v
        }
    };

    // Each entity's Xero organisation, by the group's entities as the API
    // lists them.
    let entities = consol(reqwest::Method::GET, "/entities", None).await;
    let entities = entities.as_array().unwrap().clone();
    let mut xero: HashMap<i64, Xero> = HashMap::new();
    let mut legal: HashMap<String, i64> = HashMap::new();
    let mut base_of: HashMap<i64, String> = HashMap::new();
    let mut by_name: HashMap<String, i64> = HashMap::new();
    // The test enters documents as a bookkeeper would, through each
    // organisation's Custom Connection (its own client credentials, every
    // scope), not through Consol's read-only consent.
    let orgs = s.control("GET", "/_sim/organisations", None).await;
    for e in &entities {
        let id = e["id"].as_i64().unwrap();
        let tenant = e["tenant_id"].as_str().unwrap().to_string();
        let custom = &orgs
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["tenant_id"] == tenant.as_str())
            .unwrap()["custom_connection"];
        let token: Value = http
            .post(format!("{}/connect/token", s.sim.base_url()))
            .basic_auth(
                custom["client_id"].as_str().unwrap(),
                custom["client_secret"].as_str(),
            )
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let x = Xero {
            http: http.clone(),
            api: s.sim.api_url(),
            token: token["access_token"]
                .as_str()
                .unwrap_or_else(|| panic!("{token}"))
                .to_string(),
            tenant,
        };
        let org = x.get("Organisation").await;
        legal.insert(
            org["Organisations"][0]["LegalName"]
                .as_str()
                .unwrap()
                .to_string(),
            id,
        );
        base_of.insert(id, e["base_currency"].as_str().unwrap().to_string());
        by_name.insert(e["name"].as_str().unwrap().to_string(), id);
        xero.insert(id, x);
    }
    let entity = |base: &str| *base_of.iter().find(|(_, b)| b.as_str() == base).unwrap().0;
    // Kea Holdings is the parent (Tui Ventures is in NZD too).
    let kea = store
        .entities_for_group(gid)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.is_parent)
        .unwrap()
        .id;
    let (wattle, thistle) = (entity("AUD"), entity("GBP"));
    let tui = by_name[consol::sim::demo_cases::PART_WAY_ENTITY];
    let legal_of = |id: i64| legal.iter().find(|(_, e)| **e == id).unwrap().0.clone();

    // The month end: the last complete month, as the real-life cases use.
    let at = Month::of(Utc::now().date_naive()).prev();
    let end = at.last_day();
    let day = |n: i64| at.first_day() + Duration::days(n);
    let tag = format!("{}{:02}", at.year(), at.month());

    // A GBP invoice from Kea Holdings to Thistle & Co, a credit note
    // allocated against it on each side, and a part payment.
    let (kx, tx) = (&xero[&kea], &xero[&thistle]);
    let number = format!("ICCR-{tag}");
    let sale = invoice(
        kx,
        "ACCREC",
        &number,
        &legal_of(thistle),
        day(2),
        "GBP",
        "3000.00",
        "215",
    )
    .await;
    let bill = invoice(
        tx,
        "ACCPAY",
        &number,
        &legal_of(kea),
        day(2),
        "GBP",
        "3000.00",
        "486",
    )
    .await;
    let cn = format!("ICCR-{tag}-CN");
    let given = credit_note(
        kx,
        "ACCRECCREDIT",
        &cn,
        &legal_of(thistle),
        day(6),
        "GBP",
        "400.00",
        "215",
    )
    .await;
    let held = credit_note(
        tx,
        "ACCPAYCREDIT",
        &cn,
        &legal_of(kea),
        day(6),
        "GBP",
        "400.00",
        "486",
    )
    .await;
    allocate(kx, "CreditNotes", &given, &sale, day(6), "400.00").await;
    allocate(tx, "CreditNotes", &held, &bill, day(6), "400.00").await;
    pay(tx, &bill, day(12), "1000.00").await;
    pay(kx, &sale, day(12), "1000.00").await;
    // Tui Ventures pays Kea Holdings ahead (a prepayment on each side),
    // 500 of it applied to an open management fee invoice; Kea Holdings
    // also holds an overpayment Tui Ventures never recorded.
    let ux = &xero[&tui];
    let fee = format!("MGMT-TUI-{}", {
        let m = at.prev();
        format!("{}{:02}", m.year(), m.month())
    });
    let fee_of = |l: Vec<Value>| {
        l.into_iter()
            .find(|i| i["InvoiceNumber"] == fee.as_str())
            .unwrap()["InvoiceID"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (kea_fee, tui_fee) = (
        fee_of(kx.all("Invoices").await),
        fee_of(ux.all("Invoices").await),
    );
    let received = bank_credit(
        kx,
        "RECEIVE-PREPAYMENT",
        &legal_of(tui),
        day(8),
        "800.00",
        "215",
    )
    .await;
    let spent = bank_credit(
        ux,
        "SPEND-PREPAYMENT",
        &legal_of(kea),
        day(8),
        "800.00",
        "486",
    )
    .await;
    allocate(kx, "Prepayments", &received, &kea_fee, day(9), "500.00").await;
    allocate(ux, "Prepayments", &spent, &tui_fee, day(9), "500.00").await;
    bank_credit(
        kx,
        "RECEIVE-OVERPAYMENT",
        &legal_of(tui),
        day(15),
        "120.50",
        "215",
    )
    .await;

    sync_group(&s, gid).await;
    for r in store.latest_runs_for_group(gid).await.unwrap() {
        assert_eq!(r.state, "succeeded", "{r:?}");
    }

    // Set-up through the API: suggestions confirmed, then the intercompany
    // contacts are exactly those named for another entity of the group.
    consol(
        reqwest::Method::POST,
        "/apply-suggestions",
        Some(json!({"confirm": true})),
    )
    .await;
    let mut contacts = Vec::new();
    let mut expected_contacts = Vec::new();
    for (&e, x) in &xero {
        for c in x.all("Contacts").await {
            let Some(&other) = c["Name"].as_str().and_then(|n| legal.get(n)) else {
                continue;
            };
            if other == e {
                continue;
            }
            let id = c["ContactID"].as_str().unwrap().to_string();
            contacts.push(json!({"entity_id": e, "contact_id": id, "counterpart_entity_id": other, "confirmed": true}));
            expected_contacts.push((e, id, other));
        }
    }
    consol(
        reqwest::Method::PUT,
        "/intercompany-contacts",
        Some(Value::Array(contacts)),
    )
    .await;
    let view = consol(reqwest::Method::GET, "/intercompany-contacts", None).await;
    let mut confirmed: Vec<(i64, String, i64)> = view["confirmed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["entity_id"].as_i64().unwrap(),
                c["contact_id"].as_str().unwrap().to_string(),
                c["counterpart_entity_id"].as_i64().unwrap(),
            )
        })
        .collect();
    confirmed.sort();
    expected_contacts.sort();
    assert_eq!(confirmed, expected_contacts);

    // The loan's two accounts, found in the mappings the API lists.
    let mappings = consol(reqwest::Method::GET, "/account-mappings", None).await;
    let account = |e: i64, code: &str| {
        mappings["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["entity_id"] == e && a["code"] == code)
            .unwrap_or_else(|| panic!("no account {code} of entity {e}"))["account_id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (lent, owed) = (
        account(kea, LOAN_ASSET_CODE),
        account(wattle, LOAN_LIABILITY_CODE),
    );
    consol(
        reqwest::Method::PUT,
        "/intercompany-accounts",
        Some(json!([
            {"entity_id": kea, "account_id": lent, "counterpart_entity_id": wattle},
            {"entity_id": wattle, "account_id": owed, "counterpart_entity_id": kea},
        ])),
    )
    .await;

    // Rates: one set for every month, and the month end's own closing.
    let closing: HashMap<&str, Decimal> = [
        ("NZD", Decimal::ONE),
        ("AUD", "1.0913".parse().unwrap()),
        ("GBP", "2.1457".parse().unwrap()),
        ("USD", "1.6631".parse().unwrap()),
    ]
    .into();
    let mut rates = Vec::new();
    for m in crate::helpers::window() {
        for (cur, other) in [("AUD", "1.0900"), ("GBP", "2.1400"), ("USD", "1.6500")] {
            let c = if m == at {
                closing[cur].to_string()
            } else {
                other.to_string()
            };
            rates.push(
                json!({"currency": cur, "month": m.to_string(), "average": other, "closing": c}),
            );
        }
    }
    consol(reqwest::Method::PUT, "/fx-rates", Some(Value::Array(rates))).await;

    // The recomputation, per entity: claims per counterpart, side and
    // currency, each translated at closing and rounded once.
    let mut sides: BTreeMap<(i64, i64), Decimal> = BTreeMap::new();
    let mut per_balance: BTreeMap<(i64, i64, bool, String), (Decimal, Decimal)> = BTreeMap::new();
    let mut outstanding = HashMap::new();
    for (&e, x) in &xero {
        let (claims, open) = claims_at(x, end, &legal).await;
        for ((c, payable, cur), amount) in claims {
            if c == e {
                continue;
            }
            let t = cents(amount * closing[cur.as_str()]);
            *sides.entry((e, c)).or_default() += t;
            per_balance.insert((e, c, payable, cur), (amount, t));
        }
        outstanding.extend(open.into_iter().map(|(k, v)| ((e, k), v)));
    }
    // The cases were read as written: the GBP invoice less its credit and
    // its part payment, the credit used up, the prepayment less what was
    // applied, the part-paid AUD invoice of the real-life cases.
    let open = |e: i64, n: &str| outstanding[&(e, n.to_string())];
    assert_eq!(open(kea, &number), Decimal::from(1_600));
    assert_eq!(open(thistle, &number), Decimal::from(1_600));
    assert_eq!(open(kea, &cn), Decimal::ZERO);
    let icfx = format!(
        "ICFX-{}{:02}",
        at.prev().prev().year(),
        at.prev().prev().month()
    );
    assert_eq!(open(wattle, &icfx), Decimal::from(6_000));
    assert_eq!(open(kea, &icfx), Decimal::from(6_000));
    assert_eq!(open(kea, &fee), Decimal::from(1_000));
    // The loan, from Xero's balance sheets: Kea Holdings' asset in NZD,
    // Wattle Trading's debt in AUD.
    let lent_nzd = balance_of(&xero[&kea], end, &lent).await;
    let owed_aud = balance_of(&xero[&wattle], end, &owed).await;
    assert!(lent_nzd > Decimal::ZERO && owed_aud > Decimal::ZERO);
    *sides.entry((kea, wattle)).or_default() += cents(lent_nzd);
    *sides.entry((wattle, kea)).or_default() -= cents(owed_aud * closing["AUD"]);

    // The reconciliation, by the API.
    let r = consol(
        reqwest::Method::GET,
        &format!("/reports/intercompany-balances?at={at}"),
        None,
    )
    .await;
    let pairs = r["pairs"].as_array().unwrap_or_else(|| panic!("{r}"));
    let mut seen = Vec::new();
    let mut total_difference = Decimal::ZERO;
    for p in pairs {
        let (a, b) = (
            p["entity_id"].as_i64().unwrap(),
            p["counterpart_id"].as_i64().unwrap(),
        );
        let ab = sides.get(&(a, b)).copied().unwrap_or_default();
        let ba = sides.get(&(b, a)).copied().unwrap_or_default();
        assert_eq!(dec(&p["entity_side"]), ab, "{a} on {b}: {}", p["balances"]);
        assert_eq!(
            dec(&p["counterpart_side"]),
            ba,
            "{b} on {a}: {}",
            p["balances"]
        );
        assert_eq!(
            dec(&p["difference"]),
            ab + ba,
            "{a} and {b}: {}",
            p["balances"]
        );
        total_difference += ab + ba;
        seen.push((a.min(b), a.max(b)));
    }
    // Every pair the recomputation found is in the report.
    for &(a, b) in sides.keys() {
        assert!(
            seen.contains(&(a.min(b), a.max(b))),
            "pair {a}, {b} missing: {r}"
        );
    }
    for pair in [(kea, wattle), (kea, thistle), (kea, tui)] {
        assert!(
            seen.contains(&(pair.0.min(pair.1), pair.0.max(pair.1))),
            "{pair:?}"
        );
    }
    // Each document balance, per side and currency, in its currency and
    // translated.
    let mut reported = 0;
    for p in pairs {
        for b in p["balances"].as_array().unwrap() {
            let e = b["entity"].as_i64().unwrap();
            let c = if e == p["entity_id"].as_i64().unwrap() {
                p["counterpart_id"].as_i64().unwrap()
            } else {
                p["entity_id"].as_i64().unwrap()
            };
            let cur = b["currency"].as_str().unwrap().to_string();
            if b["account_id"] == lent.as_str() || b["account_id"] == owed.as_str() {
                continue;
            }
            let want = [false, true]
                .iter()
                .filter_map(|&payable| per_balance.get(&(e, c, payable, cur.clone())))
                .find(|(amount, _)| *amount == dec(&b["amount"]));
            let (amount, t) =
                want.unwrap_or_else(|| panic!("{e} on {c} in {cur}: {b} not in {per_balance:?}"));
            assert_eq!(dec(&b["translated"]), *t, "{b}");
            assert_eq!(dec(&b["closing_rate"]), closing[cur.as_str()], "{b}");
            assert_eq!(dec(&b["amount"]), *amount);
            reported += 1;
        }
    }
    let nonzero = per_balance.len();
    assert_eq!(reported, nonzero, "{per_balance:?}");

    // The balance sheet's difference line is the pairs' differences.
    let bs = consol(
        reqwest::Method::GET,
        &format!("/reports/balance-sheet?at={at}"),
        None,
    )
    .await;
    let line = bs["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["key"] == "intercompany_difference")
        .unwrap_or_else(|| panic!("{bs}"))
        .clone();
    assert_eq!(dec(&line["values"]["consolidated"]), total_difference);
    assert!(
        !total_difference.is_zero(),
        "the one-sided documents leave a difference"
    );

    // The page shows the same pairs and documents.
    let page = s
        .app
        .client
        .get(&format!(
            "/groups/{gid}/reports/intercompany-balances?at={at}"
        ))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    for n in [number.as_str(), cn.as_str(), icfx.as_str(), fee.as_str()] {
        assert!(page.body.contains(n), "{n} missing from the page");
    }
}

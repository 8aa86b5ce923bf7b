//! The demo group with its real-life cases (credit notes, spend and receive
//! money, a sale to inventory, a part-paid foreign invoice with a realised
//! currency gain or loss, an entity that starts part-way), synced from the
//! simulator and consolidated, checked against the simulator's own books:
//!
//! - each entity column, month by month and line by line, is the
//!   simulator's own P&L translated at the month's average rate (Gross
//!   Profit and Net Profit included);
//! - the eliminations column is recomputed here from the simulator's
//!   intercompany invoices, credit notes and bank transactions, as rule 3
//!   says (each line's base amount at cents, summed per entity, account and
//!   month, translated, rounded once);
//! - a group account that only intercompany lines reach consolidates to
//!   exactly 0.00.
//!
//! Nothing here calls the engine's functions to get an expected number: the
//! reading of Xero's report, the mapping of rows and the sums are written
//! out below.

use std::collections::{BTreeMap, HashMap};

use chrono::Utc;
use consol::consolidation;
use consol::domain::{Month, MonthRange};
use consol::sim::reports::ReportParams;
use consol::sim::{Ledger, ListQuery};
use consol::xero::*;
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::Value;

use crate::helpers::{Backend, SyncedGroup, set_up_like_the_demo, synced_demo_group};

crate::backends!(
    each_entity_column_is_xeros_own_pnl_and_eliminations_are_recomputed,
    a_connection_without_the_new_scopes_is_asked_to_reconnect_and_keeps_its_data,
    the_currency_gains_row_is_mapped_through_the_api_and_the_page
);

/// Half away from zero at cents, as rule 3 says.
fn cents(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

fn dec(v: &Value) -> Decimal {
    v.as_str()
        .unwrap_or_else(|| panic!("not a decimal string: {v}"))
        .parse()
        .unwrap()
}

/// +1 when a row of this P&L section (by its title) raises profit as Xero
/// shows it, -1 when it lowers it.
fn profit_sign(title: &str) -> Decimal {
    let t = title.trim().to_ascii_lowercase();
    if (t.contains("income") || t.contains("revenue")) && !t.starts_with("less") {
        Decimal::ONE
    } else {
        -Decimal::ONE
    }
}

/// One row of Xero's P&L: the key a mapping names it by (its `account`
/// attribute: an AccountID or `FXGROUPID`), its section's title and amount.
#[derive(Debug)]
struct XeroRow {
    key: String,
    section: String,
    amount: Decimal,
}

/// Xero's P&L for a month from the simulator's ledger: its rows, and its
/// Gross Profit and Net Profit.
fn xero_pnl(l: &Ledger, m: Month) -> (Vec<XeroRow>, Decimal, Decimal) {
    let r = l
        .profit_and_loss(&ReportParams {
            from_date: Some(m.first_day()),
            to_date: Some(m.last_day()),
            ..Default::default()
        })
        .unwrap()
        .reports
        .remove(0);
    let mut rows = Vec::new();
    let (mut gross, mut net) = (None, None);
    for section in &r.rows {
        let title = section.title.clone().unwrap_or_default();
        for row in section.rows.iter().flatten() {
            let Some(cells) = &row.cells else { continue };
            let label = cells[0].value.as_str();
            let amount: Decimal = cells[1].value.parse().unwrap_or_default();
            match (row.row_type, label) {
                (RowType::Row, "Gross Profit") => gross = Some(amount),
                (RowType::Row, "Net Profit") => net = Some(amount),
                (RowType::Row, _) => {
                    let key = cells[0]
                        .attributes
                        .iter()
                        .flatten()
                        .find(|a| a.id == "account")
                        .map(|a| a.value.clone())
                        .unwrap_or_else(|| panic!("a P&L row without an account: {label}"));
                    rows.push(XeroRow {
                        key,
                        section: title.clone(),
                        amount,
                    });
                }
                _ => {}
            }
        }
    }
    (rows, gross.unwrap_or_default(), net.expect("Net Profit"))
}

fn all_invoices(l: &Ledger) -> Vec<Invoice> {
    let mut out = Vec::new();
    for page in 1.. {
        let q = ListQuery {
            page: Some(page),
            page_size: Some(1000),
            ..Default::default()
        };
        let got = l.get_invoices(&q).unwrap().invoices;
        let n = got.len();
        out.extend(got);
        if n < 1000 {
            break;
        }
    }
    out
}

/// An intercompany document as the rule reads it: its month, its lines'
/// (account code, net amount in the document currency), its currency rate
/// (None in base currency) and +1 when it raises its accounts as Xero shows
/// them (invoices, bills, spend and receive money), -1 when it lowers them
/// (credit notes).
struct IcDoc {
    month: Month,
    lines: Vec<(String, Decimal)>,
    rate: Option<Decimal>,
    sign: Decimal,
}

fn net_lines(lat: Option<LineAmountTypes>, lines: &[LineItem]) -> Vec<(String, Decimal)> {
    lines
        .iter()
        .map(|li| {
            let mut net = li.line_amount.unwrap();
            if lat == Some(LineAmountTypes::Inclusive) {
                net -= li.tax_amount.unwrap_or_default();
            }
            (li.account_code.clone().unwrap(), net)
        })
        .collect()
}

/// The simulator's documents of `l` with another group entity (by the
/// contact's name, which the demo writes as that entity's legal name).
fn intercompany_documents(l: &Ledger, others: &[String]) -> Vec<IcDoc> {
    let posts = |s: Option<InvoiceStatus>| {
        matches!(s, Some(InvoiceStatus::Authorised | InvoiceStatus::Paid))
    };
    let ic = |c: &Option<Contact>| {
        c.as_ref()
            .and_then(|c| c.name.as_ref())
            .is_some_and(|n| others.contains(n))
    };
    let base = l.base_currency();
    let foreign = |cur: Option<consol::domain::CurrencyCode>, rate: Option<Decimal>| {
        cur.filter(|c| *c != base).map(|_| rate.expect("a rate"))
    };
    let mut out = Vec::new();
    for i in all_invoices(l) {
        if posts(i.status) && ic(&i.contact) {
            out.push(IcDoc {
                month: Month::of(i.date.unwrap().date()),
                lines: net_lines(i.line_amount_types, i.line_items.as_deref().unwrap()),
                rate: foreign(i.currency_code, i.currency_rate),
                sign: Decimal::ONE,
            });
        }
    }
    for c in l
        .get_credit_notes(&ListQuery::default())
        .unwrap()
        .credit_notes
    {
        if posts(c.status) && ic(&c.contact) {
            out.push(IcDoc {
                month: Month::of(c.date.unwrap().date()),
                lines: net_lines(c.line_amount_types, c.line_items.as_deref().unwrap()),
                rate: foreign(c.currency_code, c.currency_rate),
                sign: -Decimal::ONE,
            });
        }
    }
    for b in l
        .get_bank_transactions(&ListQuery::default())
        .unwrap()
        .bank_transactions
    {
        if b.status.as_deref() == Some("AUTHORISED") && ic(&b.contact) {
            out.push(IcDoc {
                month: Month::of(b.date.unwrap().date()),
                lines: net_lines(b.line_amount_types, b.line_items.as_deref().unwrap()),
                rate: foreign(b.currency_code, b.currency_rate),
                sign: Decimal::ONE,
            });
        }
    }
    out
}

async fn each_entity_column_is_xeros_own_pnl_and_eliminations_are_recomputed(backend: Backend) {
    let SyncedGroup { s, group, user_id } = synced_demo_group(backend).await;
    let store = s.app.store();
    set_up_like_the_demo(store, &group, user_id).await;
    let last = Month::of(Utc::now().date_naive()).prev();
    let period = MonthRange::new(last.plus(-11), last).unwrap();
    let (_, report) = consolidation::consolidate_group(store, &group, period)
        .await
        .unwrap();
    let json = serde_json::to_value(&report).unwrap();

    // The inputs the user gave: confirmed mappings and average rates.
    let entities = store.entities_for_group(group.id).await.unwrap();
    assert_eq!(entities.len(), 5, "the four and Tui Ventures");
    let mappings: HashMap<(i64, String), i64> = store
        .mappings(group.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.confirmed)
        .map(|m| ((m.organisation_id, m.account_id), m.group_account_id))
        .collect();
    let rates: HashMap<(String, Month), Decimal> = store
        .fx_rates(group.id)
        .await
        .unwrap()
        .into_iter()
        .map(|r| ((r.currency.to_string(), r.month), r.average))
        .collect();
    let rate = |cur: &str, m: Month| -> Decimal {
        if cur == "NZD" {
            Decimal::ONE
        } else {
            rates[&(cur.to_string(), m)]
        }
    };
    let legal: Vec<String> = entities
        .iter()
        .map(|e| e.legal_name.clone().unwrap())
        .collect();
    let with_ledger = |tenant: &str, f: &mut dyn FnMut(&Ledger)| {
        s.sim
            .state()
            .with_ledger(tenant.parse().unwrap(), |l| f(l))
            .unwrap()
    };

    let months: HashMap<String, &Value> = json["months"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["month"].as_str().unwrap().to_string(), m))
        .collect();
    let line_of = |m: Month, key: &str, col: &str| -> Decimal {
        months[&m.to_string()]["lines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["key"] == key)
            .map(|l| dec(&l["values"][col]))
            .unwrap_or_default()
    };
    let lines_of = |m: Month| -> Vec<String> {
        months[&m.to_string()]["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["key"].as_str().unwrap().to_string())
            .collect()
    };

    // 1. Each entity column is Xero's own P&L, line by line.
    let mut fx_rows = 0;
    let mut elim: BTreeMap<(Month, String), Decimal> = BTreeMap::new();
    let mut entity_sum: BTreeMap<(Month, String), Decimal> = BTreeMap::new();
    for e in &entities {
        let col = format!("entity:{}", e.id);
        let cur = e.base_currency.to_string();
        let line_key = |key: &str| match mappings.get(&(e.organisation_id, key.to_string())) {
            Some(g) => format!("group:{g}"),
            None => format!("unmapped:{}:{key}", e.id),
        };
        let others: Vec<String> = legal
            .iter()
            .filter(|n| Some(*n) != e.legal_name.as_ref())
            .cloned()
            .collect();
        let mut codes: HashMap<String, (String, bool)> = HashMap::new();
        let mut pnl: Vec<(Month, Vec<XeroRow>, Decimal, Decimal)> = Vec::new();
        let mut docs = Vec::new();
        with_ledger(&e.tenant_id, &mut |l| {
            for a in l.get_accounts(&ListQuery::default()).accounts {
                let is_pl = matches!(a.class.as_deref(), Some("REVENUE" | "EXPENSE"));
                codes.insert(
                    a.code.clone().unwrap_or_default(),
                    (a.account_id.unwrap().to_string().to_uppercase(), is_pl),
                );
            }
            for m in period.months() {
                let (rows, gp, np) = xero_pnl(l, m);
                pnl.push((m, rows, gp, np));
            }
            docs = intercompany_documents(l, &others);
        });
        let upper = |k: &str| {
            // Mappings keep Xero's AccountIDs as the sync stored them.
            mappings
                .keys()
                .find(|(o, a)| *o == e.organisation_id && a.eq_ignore_ascii_case(k))
                .map(|(_, a)| a.clone())
                .unwrap_or_else(|| k.to_string())
        };
        for (m, rows, gp, np) in &pnl {
            let r = rate(&cur, *m);
            let mut want: BTreeMap<String, Decimal> = BTreeMap::new();
            let (mut want_gp, mut want_np) = (Decimal::ZERO, Decimal::ZERO);
            for row in rows {
                let key = upper(&row.key);
                let translated = cents(row.amount * r);
                let line = line_key(&key);
                // Account lines show amounts as Xero does; an Unmapped
                // line shows what the row does to profit.
                let shown = if line.starts_with("unmapped:") {
                    profit_sign(&row.section) * translated
                } else {
                    translated
                };
                *want.entry(line).or_default() += shown;
                let sign = profit_sign(&row.section);
                want_np += sign * translated;
                let t = row.section.to_ascii_lowercase();
                if t.contains("cost of sales") || (sign > Decimal::ZERO && !t.contains("other")) {
                    want_gp += sign * translated;
                }
                if row.key == "FXGROUPID" {
                    fx_rows += 1;
                }
            }
            for key in lines_of(*m) {
                if key.starts_with("group:") || key.starts_with("unmapped:") {
                    let got = line_of(*m, &key, &col);
                    let w = want.remove(&key).unwrap_or_default();
                    assert_eq!(got, w, "{} {m} {key}", e.name);
                    *entity_sum.entry((*m, key)).or_default() += got;
                }
            }
            assert!(
                want.values().all(|v| v.is_zero()),
                "{} {m}: rows not on the report: {want:?}",
                e.name
            );
            assert_eq!(
                line_of(*m, "gross_profit", &col),
                want_gp,
                "{} {m} GP",
                e.name
            );
            assert_eq!(
                line_of(*m, "net_profit", &col),
                want_np,
                "{} {m} NP",
                e.name
            );
            if cur == "NZD" {
                // In the presentation currency the column is Xero's own
                // Gross and Net Profit to the cent.
                assert_eq!(want_gp, *gp, "{} {m} Xero's Gross Profit", e.name);
                assert_eq!(want_np, *np, "{} {m} Xero's Net Profit", e.name);
            }
        }

        // 2. The eliminations, recomputed from the intercompany documents:
        // base amounts at cents, summed per (account, month), translated,
        // rounded once, taken off.
        let mut base: BTreeMap<(Month, String), Decimal> = BTreeMap::new();
        for d in docs.iter().filter(|d| period.contains(d.month)) {
            for (code, net) in &d.lines {
                let (id, is_pl) = &codes[code];
                if !is_pl {
                    continue;
                }
                let amount = match d.rate {
                    Some(r) => cents(*net / r),
                    None => *net,
                };
                *base.entry((d.month, upper(id))).or_default() += d.sign * amount;
            }
        }
        for ((m, id), b) in base {
            let line = line_key(&id);
            *elim.entry((m, line)).or_default() -= cents(b * rate(&cur, m));
        }
    }
    assert!(
        fx_rows > 0,
        "the part payment shows a currency gain or loss row"
    );
    for m in period.months() {
        for key in lines_of(m) {
            if key.starts_with("group:") {
                let want = elim.get(&(m, key.clone())).copied().unwrap_or_default();
                assert_eq!(
                    line_of(m, &key, "eliminations"),
                    want,
                    "{m} {key} eliminations"
                );
            }
        }
    }
    // The sale that Redwood booked to Inventory: Kea's revenue on it is
    // eliminated above, and the same amount is held as unrealised
    // intercompany profit in its month.
    let held: Decimal = period
        .months()
        .map(|m| line_of(m, "unrealised_intercompany_profit", "eliminations"))
        .filter(|v| !v.is_zero())
        .map(|v| v.abs())
        .sum();
    let inventory_sale = entities
        .iter()
        .find(|e| e.name == "Kea Holdings")
        .map(|kea| {
            let mut total = Decimal::ZERO;
            with_ledger(&kea.tenant_id, &mut |l| {
                let i = all_invoices(l)
                    .into_iter()
                    .find(|i| {
                        i.invoice_number
                            .as_deref()
                            .is_some_and(|n| n.starts_with("ICINV-"))
                    })
                    .unwrap();
                let m = Month::of(i.date.unwrap().date());
                total =
                    cents(cents(i.sub_total.unwrap() / i.currency_rate.unwrap()) * rate("NZD", m));
            });
            total
        })
        .unwrap();
    assert_eq!(held, inventory_sale, "unrealised intercompany profit");

    // 3. A group account that only intercompany lines reach (management
    // fees) consolidates to exactly 0.00, never a stray cent.
    let mut only_ic = 0;
    for ((m, key), sum) in &entity_sum {
        let e = elim.get(&(*m, key.clone())).copied().unwrap_or_default();
        if !sum.is_zero() && *sum + e == Decimal::ZERO {
            only_ic += 1;
            let cell = months[&m.to_string()]["lines"]
                .as_array()
                .unwrap()
                .iter()
                .find(|l| l["key"] == *key)
                .unwrap()["values"]["consolidated"]
                .clone();
            assert_eq!(cell, "0.00", "{m} {key}");
        }
    }
    assert!(only_ic >= 12, "intercompany-only lines found: {only_ic}");
}

/// An organisation connected before Consol asked for payments and bank
/// transactions: the simulator grants the scopes of that release only. The
/// sync says in words to reconnect, the group page shows it, and what was
/// synced stays.
async fn a_connection_without_the_new_scopes_is_asked_to_reconnect_and_keeps_its_data(
    backend: Backend,
) {
    use crate::helpers::{Client, SimApp, TestApp, TestDb, connect_demo_group, sim_settings};
    use consol::sim::http::{DataChoice, SimConfig, SimServer};

    let db = TestDb::new(backend).await;
    let sim = SimServer::start(SimConfig {
        data: DataChoice::Demo,
        auto_approve: true,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut settings = sim_settings(&db.url, port, &sim.base_url());
    let new = [
        "accounting.payments.read",
        "accounting.banktransactions.read",
    ];
    settings.xero_scopes = consol::xero::client::DEFAULT_SCOPES
        .iter()
        .filter(|s| !new.contains(s))
        .map(|s| s.to_string())
        .collect();
    sim.register_demo_app(vec![format!(
        "http://127.0.0.1:{port}/connect/xero/callback"
    )]);
    let xero = std::sync::Arc::new(
        consol::connect::XeroServices::build(
            &settings,
            db.store.clone(),
            consol::xero::client::Limits::default(),
            consol::xero::client::RetryPolicy {
                base_delay: std::time::Duration::from_millis(20),
                ..Default::default()
            },
        )
        .unwrap(),
    );
    let app = consol::startup::Application::build_with(
        settings,
        db.store.clone(),
        xero.clone(),
        listener,
        port,
    )
    .unwrap();
    let (_trigger, shutdown) = consol::shutdown::channel();
    tokio::spawn(app.run_until_stopped(shutdown));
    let address = format!("http://127.0.0.1:{port}");
    let mut s = SimApp {
        app: TestApp {
            client: Client::new(&address),
            address,
            db,
        },
        sim,
        xero,
    };
    let group_id = connect_demo_group(&mut s, None).await;
    let store = s.app.store().clone();
    let entities = store.entities_for_group(group_id).await.unwrap();
    for e in &entities {
        consol::sync::enqueue(&store, e.organisation_id, consol::sync::SyncKind::Full)
            .await
            .unwrap();
    }
    let worker = consol::sync::worker(store.clone(), s.xero.clone());
    for _ in 0..600 {
        worker.drain().await.unwrap();
        let runs = store.latest_runs_for_group(group_id).await.unwrap();
        if runs
            .iter()
            .all(|r| r.state == "succeeded" || r.state == "failed")
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let runs = store.latest_runs_for_group(group_id).await.unwrap();
    assert_eq!(runs.len(), entities.len());
    // The first sync to reach payments or bank transactions says why in
    // words; the consent is shared, so every organisation of it then needs
    // reconnecting (the syncs still queued say so).
    let says_why = |e: &str| {
        e.contains("connected before Consol asked to read payments and bank transactions")
            && e.contains("Reconnect it to Xero from the group page")
    };
    for r in &runs {
        assert_eq!(r.state, "failed", "{r:?}");
        let error = r.error.clone().unwrap_or_default();
        assert!(
            says_why(&error) || error == "the organisation needs reconnecting to Xero",
            "{error}"
        );
    }
    assert!(
        runs.iter()
            .any(|r| says_why(r.error.as_deref().unwrap_or_default())),
        "{runs:?}"
    );
    // What the old scopes allowed was stored (by the syncs that got as far
    // as the refused call), and stays.
    let mut kept = Vec::new();
    for e in store.entities_for_group(group_id).await.unwrap() {
        assert_eq!(e.connection_state, "needs_reconnect", "{}", e.name);
        let invoices = store.count_invoices(e.organisation_id).await.unwrap();
        let run = runs
            .iter()
            .find(|r| r.organisation_id == e.organisation_id)
            .unwrap();
        if says_why(run.error.as_deref().unwrap_or_default()) {
            assert!(invoices > 0, "{}", e.name);
        }
        kept.push((e.organisation_id, invoices));
    }
    let page = s.app.client.get(&format!("/groups/{group_id}")).await;
    assert_eq!(page.status, 200);
    for text in [
        "Needs reconnecting to Xero",
        "connected before Consol asked to read payments and bank transactions",
        &format!("href=\"/connect/xero?group={group_id}\">Reconnect</a>"),
    ] {
        assert!(page.body.contains(text), "{text}: {}", page.body);
    }
    // Nothing more is attempted until someone reconnects; nothing is lost.
    let csrf = s.app.client.csrf_from(&format!("/groups/{group_id}")).await;
    let again = s
        .app
        .client
        .post_form(
            &format!("/groups/{group_id}/sync"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_ne!(again.status, 500, "{}", again.body);
    worker.drain().await.unwrap();
    for (org, invoices) in kept {
        assert_eq!(store.count_invoices(org).await.unwrap(), invoices);
    }
}

/// Per month, the values of a report line in one column.
async fn line_by_month(
    store: &consol::store::Store,
    group: &consol::store::Group,
    period: MonthRange,
    key: &str,
    col: &str,
) -> BTreeMap<String, Decimal> {
    let (_, report) = consolidation::consolidate_group(store, group, period)
        .await
        .unwrap();
    let json = serde_json::to_value(&report).unwrap();
    json["months"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let v = m["lines"]
                .as_array()
                .unwrap()
                .iter()
                .find(|l| l["key"] == key)
                .map(|l| dec(&l["values"][col]))
                .unwrap_or_default();
            (m["month"].as_str().unwrap().to_string(), v)
        })
        .collect()
}

/// Xero's "Foreign Currency Gains and Losses" row (`FXGROUPID`) of the
/// parent is listed for mapping, refused for a key the entity's P&L does
/// not have, saved through the API and through the page, and then counts
/// on the group account it was mapped to instead of Unmapped.
async fn the_currency_gains_row_is_mapped_through_the_api_and_the_page(backend: Backend) {
    let SyncedGroup {
        mut s,
        group,
        user_id,
    } = synced_demo_group(backend).await;
    let store = s.app.store().clone();
    set_up_like_the_demo(&store, &group, user_id).await;
    let gid = group.id;
    let token = "consol_books_token";
    crate::helpers::api_token(&store, user_id, token).await;
    let http = reqwest::Client::new();
    let url = format!("{}/api/v1/groups/{gid}/account-mappings", s.app.address);
    let get = || async {
        http.get(&url)
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    };
    let entities = store.entities_for_group(gid).await.unwrap();
    let kea = entities.iter().find(|e| e.name == "Kea Holdings").unwrap();

    // Listed, unmapped, under Xero's own title.
    let view = get().await;
    let fx = |v: &Value| {
        v["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["entity_id"] == kea.id && a["account_id"] == "FXGROUPID")
            .cloned()
            .unwrap_or_else(|| panic!("no FXGROUPID row for Kea: {v}"))
    };
    let row = fx(&view);
    assert_eq!(row["status"], "unmapped", "{row}");
    assert!(
        row["name"].as_str().unwrap().contains("Foreign Currency"),
        "{row}"
    );
    let expense = view["group_accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["class"] == "EXPENSE")
        .unwrap()["id"]
        .as_i64()
        .unwrap();

    // A key that is neither an account nor a row of Kea's P&L is refused
    // with its reason, and nothing is saved.
    let bad = http
        .put(&url)
        .bearer_auth(token)
        .json(&serde_json::json!([
            {"entity_id": kea.id, "account_id": "FXGROUPID", "group_account_id": expense},
            {"entity_id": kea.id, "account_id": "NOT-A-ROW", "group_account_id": expense}
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    let body = bad.text().await.unwrap();
    assert!(
        body.contains("account NOT-A-ROW is not in the chart of accounts of Kea Holdings"),
        "{body}"
    );
    assert_eq!(fx(&get().await)["status"], "unmapped");

    // Before: the row counts under Unmapped (the part payment is in the
    // month before last; three months keep the test quick).
    let last = Month::of(Utc::now().date_naive()).prev();
    let period = MonthRange::new(last.plus(-2), last).unwrap();
    let col = format!("entity:{}", kea.id);
    let unmapped_key = format!("unmapped:{}:FXGROUPID", kea.id);
    let group_key = format!("group:{expense}");
    let unmapped = line_by_month(&store, &group, period, &unmapped_key, &col).await;
    let before = line_by_month(&store, &group, period, &group_key, &col).await;
    assert!(unmapped.values().any(|v| !v.is_zero()), "{unmapped:?}");

    // The page: filtered to the row, mapped and confirmed.
    let path = format!("/groups/{gid}/mappings");
    let page = s
        .app
        .client
        .get(&format!("{path}?q=Foreign+Currency"))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let name = format!("map.{}.FXGROUPID", kea.id);
    assert!(page.body.contains(&name), "{}", page.body);
    let mut table = page.form_with("id=\"mapping-table\"");
    table.set(&name, &expense.to_string());
    table.set(&format!("confirm.{}.FXGROUPID", kea.id), "1");
    let done = s.app.client.post_form(&path, &table.pairs()).await;
    assert_eq!(done.status, 303, "{}", done.body);
    let row = fx(&get().await);
    assert_eq!(row["status"], "confirmed", "{row}");
    assert_eq!(row["group_account_id"], expense);

    // After: Unmapped is empty, and the group account carries the row as
    // Xero shows it (a loss is a positive operating expense, which the
    // Unmapped line showed as its effect on profit).
    let gone = line_by_month(&store, &group, period, &unmapped_key, &col).await;
    assert!(gone.values().all(|v| v.is_zero()), "{gone:?}");
    let after = line_by_month(&store, &group, period, &group_key, &col).await;
    for (m, u) in &unmapped {
        assert_eq!(after[m] - before[m], -*u, "{m}");
    }

    // And through the API for the same key: saved again, unconfirmed.
    let put = http
        .put(&url)
        .bearer_auth(token)
        .json(&serde_json::json!([
            {"entity_id": kea.id, "account_id": "FXGROUPID", "group_account_id": expense, "confirmed": false}
        ]))
        .send()
        .await
        .unwrap();
    assert!(put.status().is_success(), "{}", put.text().await.unwrap());
    assert_eq!(fx(&get().await)["status"], "suggested");
}

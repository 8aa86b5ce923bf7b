//! `consol demo`: the built-in Xero simulator with the demo group, Consol on
//! a SQLite file wired to it, a demo user, the organisations connected
//! through the real OAuth flow, the first sync with a progress display, and
//! the group set up (rates, chart, mappings, intercompany contacts,
//! ownership and the intercompany loan). A
//! second run reuses the data directory and reconnects.

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use chrono::Utc;

use crate::config::{Secret, Settings, default_database_url};
use crate::connect::XeroServices;
use crate::consolidation;
use crate::domain::{CurrencyCode, Email, Month, MonthRange};
use crate::shutdown;
use crate::sim::http::{App, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DataChoice, SimConfig, SimServer};
use crate::startup::Application;
use crate::store::{GroupRole, MappingRow, NewGroup, NewUser, RateRow, Store};
use crate::sync::{self, SyncKind};

pub const DEMO_EMAIL: &str = "demo@consol.test";
pub const DEMO_PASSWORD: &str = "demo";
const DEMO_GROUP: &str = "Kea Group";
const DEMO_WEBHOOK_KEY: &str = "consol-demo-webhook-key";

pub async fn run(
    mut settings: Settings,
    listen: SocketAddr,
    sim_listen: SocketAddr,
    data_dir: &Path,
) -> anyhow::Result<()> {
    let (trigger, stop) = shutdown::channel();
    shutdown::on_signals(trigger);

    println!("Starting the Xero simulator with the demo group...");
    let sim = SimServer::start(SimConfig {
        listen: sim_listen,
        data: DataChoice::Demo,
        auto_approve: true,
        real_time: true,
        ..SimConfig::default()
    })
    .await
    .with_context(|| format!("cannot start the Xero simulator on {sim_listen}"))?;

    let listener =
        TcpListener::bind(listen).with_context(|| format!("cannot listen on {listen}"))?;
    let port = listener.local_addr()?.port();
    let public = format!("http://{}:{port}", listen.ip());
    settings.listen = listener.local_addr()?;
    settings.public_url = public.clone();
    settings.database_url = Secret::new(default_database_url(data_dir));
    settings.xero_base_url = Some(sim.base_url());
    settings.xero_client_id = Some(DEMO_CLIENT_ID.into());
    settings.xero_client_secret = Some(Secret::new(DEMO_CLIENT_SECRET));
    settings.xero_webhook_key = Some(Secret::new(DEMO_WEBHOOK_KEY));
    sim.register_app(App {
        client_id: DEMO_CLIENT_ID.into(),
        client_secret: DEMO_CLIENT_SECRET.into(),
        redirect_uris: vec![format!("{public}/connect/xero/callback")],
        webhook_url: Some(format!("{public}/webhooks/xero")),
        webhook_key: Some(DEMO_WEBHOOK_KEY.into()),
    });

    let store = Store::connect(settings.database_url.expose()).await?;
    let xero = Arc::new(XeroServices::from_settings(&settings, store.clone())?);
    let (group_id, _) = ensure_user_and_group(&store).await?;

    let mailer = Arc::new(crate::mail::Mailer::from_settings(&settings)?);
    let deliverer = Arc::new(crate::month_end::delivery::Deliverer {
        store: store.clone(),
        mailer: mailer.clone(),
        public_url: public.clone(),
    });
    let settings_grace = settings.shutdown_grace_seconds;
    let app = Application::build_with(settings, store.clone(), xero.clone(), listener, port)?;
    let server = tokio::spawn(app.run_until_stopped(stop.clone()));
    let worker_config = crate::jobs::WorkerConfig {
        grace: Duration::from_secs(settings_grace),
        ..crate::jobs::WorkerConfig::default()
    };
    let worker = tokio::spawn(
        sync::worker_with(store.clone(), xero.clone(), worker_config)
            .handle(crate::month_end::delivery::JOB_KIND, deliverer.clone())
            .run(stop.clone()),
    );
    let scheduler = tokio::spawn(sync::schedule::run(
        store.clone(),
        chrono::Duration::hours(24),
        Duration::from_secs(60),
        stop.clone(),
    ));

    println!("Connecting the demo organisations through Xero's consent flow...");
    let connected =
        connect_through_browser_flow(&public, group_id, DEMO_EMAIL, DEMO_PASSWORD).await?;
    println!("  connected {connected} organisations");

    let entities = store.entities_for_group(group_id).await?;
    let mut runs = Vec::new();
    for e in &entities {
        // Full: the simulator is rebuilt on every run, so a watermark from
        // the previous run's Xero clock would not hold.
        let id = sync::enqueue(&store, e.organisation_id, SyncKind::Full)
            .await
            .map_err(|e| anyhow::anyhow!(e.message))?;
        runs.push((e.name.clone(), id));
    }
    show_progress(&store, &runs).await?;

    let group = store
        .group_for_member(group_id, demo_user_id(&store).await?)
        .await?
        .map(|(g, _)| g)
        .context("the demo group disappeared")?;
    let SetUp {
        mappings,
        contacts,
        rates,
        subsidiaries,
    } = set_up_group(&store, &group).await?;
    println!(
        "Set up the group: {mappings} account mappings, {contacts} intercompany contacts, {rates} FX rates, {subsidiaries} subsidiaries' ownership, an intercompany loan."
    );
    month_end_demo(&deliverer, &group, demo_user_id(&store).await?).await;
    println!("  month-end mail goes to the {}", mailer.describe());
    let packs = tokio::spawn(crate::month_end::delivery::run(
        store.clone(),
        Duration::from_secs(60),
        stop.clone(),
    ));
    println!();
    println!("Consol demo is ready:   {public}/groups/{group_id}");
    println!("  sign in as {DEMO_EMAIL} with the password \"{DEMO_PASSWORD}\"");
    println!("  Xero simulator:       {}", sim.base_url());
    println!("  data directory:       {}", data_dir.display());
    println!("Press Ctrl-C to stop.");

    let _ = server.await;
    let _ = worker.await;
    let _ = scheduler.await;
    let _ = packs.await;
    store.close().await;
    sim.stop().await;
    Ok(())
}

/// What [`set_up_group`] set.
pub struct SetUp {
    pub mappings: usize,
    pub contacts: usize,
    pub rates: usize,
    pub subsidiaries: usize,
}

/// The demo group's set-up after its first sync, as a finance team would
/// do it once: the suggested chart, mappings and intercompany contacts
/// confirmed, the rates, ownership and the intercompany loan's accounts and
/// lines, and the currency gains row's line.
pub async fn set_up_group(store: &Store, group: &crate::store::Group) -> anyhow::Result<SetUp> {
    let (mappings, contacts) =
        consolidation::apply_suggestions(store, group, true, None, Utc::now()).await?;
    let rates = demo_rates(store, group).await?;
    let subsidiaries = demo_balance_sheet_setup(store, group, None).await?;
    demo_currency_gains(store, group).await?;
    Ok(SetUp {
        mappings,
        contacts,
        rates,
        subsidiaries,
    })
}

/// The month-end part of the demo: the month before the last closed and
/// its pack sent (to the outbox unless CONSOL_SMTP_URL is set), the last
/// month left open, and a schedule (business day 10 at 09:00 NZ time,
/// approval required) that the worker follows from then on. A failure is
/// said and the demo goes on; on a second run what exists is kept.
async fn month_end_demo(
    deliverer: &crate::month_end::delivery::Deliverer,
    group: &crate::store::Group,
    user: i64,
) {
    let store = &deliverer.store;
    let now = Utc::now();
    let closed = crate::domain::Month::of(now.date_naive()).prev().prev();
    match crate::month_end::close(store, group, closed, Some(user), now).await {
        Ok(v) => println!("Closed {closed} (version {}).", v.version),
        Err(crate::month_end::MonthEndError::Conflict(_)) => {}
        Err(e) => println!("  could not close {closed}: {e}"),
    }
    if store.pack_schedule(group.id).await.ok().flatten().is_none() {
        let schedule = crate::store::ScheduleWrite {
            business_day: 10,
            send_at: "09:00".into(),
            utc_offset_minutes: 13 * 60,
            time_zone: Some("Pacific/Auckland".into()),
            recipients: vec![DEMO_EMAIL.into(), "board@example.com".into()],
            formats: vec!["xlsx".into(), "json".into(), "pdf".into()],
            approval_required: true,
        };
        if let Err(e) = store
            .put_pack_schedule(group.id, &schedule, Some(user), now)
            .await
        {
            println!("  could not set the pack schedule: {e}");
        }
    }
    match crate::month_end::delivery::send_now(deliverer, group.id, closed).await {
        Ok(reply) => println!("Sent the {closed} pack: {reply}"),
        Err(e) => println!("  the {closed} pack was not sent now: {e}"),
    }
}

async fn demo_user_id(store: &Store) -> anyhow::Result<i64> {
    let email = Email::parse(DEMO_EMAIL)?;
    Ok(store
        .user_by_email(&email)
        .await?
        .context("the demo user is missing")?
        .id)
}

/// The demo user (password `demo`: a demo, outside the password policy)
/// and the demo group, created once.
async fn ensure_user_and_group(store: &Store) -> anyhow::Result<(i64, i64)> {
    let email = Email::parse(DEMO_EMAIL)?;
    let user = match store.user_by_email(&email).await? {
        Some(u) => u,
        None => {
            let hash = crate::auth::password::hash(DEMO_PASSWORD)?;
            store
                .create_user(
                    &NewUser {
                        email: &email,
                        name: "Demo",
                        password_hash: &hash,
                        is_admin: true,
                    },
                    Utc::now(),
                )
                .await?
        }
    };
    let groups = store.groups_for_user(user.id).await?;
    let group = match groups.into_iter().find(|(g, _)| g.name == DEMO_GROUP) {
        Some((g, GroupRole::Admin)) => g,
        Some(_) => bail!("the demo user is not an admin of the demo group"),
        None => {
            store
                .create_group(
                    &NewGroup {
                        name: DEMO_GROUP,
                        presentation_currency: CurrencyCode::parse("NZD")?,
                        financial_year_end_month: 3,
                    },
                    user.id,
                    Utc::now(),
                )
                .await?
        }
    };
    Ok((group.id, user.id))
}

/// Signs in and consents exactly as a browser would, so the demo goes
/// through the same code as a real connection. Returns how many
/// organisations were connected.
pub async fn connect_through_browser_flow(
    base: &str,
    group_id: i64,
    email: &str,
    password: &str,
) -> anyhow::Result<usize> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let mut cookies: HashMap<String, String> = HashMap::new();
    let page = get(&http, &mut cookies, &format!("{base}/login")).await?;
    let csrf = page
        .1
        .split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .context("the login page has no CSRF token")?
        .to_string();
    let resp = http
        .post(format!("{base}/login"))
        .header("cookie", cookie_header(&cookies))
        .form(&[
            ("email", email),
            ("password", password),
            ("csrf_token", csrf.as_str()),
        ])
        .send()
        .await?;
    keep_cookies(&resp, &mut cookies);
    if resp.status().as_u16() != 303 {
        bail!("{email} could not sign in ({})", resp.status());
    }
    // Starting a connection is a form POST with the session's CSRF token,
    // read from the page that holds the form.
    let (_, form) = get(
        &http,
        &mut cookies,
        &format!("{base}/connect/xero?group={group_id}"),
    )
    .await?;
    let csrf = form
        .split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .context("the connect page has no CSRF token")?
        .to_string();
    let resp = http
        .post(format!("{base}/connect/xero"))
        .header("cookie", cookie_header(&cookies))
        .form(&[("group", group_id.to_string()), ("csrf_token", csrf)])
        .send()
        .await?;
    keep_cookies(&resp, &mut cookies);
    let to_xero = resp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .context("Consol did not redirect to Xero")?;
    let (back, _) = get(&http, &mut HashMap::new(), &to_xero).await?;
    let back = back.context("Xero's consent did not redirect back")?;
    let (done, _) = get(&http, &mut cookies, &back).await?;
    let done = done.unwrap_or_default();
    let count = done
        .split("count=")
        .nth(1)
        .and_then(|c| c.split('&').next())
        .and_then(|c| c.parse().ok());
    match count {
        Some(n) => Ok(n),
        None => bail!("connecting the demo organisations failed ({done})"),
    }
}

async fn get(
    http: &reqwest::Client,
    cookies: &mut HashMap<String, String>,
    url: &str,
) -> anyhow::Result<(Option<String>, String)> {
    let resp = http
        .get(url)
        .header("cookie", cookie_header(cookies))
        .send()
        .await?;
    keep_cookies(&resp, cookies);
    let location = resp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(|l| {
            if l.starts_with('/') {
                let origin: String = url.splitn(4, '/').take(3).collect::<Vec<_>>().join("/");
                format!("{origin}{l}")
            } else {
                l.to_string()
            }
        });
    Ok((location, resp.text().await.unwrap_or_default()))
}

fn keep_cookies(resp: &reqwest::Response, cookies: &mut HashMap<String, String>) {
    for v in resp.headers().get_all("set-cookie") {
        if let Some((k, val)) = v
            .to_str()
            .ok()
            .and_then(|s| s.split(';').next())
            .and_then(|kv| kv.split_once('='))
        {
            cookies.insert(k.trim().to_string(), val.to_string());
        }
    }
}

fn cookie_header(cookies: &HashMap<String, String>) -> String {
    cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A progress line per entity until every first sync has finished.
async fn show_progress(store: &Store, runs: &[(String, i64)]) -> anyhow::Result<()> {
    println!("Syncing (the simulator keeps Xero's limit of 60 calls a minute per organisation):");
    loop {
        let mut all_done = true;
        let mut line = String::new();
        for (name, id) in runs {
            let mut run = store.sync_run(*id).await?.context("a sync run vanished")?;
            if run.state == "superseded" {
                // A newer sync of the organisation took over: follow it.
                run = store
                    .latest_sync_run(run.organisation_id)
                    .await?
                    .context("a sync run vanished")?;
            }
            let total = run.progress_total.max(1);
            let filled = (run.progress_done * 10 / total).clamp(0, 10) as usize;
            line.push_str(&format!(
                "  {name:<24.24} [{}{}] {:>3}/{:<3} {}",
                "#".repeat(filled),
                ".".repeat(10 - filled),
                run.progress_done,
                run.progress_total,
                run.state
            ));
            line.push('\n');
            if run.state == "failed" {
                bail!(
                    "the sync of {name} failed: {}",
                    run.error.unwrap_or_default()
                );
            }
            all_done &= run.state == "succeeded";
        }
        print!("{line}");
        if all_done {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(1500)).await;
        // Move the cursor back up over the lines just printed.
        print!("\x1b[{}A", runs.len());
    }
}

/// The name of the group line the demo gives Xero's currency gains row.
const CURRENCY_GAINS: &str = "Foreign Currency Gains and Losses";

/// Maps every entity's "Foreign Currency Gains and Losses" row (Xero's
/// `FXGROUPID`, outside the chart, so no suggestion can reach it) to a
/// group line of that name, added to the chart if it is not there, as a
/// finance team would once. Without it the real-life cases' realised gain
/// leaves the month unmapped and it cannot be closed.
async fn demo_currency_gains(store: &Store, group: &crate::store::Group) -> anyhow::Result<()> {
    let now = Utc::now();
    let line = ensure_group_account(
        store,
        group.id,
        "FXGL",
        CURRENCY_GAINS,
        "EXPENSE",
        "Operating Expenses",
        None,
    )
    .await?;
    let mapped: std::collections::HashSet<(i64, String)> = store
        .mappings(group.id)
        .await?
        .into_iter()
        .map(|m| (m.organisation_id, m.account_id))
        .collect();
    let mut rows = Vec::new();
    for e in store.entities_for_group(group.id).await? {
        for r in store.pnl_other_rows(e.organisation_id).await? {
            let Some(key) =
                consolidation::system_row_key(&r.row_kind, r.account_id.as_deref(), &r.row_key)
            else {
                continue;
            };
            if key == "FXGROUPID"
                && !mapped.contains(&(e.organisation_id, key.clone()))
                && !rows
                    .iter()
                    .any(|m: &MappingRow| m.organisation_id == e.organisation_id)
            {
                rows.push(MappingRow {
                    organisation_id: e.organisation_id,
                    account_id: key,
                    group_account_id: line,
                    confirmed: true,
                });
            }
        }
    }
    if !rows.is_empty() {
        store.set_mappings(group.id, &rows, None, now).await?;
    }
    Ok(())
}

/// The id of the group account named `name`, added to the chart (audited)
/// if it is not there yet, so a second run of the demo finds it.
async fn ensure_group_account(
    store: &Store,
    group_id: i64,
    code: &str,
    name: &str,
    class: &str,
    section: &str,
    by: Option<i64>,
) -> anyhow::Result<i64> {
    let find = |accounts: Vec<crate::store::GroupAccountRow>| {
        accounts.into_iter().find(|g| g.name == name).map(|g| g.id)
    };
    if let Some(id) = find(store.group_accounts(group_id).await?) {
        return Ok(id);
    }
    let new = crate::store::NewGroupAccount {
        code: code.into(),
        name: name.into(),
        class: class.into(),
        section: section.into(),
    };
    if let Err(codes) =
        consolidation::chart::add_accounts(store, group_id, &[new], by, Utc::now()).await?
    {
        bail!("the group chart already has the code {}", codes.join(", "));
    }
    find(store.group_accounts(group_id).await?)
        .with_context(|| format!("the group account {name} was not added"))
}

/// The demo group's lines for the intercompany loan: the parent's chart
/// names its side after the borrower and the borrower's side has no copy
/// in it, so left to the suggestions the borrower's payable sits under
/// Unmapped. A finance team keeps intercompany loans on lines of their own,
/// in the sections Xero reports the two accounts in (a `NONCURRENT` asset,
/// a `TERMLIAB` liability), which the eliminations then empty.
pub const LOAN_RECEIVABLE_LINE: (&str, &str) = ("ICLR", "Intercompany loans receivable");
/// The borrower's side (see [`LOAN_RECEIVABLE_LINE`]).
pub const LOAN_PAYABLE_LINE: (&str, &str) = ("ICLP", "Intercompany loans payable");

/// Maps the lender's and the borrower's loan accounts (confirmed) to the
/// group's intercompany loan lines, adding the lines if they are missing.
async fn demo_loan_lines(
    store: &Store,
    group_id: i64,
    lender: (i64, String),
    borrower: (i64, String),
    by: Option<i64>,
) -> anyhow::Result<()> {
    let (code, name) = LOAN_RECEIVABLE_LINE;
    let receivable = ensure_group_account(
        store,
        group_id,
        code,
        name,
        "ASSET",
        "Non-current Assets",
        by,
    )
    .await?;
    let (code, name) = LOAN_PAYABLE_LINE;
    let payable = ensure_group_account(
        store,
        group_id,
        code,
        name,
        "LIABILITY",
        "Non-current Liabilities",
        by,
    )
    .await?;
    let rows = [(lender, receivable), (borrower, payable)].map(
        |((organisation_id, account_id), group_account_id)| MappingRow {
            organisation_id,
            account_id,
            group_account_id,
            confirmed: true,
        },
    );
    store.set_mappings(group_id, &rows, by, Utc::now()).await?;
    Ok(())
}

/// Average and closing rates to the presentation currency for every month
/// of the history and every currency of the group, from the simulator's own
/// market table (which its invoices used too).
pub async fn demo_rates(store: &Store, group: &crate::store::Group) -> anyhow::Result<usize> {
    let last = Month::of(Utc::now().date_naive());
    let months = MonthRange::new(last.plus(-(group.history_months)), last)?;
    let p = group.presentation_currency;
    let mut rows = Vec::new();
    for e in store.entities_for_group(group.id).await? {
        if e.base_currency == p || rows.iter().any(|r: &RateRow| r.currency == e.base_currency) {
            continue;
        }
        for m in months.months() {
            let mid = m.first_day() + chrono::Duration::days(14);
            rows.push(RateRow {
                currency: e.base_currency,
                month: m,
                average: crate::sim::fx::rate(e.base_currency, p, mid),
                closing: crate::sim::fx::rate(e.base_currency, p, m.last_day()),
            });
        }
    }
    store
        .set_fx_rates(group.id, &rows, None, Utc::now())
        .await?;
    Ok(rows.len())
}

/// Consol's side of the demo's balance-sheet cases
/// (`sim::demo_balance_sheet`): each subsidiary owned by the parent since
/// its first synced month end (Thistle & Co 80%, the others wholly), with
/// its Net Assets then as equity at acquisition at that month's closing
/// rate and the parent's investment account; and the loan between Kea
/// Holdings and Wattle Trading marked intercompany on both sides and mapped
/// to the group's "Intercompany loans receivable" and "Intercompany loans
/// payable" lines (added to the chart if missing). Call it
/// after the first sync and [`demo_rates`]. Returns the subsidiaries set.
pub async fn demo_balance_sheet_setup(
    store: &Store,
    group: &crate::store::Group,
    by: Option<i64>,
) -> anyhow::Result<usize> {
    use crate::sim::demo_balance_sheet::{
        INVESTMENT_CODES, LOAN_ASSET_CODE, LOAN_LIABILITY_CODE, THISTLE_PERCENT,
    };
    use crate::store::{IcAccountRow, OwnershipRow, ReportKind, RowKind};
    let entities = store.entities_for_group(group.id).await?;
    let parent = entities
        .iter()
        .find(|e| e.is_parent)
        .context("the demo group has no parent")?;
    let parent_accounts = store.accounts_of(parent.organisation_id).await?;
    let account_id = |accounts: &[crate::store::StoredAccount], code: &str| {
        accounts
            .iter()
            .find(|a| a.code.as_deref() == Some(code))
            .map(|a| a.account_id.clone())
            .with_context(|| format!("the demo's account {code} was not synced"))
    };
    let rates = store.fx_rates(group.id).await?;
    // The demo's subsidiaries in the simulator's order: AUD, GBP, USD.
    let mut rows = Vec::new();
    let mut wattle = None;
    for (k, code) in INVESTMENT_CODES {
        let currency = ["NZD", "AUD", "GBP", "USD"][k];
        let Some(sub) = entities
            .iter()
            .find(|e| e.base_currency.as_str() == currency && !e.is_parent)
        else {
            continue;
        };
        if k == 1 {
            wattle = Some(sub);
        }
        let Some(&first) = store
            .stored_months(sub.organisation_id, ReportKind::BalanceSheet.as_str())
            .await?
            .first()
        else {
            bail!("{} has no synced balance sheet yet", sub.name);
        };
        let equity = store
            .report_month(sub.organisation_id, ReportKind::BalanceSheet, first)
            .await?
            .into_iter()
            .find(|r| r.kind != RowKind::Account && r.label == "Net Assets")
            .map(|r| r.amount)
            .with_context(|| format!("{}'s balance sheet has no Net Assets", sub.name))?;
        let historical_rate = rates
            .iter()
            .find(|r| r.currency == sub.base_currency && r.month == first)
            .map(|r| r.closing)
            .with_context(|| format!("no closing rate for {} at {first}", sub.base_currency))?;
        rows.push(OwnershipRow {
            entity_id: sub.id,
            owner_entity_id: parent.id,
            percent: rust_decimal::Decimal::from(if k == 2 { THISTLE_PERCENT } else { 100 }),
            acquired: first,
            equity_at_acquisition: equity,
            historical_rate,
            investment_accounts: vec![account_id(&parent_accounts, code)?],
            contributions: Vec::new(),
        });
    }
    let names: HashMap<i64, String> = entities.iter().map(|e| (e.id, e.name.clone())).collect();
    let name = |id: i64| names.get(&id).cloned().unwrap_or_default();
    store
        .set_ownership(group.id, &rows, &[], &name, by, Utc::now())
        .await?;
    if let Some(w) = wattle {
        let wattle_accounts = store.accounts_of(w.organisation_id).await?;
        let loans = [
            IcAccountRow {
                entity_id: parent.id,
                account_id: account_id(&parent_accounts, LOAN_ASSET_CODE)?,
                counterpart_entity_id: w.id,
            },
            IcAccountRow {
                entity_id: w.id,
                account_id: account_id(&wattle_accounts, LOAN_LIABILITY_CODE)?,
                counterpart_entity_id: parent.id,
            },
        ];
        let describe = |r: &IcAccountRow| {
            format!(
                "{}'s loan account as intercompany with {}",
                name(r.entity_id),
                name(r.counterpart_entity_id)
            )
        };
        store
            .set_intercompany_accounts(group.id, &loans, &[], &describe, by, Utc::now())
            .await?;
        let [lender, borrower] = loans;
        demo_loan_lines(
            store,
            group.id,
            (parent.organisation_id, lender.account_id),
            (w.organisation_id, borrower.account_id),
            by,
        )
        .await?;
    }
    Ok(rows.len())
}

//! The load benchmark of issue 14: a group built through the public paths
//! and its report pages under load, at the demo's size, 20 and 100
//! entities.
//!
//! ```sh
//! cargo build --release --bin consol --example load_bench && \
//!   ./target/release/examples/load_bench --copies 1,5,25 --seconds 10
//! ```
//!
//! For each size (`--copies N`: N copies of the demo group in the
//! simulator, 1 being the demo itself with its fifth entity, 5 about 20
//! organisations, 25 about 100) it starts the simulator and a real
//! `consol serve` (the release binary beside this example, SQLite in a
//! temporary directory, its default log level plus the Xero client's
//! per-call debug line), signs up through `/setup` with the set-up code
//! from the server's log, signs in, makes a group through the API,
//! connects every organisation through the OAuth consent flow (which
//! queues their first sync at once), waits for that sync, sets the group
//! up through the API (the chart from the parent, the suggestions
//! confirmed, a rate per currency and month) and then measures:
//!
//! - the 12-month P&L as JSON: the first request after set-up (cold) and
//!   then 20 more (warm);
//! - a static file, the group page and the P&L page, each under 50
//!   connections for `--seconds`: requests/s, p50 and p99, and each as a
//!   ratio to the static file's figures of the same run (the machine is
//!   shared, so the ratio is the comparable figure);
//! - `/healthz` latency, asked one at a time while the P&L page is loaded;
//! - the first view of the P&L page and JSON after a sync;
//! - the first sync: its total time, where its runs waited (queued for a
//!   worker slot, for the client's limits, for the simulator's answers, the
//!   rest being the sync's own work, mostly SQLite writes), and the 429s;
//! - the server's peak memory (`VmHWM` of its process).
//!
//! The load generator runs in this process on the same machine: its own
//! CPU time is part of every figure, for the static file too.

// Shared with the sync benchmarks; this one uses only the simulator.
#[allow(dead_code)]
mod bench_support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bench_support::{Sim, free_port};
use chrono::Utc;
use consol::domain::{CurrencyCode, Month};
use consol::store::Store;
use serde_json::{Value, json};

const CONNECTIONS: usize = 50;
const EMAIL: &str = "bench@consol.test";
const PASSWORD: &str = "load bench password";

struct Args {
    copies: Vec<u32>,
    seconds: u64,
}

fn args() -> anyhow::Result<Args> {
    let mut a = Args {
        copies: vec![1, 5, 25],
        seconds: 10,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it
            .next()
            .ok_or_else(|| anyhow::anyhow!("{flag} needs a value"))?;
        match flag.as_str() {
            "--copies" => {
                a.copies = value
                    .split(',')
                    .map(|c| c.trim().parse::<u32>().ok().filter(|c| *c > 0))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| anyhow::anyhow!("--copies takes positive numbers, as 1,5,25"))?
            }
            "--seconds" => {
                a.seconds = value
                    .parse()
                    .ok()
                    .filter(|s| *s > 0)
                    .ok_or_else(|| anyhow::anyhow!("--seconds takes a positive number"))?
            }
            _ => bail!("unknown flag {flag} (--copies, --seconds)"),
        }
    }
    Ok(a)
}

/// `consol serve` as its own process; killed on drop, its directory removed.
struct Server {
    child: Child,
    url: String,
    dir: PathBuf,
    log: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Server {
    fn database_url(&self) -> String {
        format!("sqlite://{}/consol.db?mode=rwc", self.dir.display())
    }

    async fn start(sim: &Sim, copies: u32) -> anyhow::Result<Self> {
        let exe = std::env::current_exe()?
            .parent()
            .and_then(|p| p.parent())
            .map(|p| p.join("consol"))
            .context("no target directory")?;
        let dir =
            std::env::temp_dir().join(format!("consol-load-bench-{}-{copies}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        let port = free_port();
        let url = format!("http://127.0.0.1:{port}");
        sim.control(
            reqwest::Method::POST,
            "apps",
            Some(json!({
                "client_id": "bench", "client_secret": "bench-secret",
                "redirect_uris": [format!("{url}/connect/xero/callback")]
            })),
        )
        .await?;
        let log = dir.join("consol.log");
        let out = std::fs::File::create(&log)?;
        let child = Command::new(&exe)
            .arg("serve")
            .env(
                "CONSOL_DATABASE_URL",
                format!("sqlite://{}/consol.db?mode=rwc", dir.display()),
            )
            .env("CONSOL_LISTEN", format!("127.0.0.1:{port}"))
            .env("CONSOL_XERO_BASE_URL", &sim.url)
            .env("CONSOL_XERO_CLIENT_ID", "bench")
            .env("CONSOL_XERO_CLIENT_SECRET", "bench-secret")
            .env("CONSOL_OUTBOX_DIR", dir.join("outbox"))
            .env("CONSOL_LOG", "info,consol::xero::client=debug")
            .stdout(out.try_clone()?)
            .stderr(out)
            .stdin(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {}", exe.display()))?;
        let server = Self {
            child,
            url,
            dir,
            log,
        };
        let http = reqwest::Client::new();
        for _ in 0..600 {
            if http
                .get(format!("{}/healthz", server.url))
                .send()
                .await
                .is_ok()
            {
                return Ok(server);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("consol serve did not start within a minute")
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Peak resident memory (`VmHWM`) of the server process, in MiB.
    fn peak_mib(&self) -> f64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map(|kb| kb / 1024.0)
            .unwrap_or(0.0)
    }
}

/// A browser's cookies, enough for Consol's session and pre-session ones.
#[derive(Default, Clone)]
struct Cookies(HashMap<String, String>);

impl Cookies {
    fn keep(&mut self, resp: &reqwest::Response) {
        for v in resp.headers().get_all("set-cookie") {
            if let Some((name, value)) = v
                .to_str()
                .ok()
                .and_then(|s| s.split(';').next())
                .and_then(|kv| kv.split_once('='))
            {
                self.0.insert(name.trim().into(), value.trim().into());
            }
        }
    }

    fn header(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

fn form_csrf(html: &str) -> anyhow::Result<String> {
    html.split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .map(str::to_string)
        .context("the page has no CSRF token")
}

/// A signed-in session: its cookie and its CSRF token for the API.
struct Session {
    http: reqwest::Client,
    base: String,
    cookie: String,
    csrf: String,
}

impl Session {
    /// Makes the first administrator through `/setup` with the code the
    /// server logged, then signs in.
    async fn sign_up(server: &Server) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(CONNECTIONS * 2)
            .build()?;
        let base = server.url.clone();
        let mut code = None;
        for _ in 0..100 {
            code = server
                .log_text()
                .split("enter the set-up code ")
                .nth(1)
                .map(|s| s.chars().take_while(|c| !c.is_whitespace()).collect());
            if code.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let code: String = code.context("the server logged no set-up code")?;
        let mut cookies = Cookies::default();
        let page = http.get(format!("{base}/setup")).send().await?;
        cookies.keep(&page);
        let csrf = form_csrf(&page.text().await?)?;
        let resp = http
            .post(format!("{base}/setup"))
            .header("cookie", cookies.header())
            .form(&[
                ("setup_code", code.as_str()),
                ("email", EMAIL),
                ("name", "Load bench"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
                ("csrf_token", csrf.as_str()),
            ])
            .send()
            .await?;
        if !resp.status().is_redirection() {
            bail!("/setup answered {}", resp.status());
        }
        let mut cookies = Cookies::default();
        let page = http.get(format!("{base}/login")).send().await?;
        cookies.keep(&page);
        let csrf = form_csrf(&page.text().await?)?;
        let resp = http
            .post(format!("{base}/login"))
            .header("cookie", cookies.header())
            .form(&[
                ("email", EMAIL),
                ("password", PASSWORD),
                ("csrf_token", csrf.as_str()),
            ])
            .send()
            .await?;
        cookies.keep(&resp);
        if resp.status().as_u16() != 303 {
            bail!("signing in answered {}", resp.status());
        }
        let cookie = cookies.header();
        let me: Value = http
            .get(format!("{base}/api/v1/session"))
            .header("cookie", &cookie)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let csrf = me["csrf_token"]
            .as_str()
            .context("the session has no CSRF token")?
            .to_string();
        Ok(Self {
            http,
            base,
            cookie,
            csrf,
        })
    }

    async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let mut req = self
            .http
            .request(method.clone(), format!("{}/api/v1{path}", self.base))
            .header("cookie", &self.cookie)
            .header("x-csrf-token", &self.csrf);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await?;
        let status = resp.status();
        let text = resp.text().await?;
        if !status.is_success() {
            bail!(
                "{method} {path} answered {status}: {}",
                text.chars().take(300).collect::<String>()
            );
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// One GET with the session; its time and body.
    async fn time_get(&self, path: &str) -> anyhow::Result<(Duration, String)> {
        let started = Instant::now();
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await?;
        let status = resp.status();
        let body = resp.text().await?;
        let took = started.elapsed();
        if status.as_u16() != 200 {
            bail!("GET {path} answered {status}");
        }
        Ok((took, body))
    }
}

/// Latencies and outcome of one load run.
struct Load {
    what: String,
    seconds: f64,
    latencies: Vec<Duration>,
    non_200: HashMap<u16, usize>,
    errors: usize,
}

impl Load {
    fn rps(&self) -> f64 {
        self.latencies.len() as f64 / self.seconds
    }

    fn pct(&self, p: f64) -> Duration {
        pct(&self.latencies, p)
    }
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// `CONNECTIONS` clients GETting `path` back to back for `seconds` (after
/// one second not counted); only 200s count as answered.
async fn load(session: &Session, what: &str, path: &str, seconds: u64) -> Load {
    let warm_until = Instant::now() + Duration::from_secs(1);
    let until = warm_until + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..CONNECTIONS {
        let http = session.http.clone();
        let url = format!("{}{path}", session.base);
        let cookie = session.cookie.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut non_200: HashMap<u16, usize> = HashMap::new();
            let mut errors = 0;
            loop {
                let started = Instant::now();
                if started >= until {
                    break;
                }
                let resp = http.get(&url).header("cookie", &cookie).send().await;
                let status = match resp {
                    Ok(r) => {
                        let s = r.status().as_u16();
                        match r.bytes().await {
                            Ok(_) => Some(s),
                            Err(_) => None,
                        }
                    }
                    Err(_) => None,
                };
                if started < warm_until {
                    continue;
                }
                match status {
                    Some(200) => latencies.push(started.elapsed()),
                    Some(s) => *non_200.entry(s).or_default() += 1,
                    None => errors += 1,
                }
            }
            (latencies, non_200, errors)
        }));
    }
    let mut all = Load {
        what: what.to_string(),
        seconds: seconds as f64,
        latencies: Vec::new(),
        non_200: HashMap::new(),
        errors: 0,
    };
    for t in tasks {
        if let Ok((l, n, e)) = t.await {
            all.latencies.extend(l);
            for (s, c) in n {
                *all.non_200.entry(s).or_default() += c;
            }
            all.errors += e;
        }
    }
    all.latencies.sort();
    all
}

/// `/healthz` one at a time (10 ms apart) until `stop` is set.
async fn probe_health(
    http: reqwest::Client,
    base: String,
    stop: Arc<std::sync::atomic::AtomicBool>,
) -> Vec<Duration> {
    let mut out = Vec::new();
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        let started = Instant::now();
        if let Ok(r) = http.get(format!("{base}/healthz")).send().await
            && r.status().as_u16() == 200
            && r.bytes().await.is_ok()
        {
            out.push(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    out.sort();
    out
}

/// Where the first sync's time went.
struct FirstSync {
    organisations: usize,
    total: Duration,
    failed: Vec<String>,
    queued_max: f64,
    run_secs: Vec<f64>,
    calls: i64,
    limiter_wait_ms: u64,
    answer_ms: u64,
    rejected_429: u64,
}

/// Waits for every entity's latest run to end; reads the runs' timings
/// from the database and the per-call waits from the server's log.
async fn first_sync(
    store: &Store,
    group: i64,
    organisations: usize,
    started: Instant,
    server: &Server,
    sim: &Sim,
) -> anyhow::Result<FirstSync> {
    let runs = loop {
        let runs = store.latest_runs_for_group(group).await?;
        if runs.len() >= organisations
            && runs
                .iter()
                .all(|r| matches!(r.state.as_str(), "succeeded" | "failed" | "superseded"))
        {
            break runs;
        }
        if started.elapsed() > Duration::from_secs(1800) {
            bail!("the first sync did not end within 30 minutes");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let total = started.elapsed();
    let secs = |d: chrono::TimeDelta| d.num_milliseconds() as f64 / 1000.0;
    let mut run_secs: Vec<f64> = runs
        .iter()
        .filter_map(|r| Some(secs(r.finished_at? - r.started_at?)))
        .collect();
    run_secs.sort_by(f64::total_cmp);
    let queued_max = runs
        .iter()
        .filter_map(|r| Some(secs(r.started_at? - r.created_at)))
        .fold(0.0, f64::max);
    let failed = runs
        .iter()
        .filter(|r| r.state != "succeeded")
        .map(|r| {
            format!(
                "run {}: {} {}",
                r.id,
                r.state,
                r.error.clone().unwrap_or_default()
            )
        })
        .collect();
    let mut limiter_wait_ms = 0;
    let mut answer_ms = 0;
    let field = |line: &str, name: &str| -> u64 {
        line.split(name)
            .nth(1)
            .and_then(|s| s.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    for line in server
        .log_text()
        .lines()
        .filter(|l| l.contains("Xero call"))
    {
        limiter_wait_ms += field(line, "limiter_wait_ms=");
        answer_ms += field(line, "answer_ms=");
    }
    let stats = sim.control(reqwest::Method::GET, "stats", None).await?;
    let rejected_429 = stats["tenants"]
        .as_object()
        .map(|t| {
            t.values()
                .map(|v| v["rejected_429"].as_u64().unwrap_or(0))
                .sum()
        })
        .unwrap_or(0);
    Ok(FirstSync {
        organisations: runs.len(),
        total,
        failed,
        queued_max,
        run_secs,
        calls: runs.iter().map(|r| i64::from(r.calls)).sum(),
        limiter_wait_ms,
        answer_ms,
        rejected_429,
    })
}

/// The group's rates: the simulator's own FX table (what the demo uses),
/// one row per foreign currency and month of the group's history.
fn rates(entities: &[Value], presentation: CurrencyCode) -> anyhow::Result<Vec<Value>> {
    let last = Month::of(Utc::now().date_naive());
    let mut currencies: Vec<CurrencyCode> = Vec::new();
    for e in entities {
        let c = CurrencyCode::parse(e["base_currency"].as_str().unwrap_or(""))?;
        if c != presentation && !currencies.contains(&c) {
            currencies.push(c);
        }
    }
    let mut rows = Vec::new();
    for c in currencies {
        for back in (0..=24).rev() {
            let m = last.plus(-back);
            let mid = m.first_day() + chrono::Duration::days(14);
            rows.push(json!({
                "currency": c.as_str(),
                "month": m.to_string(),
                "average": consol::sim::fx::rate(c, presentation, mid).to_string(),
                "closing": consol::sim::fx::rate(c, presentation, m.last_day()).to_string(),
            }));
        }
    }
    Ok(rows)
}

async fn run_size(copies: u32, seconds: u64) -> anyhow::Result<()> {
    let sim = Sim::start(&["--copies", &copies.to_string()]).await?;
    let server = Server::start(&sim, copies).await?;
    let session = Session::sign_up(&server).await?;
    let group = session
        .api(
            reqwest::Method::POST,
            "/groups",
            Some(json!({"name": format!("Load bench {copies}"), "presentation_currency": "NZD", "financial_year_end_month": 3})),
        )
        .await?;
    let gid = group["id"].as_i64().context("the new group's id")?;
    sim.control(reqwest::Method::DELETE, "stats", None).await?;

    // Connecting queues each organisation's first sync at once.
    let started = Instant::now();
    let connected =
        consol::demo::connect_through_browser_flow(&server.url, gid, EMAIL, PASSWORD).await?;
    let connect_took = started.elapsed();
    let store = Store::connect(&server.database_url()).await?;
    let sync = first_sync(&store, gid, connected, started, &server, &sim).await?;

    // Set-up through the API.
    let entities = session
        .api(
            reqwest::Method::GET,
            &format!("/groups/{gid}/entities"),
            None,
        )
        .await?;
    let entities = entities.as_array().cloned().unwrap_or_default();
    let parent = entities
        .iter()
        .find(|e| e["name"] == "Kea Holdings")
        .or(entities.first())
        .context("the group has no entities")?;
    let set_up = Instant::now();
    session
        .api(
            reqwest::Method::POST,
            &format!("/groups/{gid}/chart"),
            Some(json!({"from_entity": parent["id"]})),
        )
        .await?;
    let applied = session
        .api(
            reqwest::Method::POST,
            &format!("/groups/{gid}/apply-suggestions"),
            Some(json!({"confirm": true})),
        )
        .await?;
    let rate_rows = rates(&entities, CurrencyCode::parse("NZD")?)?;
    session
        .api(
            reqwest::Method::PUT,
            &format!("/groups/{gid}/fx-rates"),
            Some(Value::Array(rate_rows.clone())),
        )
        .await?;
    let set_up_took = set_up.elapsed();

    let last = Month::of(Utc::now().date_naive()).prev();
    let pnl_json = format!(
        "/api/v1/groups/{gid}/reports/profit-and-loss?from={}&to={last}",
        last.plus(-11)
    );
    let (cold, body) = session.time_get(&pnl_json).await?;
    let report: Value = serde_json::from_str(&body)?;
    let columns = report["columns"].as_array().map_or(0, Vec::len);
    let mut warm = Vec::new();
    for _ in 0..20 {
        warm.push(session.time_get(&pnl_json).await?.0);
    }
    warm.sort();

    let (_, group_page) = session.time_get(&format!("/groups/{gid}")).await?;
    let static_path = group_page
        .split("href=\"/static/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .map(|p| format!("/static/{p}"))
        .context("the group page links no static file")?;
    let pnl_page = format!("/groups/{gid}/reports/profit-and-loss");
    let (_, page) = session.time_get(&pnl_page).await?;
    let page_kib = page.len() / 1024;

    let static_load = load(&session, "static file", &static_path, seconds).await;
    let group_load = load(&session, "group page", &format!("/groups/{gid}"), seconds).await;
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let prober = tokio::spawn(probe_health(
        session.http.clone(),
        session.base.clone(),
        stop.clone(),
    ));
    let pnl_load = load(&session, "P&L page", &pnl_page, seconds).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let health = prober.await?;

    // The first view after a sync: an incremental sync of every entity,
    // then the P&L page and the JSON at once, as a user would look.
    let before = store.data_version(gid).await?;
    let queued = session
        .api(reqwest::Method::POST, &format!("/groups/{gid}/sync"), None)
        .await?;
    let run_ids: Vec<i64> = queued["run_ids"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default();
    let sync_started = Instant::now();
    for id in &run_ids {
        loop {
            let run = session
                .api(reqwest::Method::GET, &format!("/sync-runs/{id}"), None)
                .await?;
            match run["state"].as_str() {
                Some("succeeded" | "failed" | "superseded") => break,
                _ => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }
    let resync_took = sync_started.elapsed();
    let after = store.data_version(gid).await?;
    let (first_page, _) = session.time_get(&pnl_page).await?;
    let (first_json, _) = session.time_get(&pnl_json).await?;
    let peak = server.peak_mib();

    println!();
    println!(
        "== {} entities (simulator --copies {copies}); {connected} connected in {:.1} s ==",
        entities.len(),
        connect_took.as_secs_f64()
    );
    println!(
        "first sync: {} organisations in {:.1} s (from the consent to the last run's end), {} calls, 429s served: {}",
        sync.organisations,
        sync.total.as_secs_f64(),
        sync.calls,
        sync.rejected_429
    );
    for f in &sync.failed {
        println!("  not succeeded: {f}");
    }
    if let (Some(first), Some(last_run)) = (sync.run_secs.first(), sync.run_secs.last()) {
        let sum: f64 = sync.run_secs.iter().sum();
        let limiter = sync.limiter_wait_ms as f64 / 1000.0;
        let answers = sync.answer_ms as f64 / 1000.0;
        println!(
            "  runs took {first:.1} s to {last_run:.1} s (median {:.1} s); the last waited {:.1} s for a worker slot (20 at once)",
            sync.run_secs[sync.run_secs.len() / 2],
            sync.queued_max
        );
        println!(
            "  summed over runs: {sum:.1} s running, of which {limiter:.1} s waiting for the client's limits and {answers:.1} s for the simulator's answers (both per call, in part overlapped with writes); the rest, {:.1} s, is the sync's own work (conversion and SQLite writes)",
            (sum - limiter - answers).max(0.0)
        );
    }
    println!(
        "set-up through the API: {:.2} s ({} mappings, {} intercompany contacts, {} rate rows)",
        set_up_took.as_secs_f64(),
        applied["account_mappings"],
        applied["intercompany_contacts"],
        rate_rows.len()
    );
    println!(
        "P&L JSON, 12 months ({columns} columns): cold {}, warm p50 {} max {}",
        ms(cold),
        ms(pct(&warm, 0.5)),
        ms(pct(&warm, 1.0))
    );
    println!("P&L page (default view): {page_kib} KiB");
    println!(
        "{:<12} {:>9} {:>10} {:>10} {:>10} {:>10}  other answers",
        "at 50 conns", "req/s", "p50", "p99", "req/s /st", "p99 /st"
    );
    for l in [&static_load, &group_load, &pnl_load] {
        println!(
            "{:<12} {:>9.0} {:>10} {:>10} {:>10.3} {:>10.1}  {:?} errors {}",
            l.what,
            l.rps(),
            ms(l.pct(0.5)),
            ms(l.pct(0.99)),
            l.rps() / static_load.rps(),
            l.pct(0.99).as_secs_f64() / static_load.pct(0.99).as_secs_f64().max(1e-9),
            l.non_200,
            l.errors
        );
    }
    println!(
        "/healthz while 50 connections load the P&L page: {} probes, p50 {}, p99 {}, max {}",
        health.len(),
        ms(pct(&health, 0.5)),
        ms(pct(&health, 0.99)),
        ms(pct(&health, 1.0))
    );
    println!(
        "after a sync ({} runs in {:.1} s; data version {}): first P&L page {}, first P&L JSON {}",
        run_ids.len(),
        resync_took.as_secs_f64(),
        if before == after {
            "unchanged"
        } else {
            "moved"
        },
        ms(first_page),
        ms(first_json)
    );
    println!("server peak memory (VmHWM): {peak:.0} MiB");
    store.close().await;
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let a = args()?;
    let exe_dir: &Path = &std::env::current_exe()?;
    println!(
        "load_bench {} at {} ({}); {}",
        exe_dir.display(),
        Utc::now().format("%Y-%m-%d %H:%M UTC"),
        a.copies
            .iter()
            .map(|c| format!("--copies {c}"))
            .collect::<Vec<_>>()
            .join(", "),
        std::fs::read_to_string("/proc/loadavg")
            .map(|l| format!(
                "load average {}",
                l.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
            ))
            .unwrap_or_default()
    );
    for c in a.copies {
        run_size(c, a.seconds).await?;
    }
    Ok(())
}

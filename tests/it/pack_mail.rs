//! Month-end packs by e-mail, delivered to a REAL SMTP server process
//! (Debian's python3-aiosmtpd, `tests/smtp_sink.py`) and read back with
//! Python's own MIME parser (`tests/mime_parts.py`): the schedule, the
//! scheduler sending once per schedule and version (also with two worker
//! processes, and with a worker killed mid-send), a held pack, retries
//! with the server's reply in the log, and bad input.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use chrono::Utc;
use consol::mail::Mailer;
use consol::month_end::delivery::{self, Deliverer};
use consol::store::Store;
use serde_json::{Value, json};

use crate::helpers::{Backend, SyncedGroup};
use crate::month_end::{call, cents, dec, group_with_token, opt_dec, sheet, text};
use crate::workers::worker_with;

crate::backends!(
    a_scheduled_pack_is_mailed_once_and_its_attachments_tie_to_its_json,
    two_worker_processes_send_a_pack_once,
    a_worker_killed_mid_send_never_sends_twice,
    a_pack_that_is_not_ready_is_held_and_the_admins_are_told_why,
    a_refusing_server_is_retried_and_the_log_keeps_its_reply,
    a_bad_schedule_is_refused_field_by_field_and_nothing_is_stored,
    a_restated_month_is_told_once_and_its_diff_names_the_changed_invoice,
);

/// Debian's interpreter, which has python3-aiosmtpd (scripts/ensure-smtp.sh).
const PYTHON: &str = "/usr/bin/python3";

fn tests_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests")
}

/// A running aiosmtpd process writing each message into `dir`.
pub(crate) struct SmtpSink {
    child: Child,
    pub port: u16,
    pub dir: PathBuf,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl SmtpSink {
    pub(crate) async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = std::env::temp_dir().join(format!("consol-smtp-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let child = Command::new(PYTHON)
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "smtp_sink.Sink"])
            .arg(&dir)
            .env("PYTHONPATH", tests_dir())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start aiosmtpd (scripts/ensure-smtp.sh installs python3-aiosmtpd)");
        let sink = Self { child, port, dir };
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return sink;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the SMTP server did not start on port {port}");
    }

    pub(crate) fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}?tls=none", self.port)
    }

    /// The messages received so far, in order.
    pub(crate) fn messages(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        files.sort_by_key(|p| {
            p.file_stem()
                .and_then(|s| s.to_str())
                .and_then(|s| s.parse::<u32>().ok())
        });
        files
    }

    pub(crate) fn control(&self, name: &str, text: Option<&str>) {
        let path = self.dir.join(name);
        match text {
            Some(t) => std::fs::write(path, t).unwrap(),
            None => {
                let _ = std::fs::remove_file(path);
            }
        }
    }
}

/// A delivered message, parsed by Python's `email` package.
pub(crate) fn parse_mime(path: &Path) -> Value {
    let out = Command::new(PYTHON)
        .arg(tests_dir().join("mime_parts.py"))
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

pub(crate) fn part_bytes(message: &Value, content_type: &str) -> Vec<u8> {
    let part = message["parts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["content_type"] == content_type)
        .unwrap_or_else(|| panic!("no {content_type} part in {message}"));
    base64::engine::general_purpose::STANDARD
        .decode(part["base64"].as_str().unwrap())
        .unwrap()
}

fn mailer(url: &str, g: &SyncedGroup) -> Arc<Mailer> {
    let mut settings = crate::helpers::test_settings(&g.s.app.db.url);
    settings.smtp_url = Some(consol::config::Secret::new(url));
    Arc::new(Mailer::from_settings(&settings).unwrap())
}

fn deliverer(url: &str, g: &SyncedGroup) -> consol::jobs::Worker {
    consol::jobs::Worker::new(g.s.app.store().clone(), Default::default()).handle(
        delivery::JOB_KIND,
        Arc::new(Deliverer {
            store: g.s.app.store().clone(),
            mailer: mailer(url, g),
            public_url: g.s.app.address.clone(),
        }),
    )
}

/// A schedule due now: business day 1 at 00:00 UTC.
async fn schedule(g: &SyncedGroup, approval: bool) -> Value {
    let (status, body) = call(
        g,
        "PUT",
        "/pack-schedule",
        Some(json!({
            "business_day": 1,
            "send_at": "00:00",
            "utc_offset": "+00:00",
            "recipients": ["cfo@example.com", "Board <board@example.org>"],
            "formats": ["xlsx", "json", "pdf"],
            "approval_required": approval,
        })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn due_month(store: &Store, group: i64) -> consol::domain::Month {
    let s = store.pack_schedule(group).await.unwrap().unwrap();
    consol::month_end::schedule::due_month(&s, Utc::now())
}

async fn deliveries(g: &SyncedGroup) -> Vec<Value> {
    let (status, body) = call(g, "GET", "/deliveries", None).await;
    assert_eq!(status, 200, "{body}");
    body.as_array().unwrap().clone()
}

async fn wait_until(what: &str, mut done: impl AsyncFnMut() -> bool) {
    for _ in 0..300 {
        if done().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("timed out waiting until {what}");
}

async fn a_scheduled_pack_is_mailed_once_and_its_attachments_tie_to_its_json(backend: Backend) {
    let sink = SmtpSink::start().await;
    let mut g = group_with_token(backend, true).await;
    let store = g.s.app.store().clone();
    schedule(&g, false).await;
    let m = due_month(&store, g.group.id).await;
    let worker = deliverer(&sink.url(), &g);

    // Two ticks (as two schedulers would) and the jobs: one message.
    delivery::tick(&store, Utc::now()).await.unwrap();
    delivery::tick(&store, Utc::now()).await.unwrap();
    worker.drain().await.unwrap();
    delivery::tick(&store, Utc::now()).await.unwrap();
    worker.drain().await.unwrap();
    let messages = sink.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    let rcpt = std::fs::read_to_string(messages[0].with_extension("rcpt")).unwrap();
    assert_eq!(
        rcpt.lines().collect::<Vec<_>>(),
        ["cfo@example.com", "board@example.org"]
    );

    let log = deliveries(&g).await;
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0]["status"], "sent");
    assert_eq!(log[0]["month"], m.to_string());
    assert!(
        log[0]["last_reply"].as_str().unwrap().starts_with("250 "),
        "{}",
        log[0]
    );
    let (_, months) = call(&g, "GET", "/month-end", None).await;
    let row = months
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["month"] == m.to_string())
        .unwrap();
    assert_eq!(row["status"], "sent", "{row}");

    let mail = parse_mime(&messages[0]);
    assert_eq!(mail["content_type"], "multipart/mixed");
    let subject = mail["subject"].as_str().unwrap();
    assert!(subject.contains("Kea Group"), "{subject}");
    assert!(subject.contains("version 1"), "{subject}");

    // The JSON attachment is the pack the API serves.
    let (status, pack) = call(&g, "GET", &format!("/month-end/{m}/pack?format=json"), None).await;
    assert_eq!(status, 200);
    let attached: Value = serde_json::from_slice(&part_bytes(&mail, "application/json")).unwrap();
    assert_eq!(attached, pack);

    // The PDF is attached, typeset from the same pack (its figures are
    // checked against the JSON by month_end_pdf.rs).
    let pdf = part_bytes(&mail, "application/pdf");
    assert!(pdf.starts_with(b"%PDF-"), "the PDF attachment is not a PDF");

    // The Excel attachment ties to it, line by line.
    let xlsx = part_bytes(
        &mail,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    );
    let ws = sheet(&xlsx, "Profit and loss");
    let pnl = attached["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == "profit_and_loss")
        .unwrap()["content"]
        .clone();
    let columns = pnl["columns"].as_array().unwrap();
    let lines = pnl["lines"].as_array().unwrap();
    assert!(lines.len() > 10);
    for (i, l) in lines.iter().enumerate() {
        let row = 4 + i as u32;
        assert_eq!(
            text(ws.get_value((row, 1))),
            l["account_name"].as_str().unwrap()
        );
        for (c, col) in columns.iter().enumerate() {
            let key = col["key"].as_str().unwrap();
            assert_eq!(
                cents(ws.get_value((row, 2 + c as u32))),
                opt_dec(&l["values"][key]),
                "{} {key}",
                l["key"]
            );
        }
    }

    // The text body holds the consolidated net profit of the month, as the
    // pack has it, and a link that opens the pack.
    let body = String::from_utf8(part_bytes(&mail, "text/plain")).unwrap();
    let kpis = &attached["sections"][1]["content"]["columns"][0];
    assert_eq!(kpis["consolidated"], true);
    let net = dec(&kpis["month"]["net_profit"]);
    let shown = consol::web::format::accounting(net, 2);
    let line = body
        .lines()
        .find(|l| l.trim_start().starts_with("Net profit"))
        .unwrap_or_else(|| panic!("{body}"));
    assert!(line.contains(&shown), "{line} lacks {shown}");
    let html = String::from_utf8(part_bytes(&mail, "text/html")).unwrap();
    assert!(html.contains(&shown), "{html}");
    let link = body
        .lines()
        .find_map(|l| l.strip_prefix("Open the pack: "))
        .unwrap_or_else(|| panic!("{body}"))
        .to_string();
    assert_eq!(
        link,
        format!("{}/groups/{}/month-end/{m}", g.s.app.address, g.group.id)
    );
    let path = link.strip_prefix(&g.s.app.address).unwrap().to_string();
    let page = g.s.app.client.get(&path).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(&m.to_string()));
    // The delivery log page shows the server's reply.
    let page =
        g.s.app
            .client
            .get(&format!("/groups/{}/month-end/deliveries", g.group.id))
            .await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("250 2.0.0 Ok: stored as 1.eml"),
        "{}",
        page.body
    );
}

/// Two `consol serve --role worker` processes, each ticking every second.
async fn two_worker_processes_send_a_pack_once(backend: Backend) {
    let sink = SmtpSink::start().await;
    let g = group_with_token(backend, true).await;
    schedule(&g, false).await;
    let env = [
        ("CONSOL_SMTP_URL", sink.url()),
        ("CONSOL_PACK_TICK_SECONDS", "1".to_string()),
        ("CONSOL_PUBLIC_URL", g.s.app.address.clone()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut a = worker_with(&g.s, 10, &env);
    let mut b = worker_with(&g.s, 10, &env);
    wait_until("the pack is sent", async || {
        deliveries(&g).await.iter().any(|d| d["status"] == "sent")
    })
    .await;
    // Several more ticks of both.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let _ = a.kill();
    let _ = b.kill();
    let _ = a.wait();
    let _ = b.wait();
    assert_eq!(sink.messages().len(), 1, "{:?}", sink.messages());
    let log = deliveries(&g).await;
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0]["attempts"], 1);
}

/// The server takes the message, then waits before its 250: the worker is
/// killed in between. Another worker takes the job over and must not send
/// it again; the log says the send is uncertain.
async fn a_worker_killed_mid_send_never_sends_twice(backend: Backend) {
    let sink = SmtpSink::start().await;
    let g = group_with_token(backend, true).await;
    schedule(&g, false).await;
    sink.control("delay", Some("30"));
    let env = [
        ("CONSOL_SMTP_URL", sink.url()),
        ("CONSOL_PACK_TICK_SECONDS", "1".to_string()),
        ("CONSOL_PUBLIC_URL", g.s.app.address.clone()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut a = worker_with(&g.s, 3, &env);
    wait_until("the server has the message", async || {
        !sink.messages().is_empty()
    })
    .await;
    a.kill().unwrap();
    a.wait().unwrap();
    assert_eq!(deliveries(&g).await[0]["status"], "sending");
    sink.control("delay", None);
    let mut b = worker_with(&g.s, 3, &env);
    wait_until("the second worker finds the cut send", async || {
        deliveries(&g).await[0]["status"] == "uncertain"
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let _ = b.kill();
    let _ = b.wait();
    assert_eq!(sink.messages().len(), 1, "{:?}", sink.messages());
    let log = deliveries(&g).await;
    assert_eq!(log.len(), 1, "{log:?}");
    assert!(
        log[0]["last_reply"]
            .as_str()
            .unwrap()
            .contains("not sent again"),
        "{}",
        log[0]
    );
}

async fn a_pack_that_is_not_ready_is_held_and_the_admins_are_told_why(backend: Backend) {
    let sink = SmtpSink::start().await;
    // Synced but not set up: no rates, no mappings.
    let mut g = group_with_token(backend, false).await;
    let store = g.s.app.store().clone();
    schedule(&g, false).await;
    let m = due_month(&store, g.group.id).await;
    let worker = deliverer(&sink.url(), &g);
    delivery::tick(&store, Utc::now()).await.unwrap();
    delivery::tick(&store, Utc::now()).await.unwrap();
    worker.drain().await.unwrap();

    // Nothing closed, nothing sent to the recipients: one notice, to the
    // group's admin.
    assert!(
        store
            .latest_month_end(g.group.id, m)
            .await
            .unwrap()
            .is_none()
    );
    let messages = sink.messages();
    assert_eq!(messages.len(), 1);
    let rcpt = std::fs::read_to_string(messages[0].with_extension("rcpt")).unwrap();
    assert_eq!(rcpt.trim(), "fin@example.com");
    let mail = parse_mime(&messages[0]);
    assert!(
        mail["subject"].as_str().unwrap().contains("is held"),
        "{mail}"
    );
    let body = String::from_utf8(part_bytes(&mail, "text/plain")).unwrap();
    assert!(body.contains("is held, because:"), "{body}");
    assert!(body.contains("No average"), "{body}");
    assert!(body.contains("has amounts in"), "{body}");

    let (_, months) = call(&g, "GET", "/month-end", None).await;
    let row = months
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["month"] == m.to_string())
        .unwrap();
    assert_eq!(row["status"], "held", "{row}");
    assert!(!row["held_because"].as_array().unwrap().is_empty());
    let page =
        g.s.app
            .client
            .get(&format!("/groups/{}/month-end", g.group.id))
            .await;
    assert!(page.body.contains("held, because"), "{}", page.body);
}

async fn a_refusing_server_is_retried_and_the_log_keeps_its_reply(backend: Backend) {
    let sink = SmtpSink::start().await;
    let g = group_with_token(backend, true).await;
    let store = g.s.app.store().clone();
    schedule(&g, false).await;
    sink.control("reject", Some("451 4.3.0 Mailbox busy, try again later"));
    let worker = deliverer(&sink.url(), &g);
    delivery::tick(&store, Utc::now()).await.unwrap();
    worker.drain().await.unwrap();
    let log = deliveries(&g).await;
    assert_eq!(log[0]["status"], "failed");
    let reply = log[0]["last_reply"].as_str().unwrap();
    assert!(
        reply.contains("451") && reply.contains("Mailbox busy"),
        "{reply}"
    );
    assert!(sink.messages().is_empty());
    // Backoff: not again at once.
    assert_eq!(worker.drain().await.unwrap(), 0);

    // The server takes it at the retry, 5 s later.
    sink.control("reject", None);
    tokio::time::sleep(Duration::from_millis(5500)).await;
    worker.drain().await.unwrap();
    let log = deliveries(&g).await;
    assert_eq!(log[0]["status"], "sent", "{}", log[0]);
    assert_eq!(log[0]["attempts"], 2);
    assert_eq!(sink.messages().len(), 1);

    // An unreachable server: the connection's failure is the reply kept.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let m = due_month(&store, g.group.id).await;
    let (status, body) = call(
        &g,
        "POST",
        &format!("/month-end/{m}/reopen"),
        Some(json!({"reason": "test"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = call(&g, "POST", &format!("/month-end/{m}/close"), None).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = call(&g, "POST", &format!("/month-end/{m}/send"), None).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["version"], 2);
    deliverer(&format!("smtp://127.0.0.1:{closed}?tls=none"), &g)
        .drain()
        .await
        .unwrap();
    let log = deliveries(&g).await;
    let v2 = log.iter().find(|d| d["version"] == 2).unwrap();
    assert_eq!(v2["status"], "failed");
    assert!(
        v2["last_reply"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("connect"),
        "{v2}"
    );
    // Sending the same version again is refused.
    let (status, _) = call(&g, "POST", &format!("/month-end/{m}/send"), None).await;
    assert_eq!(status, 409);
}

async fn a_bad_schedule_is_refused_field_by_field_and_nothing_is_stored(backend: Backend) {
    let mut g = group_with_token(backend, false).await;
    let (status, body) = call(
        &g,
        "PUT",
        "/pack-schedule",
        Some(json!({
            "business_day": 0,
            "send_at": "9am",
            "utc_offset": "Pacific/Auckland",
            "recipients": ["cfo@example.com", "not an address"],
            "formats": ["docx"],
        })),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let details = &body["error"]["details"];
    for field in [
        "business_day",
        "send_at",
        "utc_offset",
        "recipients",
        "formats",
    ] {
        assert!(details[field].is_string(), "{field}: {body}");
    }
    assert!(
        details["recipients"]
            .as_str()
            .unwrap()
            .contains("not an address")
    );
    let (status, _) = call(&g, "GET", "/pack-schedule", None).await;
    assert_eq!(status, 404);

    // The form: the same errors by field, with the typed values kept.
    let id = g.group.id;
    let client = &mut g.s.app.client;
    let page = client
        .get(&format!("/groups/{id}/month-end/schedule"))
        .await;
    assert_eq!(page.status, 200);
    let csrf = page.input_value("csrf_token").unwrap();
    let page = client
        .post_form(
            &format!("/groups/{id}/month-end/schedule"),
            &[
                ("csrf_token", csrf.as_str()),
                ("business_day", "21"),
                ("send_at", "09:00"),
                ("utc_offset", "+13:00"),
                ("recipients", "cfo@example.com\nnope"),
                ("formats", "xlsx"),
            ],
        )
        .await;
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(page.body.contains("data-field=\"business_day\""));
    assert!(page.body.contains("data-field=\"recipients\""));
    assert!(!page.body.contains("data-field=\"send_at\""));
    assert!(
        g.s.app
            .store()
            .pack_schedule(g.group.id)
            .await
            .unwrap()
            .is_none()
    );

    // A bad SMTP URL stops the worker at start-up, naming the setting.
    let out = Command::new(env!("CARGO_BIN_EXE_consol"))
        .args(["serve", "--role", "worker"])
        .env("CONSOL_DATABASE_URL", &g.s.app.db.url)
        .env(
            "CONSOL_SECRET_KEY",
            "test-secret-key-of-at-least-32-characters",
        )
        .env("CONSOL_SMTP_URL", "http://mail.example.com")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("CONSOL_SMTP_URL") && err.contains("smtp://"),
        "{err}"
    );
}

/// After the pack is sent, a bookkeeper voids an invoice of the month in
/// Xero and a sync brings it: the owner is told once, the pack page says
/// "restated since sent", the diff names the invoice and its amount, and
/// the snapshot that was sent is unchanged.
async fn a_restated_month_is_told_once_and_its_diff_names_the_changed_invoice(backend: Backend) {
    let sink = SmtpSink::start().await;
    let mut g = group_with_token(backend, true).await;
    let store = g.s.app.store().clone();
    schedule(&g, false).await;
    let m = due_month(&store, g.group.id).await;
    let worker = deliverer(&sink.url(), &g);
    delivery::tick(&store, Utc::now()).await.unwrap();
    worker.drain().await.unwrap();
    assert_eq!(sink.messages().len(), 1);
    let v = store
        .latest_month_end(g.group.id, m)
        .await
        .unwrap()
        .unwrap();
    let sent_snapshot = store.month_end_snapshot(v.id).await.unwrap().unwrap();
    // Nothing changed yet: no notice.
    delivery::tick(&store, Utc::now()).await.unwrap();
    worker.drain().await.unwrap();
    assert_eq!(sink.messages().len(), 1);

    let token = crate::sync::bookkeeper_token(&g.s).await;
    let entity = store
        .entities_for_group(g.group.id)
        .await
        .unwrap()
        .remove(0);
    let (voided, number, total) =
        g.s.sim
            .state()
            .with_ledger(entity.tenant_id.parse().unwrap(), |l| {
                use consol::xero::{InvoiceStatus, InvoiceType};
                l.get_invoices(&Default::default())
                    .unwrap()
                    .invoices
                    .into_iter()
                    .find(|i| {
                        i.invoice_type == Some(InvoiceType::AccRec)
                            && i.status == Some(InvoiceStatus::Authorised)
                            && i.amount_paid.unwrap_or_default().is_zero()
                            && !i.total.unwrap_or_default().is_zero()
                            && consol::domain::Month::of(i.date.unwrap().date()) == m
                    })
                    .map(|i| {
                        (
                            i.invoice_id.unwrap().to_string(),
                            i.invoice_number.clone().unwrap_or_default(),
                            i.total.unwrap(),
                        )
                    })
            })
            .unwrap()
            .expect("an unpaid sales invoice in the sent month");
    crate::sync::xero_write(
        &g.s,
        &token,
        &entity.tenant_id,
        reqwest::Method::POST,
        &format!("Invoices/{voided}"),
        json!({"Invoices": [{"InvoiceID": voided, "Status": "VOIDED"}]}),
    )
    .await;
    consol::sync::enqueue(
        &store,
        entity.organisation_id,
        consol::sync::SyncKind::Incremental,
    )
    .await
    .unwrap();
    consol::sync::worker(store.clone(), g.s.xero.clone())
        .drain()
        .await
        .unwrap();

    delivery::tick(&store, Utc::now()).await.unwrap();
    delivery::tick(&store, Utc::now()).await.unwrap();
    worker.drain().await.unwrap();
    delivery::tick(&store, Utc::now()).await.unwrap();
    worker.drain().await.unwrap();
    let messages = sink.messages();
    assert_eq!(messages.len(), 2, "one notice: {messages:?}");
    let rcpt = std::fs::read_to_string(messages[1].with_extension("rcpt")).unwrap();
    assert_eq!(rcpt.trim(), "fin@example.com", "the schedule's owner");
    let mail = parse_mime(&messages[1]);
    assert!(
        mail["subject"].as_str().unwrap().contains("restated"),
        "{mail}"
    );
    let body = String::from_utf8(part_bytes(&mail, "text/plain")).unwrap();
    assert!(body.contains(&voided) && body.contains("voided"), "{body}");
    assert!(
        body.contains("Net Profit") || body.contains("Net profit"),
        "{body}"
    );

    let amount = consol::web::format::accounting(total, 2);
    let page =
        g.s.app
            .client
            .get(&format!("/groups/{}/month-end/{m}/diff", g.group.id))
            .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(&voided), "{}", page.body);
    assert!(page.body.contains(&number), "{}", page.body);
    assert!(page.body.contains(&amount), "{amount}: {}", page.body);
    assert!(page.body.contains("data-change=\"voided\""));
    assert_eq!(
        page.body.matches("data-change=").count(),
        1,
        "only the voided invoice changed: {}",
        page.body
    );
    let page =
        g.s.app
            .client
            .get(&format!("/groups/{}/month-end/{m}", g.group.id))
            .await;
    assert!(page.body.contains("Restated since sent"), "{}", page.body);
    let (_, months) = call(&g, "GET", "/month-end", None).await;
    let row = months
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["month"] == m.to_string())
        .unwrap();
    assert_eq!(row["status"], "restated", "{row}");
    // The snapshot that was sent is as it was.
    assert!(store.month_end_snapshot(v.id).await.unwrap().unwrap() == sent_snapshot);
    assert_eq!(
        store
            .latest_month_end(g.group.id, m)
            .await
            .unwrap()
            .unwrap()
            .snapshot_hash,
        v.snapshot_hash
    );
}

//! The `consol` binary itself: settings errors, `user add` and
//! `api-token create`.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use crate::helpers::{Backend, TestDb, spawn_app_on};

fn consol() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_consol"));
    // Start from a clean slate: no CONSOL_* from the developer's shell.
    for (k, _) in std::env::vars() {
        if k.starts_with("CONSOL_") {
            c.env_remove(k);
        }
    }
    c.env("CONSOL_LOG", "error");
    c
}

#[test]
fn a_malformed_setting_is_one_clear_line() {
    let out = consol()
        .args(["migrate"])
        .env("CONSOL_LISTEN", "not-an-address")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(lines[0].contains("CONSOL_LISTEN"), "{err}");
    assert!(!err.contains("panicked"));
}

#[test]
fn an_unknown_database_scheme_is_named() {
    let out = consol()
        .args(["migrate"])
        .env("CONSOL_DATABASE_URL", "mysql://root:hunter2@localhost/x")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("CONSOL_DATABASE_URL"), "{err}");
    assert!(
        !err.contains("hunter2"),
        "the URL's password is never printed"
    );
}

/// `consol user add --role admin` on the database at `url`, the password on
/// standard input.
fn add_user(url: &str, email: &str, password: &str) -> Output {
    let mut child = consol()
        .args(["user", "add", "--email", email, "--role", "admin"])
        .env("CONSOL_DATABASE_URL", url)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    child.wait_with_output().unwrap()
}

async fn user_add(backend: Backend) {
    let db = TestDb::new(backend).await;
    let run = |email: &str, password: &str| add_user(&db.url, email, password);
    let out = run("Cli@Example.com", "a long enough password");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let email = consol::domain::Email::parse("cli@example.com").unwrap();
    let (user, hash) = db.store.credentials(&email).await.unwrap().unwrap();
    assert!(user.is_admin);
    assert!(consol::auth::password::verify(
        "a long enough password",
        &hash
    ));

    let dup = run("cli@example.com", "a long enough password");
    assert!(!dup.status.success());
    assert!(String::from_utf8_lossy(&dup.stderr).contains("already exists"));
    let weak = run("weak@example.com", "short");
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("at least 10 characters"));
    assert_eq!(db.store.count_users().await.unwrap(), 1);
}

crate::backends!(user_add);

/// `consol api-token create` on a SQLite file: the token it prints works
/// against the API, and the database holds only its SHA-256.
#[tokio::test]
async fn api_token_create_prints_a_token_that_works_and_is_stored_hashed() {
    let db = TestDb::new(Backend::Sqlite).await;
    let out = add_user(&db.url, "bi@example.com", "a long enough password");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let create = |email: &str| {
        consol()
            .args([
                "api-token",
                "create",
                "--email",
                email,
                "--name",
                "Power BI",
            ])
            .env("CONSOL_DATABASE_URL", &db.url)
            .output()
            .unwrap()
    };
    let out = create("BI@example.com");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "only the token is printed: {stdout}");
    let token = lines[0];
    assert!(
        token.starts_with(consol::store::API_TOKEN_PREFIX) && token.len() > 40,
        "{token}"
    );

    // Stored as its SHA-256, under the name given; the token itself is
    // nowhere in the database's files.
    let consol::store::Store::Sqlite(pool) = &db.store else {
        unreachable!()
    };
    let rows: Vec<(String, String)> = sqlx::query_as("SELECT name, token_hash FROM api_tokens")
        .fetch_all(pool)
        .await
        .unwrap();
    assert_eq!(
        rows,
        [(
            "Power BI".to_string(),
            consol::auth::token::hash_token(token)
        )]
    );
    let file = db
        .url
        .strip_prefix("sqlite://")
        .and_then(|u| u.split('?').next())
        .unwrap()
        .to_string();
    let mut read = 0;
    for suffix in ["", "-wal", "-journal"] {
        let Ok(bytes) = std::fs::read(format!("{file}{suffix}")) else {
            continue;
        };
        read += 1;
        assert!(
            !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
            "the token is in {file}{suffix}"
        );
    }
    assert!(read > 0, "no database file at {file}");

    // An unknown e-mail: one clear line, a failing exit code, no token.
    let out = create("nobody@example.com");
    assert!(!out.status.success());
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    let err_lines: Vec<&str> = err.lines().collect();
    assert_eq!(err_lines.len(), 1, "{err}");
    assert!(
        err_lines[0].contains("no user") && err_lines[0].contains("nobody@example.com"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM api_tokens")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(count, 1);

    // The app on the same database takes the printed token.
    let app = spawn_app_on(db);
    let http = reqwest::Client::new();
    let groups = format!("{}/api/v1/groups", app.address);
    let resp = http.get(&groups).bearer_auth(token).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.json::<serde_json::Value>().await.unwrap(),
        serde_json::json!([])
    );
    let resp = http
        .get(&groups)
        .bearer_auth(format!("{token}x"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(app.store().count_users().await.unwrap(), 1);
}

/// `consol serve` on a free port with a fresh SQLite directory; its
/// standard error is collected line by line.
struct Served {
    child: std::process::Child,
    port: u16,
    lines: std::sync::mpsc::Receiver<String>,
    dir: std::path::PathBuf,
}

impl Served {
    fn start(env: &[(&str, &str)]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = std::env::temp_dir().join(format!("consol_serve_{}_{port}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut cmd = consol();
        cmd.args(["serve", "--role", "web"])
            .env("CONSOL_LISTEN", format!("127.0.0.1:{port}"))
            .env(
                "CONSOL_DATABASE_URL",
                format!("sqlite://{}/consol.db?mode=rwc", dir.display()),
            )
            .env("CONSOL_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            child,
            port,
            lines,
            dir,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Waits (bounded) until the server answers its health check.
    async fn ready(&self) {
        for _ in 0..300 {
            if let Ok(r) = reqwest::get(self.url("/healthz")).await
                && r.status() == 200
            {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("consol serve never answered");
    }

    /// Stops the server and returns everything it wrote to standard error.
    fn stop(mut self) -> Vec<String> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let out = self.lines.iter().collect();
        let _ = std::fs::remove_dir_all(&self.dir);
        out
    }
}

/// Logs to a file or a pipe carry no colour codes, and health checks and
/// static files do not fill them with a line per request.
#[tokio::test]
async fn serve_logs_are_plain_and_quiet_about_health_checks() {
    let served = Served::start(&[]);
    served.ready().await;
    for path in [
        "/healthz",
        "/healthz",
        "/static/app.css",
        "/login",
        "/setup",
    ] {
        reqwest::get(served.url(path)).await.unwrap();
    }
    let log = served.stop().join("\n");
    assert!(
        !log.contains('\u{1b}'),
        "ANSI codes in a piped log: {log:?}"
    );
    assert!(log.contains("/setup"), "pages are logged: {log}");
    assert!(!log.contains("/healthz"), "health checks are not: {log}");
    assert!(!log.contains("/static/"), "static files are not: {log}");
}

/// `CONSOL_LOG_FORMAT=json`: one JSON object a line, for log collectors.
#[tokio::test]
async fn serve_logs_json_when_asked() {
    let served = Served::start(&[("CONSOL_LOG_FORMAT", "json")]);
    served.ready().await;
    reqwest::get(served.url("/setup")).await.unwrap();
    let lines = served.stop();
    assert!(!lines.is_empty());
    for line in &lines {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(v["level"].is_string(), "{line}");
    }
    assert!(lines.iter().any(|l| l.contains("\"/setup\"")), "{lines:#?}");
}

#[test]
fn an_unknown_log_format_is_named() {
    let out = consol()
        .args(["migrate"])
        .env("CONSOL_LOG_FORMAT", "xml")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("CONSOL_LOG_FORMAT"), "{err}");
}

/// A fresh `consol serve` writes a one-time set-up code to its log; /setup
/// makes an administrator only with it, and the code then ends.
#[tokio::test]
async fn first_start_prints_a_set_up_code_that_setup_needs() {
    let served = Served::start(&[]);
    served.ready().await;
    let mut code = None;
    while code.is_none() {
        let line = served
            .lines
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("a set-up code in the log");
        code = line
            .split("set-up code ")
            .nth(1)
            .map(|c| c.split_whitespace().next().unwrap_or("").to_string());
    }
    let code = code.unwrap();
    assert_eq!(code.len(), 19, "{code}");
    let mut browser = crate::helpers::Client::new(&served.url(""));
    let csrf = browser.csrf_from("/setup").await;
    let form = |code: &str| {
        vec![
            ("setup_code", code.to_string()),
            ("email", "first@example.com".to_string()),
            ("password", "a long enough password".to_string()),
            ("password_confirm", "a long enough password".to_string()),
            ("csrf_token", csrf.clone()),
        ]
    };
    let wrong = form("WXYZ-WXYZ-WXYZ-WXYZ");
    let wrong: Vec<(&str, &str)> = wrong.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(browser.post_form("/setup", &wrong).await.status, 422);
    let right = form(&code);
    let right: Vec<(&str, &str)> = right.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let done = browser.post_form("/setup", &right).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.location(), Some("/groups"));
    served.stop();
}

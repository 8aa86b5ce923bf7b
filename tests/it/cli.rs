//! The `consol` binary itself: settings errors and `user add`.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::helpers::{Backend, TestDb};

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

async fn user_add(backend: Backend) {
    let db = TestDb::new(backend).await;
    let run = |email: &str, password: &str| {
        let mut child = consol()
            .args(["user", "add", "--email", email, "--role", "admin"])
            .env("CONSOL_DATABASE_URL", &db.url)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
        child.wait_with_output().unwrap()
    };
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

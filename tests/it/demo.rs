//! `consol demo` as a newcomer runs it: the real binary with its own
//! simulator and SQLite file, the consolidated four-currency group behind
//! the printed address and login, and a second run that reuses the data
//! directory.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use consol::demo::{DEMO_EMAIL, DEMO_PASSWORD};
use rust_decimal::Decimal;

use crate::helpers::{Client, login};

struct Demo {
    child: Child,
    /// The group page the demo printed.
    group_url: String,
    output: Vec<String>,
}

/// Starts `consol demo` on free ports and waits (bounded) until it says it
/// is ready.
fn start(data_dir: &std::path::Path) -> Demo {
    let mut child = Command::new(env!("CARGO_BIN_EXE_consol"))
        .args([
            "demo",
            "--listen",
            "127.0.0.1:0",
            "--sim-listen",
            "127.0.0.1:0",
        ])
        .arg("--data-dir")
        .arg(data_dir)
        .env("CONSOL_LOG", "error")
        .stdout(Stdio::piped())
        // Kept in a file, so that a demo that stops early says why.
        .stderr(std::fs::File::create(data_dir.with_extension("stderr")).unwrap())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut output = Vec::new();
    let mut group_url = None;
    loop {
        match rx.recv_timeout(Duration::from_secs(240)) {
            Ok(line) => {
                if let Some(u) = line.split("Consol demo is ready:").nth(1) {
                    group_url = Some(u.trim().to_string());
                }
                let last = line.starts_with("Press Ctrl-C");
                output.push(line);
                if let (true, Some(group_url)) = (last, group_url.clone()) {
                    return Demo {
                        child,
                        group_url,
                        output,
                    };
                }
            }
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                let stderr =
                    std::fs::read_to_string(data_dir.with_extension("stderr")).unwrap_or_default();
                panic!("the demo never said it was ready: {output:#?}\nits errors:\n{stderr}");
            }
        }
    }
}

/// Stops the demo as Ctrl-C would, and checks that it exits cleanly.
fn stop(mut demo: Demo) {
    let status = Command::new("kill")
        .args(["-INT", &demo.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    for _ in 0..300 {
        if let Some(status) = demo.child.try_wait().unwrap() {
            assert!(status.success(), "the demo exited with {status}");
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = demo.child.kill();
    let _ = demo.child.wait();
    panic!("the demo did not stop on Ctrl-C");
}

/// Signs in with the printed login and checks what a newcomer should see:
/// the five organisations in four currencies, synced, and a consolidated
/// P&L with eliminations and a rate for each foreign currency.
async fn check(demo: &Demo) -> i64 {
    let base = demo.group_url.split("/groups/").next().unwrap().to_string();
    let group_id: i64 = demo.group_url.rsplit('/').next().unwrap().parse().unwrap();
    let all = demo.output.join("\n");
    assert!(all.contains(DEMO_EMAIL), "the login is printed: {all}");
    // Kea, Wattle, Redwood and Thistle, and Tui Ventures, the real-life
    // cases' entity (issue 11).
    assert!(all.contains("connected 5 organisations"), "{all}");
    let mut client = Client::new(&base);
    login(&mut client, DEMO_EMAIL, DEMO_PASSWORD).await;
    let page = client.get(&format!("/groups/{group_id}")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("id=\"kpis\""), "the dashboard shows");

    let entities: serde_json::Value = serde_json::from_str(
        &client
            .get(&format!("/api/v1/groups/{group_id}/entities"))
            .await
            .body,
    )
    .unwrap();
    let currencies: BTreeSet<&str> = entities
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["base_currency"].as_str().unwrap())
        .collect();
    assert_eq!(currencies, BTreeSet::from(["AUD", "GBP", "NZD", "USD"]));
    assert!(
        entities
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["last_synced_at"].is_string()),
        "every entity synced: {entities}"
    );

    let report: serde_json::Value = serde_json::from_str(
        &client
            .get(&format!(
                "/api/v1/groups/{group_id}/reports/profit-and-loss"
            ))
            .await
            .body,
    )
    .unwrap();
    let eliminated = report["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| {
            l["values"]["eliminations"]
                .as_str()
                .unwrap()
                .parse::<Decimal>()
                .unwrap()
                != Decimal::ZERO
        })
        .count();
    assert!(
        eliminated >= 2,
        "intercompany sales and costs are eliminated"
    );
    let rated: BTreeSet<&str> = report["rates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["currency"].as_str().unwrap())
        .collect();
    assert_eq!(rated, BTreeSet::from(["AUD", "GBP", "USD"]));
    assert!(
        !report["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["kind"] == "missing_rate"),
        "no rate is missing"
    );
    let pnl = client
        .get(&format!("/groups/{group_id}/reports/profit-and-loss"))
        .await;
    assert_eq!(pnl.status, 200);
    assert!(pnl.body.contains("Eliminations") && pnl.body.contains("Net Profit"));
    group_id
}

#[tokio::test]
async fn the_demo_shows_a_consolidated_group_and_a_second_run_reuses_it() {
    let dir = std::env::temp_dir().join(format!("consol-demo-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);

    let first = start(&dir);
    let group = check(&first).await;
    // The first run closes the month before the last and sends its pack
    // (issue 13): nothing it needs may be left unmapped or unrated.
    let all = first.output.join("\n");
    let closed = consol::domain::Month::of(chrono::Utc::now().date_naive())
        .prev()
        .prev();
    assert!(
        all.contains(&format!("Closed {closed} (version 1)")),
        "the demo closes {closed}: {all}"
    );
    assert!(
        all.contains(&format!("Sent the {closed} pack")),
        "the demo sends the {closed} pack: {all}"
    );
    stop(first);
    assert!(
        dir.join("consol.db").exists(),
        "the data stays in the directory"
    );

    // The second run finds the user, the group and its set-up in the data
    // directory, reconnects to the fresh simulator and syncs again.
    let second = start(&dir);
    assert_eq!(check(&second).await, group, "the same group");
    let mut client = Client::new(second.group_url.split("/groups/").next().unwrap());
    login(&mut client, DEMO_EMAIL, DEMO_PASSWORD).await;
    let groups: serde_json::Value =
        serde_json::from_str(&client.get("/api/v1/groups").await.body).unwrap();
    assert_eq!(groups.as_array().unwrap().len(), 1, "{groups}");
    let entities: serde_json::Value = serde_json::from_str(
        &client
            .get(&format!("/api/v1/groups/{group}/entities"))
            .await
            .body,
    )
    .unwrap();
    assert_eq!(
        entities.as_array().unwrap().len(),
        5,
        "no organisation twice"
    );
    stop(second);
    let _ = std::fs::remove_dir_all(&dir);
}

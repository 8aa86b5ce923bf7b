//! What the group page and the P&L page cost per request at 100 entities
//! (issue 14): a measurement, not a check, so it is ignored by default and
//! run on demand:
//!
//! `PAGE_COST_N=20 cargo nextest run --test it --run-ignored only -E 'test(/^page_cost::/)' --no-capture`
//!
//! The group is built as `large_group` builds it (the demo's five
//! organisations synced from the simulator, copied to 100 in the
//! database), then each page is asked for once to warm the report service
//! and `PAGE_COST_N` times more, one at a time, over HTTP to the real
//! server; the mean and median per request are printed. With
//! `PAGE_COST_SAVE=dir` the pages' HTML (the CSRF token blanked) is written
//! there, so two builds' pages can be compared byte for byte.

use std::time::{Duration, Instant};

use consol::domain::Month;
use consol::sim::http::{DataChoice, SimConfig};

use crate::helpers::{Backend, Client, set_up_like_the_demo, synced_demo_group_with};
use crate::large_group::{COPIES, copy_organisation};

#[tokio::test]
#[ignore = "a measurement: run on demand (see the module's comment)"]
async fn group_and_pnl_pages_per_request() {
    let backend = Backend::Sqlite;
    let n: usize = std::env::var("PAGE_COST_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let mut g = synced_demo_group_with(
        backend,
        SimConfig {
            data: DataChoice::Demo,
            auto_approve: true,
            months: 3,
            ..SimConfig::default()
        },
    )
    .await;
    let store = g.s.app.store().clone();
    let gid = g.group.id;
    for e in store.entities_for_group(gid).await.unwrap() {
        for k in 1..=COPIES {
            let org = copy_organisation(&store, e.organisation_id, k).await;
            store
                .add_entity(gid, org, chrono::Utc::now())
                .await
                .unwrap();
        }
    }
    set_up_like_the_demo(&store, &g.group, g.user_id).await;
    assert_eq!(store.entities_for_group(gid).await.unwrap().len(), 100);
    let last = Month::of(chrono::Utc::now().date_naive()).prev();
    let from = last.plus(-11);
    let c = &mut g.s.app.client;
    let pages = [
        ("group page", format!("/groups/{gid}")),
        (
            "P&L page",
            format!("/groups/{gid}/reports/profit-and-loss?from={from}&to={last}"),
        ),
        (
            "P&L page, every entity",
            format!("/groups/{gid}/reports/profit-and-loss?from={from}&to={last}&entities=all"),
        ),
    ];
    for (what, path) in &pages {
        let (times, body) = time(c, path, n).await;
        let mut sorted = times.clone();
        sorted.sort();
        let mean = times.iter().sum::<Duration>() / times.len() as u32;
        eprintln!(
            "{what}: {n} requests, mean {:.1} ms, median {:.1} ms, {} bytes",
            mean.as_secs_f64() * 1e3,
            sorted[sorted.len() / 2].as_secs_f64() * 1e3,
            body.len()
        );
        if let Ok(dir) = std::env::var("PAGE_COST_SAVE") {
            let file = what.replace([' ', ',', '&'], "_");
            std::fs::write(format!("{dir}/{file}.html"), blank_csrf(&body)).unwrap();
        }
    }
}

/// One warm-up request, then `n` timed ones; the last body.
async fn time(c: &mut Client, path: &str, n: usize) -> (Vec<Duration>, String) {
    let warm = c.get(path).await;
    assert_eq!(warm.status, 200, "{path}: {}", warm.body);
    let mut times = Vec::with_capacity(n);
    let mut body = warm.body;
    for _ in 0..n.max(1) {
        let t = Instant::now();
        let page = c.get(path).await;
        times.push(t.elapsed());
        assert_eq!(page.status, 200);
        body = page.body;
    }
    (times, body)
}

/// The page with its per-session CSRF token values blanked.
fn blank_csrf(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(at) = rest.find("name=\"csrf_token\" value=\"") {
        let start = at + "name=\"csrf_token\" value=\"".len();
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let end = rest.find('"').unwrap_or(0);
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

//! Builds the demo group at a given scale and prints counts and timings:
//! `cargo run --release --example demo_scale -- 40`.

use std::time::Instant;

use chrono::NaiveDate;
use consol::sim::ListQuery;
use consol::sim::demo::{DemoOptions, build_demo};
use consol::sim::reports::ReportParams;

fn main() {
    let scale: u32 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(40);
    let today = NaiveDate::from_ymd_opt(2026, 11, 25).expect("date");
    let t = Instant::now();
    let g = build_demo(&DemoOptions {
        scale,
        ..DemoOptions::new(42, today)
    });
    println!("built in {:?}", t.elapsed());
    for l in &g.organisations {
        println!(
            "{}: {} invoices, {} contacts",
            l.name(),
            l.invoice_count(),
            l.contact_count()
        );
    }
    let nz = &g.organisations[0];
    let t = Instant::now();
    let p = ReportParams {
        from_date: NaiveDate::from_ymd_opt(2026, 10, 1),
        to_date: NaiveDate::from_ymd_opt(2026, 10, 31),
        periods: Some(11),
        ..Default::default()
    };
    nz.profit_and_loss(&p).expect("report");
    println!("12-period P&L in {:?}", t.elapsed());
    let t = Instant::now();
    let q = ListQuery {
        page: Some(50),
        page_size: Some(1000),
        ..Default::default()
    };
    let n = nz.get_invoices(&q).expect("page").invoices.len();
    println!("page 50 of 1000 ({n} invoices) in {:?}", t.elapsed());
}

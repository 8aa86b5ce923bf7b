//! Prints one demo organisation's reports as Xero JSON:
//! `cargo run --example demo_reports -- 0 2026-10-31`.

use chrono::NaiveDate;
use consol::sim::demo::{DemoOptions, build_demo};
use consol::sim::reports::ReportParams;

fn main() {
    let mut args = std::env::args().skip(1);
    let k: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    let date: NaiveDate = args
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(NaiveDate::from_ymd_opt(2026, 10, 31).expect("date"));
    let today = NaiveDate::from_ymd_opt(2026, 11, 25).expect("date");
    let g = build_demo(&DemoOptions::new(42, today));
    let l = &g.organisations[k];
    let month = consol::domain::Month::of(date);
    let p = ReportParams {
        from_date: Some(month.first_day()),
        to_date: Some(month.last_day()),
        date: Some(date),
        ..Default::default()
    };
    let pl = l.profit_and_loss(&p).expect("pl");
    println!("{}", serde_json::to_string_pretty(&pl).expect("json"));
    let bs = l.balance_sheet(&p).expect("bs");
    println!("{}", serde_json::to_string_pretty(&bs).expect("json"));
    let tb = l.trial_balance(&p).expect("tb");
    println!("{}", serde_json::to_string(&tb).expect("json"));
}

//! Where a cold 12-month P&L's time goes at about 100 entities, and what a
//! rebuild after a change to one month costs (issue 14), in process:
//!
//! ```sh
//! consol demo --data-dir /tmp/months-demo/data   # Ctrl-C once set up
//! cargo run --release --example months_bench -- /tmp/months-demo/data/consol.db 19
//! ```
//!
//! It works on a copy of the demo's SQLite database (the file given is
//! not changed): each of the group's organisations is copied N times in
//! the database (organisation row, chart, P&L amounts, confirmed mappings,
//! as `tests/it/large_group.rs` does; 19 gives 100 entities), then it
//! times, for the 12 months to the last month with amounts:
//!
//! - `consolidation::load` of the range (the SQLite reads);
//! - the 12 single-month engine runs on that load;
//! - `engine::assemble` of the 12 months;
//! - the months' fingerprints (`consolidation::fingerprint`);
//! - the report service's cold 12-month P&L, then the same P&L after one
//!   P&L amount of one organisation in one month changed (the version
//!   moves; the months whose inputs did not change are relabelled), with
//!   the engine runs each made.
//!
//! Each figure is the median of `--runs` (5) repeats, on a fresh report
//! service for the service's figures.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use consol::consolidation::{self, fingerprint};
use consol::domain::{Month, MonthRange};
use consol::engine;
use consol::reports::Reports;
use consol::store::Store;

const ORG: &str = "INSERT INTO organisations (tenant_id, name, legal_name, short_code, \
     base_currency, country_code, financial_year_end_day, financial_year_end_month, \
     period_lock_date, connection_state, last_synced_at, created_at, updated_at) \
     SELECT tenant_id || $2, name || $3, legal_name, short_code, base_currency, \
     country_code, financial_year_end_day, financial_year_end_month, period_lock_date, \
     connection_state, last_synced_at, created_at, updated_at \
     FROM organisations WHERE id = $1 RETURNING id";
const ACCOUNTS: &str = "INSERT INTO accounts (organisation_id, account_id, code, name, \
     account_type, class, status, reporting_code, system_account, updated_at_xero) \
     SELECT $2, account_id, code, name, account_type, class, status, reporting_code, \
     system_account, updated_at_xero FROM accounts WHERE organisation_id = $1";
const AMOUNTS: &str = "INSERT INTO report_amounts (organisation_id, report, month, row_key, \
     account_id, section, label, row_kind, amount, sync_run_id) \
     SELECT $2, report, month, row_key, account_id, section, label, row_kind, amount, \
     sync_run_id FROM report_amounts WHERE organisation_id = $1";
const ENTITY: &str = "INSERT INTO entities (group_id, organisation_id, is_parent, added_at) \
     SELECT group_id, $2, 0, added_at FROM entities WHERE organisation_id = $1 AND group_id = $3";
const MAPPINGS: &str = "INSERT INTO account_mappings (group_id, organisation_id, account_id, \
     group_account_id, confirmed, updated_by, updated_at) \
     SELECT group_id, $2, account_id, group_account_id, confirmed, updated_by, updated_at \
     FROM account_mappings WHERE organisation_id = $1 AND group_id = $3";

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let db: PathBuf = args.next().context("the demo's consol.db")?.into();
    let copies: usize = args.next().map_or(Ok(19), |s| s.parse())?;
    let runs: usize = args.next().map_or(Ok(5), |s| s.parse())?;
    let dir = std::env::temp_dir().join(format!("months-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let file = dir.join("consol.db");
    std::fs::copy(&db, &file)?;
    let store = Store::connect(&format!("sqlite://{}", file.display())).await?;
    let Store::Sqlite(pool) = &store else {
        bail!("a SQLite database")
    };
    let group_id: i64 = sqlx::query_scalar("SELECT MIN(id) FROM groups")
        .fetch_one(pool)
        .await?;
    let group = store.group_by_id(group_id).await?.context("a group")?;
    let orgs: Vec<i64> = store
        .entities_for_group(group.id)
        .await?
        .iter()
        .map(|e| e.organisation_id)
        .collect();
    for org in &orgs {
        for n in 0..copies {
            let id: i64 = sqlx::query_scalar(ORG)
                .bind(org)
                .bind(format!("-copy-{n}"))
                .bind(format!(" copy {n}"))
                .fetch_one(pool)
                .await?;
            for sql in [ACCOUNTS, AMOUNTS] {
                sqlx::query(sql).bind(org).bind(id).execute(pool).await?;
            }
            for sql in [ENTITY, MAPPINGS] {
                sqlx::query(sql)
                    .bind(org)
                    .bind(id)
                    .bind(group.id)
                    .execute(pool)
                    .await?;
            }
        }
    }
    let entities = store.entities_for_group(group.id).await?.len();
    let last: String = sqlx::query_scalar("SELECT MAX(month) FROM report_amounts")
        .fetch_one(pool)
        .await?;
    let last: Month = last.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
    let first = last.plus(-11);
    let period = MonthRange::new(first, last).map_err(|e| anyhow::anyhow!("{e}"))?;
    let months: Vec<Month> = period.months().collect();
    println!("{entities} entities, {period:?}, median of {runs} runs");

    let (mut load, mut run, mut assemble, mut digest) = (vec![], vec![], vec![], vec![]);
    for _ in 0..runs {
        let t = Instant::now();
        let data = consolidation::load(&store, &group, period).await?;
        load.push(t.elapsed());
        let t = Instant::now();
        let parts = months
            .iter()
            .map(|m| engine::consolidate(&data, MonthRange::single(*m)).map(|c| c.report))
            .collect::<Result<Vec<_>, _>>()?;
        run.push(t.elapsed());
        let t = Instant::now();
        let refs: Vec<_> = parts.iter().collect();
        engine::assemble(&refs)?;
        assemble.push(t.elapsed());
        let t = Instant::now();
        fingerprint::month_fingerprints(&data, &months);
        digest.push(t.elapsed());
    }
    println!("load of the 12 months:        {}", ms(median(load)));
    println!("12 single-month engine runs:  {}", ms(median(run)));
    println!("assemble:                     {}", ms(median(assemble)));
    println!("12 fingerprints:              {}", ms(median(digest)));

    let (mut cold, mut after) = (vec![], vec![]);
    let mut rebuilt = 0;
    for n in 0..runs {
        let reports = Reports::default();
        let t = Instant::now();
        reports.profit_and_loss(&store, &group, period).await?;
        cold.push(t.elapsed());
        let before: u64 = reports.month_runs(group.id).values().sum();
        // One amount of the first organisation in one month, as a sync of
        // one entity changing one month writes.
        sqlx::query(
            "UPDATE report_amounts SET amount = $1 WHERE rowid = (SELECT MIN(rowid) \
             FROM report_amounts WHERE organisation_id = $2 AND month = $3 \
             AND report = 'profit_and_loss' AND row_kind = 'account')",
        )
        .bind(format!("{}.17", 1000 + n))
        .bind(orgs[0])
        .bind(months[6].to_string())
        .execute(pool)
        .await?;
        let t = Instant::now();
        reports.profit_and_loss(&store, &group, period).await?;
        after.push(t.elapsed());
        rebuilt = reports.month_runs(group.id).values().sum::<u64>() - before;
    }
    println!("service, cold 12-month P&L:   {}", ms(median(cold)));
    println!(
        "service, after one month changed: {} ({rebuilt} engine run(s))",
        ms(median(after))
    );
    drop(store);
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

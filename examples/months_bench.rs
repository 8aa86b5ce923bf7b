//! Where a cold 12-month P&L's time goes at about 100 entities, and what a
//! rebuild after a change to one month costs (issue 14), in process:
//!
//! ```sh
//! consol demo --data-dir /tmp/months-demo/data   # Ctrl-C once set up
//! cargo run --release --example months_bench -- /tmp/months-demo/data/consol.db 19
//! ```
//!
//! It works on a copy of the demo's SQLite database (the file given is
//! not changed): the group's organisations are copied N times in the
//! database, a copy of the whole group each time (organisation rows,
//! charts, P&L amounts, confirmed mappings, as `tests/it/large_group.rs`
//! does; 19 gives 100 entities), with their contacts, invoices, credit
//! notes and bank transactions (lines included) and the group's
//! intercompany contacts, each pointing at the same counterpart's entity
//! within the copy: 20 × the demo's 14 confirmed contacts is 280, about
//! what `load_bench`'s 101-entity group confirms, so the intercompany
//! documents weigh in the load as they do there. Then it times, for the
//! 12 months to the last month with amounts:
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

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use consol::consolidation::{self, fingerprint};
use consol::domain::{Month, MonthRange};
use consol::engine;
use consol::reports::Reports;
use consol::store::Store;
use sha2::{Digest, Sha256};

const ORG: &str = "INSERT INTO organisations (tenant_id, name, legal_name, short_code, \
     base_currency, country_code, financial_year_end_day, financial_year_end_month, \
     period_lock_date, connection_state, last_synced_at, created_at, updated_at) \
     SELECT tenant_id || $2, name || $3, legal_name, short_code, base_currency, \
     country_code, financial_year_end_day, financial_year_end_month, period_lock_date, \
     connection_state, last_synced_at, created_at, updated_at \
     FROM organisations WHERE id = $1 RETURNING id";
/// The synced tables a copied organisation takes every row of, with the
/// organisation's id replaced: what a load of the P&L reads (chart,
/// amounts, intercompany documents and their lines) and the contacts
/// they name.
const COPIED: [&str; 8] = [
    "accounts",
    "report_amounts",
    "contacts",
    "invoices",
    "invoice_lines",
    "credit_notes",
    "bank_transactions",
    "document_lines",
];
const ENTITY: &str = "INSERT INTO entities (group_id, organisation_id, is_parent, added_at) \
     SELECT group_id, $2, 0, added_at FROM entities WHERE organisation_id = $1 AND group_id = $3 \
     RETURNING id";
const MAPPINGS: &str = "INSERT INTO account_mappings (group_id, organisation_id, account_id, \
     group_account_id, confirmed, updated_by, updated_at) \
     SELECT group_id, $2, account_id, group_account_id, confirmed, updated_by, updated_at \
     FROM account_mappings WHERE organisation_id = $1 AND group_id = $3";
const CONTACTS: &str = "SELECT organisation_id, contact_id, counterpart_entity_id, confirmed, \
     rejected, updated_by, updated_at FROM intercompany_contacts WHERE group_id = $1";
const CONTACT: &str = "INSERT INTO intercompany_contacts (group_id, organisation_id, contact_id, \
     counterpart_entity_id, confirmed, rejected, updated_by, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

/// `INSERT ... SELECT` of every row of `table` of organisation `$1` as
/// organisation `$2`, the columns read from the table itself so that a
/// column added by a later migration is copied too.
async fn copy_sql(pool: &sqlx::SqlitePool, table: &str) -> anyhow::Result<String> {
    let columns: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT name FROM pragma_table_info('{table}')"
    )))
    .fetch_all(pool)
    .await?;
    let select: Vec<&str> = columns
        .iter()
        .map(|c| {
            if c == "organisation_id" {
                "$2"
            } else {
                c.as_str()
            }
        })
        .collect();
    Ok(format!(
        "INSERT INTO {table} ({}) SELECT {} FROM {table} WHERE organisation_id = $1",
        columns.join(", "),
        select.join(", ")
    ))
}

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
    let views = store.entities_for_group(group.id).await?;
    let orgs: Vec<i64> = views.iter().map(|e| e.organisation_id).collect();
    let mut copy = Vec::new();
    for table in COPIED {
        copy.push(copy_sql(pool, table).await?);
    }
    type IcRow = (i64, String, i64, bool, bool, Option<i64>, String);
    let ic: Vec<IcRow> = sqlx::query_as(CONTACTS)
        .bind(group.id)
        .fetch_all(pool)
        .await?;
    for n in 0..copies {
        let mut tx = pool.begin().await?;
        // The copy's organisation and entity of each original entity.
        let mut org_of = HashMap::new();
        let mut entity_of = HashMap::new();
        for view in &views {
            let org = view.organisation_id;
            let id: i64 = sqlx::query_scalar(ORG)
                .bind(org)
                .bind(format!("-copy-{n}"))
                .bind(format!(" copy {n}"))
                .fetch_one(&mut *tx)
                .await?;
            for sql in &copy {
                sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                    .bind(org)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            let entity: i64 = sqlx::query_scalar(ENTITY)
                .bind(org)
                .bind(id)
                .bind(group.id)
                .fetch_one(&mut *tx)
                .await?;
            sqlx::query(MAPPINGS)
                .bind(org)
                .bind(id)
                .bind(group.id)
                .execute(&mut *tx)
                .await?;
            org_of.insert(org, id);
            entity_of.insert(view.id, entity);
        }
        for (org, contact, counterpart, confirmed, rejected, by, at) in &ic {
            let (Some(org), Some(counterpart)) = (org_of.get(org), entity_of.get(counterpart))
            else {
                continue;
            };
            sqlx::query(CONTACT)
                .bind(group.id)
                .bind(org)
                .bind(contact)
                .bind(counterpart)
                .bind(confirmed)
                .bind(rejected)
                .bind(by)
                .bind(at)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
    }
    let entities = store.entities_for_group(group.id).await?.len();
    let confirmed = store
        .intercompany_contacts(group.id)
        .await?
        .iter()
        .filter(|c| c.confirmed)
        .count();
    let last: String = sqlx::query_scalar("SELECT MAX(month) FROM report_amounts")
        .fetch_one(pool)
        .await?;
    let last: Month = last.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
    let first = last.plus(-11);
    let period = MonthRange::new(first, last).map_err(|e| anyhow::anyhow!("{e}"))?;
    let months: Vec<Month> = period.months().collect();
    println!(
        "{entities} entities, {confirmed} confirmed intercompany contacts, {period:?}, median of {runs} runs"
    );

    let (mut load, mut run, mut assemble, mut digest) = (vec![], vec![], vec![], vec![]);
    let (mut documents, mut report_digest) = (0, String::new());
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
        let report = engine::assemble(&refs)?;
        assemble.push(t.elapsed());
        documents = data.invoices.len() + data.rejected.len();
        // Whatever the loader's changes, the report must stay this one.
        report_digest = Sha256::digest(format!("{report:?}").as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let t = Instant::now();
        fingerprint::month_fingerprints(&data, &months);
        digest.push(t.elapsed());
    }
    println!("{documents} intercompany documents loaded; report SHA-256 {report_digest}");
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

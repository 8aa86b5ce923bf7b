//! Times building a month-end pack (JSON, Excel and PDF) from a stored
//! snapshot, the way `consol pack build` and the pack API do: parse the
//! stored snapshot, build the pack model, write the three files. Prints the
//! time of each part and the process's peak memory (VmHWM).
//!
//! `cargo run --release --example pack_bench -- ENTITIES [ACCOUNTS] [DIR]`
//! e.g. `-- 100` for the 100-entity target (under 10 s, under 300 MB). The
//! snapshot is written to DIR (default: a directory in the temp dir) and a
//! second process of this example times the pack from it and writes
//! pack.json, pack.xlsx and pack.pdf there.
//!
//! The group is generated (not timed): ENTITIES entities in four
//! currencies, each with ACCOUNTS P&L accounts (default 120) mapped to the
//! same group accounts, 24 months of amounts (the pack's comparisons reach
//! back to last year's financial year start), and intercompany sales between
//! neighbouring entities every month. The snapshot is frozen once with
//! `Snapshot::build` and serialised as stored; the timed run starts from
//! that text.

use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use consol::domain::{CurrencyCode, Month, MonthRange};
use consol::engine::*;
use consol::month_end::snapshot::{EntitySync, GroupSettings};
use consol::month_end::{Snapshot, SnapshotInputs, build_pack, pack_pdf, pack_xlsx};
use consol::store::MonthEndVersion;
use rust_decimal::Decimal;

/// A small deterministic generator (xorshift64*), so every run builds the
/// same group.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

const MONTHS: i32 = 24;

fn section(a: i64, accounts: i64) -> (AccountClass, AccountSection) {
    match a * 10 / accounts {
        0 | 1 => (AccountClass::Revenue, AccountSection::Income),
        2 => (AccountClass::Expense, AccountSection::CostOfSales),
        9 => (AccountClass::Revenue, AccountSection::OtherIncome),
        _ => (AccountClass::Expense, AccountSection::OperatingExpenses),
    }
}

fn account_id(e: i64, a: i64) -> String {
    format!("acct-{e}-{a}")
}

fn generate(entities: i64, accounts: i64, month: Month) -> GroupData {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let first = month.plus(-(MONTHS - 1));
    let currencies = ["NZD", "AUD", "USD", "GBP"].map(|c| CurrencyCode::parse(c).expect("code"));
    let mut data = GroupData {
        group: Group {
            presentation_currency: currencies[0],
            financial_year_end_month: 3,
        },
        entities: Vec::new(),
        entity_accounts: Vec::new(),
        group_accounts: Vec::new(),
        mappings: Vec::new(),
        pnl: Vec::new(),
        net_profits: Vec::new(),
        rates: Vec::new(),
        intercompany_contacts: Vec::new(),
        invoices: Vec::new(),
        rejected: Vec::new(),
    };
    for a in 0..accounts {
        let (class, section) = section(a, accounts);
        data.group_accounts.push(GroupAccount {
            id: GroupAccountId(a),
            code: format!("{}", 1000 + a),
            name: format!("Group account {a}"),
            class,
            section,
        });
    }
    for e in 1..=entities {
        let base = currencies[(e % 4) as usize];
        data.entities.push(Entity {
            id: EntityId(e),
            name: format!("Entity {e:03}"),
            tenant_id: format!("tenant-{e}"),
            organisation_name: format!("Entity {e:03} Limited"),
            legal_name: None,
            base_currency: base,
        });
        for a in 0..accounts {
            let (class, _) = section(a, accounts);
            data.entity_accounts.push(EntityAccount {
                entity: EntityId(e),
                account_id: account_id(e, a),
                code: Some(format!("{}", 1000 + a)),
                name: format!("Account {a}"),
                class,
                account_type: if class == AccountClass::Revenue {
                    XeroAccountType::Revenue
                } else {
                    XeroAccountType::Expense
                },
            });
            data.mappings.push(AccountMapping {
                entity: EntityId(e),
                account_id: account_id(e, a),
                group_account: GroupAccountId(a),
            });
        }
        for m in 0..MONTHS {
            let mut net = Decimal::ZERO;
            for a in 0..accounts {
                let (class, _) = section(a, accounts);
                let amount = Decimal::new(1 + rng.below(5_000_000) as i64, 2);
                net += if class == AccountClass::Revenue {
                    amount
                } else {
                    -amount
                };
                data.pnl.push(PnlAmount {
                    entity: EntityId(e),
                    row: SourceRow::account(account_id(e, a)),
                    month: first.plus(m),
                    amount,
                    sync_run_id: Some(e),
                });
            }
            data.net_profits.push(XeroNetProfit {
                entity: EntityId(e),
                month: first.plus(m),
                amount: net,
                sync_run_id: Some(e),
            });
        }
        // Entity e sells to e + 1 every month; both sides are recorded.
        if e < entities {
            let buyer = e + 1;
            data.intercompany_contacts.push(IntercompanyContact {
                entity: EntityId(e),
                contact_id: format!("ic-{e}-{buyer}"),
                counterpart: EntityId(buyer),
            });
            data.intercompany_contacts.push(IntercompanyContact {
                entity: EntityId(buyer),
                contact_id: format!("ic-{buyer}-{e}"),
                counterpart: EntityId(e),
            });
            for m in 0..MONTHS {
                let date = first.plus(m).first_day() + chrono::Days::new(10);
                let amount = Decimal::new(1 + rng.below(1_000_000) as i64, 2);
                for (side, who, other, kind, acct) in [
                    (0, e, buyer, InvoiceType::Accrec, 0),
                    (1, buyer, e, InvoiceType::Accpay, accounts / 2),
                ] {
                    data.invoices.push(Invoice {
                        entity: EntityId(who),
                        contact_id: format!("ic-{who}-{other}"),
                        date,
                        invoice_type: kind,
                        status: InvoiceStatus::Authorised,
                        line_amount_types: LineAmountTypes::NoTax,
                        currency: base,
                        invoice_id: format!("inv-{e}-{m}-{side}"),
                        invoice_number: Some(format!("INV-{e}-{m}")),
                        contact_name: format!("Entity {other:03} Limited"),
                        currency_rate: None,
                        total: amount,
                        lines: vec![InvoiceLine {
                            line_item_id: format!("li-{e}-{m}-{side}"),
                            description: "Services".into(),
                            account_code: Some(format!("{}", 1000 + acct)),
                            account_id: Some(account_id(who, acct)),
                            line_amount: amount,
                            tax_amount: Decimal::ZERO,
                        }],
                        sync_run_id: Some(who),
                    });
                }
            }
        }
    }
    for c in &currencies[1..] {
        for m in 0..MONTHS {
            data.rates.push(FxRate {
                currency: *c,
                month: first.plus(m),
                average: Decimal::new(5000 + rng.below(10_000) as i64, 4),
                closing: Decimal::new(5000 + rng.below(10_000) as i64, 4),
            });
        }
    }
    data
}

/// Peak resident memory of this process, from /proc (Linux).
fn peak_mb() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or_else(|| "unknown".into(), |kb| format!("{} MB", kb / 1024))
}

/// Generates the group and freezes its snapshot as stored (not timed).
fn freeze(entities: i64, accounts: i64, month: Month) -> anyhow::Result<String> {
    let data = generate(entities, accounts, month);
    let loaded = MonthRange::new(month.plus(-(MONTHS - 1)), month)?;
    let inputs = SnapshotInputs::from_group_data(
        GroupSettings {
            id: 1,
            name: format!("Bench group of {entities}"),
            presentation_currency: data.group.presentation_currency,
            financial_year_end_month: data.group.financial_year_end_month,
        },
        loaded,
        (1..=entities)
            .map(|e| EntitySync {
                entity: e,
                last_synced_at: Some(Utc::now()),
            })
            .collect(),
        &data,
    );
    drop(data);
    Ok(Snapshot::build(month, inputs)?.canonical()?)
}

/// The timed part, in a process of its own so that its peak memory is the
/// pack's alone: read the stored snapshot, build the pack, write the files.
fn build(snapshot_file: &std::path::Path, out: &std::path::Path) -> anyhow::Result<()> {
    let total = Instant::now();
    let stored = std::fs::read_to_string(snapshot_file)?;
    let t = Instant::now();
    let snapshot = Snapshot::parse(&stored)?;
    let closed_at = NaiveDate::from_ymd_opt(2026, 11, 3)
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .map(|d| d.and_utc())
        .unwrap_or_default();
    let version = MonthEndVersion {
        id: 1,
        group_id: 1,
        month: snapshot.month,
        version: 1,
        snapshot_hash: consol::month_end::sha256_hex(&stored),
        closed_by: None,
        closed_by_email: Some("fin@example.com".into()),
        closed_at,
        reopened_by_email: None,
        reopened_at: None,
        reopen_reason: None,
    };
    drop(stored);
    let pack = build_pack(&snapshot, &version, &[])?;
    drop(snapshot);
    let model = t.elapsed();
    let t = Instant::now();
    let json = serde_json::to_vec_pretty(&pack)?;
    let json_time = t.elapsed();
    let t = Instant::now();
    let xlsx = pack_xlsx::pack_xlsx(&pack)?;
    let xlsx_time = t.elapsed();
    let t = Instant::now();
    let pdf = pack_pdf::render_pdf(&pack)?;
    let pdf_time = t.elapsed();
    std::fs::create_dir_all(out)?;
    std::fs::write(out.join("pack.json"), &json)?;
    std::fs::write(out.join("pack.xlsx"), &xlsx)?;
    std::fs::write(out.join("pack.pdf"), &pdf)?;
    let all: Duration = total.elapsed();
    println!("read + parse snapshot + pack model: {model:.1?}");
    println!("JSON:  {json_time:.1?} ({} KB)", json.len() / 1000);
    println!("Excel: {xlsx_time:.1?} ({} KB)", xlsx.len() / 1000);
    println!("PDF:   {pdf_time:.1?} ({} KB)", pdf.len() / 1000);
    println!("pack total (files written to {}): {all:.2?}", out.display());
    println!("peak memory of the pack process: {}", peak_mb());
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--build") {
        return build(args[1].as_ref(), args[2].as_ref());
    }
    let entities: i64 = args.first().and_then(|s| s.parse().ok()).unwrap_or(100);
    let accounts: i64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(120);
    let dir = args.get(2).map_or_else(
        || std::env::temp_dir().join(format!("consol-pack-bench-{entities}")),
        std::path::PathBuf::from,
    );
    std::fs::create_dir_all(&dir)?;
    let t = Instant::now();
    let stored = freeze(entities, accounts, Month::new(2026, 10)?)?;
    let file = dir.join("snapshot.json");
    std::fs::write(&file, &stored)?;
    println!(
        "{entities} entities × {accounts} accounts × {MONTHS} months: a snapshot of {} MB, made in {:.1?} (not timed below)",
        stored.len() / 1_000_000,
        t.elapsed()
    );
    drop(stored);
    let status = std::process::Command::new(std::env::current_exe()?)
        .arg("--build")
        .arg(&file)
        .arg(&dir)
        .status()?;
    anyhow::ensure!(status.success(), "the pack build failed");
    Ok(())
}

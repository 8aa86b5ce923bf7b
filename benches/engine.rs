//! Times a 12-month consolidated report of a large generated group: 100
//! entities × 400 accounts × 36 months of P&L amounts, and 500,000 invoices
//! of which 50,000 are intercompany. Data generation is not timed.
//!
//! Also times the consolidated balance sheet of 100 entities at one month
//! end with 24 months of history (issue 12).
//!
//! Run with `cargo bench --bench engine`; `CONSOL_BENCH=balance-sheet` runs
//! only the balance sheet; `CONSOL_BENCH=digest` times nothing and prints
//! digests of the engine's output on the same data (see [`digest`]).

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use consol::domain::{CurrencyCode, Month, MonthRange};
use consol::engine::*;
use rust_decimal::Decimal;

const ENTITIES: i64 = 100;
const ACCOUNTS: i64 = 400;
const MONTHS: i32 = 36;
const INVOICES: usize = 500_000;
const INTERCOMPANY: usize = 50_000;
/// Runs timed; `CONSOL_BENCH_ITERATIONS` overrides (for profiling).
const ITERATIONS: usize = 7;

/// splitmix64: a tiny deterministic generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// An amount with two decimals between 0.01 and `max_cents / 100`.
    fn cents(&mut self, max_cents: u64) -> Decimal {
        Decimal::new(1 + self.below(max_cents) as i64, 2)
    }
}

fn account_id(entity: i64, account: i64) -> String {
    format!("{entity:08x}-0000-4000-8000-{account:012x}")
}

fn generate() -> GroupData {
    let mut rng = Rng(0x5EED);
    let first = Month::new(2024, 4).unwrap();
    let currencies = ["NZD", "AUD", "USD", "GBP"].map(|c| CurrencyCode::parse(c).unwrap());
    let entities: Vec<Entity> = (1..=ENTITIES)
        .map(|i| Entity {
            id: EntityId(i),
            name: format!("Entity {i:03}"),
            tenant_id: format!("tenant-{i}"),
            organisation_name: format!("Entity {i:03} Limited"),
            legal_name: None,
            base_currency: currencies[(i % 4) as usize],
        })
        .collect();
    let class_of = |a: i64| {
        if a < 60 {
            AccountClass::Revenue
        } else {
            AccountClass::Expense
        }
    };
    let mut entity_accounts = Vec::new();
    let mut mappings = Vec::new();
    for e in 1..=ENTITIES {
        for a in 0..ACCOUNTS {
            let class = class_of(a);
            entity_accounts.push(EntityAccount {
                entity: EntityId(e),
                account_id: account_id(e, a),
                code: Some(format!("{}", 100 + a)),
                name: format!("Account {a}"),
                class,
                account_type: if class == AccountClass::Revenue {
                    XeroAccountType::Revenue
                } else {
                    XeroAccountType::Expense
                },
            });
            // One account in fifty stays unmapped.
            if a % 50 != 49 {
                mappings.push(AccountMapping {
                    entity: EntityId(e),
                    account_id: account_id(e, a),
                    group_account: GroupAccountId(a),
                });
            }
        }
        // Balance-sheet accounts for receivables and payables.
        for (a, class) in [(900, AccountClass::Asset), (901, AccountClass::Liability)] {
            entity_accounts.push(EntityAccount {
                entity: EntityId(e),
                account_id: account_id(e, a),
                code: Some(format!("{a}")),
                name: format!("Balance {a}"),
                class,
                account_type: XeroAccountType::Other("CURRENT".into()),
            });
        }
    }
    let group_accounts: Vec<GroupAccount> = (0..ACCOUNTS)
        .map(|a| {
            let class = class_of(a);
            GroupAccount {
                id: GroupAccountId(a),
                code: format!("{}", 100 + a),
                name: format!("Group account {a}"),
                class,
                section: match a {
                    0..50 => AccountSection::Income,
                    50..60 => AccountSection::OtherIncome,
                    60..120 => AccountSection::CostOfSales,
                    120..380 => AccountSection::OperatingExpenses,
                    _ => AccountSection::OtherExpenses,
                },
            }
        })
        .collect();
    let mut pnl = Vec::with_capacity((ENTITIES * ACCOUNTS) as usize * MONTHS as usize);
    for e in 1..=ENTITIES {
        for a in 0..ACCOUNTS {
            for m in 0..MONTHS {
                pnl.push(PnlAmount {
                    entity: EntityId(e),
                    row: SourceRow::account(account_id(e, a)),
                    month: first.plus(m),
                    amount: rng.cents(10_000_000),
                    sync_run_id: Some(e),
                });
            }
        }
    }
    let mut rates = Vec::new();
    for c in &currencies[1..] {
        for m in 0..MONTHS {
            rates.push(FxRate {
                currency: *c,
                month: first.plus(m),
                average: Decimal::new(5000 + rng.below(10000) as i64, 4),
                closing: Decimal::new(5000 + rng.below(10000) as i64, 4),
            });
        }
    }
    let mut intercompany_contacts = Vec::new();
    for e in 1..=ENTITIES {
        for o in 1..=ENTITIES {
            if o != e {
                intercompany_contacts.push(IntercompanyContact {
                    entity: EntityId(e),
                    contact_id: format!("ic-{e}-{o}"),
                    counterpart: EntityId(o),
                });
            }
        }
    }
    let start = NaiveDate::from_ymd_opt(2024, 4, 1).unwrap();
    let days = (first.plus(MONTHS).first_day() - start).num_days() as u64;
    let statuses = [
        InvoiceStatus::Authorised,
        InvoiceStatus::Paid,
        InvoiceStatus::Paid,
        InvoiceStatus::Draft,
        InvoiceStatus::Voided,
    ];
    let invoices = (0..INVOICES)
        .map(|i| {
            let e = 1 + rng.below(ENTITIES as u64) as i64;
            let ic = i % (INVOICES / INTERCOMPANY) == 0;
            let contact_id = if ic {
                let mut o = 1 + rng.below(ENTITIES as u64) as i64;
                if o == e {
                    o = o % ENTITIES + 1;
                }
                format!("ic-{e}-{o}")
            } else {
                format!("contact-{}", rng.below(2000))
            };
            let invoice_type = if rng.below(2) == 0 {
                InvoiceType::Accrec
            } else {
                InvoiceType::Accpay
            };
            let base = currencies[(e % 4) as usize];
            let foreign = rng.below(4) == 0;
            let currency = if foreign {
                currencies[rng.below(4) as usize]
            } else {
                base
            };
            let lines: Vec<InvoiceLine> = (0..1 + rng.below(3))
                .map(|l| {
                    let a = if rng.below(10) == 0 {
                        900
                    } else {
                        rng.below(ACCOUNTS as u64) as i64
                    };
                    InvoiceLine {
                        line_item_id: format!("li-{i}-{l}"),
                        description: "Goods".to_string(),
                        account_code: Some(format!("{}", 100 + a)),
                        account_id: None,
                        line_amount: rng.cents(500_000),
                        tax_amount: Decimal::ZERO,
                    }
                })
                .collect();
            Invoice {
                entity: EntityId(e),
                invoice_type,
                invoice_id: format!("{i:08x}-1111-4000-8000-000000000000"),
                invoice_number: Some(format!("INV-{i:07}")),
                contact_id,
                contact_name: "A contact".to_string(),
                date: start + chrono::Days::new(rng.below(days)),
                status: statuses[rng.below(5) as usize],
                line_amount_types: LineAmountTypes::Exclusive,
                currency,
                currency_rate: Some(Decimal::new(5000 + rng.below(10000) as i64, 4)),
                total: lines.iter().map(|l| l.line_amount).sum(),
                lines,
                sync_run_id: Some(e),
            }
        })
        .collect();
    GroupData {
        group: Group {
            presentation_currency: currencies[0],
            financial_year_end_month: 3,
        },
        entities,
        entity_accounts,
        group_accounts,
        mappings,
        pnl,
        net_profits: Vec::new(),
        rates,
        intercompany_contacts,
        invoices,
        rejected: Vec::new(),
    }
}

/// Time this thread has spent on a CPU, from Linux's schedstat (in ns), so
/// that a busy machine does not blur the figure; `None` elsewhere.
fn thread_cpu_time() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// 100 entities: one NZD parent owning 99 subsidiaries (a quarter each in
/// NZD, AUD, USD, GBP; every fifth 80% owned), each with 120 balance-sheet
/// accounts and 24 months of profit since its acquisition, and the 24
/// months of rates. The engine is timed at the last month end.
fn balance_sheet_input() -> balance_sheet::BalanceSheetInput {
    use balance_sheet::*;
    const BS_ACCOUNTS: i64 = 120;
    let mut rng = Rng(0xBA1A);
    let at = Month::new(2026, 3).unwrap();
    let acquired = at.plus(-24);
    let currencies = ["NZD", "AUD", "USD", "GBP"].map(|c| CurrencyCode::parse(c).unwrap());
    let class_of = |a: i64| match a % 3 {
        0 | 1 => AccountClass::Asset,
        _ => AccountClass::Liability,
    };
    let group_accounts: Vec<BsGroupAccount> = (0..BS_ACCOUNTS)
        .map(|a| BsGroupAccount {
            id: GroupAccountId(a + 1),
            code: format!("{}", 1000 + a),
            name: format!("Balance-sheet account {a}"),
            class: class_of(a),
            section: match class_of(a) {
                AccountClass::Asset => "Current Assets".into(),
                _ => "Current Liabilities".into(),
            },
        })
        .collect();
    let entities = (1..=ENTITIES)
        .map(|i| {
            let amounts = (0..BS_ACCOUNTS)
                .map(|a| BsAmount {
                    row: BsRow::Account {
                        account_id: account_id(i, a),
                        class: class_of(a),
                        group_account: Some(GroupAccountId(a + 1)),
                    },
                    amount: rng.cents(10_000_000),
                })
                .collect();
            let monthly_profit = (1..=24)
                .map(|k| (acquired.plus(k), rng.cents(5_000_000)))
                .collect();
            BsEntity {
                id: EntityId(i),
                name: format!("Entity {i:03}"),
                base_currency: if i == 1 {
                    currencies[0]
                } else {
                    currencies[(i % 4) as usize]
                },
                ownership: (i > 1).then(|| Ownership {
                    owner: EntityId(1),
                    percent: if i % 5 == 0 {
                        Decimal::from(80)
                    } else {
                        Decimal::ONE_HUNDRED
                    },
                    acquired,
                    equity_at_acquisition: rng.cents(100_000_000),
                    historical_rate: Decimal::new(9, 1),
                    investment_accounts: vec![account_id(1, 0)],
                    contributions: vec![(
                        acquired.plus(6),
                        rng.cents(1_000_000),
                        Decimal::new(95, 2),
                    )],
                }),
                amounts,
                monthly_profit,
                xero_total_assets: None,
                xero_net_assets: None,
            }
        })
        .collect();
    let rates = currencies[1..]
        .iter()
        .flat_map(|&c| {
            (0..=24).map(move |k| FxRate {
                currency: c,
                month: acquired.plus(k),
                average: Decimal::new(900 + k as i64, 3),
                closing: Decimal::new(905 + k as i64, 3),
            })
        })
        .collect();
    BalanceSheetInput {
        presentation_currency: currencies[0],
        financial_year_end_month: 3,
        at,
        entities,
        group_accounts,
        rates,
    }
}

fn bench_balance_sheet(iterations: usize) {
    let input = balance_sheet_input();
    let mut times: Vec<Duration> = Vec::with_capacity(iterations);
    let mut lines = 0;
    for _ in 0..iterations {
        let t = Instant::now();
        let r = balance_sheet::consolidate_balance_sheet(&input);
        times.push(t.elapsed());
        lines = r.lines.len();
    }
    times.sort();
    println!(
        "balance sheet at one month end, 24 months of history ({lines} lines, {} columns): min {:.1?}, median {:.1?}, max {:.1?} over {iterations} runs",
        ENTITIES + 2,
        times[0],
        times[iterations / 2],
        times[iterations - 1]
    );
}

/// SHA-256 of `bytes`, hex.
fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `CONSOL_BENCH=digest`: instead of timing, prints a SHA-256 of each part
/// of what the engine gives for the bench's data (reports of several
/// periods as JSON, the provenance of every account line in the
/// eliminations, consolidated and some entity columns, the
/// reconciliation), so that a faster engine can be shown to give the same
/// output, byte for byte, as the one before it. Compare the lines printed
/// by two builds with `diff`.
fn digest(data: &GroupData) {
    let m = |y, m| Month::new(y, m).unwrap();
    let periods = [
        (m(2025, 4), m(2026, 3)),
        (m(2024, 4), m(2024, 4)),
        (m(2025, 5), m(2025, 5)),
        (m(2024, 4), m(2027, 3)),
    ];
    for (from, to) in periods {
        let period = MonthRange::new(from, to).expect("ordered");
        let c = consolidate(data, period).expect("consistent data");
        let report = serde_json::to_vec(&c.report).expect("serialises");
        println!("{from}..{to} report {}", sha256_hex(&report));
        let mut keys: Vec<&str> = c.provenance.line_keys().collect();
        keys.sort_unstable();
        println!(
            "{from}..{to} line keys {}",
            sha256_hex(keys.join("\n").as_bytes())
        );
        for column in ["eliminations", "consolidated", "entity:1", "entity:57"] {
            let mut cells = Vec::new();
            for line in &c.report.lines {
                if let Some(cell) = c.provenance.cell(&line.key, column) {
                    serde_json::to_writer(&mut cells, &cell).expect("serialises");
                    cells.push(b'\n');
                }
            }
            println!("{from}..{to} cells {column} {}", sha256_hex(&cells));
        }
        let r = reconcile_intercompany(data, period).expect("consistent data");
        let r = serde_json::to_vec(&r).expect("serialises");
        println!("{from}..{to} reconciliation {}", sha256_hex(&r));
    }
}

fn main() {
    let iterations = std::env::var("CONSOL_BENCH_ITERATIONS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(ITERATIONS)
        .max(1);
    if std::env::var("CONSOL_BENCH").as_deref() == Ok("digest") {
        digest(&generate());
        return;
    }
    bench_balance_sheet(iterations);
    if std::env::var("CONSOL_BENCH").as_deref() == Ok("balance-sheet") {
        return;
    }
    let t = Instant::now();
    let data = generate();
    println!(
        "generated {} P&L amounts and {} invoices in {:.1?}",
        data.pnl.len(),
        data.invoices.len(),
        t.elapsed()
    );
    let period = MonthRange::new(Month::new(2025, 4).unwrap(), Month::new(2026, 3).unwrap())
        .expect("ordered");
    let mut times: Vec<Duration> = Vec::with_capacity(iterations);
    let mut cpu: Vec<Duration> = Vec::with_capacity(iterations);
    let mut lines = 0;
    for _ in 0..iterations {
        let c0 = thread_cpu_time();
        let t = Instant::now();
        let c = consolidate(&data, period).expect("consistent data");
        times.push(t.elapsed());
        if let (Some(a), Some(b)) = (c0, thread_cpu_time()) {
            cpu.push(b - a);
        }
        lines = c.report.lines.len();
        drop(c);
    }
    times.sort();
    println!(
        "consolidate 12 months ({lines} lines, {} columns): min {:.1?}, median {:.1?}, max {:.1?} over {iterations} runs",
        ENTITIES + 2,
        times[0],
        times[iterations / 2],
        times[iterations - 1]
    );
    if cpu.len() == iterations {
        cpu.sort();
        println!(
            "  on-CPU time of the same runs: min {:.1?}, median {:.1?}",
            cpu[0],
            cpu[iterations / 2]
        );
    }
    let t = Instant::now();
    let r = reconcile_intercompany(&data, period).expect("consistent data");
    println!(
        "reconcile_intercompany 12 months ({} pairs): {:.1?}",
        r.pairs.len(),
        t.elapsed()
    );
}

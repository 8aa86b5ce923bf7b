//! The deterministic demo group: Kea Holdings Limited (New Zealand, NZD, year
//! end 31 March) with subsidiaries in Australia (AUD, 30 June), the United
//! Kingdom (GBP, 31 December) and the United States (USD, 31 December).
//! Twenty-four months of sales, bills, payments, payroll and rent journals,
//! and intercompany management fees and goods in base and foreign
//! currencies, all written through the same functions that serve Xero's
//! write endpoints. Two intercompany pairs are deliberately broken. Unless
//! switched off, the real-life cases of [`super::demo_cases`] are added on
//! top, with a fifth entity (Tui Ventures) that starts part-way.

use chrono::{Duration, NaiveDate, NaiveTime};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::clock::SimClock;
use super::fx;
use super::ledger::{Ledger, Method, OrgSettings, WriteOptions};
use super::rng::SplitMix64;
use crate::domain::{CurrencyCode, Month};
use crate::xero::*;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoOptions {
    pub seed: u64,
    /// History ends with the month before this date's month.
    pub today: NaiveDate,
    /// Multiplies the parent's (Kea Holdings) sales and bills; 1 gives about
    /// 2,500 invoices, 40 about 100,000.
    pub scale: u32,
    /// Months of history (24 by default).
    pub months: u32,
    /// Copies of the whole group (1 by default). Copy n > 1 has its own
    /// seed and names ending in " n" ("Kea Holdings 2"), for load tests
    /// that need many organisations of a realistic shape.
    pub copies: u32,
    /// Adds [`super::demo_cases::add_real_life_cases`] to the first copy
    /// (on by default): credit notes, spend and receive money, a sale to
    /// inventory, a part-paid foreign invoice with a realised FX gain or
    /// loss, and a fifth entity whose history starts part-way.
    pub real_life_cases: bool,
}

impl DemoOptions {
    pub fn new(seed: u64, today: NaiveDate) -> Self {
        Self {
            seed,
            today,
            scale: 1,
            months: 24,
            copies: 1,
            real_life_cases: true,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnomalyKind {
    /// The seller invoiced; the buyer never entered the bill.
    MissingBill,
    /// The buyer entered the bill at a different amount.
    AmountMismatch,
}

/// A deliberately broken intercompany pair, for reconciliation to find.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anomaly {
    pub kind: AnomalyKind,
    pub seller: String,
    pub buyer: String,
    pub invoice_number: String,
    pub currency: CurrencyCode,
    pub seller_total: Decimal,
    /// What the buyer entered (None when missing).
    pub buyer_total: Option<Decimal>,
    pub date: NaiveDate,
}

#[derive(Debug)]
pub struct DemoGroup {
    pub clock: SimClock,
    /// Parent first: NZ, AU, UK, US (then the same for each further copy).
    pub organisations: Vec<Ledger>,
    pub anomalies: Vec<Anomaly>,
    /// The real-life cases written on top (empty when switched off).
    pub cases: Vec<super::demo_cases::Case>,
}

impl DemoGroup {
    pub fn by_name(&self, name: &str) -> Option<&Ledger> {
        self.organisations.iter().find(|l| l.name() == name)
    }
}

struct OrgSpec {
    name: &'static str,
    legal: &'static str,
    country: &'static str,
    currency: &'static str,
    fye: (u32, u32),
    extra: &'static [&'static str],
    suffix: &'static str,
    /// Rent and payroll per month in base currency (whole units).
    rent: i64,
    payroll: i64,
    sales_per_month: u64,
    bills_per_month: u64,
}

const ORGS: [OrgSpec; 4] = [
    OrgSpec {
        name: "Kea Holdings",
        legal: "Kea Holdings Limited",
        country: "NZ",
        currency: "NZD",
        fye: (31, 3),
        extra: &["AUD", "GBP", "USD"],
        suffix: "Limited",
        rent: 9_500,
        payroll: 68_000,
        sales_per_month: 72,
        bills_per_month: 30,
    },
    OrgSpec {
        name: "Wattle Trading",
        legal: "Wattle Trading Pty Ltd",
        country: "AU",
        currency: "AUD",
        fye: (30, 6),
        extra: &["NZD", "USD"],
        suffix: "Pty Ltd",
        rent: 7_800,
        payroll: 52_000,
        sales_per_month: 70,
        bills_per_month: 28,
    },
    OrgSpec {
        name: "Thistle & Co",
        legal: "Thistle & Co Ltd",
        country: "GB",
        currency: "GBP",
        fye: (31, 12),
        extra: &["NZD", "USD", "EUR"],
        suffix: "Ltd",
        rent: 5_200,
        payroll: 31_000,
        sales_per_month: 66,
        bills_per_month: 26,
    },
    OrgSpec {
        name: "Redwood Supply",
        legal: "Redwood Supply Inc.",
        country: "US",
        currency: "USD",
        fye: (31, 12),
        extra: &["GBP", "NZD"],
        suffix: "LLC",
        rent: 6_400,
        payroll: 45_000,
        sales_per_month: 68,
        bills_per_month: 27,
    },
];

const FIRST: [&str; 24] = [
    "Aroha",
    "Bluegum",
    "Coastal",
    "Driftwood",
    "Ember",
    "Fernleaf",
    "Granite",
    "Harbour",
    "Ironbark",
    "Juniper",
    "Kowhai",
    "Lighthouse",
    "Meridian",
    "Northwind",
    "Oakridge",
    "Pohutukawa",
    "Quarry",
    "Riverstone",
    "Summit",
    "Tussock",
    "Upland",
    "Vantage",
    "Wharf",
    "Yarrow",
];
const SECOND: [&str; 12] = [
    "Cafe",
    "Builders",
    "Design",
    "Foods",
    "Logistics",
    "Media",
    "Motors",
    "Studio",
    "Traders",
    "Wholesale",
    "Health",
    "Electrical",
];
const SUPPLIERS: [&str; 12] = [
    "Power Co",
    "Telecom",
    "Stationery Warehouse",
    "Freight Lines",
    "Cleaning Services",
    "Accounting Partners",
    "Marketing Agency",
    "IT Services",
    "Packaging Supplies",
    "Travel Desk",
    "Insurance Brokers",
    "Raw Materials",
];

fn code(s: &str) -> CurrencyCode {
    CurrencyCode::parse(s).expect("valid demo currency")
}

fn cents(rng: &mut SplitMix64, lo: i64, hi: i64) -> Decimal {
    Decimal::new(rng.range(lo * 100, hi * 100), 2)
}

/// The group's three account additions, through `PUT /Accounts`.
fn add_intercompany_accounts(l: &mut Ledger) {
    for (c, n, t) in [
        ("215", "Management Fees Received", "REVENUE"),
        ("325", "Intercompany Purchases", "DIRECTCOSTS"),
        ("486", "Management Fees Paid", "OVERHEADS"),
    ] {
        l.put_account(
            Account {
                code: Some(c.into()),
                name: Some(n.into()),
                account_type: Some(t.into()),
                tax_type: Some("NONE".into()),
                ..Default::default()
            },
            &WriteOptions::default(),
        )
        .expect("demo account");
    }
}

struct Pending {
    id: Uuid,
    due: NaiveDate,
    amount: Decimal,
}

/// Creates invoices through `PUT /Invoices` in requests of 50, each request
/// stamped at 17:00 on its latest invoice date.
fn flush(
    l: &mut Ledger,
    clock: &SimClock,
    mut batch: Vec<(Invoice, bool)>,
    pay: &mut Vec<Pending>,
) -> Vec<Invoice> {
    batch.sort_by_key(|(i, _)| i.date);
    let mut created = Vec::new();
    for chunk in batch.chunks(super::MAX_PER_REQUEST) {
        let latest = chunk
            .iter()
            .filter_map(|(i, _)| i.date)
            .max()
            .expect("dated");
        clock.set(
            latest
                .date()
                .and_time(NaiveTime::from_hms_opt(17, 0, 0).expect("time"))
                .and_utc(),
        );
        let items: Vec<Invoice> = chunk.iter().map(|(i, _)| i.clone()).collect();
        let env = l
            .write_invoices(Method::Put, items, &WriteOptions::default())
            .unwrap_or_else(|e| panic!("demo invoices rejected: {:?}", e.messages()));
        for (inv, (_, payable)) in env.invoices.into_iter().zip(chunk) {
            if *payable && inv.status == Some(InvoiceStatus::Authorised) {
                pay.push(Pending {
                    id: inv.invoice_id.expect("id"),
                    due: inv.due_date.expect("due").date(),
                    amount: inv.total.expect("total"),
                });
            }
            created.push(inv);
        }
    }
    created
}

fn line(
    desc: &str,
    qty: i64,
    unit: Decimal,
    account: &str,
    tracking: Option<LineItemTracking>,
) -> LineItem {
    LineItem {
        description: Some(desc.into()),
        quantity: Some(Decimal::from(qty)),
        unit_amount: Some(unit),
        account_code: Some(account.into()),
        tracking: tracking.map(|t| vec![t]),
        ..Default::default()
    }
}

fn named(name: &str) -> Option<Contact> {
    Some(Contact {
        name: Some(name.into()),
        ..Default::default()
    })
}

/// An intercompany invoice between two organisations of the group.
struct IcFlow {
    seller: usize,
    buyer: usize,
    currency: &'static str,
    /// Whole units of `currency` per month, before variation.
    amount: i64,
    revenue_account: &'static str,
    cost_account: &'static str,
    description: &'static str,
    prefix: &'static str,
}

const FLOWS: [IcFlow; 5] = [
    IcFlow {
        seller: 0,
        buyer: 1,
        currency: "AUD",
        amount: 12_000,
        revenue_account: "215",
        cost_account: "486",
        description: "Management fee",
        prefix: "MF-AU",
    },
    IcFlow {
        seller: 0,
        buyer: 2,
        currency: "NZD",
        amount: 8_000,
        revenue_account: "215",
        cost_account: "486",
        description: "Management fee",
        prefix: "MF-UK",
    },
    IcFlow {
        seller: 0,
        buyer: 3,
        currency: "USD",
        amount: 10_000,
        revenue_account: "215",
        cost_account: "486",
        description: "Management fee",
        prefix: "MF-US",
    },
    IcFlow {
        seller: 1,
        buyer: 0,
        currency: "AUD",
        amount: 15_000,
        revenue_account: "200",
        cost_account: "325",
        description: "Goods supplied",
        prefix: "IC-NZ",
    },
    IcFlow {
        seller: 3,
        buyer: 2,
        currency: "USD",
        amount: 9_000,
        revenue_account: "200",
        cost_account: "325",
        description: "Goods supplied",
        prefix: "IC-UK",
    },
];

/// Builds the demo group. The same options always give the same data.
pub fn build_demo(opts: &DemoOptions) -> DemoGroup {
    let months = opts.months.max(1) as i32;
    let first = Month::of(opts.today).prev().plus(1 - months);
    let start = first
        .first_day()
        .and_time(NaiveTime::from_hms_opt(8, 0, 0).expect("time"))
        .and_utc()
        - Duration::days(7);
    let clock = SimClock::fixed(start);
    let mut organisations = Vec::new();
    let mut anomalies = Vec::new();
    for copy in 1..=opts.copies.max(1) {
        // Every copy is written from the start of the history again, so
        // all share one clock (the simulator's).
        clock.set(start);
        let (orgs, found) = build_copy(opts, &clock, copy);
        organisations.extend(orgs);
        anomalies.extend(found);
    }
    let mut group = DemoGroup {
        clock,
        organisations,
        anomalies,
        cases: Vec::new(),
    };
    // The cases are written in the last three months of history, so a
    // shorter history has no room for them.
    if opts.real_life_cases && months >= 3 {
        group.cases = super::demo_cases::add_real_life_cases(&mut group, opts.today);
    }
    group.clock.set(
        opts.today
            .and_time(NaiveTime::from_hms_opt(8, 0, 0).expect("time"))
            .and_utc(),
    );
    group
}

/// The trading and legal names of `spec` in copy `copy` (1 is the original).
fn copy_names(spec: &OrgSpec, copy: u32) -> (String, String) {
    if copy <= 1 {
        return (spec.name.into(), spec.legal.into());
    }
    let name = format!("{} {copy}", spec.name);
    (name.clone(), spec.legal.replacen(spec.name, &name, 1))
}

fn build_copy(opts: &DemoOptions, clock: &SimClock, copy: u32) -> (Vec<Ledger>, Vec<Anomaly>) {
    let months = opts.months.max(1) as i32;
    let first = Month::of(opts.today).prev().plus(1 - months);
    let names_of: Vec<(String, String)> = ORGS.iter().map(|s| copy_names(s, copy)).collect();
    let legal = |k: usize| names_of[k].1.as_str();
    let seed = opts
        .seed
        .wrapping_add(u64::from(copy - 1).wrapping_mul(0x9E37_79B9));
    let mut rng = SplitMix64::new(seed);
    let mut orgs: Vec<Ledger> = Vec::new();
    let mut regions: Vec<Vec<LineItemTracking>> = Vec::new();
    let mut customers: Vec<Vec<String>> = Vec::new();
    let mut suppliers: Vec<Vec<String>> = Vec::new();
    let ok = WriteOptions::default();

    for (k, spec) in ORGS.iter().enumerate() {
        let mut l = Ledger::new(
            OrgSettings {
                name: names_of[k].0.clone(),
                legal_name: Some(names_of[k].1.clone()),
                base_currency: code(spec.currency),
                country_code: spec.country.into(),
                financial_year_end_day: spec.fye.0,
                financial_year_end_month: spec.fye.1,
                short_code: None,
                is_demo_company: true,
            },
            clock.clone(),
            seed ^ (0xD1CE_0000 + k as u64),
        );
        for c in spec.extra {
            l.put_currency(Currency {
                code: Some(code(c)),
                description: None,
            })
            .expect("currency");
        }
        add_intercompany_accounts(&mut l);
        let cat = l
            .put_tracking_category("Region")
            .expect("tracking")
            .tracking_categories[0]
            .clone();
        let cat_id = cat.tracking_category_id.expect("id");
        let mut opts_list = Vec::new();
        for r in ["North", "South", "Central"] {
            l.put_tracking_option(cat_id, r).expect("option");
            opts_list.push(LineItemTracking {
                tracking_category_id: Some(cat_id),
                name: Some("Region".into()),
                option: Some(r.into()),
                ..Default::default()
            });
        }
        regions.push(opts_list);
        // Customers and suppliers, through PUT /Contacts.
        let mut names: Vec<String> = Vec::new();
        let start = rng.below((FIRST.len() * SECOND.len()) as u64) as usize;
        for j in 0..40 {
            let x = (start + j * 7) % (FIRST.len() * SECOND.len());
            names.push(format!(
                "{} {} {}",
                FIRST[x % FIRST.len()],
                SECOND[x / FIRST.len()],
                spec.suffix
            ));
        }
        names.sort();
        names.dedup();
        let sup: Vec<String> = SUPPLIERS
            .iter()
            .map(|s| format!("{s} {}", spec.suffix))
            .collect();
        let mut contacts: Vec<Contact> = names
            .iter()
            .map(|n| Contact {
                name: Some(n.clone()),
                email_address: Some(format!(
                    "accounts@{}.example",
                    n.split(' ').next().unwrap_or("x").to_lowercase()
                )),
                ..Default::default()
            })
            .collect();
        contacts.extend(sup.iter().map(|n| Contact {
            name: Some(n.clone()),
            ..Default::default()
        }));
        for (j, other) in ORGS.iter().enumerate() {
            if j != k {
                contacts.push(Contact {
                    name: Some(legal(j).into()),
                    default_currency: Some(code(other.currency)).filter(|c| l.is_subscribed(*c)),
                    ..Default::default()
                });
            }
        }
        for chunk in contacts.chunks(super::MAX_PER_REQUEST) {
            l.write_contacts(Method::Put, chunk.to_vec(), &ok)
                .expect("contacts");
        }
        customers.push(names);
        suppliers.push(sup);
        orgs.push(l);
    }

    let missing_month = months - 5;
    let mismatch_month = months - 9;
    let mut anomalies = Vec::new();
    let mut pending: Vec<Vec<Pending>> = (0..orgs.len()).map(|_| Vec::new()).collect();

    for m in 0..months {
        let month = first.plus(m);
        let days = month.days() as i64;
        let day = |rng: &mut SplitMix64| month.first_day() + Duration::days(rng.range(0, days - 1));
        let mut batches: Vec<Vec<(Invoice, bool)>> = (0..orgs.len()).map(|_| Vec::new()).collect();

        for (k, spec) in ORGS.iter().enumerate() {
            let scale = if k == 0 { opts.scale.max(1) as u64 } else { 1 };
            let season = 100 + ((m as i64 * 37 + k as i64 * 11) % 21) - 10; // percent
            // Sales.
            let n_sales = (spec.sales_per_month * scale * season as u64 / 100).max(1);
            for _ in 0..n_sales {
                let date = day(&mut rng);
                let foreign = rng.chance(10);
                let cur = if foreign {
                    *rng.pick(spec.extra)
                } else {
                    spec.currency
                };
                let n_lines = rng.range(1, 3);
                let lines: Vec<LineItem> = (0..n_lines)
                    .map(|_| {
                        let acc = if rng.chance(85) { "200" } else { "260" };
                        let region = rng.pick(&regions[k]).clone();
                        line(
                            if acc == "200" {
                                "Product sales"
                            } else {
                                "Services"
                            },
                            rng.range(1, 8),
                            cents(&mut rng, 40, 600),
                            acc,
                            Some(region),
                        )
                    })
                    .collect();
                let roll = rng.below(100);
                let status = match roll {
                    0..=1 => InvoiceStatus::Draft,
                    2 => InvoiceStatus::Submitted,
                    _ => InvoiceStatus::Authorised,
                };
                let inv = Invoice {
                    invoice_type: Some(InvoiceType::AccRec),
                    contact: named(rng.pick::<String>(&customers[k])),
                    date: Some(date.into()),
                    due_date: Some((date + Duration::days(20)).into()),
                    status: Some(status),
                    line_amount_types: Some(if foreign {
                        LineAmountTypes::NoTax
                    } else {
                        LineAmountTypes::Exclusive
                    }),
                    currency_code: Some(code(cur)),
                    reference: Some(format!("PO {}", rng.range(1000, 9999))),
                    line_items: Some(lines),
                    ..Default::default()
                };
                batches[k].push((inv, rng.chance(97)));
            }
            // Bills.
            let n_bills = (spec.bills_per_month * scale * season as u64 / 100).max(1);
            for _ in 0..n_bills {
                let date = day(&mut rng);
                let s = rng.below(suppliers[k].len() as u64) as usize;
                let acc = [
                    "445", "489", "310", "408", "412", "400", "493", "310", "429", "310", "404",
                    "310",
                ][s];
                let inclusive = rng.chance(30);
                let inv = Invoice {
                    invoice_type: Some(InvoiceType::AccPay),
                    invoice_number: Some(format!(
                        "{}-{}",
                        &suppliers[k][s][..3].to_uppercase(),
                        rng.range(10000, 99999)
                    )),
                    contact: named(&suppliers[k][s]),
                    date: Some(date.into()),
                    due_date: Some((date + Duration::days(30)).into()),
                    status: Some(if rng.chance(3) {
                        InvoiceStatus::Draft
                    } else {
                        InvoiceStatus::Authorised
                    }),
                    line_amount_types: Some(if inclusive {
                        LineAmountTypes::Inclusive
                    } else {
                        LineAmountTypes::Exclusive
                    }),
                    line_items: Some(vec![line(
                        "Supplies and services",
                        1,
                        if acc == "310" {
                            cents(&mut rng, 500, 9000)
                        } else {
                            cents(&mut rng, 60, 4000)
                        },
                        acc,
                        None,
                    )]),
                    ..Default::default()
                };
                batches[k].push((inv, rng.chance(95)));
            }
        }

        // Intercompany: the seller's invoice, and the buyer's bill with the
        // seller's invoice number.
        for (f, flow) in FLOWS.iter().enumerate() {
            let date = month.last_day() - Duration::days(f as i64);
            let cur = code(flow.currency);
            let amount = Decimal::new((flow.amount + rng.range(-500, 500)) * 100, 2);
            let number = format!("{}-{}{:02}", flow.prefix, month.year(), month.month());
            let seller_base = orgs[flow.seller].base_currency();
            let buyer_base = orgs[flow.buyer].base_currency();
            let sale = Invoice {
                invoice_type: Some(InvoiceType::AccRec),
                invoice_number: Some(number.clone()),
                contact: named(legal(flow.buyer)),
                date: Some(date.into()),
                due_date: Some((date + Duration::days(30)).into()),
                status: Some(InvoiceStatus::Authorised),
                line_amount_types: Some(LineAmountTypes::NoTax),
                currency_code: Some(cur),
                currency_rate: (cur != seller_base).then(|| fx::rate(seller_base, cur, date)),
                line_items: Some(vec![line(
                    flow.description,
                    1,
                    amount,
                    flow.revenue_account,
                    None,
                )]),
                ..Default::default()
            };
            batches[flow.seller].push((sale, true));
            if f == 0 && m == missing_month {
                anomalies.push(Anomaly {
                    kind: AnomalyKind::MissingBill,
                    seller: legal(flow.seller).into(),
                    buyer: legal(flow.buyer).into(),
                    invoice_number: number,
                    currency: cur,
                    seller_total: amount,
                    buyer_total: None,
                    date,
                });
                continue;
            }
            let mut bill_amount = amount;
            if f == 1 && m == mismatch_month {
                bill_amount = amount + Decimal::new(25000, 2);
                anomalies.push(Anomaly {
                    kind: AnomalyKind::AmountMismatch,
                    seller: legal(flow.seller).into(),
                    buyer: legal(flow.buyer).into(),
                    invoice_number: number.clone(),
                    currency: cur,
                    seller_total: amount,
                    buyer_total: Some(bill_amount),
                    date,
                });
            }
            let bill = Invoice {
                invoice_type: Some(InvoiceType::AccPay),
                invoice_number: Some(number),
                contact: named(legal(flow.seller)),
                date: Some(date.into()),
                due_date: Some((date + Duration::days(30)).into()),
                status: Some(InvoiceStatus::Authorised),
                line_amount_types: Some(LineAmountTypes::NoTax),
                currency_code: Some(cur),
                currency_rate: (cur != buyer_base).then(|| fx::rate(buyer_base, cur, date)),
                line_items: Some(vec![line(
                    flow.description,
                    1,
                    bill_amount,
                    flow.cost_account,
                    None,
                )]),
                ..Default::default()
            };
            batches[flow.buyer].push((bill, true));
        }

        for (k, batch) in batches.into_iter().enumerate() {
            let l = &mut orgs[k];
            let mut due_now: Vec<Pending> = std::mem::take(&mut pending[k]);
            let mut new_pending = Vec::new();
            let created = flush(l, clock, batch, &mut new_pending);

            // A few sales are voided or deleted afterwards (POST /Invoices).
            let mut changes = Vec::new();
            for inv in created
                .iter()
                .filter(|i| i.invoice_type == Some(InvoiceType::AccRec))
            {
                let number = inv.invoice_number.clone().unwrap_or_default();
                if number.starts_with("MF-") || number.starts_with("IC-") {
                    continue;
                }
                let roll = rng.below(1000);
                let to = match (inv.status, roll) {
                    (Some(InvoiceStatus::Authorised), 0..=9) => InvoiceStatus::Voided,
                    (Some(InvoiceStatus::Draft), 0..=299) => InvoiceStatus::Deleted,
                    _ => continue,
                };
                changes.push(Invoice {
                    invoice_id: inv.invoice_id,
                    status: Some(to),
                    ..Default::default()
                });
            }
            let voided: Vec<Uuid> = changes.iter().filter_map(|c| c.invoice_id).collect();
            clock.set(
                month
                    .last_day()
                    .and_time(NaiveTime::from_hms_opt(18, 0, 0).expect("time"))
                    .and_utc(),
            );
            for chunk in changes.chunks(super::MAX_PER_REQUEST) {
                l.write_invoices(Method::Post, chunk.to_vec(), &ok)
                    .expect("status change");
            }
            new_pending.retain(|p| !voided.contains(&p.id));

            // Payroll and rent (and quarterly depreciation) by manual journal.
            let spec = &ORGS[k];
            let jdate = month.last_day();
            let payroll = Decimal::new(spec.payroll * 100 + rng.range(-200_000, 200_000), 2);
            let rent = Decimal::new(spec.rent * 100, 2);
            let mut journals = vec![
                journal(
                    "Monthly payroll",
                    jdate,
                    &[("477", payroll), ("090", -payroll)],
                ),
                journal(
                    "Office rent",
                    month.first_day(),
                    &[("469", rent), ("090", -rent)],
                ),
            ];
            if month.month().is_multiple_of(3) {
                let dep = Decimal::new(spec.rent * 30, 2);
                journals.push(journal(
                    "Quarterly depreciation",
                    jdate,
                    &[("416", dep), ("711", -dep)],
                ));
            }
            // Capital introduced in the first month, so the bank starts funded.
            if m == 0 {
                let capital = Decimal::new(spec.payroll * 400, 2);
                journals.push(journal(
                    "Capital introduced",
                    month.first_day(),
                    &[("090", capital), ("970", -capital)],
                ));
            }
            if m == 0 {
                let equipment = Decimal::new(spec.rent * 480, 2);
                journals.push(journal(
                    "Office equipment purchased",
                    month.first_day(),
                    &[("710", equipment), ("090", -equipment)],
                ));
            }
            // Every second month the tax owed at the end of last month is paid,
            // read from the trial balance as a bookkeeper would.
            if month.month().is_multiple_of(2) && m > 0 {
                let owed = tax_owed(l, month.prev().last_day());
                if !owed.is_zero() {
                    journals.push(journal(
                        "Tax payment",
                        month.first_day() + Duration::days(27),
                        &[("820", owed), ("090", -owed)],
                    ));
                }
            }
            l.write_manual_journals(Method::Put, journals, &ok)
                .expect("journals");

            // Pay last month's invoices on their due date (within this month).
            due_now.sort_by_key(|p| p.due);
            let bank = l
                .accounts()
                .iter()
                .find(|a| a.code.as_deref() == Some("090"))
                .and_then(|a| a.account_id);
            let payments: Vec<(NaiveDate, Payment)> = due_now
                .iter()
                .map(|p| {
                    let date = p.due.min(month.last_day());
                    (
                        date,
                        Payment {
                            invoice: Some(PaymentInvoiceRef {
                                invoice_id: Some(p.id),
                                invoice_number: None,
                            }),
                            account: Some(AccountRef {
                                account_id: bank,
                                code: None,
                            }),
                            date: Some(date.into()),
                            amount: Some(p.amount),
                            ..Default::default()
                        },
                    )
                })
                .collect();
            for chunk in payments.chunks(super::MAX_PER_REQUEST) {
                let latest = chunk.iter().map(|(d, _)| *d).max().expect("non-empty");
                clock.set(
                    latest
                        .and_time(NaiveTime::from_hms_opt(12, 0, 0).expect("time"))
                        .and_utc(),
                );
                l.put_payments(chunk.iter().map(|(_, p)| p.clone()).collect(), &ok)
                    .unwrap_or_else(|e| panic!("demo payments rejected: {:?}", e.messages()));
            }
            pending[k] = new_pending;
        }
    }
    super::demo_balance_sheet::add_balance_sheet_cases(&mut orgs, first, ORGS.map(|o| o.payroll));
    (orgs, anomalies)
}

/// The credit balance of the tax account (820) at `date`, from the trial
/// balance report's YTD columns.
fn tax_owed(l: &Ledger, date: NaiveDate) -> Decimal {
    let name = l
        .accounts()
        .iter()
        .find(|a| a.code.as_deref() == Some("820"))
        .and_then(|a| a.name.clone())
        .unwrap_or_default();
    let p = super::reports::ReportParams {
        date: Some(date),
        ..Default::default()
    };
    let tb = l.trial_balance(&p).expect("trial balance");
    super::reports::find_row(&tb.reports[0], &format!("{name} (820)"))
        .map(|v| v[3] - v[2])
        .unwrap_or_default()
}

fn journal(narration: &str, date: NaiveDate, lines: &[(&str, Decimal)]) -> ManualJournal {
    ManualJournal {
        narration: Some(narration.into()),
        date: Some(date.into()),
        status: Some(ManualJournalStatus::Posted),
        journal_lines: Some(
            lines
                .iter()
                .map(|(c, a)| ManualJournalLine {
                    line_amount: Some(*a),
                    account_code: Some((*c).into()),
                    description: Some(narration.into()),
                    ..Default::default()
                })
                .collect(),
        ),
        ..Default::default()
    }
}

//! Property tests of the engine over random small groups.

use std::collections::HashMap;

use crate::common::*;
use consol::domain::{Month, MonthRange};
use consol::engine::*;
use proptest::prelude::*;
use rust_decimal::Decimal;

const CURRENCIES: [&str; 3] = ["NZD", "AUD", "USD"];

fn first_month() -> Month {
    m("2025-04")
}

fn year() -> MonthRange {
    MonthRange::new(first_month(), first_month().plus(11)).unwrap()
}

fn amount() -> impl Strategy<Value = Decimal> {
    (-1_000_000i64..1_000_000).prop_map(|c| Decimal::new(c, 2))
}

/// An entity: its currency, and its accounts as (expense?, mapping).
type EntitySpec = (usize, Vec<(bool, Option<usize>)>);

#[derive(Debug, Clone)]
struct Spec {
    entities: Vec<EntitySpec>,
    rows: Vec<(usize, usize, i32, Decimal)>, // entity, account, month, amount
    rates: Vec<(usize, i32, Option<i64>)>,   // currency, month, rate ×10^4
    invoices: Vec<InvSpec>,
}

#[derive(Debug, Clone)]
struct InvSpec {
    entity: usize,
    sale: bool,
    counterpart: usize,
    intercompany: bool,
    status: usize,
    day: i64,
    foreign: bool,
    inclusive: bool,
    lines: Vec<(usize, Decimal, bool)>, // account, amount, balance-sheet?
}

fn spec(max_entities: usize) -> impl Strategy<Value = Spec> {
    let entities = prop::collection::vec(
        (
            0..CURRENCIES.len(),
            prop::collection::vec(
                (any::<bool>(), prop::option::weighted(0.8, 0..5usize)),
                1..6,
            ),
        ),
        1..=max_entities,
    );
    entities.prop_flat_map(|entities| {
        let n = entities.len();
        let rows = prop::collection::vec((0..n, 0..6usize, 0..12i32, amount()), 0..40);
        let rates = prop::collection::vec(
            (
                1..CURRENCIES.len(),
                0..12i32,
                prop::option::weighted(0.9, 5_000i64..15_000),
            ),
            0..30,
        );
        let inv = (
            0..n,
            any::<bool>(),
            0..n,
            prop::bool::weighted(0.7),
            0..4usize,
            0..365i64,
            prop::bool::weighted(0.3),
            any::<bool>(),
            prop::collection::vec((0..6usize, amount(), prop::bool::weighted(0.1)), 1..4),
        )
            .prop_map(
                |(
                    entity,
                    sale,
                    counterpart,
                    intercompany,
                    status,
                    day,
                    foreign,
                    inclusive,
                    lines,
                )| {
                    InvSpec {
                        entity,
                        sale,
                        counterpart,
                        intercompany,
                        status,
                        day,
                        foreign,
                        inclusive,
                        lines,
                    }
                },
            );
        let invoices = prop::collection::vec(inv, 0..12);
        (Just(entities), rows, rates, invoices).prop_map(|(entities, rows, rates, invoices)| Spec {
            entities,
            rows,
            rates,
            invoices,
        })
    })
}

fn build(s: &Spec) -> GroupData {
    let mut g = empty_group("NZD");
    let sections = [
        AccountSection::Income,
        AccountSection::CostOfSales,
        AccountSection::OtherIncome,
        AccountSection::OperatingExpenses,
        AccountSection::OtherExpenses,
    ];
    g.group_accounts = sections
        .iter()
        .enumerate()
        .map(|(i, s)| {
            group_account(
                i as i64,
                &format!("{}", 100 * (i + 1)),
                &format!("G{i}"),
                *s,
            )
        })
        .collect();
    let n = s.entities.len() as i64;
    for (e, (c, accounts)) in s.entities.iter().enumerate() {
        let id = e as i64 + 1;
        g.entities.push(entity(
            id,
            &format!("E{id}"),
            &format!("E{id} Ltd"),
            CURRENCIES[*c],
        ));
        for (a, (expense, map)) in accounts.iter().enumerate() {
            let class = if *expense {
                AccountClass::Expense
            } else {
                AccountClass::Revenue
            };
            let aid = format!("e{id}-a{a}");
            g.entity_accounts
                .push(account(id, &aid, &format!("{a}"), &format!("A{a}"), class));
            if let Some(gid) = map {
                g.mappings.push(mapping(id, &aid, *gid as i64));
            }
        }
        g.entity_accounts.push(account(
            id,
            &format!("e{id}-bs"),
            "900",
            "Debtors",
            AccountClass::Asset,
        ));
        for o in 1..=n {
            if o != id {
                g.intercompany_contacts
                    .push(ic_contact(id, &format!("ic-{o}"), o));
            }
        }
    }
    for (e, a, month, amt) in &s.rows {
        let accounts = s.entities[*e].1.len();
        let id = *e as i64 + 1;
        g.pnl.push(pnl(
            id,
            &format!("e{id}-a{}", a % accounts),
            &first_month().plus(*month).to_string(),
            &amt.to_string(),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for (c, month, r) in &s.rates {
        if let Some(r) = r
            && seen.insert((*c, *month))
        {
            g.rates.push(rate(
                CURRENCIES[*c],
                &first_month().plus(*month).to_string(),
                &Decimal::new(*r, 4).to_string(),
            ));
        }
    }
    let statuses = [
        InvoiceStatus::Authorised,
        InvoiceStatus::Paid,
        InvoiceStatus::Voided,
        InvoiceStatus::Draft,
    ];
    for (i, inv) in s.invoices.iter().enumerate() {
        let id = inv.entity as i64 + 1;
        let other = inv.counterpart as i64 + 1;
        let accounts = s.entities[inv.entity].1.len();
        let base = CURRENCIES[s.entities[inv.entity].0];
        let currency = if inv.foreign {
            CURRENCIES.iter().find(|c| **c != base).unwrap()
        } else {
            base
        };
        let lines = inv
            .lines
            .iter()
            .enumerate()
            .map(|(l, (a, amt, bs))| {
                let code = if *bs {
                    "900".to_string()
                } else {
                    format!("{}", a % accounts)
                };
                let tax = if inv.inclusive {
                    (amt / Decimal::from(10)).round_dp(2)
                } else {
                    Decimal::ZERO
                };
                line(
                    &format!("l{i}-{l}"),
                    &code,
                    &amt.to_string(),
                    &tax.to_string(),
                )
            })
            .collect();
        let contact = if inv.intercompany && other != id {
            format!("ic-{other}")
        } else {
            "outsider".to_string()
        };
        let mut v = invoice(
            id,
            if inv.sale {
                InvoiceType::Accrec
            } else {
                InvoiceType::Accpay
            },
            &format!("inv-{i}"),
            &format!("N-{i}"),
            &contact,
            &(first_month().first_day() + chrono::Days::new(inv.day as u64)).to_string(),
            currency,
            Some("0.8000"),
            lines,
        );
        v.status = statuses[inv.status];
        v.line_amount_types = if inv.inclusive {
            LineAmountTypes::Inclusive
        } else {
            LineAmountTypes::Exclusive
        };
        g.invoices.push(v);
    }
    g
}

fn report(g: &GroupData, period: MonthRange) -> ProfitAndLossReport {
    consolidate(g, period).unwrap().report
}

/// Checks consolidated = Σ entities + eliminations, and the section and
/// profit totals, on one set of values for the report's lines.
fn check_footing(lines: &[ReportLine], values: &[&ColumnValues], net_profit: &ColumnValues) {
    assert_eq!(lines.len(), values.len());
    let rows: Vec<Vec<Decimal>> = values.iter().map(|v| v.to_vec()).collect();
    for (l, v) in lines.iter().zip(&rows) {
        let n = v.len();
        let sum: Decimal = v[..n - 1].iter().copied().sum();
        assert_eq!(v[n - 1], sum, "consolidated of {}", l.key);
    }
    let by_key: HashMap<&str, &Vec<Decimal>> =
        lines.iter().map(|l| l.key.as_str()).zip(&rows).collect();
    let col_count = values[0].len();
    for s in Section::POSTING {
        let Some(total) = lines
            .iter()
            .position(|l| l.kind == LineKind::SectionTotal && l.section == s)
        else {
            continue;
        };
        for c in 0..col_count {
            let sum: Decimal = lines
                .iter()
                .zip(&rows)
                .filter(|(l, _)| l.kind == LineKind::Account && l.section == s)
                .map(|(_, v)| v[c])
                .sum();
            assert_eq!(rows[total][c], sum, "total of {s:?}");
        }
    }
    let t = |k: &str, c: usize| by_key.get(k).map_or(Decimal::ZERO, |v| v[c]);
    for c in 0..col_count {
        let gp = t("total:income", c) - t("total:cost_of_sales", c);
        assert_eq!(t("gross_profit", c), gp);
        let np = gp + t("total:other_income", c)
            - t("total:operating_expenses", c)
            - t("total:other_expenses", c)
            + t("total:unmapped", c);
        assert_eq!(t("net_profit", c), np);
        assert_eq!(net_profit.to_vec()[c], np);
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 96,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn one_entity_without_intercompany_is_its_own_translated_pnl(s in spec(1)) {
        let mut g = build(&s);
        g.invoices.clear();
        let r = report(&g, year());
        let e = &g.entities[0];
        // Expected: Σ over months of round(Σ rows × rate), signed for display.
        let mut base: HashMap<(&str, Month), Decimal> = HashMap::new();
        for row in &g.pnl {
            if let SourceRow::Account { account_id, .. } = &row.row {
                *base.entry((account_id.as_str(), row.month)).or_default() += row.amount;
            }
        }
        let mut expected: HashMap<String, Decimal> = HashMap::new();
        for ((aid, month), b) in base {
            let Some(rate) = (if e.base_currency.as_str() == "NZD" {
                Some(Decimal::ONE)
            } else {
                g.rates.iter().find(|r| r.currency == e.base_currency && r.month == month).map(|r| r.average)
            }) else { continue };
            let acc = g.entity_accounts.iter().find(|a| a.account_id == aid).unwrap();
            let translated = round_to(b * rate, 2);
            let mapped = g.mappings.iter().find(|m| m.account_id == aid);
            let (key, sign) = match mapped {
                Some(m) => {
                    let ga = g.group_accounts.iter().find(|x| x.id == m.group_account).unwrap();
                    let display_cost = matches!(ga.section, AccountSection::CostOfSales | AccountSection::OperatingExpenses | AccountSection::OtherExpenses);
                    let is_expense = acc.class == AccountClass::Expense;
                    (format!("group:{}", ga.id.0), if display_cost == is_expense { 1 } else { -1 })
                }
                None => (format!("unmapped:1:{aid}"), if acc.class == AccountClass::Expense { -1 } else { 1 }),
            };
            *expected.entry(key).or_default() += translated * Decimal::from(sign);
        }
        for l in r.lines.iter().filter(|l| l.kind == LineKind::Account) {
            let v = l.values.get("entity:1").unwrap();
            prop_assert_eq!(v, expected.get(&l.key).copied().unwrap_or_default(), "line {}", &l.key);
            prop_assert_eq!(l.values.get("consolidated").unwrap(), v);
            prop_assert!(l.values.get("eliminations").unwrap().is_zero());
        }
        // Lines whose only amounts lack a rate are shown too (at zero).
        for k in expected.keys() {
            prop_assert!(r.line(k).is_some(), "missing line {}", k);
        }
    }

    #[test]
    fn entity_order_does_not_matter(s in spec(4), seed in any::<u64>()) {
        let g = build(&s);
        let mut h = g.clone();
        // A deterministic shuffle of the entities.
        let n = h.entities.len();
        let mut x = seed;
        for i in (1..n).rev() {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            h.entities.swap(i, (x >> 33) as usize % (i + 1));
        }
        let a = serde_json::to_value(report(&g, year())).unwrap();
        let b = serde_json::to_value(report(&h, year())).unwrap();
        prop_assert_eq!(a, b);
    }

    #[test]
    fn every_line_and_month_foots(s in spec(4)) {
        let g = build(&s);
        let c = consolidate(&g, year()).unwrap();
        let r = &c.report;
        let values: Vec<&ColumnValues> = r.lines.iter().map(|l| &l.values).collect();
        check_footing(&r.lines, &values, &r.net_profit);
        for month in &r.months {
            prop_assert_eq!(month.lines.len(), r.lines.len());
            for (ml, l) in month.lines.iter().zip(&r.lines) {
                prop_assert_eq!(&ml.key, &l.key);
            }
            let values: Vec<&ColumnValues> = month.lines.iter().map(|l| &l.values).collect();
            check_footing(&r.lines, &values, &month.net_profit);
        }
        // Each account cell opens to sources that add up to it, and each
        // total to the lines it is made of.
        for l in &r.lines {
            let parts = r.parts(&l.key);
            prop_assert_eq!(parts.is_none(), l.kind == LineKind::Account, "{}", &l.key);
            for (i, (col, v)) in l.values.iter().enumerate() {
                match &parts {
                    None => {
                        let p = c.provenance.cell(&l.key, col).unwrap();
                        prop_assert_eq!(p.total(), v, "{} {}", &l.key, col);
                    }
                    Some(parts) => {
                        let sum: Decimal = parts.iter().map(|p| p.sign * p.line.values.at(i)).sum();
                        prop_assert_eq!(sum, v, "{} {}", &l.key, col);
                    }
                }
            }
        }
    }

    #[test]
    fn a_year_is_the_sum_of_its_months(s in spec(3)) {
        let g = build(&s);
        let y = report(&g, year());
        let singles: Vec<ProfitAndLossReport> = year().months().map(|m| report(&g, MonthRange::single(m))).collect();
        for l in &y.lines {
            for (col, v) in l.values.iter() {
                let sum: Decimal = singles
                    .iter()
                    .filter_map(|r| r.line(&l.key))
                    .map(|x| x.values.get(col).unwrap())
                    .sum();
                prop_assert_eq!(v, sum, "{} {}", &l.key, col);
            }
        }
        // And the monthly breakdown is the single-month report.
        for (single, month) in singles.iter().zip(&y.months) {
            for l in &single.lines {
                let yl = month.lines.iter().find(|x| x.key == l.key).unwrap();
                prop_assert_eq!(yl.values.to_vec(), l.values.to_vec());
            }
        }
    }

    #[test]
    fn without_intercompany_contacts_eliminations_are_zero(s in spec(4)) {
        let mut g = build(&s);
        g.intercompany_contacts.clear();
        let r = report(&g, year());
        for l in &r.lines {
            prop_assert!(l.values.get("eliminations").unwrap().is_zero());
        }
        for month in &r.months {
            for l in &month.lines {
                prop_assert!(l.values.get("eliminations").unwrap().is_zero());
            }
        }
        let rec = reconcile_intercompany(&g, year()).unwrap();
        prop_assert!(rec.pairs.is_empty());
    }

    #[test]
    fn reconciliation_net_effect_equals_eliminations(s in spec(3)) {
        let mut g = build(&s);
        // Every entity month synced, so that no elimination waits.
        for e in 1..=s.entities.len() as i64 {
            for month in year().months() {
                g.net_profits.push(XeroNetProfit {
                    entity: EntityId(e),
                    month,
                    amount: Decimal::ZERO,
                    sync_run_id: None,
                });
            }
        }
        let r = report(&g, year());
        let rec = reconcile_intercompany(&g, year()).unwrap();
        if rec.summary.iter().all(|x| x.complete) {
            // Equal up to rounding: the reconciliation translates each
            // document once, the eliminations each (entity, account, month)
            // once, so each rounding (at most half a cent) may differ.
            let net: Decimal = rec.summary.iter().map(|x| x.net_effect).sum();
            let roundings: usize = g.invoices.iter().map(|i| i.lines.len() + 1).sum();
            let bound = Decimal::new(roundings as i64, 2);
            let diff = (net - r.net_profit.get("eliminations").unwrap()).abs();
            prop_assert!(diff <= bound, "{} > {}", diff, bound);
        }
    }
}

/// What [`spec`] leaves out, for the months property: each invoice's kind
/// (invoice, credit note, bank transaction), counterpart documents near
/// it (so pairs straddle month ends, some on balance-sheet accounts),
/// Xero's Net Profit for some entity months, unreadable records, and a
/// period.
#[derive(Debug, Clone)]
struct Extra {
    kinds: Vec<usize>,
    /// (invoice, days later, same number?, balance-sheet line?, total
    /// differs?)
    twins: Vec<(usize, i64, bool, bool, bool)>,
    net_profits: Vec<(usize, i32, Decimal)>,
    rejected: Vec<(usize, i64)>,
    period: (i32, i32),
    /// Every entity month synced and every rate there, but for the few
    /// months `months_missing` names.
    complete: bool,
    months_missing: Vec<i32>,
}

fn extra() -> impl Strategy<Value = Extra> {
    (
        prop::collection::vec(0..3usize, 12),
        prop::collection::vec(
            (
                0..12usize,
                -12..12i64,
                prop::bool::weighted(0.7),
                prop::bool::weighted(0.5),
                prop::bool::weighted(0.2),
            ),
            0..10,
        ),
        prop::collection::vec((0..4usize, 0..12i32, amount()), 0..60),
        prop::collection::vec((0..4usize, 0..365i64), 0..3),
        (0..12i32, 0..12i32),
        prop::bool::weighted(0.7),
        prop::collection::vec(0..12i32, 0..3),
    )
        .prop_map(
            |(kinds, twins, net_profits, rejected, period, complete, months_missing)| Extra {
                kinds,
                twins,
                net_profits,
                rejected,
                period,
                complete,
                months_missing,
            },
        )
}

fn build_more(s: &Spec, x: &Extra) -> GroupData {
    let mut g = build(s);
    let types = [
        (InvoiceType::Accrec, InvoiceType::Accpay),
        (InvoiceType::Accreccredit, InvoiceType::Accpaycredit),
        (InvoiceType::Receive, InvoiceType::Spend),
    ];
    for (i, inv) in g.invoices.iter_mut().enumerate() {
        let (sale, buy) = types[x.kinds[i % x.kinds.len()]];
        inv.invoice_type = if inv.invoice_type == InvoiceType::Accrec {
            sale
        } else {
            buy
        };
    }
    let n = s.entities.len();
    let originals = g.invoices.len();
    let intercompany: Vec<usize> = (0..originals)
        .filter(|&i| g.invoices[i].contact_id.starts_with("ic-"))
        .collect();
    for (t, (i, days, same_number, bs, differs)) in x.twins.iter().enumerate() {
        if intercompany.is_empty() {
            break;
        }
        let at = intercompany[i % intercompany.len()];
        g.invoices[at].status = InvoiceStatus::Authorised;
        // A buyer's line on the balance sheet is what holds profit: make
        // the original the seller's side then.
        if *bs {
            let t = g.invoices[at].invoice_type;
            let (kind, _) = DocumentKind::of(t);
            g.invoices[at].invoice_type = types
                .iter()
                .map(|(a, _)| *a)
                .find(|ty| DocumentKind::of(*ty).0 == kind)
                .unwrap();
        }
        let o = g.invoices[at].clone();
        let Some(other) = o.contact_id.strip_prefix("ic-") else {
            continue;
        };
        let other: i64 = other.parse().unwrap();
        let (kind, seller) = DocumentKind::of(o.invoice_type);
        let t_type = types
            .iter()
            .map(|(a, b)| if seller { *b } else { *a })
            .find(|ty| DocumentKind::of(*ty).0 == kind)
            .unwrap();
        let accounts = s.entities[other as usize - 1].1.len();
        let code = if *bs {
            "900".to_string()
        } else {
            format!("{}", t % accounts)
        };
        let amount = if *differs {
            o.total + Decimal::ONE
        } else {
            o.total
        };
        let mut twin = invoice(
            other,
            t_type,
            &format!("twin-{t}"),
            &if *same_number {
                o.invoice_number.clone().unwrap()
            } else {
                format!("T-{t}")
            },
            &format!("ic-{}", o.entity.0),
            &(o.date + chrono::Duration::days(*days)).to_string(),
            &o.currency.to_string(),
            Some("0.8000"),
            vec![line(&format!("tl{t}"), &code, &amount.to_string(), "0")],
        );
        twin.line_amount_types = LineAmountTypes::Exclusive;
        g.invoices.push(twin);
    }
    let mut seen = std::collections::HashSet::new();
    for (e, month, amt) in &x.net_profits {
        let e = (e % n) as i64 + 1;
        if seen.insert((e, *month)) {
            g.net_profits.push(XeroNetProfit {
                entity: EntityId(e),
                month: first_month().plus(*month),
                amount: *amt,
                sync_run_id: None,
            });
        }
    }
    if x.complete {
        for month in (-2..14).filter(|m| !x.months_missing.contains(m)) {
            let month_of = first_month().plus(month);
            for e in 1..=n as i64 {
                if seen.insert((e, month)) {
                    g.net_profits.push(XeroNetProfit {
                        entity: EntityId(e),
                        month: month_of,
                        amount: Decimal::ZERO,
                        sync_run_id: None,
                    });
                }
            }
            for c in &CURRENCIES[1..] {
                if !g
                    .rates
                    .iter()
                    .any(|r| r.month == month_of && r.currency.to_string() == *c)
                {
                    g.rates.push(rate(c, &month_of.to_string(), "1.2345"));
                }
            }
        }
    }
    for (r, (e, day)) in x.rejected.iter().enumerate() {
        g.rejected.push(RejectedRecord {
            entity: EntityId((e % n) as i64 + 1),
            record_id: format!("rej-{r}"),
            number: None,
            date: first_month().first_day() + chrono::Days::new(*day as u64),
            field: "CurrencyCode".into(),
            value: "XXX".into(),
        });
    }
    g
}

fn json(r: &ProfitAndLossReport) -> serde_json::Value {
    serde_json::to_value(r).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// The report of any period is its single months put together (the
    /// report service keeps months and adds them up), whole report.
    #[test]
    fn a_period_is_its_single_months_put_together(s in spec(4), x in extra()) {
        let g = build_more(&s, &x);
        let (a, b) = (x.period.0.min(x.period.1), x.period.0.max(x.period.1));
        let period = MonthRange::new(first_month().plus(a), first_month().plus(b)).unwrap();
        let whole = report(&g, period);
        let singles: Vec<ProfitAndLossReport> =
            period.months().map(|m| report(&g, MonthRange::single(m))).collect();
        let parts: Vec<&ProfitAndLossReport> = singles.iter().collect();
        let put_together = assemble(&parts).unwrap();
        prop_assert_eq!(json(&put_together), json(&whole));
    }

    /// A period's report reads no document dated further than the loader's
    /// widening (45 days) outside it: the same report from only those.
    #[test]
    fn a_period_needs_only_the_loaded_window(s in spec(4), x in extra()) {
        let g = build_more(&s, &x);
        let (a, b) = (x.period.0.min(x.period.1), x.period.0.max(x.period.1));
        let period = MonthRange::new(first_month().plus(a), first_month().plus(b)).unwrap();
        let mut narrow = g.clone();
        let margin = chrono::Duration::days(45);
        narrow.invoices.retain(|i| {
            i.date >= period.from().first_day() - margin && i.date <= period.to().last_day() + margin
        });
        prop_assert_eq!(json(&report(&narrow, period)), json(&report(&g, period)));
    }
}

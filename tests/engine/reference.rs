//! A reference implementation of the rules, in test code: naive, written
//! straight from `consolidation-rules.md`, calling no engine function (it
//! only reads the engine's input structs and output report). A property
//! test compares it with the engine on random groups with credit notes,
//! spend/receive money, foreign currencies, missing rates (average rates
//! and documents' `CurrencyRate`), `FXGROUPID` rows in any section,
//! AccountIDs outside the chart and months without a synced P&L.

use std::collections::{BTreeMap, BTreeSet};

use crate::common::*;
use consol::domain::{Month, MonthRange};
use consol::engine::*;
use proptest::prelude::*;
use rust_decimal::{Decimal, RoundingStrategy};

const CURRENCIES: [&str; 3] = ["NZD", "AUD", "USD"];
const TYPES: [InvoiceType; 6] = [
    InvoiceType::Accrec,
    InvoiceType::Accpay,
    InvoiceType::Accreccredit,
    InvoiceType::Accpaycredit,
    InvoiceType::Receive,
    InvoiceType::Spend,
];
const SECTIONS: [ReportSection; 4] = [
    ReportSection::Income,
    ReportSection::CostOfSales,
    ReportSection::OtherIncome,
    ReportSection::Expenses,
];

fn first() -> Month {
    m("2026-01")
}

fn period() -> MonthRange {
    MonthRange::new(first(), first().plus(3)).unwrap()
}

/// Half away from zero, to `dp` places.
fn round(d: Decimal, dp: u32) -> Decimal {
    d.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero)
}

fn cents() -> impl Strategy<Value = Decimal> {
    (-500_000i64..500_000).prop_map(|c| Decimal::new(c, 2))
}

#[derive(Debug, Clone)]
struct RowSpec {
    entity: usize,
    /// 0: a chart account, 1: FXGROUPID, 2: an AccountID outside the chart.
    kind: usize,
    account: usize,
    section: usize,
    month: i32,
    amount: Decimal,
}

#[derive(Debug, Clone)]
struct DocSpec {
    entity: usize,
    kind: usize,
    counterpart: usize,
    intercompany: bool,
    status: usize,
    day: u64,
    foreign: bool,
    /// ×10^4; `None`: the document has no CurrencyRate.
    rate: Option<i64>,
    inclusive: bool,
    /// (account, amount, 0: P&L, 1: balance sheet, 2: unknown code)
    lines: Vec<(usize, Decimal, usize)>,
    /// The counterpart's side too (same number, currency and total, a day
    /// later), its first line on its balance sheet when `mirror_bs`.
    mirror: bool,
    mirror_bs: bool,
}

/// An entity: its currency and its accounts (expense?, mapping to a
/// group account 0..6, 5 being a balance-sheet one).
type EntitySpec = (usize, Vec<(bool, Option<usize>)>);

#[derive(Debug, Clone)]
struct Spec {
    entities: Vec<EntitySpec>,
    fx_mapped: Vec<Option<usize>>,
    rows: Vec<RowSpec>,
    rates: Vec<(usize, i32, Option<i64>)>,
    docs: Vec<DocSpec>,
    /// Entity months with Xero's Net Profit row.
    net_profit: Vec<(usize, i32)>,
}

fn spec() -> impl Strategy<Value = Spec> {
    let entities = prop::collection::vec(
        (
            0..CURRENCIES.len(),
            prop::collection::vec(
                (any::<bool>(), prop::option::weighted(0.8, 0..6usize)),
                1..5,
            ),
        ),
        1..=3,
    );
    entities.prop_flat_map(|entities| {
        let n = entities.len();
        let fx_mapped = prop::collection::vec(prop::option::weighted(0.3, 0..5usize), n);
        let rows = prop::collection::vec(
            (
                0..n,
                prop::sample::select(vec![0usize, 0, 0, 0, 1, 2]),
                0..5usize,
                0..4usize,
                0..4i32,
                cents(),
            )
                .prop_map(|(entity, kind, account, section, month, amount)| RowSpec {
                    entity,
                    kind,
                    account,
                    section,
                    month,
                    amount,
                }),
            0..30,
        );
        let rates = prop::collection::vec(
            (
                1..CURRENCIES.len(),
                0..4i32,
                prop::option::weighted(0.85, 5_000i64..15_000),
            ),
            0..12,
        );
        let doc = (
            (0..n, 0..6usize, 0..n, prop::bool::weighted(0.8), 0..4usize),
            (
                0..120u64,
                prop::bool::weighted(0.4),
                prop::option::weighted(0.85, 5_000i64..15_000),
                any::<bool>(),
            ),
            prop::collection::vec(
                (
                    0..5usize,
                    cents(),
                    prop::sample::select(vec![0usize, 0, 0, 0, 0, 1, 2]),
                ),
                1..4,
            ),
            (prop::bool::weighted(0.5), prop::bool::weighted(0.5)),
        )
            .prop_map(
                |(
                    (entity, kind, counterpart, intercompany, status),
                    (day, foreign, rate, inclusive),
                    lines,
                    (mirror, mirror_bs),
                )| DocSpec {
                    mirror,
                    mirror_bs,
                    entity,
                    kind,
                    counterpart,
                    intercompany,
                    status,
                    day,
                    foreign,
                    rate,
                    inclusive,
                    lines,
                },
            );
        let docs = prop::collection::vec(doc, 0..14);
        let net_profit = prop::collection::vec((0..n, 0..4i32), 0..12);
        (Just(entities), fx_mapped, rows, rates, docs, net_profit).prop_map(
            |(entities, fx_mapped, rows, rates, docs, net_profit)| Spec {
                entities,
                fx_mapped,
                rows,
                rates,
                docs,
                net_profit,
            },
        )
    })
}

fn account_id(e: i64, a: usize) -> String {
    format!("e{e}-a{a}")
}

fn build(s: &Spec) -> GroupData {
    let mut g = empty_group("NZD");
    let sections = [
        AccountSection::Income,
        AccountSection::CostOfSales,
        AccountSection::OtherIncome,
        AccountSection::OperatingExpenses,
        AccountSection::OtherExpenses,
        AccountSection::CurrentAssets,
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
            g.entity_accounts.push(account(
                id,
                &account_id(id, a),
                &format!("{a}"),
                &format!("A{a}"),
                class,
            ));
            if let Some(gid) = map {
                g.mappings
                    .push(mapping(id, &account_id(id, a), *gid as i64));
            }
        }
        g.entity_accounts.push(account(
            id,
            &format!("e{id}-bs"),
            "900",
            "Stock",
            AccountClass::Asset,
        ));
        if let Some(gid) = s.fx_mapped[e] {
            g.mappings.push(mapping(id, "FXGROUPID", gid as i64));
        }
        for o in 1..=n {
            if o != id {
                g.intercompany_contacts
                    .push(ic_contact(id, &format!("ic-{o}"), o));
            }
        }
    }
    for r in &s.rows {
        let id = r.entity as i64 + 1;
        let accounts = s.entities[r.entity].1.len();
        let section = SECTIONS[r.section];
        let row = match r.kind {
            0 => SourceRow::account(account_id(id, r.account % accounts)),
            1 => SourceRow::system_in("FXGROUPID", "Foreign Currency Gains and Losses", section),
            _ => SourceRow::account_in(format!("stray-{id}-{}", r.account), section),
        };
        g.pnl.push(PnlAmount {
            entity: EntityId(id),
            row,
            month: first().plus(r.month),
            amount: r.amount,
            sync_run_id: None,
        });
    }
    let mut seen = BTreeSet::new();
    for (c, month, r) in &s.rates {
        if let Some(r) = r
            && seen.insert((*c, *month))
        {
            g.rates.push(rate(
                CURRENCIES[*c],
                &first().plus(*month).to_string(),
                &Decimal::new(*r, 4).to_string(),
            ));
        }
    }
    let mut seen = BTreeSet::new();
    for (e, month) in &s.net_profit {
        if seen.insert((*e, *month)) {
            g.net_profits.push(XeroNetProfit {
                entity: EntityId(*e as i64 + 1),
                month: first().plus(*month),
                amount: Decimal::ZERO,
                sync_run_id: None,
            });
        }
    }
    let statuses = [
        InvoiceStatus::Authorised,
        InvoiceStatus::Paid,
        InvoiceStatus::Voided,
        InvoiceStatus::Deleted,
    ];
    for (i, d) in s.docs.iter().enumerate() {
        let id = d.entity as i64 + 1;
        let other = d.counterpart as i64 + 1;
        let accounts = s.entities[d.entity].1.len();
        let base = CURRENCIES[s.entities[d.entity].0];
        let currency = if d.foreign {
            *CURRENCIES.iter().find(|c| **c != base).unwrap()
        } else {
            base
        };
        let lines = d
            .lines
            .iter()
            .enumerate()
            .map(|(l, (a, amount, kind))| {
                let code = match kind {
                    0 => format!("{}", a % accounts),
                    1 => "900".to_string(),
                    _ => "999".to_string(),
                };
                let tax = if d.inclusive {
                    round(*amount / Decimal::from(11), 2)
                } else {
                    Decimal::ZERO
                };
                line(
                    &format!("l{i}-{l}"),
                    &code,
                    &amount.to_string(),
                    &tax.to_string(),
                )
            })
            .collect();
        let contact = if d.intercompany && other != id {
            format!("ic-{other}")
        } else {
            "outsider".to_string()
        };
        let rate = d.rate.map(|r| Decimal::new(r, 4).to_string());
        let mut v = invoice(
            id,
            TYPES[d.kind],
            &format!("doc-{i}"),
            &format!("N-{i}"),
            &contact,
            &(first().first_day() + chrono::Days::new(d.day)).to_string(),
            currency,
            rate.as_deref(),
            lines,
        );
        v.status = statuses[d.status];
        if d.inclusive {
            v.line_amount_types = LineAmountTypes::Inclusive;
        }
        if d.mirror && d.intercompany && other != id {
            let their = s.entities[d.counterpart].1.len();
            let their_base = CURRENCIES[s.entities[d.counterpart].0];
            let mut w = v.clone();
            w.entity = EntityId(other);
            w.invoice_type = match v.invoice_type {
                InvoiceType::Accrec => InvoiceType::Accpay,
                InvoiceType::Accpay => InvoiceType::Accrec,
                InvoiceType::Accreccredit => InvoiceType::Accpaycredit,
                InvoiceType::Accpaycredit => InvoiceType::Accreccredit,
                InvoiceType::Receive => InvoiceType::Spend,
                InvoiceType::Spend => InvoiceType::Receive,
            };
            w.invoice_id = format!("doc-{i}-mirror");
            w.contact_id = format!("ic-{id}");
            w.date = v.date + chrono::Days::new(1);
            if w.currency.as_str() == their_base {
                w.currency_rate = None;
            }
            for (n, (l, (a, _, _))) in w.lines.iter_mut().zip(&d.lines).enumerate() {
                l.line_item_id = format!("{}-mirror", l.line_item_id);
                l.account_code = Some(if d.mirror_bs && n == 0 {
                    "900".to_string()
                } else {
                    format!("{}", a % their)
                });
            }
            g.invoices.push(v);
            g.invoices.push(w);
        } else {
            g.invoices.push(v);
        }
    }
    g
}

/// (line key, month index, column key) -> effect on profit, in P.
type Cells = BTreeMap<(String, usize, String), Decimal>;

/// The rules, naively.
fn reference(g: &GroupData) -> Cells {
    let p = g.group.presentation_currency;
    let months: Vec<Month> = period().months().collect();
    let month_index = |mo: Month| months.iter().position(|x| *x == mo);
    let avg = |e: &Entity, mo: Month| -> Option<Decimal> {
        if e.base_currency == p {
            return Some(Decimal::ONE);
        }
        g.rates
            .iter()
            .find(|r| r.currency == e.base_currency && r.month == mo)
            .map(|r| r.average)
    };
    let chart = |e: EntityId, id: &str| {
        g.entity_accounts
            .iter()
            .find(|a| a.entity == e && a.account_id == id)
    };
    let line_of = |e: EntityId, key: &str| -> String {
        let mapped = g
            .mappings
            .iter()
            .find(|x| x.entity == e && x.account_id == key)
            .and_then(|x| g.group_accounts.iter().find(|ga| ga.id == x.group_account))
            .filter(|ga| {
                matches!(
                    ga.section,
                    AccountSection::Income
                        | AccountSection::CostOfSales
                        | AccountSection::OtherIncome
                        | AccountSection::OperatingExpenses
                        | AccountSection::OtherExpenses
                )
            });
        match mapped {
            Some(ga) => format!("group:{}", ga.id.0),
            None => format!("unmapped:{}:{key}", e.0),
        }
    };
    let up = |income: bool| if income { Decimal::ONE } else { -Decimal::ONE };
    let mut synced: BTreeSet<(EntityId, Month)> = BTreeSet::new();
    for r in &g.pnl {
        synced.insert((r.entity, r.month));
    }
    for r in &g.net_profits {
        synced.insert((r.entity, r.month));
    }

    let mut out = Cells::new();
    // Rules 1 and 3: each row's effect on profit, summed per (entity, key,
    // month), translated at the month's average rate, rounded once.
    let mut sums: BTreeMap<(EntityId, String, Month), Decimal> = BTreeMap::new();
    for r in &g.pnl {
        let (key, sign) = match &r.row {
            SourceRow::Summary(_) => continue,
            SourceRow::System(sys) => (sys.key.clone(), up(sys.class == AccountClass::Revenue)),
            SourceRow::Account {
                account_id,
                section,
            } => {
                let sign = match (chart(r.entity, account_id), section) {
                    (Some(a), _) => up(a.class != AccountClass::Expense),
                    (None, Some(s)) => up(matches!(
                        s,
                        ReportSection::Income | ReportSection::OtherIncome
                    )),
                    (None, None) => Decimal::ONE,
                };
                (account_id.clone(), sign)
            }
        };
        *sums.entry((r.entity, key, r.month)).or_default() += sign * r.amount;
    }
    for ((e, key, mo), sum) in sums {
        let ent = g.entities.iter().find(|x| x.id == e).unwrap();
        let (Some(i), Some(rate)) = (month_index(mo), avg(ent, mo)) else {
            continue;
        };
        *out.entry((line_of(e, &key), i, format!("entity:{}", e.0)))
            .or_default() += round(sum * rate, 2);
    }

    // Rule 4: every P&L line of every posted intercompany document, its
    // base amount rounded to cents, removed with its document's sign;
    // summed per (entity, account, month), translated, rounded once; not
    // applied for a month without the entity's P&L.
    let mut elim: BTreeMap<(EntityId, String, Month), Decimal> = BTreeMap::new();
    for d in &g.invoices {
        let Some(ent) = g.entities.iter().find(|x| x.id == d.entity) else {
            continue;
        };
        let posts = matches!(d.status, InvoiceStatus::Authorised | InvoiceStatus::Paid);
        let ic = g.intercompany_contacts.iter().any(|c| {
            c.entity == d.entity
                && c.contact_id == d.contact_id
                && g.entities.iter().any(|x| x.id == c.counterpart)
        });
        if !posts || !ic {
            continue;
        }
        let raises_profit = matches!(
            d.invoice_type,
            InvoiceType::Accrec | InvoiceType::Accpaycredit | InvoiceType::Receive
        );
        let mo = Month::of(d.date);
        for l in &d.lines {
            let acc = g
                .entity_accounts
                .iter()
                .find(|a| a.entity == d.entity && a.code.as_deref() == l.account_code.as_deref());
            let Some(acc) = acc else { continue };
            if !matches!(acc.class, AccountClass::Revenue | AccountClass::Expense) {
                continue;
            }
            let net = match d.line_amount_types {
                LineAmountTypes::Inclusive => l.line_amount - l.tax_amount,
                _ => l.line_amount,
            };
            let base = if d.currency == ent.base_currency {
                net
            } else {
                match d.currency_rate {
                    Some(r) if r > Decimal::ZERO => net / r,
                    _ => continue,
                }
            };
            let base = round(base, 2);
            let removed = if raises_profit { -base } else { base };
            *elim
                .entry((d.entity, acc.account_id.clone(), mo))
                .or_default() += removed;
        }
    }
    // Rule 4, lines on balance-sheet accounts: pairs matched as the
    // reconciliation does, a seller document of the period with a buyer
    // document dated anywhere (a month's hold does not depend on the
    // period asked: docs/consolidation-choices.md, so a sale on 30 April
    // pairs with its bill of 1 May in a January to April report); when
    // the buyer's side has balance-sheet lines, that share of each
    // eliminated seller line is held back on the unrealised intercompany
    // profit line.
    let in_period = |d: &Invoice| {
        Month::of(d.date) >= months[0] && Month::of(d.date) <= months[months.len() - 1]
    };
    let counterpart = |d: &Invoice| -> Option<EntityId> {
        if !g.entities.iter().any(|x| x.id == d.entity)
            || !matches!(d.status, InvoiceStatus::Authorised | InvoiceStatus::Paid)
        {
            return None;
        }
        g.intercompany_contacts
            .iter()
            .find(|c| c.entity == d.entity && c.contact_id == d.contact_id)
            .map(|c| c.counterpart)
            .filter(|c| g.entities.iter().any(|x| x.id == *c))
    };
    // Each line of a document: (net, account class, base amount if known).
    let valued = |d: &Invoice| -> Vec<(Decimal, Option<AccountClass>, Option<Decimal>, String)> {
        let ent = g.entities.iter().find(|x| x.id == d.entity).unwrap();
        d.lines
            .iter()
            .map(|l| {
                let acc = g.entity_accounts.iter().find(|a| {
                    a.entity == d.entity && a.code.as_deref() == l.account_code.as_deref()
                });
                let net = match d.line_amount_types {
                    LineAmountTypes::Inclusive => l.line_amount - l.tax_amount,
                    _ => l.line_amount,
                };
                let base = if d.currency == ent.base_currency {
                    Some(net)
                } else {
                    d.currency_rate
                        .filter(|r| *r > Decimal::ZERO)
                        .map(|r| net / r)
                };
                (
                    net,
                    acc.map(|a| a.class),
                    base,
                    acc.map(|a| a.account_id.clone()).unwrap_or_default(),
                )
            })
            .collect()
    };
    let docs: Vec<(&Invoice, EntityId)> = g
        .invoices
        .iter()
        .filter_map(|d| counterpart(d).map(|c| (d, c)))
        .collect();
    let number = |d: &Invoice| {
        d.invoice_number
            .as_deref()
            .map(|n| n.trim().to_lowercase())
            .filter(|n| !n.is_empty())
    };
    let mut held: BTreeMap<(EntityId, Month), Decimal> = BTreeMap::new();
    for (sell, buy) in [
        (InvoiceType::Accrec, InvoiceType::Accpay),
        (InvoiceType::Receive, InvoiceType::Spend),
    ] {
        let sellers: Vec<&(&Invoice, EntityId)> = docs
            .iter()
            .filter(|(d, _)| d.invoice_type == sell && in_period(d))
            .collect();
        let buyers: Vec<&(&Invoice, EntityId)> =
            docs.iter().filter(|(d, _)| d.invoice_type == buy).collect();
        let mut taken = vec![false; buyers.len()];
        let mut pairs = Vec::new();
        let mut rest = Vec::new();
        for (s, sc) in &sellers {
            let found = (0..buyers.len()).find(|&b| {
                let (bd, bc) = buyers[b];
                !taken[b]
                    && bd.entity == *sc
                    && *bc == s.entity
                    && number(s).is_some()
                    && number(bd) == number(s)
            });
            match found {
                Some(b) => {
                    taken[b] = true;
                    pairs.push((*s, buyers[b].0));
                }
                None => rest.push((*s, *sc)),
            }
        }
        for (s, sc) in rest {
            let found = (0..buyers.len())
                .filter(|&b| {
                    let (bd, bc) = buyers[b];
                    !taken[b]
                        && bd.entity == sc
                        && *bc == s.entity
                        && bd.currency == s.currency
                        && bd.total == s.total
                        && (bd.date - s.date).num_days().abs() <= 7
                })
                .min_by_key(|&b| ((buyers[b].0.date - s.date).num_days().abs(), b));
            if let Some(b) = found {
                taken[b] = true;
                pairs.push((s, buyers[b].0));
            }
        }
        for (s, b) in pairs {
            let (mut bs, mut pl) = (Decimal::ZERO, Decimal::ZERO);
            for (net, class, base, _) in valued(b) {
                match class {
                    Some(AccountClass::Revenue | AccountClass::Expense) if base.is_some() => {
                        pl += net
                    }
                    Some(AccountClass::Asset | AccountClass::Liability | AccountClass::Equity) => {
                        bs += net
                    }
                    _ => {}
                }
            }
            if bs.is_zero() || (bs + pl).is_zero() {
                continue;
            }
            let share = bs / (bs + pl);
            for (_, class, base, _) in valued(s) {
                let (Some(AccountClass::Revenue | AccountClass::Expense), Some(base)) =
                    (class, base)
                else {
                    continue;
                };
                *held.entry((s.entity, Month::of(s.date))).or_default() +=
                    round(round(base, 2) * share, 2);
            }
        }
    }
    for ((e, mo), sum) in held {
        let ent = g.entities.iter().find(|x| x.id == e).unwrap();
        let (Some(i), Some(rate)) = (month_index(mo), avg(ent, mo)) else {
            continue;
        };
        if !synced.contains(&(e, mo)) {
            continue;
        }
        *out.entry((
            "unrealised_intercompany_profit".to_string(),
            i,
            "eliminations".to_string(),
        ))
        .or_default() += round(sum * rate, 2);
    }

    for ((e, key, mo), sum) in elim {
        let ent = g.entities.iter().find(|x| x.id == e).unwrap();
        let (Some(i), Some(rate)) = (month_index(mo), avg(ent, mo)) else {
            continue;
        };
        if !synced.contains(&(e, mo)) {
            continue;
        }
        *out.entry((line_of(e, &key), i, "eliminations".to_string()))
            .or_default() += round(sum * rate, 2);
    }
    out
}

/// The engine's monthly account cells, turned into effects on profit.
fn engine_cells(r: &ProfitAndLossReport) -> Cells {
    let mut out = Cells::new();
    for (i, month) in r.months.iter().enumerate() {
        for (ml, l) in month.lines.iter().zip(&r.lines) {
            if l.kind != LineKind::Account {
                continue;
            }
            let sign = match l.section {
                Section::CostOfSales | Section::OperatingExpenses | Section::OtherExpenses => {
                    -Decimal::ONE
                }
                _ => Decimal::ONE,
            };
            for (col, v) in ml.values.iter() {
                if col == "consolidated" || v.is_zero() {
                    continue;
                }
                out.insert((ml.key.clone(), i, col.to_string()), sign * v);
            }
        }
    }
    out
}

fn non_zero(c: Cells) -> Cells {
    c.into_iter().filter(|(_, v)| !v.is_zero()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn the_engine_agrees_with_the_reference(s in spec()) {
        let g = build(&s);
        let r = consolidate(&g, period()).unwrap().report;
        let want = non_zero(reference(&g));
        let got = engine_cells(&r);
        prop_assert_eq!(got, want);
    }

    #[test]
    fn a_group_whose_every_transaction_is_intercompany_consolidates_to_zero(
        s in spec(),
        rates in prop::collection::vec(5_000i64..15_000, 8),
    ) {
        // Only posted intercompany documents on P&L accounts, with every
        // rate there; each entity's P&L is what Xero posts for them: each
        // line's base amount at cents, on its account, signed as the
        // account shows it.
        let mut s = s;
        s.rows.clear();
        for d in &mut s.docs {
            d.intercompany = true;
            d.status %= 2;
            d.rate = Some(d.rate.unwrap_or(8_000));
            d.mirror_bs = false;
            for l in &mut d.lines {
                l.2 = 0;
            }
        }
        if s.entities.len() > 1 {
            s.docs.retain(|d| d.entity != d.counterpart);
        } else {
            s.docs.clear();
        }
        let mut g = build(&s);
        g.rates = (0..4)
            .flat_map(|mo| {
                ["AUD", "USD"].into_iter().enumerate().map(move |(c, cur)| (mo, c, cur))
            })
            .map(|(mo, c, cur)| {
                rate(cur, &first().plus(mo).to_string(), &Decimal::new(rates[mo as usize * 2 + c], 4).to_string())
            })
            .collect();
        for d in &g.invoices {
            let ent = g.entities.iter().find(|x| x.id == d.entity).unwrap();
            let raises = matches!(
                d.invoice_type,
                InvoiceType::Accrec | InvoiceType::Accpaycredit | InvoiceType::Receive
            );
            for l in &d.lines {
                let acc = g
                    .entity_accounts
                    .iter()
                    .find(|a| a.entity == d.entity && a.code == l.account_code)
                    .unwrap();
                let net = match d.line_amount_types {
                    LineAmountTypes::Inclusive => l.line_amount - l.tax_amount,
                    _ => l.line_amount,
                };
                let base = if d.currency == ent.base_currency {
                    net
                } else {
                    net / d.currency_rate.unwrap()
                };
                let effect = if raises { round(base, 2) } else { -round(base, 2) };
                let shown = if acc.class == AccountClass::Expense { -effect } else { effect };
                g.pnl.push(PnlAmount {
                    entity: d.entity,
                    row: SourceRow::account(acc.account_id.clone()),
                    month: Month::of(d.date),
                    amount: shown,
                    sync_run_id: None,
                });
            }
        }
        let r = consolidate(&g, period()).unwrap().report;
        prop_assert!(
            !r.warnings.iter().any(|w| w.severity() == Severity::Error && !matches!(w, Warning::MissingPnl { .. })),
            "{:?}", r.warnings
        );
        let zero = |v: Decimal| v.is_zero();
        for l in &r.lines {
            prop_assert!(zero(l.values.get("consolidated").unwrap()), "{} {:?}", &l.key, l.values);
        }
        for month in &r.months {
            for l in &month.lines {
                prop_assert!(zero(l.values.get("consolidated").unwrap()), "{} {} {:?}", month.month, &l.key, l.values);
            }
        }
    }
}

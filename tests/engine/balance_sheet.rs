//! The consolidated balance sheet: rule 3a's worked example (100% and 80%
//! ownership) to the cent, and properties over random groups checked
//! against a naive recomputation in this file that calls no engine
//! function.

use consol::domain::{CurrencyCode, Month};
use consol::engine::balance_sheet::*;
use consol::engine::{AccountClass, EntityId, FxRate, GroupAccountId};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn m(s: &str) -> Month {
    Month::parse(s).unwrap()
}

fn cur(s: &str) -> CurrencyCode {
    CurrencyCode::parse(s).unwrap()
}

fn account(id: &str, class: AccountClass, group: i64, amount: &str) -> BsAmount {
    BsAmount {
        row: BsRow::Account {
            account_id: id.into(),
            class,
            group_account: Some(GroupAccountId(group)),
        },
        amount: d(amount),
    }
}

fn group_account(
    id: i64,
    code: &str,
    name: &str,
    class: AccountClass,
    section: &str,
) -> BsGroupAccount {
    BsGroupAccount {
        id: GroupAccountId(id),
        code: code.into(),
        name: name.into(),
        class,
        section: section.into(),
    }
}

const CASH: i64 = 1;
const INVESTMENT: i64 = 2;
const SHARE_CAPITAL: i64 = 3;

/// Rule 3a's worked example: P (NZD) owns `percent` of S (AUD), bought on
/// 31 December 2025 for `cost`; P's cash is `p_cash`.
fn worked(percent: &str, cost: &str, p_cash: &str) -> BalanceSheetInput {
    let p = BsEntity {
        id: EntityId(1),
        name: "P".into(),
        base_currency: cur("NZD"),
        ownership: None,
        amounts: vec![
            account("p-cash", AccountClass::Asset, CASH, p_cash),
            account("p-inv", AccountClass::Asset, INVESTMENT, cost),
            account("p-sc", AccountClass::Equity, SHARE_CAPITAL, "150000"),
        ],
        monthly_profit: vec![(m("2026-01"), Decimal::ZERO)],
        xero_total_assets: Some(d(p_cash) + d(cost)),
        xero_net_assets: Some(d(p_cash) + d(cost)),
    };
    let s = BsEntity {
        id: EntityId(2),
        name: "S".into(),
        base_currency: cur("AUD"),
        ownership: Some(Ownership {
            owner: EntityId(1),
            percent: d(percent),
            acquired: m("2025-12"),
            equity_at_acquisition: d("100000"),
            historical_rate: d("1.10"),
            investment_accounts: vec!["p-inv".into()],
            contributions: vec![],
        }),
        amounts: vec![
            account("s-cash", AccountClass::Asset, CASH, "101000"),
            account("s-sc", AccountClass::Equity, SHARE_CAPITAL, "100000"),
            BsAmount {
                row: BsRow::CurrentYearEarnings,
                amount: d("1000"),
            },
        ],
        monthly_profit: vec![(m("2026-01"), d("1000"))],
        xero_total_assets: Some(d("101000")),
        xero_net_assets: Some(d("101000")),
    };
    BalanceSheetInput {
        presentation_currency: cur("NZD"),
        financial_year_end_month: 3,
        at: m("2026-01"),
        entities: vec![p, s],
        group_accounts: vec![
            group_account(CASH, "090", "Cash", AccountClass::Asset, "Bank"),
            group_account(
                INVESTMENT,
                "700",
                "Investment in subsidiaries",
                AccountClass::Asset,
                "Non-current Assets",
            ),
            group_account(
                SHARE_CAPITAL,
                "970",
                "Share capital",
                AccountClass::Equity,
                "Equity",
            ),
        ],
        rates: vec![
            FxRate {
                currency: cur("AUD"),
                month: m("2025-12"),
                average: d("1.09"),
                closing: d("1.10"),
            },
            FxRate {
                currency: cur("AUD"),
                month: m("2026-01"),
                average: d("1.12"),
                closing: d("1.15"),
            },
        ],
    }
}

fn value(r: &BalanceSheetReport, line: &str, column: &str) -> Decimal {
    r.lines
        .iter()
        .find(|l| l.key == line)
        .unwrap_or_else(|| panic!("no line {line}"))
        .values[column]
}

fn consolidated(r: &BalanceSheetReport, line: &str) -> Decimal {
    value(r, line, "consolidated")
}

#[test]
fn worked_example_wholly_owned_to_the_cent() {
    let r = consolidate_balance_sheet(&worked("100", "110000", "40000"));
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    assert_eq!(consolidated(&r, "group:1"), d("156150.00"), "cash");
    assert_eq!(consolidated(&r, "group:2"), d("0.00"), "investment");
    assert_eq!(consolidated(&r, GOODWILL), d("0.00"));
    assert_eq!(consolidated(&r, "group:3"), d("150000.00"), "share capital");
    assert_eq!(consolidated(&r, CURRENT_YEAR_EARNINGS), d("1120.00"));
    assert_eq!(consolidated(&r, TRANSLATION_RESERVE), d("5030.00"));
    assert_eq!(consolidated(&r, NON_CONTROLLING_INTEREST), d("0.00"));
    assert_eq!(consolidated(&r, NET_ASSETS), d("156150.00"));
    assert_eq!(consolidated(&r, TOTAL_EQUITY), d("156150.00"));
    assert!(
        r.balance_check.values().all(|v| v.is_zero()),
        "{:?}",
        r.balance_check
    );
    // The roll-forward: 100,000 x (1.15 - 1.10) + 1,000 x (1.15 - 1.12).
    let cta = &r.translation_reserve[0];
    assert_eq!(cta.opening, d("0.00"));
    assert_eq!(cta.on_opening_net_assets, d("5000.00"));
    assert_eq!(cta.on_profit, d("30.00"));
    assert_eq!(cta.closing, d("5030.00"));
    assert_eq!(r.profit_attributable_to_owners, d("1120.00"));
    assert_eq!(r.profit_attributable_to_nci, d("0"));
    assert!(
        r.tie_out.iter().all(|t| t.status == "ties"),
        "{:?}",
        r.tie_out
    );
}

#[test]
fn worked_example_eighty_percent_to_the_cent() {
    let r = consolidate_balance_sheet(&worked("80", "88000", "62000"));
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    assert_eq!(consolidated(&r, "group:1"), d("178150.00"), "cash");
    assert_eq!(consolidated(&r, "group:2"), d("0.00"), "investment");
    assert_eq!(consolidated(&r, GOODWILL), d("0.00"));
    // 22,000 + 20% x 1,120 + 20% x 5,030.
    assert_eq!(consolidated(&r, NON_CONTROLLING_INTEREST), d("23230.00"));
    // The owners' shares stay on their lines.
    assert_eq!(consolidated(&r, CURRENT_YEAR_EARNINGS), d("896.00"));
    assert_eq!(consolidated(&r, TRANSLATION_RESERVE), d("4024.00"));
    assert_eq!(r.profit_attributable_to_owners, d("896.00"));
    assert_eq!(r.profit_attributable_to_nci, d("224.00"));
    assert_eq!(consolidated(&r, TOTAL_EQUITY), d("178150.00"));
    assert_eq!(consolidated(&r, NET_ASSETS), d("178150.00"));
    assert!(
        r.balance_check.values().all(|v| v.is_zero()),
        "{:?}",
        r.balance_check
    );
}

#[test]
fn an_overpaid_investment_is_goodwill_and_an_underpaid_one_a_bargain_gain() {
    // Paying 120,000 for 100% of equity worth 110,000: goodwill 10,000.
    let r = consolidate_balance_sheet(&worked("100", "120000", "30000"));
    assert_eq!(consolidated(&r, GOODWILL), d("10000.00"));
    assert!(
        r.balance_check.values().all(|v| v.is_zero()),
        "{:?}",
        r.balance_check
    );
    // Paying 100,000: a gain of 10,000 in retained earnings, with a warning.
    let r = consolidate_balance_sheet(&worked("100", "100000", "50000"));
    assert_eq!(consolidated(&r, GOODWILL), d("0.00"));
    assert_eq!(consolidated(&r, RETAINED_EARNINGS), d("10000.00"));
    assert!(
        r.warnings.iter().any(|w| w.contains("bargain purchase")),
        "{:?}",
        r.warnings
    );
    assert!(
        r.balance_check.values().all(|v| v.is_zero()),
        "{:?}",
        r.balance_check
    );
}

/// The worked example a month on, with a later capital contribution: in
/// January P puts AUD 20,000 more into S at the rate entered for it, 1.13
/// (NZD 22,600 out of P's cash into its investment); S earns AUD 500 more
/// in February (average 1.16, closing 1.20).
fn with_contribution() -> BalanceSheetInput {
    let mut input = worked("100", "132600", "17400");
    input.at = m("2026-02");
    let s = &mut input.entities[1];
    s.ownership.as_mut().unwrap().contributions = vec![(m("2026-01"), d("20000"), d("1.13"))];
    s.amounts = vec![
        account("s-cash", AccountClass::Asset, CASH, "121500"),
        account("s-sc", AccountClass::Equity, SHARE_CAPITAL, "120000"),
        BsAmount {
            row: BsRow::CurrentYearEarnings,
            amount: d("1500"),
        },
    ];
    s.monthly_profit.push((m("2026-02"), d("500")));
    s.xero_total_assets = Some(d("121500"));
    s.xero_net_assets = Some(d("121500"));
    input.entities[0]
        .monthly_profit
        .push((m("2026-02"), Decimal::ZERO));
    input.rates.push(FxRate {
        currency: cur("AUD"),
        month: m("2026-02"),
        average: d("1.16"),
        closing: d("1.20"),
    });
    input
}

#[test]
fn a_later_contribution_is_equity_at_its_own_rate_and_the_reserve_takes_the_rest() {
    let r = consolidate_balance_sheet(&with_contribution());
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    // Worked by hand:
    // S's cash 121,500 x 1.20 = 145,800.00.
    // Contributed equity 100,000 x 1.10 + 20,000 x 1.13 = 132,600.00.
    // Earnings 1,000 x 1.12 + 500 x 1.16 = 1,700.00.
    // CTA 100,000 x (1.20 - 1.10) + 1,000 x (1.20 - 1.12)
    //     + 500 x (1.20 - 1.16) + 20,000 x (1.20 - 1.13) = 11,500.00,
    // which is also 145,800 - 132,600 - 1,700: the column balances.
    assert_eq!(value(&r, "group:1", "entity:2"), d("145800.00"));
    assert_eq!(value(&r, EQUITY_AT_ACQUISITION, "entity:2"), d("132600.00"));
    assert_eq!(value(&r, CURRENT_YEAR_EARNINGS, "entity:2"), d("1700.00"));
    assert_eq!(value(&r, TRANSLATION_RESERVE, "entity:2"), d("11500.00"));
    let cta = &r.translation_reserve[0];
    assert_eq!(cta.opening, d("0.00"));
    assert_eq!(cta.on_opening_net_assets, d("10000.00"));
    assert_eq!(cta.on_profit, d("100.00"));
    assert_eq!(cta.on_contributions, d("1400.00"));
    assert_eq!(cta.rounding, d("0.00"));
    assert_eq!(cta.closing, d("11500.00"));
    // The investment (110,000 + 22,600) eliminates against it exactly.
    assert_eq!(consolidated(&r, GOODWILL), d("0.00"));
    assert_eq!(consolidated(&r, "group:2"), d("0.00"));
    assert_eq!(consolidated(&r, EQUITY_AT_ACQUISITION), d("0.00"));
    // 17,400 + 145,800.
    assert_eq!(consolidated(&r, "group:1"), d("163200.00"));
    // 150,000 + 1,700 + 11,500.
    assert_eq!(consolidated(&r, TOTAL_EQUITY), d("163200.00"));
    assert!(
        r.balance_check.values().all(|v| v.is_zero()),
        "{:?}",
        r.balance_check
    );
}

#[test]
fn a_contribution_after_the_month_end_is_not_yet_equity() {
    // Seen from December (the acquisition), January's contribution has not
    // happened: equity at acquisition is 110,000 only.
    let mut input = with_contribution();
    input.at = m("2025-12");
    input.entities[1].amounts = vec![
        account("s-cash", AccountClass::Asset, CASH, "100000"),
        account("s-sc", AccountClass::Equity, SHARE_CAPITAL, "100000"),
    ];
    input.entities[1].xero_total_assets = Some(d("100000"));
    input.entities[1].xero_net_assets = Some(d("100000"));
    let r = consolidate_balance_sheet(&input);
    assert_eq!(value(&r, EQUITY_AT_ACQUISITION, "entity:2"), d("110000.00"));
    assert_eq!(value(&r, TRANSLATION_RESERVE, "entity:2"), d("0.00"));
}

#[test]
fn a_missing_closing_rate_is_an_error_never_a_rate_of_one() {
    let mut input = worked("100", "110000", "40000");
    input.rates.retain(|r| r.month != m("2026-01"));
    let r = consolidate_balance_sheet(&input);
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("no closing rate") && w.contains("S")),
        "{:?}",
        r.warnings
    );
    // S is left out, not counted at 1: cash is P's alone.
    assert_eq!(value(&r, "group:1", "entity:2"), Decimal::ZERO);
}

#[test]
fn equity_that_moved_other_than_by_profit_is_reported_not_plugged() {
    // S paid a dividend of AUD 500 out of cash that the ownership record
    // does not know of: the balance check says by how much.
    let mut input = worked("100", "110000", "40000");
    input.entities[1].amounts[0].amount = d("100500");
    let r = consolidate_balance_sheet(&input);
    let s = r.balance_check["entity:2"];
    assert_eq!(s, d("-575.00"), "500 x 1.15 short");
    assert!(
        r.warnings.iter().any(|w| w.contains("differ by")),
        "{:?}",
        r.warnings
    );
}

// ------------------------------------------------------------ properties

/// A subsidiary for the properties: its currency's rates per month, its
/// monthly profits (cents) and equity at acquisition.
#[derive(Debug, Clone)]
struct SubSpec {
    rate_bp: Vec<(i64, i64)>, // (average, closing) x 10^4, per month
    profits: Vec<i64>,        // cents, per month after acquisition
    equity: i64,              // cents
    percent: i64,
    premium: i64, // cents paid over the owner's share of equity
}

fn sub_spec(months: usize) -> impl Strategy<Value = SubSpec> {
    (
        prop::collection::vec((5_000i64..20_000, 5_000i64..20_000), months + 1),
        prop::collection::vec(-5_000_000i64..5_000_000, months),
        1_000_000i64..100_000_000,
        prop_oneof![Just(100i64), 51i64..100],
        0i64..1_000_000,
    )
        .prop_map(|(rate_bp, profits, equity, percent, premium)| SubSpec {
            rate_bp,
            profits,
            equity,
            percent,
            premium,
        })
}

const CURRENCIES: [&str; 3] = ["AUD", "USD", "GBP"];

/// A group of a NZD parent and subsidiaries whose books balance: each
/// subsidiary's cash is its equity at acquisition plus its profits since.
fn group(subs: &[SubSpec], same_rates: bool) -> BalanceSheetInput {
    let acquired = m("2025-06");
    let months = subs.first().map_or(0, |s| s.profits.len());
    let at = acquired.plus(months as i32);
    let mut rates = Vec::new();
    let mut entities = Vec::new();
    let mut parent_cash = Decimal::new(50_000_000, 2);
    let mut parent_inv = Decimal::ZERO;
    let mut parent = BsEntity {
        id: EntityId(1),
        name: "Parent".into(),
        base_currency: cur("NZD"),
        ownership: None,
        amounts: vec![],
        monthly_profit: vec![],
        xero_total_assets: None,
        xero_net_assets: None,
    };
    for (i, s) in subs.iter().enumerate() {
        let c = cur(CURRENCIES[i % CURRENCIES.len()]);
        let rate = |k: usize| -> (Decimal, Decimal) {
            if same_rates {
                (d("1.25"), d("1.25"))
            } else {
                (
                    Decimal::new(s.rate_bp[k].0, 4),
                    Decimal::new(s.rate_bp[k].1, 4),
                )
            }
        };
        if i < CURRENCIES.len() {
            for k in 0..=months {
                let (avg, close) = rate(k);
                rates.push(FxRate {
                    currency: c,
                    month: acquired.plus(k as i32),
                    average: avg,
                    closing: close,
                });
            }
        }
        let rate_of = |k: usize| {
            rates
                .iter()
                .find(|r: &&FxRate| r.currency == c && r.month == acquired.plus(k as i32))
                .map(|r| (r.average, r.closing))
                .unwrap()
        };
        let equity = Decimal::new(s.equity, 2);
        let h = rate_of(0).1;
        let share = Decimal::new(s.percent, 2);
        let cost = (equity * h * share).round_dp(2) + Decimal::new(s.premium, 2);
        parent_inv += cost;
        parent_cash -= cost;
        let profits: Vec<(Month, Decimal)> = s
            .profits
            .iter()
            .enumerate()
            .map(|(k, p)| (acquired.plus(k as i32 + 1), Decimal::new(*p, 2)))
            .collect();
        let cash = equity + profits.iter().map(|(_, p)| *p).sum::<Decimal>();
        let id = EntityId(i as i64 + 2);
        entities.push(BsEntity {
            id,
            name: format!("Sub {i}"),
            base_currency: c,
            ownership: Some(Ownership {
                owner: EntityId(1),
                percent: Decimal::from(s.percent),
                acquired,
                equity_at_acquisition: equity,
                historical_rate: h,
                investment_accounts: vec![format!("inv-{i}")],
                contributions: vec![],
            }),
            amounts: vec![account(
                &format!("cash-{i}"),
                AccountClass::Asset,
                CASH,
                &cash.to_string(),
            )],
            monthly_profit: profits,
            xero_total_assets: Some(cash),
            xero_net_assets: Some(cash),
        });
        parent.amounts.push(account(
            &format!("inv-{i}"),
            AccountClass::Asset,
            INVESTMENT,
            &cost.to_string(),
        ));
    }
    parent.amounts.push(account(
        "p-cash",
        AccountClass::Asset,
        CASH,
        &parent_cash.to_string(),
    ));
    parent.amounts.push(account(
        "p-sc",
        AccountClass::Equity,
        SHARE_CAPITAL,
        &(parent_cash + parent_inv).to_string(),
    ));
    entities.push(parent);
    BalanceSheetInput {
        presentation_currency: cur("NZD"),
        financial_year_end_month: 12,
        at,
        entities,
        group_accounts: vec![
            group_account(CASH, "090", "Cash", AccountClass::Asset, "Bank"),
            group_account(
                INVESTMENT,
                "700",
                "Investments",
                AccountClass::Asset,
                "Non-current Assets",
            ),
            group_account(
                SHARE_CAPITAL,
                "970",
                "Share capital",
                AccountClass::Equity,
                "Equity",
            ),
        ],
        rates,
    }
}

/// Rounds half away from zero to cents, written here so that the
/// recomputation owes nothing to the engine.
fn cents(v: Decimal) -> Decimal {
    v.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Every column balances, and the consolidated column is the sum of
    /// the others on every line.
    #[test]
    fn the_balance_sheet_balances(subs in prop::collection::vec(sub_spec(8), 1..4)) {
        let r = consolidate_balance_sheet(&group(&subs, false));
        prop_assert!(r.warnings.iter().all(|w| w.contains("bargain")), "{:?}", r.warnings);
        for (k, v) in &r.balance_check {
            prop_assert!(v.is_zero(), "{k}: {v}");
        }
        for l in &r.lines {
            if l.section == "Totals" { continue; }
            let sum: Decimal = l.values.iter().filter(|(k, _)| *k != "consolidated").map(|(_, v)| *v).sum();
            prop_assert_eq!(sum, l.values["consolidated"], "{}", l.key);
        }
    }

    /// Translation and CTA against a naive recomputation: cash at closing,
    /// earnings at each month's average, CTA as what makes each
    /// subsidiary's translated balance sheet balance.
    #[test]
    fn translation_and_cta_match_a_recomputation(subs in prop::collection::vec(sub_spec(8), 1..4)) {
        let input = group(&subs, false);
        let r = consolidate_balance_sheet(&input);
        let at = input.at;
        for e in input.entities.iter().filter(|e| e.ownership.is_some()) {
            let o = e.ownership.as_ref().unwrap();
            let rate = |mm: Month| input.rates.iter().find(|x| x.currency == e.base_currency && x.month == mm).unwrap();
            let closing = rate(at).closing;
            let cash = e.amounts[0].amount;
            let translated_cash = cents(cash * closing);
            let col = format!("entity:{}", e.id.0);
            prop_assert_eq!(value(&r, "group:1", &col), translated_cash);
            let earnings: Decimal = e.monthly_profit.iter().map(|(mm, p)| cents(*p * rate(*mm).average)).sum();
            let cy = value(&r, CURRENT_YEAR_EARNINGS, &col);
            let re = value(&r, RETAINED_EARNINGS, &col);
            prop_assert_eq!(cy + re, earnings);
            let at_acq = cents(o.equity_at_acquisition * o.historical_rate);
            prop_assert_eq!(value(&r, EQUITY_AT_ACQUISITION, &col), at_acq);
            // The CTA is what is left: it balances the subsidiary's column,
            // and it is the rule's formula to within the rounding of the
            // parts.
            let cta = value(&r, TRANSLATION_RESERVE, &col);
            prop_assert_eq!(cta, translated_cash - at_acq - earnings);
            let formula = o.equity_at_acquisition * (closing - o.historical_rate)
                + e.monthly_profit.iter().map(|(mm, p)| *p * (closing - rate(*mm).average)).sum::<Decimal>();
            prop_assert!((cta - formula).abs() <= d("0.05"), "{} vs {}", cta, formula);
        }
    }

    /// With every rate the same, there is nothing to translate: no CTA.
    #[test]
    fn no_translation_reserve_when_every_rate_is_equal(subs in prop::collection::vec(sub_spec(8), 1..4)) {
        // Every rate 1.25: no movement at all; the reserve holds only the
        // cents by which translating each amount on its own rounds
        // differently from the whole, and says so.
        let r = consolidate_balance_sheet(&group(&subs, true));
        for c in &r.translation_reserve {
            prop_assert_eq!(c.opening, Decimal::ZERO);
            prop_assert_eq!(c.on_opening_net_assets, Decimal::ZERO);
            prop_assert_eq!(c.on_profit, Decimal::ZERO);
            prop_assert_eq!(c.closing, c.rounding);
            prop_assert!(c.rounding.abs() <= d("0.06"), "{}", c.rounding);
        }
    }

    /// The current year's earnings (owners' and non-controlling together)
    /// equal the translated P&L of the financial year to date.
    #[test]
    fn current_year_earnings_equal_the_year_to_dates_profit(subs in prop::collection::vec(sub_spec(8), 1..4)) {
        let input = group(&subs, false);
        let r = consolidate_balance_sheet(&input);
        // Acquired in June 2025, eight months on is February 2026: the
        // financial year (to December) started in January 2026.
        let fy_start = m("2026-01");
        let mut expected = Decimal::ZERO;
        for e in &input.entities {
            for (mm, p) in &e.monthly_profit {
                if *mm >= fy_start && *mm <= input.at {
                    let avg = input.rates.iter().find(|x| x.currency == e.base_currency && x.month == *mm).map_or(Decimal::ONE, |x| x.average);
                    expected += cents(*p * avg);
                }
            }
        }
        prop_assert_eq!(r.profit_attributable_to_owners + r.profit_attributable_to_nci, expected);
    }
}

/// A group of one entity in the presentation currency is that entity's
/// own balance sheet.
#[test]
fn one_entity_in_the_presentation_currency_is_its_own_balance_sheet() {
    let e = BsEntity {
        id: EntityId(1),
        name: "Only".into(),
        base_currency: cur("NZD"),
        ownership: None,
        amounts: vec![
            account("cash", AccountClass::Asset, CASH, "1234.56"),
            account("loan", AccountClass::Liability, 4, "200.00"),
            account("sc", AccountClass::Equity, SHARE_CAPITAL, "1000.00"),
            BsAmount {
                row: BsRow::RetainedEarnings,
                amount: d("30.00"),
            },
            BsAmount {
                row: BsRow::CurrentYearEarnings,
                amount: d("4.56"),
            },
        ],
        monthly_profit: vec![(m("2026-01"), d("1.00")), (m("2026-02"), d("3.56"))],
        xero_total_assets: Some(d("1234.56")),
        xero_net_assets: Some(d("1034.56")),
    };
    let input = BalanceSheetInput {
        presentation_currency: cur("NZD"),
        financial_year_end_month: 12,
        at: m("2026-02"),
        entities: vec![e],
        group_accounts: vec![
            group_account(CASH, "090", "Cash", AccountClass::Asset, "Bank"),
            group_account(
                4,
                "800",
                "Loan",
                AccountClass::Liability,
                "Non-current Liabilities",
            ),
            group_account(
                SHARE_CAPITAL,
                "970",
                "Share capital",
                AccountClass::Equity,
                "Equity",
            ),
        ],
        rates: vec![],
    };
    let r = consolidate_balance_sheet(&input);
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    assert_eq!(consolidated(&r, "group:1"), d("1234.56"));
    assert_eq!(consolidated(&r, "group:4"), d("200.00"));
    assert_eq!(consolidated(&r, "group:3"), d("1000.00"));
    assert_eq!(consolidated(&r, RETAINED_EARNINGS), d("30.00"));
    assert_eq!(consolidated(&r, CURRENT_YEAR_EARNINGS), d("4.56"));
    assert_eq!(consolidated(&r, NET_ASSETS), d("1034.56"));
    assert_eq!(consolidated(&r, TOTAL_EQUITY), d("1034.56"));
    assert_eq!(r.tie_out[0].status, "ties");
}

#[test]
fn a_rate_that_never_moves_leaves_no_translation_reserve() {
    let mut input = worked("100", "110000", "40000");
    for r in &mut input.rates {
        r.average = d("1.10");
        r.closing = d("1.10");
    }
    let r = consolidate_balance_sheet(&input);
    assert_eq!(consolidated(&r, TRANSLATION_RESERVE), d("0.00"));
    assert_eq!(consolidated(&r, CURRENT_YEAR_EARNINGS), d("1100.00"));
    assert_eq!(consolidated(&r, "group:1"), d("151100.00"));
    assert!(r.balance_check.values().all(|v| v.is_zero()));
}

#[test]
fn a_cell_opens_to_xeros_rows_at_the_closing_rate_and_the_reserves_parts() {
    use consol::engine::bs_cell::balance_sheet_cell;
    let input = worked("80", "88000", "62000");
    let r = consolidate_balance_sheet(&input);
    // S's cash: AUD 101,000 at January's closing 1.15 (its average is
    // 1.12) = 116,150.00.
    let c = balance_sheet_cell(&input, &r, "group:1", "entity:2").unwrap();
    assert_eq!(c.value, d("116150.00"));
    assert!(c.complete);
    assert_eq!(c.sources.len(), 1);
    let s = &c.sources[0];
    assert_eq!(s.account_id.as_deref(), Some("s-cash"));
    assert_eq!(
        (s.base_amount, s.rate, s.rate_kind),
        (Some(d("101000")), Some(d("1.15")), "closing")
    );
    assert_eq!(s.cell_amount, d("116150.00"));
    // Its equity at acquisition at the historical rate; its earnings at
    // January's average; its reserve in the roll-forward's parts.
    let c = balance_sheet_cell(&input, &r, EQUITY_AT_ACQUISITION, "entity:2").unwrap();
    assert_eq!(
        (c.value, c.sources[0].rate_kind),
        (d("110000.00"), "historical")
    );
    let c = balance_sheet_cell(&input, &r, CURRENT_YEAR_EARNINGS, "entity:2").unwrap();
    assert_eq!(c.sources[0].rate, Some(d("1.12")));
    assert!(c.complete && c.value == d("1120.00"));
    let c = balance_sheet_cell(&input, &r, TRANSLATION_RESERVE, "entity:2").unwrap();
    assert!(c.complete && c.value == d("5030.00"), "{c:?}");
    // Consolidated cash is P's column and S's.
    let c = balance_sheet_cell(&input, &r, "group:1", "consolidated").unwrap();
    assert!(c.complete && c.value == d("178150.00"), "{c:?}");
    assert!(balance_sheet_cell(&input, &r, "nope", "consolidated").is_none());
}

/// Lines show under the section of Xero's balance sheet their group account
/// carries, sections in Xero's order, each (but Equity, whose total is
/// Total Equity) closed by its subtotal; the subtotals add up to Total
/// Assets and Total Liabilities.
#[test]
fn lines_show_under_their_sections_in_xeros_order_with_subtotals() {
    const RECEIVABLE: i64 = 4;
    const LOAN: i64 = 5;
    let mut input = worked("100", "110000", "40000");
    input.group_accounts.extend([
        group_account(
            RECEIVABLE,
            "610",
            "Receivables",
            AccountClass::Asset,
            "Current Assets",
        ),
        // Xero's own capitals: read all the same.
        group_account(
            LOAN,
            "900",
            "Term loan",
            AccountClass::Liability,
            "Non-Current Liabilities",
        ),
    ]);
    let p = &mut input.entities[0];
    p.amounts
        .push(account("p-ar", AccountClass::Asset, RECEIVABLE, "500"));
    p.amounts
        .push(account("p-loan", AccountClass::Liability, LOAN, "500"));
    p.xero_total_assets = p.xero_total_assets.map(|t| t + d("500"));
    let r = consolidate_balance_sheet(&input);
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    // Sections in order, each in one run.
    let mut runs: Vec<&str> = Vec::new();
    for l in &r.lines {
        if runs.last() != Some(&l.section.as_str()) {
            runs.push(&l.section);
        }
    }
    assert_eq!(
        runs,
        [
            "Bank",
            "Current Assets",
            "Non-current Assets",
            "Non-current Liabilities",
            "Equity",
            "Totals"
        ]
    );
    let keys: Vec<&str> = r.lines.iter().map(|l| l.key.as_str()).collect();
    assert_eq!(
        &keys[..9],
        [
            "group:1",
            "total:bank",
            "group:4",
            INTERCOMPANY_DIFFERENCE,
            "total:current_assets",
            "group:2",
            GOODWILL,
            "total:non_current_assets",
            "group:5",
        ]
    );
    assert_eq!(keys[9], "total:non_current_liabilities");
    assert!(!keys.contains(&"total:equity"));
    // Subtotals: 156,150 of cash (the worked example), 500 of receivables,
    // nothing left of the investment, the 500 loan.
    assert_eq!(consolidated(&r, "total:bank"), d("156150.00"));
    assert_eq!(consolidated(&r, "total:current_assets"), d("500.00"));
    assert_eq!(consolidated(&r, "total:non_current_assets"), d("0.00"));
    assert_eq!(
        consolidated(&r, "total:non_current_liabilities"),
        d("500.00")
    );
    for c in r.columns.iter().map(|c| c.key.as_str()) {
        let assets = value(&r, "total:bank", c)
            + value(&r, "total:current_assets", c)
            + value(&r, "total:non_current_assets", c);
        assert_eq!(assets, value(&r, TOTAL_ASSETS, c), "{c}");
        assert_eq!(
            value(&r, "total:non_current_liabilities", c),
            value(&r, TOTAL_LIABILITIES, c),
            "{c}"
        );
    }
    assert_eq!(consolidated(&r, NET_ASSETS), d("156150.00"));
    assert!(r.balance_check.values().all(|v| v.is_zero()));
}

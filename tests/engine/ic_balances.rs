//! Intercompany balances on the balance sheet (rules section 3a): the
//! worked example's invoice INV-0042 and a loan between P and S to the
//! cent, and properties over random groups checked against a
//! recomputation in this file that calls no engine function.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use consol::domain::{CurrencyCode, Month};
use consol::engine::balance_sheet::*;
use consol::engine::ic_balances::*;
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

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn account(id: &str, class: AccountClass, group: i64, amount: Decimal) -> BsAmount {
    BsAmount {
        row: BsRow::Account {
            account_id: id.into(),
            class,
            group_account: Some(GroupAccountId(group)),
        },
        amount,
    }
}

const CASH: i64 = 1;
const INVESTMENT: i64 = 2;
const SHARE_CAPITAL: i64 = 3;
const RECEIVABLES: i64 = 4;
const LOANS_GIVEN: i64 = 5;
const PAYABLES: i64 = 6;
const LOANS_TAKEN: i64 = 7;
const EQUIPMENT: i64 = 8;

fn group_accounts() -> Vec<BsGroupAccount> {
    [
        (CASH, "Cash", AccountClass::Asset, "Bank"),
        (
            INVESTMENT,
            "Investment",
            AccountClass::Asset,
            "Non-current Assets",
        ),
        (
            SHARE_CAPITAL,
            "Share capital",
            AccountClass::Equity,
            "Equity",
        ),
        (
            RECEIVABLES,
            "Receivables",
            AccountClass::Asset,
            "Current Assets",
        ),
        (
            LOANS_GIVEN,
            "Loans to group",
            AccountClass::Asset,
            "Non-current Assets",
        ),
        (
            PAYABLES,
            "Payables",
            AccountClass::Liability,
            "Current Liabilities",
        ),
        (
            LOANS_TAKEN,
            "Loans from group",
            AccountClass::Liability,
            "Non-current Liabilities",
        ),
        (EQUIPMENT, "Equipment", AccountClass::Asset, "Fixed Assets"),
    ]
    .into_iter()
    .map(|(id, name, class, section)| BsGroupAccount {
        id: GroupAccountId(id),
        code: format!("{id:03}"),
        name: name.into(),
        class,
        section: section.into(),
    })
    .collect()
}

fn rates() -> Vec<FxRate> {
    vec![
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
    ]
}

/// A document between `(entity, counterpart)` of `(kind, type, paid kind)`.
fn doc(
    (entity, counterpart): (i64, i64),
    (kind, ty, paid_kind): (&str, &str, Option<&str>),
    id: &str,
    on: &str,
    status: &str,
    amount: &str,
) -> IcDocument {
    IcDocument {
        entity: EntityId(entity),
        counterpart: EntityId(counterpart),
        kind: kind.into(),
        document_type: ty.into(),
        paid_kind: paid_kind.map(Into::into),
        document_id: id.into(),
        number: Some("INV-0042".into()),
        date: date(on),
        status: status.into(),
        currency: cur("AUD"),
        amount: d(amount),
    }
}

/// Rule 3a's worked example (P, NZD, owns all of S, AUD, bought on 31
/// December 2025; January average 1.12, closing 1.15) with two
/// intercompany balances at 31 January 2026:
/// - INV-0042 of the P&L worked example: P sells S equipment for AUD
///   1,000.00 at `CurrencyRate` 0.90, so P's receivable is NZD 1,111.11 and
///   S's payable AUD 1,000.00. S pays AUD 400.00 of it on 31 January; P
///   records the receipt only on 1 February.
/// - P lends S AUD 10,000.00 on 31 January: P's "Loan to S" holds NZD
///   11,500.00, S's "Loan from P" AUD 10,000.00; both marked intercompany.
///
/// P's cash: 40,000 − 11,500 − 1,111.11 = 27,388.89. S's cash: 101,000 +
/// 10,000 − 400 = 110,600; its equipment 1,000; its payable 600.
fn worked() -> (BalanceSheetInput, IcBalancesInput) {
    let p = BsEntity {
        id: EntityId(1),
        name: "P".into(),
        base_currency: cur("NZD"),
        ownership: None,
        amounts: vec![
            account("p-cash", AccountClass::Asset, CASH, d("27388.89")),
            account("p-inv", AccountClass::Asset, INVESTMENT, d("110000")),
            account("p-ar", AccountClass::Asset, RECEIVABLES, d("1111.11")),
            account("p-loan", AccountClass::Asset, LOANS_GIVEN, d("11500")),
            account("p-sc", AccountClass::Equity, SHARE_CAPITAL, d("150000")),
        ],
        monthly_profit: vec![(m("2026-01"), Decimal::ZERO)],
        xero_total_assets: Some(d("150000")),
        xero_net_assets: Some(d("150000")),
    };
    let s = BsEntity {
        id: EntityId(2),
        name: "S".into(),
        base_currency: cur("AUD"),
        ownership: Some(Ownership {
            owner: EntityId(1),
            percent: d("100"),
            acquired: m("2025-12"),
            equity_at_acquisition: d("100000"),
            historical_rate: d("1.10"),
            investment_accounts: vec!["p-inv".into()],
            contributions: vec![],
        }),
        amounts: vec![
            account("s-cash", AccountClass::Asset, CASH, d("110600")),
            account("s-equip", AccountClass::Asset, EQUIPMENT, d("1000")),
            account("s-ap", AccountClass::Liability, PAYABLES, d("600")),
            account("s-loan", AccountClass::Liability, LOANS_TAKEN, d("10000")),
            account("s-sc", AccountClass::Equity, SHARE_CAPITAL, d("100000")),
            BsAmount {
                row: BsRow::CurrentYearEarnings,
                amount: d("1000"),
            },
        ],
        monthly_profit: vec![(m("2026-01"), d("1000"))],
        xero_total_assets: Some(d("111600")),
        xero_net_assets: Some(d("101000")),
    };
    let input = BalanceSheetInput {
        presentation_currency: cur("NZD"),
        financial_year_end_month: 3,
        at: m("2026-01"),
        entities: vec![p, s],
        group_accounts: group_accounts(),
        rates: rates(),
    };
    let ic = IcBalancesInput {
        documents: vec![
            doc(
                (1, 2),
                ("invoice", "ACCREC", None),
                "inv-p",
                "2026-01-15",
                "AUTHORISED",
                "1000",
            ),
            doc(
                (2, 1),
                ("invoice", "ACCPAY", None),
                "inv-s",
                "2026-01-15",
                "AUTHORISED",
                "1000",
            ),
            doc(
                (2, 1),
                ("payment", "ACCPAY", Some("invoice")),
                "pay-s",
                "2026-01-31",
                "AUTHORISED",
                "400",
            ),
            // Never posted: no effect.
            doc(
                (1, 2),
                ("invoice", "ACCREC", None),
                "draft-p",
                "2026-01-20",
                "DRAFT",
                "999",
            ),
            doc(
                (2, 1),
                ("invoice", "ACCPAY", None),
                "void-s",
                "2026-01-20",
                "VOIDED",
                "999",
            ),
            doc(
                (2, 1),
                ("payment", "ACCPAY", Some("invoice")),
                "del-s",
                "2026-01-31",
                "DELETED",
                "999",
            ),
        ],
        accounts: vec![
            IcAccount {
                entity: EntityId(1),
                account_id: "p-loan".into(),
                counterpart: EntityId(2),
            },
            IcAccount {
                entity: EntityId(2),
                account_id: "s-loan".into(),
                counterpart: EntityId(1),
            },
        ],
        control_accounts: [
            (
                EntityId(1),
                ControlAccounts {
                    receivables: Some("p-ar".into()),
                    payables: Some("p-ap".into()),
                },
            ),
            (
                EntityId(2),
                ControlAccounts {
                    receivables: Some("s-ar".into()),
                    payables: Some("s-ap".into()),
                },
            ),
        ]
        .into_iter()
        .collect(),
    };
    (input, ic)
}

fn value(r: &BalanceSheetReport, line: &str, column: &str) -> Decimal {
    r.lines
        .iter()
        .find(|l| l.key == line)
        .unwrap_or_else(|| panic!("no line {line}"))
        .values
        .get(column)
        .copied()
        .unwrap_or_else(|| panic!("no column {column} on {line}"))
}

fn g(id: i64) -> String {
    format!("group:{id}")
}

#[test]
fn worked_example_eliminates_the_invoice_and_the_loan_to_the_cent() {
    let (input, ic) = worked();
    let r = consolidate_balance_sheet_with(&input, &ic);
    // P's claim: AUD 1,000.00 x 1.15 = 1,150.00 on receivables, and NZD
    // 11,500.00 on its loan. S's: AUD 600.00 x 1.15 = 690.00 on payables
    // and AUD 10,000.00 x 1.15 = 11,500.00 on its loan.
    assert_eq!(value(&r, &g(RECEIVABLES), "eliminations"), d("-1150.00"));
    assert_eq!(value(&r, &g(PAYABLES), "eliminations"), d("-690.00"));
    assert_eq!(value(&r, &g(LOANS_GIVEN), "eliminations"), d("-11500.00"));
    assert_eq!(value(&r, &g(LOANS_TAKEN), "eliminations"), d("-11500.00"));
    // The loan agrees; the invoice differs by the payment in transit:
    // 1,150.00 - 690.00 = 460.00.
    assert_eq!(
        value(&r, INTERCOMPANY_DIFFERENCE, "consolidated"),
        d("460.00")
    );
    // P's receivable is booked at 0.90, not at closing: 1,111.11 - 1,150.00.
    assert_eq!(value(&r, &g(RECEIVABLES), "consolidated"), d("-38.89"));
    assert_eq!(value(&r, &g(PAYABLES), "consolidated"), d("0.00"));
    assert_eq!(value(&r, &g(LOANS_GIVEN), "consolidated"), d("0.00"));
    assert_eq!(value(&r, &g(LOANS_TAKEN), "consolidated"), d("0.00"));
    // The rest of rule 3a's example holds: net assets 156,150.00, equity
    // 150,000 + 1,120 + 5,030, nothing left over.
    assert_eq!(value(&r, NET_ASSETS, "consolidated"), d("156150.00"));
    assert_eq!(value(&r, TOTAL_EQUITY, "consolidated"), d("156150.00"));
    assert_eq!(value(&r, TRANSLATION_RESERVE, "consolidated"), d("5030.00"));
    assert!(
        r.balance_check.values().all(|v| v.is_zero()),
        "{:?}",
        r.balance_check
    );

    // The reconciliation: one pair, each side, the difference, the items.
    assert_eq!(r.intercompany_balances.len(), 1);
    let pair = &r.intercompany_balances[0];
    assert_eq!((pair.entity, pair.counterpart), (EntityId(1), EntityId(2)));
    assert_eq!(pair.entity_side, d("12650.00"));
    assert_eq!(pair.counterpart_side, d("-12190.00"));
    assert_eq!(pair.difference, d("460.00"));
    let mut ids: Vec<&str> = pair.items.iter().map(|i| i.id.as_str()).collect();
    ids.sort();
    assert_eq!(ids, ["inv-p", "inv-s", "p-loan", "pay-s", "s-loan"]);
}

#[test]
fn without_intercompany_input_nothing_is_eliminated() {
    let (input, _) = worked();
    let r = consolidate_balance_sheet(&input);
    assert_eq!(
        value(&r, INTERCOMPANY_DIFFERENCE, "consolidated"),
        d("0.00")
    );
    assert_eq!(value(&r, &g(LOANS_GIVEN), "consolidated"), d("11500.00"));
    assert!(r.intercompany_balances.is_empty());
}

#[test]
fn an_unknown_type_or_status_is_named_not_guessed() {
    let (input, mut ic) = worked();
    ic.documents.push(doc(
        (1, 2),
        ("invoice", "ACCWHAT", None),
        "odd-1",
        "2026-01-10",
        "AUTHORISED",
        "5",
    ));
    ic.documents.push(doc(
        (1, 2),
        ("invoice", "ACCREC", None),
        "odd-2",
        "2026-01-10",
        "PENDING",
        "5",
    ));
    let r = consolidate_balance_sheet_with(&input, &ic);
    assert!(
        r.warnings.iter().any(|w| w.contains("ACCWHAT")),
        "{:?}",
        r.warnings
    );
    assert!(
        r.warnings.iter().any(|w| w.contains("PENDING")),
        "{:?}",
        r.warnings
    );
    assert_eq!(
        value(&r, INTERCOMPANY_DIFFERENCE, "consolidated"),
        d("460.00")
    );
}

// ---------------------------------------------------------------- properties

/// The claim a document makes, by a table written out here: (kind, the
/// document's type) -> sign for documents; a payment settles its document.
fn reference_claim(
    kind: &str,
    ty: &str,
    paid: Option<&str>,
    status: &str,
    amount: Decimal,
) -> Decimal {
    let table: &[(&str, &str, i64)] = &[
        ("invoice", "ACCREC", 1),
        ("invoice", "ACCPAY", -1),
        ("credit_note", "ACCRECCREDIT", -1),
        ("credit_note", "ACCPAYCREDIT", 1),
        ("overpayment", "RECEIVE-OVERPAYMENT", -1),
        ("overpayment", "SPEND-OVERPAYMENT", 1),
        ("prepayment", "RECEIVE-PREPAYMENT", -1),
        ("prepayment", "SPEND-PREPAYMENT", 1),
    ];
    let (doc_kind, settles) = match kind {
        "payment" => (paid.unwrap(), true),
        k => (k, false),
    };
    let counts = if settles {
        status == "AUTHORISED"
    } else {
        status == "AUTHORISED" || status == "PAID"
    };
    if !counts {
        return Decimal::ZERO;
    }
    let sign = table
        .iter()
        .find(|(k, t, _)| *k == doc_kind && *t == ty)
        .map(|(_, _, s)| *s)
        .unwrap();
    let sign = if settles { -sign } else { sign };
    Decimal::from(sign) * amount
}

fn receivable_side(ty: &str) -> bool {
    ty.starts_with("ACCREC") || ty.starts_with("RECEIVE")
}

#[derive(Debug, Clone)]
struct DocSpec {
    from: usize,
    to: usize,
    kind: usize,
    status: usize,
    currency: usize,
    cents: i64,
}

const KINDS: &[(&str, &str, Option<&str>)] = &[
    ("invoice", "ACCREC", None),
    ("invoice", "ACCPAY", None),
    ("credit_note", "ACCRECCREDIT", None),
    ("credit_note", "ACCPAYCREDIT", None),
    ("overpayment", "RECEIVE-OVERPAYMENT", None),
    ("overpayment", "SPEND-OVERPAYMENT", None),
    ("prepayment", "RECEIVE-PREPAYMENT", None),
    ("prepayment", "SPEND-PREPAYMENT", None),
    ("payment", "ACCREC", Some("invoice")),
    ("payment", "ACCPAY", Some("invoice")),
    ("payment", "ACCRECCREDIT", Some("credit_note")),
    ("payment", "SPEND-OVERPAYMENT", Some("overpayment")),
];
const STATUSES: &[&str] = &["AUTHORISED", "PAID", "DRAFT", "VOIDED", "DELETED"];
const CURRENCIES: &[&str] = &["NZD", "AUD", "USD"];

fn doc_spec() -> impl Strategy<Value = DocSpec> {
    (
        0..3usize,
        1..3usize,
        0..KINDS.len(),
        0..STATUSES.len(),
        0..3usize,
        -500_000i64..5_000_000,
    )
        .prop_map(|(from, step, kind, status, currency, cents)| DocSpec {
            from,
            to: (from + step) % 3,
            kind,
            status,
            currency,
            cents,
        })
}

/// Three entities (NZD top, AUD and USD subsidiaries), each with
/// receivables, payables and an intercompany loan account of random
/// balances, and random documents between them.
fn random_group(
    docs: &[DocSpec],
    loans: &[i64],
    closing: (i64, i64),
) -> (BalanceSheetInput, IcBalancesInput) {
    let bases = ["NZD", "AUD", "USD"];
    let entities: Vec<BsEntity> = (0..3)
        .map(|i| {
            let id = i as i64 + 1;
            let loan = Decimal::new(loans[i], 2);
            let (loan_class, loan_group) = if loans[i] >= 0 {
                (AccountClass::Asset, LOANS_GIVEN)
            } else {
                (AccountClass::Liability, LOANS_TAKEN)
            };
            BsEntity {
                id: EntityId(id),
                name: format!("E{id}"),
                base_currency: cur(bases[i]),
                ownership: (i > 0).then(|| Ownership {
                    owner: EntityId(1),
                    percent: d("100"),
                    acquired: m("2025-12"),
                    equity_at_acquisition: d("1000"),
                    historical_rate: d("1"),
                    investment_accounts: vec![],
                    contributions: vec![],
                }),
                amounts: vec![
                    account(&format!("cash{id}"), AccountClass::Asset, CASH, d("100000")),
                    account(
                        &format!("ar{id}"),
                        AccountClass::Asset,
                        RECEIVABLES,
                        d("5000"),
                    ),
                    account(
                        &format!("ap{id}"),
                        AccountClass::Liability,
                        PAYABLES,
                        d("3000"),
                    ),
                    account(&format!("loan{id}"), loan_class, loan_group, loan.abs()),
                ],
                monthly_profit: vec![(m("2026-01"), Decimal::ZERO)],
                xero_total_assets: None,
                xero_net_assets: None,
            }
        })
        .collect();
    let mut rates = rates();
    rates[1].closing = Decimal::new(closing.0, 4);
    rates.push(FxRate {
        currency: cur("USD"),
        month: m("2026-01"),
        average: d("1.6"),
        closing: Decimal::new(closing.1, 4),
    });
    let documents = docs
        .iter()
        .enumerate()
        .map(|(n, s)| {
            let (kind, ty, paid) = KINDS[s.kind];
            IcDocument {
                entity: EntityId(s.from as i64 + 1),
                counterpart: EntityId(s.to as i64 + 1),
                kind: kind.into(),
                document_type: ty.into(),
                paid_kind: paid.map(Into::into),
                document_id: format!("doc{n}"),
                number: None,
                date: date("2026-01-10"),
                status: STATUSES[s.status].into(),
                currency: cur(CURRENCIES[s.currency]),
                amount: Decimal::new(s.cents, 2),
            }
        })
        .collect();
    let accounts = (0..3)
        .map(|i| IcAccount {
            entity: EntityId(i as i64 + 1),
            account_id: format!("loan{}", i + 1),
            counterpart: EntityId(((i + 1) % 3) as i64 + 1),
        })
        .collect();
    let control_accounts = (1..=3)
        .map(|id| {
            (
                EntityId(id),
                ControlAccounts {
                    receivables: Some(format!("ar{id}")),
                    payables: Some(format!("ap{id}")),
                },
            )
        })
        .collect();
    (
        BalanceSheetInput {
            presentation_currency: cur("NZD"),
            financial_year_end_month: 3,
            at: m("2026-01"),
            entities,
            group_accounts: group_accounts(),
            rates,
        },
        IcBalancesInput {
            documents,
            accounts,
            control_accounts,
        },
    )
}

fn round2(v: Decimal) -> Decimal {
    v.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Eliminating intercompany balances changes net assets by exactly the
    /// difference line: the account lines lose the difference, the
    /// difference line adds it back, and nothing else moves.
    #[test]
    fn elimination_moves_net_assets_by_the_difference_line_only(
        docs in prop::collection::vec(doc_spec(), 0..25),
        loans in prop::collection::vec(-2_000_000i64..2_000_000, 3),
        aud in 9_000i64..13_000,
        usd in 14_000i64..18_000,
    ) {
        let (input, ic) = random_group(&docs, &loans, (aud, usd));
        let without = consolidate_balance_sheet(&input);
        let with = consolidate_balance_sheet_with(&input, &ic);
        let diff = value(&with, INTERCOMPANY_DIFFERENCE, "consolidated");
        let na_without = value(&without, NET_ASSETS, "consolidated");
        let na_with = value(&with, NET_ASSETS, "consolidated");
        // Net assets of the account lines alone move by minus the line.
        let accounts_na = |r: &BalanceSheetReport| -> Decimal {
            let a: Decimal = [CASH, RECEIVABLES, LOANS_GIVEN]
                .iter()
                .filter(|id| r.lines.iter().any(|x| x.key == g(**id)))
                .map(|id| value(r, &g(*id), "consolidated"))
                .sum();
            let l: Decimal = [PAYABLES, LOANS_TAKEN]
                .iter()
                .filter(|id| r.lines.iter().any(|x| x.key == g(**id)))
                .map(|id| value(r, &g(*id), "consolidated"))
                .sum();
            a - l
        };
        prop_assert_eq!(accounts_na(&with) - accounts_na(&without), -diff);
        prop_assert_eq!(na_with, na_without);
        prop_assert_eq!(&with.balance_check, &without.balance_check);
        prop_assert_eq!(value(&with, TOTAL_EQUITY, "consolidated"), value(&without, TOTAL_EQUITY, "consolidated"));
    }

    /// The difference, per pair and in total, recomputed here: each
    /// document's claim by the table above, summed per entity, counterpart,
    /// control account and currency, translated at closing and rounded
    /// once; each loan account's balance by its class, at its entity's
    /// closing rate.
    #[test]
    fn differences_match_a_recomputation(
        docs in prop::collection::vec(doc_spec(), 0..25),
        loans in prop::collection::vec(-2_000_000i64..2_000_000, 3),
        aud in 9_000i64..13_000,
        usd in 14_000i64..18_000,
    ) {
        let (input, ic) = random_group(&docs, &loans, (aud, usd));
        let rate = |c: &str| match c {
            "NZD" => Decimal::ONE,
            "AUD" => Decimal::new(aud, 4),
            _ => Decimal::new(usd, 4),
        };
        let mut groups: BTreeMap<(usize, usize, bool, &str), Decimal> = BTreeMap::new();
        for s in &docs {
            let (kind, ty, paid) = KINDS[s.kind];
            let claim = reference_claim(kind, ty, paid, STATUSES[s.status], Decimal::new(s.cents, 2));
            *groups.entry((s.from, s.to, receivable_side(ty), CURRENCIES[s.currency])).or_default() += claim;
        }
        let mut pair_diff: BTreeMap<(usize, usize), Decimal> = BTreeMap::new();
        let mut total = Decimal::ZERO;
        for ((from, to, _, c), claim) in &groups {
            let t = round2(*claim * rate(c));
            *pair_diff.entry((*from.min(to), *from.max(to))).or_default() += t;
            total += t;
        }
        let bases = ["NZD", "AUD", "USD"];
        for (i, cents) in loans.iter().enumerate() {
            let t = round2(Decimal::new(*cents, 2) * rate(bases[i]));
            let to = (i + 1) % 3;
            *pair_diff.entry((i.min(to), i.max(to))).or_default() += t;
            total += t;
        }
        let r = consolidate_balance_sheet_with(&input, &ic);
        prop_assert_eq!(value(&r, INTERCOMPANY_DIFFERENCE, "consolidated"), round2(total));
        for p in &r.intercompany_balances {
            let key = (p.entity.0 as usize - 1, p.counterpart.0 as usize - 1);
            prop_assert_eq!(p.difference, pair_diff.get(&key).copied().unwrap_or_default());
            prop_assert_eq!(p.difference, p.entity_side + p.counterpart_side);
        }
    }
}

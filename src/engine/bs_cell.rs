//! What made one cell of the consolidated balance sheet (rules section 5):
//! the entity's Xero balance-sheet rows with the rate each was translated
//! at (closing, historical or average, saying which), the parts of the
//! translation reserve, or, for the consolidated column, each column it
//! adds up. The `cell_amount`s of the sources add up to the cell; when they
//! cannot (an elimination's own arithmetic), `complete` says so.
//!
//! Pure: it reads the same input and report the balance sheet was made
//! from, and recomputes each source the way `balance_sheet.rs` does.

use rust_decimal::Decimal;
use serde::Serialize;

use super::balance_sheet::{
    BalanceSheetInput, BalanceSheetReport, BsEntity, BsRow, CURRENT_YEAR_EARNINGS,
    EQUITY_AT_ACQUISITION, RETAINED_EARNINGS, TRANSLATION_RESERVE,
};
use super::input::AccountClass;
use super::money::round_to;

/// One source of a cell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BsCellSource {
    /// The column it belongs to (`entity:<id>`, `eliminations`).
    pub column: String,
    pub label: String,
    /// Xero's AccountID, for a row of an entity's balance sheet.
    pub account_id: Option<String>,
    /// The amount before translation, in the entity's base currency.
    pub base_amount: Option<Decimal>,
    pub rate: Option<Decimal>,
    /// `closing`, `historical`, `average`, or `none` (already in the
    /// presentation currency, or a part computed in it).
    pub rate_kind: &'static str,
    pub cell_amount: Decimal,
}

/// A cell and its sources.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BsCell {
    pub line: String,
    pub column: String,
    pub value: Decimal,
    pub sources: Vec<BsCellSource>,
    /// Whether the sources add up to the value.
    pub complete: bool,
}

const DP: u32 = 2;

fn cents(v: Decimal) -> Decimal {
    round_to(v, DP)
}

fn rate(
    input: &BalanceSheetInput,
    e: &BsEntity,
    m: crate::domain::Month,
    closing: bool,
) -> Option<Decimal> {
    if e.base_currency == input.presentation_currency {
        return Some(Decimal::ONE);
    }
    input
        .rates
        .iter()
        .find(|r| r.currency == e.base_currency && r.month == m)
        .map(|r| if closing { r.closing } else { r.average })
}

/// The key of an entity's row, as the balance sheet keys its lines.
fn row_key(input: &BalanceSheetInput, row: &BsRow) -> Option<(String, AccountClass)> {
    let BsRow::Account {
        account_id,
        class,
        group_account,
    } = row
    else {
        return None;
    };
    Some(
        match group_account.and_then(|g| input.group_accounts.iter().find(|x| x.id == g)) {
            Some(g) => (format!("group:{}", g.id.0), g.class),
            None => (format!("unmapped:{account_id}"), *class),
        },
    )
}

/// The sources of one entity column's cell.
fn entity_sources(
    input: &BalanceSheetInput,
    report: &BalanceSheetReport,
    e: &BsEntity,
    line: &str,
) -> Vec<BsCellSource> {
    let column = format!("entity:{}", e.id.0);
    let mut out = Vec::new();
    let Some(closing) = rate(input, e, input.at, true) else {
        return out;
    };
    let src = |label: String,
               account_id: Option<String>,
               base: Option<Decimal>,
               rate: Option<Decimal>,
               kind: &'static str,
               amount: Decimal| BsCellSource {
        column: column.clone(),
        label,
        account_id,
        base_amount: base,
        rate,
        rate_kind: kind,
        cell_amount: amount,
    };
    for a in &e.amounts {
        let Some((key, class)) = row_key(input, &a.row) else {
            continue;
        };
        if key != line || (class == AccountClass::Equity && e.ownership.is_some()) {
            continue;
        }
        let BsRow::Account { account_id, .. } = &a.row else {
            continue;
        };
        let (r, kind) = if class == AccountClass::Equity {
            (Decimal::ONE, "none")
        } else {
            (
                closing,
                if e.base_currency == input.presentation_currency {
                    "none"
                } else {
                    "closing"
                },
            )
        };
        out.push(src(
            format!("{}: Xero balance-sheet row at {}", e.name, input.at),
            Some(account_id.clone()),
            Some(a.amount),
            Some(r),
            kind,
            cents(a.amount * r),
        ));
    }
    let fy_start = input
        .at
        .financial_year_end(input.financial_year_end_month)
        .plus(-11);
    match (&e.ownership, line) {
        (Some(o), EQUITY_AT_ACQUISITION) => {
            out.push(src(
                format!("{}: equity at acquisition ({})", e.name, o.acquired),
                None,
                Some(o.equity_at_acquisition),
                Some(o.historical_rate),
                "historical",
                cents(o.equity_at_acquisition * o.historical_rate),
            ));
            for (m, amount, r) in &o.contributions {
                if *m > o.acquired && *m <= input.at {
                    out.push(src(
                        format!("{}: contribution in {m}", e.name),
                        None,
                        Some(*amount),
                        Some(*r),
                        "historical",
                        cents(amount * r),
                    ));
                }
            }
        }
        (Some(o), CURRENT_YEAR_EARNINGS | RETAINED_EARNINGS) => {
            for &(m, p) in &e.monthly_profit {
                let in_year = m >= fy_start;
                if m <= o.acquired || m > input.at || in_year != (line == CURRENT_YEAR_EARNINGS) {
                    continue;
                }
                let avg = rate(input, e, m, false);
                out.push(src(
                    format!("{}: Net Profit of {m}", e.name),
                    None,
                    Some(p),
                    avg,
                    "average",
                    avg.map(|a| cents(p * a)).unwrap_or_default(),
                ));
            }
        }
        (Some(_), TRANSLATION_RESERVE) => {
            if let Some(r) = report.translation_reserve.iter().find(|r| r.entity == e.id) {
                for (label, v) in [
                    (format!("opening at {}", r.from), r.opening),
                    ("on opening net assets".to_string(), r.on_opening_net_assets),
                    ("on the period's profit".to_string(), r.on_profit),
                    ("on contributions".to_string(), r.on_contributions),
                    (
                        "rounding of account-by-account translation".to_string(),
                        r.rounding,
                    ),
                ] {
                    out.push(src(
                        format!("{}: translation reserve {label}", e.name),
                        None,
                        None,
                        None,
                        "none",
                        v,
                    ));
                }
            }
        }
        (None, CURRENT_YEAR_EARNINGS) => {
            for &(m, p) in &e.monthly_profit {
                if m >= fy_start && m <= input.at {
                    out.push(src(
                        format!("{}: Net Profit of {m}", e.name),
                        None,
                        Some(p),
                        Some(Decimal::ONE),
                        "none",
                        p,
                    ));
                }
            }
        }
        (None, RETAINED_EARNINGS) => {
            // Xero's earnings rows less this financial year's profit.
            for a in &e.amounts {
                if matches!(a.row, BsRow::CurrentYearEarnings | BsRow::RetainedEarnings) {
                    out.push(src(
                        format!("{}: Xero earnings row at {}", e.name, input.at),
                        None,
                        Some(a.amount),
                        Some(Decimal::ONE),
                        "none",
                        a.amount,
                    ));
                }
            }
            for &(m, p) in &e.monthly_profit {
                if m >= fy_start && m <= input.at {
                    out.push(src(
                        format!("{}: less Net Profit of {m} (this year's)", e.name),
                        None,
                        Some(p),
                        Some(Decimal::ONE),
                        "none",
                        -p,
                    ));
                }
            }
        }
        _ => {}
    }
    out
}

/// The cell at (`line`, `column`) of `report`, made from `input`; `None`
/// when the report has no such line or column.
pub fn balance_sheet_cell(
    input: &BalanceSheetInput,
    report: &BalanceSheetReport,
    line: &str,
    column: &str,
) -> Option<BsCell> {
    let l = report.lines.iter().find(|l| l.key == line)?;
    let value = *l.values.get(column)?;
    let sources = if column == "consolidated" {
        // Consolidated is the sum of the other columns, line by line.
        report
            .columns
            .iter()
            .filter(|c| c.key != "consolidated")
            .filter_map(|c| {
                let v = *l.values.get(&c.key)?;
                (!v.is_zero()).then(|| BsCellSource {
                    column: c.key.clone(),
                    label: c.name.clone(),
                    account_id: None,
                    base_amount: None,
                    rate: None,
                    rate_kind: "none",
                    cell_amount: v,
                })
            })
            .collect()
    } else if column == "eliminations" {
        vec![BsCellSource {
            column: column.to_string(),
            label: "Investment elimination, goodwill and non-controlling interest (see the ownership set-up)".to_string(),
            account_id: None,
            base_amount: None,
            rate: None,
            rate_kind: "none",
            cell_amount: value,
        }]
    } else {
        let e = input
            .entities
            .iter()
            .find(|e| format!("entity:{}", e.id.0) == column)?;
        entity_sources(input, report, e, line)
    };
    let complete = sources.iter().map(|s| s.cell_amount).sum::<Decimal>() == value;
    Some(BsCell {
        line: line.to_string(),
        column: column.to_string(),
        value,
        sources,
        complete,
    })
}

//! The parts of a balance-sheet cell that `bs_cell.rs` leaves whole, for
//! the page's drill-down: the lines a total adds up, and, in the
//! eliminations column, the intercompany balances taken off a line (with
//! the items behind them) apart from the investment elimination and
//! non-controlling interest. Pure, like the rest of the engine: it reads
//! the report and the input the report was made from.

use rust_decimal::Decimal;

use super::balance_sheet::{
    BalanceSheetInput, BalanceSheetReport, BsRow, CURRENT_YEAR_EARNINGS, EQUITY_AT_ACQUISITION,
    GOODWILL, INTERCOMPANY_DIFFERENCE, NET_ASSETS, NON_CONTROLLING_INTEREST, RETAINED_EARNINGS,
    TOTAL_ASSETS, TOTAL_EQUITY, TOTAL_LIABILITIES, TRANSLATION_RESERVE,
};
use super::ic_balances::{IcBalance, IcItem, IcPair};
use super::input::AccountClass;

/// The class of a balance-sheet line, as the report sums it into its
/// totals: the computed lines by what they are, an account line by its
/// group account (or, unmapped, by the entity's account).
pub fn line_class(input: &BalanceSheetInput, key: &str) -> Option<AccountClass> {
    match key {
        GOODWILL | INTERCOMPANY_DIFFERENCE => return Some(AccountClass::Asset),
        EQUITY_AT_ACQUISITION
        | RETAINED_EARNINGS
        | CURRENT_YEAR_EARNINGS
        | TRANSLATION_RESERVE
        | NON_CONTROLLING_INTEREST => return Some(AccountClass::Equity),
        _ => {}
    }
    if let Some(id) = key.strip_prefix("group:") {
        let id: i64 = id.parse().ok()?;
        return input
            .group_accounts
            .iter()
            .find(|g| g.id.0 == id)
            .map(|g| g.class);
    }
    let account = key.strip_prefix("unmapped:")?;
    input
        .entities
        .iter()
        .flat_map(|e| &e.amounts)
        .find_map(|a| match &a.row {
            BsRow::Account {
                account_id, class, ..
            } if account_id == account => Some(*class),
            _ => None,
        })
}

/// The start of a section subtotal's key (`total:current_assets`).
const SECTION_TOTAL_PREFIX: &str = "total:";

/// Whether a line is a section's subtotal.
fn is_total(key: &str) -> bool {
    key.starts_with(SECTION_TOTAL_PREFIX)
}

/// The lines a total adds up, each with its sign (+1 or −1), in the
/// report's order; `None` when `key` is not a total. Net assets is total
/// assets less total liabilities; a section's subtotal is its lines.
pub fn total_parts(
    input: &BalanceSheetInput,
    report: &BalanceSheetReport,
    key: &str,
) -> Option<Vec<(String, Decimal)>> {
    let wanted = match key {
        TOTAL_ASSETS => AccountClass::Asset,
        TOTAL_LIABILITIES => AccountClass::Liability,
        TOTAL_EQUITY => AccountClass::Equity,
        NET_ASSETS => {
            return Some(vec![
                (TOTAL_ASSETS.to_string(), Decimal::ONE),
                (TOTAL_LIABILITIES.to_string(), Decimal::NEGATIVE_ONE),
            ]);
        }
        _ if key.starts_with(SECTION_TOTAL_PREFIX) => {
            // A section's subtotal adds up the other lines of its section.
            let section = &report.lines.iter().find(|l| l.key == key)?.section;
            return Some(
                report
                    .lines
                    .iter()
                    .filter(|l| &l.section == section && !is_total(&l.key))
                    .map(|l| (l.key.clone(), Decimal::ONE))
                    .collect(),
            );
        }
        _ => return None,
    };
    Some(
        report
            .lines
            .iter()
            .filter(|l| l.section != "Totals" && !is_total(&l.key))
            .filter(|l| {
                // The report counts anything neither asset nor liability
                // as equity.
                let class = match line_class(input, &l.key) {
                    Some(c @ (AccountClass::Asset | AccountClass::Liability)) => c,
                    _ => AccountClass::Equity,
                };
                class == wanted
            })
            .map(|l| (l.key.clone(), Decimal::ONE))
            .collect(),
    )
}

/// One intercompany balance an elimination took off a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IcOnLine<'a> {
    pub pair: &'a IcPair,
    pub balance: &'a IcBalance,
    /// What it did to the line in the eliminations column.
    pub on_line: Decimal,
    /// The items behind it: for an account marked intercompany, the
    /// account; for documents, the entity's documents with the
    /// counterpart in the balance's currency on the same side of its books
    /// (receivables for an asset, payables for a liability).
    pub items: Vec<&'a IcItem>,
}

/// The receivable side of Xero's document types (a payment carries the
/// type of the document it pays).
fn receivable(item: &IcItem) -> bool {
    matches!(
        item.source_type.as_str(),
        "ACCREC" | "ACCRECCREDIT" | "RECEIVE-OVERPAYMENT" | "RECEIVE-PREPAYMENT"
    )
}

/// The intercompany balances behind the eliminations column of `line`,
/// each with its effect there, as `ic_balances.rs` applied it: the claim
/// leaves an asset's line and a liability's line falls by the debt; every
/// translated claim goes to the intercompany difference line.
pub fn ic_on_line<'a>(
    input: &BalanceSheetInput,
    report: &'a BalanceSheetReport,
    line: &str,
) -> Vec<IcOnLine<'a>> {
    let class = line_class(input, line);
    let mut out = Vec::new();
    for pair in &report.intercompany_balances {
        for b in &pair.balances {
            let on_line = if line == INTERCOMPANY_DIFFERENCE {
                b.translated
            } else if b.line == line {
                match class {
                    Some(AccountClass::Liability) => b.translated,
                    _ => -b.translated,
                }
            } else {
                continue;
            };
            let marked = pair
                .items
                .iter()
                .any(|i| i.source == "account" && i.entity == b.entity && i.id == b.account_id);
            let asset = line_class(input, &b.line) != Some(AccountClass::Liability);
            let items = pair
                .items
                .iter()
                .filter(|i| i.entity == b.entity)
                .filter(|i| {
                    if marked {
                        i.source == "account" && i.id == b.account_id
                    } else {
                        i.source != "account" && i.currency == b.currency && receivable(i) == asset
                    }
                })
                .collect();
            out.push(IcOnLine {
                pair,
                balance: b,
                on_line,
                items,
            });
        }
    }
    out
}

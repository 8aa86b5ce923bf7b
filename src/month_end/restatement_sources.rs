//! What moved each restated line: the Xero records whose lines sit on the
//! line's accounts (as the record was at the close and as it is today),
//! and the entity rows of Xero's profit and loss that moved. A record's
//! lines map to a line key as the engine's do: its account code is the
//! entity's account, the group's confirmed mapping makes it `group:<id>`,
//! else `unmapped:<entity>:<AccountID>`; balance-sheet accounts move no P&L
//! line. The state at the close reads the sent snapshot's chart and
//! mappings, today's state today's, so a remapped account shows too.

use std::collections::{BTreeMap, HashMap};

use rust_decimal::Decimal;

use super::pack::{Pack, SectionContent};
use super::snapshot::{SnapRow, SnapshotInputs};
use crate::domain::Month;
use crate::store::{DocumentState, MonthDocument};

/// The key of the line that holds intercompany profit kept back.
pub const UNREALISED: &str = "unrealised_intercompany_profit";

/// A line's place: its kind (`account`, `section_total`, `gross_profit`,
/// `net_profit`) and section, as the pack shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinePlace {
    pub kind: String,
    pub section: String,
}

/// Every line of both packs (sent and today), by key.
pub fn places(packs: [&Pack; 2]) -> HashMap<String, LinePlace> {
    let mut out = HashMap::new();
    for p in packs {
        for s in &p.sections {
            if let SectionContent::Statement(st) = &s.content {
                for l in &st.lines {
                    out.entry(l.key.clone()).or_insert_with(|| LinePlace {
                        kind: l.kind.clone(),
                        section: l.section.clone(),
                    });
                }
            }
        }
    }
    out
}

/// +1 when a positive figure on a line of this section adds to profit,
/// -1 for costs (as the engine's `Section::display_sign`).
pub fn display_sign(section: &str) -> Decimal {
    if matches!(
        section,
        "Cost of Sales" | "Operating Expenses" | "Other Expenses"
    ) {
        Decimal::NEGATIVE_ONE
    } else {
        Decimal::ONE
    }
}

/// Whether an account line of `member` section counts in line `line`.
pub fn covers(line: &LinePlace, line_key: &str, member_key: &str, member: &LinePlace) -> bool {
    if member.kind != "account" {
        return false;
    }
    match line.kind.as_str() {
        "account" => line_key == member_key,
        "section_total" => line.section == member.section,
        "gross_profit" => matches!(member.section.as_str(), "Income" | "Cost of Sales"),
        "net_profit" => true,
        _ => false,
    }
}

/// How a document of this Xero type moves profit: +1 for sales invoices,
/// purchase credit notes and receive money; -1 for bills, sales credit
/// notes and spend money; None for kinds that move no P&L line
/// (overpayments, prepayments, transfers).
pub fn profit_sign(xero_type: &str) -> Option<Decimal> {
    match xero_type {
        "ACCREC" | "ACCPAYCREDIT" | "RECEIVE" => Some(Decimal::ONE),
        "ACCPAY" | "ACCRECCREDIT" | "SPEND" => Some(Decimal::NEGATIVE_ONE),
        _ => None,
    }
}

/// The P&L line key an entity's account sits on, by the given chart and
/// mappings; None for balance-sheet accounts and unknown ones.
fn key_of_account(inputs: &SnapshotInputs, entity: i64, account_id: &str) -> Option<String> {
    let a = inputs
        .entity_accounts
        .iter()
        .find(|a| a.entity == entity && a.account_id == account_id)?;
    if !matches!(a.class.as_str(), "REVENUE" | "EXPENSE") {
        return None;
    }
    Some(
        match inputs
            .mappings
            .iter()
            .find(|m| m.entity == entity && m.account_id == account_id)
        {
            Some(m) => format!("group:{}", m.group_account),
            None => format!("unmapped:{entity}:{account_id}"),
        },
    )
}

fn key_of_code(inputs: &SnapshotInputs, entity: i64, code: &str) -> Option<String> {
    let a = inputs
        .entity_accounts
        .iter()
        .find(|a| a.entity == entity && a.code.as_deref() == Some(code))?;
    key_of_account(inputs, entity, &a.account_id)
}

/// A document's effect on profit per line key, in its own currency, for
/// the months `from..=to`: nothing unless it posts (AUTHORISED, PAID) and
/// is dated in them. A line's net amount is its LineAmount, less its tax
/// when amounts include tax. A line Xero sent without an amount cannot be
/// valued: the month's report already warns of it.
pub fn effects(
    inputs: &SnapshotInputs,
    d: &MonthDocument,
    state: &DocumentState,
    (from, to): (Month, Month),
) -> BTreeMap<String, Decimal> {
    let mut out = BTreeMap::new();
    let month = Month::of(state.date);
    let Some(sign) = profit_sign(&d.xero_type) else {
        return out;
    };
    if !matches!(state.status.as_str(), "AUTHORISED" | "PAID") || month < from || month > to {
        return out;
    }
    for l in &state.lines {
        let (Some(code), Some(amount)) = (&l.account_code, l.line_amount) else {
            continue;
        };
        let Some(key) = key_of_code(inputs, d.entity_id, code) else {
            continue;
        };
        let net = if state.line_amount_types == "Inclusive" {
            amount - l.tax_amount.unwrap_or_default()
        } else {
            amount
        };
        *out.entry(key).or_default() += sign * net;
    }
    out
}

/// An entity's amount on one of its accounts in Xero's report, summed
/// over the months `from..=to`, with the line key it sat on: per (entity,
/// AccountID).
pub fn entity_rows(
    inputs: &SnapshotInputs,
    (from, to): (Month, Month),
) -> BTreeMap<(i64, String), (Option<String>, Decimal)> {
    let mut out: BTreeMap<(i64, String), (Option<String>, Decimal)> = BTreeMap::new();
    for p in &inputs.pnl {
        let SnapRow::Account { account_id, .. } = &p.row else {
            continue;
        };
        if p.month < from || p.month > to {
            continue;
        }
        let e = out
            .entry((p.entity, account_id.clone()))
            .or_insert_with(|| (key_of_account(inputs, p.entity, account_id), Decimal::ZERO));
        e.1 += p.amount;
    }
    out
}

/// Whether a document's contact is one of its entity's confirmed
/// intercompany contacts (its P&L lines are then eliminated).
pub fn is_intercompany(inputs: &SnapshotInputs, d: &MonthDocument) -> bool {
    d.contact_id.as_deref().is_some_and(|c| {
        inputs
            .intercompany_contacts
            .iter()
            .any(|x| x.entity == d.entity_id && x.contact_id == c)
    })
}

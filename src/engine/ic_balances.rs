//! Intercompany balances at a month end (rules section 3a): receivables and
//! payables per intercompany contact, made of invoices, credit notes,
//! payments, overpayments and prepayments in transaction currency, and the
//! balances of accounts a user marks as intercompany with a counterpart
//! entity (loans, current accounts). Each is translated at the month's
//! closing rate and eliminated from the line it sits on; the two sides of a
//! pair rarely agree to the cent, and whatever they leave is put on the
//! "intercompany difference" line and shown per pair, never hidden.
//!
//! # Signs
//!
//! Every amount is an entity's *claim* on its counterpart: a receivable or
//! an intercompany asset is positive, a payable or an intercompany
//! liability negative. Two entities agree when their claims on each other
//! add up to zero; their sum is the pair's difference.
//!
//! # What moves the balance
//!
//! A document counts from its date when Xero has posted it (`AUTHORISED`
//! or `PAID`; drafts, submitted, voided and deleted ones never posted); a
//! payment counts unless it is `DELETED`. Allocations of credit notes,
//! overpayments and prepayments to invoices move amounts between documents
//! of the same contact, so they leave the contact's balance where it is
//! and are not read. A document of a type Consol does not know is named in
//! a warning and left out, never guessed at.
//!
//! # Where the elimination goes
//!
//! Documents sit on the entity's receivables or payables control account
//! (Xero's `DEBTORS` / `CREDITORS`); a marked account on itself. The
//! translated claim is taken off that account's line in the eliminations
//! column (a liability's line by the debt), and the same net amount goes to
//! the difference line, so net assets are unchanged by the elimination
//! except through the difference line's own amount.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::input::{AccountClass, EntityId};
use super::money::round_to;
use crate::domain::CurrencyCode;

/// A document or payment with an intercompany contact, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IcDocument {
    pub entity: EntityId,
    /// The entity the contact stands for.
    pub counterpart: EntityId,
    /// `invoice`, `credit_note`, `overpayment`, `prepayment` or `payment`.
    pub kind: String,
    /// Xero's type of the document; for a payment, the paid document's.
    pub document_type: String,
    /// For a payment: the kind of the document it pays.
    pub paid_kind: Option<String>,
    pub document_id: String,
    pub number: Option<String>,
    pub date: NaiveDate,
    pub status: String,
    pub currency: CurrencyCode,
    /// The document's total, or the payment's amount.
    pub amount: Decimal,
}

/// An entity account marked intercompany.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IcAccount {
    pub entity: EntityId,
    pub account_id: String,
    pub counterpart: EntityId,
}

/// Where an entity's documents sit.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ControlAccounts {
    pub receivables: Option<String>,
    pub payables: Option<String>,
}

/// The intercompany part of the balance sheet's input.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IcBalancesInput {
    pub documents: Vec<IcDocument>,
    pub accounts: Vec<IcAccount>,
    pub control_accounts: HashMap<EntityId, ControlAccounts>,
}

/// One entity's side, for what the engine knows of it: its name, base
/// currency, the closing rate of any currency, its balance by AccountID,
/// and the line an account of it sits on.
pub trait IcContext {
    fn included(&self, e: EntityId) -> bool;
    fn name(&self, e: EntityId) -> String;
    fn base_currency(&self, e: EntityId) -> Option<CurrencyCode>;
    fn closing(&self, c: CurrencyCode) -> Option<Decimal>;
    /// The amount on the entity's balance sheet (as Xero shows it) and the
    /// class of an account.
    fn balance(&self, e: EntityId, account_id: &str) -> Option<(Decimal, AccountClass)>;
    /// The balance-sheet line key of an entity's account.
    fn line(&self, e: EntityId, account_id: &str) -> Option<String>;
}

/// One item behind a side of a pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IcItem {
    pub entity: EntityId,
    /// `invoice`, `credit_note`, `overpayment`, `prepayment`, `payment` or
    /// `account`.
    pub source: String,
    /// The document's Xero type, or the account's class.
    pub source_type: String,
    /// The document's Xero id, or the AccountID.
    pub id: String,
    pub number: Option<String>,
    pub date: Option<NaiveDate>,
    pub currency: CurrencyCode,
    /// The claim it makes, in its currency.
    pub amount: Decimal,
}

/// One balance of a side: the items on one account in one currency,
/// translated at closing and rounded once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IcBalance {
    pub entity: EntityId,
    pub account_id: String,
    pub line: String,
    pub currency: CurrencyCode,
    pub amount: Decimal,
    pub closing_rate: Decimal,
    pub translated: Decimal,
}

/// Two entities' claims on each other at the month end, in the
/// presentation currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IcPair {
    /// The lower entity id of the two.
    pub entity: EntityId,
    pub counterpart: EntityId,
    /// `entity`'s claim on `counterpart`.
    pub entity_side: Decimal,
    /// `counterpart`'s claim on `entity`.
    pub counterpart_side: Decimal,
    /// The sum of the two claims: zero when they agree.
    pub difference: Decimal,
    pub balances: Vec<IcBalance>,
    pub items: Vec<IcItem>,
}

/// What the elimination does to the balance sheet.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IcElimination {
    /// (line key, amount) for the eliminations column, the difference line
    /// included.
    pub lines: Vec<(String, Decimal)>,
    pub difference: Decimal,
    pub pairs: Vec<IcPair>,
    pub warnings: Vec<String>,
}

/// Which side of the books a document moves, and in which direction: the
/// signed claim per unit of its amount, and whether it sits on payables.
/// `None` for a type Consol does not know.
fn effect(d: &IcDocument) -> Option<(bool, Decimal)> {
    let one = Decimal::ONE;
    let t = d.document_type.as_str();
    let receivable = matches!(
        t,
        "ACCREC" | "ACCRECCREDIT" | "RECEIVE-OVERPAYMENT" | "RECEIVE-PREPAYMENT"
    );
    let payable = matches!(
        t,
        "ACCPAY" | "ACCPAYCREDIT" | "SPEND-OVERPAYMENT" | "SPEND-PREPAYMENT"
    );
    if !receivable && !payable {
        return None;
    }
    let kind = match d.kind.as_str() {
        "payment" => d.paid_kind.as_deref()?,
        k => k,
    };
    let (raises_claim, fits) = match kind {
        // An invoice to the counterpart is a claim on it; a bill from it a
        // debt.
        "invoice" => (receivable, matches!(t, "ACCREC" | "ACCPAY")),
        // Credits, overpayments and prepayments turn the other way.
        "credit_note" => (payable, matches!(t, "ACCRECCREDIT" | "ACCPAYCREDIT")),
        "overpayment" | "prepayment" => (
            payable,
            t.contains("OVERPAYMENT") || t.contains("PREPAYMENT"),
        ),
        _ => return None,
    };
    if !fits {
        return None;
    }
    let sign = if raises_claim { one } else { -one };
    // A payment settles what its document raised.
    let sign = if d.kind == "payment" { -sign } else { sign };
    Some((payable, sign))
}

/// Whether a document of this status moved the books, `None` when the
/// status is unknown.
fn posted(d: &IcDocument) -> Option<bool> {
    if d.kind == "payment" {
        return match d.status.as_str() {
            "AUTHORISED" => Some(true),
            "DELETED" => Some(false),
            _ => None,
        };
    }
    match d.status.as_str() {
        "AUTHORISED" | "PAID" => Some(true),
        "DRAFT" | "SUBMITTED" | "VOIDED" | "DELETED" => Some(false),
        _ => None,
    }
}

/// Eliminates the intercompany balances of the included entities at the
/// month end whose documents `input` holds (the loader reads only those
/// dated on or before it).
pub fn eliminate_ic_balances(input: &IcBalancesInput, cx: &dyn IcContext) -> IcElimination {
    let mut warnings = Vec::new();
    // (entity, counterpart, account, currency) -> (amount, items)
    type Key = (EntityId, EntityId, String, CurrencyCode);
    let mut groups: BTreeMap<Key, (Decimal, Vec<IcItem>)> = BTreeMap::new();
    let mut left_out: BTreeMap<(EntityId, EntityId), ()> = BTreeMap::new();
    for d in &input.documents {
        if !cx.included(d.entity) || !cx.included(d.counterpart) {
            left_out.insert((d.entity, d.counterpart), ());
            continue;
        }
        match posted(d) {
            Some(true) => {}
            Some(false) => continue,
            None => {
                warnings.push(format!(
                    "{}: {} {} has status '{}', which Consol does not know; it is left out of the intercompany balances.",
                    cx.name(d.entity),
                    d.kind.replace('_', " "),
                    d.number.as_deref().unwrap_or(&d.document_id),
                    d.status
                ));
                continue;
            }
        }
        let Some((payable, sign)) = effect(d) else {
            warnings.push(format!(
                "{}: {} {} is of type '{}', which Consol does not know; it is left out of the intercompany balances.",
                cx.name(d.entity),
                d.kind.replace('_', " "),
                d.number.as_deref().unwrap_or(&d.document_id),
                d.document_type
            ));
            continue;
        };
        let control = input.control_accounts.get(&d.entity);
        let account = control.and_then(|c| {
            if payable {
                c.payables.clone()
            } else {
                c.receivables.clone()
            }
        });
        let Some(account) = account else {
            warnings.push(format!(
                "{}: its {} account is not known (sync its chart of accounts), so its intercompany {} are not eliminated.",
                cx.name(d.entity),
                if payable { "accounts payable" } else { "accounts receivable" },
                if payable { "payables" } else { "receivables" },
            ));
            continue;
        };
        let claim = sign * d.amount;
        let g = groups
            .entry((d.entity, d.counterpart, account, d.currency))
            .or_default();
        g.0 += claim;
        g.1.push(IcItem {
            entity: d.entity,
            source: d.kind.clone(),
            source_type: d.document_type.clone(),
            id: d.document_id.clone(),
            number: d.number.clone(),
            date: Some(d.date),
            currency: d.currency,
            amount: claim,
        });
    }
    for a in &input.accounts {
        if !cx.included(a.entity) || !cx.included(a.counterpart) {
            left_out.insert((a.entity, a.counterpart), ());
            continue;
        }
        let Some(base) = cx.base_currency(a.entity) else {
            continue;
        };
        // No row on the balance sheet: the account holds nothing at the
        // month end.
        let (amount, class) = cx
            .balance(a.entity, &a.account_id)
            .unwrap_or((Decimal::ZERO, AccountClass::Asset));
        let claim = match class {
            AccountClass::Asset => amount,
            AccountClass::Liability => -amount,
            _ => {
                warnings.push(format!(
                    "{}: account {} is marked intercompany but is not an asset or a liability; it is not eliminated.",
                    cx.name(a.entity),
                    a.account_id
                ));
                continue;
            }
        };
        let g = groups
            .entry((a.entity, a.counterpart, a.account_id.clone(), base))
            .or_default();
        g.0 += claim;
        g.1.push(IcItem {
            entity: a.entity,
            source: "account".into(),
            source_type: match class {
                AccountClass::Asset => "ASSET".into(),
                _ => "LIABILITY".into(),
            },
            id: a.account_id.clone(),
            number: None,
            date: None,
            currency: base,
            amount: claim,
        });
    }
    for (e, c) in left_out.keys() {
        let who = if cx.included(*e) { *c } else { *e };
        warnings.push(format!(
            "{}: intercompany balances between {} and {} are not eliminated because {} is left out of the balance sheet.",
            cx.name(*e),
            cx.name(*e),
            cx.name(*c),
            cx.name(who)
        ));
    }

    let mut lines: BTreeMap<String, Decimal> = BTreeMap::new();
    let mut pairs: BTreeMap<(EntityId, EntityId), IcPair> = BTreeMap::new();
    let mut difference = Decimal::ZERO;
    for ((entity, counterpart, account, currency), (amount, items)) in groups {
        let Some(rate) = cx.closing(currency) else {
            warnings.push(format!(
                "{}: no closing rate for {currency}, so its intercompany balance with {} in {currency} is not eliminated. Enter the rate on the rates page.",
                cx.name(entity),
                cx.name(counterpart)
            ));
            continue;
        };
        let Some(line) = cx.line(entity, &account) else {
            if !amount.is_zero() {
                warnings.push(format!(
                    "{}: its intercompany balance with {} sits on account {account}, which is not on its balance sheet at this month end; it is not eliminated. Sync it again.",
                    cx.name(entity),
                    cx.name(counterpart)
                ));
            }
            continue;
        };
        let translated = round_to(amount * rate, 2);
        // The claim leaves its line: an asset's line by the claim, a
        // liability's by the debt (the claim negated is the debt, and the
        // line falls by it: debt − debt = 0 means adding the claim).
        let class = cx
            .balance(entity, &account)
            .map(|(_, c)| c)
            .unwrap_or(AccountClass::Asset);
        let on_line = match class {
            AccountClass::Liability => translated,
            _ => -translated,
        };
        *lines.entry(line.clone()).or_default() += on_line;
        difference += translated;
        let (lo, hi) = if entity < counterpart {
            (entity, counterpart)
        } else {
            (counterpart, entity)
        };
        let pair = pairs.entry((lo, hi)).or_insert_with(|| IcPair {
            entity: lo,
            counterpart: hi,
            entity_side: Decimal::ZERO,
            counterpart_side: Decimal::ZERO,
            difference: Decimal::ZERO,
            balances: vec![],
            items: vec![],
        });
        if entity == lo {
            pair.entity_side += translated;
        } else {
            pair.counterpart_side += translated;
        }
        pair.difference += translated;
        pair.balances.push(IcBalance {
            entity,
            account_id: account,
            line,
            currency,
            amount,
            closing_rate: rate,
            translated,
        });
        pair.items.extend(items);
    }
    let mut out_lines: Vec<(String, Decimal)> = lines.into_iter().collect();
    out_lines.push((
        super::balance_sheet::INTERCOMPANY_DIFFERENCE.to_string(),
        difference,
    ));
    IcElimination {
        lines: out_lines,
        difference,
        pairs: pairs.into_values().collect(),
        warnings,
    }
}

/// The balance sheet's view of its entities for [`eliminate_ic_balances`].
pub(super) struct BsContext<'a> {
    pub entities: HashMap<EntityId, &'a super::balance_sheet::BsEntity>,
    pub included: std::collections::HashSet<EntityId>,
    pub closing: &'a dyn Fn(CurrencyCode) -> Option<Decimal>,
    pub key: &'a dyn Fn(&super::balance_sheet::BsRow) -> Option<(String, AccountClass)>,
}

impl BsContext<'_> {
    fn row(&self, e: EntityId, account_id: &str) -> Option<&super::balance_sheet::BsAmount> {
        self.entities.get(&e)?.amounts.iter().find(|a| {
            matches!(&a.row, super::balance_sheet::BsRow::Account { account_id: id, .. } if id == account_id)
        })
    }
}

impl IcContext for BsContext<'_> {
    fn included(&self, e: EntityId) -> bool {
        self.included.contains(&e)
    }

    fn name(&self, e: EntityId) -> String {
        self.entities
            .get(&e)
            .map(|x| x.name.clone())
            .unwrap_or_else(|| format!("entity {}", e.0))
    }

    fn base_currency(&self, e: EntityId) -> Option<CurrencyCode> {
        self.entities.get(&e).map(|x| x.base_currency)
    }

    fn closing(&self, c: CurrencyCode) -> Option<Decimal> {
        (self.closing)(c)
    }

    fn balance(&self, e: EntityId, account_id: &str) -> Option<(Decimal, AccountClass)> {
        let a = self.row(e, account_id)?;
        let (_, class) = (self.key)(&a.row)?;
        Some((a.amount, class))
    }

    fn line(&self, e: EntityId, account_id: &str) -> Option<String> {
        let a = self.row(e, account_id)?;
        (self.key)(&a.row).map(|(k, _)| k)
    }
}

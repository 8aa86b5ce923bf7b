//! The consolidated balance sheet at one month end (rules section 3a):
//! translation at closing and historical rates, earnings from the group's
//! own translated P&L history, the currency translation reserve (CTA) with
//! its roll-forward, the investment eliminated against equity at
//! acquisition (goodwill on its own line) and the non-controlling interest.
//!
//! Pure, like the rest of the engine. Its input is its own
//! ([`BalanceSheetInput`]) so that a loader can build it beside the P&L's.
//!
//! # How each entity's column is made
//!
//! - **Assets and liabilities**: each (account, month end) amount from
//!   Xero's `Reports/BalanceSheet`, translated at the closing rate of the
//!   month and rounded once to the presentation currency's cents.
//! - **Equity of the top entity** (no owner, in the presentation
//!   currency): its equity accounts as Xero reports them, except earnings:
//!   [`CURRENT_YEAR_EARNINGS`] is its P&L for the group's financial year to
//!   date, and [`RETAINED_EARNINGS`] the rest of its earnings (Xero's
//!   Retained Earnings and Current Year Earnings rows together, less that),
//!   so its column equals its own balance sheet.
//! - **Equity of any other entity** is not its own equity accounts but what
//!   the group made of it since it joined: [`EQUITY_AT_ACQUISITION`] (its
//!   equity on the acquisition date at the historical rate, plus later
//!   contributions at theirs), [`RETAINED_EARNINGS`] (its translated profits
//!   of earlier group financial years since acquisition),
//!   [`CURRENT_YEAR_EARNINGS`] (its translated profits of this financial
//!   year) and [`TRANSLATION_RESERVE`] (the CTA, below).
//! - **CTA** at month end `m`, acquisition at `a` with historical rate `H`:
//!   `E0 × (C_m − H) + Σ profit_k × (C_m − avg_k) + Σ contribution × (C_m
//!   − its rate)`, over the months `k` after `a` up to `m`: exactly the
//!   roll-forward of rule 3a, summed. The roll-forward for the financial
//!   year to date is reported per entity: opening, the movement on opening
//!   net assets, on the period's profit and on contributions, and closing.
//!   The closing CTA also takes the few cents by which translating each
//!   account on its own rounds differently from the whole; they are shown
//!   as their own part of the roll-forward. Anything beyond rounding stays
//!   in [`BALANCE_CHECK`] with a warning saying how much and why.
//!
//! # Eliminations
//!
//! For each owned entity: the owner's investment accounts are removed; its
//! equity at acquisition is removed; goodwill is the investment less the
//! owner's share of equity at acquisition (a negative difference is a gain
//! on a bargain purchase, taken to retained earnings with a warning); the
//! non-controlling interest takes its share of the entity's equity at
//! acquisition, retained earnings, current year earnings and CTA, which
//! leave those lines. So each consolidated equity line is the owners'
//! share, and `consolidated = Σ entity columns + eliminations` line by
//! line.

use std::collections::{BTreeMap, HashMap};

use rust_decimal::Decimal;
use serde::Serialize;

use super::ic_balances::{BsContext, IcBalancesInput, eliminate_ic_balances};
use super::input::{AccountClass, AccountSection, EntityId, FxRate, GroupAccountId};
use super::money::round_to;
use super::report::{Column, ColumnKind};
use crate::domain::{CurrencyCode, Month};

/// Line key: assets in total.
pub const TOTAL_ASSETS: &str = "total_assets";
/// Line key: liabilities in total.
pub const TOTAL_LIABILITIES: &str = "total_liabilities";
/// Line key: assets less liabilities.
pub const NET_ASSETS: &str = "net_assets";
/// Line key: equity in total.
pub const TOTAL_EQUITY: &str = "total_equity";
/// Line key: earnings of the group's current financial year to date.
pub const CURRENT_YEAR_EARNINGS: &str = "current_year_earnings";
/// Line key: earnings of earlier financial years.
pub const RETAINED_EARNINGS: &str = "retained_earnings";
/// Line key: the foreign currency translation reserve.
pub const TRANSLATION_RESERVE: &str = "translation_reserve";
/// Line key: goodwill on acquisition.
pub const GOODWILL: &str = "goodwill";
/// Line key: the non-controlling interest in equity.
pub const NON_CONTROLLING_INTEREST: &str = "non_controlling_interest";
/// Line key: intercompany balances that did not eliminate against each
/// other.
pub const INTERCOMPANY_DIFFERENCE: &str = "intercompany_difference";
/// Line key: an owned entity's equity at acquisition (and later
/// contributions), at historical rates.
pub const EQUITY_AT_ACQUISITION: &str = "equity_at_acquisition";
/// Not a line: net assets less total equity, per column (zero when the
/// column balances).
pub const BALANCE_CHECK: &str = "balance_check";

/// Presentation-currency minor units.
const DP: u32 = 2;

/// What an amount of an entity's balance sheet stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BsRow {
    /// An account of the entity's chart, mapped (or not) to a group account.
    Account {
        account_id: String,
        class: AccountClass,
        group_account: Option<GroupAccountId>,
    },
    /// Xero's "Current Year Earnings" row (its `account` attribute is
    /// `00000000-0000-0000-0000-000000000000`).
    CurrentYearEarnings,
    /// The entity's retained earnings account.
    RetainedEarnings,
}

/// One amount of an entity's balance sheet at the month end, in its base
/// currency, as Xero shows it: assets, liabilities and equity each
/// positive in their own section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BsAmount {
    pub row: BsRow,
    pub amount: Decimal,
}

/// How an entity came into the group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ownership {
    /// The entity that holds the investment.
    pub owner: EntityId,
    /// Percent held, 0 < p ≤ 100.
    pub percent: Decimal,
    /// The month whose end is the acquisition date.
    pub acquired: Month,
    /// The entity's equity (net assets) on that date, in its base currency.
    pub equity_at_acquisition: Decimal,
    /// Units of the presentation currency per unit of base currency on that
    /// date.
    pub historical_rate: Decimal,
    /// The owner's accounts (AccountIDs) that hold the investment.
    pub investment_accounts: Vec<String>,
    /// Later capital contributions: (month, base amount, historical rate).
    pub contributions: Vec<(Month, Decimal, Decimal)>,
}

/// One entity of the balance sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BsEntity {
    pub id: EntityId,
    pub name: String,
    pub base_currency: CurrencyCode,
    /// None for the top entity of the group.
    pub ownership: Option<Ownership>,
    /// Its balance sheet at the month end.
    pub amounts: Vec<BsAmount>,
    /// Its profit per month in base currency (Xero's Net Profit), at least
    /// for every month after acquisition up to the month end, and for the
    /// top entity the months of the current financial year.
    pub monthly_profit: Vec<(Month, Decimal)>,
    /// Xero's own Total Assets and Net Assets at the month end, for the
    /// tie-out.
    pub xero_total_assets: Option<Decimal>,
    pub xero_net_assets: Option<Decimal>,
}

/// A line of the group chart a balance-sheet account can map to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BsGroupAccount {
    pub id: GroupAccountId,
    pub code: String,
    pub name: String,
    pub class: AccountClass,
    /// Xero's balance-sheet section (Bank, Current Assets, ...).
    pub section: String,
}

/// Everything the balance sheet at one month end needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BalanceSheetInput {
    pub presentation_currency: CurrencyCode,
    pub financial_year_end_month: u32,
    pub at: Month,
    pub entities: Vec<BsEntity>,
    pub group_accounts: Vec<BsGroupAccount>,
    pub rates: Vec<FxRate>,
}

/// A line of the balance sheet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BsLine {
    pub key: String,
    pub section: String,
    pub account_code: Option<String>,
    pub account_name: String,
    /// Column key to amount.
    pub values: BTreeMap<String, Decimal>,
}

/// The CTA roll-forward of one foreign entity for the financial year to
/// date (or since acquisition, when later).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CtaRollForward {
    pub entity: EntityId,
    pub from: Month,
    pub opening: Decimal,
    pub on_opening_net_assets: Decimal,
    pub on_profit: Decimal,
    pub on_contributions: Decimal,
    pub rounding: Decimal,
    pub closing: Decimal,
}

/// Xero's totals against the engine's, per entity, in base currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BsTieOut {
    pub entity: EntityId,
    pub total_assets: Decimal,
    pub xero_total_assets: Option<Decimal>,
    pub net_assets: Decimal,
    pub xero_net_assets: Option<Decimal>,
    /// `ties`, `differs` or `not_tied_out` (Xero sent no total).
    pub status: &'static str,
}

/// A closing rate the report used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BsRate {
    pub currency: CurrencyCode,
    pub month: Month,
    pub closing: Decimal,
}

/// The consolidated balance sheet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BalanceSheetReport {
    pub currency: CurrencyCode,
    pub at: Month,
    /// `entity:<id>` per entity, `eliminations`, `consolidated`, as the
    /// P&L's.
    pub columns: Vec<Column>,
    pub lines: Vec<BsLine>,
    pub balance_check: BTreeMap<String, Decimal>,
    pub translation_reserve: Vec<CtaRollForward>,
    /// Profit of the financial year to date attributable to the owners of
    /// the parent and to non-controlling interests.
    pub profit_attributable_to_owners: Decimal,
    pub profit_attributable_to_nci: Decimal,
    pub rates: Vec<BsRate>,
    pub tie_out: Vec<BsTieOut>,
    /// Intercompany balances per pair of entities (`ic_balances.rs`).
    pub intercompany_balances: Vec<super::ic_balances::IcPair>,
    /// Errors (a missing rate, a missing acquisition) and warnings, each
    /// saying what to do.
    pub warnings: Vec<String>,
}

/// Rates by (currency, month).
struct Rates<'a> {
    presentation: CurrencyCode,
    by: HashMap<(CurrencyCode, Month), &'a FxRate>,
}

impl Rates<'_> {
    fn closing(&self, c: CurrencyCode, m: Month) -> Option<Decimal> {
        if c == self.presentation {
            return Some(Decimal::ONE);
        }
        self.by.get(&(c, m)).map(|r| r.closing)
    }

    fn average(&self, c: CurrencyCode, m: Month) -> Option<Decimal> {
        if c == self.presentation {
            return Some(Decimal::ONE);
        }
        self.by.get(&(c, m)).map(|r| r.average)
    }
}

fn cents(v: Decimal) -> Decimal {
    round_to(v, DP)
}

/// A zero shows as 0.00, never -0.00 or 0.
fn tidy(v: Decimal) -> Decimal {
    if v.is_zero() { Decimal::new(0, DP) } else { v }
}

/// The lines the report computes (not accounts), in the order each shows
/// in its section.
const SPECIAL_LINES: [&str; 7] = [
    GOODWILL,
    INTERCOMPANY_DIFFERENCE,
    EQUITY_AT_ACQUISITION,
    RETAINED_EARNINGS,
    CURRENT_YEAR_EARNINGS,
    TRANSLATION_RESERVE,
    NON_CONTROLLING_INTEREST,
];

/// Where each kind of line shows, for the special keys.
fn special_section(key: &str) -> AccountSection {
    match key {
        GOODWILL => AccountSection::NonCurrentAssets,
        INTERCOMPANY_DIFFERENCE => AccountSection::CurrentAssets,
        _ => AccountSection::Equity,
    }
}

/// The section a group account's line shows under: its own, read from
/// Xero's title; one that does not fit its class (or cannot be read) is
/// the class's default, so the section subtotals add up to the totals.
fn bs_section(g: &BsGroupAccount) -> AccountSection {
    AccountSection::stored(&g.section, g.class)
}

/// The key of a section's subtotal line: `total:` and the section's title
/// in snake case (`total:non_current_assets`).
pub fn section_total_key(section: AccountSection) -> String {
    let slug: String = section
        .title()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("total:{slug}")
}

fn special_name(key: &str) -> &'static str {
    match key {
        TOTAL_ASSETS => "Total Assets",
        TOTAL_LIABILITIES => "Total Liabilities",
        NET_ASSETS => "Net Assets",
        TOTAL_EQUITY => "Total Equity",
        CURRENT_YEAR_EARNINGS => "Current Year Earnings",
        RETAINED_EARNINGS => "Retained Earnings",
        TRANSLATION_RESERVE => "Foreign currency translation reserve",
        GOODWILL => "Goodwill",
        NON_CONTROLLING_INTEREST => "Non-controlling interest",
        INTERCOMPANY_DIFFERENCE => "Intercompany difference",
        EQUITY_AT_ACQUISITION => "Subsidiaries' equity at acquisition",
        _ => "",
    }
}

/// Accumulates amounts per (line key, column).
#[derive(Default)]
struct Grid {
    cells: BTreeMap<String, BTreeMap<String, Decimal>>,
}

impl Grid {
    fn add(&mut self, line: &str, column: &str, v: Decimal) {
        *self
            .cells
            .entry(line.to_string())
            .or_default()
            .entry(column.to_string())
            .or_default() += v;
    }

    fn get(&self, line: &str, column: &str) -> Decimal {
        self.cells
            .get(line)
            .and_then(|c| c.get(column))
            .copied()
            .unwrap_or_default()
    }
}

/// An owned or foreign entity's translated earnings and CTA.
struct Translated {
    equity_at_acquisition: Decimal,
    retained: Decimal,
    current_year: Decimal,
    cta: CtaRollForward,
}

/// Σ over months `k` in `(after, upto]` of `f(k)`; `None` when a rate is
/// missing (the months are named in `missing`).
fn profit_terms(
    e: &BsEntity,
    rates: &Rates<'_>,
    after: Month,
    upto: Month,
    missing: &mut Vec<Month>,
    mut f: impl FnMut(Month, Decimal, Decimal),
) {
    for &(m, p) in &e.monthly_profit {
        if m <= after || m > upto {
            continue;
        }
        match rates.average(e.base_currency, m) {
            Some(avg) => f(m, p, avg),
            None => missing.push(m),
        }
    }
}

/// The CTA at month end `m` of an owned entity by the summed roll-forward
/// (unrounded).
fn cta_at(
    e: &BsEntity,
    o: &Ownership,
    rates: &Rates<'_>,
    m: Month,
    missing: &mut Vec<Month>,
) -> Option<Decimal> {
    let c = rates.closing(e.base_currency, m)?;
    let mut cta = o.equity_at_acquisition * (c - o.historical_rate);
    profit_terms(e, rates, o.acquired, m, missing, |_, p, avg| {
        cta += p * (c - avg);
    });
    for (cm, amount, rate) in &o.contributions {
        if *cm > o.acquired && *cm <= m {
            cta += amount * (c - rate);
        }
    }
    Some(cta)
}

fn translate_owned(
    input: &BalanceSheetInput,
    e: &BsEntity,
    o: &Ownership,
    rates: &Rates<'_>,
    net_assets_translated: Decimal,
    warnings: &mut Vec<String>,
) -> Option<Translated> {
    let at = input.at;
    let fy_start = at
        .financial_year_end(input.financial_year_end_month)
        .plus(-11);
    let mut missing = Vec::new();
    let Some(closing) = rates.closing(e.base_currency, at) else {
        warnings.push(format!(
            "{}: no closing rate for {} at {at}; enter it on the rates page.",
            e.name, e.base_currency
        ));
        return None;
    };
    let contributed: Decimal = o
        .contributions
        .iter()
        .filter(|(m, _, _)| *m > o.acquired && *m <= at)
        .map(|(_, a, r)| cents(a * r))
        .sum();
    let equity_at_acquisition = cents(o.equity_at_acquisition * o.historical_rate) + contributed;
    let (mut retained, mut current_year) = (Decimal::ZERO, Decimal::ZERO);
    profit_terms(e, rates, o.acquired, at, &mut missing, |m, p, avg| {
        let t = cents(p * avg);
        if m >= fy_start {
            current_year += t;
        } else {
            retained += t;
        }
    });
    // The roll-forward of this financial year (or from acquisition).
    let from = if o.acquired >= fy_start.prev() {
        o.acquired
    } else {
        fy_start.prev()
    };
    let opening = cta_at(e, o, rates, from, &mut missing).unwrap_or_default();
    let c_open = rates.closing(e.base_currency, from);
    let mut opening_na = o.equity_at_acquisition;
    profit_terms(e, rates, o.acquired, from, &mut Vec::new(), |_, p, _| {
        opening_na += p;
    });
    for (cm, a, _) in &o.contributions {
        if *cm > o.acquired && *cm <= from {
            opening_na += a;
        }
    }
    let on_opening_net_assets = match c_open {
        Some(c0) => opening_na * (closing - c0),
        None => Decimal::ZERO,
    };
    let mut on_profit = Decimal::ZERO;
    profit_terms(e, rates, from, at, &mut Vec::new(), |_, p, avg| {
        on_profit += p * (closing - avg);
    });
    let on_contributions: Decimal = o
        .contributions
        .iter()
        .filter(|(m, _, _)| *m > from && *m <= at)
        .map(|(_, a, r)| a * (closing - r))
        .sum();
    if c_open.is_none() {
        missing.push(from);
    }
    if !missing.is_empty() {
        missing.sort();
        missing.dedup();
        let months: Vec<String> = missing.iter().map(Month::to_string).collect();
        warnings.push(format!(
            "{}: no {} rate for {}; its earnings and translation reserve cannot be translated. Enter the rates on the rates page.",
            e.name,
            e.base_currency,
            months.join(", ")
        ));
        return None;
    }
    let computed = cents(opening + on_opening_net_assets + on_profit + on_contributions);
    // Translating account by account rounds each one; the whole may differ
    // by a few cents from the equity side. Those cents are CTA's, shown as
    // such; a larger difference is left for the balance check.
    let residual =
        net_assets_translated - equity_at_acquisition - retained - current_year - computed;
    // Each rounded term can be half a cent off: every account, every
    // month's earnings, every contribution, equity at acquisition and the
    // CTA itself.
    let terms = e.amounts.len() + e.monthly_profit.len() + o.contributions.len() + 2;
    let tolerance = Decimal::new(5, 3) * Decimal::from(terms as i64);
    let rounding = if residual.abs() <= tolerance {
        residual
    } else {
        Decimal::ZERO
    };
    Some(Translated {
        equity_at_acquisition,
        retained,
        current_year,
        cta: CtaRollForward {
            entity: e.id,
            from,
            opening: cents(opening),
            on_opening_net_assets: cents(on_opening_net_assets),
            on_profit: cents(on_profit),
            on_contributions: cents(on_contributions),
            rounding: computed
                - cents(opening)
                - cents(on_opening_net_assets)
                - cents(on_profit)
                - cents(on_contributions)
                + rounding,
            closing: computed + rounding,
        },
    })
}

/// Consolidates the balance sheet at `input.at`, with no intercompany
/// balances.
pub fn consolidate_balance_sheet(input: &BalanceSheetInput) -> BalanceSheetReport {
    consolidate_balance_sheet_with(input, &IcBalancesInput::default())
}

/// Consolidates the balance sheet at `input.at`, eliminating the
/// intercompany balances of `ic` (dated on or before it).
pub fn consolidate_balance_sheet_with(
    input: &BalanceSheetInput,
    ic: &IcBalancesInput,
) -> BalanceSheetReport {
    let rates = Rates {
        presentation: input.presentation_currency,
        by: input
            .rates
            .iter()
            .map(|r| ((r.currency, r.month), r))
            .collect(),
    };
    let at = input.at;
    let fy_start = at
        .financial_year_end(input.financial_year_end_month)
        .plus(-11);
    let mut entities: Vec<&BsEntity> = input.entities.iter().collect();
    entities.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    let col = |id: EntityId| format!("entity:{}", id.0);
    let mut columns: Vec<Column> = entities
        .iter()
        .map(|e| Column {
            key: col(e.id),
            name: e.name.clone(),
            kind: ColumnKind::Entity,
            entity: Some(e.id),
        })
        .collect();
    for (key, name, kind) in [
        ("eliminations", "Eliminations", ColumnKind::Eliminations),
        ("consolidated", "Consolidated", ColumnKind::Consolidated),
    ] {
        columns.push(Column {
            key: key.into(),
            name: name.into(),
            kind,
            entity: None,
        });
    }
    let groups: HashMap<GroupAccountId, &BsGroupAccount> =
        input.group_accounts.iter().map(|g| (g.id, g)).collect();
    let account_key = |row: &BsRow| -> Option<(String, AccountClass)> {
        match row {
            BsRow::Account {
                account_id,
                class,
                group_account,
            } => Some(match group_account.and_then(|g| groups.get(&g)) {
                Some(g) => (format!("group:{}", g.id.0), g.class),
                None => (format!("unmapped:{account_id}"), *class),
            }),
            _ => None,
        }
    };

    let mut grid = Grid::default();
    let mut classes: BTreeMap<String, AccountClass> = BTreeMap::new();
    let mut unmapped_names: BTreeMap<String, String> = BTreeMap::new();
    let mut warnings = Vec::new();
    let mut tie_out = Vec::new();
    let mut roll_forwards = Vec::new();
    let mut rates_used = Vec::new();
    let mut owners_profit = Decimal::ZERO;
    let mut nci_profit = Decimal::ZERO;
    // Per owned entity: its translated parts and ownership, for the
    // eliminations.
    let mut owned: Vec<(&BsEntity, &Ownership, Translated)> = Vec::new();
    // The investment accounts of each owner, removed as elimination.
    let by_id: HashMap<EntityId, &BsEntity> = entities.iter().map(|e| (e.id, *e)).collect();

    let mut included = std::collections::HashSet::new();
    for e in &entities {
        let c = col(e.id);
        let Some(closing) = rates.closing(e.base_currency, at) else {
            warnings.push(format!(
                "{}: no closing rate for {} at {at}; its balance sheet is left out. Enter the rate on the rates page.",
                e.name, e.base_currency
            ));
            continue;
        };
        included.insert(e.id);
        if e.base_currency != input.presentation_currency {
            rates_used.push(BsRate {
                currency: e.base_currency,
                month: at,
                closing,
            });
        }
        // Assets and liabilities at closing; the top entity's equity as
        // reported.
        let (mut assets_base, mut liabilities_base) = (Decimal::ZERO, Decimal::ZERO);
        let mut xero_earnings = Decimal::ZERO;
        let mut other_equity = Decimal::ZERO;
        for a in &e.amounts {
            match &a.row {
                BsRow::CurrentYearEarnings | BsRow::RetainedEarnings => xero_earnings += a.amount,
                row => {
                    let Some((key, class)) = account_key(row) else {
                        continue;
                    };
                    if let BsRow::Account { account_id, .. } = row
                        && key.starts_with("unmapped:")
                    {
                        unmapped_names.insert(key.clone(), account_id.clone());
                    }
                    match class {
                        AccountClass::Asset => assets_base += a.amount,
                        AccountClass::Liability => liabilities_base += a.amount,
                        AccountClass::Equity => other_equity += a.amount,
                        _ => {
                            warnings.push(format!(
                                "{}: a profit-and-loss account appears on its balance sheet; map it to a balance-sheet account.",
                                e.name
                            ));
                        }
                    }
                    if class == AccountClass::Equity && e.ownership.is_some() {
                        // An owned entity's equity is what the group made of
                        // it (below), not its own accounts.
                        continue;
                    }
                    classes.insert(key.clone(), class);
                    let rate = if class == AccountClass::Equity {
                        Decimal::ONE
                    } else {
                        closing
                    };
                    grid.add(&key, &c, cents(a.amount * rate));
                }
            }
        }
        let na_base = assets_base - liabilities_base;
        let status = match (e.xero_total_assets, e.xero_net_assets) {
            (Some(ta), Some(na)) if ta == assets_base && na == na_base => "ties",
            (Some(ta), _) if ta != assets_base => "differs",
            (_, Some(na)) if na != na_base => "differs",
            (None, None) => "not_tied_out",
            _ => "ties",
        };
        if status == "differs" {
            warnings.push(format!(
                "{}: at {at} Xero's balance sheet totals differ from the sum of its rows; sync it again, or check for rows Consol did not read.",
                e.name
            ));
        }
        tie_out.push(BsTieOut {
            entity: e.id,
            total_assets: assets_base,
            xero_total_assets: e.xero_total_assets,
            net_assets: na_base,
            xero_net_assets: e.xero_net_assets,
            status,
        });

        match &e.ownership {
            None => {
                if e.base_currency != input.presentation_currency {
                    warnings.push(format!(
                        "{}: the group's top entity keeps its books in {}, not {}; set its acquisition date and equity on the ownership page to translate its equity.",
                        e.name, e.base_currency, input.presentation_currency
                    ));
                    continue;
                }
                let mut cy = Decimal::ZERO;
                for &(m, p) in &e.monthly_profit {
                    if m >= fy_start && m <= at {
                        cy += p;
                    }
                }
                grid.add(CURRENT_YEAR_EARNINGS, &c, cy);
                grid.add(RETAINED_EARNINGS, &c, xero_earnings - cy);
                owners_profit += cy;
            }
            Some(o) => {
                let na_t: Decimal = e
                    .amounts
                    .iter()
                    .filter_map(|a| {
                        let (_, class) = account_key(&a.row)?;
                        match class {
                            AccountClass::Asset => Some(cents(a.amount * closing)),
                            AccountClass::Liability => Some(-cents(a.amount * closing)),
                            _ => None,
                        }
                    })
                    .sum();
                let Some(t) = translate_owned(input, e, o, &rates, na_t, &mut warnings) else {
                    continue;
                };
                grid.add(EQUITY_AT_ACQUISITION, &c, t.equity_at_acquisition);
                grid.add(RETAINED_EARNINGS, &c, t.retained);
                grid.add(CURRENT_YEAR_EARNINGS, &c, t.current_year);
                grid.add(TRANSLATION_RESERVE, &c, t.cta.closing);
                let nci_share = (Decimal::ONE_HUNDRED - o.percent) / Decimal::ONE_HUNDRED;
                let nci_cy = cents(t.current_year * nci_share);
                owners_profit += t.current_year - nci_cy;
                nci_profit += nci_cy;
                if e.base_currency != input.presentation_currency {
                    roll_forwards.push(t.cta.clone());
                }
                owned.push((e, o, t));
            }
        }
    }

    // Eliminations.
    let elim = "eliminations";
    for (e, o, t) in &owned {
        let Some(owner) = by_id.get(&o.owner) else {
            warnings.push(format!(
                "{}: its owner is not an entity of this group; its investment cannot be eliminated.",
                e.name
            ));
            continue;
        };
        let owner_closing = rates
            .closing(owner.base_currency, at)
            .unwrap_or(Decimal::ONE);
        let mut investment = Decimal::ZERO;
        for a in &owner.amounts {
            if let BsRow::Account { account_id, .. } = &a.row
                && o.investment_accounts.contains(account_id)
                && let Some((key, _)) = account_key(&a.row)
            {
                let v = cents(a.amount * owner_closing);
                investment += v;
                grid.add(&key, elim, -v);
            }
        }
        if investment.is_zero() {
            // Without the investment there is nothing to eliminate its
            // equity against: the owners' share stays, and the report says
            // why.
            warnings.push(format!(
                "{}: no investment in it was found on {}'s balance sheet, so its equity at acquisition is not eliminated; choose the investment account in the group's ownership set-up.",
                e.name, owner.name
            ));
        }
        let share = o.percent / Decimal::ONE_HUNDRED;
        let nci_share = Decimal::ONE - share;
        let owners_equity = cents(t.equity_at_acquisition * share);
        let difference = investment - owners_equity;
        if investment.is_zero() {
            // Only the non-controlling share moves (below).
            grid.add(
                EQUITY_AT_ACQUISITION,
                elim,
                -(t.equity_at_acquisition - owners_equity),
            );
        } else if difference >= Decimal::ZERO {
            grid.add(EQUITY_AT_ACQUISITION, elim, -t.equity_at_acquisition);
            grid.add(GOODWILL, elim, difference);
        } else {
            grid.add(EQUITY_AT_ACQUISITION, elim, -t.equity_at_acquisition);
            grid.add(RETAINED_EARNINGS, elim, -difference);
            warnings.push(format!(
                "{}: the investment is {} less than the owner's share of its equity at acquisition; it is taken to retained earnings as a gain on a bargain purchase. Check the acquisition figures.",
                e.name,
                -difference
            ));
        }
        let nci_parts = [
            (
                EQUITY_AT_ACQUISITION,
                t.equity_at_acquisition - owners_equity,
            ),
            (RETAINED_EARNINGS, cents(t.retained * nci_share)),
            (CURRENT_YEAR_EARNINGS, cents(t.current_year * nci_share)),
            (TRANSLATION_RESERVE, cents(t.cta.closing * nci_share)),
        ];
        for (line, v) in nci_parts {
            if line != EQUITY_AT_ACQUISITION {
                grid.add(line, elim, -v);
            }
            grid.add(NON_CONTROLLING_INTEREST, elim, v);
        }
    }

    let ic = eliminate_ic_balances(
        ic,
        &BsContext {
            entities: by_id.clone(),
            included,
            closing: &|c| rates.closing(c, at),
            key: &account_key,
        },
    );
    for (line, v) in &ic.lines {
        grid.add(line, elim, *v);
    }
    warnings.extend(ic.warnings);

    // Lines: under each section of Xero's balance sheet in Xero's order,
    // its accounts (by code), then the computed lines that belong there,
    // then its subtotal (`total:<section>`; Equity's is Total Equity);
    // unmapped accounts after them; the totals last.
    let column_keys: Vec<String> = columns.iter().map(|c| c.key.clone()).collect();
    let mut lines = Vec::new();
    let line = |key: &str, section: &str, code: Option<String>, name: String, grid: &mut Grid| {
        let mut values = BTreeMap::new();
        let mut total = Decimal::ZERO;
        for k in &column_keys {
            if k == "consolidated" {
                continue;
            }
            let v = grid.get(key, k);
            total += v;
            values.insert(k.clone(), tidy(v));
        }
        values.insert("consolidated".into(), tidy(total));
        grid.add(key, "consolidated", total);
        BsLine {
            key: key.to_string(),
            section: section.to_string(),
            account_code: code,
            account_name: name,
            values,
        }
    };
    let account_lines: Vec<(String, AccountClass)> =
        classes.iter().map(|(k, c)| (k.clone(), *c)).collect();
    // Each account line's section (None: unmapped), code and name.
    let mut placed: Vec<(Option<AccountSection>, String, Option<String>, String)> = account_lines
        .iter()
        .map(|(key, _)| {
            match key.strip_prefix("group:").and_then(|id| {
                let id: i64 = id.parse().ok()?;
                groups.get(&GroupAccountId(id))
            }) {
                Some(g) => (
                    Some(bs_section(g)),
                    key.clone(),
                    Some(g.code.clone()),
                    g.name.clone(),
                ),
                None => (
                    None,
                    key.clone(),
                    None,
                    format!(
                        "Unmapped account {}",
                        unmapped_names.get(key).cloned().unwrap_or_default()
                    ),
                ),
            }
        })
        .collect();
    // Unmapped (None) sorts first; it is pushed last below.
    placed.sort_by(|a, b| (a.0, &a.2, &a.1).cmp(&(b.0, &b.2, &b.1)));
    for section in AccountSection::ALL
        .into_iter()
        .filter(|s| s.is_balance_sheet())
    {
        let title = section.title();
        let first = lines.len();
        for (_, key, code, name) in placed.iter().filter(|p| p.0 == Some(section)) {
            lines.push(line(key, title, code.clone(), name.clone(), &mut grid));
        }
        for key in SPECIAL_LINES
            .into_iter()
            .filter(|k| special_section(k) == section)
        {
            lines.push(line(key, title, None, special_name(key).into(), &mut grid));
        }
        if lines.len() == first || section == AccountSection::Equity {
            continue;
        }
        let mut values: BTreeMap<String, Decimal> = BTreeMap::new();
        for l in &lines[first..] {
            for (k, v) in &l.values {
                *values.entry(k.clone()).or_default() += v;
            }
        }
        lines.push(BsLine {
            key: section_total_key(section),
            section: title.to_string(),
            account_code: None,
            account_name: format!("Total {title}"),
            values: values.into_iter().map(|(k, v)| (k, tidy(v))).collect(),
        });
    }
    for (_, key, code, name) in placed.iter().filter(|p| p.0.is_none()) {
        lines.push(line(key, "Unmapped", code.clone(), name.clone(), &mut grid));
    }
    // Totals per column.
    let mut balance_check = BTreeMap::new();
    let mut totals: Vec<(&str, BTreeMap<String, Decimal>)> = Vec::new();
    let mut ta = BTreeMap::new();
    let mut tl = BTreeMap::new();
    let mut na = BTreeMap::new();
    let mut te = BTreeMap::new();
    for k in &column_keys {
        let mut assets = grid.get(GOODWILL, k) + grid.get(INTERCOMPANY_DIFFERENCE, k);
        let mut liabilities = Decimal::ZERO;
        let mut equity = Decimal::ZERO;
        for (key, class) in &account_lines {
            let v = grid.get(key, k);
            match class {
                AccountClass::Asset => assets += v,
                AccountClass::Liability => liabilities += v,
                _ => equity += v,
            }
        }
        for key in [
            EQUITY_AT_ACQUISITION,
            RETAINED_EARNINGS,
            CURRENT_YEAR_EARNINGS,
            TRANSLATION_RESERVE,
            NON_CONTROLLING_INTEREST,
        ] {
            equity += grid.get(key, k);
        }
        ta.insert(k.clone(), tidy(assets));
        tl.insert(k.clone(), tidy(liabilities));
        na.insert(k.clone(), tidy(assets - liabilities));
        te.insert(k.clone(), tidy(equity));
        balance_check.insert(k.clone(), tidy(assets - liabilities - equity));
    }
    totals.push((TOTAL_ASSETS, ta));
    totals.push((TOTAL_LIABILITIES, tl));
    totals.push((NET_ASSETS, na));
    totals.push((TOTAL_EQUITY, te));
    for (key, values) in totals {
        lines.push(BsLine {
            key: key.to_string(),
            section: "Totals".into(),
            account_code: None,
            account_name: special_name(key).into(),
            values,
        });
    }
    for (k, v) in &balance_check {
        if !v.is_zero() {
            let name = columns
                .iter()
                .find(|c| &c.key == k)
                .map(|c| c.name.as_str())
                .unwrap_or(k);
            warnings.push(format!(
                "{name}: net assets and equity differ by {v} at {at}. Equity moved other than by profit and recorded contributions (a dividend, a revaluation, an equity account posted directly); record it on the ownership page or check the entity's equity in Xero."
            ));
        }
    }
    rates_used.sort_by(|a, b| a.currency.as_str().cmp(b.currency.as_str()));
    rates_used.dedup();
    BalanceSheetReport {
        currency: input.presentation_currency,
        at,
        columns,
        lines,
        balance_check,
        translation_reserve: roll_forwards,
        profit_attributable_to_owners: owners_profit,
        profit_attributable_to_nci: nci_profit,
        rates: rates_used,
        tie_out,
        intercompany_balances: ic.pairs,
        warnings,
    }
}

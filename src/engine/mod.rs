//! The consolidation engine: pure functions from a group's parsed data to a
//! consolidated P&L, its provenance, suggestions and the intercompany
//! reconciliation. No IO, no async, no floats: every amount and rate is a
//! [`rust_decimal::Decimal`].
//!
//! Entry points: [`consolidate`] (the P&L with its [`Provenance`]),
//! [`balance_sheet::consolidate_balance_sheet`] (the balance sheet at a
//! month end, with its translation reserve and non-controlling interest),
//! [`reconcile_intercompany`], [`suggest_account_mappings`],
//! [`group_chart_from_entity`] and [`suggest_intercompany_contacts`]. The
//! inputs are the plain structs of [`GroupData`], as a store loads them;
//! the outputs serialise with every decimal as a JSON string.
//!
//! The provenance borrows the input and is kept apart from the report: a
//! UI opens one cell with [`Provenance::cell`]. The engine is pure, so a
//! later request can run it again on the same data to open a cell.
//!
//! The rules are `shared/design/consolidation-rules.md`; the choices they
//! leave open are written down where they are made and summarised here:
//!
//! - **Signs.** Source amounts come as Xero shows them (income and costs
//!   both positive in their sections); the entity account's class says how
//!   each moves profit. Report lines show amounts the same way (costs
//!   positive under cost sections), except the Unmapped section, which
//!   mixes classes and so shows each amount as its effect on profit
//!   (costs negative) so that its total foots. Net Profit = Income − Cost of
//!   Sales + Other Income − Operating Expenses − Other Expenses + Unmapped.
//! - **Rounding.** One rounding per (entity, account, month) of source
//!   amounts (rows of the same key and month are summed first), and the
//!   same for eliminations: each line's base amount rounded as Xero posts
//!   it, summed per (entity, account, month), translated and rounded once,
//!   so an account of intercompany lines only consolidates to exactly zero.
//! - **Missing rates.** Flagged for every entity and month of the period
//!   whose currency has no average rate, whether or not amounts exist; the
//!   entity's amounts and eliminations of that month are left out.
//! - **Elimination signs.** A sales invoice (ACCREC) line credits its
//!   account, so it raised the seller's profit by its translated amount; a
//!   bill (ACCPAY) line lowered the buyer's. Elimination removes exactly
//!   that effect from the group account the line's account maps to (an
//!   unmapped account's own Unmapped line), whatever the account's class.
//!   A line's account is its `AccountID` when given, else its
//!   `AccountCode` looked up in the entity's chart; a line on an account
//!   that cannot be found, or on a foreign invoice without a usable
//!   `CurrencyRate`, is listed as a warning and not eliminated.
//! - **Rows without an AccountID.** System rows (`FXGROUPID`) are amounts
//!   that move profit by the section of Xero's report they sat in (up under
//!   income, down under costs), as Xero's Net Profit counts them; they show
//!   under Unmapped unless a mapping of that entity names their key. A
//!   source AccountID missing from the entity's chart moves profit by its
//!   section too, is a warning and shows under Unmapped. Summary rows are
//!   listed on the report and never summed.
//! - **Credit notes and spend/receive money** are eliminated like invoices
//!   with their own sign, and reconciled with their own kind.
//! - **Balance-sheet purchases.** A sale the buyer put on the balance sheet
//!   is eliminated and held on an "Unrealised intercompany profit" line
//!   (with a warning), never half-eliminated.
//! - **Completeness.** An entity month without a synced P&L is an error and
//!   its eliminations wait; a month without Xero's Net Profit is "not tied
//!   out"; Gross Profit is tied out too; records the loader cannot read are
//!   warnings.
//! - **Mappings to balance-sheet group accounts** do not count on a P&L:
//!   such accounts show as Unmapped.
//! - **Tie-out** compares, per entity and month, Xero's Net Profit with the
//!   sum of the entity's rows in its base currency (before translation, so
//!   a missing rate does not hide a difference); any difference is flagged.
//! - **Reconciliation.** One-to-one pairs, first by equal `InvoiceNumber`
//!   (trimmed, case-insensitive), then by currency, `Total` and dates at
//!   most [`MATCH_WINDOW_DAYS`] apart (closest first). Bills dated a month
//!   either side of the period may pair with its invoices; a pair belongs
//!   to its seller's month. `matched` means equal currency and `Total`.
//! - **Columns** are ordered by entity name, then id, so the input order of
//!   entities does not matter. Column keys are `entity:<id>`,
//!   `eliminations`, `consolidated`; line keys are `group:<id>`,
//!   `unmapped:<entity id>:<AccountID>`, `total:<section>`, `gross_profit`,
//!   `net_profit`.
//! - **Hashing.** Lookup tables use a small multiply-rotate hasher (see
//!   `hash.rs`): the keys are Xero and store ids, not attacker-chosen.

mod assemble;
pub mod attribution;
pub mod balance_sheet;
pub mod bs_cell;
pub mod bs_cell_parts;
mod consolidate;
mod eliminate;
mod error;
mod hash;
pub mod ic_balances;
mod index;
mod input;
mod intercompany;
mod layout;
mod lines;
mod money;
mod provenance;
mod reconcile;
mod report;
mod suggest;
mod translate;
mod unrealised;
mod warnings;
mod workspace;

pub use assemble::{AssembleError, assemble};
pub use consolidate::{Consolidation, consolidate};
pub use error::EngineError;
pub use input::*;
pub use intercompany::{line_net_amount, to_base_currency};
pub use money::{round_to, translate, translate_units};
pub use provenance::{
    CellProvenance, EliminatedLine, EliminationSum, Provenance, SourceAmount, SourceRowRef,
};
pub use reconcile::{
    DocumentKind, IntercompanyPair, IntercompanyReconciliation, MATCH_WINDOW_DAYS, MatchStatus,
    MatchedBy, PairSummary, Side, reconcile_intercompany,
};
pub use report::*;
pub use suggest::{
    ContactSuggestion, GroupChart, LEGAL_SUFFIXES, MappingBasis, MappingSuggestion, NameMatch,
    group_chart_from_entity, normalise_name, normalise_organisation_name, section_for,
    suggest_account_mappings, suggest_intercompany_contacts,
};
pub use unrealised::HOLD_WINDOW_DAYS;
pub use warnings::{IntercompanyIssue, Severity, Warning};

//! Rule 5: what made each cell. Kept apart from the report (it can be
//! large) and addressed by (line key, column key), so a UI opens one cell.
//! Internally it borrows the input; [`Provenance::cell`] returns an owned,
//! serialisable copy of one cell.

use std::sync::Arc;

use rust_decimal::Decimal;
use serde::Serialize;

use super::hash::FastMap;
use super::input::{EntityId, Invoice, InvoiceLine, InvoiceType, PnlAmount, SourceRow};
use super::lines::signed;
use super::money::translate;
use super::report::CONSOLIDATED;
use crate::domain::{CurrencyCode, Month};

/// One entity's source rows over the period, per slot (one slot per entity
/// key: AccountID or system key) and month. Translated figures are worked
/// out again, by the same functions, only when a cell is opened.
#[derive(Default)]
pub(crate) struct EntityRows<'a> {
    /// Σ rows, as Xero reports them, at `slot × months + month`.
    pub base: Vec<Decimal>,
    /// The first row of each slot and month, same index.
    pub first: Vec<Option<&'a PnlAmount>>,
    /// Further rows of a slot and month (rare): (slot, month, row).
    pub extra: Vec<(u32, u32, &'a PnlAmount)>,
    /// +1 or -1 per slot: how its amounts move profit.
    pub profit_sign: Vec<i8>,
}

/// An invoice line behind an elimination cell.
pub(crate) struct EliminationItem<'a> {
    pub entity: EntityId,
    pub invoice: &'a Invoice,
    pub line: &'a InvoiceLine,
    pub account_id: &'a str,
    pub month: Month,
    pub net: Decimal,
    pub base: Decimal,
    pub rate: Decimal,
    pub translated: Decimal,
    pub cell_amount: Decimal,
}

/// The translated sum of the intercompany lines of one (entity, account,
/// month) behind an elimination cell.
pub(crate) struct EliminationSumItem<'a> {
    pub entity: EntityId,
    pub account_id: &'a str,
    pub month: Month,
    pub base: Decimal,
    pub rate: Decimal,
    pub translated: Decimal,
    pub cell_amount: Decimal,
}

/// Gathers provenance while a report is computed: flat lists tagged with
/// their cell (line, column). Nothing is indexed while the report is built;
/// opening a cell scans the lists once, which takes well under a
/// millisecond even for a large group.
#[derive(Default)]
pub(crate) struct ProvenanceBuilder<'a> {
    /// (line, column, entity position, slot).
    entity_items: Vec<(u32, u32, u32, u32)>,
    /// (line, column, item).
    eliminations: Vec<(u32, u32, EliminationItem<'a>)>,
    /// (line, column, item).
    elimination_sums: Vec<(u32, u32, EliminationSumItem<'a>)>,
    pub entities: Vec<EntityRows<'a>>,
}

impl<'a> ProvenanceBuilder<'a> {
    /// Makes room for `n` more entity items at once.
    pub fn reserve_entity_items(&mut self, n: usize) {
        self.entity_items.reserve(n);
    }

    /// Makes room for `n` more eliminated lines at once.
    pub fn reserve_eliminations(&mut self, n: usize) {
        self.eliminations.reserve(n);
    }

    pub fn push_entity(&mut self, line: u32, col: u32, entity_pos: u32, slot: u32) {
        self.entity_items.push((line, col, entity_pos, slot));
    }

    pub fn push_elimination(&mut self, line: u32, col: u32, item: EliminationItem<'a>) {
        self.eliminations.push((line, col, item));
    }

    pub fn push_elimination_sum(&mut self, line: u32, col: u32, item: EliminationSumItem<'a>) {
        self.elimination_sums.push((line, col, item));
    }
}

/// Provenance of every cell of a report.
pub struct Provenance<'a> {
    pub(crate) columns: Arc<[String]>,
    pub(crate) lines: FastMap<String, u32>,
    /// Display sign of each line (by line index).
    pub(crate) line_signs: Vec<i8>,
    pub(crate) built: ProvenanceBuilder<'a>,
    pub(crate) presentation: CurrencyCode,
    pub(crate) months: Vec<Month>,
    pub(crate) entity_ids: Vec<EntityId>,
    /// `[entity position][month]` average rates into P.
    pub(crate) entity_rates: Vec<Vec<Option<Decimal>>>,
}

/// One source amount of an entity cell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceAmount {
    pub entity: EntityId,
    /// The Xero AccountID (or the system key, such as `FXGROUPID`).
    pub account_id: String,
    pub month: Month,
    /// In the entity's base currency, as Xero reports it.
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    /// The rows that made `amount`, with the sync run that fetched each.
    pub rows: Vec<SourceRowRef>,
    #[serde(with = "rust_decimal::serde::str")]
    pub rate: Decimal,
    /// `amount × rate`, rounded to the presentation currency.
    #[serde(with = "rust_decimal::serde::str")]
    pub translated: Decimal,
    /// What it adds to the cell as displayed (the sign of the line).
    #[serde(with = "rust_decimal::serde::str")]
    pub cell_amount: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceRowRef {
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub sync_run_id: Option<i64>,
}

/// One invoice line behind an elimination cell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EliminatedLine {
    pub entity: EntityId,
    pub invoice_id: String,
    pub invoice_number: Option<String>,
    pub invoice_type: InvoiceType,
    pub line_item_id: String,
    pub account_id: String,
    pub account_code: Option<String>,
    pub month: Month,
    pub currency: CurrencyCode,
    /// Net amount in the invoice currency.
    #[serde(with = "rust_decimal::serde::str")]
    pub net_amount: Decimal,
    #[serde(with = "super::money::opt_str")]
    pub currency_rate: Option<Decimal>,
    /// In the entity's base currency, rounded to its minor units half away
    /// from zero, as Xero posts it.
    #[serde(with = "rust_decimal::serde::str")]
    pub base_amount: Decimal,
    /// Average rate of the month into the presentation currency.
    #[serde(with = "rust_decimal::serde::str")]
    pub rate: Decimal,
    /// The line's share of its translated (entity, account, month) sum:
    /// `base_amount × rate` rounded, the last line of the sum taking the
    /// rounding difference (see [`EliminationSum`]).
    #[serde(with = "rust_decimal::serde::str")]
    pub translated: Decimal,
    /// What it adds to the elimination cell as displayed.
    #[serde(with = "rust_decimal::serde::str")]
    pub cell_amount: Decimal,
    pub sync_run_id: Option<i64>,
}

/// The intercompany lines of one (entity, account, month), summed in base
/// currency and translated once: what an elimination cell is made of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EliminationSum {
    pub entity: EntityId,
    pub account_id: String,
    pub month: Month,
    /// Σ of the lines' rounded base amounts, as the elimination's effect on
    /// the entity's profit (negative when it removes income).
    #[serde(with = "rust_decimal::serde::str")]
    pub base_amount: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub rate: Decimal,
    /// `base_amount × rate`, rounded once.
    #[serde(with = "rust_decimal::serde::str")]
    pub translated: Decimal,
    /// What it adds to the elimination cell as displayed.
    #[serde(with = "rust_decimal::serde::str")]
    pub cell_amount: Decimal,
}

/// Everything behind one cell. Its `cell_amount`s add up to the cell (the
/// `elimination_sums` repeat the `eliminations`, summed: count one or the
/// other).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CellProvenance {
    pub line_key: String,
    pub column_key: String,
    pub currency: CurrencyCode,
    pub sources: Vec<SourceAmount>,
    pub eliminations: Vec<EliminatedLine>,
    pub elimination_sums: Vec<EliminationSum>,
}

impl CellProvenance {
    /// Sum of what the sources and eliminations add to the cell.
    pub fn total(&self) -> Decimal {
        self.sources.iter().map(|s| s.cell_amount).sum::<Decimal>()
            + self
                .eliminations
                .iter()
                .map(|e| e.cell_amount)
                .sum::<Decimal>()
    }
}

impl Provenance<'_> {
    /// What made the cell of an account line. Total and subtotal lines have
    /// none of their own (open their account lines); unknown keys give
    /// `None`. The consolidated column gathers all columns of the line.
    pub fn cell(&self, line_key: &str, column_key: &str) -> Option<CellProvenance> {
        let line = *self.lines.get(line_key)?;
        // `None` stands for every column (the consolidated one).
        let col: Option<u32> = if column_key == CONSOLIDATED {
            None
        } else {
            Some(self.columns.iter().position(|k| k == column_key)? as u32)
        };
        let wanted = |l: u32, c: u32| l == line && col.is_none_or(|x| x == c);
        let mut out = CellProvenance {
            line_key: line_key.to_string(),
            column_key: column_key.to_string(),
            currency: self.presentation,
            sources: Vec::new(),
            eliminations: Vec::new(),
            elimination_sums: Vec::new(),
        };
        let display = self.line_signs[line as usize];
        let b = &self.built;
        for &(l, c, pos, slot) in &b.entity_items {
            if wanted(l, c) {
                self.push_entity(&mut out, display, pos as usize, slot as usize);
            }
        }
        for (l, c, item) in &b.eliminations {
            if wanted(*l, *c) {
                out.eliminations.push(eliminated_line(item));
            }
        }
        for (l, c, s) in &b.elimination_sums {
            if wanted(*l, *c) {
                out.elimination_sums.push(EliminationSum {
                    entity: s.entity,
                    account_id: s.account_id.to_string(),
                    month: s.month,
                    base_amount: s.base,
                    rate: s.rate,
                    translated: s.translated,
                    cell_amount: s.cell_amount,
                });
            }
        }
        Some(out)
    }

    /// Keys of the lines that have provenance.
    pub fn line_keys(&self) -> impl Iterator<Item = &str> {
        self.lines.keys().map(String::as_str)
    }
}

impl Provenance<'_> {
    fn push_entity(&self, out: &mut CellProvenance, display: i8, pos: usize, slot: usize) {
        let rows = &self.built.entities[pos];
        let n = self.months.len();
        let dp = self.presentation.minor_units();
        let sign = rows.profit_sign[slot];
        for m in 0..n {
            let i = slot * n + m;
            let Some(first) = rows.first[i] else { continue };
            // Months without a rate are not in the cell (they are errors).
            let Some(rate) = self.entity_rates[pos][m] else {
                continue;
            };
            // It was translated once already, so it fits.
            let translated = translate(rows.base[i], rate, dp).unwrap_or_default();
            let mut refs = vec![SourceRowRef {
                amount: first.amount,
                sync_run_id: first.sync_run_id,
            }];
            refs.extend(
                rows.extra
                    .iter()
                    .filter(|(s, em, _)| *s as usize == slot && *em as usize == m)
                    .map(|(_, _, r)| SourceRowRef {
                        amount: r.amount,
                        sync_run_id: r.sync_run_id,
                    }),
            );
            out.sources.push(SourceAmount {
                entity: self.entity_ids[pos],
                account_id: source_key(first),
                month: self.months[m],
                amount: rows.base[i],
                rows: refs,
                rate,
                translated,
                cell_amount: signed(display * sign, translated),
            });
        }
    }
}

fn eliminated_line(e: &EliminationItem<'_>) -> EliminatedLine {
    EliminatedLine {
        entity: e.entity,
        invoice_id: e.invoice.invoice_id.clone(),
        invoice_number: e.invoice.invoice_number.clone(),
        invoice_type: e.invoice.invoice_type,
        line_item_id: e.line.line_item_id.clone(),
        account_id: e.account_id.to_string(),
        account_code: e.line.account_code.clone(),
        month: e.month,
        currency: e.invoice.currency,
        net_amount: e.net,
        currency_rate: e.invoice.currency_rate,
        base_amount: e.base,
        rate: e.rate,
        translated: e.translated,
        cell_amount: e.cell_amount,
        sync_run_id: e.invoice.sync_run_id,
    }
}

fn source_key(r: &PnlAmount) -> String {
    match &r.row {
        SourceRow::Account { account_id, .. } => account_id.clone(),
        SourceRow::System(sys) => sys.key.clone(),
        SourceRow::Summary(label) => label.to_string(),
    }
}

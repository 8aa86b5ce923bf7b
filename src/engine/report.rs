//! The consolidated P&L as the API returns it. Every decimal serialises as
//! a JSON string.

use std::sync::Arc;

use rust_decimal::Decimal;
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use super::input::EntityId;
use super::warnings::Warning;
use crate::domain::{CurrencyCode, Month};

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnKind {
    Entity,
    Eliminations,
    Consolidated,
}

/// A column of the report. Keys: `entity:<id>`, `eliminations`,
/// `consolidated`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Column {
    pub key: String,
    pub name: String,
    pub kind: ColumnKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity: Option<EntityId>,
}

/// The key of the eliminations column.
pub const ELIMINATIONS: &str = "eliminations";
/// The key of the unrealised intercompany profit line.
pub const UNREALISED_LINE: &str = "unrealised_intercompany_profit";

/// The key of the consolidated column.
pub const CONSOLIDATED: &str = "consolidated";

/// The column key of an entity.
pub fn entity_column_key(id: EntityId) -> String {
    format!("entity:{}", id.0)
}

/// One value per column, in the order of the report's columns. Serialises
/// as a JSON object `{<column key>: "decimal"}` with every column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnValues {
    keys: Arc<[String]>,
    values: Values,
}

/// Lines of an Unmapped account touch three columns of possibly hundreds:
/// they keep only those.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Values {
    Dense(Vec<Decimal>),
    Sparse {
        zero: Decimal,
        /// (column index, value), in column order.
        cells: Vec<(u32, Decimal)>,
    },
}

impl ColumnValues {
    pub(crate) fn new(keys: Arc<[String]>, values: Vec<Decimal>) -> Self {
        debug_assert_eq!(keys.len(), values.len());
        Self {
            keys,
            values: Values::Dense(values),
        }
    }

    pub(crate) fn sparse(keys: Arc<[String]>, zero: Decimal, cells: Vec<(u32, Decimal)>) -> Self {
        debug_assert!(cells.windows(2).all(|w| w[0].0 < w[1].0));
        Self {
            keys,
            values: Values::Sparse { zero, cells },
        }
    }

    /// Column by column `self + other` (same columns), kept sparse when
    /// both are sparse over the same columns. A zero sum is written as a
    /// plain zero of the sum's scale, as the engine writes its zeros.
    pub(crate) fn plus(&self, other: &ColumnValues) -> ColumnValues {
        let add = |a: Decimal, b: Decimal| {
            let s = a + b;
            if s.is_zero() {
                Decimal::new(0, s.scale())
            } else {
                s
            }
        };
        match (&self.values, &other.values) {
            (Values::Sparse { zero, cells: a }, Values::Sparse { zero: z2, cells: b })
                if a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.0 == y.0) =>
            {
                Self {
                    keys: self.keys.clone(),
                    values: Values::Sparse {
                        zero: add(*zero, *z2),
                        cells: a.iter().zip(b).map(|(x, y)| (x.0, add(x.1, y.1))).collect(),
                    },
                }
            }
            _ => Self {
                keys: self.keys.clone(),
                values: Values::Dense(
                    (0..self.keys.len())
                        .map(|i| add(self.at(i), other.at(i)))
                        .collect(),
                ),
            },
        }
    }

    /// Zero in every column, in the same form (`zero` is the engine's zero
    /// of the presentation currency).
    pub(crate) fn zeros_like(&self, zero: Decimal) -> ColumnValues {
        let values = match &self.values {
            Values::Dense(v) => Values::Dense(vec![zero; v.len()]),
            Values::Sparse { cells, .. } => Values::Sparse {
                zero,
                cells: cells.iter().map(|(c, _)| (*c, zero)).collect(),
            },
        };
        Self {
            keys: self.keys.clone(),
            values,
        }
    }

    /// The value of the column at `index`.
    pub fn at(&self, index: usize) -> Decimal {
        match &self.values {
            Values::Dense(v) => v[index],
            Values::Sparse { zero, cells } => cells
                .iter()
                .find(|(c, _)| *c as usize == index)
                .map_or(*zero, |(_, v)| *v),
        }
    }

    /// The value of the column with this key.
    pub fn get(&self, column_key: &str) -> Option<Decimal> {
        self.keys
            .iter()
            .position(|k| k == column_key)
            .map(|i| self.at(i))
    }

    /// Number of columns.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Values in column order.
    pub fn to_vec(&self) -> Vec<Decimal> {
        (0..self.keys.len()).map(|i| self.at(i)).collect()
    }

    /// (column key, value) in column order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Decimal)> {
        self.keys
            .iter()
            .enumerate()
            .map(|(i, k)| (k.as_str(), self.at(i)))
    }
}

impl Serialize for ColumnValues {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.keys.len()))?;
        for (k, v) in self.iter() {
            map.serialize_entry(k, &v.to_string())?;
        }
        map.end()
    }
}

/// Where a line shows. Subtotals (Gross Profit, Net Profit) are sections of
/// their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Section {
    #[serde(rename = "Income")]
    Income,
    #[serde(rename = "Cost of Sales")]
    CostOfSales,
    #[serde(rename = "Gross Profit")]
    GrossProfit,
    #[serde(rename = "Other Income")]
    OtherIncome,
    #[serde(rename = "Operating Expenses")]
    OperatingExpenses,
    #[serde(rename = "Other Expenses")]
    OtherExpenses,
    #[serde(rename = "Unmapped")]
    Unmapped,
    #[serde(rename = "Net Profit")]
    NetProfit,
}

impl Section {
    /// The sections that hold account lines, in report order.
    pub const POSTING: [Section; 6] = [
        Section::Income,
        Section::CostOfSales,
        Section::OtherIncome,
        Section::OperatingExpenses,
        Section::OtherExpenses,
        Section::Unmapped,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Self::Income => "Income",
            Self::CostOfSales => "Cost of Sales",
            Self::GrossProfit => "Gross Profit",
            Self::OtherIncome => "Other Income",
            Self::OperatingExpenses => "Operating Expenses",
            Self::OtherExpenses => "Other Expenses",
            Self::Unmapped => "Unmapped",
            Self::NetProfit => "Net Profit",
        }
    }

    /// How a line of this section shows profit: +1 when a positive figure
    /// adds to profit (income, and Unmapped, which is signed as its effect
    /// on profit), -1 for costs.
    pub fn display_sign(self) -> Decimal {
        match self {
            Self::CostOfSales | Self::OperatingExpenses | Self::OtherExpenses => {
                Decimal::NEGATIVE_ONE
            }
            _ => Decimal::ONE,
        }
    }
}

/// What a line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    Account,
    SectionTotal,
    GrossProfit,
    NetProfit,
}

/// A line of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportLine {
    /// Stable key of the line, used to open a cell's provenance:
    /// `group:<id>`, `unmapped:<entity id>:<AccountID>`,
    /// `unrealised_intercompany_profit`, `total:<section>`, `gross_profit`,
    /// `net_profit`.
    pub key: String,
    pub kind: LineKind,
    pub section: Section,
    pub account_code: Option<String>,
    pub account_name: String,
    /// For an Unmapped line, the entity the account belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity: Option<EntityId>,
    pub values: ColumnValues,
}

/// A line of a month: the key of the report line it repeats, and its values
/// for that month alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MonthlyLine {
    pub key: String,
    pub values: ColumnValues,
}

/// The report's lines for one month, in the same order as the report's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MonthlyReport {
    pub month: Month,
    pub lines: Vec<MonthlyLine>,
    pub net_profit: ColumnValues,
}

impl MonthlyReport {
    /// The line with this key.
    pub fn line(&self, key: &str) -> Option<&MonthlyLine> {
        self.lines.iter().find(|l| l.key == key)
    }
}

/// An average rate the report used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RateUsed {
    pub currency: CurrencyCode,
    pub month: Month,
    #[serde(with = "rust_decimal::serde::str")]
    pub average: Decimal,
}

/// Whether an entity month ties to Xero's own figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TieOutStatus {
    /// Net Profit (and Gross Profit, where Xero reports it) agree.
    Ties,
    /// Net Profit or Gross Profit differ.
    Differs,
    /// Xero sent no Net Profit row: nothing to tie to.
    NotTiedOut,
}

/// Xero's Net Profit beside the engine's sum, per entity and month, in the
/// entity's base currency, before translation and eliminations; Gross
/// Profit the same way where Xero reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TieOut {
    pub entity: EntityId,
    pub month: Month,
    pub currency: CurrencyCode,
    #[serde(with = "super::money::opt_str")]
    pub xero_net_profit: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str")]
    pub computed: Decimal,
    /// `computed - xero_net_profit`; null when Xero's figure is missing.
    #[serde(with = "super::money::opt_str")]
    pub difference: Option<Decimal>,
    /// Xero's Gross Profit row; null when Xero sent none.
    #[serde(with = "super::money::opt_str")]
    pub xero_gross_profit: Option<Decimal>,
    /// Income less Cost of Sales, as the sections of Xero's report hold
    /// the rows.
    #[serde(with = "rust_decimal::serde::str")]
    pub computed_gross_profit: Decimal,
    /// `computed_gross_profit - xero_gross_profit`; null when Xero's figure
    /// is missing.
    #[serde(with = "super::money::opt_str")]
    pub gross_profit_difference: Option<Decimal>,
    pub status: TieOutStatus,
}

/// A summary row of an entity's Xero report: kept and listed, never summed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SummaryRow {
    pub entity: EntityId,
    pub month: Month,
    pub label: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
}

/// The period of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    pub from: Month,
    pub to: Month,
}

/// The consolidated profit and loss of a group for a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProfitAndLossReport {
    pub currency: CurrencyCode,
    pub period: Period,
    pub columns: Vec<Column>,
    pub lines: Vec<ReportLine>,
    pub net_profit: ColumnValues,
    pub rates: Vec<RateUsed>,
    pub warnings: Vec<Warning>,
    pub tie_out: Vec<TieOut>,
    pub summary_rows: Vec<SummaryRow>,
    /// The same lines month by month, for trend charts.
    pub months: Vec<MonthlyReport>,
}

/// A line that a total is made of, and whether it adds (+1) or is taken
/// away (-1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part<'a> {
    pub line: &'a ReportLine,
    pub sign: Decimal,
}

impl ProfitAndLossReport {
    /// The line with this key.
    pub fn line(&self, key: &str) -> Option<&ReportLine> {
        self.lines.iter().find(|l| l.key == key)
    }

    /// What a total line is made of, for its provenance: a section total
    /// sums its account lines; Gross Profit is Income less Cost of Sales;
    /// Net Profit is Gross Profit, plus Other Income and Unmapped, less the
    /// expense sections. `None` for an account line or an unknown key.
    pub fn parts(&self, key: &str) -> Option<Vec<Part<'_>>> {
        let total = self.line(key)?;
        let totals_of = |sections: &[Section]| -> Vec<Part<'_>> {
            self.lines
                .iter()
                .filter(|l| l.kind == LineKind::SectionTotal && sections.contains(&l.section))
                .map(|l| Part {
                    line: l,
                    sign: l.section.display_sign(),
                })
                .collect()
        };
        Some(match total.kind {
            LineKind::Account => return None,
            LineKind::SectionTotal => self
                .lines
                .iter()
                .filter(|l| l.kind == LineKind::Account && l.section == total.section)
                .map(|l| Part {
                    line: l,
                    sign: Decimal::ONE,
                })
                .collect(),
            LineKind::GrossProfit => totals_of(&[Section::Income, Section::CostOfSales]),
            LineKind::NetProfit => {
                let gross = self
                    .lines
                    .iter()
                    .filter(|l| l.kind == LineKind::GrossProfit);
                gross
                    .map(|l| Part {
                        line: l,
                        sign: Decimal::ONE,
                    })
                    .chain(totals_of(&[
                        Section::OtherIncome,
                        Section::OperatingExpenses,
                        Section::OtherExpenses,
                        Section::Unmapped,
                    ]))
                    .collect()
            }
        })
    }

    /// The monthly breakdown of one month.
    pub fn month(&self, m: Month) -> Option<&MonthlyReport> {
        self.months.iter().find(|r| r.month == m)
    }
}

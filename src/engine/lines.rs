//! The report's account lines while a report is being computed: which line
//! an entity account lands on (rule 2), and the per-month, per-column
//! values of each line.
//!
//! Values are kept as each amount's effect on profit (income +, costs -);
//! they are turned into the sign of their section only when the report is
//! laid out.

use super::hash::FastMap;

use rust_decimal::Decimal;

use super::index::KeyInfo;
use super::input::{AccountClass, AccountSection, GroupAccount};
use super::report::Section;

/// What a line stands for.
pub(crate) enum LineId<'a> {
    Group(&'a GroupAccount),
    Unmapped {
        entity_pos: usize,
        key: &'a str,
        code: Option<&'a str>,
        name: &'a str,
        /// True when the key is not in the entity's chart at all.
        unknown: bool,
    },
    /// The seller's profit on intercompany sales that the buyer put on the
    /// balance sheet (rule 4): an elimination line of its own.
    Unrealised,
}

impl LineId<'_> {
    pub fn section(&self) -> Section {
        match self {
            Self::Group(g) => section_of(g.section),
            Self::Unmapped { .. } => Section::Unmapped,
            // It holds back revenue eliminated from Income.
            Self::Unrealised => Section::Income,
        }
    }
}

pub(crate) fn section_of(s: AccountSection) -> Section {
    match s {
        AccountSection::Income => Section::Income,
        AccountSection::CostOfSales => Section::CostOfSales,
        AccountSection::OtherIncome => Section::OtherIncome,
        AccountSection::OperatingExpenses => Section::OperatingExpenses,
        AccountSection::OtherExpenses => Section::OtherExpenses,
        // Filtered out by the index; shown as Unmapped should one slip by.
        AccountSection::Bank
        | AccountSection::CurrentAssets
        | AccountSection::FixedAssets
        | AccountSection::NonCurrentAssets
        | AccountSection::CurrentLiabilities
        | AccountSection::NonCurrentLiabilities
        | AccountSection::Equity => Section::Unmapped,
    }
}

/// Where an entity key lands and how its amounts move profit.
#[derive(Clone, Copy)]
pub(crate) struct Resolved {
    pub line: u32,
    /// +1 when a positive amount as Xero shows it raises profit, -1 when it
    /// lowers it.
    pub profit_sign: i8,
}

pub(crate) struct Lines<'a> {
    pub ids: Vec<LineId<'a>>,
    /// Per line: profit effects in minor units of the presentation
    /// currency (every amount is rounded to them before it is added, so
    /// integers hold them exactly), column-major (the months of one column
    /// are adjacent, as an entity's amounts arrive). A group line holds every
    /// column; an Unmapped line only its entity's, the eliminations and the
    /// consolidated column (nothing else can touch it), 3 per month.
    values: Vec<Vec<i128>>,
    /// Line of each group account, by its position in the group chart.
    by_group: Vec<u32>,
    by_unmapped: FastMap<(usize, &'a str), u32>,
    unrealised: Option<u32>,
    months: usize,
    columns: usize,
}

const NARROW: usize = 3;
const NO_LINE: u32 = u32::MAX;

impl<'a> Lines<'a> {
    /// `columns` counts the entity columns, then eliminations, then
    /// consolidated.
    pub fn new(months: usize, columns: usize, group_accounts: usize) -> Self {
        Self {
            ids: Vec::new(),
            values: Vec::new(),
            by_group: vec![NO_LINE; group_accounts],
            by_unmapped: FastMap::default(),
            unrealised: None,
            months,
            columns,
        }
    }

    fn add_line(&mut self, id: LineId<'a>) -> u32 {
        let n = self.ids.len() as u32;
        let width = match id {
            LineId::Group(_) | LineId::Unrealised => self.columns,
            LineId::Unmapped { .. } => NARROW,
        };
        self.ids.push(id);
        self.values.push(vec![0; self.months * width]);
        n
    }

    /// Where (line, month, column) is stored, if the line has the column.
    #[inline]
    fn index(&self, line: usize, m: usize, col: usize) -> Option<usize> {
        match &self.ids[line] {
            LineId::Group(_) | LineId::Unrealised => Some(col * self.months + m),
            LineId::Unmapped { entity_pos, .. } => {
                let k = if col == *entity_pos {
                    0
                } else if col == self.columns - 2 {
                    1
                } else if col == self.columns - 1 {
                    2
                } else {
                    return None;
                };
                Some(k * self.months + m)
            }
        }
    }

    /// Adds `v` to (line, month, column).
    #[inline]
    pub fn add(&mut self, line: u32, m: usize, col: usize, v: i128) {
        let i = self
            .index(line as usize, m, col)
            .expect("an Unmapped line takes only its own entity's amounts");
        self.values[line as usize][i] += v;
    }

    /// The months of (line, column), to add to in place.
    #[inline]
    pub fn column_mut(&mut self, line: u32, col: usize) -> &mut [i128] {
        let start = self
            .index(line as usize, 0, col)
            .expect("an Unmapped line takes only its own entity's amounts");
        &mut self.values[line as usize][start..start + self.months]
    }

    /// Copies the months of (line, column) into `out`; zeros for a column
    /// the line does not have.
    pub fn column_into(&self, line: usize, col: usize, out: &mut [i128]) {
        match self.index(line, 0, col) {
            Some(start) => out.copy_from_slice(&self.values[line][start..start + self.months]),
            None => out.fill(0),
        }
    }

    /// The value of (line, month, column).
    pub fn get(&self, line: usize, m: usize, col: usize) -> i128 {
        self.index(line, m, col).map_or(0, |i| self.values[line][i])
    }

    /// The entity column of an Unmapped line, `None` for a group line.
    pub fn narrow_entity(&self, line: usize) -> Option<usize> {
        match &self.ids[line] {
            LineId::Group(_) | LineId::Unrealised => None,
            LineId::Unmapped { entity_pos, .. } => Some(*entity_pos),
        }
    }

    /// consolidated = Σ entity columns + eliminations, per line and month.
    pub fn fill_consolidated(&mut self) {
        for (li, values) in self.values.iter_mut().enumerate() {
            let width = match self.ids[li] {
                LineId::Group(_) | LineId::Unrealised => self.columns,
                LineId::Unmapped { .. } => NARROW,
            };
            let (parts, total) = values.split_at_mut((width - 1) * self.months);
            total.fill(0);
            for column in parts.chunks_exact(self.months) {
                for (t, x) in total.iter_mut().zip(column) {
                    *t += *x;
                }
            }
        }
    }

    /// The unrealised intercompany profit line, made on first use.
    pub fn unrealised(&mut self) -> u32 {
        match self.unrealised {
            Some(l) => l,
            None => {
                let l = self.add_line(LineId::Unrealised);
                self.unrealised = Some(l);
                l
            }
        }
    }

    /// The line of entity key `key` (an AccountID or a system key) of the
    /// entity at `pos`. `info` is what the index knows of the key, `system`
    /// the label and class of a system row, `section` the class of the
    /// section of Xero's report the row sat in.
    pub fn resolve(
        &mut self,
        pos: usize,
        key: &'a str,
        info: KeyInfo<'a>,
        system: Option<(&'a str, AccountClass)>,
        section: Option<AccountClass>,
    ) -> Resolved {
        let account = info.account;
        let group = info.pnl_group();
        let profit_sign = match (account, system, section, group) {
            (Some(a), _, _, _) => a.class.profit_sign(),
            (None, Some((_, class)), _, _) => class.profit_sign(),
            // Not in the chart: as the section of Xero's report counted it,
            // so that the entity still ties to Xero's Net Profit.
            (None, None, Some(class), _) => class.profit_sign(),
            // Neither in the chart nor placed by Xero, but mapped: as its
            // group section shows it.
            (None, None, None, Some((g, _))) => section_of(g.section).display_sign(),
            // Nothing says which way it moves profit: as Xero shows amounts
            // (positive), with an UnknownSourceAccount warning.
            (None, None, None, None) => Decimal::ONE,
        };
        let line = match group {
            Some((g, at)) => match self.by_group[at as usize] {
                NO_LINE => {
                    let l = self.add_line(LineId::Group(g));
                    self.by_group[at as usize] = l;
                    l
                }
                l => l,
            },
            None => match self.by_unmapped.get(&(pos, key)) {
                Some(&l) => l,
                None => {
                    let (code, name) = match (account, system) {
                        (Some(a), _) => (a.code.as_deref(), a.name.as_str()),
                        (None, Some((label, _))) => (None, label),
                        (None, None) => (None, key),
                    };
                    let l = self.add_line(LineId::Unmapped {
                        entity_pos: pos,
                        key,
                        code,
                        name,
                        unknown: account.is_none() && system.is_none(),
                    });
                    self.by_unmapped.insert((pos, key), l);
                    l
                }
            },
        };
        Resolved {
            line,
            profit_sign: if profit_sign.is_sign_negative() {
                -1
            } else {
                1
            },
        }
    }
}

/// `d` with the sign `sign` (+1 or -1) applied.
#[inline]
pub(crate) fn signed(sign: i8, d: Decimal) -> Decimal {
    if sign < 0 { -d } else { d }
}

/// `v` with the sign `sign` (+1 or -1) applied.
#[inline]
pub(crate) fn signed_units(sign: i8, v: i128) -> i128 {
    if sign < 0 { -v } else { v }
}

/// An amount of minor units as a decimal with `dp` places.
#[inline]
pub(crate) fn from_units(v: i128, dp: u32) -> Decimal {
    Decimal::from_i128_with_scale(v, dp)
}

/// +1 when a positive figure in this section adds to profit, else -1.
#[inline]
pub(crate) fn display_sign(s: Section) -> i8 {
    if s.display_sign().is_sign_negative() {
        -1
    } else {
        1
    }
}

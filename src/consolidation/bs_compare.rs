//! The balance sheet's comparison column: the same report at the prior
//! month end or at the end of the prior financial year, reduced to its
//! consolidated figure per line, for the page, the JSON and the workbook.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::domain::Month;
use crate::engine::balance_sheet::BalanceSheetReport;
use crate::store::{Group, Store, StoreError};

/// Which earlier month end to compare with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CompareWith {
    PriorMonth,
    PriorYear,
}

impl CompareWith {
    /// `prior_month` or `prior_year`; `None` for anything else (the caller
    /// says what is accepted).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "prior_month" => Some(Self::PriorMonth),
            "prior_year" => Some(Self::PriorYear),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::PriorMonth => "prior_month",
            Self::PriorYear => "prior_year",
        }
    }

    /// The month end compared with: the month before `at`, or the last
    /// month of the financial year before the one `at` is in.
    pub fn month(self, at: Month, financial_year_end_month: u32) -> Month {
        match self {
            Self::PriorMonth => at.prev(),
            Self::PriorYear => at.financial_year_end(financial_year_end_month).plus(-12),
        }
    }
}

/// The comparison column: the consolidated value of each line at `at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Comparison {
    pub with: CompareWith,
    pub at: Month,
    /// Line key to its consolidated amount; a line the earlier report did
    /// not have is absent (shown blank, never as 0.00).
    pub consolidated: BTreeMap<String, Decimal>,
    /// Whether every column of the earlier report balanced.
    pub balances: bool,
    /// The earlier report's warnings, so a gap there is not hidden.
    pub warnings: Vec<String>,
}

/// The comparison of a group's balance sheet at `at` and the full report
/// it came from (the workbook writes its consolidated column).
pub async fn comparison(
    store: &Store,
    group: &Group,
    at: Month,
    with: CompareWith,
) -> Result<(Comparison, BalanceSheetReport), StoreError> {
    let earlier = with.month(at, group.financial_year_end_month as u32);
    let report = super::balance_sheet::balance_sheet(store, group, earlier).await?;
    Ok((of_report(with, &report), report))
}

/// The comparison column of an earlier report.
pub fn of_report(with: CompareWith, report: &BalanceSheetReport) -> Comparison {
    Comparison {
        with,
        at: report.at,
        consolidated: report
            .lines
            .iter()
            .filter_map(|l| Some((l.key.clone(), *l.values.get("consolidated")?)))
            .collect(),
        balances: report.balance_check.values().all(|v| v.is_zero()),
        warnings: report.warnings.clone(),
    }
}

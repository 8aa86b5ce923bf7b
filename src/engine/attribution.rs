//! Profit attributable to owners of the parent and to non-controlling
//! interests (rules section 3a, IFRS 10), for the P&L of a period: each
//! subsidiary owned below 100% gives the outside shareholders their share
//! of its translated profit for the months it was in the group.
//!
//! Pure: it reads the consolidated P&L report (its month-by-month entity
//! columns) and each subsidiary's percentage and acquisition month.

use rust_decimal::Decimal;
use serde::Serialize;

use super::input::EntityId;
use super::money::round_to;
use super::report::{CONSOLIDATED, ProfitAndLossReport, entity_column_key};
use crate::domain::Month;

/// A subsidiary's ownership, as far as attribution needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Holding {
    pub entity: EntityId,
    /// Percent held by the group, 0 < p ≤ 100.
    pub percent: Decimal,
    /// The month whose end is the acquisition date; profit of this month
    /// and earlier was made before the group owned it.
    pub acquired: Month,
}

/// One subsidiary's share to non-controlling interests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NciShare {
    pub entity: EntityId,
    pub percent: Decimal,
    /// Its translated profit over the period's months after acquisition.
    pub profit: Decimal,
    /// `profit × (100 − percent) / 100`, to the cent.
    pub non_controlling_interests: Decimal,
}

/// Net profit split between the owners of the parent and non-controlling
/// interests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProfitAttribution {
    pub owners_of_the_parent: Decimal,
    pub non_controlling_interests: Decimal,
    pub by_entity: Vec<NciShare>,
}

/// The attribution of `report`'s consolidated net profit; `None` when every
/// subsidiary is wholly owned (the P&L then shows no split).
pub fn attribute_profit(
    report: &ProfitAndLossReport,
    holdings: &[Holding],
) -> Option<ProfitAttribution> {
    let dp = report.currency.minor_units();
    let mut by_entity = Vec::new();
    for h in holdings {
        if h.percent >= Decimal::ONE_HUNDRED {
            continue;
        }
        let key = entity_column_key(h.entity);
        let profit: Decimal = report
            .months
            .iter()
            .filter(|m| m.month > h.acquired)
            .filter_map(|m| m.net_profit.get(&key))
            .sum();
        let share = (Decimal::ONE_HUNDRED - h.percent) / Decimal::ONE_HUNDRED;
        by_entity.push(NciShare {
            entity: h.entity,
            percent: h.percent,
            profit,
            non_controlling_interests: round_to(profit * share, dp),
        });
    }
    if by_entity.is_empty() {
        return None;
    }
    let nci: Decimal = by_entity.iter().map(|s| s.non_controlling_interests).sum();
    let total = report.net_profit.get(CONSOLIDATED).unwrap_or_default();
    Some(ProfitAttribution {
        owners_of_the_parent: total - nci,
        non_controlling_interests: nci,
        by_entity,
    })
}

//! Loads what the consolidated balance sheet at a month end needs, runs
//! the engine, and states every gap the store leaves (a missing balance
//! sheet or P&L month, an ownership not yet set up) as a warning on the
//! report.

use std::collections::HashMap;

use super::class_of;
use crate::domain::Month;
use crate::engine::balance_sheet::{
    BalanceSheetInput, BalanceSheetReport, BsAmount, BsEntity, BsGroupAccount, BsRow, Ownership,
    consolidate_balance_sheet_with,
};
use crate::engine::ic_balances::IcBalancesInput;
use crate::engine::{AccountClass, AccountSection, EntityId, FxRate, GroupAccountId};
use crate::store::{EntityView, Group, ReportKind, RowKind, Store, StoreError};

/// Xero's `account` attribute on the Current Year Earnings row.
const CURRENT_YEAR_EARNINGS_ID: &str = "00000000-0000-0000-0000-000000000000";

/// The class of a balance-sheet row that has no chart account, by the
/// section Xero put it in.
fn class_of_section(section: &str) -> AccountClass {
    let s = section.to_ascii_lowercase();
    if s.contains("liabilit") {
        AccountClass::Liability
    } else if s.contains("equity") {
        AccountClass::Equity
    } else {
        AccountClass::Asset
    }
}

/// The consolidated balance sheet of a group at the end of month `at`.
/// Pages, the API and exports ask the report service
/// (`crate::reports::Reports::balance_sheet`), which loads through
/// [`load_all`] and builds through [`consolidate`] as this does.
pub async fn balance_sheet(
    store: &Store,
    group: &Group,
    at: Month,
) -> Result<BalanceSheetReport, StoreError> {
    Ok(consolidate(load_all(store, group, at).await?).1)
}

/// Everything the balance sheet at a month end reads from the store: the
/// engine's input, the intercompany balances, and the gaps found loading
/// them.
#[derive(Debug)]
pub struct Loaded {
    input: BalanceSheetInput,
    ic: IcBalancesInput,
    gaps: Vec<String>,
}

/// Loads the balance sheet at the end of `at` and its intercompany
/// balances (IO only; [`consolidate`] runs the engine).
pub async fn load_all(store: &Store, group: &Group, at: Month) -> Result<Loaded, StoreError> {
    let (input, mut gaps) = load(store, group, at).await?;
    let views = store.entities_for_group(group.id).await?;
    let (ic, mut ic_gaps) = super::ic_balances::load(store, group, &views, at).await?;
    gaps.append(&mut ic_gaps);
    Ok(Loaded { input, ic, gaps })
}

/// Runs the engine on what [`load_all`] read, the loading gaps appended to
/// the report's warnings; gives the engine's input back for drill-downs.
pub fn consolidate(loaded: Loaded) -> (BalanceSheetInput, BalanceSheetReport) {
    let Loaded { input, ic, gaps } = loaded;
    let mut report = consolidate_balance_sheet_with(&input, &ic);
    report.warnings.extend(gaps);
    (input, report)
}

/// The engine's input, and the gaps found while loading it.
pub async fn load(
    store: &Store,
    group: &Group,
    at: Month,
) -> Result<(BalanceSheetInput, Vec<String>), StoreError> {
    let views = store.entities_for_group(group.id).await?;
    let mut gaps = Vec::new();
    let stored: HashMap<i64, crate::store::OwnershipRow> = store
        .ownership(group.id)
        .await?
        .into_iter()
        .map(|o| (o.entity_id, o))
        .collect();
    // The top entity owns the others; one with a recorded owner never is.
    let top = views
        .iter()
        .filter(|v| !stored.contains_key(&v.id))
        .find(|v| v.is_parent)
        .or_else(|| {
            views
                .iter()
                .find(|v| v.base_currency == group.presentation_currency)
        })
        .or(views.first())
        .map(|v| v.id);

    // Group accounts of the balance-sheet classes.
    let group_accounts: Vec<BsGroupAccount> = store
        .group_accounts(group.id)
        .await?
        .into_iter()
        .filter_map(|g| {
            let class = class_of(&g.class)?;
            (!class.is_profit_and_loss()).then_some(BsGroupAccount {
                id: GroupAccountId(g.id),
                code: g.code,
                name: g.name,
                class,
                // The group account's own Xero balance-sheet section.
                section: AccountSection::stored(&g.section, class)
                    .title()
                    .to_string(),
            })
        })
        .collect();
    let bs_ids: HashMap<i64, usize> = group_accounts
        .iter()
        .enumerate()
        .map(|(i, g)| (g.id.0, i))
        .collect();
    let mapped: HashMap<(i64, String), i64> = store
        .mappings(group.id)
        .await?
        .into_iter()
        .filter(|m| m.confirmed && bs_ids.contains_key(&m.group_account_id))
        .map(|m| ((m.organisation_id, m.account_id), m.group_account_id))
        .collect();
    let rates: Vec<FxRate> = store
        .fx_rates(group.id)
        .await?
        .into_iter()
        .map(|r| FxRate {
            currency: r.currency,
            month: r.month,
            average: r.average,
            closing: r.closing,
        })
        .collect();
    let fy_start = at
        .financial_year_end(group.financial_year_end_month as u32)
        .plus(-11);

    let mut entities = Vec::new();
    for v in &views {
        let rows = store
            .report_month(v.organisation_id, ReportKind::BalanceSheet, at)
            .await?;
        if rows.is_empty() {
            gaps.push(format!(
                "{}: no balance sheet synced for {at}; it is left out. Sync it, or choose a month it has.",
                v.name
            ));
            continue;
        }
        let chart: HashMap<String, AccountClass> = store
            .accounts_of(v.organisation_id)
            .await?
            .into_iter()
            .filter_map(|a| Some((a.account_id, a.class.as_deref().and_then(class_of)?)))
            .collect();
        let retained = store.retained_earnings_accounts(v.organisation_id).await?;
        let (amounts, total_assets, net_assets) = amounts_of(v, &rows, &chart, &retained, &mapped);

        let ownership = if let Some(o) = stored.get(&v.id) {
            Some(Ownership {
                owner: EntityId(o.owner_entity_id),
                percent: o.percent,
                acquired: o.acquired,
                equity_at_acquisition: o.equity_at_acquisition,
                historical_rate: o.historical_rate,
                investment_accounts: o.investment_accounts.clone(),
                contributions: o
                    .contributions
                    .iter()
                    .map(|c| (c.month, c.amount, c.historical_rate))
                    .collect(),
            })
        } else if Some(v.id) == top {
            None
        } else {
            match suggested_ownership(
                store,
                v,
                top,
                group.presentation_currency,
                &rates,
                &mut gaps,
            )
            .await?
            {
                Some(o) => Some(o),
                None => continue,
            }
        };
        let from = match &ownership {
            Some(o) => o.acquired.next(),
            None => fy_start,
        };
        let monthly_profit = net_profits(store, v, from, at, &mut gaps).await?;
        entities.push(BsEntity {
            id: EntityId(v.id),
            name: v.name.clone(),
            base_currency: v.base_currency,
            ownership,
            amounts,
            monthly_profit,
            xero_total_assets: total_assets,
            xero_net_assets: net_assets,
        });
    }
    Ok((
        BalanceSheetInput {
            presentation_currency: group.presentation_currency,
            financial_year_end_month: group.financial_year_end_month as u32,
            at,
            entities,
            group_accounts,
            rates,
        },
        gaps,
    ))
}

/// An entity's balance-sheet rows as engine amounts, with Xero's Total
/// Assets and Net Assets.
fn amounts_of(
    v: &EntityView,
    rows: &[crate::store::ReportAmount],
    chart: &HashMap<String, AccountClass>,
    retained: &[String],
    mapped: &HashMap<(i64, String), i64>,
) -> (
    Vec<BsAmount>,
    Option<rust_decimal::Decimal>,
    Option<rust_decimal::Decimal>,
) {
    let (mut total_assets, mut net_assets) = (None, None);
    let mut amounts = Vec::new();
    for r in rows {
        let is_cye = r.account_id.as_deref() == Some(CURRENT_YEAR_EARNINGS_ID)
            || (r.kind != RowKind::Account && r.label == "Current Year Earnings");
        if is_cye {
            amounts.push(BsAmount {
                row: BsRow::CurrentYearEarnings,
                amount: r.amount,
            });
            continue;
        }
        match r.kind {
            RowKind::Summary | RowKind::Other if r.label == "Total Assets" => {
                total_assets = Some(r.amount);
            }
            RowKind::Summary | RowKind::Other if r.label == "Net Assets" => {
                net_assets = Some(r.amount);
            }
            RowKind::Summary => {}
            RowKind::Account | RowKind::Other => {
                let id = r.account_id.clone().unwrap_or_else(|| r.row_key.clone());
                if retained.contains(&id) {
                    amounts.push(BsAmount {
                        row: BsRow::RetainedEarnings,
                        amount: r.amount,
                    });
                    continue;
                }
                let class = chart
                    .get(&id)
                    .copied()
                    .filter(|c| !c.is_profit_and_loss())
                    .unwrap_or_else(|| class_of_section(&r.section));
                let group_account = mapped.get(&(v.organisation_id, id.clone())).copied();
                amounts.push(BsAmount {
                    row: BsRow::Account {
                        account_id: id,
                        class,
                        group_account: group_account.map(GroupAccountId),
                    },
                    amount: r.amount,
                });
            }
        }
    }
    (amounts, total_assets, net_assets)
}

/// Until a user sets an entity's ownership up, Consol assumes the top
/// entity owns all of it from the start of its synced history, with its
/// net assets then as equity at acquisition at that month's closing rate,
/// and says so on the report.
async fn suggested_ownership(
    store: &Store,
    v: &EntityView,
    top: Option<i64>,
    presentation: crate::domain::CurrencyCode,
    rates: &[FxRate],
    gaps: &mut Vec<String>,
) -> Result<Option<Ownership>, StoreError> {
    let Some(owner) = top else {
        return Ok(None);
    };
    let months = store
        .stored_months(v.organisation_id, ReportKind::BalanceSheet.as_str())
        .await?;
    let Some(&first) = months.first() else {
        return Ok(None);
    };
    let rows = store
        .report_month(v.organisation_id, ReportKind::BalanceSheet, first)
        .await?;
    let Some(equity) = rows
        .iter()
        .find(|r| r.kind != RowKind::Account && r.label == "Net Assets")
        .map(|r| r.amount)
    else {
        gaps.push(format!(
            "{}: its balance sheet for {first} has no Net Assets row, so its equity at acquisition is unknown; it is left out. Sync it again.",
            v.name
        ));
        return Ok(None);
    };
    let historical_rate = if v.base_currency == presentation {
        rust_decimal::Decimal::ONE
    } else {
        match rates
            .iter()
            .find(|r| r.currency == v.base_currency && r.month == first)
        {
            Some(r) => r.closing,
            None => {
                gaps.push(format!(
                    "{}: no closing rate for {} at {first}, the assumed acquisition date; it is left out. Enter the rate on the rates page.",
                    v.name, v.base_currency
                ));
                return Ok(None);
            }
        }
    };
    gaps.push(format!(
        "{}: its ownership is not set up yet. Assumed: wholly owned since {first} (the start of its synced history), equity at acquisition {equity} {} at {historical_rate}. Set the owner, percentage, acquisition date and investment account to eliminate the investment.",
        v.name, v.base_currency
    ));
    Ok(Some(Ownership {
        owner: EntityId(owner),
        percent: rust_decimal::Decimal::ONE_HUNDRED,
        acquired: first,
        equity_at_acquisition: equity,
        historical_rate,
        investment_accounts: vec![],
        contributions: vec![],
    }))
}

/// Xero's Net Profit for each month `from..=at`; a month without one is a
/// gap on the report, never a zero.
async fn net_profits(
    store: &Store,
    v: &EntityView,
    from: Month,
    at: Month,
    gaps: &mut Vec<String>,
) -> Result<Vec<(Month, rust_decimal::Decimal)>, StoreError> {
    if from > at {
        return Ok(vec![]);
    }
    let rows = store.pnl_amounts(v.organisation_id, from, at).await?;
    let mut out: Vec<(Month, rust_decimal::Decimal)> = rows
        .into_iter()
        .filter(|r| r.row_kind == "summary" && r.section.is_empty() && r.label == "Net Profit")
        .map(|r| (r.month, r.amount))
        .collect();
    out.sort_by_key(|(m, _)| *m);
    let mut missing = Vec::new();
    let mut m = from;
    while m <= at {
        if !out.iter().any(|(x, _)| *x == m) {
            missing.push(m.to_string());
        }
        m = m.next();
    }
    if !missing.is_empty() {
        gaps.push(format!(
            "{}: no synced profit and loss for {}; its earnings for those months are missing from the balance sheet. Sync it.",
            v.name,
            missing.join(", ")
        ));
    }
    Ok(out)
}

//! Starting and extending a group's chart of accounts. A chart is copied
//! from one entity's own chart (each of that entity's accounts mapped,
//! confirmed, onto its copy), or built from rows a user gives. The mappings
//! page, the API and [`super::apply_suggestions`] all start a chart here.

use chrono::{DateTime, Utc};

use super::{class_name, class_of, section_name};
use crate::engine::{self, EntityAccount, EntityId, XeroAccountType};
use crate::store::{ChartWrite, EntityView, NewChartMapping, NewGroupAccount, Store, StoreError};

/// What starting a chart from an entity did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChartStart {
    /// The chart was created with this many accounts, each of the entity's
    /// accounts mapped onto its copy.
    Started { accounts: usize },
    /// Nothing was written: the group already has a chart of this many
    /// accounts.
    NotEmpty(usize),
    /// Nothing was written: the entity has no synced account with a code
    /// and a class (sync it first).
    NoAccounts,
}

/// The entity's synced accounts that can head a group account: those with
/// a code and a class Consol knows.
async fn chartable_accounts(
    store: &Store,
    entity: &EntityView,
) -> Result<Vec<EntityAccount>, StoreError> {
    Ok(store
        .accounts_of(entity.organisation_id)
        .await?
        .into_iter()
        .filter(|a| a.code.as_deref().is_some_and(|c| !c.trim().is_empty()))
        .filter_map(|a| {
            Some(EntityAccount {
                entity: EntityId(entity.id),
                class: a.class.as_deref().and_then(class_of)?,
                account_type: XeroAccountType::from_xero(&a.account_type),
                account_id: a.account_id,
                code: a.code,
                name: a.name,
            })
        })
        .collect())
}

/// Starts an empty group chart from `entity`'s chart, in one audited
/// transaction; refuses when the group already has a chart.
pub async fn start_from_entity(
    store: &Store,
    group_id: i64,
    entity: &EntityView,
    by: Option<i64>,
    now: DateTime<Utc>,
) -> Result<ChartStart, StoreError> {
    let own = chartable_accounts(store, entity).await?;
    if own.is_empty() {
        return Ok(ChartStart::NoAccounts);
    }
    let chart = engine::group_chart_from_entity(&own, 0);
    let accounts: Vec<NewGroupAccount> = chart
        .accounts
        .iter()
        .map(|g| NewGroupAccount {
            code: g.code.clone(),
            name: g.name.clone(),
            class: class_name(g.class).to_string(),
            section: section_name(g.section).to_string(),
        })
        .collect();
    let mappings: Vec<NewChartMapping> = chart
        .mappings
        .iter()
        .map(|m| NewChartMapping {
            organisation_id: entity.organisation_id,
            account_id: m.account_id.clone(),
            index: m.group_account.0 as usize,
        })
        .collect();
    let n = accounts.len();
    let detail = format!(
        "started the group chart from {}'s chart: {n} account{}, each mapped to its copy",
        entity.name,
        if n == 1 { "" } else { "s" }
    );
    Ok(
        match store
            .write_group_chart(
                group_id,
                &accounts,
                &mappings,
                true,
                "chart.start",
                detail,
                by,
                now,
            )
            .await?
        {
            ChartWrite::Written(ids) => ChartStart::Started {
                accounts: ids.len(),
            },
            ChartWrite::NotEmpty(n) => ChartStart::NotEmpty(n),
            // An empty chart has no codes to collide with.
            ChartWrite::CodesTaken(_) => ChartStart::NotEmpty(0),
        },
    )
}

/// Adds accounts a user gave to a group's chart (empty or not), in one
/// audited transaction. `Err` lists the codes already in the chart, and
/// nothing is written.
pub async fn add_accounts(
    store: &Store,
    group_id: i64,
    accounts: &[NewGroupAccount],
    by: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Result<usize, Vec<String>>, StoreError> {
    let mut listed: Vec<String> = accounts
        .iter()
        .take(20)
        .map(|a| format!("{} {}", a.code, a.name))
        .collect();
    if accounts.len() > 20 {
        listed.push(format!("and {} more", accounts.len() - 20));
    }
    let detail = format!(
        "added {} group account{}: {}",
        accounts.len(),
        if accounts.len() == 1 { "" } else { "s" },
        listed.join(", ")
    );
    Ok(
        match store
            .write_group_chart(group_id, accounts, &[], false, "chart.add", detail, by, now)
            .await?
        {
            ChartWrite::Written(ids) => Ok(ids.len()),
            ChartWrite::CodesTaken(codes) => Err(codes),
            ChartWrite::NotEmpty(_) => Ok(0),
        },
    )
}

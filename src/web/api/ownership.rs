//! `GET|PUT /api/v1/groups/{id}/ownership`: how each subsidiary came into
//! the group (rules section 3a). A PUT checks every row first and stores
//! nothing when any is bad (422 naming each bad row); the change is audited
//! in its transaction. Changing ownership needs an administrator, as on the
//! page: it moves the non-controlling interest, goodwill and the
//! investment elimination, which is more than an editor's set-up.

use std::collections::{HashMap, HashSet};

use actix_web::{HttpResponse, web};
use chrono::Utc;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::setup::{
    MAX_RATE, MAX_RATE_DECIMALS, RowErrors, json_rows, parse_decimal, rows_invalid,
};
use super::{ApiError, ApiUser};
use crate::domain::Month;
use crate::store::{
    Contribution, EntityView, GroupRole, OwnershipRow, Store, StoreError, StoredAccount,
};
use crate::web::AppState;

fn row_json(r: &OwnershipRow, names: &HashMap<i64, String>) -> Value {
    json!({
        "entity_id": r.entity_id,
        "entity_name": names.get(&r.entity_id),
        "owner_entity_id": r.owner_entity_id,
        "owner_name": names.get(&r.owner_entity_id),
        "percent": r.percent.to_string(),
        "acquired": r.acquired,
        "equity_at_acquisition": r.equity_at_acquisition.to_string(),
        "historical_rate": r.historical_rate.to_string(),
        "investment_account_ids": r.investment_accounts,
        "contributions": r.contributions,
    })
}

pub async fn get_ownership(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (group, _) = user.group(&state, &path, GroupRole::Viewer).await?;
    let entities = state.store.entities_for_group(group.id).await?;
    let names: HashMap<i64, String> = entities.iter().map(|e| (e.id, e.name.clone())).collect();
    let rows = state.store.ownership(group.id).await?;
    let set: HashSet<i64> = rows.iter().map(|r| r.entity_id).collect();
    Ok(HttpResponse::Ok().json(json!({
        "ownership": rows.iter().map(|r| row_json(r, &names)).collect::<Vec<_>>(),
        "not_set": entities
            .iter()
            .filter(|e| !e.is_parent && !set.contains(&e.id))
            .map(|e| json!({"entity_id": e.id, "entity_name": e.name}))
            .collect::<Vec<_>>(),
    })))
}

/// A decimal given as a JSON string: exact, no exponent.
fn decimal(v: &Value, field: &str, errors: &mut Vec<String>) -> Option<Decimal> {
    match v.get(field) {
        Some(Value::String(s)) => parse_decimal(field, s, errors),
        Some(_) => {
            errors.push(format!(
                "{field}: a decimal as a JSON string, such as \"100\""
            ));
            None
        }
        None => {
            errors.push(format!("{field}: required"));
            None
        }
    }
}

/// One PUT row checked against the group; `Err` lists what is wrong.
/// The ownership page (`pages/ownership.rs`) checks its form through it.
pub(crate) fn parse_row(
    v: &Value,
    entities: &HashMap<i64, i64>,
    owner_accounts: &HashMap<i64, HashSet<String>>,
) -> Result<(i64, Option<OwnershipRow>), Vec<String>> {
    let mut errors = Vec::new();
    let entity_id = v.get("entity_id").and_then(Value::as_i64);
    match entity_id {
        Some(e) if entities.contains_key(&e) => {}
        _ => errors.push("entity_id: an entity of this group".to_string()),
    }
    if v.get("remove").and_then(Value::as_bool) == Some(true) {
        return match (entity_id, errors.is_empty()) {
            (Some(e), true) => Ok((e, None)),
            _ => Err(errors),
        };
    }
    let owner = v.get("owner_entity_id").and_then(Value::as_i64);
    match owner {
        Some(o) if Some(o) == entity_id => {
            errors.push("owner_entity_id: an entity cannot own itself".to_string())
        }
        Some(o) if entities.contains_key(&o) => {}
        _ => errors.push("owner_entity_id: an entity of this group".to_string()),
    }
    let percent = decimal(v, "percent", &mut errors);
    if let Some(p) = percent
        && (p <= Decimal::ZERO || p > Decimal::ONE_HUNDRED || p.scale() > 4)
    {
        errors.push("percent: more than 0 and at most 100, to 4 decimal places".to_string());
    }
    let acquired = match v.get("acquired").and_then(Value::as_str).map(Month::parse) {
        Some(Ok(m)) => Some(m),
        _ => {
            errors.push("acquired: the month of the acquisition date, YYYY-MM".to_string());
            None
        }
    };
    let equity = decimal(v, "equity_at_acquisition", &mut errors);
    if let Some(e) = equity
        && (e.abs() > MAX_RATE * Decimal::from(1000) || e.scale() > 4)
    {
        errors.push("equity_at_acquisition: at most 4 decimal places and a sane size".to_string());
    }
    let rate = decimal(v, "historical_rate", &mut errors);
    if let Some(r) = rate
        && (r <= Decimal::ZERO || r > MAX_RATE || r.normalize().scale() > MAX_RATE_DECIMALS)
    {
        errors.push(format!(
            "historical_rate: positive, at most {MAX_RATE}, at most {MAX_RATE_DECIMALS} decimal places"
        ));
    }
    let accounts: Vec<String> = match v.get("investment_account_ids") {
        None => vec![],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| match x.as_str() {
                Some(s) => Some(s.to_string()),
                None => {
                    errors.push("investment_account_ids: AccountIDs as strings".to_string());
                    None
                }
            })
            .collect(),
        Some(_) => {
            errors.push("investment_account_ids: an array of AccountIDs".to_string());
            vec![]
        }
    };
    if let Some(o) = owner {
        for a in &accounts {
            if !owner_accounts.get(&o).is_some_and(|set| set.contains(a)) {
                errors.push(format!(
                    "investment_account_ids: {a} is not an asset account of the owner's chart"
                ));
            }
        }
    }
    let contributions = contributions(v, acquired, &mut errors);
    match (entity_id, owner, percent, acquired, equity, rate) {
        (Some(e), Some(o), Some(p), Some(m), Some(eq), Some(r)) if errors.is_empty() => Ok((
            e,
            Some(OwnershipRow {
                entity_id: e,
                owner_entity_id: o,
                percent: p,
                acquired: m,
                equity_at_acquisition: eq,
                historical_rate: r,
                investment_accounts: accounts,
                contributions,
            }),
        )),
        _ => Err(errors),
    }
}

/// The optional `contributions` array: each a month after the acquisition,
/// an amount in the subsidiary's base currency and its historical rate.
/// Errors name the contribution by its position (1-based).
fn contributions(
    v: &Value,
    acquired: Option<Month>,
    errors: &mut Vec<String>,
) -> Vec<Contribution> {
    let items = match v.get("contributions") {
        None | Some(Value::Null) => return vec![],
        Some(Value::Array(a)) => a,
        Some(_) => {
            errors.push("contributions: an array of {month, amount, historical_rate}".to_string());
            return vec![];
        }
    };
    let mut out = Vec::new();
    let mut months = HashSet::new();
    for (i, c) in items.iter().enumerate() {
        let n = i + 1;
        let mut errs = Vec::new();
        let month = match c.get("month").and_then(Value::as_str).map(Month::parse) {
            Some(Ok(m)) => Some(m),
            _ => {
                errs.push("month: YYYY-MM".to_string());
                None
            }
        };
        if let (Some(m), Some(a)) = (month, acquired)
            && m <= a
        {
            errs.push(format!(
                "month: {m} is not after the acquisition ({a}); include it in the equity at acquisition"
            ));
        }
        if let Some(m) = month
            && !months.insert(m)
        {
            errs.push(format!("month: {m} is given twice; add them up"));
        }
        let amount = decimal(c, "amount", &mut errs);
        if let Some(a) = amount
            && (a.is_zero() || a.abs() > MAX_RATE * Decimal::from(1000) || a.scale() > 4)
        {
            errs.push("amount: not zero, at most 4 decimal places and a sane size".to_string());
        }
        let rate = decimal(c, "historical_rate", &mut errs);
        if let Some(r) = rate
            && (r <= Decimal::ZERO || r > MAX_RATE || r.normalize().scale() > MAX_RATE_DECIMALS)
        {
            errs.push(format!(
                "historical_rate: positive, at most {MAX_RATE}, at most {MAX_RATE_DECIMALS} decimal places"
            ));
        }
        match (month, amount, rate) {
            (Some(month), Some(amount), Some(historical_rate)) if errs.is_empty() => {
                out.push(Contribution {
                    month,
                    amount,
                    historical_rate,
                })
            }
            _ => errors.extend(errs.into_iter().map(|e| format!("contributions[{n}].{e}"))),
        }
    }
    out.sort_by_key(|c| c.month);
    out
}

/// Whether following owners from any entity comes back to it.
fn has_cycle(owner_of: &HashMap<i64, i64>) -> Option<i64> {
    for &start in owner_of.keys() {
        let mut at = start;
        for _ in 0..=owner_of.len() {
            match owner_of.get(&at) {
                Some(&next) if next == start => return Some(start),
                Some(&next) => at = next,
                None => break,
            }
        }
    }
    None
}

/// Each entity's asset accounts (where an owner can hold an investment).
pub(crate) async fn asset_accounts(
    store: &Store,
    views: &[EntityView],
) -> Result<HashMap<i64, Vec<StoredAccount>>, StoreError> {
    let mut out = HashMap::new();
    for e in views {
        let assets = store
            .accounts_of(e.organisation_id)
            .await?
            .into_iter()
            .filter(|a| a.class.as_deref() == Some("ASSET"))
            .collect();
        out.insert(e.id, assets);
    }
    Ok(out)
}

/// An entity that would own itself through its owners once `set` is stored
/// and `remove` removed, if any.
pub(crate) async fn cycle_after(
    store: &Store,
    group_id: i64,
    set: &[OwnershipRow],
    remove: &[i64],
) -> Result<Option<i64>, StoreError> {
    let mut owner_of: HashMap<i64, i64> = store
        .ownership(group_id)
        .await?
        .into_iter()
        .map(|r| (r.entity_id, r.owner_entity_id))
        .collect();
    for e in remove {
        owner_of.remove(e);
    }
    for r in set {
        owner_of.insert(r.entity_id, r.owner_entity_id);
    }
    Ok(has_cycle(&owner_of))
}

pub async fn put_ownership(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    // Administrators only, as the ownership page (`pages/ownership.rs`).
    let (group, _) = user.group(&state, &path, GroupRole::Admin).await?;
    let values = json_rows(&body)?;
    let views = state.store.entities_for_group(group.id).await?;
    let entities: HashMap<i64, i64> = views.iter().map(|e| (e.id, e.organisation_id)).collect();
    let owner_accounts: HashMap<i64, HashSet<String>> = asset_accounts(&state.store, &views)
        .await?
        .into_iter()
        .map(|(e, l)| (e, l.into_iter().map(|a| a.account_id).collect()))
        .collect();
    let mut bad = Vec::new();
    let mut set = Vec::new();
    let mut remove = Vec::new();
    let mut seen = HashSet::new();
    for (i, v) in values.iter().enumerate() {
        match parse_row(v, &entities, &owner_accounts) {
            Ok((e, _)) if !seen.insert(e) => bad.push(RowErrors {
                row: i + 1,
                errors: vec![format!("entity_id: {e} is given twice")],
            }),
            Ok((_, Some(r))) => set.push(r),
            Ok((e, None)) => remove.push(e),
            Err(errors) => bad.push(RowErrors { row: i + 1, errors }),
        }
    }
    if !bad.is_empty() {
        return Err(rows_invalid(&bad));
    }
    if let Some(e) = cycle_after(&state.store, group.id, &set, &remove).await? {
        return Err(ApiError::invalid(
            "The ownership would go round in a circle; nothing was saved.",
            json!({ "entity_id": format!("entity {e} would own itself through its owners") }),
        ));
    }
    let names: HashMap<i64, String> = views.iter().map(|e| (e.id, e.name.clone())).collect();
    let name_of = |id: i64| {
        names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| format!("entity {id}"))
    };
    state
        .store
        .set_ownership(
            group.id,
            &set,
            &remove,
            &name_of,
            Some(user.user.id),
            Utc::now(),
        )
        .await?;
    let rows = state.store.ownership(group.id).await?;
    Ok(HttpResponse::Ok().json(json!({
        "ownership": rows.iter().map(|r| row_json(r, &names)).collect::<Vec<_>>(),
    })))
}

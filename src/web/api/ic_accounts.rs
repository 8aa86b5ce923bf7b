//! `GET|PUT /api/v1/groups/{id}/intercompany-accounts`: entity accounts
//! marked intercompany with the entity on the other side (loans, current
//! accounts; rules section 3a). A PUT checks every row first and stores
//! nothing when any is bad (422 naming each bad row); the change is audited
//! in its transaction.

use std::collections::{HashMap, HashSet};

use actix_web::{HttpResponse, web};
use chrono::Utc;
use serde_json::{Value, json};

use super::setup::{RowErrors, json_rows, rows_invalid};
use super::{ApiError, ApiUser};
use crate::store::{EntityView, GroupRole, IcAccountRow, Store, StoreError, StoredAccount};
use crate::web::AppState;

/// The balance-sheet accounts of each entity of a group, by AccountID:
/// only an asset or a liability can hold an intercompany balance.
pub async fn balance_sheet_accounts(
    store: &Store,
    views: &[EntityView],
) -> Result<HashMap<i64, HashMap<String, StoredAccount>>, StoreError> {
    let mut out = HashMap::new();
    for e in views {
        let accounts = store
            .accounts_of(e.organisation_id)
            .await?
            .into_iter()
            .filter(|a| matches!(a.class.as_deref(), Some("ASSET" | "LIABILITY")))
            .map(|a| (a.account_id.clone(), a))
            .collect();
        out.insert(e.id, accounts);
    }
    Ok(out)
}

fn account_label(a: Option<&StoredAccount>, id: &str) -> String {
    match a {
        Some(a) => match &a.code {
            Some(c) => format!("{c} {}", a.name),
            None => a.name.clone(),
        },
        None => id.to_string(),
    }
}

pub fn row_json(
    r: &IcAccountRow,
    names: &HashMap<i64, String>,
    accounts: &HashMap<i64, HashMap<String, StoredAccount>>,
) -> Value {
    let a = accounts
        .get(&r.entity_id)
        .and_then(|m| m.get(&r.account_id));
    json!({
        "entity_id": r.entity_id,
        "entity_name": names.get(&r.entity_id),
        "account_id": r.account_id,
        "account_code": a.and_then(|a| a.code.clone()),
        "account_name": a.map(|a| a.name.clone()),
        "class": a.and_then(|a| a.class.clone()),
        "counterpart_entity_id": r.counterpart_entity_id,
        "counterpart_name": names.get(&r.counterpart_entity_id),
    })
}

pub async fn get_accounts(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (group, _) = user.group(&state, &path, GroupRole::Viewer).await?;
    let views = state.store.entities_for_group(group.id).await?;
    let names: HashMap<i64, String> = views.iter().map(|e| (e.id, e.name.clone())).collect();
    let accounts = balance_sheet_accounts(&state.store, &views).await?;
    let rows = state.store.intercompany_accounts(group.id).await?;
    Ok(HttpResponse::Ok().json(json!({
        "intercompany_accounts": rows.iter().map(|r| row_json(r, &names, &accounts)).collect::<Vec<_>>(),
    })))
}

/// What one PUT row asks for.
pub enum IcAccountChange {
    Mark(IcAccountRow),
    Unmark(i64, String),
}

/// One PUT row checked against the group; `Err` lists what is wrong.
pub fn parse_row(
    v: &Value,
    accounts: &HashMap<i64, HashMap<String, StoredAccount>>,
) -> Result<IcAccountChange, Vec<String>> {
    let mut errors = Vec::new();
    let entity_id = v.get("entity_id").and_then(Value::as_i64);
    let entity = entity_id.and_then(|e| accounts.get(&e));
    if entity.is_none() {
        errors.push("entity_id: an entity of this group".to_string());
    }
    let account_id = match v.get("account_id").and_then(Value::as_str) {
        Some(a) => Some(a.to_string()),
        None => {
            errors.push("account_id: the AccountID of the entity's account, as a string".into());
            None
        }
    };
    let remove = v.get("remove").and_then(Value::as_bool) == Some(true);
    if let (Some(chart), Some(a), false) = (entity, &account_id, remove)
        && !chart.contains_key(a)
    {
        errors.push(format!(
            "account_id: {a} is not an asset or liability account of the entity's chart"
        ));
    }
    if remove {
        return match (entity_id, account_id) {
            (Some(e), Some(a)) if errors.is_empty() => Ok(IcAccountChange::Unmark(e, a)),
            _ => Err(errors),
        };
    }
    let counterpart = v.get("counterpart_entity_id").and_then(Value::as_i64);
    match counterpart {
        Some(c) if Some(c) == entity_id => errors.push(
            "counterpart_entity_id: the other entity of the balance, not the account's own".into(),
        ),
        Some(c) if accounts.contains_key(&c) => {}
        _ => errors.push("counterpart_entity_id: an entity of this group".into()),
    }
    match (entity_id, account_id, counterpart) {
        (Some(e), Some(a), Some(c)) if errors.is_empty() => {
            Ok(IcAccountChange::Mark(IcAccountRow {
                entity_id: e,
                account_id: a,
                counterpart_entity_id: c,
            }))
        }
        _ => Err(errors),
    }
}

pub async fn put_accounts(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (group, _) = user.group(&state, &path, GroupRole::Editor).await?;
    let values = json_rows(&body)?;
    let views = state.store.entities_for_group(group.id).await?;
    let accounts = balance_sheet_accounts(&state.store, &views).await?;
    let mut bad = Vec::new();
    let mut set = Vec::new();
    let mut remove = Vec::new();
    let mut seen = HashSet::new();
    for (i, v) in values.iter().enumerate() {
        let parsed = parse_row(v, &accounts);
        let key = match &parsed {
            Ok(IcAccountChange::Mark(r)) => Some((r.entity_id, r.account_id.clone())),
            Ok(IcAccountChange::Unmark(e, a)) => Some((*e, a.clone())),
            Err(_) => None,
        };
        if let Some((e, a)) = key
            && !seen.insert((e, a.clone()))
        {
            bad.push(RowErrors {
                row: i + 1,
                errors: vec![format!("account_id: {a} of entity {e} is given twice")],
            });
            continue;
        }
        match parsed {
            Ok(IcAccountChange::Mark(r)) => set.push(r),
            Ok(IcAccountChange::Unmark(e, a)) => remove.push((e, a)),
            Err(errors) => bad.push(RowErrors { row: i + 1, errors }),
        }
    }
    if !bad.is_empty() {
        return Err(rows_invalid(&bad));
    }
    let names: HashMap<i64, String> = views.iter().map(|e| (e.id, e.name.clone())).collect();
    let name = |id: i64| {
        names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| format!("entity {id}"))
    };
    let describe = |r: &IcAccountRow| {
        let a = accounts
            .get(&r.entity_id)
            .and_then(|m| m.get(&r.account_id));
        format!(
            "{}'s account {} as intercompany with {}",
            name(r.entity_id),
            account_label(a, &r.account_id),
            name(r.counterpart_entity_id)
        )
    };
    state
        .store
        .set_intercompany_accounts(
            group.id,
            &set,
            &remove,
            &describe,
            Some(user.user.id),
            Utc::now(),
        )
        .await?;
    let rows = state.store.intercompany_accounts(group.id).await?;
    Ok(HttpResponse::Ok().json(json!({
        "intercompany_accounts": rows.iter().map(|r| row_json(r, &names, &accounts)).collect::<Vec<_>>(),
    })))
}

//! The set-up page's intercompany accounts section: entity accounts
//! (loans, current accounts) marked intercompany with the entity on the
//! other side, at `/groups/{id}/intercompany-accounts`. A mark or unmark is
//! checked as the API checks it (`api::ic_accounts::parse_row`), stored in
//! one audited change, and a bad one is explained with nothing stored.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;
use serde_json::json;

use super::groups::require_role;
use super::{Nav, render};
use crate::store::{Group, GroupRole, IcAccountRow};
use crate::web::api::ic_accounts::{IcAccountChange, balance_sheet_accounts, parse_row};
use crate::web::{AppState, CurrentUser, WebError};

struct MarkedRow {
    entity: String,
    account: String,
    counterpart: String,
    value: String,
}

struct Choice {
    value: String,
    label: String,
}

#[derive(Template)]
#[template(path = "ic_accounts.html")]
struct IcAccountsPage {
    nav: Nav,
    group: Group,
    marked: Vec<MarkedRow>,
    accounts: Vec<Choice>,
    entities: Vec<Choice>,
    errors: Vec<String>,
    notice: Option<String>,
    can_edit: bool,
}

#[derive(Deserialize)]
pub struct MarkForm {
    csrf_token: String,
    /// `mark` or `unmark`.
    action: String,
    /// `entity_id:AccountID`.
    account: String,
    counterpart_entity_id: Option<String>,
}

async fn show(
    state: &AppState,
    user: &CurrentUser,
    group: Group,
    role: GroupRole,
    status: StatusCode,
    errors: Vec<String>,
    notice: Option<String>,
) -> Result<HttpResponse, WebError> {
    let views = state.store.entities_for_group(group.id).await?;
    let names: HashMap<i64, String> = views.iter().map(|e| (e.id, e.name.clone())).collect();
    let charts = balance_sheet_accounts(&state.store, &views).await?;
    let label = |e: i64, a: &str| {
        charts
            .get(&e)
            .and_then(|m| m.get(a))
            .map(|x| match &x.code {
                Some(c) => format!("{c} {}", x.name),
                None => x.name.clone(),
            })
            .unwrap_or_else(|| a.to_string())
    };
    let marked = state
        .store
        .intercompany_accounts(group.id)
        .await?
        .into_iter()
        .map(|r| MarkedRow {
            entity: names.get(&r.entity_id).cloned().unwrap_or_default(),
            account: label(r.entity_id, &r.account_id),
            counterpart: names
                .get(&r.counterpart_entity_id)
                .cloned()
                .unwrap_or_default(),
            value: format!("{}:{}", r.entity_id, r.account_id),
        })
        .collect();
    let mut accounts = Vec::new();
    for v in &views {
        let mut list: Vec<(String, String)> = charts
            .get(&v.id)
            .map(|m| {
                m.values()
                    .map(|a| (label(v.id, &a.account_id), a.account_id.clone()))
                    .collect()
            })
            .unwrap_or_default();
        list.sort();
        accounts.extend(list.into_iter().map(|(l, a)| Choice {
            value: format!("{}:{a}", v.id),
            label: format!("{}: {l}", v.name),
        }));
    }
    let page = IcAccountsPage {
        nav: Nav::of(user),
        entities: views
            .iter()
            .map(|e| Choice {
                value: e.id.to_string(),
                label: e.name.clone(),
            })
            .collect(),
        group,
        marked,
        accounts,
        errors,
        notice,
        can_edit: role >= GroupRole::Editor,
    };
    render(status, &page)
}

pub async fn page(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let id: i64 = path.parse().map_err(|_| WebError::NotFound)?;
    let (group, role) = require_role(&state, &user, id, GroupRole::Viewer).await?;
    show(&state, &user, group, role, StatusCode::OK, vec![], None).await
}

pub async fn save(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<MarkForm>,
) -> Result<HttpResponse, WebError> {
    let form = form.into_inner();
    user.check_csrf(&form.csrf_token)?;
    let id: i64 = path.parse().map_err(|_| WebError::NotFound)?;
    let (group, role) = require_role(&state, &user, id, GroupRole::Editor).await?;
    let views = state.store.entities_for_group(group.id).await?;
    let charts = balance_sheet_accounts(&state.store, &views).await?;
    let (entity, account) = form.account.split_once(':').unwrap_or(("", ""));
    let mut row = json!({
        "entity_id": entity.trim().parse::<i64>().ok(),
        "account_id": account,
        "counterpart_entity_id": form
            .counterpart_entity_id
            .as_deref()
            .and_then(|c| c.trim().parse::<i64>().ok()),
    });
    if form.action == "unmark" {
        row["remove"] = json!(true);
    }
    let change = match parse_row(&row, &charts) {
        Ok(c) => c,
        Err(errors) => {
            return show(
                &state,
                &user,
                group,
                role,
                StatusCode::UNPROCESSABLE_ENTITY,
                errors,
                None,
            )
            .await;
        }
    };
    let names: HashMap<i64, String> = views.iter().map(|e| (e.id, e.name.clone())).collect();
    let name = |id: i64| names.get(&id).cloned().unwrap_or_default();
    let describe = |r: &IcAccountRow| {
        format!(
            "{}'s account {} as intercompany with {}",
            name(r.entity_id),
            r.account_id,
            name(r.counterpart_entity_id)
        )
    };
    let (set, remove) = match change {
        IcAccountChange::Mark(r) => (vec![r], vec![]),
        IcAccountChange::Unmark(e, a) => (vec![], vec![(e, a)]),
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
    let notice = Some(if set.is_empty() {
        "The account is no longer marked intercompany.".to_string()
    } else {
        "The account is marked intercompany.".to_string()
    });
    show(&state, &user, group, role, StatusCode::OK, vec![], notice).await
}

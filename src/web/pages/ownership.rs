//! The ownership set-up page, `/groups/{id}/ownership`: per subsidiary its
//! owner, percentage (100 unless set), acquisition month, the owner's
//! investment account(s), its equity at acquisition with the historical
//! rate, and later capital contributions. Members see it; administrators
//! change it, one subsidiary per form. A row is checked by the API's own
//! checks (`api::ownership::parse_row`, the circle check), so a bad value
//! is named on its row and nothing is stored; a good one is stored and
//! audited through `store::set_ownership`.
//!
//! Equity at acquisition is suggested, never assumed: "Suggest" fills the
//! row from the subsidiary's synced balance sheet at the acquisition month
//! (Xero's Net Assets) and that month's closing rate, and only "Save"
//! stores what the user confirms.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Utc;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::groups::require_role;
use super::{Nav, render};
use crate::domain::Month;
use crate::store::{
    EntityView, Group, GroupRole, OwnershipRow, ReportKind, RowKind, StoredAccount,
};
use crate::web::api::ownership::{asset_accounts, cycle_after, parse_row};
use crate::web::{AppState, CurrentUser, WebError};

/// One later contribution as the form shows it.
struct ContributionView {
    month: String,
    amount: String,
    rate: String,
}

/// One subsidiary's form.
struct SubsidiaryForm {
    entity_id: i64,
    name: String,
    currency: String,
    /// Whether its ownership is stored.
    stored: bool,
    owner: String,
    percent: String,
    acquired: String,
    equity: String,
    rate: String,
    investments: Vec<String>,
    /// The stored ones, then one blank row to add another.
    contributions: Vec<ContributionView>,
    /// What Xero's balance sheet and the rates suggest for the acquisition
    /// month, in words.
    suggestion: Option<String>,
    errors: Vec<String>,
    notice: Option<String>,
}

impl SubsidiaryForm {
    fn invests_in(&self, account_id: &str) -> bool {
        self.investments.iter().any(|a| a == account_id)
    }
}

struct Choice {
    value: String,
    label: String,
}

/// An entity's asset accounts, for the investment choice.
struct AccountGroup {
    entity: String,
    accounts: Vec<Choice>,
}

#[derive(Template)]
#[template(path = "ownership.html")]
struct OwnershipPage {
    nav: Nav,
    group: Group,
    parent: String,
    rows: Vec<SubsidiaryForm>,
    owners: Vec<Choice>,
    accounts: Vec<AccountGroup>,
    can_edit: bool,
}

fn blank_contribution() -> ContributionView {
    ContributionView {
        month: String::new(),
        amount: String::new(),
        rate: String::new(),
    }
}

/// The stored row's form, or a new one (owned 100% by the parent, from the
/// first month its balance sheet was synced).
async fn form_of(
    state: &AppState,
    v: &EntityView,
    parent: Option<i64>,
    stored: Option<&OwnershipRow>,
) -> Result<SubsidiaryForm, WebError> {
    let mut f = SubsidiaryForm {
        entity_id: v.id,
        name: v.name.clone(),
        currency: v.base_currency.to_string(),
        stored: stored.is_some(),
        owner: parent.map(|p| p.to_string()).unwrap_or_default(),
        percent: "100".into(),
        acquired: String::new(),
        equity: String::new(),
        rate: String::new(),
        investments: vec![],
        contributions: vec![],
        suggestion: None,
        errors: vec![],
        notice: None,
    };
    match stored {
        Some(r) => {
            f.owner = r.owner_entity_id.to_string();
            f.percent = r.percent.normalize().to_string();
            f.acquired = r.acquired.to_string();
            f.equity = r.equity_at_acquisition.to_string();
            f.rate = r.historical_rate.to_string();
            f.investments = r.investment_accounts.clone();
            f.contributions = r
                .contributions
                .iter()
                .map(|c| ContributionView {
                    month: c.month.to_string(),
                    amount: c.amount.to_string(),
                    rate: c.historical_rate.to_string(),
                })
                .collect();
        }
        None => {
            if let Some(first) = state
                .store
                .stored_months(v.organisation_id, ReportKind::BalanceSheet.as_str())
                .await?
                .first()
            {
                f.acquired = first.to_string();
            }
        }
    }
    f.contributions.push(blank_contribution());
    Ok(f)
}

/// Xero's Net Assets of the subsidiary at the end of `month` and that
/// month's closing rate into the presentation currency; either is `None`
/// when not synced or not entered.
async fn suggestion(
    state: &AppState,
    group: &Group,
    v: &EntityView,
    month: Month,
) -> Result<(Option<Decimal>, Option<Decimal>), WebError> {
    let equity = state
        .store
        .report_month(v.organisation_id, ReportKind::BalanceSheet, month)
        .await?
        .into_iter()
        .find(|r| r.kind != RowKind::Account && r.label == "Net Assets")
        .map(|r| r.amount);
    let rate = if v.base_currency == group.presentation_currency {
        Some(Decimal::ONE)
    } else {
        state
            .store
            .fx_rates(group.id)
            .await?
            .into_iter()
            .find(|r| r.currency == v.base_currency && r.month == month)
            .map(|r| r.closing)
    };
    Ok((equity, rate))
}

/// The suggestion in words, for the row's acquisition month.
async fn describe_suggestion(
    state: &AppState,
    group: &Group,
    v: &EntityView,
    f: &SubsidiaryForm,
) -> Result<Option<String>, WebError> {
    let Ok(month) = Month::parse(&f.acquired) else {
        return Ok(None);
    };
    let (equity, rate) = suggestion(state, group, v, month).await?;
    let equity = match equity {
        Some(e) => format!(
            "Xero's Net Assets at the end of {month} are {e} {}",
            v.base_currency
        ),
        None => format!("no balance sheet of {month} is synced"),
    };
    let rate = match rate {
        Some(r) => format!("the closing rate of {month} is {r}"),
        None => format!(
            "no closing rate for {} at {month} is entered",
            v.base_currency
        ),
    };
    Ok(Some(format!("{equity}; {rate}.")))
}

async fn show(
    state: &AppState,
    user: &CurrentUser,
    group: Group,
    role: GroupRole,
    status: StatusCode,
    changed: Option<SubsidiaryForm>,
) -> Result<HttpResponse, WebError> {
    let views = state.store.entities_for_group(group.id).await?;
    let parent = views.iter().find(|e| e.is_parent).map(|e| e.id);
    let stored: HashMap<i64, OwnershipRow> = state
        .store
        .ownership(group.id)
        .await?
        .into_iter()
        .map(|r| (r.entity_id, r))
        .collect();
    // The parent shows when it is owned itself, or its row was just posted
    // (so an error on it is seen).
    let posted = changed.as_ref().map(|c| c.entity_id);
    let mut changed = changed;
    let mut rows = Vec::new();
    for v in views
        .iter()
        .filter(|e| !e.is_parent || stored.contains_key(&e.id) || posted == Some(e.id))
    {
        let mut f = match changed.take_if(|c| c.entity_id == v.id) {
            Some(c) => c,
            None => form_of(state, v, parent, stored.get(&v.id)).await?,
        };
        f.suggestion = describe_suggestion(state, &group, v, &f).await?;
        rows.push(f);
    }
    let accounts = asset_accounts(&state.store, &views).await?;
    let label = |a: &StoredAccount| match &a.code {
        Some(c) => format!("{c} {}", a.name),
        None => a.name.clone(),
    };
    let page = OwnershipPage {
        nav: Nav::of(user),
        parent: views
            .iter()
            .find(|e| e.is_parent)
            .map(|e| e.name.clone())
            .unwrap_or_default(),
        owners: views
            .iter()
            .map(|e| Choice {
                value: e.id.to_string(),
                label: e.name.clone(),
            })
            .collect(),
        accounts: views
            .iter()
            .map(|e| AccountGroup {
                entity: e.name.clone(),
                accounts: accounts
                    .get(&e.id)
                    .map(|l| {
                        l.iter()
                            .map(|a| Choice {
                                value: a.account_id.clone(),
                                label: label(a),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .collect(),
        group,
        rows,
        can_edit: role >= GroupRole::Admin,
    };
    render(status, &page)
}

/// `GET /groups/{id}/ownership`: every member may read it.
pub async fn page(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let id: i64 = path.parse().map_err(|_| WebError::NotFound)?;
    let (group, role) = require_role(&state, &user, id, GroupRole::Viewer).await?;
    show(&state, &user, group, role, StatusCode::OK, None).await
}

/// The posted form's fields, every value of a repeated one kept.
struct Fields(Vec<(String, String)>);

impl Fields {
    fn one(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    }
    fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .collect()
    }
}

/// The form as the API's JSON row, so the API's checks read it as they
/// read a PUT. Contribution rows left wholly blank are not contributions.
fn row_value(f: &SubsidiaryForm) -> Value {
    let contributions: Vec<Value> = f
        .contributions
        .iter()
        .filter(|c| !(c.month.is_empty() && c.amount.is_empty() && c.rate.is_empty()))
        .map(|c| json!({"month": c.month, "amount": c.amount, "historical_rate": c.rate}))
        .collect();
    json!({
        "entity_id": f.entity_id,
        "owner_entity_id": f.owner.parse::<i64>().ok(),
        "percent": f.percent,
        "acquired": f.acquired,
        "equity_at_acquisition": f.equity,
        "historical_rate": f.rate,
        "investment_account_ids": f.investments,
        "contributions": contributions,
    })
}

/// `POST /groups/{id}/ownership` (administrators): `action` is `save`,
/// `suggest` (fill equity and rate from Xero, store nothing) or `remove`.
pub async fn save(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let fields = Fields(form.into_inner());
    user.check_csrf(&fields.one("csrf_token"))?;
    let id: i64 = path.parse().map_err(|_| WebError::NotFound)?;
    let (group, role) = require_role(&state, &user, id, GroupRole::Admin).await?;
    let views = state.store.entities_for_group(group.id).await?;
    let Some(view) = fields
        .one("entity_id")
        .parse::<i64>()
        .ok()
        .and_then(|e| views.iter().find(|v| v.id == e))
    else {
        return Err(WebError::NotFound);
    };
    let (months, amounts, rates) = (
        fields.all("contribution_month"),
        fields.all("contribution_amount"),
        fields.all("contribution_rate"),
    );
    let mut f = SubsidiaryForm {
        entity_id: view.id,
        name: view.name.clone(),
        currency: view.base_currency.to_string(),
        stored: state
            .store
            .ownership(group.id)
            .await?
            .iter()
            .any(|r| r.entity_id == view.id),
        owner: fields.one("owner_entity_id"),
        percent: fields.one("percent"),
        acquired: fields.one("acquired"),
        equity: fields.one("equity_at_acquisition"),
        rate: fields.one("historical_rate"),
        investments: fields
            .all("investment_account_ids")
            .into_iter()
            .filter(|a| !a.is_empty())
            .collect(),
        contributions: (0..months.len().max(amounts.len()).max(rates.len()))
            .map(|i| ContributionView {
                month: months.get(i).cloned().unwrap_or_default(),
                amount: amounts.get(i).cloned().unwrap_or_default(),
                rate: rates.get(i).cloned().unwrap_or_default(),
            })
            .collect(),
        suggestion: None,
        errors: vec![],
        notice: None,
    };
    let name_of = |id: i64| {
        views
            .iter()
            .find(|v| v.id == id)
            .map(|v| v.name.clone())
            .unwrap_or_else(|| format!("entity {id}"))
    };
    let action = fields.one("action");
    let status = match action.as_str() {
        "suggest" => {
            match Month::parse(&f.acquired) {
                Err(_) => f
                    .errors
                    .push("acquired: the month of the acquisition date, YYYY-MM".into()),
                Ok(m) => {
                    let (equity, rate) = suggestion(&state, &group, view, m).await?;
                    if let Some(e) = equity {
                        f.equity = e.to_string();
                    }
                    if let Some(r) = rate {
                        f.rate = r.to_string();
                    }
                    f.notice = Some(
                        "Suggested from Xero's balance sheet and the rates; check them and save to confirm. Nothing is saved yet."
                            .into(),
                    );
                }
            }
            StatusCode::OK
        }
        "remove" => {
            state
                .store
                .set_ownership(
                    group.id,
                    &[],
                    &[view.id],
                    &name_of,
                    Some(user.user.id),
                    Utc::now(),
                )
                .await?;
            let views_parent = views.iter().find(|e| e.is_parent).map(|e| e.id);
            f = form_of(&state, view, views_parent, None).await?;
            f.notice = Some("Removed: the balance sheet assumes it again until it is set.".into());
            StatusCode::OK
        }
        "save" => {
            let entities: HashMap<i64, i64> =
                views.iter().map(|e| (e.id, e.organisation_id)).collect();
            let owner_accounts = asset_accounts(&state.store, &views)
                .await?
                .into_iter()
                .map(|(e, l)| (e, l.into_iter().map(|a| a.account_id).collect()))
                .collect();
            match parse_row(&row_value(&f), &entities, &owner_accounts) {
                Err(errors) => {
                    f.errors = errors;
                    StatusCode::UNPROCESSABLE_ENTITY
                }
                Ok((_, None)) => StatusCode::UNPROCESSABLE_ENTITY,
                Ok((_, Some(row))) => {
                    if let Some(e) =
                        cycle_after(&state.store, group.id, std::slice::from_ref(&row), &[]).await?
                    {
                        f.errors.push(format!(
                            "owner_entity_id: {} would own itself through its owners",
                            name_of(e)
                        ));
                        StatusCode::UNPROCESSABLE_ENTITY
                    } else {
                        state
                            .store
                            .set_ownership(
                                group.id,
                                std::slice::from_ref(&row),
                                &[],
                                &name_of,
                                Some(user.user.id),
                                Utc::now(),
                            )
                            .await?;
                        f = form_of(&state, view, None, Some(&row)).await?;
                        f.notice = Some("Saved.".into());
                        StatusCode::OK
                    }
                }
            }
        }
        _ => return Err(WebError::NotFound),
    };
    if !f.errors.is_empty() {
        // The row keeps what was typed; the contributions keep a blank row.
        if f.contributions.iter().all(|c| !c.month.is_empty()) {
            f.contributions.push(blank_contribution());
        }
    } else if f.contributions.last().is_none_or(|c| !c.month.is_empty()) {
        f.contributions.push(blank_contribution());
    }
    show(&state, &user, group, role, status, Some(f)).await
}

//! The intercompany balances reconciliation page, beside the invoice
//! reconciliation: at a month end, per pair of entities, each side's claim
//! on the other in the presentation currency, the difference that went to
//! the balance sheet's "intercompany difference" line, and the balances
//! and items behind each side.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use super::groups::require_role;
use super::{Nav, render};
use crate::domain::Month;
use crate::store::{Group, GroupRole};
use crate::web::format::accounting;
use crate::web::{AppState, CurrentUser, WebError};

#[derive(Deserialize)]
pub struct AtQuery {
    at: Option<String>,
}

struct BalanceRow {
    entity: String,
    account: String,
    currency: String,
    amount: String,
    rate: String,
    translated: String,
}

struct ItemRow {
    entity: String,
    source: String,
    number: String,
    date: String,
    currency: String,
    amount: String,
}

struct PairView {
    entity: String,
    counterpart: String,
    entity_side: String,
    counterpart_side: String,
    difference: String,
    differs: bool,
    balances: Vec<BalanceRow>,
    items: Vec<ItemRow>,
}

#[derive(Template)]
#[template(path = "ic_balances.html")]
struct IcBalancesPage {
    nav: Nav,
    group: Group,
    currency: String,
    at: String,
    error: Option<String>,
    pairs: Vec<PairView>,
    total_difference: String,
    warnings: Vec<String>,
}

pub async fn page(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<AtQuery>,
) -> Result<HttpResponse, WebError> {
    let id: i64 = path.parse().map_err(|_| WebError::NotFound)?;
    let (group, _) = require_role(&state, &user, id, GroupRole::Viewer).await?;
    let places = group.presentation_currency.minor_units();
    let mut page = IcBalancesPage {
        nav: Nav::of(&user),
        currency: group.presentation_currency.to_string(),
        at: String::new(),
        group,
        error: None,
        pairs: vec![],
        total_difference: String::new(),
        warnings: vec![],
    };
    let at = match query.at.as_deref() {
        None | Some("") => Month::of(Utc::now().date_naive()).prev(),
        Some(s) => match Month::parse(s) {
            Ok(m) => m,
            Err(e) => {
                page.at = s.chars().take(7).collect();
                page.error = Some(format!("{e}: choose a month, YYYY-MM."));
                return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
            }
        },
    };
    page.at = at.to_string();
    let run = state
        .reports
        .balance_sheet(&state.store, &page.group, at)
        .await?;
    let report = &run.report;
    let names: HashMap<i64, String> = state
        .store
        .entities_for_group(page.group.id)
        .await?
        .into_iter()
        .map(|e| (e.id, e.name))
        .collect();
    let name = |id: i64| {
        names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| format!("entity {id}"))
    };
    let mut total = rust_decimal::Decimal::ZERO;
    for p in &report.intercompany_balances {
        total += p.difference;
        page.pairs.push(PairView {
            entity: name(p.entity.0),
            counterpart: name(p.counterpart.0),
            entity_side: accounting(p.entity_side, places),
            counterpart_side: accounting(p.counterpart_side, places),
            difference: accounting(p.difference, places),
            differs: !p.difference.is_zero(),
            balances: p
                .balances
                .iter()
                .map(|b| BalanceRow {
                    entity: name(b.entity.0),
                    account: b.account_id.clone(),
                    currency: b.currency.to_string(),
                    amount: accounting(b.amount, b.currency.minor_units()),
                    rate: b.closing_rate.normalize().to_string(),
                    translated: accounting(b.translated, places),
                })
                .collect(),
            items: p
                .items
                .iter()
                .map(|i| ItemRow {
                    entity: name(i.entity.0),
                    source: format!("{} {}", i.source.replace('_', " "), i.source_type),
                    number: i.number.clone().unwrap_or_else(|| i.id.clone()),
                    date: i.date.map(|d| d.to_string()).unwrap_or_default(),
                    currency: i.currency.to_string(),
                    amount: accounting(i.amount, i.currency.minor_units()),
                })
                .collect(),
        });
    }
    page.total_difference = accounting(total, places);
    page.warnings = report.warnings.clone();
    render(StatusCode::OK, &page)
}

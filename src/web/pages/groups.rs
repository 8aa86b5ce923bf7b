//! The groups a user belongs to, creating one, and a group's page.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use super::{Nav, render};
use crate::domain::CurrencyCode;
use crate::store::{Group, GroupRole, NewGroup};
use crate::web::{AppState, CurrentUser, WebError};

pub const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

#[derive(Template)]
#[template(path = "groups.html")]
struct GroupsPage {
    nav: Nav,
    groups: Vec<(Group, GroupRole)>,
    form: GroupFormValues,
    errors: Vec<String>,
    months: [&'static str; 12],
}

#[derive(Template)]
#[template(path = "group.html")]
struct GroupPage {
    nav: Nav,
    group: Group,
    role: GroupRole,
    year_end: &'static str,
}

#[derive(Default)]
struct GroupFormValues {
    name: String,
    presentation_currency: String,
    financial_year_end_month: u32,
}

#[derive(Deserialize)]
pub struct GroupForm {
    name: String,
    presentation_currency: String,
    financial_year_end_month: String,
    csrf_token: String,
}

pub async fn list(user: CurrentUser, state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    let form = GroupFormValues {
        name: String::new(),
        presentation_currency: "NZD".into(),
        financial_year_end_month: 3,
    };
    page(&user, &state, StatusCode::OK, form, vec![]).await
}

async fn page(
    user: &CurrentUser,
    state: &AppState,
    status: StatusCode,
    form: GroupFormValues,
    errors: Vec<String>,
) -> Result<HttpResponse, WebError> {
    let groups = state.store.groups_for_user(user.user.id).await?;
    render(
        status,
        &GroupsPage {
            nav: Nav::of(user),
            groups,
            form,
            errors,
            months: MONTH_NAMES,
        },
    )
}

pub async fn create(
    user: CurrentUser,
    state: web::Data<AppState>,
    form: web::Form<GroupForm>,
) -> Result<HttpResponse, WebError> {
    let form = form.into_inner();
    user.check_csrf(&form.csrf_token)?;
    let mut errors = Vec::new();
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        errors.push("Give the group a name of 1 to 100 characters.".to_string());
    }
    let currency = CurrencyCode::parse(&form.presentation_currency)
        .map_err(|e| errors.push(e.to_string()))
        .ok();
    let month = form
        .financial_year_end_month
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|m| (1..=12).contains(m));
    if month.is_none() {
        errors.push("Choose the month the financial year ends in.".to_string());
    }
    let (Some(currency), Some(month), true) = (currency, month, errors.is_empty()) else {
        let values = GroupFormValues {
            name: form.name,
            presentation_currency: form.presentation_currency,
            financial_year_end_month: month.unwrap_or(0),
        };
        return page(
            &user,
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            values,
            errors,
        )
        .await;
    };
    let group = state
        .store
        .create_group(
            &NewGroup {
                name,
                presentation_currency: currency,
                financial_year_end_month: month,
            },
            user.user.id,
            Utc::now(),
        )
        .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/groups/{}", group.id)))
        .finish())
}

pub async fn show(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    // A malformed id and another group's id look the same: not found.
    let id: i64 = path.parse().map_err(|_| WebError::NotFound)?;
    let (group, role) = state
        .store
        .group_for_member(id, user.user.id)
        .await?
        .ok_or(WebError::NotFound)?;
    let year_end = MONTH_NAMES
        .get((group.financial_year_end_month as usize).wrapping_sub(1))
        .copied()
        .unwrap_or("?");
    render(
        StatusCode::OK,
        &GroupPage {
            nav: Nav::of(&user),
            group,
            role,
            year_end,
        },
    )
}

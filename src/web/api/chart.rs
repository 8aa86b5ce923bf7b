//! Setting a group up by script: start its chart of accounts (from an
//! entity's chart, or from rows) and apply Consol's suggestions, so that a
//! group can be set up end to end over the API as the pages do.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::Utc;
use serde_json::{Value, json};

use super::setup::{RowErrors, rows_invalid};
use super::{ApiError, ApiUser};
use crate::consolidation::{self, chart::ChartStart, class_of};
use crate::engine::AccountSection;
use crate::store::{GroupRole, NewGroupAccount};
use crate::web::AppState;

/// Most group accounts one request may add.
const MAX_CHART_ROWS: usize = 5_000;

fn body_json(body: &[u8]) -> Result<Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice(body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("The body is not JSON: {e}"),
        )
    })
}

/// One row of `accounts`, checked; `Err` holds what is wrong with it.
fn chart_row(v: &Value) -> Result<NewGroupAccount, Vec<String>> {
    let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::trim);
    let mut errors = Vec::new();
    let code = text("code").unwrap_or("");
    if code.is_empty() || code.chars().count() > 20 {
        errors.push("code: 1 to 20 characters".to_string());
    }
    let name = text("name").unwrap_or("");
    if name.is_empty() || name.chars().count() > 150 {
        errors.push("name: 1 to 150 characters".to_string());
    }
    let class = text("class").and_then(class_of);
    if class.is_none() {
        errors.push("class: one of REVENUE, EXPENSE, ASSET, LIABILITY, EQUITY".to_string());
    }
    // Sections are Xero's titles; case is forgiven, the stored title is
    // Consol's own spelling.
    let section = text("section")
        .and_then(AccountSection::from_title)
        .filter(|s| class.is_some_and(|c| s.fits(c)));
    if let Some(c) = class
        && section.is_none()
    {
        let allowed: Vec<&str> = AccountSection::for_class(c)
            .map(AccountSection::title)
            .collect();
        errors.push(format!(
            "section: for this class, one of {}",
            allowed.join(", ")
        ));
    }
    match (class, section, errors.is_empty()) {
        (Some(c), Some(s), true) => Ok(NewGroupAccount {
            code: code.to_string(),
            name: name.to_string(),
            class: consolidation::class_name(c).to_string(),
            section: s.title().to_string(),
        }),
        _ => Err(errors),
    }
}

/// `POST /api/v1/groups/{id}/chart` (admin): `{"from_entity": ID}` starts
/// an empty chart from that entity's chart (its accounts mapped onto their
/// copies, confirmed); `{"accounts": [{code, name, class, section}]}` adds
/// accounts to the chart. Every row is checked first; nothing is stored
/// when any row is bad.
pub async fn post_chart(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (group, _) = user.group(&state, &path, GroupRole::Admin).await?;
    let v = body_json(&body)?;
    let now = Utc::now();
    match (v.get("from_entity"), v.get("accounts")) {
        (Some(e), None) => {
            let entity = match e.as_i64() {
                Some(id) => state
                    .store
                    .entities_for_group(group.id)
                    .await?
                    .into_iter()
                    .find(|x| x.id == id),
                None => None,
            };
            let Some(entity) = entity else {
                return Err(ApiError::invalid(
                    "from_entity is not an entity of this group.",
                    json!({ "from_entity": "the id of an entity of this group" }),
                ));
            };
            match consolidation::chart::start_from_entity(
                &state.store,
                group.id,
                &entity,
                Some(user.user.id),
                now,
            )
            .await?
            {
                ChartStart::Started { accounts } => Ok(HttpResponse::Created().json(json!({
                    "group_accounts": accounts,
                    "from_entity": entity.id,
                }))),
                ChartStart::NotEmpty(n) => Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "conflict",
                    format!(
                        "The group already has a chart of {n} accounts; add accounts with \
                         {{\"accounts\": [...]}} instead."
                    ),
                )),
                ChartStart::NoAccounts => Err(ApiError::invalid(
                    format!(
                        "{} has no synced accounts with a code yet; sync it first.",
                        entity.name
                    ),
                    json!({ "from_entity": "an entity with synced accounts" }),
                )),
            }
        }
        (None, Some(Value::Array(rows))) if !rows.is_empty() => {
            if rows.len() > MAX_CHART_ROWS {
                return Err(ApiError::invalid(
                    format!("At most {MAX_CHART_ROWS} accounts a request."),
                    json!({ "accounts": format!("at most {MAX_CHART_ROWS} rows") }),
                ));
            }
            let mut bad = Vec::new();
            let mut good = Vec::new();
            for (i, r) in rows.iter().enumerate() {
                match chart_row(r) {
                    Ok(a) if good.iter().any(|g: &NewGroupAccount| g.code == a.code) => {
                        bad.push(RowErrors {
                            row: i + 1,
                            errors: vec![format!("code: {} is given twice", a.code)],
                        })
                    }
                    Ok(a) => good.push(a),
                    Err(errors) => bad.push(RowErrors { row: i + 1, errors }),
                }
            }
            if !bad.is_empty() {
                return Err(rows_invalid(&bad));
            }
            match consolidation::chart::add_accounts(
                &state.store,
                group.id,
                &good,
                Some(user.user.id),
                now,
            )
            .await?
            {
                Ok(n) => Ok(HttpResponse::Created().json(json!({ "group_accounts": n }))),
                Err(taken) => {
                    let bad: Vec<RowErrors> = good
                        .iter()
                        .enumerate()
                        .filter(|(_, a)| taken.contains(&a.code))
                        .map(|(i, a)| RowErrors {
                            row: i + 1,
                            errors: vec![format!("code: {} is already in the group chart", a.code)],
                        })
                        .collect();
                    Err(rows_invalid(&bad))
                }
            }
        }
        _ => Err(ApiError::invalid(
            "Give either from_entity or a non-empty accounts array.",
            json!({
                "from_entity": "the id of an entity whose chart the group chart starts from",
                "accounts": "[{code, name, class, section}]",
            }),
        )),
    }
}

/// `POST /api/v1/groups/{id}/apply-suggestions` (editor):
/// `{"confirm": false}` (the default) stores Consol's suggested mappings
/// and intercompany contacts for review; `true` confirms them at once. A
/// group without a chart gets one from its parent's chart first. Decisions
/// a user made (confirmed or rejected) are never overwritten.
pub async fn apply_suggestions(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (group, _) = user.group(&state, &path, GroupRole::Editor).await?;
    let v = body_json(&body)?;
    let confirm = match v.get("confirm") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            return Err(ApiError::invalid(
                "confirm must be true or false.",
                json!({ "confirm": "true or false" }),
            ));
        }
    };
    let (mappings, contacts) = consolidation::apply_suggestions(
        &state.store,
        &group,
        confirm,
        Some(user.user.id),
        Utc::now(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(json!({
        "confirmed": confirm,
        "account_mappings": mappings,
        "intercompany_contacts": contacts,
    })))
}

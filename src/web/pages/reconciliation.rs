//! The intercompany reconciliation page: a row per pair of entities for the
//! period with its counts and net effect on group profit, and the items
//! that need someone to fix them in Xero.

use std::collections::{BTreeMap, HashMap};

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use rust_decimal::Decimal;
use serde::Deserialize;

use super::groups::require_role;
use super::reports::{PeriodQuery, period_of};
use super::{Nav, render};
use crate::consolidation;
use crate::engine::{self, IntercompanyPair, MatchStatus, Side};
use crate::store::{Group, GroupRole};
use crate::web::format::accounting;
use crate::web::{AppState, CurrentUser, WebError};

#[derive(Deserialize)]
pub struct ReconQuery {
    from: Option<String>,
    to: Option<String>,
    /// `all` lists matched pairs too.
    show: Option<String>,
}

struct PairRow {
    seller: String,
    buyer: String,
    matched: usize,
    differs: usize,
    missing: usize,
    seller_amount: String,
    buyer_amount: String,
    net_effect: String,
}

#[derive(Default)]
struct PairTotals {
    matched: usize,
    differs: usize,
    missing: usize,
    seller: Decimal,
    buyer: Decimal,
    net: Decimal,
}

struct ItemRow {
    month: String,
    seller: String,
    buyer: String,
    status: &'static str,
    status_class: &'static str,
    invoice: String,
    bill: String,
    seller_total: String,
    buyer_total: String,
    net_effect: String,
}

#[derive(Template)]
#[template(path = "reconciliation.html")]
struct ReconPage {
    nav: Nav,
    group: Group,
    from: String,
    to: String,
    currency: String,
    pairs: Vec<PairRow>,
    items: Vec<ItemRow>,
    show_all: bool,
    error: Option<String>,
}

fn side_text(s: &Option<Side>) -> (String, String) {
    match s {
        Some(s) => (
            format!(
                "{} ({})",
                s.invoice_number.as_deref().unwrap_or("no number"),
                s.date
            ),
            format!("{} {}", s.total, s.currency),
        ),
        None => ("missing".into(), String::new()),
    }
}

pub async fn page(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<ReconQuery>,
) -> Result<HttpResponse, WebError> {
    let id: i64 = path.parse().map_err(|_| WebError::NotFound)?;
    let (group, _) = require_role(&state, &user, id, GroupRole::Viewer).await?;
    let q = query.into_inner();
    let mut page = ReconPage {
        nav: Nav::of(&user),
        currency: group.presentation_currency.to_string(),
        from: q.from.clone().unwrap_or_default(),
        to: q.to.clone().unwrap_or_default(),
        group,
        pairs: Vec::new(),
        items: Vec::new(),
        show_all: q.show.as_deref() == Some("all"),
        error: None,
    };
    let period = match period_of(&PeriodQuery {
        from: q.from,
        to: q.to,
    }) {
        Ok(p) => p,
        Err(e) => {
            page.error = Some(e);
            return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    page.from = period.from().to_string();
    page.to = period.to().to_string();
    let data = consolidation::load(&state.store, &page.group, period).await?;
    let rec = engine::reconcile_intercompany(&data, period)
        .map_err(|e| WebError::Internal(anyhow::anyhow!(e.to_string())))?;
    let names: HashMap<i64, String> = data
        .entities
        .iter()
        .map(|e| (e.id.0, e.name.clone()))
        .collect();
    let name = |id: &engine::EntityId| names.get(&id.0).cloned().unwrap_or_default();
    let places = page.group.presentation_currency.minor_units();

    // Months summed per pair of entities.
    let mut by_pair: BTreeMap<(String, String), PairTotals> = BTreeMap::new();
    for s in &rec.summary {
        let e = by_pair
            .entry((name(&s.seller), name(&s.buyer)))
            .or_default();
        e.matched += s.matched;
        e.differs += s.amount_differs;
        e.missing += s.counterpart_missing;
        e.seller += s.seller_amount;
        e.buyer += s.buyer_amount;
        e.net += s.net_effect;
    }
    page.pairs = by_pair
        .into_iter()
        .map(|((seller, buyer), t)| PairRow {
            seller,
            buyer,
            matched: t.matched,
            differs: t.differs,
            missing: t.missing,
            seller_amount: accounting(t.seller, places),
            buyer_amount: accounting(t.buyer, places),
            net_effect: accounting(t.net, places),
        })
        .collect();
    page.items = rec
        .pairs
        .iter()
        .filter(|p: &&IntercompanyPair| page.show_all || p.status != MatchStatus::Matched)
        .map(|p| {
            let (invoice, seller_total) = side_text(&p.seller_invoice);
            let (bill, buyer_total) = side_text(&p.buyer_bill);
            let (status, status_class) = match p.status {
                MatchStatus::Matched => ("matched", "ok"),
                MatchStatus::AmountDiffers => ("amount differs", "warn"),
                MatchStatus::CounterpartMissing => ("counterpart missing", "bad"),
            };
            ItemRow {
                month: p.month.to_string(),
                seller: name(&p.seller),
                buyer: name(&p.buyer),
                status,
                status_class,
                invoice,
                bill,
                seller_total,
                buyer_total,
                net_effect: p
                    .net_effect
                    .map(|v| accounting(v, places))
                    .unwrap_or_else(|| "no rate".into()),
            }
        })
        .collect();
    render(StatusCode::OK, &page)
}

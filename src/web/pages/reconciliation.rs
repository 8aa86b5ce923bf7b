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
    /// Only the items between these two entities (from the matrix).
    seller: Option<i64>,
    buyer: Option<i64>,
}

/// A cell of the seller × buyer matrix.
struct MatrixCell {
    text: String,
    net: String,
    class: &'static str,
    href: String,
}

struct MatrixRow {
    seller: String,
    cells: Vec<Option<MatrixCell>>,
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
    buyers: Vec<String>,
    matrix: Vec<MatrixRow>,
    filtered: Option<String>,
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
        buyers: Vec::new(),
        matrix: Vec::new(),
        filtered: None,
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
    let (rec, names) = state
        .reports
        .with_run(&state.store, &page.group, period, move |run| {
            let names: HashMap<i64, String> = run
                .data()
                .entities
                .iter()
                .map(|e| (e.id.0, e.name.clone()))
                .collect();
            engine::reconcile_intercompany(run.data(), period).map(|rec| (rec, names))
        })
        .await?
        .map_err(|e| WebError::Internal(anyhow::anyhow!(e.to_string())))?;
    let name = |id: &engine::EntityId| names.get(&id.0).cloned().unwrap_or_default();
    let places = page.group.presentation_currency.minor_units();

    // Months summed per pair of entities.
    let mut by_pair: BTreeMap<(i64, i64), PairTotals> = BTreeMap::new();
    for s in &rec.summary {
        let e = by_pair.entry((s.seller.0, s.buyer.0)).or_default();
        e.matched += s.matched;
        e.differs += s.amount_differs;
        e.missing += s.counterpart_missing;
        e.seller += s.seller_amount;
        e.buyer += s.buyer_amount;
        e.net += s.net_effect;
    }
    // The matrix: a row per seller, a column per buyer.
    let mut entities: Vec<(i64, String)> = names.iter().map(|(id, n)| (*id, n.clone())).collect();
    entities.sort_by(|a, b| a.1.cmp(&b.1));
    page.buyers = entities.iter().map(|(_, n)| n.clone()).collect();
    page.matrix = entities
        .iter()
        .map(|(seller, seller_name)| MatrixRow {
            seller: seller_name.clone(),
            cells: entities
                .iter()
                .map(|(buyer, _)| {
                    let t = by_pair.get(&(*seller, *buyer))?;
                    Some(MatrixCell {
                        text: format!("{} / {} / {}", t.matched, t.differs, t.missing),
                        net: accounting(t.net, places),
                        class: if t.missing > 0 {
                            "bad"
                        } else if t.differs > 0 {
                            "warn"
                        } else {
                            "ok"
                        },
                        href: format!(
                            "?from={}&to={}&seller={seller}&buyer={buyer}&show=all",
                            page.from, page.to
                        ),
                    })
                })
                .collect(),
        })
        .collect();
    if let (Some(sel), Some(buy)) = (q.seller, q.buyer) {
        page.filtered = Some(format!(
            "{} to {}",
            names.get(&sel).cloned().unwrap_or_default(),
            names.get(&buy).cloned().unwrap_or_default()
        ));
    }
    page.pairs = by_pair
        .into_iter()
        .map(|((seller, buyer), t)| PairRow {
            seller: names.get(&seller).cloned().unwrap_or_default(),
            buyer: names.get(&buyer).cloned().unwrap_or_default(),
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
        .filter(|p| q.seller.is_none_or(|id| p.seller.0 == id))
        .filter(|p| q.buyer.is_none_or(|id| p.buyer.0 == id))
        .map(|p| {
            let (mut invoice, seller_total) = side_text(&p.seller_invoice);
            let (mut bill, buyer_total) = side_text(&p.buyer_bill);
            // Credit notes and spend/receive money pair like invoices; say
            // which they are.
            let kind = match p.kind {
                crate::engine::DocumentKind::Invoice => "",
                crate::engine::DocumentKind::CreditNote => "credit note ",
                crate::engine::DocumentKind::BankTransaction => "bank transaction ",
            };
            for text in [&mut invoice, &mut bill] {
                if !kind.is_empty() && !text.is_empty() {
                    text.insert_str(0, kind);
                }
            }
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

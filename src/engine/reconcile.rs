//! Rule 4, matching: pairs a seller's ACCREC invoice with the buyer's ACCPAY
//! bill, and lists pairs and single sides per pair of entities and month
//! with the amounts on each side and the net effect on group profit.
//! Elimination never waits for this: it is a view for people to fix Xero.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::error::EngineError;
use super::index::GroupIndex;
use super::input::{EntityId, GroupData, InvoiceType};
use super::intercompany::{IcInvoice, IcOutcome, intercompany_invoices, profit_effect_sign};
use super::lines::signed;
use super::money::{round_to, translate, zero};
use crate::domain::{CurrencyCode, Month, MonthRange};

/// Days a bill's date may differ from the invoice's when matched by amount.
pub const MATCH_WINDOW_DAYS: i64 = 7;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchStatus {
    Matched,
    AmountDiffers,
    CounterpartMissing,
}

/// What kind of documents a pair is made of. Each kind pairs only with
/// its own: a seller's sales invoice with the buyer's bill, a seller's
/// sales credit note with the buyer's purchases credit note, receive money
/// with the other side's spend money.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    Invoice,
    CreditNote,
    BankTransaction,
}

impl DocumentKind {
    /// The kind of a document, and whether it is the seller's side (the
    /// side whose document raised its own profit for an invoice: ACCREC,
    /// ACCRECCREDIT, RECEIVE).
    pub fn of(t: InvoiceType) -> (Self, bool) {
        match t {
            InvoiceType::Accrec => (Self::Invoice, true),
            InvoiceType::Accpay => (Self::Invoice, false),
            InvoiceType::Accreccredit => (Self::CreditNote, true),
            InvoiceType::Accpaycredit => (Self::CreditNote, false),
            InvoiceType::Receive => (Self::BankTransaction, true),
            InvoiceType::Spend => (Self::BankTransaction, false),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchedBy {
    InvoiceNumber,
    AmountAndDate,
}

/// One side (the seller's invoice or the buyer's bill).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Side {
    pub entity: EntityId,
    pub invoice_id: String,
    pub invoice_number: Option<String>,
    pub date: NaiveDate,
    pub month: Month,
    pub currency: CurrencyCode,
    /// Xero's `Total`, in the invoice currency.
    #[serde(with = "rust_decimal::serde::str")]
    pub total: Decimal,
    /// Net amount of the P&L lines, in the invoice currency.
    #[serde(with = "rust_decimal::serde::str")]
    pub net_amount: Decimal,
    /// The P&L lines translated into the presentation currency (each line's
    /// base amount rounded, summed, translated once); null when the month's
    /// rate is missing.
    #[serde(with = "super::money::opt_str")]
    pub presentation_amount: Option<Decimal>,
    /// What eliminating this side does to group profit (null as above).
    #[serde(with = "super::money::opt_str")]
    pub profit_effect: Option<Decimal>,
}

/// A pair, or a single side whose counterpart is missing. For credit notes
/// the seller's side is its sales credit note (ACCRECCREDIT) and the
/// buyer's its purchases credit note (ACCPAYCREDIT); for bank transactions
/// the receiver's RECEIVE and the payer's SPEND.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IntercompanyPair {
    pub seller: EntityId,
    pub buyer: EntityId,
    /// The month of the seller's invoice (of the bill when it is alone).
    pub month: Month,
    pub kind: DocumentKind,
    pub status: MatchStatus,
    pub matched_by: Option<MatchedBy>,
    pub seller_invoice: Option<Side>,
    pub buyer_bill: Option<Side>,
    /// Effect of both eliminations on group profit. For a matched pair in
    /// equal amounts this is a translation difference.
    #[serde(with = "super::money::opt_str")]
    pub net_effect: Option<Decimal>,
}

/// Totals per (seller, buyer, month).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PairSummary {
    pub seller: EntityId,
    pub buyer: EntityId,
    pub month: Month,
    pub matched: usize,
    pub amount_differs: usize,
    pub counterpart_missing: usize,
    /// Seller side, presentation currency (known amounts only).
    #[serde(with = "rust_decimal::serde::str")]
    pub seller_amount: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub buyer_amount: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub net_effect: Decimal,
    /// False when a side had no rate, so the amounts are incomplete.
    pub complete: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IntercompanyReconciliation {
    pub currency: CurrencyCode,
    pub pairs: Vec<IntercompanyPair>,
    pub summary: Vec<PairSummary>,
}

fn side(idx: &GroupIndex<'_>, inv: &IcInvoice<'_>) -> Side {
    let e = idx.entities[inv.entity_pos];
    let rate = idx.average_rate(e.base_currency, inv.month);
    let mut net = Decimal::ZERO;
    // As eliminated: each line's base amount rounded as Xero posts it,
    // summed, translated once.
    let mut base_sum = Decimal::ZERO;
    for l in inv.lines(idx) {
        if let IcOutcome::Eliminate { base, .. } = &l.outcome {
            net += l.net;
            base_sum += round_to(*base, e.base_currency.minor_units());
        }
    }
    let presented = rate.and_then(|r| translate(base_sum, r, idx.minor_units));
    let effect = presented.map(|p| -signed(profit_effect_sign(inv.invoice.invoice_type), p));
    Side {
        entity: e.id,
        invoice_id: inv.invoice.invoice_id.clone(),
        invoice_number: inv.invoice.invoice_number.clone(),
        date: inv.invoice.date,
        month: inv.month,
        currency: inv.invoice.currency,
        total: inv.invoice.total,
        net_amount: net,
        presentation_amount: presented,
        profit_effect: effect,
    }
}

pub(crate) fn number_key(n: &Option<String>) -> Option<String> {
    n.as_deref()
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty())
}

/// The intercompany reconciliation of `period`. Bills dated up to
/// [`MATCH_WINDOW_DAYS`] outside the period can still pair with its
/// invoices (and the other way round); a pair belongs to the month of its
/// seller's invoice.
pub fn reconcile_intercompany(
    data: &GroupData,
    period: MonthRange,
) -> Result<IntercompanyReconciliation, EngineError> {
    let idx = GroupIndex::build(data)?;
    let wide = MonthRange::new(period.from().prev(), period.to().next())
        .expect("a widened range stays ordered");
    let ic = intercompany_invoices(&idx, wide);
    let mut pairs = Vec::new();
    for kind in [
        DocumentKind::Invoice,
        DocumentKind::CreditNote,
        DocumentKind::BankTransaction,
    ] {
        let (sellers, buyers): (Vec<&IcInvoice<'_>>, Vec<&IcInvoice<'_>>) = ic
            .iter()
            .filter(|i| DocumentKind::of(i.invoice.invoice_type).0 == kind)
            .partition(|i| DocumentKind::of(i.invoice.invoice_type).1);
        pair_up(&idx, kind, &sellers, &buyers, &mut pairs);
    }

    let mut out: Vec<IntercompanyPair> = pairs
        .into_iter()
        .filter_map(|(kind, s, b, by)| {
            let month = s.or(b).map(|i| i.month)?;
            if !period.contains(month) {
                return None;
            }
            let (seller, buyer) = match (s, b) {
                (Some(s), _) => (idx.entities[s.entity_pos].id, s.counterpart),
                (None, Some(b)) => (b.counterpart, idx.entities[b.entity_pos].id),
                (None, None) => return None,
            };
            let status = match (s, b) {
                (Some(s), Some(b))
                    if s.invoice.currency == b.invoice.currency
                        && s.invoice.total == b.invoice.total =>
                {
                    MatchStatus::Matched
                }
                (Some(_), Some(_)) => MatchStatus::AmountDiffers,
                _ => MatchStatus::CounterpartMissing,
            };
            let seller_invoice = s.map(|s| side(&idx, s));
            let buyer_bill = b.map(|b| side(&idx, b));
            let effects = [&seller_invoice, &buyer_bill]
                .into_iter()
                .flatten()
                .map(|x| x.profit_effect)
                .collect::<Option<Vec<Decimal>>>();
            let net_effect = effects.map(|v| {
                let mut t = v.into_iter().sum::<Decimal>();
                t.rescale(idx.minor_units);
                t
            });
            Some(IntercompanyPair {
                seller,
                buyer,
                month,
                kind,
                status,
                matched_by: by,
                seller_invoice,
                buyer_bill,
                net_effect,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        (a.seller, a.buyer, a.month, a.kind, pair_id(a)).cmp(&(
            b.seller,
            b.buyer,
            b.month,
            b.kind,
            pair_id(b),
        ))
    });

    let mut summary: BTreeMap<(EntityId, EntityId, Month), PairSummary> = BTreeMap::new();
    let z = zero(idx.minor_units);
    for p in &out {
        let s = summary
            .entry((p.seller, p.buyer, p.month))
            .or_insert_with(|| PairSummary {
                seller: p.seller,
                buyer: p.buyer,
                month: p.month,
                matched: 0,
                amount_differs: 0,
                counterpart_missing: 0,
                seller_amount: z,
                buyer_amount: z,
                net_effect: z,
                complete: true,
            });
        match p.status {
            MatchStatus::Matched => s.matched += 1,
            MatchStatus::AmountDiffers => s.amount_differs += 1,
            MatchStatus::CounterpartMissing => s.counterpart_missing += 1,
        }
        for (side, acc) in [
            (&p.seller_invoice, &mut s.seller_amount),
            (&p.buyer_bill, &mut s.buyer_amount),
        ] {
            if let Some(side) = side {
                match side.presentation_amount {
                    Some(a) => *acc += a,
                    None => s.complete = false,
                }
            }
        }
        if let Some(e) = p.net_effect {
            s.net_effect += e;
        }
    }
    Ok(IntercompanyReconciliation {
        currency: idx.presentation,
        pairs: out,
        summary: summary.into_values().collect(),
    })
}

/// A pair of documents of one kind (or a single side): seller's, buyer's,
/// how they were matched.
pub(crate) type Paired<'r, 'a> = (
    DocumentKind,
    Option<&'r IcInvoice<'a>>,
    Option<&'r IcInvoice<'a>>,
    Option<MatchedBy>,
);

/// Pairs the seller-side and buyer-side documents of one kind: first by
/// number (InvoiceNumber, CreditNoteNumber), then by currency, total and
/// dates within [`MATCH_WINDOW_DAYS`] (closest first). One to one.
pub(crate) fn pair_up<'r, 'a>(
    idx: &GroupIndex<'a>,
    kind: DocumentKind,
    sellers: &[&'r IcInvoice<'a>],
    buyers: &[&'r IcInvoice<'a>],
    pairs: &mut Vec<Paired<'r, 'a>>,
) {
    // Bills by (buyer, seller).
    let mut bills: HashMap<(EntityId, EntityId), Vec<usize>> = HashMap::new();
    for (i, b) in buyers.iter().enumerate() {
        bills
            .entry((idx.entities[b.entity_pos].id, b.counterpart))
            .or_default()
            .push(i);
    }
    let mut taken = vec![false; buyers.len()];
    let mut unmatched_sellers = Vec::new();

    // Pass 1: by number.
    for s in sellers {
        let seller = idx.entities[s.entity_pos].id;
        let key = number_key(&s.invoice.invoice_number);
        let found = key.and_then(|k| {
            bills.get(&(s.counterpart, seller)).and_then(|c| {
                c.iter().copied().find(|&b| {
                    !taken[b] && number_key(&buyers[b].invoice.invoice_number).as_ref() == Some(&k)
                })
            })
        });
        match found {
            Some(b) => {
                taken[b] = true;
                pairs.push((
                    kind,
                    Some(*s),
                    Some(buyers[b]),
                    Some(MatchedBy::InvoiceNumber),
                ));
            }
            None => unmatched_sellers.push(*s),
        }
    }
    // Pass 2: same currency and total, dates within the window (closest).
    for s in unmatched_sellers {
        let seller = idx.entities[s.entity_pos].id;
        let found = bills.get(&(s.counterpart, seller)).and_then(|c| {
            c.iter()
                .copied()
                .filter(|&b| {
                    let bi = buyers[b].invoice;
                    !taken[b]
                        && bi.currency == s.invoice.currency
                        && bi.total == s.invoice.total
                        && (bi.date - s.invoice.date).num_days().abs() <= MATCH_WINDOW_DAYS
                })
                .min_by_key(|&b| {
                    (
                        (buyers[b].invoice.date - s.invoice.date).num_days().abs(),
                        b,
                    )
                })
        });
        match found {
            Some(b) => {
                taken[b] = true;
                pairs.push((
                    kind,
                    Some(s),
                    Some(buyers[b]),
                    Some(MatchedBy::AmountAndDate),
                ));
            }
            None => pairs.push((kind, Some(s), None, None)),
        }
    }
    for (b, t) in taken.iter().enumerate() {
        if !t {
            pairs.push((kind, None, Some(buyers[b]), None));
        }
    }
}

fn pair_id(p: &IntercompanyPair) -> (&str, &str) {
    (
        p.seller_invoice
            .as_ref()
            .map_or("", |s| s.invoice_id.as_str()),
        p.buyer_bill.as_ref().map_or("", |s| s.invoice_id.as_str()),
    )
}

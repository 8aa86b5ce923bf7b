//! The sync's documents after invoices: credit notes, bank transactions,
//! payments, overpayments and prepayments. Each endpoint is read by pages of
//! 1,000 with `If-Modified-Since` (changes since the last successful run),
//! each page converted whole before any of it is stored, and stored in one
//! transaction. Every document's dates feed the months whose reports this
//! run fetches again, as invoices' do.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::{Ahead, Run, SyncError, convert, has_more, page_query};
use crate::connect::CallError;
use crate::domain::Month;
use crate::store::{Changed, PrepaymentKind};
use crate::xero::client::{CallTrace, Fetched};
use crate::xero::records::{
    BankTransactionPage, CreditNotePage, OverpaymentPage, PaymentPage, PrepaymentPage,
};

/// The endpoints, in the order they are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Endpoint {
    CreditNotes,
    BankTransactions,
    Payments,
    Overpayments,
    Prepayments,
}

pub(super) const ENDPOINTS: [Endpoint; 5] = [
    Endpoint::CreditNotes,
    Endpoint::BankTransactions,
    Endpoint::Payments,
    Endpoint::Overpayments,
    Endpoint::Prepayments,
];

impl Endpoint {
    pub(super) fn path(self) -> &'static str {
        match self {
            Self::CreditNotes => "CreditNotes",
            Self::BankTransactions => "BankTransactions",
            Self::Payments => "Payments",
            Self::Overpayments => "Overpayments",
            Self::Prepayments => "Prepayments",
        }
    }
}

/// One page of any of the endpoints.
pub(super) enum Page {
    CreditNotes(CreditNotePage),
    BankTransactions(BankTransactionPage),
    Payments(PaymentPage),
    Overpayments(OverpaymentPage),
    Prepayments(PrepaymentPage),
}

impl Page {
    /// Items on the page and Xero's page count, if it sent one.
    fn paging(&self) -> (usize, Option<u32>) {
        let (n, p) = match self {
            Self::CreditNotes(p) => (p.credit_notes.len(), p.pagination),
            Self::BankTransactions(p) => (p.bank_transactions.len(), p.pagination),
            Self::Payments(p) => (p.payments.len(), p.pagination),
            Self::Overpayments(p) => (p.overpayments.len(), p.pagination),
            Self::Prepayments(p) => (p.prepayments.len(), p.pagination),
        };
        (n, p.map(|p| p.page_count))
    }
}

/// Starts the call for one page of `endpoint`.
pub(super) fn start(
    run: &Run,
    endpoint: Endpoint,
    page: usize,
    since: Option<DateTime<Utc>>,
) -> Ahead<Page> {
    let xero = run.xero.clone();
    let tenant = run.target.tenant_id.clone();
    let token_set = run.token_set;
    let path = endpoint.path();
    let query = page_query(page);
    // The run shows this call's retries as it does every other call's.
    let trace = Arc::new(CallTrace::default());
    let traced = trace.clone();
    let task = tokio::spawn(async move {
        #[allow(clippy::too_many_arguments)]
        async fn get<T: serde::de::DeserializeOwned>(
            xero: &crate::connect::XeroServices,
            token_set: i64,
            tenant: &str,
            path: &str,
            query: &[(&'static str, String)],
            since: Option<DateTime<Utc>>,
            trace: &CallTrace,
            wrap: fn(T) -> Page,
        ) -> Result<Fetched<Page>, CallError> {
            let f: Fetched<T> = xero
                .get_traced(token_set, tenant, path, query, since, trace)
                .await?;
            Ok(Fetched {
                value: wrap(f.value),
                calls: f.calls,
            })
        }
        let (x, t, q, tr) = (&*xero, tenant.as_str(), query.as_slice(), &*traced);
        match endpoint {
            Endpoint::CreditNotes => {
                get(x, token_set, t, path, q, since, tr, Page::CreditNotes).await
            }
            Endpoint::BankTransactions => {
                get(x, token_set, t, path, q, since, tr, Page::BankTransactions).await
            }
            Endpoint::Payments => get(x, token_set, t, path, q, since, tr, Page::Payments).await,
            Endpoint::Overpayments => {
                get(x, token_set, t, path, q, since, tr, Page::Overpayments).await
            }
            Endpoint::Prepayments => {
                get(x, token_set, t, path, q, since, tr, Page::Prepayments).await
            }
        }
    });
    Ahead::new(run, path, task, trace)
}

/// Reads every endpoint's changed documents, page by page, the first call
/// already started. Each call is started before the previous page is
/// written. Adds the months the documents are dated in to `changed`.
pub(super) async fn sync(
    run: &mut Run,
    first: Ahead<Page>,
    since: Option<DateTime<Utc>>,
    changed: &mut BTreeSet<Month>,
) -> Result<(), SyncError> {
    let mut next = Some((0usize, 1usize, first));
    while let Some((k, page, call)) = next.take() {
        let got: Page = run.finish(call).await?;
        let (items, page_count) = got.paging();
        let more = has_more(items, page, page_count);
        next = if more {
            Some((k, page + 1, start(run, ENDPOINTS[k], page + 1, since)))
        } else {
            ENDPOINTS
                .get(k + 1)
                .map(|e| (k + 1, 1, start(run, *e, 1, since)))
        };
        let ch = store_page(run, got, changed).await?;
        run.changed(ch);
        // A page more than planned when another follows; the next
        // endpoint's first page was counted in the initial total.
        run.step(i32::from(more)).await?;
    }
    Ok(())
}

fn data(e: convert::Incomplete) -> SyncError {
    SyncError::Data(e.to_string())
}

/// Converts a whole page (an incomplete record fails the page before
/// anything of it is written) and stores it in one transaction.
async fn store_page(
    run: &Run,
    page: Page,
    changed: &mut BTreeSet<Month>,
) -> Result<Changed, SyncError> {
    let (store, org) = (&run.store, run.target.id);
    let ch = match page {
        Page::CreditNotes(p) => {
            let rows = p
                .credit_notes
                .iter()
                .map(convert::credit_note)
                .collect::<Result<Vec<_>, _>>()
                .map_err(data)?;
            for r in &rows {
                changed.insert(Month::of(r.date));
                changed.extend(r.allocations.iter().map(|a| Month::of(a.date)));
            }
            store.upsert_credit_notes(org, &rows).await?
        }
        Page::BankTransactions(p) => {
            let rows = p
                .bank_transactions
                .iter()
                .map(convert::bank_transaction)
                .collect::<Result<Vec<_>, _>>()
                .map_err(data)?;
            changed.extend(rows.iter().map(|r| Month::of(r.date)));
            store.upsert_bank_transactions(org, &rows).await?
        }
        Page::Payments(p) => {
            let rows = p
                .payments
                .iter()
                .map(convert::payment)
                .collect::<Result<Vec<_>, _>>()
                .map_err(data)?;
            // A payment at another rate than its document's posts a
            // realised gain or loss in its own month.
            changed.extend(rows.iter().map(|r| Month::of(r.date)));
            store.upsert_payments(org, &rows).await?
        }
        Page::Overpayments(p) => {
            prepayments(run, PrepaymentKind::Overpayment, &p.overpayments, changed).await?
        }
        Page::Prepayments(p) => {
            prepayments(run, PrepaymentKind::Prepayment, &p.prepayments, changed).await?
        }
    };
    Ok(ch)
}

async fn prepayments(
    run: &Run,
    kind: PrepaymentKind,
    records: &[crate::xero::records::PrepaymentRecord],
    changed: &mut BTreeSet<Month>,
) -> Result<Changed, SyncError> {
    let rows = records
        .iter()
        .map(|r| convert::prepayment(kind, r))
        .collect::<Result<Vec<_>, _>>()
        .map_err(data)?;
    for r in &rows {
        changed.insert(Month::of(r.date));
        changed.extend(r.allocations.iter().map(|a| Month::of(a.date)));
    }
    Ok(run
        .store
        .upsert_prepayments(run.target.id, kind, &rows)
        .await?)
}

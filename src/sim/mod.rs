//! The Xero simulator's pure core: in-memory ledgers, Xero's write and read
//! semantics, reports and the demo group. No HTTP here: the HTTP layer parses
//! a request into these functions' arguments and writes their results back.
//!
//! One [`Ledger`] per organisation (tenant). Every call returns either a
//! success envelope from [`crate::xero`] (serialise it as the 200 body) or an
//! [`ApiError`] ([`ApiError::status`] and [`ApiError::body`]: 400 with a JSON
//! `ApiException`, 404 with plain text).
//!
//! | Xero endpoint | function |
//! |---|---|
//! | `GET /Organisation` | [`Ledger::get_organisation`] |
//! | `GET /Accounts`, `/Accounts/{id}` | [`Ledger::get_accounts`], [`Ledger::get_account`] |
//! | `PUT /Accounts`, `POST /Accounts/{id}` | [`Ledger::put_account`], [`Ledger::post_account`] |
//! | `GET /Contacts`, `/Contacts/{id}` | [`Ledger::get_contacts`], [`Ledger::get_contact`] |
//! | `PUT`/`POST /Contacts` | [`Ledger::write_contacts`] with [`Method`] |
//! | `GET /Invoices`, `/Invoices/{id or number}` | [`Ledger::get_invoices`], [`Ledger::get_invoice`] |
//! | `PUT`/`POST /Invoices` | [`Ledger::write_invoices`] with [`Method`] |
//! | `PUT /Payments` | [`Ledger::put_payments`] |
//! | `GET /Payments`, `/Payments/{id}` | [`Ledger::get_payments`], [`Ledger::get_payment`] |
//! | `GET /CreditNotes`, `/CreditNotes/{id or number}` | [`Ledger::get_credit_notes`], [`Ledger::get_credit_note`] |
//! | `PUT`/`POST /CreditNotes` | [`Ledger::write_credit_notes`] with [`Method`] |
//! | `PUT /{CreditNotes,Overpayments,Prepayments}/{id}/Allocations` | [`Ledger::put_allocations`] |
//! | `GET /BankTransactions`, `/BankTransactions/{id}` | [`Ledger::get_bank_transactions`], [`Ledger::get_bank_transaction`] |
//! | `PUT`/`POST /BankTransactions` | [`Ledger::write_bank_transactions`] with [`Method`] |
//! | `GET /Overpayments`, `/Prepayments` (and by id) | [`Ledger::get_overpayments`], [`Ledger::get_prepayments`] |
//! | `GET /ManualJournals`, `/ManualJournals/{id}` | [`Ledger::get_manual_journals`], [`Ledger::get_manual_journal`] |
//! | `PUT`/`POST /ManualJournals` | [`Ledger::write_manual_journals`] |
//! | `GET`/`PUT /Currencies` | [`Ledger::get_currencies`], [`Ledger::put_currency`] |
//! | `GET`/`PUT /TrackingCategories`, `PUT .../{id}/Options` | [`Ledger::get_tracking_categories`], [`Ledger::put_tracking_category`], [`Ledger::put_tracking_option`] |
//! | `GET /Reports/ProfitAndLoss` | [`Ledger::profit_and_loss`] |
//! | `GET /Reports/BalanceSheet` | [`Ledger::balance_sheet`] |
//! | `GET /Reports/TrialBalance` | [`Ledger::trial_balance`] |
//! | `POST /_sim/organisations` | [`Ledger::new`] with [`OrgSettings`] |
//! | `POST /_sim/clock` | [`SimClock::advance_seconds`] |
//!
//! Query strings: [`ListQuery::from_params`] (with the `If-Modified-Since`
//! header) and [`reports::ReportParams::from_params`]. Write bodies:
//! [`body::parse_collection`]; `summarizeErrors` and `Idempotency-Key` go in
//! [`WriteOptions`].

mod bank_transactions;
pub mod body;
mod book_reads;
pub mod chart;
pub mod clock;
mod credit_notes;
pub mod demo;
pub mod demo_balance_sheet;
pub mod demo_cases;
mod error;
pub mod fx;
pub mod http;
mod invoices;
pub mod ledger;
pub mod postings;
pub mod query;
mod reads;
pub mod reports;
pub mod rng;
mod writes;

pub use clock::SimClock;
pub use credit_notes::Credit;
pub use error::{ApiError, ErrorBody};
pub use invoices::MAX_PER_REQUEST;
pub use ledger::{Ledger, Method, OrgSettings, Posting, WriteOptions};
pub use reads::{ListQuery, MAX_UNPAGED, parse_http_date};

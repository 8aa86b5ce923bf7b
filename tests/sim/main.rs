//! Tests of the Xero simulator's core (ledger, reports, demo data) and of
//! the Xero JSON models, with no HTTP.

mod demo;
mod ledger;
mod parsers_fuzz;
mod props;
mod xero_models;

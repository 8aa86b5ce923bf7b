//! Consol's integration tests: one binary, so it links once. Every storage
//! and HTTP test runs on SQLite and on PostgreSQL (see `backends!`).

mod admin;
mod api;
mod balance_sheet;
mod books_sync;
mod browser;
mod cli;
mod connect;
mod consolidate;
mod db_faults;
mod demo;
mod documents;
mod errors;
mod export;
mod helpers;
mod jobs;
mod lifecycle;
mod month_end;
mod ownership;
mod pack_mail;
mod retention;
mod setup;
mod setup_api;
mod setup_review;
mod shutdown;
mod storage;
mod sync;
mod sync_faults;
mod web_auth;
mod web_groups;
mod webdriver;
mod webhooks;
mod workers;
mod xero_client;

//! Consol's integration tests: one binary, so it links once. Every storage
//! and HTTP test runs on SQLite and on PostgreSQL (see `backends!`).

mod cli;
mod connect;
mod consolidate;
mod helpers;
mod jobs;
mod storage;
mod sync;
mod web_auth;
mod web_groups;
mod workers;
mod xero_client;

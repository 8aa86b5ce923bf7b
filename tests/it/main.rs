//! Consol's integration tests: one binary, so it links once. Every storage
//! and HTTP test runs on SQLite and on PostgreSQL (see `backends!`).

mod admin;
mod api;
mod browser;
mod cli;
mod connect;
mod consolidate;
mod demo;
mod errors;
mod export;
mod helpers;
mod jobs;
mod lifecycle;
mod retention;
mod setup;
mod setup_review;
mod storage;
mod sync;
mod web_auth;
mod web_groups;
mod webdriver;
mod webhooks;
mod workers;
mod xero_client;

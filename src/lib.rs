//! Consol: financial consolidation for groups of companies that keep their
//! books in Xero. See ARCHITECTURE.md for where each part lives.

pub mod auth;
pub mod backup;
pub mod cli;
pub mod config;
pub mod connect;
pub mod consolidation;
pub mod crypto;
pub mod demo;
pub mod domain;
pub mod engine;
pub mod export;
pub mod jobs;
pub mod mail;
pub mod month_end;
pub mod reports;
pub mod shutdown;
pub mod sim;
pub mod startup;
pub mod store;
pub mod sync;
pub mod web;
pub mod xero;

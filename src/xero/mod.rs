//! Typed models of Xero's Accounting API JSON, shared by the simulator
//! (which writes them) and Consol's Xero client (which reads them).

pub mod client;
pub(crate) mod date;
mod envelope;
mod models;
pub mod num;
pub mod oauth;
pub mod records;
pub mod report_parser;

pub use date::{DateParseError, XeroDate};
pub use envelope::*;
pub use models::*;
